// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests: ownership resolution of the fanotify backend
 * (agentd/fanotify_owner.c) on a real directory tree, without fanotify: owned
 * sets, the inode cache, the walk up by device + inode, and the opener's tenant
 * by cgroup path.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "agentd/fanotify_owner.h"
#include "tenantguard/event_abi.h"
#include "tenantguard/map_abi.h"

static char root[64];
static int root_fd = -1;
static struct tg_fo_obj scratch[TG_FO_MAX_DEPTH];

/* Create the file at root/rel (with its directories), return its stat. */
static struct stat make_file(const char *rel)
{
	char p[PATH_MAX], cmd[PATH_MAX + 64];
	struct stat st;
	FILE *f;

	snprintf(p, sizeof(p), "%s/%s", root, rel);
	snprintf(cmd, sizeof(cmd), "mkdir -p \"$(dirname '%s')\"", p);
	assert_int_equal(system(cmd), 0);
	f = fopen(p, "w");
	assert_non_null(f);
	fputs("x\n", f);
	fclose(f);
	assert_int_equal(stat(p, &st), 0);
	return st;
}

static struct stat stat_rel(const char *rel)
{
	char p[PATH_MAX];
	struct stat st;

	snprintf(p, sizeof(p), "%s/%s", root, rel);
	assert_int_equal(stat(p, &st), 0);
	return st;
}

static int setup(void **state)
{
	snprintf(root, sizeof(root), "/tmp/tg-fanotify.XXXXXX");
	assert_non_null(mkdtemp(root));
	root_fd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	assert_true(root_fd >= 0);
	make_file("acme/d1/d2/d3/f");
	make_file("acme/data");
	make_file("globex/data");
	make_file("shared/file");
	return 0;
}

static int teardown(void **state)
{
	char cmd[128];

	close(root_fd);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root);
	return system(cmd);
}

/* acme and globex own their directories. */
static void own_roots(struct tg_fo_owned *o)
{
	struct stat a = stat_rel("acme"), g = stat_rel("globex");

	tg_fo_owned_init(o);
	assert_int_equal(tg_fo_owned_add(o, a.st_dev, a.st_ino, 1, TG_FO_ROOT),
			 0);
	assert_int_equal(tg_fo_owned_add(o, g.st_dev, g.st_ino, 2, TG_FO_ROOT),
			 0);
	assert_int_equal(tg_fo_owned_finish(o), 0);
}

/* The owner of root/rel as the backend finds it (O_PATH, like a handle). */
static int owner_of(const char *rel, struct tg_fo_owned *o,
		    struct tg_fo_cache *c, __u32 *owner, unsigned int *steps)
{
	struct tg_fo_walk w = {
		.owned = o,
		.cache = c,
		.root_fd = root_fd,
		.root_path = root,
		.now_ms = 1000,
		.scratch = scratch,
	};
	struct stat st;
	int fd, err;

	fd = openat(root_fd, rel, O_PATH | O_CLOEXEC);
	assert_true(fd >= 0);
	assert_int_equal(fstat(fd, &st), 0);
	err = tg_fo_owner(&w, fd, &st, owner);
	close(fd);
	if (steps)
		*steps = w.steps;
	return err;
}

static void test_owned_set(void **state)
{
	struct tg_fo_owned o;

	tg_fo_owned_init(&o);
	tg_fo_owned_add(&o, 5, 10, 1, TG_FO_LINK);
	tg_fo_owned_add(&o, 5, 10, 1, TG_FO_ROOT); /* root wins over link */
	tg_fo_owned_add(&o, 5, 11, 1, TG_FO_LINK);
	tg_fo_owned_add(&o, 5, 11, 2, TG_FO_LINK); /* in two trees: shared */
	tg_fo_owned_add(&o, 4, 99, 3, TG_FO_ROOT);
	tg_fo_owned_add(&o, 4, 99, 3, TG_FO_ROOT); /* the same twice: one */
	assert_int_equal(tg_fo_owned_finish(&o), 0);
	assert_int_equal(o.n, 3);
	assert_int_equal(tg_fo_owned_find(&o, 5, 10)->flags, TG_FO_ROOT);
	assert_int_equal(tg_fo_owned_find(&o, 5, 11)->tenant, TG_OWNER_SHARED);
	assert_int_equal(tg_fo_owned_find(&o, 4, 99)->tenant, 3);
	assert_null(tg_fo_owned_find(&o, 4, 10));
	tg_fo_owned_add(&o, 4, 99, 1, TG_FO_ROOT); /* two tenants, one root */
	assert_int_equal(tg_fo_owned_finish(&o), -EEXIST);
	tg_fo_owned_free(&o);
}

