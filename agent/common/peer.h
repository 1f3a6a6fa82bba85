/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Who a process is, as the kernel sees it: its cgroup v2 path (from
 * /proc/PID/cgroup, as the reader's cgroup namespace shows it, e.g.
 * "/tenants/acme") and its comm; and who is at the other end of a unix
 * socket. Never its uid: a tenant's process may be uid 0.
 *
 * A pid may be another process's by the time its files are read. A pidfd
 * pins the process (SO_PEERPIDFD where the kernel has it, else pidfd_open
 * of the SO_PEERCRED pid) and the process must still be alive once its
 * files are read; else its answer is refused (-ESRCH).
 */
#ifndef TG_COMMON_PEER_H
#define TG_COMMON_PEER_H

#include <limits.h>
#include <stddef.h>
#include <sys/types.h>

#define TG_PROC_CGROUP_MAX 16384 /* bytes of a /proc/PID/cgroup file read */
#define TG_PEER_COMM_LEN   16	 /* TASK_COMM_LEN */
#define TG_PEER_WHY_LEN	   160
#define TG_PEER_GROUPS_MAX 256 /* supplementary groups read (SO_PEERGROUPS) */

/*
 * The cgroup v2 path in text, the NUL-terminated contents of a
 * /proc/PID/cgroup file, into out (len bytes). The file is read strictly:
 * every line "ID:CONTROLLERS:PATH\n" (ID decimal, PATH absolute), and
 * exactly one line with ID 0 and no controllers (the cgroup v2 one; v1
 * lines come first on hybrid hosts). Returns 0, -EBADMSG (no such line,
 * more than one, a malformed line) or -ENAMETOOLONG, with the problem in
 * why (wlen bytes).
 */
int tg_cgroup_file_parse(const char *text, char *out, size_t len, char *why,
			 size_t wlen);

/* The same for the file at path (at most TG_PROC_CGROUP_MAX bytes). */
int tg_cgroup_file_read(const char *path, char *out, size_t len, char *why,
			size_t wlen);

/*
 * The cgroup v2 path of process pid into out. With pidfd >= 0 (the same
 * process), -ESRCH if it ended before the file was read through. 0 or
 * -errno, with the problem in why.
 */
int tg_proc_cgroup(pid_t pid, int pidfd, char *out, size_t len, char *why,
		   size_t wlen);

/* The other end of a connected unix socket. */
struct tg_peer {
	pid_t pid; /* SO_PEERCRED: in the reader's pid namespace, 0 unknown */
	uid_t uid;
	gid_t gid;
	/* Supplementary groups at connect (SO_PEERGROUPS); none read when it
	 * has more than TG_PEER_GROUPS_MAX (groups_err -ERANGE) or fails. */
	gid_t groups[TG_PEER_GROUPS_MAX];
	unsigned int n_groups;
	int groups_err;
	char cgroup[PATH_MAX];	     /* cgroup v2 path; "" unless err is 0 */
	char comm[TG_PEER_COMM_LEN]; /* "" if unknown */
	char exe[PATH_MAX];	     /* /proc/PID/exe; "" if unknown */
	long loginuid;		     /* login uid, -1 if unset or unknown */
	int err;		     /* 0, or -errno: the cgroup is unknown */
	char why[TG_PEER_WHY_LEN];   /* why it is unknown */
};

/*
 * A pidfd of sock's peer (pid, from SO_PEERCRED): the process that
 * connected itself where the kernel tells (SO_PEERPIDFD), else what pid is
 * now. -errno on failure.
 */
int tg_peer_pidfd(int sock, pid_t pid);

/* Whether the process of pidfd has exited (or cannot be told). */
int tg_pidfd_exited(int pidfd);

/*
 * The peer's credentials (SO_PEERCRED) and supplementary groups
 * (SO_PEERGROUPS, p->groups_err when they cannot be read) into p. 0 or
 * -errno (SO_PEERCRED failed).
 */
int tg_peer_creds(int sock, struct tg_peer *p);

/*
 * The peer's cgroup, comm, executable and login uid into p (its
 * credentials known), read while
 * a pidfd pins the process. Returns p->err: 0, or -errno with p->why.
 */
int tg_peer_cgroup(int sock, struct tg_peer *p);

#endif /* TG_COMMON_PEER_H */
