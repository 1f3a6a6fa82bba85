/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The device number of an object as stat(2) reports it, by which the agent
 * keys inodes (owned roots, protected files): the superblock's, except on
 * btrfs, where each subvolume has a device number of its own and inode
 * numbers repeat across subvolumes (the superblock's would never match
 * and, worse, would take one subvolume's object for another's). The btrfs
 * types come from the btrfs module's BTF, resolved when the program is
 * loaded; if btrfs was not loaded then, its objects have no known device
 * number (0), and callers fail closed.
 */
#ifndef TG_INODE_DEV_BPF_H
#define TG_INODE_DEV_BPF_H

#include "kernel_types.h"

#include <bpf/bpf_core_read.h>

#define TG_BTRFS_SUPER_MAGIC 0x9123683EUL

struct btrfs_root {
	__u32 anon_dev; /* dev_t */
} __attribute__((preserve_access_index));

struct btrfs_inode {
	struct btrfs_root *root;
	struct inode vfs_inode;
} __attribute__((preserve_access_index));

/* Whether btrfs's types were known when the program was loaded. */
#define tg_btrfs_known()                                                       \
	(bpf_core_type_exists(struct btrfs_inode) &&                           \
	 bpf_core_field_exists(struct btrfs_root, anon_dev))

/* Whether d is on btrfs. */
static __always_inline int tg_on_btrfs(struct dentry *d)
{
	return BPF_CORE_READ(d, d_sb, s_magic) == TG_BTRFS_SUPER_MAGIC;
}

/* Whether d is on btrfs and btrfs's types were not known at load. */
static __always_inline int tg_dev_unknown(struct dentry *d)
{
	return !tg_btrfs_known() && tg_on_btrfs(d);
}

/*
 * stat(2)'s device number of d's inode (d positive); 0 on btrfs if its
 * types are not known. Without a branch on the filesystem (the callers are
 * unrolled several times in hooks the verifier finds long enough): the
 * subvolume's number is read whatever the filesystem (a read that faults
 * gives 0) and chosen by arithmetic.
 */
static __always_inline __u32 tg_stat_dev(struct dentry *d)
{
	__u64 magic = BPF_CORE_READ(d, d_sb, s_magic), diff, btrfs;
	__u32 dev = BPF_CORE_READ(d, d_sb, s_dev), anon = 0;
	struct btrfs_inode *bi;

	if (tg_btrfs_known()) {
		bi = (void *)BPF_CORE_READ(d, d_inode) -
		     bpf_core_field_offset(struct btrfs_inode, vfs_inode);
		anon = BPF_CORE_READ(bi, root, anon_dev);
	}
	diff = magic ^ TG_BTRFS_SUPER_MAGIC;
	btrfs = ((diff | -diff) >> 63) ^ 1; /* 1 if magic is btrfs's */
	return dev + (__u32)btrfs * (anon - dev);
}

#endif /* TG_INODE_DEV_BPF_H */
