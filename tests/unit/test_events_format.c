// SPDX-License-Identifier: GPL-2.0
/* Unit tests: tenantguard events (time parsing, the human-readable line). */
#define _GNU_SOURCE
#include <errno.h>
#include <json-c/json.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <cmocka.h>

#include "cli/events.h"

#define NS 1000000000LL

static void test_parse_time(void **state)
{
	__s64 t;

	assert_int_equal(tg_parse_time("2024-05-01T10:00:00Z", &t), 0);
	assert_true(t == 1714557600LL * NS);
	assert_int_equal(tg_parse_time("2024-05-01T10:00:00.123456789Z", &t),
			 0);
	assert_true(t == 1714557600LL * NS + 123456789);
	assert_int_equal(tg_parse_time("2024-05-01t10:00:00.5z", &t), 0);
	assert_true(t == 1714557600LL * NS + 500000000);
	/* Offsets: 12:00+02:00 is 10:00 UTC. */
	assert_int_equal(tg_parse_time("2024-05-01T12:00:00+02:00", &t), 0);
	assert_true(t == 1714557600LL * NS);
	assert_int_equal(tg_parse_time("2024-05-01T08:30:00-01:30", &t), 0);
	assert_true(t == 1714557600LL * NS);
	assert_int_equal(tg_parse_time("2024-05-01", &t), 0);
	assert_true(t == 1714521600LL * NS);
	/* More than nanoseconds: the rest is ignored. */
	assert_int_equal(tg_parse_time("2024-05-01T10:00:00.1234567891Z", &t),
			 0);
	assert_true(t == 1714557600LL * NS + 123456789);
	/* Beyond 2262 nanoseconds overflow: as late as can be. */
	assert_int_equal(tg_parse_time("2999-01-01T00:00:00Z", &t), 0);
	assert_true(t == INT64_MAX);
	static const char *bad[] = {
		"",
		"2024",
		"2024-05-01T10:00:00",
		"2024-05-01T10:00Z",
		"2024-02-31T10:00:00Z",
		"2024-13-01",
		"2024-05-01T24:00:00Z",
		"2024-05-01T10:00:00.Z",
		"2024-05-01T10:00:00Zjunk",
		"2024-05-01T10:00:00+2:00",
		"1969-12-31",
		"yesterday",
		"2024-05-01T10:00:00+25:00",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		t = 42;
		assert_int_equal(tg_parse_time(bad[i], &t), -EINVAL);
		assert_true(t == 42);
	}
}

static void test_parse_since(void **state)
{
	__s64 now = 1714557600LL * NS, t;

	assert_int_equal(tg_parse_when("10m", now, &t), 0);
	assert_true(t == now - 600 * NS);
	assert_int_equal(tg_parse_when("2h", now, &t), 0);
	assert_true(t == now - 7200 * NS);
	assert_int_equal(tg_parse_when("90s", now, &t), 0);
	assert_true(t == now - 90 * NS);
	assert_int_equal(tg_parse_when("1d", now, &t), 0);
	assert_true(t == now - 86400 * NS);
	assert_int_equal(tg_parse_when("1w", now, &t), 0);
	assert_true(t == now - 7 * 86400 * NS);
	assert_int_equal(tg_parse_when("0s", now, &t), 0);
	assert_true(t == now);
	assert_int_equal(tg_parse_when("2024-05-01T09:00:00Z", now, &t), 0);
	assert_true(t == now - 3600 * NS);
	static const char *bad[] = {"10",
				    "m",
				    "10mm",
				    "1x",
				    "h1",
				    "1h ago ago",
				    "--5m",
				    "ago",
				    " ago",
				    "1h30",
				    "99999999999999999999s",
				    "100000000w",
				    "2026-13-01",
				    "2026-02-30 10:00",
				    "2026-12-07 25:00",
				    "2026-12-07 10",
				    "10:61",
				    "@",
				    "@12x",
				    "Yesterday",
				    ""};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		t = 42;
		assert_int_equal(tg_parse_when(bad[i], now, &t), -EINVAL);
		assert_true(t == 42);
	}
}

