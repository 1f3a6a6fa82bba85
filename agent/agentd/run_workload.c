// SPDX-License-Identifier: GPL-2.0
/*
 * The control verb run: an operator's workload launched by the agent, so
 * that launching is a role and needs no root. The caller passes its 0, 1
 * and 2 (SCM_RIGHTS); the agent checks the request as root's CLI checks
 * its options, then a child of the agent (not waited for: a grandchild,
 * reparented) runs the launcher with those descriptors as its stdio. It
 * tells the agent the workload's pid, which the reply carries, and when
 * the workload ends, sends {"exit": N} on the caller's connection. When
 * the caller hangs up first, the workload is killed. A caller uid runs at
 * most AGENT_RUNS_PER_UID workloads at once, and all callers at most
 * AGENT_RUNS_MAX: each holds a slot (the workload's pidfd) until it ends.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <limits.h>
#include <poll.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "agentd/agent.h"
#include "common/control.h"
#include "common/log.h"
#include "common/roles.h"
#include "common/text.h"
#include "launcher/launch.h"
#include "seccomp/profile.h"

#define RUN_MAX_ARGS 256
#define RUN_MAX_ARG  4096
#define RUN_MAX_TERM 64
/* Ids below this are the system's (the collector's user among them). */
#define RUN_MIN_ID 1000
#define RUN_NOBODY 65534
/* How long the agent waits for the launcher to report the workload. */
#define RUN_START_MS 5000

/* A run request, checked. */
struct run_request {
	const char *tenant;
	const char *cgroup;
	const char *profile;
	uid_t uid;
	gid_t gid;
	int pid_ns;
	int terminal; /* the caller is in its terminal's foreground */
	char term[RUN_MAX_TERM];
	char home[PATH_MAX]; /* the uid's home, else / */
	int verbose;
	char *argv[RUN_MAX_ARGS + 1];
};

/* An id from the request: a JSON integer 0 .. 2^32-2; -EINVAL if not. */
static int get_id(struct json_object *req, const char *k, unsigned int *out)
{
	struct json_object *v;
	int64_t n;

	if (!json_object_object_get_ex(req, k, &v) ||
	    !json_object_is_type(v, json_type_int))
		return -EINVAL;
	n = json_object_get_int64(v);
	if (n < 0 || n >= 0xffffffffLL)
		return -EINVAL;
	*out = (unsigned int)n;
	return 0;
}

static int get_bool(struct json_object *req, const char *k)
{
	struct json_object *v;

	return json_object_object_get_ex(req, k, &v) &&
	       json_object_get_boolean(v);
}

/* A string without NUL bytes, at most max bytes; NULL if not. */
static const char *plain_string(struct json_object *v, size_t max)
{
	const char *s;
	int n;

	if (!v || !json_object_is_type(v, json_type_string))
		return NULL;
	s = json_object_get_string(v);
	n = json_object_get_string_len(v);
	if (n < 0 || (size_t)n > max || strlen(s) != (size_t)n)
		return NULL;
	return s;
}

/* CMD into r->argv; NULL or what is wrong. */
static const char *get_argv(struct json_object *req, struct run_request *r)
{
	struct json_object *v;
	size_t i, n;

	if (!json_object_object_get_ex(req, "argv", &v) ||
	    !json_object_is_type(v, json_type_array))
		return "'argv' missing: a command to run";
	n = json_object_array_length(v);
	if (n == 0 || n > RUN_MAX_ARGS)
		return "'argv': 1 to 256 strings";
	for (i = 0; i < n; i++) {
		const char *s = plain_string(json_object_array_get_idx(v, i),
					     RUN_MAX_ARG);

		if (!s)
			return "'argv': strings of at most 4096 bytes without NUL";
		r->argv[i] = (char *)s;
	}
	r->argv[n] = NULL;
	return r->argv[0][0] ? NULL : "'argv': the command is empty";
}

/* A TERM value: letters, digits, ".+-_", else none. */
static void get_term(struct json_object *req, struct run_request *r)
{
	struct json_object *v = NULL;
	const char *s;
	size_t i;

	json_object_object_get_ex(req, "term", &v);
	s = plain_string(v, RUN_MAX_TERM - 1);
	if (!s)
		return;
	for (i = 0; s[i]; i++)
		if (!strchr("abcdefghijklmnopqrstuvwxyz"
			    "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.+-_",
			    s[i]))
			return;
	snprintf(r->term, sizeof(r->term), "%s", s);
}

/* Whether p holds gid (primary or supplementary). */
static int holds_gid(const struct tg_peer *p, gid_t gid)
{
	size_t i;

	if (p->gid == gid)
		return 1;
	for (i = 0; i < p->n_groups; i++)
		if (p->groups[i] == gid)
			return 1;
	return 0;
}

