// SPDX-License-Identifier: GPL-2.0
/*
 * The policy taking effect: load it, register the tenants that exist, write
 * the kernel's maps, reload with rollback (a rejected policy never replaces
 * the one in force), rescan when cgroups or owned paths come and go, and
 * the inotify watches that tell when they do.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <json-c/json.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "agentd/agent.h"
#include "agentd/fanotify.h"
#include "agentd/ratelimit.h"
#include "agentd/reserved_ports.h"
#include "common/cgroupfs.h"
#include "common/clock.h"
#include "common/log.h"

/* Why an apply failed (err), for people. */
static const char *apply_error(int err)
{
	if (err == -EEXIST)
		return "two tenants resolve to the same cgroup or directory";
	if (err == -E2BIG)
		return "a policy map would be over its size (tenants, owned paths and hard links, reserved ports, networks, allow_from pairs, or more than 256 ranges of support login uids once its groups are resolved)";
	return strerror(-err);
}

/* The registry into the kernel: fanotify's and the BPF programs' maps. */
static int apply_maps(struct agent *a, struct tg_apply_stats *st)
{
	int err = 0;

	/* Hard links are looked for again when the owned roots change. */
	if (a->fan)
		err = tg_fan_apply(a->fan, &a->reg, 0);
	if (!err)
		agent_retired_fan(a);
	return err ?: tg_bpf_apply(&a->bpf, &a->reg, st);
}

/* Bring the kernel in line with a->policy and the cgroups that exist now. */
int agent_apply(struct agent *a)
{
	struct tg_apply_stats st;
	int err, rl_err;

	err = tg_registry_apply(&a->reg, &a->policy, a->cgroup_root,
				a->builtin ? a->opt.paths_root : NULL);
	if (!err)
		err = apply_maps(a, &st);
	/* A zero-config tenant on another's cgroup or path stays pending. */
	if (err == -EEXIST && tg_registry_resolve_conflicts(&a->reg) > 0)
		err = apply_maps(a, &st);
	if (!err) {
		agent_report_pending(a);
		agent_report_links(a);
	}
	if (!err) {
		a->last_changes = st.changes;
		a->resports_err = tg_resports_apply(&a->resports, &a->reg);
		if (a->resports_err)
			tg_info("reserved ports: cannot update %s: %s (ports the kernel picks may fall in reserved ranges)",
				a->resports.path, strerror(-a->resports_err));
	}
	if (!err)
		agent_save_state(a);
	/* Events name the roots in force by their policy paths. */
	if (!err && tg_root_paths_build(&a->roots, &a->reg))
		tg_info("events: out of memory for the owned roots' paths; events name them by inode");
	a->fmt.roots = &a->roots;
	/* Limits are not isolation: a failure to set them is only told. */
	if (!err && a->rl &&
	    (rl_err = tg_ratelimit_apply(a->rl, &a->reg, &a->policy)))
		tg_info("events: cannot set rate limits: %s",
			strerror(-rl_err));
	if (!err && a->fan)
		agent_report_unmarked(a);
	if (err)
		tg_info("policy: cannot apply: %s", apply_error(err));
	return err;
}

/*
 * Apply again for the cgroups that exist now. While that fails, new
 * cgroups below the tenants cgroup stay pending: told once per error.
 */
int agent_rescan(struct agent *a)
{
	int err = agent_apply(a);
	char msg[400];

	if (err && err != a->rescan_err) {
		snprintf(
			msg, sizeof(msg),
			"cannot register the cgroups below the tenants cgroup: %s; new ones stay pending%s",
			apply_error(err),
			a->builtin
				? ", new directories below the paths root are refused to every tenant"
				: "");
		agent_emit(a, tg_agent_event(&a->fmt, "pending", "deny", msg));
	}
	a->rescan_err = err;
	return err;
}

