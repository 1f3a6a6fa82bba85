/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Objects hard-linked below owned roots. A hard link is a second name for
 * the same inode anywhere on the filesystem, possibly outside every owned
 * tree (made before the policy was loaded, or by a host process): the BPF
 * side only sees the name it is reached by, and resolves each name by its
 * own ancestry (an object with several links has no cached answer of its
 * own). The scan at agent start counts every name of such objects below
 * the owned roots, each name under its nearest root, and compares that
 * with the object's link count:
 * - a name outside every owned tree (fewer names found than links): the
 *   object is left to each name's place, so a host file a tenant links into
 *   its own tree stays reachable through the host's names;
 * - every name below one tenant's roots: each name leads to that tenant;
 * - names below several tenants' roots (a link made before the policy, a
 *   deduplicating store): the object is recorded as owned by
 *   TG_OWNER_SHARED, refused to every tenant, and reported; at most
 *   max_per_tenant such objects per tenant (the others are dropped, and
 *   reported), and never more than the map holds.
 * A recorded object matches only while it has more than one link, so an
 * inode number reused by a new file with one link is not taken for it.
 */
#ifndef TG_AGENTD_HARDLINKS_H
#define TG_AGENTD_HARDLINKS_H

#include <limits.h>

#include "agentd/policy_maps.h"
#include "policy/registry.h"
#include "tenantguard/map_abi.h"

#define TG_LINKS_PER_TENANT 65536 /* default of max_per_tenant */

/* What the last tg_links_record made of the objects found. */
struct tg_links_stats {
	unsigned long shared;	/* below several tenants' roots: recorded */
	unsigned long outside;	/* one tenant's, also named outside every
				   owned tree: recorded as that tenant's */
	unsigned long dropped;	/* shared, not recorded: over a limit */
	__u32 dropped_tenant;	/* a tenant over its limit (if dropped) */
	char example[PATH_MAX]; /* a name of one shared object, or "" */
	char example_outside[PATH_MAX]; /* one of the outside-named, or "" */
};

/*
 * Scans are made once per root (device + inode) for the agent's lifetime:
 * links made later by tenants to another tenant's objects are refused by
 * the kernel, so only a new root needs a new scan.
 */
struct tg_links {
	struct tg_kv_set scanned;    /* struct tg_inode_key of scanned roots */
	struct tg_kv_set found;	     /* one row per name found, sorted */
	unsigned long visited;	     /* entries looked at, total (not
					counting other filesystems') */
	unsigned int errors;	     /* roots whose scan stopped early */
	unsigned int max_per_tenant; /* shared objects recorded per tenant */
	__u64 serial;		     /* names found so far */
	struct tg_links_stats st;
};

void tg_links_init(struct tg_links *l);
void tg_links_free(struct tg_links *l);

/* Whether an owned path of r's tenants has not been scanned yet. */
int tg_links_pending(const struct tg_links *l, const struct tg_registry *r);

/*
 * Add to c->roots (already finished by tg_compile) the shared objects of
 * the names found so far, as above; l->st says what became of them.
 * Returns 0 or -ENOMEM.
 */
int tg_links_record(struct tg_links *l, const struct tg_registry *r,
		    struct tg_compiled *c);

/*
 * Scan every owned path of r's tenants not scanned before (not descending
 * into other roots of c), then tg_links_record. Returns 0 or -ENOMEM.
 */
int tg_links_apply(struct tg_links *l, const struct tg_registry *r,
		   struct tg_compiled *c);

/*
 * Record below root (whose key is rkey) every name of a non-directory with
 * more than one link, not crossing into other filesystems, not descending
 * into directories whose keys skip holds (NULL: none), at most
 * TG_MAX_PATH_DEPTH deep, as rows of l->found (unsorted). 0 or -errno; what
 * was found before an error stays recorded.
 */
int tg_links_scan(struct tg_links *l, const char *root,
		  const struct tg_inode_key *rkey,
		  const struct tg_kv_set *skip);

/* What a tg_links_walk_fn returns, besides 0 (go on) and -errno (stop). */
#define TG_LINKS_WALK_SKIP 1 /* a directory: do not enter it */
#define TG_LINKS_WALK_STOP 2 /* the walk ends here, without error */

struct stat;

/*
 * Called by tg_links_walk for each entry below the root, as found in the
 * directory open at dir_fd; st is its lstat.
 */
typedef int (*tg_links_walk_fn)(void *ctx, int dir_fd, const char *name,
				const struct stat *st);

/*
 * The one walk of a tree for hard links (both file backends scan with it):
 * every entry below root (a directory; else nothing is walked) to fn,
 * directory after directory, each read whole before the walk goes down. It
 * follows no symlink, crosses into no other filesystem (mount points are
 * not handed to fn), enters at most max_depth levels of directories below
 * root, and keeps one directory open at a time. Returns 0 when the walk is
 * done or fn stopped it, -ESTALE if a directory moved while the walk was
 * below it, or fn's or another -errno.
 */
int tg_links_walk(const char *root, unsigned int max_depth, tg_links_walk_fn fn,
		  void *ctx);

/* Whether two outcomes differ in what an operator is told. */
int tg_links_stats_differ(const struct tg_links_stats *a,
			  const struct tg_links_stats *b);

struct json_object;
struct tg_event_fmt;

/*
 * Call fn for each owned directory of r's tenants in force (paths that are
 * directories now), with its tenant and inode key; stops at fn's first
 * non-zero return, which it returns.
 */
int tg_each_owned_dir(const struct tg_registry *r,
		      int (*fn)(void *ctx, __u32 tenant, const char *path,
				const struct tg_inode_key *key),
		      void *ctx);

#endif /* TG_AGENTD_HARDLINKS_H */
