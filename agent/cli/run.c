// SPDX-License-Identifier: GPL-2.0
/*
 * tenantguard run --tenant NAME [--uid U --gid G] [--profile P]
 * [--no-pid-namespace] -- CMD...:
 * find the tenant's cgroup and seccomp profile (from the agent, or from
 * the policy file when the agent cannot be asked), then launch CMD there.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <grp.h>
#include <json-c/json.h>
#include <limits.h>
#include <poll.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <termios.h>
#include <unistd.h>

#include "cli/cli.h"
#include "launcher/launch.h"
#include "common/cgroupfs.h"
#include "common/control.h"
#include "common/log.h"
#include "policy/policy.h"
#include "policy/registry.h"
#include "seccomp/profile.h"

struct run_args {
	const char *tenant;
	const char *profile; /* --profile, else the tenant's */
	const char *seccomp_dir;
	const char *uid, *gid; /* as given: numbers or names */
	const char *policy;    /* read when the agent cannot be asked */
	char **cmd;	       /* CMD and its arguments */
	int verbose;
	int no_pid_ns; /* --no-pid-namespace */
	int via_agent; /* --via-agent: as a non-root caller does */
};

static int parse_id(const char *s, int group, unsigned int *out)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (*s && !*end && !errno && v < 0xffffffffUL) {
		*out = (unsigned int)v;
		return 0;
	}
	if (group) {
		struct group *g = getgrnam(s);

		if (g) {
			*out = g->gr_gid;
			return 0;
		}
	} else {
		struct passwd *pw = getpwnam(s);

		if (pw) {
			*out = pw->pw_uid;
			return 0;
		}
	}
	return -EINVAL;
}

/* The options and CMD; 0, or -EINVAL for a usage error (reported). */
static int parse_args(int argc, char **argv, struct run_args *a)
{
	static const struct option opts[] = {
		{"tenant", required_argument, NULL, 't'},
		{"profile", required_argument, NULL, 'p'},
		{"seccomp-dir", required_argument, NULL, 'd'},
		{"uid", required_argument, NULL, 'u'},
		{"gid", required_argument, NULL, 'g'},
		{"policy", required_argument, NULL, 'P'},
		{"verbose", no_argument, NULL, 'v'},
		{"no-pid-namespace", no_argument, NULL, 'N'},
		{"via-agent", no_argument, NULL, 'A'},
		{}};
	int c;

	opterr = 0;
	while ((c = getopt_long(argc, argv, "+v", opts, NULL)) != -1) {
		switch (c) {
		case 't': a->tenant = optarg; break;
		case 'p': a->profile = optarg; break;
		case 'd': a->seccomp_dir = optarg; break;
		case 'u': a->uid = optarg; break;
		case 'g': a->gid = optarg; break;
		case 'P': a->policy = optarg; break;
		case 'v': a->verbose = 1; break;
		case 'N': a->no_pid_ns = 1; break;
		case 'A': a->via_agent = 1; break;
		default:
			return tg_err(-EINVAL,
				      "bad option %s (see tenantguard help)",
				      argv[optind - 1]);
		}
	}
	if (!a->tenant || optind >= argc)
		return tg_err(-EINVAL,
			      "needs --tenant NAME and a command after --");
	if (!tg_tenant_name_valid(a->tenant))
		return tg_err(-EINVAL, "'%s' is not a tenant name", a->tenant);
	if (!a->uid != !a->gid)
		return tg_err(-EINVAL, "--uid and --gid go together");
	a->cmd = argv + optind;
	return 0;
}

/* --uid and --gid into l; 0, or -EINVAL (reported). */
static int set_ids(const struct run_args *a, struct tg_launch *l)
{
	unsigned int id;

	/*
	 * Capabilities or not, uid 0 owns root's files and may signal root's
	 * processes (the agent among them): staying root must be asked for.
	 */
	if (!a->uid && geteuid() == 0)
		return tg_err(
			-EINVAL,
			"give --uid and --gid: a workload left at uid 0 owns root's files and can signal root's processes, capabilities or not (--uid 0 --gid 0 to insist)");
	if (!a->uid)
		return 0;
	if (parse_id(a->uid, 0, &id))
		return tg_err(-EINVAL, "--uid '%s' is not a user", a->uid);
	l->uid = id;
	if (parse_id(a->gid, 1, &id))
		return tg_err(-EINVAL, "--gid '%s' is not a group", a->gid);
	l->gid = id;
	l->switch_ids = 1;
	return 0;
}

