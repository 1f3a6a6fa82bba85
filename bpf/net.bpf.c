// SPDX-License-Identifier: GPL-2.0
/*
 * Network isolation through cgroup BPF. Sockets are tagged with their
 * creator's tenant. A tenant may not
 *  - reach (connect, or send to without connecting) a port of this host on
 *    which another tenant's socket is bound, on any local address, nor any
 *    address in another tenant's networks, unless the target lists it in
 *    allow_from;
 *  - bind a port reserved to another tenant, or one another tenant's sockets
 *    hold in the same network namespace, whatever the address;
 *  - use a socket another tenant created.
 * A socket created by a host process and used by a tenant becomes that
 * tenant's.
 */
#include "common.bpf.h"

#include <linux/in.h>
#include <bpf/bpf_endian.h>

#define TG_LOCAL_ADDRS_MAX 4096

/* Creator's tenant of every socket made while the agent runs. */
struct {
	__uint(type, BPF_MAP_TYPE_SK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, struct tg_sock_tag);
} sock_tenant SEC(".maps");

/* Addresses of this host's interfaces as IPv6 (IPv4 mapped), beyond loopback. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, TG_LOCAL_ADDRS_MAX);
	__type(key, __u8[16]);
	__type(value, __u8);
} local_addrs SEC(".maps");

/* Ports held by tenants' bound sockets, per network namespace. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, TG_MAX_PORT_KEYS);
	__type(key, struct tg_bound_key);
	__type(value, struct tg_port_use);
} port_bound SEC(".maps");

/* Per policy slot: (target, caller) pairs of allow_from. */
TG_POLICY_MAP(allow_pairs, struct tg_pair_key, __u8, TG_MAX_ALLOW_PAIRS);

/* Per policy slot: TG_PORT_KEY -> tenant that reserved the port. */
TG_POLICY_MAP_OF(port_reserved, BPF_MAP_TYPE_HASH, BPF_F_NO_PREALLOC, __u32, __u32,
		 TG_MAX_PORT_KEYS);

/* Per policy slot: tenants' networks -> tenant. */
TG_POLICY_MAP_OF(tenant_nets, BPF_MAP_TYPE_LPM_TRIE, BPF_F_NO_PREALLOC,
		 struct tg_net_key, __u32, TG_MAX_NETWORKS);

SEC("cgroup/sock_create")
int tg_sock_create(struct bpf_sock *sk)
{
	const struct tg_tenant *t = tg_current_tenant(tg_policy_slot());
	struct tg_sock_tag *tag;

	tag = bpf_sk_storage_get(&sock_tenant, sk, 0,
				 BPF_SK_STORAGE_GET_F_CREATE);
	if (tag)
		tag->tenant = t ? t->id : TG_TENANT_HOST;
	return 1;
}

/* The tenant that created sk; TG_TENANT_HOST if untagged. Releases sk. */
static __always_inline __u32 tg_sock_owner(struct bpf_sock *sk)
{
	struct tg_sock_tag *tag;
	__u32 owner = TG_TENANT_HOST;

	tag = bpf_sk_storage_get(&sock_tenant, sk, 0, 0);
	if (tag)
		owner = tag->tenant;
	bpf_sk_release(sk);
	return owner;
}

/* Owner of the socket bound to (tuple) for proto in the caller's netns. */
static __always_inline __u32 tg_port_owner(struct bpf_sock_addr *ctx,
					   struct bpf_sock_tuple *tuple,
					   __u32 tuple_len)
{
	struct bpf_sock *sk;

	if (ctx->protocol == IPPROTO_TCP)
		sk = bpf_sk_lookup_tcp(ctx, tuple, tuple_len,
				       BPF_F_CURRENT_NETNS, 0);
	else if (ctx->protocol == IPPROTO_UDP)
		sk = bpf_sk_lookup_udp(ctx, tuple, tuple_len,
				       BPF_F_CURRENT_NETNS, 0);
	else
		return TG_TENANT_HOST;
	if (!sk)
		return TG_TENANT_HOST;
	return tg_sock_owner(sk);
}

/*
 * The destination the kernel will really use for daddr: connecting to
 * 0.0.0.0 goes to the socket's bound source address, or to 127.0.0.1 when
 * it has none (ip_route_connect), so it is checked as that address.
 */
