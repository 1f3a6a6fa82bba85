/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Whose a task is: the tenant of its cgroup v2 cgroup, cached in the task's
 * storage with the cgroup and policy generation it was found for (a move
 * to another cgroup or a policy change is seen at once). Shared by
 * bpf/file.bpf.c and bpf/proc.bpf.c: one cache per task (the same map by
 * pin). Needs bpf/proc_types.h and bpf/common.bpf.h.
 */
#ifndef TG_TASK_TENANT_BPF_H
#define TG_TASK_TENANT_BPF_H

/* Per task: the tenant of its cgroup under policy generation gen. */
struct tg_task_tenant {
	__u64 cgid;   /* cgroup the answer is for */
	__u32 gen;    /* policy_gen it was found under */
	__u32 tenant; /* tenant id, TG_TENANT_HOST for none */
	__u32 flags;  /* TG_TENANT_F_* */
	__u32 valid;  /* 1 once filled */
};

struct {
	__uint(type, BPF_MAP_TYPE_TASK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, struct tg_task_tenant);
} task_tenant SEC(".maps");

/* The policy generation in force, or -1 when none is loaded. */
static __always_inline long tg_gen(void)
{
	__u32 zero = 0, *gp;

	gp = bpf_map_lookup_elem(&policy_gen, &zero);
	return gp ? (long)*(volatile __u32 *)gp : -1;
}

/*
 * The tenant of cgroup cg (a task's cgroup v2 cgroup) under slot: as
 * tg_current_tenant finds it, walking down from the root's children.
 */
static __always_inline void tg_cgroup_tenant(struct cgroup *cg, __u32 slot,
					     struct tg_tenant *out)
{
	const struct tg_tenant *t;
	struct cgroup *anc;
	void *cgroups;
	int level, top;
	__u64 id, anc_off;

	out->id = TG_TENANT_HOST;
	out->flags = 0;
	cgroups = bpf_map_lookup_elem(&tenant_cgroups, &slot);
	if (!cgroups || !cg)
		return;
	top = BPF_CORE_READ(cg, level);
	anc_off = bpf_core_field_offset(struct cgroup, ancestors);
	for (level = 1; level <= TG_MAX_CGROUP_LEVEL; level++) {
		if (level > top)
			break;
		anc = NULL;
		bpf_probe_read_kernel(&anc, sizeof(anc),
				      (void *)cg + anc_off +
					      (__u64)level * sizeof(anc));
		if (!anc)
			break;
		id = BPF_CORE_READ(anc, kn, id);
		t = bpf_map_lookup_elem(cgroups, &id);
		if (!t)
			continue;
		*out = *t;
		if (!(t->flags & TG_TENANT_F_PENDING))
			return;
	}
}

/*
 * The tenant of task p (NULL: the current task) into out, from p's cache
 * while its cgroup and the policy are those it was found for. Returns 0,
 * or -1 when no policy is loaded (nothing is checked then).
 */
static __always_inline int tg_task_tenant(struct task_struct *p,
					  struct tg_tenant *out)
{
	struct tg_task_tenant *c;
	const struct tg_tenant *t;
	int current = !p;
	struct cgroup *cg;
	long gen = tg_gen();
	__u64 cgid;

	if (gen < 0)
		return -1;
	if (!current) {
		cgid = BPF_CORE_READ(p, cgroups, dfl_cgrp, kn, id);
	} else {
		p = bpf_get_current_task_btf();
		cgid = bpf_get_current_cgroup_id();
	}
	c = bpf_task_storage_get(&task_tenant, p, 0,
				 BPF_LOCAL_STORAGE_GET_F_CREATE);
	if (c && c->valid && c->cgid == cgid && c->gen == (__u32)gen) {
		out->id = c->tenant;
		out->flags = c->flags;
		return 0;
	}
	if (current) {
		t = tg_current_tenant((__u32)gen & 1);
		out->id = t ? t->id : TG_TENANT_HOST;
		out->flags = t ? t->flags : 0;
	} else {
		cg = BPF_CORE_READ(p, cgroups, dfl_cgrp);
		tg_cgroup_tenant(cg, (__u32)gen & 1, out);
	}
	if (c) {
		c->cgid = cgid;
		c->gen = (__u32)gen;
		c->tenant = out->id;
		c->flags = out->flags;
		c->valid = 1;
	}
	return 0;
}

/*
 * The current task as an actor into out: its tenant (tg_task_tenant), or
 * for a host task of the support staff the support actor. Returns as
 * tg_task_tenant.
 */
static __always_inline int tg_task_actor(struct tg_tenant *out)
{
	__u64 v;
	long gen;

	if (tg_task_tenant(NULL, out))
		return -1;
	if (out->id != TG_TENANT_HOST)
		return 0;
	gen = tg_gen();
	if (gen < 0)
		return 0;
	v = tg_support_actor((__u32)gen & 1);
	out->id = (__u32)v;
	out->flags = (__u32)(v >> 32);
	return 0;
}

/*
 * Whether actor reaches what belongs to target freely: its own, and for
 * the support actor the host's (it is refused only what tenants own).
 */
static __always_inline int tg_reaches(__u32 actor, __u32 target)
{
	return actor == target ||
	       (actor == TG_TENANT_SUPPORT && target == TG_TENANT_HOST);
}

#endif /* TG_TASK_TENANT_BPF_H */