/*
 * The tenant's cgroup and profile from a policy file, for when the agent
 * cannot be asked. Without a policy file: the built-in layout, one cgroup
 * per tenant below /tenants.
 */
static int tenant_from_policy(const char *file, const char *name, char *cgroup,
			      size_t len, char *profile, size_t plen)
{
	const struct tg_tenant_entry *e;
	const struct tg_policy_tenant *t;
	char root[PATH_MAX], dropins[PATH_MAX + 16];
	const char *slash;
	struct tg_registry r;
	struct tg_policy p;
	struct tg_diag d = {};
	int err;

	err = tg_cgroup2_find("/proc/self/mountinfo", root, sizeof(root));
	if (err)
		return tg_err(err, "no cgroup v2 mount: %s", strerror(-err));
	if (access(file, F_OK) && errno == ENOENT) {
		if (snprintf(cgroup, len, "%s/tenants/%s", root, name) >=
		    (int)len)
			return -ENAMETOOLONG;
		snprintf(profile, plen, "default");
		return 0;
	}
	tg_policy_init(&p);
	/* Drop-ins beside the file, as the agent reads them by default. */
	slash = strrchr(file, '/');
	snprintf(dropins, sizeof(dropins), "%.*spolicy.d",
		 slash ? (int)(slash - file + 1) : 0, file);
	err = tg_policy_load(&p, file, dropins, &d);
	print_diag(&d);
	tg_diag_free(&d);
	if (err) {
		tg_policy_free(&p);
		return err;
	}
	tg_registry_init(&r);
	err = tg_registry_apply(&r, &p, root, NULL);
	e = err ? NULL : tg_registry_find_const(&r, name);
	t = tg_policy_find(&p, name);
	if (!err && !e)
		err = tg_err(-ENOENT, "no tenant '%s' in %s", name, file);
	if (!err) {
		snprintf(cgroup, len, "%s", e->cgroup);
		snprintf(profile, plen, "%s",
			 t && t->seccomp[0] ? t->seccomp : "default");
	}
	tg_registry_free(&r);
	tg_policy_free(&p);
	return err;
}

/*
 * Where the tenant lives and its profile: the agent knows best; when it
 * cannot be asked, the policy file. 0 or -errno.
 */
static int locate_tenant(const struct cli_opts *o, const struct run_args *a,
			 char *cgroup, size_t len, char *profile, size_t plen)
{
	struct json_object *req, *reply, *v;
	int err = 0;

	req = json_object_new_object();
	json_object_object_add(req, "cmd", json_object_new_string("tenant"));
	json_object_object_add(req, "name", json_object_new_string(a->tenant));
	reply = tg_control_call(o->control_socket, req);
	err = reply ? 0 : -errno;
	json_object_put(req);
	if (!reply) {
		tg_info("cannot reach the agent at %s (%s): its network and file isolation is not in force",
			o->control_socket, strerror(-err));
		return tenant_from_policy(a->policy, a->tenant, cgroup, len,
					  profile, plen);
	}
	if (!json_object_object_get_ex(reply, "ok", &v) ||
	    !json_object_get_boolean(v)) {
		err = tg_err(-ENOENT, "tenant '%s': %s", a->tenant,
			     jstr(reply, "error"));
		goto out_put;
	}
	snprintf(cgroup, len, "%s", jstr(reply, "cgroup"));
	snprintf(profile, plen, "%s", jstr(reply, "seccomp"));
	if (json_object_object_get_ex(reply, "present", &v) &&
	    !json_object_get_boolean(v))
		err = tg_err(
			-ENOENT,
			"tenant '%s' has no cgroup yet: create %s and let the agent pick it up",
			a->tenant, cgroup);
out_put:
	json_object_put(reply);
	return err;
}

/* --uid and --gid as numbers, for the agent; 0 or -EINVAL (reported). */
static int agent_ids(const struct run_args *a, unsigned int *uid,
		     unsigned int *gid)
{
	if (!a->uid)
		return tg_err(-EINVAL,
			      "give --uid and --gid: the agent picks none");
	if (parse_id(a->uid, 0, uid))
		return tg_err(-EINVAL, "--uid '%s' is not a user", a->uid);
	if (parse_id(a->gid, 1, gid))
		return tg_err(-EINVAL, "--gid '%s' is not a group", a->gid);
	if (a->seccomp_dir || (a->profile && strchr(a->profile, '/')))
		return tg_err(
			-EINVAL,
			"the agent takes a profile's name (from its own directory): no --seccomp-dir, no profile file");
	return 0;
}

