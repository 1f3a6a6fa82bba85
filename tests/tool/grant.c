// SPDX-License-Identifier: GPL-2.0
/*
 * tg-try: what the grant tests need besides the other commands.
 *
 *   boottime                  (CLOCK_BOOTTIME in ns: the clock of a grant's
 *                              deadline)
 *   fd-read-after PATH GO READY  (open PATH for reading, read it once (a
 *                              failure fails whatever --expect says), write
 *                              READY, wait until GO exists, read again: the
 *                              outcome of that second read)
 *   mmap PATH shared|private  (open PATH for reading, map its first page
 *                              readable with MAP_SHARED or MAP_PRIVATE)
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "tool.h"

static int do_boottime(int argc, char **argv)
{
	struct timespec ts;

	(void)argv;
	if (argc != 0)
		return usage();
	if (clock_gettime(CLOCK_BOOTTIME, &ts) < 0)
		return 1;
	printf("%llu\n", (unsigned long long)ts.tv_sec * 1000000000ULL +
				 (unsigned long long)ts.tv_nsec);
	return 0;
}

static int do_fd_read_after(int argc, char **argv)
{
	char buf[64], what[4200];
	int fd;

	if (argc != 3)
		return usage();
	snprintf(what, sizeof(what), "read %s", argv[0]);
	fd = open(argv[0], O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		printf("FAIL: open %s: %s\n", argv[0], strerror(errno));
		return 1;
	}
	if (pread(fd, buf, sizeof(buf), 0) < 0) {
		printf("FAIL: first %s: %s\n", what, strerror(errno));
		return 1;
	}
	if (write_ready(argv[2], "open\n") < 0)
		return 1;
	while (access(argv[1], F_OK) < 0)
		usleep(20000);
	return outcome(what, pread(fd, buf, sizeof(buf), 0) < 0 ? errno : 0);
}

static int do_mmap(int argc, char **argv)
{
	char what[4200];
	void *p;
	int fd, flags;

	if (argc != 2)
		return usage();
	if (strcmp(argv[1], "shared") == 0)
		flags = MAP_SHARED;
	else if (strcmp(argv[1], "private") == 0)
		flags = MAP_PRIVATE;
	else
		return usage();
	snprintf(what, sizeof(what), "mmap %s %s", argv[1], argv[0]);
	fd = open(argv[0], O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		printf("FAIL: open %s: %s\n", argv[0], strerror(errno));
		return 1;
	}
	p = mmap(NULL, 4096, PROT_READ, flags, fd, 0);
	if (p == MAP_FAILED)
		return outcome(what, errno);
	munmap(p, 4096);
	return outcome(what, 0);
}

const struct tool_cmd tool_grant_cmds[] = {{"boottime", do_boottime},
					   {"fd-read-after", do_fd_read_after},
					   {"mmap", do_mmap},
					   {}};
