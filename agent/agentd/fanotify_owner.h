/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Who owns a file, for the fanotify backend: the tenant owning the object
 * itself or its nearest owned ancestor in the dentry tree, by device and
 * inode, never by path string. Also who opens it: the tenant whose cgroup
 * holds the opener.
 */
#ifndef TG_AGENTD_FANOTIFY_OWNER_H
#define TG_AGENTD_FANOTIFY_OWNER_H

#include <stddef.h>
#include <sys/stat.h>
#include <linux/types.h>

#include "tenantguard/map_abi.h"

#define TG_FO_MAX_DEPTH 2048 /* directories walked up from an object */

/* tg_fo_ent.flags */
#define TG_FO_ROOT 0x1 /* the root of an owned subtree */
#define TG_FO_LINK 0x2 /* a hard link (nlink > 1) found below one */

/* One owned object. */
struct tg_fo_ent {
	__u64 dev;    /* st_dev */
	__u64 ino;    /* st_ino */
	__u32 tenant; /* owning tenant id */
	__u32 flags;  /* TG_FO_* */
};

/* Owned objects, sorted by (dev, ino) once finished. */
struct tg_fo_owned {
	struct tg_fo_ent *v;
	size_t n, cap;
};

void tg_fo_owned_init(struct tg_fo_owned *o);
void tg_fo_owned_free(struct tg_fo_owned *o);
int tg_fo_owned_add(struct tg_fo_owned *o, __u64 dev, __u64 ino, __u32 tenant,
		    __u32 flags);
/*
 * Sort and merge: one entry per object. Two tenants on one root: -EEXIST. A
 * root wins over a link; a link two tenants' trees hold is owned by
 * TG_OWNER_SHARED (refused to every tenant).
 */
int tg_fo_owned_finish(struct tg_fo_owned *o);
const struct tg_fo_ent *tg_fo_owned_find(const struct tg_fo_owned *o, __u64 dev,
					 __u64 ino);
/*
 * Whether e (NULL: no entry) holds for the object of stat st: a link found
 * at the last scan only while the object still has several links, so that
 * an inode number reused by a new file is not taken for it.
 */
int tg_fo_ent_matches(const struct tg_fo_ent *e, const struct stat *st);

/*
 * A bounded cache: (dev, ino) -> owner, emptied in O(1) by a generation, and
 * the answers naming one owner by that owner's generation. An answer holds
 * only while the object's ctime is the one it was found with: a rename
 * changes it, and so does a new inode reusing the number.
 */
struct tg_fo_slot {
	__u64 dev, ino;
	__u64 ctime_ns; /* the object's st_ctim then */
	__u64 stamp_ms; /* when the answer was found */
	__u32 tenant;
	__u32 gen;	 /* valid if equal to the cache's gen */
	__u32 dead;	 /* removed: probing goes on past it */
	__u32 owner_gen; /* valid if equal to its owner's generation */
};

/* Owner generations: one per tenant id, the pending actor, the rest. */
#define TG_FO_OWNER_GENS (TG_MAX_TENANTS + 2)

struct tg_fo_cache {
	struct tg_fo_slot *slots;
	size_t cap;  /* power of two */
	size_t used; /* slots taken in this generation */
	__u32 gen;
	__u32 *owner_gen; /* TG_FO_OWNER_GENS entries */
	__u64 max_age_ms; /* 0: answers never expire */
	__u64 hits, misses;
};

int tg_fo_cache_init(struct tg_fo_cache *c, size_t cap, __u64 max_age_ms);
void tg_fo_cache_free(struct tg_fo_cache *c);
void tg_fo_cache_clear(struct tg_fo_cache *c);
/*
 * Forget every answer naming owner tenant (TG_TENANT_HOST: no owner), in
 * O(1); the others stay. Ids beyond TG_TENANT_PENDING share one generation,
 * so forgetting one of them forgets them all.
 */
void tg_fo_cache_clear_owner(struct tg_fo_cache *c, __u32 tenant);
/* An object as the cache and the walk see it. */
struct tg_fo_obj {
	__u64 dev, ino;
	__u64 ctime_ns;
};

/* The key of a stat. */
struct tg_fo_obj tg_fo_obj_of(const struct stat *st);

