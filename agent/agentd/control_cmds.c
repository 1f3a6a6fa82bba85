// SPDX-License-Identifier: GPL-2.0
/*
 * The control socket's commands, dispatched by name: status, tenant (where
 * and how the launcher starts a tenant's workload), reload,
 * seccomp-listener (the launcher hands over a workload's listener),
 * detach and confirm. Each request is served by the caller's role
 * (common/roles.h), worked out anew every time, and is one kind "admin"
 * event, served, refused or left waiting: a verb the policy marks
 * sensitive waits for a second person (common/confirm.h).
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
#include "common/clock.h"
#include "common/closer.h"
#include "common/buckets.h"
#include "common/confirm.h"
#include "common/control.h"
#include "common/event_filter.h"
#include "common/log.h"
#include "common/peer.h"
#include "common/roles.h"
#include "common/text.h"
#include "common/version.h"
#include "policy/policy_show.h"
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
	/* The records of control requests held and dropped: control.* */
	json_object_object_add(
		t, "spool_events",
		json_object_new_int64((int64_t)ss.spool_records));
	json_object_object_add(t, "collector_connected",
			       json_object_new_boolean(ss.connected));
	return t;
}

/* The control socket, who may connect, and the groups of each role. */
/* The two-person rule: which verbs wait, how long, and what waits now. */
static struct json_object *confirm_json(struct agent *a)
{
	struct json_object *o = json_object_new_object(),
			   *verbs = json_object_new_array(),
			   *arr = json_object_new_array(), *e;
	const struct tg_confirm_req *c;
	__s64 now = tg_now_ms();
	const char *v;
	size_t i;

	tg_confirm_expire(&a->confirm, now);
	for (i = 0; (v = tg_verb_name(i)); i++)
		if (agent_needs_confirm(a, v))
			json_object_array_add(verbs, json_object_new_string(v));
	json_object_object_add(o, "verbs", verbs);
	json_object_object_add(
		o, "window_s",
		json_object_new_int64(a->policy.confirm_window_s));
	for (i = 0; i < a->confirm.n; i++) {
		c = a->confirm.v[i];
		e = json_object_new_object();
		json_add_str(e, "id", c->id);
		json_add_str(e, "verb", c->verb);
		json_add_str(e, "needs_role", tg_role_name(c->role));
		json_object_object_add(e, "uid", json_object_new_int64(c->uid));
		json_object_object_add(e, "login_uid",
				       json_object_new_int64(c->loginuid));
		tg_event_add_str(e, "user", c->user, strlen(c->user));
		json_object_object_add(
			e, "expires_in_s",
			json_object_new_int64((c->expires_ms - now + 999) /
					      1000));
		json_object_array_add(arr, e);
	}
	json_object_object_add(o, "waiting", arr);
	return o;
}

/* name (how many held now), name_per_uid_max, name_max, name_refused. */
static void add_slots(struct json_object *o, const char *name,
		      const struct tg_slots *s, __u64 refused)
{
	static const char *const suffix[] = {"", "_per_uid_max", "_max",
					     "_refused"};
	const __u64 v[] = {s->n, s->per_uid, s->max, refused};
	char k[64];
	size_t i;

	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		snprintf(k, sizeof(k), "%s%s", name, suffix[i]);
		json_object_object_add(o, k,
				       json_object_new_int64((int64_t)v[i]));
	}
}

/*
 * The support staff: the policy's login uids and groups, and the ranges of
 * login uids they resolved to when the policy was last applied.
 */
static struct json_object *support_json(struct agent *a)
{
	struct json_object *o = json_object_new_object();
	struct json_object *uids = json_object_new_array();
	struct json_object *groups = json_object_new_array();
	const struct tg_uid_range *r;
	char b[32];
	unsigned int i;
	__u64 n = 0;

	for (i = 0; i < a->policy.n_support_uids; i++) {
		r = &a->policy.support_uids[i];
		if (r->lo == r->hi)
			snprintf(b, sizeof(b), "%u", r->lo);
		else
			snprintf(b, sizeof(b), "%u-%u", r->lo, r->hi);
		json_object_array_add(uids, json_object_new_string(b));
	}
	for (i = 0; i < a->policy.n_support_groups; i++)
		json_object_array_add(
			groups, json_object_new_string(
					a->policy.support_groups[i].name));
	for (i = 0; i < a->reg.support.n && i < TG_MAX_SUPPORT_RANGES; i++)
		n += (__u64)a->reg.support.r[i].hi - a->reg.support.r[i].lo + 1;
	json_object_object_add(o, "login_uids", uids);
	json_object_object_add(o, "groups", groups);
	json_object_object_add(o, "ranges",
			       json_object_new_int64(a->reg.support.n));
	json_object_object_add(o, "uids", json_object_new_int64((int64_t)n));
	return o;
}

