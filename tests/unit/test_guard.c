// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests: the self-protection rows the agent writes (agentd/guard.c)
 * and the start time it reads of a guarded process (common/procfs.c).
 */
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

#include "agentd/guard.h"
#include "common/procfs.h"

static char dir[64];

static int setup(void **state)
{
	char p[128];

	snprintf(dir, sizeof(dir), "/tmp/tg-guard.XXXXXX");
	assert_non_null(mkdtemp(dir));
	snprintf(p, sizeof(p), "%s/log", dir);
	assert_int_equal(mkdir(p, 0755), 0);
	snprintf(p, sizeof(p), "%s/log/events.jsonl", dir);
	fclose(fopen(p, "w"));
	return 0;
}

static int teardown(void **state)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	assert_int_equal(system(cmd), 0);
	return 0;
}

/* The flags of path's row in s (ino 0: its filesystem's), -1 if none. */
static int flags_of(const struct tg_kv_set *s, const char *path, int device)
{
	struct tg_inode_key key;
	struct tg_guard_inode v;
	struct stat st;
	size_t i, row = s->ksz + s->vsz;

	assert_int_equal(stat(path, &st), 0);
	key = tg_inode_key_of(&st);
	if (device)
		key.ino = 0;
	for (i = 0; i < s->n; i++)
		if (!memcmp(s->rows + i * row, &key, sizeof(key))) {
			memcpy(&v, s->rows + i * row + s->ksz, sizeof(v));
			assert_int_equal(v.pad, 0);
			return (int)v.flags;
		}
	return -1;
}

static void test_rows(void **state)
{
	char log[PATH_MAX + 32], file[PATH_MAX + 32], link[PATH_MAX + 32];
	struct tg_guard_path p[4];
	struct tg_kv_set s;
	unsigned int missing = 0;

	snprintf(log, sizeof(log), "%s/log", dir);
	snprintf(file, sizeof(file), "%s/log/events.jsonl", dir);
	snprintf(link, sizeof(link), "%s/link", dir);
	assert_int_equal(symlink("log", link), 0);
	p[0] = (struct tg_guard_path){file, TG_GUARD_OBJECT};
	/* Through a symlink: the directory itself is protected. */
	p[1] = (struct tg_guard_path){link, TG_GUARD_DIRECTORY};
	p[2] = (struct tg_guard_path){"/nonexistent/tg/x", TG_GUARD_DIRECTORY};
	p[3] = (struct tg_guard_path){NULL, TG_GUARD_OBJECT};
	tg_kv_init(&s, sizeof(struct tg_inode_key),
		   sizeof(struct tg_guard_inode));
	assert_int_equal(tg_guard_rows(p, 4, &s, &missing), 0);
	assert_int_equal(missing, 1);
	assert_int_equal(flags_of(&s, file, 0), TG_GUARD_F_SELF);
	/* The log's directory: itself, its entries, and above the log. */
	assert_int_equal(flags_of(&s, log, 0), TG_GUARD_F_SELF |
						       TG_GUARD_F_CHILDREN |
						       TG_GUARD_F_ANCESTOR);
	assert_int_equal(flags_of(&s, dir, 0), TG_GUARD_F_ANCESTOR);
	assert_int_equal(flags_of(&s, "/", 0), TG_GUARD_F_ANCESTOR);
	assert_int_equal(flags_of(&s, file, 1), TG_GUARD_F_DEVICE);
	/* Sorted and unique, as tg_kv_sync needs. */
	assert_int_equal(tg_kv_finish(&s), 0);
	tg_kv_free(&s);
}

static void test_rows_object_dir(void **state)
{
	char log[PATH_MAX + 32];
	struct tg_guard_path p[1];
	struct tg_kv_set s;
	unsigned int missing;

	snprintf(log, sizeof(log), "%s/log", dir);
	p[0] = (struct tg_guard_path){log, TG_GUARD_OBJECT};
	tg_kv_init(&s, sizeof(struct tg_inode_key),
		   sizeof(struct tg_guard_inode));
	assert_int_equal(tg_guard_rows(p, 1, &s, &missing), 0);
	assert_int_equal(missing, 0);
	assert_int_equal(flags_of(&s, log, 0), TG_GUARD_F_SELF);
	tg_kv_free(&s);
}

static void test_starttime(void **state)
{
	unsigned long long t = 0;
	char own[64];

	assert_int_equal(
		tg_proc_stat_starttime("42 (sleep) S 1 42 42 0 -1 4194304 96 0 "
				       "0 0 0 0 0 0 20 0 1 0 123456 8192 100 "
				       "18446744073709551615\n",
				       &t),
		0);
	assert_int_equal(t, 123456);
	/* A comm with spaces and parentheses. */
	assert_int_equal(
		tg_proc_stat_starttime("7 (a) b (c)) R 1 7 7 0 -1 0 0 0 0 0 0 "
				       "0 0 0 20 0 1 0 99 0 0\n",
				       &t),
		0);
	assert_int_equal(t, 99);
	assert_int_equal(tg_proc_stat_starttime("7 (x) R 1 2", &t), -EBADMSG);
	assert_int_equal(tg_proc_stat_starttime("no parenthesis", &t),
			 -EBADMSG);
	assert_int_equal(
		tg_proc_stat_starttime("7 (x) R 1 7 7 0 -1 0 0 0 0 0 0 0 0 0 "
				       "20 0 1 0 -5 0\n",
				       &t),
		-EBADMSG);
	snprintf(own, sizeof(own), "%d", (int)getpid());
	assert_int_equal(tg_proc_starttime(getpid(), &t), 0);
	assert_true(t > 0);
}

static void test_names(void **state)
{
	assert_string_equal(tg_cap_name(16), "CAP_SYS_MODULE");
	assert_string_equal(tg_cap_name(39), "CAP_BPF");
	assert_null(tg_cap_name(64));
	assert_string_equal(tg_guard_check_name(TG_GUARD_CGROUP), "cgroup");
	assert_null(tg_guard_check_name(0));
	assert_null(tg_guard_check_name(TG_GUARD_CHECKS));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_rows, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rows_object_dir, setup,
						teardown),
		cmocka_unit_test(test_starttime),
		cmocka_unit_test(test_names),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
