// SPDX-License-Identifier: GPL-2.0
/* Unit tests: tenant names and the zero-config scan (cgroup ids mocked). */
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

#include "policy/policy.h"
#include "policy/registry.h"
#include "tenantguard/event_abi.h"
#include "tenantguard/map_abi.h"

#include "tenants_root.h"

static void test_names(void **state)
{
	assert_true(tg_tenant_name_valid("acme"));
	assert_true(tg_tenant_name_valid("tenant-1.prod_eu"));
	assert_false(tg_tenant_name_valid(""));
	assert_false(tg_tenant_name_valid("host"));
	assert_false(tg_tenant_name_valid(".hidden"));
	assert_false(tg_tenant_name_valid("a/b"));
	assert_false(tg_tenant_name_valid("bad name"));
	assert_false(tg_tenant_name_valid("\xc3\xa9t\xc3\xa9"));
	assert_false(tg_tenant_name_valid(
		"0123456789012345678901234567890123456789012345678901234567890123"));
}

static void test_scan(void **state)
{
	struct tg_registry r;
	struct tg_tenant_entry *acme, *globex;
	char p[128];
	char nb[32];

	tg_registry_init(&r);
	assert_int_equal(tg_registry_scan(&r, root, "/srv/tenants"), 0);
	assert_int_equal(r.n, 2); /* "bad name" and files are no tenants */
	/* "bad name" is listed as pending, files are not. */
	assert_int_equal(r.pending.n, 1);
	snprintf(p, sizeof(p), "%s/bad name", root);
	assert_string_equal(r.pending.v[0].cgroup, p);
	assert_int_equal(r.pending.v[0].reason, TG_UNREG_NAME);
	acme = tg_registry_find(&r, "acme");
	globex = tg_registry_find(&r, "globex");
	assert_non_null(acme);
	assert_non_null(globex);
	assert_int_not_equal(acme->id, globex->id);
	assert_true(acme->present);
	assert_int_equal(acme->n_paths, 1);
	assert_string_equal(acme->paths[0], "/srv/tenants/acme");
	assert_true(acme->cgroup_id != 0);
	assert_string_equal(tg_registry_name(&r, acme->id, nb, sizeof(nb)),
			    "acme");
	assert_string_equal(tg_registry_name(&r, 0, nb, sizeof(nb)), "host");
	assert_string_equal(tg_registry_name(&r, 999, nb, sizeof(nb)),
			    "tenant-999");
	assert_string_equal(
		tg_registry_name(&r, TG_TENANT_PENDING, nb, sizeof(nb)),
		"(pending)");

	/* A tenant that goes away keeps its id but is no longer present. */
	__u32 acme_id = acme->id;

	snprintf(p, sizeof(p), "%s/acme", root);
	assert_int_equal(rmdir(p), 0);
	snprintf(p, sizeof(p), "%s/initech", root);
	assert_int_equal(mkdir(p, 0755), 0);
	assert_int_equal(tg_registry_scan(&r, root, "/srv/tenants"), 0);
	acme = tg_registry_find(&r, "acme");
	assert_non_null(acme);
	assert_false(acme->present);
	assert_int_equal(acme->cgroup_id, 0);
	assert_true(tg_registry_find(&r, "initech")->present);
	assert_int_not_equal(tg_registry_find(&r, "initech")->id, acme_id);

	/* It comes back with the same id. */
	snprintf(p, sizeof(p), "%s/acme", root);
	assert_int_equal(mkdir(p, 0755), 0);
	assert_int_equal(tg_registry_scan(&r, root, "/srv/tenants"), 0);
	assert_int_equal(tg_registry_find(&r, "acme")->id, acme_id);
	assert_true(tg_registry_find(&r, "acme")->present);
	tg_registry_free(&r);
}

/*
 * Ids restored from a previous agent, in its order, stay with their names
 * when the cgroups are found in another order; a new one gets the next id.
 */
