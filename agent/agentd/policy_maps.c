// SPDX-License-Identifier: GPL-2.0
/* The policy as BPF map contents, and the diff that brings a map up to date. */
#define _GNU_SOURCE
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include <bpf/bpf.h>

#include "agentd/policy_maps.h"
#include "tenantguard/map_abi.h"

void tg_kv_init(struct tg_kv_set *s, size_t ksz, size_t vsz)
{
	memset(s, 0, sizeof(*s));
	s->ksz = ksz;
	s->vsz = vsz;
}

void tg_kv_free(struct tg_kv_set *s)
{
	free(s->rows);
	tg_kv_init(s, s->ksz, s->vsz);
}

int tg_kv_add(struct tg_kv_set *s, const void *key, const void *val)
{
	size_t row = s->ksz + s->vsz;

	if (s->n == s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 64;
		void *r = reallocarray(s->rows, cap, row);

		if (!r)
			return -ENOMEM;
		s->rows = r;
		s->cap = cap;
	}
	memcpy(s->rows + s->n * row, key, s->ksz);
	memcpy(s->rows + s->n * row + s->ksz, val, s->vsz);
	s->n++;
	return 0;
}

static size_t sort_ksz;

static int row_cmp(const void *a, const void *b)
{
	return memcmp(a, b, sort_ksz);
}

int tg_kv_finish(struct tg_kv_set *s)
{
	size_t row = s->ksz + s->vsz, i, w = 0;
	int err = 0;

	if (!s->n)
		return 0;
	sort_ksz = s->ksz;
	qsort(s->rows, s->n, row, row_cmp);
	for (i = 0; i < s->n; i++) {
		if (w && !memcmp(s->rows + (w - 1) * row, s->rows + i * row,
				 s->ksz)) {
			if (memcmp(s->rows + (w - 1) * row, s->rows + i * row,
				   row))
				err = -EEXIST;
			continue;
		}
		if (w != i)
			memcpy(s->rows + w * row, s->rows + i * row, row);
		w++;
	}
	s->n = w;
	return err;
}

void tg_compiled_init(struct tg_compiled *c)
{
	memset(c, 0, sizeof(*c));
	tg_kv_init(&c->cgroups, sizeof(__u64), sizeof(struct tg_tenant));
	tg_kv_init(&c->roots, sizeof(struct tg_inode_key),
		   sizeof(struct tg_owner));
	tg_kv_init(&c->pairs, sizeof(struct tg_pair_key), sizeof(__u8));
	tg_kv_init(&c->reserved, sizeof(__u32), sizeof(__u32));
	tg_kv_init(&c->nets, sizeof(struct tg_net_key), sizeof(__u32));
}

void tg_compiled_free(struct tg_compiled *c)
{
	tg_kv_free(&c->cgroups);
	tg_kv_free(&c->roots);
	tg_kv_free(&c->pairs);
	tg_kv_free(&c->reserved);
	tg_kv_free(&c->nets);
}

/* Every port of e's reserved ranges, and its networks (host bits cleared). */
static int compile_net(const struct tg_tenant_entry *e, struct tg_compiled *c)
{
	unsigned int j, p, b;
	int err = 0;

	for (j = 0; j < e->n_ports && !err; j++) {
		const struct tg_port_range *r = &e->ports[j];

		for (p = r->lo; p <= r->hi && !err; p++) {
			__u32 key = TG_PORT_KEY(r->proto, p);

			err = tg_kv_add(&c->reserved, &key, &e->id);
		}
	}
	for (j = 0; j < e->n_networks && !err; j++) {
		struct tg_net_key key = {.prefixlen = e->networks[j].prefix};

		memcpy(key.addr, e->networks[j].addr, 16);
		for (b = key.prefixlen; b < 128; b++)
			key.addr[b / 8] &= (__u8) ~(0x80 >> (b % 8));
		err = tg_kv_add(&c->nets, &key, &e->id);
	}
	return err;
}

struct tg_inode_key tg_inode_key_of(const struct stat *st)
{
	struct tg_inode_key key;

	memset(&key, 0, sizeof(key));
	key.ino = st->st_ino;
	/* The kernel's dev_t: MAJOR << 20 | MINOR. */
	key.dev = (__u32)((major(st->st_dev) << 20) | minor(st->st_dev));
	return key;
}

/*
 * The inode st describes (named path) as an owned root of tenant, and into
 * scopes (unless NULL) the rows of what holds it: its filesystem, and the
 * directory it is in (by its real name), where a watch would see the
 * root's activity.
 */
