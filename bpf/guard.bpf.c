// SPDX-License-Identifier: GPL-2.0
/*
 * Self-protection: what a tenant's process (or the pending actor's) may not
 * do to tenantguard or to the host, whatever its uid and capabilities:
 *  - signal, ptrace, process_vm_readv/writev, /proc/PID/mem, pidfd_getfd
 *    of a guarded process (the agent, the collector), any of its threads:
 *    guarded_procs holds their thread group ids with their start times, so
 *    a reused pid is no guarded process;
 *  - call bpf() at all; open system-wide or kernel perf events;
 *  - use a capability of TG_GUARD_CAPS in the initial user namespace;
 *  - open, create in, link, unlink, rename, change the attributes of a
 *    protected object (guarded_inodes: the object itself, the entries of
 *    a protected directory) or anything on bpffs;
 *  - mount over a protected object or one of its ancestors, mount bpffs,
 *    unmount or move such a mount;
 *  - write a cgroup2 file, or create, remove or rename a cgroup, or move a
 *    process, outside its own tenant's subtree (the pending actor owns
 *    none).
 * Each refusal is -EPERM and one event of kind guard naming the check; a
 * tenant in audit mode is allowed and reported. Host processes are never
 * checked. The details and the limits: docs/self-protection.md.
 */
#include "kernel_types.h"
#include "guard_types.h"
#include "common.bpf.h"
#include "event_path.bpf.h"
#include "inode_dev.bpf.h"
#include "tenantguard/guard_abi.h"
#include "guarded.bpf.h"

#include <linux/errno.h>
#include <bpf/bpf_tracing.h>

#define TG_BPF_FS_MAGIC	       0xcafe4a11
#define TG_CGROUP2_SUPER_MAGIC 0x63677270
#define TG_FMODE_WRITE	       0x2
#define TG_PROC_SUPER_MAGIC    0x9fa0
#define TG_MAY_WRITE	       0x2
#define TG_MAY_APPEND	       0x8
#define TG_MAY_OPEN	       0x20
#define TG_CAP_OPT_NOAUDIT     0x2
#define TG_S_IFMT	       0170000
#define TG_S_IFDIR	       0040000
#define TG_S_IFSOCK	       0140000
#define TG_DCACHE_DISCONNECTED 0x20
#define TG_MS_REMOUNT	       32
#define TG_MS_BIND	       4096
#define TG_MS_PROPAGATION      ((1 << 17) | (1 << 18) | (1 << 19) | (1 << 20))

/*
 * Set before load: 1 when the file object (file.bpf.c) is loaded, which
 * answers for another tenant's cgroup directories (they are its owned
 * objects, EACCES); else this object refuses them too.
 */
const volatile __u32 file_lsm = 0;

/* Protected objects, their ancestors, their filesystems (guard_abi.h). */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, TG_GUARD_MAX_INODES);
	__type(key, struct tg_inode_key);
	__type(value, struct tg_guard_inode);
} guarded_inodes SEC(".maps");

/*
 * Credentials (struct cred pointers) with which a host process opened a
 * cgroup2 file for writing, until they are freed. A write to cgroup.procs
 * judges the migration with the opener's credentials (override_creds), so
 * a migration checked with one of these is the host's act: a descriptor
 * a host supervisor opened and handed over, or kept while it moved itself
 * into a tenant. Credentials a process got as a tenant's (fork, execve,
 * setuid all make new ones) are never here.
 */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, TG_GUARD_MAX_CREDS);
	__type(key, __u64);
	__type(value, __u8);
} host_cgroup_creds SEC(".maps");

/* The acting tenant and the root of its subtree. */
struct tg_gactor {
	struct tg_tenant t;
	__u64 root; /* its root cgroup id; 0 for the pending actor */
};

/*
 * The current task's actor into a, as tg_current_tenant finds it, with the
 * root cgroup of its tenant; for a host task of the support staff, the
 * support actor (no root). 0 for any other host process.
 */
