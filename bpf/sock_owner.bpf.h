/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Whose a socket is, and whose a task is: shared by net.bpf.c (cgroup
 * programs) and unix.bpf.c (BPF LSM). Include after common.bpf.h and the
 * kernel types the object reads (struct sock with sk_cgrp_data, struct
 * cgroup with level, kn and ancestors).
 *
 * A socket belongs to the tenant of the cgroup the kernel recorded with it
 * when it was made (sk_cgrp_data: its creator's; an accepted connection
 * gets its listener's), unless its tag names another tenant: a host socket
 * a tenant adopted, or a unix connection's server end (its listener's). A
 * tag naming no tenant (TG_TENANT_HOST) defers to the cgroup: tags are
 * made only when needed (a socket holding a port, caching a send verdict,
 * adopted), on sockets already in use, and their tenant is then set by
 * compare-and-swap from TG_TENANT_HOST, to the creator's tenant, or to an
 * adopter only when the creator is the host: so a tenant never adopts
 * another tenant's socket whose tag is being made. A tag never names the
 * pending actor (tg_taggable).
 */
#ifndef TG_SOCK_OWNER_BPF_H
#define TG_SOCK_OWNER_BPF_H

#include <bpf/bpf_endian.h>

#define TG_TENANT_CACHE_MAX 65536

/* Per socket, made only when needed (see above). */
struct {
	__uint(type, BPF_MAP_TYPE_SK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, struct tg_sock_tag);
} sock_tenant SEC(".maps");

/*
 * Changes that can turn an allowed destination into a refused one, counted:
 * [0] by the programs (a tenant took a port or adopted a socket), [1] by
 * the agent (host addresses changed). A verdict cached in a socket's tag
 * holds while both and the policy generation stay as they were.
 */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 2);
	__type(key, __u32);
	__type(value, __u64);
} net_epoch SEC(".maps");

/*
 * TCP connections that tenants' sockets made (the sockops program notes
 * them once the client's port is chosen and forgets them when the client's
 * socket closes), so that the server end, made by the kernel from a
 * listener that may be the host's and accepted later by whoever holds it,
 * knows which tenant is at the other end (struct tg_sock_tag.peer, set by
 * the BPF LSM object as the kernel makes it). conn_origin_on[0] is set by
 * the agent while that object runs: without it nobody reads them.
 */
#define TG_CONN_ORIGIN_MAX 65536

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, TG_CONN_ORIGIN_MAX);
	__type(key, struct tg_conn_key);
	__type(value, __u32);
} conn_origin SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u32);
} conn_origin_on SEC(".maps");

/* An address into a tg_conn_key: IPv4-mapped IPv6 as IPv4. */
static __always_inline void tg_conn_addr(__u32 dst[4], __u32 a0, __u32 a1,
					 __u32 a2, __u32 a3)
{
	if (!a0 && !a1 && a2 == bpf_htonl(0xffff)) {
		dst[0] = a3;
		return;
	}
	dst[0] = a0;
	dst[1] = a1;
	dst[2] = a2;
	dst[3] = a3;
}

static __always_inline void tg_epoch_bump(void)
{
	__u32 zero = 0;
	__u64 *e = bpf_map_lookup_elem(&net_epoch, &zero);

	if (e)
		__sync_fetch_and_add(e, 1);
}

/*
 * Whether a tag may name tenant id: not the pending actor. Its sockets
 * defer to their creator's cgroup, so that they are the new tenant's once
 * that cgroup is registered; a host socket it uses stays the host's. Nor
 * a support actor, whose sockets are the host's.
 */
static __always_inline int tg_taggable(__u32 id)
{
	return id != TG_TENANT_PENDING && id != TG_TENANT_SUPPORT;
}

/* A cgroup's tenant as found for one policy generation. */
struct tg_cg_cached {
	__u32 gen;   /* policy_gen[0] when found */
	__u32 id;    /* tenant id, TG_TENANT_HOST for host cgroups */
	__u32 flags; /* TG_TENANT_F_* */
	__u32 pad;
};

/* cgroup id -> tenant: one lookup instead of one per cgroup level. */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, TG_TENANT_CACHE_MAX);
	__type(key, __u64);
	__type(value, struct tg_cg_cached);
} tenant_cache SEC(".maps");

/* The calling task's tenant and the policy slot it was found in. */
struct tg_actor {
	struct tg_tenant t;
	__u32 slot;
	__u32 gen; /* policy_gen[0] */
	__u64 cg;  /* the task's cgroup id */
};

