// SPDX-License-Identifier: GPL-2.0
/*
 * Network isolation through cgroup BPF. A socket belongs to its creator's
 * tenant: the tenant of the cgroup the kernel records with every socket
 * when it is made (sk_cgrp_data; an accepted connection gets its
 * listener's), unless its tag (sock_tenant) names another. A tenant may not
 *  - reach (connect, or send to without connecting) a port of this host on
 *    which another tenant's socket is bound, on any local address, nor any
 *    address in another tenant's networks, unless the target lists it in
 *    allow_from;
 *  - bind a port reserved to another tenant, or one another tenant's sockets
 *    hold in the same network namespace, whatever the address;
 *  - use a socket another tenant created.
 * A socket created by a host process and used by a tenant becomes that
 * tenant's: its tag then names the tenant. Only such adopted sockets, those
 * holding a port and those that cache a send verdict carry a tag: making
 * one costs more than the rest of a connection's checks together. The
 * ports of sockets that existed before the agent started are recorded by
 * the socket iterators at the end of this file. The subflows MPTCP's path
 * manager connects from a kernel worker are judged as their socket's tenant
 * (tg_actor_of), not as the worker's (the host).
 *
 * The kernel runs no sendmsg program for a datagram sent on a connected
 * socket (send, write, splice, io_uring): the egress program checks every
 * UDP datagram of a tenant's socket as it leaves, against the port's
 * holder at that moment (a port free at connect may be taken later).
 *
 * "This host" is the agent's network namespace: what its local routing
 * table delivers here (local_routes, kept by the agent from rtnetlink: every
 * address, and every prefix a local route makes the host's), plus loopback,
 * broadcast and multicast in the caller's own namespace. A caller in
 * another namespace that reaches a host address is checked against the
 * ports held in the agent's namespace. While the table does not fit in
 * local_routes, an address it does not hold may be the host's: a tenant's
 * connect or send to a port there is refused (TG_OWNER_UNKNOWN).
 */
#include "common.bpf.h"
#include "net_types.h"
#include "sock_owner.bpf.h"

#include <linux/errno.h>
#include <linux/in.h>
#include <bpf/bpf_endian.h>
#include <bpf/bpf_tracing.h>

#define TG_DST_ALLOWED_MAX 16384
#define TG_CLAIM_TRIES	   8
#define TG_IPPROTO_MPTCP   262
#define TG_TCP_LISTEN	   10
#define TG_TCP_CLOSE	   7
#define TG_ETH_P_IP	   0x0800
#define TG_ETH_P_IPV6	   0x86dd
#define TG_PF_KTHREAD	   0x00200000

/* Socket families, types and protocols the headers used here lack. */
#define TG_AF_UNIX	     1
#define TG_AF_INET	     2
#define TG_AF_INET6	     10
#define TG_AF_NETLINK	     16
#define TG_AF_ALG	     38
#define TG_SOCK_STREAM	     1
#define TG_IPPROTO_ICMPV6    58
#define TG_NETLINK_ROUTE     0
#define TG_NETLINK_SOCK_DIAG 4
#define TG_NETLINK_AUDIT     9
#define TG_NETLINK_GENERIC   16

/*
 * Entries of port_bound one tenant may hold (ports times network
 * namespaces): a tenant binding every port in namespaces of its own must
 * not fill the map for everyone. Its binds beyond are refused.
 */
#define TG_PORT_QUOTA 8192

/* tg_hold: the port could not be recorded (quota, map full, no tag). */
#define TG_HOLD_FAIL 0xffffffffu

/* Where a destination lives, for the port-owner check. */
enum tg_scope {
	TG_SCOPE_ELSEWHERE, /* not this host: only networks apply */
	TG_SCOPE_OWN_NETNS, /* loopback, broadcast, multicast of the caller's
			       netns */
	TG_SCOPE_HOST,	    /* an address of the agent's netns */
	TG_SCOPE_UNKNOWN,   /* not known: the local table did not fit */
};

/* The agent's network namespace cookie; set by the agent before load. */
const volatile __u64 host_netns = 0;

/* Both net_epoch counters, as one number (see sock_owner.bpf.h). */
static __always_inline __u64 tg_epoch(void)
{
	__u32 k0 = 0, k1 = 1;
	__u64 *e0 = bpf_map_lookup_elem(&net_epoch, &k0);
	__u64 *e1 = bpf_map_lookup_elem(&net_epoch, &k1);

	return (e0 ? *(volatile __u64 *)e0 : 0) +
	       ((e1 ? *(volatile __u64 *)e1 : 0) << 32);
}

/*
 * The local routing table of the agent's netns (see map_abi.h): one more
 * entry than routes, for the ::/0 that marks it incomplete.
 */
struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(max_entries, TG_MAX_LOCAL_ROUTES + 1);
	__type(key, struct tg_net_key);
	__type(value, __u8);
} local_routes SEC(".maps");

/* Ports held by tenants' bound sockets, per network namespace (TG_USE). */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, TG_MAX_PORT_KEYS);
	__type(key, struct tg_bound_key);
	__type(value, __u64);
} port_bound SEC(".maps");

/* Per tenant id: entries of port_bound it holds (TG_PORT_QUOTA). */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, TG_MAX_TENANTS + 1);
	__type(key, __u32);
	__type(value, __u64);
} bound_count SEC(".maps");

/* Per policy slot: (target, caller) pairs of allow_from. */
TG_POLICY_MAP(allow_pairs, struct tg_pair_key, __u8, TG_MAX_ALLOW_PAIRS);

/* Per policy slot: TG_PORT_KEY -> tenant that reserved the port. */
TG_POLICY_MAP_OF(port_reserved, BPF_MAP_TYPE_HASH, BPF_F_NO_PREALLOC, __u32,
		 __u32, TG_MAX_PORT_KEYS);

/* Per policy slot: tenants' networks -> tenant. */
TG_POLICY_MAP_OF(tenant_nets, BPF_MAP_TYPE_LPM_TRIE, BPF_F_NO_PREALLOC,
		 struct tg_net_key, __u32, TG_MAX_NETWORKS);

/* A destination allowed to a tenant: the key of dst_allowed. */
struct tg_dst_key {
	__u32 tenant; /* the caller's tenant */
	__u16 port;   /* network byte order */
	__u8 proto;   /* tg_proto(), 0 if ports are not checked */
	__u8 pad;
	__u64 netns;   /* the caller's netns cookie */
	__u32 addr[4]; /* the destination the kernel will use, 16-byte form */
};

/* When it was allowed; a new value replaces an entry whole. */
struct tg_dst_seen {
	__u64 epoch; /* tg_epoch() then */
	__u32 gen;   /* policy_gen[0] then */
	__u32 pad;
};

/*
 * Destinations allowed lately, per tenant: a connect or send to one of
 * them, while the policy generation and net_epoch are still those it was
 * allowed under, needs none of the owner lookups (networks, the socket on
 * the port). Kept only for destinations no other tenant owns or holds the
 * port of (see tg_dst_owner).
 */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, TG_DST_ALLOWED_MAX);
	__type(key, struct tg_dst_key);
	__type(value, struct tg_dst_seen);
} dst_allowed SEC(".maps");

/*
 * The address of the kernel socket *skp points to, as a plain number: the
 * verifier allows no arithmetic on socket pointers, probe reads need it.
 */
static __always_inline struct sock *tg_sock_addr(void *const *skp)
{
	__u64 addr = 0;

	bpf_probe_read_kernel(&addr, sizeof(addr), skp);
	return (struct sock *)addr;
}

/* The id of the cgroup recorded with TCP socket sk, read directly; 0 if not
 * TCP. */
static __always_inline __u64 tg_tcp_cgroup_id(struct bpf_sock *sk)
{
	struct sock *s = (struct sock *)bpf_skc_to_tcp_sock(sk);
	struct cgroup *cg;

	if (!s)
		return 0;
	cg = s->sk_cgrp_data.cgroup;
	return cg ? cg->kn->id : 0;
}

/*
 * The tenant that created sk, a socket the calling task a uses; tcp: sk
 * may be a TCP socket (a socket pointer, not a program's context), whose
 * cgroup can be read directly.
 */
