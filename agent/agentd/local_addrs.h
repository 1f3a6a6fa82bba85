/* SPDX-License-Identifier: GPL-2.0 */
#ifndef TG_AGENTD_LOCAL_ADDRS_H
#define TG_AGENTD_LOCAL_ADDRS_H

#include <linux/types.h>

/*
 * The addresses of this host: every address (and broadcast address) on
 * every interface of the caller's network namespace, read from rtnetlink
 * (libnl-route's cache manager: a dump, then RTM_NEWADDR/RTM_DELADDR), kept
 * in a BPF hash map of 16-byte keys (IPv4 as ::ffff:a.b.c.d).
 */
struct tg_local_addrs;

/*
 * Dump the addresses into the map map_fd and start following changes;
 * after each change, add one to element 1 of the array map epoch_fd (-1:
 * none). NULL with errno set on failure.
 */
struct tg_local_addrs *tg_local_addrs_open(int map_fd, int epoch_fd);
void tg_local_addrs_free(struct tg_local_addrs *nl);

/* The fd to poll for changes. */
int tg_local_addrs_fd(const struct tg_local_addrs *nl);

/*
 * Take in what arrived on the fd and bring the map up to date (after a lost
 * notification, from a fresh dump). 0 or -errno; the map is left as it was
 * on failure.
 */
int tg_local_addrs_process(struct tg_local_addrs *nl);

/* Addresses in the map now. */
unsigned int tg_local_addrs_count(const struct tg_local_addrs *nl);

/* The 16-byte key of an AF_INET or AF_INET6 address; -EAFNOSUPPORT else. */
int tg_addr_key(int family, const void *addr, unsigned int len, __u8 key[16]);

#endif /* TG_AGENTD_LOCAL_ADDRS_H */
