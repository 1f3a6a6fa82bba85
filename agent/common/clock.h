/* SPDX-License-Identifier: GPL-2.0 */
#ifndef TG_COMMON_CLOCK_H
#define TG_COMMON_CLOCK_H

#include <time.h>
#include <linux/types.h>

/* Nanoseconds on clock c (CLOCK_MONOTONIC, CLOCK_REALTIME, CLOCK_BOOTTIME). */
__s64 tg_clock_ns(clockid_t c);

/* Milliseconds on CLOCK_MONOTONIC: for timeouts and intervals. */
__s64 tg_now_ms(void);

/* Nanoseconds to add to CLOCK_BOOTTIME to get CLOCK_REALTIME now. */
__s64 tg_boot_to_real_ns(void);

#endif /* TG_COMMON_CLOCK_H */
