// SPDX-License-Identifier: GPL-2.0
/*
 * tenantguard events: the collector's log and its rotated files, in order,
 * filtered, human-readable or as JSON lines, optionally followed; read
 * here when this user may (root), else served by the agent over the
 * control socket (the events the caller's role lets it see).
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <json-c/json.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cli/cli.h"
#include "cli/events.h"
#include "common/clock.h"
#include "common/control.h"
#include "common/log.h"
#include "common/logread.h"

#define DEFAULT_LOG "/var/log/tenantguard/events.jsonl"

struct opts {
	struct tg_event_filter f;
	int json, colour;
	struct tg_events_cols w;
	int header;
};

/* One event to print, as the filters passed it. */
static int print_event(void *ctx, const char *line, size_t len,
		       struct json_object *ev)
{
	struct opts *o = ctx;

	if (o->json) {
		tg_events_print_json(stdout, line, len);
	} else {
		if (!o->header++)
			printf("%s%-*s %-24s %-*s %-*s %-*s    %-*s %-*s %-*s %-*s %s%s\n",
			       o->colour ? "\033[1m" : "", o->w.seq, "SEQ",
			       "TIME", o->w.kind, "KIND", o->w.verdict,
			       "VERDICT", o->w.tenant, "TENANT", o->w.target,
			       "TARGET", o->w.op, "OP", o->w.pid, "PID",
			       o->w.comm, "COMM", "DETAIL",
			       o->colour ? "\033[0m" : "");
		tg_events_print_human(stdout, ev, &o->w, o->colour);
	}
	return 0;
}

/* A line of the log or of the agent's stream: parsed, filtered, handed on. */
static int on_line(void *ctx, const char *file, unsigned long n,
		   const char *line, size_t len)
{
	struct cli_events *s = ctx;
	struct json_tokener *tok;
	struct json_object *ev;
	int err = 0;

	if (!len)
		return 0;
	tok = json_tokener_new();
	ev = tok ? json_tokener_parse_ex(tok, line, (int)len) : NULL;
	json_tokener_free(tok);
	if (!ev || !json_object_is_type(ev, json_type_object)) {
		tg_err(-EINVAL, "%s:%lu: not a JSON object", file, n);
		s->bad = 1;
	} else if (s->chain || tg_event_filter_match(&s->filter, ev)) {
		err = s->event(s->ctx, line, len, ev);
	}
	json_object_put(ev);
	fflush(stdout);
	return err;
}

/* The log read here: its rotated files, then itself, maybe followed. */
static int read_local(struct cli_events *s, struct tg_logread *r, int fd)
{
	unsigned long lineno = 0;
	int err;

	err = tg_logread_rotated(r, s->log);
	if (!err)
		err = s->follow ? tg_logread_follow(r, s->log, fd, &lineno)
				: tg_logread_fd(r, fd, s->log, &lineno);
	close(fd);
	if (err) {
		tg_err(err, "%s: %s", s->log, strerror(-err));
		r->bad = 1;
	}
	return 0;
}

/* The request for the agent: the verb and the filters. */
static struct json_object *stream_request(const struct cli_events *s)
{
	struct json_object *req = json_object_new_object();

	json_object_object_add(req, "cmd", json_object_new_string(s->cmd));
	if (s->filter.tenant)
		json_object_object_add(
			req, "tenant",
			json_object_new_string(s->filter.tenant));
	if (s->filter.kind)
		json_object_object_add(req, "kind",
				       json_object_new_string(s->filter.kind));
	if (s->filter.have_since)
		json_object_object_add(req, "since_ns",
				       json_object_new_int64(s->filter.since));
	if (s->follow)
		json_object_object_add(req, "follow",
				       json_object_new_boolean(1));
	if (s->chain)
		json_object_object_add(req, "chain",
				       json_object_new_boolean(1));
	return req;
}

/*
 * The events as the agent serves them to a caller that cannot read the
 * log (why: open_err); 0 or 1 (reported).
 */
static int read_remote(const struct cli_opts *copts, struct cli_events *s,
		       struct tg_logread *r, int open_err)
{
	struct json_object *req = stream_request(s), *reply = NULL, *v;
	unsigned long lineno = 0;
	int fd, err;

	fd = tg_control_stream(copts->control_socket, req, &reply);
	json_object_put(req);
	if (fd < 0)
		return tg_err(1,
			      "cannot open %s: %s; nor ask the agent at %s: %s",
			      s->log, strerror(open_err), copts->control_socket,
			      strerror(-fd));
	if (!json_object_object_get_ex(reply, "ok", &v) ||
	    !json_object_get_boolean(v)) {
		tg_err(1, "%s: %s", s->cmd, jstr(reply, "error"));
		json_object_put(reply);
		close(fd);
		return 1;
	}
	if (json_object_object_get_ex(reply, "view", &v))
		s->view = json_object_get(v);
	json_object_put(reply);
	if (s->on_view)
		s->on_view(s->ctx, s->view);
	err = tg_logread_fd(r, fd, copts->control_socket, &lineno);
	close(fd);
	if (err) {
		tg_err(err, "%s: %s", copts->control_socket, strerror(-err));
		r->bad = 1;
	}
	return 0;
}

