/* SPDX-License-Identifier: GPL-2.0 */
#ifndef TG_EVENTLOG_H
#define TG_EVENTLOG_H

#include <limits.h>
#include <stddef.h>
#include <sys/types.h>
#include <linux/types.h>

struct json_object;

#define TG_EVENTLOG_MAX_LINE 65536	/* longer events are refused */
#define TG_EVENTLOG_SEQ_RESERVE 4096	/* seqs reserved per state write */

/*
 * The durable JSON-lines event log. Each line is one event whose first key is
 * "seq". seq strictly increases and is never reused, also across restarts,
 * crashes and rotation: a state file <log>.seq holds a reserved high-water
 * mark that is made durable before any seq up to it is written; a clean
 * close records the last seq used, so seqs only skip after a crash.
 */
struct tg_eventlog {
	int fd;
	int seq_fd;
	char path[PATH_MAX];
	__u64 next_seq;		/* seq of the next appended event */
	__u64 reserved;		/* seqs below this are reserved on disk */
	off_t size;		/* bytes in the current file */
	off_t committed;	/* bytes made durable */
	off_t rotate_size;	/* rotate once the file reaches this */
	unsigned int rotate_keep;	/* rotated files kept: <log>.1 .. .N */
	int torn_truncated;	/* open found and removed a torn last line */
	char *last_line;	/* last complete line found at open, or NULL */
};

/* Open (creating) the log at path; its directory must exist. */
int tg_eventlog_open(struct tg_eventlog *l, const char *path, off_t rotate_size,
		     unsigned int rotate_keep);

/* Append one event (an object without "seq"); the seq used is in *seq. */
int tg_eventlog_append(struct tg_eventlog *l, struct json_object *ev,
		       __u64 *seq);

/* Make everything appended durable (fdatasync), then rotate if due. */
int tg_eventlog_commit(struct tg_eventlog *l);

void tg_eventlog_close(struct tg_eventlog *l);

#endif /* TG_EVENTLOG_H */
