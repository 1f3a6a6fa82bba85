// SPDX-License-Identifier: GPL-2.0
/*
 * What an agent leaves for the next one in the pin directory, and what it
 * finds there: the tenant ids the kernel's state is keyed by, the ports it
 * reserved, its heartbeat, and the record of the time no agent ran.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <json-c/json.h>

#include "agentd/agent.h"
#include "common/clock.h"
#include "common/log.h"
#include "common/procfs.h"
#include "common/text.h"
#include "tenantguard/map_abi.h"

#define HEARTBEAT_NS 100000000LL /* the heartbeat is written this often */

int agent_pins_open(struct agent *a)
{
	char why[512];
	int err;

	err = tg_pins_open(&a->pins, a->opt.pin_dir, why, sizeof(why));
	if (err)
		return tg_err(err, "pins: %s", why);
	a->start_boot_ns = tg_clock_ns(CLOCK_BOOTTIME);
	return 0;
}

/*
 * The tenant ids of the set found pinned, in id order: sockets are tagged,
 * counters kept and limits set by id in the kernel.
 */
int agent_restore_tenants(struct agent *a)
{
	struct tg_pinned_tenant t;
	struct tg_tenant_entry *e;
	__u32 id;

	if (!a->pins.found)
		return 0;
	for (id = 1; id < TG_TENANT_PENDING; id++) {
		if (bpf_map_lookup_elem(a->pins.am_fd[TG_AM_TENANT_IDS], &id,
					&t) ||
		    !t.name[0])
			break;
		t.name[sizeof(t.name) - 1] = '\0';
		e = tg_registry_restore(&a->reg, id, t.name);
		if (!e)
			return tg_err(
				-errno,
				"pins: tenant %u (%s) cannot be restored: %s",
				id, t.name, strerror(errno));
		e->zeroconf = !!(t.flags & TG_PINNED_ZEROCONF);
	}
	a->ids_saved = a->reg.n;
	if (a->reg.n)
		tg_info("pins: %zu tenant id(s) of the pinned set restored",
			a->reg.n);
	return 0;
}

/*
 * Tenant id id could not be saved (err): a restarted agent would not know
 * it (nor the ids after it). Told once per error, by an event; tried again
 * at the next change.
 */
static void save_failed(struct agent *a, __u32 id, int err)
{
	char msg[200];

	if (err == a->ids_save_err)
		return;
	a->ids_save_err = err;
	snprintf(
		msg, sizeof(msg),
		"pins: cannot save tenant id %u (%s): an agent restarted now would not know it; tried again at the next change",
		id, strerror(-err));
	tg_info("%s", msg);
	agent_emit(a, tg_agent_event(&a->fmt, "pins", "deny", msg));
}

/* Tenants registered since the last save, and the ports reserved. */
void agent_save_state(struct agent *a)
{
	struct tg_pinned_tenant t;
	__u32 id, zero = 0;
	size_t i;

	if (!a->pins.meta)
		return;
	for (i = a->ids_saved; i < a->reg.n; i++) {
		memset(&t, 0, sizeof(t));
		snprintf(t.name, sizeof(t.name), "%s", a->reg.v[i].name);
		t.flags = a->reg.v[i].zeroconf ? TG_PINNED_ZEROCONF : 0;
		id = a->reg.v[i].id;
		if (bpf_map_update_elem(a->pins.am_fd[TG_AM_TENANT_IDS], &id,
					&t, BPF_ANY)) {
			save_failed(a, id, -errno);
			break;
		}
		a->ids_saved = i + 1;
	}
	if (a->ids_saved == a->reg.n)
		a->ids_save_err = 0;
	bpf_map_update_elem(a->pins.am_fd[TG_AM_RESPORTS], &zero,
			    a->resports.mine, BPF_ANY);
}

/* The ports the last agent reserved are this one's to take back. */
void agent_restore_ports(struct agent *a)
{
	__u8 mine[TG_PORT_BITMAP];
	__u32 zero = 0;

	if (!a->pins.found ||
	    bpf_map_lookup_elem(a->pins.am_fd[TG_AM_RESPORTS], &zero, mine))
		return;
	tg_resports_adopt(&a->resports, mine);
}

/* The set is this agent's: metadata for the next one. */
void agent_pins_started(struct agent *a)
{
	struct tg_meta *m = a->pins.meta;
	__s64 now = tg_clock_ns(CLOCK_REALTIME);
	unsigned long long t = 0;

	if (a->bpf.ps.upgraded)
		memcpy(m->upgraded_from, a->pins.prev.build_id,
		       sizeof(m->upgraded_from));
	m->layout = TG_LAYOUT_VERSION;
	m->event_version = TG_EVENT_VERSION;
	memcpy(m->build_id, a->bpf.build_id, sizeof(m->build_id));
	m->stamp = a->bpf.stamp;
	if (!a->pins.found)
		m->created_real_ns = now;
	m->started_real_ns = now;
	m->starts++;
	m->stopped = 0;
	m->agent_pid = (__u32)getpid();
	tg_proc_starttime((pid_t)m->agent_pid, &t);
	m->agent_starttime = t;
	agent_heartbeat(a, 1);
}

void agent_heartbeat(struct agent *a, int force)
{
	struct tg_meta *m = a->pins.meta;
	__s64 now;

	if (!m || !a->bpf.net)
		return;
	now = tg_clock_ns(CLOCK_REALTIME);
	if (!force && now - m->heartbeat_real_ns < HEARTBEAT_NS)
		return;
	m->heartbeat_drops = tg_bpf_event_drops(&a->bpf);
	m->heartbeat_real_ns = now;
}

