// SPDX-License-Identifier: GPL-2.0
/*
 * The launcher: starts a tenant's workload confined before its first
 * instruction. The child reports to the launcher over a SEQPACKET pair:
 * "I<text>" the namespaces in force, "E<code><text>" if it fails before
 * exec, "L" with the seccomp listener attached, or "N" (a filter without
 * notify rules); exec closes its end. With a PID namespace the child is
 * the namespace's init: it reports the listener, then starts CMD, which
 * reports a failure or execs.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <linux/sched.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/control.h"
#include "common/log.h"
#include "common/privileges.h"
#include "launcher/launch.h"
#include "launcher/namespaces.h"
#include "launcher/terminal.h"
#include "seccomp/notify.h"

/* What the child needs: copies of the launcher's, after the fork. */
struct child_args {
	const struct tg_launch *l;
	const struct tg_terminal *t;
	int sock;
	int procs_fd; /* the tenant's cgroup.procs, where clone3 cannot */
	const sigset_t *old;
};

static void __attribute__((noreturn, format(printf, 3, 4)))
child_fail(int sock, int code, const char *fmt, ...)
{
	char buf[512];
	va_list ap;

	buf[0] = 'E';
	buf[1] = (char)code;
	va_start(ap, fmt);
	vsnprintf(buf + 2, sizeof(buf) - 2, fmt, ap);
	va_end(ap);
	tg_send_fd(sock, buf, strlen(buf + 2) + 2, -1);
	_exit(code);
}

/* Every descriptor closed but 0, 1, 2 and sock (the init never execs). */
static int keep_only(int sock)
{
	unsigned int from = sock >= 3 ? (unsigned int)sock + 1 : 3;

	if (sock > 3 && close_range(3, (unsigned int)sock - 1, 0))
		return -errno;
	return close_range(from, ~0U, 0) ? -errno : 0;
}

/* CMD, in the session made for it; under the filter with an init. */
static void __attribute__((noreturn))
exec_cmd(const struct child_args *c, int new_session)
{
	const struct tg_launch *l = c->l;
	int err;

	if (new_session && setsid() < 0)
		child_fail(c->sock, EXIT_LAUNCH, "new session: %s",
			   strerror(errno));
	err = tg_terminal_control(c->t);
	if (err)
		child_fail(
			c->sock, EXIT_LAUNCH,
			"pseudo-terminal: making it the controlling terminal: %s",
			strerror(-err));
	if (sigprocmask(SIG_SETMASK, c->old, NULL))
		child_fail(c->sock, EXIT_LAUNCH, "signal mask: %s",
			   strerror(errno));
	execvp(l->argv[0], l->argv);
	child_fail(c->sock, errno == ENOENT ? 127 : 126, "%s: %s", l->argv[0],
		   strerror(errno));
}

/* The PID namespace's init: CMD as its child, then the init's loop. */
static void __attribute__((noreturn)) init(const struct child_args *c)
{
	pid_t pid = fork();

	if (pid == 0)
		exec_cmd(c, 1);
	if (pid < 0)
		child_fail(c->sock, EXIT_LAUNCH, "init: starting %s: %s",
			   c->l->argv[0], strerror(errno));
	/* The init holds nothing: no terminal, no way to the launcher. */
	close(c->sock);
	close(0);
	close(1);
	close(2);
	tg_ns_init(pid);
}

/* Namespaces and mounts, as root still; what is in force reported. */
static void namespaces(const struct child_args *c)
{
	char why[256], done[400];
	int err;

	/*
	 * A cgroup namespace rooted at the tenant cgroup: the workload can
	 * move its processes nowhere outside it (the kernel requires the
	 * destination of a cgroup.procs write to be below the namespace
	 * root), nor change the tenant cgroup's own limits.
	 */
	if (unshare(CLONE_NEWCGROUP))
		child_fail(c->sock, EXIT_LAUNCH, "cgroup namespace: %s",
			   strerror(errno));
	err = tg_ns_private_mounts(c->l->pid_ns, why, sizeof(why), done + 1,
				   sizeof(done) - 1);
	if (err)
		child_fail(c->sock, EXIT_LAUNCH, "%s", why);
	done[0] = 'I';
	tg_send_fd(c->sock, done, strlen(done), -1);
}

