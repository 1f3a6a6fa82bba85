/* SPDX-License-Identifier: GPL-2.0 */
#ifndef TG_SINK_H
#define TG_SINK_H

#include <stddef.h>
#include <linux/types.h>

/*
 * The agent's side of the event socket: a bounded in-memory queue of frames
 * that stay queued until the collector acknowledges them as durable, resent
 * in order after a reconnect. Never blocks the caller. Each connection
 * starts with a HELLO naming this run's stream, so a frame resent after a
 * lost ack is recognised by the collector and not stored twice.
 */
struct tg_sink;

#define TG_SINK_MAX_BYTES (64u << 20) /* payload bytes queued at most */

struct tg_sink_stats {
	__u64 submitted; /* frames accepted by tg_sink_submit */
	__u64 acked;	 /* frames the collector made durable or refused */
	__u64 dropped;	 /* events refused: queue full, too large, ENOMEM */
	__u64 oversized; /* of those, larger than TG_WIRE_MAX_PAYLOAD */
	__u64 rejected;	 /* error frames received from the collector */
	size_t queued;	 /* frames waiting for an ack */
	int connected;
	char last_error[128]; /* last error frame's text or connect error */
};

/* A sink for the collector at socket_path; NULL with errno. */
struct tg_sink *tg_sink_new(const char *socket_path, size_t max_queue);

/*
 * Queue one JSON object (without "seq") and send what the socket takes.
 * -ENOBUFS when the queue is full, -EMSGSIZE when len exceeds
 * TG_WIRE_MAX_PAYLOAD, -ENOMEM: each counted as dropped.
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

/* Wait up to timeout_ms until everything queued is acked; 0 or -ETIMEDOUT. */
int tg_sink_flush(struct tg_sink *s, int timeout_ms);

void tg_sink_stats(const struct tg_sink *s, struct tg_sink_stats *st);

void tg_sink_free(struct tg_sink *s);

#endif /* TG_SINK_H */