/* policy_gen[0]: the policy generation in force. */
static __always_inline __u32 tg_gen(void)
{
	__u32 zero = 0, *genp = bpf_map_lookup_elem(&policy_gen, &zero);

	return genp ? *genp : 0;
}

/* Remember cg's tenant t (NULL: the host) for generation gen. */
static __always_inline struct tg_cg_cached
tg_cache_put(__u64 cg, __u32 gen, const struct tg_tenant *t)
{
	struct tg_cg_cached v = {.gen = gen};

	if (t) {
		v.id = t->id;
		v.flags = t->flags;
	}
	bpf_map_update_elem(&tenant_cache, &cg, &v, BPF_ANY);
	return v;
}

/* Fill a with the calling task's tenant; 0 for host tasks. */
static __always_inline int tg_actor(struct tg_actor *a)
{
	struct tg_cg_cached *c, v;
	/* A key on the stack: a may be a global function's argument. */
	__u64 cg = bpf_get_current_cgroup_id();

	a->gen = tg_gen();
	a->slot = a->gen & 1;
	a->cg = cg;
	c = bpf_map_lookup_elem(&tenant_cache, &cg);
	if (!c || c->gen != a->gen) {
		v = tg_cache_put(cg, a->gen, tg_current_tenant(a->slot));
		c = &v;
	}
	a->t.id = c->id;
	a->t.flags = c->flags;
	return c->id != TG_TENANT_HOST;
}

/*
 * tg_actor, and for a host task of the support staff the support actor:
 * for the checks of what a task reaches (connect, send, a socket's use),
 * not of what it may make (socket families, binds), which stay the host's.
 */
static __always_inline int tg_actor_s(struct tg_actor *a)
{
	if (tg_actor(a))
		return 1;
	if (!tg_is_support(a->slot))
		return 0;
	a->t.id = TG_TENANT_SUPPORT;
	a->t.flags = 0;
	return 1;
}

/*
 * The tenant whose root cgroup is cg or one of its ancestors, in policy
 * slot slot, else the pending actor (as tg_current_tenant); NULL for host
 * cgroups. cg is read with probe reads.
 */
static __always_inline const struct tg_tenant *
tg_cgroup_tenant(__u32 slot, struct cgroup *cg)
{
	const struct tg_tenant *t, *pending = NULL;
	struct cgroup *anc;
	void *cgroups;
	int level, i;
	__u64 id;

	cgroups = bpf_map_lookup_elem(&tenant_cgroups, &slot);
	if (!cg || !cgroups)
		return NULL;
	level = BPF_CORE_READ(cg, level);
	for (i = 1; i <= TG_MAX_CGROUP_LEVEL && i <= level; i++) {
		anc = NULL;
		if (bpf_core_read(&anc, sizeof(anc), &cg->ancestors[i]) || !anc)
			break;
		id = BPF_CORE_READ(anc, kn, id);
		t = bpf_map_lookup_elem(cgroups, &id);
		if (!t)
			continue;
		if (!(t->flags & TG_TENANT_F_PENDING))
			return t;
		pending = t;
	}
	return pending;
}

/*
 * The tenant that created socket s (read with probe reads): the tenant of
 * the cgroup the kernel recorded with it. cgid: that cgroup's id if known,
 * else 0; a, if not NULL: the calling task, whose own cgroup needs no
 * lookup.
 */
static __always_inline __u32 tg_creator(__u32 gen, struct sock *s, __u64 cgid,
					const struct tg_actor *a)
{
	struct tg_cg_cached *c, v;
	struct cgroup *cg = NULL;

	if (!cgid) {
		cg = BPF_CORE_READ(s, sk_cgrp_data.cgroup);
		if (!cg)
			return TG_TENANT_HOST;
		cgid = BPF_CORE_READ(cg, kn, id);
	}
	if (a && cgid == a->cg)
		return a->t.id;
	c = bpf_map_lookup_elem(&tenant_cache, &cgid);
	if (c && c->gen == gen)
		return c->id;
	if (!cg)
		cg = BPF_CORE_READ(s, sk_cgrp_data.cgroup);
	v = tg_cache_put(cgid, gen, tg_cgroup_tenant(gen & 1, cg));
	return v.id;
}

#endif /* TG_SOCK_OWNER_BPF_H */