static void __attribute__((noreturn)) child(const struct child_args *c)
{
	const struct tg_launch *l = c->l;
	int sock = c->sock, lfd, tfd, rc;
	char why[256];
	sigset_t all;

	/* Without CLONE_INTO_CGROUP: join before anything else happens. */
	if (c->procs_fd >= 0) {
		if (write(c->procs_fd, "0", 1) != 1)
			child_fail(sock, EXIT_LAUNCH,
				   "joining the tenant cgroup %s: %s",
				   l->cgroup, strerror(errno));
		close(c->procs_fd);
	}
	/* The operator's terminal is held by nothing in the namespaces. */
	rc = tg_terminal_replace(c->t);
	if (rc)
		child_fail(sock, EXIT_LAUNCH, "pseudo-terminal: %s",
			   strerror(-rc));
	/* Nothing of the launcher's leaks into CMD but 0, 1 and 2. */
	rc = keep_only(sock);
	if (rc)
		child_fail(sock, EXIT_LAUNCH, "close_range: %s", strerror(-rc));
	namespaces(c);
	/* Its terminal in its own devpts instance, the launcher relaying it. */
	rc = tg_terminal_renew(c->t, l->switch_ids ? l->uid : (uid_t)-1, &tfd,
			       why, sizeof(why));
	if (rc)
		child_fail(sock, EXIT_LAUNCH, "%s", why);
	if (c->t->master >= 0 && tg_send_fd(sock, "T", 1, tfd) < 0)
		child_fail(sock, EXIT_LAUNCH, "passing the pseudo-terminal: %s",
			   strerror(errno));
	if (tfd >= 0)
		close(tfd);
	/*
	 * A session of its own: the operator's terminal is not the
	 * workload's controlling terminal (its own pseudo-terminal is), so
	 * it cannot push input into it with TIOCSTI (which the profiles
	 * refuse too), nor take it over, nor get the signals typed there
	 * (the launcher passes them on). With a PID namespace, the init's
	 * session; CMD makes one more.
	 */
	if (setsid() < 0)
		child_fail(sock, EXIT_LAUNCH, "new session: %s",
			   strerror(errno));
	if (l->pid_ns)
		prctl(PR_SET_NAME, "tg-init", 0, 0, 0);
	/*
	 * Every capability gone (uid 0 gets none back through exec or
	 * setuid), the ids switched, no_new_privs; checked. The init too.
	 */
	if (tg_drop_privileges(l->uid, l->gid, l->switch_ids, why, sizeof(why)))
		child_fail(sock, EXIT_LAUNCH, "%s", why);
	/*
	 * Launched by the agent: its launching child gone (killed with the
	 * agent's service), nobody relays or waits for the workload, which
	 * ends with it. Set after the switch of ids, which clears it.
	 */
	if (l->hangup_fd >= 0 && prctl(PR_SET_PDEATHSIG, SIGKILL))
		child_fail(sock, EXIT_LAUNCH, "PR_SET_PDEATHSIG: %s",
			   strerror(errno));
	/*
	 * The switch of ids made the init undumpable, which hidepid takes
	 * for "not the workload's": it holds nothing the workload lacks, so
	 * it is listed in /proc as pid 1, as CMD (dumpable again by exec) is.
	 */
	if (l->pid_ns && prctl(PR_SET_DUMPABLE, 1, 0, 0, 0))
		child_fail(sock, EXIT_LAUNCH, "init: PR_SET_DUMPABLE: %s",
			   strerror(errno));
	/* The init takes its signals with sigwaitinfo. */
	sigfillset(&all);
	if (l->pid_ns && sigprocmask(SIG_SETMASK, &all, NULL))
		child_fail(sock, EXIT_LAUNCH, "signal mask: %s",
			   strerror(errno));
	rc = seccomp_load(l->filter);
	if (rc)
		child_fail(sock, EXIT_LAUNCH,
			   "installing the seccomp filter: %s", strerror(-rc));
	/* From here on, only what the profile allows, the init included. */
	lfd = l->notify ? seccomp_notify_fd(l->filter) : -1;
	if (tg_send_fd(sock, lfd >= 0 ? "L" : "N", 1, lfd) < 0)
		_exit(EXIT_LAUNCH);
	if (lfd >= 0)
		close(lfd);
	if (l->pid_ns)
		init(c);
	exec_cmd(c, 0);
}

