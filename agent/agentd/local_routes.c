// SPDX-License-Identifier: GPL-2.0
/*
 * The local routing table from rtnetlink into the BPF trie local_routes.
 * The libnl cache manager keeps a cache of route/route objects current (all
 * tables: rtnetlink has no per-table subscription); after each batch of
 * changes the map is made to hold exactly the local table's routes of type
 * local, broadcast and anycast (tg_kv_sync writes only the differences), so
 * a prefix local on two interfaces stays until the last route goes.
 *
 * The key ::/0 is kept apart from the others: it is the mark of a table
 * that did not fit (TG_LOCAL_UNKNOWN), or an IPv6 local route ::/0 when
 * the table fits.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <linux/rtnetlink.h>
#include <netlink/cache.h>
#include <netlink/netlink.h>
#include <netlink/route/route.h>
#include <bpf/bpf.h>

#include "agentd/policy_maps.h"
#include "agentd/local_routes.h"

struct tg_local_routes {
	struct nl_cache_mngr *mngr;
	struct nl_cache *cache;	 /* route/route, kept by mngr */
	struct nl_sock *sync;	 /* for a fresh dump after a loss */
	struct tg_kv_set mirror; /* what the map holds, but ::/0 */
	__u8 zero;		 /* what ::/0 holds: 0 (none), TG_LOCAL_* */
	unsigned int limit;	 /* routes written at most */
	unsigned int table;	 /* routes in the table, last sync */
	int map_fd;
	int epoch_fd; /* net_epoch: [1] counts our changes */
	int dirty;    /* the cache changed since the last sync */
};

int tg_local_route_key(int family, const void *addr, unsigned int len,
		       unsigned int prefixlen, struct tg_net_key *key)
{
	unsigned int i, bits;

	memset(key, 0, sizeof(*key));
	if (family == AF_INET && (len == 4 || !len) && prefixlen <= 32) {
		key->addr[10] = key->addr[11] = 0xff;
		if (len)
			memcpy(key->addr + 12, addr, 4);
		key->prefixlen = 96 + prefixlen;
	} else if (family == AF_INET6 && (len == 16 || !len) &&
		   prefixlen <= 128) {
		if (len)
			memcpy(key->addr, addr, 16);
		key->prefixlen = prefixlen;
	} else {
		return family == AF_INET || family == AF_INET6 ? -EINVAL
							       : -EAFNOSUPPORT;
	}
	for (i = 0; i < 16; i++) {
		bits = key->prefixlen > i * 8 ? key->prefixlen - i * 8 : 0;
		if (bits < 8)
			key->addr[i] &= (__u8)(0xff00 >> bits);
	}
	return 0;
}

struct collect {
	struct tg_kv_set *set;
	int zero_route; /* an IPv6 local route ::/0 */
	int err;
};

static void collect_one(struct nl_object *obj, void *arg)
{
	struct rtnl_route *r = (struct rtnl_route *)obj;
	struct collect *c = arg;
	struct tg_net_key key;
	struct nl_addr *dst;
	__u8 v = TG_LOCAL_ROUTE;
	int type;

	if (c->err || rtnl_route_get_table(r) != RT_TABLE_LOCAL)
		return;
	type = rtnl_route_get_type(r);
	if (type != RTN_LOCAL && type != RTN_BROADCAST && type != RTN_ANYCAST)
		return;
	dst = rtnl_route_get_dst(r);
	if (!dst || tg_local_route_key(nl_addr_get_family(dst),
				       nl_addr_get_binary_addr(dst),
				       nl_addr_get_len(dst),
				       nl_addr_get_prefixlen(dst), &key))
		return;
	if (!key.prefixlen) {
		c->zero_route = 1;
		return;
	}
	c->err = tg_kv_add(c->set, &key, &v);
}

/* Tell the programs that verdicts cached before this change are void. */
static int bump_epoch(struct tg_local_routes *lr)
{
	__u32 one = 1;
	__u64 v = 0;

	if (lr->epoch_fd < 0)
		return 0;
	if (bpf_map_lookup_elem(lr->epoch_fd, &one, &v))
		return -errno;
	v++;
	if (bpf_map_update_elem(lr->epoch_fd, &one, &v, BPF_ANY))
		return -errno;
	return 0;
}

/* Make ::/0 hold v (0: remove it). */
static int set_zero(struct tg_local_routes *lr, __u8 v)
{
	struct tg_net_key key = {0};

	if (lr->zero == v)
		return 0;
	if (v ? bpf_map_update_elem(lr->map_fd, &key, &v, BPF_ANY)
	      : bpf_map_delete_elem(lr->map_fd, &key) && errno != ENOENT)
		return -errno;
	lr->zero = v;
	return 1;
}

/*
 * What the map holds (pinned by an earlier agent, or after a failed sync):
 * its routes into the empty mirror (so that those gone since are removed),
 * ::/0 into lr->zero.
 */
static int read_pinned(struct tg_local_routes *lr)
{
	struct tg_net_key key, next;
	unsigned int n = 0;
	__u8 v;
	int err;

	while (!bpf_map_get_next_key(lr->map_fd, n ? &key : NULL, &next)) {
		key = next;
		if (++n > TG_MAX_LOCAL_ROUTES + 1)
			return -E2BIG;
		if (bpf_map_lookup_elem(lr->map_fd, &key, &v))
			continue; /* removed in between */
		if (!key.prefixlen) {
			lr->zero = v;
			continue;
		}
		err = tg_kv_add(&lr->mirror, &key, &v);
		if (err)
			return err;
	}
	if (errno != ENOENT)
		return -errno;
	return tg_kv_finish(&lr->mirror);
}

