// SPDX-License-Identifier: GPL-2.0
/*
 * tenantguard events: the collector's log and its rotated files, in order,
 * filtered, human-readable or as JSON lines, optionally followed.
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
#include "common/buf.h"
#include "common/clock.h"
#include "common/log.h"

#define LINE_MAX_ (1 << 20) /* longer lines are reported, not printed */
#define FOLLOW_MS 200

struct opts {
	const char *tenant, *kind;
	__s64 since;
	int have_since, json, colour, bad;
	struct tg_events_cols w;
	int header;
	struct tg_buf carry; /* a line read only in part */
};

static void handle_line(struct opts *o, const char *file, unsigned long n,
			const char *line, size_t len)
{
	struct json_tokener *tok;
	struct json_object *ev;
	__s64 t;

	if (!len)
		return;
	tok = json_tokener_new();
	ev = tok ? json_tokener_parse_ex(tok, line, (int)len) : NULL;
	json_tokener_free(tok);
	if (!ev || !json_object_is_type(ev, json_type_object)) {
		tg_err(-EINVAL, "%s:%lu: not a JSON object", file, n);
		o->bad = 1;
		goto out_put;
	}
	if (o->tenant && strcmp(tg_events_field(ev, "tenant"), o->tenant) &&
	    strcmp(tg_events_field(ev, "target_tenant"), o->tenant))
		goto out_put;
	if (o->kind && strcmp(tg_events_field(ev, "kind"), o->kind))
		goto out_put;
	if (o->have_since &&
	    (tg_parse_time(tg_events_field(ev, "time"), &t) || t < o->since))
		goto out_put;
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
out_put:
	json_object_put(ev);
}

/*
 * Everything fd holds from where it stands, line by line; a last line
 * without its newline is kept for the next call.
 */
static int read_lines(struct opts *o, int fd, const char *file,
		      unsigned long *lineno)
{
	char buf[65536], *nl, *p;
	ssize_t got;
	size_t n;

	while ((got = read(fd, buf, sizeof(buf))) > 0) {
		for (p = buf; p < buf + got; p = nl + 1) {
			nl = memchr(p, '\n', (size_t)(buf + got - p));
			n = (size_t)((nl ? nl : buf + got) - p);
			if (!nl || o->carry.len) {
				/* A line in parts: gather it, bounded. */
				if (o->carry.len + n > LINE_MAX_) {
					tg_err(-E2BIG, "%s:%lu: line too long",
					       file, *lineno + 1);
					o->bad = 1;
					o->carry.len = 0;
					if (!nl)
						break;
					++*lineno;
					continue;
				}
				if (tg_buf_put(&o->carry, p, n))
					return -ENOMEM;
				if (!nl)
					break;
				handle_line(o, file, ++*lineno, o->carry.p,
					    o->carry.len);
				o->carry.len = 0;
			} else {
				handle_line(o, file, ++*lineno, p, n);
			}
		}
	}
	fflush(stdout);
	return got < 0 ? -errno : 0;
}

static int cmp_desc(const void *a, const void *b)
{
	unsigned long x = *(const unsigned long *)a,
		      y = *(const unsigned long *)b;

	return x < y ? 1 : x > y ? -1 : 0;
}

/* The numbers N of the rotated files <log>.N, highest (oldest) first. */
static size_t rotated(const char *log, unsigned long *v, size_t max)
{
	char d[PATH_MAX], b[PATH_MAX], *end;
	const char *base;
	struct dirent *de;
	unsigned long k;
	size_t n = 0, bl;
	DIR *dir;

	snprintf(d, sizeof(d), "%s", log);
	snprintf(b, sizeof(b), "%s", log);
	base = basename(b);
	bl = strlen(base);
	dir = opendir(dirname(d));
	if (!dir)
		return 0;
	while ((de = readdir(dir)) && n < max) {
		if (strncmp(de->d_name, base, bl) || de->d_name[bl] != '.' ||
		    de->d_name[bl + 1] < '1' || de->d_name[bl + 1] > '9')
			continue;
		errno = 0;
		k = strtoul(de->d_name + bl + 1, &end, 10);
		if (!errno && !*end)
			v[n++] = k;
	}
	closedir(dir);
	qsort(v, n, sizeof(*v), cmp_desc);
	return n;
}

static void sleep_ms(int ms)
{
	struct timespec ts = {.tv_sec = ms / 1000,
			      .tv_nsec = (long)(ms % 1000) * 1000000};

	nanosleep(&ts, NULL);
}

/*
 * The file rotated after the one with inode ino: <log>.K-1 if ino is now
 * <log>.K, or <log> itself when ino is <log>.1. Opened, its fd; -1 if ino
 * is nowhere (rotated out of the kept files) or the names moved meanwhile.
 */