/* The policy from its files (or the built-in one) into p. */
int agent_load_policy(struct agent *a, struct tg_policy *p, struct tg_diag *d)
{
	int err;

	tg_policy_init(p);
	if (a->builtin && strcmp(a->opt.policy_file, "builtin") &&
	    access(a->opt.policy_file, F_OK) == 0) {
		/* Started without the file, which exists now: the built-in
		 * policy again would look like the file's. */
		tg_diag_msg(
			d,
			"policy: %s exists now, but this agent started without it and runs the built-in policy (zero-config tenants below %s), which a reload cannot leave: restart the agent to use the file (systemctl restart tenantguard-agent); nothing changed",
			a->opt.policy_file, a->opt.paths_root);
		return -EAGAIN;
	}
	if (a->builtin) {
		snprintf(p->tenants_cgroup, sizeof(p->tenants_cgroup), "%s",
			 a->opt.tenants_cgroup);
		tg_policy_default_roles(p);
		if (strcmp(a->opt.policy_file, "builtin"))
			tg_policy_warn_unread(p, a->opt.policy_file,
					      a->opt.policy_dir);
		return 0;
	}
	err = tg_policy_load(p, a->opt.policy_file, a->opt.policy_dir, d);
	/* A retired tenant stays retired, whatever the files say now. */
	if (!err)
		err = agent_retired_check(a, p, d);
	/* Approver keys change only by the tenant. */
	if (!err)
		err = agent_approvers_check(a, p, d);
	if (err)
		tg_policy_free(p);
	return err;
}

/* The policy in force again after next failed to apply (err); d gets why. */
static void roll_back(struct agent *a, struct tg_policy *prev,
		      struct tg_policy *next, int err, struct tg_diag *d)
{
	char msg[256];

	/* The kernel never saw next: only the registry and fanotify did. */
	a->policy = *prev;
	tg_registry_apply(&a->reg, &a->policy, a->cgroup_root,
			  a->builtin ? a->opt.paths_root : NULL);
	if (a->fan)
		tg_fan_apply(a->fan, &a->reg, 0);
	tg_policy_free(next);
	snprintf(msg, sizeof(msg), "policy: cannot apply: %s",
		 apply_error(err));
	tg_diag_msg(d, "%s", msg);
}

/* The outcome of a reload: an event, a log line, the reasons into errs. */
/*
 * Who asked for it over the control socket (none for SIGHUP, inotify):
 * the one who made the request, and who confirmed it if it waited.
 */
static void add_requester(struct agent *a, struct json_object *o)
{
	struct agent_by by;

	if (!a->peer)
		return;
	agent_by_peer(a, &by);
	agent_by_json(&by, o);
}

/*
 * The policy tenants next adds to prev, removes from it and changes, by
 * name (each in its policy's order), into o: tenants_added,
 * tenants_removed, tenants_changed.
 */
static void tenant_changes(const struct tg_policy *prev,
			   const struct tg_policy *next, struct json_object *o)
{
	struct json_object *add = json_object_new_array(),
			   *rm = json_object_new_array(),
			   *chg = json_object_new_array();
	const struct tg_policy_tenant *t, *old;
	unsigned int i;

	for (i = 0; i < next->n_tenants; i++) {
		t = &next->tenants[i];
		old = tg_policy_find(prev, t->name);
		if (!old)
			json_object_array_add(add,
					      json_object_new_string(t->name));
		else if (!tg_policy_tenant_same(prev, old, next, t))
			json_object_array_add(chg,
					      json_object_new_string(t->name));
	}
	for (i = 0; i < prev->n_tenants; i++)
		if (!tg_policy_find(next, prev->tenants[i].name))
			json_object_array_add(
				rm,
				json_object_new_string(prev->tenants[i].name));
	json_object_object_add(o, "tenants_added", add);
	json_object_object_add(o, "tenants_removed", rm);
	json_object_object_add(o, "tenants_changed", chg);
}

/* Copy the keys of changes into o (the reload's event). */
static void add_changes(struct json_object *o, struct json_object *changes)
{
	json_object_object_foreach(changes, k, v)
		json_object_object_add(o, k, json_object_get(v));
}

