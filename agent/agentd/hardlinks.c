// SPDX-License-Identifier: GPL-2.0
/* Objects hard-linked below owned roots, recorded as owned objects. */
#define _GNU_SOURCE
#include <dirent.h>
#include <stdio.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <json-c/json.h>

#include "common/cgroupfs.h"
#include "agentd/event_text.h"
#include "agentd/hardlinks.h"
#include "tenantguard/map_abi.h"

/*
 * Key of tg_links.found: one name of an object with several links, found
 * below root; serial keeps two names below one root apart. Value: the
 * object's link count (st_nlink) then.
 */
struct tg_link_row {
	struct tg_inode_key link;
	struct tg_inode_key root;
	__u64 serial;
};

/* One directory of a walk: its subdirectories still to visit. */
struct walk_level {
	char **names;
	size_t n, cap, next;
	ino_t ino; /* the directory, to check the way back up */
};

void tg_links_init(struct tg_links *l)
{
	memset(l, 0, sizeof(*l));
	tg_kv_init(&l->scanned, sizeof(struct tg_inode_key), 1);
	tg_kv_init(&l->found, sizeof(struct tg_link_row), sizeof(__u32));
	l->max_per_tenant = TG_LINKS_PER_TENANT;
}

void tg_links_free(struct tg_links *l)
{
	unsigned int max = l->max_per_tenant;

	tg_kv_free(&l->scanned);
	tg_kv_free(&l->found);
	tg_links_init(l);
	l->max_per_tenant = max;
}

static void level_free(struct walk_level *lv)
{
	size_t i;

	for (i = 0; i < lv->n; i++)
		free(lv->names[i]);
	free(lv->names);
	memset(lv, 0, sizeof(*lv));
}

