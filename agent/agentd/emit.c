// SPDX-License-Identifier: GPL-2.0
/*
 * The outgoing event stream: kernel records (ring buffer and fanotify) to
 * text for the sink, the agent's own events (start, backends, pending,
 * hard links, seccomp refusals), and reports of whatever was suppressed or
 * dropped, so that stored + suppressed + dropped = what happened.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <json-c/json.h>
#include <stdio.h>
#include <string.h>

#include "agentd/agent.h"
#include "agentd/fanotify.h"
#include "agentd/local_routes.h"
#include "agentd/ratelimit.h"
#include "agentd/sink.h"
#include "common/clock.h"
#include "common/event_filter.h"
#include "common/log.h"
#include "common/peer.h"
#include "common/text.h"
#include "seccomp/notify.h"
#include "tenantguard/guard_abi.h"
#include "tenantguard/map_abi.h"

#define TG_RL_POLL_MS 1000 /* kernel counters read at most this often */

/* Queue one JSON event object for the collector; takes the reference. */
/* Where a killed agent's stream ended, for the next one's gap event. */
static void note_position(struct agent *a)
{
	if (a->pins.meta)
		tg_sink_position(a->sink, &a->pins.meta->sink_stream,
				 &a->pins.meta->sink_last_seq);
}

void agent_emit(struct agent *a, struct json_object *o)
{
	struct tg_sink_stats before, after;
	const char *s;
	int err, admin;

	if (!o)
		return;
	s = json_object_to_json_string_ext(
		o, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);
	tg_debug("event %s", s);
	tg_delivery_count(&a->dlv, o);
	/*
	 * Control requests' own events counted apart, so that a tenant's
	 * events are stored, suppressed or dropped to the unit whatever
	 * status requests were made meanwhile.
	 */
	admin = strcmp(tg_json_str(o, "kind"), "admin") == 0;
	if (admin)
		tg_sink_stats(a->sink, &before);
	err = tg_sink_submit(a->sink, s, strlen(s));
	if (admin) {
		tg_sink_stats(a->sink, &after);
		a->admin_dropped += after.dropped - before.dropped;
	}
	note_position(a);
	if (err && err != -ENOBUFS)
		tg_debug("collector: %s", strerror(-err));
	json_object_put(o);
}

int agent_on_event(void *ctx, void *data, size_t size)
{
	static struct tg_buf text;
	struct tg_event_names names;
	const char *who = "host";
	struct agent *a = ctx;
	char buf[32];
	int err;

	a->events_seen++;
	if (size >= TG_EVENT_HDR_V1_LEN) {
		const struct tg_event *ev = data;

		/* Kept in the ring while no agent ran (see the gap event). */
		if (a->pins.found && (__s64)ev->ts_boot_ns < a->start_boot_ns)
			a->gap_kept++;

		if (ev->tenant <= TG_MAX_TENANTS) {
			who = tg_registry_name(&a->reg, ev->tenant, buf,
					       sizeof(buf));
			tg_delivery_count_verdict(&a->dlv, ev->tenant,
						  ev->verdict, 1);
		}
	}
	/* Straight to text: no json-c object for the events of a flood. */
	if (tg_event_text(data, size, &a->fmt, &text, &names)) {
		/* Lost all the same: counted and reported, never silent. */
		a->events_bad++;
		tg_delivery_malformed(&a->dlv, who);
		return 0;
	}
	tg_debug("event %.*s", (int)text.len, text.p);
	tg_delivery_count_names(&a->dlv, names.kind, names.verdict,
				names.tenant);
	err = tg_sink_submit(a->sink, text.p, text.len);
	note_position(a);
	if (err && err != -ENOBUFS)
		tg_debug("collector: %s", strerror(-err));
	return 0;
}

static void add_field(struct json_object *o, const char *k, const char *v)
{
	json_object_object_add(o, k, json_object_new_string(v));
}

/* The file operations enforced, as a JSON array. */
static struct json_object *file_ops_json(struct agent *a)
{
	const char *const *ops = tg_file_ops(a->bpf.file_backend);
	struct json_object *arr = json_object_new_array();

