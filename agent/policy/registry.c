// SPDX-License-Identifier: GPL-2.0
/* The tenants the agent knows, with their cgroups and owned paths. */
#define _GNU_SOURCE
#include <dirent.h>
#include <search.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "common/cgroupfs.h"
#include "policy/policy.h"
#include "policy/registry.h"
#include "tenantguard/event_abi.h"
#include "tenantguard/map_abi.h"

void tg_registry_init(struct tg_registry *r)
{
	memset(r, 0, sizeof(*r));
	r->next_id = 1;
	tg_pending_init(&r->pending);
	tg_pending_init(&r->unowned);
}

static void entry_free_paths(struct tg_tenant_entry *e)
{
	unsigned int i;

	for (i = 0; i < e->n_paths; i++)
		free(e->paths[i]);
	e->n_paths = 0;
	for (i = 0; i < e->n_allow_from; i++)
		free(e->allow_from[i]);
	free(e->allow_from);
	e->allow_from = NULL;
	e->n_allow_from = 0;
	free(e->ports);
	e->ports = NULL;
	e->n_ports = 0;
	free(e->networks);
	e->networks = NULL;
	e->n_networks = 0;
}

/* Forget the policy tenants without an id. */
static void idless_clear(struct tg_registry *r)
{
	unsigned int j;
	size_t i;

	for (i = 0; i < r->n_idless; i++)
		for (j = 0; j < r->idless[i].n_paths; j++)
			free(r->idless[i].paths[j]);
	free(r->idless);
	r->idless = NULL;
	r->n_idless = 0;
}

void tg_registry_free(struct tg_registry *r)
{
	size_t i;

	for (i = 0; i < r->n; i++)
		entry_free_paths(&r->v[i]);
	free(r->v);
	if (r->names) {
		hdestroy_r(r->names);
		free(r->names);
	}
	tg_pending_free(&r->pending);
	tg_pending_free(&r->unowned);
	idless_clear(r);
	tg_registry_init(r);
}

/*
 * Name -> index. Keys are strdup'ed: entries move when v grows. Names are
 * never removed (ids stay reserved), so the table only grows, to at most
 * TG_MAX_TENANTS names.
 */
static int index_add(struct tg_registry *r, const char *name, size_t i)
{
	ENTRY e, *res;

	if (!r->names) {
		r->names = calloc(1, sizeof(*r->names));
		if (!r->names || !hcreate_r(TG_MAX_TENANTS * 2, r->names)) {
			free(r->names);
			r->names = NULL;
			return -ENOMEM;
		}
	}
	e.key = strdup(name);
	e.data = (void *)i;
	if (!e.key || !hsearch_r(e, ENTER, &res, r->names)) {
		free(e.key);
		return -ENOMEM;
	}
	return 0;
}

struct tg_tenant_entry *tg_registry_find(struct tg_registry *r,
					 const char *name)
{
	ENTRY q = {.key = (char *)name}, *res = NULL;

	if (!r->names || !hsearch_r(q, FIND, &res, r->names) || !res)
		return NULL;
	return &r->v[(size_t)res->data];
}

const struct tg_tenant_entry *
tg_registry_find_const(const struct tg_registry *r, const char *name)
{
	return tg_registry_find((struct tg_registry *)r, name);
}

const struct tg_tenant_entry *tg_registry_by_id(const struct tg_registry *r,
						__u32 id)
{
	/* Ids are handed out in order and never reused: id - 1 is the index. */
	if (id == 0 || id > r->n || r->v[id - 1].id != id)
		return NULL;
	return &r->v[id - 1];
}

const char *tg_registry_name(const struct tg_registry *r, __u32 id, char *buf,
			     size_t len)
{
	const struct tg_tenant_entry *e;

	if (id == TG_TENANT_HOST)
		return "host";
	if (id == TG_TENANT_PENDING)
		return "(pending)";
	/* Owners that are no tenant; parentheses are not in tenant names. */
	if (id == TG_OWNER_SHARED)
		return "(several)";
	if (id == TG_OWNER_UNREGISTERED)
		return "(unregistered)";
	if (id == TG_OWNER_UNKNOWN)
		return "(unknown)";
	e = tg_registry_by_id(r, id);
	if (e)
		return e->name;
	snprintf(buf, len, "tenant-%u", id);
	return buf;
}