static __always_inline __u32 tg_effective_v4(struct bpf_sock_addr *ctx,
					     __u32 daddr)
{
	struct bpf_sock *sk = ctx->sk;

	if (daddr)
		return daddr;
	if (sk && sk->src_ip4)
		return sk->src_ip4;
	return bpf_htonl(0x7f000001);
}

/* The same for IPv6: :: goes to the bound source address, or to ::1. */
static __always_inline void tg_effective_v6(struct bpf_sock_addr *ctx,
					    __u32 a[4])
{
	struct bpf_sock *sk = ctx->sk;

	if (a[0] || a[1] || a[2] || a[3])
		return;
	if (sk && (sk->src_ip6[0] || sk->src_ip6[1] || sk->src_ip6[2] ||
		   sk->src_ip6[3])) {
		a[0] = sk->src_ip6[0];
		a[1] = sk->src_ip6[1];
		a[2] = sk->src_ip6[2];
		a[3] = sk->src_ip6[3];
		return;
	}
	a[3] = bpf_htonl(1);
}

static __always_inline int tg_local_v4(__u32 daddr)
{
	__u32 mapped[4] = { 0, 0, bpf_htonl(0xffff), daddr };

	if ((bpf_ntohl(daddr) >> 24) == 127)
		return 1;
	return bpf_map_lookup_elem(&local_addrs, mapped) != NULL;
}

static __always_inline int tg_local_v6(const __u32 a[4])
{
	if (!a[0] && !a[1] && !a[2] && a[3] == bpf_htonl(1))
		return 1;
	return bpf_map_lookup_elem(&local_addrs, a) != NULL;
}

/* Whether target lists caller in allow_from. */
static __always_inline int tg_allowed_from(__u32 slot, __u32 target,
					   __u32 caller)
{
	struct tg_pair_key key = { .target = target, .caller = caller };
	void *pairs = bpf_map_lookup_elem(&allow_pairs, &slot);

	return pairs && bpf_map_lookup_elem(pairs, &key);
}

/* The tenant whose networks hold addr (16-byte form), or TG_TENANT_HOST. */
static __always_inline __u32 tg_net_owner(__u32 slot, const __u32 addr[4])
{
	struct tg_net_key key = { .prefixlen = 128 };
	void *nets = bpf_map_lookup_elem(&tenant_nets, &slot);
	__u32 *owner;

	if (!nets)
		return TG_TENANT_HOST;
	__builtin_memcpy(key.addr, addr, 16);
	owner = bpf_map_lookup_elem(nets, &key);
	return owner ? *owner : TG_TENANT_HOST;
}

/*
 * Report one denial of op on ctx's address by actor against owner; the
 * verdict: 0 to refuse (enforce), 1 to let it through (audit).
 */
static __always_inline int tg_net_deny(struct bpf_sock_addr *ctx, __u32 op,
				       const struct tg_tenant *actor, __u32 owner,
				       const __u32 addr[4])
{
	struct tg_event *ev;

	ev = tg_event_begin(TG_KIND_NET, op, actor, owner);
	if (ev) {
		ev->family = ctx->user_family;
		ev->proto = ctx->protocol;
		ev->port = bpf_ntohs(ctx->user_port);
		__builtin_memcpy(ev->addr, addr, 16);
		tg_event_submit(ev);
	}
	return tg_denied(actor) ? 0 : 1;
}

/*
 * The socket's tag against the actor: a host socket becomes the actor's;
 * another tenant's socket is refused (its tenant is returned, else 0).
 */
static __always_inline __u32 tg_foreign_socket(struct bpf_sock *sk,
					       const struct tg_tenant *actor)
{
	struct tg_sock_tag *tag;

	if (!sk)
		return 0;
	tag = bpf_sk_storage_get(&sock_tenant, sk, 0, BPF_SK_STORAGE_GET_F_CREATE);
	if (!tag)
		return 0;
	if (tag->tenant == TG_TENANT_HOST) {
		tag->tenant = actor->id;
		return 0;
	}
	return tag->tenant != actor->id ? tag->tenant : 0;
}

/*
 * Decide whether actor may reach addr (the address as given, 16-byte form)
 * whose effective local form is checked through tuple. Returns the owner
 * that forbids it, or TG_TENANT_HOST.
 */