	for (; *ops; ops++)
		json_object_array_add(arr, json_object_new_string(*ops));
	return arr;
}

/*
 * Self-protection: its backend, the checks it enforces and those it does
 * not (all of them without BPF LSM, with the reason), the capabilities
 * refused, the paths protected.
 */
static struct json_object *guard_json(struct agent *a)
{
	struct json_object *o = json_object_new_object();
	struct json_object *on = json_object_new_array();
	struct json_object *off = json_object_new_array();
	struct json_object *caps = json_object_new_array();
	int loaded = a->bpf.guard_backend != TG_BACKEND_NONE;
	unsigned int i;

	add_field(o, "backend", tg_backend_name(a->bpf.guard_backend));
	for (i = 1; i < TG_GUARD_CHECKS; i++)
		json_object_array_add(
			loaded ? on : off,
			json_object_new_string(tg_guard_check_name(i)));
	json_object_object_add(o, "enforced", on);
	json_object_object_add(o, "unenforced", off);
	if (!loaded) {
		add_field(o, "reason", a->bpf.guard_reason);
		json_object_put(caps);
		return o;
	}
	for (i = 0; i < 64; i++)
		if ((TG_GUARD_CAPS >> i) & 1)
			json_object_array_add(
				caps, json_object_new_string(tg_cap_name(i)));
	json_object_object_add(o, "capabilities", caps);
	json_object_object_add(o, "protected_paths",
			       json_object_new_int64(a->guard.protected_n));
	json_object_object_add(o, "missing_paths",
			       json_object_new_int64(a->guard.missing));
	json_object_object_add(o, "delegation_paths",
			       json_object_new_int64(a->guard.delegate_n));
	json_object_object_add(o, "collector_pid",
			       json_object_new_int64(a->guard.collector));
	return o;
}

/*
 * "backends" (feature -> backend), "file_ops" (the file operations
 * enforced) and "unenforced" into o: a feature without a backend by name
 * ("file"), else "file:<op>" for each operation the file backend leaves out
 * ("file:open" too while a filesystem holding owned paths is not marked),
 * "net:families" when sockets of families other than inet and inet6 are
 * not checked, "net:host_listeners" when connections accepted on a
 * listener the host made are not checked (no BPF LSM), and last "guard" without
 * self-protection; "self_protection" (guard_json). With reasons, also
 * "<feature>_reason" for each feature not fully enforced.
 */
struct json_object *agent_backends_json(struct agent *a, struct json_object *o,
					int reasons)
{
	const struct {
		const char *name;
		enum tg_backend be;
		const char *reason;
	} f[] = {
		{"file", a->bpf.file_backend, a->bpf.file_reason},
		{"net", a->bpf.net_backend, ""},
		{"unix", a->bpf.unix_backend, a->bpf.unix_reason},
		{"proc", a->bpf.proc_backend, a->bpf.proc_reason},
	};
	struct json_object *be = json_object_new_object();
	struct json_object *un = json_object_new_array();
	struct tg_fan_stats fs;
	char key[32];
	size_t i;

	for (i = 0; i < sizeof(f) / sizeof(f[0]); i++) {
		add_field(be, f[i].name, tg_backend_name(f[i].be));
		snprintf(key, sizeof(key), "%s_reason", f[i].name);
		if (f[i].be == TG_BACKEND_NONE)
			json_object_array_add(
				un, json_object_new_string(f[i].name));
		else if (f[i].be != TG_BACKEND_FANOTIFY)
			continue;
		if (reasons)
			add_field(o, key, f[i].reason);
	}
	if (a->bpf.file_backend == TG_BACKEND_FANOTIFY) {
		tg_fan_stats(a->fan, &fs);
		if (fs.unmarked)
			json_object_array_add(
				un, json_object_new_string("file:open"));
		for (i = 0; tg_fan_unenforced[i]; i++)
			json_object_array_add(
				un,
				json_object_new_string(tg_fan_unenforced[i]));
	}
	if (a->bpf.net_backend != TG_BACKEND_NONE &&
	    a->bpf.families_reason[0]) {
		json_object_array_add(un,
				      json_object_new_string("net:families"));
		if (reasons)
			add_field(o, "net_families_reason",
				  a->bpf.families_reason);
	}
	/* Who accepts a connection is seen only by BPF LSM (unix object). */
	if (a->bpf.net_backend != TG_BACKEND_NONE &&
	    a->bpf.unix_backend == TG_BACKEND_NONE)
		json_object_array_add(
			un, json_object_new_string("net:host_listeners"));
	if (a->pins.meta)
		json_object_object_add(o, "pins", agent_pins_json(a));
	if (a->bpf.guard_backend == TG_BACKEND_NONE) {
		json_object_array_add(un, json_object_new_string("guard"));
		if (reasons)
			add_field(o, "guard_reason", a->bpf.guard_reason);
	}
	json_object_object_add(o, "backends", be);
	json_object_object_add(o, "self_protection", guard_json(a));
	json_object_object_add(o, "file_ops", file_ops_json(a));
	json_object_object_add(o, "unenforced", un);
	return o;
}

