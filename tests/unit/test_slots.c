// SPDX-License-Identifier: GPL-2.0
/* Unit tests for common/slots.c: caps per uid and in all. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "common/slots.h"

/* One uid gets per_uid slots, no more; another uid still gets its own. */
static void test_per_uid(void **state)
{
	struct tg_slots s;
	int i;

	tg_slots_init(&s, 3, 10);
	for (i = 0; i < 3; i++)
		assert_int_equal(tg_slots_take(&s, 1000, 100 + i), 0);
	assert_int_equal(tg_slots_take(&s, 1000, 200), -EUSERS);
	assert_int_equal(tg_slots_check(&s, 1000), -EUSERS);
	assert_int_equal(tg_slots_of(&s, 1000), 3);
	assert_int_equal(tg_slots_take(&s, 1001, 300), 0);
	assert_int_equal(s.n, 4);
}

/* max in all, whoever asks; a freed slot is taken again. */
static void test_total_and_free(void **state)
{
	struct tg_slots s;
	unsigned int i;

	tg_slots_init(&s, 2, 4);
	for (i = 0; i < 4; i++)
		assert_int_equal(tg_slots_take(&s, 1000 + i / 2, (int)i), 0);
	assert_int_equal(tg_slots_take(&s, 2000, 9), -EBUSY);
	/* A uid at its own cap is told so first. */
	assert_int_equal(tg_slots_check(&s, 1000), -EUSERS);
	tg_slots_free(&s, 0);
	assert_int_equal(s.n, 3);
	assert_int_equal(s.v[0].handle, 3);
	assert_int_equal(tg_slots_of(&s, 1000), 1);
	assert_int_equal(tg_slots_take(&s, 2000, 9), 0);
	assert_int_equal(tg_slots_take(&s, 2001, 10), -EBUSY);
	tg_slots_free(&s, 7); /* past the end: nothing */
	assert_int_equal(s.n, 4);
}

/* Why a slot is refused: per uid, or in all. */
static void test_why(void **state)
{
	struct tg_slots s;
	char buf[256];

	tg_slots_init(&s, 1, 2);
	assert_int_equal(tg_slots_take(&s, 7, 1), 0);
	tg_slots_why(&s, 7, tg_slots_check(&s, 7), "busy", "streams",
		     "close one first", buf, sizeof(buf));
	assert_string_equal(
		buf,
		"busy: uid 7 has 1 streams already (at most 1 per uid, 2 in all); close one first");
	assert_int_equal(tg_slots_take(&s, 8, 2), 0);
	tg_slots_why(&s, 9, tg_slots_check(&s, 9), "busy", "streams",
		     "close one first", buf, sizeof(buf));
	assert_string_equal(
		buf,
		"busy: 2 streams already (at most 2 in all, 1 per uid); try again later");
}

/* max is bounded by the table. */
static void test_bounded(void **state)
{
	struct tg_slots s;
	unsigned int i;

	tg_slots_init(&s, TG_SLOTS_MAX * 2, TG_SLOTS_MAX * 2);
	assert_int_equal(s.max, TG_SLOTS_MAX);
	for (i = 0; i < TG_SLOTS_MAX; i++)
		assert_int_equal(tg_slots_take(&s, 0, (int)i), 0);
	assert_int_equal(tg_slots_take(&s, 0, 0), -EBUSY);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_per_uid),
		cmocka_unit_test(test_total_and_free),
		cmocka_unit_test(test_why),
		cmocka_unit_test(test_bounded),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