static __always_inline __u32 tg_sk_creator(struct bpf_sock *sk,
					   const struct tg_actor *a,
					   const int tcp)
{
	__u64 cgid = tcp ? tg_tcp_cgroup_id(sk) : 0;

	if (cgid && cgid == a->cg)
		return a->t.id;
	return tg_creator(a->gen, tg_sock_addr((void *const *)&sk), cgid, a);
}

/* The protocol ports are kept under: MPTCP is TCP; 0 if not checked. */
static __always_inline __u32 tg_proto(__u32 p)
{
	if (p == TG_IPPROTO_MPTCP)
		return IPPROTO_TCP;
	if (p == IPPROTO_TCP || p == IPPROTO_UDP)
		return p;
	return 0;
}

/* The tenant holding pk in netns, or TG_TENANT_HOST. */
static __always_inline __u32 tg_bound_owner(__u64 netns, __u32 pk)
{
	struct tg_bound_key bk = {.netns = netns, .port = pk};
	__u64 *w, v;

	w = bpf_map_lookup_elem(&port_bound, &bk);
	if (!w)
		return TG_TENANT_HOST;
	v = *(volatile __u64 *)w;
	if (!TG_USE_COUNT(v) || TG_USE_COUNT(v) == TG_USE_DYING)
		return TG_TENANT_HOST;
	return TG_USE_TENANT(v);
}

/*
 * One more holder of pk in netns for tenant, atomically: returns 0 once
 * recorded (*held = 1), the tenant that holds it otherwise. Gives up (0,
 * nothing recorded) if the tenant's quota is spent, the map is full or the
 * entry keeps dying; the caller then refuses the port (or, where it
 * cannot, reports it), and verdicts kept for sends and connects are
 * dropped (net_epoch), since the port may receive unrecorded.
 */
static __always_inline __u32 tg_claim(__u64 netns, __u32 pk, __u32 tenant,
				      int *held)
{
	struct tg_bound_key bk = {.netns = netns, .port = pk};
	__u64 fresh = TG_USE(tenant, 1), *w, old, *count;
	int i;

	count = bpf_map_lookup_elem(&bound_count, &tenant);
	for (i = 0; i < TG_CLAIM_TRIES; i++) {
		w = bpf_map_lookup_elem(&port_bound, &bk);
		if (!w) {
			if (!count || *(volatile __u64 *)count >= TG_PORT_QUOTA)
				break;
			/* Inserted in between: look again. */
			if (bpf_map_update_elem(&port_bound, &bk, &fresh,
						BPF_NOEXIST))
				continue;
			__sync_fetch_and_add(count, 1);
			tg_epoch_bump();
			*held = 1;
			return 0;
		}
		old = *(volatile __u64 *)w;
		if (TG_USE_COUNT(old) == TG_USE_DYING)
			continue;
		if (TG_USE_COUNT(old) && TG_USE_TENANT(old) != tenant)
			return TG_USE_TENANT(old);
		if (__sync_val_compare_and_swap(
			    w, old, TG_USE(tenant, TG_USE_COUNT(old) + 1)) ==
		    old) {
			*held = 1;
			return 0;
		}
	}
	tg_epoch_bump();
	return 0;
}

/* One holder of pk in netns fewer; the last one removes the entry. */
static __always_inline void tg_unclaim(__u64 netns, __u32 pk)
{
	struct tg_bound_key bk = {.netns = netns, .port = pk};
	__u64 *w, old, *count;
	__u32 n;
	int i;

	for (i = 0; i < TG_CLAIM_TRIES; i++) {
		w = bpf_map_lookup_elem(&port_bound, &bk);
		if (!w)
			return;
		old = *(volatile __u64 *)w;
		n = TG_USE_COUNT(old);
		if (!n || n == TG_USE_DYING)
			return;
		if (n > 1) {
			if (__sync_val_compare_and_swap(w, old, old - 1) == old)
				return;
			continue;
		}
		/* Claims wait while the entry dies; nobody else removes it. */
		if (__sync_val_compare_and_swap(
			    w, old, TG_USE(TG_USE_TENANT(old), TG_USE_DYING)) ==
		    old) {
			bpf_map_delete_elem(&port_bound, &bk);
			n = TG_USE_TENANT(old);
			count = bpf_map_lookup_elem(&bound_count, &n);
			if (count)
				__sync_fetch_and_add(count, -1);
			return;
		}
	}
}

/*
 * Record that the socket tagged tag holds pk in netns, for tenant. A port
 * it held under another key is given back first: a socket that
 * disconnected (connect to AF_UNSPEC) lost a port the kernel had picked,
 * and was given another one when it bound, listened or sent again. Returns
 * 0, the tenant that holds the port instead, or TG_HOLD_FAIL if it could
 * not be recorded.
 */
static __always_inline __u32 tg_hold(struct tg_sock_tag *tag, __u64 netns,
				     __u32 pk, __u32 tenant)
{
	__u32 owner;
	int held = 0;

	if (tag->bound == pk)
		return 0;
	if (tag->bound) {
		tg_unclaim(tag->netns, tag->bound);
		tag->bound = 0;
	}
	owner = tg_claim(netns, pk, tenant, &held);
	if (held) {
		tag->bound = pk;
		tag->netns = netns;
		return 0;
	}
	return owner ? owner : TG_HOLD_FAIL;
}

/*
 * The tenant other than actor (a tenant) that reserved port for proto's
 * class, or 0; TG_OWNER_UNKNOWN when the policy cannot be read (refused,
 * never "no check").
 */
static __always_inline __u32 tg_reserved_other(__u32 slot, __u32 proto,
					       __u16 port, __u32 actor)
{
	__u32 pk = TG_PORT_KEY(proto, port);
	void *reserved = bpf_map_lookup_elem(&port_reserved, &slot);
	__u32 *res;

	if (!reserved)
		return TG_OWNER_UNKNOWN;
	res = bpf_map_lookup_elem(reserved, &pk);
	if (res && *res != actor)
		return *res;
	return 0;
}

/* The tenant sk belongs to, for the calling task a. Releases sk. */
static __always_inline __u32 tg_sock_owner(struct bpf_sock *sk,
					   const struct tg_actor *a)
{
	struct tg_sock_tag *tag;
	__u32 owner = TG_TENANT_HOST;

	tag = bpf_sk_storage_get(&sock_tenant, sk, 0, 0);
	if (tag)
		owner = tag->tenant;
	if (owner == TG_TENANT_HOST)
		owner = tg_sk_creator(sk, a, 1);
	bpf_sk_release(sk);
	return owner;
}

/* A destination as given (for events) and as the kernel will use it. */
struct tg_dst {
	__u32 addr[4]; /* as given: IPv4 in addr[0] */
	__u32 eff[4];  /* effective, 16-byte form (IPv4 mapped) */
	int v4;	       /* eff is an IPv4 address */
};

/*
 * The socket bound to d's port (network byte order) for proto in the
 * netns of ctx (a sock_addr or skb context): 1 and its owner in *owner if
 * one was found, else 0.
 */
static __always_inline int tg_port_owner(void *ctx, const struct tg_actor *a,
					 const struct tg_dst *d, __u32 proto,
					 __u16 port, __u32 *owner)
{
	struct bpf_sock_tuple tuple = {};
	struct bpf_sock *sk;
	__u32 tlen;

	if (d->v4) {
		tuple.ipv4.daddr = d->eff[3];
		tuple.ipv4.dport = port;
		tlen = sizeof(tuple.ipv4);
	} else {
		__builtin_memcpy(tuple.ipv6.daddr, d->eff, 16);
		tuple.ipv6.dport = port;
		tlen = sizeof(tuple.ipv6);
	}
	if (proto == IPPROTO_TCP)
		sk = bpf_sk_lookup_tcp(ctx, &tuple, tlen, BPF_F_CURRENT_NETNS,
				       0);
	else
		sk = bpf_sk_lookup_udp(ctx, &tuple, tlen, BPF_F_CURRENT_NETNS,
				       0);
	if (!sk)
		return 0;
	*owner = tg_sock_owner(sk, a);
	return 1;
}

/* Whether d is a broadcast or multicast address (delivered to many sockets). */
static __always_inline int tg_fanout(const struct tg_dst *d)
{
	__u32 a = bpf_ntohl(d->eff[3]);

	if (d->v4)
		return (a >> 28) == 0xe || a == 0xffffffff;
	return (bpf_ntohl(d->eff[0]) >> 24) == 0xff;
}

