// SPDX-License-Identifier: GPL-2.0
/*
 * tg-try: what a hostile tenant tries against tenantguard itself (see
 * bpf/guard.bpf.c). Each reports one outcome line.
 *
 *   kill PID [SIG]        kill(2), signal 0 unless given
 *   tgkill PID            tgkill(2) signal 0 to a thread other than the
 *                         leader (the leader if it has no other)
 *   pidfd-kill PID        pidfd_open, pidfd_send_signal signal 0
 *   ptrace PID            PTRACE_SEIZE then PTRACE_DETACH
 *   vm-read PID           process_vm_readv of one byte at PID's first mapping
 *                         (an arbitrary address when its maps are unreadable)
 *   proc-mem PID          open /proc/PID/mem
 *   cap NAME              a call that needs capability NAME first:
 *                         sys_module (delete_module), sys_boot (reboot with
 *                         a bad magic), sys_time (clock_adjtime, bad tick),
 *                         sys_rawio (ioperm), net_admin (SIOCSIFMTU on lo,
 *                         same MTU), net_admin_netns (the same in a new
 *                         network namespace), net_admin_userns (in a new user
 *                         and network namespace), audit_read (bind to the
 *                         audit log's netlink multicast group)
 *   perf-cpu              perf_event_open of a CPU-wide software counter
 *   mount TYPE|bind|bpf SRC TARGET [userns|mntns]
 *                         mount(2), in a new user and mount namespace
 *                         (userns) or mount namespace (mntns) if asked
 *   private-root mntns    a new mount namespace, mount --make-rprivate /
 *   umount TARGET         umount2(TARGET, MNT_DETACH)
 *   move-mount SRC TARGET open_tree(SRC, OPEN_TREE_CLONE), move_mount there
 *   write PATH TEXT       open PATH for writing, write TEXT
 *   clone-into DIR        clone3 with CLONE_INTO_CGROUP of cgroup DIR
 * write and clone-into act from a child: a process with credentials of its
 * own, as a tenant's workload has (tg-try itself opened cgroup files as the
 * host before it joined, and a migration checked with those credentials is
 * the host's: see bpf/guard.bpf.c, host_cgroup_creds).
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/netlink.h>
#include <linux/perf_event.h>
#include <linux/reboot.h>
#include <linux/sched.h>
#include <net/if.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/io.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/ptrace.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/timex.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "tool.h"

#ifndef OPEN_TREE_CLONE
#define OPEN_TREE_CLONE 1
#endif
#ifndef MOVE_MOUNT_F_EMPTY_PATH
#define MOVE_MOUNT_F_EMPTY_PATH 0x00000004
#endif

static int sys_err(long r)
{
	return r < 0 ? errno : 0;
}

static int do_kill(int argc, char **argv)
{
	if (argc < 1)
		return usage();
	return outcome("kill", sys_err(kill(atoi(argv[0]),
					    argc > 1 ? atoi(argv[1]) : 0)));
}

/* A thread of pid other than its leader, else the leader. */
static pid_t other_thread(pid_t pid)
{
	char path[64];
	struct dirent *e;
	pid_t tid = pid;
	DIR *d;

	snprintf(path, sizeof(path), "/proc/%d/task", (int)pid);
	d = opendir(path);
	if (!d)
		return pid;
	while ((e = readdir(d)))
		if (atoi(e->d_name) > 0 && atoi(e->d_name) != pid)
			tid = atoi(e->d_name);
	closedir(d);
	return tid;
}

static int do_tgkill(int argc, char **argv)
{
	pid_t pid;

	if (argc < 1)
		return usage();
	pid = atoi(argv[0]);
	return outcome("tgkill",
		       sys_err(syscall(SYS_tgkill, pid, other_thread(pid), 0)));
}

static int do_pidfd_kill(int argc, char **argv)
{
	int fd, err;

	if (argc < 1)
		return usage();
	fd = (int)syscall(SYS_pidfd_open, atoi(argv[0]), 0);
	if (fd < 0)
		return outcome("pidfd_open", errno);
	err = sys_err(syscall(SYS_pidfd_send_signal, fd, 0, NULL, 0));
	close(fd);
	return outcome("pidfd_send_signal", err);
}

