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

#include "common/cgroupfs.h"
#include "agentd/policy_maps.h"
#include "policy/policy.h"
#include "policy/registry.h"
#include "tenantguard/map_abi.h"

/* Cgroup ids are the length of the path: distinct enough for the tests. */
int __wrap_tg_cgroup_id(const char *path, __u64 *id)
{
	struct stat st;

	if (stat(path, &st) < 0)
		return -errno;
	*id = 1000 + strlen(path) * 7 + (unsigned char)path[strlen(path) - 1];
	return 0;
}

static char root[64];

static int setup(void **state)
{
	char p[128];

	snprintf(root, sizeof(root), "/tmp/tg-tenants.XXXXXX");
	assert_non_null(mkdtemp(root));
	snprintf(p, sizeof(p), "%s/acme", root);
	assert_int_equal(mkdir(p, 0755), 0);
	snprintf(p, sizeof(p), "%s/globex", root);
	assert_int_equal(mkdir(p, 0755), 0);
	snprintf(p, sizeof(p), "%s/bad name", root);
	assert_int_equal(mkdir(p, 0755), 0);
	snprintf(p, sizeof(p), "%s/cgroup.procs", root);
	fclose(fopen(p, "w"));
	return 0;
}

static int teardown(void **state)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root);
	return system(cmd);
}

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
	assert_int_equal(r.n, 2);	/* "bad name" and files are no tenants */
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
	assert_string_equal(tg_registry_name(&r, acme->id, nb, sizeof(nb)), "acme");
	assert_string_equal(tg_registry_name(&r, 0, nb, sizeof(nb)), "host");
	assert_string_equal(tg_registry_name(&r, 999, nb, sizeof(nb)), "tenant-999");
	assert_string_equal(tg_registry_name(&r, TG_TENANT_PENDING, nb, sizeof(nb)),
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

/* With every id used, a new cgroup stays pending, listed; the scan goes on. */
static void test_ids_exhausted(void **state)
{
	struct tg_registry r;
	size_t i, ids = 0;

	tg_registry_init(&r);
	r.next_id = TG_TENANT_PENDING - 1;	/* one id left */
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

/*
 * With a policy: its tenants' own cgroups below the tenants cgroup are
 * theirs; a directory holding policy tenants' cgroups, or named like a
 * policy tenant whose cgroup is elsewhere, is no zero-config tenant.
 */
static void test_apply_policy_dirs(void **state)
{
	char p[256], file[256], dropins[256], tc[64];
	struct tg_compiled c;
	struct tg_registry r;
	struct tg_diag d = {};
	struct tg_policy pol;
	const char *names[] = { "bad name", "globex", "initech" };
	const int reasons[] = { TG_UNREG_NAME, TG_UNREG_HOLDS, TG_UNREG_POLICY_NAME };
	size_t i;
	FILE *f;

	snprintf(tc, sizeof(tc), "%s", root + strlen("/tmp"));
	snprintf(p, sizeof(p), "%s/initech", root);
	assert_int_equal(mkdir(p, 0755), 0);
	snprintf(file, sizeof(file), "%s/policy.yaml", root);
	snprintf(dropins, sizeof(dropins), "%s/policy.d", root);
	f = fopen(file, "w");
	assert_non_null(f);
	fprintf(f, "version: 1\nmode: audit\ntenants_cgroup: %s\ntenants:\n"
		"  acme: {}\n  inner: {cgroup: %s/globex/inner}\n"
		"  initech: {cgroup: /elsewhere/initech}\n", tc, tc);
	fclose(f);
	tg_policy_init(&pol);
	assert_int_equal(tg_policy_load(&pol, file, dropins, &d), 0);
	tg_registry_init(&r);
	assert_int_equal(tg_registry_apply(&r, &pol, "/tmp", NULL), 0);
	assert_true(tg_registry_find(&r, "acme")->present);
	assert_true(tg_registry_find(&r, "acme")->defined);
	assert_null(tg_registry_find(&r, "globex"));
	assert_int_equal(r.pending.n, 3);
	for (i = 0; i < 3; i++) {
		snprintf(p, sizeof(p), "%s/%s", root, names[i]);
		assert_string_equal(r.pending.v[i].cgroup, p);
		assert_int_equal(r.pending.v[i].reason, reasons[i]);
	}
	/* The tenants cgroup: the pending actor's row, in the policy's mode. */
	assert_string_equal(r.pending.cgroup, root);
	assert_true(r.pending.cgroup_id != 0);
	assert_int_equal(r.pending.flags, TG_TENANT_F_PENDING | TG_TENANT_F_AUDIT);
	tg_compiled_init(&c);
	assert_int_equal(tg_compile(&r, &c), 0);
	for (i = 0; i < c.cgroups.n; i++) {
		const unsigned char *row = c.cgroups.rows + i * (c.cgroups.ksz + c.cgroups.vsz);
		struct tg_tenant t;
		__u64 id;

		memcpy(&id, row, sizeof(id));
		memcpy(&t, row + sizeof(id), sizeof(t));
		if (id == r.pending.cgroup_id)
			break;
	}
	assert_true(i < c.cgroups.n);
	tg_compiled_free(&c);
	tg_registry_free(&r);
	tg_policy_free(&pol);
}

/*
 * A zero-config tenant whose owned path leads (symlink) to another's
 * directory is taken out, whatever the order of their ids.
 */
static void test_conflicts(void **state)
{
	char srv[128], p[256], q[256];
	struct tg_compiled c;
	struct tg_registry r;
	const struct tg_tenant_entry *acme, *evil;

	snprintf(srv, sizeof(srv), "%s/srv", root);
	assert_int_equal(mkdir(srv, 0755), 0);
	snprintf(p, sizeof(p), "%s/acme", srv);
	assert_int_equal(mkdir(p, 0755), 0);
	snprintf(q, sizeof(q), "%s/evil", srv);
	assert_int_equal(symlink(p, q), 0);
	snprintf(p, sizeof(p), "%s/acme", root);
	assert_int_equal(rmdir(p), 0);
	snprintf(p, sizeof(p), "%s/evil", root);
	assert_int_equal(mkdir(p, 0755), 0);
	tg_registry_init(&r);
	assert_int_equal(tg_registry_scan(&r, root, srv), 0);	/* evil: a low id */
	snprintf(p, sizeof(p), "%s/acme", root);
	assert_int_equal(mkdir(p, 0755), 0);
	assert_int_equal(tg_registry_scan(&r, root, srv), 0);
	acme = tg_registry_find(&r, "acme");
	evil = tg_registry_find(&r, "evil");
	assert_true(evil->id < acme->id);
	tg_compiled_init(&c);
	assert_int_equal(tg_compile(&r, &c), -EEXIST);
	tg_compiled_free(&c);
	assert_int_equal(tg_registry_resolve_conflicts(&r), 1);
	assert_false(evil->present);
	assert_int_equal(evil->n_paths, 0);
	assert_true(acme->present);
	assert_int_equal(acme->n_paths, 1);
	snprintf(p, sizeof(p), "%s/evil", root);
	assert_int_equal(r.pending.n, 2);	/* and "bad name" */
	assert_string_equal(r.pending.v[1].cgroup, p);
	assert_int_equal(r.pending.v[1].reason, TG_UNREG_CONFLICT);
	tg_compiled_init(&c);
	assert_int_equal(tg_compile(&r, &c), 0);
	tg_compiled_free(&c);
	assert_int_equal(tg_registry_resolve_conflicts(&r), 0);
	tg_registry_free(&r);
}

static void test_scan_missing_dir(void **state)
{
	struct tg_registry r;

	tg_registry_init(&r);
	assert_int_equal(tg_registry_scan(&r, "/nonexistent/tenants", NULL), -ENOENT);
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

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_names),
		cmocka_unit_test_setup_teardown(test_scan, setup, teardown),
		cmocka_unit_test_setup_teardown(test_ids_exhausted, setup, teardown),
		cmocka_unit_test_setup_teardown(test_apply_policy_dirs, setup, teardown),
		cmocka_unit_test_setup_teardown(test_conflicts, setup, teardown),
		cmocka_unit_test(test_scan_missing_dir),
		cmocka_unit_test_setup_teardown(test_zeroconf_paths_kept, setup,
						teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
