// SPDX-License-Identifier: GPL-2.0
/* Objects hard-linked below owned roots, recorded as owned objects. */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bpf_loader.h"
#include "links.h"
#include "tenantguard/map_abi.h"

/* Row of tg_links.found: an object with several links, and a root above it. */
struct tg_link_row {
	struct tg_inode_key link;
	struct tg_inode_key root;
};

/* One directory of the walk: its subdirectories still to visit. */
struct scan_level {
	char **names;
	size_t n, cap, next;
	ino_t ino;		/* the directory, to check the way back up */
};

void tg_links_init(struct tg_links *l)
{
	memset(l, 0, sizeof(*l));
	tg_kv_init(&l->scanned, sizeof(struct tg_inode_key), 1);
	tg_kv_init(&l->found, sizeof(struct tg_link_row), 1);
}

void tg_links_free(struct tg_links *l)
{
	tg_kv_free(&l->scanned);
	tg_kv_free(&l->found);
	tg_links_init(l);
}

static void level_free(struct scan_level *lv)
{
	size_t i;

	for (i = 0; i < lv->n; i++)
		free(lv->names[i]);
	free(lv->names);
	memset(lv, 0, sizeof(*lv));
}

static int level_push_name(struct scan_level *lv, const char *name)
{
	char **v;

	if (lv->n == lv->cap) {
		v = reallocarray(lv->names, lv->cap ? lv->cap * 2 : 16, sizeof(*v));
		if (!v)
			return -ENOMEM;
		lv->names = v;
		lv->cap = lv->cap ? lv->cap * 2 : 16;
	}
	lv->names[lv->n] = strdup(name);
	if (!lv->names[lv->n])
		return -ENOMEM;
	lv->n++;
	return 0;
}

static struct tg_inode_key inode_key(const struct stat *st)
{
	struct tg_inode_key k;

	memset(&k, 0, sizeof(k));
	k.ino = st->st_ino;
	k.dev = tg_kernel_dev(st->st_dev);
	return k;
}

/*
 * Read the directory open at fd (on device dev): record its entries with
 * several links, keep the names of its subdirectories on the same device.
 */
static int read_dir(struct tg_links *l, int fd, dev_t dev,
		    const struct tg_inode_key *rkey, struct scan_level *lv)
{
	struct tg_link_row row;
	struct dirent *de;
	struct stat st;
	__u8 one = 1;
	int dfd, err = 0;
	DIR *d;

	dfd = fcntl(fd, F_DUPFD_CLOEXEC, 0);
	if (dfd < 0)
		return -errno;
	d = fdopendir(dfd);
	if (!d) {
		err = -errno;
		close(dfd);
		return err;
	}
	rewinddir(d);
	while (!err && (de = readdir(d))) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		l->visited++;
		if (fstatat(fd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0)
			continue;	/* gone meanwhile */
		if (st.st_dev != dev)
			continue;	/* a mount point: another filesystem */
		if (S_ISDIR(st.st_mode)) {
			err = level_push_name(lv, de->d_name);
		} else if (st.st_nlink > 1) {
			row.link = inode_key(&st);
			row.root = *rkey;
			err = tg_kv_add(&l->found, &row, &one);
		}
	}
	closedir(d);
	return err;
}

