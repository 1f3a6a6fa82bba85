// SPDX-License-Identifier: GPL-2.0
/*
 * tg-try: typing into a terminal (the launcher's pseudo-terminal).
 *
 *   tty-inject TEXT   pushes TEXT into the input of the terminal on fds 0,
 *                     1 and 2 and of /dev/tty with ioctl(TIOCSTI), one
 *                     character at a time; one line per target ("fd0: ok"
 *                     or the errno of its first refusal; "dev_tty: ENXIO"
 *                     when it cannot be opened); exit 0 when each matches
 *                     --expect (default ok)
 *   pty-count N       opens /dev/ptmx until it fails or N are open: "COUNT
 *                     ok" or "COUNT ERRNO"
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "tool.h"

/* 0, or the errno of the first character refused. */
static int inject(int fd, const char *text)
{
	for (; *text; text++)
		if (ioctl(fd, TIOCSTI, text))
			return errno;
	return 0;
}

static int do_tty_inject(int argc, char **argv)
{
	static const char *const names[] = {"fd0", "fd1", "fd2"};
	int bad = 0, fd, i;

	if (argc < 1)
		return usage();
	for (i = 0; i < 3; i++)
		bad |= outcome(names[i], inject(i, argv[0]));
	fd = open("/dev/tty", O_RDWR | O_NOCTTY | O_CLOEXEC);
	bad |= outcome("dev_tty", fd < 0 ? errno : inject(fd, argv[0]));
	if (fd >= 0)
		close(fd);
	return bad;
}

/* pty-count N: opens /dev/ptmx until it fails or N are open; prints how
 * many, and the errno that stopped it ("ok" when N were). */
static int do_pty_count(int argc, char **argv)
{
	long i, n;
	int err = 0;

	if (argc < 1)
		return usage();
	n = atol(argv[0]);
	for (i = 0; i < n; i++)
		if (open("/dev/ptmx", O_RDWR | O_NOCTTY) < 0) {
			err = errno;
			break;
		}
	printf("%ld %s\n", i, err ? strerrorname_np(err) : "ok");
	return 0;
}

const struct tool_cmd tool_terminal_cmds[] = {{"tty-inject", do_tty_inject},
					      {"pty-count", do_pty_count},
					      {}};
