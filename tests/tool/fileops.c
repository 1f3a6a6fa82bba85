// SPDX-License-Identifier: GPL-2.0
/*
 * tg-try: every file operation the BPF LSM backend checks, and the ways
 * around a path check that it must close. Each reports one outcome line.
 *
 *   create PATH | mkdir PATH | mknod PATH (a fifo) | symlink TARGET PATH
 *   link OLD NEW | unlink PATH | rmdir PATH
 *   rename OLD NEW [exchange|noreplace]
 *   truncate PATH | chmod PATH | chown PATH | utimes PATH
 *   setxattr PATH | removexattr PATH (trusted.tg) | setacl PATH | removeacl
 * PATH exec PATH                 (fork, execve PATH; the child's errno)
 *   fd-then-join CGROUP PATH OP  (open PATH, join CGROUP, then OP on the fd:
 *                             ftruncate, fchmod, fchown, futimes, fsetxattr,
 * read) passfd PATH FROM_CG TO_CG (FROM_CG opens PATH, sends it over SCM_RIGHTS
 * to a process in TO_CG; outcome ok or CTRUNC) getfd PATH FROM_CG TO_CG  (the
 * same through pidfd_getfd; errno) hold PATH READY           (open PATH, write
 * "PID FD" to READY, sleep) opath PATH ACTION [ARG]   (O_PATH descriptor of
 * PATH, then ACTION: openat NAME, fchdir-open NAME, linkat NEWPATH, reopen (via
 * /proc/self/fd), fstat, fgetxattr) openat2 DIR PATH FLAG[,FLAG] (beneath,
 * in_root, no_symlinks, no_xdev, no_magiclinks, or none) uring OP PATH [PATH2]
 * (io_uring: openat, openat-sqpoll, unlinkat, mkdirat, renameat, linkat,
 * symlinkat) byhandle MOUNTDIR PATH    (name_to_handle_at PATH, then
 * open_by_handle_at on MOUNTDIR's mount) chroot DIR PATH           (chroot DIR,
 * then open PATH) mntns SRC DST PATH        (new mount namespace, bind SRC on
 * DST, open PATH) overlay LOWER WORK NAME [dir] (new user and mount namespace,
 * overlayfs of LOWER on WORK/m (WORK/e as second, empty layer), open
 * WORK/m/NAME; a setup failure fails whatever --expect says) mkdeep DIR N
 * [NAME]       (N nested directories "d" below DIR, a file "leaf" at the
 * bottom, built by relative paths; with NAME, directories and file are all
 * NAME) opendeep DIR N [NAME]     (walk down N levels by O_PATH, open "leaf")
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/io_uring.h>
#include <linux/openat2.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "tool.h"

#define XATTR_NAME "trusted.tg"

/* outcome() for a result that is no errno: ok, or the name given. */
static int outcome_str(const char *what, const char *got)
{
	printf("%s: %s\n", what, got);
	if (!expect)
		return strcmp(got, "ok") != 0;
	if (strcmp(expect, got) == 0)
		return 0;
	printf("FAIL: %s: expected %s, got %s\n", what, expect, got);
	return 1;
}

/* Outcome of what on path: err is 0 or an errno. */
static int result_err(const char *what, const char *path, int err)
{
	char w[4200];

	snprintf(w, sizeof(w), "%s %s", what, path);
	return outcome(w, err);
}

/* Outcome of a call that returned r (-1 with errno on failure). */
static int result(const char *what, const char *path, long r)
{
	return result_err(what, path, r < 0 ? errno : 0);
}

