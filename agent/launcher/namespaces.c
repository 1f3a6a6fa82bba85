// SPDX-License-Identifier: GPL-2.0
/*
 * A launched workload's namespaces: its mounts kept from the host, its
 * own /proc, /dev/shm and /dev/mqueue, and the init of its PID namespace.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "launcher/namespaces.h"

unsigned long tg_ns_clone_flags(int pid_ns)
{
	return CLONE_NEWNS | CLONE_NEWIPC | (pid_ns ? CLONE_NEWPID : 0);
}

/*
 * A fresh filesystem of type on dir, in place of what was mounted there
 * (detached: none of it stays reachable). 0 or -errno.
 */
static int mount_fresh(const char *dir, const char *type, unsigned long flags,
		       const char *options)
{
	if (umount2(dir, MNT_DETACH) && errno != EINVAL)
		return -errno;
	return mount(type, dir, type, flags, options) ? -errno : 0;
}

static int is_dir(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

int tg_ns_private_mounts(int pid_ns, char *why, size_t len, char *done,
			 size_t dlen)
{
	const unsigned long nosuid = MS_NOSUID | MS_NODEV | MS_NOEXEC;
	int shm = is_dir("/dev/shm"), mq = is_dir("/dev/mqueue"),
	    pts = is_dir("/dev/pts"), err;

	/* Mounts from the host still arrive; none made here goes back. */
	if (mount(NULL, "/", NULL, MS_REC | MS_SLAVE, NULL)) {
		err = -errno;
		snprintf(
			why, len,
			"mount namespace: making every mount a slave of the host's: %s",
			strerror(-err));
		return err;
	}
	/* Mounted from inside the PID namespace: only its tasks are there. */
	err = pid_ns ? mount_fresh("/proc", "proc", nosuid, TG_NS_PROC_OPTIONS)
		     : 0;
	if (err) {
		snprintf(why, len,
			 "PID namespace: a fresh procfs on /proc (%s): %s",
			 TG_NS_PROC_OPTIONS, strerror(-err));
		return err;
	}
	err = shm ? mount_fresh("/dev/shm", "tmpfs", MS_NOSUID | MS_NODEV,
				"mode=1777")
		  : 0;
	if (err) {
		snprintf(why, len,
			 "IPC namespace: a private tmpfs on /dev/shm: %s",
			 strerror(-err));
		return err;
	}
	/* An mqueue mount shows the queues of the IPC namespace mounting it. */
	err = mq ? mount_fresh("/dev/mqueue", "mqueue", nosuid, NULL) : 0;
	if (err) {
		snprintf(why, len,
			 "IPC namespace: a private mqueue on /dev/mqueue: %s",
			 strerror(-err));
		return err;
	}
	/*
	 * A devpts instance of its own: no other pseudo-terminal of the host
	 * is there to open by name, and /dev/ptmx (which opens the instance
	 * mounted on pts beside it) makes new ones here.
	 */
	err = pts ? mount_fresh("/dev/pts", "devpts", MS_NOSUID | MS_NOEXEC,
				TG_NS_DEVPTS_OPTIONS)
		  : 0;
	if (err) {
		snprintf(why, len,
			 "mount namespace: a private devpts on /dev/pts (%s): %s",
			 TG_NS_DEVPTS_OPTIONS, strerror(-err));
		return err;
	}
	snprintf(
		done, dlen,
		"namespaces: mount (host mounts arrive, none goes back), IPC, cgroup%s; /proc: %s; /dev/shm: %s; /dev/mqueue: %s; /dev/pts: %s",
		pid_ns ? ", PID (with an init as pid 1)" : "",
		pid_ns ? "own, " TG_NS_PROC_OPTIONS
		       : "the host's (no PID namespace)",
		shm ? "private tmpfs" : "absent",
		mq ? "private mqueue" : "absent (queues are private anyway)",
		pts ? "private devpts" : "absent");
	return 0;
}

int tg_ns_exit_code(int wstatus)
{
	if (WIFSIGNALED(wstatus))
		return 128 + WTERMSIG(wstatus);
	return WEXITSTATUS(wstatus);
}

void tg_ns_init(pid_t workload)
{
	sigset_t all;
	siginfo_t si;
	int status;
	pid_t pid;

	sigfillset(&all);
	for (;;) {
		if (sigwaitinfo(&all, &si) < 0)
			continue;
		if (si.si_signo != SIGCHLD) {
			/* From the launcher (outside), or from inside. */
			kill(workload, si.si_signo);
			continue;
		}
		while ((pid = waitpid(-1, &status, WNOHANG)) > 0)
			if (pid == workload)
				_exit(tg_ns_exit_code(status));
	}
}
