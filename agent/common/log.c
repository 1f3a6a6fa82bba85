// SPDX-License-Identifier: GPL-2.0
/* The one logger: "PROG: message" lines on stderr. */
#include <stdarg.h>
#include <stdio.h>

#include "common/log.h"

static const char *log_prog = "tenantguard";
static int log_verbose;

void tg_log_init(const char *prog, int verbose)
{
	log_prog = prog;
	log_verbose = verbose;
}

int tg_log_verbose(void)
{
	return log_verbose;
}

static void vline(const char *tag, const char *fmt, va_list ap)
{
	/* One write per line, so that lines of two processes do not mix. */
	char buf[4096];
	int n = tag ? snprintf(buf, sizeof(buf), "%s: %s", log_prog, tag) : 0;

	if (n < 0 || (size_t)n >= sizeof(buf))
		n = 0;
	vsnprintf(buf + n, sizeof(buf) - (size_t)n, fmt, ap);
	fprintf(stderr, "%s\n", buf);
}

void tg_info(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vline("", fmt, ap);
	va_end(ap);
}

void tg_warn(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vline("warning: ", fmt, ap);
	va_end(ap);
}

void tg_plain(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vline(NULL, fmt, ap);
	va_end(ap);
}

void tg_debug(const char *fmt, ...)
{
	va_list ap;

	if (!log_verbose)
		return;
	va_start(ap, fmt);
	vline("", fmt, ap);
	va_end(ap);
}

int tg_err(int err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vline("", fmt, ap);
	va_end(ap);
	return err;
}
