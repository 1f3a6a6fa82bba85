// SPDX-License-Identifier: GPL-2.0
/*
 * The agent's client of the collector: queue (in memory, then on disk),
 * send, resend until acked.
 */
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

#include "agentd/sink.h"
#include "common/clock.h"
#include "agentd/spool.h"
#include "common/peer.h"
#include "common/wire.h"

#define RECONNECT_MIN_MS 100
#define RECONNECT_MAX_MS 1000
#define SYNC_MS		 1000 /* spool made durable this often */
#define SPILL_CHUNK                                                            \
	1024 /* frames moved to the spool at a time: the                       \
	      * caller must not stall for long */

struct frame {
	__u64 seq;
	__u64 time_ns; /* CLOCK_REALTIME when queued */
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
	__u64 stream;	   /* this agent run's stream id */
	__u64 conn_stream; /* the stream this connection's HELLO named */
	struct tg_spool *spool;
	int through; /* every frame is written to the spool first */
	long long next_connect_ms;
	long long next_sync_ms;
	int backoff_ms; /* wait before the next connect attempt */
	/* The next frame to send: a batch of events, or one large event. */
	char *bbuf;
	size_t blen;
	__u64 bseq;		/* seq of its first event */
	__u32 bcount;		/* events in it, 0: none built */
	__u16 btype;		/* TG_FRAME_BATCH or TG_FRAME_EVENT */
	uid_t collector_uid;	/* the only listener trusted */
	tg_sink_judge_fn judge; /* and what else it must pass */
	void *judge_ctx;
	struct tg_peer refused_peer; /* the last listener refused */
	char refused_why[192];	     /* the judge's reason, "" for the uid */
	int refusing;		     /* the last connect was refused */
	struct tg_sink_stats st;
};

/* A stream id no other agent run picks; never 0. */
static __u64 new_stream_id(void)
{
	__u64 id = 0, now;

	/* Early at boot the pool may not be ready: never wait for it. */
	if (getrandom(&id, sizeof(id), GRND_NONBLOCK) != sizeof(id)) {
		now = (__u64)tg_clock_ns(CLOCK_REALTIME);
		id = ((now / 1000000000ULL) << 32) ^ (now % 1000000000ULL) ^
		     ((__u64)getpid() << 40);
	}
	return id ? id : 1;
}

struct tg_sink *tg_sink_new(const char *socket_path, size_t max_queue,
			    uid_t collector_uid)
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
	s->bbuf = malloc(TG_WIRE_MAX_PAYLOAD);
	if (!s->q || !s->bbuf) {
		free(s->q);
		free(s->bbuf);
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
	s->collector_uid = collector_uid;
	return s;
}

void tg_sink_set_judge(struct tg_sink *s, tg_sink_judge_fn judge, void *ctx)
{
	s->judge = judge;
	s->judge_ctx = ctx;
}

const struct tg_peer *tg_sink_refused_peer(const struct tg_sink *s,
					   const char **why)
{
	*why = s->refused_why[0] ? s->refused_why : NULL;
	return s->st.refused ? &s->refused_peer : NULL;
}

void tg_sink_set_spool(struct tg_sink *s, struct tg_spool *sp)
{
	s->spool = sp;
}

void tg_sink_spool_all(struct tg_sink *s, int on)
{
	s->through = on;
}

/* The stream to deliver now: an earlier run's left in the spool first. */
static __u64 want_stream(struct tg_sink *s)
{
	__u64 stream, seq, t;

	if (s->spool && !tg_spool_head(s->spool, &stream, &seq, &t))
		return stream;
	return s->stream;
}

