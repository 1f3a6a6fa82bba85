/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Events from the BPF programs to the agent, carried in the ring buffer.
 * Shared by bpf/ and agent/: fixed-width fields only, explicit padding.
 */
#ifndef TENANTGUARD_EVENT_ABI_H
#define TENANTGUARD_EVENT_ABI_H

#include <linux/types.h>

#define TG_COMM_LEN    16
#define TG_EVENT_SIZE  4176 /* sizeof(struct tg_event) in every version */
#define TG_PATH_LEN    4008 /* path bytes of version 3 */
#define TG_PATH_V2_LEN 4064 /* path bytes of version 2 */
#define TG_PATH_V1_LEN 4096 /* path bytes of version 1 (PATH_MAX) */
#define TG_TENANT_HOST 0    /* tenant id of processes outside every tenant */

/*
 * tg_event.path_flags. With TG_PATH_F_COMPONENTS, path holds the names from
 * the object up to the root, each NUL-terminated ("f\0dir\0srv\0" for
 * /srv/dir/f); the agent joins them. TG_PATH_F_TRUNCATED: the walk stopped
 * before the root, the path is missing its leading components.
 * TG_PATH_F_FSROOT: the names end at the root of the object's filesystem, not
 * of a mount tree (hooks that see no mount); addr[0..3] holds that
 * filesystem's kernel dev_t (__u32, host byte order), for the agent to find
 * where it is mounted.
 */
#define TG_PATH_F_COMPONENTS 0x1
#define TG_PATH_F_TRUNCATED  0x2
#define TG_PATH_F_FSROOT     0x4

/*
 * tg_event.obj_flags (kind file, version 2): the object as the host sees
 * it, whatever name the opener used. TG_OBJ_F_INODE: obj_dev and obj_ino
 * hold it (not for a name being created). TG_OBJ_F_ROOT: root_dev and
 * root_ino hold the owned root at or above it (found by its ancestry in the
 * dentry tree, never by a path), and the below_len bytes of path after the
 * first path_len hold the names from the object up to that root (the root
 * itself not included): NUL-terminated, leaf first, with TG_OBJ_F_NAMES
 * ("f\0dir\0" for dir/f); else one text ("dir/f"). Nothing below it: the
 * object is the root. TG_OBJ_F_TRUNCATED: names left out for want of room.
 */
#define TG_OBJ_F_INODE	   0x1
#define TG_OBJ_F_ROOT	   0x2
#define TG_OBJ_F_NAMES	   0x4
#define TG_OBJ_F_TRUNCATED 0x8

/*
 * kind unix: path holds the socket's sun_path bytes as the kernel keeps
 * them, path_len of them (at most TG_UNIX_NAME_MAX): a pathname ends with
 * its NUL, an abstract name starts with a NUL byte; path_flags is 0.
 */
#define TG_UNIX_NAME_MAX 108 /* sizeof(sockaddr_un.sun_path) */

/*
 * kind net, op create (a socket refused as it is made): family and proto
 * as given to socket() (proto: the netlink protocol for AF_NETLINK, the
 * ethertype in network byte order for AF_PACKET), port the socket type
 * (SOCK_STREAM, SOCK_DGRAM, SOCK_RAW, ...), addr zero.
 */

/*
 * kind guard (self-protection, bpf/guard.bpf.c): family holds the check
 * (enum tg_guard_check of guard_abi.h); port the signal (kill), the ptrace
 * mode (ptrace), the bpf command (bpf), the capability (capable) or the
 * perf event type (perf); addr[4..7] the thread group id of the target
 * (kill, ptrace, __u32, host byte order); path as for kind file (path,
 * mount, cgroup checks), addr[0..3] the device with TG_PATH_F_FSROOT.
 */

/*
 * kind proc (process isolation, bpf/proc.bpf.c): addr[0..3] the target's
 * thread id, addr[4..7] its thread group id (__u32, host byte order), path
 * its comm (path_len TG_COMM_LEN, NUL-padded); port as the op says; family
 * for op signal: 0 sent by a system call, 1 through a file's owner (SIGIO,
 * SIGURG or F_SETSIG's signal; pid and comm are then the task that made the
 * file ready, the owner was set by the tenant named). For op ipc instead:
 * family the object's type (1 shared memory, 2 message queue, 3 semaphore
 * set), addr[0..3] its id, addr[4..7] its key (__s32), port the access
 * (the ipc_permission flag, or 0x8000 | the ctl command).
 */

enum tg_kind {
	TG_KIND_FILE = 1,
	TG_KIND_NET = 2,
	TG_KIND_UNIX = 3,
	TG_KIND_PROC = 4,
	TG_KIND_SECCOMP = 5,
	TG_KIND_AGENT = 6,
	TG_KIND_GUARD = 7, /* self-protection: see below */
};

