// SPDX-License-Identifier: GPL-2.0
/*
 * The collector's server: accepts the agent on a SOCK_SEQPACKET unix socket,
 * appends its events to the log in group commits and acknowledges each
 * client's highest seq once it is durable.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <json-c/json.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "collector.h"
#include "wire.h"

#define BATCH_FRAMES   256  /* frames read from one client per round */
#define JSON_MAX_DEPTH 8    /* nesting accepted in an event payload */
#define RETRY_MS       1000 /* pause after the log failed */

static void warnf(struct tg_collector *c, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void warnf(struct tg_collector *c, const char *fmt, ...)
{
	char msg[256];
	va_list ap;

	if (!c->warn)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	c->warn(msg);
}

static struct tg_collector_stream *find_stream(struct tg_collector *c, __u64 id)
{
	unsigned int i, k;
	int used;

	for (i = 0; i < TG_COLLECTOR_STREAMS; i++)
		if (c->streams[i].id == id)
			return &c->streams[i];
	/* A new stream takes the next slot no connected client is using. */
	for (k = 0; k < TG_COLLECTOR_STREAMS; k++) {
		struct tg_collector_stream *s;

		s = &c->streams[c->next_stream++ % TG_COLLECTOR_STREAMS];
		used = 0;
		for (i = 0; i < TG_COLLECTOR_MAX_CLIENTS; i++)
			used |= c->clients[i].fd >= 0 &&
				c->clients[i].stream == s;
		if (!used) {
			*s = (struct tg_collector_stream){.id = id};
			return s;
		}
	}
	return NULL;
}

/* Remember where the last stored event's stream stood (crash recovery). */
static void seed_streams(struct tg_collector *c)
{
	struct json_object *o, *v;
	struct tg_collector_stream *s;
	const char *sid;
	char *end = NULL;
	__u64 id;

	if (!c->log.last_line)
		return;
	o = json_tokener_parse(c->log.last_line);
	if (!o || !json_object_object_get_ex(o, "agent_stream", &v) ||
	    !json_object_is_type(v, json_type_string))
		goto out_put;
	sid = json_object_get_string(v);
	id = strtoull(sid, &end, 16);
	if (!id || *end || !json_object_object_get_ex(o, "agent_seq", &v) ||
	    !json_object_is_type(v, json_type_int))
		goto out_put;
	s = find_stream(c, id);
	if (s)
		s->last_seq = s->durable_seq = (__u64)json_object_get_int64(v);
out_put:
	json_object_put(o);
}

/* Unlink a socket file no collector listens on; never anything else. */
static int remove_stale_socket(const struct sockaddr_un *sa)
{
	struct stat st;
	int fd, err = 0;

	if (lstat(sa->sun_path, &st) < 0)
		return errno == ENOENT ? 0 : -errno;
	if (!S_ISSOCK(st.st_mode))
		return -EEXIST;
	fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return -errno;
	if (connect(fd, (const struct sockaddr *)sa, sizeof(*sa)) == 0 ||
	    errno == EAGAIN)
		err = -EADDRINUSE;
	else if (errno != ECONNREFUSED)
		err = -errno; /* e.g. another program's stream socket */
	else if (unlink(sa->sun_path) < 0)
		err = -errno;
	close(fd);
	return err;
}

int tg_collector_open(struct tg_collector *c, const char *socket_path,
		      const char *log_path, uid_t agent_uid, off_t rotate_size,
		      unsigned int rotate_keep, const char **what)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	struct stat st;
	int i, err = 0;

	for (i = 0; i < TG_COLLECTOR_MAX_CLIENTS; i++)
		c->clients[i].fd = -1;
	c->listen_fd = -1;
	c->agent_uid = agent_uid;
	*what = socket_path;
	if (strlen(socket_path) >= sizeof(sa.sun_path))
		return -ENAMETOOLONG;
	snprintf(c->socket_path, sizeof(c->socket_path), "%s", socket_path);
	strcpy(sa.sun_path, socket_path);
	/*
	 * The log first: its lock admits one collector, so a second one stops
	 * here. Between bind and listen a starting collector's socket looks
	 * stale (connect is refused): checked first, it would be replaced.
	 */
	*what = log_path;
	err = tg_eventlog_open(&c->log, log_path, rotate_size, rotate_keep);
	if (err)
		return err;
	*what = socket_path;
	err = remove_stale_socket(&sa);
	if (err)
		goto out_close_log;
	c->listen_fd = socket(AF_UNIX,
			      SOCK_SEQPACKET | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (c->listen_fd < 0) {
		err = -errno;
		goto out_close_log;
	}
	if (bind(c->listen_fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		err = -errno;
		goto out_close_sock;
	}
	if (lstat(socket_path, &st) < 0) {
		err = -errno;
		goto out_unlink;
	}
	c->sock_dev = st.st_dev;
	c->sock_ino = st.st_ino;
	if (chmod(socket_path, 0660) < 0 ||
	    listen(c->listen_fd, TG_COLLECTOR_MAX_CLIENTS) < 0) {
		err = -errno;
		goto out_unlink;
	}
	seed_streams(c);
	return 0;

out_unlink:
	unlink(socket_path);
out_close_sock:
	close(c->listen_fd);
	c->listen_fd = -1;
out_close_log:
	tg_eventlog_close(&c->log);
	return err;
}

static void drop_client(struct tg_collector_client *cl)
{
	close(cl->fd);
	cl->fd = -1;
}

/* Tell the peer why it is being dropped, then drop it. */
static void reject(struct tg_collector *c, struct tg_collector_client *cl,
		   __u64 seq, const char *why)
{
	tg_wire_send(cl->fd, TG_FRAME_ERROR, seq, why, (__u32)strlen(why));
	warnf(c, "dropping client (uid %u): %s", (unsigned int)cl->uid, why);
	c->rejected_frames++;
	drop_client(cl);
}

/* Refuse a connection before it becomes a client. */
static void refuse(struct tg_collector *c, int fd, pid_t pid, const char *why)
{
	tg_wire_send(fd, TG_FRAME_ERROR, 0, why, (__u32)strlen(why));
	warnf(c, "rejected peer pid %d: %s", (int)pid, why);
	c->rejected_peers++;
	close(fd);
}

static void accept_clients(struct tg_collector *c)
{
	char why[64];
	int fd, i;

	while ((fd = accept4(c->listen_fd, NULL, NULL,
			     SOCK_CLOEXEC | SOCK_NONBLOCK)) >= 0) {
		struct ucred cred = {.uid = (uid_t)-1};
		socklen_t len = sizeof(cred);

		if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) < 0) {
			refuse(c, fd, 0, "peer credentials unknown");
			continue;
		}
		if (cred.uid != c->agent_uid) {
			snprintf(why, sizeof(why), "peer uid %u not allowed",
				 (unsigned int)cred.uid);
			refuse(c, fd, cred.pid, why);
			continue;
		}
		for (i = 0; i < TG_COLLECTOR_MAX_CLIENTS; i++)
			if (c->clients[i].fd < 0)
				break;
		if (i == TG_COLLECTOR_MAX_CLIENTS) {
			refuse(c, fd, cred.pid, "too many clients");
			continue;
		}
		c->clients[i] =
			(struct tg_collector_client){.fd = fd, .uid = cred.uid};
	}
}

