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

#define BATCH_FRAMES 256	/* frames read from one client per round */
#define JSON_MAX_DEPTH 8

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
			used |= c->clients[i].fd >= 0 && c->clients[i].stream == s;
		if (!used) {
			s->id = id;
			s->last_seq = 0;
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
	__u64 id, seq;

	if (!c->log.last_line)
		return;
	o = json_tokener_parse(c->log.last_line);
	if (o && json_object_object_get_ex(o, "agent_stream", &v) &&
	    sscanf(json_object_get_string(v), "%16llx", (unsigned long long *)&id) == 1 &&
	    json_object_object_get_ex(o, "agent_seq", &v)) {
		seq = (__u64)json_object_get_int64(v);
		s = find_stream(c, id);
		if (s)
			s->last_seq = seq;
	}
	json_object_put(o);
}

int tg_collector_open(struct tg_collector *c, const char *socket_path,
		      const char *log_path, uid_t agent_uid, off_t rotate_size,
		      unsigned int rotate_keep, const char **what)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct stat st;
	int i, err;

	for (i = 0; i < TG_COLLECTOR_MAX_CLIENTS; i++)
		c->clients[i].fd = -1;
	c->listen_fd = -1;
	c->agent_uid = agent_uid;
	if (strlen(socket_path) >= sizeof(sa.sun_path)) {
		*what = socket_path;
		return -ENAMETOOLONG;
	}
	snprintf(c->socket_path, sizeof(c->socket_path), "%s", socket_path);
	strcpy(sa.sun_path, socket_path);
	*what = log_path;
	err = tg_eventlog_open(&c->log, log_path, rotate_size, rotate_keep);
	if (err)
		return err;
	seed_streams(c);
	*what = socket_path;
	/* Replace a stale socket, never anything else. */
	if (lstat(socket_path, &st) == 0) {
		if (!S_ISSOCK(st.st_mode)) {
			err = -EEXIST;
			goto out_close_log;
		}
		unlink(socket_path);
	}
	c->listen_fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (c->listen_fd < 0) {
		err = -errno;
		goto out_close_log;
	}
	if (bind(c->listen_fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		err = -errno;
		goto out_close_sock;
	}
	if (chmod(socket_path, 0660) < 0 || listen(c->listen_fd, 16) < 0) {
		err = -errno;
		goto out_unlink;
	}
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

static void accept_clients(struct tg_collector *c)
{
	struct ucred cred;
	socklen_t len = sizeof(cred);
	char why[64];
	int fd, i;

	while ((fd = accept4(c->listen_fd, NULL, NULL,
			     SOCK_CLOEXEC | SOCK_NONBLOCK)) >= 0) {
		if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) < 0 ||
		    cred.uid != c->agent_uid) {
			snprintf(why, sizeof(why), "peer uid %u not allowed",
				 (unsigned int)cred.uid);
			tg_wire_send(fd, TG_FRAME_ERROR, 0, why, (__u32)strlen(why));
			warnf(c, "rejected peer pid %d: %s", (int)cred.pid, why);
			c->rejected_peers++;
			close(fd);
			continue;
		}
		for (i = 0; i < TG_COLLECTOR_MAX_CLIENTS; i++)
			if (c->clients[i].fd < 0)
				break;
		if (i == TG_COLLECTOR_MAX_CLIENTS) {
			tg_wire_send(fd, TG_FRAME_ERROR, 0, "too many clients", 16);
			warnf(c, "rejected peer pid %d: too many clients",
			      (int)cred.pid);
			close(fd);
			continue;
		}
		c->clients[i] = (struct tg_collector_client){ .fd = fd,
							      .uid = cred.uid };
	}
}

/* Append one event frame's payload; returns 0 or a reason for rejecting. */
static const char *take_event(struct tg_collector *c,
			      struct tg_collector_client *cl,
			      const struct tg_frame_hdr *h, const char *payload,
			      int *fatal)
{
	struct json_tokener *tok;
	struct json_object *o;
	__u64 seq;
	int err;

	*fatal = 0;
	if (h->type == TG_FRAME_HELLO) {
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
	if (h->type != TG_FRAME_EVENT)
		return "only hello and event frames are accepted";
	if (!cl->hello)
		return "expected hello first";
	if ((cl->last_seq && h->seq != cl->last_seq + 1) ||
	    (!cl->last_seq && cl->stream->last_seq &&
	     h->seq > cl->stream->last_seq + 1))
		return "frame out of order";
	cl->last_seq = h->seq;
	if (h->seq <= cl->stream->last_seq) {
		/* Resent after a lost ack: stored already, ack it again. */
		c->duplicates++;
		cl->ack_pending = cl->stream->last_seq;
		return NULL;
	}
	tok = json_tokener_new_ex(JSON_MAX_DEPTH);
	if (!tok)
		return "out of memory";
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT | JSON_TOKENER_VALIDATE_UTF8);
	o = json_tokener_parse_ex(tok, payload, (int)h->len);
	if (o && json_tokener_get_parse_end(tok) != h->len) {
		json_object_put(o);
		o = NULL;
	}
	json_tokener_free(tok);
	if (!o || !json_object_is_type(o, json_type_object)) {
		json_object_put(o);
		cl->stream->last_seq = h->seq;	/* consumed: never resent */
		return "payload is not one JSON object";
	}
	if (json_object_object_get_ex(o, "seq", NULL) ||
	    json_object_object_get_ex(o, "agent_stream", NULL) ||
	    json_object_object_get_ex(o, "agent_seq", NULL)) {
		json_object_put(o);
		cl->stream->last_seq = h->seq;	/* consumed: never resent */
		return "payload must not carry seq, agent_stream or agent_seq";
	}
	{
		char sid[20];

		snprintf(sid, sizeof(sid), "%016llx", (unsigned long long)cl->stream->id);
		json_object_object_add(o, "agent_stream", json_object_new_string(sid));
		json_object_object_add(o, "agent_seq", json_object_new_int64((int64_t)h->seq));
	}
	err = tg_eventlog_append(&c->log, o, &seq);
	json_object_put(o);
	if (err) {
		/* The log is failing (disk full?): not the peer's fault. */
		warnf(c, "cannot append to %s: %s", c->log.path, strerror(-err));
		*fatal = 1;
		return NULL;
	}
	cl->stream->last_seq = h->seq;
	cl->ack_pending = h->seq;
	c->stored++;
	return NULL;
}