enum tg_verdict {
	TG_VERDICT_DENY = 1,
	TG_VERDICT_AUDIT = 2,
	TG_VERDICT_ALLOW = 3,
};

enum tg_op {
	TG_OP_OPEN = 1,	   /* file: open for read, write, exec or listing */
	TG_OP_CONNECT = 2, /* net, unix */
	TG_OP_BIND = 3,	   /* net */
	TG_OP_SENDMSG = 4, /* net, unix */
	/* file: path operations */
	TG_OP_CREATE = 5,
	TG_OP_MKDIR = 6,
	TG_OP_MKNOD = 7,
	TG_OP_SYMLINK = 8,
	TG_OP_LINK = 9,
	TG_OP_UNLINK = 10,
	TG_OP_RMDIR = 11,
	TG_OP_RENAME = 12,
	TG_OP_TRUNCATE = 13,
	TG_OP_CHMOD = 14,
	TG_OP_CHOWN = 15,
	TG_OP_SETATTR = 16, /* times and other attributes */
	TG_OP_SETXATTR = 17,
	TG_OP_REMOVEXATTR = 18,
	TG_OP_RECEIVE =
		19, /* file, net, unix: an fd received over SCM_RIGHTS */
	TG_OP_EXEC = 20,
	TG_OP_IOCTL = 21,
	TG_OP_WATCH = 22, /* file: an inotify, fanotify or dnotify watch; port:
			     what it covers (0 the object, 1 a mount, 2 a
			     filesystem) */
	TG_OP_READ = 23,  /* file: a read through a descriptor (the support
			     actor's, its grant ended: see docs/grants.md) */
	TG_OP_WRITE = 24, /* file: a write through a descriptor (the same) */
	TG_OP_MMAP = 25,  /* file: a shared mapping (the support actor's) */
	/* net, unix */
	TG_OP_LISTEN = 32,
	TG_OP_ACCEPT = 33,
	TG_OP_RECVMSG = 34,
	/* proc (process isolation, bpf/proc.bpf.c) */
	TG_OP_GETSCHEDULER = 38, /* reading its scheduling or affinity */
	TG_OP_GETIOPRIO = 39,	 /* reading its I/O priority */
	TG_OP_SIGNAL = 40,	 /* a signal, port: its number */
	TG_OP_PROC_OPEN = 41,	 /* a /proc/PID inode, port: the access mask */
	TG_OP_SETNICE = 42,	 /* port: the nice value + 20 */
	TG_OP_SETIOPRIO = 43,	 /* port: the I/O priority */
	TG_OP_SETSCHEDULER = 44, /* scheduling policy or parameters */
	TG_OP_SETRLIMIT = 45,	 /* port: the resource */
	TG_OP_MOVEMEMORY = 46,	 /* migrate_pages, move_pages */
	TG_OP_IPC = 47,		 /* a SysV IPC object: see kind proc */
	TG_OP_PTRACE = 48,	 /* proc, guard; proc: port the ptrace mode */
	TG_OP_KILL = 49,
	/* guard */
	TG_OP_BPF = 50,	       /* the bpf() system call */
	TG_OP_CAPABLE = 51,    /* a capability check */
	TG_OP_MOUNT = 52,      /* mount(2) */
	TG_OP_UMOUNT = 53,     /* umount2(2) */
	TG_OP_MOVE_MOUNT = 54, /* move_mount(2) */
	TG_OP_CGROUP_WRITE =
		55,	 /* write, mkdir, rmdir, migration in cgroupfs */
	TG_OP_PERF = 56, /* perf_event_open(2) */
	/* agent-side records (rate limits, drops) */
	TG_OP_SUPPRESSED = 64, /* summary of events a rate limit held back */
};

