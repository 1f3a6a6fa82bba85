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

/*
 * Per policy slot: the support staff's login uids (map_abi.h), written with
 * the policy maps' other slot before the switch.
 */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, TG_POLICY_SLOTS);
	__type(key, __u32);
	__type(value, struct tg_support_set);
} support_uids SEC(".maps");

/* Active grants of support actors (map_abi.h), written by the agent. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, TG_MAX_GRANTS);
	__type(key, struct tg_grant_key);
	__type(value, struct tg_grant);
} grants SEC(".maps");

/* What scoped grants cover (map_abi.h); value: the tenant. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, TG_MAX_GRANT_SCOPES);
	__type(key, struct tg_grant_scope_key);
	__type(value, __u32);
} grant_scopes SEC(".maps");

/* The cgroups of grant sessions (map_abi.h): cgroup id to grant key. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, TG_MAX_GRANT_SESSIONS);
	__type(key, __u64);
	__type(value, struct tg_grant_key);
} grant_sessions SEC(".maps");

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
 * What an event records of the task that acted (struct tg_event version 3),
 * read with CO-RE from types of its own (the ___tga flavour: each object
 * declares the kernel's types it needs its own way).
 */
struct super_block___tga {
	__u32 s_dev;
} __attribute__((preserve_access_index));

struct inode___tga {
	unsigned long i_ino;
	struct super_block___tga *i_sb;
} __attribute__((preserve_access_index));

struct file___tga {
	struct inode___tga *f_inode;
} __attribute__((preserve_access_index));

struct mm_struct___tga {
	struct file___tga *exe_file;
} __attribute__((preserve_access_index));

typedef struct {
	__u32 val;
} kuid___tga;

struct task_struct___tga {
	int tgid;
	char comm[TG_COMM_LEN];
	struct task_struct___tga *real_parent;
	struct mm_struct___tga *mm;
	kuid___tga loginuid; /* CONFIG_AUDIT */
} __attribute__((preserve_access_index));

/* The audit login uid of task t, TG_NO_LOGIN_UID if unset or not kept. */
static __always_inline __u32 tg_login_uid(struct task_struct___tga *t)
{
	if (!bpf_core_field_exists(t->loginuid))
		return TG_NO_LOGIN_UID;
	return BPF_CORE_READ(t, loginuid.val);
}

/*
 * Whether the current task is a support actor under policy slot slot: its
 * login uid is in support_uids (sorted disjoint ranges: a binary search).
 * Tasks without a login uid (services, init) leave at once. A global
 * function, verified once on its own: inlined into every hook of the file
 * object, its loop took that object past what the 6.1 verifier accepts.
 */
__noinline int tg_is_support(__u32 slot)
{
	const struct tg_support_set *s;
	__u32 uid, lo = 0, hi, mid;
	int i;

	s = bpf_map_lookup_elem(&support_uids, &slot);
	if (!s || !s->n)
		return 0;
	uid = tg_login_uid((void *)bpf_get_current_task());
	if (uid == TG_NO_LOGIN_UID)
		return 0;
	hi = s->n < TG_MAX_SUPPORT_RANGES ? s->n : TG_MAX_SUPPORT_RANGES;
	for (i = 0; i < 10 && lo < hi; i++) {
		mid = ((lo + hi) / 2) & (TG_MAX_SUPPORT_RANGES - 1);
		if (uid < s->r[mid].lo)
			hi = mid;
		else if (uid > s->r[mid].hi)
			lo = mid + 1;
		else
			return 1;
	}
	return 0;
}

/*
 * The support actor for a host task of the support staff under slot:
 * (flags << 32) | TG_TENANT_SUPPORT, else TG_TENANT_HOST (0). Global, so
 * that its caller holds an id the verifier does not know, as for a
 * tenant's read from a map: the two paths stay one state (a constant id
 * would double every hook of the file object after it, past what the 6.1
 * verifier accepts).
 */
__noinline __u64 tg_support_actor(__u32 slot)
{
	return tg_is_support(slot) ? TG_TENANT_SUPPORT : TG_TENANT_HOST;
}

/*
 * Whether the support actor may do want (TG_GRANT_* bits, all needed) to
 * tenant target under an active grant of its login uid: 0 no (no grant,
 * past its deadline, or an op it does not name), 1 yes, 2 yes if the
 * object is inside the grant's scope (a scoped grant and a file op: the
 * caller checks grant_scopes). actor is the caller's actor id: anything
 * but TG_TENANT_SUPPORT is 0 at once. Global: verified once.
 */
__noinline int tg_grant_check(__u32 actor, __u32 target, __u32 want)
{
	struct tg_grant_key k;
	const struct tg_grant *g;

	if (actor != TG_TENANT_SUPPORT || !want)
		return 0;
	k.login_uid = tg_login_uid((void *)bpf_get_current_task());
	k.tenant = target;
	g = bpf_map_lookup_elem(&grants, &k);
	if (!g)
		return 0;
	if (bpf_ktime_get_boot_ns() >= *(volatile __u64 *)&g->deadline_ns)
		return 0;
	if ((g->ops & want) != want)
		return 0;
	if ((g->flags & TG_GRANT_F_SCOPED) &&
	    (want & (TG_GRANT_READ | TG_GRANT_WRITE | TG_GRANT_EXEC)))
		return 2;
	return 1;
}