static int add_root(struct tg_compiled *c, struct tg_kv_set *scopes,
		    const char *path, const struct stat *st, __u32 tenant)
{
	struct tg_inode_key key = tg_inode_key_of(st);
	char real[PATH_MAX], *slash;
	struct tg_owner owner;
	struct stat pst;
	int err;

	memset(&owner, 0, sizeof(owner));
	owner.tenant = tenant;
	err = tg_kv_add(&c->roots, &key, &owner);
	if (!scopes)
		return err;
	key.ino = 0;
	key.scope = TG_SCOPE_FILESYSTEM;
	err = err ?: tg_kv_add(scopes, &key, &owner);
	if (err || !realpath(path, real) || !(slash = strrchr(real, '/')))
		return err;
	if (slash == real)
		slash++; /* "/x": the directory is "/" */
	*slash = '\0';
	if (stat(real, &pst) == 0) {
		key = tg_inode_key_of(&pst);
		key.scope = TG_SCOPE_PARENT;
		err = tg_kv_add(scopes, &key, &owner);
	}
	return err;
}

/*
 * The scope rows s holds into c->roots, one per key: a filesystem or a
 * directory that holds the roots of several tenants is TG_OWNER_SHARED's.
 */
static int add_scopes(struct tg_compiled *c, struct tg_kv_set *s)
{
	size_t row = s->ksz + s->vsz, i;
	const unsigned char *r;
	struct tg_owner o, next;
	int err = 0;

	sort_ksz = s->ksz;
	if (s->n)
		qsort(s->rows, s->n, row, row_cmp);
	for (i = 0; i < s->n && !err; i++) {
		r = s->rows + i * row;
		memcpy(&o, r + s->ksz, sizeof(o));
		for (; i + 1 < s->n && !memcmp(r, r + row, s->ksz); i++) {
			r += row;
			memcpy(&next, r + s->ksz, sizeof(next));
			if (next.tenant != o.tenant)
				o.tenant = TG_OWNER_SHARED;
		}
		err = tg_kv_add(&c->roots, r, &o);
	}
	return err;
}

/* The tenants cgroup's row of tenant_cgroups, if it exists: the pending actor.
 */
static int compile_pending(const struct tg_pending *p, struct tg_compiled *c)
{
	struct tg_tenant t = {.id = TG_TENANT_PENDING, .flags = p->flags};

	if (!p->cgroup_id)
		return 0;
	return tg_kv_add(&c->cgroups, &p->cgroup_id, &t);
}

/* Whether s (not sorted yet) has a row of key key. */
static int kv_has(const struct tg_kv_set *s, const void *key)
{
	size_t row = s->ksz + s->vsz, i;

	for (i = 0; i < s->n; i++)
		if (!memcmp(s->rows + i * row, key, s->ksz))
			return 1;
	return 0;
}

/*
 * path as owned by TG_OWNER_UNREGISTERED, refused to every tenant, unless
 * a tenant owns that inode (a bind mount) or path does not exist.
 */
static int add_unregistered(struct tg_compiled *c, const char *path)
{
	struct tg_inode_key key;
	struct stat st;

	if (stat(path, &st) < 0)
		return 0;
	key = tg_inode_key_of(&st);
	return kv_has(&c->roots, &key)
		       ? 0
		       : add_root(c, NULL, path, &st, TG_OWNER_UNREGISTERED);
}

/*
 * What no registered tenant owns and no tenant may reach: the paths root
 * (built-in policy), so that below it a tenant without an id or a
 * directory not registered yet is refused to every tenant, never open to
 * all; and the paths of policy tenants without an id, whose cgroups are the
 * pending actor's.
 */
static int add_unregistered_all(const struct tg_registry *r,
				struct tg_compiled *c)
{
	const struct tg_idless *x;
	struct tg_tenant t = {.id = TG_TENANT_PENDING};
	unsigned int j;
	size_t i;
	int err = 0;

	if (r->paths_root[0])
		err = add_unregistered(c, r->paths_root);
	for (i = 0; i < r->n_idless && !err; i++) {
		x = &r->idless[i];
		t.flags = r->pending.flags | TG_TENANT_F_PENDING;
		if (x->cgroup_id && !kv_has(&c->cgroups, &x->cgroup_id))
			err = tg_kv_add(&c->cgroups, &x->cgroup_id, &t);
		for (j = 0; j < x->n_paths && !err; j++)
			err = add_unregistered(c, x->paths[j]);
	}
	return err;
}