int tg_links_scan(struct tg_links *l, const char *root,
		  const struct tg_inode_key *rkey)
{
	struct scan_level *stack, *lv;
	size_t depth = 1;
	struct stat st;
	dev_t dev;
	int fd, cfd, err = 0;

	fd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return errno == ENOTDIR ? 0 : -errno;	/* a file owns nothing below */
	stack = calloc(TG_MAX_PATH_DEPTH + 1, sizeof(*stack));
	if (!stack) {
		err = -ENOMEM;
		goto out_close;
	}
	if (fstat(fd, &st) < 0) {
		err = -errno;
		goto out_free;
	}
	dev = st.st_dev;
	stack[0].ino = st.st_ino;
	err = read_dir(l, fd, dev, rkey, &stack[0]);
	while (!err) {
		lv = &stack[depth - 1];
		if (lv->next < lv->n && depth <= TG_MAX_PATH_DEPTH) {
			/* Down one level; only this directory stays open. */
			cfd = openat(fd, lv->names[lv->next++],
				     O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
			if (cfd < 0)
				continue;
			if (fstat(cfd, &st) < 0 || st.st_dev != dev) {
				close(cfd);
				continue;
			}
			close(fd);
			fd = cfd;
			stack[depth].ino = st.st_ino;
			err = read_dir(l, fd, dev, rkey, &stack[depth]);
			depth++;
			continue;
		}
		level_free(lv);
		if (--depth == 0)
			break;
		/* Up again; a directory moved meanwhile ends this scan. */
		cfd = openat(fd, "..", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (cfd < 0) {
			err = -errno;
			break;
		}
		if (fstat(cfd, &st) < 0 || st.st_dev != dev ||
		    st.st_ino != stack[depth - 1].ino) {
			close(cfd);
			err = -ESTALE;
			break;
		}
		close(fd);
		fd = cfd;
	}
	while (depth > 0)
		level_free(&stack[--depth]);
out_free:
	free(stack);
out_close:
	close(fd);
	return err;
}

/* The value of key in the finished set s, or NULL. */
static const void *kv_find(const struct tg_kv_set *s, const void *key)
{
	size_t lo = 0, hi = s->n, mid, row = s->ksz + s->vsz;
	int c;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		c = memcmp(s->rows + mid * row, key, s->ksz);
		if (c == 0)
			return s->rows + mid * row + s->ksz;
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

/* Scan the owned paths of r not scanned yet. */
static int scan_new_roots(struct tg_links *l, const struct tg_registry *r)
{
	struct tg_inode_key key;
	struct stat st;
	unsigned int j;
	size_t i, before = l->scanned.n;
	__u8 one = 1;
	int err = 0;

	for (i = 0; i < r->n && !err; i++) {
		const struct tg_tenant_entry *e = &r->v[i];

		if (!tg_tenant_in_force(e))
			continue;
		for (j = 0; j < e->n_paths && !err; j++) {
			if (stat(e->paths[j], &st) < 0 || !S_ISDIR(st.st_mode))
				continue;
			key = inode_key(&st);
			if (kv_find(&l->scanned, &key))
				continue;
			err = tg_links_scan(l, e->paths[j], &key);
			if (err == -ENOMEM)
				break;
			if (err)
				l->errors++;
			err = tg_kv_add(&l->scanned, &key, &one);
		}
	}
	if (!err && l->scanned.n != before)
		err = tg_kv_finish(&l->scanned);
	if (!err)
		err = tg_kv_finish(&l->found);
	return err;
}

/* The object of one group of rows, owned by owner, into extra. */
static int add_object(struct tg_kv_set *extra, const struct tg_compiled *c,
		      const struct tg_link_row *row, __u32 tenant)
{
	struct tg_owner owner = { .tenant = tenant };

	if (kv_find(&c->roots, &row->link))
		return 0;	/* a root itself keeps its root's owner */
	return tg_kv_add(extra, &row->link, &owner);
}

int tg_links_apply(struct tg_links *l, const struct tg_registry *r,
		   struct tg_compiled *c)
{
	const struct tg_link_row *row, *prev = NULL;
	size_t i, rowsz = l->found.ksz + l->found.vsz;
	const struct tg_owner *ro;
	struct tg_kv_set extra;
	__u32 tenant = 0;
	int err;

	err = scan_new_roots(l, r);
	if (err)
		return err;
	tg_kv_init(&extra, sizeof(struct tg_inode_key), sizeof(struct tg_owner));
	/* Rows are sorted by object, then root: one group per object. */
	for (i = 0; i < l->found.n && !err; i++) {
		row = (const void *)(l->found.rows + i * rowsz);
		if (prev && tenant && memcmp(&row->link, &prev->link, sizeof(row->link))) {
			err = add_object(&extra, c, prev, tenant);
			tenant = 0;
		}
		prev = row;
		ro = kv_find(&c->roots, &row->root);
		if (!ro)
			continue;	/* a root no longer in the policy */
		if (!tenant)
			tenant = ro->tenant;
		else if (tenant != ro->tenant)
			tenant = TG_OWNER_SHARED;
	}
	if (!err && prev && tenant)
		err = add_object(&extra, c, prev, tenant);
	for (i = 0; i < extra.n && !err; i++)
		err = tg_kv_add(&c->roots, extra.rows + i * (extra.ksz + extra.vsz),
				extra.rows + i * (extra.ksz + extra.vsz) + extra.ksz);
	if (!err && extra.n)
		err = tg_kv_finish(&c->roots);
	if (!err && c->roots.n > TG_MAX_OWNED_ROOTS)
		err = -E2BIG;
	tg_kv_free(&extra);
	return err;
}