/* Read and store what one client sent; 1 if the log failed. */
static int serve_client(struct tg_collector *c, struct tg_collector_client *cl)
{
	static char buf[TG_WIRE_MAX_FRAME + 1];
	struct tg_frame_hdr h;
	const char *why;
	int i, fatal = 0;
	ssize_t n;

	for (i = 0; i < BATCH_FRAMES && cl->fd >= 0; i++) {
		n = recv(cl->fd, buf, sizeof(buf), MSG_DONTWAIT | MSG_TRUNC);
		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			break;
		if (n <= 0) {
			drop_client(cl);
			break;
		}
		if ((size_t)n > TG_WIRE_MAX_FRAME) {
			reject(c, cl, 0, "frame too large");
			break;
		}
		if (tg_wire_check(buf, (size_t)n, &h, &why)) {
			reject(c, cl, 0, why);
			break;
		}
		why = take_event(c, cl, &h, buf + sizeof(h), &fatal);
		if (why)
			reject(c, cl, h.seq, why);
		if (fatal) {
			/*
			 * The frame is consumed but not stored: drop the peer
			 * once what it had stored is acked, so that it
			 * reconnects and resends from its last ack.
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
	int i;

	for (i = 0; i < TG_COLLECTOR_MAX_CLIENTS; i++) {
		struct tg_collector_client *cl = &c->clients[i];

		if (cl->fd < 0)
			continue;
		if ((cl->ack_pending || cl->ack_always) &&
		    tg_wire_send(cl->fd, TG_FRAME_ACK, cl->ack_pending, NULL, 0) == 0)
			cl->ack_pending = cl->ack_always = 0;
		if (cl->drop_after_ack)
			drop_client(cl);
	}
}

int tg_collector_run(struct tg_collector *c, int stop_fd)
{
	struct pollfd p[TG_COLLECTOR_MAX_CLIENTS + 2];
	int i, n, err, log_failed = 0;

	for (;;) {
		p[0] = (struct pollfd){ .fd = stop_fd, .events = POLLIN };
		p[1] = (struct pollfd){ .fd = c->listen_fd, .events = POLLIN };
		for (i = 0; i < TG_COLLECTOR_MAX_CLIENTS; i++)
			p[i + 2] = (struct pollfd){ .fd = log_failed ? -1 :
							c->clients[i].fd,
						    .events = POLLIN };
		/* After a failed write, retry once a second (disk full). */
		n = poll(p, TG_COLLECTOR_MAX_CLIENTS + 2, log_failed ? 1000 : -1);
		if (n < 0 && errno != EINTR)
			return -errno;
		if (p[0].revents)
			break;
		if (p[1].revents)
			accept_clients(c);
		log_failed = 0;
		for (i = 0; i < TG_COLLECTOR_MAX_CLIENTS; i++)
			if (c->clients[i].fd >= 0 &&
			    (p[i + 2].revents || p[i + 2].fd < 0))
				log_failed |= serve_client(c, &c->clients[i]);
		err = tg_eventlog_commit(&c->log);
		if (err) {
			warnf(c, "cannot commit %s: %s", c->log.path, strerror(-err));
			log_failed = 1;
			continue;
		}
		send_acks(c);
	}
	err = tg_eventlog_commit(&c->log);
	if (!err)
		send_acks(c);
	return err;
}

void tg_collector_close(struct tg_collector *c)
{
	int i;

	for (i = 0; i < TG_COLLECTOR_MAX_CLIENTS; i++)
		if (c->clients[i].fd >= 0)
			drop_client(&c->clients[i]);
	if (c->listen_fd >= 0) {
		close(c->listen_fd);
		unlink(c->socket_path);
	}
	c->listen_fd = -1;
	tg_eventlog_close(&c->log);
}
