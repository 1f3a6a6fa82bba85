// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests: the replay cache of grant activations: a request id is
 * taken once, also after the cache is opened again; another boot's
 * entries are dropped; entries past their activate_by make room; a full
 * cache refuses; a damaged file is refused whole; a failed write leaves
 * the cache as it was.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "common/replay_cache.h"

#define BOOT  "6a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d"
#define BOOT2 "00000000-1111-4222-8333-444444444444"
#define ID1   "00112233445566778899aabbccddeeff"
#define ID2   "ffeeddccbbaa99887766554433221100"

static char dir[] = "/tmp/tg-replay-XXXXXX";
static char path[128];

static int setup(void **state)
{
	if (!mkdtemp(dir))
		return -1;
	snprintf(path, sizeof(path), "%s/replay", dir);
	return 0;
}

static int teardown(void **state)
{
	char tmp[160];

	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	unlink(tmp);
	unlink(path);
	rmdir(dir);
	return 0;
}

static void test_once_across_opens(void **state)
{
	struct tg_replay_cache c;
	struct stat st;

	unlink(path);
	assert_int_equal(tg_replay_open(&c, path, BOOT), 0);
	assert_int_equal(c.n, 0);
	assert_int_equal(tg_replay_add(&c, ID1, 2000, 1000), 0);
	assert_int_equal(tg_replay_add(&c, ID1, 2000, 1000), -EEXIST);
	assert_int_equal(tg_replay_add(&c, "0011", 2000, 1000), -EINVAL);
	tg_replay_close(&c);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	assert_int_equal(tg_replay_open(&c, path, BOOT), 0);
	assert_true(tg_replay_seen(&c, ID1));
	assert_false(tg_replay_seen(&c, ID2));
	assert_int_equal(tg_replay_add(&c, ID1, 2000, 1500), -EEXIST);
	assert_int_equal(tg_replay_add(&c, ID2, 2000, 1500), 0);
	tg_replay_close(&c);
	/* Another boot sees none of them (grants end at reboot). */
	assert_int_equal(tg_replay_open(&c, path, BOOT2), 0);
	assert_int_equal(c.n, 0);
	assert_int_equal(tg_replay_add(&c, ID1, 2000, 1500), 0);
	tg_replay_close(&c);
	assert_int_equal(tg_replay_open(&c, path, BOOT), 0);
	assert_int_equal(c.n, 0);
	tg_replay_close(&c);
}

static void test_bounded(void **state)
{
	struct tg_replay_cache c;
	char id[TG_GRANT_ID_HEX + 1];
	unsigned int i;

	unlink(path);
	assert_int_equal(tg_replay_open(&c, path, BOOT), 0);
	for (i = 0; i < TG_REPLAY_MAX; i++) {
		snprintf(id, sizeof(id), "%032x", i);
		/* the first half expires at 100, the rest at 10000 */
		c.e[c.n].activate_by = i < TG_REPLAY_MAX / 2 ? 100 : 10000;
		memcpy(c.e[c.n++].id, id, sizeof(id));
	}
	/* Full and nothing past its activate_by: refused, nothing lost. */
	assert_int_equal(tg_replay_add(&c, ID1, 20000, 50), -ENOSPC);
	assert_int_equal(c.n, TG_REPLAY_MAX);
	assert_true(tg_replay_seen(&c, "00000000000000000000000000000000"));
	/* Later, the first half has expired and makes room. */
	assert_int_equal(tg_replay_add(&c, ID1, 20000, 100), 0);
	assert_int_equal(c.n, TG_REPLAY_MAX / 2 + 1);
	assert_false(tg_replay_seen(&c, "00000000000000000000000000000000"));
	tg_replay_close(&c);
	assert_int_equal(tg_replay_open(&c, path, BOOT), 0);
	assert_int_equal(c.n, TG_REPLAY_MAX / 2 + 1);
	assert_true(tg_replay_seen(&c, ID1));
	tg_replay_close(&c);
}

static void write_text(const char *text)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static void test_damaged(void **state)
{
	struct tg_replay_cache c;

	write_text("something else\n");
	assert_int_equal(tg_replay_open(&c, path, BOOT), -EINVAL);
	write_text("tenantguard-replay v1\n" ID1 " " BOOT " 12x\n");
	assert_int_equal(tg_replay_open(&c, path, BOOT), -EINVAL);
	write_text("tenantguard-replay v1\n" ID1 " " BOOT " 12\n" ID1 " " BOOT
		   " 13\n");
	assert_int_equal(tg_replay_open(&c, path, BOOT), -EINVAL);
	write_text("tenantguard-replay v1\n" ID1 " " BOOT " 12\n");
	assert_int_equal(tg_replay_open(&c, path, BOOT), 0);
	assert_true(tg_replay_seen(&c, ID1));
	tg_replay_close(&c);
}

/* A write that fails (the folder gone) leaves the cache as it was. */
static void test_write_fails(void **state)
{
	struct tg_replay_cache c;
	char gone[160];

	snprintf(gone, sizeof(gone), "%s/gone/replay", dir);
	assert_int_equal(tg_replay_open(&c, gone, BOOT), 0);
	assert_int_equal(tg_replay_add(&c, ID1, 2000, 1000), -ENOENT);
	assert_int_equal(c.n, 0);
	assert_false(tg_replay_seen(&c, ID1));
	tg_replay_close(&c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_once_across_opens),
		cmocka_unit_test(test_bounded),
		cmocka_unit_test(test_damaged),
		cmocka_unit_test(test_write_fails),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
