// SPDX-License-Identifier: GPL-2.0
/*
 * tenantguard-collector: stores the agent's events durably in a JSON-lines
 * log. Runs unprivileged; accepts only the agent's uid.
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

#include "collector/server.h"

#define PROG "tenantguard-collector"
#define PFX  "collector: "

static void warn_line(const char *msg)
{
	fprintf(stderr, PFX "%s\n", msg);
}

static void usage(FILE *out)
{
	fprintf(out,
		"usage: " PROG " [options]\n"
		"  --socket PATH        event socket (default "
		"/run/tenantguard/events.sock)\n"
		"  --log PATH           event log (default "
		"/var/log/tenantguard/events.jsonl)\n"
		"  --agent-uid UID      the only uid allowed to connect "
		"(default 0)\n"
		"  --rotate-size BYTES  rotate the log at this size (default "
		"67108864, 0: never)\n"
		"  --rotate-keep N      rotated files kept, 0..%u (default 5)\n"
		"  --syslog[=PATH]      also forward each stored event to the "
		"local syslog\n"
		"                       socket as an RFC 5424 message (default "
		"/dev/log)\n"
		"  --metrics-file PATH  write Prometheus metrics there every 5 "
		"s (default:\n"
		"                       none)\n"
		"  -h, --help           this text\n",
		TG_EVENTLOG_MAX_KEEP);
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

/* Why opening failed, for the operator. */
static const char *open_error(int err)
{
	switch (err) {
	case -EADDRINUSE: return "a collector is already listening on it";
	case -EEXIST: return "exists and is not a socket";
	case -EBUSY: return "in use by another collector";
	default: return strerror(-err);
	}
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{"socket", required_argument, NULL, 's'},
		{"log", required_argument, NULL, 'l'},
		{"agent-uid", required_argument, NULL, 'u'},
		{"rotate-size", required_argument, NULL, 'r'},
		{"rotate-keep", required_argument, NULL, 'k'},
		{"syslog", optional_argument, NULL, 'S'},
		{"metrics-file", required_argument, NULL, 'm'},
		{"help", no_argument, NULL, 'h'},
		{}};
	const char *socket_path = "/run/tenantguard/events.sock";
	const char *log_path = "/var/log/tenantguard/events.jsonl";
	unsigned long long uid = 0, rsize = 64ULL << 20, rkeep = 5;
	struct tg_collector c = {.warn = warn_line};
	const char *what = NULL;
	sigset_t set;
	int opt, sfd = -1, err = 0;

	opterr = 0;
	while ((opt = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
		switch (opt) {
		case 's': socket_path = optarg; break;
		case 'l': log_path = optarg; break;
		case 'u':
			if (parse_ull(optarg, 0xfffffffeULL, &uid)) {
				fprintf(stderr,
					PFX "--agent-uid: '%s' is not a uid\n",
					optarg);
				return 2;
			}
			break;
		case 'r':
			if (parse_ull(optarg, 1ULL << 40, &rsize)) {
				fprintf(stderr,
					PFX "--rotate-size: '%s' is not a size "
					    "in bytes (0..2^40)\n",
					optarg);
				return 2;
			}
			break;
		case 'k':
			if (parse_ull(optarg, TG_EVENTLOG_MAX_KEEP, &rkeep)) {
				fprintf(stderr,
					PFX
					"--rotate-keep: '%s' is not 0..%u\n",
					optarg, TG_EVENTLOG_MAX_KEEP);
				return 2;
			}
			break;
		case 'S': c.syslog_path = optarg ? optarg : "/dev/log"; break;
		case 'm': c.metrics_path = optarg; break;
		case 'h': usage(stdout); return 0;
		case ':':
			fprintf(stderr, PFX "option %s needs a value\n",
				argv[optind - 1]);
			return 2;
		default:
			if (optopt)
				fprintf(stderr,
					PFX "unknown option -%c (see --help)\n",
					optopt);
			else
				fprintf(stderr,
					PFX "unknown option %s (see --help)\n",
					argv[optind - 1]);
			return 2;
		}
	}
	if (optind < argc) {
		fprintf(stderr, PFX "unexpected argument '%s'\n", argv[optind]);
		return 2;
	}
	if ((c.syslog_path && !c.syslog_path[0]) ||
	    (c.metrics_path && !c.metrics_path[0])) {
		fprintf(stderr, PFX "--syslog= and --metrics-file need a path\n");
		return 2;
	}
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGPIPE);
	sigprocmask(SIG_BLOCK, &set, NULL);
	sigdelset(&set, SIGPIPE);
	sfd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
	if (sfd < 0) {
		fprintf(stderr, PFX "signalfd: %s\n", strerror(errno));
		return 1;
	}
	err = tg_collector_open(&c, socket_path, log_path, (uid_t)uid,
				(off_t)rsize, (unsigned int)rkeep, &what);
	if (err) {
		fprintf(stderr, PFX "%s: %s\n", what, open_error(err));
		goto out_close_sfd;
	}
	if (c.log.torn_truncated)
		fprintf(stderr, PFX "%s: removed a torn last line\n", log_path);
	fprintf(stderr,
		PFX "listening on %s, log %s, agent uid %llu, next seq %llu%s%s\n",
		socket_path, log_path, uid, (unsigned long long)c.log.next_seq,
		c.syslog ? ", forwarding to syslog at " : "",
		c.syslog ? c.syslog_path : "");
	err = tg_collector_run(&c, sfd);
	if (err)
		fprintf(stderr, PFX "%s: %s\n",
			c.log.broken ? log_path : "poll", strerror(-err));
	fprintf(stderr,
		PFX "stopping: %llu events stored, %llu duplicates acked, %llu "
		    "frames and %llu peers rejected\n",
		c.stored, c.duplicates, c.rejected_frames, c.rejected_peers);
	if (c.syslog)
		fprintf(stderr, PFX "syslog: %llu forwarded, %llu failed\n",
			c.syslog->sent, c.syslog->failed);
	tg_collector_close(&c);
out_close_sfd:
	close(sfd);
	return err ? 1 : 0;
}
