/* SPDX-License-Identifier: GPL-2.0 */
/*
 * For unit tests linked with --wrap=tg_cgroup_id: a tenants cgroup made of
 * plain directories in /tmp (root), set up fresh for each test case with
 * acme, globex, "bad name" and a cgroup.procs file; cgroup ids are mocked.
 * Include after cmocka.h.
 */
#ifndef TG_TEST_TENANTS_ROOT_H
#define TG_TEST_TENANTS_ROOT_H

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "common/cgroupfs.h"

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

#endif /* TG_TEST_TENANTS_ROOT_H */