static void test_restored_ids(void **state)
{
	struct tg_registry r;

	tg_registry_init(&r);
	assert_non_null(tg_registry_restore(&r, 1, "globex"));
	assert_non_null(tg_registry_restore(&r, 2, "gone"));
	/* out of order, or a name known: refused */
	errno = 0;
	assert_null(tg_registry_restore(&r, 4, "x"));
	assert_int_equal(errno, EINVAL);
	assert_null(tg_registry_restore(&r, 3, "globex"));
	assert_int_equal(errno, EINVAL);
	assert_false(tg_registry_find(&r, "gone")->present);
	assert_false(tg_registry_find(&r, "gone")->defined);
	assert_int_equal(tg_registry_scan(&r, root, "/srv/tenants"), 0);
	assert_int_equal(tg_registry_find(&r, "globex")->id, 1);
	assert_true(tg_registry_find(&r, "globex")->present);
	assert_int_equal(tg_registry_find(&r, "acme")->id, 3);
	assert_false(tg_registry_find(&r, "gone")->present);
	tg_registry_free(&r);
}

/* With every id used, a new cgroup stays pending, listed; the scan goes on. */
static void test_ids_exhausted(void **state)
{
	struct tg_registry r;
	size_t i, ids = 0;

	tg_registry_init(&r);
	r.next_id = TG_TENANT_PENDING - 1; /* one id left */
	assert_int_equal(tg_registry_scan(&r, root, NULL), 0);
	assert_int_equal(r.n, 1);
	assert_int_equal(r.v[0].id, TG_TENANT_PENDING - 1);
	assert_int_equal(r.pending.n, 2);
	for (i = 0; i < r.pending.n; i++)
		ids += r.pending.v[i].reason == TG_UNREG_IDS;
	assert_int_equal(ids, 1);
	/* Listed again at the next scan, not lost. */
	assert_int_equal(tg_registry_scan(&r, root, NULL), 0);
	assert_int_equal(r.pending.n, 2);
	tg_registry_free(&r);
}

/* Make root/rel a directory (dir) or an empty file. */
static void mk(const char *rel, int dir)
{
	char p[256];
	FILE *f;

	snprintf(p, sizeof(p), "%s/%s", root, rel);
	if (dir) {
		assert_int_equal(mkdir(p, 0755), 0);
		return;
	}
	f = fopen(p, "w");
	assert_non_null(f);
	fclose(f);
}

/* How many directories r->unowned lists for reason. */
static size_t unowned(const struct tg_registry *r, int reason)
{
	size_t i, n = 0;

	for (i = 0; i < r->unowned.n; i++)
		n += r->unowned.v[i].reason == reason;
	return n;
}

/*
 * With the tenant ids used up (built-in policy), the directories below the
 * paths root left without a tenant are listed, and why: a name without an
 * id, an invalid name. Tenants' own directories, files and symlinks are
 * not. A reload that shrinks the tree shrinks the list; one that grows it
 * (a new directory, still no id) grows it.
 */
