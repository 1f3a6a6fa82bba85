// SPDX-License-Identifier: GPL-2.0
/*
 * tenantguard-collector: stores the agent's events durably in a JSON-lines
 * log. Started as root, it opens its socket and its log, then runs as the
 * user --user names, with no capability; accepts only the agent's uid, from
 * outside the tenants cgroup.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include "collector/checkpoints.h"
#include "collector/server.h"
#include "common/log.h"
#include "common/privileges.h"
#include "common/text.h"
#include "common/version.h"

#define PROG		  "tenantguard-collector"
#define DEFAULT_STATE_DIR "/var/lib/tenantguard-collector"

static void usage(FILE *out)
{
	fprintf(out,
		"usage: " PROG " [options]\n"
		"  --socket PATH        event socket (default "
		"/run/tenantguard/events.sock;\n"
		"                       --event-socket, the agent's name for "
		"it, alike)\n"
		"  --log PATH           event log (default "
		"/var/log/tenantguard/events.jsonl),\n"
		"                       never a symbolic link; its directory "
		"owned by --user (or\n"
		"                       root), writable by no group or others\n"
		"  --state-dir DIR      the collector's state: its signing key "
		"(signing.key) and\n"
		"                       the head of the log's chain (<log "
		"name>.head), made\n"
		"                       like the log's directory; never the "
		"log's directory\n"
		"                       (default " DEFAULT_STATE_DIR "); a key "
		"an earlier\n"
		"                       version kept beside the log (<log>.key) "
		"is moved there\n"
		"  --agent-uid USER     the only uid (or user name) allowed "
		"to connect (default 0)\n"
		"  --tenants-cgroup PATH\n"
		"                       refuse peers at or below this cgroup "
		"(below the cgroup\n"
		"                       v2 root; default /tenants), whatever "
		"their uid\n"
		"  --rotate-size SIZE   rotate the log at this size, bytes or "
		"with K, M, G\n"
		"                       (default 64M, 0: never)\n"
		"  --rotate-keep N      rotated files kept, 0..%u (default 5)\n"
		"  --syslog[=PATH]      also forward each stored event to the "
		"local syslog\n"
		"                       socket as an RFC 5424 message (default "
		"/dev/log)\n"
		"  --metrics-file PATH  write Prometheus metrics there every 5 "
		"s (default:\n"
		"                       none)\n"
		"  --user NAME|UID      once the socket and the log are open, "
		"run as this user\n"
		"                       (its primary group, no supplementary "
		"groups, no\n"
		"                       capabilities); the socket listens as "
		"it (the agent's\n"
		"                       --collector-user); the log's directory "
		"is created for it\n"
		"                       (default: stay root, with a warning; "
		"packages create\n"
		"                       tenantguard-collector)\n"
		"  --checkpoint-lines N a signed checkpoint of the log's hash "
		"chain every N lines\n"
		"                       (default %u), and at a clean stop\n"
		"  --checkpoint-interval SECONDS\n"
		"                       ... and this long after a line at most "
		"(default %u)\n"
		"  --print-key          print the public key that checkpoints "
		"are signed with\n"
		"                       (from --state-dir's signing.key) and "
		"exit\n"
		"  -h, --help           this text\n"
		"      --version        the release, then exit\n",
		TG_EVENTLOG_MAX_KEEP, TG_CHECKPOINT_LINES,
		TG_CHECKPOINT_MS / 1000);
}

/* A decimal number in 0..max, digits only. */
static int parse_ull(const char *s, unsigned long long max,
		     unsigned long long *out)
{
	char *end = NULL;

	if (s[0] < '0' || s[0] > '9')
		return -EINVAL;
	errno = 0;
	*out = strtoull(s, &end, 10);
	return (errno || *end || *out > max) ? -EINVAL : 0;
}

/* What the command line says. */
struct options {
	const char *socket_path;
	const char *log_path;
	unsigned long long uid, rotate_size, rotate_keep;
	const char *user_spec; /* --user as given, NULL: none */
	struct tg_user user;
	int print_key; /* --print-key */
};

#define NOBODY_UID 65534 /* the overflow uid, shared by unrelated programs */

/* --user: a user of its own, or the reason (logged) and exit status 2. */
static int check_user(struct options *o, struct tg_collector *c)
{
	const char *s = o->user_spec;
	struct tg_user *u = &o->user;
	int err = tg_user_lookup(s, u);

	if (err == -ENOENT)
		return tg_err(2, "--user: no user '%s' in the passwd database",
			      s);
	if (err)
		return tg_err(2,
			      "--user: '%s' is neither a user name nor a uid "
			      "(0..4294967294)",
			      s);
	if (u->uid == 0)
		return tg_err(2,
			      "--user: '%s' is uid 0 (root): give the "
			      "collector an unprivileged user of its own, such "
			      "as tenantguard-collector",
			      s);
	if (u->gid == 0)
		return tg_err(
			2,
			"--user: '%s' (uid %u) has gid 0 (root's group) "
			"as its primary group: give it a group of its own",
			s, (unsigned int)u->uid);
	if (u->uid == NOBODY_UID)
		return tg_err(
			2,
			"--user: '%s' (uid %u) is the overflow uid that "
			"unrelated programs and workloads share: give the "
			"collector a user of its own",
			s, (unsigned int)u->uid);
	if (u->uid == o->uid)
		return tg_err(2,
			      "--user: '%s' (uid %u) is also --agent-uid: the "
			      "collector needs a uid of its own",
			      s, (unsigned int)u->uid);
	if (geteuid() != 0 && geteuid() != u->uid)
		return tg_err(2,
			      "--user: switching to '%s' (uid %u) needs root; "
			      "started as uid %u",
			      s, (unsigned int)u->uid, (unsigned int)geteuid());
	/* Started as that user already: nothing to switch. */
	if (geteuid() != 0)
		return 0;
	c->run_uid = u->uid;
	c->run_gid = u->gid;
	return 0;
}

