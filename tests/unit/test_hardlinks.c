// SPDX-License-Identifier: GPL-2.0
/* Unit tests: objects hard-linked below owned roots become owned objects. */
#define _GNU_SOURCE
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "agentd/bpf_loader.h"
#include "agentd/hardlinks.h"

static char top[64];

static void mk(const char *rel, int dir)
{
	char p[256];
	FILE *f;

	snprintf(p, sizeof(p), "%s/%s", top, rel);
	if (dir) {
		assert_int_equal(mkdir(p, 0755), 0);
		return;
	}
	f = fopen(p, "w");
	assert_non_null(f);
	fclose(f);
}

static void ln(const char *from, const char *to)
{
	char a[256], b[256];

	snprintf(a, sizeof(a), "%s/%s", top, from);
	snprintf(b, sizeof(b), "%s/%s", top, to);
	assert_int_equal(link(a, b), 0);
}

static struct tg_inode_key key_of(const char *rel)
{
	struct tg_inode_key k;
	struct stat st;
	char p[256];

	snprintf(p, sizeof(p), "%s/%s", top, rel);
	assert_int_equal(stat(p, &st), 0);
	memset(&k, 0, sizeof(k));
	k.ino = st.st_ino;
	k.dev = tg_inode_key_of(&st).dev;
	return k;
}

/* Owner of rel in c->roots, 0 if none. */
static __u32 owner_of(const struct tg_compiled *c, const char *rel)
{
	struct tg_inode_key k = key_of(rel);
	size_t i, row = c->roots.ksz + c->roots.vsz;
	struct tg_owner o;

	for (i = 0; i < c->roots.n; i++)
		if (!memcmp(c->roots.rows + i * row, &k, sizeof(k))) {
			memcpy(&o, c->roots.rows + i * row + c->roots.ksz,
			       sizeof(o));
			return o.tenant;
		}
	return 0;
}

/* Flags of rel's row in c->roots, -1 if none. */
static int flags_of(const struct tg_compiled *c, const char *rel)
{
	struct tg_inode_key k = key_of(rel);
	size_t i, row = c->roots.ksz + c->roots.vsz;
	struct tg_owner o;

	for (i = 0; i < c->roots.n; i++)
		if (!memcmp(c->roots.rows + i * row, &k, sizeof(k))) {
			memcpy(&o, c->roots.rows + i * row + c->roots.ksz,
			       sizeof(o));
			return (int)o.flags;
		}
	return -1;
}

static char pa[128], pb[128];
static char *paths_a[1] = {pa}, *paths_b[1] = {pb};
static struct tg_tenant_entry ents[2];
static struct tg_registry reg;

/* c->roots: acme (1) owns top/a, globex (2) top/b if with_b. */
static void compiled(struct tg_compiled *c, int with_b)
{
	struct tg_inode_key k;
	struct tg_owner o = {0};

	tg_compiled_init(c);
	k = key_of("a");
	o.tenant = 1;
	assert_int_equal(tg_kv_add(&c->roots, &k, &o), 0);
	if (with_b) {
		k = key_of("b");
		o.tenant = 2;
		assert_int_equal(tg_kv_add(&c->roots, &k, &o), 0);
	}
	assert_int_equal(tg_kv_finish(&c->roots), 0);
}

static int setup(void **state)
{
	snprintf(top, sizeof(top), "/tmp/tg-links.XXXXXX");
	assert_non_null(mkdtemp(top));
	mk("a", 1);
	mk("b", 1);
	mk("a/sub", 1);
	mk("a/out", 0);
	ln("a/out", "outside"); /* a link outside every root */
	mk("a/both", 0);
	ln("a/both", "b/both"); /* below both roots */
	mk("a/sub/in", 0);
	ln("a/sub/in", "a/in2"); /* twice inside acme's tree */
	mk("a/single", 0);
	memset(ents, 0, sizeof(ents));
	snprintf(pa, sizeof(pa), "%s/a", top);
	snprintf(pb, sizeof(pb), "%s/b", top);
	ents[0].id = 1;
	ents[0].defined = 1;
	ents[0].n_paths = 1;
	ents[0].paths[0] = paths_a[0];
	ents[1].id = 2;
	ents[1].defined = 1;
	ents[1].n_paths = 1;
	ents[1].paths[0] = paths_b[0];
	memset(&reg, 0, sizeof(reg));
	reg.v = ents;
	reg.n = 2;
	return 0;
}