int cli_events_read(const struct cli_opts *copts, struct cli_events *s)
{
	struct tg_logread r = {.line = on_line, .ctx = s};
	int fd, err, local_err;

	fd = open(s->log, O_RDONLY | O_CLOEXEC);
	local_err = errno;
	/* Not ours to read (the collector's and root's): the agent serves. */
	if (fd < 0 && (local_err == EACCES || local_err == EPERM ||
		       (local_err == ENOENT && !s->log_given)))
		err = read_remote(copts, s, &r, local_err);
	else if (fd < 0)
		err = tg_err(1, "cannot open %s: %s", s->log,
			     strerror(local_err));
	else {
		if (s->on_view)
			s->on_view(s->ctx, NULL);
		err = read_local(s, &r, fd);
	}
	tg_buf_free(&r.carry);
	return err ? err : (s->bad || r.bad);
}

#define SEE_HELP " (see tenantguard help)"
#define SINCE_ERR                                                              \
	"--since '%s': not an RFC 3339 time (2024-05-01T10:00:00Z, "           \
	"2024-05-01) nor a duration (90s, 10m, 2h, 1d, 1w)"

/* 0 if kind is NULL or a kind of event, else -EINVAL (reported). */
static int check_kind(const char *kind)
{
	static const char *kinds[] = {"file",	 "net",	  "unix",  "proc",
				      "seccomp", "agent", "guard", "admin"};
	size_t i;

	if (!kind)
		return 0;
	for (i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++)
		if (!strcmp(kind, kinds[i]))
			return 0;
	return tg_err(-EINVAL,
		      "--kind '%s': not one of file, net, unix, proc, seccomp, "
		      "agent, guard, admin" SEE_HELP,
		      kind);
}

/* The options; 0, or -EINVAL for a usage error (reported). */
static int parse_args(int argc, char **argv, struct cli_events *s)
{
	static const struct option lopts[] = {
		{"log", required_argument, NULL, 'l'},
		{"tenant", required_argument, NULL, 't'},
		{"kind", required_argument, NULL, 'k'},
		{"since", required_argument, NULL, 's'},
		{"follow", no_argument, NULL, 'f'},
		{"json", no_argument, NULL, 'j'},
		{}};
	int c;

	opterr = 0;
	optind = 1;
	while ((c = getopt_long(argc, argv, ":f", lopts, NULL)) != -1) {
		switch (c) {
		case 'l':
			s->log = optarg;
			s->log_given = 1;
			break;
		case 't': s->filter.tenant = optarg; break;
		case 'k': s->filter.kind = optarg; break;
		case 'j': s->json = 1; break;
		case 'f':
			if (!s->follow_ok)
				return tg_err(-EINVAL,
					      "unknown option %s" SEE_HELP,
					      argv[optind - 1]);
			s->follow = 1;
			break;
		case 's':
			if (tg_parse_since(optarg, tg_clock_ns(CLOCK_REALTIME),
					   &s->filter.since))
				return tg_err(-EINVAL, SINCE_ERR SEE_HELP,
					      optarg);
			s->filter.have_since = 1;
			break;
		case ':':
			return tg_err(-EINVAL,
				      "option %s needs a value" SEE_HELP,
				      argv[optind - 1]);
		default:
			return tg_err(-EINVAL, "unknown option %s" SEE_HELP,
				      argv[optind - 1]);
		}
	}
	if (optind < argc)
		return tg_err(-EINVAL, "unexpected argument '%s'" SEE_HELP,
			      argv[optind]);
	return check_kind(s->filter.kind);
}

int cli_events_args(int argc, char **argv, struct cli_events *s)
{
	if (!s->log)
		s->log = DEFAULT_LOG;
	return parse_args(argc, argv, s);
}

int cmd_events(const struct cli_opts *copts, int argc, char **argv)
{
	/* Room for every kind (seccomp) and a whole comm (15) from the start.
	 */
	struct opts o = {.w = {3, 7, 7, 8, 8, 7, 5, 15}};
	struct cli_events s = {.cmd = "events",
			       .follow_ok = 1,
			       .event = print_event,
			       .ctx = &o};
	const char *nc;
	int err;

	tg_log_init("tenantguard events", 0);
	if (cli_events_args(argc, argv, &s))
		return 2;
	o.json = s.json;
	nc = getenv("NO_COLOR");
	o.colour = !o.json && isatty(STDOUT_FILENO) && !(nc && nc[0]);
	err = cli_events_read(copts, &s);
	json_object_put(s.view);
	return err;
}
