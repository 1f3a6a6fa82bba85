// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests: what the registry's tenants compile to in the policy maps (the
 * pending actor's row, owned paths two tenants claim); cgroup ids mocked.
 */
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

#include "agentd/policy_maps.h"
#include "policy/policy.h"
#include "policy/registry.h"
#include "tenantguard/map_abi.h"

#include "tenants_root.h"

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
	const char *names[] = {"bad name", "globex", "initech"};
	const int reasons[] = {TG_UNREG_NAME, TG_UNREG_HOLDS,
			       TG_UNREG_POLICY_NAME};
	size_t i;
	FILE *f;

	snprintf(tc, sizeof(tc), "%s", root + strlen("/tmp"));
	snprintf(p, sizeof(p), "%s/initech", root);
	assert_int_equal(mkdir(p, 0755), 0);
	snprintf(file, sizeof(file), "%s/policy.yaml", root);
	snprintf(dropins, sizeof(dropins), "%s/policy.d", root);
	f = fopen(file, "w");
	assert_non_null(f);
	fprintf(f,
		"version: 1\nmode: audit\ntenants_cgroup: %s\ntenants:\n"
		"  acme: {}\n  inner: {cgroup: %s/globex/inner}\n"
		"  initech: {cgroup: /elsewhere/initech}\n",
		tc, tc);
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
	assert_int_equal(r.pending.flags,
			 TG_TENANT_F_PENDING | TG_TENANT_F_AUDIT);
	tg_compiled_init(&c);
	assert_int_equal(tg_compile(&r, &c), 0);
	for (i = 0; i < c.cgroups.n; i++) {
		const unsigned char *row =
			c.cgroups.rows + i * (c.cgroups.ksz + c.cgroups.vsz);
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
	assert_int_equal(tg_registry_scan(&r, root, srv),
			 0); /* evil: a low id */
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
	assert_int_equal(r.pending.n, 2); /* and "bad name" */
	assert_string_equal(r.pending.v[1].cgroup, p);
	assert_int_equal(r.pending.v[1].reason, TG_UNREG_CONFLICT);
	tg_compiled_init(&c);
	assert_int_equal(tg_compile(&r, &c), 0);
	tg_compiled_free(&c);
	assert_int_equal(tg_registry_resolve_conflicts(&r), 0);
	tg_registry_free(&r);
}

/* The row of owned_roots for the inode of path, or NULL. */
static const struct tg_owner *root_row(const struct tg_compiled *c,
				       const char *path)
{
	size_t row = c->roots.ksz + c->roots.vsz, i;
	struct tg_inode_key key;
	struct stat st;

	assert_int_equal(stat(path, &st), 0);
	key = tg_inode_key_of(&st);
	for (i = 0; i < c->roots.n; i++)
		if (!memcmp(c->roots.rows + i * row, &key, sizeof(key)))
			return (const void *)(c->roots.rows + i * row +
					      c->roots.ksz);
	return NULL;
}

/*
 * Built-in policy: the paths root is TG_OWNER_UNREGISTERED's, so that what
 * lies below it and is no tenant's (no id left) is refused to every
 * tenant; a tenant's directory below it stays the tenant's, and a tenant
 * owning the paths root itself (a bind mount) keeps it.
 */
