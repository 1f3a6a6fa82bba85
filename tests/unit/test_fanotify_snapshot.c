// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests: what the fanotify backend decides with (fanotify_snapshot.c),
 * built from a registry on a real directory tree: owned roots, tenant
 * cgroups, the hard links found below the roots.
 */
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

#include "agentd/fanotify_snapshot.h"
#include "tenantguard/map_abi.h"

static char top[64];
static char pa[128], pb[128], psub[128];
static struct tg_tenant_entry ents[2];
static struct tg_registry reg;

static void path_of(const char *rel, char *p, size_t len)
{
	snprintf(p, len, "%s/%s", top, rel);
}

static void mk(const char *rel, int dir)
{
	char p[256];
	FILE *f;

	path_of(rel, p, sizeof(p));
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

	path_of(from, a, sizeof(a));
	path_of(to, b, sizeof(b));
	assert_int_equal(link(a, b), 0);
}

/* The entry of rel in s, or NULL. */
static const struct tg_fo_ent *ent_of(const struct tg_fan_snap *s,
				      const char *rel)
{
	struct stat st;
	char p[256];

	path_of(rel, p, sizeof(p));
	assert_int_equal(lstat(p, &st), 0);
	return tg_fo_owned_find(&s->owned, st.st_dev, st.st_ino);
}

static int setup(void **state)
{
	snprintf(top, sizeof(top), "/tmp/tg-fansnap.XXXXXX");
	assert_non_null(mkdtemp(top));
	mk("a", 1);
	mk("b", 1);
	mk("a/sub", 1);
	mk("a/f", 0);
	ln("a/f", "out"); /* acme's, named outside too */
	mk("a/g", 0);
	ln("a/g", "b/g"); /* in both tenants' trees */
	mk("a/sub/h", 0);
	ln("a/sub/h", "h2"); /* below globex's nested root */
	mk("a/one", 0);
	path_of("a/sym", psub, sizeof(psub));
	assert_int_equal(symlink("f", psub), 0);
	memset(ents, 0, sizeof(ents));
	memset(&reg, 0, sizeof(reg));
	path_of("a", pa, sizeof(pa));
	path_of("b", pb, sizeof(pb));
	path_of("a/sub", psub, sizeof(psub));
	ents[0].id = 1;
	ents[0].present = 1;
	ents[0].cgroup_id = 5;
	snprintf(ents[0].cgroup, sizeof(ents[0].cgroup), "/cg/tenants/acme");
	ents[0].n_paths = 1;
	ents[0].paths[0] = pa;
	ents[1].id = 2;
	ents[1].defined = 1; /* no cgroup yet */
	snprintf(ents[1].cgroup, sizeof(ents[1].cgroup), "/cg/tenants/globex");
	ents[1].n_paths = 1;
	ents[1].paths[0] = pb;
	reg.v = ents;
	reg.n = 2;
	snprintf(reg.pending.cgroup, sizeof(reg.pending.cgroup), "/cg/tenants");
	reg.pending.cgroup_id = 3;
	reg.pending.flags = TG_TENANT_F_PENDING;
	return 0;
}

static int teardown(void **state)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", top);
	return system(cmd) == 0 ? 0 : -1;
}

static void test_roots_and_cgroups(void **state)
{
	struct tg_fan_snap *s = calloc(1, sizeof(*s));
	const struct tg_fo_cgroup *cg;

	assert_non_null(s);
	assert_int_equal(tg_fan_snap_build(s, &reg, "/cg", NULL), 0);
	assert_int_equal(ent_of(s, "a")->tenant, 1);
	assert_int_equal(ent_of(s, "a")->flags, TG_FO_ROOT);
	assert_int_equal(ent_of(s, "b")->tenant, 2);
	assert_null(ent_of(s, "out")); /* no scan yet */
	cg = tg_fo_cgroups_find(&s->cgroups, "/tenants/acme/job");
	assert_non_null(cg);
	assert_int_equal(cg->tenant, 1);
	/* No cgroup of globex's yet: below the tenants cgroup, pending. */
	cg = tg_fo_cgroups_find(&s->cgroups, "/tenants/globex");
	assert_non_null(cg);
	assert_int_equal(cg->tenant, TG_TENANT_PENDING);
	assert_int_equal(cg->flags, TG_TENANT_F_PENDING);
	assert_null(tg_fo_cgroups_find(&s->cgroups, "/system.slice"));
	tg_fan_snap_free(s);
}

static void test_scan_links(void **state)
{
	struct tg_fan_snap *s = calloc(1, sizeof(*s));

	assert_non_null(s);
	/* globex owns a/sub too: a root nested in acme's. */
	ents[1].n_paths = 2;
	ents[1].paths[1] = psub;
	assert_int_equal(tg_fan_snap_build(s, &reg, "/cg", NULL), 0);
	assert_int_equal(tg_fan_snap_scan_links(s, &reg, 0, NULL), 0);
	assert_true(s->links_complete);
	/* Ownership follows the object, by every name. */
	assert_int_equal(ent_of(s, "out")->tenant, 1);
	assert_int_equal(ent_of(s, "out")->flags, TG_FO_LINK);
	/* Found below the nearest root only: globex's. */
	assert_int_equal(ent_of(s, "h2")->tenant, 2);
	/* In two tenants' trees: refused to every tenant. */
	assert_int_equal(ent_of(s, "b/g")->tenant, TG_OWNER_SHARED);
	assert_null(ent_of(s, "a/one")); /* one link */
	assert_null(ent_of(s, "a/sym")); /* symlinks never */
	assert_int_equal(ent_of(s, "a/sub")->flags, TG_FO_ROOT);
	tg_fan_snap_free(s);
	/* Beyond the bound of entries looked at: not complete. */
	s = calloc(1, sizeof(*s));
	assert_non_null(s);
	assert_int_equal(tg_fan_snap_build(s, &reg, "/cg", NULL), 0);
	assert_int_equal(tg_fan_snap_scan_links(s, &reg, 1, NULL), 0);
	assert_false(s->links_complete);
	ents[1].n_paths = 1;
	tg_fan_snap_free(s);
}

