// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests: a directory only its user or root may write
 * (common/private_dir.c): owner and mode checked, what was found and what
 * is needed said.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "common/private_dir.h"

static char dir[64];

static int setup(void **state)
{
	snprintf(dir, sizeof(dir), "/tmp/tg-private-dir.XXXXXX");
	return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state)
{
	char path[96];

	snprintf(path, sizeof(path), "%s/file", dir);
	unlink(path);
	return rmdir(dir);
}

/* The check of dir at mode for uid: its result, the reason in why. */
static int check(mode_t mode, uid_t uid, char *why, size_t len)
{
	int fd, err;

	assert_int_equal(chmod(dir, mode), 0);
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	assert_true(fd >= 0);
	why[0] = '\0';
	err = tg_private_dir_check(fd, uid, why, len);
	close(fd);
	return err;
}

static void test_own_private_dir(void **state)
{
	char why[192];

	assert_int_equal(check(0700, geteuid(), why, sizeof(why)), 0);
	assert_int_equal(check(0755, geteuid(), why, sizeof(why)), 0);
	assert_int_equal(check(0500, geteuid(), why, sizeof(why)), 0);
	assert_string_equal(why, "");
}

static void test_writable_by_others(void **state)
{
	char why[192], want[192];

	assert_int_equal(check(0770, geteuid(), why, sizeof(why)), -EPERM);
	snprintf(want, sizeof(want),
		 "owner uid %u, mode 0770: needs owner uid %u or root, and no "
		 "write permission for group or others",
		 (unsigned int)geteuid(), (unsigned int)geteuid());
	assert_string_equal(why, want);
	assert_int_equal(check(0702, geteuid(), why, sizeof(why)), -EPERM);
	assert_non_null(strstr(why, "mode 0702"));
	assert_int_equal(check(01777, geteuid(), why, sizeof(why)), -EPERM);
	assert_non_null(strstr(why, "mode 1777"));
}

/* Another uid's directory: fit for root only when root owns it. */
static void test_other_owner(void **state)
{
	uid_t me = geteuid();
	char why[192], want[192];

	if (me == 0) {
		assert_int_equal(chown(dir, 65534, 65534), 0);
		assert_int_equal(check(0700, 0, why, sizeof(why)), -EPERM);
		assert_non_null(strstr(why, "owner uid 65534, mode 0700"));
		/* Root's directory, fit for any user. */
		assert_int_equal(chown(dir, 0, 0), 0);
		assert_int_equal(check(0755, 995, why, sizeof(why)), 0);
		return;
	}
	assert_int_equal(check(0700, me + 1, why, sizeof(why)), -EPERM);
	snprintf(want, sizeof(want),
		 "owner uid %u, mode 0700: needs owner uid %u or root, and no "
		 "write permission for group or others",
		 (unsigned int)me, (unsigned int)me + 1);
	assert_string_equal(why, want);
}

static void test_not_a_directory(void **state)
{
	char path[96], why[192] = "";
	int fd;

	snprintf(path, sizeof(path), "%s/file", dir);
	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	assert_true(fd >= 0);
	assert_int_equal(tg_private_dir_check(fd, geteuid(), why, sizeof(why)),
			 -ENOTDIR);
	assert_string_equal(why, "not a directory");
	close(fd);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_own_private_dir, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_writable_by_others, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_other_owner, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_not_a_directory, setup,
						teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