static int do_create(int argc, char **argv)
{
	int fd;

	if (argc != 1)
		return usage();
	fd = open(argv[0], O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
	if (fd >= 0)
		close(fd);
	return result("create", argv[0], fd);
}

static int do_mkdir(int argc, char **argv)
{
	return argc == 1 ? result("mkdir", argv[0], mkdir(argv[0], 0755))
			 : usage();
}

static int do_mknod(int argc, char **argv)
{
	return argc == 1 ? result("mknod", argv[0],
				  mknod(argv[0], S_IFIFO | 0644, 0))
			 : usage();
}

static int do_symlink(int argc, char **argv)
{
	return argc == 2 ? result("symlink", argv[1], symlink(argv[0], argv[1]))
			 : usage();
}

static int do_link(int argc, char **argv)
{
	return argc == 2 ? result("link", argv[1], link(argv[0], argv[1]))
			 : usage();
}

static int do_unlink(int argc, char **argv)
{
	return argc == 1 ? result("unlink", argv[0], unlink(argv[0])) : usage();
}

static int do_rmdir(int argc, char **argv)
{
	return argc == 1 ? result("rmdir", argv[0], rmdir(argv[0])) : usage();
}

static int do_rename(int argc, char **argv)
{
	unsigned int flags = 0;

	if (argc == 3 && strcmp(argv[2], "exchange") == 0)
		flags = RENAME_EXCHANGE;
	else if (argc == 3 && strcmp(argv[2], "noreplace") == 0)
		flags = RENAME_NOREPLACE;
	else if (argc != 2)
		return usage();
	return result("rename", argv[0],
		      renameat2(AT_FDCWD, argv[0], AT_FDCWD, argv[1], flags));
}

static int do_truncate(int argc, char **argv)
{
	return argc == 1 ? result("truncate", argv[0], truncate(argv[0], 0))
			 : usage();
}

static int do_chmod(int argc, char **argv)
{
	return argc == 1 ? result("chmod", argv[0], chmod(argv[0], 0600))
			 : usage();
}

static int do_chown(int argc, char **argv)
{
	return argc == 1
		       ? result("chown", argv[0], chown(argv[0], 65534, 65534))
		       : usage();
}

static int do_utimes(int argc, char **argv)
{
	return argc == 1 ? result("utimes", argv[0], utimes(argv[0], NULL))
			 : usage();
}

static int do_setxattr(int argc, char **argv)
{
	return argc == 1 ? result("setxattr", argv[0],
				  setxattr(argv[0], XATTR_NAME, "v", 1, 0))
			 : usage();
}

static int do_removexattr(int argc, char **argv)
{
	return argc == 1 ? result("removexattr", argv[0],
				  removexattr(argv[0], XATTR_NAME))
			 : usage();
}

/* A minimal POSIX ACL xattr: user::rw-, group::r--, other::r--. */
static int do_setacl(int argc, char **argv)
{
	struct {
		__u32 version;
		struct {
			__u16 tag, perm;
			__u32 id;
		} e[3];
	} acl = {2, {{0x01, 6, ~0U}, {0x04, 4, ~0U}, {0x20, 4, ~0U}}};

	if (argc != 1)
		return usage();
	return result("setacl", argv[0],
		      setxattr(argv[0], "system.posix_acl_access", &acl,
			       sizeof(acl), 0));
}

static int do_removeacl(int argc, char **argv)
{
	return argc == 1
		       ? result("removeacl", argv[0],
				removexattr(argv[0], "system.posix_acl_access"))
		       : usage();
}

/* execve path in a child; its errno comes back through a close-on-exec pipe. */
static int do_exec(int argc, char **argv)
{
	int p[2], err = 0, devnull;
	pid_t pid;

	if (argc != 1)
		return usage();
	if (pipe2(p, O_CLOEXEC) < 0)
		return result("exec", argv[0], -1);
	pid = fork();
	if (pid < 0)
		return result("exec", argv[0], -1);
	if (pid == 0) {
		devnull = open("/dev/null", O_WRONLY | O_CLOEXEC);
		if (devnull >= 0) {
			dup2(devnull, 1);
			dup2(devnull, 2);
		}
		execve(argv[0], (char *const[]){argv[0], "true", NULL},
		       (char *const[]){NULL});
		err = errno;
		if (write(p[1], &err, sizeof(err)) < 0)
			_exit(127);
		_exit(127);
	}
	close(p[1]);
	if (read(p[0], &err, sizeof(err)) != sizeof(err))
		err = 0; /* the pipe closed at exec: it ran */
	close(p[0]);
	waitpid(pid, NULL, 0);
	return result_err("exec", argv[0], err);
}

/* An operation through a descriptor opened before joining another cgroup. */
static int do_fd_then_join(int argc, char **argv)
{
	struct timespec ts[2] = {{0, UTIME_NOW}, {0, UTIME_NOW}};
	char buf[16];
	long r;
	int fd, err;

	if (argc != 3)
		return usage();
	fd = open(argv[1], O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return result("open", argv[1], -1);
	err = join_cgroup(argv[0]);
	if (err) {
		fprintf(stderr, "tg-try: join %s: %s\n", argv[0],
			strerror(-err));
		return 2;
	}
	if (strcmp(argv[2], "ftruncate") == 0)
		r = ftruncate(fd, 0);
	else if (strcmp(argv[2], "fchmod") == 0)
		r = fchmod(fd, 0600);
	else if (strcmp(argv[2], "fchown") == 0)
		r = fchown(fd, 65534, 65534);
	else if (strcmp(argv[2], "futimes") == 0)
		r = futimens(fd, ts);
	else if (strcmp(argv[2], "fsetxattr") == 0)
		r = fsetxattr(fd, XATTR_NAME, "v", 1, 0);
	else if (strcmp(argv[2], "read") == 0)
		r = read(fd, buf, sizeof(buf));
	else
		return usage();
	return result(argv[2], argv[1], r);
}

/* Send fd over the unix socket s. */
static int send_fd(int s, int fd)
{
	char data = 'x', cbuf[CMSG_SPACE(sizeof(int))] = {0};
	struct iovec iov = {&data, 1};
	struct msghdr m = {.msg_iov = &iov,
			   .msg_iovlen = 1,
			   .msg_control = cbuf,
			   .msg_controllen = sizeof(cbuf)};
	struct cmsghdr *c = CMSG_FIRSTHDR(&m);

	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_RIGHTS;
	c->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(c), &fd, sizeof(int));
	return sendmsg(s, &m, 0) == 1 ? 0 : -errno;
}

/* Receive one message on s: the fd it carried, -1 if none; flags too. */
static int recv_fd(int s, int *flags)
{
	char data, cbuf[CMSG_SPACE(sizeof(int))] = {0};
	struct iovec iov = {&data, 1};
	struct msghdr m = {.msg_iov = &iov,
			   .msg_iovlen = 1,
			   .msg_control = cbuf,
			   .msg_controllen = sizeof(cbuf)};
	struct cmsghdr *c;
	int fd = -1;

	if (recvmsg(s, &m, MSG_CMSG_CLOEXEC) != 1)
		return -2;
	*flags = m.msg_flags;
	for (c = CMSG_FIRSTHDR(&m); c; c = CMSG_NXTHDR(&m, c))
		if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS &&
		    c->cmsg_len >= CMSG_LEN(sizeof(int)))
			memcpy(&fd, CMSG_DATA(c), sizeof(int));
	return fd;
}