static __always_inline int tg_guard_actor(struct tg_gactor *a)
{
	__u32 slot = tg_policy_slot();
	const struct tg_tenant *t;
	int level, found = 0;
	void *cgroups;
	__u64 cg;

	cgroups = bpf_map_lookup_elem(&tenant_cgroups, &slot);
	if (!cgroups)
		return 0;
	for (level = 1; level <= TG_MAX_CGROUP_LEVEL; level++) {
		cg = bpf_get_current_ancestor_cgroup_id(level);
		if (!cg)
			break;
		t = bpf_map_lookup_elem(cgroups, &cg);
		if (!t)
			continue;
		a->t = *t;
		found = 1;
		if (!(t->flags & TG_TENANT_F_PENDING)) {
			a->root = cg;
			return 1;
		}
	}
	if (found || !tg_is_support(slot))
		return found;
	a->t.id = TG_TENANT_SUPPORT;
	a->t.flags = 0;
	a->root = 0;
	return 1;
}

/* An event of check for a's refusal (num: see event_abi.h), or NULL. */
static __always_inline struct tg_event *
tg_guard_begin(const struct tg_gactor *a, __u32 op, __u32 check, __u32 num)
{
	struct tg_event *ev;

	ev = tg_event_begin(TG_KIND_GUARD, op, &a->t, TG_TENANT_HOST);
	if (ev) {
		ev->family = (__u16)check;
		ev->port = (__u16)num;
	}
	return ev;
}

static __always_inline int tg_guard_verdict(const struct tg_gactor *a)
{
	return tg_denied(&a->t) ? -EPERM : 0;
}

/* Signals and ptrace ------------------------------------------------------ */

static __always_inline int tg_guard_task(struct task_struct *p, __u32 op,
					 __u32 check, __u32 num)
{
	struct tg_gactor a = {};
	struct tg_event *ev;
	__u32 tgid;

	if (!tg_guarded_task(p) || !tg_guard_actor(&a))
		return 0;
	ev = tg_guard_begin(&a, op, check, num);
	if (ev) {
		tgid = (__u32)BPF_CORE_READ(p, tgid);
		__builtin_memcpy(&ev->addr[4], &tgid, sizeof(tgid));
		tg_event_submit(ev);
	}
	return tg_guard_verdict(&a);
}

/* kill, tgkill, tkill, pidfd_send_signal, rt_sigqueueinfo, ... */
SEC("lsm/task_kill")
int BPF_PROG(tg_guard_task_kill, struct task_struct *p, void *info, int sig,
	     const void *cred, int ret)
{
	return ret ?: tg_guard_task(p, TG_OP_KILL, TG_GUARD_SIGNAL, (__u32)sig);
}

/* ptrace, process_vm_readv/writev, /proc/PID/mem and co, pidfd_getfd. */
SEC("lsm/ptrace_access_check")
int BPF_PROG(tg_guard_ptrace, struct task_struct *child, unsigned int mode,
	     int ret)
{
	return ret ?: tg_guard_task(child, TG_OP_PTRACE, TG_GUARD_PTRACE, mode);
}

/* bpf(), perf, capabilities ------------------------------------------------ */

/* Every command; the hook's later arguments differ between kernels. */
SEC("lsm/bpf")
int BPF_PROG(tg_guard_bpf, int cmd)
{
	struct tg_gactor a = {};
	struct tg_event *ev;

	if (!tg_guard_actor(&a))
		return 0;
	ev = tg_guard_begin(&a, TG_OP_BPF, TG_GUARD_BPF, (__u32)cmd);
	if (ev)
		tg_event_submit(ev);
	return tg_guard_verdict(&a);
}

static __always_inline int tg_guard_perf(int type)
{
	struct tg_gactor a = {};
	struct tg_event *ev;

	if (!type || !tg_guard_actor(&a))
		return 0;
	ev = tg_guard_begin(&a, TG_OP_PERF, TG_GUARD_PERF, (__u32)type);
	if (ev)
		tg_event_submit(ev);
	return tg_guard_verdict(&a);
}