static void test_paths_root_row(void **state)
{
	char srv[128], p[256], tc[64];
	const struct tg_owner *o;
	struct tg_compiled c;
	struct tg_registry r;
	struct tg_policy pol;

	snprintf(tc, sizeof(tc), "%s", root + strlen("/tmp"));
	/* Not below the tenants cgroup (root): no cgroup of a tenant. */
	snprintf(srv, sizeof(srv), "/tmp/tg-srv.XXXXXX");
	assert_non_null(mkdtemp(srv));
	snprintf(p, sizeof(p), "%s/acme", srv);
	assert_int_equal(mkdir(p, 0755), 0);
	snprintf(p, sizeof(p), "%s/late", srv);
	assert_int_equal(mkdir(p, 0755), 0);
	tg_policy_init(&pol);
	snprintf(pol.tenants_cgroup, sizeof(pol.tenants_cgroup), "%s", tc);
	tg_registry_init(&r);
	r.next_id = TG_TENANT_PENDING - 2; /* acme and globex only */
	assert_int_equal(tg_registry_apply(&r, &pol, "/tmp", srv), 0);
	assert_null(tg_registry_find(&r, "late"));
	tg_compiled_init(&c);
	assert_int_equal(tg_compile(&r, &c), 0);
	o = root_row(&c, srv);
	assert_non_null(o);
	assert_int_equal(o->tenant, TG_OWNER_UNREGISTERED);
	snprintf(p, sizeof(p), "%s/acme", srv);
	o = root_row(&c, p);
	assert_non_null(o);
	assert_int_equal(o->tenant, tg_registry_find(&r, "acme")->id);
	snprintf(p, sizeof(p), "%s/late", srv);
	assert_null(root_row(&c, p)); /* below the root: refused by it */
	tg_compiled_free(&c);
	/* acme owning the paths root itself: its row, no conflict. */
	tg_registry_find(&r, "acme")->paths[0][strlen(srv)] = '\0';
	tg_compiled_init(&c);
	assert_int_equal(tg_compile(&r, &c), 0);
	o = root_row(&c, srv);
	assert_non_null(o);
	assert_int_equal(o->tenant, tg_registry_find(&r, "acme")->id);
	tg_compiled_free(&c);
	/* A policy file: no such row. */
	assert_int_equal(tg_registry_apply(&r, &pol, "/tmp", NULL), 0);
	tg_compiled_init(&c);
	assert_int_equal(tg_compile(&r, &c), 0);
	assert_null(root_row(&c, srv));
	tg_compiled_free(&c);
	tg_registry_free(&r);
	tg_policy_free(&pol);
	snprintf(p, sizeof(p), "rm -rf '%s'", srv);
	assert_int_equal(system(p), 0);
}

/* The row of tenant_cgroups for cgroup id id, or NULL. */
static const struct tg_tenant *cgroup_row(const struct tg_compiled *c, __u64 id)
{
	size_t row = c->cgroups.ksz + c->cgroups.vsz, i;

	for (i = 0; i < c->cgroups.n; i++)
		if (!memcmp(c->cgroups.rows + i * row, &id, sizeof(id)))
			return (const void *)(c->cgroups.rows + i * row +
					      c->cgroups.ksz);
	return NULL;
}

/*
 * A policy tenant that gets no id (all used): the rest of the policy
 * applies; its cgroup (elsewhere than the tenants cgroup) is the pending
 * actor's, its paths are refused to every tenant, both listed. A later
 * policy without it forgets it.
 */
