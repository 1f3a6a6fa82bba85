// SPDX-License-Identifier: GPL-2.0
/*
 * tg-try fuse-hang MOUNTPOINT READY_FILE HANG_FILE: a FUSE filesystem that a
 * tenant controls and that stops answering. Mounted at MOUNTPOINT (root in
 * a mount namespace of its own), it holds one empty directory, "sub", whose
 * name is looked up again on every path walk (no entry is cached). READY_FILE
 * is written once it is mounted; from the first request after HANG_FILE
 * exists, nothing more is answered: every lookup through MOUNTPOINT blocks
 * until this process is killed. Spoken over /dev/fuse, without libfuse.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/fuse.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#include "tool.h"

#define ROOT_ID FUSE_ROOT_ID
#define SUB_ID	2

static int fuse_reply(int fd, __u64 unique, int err, const void *p, size_t n)
{
	struct fuse_out_header h = {
		.len = (__u32)(sizeof(h) + (err ? 0 : n)),
		.error = -err,
		.unique = unique,
	};
	struct iovec v[2] = {{&h, sizeof(h)}, {(void *)p, err ? 0 : n}};

	return writev(fd, v, 2) < 0 ? -errno : 0;
}

static void dir_attr(struct fuse_attr *a, __u64 ino)
{
	memset(a, 0, sizeof(*a));
	a->ino = ino;
	a->mode = S_IFDIR | 0755;
	a->nlink = 2;
	a->blksize = 4096;
}

/* Answer one request; 1 when the filesystem is going away. */
static int serve(int fd, const struct fuse_in_header *in, const void *arg)
{
	union {
		struct fuse_init_out init;
		struct fuse_entry_out entry;
		struct fuse_attr_out attr;
		struct fuse_open_out open;
		struct fuse_statfs_out statfs;
	} o;
	const struct fuse_init_in *ii = arg;

	memset(&o, 0, sizeof(o));
	switch (in->opcode) {
	case FUSE_INIT:
		o.init.major = FUSE_KERNEL_VERSION;
		o.init.minor = FUSE_KERNEL_MINOR_VERSION;
		o.init.max_readahead = ii->max_readahead;
		o.init.max_write = 4096;
		return fuse_reply(fd, in->unique, 0, &o.init, sizeof(o.init));
	case FUSE_LOOKUP:
		if (in->nodeid != ROOT_ID || strcmp(arg, "sub"))
			return fuse_reply(fd, in->unique, ENOENT, NULL, 0);
		o.entry.nodeid = SUB_ID;
		o.entry.generation = 1;
		dir_attr(&o.entry.attr,
			 SUB_ID); /* valid for 0 s: asked again */
		return fuse_reply(fd, in->unique, 0, &o.entry, sizeof(o.entry));
	case FUSE_GETATTR:
		dir_attr(&o.attr.attr, in->nodeid);
		return fuse_reply(fd, in->unique, 0, &o.attr, sizeof(o.attr));
	case FUSE_OPENDIR:
		return fuse_reply(fd, in->unique, 0, &o.open, sizeof(o.open));
	case FUSE_READDIR: return fuse_reply(fd, in->unique, 0, NULL, 0);
	case FUSE_RELEASEDIR:
	case FUSE_ACCESS: return fuse_reply(fd, in->unique, 0, NULL, 0);
	case FUSE_STATFS:
		return fuse_reply(fd, in->unique, 0, &o.statfs,
				  sizeof(o.statfs));
	case FUSE_FORGET:
	case FUSE_BATCH_FORGET:
	case FUSE_INTERRUPT: return 0; /* no answer expected */
	case FUSE_DESTROY: return 1;
	default: return fuse_reply(fd, in->unique, ENOSYS, NULL, 0);
	}
}

static int do_fuse_hang(int argc, char **argv)
{
	static char buf[FUSE_MIN_READ_BUFFER + 65536];
	char opts[128];
	ssize_t n;
	int fd;

	if (argc != 3)
		return usage();
	fd = open("/dev/fuse", O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		fprintf(stderr, "tg-try: /dev/fuse: %s\n", strerror(errno));
		return 2;
	}
	snprintf(opts, sizeof(opts),
		 "fd=%d,rootmode=40000,user_id=0,group_id=0,allow_other", fd);
	if (mount("tg-fuse", argv[0], "fuse", MS_NOSUID | MS_NODEV, opts)) {
		fprintf(stderr, "tg-try: mount fuse on %s: %s\n", argv[0],
			strerror(errno));
		return 2;
	}
	if (write_ready(argv[1], "mounted\n"))
		return 2;
	for (;;) {
		n = read(fd, buf, sizeof(buf));
		if (n < 0 && (errno == EINTR || errno == ENOENT))
			continue; /* ENOENT: a request interrupted meanwhile */
		if (n < (ssize_t)sizeof(struct fuse_in_header))
			return 0; /* unmounted (ENODEV) */
		if (access(argv[2], F_OK) == 0)
			for (;;)
				pause(); /* hung: until killed */
		if (serve(fd, (const struct fuse_in_header *)buf,
			  buf + sizeof(struct fuse_in_header)))
			return 0;
	}
}

const struct tool_cmd tool_fuse_cmds[] = {{"fuse-hang", do_fuse_hang}, {}};