static struct json_object *control_json(struct agent *a)
{
	struct json_object *o = json_object_new_object(), *roles, *arr, *g;
	struct tg_closer_stats cs;
	const struct tg_role_group *rg;
	unsigned int i;
	int r;

	json_add_str(o, "socket", a->opt.control_socket);
	json_object_object_add(o, "clients_cut",
			       json_object_new_int64((int64_t)a->ctl.cut));
	json_object_object_add(
		o, "records_held",
		json_object_new_int64((int64_t)a->admin_rl.held_total));
	json_object_object_add(
		o, "records_held_evicted",
		json_object_new_int64((int64_t)a->admin_rl.held_evicted));
	json_object_object_add(
		o, "records_dropped",
		json_object_new_int64((int64_t)a->admin_dropped));
	tg_closer_stats(&cs);
	json_object_object_add(o, "closes_waiting",
			       json_object_new_int64(cs.waiting));
	json_object_object_add(o, "closed_on_loop",
			       json_object_new_int64((int64_t)cs.at_once));
	add_slots(o, "runs", &a->runs, a->runs_refused);
	add_slots(o, "streams", &a->streams, a->streams_refused);
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
	json_object_object_add(o, "confirm", confirm_json(a));
	json_object_object_add(o, "support", support_json(a));
	json_object_object_add(o, "grants", agent_grants_status(a));
	return o;
}

/* What every status shows, whoever asks: the release, the policy in
 * force (its file, generation and mode) and the backends. */
static void status_head(struct agent *a, struct json_object *o)
{
	json_object_object_add(o, "version",
			       json_object_new_string(tg_version()));
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
}

static struct json_object *status_json(struct agent *a)
{
	struct json_object *o = json_object_new_object(), *t;
	struct tg_local_routes_stats lr;

	json_object_object_add(o, "ok", json_object_new_boolean(1));
	status_head(a, o);
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
	t = json_object_new_object();
	json_add_str(t, "algorithm", "ed25519");
	json_add_str(t, "public_key", a->host_pub);
	json_add_str(t, "state_dir", a->opt.state_dir);
	json_object_object_add(t, "created_now",
			       json_object_new_boolean(a->host_key_created));
	json_object_object_add(o, "host_key", t);
	json_object_object_add(o, "retired", agent_retired_json(a));
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
	status_head(a, o);
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
					 struct json_object *req,
					 struct tg_control_io *io)
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
	} else if (io->n_fds != 1) {
		err = -EBADF;
		snprintf(msg, sizeof(msg),
			 "seccomp-listener: needs one descriptor passed");
	} else {
		err = tg_notify_add(a->notify, io->fds[0], tenant, profile);
		io->fds[0] = -1; /* taken, or closed on error */
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
				      struct tg_control_io *io)
{
	return a->view->all ? status_json(a) : status_view_json(a, a->view);
}

/* policy-show: what policy_keep lets through. */
struct show_filter {
	const struct tg_view *view;
	const char *tenant; /* only this one, or NULL */
};

static int policy_keep(const char *name, const void *arg)
{
	const struct show_filter *f = arg;

	return tg_view_has(f->view, name) &&
	       (!f->tenant || !strcmp(f->tenant, name));
}

/*
 * policy-show [tenant]: the policy in force, each setting with where it is
 * written; a viewer restricted to some tenants sees only theirs.
 */
static struct json_object *cmd_policy_show(struct agent *a,
					   struct json_object *req,
					   struct tg_control_io *io)
{
	struct show_filter f = {.view = a->view};
	struct json_object *o, *v;

	if (json_object_object_get_ex(req, "tenant", &v))
		f.tenant = json_object_get_string(v);
	if (f.tenant && (!tg_policy_find(&a->policy, f.tenant) ||
			 !tg_view_has(a->view, f.tenant))) {
		o = json_object_new_object();
		json_object_object_add(o, "ok", json_object_new_boolean(0));
		json_object_object_add(
			o, "error",
			json_object_new_string(
				"no such tenant in the policy in force"));
		return o;
	}
	/* Files, hashes and positions only for who sees every tenant. */
	o = tg_policy_show_json(&a->policy, policy_keep, &f, a->view->all);
	json_object_object_add(o, "ok", json_object_new_boolean(1));
	json_object_object_add(o, "generation",
			       json_object_new_int64(a->bpf.gen));
	if (!a->view->all)
		json_object_object_add(o, "view", view_json(a->view));
	return o;
}

