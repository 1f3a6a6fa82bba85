// SPDX-License-Identifier: GPL-2.0
/*
 * The control socket's commands, dispatched by name: status, tenant (where
 * and how the launcher starts a tenant's workload), reload, and
 * seccomp-listener (the launcher hands over a workload's listener). Each
 * request is served by the caller's role (common/roles.h), worked out anew
 * every time, and is one kind "admin" event, served or refused.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <json-c/json.h>
#include <limits.h>
#include <pwd.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agentd/agent.h"
#include "agentd/fanotify.h"
#include "agentd/local_routes.h"
#include "agentd/ratelimit.h"
#include "agentd/sink.h"
#include "common/cgroupfs.h"
#include "common/control.h"
#include "common/log.h"
#include "common/peer.h"
#include "common/roles.h"
#include "common/text.h"
#include "seccomp/notify.h"
#include "tenantguard/event_abi.h"
#include "tenantguard/map_abi.h"

static void json_add_str(struct json_object *o, const char *k, const char *v)
{
	json_object_object_add(o, k, json_object_new_string(v));
}

static const char *mode_name(__u32 flags)
{
	return (flags & TG_TENANT_F_AUDIT) ? "audit" : "enforce";
}

/* A tenant's event rate limit and its events not delivered, for status. */
static void add_rl_status(struct agent *a, struct json_object *t,
			  const struct tg_tenant_entry *e)
{
	const struct tg_rate *r = tg_policy_tenant_rate(
		&a->policy,
		e->defined ? tg_policy_find(&a->policy, e->name) : NULL);

	json_object_object_add(t, "event_rate",
			       r->rate ? json_object_new_int64(r->rate)
				       : json_object_new_string("unlimited"));
	json_object_object_add(t, "event_burst",
			       json_object_new_int64(r->burst));
	json_object_object_add(
		t, "events_suppressed",
		json_object_new_int64(
			(int64_t)tg_ratelimit_suppressed(a->rl, e->id)));
	json_object_object_add(
		t, "events_dropped",
		json_object_new_int64(
			(int64_t)(tg_ratelimit_dropped(a->rl, e->id) +
				  (a->fan ? tg_fan_drops_of(a->fan, e->id)
					  : 0))));
}

/* Events reported as suppressed so far, every tenant. */
static __u64 suppressed_total(struct agent *a)
{
	__u64 n = 0;
	__u32 id;

	for (id = 0; id < a->reg.next_id && id < TG_TENANT_PENDING; id++)
		n += tg_ratelimit_suppressed(a->rl, id);
	return n + tg_ratelimit_suppressed(a->rl, TG_TENANT_PENDING);
}

static struct json_object *fan_status_json(struct tg_fan *f)
{
	struct json_object *o = json_object_new_object(), *r;
	struct tg_fan_stats s;

	tg_fan_stats(f, &s);
	json_object_object_add(o, "filesystems", tg_fan_filesystems_json(f));
	json_object_object_add(o, "answered",
			       json_object_new_int64((int64_t)s.answered));
	json_object_object_add(o, "denied",
			       json_object_new_int64((int64_t)s.denied));
	json_object_object_add(o, "audited",
			       json_object_new_int64((int64_t)s.audited));
	json_object_object_add(o, "undecidable",
			       json_object_new_int64((int64_t)s.failed));
	r = json_object_new_object();
	json_object_object_add(r, "scans",
			       json_object_new_int64((int64_t)s.link_scans));
	json_object_object_add(r, "waited",
			       json_object_new_int64((int64_t)s.waited));
	json_object_object_add(r, "timed_out",
			       json_object_new_int64((int64_t)s.timed_out));
	json_object_object_add(o, "links", r);
	json_object_object_add(o, "ignore_marks",
			       json_object_new_int64((int64_t)s.ignore_marks));
	json_object_object_add(o, "cache_hits",
			       json_object_new_int64((int64_t)s.cache_hits));
	json_object_object_add(o, "cache_misses",
			       json_object_new_int64((int64_t)s.cache_misses));
	r = json_object_new_object();
	json_object_object_add(r, "directories",
			       json_object_new_int64((int64_t)s.dir_renames));
	json_object_object_add(
		r, "owner_kept",
		json_object_new_int64((int64_t)s.dir_renames_kept));
	json_object_object_add(o, "renames", r);
	r = json_object_new_object();
	json_object_object_add(r, "all",
			       json_object_new_int64((int64_t)s.flush_all));
	json_object_object_add(r, "host",
			       json_object_new_int64((int64_t)s.flush_host));
	json_object_object_add(r, "tenant",
			       json_object_new_int64((int64_t)s.flush_tenant));
	json_object_object_add(
		r, "ignore_limit",
		json_object_new_int64((int64_t)s.flush_ignore_limit));
	json_object_object_add(o, "flushes", r);
	return o;
}

