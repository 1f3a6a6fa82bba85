// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests: grant approvals. Fixed vectors (RFC 8032's first key signs
 * the fixed request: exact signed bytes, exact signature), then one case
 * per refusal of the check, and N of M with a key given twice.
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
#include <sodium.h>

#include "common/grant_key.h"
#include "common/grant_verify.h"
#include "grant_vectors.h"

#define NOW 1700001000ULL /* after created, before activate_by and expires */

static unsigned char sk[3][64], pk[3][32];

/* Key 0: RFC 8032 test 1; keys 1 and 2: seeds of 32 bytes 0x01, 0x02. */
static int setup(void **state)
{
	unsigned char seed[32];
	int i;

	if (sodium_init() < 0)
		return -1;
	sodium_hex2bin(seed, 32, VEC_SEED, 64, NULL, NULL, NULL);
	crypto_sign_seed_keypair(pk[0], sk[0], seed);
	for (i = 1; i < 3; i++) {
		memset(seed, i, sizeof(seed));
		crypto_sign_seed_keypair(pk[i], sk[i], seed);
	}
	return 0;
}

static void test_signed_bytes_fixed(void **state)
{
	const char req[] = VEC_REQUEST;
	unsigned char *m = NULL;
	size_t n = 0;

	assert_int_equal(
		tg_grant_signed_bytes(req, strlen(req), VEC_EXPIRES, &m, &n),
		0);
	assert_int_equal(n, 30 + 8 + strlen(req));
	assert_memory_equal(m, "tenantguard grant approval v1\0", 30);
	/* 1700007200 = 0x65540d20, big-endian in 8 bytes */
	assert_memory_equal(m + 30, "\0\0\0\0\x65\x54\x0d\x20", 8);
	assert_memory_equal(m + 38, req, strlen(req));
	free(m);
}

static void test_approve_fixed(void **state)
{
	char err[TG_GRANT_ERR_MAX] = "", hex[65], sig[129], *out = NULL;
	struct tg_grant_approval a;
	size_t len = 0;

	sodium_bin2hex(hex, sizeof(hex), pk[0], 32);
	assert_string_equal(hex, VEC_PK_HEX);
	assert_int_equal(tg_grant_approve(VEC_REQUEST, strlen(VEC_REQUEST),
					  sk[0], VEC_EXPIRES, &a, err,
					  sizeof(err)),
			 0);
	sodium_bin2hex(sig, sizeof(sig), a.sig, 64);
	assert_string_equal(sig, VEC_SIG);
	assert_string_equal(a.request_sha256, VEC_SHA256);
	assert_int_equal(tg_grant_approval_serialise(&a, &out, &len), 0);
	assert_string_equal(
		out,
		"{\"expires\":1700007200,\"key\":\"" VEC_PK_B64
		"\",\"request_id\":\"00112233445566778899aabbccddeeff\","
		"\"request_sha256\":\"" VEC_SHA256 "\",\"signature\":\"" VEC_SIG
		"\",\"type\":\"tenantguard-grant-approval\",\"version\":1}");
	/* And back, byte for byte. */
	memset(&a, 0, sizeof(a));
	assert_int_equal(
		tg_grant_approval_parse(out, len, &a, err, sizeof(err)), 0);
	sodium_bin2hex(sig, sizeof(sig), a.sig, 64);
	assert_string_equal(sig, VEC_SIG);
	free(out);
	/* A request not in canonical form is not signed. */
	assert_int_equal(tg_grant_approve(" " VEC_REQUEST,
					  strlen(VEC_REQUEST) + 1, sk[0],
					  VEC_EXPIRES, &a, err, sizeof(err)),
			 -EINVAL);
	assert_non_null(strstr(err, "canonical"));
}

/* An approval of req by key k until expires (a malloc'd document). */
static char *approval(const char *req, int k, unsigned long long expires)
{
	char err[TG_GRANT_ERR_MAX] = "", *out = NULL;
	struct tg_grant_approval a;
	size_t len = 0;

	assert_int_equal(tg_grant_approve(req, strlen(req), sk[k], expires, &a,
					  err, sizeof(err)),
			 0);
	assert_int_equal(tg_grant_approval_serialise(&a, &out, &len), 0);
	return out;
}

static struct tg_approvers set_of(unsigned int need, int n)
{
	struct tg_approvers s = {.need = need};
	int i;

	for (i = 0; i < n; i++)
		memcpy(s.keys[s.n_keys++], pk[i], 32);
	return s;
}

