// SPDX-License-Identifier: GPL-2.0
/*
 * Ownership by device + inode ancestry, and the opener's tenant by cgroup,
 * for the fanotify backend. No fanotify here: the unit tests drive it on
 * plain directories.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "agentd/fanotify_owner.h"
#include "tenantguard/map_abi.h"

/* Room for one more element of size sz in *v (n used of *cap). */
static int grow(void **v, size_t *cap, size_t n, size_t sz, size_t first)
{
	size_t ncap;
	void *nv;

	if (n < *cap)
		return 0;
	ncap = *cap ? *cap * 2 : first;
	nv = reallocarray(*v, ncap, sz);
	if (!nv)
		return -ENOMEM;
	*v = nv;
	*cap = ncap;
	return 0;
}

void tg_fo_owned_init(struct tg_fo_owned *o)
{
	memset(o, 0, sizeof(*o));
}

void tg_fo_owned_free(struct tg_fo_owned *o)
{
	free(o->v);
	tg_fo_owned_init(o);
}

int tg_fo_owned_add(struct tg_fo_owned *o, __u64 dev, __u64 ino, __u32 tenant,
		    __u32 flags)
{
	if (grow((void **)&o->v, &o->cap, o->n, sizeof(*o->v), 64))
		return -ENOMEM;
	o->v[o->n++] = (struct tg_fo_ent){
		.dev = dev, .ino = ino, .tenant = tenant, .flags = flags};
	return 0;
}

static int key_cmp(__u64 adev, __u64 aino, __u64 bdev, __u64 bino)
{
	if (adev != bdev)
		return adev < bdev ? -1 : 1;
	if (aino != bino)
		return aino < bino ? -1 : 1;
	return 0;
}

/* By key, then roots before links. */
static int ent_cmp(const void *a, const void *b)
{
	const struct tg_fo_ent *x = a, *y = b;
	int c = key_cmp(x->dev, x->ino, y->dev, y->ino);

	if (c)
		return c;
	return (int)(y->flags & TG_FO_ROOT) - (int)(x->flags & TG_FO_ROOT);
}

int tg_fo_owned_finish(struct tg_fo_owned *o)
{
	size_t i, w = 0, k;

	if (!o->n)
		return 0;
	qsort(o->v, o->n, sizeof(*o->v), ent_cmp);
	for (i = 0; i < o->n; i = k) {
		const struct tg_fo_ent *e = &o->v[i];
		int clash = 0;

		for (k = i + 1; k < o->n && !key_cmp(e->dev, e->ino,
						     o->v[k].dev, o->v[k].ino);
		     k++) {
			if (o->v[k].tenant == e->tenant)
				continue;
			if ((o->v[k].flags & TG_FO_ROOT) &&
			    (e->flags & TG_FO_ROOT))
				return -EEXIST;
			if (!(e->flags & TG_FO_ROOT))
				clash = 1;
		}
		o->v[w] = *e;
		/* A link in two tenants' trees: refused to every tenant. */
		if (clash)
			o->v[w].tenant = TG_OWNER_SHARED;
		w++;
	}
	o->n = w;
	return 0;
}