static struct tg_tenant_entry *registry_add(struct tg_registry *r,
					    const char *name)
{
	struct tg_tenant_entry *e;

	if (r->next_id >= TG_TENANT_PENDING) {
		errno = ENOSPC;
		return NULL;
	}
	if (r->n == r->cap) {
		size_t cap = r->cap ? r->cap * 2 : 16;
		void *v = reallocarray(r->v, cap, sizeof(*r->v));

		if (!v)
			return NULL;
		r->v = v;
		r->cap = cap;
	}
	if (index_add(r, name, r->n)) {
		errno = ENOMEM;
		return NULL;
	}
	e = &r->v[r->n++];
	memset(e, 0, sizeof(*e));
	e->id = r->next_id++;
	snprintf(e->name, sizeof(e->name), "%s", name);
	return e;
}

struct tg_tenant_entry *tg_registry_restore(struct tg_registry *r, __u32 id,
					    const char *name)
{
	if (id != r->next_id || tg_registry_find(r, name)) {
		errno = EINVAL;
		return NULL;
	}
	return registry_add(r, name);
}

/*
 * The first component below tenants_dir of the policy tenants' cgroups
 * there, and whether the cgroup is that directory itself.
 */
struct policy_dir {
	const char *name; /* not NUL-terminated: len bytes */
	size_t len;
	int exact;
};

static int policy_dir_cmp(const void *a, const void *b)
{
	const struct policy_dir *x = a, *y = b;
	int c = strncmp(x->name, y->name, x->len < y->len ? x->len : y->len);

	if (c || x->len == y->len)
		return c ? c : y->exact - x->exact;
	return x->len < y->len ? -1 : 1;
}

/* The policy tenants' directories below tenants_dir, sorted, into *out. */
static int policy_dirs(const struct tg_registry *r, const char *tenants_dir,
		       struct policy_dir **out, size_t *n)
{
	size_t tl = strlen(tenants_dir), i;
	struct policy_dir *v = NULL;
	const char *c, *slash;

	*n = 0;
	for (i = 0; i < r->n; i++) {
		if (!r->v[i].defined)
			continue;
		c = r->v[i].cgroup;
		if (strncmp(c, tenants_dir, tl) || c[tl] != '/' || !c[tl + 1])
			continue;
		if (!v && !(v = calloc(r->n, sizeof(*v))))
			return -ENOMEM;
		c += tl + 1;
		slash = strchr(c, '/');
		v[*n].name = c;
		v[*n].len = slash ? (size_t)(slash - c) : strlen(c);
		v[(*n)++].exact = !slash;
	}
	if (*n)
		qsort(v, *n, sizeof(*v), policy_dir_cmp);
	*out = v;
	return 0;
}

enum { POLICY_NONE, POLICY_OWN, POLICY_HOLDS };

/*
 * The policy's claim on tenants_dir/name: POLICY_OWN if it is a policy
 * tenant's cgroup, POLICY_HOLDS if policy tenants' cgroups lie below it.
 */
static int policy_claim(const struct policy_dir *v, size_t n, const char *name)
{
	struct policy_dir key = {.name = name, .len = strlen(name), .exact = 1};

	if (!n)
		return POLICY_NONE;
	if (bsearch(&key, v, n, sizeof(*v), policy_dir_cmp))
		return POLICY_OWN;
	key.exact = 0;
	if (bsearch(&key, v, n, sizeof(*v), policy_dir_cmp))
		return POLICY_HOLDS;
	return POLICY_NONE;
}

/* paths_root/<name> as e's only owned path (e has none). */
static int own_default_path(struct tg_tenant_entry *e, const char *paths_root)
{
	char owned[PATH_MAX];
	int err;

	err = tg_path_join(owned, sizeof(owned), paths_root, e->name);
	if (err)
		return err;
	e->paths[0] = strdup(owned);
	if (!e->paths[0])
		return -ENOMEM;
	e->n_paths = 1;
	return 0;
}

/*
 * (Re)fill one zero-config tenant found at tenants_dir/name: 0, -errno, or
 * the TG_UNREG_* reason it stays pending.
 */