/* The pending actor: where, its mode, its denials, the cgroups left so. */
static struct json_object *pending_json(struct agent *a)
{
	const struct tg_pending *p = &a->reg.pending;
	struct json_object *o = json_object_new_object(), *arr, *u;
	char msg[PATH_MAX + 256];
	size_t i;

	json_add_str(o, "name", "(pending)");
	json_add_str(o, "cgroup", p->cgroup);
	json_object_object_add(o, "present",
			       json_object_new_boolean(p->cgroup_id != 0));
	json_add_str(o, "mode", mode_name(p->flags));
	json_object_object_add(
		o, "denials",
		json_object_new_int64((int64_t)tg_delivery_denials(
			&a->dlv, TG_TENANT_PENDING)));
	json_object_object_add(
		o, "audits",
		json_object_new_int64((int64_t)tg_delivery_audits(
			&a->dlv, TG_TENANT_PENDING)));
	json_object_object_add(
		o, "events_suppressed",
		json_object_new_int64((int64_t)tg_ratelimit_suppressed(
			a->rl, TG_TENANT_PENDING)));
	json_object_object_add(
		o, "events_dropped",
		json_object_new_int64((int64_t)tg_ratelimit_dropped(
			a->rl, TG_TENANT_PENDING)));
	arr = json_object_new_array();
	for (i = 0; i < p->n; i++) {
		u = json_object_new_object();
		json_add_str(u, "cgroup", p->v[i].cgroup);
		json_add_str(u, "reason", tg_unreg_reason_name(p->v[i].reason));
		tg_unreg_text(&p->v[i], msg, sizeof(msg));
		json_add_str(u, "message", msg);
		json_object_array_add(arr, u);
	}
	json_object_object_add(o, "unregistered", arr);
	json_object_object_add(o, "unregistered_more",
			       json_object_new_int64((int64_t)p->more));
	json_add_str(o, "paths_root", a->reg.paths_root);
	arr = json_object_new_array();
	for (i = 0; i < a->reg.unowned.n; i++) {
		u = json_object_new_object();
		json_add_str(u, "path", a->reg.unowned.v[i].cgroup);
		json_add_str(u, "reason",
			     tg_unreg_reason_name(a->reg.unowned.v[i].reason));
		tg_unowned_text(&a->reg.unowned.v[i], msg, sizeof(msg));
		json_add_str(u, "message", msg);
		json_object_array_add(arr, u);
	}
	json_object_object_add(o, "unregistered_paths", arr);
	json_object_object_add(
		o, "unregistered_paths_more",
		json_object_new_int64((int64_t)a->reg.unowned.more));
	return o;
}

/* The tenants in force, for status. */
static struct json_object *tenants_json(struct agent *a)
{
	struct json_object *ts, *t, *ps;
	unsigned int j;
	size_t i;

