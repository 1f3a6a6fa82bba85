// SPDX-License-Identifier: GPL-2.0
/* The owned roots by device and inode, with their policy paths. */
#define _GNU_SOURCE
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "agentd/policy_maps.h"
#include "agentd/root_paths.h"

static int cmp(const void *a, const void *b)
{
	const struct tg_root_path *x = a, *y = b;

	if (x->dev != y->dev)
		return x->dev < y->dev ? -1 : 1;
	if (x->ino != y->ino)
		return x->ino < y->ino ? -1 : 1;
	return 0;
}

/* The same, then by the order they were found in. */
static int cmp_seq(const void *a, const void *b)
{
	const struct tg_root_path *x = a, *y = b;

	return cmp(a, b) ?: (x->seq > y->seq) - (x->seq < y->seq);
}

/* path, if it exists, at the end of v. */
static int add(struct tg_root_path *v, size_t *n, size_t cap, const char *path)
{
	struct tg_inode_key key;
	struct stat st;

	if (*n == cap || stat(path, &st) < 0)
		return 0;
	key = tg_inode_key_of(&st);
	v[*n].path = strdup(path);
	if (!v[*n].path)
		return -ENOMEM;
	v[*n].dev = key.dev;
	v[*n].ino = key.ino;
	v[*n].seq = (__u32)*n;
	(*n)++;
	return 0;
}

/* Sort v, keeping the first path found of each inode; the new n. */
static size_t finish(struct tg_root_path *v, size_t n)
{
	size_t i, k = 0;

	qsort(v, n, sizeof(*v), cmp_seq);
	for (i = 0; i < n; i++) {
		if (k && !cmp(&v[k - 1], &v[i])) {
			free(v[i].path);
			continue;
		}
		v[k++] = v[i];
	}
	return k;
}

/* How many paths r may own. */
static size_t count(const struct tg_registry *r)
{
	size_t i, cap = 1;

	for (i = 0; i < r->n; i++)
		cap += r->v[i].n_paths + 1;
	for (i = 0; i < r->n_idless; i++)
		cap += r->idless[i].n_paths;
	return cap;
}

int tg_root_paths_build(struct tg_root_paths *rp, const struct tg_registry *r)
{
	size_t cap = count(r), n = 0, i;
	struct tg_root_path *v = calloc(cap, sizeof(*v));
	unsigned int j;
	int err = 0;

	if (!v)
		return -ENOMEM;
	/* Tenants first: of two names of one root, theirs is kept. */
	for (i = 0; i < r->n && !err; i++) {
		const struct tg_tenant_entry *e = &r->v[i];

		if (!tg_tenant_in_force(e))
			continue;
		for (j = 0; j < e->n_paths && !err; j++)
			err = add(v, &n, cap, e->paths[j]);
		if (!err && e->present && e->cgroup_id)
			err = add(v, &n, cap, e->cgroup);
	}
	if (!err && r->paths_root[0])
		err = add(v, &n, cap, r->paths_root);
	for (i = 0; i < r->n_idless && !err; i++)
		for (j = 0; j < r->idless[i].n_paths && !err; j++)
			err = add(v, &n, cap, r->idless[i].paths[j]);
	if (err) {
		rp = &(struct tg_root_paths){.v = v, .n = n};
		tg_root_paths_free(rp);
		return err;
	}
	n = finish(v, n);
	tg_root_paths_free(rp);
	rp->v = v;
	rp->n = n;
	return 0;
}

void tg_root_paths_free(struct tg_root_paths *rp)
{
	size_t i;

	for (i = 0; i < rp->n; i++)
		free(rp->v[i].path);
	free(rp->v);
	rp->v = NULL;
	rp->n = 0;
}

const char *tg_root_paths_find(const struct tg_root_paths *rp, __u32 dev,
			       __u64 ino)
{
	struct tg_root_path key = {.dev = dev, .ino = ino}, *e;

	if (!rp || !rp->n)
		return NULL;
	e = bsearch(&key, rp->v, rp->n, sizeof(*rp->v), cmp);
	return e ? e->path : NULL;
}