/* events and report: the stored events the caller may see, streamed. */
static struct json_object *cmd_events(struct agent *a, struct json_object *req,
				      struct tg_control_io *io)
{
	return agent_serve_events(a, req, a->view, a->conn);
}

static struct json_object *cmd_tenant(struct agent *a, struct json_object *req,
				      struct tg_control_io *io)
{
	struct json_object *v;

	return tenant_json(a, json_object_object_get_ex(req, "name", &v)
				      ? json_object_get_string(v)
				      : "");
}

static struct json_object *cmd_reload(struct agent *a, struct json_object *req,
				      struct tg_control_io *io)
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

/*
 * Stop serving, then remove every check (after the reply is out: main.c).
 * Recorded as asked by who asked, and confirmed by who confirmed.
 */
static struct json_object *cmd_detach(struct agent *a, struct json_object *req,
				      struct tg_control_io *io)
{
	struct json_object *o = json_object_new_object();
	char msg[PATH_MAX + 128];

	agent_by_peer(a, &a->detach_by);
	snprintf(msg, sizeof(msg),
		 "the agent stops and removes every check and pin of %s",
		 a->opt.pin_dir);
	json_object_object_add(o, "ok", json_object_new_boolean(1));
	json_add_str(o, "message", msg);
	return o;
}

static struct json_object *cmd_confirm(struct agent *a, struct json_object *req,
				       struct tg_control_io *io);

static const struct {
	const char *name;
	struct json_object *(*fn)(struct agent *a, struct json_object *req,
				  struct tg_control_io *io);
} cmds[] = {
	{"status", cmd_status},
	{"tenant", cmd_tenant},
	{"reload", cmd_reload},
	{"seccomp-listener", take_listener},
	{"run", agent_run},
	{"detach", cmd_detach},
	{"confirm", cmd_confirm},
	{"events", cmd_events},
	{"report", cmd_events},
	{"policy-show", cmd_policy_show},
	{"tenant-retire", agent_tenant_retire},
	{"tenant-export", agent_tenant_export},
	{"tenant-erase", agent_tenant_erase},
	{"grant-request", agent_grant_request},
	{"grant-activate", agent_grant_activate},
	{"grant-revoke", agent_grant_revoke},
	{"grant-shell", agent_grant_shell},
	{"grant-list", agent_grant_list},
	{"break-glass", agent_break_glass},
	{"approvers-set", agent_approvers_set},
};

void agent_by_peer(const struct agent *a, struct agent_by *by)
{
	const struct tg_confirm_req *c = a->confirming;
	const struct tg_peer *p = a->peer;

	memset(by, 0, sizeof(*by));
	if (!p)
		return;
	by->asked = 1;
	by->uid = c ? c->uid : p->uid;
	by->loginuid = c ? c->loginuid : p->loginuid;
	by->pid = c ? c->pid : p->pid;
	snprintf(by->comm, sizeof(by->comm), "%s", c ? c->comm : p->comm);
	if (!c)
		return;
	by->confirmed = 1;
	by->confirmed_uid = p->uid;
	by->confirmed_loginuid = p->loginuid;
	by->confirmed_pid = p->pid;
	snprintf(by->confirmed_comm, sizeof(by->confirmed_comm), "%s", p->comm);
	snprintf(by->request_id, sizeof(by->request_id), "%s", c->id);
	snprintf(by->confirmed_by, sizeof(by->confirmed_by),
		 "uid %u (%s%slogin uid %ld)", (unsigned int)p->uid,
		 a->peer_user ? a->peer_user : "",
		 a->peer_user && a->peer_user[0] ? ", " : "", p->loginuid);
}

