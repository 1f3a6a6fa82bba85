// SPDX-License-Identifier: GPL-2.0
/* tg-try: file operations. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "tool.h"

static int do_open(int argc, char **argv)
{
	int flags = O_RDONLY | O_CLOEXEC, fd;
	char what[4200];

	if (argc < 1)
		return usage();
	if (argc > 1 && strcmp(argv[1], "w") == 0)
		flags = O_WRONLY | O_CLOEXEC;
	else if (argc > 1 && strcmp(argv[1], "dir") == 0)
		flags |= O_DIRECTORY;
	snprintf(what, sizeof(what), "open %s", argv[0]);
	fd = open(argv[0], flags);
	if (fd < 0)
		return outcome(what, errno);
	close(fd);
	return outcome(what, 0);
}

const struct tool_cmd tool_file_cmds[] = {{"open", do_open}, {}};