/*
 * A child that joins from_cg and opens path, for passfd and getfd: it sends
 * the fd (and its number) over a new socket pair, then waits until the
 * caller's end, sv[0], closes.
 */
static pid_t fd_sender(const char *path, const char *from_cg, int sv[2])
{
	pid_t pid;
	char c;
	int fd, s;

	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0)
		return -1;
	s = sv[1];
	pid = fork();
	if (pid != 0) {
		close(sv[1]);
		return pid;
	}
	close(sv[0]); /* or its read below never sees the end */
	if (join_cgroup(from_cg))
		_exit(2);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || send_fd(s, fd) || write(s, &fd, sizeof(fd)) != sizeof(fd))
		_exit(3);
	while (read(s, &c, 1) > 0)
		;
	_exit(0);
}

static int do_passfd(int argc, char **argv)
{
	int sv[2], fd, flags = 0, num;
	pid_t pid;

	if (argc != 3)
		return usage();
	pid = fd_sender(argv[0], argv[1], sv);
	if (pid < 0)
		return result("fd sender", argv[0], -1);
	if (join_cgroup(argv[2]))
		return 2;
	fd = recv_fd(sv[0], &flags);
	if (read(sv[0], &num, sizeof(num)) != sizeof(num))
		fd = -2;
	close(sv[0]);
	waitpid(pid, NULL, 0);
	if (fd == -2) {
		printf("passfd %s: the sender failed\n", argv[0]);
		return 1;
	}
	if (fd >= 0)
		close(fd);
	return outcome_str("passfd", fd >= 0		    ? "ok"
				     : (flags & MSG_CTRUNC) ? "CTRUNC"
							    : "no-fd");
}