void agent_by_json(const struct agent_by *by, struct json_object *o)
{
	if (!o)
		return;
	json_object_object_add(o, "by_uid", json_object_new_int64(by->uid));
	json_object_object_add(o, "by_login_uid",
			       json_object_new_int64(by->loginuid));
	json_object_object_add(o, "by_pid", json_object_new_int64(by->pid));
	json_add_str(o, "by_comm", by->comm);
	if (!by->confirmed)
		return;
	json_add_str(o, "confirmed_by", by->confirmed_by);
	json_object_object_add(o, "confirmed_by_uid",
			       json_object_new_int64(by->confirmed_uid));
	json_object_object_add(o, "confirmed_by_login_uid",
			       json_object_new_int64(by->confirmed_loginuid));
	json_object_object_add(o, "confirmed_by_pid",
			       json_object_new_int64(by->confirmed_pid));
	json_add_str(o, "confirmed_by_comm", by->confirmed_comm);
	json_add_str(o, "request_id", by->request_id);
}

int agent_needs_confirm(const struct agent *a, const char *verb)
{
	int i = tg_verb_index(verb);

	/* Break-glass waits for a second person whatever the policy says. */
	if (i >= 0 && !strcmp(verb, "break-glass"))
		return 1;
	return i >= 0 && tg_verb_confirmable(verb) &&
	       (a->policy.confirm_verbs >> i & 1);
}

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
 * Whether a refused request of a tenant's (or the pending actor's)
 * process is told (its events and log line): through that actor's own
 * rate limit, as its kernel events; one that cannot be identified, by its
 * uid's bucket.
 */
static int admit_refused(struct agent *a, const struct tg_peer *p)
{
	__u32 id;

	if (agent_peer_actor(a, p, &id))
		return tg_buckets_take(&a->admin_rl, p->uid, tg_now_ms());
	return tg_ratelimit_admit(a->rl, id, TG_KIND_AGENT, 0, TG_VERDICT_DENY);
}

/*
 * Refuse a request to a tenant's process, the pending actor's or one that
 * cannot be identified, whatever its uid: the reply, an event and a log
 * line (*told: 1, or 0 if the caller's rate limit held them back). NULL
 * for a host process, which is judged by its role. *who: the caller's
 * actor ("host" for a host process).
 */
static struct json_object *refuse_peer(struct agent *a, const struct tg_peer *p,
				       const char *cmd, char *nb, size_t nblen,
				       const char **who, int *told)
{
	char msg[PATH_MAX + 256];
	struct json_object *o;

	*who = refusal(a, p, nb, nblen, msg, sizeof(msg));
	if (!*who) {
		*who = "host";
		return NULL;
	}
	if (!(*told = admit_refused(a, p)))
		return tg_control_error(msg);
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
	const char *result;  /* "allow", "deny", "pending" */
	int support;	     /* the caller is support staff (login uid) */
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
	snprintf(buf, len, "uid %u (%s%s%s%s)", (unsigned int)p->uid, r->user,
		 r->user[0] ? ", " : "", login, r->support ? ", support" : "");
}

/*
 * The policy files of a reload, for its event: policy_sha256 (the main
 * file's, as sha256sum prints it), policy_files (every file read, in
 * order, with its SHA-256) and policy_digest (over all of them: what a
 * confirmation binds). A reload that waits: the digest of the files then.
 */
static void policy_files(struct agent *a, struct json_object *reply,
			 struct json_object *o)
{
	const struct tg_policy *p = &a->policy;
	struct json_object *arr, *f, *c;
	unsigned int i;

	if (json_object_object_get_ex(reply, "pending", NULL)) {
		if (json_object_object_get_ex(reply, "policy_digest", &c))
			json_object_object_add(o, "policy_digest",
					       json_object_get(c));
		return;
	}
	json_add_str(o, "policy_sha256", p->n_read ? p->read[0].sha256 : "");
	arr = json_object_new_array();
	for (i = 0; i < p->n_read; i++) {
		f = json_object_new_object();
		json_add_str(f, "path", p->read[i].path);
		json_add_str(f, "sha256", p->read[i].sha256);
		json_object_array_add(arr, f);
	}
	json_object_object_add(o, "policy_files", arr);
	json_add_str(o, "policy_digest", p->digest);
}

/* Whether reply is a confirmed reload's. */
static int reload_confirmed(struct json_object *reply)
{
	struct json_object *c;

	return json_object_object_get_ex(reply, "confirmed", &c) &&
	       !strcmp(tg_json_str(c, "verb"), "reload");
}

/* A run's: the ids, CMD's name (bounded) and the workload's pid. */
static void run_args(struct json_object *o, struct json_object *req,
		     struct json_object *reply)
{
	static const char *const ids[] = {"uid", "gid", "pid"};
	struct json_object *v, *argv;
	const char *s;
	size_t i;