static int do_ptrace(int argc, char **argv)
{
	pid_t pid;

	if (argc < 1)
		return usage();
	pid = atoi(argv[0]);
	if (ptrace(PTRACE_SEIZE, pid, NULL, NULL) < 0)
		return outcome("ptrace", errno);
	ptrace(PTRACE_DETACH, pid, NULL, NULL);
	return outcome("ptrace", 0);
}

static int do_vm_read(int argc, char **argv)
{
	unsigned long addr = 0x400000;
	struct iovec local, remote;
	char path[64], buf[1];
	FILE *f;

	if (argc < 1)
		return usage();
	snprintf(path, sizeof(path), "/proc/%s/maps", argv[0]);
	f = fopen(path, "re");
	if (f) {
		if (fscanf(f, "%lx", &addr) != 1)
			addr = 0x400000;
		fclose(f);
	}
	local = (struct iovec){.iov_base = buf, .iov_len = 1};
	remote = (struct iovec){.iov_base = (void *)addr, .iov_len = 1};
	return outcome("process_vm_readv",
		       sys_err(process_vm_readv(atoi(argv[0]), &local, 1,
						&remote, 1, 0)));
}

static int do_proc_mem(int argc, char **argv)
{
	char path[64];
	int fd;

	if (argc < 1)
		return usage();
	snprintf(path, sizeof(path), "/proc/%s/mem", argv[0]);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return outcome("open", errno);
	close(fd);
	return outcome("open", 0);
}

/* SIOCSIFMTU on lo to the MTU it has: needs CAP_NET_ADMIN, changes nothing. */
static int lo_mtu(void)
{
	struct ifreq ifr = {};
	int fd, err = 0;

	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return errno;
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "lo");
	if (ioctl(fd, SIOCGIFMTU, &ifr) < 0 || ioctl(fd, SIOCSIFMTU, &ifr) < 0)
		err = errno;
	close(fd);
	return err;
}

/* Join the audit subsystem's read-only multicast group (every audit record
 * of the host): the kernel asks for CAP_AUDIT_READ. */
static int audit_readlog(void)
{
	struct sockaddr_nl a = {.nl_family = AF_NETLINK,
				.nl_groups = 1 /* AUDIT_NLGRP_READLOG */};
	int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_AUDIT);
	int err = 0;

	if (fd < 0)
		return errno;
	if (bind(fd, (struct sockaddr *)&a, sizeof(a)))
		err = errno;
	close(fd);
	return err;
}

static int do_cap(int argc, char **argv)
{
	struct timex tx = {.modes = ADJ_TICK, .tick = 0};
	const char *n;
	int err;

	if (argc < 1)
		return usage();
	n = argv[0];
	if (!strcmp(n, "sys_module"))
		err = sys_err(
			syscall(SYS_delete_module, "tg_none", O_NONBLOCK));
	else if (!strcmp(n, "sys_boot"))
		err = sys_err(
			syscall(SYS_reboot, LINUX_REBOOT_MAGIC1, 0, 0, NULL));
	else if (!strcmp(n, "sys_time"))
		err = sys_err(clock_adjtime(CLOCK_REALTIME, &tx));
	else if (!strcmp(n, "sys_rawio"))
		err = sys_err(ioperm(0x80, 1, 1));
	else if (!strcmp(n, "net_admin"))
		err = lo_mtu();
	else if (!strcmp(n, "net_admin_netns"))
		err = unshare(CLONE_NEWNET) < 0 ? errno : lo_mtu();
	else if (!strcmp(n, "audit_read"))
		err = audit_readlog();
	else if (!strcmp(n, "net_admin_userns"))
		err = unshare(CLONE_NEWUSER | CLONE_NEWNET) < 0 ? errno
								: lo_mtu();
	else
		return usage();
	return outcome(n, err);
}

static int do_perf_cpu(int argc, char **argv)
{
	struct perf_event_attr a = {.type = PERF_TYPE_SOFTWARE,
				    .size = sizeof(a),
				    .config = PERF_COUNT_SW_CPU_CLOCK,
				    .disabled = 1};
	long fd;

	(void)argc;
	(void)argv;
	fd = syscall(SYS_perf_event_open, &a, -1, 0, -1, 0);
	if (fd < 0)
		return outcome("perf_event_open", errno);
	close((int)fd);
	return outcome("perf_event_open", 0);
}

