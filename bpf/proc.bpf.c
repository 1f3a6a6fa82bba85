// SPDX-License-Identifier: GPL-2.0
/*
 * Process isolation: a task of a tenant (or of the pending actor, its own
 * actor) may not reach a task of another tenant or of the host:
 *  - signal it by any path: kill, tgkill, rt_sigqueueinfo,
 *    pidfd_send_signal, process groups and kill(-1) (task_kill is asked
 *    once per target), and SIGIO/SIGURG (or F_SETSIG's signal) through a
 *    file whose owner the tenant set (file_set_fowner cannot refuse: the
 *    setter's tenant is kept per file and judged at delivery);
 *  - ptrace it or use what the ptrace access check gates
 *    (process_vm_readv/writev, /proc/PID/mem, environ, maps, fd/, kcmp,
 *    pidfd_getfd);
 *  - read or change its scheduling (policy, parameters, affinity) or I/O
 *    priority, change its nice value, resource limits or memory placement;
 *  - open or walk into its /proc/PID (and task/TID) entries: the tenant of
 *    the task behind each /proc inode is stamped on it when the kernel
 *    makes or revalidates it (task_to_inode);
 *  - use its SysV shared memory, message queues or semaphore sets (the
 *    creator's tenant is kept per object): get, attach, send, receive,
 *    operate, stat, set or remove them.
 * Tasks of one tenant reach each other; host tasks reach everyone; the
 * kernel's own signals (SIGCHLD to a parent, ...) never pass task_kill.
 * Each refusal is -EPERM (the kernel turns some into EACCES, see
 * docs/process-isolation.md) and one event of kind proc; a tenant in audit
 * mode is allowed and reported.
 */
#include "kernel_types.h"
#include "proc_types.h"
#include "common.bpf.h"
#include "guarded.bpf.h"
#include "task_tenant.bpf.h"

#include <linux/errno.h>
#include <bpf/bpf_tracing.h>

#define TG_PROC_SUPER_MAGIC 0x9fa0

/* tg_event.family of a signal event: how it was sent. */
#define TG_PROC_VIA_CALL 0 /* a system call naming the target */
#define TG_PROC_VIA_FOWN 1 /* a file's owner (SIGIO, SIGURG, F_SETSIG) */

/* Per /proc inode of a task: that task, as last stamped. */
struct tg_proc_stamp {
	__u32 tenant1; /* its tenant id + 1; 0: not stamped */
	__u32 tid, tgid;
	__u32 pad;
	char comm[TG_COMM_LEN];
};

struct {
	__uint(type, BPF_MAP_TYPE_INODE_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, struct tg_proc_stamp);
} proc_inode_tenant SEC(".maps");

/*
 * Files whose owner (F_SETOWN, F_SETOWN_EX, fcntl on sockets, TIOCSPGRP
 * is not one) a tenant set: file address -> the setter's tenant id and
 * flags; the host's settings are kept too (TG_TENANT_HOST) so that a file
 * missing here is one whose owner was set before the object was loaded.
 * Removed when the file is freed.
 */
struct tg_fowner {
	__u32 tenant;
	__u32 flags;
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, TG_PROC_MAX_FOWNERS);
	__type(key, __u64);
	__type(value, struct tg_fowner);
} fowners SEC(".maps");

/*
 * [0]: how many file owners could not be recorded (fowners full). While
 * any could not, a signal through a file missing from fowners is refused
 * towards tenants and the host (closed, not open).
 */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} fowner_overflow SEC(".maps");

/* SysV IPC objects: address -> the creator's tenant and the type. */
#define TG_IPC_SHM 1
#define TG_IPC_MSG 2
#define TG_IPC_SEM 3

struct tg_ipc_owner {
	__u32 tenant;
	__u16 flags; /* TG_TENANT_F_* */
	__u16 type;  /* TG_IPC_* */
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, TG_PROC_MAX_IPC);
	__type(key, __u64);
	__type(value, struct tg_ipc_owner);
} ipc_owners SEC(".maps");

/*
 * What a grant must name for op on a task of a tenant (docs/grants.md): a
 * signal, or anything else (ptrace, /proc/PID, scheduling, limits, memory
 * placement, SysV IPC) as ptrace.
 */