/* The request of run_via_agent; NULL (reported) if it cannot be made. */
static struct json_object *agent_request(const struct run_args *a)
{
	struct json_object *req, *argv;
	unsigned int uid, gid;
	const char *term = getenv("TERM");
	char **s;
	int tty = isatty(0) || isatty(1) || isatty(2);

	if (agent_ids(a, &uid, &gid))
		return NULL;
	if (uid == 0)
		tg_warn("the workload stays uid 0: it owns root's files and can signal root's processes (the agent launches it only for the admin role)");
	req = json_object_new_object();
	json_object_object_add(req, "cmd", json_object_new_string("run"));
	json_object_object_add(req, "tenant",
			       json_object_new_string(a->tenant));
	json_object_object_add(req, "uid", json_object_new_int64(uid));
	json_object_object_add(req, "gid", json_object_new_int64(gid));
	if (a->profile)
		json_object_object_add(req, "profile",
				       json_object_new_string(a->profile));
	json_object_object_add(req, "no_pid_namespace",
			       json_object_new_boolean(a->no_pid_ns));
	json_object_object_add(req, "verbose",
			       json_object_new_boolean(a->verbose));
	/* The agent's launcher is in no session of this terminal's. */
	json_object_object_add(req, "foreground",
			       json_object_new_boolean(
				       isatty(0) && tcgetpgrp(0) == getpgrp()));
	if (tty && term)
		json_object_object_add(req, "term",
				       json_object_new_string(term));
	argv = json_object_new_array();
	for (s = a->cmd; *s; s++)
		json_object_array_add(argv, json_object_new_string(*s));
	json_object_object_add(req, "argv", argv);
	return req;
}

/*
 * The next JSON line from the agent on fd (buf holds *have bytes read
 * ahead); NULL at the end of the connection or on garbage. Meanwhile a
 * SIGWINCH (on sfd) is one byte to the agent: the launcher there reads
 * the new size from the terminal it was passed.
 */
static struct json_object *agent_line(int fd, int sfd, char *buf, size_t cap,
				      size_t *have)
{
	struct signalfd_siginfo si;
	struct json_object *o;
	char *nl;
	ssize_t n;

	while (!(nl = memchr(buf, '\n', *have))) {
		struct pollfd p[2] = {{.fd = fd, .events = POLLIN},
				      {.fd = sfd, .events = POLLIN}};

		if (*have == cap)
			return NULL;
		if (poll(p, 2, -1) < 0 && errno != EINTR)
			return NULL;
		if (p[1].revents && read(sfd, &si, sizeof(si)) > 0 &&
		    send(fd, "W", 1, MSG_NOSIGNAL) < 0)
			return NULL;
		if (!p[0].revents)
			continue;
		n = read(fd, buf + *have, cap - *have);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return NULL;
		*have += (size_t)n;
	}
	*nl = '\0';
	o = json_tokener_parse(buf);
	*have -= (size_t)(nl + 1 - buf);
	memmove(buf, nl + 1, *have);
	return o;
}

/*
 * A non-root caller (or --via-agent): the agent launches, with this
 * process's 0, 1 and 2 as the workload's stdio (its launcher gives the
 * workload a pseudo-terminal of its own when they are a terminal), and
 * tells CMD's status, which is returned. Closing the connection (this
 * process killed) kills the workload.
 */
