// SPDX-License-Identifier: GPL-2.0
/* The owned roots, hard links and tenant cgroups the fanotify backend uses. */
#define _GNU_SOURCE
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "agentd/fanotify_snapshot.h"
#include "agentd/hardlinks.h"
#include "tenantguard/map_abi.h"

#define TG_FAN_LINK_SCAN_MAX 200000 /* entries looked at for hard links */

void tg_fan_snap_free(struct tg_fan_snap *s)
{
	if (!s)
		return;
	tg_fo_owned_free(&s->owned);
	tg_fo_cgroups_free(&s->cgroups);
	free(s);
}

/* Whether o (not sorted yet) holds the inode of st. */
static int listed(const struct tg_fo_owned *o, const struct stat *st)
{
	size_t i;

	for (i = 0; i < o->n; i++)
		if (o->v[i].dev == st->st_dev && o->v[i].ino == st->st_ino)
			return 1;
	return 0;
}

/* path, refused to every tenant, unless a tenant owns it or it is absent. */
static int add_unregistered(struct tg_fan_snap *s, const char *path)
{
	struct stat st;

	if (stat(path, &st) < 0 || listed(&s->owned, &st))
		return 0;
	return tg_fo_owned_add(&s->owned, st.st_dev, st.st_ino,
			       TG_OWNER_UNREGISTERED, TG_FO_ROOT);
}

/* The owned roots and tenant cgroups of r. */
static int build(struct tg_fan_snap *s, const struct tg_registry *r,
		 const char *cgroup_root)
{
	size_t rl = strlen(cgroup_root), i;
	unsigned int j;
	struct stat st;
	int err = 0;

	for (i = 0; i < r->n && !err; i++) {
		const struct tg_tenant_entry *e = &r->v[i];

		if (!tg_tenant_in_force(e))
			continue;
		if (e->present && e->cgroup_id &&
		    strncmp(e->cgroup, cgroup_root, rl) == 0)
			err = tg_fo_cgroups_add(&s->cgroups,
						e->cgroup[rl] ? e->cgroup + rl
							      : "/",
						e->id, e->flags);
		for (j = 0; j < e->n_paths && !err; j++)
			if (stat(e->paths[j], &st) == 0)
				err = tg_fo_owned_add(&s->owned, st.st_dev,
						      st.st_ino, e->id,
						      TG_FO_ROOT);
	}
	/*
	 * Below the paths root, in no tenant's path, and the paths of policy
	 * tenants without an id: refused to every tenant. The cgroups of the
	 * latter: the pending actor.
	 */
	if (!err && r->paths_root[0])
		err = add_unregistered(s, r->paths_root);
	for (i = 0; i < r->n_idless && !err; i++) {
		const struct tg_idless *x = &r->idless[i];

		for (j = 0; j < x->n_paths && !err; j++)
			err = add_unregistered(s, x->paths[j]);
		if (!err && x->cgroup_id &&
		    strncmp(x->cgroup, cgroup_root, rl) == 0)
			err = tg_fo_cgroups_add(
				&s->cgroups,
				x->cgroup[rl] ? x->cgroup + rl : "/",
				TG_TENANT_PENDING,
				r->pending.flags | TG_TENANT_F_PENDING);
	}
	/* Below the tenants cgroup, in no tenant: the pending actor. */
	if (!err && r->pending.cgroup_id &&
	    strncmp(r->pending.cgroup, cgroup_root, rl) == 0)
		err = tg_fo_cgroups_add(
			&s->cgroups,
			r->pending.cgroup[rl] ? r->pending.cgroup + rl : "/",
			TG_TENANT_PENDING, r->pending.flags);
	if (!err)
		err = tg_fo_cgroups_finish(&s->cgroups);
	if (!err)
		err = tg_fo_owned_finish(&s->owned);
	return err;
}

int tg_fan_snap_build(struct tg_fan_snap *s, const struct tg_registry *r,
		      const char *cgroup_root, const struct tg_fan_snap *old)
{
	size_t i;
	int err = build(s, r, cgroup_root);

	s->support = r->support;
	if (err || !old)
		return err;
	s->links_complete = old->links_complete;
	s->links_gen = old->links_gen;
	s->links_since_ns = old->links_since_ns;
	for (i = 0; i < old->owned.n && !err; i++)
		if (old->owned.v[i].flags & TG_FO_LINK)
			err = tg_fo_owned_add(&s->owned, old->owned.v[i].dev,
					      old->owned.v[i].ino,
					      old->owned.v[i].tenant,
					      TG_FO_LINK);
	return err ?: tg_fo_owned_finish(&s->owned);
}