static __always_inline __u32 tg_proc_want(__u32 op)
{
	return op == TG_OP_SIGNAL ? TG_GRANT_SIGNAL : TG_GRANT_PTRACE;
}

/*
 * Refuse (or, in audit mode, report) actor's act op on target task p of
 * tenant target; num and via go into the event (see event_abi.h). The
 * support actor under a grant of want is allowed, with the same event,
 * verdict allow, when it is written (want 0: no grant applies).
 */
static __always_inline int tg_proc_refuse(const struct tg_tenant *actor,
					  __u32 target, struct task_struct *p,
					  __u32 op, __u32 num, __u32 via,
					  __u32 want)
{
	__u32 tid, tgid, verdict, zero = 0;
	struct tg_event *ev;
	int sent = -1;

	verdict = tg_site_verdict(actor->id, actor->flags, target, want);
	ev = bpf_map_lookup_elem(&event_scratch, &zero);
	if (tg_event_start(ev, (__u64)TG_KIND_PROC << 32 | op, verdict,
			   actor->id, target) &&
	    ev) {
		ev->family = (__u16)via;
		ev->port = (__u16)num;
		tid = (__u32)BPF_CORE_READ(p, pid);
		tgid = (__u32)BPF_CORE_READ(p, tgid);
		__builtin_memcpy(&ev->addr[0], &tid, sizeof(tid));
		__builtin_memcpy(&ev->addr[4], &tgid, sizeof(tgid));
		bpf_core_read_str(ev->path, TG_COMM_LEN, &p->comm);
		ev->path_len = TG_COMM_LEN;
		sent = tg_event_submit(ev);
	}
	return tg_grant_verdict(actor->id, verdict, sent) ? -EPERM : 0;
}

/* The current task's act op on p: 0 or -EPERM. */
static __always_inline int tg_proc_check(struct task_struct *p, __u32 op,
					 __u32 num)
{
	struct tg_tenant actor, target;

	/* One cgroup is one tenant (or the host): nothing to look up. */
	if (BPF_CORE_READ(p, cgroups, dfl_cgrp, kn, id) ==
	    bpf_get_current_cgroup_id())
		return 0;
	if (tg_task_actor(&actor) || actor.id == TG_TENANT_HOST)
		return 0;
	/* The agent and the collector are the guard's: one refusal, one event.
	 */
	if (tg_task_tenant(p, &target) || tg_reaches(actor.id, target.id) ||
	    tg_guarded_task(p))
		return 0;
	return tg_proc_refuse(&actor, target.id, p, op, num, TG_PROC_VIA_CALL,
			      tg_proc_want(op));
}

/* Signals --------------------------------------------------------------- */

/*
 * Every signal a task sends (kill, tgkill, tkill, rt_sigqueueinfo,
 * rt_tgsigqueueinfo, pidfd_send_signal; kill(-pgrp) and kill(-1) once per
 * target). The hook's cred argument (set only for USB asynchronous I/O
 * completions) is not looked at: from 6.12 the verifier takes it for
 * never NULL and drops any test of it.
 */
SEC("lsm/task_kill")
int BPF_PROG(tg_proc_task_kill, struct task_struct *p, void *info, int sig,
	     const void *cred, int ret)
{
	return ret ?: tg_proc_check(p, TG_OP_SIGNAL, (__u32)sig);
}

/* Where a file's owner is kept: the file itself, or (6.12) beside it. */
static __always_inline int tg_file_has_owner(struct file *file)
{
	struct file___owner_out *fo = (void *)file;
	struct file___owner_in *fi = (void *)file;

	if (bpf_core_field_exists(struct fown_struct___owner_out, file))
		return BPF_CORE_READ(fo, f_owner) != NULL;
	return BPF_CORE_READ(fi, f_owner.pid) != NULL;
}

static __always_inline __u64 tg_fown_file(void *fown)
{
	struct fown_struct___owner_out *o = fown;

	if (bpf_core_field_exists(struct fown_struct___owner_out, file))
		return (__u64)BPF_CORE_READ(o, file);
	return (__u64)fown -
	       bpf_core_field_offset(struct file___owner_in, f_owner);
}

