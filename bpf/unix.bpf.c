// SPDX-License-Identifier: GPL-2.0
/*
 * Unix sockets and the use of sockets, through BPF LSM.
 *
 * A socket belongs to its creator's tenant, found from the cgroup the kernel
 * records with it, unless its tag says otherwise (see sock_owner.bpf.h,
 * shared with the cgroup programs of net.bpf.c). A tenant may not
 *  - connect (stream, seqpacket, datagram) or send a datagram to another
 *    tenant's unix socket, pathname or abstract, unless that tenant lists it
 *    in allow_from; the socket reached is what counts, whatever name led to
 *    it;
 *  - use a socket of any family that another tenant created (send, receive,
 *    read, write, splice, listen, accept, mmap), nor receive one over
 *    SCM_RIGHTS or pidfd_getfd.
 * A socket created by a host process is adopted by the first tenant that
 * makes it an endpoint or receives it. Host processes are never checked.
 */
#include "kernel_types.h"
#include "sock_types.h"
#include "common.bpf.h"
#include "sock_owner.bpf.h"

#include <linux/errno.h>
#include <bpf/bpf_endian.h>
#include <bpf/bpf_tracing.h>

#define TG_AF_UNIX	1
#define TG_AF_INET	2
#define TG_AF_INET6	10
#define TG_S_IFMT	0170000
#define TG_S_IFSOCK	0140000
#define TG_MAY_WRITE	0x2
#define TG_MAY_READ	0x4
#define TG_SUN_PATH_OFF 2 /* offsetof(struct sockaddr_un, sun_path) */

/* Per policy slot: (target, caller) pairs of allow_from; the net object's. */
TG_POLICY_MAP(allow_pairs, struct tg_pair_key, __u8, TG_MAX_ALLOW_PAIRS);

/*
 * Per thread: the unix datagram socket its connect() is under way on, so
 * that unix_may_send, which serves connect and send alike, names the op.
 */
struct {
	__uint(type, BPF_MAP_TYPE_TASK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, __u64);
} dgram_connecting SEC(".maps");

/* Whether target lists caller in allow_from. */
static __always_inline int tg_allowed_from(__u32 slot, __u32 target,
					   __u32 caller)
{
	struct tg_pair_key key = {.target = target, .caller = caller};
	void *pairs = bpf_map_lookup_elem(&allow_pairs, &slot);

	return pairs && bpf_map_lookup_elem(pairs, &key);
}

/*
 * The tenant owning sk (see sock_owner.bpf.h), for the calling task a; *tagp
 * gets sk's tag if it has one.
 */
static __always_inline __u32 tg_sock_owner(struct sock *sk,
					   const struct tg_actor *a,
					   struct tg_sock_tag **tagp)
{
	struct tg_sock_tag *tag;

	tag = bpf_sk_storage_get(&sock_tenant, sk, 0, 0);
	*tagp = tag;
	if (tag && tag->tenant != TG_TENANT_HOST)
		return tag->tenant;
	return tg_creator(a->gen, sk, 0, a);
}

/*
 * sk is used by a. Returns the tenant that owns it when that is another
 * tenant, else 0. A host socket becomes a's when adopt is set (connect,
 * listen, accept, receiving the fd): it gets a tag naming a; sends and
 * receives on it leave it the host's, so one the host hands to several
 * tenants (a shared log stream) serves them all. The common case, a's own
 * socket, costs a storage lookup and two reads of the socket's cgroup.
 */
static __always_inline __u32 tg_foreign(struct sock *sk,
					const struct tg_actor *a, int adopt)
{
	struct tg_sock_tag *tag;
	__u32 owner, old;

	if (!sk)
		return 0;
	owner = tg_sock_owner(sk, a, &tag);
	/* The server end of another tenant's connection, whoever listened. */
	if (tag && tag->peer && tag->peer != a->t.id &&
	    (owner == a->t.id || owner == TG_TENANT_HOST) &&
	    !tg_allowed_from(a->slot, a->t.id, tag->peer))
		return tag->peer;
	if (owner == a->t.id)
		return 0;
	if (owner != TG_TENANT_HOST)
		return owner;
	if (!adopt || !tg_taggable(a->t.id))
		return 0;
	if (!tag)
		tag = bpf_sk_storage_get(&sock_tenant, sk, 0,
					 BPF_SK_STORAGE_GET_F_CREATE);
	if (!tag)
		return 0;
	old = __sync_val_compare_and_swap(&tag->tenant, TG_TENANT_HOST,
					  a->t.id);
	if (old == TG_TENANT_HOST) {
		tg_epoch_bump(); /* its ports change hands */
		return 0;
	}
	return old != a->t.id ? old : 0; /* another tenant adopted it first */
}

