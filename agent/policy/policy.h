/* SPDX-License-Identifier: GPL-2.0 */
#ifndef TG_POLICY_POLICY_H
#define TG_POLICY_POLICY_H

#include <limits.h>
#include <stddef.h>
#include <linux/types.h>
#include <sodium.h>

#include "common/grant_verify.h"
#include "common/roles.h"
#include "policy/yaml_tree.h"
#include "tenantguard/map_abi.h"

#define TG_POLICY_MAX_FILE   (4u << 20) /* bytes per policy file */
#define TG_POLICY_MAX_ERRORS TG_DIAG_MAX
/* Every tenant needs an id: 1..TG_MAX_TENANTS - 1 (see map_abi.h). */
#define TG_POLICY_MAX_TENANTS	  (TG_MAX_TENANTS - 1)
#define TG_POLICY_MAX_ITEMS	  1024 /* entries of one list */
#define TG_SUPPORT_DELEGATION_MAX 16   /* entries of support: delegation */

enum tg_mode {
	TG_MODE_INHERIT = -1, /* per tenant: the policy's mode */
	TG_MODE_ENFORCE = 0,
	TG_MODE_AUDIT = 1,
};

struct hsearch_data;

struct tg_port_range {
	__u8 proto; /* IPPROTO_TCP or IPPROTO_UDP */
	__u16 lo, hi;
	unsigned int line, col; /* where it is written, in its tenant's file */
};

struct tg_cidr {
	__u8 addr[16];		/* IPv4 as ::ffff:a.b.c.d */
	__u8 prefix;		/* 0..128, on the 16-byte form */
	unsigned int line, col; /* where it is written, in its tenant's file */
};

#define TG_RATE_MAX	 1000000  /* events per second per tenant */
#define TG_BURST_MAX	 10000000 /* events in one burst */
#define TG_RATE_DEFAULT	 1000
#define TG_BURST_DEFAULT 5000
#define TG_BURST_SECONDS 5 /* burst when only rate is given */

/* An event rate limit per tenant ("events:" in the policy). */
struct tg_rate {
	int set;     /* given (per tenant: else the default) */
	__u32 rate;  /* events per second; 0: unlimited */
	__u32 burst; /* events let through at once */
};

struct tg_policy_tenant {
	char name[64];
	char *cgroup;	    /* below the cgroup v2 root, absolute */
	char *cgroup_where; /* file:line:column of cgroup:, NULL if derived */
	int mode;	    /* enum tg_mode */
	char **paths;
	unsigned int n_paths;
	struct tg_port_range *ports;
	unsigned int n_ports;
	struct tg_cidr *networks;
	unsigned int n_networks;
	char **allow_from;
	unsigned int n_allow_from;
	char seccomp[64];
	struct tg_rate events;	     /* override of the policy's events */
	struct tg_auditors auditors; /* host users and groups viewing it */
	/* Who approves its grants (need 0: nobody, no grant). */
	struct tg_approvers approvers;
	char *where; /* file:line:column of its definition */
	/*
	 * retired: {since: DATE, keep: DURATION}: the tenant is retired
	 * (docs/offboarding.md); since in unix seconds, keep in seconds.
	 */
	int retired;
	__s64 retired_since, retired_keep_s;
	char *retired_where; /* file:line:column of retired:, or NULL */
};

struct tg_policy {
	int version;
	int mode; /* TG_MODE_ENFORCE or TG_MODE_AUDIT */
	char tenants_cgroup[PATH_MAX];
	char tenants_cgroup_where[PATH_MAX + 32]; /* "" for the default */
	struct tg_rate events; /* every tenant's, unless overridden */
	/* The groups of each role ("roles"); a role not given: its default. */
	struct tg_role_groups roles;
	int roles_given[TG_ROLE_COUNT];
	/*
	 * The verbs that wait for a second person (a mask of their places in
	 * the role table, "confirm: verbs") and for how long ("window").
	 */
	__u64 confirm_verbs;
	unsigned int confirm_window_s;
	/*
	 * The support staff ("support"): login uid ranges as written, and
	 * groups whose members (by name, or by primary group) are resolved
	 * into login uids when the policy is applied (tg_policy_support).
	 */
	struct tg_uid_range support_uids[TG_MAX_SUPPORT_RANGES];
	unsigned int n_support_uids;
	struct tg_role_group support_groups[TG_ROLE_GROUPS_MAX];
	unsigned int n_support_groups;
	char support_where[PATH_MAX + 32]; /* "" when not given */
	/* More host daemons' sockets and spools closed to them. */
	char support_delegation[TG_SUPPORT_DELEGATION_MAX][PATH_MAX];
	unsigned int n_support_delegation;
	struct tg_policy_tenant *tenants;
	unsigned int n_tenants;
	char source[PATH_MAX]; /* main file, "" for the built-in policy */
	/* The files tg_policy_load read, in order, and each one's SHA-256. */
	struct tg_policy_read {
		char *path;
		char sha256[65];
	} * read;
	unsigned int n_read;
	/*
	 * SHA-256 (hex) over those files: each one's path, length and bytes
	 * in turn; "" for the built-in policy.
	 */
	char digest[65];
	crypto_hash_sha256_state digest_st;
	int digest_open;
	unsigned int n_files; /* files merged */
	/* Valid but worth telling (files of the drop-in directory skipped). */
	struct tg_diag warnings;
	struct hsearch_data *names; /* name -> index of tenants */
	const void *names_base;	    /* tenants when names was built */
};

