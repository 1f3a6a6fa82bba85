/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The kernel socket types the socket iterators of net.bpf.c read, declared
 * by hand for CO-RE (see kernel_types.h): only the fields used; libbpf
 * relocates every access against the running kernel's BTF.
 */
#ifndef TG_NET_TYPES_H
#define TG_NET_TYPES_H

#include <linux/types.h>

#pragma clang attribute push(__attribute__((preserve_access_index)),           \
			     apply_to = record)

struct net {
	__u64 net_cookie;
};

typedef struct {
	struct net *net;
} possible_net_t;

struct sock_common {
	union {
		struct {
			__be16 skc_dport;
			__u16 skc_num;
		};
	};
	unsigned short skc_family;
	volatile unsigned char skc_state;
	possible_net_t skc_net;
};

struct kernfs_node {
	__u64 id;
};

struct cgroup {
	int level;
	struct kernfs_node *kn;
	struct cgroup *ancestors[];
};

struct sock_cgroup_data {
	struct cgroup *cgroup;
};

struct sock {
	struct sock_common __sk_common;
	__u16 sk_protocol;
	struct sock_cgroup_data sk_cgrp_data;
};

/* Set on MPTCP subflows (subflow_ulp_init); absent without CONFIG_MPTCP. */
struct tcp_sock {
	_Bool is_mptcp;
};

/* The calling task (bpf_get_current_task): only its PF_* flags. */
struct task_struct___net {
	unsigned int flags;
};

struct bpf_iter_meta {
	struct seq_file *seq;
};

struct bpf_iter__tcp {
	struct bpf_iter_meta *meta;
	struct sock_common *sk_common;
};

struct bpf_iter__udp {
	struct bpf_iter_meta *meta;
	struct udp_sock *udp_sk;
};

#pragma clang attribute pop

#endif /* TG_NET_TYPES_H */
