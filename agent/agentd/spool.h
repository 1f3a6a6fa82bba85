/* SPDX-License-Identifier: GPL-2.0 */
#ifndef TG_AGENTD_SPOOL_H
#define TG_AGENTD_SPOOL_H

#include <stddef.h>
#include <linux/types.h>

/*
 * The agent's on-disk spool: a bounded FIFO of event frames (stream, seq,
 * payload) kept in a directory while the collector is down or slow.
 *
 * Files: segments "<run>-<first seq>.seg" (8 and 16 hex digits), each a
 * header naming the agent run's stream, then records (a header with length,
 * seq, time and a CRC-32 of them and the payload, then the payload). A run is
 * one agent start: segments sort by name in the order they were written. A
 * file "head" names the first record not yet acknowledged. Records are only
 * appended; a segment is removed once all its records are acknowledged.
 *
 * Two cursors walk the records: the read cursor (next record to send) and
 * the ack cursor (oldest record not acknowledged). Records read but not
 * acknowledged are "in flight"; rewinding puts them back to unread.
 *
 * At open, a record that fails its checks (a write cut short by a crash or
 * power loss) ends its segment: the file is truncated there.
 */
struct tg_spool;

#define TG_SPOOL_MAX_RECORD 65536 /* payload bytes of one record at most */

struct tg_spool_info {
	__u64 records;	   /* records found at open, not acknowledged */
	__u64 bytes;	   /* bytes of segment files */
	__u64 old_records; /* of those, records of earlier runs */
	unsigned int torn; /* segments cut at a damaged record */
	__u64 torn_bytes;  /* bytes removed there */
	char why[192];	   /* why the directory was refused, else "" */
};

struct tg_spool_rec {
	__u64 stream;	  /* agent run's stream id */
	__u64 seq;	  /* frame seq within the stream */
	__u64 time_ns;	  /* CLOCK_REALTIME when it was first queued */
	__u32 len;	  /* payload bytes */
	const char *data; /* payload, valid until the next spool call */
};

/*
 * Open (creating) the spool in dir, at most max_bytes of segment files,
 * segments of about seg_bytes (0: a default derived from max_bytes). The
 * directory is locked: -EBUSY (NULL, errno) if another agent has it. It
 * must be owned by this process's uid or root and writable by no group or
 * other user, else -EPERM with why in info. Damaged
 * tails are cut; info (may be NULL) tells what was found.
 */
struct tg_spool *tg_spool_open(const char *dir, __u64 max_bytes,
			       __u64 seg_bytes, struct tg_spool_info *info);

/*
 * Append one record at the tail. -ENOSPC when max_bytes would be exceeded,
 * -EMSGSIZE above TG_SPOOL_MAX_RECORD, -errno when the write fails (nothing
 * of the record stays).
 */
int tg_spool_append(struct tg_spool *sp, __u64 stream, __u64 seq, __u64 time_ns,
		    const void *data, __u32 len);

/* The next unread record, without moving the read cursor: 0 or -ENODATA. */
int tg_spool_peek(struct tg_spool *sp, struct tg_spool_rec *rec);

/* Mark the record peek returned as read (in flight). */
void tg_spool_consume(struct tg_spool *sp);

/*
 * Acknowledge the records at the head that belong to stream with seq up to
 * upto, read or not; stops at the first other one. Returns how many.
 */
__u64 tg_spool_ack(struct tg_spool *sp, __u64 stream, __u64 upto);

/* Records in flight become unread again (after a reconnect). */
void tg_spool_rewind(struct tg_spool *sp);

/* The oldest record's stream, seq and time; -ENODATA when empty. */
int tg_spool_head(struct tg_spool *sp, __u64 *stream, __u64 *seq,
		  __u64 *time_ns);

__u64 tg_spool_records(const struct tg_spool *sp); /* not acknowledged */
__u64 tg_spool_unread(const struct tg_spool *sp);  /* not read */
__u64 tg_spool_bytes(const struct tg_spool *sp);   /* of segment files */
/* Whether a record of len payload bytes would fit now. */
int tg_spool_has_room(const struct tg_spool *sp, __u32 len);

/* Make appends and the head position durable (fdatasync, directory). */
int tg_spool_sync(struct tg_spool *sp);

/* Sync and close. */
void tg_spool_close(struct tg_spool *sp);

#endif /* TG_AGENTD_SPOOL_H */