	for (i = 0; i < sizeof(ids) / sizeof(ids[0]); i++)
		if (json_object_object_get_ex(i < 2 ? req : reply, ids[i],
					      &v) &&
		    json_object_is_type(v, json_type_int))
			json_object_object_add(
				o, ids[i],
				json_object_new_int64(
					json_object_get_int64(v)));
	/* The tenant's profile when the request named none. */
	if (!json_object_object_get_ex(req, "profile", NULL) &&
	    json_object_object_get_ex(reply, "profile", &v))
		tg_event_add_str(o, "profile", json_object_get_string(v),
				 strnlen(json_object_get_string(v), 64));
	if (json_object_object_get_ex(req, "argv", &argv) &&
	    json_object_is_type(argv, json_type_array) &&
	    json_object_array_length(argv) &&
	    json_object_is_type(json_object_array_get_idx(argv, 0),
				json_type_string)) {
		s = json_object_get_string(json_object_array_get_idx(argv, 0));
		tg_event_add_str(o, "argv0", s, strnlen(s, 256));
	}
	json_object_object_add(o, "pid_namespace",
			       json_object_new_boolean(
				       !(json_object_object_get_ex(
						 req, "no_pid_namespace", &v) &&
					 json_object_get_boolean(v))));
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
	static const char *const keys[] = {"cmd",     "name", "tenant",
					   "profile", "id",   "kind"};
	static const char *const changes[] = {
		"tenants_added", "tenants_removed", "tenants_changed"};
	struct json_object *o = json_object_new_object(), *c;
	const char *v;
	size_t i;

	for (i = 0; req && i < sizeof(keys) / sizeof(keys[0]); i++) {
		if (!json_object_object_get_ex(req, keys[i], NULL) ||
		    (i == 0 && r->verb[0] != '('))
			continue;
		v = tg_json_str(req, keys[i]);
		tg_event_add_str(o, keys[i], v, strnlen(v, 256));
	}
	if (!strcmp(r->verb, "run") && req)
		run_args(o, req, reply);
	if (json_object_object_get_ex(reply, "request_id", &c))
		json_object_object_add(o, "request_id", json_object_get(c));
	if (json_object_object_get_ex(reply, "confirmed", &c))
		json_object_object_add(o, "confirms", json_object_get(c));
	if (!strcmp(r->verb, "reload") || reload_confirmed(reply)) {
		json_add_str(o, "policy",
			     a->builtin ? "built-in" : a->opt.policy_file);
		policy_files(a, reply, o);
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
	const char *verdict = allowed ? "allow" : "deny",
		   *result = r->result ? r->result : verdict;
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
	if (r->support)
		json_add_str(o, "actor", "support");
	tg_event_add_str(o, "user", r->user, strlen(r->user));
	tg_event_add_str(o, "exe", p->exe, strnlen(p->exe, sizeof(p->exe)));
	tg_event_add_str(o, "cgroup", p->cgroup,
			 strnlen(p->cgroup, sizeof(p->cgroup)));
	json_add_str(o, "role", tg_role_name(r->role));
	if (r->role != TG_ROLE_NONE)
		json_object_object_add(o, "view", view_json(&r->view));
	json_add_str(o, "result", result);
	json_object_object_add(o, "ok", json_object_new_boolean(ok));
	tg_event_add_str(o, "error", error, strnlen(error, 1024));
	json_object_object_add(o, "args", request_args(a, req, r, reply));
	agent_emit(a, o);
}

/* {"uid": ..., "login_uid": ..., "user": ..., "pid": ...} of who asked c. */
static struct json_object *asker_json(const struct tg_confirm_req *c)
{
	struct json_object *o = json_object_new_object();

	json_object_object_add(o, "uid", json_object_new_int64(c->uid));
	json_object_object_add(o, "login_uid",
			       json_object_new_int64(c->loginuid));
	tg_event_add_str(o, "user", c->user, strlen(c->user));
	json_object_object_add(o, "pid", json_object_new_int64(c->pid));
	return o;
}

/* A reload that waits: what it would change now, and the files' digest. */
static int hold_reload(struct agent *a, struct tg_confirm_req *c,
		       struct json_object *o)
{
	struct json_object *errs = json_object_new_array();
	int err;