/* len bytes of sun_path at src (kernel memory) into ev->path. */
static __always_inline void tg_sun_path(struct tg_event *ev, const void *src,
					int len)
{
	__u32 n;

	if (len <= 0)
		return;
	n = (__u32)len;
	if (n > TG_UNIX_NAME_MAX)
		n = TG_UNIX_NAME_MAX;
	if (bpf_probe_read_kernel(ev->path, n, src) == 0)
		ev->path_len = n;
}

/* The bound name of unix socket sk into ev->path: sun_path as stored. */
static __always_inline void tg_unix_name(struct tg_event *ev, struct sock *sk)
{
	struct unix_address *addr;

	addr = BPF_CORE_READ((struct unix_sock *)sk, addr);
	if (!addr)
		return;
	tg_sun_path(ev,
		    (void *)addr +
			    bpf_core_field_offset(struct unix_address, name) +
			    TG_SUN_PATH_OFF,
		    BPF_CORE_READ(addr, len) - TG_SUN_PATH_OFF);
}

/*
 * The destination named in msg (a send with an address), if any, into ev:
 * sun_path for a unix socket, else family, address and port. 1 if found.
 */
static __always_inline int tg_msg_name(struct tg_event *ev, struct msghdr *msg)
{
	struct sockaddr_in6 sa = {};
	struct sockaddr_in *sa4 = (struct sockaddr_in *)&sa;
	void *name;
	int len;

	if (!msg)
		return 0;
	name = BPF_CORE_READ(msg, msg_name);
	len = BPF_CORE_READ(msg, msg_namelen);
	if (!name || len <= TG_SUN_PATH_OFF)
		return 0;
	if (ev->kind == TG_KIND_UNIX) {
		tg_sun_path(ev, name + TG_SUN_PATH_OFF, len - TG_SUN_PATH_OFF);
		return 1;
	}
	if (bpf_probe_read_kernel(&sa, sizeof(sa), name))
		return 0;
	if (sa.sin6_family == TG_AF_INET) {
		__builtin_memcpy(ev->addr, &sa4->sin_addr, 4);
		ev->port = bpf_ntohs(sa4->sin_port);
	} else if (sa.sin6_family == TG_AF_INET6) {
		__builtin_memcpy(ev->addr, &sa.sin6_addr, 16);
		ev->port = bpf_ntohs(sa.sin6_port);
	} else {
		return 0;
	}
	ev->family = sa.sin6_family;
	return 1;
}

/* sk's peer (if connected) or local address and port into ev. */
static __always_inline void tg_inet_addr(struct tg_event *ev, struct sock *sk)
{
	__u32 a4;

	ev->port = bpf_ntohs(BPF_CORE_READ(sk, __sk_common.skc_dport));
	if (ev->family == TG_AF_INET) {
		a4 = BPF_CORE_READ(sk, __sk_common.skc_daddr);
		if (!ev->port)
			a4 = BPF_CORE_READ(sk, __sk_common.skc_rcv_saddr);
		__builtin_memcpy(ev->addr, &a4, 4);
	} else if (ev->family == TG_AF_INET6) {
		if (ev->port)
			BPF_CORE_READ_INTO(&ev->addr, sk,
					   __sk_common.skc_v6_daddr);
		else
			BPF_CORE_READ_INTO(&ev->addr, sk,
					   __sk_common.skc_v6_rcv_saddr);
	}
	if (!ev->port)
		ev->port = BPF_CORE_READ(sk, __sk_common.skc_num);
}