/* 1 and *tenant if known, same ctime, not older than max_age_ms; else 0. */
int tg_fo_cache_get(struct tg_fo_cache *c, const struct tg_fo_obj *o,
		    __u64 now_ms, __u32 *tenant);
/* Remember an answer; a full cache starts a new generation first. */
void tg_fo_cache_put(struct tg_fo_cache *c, const struct tg_fo_obj *o,
		     __u32 tenant, __u64 now_ms);
void tg_fo_cache_del(struct tg_fo_cache *c, __u64 dev, __u64 ino);

/* What an ownership walk needs. */
struct tg_fo_walk {
	const struct tg_fo_owned *owned;
	struct tg_fo_cache *cache; /* NULL: no cache */
	int root_fd;		   /* the top of the tree, any open directory */
	const char *root_path;	   /* root_fd as /proc/self/fd shows it, "/" */
	__u64 now_ms;
	struct tg_fo_obj *scratch; /* TG_FO_MAX_DEPTH entries */
	unsigned int steps;	   /* out: directories opened by the walk */
};

/*
 * The owner of the object open as fd (O_PATH is enough) below w->root_fd,
 * with st its fstat: the tenant owning it, or its nearest owned ancestor,
 * 0 if none. A directory's ancestors are found by "..", a non-directory's
 * parent by its path below root_path (/proc/self/fd), checked to hold the
 * same inode. Returns 0, or -ESTALE (moved meanwhile), -ENAMETOOLONG, -ELOOP
 * (deeper than TG_FO_MAX_DEPTH) or another -errno: the caller decides.
 */
int tg_fo_owner(struct tg_fo_walk *w, int fd, const struct stat *st,
		__u32 *owner);

/*
 * The owned root (an entry with TG_FO_ROOT) at or above directory dfd
 * (taken: closed here) in w's tree, found by "..", into *root, and the
 * names from it down to dfd, "a/b" ("" for the root itself), then "/leaf"
 * (or "leaf" at the root) if leaf is not NULL, into below. Returns 0,
 * -ENOENT if no owned root is above, -ENAMETOOLONG or another -errno.
 */
int tg_fo_root_below(struct tg_fo_walk *w, int dfd, const char *leaf,
		     const struct tg_fo_ent **root, char *below, size_t len);

/*
 * The same for the object open as fd (O_PATH is enough, stat st) below
 * w->root_fd: from the directory holding it (by its path below root_path,
 * checked to hold it) for a non-directory, which may be a root itself.
 */
int tg_fo_root_of(struct tg_fo_walk *w, int fd, const struct stat *st,
		  const struct tg_fo_ent **root, char *below, size_t len);

/*
 * The parent directory part of the object path p (as /proc/self/fd shows
 * it, below root_path) relative to root_path: "a/b" for "/r/a/b/f" below
 * "/r", "." for "/r/f". " (deleted)" is dropped when deleted is set.
 * Returns 0, -EXDEV if p is not below root_path, -ENAMETOOLONG.
 */
int tg_fo_parent_rel(const char *p, const char *root_path, int deleted,
		     char *out, size_t len, const char **base);

/* Tenant cgroups: cgroup path (as /proc/PID/cgroup shows it) -> tenant. */
struct tg_fo_cgroup {
	char *path; /* "/tenants/acme" */
	__u32 tenant;
	__u32 flags; /* TG_TENANT_F_* */
};

struct tg_fo_cgroups {
	struct tg_fo_cgroup *v;
	size_t n, cap;
};

void tg_fo_cgroups_init(struct tg_fo_cgroups *g);
void tg_fo_cgroups_free(struct tg_fo_cgroups *g);
int tg_fo_cgroups_add(struct tg_fo_cgroups *g, const char *path, __u32 tenant,
		      __u32 flags);
int tg_fo_cgroups_finish(struct tg_fo_cgroups *g);
/* The tenant whose cgroup is path or an ancestor of it; NULL for the host. */
const struct tg_fo_cgroup *tg_fo_cgroups_find(const struct tg_fo_cgroups *g,
					      const char *path);

#endif /* TG_AGENTD_FANOTIFY_OWNER_H */