/*
 * Each feature's backend into out (5 entries) from the "backends" object and
 * the "unenforced" array of agent_backends_json: a feature is enforced when
 * it has a backend and nothing of it ("file", "file:open") is unenforced.
 * Returns the number of entries.
 */
size_t agent_backend_states(struct agent *a, struct json_object *o,
			    struct tg_backend_state *out)
{
	static const char *const names[] = {"file", "net", "unix", "proc"};
	struct json_object *be = NULL, *un = NULL, *v;
	size_t i, j, n = 0, len;
	const char *s;

	json_object_object_get_ex(o, "backends", &be);
	json_object_object_get_ex(o, "unenforced", &un);
	for (i = 0; i < 5; i++) {
		out[n].feature = i < 4 ? names[i] : "guard";
		out[n].backend =
			i < 4 ? (json_object_object_get_ex(be, names[i], &v)
					 ? json_object_get_string(v)
					 : "none")
			      : tg_backend_name(a->bpf.guard_backend);
		out[n].enforced = strcmp(out[n].backend, "none") != 0;
		len = strlen(out[n].feature);
		for (j = 0; j < json_object_array_length(un); j++) {
			s = json_object_get_string(
				json_object_array_get_idx(un, j));
			if (s && !strncmp(s, out[n].feature, len) &&
			    (!s[len] || s[len] == ':'))
				out[n].enforced = 0;
		}
		n++;
	}
	return n;
}

/*
 * The strings of a JSON array (those starting with prefix, if not NULL),
 * joined by ", ", into buf at n; the new n.
 */
static size_t join_strings(char *buf, size_t len, size_t n,
			   struct json_object *arr, const char *prefix)
{
	size_t i;

	size_t k = 0;
	const char *v;

	for (i = 0; arr && i < json_object_array_length(arr) && n < len; i++) {
		v = json_object_get_string(json_object_array_get_idx(arr, i));
		if (prefix && strncmp(v, prefix, strlen(prefix)) != 0)
			continue;
		n += (size_t)snprintf(buf + n, len - n, "%s%s", k++ ? ", " : "",
				      v);
	}
	return n;
}

/*
 * "name: UNENFORCED (reason)", or "name: backend (ops)", or with unenf
 * (the parts left out) "name: backend (ops; UNENFORCED: unenf)", into buf.
 */
static void backend_text(char *buf, size_t len, const char *name,
			 enum tg_backend be, const char *reason,
			 struct json_object *ops, struct json_object *unenf)
{
	size_t n;