/*
 * Make the map hold exactly the table's routes, or, if they do not fit,
 * the first limit of them and the mark (first: nothing is let through in
 * between). On failure, try to mark it, and take what the map holds for
 * the mirror again (a failed sync may have left it anywhere in between).
 */
static int sync_map(struct tg_local_routes *lr)
{
	struct tg_kv_set target;
	struct collect c = {.set = &target};
	long n = 0, changed;
	int err, r;
	__u8 zero;

	tg_kv_init(&target, sizeof(struct tg_net_key), 1);
	nl_cache_foreach(lr->cache, collect_one, &c);
	err = c.err ?: tg_kv_finish(&target);
	if (err)
		goto out_mark;
	lr->table = (unsigned int)target.n + (unsigned int)c.zero_route;
	zero = c.zero_route ? TG_LOCAL_ROUTE : 0;
	if (target.n > lr->limit) {
		target.n = lr->limit; /* rows stay allocated: freed below */
		zero = TG_LOCAL_UNKNOWN;
	}
	if (zero == TG_LOCAL_UNKNOWN) {
		r = set_zero(lr, zero);
		if (r < 0) {
			err = r;
			goto out_free;
		}
		n += r;
	}
	changed = tg_kv_sync(lr->map_fd, &lr->mirror, &target);
	if (changed < 0) {
		err = (int)changed;
		goto out_mark;
	}
	n += changed;
	r = set_zero(lr, zero);
	if (r < 0) {
		err = r;
		goto out_mark;
	}
	n += r;
	if (n > 0)
		err = bump_epoch(lr);
	if (!err)
		lr->dirty = 0;
	goto out_free;

out_mark:
	if (set_zero(lr, TG_LOCAL_UNKNOWN) > 0)
		bump_epoch(lr);
	/* Short of memory: what it misses stays in the map (refused more). */
	tg_kv_free(&lr->mirror);
	tg_kv_init(&lr->mirror, sizeof(struct tg_net_key), 1);
	lr->zero = 0;
	read_pinned(lr);
out_free:
	tg_kv_free(&target);
	return err;
}

static void on_change(struct nl_cache *cache, struct nl_object *obj, int action,
		      void *arg)
{
	struct tg_local_routes *lr = arg;

	(void)cache;
	(void)obj;
	(void)action;
	lr->dirty = 1;
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

struct tg_local_routes *tg_local_routes_open(int map_fd, int epoch_fd,
					     unsigned int limit)
{
	struct tg_local_routes *lr;
	int err;

	if (!limit || limit > TG_MAX_LOCAL_ROUTES) {
		errno = EINVAL;
		return NULL;
	}
	lr = calloc(1, sizeof(*lr));
	if (!lr)
		return NULL;
	lr->map_fd = map_fd;
	lr->epoch_fd = epoch_fd;
	lr->limit = limit;
	tg_kv_init(&lr->mirror, sizeof(struct tg_net_key), 1);
	err = read_pinned(lr);
	if (err)
		goto out_free;
	lr->sync = nl_socket_alloc();
	if (!lr->sync) {
		err = -ENOMEM;
		goto out_free;
	}
	err = nl_connect(lr->sync, NETLINK_ROUTE);
	if (err < 0) {
		err = nl_errno(err);
		goto out_free;
	}
	err = nl_cache_mngr_alloc(NULL, NETLINK_ROUTE, 0, &lr->mngr);
	if (err < 0) {
		err = nl_errno(err);
		goto out_free;
	}
	err = nl_cache_mngr_add(lr->mngr, "route/route", on_change, lr,
				&lr->cache);
	if (err < 0) {
		err = nl_errno(err);
		goto out_free;
	}
	err = sync_map(lr);
	if (err)
		goto out_free;
	return lr;

out_free:
	tg_local_routes_free(lr);
	errno = -err;
	return NULL;
}

void tg_local_routes_free(struct tg_local_routes *lr)
{
	if (!lr)
		return;
	if (lr->mngr)
		nl_cache_mngr_free(lr->mngr); /* frees its caches */
	if (lr->sync)
		nl_socket_free(lr->sync);
	tg_kv_free(&lr->mirror);
	free(lr);
}

int tg_local_routes_fd(const struct tg_local_routes *lr)
{
	return nl_cache_mngr_get_fd(lr->mngr);
}

int tg_local_routes_process(struct tg_local_routes *lr)
{
	int err;

	err = nl_cache_mngr_data_ready(lr->mngr);
	if (err < 0 && err != -NLE_AGAIN) {
		/* Notifications were lost (socket overrun): dump afresh. */
		err = nl_cache_refill(lr->sync, lr->cache);
		if (err < 0) {
			if (set_zero(lr, TG_LOCAL_UNKNOWN) > 0)
				bump_epoch(lr);
			return nl_errno(err);
		}
		lr->dirty = 1;
	}
	return lr->dirty ? sync_map(lr) : 0;
}

void tg_local_routes_stats(const struct tg_local_routes *lr,
			   struct tg_local_routes_stats *s)
{
	s->routes = (unsigned int)lr->mirror.n +
		    (lr->zero == TG_LOCAL_ROUTE ? 1 : 0);
	s->table = lr->table;
	s->limit = lr->limit;
	s->full = lr->zero == TG_LOCAL_UNKNOWN;
}
