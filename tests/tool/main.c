// SPDX-License-Identifier: GPL-2.0
/*
 * tg-try: the test suites' hands. Performs one system call from a chosen
 * cgroup and checks its outcome, or waits for events in the collector's log.
 *
 *   Every form takes --login-uid UID first too (the audit login uid set
 *   before anything else, as pam_loginuid does at login).
 *   tg-try [--cgroup DIR] [--expect ok|ERRNO] open PATH [r|w|dir]
 *   tg-try [--cgroup DIR] [--expect ok|ERRNO] [--bind SRC] connect tcp|udp ADDR
 * PORT tg-try [--cgroup DIR] [--expect ok|ERRNO] bind PROTO ADDR PORT [OPTS...]
 *          (PROTO tcp, udp, udplite, mptcp; OPTS: see tests/tool/net.c)
 *   tg-try [--cgroup DIR] [--expect ok|ERRNO] [--move-to DIR] sendto udp ADDR
 * PORT
 *          (--move-to: join DIR after creating the socket, before using it)
 *   tg-try [--cgroup DIR] listen PROTO ADDR PORT|0|- [READY_FILE [OPTS...]]
 *          (READY_FILE gets the port; 0: bind to port 0; -: no bind)
 *   tg-try [--cgroup DIR] listen-hold PROTO ADDR PORT [READY_FILE [OPTS...]]
 *          (as listen; the connections accepted stay open)
 *   tg-try [--cgroup DIR] [--expect ok|ERRNO] connect-hold PROTO ADDR PORT
 *          FILE   (connect, write a byte, FILE.up made; open until FILE)
 *   tg-try [--cgroup DIR] [--expect ok|ERRNO] sendmsg|sendmmsg|connect-send
 *          udp ADDR PORT, fastopen|fastopen-connect tcp ADDR PORT,
 *          uring-connect|uring-sendmsg tcp|udp ADDR PORT (see net.c, uring.c)
 *   tg-try [--cgroup DIR] [--expect ok|ERRNO] sendto-again PROTO ADDR PORT FILE
 *          (a send, FILE.sent made, then once FILE exists a second send)
 *   tg-try [--cgroup DIR] bind-race CG1 CG2 PORT ROUNDS
 *   tg-try [--cgroup DIR] autobind PROTO N bind|connect|listen|send ADDR PORT
 *   tg-try [--cgroup DIR] connect-loop tcp|udp ADDR PORT STOP_FILE
 *          (connects until STOP_FILE exists; prints the outcome counts)
 *   tg-try [--cgroup DIR] connect-repeat tcp|udp ADDR PORT N GAP_MS
 *          (N connects GAP_MS apart; prints the outcome counts)
 *   tg-try wait-event LOG [--timeout SEC] [--count N] KEY=VALUE...
 *   tg-try count-events LOG KEY=VALUE...
 *   tg-try rechain < STORED_LINE BODY   (BODY chained after STORED_LINE, as
 *          someone without the key can: see tests/tool/events.c)
 *   tg-try control SOCKET JSON [pass-stdin|pass-stdio]   (one control request: see
 *          tests/tool/control.c)
 *   tg-try control-stream SOCKET JSON   (a request answered by a stream)
 *   tg-try control-slow SOCKET N silent|dribble|unread SECONDS
 *   tg-try control-linger SOCKET SECONDS
 *          (misbehaving clients: tests/tool/control.c)
 *   tg-try [--expect ok|ERRNO] syscall NAME
 *          (NAME with harmless arguments: bpf, mount, ptrace, ...; also
 *          i386-bpf and x32-bpf, the same call through the compat ABIs,
 *          i386-abi ok if this kernel runs int $0x80 at all;
 *          terminal requests on fd 0: tiocsti, tiocsti-high, i386-tiocsti,
 *          tioclinux, tcgets, tiocgwinsz)
 *   tg-try map-set NAME VALUE | map-get NAME   (a BPF array map's element 0)
 *   tg-try prog-insns [PREFIX]   (loaded programs' verified instructions)
 *   tg-try getppid-loop N   (prints nanoseconds per call)
 *   tg-try tcp-loop N | udp-loop N | tcp-ab ... | udp-ab ...   (loopback
 *          loops of the network benchmark: see tests/tool/netbench.c)
 *   tg-try [--cgroup DIR] [--expect ok|ERRNO] exec PATH [ARGS...]
 *   tg-try [--cgroup DIR] open-loop PATH N [refused]   (ns per open+close;
 *          with refused, refused opens go on and their count follows)
 *   tg-try sock|sock-listen|sock-pass ...   (unix sockets, socket use:
 *          see tests/tool/unix.c)
 *   tg-try sendmsg-pktinfo|socket|rebind|bind-many ...   (see
 *          tests/tool/netsend.c)
 *   tg-try [--cgroup DIR] [--expect ok|ERRNO] socket-of|socketpair-of|
 *          uring-socket FAMILY TYPE PROTO, netlink-dump route|sock_diag
 *          (sockets of any family: see tests/tool/families.c)
 *   tg-try [--expect ok|denied] pending-race DIR N connect tcp|udp ADDR PORT
 *   tg-try [--expect ok|denied] pending-race DIR N open PATH
 *          (N fresh cgroups below DIR, a connect or open from each at
 *          once: see tests/tool/pending.c)
 *   tg-try [--cgroup DIR] [--expect ok|ERRNO] kill|tgkill|pidfd-kill|ptrace|
 *          vm-read|proc-mem PID, cap NAME, perf-cpu, mount, umount,
 *          move-mount, write PATH TEXT, clone-into DIR (what a tenant tries
 *          against tenantguard itself: see tests/tool/guard.c)
 *   tg-try [--cgroup DIR] [--expect ok|ERRNO] victim|sigqueue|kill-pgrp|
 *          kill-all|setnice|ioprio|setsched|affinity|prlimit|move-pages|kcmp|
 *          sigio|sigio-self|tgkill-thread|kill-loop|sched-loop|run|sysv-* ...
 *          (what a tenant tries against other
 *          processes: see tests/tool/proc.c)
 *   tg-try ipc-make KEY | ipc-probe KEY SHMID MSQID   (SysV and POSIX IPC
 *          objects: see tests/tool/ipc.c)
 *   tg-try [--expect ok|ERRNO] tty-inject TEXT   (TIOCSTI into fds 0, 1, 2
 *          and /dev/tty: see tests/tool/terminal.c)
 *   tg-try [--cgroup DIR] [--expect ok|ERRNO] inotify PATH, dnotify DIR,
 *          fanotify-mark inode|mount|fs PATH, ns-mark mount|fs SRC|tmpfs DIR
 *          (watches: see tests/tool/watch.c)
 *   tg-try revoke-timing CGROUP LOGIN_UID LOG GRANT -- CMD...,
 *          expiry-timing CGROUP LOGIN_UID LOG GRANT MAP [AFTER_MS]   (how soon
 *          a grant's end refuses a support actor's connects),
 *          grants-ab tcp|udp N PAIRS CGROUP MAP   (a loop with and without
 *          the grants map's entries): see tests/tool/grant_timing.c
 *   tg-try fuse-hang MOUNTPOINT READY_FILE HANG_FILE   (a FUSE filesystem
 *          that stops answering once HANG_FILE exists: see tests/tool/fuse.c)
 *   tg-try boottime, [--expect ok|ERRNO] fd-read-after PATH GO READY,
 *          mmap PATH shared|private   (grants: see tests/tool/grant.c)
 *
 * Exit 0 when the outcome matches --expect (or the call succeeded without
 * --expect), 1 otherwise, 2 on a usage error.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "tool.h"

const char *expect;
const char *bind_src;
const char *move_to;

int usage(void)
{
	fprintf(stderr,
		"tg-try: bad usage; see the comment at the top of tests/tool/main.c\n");
	return 2;
}

/*
 * cgroup.procs of the cgroups a later step moves this process into, opened
 * at start while it is still where the test harness started it (the host):
 * a tenant may not write another tenant's cgroup files, and a move between
 * tenants stands for what a host supervisor does.
 */
