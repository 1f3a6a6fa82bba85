/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The owned roots by device and inode, with the path the policy names each
 * by: how an event names the root above its object, whichever name the
 * opener used for it.
 */
#ifndef TG_AGENTD_ROOT_PATHS_H
#define TG_AGENTD_ROOT_PATHS_H

#include <stddef.h>
#include <linux/types.h>

#include "policy/registry.h"

struct tg_root_path {
	__u64 ino;
	__u32 dev;  /* kernel dev_t, as in struct tg_inode_key */
	__u32 seq;  /* order found: of one inode's paths the first is kept */
	char *path; /* as the policy names it */
};

struct tg_root_paths {
	struct tg_root_path *v;
	size_t n;
};

/*
 * Every path r owns (tenants in force: their paths and cgroup directories;
 * the paths root and the paths of tenants without an id) that exists now,
 * into rp, replacing what it held. Of two paths of one inode (a bind
 * mount) the tenant's is kept. 0 or -ENOMEM (rp unchanged).
 */
int tg_root_paths_build(struct tg_root_paths *rp, const struct tg_registry *r);
void tg_root_paths_free(struct tg_root_paths *rp);
/* The path of the root (dev, ino), or NULL if it is none of rp's. */
const char *tg_root_paths_find(const struct tg_root_paths *rp, __u32 dev,
			       __u64 ino);

#endif /* TG_AGENTD_ROOT_PATHS_H */