/* F_SETOWN and co: remember whose owner setting it is. */
SEC("lsm/file_set_fowner")
int BPF_PROG(tg_proc_set_fowner, struct file *file)
{
	struct tg_fowner v = {.tenant = TG_TENANT_HOST};
	struct tg_tenant actor;
	__u64 key = (__u64)file;
	__u32 zero = 0;
	__u64 *over;

	if (tg_task_actor(&actor))
		return 0;
	v.tenant = actor.id;
	v.flags = actor.flags;
	if (bpf_map_update_elem(&fowners, &key, &v, BPF_ANY)) {
		over = bpf_map_lookup_elem(&fowner_overflow, &zero);
		if (over)
			__sync_fetch_and_add(over, 1);
	}
	return 0;
}

/* Only files that ever had an owner can be in fowners. */
SEC("lsm/file_free_security")
int BPF_PROG(tg_proc_file_free, struct file *file)
{
	__u64 key = (__u64)file;

	if (tg_file_has_owner(file))
		bpf_map_delete_elem(&fowners, &key);
	return 0;
}

/* A file's owner signal, sent by whoever made the file ready. */
SEC("lsm/file_send_sigiotask")
int BPF_PROG(tg_proc_sigiotask, struct task_struct *tsk, void *fown, int sig,
	     int ret)
{
	struct tg_tenant actor, target;
	const struct tg_fowner *v;
	__u64 key, *over;
	__u32 zero = 0;

	if (ret)
		return ret;
	key = tg_fown_file(fown);
	v = bpf_map_lookup_elem(&fowners, &key);
	if (v) {
		actor.id = v->tenant;
		actor.flags = v->flags;
	} else {
		/* Set before the object was loaded, or not recorded. */
		over = bpf_map_lookup_elem(&fowner_overflow, &zero);
		if (!over || !*over)
			return 0;
		actor.id = TG_TENANT_PENDING;
		actor.flags = 0;
	}
	if (actor.id == TG_TENANT_HOST)
		return 0;
	if (tg_task_tenant(tsk, &target) || tg_reaches(actor.id, target.id) ||
	    tg_guarded_task(tsk))
		return 0;
	/*
	 * The event's pid and comm are the task that made the file ready.
	 * No grant: the grant would be the owner setter's, whose login uid
	 * is not kept with the file (the task here is whoever made it ready).
	 */
	return tg_proc_refuse(&actor, target.id, tsk, TG_OP_SIGNAL,
			      (__u32)(sig ?: 29 /* SIGIO */), TG_PROC_VIA_FOWN,
			      0);
}

/* ptrace and what its access check gates -------------------------------- */

SEC("lsm/ptrace_access_check")
int BPF_PROG(tg_proc_ptrace, struct task_struct *child, unsigned int mode,
	     int ret)
{
	return ret ?: tg_proc_check(child, TG_OP_PTRACE, mode);
}

/* Scheduling, priorities, limits, memory placement ---------------------- */

SEC("lsm/task_setnice")
int BPF_PROG(tg_proc_setnice, struct task_struct *p, int nice, int ret)
{
	return ret ?: tg_proc_check(p, TG_OP_SETNICE, (__u32)(nice + 20));
}

SEC("lsm/task_setioprio")
int BPF_PROG(tg_proc_setioprio, struct task_struct *p, int ioprio, int ret)
{
	return ret ?: tg_proc_check(p, TG_OP_SETIOPRIO, (__u32)ioprio);
}

SEC("lsm/task_setscheduler")
int BPF_PROG(tg_proc_setscheduler, struct task_struct *p, int ret)
{
	return ret ?: tg_proc_check(p, TG_OP_SETSCHEDULER, 0);
}

/* sched_getscheduler, sched_getparam, sched_getattr, sched_getaffinity. */
SEC("lsm/task_getscheduler")
int BPF_PROG(tg_proc_getscheduler, struct task_struct *p, int ret)
{
	return ret ?: tg_proc_check(p, TG_OP_GETSCHEDULER, 0);
}

SEC("lsm/task_getioprio")
int BPF_PROG(tg_proc_getioprio, struct task_struct *p, int ret)
{
	return ret ?: tg_proc_check(p, TG_OP_GETIOPRIO, 0);
}

SEC("lsm/task_setrlimit")
int BPF_PROG(tg_proc_setrlimit, struct task_struct *p, unsigned int resource,
	     void *new_rlim, int ret)
{
	return ret ?: tg_proc_check(p, TG_OP_SETRLIMIT, resource);
}

