// SPDX-License-Identifier: GPL-2.0
/*
 * The stored events, served over the control socket to callers that may
 * not read the collector's log (it stays the collector's and root's): a
 * short-lived process per request reads the log and its rotated files,
 * keeps what the caller's view and filters let through, and streams it as
 * JSON lines, following the log until the caller goes away if asked. The
 * poll loop never waits for a reader; the collector never learns roles.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "agentd/agent.h"
#include "common/chain.h"
#include "common/control.h"
#include "common/event_filter.h"
#include "common/log.h"
#include "common/privileges.h"
#include "common/logread.h"
#include "common/roles.h"

#define STREAM_FD 3 /* the caller's socket in the serving process */

/* What one serving process needs. */
struct stream {
	const struct tg_view *view;
	struct tg_event_filter filter;
	int follow;
	struct tg_event_tail tail; /* the last lines, until caught up */
	int caught_up;		   /* the tail was sent */
	int chain; /* report --chain: the others' lines as hashes */
};

static int send_all(int fd, const char *s, size_t n)
{
	ssize_t w;

	while (n) {
		w = send(fd, s, n, MSG_NOSIGNAL);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return -errno;
		s += w;
		n -= (size_t)w;
	}
	return 0;
}

static int send_line(void *ctx, const char *line, size_t len)
{
	(void)ctx;
	return send_all(STREAM_FD, line, len) ?: send_all(STREAM_FD, "\n", 1);
}

/*
 * report --chain, a line the caller does not get: an anchor (a checkpoint,
 * the collector's start of a chain: no tenant's) or a notice (the
 * collector's record of a change behind it) in full, any other only as its
 * hash (common/chain.h).
 */
static int send_chained(const char *line, size_t len)
{
	char stub[TG_CHAIN_STUB_MAX];
	int n;

	if (tg_chain_is_anchor(line, len) || tg_chain_is_notice(line, len))
		return send_all(STREAM_FD, line, len) ||
				       send_all(STREAM_FD, "\n", 1)
			       ? -ECANCELED
			       : 0;
	n = tg_chain_stub(line, len, stub);
	if (n < 0)
		return 0;
	stub[n] = '\n';
	return send_all(STREAM_FD, stub, (size_t)n + 1) ? -ECANCELED : 0;
}

/*
 * A stored line: sent if the view and the filters let it through (kept
 * with the last lines instead, when only those are asked for, until the
 * reading caught up).
 */
static int on_line(void *ctx, const char *file, unsigned long n,
		   const char *line, size_t len)
{
	struct stream *st = ctx;
	struct json_tokener *tok;
	struct json_object *ev;
	int err = 0, keep;

	if (!len)
		return 0;
	tok = json_tokener_new();
	ev = tok ? json_tokener_parse_ex(tok, line, (int)len) : NULL;
	json_tokener_free(tok);
	/* What cannot be read cannot be judged: never sent. */
	keep = ev && json_object_is_type(ev, json_type_object) &&
	       tg_view_event(st->view, ev) &&
	       tg_event_filter_match(&st->filter, ev);
	json_object_put(ev);
	if (!keep && st->chain)
		return send_chained(line, len);
	if (keep && st->filter.lines_given && !st->caught_up)
		return tg_event_tail_add(&st->tail, line, len) ? -ECANCELED : 0;
	if (keep)
		err = send_line(st, line, len);
	return err ? -ECANCELED : 0;
}

/* The last lines kept, once the reading caught up; 0 or -ECANCELED. */
static int send_tail(struct stream *st)
{
	if (st->caught_up)
		return 0;
	st->caught_up = 1;
	return tg_event_tail_flush(&st->tail, 0, send_line, st) ? -ECANCELED
								: 0;
}

/* Following: whether the caller is still there (it sends nothing more). */
static int caller_gone(void *ctx)
{
	struct pollfd p = {.fd = STREAM_FD, .events = POLLIN | POLLRDHUP};
	char c;

	if (send_tail(ctx))
		return -ECANCELED;

	if (poll(&p, 1, 0) <= 0)
		return 0;
	if (p.revents & (POLLHUP | POLLRDHUP | POLLERR))
		return -ECANCELED;
	return recv(STREAM_FD, &c, 1, MSG_DONTWAIT) == 0 ? -ECANCELED : 0;
}

/* The reply when the log cannot be read, as JSON text (static). */
static const char *open_error(const char *log, int err)
{
	static char text[PATH_MAX + 256];
	struct json_object *o;
	char msg[PATH_MAX + 128];

	snprintf(msg, sizeof(msg), "events: the agent cannot read %s: %s", log,
		 strerror(err));
	o = tg_control_error(msg);
	snprintf(text, sizeof(text), "%s",
		 json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN));
	json_object_put(o);
	return text;
}

/*
 * The serving process: nothing of the agent's but the caller's socket, no
 * signal blocked, gone with the agent; the reply line, then the events.
 */