static __always_inline __u32 tg_reach_owner(struct bpf_sock_addr *ctx, __u32 slot,
					    const struct tg_tenant *actor,
					    const __u32 eff[4], int local,
					    struct bpf_sock_tuple *tuple, __u32 tlen)
{
	__u32 owner;

	owner = tg_net_owner(slot, eff);
	if (owner == TG_TENANT_HOST && local)
		owner = tg_port_owner(ctx, tuple, tlen);
	if (owner == TG_TENANT_HOST || owner == actor->id ||
	    tg_allowed_from(slot, owner, actor->id))
		return TG_TENANT_HOST;
	return owner;
}

static __always_inline int tg_reach4(struct bpf_sock_addr *ctx, __u32 op)
{
	struct bpf_sock_tuple tuple = {};
	const struct tg_tenant *actor;
	__u32 addr[4] = {}, eff[4] = {};
	__u32 owner, slot, dst;

	slot = tg_policy_slot();
	actor = tg_current_tenant(slot);
	if (!actor)
		return 1;
	addr[0] = ctx->user_ip4;	/* as events carry IPv4 */
	owner = tg_foreign_socket(ctx->sk, actor);
	if (owner)
		return tg_net_deny(ctx, op, actor, owner, addr);
	dst = tg_effective_v4(ctx, ctx->user_ip4);
	eff[2] = bpf_htonl(0xffff);
	eff[3] = dst;
	tuple.ipv4.daddr = dst;
	tuple.ipv4.dport = ctx->user_port;
	owner = tg_reach_owner(ctx, slot, actor, eff, tg_local_v4(dst), &tuple,
			       sizeof(tuple.ipv4));
	if (owner == TG_TENANT_HOST)
		return 1;
	return tg_net_deny(ctx, op, actor, owner, addr);
}

static __always_inline int tg_reach6(struct bpf_sock_addr *ctx, __u32 op)
{
	struct bpf_sock_tuple tuple = {};
	const struct tg_tenant *actor;
	__u32 addr[4], eff[4];
	__u32 owner, slot;
	__u32 tlen;
	int local;

	slot = tg_policy_slot();
	actor = tg_current_tenant(slot);
	if (!actor)
		return 1;
	addr[0] = ctx->user_ip6[0];
	addr[1] = ctx->user_ip6[1];
	addr[2] = ctx->user_ip6[2];
	addr[3] = ctx->user_ip6[3];
	owner = tg_foreign_socket(ctx->sk, actor);
	if (owner)
		return tg_net_deny(ctx, op, actor, owner, addr);
	__builtin_memcpy(eff, addr, 16);
	if (!addr[0] && !addr[1] && addr[2] == bpf_htonl(0xffff)) {
		/* IPv4-mapped: the peer is an IPv4 socket. */
		if (!eff[3])
			eff[3] = bpf_htonl(0x7f000001);
		local = tg_local_v4(eff[3]);
		tuple.ipv4.daddr = eff[3];
		tuple.ipv4.dport = ctx->user_port;
		tlen = sizeof(tuple.ipv4);
	} else {
		tg_effective_v6(ctx, eff);
		local = tg_local_v6(eff);
		__builtin_memcpy(tuple.ipv6.daddr, eff, 16);
		tuple.ipv6.dport = ctx->user_port;
		tlen = sizeof(tuple.ipv6);
	}
	owner = tg_reach_owner(ctx, slot, actor, eff, local, &tuple, tlen);
	if (owner == TG_TENANT_HOST)
		return 1;
	return tg_net_deny(ctx, op, actor, owner, addr);
}

SEC("cgroup/connect4")
int tg_connect4(struct bpf_sock_addr *ctx)
{
	return tg_reach4(ctx, TG_OP_CONNECT);
}

SEC("cgroup/connect6")
int tg_connect6(struct bpf_sock_addr *ctx)
{
	return tg_reach6(ctx, TG_OP_CONNECT);
}

/* sendto/sendmsg with an address (UDP without connect). */
SEC("cgroup/sendmsg4")
int tg_sendmsg4(struct bpf_sock_addr *ctx)
{
	return tg_reach4(ctx, TG_OP_SENDMSG);
}

SEC("cgroup/sendmsg6")
int tg_sendmsg6(struct bpf_sock_addr *ctx)
{
	return tg_reach6(ctx, TG_OP_SENDMSG);
}

