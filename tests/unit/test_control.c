// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests: descriptors carried by control messages (common/control.c):
 * up to three in one message, in order, the one-descriptor calls as
 * before, more than the receiver takes closed, more than it can hold
 * refused.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "common/control.h"

static int sp[2] = {-1, -1};

static int setup(void **state)
{
	return socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sp);
}

static int teardown(void **state)
{
	close(sp[0]);
	close(sp[1]);
	return 0;
}

/* The inode behind fd, to tell which one arrived where. */
static ino_t ino(int fd)
{
	struct stat st;

	assert_int_equal(fstat(fd, &st), 0);
	return st.st_ino;
}

/* Three pipes' ends sent; the same three received, in order, cloexec. */
static void test_three_in_order(void **state)
{
	int p[3][2], sent[3], got[3] = {-1, -1, -1}, i;
	char buf[8];

	for (i = 0; i < 3; i++) {
		assert_int_equal(pipe2(p[i], O_CLOEXEC), 0);
		sent[i] = p[i][0];
	}
	assert_int_equal(tg_send_fds(sp[0], "x", 1, sent, 3), 1);
	assert_int_equal(tg_recv_fds(sp[1], buf, sizeof(buf), got, 3), 1);
	for (i = 0; i < 3; i++) {
		assert_true(got[i] >= 0);
		assert_int_equal(ino(got[i]), ino(sent[i]));
		assert_true(fcntl(got[i], F_GETFD) & FD_CLOEXEC);
		close(got[i]);
		close(p[i][0]);
		close(p[i][1]);
	}
}

/* The one-descriptor calls: one sent, one received; none, none. */
static void test_one_fd(void **state)
{
	int p[2], got = -1;
	char buf[8];

	assert_int_equal(pipe2(p, O_CLOEXEC), 0);
	assert_int_equal(tg_send_fd(sp[0], "a", 1, p[1]), 1);
	assert_int_equal(tg_recv_fd(sp[1], buf, sizeof(buf), &got), 1);
	assert_int_equal(ino(got), ino(p[1]));
	close(got);
	got = -1;
	assert_int_equal(tg_send_fd(sp[0], "b", 1, -1), 1);
	assert_int_equal(tg_recv_fd(sp[1], buf, sizeof(buf), &got), 1);
	assert_int_equal(got, -1);
	close(p[0]);
	close(p[1]);
}

/* Three sent to a receiver taking one: the first kept, the others closed. */
static void test_extra_closed(void **state)
{
	int p[2], sent[3], got = -1;
	char buf[8];

	assert_int_equal(pipe2(p, O_CLOEXEC), 0);
	sent[0] = p[0];
	sent[1] = p[1];
	sent[2] = p[1];
	assert_int_equal(tg_send_fds(sp[0], "c", 1, sent, 3), 1);
	assert_int_equal(tg_recv_fd(sp[1], buf, sizeof(buf), &got), 1);
	assert_int_equal(ino(got), ino(p[0]));
	close(p[0]);
	close(p[1]);
	/* No copy of the write end is left open: the reader sees EOF. */
	assert_int_equal(read(got, buf, 1), 0);
	close(got);
}

/* More than TG_CONTROL_MAX_FDS: the sender refuses. */
static void test_too_many_refused(void **state)
{
	int fds[4] = {0, 0, 0, 0};

	assert_int_equal(tg_send_fds(sp[0], "d", 1, fds, 4), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_three_in_order, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_one_fd, setup, teardown),
		cmocka_unit_test_setup_teardown(test_extra_closed, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_too_many_refused, setup,
						teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