static void test_cache(void **state)
{
	struct tg_fo_obj a = {1, 2, 100}, a2 = {1, 2, 101}, b = {1, 3, 100};
	struct tg_fo_cache c;
	__u32 t = 0;
	__u64 i;

	assert_int_equal(tg_fo_cache_init(&c, 64, 0), 0);
	assert_false(tg_fo_cache_get(&c, &a, 0, &t));
	tg_fo_cache_put(&c, &a, 7, 0);
	assert_true(tg_fo_cache_get(&c, &a, 0, &t));
	assert_int_equal(t, 7);
	/* Another ctime: renamed, or a new inode with the same number. */
	assert_false(tg_fo_cache_get(&c, &a2, 0, &t));
	assert_false(tg_fo_cache_get(&c, &b, 0, &t));
	tg_fo_cache_put(&c, &b, 0, 0);
	tg_fo_cache_del(&c, 1, 2);
	assert_false(tg_fo_cache_get(&c, &a, 0, &t));
	assert_true(tg_fo_cache_get(&c, &b, 0, &t)); /* past the removed one */
	assert_int_equal(t, 0);
	tg_fo_cache_clear(&c);
	assert_false(tg_fo_cache_get(&c, &b, 0, &t));
	/* Filling it past three quarters starts a new generation. */
	for (i = 0; i < 1000; i++) {
		struct tg_fo_obj x = {9, i, 0};

		tg_fo_cache_put(&c, &x, 1, 0);
		assert_true(tg_fo_cache_get(&c, &x, 0, &t));
	}
	assert_true(c.used <= c.cap / 4 * 3);
	tg_fo_cache_free(&c);
	/* With a lifetime, old answers are not used. */
	assert_int_equal(tg_fo_cache_init(&c, 16, 1000), 0);
	tg_fo_cache_put(&c, &a, 7, 5000);
	assert_true(tg_fo_cache_get(&c, &a, 6000, &t));
	assert_false(tg_fo_cache_get(&c, &a, 6001, &t));
	tg_fo_cache_free(&c);
}