void tg_policy_init(struct tg_policy *p);

/*
 * The support staff's login uids into out: the policy's ranges and the
 * members of its groups now (NSS: the group's member list, and every user
 * whose primary group it is), sorted and merged. -E2BIG if they need more
 * than TG_MAX_SUPPORT_RANGES ranges (out then holds the first ones).
 */
int tg_policy_support(const struct tg_policy *p, struct tg_support_set *out);

/* Whether login uid uid is in s (TG_NO_LOGIN_UID never is). */
int tg_support_has(const struct tg_support_set *s, __u32 uid);

/*
 * "file:line:col" at line, col of the file that where ("file:line:col")
 * names, into buf ("-:line:col" when where names none).
 */
void tg_policy_where_in(char *buf, size_t len, const char *where,
			unsigned int line, unsigned int col);

/*
 * Without the main file, the drop-ins of dir go unread: a warning in
 * p->warnings naming how many (none when dir holds none).
 */
void tg_policy_warn_unread(struct tg_policy *p, const char *file,
			   const char *dir);

/* The two-person rule when the policy says nothing: detach, tenant-erase
 * and break-glass wait for a second person for up to 10 minutes. */
void tg_policy_default_confirm(struct tg_policy *p);

#define TG_CONFIRM_WINDOW_MAX_S (7u * 86400)
void tg_policy_free(struct tg_policy *p);

/*
 * Parse one policy document of len bytes named name into p (merging with
 * what p already holds; main is 0 for drop-ins, which may only add tenants).
 * Returns 0, or -EINVAL with every problem in d.
 */
int tg_policy_parse(struct tg_policy *p, const char *name, const char *buf,
		    size_t len, int main, struct tg_diag *d);

/* Read (at most TG_POLICY_MAX_FILE bytes, by its size) and parse one file. */
int tg_policy_load_file(struct tg_policy *p, const char *path, int main,
			struct tg_diag *d);

/*
 * Load file plus dropin_dir/ *.yaml in name order (dropin_dir may be NULL or
 * missing), then validate the whole (allow_from names, overlapping paths).
 */
int tg_policy_load(struct tg_policy *p, const char *file,
		   const char *dropin_dir, struct tg_diag *d);

/* Checks that need the whole merged policy; also applies defaults. */
int tg_policy_finish(struct tg_policy *p, struct tg_diag *d);

/*
 * The default group of each role the policy does not name
 * (tenantguard-viewer, tenantguard-operator, tenantguard-admin), resolved
 * through NSS; one that does not exist is left unresolved (found 0), no
 * error. Part of tg_policy_finish(); the built-in policy calls it alone.
 */
void tg_policy_default_roles(struct tg_policy *p);

/*
 * Whether tenant a of policy pa and tenant b of policy pb are defined
 * alike, in effect: cgroup, mode and event rate limit (their policy's
 * where they inherit them), paths, ports, networks, allow_from (names, in
 * order), seccomp profile and approvers; where they are written does not
 * count. Both policies finished (tg_policy_finish).
 */
int tg_policy_tenant_same(const struct tg_policy *pa,
			  const struct tg_policy_tenant *a,
			  const struct tg_policy *pb,
			  const struct tg_policy_tenant *b);

/* The tenant's effective mode. */
int tg_policy_tenant_mode(const struct tg_policy *p,
			  const struct tg_policy_tenant *t);

/* The event rate limit of tenant t (NULL: a zero-config tenant). */
const struct tg_rate *tg_policy_tenant_rate(const struct tg_policy *p,
					    const struct tg_policy_tenant *t);

#define TG_TENANT_NAME_MAX 64 /* with NUL */

/* Whether name is a valid tenant name: [A-Za-z0-9_.-], 1..63 chars, not "host".
 */
int tg_tenant_name_valid(const char *name);

/* Whether s can name a seccomp profile: 1..63 of a-z 0-9 - _. */
int tg_profile_name_valid(const char *s);

const struct tg_policy_tenant *tg_policy_find(const struct tg_policy *p,
					      const char *name);

/*
 * The role and view of a host process (uid, primary gid, n supplementary
 * groups; neither a tenant's nor the pending actor's) under policy p: its
 * role from the roles' groups (uid 0 admin) with a view of every tenant;
 * else, if it audits some tenants (tg_is_auditor), viewer restricted to
 * those; else none and an empty view. The role, or -E2BIG when it audits
 * more tenants than a view holds (then it has none).
 */
int tg_policy_access(const struct tg_policy *p, uid_t uid, gid_t gid,
		     const gid_t *groups, size_t n, struct tg_view *v);

#endif /* TG_POLICY_POLICY_H */
