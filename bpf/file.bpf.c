// SPDX-License-Identifier: GPL-2.0
/*
 * File isolation: a tenant may not open what lies below another tenant's
 * owned roots. Ownership is a property of the inode's ancestry in the dentry
 * tree (device + inode of each owned root), so symlinks, bind mounts, chroot,
 * /proc/PID/root and relative paths all lead to the same answer.
 */
#include "kernel_types.h"
#include "common.bpf.h"

#include <linux/errno.h>
#include <bpf/bpf_tracing.h>

#define TG_NAME_MAX 256		/* NAME_MAX + NUL */
#define TG_MAX_PATH_COMPONENTS 1024	/* mount crossings included */

/* Per policy slot: owned subtree root (device + inode) -> owning tenant. */
TG_POLICY_MAP(owned_roots, struct tg_inode_key, struct tg_owner,
	      TG_MAX_OWNED_ROOTS);

struct owner_walk {
	struct dentry *d;
	void *roots;		/* owned_roots of the slot in force */
	__u32 owner;
};

static long owner_step(__u32 i, void *ctx)
{
	struct owner_walk *w = ctx;
	struct tg_inode_key key = {};
	const struct tg_owner *owner;
	struct dentry *d = w->d, *parent;

	/* Kernel pointers only inside BPF_CORE_READ: never w->... there. */
	key.ino = BPF_CORE_READ(d, d_inode, i_ino);
	key.dev = BPF_CORE_READ(d, d_sb, s_dev);
	owner = bpf_map_lookup_elem(w->roots, &key);
	if (owner) {
		w->owner = owner->tenant;
		return 1;
	}
	parent = BPF_CORE_READ(d, d_parent);
	if (!parent || parent == d)
		return 1;
	w->d = parent;
	return 0;
}

/* The tenant owning dentry d or its nearest owned ancestor; 0 if none. */
static __always_inline __u32 tg_dentry_owner(__u32 slot, struct dentry *d)
{
	struct owner_walk w = { .d = d };

	w.roots = bpf_map_lookup_elem(&owned_roots, &slot);
	if (!w.roots)
		return 0;
	bpf_loop(TG_MAX_PATH_DEPTH, owner_step, &w, 0);
	return w.owner;
}

struct path_walk {
	struct tg_event *ev;
	struct mount *mnt;
	struct dentry *d;
	__u32 off;
	__u32 done;
};

static long path_step(__u32 i, void *ctx)
{
	struct path_walk *w = ctx;
	struct mount *mnt = w->mnt, *mnt_parent;
	struct dentry *d = w->d, *parent;
	__u32 off = w->off;
	long n;

	if (d == BPF_CORE_READ(mnt, mnt.mnt_root)) {
		mnt_parent = BPF_CORE_READ(mnt, mnt_parent);
		if (mnt_parent == mnt) {
			w->done = 1;
			return 1;
		}
		w->d = BPF_CORE_READ(mnt, mnt_mountpoint);
		w->mnt = mnt_parent;
		return 0;
	}
	parent = BPF_CORE_READ(d, d_parent);
	if (parent == d) {
		w->done = 1;
		return 1;
	}
	if (off > TG_PATH_LEN - TG_NAME_MAX)
		return 1;
	n = bpf_probe_read_kernel_str(&w->ev->path[off], TG_NAME_MAX,
				      BPF_CORE_READ(d, d_name.name));
	if (n <= 0)
		return 1;
	w->off = off + (__u32)n;
	w->d = parent;
	return 0;
}

/*
 * Record the path of (vfsmnt, d) in ev as NUL-terminated names from d up to
 * the root of the caller's mount tree, crossing mount points.
 */
static __always_inline void tg_event_path(struct tg_event *ev,
					  struct vfsmount *vfsmnt,
					  struct dentry *d)
{
	struct path_walk w = {
		.ev = ev,
		.mnt = container_of(vfsmnt, struct mount, mnt),
		.d = d,
	};

	bpf_loop(TG_MAX_PATH_COMPONENTS, path_step, &w, 0);
	ev->path_len = w.off;
	ev->path_flags = TG_PATH_F_COMPONENTS |
			 (w.done ? 0 : TG_PATH_F_TRUNCATED);
}

SEC("lsm/file_open")
int BPF_PROG(tg_file_open, struct file *file, int ret)
{
	const struct tg_tenant *actor;
	struct tg_event *ev;
	__u32 slot, owner;

	if (ret)
		return ret;
	slot = tg_policy_slot();
	actor = tg_current_tenant(slot);
	if (!actor)
		return 0;
	owner = tg_dentry_owner(slot, file->f_path.dentry);
	if (!owner || owner == actor->id)
		return 0;
	ev = tg_event_begin(TG_KIND_FILE, TG_OP_OPEN, actor, owner);
	if (ev) {
		tg_event_path(ev, file->f_path.mnt, file->f_path.dentry);
		tg_event_submit(ev);
	}
	return tg_denied(actor) ? -EACCES : 0;
}

char LICENSE[] SEC("license") = "GPL";