/* Forgetting one owner's answers keeps every other owner's. */
static void test_cache_owner(void **state)
{
	struct tg_fo_obj acme = {1, 2, 100}, globex = {1, 3, 100},
			 host = {1, 4, 100}, odd = {1, 5, 100};
	struct tg_fo_cache c;
	__u32 t = 0;

	assert_int_equal(tg_fo_cache_init(&c, 64, 0), 0);
	tg_fo_cache_put(&c, &acme, 1, 0);
	tg_fo_cache_put(&c, &globex, 2, 0);
	tg_fo_cache_put(&c, &host, TG_TENANT_HOST, 0);
	tg_fo_cache_put(&c, &odd, TG_OWNER_UNKNOWN - 1, 0);
	tg_fo_cache_clear_owner(&c, 1);
	assert_false(tg_fo_cache_get(&c, &acme, 0, &t));
	assert_true(tg_fo_cache_get(&c, &globex, 0, &t));
	assert_int_equal(t, 2);
	assert_true(tg_fo_cache_get(&c, &host, 0, &t));
	assert_int_equal(t, TG_TENANT_HOST);
	/* Found again, it is kept again. */
	tg_fo_cache_put(&c, &acme, 2, 0);
	assert_true(tg_fo_cache_get(&c, &acme, 0, &t));
	assert_int_equal(t, 2);
	tg_fo_cache_clear_owner(&c, TG_TENANT_HOST);
	assert_false(tg_fo_cache_get(&c, &host, 0, &t));
	assert_true(tg_fo_cache_get(&c, &globex, 0, &t));
	/* Ids out of range share a generation, never one of a tenant. */
	assert_true(tg_fo_cache_get(&c, &odd, 0, &t));
	tg_fo_cache_clear_owner(&c, TG_OWNER_UNKNOWN);
	assert_false(tg_fo_cache_get(&c, &odd, 0, &t));
	assert_true(tg_fo_cache_get(&c, &globex, 0, &t));
	/* A generation that wraps forgets everything, old answers included. */
	c.owner_gen[2] = 0xffffffffU;
	tg_fo_cache_put(&c, &globex, 2, 0);
	tg_fo_cache_put(&c, &host, TG_TENANT_HOST, 0);
	tg_fo_cache_clear_owner(&c, 2);
	assert_false(tg_fo_cache_get(&c, &globex, 0, &t));
	assert_false(tg_fo_cache_get(&c, &host, 0, &t));
	tg_fo_cache_free(&c);
}

static void test_parent_rel(void **state)
{
	char out[64];
	const char *base;

	assert_int_equal(
		tg_fo_parent_rel("/a/b/f", "/", 0, out, sizeof(out), &base), 0);
	assert_string_equal(out, "a/b");
	assert_string_equal(base, "f");
	assert_int_equal(
		tg_fo_parent_rel("/f", "/", 0, out, sizeof(out), &base), 0);
	assert_string_equal(out, ".");
	assert_int_equal(
		tg_fo_parent_rel("/r/x/f", "/r/", 0, out, sizeof(out), &base),
		0);
	assert_string_equal(out, "x");
	assert_int_equal(
		tg_fo_parent_rel("/rx/f", "/r", 0, out, sizeof(out), NULL),
		-EXDEV);
	assert_int_equal(tg_fo_parent_rel("/a/f (deleted)", "/", 1, out,
					  sizeof(out), &base),
			 0);
	assert_string_equal(out, "a");
	/* A file really named so, not deleted, keeps its name. */
	assert_int_equal(tg_fo_parent_rel("/a/f (deleted)", "/", 0, out,
					  sizeof(out), &base),
			 0);
	assert_string_equal(base, "f (deleted)");
	assert_int_equal(tg_fo_parent_rel("/aaaaaaaa/f", "/", 0, out, 4, NULL),
			 -ENAMETOOLONG);
}

static void test_walk(void **state)
{
	struct tg_fo_owned o;
	struct tg_fo_cache c;
	unsigned int steps;
	__u32 t = 99;

	own_roots(&o);
	assert_int_equal(tg_fo_cache_init(&c, 1024, 0), 0);
	assert_int_equal(owner_of("acme/d1/d2/d3/f", &o, &c, &t, &steps), 0);
	assert_int_equal(t, 1);
	assert_int_equal(steps, 3); /* d3 -> d2 -> d1 -> acme */
	/* The same file again, and its sibling directory: the cache answers. */
	t = 99;
	assert_int_equal(owner_of("acme/d1/d2/d3/f", &o, &c, &t, &steps), 0);
	assert_int_equal(t, 1);
	assert_int_equal(steps, 0);
	assert_int_equal(owner_of("acme/d1/d2", &o, &c, &t, &steps), 0);
	assert_int_equal(t, 1);
	assert_int_equal(steps, 0);
	assert_int_equal(owner_of("acme", &o, &c, &t, NULL), 0);
	assert_int_equal(t, 1);
	assert_int_equal(owner_of("globex/data", &o, &c, &t, NULL), 0);
	assert_int_equal(t, 2);
	t = 99;
	assert_int_equal(owner_of("shared/file", &o, &c, &t, NULL), 0);
	assert_int_equal(t, 0);
	assert_int_equal(owner_of("shared", &o, NULL, &t, NULL), 0);
	assert_int_equal(t, 0);
	assert_int_equal(owner_of(".", &o, NULL, &t, NULL), 0);
	assert_int_equal(t, 0);
	tg_fo_cache_free(&c);
	tg_fo_owned_free(&o);
}

