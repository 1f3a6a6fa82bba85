/* SPDX-License-Identifier: GPL-2.0 */
#ifndef TG_AGENTD_SINK_H
#define TG_AGENTD_SINK_H

#include <stddef.h>
#include <sys/types.h>
#include <linux/types.h>

/*
 * The agent's side of the event socket: a bounded in-memory queue of frames
 * that stay queued until the collector acknowledges them as durable, resent
 * in order after a reconnect. Never blocks the caller. Each connection
 * starts with a HELLO naming this run's stream, so a frame resent after a
 * lost ack is recognised by the collector and not stored twice.
 *
 * With a spool (tg_sink_set_spool), frames the memory queue cannot hold, and
 * all unacknowledged frames while the collector is unreachable or at exit,
 * move to the on-disk spool, which always holds the oldest of them: frames
 * are sent spool first, then memory, in seq order. Records of earlier agent
 * runs found in the spool are delivered first, each run's on a connection
 * naming its stream.
 *
 * Only the collector is trusted with events: a socket whose listener is
 * not the collector's uid (SO_PEERCRED of the connected socket: the
 * listener's credentials when it called listen), or that the judge
 * (tg_sink_set_judge) refuses, is closed before anything is sent or read,
 * so no frame reaches it and no ack of it counts; what waits stays queued
 * (and spooled) for the collector.
 */
struct tg_sink;
struct tg_peer;
struct tg_spool;

#define TG_SINK_MAX_BYTES (64u << 20) /* payload bytes queued at most */

struct tg_sink_stats {
	__u64 submitted; /* frames accepted by tg_sink_submit */
	__u64 acked;	 /* frames the collector made durable or refused */
	__u64 dropped;	 /* events refused, the sum of: */
	__u64 dropped_queue_full;  /* memory queue full, no spool */
	__u64 dropped_spool_full;  /* memory queue and spool full */
	__u64 dropped_spool_error; /* the spool could not be written */
	__u64 oversized;	   /* larger than TG_WIRE_MAX_PAYLOAD */
	__u64 nomem;		   /* no memory for the copy */
	__u64 rejected;	     /* error frames received from the collector */
	__u64 spooled;	     /* frames written to the spool */
	size_t queued;	     /* frames in memory waiting for an ack */
	__u64 spool_records; /* frames in the spool waiting for an ack */
	__u64 spool_bytes;   /* size of the spool's files */
	__u64 oldest_ns;     /* CLOCK_REALTIME the oldest unacked frame was
			      * queued, 0 if none */
	int connected;
	char last_error[320]; /* last error frame's text, connect error or
				 refusal */
	/* The collector cannot write its log (TG_FRAME_STATUS). */
	int stalled;		/* now */
	__u64 stalled_since_ns; /* CLOCK_REALTIME it said so first */
	char stalled_why[128];	/* its reason */
	__u64 stalls;		/* episodes over (stored again since) */
	__u64 last_stall_since_ns, last_stall_until_ns;
	char last_stall_why[128];
	/* Listeners of another uid than the collector's, refused. */
	__u64 refused;	/* connections closed unused */
	__u64 refusals; /* episodes: a first refusal, or another listener */
};

/*
 * A sink for the collector at socket_path, listening as collector_uid
 * ((uid_t)-1: unknown, every listener is refused); NULL with errno.
 */
struct tg_sink *tg_sink_new(const char *socket_path, size_t max_queue,
			    uid_t collector_uid);

/*
 * A second judge of a listener whose uid is the collector's, its cgroup and
 * comm read (p->err says when they could not be): 0 accepts it, -EPERM with
 * why (len bytes) refuses it as any other listener.
 */
typedef int (*tg_sink_judge_fn)(void *ctx, const struct tg_peer *p, char *why,
				size_t len);
void tg_sink_set_judge(struct tg_sink *s, tg_sink_judge_fn judge, void *ctx);

/*
 * The listener refused last (its credentials, cgroup and comm as far as
 * they could be read) and why (NULL if its uid was not the collector's),
 * or NULL if none was.
 */
const struct tg_peer *tg_sink_refused_peer(const struct tg_sink *s,
					   const char **why);

/*
 * Hand the sink a spool (it takes ownership and closes it in tg_sink_free).
 * Call before the first submit.
 */
void tg_sink_set_spool(struct tg_sink *s, struct tg_spool *sp);

/*
 * With on, every frame is appended to the spool when it is submitted (the
 * memory queue only takes what the full spool cannot), so that a frame is
 * in a file before anything it accounts for is marked reported: a kill -9
 * of the agent loses none of them (a power loss loses what was not yet
 * synced, at most about a second's worth).
 */
void tg_sink_spool_all(struct tg_sink *s, int on);

/*
 * Queue one JSON object (without "seq"); tg_sink_process sends it.
 * -ENOBUFS when the queue (and spool) is full, -EIO when the spool cannot be
 * written, -EMSGSIZE when len exceeds TG_WIRE_MAX_PAYLOAD, -ENOMEM: each
 * counted as dropped.
 */
int tg_sink_submit(struct tg_sink *s, const char *json, size_t len);

/* The fd to poll for POLLIN, -1 while disconnected. */
int tg_sink_fd(const struct tg_sink *s);

/*
 * Read acks and errors, reconnect (backing off 100 ms .. 2 s) and resend what
 * is unacked, in order. Call when tg_sink_fd is readable and at least once a
 * second. 0, or -ENOTCONN while disconnected.
 */
int tg_sink_process(struct tg_sink *s);

/* Whether a submit now would be taken (not dropped for lack of room). */
int tg_sink_has_room(const struct tg_sink *s);

/* Wait up to timeout_ms until everything queued is acked; 0 or -ETIMEDOUT. */
int tg_sink_flush(struct tg_sink *s, int timeout_ms);

void tg_sink_stats(const struct tg_sink *s, struct tg_sink_stats *st);

/*
 * Write the frames still unacknowledged in memory to the spool, for the next
 * run. Returns how many stay in memory (no spool, or it is full): those are
 * lost when the sink is freed.
 */
size_t tg_sink_save(struct tg_sink *s);

/* Free the sink (saving to the spool first, as tg_sink_save). */
void tg_sink_free(struct tg_sink *s);

/* This run's stream id and the seq of the last frame submitted (0: none). */
void tg_sink_position(const struct tg_sink *s, __u64 *stream, __u64 *seq);

#endif /* TG_AGENTD_SINK_H */