/*
 * Where d goes. A function of its own (verified once, not at each of the
 * connect, send and egress programs' many paths that reach it: connect6
 * went past what the 6.1 verifier walks when it was inlined).
 */
__noinline int tg_scope_of(const struct tg_dst *d)
{
	struct tg_net_key key = {.prefixlen = 128};
	__u8 *local;
	__u32 a;

	if (!d)
		return TG_SCOPE_UNKNOWN;
	a = bpf_ntohl(d->eff[3]);
	if (tg_fanout(d))
		return TG_SCOPE_OWN_NETNS;
	if (d->v4) {
		if ((a >> 24) == 127)
			return TG_SCOPE_OWN_NETNS;
	} else {
		if (!d->eff[0] && !d->eff[1] && !d->eff[2] && a == 1)
			return TG_SCOPE_OWN_NETNS;
	}
	__builtin_memcpy(key.addr, d->eff, 16);
	local = bpf_map_lookup_elem(&local_routes, &key);
	if (!local)
		return TG_SCOPE_ELSEWHERE;
	return *local == TG_LOCAL_ROUTE ? TG_SCOPE_HOST : TG_SCOPE_UNKNOWN;
}

/* Whether target lists caller in allow_from. */
static __always_inline int tg_allowed_from(__u32 slot, __u32 target,
					   __u32 caller)
{
	struct tg_pair_key key = {.target = target, .caller = caller};
	void *pairs = bpf_map_lookup_elem(&allow_pairs, &slot);

	return pairs && bpf_map_lookup_elem(pairs, &key);
}

/*
 * The tenant whose networks hold addr (16-byte form), or TG_TENANT_HOST;
 * TG_OWNER_UNKNOWN when the policy cannot be read (a tenant's access is
 * then refused, never let through unchecked).
 */
static __always_inline __u32 tg_net_owner(__u32 slot, const __u32 addr[4])
{
	struct tg_net_key key = {.prefixlen = 128};
	void *nets = bpf_map_lookup_elem(&tenant_nets, &slot);
	__u32 *owner;

	if (!nets)
		return TG_OWNER_UNKNOWN;
	__builtin_memcpy(key.addr, addr, 16);
	owner = bpf_map_lookup_elem(nets, &key);
	return owner ? *owner : TG_TENANT_HOST;
}

/* Fill an event's network fields and send it. */
static __always_inline void tg_net_submit(struct tg_event *ev, __u32 family,
					  __u32 proto, __u16 port,
					  const void *addr)
{
	ev->family = family;
	ev->proto = proto;
	ev->port = port;
	if (addr)
		__builtin_memcpy(ev->addr, addr, 16);
	tg_event_submit(ev);
}

/* Report op by actor against owner on (family, proto, port, addr). */
static __always_inline void tg_report(const struct tg_tenant *actor, __u32 op,
				      __u32 owner, __u32 family, __u32 proto,
				      __u16 port, const void *addr)
{
	struct tg_event *ev;

	ev = tg_event_begin(TG_KIND_NET, op, actor, owner);
	if (ev)
		tg_net_submit(ev, family, proto, port, addr);
}

/*
 * Sockets tenants may make, decided where they are made: a socket of any
 * other family, type or protocol either carries data between tenants with
 * no hook to check it, or no hook sees its connect. The socket() and
 * socketpair() system calls and io_uring's socket request all pass
 * security_socket_create (the kernel's own sockets, kern, are left), but the
 * cgroup sock_create hook sees inet and inet6 sockets only: that program
 * decides those, tg_socket_family every other family.
 *
 * inet, inet6: TCP and MPTCP streams, UDP datagrams, and ICMP datagram
 * ("ping") sockets, which net.ipv4.ping_group_range still limits. Refused:
 * raw sockets (every protocol; they read every packet of their protocol in
 * the namespace), UDP-Lite, SCTP, DCCP, L2TP over IP and SMC (their
 * connect skips the pre_connect hook), and any protocol not named here.
 */
static __always_inline int tg_inet_allowed(__u32 family, __u32 type,
					   __u32 proto)
{
	if (type == TG_SOCK_STREAM)
		return proto == IPPROTO_TCP || proto == TG_IPPROTO_MPTCP;
	if (type != TG_SOCK_DGRAM)
		return 0;
	return proto == IPPROTO_UDP ||
	       proto == (family == TG_AF_INET ? IPPROTO_ICMP
					      : TG_IPPROTO_ICMPV6);
}

/*
 * Other families: unix (isolated by unix.bpf.c), the kernel crypto API
 * (AF_ALG: each socket talks to the kernel alone), and netlink for
 *  - NETLINK_ROUTE: addresses, links, routes (ip, ss, systemd-networkd);
 *  - NETLINK_SOCK_DIAG: the namespace's sockets (ss);
 *  - NETLINK_GENERIC: nl80211, ethtool, WireGuard, MPTCP paths and more
 *    (systemd-networkd, iw, wg, ethtool);
 *  - NETLINK_AUDIT: login tools (sshd, sudo, PAM) log through it and stop
 *    when it is refused; the kernel takes their records only from the
 *    initial user and PID namespaces, with CAP_AUDIT_WRITE.
 * Each of these reaches another process's socket only with CAP_NET_ADMIN
 * over the namespace (the protocols lack NL_CFG_F_NONROOT_SEND). Refused:
 * AF_PACKET and AF_XDP (every frame of an interface), AF_KEY (messages
 * broadcast between key sockets), AF_VSOCK (virtual machines' and other
 * tenants' vsock services), AF_TIPC, AF_RDS, AF_RXRPC, AF_KCM, AF_SMC,
 * every other family, and every other netlink protocol: NETLINK_USERSOCK
 * carries messages between any two processes, NETLINK_KOBJECT_UEVENT
 * device events between them, NETLINK_NETFILTER copies packets to whoever
 * asks (NFLOG, NFQUEUE), NETLINK_XFRM broadcasts IPsec keys,
 * NETLINK_CONNECTOR every process's fork, exec and exit.
 */
static __always_inline int tg_family_allowed(__u32 family, __u32 proto)
{
	if (family == TG_AF_UNIX || family == TG_AF_INET ||
	    family == TG_AF_INET6 || family == TG_AF_ALG)
		return 1;
	if (family != TG_AF_NETLINK)
		return 0;
	return proto == TG_NETLINK_ROUTE || proto == TG_NETLINK_SOCK_DIAG ||
	       proto == TG_NETLINK_GENERIC || proto == TG_NETLINK_AUDIT;
}

/* Refuse a socket of (family, type, proto) to actor a: 0 to refuse. */
static __always_inline int tg_create_deny(const struct tg_actor *a,
					  __u32 family, __u32 type, __u32 proto)
{
	__u32 addr[4] = {};

	tg_report(&a->t, TG_OP_CREATE, TG_TENANT_HOST, family, proto,
		  (__u16)type, addr);
	return tg_denied(&a->t) ? 0 : 1;
}

SEC("cgroup/sock_create")
int tg_sock_create(struct bpf_sock *sk)
{
	struct tg_actor a;

	if (tg_inet_allowed(sk->family, sk->type, sk->protocol) ||
	    !tg_actor(&a))
		return 1;
	return tg_create_deny(&a, sk->family, sk->type, sk->protocol);
}

SEC("fmod_ret/security_socket_create")
int BPF_PROG(tg_socket_family, int family, int type, int protocol, int kern,
	     int ret)
{
	struct tg_actor a;

	if (ret || kern || tg_family_allowed(family, protocol) || !tg_actor(&a))
		return ret;
	return tg_create_deny(&a, family, type, protocol) ? 0 : -EPERM;
}

/*
 * Report one denial of op on ctx's address by actor against owner; the
 * verdict: 0 to refuse (enforce), 1 to let it through (audit).
 */
static __always_inline int tg_net_deny(struct bpf_sock_addr *ctx, __u32 op,
				       const struct tg_tenant *actor,
				       __u32 owner, const __u32 addr[4])
{
	tg_report(actor, op, owner, ctx->user_family, ctx->protocol,
		  bpf_ntohs(ctx->user_port), addr);
	return tg_denied(actor) ? 0 : 1;
}