	ts = json_object_new_array();
	for (i = 0; i < a->reg.n; i++) {
		const struct tg_tenant_entry *e = &a->reg.v[i];

		if (!tg_tenant_in_force(e))
			continue;
		t = json_object_new_object();
		json_object_object_add(t, "name",
				       json_object_new_string(e->name));
		json_object_object_add(t, "id", json_object_new_int64(e->id));
		json_object_object_add(
			t, "mode", json_object_new_string(mode_name(e->flags)));
		json_object_object_add(t, "cgroup",
				       json_object_new_string(e->cgroup));
		json_object_object_add(t, "present",
				       json_object_new_boolean(e->present));
		json_object_object_add(
			t, "source",
			json_object_new_string(e->defined ? "policy"
							  : "zero-config"));
		ps = json_object_new_array();
		for (j = 0; j < e->n_paths; j++)
			json_object_array_add(
				ps, json_object_new_string(e->paths[j]));
		json_object_object_add(t, "paths", ps);
		json_object_object_add(
			t, "denials",
			json_object_new_int64(
				(int64_t)tg_delivery_denials(&a->dlv, e->id)));
		json_object_object_add(
			t, "audits",
			json_object_new_int64(
				(int64_t)tg_delivery_audits(&a->dlv, e->id)));
		add_rl_status(a, t, e);
		json_object_array_add(ts, t);
	}
	return ts;
}

/* The events' way from the kernel to the collector, for status. */
static struct json_object *events_json(struct agent *a)
{
	struct tg_sink_stats ss;
	struct json_object *t;

	tg_sink_stats(a->sink, &ss);
	t = json_object_new_object();
	json_object_object_add(t, "kernel_events",
			       json_object_new_int64((int64_t)a->events_seen));
	json_object_object_add(
		t, "kernel_drops",
		json_object_new_int64((int64_t)tg_bpf_event_drops(&a->bpf)));
	json_object_object_add(
		t, "kernel_suppressed",
		json_object_new_int64((int64_t)suppressed_total(a)));
	json_object_object_add(t, "sent_acked",
			       json_object_new_int64((int64_t)ss.acked));
	json_object_object_add(t, "queued",
			       json_object_new_int64((int64_t)ss.queued));
	json_object_object_add(t, "dropped",
			       json_object_new_int64((int64_t)ss.dropped));
	json_object_object_add(t, "dropped_admin",
			       json_object_new_int64((int64_t)a->admin_dropped));
	json_object_object_add(
		t, "spool_events",
		json_object_new_int64((int64_t)ss.spool_records));
	json_object_object_add(t, "collector_connected",
			       json_object_new_boolean(ss.connected));
	return t;
}

/* The control socket, who may connect, and the groups of each role. */
static struct json_object *control_json(struct agent *a)
{
	struct json_object *o = json_object_new_object(), *roles, *arr, *g;
	const struct tg_role_group *rg;
	unsigned int i;
	int r;

	json_add_str(o, "socket", a->opt.control_socket);
	json_add_str(o, "group", a->opt.control_group);
	json_object_object_add(
		o, "gid",
		a->opt.control_group_known
			? json_object_new_int64(a->opt.control_gid)
			: NULL);
	json_add_str(o, "mode", a->opt.control_group_known ? "0660" : "0600");
	json_add_str(o, "message",
		     a->opt.control_group_known
			     ? "root and the members of the group may connect"
			     : "root only: no such group on this host");
	roles = json_object_new_object();
	for (r = TG_ROLE_VIEWER; r < TG_ROLE_COUNT; r++) {
		arr = json_object_new_array();
		for (i = 0; i < a->policy.roles.n[r]; i++) {
			rg = &a->policy.roles.v[r][i];
			g = json_object_new_object();
			json_add_str(g, "name", rg->name);
			json_object_object_add(
				g, "gid",
				rg->found ? json_object_new_int64(rg->gid)
					  : NULL);
			json_object_array_add(arr, g);
		}
		json_object_object_add(roles, tg_role_name(r), arr);
	}
	json_object_object_add(o, "roles", roles);
	return o;
}

static struct json_object *status_json(struct agent *a)
{
	struct json_object *o = json_object_new_object(), *t;
	struct tg_local_routes_stats lr;

