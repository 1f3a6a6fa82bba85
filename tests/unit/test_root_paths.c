// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests: the owned roots by device and inode, with their policy paths
 * (agentd/root_paths.c), on a real directory tree.
 */
#define _GNU_SOURCE
#include <errno.h>
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

#include "agentd/policy_maps.h"
#include "agentd/root_paths.h"

static char root[64];
static char p_acme[128], p_bind[128], p_gone[128];
static char p_cg[128], p_paths_root[128], p_idless[128];

static struct tg_inode_key key_of(const char *path)
{
	struct stat st;

	assert_int_equal(stat(path, &st), 0);
	return tg_inode_key_of(&st);
}

static void test_paths_by_inode(void **state)
{
	struct tg_tenant_entry v[2];
	struct tg_idless x;
	struct tg_registry r;
	struct tg_root_paths rp = {};
	struct tg_inode_key k;
	char cmd[1024];

	snprintf(root, sizeof(root), "/tmp/tg-root-paths.XXXXXX");
	assert_non_null(mkdtemp(root));
	snprintf(p_acme, sizeof(p_acme), "%s/srv/acme", root);
	snprintf(p_bind, sizeof(p_bind), "%s/alias", root);
	snprintf(p_gone, sizeof(p_gone), "%s/srv/gone", root);
	snprintf(p_cg, sizeof(p_cg), "%s/cg/acme", root);
	snprintf(p_paths_root, sizeof(p_paths_root), "%s/srv", root);
	snprintf(p_idless, sizeof(p_idless), "%s/srv/idless", root);
	snprintf(cmd, sizeof(cmd), "mkdir -p %s %s %s && ln -s srv/acme %s",
		 p_acme, p_cg, p_idless, p_bind);
	assert_int_equal(system(cmd), 0);

	memset(v, 0, sizeof(v));
	memset(&x, 0, sizeof(x));
	tg_registry_init(&r);
	r.v = v;
	r.n = 2;
	/* acme: a path, the same directory by another name, one missing. */
	v[0].id = 1;
	v[0].defined = 1;
	v[0].present = 1;
	v[0].cgroup_id = 7;
	snprintf(v[0].cgroup, sizeof(v[0].cgroup), "%s", p_cg);
	v[0].paths[0] = p_acme;
	v[0].paths[1] = p_bind;
	v[0].paths[2] = p_gone;
	v[0].n_paths = 3;
	/* Not in force: owns nothing. */
	v[1].id = 2;
	snprintf(r.paths_root, sizeof(r.paths_root), "%s", p_paths_root);
	x.paths[0] = p_idless;
	x.n_paths = 1;
	r.idless = &x;
	r.n_idless = 1;

	assert_int_equal(tg_root_paths_build(&rp, &r), 0);
	assert_int_equal(rp.n, 4); /* acme, its cgroup, paths root, idless */
	k = key_of(p_acme);
	assert_string_equal(tg_root_paths_find(&rp, k.dev, k.ino), p_acme);
	k = key_of(p_cg);
	assert_string_equal(tg_root_paths_find(&rp, k.dev, k.ino), p_cg);
	k = key_of(p_paths_root);
	assert_string_equal(tg_root_paths_find(&rp, k.dev, k.ino),
			    p_paths_root);
	k = key_of(p_idless);
	assert_string_equal(tg_root_paths_find(&rp, k.dev, k.ino), p_idless);
	k = key_of(root);
	assert_null(tg_root_paths_find(&rp, k.dev, k.ino));
	assert_null(tg_root_paths_find(NULL, k.dev, k.ino));
	/* Built again: the old table is replaced. */
	r.paths_root[0] = '\0';
	r.n_idless = 0;
	assert_int_equal(tg_root_paths_build(&rp, &r), 0);
	assert_int_equal(rp.n, 2);
	k = key_of(p_idless);
	assert_null(tg_root_paths_find(&rp, k.dev, k.ino));
	tg_root_paths_free(&rp);
	assert_int_equal(rp.n, 0);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root);
	assert_int_equal(system(cmd), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_paths_by_inode),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
