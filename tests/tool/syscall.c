// SPDX-License-Identifier: GPL-2.0
/* tg-try: system calls a seccomp profile decides, and a loop to time. */
#define _GNU_SOURCE
#include <errno.h>
#include <linux/sched.h>
#include <sched.h>
#include <termios.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/ioctl.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "tool.h"

/* A raw clone with flags; the child, if any, exits at once. */
static long clone_flags(unsigned long flags)
{
	long pid = syscall(SYS_clone, flags | SIGCHLD, NULL, NULL, NULL, 0);

	if (pid == 0)
		_exit(0);
	if (pid > 0)
		waitpid((pid_t)pid, NULL, 0);
	return pid;
}

#ifdef __x86_64__
/* A call through the 32-bit x86 ABI (int $0x80) from this 64-bit process. */
static long int80(long nr, long a, long b, long c)
{
	long ret;

	__asm__ volatile("int $0x80"
			 : "=a"(ret)
			 : "a"(nr), "b"(a), "c"(b), "d"(c)
			 : "memory");
	if (ret < 0 && ret > -4096) {
		errno = (int)-ret;
		return -1;
	}
	return ret;
}

/* Whether this kernel runs int $0x80 at all (some hypervisors trap it). */
static int i386_abi(void)
{
	int status = 0;
	pid_t pid = fork();

	if (pid == 0)
		_exit(int80(20 /* getpid */, 0, 0, 0) > 0 ? 0 : 1);
	if (pid < 0 || waitpid(pid, &status, 0) != pid)
		return -1;
	return WIFEXITED(status) && WEXITSTATUS(status) == 0;
}
#endif