static void test_policy_tenant_without_id(void **state)
{
	char srv[128], p[256], file[256], dropins[256], tc[64];
	const struct tg_tenant *t;
	const struct tg_owner *o;
	struct tg_compiled c;
	struct tg_registry r;
	struct tg_diag d = {};
	struct tg_policy pol;
	FILE *f;

	snprintf(tc, sizeof(tc), "%s", root + strlen("/tmp"));
	snprintf(srv, sizeof(srv), "/tmp/tg-srv.XXXXXX");
	assert_non_null(mkdtemp(srv));
	snprintf(p, sizeof(p), "%s/acme", srv);
	assert_int_equal(mkdir(p, 0755), 0);
	snprintf(p, sizeof(p), "%s/initech", srv);
	assert_int_equal(mkdir(p, 0755), 0);
	snprintf(p, sizeof(p), "%s/initech", root);
	assert_int_equal(mkdir(p, 0755), 0); /* its cgroup */
	snprintf(file, sizeof(file), "%s/policy.yaml", root);
	snprintf(dropins, sizeof(dropins), "%s/policy.d", root);
	f = fopen(file, "w");
	assert_non_null(f);
	fprintf(f,
		"version: 1\ntenants_cgroup: %s/none\ntenants:\n"
		"  acme: {cgroup: %s/acme, paths: [%s/acme]}\n"
		"  initech: {cgroup: %s/initech, paths: [%s/initech]}\n",
		tc, tc, srv, tc, srv);
	fclose(f);
	tg_policy_init(&pol);
	assert_int_equal(tg_policy_load(&pol, file, dropins, &d), 0);
	tg_registry_init(&r);
	r.next_id = TG_TENANT_PENDING - 1; /* one id: acme's */
	assert_int_equal(tg_registry_apply(&r, &pol, "/tmp", NULL), 0);
	assert_non_null(tg_registry_find(&r, "acme"));
	assert_null(tg_registry_find(&r, "initech"));
	assert_int_equal(r.n_idless, 1);
	snprintf(p, sizeof(p), "%s/initech", root);
	assert_int_equal(r.pending.n, 1);
	assert_string_equal(r.pending.v[0].cgroup, p);
	assert_int_equal(r.pending.v[0].reason, TG_UNREG_IDS);
	snprintf(p, sizeof(p), "%s/initech/job", root);
	assert_int_equal(tg_registry_actor(&r, p), TG_TENANT_PENDING);
	snprintf(p, sizeof(p), "%s/initech", srv);
	assert_int_equal(r.unowned.n, 1);
	assert_string_equal(r.unowned.v[0].cgroup, p);
	assert_int_equal(r.unowned.v[0].reason, TG_UNREG_IDS);
	tg_compiled_init(&c);
	assert_int_equal(tg_compile(&r, &c), 0);
	o = root_row(&c, p);
	assert_non_null(o);
	assert_int_equal(o->tenant, TG_OWNER_UNREGISTERED);
	snprintf(p, sizeof(p), "%s/acme", srv);
	o = root_row(&c, p);
	assert_non_null(o);
	assert_int_equal(o->tenant, tg_registry_find(&r, "acme")->id);
	t = cgroup_row(&c, r.idless[0].cgroup_id);
	assert_non_null(t);
	assert_int_equal(t->id, TG_TENANT_PENDING);
	assert_true(t->flags & TG_TENANT_F_PENDING);
	tg_compiled_free(&c);
	/* A policy without it: forgotten. */
	tg_policy_free(&pol);
	tg_policy_init(&pol);
	snprintf(pol.tenants_cgroup, sizeof(pol.tenants_cgroup), "%s/none", tc);
	assert_int_equal(tg_registry_apply(&r, &pol, "/tmp", NULL), 0);
	assert_int_equal(r.n_idless, 0);
	assert_int_equal(r.unowned.n, 0);
	assert_int_equal(r.pending.n, 0);
	tg_registry_free(&r);
	tg_policy_free(&pol);
	snprintf(p, sizeof(p), "rm -rf '%s'", srv);
	assert_int_equal(system(p), 0);
}

/* The owner in c->roots of key (st's device, ino, scope); 0 if no row. */
static __u32 row_owner(const struct tg_compiled *c, const struct stat *st,
		       __u64 ino, __u32 scope)
{
	struct tg_inode_key key = tg_inode_key_of(st);
	size_t i, row = c->roots.ksz + c->roots.vsz;
	struct tg_owner o;

	key.ino = ino;
	key.scope = scope;
	for (i = 0; i < c->roots.n; i++)
		if (!memcmp(c->roots.rows + i * row, &key, sizeof(key))) {
			memcpy(&o, c->roots.rows + i * row + sizeof(key),
			       sizeof(o));
			return o.tenant;
		}
	return 0;
}

/*
 * What a watch would see beyond its object: each directory that holds
 * owned roots, and each filesystem, carries the one tenant whose roots it
 * holds, or TG_OWNER_SHARED for several; a root named through a symlink
 * counts in its real directory.
 */