static int do_getfd(int argc, char **argv)
{
	int sv[2], fd, flags = 0, num = -1, pidfd, err = 0;
	pid_t pid;

	if (argc != 3)
		return usage();
	pid = fd_sender(argv[0], argv[1], sv);
	if (pid < 0)
		return result("fd sender", argv[0], -1);
	/* The fd over the socket while still a host process: only its number
	 * counts. */
	fd = recv_fd(sv[0], &flags);
	if (fd >= 0)
		close(fd);
	if (read(sv[0], &num, sizeof(num)) != sizeof(num)) {
		printf("getfd %s: the sender failed\n", argv[0]);
		return 1;
	}
	if (join_cgroup(argv[2]))
		return 2;
	pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
	if (pidfd < 0)
		err = errno;
	else if ((fd = (int)syscall(SYS_pidfd_getfd, pidfd, num, 0)) < 0)
		err = errno;
	else
		close(fd);
	close(sv[0]);
	waitpid(pid, NULL, 0);
	return result_err("pidfd_getfd", argv[0], err);
}

static int do_hold(int argc, char **argv)
{
	char buf[64], tmp[4200];
	int fd, rfd;

	if (argc != 2)
		return usage();
	fd = open(argv[0], O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return result("open", argv[0], -1);
	snprintf(buf, sizeof(buf), "%d %d\n", getpid(), fd);
	snprintf(tmp, sizeof(tmp), "%s.tmp", argv[1]);
	rfd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (rfd < 0 || write(rfd, buf, strlen(buf)) < 0)
		return 1;
	close(rfd);
	/* READY appears whole: a reader never sees it empty. */
	if (rename(tmp, argv[1]) < 0)
		return 1;
	for (;;)
		pause();
}

static int do_opath(int argc, char **argv)
{
	char proc[64];
	struct stat st;
	char v[8];
	long r;
	int fd, fd2;

	if (argc < 2)
		return usage();
	fd = open(argv[0], O_PATH | O_CLOEXEC);
	if (fd < 0)
		return result("open O_PATH", argv[0], -1);
	if (strcmp(argv[1], "openat") == 0 && argc == 3) {
		fd2 = openat(fd, argv[2], O_RDONLY | O_CLOEXEC);
		r = fd2 < 0 ? -1 : close(fd2);
	} else if (strcmp(argv[1], "fchdir-open") == 0 && argc == 3) {
		r = fchdir(fd);
		if (r == 0) {
			fd2 = open(argv[2], O_RDONLY | O_CLOEXEC);
			r = fd2 < 0 ? -1 : close(fd2);
		}
	} else if (strcmp(argv[1], "linkat") == 0 && argc == 3) {
		r = linkat(fd, "", AT_FDCWD, argv[2], AT_EMPTY_PATH);
	} else if (strcmp(argv[1], "reopen") == 0 && argc == 2) {
		snprintf(proc, sizeof(proc), "/proc/self/fd/%d", fd);
		fd2 = open(proc, O_RDONLY | O_CLOEXEC);
		r = fd2 < 0 ? -1 : close(fd2);
	} else if (strcmp(argv[1], "fstat") == 0 && argc == 2) {
		r = fstatat(fd, "", &st, AT_EMPTY_PATH);
	} else if (strcmp(argv[1], "fgetxattr") == 0 && argc == 2) {
		r = fgetxattr(fd, XATTR_NAME, v, sizeof(v));
	} else {
		return usage();
	}
	return result(argv[1], argv[0], r);
}

static int do_openat2(int argc, char **argv)
{
	struct open_how how = {.flags = O_RDONLY | O_CLOEXEC};
	char *flags, *tok, *save = NULL;
	int dfd, fd;

	if (argc != 3)
		return usage();
	flags = argv[2];
	for (tok = strtok_r(flags, ",", &save); tok;
	     tok = strtok_r(NULL, ",", &save)) {
		if (strcmp(tok, "beneath") == 0)
			how.resolve |= RESOLVE_BENEATH;
		else if (strcmp(tok, "in_root") == 0)
			how.resolve |= RESOLVE_IN_ROOT;
		else if (strcmp(tok, "no_symlinks") == 0)
			how.resolve |= RESOLVE_NO_SYMLINKS;
		else if (strcmp(tok, "no_xdev") == 0)
			how.resolve |= RESOLVE_NO_XDEV;
		else if (strcmp(tok, "no_magiclinks") == 0)
			how.resolve |= RESOLVE_NO_MAGICLINKS;
		else if (strcmp(tok, "none") != 0)
			return usage();
	}
	dfd = open(argv[0], O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0)
		return result("open", argv[0], -1);
	fd = (int)syscall(SYS_openat2, dfd, argv[1], &how, sizeof(how));
	if (fd >= 0)
		close(fd);
	return result("openat2", argv[1], fd);
}

/* One io_uring submission, waited for; its result (-errno or >= 0). */
static int uring_one(const struct io_uring_sqe *tmpl, unsigned int setup_flags)
{
	struct io_uring_params p = {.flags = setup_flags,
				    .sq_thread_idle = 1000};
	unsigned int *sq_tail, *sq_array, *cq_head, *cq_tail, mask, tail;
	struct io_uring_sqe *sqes;
	struct io_uring_cqe *cqes;
	void *sq, *cq;
	int fd, res = -EIO;

	fd = (int)syscall(__NR_io_uring_setup, 4, &p);
	if (fd < 0)
		return -errno;
	sq = mmap(NULL, p.sq_off.array + p.sq_entries * sizeof(__u32),
		  PROT_READ | PROT_WRITE, MAP_SHARED, fd, IORING_OFF_SQ_RING);
	cq = mmap(NULL,
		  p.cq_off.cqes + p.cq_entries * sizeof(struct io_uring_cqe),
		  PROT_READ | PROT_WRITE, MAP_SHARED, fd, IORING_OFF_CQ_RING);
	sqes = mmap(NULL, p.sq_entries * sizeof(*sqes), PROT_READ | PROT_WRITE,
		    MAP_SHARED, fd, IORING_OFF_SQES);
	if (sq == MAP_FAILED || cq == MAP_FAILED || sqes == MAP_FAILED) {
		res = -errno;
		goto out;
	}
	sq_tail = (unsigned int *)((char *)sq + p.sq_off.tail);
	sq_array = (unsigned int *)((char *)sq + p.sq_off.array);
	mask = *(unsigned int *)((char *)sq + p.sq_off.ring_mask);
	cq_head = (unsigned int *)((char *)cq + p.cq_off.head);
	cq_tail = (unsigned int *)((char *)cq + p.cq_off.tail);
	cqes = (struct io_uring_cqe *)((char *)cq + p.cq_off.cqes);
	tail = *sq_tail;
	sqes[tail & mask] = *tmpl;
	sq_array[tail & mask] = tail & mask;
	__atomic_store_n(sq_tail, tail + 1, __ATOMIC_RELEASE);
	if (syscall(__NR_io_uring_enter, fd, 1, 1,
		    IORING_ENTER_GETEVENTS |
			    ((setup_flags & IORING_SETUP_SQPOLL)
				     ? IORING_ENTER_SQ_WAKEUP
				     : 0),
		    NULL, 0) < 0 &&
	    errno != EINTR) {
		res = -errno;
		goto out;
	}
	while (__atomic_load_n(cq_tail, __ATOMIC_ACQUIRE) == *cq_head)
		syscall(__NR_io_uring_enter, fd, 0, 1, IORING_ENTER_GETEVENTS,
			NULL, 0);
	res = cqes[*cq_head &
		   *(unsigned int *)((char *)cq + p.cq_off.ring_mask)]
		      .res;
	__atomic_store_n(cq_head, *cq_head + 1, __ATOMIC_RELEASE);
out:
	close(fd);
	return res;
}

static int do_uring(int argc, char **argv)
{
	struct io_uring_sqe sqe;
	unsigned int setup = 0;
	const char *op;
	int res;

	if (argc < 2)
		return usage();
	op = argv[0];
	memset(&sqe, 0, sizeof(sqe));
	sqe.fd = AT_FDCWD;
	sqe.addr = (unsigned long)argv[1];
	if (strcmp(op, "openat") == 0 || strcmp(op, "openat-sqpoll") == 0) {
		sqe.opcode = IORING_OP_OPENAT;
		sqe.open_flags = O_RDONLY | O_CLOEXEC;
		if (strcmp(op, "openat-sqpoll") == 0)
			setup = IORING_SETUP_SQPOLL;
	} else if (strcmp(op, "unlinkat") == 0) {
		sqe.opcode = IORING_OP_UNLINKAT;
	} else if (strcmp(op, "mkdirat") == 0) {
		sqe.opcode = IORING_OP_MKDIRAT;
		sqe.len = 0755;
	} else if ((strcmp(op, "renameat") == 0 || strcmp(op, "linkat") == 0) &&
		   argc == 3) {
		sqe.opcode =
			op[0] == 'r' ? IORING_OP_RENAMEAT : IORING_OP_LINKAT;
		sqe.len = (unsigned int)AT_FDCWD;
		sqe.addr2 = (unsigned long)argv[2];
	} else if (strcmp(op, "symlinkat") == 0 && argc == 3) {
		/* SYMLINKAT: addr is the target, addr2 the new name. */
		sqe.opcode = IORING_OP_SYMLINKAT;
		sqe.addr2 = (unsigned long)argv[2];
	} else {
		return usage();
	}
	res = uring_one(&sqe, setup);
	if (res >= 0 && sqe.opcode == IORING_OP_OPENAT)
		close(res);
	return result_err(op, argv[1], res < 0 ? -res : 0);
}

static int do_byhandle(int argc, char **argv)
{
	struct {
		struct file_handle fh;
		unsigned char f_handle[MAX_HANDLE_SZ];
	} h;
	int mnt_id, mfd, fd;

	if (argc != 2)
		return usage();
	h.fh.handle_bytes = MAX_HANDLE_SZ;
	if (name_to_handle_at(AT_FDCWD, argv[1], &h.fh, &mnt_id, 0) < 0)
		return result("name_to_handle_at", argv[1], -1);
	/* Not O_PATH: open_by_handle_at takes no O_PATH descriptor (EBADF). */
	mfd = open(argv[0], O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (mfd < 0)
		return result("open", argv[0], -1);
	fd = open_by_handle_at(mfd, &h.fh, O_RDONLY | O_CLOEXEC);
	close(mfd);
	if (fd >= 0)
		close(fd);
	return result("open_by_handle_at", argv[1], fd);
}

static int do_chroot(int argc, char **argv)
{
	int fd;

	if (argc != 2)
		return usage();
	if (chroot(argv[0]) < 0 || chdir("/") < 0)
		return result("chroot", argv[0], -1);
	fd = open(argv[1], O_RDONLY | O_CLOEXEC);
	if (fd >= 0)
		close(fd);
	return result("open in chroot", argv[1], fd);
}

static int do_mntns(int argc, char **argv)
{
	int fd;

	if (argc != 3)
		return usage();
	if (unshare(CLONE_NEWNS) < 0 ||
	    mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0 ||
	    mount(argv[0], argv[1], NULL, MS_BIND, NULL) < 0)
		return result("mount namespace", argv[1], -1);
	fd = open(argv[2], O_RDONLY | O_CLOEXEC);
	if (fd >= 0)
		close(fd);
	return result("open in mount namespace", argv[2], fd);
}

/* Write s to the file path; 0 or -1. */
static int write_file(const char *path, const char *s)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC), ok;

	if (fd < 0)
		return -1;
	ok = write(fd, s, strlen(s)) == (ssize_t)strlen(s);
	close(fd);
	return ok ? 0 : -1;
}

