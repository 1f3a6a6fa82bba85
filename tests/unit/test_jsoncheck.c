// SPDX-License-Identifier: GPL-2.0
/* Unit tests: the strict JSON check of payloads the collector stores as is. */
#define _GNU_SOURCE
#include <errno.h>
#include <json-c/json.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "collector/jsoncheck.h"

static const char *const reserved[] = {"seq", "agent_stream", "agent_seq",
				       "chain", NULL};

static const char *check(const char *s)
{
	static char why[128];
	int err = tg_json_check_object(s, strlen(s), 8, reserved, why,
				       sizeof(why));

	if (!err)
		return NULL;
	assert_int_equal(err, -EINVAL);
	assert_true(why[0] != '\0');
	return why;
}

static void test_valid(void **state)
{
	static const char *ok[] = {
		"{}",
		"{\"a\":1}",
		"{\"a\":-0.5e+10,\"b\":0,\"c\":1E3,\"d\":-0,\"e\":12.25}",
		"{\"s\":\"x\\\"\\\\\\/\\b\\f\\n\\r\\t\\u0000\\u00e9\\ud83d\\ude00\"}",
		"{\"utf8\":\"\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\",\"del\":\"\x7f\"}",
		"{ \"a\" : [ 1 , 2 , { \"b\" : null } ] ,\t\"c\":true,\"d\":false}",
		"{\"a\":[],\"b\":{},\"c\":[[[[[[1]]]]]]}",
		"{\"sequence\":1,\"agent\":2,\"x\":{\"seq\":3}}",
		"{\"a\":1e999}",
	};
	size_t i;

	for (i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		const char *why = check(ok[i]);

		if (why)
			fail_msg("%s: %s", ok[i], why);
		/* json-c agrees it is one object. */
		struct json_object *o = json_tokener_parse(ok[i]);

		assert_non_null(o);
		json_object_put(o);
	}
}

