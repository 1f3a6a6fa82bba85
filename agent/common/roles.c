// SPDX-License-Identifier: GPL-2.0
/* The role x verb table of the control socket, and a peer's role. */
#include <errno.h>
#include <string.h>

#include "common/roles.h"

static const char *const role_names[TG_ROLE_COUNT] = {
	[TG_ROLE_NONE] = "none",
	[TG_ROLE_VIEWER] = "viewer",
	[TG_ROLE_OPERATOR] = "operator",
	[TG_ROLE_ADMIN] = "admin",
};

/*
 * Every verb of the control socket, served today or planned (issue 16 and
 * those built on it), with the least role that may ask for it.
 */
#define C 1 /* 1: may be made to need a second person (policy "confirm") */

static const struct {
	const char *verb;
	int role;
	int confirmable;
} verbs[] = {
	/* Looking: nothing to confirm. */
	{"status", TG_ROLE_VIEWER, 0},
	{"events", TG_ROLE_VIEWER, 0},
	{"events-summary", TG_ROLE_VIEWER, 0},
	{"report", TG_ROLE_VIEWER, 0},
	{"policy-show", TG_ROLE_VIEWER, 0},
	/*
	 * Running: the policy, workloads (the launcher), grants. A launch
	 * and its helpers relay the requester's own terminal and
	 * descriptors: nobody else can confirm them.
	 */
	{"reload", TG_ROLE_OPERATOR, C},
	{"tenant", TG_ROLE_OPERATOR, 0},
	{"seccomp-listener", TG_ROLE_OPERATOR, 0},
	{"run", TG_ROLE_OPERATOR, 0},
	{"probe", TG_ROLE_OPERATOR, C},
	/*
	 * Grants: asked for by support staff (who have no role), activated
	 * by whoever holds the tenant's signed approvals, revoked by an
	 * operator or the grant's holder, a session opened by its holder:
	 * each checks its caller itself (grants.c).
	 */
	{"grant-request", TG_ROLE_NONE, 0},
	{"grant-activate", TG_ROLE_NONE, 0},
	{"grant-revoke", TG_ROLE_NONE, 0},
	{"grant-shell", TG_ROLE_NONE, 0},
	{"grant-list", TG_ROLE_VIEWER, 0},
	/* An update of a tenant's approver keys: its signatures decide. */
	{"approvers-set", TG_ROLE_NONE, 0},
	/*
	 * Confirming another person's request: the role that request
	 * needs is checked as well (tg_confirm_check).
	 */
	{"confirm", TG_ROLE_OPERATOR, 0},
	/* Changing what holds. */
	{"detach", TG_ROLE_ADMIN, C},
	{"break-glass", TG_ROLE_ADMIN, C},
	{"tenant-retire", TG_ROLE_ADMIN, C},
	{"tenant-export", TG_ROLE_ADMIN, C},
	{"tenant-erase", TG_ROLE_ADMIN, C},
};

#define N_VERBS (sizeof(verbs) / sizeof(verbs[0]))
_Static_assert(N_VERBS <= TG_VERBS_MAX, "a verb set is one 64-bit mask");

const char *tg_role_name(int role)
{
	return role >= 0 && role < TG_ROLE_COUNT ? role_names[role] : "?";
}

int tg_role_parse(const char *s)
{
	int r;

	for (r = TG_ROLE_VIEWER; r < TG_ROLE_COUNT; r++)
		if (strcmp(s, role_names[r]) == 0)
			return r;
	return -EINVAL;
}

int tg_verb_role(const char *verb)
{
	int i = tg_verb_index(verb);

	return i < 0 ? i : verbs[i].role;
}

int tg_verb_index(const char *verb)
{
	size_t i;

	for (i = 0; verb && i < N_VERBS; i++)
		if (strcmp(verb, verbs[i].verb) == 0)
			return (int)i;
	return -ENOENT;
}

int tg_verb_confirmable(const char *verb)
{
	int i = tg_verb_index(verb);

	return i >= 0 && verbs[i].confirmable;
}

const char *tg_verb_name(size_t i)
{
	return i < N_VERBS ? verbs[i].verb : NULL;
}

int tg_authorize(const char *verb, int role)
{
	int need = tg_verb_role(verb);

	if (need < 0)
		return need;
	return role >= need && role < TG_ROLE_COUNT ? 0 : -EACCES;
}

/* Whether gid is one of role r's groups in m. */
static int in_role(const struct tg_role_groups *m, int r, gid_t gid)
{
	unsigned int i;

	for (i = 0; i < m->n[r] && i < TG_ROLE_GROUPS_MAX; i++)
		if (m->v[r][i].found && m->v[r][i].gid == gid)
			return 1;
	return 0;
}

int tg_role_of(const struct tg_role_groups *m, uid_t uid, gid_t gid,
	       const gid_t *groups, size_t n)
{
	size_t i;
	int r;

	if (uid == 0)
		return TG_ROLE_ADMIN;
	for (r = TG_ROLE_ADMIN; r > TG_ROLE_NONE; r--) {
		if (in_role(m, r, gid))
			return r;
		for (i = 0; i < n; i++)
			if (in_role(m, r, groups[i]))
				return r;
	}
	return TG_ROLE_NONE;
}

int tg_is_auditor(const struct tg_auditors *a, uid_t uid, gid_t gid,
		  const gid_t *groups, size_t n)
{
	unsigned int i;
	size_t j;

	for (i = 0; i < a->n_uids && i < TG_AUDITORS_MAX; i++)
		if (a->uids[i] == uid)
			return 1;
	for (i = 0; i < a->n_gids && i < TG_AUDITORS_MAX; i++) {
		if (a->gids[i] == gid)
			return 1;
		for (j = 0; j < n; j++)
			if (a->gids[i] == groups[j])
				return 1;
	}
	return 0;
}

int tg_view_add(struct tg_view *v, const char *name)
{
	if (strlen(name) >= TG_VIEW_NAME_MAX)
		return -ENAMETOOLONG;
	if (tg_view_has(v, name))
		return 0;
	if (v->n >= TG_VIEW_MAX)
		return -E2BIG;
	strcpy(v->names[v->n++], name);
	return 0;
}

int tg_view_has(const struct tg_view *v, const char *name)
{
	unsigned int i;

	if (v->all)
		return 1;
	for (i = 0; name && i < v->n && i < TG_VIEW_MAX; i++)
		if (strcmp(v->names[i], name) == 0)
			return 1;
	return 0;
}
