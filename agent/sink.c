// SPDX-License-Identifier: GPL-2.0
/* The agent's client of the collector: queue, send, resend until acked. */
#define _GNU_SOURCE
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "sink.h"
#include "wire.h"

#define RECONNECT_MIN_MS 100
#define RECONNECT_MAX_MS 2000

struct frame {
	__u64 seq;
	__u32 len;
	char *data;
};

struct tg_sink {
	struct sockaddr_un sa;
	int fd;
	struct frame *q; /* ring of max frames */
	size_t max, head, count;
	size_t bytes; /* payload bytes queued */
	size_t sent;  /* frames of the queue already sent */
	__u64 next_seq;
	__u64 stream; /* this agent run's stream id */
	long long next_connect_ms;
	int backoff_ms; /* wait before the next connect attempt */
	struct tg_sink_stats st;
};

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* A stream id no other agent run picks; never 0. */
static __u64 new_stream_id(void)
{
	struct timespec ts;
	__u64 id = 0;

	/* Early at boot the pool may not be ready: never wait for it. */
	if (getrandom(&id, sizeof(id), GRND_NONBLOCK) != sizeof(id)) {
		clock_gettime(CLOCK_REALTIME, &ts);
		id = ((__u64)ts.tv_sec << 32) ^ (__u64)ts.tv_nsec ^
		     ((__u64)getpid() << 40);
	}
	return id ? id : 1;
}

struct tg_sink *tg_sink_new(const char *socket_path, size_t max_queue)
{
	struct tg_sink *s = NULL;

	if (!max_queue) {
		errno = EINVAL;
		return NULL;
	}
	if (strlen(socket_path) >= sizeof(s->sa.sun_path)) {
		errno = ENAMETOOLONG;
		return NULL;
	}
	s = calloc(1, sizeof(*s));
	if (!s)
		return NULL;
	s->q = calloc(max_queue, sizeof(*s->q));
	if (!s->q) {
		free(s);
		errno = ENOMEM;
		return NULL;
	}
	s->sa.sun_family = AF_UNIX;
	strcpy(s->sa.sun_path, socket_path);
	s->fd = -1;
	s->max = max_queue;
	s->next_seq = 1;
	s->backoff_ms = RECONNECT_MIN_MS;
	s->stream = new_stream_id();
	return s;
}

static void disconnect(struct tg_sink *s, int err)
{
	if (s->fd >= 0)
		close(s->fd);
	s->fd = -1;
	s->sent = 0;
	s->st.connected = 0;
	s->next_connect_ms = now_ms() + s->backoff_ms;
	s->backoff_ms = s->backoff_ms * 2 > RECONNECT_MAX_MS
				? RECONNECT_MAX_MS
				: s->backoff_ms * 2;
	if (err)
		snprintf(s->st.last_error, sizeof(s->st.last_error), "%s",
			 strerror(-err));
}

static void read_replies(struct tg_sink *s);

/*
 * A send failed: the collector may have said why before it closed (an error
 * frame, e.g. a refused uid). Read that first, so last_error names it.
 */
static void send_failed(struct tg_sink *s, int err)
{
	read_replies(s);
	if (s->fd >= 0)
		disconnect(s, err);
}

static void try_connect(struct tg_sink *s)
{
	int fd, err;

	if (s->fd >= 0 || now_ms() < s->next_connect_ms)
		return;
	fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0) {
		disconnect(s, -errno);
		return;
	}
	if (connect(fd, (struct sockaddr *)&s->sa, sizeof(s->sa)) < 0) {
		err = -errno;
		close(fd);
		disconnect(s, err);
		return;
	}
	s->fd = fd;
	s->sent = 0;
	s->st.connected = 1;
	/* Name the stream: the collector skips what it stored already. */
	err = tg_wire_send(fd, TG_FRAME_HELLO, 0, &s->stream,
			   sizeof(s->stream));
	if (err)
		send_failed(s, err);
}

