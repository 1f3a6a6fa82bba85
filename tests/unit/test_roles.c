// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests: the role x verb table, every verb from every role, unknown
 * verbs refused; a host process's role from its uid and groups; a
 * tenant's auditors and the view of a restricted viewer.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "common/roles.h"

#define N 0
#define V TG_ROLE_VIEWER
#define O TG_ROLE_OPERATOR
#define A TG_ROLE_ADMIN

/* What each verb needs, written out apart from the table under test. */
static const struct {
	const char *verb;
	int need;
} want[] = {
	{"status", V},
	{"events", V},
	{"events-summary", V},
	{"report", V},
	{"policy-show", V},
	{"reload", O},
	{"tenant", O},
	{"seccomp-listener", O},
	{"run", O},
	{"probe", O},
	{"detach", A},
	{"confirm", O},
	{"break-glass", A},
	{"tenant-retire", A},
	{"tenant-export", A},
	{"tenant-erase", A},
	/* Grants check their callers themselves (support staff have no role).
	 */
	{"grant-request", N},
	{"grant-activate", N},
	{"grant-revoke", N},
	{"grant-shell", N},
	{"approvers-set", N},
	{"grant-list", V},
};

#define N_WANT (sizeof(want) / sizeof(want[0]))

static void test_every_verb_every_role(void **state)
{
	size_t i;
	int r;

	for (i = 0; i < N_WANT; i++) {
		assert_int_equal(tg_verb_role(want[i].verb), want[i].need);
		for (r = TG_ROLE_NONE; r < TG_ROLE_COUNT; r++) {
			int got = tg_authorize(want[i].verb, r);

			if (got != (r >= want[i].need ? 0 : -EACCES))
				fail_msg("%s from %s: %d", want[i].verb,
					 tg_role_name(r), got);
		}
	}
}

/* The table holds exactly the verbs above, each once. */
static void test_table_is_the_list(void **state)
{
	size_t i, j, n = 0;

	for (i = 0; tg_verb_name(i); i++, n++) {
		for (j = 0; j < N_WANT; j++)
			if (!strcmp(tg_verb_name(i), want[j].verb))
				break;
		if (j == N_WANT)
			fail_msg("verb %s not expected", tg_verb_name(i));
		for (j = 0; j < i; j++)
			assert_string_not_equal(tg_verb_name(i),
						tg_verb_name(j));
	}
	assert_int_equal(n, N_WANT);
}

static void test_unknown_verb_refused(void **state)
{
	static const char *const bad[] = {
		"",	 "Status",   "status ",		"reloa",
		"admin", "shutdown", "events --summary"};
	size_t i;
	int r;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		for (r = TG_ROLE_NONE; r < TG_ROLE_COUNT; r++)
			assert_int_equal(tg_authorize(bad[i], r), -ENOENT);
	assert_int_equal(tg_authorize(NULL, TG_ROLE_ADMIN), -ENOENT);
	/* A role out of range is no role. */
	assert_int_equal(tg_authorize("status", TG_ROLE_COUNT), -EACCES);
	assert_int_equal(tg_authorize("status", -1), -EACCES);
}

/* Which verbs the policy may make wait, written out apart from the table. */
static void test_confirmable(void **state)
{
	static const char *const yes[] = {
		"reload",	 "probe",	  "detach",	  "break-glass",
		"tenant-retire", "tenant-export", "tenant-erase",
	};
	size_t i, j, n = 0;
	int want;

	for (i = 0; tg_verb_name(i); i++) {
		want = 0;
		for (j = 0; j < sizeof(yes) / sizeof(yes[0]); j++)
			want |= !strcmp(tg_verb_name(i), yes[j]);
		n += (size_t)want;
		if (tg_verb_confirmable(tg_verb_name(i)) != want)
			fail_msg("%s: confirmable %d", tg_verb_name(i), !want);
		assert_int_equal(tg_verb_index(tg_verb_name(i)), (int)i);
	}
	assert_int_equal(n, sizeof(yes) / sizeof(yes[0]));
	assert_false(tg_verb_confirmable("nosuch"));
	assert_false(tg_verb_confirmable(NULL));
	assert_int_equal(tg_verb_index("nosuch"), -ENOENT);
}

static void test_role_names(void **state)
{
	int r;

	for (r = TG_ROLE_VIEWER; r < TG_ROLE_COUNT; r++)
		assert_int_equal(tg_role_parse(tg_role_name(r)), r);
	assert_string_equal(tg_role_name(TG_ROLE_NONE), "none");
	assert_string_equal(tg_role_name(TG_ROLE_COUNT), "?");
	assert_int_equal(tg_role_parse("none"), -EINVAL);
	assert_int_equal(tg_role_parse("Admin"), -EINVAL);
	assert_int_equal(tg_role_parse(""), -EINVAL);
}

