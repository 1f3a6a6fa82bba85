/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Keys and values of the BPF maps the agent fills. Shared by bpf/ and agent/.
 */
#ifndef TENANTGUARD_MAP_ABI_H
#define TENANTGUARD_MAP_ABI_H

#include <linux/types.h>

/*
 * The layout of the pinned maps (their names, types, keys, values and
 * sizes, the meta map's struct tg_meta): a new agent reuses a pinned set
 * only if its layout is this one (agent/agentd/pins.h).
 */
#define TG_LAYOUT_VERSION 6
/*
 * The layouts a build adopts, migrating them: 4 lacks support_uids, 5 the
 * grant maps (grants, grant_scopes, grant_sessions); what is missing is
 * created beside the pinned set (maps added, none changed).
 */
#define TG_LAYOUT_MIGRATES(v) ((v) == 4 || (v) == 5)

/* DIR/maps/emitter: per BPF object, the program set stamp that reports. */
#define TG_OBJ_NET   0 /* cgroup links are replaced in place: always */
#define TG_OBJ_FILE  1
#define TG_OBJ_UNIX  2
#define TG_OBJ_GUARD 3
#define TG_OBJ_PROC  4
#define TG_OBJ_COUNT 8 /* emitter entries: room for objects to come */

#define TG_MAX_TENANTS                                                         \
	16384			    /* tenant ids are 1..TG_MAX_TENANTS - 1,   \
				       TG_MAX_TENANTS is TG_TENANT_PENDING */
#define TG_MAX_TENANT_CGROUPS 16384 /* entries of tenant_cgroups */
#define TG_MAX_OWNED_ROOTS                                                     \
	1048576			   /* entries of owned_roots (roots and        \
				      hard-linked objects below them) */
#define TG_MAX_ALLOW_PAIRS  65536  /* entries of allow_pairs */
#define TG_MAX_PORT_KEYS    131072 /* entries of port_reserved, port_bound */
#define TG_MAX_NETWORKS	    65536  /* entries of tenant_nets */
#define TG_PROC_MAX_FOWNERS 65536  /* files with an owner set, at once */
#define TG_PROC_MAX_IPC	    65536  /* SysV IPC objects, at once */
#define TG_MAX_CGROUP_LEVEL 32	   /* deepest cgroup level searched */
#define TG_MAX_PATH_DEPTH   4096   /* deepest dentry ancestry walked */

/* tg_tenant.flags */
#define TG_TENANT_F_AUDIT   0x1 /* allow and report instead of deny */
#define TG_TENANT_F_PENDING 0x2 /* the tenants cgroup: see below */

/*
 * The pending actor: processes in a cgroup at or below the tenants cgroup
 * that is not (yet) a tenant's. It is never the host: it owns nothing,
 * and is refused whatever a tenant owns, like any other tenant. The tenants
 * cgroup's entry in tenant_cgroups names it, with TG_TENANT_F_PENDING; a
 * tenant's entry deeper (or higher) in a task's ancestry wins over it. A
 * socket tag never names it (see bpf/sock_owner.bpf.h).
 */
#define TG_TENANT_PENDING TG_MAX_TENANTS

/*
 * A support actor: a host task whose audit login uid (set at login by
 * pam_loginuid, kept across sudo and su) is one of the policy's support
 * staff. Towards tenants it is refused like another tenant; it owns
 * nothing, tags no socket, and reaches the host as any host task does. Its
 * events name the host as tenant, with TG_ACTOR_F_SUPPORT (event_abi.h).
 */
#define TG_TENANT_SUPPORT 0xfffffffcU

/*
 * Value of support_uids (an array of TG_POLICY_SLOTS, indexed by policy
 * slot like the policy maps' outer arrays): the support staff's login
 * uids as sorted, disjoint, inclusive ranges.
 */
#define TG_MAX_SUPPORT_RANGES 256
struct tg_uid_range {
	__u32 lo, hi;
};
struct tg_support_set {
	__u32 n; /* ranges used */
	__u32 pad;
	struct tg_uid_range r[TG_MAX_SUPPORT_RANGES];
};

/*
 * Grants (docs/grants.md): what a support actor may do to one tenant, from
 * the agent's activation of a tenant-approved request until deadline_ns
 * (bpf_ktime_get_boot_ns: setting the clock cannot extend it, a reboot
 * ends it). Key of grants: the support actor's login uid and the tenant.
 * At most one grant per pair is active; the agent deletes it at expiry
 * or revocation, and the programs refuse it past its deadline whether or
 * not the agent runs.
 */
#define TG_MAX_GRANTS 1024
struct tg_grant_key {
	__u32 login_uid;
	__u32 tenant;
};

