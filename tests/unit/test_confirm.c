// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests: the store of requests waiting for a second person. Who may
 * confirm (every combination of login uid and role), once only, within
 * the window; a request without a login uid cannot wait; the store's
 * bound; expiry.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "common/confirm.h"
#include "common/roles.h"

/* A request made at t (ms) for verb, by login uid lu, for 10 s. */
static struct tg_confirm_req req(const char *id, const char *verb, long lu,
				 long long t)
{
	struct tg_confirm_req r = {
		.loginuid = lu, .made_ms = t, .expires_ms = t + 10000};

	snprintf(r.id, sizeof(r.id), "%s", id);
	snprintf(r.verb, sizeof(r.verb), "%s", verb);
	r.role = tg_verb_role(verb);
	return r;
}

/*
 * Every confirmer login uid (none, the asker's, another) and role against
 * a request of each role: only another login uid with the role or more
 * takes it; every other answer leaves it waiting.
 */
static void test_who_may_confirm(void **state)
{
	static const char *const verbs[] = {"reload", "detach"};
	static const long lus[] = {-1, 1000, 1001};
	struct tg_confirm_store s = {};
	struct tg_confirm_req r, out;
	size_t v, l;
	int role, want, got;

	for (v = 0; v < 2; v++)
		for (l = 0; l < 3; l++)
			for (role = TG_ROLE_NONE; role < TG_ROLE_COUNT;
			     role++) {
				r = req("00112233aabbccdd", verbs[v], 1000,
					100);
				assert_int_equal(tg_confirm_add(&s, &r, 100),
						 0);
				want = lus[l] < 0	? -EPERM
				       : lus[l] == 1000 ? -EBUSY
				       : role < r.role	? -EACCES
							: 0;
				got = tg_confirm_take(&s, r.id, 2000, lus[l],
						      role, 200, &out);
				if (got != want)
					fail_msg(
						"%s by login uid %ld as %s: %d, want %d",
						verbs[v], lus[l],
						tg_role_name(role), got, want);
				assert_string_equal(out.verb, verbs[v]);
				assert_int_equal(out.loginuid, 1000);
				/* Taken once; else still waiting. */
				assert_int_equal(s.n, want ? 1u : 0u);
				tg_confirm_free(&s);
			}
}

/* Confirmed once: a second confirmation finds nothing. */
static void test_once(void **state)
{
	struct tg_confirm_store s = {};
	struct tg_confirm_req r = req("0123456789abcdef", "reload", 7, 0), out;

	assert_int_equal(tg_confirm_add(&s, &r, 0), 0);
	assert_int_equal(tg_confirm_add(&s, &r, 0), -EEXIST);
	assert_int_equal(
		tg_confirm_take(&s, r.id, 2000, 8, TG_ROLE_OPERATOR, 1, &out),
		0);
	assert_int_equal(
		tg_confirm_take(&s, r.id, 2000, 9, TG_ROLE_ADMIN, 2, &out),
		-ENOENT);
	assert_int_equal(
		tg_confirm_take(&s, "nosuch", 2000, 9, TG_ROLE_ADMIN, 2, &out),
		-ENOENT);
	assert_int_equal(
		tg_confirm_take(&s, NULL, 2000, 9, TG_ROLE_ADMIN, 2, &out),
		-ENOENT);
}

/*
 * The window: at its last millisecond a confirmation works; after it the
 * request is told expired once, then forgotten.
 */
static void test_window(void **state)
{
	struct tg_confirm_store s = {};
	struct tg_confirm_req r = req("aaaaaaaaaaaaaaaa", "detach", 1, 0), out;

	assert_int_equal(tg_confirm_add(&s, &r, 0), 0);
	assert_int_equal(
		tg_confirm_take(&s, r.id, 2000, 2, TG_ROLE_ADMIN, 10000, &out),
		0);
	assert_int_equal(tg_confirm_add(&s, &r, 0), 0);
	assert_int_equal(
		tg_confirm_take(&s, r.id, 2000, 2, TG_ROLE_ADMIN, 10001, &out),
		-ETIME);
	assert_string_equal(out.verb, "detach");
	assert_int_equal(
		tg_confirm_take(&s, r.id, 2000, 2, TG_ROLE_ADMIN, 10001, &out),
		-ENOENT);
	/* Even a refused confirmer learns it expired, and it goes. */
	assert_int_equal(tg_confirm_add(&s, &r, 0), 0);
	assert_int_equal(
		tg_confirm_take(&s, r.id, 2000, 1, TG_ROLE_NONE, 20000, &out),
		-ETIME);
	assert_int_equal(s.n, 0);
}