static int do_syscall(int argc, char **argv)
{
	char buf[16];
	struct iovec local = {buf, sizeof(buf)}, remote = {buf, sizeof(buf)};
	const char *n;
	long r;

	if (argc < 1)
		return usage();
	n = argv[0];
	errno = 0;
	if (!strcmp(n, "bpf"))
		r = syscall(SYS_bpf, 0, NULL, 0);
	else if (!strcmp(n, "perf_event_open"))
		r = syscall(SYS_perf_event_open, NULL, 0, -1, -1, 0);
	else if (!strcmp(n, "init_module"))
		r = syscall(SYS_init_module, NULL, 0, "");
	else if (!strcmp(n, "finit_module"))
		r = syscall(SYS_finit_module, -1, "", 0);
	else if (!strcmp(n, "delete_module"))
		r = syscall(SYS_delete_module, "tg_no_such_module", 0);
	else if (!strcmp(n, "kexec_load"))
		r = syscall(SYS_kexec_load, 0, 0, NULL, 0xdead0000);
	else if (!strcmp(n, "kexec_file_load"))
		r = syscall(SYS_kexec_file_load, -1, -1, 0, "", 0xdead0000);
	else if (!strcmp(n, "mount"))
		r = mount("none", "/tg-no-such-dir", "tmpfs", 0, NULL);
	else if (!strcmp(n, "umount2"))
		r = umount2("/tg-no-such-dir", 0);
	else if (!strcmp(n, "pivot_root"))
		r = syscall(SYS_pivot_root, "/tg-no-such-dir",
			    "/tg-no-such-dir");
	else if (!strcmp(n, "fsopen"))
		r = syscall(SYS_fsopen, "tg-no-such-fs", 0);
	else if (!strcmp(n, "open_tree"))
		r = syscall(SYS_open_tree, -1, "/tg-no-such-dir", 0);
	else if (!strcmp(n, "unshare"))
		r = unshare(CLONE_NEWUSER);
	else if (!strcmp(n, "unshare-net"))
		r = unshare(CLONE_NEWNET);
	else if (!strcmp(n, "clone"))
		r = clone_flags(CLONE_NEWUSER);
	else if (!strcmp(n, "clone-ns"))
		r = clone_flags(CLONE_NEWNS);
	else if (!strcmp(n, "clone-plain"))
		r = clone_flags(0);
	else if (!strcmp(n, "clone3")) {
		struct clone_args ca = {.exit_signal = SIGCHLD};

		r = syscall(SYS_clone3, &ca, sizeof(ca));
		if (r == 0)
			_exit(0);
		if (r > 0)
			waitpid((pid_t)r, NULL, 0);
	} else if (!strcmp(n, "setns"))
		r = setns(-1, 0);
	else if (!strcmp(n, "ptrace"))
		r = ptrace(PTRACE_PEEKDATA, getppid(), NULL, NULL);
	else if (!strcmp(n, "process_vm_readv"))
		r = process_vm_readv(getppid(), &local, 1, &remote, 1, 0);
	else if (!strcmp(n, "process_vm_writev"))
		r = process_vm_writev(getppid(), &local, 1, &remote, 1, 0);
	else if (!strcmp(n, "add_key"))
		r = syscall(SYS_add_key, "user", "tg", "x", 1, -2);
	else if (!strcmp(n, "request_key"))
		r = syscall(SYS_request_key, "user", "tg-no-such-key", NULL, 0);
	else if (!strcmp(n, "keyctl"))
		r = syscall(SYS_keyctl, 0 /* KEYCTL_GET_KEYRING_ID */, -2, 0);
	else if (!strcmp(n, "io_uring_setup"))
		r = syscall(SYS_io_uring_setup, 0, NULL);
	else if (!strcmp(n, "io_uring_enter"))
		r = syscall(SYS_io_uring_enter, -1, 0, 0, 0, NULL, 0);
	else if (!strcmp(n, "io_uring_register"))
		r = syscall(SYS_io_uring_register, -1, 0, NULL, 0);
	else if (!strcmp(n, "open_by_handle_at"))
		r = syscall(SYS_open_by_handle_at, -1, NULL, 0);
	else if (!strcmp(n, "userfaultfd"))
		r = syscall(SYS_userfaultfd, 0);
	else if (!strcmp(n, "pidfd_getfd"))
		r = syscall(SYS_pidfd_getfd, -1, 0, 0);
	else if (!strcmp(n, "chroot"))
		r = chroot("/tg-no-such-dir");
	else if (!strcmp(n, "getppid"))
		r = getppid();
	/* Terminal requests on fd 0: TIOCSTI pushes a newline into its input.
	 */
	else if (!strcmp(n, "tiocsti"))
		r = ioctl(0, TIOCSTI, "\n");
	else if (!strcmp(n,
			 "tiocsti-high")) /* the same request, high bits set */
		r = syscall(SYS_ioctl, 0, (1UL << 32) | TIOCSTI, "\n");
	else if (!strcmp(n, "tioclinux")) {
		char sub = 6; /* TIOCL_GETSHIFTSTATE */

		r = ioctl(0, TIOCLINUX, &sub);
	} else if (!strcmp(n, "tcgets")) {
		struct termios t;

		r = ioctl(0, TCGETS, &t);
	} else if (!strcmp(n, "tiocgwinsz")) {
		struct winsize w;

		r = ioctl(0, TIOCGWINSZ, &w);
	}
#ifdef __x86_64__
	else if (!strcmp(n, "i386-abi")) {
		r = i386_abi() > 0 ? 0 : -1;
		errno = r ? ENOSYS : 0;
	} else if (!strcmp(n, "i386-getpid"))
		r = int80(20, 0, 0, 0);
	else if (!strcmp(n, "i386-bpf"))
		r = int80(357, 0, 0, 0);
	else if (!strcmp(n, "i386-tiocsti"))
		r = int80(54 /* ioctl */, 0, TIOCSTI, 0);
	else if (!strcmp(n, "x32-bpf"))
		r = syscall(0x40000000 | 321, 0, NULL, 0);
#endif
	else
		return usage();
	return outcome(n, r < 0 ? errno : 0);
}

/* getppid N times; prints the mean nanoseconds per call. */
static int do_getppid_loop(int argc, char **argv)
{
	struct timespec a, b;
	long i, n;

	if (argc < 1 || (n = atol(argv[0])) <= 0)
		return usage();
	clock_gettime(CLOCK_MONOTONIC, &a);
	for (i = 0; i < n; i++)
		syscall(SYS_getppid);
	clock_gettime(CLOCK_MONOTONIC, &b);
	printf("%.2f\n",
	       ((b.tv_sec - a.tv_sec) * 1e9 + (b.tv_nsec - a.tv_nsec)) / n);
	return 0;
}

const struct tool_cmd tool_syscall_cmds[] = {
	{"syscall", do_syscall}, {"getppid-loop", do_getppid_loop}, {}};