/*
 * overlay LOWER WORK NAME [dir]: what an unprivileged user can do in a user
 * namespace of its own since 5.11. Before 6.7, overlayfs opens the lower
 * file with the overlay's path.
 */
static int do_overlay(int argc, char **argv)
{
	char m[1024], e[1024], opts[4200], path[2048];
	int fd, flags = O_RDONLY | O_CLOEXEC;

	if (argc != 3 && argc != 4)
		return usage();
	if (argc == 4 && !strcmp(argv[3], "dir"))
		flags |= O_DIRECTORY;
	snprintf(m, sizeof(m), "%s/m", argv[1]);
	snprintf(e, sizeof(e), "%s/e", argv[1]);
	snprintf(opts, sizeof(opts), "lowerdir=%s:%s", argv[0], e);
	snprintf(path, sizeof(path), "%s/%s", m, argv[2]);
	if ((mkdir(m, 0755) < 0 && errno != EEXIST) ||
	    (mkdir(e, 0755) < 0 && errno != EEXIST) ||
	    unshare(CLONE_NEWUSER | CLONE_NEWNS) < 0 ||
	    write_file("/proc/self/setgroups", "deny") < 0 ||
	    write_file("/proc/self/uid_map", "0 0 1") < 0 ||
	    write_file("/proc/self/gid_map", "0 0 1") < 0 ||
	    mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0 ||
	    mount("overlay", m, "overlay", 0, opts) < 0) {
		printf("FAIL: overlay setup on %s: %s\n", m, strerror(errno));
		return 1;
	}
	fd = open(path, flags);
	if (fd >= 0)
		close(fd);
	return result("open in overlay", path, fd);
}