/*
 * op on ctx's address allowed to the support actor under a grant of owner's
 * (tg_grant_check): its event, verdict allow, never held back by a rate
 * limit. Returns 1 to let it through, 0 to refuse it when the event could
 * not be written: no access under a grant goes unlogged. Not remembered
 * (dst_allowed, the tag's last destination): each connect and datagram is
 * checked again, so the grant's end holds at once.
 */
static __always_inline int tg_net_grant(struct bpf_sock_addr *ctx, __u32 op,
					__u32 owner, const __u32 addr[4])
{
	struct tg_event *ev;
	__u32 zero = 0;

	if (!tg_set_reports())
		return 1; /* the set that reports decides and logs it */
	ev = bpf_map_lookup_elem(&event_scratch, &zero);
	if (!ev)
		return 0;
	tg_grant_event(ev, (__u64)TG_KIND_NET << 32 | op, owner);
	tg_event_actor(ev);
	ev->family = ctx->user_family;
	ev->proto = ctx->protocol;
	ev->port = bpf_ntohs(ctx->user_port);
	__builtin_memcpy(ev->addr, addr, 16);
	return tg_event_submit(ev) == 0;
}

/*
 * The socket sk against the calling task a: returns the tenant sk belongs
 * to if that is another tenant, else 0. A host socket becomes a's: it gets
 * a tag naming a (its ports change hands). *tagp: sk's tag if it has one;
 * with want_tag, one is made for a socket of a's that has none (NULL if it
 * cannot be). tcp: see tg_sk_creator.
 *
 * A tag naming no tenant (TG_TENANT_HOST) is one just made: its tenant is
 * set by compare-and-swap, from the host to the creator's tenant, or to
 * the adopter only when the creator is the host, so a tenant can never
 * adopt another tenant's socket whose tag is being made.
 */
static __always_inline __u32 tg_foreign_socket(void *sk,
					       const struct tg_actor *a,
					       struct tg_sock_tag **tagp,
					       int want_tag, const int tcp)
{
	struct tg_sock_tag *tag;
	__u32 owner = TG_TENANT_HOST, old;

	*tagp = NULL;
	if (!sk)
		return 0;
	tag = bpf_sk_storage_get(&sock_tenant, sk, 0, 0);
	if (tag)
		owner = tag->tenant;
	if (owner == TG_TENANT_HOST) {
		owner = tg_sk_creator(sk, a, tcp);
		if (owner == TG_TENANT_HOST)
			want_tag = 1; /* the actor adopts it */
	}
	if (owner != TG_TENANT_HOST && owner != a->t.id)
		return owner;
	if (!tag && want_tag)
		tag = bpf_sk_storage_get(&sock_tenant, sk, 0,
					 BPF_SK_STORAGE_GET_F_CREATE);
	if (!tag)
		return 0;
	*tagp = tag;
	if (tag->tenant != TG_TENANT_HOST || !tg_taggable(a->t.id))
		return 0; /* a's already, or left to its creator's cgroup */
	old = __sync_val_compare_and_swap(&tag->tenant, TG_TENANT_HOST,
					  a->t.id);
	if (old == TG_TENANT_HOST) {
		if (owner == TG_TENANT_HOST)
			tg_epoch_bump(); /* adopted: its ports change hands */
		return 0;
	}
	return old != a->t.id ? old : 0; /* another tenant adopted it first */
}

/*
 * A kernel-assigned port of a UDP socket sending without connect (autobind
 * happens before this hook), or a new one after a disconnect: record it
 * like a bound one. Returns the tenant that holds or reserved it instead,
 * TG_HOLD_FAIL if it cannot be recorded (no tag, quota), or 0.
 */
static __always_inline __u32 tg_autobound(struct bpf_sock_addr *ctx,
					  const struct tg_actor *a,
					  struct tg_sock_tag *tag, __u32 proto)
{
	struct bpf_sock *sk = ctx->sk;
	__u32 owner;
	__u16 port;

	/* The support actor's sockets are the host's: never held. */
	if (!sk || proto != IPPROTO_UDP || a->t.id == TG_TENANT_SUPPORT)
		return 0;
	port = sk->src_port;
	if (!port || (tag && tag->bound == TG_PORT_KEY(proto, port)))
		return 0;
	if (!tag)
		return TG_HOLD_FAIL;
	owner = tg_reserved_other(a->slot, proto, port, a->t.id);
	if (owner)
		return owner;
	return tg_hold(tag, bpf_get_netns_cookie(ctx), TG_PORT_KEY(proto, port),
		       a->t.id);
}

/*
 * The verdict cached in a socket's tag (see map_abi.h): whether the last
 * datagram allowed went to eff:port too, and nothing changed since
 * (policy generation, net_epoch). cg: the cgroup the sender must be in, 0
 * to skip that test (the egress program: the socket's tenant decides); an
 * entry kept with cgroup 0 (a datagram the sendmsg program audited) serves
 * the egress program only. Written by several CPUs at once (the egress
 * program holds no socket lock), so read and written under seen_seq.
 */
static __always_inline int tg_seen(struct tg_sock_tag *tag, const __u32 eff[4],
				   __u32 port, __u32 gen, __u64 epoch, __u64 cg)
{
	volatile struct tg_sock_tag *t = tag;
	const volatile __u32 *seen = (const volatile __u32 *)t->seen_addr;
	__u32 seq = t->seen_seq;
	int hit;

	if (seq & 1)
		return 0;
	asm volatile("" ::: "memory");
	hit = t->seen_port == port && seen[0] == eff[0] && seen[1] == eff[1] &&
	      seen[2] == eff[2] && seen[3] == eff[3] && t->seen_gen == gen &&
	      t->seen_epoch == epoch && (!cg || t->seen_cgroup == cg);
	asm volatile("" ::: "memory");
	return hit && t->seen_seq == seq;
}

static __always_inline void tg_seen_put(struct tg_sock_tag *tag,
					const __u32 eff[4], __u32 port,
					__u32 gen, __u64 epoch, __u64 cg)
{
	volatile struct tg_sock_tag *t = tag;
	__u32 seq = t->seen_seq;

	if ((seq & 1) ||
	    __sync_val_compare_and_swap(&tag->seen_seq, seq, seq + 1) != seq)
		return; /* another CPU writes it: keep that one */
	asm volatile("" ::: "memory");
	__builtin_memcpy((void *)tag->seen_addr, eff, 16);
	t->seen_port = port;
	t->seen_gen = gen;
	t->seen_epoch = epoch;
	t->seen_cgroup = cg;
	asm volatile("" ::: "memory");
	t->seen_seq = seq + 2;
}

/*
 * The tenant socket sk belongs to, as an actor: its tag's tenant, else its
 * creator's (cgid: the id of the cgroup recorded with it). For the
 * programs where no task decides: the egress program, and the subflows
 * MPTCP opens from a kernel thread (tg_actor_of). 0 for host sockets.
 */
static __always_inline int tg_sock_actor(struct bpf_sock *sk,
					 const struct tg_sock_tag *tag,
					 __u32 gen, __u64 cgid,
					 struct tg_actor *a)
{
	struct tg_cg_cached *c;

	a->gen = gen;
	a->slot = gen & 1;
	a->cg = cgid;
	a->t.id = tg_creator(gen, tg_sock_addr((void *const *)&sk), cgid, NULL);
	c = bpf_map_lookup_elem(&tenant_cache, &cgid);
	a->t.flags = c && c->gen == gen && c->id == a->t.id ? c->flags : 0;
	if (tag && tag->tenant != TG_TENANT_HOST && tag->tenant != a->t.id) {
		/* Adopted: its tenant's mode is not known here. */
		a->t.id = tag->tenant;
		a->t.flags = 0;
	}
	return a->t.id != TG_TENANT_HOST;
}

/*
 * Fill a with the actor of a connect, send or bind on ctx's socket: the
 * calling task, unless that is a kernel thread and the socket an MPTCP
 * subflow. The in-kernel path manager opens a connection's further
 * subflows from a worker (mptcp_worker -> __mptcp_subflow_connect ->
 * kernel_connect), in the root cgroup, and gives each the cgroup of its
 * MPTCP socket (mptcp_attach_cgroup): the socket decides then, as at
 * egress. Every other kernel socket (NFS, SMB, ...) stays the kernel
 * thread's: the host's. 0 for host actors. A function of its own, for the
 * 6.1 verifier (see tg_scope_of): the paths after it are walked once, not
 * once for each way the actor was found.
 */