/*
 * Events of other processes, of CPUs or the kernel (type != 0:
 * PERF_SECURITY_CPU, _KERNEL, _TRACEPOINT); CAP_SYS_ADMIN would let them
 * through in place of CAP_PERFMON. A process's own user-space events stay.
 * Before 6.12 the hook has the event's attributes first; the agent loads
 * the program that fits.
 */
SEC("lsm/perf_event_open")
int BPF_PROG(tg_guard_perf_attr, void *attr, int type, int ret)
{
	return ret ?: tg_guard_perf(type);
}

SEC("lsm/perf_event_open")
int BPF_PROG(tg_guard_perf_type, int type, int ret)
{
	return ret ?: tg_guard_perf(type);
}

/*
 * A capability of TG_GUARD_CAPS against the initial user namespace. A
 * check the kernel makes without audit (a probe, capable_noaudit) is
 * refused without an event.
 */
SEC("lsm/capable")
int BPF_PROG(tg_guard_capable, const void *cred, struct user_namespace *ns,
	     int cap, unsigned int opts, int ret)
{
	struct tg_gactor a = {};
	struct tg_event *ev;

	if (ret || cap < 0 || cap > 63 || !((TG_GUARD_CAPS >> cap) & 1))
		return ret;
	if (BPF_CORE_READ(ns, level) != 0 || !tg_guard_actor(&a))
		return 0;
	if (!(opts & TG_CAP_OPT_NOAUDIT)) {
		ev = tg_guard_begin(&a, TG_OP_CAPABLE, TG_GUARD_CAP,
				    (__u32)cap);
		if (ev)
			tg_event_submit(ev);
	}
	return tg_guard_verdict(&a);
}

/* Protected paths ------------------------------------------------------------
 */

/* d's inode's flags in guarded_inodes, 0 if none (or a negative dentry). */
static __always_inline __u32 tg_inode_flags(struct dentry *d)
{
	struct tg_inode_key key = {};
	const struct tg_guard_inode *g;

	key.ino = BPF_CORE_READ(d, d_inode, i_ino);
	if (!key.ino)
		return 0;
	key.dev = tg_stat_dev(d);
	g = bpf_map_lookup_elem(&guarded_inodes, &key);
	return g ? g->flags : 0;
}

/*
 * Whether d is protected: on bpffs, a protected object, an entry of a
 * protected directory, or a dentry with no known parent (open_by_handle_at)
 * on a filesystem holding protected objects (fail closed).
 */
static __always_inline int tg_protected(struct dentry *d)
{
	struct tg_inode_key key = {};
	struct dentry *parent;

	if (BPF_CORE_READ(d, d_sb, s_magic) == TG_BPF_FS_MAGIC)
		return 1;
	/* btrfs without its types: nothing on it is known not to be. */
	if (tg_dev_unknown(d))
		return 1;
	if (tg_inode_flags(d) & TG_GUARD_F_SELF)
		return 1;
	parent = BPF_CORE_READ(d, d_parent);
	if (parent && parent != d)
		return (tg_inode_flags(parent) & TG_GUARD_F_CHILDREN) != 0;
	if (!(BPF_CORE_READ(d, d_flags) & TG_DCACHE_DISCONNECTED))
		return 0;
	key.dev = tg_stat_dev(d);
	return bpf_map_lookup_elem(&guarded_inodes, &key) != NULL;
}

/* One refusal of check/op on d (mounted at mnt, or NULL), with its path. */
static __always_inline int tg_guard_refuse(const struct tg_gactor *a, __u32 op,
					   __u32 check, struct vfsmount *mnt,
					   struct dentry *d)
{
	struct tg_event *ev;

	ev = tg_guard_begin(a, op, check, 0);
	if (ev) {
		tg_event_path(ev, mnt, d);
		tg_event_submit(ev);
	}
	return tg_guard_verdict(a);
}

static __always_inline int tg_guard_path(struct dentry *d, struct vfsmount *mnt,
					 __u32 op)
{
	struct tg_gactor a = {};

	if (!d || !tg_protected(d) || !tg_guard_actor(&a))
		return 0;
	return tg_guard_refuse(&a, op, TG_GUARD_PATH, mnt, d);
}