static void test_watch_scopes(void **state)
{
	static const char *const dirs[] = {"srv",    "srv/a1",	"srv/g1",
					   "only",   "only/a2", "real",
					   "real/a3"};
	char file[256], dropins[256], tc[64], p[256], q[256], base[96];
	struct stat srv, only, real, linked;
	const struct tg_tenant_entry *acme, *globex;
	struct tg_compiled c;
	struct tg_registry r;
	struct tg_diag d = {};
	struct tg_policy pol;
	size_t i;
	FILE *f;

	(void)state;
	/* Beside the tenants cgroup: no directory here is a tenant's cgroup. */
	snprintf(base, sizeof(base), "%s.paths", root);
	assert_int_equal(mkdir(base, 0755), 0);
	snprintf(tc, sizeof(tc), "%s", root + strlen("/tmp"));
	for (i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++) {
		snprintf(p, sizeof(p), "%s/%s", base, dirs[i]);
		assert_int_equal(mkdir(p, 0755), 0);
	}
	snprintf(p, sizeof(p), "%s/real/a3", base);
	snprintf(q, sizeof(q), "%s/srv/a3", base);
	assert_int_equal(symlink(p, q), 0);
	snprintf(file, sizeof(file), "%s/policy.yaml", root);
	snprintf(dropins, sizeof(dropins), "%s/policy.d", root);
	f = fopen(file, "w");
	assert_non_null(f);
	fprintf(f,
		"version: 1\ntenants_cgroup: %s\ntenants:\n"
		"  acme: {paths: [%s/srv/a1, %s/only/a2, %s/srv/a3]}\n"
		"  globex: {paths: [%s/srv/g1]}\n",
		tc, base, base, base, base);
	fclose(f);
	tg_policy_init(&pol);
	assert_int_equal(tg_policy_load(&pol, file, dropins, &d), 0);
	tg_registry_init(&r);
	assert_int_equal(tg_registry_apply(&r, &pol, "/tmp", NULL), 0);
	acme = tg_registry_find(&r, "acme");
	globex = tg_registry_find(&r, "globex");
	assert_non_null(acme);
	assert_non_null(globex);
	tg_compiled_init(&c);
	assert_int_equal(tg_compile(&r, &c), 0);
	snprintf(p, sizeof(p), "%s/srv", base);
	assert_int_equal(stat(p, &srv), 0);
	snprintf(p, sizeof(p), "%s/only", base);
	assert_int_equal(stat(p, &only), 0);
	snprintf(p, sizeof(p), "%s/real", base);
	assert_int_equal(stat(p, &real), 0);
	snprintf(p, sizeof(p), "%s/real/a3", base);
	assert_int_equal(stat(p, &linked), 0);
	assert_int_equal(row_owner(&c, &srv, srv.st_ino, TG_SCOPE_PARENT),
			 TG_OWNER_SHARED);
	assert_int_equal(row_owner(&c, &only, only.st_ino, TG_SCOPE_PARENT),
			 acme->id);
	assert_int_equal(row_owner(&c, &real, real.st_ino, TG_SCOPE_PARENT),
			 acme->id);
	assert_int_equal(row_owner(&c, &linked, linked.st_ino, TG_SCOPE_OBJECT),
			 acme->id);
	/* Every root here is on one filesystem: both tenants'. */
	assert_int_equal(row_owner(&c, &srv, 0, TG_SCOPE_FILESYSTEM),
			 TG_OWNER_SHARED);
	/* No row of another scope is taken for an object's. */
	assert_int_equal(row_owner(&c, &srv, srv.st_ino, TG_SCOPE_OBJECT), 0);
	tg_compiled_free(&c);
	tg_registry_free(&r);
	tg_policy_free(&pol);
	snprintf(p, sizeof(p), "rm -rf '%s'", base);
	assert_int_equal(system(p), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_apply_policy_dirs, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_conflicts, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_paths_root_row, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_policy_tenant_without_id,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_watch_scopes, setup,
						teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