/* Give the listener to the agent; 0, or -1 with the reason in why. */
static int handoff(const struct tg_launch *l, pid_t pid, int fd, char *why,
		   size_t len)
{
	struct json_object *req = json_object_new_object(), *reply, *v;
	int ok;

	json_object_object_add(req, "cmd",
			       json_object_new_string("seccomp-listener"));
	json_object_object_add(req, "tenant",
			       json_object_new_string(l->tenant));
	json_object_object_add(req, "profile",
			       json_object_new_string(l->profile));
	json_object_object_add(req, "pid", json_object_new_int64(pid));
	reply = tg_control_call_fd(l->control_socket, req, fd);
	json_object_put(req);
	if (!reply) {
		snprintf(why, len, "cannot reach the agent at %s: %s",
			 l->control_socket, strerror(errno));
		return -1;
	}
	ok = json_object_object_get_ex(reply, "ok", &v) &&
	     json_object_get_boolean(v);
	if (!ok)
		snprintf(why, len, "the agent refused the listener: %s",
			 json_object_object_get_ex(reply, "error", &v)
				 ? json_object_get_string(v)
				 : "no reason given");
	json_object_put(reply);
	return ok ? 0 : -1;
}

/*
 * The child in the tenant's cgroup and its namespaces (clone3
 * CLONE_INTO_CGROUP; before 5.7, clone, and the child joins first thing).
 */
static pid_t start(struct child_args *c, int cgfd, const char **how)
{
	unsigned long ns = tg_ns_clone_flags(c->l->pid_ns);
	struct clone_args ca = {
		.flags = CLONE_INTO_CGROUP | ns,
		.exit_signal = SIGCHLD,
		.cgroup = (uint64_t)cgfd,
	};
	pid_t pid;

	fflush(NULL);
	*how = "clone3 CLONE_INTO_CGROUP";
	pid = (pid_t)syscall(SYS_clone3, &ca, sizeof(ca));
	if (pid == 0)
		child(c);
	if (pid > 0 || (errno != ENOSYS && errno != E2BIG && errno != EINVAL))
		return pid;
	*how = "clone, cgroup joined before exec";
	c->procs_fd = openat(cgfd, "cgroup.procs", O_WRONLY | O_CLOEXEC);
	if (c->procs_fd < 0)
		return -1;
	pid = (pid_t)syscall(SYS_clone, ns | SIGCHLD, NULL, NULL, NULL, 0);
	if (pid == 0)
		child(c);
	close(c->procs_fd);
	return pid;
}

/* A message from the child; 0 at EOF (exec happened, or it died). */
static int from_child(const struct tg_launch *l, struct tg_terminal *t,
		      pid_t pid, int sock, int *lfd, int *failed)
{
	char buf[512], why[400];
	int fd = -1;
	ssize_t n;

	n = tg_recv_fd(sock, buf, sizeof(buf) - 1, &fd);
	if (n <= 0) {
		if (fd >= 0)
			close(fd);
		return 0;
	}
	buf[n] = '\0';
	if (buf[0] == 'E' && n >= 2) {
		*failed = tg_err((unsigned char)buf[1], "%s", buf + 2);
	} else if (buf[0] == 'I') {
		tg_debug("%s", buf + 1);
	} else if (buf[0] == 'T') {
		tg_terminal_adopt(t, fd);
		return 1;
	} else if (buf[0] == 'L' && fd >= 0) {
		if (handoff(l, pid, fd, why, sizeof(why)) == 0) {
			tg_debug("seccomp listener handed to the agent");
			close(fd);
		} else {
			tg_info("%s; refused calls are answered here (EPERM) and NOT recorded as events",
				why);
			*lfd = fd;
		}
		return 1;
	}
	if (fd >= 0)
		close(fd);
	return 1;
}