const struct tg_fo_ent *tg_fo_owned_find(const struct tg_fo_owned *o, __u64 dev,
					 __u64 ino)
{
	size_t lo = 0, hi = o->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = key_cmp(dev, ino, o->v[mid].dev, o->v[mid].ino);

		if (c == 0)
			return &o->v[mid];
		if (c < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return NULL;
}

int tg_fo_ent_matches(const struct tg_fo_ent *e, const struct stat *st)
{
	return e && (!(e->flags & TG_FO_LINK) || (e->flags & TG_FO_ROOT) ||
		     st->st_nlink > 1);
}

int tg_fo_cache_init(struct tg_fo_cache *c, size_t cap, __u64 max_age_ms)
{
	size_t n = 16;

	memset(c, 0, sizeof(*c));
	while (n < cap)
		n *= 2;
	c->slots = calloc(n, sizeof(*c->slots));
	c->owner_gen = calloc(TG_FO_OWNER_GENS, sizeof(*c->owner_gen));
	if (!c->slots || !c->owner_gen) {
		tg_fo_cache_free(c);
		return -ENOMEM;
	}
	c->cap = n;
	c->gen = 1;
	c->max_age_ms = max_age_ms;
	return 0;
}

void tg_fo_cache_free(struct tg_fo_cache *c)
{
	free(c->slots);
	free(c->owner_gen);
	memset(c, 0, sizeof(*c));
}

void tg_fo_cache_clear(struct tg_fo_cache *c)
{
	if (++c->gen == 0) {
		memset(c->slots, 0, c->cap * sizeof(*c->slots));
		c->gen = 1;
	}
	c->used = 0;
}

/* The generation of owner tenant's answers. */
static __u32 *owner_gen(struct tg_fo_cache *c, __u32 tenant)
{
	return &c->owner_gen[tenant <= TG_TENANT_PENDING
				     ? tenant
				     : TG_FO_OWNER_GENS - 1];
}

void tg_fo_cache_clear_owner(struct tg_fo_cache *c, __u32 tenant)
{
	/* A wrapped generation could bring old answers back: drop them all. */
	if (++*owner_gen(c, tenant) == 0)
		tg_fo_cache_clear(c);
}

static size_t slot_hash(const struct tg_fo_cache *c, __u64 dev, __u64 ino)
{
	__u64 h = (ino ^ (dev << 32) ^ (dev >> 7)) * 0x9e3779b97f4a7c15ULL;

	return (size_t)(h >> 17) & (c->cap - 1);
}

/* The slot holding the key, or NULL; *free_slot gets the first usable one. */
static struct tg_fo_slot *slot_find(struct tg_fo_cache *c, __u64 dev, __u64 ino,
				    struct tg_fo_slot **free_slot)
{
	size_t i = slot_hash(c, dev, ino), n;

	if (free_slot)
		*free_slot = NULL;
	for (n = 0; n < c->cap; n++, i = (i + 1) & (c->cap - 1)) {
		struct tg_fo_slot *s = &c->slots[i];

		if (s->gen != c->gen) {
			if (free_slot && !*free_slot)
				*free_slot = s;
			return NULL;
		}
		if (s->dead) {
			if (free_slot && !*free_slot)
				*free_slot = s;
			continue;
		}
		if (s->dev == dev && s->ino == ino)
			return s;
	}
	return NULL;
}

struct tg_fo_obj tg_fo_obj_of(const struct stat *st)
{
	return (struct tg_fo_obj){
		.dev = st->st_dev,
		.ino = st->st_ino,
		.ctime_ns = (__u64)st->st_ctim.tv_sec * 1000000000ULL +
			    (__u64)st->st_ctim.tv_nsec,
	};
}

int tg_fo_cache_get(struct tg_fo_cache *c, const struct tg_fo_obj *o,
		    __u64 now_ms, __u32 *tenant)
{
	struct tg_fo_slot *s = slot_find(c, o->dev, o->ino, NULL);

	if (!s || s->ctime_ns != o->ctime_ns ||
	    s->owner_gen != *owner_gen(c, s->tenant) ||
	    (c->max_age_ms && now_ms - s->stamp_ms > c->max_age_ms)) {
		c->misses++;
		return 0;
	}
	c->hits++;
	*tenant = s->tenant;
	return 1;
}

void tg_fo_cache_put(struct tg_fo_cache *c, const struct tg_fo_obj *o,
		     __u32 tenant, __u64 now_ms)
{
	struct tg_fo_slot *s, *fs;

	/* At most three quarters full (tombstones count), or start afresh. */
	if (c->used + 1 > c->cap / 4 * 3)
		tg_fo_cache_clear(c);
	s = slot_find(c, o->dev, o->ino, &fs);
	if (!s) {
		s = fs;
		if (!s)
			return;
		if (s->gen != c->gen)
			c->used++;
	}
	*s = (struct tg_fo_slot){.dev = o->dev,
				 .ino = o->ino,
				 .ctime_ns = o->ctime_ns,
				 .stamp_ms = now_ms,
				 .tenant = tenant,
				 .gen = c->gen,
				 .owner_gen = *owner_gen(c, tenant)};
}

void tg_fo_cache_del(struct tg_fo_cache *c, __u64 dev, __u64 ino)
{
	struct tg_fo_slot *s = slot_find(c, dev, ino, NULL);

	if (s)
		s->dead = 1;
}

int tg_fo_parent_rel(const char *p, const char *root_path, int deleted,
		     char *out, size_t len, const char **base)
{
	size_t rl = strlen(root_path), pl = strlen(p);
	const char *rel, *slash;
	static const char del[] = " (deleted)";

	while (rl > 1 && root_path[rl - 1] == '/')
		rl--;
	if (rl == 1 && root_path[0] == '/')
		rl = 0;
	if (strncmp(p, root_path, rl) != 0 || p[rl] != '/')
		return -EXDEV;
	if (deleted && pl >= sizeof(del) - 1 &&
	    strcmp(p + pl - (sizeof(del) - 1), del) == 0)
		pl -= sizeof(del) - 1;
	rel = p + rl + 1;
	slash = memrchr(rel, '/', pl - rl - 1);
	if (base)
		*base = slash ? slash + 1 : rel;
	if (!slash)
		return snprintf(out, len, ".") >= (int)len ? -ENAMETOOLONG : 0;
	if ((size_t)(slash - rel) >= len)
		return -ENAMETOOLONG;
	memcpy(out, rel, (size_t)(slash - rel));
	out[slash - rel] = '\0';
	return 0;
}

/*
 * The directory holding non-directory fd (stat st), checked to hold it;
 * the name there into leaf (NAME_MAX + 1 bytes) if not NULL.
 */
static int open_parent(struct tg_fo_walk *w, int fd, const struct stat *st,
		       char *leaf)
{
	struct open_how how = {
		.flags = O_PATH | O_DIRECTORY | O_CLOEXEC,
		.resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS |
			   RESOLVE_NO_MAGICLINKS | RESOLVE_NO_XDEV,
	};
	char link[64], p[PATH_MAX], rel[PATH_MAX], name[NAME_MAX + 1];
	const char *base = NULL;
	struct stat cs;
	ssize_t n;
	int dfd, err;

	snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
	n = readlink(link, p, sizeof(p));
	if (n < 0)
		return -errno;
	if ((size_t)n >= sizeof(p))
		return -ENAMETOOLONG;
	p[n] = '\0';
	err = tg_fo_parent_rel(p, w->root_path, st->st_nlink == 0, rel,
			       sizeof(rel), &base);
	if (err)
		return err;
	snprintf(name, sizeof(name), "%s", base);
	if (st->st_nlink == 0) {
		/* Deleted: the name is gone, the path is the one it had. */
		size_t bl = strlen(name), dl = strlen(" (deleted)");

		if (bl >= dl && strcmp(name + bl - dl, " (deleted)") == 0)
			name[bl - dl] = '\0';
	}
	dfd = (int)syscall(SYS_openat2, w->root_fd, rel, &how, sizeof(how));
	if (dfd < 0)
		return -errno;
	if (st->st_nlink &&
	    (fstatat(dfd, name, &cs, AT_SYMLINK_NOFOLLOW) < 0 ||
	     cs.st_dev != st->st_dev || cs.st_ino != st->st_ino)) {
		close(dfd);
		return -ESTALE;
	}
	if (leaf)
		memcpy(leaf, name, sizeof(name));
	return dfd;
}

/* Walk up from directory fd cur (taken) to the first owned or known one. */
static int walk_up(struct tg_fo_walk *w, int cur, __u32 *owner)
{
	struct stat rs, s;
	__u64 pdev = 0, pino = 0;
	unsigned int n = 0, i;
	__u32 t = 0;
	int err = 0, p;

	if (fstat(w->root_fd, &rs) < 0) {
		err = -errno;
		goto out_close;
	}
	for (;;) {
		const struct tg_fo_ent *e;

		if (fstat(cur, &s) < 0) {
			err = -errno;
			goto out_close;
		}
		if (n && s.st_dev == pdev && s.st_ino == pino)
			break; /* ".." of the top is itself */
		e = tg_fo_owned_find(w->owned, s.st_dev, s.st_ino);
		if (e) {
			t = e->tenant;
			break;
		}
		w->scratch[n] = tg_fo_obj_of(&s);
		if (w->cache &&
		    tg_fo_cache_get(w->cache, &w->scratch[n], w->now_ms, &t))
			break;
		if (n == TG_FO_MAX_DEPTH - 1) {
			err = -ELOOP;
			goto out_close;
		}
		n++;
		if (s.st_dev == rs.st_dev && s.st_ino == rs.st_ino)
			break; /* the top of the tree, unowned */
		pdev = s.st_dev;
		pino = s.st_ino;
		p = openat(cur, "..", O_PATH | O_DIRECTORY | O_CLOEXEC);
		if (p < 0) {
			err = -errno;
			goto out_close;
		}
		w->steps++;
		close(cur);
		cur = p;
	}
	*owner = t;
	for (i = 0; w->cache && i < n; i++)
		tg_fo_cache_put(w->cache, &w->scratch[i], t, w->now_ms);
out_close:
	close(cur);
	return err;
}

int tg_fo_owner(struct tg_fo_walk *w, int fd, const struct stat *st,
		__u32 *owner)
{
	struct tg_fo_obj me = tg_fo_obj_of(st);
	const struct tg_fo_ent *e;
	int dfd, err, i;

	w->steps = 0;
	e = tg_fo_owned_find(w->owned, st->st_dev, st->st_ino);
	if (tg_fo_ent_matches(e, st)) {
		*owner = e->tenant;
		return 0;
	}
	if (w->cache && tg_fo_cache_get(w->cache, &me, w->now_ms, owner))
		return 0;
	if (S_ISDIR(st->st_mode)) {
		dfd = openat(fd, ".", O_PATH | O_DIRECTORY | O_CLOEXEC);
		if (dfd < 0)
			return -errno;
	} else {
		/* A name renamed over between two looks: look again. */
		for (i = 0; i < 3; i++) {
			dfd = open_parent(w, fd, st, NULL);
			if (dfd != -ESTALE)
				break;
		}
		if (dfd < 0)
			return dfd;
	}
	err = walk_up(w, dfd, owner);
	/* A file with one name has one parent: its answer can be kept. */
	if (!err && w->cache && !S_ISDIR(st->st_mode) && st->st_nlink == 1)
		tg_fo_cache_put(w->cache, &me, *owner, w->now_ms);
	return err;
}

/*
 * The last k names of the path p (of a directory, "/" separated) into out,
 * then "/" and leaf if leaf is not NULL. -ESTALE if p has fewer.
 */
static int last_names(const char *p, unsigned int k, const char *leaf,
		      char *out, size_t len)
{
	const char *s = p + strlen(p);
	unsigned int i;
	int n;

	for (i = 0; i < k; i++) {
		while (s > p && s[-1] != '/')
			s--;
		if (s == p)
			return -ESTALE;
		s--; /* onto its "/" */
	}
	n = snprintf(out, len, "%s%s%s", k ? s + 1 : "", k && leaf ? "/" : "",
		     leaf ? leaf : "");
	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

int tg_fo_root_below(struct tg_fo_walk *w, int dfd, const char *leaf,
		     const struct tg_fo_ent **root, char *below, size_t len)
{
	char link[64], p[PATH_MAX];
	const struct tg_fo_ent *e;
	struct stat rs, s;
	unsigned int k = 0;
	ssize_t n;
	int err = 0, up;

	snprintf(link, sizeof(link), "/proc/self/fd/%d", dfd);
	n = readlink(link, p, sizeof(p));
	if (n < 0 || (size_t)n >= sizeof(p) || fstat(w->root_fd, &rs) < 0) {
		err = n >= 0 && (size_t)n >= sizeof(p) ? -ENAMETOOLONG : -errno;
		goto out_close;
	}
	p[n] = '\0';
	for (;;) {
		if (fstat(dfd, &s) < 0) {
			err = -errno;
			goto out_close;
		}
		e = tg_fo_owned_find(w->owned, s.st_dev, s.st_ino);
		if (e && (e->flags & TG_FO_ROOT))
			break;
		if ((s.st_dev == rs.st_dev && s.st_ino == rs.st_ino) ||
		    k == TG_FO_MAX_DEPTH) {
			err = -ENOENT; /* no owned root above it */
			goto out_close;
		}
		up = openat(dfd, "..", O_PATH | O_DIRECTORY | O_CLOEXEC);
		if (up < 0) {
			err = -errno;
			goto out_close;
		}
		close(dfd);
		dfd = up;
		k++;
	}
	*root = e;
	err = last_names(p, k, leaf, below, len);
out_close:
	close(dfd);
	return err;
}

int tg_fo_root_of(struct tg_fo_walk *w, int fd, const struct stat *st,
		  const struct tg_fo_ent **root, char *below, size_t len)
{
	char leaf[NAME_MAX + 1];
	const struct tg_fo_ent *e;
	int dfd, i;

	if (S_ISDIR(st->st_mode)) {
		dfd = openat(fd, ".", O_PATH | O_DIRECTORY | O_CLOEXEC);
		return dfd < 0 ? -errno
			       : tg_fo_root_below(w, dfd, NULL, root, below,
						  len);
	}
	e = tg_fo_owned_find(w->owned, st->st_dev, st->st_ino);
	if (e && (e->flags & TG_FO_ROOT)) {
		*root = e;
		below[0] = '\0';
		return 0;
	}
	for (i = 0, dfd = -ESTALE; i < 3 && dfd == -ESTALE; i++)
		dfd = open_parent(w, fd, st, leaf);
	if (dfd < 0)
		return dfd;
	return tg_fo_root_below(w, dfd, leaf, root, below, len);
}

void tg_fo_cgroups_init(struct tg_fo_cgroups *g)
{
	memset(g, 0, sizeof(*g));
}

void tg_fo_cgroups_free(struct tg_fo_cgroups *g)
{
	size_t i;

	for (i = 0; i < g->n; i++)
		free(g->v[i].path);
	free(g->v);
	tg_fo_cgroups_init(g);
}

int tg_fo_cgroups_add(struct tg_fo_cgroups *g, const char *path, __u32 tenant,
		      __u32 flags)
{
	char *p;

	if (grow((void **)&g->v, &g->cap, g->n, sizeof(*g->v), 16))
		return -ENOMEM;
	p = strdup(path);
	if (!p)
		return -ENOMEM;
	/* "/a/b/" and "/a/b" are one cgroup. */
	while (strlen(p) > 1 && p[strlen(p) - 1] == '/')
		p[strlen(p) - 1] = '\0';
	g->v[g->n++] = (struct tg_fo_cgroup){
		.path = p, .tenant = tenant, .flags = flags};
	return 0;
}

static int cg_cmp(const void *a, const void *b)
{
	return strcmp(((const struct tg_fo_cgroup *)a)->path,
		      ((const struct tg_fo_cgroup *)b)->path);
}

int tg_fo_cgroups_finish(struct tg_fo_cgroups *g)
{
	size_t i;

	if (g->n)
		qsort(g->v, g->n, sizeof(*g->v), cg_cmp);
	for (i = 1; i < g->n; i++)
		if (!strcmp(g->v[i].path, g->v[i - 1].path))
			return -EEXIST;
	return 0;
}

const struct tg_fo_cgroup *tg_fo_cgroups_find(const struct tg_fo_cgroups *g,
					      const char *path)
{
	struct tg_fo_cgroup key, *hit, *pending = NULL;
	char p[PATH_MAX];
	char *slash;

	if (snprintf(p, sizeof(p), "%s", path) >= (int)sizeof(p))
		return NULL;
	key.path = p;
	/*
	 * The cgroup itself, then each ancestor: the innermost tenant wins;
	 * the pending actor only where no tenant is found.
	 */
	for (;;) {
		size_t l = strlen(p);

		while (l > 1 && p[l - 1] == '/')
			p[--l] = '\0';
		hit = g->n ? bsearch(&key, g->v, g->n, sizeof(*g->v), cg_cmp)
			   : NULL;
		if (hit && !(hit->flags & TG_TENANT_F_PENDING))
			return hit;
		if (hit)
			pending = hit;
		slash = strrchr(p, '/');
		if (!slash || slash == p)
			return pending;
		*slash = '\0';
	}
}