SEC("lsm/task_movememory")
int BPF_PROG(tg_proc_movememory, struct task_struct *p, int ret)
{
	return ret ?: tg_proc_check(p, TG_OP_MOVEMEMORY, 0);
}

/* /proc/PID ------------------------------------------------------------- */

/*
 * The kernel makes a /proc inode of task p, or revalidates a cached one on
 * every lookup (pid_revalidate): stamp p's tenant on it.
 */
SEC("lsm/task_to_inode")
int BPF_PROG(tg_proc_task_to_inode, struct task_struct *p, struct inode *inode)
{
	struct tg_proc_stamp *v;
	struct tg_tenant t;

	if (BPF_CORE_READ(inode, i_sb, s_magic) != TG_PROC_SUPER_MAGIC ||
	    tg_task_tenant(p, &t))
		return 0;
	v = bpf_inode_storage_get(&proc_inode_tenant, inode, 0,
				  BPF_LOCAL_STORAGE_GET_F_CREATE);
	if (!v)
		return 0;
	v->tenant1 = t.id + 1;
	v->tid = (__u32)BPF_CORE_READ(p, pid);
	v->tgid = (__u32)BPF_CORE_READ(p, tgid);
	bpf_core_read_str(v->comm, sizeof(v->comm), &p->comm);
	return 0;
}

/*
 * Walking into, opening or reading a /proc inode of another tenant's or
 * the host's task. A path walk in RCU mode is sent back to reference mode
 * (-ECHILD), which asks again without MAY_NOT_BLOCK: only that attempt
 * decides and reports, once.
 */
#define TG_MAY_NOT_BLOCK 0x80

SEC("lsm/inode_permission")
int BPF_PROG(tg_proc_inode_permission, struct inode *inode, int mask, int ret)
{
	struct tg_proc_stamp *v;
	__u32 target, verdict, zero = 0;
	struct tg_tenant actor;
	struct tg_event *ev;
	int sent = -1;

	if (ret || BPF_CORE_READ(inode, i_sb, s_magic) != TG_PROC_SUPER_MAGIC)
		return ret;
	v = bpf_inode_storage_get(&proc_inode_tenant, inode, 0, 0);
	if (!v || !v->tenant1)
		return 0;
	target = v->tenant1 - 1;
	if (tg_task_actor(&actor) || actor.id == TG_TENANT_HOST ||
	    tg_reaches(actor.id, target))
		return 0;
	if (mask & TG_MAY_NOT_BLOCK)
		return -ECHILD;
	verdict =
		tg_site_verdict(actor.id, actor.flags, target, TG_GRANT_PTRACE);
	ev = bpf_map_lookup_elem(&event_scratch, &zero);
	if (tg_event_start(ev, (__u64)TG_KIND_PROC << 32 | TG_OP_PROC_OPEN,
			   verdict, actor.id, target) &&
	    ev) {
		ev->port = (__u16)mask;
		__builtin_memcpy(&ev->addr[0], &v->tid, sizeof(v->tid));
		__builtin_memcpy(&ev->addr[4], &v->tgid, sizeof(v->tgid));
		__builtin_memcpy(ev->path, v->comm, TG_COMM_LEN);
		ev->path_len = TG_COMM_LEN;
		sent = tg_event_submit(ev);
	}
	return tg_grant_verdict(actor.id, verdict, sent) ? -EACCES : 0;
}

/* SysV IPC -------------------------------------------------------------- */

/*
 * Record the creator of a new object. A tenant's object that cannot be
 * recorded (ipc_owners full) is not made (ENOSPC): unrecorded, any tenant
 * could use it. The host's is made all the same.
 */
static __always_inline int tg_ipc_created(struct kern_ipc_perm *perm,
					  __u16 type)
{
	struct tg_ipc_owner o = {.tenant = TG_TENANT_HOST, .type = type};
	struct tg_tenant t;
	__u64 key = (__u64)perm;

	if (!tg_task_tenant(NULL, &t)) {
		o.tenant = t.id;
		o.flags = (__u16)t.flags;
	}
	if (bpf_map_update_elem(&ipc_owners, &key, &o, BPF_ANY) &&
	    o.tenant != TG_TENANT_HOST)
		return -ENOSPC;
	return 0;
}

static __always_inline void tg_ipc_freed(struct kern_ipc_perm *perm)
{
	__u64 key = (__u64)perm;

	bpf_map_delete_elem(&ipc_owners, &key);
}