static int level_push_name(struct walk_level *lv, const char *name)
{
	char **v;

	if (lv->n == lv->cap) {
		v = reallocarray(lv->names, lv->cap ? lv->cap * 2 : 16,
				 sizeof(*v));
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

/*
 * Read the directory open at fd (on device dev): hand each entry on that
 * device to fn, keep the names of the subdirectories fn does not skip.
 * 0, TG_LINKS_WALK_STOP or -errno.
 */
static int walk_dir(int fd, dev_t dev, tg_links_walk_fn fn, void *ctx,
		    struct walk_level *lv)
{
	struct dirent *de;
	struct stat st;
	int dfd, r, err = 0;
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
		if (fstatat(fd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0)
			continue; /* gone meanwhile */
		if (st.st_dev != dev)
			continue; /* a mount point: another filesystem */
		r = fn(ctx, fd, de->d_name, &st);
		if (r < 0 || r == TG_LINKS_WALK_STOP)
			err = r;
		else if (S_ISDIR(st.st_mode) && r != TG_LINKS_WALK_SKIP)
			err = level_push_name(lv, de->d_name);
	}
	closedir(d);
	return err;
}

/* Down from the directory open at *fd into its next subdirectory. */
static int walk_down(int *fd, dev_t dev, struct walk_level *lv,
		     struct walk_level *below)
{
	struct stat st;
	int cfd;

	cfd = openat(*fd, lv->names[lv->next++],
		     O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (cfd < 0)
		return -errno;
	if (fstat(cfd, &st) < 0 || st.st_dev != dev) {
		close(cfd);
		return -EXDEV;
	}
	close(*fd);
	*fd = cfd;
	below->ino = st.st_ino;
	return 0;
}

/* Up from *fd to its parent, which must be the directory of lv. */
static int walk_up(int *fd, dev_t dev, const struct walk_level *lv)
{
	struct stat st;
	int cfd;

	cfd = openat(*fd, "..", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (cfd < 0)
		return -errno;
	if (fstat(cfd, &st) < 0 || st.st_dev != dev || st.st_ino != lv->ino) {
		close(cfd);
		return -ESTALE;
	}
	close(*fd);
	*fd = cfd;
	return 0;
}

int tg_links_walk(const char *root, unsigned int max_depth, tg_links_walk_fn fn,
		  void *ctx)
{
	struct walk_level *stack, *lv;
	size_t depth = 1;
	struct stat st;
	dev_t dev;
	int fd, err = 0;

	fd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return errno == ENOTDIR ? 0
					: -errno; /* a file has nothing below */
	stack = calloc((size_t)max_depth + 1, sizeof(*stack));
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
	err = walk_dir(fd, dev, fn, ctx, &stack[0]);
	while (!err) {
		lv = &stack[depth - 1];
		if (lv->next < lv->n && depth <= max_depth) {
			/* Down one level; only this directory stays open. */
			if (walk_down(&fd, dev, lv, &stack[depth]))
				continue; /* gone, or not a directory now */
			err = walk_dir(fd, dev, fn, ctx, &stack[depth]);
			depth++;
			continue;
		}
		level_free(lv);
		if (--depth == 0)
			break;
		/* Up again; a directory moved meanwhile ends this walk. */
		err = walk_up(&fd, dev, &stack[depth - 1]);
	}
	while (depth > 0)
		level_free(&stack[--depth]);
out_free:
	free(stack);
out_close:
	close(fd);
	return err == TG_LINKS_WALK_STOP ? 0 : err;
}

/* What record_link records rows for. */
struct found_ctx {
	struct tg_links *l;
	const struct tg_inode_key *rkey; /* the root scanned */
	const struct tg_kv_set *skip;	 /* roots not entered, or NULL */
};

/* A row of l->found for each name of an object with several links. */
static int record_link(void *ctx, int dir_fd, const char *name,
		       const struct stat *st)
{
	struct found_ctx *fc = ctx;
	struct tg_link_row row;
	struct tg_inode_key key;
	__u32 nlink;

	fc->l->visited++;
	if (S_ISDIR(st->st_mode)) {
		/* Another owned root: its own scan counts what is below. */
		key = tg_inode_key_of(st);
		return fc->skip && kv_find(fc->skip, &key) ? TG_LINKS_WALK_SKIP
							   : 0;
	}
	if (st->st_nlink <= 1)
		return 0;
	memset(&row, 0, sizeof(row));
	row.link = tg_inode_key_of(st);
	row.root = *fc->rkey;
	row.serial = ++fc->l->serial;
	nlink = (__u32)st->st_nlink;
	return tg_kv_add(&fc->l->found, &row, &nlink);
}

int tg_links_scan(struct tg_links *l, const char *root,
		  const struct tg_inode_key *rkey, const struct tg_kv_set *skip)
{
	struct found_ctx fc = {.l = l, .rkey = rkey, .skip = skip};

	return tg_links_walk(root, TG_MAX_PATH_DEPTH, record_link, &fc);
}

int tg_each_owned_dir(const struct tg_registry *r,
		      int (*fn)(void *ctx, __u32 tenant, const char *path,
				const struct tg_inode_key *key),
		      void *ctx)
{
	struct tg_inode_key key;
	struct stat st;
	unsigned int j;
	size_t i;
	int err = 0;

	for (i = 0; i < r->n && !err; i++) {
		const struct tg_tenant_entry *e = &r->v[i];

		if (!tg_tenant_in_force(e))
			continue;
		for (j = 0; j < e->n_paths && !err; j++) {
			if (stat(e->paths[j], &st) < 0 || !S_ISDIR(st.st_mode))
				continue;
			key = tg_inode_key_of(&st);
			err = fn(ctx, e->id, e->paths[j], &key);
		}
	}
	return err;
}

static int unscanned(void *ctx, __u32 tenant, const char *path,
		     const struct tg_inode_key *key)
{
	const struct tg_links *l = ctx;

	return kv_find(&l->scanned, key) ? 0 : 1;
}

int tg_links_pending(const struct tg_links *l, const struct tg_registry *r)
{
	return tg_each_owned_dir(r, unscanned, (void *)l) > 0;
}

struct scan_ctx {
	struct tg_links *l;
	const struct tg_kv_set *skip;
	struct tg_kv_set added; /* roots scanned now */
};

static int scan_path(void *ctx, __u32 tenant, const char *path,
		     const struct tg_inode_key *key)
{
	struct scan_ctx *s = ctx;
	__u8 one = 1;
	int err;

	if (kv_find(&s->l->scanned, key))
		return 0;
	err = tg_links_scan(s->l, path, key, s->skip);
	if (err == -ENOMEM)
		return err;
	if (err)
		s->l->errors++;
	return tg_kv_add(&s->added, key, &one);
}

/* Scan the owned paths of r not scanned yet (nested roots of c skipped). */
static int scan_new_roots(struct tg_links *l, const struct tg_registry *r,
			  const struct tg_compiled *c)
{
	struct scan_ctx s = {.l = l, .skip = &c->roots};
	size_t i, row;
	int err;

	tg_kv_init(&s.added, sizeof(struct tg_inode_key), 1);
	err = tg_each_owned_dir(r, scan_path, &s);
	row = s.added.ksz + s.added.vsz;
	for (i = 0; i < s.added.n && !err; i++)
		err = tg_kv_add(&l->scanned, s.added.rows + i * row,
				s.added.rows + i * row + s.added.ksz);
	if (!err && s.added.n)
		err = tg_kv_finish(&l->scanned);
	if (!err)
		err = tg_kv_finish(&l->found);
	tg_kv_free(&s.added);
	return err;
}

#define GROUP_TENANTS 8 /* distinct tenants counted per object */

/* One object: its names below owned roots, and whose roots those are. */
struct group {
	const struct tg_link_row *first;
	unsigned long names; /* below roots still owned */
	__u32 nlink;	     /* largest link count seen */
	__u32 tenants[GROUP_TENANTS];
	unsigned int n_tenants;
};

struct decide_ctx {
	struct tg_links *l;
	struct tg_compiled *c;
	struct tg_kv_set extra;		   /* objects to record */
	__u32 *per_tenant;		   /* shared objects recorded, by id */
	const struct tg_link_row *example; /* of a shared object */
	const struct tg_link_row *example_outside; /* of one linked outside */
	int shared_pass; /* deciding shared objects, then the others */
};

static void group_add(struct group *g, const struct tg_link_row *row,
		      __u32 nlink, const struct tg_kv_set *roots)
{
	const struct tg_owner *ro = kv_find(roots, &row->root);
	unsigned int i;

	if (nlink > g->nlink)
		g->nlink = nlink;
	if (!ro)
		return; /* a root no longer owned: a name outside */
	g->names++;
	for (i = 0; i < g->n_tenants; i++)
		if (g->tenants[i] == ro->tenant)
			return;
	if (g->n_tenants < GROUP_TENANTS)
		g->tenants[g->n_tenants++] = ro->tenant;
}

/*
 * What becomes of one object. Ownership follows the object: names below
 * one tenant's roots only, all of them: each leads to that tenant by its
 * own ancestry, nothing to record. A name outside every owned tree as well
 * (more links than names found below owned roots: a link made before the
 * policy was loaded, or a host file a tenant pulled into its tree before the
 * agent started, which it now refuses): the object is recorded as that
 * tenant's, so the outside names lead to it too. Names below several
 * tenants' roots: TG_OWNER_SHARED, refused to every tenant. Recording is
 * bounded: per tenant by max_per_tenant, in all by what the map holds;
 * shared objects are decided first, so which objects a limit leaves out
 * does not depend on inode numbers.
 */
static int group_decide(struct decide_ctx *d, const struct group *g)
{
	struct tg_owner owner = {.tenant = TG_OWNER_SHARED,
				 .flags = TG_OWNER_F_LINK};
	int outside = g->names < g->nlink;
	unsigned int i;

	if ((g->n_tenants > 1) != d->shared_pass)
		return 0; /* the other pass's */
	if (!g->n_tenants || (g->n_tenants < 2 && !outside) ||
	    kv_find(&d->c->roots, &g->first->link))
		return 0; /* a root itself keeps its root's owner */
	if (g->n_tenants == 1)
		owner.tenant = g->tenants[0];
	for (i = 0; i < g->n_tenants; i++)
		if (g->tenants[i] <= TG_MAX_TENANTS &&
		    d->per_tenant[g->tenants[i]] >= d->l->max_per_tenant)
			break;
	if (i < g->n_tenants ||
	    d->c->roots.n + d->extra.n >= TG_MAX_OWNED_ROOTS) {
		d->l->st.dropped++;
		d->l->st.dropped_tenant = g->tenants[i < g->n_tenants ? i : 0];
		return 0;
	}
	for (i = 0; i < g->n_tenants; i++)
		if (g->tenants[i] <= TG_MAX_TENANTS)
			d->per_tenant[g->tenants[i]]++;
	if (g->n_tenants > 1) {
		d->l->st.shared++;
		if (!d->example)
			d->example = g->first;
	} else {
		d->l->st.outside++;
		if (!d->example_outside)
			d->example_outside = g->first;
	}
	return tg_kv_add(&d->extra, &g->first->link, &owner);
}

/* What find_name looks for, and where it writes the name it finds. */
struct name_of {
	__u64 ino;
	char *out;
	size_t len;
};

/* The first name of a file (not a directory or symlink) with inode ino. */
static int find_name(void *ctx, int dir_fd, const char *name,
		     const struct stat *st)
{
	struct name_of *no = ctx;
	char link[64], dir[PATH_MAX];
	ssize_t n;

	if (S_ISDIR(st->st_mode) || S_ISLNK(st->st_mode) ||
	    st->st_ino != no->ino)
		return 0;
	snprintf(link, sizeof(link), "/proc/self/fd/%d", dir_fd);
	n = readlink(link, dir, sizeof(dir) - 1);
	if (n <= 0)
		return 0;
	dir[n] = '\0';
	tg_path_join(no->out, no->len, dir, name);
	return TG_LINKS_WALK_STOP;
}

struct root_path_ctx {
	const struct tg_inode_key *want;
	const char *path;
};

static int root_path(void *ctx, __u32 tenant, const char *path,
		     const struct tg_inode_key *key)
{
	struct root_path_ctx *rp = ctx;

	if (memcmp(key, rp->want, sizeof(*key)))
		return 0;
	rp->path = path;
	return 1;
}

/* A name of the object of row, below its root, into out ("" if none). */
static void example_path(const struct tg_registry *r,
			 const struct tg_link_row *row, char *out, size_t len)
{
	struct root_path_ctx rp = {.want = &row->root};
	struct name_of no = {.ino = row->link.ino, .out = out, .len = len};

	out[0] = '\0';
	if (tg_each_owned_dir(r, root_path, &rp) <= 0 || !rp.path)
		return;
	tg_links_walk(rp.path, TG_MAX_PATH_DEPTH, find_name, &no);
}

/* The objects of l->found into c->roots, without scanning. */
int tg_links_record(struct tg_links *l, const struct tg_registry *r,
		    struct tg_compiled *c)
{
	size_t i, rowsz = l->found.ksz + l->found.vsz;
	unsigned long shared_before = l->st.shared;
	unsigned long outside_before = l->st.outside;
	struct decide_ctx d = {.l = l, .c = c};
	const struct tg_link_row *row;
	struct group g = {};
	__u32 nlink;
	int err = 0;

	d.per_tenant = calloc(TG_MAX_TENANTS + 1, sizeof(*d.per_tenant));
	if (!d.per_tenant)
		return -ENOMEM;
	tg_kv_init(&d.extra, sizeof(struct tg_inode_key),
		   sizeof(struct tg_owner));
	l->st.shared = l->st.outside = l->st.dropped = 0;
	l->st.dropped_tenant = 0;
	/* Rows are sorted by object, then root: one group per object. */
	for (d.shared_pass = 1; d.shared_pass >= 0 && !err; d.shared_pass--) {
		memset(&g, 0, sizeof(g));
		for (i = 0; i < l->found.n && !err; i++) {
			row = (const void *)(l->found.rows + i * rowsz);
			memcpy(&nlink, l->found.rows + i * rowsz + l->found.ksz,
			       sizeof(nlink));
			if (g.first && memcmp(&row->link, &g.first->link,
					      sizeof(row->link))) {
				err = group_decide(&d, &g);
				memset(&g, 0, sizeof(g));
			}
			if (!g.first)
				g.first = row;
			group_add(&g, row, nlink, &c->roots);
		}
		if (!err && g.first)
			err = group_decide(&d, &g);
	}
	rowsz = d.extra.ksz + d.extra.vsz;
	for (i = 0; i < d.extra.n && !err; i++)
		err = tg_kv_add(&c->roots, d.extra.rows + i * rowsz,
				d.extra.rows + i * rowsz + d.extra.ksz);
	if (!err && d.extra.n)
		err = tg_kv_finish(&c->roots);
	if (!err && d.example && l->st.shared != shared_before)
		example_path(r, d.example, l->st.example,
			     sizeof(l->st.example));
	if (!l->st.shared)
		l->st.example[0] = '\0';
	if (!err && d.example_outside && l->st.outside != outside_before)
		example_path(r, d.example_outside, l->st.example_outside,
			     sizeof(l->st.example_outside));
	if (!l->st.outside)
		l->st.example_outside[0] = '\0';
	tg_kv_free(&d.extra);
	free(d.per_tenant);
	return err;
}

int tg_links_apply(struct tg_links *l, const struct tg_registry *r,
		   struct tg_compiled *c)
{
	int err = scan_new_roots(l, r, c);

	return err ?: tg_links_record(l, r, c);
}

int tg_links_stats_differ(const struct tg_links_stats *a,
			  const struct tg_links_stats *b)
{
	return a->shared != b->shared || a->dropped != b->dropped ||
	       a->outside != b->outside;
}