	json_object_object_add(o, "ok", json_object_new_boolean(1));
	json_object_object_add(
		o, "policy",
		json_object_new_string(a->builtin ? "built-in"
						  : a->policy.source));
	json_object_object_add(o, "generation",
			       json_object_new_int64(a->bpf.gen));
	json_object_object_add(
		o, "mode",
		json_object_new_string(
			a->policy.mode == TG_MODE_AUDIT ? "audit" : "enforce"));
	agent_backends_json(a, o, 1);
	if (a->fan)
		json_object_object_add(o, "fanotify", fan_status_json(a->fan));
	json_object_object_add(o, "tenants", tenants_json(a));
	json_object_object_add(o, "pending", pending_json(a));
	json_object_object_add(o, "events", events_json(a));
	json_object_object_add(
		o, "delivery",
		tg_delivery_status(
			&a->dlv,
			&(struct tg_delivery_extra){
				.kernel_drops = tg_bpf_event_drops(&a->bpf),
				.reloads_ok = a->reloads_ok,
				.reloads_failed = a->reloads_failed}));
	t = json_object_new_object();
	json_object_object_add(
		t, "listeners",
		json_object_new_int64(tg_notify_count(a->notify)));
	json_object_object_add(
		t, "denials",
		json_object_new_int64((int64_t)a->seccomp_denials));
	json_object_object_add(o, "seccomp", t);
	t = json_object_new_object();
	tg_local_routes_stats(a->nl, &lr);
	json_object_object_add(t, "local_routes",
			       json_object_new_int64(lr.routes));
	json_object_object_add(t, "local_routes_table",
			       json_object_new_int64(lr.table));
	json_object_object_add(t, "local_routes_max",
			       json_object_new_int64(lr.limit));
	json_object_object_add(t, "local_routes_full",
			       json_object_new_boolean(lr.full));
	json_object_object_add(t, "reserved_ports_added",
			       json_object_new_int64(a->resports.n_mine));
	json_object_object_add(
		t, "reserved_ports_error",
		json_object_new_string(
			a->resports_err ? strerror(-a->resports_err) : ""));
	json_object_object_add(t, "seeded_sockets",
			       json_object_new_int64(a->seed.sockets));
	json_object_object_add(t, "seeded_ports",
			       json_object_new_int64(a->seed.ports));
	json_object_object_add(t, "seed_conflicts",
			       json_object_new_int64(a->seed.conflicts));
	json_object_object_add(o, "net", t);
	json_object_object_add(o, "control", control_json(a));
	json_object_object_add(o, "reloads_ok",
			       json_object_new_int64((int64_t)a->reloads_ok));
	json_object_object_add(
		o, "reloads_failed",
		json_object_new_int64((int64_t)a->reloads_failed));
	return o;
}

/* The names of view v ("all" for every tenant). */
static struct json_object *view_json(const struct tg_view *v)
{
	struct json_object *arr;
	unsigned int i;

	if (v->all)
		return json_object_new_string("all");
	arr = json_object_new_array();
	for (i = 0; i < v->n; i++)
		json_object_array_add(arr, json_object_new_string(v->names[i]));
	return arr;
}

/*
 * Status for a viewer restricted to some tenants: theirs, and what holds
 * for every tenant alike (the policy's generation and mode, the backends);
 * never the pending actor, other tenants, or host-wide counters, which
 * add up other tenants' events.
 */
static struct json_object *status_view_json(struct agent *a,
					    const struct tg_view *v)
{
	struct json_object *o = json_object_new_object(), *all, *ts, *t;
	size_t i;

	json_object_object_add(o, "ok", json_object_new_boolean(1));
	json_object_object_add(o, "view", view_json(v));
	json_object_object_add(
		o, "policy",
		json_object_new_string(a->builtin ? "built-in"
						  : a->policy.source));
	json_object_object_add(o, "generation",
			       json_object_new_int64(a->bpf.gen));
	json_object_object_add(
		o, "mode",
		json_object_new_string(
			a->policy.mode == TG_MODE_AUDIT ? "audit" : "enforce"));
	agent_backends_json(a, o, 1);
	all = tenants_json(a);
	ts = json_object_new_array();
	for (i = 0; i < json_object_array_length(all); i++) {
		t = json_object_array_get_idx(all, i);
		if (tg_view_has(v, json_object_get_string(
					   json_object_object_get(t, "name"))))
			json_object_array_add(ts, json_object_get(t));
	}
	json_object_put(all);
	json_object_object_add(o, "tenants", ts);
	return o;
}