static void test_invalid(void **state)
{
	static const struct {
		const char *in, *why;
	} bad[] = {
		{"", "payload is not one JSON object"},
		{"[1]", "payload is not one JSON object"},
		{" {}", "payload is not one JSON object"},
		{"{} ", "payload is not one JSON object"},
		{"{}{}", "payload is not one JSON object"},
		{"{\"a\":1}\n", "payload holds a line break"},
		{"{\"a\":\"x\ny\"}", "payload holds a line break"},
		{"{\"a\":1,\r\"b\":2}", "payload holds a line break"},
		{"{\"a\":\"x\ty\"}",
		 "payload holds a raw control character in a string"},
		{"{\"a\":\"\x01\"}",
		 "payload holds a raw control character in a string"},
		{"{\"a\":NaN}", "payload holds a number JSON cannot express"},
		{"{\"a\":-Infinity}",
		 "payload holds a number JSON cannot express"},
		{"{\"a\":Infinity}",
		 "payload holds a number JSON cannot express"},
		{"{\"a\":1.}", "payload is not valid JSON: bad number"},
		{"{\"a\":.5}", "payload is not valid JSON: value expected"},
		{"{\"a\":01}",
		 "payload is not valid JSON: ',' or '}' expected"},
		{"{\"a\":+1}", "payload is not valid JSON: value expected"},
		{"{\"a\":1e}", "payload is not valid JSON: bad number"},
		{"{\"a\":-}", "payload is not valid JSON: bad number"},
		{"{\"a\":tru}", "payload is not valid JSON"},
		{"{\"a\":1,}", "payload is not valid JSON: key expected"},
		{"{\"a\" 1}", "payload is not valid JSON: ':' expected"},
		{"{a:1}", "payload is not valid JSON: key expected"},
		{"{'a':1}", "payload is not valid JSON: key expected"},
		{"{\"a\":[1,]}", "payload is not valid JSON: value expected"},
		{"{\"a\":\"x}",
		 "payload is not valid JSON: unterminated string"},
		{"{\"a\":\"\\x\"}", "payload is not valid JSON: bad escape"},
		{"{\"a\":\"\\u12\"}",
		 "payload is not valid JSON: bad \\u escape"},
		{"{\"a\":\"\\ud800\"}",
		 "payload holds a lone surrogate escape"},
		{"{\"a\":\"\\udc00\"}",
		 "payload holds a lone surrogate escape"},
		{"{\"a\":\"\\ud800\\u0041\"}",
		 "payload holds a lone surrogate escape"},
		{"{\"a\":\"\xff\"}", "payload is not valid UTF-8"},
		{"{\"a\":\"\xc0\xaf\"}", "payload is not valid UTF-8"},
		{"{\"a\":\"\xed\xa0\x80\"}", "payload is not valid UTF-8"},
		{"{\"a\":\"\xf4\x90\x80\x80\"}", "payload is not valid UTF-8"},
		{"{\"a\":\"\xe2\x82\"}", "payload is not valid UTF-8"},
		{"{\"\xff\":1}", "payload is not valid UTF-8"},
		{"{\"a\":[[[[[[[[1]]]]]]]]}", "payload nests too deep"},
		{"{\"seq\":1}",
		 "payload must not carry seq, chain, agent_stream or agent_seq"},
		{"{\"a\":1,\"agent_seq\":1}",
		 "payload must not carry seq, chain, agent_stream or agent_seq"},
		{"{\"\\u0073eq\":1}",
		 "payload must not carry seq, chain, agent_stream or agent_seq"},
		{"{\"agent\\u005fstream\":\"x\"}",
		 "payload must not carry seq, chain, agent_stream or agent_seq"},
		{"{\"a\":1,\"chain\":\"00\"}",
		 "payload must not carry seq, chain, agent_stream or agent_seq"},
		{"{\"tenant\":\"a\",\"tenant\":\"b\"}",
		 "payload holds a key twice"},
		{"{\"k\":1,\"\\u006b\":2}", "payload holds a key twice"},
		{"{\"a\":1", "payload is not valid JSON: ',' or '}' expected"},
		{"{\"a\":\0}", "payload is not valid JSON: value expected"},
	};
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		const char *why = check(bad[i].in);

		if (!why)
			fail_msg("accepted: %s", bad[i].in);
		if (strcmp(why, bad[i].why))
			fail_msg("%s: '%s', expected '%s'", bad[i].in, why,
				 bad[i].why);
	}
}

/* An embedded NUL byte (the payload is counted, not NUL-terminated). */
static void test_nul_and_limits(void **state)
{
	char why[128] = "";
	char big[20000];
	int i, n = 0;

	assert_int_equal(tg_json_check_object("{\"a\":\"x\0y\"}", 11, 8,
					      reserved, why, sizeof(why)),
			 -EINVAL);
	assert_string_equal(
		why, "payload holds a raw control character in a string");
	/* Many keys: refused past the limit, not slow. */
	n += sprintf(big + n, "{");
	for (i = 0; i < 300; i++)
		n += sprintf(big + n, "%s\"k%d\":1", i ? "," : "", i);
	n += sprintf(big + n, "}");
	assert_int_equal(tg_json_check_object(big, (size_t)n, 8, reserved, why,
					      sizeof(why)),
			 -EINVAL);
	assert_string_equal(why, "payload has too many keys");
	/* Long keys differing late are told apart; the same twice is not. */
	n = sprintf(big, "{\"%080d\":1,\"%079d1\":2}", 0, 0);
	assert_int_equal(tg_json_check_object(big, (size_t)n, 8, reserved, why,
					      sizeof(why)),
			 0);
	n = sprintf(big, "{\"%080d\":1,\"%080d\":2}", 0, 0);
	assert_int_equal(tg_json_check_object(big, (size_t)n, 8, reserved, why,
					      sizeof(why)),
			 -EINVAL);
	assert_string_equal(why, "payload holds a key twice");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_valid),
		cmocka_unit_test(test_invalid),
		cmocka_unit_test(test_nul_and_limits),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
