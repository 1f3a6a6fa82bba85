/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Operator roles on the control socket: none < viewer < operator < admin,
 * and the one table of which role each verb needs. A verb is a control
 * request's "cmd"; the verbs the agent does not serve yet are in the table
 * too, so that they only plug in.
 */
#ifndef TG_COMMON_ROLES_H
#define TG_COMMON_ROLES_H

#include <stddef.h>
#include <sys/types.h>

enum tg_role {
	TG_ROLE_NONE = 0, /* no request at all */
	TG_ROLE_VIEWER,	  /* looks: status, events, reports */
	TG_ROLE_OPERATOR, /* runs: reload, launching workloads, grants */
	TG_ROLE_ADMIN,	  /* changes what holds: detach, confirm, erase */
	TG_ROLE_COUNT,
};

/* "none", "viewer", "operator", "admin"; "?" out of range. */
const char *tg_role_name(int role);

/* The role named s (any but "none"), or -EINVAL. */
int tg_role_parse(const char *s);

/* The role verb needs, or -ENOENT for a verb the table does not hold. */
int tg_verb_role(const char *verb);

/* A set of verbs is a mask of their places in the table. */
#define TG_VERBS_MAX 64

/* Where verb is in the table (0...), or -ENOENT. */
int tg_verb_index(const char *verb);

/*
 * Whether the policy may make verb need a second person's confirmation
 * (it changes what holds; it relays nothing of the requester's own).
 */
int tg_verb_confirmable(const char *verb);

/* The verbs that need confirmation when the policy names none. */
#define TG_CONFIRM_DEFAULT_VERBS                                               \
	{                                                                      \
		"detach", "tenant-erase", "break-glass"                        \
	}

/* The i-th verb of the table, NULL past its end. */
const char *tg_verb_name(size_t i);

/*
 * Whether role may make request verb: 0, -ENOENT (no such verb: refused
 * to every role) or -EACCES (it needs a higher role, tg_verb_role()).
 */
int tg_authorize(const char *verb, int role);

/* Group names per role, resolved to gids (the policy's "roles"). */
#define TG_ROLE_GROUPS_MAX 32 /* groups of one role */
#define TG_GROUP_NAME_MAX  64 /* with NUL */

struct tg_role_group {
	char name[TG_GROUP_NAME_MAX];
	gid_t gid;
	int found; /* name resolved (getgrnam); else gid means nothing */
};

struct tg_role_groups {
	struct tg_role_group v[TG_ROLE_COUNT][TG_ROLE_GROUPS_MAX];
	unsigned int n[TG_ROLE_COUNT]; /* v[TG_ROLE_NONE] is never used */
};

/*
 * The role of a host process (neither a tenant's nor the pending actor's:
 * the caller refuses those first) with uid, primary gid and supplementary
 * groups (n of them): uid 0 is admin; any other uid has the highest role
 * of a group of its own that m maps to a role, else none.
 */
int tg_role_of(const struct tg_role_groups *m, uid_t uid, gid_t gid,
	       const gid_t *groups, size_t n);

/*
 * A tenant's auditors (the policy's "auditors"): host users, by uid, and
 * the members of host groups, by gid, who may view that tenant alone.
 */
#define TG_AUDITORS_MAX 32 /* users, and groups, of one tenant */

struct tg_auditors {
	uid_t uids[TG_AUDITORS_MAX];
	unsigned int n_uids;
	gid_t gids[TG_AUDITORS_MAX];
	unsigned int n_gids;
};

/*
 * Whether a host process with uid, primary gid and supplementary groups
 * (n of them) is one of a's auditors: its uid, or any of its groups.
 */
int tg_is_auditor(const struct tg_auditors *a, uid_t uid, gid_t gid,
		  const gid_t *groups, size_t n);

/*
 * The tenants a caller may view: all, or only those named (a restricted
 * viewer, an auditor of each). A caller that is restricted to no tenant
 * sees nothing.
 */
#define TG_VIEW_MAX	 64 /* tenants of one restricted view */
#define TG_VIEW_NAME_MAX 64 /* with NUL, as a tenant's name */

struct tg_view {
	int all;
	unsigned int n;
	char names[TG_VIEW_MAX][TG_VIEW_NAME_MAX];
};

/* Add tenant name to a restricted view: 0, -E2BIG (full), -ENAMETOOLONG. */
int tg_view_add(struct tg_view *v, const char *name);

/* Whether v lets its holder see tenant name ("host" only with all). */
int tg_view_has(const struct tg_view *v, const char *name);

#endif /* TG_COMMON_ROLES_H */