__noinline int tg_actor_of(struct bpf_sock_addr *ctx, struct tg_actor *a)
{
	struct task_struct___net *task = (void *)bpf_get_current_task();
	struct bpf_sock *sk = ctx->sk;
	unsigned int flags = 0;
	struct tcp_sock *tp;

	if (!a)
		return 0;
	if (sk && bpf_core_field_exists(struct tcp_sock, is_mptcp))
		bpf_core_read(&flags, sizeof(flags), &task->flags);
	if (!(flags & TG_PF_KTHREAD))
		return tg_actor_s(a);
	tp = bpf_skc_to_tcp_sock(sk);
	if (!tp || !tp->is_mptcp)
		return tg_actor(a);
	return tg_sock_actor(sk, bpf_sk_storage_get(&sock_tenant, sk, 0, 0),
			     tg_gen(), tg_tcp_cgroup_id(sk), a);
}

/*
 * Whether the task's last send on its socket went to the destination d
 * too, from the same cgroup (so the same tenant, whose socket it is), and
 * nothing changed since: allowed again with no other lookup.
 */
static __always_inline int tg_sent_before(struct bpf_sock_addr *ctx,
					  const struct tg_dst *d)
{
	struct tg_sock_tag *tag;

	if (!ctx->sk)
		return 0;
	tag = bpf_sk_storage_get(&sock_tenant, ctx->sk, 0, 0);
	return tag && tg_seen(tag, d->eff, ctx->user_port, tg_gen(), tg_epoch(),
			      bpf_get_current_cgroup_id());
}

/*
 * The tenant that owns d (proto: tg_proto's; port: network byte order)
 * for a, reaching it from netns: the tenant whose networks hold it, else
 * the one whose socket is bound to its port on this host; TG_TENANT_HOST
 * if none; TG_OWNER_UNKNOWN if d may be this host's but the local table
 * did not fit in local_routes (refused). Where no socket is found (none bound
 * there, or one bound to a device: lookups from sock_addr programs see no
 * device), and where the kernel delivers to every socket on the port
 * (broadcast, multicast; also those of the host's namespace when sent from
 * another), the tenant that holds the port decides. *cacheable: whether a
 * verdict that allows it may be kept: no other tenant's network, and no other
 * tenant holding the port in the namespaces checked, even on another address or
 * not receiving yet (it might start to without a new claim: a UDP socket that
 * disconnects, a bound socket that listens).
 */
static __always_inline __u32 tg_dst_owner(void *ctx, const struct tg_actor *a,
					  const struct tg_dst *d, __u32 proto,
					  __u16 port, __u64 netns,
					  int *cacheable)
{
	__u32 owner, held, pk = TG_PORT_KEY(proto, bpf_ntohs(port));
	enum tg_scope scope;
	int fanout;

	*cacheable = 0;
	owner = tg_net_owner(a->slot, d->eff);
	if (owner != TG_TENANT_HOST || !proto) {
		*cacheable = owner == TG_TENANT_HOST || owner == a->t.id;
		return owner;
	}
	scope = tg_scope_of(d);
	if (scope == TG_SCOPE_ELSEWHERE) {
		*cacheable = 1;
		return owner;
	}
	if (scope == TG_SCOPE_UNKNOWN)
		return TG_OWNER_UNKNOWN; /* fail closed, never kept */
	if (scope == TG_SCOPE_HOST && netns != host_netns) {
		owner = tg_bound_owner(host_netns, pk);
		held = owner;
	} else {
		fanout = tg_fanout(d);
		held = tg_bound_owner(netns, pk);
		if (!tg_port_owner(ctx, a, d, proto, port, &owner) ||
		    (fanout && (owner == TG_TENANT_HOST || owner == a->t.id)))
			owner = held;
		if (fanout && netns != host_netns &&
		    (owner == TG_TENANT_HOST || owner == a->t.id)) {
			held = tg_bound_owner(host_netns, pk);
			owner = held;
		}
	}
	*cacheable = (owner == TG_TENANT_HOST || owner == a->t.id) &&
		     (held == TG_TENANT_HOST || held == a->t.id);
	return owner;
}

/*
 * The tenant other than a's that d belongs to and that does not let a in
 * (allow_from), or 0. Destinations allowed lately (dst_allowed) need no
 * other lookup. *cacheable: see tg_dst_owner.
 */
static __always_inline __u32 tg_dst_refused(void *ctx, const struct tg_actor *a,
					    const struct tg_dst *d, __u32 proto,
					    __u16 port, __u64 netns,
					    __u64 epoch, int *cacheable)
{
	struct tg_dst_key key = {};
	struct tg_dst_seen *seen, now = {.epoch = epoch, .gen = a->gen};
	__u32 owner;

	key.tenant = a->t.id;
	key.port = port;
	key.proto = proto;
	key.netns = netns;
	__builtin_memcpy(key.addr, d->eff, 16);
	seen = bpf_map_lookup_elem(&dst_allowed, &key);
	if (seen && seen->epoch == now.epoch && seen->gen == now.gen) {
		*cacheable = 1;
		return 0;
	}
	owner = tg_dst_owner(ctx, a, d, proto, port, netns, cacheable);
	if (owner != TG_TENANT_HOST && owner != a->t.id &&
	    !tg_allowed_from(a->slot, owner, a->t.id))
		return owner;
	if (*cacheable)
		bpf_map_update_elem(&dst_allowed, &key, &now, BPF_ANY);
	return 0;
}

/*
 * Decide whether the calling task (for an MPTCP subflow a kernel thread
 * connects, its socket: tg_actor_of) may reach d by op.
 */
static __always_inline int tg_reach(struct bpf_sock_addr *ctx, __u32 op,
				    const struct tg_dst *d)
{
	struct tg_sock_tag *tag;
	struct tg_actor a = {}; /* initialised: a global function reads it */
	__u32 owner, proto;
	int cacheable = 0;
	__u64 epoch;

	/* Datagrams to the destination allowed last time: nothing changed. */
	if (op == TG_OP_SENDMSG && tg_sent_before(ctx, d))
		return 1;
	if (!tg_actor_of(ctx, &a))
		return 1;
	/* A send needs the tag to remember the destination. */
	owner = tg_foreign_socket(ctx->sk, &a, &tag, op == TG_OP_SENDMSG, 1);
	if (owner)
		return tg_net_deny(ctx, op, &a.t, owner, d->addr);
	proto = tg_proto(ctx->protocol);
	epoch = tg_epoch();
	owner = tg_dst_refused(ctx, &a, d, proto, ctx->user_port,
			       bpf_get_netns_cookie(ctx), epoch, &cacheable);
	if (owner && tg_grant_check(a.t.id, owner, TG_GRANT_CONNECT)) {
		if (!tg_net_grant(ctx, op, owner, d->addr))
			return 0;
		owner = 0;
		cacheable = 0;
	}
	if (owner) {
		/* Audited here: the egress program need not report it again. */
		if (op == TG_OP_SENDMSG && tag && !tg_denied(&a.t))
			tg_seen_put(tag, d->eff, ctx->user_port, a.gen, epoch,
				    0);
		return tg_net_deny(ctx, op, &a.t, owner, d->addr);
	}
	if (op != TG_OP_SENDMSG)
		return 1;
	owner = tg_autobound(ctx, &a, tag, proto);
	if (!owner) {
		if (tag && cacheable)
			tg_seen_put(tag, d->eff, ctx->user_port, a.gen, epoch,
				    a.cg);
		return 1;
	}
	{
		__u32 src[4] = {};

		tg_report(&a.t, TG_OP_BIND,
			  owner == TG_HOLD_FAIL ? TG_TENANT_HOST : owner,
			  ctx->user_family, ctx->protocol,
			  ctx->sk ? ctx->sk->src_port : 0, src);
	}
	return tg_denied(&a.t) ? 0 : 1;
}

/*
 * The destination the kernel will really use: connecting to 0.0.0.0 goes
 * to the socket's bound source address, or to 127.0.0.1 when it has none
 * (ip_route_connect); a datagram to 0.0.0.0 to its source address, which
 * IP_PKTINFO's ipi_spec_dst may set (msg_src_ip4; the bound one if not).
 */