/* O_PATH fd of DIR/name/name/... n levels down, making them if create. */
static int descend(const char *dir, int n, const char *name, int create)
{
	int fd, next, i;

	fd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
	for (i = 0; fd >= 0 && i < n; i++) {
		if (create && mkdirat(fd, name, 0755) < 0 && errno != EEXIST) {
			close(fd);
			return -1;
		}
		next = openat(fd, name, O_PATH | O_DIRECTORY | O_CLOEXEC);
		close(fd);
		fd = next;
	}
	return fd;
}

/* mkdeep DIR N and opendeep DIR N: the file "leaf" N levels below DIR. */
static int deep_leaf(int argc, char **argv, int create)
{
	const char *name = argc == 3 ? argv[2] : NULL;
	int fd, leaf;

	if (argc != 2 && argc != 3)
		return usage();
	fd = descend(argv[0], atoi(argv[1]), name ?: "d", create);
	if (fd < 0)
		return result(create ? "mkdeep" : "walk", argv[0], -1);
	leaf = openat(fd, name ?: "leaf",
		      create ? O_WRONLY | O_CREAT | O_CLOEXEC
			     : O_RDONLY | O_CLOEXEC,
		      0644);
	close(fd);
	if (leaf >= 0)
		close(leaf);
	return result(create ? "mkdeep" : "open deep leaf", argv[0], leaf);
}

