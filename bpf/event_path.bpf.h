/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The path of a dentry into an event, for the objects that report paths
 * (file.bpf.c, guard.bpf.c). Needs kernel_types.h and common.bpf.h first.
 */
#ifndef TG_EVENT_PATH_BPF_H
#define TG_EVENT_PATH_BPF_H

#include <bpf/bpf_core_read.h>

#define TG_NAME_MAX	       256  /* NAME_MAX + NUL */
#define TG_MAX_PATH_COMPONENTS 1024 /* mount crossings included */

struct path_walk {
	struct tg_event *ev;
	struct mount *mnt; /* NULL: stop at the filesystem's root */
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

	if (mnt && d == BPF_CORE_READ(mnt, mnt.mnt_root)) {
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
	/* A name may take TG_NAME_MAX bytes: path_len stays below TG_PATH_LEN.
	 */
	if (off >= TG_PATH_LEN - TG_NAME_MAX)
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
 * Record the path of d in ev as NUL-terminated names from d upwards: up to
 * the root of the caller's mount tree, crossing mount points, when vfsmnt is
 * known; else up to the root of d's filesystem (TG_PATH_F_FSROOT).
 */
static __always_inline void
tg_event_path(struct tg_event *ev, struct vfsmount *vfsmnt, struct dentry *d)
{
	struct path_walk w = {.ev = ev, .d = d};
	__u32 dev;

	if (vfsmnt)
		w.mnt = container_of(vfsmnt, struct mount, mnt);
	bpf_loop(TG_MAX_PATH_COMPONENTS, path_step, &w, 0);
	ev->path_len = w.off;
	ev->path_flags =
		TG_PATH_F_COMPONENTS | (w.done ? 0 : TG_PATH_F_TRUNCATED);
	if (!vfsmnt) {
		dev = BPF_CORE_READ(d, d_sb, s_dev);
		__builtin_memcpy(ev->addr, &dev, sizeof(dev));
		ev->path_flags |= TG_PATH_F_FSROOT;
	}
}

#endif /* TG_EVENT_PATH_BPF_H */
