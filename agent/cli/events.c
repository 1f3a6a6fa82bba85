// SPDX-License-Identifier: GPL-2.0
/*
 * tenantguard events: the collector's log and its rotated files, in order,
 * filtered (the last lines, newest first if asked), human-readable or as
 * JSON lines, optionally followed, or counted (--summary); read
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
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
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
	int json, colour;
	struct tg_events_cols w;
	unsigned long printed; /* lines since the header */
	unsigned long page;    /* a screenful (terminal), or 0 */
	struct tg_summary sum;
};

/* One event to print, as the filters passed it. */
static int print_event(void *ctx, const char *line, size_t len,
		       struct json_object *ev)
{
	struct opts *o = ctx;

	if (o->json) {
		tg_events_print_json(stdout, line, len);
		return 0;
	}
	/* The header once, or again each screenful on a terminal. */
	if (!o->printed || (o->page && o->printed >= o->page)) {
		tg_events_print_header(stdout, &o->w, o->colour);
		o->printed = 1;
	}
	tg_events_print_human(stdout, ev, &o->w, o->colour);
	o->printed++;
	return 0;
}

/* One event to count (--summary). */
static int count_event(void *ctx, const char *line, size_t len,
		       struct json_object *ev)
{
	struct opts *o = ctx;

	(void)line;
	(void)len;
	return tg_summary_add(&o->sum, ev) ? -ECANCELED : 0;
}

/* A stored line that passed: parsed and handed on (0 if it cannot be). */
static int hand_on(void *ctx, const char *line, size_t len)
{
	struct cli_events *s = ctx;
	struct json_tokener *tok = json_tokener_new();
	struct json_object *ev;
	int err = 0;

	ev = tok ? json_tokener_parse_ex(tok, line, (int)len) : NULL;
	json_tokener_free(tok);
	if (ev)
		err = s->event(s->ctx, line, len, ev);
	json_object_put(ev);
	fflush(stdout);
	return err;
}

/* Caught up with the log: the last lines kept, then each as it comes. */
static int caught_up(void *ctx)
{
	struct cli_events *s = ctx;

	if (!s->buffered)
		return 0;
	s->buffered = 0;
	return tg_event_tail_flush(&s->tail, s->reverse, hand_on, s);
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
	} else if (!s->chain && s->buffered &&
		   tg_event_filter_match(&s->filter, ev)) {
		err = tg_event_tail_add(&s->tail, line, len) ? -ECANCELED : 0;
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

	r->idle = s->follow ? caught_up : NULL;
	err = tg_logread_rotated(r, s->log);
	if (!err)
		err = s->follow ? tg_logread_follow(r, s->log, fd, &lineno)
				: tg_logread_fd(r, fd, s->log, &lineno);
	if (!err)
		err = caught_up(s);
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
	tg_event_filter_to_json(&s->filter, req);
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
			      "cannot open %s: %s; nor ask the agent at %s: %s (is the collector running, with this --log? is tenantguard-agent running? systemctl status tenantguard-collector tenantguard-agent)",
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
	/* The agent sends the last lines only; following, as they come. */
	if (s->follow)
		s->buffered = 0;
	err = tg_logread_fd(r, fd, copts->control_socket, &lineno);
	if (!err)
		err = caught_up(s);
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

	/* Only the last lines, or newest first: kept until caught up. */
	s->buffered = s->filter.lines_given || s->reverse;
	s->tail.max =
		s->filter.lines_given ? (size_t)s->filter.lines : SIZE_MAX;

	fd = open(s->log, O_RDONLY | O_CLOEXEC);
	local_err = errno;
	/* Not ours to read (the collector's and root's): the agent serves. */
	if (fd < 0 && (local_err == EACCES || local_err == EPERM ||
		       (local_err == ENOENT && !s->log_given)))
		err = read_remote(copts, s, &r, local_err);
	else if (fd < 0)
		err = tg_err(1, "cannot open %s: %s%s", s->log,
			     strerror(local_err),
			     local_err == ENOENT
				     ? " (no log there: give the collector's --log, or is the collector running? systemctl status tenantguard-collector)"
				     : "");
	else {
		if (s->on_view)
			s->on_view(s->ctx, NULL);
		err = read_local(s, &r, fd);
	}
	tg_buf_free(&r.carry);
	tg_event_tail_free(&s->tail);
	return err ? err : (s->bad || r.bad);
}