/*
 * The ids: an operator launches as itself (its uid, a gid it holds) or
 * as nobody; any other id is the admin role's to give: another person's
 * uid would own that person's files (and be a second "person" for the
 * two-person rule), uid 0 and the system's ids root's and the services'
 * (the agent's, the collector's: the trail).
 */
static const char *check_ids(struct agent *a, const struct run_request *r)
{
	const struct tg_peer *p = a->peer;

	if (a->peer_role >= TG_ROLE_ADMIN)
		return NULL;
	if (p && (r->uid == p->uid || r->uid == RUN_NOBODY) &&
	    r->uid >= RUN_MIN_ID &&
	    (holds_gid(p, r->gid) || r->gid == RUN_NOBODY) &&
	    r->gid >= RUN_MIN_ID)
		return NULL;
	return "refused: an operator launches as its own uid and a gid it holds (or as nobody, 65534); any other id, uid 0 and the system's ids (below 1000) included, needs the admin role";
}

/* The request into r; NULL, or what is wrong with it. */
static const char *check_request(struct agent *a, struct json_object *req,
				 struct run_request *r)
{
	const struct tg_tenant_entry *e;
	const struct tg_policy_tenant *t;
	struct json_object *v = NULL;
	struct passwd *pw;
	const char *why;
	size_t i;

	r->tenant = tg_json_str(req, "tenant");
	if (!tg_tenant_name_valid(r->tenant))
		return "'tenant' missing or not a tenant name";
	if (agent_retired_find(a, r->tenant))
		return "the tenant is retired: nothing starts in its cgroup";
	e = tg_registry_find_const(&a->reg, r->tenant);
	if (!e || (!e->defined && !e->present))
		return "no such tenant in the policy in force";
	if (!e->present)
		return "the tenant has no cgroup yet";
	r->cgroup = e->cgroup;
	if (get_id(req, "uid", &r->uid) || get_id(req, "gid", &r->gid))
		return "'uid' and 'gid' missing or not ids: give --uid and --gid";
	why = check_ids(a, r);
	if (why)
		return why;
	/* Looked up here: the launcher's process is forked from threads. */
	pw = getpwuid(r->uid);
	snprintf(r->home, sizeof(r->home), "%s",
		 pw && pw->pw_dir[0] == '/' ? pw->pw_dir : "/");
	t = tg_policy_find(&a->policy, r->tenant);
	r->profile = t && t->seccomp[0] ? t->seccomp : "default";
	if (json_object_object_get_ex(req, "profile", &v)) {
		/* A name in the agent's directory: no file of the caller's. */
		r->profile = plain_string(v, 63);
		if (!r->profile || !r->profile[0] || r->profile[0] == '.')
			return "'profile': a profile's name";
		for (i = 0; r->profile[i]; i++)
			if (!strchr("abcdefghijklmnopqrstuvwxyz"
				    "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-",
				    r->profile[i]))
				return "'profile': a profile's name, not a path";
	}
	/* Another profile than the policy's may be weaker: an admin's. */
	if (strcmp(r->profile, t && t->seccomp[0] ? t->seccomp : "default") &&
	    a->peer_role < TG_ROLE_ADMIN)
		return "refused: a profile other than the tenant's (the policy's) needs the admin role";
	r->pid_ns = !get_bool(req, "no_pid_namespace");
	r->terminal = get_bool(req, "foreground");
	r->verbose = get_bool(req, "verbose");
	get_term(req, r);
	return get_argv(req, r);
}

/*
 * A descriptor the caller passed, to be a workload's 0, 1 or 2: a
 * terminal, /dev/null, a pipe, a file, a socket; never a directory or an
 * O_PATH descriptor (a way into the caller's tree), nor a listening
 * socket, nor one connected to the agent (requests in the caller's name).
 * NULL if fine, or what it is.
 */
static const char *check_stdio(int fd)
{
	struct ucred uc;
	socklen_t len = sizeof(uc);
	struct statx st;
	int fl, on = 0;

	/*
	 * The type only, from what the kernel has (AT_STATX_DONT_SYNC): a
	 * FUSE or network file's server is never asked, so a caller's file
	 * system that does not answer cannot hold the agent's loop here.
	 */
	fl = fcntl(fd, F_GETFL);
	if (fl < 0 ||
	    statx(fd, "", AT_EMPTY_PATH | AT_STATX_DONT_SYNC, STATX_TYPE, &st))
		return "unreadable";
	if (fl & O_PATH)
		return "an O_PATH descriptor";
	if (S_ISDIR(st.stx_mode))
		return "a directory";
	if (!S_ISCHR(st.stx_mode) && !S_ISFIFO(st.stx_mode) &&
	    !S_ISREG(st.stx_mode) && !S_ISSOCK(st.stx_mode))
		return "no terminal, file, pipe or socket";
	if (!S_ISSOCK(st.stx_mode))
		return NULL;
	len = sizeof(on);
	if (getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &on, &len) == 0 && on)
		return "a listening socket";
	len = sizeof(uc);
	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &uc, &len) == 0 &&
	    uc.pid == getpid())
		return "a socket to the agent";
	return NULL;
}