static __always_inline int tg_reach4(struct bpf_sock_addr *ctx, __u32 op)
{
	struct bpf_sock *sk = ctx->sk;
	struct tg_dst d = {};
	__u32 dst = ctx->user_ip4;

	d.addr[0] = dst;
	if (!dst) {
		if (op == TG_OP_SENDMSG)
			dst = ctx->msg_src_ip4;
		else if (sk)
			dst = sk->src_ip4;
		if (!dst)
			dst = bpf_htonl(0x7f000001);
	}
	d.eff[2] = bpf_htonl(0xffff);
	d.eff[3] = dst;
	d.v4 = 1;
	return tg_reach(ctx, op, &d);
}

/*
 * IPv6: :: is ::1 to the kernel, whatever the source (the BSD rule in
 * tcp_v6_connect, ip6_datagram_connect, udpv6_sendmsg); a connect from a
 * socket bound to an IPv4-mapped address goes to ::ffff:127.0.0.1
 * instead. ::ffff:0.0.0.0 is IPv4's 0.0.0.0 (see tg_reach4).
 */
static __always_inline int tg_reach6(struct bpf_sock_addr *ctx, __u32 op)
{
	struct bpf_sock *sk = ctx->sk;
	struct tg_dst d = {};
	__u32 s[4] = {};
	int mapped_src;

	d.addr[0] = ctx->user_ip6[0];
	d.addr[1] = ctx->user_ip6[1];
	d.addr[2] = ctx->user_ip6[2];
	d.addr[3] = ctx->user_ip6[3];
	__builtin_memcpy(d.eff, d.addr, 16);
	if (sk) {
		s[0] = sk->src_ip6[0];
		s[1] = sk->src_ip6[1];
		s[2] = sk->src_ip6[2];
		s[3] = sk->src_ip6[3];
	}
	mapped_src = !s[0] && !s[1] && s[2] == bpf_htonl(0xffff);
	if (!d.addr[0] && !d.addr[1] && d.addr[2] == bpf_htonl(0xffff)) {
		/* IPv4-mapped: the peer is reached over IPv4. */
		d.v4 = 1;
		if (!d.eff[3])
			d.eff[3] = mapped_src && s[3] ? s[3]
						      : bpf_htonl(0x7f000001);
	} else if (!d.addr[0] && !d.addr[1] && !d.addr[2] && !d.addr[3]) {
		if (op != TG_OP_SENDMSG && mapped_src) {
			d.v4 = 1;
			d.eff[2] = bpf_htonl(0xffff);
			d.eff[3] = bpf_htonl(0x7f000001);
		} else {
			d.eff[3] = bpf_htonl(1);
		}
	}
	return tg_reach(ctx, op, &d);
}

