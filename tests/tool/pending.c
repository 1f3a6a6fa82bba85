// SPDX-License-Identifier: GPL-2.0
/*
 * tg-try [--expect ok|denied] pending-race DIR N connect tcp|udp ADDR PORT
 * tg-try [--expect ok|denied] pending-race DIR N open PATH
 *
 * What an orchestrator does, N times: make a fresh cgroup DIR/race-<pid>-<i>,
 * start a child in it (it joins the cgroup first thing), and the child's
 * first act is a connect to ADDR PORT (or an open of PATH for reading),
 * long before the agent can have registered the cgroup. Prints the outcome
 * counts ("attempts=N denied=N ok=N other=N"; denied: EPERM or EACCES);
 * exits 0 when every attempt ended as --expect says (denied if not given).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "tool.h"

/* What the child does first. */
struct race_act {
	const char *path;	    /* open this, if not NULL */
	struct sockaddr_storage ss; /* else connect to this */
	socklen_t len;
	int type;
};

/* The act's outcome: 0 ok, 1 denied, 2 anything else. */
static int race_act(const struct race_act *act)
{
	int fd, err = 0;

	if (act->path) {
		fd = open(act->path, O_RDONLY | O_CLOEXEC);
	} else {
		fd = socket(act->ss.ss_family, act->type | SOCK_CLOEXEC, 0);
		if (fd >= 0 && connect(fd, (const struct sockaddr *)&act->ss,
				       act->len) < 0) {
			err = errno;
			close(fd);
			fd = -1;
			errno = err;
		}
	}
	if (fd >= 0) {
		close(fd);
		return 0;
	}
	return errno == EPERM || errno == EACCES ? 1 : 2;
}

/* One round: a fresh cgroup, a child acting from it; counted in c. */
static int race_once(const char *dir, int i, const struct race_act *act,
		     unsigned long c[4])
{
	char cg[4096], procs[4200];
	int fd, status = 0;
	pid_t pid;

	snprintf(cg, sizeof(cg), "%s/race-%d-%d", dir, (int)getpid(), i);
	if (mkdir(cg, 0755) < 0)
		return -errno;
	snprintf(procs, sizeof(procs), "%s/cgroup.procs", cg);
	fd = open(procs, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		goto out_rmdir;
	pid = fork();
	if (pid == 0)
		_exit(write(fd, "0\n", 2) == 2 ? race_act(act) : 3);
	close(fd);
	if (pid < 0 || waitpid(pid, &status, 0) < 0)
		goto out_rmdir;
	c[0]++;
	c[WIFEXITED(status) && WEXITSTATUS(status) < 2 ? 1 + WEXITSTATUS(status)
						       : 3]++;
out_rmdir:
	rmdir(cg);
	return 0;
}

static int do_pending_race(int argc, char **argv)
{
	const char *want = expect ? expect : "denied";
	unsigned long c[4] = {}; /* attempts, ok, denied, other */
	struct race_act act = {};
	int n, i, err;

	if (argc < 4)
		return usage();
	n = atoi(argv[1]);
	if (strcmp(argv[2], "open") == 0 && argc == 4) {
		act.path = argv[3];
	} else if (strcmp(argv[2], "connect") == 0 && argc == 6) {
		act.type = sock_type(argv[3]);
		if (act.type < 0 ||
		    make_addr(argv[4], argv[5], &act.ss, &act.len))
			return usage();
	} else {
		return usage();
	}
	if (n <= 0 || (strcmp(want, "ok") && strcmp(want, "denied")))
		return usage();
	for (i = 0; i < n; i++) {
		err = race_once(argv[0], i, &act, c);
		if (err) {
			fprintf(stderr,
				"tg-try: pending-race: mkdir in %s: %s\n",
				argv[0], strerror(-err));
			return 1;
		}
	}
	printf("attempts=%lu denied=%lu ok=%lu other=%lu\n", c[0], c[2], c[1],
	       c[3]);
	return c[strcmp(want, "ok") ? 2 : 1] == (unsigned long)n ? 0 : 1;
}

const struct tool_cmd tool_pending_cmds[] = {
	{"pending-race", do_pending_race},
	{NULL, NULL},
};