/* A new mount namespace, with a new user namespace first if userns. */
static int new_ns(const char *how)
{
	int flags = CLONE_NEWNS;

	if (!how)
		return 0;
	if (!strcmp(how, "userns"))
		flags |= CLONE_NEWUSER;
	else if (strcmp(how, "mntns"))
		return EINVAL;
	if (unshare(flags) < 0)
		return errno;
	/* Not to propagate back to the parent namespace. */
	if (mount("none", "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
		return errno;
	return 0;
}

static int do_mount(int argc, char **argv)
{
	unsigned long flags = 0;
	const char *type = argv[0];
	int err;

	if (argc < 3)
		return usage();
	err = new_ns(argc > 3 ? argv[3] : NULL);
	if (err) {
		printf("mount: namespace setup failed: %s\n", strerror(err));
		return 1;
	}
	if (!strcmp(type, "bind")) {
		type = NULL;
		flags = MS_BIND;
	}
	return outcome("mount",
		       sys_err(mount(argv[1], argv[2], type, flags, NULL)));
}

static int do_private_root(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	if (unshare(CLONE_NEWNS) < 0)
		return outcome("unshare", errno);
	return outcome("mount", sys_err(mount("none", "/", NULL,
					      MS_REC | MS_PRIVATE, NULL)));
}

static int do_umount(int argc, char **argv)
{
	if (argc < 1)
		return usage();
	return outcome("umount2", sys_err(umount2(argv[0], MNT_DETACH)));
}

static int do_move_mount(int argc, char **argv)
{
	int fd, err;

	if (argc < 2)
		return usage();
	fd = (int)syscall(SYS_open_tree, AT_FDCWD, argv[0],
			  OPEN_TREE_CLONE | O_CLOEXEC);
	if (fd < 0)
		return outcome("open_tree", errno);
	err = sys_err(syscall(SYS_move_mount, fd, "", AT_FDCWD, argv[1],
			      MOVE_MOUNT_F_EMPTY_PATH));
	close(fd);
	return outcome("move_mount", err);
}

/* Run op(argv) in a child; its errno (0: success), or -1 if it died. */
static int in_child(int (*op)(char **argv), char **argv)
{
	int status;
	pid_t pid;

	fflush(stdout);
	pid = fork();
	if (pid < 0)
		return errno;
	if (pid == 0)
		_exit(op(argv));
	if (waitpid(pid, &status, 0) < 0 || !WIFEXITED(status))
		return -1;
	return WEXITSTATUS(status);
}

static int write_op(char **argv)
{
	ssize_t n;
	int fd, err = 0;

	fd = open(argv[0], O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return errno;
	n = write(fd, argv[1], strlen(argv[1]));
	if (n < 0)
		err = errno;
	close(fd);
	return err;
}

static int do_write(int argc, char **argv)
{
	if (argc < 2)
		return usage();
	return outcome("write", in_child(write_op, argv));
}

static int clone_into_op(char **argv)
{
	struct clone_args ca = {};
	int status, cg;
	long pid;

	cg = open(argv[0], O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (cg < 0)
		return errno;
	ca.flags = CLONE_INTO_CGROUP;
	ca.exit_signal = SIGCHLD;
	ca.cgroup = (__u64)cg;
	pid = syscall(SYS_clone3, &ca, sizeof(ca));
	if (pid == 0)
		_exit(0);
	close(cg);
	if (pid < 0)
		return errno;
	waitpid((pid_t)pid, &status, 0);
	return 0;
}

static int do_clone_into(int argc, char **argv)
{
	if (argc < 1)
		return usage();
	return outcome("clone3", in_child(clone_into_op, argv));
}

const struct tool_cmd tool_guard_cmds[] = {
	{"kill", do_kill},
	{"tgkill", do_tgkill},
	{"pidfd-kill", do_pidfd_kill},
	{"ptrace", do_ptrace},
	{"vm-read", do_vm_read},
	{"proc-mem", do_proc_mem},
	{"cap", do_cap},
	{"perf-cpu", do_perf_cpu},
	{"mount", do_mount},
	{"private-root", do_private_root},
	{"umount", do_umount},
	{"move-mount", do_move_mount},
	{"write", do_write},
	{"clone-into", do_clone_into},
	{NULL, NULL},
};
