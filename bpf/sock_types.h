/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The kernel's socket types the BPF LSM socket programs read, declared by
 * hand for CO-RE like bpf/kernel_types.h (include that first): only the
 * fields used, every access relocated against the running kernel's BTF.
 */
#ifndef TG_SOCK_TYPES_H
#define TG_SOCK_TYPES_H

#include <linux/types.h>
#include <linux/in.h>
#include <linux/in6.h>
#include <linux/un.h>

#pragma clang attribute push(__attribute__((preserve_access_index)),           \
			     apply_to = record)

struct kernfs_node {
	__u64 id;
};

struct cgroup {
	int level;
	struct kernfs_node *kn;
	struct cgroup *ancestors[]; /* ancestors[level] is the cgroup */
};

struct sock_cgroup_data {
	struct cgroup *cgroup; /* of the task that created the socket */
};

struct sock_common {
	union {
		struct {
			__be32 skc_daddr;
			__be32 skc_rcv_saddr;
		};
	};
	union {
		struct {
			__be16 skc_dport;
			__u16 skc_num;
		};
	};
	unsigned short skc_family;
	struct in6_addr skc_v6_daddr;
	struct in6_addr skc_v6_rcv_saddr;
};

struct sock {
	struct sock_common __sk_common;
	__u16 sk_type;
	__u16 sk_protocol;
	struct sock_cgroup_data sk_cgrp_data;
};

struct request_sock {
	struct sock_common __req_common; /* the connection's addresses */
};

struct socket {
	short type;
	struct sock *sk;
};

struct unix_address {
	int len; /* bytes of name used */
	struct sockaddr_un name[];
};

struct unix_sock {
	struct sock sk;
	struct unix_address *addr; /* bound name, NULL if none */
	struct sock *peer;
};

struct msghdr {
	void *msg_name; /* kernel copy of the address given */
	int msg_namelen;
};

#pragma clang attribute pop

struct sockaddr;

#endif /* TG_SOCK_TYPES_H */
