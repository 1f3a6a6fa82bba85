// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests: a user to run as, by name or number, and effective ids that
 * a listening socket keeps (common/privileges.c).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
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

/*
 * In a child (its groups change): listen as uid and gid 65534 with root's
 * real and saved ids, go back to root. 0, or the step that failed.
 */
static int listen_as_other(void)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	socklen_t l = sizeof(struct ucred);
	struct ucred c;
	int lfd, cfd;

	snprintf(sa.sun_path + 1, sizeof(sa.sun_path) - 1, "tg-priv-%d",
		 (int)getpid());
	lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (lfd < 0 || bind(lfd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		return 1;
	if (tg_effective_identity(65534, 65534) || geteuid() != 65534 ||
	    getuid() != 0)
		return 2;
	if (listen(lfd, 1) < 0)
		return 3;
	if (tg_effective_identity(0, 0) || geteuid() != 0 || getegid() != 0)
		return 4;
	/* Root's capabilities are back: setting groups needs one. */
	if (setgroups(0, NULL) < 0)
		return 5;
	cfd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (cfd < 0 || connect(cfd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
	    getsockopt(cfd, SOL_SOCKET, SO_PEERCRED, &c, &l) < 0)
		return 6;
	return c.uid == 65534 && c.gid == 65534 && c.pid == getpid() ? 0 : 7;
}

static void test_effective_identity_listen(void **state)
{
	pid_t pid;
	int st;

	if (geteuid() != 0)
		skip(); /* switching ids needs root */
	pid = fork();
	assert_true(pid >= 0);
	if (!pid)
		_exit(listen_as_other());
	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_root_by_name_and_number),
		cmocka_unit_test(test_number_without_entry),
		cmocka_unit_test(test_refused),
		cmocka_unit_test(test_effective_identity_listen),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
