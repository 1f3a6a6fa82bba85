// SPDX-License-Identifier: GPL-2.0
/* tg-try: what the fanotify file backend's tests and benchmark need. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "tool.h"

/* exec PATH [ARGS...]: run PATH in place of tg-try; a refusal is reported. */
static int do_exec(int argc, char **argv)
{
	char what[4200];

	if (argc < 1)
		return usage();
	snprintf(what, sizeof(what), "exec %s", argv[0]);
	fflush(stdout);
	execv(argv[0], argv);
	return outcome(what, errno);
}

/*
 * open-loop N PATH: open and close PATH (read-only) N times; prints the mean
 * nanoseconds per open+close and how many opens failed. Exit 0 if none did.
 */
static int do_open_loop(int argc, char **argv)
{
	struct timespec a, b;
	long i, n, failed = 0;
	int fd;

	if (argc < 2 || (n = atol(argv[0])) <= 0)
		return usage();
	clock_gettime(CLOCK_MONOTONIC, &a);
	for (i = 0; i < n; i++) {
		fd = open(argv[1], O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			failed++;
		else
			close(fd);
	}
	clock_gettime(CLOCK_MONOTONIC, &b);
	printf("%.1f %ld\n",
	       ((b.tv_sec - a.tv_sec) * 1e9 + (b.tv_nsec - a.tv_nsec)) / n,
	       failed);
	return failed ? 1 : 0;
}

/*
 * rename-loop FROM TO N [STOPFILE]: rename FROM to TO and back, N times
 * (N 0: until STOPFILE exists); prints how many renames were made. Exit 0
 * if none failed.
 */
static int do_rename_loop(int argc, char **argv)
{
	long i, n, done = 0;
	int err = 0;

	if (argc < 3 || (n = atol(argv[2])) < 0 || (!n && argc < 4))
		return usage();
	for (i = 0; !n || i < n; i++) {
		if (!n && !(i % 64) && access(argv[3], F_OK) == 0)
			break;
		if (rename(argv[0], argv[1]) || rename(argv[1], argv[0])) {
			err = errno;
			break;
		}
		done += 2;
	}
	printf("%ld%s%s\n", done, err ? " " : "", err ? strerror(err) : "");
	return err ? 1 : 0;
}

/*
 * dir-loop DIR N: N times make directory DIR, a file f in it, a second name
 * g, rename g to h, remove them and DIR; prints the rounds made. Exit 0 if
 * none failed.
 */
static int do_dir_loop(int argc, char **argv)
{
	char f[4096], g[4096], h[4096];
	long i, n;
	int fd, err = 0;

	if (argc != 2 || (n = atol(argv[1])) <= 0)
		return usage();
	snprintf(f, sizeof(f), "%s/f", argv[0]);
	snprintf(g, sizeof(g), "%s/g", argv[0]);
	snprintf(h, sizeof(h), "%s/h", argv[0]);
	for (i = 0; i < n && !err; i++) {
		if (mkdir(argv[0], 0755) ||
		    (fd = open(f, O_CREAT | O_WRONLY | O_CLOEXEC, 0644)) < 0) {
			err = errno;
			break;
		}
		close(fd);
		if (link(f, g) || rename(g, h) || unlink(f) || unlink(h) ||
		    rmdir(argv[0]))
			err = errno;
	}
	printf("%ld%s%s\n", i, err ? " " : "", err ? strerror(err) : "");
	return err ? 1 : 0;
}

const struct tool_cmd tool_fanotify_cmds[] = {{"exec", do_exec},
					      {"open-loop", do_open_loop},
					      {"rename-loop", do_rename_loop},
					      {"dir-loop", do_dir_loop},
					      {}};