/* 0, 1 for --help, or 2 (the reason logged): the exit status of a usage error.
 */
static int parse_args(struct options *o, struct tg_collector *c, int argc,
		      char **argv)
{
	static const struct option opts[] = {
		{"socket", required_argument, NULL, 's'},
		{"event-socket", required_argument, NULL, 's'},
		{"log", required_argument, NULL, 'l'},
		{"state-dir", required_argument, NULL, 'D'},
		{"agent-uid", required_argument, NULL, 'u'},
		{"tenants-cgroup", required_argument, NULL, 't'},
		{"rotate-size", required_argument, NULL, 'r'},
		{"rotate-keep", required_argument, NULL, 'k'},
		{"syslog", optional_argument, NULL, 'S'},
		{"metrics-file", required_argument, NULL, 'm'},
		{"user", required_argument, NULL, 'U'},
		{"checkpoint-lines", required_argument, NULL, 'C'},
		{"checkpoint-interval", required_argument, NULL, 'I'},
		{"print-key", no_argument, NULL, 'P'},
		{"help", no_argument, NULL, 'h'},
		{"version", no_argument, NULL, 'V'},
		{}};
	unsigned long long v;
	int opt;

	opterr = 0;
	while ((opt = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
		switch (opt) {
		case 's': o->socket_path = optarg; break;
		case 'l': o->log_path = optarg; break;
		case 'D': c->state_dir = optarg; break;
		case 'u': {
			struct tg_user au;
			int e = tg_user_lookup(optarg, &au);

			if (e == -ENOENT)
				return tg_err(2,
					      "--agent-uid: no user '%s' in the "
					      "passwd database",
					      optarg);
			if (e)
				return tg_err(2,
					      "--agent-uid: '%s' is neither a "
					      "user name nor a uid "
					      "(0..4294967294)",
					      optarg);
			o->uid = au.uid;
			break;
		}
		case 'r': {
			__u64 size;

			if (tg_parse_size(optarg, &size) || size > 1ULL << 40)
				return tg_err(
					2,
					"--rotate-size: '%s' is not a size (bytes, or with K, M, G, T: 0..1T)",
					optarg);
			o->rotate_size = size;
			break;
		}
		case 'k':
			if (parse_ull(optarg, TG_EVENTLOG_MAX_KEEP,
				      &o->rotate_keep))
				return tg_err(
					2, "--rotate-keep: '%s' is not 0..%u",
					optarg, TG_EVENTLOG_MAX_KEEP);
			break;
		case 't':
			if (optarg[0] != '/' || !optarg[strspn(optarg, "/")])
				return tg_err(
					2,
					"--tenants-cgroup: '%s' is not a cgroup below the cgroup v2 root, such as /tenants",
					optarg);
			c->tenants_cgroup = optarg;
			break;
		case 'S': c->syslog_path = optarg ? optarg : "/dev/log"; break;
		case 'm': c->metrics_path = optarg; break;
		case 'U': o->user_spec = optarg; break;
		case 'P': o->print_key = 1; break;
		case 'C':
			if (parse_ull(optarg, 1000000, &v) || !v)
				return tg_err(2,
					      "--checkpoint-lines: '%s' is not 1..1000000",
					      optarg);
			c->checkpoint_lines = (unsigned int)v;
			break;
		case 'I':
			if (parse_ull(optarg, 86400, &v) || !v)
				return tg_err(2,
					      "--checkpoint-interval: '%s' is not 1..86400 seconds",
					      optarg);
			c->checkpoint_ms = (long long)v * 1000;
			break;
		case 'h': usage(stdout); return 1;
		case 'V': printf("tenantguard-collector %s\n", tg_version()); return 1;
		case ':':
			return tg_err(2, "option %s needs a value",
				      argv[optind - 1]);
		default:
			if (optopt)
				return tg_err(2,
					      "unknown option -%c (see --help)",
					      optopt);
			return tg_err(2, "unknown option %s (see --help)",
				      argv[optind - 1]);
		}
	}
	if (optind < argc)
		return tg_err(2, "unexpected argument '%s'", argv[optind]);
	if (!c->state_dir[0])
		return tg_err(2, "--state-dir needs a path");
	if ((c->syslog_path && !c->syslog_path[0]) ||
	    (c->metrics_path && !c->metrics_path[0]))
		return tg_err(2, "--syslog= and --metrics-file need a path");
	return o->user_spec ? check_user(o, c) : 0;
}

static int open_signalfd(void)
{
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGPIPE);
	sigprocmask(SIG_BLOCK, &set, NULL);
	sigdelset(&set, SIGPIPE);
	return signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
}

