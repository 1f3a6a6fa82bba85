/* SPDX-License-Identifier: GPL-2.0 */
#ifndef TG_AGENTD_SERVICE_H
#define TG_AGENTD_SERVICE_H

/*
 * The service manager's notification protocol (sd_notify): readiness once
 * enforcement is in force, reloads, the stop, a status line and watchdog
 * pings. Without NOTIFY_SOCKET in the environment every call does nothing.
 */
#include <linux/types.h>

struct tg_service {
	__s64 watchdog_ms; /* ping this often; 0: no watchdog asked for */
	__s64 next_ping_ms;
};

/* Read WATCHDOG_USEC (and WATCHDOG_PID): 0, or -errno. */
int tg_service_init(struct tg_service *s);
/* READY=1 with a status line: 0, or -errno. */
int tg_service_ready(const char *status);
/* RELOADING=1 with MONOTONIC_USEC: 0, or -errno. */
int tg_service_reloading(void);
/* STOPPING=1: 0, or -errno. */
int tg_service_stopping(void);
/* WATCHDOG=1 when a ping is due: 0, or -errno. */
int tg_service_watchdog(struct tg_service *s);
/* Milliseconds until the next ping is due, at most max_ms. */
int tg_service_timeout(const struct tg_service *s, int max_ms);

#endif /* TG_AGENTD_SERVICE_H */