/* Each form of forms (n) read against now as it wants. */
struct when_case {
	const char *s;
	__s64 want;
};

static void check_when(const struct when_case *forms, size_t n, __s64 now)
{
	__s64 t;
	size_t i;

	for (i = 0; i < n; i++) {
		t = 42;
		if (tg_parse_when(forms[i].s, now, &t) || t != forms[i].want)
			fail_msg("'%s': %lld, not %lld", forms[i].s,
				 (long long)t, (long long)forms[i].want);
	}
}

/* Each form journalctl takes, against a fixed now, in two time zones. */
static void test_parse_when(void **state)
{
	/* 2026-12-07T04:30:00Z */
	const __s64 now = 1796617800LL * NS, day = 86400 * NS, h = 3600 * NS;
	const __s64 midnight = now - (4 * 3600 + 1800) * NS; /* UTC */
	const struct when_case utc[] = {
		{"now", now},
		{"today", midnight},
		{"yesterday", midnight - day},
		{"tomorrow", midnight + day},
		/* Spans back: bare, "-", "ago"; ahead: "+", "left". */
		{"-1h30m", now - 5400 * NS},
		{"1h30m ago", now - 5400 * NS},
		{"1h30m", now - 5400 * NS},
		{"1 hour 30 min ago", now - 5400 * NS},
		{"2days 3hours", now - 2 * day - 3 * h},
		{"+10m", now + 600 * NS},
		{"10min left", now + 600 * NS},
		{"1y", now - 31557600LL * NS},
		{"1M", now - 2629800LL * NS},
		/* Local times (here UTC), RFC 3339, seconds since the epoch. */
		{"2026-12-07 10:00", midnight + 10 * h},
		{"2026-12-07 10:00:30", midnight + 10 * h + 30 * NS},
		{"2026-12-06", midnight - day},
		{"03:15", midnight + 3 * h + 900 * NS},
		{"2026-12-07T01:00:00+02:00", midnight - h},
		{"@1796617800", now},
	};
	/* Five hours behind UTC: local midnight and times move, the rest not.
	 */
	const struct when_case est[] = {
		{"today", midnight - day + 5 * h}, /* 6 Dec, local */
		{"2026-12-07 10:00", midnight + 15 * h},
		{"2026-12-07T10:00:00Z", midnight + 10 * h},
		{"-1h", now - h},
	};

	setenv("TZ", "UTC0", 1);
	tzset();
	check_when(utc, sizeof(utc) / sizeof(utc[0]), now);
	setenv("TZ", "EST5", 1);
	tzset();
	check_when(est, sizeof(est) / sizeof(est[0]), now);
	setenv("TZ", "UTC0", 1);
	tzset();
}

static char *render(const char *json, int colour)
{
	static char buf[8192];
	struct tg_events_cols w = TG_EVENTS_COLS_DEFAULT;
	struct json_object *o = json_tokener_parse(json);
	FILE *f = fmemopen(buf, sizeof(buf), "w");

	assert_non_null(o);
	assert_non_null(f);
	tg_events_print_human(f, o, &w, colour);
	fclose(f);
	json_object_put(o);
	return buf;
}

/* Terminal escapes and newlines in comm or path never reach the terminal. */
static void test_human_hostile(void **state)
{
	char *s = render(
		"{\"seq\":7,\"time\":\"2024-05-01T10:00:00.123456789Z\","
		"\"kind\":\"file\",\"verdict\":\"deny\",\"tenant\":\"globex\","
		"\"target_tenant\":\"acme\",\"op\":\"open\",\"pid\":9,"
		"\"comm\":\"a\\u001b]0;x\\u0007b\",\"path\":\"/srv/a\\nb\\u007f\"}",
		0);
	size_t i;

	assert_string_equal(
		s,
		"7         2024-05-01T10:00:00.123Z file    deny    globex       -> "
		"acme         open         9       a\\x1b]0;x\\x07b  "
		"/srv/a\\x0ab\\x7f\n");
	for (i = 0; i + 1 < strlen(s); i++)
		assert_true((unsigned char)s[i] >= 0x20);
}