/*
 * After a refusal of the support actor (actor): when the current task's
 * cgroup is a grant session (grant_sessions) whose grant is gone or past
 * its deadline, kill the task (SIGKILL, bpf_send_signal): the agent kills
 * such sessions (cgroup.kill) at expiry and revocation; this holds when it
 * is down. Returns 1 when the signal was sent. Global: verified once. Here,
 * not with the task's tenant: the socket objects refuse the support actor
 * too.
 */
__noinline int tg_grant_session_end(__u32 actor)
{
	const struct tg_grant_key *k;
	const struct tg_grant *g;
	__u64 cg;

	if (actor != TG_TENANT_SUPPORT)
		return 0;
	cg = bpf_get_current_cgroup_id();
	k = bpf_map_lookup_elem(&grant_sessions, &cg);
	if (!k)
		return 0;
	g = bpf_map_lookup_elem(&grants, k);
	if (g && bpf_ktime_get_boot_ns() < *(volatile __u64 *)&g->deadline_ns)
		return 0;
	bpf_send_signal(9 /* SIGKILL */);
	return 1;
}

/*
 * Fill ev's actor fields (version 3) from the current task. Global, as
 * tg_is_support: verified once, not at each of its many callers.
 */
__noinline int tg_event_actor(struct tg_event *ev)
{
	struct task_struct___tga *t = (void *)bpf_get_current_task();
	struct task_struct___tga *parent;
	struct file___tga *exe;
	__u64 ug = bpf_get_current_uid_gid();

	if (!ev)
		return 0;
	ev->pid = bpf_get_current_pid_tgid() >> 32;
	bpf_get_current_comm(ev->comm, sizeof(ev->comm));
	ev->uid = (__u32)ug;
	ev->gid = (__u32)(ug >> 32);
	ev->cgroup_id = bpf_get_current_cgroup_id();
	ev->login_uid = tg_login_uid(t);
	parent = BPF_CORE_READ(t, real_parent);
	if (parent) {
		ev->ppid = BPF_CORE_READ(parent, tgid);
		bpf_probe_read_kernel(ev->parent_comm, sizeof(ev->parent_comm),
				      &parent->comm);
	}
	exe = BPF_CORE_READ(t, mm, exe_file);
	if (exe) {
		ev->exe_ino = BPF_CORE_READ(exe, f_inode, i_ino);
		ev->exe_dev = BPF_CORE_READ(exe, f_inode, i_sb, s_dev);
	}
	ev->actor_flags |= TG_ACTOR_F_TASK;
	return 0;
}

/*
 * A zeroed event for actor (a tenant id) and target, without the task's
 * pid and comm (for hooks that may not call task helpers); NULL on failure
 * or when the actor's rate limit holds the event back (it is then counted
 * as suppressed). Either way the caller's verdict stands. An event begun
 * must be submitted: the accounting counts each one as delivered,
 * suppressed or dropped.
 */
/*
 * The header of ev for one decision (kind_op: kind << 32 | op), the support
 * actor's named as the host's with TG_ACTOR_F_SUPPORT. Global, verified
 * once: inlined at every refusal site it took the file object past what
 * the 6.1 verifier accepts.
 */
__noinline int tg_event_fill(struct tg_event *ev, __u64 kind_op, __u32 verdict,
			     __u32 actor, __u32 target)
{
	if (!ev)
		return 0;
	__builtin_memset(ev, 0, TG_EVENT_HDR_LEN);
	if (actor == TG_TENANT_SUPPORT) {
		actor = TG_TENANT_HOST;
		ev->actor_flags = TG_ACTOR_F_SUPPORT;
	}
	ev->ts_boot_ns = bpf_ktime_get_boot_ns();
	ev->version = TG_EVENT_VERSION;
	ev->kind = (__u32)(kind_op >> 32);
	ev->op = (__u32)kind_op;
	ev->verdict = verdict;
	ev->tenant = actor;
	ev->target_tenant = target;
	return 0;
}

/*
 * The header of ev for an access allowed under a grant (kind_op as
 * tg_event_fill): verdict allow, the support actor with TG_ACTOR_F_GRANT.
 * Never held back by a rate limit; the caller refuses the access unless
 * the event is then written (tg_event_submit returns 0): no grant-covered
 * access goes unlogged.
 */
__noinline int tg_grant_event(struct tg_event *ev, __u64 kind_op, __u32 target)
{
	if (!ev)
		return 0;
	tg_event_fill(ev, kind_op, TG_VERDICT_ALLOW, TG_TENANT_SUPPORT, target);
	ev->actor_flags |= TG_ACTOR_F_GRANT;
	return 0;
}