/* A scan of the owned roots for hard links. */
struct link_scan {
	const struct tg_fo_owned *roots; /* finished: nested roots */
	struct tg_fo_owned found;	 /* TG_FO_LINK entries */
	__u32 tenant;			 /* whose root is scanned */
	unsigned long seen;		 /* entries, all roots */
	unsigned long max;		 /* entries looked at, at most */
	int partial;			 /* a tree not scanned whole */
};

static int scan_one(void *ctx, int dir_fd, const char *name,
		    const struct stat *st)
{
	struct link_scan *ls = ctx;
	const struct tg_fo_ent *e;

	if (++ls->seen > ls->max) {
		ls->partial = 1;
		return TG_LINKS_WALK_STOP;
	}
	if (S_ISDIR(st->st_mode)) {
		/* Another owned root: its own scan counts what is below. */
		e = tg_fo_owned_find(ls->roots, st->st_dev, st->st_ino);
		return e && (e->flags & TG_FO_ROOT) ? TG_LINKS_WALK_SKIP : 0;
	}
	if (S_ISLNK(st->st_mode) || st->st_nlink <= 1)
		return 0;
	return tg_fo_owned_add(&ls->found, st->st_dev, st->st_ino, ls->tenant,
			       TG_FO_LINK);
}

/* One owned directory's hard links, for its tenant. */
static int scan_root(void *ctx, __u32 tenant, const char *path,
		     const struct tg_inode_key *key)
{
	struct link_scan *ls = ctx;
	int err;

	ls->tenant = tenant;
	err = tg_links_walk(path, TG_FO_MAX_DEPTH, scan_one, ls);
	if (err)
		ls->partial = 1;
	return err == -ENOMEM ? err : 0; /* what was found so far counts */
}

static int by_object(const void *a, const void *b)
{
	const struct tg_fo_ent *x = a, *y = b;

	if (x->dev != y->dev)
		return x->dev < y->dev ? -1 : 1;
	return x->ino < y->ino ? -1 : x->ino > y->ino;
}

/*
 * An object found below several tenants' roots stays the tenant's that old
 * recorded as its only owner, if that tenant still holds a name of it: a
 * name another tenant makes or moves into its own tree takes nothing from
 * the owner. found is sorted by object.
 */
static void keep_owner(struct tg_fo_owned *found, const struct tg_fan_snap *old)
{
	const struct tg_fo_ent *e;
	size_t i, j, k;
	int several, held;

	qsort(found->v, found->n, sizeof(*found->v), by_object);
	for (i = 0; i < found->n; i = j) {
		several = held = 0;
		e = tg_fo_owned_find(&old->owned, found->v[i].dev,
				     found->v[i].ino);
		for (j = i;
		     j < found->n && !by_object(&found->v[i], &found->v[j]);
		     j++) {
			several |= found->v[j].tenant != found->v[i].tenant;
			held |= e && found->v[j].tenant == e->tenant;
		}
		if (!several || !held || (e->flags & TG_FO_ROOT))
			continue;
		for (k = i; k < j; k++)
			found->v[k].tenant = e->tenant;
	}
}

int tg_fan_snap_scan_links(struct tg_fan_snap *s, const struct tg_registry *r,
			   unsigned long max, const struct tg_fan_snap *old)
{
	struct link_scan ls = {
		.roots = &s->owned,
		.max = max ? max : TG_FAN_LINK_SCAN_MAX,
	};
	size_t i;
	int err;

	err = tg_each_owned_dir(r, scan_root, &ls);
	if (old)
		keep_owner(&ls.found, old);
	for (i = 0; i < ls.found.n && !err; i++)
		err = tg_fo_owned_add(&s->owned, ls.found.v[i].dev,
				      ls.found.v[i].ino, ls.found.v[i].tenant,
				      TG_FO_LINK);
	tg_fo_owned_free(&ls.found);
	s->links_complete = !err && !ls.partial;
	return err ?: tg_fo_owned_finish(&s->owned);
}

int tg_fan_snap_same_roots(const struct tg_fan_snap *a,
			   const struct tg_fan_snap *b)
{
	const struct tg_fo_owned *s = &a->owned, *o = &b->owned;
	size_t i, j = 0;

	for (i = 0; i < s->n; i++) {
		if (!(s->v[i].flags & TG_FO_ROOT))
			continue;
		while (j < o->n && !(o->v[j].flags & TG_FO_ROOT))
			j++;
		if (j == o->n || s->v[i].dev != o->v[j].dev ||
		    s->v[i].ino != o->v[j].ino ||
		    s->v[i].tenant != o->v[j].tenant)
			return 0;
		j++;
	}
	while (j < o->n && !(o->v[j].flags & TG_FO_ROOT))
		j++;
	return j == o->n;
}