static const char *check_fds(const struct tg_control_io *io, char *buf,
			     size_t len)
{
	static const char *const names[] = {"stdin", "stdout", "stderr"};
	const char *why;
	unsigned int i;

	if (io->n_fds != 3)
		return "needs the caller's stdin, stdout and stderr passed (SCM_RIGHTS)";
	for (i = 0; i < 3; i++) {
		why = check_stdio(io->fds[i]);
		if (why) {
			snprintf(buf, len, "refused: the %s passed is %s",
				 names[i], why);
			return buf;
		}
	}
	return NULL;
}

/* What the launcher's child has: the sync socket, for the hook. */
static void tell_pid(pid_t pid, void *arg)
{
	int fd = *(int *)arg;

	if (fd >= 0 && write(fd, &pid, sizeof(pid)) != sizeof(pid))
		tg_debug("run: could not tell the agent pid %d", (int)pid);
	*(int *)arg = -1;
}

/*
 * The launcher's process: nothing of the agent's but the caller's
 * descriptors (0, 1, 2), its connection (3) and the sync socket (4); its
 * signals as a fresh process has them; the environment a minimal one.
 */
static int become_launcher(const struct tg_control_io *io, int sync,
			   const struct run_request *r)
{
	int moved[5], i;
	struct rlimit rl;
	sigset_t none;

	/* Out of the way of 0 to 4 first: the agent's may be anywhere. */
	for (i = 0; i < 3; i++)
		moved[i] = fcntl(io->fds[i], F_DUPFD_CLOEXEC, 10);
	moved[3] = fcntl(io->conn, F_DUPFD_CLOEXEC, 10);
	moved[4] = fcntl(sync, F_DUPFD_CLOEXEC, 10);
	for (i = 0; i < 5; i++)
		if (moved[i] < 0 ||
		    dup3(moved[i], i, i < 3 ? 0 : O_CLOEXEC) < 0)
			return -errno;
	if (close_range(5, ~0U, 0))
		return -errno;
	for (i = 1; i < NSIG; i++)
		signal(i, SIG_DFL);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	/* The agent raised its own; a workload gets the usual. */
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur > 1024) {
		rl.rlim_cur = 1024;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
	/* Out of the agent's session and process group, and its directory. */
	setsid();
	if (chdir("/"))
		return -errno;
	if (clearenv() || setenv("PATH", "/usr/local/bin:/usr/bin:/bin", 1) ||
	    setenv("HOME", r->home, 1) ||
	    (r->term[0] && setenv("TERM", r->term, 1)))
		return -ENOMEM;
	return 0;
}

/* The launcher, in the agent's grandchild; never returns. */
static void __attribute__((noreturn))
launcher(const struct tg_control_io *io, int sync, struct tg_launch *l,
	 const struct run_request *r)
{
	struct json_object *o;
	int rc, tell = 4;
	char c;

	if (become_launcher(io, sync, r))
		_exit(EXIT_LAUNCH);
	tg_log_init("tenantguard run", r->verbose);
	l->hangup_fd = 3;
	l->started = tell_pid;
	l->started_arg = &tell;
	rc = tg_launch(l);
	/* Not started: the agent hears pid 0, and answers the caller. */
	tell_pid(0, &tell);
	/* The agent's reply goes first: wait for it to be sent. */
	while (read(4, &c, 1) > 0)
		;
	o = json_object_new_object();
	json_object_object_add(o, "exit", json_object_new_int(rc));
	tg_control_reply(3, o);
	json_object_put(o);
	_exit(0);
}

/*
 * The launcher in a grandchild of the agent, reparented (the agent waits
 * for nobody); the workload's pid (0 if it did not start), or -errno.
 */
static pid_t spawn(const struct tg_control_io *io, struct tg_launch *l,
		   const struct run_request *r, int *sync)
{
	struct pollfd p = {.events = POLLIN};
	int sp[2], status, err = 0;
	pid_t mid, pid = 0;

	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sp))
		return -errno;
	/* Nothing of the agent's buffered output goes to the caller. */
	fflush(NULL);
	mid = fork();
	if (mid == 0) {
		if (fork() == 0)
			launcher(io, sp[1], l, r);
		_exit(0);
	}
	close(sp[1]);
	if (mid < 0) {
		err = -errno;
		goto out_sync;
	}
	waitpid(mid, &status, 0);
	p.fd = sp[0];
	if (poll(&p, 1, RUN_START_MS) == 1 &&
	    read(sp[0], &pid, sizeof(pid)) != sizeof(pid))
		pid = 0;
