// SPDX-License-Identifier: GPL-2.0
/* Unit tests: cgroup v2 discovery from mountinfo, path joining and nesting. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "common/cgroupfs.h"

static char *write_tmp(const char *text)
{
	char *path = strdup("/tmp/tg-mountinfo.XXXXXX");
	int fd = mkstemp(path);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
	return path;
}

static void find_in(const char *text, int want_err, const char *want)
{
	char *path = write_tmp(text);
	char buf[256] = "";
	int err = tg_cgroup2_find(path, buf, sizeof(buf));

	unlink(path);
	free(path);
	assert_int_equal(err, want_err);
	if (want)
		assert_string_equal(buf, want);
}

static void test_unified(void **state)
{
	find_in("25 30 0:23 / /sys rw,nosuid shared:7 - sysfs sysfs rw\n"
		"31 25 0:26 / /sys/fs/cgroup rw,nosuid shared:9 - cgroup2 cgroup2 rw,nsdelegate\n",
		0, "/sys/fs/cgroup");
}

static void test_hybrid(void **state)
{
	find_in("31 25 0:26 / /sys/fs/cgroup ro shared:9 - tmpfs tmpfs ro,mode=755\n"
		"32 31 0:27 / /sys/fs/cgroup/unified rw shared:10 - cgroup2 cgroup2 rw\n"
		"33 31 0:28 / /sys/fs/cgroup/systemd rw shared:11 - cgroup cgroup rw,name=systemd\n",
		0, "/sys/fs/cgroup/unified");
}

static void test_no_optional_fields(void **state)
{
	find_in("32 31 0:27 / /cg rw - cgroup2 none rw\n", 0, "/cg");
}

static void test_escaped_mount_point(void **state)
{
	find_in("32 31 0:27 / /mnt/my\\040cgroups rw shared:1 - cgroup2 none rw\n",
		0, "/mnt/my cgroups");
}

static void test_subtree_mount_skipped(void **state)
{
	/* A bind mount of a sub-cgroup (inside a container) is not the root. */
	find_in("40 31 0:27 /tenants/acme /sys/fs/cgroup rw - cgroup2 cgroup2 rw\n",
		-ENOENT, NULL);
}

static void test_v1_only(void **state)
{
	find_in("33 31 0:28 / /sys/fs/cgroup/cpu rw - cgroup cgroup rw,cpu\n",
		-ENOENT, NULL);
}

static void test_fstype_in_tags_not_confused(void **state)
{
	/* "cgroup2" as a source or option is not the filesystem type. */
	find_in("50 31 0:30 / /x rw shared:1 - tmpfs cgroup2 rw\n", -ENOENT,
		NULL);
}

static void test_missing_file(void **state)
{
	char buf[64];

	assert_int_equal(
		tg_cgroup2_find("/nonexistent/mountinfo", buf, sizeof(buf)),
		-ENOENT);
}

static void test_too_long(void **state)
{
	char *path = write_tmp(
		"32 31 0:27 / /a/very/long/mount/point rw - cgroup2 c rw\n");
	char buf[8];

	assert_int_equal(tg_cgroup2_find(path, buf, sizeof(buf)),
			 -ENAMETOOLONG);
	unlink(path);
	free(path);
}

static void test_path_join(void **state)
{
	char buf[64];

	assert_int_equal(
		tg_path_join(buf, sizeof(buf), "/sys/fs/cgroup", "/tenants"),
		0);
	assert_string_equal(buf, "/sys/fs/cgroup/tenants");
	assert_int_equal(
		tg_path_join(buf, sizeof(buf), "/sys/fs/cgroup/", "tenants"),
		0);
	assert_string_equal(buf, "/sys/fs/cgroup/tenants");
	assert_int_equal(tg_path_join(buf, sizeof(buf), "/", "/tenants"), 0);
	assert_string_equal(buf, "/tenants");
	assert_int_equal(tg_path_join(buf, sizeof(buf), "/cg", "/"), 0);
	assert_string_equal(buf, "/cg");
	assert_int_equal(tg_path_join(buf, 8, "/sys/fs/cgroup", "x"),
			 -ENAMETOOLONG);
}

/* At or below, component by component: a sibling sharing a prefix is not. */
static void test_path_within(void **state)
{
	assert_true(tg_path_within("/tenants", "/tenants"));
	assert_true(tg_path_within("/tenants/acme", "/tenants"));
	assert_true(tg_path_within("/tenants/acme/x", "/tenants/"));
	assert_true(tg_path_within("/tenants/acme", "/tenants/acme"));
	assert_false(tg_path_within("/tenants-x", "/tenants"));
	assert_false(tg_path_within("/tenants-x/acme", "/tenants"));
	assert_false(tg_path_within("/tenant", "/tenants"));
	assert_false(tg_path_within("/", "/tenants"));
	assert_false(tg_path_within("/tenants/acmeco", "/tenants/acme"));
	assert_true(tg_path_within("/anything", "/"));
	assert_true(tg_path_within("/", "/"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_unified),
		cmocka_unit_test(test_hybrid),
		cmocka_unit_test(test_no_optional_fields),
		cmocka_unit_test(test_escaped_mount_point),
		cmocka_unit_test(test_subtree_mount_skipped),
		cmocka_unit_test(test_v1_only),
		cmocka_unit_test(test_fstype_in_tags_not_confused),
		cmocka_unit_test(test_missing_file),
		cmocka_unit_test(test_too_long),
		cmocka_unit_test(test_path_join),
		cmocka_unit_test(test_path_within),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