	if (be == TG_BACKEND_NONE) {
		snprintf(buf, len, "%s: UNENFORCED (%s)", name, reason);
		return;
	}
	n = (size_t)snprintf(buf, len, "%s: %s", name, tg_backend_name(be));
	if (ops && json_object_array_length(ops) && n < len) {
		n += (size_t)snprintf(buf + n, len - n, " (");
		n = join_strings(buf, len, n, ops, NULL);
		if (unenf && json_object_array_length(unenf) && n < len) {
			n += (size_t)snprintf(buf + n, len - n,
					      "; UNENFORCED: ");
			n = join_strings(buf, len, n, unenf, "file:");
		}
		if (n < len)
			snprintf(buf + n, len - n, ")");
	}
}

/* "; pinned in DIR (...)": what persists and what this start adopted. */
static void pins_text(struct agent *a, char *buf, size_t len)
{
	const struct tg_pin_stats *ps = &a->bpf.ps;
	const char *how = "new set";

	if (ps->upgraded)
		how = "adopted and upgraded";
	else if (ps->adopted)
		how = "adopted";
	snprintf(
		buf, len,
		"; pinned in %.256s (%s, policy generation %u in force at start; links: %u replaced in place, %u kept, %u swapped, %u new, %u removed; maps: %u reused, %u new, %u frozen); enforcement stays when the agent stops",
		a->pins.dir, how, ps->gen_adopted, ps->replaced, ps->kept,
		ps->swapped, ps->attached, ps->removed, ps->maps_reused,
		ps->maps_new, ps->frozen);
}

void agent_unregistered_text(const struct agent *a, char *buf, size_t len)
{
	const struct tg_pending *p = &a->reg.pending, *u = &a->reg.unowned;
	size_t i, ids = 0;

	buf[0] = '\0';
	for (i = 0; i < p->n; i++)
		ids += p->v[i].reason == TG_UNREG_IDS;
	if (!ids && !p->more && !u->n && !u->more)
		return;
	snprintf(
		buf, len,
		"; UNREGISTERED: %zu cgroup(s) are no tenant (%zu for want of tenant ids), pending; %zu path(s) are no tenant's (below %s or a policy tenant's without an id), refused to every tenant",
		p->n + p->more, ids, u->n + u->more,
		a->reg.paths_root[0] ? a->reg.paths_root : "the paths root");
}

/* The agent event stating what is enforced and by what. */
void agent_emit_backends(struct agent *a, const char *op)
{
	struct json_object *o, *ops = NULL, *un = NULL;
	char file[1024], usock[360], proc[360], net[520], guard[512];
	char msg[3200];
	struct json_object *sp = NULL, *checks = NULL;
	size_t n;

	o = tg_agent_event(&a->fmt, op, "allow", NULL);
	if (!o)
		return;
	agent_backends_json(a, o, 0);
	json_object_object_get_ex(o, "file_ops", &ops);
	if (a->bpf.file_backend == TG_BACKEND_FANOTIFY)
		json_object_object_get_ex(o, "unenforced", &un);
	backend_text(file, sizeof(file), "file isolation", a->bpf.file_backend,
		     a->bpf.file_reason, ops, un);
	backend_text(usock, sizeof(usock),
		     "unix sockets and other tenants' sockets in use",
		     a->bpf.unix_backend, a->bpf.unix_reason, NULL, NULL);
	n = (size_t)snprintf(net, sizeof(net), "%s",
			     tg_backend_name(a->bpf.net_backend));
	if (a->bpf.net_backend != TG_BACKEND_NONE && a->bpf.families_reason[0])
		n += (size_t)snprintf(
			net + n, sizeof(net) - n,
			" (UNENFORCED: socket families other than inet: %s)",
			a->bpf.families_reason);
	if (a->bpf.net_backend != TG_BACKEND_NONE &&
	    a->bpf.unix_backend == TG_BACKEND_NONE && n < sizeof(net))
		snprintf(
			net + n, sizeof(net) - n,
			" (UNENFORCED: connections between tenants through a listener the host made: needs BPF LSM)");
	backend_text(proc, sizeof(proc),
		     "other tenants' and the host's processes",
		     a->bpf.proc_backend, a->bpf.proc_reason, NULL, NULL);
	json_object_object_get_ex(o, "self_protection", &sp);
	json_object_object_get_ex(sp, "enforced", &checks);
	backend_text(guard, sizeof(guard), "self-protection",
		     a->bpf.guard_backend, a->bpf.guard_reason, checks, NULL);
	n = (size_t)snprintf(msg, sizeof(msg),
			     "%s; %s; %s; network isolation: %s; %s", file,
			     usock, proc, net, guard);
	if (a->pins.meta && n < sizeof(msg))
		pins_text(a, msg + n, sizeof(msg) - n);
	n = strlen(msg);
	agent_unregistered_text(a, msg + n, sizeof(msg) - n);
	add_field(o, "message", msg);
	tg_info("%s", msg);
	agent_emit(a, o);
	a->started = 1;
}