/* The policy's warnings into o as "warnings" (none: nothing added). */
static void add_warnings(const struct tg_policy *p, struct json_object *o)
{
	struct json_object *arr;
	unsigned int i;

	if (!p->warnings.n)
		return;
	arr = json_object_new_array();
	for (i = 0; i < p->warnings.n; i++)
		json_object_array_add(
			arr, json_object_new_string(p->warnings.msgs[i]));
	json_object_object_add(o, "warnings", arr);
}

static void report_reload(struct agent *a, int err, const struct tg_diag *d,
			  struct json_object *errs, struct json_object *changes)
{
	struct json_object *o, *arr;
	char msg[PATH_MAX + 512];
	unsigned int i;
	size_t n;

	if (!err) {
		for (i = 0; i < a->policy.warnings.n; i++)
			tg_info("warning: %s", a->policy.warnings.msgs[i]);
		n = (size_t)snprintf(
			msg, sizeof(msg),
			"policy generation %u in force (%u tenants, %ld map changes, %.1f ms)",
			a->bpf.gen, a->policy.n_tenants, a->last_changes,
			a->last_reload_ms);
		if (n < sizeof(msg))
			agent_unregistered_text(a, msg + n, sizeof(msg) - n);
		o = tg_agent_event(&a->fmt, "reload", "allow", msg);
		if (o) {
			json_object_object_add(
				o, "generation",
				json_object_new_int64(a->bpf.gen));
			add_changes(o, changes);
		}
		add_requester(a, o);
		agent_emit(a, o);
		tg_info("%s", msg);
		return;
	}
	o = tg_agent_event(
		&a->fmt, "reload", "deny",
		"policy rejected; the previous policy stays in force");
	arr = json_object_new_array();
	for (i = 0; i < d->n; i++) {
		tg_info("%s", d->msgs[i]);
		json_object_array_add(arr, json_object_new_string(d->msgs[i]));
		if (errs)
			json_object_array_add(
				errs, json_object_new_string(d->msgs[i]));
	}
	add_requester(a, o);
	if (o)
		json_object_object_add(o, "errors", arr);
	else
		json_object_put(arr);
	agent_emit(a, o);
	tg_info("reload rejected (%u error(s)); generation %u stays in force",
		d->n, a->bpf.gen);
}

/*
 * Load, validate and apply the policy files again. On any failure the
 * policy in force stays, and errs (if not NULL) gets the reasons; else
 * changes (if not NULL) gets the policy tenants added, removed and changed.
 */
int agent_reload(struct agent *a, struct json_object *errs,
		 struct json_object *changes)
{
	__s64 t0 = tg_clock_ns(CLOCK_MONOTONIC);
	struct json_object *ch = json_object_new_object();
	struct tg_policy next, prev;
	struct tg_diag d = {};
	int err;

	tg_service_reloading();
	err = agent_load_policy(a, &next, &d);
	if (!err && a->reload_expect && strcmp(next.digest, a->reload_expect)) {
		/* Confirmed was what the files held then, not what they hold.
		 */
		tg_diag_msg(
			&d,
			"policy: the files changed since the request was made (sha256 %s then, %s now): nothing applied; ask again",
			a->reload_expect, next.digest);
		tg_policy_free(&next);
		err = -ESTALE;
	}
	if (!err) {
		prev = a->policy;
		a->policy = next;
		err = agent_apply(a);
		if (err) {
			roll_back(a, &prev, &next, err, &d);
		} else {
			tenant_changes(&prev, &a->policy, ch);
			add_warnings(&a->policy, ch);
			tg_policy_free(&prev);
		}
	}
	if (err) {
		a->reloads_failed++;
	} else {
		a->reloads_ok++;
		agent_retire_from_policy(a);
		agent_approvers_enroll(a);
		/* A policy file replaced is a new inode to protect. */
		if (a->bpf.guard_obj)
			agent_guard_paths(a);
		a->last_reload_ms =
			(double)(tg_clock_ns(CLOCK_MONOTONIC) - t0) / 1e6;
	}
	report_reload(a, err, &d, errs, ch);
	/* Reloaded or not, the policy in force enforces. */
	agent_ready(a);
	if (!err && changes)
		add_changes(changes, ch);
	json_object_put(ch);
	tg_diag_free(&d);
	return err;
}