/* Why opening failed, for the operator. */
static const char *open_error(int err, const char *what,
			      const struct options *o,
			      const struct tg_collector *c)
{
	static char why[256];

	switch (what == o->socket_path ? err : 0) {
	case -EADDRINUSE: return "a collector is already listening on it";
	case -EEXIST: return "exists and is not a socket";
	}
	if (what == o->log_path && err == -ELOOP)
		return "a symbolic link (the log, or its .seq or .1 file): "
		       "refused, the collector never opens its log through a "
		       "link (remove the link)";
	switch (err) {
	case -EBUSY: return "in use by another collector";
	case -EACCES:
	case -EPERM:
		if (!c->run_uid)
			break;
		snprintf(why, sizeof(why),
			 "%s: --user %s (uid %u) may not write there%s",
			 strerror(-err), o->user.name, (unsigned int)c->run_uid,
			 what == o->log_path
				 ? " (the log's directory must be that user's)"
				 : "");
		return why;
	}
	return strerror(-err);
}

/* Open, serve until SIGTERM or SIGINT, close: 0 or -errno (logged). */
static int serve(struct tg_collector *c, const struct options *o, int sfd)
{
	const char *what = NULL;
	char why[256];
	int err;

	err = tg_collector_open(c, o->socket_path, o->log_path, (uid_t)o->uid,
				(off_t)o->rotate_size,
				(unsigned int)o->rotate_keep, &what);
	if (err && c->open_why[0])
		return tg_err(err, "%s", c->open_why);
	if (err)
		return tg_err(err, "%s: %s", what, open_error(err, what, o, c));
	if (c->run_uid) {
		err = tg_drop_privileges(c->run_uid, c->run_gid, 1, why,
					 sizeof(why));
		if (err) {
			tg_collector_close(c);
			return tg_err(err, "--user %s: %s", o->user.name, why);
		}
	} else if (geteuid() == 0) {
		tg_warn("running as root: every tenant's events pass through a "
			"process that can do anything; run it as a user of its "
			"own (--user tenantguard-collector)");
	}
	if (c->log.torn_truncated)
		tg_info("%s: removed a torn last line", o->log_path);
	tg_info("listening on %s, log %s, agent uid %llu outside %s, running as uid %u gid %u, next seq %llu%s%s",
		o->socket_path, o->log_path, o->uid, c->tenants_cgroup,
		(unsigned int)geteuid(), (unsigned int)getegid(),
		(unsigned long long)c->log.next_seq,
		c->syslog ? ", forwarding to syslog at " : "",
		c->syslog ? c->syslog_path : "");
	err = tg_collector_run(c, sfd);
	if (err)
		tg_info("%s: %s", c->log.broken ? o->log_path : "poll",
			strerror(-err));
	tg_info("stopping: %llu events stored, %llu duplicates acked, %llu frames and %llu peers rejected",
		c->stored, c->duplicates, c->rejected_frames,
		c->rejected_peers);
	if (c->syslog)
		tg_info("syslog: %llu forwarded, %llu failed", c->syslog->sent,
			c->syslog->failed);
	tg_collector_close(c);
	return err;
}

/* --print-key: the public key of the log's checkpoints; exit status. */
static int print_key(const char *state_dir, const char *log_path)
{
	char hex[TG_CHAIN_HEX + 1];
	int old = 0, err = tg_collector_public_key(state_dir, log_path, hex,
						   &old);

	if (err)
		return tg_err(1,
			      "%s/signing.key: %s (the collector makes it at "
			      "its first start)",
			      state_dir, strerror(-err));
	if (old)
		tg_warn("the key is still beside the log (%s.key): the "
			"collector's next start moves it to %s",
			log_path, state_dir);
	printf("%s\n", hex);
	return 0;
}

int main(int argc, char **argv)
{
	struct options o = {
		.socket_path = "/run/tenantguard/events.sock",
		.log_path = "/var/log/tenantguard/events.jsonl",
		.rotate_size = 64ULL << 20,
		.rotate_keep = 5,
	};
	struct tg_collector c = {.tenants_cgroup = "/tenants",
				 .state_dir = DEFAULT_STATE_DIR};
	int sfd, err;

	tg_log_init("collector", 0);
	err = parse_args(&o, &c, argc, argv);
	if (err)
		return err == 1 ? 0 : err;
	if (o.print_key)
		return print_key(c.state_dir, o.log_path);
	sfd = open_signalfd();
	if (sfd < 0)
		return tg_err(1, "signalfd: %s", strerror(errno));
	err = serve(&c, &o, sfd);
	close(sfd);
	return err ? 1 : 0;
}