/* tg_grant.ops: as the request's "ops" (agent/common/grant_doc.h). */
#define TG_GRANT_CONNECT 0x01 /* its inet and unix endpoints */
#define TG_GRANT_EXEC	 0x02 /* execute its files */
#define TG_GRANT_PTRACE	 0x04 /* ptrace, /proc/PID, scheduling, IPC */
#define TG_GRANT_READ	 0x08 /* open its files for reading, list them */
#define TG_GRANT_SIGNAL	 0x10 /* signal its processes */
#define TG_GRANT_WRITE	 0x20 /* open for writing, create, remove, ... */

/* tg_grant.flags */
#define TG_GRANT_F_SCOPED 0x1 /* file ops only below grant_scopes entries */

struct tg_grant {
	__u64 deadline_ns; /* boot-time ns; refused from then on */
	__u32 ops;	   /* TG_GRANT_* */
	__u32 flags;	   /* TG_GRANT_F_* */
	__u8 id[16];	   /* the request's id (128 bits) */
};

/*
 * Key of grant_scopes (value: __u32 tenant): a directory or file a scoped
 * grant of login_uid covers, with everything below it.
 */
struct tg_grant_scope_key {
	__u64 ino;
	__u32 dev; /* kernel dev_t, as tg_inode_key */
	__u32 login_uid;
};
#define TG_MAX_GRANT_SCOPES 4096

/*
 * Key of grant_sessions: the cgroup v2 id of a `tenantguard grant shell`
 * session; value: its grant's struct tg_grant_key. A task of that cgroup
 * whose grant is gone or past its deadline is killed at its next hooked
 * access to the tenant (bpf_send_signal), when the agent has not killed
 * the session (cgroup.kill) already.
 */
#define TG_MAX_GRANT_SESSIONS 4096

/* Value of tenant_cgroups (key: __u64 cgroup id of the tenant's root). */
struct tg_tenant {
	__u32 id;    /* tenant id or TG_TENANT_PENDING, never TG_TENANT_HOST */
	__u32 flags; /* TG_TENANT_F_* */
};

/*
 * Key of owned_roots: an inode that roots a tenant-owned subtree (scope
 * TG_SCOPE_OBJECT). Two more scopes hold what a watch (inotify, fanotify,
 * dnotify: the path_notify hook) would see beyond its object:
 * TG_SCOPE_FILESYSTEM (ino 0) names a filesystem that holds owned roots,
 * TG_SCOPE_PARENT a directory that holds one directly (a watch there
 * reports the root's own activity); their owner is the one tenant whose
 * roots they hold, or TG_OWNER_SHARED.
 */
struct tg_inode_key {
	__u64 ino;   /* inode number */
	__u32 dev;   /* kernel dev_t of the superblock (MAJOR << 20 | MINOR) */
	__u32 scope; /* TG_SCOPE_* */
};

#define TG_SCOPE_OBJECT	    0
#define TG_SCOPE_FILESYSTEM 1
#define TG_SCOPE_PARENT	    2

/*
 * Owners that are not a tenant: the built-in policy's paths root, so what
 * lies below it and is no registered tenant's (a tenant the agent cannot
 * register, a directory not registered yet); an object hard-linked below
 * the roots of several tenants; and one whose ancestry is deeper than
 * TG_MAX_PATH_DEPTH. Every tenant is denied all three; host processes are
 * not.
 */
#define TG_OWNER_UNREGISTERED 0xfffffffdU
#define TG_OWNER_SHARED	      0xfffffffeU
#define TG_OWNER_UNKNOWN      0xffffffffU

/*
 * tg_owner.flags. TG_OWNER_F_LINK: an object found with several links (not
 * a root); it matches only while the inode still has more than one.
 */
#define TG_OWNER_F_LINK 0x1

/* Value of owned_roots. */
struct tg_owner {
	__u32 tenant; /* owning tenant id, TG_OWNER_SHARED or _UNREGISTERED */
	__u32 flags;  /* TG_OWNER_F_* */
};

/* Key of allow_pairs: target lists caller in allow_from. */
struct tg_pair_key {
	__u32 target; /* tenant whose endpoints are reached */
	__u32 caller; /* tenant allowed to reach them */
};

/*
 * Key of port_reserved (and part of port_bound's key): the protocol and the
 * port, TG_PORT_KEY(IPPROTO_TCP, 8080).
 */
#define TG_PORT_KEY(proto, port) (((__u32)(proto) << 16) | (__u16)(port))

/* Key of port_bound: a port in one network namespace. */
struct tg_bound_key {
	__u64 netns; /* netns cookie */
	__u32 port;  /* TG_PORT_KEY */
	__u32 pad;   /* zero */
};

/*
 * Value of port_bound, one __u64 changed only by compare-and-swap: the tenant
 * whose sockets hold the port (high half) and how many do (low half).
 * TG_USE_DYING as the count: the last holder is removing the entry.
 */