static void test_unowned_paths(void **state)
{
	struct tg_registry r;
	struct tg_policy p;
	char srv[128];
	size_t i;

	mk("t", 1);
	mk("t/acme", 1);
	mk("srv", 1);
	mk("srv/acme", 1);
	mk("srv/globex", 1);
	mk("srv/zed", 1);
	mk("srv/bad name", 1);
	mk("srv/note", 0);
	snprintf(srv, sizeof(srv), "%s/srv/acme", root);
	assert_int_equal(chdir(root), 0);
	assert_int_equal(symlink(srv, "srv/link"), 0);
	snprintf(srv, sizeof(srv), "%s/srv", root);
	tg_policy_init(&p);
	snprintf(p.tenants_cgroup, sizeof(p.tenants_cgroup), "/t");
	tg_registry_init(&r);
	r.next_id = TG_TENANT_PENDING - 2; /* two ids left */
	assert_int_equal(tg_registry_apply(&r, &p, root, srv), 0);
	assert_string_equal(r.paths_root, srv);
	/* acme (a cgroup: first), then globex or zed. */
	assert_int_equal(r.n, 2);
	assert_true(tg_registry_find(&r, "acme")->present);
	assert_int_equal(r.unowned.n, 2);
	assert_int_equal(unowned(&r, TG_UNREG_IDS), 1);
	assert_int_equal(unowned(&r, TG_UNREG_NAME), 1);
	for (i = 0; i < r.unowned.n; i++) {
		assert_string_not_equal(r.unowned.v[i].cgroup + strlen(srv),
					"/acme");
		assert_string_not_equal(r.unowned.v[i].cgroup + strlen(srv),
					"/note");
		assert_string_not_equal(r.unowned.v[i].cgroup + strlen(srv),
					"/link");
	}
	/* Shrinks: the invalid name goes. */
	assert_int_equal(rmdir("srv/bad name"), 0);
	assert_int_equal(tg_registry_apply(&r, &p, root, srv), 0);
	assert_int_equal(r.unowned.n, 1);
	assert_int_equal(unowned(&r, TG_UNREG_IDS), 1);
	/* Grows: a new directory, no id for it either. */
	mk("srv/late", 1);
	assert_int_equal(tg_registry_apply(&r, &p, root, srv), 0);
	assert_int_equal(r.unowned.n, 2);
	assert_int_equal(unowned(&r, TG_UNREG_IDS), 2);
	assert_int_equal(r.n, 2);
	/* A policy file: no paths root, nothing listed. */
	assert_int_equal(tg_registry_apply(&r, &p, root, NULL), 0);
	assert_string_equal(r.paths_root, "");
	assert_int_equal(r.unowned.n, 0);
	tg_registry_free(&r);
	tg_policy_free(&p);
	assert_int_equal(chdir("/"), 0);
}

static void test_scan_missing_dir(void **state)
{
	struct tg_registry r;

	tg_registry_init(&r);
	assert_int_equal(tg_registry_scan(&r, "/nonexistent/tenants", NULL),
			 -ENOENT);
	tg_registry_free(&r);
}

/*
 * A zero-config tenant whose cgroup goes away keeps its paths (built-in
 * policy): its files stay out of other tenants' reach until it returns.
 */
static void test_zeroconf_paths_kept(void **state)
{
	struct tg_tenant_entry *acme;
	struct tg_registry r;
	struct tg_policy p;
	char t[128];

	snprintf(t, sizeof(t), "%s/t", root);
	assert_int_equal(mkdir(t, 0755), 0);
	snprintf(t, sizeof(t), "%s/t/acme", root);
	assert_int_equal(mkdir(t, 0755), 0);
	tg_policy_init(&p);
	snprintf(p.tenants_cgroup, sizeof(p.tenants_cgroup), "/t");
	tg_registry_init(&r);
	assert_int_equal(tg_registry_apply(&r, &p, root, "/srv/tenants"), 0);
	acme = tg_registry_find(&r, "acme");
	assert_non_null(acme);
	assert_true(acme->present);
	assert_int_equal(acme->n_paths, 1);
	assert_int_equal(rmdir(t), 0);
	assert_int_equal(tg_registry_apply(&r, &p, root, "/srv/tenants"), 0);
	acme = tg_registry_find(&r, "acme");
	assert_false(acme->present);
	assert_int_equal(acme->n_paths, 1);
	assert_string_equal(acme->paths[0], "/srv/tenants/acme");
	assert_true(tg_tenant_in_force(acme));
	/* A fresh registry (an agent started while acme is away). */
	tg_registry_free(&r);
	tg_registry_init(&r);
	snprintf(t, sizeof(t), "%s/srv", root);
	assert_int_equal(mkdir(t, 0755), 0);
	snprintf(t, sizeof(t), "%s/srv/acme", root);
	assert_int_equal(mkdir(t, 0755), 0);
	snprintf(t, sizeof(t), "%s/srv", root);
	assert_int_equal(tg_registry_apply(&r, &p, root, t), 0);
	acme = tg_registry_find(&r, "acme");
	assert_non_null(acme);
	assert_false(acme->present);
	assert_int_equal(acme->n_paths, 1);
	assert_true(tg_tenant_in_force(acme));
	/* A policy file: no paths by default, so nothing kept. */
	assert_int_equal(tg_registry_apply(&r, &p, root, NULL), 0);
	acme = tg_registry_find(&r, "acme");
	assert_int_equal(acme->n_paths, 0);
	assert_false(tg_tenant_in_force(acme));
	tg_registry_free(&r);
	tg_policy_free(&p);
}

