/* SPDX-License-Identifier: GPL-2.0 */
#ifndef TG_TENANTS_H
#define TG_TENANTS_H

#include <limits.h>
#include <stddef.h>
#include <linux/types.h>

#define TG_TENANT_NAME_MAX 64	/* with NUL */
#define TG_TENANT_PATHS_MAX 64

struct tg_tenant_entry {
	__u32 id;			/* 1.., stable for the agent's lifetime */
	__u32 flags;			/* TG_TENANT_F_* of map_abi.h */
	char name[TG_TENANT_NAME_MAX];
	char cgroup[PATH_MAX];		/* absolute path of the tenant cgroup */
	__u64 cgroup_id;		/* 0 while the cgroup does not exist */
	unsigned int n_paths;
	char *paths[TG_TENANT_PATHS_MAX];	/* owned subtrees */
	int present;			/* seen by the last scan */
};

struct tg_registry {
	struct tg_tenant_entry *v;
	size_t n, cap;
	__u32 next_id;
};

/* Whether name is a valid tenant name: [A-Za-z0-9_.-], 1..63 chars, not "host". */
int tg_tenant_name_valid(const char *name);

void tg_registry_init(struct tg_registry *r);
void tg_registry_free(struct tg_registry *r);

/* Look a tenant up by name or id; NULL if unknown. */
struct tg_tenant_entry *tg_registry_find(struct tg_registry *r, const char *name);
const struct tg_tenant_entry *tg_registry_by_id(const struct tg_registry *r,
					       __u32 id);

/* "host" for TG_TENANT_HOST, the name of a known tenant, else "tenant-<id>". */
const char *tg_registry_name(const struct tg_registry *r, __u32 id, char *buf,
			     size_t len);

/*
 * Zero-config scan: every directory directly below tenants_dir (an absolute
 * cgroup v2 path) is a tenant named after it, owning paths_root/<name>.
 * Tenants already known keep their ids; tenants whose cgroup vanished stay
 * known with present = 0 and cgroup_id = 0. Returns 0 or -errno.
 */
int tg_registry_scan(struct tg_registry *r, const char *tenants_dir,
		     const char *paths_root);

#endif /* TG_TENANTS_H */