/* The owned root above root/rel and the path below it, as events name it. */
static int root_of(const char *rel, struct tg_fo_owned *o, __u64 *root_ino,
		   char *below, size_t len)
{
	struct tg_fo_walk w = {
		.owned = o,
		.root_fd = root_fd,
		.root_path = root,
		.scratch = scratch,
	};
	const struct tg_fo_ent *e = NULL;
	struct stat st;
	int fd, err;

	fd = openat(root_fd, rel, O_PATH | O_CLOEXEC);
	assert_true(fd >= 0);
	assert_int_equal(fstat(fd, &st), 0);
	err = tg_fo_root_of(&w, fd, &st, &e, below, len);
	close(fd);
	if (!err)
		*root_ino = e->ino;
	return err;
}

static void test_root_of(void **state)
{
	struct stat a = stat_rel("acme"), g = stat_rel("globex");
	struct tg_fo_owned o;
	char below[PATH_MAX];
	__u64 ino = 0;

	own_roots(&o);
	assert_int_equal(
		root_of("acme/d1/d2/d3/f", &o, &ino, below, sizeof(below)), 0);
	assert_int_equal(ino, a.st_ino);
	assert_string_equal(below, "d1/d2/d3/f");
	assert_int_equal(root_of("acme/d1/d2", &o, &ino, below, sizeof(below)),
			 0);
	assert_string_equal(below, "d1/d2");
	assert_int_equal(root_of("acme/data", &o, &ino, below, sizeof(below)),
			 0);
	assert_string_equal(below, "data");
	assert_int_equal(root_of("acme", &o, &ino, below, sizeof(below)), 0);
	assert_int_equal(ino, a.st_ino);
	assert_string_equal(below, "");
	assert_int_equal(root_of("globex/data", &o, &ino, below, sizeof(below)),
			 0);
	assert_int_equal(ino, g.st_ino);
	assert_string_equal(below, "data");
	/* Too small a buffer for the names: said so. */
	assert_int_equal(root_of("acme/d1/d2/d3/f", &o, &ino, below, 5),
			 -ENAMETOOLONG);
	/* No owned root above it. */
	assert_int_equal(root_of("shared/file", &o, &ino, below, sizeof(below)),
			 -ENOENT);
	assert_int_equal(root_of(".", &o, &ino, below, sizeof(below)), -ENOENT);
	tg_fo_owned_free(&o);
}

/* Symlinks, relative routes: the object decides, not the string. */
static void test_routes(void **state)
{
	char p[PATH_MAX], q[PATH_MAX];
	struct tg_fo_owned o;
	__u32 t = 0;

	own_roots(&o);
	snprintf(p, sizeof(p), "%s/shared/link", root);
	assert_int_equal(symlink("../acme/data", p), 0);
	assert_int_equal(owner_of("shared/link", &o, NULL, &t, NULL), 0);
	assert_int_equal(t, 1);
	assert_int_equal(owner_of("shared/../acme/d1/./d2/../d2/d3/f", &o, NULL,
				  &t, NULL),
			 0);
	assert_int_equal(t, 1);
	snprintf(q, sizeof(q), "%s/shared/linkdir", root);
	snprintf(p, sizeof(p), "%s/acme/d1", root);
	assert_int_equal(symlink(p, q), 0);
	assert_int_equal(owner_of("shared/linkdir/d2/d3/f", &o, NULL, &t, NULL),
			 0);
	assert_int_equal(t, 1);
	tg_fo_owned_free(&o);
}