static int do_mkdeep(int argc, char **argv)
{
	return deep_leaf(argc, argv, 1);
}

static int do_opendeep(int argc, char **argv)
{
	return deep_leaf(argc, argv, 0);
}

const struct tool_cmd tool_fileops_cmds[] = {{"create", do_create},
					     {"mkdir", do_mkdir},
					     {"mknod", do_mknod},
					     {"symlink", do_symlink},
					     {"link", do_link},
					     {"unlink", do_unlink},
					     {"rmdir", do_rmdir},
					     {"rename", do_rename},
					     {"truncate", do_truncate},
					     {"chmod", do_chmod},
					     {"chown", do_chown},
					     {"utimes", do_utimes},
					     {"setxattr", do_setxattr},
					     {"removexattr", do_removexattr},
					     {"setacl", do_setacl},
					     {"removeacl", do_removeacl},
					     {"exec", do_exec},
					     {"fd-then-join", do_fd_then_join},
					     {"passfd", do_passfd},
					     {"getfd", do_getfd},
					     {"hold", do_hold},
					     {"opath", do_opath},
					     {"openat2", do_openat2},
					     {"uring", do_uring},
					     {"byhandle", do_byhandle},
					     {"chroot", do_chroot},
					     {"mntns", do_mntns},
					     {"overlay", do_overlay},
					     {"mkdeep", do_mkdeep},
					     {"opendeep", do_opendeep},
					     {}};