/* A snapshot made with the links of the one in force; roots compared. */
static void test_old_links_and_same_roots(void **state)
{
	struct tg_fan_snap *old = calloc(1, sizeof(*old));
	struct tg_fan_snap *s = calloc(1, sizeof(*s));
	struct tg_fan_snap *t = calloc(1, sizeof(*t));

	assert_true(old && s && t);
	assert_int_equal(tg_fan_snap_build(old, &reg, "/cg", NULL), 0);
	assert_int_equal(tg_fan_snap_scan_links(old, &reg, 0, NULL), 0);
	assert_int_equal(tg_fan_snap_build(s, &reg, "/cg", old), 0);
	assert_int_equal(ent_of(s, "out")->tenant, 1);
	assert_true(tg_fan_snap_same_roots(s, old));
	reg.n = 1; /* globex gone */
	assert_int_equal(tg_fan_snap_build(t, &reg, "/cg", old), 0);
	reg.n = 2;
	assert_false(tg_fan_snap_same_roots(t, old));
	assert_false(tg_fan_snap_same_roots(old, t));
	tg_fan_snap_free(t);
	tg_fan_snap_free(s);
	tg_fan_snap_free(old);
}

/*
 * An object below two tenants' roots that the last scan recorded as one of
 * them's alone stays theirs; recorded as a third's, it is shared.
 */
static void test_scan_keeps_owner(void **state)
{
	struct tg_fan_snap *old = calloc(1, sizeof(*old));
	struct tg_fan_snap *s = calloc(1, sizeof(*s));
	struct tg_fan_snap *t = calloc(1, sizeof(*t));
	struct stat st;
	char p[256];

	assert_true(old && s && t);
	path_of("b/g", p, sizeof(p));
	assert_int_equal(lstat(p, &st), 0);
	assert_int_equal(tg_fo_owned_add(&old->owned, st.st_dev, st.st_ino, 2,
					 TG_FO_LINK),
			 0);
	assert_int_equal(tg_fo_owned_finish(&old->owned), 0);
	assert_int_equal(tg_fan_snap_build(s, &reg, "/cg", NULL), 0);
	assert_int_equal(tg_fan_snap_scan_links(s, &reg, 0, old), 0);
	assert_int_equal(ent_of(s, "b/g")->tenant, 2);
	assert_int_equal(ent_of(s, "out")->tenant, 1);
	old->owned.v[0].tenant = 7;
	assert_int_equal(tg_fan_snap_build(t, &reg, "/cg", NULL), 0);
	assert_int_equal(tg_fan_snap_scan_links(t, &reg, 0, old), 0);
	assert_int_equal(ent_of(t, "b/g")->tenant, TG_OWNER_SHARED);
	tg_fan_snap_free(t);
	tg_fan_snap_free(s);
	tg_fan_snap_free(old);
}

/*
 * Built-in policy: the paths root is refused to every tenant below the
 * tenants' own roots (TG_OWNER_UNREGISTERED), a tenant's root there stays
 * its own, and a tenant owning the paths root itself keeps it.
 */
static void test_paths_root(void **state)
{
	struct tg_fan_snap *s = calloc(1, sizeof(*s));

	assert_non_null(s);
	snprintf(reg.paths_root, sizeof(reg.paths_root), "%s", top);
	assert_int_equal(tg_fan_snap_build(s, &reg, "/cg", NULL), 0);
	assert_int_equal(ent_of(s, ".")->tenant, TG_OWNER_UNREGISTERED);
	assert_int_equal(ent_of(s, ".")->flags, TG_FO_ROOT);
	assert_int_equal(ent_of(s, "a")->tenant, 1);
	assert_int_equal(ent_of(s, "b")->tenant, 2);
	tg_fan_snap_free(s);
	s = calloc(1, sizeof(*s));
	assert_non_null(s);
	ents[1].paths[0] = top;
	assert_int_equal(tg_fan_snap_build(s, &reg, "/cg", NULL), 0);
	assert_int_equal(ent_of(s, ".")->tenant, 2);
	ents[1].paths[0] = pb;
	reg.paths_root[0] = '\0';
	tg_fan_snap_free(s);
}

/* Two tenants owning one root: refused. */
static void test_one_root_two_tenants(void **state)
{
	struct tg_fan_snap *s = calloc(1, sizeof(*s));

	assert_non_null(s);
	ents[1].paths[0] = pa;
	assert_int_equal(tg_fan_snap_build(s, &reg, "/cg", NULL), -EEXIST);
	ents[1].paths[0] = pb;
	tg_fan_snap_free(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_roots_and_cgroups, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_scan_links, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_old_links_and_same_roots,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_scan_keeps_owner, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_one_root_two_tenants,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_paths_root, setup,
						teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