/* Where and under which profile the launcher starts tenant name. */
static struct json_object *tenant_json(struct agent *a, const char *name)
{
	const struct tg_tenant_entry *e = tg_registry_find_const(&a->reg, name);
	const struct tg_policy_tenant *t = tg_policy_find(&a->policy, name);
	struct json_object *o = json_object_new_object();

	if (!e || (!e->defined && !e->present)) {
		json_object_object_add(o, "ok", json_object_new_boolean(0));
		json_object_object_add(
			o, "error",
			json_object_new_string(
				"no such tenant in the policy in force"));
		return o;
	}
	json_object_object_add(o, "ok", json_object_new_boolean(1));
	json_object_object_add(o, "name", json_object_new_string(e->name));
	json_object_object_add(o, "id", json_object_new_int64(e->id));
	json_object_object_add(o, "cgroup", json_object_new_string(e->cgroup));
	json_object_object_add(o, "present",
			       json_object_new_boolean(e->present));
	json_object_object_add(o, "seccomp",
			       json_object_new_string(t && t->seccomp[0]
							      ? t->seccomp
							      : "default"));
	return o;
}

/* The launcher hands over the seccomp listener of a tenant's process tree. */
static struct json_object *take_listener(struct agent *a,
					 struct json_object *req, int *fd)
{
	struct json_object *o = json_object_new_object(), *v;
	const char *tenant = NULL, *profile = "";
	char msg[160];
	int err;

	if (json_object_object_get_ex(req, "tenant", &v))
		tenant = json_object_get_string(v);
	if (json_object_object_get_ex(req, "profile", &v))
		profile = json_object_get_string(v);
	if (!tenant || !tg_tenant_name_valid(tenant) || strlen(profile) >= 64) {
		err = -EINVAL;
		snprintf(msg, sizeof(msg),
			 "seccomp-listener: 'tenant' missing or invalid");
	} else if (*fd < 0) {
		err = -EBADF;
		snprintf(msg, sizeof(msg),
			 "seccomp-listener: no descriptor passed");
	} else {
		err = tg_notify_add(a->notify, *fd, tenant, profile);
		*fd = -1; /* taken, or closed on error */
		snprintf(msg, sizeof(msg), "seccomp-listener: %s",
			 err == -EBADF ? "not a seccomp listener"
				       : strerror(-err));
	}
	json_object_object_add(o, "ok", json_object_new_boolean(!err));
	if (err)
		json_object_object_add(o, "error", json_object_new_string(msg));
	else
		tg_debug(
			"seccomp listener for tenant %s (profile %s), %u served",
			tenant, profile, tg_notify_count(a->notify));
	return o;
}

static struct json_object *cmd_status(struct agent *a, struct json_object *req,
				      int *fd)
{
	return a->view->all ? status_json(a) : status_view_json(a, a->view);
}

/* events and report: the stored events the caller may see, streamed. */
static struct json_object *cmd_events(struct agent *a, struct json_object *req,
				      int *fd)
{
	return agent_serve_events(a, req, a->view, a->conn);
}

static struct json_object *cmd_tenant(struct agent *a, struct json_object *req,
				      int *fd)
{
	struct json_object *v;

	return tenant_json(a, json_object_object_get_ex(req, "name", &v)
				      ? json_object_get_string(v)
				      : "");
}

static struct json_object *cmd_reload(struct agent *a, struct json_object *req,
				      int *fd)
{
	struct json_object *o = json_object_new_object(),
			   *errs = json_object_new_array();

	json_object_object_add(
		o, "ok", json_object_new_boolean(!agent_reload(a, errs, o)));
	json_object_object_add(o, "generation",
			       json_object_new_int64(a->bpf.gen));
	json_object_object_add(o, "elapsed_ms",
			       json_object_new_double(a->last_reload_ms));
	json_object_object_add(o, "map_changes",
			       json_object_new_int64(a->last_changes));
	json_object_object_add(o, "errors", errs);
	return o;
}