static const char *take_hello(struct tg_collector *c,
			      struct tg_collector_client *cl,
			      const char *payload)
{
	__u64 id;

	if (cl->hello)
		return "second hello";
	memcpy(&id, payload, sizeof(id));
	cl->stream = find_stream(c, id);
	if (!cl->stream)
		return "too many streams";
	cl->hello = 1;
	/* Tell the agent what is stored already (may be 0). */
	cl->ack_pending = cl->stream->last_seq;
	cl->ack_always = 1;
	return NULL;
}

/* The payload as a JSON object (strict, bounded depth, UTF-8), or NULL. */
static struct json_object *parse_event(const char *payload, __u32 len)
{
	struct json_tokener *tok = json_tokener_new_ex(JSON_MAX_DEPTH);
	struct json_object *o;

	if (!tok)
		return NULL;
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT |
					    JSON_TOKENER_VALIDATE_UTF8);
	o = json_tokener_parse_ex(tok, payload, (int)len);
	if (o && (json_tokener_get_parse_end(tok) != len ||
		  !json_object_is_type(o, json_type_object))) {
		json_object_put(o);
		o = NULL;
	}
	json_tokener_free(tok);
	return o;
}

/*
 * Store one event frame; NULL or why it is refused, with *refused its seq if
 * it is refused for good. *fatal when the log failed: the frame is consumed
 * but not stored.
 */