/* A hard link outside is found by its other name only if recorded. */
static void test_hardlink(void **state)
{
	struct stat st = make_file("acme/linked");
	char p[PATH_MAX], q[PATH_MAX];
	struct tg_fo_owned o;
	__u32 t = 99;

	snprintf(p, sizeof(p), "%s/acme/linked", root);
	snprintf(q, sizeof(q), "%s/shared/linked", root);
	assert_int_equal(link(p, q), 0);
	/* Which name the walk takes is not defined: recorded, it is owned. */
	own_roots(&o);
	tg_fo_owned_add(&o, st.st_dev, st.st_ino, 1, TG_FO_LINK);
	assert_int_equal(tg_fo_owned_finish(&o), 0);
	assert_int_equal(owner_of("shared/linked", &o, NULL, &t, NULL), 0);
	assert_int_equal(t, 1);
	tg_fo_owned_free(&o);
}

/* Renamed after it was opened: the answer is where it is now. */
static void test_moved_and_deleted(void **state)
{
	struct tg_fo_walk w = {
		.root_fd = root_fd, .root_path = root, .scratch = scratch};
	char p[PATH_MAX], q[PATH_MAX];
	struct tg_fo_owned o;
	struct stat st;
	__u32 t = 99;
	int fd;

	own_roots(&o);
	w.owned = &o;
	make_file("shared/moving");
	snprintf(p, sizeof(p), "%s/shared/moving", root);
	snprintf(q, sizeof(q), "%s/acme/moved", root);
	fd = open(p, O_PATH | O_CLOEXEC);
	assert_true(fd >= 0);
	assert_int_equal(rename(p, q), 0);
	assert_int_equal(fstat(fd, &st), 0);
	assert_int_equal(tg_fo_owner(&w, fd, &st, &t), 0);
	assert_int_equal(t, 1);
	/* Deleted while open (/proc/PID/fd/N): where it was. */
	assert_int_equal(unlink(q), 0);
	assert_int_equal(fstat(fd, &st), 0);
	assert_int_equal(st.st_nlink, 0);
	t = 99;
	assert_int_equal(tg_fo_owner(&w, fd, &st, &t), 0);
	assert_int_equal(t, 1);
	close(fd);
	/* A stat that no longer matches the name: moved meanwhile. */
	make_file("shared/a");
	make_file("shared/b");
	st = stat_rel("shared/b");
	fd = openat(root_fd, "shared/a", O_PATH | O_CLOEXEC);
	assert_int_equal(tg_fo_owner(&w, fd, &st, &t), -ESTALE);
	close(fd);
	tg_fo_owned_free(&o);
}

