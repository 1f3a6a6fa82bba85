/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Maps and helpers shared by every tenantguard BPF object. Each object
 * declares these maps; the agent creates them once and hands the same map
 * fds to every object (bpf_map__reuse_fd) before load.
 */
#ifndef TG_COMMON_BPF_H
#define TG_COMMON_BPF_H

#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>

#include "tenantguard/event_abi.h"
#include "tenantguard/map_abi.h"

/* Active policy slot: policy_gen[0] & 1. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u32);
} policy_gen SEC(".maps");

/*
 * Which program set of each object reports (TG_OBJ_*): while an upgrade
 * attaches a new set of LSM programs beside the old one, both enforce and
 * only the set whose stamp is there emits events, so no denial is counted
 * twice. The agent sets tg_obj and tg_stamp before load; network programs
 * (tg_obj 0) are replaced in place and always report.
 */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, TG_OBJ_COUNT);
	__type(key, __u32);
	__type(value, __u64);
} emitter SEC(".maps");

const volatile __u32 tg_obj = 0;
const volatile __u64 tg_stamp = 0;

/* Whether this program set reports its decisions (see emitter). */
static __always_inline int tg_set_reports(void)
{
	__u32 obj = tg_obj;
	__u64 *stamp;

	if (!obj)
		return 1;
	stamp = bpf_map_lookup_elem(&emitter, &obj);
	return stamp && *stamp == tg_stamp;
}

#define TG_SOCK_DGRAM 2 /* sk_type of a datagram socket */

/*
 * A double-buffered policy map: TG_POLICY_SLOTS inner hash maps, one per
 * policy generation (see map_abi.h). Inner sizes are given as numbers, not
 * types, so the object needs no BTF for the key and value structs.
 */
#define TG_POLICY_MAP_OF(name, inner_type, flags, key_t, value_t, max)         \
	struct {                                                               \
		__uint(type, BPF_MAP_TYPE_ARRAY_OF_MAPS);                      \
		__uint(max_entries, TG_POLICY_SLOTS);                          \
		__type(key, __u32);                                            \
		__array(                                                       \
			values, struct {                                       \
				__uint(type, inner_type);                      \
				__uint(map_flags, (flags));                    \
				__uint(max_entries, (max));                    \
				__uint(key_size, sizeof(key_t));               \
				__uint(value_size, sizeof(value_t));           \
			});                                                    \
	} name SEC(".maps")
#define TG_POLICY_MAP(name, key_t, value_t, max)                               \
	TG_POLICY_MAP_OF(name, BPF_MAP_TYPE_HASH, 0, key_t, value_t, max)

/* Per slot: tenant root cgroup id -> tenant. */
TG_POLICY_MAP(tenant_cgroups, __u64, struct tg_tenant, TG_MAX_TENANT_CGROUPS);

/* Events to the agent; size set by the agent before load. */
struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 1 << 20);
} events SEC(".maps");

/* Events dropped at the ring buffer, all reasons and tenants, per CPU. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} event_drops SEC(".maps");

#include "ratelimit.bpf.h"

/* Scratch space to build one event, per CPU. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct tg_event);
} event_scratch SEC(".maps");

/*
 * The policy slot in force. A program reads it once and uses it for every
 * lookup, so it sees one policy generation from start to end.
 */
static __always_inline __u32 tg_policy_slot(void)
{
	__u32 zero = 0, *gen;

	gen = bpf_map_lookup_elem(&policy_gen, &zero);
	return gen ? (*gen & 1) : 0;
}

/*
 * The tenant of the current task: the tenant whose root cgroup is the
 * current cgroup or one of its ancestors (tenants do not nest, so the first
 * one found walking down from the root is the only one); else the pending
 * actor if the tenants cgroup is among them (TG_TENANT_F_PENDING: the walk
 * goes on for a tenant below it, as it would have without it, so a
 * tenant's lookup costs no more). NULL for host tasks.
 */
static __always_inline const struct tg_tenant *tg_current_tenant(__u32 slot)
{
	const struct tg_tenant *t, *pending = NULL;
	void *cgroups;
	__u64 cg;
	int level;

	cgroups = bpf_map_lookup_elem(&tenant_cgroups, &slot);
	if (!cgroups)
		return NULL;
	for (level = 1; level <= TG_MAX_CGROUP_LEVEL; level++) {
		cg = bpf_get_current_ancestor_cgroup_id(level);
		if (!cg)
			break;
		t = bpf_map_lookup_elem(cgroups, &cg);
		if (!t)
			continue;
		if (!(t->flags & TG_TENANT_F_PENDING))
			return t;
		pending = t;
	}
	return pending;
}

/*
 * A zeroed event for actor (a tenant id) and target, without the task's
 * pid and comm (for hooks that may not call task helpers); NULL on failure
 * or when the actor's rate limit holds the event back (it is then counted
 * as suppressed). Either way the caller's verdict stands. An event begun
 * must be submitted: the accounting counts each one as delivered,
 * suppressed or dropped.
 */
static __always_inline struct tg_event *
tg_event_begin_notask(__u32 kind, __u32 op, __u32 verdict, __u32 actor,
		      __u32 target)
{
	struct tg_event *ev;
	__u32 zero = 0;

	if (!tg_set_reports())
		return NULL;
	ev = bpf_map_lookup_elem(&event_scratch, &zero);
	if (!ev || !tg_event_admit(actor, kind, op, verdict))
		return NULL;
	__builtin_memset(ev, 0, TG_EVENT_HDR_LEN);
	ev->ts_boot_ns = bpf_ktime_get_boot_ns();
	ev->version = TG_EVENT_VERSION;
	ev->kind = kind;
	ev->op = op;
	ev->verdict = verdict;
	ev->tenant = actor;
	ev->target_tenant = target;
	return ev;
}

/* The same with the verdict of actor's mode, and the task's pid and comm. */
static __always_inline struct tg_event *
tg_event_begin(__u32 kind, __u32 op, const struct tg_tenant *actor,
	       __u32 target)
{
	__u32 verdict = (actor->flags & TG_TENANT_F_AUDIT) ? TG_VERDICT_AUDIT
							   : TG_VERDICT_DENY;
	struct tg_event *ev;

	ev = tg_event_begin_notask(kind, op, verdict, actor->id, target);
	if (!ev)
		return NULL;
	ev->pid = bpf_get_current_pid_tgid() >> 32;
	bpf_get_current_comm(ev->comm, sizeof(ev->comm));
	return ev;
}

/*
 * Send the first TG_EVENT_HDR_LEN + path_len + below_len bytes of ev; count
 * a failure. The length is clamped, never masked: a mask would turn
 * TG_PATH_LEN into 0.
 */
static __always_inline void tg_event_submit(struct tg_event *ev)
{
	__u64 len = (__u64)ev->path_len + ev->below_len;

	if (len > TG_PATH_LEN)
		len = TG_PATH_LEN;
	len += TG_EVENT_HDR_LEN;

	if (len > sizeof(*ev))
		len = sizeof(*ev);
	tg_event_output(ev, len, ev->tenant);
}

/* Whether the actor's access must fail (enforce) or only be reported (audit).
 */
static __always_inline int tg_denied(const struct tg_tenant *actor)
{
	return !(actor->flags & TG_TENANT_F_AUDIT);
}

#endif /* TG_COMMON_BPF_H */