#define MAX_HELD 16
static struct {
	char dir[512];
	int fd;
} held[MAX_HELD];
static int n_held;

static void hold_cgroup(const char *dir)
{
	char path[600];
	int fd;

	if (n_held >= MAX_HELD || strlen(dir) >= sizeof(held[0].dir))
		return;
	snprintf(path, sizeof(path), "%s/cgroup.procs", dir);
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return;
	snprintf(held[n_held].dir, sizeof(held[n_held].dir), "%s", dir);
	held[n_held++].fd = fd;
}

/* Hold every cgroup named by --move-to DIR or a move=DIR step in argv. */
static void hold_move_targets(int argc, char **argv)
{
	char buf[4096], *s, *save = NULL;
	int i;

	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--move-to") == 0 && i + 1 < argc) {
			hold_cgroup(argv[i + 1]);
			continue;
		}
		if (!strstr(argv[i], "move=") || strlen(argv[i]) >= sizeof(buf))
			continue;
		snprintf(buf, sizeof(buf), "%s", argv[i]);
		for (s = strtok_r(buf, ",", &save); s;
		     s = strtok_r(NULL, ",", &save))
			if (strncmp(s, "move=", 5) == 0)
				hold_cgroup(s + 5);
	}
}

int join_cgroup(const char *dir)
{
	char path[4096];
	int fd, i, n;

	for (i = 0; i < n_held; i++)
		if (strcmp(held[i].dir, dir) == 0)
			return write(held[i].fd, "0\n", 2) == 2 ? 0 : -errno;
	snprintf(path, sizeof(path), "%s/cgroup.procs", dir);
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = (int)write(fd, "0\n", 2);
	close(fd);
	return n == 2 ? 0 : -errno;
}