/* One agent event counting events lost since the last report, and why. */
static void emit_drop(struct agent *a, __u64 n, const char *reason,
		      const char *why)
{
	struct json_object *o;
	char msg[160];

	snprintf(msg, sizeof(msg), "%llu events dropped: %s",
		 (unsigned long long)n, why);
	o = tg_agent_event(&a->fmt, "drop", TG_VERDICT_DROPPED, msg);
	if (o) {
		json_object_object_add(o, "dropped",
				       json_object_new_int64((int64_t)n));
		add_field(o, "reason", reason);
	}
	agent_emit(a, o);
}

static void sink_drop(void *ctx, __u64 n, const char *reason, const char *why)
{
	emit_drop(ctx, n, reason, why);
}

static void emit_cb(void *ctx, struct json_object *o)
{
	agent_emit(ctx, o);
}

/* A summary of suppressed or dropped events, if the sink has room for it. */
static int emit_rl(void *ctx, const struct tg_rl_record *r)
{
	struct agent *a = ctx;

	if (!tg_sink_has_room(a->sink))
		return -ENOBUFS;
	agent_emit(a, tg_rl_record_json(&a->fmt, r));
	/* A suppressed denial is a denial all the same. */
	if (r->type == TG_RL_SUPPRESSED)
		tg_delivery_count_verdict(&a->dlv, r->tenant, r->verdict,
					  r->count);
	return 0;
}

/*
 * The fanotify decisions not reported (queue full) since the last report,
 * one drop event per tenant whose count grew, while the sink has room.
 */
static void report_fan_drops(struct agent *a)
{
	struct json_object *o;
	char msg[160], buf[32];
	const char *who;
	__u64 n;
	__u32 id;

	while (tg_sink_has_room(a->sink) &&
	       tg_fan_drops_news(a->fan, &id, &n)) {
		who = tg_registry_name(&a->reg, id, buf, sizeof(buf));
		snprintf(msg, sizeof(msg),
			 "%llu events of tenant %s dropped: fanotify decisions "
			 "came faster than they were reported",
			 (unsigned long long)n, who);
		o = tg_agent_event(&a->fmt, "drop", TG_VERDICT_DROPPED, msg);
		if (o) {
			add_field(o, "tenant", who);
			add_field(o, "reason", "fanotify_queue_full");
			json_object_object_add(
				o, "dropped",
				json_object_new_int64((int64_t)n));
		}
		agent_emit(a, o);
		tg_fan_drops_told(a->fan, id, n);
	}
}

/*
 * Opens decided by the failure rule (owner or opener unknown) since the
 * last report: one agent event with the count, at most once a second.
 */
static void report_fan_undecided(struct agent *a)
{
	struct tg_fan_stats fs;
	struct json_object *o;
	char msg[200];
	__u64 n;

	if (tg_now_ms() - a->fan_undecided_ms < 1000)
		return; /* at most once a second: tenants cause them */
	tg_fan_stats(a->fan, &fs);
	if (fs.failed == a->fan_undecided_told || !tg_sink_has_room(a->sink))
		return;
	a->fan_undecided_ms = tg_now_ms();
	n = fs.failed - a->fan_undecided_told;
	snprintf(msg, sizeof(msg),
		 "%llu opens decided by the failure rule, owner or opener "
		 "unknown: refused to tenants (%llu so far after waiting "
		 "for a link scan), allowed to host processes",
		 (unsigned long long)n, (unsigned long long)fs.timed_out);
	o = tg_agent_event(&a->fmt, "file_undecidable", "deny", msg);
	if (o) {
		json_object_object_add(o, "undecidable",
				       json_object_new_int64((int64_t)n));
		json_object_object_add(
			o, "timed_out",
			json_object_new_int64((int64_t)fs.timed_out));
	}
	agent_emit(a, o);
	a->fan_undecided_told = fs.failed;
}

