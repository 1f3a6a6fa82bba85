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

#include "collector.h"

#define PROG "tenantguard-collector"

static void warn_line(const char *msg)
{
	fprintf(stderr, PROG ": %s\n", msg);
}

static void usage(FILE *out)
{
	fprintf(out,
		"usage: " PROG " [options]\n"
		"  --socket PATH        event socket (default /run/tenantguard/events.sock)\n"
		"  --log PATH           event log (default /var/log/tenantguard/events.jsonl)\n"
		"  --agent-uid UID      the only uid allowed to connect (default 0)\n"
		"  --rotate-size BYTES  rotate the log at this size (default 67108864, 0: never)\n"
		"  --rotate-keep N      rotated files kept (default 5)\n"
		"  -h, --help           this text\n");
}

static int parse_ull(const char *s, unsigned long long max, unsigned long long *out)
{
	char *end = NULL;

	errno = 0;
	*out = strtoull(s, &end, 10);
	return (errno || end == s || *end || s[0] == '-' || *out > max) ? -EINVAL : 0;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "socket", required_argument, NULL, 's' },
		{ "log", required_argument, NULL, 'l' },
		{ "agent-uid", required_argument, NULL, 'u' },
		{ "rotate-size", required_argument, NULL, 'r' },
		{ "rotate-keep", required_argument, NULL, 'k' },
		{ "help", no_argument, NULL, 'h' },
		{}
	};
	const char *socket_path = "/run/tenantguard/events.sock";
	const char *log_path = "/var/log/tenantguard/events.jsonl";
	unsigned long long uid = 0, rsize = 64ULL << 20, rkeep = 5;
	struct tg_collector c = { .warn = warn_line };
	const char *what = NULL;
	sigset_t set;
	int c_opt, sfd, err;

	opterr = 0;
	while ((c_opt = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
		switch (c_opt) {
		case 's': socket_path = optarg; break;
		case 'l': log_path = optarg; break;
		case 'u':
			if (parse_ull(optarg, 0xfffffffeULL, &uid)) {
				fprintf(stderr, PROG ": --agent-uid: '%s' is not a uid\n", optarg);
				return 2;
			}
			break;
		case 'r':
			if (parse_ull(optarg, 1ULL << 40, &rsize)) {
				fprintf(stderr, PROG ": --rotate-size: '%s' is not a size in bytes\n", optarg);
				return 2;
			}
			break;
		case 'k':
			if (parse_ull(optarg, 1000, &rkeep)) {
				fprintf(stderr, PROG ": --rotate-keep: '%s' is not 0..1000\n", optarg);
				return 2;
			}
			break;
		case 'h': usage(stdout); return 0;
		case ':':
			fprintf(stderr, PROG ": option %s needs a value\n", argv[optind - 1]);
			return 2;
		default:
			fprintf(stderr, PROG ": unknown option %s (see --help)\n", argv[optind - 1]);
			return 2;
		}
	}
	if (optind < argc) {
		fprintf(stderr, PROG ": unexpected argument '%s'\n", argv[optind]);
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
		fprintf(stderr, PROG ": signalfd: %s\n", strerror(errno));
		return 1;
	}
	err = tg_collector_open(&c, socket_path, log_path, (uid_t)uid,
				(off_t)rsize, (unsigned int)rkeep, &what);
	if (err) {
		fprintf(stderr, PROG ": %s: %s\n", what, strerror(-err));
		close(sfd);
		return 1;
	}
	if (c.log.torn_truncated)
		fprintf(stderr, PROG ": %s: removed a torn last line\n", log_path);
	fprintf(stderr, PROG ": listening on %s, log %s, next seq %llu\n",
		socket_path, log_path, (unsigned long long)c.log.next_seq);
	err = tg_collector_run(&c, sfd);
	if (err)
		fprintf(stderr, PROG ": %s\n", strerror(-err));
	fprintf(stderr, PROG ": stopping: %llu events stored, %llu frames and %llu peers rejected\n",
		c.stored, c.rejected_frames, c.rejected_peers);
	tg_collector_close(&c);
	close(sfd);
	return err ? 1 : 0;
}