/* Report the outcome of an operation; err is 0 or an errno. */
int outcome(const char *what, int err)
{
	const char *got = err ? strerrorname_np(err) : "ok";

	return outcome_name(what, got ? got : "unknown-errno");
}

int outcome_name(const char *what, const char *got)
{
	printf("%s: %s\n", what, got);
	if (!expect)
		return strcmp(got, "ok") != 0;
	if (strcmp(expect, got) == 0)
		return 0;
	printf("FAIL: %s: expected %s, got %s\n", what, expect, got);
	return 1;
}

/* Fill ss from a numeric IPv4 or IPv6 address and a port. */
int make_addr(const char *addr, const char *port, struct sockaddr_storage *ss,
	      socklen_t *len)
{
	struct sockaddr_in *s4 = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;
	int p = atoi(port);

	memset(ss, 0, sizeof(*ss));
	if (inet_pton(AF_INET, addr, &s4->sin_addr) == 1) {
		s4->sin_family = AF_INET;
		s4->sin_port = htons((unsigned short)p);
		*len = sizeof(*s4);
		return 0;
	}
	if (inet_pton(AF_INET6, addr, &s6->sin6_addr) == 1) {
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons((unsigned short)p);
		*len = sizeof(*s6);
		return 0;
	}
	return -EINVAL;
}

int sock_type(const char *proto)
{
	if (strcmp(proto, "tcp") == 0)
		return SOCK_STREAM;
	if (strcmp(proto, "udp") == 0)
		return SOCK_DGRAM;
	return -1;
}

static const struct tool_cmd *const tables[] = {
	tool_file_cmds,		tool_fileops_cmds,   tool_bench_cmds,
	tool_net_cmds,		tool_netbench_cmds,  tool_event_cmds,
	tool_syscall_cmds,	tool_ratelimit_cmds, tool_uring_cmds,
	tool_fanotify_cmds,	tool_unix_cmds,	     tool_delivery_cmds,
	tool_netsend_cmds,	tool_pending_cmds,   tool_bpfmap_cmds,
	tool_loops_cmds,	tool_guard_cmds,     tool_ipc_cmds,
	tool_terminal_cmds,	tool_proc_cmds,	     tool_families_cmds,
	tool_watch_cmds,	tool_fuse_cmds,	     tool_control_cmds,
	tool_grant_timing_cmds, tool_grant_cmds,
};

int main(int argc, char **argv)
{
	const struct tool_cmd *c;
	size_t t;
	int i = 1, err;

	setvbuf(stdout, NULL, _IOLBF, 0);
	hold_move_targets(argc, argv);
	for (; i + 1 < argc && argv[i][0] == '-'; i += 2) {
		if (strcmp(argv[i], "--cgroup") == 0) {
			err = join_cgroup(argv[i + 1]);
			if (err) {
				fprintf(stderr, "tg-try: join %s: %s\n",
					argv[i + 1], strerror(-err));
				return 2;
			}
		} else if (strcmp(argv[i], "--login-uid") == 0) {
			/* As pam_loginuid sets it at login. */
			int fd = open("/proc/self/loginuid", O_WRONLY);
			size_t n = strlen(argv[i + 1]);

			if (fd < 0 || write(fd, argv[i + 1], n) != (ssize_t)n) {
				fprintf(stderr,
					"tg-try: set login uid %s: %s\n",
					argv[i + 1], strerror(errno));
				return 2;
			}
			close(fd);
		} else if (strcmp(argv[i], "--expect") == 0) {
			expect = argv[i + 1];
		} else if (strcmp(argv[i], "--bind") == 0) {
			bind_src = argv[i + 1];
		} else if (strcmp(argv[i], "--move-to") == 0) {
			move_to = argv[i + 1];
		} else {
			return usage();
		}
	}
	if (i >= argc)
		return usage();
	for (t = 0; t < sizeof(tables) / sizeof(tables[0]); t++)
		for (c = tables[t]; c->name; c++)
			if (strcmp(argv[i], c->name) == 0)
				return c->fn(argc - i - 1, argv + i + 1);
	return usage();
}