#define SEE_HELP " (see tenantguard help)"
#define WHEN_ERR                                                               \
	"%s '%s': not a time: now, today, yesterday, 2026-12-07 10:00[:00] "   \
	"(local), 2026-12-07T10:00:00Z (RFC 3339), @SECONDS, a span back "     \
	"(-1h30m, '1h30m ago', 90s) or ahead (+10m)"

/* 0 if every value of fv is one of names (n of them), else -EINVAL (reported).
 */
static int check_values(const char *opt, const struct tg_filter_values *fv,
			const char *const *names, size_t n, const char *list)
{
	unsigned int i;
	size_t j;

	for (i = 0; i < fv->n; i++) {
		for (j = 0; j < n && strcmp(fv->v[i], names[j]); j++)
			;
		if (j == n)
			return tg_err(-EINVAL,
				      "%s '%s': not one of %s" SEE_HELP, opt,
				      fv->v[i], list);
	}
	return 0;
}

/* The values of --kind and --verdict: known ones, else -EINVAL (reported). */
static int check_names(const struct tg_event_filter *f)
{
	static const char *const kinds[] = {"file",  "net",	"unix",
					    "proc",  "seccomp", "agent",
					    "guard", "admin"};
	static const char *const verdicts[] = {"deny", "audit", "allow",
					       TG_VERDICT_SUPPRESSED,
					       TG_VERDICT_DROPPED};

	return check_values("--kind", &f->kind, kinds,
			    sizeof(kinds) / sizeof(kinds[0]),
			    "file, net, unix, proc, seccomp, agent, guard, "
			    "admin")
		       ?: check_values("--verdict", &f->verdict, verdicts,
				       sizeof(verdicts) / sizeof(verdicts[0]),
				       "deny, audit, allow, suppressed, "
				       "dropped");
}

/* -n N: a count, or "all"; 0 or -EINVAL (reported). */
static int parse_lines(const char *v, struct tg_event_filter *f)
{
	char *end = NULL;
	long n;

	if (!strcmp(v, "all")) {
		f->lines_given = 0;
		return 0;
	}
	errno = 0;
	n = v[0] >= '0' && v[0] <= '9' ? strtol(v, &end, 10) : -1;
	if (n < 0 || errno || *end || n > TG_EVENT_LINES_MAX)
		return tg_err(-EINVAL,
			      "--lines '%s': not a number from 0 to %d, nor "
			      "all" SEE_HELP,
			      v, TG_EVENT_LINES_MAX);
	f->lines = n;
	f->lines_given = 1;
	return 0;
}

/* A filter's value added; 0 or -EINVAL past the most (reported). */
static int add_value(const char *opt, struct tg_filter_values *fv,
		     const char *v)
{
	if (tg_filter_add(fv, v))
		return tg_err(-EINVAL, "%s '%s': at most %d values" SEE_HELP,
			      opt, v, TG_FILTER_VALUES_MAX);
	return 0;
}

/* --since or --until; 0 or -EINVAL (reported). */
static int parse_when(const char *opt, const char *v, __s64 *ns, int *have)
{
	if (tg_parse_when(v, tg_clock_ns(CLOCK_REALTIME), ns))
		return tg_err(-EINVAL, WHEN_ERR SEE_HELP, opt, v);
	*have = 1;
	return 0;
}

/* What only events takes, and what goes together; 0 or -EINVAL (reported). */
static int check_combination(struct cli_events *s, int lines_seen)
{
	if (s->by && !s->summary)
		return tg_err(-EINVAL, "--by needs --summary" SEE_HELP);
	if (s->summary && (s->follow || s->reverse))
		return tg_err(-EINVAL, "--summary counts: not with %s" SEE_HELP,
			      s->follow ? "--follow" : "--reverse");
	if (s->reverse && s->follow)
		return tg_err(
			-EINVAL,
			"--reverse and --follow: one or the other" SEE_HELP);
	/* Following starts from the last 10, as tail and journalctl do. */
	if (s->follow && !lines_seen) {
		s->filter.lines = 10;
		s->filter.lines_given = 1;
	}
	if (s->filter.have_since && s->filter.have_until &&
	    s->filter.until < s->filter.since)
		return tg_err(-EINVAL, "--until is before --since" SEE_HELP);
	return check_names(&s->filter);
}

