// SPDX-License-Identifier: GPL-2.0
/* Unit tests: filesystem-relative paths placed with a mountinfo file. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "agentd/mountpath.h"

#define DEV(maj, min) (((maj) << 20) | (min))

static const char mountinfo[] =
	"22 1 8:1 / / rw,relatime shared:1 - ext4 /dev/sda1 rw\n"
	"30 22 0:41 / /tmp rw shared:5 - tmpfs tmpfs rw\n"
	"31 30 0:41 /srv/acme /tmp/bind rw shared:5 - tmpfs tmpfs rw\n"
	"32 22 0:42 /sub /data\\040dir rw - ext4 /dev/sdb1 rw\n"
	"33 22 0:43 / /sys/fs/cgroup rw - cgroup2 cgroup2 rw\n";

static char *path;

static int setup(void **state)
{
	int fd;

	path = strdup("/tmp/tg-mountpath.XXXXXX");
	fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, mountinfo, strlen(mountinfo)),
			 (ssize_t)strlen(mountinfo));
	close(fd);
	tg_mount_path_reset();
	return 0;
}

static int teardown(void **state)
{
	unlink(path);
	free(path);
	tg_mount_path_reset();
	return 0;
}

static void expect_path(__u32 dev, const char *fspath, const char *want)
{
	char out[256];

	tg_mount_path(path, dev, fspath, out, sizeof(out));
	assert_string_equal(out, want);
}

static void test_root_mount(void **state)
{
	expect_path(DEV(8, 1), "/etc/passwd", "/etc/passwd");
	expect_path(DEV(8, 1), "/", "/");
}

static void test_mount_point_prefix(void **state)
{
	expect_path(DEV(0, 41), "/tg/srv/acme/data", "/tmp/tg/srv/acme/data");
	expect_path(DEV(0, 41), "/", "/tmp");
	expect_path(DEV(0, 43), "/tenants/acme/cgroup.procs",
		    "/sys/fs/cgroup/tenants/acme/cgroup.procs");
}

/* The whole filesystem's mount wins over a bind mount of a subtree. */
static void test_bind_of_subtree_loses(void **state)
{
	expect_path(DEV(0, 41), "/srv/acme/data", "/tmp/srv/acme/data");
}

/* A mount of a subtree only: the part below its root, escapes undone. */
static void test_subtree_mount(void **state)
{
	expect_path(DEV(0, 42), "/sub/f", "/data dir/f");
	expect_path(DEV(0, 42), "/sub", "/data dir");
	/* "/subway" is not below "/sub". */
	expect_path(DEV(0, 42), "/subway/f", "fs:0:42/subway/f");
}

static void test_unknown_device(void **state)
{
	expect_path(DEV(9, 7), "/x/y", "fs:9:7/x/y");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_root_mount, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_mount_point_prefix, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_bind_of_subtree_loses,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_subtree_mount, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_unknown_device, setup,
						teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
