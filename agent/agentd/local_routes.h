/* SPDX-License-Identifier: GPL-2.0 */
#ifndef TG_AGENTD_LOCAL_ROUTES_H
#define TG_AGENTD_LOCAL_ROUTES_H

#include <linux/types.h>

#include "tenantguard/map_abi.h"

/*
 * What this host is: the local routing table (RT_TABLE_LOCAL) of the
 * caller's network namespace, its routes of type local, broadcast and
 * anycast (one per address, and every prefix `ip route add local` or an
 * address on lo makes the host's), read from rtnetlink (libnl-route's cache
 * manager: a dump, then RTM_NEWROUTE/RTM_DELROUTE) into the BPF LPM trie
 * local_routes (key struct tg_net_key, IPv4 as ::ffff:a.b.c.d with prefix
 * 96 + its length).
 *
 * At most limit routes go into the map. When the table holds more, the map
 * also holds ::/0 with TG_LOCAL_UNKNOWN (written before the routes, removed
 * after them once the table fits again), so that the programs refuse
 * tenants what may be this host: the table is "full".
 */
struct tg_local_routes;

/*
 * Dump the table into the map map_fd (TG_MAX_LOCAL_ROUTES + 1 entries) and
 * start following changes; limit: routes written at most, 1 to
 * TG_MAX_LOCAL_ROUTES. After each change, add one to element 1 of the array
 * map epoch_fd (-1: none). NULL with errno set on failure.
 */
struct tg_local_routes *tg_local_routes_open(int map_fd, int epoch_fd,
					     unsigned int limit);
void tg_local_routes_free(struct tg_local_routes *lr);

/* The fd to poll for changes. */
int tg_local_routes_fd(const struct tg_local_routes *lr);

/*
 * Take in what arrived on the fd and bring the map up to date (after a lost
 * notification, from a fresh dump). 0 or -errno; on failure the map is
 * marked full (refusing what it may not hold), if that could be written.
 */
int tg_local_routes_process(struct tg_local_routes *lr);

struct tg_local_routes_stats {
	unsigned int routes; /* in the map now */
	unsigned int table;  /* local, broadcast, anycast routes of the table */
	unsigned int limit;  /* routes the map takes */
	int full;	     /* ::/0 unknown is in the map */
};

void tg_local_routes_stats(const struct tg_local_routes *lr,
			   struct tg_local_routes_stats *s);

/*
 * The key of a route to addr/prefixlen (family AF_INET, len 4, or AF_INET6,
 * len 16; len 0: the default route), bits beyond the prefix cleared:
 * -EAFNOSUPPORT or -EINVAL for anything else.
 */
int tg_local_route_key(int family, const void *addr, unsigned int len,
		       unsigned int prefixlen, struct tg_net_key *key);

#endif /* TG_AGENTD_LOCAL_ROUTES_H */