static void disconnect(struct tg_sink *s, int err)
{
	if (s->fd >= 0)
		close(s->fd);
	s->fd = -1;
	s->sent = 0;
	s->bcount = 0;
	s->blen = 0;
	if (s->spool)
		tg_spool_rewind(s->spool);
	s->st.connected = 0;
	s->next_connect_ms = tg_now_ms() + s->backoff_ms;
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

/*
 * Whether the listener at the other end of fd is the collector's uid: 0, or
 * -EPERM (refused, counted, the reason in last_error).
 */
static int check_listener(struct tg_sink *s, int fd)
{
	struct tg_peer *p = &s->refused_peer;
	struct tg_peer was = *p;
	char why[sizeof(s->refused_why)] = "";
	int err;

	err = tg_peer_creds(fd, p);
	if (!err && p->uid == s->collector_uid &&
	    s->collector_uid != (uid_t)-1) {
		if (s->judge)
			tg_peer_cgroup(fd, p);
		if (!s->judge || !s->judge(s->judge_ctx, p, why, sizeof(why))) {
			s->refusing = 0;
			*p = was;
			return 0;
		}
		snprintf(s->st.last_error, sizeof(s->st.last_error),
			 "%s: listener uid %u (pid %d) refused: %s",
			 s->sa.sun_path, (unsigned int)p->uid, (int)p->pid,
			 why);
	} else if (err) {
		p->uid = (uid_t)-1;
		snprintf(
			s->st.last_error, sizeof(s->st.last_error),
			"%s: the listener's credentials cannot be read (%.64s): "
			"refused",
			s->sa.sun_path, strerror(-err));
	} else {
		tg_peer_cgroup(fd, p);
		if (s->collector_uid == (uid_t)-1)
			snprintf(s->st.last_error, sizeof(s->st.last_error),
				 "%s: listener uid %u refused: the collector's "
				 "user is unknown",
				 s->sa.sun_path, (unsigned int)p->uid);
		else
			snprintf(s->st.last_error, sizeof(s->st.last_error),
				 "%s: listener uid %u (pid %d) refused: the "
				 "collector's uid is %u",
				 s->sa.sun_path, (unsigned int)p->uid,
				 (int)p->pid, (unsigned int)s->collector_uid);
	}
	memcpy(s->refused_why, why, sizeof(why));
	s->st.refused++;
	if (!s->refusing || p->uid != was.uid || p->pid != was.pid)
		s->st.refusals++;
	s->refusing = 1;
	return -EPERM;
}

static void try_connect(struct tg_sink *s)
{
	int fd, err;

	if (s->fd >= 0 || tg_now_ms() < s->next_connect_ms)
		return;
	fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0) {
		disconnect(s, -errno);
		return;
	}
	if (connect(fd, (struct sockaddr *)&s->sa, sizeof(s->sa)) < 0) {
		err = -errno;
		close(fd);
		s->refusing = 0;
		disconnect(s, err);
		return;
	}
	/* Not the collector: nothing is sent to it, nothing read from it. */
	if (check_listener(s, fd)) {
		close(fd);
		disconnect(s, 0);
		return;
	}
	s->fd = fd;
	s->sent = 0;
	s->st.connected = 1;
	s->conn_stream = want_stream(s);
	/* Name the stream: the collector skips what it stored already. */
	err = tg_wire_send(fd, TG_FRAME_HELLO, 0, &s->conn_stream,
			   sizeof(s->conn_stream));
	if (err)
		send_failed(s, err);
}

/*
 * Add an event to the frame being built; -ENOSPC when it does not fit or
 * does not follow the last one. An event too large for a batch goes alone,
 * as an event frame.
 */
static int batch_add(struct tg_sink *s, __u64 seq, const char *data, __u32 len)
{
	__u32 rl = len;

	if (!s->bcount && len > TG_WIRE_MAX_PAYLOAD - TG_WIRE_RECORD_HDR) {
		memcpy(s->bbuf, data, len);
		s->blen = len;
		s->bseq = seq;
		s->bcount = 1;
		s->btype = TG_FRAME_EVENT;
		return 0;
	}
	if (s->bcount &&
	    (s->btype != TG_FRAME_BATCH || seq != s->bseq + s->bcount ||
	     s->blen + TG_WIRE_RECORD_HDR + len > TG_WIRE_MAX_PAYLOAD))
		return -ENOSPC;
	if (!s->bcount) {
		s->bseq = seq;
		s->btype = TG_FRAME_BATCH;
	}
	memcpy(s->bbuf + s->blen, &rl, sizeof(rl));
	memcpy(s->bbuf + s->blen + TG_WIRE_RECORD_HDR, data, len);
	s->blen += TG_WIRE_RECORD_HDR + len;
	s->bcount++;
	return 0;
}

/*
 * Build the next frame from what is not yet sent on this connection: spooled
 * records of its stream first, then (own stream) the memory queue. What goes
 * into it counts as sent.
 */
static void build(struct tg_sink *s)
{
	struct tg_spool_rec r;
	int err;

	if (s->spool) {
		while (!(err = tg_spool_peek(s->spool, &r))) {
			/* The next stream's records wait for their connection.
			 */
			if (r.stream != s->conn_stream ||
			    batch_add(s, r.seq, r.data, r.len))
				return;
			tg_spool_consume(s->spool);
		}
		if (err != -ENODATA) {
			snprintf(s->st.last_error, sizeof(s->st.last_error),
				 "spool: %s", strerror(-err));
			return;
		}
	}
	if (s->conn_stream != s->stream)
		return;
	while (s->sent < s->count) {
		struct frame *f = &s->q[(s->head + s->sent) % s->max];

		if (batch_add(s, f->seq, f->data, f->len))
			return;
		s->sent++;
	}
}