static const char *take_event(struct tg_collector *c,
			      struct tg_collector_client *cl,
			      const struct tg_frame_hdr *h, const char *payload,
			      __u64 *refused, int *fatal)
{
	struct tg_collector_stream *s = cl->stream;
	const char *why = NULL;
	struct json_object *o;
	char sid[20];
	__u64 seq;
	int err;

	/*
	 * Within a connection seqs go up by one, but may skip frames the
	 * stream holds already: the agent drops what an ack (the HELLO's)
	 * covers, also frames it has not resent yet. The first frame may have
	 * any seq: the agent resends from its oldest unacked frame, and a
	 * frame between that and what the log holds may have been refused for
	 * good.
	 */
	if (cl->last_seq &&
	    (h->seq <= cl->last_seq ||
	     (h->seq != cl->last_seq + 1 && h->seq > s->last_seq + 1)))
		return "frame out of order";
	cl->last_seq = h->seq;
	if (h->seq <= s->last_seq) {
		/* Resent after a lost ack: stored already, ack it again. */
		c->duplicates++;
		cl->ack_pending = s->last_seq;
		return NULL;
	}
	o = parse_event(payload, h->len);
	if (!o)
		why = "payload is not one JSON object";
	else if (json_object_object_get_ex(o, "seq", NULL) ||
		 json_object_object_get_ex(o, "agent_stream", NULL) ||
		 json_object_object_get_ex(o, "agent_seq", NULL))
		why = "payload must not carry seq, agent_stream or agent_seq";
	if (why)
		goto out_consumed;
	snprintf(sid, sizeof(sid), "%016llx", (unsigned long long)s->id);
	json_object_object_add(o, "agent_stream", json_object_new_string(sid));
	json_object_object_add(o, "agent_seq",
			       json_object_new_int64((int64_t)h->seq));
	err = tg_eventlog_append(&c->log, o, &seq);
	json_object_put(o);
	o = NULL;
	if (err == -EINVAL)
		why = "payload holds a number JSON cannot express";
	else if (err == -E2BIG)
		why = "event too large for the log";
	if (why)
		goto out_consumed;
	if (err) {
		/* The log is failing (disk full?): not the peer's fault. */
		warnf(c, "cannot append to %s: %s", c->log.path,
		      strerror(-err));
		*fatal = 1;
		return NULL;
	}
	s->last_seq = h->seq;
	cl->ack_pending = h->seq;
	c->stored++;
	return NULL;

out_consumed:
	/* Refused for good: a resend is acked, never stored. */
	s->last_seq = h->seq;
	*refused = h->seq;
	json_object_put(o);
	return why;
}

static const char *take_frame(struct tg_collector *c,
			      struct tg_collector_client *cl,
			      const struct tg_frame_hdr *h, const char *payload,
			      __u64 *refused, int *fatal)
{
	if (h->type == TG_FRAME_HELLO)
		return take_hello(c, cl, payload);
	if (h->type != TG_FRAME_EVENT)
		return "only hello and event frames are accepted";
	if (!cl->hello)
		return "expected hello first";
	return take_event(c, cl, h, payload, refused, fatal);
}

/* Read and store what one client sent; 1 if the log failed. */
static int serve_client(struct tg_collector *c, struct tg_collector_client *cl)
{
	static char buf[TG_WIRE_MAX_FRAME];
	struct tg_frame_hdr h;
	const char *why = NULL;
	int i, fatal = 0;
	__u64 refused = 0;
	ssize_t n;

	for (i = 0; i < BATCH_FRAMES && cl->fd >= 0 && !cl->drop_after_ack;
	     i++) {
		n = tg_wire_recv(cl->fd, buf, &h, &why);
		if (n == -EAGAIN)
			break;
		if (n == -EBADMSG || n == -EMSGSIZE) {
			reject(c, cl, 0, why);
			break;
		}
		if (n <= 0) {
			drop_client(cl);
			break;
		}
		/*
		 * The error frame names the frame only if it is refused for
		 * good: the agent then stops resending it. Any other frame
		 * (out of order, before HELLO) stays the agent's to resend.
		 */
		why = take_frame(c, cl, &h, buf + sizeof(h), &refused, &fatal);
		if (why) {
			reject(c, cl, refused, why);
			break;
		}
		if (fatal) {
			/*
			 * Read no more from it: drop it once what it had
			 * stored is acked, so that it reconnects and resends
			 * from its last ack.
			 */
			cl->drop_after_ack = 1;
			return 1;
		}
	}
	return 0;
}