void agent_pins_stop(struct agent *a, int clean)
{
	struct tg_meta *m = a->pins.meta;

	if (m && m->agent_pid == (__u32)getpid()) {
		agent_heartbeat(a, 1);
		if (clean) {
			m->stopped_real_ns = m->heartbeat_real_ns;
			m->stopped = 1;
		}
	}
	tg_pins_close(&a->pins);
}

static void add_int(struct json_object *o, const char *k, __s64 v)
{
	json_object_object_add(o, k, json_object_new_int64(v));
}

/*
 * The record of the time no agent ran, once the events the kernel kept
 * meanwhile are read: from the last agent's last heartbeat (or its clean
 * stop) to this start, with what was kept and what was lost.
 */
void agent_report_gap(struct agent *a)
{
	const struct tg_meta *p = &a->pins.prev;
	__s64 from, to = a->pins.meta->started_real_ns;
	__u64 drops = tg_bpf_event_drops(&a->bpf), lost;
	struct json_object *o;
	char msg[256], hex[65];

	if (!a->pins.found || !p->heartbeat_real_ns)
		return;
	from = p->stopped == 1 ? p->stopped_real_ns : p->heartbeat_real_ns;
	lost = drops > p->heartbeat_drops ? drops - p->heartbeat_drops : 0;
	snprintf(
		msg, sizeof(msg),
		"no agent for %.3f s (%s): the pinned programs enforced; %llu event(s) kept, %llu lost",
		(double)(to - from) / 1e9,
		p->stopped == 1 ? "stopped" : "killed or crashed",
		(unsigned long long)a->gap_kept, (unsigned long long)lost);
	o = tg_agent_event(&a->fmt, "gap", "allow", msg);
	if (!o)
		return;
	tg_json_add_time(o, "from", from);
	tg_json_add_time(o, "to", to);
	add_int(o, "from_ns", from);
	add_int(o, "to_ns", to);
	json_object_object_add(o, "clean_stop",
			       json_object_new_boolean(p->stopped == 1));
	add_int(o, "previous_pid", p->agent_pid);
	add_int(o, "events_kept", (__s64)a->gap_kept);
	add_int(o, "events_lost", (__s64)lost);
	tg_build_id_hex(p->build_id, hex);
	json_object_object_add(o, "previous_build",
			       json_object_new_string(hex));
	/*
	 * The previous agent's events up to this agent_seq were queued; those
	 * after the collector's last_agent_seq of that stream (its
	 * "disconnected" event) were lost with the process, unless spooled.
	 */
	snprintf(hex, sizeof(hex), "%016llx",
		 (unsigned long long)p->sink_stream);
	json_object_object_add(o, "previous_stream",
			       json_object_new_string(hex));
	add_int(o, "previous_last_seq", (__s64)p->sink_last_seq);
	tg_info("%s", msg);
	agent_emit(a, o);
}

/* What is pinned and what this start did with it (status, start event). */
struct json_object *agent_pins_json(struct agent *a)
{
	const struct tg_pin_stats *ps = &a->bpf.ps;
	struct json_object *o = json_object_new_object();
	struct json_object *l = json_object_new_object();
	struct json_object *m = json_object_new_object();
	struct json_object *keep = json_object_new_array();
	char hex[65];

	json_object_object_add(o, "dir", json_object_new_string(a->pins.dir));
	json_object_object_add(o, "adopted",
			       json_object_new_boolean(ps->adopted));
	json_object_object_add(o, "upgraded",
			       json_object_new_boolean(ps->upgraded));
	tg_build_id_hex(a->bpf.build_id, hex);
	json_object_object_add(o, "build", json_object_new_string(hex));
	if (ps->upgraded) {
		tg_build_id_hex(a->pins.prev.build_id, hex);
		json_object_object_add(o, "upgraded_from",
				       json_object_new_string(hex));
	}
	add_int(o, "layout", TG_LAYOUT_VERSION);
	add_int(o, "stamp", (__s64)a->bpf.stamp);
	add_int(o, "generation_adopted", ps->gen_adopted);
	add_int(l, "replaced", ps->replaced);
	add_int(l, "attached", ps->attached);
	add_int(l, "swapped", ps->swapped);
	add_int(l, "removed", ps->removed);
	add_int(l, "kept", ps->kept);
	json_object_object_add(o, "links", l);
	add_int(m, "reused", ps->maps_reused);
	add_int(m, "new", ps->maps_new);
	add_int(m, "frozen", ps->frozen);
	json_object_object_add(o, "maps", m);
	/* What goes on enforcing when no agent runs. */
	if (a->bpf.net_backend == TG_BACKEND_CGROUP_BPF)
		json_object_array_add(keep, json_object_new_string("net"));
	if (a->bpf.file_backend == TG_BACKEND_BPF_LSM)
		json_object_array_add(keep, json_object_new_string("file"));
	if (a->bpf.unix_backend == TG_BACKEND_BPF_LSM)
		json_object_array_add(keep, json_object_new_string("unix"));
	if (a->bpf.proc_backend == TG_BACKEND_BPF_LSM)
		json_object_array_add(keep, json_object_new_string("proc"));
	json_object_object_add(o, "persist", keep);
	return o;
}