/* Host daemons' doors, closed to support staff ------------------------------
 */

/* Whether any support staff are named (else nothing below applies). */
static __always_inline int tg_support_named(void)
{
	__u32 slot = tg_policy_slot();
	const struct tg_support_set *s;

	s = bpf_map_lookup_elem(&support_uids, &slot);
	return s && s->n;
}

/*
 * A name d (made, linked, renamed into, or opened for writing) that is a
 * delegation object or an entry of a delegation directory, by the support
 * actor: refused (TG_GUARD_DELEGATION). Nobody else is asked.
 */
static __always_inline int tg_guard_delegation(struct dentry *d,
					       struct vfsmount *mnt, __u32 op)
{
	struct tg_gactor a = {};
	struct dentry *parent;

	if (!d || !tg_support_named())
		return 0;
	parent = BPF_CORE_READ(d, d_parent);
	if (!(tg_inode_flags(d) & TG_GUARD_F_DELEGATE) &&
	    !(parent && parent != d &&
	      (tg_inode_flags(parent) & TG_GUARD_F_DELEGATE_CHILDREN)))
		return 0;
	if (!tg_guard_actor(&a) || a.t.id != TG_TENANT_SUPPORT)
		return 0;
	return tg_guard_refuse(&a, op, TG_GUARD_DELEGATION, mnt, d);
}

/*
 * A connect (or datagram) to a unix socket by path asks for MAY_WRITE on
 * the socket's inode: refused to the support actor for a delegation
 * socket. The event names the socket by its inode.
 */
static __always_inline int tg_guard_socket_door(struct inode *inode)
{
	struct tg_inode_key key = {};
	const struct tg_guard_inode *g;
	struct tg_gactor a = {};
	struct tg_event *ev;

	if ((BPF_CORE_READ(inode, i_mode) & TG_S_IFMT) != TG_S_IFSOCK ||
	    !tg_support_named())
		return 0;
	key.ino = BPF_CORE_READ(inode, i_ino);
	key.dev = BPF_CORE_READ(inode, i_sb, s_dev);
	g = bpf_map_lookup_elem(&guarded_inodes, &key);
	if (!g || !(g->flags & TG_GUARD_F_DELEGATE) || !tg_guard_actor(&a) ||
	    a.t.id != TG_TENANT_SUPPORT)
		return 0;
	ev = tg_guard_begin(&a, TG_OP_CONNECT, TG_GUARD_DELEGATION, 0);
	if (ev) {
		ev->obj_ino = key.ino;
		ev->obj_dev = key.dev;
		ev->obj_flags = TG_OBJ_F_INODE;
		tg_event_submit(ev);
	}
	return tg_guard_verdict(&a);
}

/* Cgroups ---------------------------------------------------------------------
 */

struct kn_walk {
	struct tg_event *ev;
	struct kernfs_node *kn;
	__u32 off;
	__u32 done;
};

static long kn_step(__u32 i, void *ctx)
{
	struct kn_walk *w = ctx;
	struct kernfs_node *kn = w->kn, *parent;
	__u32 off = w->off;
	long n;

	parent = BPF_CORE_READ(kn, parent);
	if (!parent) {
		w->done = 1;
		return 1;
	}
	if (off >= TG_PATH_LEN - TG_NAME_MAX)
		return 1;
	n = bpf_probe_read_kernel_str(&w->ev->path[off], TG_NAME_MAX,
				      BPF_CORE_READ(kn, name));
	if (n <= 0)
		return 1;
	w->off = off + (__u32)n;
	w->kn = parent;
	return 0;
}

/* kn's path from the cgroup2 root into ev, as tg_event_path without mount. */
static __always_inline void tg_kn_path(struct tg_event *ev,
				       struct kernfs_node *kn, __u32 dev)
{
	struct kn_walk w = {.ev = ev, .kn = kn};