/*
 * Report actor reaching unix socket target, owned by owner, with verdict
 * (tg_site_verdict: allow under a grant). Returns what tg_event_submit
 * did, -1 when nothing was sent.
 */
static __always_inline int tg_unix_event(__u32 op,
					 const struct tg_tenant *actor,
					 __u32 owner, struct sock *target,
					 __u32 verdict)
{
	struct tg_event *ev;
	__u32 zero = 0;

	ev = bpf_map_lookup_elem(&event_scratch, &zero);
	if (!tg_event_start(ev, (__u64)TG_KIND_UNIX << 32 | op, verdict,
			    actor->id, owner) ||
	    !ev)
		return -1;
	tg_unix_name(ev, target);
	return tg_event_submit(ev);
}

/*
 * Report use of another tenant's socket sk (any family) by actor: with the
 * destination msg names if any, else sk's peer, else sk's own address.
 */
static __always_inline void tg_sock_event(__u32 op,
					  const struct tg_tenant *actor,
					  __u32 owner, struct sock *sk,
					  struct msghdr *msg)
{
	__u16 family = BPF_CORE_READ(sk, __sk_common.skc_family);
	struct tg_event *ev;
	struct sock *peer;

	ev = tg_event_begin(family == TG_AF_UNIX ? TG_KIND_UNIX : TG_KIND_NET,
			    op, actor, owner);
	if (!ev)
		return;
	if (family == TG_AF_UNIX) {
		if (!tg_msg_name(ev, msg)) {
			peer = BPF_CORE_READ((struct unix_sock *)sk, peer);
			tg_unix_name(ev, peer ? peer : sk);
		}
	} else {
		ev->family = family;
		ev->proto = BPF_CORE_READ(sk, sk_protocol);
		if (!tg_msg_name(ev, msg))
			tg_inet_addr(ev, sk);
	}
	tg_event_submit(ev);
}

/*
 * a uses sk for op (msg: what is sent, or NULL): 0, or -EPERM if it is
 * another tenant's socket.
 */
static __always_inline int tg_sock_check(struct sock *sk,
					 const struct tg_actor *a, __u32 op,
					 struct msghdr *msg, int adopt)
{
	__u32 owner = tg_foreign(sk, a, adopt);

	if (!owner)
		return 0;
	tg_sock_event(op, &a->t, owner, sk, msg);
	return tg_denied(&a->t) ? -EPERM : 0;
}

/*
 * The caller uses sk for op: 0, or -EPERM if it is another tenant's; adopt:
 * see tg_foreign.
 */
static __always_inline int tg_sock_use(struct sock *sk, __u32 op, int adopt)
{
	struct tg_actor a;

	return tg_actor_s(&a) ? tg_sock_check(sk, &a, op, NULL, adopt) : 0;
}

/* Whether sk is a unix datagram socket (the ones unix_may_send serves). */
static __always_inline int tg_unix_dgram(struct sock *sk)
{
	return sk && BPF_CORE_READ(sk, __sk_common.skc_family) == TG_AF_UNIX &&
	       BPF_CORE_READ(sk, sk_type) == TG_SOCK_DGRAM;
}

/*
 * The thread's dgram_connecting mark: sk when a connect() on the unix
 * datagram socket sk is under way; 0 clears it. Only tenants' threads
 * have one.
 */
static __always_inline void tg_mark_connecting(struct sock *sk)
{
	__u64 *mark;

	mark = bpf_task_storage_get(&dgram_connecting,
				    bpf_get_current_task_btf(), 0,
				    sk ? BPF_LOCAL_STORAGE_GET_F_CREATE : 0);
	if (mark)
		*mark = (__u64)sk;
}

/*
 * May a reach unix socket other (connect or send)? 0, or -EPERM after
 * reporting. The socket used was checked just before, by socket_connect or
 * socket_sendmsg. newsk, if any, is the server end of a new stream
 * connection, made by the connecting task: it belongs to the listener's
 * owner, which its tag says.
 */
