/* SPDX-License-Identifier: GPL-2.0 */
#ifndef TG_AGENTD_SOCKET_SEED_H
#define TG_AGENTD_SOCKET_SEED_H

#include <linux/types.h>

struct tg_bpf;

/* What seeding found. */
struct tg_seed_stats {
	unsigned int netns;	   /* network namespaces visited */
	unsigned int netns_failed; /* could not be entered */
	unsigned int sockets;	   /* tenant sockets tagged */
	unsigned int ports;	   /* ports recorded as held */
	unsigned int conflicts;	   /* ports another tenant held first */
	char conflict[160];	   /* the first conflict, in words */
};

/*
 * Tag the sockets that tenants opened before the agent started, and record
 * the ports they listen or receive on, in every network namespace in use
 * (those of /proc/PID/ns/net and the bind mounts in netns_dir, which may be
 * NULL). The agent's own namespace is entered again at the end. 0 or
 * -errno (an iterator failed, or the own namespace could not be re-entered).
 */
int tg_seed_sockets(struct tg_bpf *b, const char *proc, const char *netns_dir,
		    struct tg_seed_stats *st);

/*
 * Account one iterator output line ("proto port tenant holder") in st;
 * -EINVAL if it is malformed.
 */
int tg_seed_line(const char *line, struct tg_seed_stats *st);

/* The cookie of the caller's network namespace, 0 if unknown. */
__u64 tg_netns_cookie(void);

#endif /* TG_AGENTD_SOCKET_SEED_H */
