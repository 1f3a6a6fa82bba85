/* SPDX-License-Identifier: GPL-2.0 */
#ifndef TG_COMMON_REPLAY_CACHE_H
#define TG_COMMON_REPLAY_CACHE_H

/*
 * The grant requests already activated in this boot (request id and boot
 * id), kept in a file so that an approved request is activated once, also
 * across restarts of the agent. Bounded: an entry is dropped once its
 * request's activate_by has passed (a request past it is refused anyway)
 * or when it was made in another boot; when still full, adding is refused
 * (-ENOSPC), never an entry forgotten. The file is rewritten whole,
 * atomically (a temporary file, fsync, rename, fsync of the folder):
 *
 *   tenantguard-replay v1
 *   <request id> <boot id> <activate_by>
 *   ...
 */
#include <linux/types.h>

#include "common/grant_doc.h"

#define TG_REPLAY_MAX 4096 /* entries */

struct tg_replay_entry {
	char id[TG_GRANT_ID_HEX + 1];
	__u64 activate_by; /* unix seconds */
};

struct tg_replay_cache {
	char *path;
	char boot_id[37];
	struct tg_replay_entry *e;
	unsigned int n;
};

/*
 * Open the cache at path for boot boot_id: its entries of this boot are
 * read (a missing file is an empty cache). 0, -EINVAL when the file is
 * not one (then nothing is trusted: the caller refuses activations), or
 * -errno.
 */
int tg_replay_open(struct tg_replay_cache *c, const char *path,
		   const char *boot_id);

/* Whether request id is in the cache. */
int tg_replay_seen(const struct tg_replay_cache *c, const char *id);

/*
 * Record request id (valid until activate_by) at now: entries past their
 * activate_by are dropped, then the file is written. 0, -EEXIST (seen:
 * a replay), -ENOSPC (full), -EINVAL, or -errno from writing (then the
 * cache is as before).
 */
int tg_replay_add(struct tg_replay_cache *c, const char *id, __u64 activate_by,
		  __u64 now);

void tg_replay_close(struct tg_replay_cache *c);

#endif /* TG_COMMON_REPLAY_CACHE_H */
