// SPDX-License-Identifier: GPL-2.0
/*
 * tg-probe pending-race DIR N tcp|udp ADDR PORT
 *
 * What an orchestrator does, N times: make a fresh cgroup DIR/race-<pid>-<i>,
 * start a child in it (it joins the cgroup first thing), and the child's
 * first act is a connect to ADDR PORT, long before the agent can have
 * registered the cgroup. Prints the outcome counts ("attempts=N eperm=N
 * ok=N other=N"); exits 0 when every connect ended with --expect (EPERM
 * if not given).
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

#include "probe.h"

/* In the child: join the cgroup at procs_fd, connect once; exit status 0/1/2. */
static void race_child(int procs_fd, const struct sockaddr_storage *ss,
		       socklen_t len, int type)
{
	struct connect_counts c = {};

	if (write(procs_fd, "0\n", 2) != 2)
		_exit(3);
	if (connect_counted(ss, len, type, &c))
		_exit(3);
	_exit(c.ok ? 0 : c.eperm ? 1 : 2);
}

/* One round: a fresh cgroup, a child connecting from it; counted in c. */
static int race_once(const char *dir, int i, const struct sockaddr_storage *ss,
		     socklen_t len, int type, struct connect_counts *c)
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
		race_child(fd, ss, len, type);
	close(fd);
	if (pid < 0 || waitpid(pid, &status, 0) < 0)
		goto out_rmdir;
	c->attempts++;
	if (!WIFEXITED(status) || WEXITSTATUS(status) >= 2)
		c->other++;
	else if (WEXITSTATUS(status) == 0)
		c->ok++;
	else
		c->eperm++;
out_rmdir:
	rmdir(cg);
	return 0;
}

static int do_pending_race(int argc, char **argv)
{
	struct connect_counts c = {};
	struct sockaddr_storage ss;
	const char *want = expect ? expect : "EPERM";
	socklen_t len;
	int n, i, type, err;

	if (argc != 5)
		return usage();
	n = atoi(argv[1]);
	type = sock_type(argv[2]);
	if (n <= 0 || type < 0 || make_addr(argv[3], argv[4], &ss, &len))
		return usage();
	for (i = 0; i < n; i++) {
		err = race_once(argv[0], i, &ss, len, type, &c);
		if (err) {
			fprintf(stderr, "tg-probe: pending-race: mkdir in %s: %s\n",
				argv[0], strerror(-err));
			return 1;
		}
	}
	print_connect_counts(&c);
	if (strcmp(want, "EPERM") == 0)
		return c.eperm == (unsigned long)n ? 0 : 1;
	if (strcmp(want, "ok") == 0)
		return c.ok == (unsigned long)n ? 0 : 1;
	return usage();
}

const struct probe_cmd probe_pending_cmds[] = {
	{ "pending-race", do_pending_race },
	{ NULL, NULL },
};