struct tg_event {
	__u64 ts_boot_ns;	/* bpf_ktime_get_boot_ns() at the decision */
	__u32 kind;		/* enum tg_kind */
	__u32 verdict;		/* enum tg_verdict */
	__u32 op;		/* enum tg_op */
	__u32 pid;		/* thread group id of the actor */
	__u32 tenant;		/* actor's tenant id, TG_TENANT_HOST if none */
	__u32 target_tenant;	/* tenant that owns the object */
	__u8 comm[TG_COMM_LEN]; /* actor's comm, NUL-padded */
	__u16 family;		/* net: AF_INET or AF_INET6 (op create: any) */
	__u16 proto;		/* net: IPPROTO_TCP or IPPROTO_UDP (op create:
				   any) */
	__u16 port;		/* net: destination port, host byte order (op
				   create: the socket type) */
	__u16 version;		/* TG_EVENT_VERSION of the program */
	__u8 addr[16];		/* net: address, IPv4 in the first 4 bytes;
				   file: dev_t with TG_PATH_F_FSROOT */
	__u32 path_len;		/* file/unix: bytes used in path */
	__u32 path_flags;	/* TG_PATH_F_* */
	/* Version 2 from here; version 1 has path here (TG_PATH_V1_LEN). */
	__u64 obj_ino;	 /* file: the object's inode number */
	__u64 root_ino;	 /* file: its owned root's inode number */
	__u32 obj_dev;	 /* file: the object's device as stat shows it,
			    kernel dev_t (MAJOR << 20 | MINOR) */
	__u32 root_dev;	 /* file: its owned root's, the same way */
	__u32 below_len; /* file: bytes of path after path_len: the
			    names below the owned root */
	__u32 obj_flags; /* file: TG_OBJ_F_* */
	/*
	 * Version 3 from here: who acted, filled by hooks that run in the
	 * actor's task (TG_ACTOR_F_TASK), else zero.
	 */
	__u32 login_uid; /* audit login uid, TG_NO_LOGIN_UID if unset */
	__u32 uid;	 /* real uid and gid, as the host sees them */
	__u32 gid;
	__u32 ppid;	   /* thread group id of its parent */
	__u64 cgroup_id;   /* its cgroup v2 cgroup */
	__u64 exe_ino;	   /* its executable's inode number */
	__u32 exe_dev;	   /* and device, kernel dev_t; 0: none (kernel
			      thread) */
	__u32 actor_flags; /* TG_ACTOR_F_* */
	__u8 parent_comm[TG_COMM_LEN]; /* its parent's comm */
	__u8 path[TG_PATH_LEN];	       /* file/unix: see TG_PATH_F_*; path_len +
					  below_len sent */
};

/* Bytes of a struct tg_event before path: every record has at least these. */
#define TG_EVENT_HDR_LEN    168
#define TG_EVENT_HDR_V2_LEN 112 /* version 2: path follows obj_flags */
#define TG_EVENT_HDR_V1_LEN 80	/* version 1: path follows path_flags */

/* tg_event.actor_flags */
#define TG_ACTOR_F_TASK	   0x1	       /* login_uid to parent_comm are filled */
#define TG_ACTOR_F_SUPPORT 0x2	       /* a support actor: see map_abi.h */
#define TG_ACTOR_F_GRANT   0x4 /* allowed under a grant (verdict allow):
				  the grant of (login_uid, target_tenant) */
#define TG_NO_LOGIN_UID	   0xffffffffU /* login uid not set (pam_loginuid) */

/*
 * The layout of struct tg_event a program writes, in its version field.
 * Programs pinned by an older build keep writing theirs into the ring
 * buffer after an upgrade; the agent decodes every version it knows and
 * counts the others as bad events. Version 1: no object fields, path
 * right after path_flags (TG_EVENT_HDR_V1_LEN). Version 2: the object
 * fields (obj_ino to obj_flags), a path TG_PATH_V2_LEN long. Version 3: who
 * acted (login_uid to parent_comm), a path TG_PATH_LEN long.
 */
#define TG_EVENT_VERSION 3

/* The same size in every version: the scratch map keeps its shape. */
_Static_assert(sizeof(struct tg_event) == TG_EVENT_SIZE, "tg_event size");
_Static_assert(TG_EVENT_HDR_LEN + TG_PATH_LEN == TG_EVENT_SIZE &&
		       TG_EVENT_HDR_V2_LEN + TG_PATH_V2_LEN == TG_EVENT_SIZE &&
		       TG_EVENT_HDR_V1_LEN + TG_PATH_V1_LEN == TG_EVENT_SIZE,
	       "tg_event versions");
_Static_assert(__builtin_offsetof(struct tg_event, comm) == 32, "comm");
_Static_assert(__builtin_offsetof(struct tg_event, family) == 48, "family");
_Static_assert(__builtin_offsetof(struct tg_event, addr) == 56, "addr");
_Static_assert(__builtin_offsetof(struct tg_event, path_len) == 72, "path_len");
_Static_assert(__builtin_offsetof(struct tg_event, obj_ino) ==
		       TG_EVENT_HDR_V1_LEN,
	       "obj_ino");
_Static_assert(__builtin_offsetof(struct tg_event, obj_dev) == 96, "obj_dev");
_Static_assert(__builtin_offsetof(struct tg_event, obj_flags) == 108,
	       "obj_flags");
_Static_assert(__builtin_offsetof(struct tg_event, login_uid) ==
		       TG_EVENT_HDR_V2_LEN,
	       "login_uid");
_Static_assert(__builtin_offsetof(struct tg_event, path) == TG_EVENT_HDR_LEN,
	       "path");

#endif /* TENANTGUARD_EVENT_ABI_H */
