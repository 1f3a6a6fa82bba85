// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests: export manifests. A fixed manifest, its entries added out of
 * order, must give exactly the bytes below (sorted, escaped, totals
 * counted); parsing takes those bytes back, and refuses any other form of
 * them: whitespace, reordered keys, wrong totals, a bad hash, a duplicate.
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

#include "common/manifest.h"

#define SHA_A "2c26b46b68ffc68ff99b453c1d30413413422d706483bfa0f98a5e886266e7ae"
#define SHA_E "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

static const char vector[] =
	"{\"created\":1765100000,\"files\":["
	"{\"mode\":\"0755\",\"mtime\":1765000000,\"path\":\"srv/t/acme\",\"size\":0,\"type\":\"dir\"},"
	"{\"mode\":\"0644\",\"mtime\":1765000001,\"path\":\"srv/t/acme/a \\\"q\\\"\\n\\u0001\xc3\xa9\",\"sha256\":\"" SHA_A
	"\",\"size\":3,\"type\":\"file\"},"
	"{\"mode\":\"0600\",\"mtime\":1765000002,\"path\":\"srv/t/acme/empty\",\"sha256\":\"" SHA_E
	"\",\"size\":0,\"type\":\"file\"},"
	"{\"mode\":\"0777\",\"mtime\":1765000003,\"path\":\"srv/t/acme/link\",\"size\":0,\"target\":\"empty\",\"type\":\"symlink\"}"
	"],\"host\":\"h1\",\"roots\":[\"/srv/t/acme\"],\"tenant\":\"acme\","
	"\"total_bytes\":3,\"total_files\":2,"
	"\"type\":\"tenantguard-export-manifest\",\"version\":1}";

static void fixed(struct tg_manifest *m)
{
	struct tg_manifest_entry e[] = {
		{.path = "srv/t/acme/link",
		 .type = TG_MANIFEST_SYMLINK,
		 .mode = 0777,
		 .mtime = 1765000003,
		 .target = "empty"},
		{.path = "srv/t/acme/empty",
		 .type = TG_MANIFEST_FILE,
		 .mode = 0600,
		 .mtime = 1765000002,
		 .sha256 = SHA_E},
		{.path = "srv/t/acme/a \"q\"\n\x01\xc3\xa9",
		 .type = TG_MANIFEST_FILE,
		 .mode = 0644,
		 .mtime = 1765000001,
		 .size = 3,
		 .sha256 = SHA_A},
		{.path = "srv/t/acme",
		 .type = TG_MANIFEST_DIR,
		 .mode = 0755,
		 .mtime = 1765000000},
	};
	unsigned int i;

	memset(m, 0, sizeof(*m));
	strcpy(m->tenant, "acme");
	strcpy(m->host, "h1");
	m->created = 1765100000;
	assert_int_equal(tg_manifest_add_root(m, "/srv/t/acme"), 0);
	for (i = 0; i < sizeof(e) / sizeof(e[0]); i++)
		assert_int_equal(tg_manifest_add(m, &e[i]), 0);
}

static void test_write_fixed(void **state)
{
	struct tg_manifest m;
	char err[256] = "", *out = NULL;
	size_t len = 0;

	fixed(&m);
	assert_int_equal(tg_manifest_write(&m, &out, &len, err, sizeof(err)),
			 0);
	assert_string_equal(out, vector);
	assert_int_equal(len, strlen(vector));
	assert_int_equal(m.total_files, 2);
	assert_int_equal(m.total_bytes, 3);
	assert_non_null(tg_manifest_find(&m, "srv/t/acme/empty"));
	assert_null(tg_manifest_find(&m, "srv/t/acme/none"));
	free(out);
	tg_manifest_free(&m);
}

static void test_parse_fixed(void **state)
{
	struct tg_manifest m;
	struct tg_manifest_entry *e;
	char err[256] = "", nl[sizeof(vector) + 1];

	assert_int_equal(
		tg_manifest_parse(vector, strlen(vector), &m, err, sizeof(err)),
		0);
	assert_string_equal(m.tenant, "acme");
	assert_int_equal(m.n, 4);
	e = tg_manifest_find(&m, "srv/t/acme/link");
	assert_non_null(e);
	assert_int_equal(e->type, TG_MANIFEST_SYMLINK);
	assert_string_equal(e->target, "empty");
	e = tg_manifest_find(&m, "srv/t/acme/a \"q\"\n\x01\xc3\xa9");
	assert_non_null(e);
	assert_int_equal(e->mode, 0644);
	assert_string_equal(e->sha256, SHA_A);
	tg_manifest_free(&m);
	/* One trailing newline is allowed. */
	snprintf(nl, sizeof(nl), "%s\n", vector);
	assert_int_equal(
		tg_manifest_parse(nl, strlen(nl), &m, err, sizeof(err)), 0);
	tg_manifest_free(&m);
}

/* vector with its first from replaced by to: refused with want in err. */
static void refused(const char *from, const char *to, const char *want)
{
	struct tg_manifest m;
	char err[256] = "", buf[4096];
	const char *at = strstr(vector, from);

	assert_non_null(at);
	snprintf(buf, sizeof(buf), "%.*s%s%s", (int)(at - vector), vector, to,
		 at + strlen(from));
	assert_int_equal(
		tg_manifest_parse(buf, strlen(buf), &m, err, sizeof(err)),
		-EINVAL);
	if (!strstr(err, want))
		fail_msg("'%s' for %s -> %s, not '%s'", err, from, to, want);
}

static void test_parse_refusals(void **state)
{
	refused("{\"created\"", "{ \"created\"", "canonical");
	refused("\"total_bytes\":3", "\"total_bytes\":4", "totals");
	refused("\"total_files\":2", "\"total_files\":3", "totals");
	refused("\"mode\":\"0755\"", "\"mode\":\"755\"", "bad type, mode");
	refused("\"type\":\"dir\"", "\"type\":\"fifo\"", "bad type, mode");
	refused("\"sha256\":\"2c", "\"sha256\":\"2C", "bad sha256");
	refused("\"size\":3", "\"size\":-3", "negative");
	refused("\"version\":1", "\"version\":2", "version 1");
	refused("\"tenant\":\"acme\"", "\"tenant\":7", "\"tenant\"");
	refused("\"path\":\"srv/t/acme/empty\"", "\"path\":\"srv/t/acme/link\"",
		"listed twice");
	refused("\\u0001", "\\u0001\\u00e9", "canonical");
	refused("}]", "}]]", "JSON object");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_write_fixed),
		cmocka_unit_test(test_parse_fixed),
		cmocka_unit_test(test_parse_refusals),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
