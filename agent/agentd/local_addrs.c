// SPDX-License-Identifier: GPL-2.0
/*
 * Host addresses from rtnetlink into the BPF local_addrs map. The libnl
 * cache manager keeps a cache of route/addr objects current; after each
 * batch of changes the map is made to hold exactly the cache's addresses
 * (tg_kv_sync writes only the differences), so an address on two
 * interfaces stays until the last one loses it.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <netlink/cache.h>
#include <netlink/netlink.h>
#include <netlink/route/addr.h>
#include <bpf/bpf.h>

#include "agentd/policy_maps.h"
#include "agentd/local_addrs.h"

struct tg_local_addrs {
	struct nl_cache_mngr *mngr;
	struct nl_cache *cache;	 /* route/addr, kept by mngr */
	struct nl_sock *sync;	 /* for a fresh dump after a loss */
	struct tg_kv_set mirror; /* what the map holds */
	int map_fd;
	int epoch_fd; /* net_epoch: [1] counts our changes */
	int dirty;    /* the cache changed since the last sync */
	int err;      /* first error while collecting */
};

int tg_addr_key(int family, const void *addr, unsigned int len, __u8 key[16])
{
	memset(key, 0, 16);
	if (family == AF_INET && len == 4) {
		key[10] = key[11] = 0xff;
		memcpy(key + 12, addr, 4);
		return 0;
	}
	if (family == AF_INET6 && len == 16) {
		memcpy(key, addr, 16);
		return 0;
	}
	return -EAFNOSUPPORT;
}

static int add_addr(struct tg_kv_set *set, struct nl_addr *a)
{
	__u8 key[16], one = 1;

	if (!a || tg_addr_key(nl_addr_get_family(a), nl_addr_get_binary_addr(a),
			      nl_addr_get_len(a), key))
		return 0;
	return tg_kv_add(set, key, &one);
}

struct collect {
	struct tg_kv_set *set;
	int err;
};

static void collect_one(struct nl_object *obj, void *arg)
{
	struct rtnl_addr *ra = (struct rtnl_addr *)obj;
	struct collect *c = arg;

	if (c->err)
		return;
	c->err = add_addr(c->set, rtnl_addr_get_local(ra));
	if (!c->err)
		c->err = add_addr(c->set, rtnl_addr_get_broadcast(ra));
}

/* Tell the programs that verdicts cached before this change are void. */
static int bump_epoch(struct tg_local_addrs *nl)
{
	__u32 one = 1;
	__u64 v = 0;

	if (nl->epoch_fd < 0)
		return 0;
	if (bpf_map_lookup_elem(nl->epoch_fd, &one, &v))
		return -errno;
	v++;
	if (bpf_map_update_elem(nl->epoch_fd, &one, &v, BPF_ANY))
		return -errno;
	return 0;
}

/* Make the map hold exactly the cache's addresses. */
static int sync_map(struct tg_local_addrs *nl)
{
	struct tg_kv_set target;
	struct collect c = {.set = &target};
	long n;

	tg_kv_init(&target, 16, 1);
	nl_cache_foreach(nl->cache, collect_one, &c);
	if (!c.err)
		c.err = tg_kv_finish(&target);
	if (!c.err) {
		n = tg_kv_sync(nl->map_fd, &nl->mirror, &target);
		if (n < 0)
			c.err = (int)n;
		else if (n > 0)
			c.err = bump_epoch(nl);
	}
	tg_kv_free(&target);
	if (!c.err)
		nl->dirty = 0;
	return c.err;
}

static void on_change(struct nl_cache *cache, struct nl_object *obj, int action,
		      void *arg)
{
	struct tg_local_addrs *nl = arg;

	nl->dirty = 1;
}

static int nl_errno(int nlerr)
{
	switch (-nlerr) {
	case NLE_NOMEM: return -ENOMEM;
	case NLE_PERM: return -EPERM;
	case NLE_AGAIN: return -EAGAIN;
	default: return -EIO;
	}
}

struct tg_local_addrs *tg_local_addrs_open(int map_fd, int epoch_fd)
{
	struct tg_local_addrs *nl;
	int err;

	nl = calloc(1, sizeof(*nl));
	if (!nl)
		return NULL;
	nl->map_fd = map_fd;
	nl->epoch_fd = epoch_fd;
	tg_kv_init(&nl->mirror, 16, 1);
	nl->sync = nl_socket_alloc();
	if (!nl->sync) {
		err = -ENOMEM;
		goto out_free;
	}
	err = nl_connect(nl->sync, NETLINK_ROUTE);
	if (err < 0) {
		err = nl_errno(err);
		goto out_free;
	}
	err = nl_cache_mngr_alloc(NULL, NETLINK_ROUTE, 0, &nl->mngr);
	if (err < 0) {
		err = nl_errno(err);
		goto out_free;
	}
	err = nl_cache_mngr_add(nl->mngr, "route/addr", on_change, nl,
				&nl->cache);
	if (err < 0) {
		err = nl_errno(err);
		goto out_free;
	}
	err = sync_map(nl);
	if (err)
		goto out_free;
	return nl;

out_free:
	tg_local_addrs_free(nl);
	errno = -err;
	return NULL;
}

void tg_local_addrs_free(struct tg_local_addrs *nl)
{
	if (!nl)
		return;
	if (nl->mngr)
		nl_cache_mngr_free(nl->mngr); /* frees its caches */
	if (nl->sync)
		nl_socket_free(nl->sync);
	tg_kv_free(&nl->mirror);
	free(nl);
}

int tg_local_addrs_fd(const struct tg_local_addrs *nl)
{
	return nl_cache_mngr_get_fd(nl->mngr);
}

int tg_local_addrs_process(struct tg_local_addrs *nl)
{
	int err;

	err = nl_cache_mngr_data_ready(nl->mngr);
	if (err < 0 && err != -NLE_AGAIN) {
		/* Notifications were lost (socket overrun): dump afresh. */
		err = nl_cache_refill(nl->sync, nl->cache);
		if (err < 0)
			return nl_errno(err);
		nl->dirty = 1;
	}
	return nl->dirty ? sync_map(nl) : 0;
}

unsigned int tg_local_addrs_count(const struct tg_local_addrs *nl)
{
	return (unsigned int)nl->mirror.n;
}