static void add(struct tg_role_groups *m, int r, gid_t gid, int found)
{
	m->v[r][m->n[r]].gid = gid;
	m->v[r][m->n[r]++].found = found;
}

static void test_role_of(void **state)
{
	static struct tg_role_groups m;
	gid_t g[] = {50, 1002, 1003};

	memset(&m, 0, sizeof(m));
	add(&m, V, 1001, 1);
	add(&m, V, 1004, 1);
	add(&m, O, 1002, 1);
	add(&m, A, 1003, 0); /* not resolved: grants nothing */
	add(&m, A, 1005, 1);
	/* Root is admin whatever its groups. */
	assert_int_equal(tg_role_of(&m, 0, 0, NULL, 0), A);
	assert_int_equal(tg_role_of(&m, 0, 4321, NULL, 0), A);
	/* In no group of a role. */
	assert_int_equal(tg_role_of(&m, 1000, 1000, NULL, 0), N);
	assert_int_equal(tg_role_of(&m, 1000, 1000, g, 1), N);
	/* The primary gid counts, a supplementary group too. */
	assert_int_equal(tg_role_of(&m, 1000, 1001, NULL, 0), V);
	assert_int_equal(tg_role_of(&m, 1000, 1000, g + 1, 1), O);
	/* The highest role wins; an unresolved name grants nothing. */
	assert_int_equal(tg_role_of(&m, 1000, 1004, g, 3), O);
	assert_int_equal(tg_role_of(&m, 1000, 1003, NULL, 0), N);
	assert_int_equal(tg_role_of(&m, 1000, 1004, (gid_t[]){1005}, 1), A);
}

/* An auditor by its uid, its primary group or any supplementary group. */
static void test_is_auditor(void **state)
{
	struct tg_auditors a = {
		.uids = {1005}, .n_uids = 1, .gids = {2001, 2002}, .n_gids = 2};
	gid_t g[] = {50, 2002};

	assert_true(tg_is_auditor(&a, 1005, 100, NULL, 0));
	assert_true(tg_is_auditor(&a, 1000, 2001, NULL, 0));
	assert_true(tg_is_auditor(&a, 1000, 100, g, 2));
	assert_false(tg_is_auditor(&a, 1000, 100, g, 1));
	assert_false(tg_is_auditor(&a, 0, 0, NULL, 0));
	/* Entries past the count are not auditors. */
	a.uids[1] = 1006;
	assert_false(tg_is_auditor(&a, 1006, 100, NULL, 0));
	memset(&a, 0, sizeof(a));
	assert_false(tg_is_auditor(&a, 0, 0, (gid_t[]){0}, 1));
}

/* A restricted view holds what was added, once, and nothing else. */
static void test_view(void **state)
{
	static struct tg_view v;
	char name[80];
	unsigned int i;

	memset(&v, 0, sizeof(v));
	assert_false(tg_view_has(&v, "acme"));
	assert_false(tg_view_has(&v, NULL));
	assert_int_equal(tg_view_add(&v, "acme"), 0);
	assert_int_equal(tg_view_add(&v, "acme"), 0);
	assert_int_equal(v.n, 1);
	assert_true(tg_view_has(&v, "acme"));
	assert_false(tg_view_has(&v, "globex"));
	assert_false(tg_view_has(&v, "host"));
	assert_false(tg_view_has(&v, "acm"));
	assert_false(tg_view_has(&v, "acme2"));
	memset(name, 'a', sizeof(name));
	name[TG_VIEW_NAME_MAX] = '\0';
	assert_int_equal(tg_view_add(&v, name), -ENAMETOOLONG);
	for (i = 1; i < TG_VIEW_MAX; i++) {
		snprintf(name, sizeof(name), "t%u", i);
		assert_int_equal(tg_view_add(&v, name), 0);
	}
	assert_int_equal(tg_view_add(&v, "one-more"), -E2BIG);
	assert_false(tg_view_has(&v, "one-more"));
	/* All: every name, host too. */
	v.all = 1;
	assert_true(tg_view_has(&v, "host"));
	assert_true(tg_view_has(&v, "one-more"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_every_verb_every_role),
		cmocka_unit_test(test_table_is_the_list),
		cmocka_unit_test(test_unknown_verb_refused),
		cmocka_unit_test(test_role_names),
		cmocka_unit_test(test_confirmable),
		cmocka_unit_test(test_role_of),
		cmocka_unit_test(test_is_auditor),
		cmocka_unit_test(test_view),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