/*
 * After a successful bind: refuse (the kernel unbinds and fails the call
 * with EPERM) a port reserved to another tenant, or one another tenant's
 * sockets hold in this network namespace; else record the port as held.
 */
static __always_inline int tg_post_bind(struct bpf_sock *sk, const int v4)
{
	struct tg_port_use use = {}, *cur = NULL;
	struct tg_bound_key bk = {};
	const struct tg_tenant *actor;
	struct tg_sock_tag *tag;
	struct tg_event *ev;
	__u32 slot, owner = 0, pk;
	__u32 *res;
	void *reserved;

	if (!sk->src_port ||
	    (sk->protocol != IPPROTO_TCP && sk->protocol != IPPROTO_UDP))
		return 1;
	slot = tg_policy_slot();
	actor = tg_current_tenant(slot);
	if (!actor)
		return 1;
	pk = TG_PORT_KEY(sk->protocol, sk->src_port);
	bk.netns = bpf_get_netns_cookie(sk);
	bk.port = pk;
	tag = bpf_sk_storage_get(&sock_tenant, sk, 0, BPF_SK_STORAGE_GET_F_CREATE);
	if (tag && tag->tenant != TG_TENANT_HOST && tag->tenant != actor->id)
		owner = tag->tenant;
	reserved = bpf_map_lookup_elem(&port_reserved, &slot);
	res = reserved ? bpf_map_lookup_elem(reserved, &pk) : NULL;
	if (!owner && res && *res != actor->id)
		owner = *res;
	if (!owner) {
		/* Claim the port if nobody holds it, then see who does. */
		use.tenant = actor->id;
		bpf_map_update_elem(&port_bound, &bk, &use, BPF_NOEXIST);
		cur = bpf_map_lookup_elem(&port_bound, &bk);
		if (cur && cur->tenant != actor->id) {
			if (cur->count)
				owner = cur->tenant;
			else
				cur->tenant = actor->id;	/* a claim never completed */
		}
	}
	if (owner) {
		ev = tg_event_begin(TG_KIND_NET, TG_OP_BIND, actor, owner);
		if (ev) {
			ev->family = sk->family;
			ev->proto = sk->protocol;
			ev->port = sk->src_port;
			if (v4) {	/* post_bind4 may not read src_ip6 */
				__u32 a4 = sk->src_ip4;

				__builtin_memcpy(ev->addr, &a4, 4);
			} else {
				__u32 a[4] = { sk->src_ip6[0], sk->src_ip6[1],
					       sk->src_ip6[2], sk->src_ip6[3] };

				__builtin_memcpy(ev->addr, a, 16);
			}
			tg_event_submit(ev);
		}
		if (tg_denied(actor))
			return 0;
		return 1;	/* audit: allowed, but not the actor's port */
	}
	if (!tag || !cur)
		return 1;
	if (tag->tenant == TG_TENANT_HOST)
		tag->tenant = actor->id;
	if (tag->bound)
		return 1;
	__sync_fetch_and_add(&cur->count, 1);
	tag->bound = pk;
	tag->netns = bk.netns;
	return 1;
}

SEC("cgroup/post_bind4")
int tg_post_bind4(struct bpf_sock *sk)
{
	return tg_post_bind(sk, 1);
}

SEC("cgroup/post_bind6")
int tg_post_bind6(struct bpf_sock *sk)
{
	return tg_post_bind(sk, 0);
}

/* A socket that held a port is gone: one holder less. */
SEC("cgroup/sock_release")
int tg_sock_release(struct bpf_sock *sk)
{
	struct tg_bound_key bk = {};
	struct tg_sock_tag *tag;
	struct tg_port_use *cur;

	tag = bpf_sk_storage_get(&sock_tenant, sk, 0, 0);
	if (!tag || !tag->bound)
		return 1;
	bk.netns = tag->netns;
	bk.port = tag->bound;
	tag->bound = 0;
	cur = bpf_map_lookup_elem(&port_bound, &bk);
	if (cur && __sync_fetch_and_add(&cur->count, -1) <= 1)
		bpf_map_delete_elem(&port_bound, &bk);
	return 1;
}

char LICENSE[] SEC("license") = "GPL";
