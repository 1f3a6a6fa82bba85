/* SPDX-License-Identifier: GPL-2.0 */
#ifndef TG_LAUNCHER_NAMESPACES_H
#define TG_LAUNCHER_NAMESPACES_H

#include <stddef.h>
#include <sys/types.h>

/* What procfs is mounted with in a workload's PID namespace. */
#define TG_NS_PROC_OPTIONS "hidepid=invisible,subset=pid"
/*
 * The workload's own devpts instance: anyone may make a pseudo-terminal
 * there, a slave is its maker's (mode 0620), at most 128 of them, so that
 * one workload cannot use up what every instance but the host's shares
 * (kernel.pty.max less kernel.pty.reserve: 3,072 by default).
 */
#define TG_NS_DEVPTS_MAX     128
#define TG_NS_DEVPTS_OPTIONS "newinstance,ptmxmode=0666,mode=0620,max=128"

/*
 * The namespaces a workload is started in (clone flags): mount and IPC
 * always, PID with pid_ns.
 */
unsigned long tg_ns_clone_flags(int pid_ns);

/*
 * In the child, in its new mount and IPC (and PID) namespaces, still with
 * its capabilities: no mount event goes back to the host's namespace
 * (every mount a slave), a fresh procfs on /proc (with pid_ns: only the
 * namespace's tasks, TG_NS_PROC_OPTIONS), a fresh tmpfs on /dev/shm and a
 * fresh mqueue on /dev/mqueue where these directories exist (without them
 * nothing is shared: POSIX queues live in the IPC namespace), a devpts
 * instance of its own on /dev/pts where it exists. 0, or -errno
 * with what failed in why; what is in force in done (a line).
 */
int tg_ns_private_mounts(int pid_ns, char *why, size_t len, char *done,
			 size_t dlen);

/*
 * The exit status that stands for a wait status: the exit code, 128 + the
 * signal that killed it.
 */
int tg_ns_exit_code(int wstatus);

/*
 * The PID namespace's init (pid 1), with every signal blocked: passes each
 * signal it gets on to workload, reaps every child (orphans included), and
 * exits with the workload's exit status once it ends (the kernel then ends
 * what is left in the namespace).
 */
void tg_ns_init(pid_t workload) __attribute__((noreturn));

#endif /* TG_LAUNCHER_NAMESPACES_H */
