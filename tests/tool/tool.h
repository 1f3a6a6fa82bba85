/* SPDX-License-Identifier: GPL-2.0 */
/* tg-try: what the command files share. */
#ifndef TG_TOOL_H
#define TG_TOOL_H

#include <netinet/in.h>
#include <sys/socket.h>

/* One subcommand: tg-try [options] NAME ARGS... */
struct tool_cmd {
	const char *name;
	int (*fn)(int argc, char **argv); /* argv[0] is the first ARG */
};

/* Each command file's table, ended by an entry with a NULL name. */
extern const struct tool_cmd tool_file_cmds[];
extern const struct tool_cmd tool_fileops_cmds[];
extern const struct tool_cmd tool_bench_cmds[];
extern const struct tool_cmd tool_net_cmds[];
extern const struct tool_cmd tool_netbench_cmds[];
extern const struct tool_cmd tool_event_cmds[];
extern const struct tool_cmd tool_syscall_cmds[];
extern const struct tool_cmd tool_ratelimit_cmds[];
extern const struct tool_cmd tool_uring_cmds[];
extern const struct tool_cmd tool_fanotify_cmds[];
extern const struct tool_cmd tool_unix_cmds[];
extern const struct tool_cmd tool_delivery_cmds[];
extern const struct tool_cmd tool_netsend_cmds[];
extern const struct tool_cmd tool_pending_cmds[];
extern const struct tool_cmd tool_bpfmap_cmds[];
extern const struct tool_cmd tool_loops_cmds[];
extern const struct tool_cmd tool_guard_cmds[];
extern const struct tool_cmd tool_ipc_cmds[];
extern const struct tool_cmd tool_terminal_cmds[];
extern const struct tool_cmd tool_proc_cmds[];
extern const struct tool_cmd tool_families_cmds[];
extern const struct tool_cmd tool_watch_cmds[];
extern const struct tool_cmd tool_fuse_cmds[];
extern const struct tool_cmd tool_control_cmds[];
extern const struct tool_cmd tool_grant_timing_cmds[];
extern const struct tool_cmd tool_grant_cmds[];

/* Options given before the subcommand. */
extern const char *expect;   /* --expect ok|ERRNO */
extern const char *bind_src; /* --bind: connect from this address */
extern const char *move_to;  /* --move-to: join DIR after socket() */

int usage(void);
/* Join the cgroup directory dir; 0 or -errno. */
int join_cgroup(const char *dir);
/* Report the outcome of an operation (err: 0 or an errno) against --expect. */
int outcome(const char *what, int err);
/* The same for an outcome named got: "ok", an errno name, a flag name. */
int outcome_name(const char *what, const char *got);
/* Write text to path through path.tmp and a rename; 0 or -1. */
int write_ready(const char *path, const char *text);
/* Fill ss from a numeric IPv4 or IPv6 address and a port; -EINVAL if bad. */
int make_addr(const char *addr, const char *port, struct sockaddr_storage *ss,
	      socklen_t *len);
/* SOCK_STREAM for "tcp", SOCK_DGRAM for "udp", else -1. */
int sock_type(const char *proto);

/* Outcomes of connect attempts. */
struct connect_counts {
	unsigned long attempts, eperm, ok, other;
};
/* One connect from a fresh socket, its outcome counted in c; 0 or -errno. */
int connect_counted(const struct sockaddr_storage *ss, socklen_t len, int type,
		    struct connect_counts *c);
/* "attempts=N eperm=N ok=N other=N" on stdout. */
void print_connect_counts(const struct connect_counts *c);

/* One loopback loop's sockets, made in the cgroup it runs in (netbench.c). */
struct net_loop {
	int tcp;
	int l;		       /* listener (TCP), receiver (UDP) */
	int c;		       /* sender (UDP) */
	struct sockaddr_in sa; /* l's address */
};
/* Make lp's sockets in the current cgroup; 0, or -1 after perror. */
int net_loop_open(struct net_loop *lp, int tcp);
/* n iterations on lp: nanoseconds per iteration, or -1 after perror. */
double net_loop_run(struct net_loop *lp, long n);
void net_loop_close(struct net_loop *lp);

#endif /* TG_TOOL_H */