static void __attribute__((noreturn))
serve(const char *log, int conn, struct stream *st, const char *reply,
      pid_t agent, const struct tg_user *owner)
{
	char why[256];
	struct tg_logread r = {.line = on_line, .ctx = st};
	unsigned long lineno = 0;
	sigset_t none;
	int fd, err;

	if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0 || getppid() != agent)
		_exit(1);
	if (conn != STREAM_FD && dup2(conn, STREAM_FD) < 0)
		_exit(1);
	/* Fanotify's, the ring's, the maps': none kept alive by a reader. */
	close_range(STREAM_FD + 1, ~0U, 0);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	fcntl(STREAM_FD, F_SETFL, fcntl(STREAM_FD, F_GETFL) & ~O_NONBLOCK);
	/*
	 * The log's reader is its owner, the collector's user, with no
	 * capability: what its directory holds (a link, a FIFO) can lead
	 * it nowhere the collector could not go itself.
	 */
	if (tg_drop_privileges(owner ? owner->uid : 0, owner ? owner->gid : 0,
			       owner && owner->uid != 0, why, sizeof(why)))
		_exit(1);
	fd = open(log, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		reply = open_error(log, errno);
	if (send_all(STREAM_FD, reply, strlen(reply)) ||
	    send_all(STREAM_FD, "\n", 1) || fd < 0)
		_exit(1);
	r.idle = st->follow ? caller_gone : NULL;
	st->tail.max = st->filter.lines_given ? (size_t)st->filter.lines : 0;
	/* A caller's -n costs the serving process this much at most. */
	st->tail.max_bytes = TG_EVENT_TAIL_BYTES_MAX;
	err = tg_logread_rotated(&r, log);
	if (!err)
		err = st->follow ? tg_logread_follow(&r, log, fd, &lineno)
				 : tg_logread_fd(&r, fd, log, &lineno);
	if (!err)
		err = send_tail(st);
	_exit(err && err != -ECANCELED ? 1 : 0);
}

/* req's filters into st (its strings stay req's); 0 or an error text. */
static const char *parse_filters(struct json_object *req, struct stream *st,
				 int follow_ok)
{
	struct json_object *v;
	const char *bad = tg_event_filter_from_json(req, &st->filter);

	if (bad)
		return bad;
	if (json_object_object_get_ex(req, "follow", &v)) {
		if (!json_object_is_type(v, json_type_boolean) ||
		    (json_object_get_boolean(v) && !follow_ok))
			return "bad request: 'follow' is for events only";
		st->follow = json_object_get_boolean(v);
	}
	if (json_object_object_get_ex(req, "chain", &v)) {
		if (!json_object_is_type(v, json_type_boolean) || follow_ok)
			return "bad request: 'chain' is for report only";
		st->chain = json_object_get_boolean(v);
	}
	return NULL;
}

/* The reply that heads the stream: ok, and the view ("all" or names). */
static struct json_object *stream_reply(const struct tg_view *v)
{
	struct json_object *o = json_object_new_object(), *names;
	unsigned int i;

	json_object_object_add(o, "ok", json_object_new_boolean(1));
	if (v->all) {
		json_object_object_add(o, "view",
				       json_object_new_string("all"));
		return o;
	}
	names = json_object_new_array();
	for (i = 0; i < v->n; i++)
		json_object_array_add(names,
				      json_object_new_string(v->names[i]));
	json_object_object_add(o, "view", names);
	return o;
}

void agent_reap_streams(struct agent *a)
{
	unsigned int i = 0;

	while (i < a->streams.n) {
		if (waitpid(a->streams.v[i].handle, NULL, WNOHANG) == 0) {
			i++;
			continue;
		}
		tg_slots_free(&a->streams, i);
	}
}

/*
 * Whether caller uid may have one more stream: NULL, or why not (into
 * buf; counted, and the request's event is a refusal).
 */
static const char *stream_slot(struct agent *a, uid_t uid, char *buf,
			       size_t len)
{
	int err;

	agent_reap_streams(a);
	err = tg_slots_check(&a->streams, uid);
	if (!err)
		return NULL;
	tg_slots_why(&a->streams, uid, err, "busy", "event streams served",
		     "close one first", buf, len);
	a->streams_refused++;
	a->peer_refused = 1;
	return buf;
}

struct json_object *agent_serve_events(struct agent *a, struct json_object *req,
				       const struct tg_view *v, int *conn)
{
	struct stream st = {.view = v};
	struct json_object *o;
	const char *bad, *s;
	char msg[192];
	pid_t pid, self = getpid();
	uid_t uid = a->peer ? a->peer->uid : 0;

	bad = parse_filters(req, &st,
			    !strcmp(json_object_get_string(
					    json_object_object_get(req, "cmd")),
				    "events"));
	if (bad)
		return tg_control_error(bad);
	bad = stream_slot(a, uid, msg, sizeof(msg));
	if (bad)
		return tg_control_error(bad);
	o = stream_reply(v);
	s = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN);
	pid = fork();
	if (pid == 0)
		serve(a->opt.event_log, *conn, &st, s, self,
		      a->opt.collector_known ? &a->opt.collector : NULL);
	if (pid < 0) {
		snprintf(msg, sizeof(msg), "events: cannot serve: %s",
			 strerror(errno));
		json_object_put(o);
		return tg_control_error(msg);
	}
	tg_slots_take(&a->streams, uid, pid);
	close(*conn);
	*conn = -1;
	return o;
}
