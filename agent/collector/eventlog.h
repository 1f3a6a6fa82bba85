/* SPDX-License-Identifier: GPL-2.0 */
#ifndef TG_COLLECTOR_EVENTLOG_H
#define TG_COLLECTOR_EVENTLOG_H

#include <limits.h>
#include <stddef.h>
#include <sys/types.h>
#include <linux/types.h>

#include "common/buf.h"
#include "common/chain.h"

struct json_object;

#define TG_EVENTLOG_MAX_LINE	65536 /* longer events are refused */
#define TG_EVENTLOG_MAX_DEPTH	32    /* deeper events are refused */
#define TG_EVENTLOG_MAX_KEEP	1000  /* most rotated files kept */
#define TG_EVENTLOG_SEQ_RESERVE 4096  /* seqs reserved per state write */
#define TG_EVENTLOG_MODE	0600  /* of every file the log creates */

/*
 * The durable JSON-lines event log. Each line is one event whose first key is
 * "seq". seq strictly increases and is never reused, also across restarts,
 * crashes and rotation: a state file <log>.seq holds a reserved high-water
 * mark that is made durable before any seq up to it is written; a clean
 * close records the last seq used, so seqs only skip after a crash. The
 * state file is also locked: one writer per log. Every file is opened,
 * created (mode 0600) and renamed through a descriptor of the log's
 * directory, opened once: the writer needs no access to the path above it.
 */
struct tg_eventlog {
	int fd;
	int seq_fd;
	int dir_fd; /* the directory holding the log's files */
	char path[PATH_MAX];
	const char *name;  /* the log's file name: the end of path */
	__u64 next_seq;	   /* seq of the next appended event */
	__u64 reserved;	   /* seqs below this are reserved on disk */
	off_t size;	   /* bytes in the current file */
	off_t committed;   /* bytes made durable */
	struct tg_buf w;   /* lines appended, written by the next commit */
	off_t rotate_size; /* rotate once the file reaches this, 0: never */
	unsigned int rotate_keep; /* rotated files kept: <log>.1 .. .N */
	int torn_truncated;	  /* open found and removed a torn last line */
	int broken;	 /* -errno: a failed write could not be undone */
	char *last_line; /* last complete line at open (of <log>.1 if
			  * <log> is empty), or NULL */
	/*
	 * With copy_lines set, every line written is also appended to copy
	 * (up to TG_EVENTLOG_MAX_COPY bytes), for forwarding once committed;
	 * the caller empties it (copy.len = 0).
	 */
	int copy_lines;
	struct tg_buf copy;
	unsigned long long copy_skipped; /* lines not copied (no room) */
	/*
	 * The hash chain (common/chain.h): every line written gets its
	 * "chain" member after "seq". chain_seq is the seq of the last line
	 * chained (0: none yet), chain its value; the _committed pair is what
	 * the last good commit made durable. Recovery takes them from the
	 * last line (zero when it carries none: chain_found 0).
	 */
	unsigned char chain[TG_CHAIN_BYTES];
	__u64 chain_seq;
	unsigned char chain_committed[TG_CHAIN_BYTES];
	__u64 chain_seq_committed;
	int chain_found;
};

#define TG_EVENTLOG_MAX_COPY (16u << 20)

/*
 * Open (creating) the log at path; its directory must exist. A torn last
 * line is truncated away. -EBUSY when another process has the log open.
 * The same as tg_eventlog_lock, then tg_eventlog_recover.
 */
int tg_eventlog_open(struct tg_eventlog *l, const char *path, off_t rotate_size,
		     unsigned int rotate_keep);

/*
 * A descriptor of the directory of the log at path, for tg_eventlog_lock.
 * When it does not exist and uid is not -1, it is created (only the last
 * component), mode 0700, and given to uid and gid. -errno on failure.
 */
int tg_eventlog_open_dir(const char *path, uid_t uid, gid_t gid);

/*
 * Open and lock the log's files (-EBUSY: another writer), nothing more.
 * dir_fd: the log's directory (tg_eventlog_open_dir), taken over, or -1 to
 * open it here. -EACCES also when the directory cannot be written (the
 * rotation needs it).
 */
int tg_eventlog_lock(struct tg_eventlog *l, const char *path, int dir_fd,
		     off_t rotate_size, unsigned int rotate_keep);

/*
 * After tg_eventlog_lock: cut a torn last line, find the last line and the
 * next seq. On failure the caller closes the log.
 */
int tg_eventlog_recover(struct tg_eventlog *l);

/*
 * Call fn for each whole committed line in the last max_bytes of <log>.1
 * and then of <log>, oldest first (line without its newline).
 */
int tg_eventlog_tail(const struct tg_eventlog *l, size_t max_bytes,
		     void (*fn)(void *ctx, const char *line, size_t len),
		     void *ctx);

/* The same for one file only: <log>.1 (which 1) or <log> (0). */
int tg_eventlog_tail_file(const struct tg_eventlog *l, int which,
			  size_t max_bytes,
			  void (*fn)(void *ctx, const char *line, size_t len),
			  void *ctx);

/*
 * Append one event, an object without "seq", as one line: "seq" first, then
 * the event's keys in order. Invalid UTF-8 becomes U+FFFD. The seq used is in
 * *seq. The line is buffered: the next commit writes it. -EINVAL for a
 * non-object, a "seq" key, NaN or Infinity, or nesting deeper than
 * TG_EVENTLOG_MAX_DEPTH; -E2BIG for a line over TG_EVENTLOG_MAX_LINE;
 * -ENOMEM; -errno if the seq reservation cannot be written.
 */
int tg_eventlog_append(struct tg_eventlog *l, struct json_object *ev,
		       __u64 *seq);

/*
 * Append one event given as the text of a JSON object that is already
 * checked (one line, valid, no "seq"): "{"seq":N," then its keys as they
 * are, then tail (",\"k\":v..." or ""), then "}". As tg_eventlog_append
 * otherwise; -EINVAL if obj is not "{...}".
 */
int tg_eventlog_append_raw(struct tg_eventlog *l, const char *obj, size_t len,
			   const char *tail, __u64 *seq);

/*
 * Write the buffered lines and make everything durable (fdatasync). When the
 * write fails (disk full) nothing of it stays in the file and the lines stay
 * buffered (w.len > 0) for the next commit. When fdatasync fails, the appends
 * since the last successful commit are removed from the file and dropped:
 * the log holds exactly what was committed (unless l->broken is set: then
 * nothing works until the log is opened again).
 */
int tg_eventlog_commit(struct tg_eventlog *l);

/*
 * Rotate once the file reached rotate_size, between committed lines:
 * <log>.N-1 -> <log>.N, ..., <log> -> <log>.1, then a new empty <log>.
 * 0 when done or not due, -EBUSY with uncommitted appends, -errno.
 */
int tg_eventlog_rotate(struct tg_eventlog *l);

/*
 * Open a file of the log's own beside it (<log><suffix>, never through a
 * link, mode 0600 when opened for writing); -1 and errno on failure.
 */
int tg_eventlog_open_file(const struct tg_eventlog *l, const char *suffix,
			  int flags);

/* Commit what is left and close; on a clean close seq continues without gap. */
void tg_eventlog_close(struct tg_eventlog *l);

#endif /* TG_COLLECTOR_EVENTLOG_H */