static int scan_one(struct tg_registry *r, const char *tenants_dir,
		    const char *paths_root, const char *name)
{
	struct tg_tenant_entry *e;
	int err;

	if (!tg_tenant_name_valid(name))
		return TG_UNREG_NAME;
	e = tg_registry_find(r, name);
	if (e && e->defined)
		return TG_UNREG_POLICY_NAME; /* its cgroup is elsewhere */
	if (!e) {
		e = registry_add(r, name);
		if (!e)
			return errno == ENOSPC ? TG_UNREG_IDS : -errno;
	}
	err = tg_path_join(e->cgroup, sizeof(e->cgroup), tenants_dir, name);
	if (err)
		return err;
	err = tg_cgroup_id(e->cgroup, &e->cgroup_id);
	if (err)
		return err;
	entry_free_paths(e);
	if (paths_root) {
		err = own_default_path(e, paths_root);
		if (err)
			return err;
	}
	e->present = 1;
	e->zeroconf = 1;
	return 0;
}

/* "." and "..". */
static int dot_entry(const char *name)
{
	return name[0] == '.' && (!name[1] || (name[1] == '.' && !name[2]));
}

int tg_registry_scan(struct tg_registry *r, const char *tenants_dir,
		     const char *paths_root)
{
	struct policy_dir *pd = NULL;
	struct dirent *de;
	size_t i, npd;
	int claim, err;
	DIR *d;

	for (i = 0; i < r->n; i++) {
		if (r->v[i].defined)
			continue;
		r->v[i].present = 0;
		r->v[i].cgroup_id = 0;
	}
	tg_pending_clear(&r->pending);
	err = policy_dirs(r, tenants_dir, &pd, &npd);
	if (err)
		return err;
	d = opendir(tenants_dir);
	if (!d) {
		err = -errno;
		goto out_free;
	}
	while (!err && (de = readdir(d))) {
		if (de->d_type != DT_DIR || dot_entry(de->d_name))
			continue;
		claim = policy_claim(pd, npd, de->d_name);
		if (claim == POLICY_OWN)
			continue; /* a policy tenant's own cgroup */
		err = claim == POLICY_HOLDS ? TG_UNREG_HOLDS
					    : scan_one(r, tenants_dir,
						       paths_root, de->d_name);
		/* A cgroup removed while scanning is simply absent. */
		if (err == -ENOENT)
			err = 0;
		/* Any other: it stays pending, listed; the others go on. */
		if (err)
			err = tg_pending_add(&r->pending, tenants_dir,
					     de->d_name,
					     err > 0 ? err : TG_UNREG_ERROR,
					     err > 0 ? 0 : -err);
	}
	closedir(d);
	tg_pending_finish(&r->pending);
out_free:
	free(pd);
	return err;
}

/* Fill e from policy tenant t. */
static int apply_one(struct tg_tenant_entry *e, const struct tg_policy *p,
		     const struct tg_policy_tenant *t, const char *cgroup_root)
{
	unsigned int i;
	int err;

	entry_free_paths(e);
	e->defined = 1;
	e->flags = tg_policy_tenant_mode(p, t) == TG_MODE_AUDIT
			   ? TG_TENANT_F_AUDIT
			   : 0;
	err = tg_path_join(e->cgroup, sizeof(e->cgroup), cgroup_root,
			   t->cgroup);
	if (err)
		return err;
	err = tg_cgroup_id(e->cgroup, &e->cgroup_id);
	if (err == -ENOENT || err == -ENOTDIR) {
		e->cgroup_id = 0; /* created later: picked up then */
		err = 0;
	}
	e->present = e->cgroup_id != 0;
	for (i = 0; i < t->n_paths && !err; i++) {
		e->paths[e->n_paths] = strdup(t->paths[i]);
		if (!e->paths[e->n_paths])
			return -ENOMEM;
		e->n_paths++;
		if (e->n_paths == TG_TENANT_PATHS_MAX && i + 1 < t->n_paths)
			return -E2BIG;
	}
	if (t->n_allow_from) {
		e->allow_from = calloc(t->n_allow_from, sizeof(*e->allow_from));
		if (!e->allow_from)
			return -ENOMEM;
		for (i = 0; i < t->n_allow_from; i++) {
			e->allow_from[i] = strdup(t->allow_from[i]);
			if (!e->allow_from[i])
				return -ENOMEM;
			e->n_allow_from++;
		}
	}
	if (t->n_ports) {
		e->ports = calloc(t->n_ports, sizeof(*e->ports));
		if (!e->ports)
			return -ENOMEM;
		memcpy(e->ports, t->ports, t->n_ports * sizeof(*e->ports));
		e->n_ports = t->n_ports;
	}
	if (t->n_networks) {
		e->networks = calloc(t->n_networks, sizeof(*e->networks));
		if (!e->networks)
			return -ENOMEM;
		memcpy(e->networks, t->networks,
		       t->n_networks * sizeof(*e->networks));
		e->n_networks = t->n_networks;
	}
	return err;
}