/*
 * The current task's access (see event_abi.h) to the object perm: 0, or
 * err (the ipc_permission refusal the kernel reports as EACCES, or EPERM).
 */
static __always_inline int tg_ipc_check(struct kern_ipc_perm *perm,
					__u32 access, int err)
{
	const struct tg_ipc_owner *o;
	__u32 verdict, zero = 0;
	struct tg_tenant actor;
	struct tg_event *ev;
	__u64 key = (__u64)perm;
	__s32 id, ikey;
	int sent = -1;

	o = bpf_map_lookup_elem(&ipc_owners, &key);
	if (!o || tg_task_actor(&actor) || actor.id == TG_TENANT_HOST ||
	    tg_reaches(actor.id, o->tenant))
		return 0;
	verdict = tg_site_verdict(actor.id, actor.flags, o->tenant,
				  TG_GRANT_PTRACE);
	ev = bpf_map_lookup_elem(&event_scratch, &zero);
	if (tg_event_start(ev, (__u64)TG_KIND_PROC << 32 | TG_OP_IPC, verdict,
			   actor.id, o->tenant) &&
	    ev) {
		ev->family = o->type;
		ev->port = (__u16)access;
		id = BPF_CORE_READ(perm, id);
		ikey = BPF_CORE_READ(perm, key);
		__builtin_memcpy(&ev->addr[0], &id, sizeof(id));
		__builtin_memcpy(&ev->addr[4], &ikey, sizeof(ikey));
		ev->path_len = 0;
		sent = tg_event_submit(ev);
	}
	return tg_grant_verdict(actor.id, verdict, sent) ? err : 0;
}

SEC("lsm/shm_alloc_security")
int BPF_PROG(tg_proc_shm_alloc, struct kern_ipc_perm *perm, int ret)
{
	return ret ?: tg_ipc_created(perm, TG_IPC_SHM);
}

SEC("lsm/msg_queue_alloc_security")
int BPF_PROG(tg_proc_msg_alloc, struct kern_ipc_perm *perm, int ret)
{
	return ret ?: tg_ipc_created(perm, TG_IPC_MSG);
}

SEC("lsm/sem_alloc_security")
int BPF_PROG(tg_proc_sem_alloc, struct kern_ipc_perm *perm, int ret)
{
	return ret ?: tg_ipc_created(perm, TG_IPC_SEM);
}

SEC("lsm/shm_free_security")
int BPF_PROG(tg_proc_shm_free, struct kern_ipc_perm *perm)
{
	tg_ipc_freed(perm);
	return 0;
}

SEC("lsm/msg_queue_free_security")
int BPF_PROG(tg_proc_msg_free, struct kern_ipc_perm *perm)
{
	tg_ipc_freed(perm);
	return 0;
}

SEC("lsm/sem_free_security")
int BPF_PROG(tg_proc_sem_free, struct kern_ipc_perm *perm)
{
	tg_ipc_freed(perm);
	return 0;
}

/* get of an existing key, attach, send, receive, operate, stat. */
SEC("lsm/ipc_permission")
int BPF_PROG(tg_proc_ipc_permission, struct kern_ipc_perm *ipcp, short flag,
	     int ret)
{
	return ret ?: tg_ipc_check(ipcp, (__u16)flag, -EACCES);
}

/* IPC_SET and IPC_RMID ask no ipc_permission: their ctl hooks. */
SEC("lsm/shm_shmctl")
int BPF_PROG(tg_proc_shmctl, struct kern_ipc_perm *perm, int cmd, int ret)
{
	return ret ?: tg_ipc_check(perm, 0x8000 | (__u32)cmd, -EPERM);
}

SEC("lsm/msg_queue_msgctl")
int BPF_PROG(tg_proc_msgctl, struct kern_ipc_perm *perm, int cmd, int ret)
{
	return ret ?: tg_ipc_check(perm, 0x8000 | (__u32)cmd, -EPERM);
}

SEC("lsm/sem_semctl")
int BPF_PROG(tg_proc_semctl, struct kern_ipc_perm *perm, int cmd, int ret)
{
	return ret ?: tg_ipc_check(perm, 0x8000 | (__u32)cmd, -EPERM);
}

char LICENSE[] SEC("license") = "GPL";