/* The options; 0, or -EINVAL for a usage error (reported). */
static int parse_args(int argc, char **argv, struct cli_events *s)
{
	static const struct option lopts[] = {
		{"log", required_argument, NULL, 'l'},
		{"tenant", required_argument, NULL, 't'},
		{"actor", required_argument, NULL, 'a'},
		{"target", required_argument, NULL, 'T'},
		{"kind", required_argument, NULL, 'k'},
		{"op", required_argument, NULL, 'o'},
		{"verdict", required_argument, NULL, 'V'},
		{"since", required_argument, NULL, 's'},
		{"until", required_argument, NULL, 'u'},
		{"lines", required_argument, NULL, 'n'},
		{"reverse", no_argument, NULL, 'r'},
		{"summary", no_argument, NULL, 'S'},
		{"by", required_argument, NULL, 'b'},
		{"follow", no_argument, NULL, 'f'},
		{"json", no_argument, NULL, 'j'},
		{}};
	struct tg_event_filter *f = &s->filter;
	int c, err = 0, lines_seen = 0;

	opterr = 0;
	optind = 1;
	while (!err &&
	       (c = getopt_long(argc, argv, ":fn:r", lopts, NULL)) != -1) {
		/* events' own, where they mean nothing (report): unknown. */
		if (!s->follow_ok && c && strchr("fnrSb", c))
			return tg_err(-EINVAL, "unknown option %s" SEE_HELP,
				      c == 'f'	 ? "--follow"
				      : c == 'n' ? "--lines"
				      : c == 'r' ? "--reverse"
				      : c == 'S' ? "--summary"
						 : "--by");
		switch (c) {
		case 'l':
			s->log = optarg;
			s->log_given = 1;
			break;
		case 't':
			err = add_value("--tenant", &f->tenant, optarg);
			break;
		case 'a': err = add_value("--actor", &f->actor, optarg); break;
		case 'T':
			err = add_value("--target", &f->target, optarg);
			break;
		case 'k': err = add_value("--kind", &f->kind, optarg); break;
		case 'o': err = add_value("--op", &f->op, optarg); break;
		case 'V':
			err = add_value("--verdict", &f->verdict, optarg);
			break;
		case 'j': s->json = 1; break;
		case 'f': s->follow = 1; break;
		case 'r': s->reverse = 1; break;
		case 'S': s->summary = 1; break;
		case 'b': s->by = optarg; break;
		case 'n':
			lines_seen = 1;
			err = parse_lines(optarg, f);
			break;
		case 's':
			err = parse_when("--since", optarg, &f->since,
					 &f->have_since);
			break;
		case 'u':
			err = parse_when("--until", optarg, &f->until,
					 &f->have_until);
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
	if (err)
		return err;
	if (optind < argc)
		return tg_err(-EINVAL, "unexpected argument '%s'" SEE_HELP,
			      argv[optind]);
	return check_combination(s, lines_seen);
}

int cli_events_args(int argc, char **argv, struct cli_events *s)
{
	if (!s->log)
		s->log = DEFAULT_LOG;
	return parse_args(argc, argv, s);
}

/* Lines of the terminal on stdout less one for the header, or 0. */
static unsigned long screenful(void)
{
	struct winsize ws = {};

	if (!isatty(STDOUT_FILENO))
		return 0;
	if (ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) < 0 || ws.ws_row < 3)
		return 23;
	return ws.ws_row - 1;
}

int cmd_events(const struct cli_opts *copts, int argc, char **argv)
{
	struct opts o = {.w = TG_EVENTS_COLS_DEFAULT};
	struct cli_events s = {.cmd = "events",
			       .follow_ok = 1,
			       .event = print_event,
			       .ctx = &o};
	const char *nc;
	int err;

	tg_log_init("tenantguard events", 0);
	if (cli_events_args(argc, argv, &s))
		return 2;
	if (s.summary &&
	    tg_summary_by(&o.sum, s.by ? s.by : "tenant,kind,op")) {
		tg_err(-EINVAL,
		       "--by '%s': not a list of tenant, kind, op, target, "
		       "verdict, each once" SEE_HELP,
		       s.by);
		return 2;
	}
	if (s.summary)
		s.event = count_event;
	o.json = s.json;
	nc = getenv("NO_COLOR");
	o.colour = !o.json && isatty(STDOUT_FILENO) && !(nc && nc[0]);
	o.page = screenful();
	err = cli_events_read(copts, &s);
	if (s.summary && (!err || o.sum.total.events))
		tg_summary_print(stdout, &o.sum, s.json);
	tg_summary_free(&o.sum);
	json_object_put(s.view);
	return err;
}