	err = agent_reload_preview(a, o, errs, c->digest, sizeof(c->digest));
	if (err) {
		json_object_object_add(o, "errors", errs);
		return err;
	}
	json_object_put(errs);
	json_add_str(o, "policy_digest", c->digest);
	return 0;
}

/* Why a request cannot wait for confirmation (tg_confirm_add's err). */
static const char *hold_error(int err)
{
	switch (err) {
	case -EPERM:
		return "refused: the caller has no login uid (pam_loginuid sets it at login): a request that needs a second person must say who the first one is";
	case -ENOSPC:
		return "refused: too many requests wait for confirmation (8 per login uid, 64 in all); confirm them or let them expire";
	case -E2BIG:
		return "refused: the request is too long to wait for confirmation";
	default: return "refused: the request cannot be kept";
	}
}

/*
 * A request the policy marks sensitive: kept under a new random id until
 * another person confirms it (cmd_confirm); the reply says who may.
 */
static struct json_object *hold(struct agent *a, const struct tg_peer *p,
				struct json_object *req, struct request *r)
{
	const char *s =
		json_object_to_json_string_ext(req, JSON_C_TO_STRING_PLAIN);
	struct json_object *o = json_object_new_object();
	unsigned char rnd[TG_CONFIRM_ID_LEN / 2];
	struct tg_confirm_req *c = calloc(1, sizeof(*c));
	char msg[512];
	int err = -ENOMEM;

	if (!c)
		goto refused;
	randombytes_buf(rnd, sizeof(rnd));
	sodium_bin2hex(c->id, sizeof(c->id), rnd, sizeof(rnd));
	snprintf(c->verb, sizeof(c->verb), "%s", r->verb);
	c->role = tg_verb_role(r->verb);
	c->uid = p->uid;
	c->loginuid = p->loginuid;
	c->pid = p->pid;
	snprintf(c->comm, sizeof(c->comm), "%s", p->comm);
	snprintf(c->user, sizeof(c->user), "%s", r->user);
	c->made_ms = tg_now_ms();
	c->expires_ms = c->made_ms + 1000ll * a->policy.confirm_window_s;
	err = strlen(s) < sizeof(c->request) ? 0 : -E2BIG;
	if (!err) {
		memcpy(c->request, s, strlen(s) + 1);
		if (!strcmp(r->verb, "reload") && hold_reload(a, c, o)) {
			json_object_object_add(o, "ok",
					       json_object_new_boolean(0));
			json_object_object_add(
				o, "generation",
				json_object_new_int64(a->bpf.gen));
			free(c);
			return o;
		}
		err = tg_confirm_add(&a->confirm, c, c->made_ms);
	}
	if (err)
		goto refused;
	snprintf(
		msg, sizeof(msg),
		"%s waits for a second person: someone with the %s role and a login uid other than %ld runs: tenantguard confirm %s (within %us)",
		c->verb, tg_role_name(c->role), c->loginuid, c->id,
		a->policy.confirm_window_s);
	tg_info("control: %s from pid %d (uid %u, login uid %ld): request %s %s",
		c->verb, (int)p->pid, (unsigned int)p->uid, p->loginuid, c->id,
		"waits for confirmation");
	json_object_object_add(o, "ok", json_object_new_boolean(1));
	json_object_object_add(o, "pending", json_object_new_boolean(1));
	json_add_str(o, "request_id", c->id);
	json_add_str(o, "verb", c->verb);
	json_add_str(o, "needs_role", tg_role_name(c->role));
	json_object_object_add(
		o, "expires_in_s",
		json_object_new_int64(a->policy.confirm_window_s));
	json_add_str(o, "message", msg);
	r->result = "pending";
	free(c);
	return o;
refused:
	free(c);
	json_object_put(o);
	a->peer_refused = 1;
	return tg_control_error(hold_error(err));
}

/* Why the caller cannot confirm c (tg_confirm_take's err) into msg. */
static void confirm_error(struct agent *a, const char *id, int err,
			  const struct tg_confirm_req *c, char *msg, size_t len)
{
	switch (err) {
	case -ENOENT:
		snprintf(
			msg, len,
			"refused: no request %s waits for confirmation (never made, already confirmed, or expired)",
			id);
		break;
	case -ETIME:
		snprintf(
			msg, len,
			"refused: request %s (%s) expired %llds ago; it must be asked again",
			id, c->verb,
			(long long)(tg_now_ms() - c->expires_ms) / 1000);
		break;
	case -EPERM:
		snprintf(
			msg, len,
			"refused: confirming needs a login uid (pam_loginuid sets it at login); without one the second person cannot be told from the first");
		break;
	case -EBUSY:
		snprintf(
			msg, len,
			"refused: request %s (%s) must be confirmed by another person: uid %u (login uid %ld) asked for it",
			id, c->verb, (unsigned int)c->uid, c->loginuid);
		break;
	default:
		snprintf(
			msg, len,
			"refused: confirming %s needs the %s role; uid %u (login uid %ld) has %s",
			c->verb, tg_role_name(c->role),
			(unsigned int)a->peer->uid, a->peer->loginuid,
			tg_role_name(a->peer_role));
	}
}

/*
 * confirm {"id": ID}: carry out the request waiting under ID, on this
 * second person's word (tg_confirm_take says whether it may), as it was
 * asked; the reply is that request's, with who asked it.
 */
static struct json_object *cmd_confirm(struct agent *a, struct json_object *req,
				       struct tg_control_io *io)
{
	const char *id = tg_json_str(req, "id");
	struct json_object *asked, *o, *c;
	struct tg_confirm_req w;
	char msg[512];
	/* Nothing of this caller's is passed on: no descriptor, no conn. */
	struct tg_control_io none = {.conn = -1};
	int err, i;