/*
 * Report losses since the last report as agent events: loss is never
 * silent. The kernel's counters are read once a second, or now if force.
 */
void agent_report_drops(struct agent *a, int force)
{
	int err;

	tg_delivery_report(&a->dlv, &a->fmt, sink_drop, emit_cb, a);
	if (a->fan) {
		report_fan_drops(a);
		report_fan_undecided(a);
	}
	if (!a->rl || (!force && tg_now_ms() - a->rl_polled_ms < TG_RL_POLL_MS))
		return;
	a->rl_polled_ms = tg_now_ms();
	err = tg_ratelimit_poll(a->rl, a->reg.next_id - 1, emit_rl, a);
	if (err)
		tg_debug("events: cannot read the kernel's counters: %s",
			 strerror(-err));
}

/* When a filesystem holding owned paths cannot be marked, or can again. */
void agent_report_unmarked(struct agent *a)
{
	struct tg_fan_stats fs;

	tg_fan_stats(a->fan, &fs);
	if ((int)fs.unmarked == a->fan_unmarked)
		return;
	a->fan_unmarked = (int)fs.unmarked;
	if (a->started)
		agent_emit_backends(a, "backends");
}

/* One cgroup below the tenants cgroup newly left pending: told, once. */
static void report_unreg(void *ctx, const struct tg_unreg *u)
{
	struct agent *a = ctx;
	struct json_object *o;
	char msg[PATH_MAX + 256];

	tg_unreg_text(u, msg, sizeof(msg));
	tg_info("%s", msg);
	o = tg_agent_event(&a->fmt, "pending", "deny", msg);
	if (o) {
		add_field(o, "cgroup", u->cgroup);
		add_field(o, "reason", tg_unreg_reason_name(u->reason));
	}
	agent_emit(a, o);
}

/* One directory below the paths root newly no tenant's: told, once. */
static void report_unowned(void *ctx, const struct tg_unreg *u)
{
	struct agent *a = ctx;
	struct json_object *o;
	char msg[PATH_MAX + 256];

	tg_unowned_text(u, msg, sizeof(msg));
	tg_info("%s", msg);
	o = tg_agent_event(&a->fmt, "unregistered_path", "deny", msg);
	if (o) {
		add_field(o, "path", u->cgroup);
		add_field(o, "reason", tg_unreg_reason_name(u->reason));
	}
	agent_emit(a, o);
}

/* The same for the directories below the paths root no tenant owns. */
static void report_unowned_paths(struct agent *a)
{
	const struct tg_pending *now = &a->reg.unowned;
	char msg[PATH_MAX + 160];

	tg_pending_news(&a->reported_unowned, now, report_unowned, a);
	if (now->more > a->reported_unowned.more) {
		snprintf(
			msg, sizeof(msg),
			"%zu more directories below %s are no tenant's (not listed); they are refused to every tenant",
			now->more, a->reg.paths_root);
		tg_info("%s", msg);
		agent_emit(a, tg_agent_event(&a->fmt, "unregistered_path",
					     "deny", msg));
	}
	if (tg_pending_copy_list(&a->reported_unowned, now))
		tg_info("unregistered paths: out of memory; they may be reported again");
}

/*
 * The local routing table stopped fitting in local_routes (tenants are
 * refused every address it may not hold), or fits again: a warning and a
 * "kind: agent, op: local_routes" event, once per change.
 */
