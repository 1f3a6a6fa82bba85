// SPDX-License-Identifier: GPL-2.0
/* Unit tests: a user to run as, by name or number (common/privileges.c). */
#define _GNU_SOURCE
#include <errno.h>
#include <pwd.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "common/privileges.h"

static void test_root_by_name_and_number(void **state)
{
	struct tg_user u;

	assert_int_equal(tg_user_lookup("root", &u), 0);
	assert_int_equal(u.uid, 0);
	assert_int_equal(u.gid, 0);
	assert_string_equal(u.name, "root");
	assert_true(u.in_passwd);
	assert_int_equal(tg_user_lookup("0", &u), 0);
	assert_int_equal(u.uid, 0);
	assert_string_equal(u.name, "root");
}

/* A number without a passwd entry: as it is, its gid the same number. */
static void test_number_without_entry(void **state)
{
	unsigned int id = 3999999000u;
	struct tg_user u;
	char s[16];

	while (getpwuid(id))
		id++;
	snprintf(s, sizeof(s), "%u", id);
	assert_int_equal(tg_user_lookup(s, &u), 0);
	assert_int_equal(u.uid, id);
	assert_int_equal(u.gid, id);
	assert_false(u.in_passwd);
	assert_string_equal(u.name, s);
}

static void test_refused(void **state)
{
	struct tg_user u;

	assert_int_equal(tg_user_lookup("tg-no-such-user-at-all", &u), -ENOENT);
	assert_int_equal(tg_user_lookup("", &u), -ENOENT);
	assert_int_equal(tg_user_lookup("4294967295", &u), -EINVAL);
	assert_int_equal(tg_user_lookup("99999999999999999999", &u), -EINVAL);
	assert_int_equal(tg_user_lookup("12ab", &u), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_root_by_name_and_number),
		cmocka_unit_test(test_number_without_entry),
		cmocka_unit_test(test_refused),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