/*
 * A signal to the launcher: most are passed on to the child (sent to the
 * launcher, or typed at its terminal when there is no relay); those about
 * the operator's terminal are the launcher's own.
 */
static void on_signal(struct tg_terminal *t, pid_t pid, int sig)
{
	switch (sig) {
	case SIGCHLD:
	case SIGPIPE: break;
	case SIGWINCH: tg_terminal_winsize(t); break;
	case SIGTSTP:
	case SIGTTIN:
	case SIGTTOU:
		/* Stopped: the operator's terminal as it was, meanwhile. */
		tg_terminal_restore(t);
		kill(getpid(), SIGSTOP);
		/* fallthrough */
	case SIGCONT:
		tg_terminal_raw(t);
		tg_terminal_winsize(t);
		break;
	default: kill(pid, sig);
	}
}

/*
 * The agent's client on hfd: a byte is its word that its terminal's size
 * changed (the launcher, in no session of that terminal, gets no
 * SIGWINCH); the end of the connection, that nobody waits for the
 * workload any more, which ends (with a PID namespace, its init takes
 * every process of the namespace along). 1 once hung up.
 */
static int caller(const struct tg_terminal *t, pid_t pid, int hfd)
{
	char buf[64];
	ssize_t n = read(hfd, buf, sizeof(buf));

	if (n > 0) {
		tg_terminal_winsize(t);
		return 0;
	}
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return 0;
	tg_debug("the caller hung up: killing pid %d", (int)pid);
	kill(pid, SIGKILL);
	return 1;
}

/*
 * Until CMD ends: pass on the signals sent to the launcher, take the
 * child's reports from sock (closed here), answer the listener if it
 * stayed here, relay the terminal. The child's wait status.
 */
static int supervise(const struct tg_launch *l, struct tg_terminal *t,
		     pid_t pid, int sfd, int sock, int *failed)
{
	struct signalfd_siginfo si;
	struct tg_sc_denial d;
	int lfd = -1, status = 0, hfd = l->hangup_fd;

	for (;;) {
		struct pollfd p[6] = {
			{.fd = sfd, .events = POLLIN},
			{.fd = sock, .events = POLLIN},
			{.fd = lfd, .events = POLLIN},
			[5] = {.fd = hfd, .events = POLLIN},
		};

		tg_terminal_poll(t, &p[3].fd, &p[3].events, &p[4].fd,
				 &p[4].events);
		if (poll(p, 6, -1) < 0 && errno != EINTR)
			break;
		if (p[5].revents && caller(t, pid, hfd))
			hfd = -1;
		if (p[1].revents && !from_child(l, t, pid, sock, &lfd, failed)) {
			close(sock);
			sock = -1;
			t->renewing = 0;
		}
		if (p[2].revents & POLLIN) {
			if (tg_notify_answer(lfd, &d) == 0)
				tg_info("seccomp: %s refused to pid %d (%s), tenant %s",
					d.syscall, (int)d.pid, d.comm,
					l->tenant);
		} else if (p[2].revents) {
			close(lfd);
			lfd = -1;
		}
		if (p[3].revents || p[4].revents)
			tg_terminal_copy(t, p[3].revents, p[4].revents);
		if (!(p[0].revents & POLLIN))
			continue;
		while (read(sfd, &si, sizeof(si)) == sizeof(si))
			on_signal(t, pid, (int)si.ssi_signo);
		if (waitpid(pid, &status, WNOHANG) == pid)
			break;
	}
	if (sock >= 0) {
		while (from_child(l, t, pid, sock, &lfd, failed))
			;
		close(sock);
	}
	if (lfd >= 0)
		close(lfd);
	/* Its last output; a slave passed out of the namespace waits not. */
	tg_terminal_drain(t, 500);
	return status;
}

/*
 * Whether the cgroup open at cgfd is frozen (cgroup.freeze 1): what is
 * put in it would never run. A cgroup without the file is not.
 */