static int next_file(const char *log, ino_t ino, char *name, size_t len)
{
	unsigned long nums[1024];
	struct stat st, want;
	size_t i, n;
	int fd;

	n = rotated(log, nums, sizeof(nums) / sizeof(nums[0]));
	for (i = 0; i < n; i++) {
		snprintf(name, len, "%s.%lu", log, nums[i]);
		if (stat(name, &st) == 0 && st.st_ino == ino)
			break;
	}
	if (i == n)
		return -1;
	if (i + 1 < n)
		snprintf(name, len, "%s.%lu", log, nums[i + 1]);
	else
		snprintf(name, len, "%s", log);
	if (stat(name, &want) < 0)
		return -1;
	fd = open(name, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	/* A rotation in between moved the names: look again. */
	if (fstat(fd, &st) < 0 || st.st_ino != want.st_ino) {
		close(fd);
		return -1;
	}
	return fd;
}

/* Keep reading the live log, also across rotation; returns on error. */
static int follow(struct opts *o, const char *log, int fd,
		  unsigned long *lineno)
{
	char name[PATH_MAX + 32];
	struct stat a, b;
	int err, nfd, tries;

	for (;;) {
		err = read_lines(o, fd, log, lineno);
		if (err)
			return err;
		sleep_ms(FOLLOW_MS);
		if (fstat(fd, &a) < 0)
			return -errno;
		if (stat(log, &b) < 0 ||
		    (a.st_dev == b.st_dev && a.st_ino == b.st_ino))
			continue;
		/*
		 * Rotated, maybe more than once: the rest of this file, then
		 * each file rotated after it, up to the live one.
		 */
		for (tries = 0; tries < 100; tries++) {
			err = read_lines(o, fd, log, lineno);
			if (err)
				return err;
			o->carry.len = 0;
			if (fstat(fd, &a) < 0)
				return -errno;
			if (stat(log, &b) == 0 && a.st_ino == b.st_ino)
				break; /* the live log */
			nfd = next_file(log, a.st_ino, name, sizeof(name));
			if (nfd < 0) {
				if (stat(log, &b) == 0 && tries < 99)
					continue; /* names moved: look again */
				tg_info("%s: lost track of the rotated files, "
					"going on with the log",
					log);
				nfd = open(log, O_RDONLY | O_CLOEXEC);
				if (nfd < 0)
					return -errno;
			}
			close(fd);
			fd = nfd;
			*lineno = 0;
		}
	}
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
static int parse_args(int argc, char **argv, struct opts *o, const char **log,
		      int *follow_)
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
		case 'l': *log = optarg; break;
		case 't': o->tenant = optarg; break;
		case 'k': o->kind = optarg; break;
		case 'j': o->json = 1; break;
		case 'f': *follow_ = 1; break;
		case 's':
			if (tg_parse_since(optarg, tg_clock_ns(CLOCK_REALTIME),
					   &o->since))
				return tg_err(-EINVAL, SINCE_ERR SEE_HELP,
					      optarg);
			o->have_since = 1;
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
	return check_kind(o->kind);
}

/* The rotated files, oldest first; a torn end is not printed. */
static void print_rotated(struct opts *o, const char *log)
{
	char path[PATH_MAX + 16];
	unsigned long nums[1024], lineno;
	size_t i, n;
	int err;

	n = rotated(log, nums, sizeof(nums) / sizeof(nums[0]));
	for (i = 0; i < n; i++) {
		int rfd;

		snprintf(path, sizeof(path), "%s.%lu", log, nums[i]);
		rfd = open(path, O_RDONLY | O_CLOEXEC);
		if (rfd < 0)
			continue; /* rotated away meanwhile */
		lineno = 0;
		err = read_lines(o, rfd, path, &lineno);
		close(rfd);
		o->carry.len = 0;
		if (err) {
			tg_err(err, "%s: %s", path, strerror(-err));
			o->bad = 1;
		}
	}
}

int cmd_events(const struct cli_opts *copts, int argc, char **argv)
{
	const char *log = "/var/log/tenantguard/events.jsonl", *nc;
	/* Room for every kind (seccomp) and a whole comm (15) from the start.
	 */
	struct opts o = {.w = {3, 7, 7, 8, 8, 7, 5, 15}};
	unsigned long lineno = 0;
	int fd, err, follow_ = 0;

	tg_log_init("tenantguard events", 0);
	if (parse_args(argc, argv, &o, &log, &follow_))
		return 2;
	nc = getenv("NO_COLOR");
	o.colour = !o.json && isatty(STDOUT_FILENO) && !(nc && nc[0]);
	fd = open(log, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return tg_err(1, "cannot open %s: %s", log, strerror(errno));
	print_rotated(&o, log);
	err = follow_ ? follow(&o, log, fd, &lineno)
		      : read_lines(&o, fd, log, &lineno);
	if (!follow_)
		close(fd);
	if (err) {
		tg_err(err, "%s: %s", log, strerror(-err));
		o.bad = 1;
	}
	tg_buf_free(&o.carry);
	return o.bad;
}