static int run_via_agent(const struct cli_opts *o, const struct run_args *a)
{
	static const int fds[] = {0, 1, 2};
	struct json_object *req, *reply, *v;
	char buf[8192];
	size_t have = 0;
	int fd, sfd, i, rc = EXIT_LAUNCH;
	sigset_t winch;

	for (i = 0; i < 3; i++)
		if (fcntl(i, F_GETFD) < 0)
			return tg_err(
				EXIT_LAUNCH,
				"descriptor %d is closed: the agent needs the workload's stdin, stdout and stderr",
				i);
	req = agent_request(a);
	if (!req)
		return 2;
	if (strlen(json_object_to_json_string_ext(
		    req, JSON_C_TO_STRING_PLAIN)) >= TG_CONTROL_MAX_REQUEST) {
		json_object_put(req);
		return tg_err(
			EXIT_LAUNCH,
			"the command is too long for the agent (a request is at most %u bytes)",
			TG_CONTROL_MAX_REQUEST - 1);
	}
	if (a->no_pid_ns)
		tg_warn("--no-pid-namespace: the workload shares the host's PID namespace and /proc: it sees every process of the host and can signal those of its uid");
	fd = tg_control_send(o->control_socket, req, fds, 3);
	json_object_put(req);
	if (fd < 0)
		return tg_err(EXIT_LAUNCH, "cannot reach the agent at %s: %s%s",
			      o->control_socket, strerror(-fd),
			      cli_unreachable_hint(fd));
	sigemptyset(&winch);
	sigaddset(&winch, SIGWINCH);
	sigprocmask(SIG_BLOCK, &winch, NULL);
	sfd = signalfd(-1, &winch, SFD_CLOEXEC | SFD_NONBLOCK);
	reply = agent_line(fd, sfd, buf, sizeof(buf), &have);
	if (!reply) {
		tg_err(0, "the agent closed the connection without a reply");
		goto out_close;
	}
	if (!json_object_object_get_ex(reply, "ok", &v) ||
	    !json_object_get_boolean(v)) {
		tg_err(0, "%s", jstr(reply, "error"));
		goto out_put;
	}
	tg_debug("the agent started pid %s", jstr(reply, "pid"));
	json_object_put(reply);
	reply = agent_line(fd, sfd, buf, sizeof(buf), &have);
	if (reply && json_object_object_get_ex(reply, "exit", &v))
		rc = json_object_get_int(v);
	else
		tg_err(0, "the agent's launcher ended without CMD's status");
out_put:
	json_object_put(reply);
out_close:
	if (sfd >= 0)
		close(sfd);
	close(fd);
	return rc;
}

/*
 * The profile (--profile, else the tenant's) into p, compiled into
 * l->filter. 0 or -errno (reported); p is to be freed either way.
 */
static int load_filter(const struct run_args *a, const char *tprofile,
		       struct tg_sc_profile *p, struct tg_launch *l)
{
	struct tg_diag d = {};
	char why[512];
	int r;

	r = tg_launch_profile(l, p, a->profile ? a->profile : tprofile,
			      a->seccomp_dir, &d, why, sizeof(why));
	print_diag(&d);
	tg_diag_free(&d);
	if (r && why[0])
		tg_err(r, "%s", why);
	return r;
}

int cmd_run(const struct cli_opts *o, int argc, char **argv)
{
	struct run_args a = {.policy = "/etc/tenantguard/policy.yaml"};
	struct tg_launch l = {.control_socket = o->control_socket,
			      .hangup_fd = -1};
	char cgroup[PATH_MAX] = "", tprofile[64] = "default";
	struct tg_sc_profile p;
	int rc = EXIT_LAUNCH;

	tg_log_init("tenantguard: run", 0);
	if (parse_args(argc, argv, &a))
		return 2;
	/* Without root, the agent launches: the operator role decides. */
	if (geteuid() != 0 || a.via_agent) {
		tg_log_init("tenantguard run", a.verbose);
		return run_via_agent(o, &a);
	}
	if (set_ids(&a, &l))
		return 2;
	if (l.switch_ids && l.uid == 0)
		tg_warn("the workload stays uid 0: it owns root's files and can signal root's processes%s",
			tg_cgroup2_nsdelegate("/proc/self/mountinfo")
				? ""
				: ", and (cgroup2 is mounted without nsdelegate) can move itself out of the tenant's cgroup");
	l.pid_ns = !a.no_pid_ns;
	if (!l.pid_ns)
		tg_warn("--no-pid-namespace: the workload shares the host's PID namespace and /proc: it sees every process of the host and can signal those of its uid");
	l.tenant = a.tenant;
	l.argv = a.cmd;
	l.cgroup = cgroup;
	if (locate_tenant(o, &a, cgroup, sizeof(cgroup), tprofile,
			  sizeof(tprofile)))
		return EXIT_LAUNCH;
	if (load_filter(&a, tprofile, &p, &l) == 0) {
		/* The launcher's own lines say "tenantguard run: ...". */
		tg_log_init("tenantguard run", a.verbose);
		rc = tg_launch(&l);
	}
	seccomp_release(l.filter);
	tg_sc_profile_free(&p);
	return rc;
}