static int teardown(void **state)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", top);
	return system(cmd) == 0 ? 0 : -1;
}

static void test_objects_with_links(void **state)
{
	struct tg_links l;
	struct tg_compiled c;

	tg_links_init(&l);
	compiled(&c, 1);
	assert_int_equal(tg_links_apply(&l, &reg, &c), 0);
	/* A name outside every root: the object is acme's by every name. */
	assert_int_equal(owner_of(&c, "outside"), 1);
	assert_int_equal(owner_of(&c, "a/out"), 1);
	assert_int_equal(flags_of(&c, "outside"), TG_OWNER_F_LINK);
	assert_int_equal(l.st.outside, 1);
	assert_non_null(strstr(l.st.example_outside, "/out"));
	/* Every name in acme's tree: each name's ancestry says acme. */
	assert_int_equal(owner_of(&c, "a/in2"), 0);
	assert_int_equal(owner_of(&c, "b/both"), TG_OWNER_SHARED);
	assert_int_equal(flags_of(&c, "b/both"), TG_OWNER_F_LINK);
	assert_int_equal(l.st.shared, 1);
	assert_non_null(strstr(l.st.example, "/both"));
	assert_int_equal(owner_of(&c, "a/single"),
			 0);			    /* one link: its parent's */
	assert_int_equal(owner_of(&c, "a/sub"), 0); /* directories never */
	assert_int_equal(owner_of(&c, "a"), 1);	    /* roots keep theirs */
	assert_int_equal(flags_of(&c, "a"), 0);
	assert_int_equal(c.roots.n, 2 + 2); /* both, out */
	tg_compiled_free(&c);
	tg_links_free(&l);
}

/*
 * A host file two tenants linked into their trees before the agent started
 * (libc, say): below several tenants' roots, it is refused to both (and
 * reported); the kernel refuses such links once the agent runs.
 */
static void test_host_file_linked_in(void **state)
{
	struct tg_links l;
	struct tg_compiled c;

	mk("libc", 0);
	ln("libc", "a/libc");
	ln("libc", "b/libc");
	tg_links_init(&l);
	compiled(&c, 1);
	assert_int_equal(tg_links_apply(&l, &reg, &c), 0);
	assert_int_equal(owner_of(&c, "libc"), TG_OWNER_SHARED);
	assert_int_equal(l.st.outside, 1); /* out */
	assert_int_equal(l.st.shared, 2);  /* both, libc */
	tg_compiled_free(&c);
	tg_links_free(&l);
}

/* Roots are scanned once; a root dropped from the policy takes its objects
 * along. */
static void test_scan_once_and_dropped_root(void **state)
{
	struct tg_links l;
	struct tg_compiled c;
	unsigned long visited;

	tg_links_init(&l);
	compiled(&c, 1);
	assert_false(tg_links_pending(&l, &reg) == 0);
	assert_int_equal(tg_links_apply(&l, &reg, &c), 0);
	assert_int_equal(tg_links_pending(&l, &reg), 0);
	tg_compiled_free(&c);
	visited = l.visited;
	assert_true(visited >= 6);
	compiled(&c, 0);
	assert_int_equal(tg_links_apply(&l, &reg, &c), 0);
	assert_int_equal(l.visited, visited);
	/* globex's root is gone: b/both is a name outside, like "outside". */
	assert_int_equal(owner_of(&c, "b/both"), 1);
	assert_int_equal(l.st.shared, 0);
	assert_int_equal(l.st.outside, 2);
	assert_string_equal(l.st.example, "");
	tg_compiled_free(&c);
	tg_links_free(&l);
}

/*
 * More shared objects than a tenant may have recorded: the first ones are,
 * the others are counted as dropped (and named), never an error.
 */
static void test_limit_per_tenant(void **state)
{
	char a[32], b[32];
	struct tg_links l;
	struct tg_compiled c;
	int i;

	for (i = 0; i < 4; i++) {
		snprintf(a, sizeof(a), "a/s%d", i);
		snprintf(b, sizeof(b), "b/s%d", i);
		mk(a, 0);
		ln(a, b);
	}
	tg_links_init(&l);
	l.max_per_tenant = 2;
	compiled(&c, 1);
	assert_int_equal(tg_links_apply(&l, &reg, &c), 0);
	/*
	 * out (acme's, named outside), both and s0..s3: 6, 2 recorded, shared
	 * ones first, whatever the inode numbers.
	 */
	assert_int_equal(l.st.shared, 2);
	assert_int_equal(l.st.outside, 0);
	assert_int_equal(l.st.dropped, 4);
	assert_true(l.st.dropped_tenant == 1 || l.st.dropped_tenant == 2);
	assert_int_equal(flags_of(&c, "outside"), -1);
	assert_int_equal(c.roots.n, 2 + 2);
	tg_compiled_free(&c);
	tg_links_free(&l);
}