/*
 * Whose a cgroup's processes are, by path: a tenant at or below its cgroup
 * (a policy tenant's before its cgroup exists too), the pending actor
 * elsewhere at or below the tenants cgroup, else the host.
 */
static void test_actor(void **state)
{
	struct tg_registry r;
	struct tg_policy p;
	struct tg_diag d = {};
	char doc[256], path[160], sib[160];
	__u32 acme;
	int n;

	n = snprintf(doc, sizeof(doc),
		     "version: 1\ntenants_cgroup: %s\ntenants:\n"
		     "  initech: {cgroup: /elsewhere/initech}\n",
		     root + strlen("/tmp"));
	tg_policy_init(&p);
	assert_int_equal(tg_policy_parse(&p, "p.yaml", doc, (size_t)n, 1, &d),
			 0);
	assert_int_equal(tg_policy_finish(&p, &d), 0);
	tg_registry_init(&r);
	assert_int_equal(tg_registry_apply(&r, &p, "/tmp", NULL), 0);
	acme = tg_registry_find(&r, "acme")->id;
	snprintf(path, sizeof(path), "%s/acme", root);
	assert_int_equal(tg_registry_actor(&r, path), acme);
	snprintf(path, sizeof(path), "%s/acme/job/1", root);
	assert_int_equal(tg_registry_actor(&r, path), acme);
	/* No tenant: pending, at the tenants cgroup or below it. */
	snprintf(path, sizeof(path), "%s/bad name/x", root);
	assert_int_equal(tg_registry_actor(&r, path), TG_TENANT_PENDING);
	assert_int_equal(tg_registry_actor(&r, root), TG_TENANT_PENDING);
	snprintf(path, sizeof(path), "%s/acmeco", root);
	assert_int_equal(tg_registry_actor(&r, path), TG_TENANT_PENDING);
	/* A sibling sharing the name's start is the host's. */
	snprintf(sib, sizeof(sib), "%s-x/acme", root);
	assert_int_equal(tg_registry_actor(&r, sib), TG_TENANT_HOST);
	assert_int_equal(tg_registry_actor(&r, "/tmp"), TG_TENANT_HOST);
	assert_int_equal(tg_registry_actor(&r, "/tmp/elsewhere/initech/a"),
			 tg_registry_find(&r, "initech")->id);
	assert_int_equal(tg_registry_actor(&r, "/tmp/elsewhere"),
			 TG_TENANT_HOST);
	/* A zero-config tenant whose cgroup went away: pending if it returns.
	 */
	snprintf(path, sizeof(path), "%s/acme", root);
	assert_int_equal(rmdir(path), 0);
	assert_int_equal(tg_registry_apply(&r, &p, "/tmp", NULL), 0);
	assert_int_equal(tg_registry_actor(&r, path), TG_TENANT_PENDING);
	tg_registry_free(&r);
	tg_policy_free(&p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_names),
		cmocka_unit_test_setup_teardown(test_scan, setup, teardown),
		cmocka_unit_test_setup_teardown(test_restored_ids, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_ids_exhausted, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_unowned_paths, setup,
						teardown),
		cmocka_unit_test(test_scan_missing_dir),
		cmocka_unit_test_setup_teardown(test_zeroconf_paths_kept, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_actor, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
