/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The pending actor (TG_TENANT_PENDING of map_abi.h): processes in a cgroup
 * at or below the tenants cgroup that is not (yet) a tenant's. Here: where
 * the tenants cgroup is, which cgroups below it could not be registered and
 * why, and the conflicts that leave a zero-config tenant pending.
 */
#ifndef TG_POLICY_PENDING_H
#define TG_POLICY_PENDING_H

#include <limits.h>
#include <stddef.h>
#include <linux/types.h>

/* Why a directory below the tenants cgroup is no tenant. */
enum tg_unreg_reason {
	TG_UNREG_NAME = 1,    /* not a valid tenant name */
	TG_UNREG_IDS,	      /* every tenant id of the agent's life is used */
	TG_UNREG_POLICY_NAME, /* a policy tenant's name; its cgroup is elsewhere
			       */
	TG_UNREG_HOLDS,	      /* holds policy tenants' cgroups below it */
	TG_UNREG_CONFLICT,    /* its cgroup or a path is another tenant's too */
	TG_UNREG_ERROR,	      /* could not be read: err */
};

/* One cgroup left pending (or one directory no tenant's: the same list). */
struct tg_unreg {
	char *cgroup; /* absolute path of the cgroup directory (directory) */
	int reason;   /* enum tg_unreg_reason */
	int err;      /* errno, for TG_UNREG_ERROR */
};

#define TG_UNREG_MAX 1024 /* cgroups listed; more are only counted */

struct tg_pending {
	char cgroup[PATH_MAX]; /* absolute path of the tenants cgroup */
	__u64 cgroup_id;    /* its id; 0: it does not exist, or is the root */
	__u32 flags;	    /* TG_TENANT_F_PENDING, TG_TENANT_F_AUDIT */
	struct tg_unreg *v; /* sorted by cgroup once finished */
	size_t n, cap;
	size_t more; /* left out of v: beyond TG_UNREG_MAX */
};

void tg_pending_init(struct tg_pending *p);
void tg_pending_free(struct tg_pending *p);
/* Forget the cgroups listed (a new scan starts). */
void tg_pending_clear(struct tg_pending *p);

/*
 * The tenants cgroup is tenants_dir (absolute; NULL: none, e.g. the
 * tenants cgroup is the cgroup v2 root, whose processes are the host's);
 * audit: the policy's mode is audit. 0 or -errno.
 */
int tg_pending_locate(struct tg_pending *p, const char *tenants_dir, int audit);

/* List dir/name as left pending for reason (err: errno or 0). 0 or -errno. */
int tg_pending_add(struct tg_pending *p, const char *dir, const char *name,
		   int reason, int err);
/* Sort the list (by cgroup). */
void tg_pending_finish(struct tg_pending *p);

/* "invalid_name", "no_tenant_ids", ...: the reason as an event field. */
const char *tg_unreg_reason_name(int reason);
/* One sentence on u for people, into buf. */
void tg_unreg_text(const struct tg_unreg *u, char *buf, size_t len);
/* The same for a directory below the paths root that is no tenant's. */
void tg_unowned_text(const struct tg_unreg *u, char *buf, size_t len);

/*
 * Call fn for each cgroup of now not listed with the same reason in
 * before (both finished).
 */
void tg_pending_news(const struct tg_pending *before,
		     const struct tg_pending *now,
		     void (*fn)(void *ctx, const struct tg_unreg *u),
		     void *ctx);
/* Make dst's list a copy of src's; 0 or -ENOMEM (dst then empty). */
int tg_pending_copy_list(struct tg_pending *dst, const struct tg_pending *src);

#endif /* TG_POLICY_PENDING_H */
