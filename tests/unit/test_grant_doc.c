// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests: grant documents. The fixed request is built and must give
 * exactly its canonical bytes; parsing takes those bytes back and refuses,
 * each with its own message, every other form of them.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "common/grant_doc.h"
#include "common/grant_key.h"
#include "grant_vectors.h"

static void test_serialise_fixed(void **state)
{
	char err[TG_GRANT_ERR_MAX] = "", *out = NULL;
	struct tg_grant_request r;
	size_t len = 0;

	vec_request(&r);
	assert_int_equal(
		tg_grant_request_serialise(&r, &out, &len, err, sizeof(err)),
		0);
	assert_int_equal(len, strlen(VEC_REQUEST));
	assert_memory_equal(out, VEC_REQUEST, len);
	free(out);
	tg_grant_request_free(&r);
}

static void test_parse_fixed(void **state)
{
	char err[TG_GRANT_ERR_MAX] = "";
	struct tg_grant_request r;
	char *nl = NULL;

	assert_int_equal(tg_grant_request_parse(VEC_REQUEST,
						strlen(VEC_REQUEST), &r, err,
						sizeof(err)),
			 0);
	assert_string_equal(r.id, "00112233445566778899aabbccddeeff");
	assert_string_equal(r.tenant, "acme");
	assert_int_equal(r.login_uid, 1000);
	assert_string_equal(r.user, "alice");
	assert_int_equal(r.ops, TG_GRANT_OP_READ | TG_GRANT_OP_WRITE);
	assert_int_equal(r.n_paths, 2);
	assert_string_equal(r.paths[0], "/srv/tenants/acme/db");
	assert_string_equal(r.paths[1], "/srv/tenants/acme/logs");
	assert_int_equal(r.duration, 7200);
	assert_string_equal(r.reason, "ticket \"42\" \\ disk");
	assert_int_equal(r.created, 1700000000);
	assert_int_equal(r.activate_by, 1700003600);
	assert_string_equal(r.host, VEC_HOST);
	assert_string_equal(r.boot_id, VEC_BOOT);
	tg_grant_request_free(&r);
	/* A file's one trailing newline is no part of the document. */
	assert_true(asprintf(&nl, "%s\n", VEC_REQUEST) > 0);
	assert_int_equal(
		tg_grant_request_parse(nl, strlen(nl), &r, err, sizeof(err)),
		0);
	tg_grant_request_free(&r);
	free(nl);
}

/* VEC_REQUEST with from replaced by to must be refused with want in err. */
static void refused(const char *from, const char *to, const char *want)
{
	char err[TG_GRANT_ERR_MAX] = "", *doc, *at;
	struct tg_grant_request r;
	size_t n;

	at = strstr(VEC_REQUEST, from);
	if (!at)
		fail_msg("'%s' not in the vector", from);
	n = (size_t)(at - VEC_REQUEST);
	assert_true(asprintf(&doc, "%.*s%s%s", (int)n, VEC_REQUEST, to,
			     at + strlen(from)) > 0);
	assert_int_equal(
		tg_grant_request_parse(doc, strlen(doc), &r, err, sizeof(err)),
		-EINVAL);
	if (!strstr(err, want))
		fail_msg("%s -> %s:\n  got  %s\n  want %s", from, to, err,
			 want);
	assert_null(r.paths);
	free(doc);
}

static void test_parse_refusals(void **state)
{
	refused("\"tenant\":\"acme\",\"type\":\"tenantguard-grant-request\"",
		"\"type\":\"tenantguard-grant-request\",\"tenant\":\"acme\"",
		"not in canonical form");
	refused("\"version\":1}", "\"version\":1,\"zzz\":1}",
		"unknown field 'zzz'");
	refused("\"user\":\"alice\",", "", "missing field 'user'");
	refused("\"login_uid\":1000", "\"login_uid\":\"1000\"",
		"login_uid: not an integer");
	refused("\"ops\":[\"read\",\"write\"]", "\"ops\":\"read\"",
		"ops: not an array");
	refused("\"ops\":[\"read\",\"write\"]", "\"ops\":[\"read\",1]",
		"ops: an entry is not a string");
	refused("\"ops\":[\"read\",\"write\"]", "\"ops\":[\"read\",\"root\"]",
		"ops: unknown op 'root'");
	refused("\"ops\":[\"read\",\"write\"]", "\"ops\":[\"write\",\"read\"]",
		"not in canonical form");
	refused("\"ops\":[\"read\",\"write\"]", "\"ops\":[]", "ops: none");
	refused("\"ops\":[\"read\",\"write\"]", "\"ops\":[\"connect\"]",
		"paths: given without a file op");
	refused("\"paths\":[\"/srv/tenants/acme/db\",",
		"\"paths\":[\"/srv/tenants/acme/x/\",", "not an absolute");
	refused("\"paths\":[\"/srv/tenants/acme/db\",\"/srv/tenants/acme/logs\"]",
		"\"paths\":[\"/srv/tenants/acme/logs\",\"/srv/tenants/acme/db\"]",
		"paths: not sorted and distinct");
	refused("\"paths\":[\"/srv/tenants/acme/db\",\"/srv/tenants/acme/logs\"]",
		"\"paths\":[]", "paths: empty");
	refused("\"duration\":7200", "\"duration\":28801",
		"duration: 28801 s is out of 1..28800");
	refused("\"duration\":7200", "\"duration\":0", "duration: 0 s");
	refused("\"duration\":7200", "\"duration\":7200.0",
		"duration: not an integer");
	refused("\"duration\":7200", "\"duration\":-1", "duration: out of");
	refused("\"duration\":7200", "\"duration\":07200", "not JSON");
	refused("\"created\":1700000000", "\"created\":1700000000 ",
		"not in canonical form (differs at byte 95:");
	refused("{\"activate_by\"", "{ \"activate_by\"",
		"not in canonical form");
	refused("\"user\":\"alice\"", "\"user\":\"\\u0061lice\"",
		"not in canonical form");
	refused("\"user\":\"alice\"", "\"user\":\"alice\",\"user\":\"alice\"",
		"not in canonical form");
	refused("\"reason\":\"ticket ", "\"reason\":\"\\nticket ",
		"reason: empty, or not UTF-8");
	refused("\"version\":1", "\"version\":2", "version: 2 is not 1");
	refused("grant-request", "grant-approval",
		"type: 'tenantguard-grant-approval', not 'tenantguard-grant-request'");
	refused("\"boot_id\":\"6a1b", "\"boot_id\":\"6A1B",
		"boot_id: not a lowercase UUID");
	refused("\"id\":\"0011", "\"id\":\"11", "id: not 32 lowercase hex");
	refused("\"activate_by\":1700003600", "\"activate_by\":1700000000",
		"activate_by: not within 7 days after created");
	refused("\"login_uid\":1000", "\"login_uid\":4294967295",
		"login_uid: unset");
	refused("\"login_uid\":1000", "\"login_uid\":4294967296",
		"login_uid: out of 0..4294967295");
	refused("\"version\":1}", "\"version\":1}}", "not JSON (at byte");
	refused("\"version\":1}", "\"version\":1}\n\n",
		"not in canonical form (differs at byte 403:");
	refused("\"version\":1}", "\"version\":1", "not JSON");
}

