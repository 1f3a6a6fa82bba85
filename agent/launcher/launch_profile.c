// SPDX-License-Identifier: GPL-2.0
/*
 * The workload's seccomp profile, found and compiled for the launcher: the
 * same checks whoever launches (root's CLI, or the agent for an operator).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>

#include "launcher/launch.h"
#include "seccomp/profile.h"

/*
 * What the init of a PID namespace, under the profile already, calls to
 * start CMD in a session of its own and to run (fork is clone).
 */
static const char *const init_calls[] = {"clone",	   "wait4",
					 "kill",	   "rt_sigtimedwait",
					 "rt_sigprocmask", "setsid"};

/* 0 if the profile lets the init run; -EINVAL (why says) if not. */
static int check_init_calls(const struct tg_sc_profile *p, char *why,
			    size_t len)
{
	unsigned int i;
	int action;

	for (i = 0; i < sizeof(init_calls) / sizeof(init_calls[0]); i++) {
		/* -1: allowed for some arguments (clone without namespaces). */
		action = tg_sc_action_of(p, init_calls[i]);
		if (action != TG_SC_ALLOW && action != -1) {
			snprintf(
				why, len,
				"profile %s does not allow %s, which the init of the workload's PID namespace needs (allow it, or give --no-pid-namespace)",
				p->source, init_calls[i]);
			return -EINVAL;
		}
	}
	return 0;
}

int tg_launch_profile_check(const struct tg_sc_profile *p, int pid_ns,
			    char *why, size_t len)
{
	/* The child reports the listener with sendmsg after the filter is in.
	 */
	if (tg_sc_uses_notify(p) &&
	    tg_sc_action_of(p, "sendmsg") != TG_SC_ALLOW) {
		snprintf(
			why, len,
			"profile %s uses notify but does not allow sendmsg for every call, which the launcher needs to hand the listener over",
			p->source);
		return -EINVAL;
	}
	return pid_ns ? check_init_calls(p, why, len) : 0;
}

int tg_launch_profile(struct tg_launch *l, struct tg_sc_profile *p,
		      const char *name, const char *dir, struct tg_diag *d,
		      char *why, size_t len)
{
	int r;

	why[0] = '\0';
	r = tg_sc_find(p, name, dir, d);
	if (r)
		return r;
	l->profile = p->name;
	l->notify = tg_sc_uses_notify(p);
	r = tg_launch_profile_check(p, l->pid_ns, why, len);
	if (r)
		return r;
	l->filter = tg_sc_compile(p, 1, why, len);
	return l->filter ? 0 : -EINVAL;
}