#define TG_USE(tenant, count) (((__u64)(tenant) << 32) | (__u32)(count))
#define TG_USE_TENANT(w)      ((__u32)((w) >> 32))
#define TG_USE_COUNT(w)	      ((__u32)(w))
#define TG_USE_DYING	      0xffffffffu

/* Key of tenant_nets (LPM trie): IPv4 as ::ffff:a.b.c.d, prefix on 128 bits. */
struct tg_net_key {
	__u32 prefixlen;
	__u8 addr[16];
};

/*
 * local_routes (LPM trie, key struct tg_net_key, value __u8): the local
 * routing table of the agent's network namespace, what the kernel delivers
 * to this host (routes of type local, broadcast and anycast, IPv4 prefixes
 * as 96 + their length). At most TG_MAX_LOCAL_ROUTES routes; when the table
 * has more, the agent also writes ::/0 with TG_LOCAL_UNKNOWN, so that every
 * address no route held covers is of unknown locality (refused to tenants)
 * until the table fits again.
 */
#define TG_MAX_LOCAL_ROUTES 4096
#define TG_LOCAL_ROUTE	    1 /* this host's */
#define TG_LOCAL_UNKNOWN    2 /* the table did not fit: may be this host's */

/*
 * Policy maps (tenant_cgroups, owned_roots, allow_pairs, port_reserved,
 * tenant_nets) are arrays of two
 * inner maps; policy_gen[0] & 1 selects the slot in force. The agent fills
 * the other slot, then flips policy_gen in one write.
 */
#define TG_POLICY_SLOTS 2

/*
 * Value of the sock_tenant socket storage, made only when needed (see
 * bpf/sock_owner.bpf.h).
 */
struct tg_sock_tag {
	__u32 tenant; /* its owner; TG_TENANT_HOST: its creator's tenant */
	__u32 bound;  /* TG_PORT_KEY it holds in port_bound, 0 if none */
	__u64 netns;  /* netns cookie of that port_bound entry */
	/*
	 * The last destination a datagram was allowed to, and when; written
	 * and read under seen_seq (a sequence lock: the egress program runs
	 * without the socket's lock).
	 */
	__u8 seen_addr[16]; /* as the kernel uses it, IPv4 mapped */
	__u32 seen_port;    /* network byte order; 0: nothing cached */
	__u32 seen_gen;	    /* policy_gen[0] then */
	__u64 seen_epoch;   /* net_epoch then (see sock_owner.bpf.h) */
	__u64 seen_cgroup;  /* cgroup id of the sender (or socket) then */
	__u32 seen_seq;	    /* odd while the seen_* fields are written */
	/*
	 * The server end of a TCP connection a tenant's socket made on this
	 * host: that tenant (see conn_origin); 0 if none or not known.
	 */
	__u32 peer;
};

/*
 * Key of conn_origin: a TCP connection as its client made it, addresses as
 * in struct tg_net_key (IPv4 in addr[0], the rest zero; IPv4-mapped IPv6
 * addresses as IPv4), ports in host byte order.
 */
struct tg_conn_key {
	__u32 caddr[4]; /* the client's address */
	__u32 saddr[4]; /* the server's */
	__u16 cport;
	__u16 sport;
};

_Static_assert(sizeof(struct tg_tenant) == 8, "tg_tenant");
_Static_assert(sizeof(struct tg_inode_key) == 16, "tg_inode_key");
_Static_assert(__builtin_offsetof(struct tg_inode_key, dev) == 8, "dev");
_Static_assert(sizeof(struct tg_owner) == 8, "tg_owner");
_Static_assert(sizeof(struct tg_sock_tag) == 64, "tg_sock_tag");
_Static_assert(__builtin_offsetof(struct tg_sock_tag, seen_addr) == 16,
	       "seen_addr");
_Static_assert(__builtin_offsetof(struct tg_sock_tag, seen_epoch) == 40,
	       "seen_epoch");
_Static_assert(__builtin_offsetof(struct tg_sock_tag, seen_cgroup) == 48,
	       "seen_cgroup");
_Static_assert(__builtin_offsetof(struct tg_sock_tag, seen_seq) == 56,
	       "seen_seq");
_Static_assert(sizeof(struct tg_bound_key) == 16, "tg_bound_key");
_Static_assert(sizeof(struct tg_conn_key) == 36, "tg_conn_key");
_Static_assert(sizeof(struct tg_net_key) == 20, "tg_net_key");
_Static_assert(sizeof(struct tg_pair_key) == 8, "tg_pair_key");
_Static_assert(sizeof(struct tg_grant_key) == 8, "tg_grant_key");
_Static_assert(sizeof(struct tg_grant) == 32, "tg_grant");
_Static_assert(sizeof(struct tg_grant_scope_key) == 16, "tg_grant_scope_key");

#endif /* TENANTGUARD_MAP_ABI_H */