/* Check req with the n approvals against ctx: the result, why in *v. */
static int check(const char *req, char **ap, unsigned int n,
		 const struct tg_grant_context *ctx, struct tg_grant_verdict *v)
{
	size_t lens[TG_GRANT_MAX_APPROVALS];
	unsigned int i;
	int r;

	for (i = 0; i < n; i++)
		lens[i] = strlen(ap[i]);
	r = tg_grant_verify(req, strlen(req), (const char *const *)ap, lens, n,
			    ctx, v);
	tg_grant_verdict_free(v);
	return r;
}

#define CTX(set)                                                               \
	{                                                                      \
		.tenant = "acme", .approvers = (set), .now = NOW,              \
		.host = VEC_HOST, .boot_id = VEC_BOOT                          \
	}

static void expect(int got, const struct tg_grant_verdict *v, int want,
		   const char *msg)
{
	if (got != want || v->result != want || !strstr(v->why, msg))
		fail_msg("got %s (%s), want %s with '%s'",
			 tg_grant_result_name(got), v->why,
			 tg_grant_result_name(want), msg);
}

static void test_verify_ok(void **state)
{
	struct tg_approvers s = set_of(1, 1);
	struct tg_grant_context ctx = CTX(&s);
	struct tg_grant_verdict v;
	char *a = approval(VEC_REQUEST, 0, VEC_EXPIRES);

	expect(check(VEC_REQUEST, &a, 1, &ctx, &v), &v, TG_GRANT_OK,
	       "1 of 1 needed approvers approve request 00112233");
	assert_int_equal(v.n_valid, 1);
	free(a);
}

static void test_verify_request_refusals(void **state)
{
	struct tg_approvers s = set_of(1, 1), none = {};
	struct tg_grant_context ctx = CTX(&s);
	struct tg_grant_verdict v;
	char *a = approval(VEC_REQUEST, 0, VEC_EXPIRES);

	ctx.tenant = "globex";
	expect(check(VEC_REQUEST, &a, 1, &ctx, &v), &v, TG_GRANT_WRONG_TENANT,
	       "request is for tenant 'acme', not 'globex'");
	ctx = (struct tg_grant_context)CTX(&none);
	expect(check(VEC_REQUEST, &a, 1, &ctx, &v), &v, TG_GRANT_NO_APPROVERS,
	       "tenant 'acme' has no approver keys");
	ctx = (struct tg_grant_context)CTX(&s);
	ctx.host = "another";
	expect(check(VEC_REQUEST, &a, 1, &ctx, &v), &v, TG_GRANT_WRONG_HOST,
	       "not this one ('another')");
	ctx = (struct tg_grant_context)CTX(&s);
	ctx.boot_id = "00000000-0000-0000-0000-000000000000";
	expect(check(VEC_REQUEST, &a, 1, &ctx, &v), &v, TG_GRANT_WRONG_BOOT,
	       "request was made in boot " VEC_BOOT);
	ctx = (struct tg_grant_context)CTX(&s);
	ctx.now = 1700003600;
	expect(check(VEC_REQUEST, &a, 1, &ctx, &v), &v, TG_GRANT_TOO_LATE,
	       "activated before 1700003600 (now 1700003600)");
	ctx.now = NOW;
	expect(check("{}", &a, 1, &ctx, &v), &v, TG_GRANT_BAD_REQUEST,
	       "request: missing field 'activate_by'");
	free(a);
}

/* VEC_REQUEST with a longer duration, still canonical (malloc'd). */
static char *edited(void)
{
	char *e = strdup(VEC_REQUEST), *p = strstr(e, "\"duration\":7200,");

	memcpy(p, "\"duration\":9999,", 16);
	return e;
}