/*
 * A zero-config tenant whose cgroup is gone now keeps owning
 * paths_root/<name> (the built-in policy only: paths_root not NULL).
 */
static int keep_zeroconf_paths(struct tg_tenant_entry *e,
			       const char *paths_root)
{
	if (!paths_root || e->defined || e->present || !e->zeroconf ||
	    e->n_paths)
		return 0;
	return own_default_path(e, paths_root);
}

/*
 * Every directory below paths_root named as a tenant is a zero-config
 * tenant's, whether its cgroup exists or not (an agent started while a
 * tenant's job is not running): register the names not known yet.
 */
static int register_paths_root(struct tg_registry *r, const char *paths_root)
{
	struct tg_tenant_entry *e;
	struct dirent *de;
	int err = 0;
	DIR *d;

	d = opendir(paths_root);
	if (!d)
		return errno == ENOENT ? 0 : -errno;
	while ((de = readdir(d))) {
		if (de->d_type != DT_DIR || !tg_tenant_name_valid(de->d_name) ||
		    tg_registry_find(r, de->d_name))
			continue;
		e = registry_add(r, de->d_name);
		if (!e) {
			/* Out of ids: tenants with cgroups come first. */
			err = errno == ENOSPC ? 0 : -errno;
			break;
		}
		e->zeroconf = 1;
	}
	closedir(d);
	return err;
}