void agent_report_local_routes(struct agent *a)
{
	struct tg_local_routes_stats s;
	struct json_object *o;
	char msg[320];

	tg_local_routes_stats(a->nl, &s);
	if (s.full == a->local_full_told)
		return;
	a->local_full_told = s.full;
	if (s.full)
		snprintf(
			msg, sizeof(msg),
			"the local routing table holds %u routes (local, broadcast, anycast), more than the %u mirrored: tenants' connections and datagrams to ports of addresses not mirrored are refused until it fits",
			s.table, s.limit);
	else
		snprintf(
			msg, sizeof(msg),
			"the local routing table fits again (%u routes of at most %u): nothing is refused for it any more",
			s.table, s.limit);
	if (s.full)
		tg_warn("%s", msg);
	else
		tg_info("%s", msg);
	o = tg_agent_event(&a->fmt, "local_routes", s.full ? "deny" : "allow",
			   msg);
	if (o && (json_object_object_add(o, "routes",
					 json_object_new_int64(s.table)) ||
		  json_object_object_add(o, "max",
					 json_object_new_int64(s.limit)))) {
		json_object_put(o);
		o = NULL;
	}
	agent_emit(a, o);
}

/* Tell what the last apply left pending that was not told before. */
void agent_report_pending(struct agent *a)
{
	const struct tg_pending *now = &a->reg.pending;
	char msg[160];

	report_unowned_paths(a);

	tg_pending_news(&a->reported, now, report_unreg, a);
	if (now->more > a->reported.more) {
		snprintf(
			msg, sizeof(msg),
			"%zu more cgroups below the tenants cgroup are no tenant (not listed); their processes are pending",
			now->more);
		tg_info("%s", msg);
		agent_emit(a, tg_agent_event(&a->fmt, "pending", "deny", msg));
	}
	if (tg_pending_copy_list(&a->reported, now))
		tg_info("pending cgroups: out of memory; they may be reported again");
}

void agent_on_seccomp_denial(void *ctx, const char *tenant, const char *profile,
			     const struct tg_sc_denial *d)
{
	struct agent *a = ctx;
	const struct tg_tenant_entry *e =
		tg_registry_find_const(&a->reg, tenant);

	a->seccomp_denials++;
	/*
	 * Its tenant's rate limit, as for the kernel's events (the summary
	 * counts it as a denial then); keyed without the system call.
	 */
	if (e && !tg_ratelimit_admit(a->rl, e->id, TG_KIND_SECCOMP, 0,
				     TG_VERDICT_DENY))
		return;
	if (e)
		tg_delivery_count_verdict(&a->dlv, e->id, TG_VERDICT_DENY, 1);
	agent_emit(a, tg_seccomp_event(&a->fmt, tenant, profile, (__u32)d->pid,
				       d->comm, d->syscall, d->arch));
}

/* The agent event telling what the hard-link scan found and could not record.
 */
static struct json_object *links_event(const struct tg_links *l,
				       const struct tg_event_fmt *f)
{
	const struct tg_links_stats *st = &l->st;
	struct json_object *o;
	char msg[PATH_MAX + 512], buf[32];
	size_t n;

	n = (size_t)snprintf(msg, sizeof(msg),
			     "hard links: %lu object(s) linked below several "
			     "tenants' paths are refused to every tenant",
			     st->shared);
	if (st->example[0] && n < sizeof(msg))
		n += (size_t)snprintf(msg + n, sizeof(msg) - n, " (e.g. %s)",
				      st->example);
	if (st->dropped && n < sizeof(msg))
		n += (size_t)snprintf(msg + n, sizeof(msg) - n,
				      "; %lu more not recorded (over %u per "
				      "tenant, tenant %s): each of their names "
				      "is owned by its place",
				      st->dropped, l->max_per_tenant,
				      tg_registry_name(f->reg,
						       st->dropped_tenant, buf,
						       sizeof(buf)));
	if (st->outside && n < sizeof(msg))
		snprintf(msg + n, sizeof(msg) - n,
			 "; %lu object(s) of one tenant also linked outside "
			 "every owned path are that tenant's by every name "
			 "(e.g. %s)",
			 st->outside, st->example_outside);
	o = tg_agent_event(f, "hardlinks", "allow", msg);
	if (!o)
		return NULL;
	json_object_object_add(o, "shared",
			       json_object_new_int64((int64_t)st->shared));
	json_object_object_add(o, "example",
			       json_object_new_string(st->example));
	json_object_object_add(o, "dropped",
			       json_object_new_int64((int64_t)st->dropped));
	json_object_object_add(
		o, "dropped_tenant",
		json_object_new_string(
			st->dropped
				? tg_registry_name(f->reg, st->dropped_tenant,
						   buf, sizeof(buf))
				: ""));
	json_object_object_add(o, "limit",
			       json_object_new_int64(l->max_per_tenant));
	json_object_object_add(o, "outside",
			       json_object_new_int64((int64_t)st->outside));
	json_object_object_add(o, "example_outside",
			       json_object_new_string(st->example_outside));
	return o;
}