	bpf_loop(TG_MAX_CGROUP_LEVEL + 2, kn_step, &w, 0);
	ev->path_len = w.off;
	ev->path_flags = TG_PATH_F_COMPONENTS | TG_PATH_F_FSROOT |
			 (w.done ? 0 : TG_PATH_F_TRUNCATED);
	__builtin_memcpy(ev->addr, &dev, sizeof(dev));
}

/*
 * Whether a check of mask on a file is a migration's (cgroup_may_write:
 * MAY_WRITE without MAY_OPEN) made with a host opener's credentials (see
 * host_cgroup_creds). Opens, mkdir and the like are always the actor's.
 */
static __always_inline int tg_host_migration(int mask, int dir)
{
	struct task_struct *task = bpf_get_current_task_btf();
	__u64 cred;

	if (dir || (mask & TG_MAY_OPEN))
		return 0;
	cred = (__u64)BPF_CORE_READ(task, cred);
	return bpf_map_lookup_elem(&host_cgroup_creds, &cred) != NULL;
}

/*
 * Where cgroup directory cg lies for actor a: 1 inside a's subtree, 2
 * inside another tenant's (file isolation answers), 0 elsewhere.
 */
static __always_inline int tg_cgroup_place(const struct tg_gactor *a,
					   struct kernfs_node *cg)
{
	__u32 slot = tg_policy_slot();
	const struct tg_tenant *t;
	void *cgroups;
	__u64 id;
	int i;

	cgroups = bpf_map_lookup_elem(&tenant_cgroups, &slot);
	for (i = 0; i <= TG_MAX_CGROUP_LEVEL && cg; i++) {
		id = BPF_CORE_READ(cg, id);
		if (a->root && id == a->root)
			return 1;
		t = cgroups ? bpf_map_lookup_elem(cgroups, &id) : NULL;
		if (t && !(t->flags & TG_TENANT_F_PENDING))
			return 2;
		cg = BPF_CORE_READ(cg, parent);
	}
	return 0;
}

/*
 * A write to inode (a file's contents, or a directory's entries: mkdir,
 * rmdir, rename; also its attributes) in cgroup2, by the current task,
 * asked with mask (inode_permission's; MAY_OPEN for attributes).
 */
static __always_inline int tg_cgroup_write(struct inode *inode, int mask)
{
	struct kernfs_node *kn, *cg;
	struct tg_gactor a = {};
	struct tg_event *ev;
	int dir, place;

	if (!inode ||
	    BPF_CORE_READ(inode, i_sb, s_magic) != TG_CGROUP2_SUPER_MAGIC)
		return 0;
	dir = (BPF_CORE_READ(inode, i_mode) & TG_S_IFMT) == TG_S_IFDIR;
	if (tg_host_migration(mask, dir) || !tg_guard_actor(&a))
		return 0;
	kn = (struct kernfs_node *)BPF_CORE_READ(inode, i_private);
	if (!kn)
		return 0;
	cg = dir ? kn : BPF_CORE_READ(kn, parent);
	place = tg_cgroup_place(&a, cg);
	/*
	 * Another tenant's cgroup: the file object refuses the open, mkdir,
	 * rmdir, rename and attributes (EACCES); a migration it never sees.
	 */
	if (place == 1 ||
	    (place == 2 && file_lsm && (dir || (mask & TG_MAY_OPEN))))
		return 0;
	ev = tg_guard_begin(&a, TG_OP_CGROUP_WRITE, TG_GUARD_CGROUP, 0);
	if (ev) {
		tg_kn_path(ev, kn, BPF_CORE_READ(inode, i_sb, s_dev));
		tg_event_submit(ev);
	}
	return tg_guard_verdict(&a);
}

/*
 * Writes reach a cgroup2 file only through an open for writing, and
 * mkdir, rmdir, rename and migrations (cgroup.procs, clone3's
 * CLONE_INTO_CGROUP) all ask for MAY_WRITE first. Anything else leaves at
 * once.
 */