	err = tg_confirm_take(&a->confirm, id, a->peer->uid, a->peer->loginuid,
			      a->peer_role, tg_now_ms(), &w);
	if (err) {
		confirm_error(a, id, err, &w, msg, sizeof(msg));
		a->peer_refused = 1;
		return tg_control_error(msg);
	}
	asked = json_tokener_parse(w.request);
	i = find_cmd(asked);
	if (i < 0) {
		json_object_put(asked);
		return tg_control_error("refused: the request kept is not one");
	}
	a->confirming = &w;
	a->reload_expect = w.digest[0] ? w.digest : NULL;
	o = cmds[i].fn(a, asked, &none);
	a->reload_expect = NULL;
	a->confirming = NULL;
	json_object_put(asked);
	c = json_object_new_object();
	json_add_str(c, "request_id", w.id);
	json_add_str(c, "verb", w.verb);
	json_object_object_add(c, "requested_by", asker_json(&w));
	if (w.digest[0])
		json_add_str(c, "policy_digest", w.digest);
	json_object_object_add(o, "confirmed", c);
	tg_info("control: request %s (%s, login uid %ld) confirmed by uid %u (login uid %ld)",
		w.id, w.verb, w.loginuid, (unsigned int)a->peer->uid,
		a->peer->loginuid);
	return o;
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
				 struct request *r, struct tg_control_io *io,
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
	/* Descriptors are asked for by these alone: the caller's, whatever
	 * becomes of the request; any other is reset as it is closed. */
	io->fds_wanted = !strcmp(r->verb, "run") ||
			 !strcmp(r->verb, "seccomp-listener") ||
			 !strcmp(r->verb, "tenant-export");
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
	a->peer_role = r->role;
	a->peer_user = r->user;
	a->peer_refused = 0;
	a->view = &r->view;
	a->conn = &io->conn;
	if (agent_needs_confirm(a, r->verb) && io->fds_wanted &&
	    !strcmp(r->verb, "tenant-export"))
		o = tg_control_error(
			"tenant-export: the policy makes it wait for a second person (confirm:), but an export writes to the requester's own files, which a confirmation cannot carry yet: take tenant-export out of confirm: to export");
	else if (agent_needs_confirm(a, r->verb))
		o = hold(a, peer, req, r);
	else
		o = cmds[i].fn(a, req, io);
	if (a->peer_refused) {
		*allowed = 0;
		r->result = "deny";
	}
	a->peer = NULL;
	a->peer_user = NULL;
	a->view = NULL;
	a->conn = NULL;
	return o;
}

static int admit_host(struct agent *a, const struct tg_peer *p,
		      const struct request *r, int allowed);

struct json_object *agent_control(void *ctx, const struct tg_peer *peer,
				  struct json_object *req,
				  struct tg_control_io *io)
{
	struct agent *a = ctx;
	int i = find_cmd(req), allowed = 0, told = 1;
	struct request r = {.role = TG_ROLE_NONE};
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
	o = refuse_peer(a, peer, r.verb, nb, sizeof(nb), &r.who, &told);
	if (!o) {
		/*
		 * Never from the request: from the policy in force. Support
		 * staff get no role through uid 0 (sudo, su): only through a
		 * role group of theirs.
		 */
		r.support =
			peer->loginuid >= 0 &&
			tg_support_has(&a->reg.support, (__u32)peer->loginuid);
		r.role = tg_policy_access(
			&a->policy,
			r.support && peer->uid == 0 ? (uid_t)-2 : peer->uid,
			peer->gid, peer->groups, peer->n_groups, &r.view);
		if (r.role < 0)
			r.role = TG_ROLE_NONE;
		o = serve(a, peer, req, i, &r, io, &allowed);
		told = admit_host(a, peer, &r, allowed);
	}
	if (told)
		admin_event(a, peer, req, &r, allowed, o);
	return o;
}

/*
 * Whether a host caller's request is told (its admin event). What a
 * request with the operator or admin role did, and what an operator or
 * admin asked of that level even when refused, is always told; looking
 * (status...) and the refused requests of viewers and callers without a
 * role pass the caller's uid's bucket, so that a member of the socket's
 * group cannot flood the trail.
 */
static int admit_host(struct agent *a, const struct tg_peer *p,
		      const struct request *r, int allowed)
{
	/* Also refused: a self-confirmation, a request that cannot wait. */
	if (r->role >= TG_ROLE_OPERATOR &&
	    tg_verb_role(r->verb) >= TG_ROLE_OPERATOR)
		return 1;
	if (allowed && tg_verb_role(r->verb) >= TG_ROLE_OPERATOR)
		return 1;
	return tg_buckets_take(&a->admin_rl, p->uid, tg_now_ms());
}

/* Clients cut off since last told, and held records of uids pushed out. */
static void tell_control_counts(struct agent *a)
{
	__u64 n = tg_buckets_evicted(&a->admin_rl);
	struct json_object *o;
	char msg[256];

	if (n) {
		snprintf(
			msg, sizeof(msg),
			"%llu record(s) of control requests held back from uids pushed out of the table of %u before being told (%llu so far)",
			(unsigned long long)n, TG_BUCKETS,
			(unsigned long long)a->admin_rl.held_evicted);
		o = tg_agent_event(&a->fmt, "admin_suppressed",
				   TG_VERDICT_SUPPRESSED, msg);
		if (o) {
			json_object_object_add(o, "count",
					       json_object_new_int64(n));
			json_object_object_add(
				o, "total",
				json_object_new_int64(
					a->admin_rl.held_evicted));
			json_object_object_add(o, "uid_evicted",
					       json_object_new_boolean(1));
		}
		tg_info("control: %s", msg);
		agent_emit(a, o);
	}
	if (a->ctl.cut == a->cut_told)
		return;
	n = a->ctl.cut - a->cut_told;
	a->cut_told = a->ctl.cut;
	snprintf(
		msg, sizeof(msg),
		"%llu client(s) of the control socket cut off (out of time, or pushed out by a newer one; %llu so far)",
		(unsigned long long)n, (unsigned long long)a->ctl.cut);
	o = tg_agent_event(&a->fmt, "control_cut", "deny", msg);
	if (o) {
		json_object_object_add(o, "count", json_object_new_int64(n));
		json_object_object_add(o, "total",
				       json_object_new_int64(a->ctl.cut));
	}
	tg_info("control: %s", msg);
	agent_emit(a, o);
}

void agent_control_tick(struct agent *a)
{
	struct json_object *o;
	struct tg_bucket *k;
	unsigned int i = 0;
	char msg[256];
	__s64 now = tg_now_ms();

	if (now - a->admin_rl_told_ms < 1000)
		return;
	a->admin_rl_told_ms = now;
	while ((k = tg_buckets_held(&a->admin_rl, &i))) {
		snprintf(
			msg, sizeof(msg),
			"%llu record(s) of control requests from uid %u held back (at most %u a second, %u at once, per uid)",
			(unsigned long long)k->held, (unsigned int)k->key,
			a->admin_rl.rate, a->admin_rl.burst);
		o = tg_agent_event(&a->fmt, "admin_suppressed",
				   TG_VERDICT_SUPPRESSED, msg);
		if (o) {
			json_object_object_add(o, "uid",
					       json_object_new_int64(k->key));
			json_object_object_add(o, "count",
					       json_object_new_int64(k->held));
		}
		tg_info("control: %s", msg);
		agent_emit(a, o);
		k->held = 0;
	}
	tell_control_counts(a);
}