static __always_inline struct tg_event *
tg_event_begin_notask(__u32 kind, __u32 op, __u32 verdict, __u32 actor,
		      __u32 target)
{
	struct tg_event *ev;
	__u32 zero = 0;
	__u64 other;

	if (!tg_set_reports())
		return NULL;
	/*
	 * The rate limit of the support actor is the host's. Without a
	 * branch: a branch on a known id would double what the verifier walks
	 * after it. other: 1 unless the support actor.
	 */
	other = (__u64)(actor ^ TG_TENANT_SUPPORT);
	other = (other | -other) >> 63;
	barrier_var(other);
	ev = bpf_map_lookup_elem(&event_scratch, &zero);
	if (!ev || !tg_event_admit(actor * (__u32)other, kind, op, verdict))
		return NULL;
	tg_event_fill(ev, (__u64)kind << 32 | op, verdict, actor, target);
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
	tg_event_actor(ev);
	return ev;
}

/*
 * Send the first TG_EVENT_HDR_LEN + path_len + below_len bytes of ev; count
 * a failure (returns 0 when sent, -1 when not). The length is clamped, never
 * masked: a mask would turn TG_PATH_LEN into 0.
 */
static __always_inline int tg_event_submit(struct tg_event *ev)
{
	__u64 len = (__u64)ev->path_len + ev->below_len;

	if (len > TG_PATH_LEN)
		len = TG_PATH_LEN;
	len += TG_EVENT_HDR_LEN;

	if (len > sizeof(*ev))
		len = sizeof(*ev);
	return tg_event_output(ev, len, ev->tenant);
}

/*
 * The verdict at a refusal site of actor (id and flags, TG_TENANT_F_*) on
 * target when tg_grant_check answered g: TG_VERDICT_ALLOW under a grant
 * (g 1), else the actor's own (deny, audit in audit mode).
 */
static __always_inline __u32 tg_grant_or_mode(int g, __u32 flags)
{
	if (g == 1)
		return TG_VERDICT_ALLOW;
	return (flags & TG_TENANT_F_AUDIT) ? TG_VERDICT_AUDIT : TG_VERDICT_DENY;
}

/*
 * The verdict at a refusal site of actor (id, flags) on target, whose
 * grant must name want: see tg_grant_or_mode. Global, as the two below:
 * a refusal site holds an answer the verifier does not know and never
 * branches on it, so whether a grant allows costs it no second path
 * through the event's code (the file object is at the edge of what the
 * 6.1 verifier accepts).
 */
__noinline __u32 tg_site_verdict(__u32 actor, __u32 flags, __u32 target,
				 __u32 want)
{
	return tg_grant_or_mode(tg_grant_check(actor, target, want), flags);
}

/*
 * Begin the event of a decision (kind_op: kind << 32 | op) with verdict
 * (tg_site_verdict) in ev (event_scratch, or NULL): 1 when the caller is
 * to fill and submit it, 0 when no event is written (a set that does not
 * report: see emitter; a rate limit; no ev). Under a grant (verdict
 * allow) the header is the grant's (tg_grant_event), never held back by a
 * rate limit; else the refusal's, as tg_event_begin makes it.
 */
__noinline int tg_event_start(struct tg_event *ev, __u64 kind_op, __u32 verdict,
			      __u32 actor, __u32 target)
{
	__u64 other;

	if (!ev || !tg_set_reports())
		return 0;
	if (verdict == TG_VERDICT_ALLOW) {
		tg_grant_event(ev, kind_op, target);
	} else {
		/* The support actor's rate limit is the host's. */
		other = (__u64)(actor ^ TG_TENANT_SUPPORT);
		other = (other | -other) >> 63;
		if (!tg_event_admit(actor * (__u32)other,
				    (__u32)(kind_op >> 32), (__u32)kind_op,
				    verdict))
			return 0;
		tg_event_fill(ev, kind_op, verdict, actor, target);
	}
	tg_event_actor(ev);
	return 1;
}

/*
 * After the event of a decision with verdict (sent: what tg_event_submit
 * returned, -1 when nothing was submitted): 1 when the access fails, 0
 * when it goes ahead. Under a grant it goes ahead once its allow event is
 * written (or, this program set not reporting, written by the one that
 * does: see emitter): a grant-covered access is never allowed unlogged.
 * A refusal (deny) of the support actor ends a grant session whose grant
 * ended (tg_grant_session_end); audit mode lets the access through.
 */
__noinline int tg_grant_verdict(__u32 actor, __u32 verdict, int sent)
{
	if (verdict == TG_VERDICT_ALLOW)
		return sent == 0 || !tg_set_reports() ? 0 : 1;
	tg_grant_session_end(actor);
	return verdict != TG_VERDICT_AUDIT;
}

/* Whether the actor's access must fail (enforce) or only be reported (audit).
 */
static __always_inline int tg_denied(const struct tg_tenant *actor)
{
	return !(actor->flags & TG_TENANT_F_AUDIT);
}

#endif /* TG_COMMON_BPF_H */