SEC("lsm/inode_permission")
int BPF_PROG(tg_guard_inode_permission, struct inode *inode, int mask, int ret)
{
	if (ret || !(mask & (TG_MAY_WRITE | TG_MAY_APPEND)))
		return ret;
	return tg_cgroup_write(inode, mask) ?: tg_guard_socket_door(inode);
}

/* A host process opening a cgroup2 file for writing: see host_cgroup_creds. */
static __always_inline void tg_note_host_writer(struct file *file)
{
	struct tg_gactor a = {};
	__u64 cred;
	__u8 one = 1;

	if (!(BPF_CORE_READ(file, f_mode) & TG_FMODE_WRITE) ||
	    BPF_CORE_READ(file, f_inode, i_sb, s_magic) !=
		    TG_CGROUP2_SUPER_MAGIC ||
	    tg_guard_actor(&a))
		return;
	cred = (__u64)BPF_CORE_READ(file, f_cred);
	bpf_map_update_elem(&host_cgroup_creds, &cred, &one, BPF_ANY);
}

/*
 * Run once by the agent at start: cgroup2 files open for writing before the
 * guard was loaded were nobody's to judge; their openers' credentials are
 * taken for a host's, as if the guard had seen the opens.
 */
SEC("iter/task_file")
int tg_guard_seed_creds(struct bpf_iter__task_file *ctx)
{
	struct file *file = ctx->file;
	__u64 cred;
	__u8 one = 1;

	if (!file || !(BPF_CORE_READ(file, f_mode) & TG_FMODE_WRITE) ||
	    BPF_CORE_READ(file, f_inode, i_sb, s_magic) !=
		    TG_CGROUP2_SUPER_MAGIC)
		return 0;
	cred = (__u64)BPF_CORE_READ(file, f_cred);
	bpf_map_update_elem(&host_cgroup_creds, &cred, &one, BPF_ANY);
	return 0;
}

/* Credentials freed: their address may come back as anyone's. */
SEC("lsm/cred_free")
int BPF_PROG(tg_guard_cred_free, void *cred)
{
	__u64 key = (__u64)cred;

	bpf_map_delete_elem(&host_cgroup_creds, &key);
	return 0;
}

/*
 * An open for writing of a /proc/PID/loginuid (or task/TID/loginuid) by a
 * task whose login uid is set: refused to every task, host or tenant,
 * while the guard is loaded, so that no one sheds the login uid that
 * makes them support staff (the audit subsystem's own lock,
 * loginuid_immutable, is host-wide and one-way). Setting it the first
 * time (pam_loginuid at login, from a task without one) stays possible.
 */
static __always_inline int tg_guard_loginuid(struct file *file)
{
	struct tg_gactor a = {};
	struct tg_event *ev;
	struct dentry *d;
	__u64 name = 0;
	__u32 len;

	if (!(BPF_CORE_READ(file, f_mode) & TG_FMODE_WRITE) ||
	    BPF_CORE_READ(file, f_inode, i_sb, s_magic) != TG_PROC_SUPER_MAGIC)
		return 0;
	d = BPF_CORE_READ(file, f_path.dentry);
	len = BPF_CORE_READ(d, d_name.len);
	if (len != 8)
		return 0;
	bpf_probe_read_kernel(&name, sizeof(name),
			      BPF_CORE_READ(d, d_name.name));
	/* "loginuid" as a little-endian __u64. */
	if (name != 0x6469756e69676f6cULL ||
	    tg_login_uid((void *)bpf_get_current_task()) == TG_NO_LOGIN_UID)
		return 0;
	if (!tg_guard_actor(&a)) {
		a.t.id = TG_TENANT_HOST;
		a.t.flags = 0;
	}
	ev = tg_guard_begin(&a, TG_OP_OPEN, TG_GUARD_LOGINUID, 0);
	if (ev) {
		tg_event_path(ev, BPF_CORE_READ(file, f_path.mnt), d);
		tg_event_submit(ev);
	}
	return tg_guard_verdict(&a);
}