int agent_reload_preview(struct agent *a, struct json_object *changes,
			 struct json_object *errs, char *digest, size_t len)
{
	struct tg_policy next;
	struct tg_diag d = {};
	unsigned int i;
	int err;

	err = agent_load_policy(a, &next, &d);
	if (err) {
		for (i = 0; i < d.n; i++)
			json_object_array_add(
				errs, json_object_new_string(d.msgs[i]));
	} else {
		tenant_changes(&a->policy, &next, changes);
		snprintf(digest, len, "%s", next.digest);
		tg_policy_free(&next);
	}
	tg_diag_free(&d);
	return err;
}

/* Watch for v directory's children appearing or going (best effort). */
static void watch_dir(int fd, const char *dir)
{
	inotify_add_watch(fd, dir,
			  IN_CREATE | IN_DELETE | IN_MOVED_FROM | IN_MOVED_TO |
				  IN_ONLYDIR);
}

/* Watch the nearest existing ancestor of path: its creation starts there. */
static void watch_parent(int fd, const char *path)
{
	char dir[PATH_MAX];
	struct stat st;
	char *slash;

	snprintf(dir, sizeof(dir), "%s", path);
	for (;;) {
		slash = strrchr(dir, '/');
		if (!slash || slash == dir)
			return;
		*slash = '\0';
		if (stat(dir, &st) == 0) {
			watch_dir(fd, dir);
			return;
		}
	}
}

/*
 * A fresh inotify fd watching what can bring a tenant into being: the
 * tenants cgroup, and the parents of tenant cgroups and owned paths that do
 * not exist yet.
 */
static int watch_dirs(struct agent *a)
{
	int fd = inotify_init1(IN_CLOEXEC | IN_NONBLOCK);
	struct stat st;
	unsigned int j;
	size_t i;

	if (fd < 0)
		return -errno;
	if (inotify_add_watch(fd, a->tenants_dir,
			      IN_CREATE | IN_DELETE | IN_MOVED_FROM |
				      IN_MOVED_TO | IN_ONLYDIR) < 0) {
		int err = -errno;

		close(fd);
		return err;
	}
	if (a->builtin)
		watch_dir(fd, a->opt.paths_root);
	for (i = 0; i < a->reg.n; i++) {
		const struct tg_tenant_entry *e = &a->reg.v[i];

		if (e->defined && !e->present)
			watch_parent(fd, e->cgroup);
		for (j = 0; j < e->n_paths; j++)
			if (stat(e->paths[j], &st) < 0)
				watch_parent(fd, e->paths[j]);
	}
	return fd;
}

/* Make the tenants cgroup of the policy in force exist, and watch. */
int agent_prepare_tenants_dir(struct agent *a)
{
	int err, fd, unread = 0;

	err = tg_path_join(a->tenants_dir, sizeof(a->tenants_dir),
			   a->cgroup_root, a->policy.tenants_cgroup);
	if (err)
		return err;
	if (mkdir(a->tenants_dir, 0755) == 0) {
		/* A new tenants cgroup (reload): pending below it from now. */
		if (a->started)
			agent_apply(a);
	} else if (errno != EEXIST) {
		err = -errno;
		tg_info("cannot create tenants cgroup %s: %s", a->tenants_dir,
			strerror(-err));
		return err;
	}
	fd = watch_dirs(a);
	if (fd < 0) {
		tg_info("inotify on %s: %s", a->tenants_dir, strerror(-fd));
		return fd;
	}
	/*
	 * What the old fd holds unread (a directory made or removed since the
	 * last look) is looked at now: the new watches were in place before
	 * the count, so nothing falls between the two fds.
	 */
	if (a->inotify_fd >= 0) {
		if (ioctl(a->inotify_fd, FIONREAD, &unread) < 0)
			unread = 0;
		close(a->inotify_fd);
	}
	a->inotify_fd = fd;
	if (unread > 0 && a->started)
		agent_rescan(a);
	return 0;
}
