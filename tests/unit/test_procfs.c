// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests: common/procfs. A comm read from /proc is what the task's
 * comm holds, as bpf_get_current_comm gives it to the BPF programs.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>
#include <cmocka.h>

#include "common/procfs.h"

/* Name this process name; its comm from /proc (len bytes) matches the task's.
 */
static void comm_as_task(const char *name, size_t len, const char *want)
{
	char task[16] = "", comm[64];

	assert_int_equal(prctl(PR_SET_NAME, name, 0, 0, 0), 0);
	assert_int_equal(prctl(PR_GET_NAME, task, 0, 0, 0), 0);
	assert_int_equal(tg_proc_comm(getpid(), comm, len), 0);
	assert_string_equal(comm, want);
	if (len > TG_PROC_COMM_MAX)
		assert_string_equal(comm, task);
	assert_int_equal(tg_proc_comm(0, comm, len), 0);
	assert_string_equal(comm, want);
}

static void test_comm_like_task(void **state)
{
	/* 15 bytes, with 16 and 17 byte buffers (the backends' sizes). */
	comm_as_task("abcdefghijklmno", 16, "abcdefghijklmno");
	comm_as_task("abcdefghijklmno", 17, "abcdefghijklmno");
	/* Longer names are cut by the kernel, at 15 bytes. */
	comm_as_task("abcdefghijklmnopqrstu", 17, "abcdefghijklmno");
	/* A newline in the name is kept, and what follows it. */
	comm_as_task("ab\ncd", 16, "ab\ncd");
	comm_as_task("abcdefghijklmn\n", 17, "abcdefghijklmn\n");
	comm_as_task("\n", 16, "\n");
	/* U+202E and escapes are the name's bytes, as the kernel keeps them. */
	comm_as_task("a\xe2\x80\xae\x1b[0m", 16, "a\xe2\x80\xae\x1b[0m");
	/* A 16-byte cut may end inside a UTF-8 sequence: the same cut. */
	comm_as_task("abcdefghijklmn\xe2\x80\xae", 17, "abcdefghijklmn\xe2");
	/* A smaller buffer holds what fits. */
	comm_as_task("abcdef", 4, "abc");
	comm_as_task("x", 1, "");
}

static void test_comm_gone(void **state)
{
	char comm[16] = "x";

	assert_int_equal(tg_proc_comm(-1, comm, sizeof(comm)), -ENOENT);
	assert_string_equal(comm, "");
	assert_int_equal(tg_proc_comm(0, comm, 0), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_comm_like_task),
		cmocka_unit_test(test_comm_gone),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