SEC("lsm/file_open")
int BPF_PROG(tg_guard_file_open, struct file *file, int ret)
{
	if (ret)
		return ret;
	tg_note_host_writer(file);
	return tg_guard_loginuid(file)
		       ?: tg_guard_path(file->f_path.dentry, file->f_path.mnt,
					TG_OP_OPEN)
		       ?: ((BPF_CORE_READ(file, f_mode) & TG_FMODE_WRITE)
				   ? tg_guard_delegation(file->f_path.dentry,
							 file->f_path.mnt,
							 TG_OP_OPEN)
				   : 0);
}

SEC("lsm/inode_create")
int BPF_PROG(tg_guard_inode_create, struct inode *dir, struct dentry *dentry,
	     unsigned short mode, int ret)
{
	return ret ?: tg_guard_path(dentry, NULL, TG_OP_CREATE)
			      ?: tg_guard_delegation(dentry, NULL, TG_OP_CREATE);
}

SEC("lsm/inode_mkdir")
int BPF_PROG(tg_guard_inode_mkdir, struct inode *dir, struct dentry *dentry,
	     unsigned short mode, int ret)
{
	return ret ?: tg_guard_path(dentry, NULL, TG_OP_MKDIR);
}

SEC("lsm/inode_mknod")
int BPF_PROG(tg_guard_inode_mknod, struct inode *dir, struct dentry *dentry,
	     unsigned short mode, unsigned int dev, int ret)
{
	return ret ?: tg_guard_path(dentry, NULL, TG_OP_MKNOD)
			      ?: tg_guard_delegation(dentry, NULL, TG_OP_MKNOD);
}

SEC("lsm/inode_symlink")
int BPF_PROG(tg_guard_inode_symlink, struct inode *dir, struct dentry *dentry,
	     const char *old_name, int ret)
{
	return ret ?: tg_guard_path(dentry, NULL, TG_OP_SYMLINK)
			      ?: tg_guard_delegation(dentry, NULL, TG_OP_SYMLINK);
}

/* A new name for a protected object, or a name in a protected directory. */
SEC("lsm/inode_link")
int BPF_PROG(tg_guard_inode_link, struct dentry *old_dentry, struct inode *dir,
	     struct dentry *new_dentry, int ret)
{
	return ret ?: tg_guard_path(old_dentry, NULL, TG_OP_LINK)
			      ?: tg_guard_path(new_dentry, NULL, TG_OP_LINK)
			      ?: tg_guard_delegation(new_dentry, NULL,
						     TG_OP_LINK);
}

SEC("lsm/inode_unlink")
int BPF_PROG(tg_guard_inode_unlink, struct inode *dir, struct dentry *dentry,
	     int ret)
{
	return ret ?: tg_guard_path(dentry, NULL, TG_OP_UNLINK);
}

SEC("lsm/inode_rmdir")
int BPF_PROG(tg_guard_inode_rmdir, struct inode *dir, struct dentry *dentry,
	     int ret)
{
	return ret ?: tg_guard_path(dentry, NULL, TG_OP_RMDIR);
}

/* Out of a protected place, or into one (over a protected object too). */
SEC("lsm/inode_rename")
int BPF_PROG(tg_guard_inode_rename, struct inode *old_dir,
	     struct dentry *old_dentry, struct inode *new_dir,
	     struct dentry *new_dentry, int ret)
{
	return ret ?: tg_guard_path(old_dentry, NULL, TG_OP_RENAME)
			      ?: tg_guard_path(new_dentry, NULL, TG_OP_RENAME)
			      ?: tg_guard_delegation(new_dentry, NULL,
						     TG_OP_RENAME);
}

/* chmod, chown, truncate(2), times: of a protected object, or in cgroup2. */
static __always_inline int tg_guard_setattr(struct dentry *dentry)
{
	return tg_guard_path(dentry, NULL, TG_OP_SETATTR)
		       ?: tg_cgroup_write(BPF_CORE_READ(dentry, d_inode),
					  TG_MAY_WRITE | TG_MAY_OPEN);
}

/* inode_setattr before 6.8 ... */
SEC("lsm/inode_setattr")
int BPF_PROG(tg_guard_inode_setattr, struct dentry *dentry, void *attr, int ret)
{
	return ret ?: tg_guard_setattr(dentry);
}