/* Send what is not yet sent on this connection, in order. */
static void pump(struct tg_sink *s)
{
	int err;

	while (s->fd >= 0) {
		if (!s->bcount)
			build(s);
		if (!s->bcount)
			return;
		err = tg_wire_send(s->fd, s->btype, s->bseq, s->bbuf,
				   (__u32)s->blen);
		if (err == -EAGAIN)
			return;
		if (err) {
			send_failed(s, err);
			return;
		}
		s->bcount = 0;
		s->blen = 0;
	}
}

static void pop_frame(struct tg_sink *s)
{
	s->bytes -= s->q[s->head].len;
	free(s->q[s->head].data);
	s->q[s->head].data = NULL;
	s->head = (s->head + 1) % s->max;
	s->count--;
}

/* Frames of this connection's stream up to seq are durable (or refused). */
static void ack_upto(struct tg_sink *s, __u64 seq)
{
	if (s->spool)
		s->st.acked += tg_spool_ack(s->spool, s->conn_stream, seq);
	if (s->conn_stream != s->stream)
		return;
	while (s->count && s->q[s->head].seq <= seq) {
		pop_frame(s);
		if (s->sent)
			s->sent--;
		s->st.acked++;
	}
}

/* The collector refused frame seq for good: acknowledge it if it is next. */
static void refused(struct tg_sink *s, __u64 seq)
{
	__u64 stream, head, t;

	if (s->spool && !tg_spool_head(s->spool, &stream, &head, &t)) {
		if (stream == s->conn_stream && head == seq)
			ack_upto(s, seq);
		return;
	}
	if (s->count && s->q[s->head].seq == seq)
		ack_upto(s, seq);
}

static void on_status(struct tg_sink *s, __u64 state, const char *why,
		      size_t len)
{
	struct tg_sink_stats *st = &s->st;

	if (state == TG_STATUS_STALLED && !st->stalled) {
		st->stalled = 1;
		st->stalled_since_ns = (__u64)tg_clock_ns(CLOCK_REALTIME);
		snprintf(st->stalled_why, sizeof(st->stalled_why), "%.*s",
			 (int)len, why);
	} else if (state == TG_STATUS_OK && st->stalled) {
		st->stalled = 0;
		st->stalls++;
		st->last_stall_since_ns = st->stalled_since_ns;
		st->last_stall_until_ns = (__u64)tg_clock_ns(CLOCK_REALTIME);
		memcpy(st->last_stall_why, st->stalled_why,
		       sizeof(st->last_stall_why));
	}
}

static void read_replies(struct tg_sink *s)
{
	char buf[TG_WIRE_MAX_FRAME];
	struct tg_frame_hdr h;
	char why[128];
	int reset = 0;
	ssize_t n;

	while (s->fd >= 0) {
		n = tg_wire_recv(s->fd, buf, &h, why, sizeof(why));
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
		} else if (h.type == TG_FRAME_STATUS) {
			on_status(s, h.seq, buf + sizeof(h), h.len);
		} else if (h.type == TG_FRAME_ERROR) {
			s->st.rejected++;
			snprintf(s->st.last_error, sizeof(s->st.last_error),
				 "collector: %.*s", (int)h.len,
				 buf + sizeof(h));
			/* A frame the collector refuses would be refused again.
			 */
			if (h.seq)
				refused(s, h.seq);
			disconnect(s, 0);
		}
	}
}

/*
 * Move up to max frames in memory to the spool tail, oldest first (the spool
 * holds only older ones). Those already sent stay in flight there.
 */
static int spill(struct tg_sink *s, size_t max)
{
	struct tg_spool_rec r;
	struct frame *f;
	int err = 0;

	while (s->count && max--) {
		f = &s->q[s->head];
		err = tg_spool_append(s->spool, s->stream, f->seq, f->time_ns,
				      f->data, f->len);
		if (err)
			break;
		s->st.spooled++;
		pop_frame(s);
		/* Sent frames follow every spooled record: mark them read. */
		if (s->sent) {
			s->sent--;
			if (!tg_spool_peek(s->spool, &r))
				tg_spool_consume(s->spool);
		}
	}
	return err;
}

static int drop(struct tg_sink *s, int err)
{
	s->st.dropped++;
	if (!s->spool)
		s->st.dropped_queue_full++;
	else if (err == -ENOSPC)
		s->st.dropped_spool_full++;
	else
		s->st.dropped_spool_error++;
	return s->spool && err != -ENOSPC ? -EIO : -ENOBUFS;
}

static int to_spool(struct tg_sink *s, const char *json, size_t len, __u64 now)
{
	int err = tg_spool_append(s->spool, s->stream, s->next_seq, now, json,
				  (__u32)len);

	if (!err) {
		s->next_seq++;
		s->st.spooled++;
	}
	return err;
}

