// SPDX-License-Identifier: GPL-2.0
/* Unit tests: mountinfo lines into mounts; escapes, malformed, long lines. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "common/mountinfo.h"

static void parse_ok(const char *text, struct tg_mount *m, char *buf,
		     size_t len)
{
	snprintf(buf, len, "%s", text);
	assert_int_equal(tg_mountinfo_parse(buf, m), 0);
}

static void test_fields(void **state)
{
	char buf[256];
	struct tg_mount m;

	parse_ok(
		"36 35 98:0 /mnt1 /mnt2 rw,noatime master:1 - ext3 /dev/root rw,errors=continue\n",
		&m, buf, sizeof(buf));
	assert_int_equal(m.id, 36);
	assert_int_equal(m.parent, 35);
	assert_int_equal(m.major, 98);
	assert_int_equal(m.minor, 0);
	assert_string_equal(m.root, "/mnt1");
	assert_string_equal(m.point, "/mnt2");
	assert_string_equal(m.options, "rw,noatime");
	assert_string_equal(m.optional, "master:1");
	assert_string_equal(m.fstype, "ext3");
	assert_string_equal(m.source, "/dev/root");
	assert_string_equal(m.super_options, "rw,errors=continue");
}

static void test_optional_fields(void **state)
{
	char buf[256];
	struct tg_mount m;

	parse_ok("22 1 8:1 / / rw - ext4 /dev/sda1 rw", &m, buf, sizeof(buf));
	assert_string_equal(m.optional, "");
	assert_string_equal(m.fstype, "ext4");
	parse_ok(
		"22 1 8:1 / / rw shared:1 master:2 propagate_from:3 unbindable - ext4 /dev/sda1 rw",
		&m, buf, sizeof(buf));
	assert_string_equal(m.optional,
			    "shared:1 master:2 propagate_from:3 unbindable");
	assert_string_equal(m.options, "rw");
	assert_string_equal(m.source, "/dev/sda1");
}

static void test_escapes(void **state)
{
	char buf[256];
	struct tg_mount m;

	parse_ok(
		"40 22 0:50 /a\\040b /mnt/x\\011y\\012z\\134w rw - fuse.my\\040fs src\\040dir rw,a=\\054\n",
		&m, buf, sizeof(buf));
	assert_string_equal(m.root, "/a b");
	assert_string_equal(m.point, "/mnt/x\ty\nz\\w");
	assert_string_equal(m.fstype, "fuse.my fs");
	assert_string_equal(m.source, "src dir");
	/* Options are left as written: an escaped comma splits nothing. */
	assert_string_equal(m.super_options, "rw,a=\\054");
	/* Not an escape: too short, out of range, not octal. */
	parse_ok("40 22 0:50 /\\04 /\\400\\08x\\ rw - t s o", &m, buf,
		 sizeof(buf));
	assert_string_equal(m.root, "/\\04");
	assert_string_equal(m.point, "/\\400\\08x\\");
}

static void test_malformed(void **state)
{
	static const char *const bad[] = {
		"",
		"\n",
		"22 1 8:1 / /",				/* cut short */
		"22 1 8:1 / / rw shared:1",		/* no "-" */
		"22 1 8:1 / / rw - ext4",		/* no source */
		"22 1 8:1 / / rw - ext4 /dev/sda1",	/* no super options */
		"x 1 8:1 / / rw - ext4 /dev/sda1 rw",	/* id */
		"22 -1 8:1 / / rw - ext4 /dev/sda1 rw", /* parent */
		"22 1 8 / / rw - ext4 /dev/sda1 rw",	/* no minor */
		"22 1 8:x / / rw - ext4 /dev/sda1 rw",
		"22 1 :1 / / rw - ext4 /dev/sda1 rw",
		"22 1 8:1: / / rw - ext4 /dev/sda1 rw",
		"99999999999 1 8:1 / / rw - ext4 /dev/sda1 rw", /* over UINT_MAX
								 */
	};
	struct tg_mount m;
	char buf[128];
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(buf, sizeof(buf), "%s", bad[i]);
		if (tg_mountinfo_parse(buf, &m) != -EINVAL)
			fail_msg("parsed: \"%s\"", bad[i]);
	}
}