/* ... and from 6.8, with the mount's idmap first; the agent loads one. */
SEC("lsm/inode_setattr")
int BPF_PROG(tg_guard_inode_setattr_idmap, void *idmap, struct dentry *dentry,
	     void *attr, int ret)
{
	return ret ?: tg_guard_setattr(dentry);
}

SEC("lsm/inode_setxattr")
int BPF_PROG(tg_guard_inode_setxattr, void *idmap, struct dentry *dentry,
	     const char *name, const void *value, unsigned long size, int flags,
	     int ret)
{
	return ret ?: tg_guard_path(dentry, NULL, TG_OP_SETXATTR);
}

SEC("lsm/inode_removexattr")
int BPF_PROG(tg_guard_inode_removexattr, void *idmap, struct dentry *dentry,
	     const char *name, int ret)
{
	return ret ?: tg_guard_path(dentry, NULL, TG_OP_REMOVEXATTR);
}

/* Mounts ----------------------------------------------------------------------
 */

/* Whether nothing may be mounted on d, nor d's mount unmounted or moved. */
static __always_inline int tg_mount_guarded(struct dentry *d)
{
	return d &&
	       (tg_protected(d) || (tg_inode_flags(d) & TG_GUARD_F_ANCESTOR));
}

static __always_inline int tg_guard_mount(struct vfsmount *mnt,
					  struct dentry *d, __u32 op)
{
	struct tg_gactor a = {};

	if (!tg_guard_actor(&a))
		return 0;
	return tg_guard_refuse(&a, op, TG_GUARD_MOUNT, mnt, d);
}

/*
 * mount(2): a bpffs of any kind anywhere; anything on a protected object
 * or on bpffs; a new mount, bind mount or remount on an ancestor of a
 * protected object (that would hide it). Changing the propagation of an
 * ancestor (mount --make-rprivate /, as unshare does) stays allowed.
 */
SEC("lsm/sb_mount")
int BPF_PROG(tg_guard_sb_mount, const char *dev_name, const struct path *path,
	     const char *type, unsigned long flags, void *data, int ret)
{
	struct dentry *d = BPF_CORE_READ(path, dentry);
	char fstype[4] = {};
	int propagation;

	if (ret)
		return ret;
	if (type)
		bpf_probe_read_kernel_str(fstype, sizeof(fstype), type);
	propagation = !(flags & (TG_MS_REMOUNT | TG_MS_BIND)) &&
		      (flags & TG_MS_PROPAGATION);
	if ((fstype[0] == 'b' && fstype[1] == 'p' && fstype[2] == 'f' &&
	     !fstype[3]) ||
	    tg_protected(d) ||
	    (!propagation && (tg_inode_flags(d) & TG_GUARD_F_ANCESTOR)))
		return tg_guard_mount(BPF_CORE_READ(path, mnt), d, TG_OP_MOUNT);
	return 0;
}

SEC("lsm/sb_umount")
int BPF_PROG(tg_guard_sb_umount, struct vfsmount *mnt, int flags, int ret)
{
	struct dentry *root = BPF_CORE_READ(mnt, mnt_root);

	if (ret || !tg_mount_guarded(root))
		return ret;
	return tg_guard_mount(mnt, root, TG_OP_UMOUNT);
}

SEC("lsm/move_mount")
int BPF_PROG(tg_guard_move_mount, const struct path *from_path,
	     const struct path *to_path, int ret)
{
	struct dentry *from = BPF_CORE_READ(from_path, dentry);
	struct dentry *to = BPF_CORE_READ(to_path, dentry);

	if (ret)
		return ret;
	if (tg_mount_guarded(from))
		return tg_guard_mount(BPF_CORE_READ(from_path, mnt), from,
				      TG_OP_MOVE_MOUNT);
	if (tg_mount_guarded(to))
		return tg_guard_mount(BPF_CORE_READ(to_path, mnt), to,
				      TG_OP_MOVE_MOUNT);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