static const struct {
	const char *name;
	struct json_object *(*fn)(struct agent *a, struct json_object *req,
				  int *fd);
} cmds[] = {
	{"status", cmd_status},
	{"tenant", cmd_tenant},
	{"reload", cmd_reload},
	{"seccomp-listener", take_listener},
	{"events", cmd_events},
	{"report", cmd_events},
};

int agent_peer_actor(struct agent *a, const struct tg_peer *p, __u32 *id)
{
	char path[PATH_MAX];

	if (p->err)
		return p->err;
	if (tg_path_join(path, sizeof(path), a->cgroup_root, p->cgroup))
		return -ENAMETOOLONG;
	*id = tg_registry_actor(&a->reg, path);
	return 0;
}

/*
 * Whose process peer p is, if not the host's ("acme", "(pending)", or
 * "(unknown)" when it cannot be told), with why the control socket refuses
 * it in msg; NULL for a host process.
 */
static const char *refusal(struct agent *a, const struct tg_peer *p, char *nb,
			   size_t nblen, char *msg, size_t len)
{
	const char *who;
	__u32 id;
	int err = agent_peer_actor(a, p, &id);

	if (err) {
		snprintf(msg, len,
			 "refused: the caller cannot be identified: %s",
			 err == -ENAMETOOLONG ? "its cgroup path is too long"
					      : p->why);
		return "(unknown)";
	}
	if (id == TG_TENANT_HOST)
		return NULL;
	who = tg_registry_name(&a->reg, id, nb, nblen);
	if (id == TG_TENANT_PENDING)
		snprintf(
			msg, len,
			"refused: the caller runs below the tenants cgroup (pending)");
	else
		snprintf(msg, len,
			 "refused: the caller runs in tenant %s's cgroup (%s)",
			 who, p->cgroup);
	return who;
}

/*
 * Refuse a request to a tenant's process, the pending actor's or one that
 * cannot be identified, whatever its uid: the reply, an event and a log
 * line. NULL for a host process, which is judged by its role. *who: the
 * caller's actor ("host" for a host process).
 */
static struct json_object *refuse_peer(struct agent *a, const struct tg_peer *p,
				       const char *cmd, char *nb, size_t nblen,
				       const char **who)
{
	char msg[PATH_MAX + 256];
	struct json_object *o;

	*who = refusal(a, p, nb, nblen, msg, sizeof(msg));
	if (!*who) {
		*who = "host";
		return NULL;
	}
	tg_info("control: %s from pid %d (%s, uid %u, cgroup %s) %s", cmd,
		(int)p->pid, p->comm, (unsigned int)p->uid,
		p->err ? "unknown" : p->cgroup, msg);
	o = tg_agent_event_by(&a->fmt, "control_refused", "deny", *who,
			      (__u32)p->pid, p->comm, msg);
	if (o &&
	    (tg_event_add_str(o, "command", cmd, strlen(cmd)) ||
	     tg_event_add_str(o, "cgroup", p->cgroup, sizeof(p->cgroup)) ||
	     json_object_object_add(o, "uid", json_object_new_int64(p->uid)) ||
	     json_object_object_add(o, "login_uid",
				    json_object_new_int64(p->loginuid)))) {
		json_object_put(o);
		o = NULL;
	}
	agent_emit(a, o);
	return tg_control_error(msg);
}

