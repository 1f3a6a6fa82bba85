/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The kernel types only bpf/guard.bpf.c reads, declared by hand for CO-RE
 * like bpf/kernel_types.h (include that first).
 */
#ifndef TG_GUARD_TYPES_H
#define TG_GUARD_TYPES_H

#include <linux/types.h>

#pragma clang attribute push(__attribute__((preserve_access_index)),           \
			     apply_to = record)

struct cred;

struct task_struct {
	int tgid; /* pid_t, initial pid namespace */
	struct task_struct *group_leader;
	__u64 start_boottime;	      /* ns after boot, suspend included */
	const struct cred *real_cred; /* objective credentials */
	const struct cred *cred;      /* subjective (may be overridden) */
};

struct user_namespace {
	int level; /* 0: the initial user namespace */
};

struct kernfs_node {
	struct kernfs_node *parent; /* NULL at the root */
	const char *name;
	__u64 id; /* a cgroup directory's: the cgroup id (= inode number) */
};

struct seq_file;

struct bpf_iter_meta {
	struct seq_file *seq;
};

struct bpf_iter__task_file {
	struct bpf_iter_meta *meta;
	struct task_struct *task;
	__u32 fd;
	struct file *file;
};

#pragma clang attribute pop

#endif /* TG_GUARD_TYPES_H */
