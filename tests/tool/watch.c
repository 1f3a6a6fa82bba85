// SPDX-License-Identifier: GPL-2.0
/* tg-try: inotify, dnotify and fanotify watches (the path_notify hook). */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/fanotify.h>
#include <sys/inotify.h>
#include <sys/mount.h>
#include <unistd.h>

#include "tool.h"

/* inotify PATH: add a watch for every event. */
static int do_inotify(int argc, char **argv)
{
	char what[4200];
	int fd, err = 0;

	if (argc != 1)
		return usage();
	snprintf(what, sizeof(what), "inotify %s", argv[0]);
	fd = inotify_init1(IN_CLOEXEC);
	if (fd < 0)
		return outcome(what, errno);
	if (inotify_add_watch(fd, argv[0], IN_ALL_EVENTS) < 0)
		err = errno;
	close(fd);
	return outcome(what, err);
}

/* dnotify DIR: F_NOTIFY on the directory. */
static int do_dnotify(int argc, char **argv)
{
	char what[4200];
	int fd, err = 0;

	if (argc != 1)
		return usage();
	snprintf(what, sizeof(what), "dnotify %s", argv[0]);
	fd = open(argv[0], O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return outcome(what, errno);
	signal(SIGIO, SIG_IGN);
	if (fcntl(fd, F_NOTIFY,
		  DN_ACCESS | DN_MODIFY | DN_CREATE | DN_MULTISHOT))
		err = errno;
	close(fd);
	return outcome(what, err);
}

/* A fanotify mark of kind ("inode", "mount", "fs") on path; 0 or errno. */
static int mark(const char *kind, const char *path)
{
	unsigned int flags = FAN_MARK_ADD;
	int fd, err = 0;

	if (!strcmp(kind, "mount"))
		flags |= FAN_MARK_MOUNT;
	else if (!strcmp(kind, "fs"))
		flags |= FAN_MARK_FILESYSTEM;
	else if (strcmp(kind, "inode"))
		return EINVAL;
	fd = fanotify_init(FAN_CLASS_NOTIF | FAN_CLOEXEC, O_RDONLY);
	if (fd < 0)
		return errno;
	if (fanotify_mark(fd, flags, FAN_OPEN | FAN_CLOSE_WRITE, AT_FDCWD,
			  path))
		err = errno;
	close(fd);
	return err;
}

/* fanotify-mark inode|mount|fs PATH */
static int do_fanotify_mark(int argc, char **argv)
{
	char what[4200];

	if (argc != 2)
		return usage();
	snprintf(what, sizeof(what), "fanotify mark %s %s", argv[0], argv[1]);
	return outcome(what, mark(argv[0], argv[1]));
}

/*
 * ns-mark mount|fs SRC|tmpfs DIR: in a mount namespace of its own, mount a
 * fresh tmpfs (SRC "tmpfs") or bind SRC on DIR, and mark that mount or its
 * filesystem.
 */
static int do_ns_mark(int argc, char **argv)
{
	char what[4200];
	int err;

	if (argc != 3)
		return usage();
	snprintf(what, sizeof(what), "fanotify mark %s of %s on %s", argv[0],
		 argv[1], argv[2]);
	if (unshare(CLONE_NEWNS) ||
	    mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL))
		return outcome(what, errno);
	if (!strcmp(argv[1], "tmpfs"))
		err = mount("tg-watch", argv[2], "tmpfs", 0, NULL);
	else
		err = mount(argv[1], argv[2], NULL, MS_BIND, NULL);
	if (err) {
		fprintf(stderr, "mount on %s: %s\n", argv[2], strerror(errno));
		return 2;
	}
	return outcome(what, mark(argv[0], argv[2]));
}

const struct tool_cmd tool_watch_cmds[] = {{"inotify", do_inotify},
					   {"dnotify", do_dnotify},
					   {"fanotify-mark", do_fanotify_mark},
					   {"ns-mark", do_ns_mark},
					   {}};