/* The index in cmds of the command req names, -1 if none. */
static int find_cmd(struct json_object *req)
{
	const char *c = tg_json_str(req, "cmd");
	size_t i;

	for (i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
		if (strcmp(c, cmds[i].name) == 0)
			return (int)i;
	return -1;
}

/* A control request as its admin event tells it. */
struct request {
	const char *verb;    /* as served, or "(unknown command)"... */
	const char *who;     /* the caller's actor: "host", "acme"... */
	int role;	     /* enum tg_role */
	struct tg_view view; /* the tenants it may see */
	char user[64];	     /* the uid's name (passwd), "" if none */
};

/* "uid 1000 (alice, login uid 1000)" into buf. */
static void caller_text(const struct tg_peer *p, const struct request *r,
			char *buf, size_t len)
{
	char login[32];

	if (p->loginuid < 0)
		snprintf(login, sizeof(login), "login uid unset");
	else
		snprintf(login, sizeof(login), "login uid %ld", p->loginuid);
	snprintf(buf, len, "uid %u (%s%s%s)", (unsigned int)p->uid, r->user,
		 r->user[0] ? ", " : "", login);
}

/* The SHA-256 of the policy file, in hex (64 digits), or "" (built-in). */
static void policy_digest(struct agent *a, char *hex, size_t len)
{
	unsigned char h[crypto_hash_sha256_BYTES];
	struct tg_diag d = {};
	char *buf = NULL;
	size_t n = 0;

	hex[0] = '\0';
	if (a->builtin ||
	    tg_read_text_file(a->opt.policy_file, TG_POLICY_MAX_FILE, &buf, &n,
			      &d) == 0) {
		if (buf) {
			crypto_hash_sha256(h, (const unsigned char *)buf, n);
			sodium_bin2hex(hex, len, h, sizeof(h));
		}
	}
	free(buf);
	tg_diag_free(&d);
}

/*
 * What the request asked with, for its event: a summary of its arguments
 * (and for a reload that took effect, the tenants it changed, from reply).
 */
static struct json_object *request_args(struct agent *a,
					struct json_object *req,
					const struct request *r,
					struct json_object *reply)
{
	static const char *const keys[] = {"cmd", "name", "tenant", "profile",
					   "kind"};
	static const char *const changes[] = {
		"tenants_added", "tenants_removed", "tenants_changed"};
	struct json_object *o = json_object_new_object(), *c;
	const char *v;
	char hex[2 * crypto_hash_sha256_BYTES + 1];
	size_t i;

	for (i = 0; req && i < sizeof(keys) / sizeof(keys[0]); i++) {
		if (!json_object_object_get_ex(req, keys[i], NULL) ||
		    (i == 0 && r->verb[0] != '('))
			continue;
		v = tg_json_str(req, keys[i]);
		tg_event_add_str(o, keys[i], v, strnlen(v, 256));
	}
	if (!strcmp(r->verb, "reload")) {
		policy_digest(a, hex, sizeof(hex));
		json_add_str(o, "policy",
			     a->builtin ? "built-in" : a->opt.policy_file);
		json_add_str(o, "policy_sha256", hex);
		for (i = 0; i < sizeof(changes) / sizeof(changes[0]); i++)
			if (json_object_object_get_ex(reply, changes[i], &c))
				json_object_object_add(o, changes[i],
						       json_object_get(c));
	}
	return o;
}

/*
 * The admin event of a request: who asked (uid, login uid, user name, pid,
 * executable, cgroup, role), what (verb, its arguments) and what came of
 * it (verdict and result: allow or deny; ok and error: the reply's).
 */
static void admin_event(struct agent *a, const struct tg_peer *p,
			struct json_object *req, const struct request *r,
			int allowed, struct json_object *reply)
{
	const char *verdict = allowed ? "allow" : "deny";
	struct json_object *o, *v, *errs;
	const char *error = "";
	int ok;

	o = tg_admin_event(&a->fmt, r->verb, verdict, r->who, (__u32)p->pid,
			   p->comm);
	if (!o)
		return;
	ok = json_object_object_get_ex(reply, "ok", &v) &&
	     json_object_get_boolean(v);
	if (json_object_object_get_ex(reply, "error", &v))
		error = json_object_get_string(v);
	else if (!ok && json_object_object_get_ex(reply, "errors", &errs) &&
		 json_object_array_length(errs))
		error = json_object_get_string(
			json_object_array_get_idx(errs, 0));
	json_object_object_add(o, "uid", json_object_new_int64(p->uid));
	json_object_object_add(o, "gid", json_object_new_int64(p->gid));
	json_object_object_add(o, "login_uid",
			       json_object_new_int64(p->loginuid));
	tg_event_add_str(o, "user", r->user, strlen(r->user));
	tg_event_add_str(o, "exe", p->exe, strnlen(p->exe, sizeof(p->exe)));
	tg_event_add_str(o, "cgroup", p->cgroup,
			 strnlen(p->cgroup, sizeof(p->cgroup)));
	json_add_str(o, "role", tg_role_name(r->role));
	if (r->role != TG_ROLE_NONE)
		json_object_object_add(o, "view", view_json(&r->view));
	json_add_str(o, "result", verdict);
	json_object_object_add(o, "ok", json_object_new_boolean(ok));
	tg_event_add_str(o, "error", error, strnlen(error, 1024));
	json_object_object_add(o, "args", request_args(a, req, r, reply));
	agent_emit(a, o);
}

/* " (restricted to acme, globex)" for a restricted viewer, else "". */
static void restricted_text(const struct request *r, char *buf, size_t len)
{
	size_t n;
	unsigned int i;

	buf[0] = '\0';
	if (r->role == TG_ROLE_NONE || r->view.all)
		return;
	n = (size_t)snprintf(buf, len, " (restricted to");
	for (i = 0; i < r->view.n && n < len; i++)
		n += (size_t)snprintf(buf + n, len - n, "%s %s", i ? "," : "",
				      r->view.names[i]);
	if (n < len)
		snprintf(buf + n, len - n, ")");
}

/* The reply to a host process's request, given its role and view. */
static struct json_object *serve(struct agent *a, const struct tg_peer *peer,
				 struct json_object *req, int i,
				 const struct request *r, int *fd, int *conn,
				 int *allowed)
{
	char caller[128], msg[512], names[256];
	struct json_object *o;
	int need;

	*allowed = 0;
	if (!req)
		return tg_control_error(TG_CONTROL_BAD_REQUEST);
	if (i < 0)
		return tg_control_error("unknown command");
	if (tg_authorize(r->verb, r->role)) {
		need = tg_verb_role(r->verb);
		caller_text(peer, r, caller, sizeof(caller));
		restricted_text(r, names, sizeof(names));
		snprintf(msg, sizeof(msg),
			 "refused: %s needs the %s role; %s has %s%s", r->verb,
			 tg_role_name(need), caller,
			 r->role == TG_ROLE_NONE ? "no role"
						 : tg_role_name(r->role),
			 names);
		tg_info("control: %s from pid %d (%s) %s", r->verb,
			(int)peer->pid, peer->comm, msg);
		return tg_control_error(msg);
	}
	*allowed = 1;
	/* Who asked and what it sees, for the command. */
	a->peer = peer;
	a->view = &r->view;
	a->conn = conn;
	o = cmds[i].fn(a, req, fd);
	a->peer = NULL;
	a->view = NULL;
	a->conn = NULL;
	return o;
}

struct json_object *agent_control(void *ctx, const struct tg_peer *peer,
				  struct json_object *req, int *fd, int *conn)
{
	struct agent *a = ctx;
	int i = find_cmd(req), allowed = 0;
	struct request r;
	struct passwd *pw;
	struct json_object *o;
	char nb[32];

	memset(&r, 0, sizeof(r));
	r.role = TG_ROLE_NONE;
	r.verb = !req	 ? "(malformed request)"
		 : i < 0 ? "(unknown command)"
			 : cmds[i].name;
	pw = getpwuid(peer->uid);
	snprintf(r.user, sizeof(r.user), "%s", pw ? pw->pw_name : "");
	o = refuse_peer(a, peer, r.verb, nb, sizeof(nb), &r.who);
	if (!o) {
		/* Never from the request: from the policy in force. */
		r.role = tg_policy_access(&a->policy, peer->uid, peer->gid,
					  peer->groups, peer->n_groups,
					  &r.view);
		if (r.role < 0)
			r.role = TG_ROLE_NONE;
		o = serve(a, peer, req, i, &r, fd, conn, &allowed);
	}
	admin_event(a, peer, req, &r, allowed, o);
	return o;
}