/* Whether directory entry de of dir is a directory (not a symlink to one). */
static int entry_is_dir(const char *dir, const struct dirent *de)
{
	char path[PATH_MAX];
	struct stat st;

	if (de->d_type != DT_UNKNOWN)
		return de->d_type == DT_DIR;
	return !tg_path_join(path, sizeof(path), dir, de->d_name) &&
	       lstat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

/*
 * List in r->unowned every directory below the paths root that is no
 * tenant's in force: a name without an id, an invalid name, a tenant taken
 * out for a conflict. The paths root's own row refuses them to every
 * tenant; this says which and why. 0 or -errno.
 */
static int list_unowned(struct tg_registry *r)
{
	const struct tg_tenant_entry *e;
	struct dirent *de;
	int reason, err = 0;
	unsigned int j;
	size_t i;
	DIR *d;

	tg_pending_clear(&r->unowned);
	for (i = 0; i < r->n_idless && !err; i++)
		for (j = 0; j < r->idless[i].n_paths && !err; j++)
			err = tg_pending_add(&r->unowned, r->idless[i].paths[j],
					     NULL, TG_UNREG_IDS, 0);
	if (err || !r->paths_root[0])
		goto out_finish;
	d = opendir(r->paths_root);
	if (!d) {
		err = errno == ENOENT ? 0 : -errno;
		goto out_finish;
	}
	while (!err && (de = readdir(d))) {
		if (dot_entry(de->d_name) || !entry_is_dir(r->paths_root, de))
			continue;
		if (!tg_tenant_name_valid(de->d_name)) {
			reason = TG_UNREG_NAME;
		} else {
			e = tg_registry_find(r, de->d_name);
			if (e && tg_tenant_in_force(e) && e->n_paths)
				continue;
			reason = !e	      ? TG_UNREG_IDS
				 : e->defined ? TG_UNREG_POLICY_NAME
					      : TG_UNREG_CONFLICT;
		}
		err = tg_pending_add(&r->unowned, r->paths_root, de->d_name,
				     reason, 0);
	}
	closedir(d);
out_finish:
	tg_pending_finish(&r->unowned);
	return err;
}

__u32 tg_registry_actor(const struct tg_registry *r, const char *path)
{
	__u32 id = TG_TENANT_HOST;
	size_t i, best = 0, len;

	for (i = 0; i < r->n; i++) {
		const struct tg_tenant_entry *e = &r->v[i];

		if (!e->cgroup[0] || !(e->cgroup_id || e->defined))
			continue;
		len = strlen(e->cgroup);
		if (len > best && tg_path_within(path, e->cgroup)) {
			best = len;
			id = e->id;
		}
	}
	if (id == TG_TENANT_HOST && r->pending.cgroup[0] &&
	    tg_path_within(path, r->pending.cgroup))
		id = TG_TENANT_PENDING;
	for (i = 0; i < r->n_idless && id == TG_TENANT_HOST; i++)
		if (tg_path_within(path, r->idless[i].cgroup))
			id = TG_TENANT_PENDING;
	return id;
}

int tg_tenant_in_force(const struct tg_tenant_entry *e)
{
	return e->present || e->defined || e->n_paths;
}

/* Policy tenant t gets no id: it owns nothing (see struct tg_idless). */
static int add_idless(struct tg_registry *r, const struct tg_policy_tenant *t,
		      const char *cgroup_root)
{
	struct tg_idless *x;
	unsigned int i;
	void *v;
	int err;

	v = reallocarray(r->idless, r->n_idless + 1, sizeof(*r->idless));
	if (!v)
		return -ENOMEM;
	r->idless = v;
	x = &r->idless[r->n_idless++];
	memset(x, 0, sizeof(*x));
	snprintf(x->name, sizeof(x->name), "%s", t->name);
	err = tg_path_join(x->cgroup, sizeof(x->cgroup), cgroup_root,
			   t->cgroup);
	if (err)
		return err;
	if (tg_cgroup_id(x->cgroup, &x->cgroup_id))
		x->cgroup_id = 0;
	for (i = 0; i < t->n_paths && i < TG_TENANT_PATHS_MAX; i++) {
		x->paths[i] = strdup(t->paths[i]);
		if (!x->paths[i])
			return -ENOMEM;
		x->n_paths++;
	}
	return 0;
}

/* Whether the pending list holds cgroup. */
static int pending_listed(const struct tg_pending *p, const char *cgroup)
{
	size_t i;

	for (i = 0; i < p->n; i++)
		if (!strcmp(p->v[i].cgroup, cgroup))
			return 1;
	return 0;
}

/*
 * The cgroups of the policy tenants without an id, listed as pending (once:
 * the scan lists one below the tenants cgroup already).
 */
static int list_idless_cgroups(struct tg_registry *r)
{
	size_t i;
	int err = 0;

	for (i = 0; i < r->n_idless && !err; i++)
		if (!pending_listed(&r->pending, r->idless[i].cgroup))
			err = tg_pending_add(&r->pending, r->idless[i].cgroup,
					     NULL, TG_UNREG_IDS, 0);
	tg_pending_finish(&r->pending);
	return err;
}

int tg_registry_apply(struct tg_registry *r, const struct tg_policy *p,
		      const char *cgroup_root, const char *default_paths_root)
{
	char tenants_dir[PATH_MAX];
	unsigned int i;
	size_t k;
	int err = 0;

	for (k = 0; k < r->n; k++) {
		entry_free_paths(&r->v[k]);
		r->v[k].present = r->v[k].defined = 0;
		r->v[k].cgroup_id = 0;
		r->v[k].flags = 0;
	}
	idless_clear(r);
	for (i = 0; i < p->n_tenants && !err; i++) {
		struct tg_tenant_entry *e =
			tg_registry_find(r, p->tenants[i].name);

		if (!e)
			e = registry_add(r, p->tenants[i].name);
		if (!e && errno == ENOSPC) {
			err = add_idless(r, &p->tenants[i], cgroup_root);
			continue;
		}
		if (!e)
			return -errno;
		err = apply_one(e, p, &p->tenants[i], cgroup_root);
	}
	if (err)
		return err;
	err = tg_path_join(tenants_dir, sizeof(tenants_dir), cgroup_root,
			   p->tenants_cgroup);
	/* The root's processes are the host's, never pending. */
	if (!err)
		err = tg_pending_locate(
			&r->pending,
			strcmp(p->tenants_cgroup, "/") ? tenants_dir : NULL,
			p->mode == TG_MODE_AUDIT);
	if (!err)
		err = tg_registry_scan(r, tenants_dir, default_paths_root);
	if (err == -ENOENT)
		err = 0; /* no zero-config tenants (yet) */
	if (!err && default_paths_root)
		err = register_paths_root(r, default_paths_root);
	for (k = 0; k < r->n && !err; k++)
		err = keep_zeroconf_paths(&r->v[k], default_paths_root);
	snprintf(r->paths_root, sizeof(r->paths_root), "%s",
		 default_paths_root ? default_paths_root : "");
	if (!err)
		err = list_unowned(r);
	if (!err)
		err = list_idless_cgroups(r);
	for (k = 0; k < r->n; k++)
		if (!r->v[k].defined && r->v[k].present &&
		    p->mode == TG_MODE_AUDIT)
			r->v[k].flags |= TG_TENANT_F_AUDIT;
	/* The support staff as they are now (groups resolved through NSS). */
	if (!err)
		err = tg_policy_support(p, &r->support);
	return err;
}

/* An inode a tenant claims: its cgroup directory or an owned path. */
struct claim {
	dev_t dev;
	ino_t ino;
	size_t idx; /* of the entry in the registry */
	int direct; /* the path names it, not a symlink leading to it */
};

static int claim_cmp(const void *a, const void *b)
{
	const struct claim *x = a, *y = b;

	if (x->dev != y->dev)
		return x->dev < y->dev ? -1 : 1;
	if (x->ino != y->ino)
		return x->ino < y->ino ? -1 : 1;
	return x->idx < y->idx ? -1 : x->idx > y->idx;
}

static int claim_add(struct claim **v, size_t *n, size_t *cap, const char *path,
		     size_t idx)
{
	struct stat st, lst;
	int direct;

	if (stat(path, &st) < 0)
		return 0; /* compile skips it too */
	direct = lstat(path, &lst) == 0 && lst.st_dev == st.st_dev &&
		 lst.st_ino == st.st_ino;
	if (*n == *cap) {
		size_t c = *cap ? *cap * 2 : 64;
		void *nv = reallocarray(*v, c, sizeof(**v));

		if (!nv)
			return -ENOMEM;
		*v = nv;
		*cap = c;
	}
	(*v)[(*n)++] = (struct claim){.dev = st.st_dev,
				      .ino = st.st_ino,
				      .idx = idx,
				      .direct = direct};
	return 0;
}

/* How strong claim c is: a policy tenant's, then one not through a symlink. */
static int claim_rank(const struct tg_registry *r, const struct claim *c)
{
	return (r->v[c->idx].defined << 1) | c->direct;
}

/*
 * Mark in out the zero-config entries among claims [lo, hi) (one inode)
 * that must go: all but the strongest claim, the lowest id among equals.
 */
static void pick_losers(const struct tg_registry *r, const struct claim *v,
			size_t lo, size_t hi, unsigned char *out)
{
	size_t k, win = lo;
	int rk, rw;

	for (k = lo + 1; k < hi; k++) {
		rk = claim_rank(r, &v[k]);
		rw = claim_rank(r, &v[win]);
		if (rk > rw ||
		    (rk == rw && r->v[v[k].idx].id < r->v[v[win].idx].id))
			win = k;
	}
	for (k = lo; k < hi; k++)
		if (v[k].idx != v[win].idx && !r->v[v[k].idx].defined)
			out[v[k].idx] = 1;
}

/* Take zero-config tenant e out of the registry: it stays pending. */
static int take_out(struct tg_registry *r, struct tg_tenant_entry *e)
{
	unsigned int j;

	for (j = 0; j < e->n_paths; j++)
		free(e->paths[j]);
	e->n_paths = 0;
	e->present = 0;
	e->cgroup_id = 0;
	return tg_pending_add(&r->pending, e->cgroup, NULL, TG_UNREG_CONFLICT,
			      0);
}

int tg_registry_resolve_conflicts(struct tg_registry *r)
{
	struct claim *v = NULL;
	size_t n = 0, cap = 0, i, lo;
	unsigned char *out;
	unsigned int j;
	int err = 0, taken = 0;

	out = calloc(r->n ? r->n : 1, 1);
	if (!out)
		return -ENOMEM;
	for (i = 0; i < r->n && !err; i++) {
		const struct tg_tenant_entry *e = &r->v[i];

		if (e->present && e->cgroup_id)
			err = claim_add(&v, &n, &cap, e->cgroup, i);
		for (j = 0; j < e->n_paths && !err; j++)
			err = claim_add(&v, &n, &cap, e->paths[j], i);
	}
	if (!err && n)
		qsort(v, n, sizeof(*v), claim_cmp);
	for (lo = 0, i = 1; !err && i <= n; i++) {
		if (i < n && v[i].dev == v[lo].dev && v[i].ino == v[lo].ino)
			continue;
		if (v[i - 1].idx != v[lo].idx)
			pick_losers(r, v, lo, i, out);
		lo = i;
	}
	for (i = 0; i < r->n && !err; i++) {
		if (!out[i])
			continue;
		err = take_out(r, &r->v[i]);
		taken++;
	}
	tg_pending_finish(&r->pending);
	if (!err && taken)
		err = list_unowned(r);
	free(v);
	free(out);
	return err ? err : taken;
}