/*
 * A root below another tenant's root: its names count once, under the
 * nearest root, as the kernel's walk finds them.
 */
static void test_nested_root(void **state)
{
	struct tg_links l;
	struct tg_compiled c;
	struct tg_inode_key k;
	struct tg_owner o = {.tenant = 2};

	tg_links_init(&l);
	compiled(&c, 0);
	k = key_of("a/sub");
	assert_int_equal(tg_kv_add(&c.roots, &k, &o), 0);
	assert_int_equal(tg_kv_finish(&c.roots), 0);
	snprintf(pb, sizeof(pb), "%s/a/sub", top);
	assert_int_equal(tg_links_apply(&l, &reg, &c), 0);
	/* a/in2 is acme's, a/sub/in globex's: one object, two tenants. */
	assert_int_equal(owner_of(&c, "a/in2"), TG_OWNER_SHARED);
	tg_compiled_free(&c);
	tg_links_free(&l);
}

/* One scan: a row per name of an object with several links. */
static void test_scan_one_root(void **state)
{
	struct tg_inode_key k = {.ino = 1};
	struct tg_links l;

	tg_links_init(&l);
	assert_int_equal(tg_links_scan(&l, "/nonexistent/tg", &k, NULL),
			 -ENOENT);
	assert_int_equal(tg_links_scan(&l, pa, &k, NULL), 0);
	assert_int_equal(l.found.n, 4); /* out, both, sub/in and in2 */
	tg_links_free(&l);
}

/* What walk_cb saw: entries by name, and what it answers for some. */
struct walk_seen {
	char names[512];  /* "name " for each entry */
	const char *skip; /* a directory not to enter */
	const char *stop; /* the entry that ends the walk */
};

static int walk_cb(void *ctx, int dir_fd, const char *name,
		   const struct stat *st)
{
	struct walk_seen *w = ctx;
	size_t n = strlen(w->names);

	snprintf(w->names + n, sizeof(w->names) - n, "%s ", name);
	if (w->stop && !strcmp(name, w->stop))
		return TG_LINKS_WALK_STOP;
	if (w->skip && !strcmp(name, w->skip))
		return TG_LINKS_WALK_SKIP;
	return 0;
}

static void walk(const char *rel, unsigned int depth, struct walk_seen *w,
		 int want)
{
	char p[256];

	snprintf(p, sizeof(p), "%s/%s", top, rel);
	w->names[0] = '\0';
	assert_int_equal(tg_links_walk(p, depth, walk_cb, w), want);
}

/* The one walk: every entry once, symlinks not followed, and its limits. */
static void test_walk(void **state)
{
	struct walk_seen w = {};
	char p[256], q[256];

	snprintf(p, sizeof(p), "%s/a/sub", top);
	snprintf(q, sizeof(q), "%s/a/sublink", top);
	assert_int_equal(symlink(p, q), 0);
	walk("a", 16, &w, 0);
	/* sub, out, both, in2, single, sublink, and in below sub. */
	assert_non_null(strstr(w.names, "sub "));
	assert_non_null(strstr(w.names, "in "));
	assert_non_null(strstr(w.names, "sublink "));
	assert_int_equal(strlen(w.names),
			 strlen("sub out both in2 single sublink in "));
	walk("a", 0, &w, 0); /* the root's entries only */
	assert_null(strstr(w.names, "in "));
	w.skip = "sub";
	walk("a", 16, &w, 0);
	assert_null(strstr(w.names, "in "));
	w.skip = NULL;
	w.stop = "sub";
	walk("a", 16, &w, 0);
	assert_null(strstr(w.names, "in "));
	w.stop = NULL;
	walk("a/out", 16, &w, 0); /* a file: nothing below */
	assert_string_equal(w.names, "");
	walk("nonexistent", 16, &w, -ENOENT);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_objects_with_links, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_scan_once_and_dropped_root,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_scan_one_root, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_host_file_linked_in, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_limit_per_tenant, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_nested_root, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_walk, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