static void test_verify_approval_refusals(void **state)
{
	struct tg_approvers s = set_of(1, 2);
	struct tg_grant_context ctx = CTX(&s);
	struct tg_grant_verdict v;
	char *a = approval(VEC_REQUEST, 0, VEC_EXPIRES), *b, *p;
	char *ed = edited();

	/* edited request (a longer duration): the approval is for other bytes
	 */
	expect(check(ed, &a, 1, &ctx, &v), &v, TG_GRANT_OTHER_REQUEST,
	       "approval 1 by " VEC_PK_B64 ": approves other request bytes");
	/* ... and with the approval's hash edited to match: forged */
	b = strdup(a);
	p = strstr(b, VEC_SHA256);
	{
		char err[TG_GRANT_ERR_MAX];
		struct tg_grant_approval x;
		unsigned char h[32];
		char hex[65];

		crypto_hash_sha256(h, (const unsigned char *)ed, strlen(ed));
		sodium_bin2hex(hex, sizeof(hex), h, 32);
		memcpy(p, hex, 64);
		assert_int_equal(tg_grant_approval_parse(b, strlen(b), &x, err,
							 sizeof(err)),
				 0);
	}
	expect(check(ed, &b, 1, &ctx, &v), &v, TG_GRANT_FORGED,
	       "the signature does not verify");
	free(b);
	/* one bit of the signature changed */
	b = strdup(a);
	p = strstr(b, VEC_SIG);
	p[0] = p[0] == '7' ? '6' : '7';
	expect(check(VEC_REQUEST, &b, 1, &ctx, &v), &v, TG_GRANT_FORGED,
	       "forged or altered");
	free(b);
	/* the expiry moved on: the signature covers it */
	b = strdup(a);
	p = strstr(b, "1700007200");
	p[9] = '1';
	expect(check(VEC_REQUEST, &b, 1, &ctx, &v), &v, TG_GRANT_FORGED,
	       "forged or altered");
	free(b);
	/* a key that is not the tenant's */
	b = approval(VEC_REQUEST, 2, VEC_EXPIRES);
	expect(check(VEC_REQUEST, &b, 1, &ctx, &v), &v, TG_GRANT_UNKNOWN_KEY,
	       "is not one of tenant 'acme''s approvers");
	free(b);
	/* expired */
	b = approval(VEC_REQUEST, 1, NOW);
	expect(check(VEC_REQUEST, &b, 1, &ctx, &v), &v, TG_GRANT_EXPIRED,
	       "expired at 1700001000 (now 1700001000)");
	free(b);
	/* not an approval */
	b = strdup("{\"expires\":1}");
	expect(check(VEC_REQUEST, &b, 1, &ctx, &v), &v, TG_GRANT_BAD_APPROVAL,
	       "missing field 'key'");
	free(b);
	free(a);
	free(ed);
}

static void test_n_of_m(void **state)
{
	struct tg_approvers s = set_of(2, 3);
	struct tg_grant_context ctx = CTX(&s);
	struct tg_grant_verdict v;
	char *ap[4];

	ap[0] = approval(VEC_REQUEST, 0, VEC_EXPIRES);
	ap[1] = approval(VEC_REQUEST, 0, VEC_EXPIRES + 60);
	/* the same key twice counts once */
	expect(check(VEC_REQUEST, ap, 2, &ctx, &v), &v, TG_GRANT_TOO_FEW,
	       "1 distinct approver(s) of 2 needed");
	assert_int_equal(v.each[1].result, TG_GRANT_DUPLICATE);
	assert_non_null(strstr(v.each[1].why, "the same key again"));
	ap[2] = approval(VEC_REQUEST, 2, VEC_EXPIRES);
	expect(check(VEC_REQUEST, ap, 3, &ctx, &v), &v, TG_GRANT_OK,
	       "2 of 2 needed approvers");
	assert_int_equal(v.n_valid, 2);
	/* one bad approval among enough good ones: still ok, and said */
	ap[3] = approval(VEC_REQUEST, 1, NOW - 1);
	expect(check(VEC_REQUEST, ap, 4, &ctx, &v), &v, TG_GRANT_OK,
	       "2 of 2 needed");
	assert_int_equal(v.each[3].result, TG_GRANT_EXPIRED);
	/* not enough good ones: the first failure is the answer */
	free(ap[2]);
	ap[2] = ap[3];
	expect(check(VEC_REQUEST, ap, 3, &ctx, &v), &v, TG_GRANT_EXPIRED,
	       "approval 3 by");
	assert_non_null(strstr(v.why, "1 of 2 needed approvers"));
	free(ap[0]);
	free(ap[1]);
	free(ap[2]);
}

/*
 * A tenant's revocation: the exact body and document (RFC 8032's first key
 * signs: Ed25519 is deterministic, so the signature is fixed too), its
 * check against the approvers, and each refusal.
 */