/* Characters that reorder or hide text are shown as escapes, not obeyed. */
static void test_escape_hidden(void **state)
{
	char out[256];

	/* U+202E RIGHT-TO-LEFT OVERRIDE, U+2066 LRI, U+200B, U+FEFF. */
	tg_events_escape(out, sizeof(out),
			 "evil\xe2\x80\xaegpj.exe \xe2\x81\xa6x\xe2\x80\x8by"
			 "\xef\xbb\xbf");
	assert_string_equal(out, "evil\\u202egpj.exe \\u2066x\\u200by\\ufeff");
	/* C0, DEL, C1 (U+009B, a CSI on some terminals), a raw 0x9b byte. */
	tg_events_escape(out, sizeof(out),
			 "a\x1b[2Jb\x7f\xc2\x9b"
			 "c\x9b");
	assert_string_equal(out, "a\\x1b[2Jb\\x7f\\u009bc\\x9b");
	/* A backslash is doubled: "\x1b" typed as text stays told apart. */
	tg_events_escape(out, sizeof(out), "a\\x1b\x1b");
	assert_string_equal(out, "a\\\\x1b\\x1b");
	/* Other non-ASCII text is kept as it is. */
	tg_events_escape(out, sizeof(out), "caf\xc3\xa9 \xd7\xa9\xd7\x9c");
	assert_string_equal(out, "caf\xc3\xa9 \xd7\xa9\xd7\x9c");
	/* Cut before an escape that does not fit, never inside one. */
	tg_events_escape(out, 8, "abcd\xe2\x80\xae");
	assert_string_equal(out, "abcd");
	tg_events_escape(out, 11, "abcd\xe2\x80\xae");
	assert_string_equal(out, "abcd\\u202e");
}

/* --json: the same values, escaped so a terminal obeys none of them. */
static void test_json_hidden(void **state)
{
	static const char line[] = "{\"comm\":\"a\xe2\x80\xae"
				   "b\",\"path\":\"/x\\\"\\u001b\xc2\x85"
				   "\xff\",\"n\":1}";
	char buf[512];
	FILE *f = fmemopen(buf, sizeof(buf), "w");
	struct json_object *o, *v;
	size_t i;

	assert_non_null(f);
	tg_events_print_json(f, line, sizeof(line) - 1);
	fclose(f);
	assert_string_equal(buf, "{\"comm\":\"a\\u202eb\",\"path\":"
				 "\"/x\\\"\\u001b\\u0085\\ufffd\",\"n\":1}\n");
	for (i = 0; i + 1 < strlen(buf); i++)
		assert_true((unsigned char)buf[i] >= 0x20 &&
			    (unsigned char)buf[i] < 0x7f);
	o = json_tokener_parse(buf);
	assert_non_null(o);
	assert_true(json_object_object_get_ex(o, "comm", &v));
	assert_string_equal(json_object_get_string(v), "a\xe2\x80\xae"
						       "b");
	assert_true(json_object_object_get_ex(o, "path", &v));
	assert_string_equal(json_object_get_string(v),
			    "/x\"\x1b\xc2\x85\xef\xbf\xbd");
	json_object_put(o);
}

/* A guard event names its check and what it refused. */
static void test_human_guard(void **state)
{
	char *s = render(
		"{\"seq\":1,\"kind\":\"guard\",\"verdict\":\"deny\","
		"\"op\":\"kill\",\"check\":\"signal\",\"target_pid\":301}",
		0);

	assert_non_null(strstr(s, "signal: pid 301\n"));
	s = render("{\"seq\":1,\"kind\":\"guard\",\"verdict\":\"deny\","
		   "\"op\":\"capable\",\"check\":\"capability\","
		   "\"capability\":\"CAP_SYS_MODULE\",\"cap\":16}",
		   0);
	assert_non_null(strstr(s, "capability: CAP_SYS_MODULE\n"));
	s = render("{\"seq\":1,\"kind\":\"guard\",\"verdict\":\"deny\","
		   "\"op\":\"unlink\",\"check\":\"path\","
		   "\"path\":\"/var/log/tenantguard/events.jsonl\"}",
		   0);
	assert_non_null(strstr(s, "path: /var/log/tenantguard/events.jsonl\n"));
}