static int cgroup_frozen(int cgfd)
{
	char c = '0';
	int fd = openat(cgfd, "cgroup.freeze", O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return 0;
	if (read(fd, &c, 1) != 1)
		c = '0';
	close(fd);
	return c == '1';
}

int tg_launch(const struct tg_launch *l)
{
	static const int sigs[] = {SIGCHLD, SIGINT,  SIGTERM, SIGHUP,
				   SIGQUIT, SIGUSR1, SIGUSR2, SIGPIPE};
	static const int tty_sigs[] = {SIGWINCH, SIGTSTP, SIGTTIN, SIGTTOU,
				       SIGCONT};
	const char *how = "",
		   *ns = l->pid_ns ? "mount, IPC and PID" : "mount and IPC";
	int sp[2] = {-1, -1}, cgfd, sfd = -1, failed = 0, status;
	struct child_args c = {.l = l, .procs_fd = -1};
	int rc = EXIT_LAUNCH;
	struct tg_terminal t;
	sigset_t mask, old;
	char why[256];
	unsigned int i;
	pid_t pid;

	c.t = &t;
	c.old = &old;
	if (tg_terminal_open(&t, l->switch_ids ? l->uid : (uid_t)-1, why,
			     sizeof(why))) {
		tg_err(EXIT_LAUNCH, "%s", why);
		goto out_close_terminal;
	}
	t.passed = l->passed_stdio;
	t.foreground = l->foreground;
	cgfd = open(l->cgroup, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (cgfd < 0) {
		tg_err(EXIT_LAUNCH, "tenant cgroup %s: %s", l->cgroup,
		       strerror(errno));
		goto out_close_terminal;
	}
	if (cgroup_frozen(cgfd)) {
		tg_err(EXIT_LAUNCH,
		       "tenant cgroup %s is frozen (a retired tenant stays so: tenantguard status lists them): nothing started",
		       l->cgroup);
		goto out_close_cgroup;
	}
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sp)) {
		tg_err(EXIT_LAUNCH, "socketpair: %s", strerror(errno));
		goto out_close_cgroup;
	}
	c.sock = sp[1];
	sigemptyset(&mask);
	for (i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
		sigaddset(&mask, sigs[i]);
	for (i = 0; t.master >= 0 && i < sizeof(tty_sigs) / sizeof(tty_sigs[0]);
	     i++)
		sigaddset(&mask, tty_sigs[i]);
	sigprocmask(SIG_BLOCK, &mask, &old);
	sfd = signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK);
	pid = sfd < 0 ? -1 : start(&c, cgfd, &how);
	if (pid < 0) {
		tg_err(EXIT_LAUNCH,
		       "starting the workload (%s, new %s namespaces): %s", how,
		       ns, strerror(errno));
		goto out_restore_mask;
	}
	close(sp[1]);
	sp[1] = -1;
	/* The workload's end is the workload's alone. */
	if (t.slave >= 0)
		close(t.slave);
	t.slave = -1;
	if (l->started)
		l->started(pid, l->started_arg);
	tg_debug("pid %d in %s (%s), seccomp profile %s, new %s namespaces%s",
		 (int)pid, l->cgroup, how, l->profile, ns,
		 t.master >= 0 ? ", a pseudo-terminal of its own" : "");
	/* The operator's input waits for the child's own pseudo-terminal. */
	t.renewing = t.master >= 0;
	tg_terminal_raw(&t);
	status = supervise(l, &t, pid, sfd, sp[0], &failed);
	sp[0] = -1;
	rc = failed ? failed : tg_ns_exit_code(status);
out_restore_mask:
	tg_terminal_restore(&t);
	if (sfd >= 0)
		close(sfd);
	sigprocmask(SIG_SETMASK, &old, NULL);
	if (sp[0] >= 0)
		close(sp[0]);
	if (sp[1] >= 0)
		close(sp[1]);
out_close_cgroup:
	close(cgfd);
out_close_terminal:
	tg_terminal_close(&t);
	return rc;
}