/* Deep trees: walked to the top; too deep fails, never guesses. */
static void test_deep(void **state)
{
	struct tg_fo_owned o;
	unsigned int steps;
	__u32 t = 0;
	int i, dfd, next;

	own_roots(&o);
	dfd = openat(root_fd, "acme", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	for (i = 0; i < TG_FO_MAX_DEPTH + 10; i++) {
		assert_int_equal(mkdirat(dfd, "d", 0755), 0);
		next = openat(dfd, "d", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		assert_true(next >= 0);
		close(dfd);
		dfd = next;
		if (i == 99) {
			struct tg_fo_walk w = {.owned = &o,
					       .root_fd = root_fd,
					       .root_path = root,
					       .scratch = scratch};
			struct stat st;

			assert_int_equal(fstat(dfd, &st), 0);
			assert_int_equal(tg_fo_owner(&w, dfd, &st, &t), 0);
			assert_int_equal(t, 1);
			steps = w.steps;
			assert_int_equal(steps, 100);
		}
	}
	{
		struct tg_fo_walk w = {.owned = &o,
				       .root_fd = root_fd,
				       .root_path = root,
				       .scratch = scratch};
		struct stat st;
		int f = openat(dfd, "f", O_CREAT | O_WRONLY | O_CLOEXEC, 0644);

		assert_true(f >= 0);
		assert_int_equal(fstat(dfd, &st), 0);
		assert_int_equal(tg_fo_owner(&w, dfd, &st, &t), -ELOOP);
		/* A file below PATH_MAX's reach: its parent cannot be named. */
		assert_int_equal(fstat(f, &st), 0);
		assert_int_equal(tg_fo_owner(&w, f, &st, &t), -ENAMETOOLONG);
		close(f);
	}
	close(dfd);
	tg_fo_owned_free(&o);
}

static void test_cgroups(void **state)
{
	struct tg_fo_cgroups g;

	tg_fo_cgroups_init(&g);
	assert_int_equal(tg_fo_cgroups_add(&g, "/t/acme", 1, 0), 0);
	assert_int_equal(tg_fo_cgroups_add(&g, "/t/globex/", 2, 1), 0);
	assert_int_equal(tg_fo_cgroups_add(&g, "/t/acme/inner", 3, 0), 0);
	assert_int_equal(tg_fo_cgroups_finish(&g), 0);
	assert_int_equal(tg_fo_cgroups_find(&g, "/t/acme")->tenant, 1);
	assert_int_equal(tg_fo_cgroups_find(&g, "/t/acme/job/1")->tenant, 1);
	assert_int_equal(tg_fo_cgroups_find(&g, "/t/acme/inner/x")->tenant, 3);
	assert_int_equal(tg_fo_cgroups_find(&g, "/t/globex")->flags, 1);
	assert_null(tg_fo_cgroups_find(&g, "/t/acme2")); /* not a prefix */
	assert_null(tg_fo_cgroups_find(&g, "/t"));
	assert_null(tg_fo_cgroups_find(&g, "/"));
	assert_null(tg_fo_cgroups_find(&g, "/user.slice/session-1.scope"));
	assert_int_equal(tg_fo_cgroups_add(&g, "/t/acme", 4, 0), 0);
	assert_int_equal(tg_fo_cgroups_finish(&g), -EEXIST);
	tg_fo_cgroups_free(&g);

	/* The tenants cgroup as the pending actor: any tenant wins over it. */
	tg_fo_cgroups_init(&g);
	assert_int_equal(tg_fo_cgroups_add(&g, "/t", TG_TENANT_PENDING,
					   TG_TENANT_F_PENDING),
			 0);
	assert_int_equal(tg_fo_cgroups_add(&g, "/t/acme", 1, 0), 0);
	assert_int_equal(tg_fo_cgroups_add(&g, "/outer", 5, 0), 0);
	assert_int_equal(tg_fo_cgroups_add(&g, "/outer/t2", TG_TENANT_PENDING,
					   TG_TENANT_F_PENDING),
			 0);
	assert_int_equal(tg_fo_cgroups_finish(&g), 0);
	assert_int_equal(tg_fo_cgroups_find(&g, "/t/acme/job")->tenant, 1);
	assert_int_equal(tg_fo_cgroups_find(&g, "/t/new")->tenant,
			 TG_TENANT_PENDING);
	assert_int_equal(tg_fo_cgroups_find(&g, "/t/bad name/x")->tenant,
			 TG_TENANT_PENDING);
	assert_int_equal(tg_fo_cgroups_find(&g, "/t")->tenant,
			 TG_TENANT_PENDING);
	assert_int_equal(tg_fo_cgroups_find(&g, "/outer/t2/x")->tenant, 5);
	assert_null(tg_fo_cgroups_find(&g, "/tt"));
	assert_null(tg_fo_cgroups_find(&g, "/"));
	tg_fo_cgroups_free(&g);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_owned_set),
		cmocka_unit_test(test_root_of),
		cmocka_unit_test(test_cache),
		cmocka_unit_test(test_cache_owner),
		cmocka_unit_test(test_parent_rel),
		cmocka_unit_test(test_walk),
		cmocka_unit_test(test_routes),
		cmocka_unit_test(test_hardlink),
		cmocka_unit_test(test_moved_and_deleted),
		cmocka_unit_test(test_deep),
		cmocka_unit_test(test_cgroups),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
