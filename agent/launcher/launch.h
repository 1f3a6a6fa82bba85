/* SPDX-License-Identifier: GPL-2.0 */
#ifndef TG_LAUNCHER_LAUNCH_H
#define TG_LAUNCHER_LAUNCH_H

#include <seccomp.h>
#include <sys/types.h>

#define EXIT_LAUNCH 125 /* the launcher itself failed */

struct tg_launch {
	const char *tenant;
	const char *cgroup;	/* the tenant's cgroup directory */
	const char *profile;	/* name, for events and messages */
	scmp_filter_ctx filter; /* installed last, just before exec */
	int notify;		/* the filter has notify rules */
	int switch_ids;
	int pid_ns; /* a PID namespace of its own, with an init and /proc */
	uid_t uid;
	gid_t gid;
	char *const *argv;	    /* CMD and its arguments */
	const char *control_socket; /* the agent, for the seccomp listener */
	/*
	 * Launched by the agent for a client of its control socket: 0, 1
	 * and 2 are the client's (passed with SCM_RIGHTS), its terminal, if
	 * one, is in no session of the launcher's, foreground says whether
	 * the client was in that terminal's foreground (relay its input, raw
	 * mode), and when hangup_fd (>= 0, the client's connection) hangs up
	 * or has anything to read, the workload is killed. hangup_fd -1: the
	 * launcher's own stdio, as root's CLI runs it.
	 */
	int hangup_fd;
	int passed_stdio;
	int foreground;
	/* If set: told the workload's pid once it is started. */
	void (*started)(pid_t pid, void *arg);
	void *started_arg;
};

struct tg_sc_profile;
struct tg_diag;

/*
 * What the launcher asks of profile p beyond compiling: a notify profile
 * must allow sendmsg (the listener is handed over with it), and with
 * pid_ns the init's calls. 0, or -EINVAL with the reason in why.
 */
int tg_launch_profile_check(const struct tg_sc_profile *p, int pid_ns,
			    char *why, size_t len);

/*
 * The profile called name (a file if it holds '/', else in dir, NULL the
 * default, else built in) into p, its name into l->profile, compiled into
 * l->filter, checked to let the launcher hand its listener over and, with
 * l->pid_ns, the init run. 0, or -errno with the reason in d (parse
 * errors) or in why (the rest); p is to be freed either way.
 */
int tg_launch_profile(struct tg_launch *l, struct tg_sc_profile *p,
		      const char *name, const char *dir, struct tg_diag *d,
		      char *why, size_t len);

/*
 * Start argv in the tenant's cgroup (clone3 CLONE_INTO_CGROUP, or joined
 * before anything else runs where the kernel lacks it), in a cgroup
 * namespace rooted there, in mount and IPC namespaces of its own (a
 * private /dev/shm and /dev/mqueue) and, with pid_ns, a PID namespace
 * whose pid 1 is a small init (launcher/namespaces.h) under the same ids and
 * filter, with a /proc that shows the namespace's tasks only. Every
 * capability dropped (bounding and ambient sets too), securebits locked,
 * no_new_privs, optionally other ids, the filter installed as the last
 * step before exec (before the init starts CMD). When any of 0, 1, 2 is
 * a terminal, CMD gets a pseudo-terminal of its own in its place, as its
 * controlling terminal (launcher/terminal.h). A namespace that cannot be made
 * fails the launch. The launcher stays as the parent: it hands the
 * seccomp listener to the agent (or answers it itself, EPERM, when the
 * agent is unreachable), relays the terminal, forwards signals sent to it,
 * and returns CMD's exit status (128 + signal if killed; 126 if CMD could
 * not be started, 127 if it was not found). What goes wrong is logged;
 * with -v (tg_log_init) also where CMD runs, its namespaces and what
 * became of the listener.
 */
int tg_launch(const struct tg_launch *l);

#endif /* TG_LAUNCHER_LAUNCH_H */