static void test_human_colour_and_net(void **state)
{
	char *s = render(
		"{\"seq\":1,\"time\":\"t\",\"kind\":\"net\",\"verdict\":\"deny\","
		"\"tenant\":\"g\",\"target_tenant\":\"a\",\"op\":\"connect\","
		"\"pid\":1,\"comm\":\"c\",\"proto\":\"tcp\",\"addr\":\"::1\","
		"\"port\":80}",
		1);

	assert_non_null(strstr(s, "\033[31mdeny\033[0m"));
	assert_non_null(strstr(s, "tcp [::1]:80\n"));
	s = render(
		"{\"seq\":1,\"kind\":\"agent\",\"verdict\":\"allow\",\"op\":\"drop\","
		"\"message\":\"3 events dropped\"}",
		1);
	/* A loss has no verdict of its own: "-", never allow. */
	assert_non_null(strstr(s, "\033[1;35m-\033[0m"));
	assert_non_null(strstr(s, "3 events dropped\n"));
	s = render(
		"{\"seq\":1,\"kind\":\"agent\",\"verdict\":\"allow\",\"op\":\"drop\"}",
		0);
	assert_null(strchr(s, '\033'));
}

/* Columns never drift: a long value is cut with a visible mark. */
static void test_human_fixed_columns(void **state)
{
	char *s = render(
		"{\"seq\":123456,\"time\":\"2024-05-01T10:00:00.5Z\","
		"\"kind\":\"unix\",\"verdict\":\"deny\",\"tenant\":"
		"\"initech-with-a-long-name\",\"target_tenant\":\"acme\","
		"\"op\":\"connect\",\"pid\":12,\"comm\":\"a-very-long-command\","
		"\"path\":\"/srv/acme/sock\"}",
		0);

	assert_string_equal(s, "123456    2024-05-01T10:00:00.5Z   unix    "
			       "deny    initech-wit\u2026 -> acme         "
			       "connect      12      a-very-long-co\u2026 "
			       "/srv/acme/sock\n");
	/* The header over the same columns. */
	{
		static char buf[512];
		struct tg_events_cols w = TG_EVENTS_COLS_DEFAULT;
		FILE *f = fmemopen(buf, sizeof(buf), "w");

		tg_events_print_header(f, &w, 0);
		fclose(f);
		/* Byte offsets: each cut mark is 3 bytes, one column. */
		assert_int_equal(strstr(buf, "TARGET") - buf,
				 strstr(s, "acme") - s - 2);
		assert_int_equal(strstr(buf, "DETAIL") - buf,
				 strstr(s, "/srv") - s - 2 * 2);
	}
}

/* A suppressed summary: the kind, op and verdict it counts, and how many. */
static void test_human_suppressed(void **state)
{
	char *s = render(
		"{\"seq\":3,\"time\":\"2026-12-07T09:00:00Z\",\"kind\":\"agent\","
		"\"verdict\":\"allow\",\"tenant\":\"globex\",\"target_tenant\":"
		"\"host\",\"op\":\"suppressed\",\"event_kind\":\"net\","
		"\"event_op\":\"connect\",\"event_verdict\":\"deny\","
		"\"suppressed\":912,\"window_start\":\"a\",\"window_end\":\"b\"}",
		0);

	assert_string_equal(s, "3         2026-12-07T09:00:00Z     net     "
			       "deny    globex       -> host         connect  "
			       "    -       -               suppressed: 912 "
			       "more by the rate limit, a to b\n");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_time),
		cmocka_unit_test(test_parse_since),
		cmocka_unit_test(test_parse_when),
		cmocka_unit_test(test_human_hostile),
		cmocka_unit_test(test_human_fixed_columns),
		cmocka_unit_test(test_human_suppressed),
		cmocka_unit_test(test_escape_hidden),
		cmocka_unit_test(test_json_hidden),
		cmocka_unit_test(test_human_guard),
		cmocka_unit_test(test_human_colour_and_net),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