static __always_inline int tg_unix_reach(const struct tg_actor *a,
					 struct sock *other, struct sock *newsk,
					 __u32 op)
{
	struct tg_sock_tag *tag;
	__u32 owner, verdict;
	int sent;

	if (!other)
		return 0;
	owner = tg_sock_owner(other, a, &tag);
	if (newsk && owner != TG_TENANT_HOST && tg_taggable(owner)) {
		tag = bpf_sk_storage_get(&sock_tenant, newsk, 0,
					 BPF_SK_STORAGE_GET_F_CREATE);
		if (tag)
			tag->tenant = owner;
	}
	if (owner == TG_TENANT_HOST || owner == a->t.id ||
	    tg_allowed_from(a->slot, owner, a->t.id))
		return 0;
	/* The support actor under a grant to connect (docs/grants.md). */
	verdict = tg_site_verdict(a->t.id, a->t.flags, owner, TG_GRANT_CONNECT);
	sent = tg_unix_event(op, &a->t, owner, other, verdict);
	return tg_grant_verdict(a->t.id, verdict, sent) ? -EPERM : 0;
}

SEC("lsm/socket_connect")
int BPF_PROG(tg_socket_connect, struct socket *sock, struct sockaddr *address,
	     int addrlen, int ret)
{
	struct sock *sk = sock->sk;
	struct tg_actor a;

	if (ret)
		return ret;
	/* inet sockets: the cgroup connect programs check the socket's owner.
	 */
	if (!sk || BPF_CORE_READ(sk, __sk_common.skc_family) != TG_AF_UNIX)
		return 0;
	if (!tg_actor_s(&a))
		return 0;
	if (BPF_CORE_READ(sk, sk_type) == TG_SOCK_DGRAM)
		tg_mark_connecting(sk);
	return tg_sock_check(sk, &a, TG_OP_CONNECT, NULL, 1);
}

/* Every send: one tenant lookup, then (tenants only) the socket's owner. */
SEC("lsm/socket_sendmsg")
int BPF_PROG(tg_socket_sendmsg, struct socket *sock, struct msghdr *msg,
	     int size, int ret)
{
	struct sock *sk = sock->sk;
	struct tg_actor a;

	if (ret)
		return ret;
	if (!tg_actor_s(&a))
		return 0;
	if (tg_unix_dgram(sk))
		tg_mark_connecting(NULL); /* a send, not a connect */
	return tg_sock_check(sk, &a, TG_OP_SENDMSG, msg, 0);
}

SEC("lsm/socket_recvmsg")
int BPF_PROG(tg_socket_recvmsg, struct socket *sock, struct msghdr *msg,
	     int size, int flags, int ret)
{
	if (ret)
		return ret;
	return tg_sock_use(sock->sk, TG_OP_RECVMSG, 0);
}

SEC("lsm/socket_listen")
int BPF_PROG(tg_socket_listen, struct socket *sock, int backlog, int ret)
{
	if (ret)
		return ret;
	return tg_sock_use(sock->sk, TG_OP_LISTEN, 1);
}

SEC("lsm/socket_accept")
int BPF_PROG(tg_socket_accept, struct socket *sock, struct socket *newsock,
	     int ret)
{
	if (ret)
		return ret;
	return tg_sock_use(sock->sk, TG_OP_ACCEPT, 1);
}

/*
 * The kernel makes newsk, the server end of a TCP connection, from a
 * listener: if a tenant's socket made the connection (conn_origin), newsk's
 * tag names that tenant as its peer, so that no other tenant uses newsk
 * (tg_foreign), whoever made the listener and whenever the connection is
 * accepted. A connection to the peer's own listener needs no mark. Runs in
 * the softirq that completes the handshake: no task.
 */
