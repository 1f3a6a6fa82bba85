/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The few kernel types the BPF programs read, declared by hand for CO-RE.
 *
 * Only the fields used are listed; preserve_access_index makes libbpf
 * relocate every access against the running kernel's BTF at load time, so
 * the build needs no vmlinux.h and no /sys/kernel/btf/vmlinux on the build
 * host, and one object serves 6.1 and newer kernels alike.
 */
#ifndef TG_KERNEL_TYPES_H
#define TG_KERNEL_TYPES_H

#include <linux/types.h>

#pragma clang attribute push(__attribute__((preserve_access_index)),           \
			     apply_to = record)

struct super_block {
	__u32 s_dev; /* dev_t */
	unsigned long s_magic;
};

struct qstr {
	union {
		struct {
			__u32 hash;
			__u32 len;
		};
		__u64 hash_len;
	};
	const unsigned char *name;
};

struct hlist_node {
	struct hlist_node *next, **pprev;
};

struct hlist_head {
	struct hlist_node *first;
};

struct inode {
	__u16 i_mode;
	unsigned long i_ino;
	struct super_block *i_sb;
	unsigned int i_nlink;
	struct hlist_head i_dentry; /* in an anonymous union in the kernel */
	void *i_private;
};

struct dentry {
	unsigned int d_flags;
	struct dentry *d_parent;
	struct qstr d_name;
	struct inode *d_inode;
	struct super_block *d_sb;
	union {
		struct hlist_node d_alias; /* in inode->i_dentry */
	} d_u;
};

struct vfsmount {
	struct dentry *mnt_root;
	struct super_block *mnt_sb;
};

struct mount {
	struct mount *mnt_parent;
	struct dentry *mnt_mountpoint;
	struct vfsmount mnt;
};

struct path {
	struct vfsmount *mnt;
	struct dentry *dentry;
};

struct file {
	struct path f_path;
	struct inode *f_inode;
	unsigned int f_flags;
	unsigned int f_mode; /* fmode_t */
	const void *f_cred;  /* the opener's credentials */
};

struct iattr {
	unsigned int ia_valid;
};

struct task_struct;

#pragma clang attribute pop

#endif /* TG_KERNEL_TYPES_H */