/* The hard links found, when they changed since last told. */
void agent_report_links(struct agent *a)
{
	if (!tg_links_stats_differ(&a->bpf.links.st, &a->links_told))
		return;
	agent_emit(a, links_event(&a->bpf.links, &a->fmt));
	a->links_told = a->bpf.links.st;
}

/*
 * A listener on the event socket that is not the collector (another uid,
 * or a process of a tenant's) was refused: once per episode (a first
 * refusal, or another listener), a
 * warning and a "kind: agent, op: collector_refused" event, which waits in
 * the spool with the others until the collector takes it.
 */
void agent_report_refused_collector(struct agent *a)
{
	const char *why = NULL;
	const struct tg_peer *p = tg_sink_refused_peer(a->sink, &why);
	const char *who = "(unknown)";
	const char *user = a->opt.collector_known ? a->opt.collector.name
						  : a->opt.collector_user;
	struct json_object *o;
	struct tg_sink_stats ss;
	char msg[768], nb[32], user_uid[96], expected[256];
	__u32 id;

	tg_sink_stats(a->sink, &ss);
	if (!p || ss.refusals == a->collector_refusals_told)
		return;
	a->collector_refusals_told = ss.refusals;
	if (a->opt.collector_known)
		snprintf(user_uid, sizeof(user_uid), "%s (uid %u)", user,
			 (unsigned int)a->opt.collector.uid);
	else
		snprintf(user_uid, sizeof(user_uid), "%s (no such user here)",
			 user);
	if (why)
		snprintf(expected, sizeof(expected), ": %s", why);
	else
		snprintf(expected, sizeof(expected),
			 ", not the collector's user %s", user_uid);
	snprintf(msg, sizeof(msg),
		 "refused the listener on the event socket %s: uid %d (pid %d "
		 "%s)%s; nothing is sent to it and no acknowledgement of it "
		 "counts: events wait in the spool for the collector",
		 a->opt.event_socket, (int)p->uid, (int)p->pid,
		 p->comm[0] ? p->comm : "?", expected);
	tg_warn("%s", msg);
	if (!agent_peer_actor(a, p, &id))
		who = id == TG_TENANT_HOST
			      ? "host"
			      : tg_registry_name(&a->reg, id, nb, sizeof(nb));
	o = tg_agent_event_by(&a->fmt, "collector_refused", "deny", who,
			      (__u32)p->pid, p->comm, msg);
	if (o &&
	    (tg_event_add_str(o, "socket", a->opt.event_socket,
			      strlen(a->opt.event_socket)) ||
	     json_object_object_add(
		     o, "uid",
		     json_object_new_int64(
			     p->uid == (uid_t)-1 ? -1 : (int64_t)p->uid)) ||
	     json_object_object_add(
		     o, "expected_uid",
		     json_object_new_int64(
			     a->opt.collector_known
				     ? (int64_t)a->opt.collector.uid
				     : -1)) ||
	     tg_event_add_str(o, "expected_user", user, strlen(user)) ||
	     tg_event_add_str(o, "cgroup", p->cgroup, strlen(p->cgroup)))) {
		json_object_put(o);
		o = NULL;
	}
	agent_emit(a, o);
}