static void test_option(void **state)
{
	assert_true(tg_mount_option("rw,nsdelegate,memory_recursiveprot",
				    "nsdelegate"));
	assert_true(tg_mount_option("nsdelegate", "nsdelegate"));
	assert_true(tg_mount_option("rw,nsdelegate", "nsdelegate"));
	assert_false(tg_mount_option("rw,nsdelegatex", "nsdelegate"));
	assert_false(tg_mount_option("rw,xnsdelegate,", "nsdelegate"));
	assert_false(tg_mount_option("", "nsdelegate"));
}

/* What each_cb saw: the mount points, joined by '|'. */
struct seen {
	char points[512];
	int stop_at; /* the id to stop at with 7, 0: none */
};

static int each_cb(void *ctx, const struct tg_mount *m)
{
	struct seen *s = ctx;
	size_t n = strlen(s->points);

	snprintf(s->points + n, sizeof(s->points) - n, "%s%s", n ? "|" : "",
		 m->point);
	return (int)m->id == s->stop_at ? 7 : 0;
}

static char *write_tmp(const char *text, size_t len)
{
	char *path = strdup("/tmp/tg-mountinfo.XXXXXX");
	int fd = mkstemp(path);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, len), (ssize_t)len);
	close(fd);
	return path;
}

static void each_in(const char *text, size_t len, struct seen *s, int want)
{
	char *path = write_tmp(text, len);

	assert_int_equal(tg_mountinfo_each(path, each_cb, s), want);
	unlink(path);
	free(path);
}

static void test_each_skips_bad_lines(void **state)
{
	static const char text[] =
		"22 1 8:1 / / rw shared:1 - ext4 /dev/sda1 rw\n"
		"garbage\n"
		"\n"
		"30 22 0:41 / /tmp rw - tmpfs tmpfs rw\n"
		"31 22 0:42 / /last rw - tmpfs tmpfs rw"; /* no newline */
	struct seen s = {};

	each_in(text, sizeof(text) - 1, &s, 0);
	assert_string_equal(s.points, "/|/tmp|/last");
}

static void test_each_stops(void **state)
{
	static const char text[] = "22 1 8:1 / / rw - ext4 /dev/sda1 rw\n"
				   "30 22 0:41 / /tmp rw - tmpfs tmpfs rw\n"
				   "31 22 0:42 / /last rw - tmpfs tmpfs rw\n";
	struct seen s = {.stop_at = 30};

	each_in(text, sizeof(text) - 1, &s, 7);
	assert_string_equal(s.points, "/|/tmp");
}

/* A line over the limit is skipped whole; the next one is read. */
static void test_each_long_line(void **state)
{
	static const char head[] = "22 1 8:1 / /a rw - ext4 /dev/sda1 rw,x=";
	static const char tail[] = "\n30 22 0:41 / /tmp rw - tmpfs tmpfs rw\n";
	size_t len =
		sizeof(head) - 1 + TG_MOUNTINFO_LINE_MAX + sizeof(tail) - 1;
	struct seen s = {};
	char *text = malloc(len);

	assert_non_null(text);
	memcpy(text, head, sizeof(head) - 1);
	memset(text + sizeof(head) - 1, 'o', TG_MOUNTINFO_LINE_MAX);
	memcpy(text + len - (sizeof(tail) - 1), tail, sizeof(tail) - 1);
	each_in(text, len, &s, 0);
	free(text);
	assert_string_equal(s.points, "/tmp");
}

static void test_each_missing_file(void **state)
{
	struct seen s = {};

	assert_int_equal(
		tg_mountinfo_each("/nonexistent/mountinfo", each_cb, &s),
		-ENOENT);
}

/* The agent's own mountinfo: read to its end, some mount in it. */
static void test_each_self(void **state)
{
	struct seen s = {};

	assert_int_equal(tg_mountinfo_each("/proc/self/mountinfo", each_cb, &s),
			 0);
	assert_true(s.points[0] != '\0');
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fields),
		cmocka_unit_test(test_optional_fields),
		cmocka_unit_test(test_escapes),
		cmocka_unit_test(test_malformed),
		cmocka_unit_test(test_option),
		cmocka_unit_test(test_each_skips_bad_lines),
		cmocka_unit_test(test_each_stops),
		cmocka_unit_test(test_each_long_line),
		cmocka_unit_test(test_each_missing_file),
		cmocka_unit_test(test_each_self),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