int tg_compile(const struct tg_registry *r, struct tg_compiled *c)
{
	struct tg_kv_set scopes;
	struct tg_tenant t;
	struct stat st;
	unsigned int j;
	size_t i;
	int err = 0;

	tg_kv_init(&scopes, sizeof(struct tg_inode_key),
		   sizeof(struct tg_owner));
	c->support = r->support;
	for (i = 0; i < r->n && !err; i++) {
		const struct tg_tenant_entry *e = &r->v[i];

		if (!tg_tenant_in_force(e))
			continue;
		/*
		 * A tenant's paths are its own whether or not its cgroup
		 * exists yet: nobody else may touch them meanwhile.
		 */
		if (e->present && e->cgroup_id) {
			memset(&t, 0, sizeof(t));
			t.id = e->id;
			t.flags = e->flags;
			err = tg_kv_add(&c->cgroups, &e->cgroup_id, &t);
			/*
			 * Its cgroup directory is its own too: no other tenant
			 * moves processes into it or writes its files.
			 */
			if (!err && stat(e->cgroup, &st) == 0)
				err = add_root(c, &scopes, e->cgroup, &st,
					       e->id);
		}
		for (j = 0; j < e->n_paths && !err; j++) {
			/* A path that does not exist yet owns nothing yet. */
			if (stat(e->paths[j], &st) < 0) {
				c->missing_paths++;
				continue;
			}
			err = add_root(c, &scopes, e->paths[j], &st, e->id);
		}
		for (j = 0; j < e->n_allow_from && !err; j++) {
			const struct tg_tenant_entry *from;
			struct tg_pair_key pk = {.target = e->id};
			__u8 one = 1;

			from = tg_registry_find_const(r, e->allow_from[j]);
			if (!from)
				continue;
			pk.caller = from->id;
			err = tg_kv_add(&c->pairs, &pk, &one);
		}
		if (!err)
			err = compile_net(e, c);
	}
	err = err ?: compile_pending(&r->pending, c);
	err = err ?: add_unregistered_all(r, c);
	err = err ?: add_scopes(c, &scopes);
	tg_kv_free(&scopes);
	if (err)
		return err;
	/* Two tenants on one cgroup or one directory: refuse, never guess. */
	err = tg_kv_finish(&c->cgroups);
	if (!err)
		err = tg_kv_finish(&c->roots);
	if (!err)
		err = tg_kv_finish(&c->pairs);
	if (!err)
		err = tg_kv_finish(&c->reserved);
	if (!err)
		err = tg_kv_finish(&c->nets);
	if (!err &&
	    (c->cgroups.n > TG_MAX_TENANT_CGROUPS ||
	     c->roots.n > TG_MAX_OWNED_ROOTS ||
	     c->pairs.n > TG_MAX_ALLOW_PAIRS ||
	     c->reserved.n > TG_MAX_PORT_KEYS || c->nets.n > TG_MAX_NETWORKS))
		err = -E2BIG;
	return err;
}

/* Write n rows (key then value) in batches; one syscall per batch. */
static int update_rows(int fd, const struct tg_kv_set *t,
		       const unsigned char *rows, size_t n)
{
	size_t row = t->ksz + t->vsz, i;
	unsigned char *keys, *vals;
	__u32 count;
	int err = 0;

	if (!n)
		return 0;
	keys = malloc(n * t->ksz);
	vals = malloc(n * t->vsz);
	if (!keys || !vals) {
		err = -ENOMEM;
		goto out_free;
	}
	for (i = 0; i < n; i++) {
		memcpy(keys + i * t->ksz, rows + i * row, t->ksz);
		memcpy(vals + i * t->vsz, rows + i * row + t->ksz, t->vsz);
	}
	count = (__u32)n;
	if (bpf_map_update_batch(fd, keys, vals, &count, NULL) == 0)
		goto out_free;
	/* Kernels or maps without batch support: one by one. */
	for (i = 0; i < n; i++)
		if (bpf_map_update_elem(fd, keys + i * t->ksz,
					vals + i * t->vsz, BPF_ANY)) {
			err = -errno;
			break;
		}
out_free:
	free(keys);
	free(vals);
	return err;
}

int tg_kv_write(int fd, const struct tg_kv_set *s)
{
	return update_rows(fd, s, s->rows, s->n);
}

long tg_kv_sync(int fd, struct tg_kv_set *mirror,
		const struct tg_kv_set *target)
{
	size_t row = target->ksz + target->vsz, i = 0, j = 0, nu = 0;
	struct tg_kv_set copy;
	unsigned char *upd = NULL;
	long changes = 0;
	int c, err;

	/* Deletions first, so that the map never needs more than max_entries.
	 */
	while (i < mirror->n) {
		const unsigned char *m = mirror->rows + i * row;

		c = j < target->n
			    ? memcmp(m, target->rows + j * row, target->ksz)
			    : -1;
		if (c < 0) {
			if (bpf_map_delete_elem(fd, m) && errno != ENOENT)
				return -errno;
			changes++;
			i++;
		} else if (c == 0) {
			i++;
			j++;
		} else {
			j++;
		}
	}
	if (target->n) {
		upd = malloc(target->n * row);
		if (!upd)
			return -ENOMEM;
	}
	for (i = 0, j = 0; j < target->n; j++) {
		const unsigned char *t = target->rows + j * row;

		while (i < mirror->n &&
		       memcmp(mirror->rows + i * row, t, target->ksz) < 0)
			i++;
		if (i < mirror->n && !memcmp(mirror->rows + i * row, t, row))
			continue; /* same key, same value */
		memcpy(upd + nu * row, t, row);
		nu++;
	}
	err = update_rows(fd, target, upd, nu);
	free(upd);
	if (err)
		return err;
	changes += (long)nu;
	tg_kv_init(&copy, target->ksz, target->vsz);
	if (target->n) {
		copy.rows = malloc(target->n * row);
		if (!copy.rows)
			return -ENOMEM;
		memcpy(copy.rows, target->rows, target->n * row);
		copy.n = copy.cap = target->n;
	}
	tg_kv_free(mirror);
	*mirror = copy;
	return changes;
}