SEC("lsm/inet_csk_clone")
int BPF_PROG(tg_inet_csk_clone, struct sock *newsk,
	     const struct request_sock *req)
{
	struct tg_conn_key k = {};
	struct tg_sock_tag *tag;
	__u32 *peer, a[4], b[4];

	if (BPF_CORE_READ(req, __req_common.skc_family) == TG_AF_INET6) {
		BPF_CORE_READ_INTO(&a, req, __req_common.skc_v6_daddr);
		BPF_CORE_READ_INTO(&b, req, __req_common.skc_v6_rcv_saddr);
		tg_conn_addr(k.caddr, a[0], a[1], a[2], a[3]);
		tg_conn_addr(k.saddr, b[0], b[1], b[2], b[3]);
	} else {
		k.caddr[0] = BPF_CORE_READ(req, __req_common.skc_daddr);
		k.saddr[0] = BPF_CORE_READ(req, __req_common.skc_rcv_saddr);
	}
	k.cport = bpf_ntohs(BPF_CORE_READ(req, __req_common.skc_dport));
	k.sport = BPF_CORE_READ(req, __req_common.skc_num);
	peer = bpf_map_lookup_elem(&conn_origin, &k);
	if (!peer || *peer == TG_TENANT_HOST ||
	    *peer == tg_creator(tg_gen(), newsk, 0, NULL))
		return 0;
	tag = bpf_sk_storage_get(&sock_tenant, newsk, 0,
				 BPF_SK_STORAGE_GET_F_CREATE);
	if (tag)
		tag->peer = *peer;
	return 0;
}

/* Stream and seqpacket connect: sk connects to the listener other. */
SEC("lsm/unix_stream_connect")
int BPF_PROG(tg_unix_stream_connect, struct sock *sk, struct sock *other,
	     struct sock *newsk, int ret)
{
	struct tg_actor a;

	if (ret)
		return ret;
	if (!tg_actor_s(&a))
		return 0;
	return tg_unix_reach(&a, other, newsk, TG_OP_CONNECT);
}

/* Datagram connect, and every datagram sent (connected or not). */
SEC("lsm/unix_may_send")
int BPF_PROG(tg_unix_may_send, struct socket *sock, struct socket *other,
	     int ret)
{
	struct sock *sk = sock->sk;
	__u32 op = TG_OP_SENDMSG;
	struct tg_actor a;
	__u64 *mark;

	if (ret)
		return ret;
	if (!tg_actor_s(&a))
		return 0;
	mark = bpf_task_storage_get(&dgram_connecting,
				    bpf_get_current_task_btf(), 0, 0);
	if (mark && *mark == (__u64)sk) {
		op = TG_OP_CONNECT;
		*mark = 0;
	}
	return tg_unix_reach(&a, other->sk, NULL, op);
}

/* A socket fd arriving over SCM_RIGHTS or pidfd_getfd. */
SEC("lsm/file_receive")
int BPF_PROG(tg_sock_file_receive, struct file *file, int ret)
{
	struct socket *sock;

	if (ret)
		return ret;
	sock = bpf_sock_from_file(file);
	if (!sock)
		return 0;
	return tg_sock_use(sock->sk, TG_OP_RECEIVE, 1);
}

/* Whether file is a socket; cheap, for hooks every file goes through. */
static __always_inline struct socket *tg_file_socket(struct file *file)
{
	if ((file->f_inode->i_mode & TG_S_IFMT) != TG_S_IFSOCK)
		return NULL;
	return bpf_sock_from_file(file);
}

/*
 * read, write, splice and sendfile on a socket: splice and sendfile reach
 * some sockets without the sendmsg and recvmsg hooks.
 */
SEC("lsm/file_permission")
int BPF_PROG(tg_sock_file_permission, struct file *file, int mask, int ret)
{
	struct socket *sock;

	if (ret || !(mask & (TG_MAY_READ | TG_MAY_WRITE)))
		return ret;
	sock = tg_file_socket(file);
	if (!sock)
		return 0;
	return tg_sock_use(
		sock->sk, (mask & TG_MAY_WRITE) ? TG_OP_SENDMSG : TG_OP_RECVMSG,
		0);
}

/* mmap of a socket (TCP zero-copy receive). */
SEC("lsm/mmap_file")
int BPF_PROG(tg_sock_mmap_file, struct file *file, unsigned long reqprot,
	     unsigned long prot, unsigned long flags, int ret)
{
	struct socket *sock;

	if (ret || !file)
		return ret;
	sock = tg_file_socket(file);
	if (!sock)
		return 0;
	return tg_sock_use(sock->sk, TG_OP_RECVMSG, 0);
}

char LICENSE[] SEC("license") = "GPL";
