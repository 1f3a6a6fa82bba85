// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests: token buckets by key: burst then rate, keys apart, refills
 * bounded by the burst, held counts told per key, room made by the least
 * recently used key with its held count kept.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "common/buckets.h"

static void test_burst_then_rate(void **state)
{
	struct tg_buckets b;
	int i, n = 0;

	tg_buckets_init(&b, 10, 50);
	for (i = 0; i < 100; i++)
		n += tg_buckets_take(&b, 1000, 0);
	assert_int_equal(n, 50);
	assert_int_equal(b.held_total, 50);
	/* 10 per second: one more token every 100 ms. */
	assert_int_equal(tg_buckets_take(&b, 1000, 99), 0);
	assert_int_equal(tg_buckets_take(&b, 1000, 100), 1);
	assert_int_equal(tg_buckets_take(&b, 1000, 100), 0);
	/* Another key has its own bucket. */
	assert_int_equal(tg_buckets_take(&b, 1001, 100), 1);
	/* A long pause refills to the burst, not beyond. */
	n = 0;
	for (i = 0; i < 100; i++)
		n += tg_buckets_take(&b, 1000, 1000000);
	assert_int_equal(n, 50);
}

static void test_held_told(void **state)
{
	struct tg_buckets b;
	struct tg_bucket *k;
	unsigned int i = 0;
	int j;

	tg_buckets_init(&b, 1, 2);
	for (j = 0; j < 5; j++)
		tg_buckets_take(&b, 7, 0);
	tg_buckets_take(&b, 8, 0);
	k = tg_buckets_held(&b, &i);
	assert_non_null(k);
	assert_int_equal(k->key, 7);
	assert_int_equal(k->held, 3);
	k->held = 0;
	assert_null(tg_buckets_held(&b, &i));
	i = 0;
	assert_null(tg_buckets_held(&b, &i));
}

/* A new key takes the slot used least recently; its held count stays. */
static void test_room(void **state)
{
	struct tg_buckets b;
	unsigned int k;

	tg_buckets_init(&b, 1, 1);
	for (k = 0; k < TG_BUCKETS; k++)
		assert_int_equal(tg_buckets_take(&b, k, 10 + k), 1);
	/* Key 0, the oldest, is held once, then refreshed by that. */
	assert_int_equal(tg_buckets_take(&b, 0, 10 + TG_BUCKETS), 0);
	/* Key 1 is now the least recent: the new key replaces it. */
	assert_int_equal(tg_buckets_take(&b, 999, 11 + TG_BUCKETS), 1);
	assert_int_equal(b.held_evicted, 0);
	/* Key 1 comes back with a full bucket, making room of key 2. */
	assert_int_equal(tg_buckets_take(&b, 1, 12 + TG_BUCKETS), 1);
	/* Key 0's held count goes to held_evicted when it makes room. */
	for (k = 3; k < TG_BUCKETS; k++)
		tg_buckets_take(&b, k, 100);
	tg_buckets_take(&b, 999, 100);
	tg_buckets_take(&b, 1, 100);
	assert_int_equal(tg_buckets_take(&b, 5000, 101), 1);
	assert_int_equal(b.held_evicted, 1);
	/* Told once: then nothing new until another is pushed out. */
	assert_int_equal(tg_buckets_evicted(&b), 1);
	assert_int_equal(tg_buckets_evicted(&b), 0);
	assert_int_equal(b.held_evicted, 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_burst_then_rate),
		cmocka_unit_test(test_held_told),
		cmocka_unit_test(test_room),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
