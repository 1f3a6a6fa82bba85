// SPDX-License-Identifier: GPL-2.0
/* Unit tests: the durable event log (seq, torn tails, rotation). */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "eventlog.h"

static char dir[64], path[128];

static int setup(void **state)
{
	snprintf(dir, sizeof(dir), "/tmp/tg-eventlog.XXXXXX");
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/events.jsonl", dir);
	return 0;
}

static int teardown(void **state)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	return system(cmd);
}

static void append(struct tg_eventlog *l, const char *json, __u64 want_seq)
{
	struct json_object *o = json_tokener_parse(json);
	__u64 seq = 0;

	assert_non_null(o);
	assert_int_equal(tg_eventlog_append(l, o, &seq), 0);
	assert_int_equal(seq, want_seq);
	json_object_put(o);
}

static char *slurp(const char *p)
{
	static char buf[65536];
	int fd = open(p, O_RDONLY);
	ssize_t n;

	if (fd < 0)
		return NULL;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	buf[n < 0 ? 0 : n] = '\0';
	return buf;
}

static void test_seq_first_and_continues(void **state)
{
	struct tg_eventlog l;

	assert_int_equal(tg_eventlog_open(&l, path, 0, 0), 0);
	append(&l, "{\"kind\":\"net\",\"port\":80}", 1);
	append(&l, "{}", 2);
	assert_int_equal(tg_eventlog_commit(&l), 0);
	tg_eventlog_close(&l);
	assert_string_equal(slurp(path),
			    "{\"seq\":1,\"kind\":\"net\",\"port\":80}\n{\"seq\":2}\n");
	/* Reopening continues after the last line. */
	assert_int_equal(tg_eventlog_open(&l, path, 0, 0), 0);
	append(&l, "{\"a\":\"b\"}", 3);
	tg_eventlog_close(&l);
}

static void test_torn_tail_truncated(void **state)
{
	struct tg_eventlog l;
	FILE *f = fopen(path, "w");

	fputs("{\"seq\":41,\"a\":1}\n{\"seq\":42,\"a\":2}\n{\"seq\":43,\"a\"", f);
	fclose(f);
	assert_int_equal(tg_eventlog_open(&l, path, 0, 0), 0);
	assert_true(l.torn_truncated);
	assert_string_equal(slurp(path), "{\"seq\":41,\"a\":1}\n{\"seq\":42,\"a\":2}\n");
	append(&l, "{\"a\":3}", 43);
	tg_eventlog_close(&l);
	assert_string_equal(slurp(path), "{\"seq\":41,\"a\":1}\n{\"seq\":42,\"a\":2}\n"
					 "{\"seq\":43,\"a\":3}\n");
}

static void test_torn_only_line(void **state)
{
	struct tg_eventlog l;
	FILE *f = fopen(path, "w");

	fputs("{\"seq\":1,", f);
	fclose(f);
	assert_int_equal(tg_eventlog_open(&l, path, 0, 0), 0);
	assert_true(l.torn_truncated);
	assert_string_equal(slurp(path), "");
	tg_eventlog_close(&l);
}

static void test_seq_never_reused(void **state)
{
	struct tg_eventlog l;

	assert_int_equal(tg_eventlog_open(&l, path, 0, 0), 0);
	append(&l, "{}", 1);
	append(&l, "{}", 2);
	tg_eventlog_close(&l);
	/* The log is lost entirely: the state file still moves seq on. */
	assert_int_equal(unlink(path), 0);
	assert_int_equal(tg_eventlog_open(&l, path, 0, 0), 0);
	assert_true(l.next_seq > 2);
	tg_eventlog_close(&l);
}

static void test_rotation(void **state)
{
	char p[160];
	struct tg_eventlog l;
	int i;

	assert_int_equal(tg_eventlog_open(&l, path, 100, 2), 0);
	for (i = 1; i <= 20; i++) {
		append(&l, "{\"pad\":\"0123456789012345678901234567890123456789\"}", (__u64)i);
		assert_int_equal(tg_eventlog_commit(&l), 0);
	}
	tg_eventlog_close(&l);
	snprintf(p, sizeof(p), "%s.1", path);
	assert_non_null(slurp(p));
	/* Whole lines only, with increasing seqs. */
	assert_int_equal(slurp(p)[strlen(slurp(p)) - 1], '\n');
	assert_non_null(strstr(slurp(p), "{\"seq\":19,"));
	assert_non_null(strstr(slurp(p), "{\"seq\":20,"));
	snprintf(p, sizeof(p), "%s.2", path);
	assert_non_null(strstr(slurp(p), "{\"seq\":17,"));
	snprintf(p, sizeof(p), "%s.3", path);
	assert_null(slurp(p));	/* only rotate_keep files kept */
	/* After rotation (the current file is empty) seq still continues. */
	assert_int_equal(tg_eventlog_open(&l, path, 100, 2), 0);
	assert_int_equal(l.next_seq, 21);
	tg_eventlog_close(&l);
}

static void test_hostile_strings(void **state)
{
	struct tg_eventlog l;
	struct json_object *o = json_object_new_object(), *back;
	char *line;
	__u64 seq;

	json_object_object_add(o, "path", json_object_new_string("a\"b\\c\n\r\t\x01\x1f/\xe2\x82\xac"));
	assert_int_equal(tg_eventlog_open(&l, path, 0, 0), 0);
	assert_int_equal(tg_eventlog_append(&l, o, &seq), 0);
	tg_eventlog_close(&l);
	line = slurp(path);
	assert_int_equal(strchr(line, '\n') - line, (long)strlen(line) - 1);
	back = json_tokener_parse(line);
	assert_non_null(back);
	json_object_put(back);
	json_object_put(o);
}

static void test_errors(void **state)
{
	struct tg_eventlog l;
	struct json_object *arr = json_object_new_array();
	__u64 seq;

	assert_int_equal(tg_eventlog_open(&l, "/nonexistent/dir/events.jsonl", 0, 0),
			 -ENOENT);
	assert_int_equal(tg_eventlog_open(&l, path, 0, 0), 0);
	assert_int_equal(tg_eventlog_append(&l, arr, &seq), -EINVAL);
	tg_eventlog_close(&l);
	json_object_put(arr);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_seq_first_and_continues, setup, teardown),
		cmocka_unit_test_setup_teardown(test_torn_tail_truncated, setup, teardown),
		cmocka_unit_test_setup_teardown(test_torn_only_line, setup, teardown),
		cmocka_unit_test_setup_teardown(test_seq_never_reused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rotation, setup, teardown),
		cmocka_unit_test_setup_teardown(test_hostile_strings, setup, teardown),
		cmocka_unit_test_setup_teardown(test_errors, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