out_sync:
	/*
	 * Still open: the launcher waits for it to close, after the reply,
	 * before it sends the exit status. The caller does it.
	 */
	*sync = sp[0];
	return err ? err : pid;
}

/* The reply to a run, sent here: the launcher speaks on the same socket. */
static struct json_object *answer(struct tg_control_io *io, pid_t pid,
				  const char *profile, int sync)
{
	struct json_object *o = json_object_new_object();

	json_object_object_add(o, "ok", json_object_new_boolean(pid > 0));
	json_object_object_add(o, "profile", json_object_new_string(profile));
	if (pid > 0)
		json_object_object_add(o, "pid", json_object_new_int64(pid));
	else
		json_object_object_add(
			o, "error",
			json_object_new_string(
				"the workload did not start (the launcher's reason is on stderr)"));
	tg_control_reply(io->conn, o);
	close(io->conn);
	io->conn = -1;
	if (sync >= 0)
		close(sync);
	return o;
}

void agent_reap_runs(struct agent *a, int all)
{
	struct pollfd p = {.events = POLLIN};
	unsigned int i = 0;

	while (i < a->runs.n) {
		p.fd = a->runs.v[i].handle;
		p.revents = 0;
		if (!all && poll(&p, 1, 0) == 0) {
			i++;
			continue;
		}
		close(p.fd);
		tg_slots_free(&a->runs, i);
	}
}

/*
 * Whether the caller may start one more run: NULL, or why not (into buf;
 * counted, and the request's event is a refusal).
 */
static const char *run_slot(struct agent *a, char *buf, size_t len)
{
	uid_t uid = a->peer ? a->peer->uid : 0;
	int err;

	agent_reap_runs(a, 0);
	err = tg_slots_check(&a->runs, uid);
	if (!err)
		return NULL;
	tg_slots_why(&a->runs, uid, err, "refused",
		     "workloads running through the agent",
		     "one must end first", buf, len);
	a->runs_refused++;
	a->peer_refused = 1;
	return buf;
}

/* The workload pid started holds a slot of the caller's until it ends. */
static void hold_slot(struct agent *a, pid_t pid)
{
	int fd = (int)syscall(SYS_pidfd_open, pid, 0);

	if (fd < 0) {
		/* Gone already (ESRCH): nothing to hold. */
		tg_debug("run: pidfd of pid %d: %s", (int)pid, strerror(errno));
		return;
	}
	if (tg_slots_take(&a->runs, a->peer ? a->peer->uid : 0, fd))
		close(fd);
}

struct json_object *agent_run(struct agent *a, struct json_object *req,
			      struct tg_control_io *io)
{
	struct run_request r = {};
	struct tg_launch l = {.control_socket = a->opt.control_socket,
			      .hangup_fd = -1,
			      .passed_stdio = 1};
	struct tg_sc_profile p;
	struct tg_diag d = {};
	struct json_object *o;
	const char *bad;
	char why[512];
	int err, sync = -1;
	pid_t pid;

	bad = check_fds(io, why, sizeof(why));
	if (!bad)
		bad = check_request(a, req, &r);
	if (!bad)
		bad = run_slot(a, why, sizeof(why));
	if (bad)
		return tg_control_error(bad);
	l.tenant = r.tenant;
	l.cgroup = r.cgroup;
	l.uid = r.uid;
	l.gid = r.gid;
	l.switch_ids = 1;
	l.pid_ns = r.pid_ns;
	l.foreground = r.terminal;
	l.argv = r.argv;
	err = tg_launch_profile(&l, &p, r.profile, NULL, &d, why, sizeof(why));
	if (err) {
		if (!why[0])
			snprintf(why, sizeof(why), "profile %s: %s", r.profile,
				 d.n ? d.msgs[0] : strerror(-err));
		tg_diag_free(&d);
		seccomp_release(l.filter);
		tg_sc_profile_free(&p);
		return tg_control_error(why);
	}
	pid = spawn(io, &l, &r, &sync);
	seccomp_release(l.filter);
	if (pid < 0) {
		if (sync >= 0)
			close(sync);
		snprintf(why, sizeof(why), "run: fork: %s",
			 strerror((int)-pid));
		tg_sc_profile_free(&p);
		return tg_control_error(why);
	}
	if (pid > 0)
		hold_slot(a, pid);
	o = answer(io, pid, p.name, sync);
	tg_sc_profile_free(&p);
	return o;
}
