/* SPDX-License-Identifier: GPL-2.0 */
#ifndef TG_AGENTD_RESERVED_PORTS_H
#define TG_AGENTD_RESERVED_PORTS_H

#include <limits.h>
#include <stddef.h>
#include <linux/types.h>

#define TG_PORT_BITMAP (65536 / 8) /* bytes of a bitmap of all ports */

/*
 * Tenants' reserved ports kept out of the kernel's automatic port choice
 * (connect without bind, listen without bind, bind to port 0) through
 * net.ipv4.ip_local_reserved_ports of the agent's network namespace (it
 * also governs IPv6). The agent adds the ports it needs and later takes
 * away only those it added: the value the administrator set stays.
 */
struct tg_resports {
	char path[PATH_MAX];	   /* the sysctl file */
	__u8 mine[TG_PORT_BITMAP]; /* ports the agent added */
	unsigned int n_mine;
};

void tg_resports_init(struct tg_resports *r, const char *path);

struct tg_registry;

/*
 * Make the sysctl hold, besides what others put there, every port reserved
 * by a tenant of reg. 0 or -errno (the sysctl is then unchanged).
 */
int tg_resports_apply(struct tg_resports *r, const struct tg_registry *reg);

/* Take away the ports the agent added. 0 or -errno. */
int tg_resports_restore(struct tg_resports *r);

/* Take mine (as an earlier agent recorded it) as r's own ports. */
void tg_resports_adopt(struct tg_resports *r, const __u8 mine[TG_PORT_BITMAP]);

/* "1000-1010,2000" into bm (bits set, others left); 0 or -EINVAL. */
int tg_ports_parse(const char *s, __u8 bm[TG_PORT_BITMAP]);

/*
 * bm as "a-b,c,..." (malloc'd); each run of set bits once. NULL with errno
 * set on failure.
 */
char *tg_ports_format(const __u8 bm[TG_PORT_BITMAP]);

#endif /* TG_AGENTD_RESERVED_PORTS_H */