SEC("cgroup/connect4")
int tg_connect4(struct bpf_sock_addr *ctx)
{
#ifdef TG_BUILD_VARIANT
	/* The upgrade tests' other build: this program differs, no other. */
	volatile __u32 variant = TG_BUILD_VARIANT;

	(void)variant;
#endif
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
 * Before the kernel binds a port: refuse one reserved to another tenant or
 * held by another tenant's sockets in this netns, for any address. Checking
 * here (and not only after the bind) refuses with EPERM and an event where
 * the kernel would say EADDRINUSE (0.0.0.0:P while 127.0.0.1:P is held).
 * An MPTCP subflow a kernel thread binds is its socket's (tg_actor_of).
 */
static __always_inline int tg_bind(struct bpf_sock_addr *ctx,
				   const __u32 addr[4])
{
	__u16 port = bpf_ntohs(ctx->user_port);
	__u32 proto = tg_proto(ctx->protocol), owner;
	struct tg_sock_tag *tag;
	struct tg_actor a = {}; /* initialised: a global function reads it */

	if (!port || !proto || !tg_actor_of(ctx, &a))
		return 1;
	owner = tg_foreign_socket(ctx->sk, &a, &tag, 0, 1);
	if (!owner)
		owner = tg_reserved_other(a.slot, proto, port, a.t.id);
	if (!owner) {
		owner = tg_bound_owner(bpf_get_netns_cookie(ctx),
				       TG_PORT_KEY(proto, port));
		if (owner == a.t.id)
			owner = 0;
	}
	if (!owner)
		return 1;
	return tg_net_deny(ctx, TG_OP_BIND, &a.t, owner, addr);
}

SEC("cgroup/bind4")
int tg_bind4(struct bpf_sock_addr *ctx)
{
	__u32 addr[4] = {ctx->user_ip4};

	return tg_bind(ctx, addr);
}

SEC("cgroup/bind6")
int tg_bind6(struct bpf_sock_addr *ctx)
{
	__u32 addr[4] = {ctx->user_ip6[0], ctx->user_ip6[1], ctx->user_ip6[2],
			 ctx->user_ip6[3]};

	return tg_bind(ctx, addr);
}

/*
 * After a successful bind (also of port 0, with the port the kernel chose):
 * record the port as held by the actor, atomically, so that of two tenants
 * binding one port at once only one succeeds; refuse (the kernel unbinds and
 * fails the call with EPERM) a port reserved to another tenant or held by
 * another tenant's sockets in this network namespace, on any address (also
 * one the kernel picked: it knows nothing of holders on other addresses),
 * and a port that cannot be recorded (the tenant's quota spent, no room
 * for the socket's tag): the event then names no target tenant.
 */
static __always_inline int tg_post_bind(struct bpf_sock *sk, const int v4)
{
	__u32 proto = tg_proto(sk->protocol), owner = 0;
	__u32 addr[4] = {};
	struct tg_sock_tag *tag;
	struct tg_actor a;
	__u16 port;

	port = sk->src_port;
	if (!port || !proto || !tg_actor(&a))
		return 1;
	/* The tag records the port held. */
	owner = tg_foreign_socket(sk, &a, &tag, 1, 0);
	if (!owner)
		owner = tg_reserved_other(a.slot, proto, port, a.t.id);
	if (!owner)
		owner = tag ? tg_hold(tag, bpf_get_netns_cookie(sk),
				      TG_PORT_KEY(proto, port), a.t.id)
			    : TG_HOLD_FAIL;
	if (!owner)
		return 1;
	if (owner == TG_HOLD_FAIL)
		owner = TG_TENANT_HOST;
	if (v4) { /* post_bind4 may not read src_ip6 */
		addr[0] = sk->src_ip4;
	} else {
		addr[0] = sk->src_ip6[0];
		addr[1] = sk->src_ip6[1];
		addr[2] = sk->src_ip6[2];
		addr[3] = sk->src_ip6[3];
	}
	tg_report(&a.t, TG_OP_BIND, owner, sk->family, sk->protocol, port,
		  addr);
	return tg_denied(&a.t) ? 0 : 1;
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

/*
 * listen() without bind(), or again after a disconnect gave the port
 * back: the kernel chose the port. Record it for the socket's tenant. This
 * hook cannot refuse; a port reserved to or held by another tenant
 * (possible only in a netns where the agent does not keep
 * ip_local_reserved_ports), or one that cannot be recorded (target
 * tenant: none), is reported with verdict audit.
 */
/* The connection skops is about, as its client (this end) made it. */
static __always_inline void tg_conn_key_of(const struct bpf_sock_ops *skops,
					   struct tg_conn_key *k)
{
	if (skops->family == TG_AF_INET6) {
		tg_conn_addr(k->caddr, skops->local_ip6[0], skops->local_ip6[1],
			     skops->local_ip6[2], skops->local_ip6[3]);
		tg_conn_addr(k->saddr, skops->remote_ip6[0],
			     skops->remote_ip6[1], skops->remote_ip6[2],
			     skops->remote_ip6[3]);
	} else {
		k->caddr[0] = skops->local_ip4;
		k->saddr[0] = skops->remote_ip4;
	}
	k->cport = (__u16)skops->local_port;
	k->sport = (__u16)bpf_ntohl(skops->remote_port);
}

/*
 * A TCP connection is being made (its port chosen): note its tenant for the
 * server end (see conn_origin), and watch the socket's states to forget it
 * when it closes.
 */
static __always_inline void tg_conn_note(struct bpf_sock_ops *skops)
{
	struct tg_conn_key k = {};
	struct tg_sock_tag *tag;
	struct bpf_sock *sk;
	__u32 zero = 0, *on, t = TG_TENANT_HOST;

	on = bpf_map_lookup_elem(&conn_origin_on, &zero);
	sk = skops->sk;
	if (!on || !*on || !sk)
		return;
	tag = bpf_sk_storage_get(&sock_tenant, sk, 0, 0);
	if (tag)
		t = tag->tenant;
	if (t == TG_TENANT_HOST)
		t = tg_creator(tg_gen(), tg_sock_addr((void *const *)&sk),
			       tg_tcp_cgroup_id(sk), NULL);
	if (t == TG_TENANT_HOST)
		return;
	tg_conn_key_of(skops, &k);
	if (bpf_map_update_elem(&conn_origin, &k, &t, BPF_ANY) == 0)
		bpf_sock_ops_cb_flags_set(skops,
					  skops->bpf_sock_ops_cb_flags |
						  BPF_SOCK_OPS_STATE_CB_FLAG);
}

SEC("sockops")
int tg_sockops(struct bpf_sock_ops *skops)
{
	__u32 owner = TG_HOLD_FAIL, actor = TG_TENANT_HOST, gen, old;
	struct tg_conn_key k = {};
	struct tg_sock_tag *tag;
	struct tg_event *ev;
	struct bpf_sock *sk;
	__u16 port;

	if (skops->op == BPF_SOCK_OPS_TCP_CONNECT_CB) {
		tg_conn_note(skops);
		return 1;
	}
	/* Only sockets tg_conn_note noted get state changes. */
	if (skops->op == BPF_SOCK_OPS_STATE_CB) {
		if (skops->args[1] == TG_TCP_CLOSE) {
			tg_conn_key_of(skops, &k);
			bpf_map_delete_elem(&conn_origin, &k);
		}
		return 1;
	}
	if (skops->op != BPF_SOCK_OPS_TCP_LISTEN_CB)
		return 1;
	sk = skops->sk;
	if (!sk)
		return 1;
	port = (__u16)skops->local_port;
	tag = bpf_sk_storage_get(&sock_tenant, sk, 0, 0);
	if (tag && tag->bound == TG_PORT_KEY(IPPROTO_TCP, port))
		return 1;
	gen = tg_gen();
	if (tag)
		actor = tag->tenant;
	if (actor == TG_TENANT_HOST)
		actor = tg_creator(gen, tg_sock_addr((void *const *)&sk),
				   tg_tcp_cgroup_id(sk), NULL);
	if (actor == TG_TENANT_HOST)
		return 1;
	if (!tag)
		tag = bpf_sk_storage_get(&sock_tenant, sk, 0,
					 BPF_SK_STORAGE_GET_F_CREATE);
	if (tag) {
		old = tg_taggable(actor)
			      ? __sync_val_compare_and_swap(
					&tag->tenant, TG_TENANT_HOST, actor)
			      : TG_TENANT_HOST;
		if (old != TG_TENANT_HOST)
			actor = old;
		owner = tg_reserved_other(gen & 1, IPPROTO_TCP, port, actor);
		if (!owner)
			owner = tg_hold(tag, bpf_get_netns_cookie(skops),
					TG_PORT_KEY(IPPROTO_TCP, port), actor);
	}
	if (!owner)
		return 1;
	/* No task helpers here on 6.1: the event carries no pid or comm. */
	if (owner == TG_HOLD_FAIL)
		owner = TG_TENANT_HOST;
	ev = tg_event_begin_notask(TG_KIND_NET, TG_OP_LISTEN, TG_VERDICT_AUDIT,
				   actor, owner);
	if (ev)
		tg_net_submit(ev, skops->family, IPPROTO_TCP, port, NULL);
	return 1;
}

/* A socket that held a port is gone: one holder less. */
SEC("cgroup/sock_release")
int tg_sock_release(struct bpf_sock *sk)
{
	struct tg_sock_tag *tag;

	tag = bpf_sk_storage_get(&sock_tenant, sk, 0, 0);
	if (!tag || !tag->bound)
		return 1;
	tg_unclaim(tag->netns, tag->bound);
	tag->bound = 0;
	return 1;
}

/* Where a datagram leaving through the egress program goes. */
struct tg_udp_dst {
	struct tg_dst d;
	__u16 port;   /* UDP destination port, network byte order; 0: ICMP */
	__u16 family; /* AF_INET or AF_INET6 */
	__u8 icmp;    /* an ICMP or ICMPv6 message (a ping socket's) */
};

/*
 * Offset of the UDP (or ICMP: u->icmp) header of an IPv4 packet at the
 * skb's start; <0 if none.
 */
static __always_inline int tg_udp4(struct __sk_buff *skb, struct tg_udp_dst *u)
{
	__u8 h[20];

	if (bpf_skb_load_bytes(skb, 0, h, sizeof(h)) ||
	    (h[9] != IPPROTO_UDP && h[9] != IPPROTO_ICMP) ||
	    ((h[6] & 0x1f) | h[7])) /* a later fragment: no UDP header */
		return -1;
	u->icmp = h[9] == IPPROTO_ICMP;
	__builtin_memcpy(&u->d.eff[3], &h[16], 4);
	u->d.addr[0] = u->d.eff[3];
	u->d.eff[2] = bpf_htonl(0xffff);
	u->d.v4 = 1;
	u->family = 2;
	return (h[0] & 0xf) * 4;
}

/*
 * The same for IPv6, through up to 4 extension headers; with a routing
 * header (types 2 and 4 allowed to unprivileged sockets) the destination
 * is the final one, its first address. <0 if no UDP header is found.
 */
static __always_inline int tg_udp6(struct __sk_buff *skb, struct tg_udp_dst *u)
{
	__u8 h[40], x[2];
	__u32 off = 40;
	__u8 next, cur;
	int i;

	if (bpf_skb_load_bytes(skb, 0, h, sizeof(h)))
		return -1;
	next = h[6];
	__builtin_memcpy(u->d.eff, &h[24], 16);
	for (i = 0; i < 4 && next != IPPROTO_UDP && next != TG_IPPROTO_ICMPV6;
	     i++) {
		if (next != 0 && next != 43 && next != 44 && next != 60)
			return -1; /* not UDP */
		if (bpf_skb_load_bytes(skb, off, x, sizeof(x)))
			return -1;
		if (next == 43 &&
		    bpf_skb_load_bytes(skb, off + 8, u->d.eff, 16))
			return -1;
		cur = next;
		next = x[0];
		off += cur == 44 ? 8 : ((__u32)x[1] + 1) * 8;
		off &= 0xfff;
	}
	if (next != IPPROTO_UDP && next != TG_IPPROTO_ICMPV6)
		return i == 4 ? -2 : -1;
	u->icmp = next == TG_IPPROTO_ICMPV6;
	__builtin_memcpy(u->d.addr, u->d.eff, 16);
	u->family = 10;
	return off;
}

/*
 * The UDP destination of the packet in skb (or its ICMP one: u->icmp, port
 * 0): 0, -1 if it is neither (or a later fragment), -2 if its headers
 * cannot be followed.
 */
static __always_inline int tg_udp_dst(struct __sk_buff *skb,
				      struct tg_udp_dst *u)
{
	int off;

	if (skb->protocol == bpf_htons(TG_ETH_P_IP))
		off = tg_udp4(skb, u);
	else if (skb->protocol == bpf_htons(TG_ETH_P_IPV6))
		off = tg_udp6(skb, u);
	else
		return -1;
	if (off < 0)
		return off;
	if (u->icmp)
		return 0;
	if (bpf_skb_load_bytes(skb, (off & 0xfff) + 2, &u->port, 2))
		return -2;
	return 0;
}

/*
 * The common cases read in place (IPv4 without options, IPv6 without
 * extension headers): 1 with *u filled for UDP, -1 for TCP (most packets,
 * let through at once), 0 to take the long way (tg_udp_dst).
 */
static __always_inline int tg_udp_fast(struct __sk_buff *skb,
				       struct tg_udp_dst *u)
{
	__u8 *data = (__u8 *)(long)skb->data;
	__u8 *end = (__u8 *)(long)skb->data_end;

	if (skb->protocol == bpf_htons(TG_ETH_P_IP)) {
		if (data + 24 > end)
			return 0;
		if (data[9] == IPPROTO_TCP)
			return -1;
		/* Options, or a fragment: the long way. */
		if (data[0] != 0x45 || data[9] != IPPROTO_UDP ||
		    (data[6] & 0x3f) || data[7])
			return 0;
		__builtin_memcpy(&u->d.eff[3], data + 16, 4);
		__builtin_memcpy(&u->port, data + 22, 2);
		u->d.addr[0] = u->d.eff[3];
		u->d.eff[2] = bpf_htonl(0xffff);
		u->d.v4 = 1;
		u->family = 2;
		return 1;
	}
	if (skb->protocol == bpf_htons(TG_ETH_P_IPV6)) {
		if (data + 44 > end)
			return 0;
		if (data[6] == IPPROTO_TCP)
			return -1;
		if (data[6] != IPPROTO_UDP)
			return 0;
		__builtin_memcpy(u->d.eff, data + 24, 16);
		__builtin_memcpy(u->d.addr, data + 24, 16);
		__builtin_memcpy(&u->port, data + 42, 2);
		u->family = 10;
		return 1;
	}
	return -1;
}

/*
 * Every UDP datagram leaving a tenant's socket, connected or not: the
 * kernel runs no sendmsg program for one sent on a connected socket (send,
 * write, splice, sendfile, io_uring), and the port it goes to may have
 * been free at connect and taken by another tenant since. Checked like a
 * send (tg_dst_refused) for the socket's tenant; the verdict is kept in
 * the socket's tag (shared with tg_sent_before), so that the next
 * datagram to the same destination costs one lookup. A refusal drops the
 * datagram: the sender's call fails with EPERM. ICMP and ICMPv6 messages
 * of ping sockets (no sendmsg program runs for them) are checked against
 * the tenants' networks the same way.
 */
SEC("cgroup_skb/egress")
int tg_egress(struct __sk_buff *skb)
{
	struct tg_udp_dst u = {};
	struct bpf_sock *sk, *full;
	struct tg_sock_tag *tag;
	struct tg_event *ev;
	struct tg_actor a;
	int cacheable = 0, r;
	__u64 epoch, netns;
	__u32 gen, owner;

	sk = skb->sk;
	if (!sk)
		return 1;
	r = tg_udp_fast(skb, &u);
	if (r < 0)
		return 1;
	/*
	 * A UDP socket that is not connected sends nothing the sendmsg program
	 * did not check: the kernel runs it for every send with an address,
	 * and a send without one either fails or adds to a corked datagram
	 * whose first send had one. Raw sockets and connected ones go on.
	 */
	full = bpf_sk_fullsock(sk);
	if (full && full->type == TG_SOCK_DGRAM &&
	    full->protocol == IPPROTO_UDP && full->state != BPF_TCP_ESTABLISHED)
		return 1;
	r = r ? 0 : tg_udp_dst(skb, &u);
	if (r == -1)
		return 1;
	tag = bpf_sk_storage_get(&sock_tenant, sk, 0, 0);
	gen = tg_gen();
	epoch = tg_epoch();
	if (!r && tag && tg_seen(tag, u.d.eff, u.port, gen, epoch, 0))
		return 1;
	sk = full;
	if (!sk || !tg_sock_actor(sk, tag, gen, bpf_sk_cgroup_id(sk), &a))
		return 1;
	if (r) {
		owner = TG_TENANT_HOST; /* headers it cannot follow */
	} else {
		netns = BPF_CORE_READ(tg_sock_addr((void *const *)&sk),
				      __sk_common.skc_net.net, net_cookie);
		/* ICMP (ping sockets): no port, the networks alone. */
		owner = tg_dst_refused(skb, &a, &u.d, u.icmp ? 0 : IPPROTO_UDP,
				       u.port, netns, epoch, &cacheable);
		if (!owner) {
			if (cacheable && !tag)
				tag = bpf_sk_storage_get(
					&sock_tenant, sk, 0,
					BPF_SK_STORAGE_GET_F_CREATE);
			if (cacheable && tag)
				tg_seen_put(tag, u.d.eff, u.port, gen, epoch,
					    a.cg);
			return 1;
		}
	}
	ev = tg_event_begin_notask(TG_KIND_NET, TG_OP_SENDMSG,
				   tg_denied(&a.t) ? TG_VERDICT_DENY
						   : TG_VERDICT_AUDIT,
				   a.t.id, owner);
	if (ev)
		tg_net_submit(ev, u.family,
			      !u.icmp	      ? IPPROTO_UDP
			      : u.family == 2 ? IPPROTO_ICMP
					      : TG_IPPROTO_ICMPV6,
			      bpf_ntohs(u.port), u.d.addr);
	return tg_denied(&a.t) ? 0 : 1;
}

/*
 * Seeding at start: the agent runs these socket iterators once in every
 * network namespace. A tenant socket (its tag's tenant, else its creator's)
 * whose bound port is not recorded yet, listening or receiving, was bound
 * before the agent started: the port is recorded as held, and the socket
 * tagged to release it when it closes. One line per tenant socket: "proto
 * port tenant holder" (holder = tenant when the port was recorded, 0 when
 * not bound, else the tenant that holds it).
 */
static __always_inline int tg_seed(struct seq_file *seq, struct sock *sk,
				   __u32 proto, int holds)
{
	__u32 tenant = TG_TENANT_HOST, holder = 0, old;
	const struct tg_tenant *t;
	struct tg_sock_tag *tag;
	__u64 netns;
	__u16 port;

	tag = bpf_sk_storage_get(&sock_tenant, sk, 0, 0);
	if (tag && tag->bound)
		return 0; /* its port is recorded */
	if (tag)
		tenant = tag->tenant;
	if (tenant == TG_TENANT_HOST) {
		t = tg_cgroup_tenant(tg_gen() & 1,
				     BPF_CORE_READ(sk, sk_cgrp_data.cgroup));
		if (!t)
			return 0; /* the host's */
		tenant = t->id;
	}
	port = BPF_CORE_READ(sk, __sk_common.skc_num);
	if (holds && port) {
		if (!tag)
			tag = bpf_sk_storage_get(&sock_tenant, sk, 0,
						 BPF_SK_STORAGE_GET_F_CREATE);
		if (tag) {
			old = tg_taggable(tenant)
				      ? __sync_val_compare_and_swap(
						&tag->tenant, TG_TENANT_HOST,
						tenant)
				      : TG_TENANT_HOST;
			if (old != TG_TENANT_HOST)
				tenant = old;
			netns = BPF_CORE_READ(sk, __sk_common.skc_net.net,
					      net_cookie);
			holder = tg_hold(tag, netns, TG_PORT_KEY(proto, port),
					 tenant);
			if (holder == TG_HOLD_FAIL)
				holder = 0; /* not recorded */
			if (!holder && tag->bound)
				holder = tenant;
		}
	}
	BPF_SEQ_PRINTF(seq, "%u %u %u %u\n", proto, port, tenant, holder);
	return 0;
}

SEC("iter/tcp")
int tg_seed_tcp(struct bpf_iter__tcp *ctx)
{
	struct sock_common *skc = ctx->sk_common;
	struct tcp_sock *tp;
	struct sock *sk;
	int state;

	if (!skc)
		return 0;
	tp = bpf_skc_to_tcp_sock(skc);
	if (!tp)
		return 0;
	sk = (struct sock *)tp;
	state = BPF_CORE_READ(sk, __sk_common.skc_state);
	return tg_seed(ctx->meta->seq, sk, IPPROTO_TCP,
		       state == TG_TCP_LISTEN || state == TG_TCP_CLOSE);
}

SEC("iter/udp")
int tg_seed_udp(struct bpf_iter__udp *ctx)
{
	struct sock *sk = (struct sock *)ctx->udp_sk;

	if (!sk)
		return 0;
	if (BPF_CORE_READ(sk, sk_protocol) != IPPROTO_UDP)
		return 0;
	/* A connected socket receives from its peer only. */
	return tg_seed(ctx->meta->seq, sk, IPPROTO_UDP,
		       !BPF_CORE_READ(sk, __sk_common.skc_dport));
}

/*
 * The rate limit of the events the agent raises itself (fanotify and
 * seccomp refusals): run by the agent (BPF_PROG_TEST_RUN) for each, so that
 * they take tokens from the same bucket as the tenant's kernel events and
 * what is held back is counted in the same suppressed map.
 */
SEC("syscall")
int tg_admit_event(struct tg_admit_args *a)
{
	return tg_event_admit(a->tenant, a->kind, a->op, a->verdict);
}

char LICENSE[] SEC("license") = "GPL";
