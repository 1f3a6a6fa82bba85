// SPDX-License-Identifier: GPL-2.0
/*
 * Network isolation through cgroup BPF: sockets are tagged with their
 * creator's tenant, and a tenant may not connect to a port of this host on
 * which another tenant's socket is bound or listening.
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

/* Per policy slot: (target, caller) pairs of allow_from. */
TG_POLICY_MAP(allow_pairs, struct tg_pair_key, __u8, TG_MAX_ALLOW_PAIRS);

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

/* Report and decide a connect by actor to a port owned by owner. */
static __always_inline int tg_connect_verdict(struct bpf_sock_addr *ctx,
					      __u32 slot,
					      const struct tg_tenant *actor,
					      __u32 owner, const __u32 addr[4])
{
	struct tg_event *ev;

	if (owner == TG_TENANT_HOST || owner == actor->id ||
	    tg_allowed_from(slot, owner, actor->id))
		return 1;
	ev = tg_event_begin(TG_KIND_NET, TG_OP_CONNECT, actor, owner);
	if (ev) {
		ev->family = ctx->user_family;
		ev->proto = ctx->protocol;
		ev->port = bpf_ntohs(ctx->user_port);
		__builtin_memcpy(ev->addr, addr, 16);
		tg_event_submit(ev);
	}
	return tg_denied(actor) ? 0 : 1;
}

SEC("cgroup/connect4")
int tg_connect4(struct bpf_sock_addr *ctx)
{
	struct bpf_sock_tuple tuple = {};
	const struct tg_tenant *actor;
	__u32 addr[4] = {};
	__u32 owner, slot, dst;

	slot = tg_policy_slot();
	actor = tg_current_tenant(slot);
	if (!actor)
		return 1;
	addr[0] = ctx->user_ip4;
	dst = tg_effective_v4(ctx, addr[0]);
	if (!tg_local_v4(dst))
		return 1;
	tuple.ipv4.daddr = dst;
	tuple.ipv4.dport = ctx->user_port;
	owner = tg_port_owner(ctx, &tuple, sizeof(tuple.ipv4));
	return tg_connect_verdict(ctx, slot, actor, owner, addr);
}

SEC("cgroup/connect6")
int tg_connect6(struct bpf_sock_addr *ctx)
{
	struct bpf_sock_tuple tuple = {};
	const struct tg_tenant *actor;
	__u32 addr[4], dst[4];
	__u32 owner, slot;
	__u32 tlen;

	slot = tg_policy_slot();
	actor = tg_current_tenant(slot);
	if (!actor)
		return 1;
	addr[0] = ctx->user_ip6[0];
	addr[1] = ctx->user_ip6[1];
	addr[2] = ctx->user_ip6[2];
	addr[3] = ctx->user_ip6[3];
	if (!addr[0] && !addr[1] && addr[2] == bpf_htonl(0xffff)) {
		/* IPv4-mapped: the peer is an IPv4 socket. */
		dst[3] = addr[3] ? addr[3] : bpf_htonl(0x7f000001);
		if (!tg_local_v4(dst[3]))
			return 1;
		tuple.ipv4.daddr = dst[3];
		tuple.ipv4.dport = ctx->user_port;
		tlen = sizeof(tuple.ipv4);
	} else {
		__builtin_memcpy(dst, addr, 16);
		tg_effective_v6(ctx, dst);
		if (!tg_local_v6(dst))
			return 1;
		__builtin_memcpy(tuple.ipv6.daddr, dst, 16);
		tuple.ipv6.dport = ctx->user_port;
		tlen = sizeof(tuple.ipv6);
	}
	owner = tg_port_owner(ctx, &tuple, tlen);
	return tg_connect_verdict(ctx, slot, actor, owner, addr);
}

char LICENSE[] SEC("license") = "GPL";
