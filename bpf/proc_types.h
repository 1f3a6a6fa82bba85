/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The kernel types only bpf/proc.bpf.c reads, declared by hand for CO-RE
 * like bpf/kernel_types.h (include that first).
 */
#ifndef TG_PROC_TYPES_H
#define TG_PROC_TYPES_H

#include <linux/types.h>

#pragma clang attribute push(__attribute__((preserve_access_index)),           \
			     apply_to = record)

struct kernfs_node {
	__u64 id; /* a cgroup directory's: the cgroup id */
};

struct cgroup {
	struct kernfs_node *kn;
	int level;		    /* 0: the root */
	struct cgroup *ancestors[]; /* [level]: itself, [0]: the root */
};

struct css_set {
	struct cgroup *dfl_cgrp; /* its cgroup v2 cgroup */
};

struct task_struct {
	int pid;  /* thread id, initial pid namespace */
	int tgid; /* thread group id */
	char comm[16];
	struct css_set *cgroups;
	struct task_struct *group_leader;
	__u64 start_boottime; /* ns after boot, suspend included */
};

struct pid;
struct fown_struct;

/* Up to 6.11 a file holds its owner; struct file___owner_in is that file. */
struct fown_struct___owner_in {
	struct pid *pid;
};

struct file___owner_in {
	struct fown_struct___owner_in f_owner;
};

/* From 6.12 it points to it, and the owner points back. */
struct fown_struct___owner_out {
	struct file *file;
	struct pid *pid;
};

struct file___owner_out {
	struct fown_struct___owner_out *f_owner;
};

struct kern_ipc_perm {
	int id;
	int key; /* key_t */
};

#pragma clang attribute pop

#endif /* TG_PROC_TYPES_H */
