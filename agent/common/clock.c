// SPDX-License-Identifier: GPL-2.0
/* The one clock helper: nanoseconds or milliseconds on a kernel clock. */
#include "common/clock.h"

__s64 tg_clock_ns(clockid_t c)
{
	struct timespec ts = {};

	clock_gettime(c, &ts);
	return (__s64)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

__s64 tg_now_ms(void)
{
	return tg_clock_ns(CLOCK_MONOTONIC) / 1000000;
}

__s64 tg_boot_to_real_ns(void)
{
	return tg_clock_ns(CLOCK_REALTIME) - tg_clock_ns(CLOCK_BOOTTIME);
}