/*
 * One account is one person: the asker's uid (not 0) with another login
 * uid cannot confirm; two admins through sudo (uid 0 both, login uids
 * apart) can.
 */
static void test_same_uid(void **state)
{
	struct tg_confirm_store s = {};
	struct tg_confirm_req r = req("cccccccccccccccc", "reload", 1000, 0),
			      out;

	r.uid = 1000;
	assert_int_equal(tg_confirm_add(&s, &r, 0), 0);
	assert_int_equal(
		tg_confirm_take(&s, r.id, 1000, 1001, TG_ROLE_ADMIN, 1, &out),
		-EBUSY);
	assert_int_equal(
		tg_confirm_take(&s, r.id, 1001, 1001, TG_ROLE_ADMIN, 1, &out),
		0);
	r.uid = 0;
	assert_int_equal(tg_confirm_add(&s, &r, 0), 0);
	assert_int_equal(
		tg_confirm_take(&s, r.id, 0, 1001, TG_ROLE_ADMIN, 1, &out), 0);
}

/* One person cannot fill the store: 8 waiting each. */
static void test_per_person(void **state)
{
	struct tg_confirm_store s = {};
	struct tg_confirm_req r;
	char id[32];
	int i;

	for (i = 0; i < TG_CONFIRM_PER_PERSON; i++) {
		snprintf(id, sizeof(id), "%016x", i);
		r = req(id, "reload", 5, 0);
		assert_int_equal(tg_confirm_add(&s, &r, 0), 0);
	}
	r = req("ffffffffffffffff", "reload", 5, 0);
	assert_int_equal(tg_confirm_add(&s, &r, 0), -ENOSPC);
	r = req("eeeeeeeeeeeeeeee", "reload", 6, 0);
	assert_int_equal(tg_confirm_add(&s, &r, 0), 0);
	tg_confirm_free(&s);
}

/* Without a login uid nobody could be told apart from the asker. */
static void test_no_login_uid(void **state)
{
	struct tg_confirm_store s = {};
	struct tg_confirm_req r = req("bbbbbbbbbbbbbbbb", "reload", -1, 0);

	assert_int_equal(tg_confirm_add(&s, &r, 0), -EPERM);
	assert_int_equal(s.n, 0);
}

/* At most TG_CONFIRM_MAX wait; the expired ones make room. */
static void test_bound(void **state)
{
	struct tg_confirm_store s = {};
	struct tg_confirm_req r;
	char id[32];
	int i;

	for (i = 0; i < TG_CONFIRM_MAX; i++) {
		snprintf(id, sizeof(id), "%016x", i);
		r = req(id, "reload", 100 + i, i);
		assert_int_equal(tg_confirm_add(&s, &r, i), 0);
	}
	r = req("ffffffffffffffff", "reload", 5, 100);
	assert_int_equal(tg_confirm_add(&s, &r, 100), -ENOSPC);
	/* The first two expire (made at 0 and 1, for 10 s). */
	assert_int_equal(tg_confirm_add(&s, &r, 10002), 0);
	assert_int_equal(s.n, TG_CONFIRM_MAX - 1);
	assert_int_equal(tg_confirm_expire(&s, 1000000), TG_CONFIRM_MAX - 1);
	assert_int_equal(s.n, 0);
	tg_confirm_free(&s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_who_may_confirm),
		cmocka_unit_test(test_once),
		cmocka_unit_test(test_window),
		cmocka_unit_test(test_no_login_uid),
		cmocka_unit_test(test_same_uid),
		cmocka_unit_test(test_per_person),
		cmocka_unit_test(test_bound),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
