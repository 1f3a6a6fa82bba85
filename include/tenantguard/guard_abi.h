/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Self-protection (bpf/guard.bpf.c): the maps the agent fills and the
 * checks the events name. Shared by bpf/ and agent/.
 */
#ifndef TENANTGUARD_GUARD_ABI_H
#define TENANTGUARD_GUARD_ABI_H

#include <linux/types.h>

#define TG_GUARD_MAX_PROCS  16	 /* entries of guarded_procs */
#define TG_GUARD_MAX_INODES 1024 /* entries of guarded_inodes */
#define TG_GUARD_MAX_CREDS  4096 /* entries of host_cgroup_creds (LRU) */

/*
 * The checks, in tg_event.family of a TG_KIND_GUARD event (and the names
 * the agent reports as enforced).
 */
enum tg_guard_check {
	TG_GUARD_SIGNAL = 1, /* a signal to a guarded process */
	TG_GUARD_PTRACE = 2, /* ptrace access to a guarded process */
	TG_GUARD_BPF = 3,    /* the bpf() system call */
	TG_GUARD_CAP = 4,    /* a capability of TG_GUARD_CAPS, initial userns */
	TG_GUARD_PATH = 5,   /* a protected path, or anything on bpffs */
	TG_GUARD_MOUNT = 6,  /* a mount over or of a protected path, bpffs */
	TG_GUARD_CGROUP = 7, /* a cgroup written outside the actor's subtree */
	TG_GUARD_PERF = 8,   /* system-wide or kernel perf events */
	TG_GUARD_LOGINUID = 9,	  /* a login uid written once set */
	TG_GUARD_DELEGATION = 10, /* support staff: a host daemon's door */
	TG_GUARD_CHECKS = 11,	  /* one past the last */
};

/*
 * Capabilities refused in the initial user namespace (bit n: capability
 * n): CAP_NET_ADMIN (12), CAP_SYS_MODULE (16), CAP_SYS_RAWIO (17),
 * CAP_SYS_BOOT (22), CAP_SYS_TIME (25), CAP_AUDIT_CONTROL (30),
 * CAP_MAC_OVERRIDE (32), CAP_MAC_ADMIN (33), CAP_AUDIT_READ (37),
 * CAP_PERFMON (38), CAP_BPF (39).
 */
#define TG_GUARD_CAPS                                                          \
	((1ULL << 12) | (1ULL << 16) | (1ULL << 17) | (1ULL << 22) |           \
	 (1ULL << 25) | (1ULL << 30) | (1ULL << 32) | (1ULL << 33) |           \
	 (1ULL << 37) | (1ULL << 38) | (1ULL << 39))

/* Value of guarded_procs (key: __u32 thread group id, initial pid ns). */
struct tg_guard_proc {
	__u64 start_ticks; /* its start time, clock ticks after boot
			      (/proc/PID/stat field 22): a reused pid differs */
	__u64 tick_ns;	   /* nanoseconds per clock tick (1e9 / USER_HZ) */
};

/* guarded_inodes value flags (key: struct tg_inode_key of map_abi.h). */
#define TG_GUARD_F_SELF	    0x1 /* the object itself */
#define TG_GUARD_F_CHILDREN 0x2 /* a directory: its entries too */
#define TG_GUARD_F_ANCESTOR 0x4 /* above a protected object: no mount over */
/*
 * Key with ino 0: a filesystem holding protected objects; a dentry of it
 * with no known parent (open_by_handle_at) is refused (fail closed).
 */
#define TG_GUARD_F_DEVICE 0x8
/*
 * Where support staff could hand work to a host daemon that acts with its
 * own identity (map_abi.h, TG_TENANT_SUPPORT): a socket the support actor
 * may not connect to, a spool directory it may not write entries in.
 * Nobody else is refused anything by these.
 */
#define TG_GUARD_F_DELEGATE	     0x10 /* the object itself */
#define TG_GUARD_F_DELEGATE_CHILDREN 0x20 /* a directory: its entries */

struct tg_guard_inode {
	__u32 flags; /* TG_GUARD_F_* */
	__u32 pad;   /* zero */
};

_Static_assert(sizeof(struct tg_guard_proc) == 16, "tg_guard_proc");
_Static_assert(sizeof(struct tg_guard_inode) == 8, "tg_guard_inode");

#endif /* TENANTGUARD_GUARD_ABI_H */