static void test_revocation(void **state)
{
	static const char body[] =
		"{\"created\":1700000000,\"grant\":\"00112233445566778899aabbccddeeff\",\"tenant\":\"acme\",\"type\":\"tenantguard-grant-revocation\",\"version\":1}";
	struct tg_approvers ap = {.n_keys = 2, .need = 1};
	struct tg_grant_revocation r, back;
	char *doc = NULL, *b = NULL, err[256], why[256];
	size_t len = 0, blen = 0;

	memcpy(ap.keys[0], pk[1], 32);
	memcpy(ap.keys[1], pk[0], 32);
	assert_int_equal(
		tg_grant_revoke_sign("00112233445566778899aabbccddeeff", "acme",
				     1700000000ULL, sk[0], &r),
		0);
	assert_int_equal(tg_grant_revocation_body(&r, &b, &blen), 0);
	assert_string_equal(b, body);
	free(b);
	assert_int_equal(tg_grant_revocation_serialise(&r, &doc, &len), 0);
	assert_non_null(strstr(doc, VEC_REVOCATION_SIG));
	assert_int_equal(
		tg_grant_revocation_parse(doc, len, &back, err, sizeof(err)),
		0);
	assert_memory_equal(&back, &r, sizeof(r));
	assert_int_equal(tg_grant_revoke_check(&back, &ap, why, sizeof(why)),
			 0);
	/* Edited: another grant. */
	back.grant[0] = '1';
	assert_int_equal(tg_grant_revoke_check(&back, &ap, why, sizeof(why)),
			 -EINVAL);
	assert_non_null(strstr(why, "does not verify"));
	/* A key not the tenant's. */
	ap.n_keys = 1;
	assert_int_equal(tg_grant_revoke_check(&r, &ap, why, sizeof(why)),
			 -EINVAL);
	assert_non_null(strstr(why, "not one of tenant acme's approver keys"));
	/* Not canonical: a space. */
	doc[1] = ' ';
	assert_int_equal(
		tg_grant_revocation_parse(doc, len, &back, err, sizeof(err)),
		-EINVAL);
	free(doc);
}

/* An update of approver keys: approved by need of the current keys only. */
static void test_approvers_update(void **state)
{
	struct tg_approvers cur = {.n_keys = 2, .need = 2};
	struct tg_approvers_update u = {0}, back;
	struct tg_grant_approval a;
	char *doc = NULL, *ap[3] = {0}, err[256], why[512];
	const char *aps[3];
	size_t len = 0, alen[3];
	int i;

	memcpy(cur.keys[0], pk[0], 32);
	memcpy(cur.keys[1], pk[1], 32);
	snprintf(u.id, sizeof(u.id), "00112233445566778899aabbccddeeff");
	snprintf(u.tenant, sizeof(u.tenant), "acme");
	u.created = 1700000000;
	tg_grant_key_b64(pk[2], u.keys[0]);
	tg_grant_key_b64(pk[0], u.keys[1]);
	u.n_keys = 2;
	u.need = 1;
	/* Keys must be sorted: serialise refuses them otherwise. */
	if (strcmp(u.keys[0], u.keys[1]) > 0) {
		assert_int_equal(tg_approvers_update_serialise(
					 &u, &doc, &len, err, sizeof(err)),
				 -EINVAL);
		tg_approvers_update_sort(&u);
	}
	assert_int_equal(
		tg_approvers_update_serialise(&u, &doc, &len, err, sizeof(err)),
		0);
	assert_int_equal(
		tg_approvers_update_parse(doc, len, &back, err, sizeof(err)),
		0);
	for (i = 0; i < 3; i++) {
		assert_int_equal(tg_approvers_update_approve(doc, len, sk[i],
							     NOW + 100, &a, err,
							     sizeof(err)),
				 0);
		assert_int_equal(
			tg_grant_approval_serialise(&a, &ap[i], &alen[i]), 0);
		aps[i] = ap[i];
	}
	/* Both current keys: enrolled. */
	assert_int_equal(tg_approvers_update_verify(doc, len, aps, alen, 2,
						    &cur, NOW, &back, why,
						    sizeof(why)),
			 0);
	/* One of two needed, and the new key counts for nothing. */
	assert_int_equal(tg_approvers_update_verify(doc, len, aps + 1, alen + 1,
						    2, &cur, NOW, &back, why,
						    sizeof(why)),
			 -EINVAL);
	assert_non_null(strstr(why, "1 distinct current approver(s) of 2"));
	/* Expired approvals count for nothing. */
	assert_int_equal(tg_approvers_update_verify(doc, len, aps, alen, 2,
						    &cur, NOW + 100, &back, why,
						    sizeof(why)),
			 -EINVAL);
	/* A request's approval is no update's: the type differs. */
	assert_int_equal(tg_grant_approve(doc, len, sk[0], NOW + 100, &a, err,
					  sizeof(err)),
			 -EINVAL);
	for (i = 0; i < 3; i++)
		free(ap[i]);
	free(doc);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_signed_bytes_fixed),
		cmocka_unit_test(test_approve_fixed),
		cmocka_unit_test(test_verify_ok),
		cmocka_unit_test(test_verify_request_refusals),
		cmocka_unit_test(test_verify_approval_refusals),
		cmocka_unit_test(test_n_of_m),
		cmocka_unit_test(test_revocation),
		cmocka_unit_test(test_approvers_update),
	};

	return cmocka_run_group_tests(tests, setup, NULL);
}
