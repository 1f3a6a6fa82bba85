/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Reading the collector's JSON-lines log as it is kept (collector/
 * eventlog.h): <log>.N rotated files, oldest (highest N) first, then <log>;
 * line by line, a line at most TG_LOGREAD_LINE_MAX bytes; followed across
 * rotations. The same reader serves a stream of lines on a socket.
 */
#ifndef TG_COMMON_LOGREAD_H
#define TG_COMMON_LOGREAD_H

#include <stddef.h>

#include "common/buf.h"

#define TG_LOGREAD_LINE_MAX  (1 << 20) /* longer lines are reported, skipped */
#define TG_LOGREAD_FOLLOW_MS 200       /* a followed log is read this often */

struct tg_logread {
	/*
	 * Each whole line (without its newline, len may be 0), numbered
	 * from 1 in its file: 0 goes on, -ECANCELED stops the reading and
	 * is returned.
	 */
	int (*line)(void *ctx, const char *file, unsigned long n,
		    const char *line, size_t len);
	/* Following, after each read to the end: -ECANCELED stops (or NULL). */
	int (*idle)(void *ctx);
	void *ctx;
	int bad;	     /* a line was too long, a file unreadable */
	struct tg_buf carry; /* a line read only in part */
};

/*
 * Everything fd holds from where it stands, line by line; a last line
 * without its newline is kept (r->carry) for the next call. 0, what
 * r->line returned, or -errno.
 */
int tg_logread_fd(struct tg_logread *r, int fd, const char *file,
		  unsigned long *lineno);

/*
 * The rotated files of log, oldest first; a torn end is not read. 0, or
 * -ECANCELED when r->line stopped it (a file that fails is reported and
 * r->bad).
 */
int tg_logread_rotated(struct tg_logread *r, const char *log);

/*
 * Keep reading the live log from fd (open on it), also across rotation,
 * until r->line or r->idle stops it or an error: what stopped it.
 */
int tg_logread_follow(struct tg_logread *r, const char *log, int fd,
		      unsigned long *lineno);

#endif /* TG_COMMON_LOGREAD_H */
