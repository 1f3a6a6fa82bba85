/* SPDX-License-Identifier: GPL-2.0 */
#ifndef TG_POLICY_REGISTRY_H
#define TG_POLICY_REGISTRY_H

#include <limits.h>
#include <stddef.h>
#include <linux/types.h>

#include "policy/pending.h"
#include "policy/policy.h"

#define TG_TENANT_PATHS_MAX 64

struct tg_tenant_entry {
	__u32 id;    /* 1.., stable for the agent's lifetime */
	__u32 flags; /* TG_TENANT_F_* of map_abi.h */
	char name[TG_TENANT_NAME_MAX];
	char cgroup[PATH_MAX]; /* absolute path of the tenant cgroup */
	__u64 cgroup_id;       /* 0 while the cgroup does not exist */
	unsigned int n_paths;
	char *paths[TG_TENANT_PATHS_MAX]; /* owned subtrees */
	char **allow_from;		  /* tenants that may reach this one */
	unsigned int n_allow_from;
	struct tg_port_range *ports; /* reserved port ranges */
	unsigned int n_ports;
	struct tg_cidr *networks; /* the tenant's networks */
	unsigned int n_networks;
	int present;  /* its cgroup exists */
	int defined;  /* named in the policy in force */
	int zeroconf; /* found below the tenants cgroup once */
};

/*
 * A policy tenant the agent could not give an id (every id used): it owns
 * nothing. Its processes are the pending actor's (its cgroup is listed in
 * pending with TG_UNREG_IDS), its paths are refused to every tenant (listed
 * in unowned with TG_UNREG_IDS); the host keeps access.
 */
struct tg_idless {
	char name[TG_TENANT_NAME_MAX];
	char cgroup[PATH_MAX]; /* absolute path of its cgroup */
	__u64 cgroup_id;       /* 0 while the cgroup does not exist */
	unsigned int n_paths;
	char *paths[TG_TENANT_PATHS_MAX];
};

struct hsearch_data;

struct tg_registry {
	struct tg_tenant_entry *v;
	size_t n, cap;
	__u32 next_id;
	struct hsearch_data *names; /* name -> index of v */
	struct tg_pending pending;  /* the tenants cgroup, what stays pending */
	/*
	 * The built-in policy's paths root ("" for a policy file), owned by
	 * TG_OWNER_UNREGISTERED: what lies below it and is no registered
	 * tenant's is refused to every tenant. unowned lists the directories
	 * there that are no tenant's (tg_unreg.cgroup holds the path).
	 */
	char paths_root[PATH_MAX];
	struct tg_pending unowned;
	struct tg_idless *idless; /* policy tenants without an id */
	size_t n_idless;
	struct tg_support_set support; /* the support staff's login uids */
};

void tg_registry_init(struct tg_registry *r);

/*
 * Give name the id a previous agent gave it, before any policy is applied
 * (ids are handed out in order: id must be the next one). The entry is
 * known, neither defined nor present until a policy or a cgroup says so.
 * NULL with errno (EINVAL for an id out of order or a name known).
 */
struct tg_tenant_entry *tg_registry_restore(struct tg_registry *r, __u32 id,
					    const char *name);
void tg_registry_free(struct tg_registry *r);

/* Look a tenant up by name or id; NULL if unknown. */
struct tg_tenant_entry *tg_registry_find(struct tg_registry *r,
					 const char *name);
const struct tg_tenant_entry *tg_registry_by_id(const struct tg_registry *r,
						__u32 id);

/*
 * "host" for TG_TENANT_HOST, "(pending)" for TG_TENANT_PENDING, "(several)"
 * and "(unknown)" for TG_OWNER_SHARED and TG_OWNER_UNKNOWN, the name of a
 * known tenant, else "tenant-<id>".
 */
const char *tg_registry_name(const struct tg_registry *r, __u32 id, char *buf,
			     size_t len);

const struct tg_tenant_entry *
tg_registry_find_const(const struct tg_registry *r, const char *name);

/*
 * The actor of the processes in the cgroup at path (absolute, like the
 * entries' cgroups), compared component by component: the tenant whose
 * cgroup is path or its nearest ancestor (a tenant whose cgroup exists, or
 * one the policy names, even before its cgroup is picked up), else
 * TG_TENANT_PENDING at or below the tenants cgroup or a policy tenant's
 * without an id, else TG_TENANT_HOST.
 */
__u32 tg_registry_actor(const struct tg_registry *r, const char *path);

/*
 * Whether e is in force: its cgroup exists, the policy names it, or (a
 * zero-config tenant whose cgroup is gone for now) it still owns paths.
 */
int tg_tenant_in_force(const struct tg_tenant_entry *e);

struct tg_policy;

/*
 * Make the registry describe policy p on a host whose cgroup v2 root is
 * cgroup_root: the policy's tenants, then every other directory below its
 * tenants_cgroup as a zero-config tenant owning default_paths_root/<name>
 * (no paths if default_paths_root is NULL), and r->pending: the tenants
 * cgroup and the directories below it left pending (see tg_registry_scan).
 * (no paths if default_paths_root is NULL). With default_paths_root, each
 * directory below it named as a tenant is a zero-config tenant's too, and
 * a zero-config tenant whose cgroup is gone (a job ended, the agent started
 * while it was away) keeps owning default_paths_root/<name>: nobody else
 * may open its files meanwhile. Names keep their ids. With
 * default_paths_root, r->unowned lists the directories below it that end
 * up no tenant's (no id left, an invalid name, a conflict). A policy
 * tenant that cannot get an id (all used) goes to r->idless, listed in
 * r->pending (its cgroup) and r->unowned (its paths): the rest of the
 * policy applies.
 */
int tg_registry_apply(struct tg_registry *r, const struct tg_policy *p,
		      const char *cgroup_root, const char *default_paths_root);

/*
 * Zero-config scan: every directory directly below tenants_dir (an absolute
 * cgroup v2 path) is a tenant named after it, owning paths_root/<name>.
 * Tenants already known keep their ids; tenants whose cgroup vanished stay
 * known with present = 0 and cgroup_id = 0. A directory that is a policy
 * tenant's cgroup is that tenant's; one that cannot be a tenant (invalid
 * name, no id left, a policy tenant's name or policy tenants' cgroups below
 * it, an error reading it) is listed in r->pending and the scan goes on.
 * Returns 0 or -errno (tenants_dir unreadable, no memory for the list).
 */
int tg_registry_scan(struct tg_registry *r, const char *tenants_dir,
		     const char *paths_root);

/*
 * After a compile refused two tenants on one cgroup or directory
 * (-EEXIST): take the zero-config tenant of each such pair out of r (it
 * stays pending, listed with TG_UNREG_CONFLICT). When both are zero-config
 * the one registered later goes; pairs of policy tenants stay an error of
 * the policy. Its directory below the paths root is then listed in
 * r->unowned. Returns the number of tenants taken out, or -errno.
 */
int tg_registry_resolve_conflicts(struct tg_registry *r);

#endif /* TG_POLICY_REGISTRY_H */
