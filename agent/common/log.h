/* SPDX-License-Identifier: GPL-2.0 */
#ifndef TG_COMMON_LOG_H
#define TG_COMMON_LOG_H

/*
 * The one logger: every line goes to stderr as "PROG: message" (journald
 * and the tests read it there). Only a binary's own folder logs; the
 * layers below return errors and reasons instead.
 */

/* The prefix of every line ("tenantguard-agent"), and whether -v was given. */
void tg_log_init(const char *prog, int verbose);

/* Whether -v was given: debug lines are written. */
int tg_log_verbose(void);

/* A line. */
void tg_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* "PROG: warning: message". */
void tg_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/*
 * A line without the prefix: a message that names its own place, such as
 * "file:line:column: problem" (tools and editors read it at the start).
 */
void tg_plain(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* A line only with -v. */
void tg_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/*
 * Log an error and return err (a negative errno, or an exit status), so
 * that a failing path is one line: return tg_err(r, "policy: ...: %s", ...).
 */
int tg_err(int err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif /* TG_COMMON_LOG_H */