static int mem_full(const struct tg_sink *s, size_t len)
{
	return s->count == s->max || s->bytes + len > TG_SINK_MAX_BYTES;
}

int tg_sink_submit(struct tg_sink *s, const char *json, size_t len)
{
	__u64 now = (__u64)tg_clock_ns(CLOCK_REALTIME);
	struct frame *f;
	int err = 0;

	if (len > TG_WIRE_MAX_PAYLOAD) {
		s->st.dropped++;
		s->st.oversized++;
		return -EMSGSIZE;
	}
	/*
	 * Once older frames wait on disk, new ones follow them there (all of
	 * them do when spooling every frame); when the spool is full they
	 * wait in memory (always after the spool's).
	 */
	if (s->spool && !s->count &&
	    (s->through || tg_spool_unread(s->spool)) &&
	    !(err = to_spool(s, json, len, now)))
		goto out_sent;
	if (mem_full(s, len)) {
		if (!s->spool)
			return drop(s, -ENOBUFS);
		/* Make room by moving the oldest to disk, a chunk at a time. */
		while (!err && s->count && mem_full(s, len))
			err = spill(s, SPILL_CHUNK);
		if (mem_full(s, len))
			return drop(s, err ?: -ENOSPC);
	}
	f = &s->q[(s->head + s->count) % s->max];
	f->data = malloc(len ? len : 1);
	if (!f->data) {
		s->st.dropped++;
		s->st.nomem++;
		return -ENOMEM;
	}
	memcpy(f->data, json, len);
	f->len = (__u32)len;
	f->time_ns = now;
	f->seq = s->next_seq++;
	s->count++;
	s->bytes += len;
out_sent:
	s->st.submitted++;
	/*
	 * Sent by the next tg_sink_process: events taken in one go leave in
	 * batches.
	 */
	return 0;
}

int tg_sink_fd(const struct tg_sink *s)
{
	return s->fd;
}

int tg_sink_process(struct tg_sink *s)
{
	long long now = tg_now_ms();

	read_replies(s);
	/* An earlier run's records are all acked: on to the next stream. */
	if (s->fd >= 0 && s->conn_stream != want_stream(s)) {
		disconnect(s, 0);
		s->backoff_ms = RECONNECT_MIN_MS;
		s->next_connect_ms = 0;
	}
	try_connect(s);
	if (s->spool) {
		/* Unreachable collector: keep what waits on disk. */
		if (s->fd < 0 && s->count)
			spill(s, SPILL_CHUNK);
		if (now >= s->next_sync_ms) {
			tg_spool_sync(s->spool);
			s->next_sync_ms = now + SYNC_MS;
		}
	}
	pump(s);
	return s->fd >= 0 ? 0 : -ENOTCONN;
}

int tg_sink_has_room(const struct tg_sink *s)
{
	/* As tg_sink_submit would place a report (about 1 KiB). */
	return !mem_full(s, 1024) ||
	       (s->spool && tg_spool_has_room(s->spool, 1024));
}

int tg_sink_flush(struct tg_sink *s, int timeout_ms)
{
	long long end = tg_now_ms() + (timeout_ms > 0 ? timeout_ms : 0);
	struct pollfd p;
	int left;

	for (;;) {
		tg_sink_process(s);
		left = s->count || (s->spool && tg_spool_records(s->spool));
		if (!left || tg_now_ms() >= end)
			break;
		p = (struct pollfd){.fd = s->fd, .events = POLLIN};
		poll(&p, s->fd >= 0 ? 1 : 0, 20);
	}
	return left ? -ETIMEDOUT : 0;
}

void tg_sink_stats(const struct tg_sink *s, struct tg_sink_stats *st)
{
	__u64 stream, seq, t;

	*st = s->st;
	st->queued = s->count;
	st->oldest_ns = s->count ? s->q[s->head].time_ns : 0;
	if (s->spool) {
		st->spool_records = tg_spool_records(s->spool);
		st->spool_bytes = tg_spool_bytes(s->spool);
		if (!tg_spool_head(s->spool, &stream, &seq, &t))
			st->oldest_ns = t;
	}
}

size_t tg_sink_save(struct tg_sink *s)
{
	if (s->spool)
		spill(s, s->count);
	return s->count;
}

void tg_sink_free(struct tg_sink *s)
{
	if (!s)
		return;
	if (s->spool) {
		spill(s, s->count);
		tg_spool_close(s->spool);
	}
	while (s->count)
		pop_frame(s);
	if (s->fd >= 0)
		close(s->fd);
	free(s->q);
	free(s->bbuf);
	free(s);
}

void tg_sink_position(const struct tg_sink *s, __u64 *stream, __u64 *seq)
{
	*stream = s->stream;
	*seq = s->next_seq ? s->next_seq - 1 : 0;
}