/* After a durable commit, acknowledge what each client had appended. */
static void send_acks(struct tg_collector *c)
{
	int i, err;

	for (i = 0; i < TG_COLLECTOR_MAX_CLIENTS; i++) {
		struct tg_collector_client *cl = &c->clients[i];

		if (cl->fd < 0)
			continue;
		if (cl->ack_pending || cl->ack_always) {
			/* -EAGAIN: sent when the socket is writable again. */
			err = tg_wire_send(cl->fd, TG_FRAME_ACK,
					   cl->ack_pending, NULL, 0);
			if (!err)
				cl->ack_pending = cl->ack_always = 0;
			else if (err != -EAGAIN)
				cl->drop_after_ack = 1;
		}
		if (cl->drop_after_ack)
			drop_client(cl);
	}
}

/*
 * Make the round durable, then rotate if due. When the commit fails the log
 * drops what was not durable: forget it here too, and drop the clients that
 * sent it so that they resend it.
 */
static int commit(struct tg_collector *c)
{
	int i, err = tg_eventlog_commit(&c->log);

	if (err) {
		warnf(c, "cannot commit %s: %s", c->log.path, strerror(-err));
		for (i = 0; i < TG_COLLECTOR_MAX_CLIENTS; i++) {
			struct tg_collector_client *cl = &c->clients[i];

			if (cl->fd >= 0 && cl->stream &&
			    cl->stream->last_seq != cl->stream->durable_seq)
				drop_client(cl);
		}
		for (i = 0; i < TG_COLLECTOR_STREAMS; i++)
			c->streams[i].last_seq = c->streams[i].durable_seq;
		return err;
	}
	for (i = 0; i < TG_COLLECTOR_STREAMS; i++)
		c->streams[i].durable_seq = c->streams[i].last_seq;
	err = tg_eventlog_rotate(&c->log);
	if (err && err != c->rotate_err)
		warnf(c, "cannot rotate %s: %s", c->log.path, strerror(-err));
	c->rotate_err = err;
	return 0;
}

int tg_collector_run(struct tg_collector *c, int stop_fd)
{
	struct pollfd p[TG_COLLECTOR_MAX_CLIENTS + 2];
	int i, n, failed, paused = 0, err = 0;

	for (;;) {
		p[0] = (struct pollfd){.fd = stop_fd, .events = POLLIN};
		p[1] = (struct pollfd){.fd = c->listen_fd, .events = POLLIN};
		for (i = 0; i < TG_COLLECTOR_MAX_CLIENTS; i++) {
			struct tg_collector_client *cl = &c->clients[i];

			p[i + 2] = (struct pollfd){
				.fd = paused ? -1 : cl->fd,
				.events = POLLIN |
					  (cl->ack_pending || cl->ack_always
						   ? POLLOUT
						   : 0),
			};
		}
		/* After the log failed (disk full?), retry once a second. */
		n = poll(p, TG_COLLECTOR_MAX_CLIENTS + 2,
			 paused ? RETRY_MS : -1);
		if (n < 0 && errno != EINTR)
			return -errno;
		if (p[0].revents)
			break;
		if (p[1].revents)
			accept_clients(c);
		failed = 0;
		for (i = 0; i < TG_COLLECTOR_MAX_CLIENTS; i++)
			if (c->clients[i].fd >= 0 &&
			    (p[i + 2].revents || paused))
				failed |= serve_client(c, &c->clients[i]);
		if (commit(c))
			failed = 1;
		else
			send_acks(c);
		if (c->log.broken)
			return c->log.broken;
		paused = failed;
	}
	err = commit(c);
	if (!err)
		send_acks(c);
	return err;
}

void tg_collector_close(struct tg_collector *c)
{
	struct stat st;
	int i;

	for (i = 0; i < TG_COLLECTOR_MAX_CLIENTS; i++)
		if (c->clients[i].fd >= 0)
			drop_client(&c->clients[i]);
	if (c->listen_fd >= 0) {
		/*
		 * Still listening, so that a collector starting meanwhile
		 * leaves the file alone; and only if it is still ours.
		 */
		if (lstat(c->socket_path, &st) == 0 &&
		    st.st_dev == c->sock_dev && st.st_ino == c->sock_ino)
			unlink(c->socket_path);
		close(c->listen_fd);
	}
	c->listen_fd = -1;
	tg_eventlog_close(&c->log);
}
