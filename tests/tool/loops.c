// SPDX-License-Identifier: GPL-2.0
/*
 * Loops of one access until a stop file appears, for the tests that run a
 * tenant's attempts across agent restarts:
 *   open-until PATH STOPFILE [PAUSE_US]   open(PATH, O_RDONLY)
 *   unix-until PATH STOPFILE [PAUSE_US]   connect to the stream socket PATH
 *   syscall-until bpf STOPFILE [PAUSE_US] bpf(0, NULL, 0), which seccomp
 *                                         profiles refuse
 * Each prints "attempts=N eperm=N ok=N other=N" (EACCES counts as eperm).
 *   unix-serve PATH READY                 listen on PATH, accept and close
 *                                         each connection (until killed)
 *   now                                   CLOCK_REALTIME in nanoseconds
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "tool.h"

static void count(struct connect_counts *c, int err)
{
	c->attempts++;
	if (!err)
		c->ok++;
	else if (err == EPERM || err == EACCES)
		c->eperm++;
	else
		c->other++;
}

static int try_open(const char *path)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return errno;
	close(fd);
	return 0;
}

static int try_unix(const char *path)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	int fd, err = 0;

	if (strlen(path) >= sizeof(sa.sun_path))
		return ENAMETOOLONG;
	strcpy(sa.sun_path, path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return errno;
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		err = errno;
	close(fd);
	return err;
}

static int try_syscall(const char *name)
{
	if (strcmp(name, "bpf") != 0)
		return EINVAL;
	return syscall(SYS_bpf, 0, NULL, 0) < 0 ? errno : 0;
}

static int loop(int argc, char **argv, int (*once)(const char *))
{
	struct connect_counts c = {};

	if (argc < 2)
		return usage();
	while (access(argv[1], F_OK) != 0) {
		count(&c, once(argv[0]));
		if (argc > 2)
			usleep((useconds_t)strtoul(argv[2], NULL, 10));
	}
	print_connect_counts(&c);
	return 0;
}

static int do_open_until(int argc, char **argv)
{
	return loop(argc, argv, try_open);
}

static int do_unix_until(int argc, char **argv)
{
	return loop(argc, argv, try_unix);
}

static int do_syscall_until(int argc, char **argv)
{
	if (argc < 1 || strcmp(argv[0], "bpf") != 0)
		return usage();
	return loop(argc, argv, try_syscall);
}

static int do_unix_serve(int argc, char **argv)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	int fd, c;
	FILE *f;

	if (argc < 2 || strlen(argv[0]) >= sizeof(sa.sun_path))
		return usage();
	strcpy(sa.sun_path, argv[0]);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
	    listen(fd, 64) < 0) {
		perror("tg-try: unix-serve");
		return 1;
	}
	f = fopen(argv[1], "we");
	if (!f)
		return 1;
	fclose(f);
	for (;;) {
		c = accept4(fd, NULL, NULL, SOCK_CLOEXEC);
		if (c >= 0)
			close(c);
	}
}

static int do_now(int argc, char **argv)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	printf("%lld\n", (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec);
	return 0;
}

const struct tool_cmd tool_loops_cmds[] = {{"open-until", do_open_until},
					   {"unix-until", do_unix_until},
					   {"syscall-until", do_syscall_until},
					   {"unix-serve", do_unix_serve},
					   {"now", do_now},
					   {}};