static void test_parse_not_object(void **state)
{
	char err[TG_GRANT_ERR_MAX] = "";
	struct tg_grant_request r;

	assert_int_equal(tg_grant_request_parse("[1]", 3, &r, err, sizeof(err)),
			 -EINVAL);
	assert_string_equal(err, "not a JSON object");
	assert_int_equal(tg_grant_request_parse("{\"a\":\"\0\"}", 9, &r, err,
						sizeof(err)),
			 -EINVAL);
	assert_string_equal(err, "not JSON (a NUL byte)");
}

static void test_ops(void **state)
{
	char err[TG_GRANT_ERR_MAX] = "";
	unsigned int ops = 0;

	assert_int_equal(
		tg_grant_ops_parse("read,exec,ptrace", &ops, err, sizeof(err)),
		0);
	assert_int_equal(ops, TG_GRANT_OP_READ | TG_GRANT_OP_EXEC |
				      TG_GRANT_OP_PTRACE);
	assert_int_equal(tg_grant_ops_parse("read,", &ops, err, sizeof(err)),
			 -EINVAL);
	assert_int_equal(tg_grant_ops_parse("reads", &ops, err, sizeof(err)),
			 -EINVAL);
	assert_non_null(strstr(err, "unknown op 'reads'"));
	assert_string_equal(tg_grant_op_name(TG_GRANT_OP_SIGNAL), "signal");
	assert_null(tg_grant_op_name(3));
}

static void test_build_checks(void **state)
{
	char err[TG_GRANT_ERR_MAX] = "", *out = NULL, id[TG_GRANT_ID_HEX + 1];
	struct tg_grant_request r;
	size_t len = 0;

	vec_request(&r);
	assert_int_equal(tg_grant_request_add_path(&r, "/srv/tenants/acme/db"),
			 -EEXIST);
	r.duration = TG_GRANT_MAX_DURATION + 1;
	assert_int_equal(
		tg_grant_request_serialise(&r, &out, &len, err, sizeof(err)),
		-EINVAL);
	assert_null(out);
	assert_non_null(strstr(err, "at most 8 h"));
	tg_grant_request_free(&r);
	assert_int_equal(tg_grant_new_id(id), 0);
	assert_int_equal(strlen(id), TG_GRANT_ID_HEX);
	assert_int_equal(strspn(id, "0123456789abcdef"), TG_GRANT_ID_HEX);
}

static void test_keys(void **state)
{
	unsigned char key[32];
	char b64[45];

	assert_int_equal(tg_grant_key_parse(VEC_PK_B64, key), 0);
	tg_grant_key_b64(key, b64);
	assert_string_equal(b64, VEC_PK_B64);
	/* 43 characters, hex, or padding bits set: not a key. */
	assert_int_equal(
		tg_grant_key_parse(
			"11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo", key),
		-EINVAL);
	assert_int_equal(tg_grant_key_parse(VEC_PK_HEX, key), -EINVAL);
	assert_int_equal(
		tg_grant_key_parse(
			"11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURp=", key),
		-EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_serialise_fixed),
		cmocka_unit_test(test_parse_fixed),
		cmocka_unit_test(test_parse_refusals),
		cmocka_unit_test(test_parse_not_object),
		cmocka_unit_test(test_ops),
		cmocka_unit_test(test_build_checks),
		cmocka_unit_test(test_keys),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
