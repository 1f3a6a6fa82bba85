// SPDX-License-Identifier: GPL-2.0
/*
 * The service manager's notifications (sd_notify(3)). The agent is ready
 * only when enforcement is in force, so that units ordered after it start
 * no tenant before; pings come from the poll loop, so a loop that hangs
 * is restarted by the watchdog.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <time.h>

#include <systemd/sd-daemon.h>

#include "agentd/service.h"
#include "common/clock.h"

int tg_service_init(struct tg_service *s)
{
	uint64_t usec = 0;
	int r = sd_watchdog_enabled(0, &usec);

	*s = (struct tg_service){};
	if (r <= 0)
		return r;
	/* Twice per period, as sd_watchdog_enabled(3) advises. */
	s->watchdog_ms = (__s64)(usec / 2000);
	if (!s->watchdog_ms)
		s->watchdog_ms = 1;
	return 0;
}

int tg_service_ready(const char *status)
{
	int r = sd_notifyf(0, "READY=1\nSTATUS=%s", status);

	return r < 0 ? r : 0;
}

int tg_service_reloading(void)
{
	int r = sd_notifyf(0, "RELOADING=1\nMONOTONIC_USEC=%lld",
			   (long long)(tg_clock_ns(CLOCK_MONOTONIC) / 1000));

	return r < 0 ? r : 0;
}

int tg_service_stopping(void)
{
	int r = sd_notify(
		0,
		"STOPPING=1\nSTATUS=stopping; pinned programs stay in force");

	return r < 0 ? r : 0;
}

int tg_service_watchdog(struct tg_service *s)
{
	__s64 now = tg_now_ms();
	int r;

	if (!s->watchdog_ms || now < s->next_ping_ms)
		return 0;
	s->next_ping_ms = now + s->watchdog_ms;
	r = sd_notify(0, "WATCHDOG=1");
	return r < 0 ? r : 0;
}

int tg_service_timeout(const struct tg_service *s, int max_ms)
{
	__s64 left;

	if (!s->watchdog_ms)
		return max_ms;
	left = s->next_ping_ms - tg_now_ms();
	if (left < 0)
		return 0;
	return left < max_ms ? (int)left : max_ms;
}