/* Send queued frames not yet sent on this connection. */
static void pump(struct tg_sink *s)
{
	int err;

	while (s->fd >= 0 && s->sent < s->count) {
		struct frame *f = &s->q[(s->head + s->sent) % s->max];

		err = tg_wire_send(s->fd, TG_FRAME_EVENT, f->seq, f->data,
				   f->len);
		if (err == -EAGAIN)
			return;
		if (err) {
			send_failed(s, err);
			return;
		}
		s->sent++;
	}
}

static void ack_upto(struct tg_sink *s, __u64 seq)
{
	while (s->count && s->q[s->head].seq <= seq) {
		s->bytes -= s->q[s->head].len;
		free(s->q[s->head].data);
		s->q[s->head].data = NULL;
		s->head = (s->head + 1) % s->max;
		s->count--;
		if (s->sent)
			s->sent--;
		s->st.acked++;
	}
}

static void read_replies(struct tg_sink *s)
{
	char buf[TG_WIRE_MAX_FRAME];
	struct tg_frame_hdr h;
	const char *why;
	int reset = 0;
	ssize_t n;

	while (s->fd >= 0) {
		n = tg_wire_recv(s->fd, buf, &h, &why);
		if (n == -EAGAIN)
			return;
		/*
		 * A peer closing with our frames unread reports ECONNRESET
		 * once, ahead of what it sent before (its error frame).
		 */
		if (n == -ECONNRESET && !reset++)
			continue;
		if (n <= 0) {
			disconnect(s, n < 0 ? (int)n : -ECONNRESET);
			return;
		}
		if (h.type == TG_FRAME_ACK) {
			ack_upto(s, h.seq);
			s->backoff_ms = RECONNECT_MIN_MS;
		} else if (h.type == TG_FRAME_ERROR) {
			s->st.rejected++;
			snprintf(s->st.last_error, sizeof(s->st.last_error),
				 "collector: %.*s", (int)h.len,
				 buf + sizeof(h));
			/* A frame the collector refuses would be refused again.
			 */
			if (h.seq && s->count && s->q[s->head].seq == h.seq)
				ack_upto(s, h.seq);
			disconnect(s, 0);
		}
	}
}

int tg_sink_submit(struct tg_sink *s, const char *json, size_t len)
{
	struct frame *f;

	if (len > TG_WIRE_MAX_PAYLOAD) {
		s->st.dropped++;
		s->st.oversized++;
		return -EMSGSIZE;
	}
	if (s->count == s->max || s->bytes + len > TG_SINK_MAX_BYTES) {
		s->st.dropped++;
		return -ENOBUFS;
	}
	f = &s->q[(s->head + s->count) % s->max];
	f->data = malloc(len ? len : 1);
	if (!f->data) {
		s->st.dropped++;
		return -ENOMEM;
	}
	memcpy(f->data, json, len);
	f->len = (__u32)len;
	f->seq = s->next_seq++;
	s->count++;
	s->bytes += len;
	s->st.submitted++;
	try_connect(s);
	pump(s);
	return 0;
}

int tg_sink_fd(const struct tg_sink *s)
{
	return s->fd;
}

int tg_sink_process(struct tg_sink *s)
{
	read_replies(s);
	try_connect(s);
	pump(s);
	return s->fd >= 0 ? 0 : -ENOTCONN;
}

int tg_sink_flush(struct tg_sink *s, int timeout_ms)
{
	long long end = now_ms() + (timeout_ms > 0 ? timeout_ms : 0);
	struct pollfd p;

	for (;;) {
		tg_sink_process(s);
		if (!s->count || now_ms() >= end)
			break;
		p = (struct pollfd){.fd = s->fd, .events = POLLIN};
		poll(&p, s->fd >= 0 ? 1 : 0, 20);
	}
	return s->count ? -ETIMEDOUT : 0;
}

void tg_sink_stats(const struct tg_sink *s, struct tg_sink_stats *st)
{
	*st = s->st;
	st->queued = s->count;
}

void tg_sink_free(struct tg_sink *s)
{
	if (!s)
		return;
	ack_upto(s, ~0ULL);
	if (s->fd >= 0)
		close(s->fd);
	free(s->q);
	free(s);
}
