// SPDX-License-Identifier: GPL-2.0
/*
 * The hash chain and its checkpoints (common/chain.c): fixed vectors, and
 * the checker of a report against each change it must name: an edited
 * line, a removed, a moved, an inserted one, a forged checkpoint, another
 * key, a start no checkpoint vouches for.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sodium.h>
#include <cmocka.h>

#include "common/chain.h"

/* SHA-256("tenantguard-chain-v1" || 0^32 || SHA-256("{\"seq\":1,\"a\":1}")) */
#define A1  "68c3e861512d423627ec2dd228ddfd8bbce053d696ba34c95fb0abbc1a5ff98a"
#define LH1 "18cdb552f33dceda953d0baa22abd363972908a8aaccb1445fea622a13ed760f"

#define LINES 12
#define HOST  "h1"
#define TIME  "2026-12-07T04:00:00.000000000Z"

static unsigned char pk[TG_CHAIN_KEY], sk[TG_CHAIN_SECRET];
static char log_lines[LINES][1024];

/* A line as the collector stores it: body ("{"seq":N...}") chained on head. */
static void chain_line(unsigned char head[TG_CHAIN_BYTES], const char *body,
		       char *out)
{
	unsigned char lh[TG_CHAIN_BYTES];
	char hex[TG_CHAIN_HEX + 1];
	const char *rest = strchr(body, ',') ?: strchr(body, '}');

	tg_chain_line_hash(body, strlen(body), lh);
	tg_chain_link(head, lh, head);
	tg_chain_hex(head, TG_CHAIN_BYTES, hex);
	sprintf(out, "%.*s,\"chain\":\"%s\"%s", (int)(rest - body), body, hex,
		rest);
}

/* A checkpoint's body at seq over the chain head at position. */
static void checkpoint_body(char *out, __u64 seq, __u64 position,
			    const unsigned char head[TG_CHAIN_BYTES])
{
	unsigned char sig[TG_CHAIN_SIG];
	char msg[512], hh[TG_CHAIN_HEX + 1], kh[TG_CHAIN_HEX + 1],
		sh[2 * TG_CHAIN_SIG + 1];
	size_t ml = tg_chain_checkpoint_msg(msg, sizeof(msg), HOST, position,
					    head, TIME);

	crypto_sign_detached(sig, NULL, (unsigned char *)msg, ml, sk);
	tg_chain_hex(head, TG_CHAIN_BYTES, hh);
	tg_chain_hex(pk, sizeof(pk), kh);
	tg_chain_hex(sig, sizeof(sig), sh);
	sprintf(out,
		"{\"seq\":%llu,\"time\":\"" TIME "\",\"host\":\"" HOST
		"\",\"kind\":\"agent\",\"verdict\":\"allow\",\"tenant\":\"host\","
		"\"target_tenant\":\"host\",\"pid\":1,\"comm\":\"c\","
		"\"op\":\"checkpoint\",\"position\":%llu,\"head\":\"%s\","
		"\"public_key\":\"%s\",\"signature\":\"%s\"}",
		(unsigned long long)seq, (unsigned long long)position, hh, kh,
		sh);
}

/*
 * A log of LINES lines: 1-3 events, 4 a checkpoint, 5-10 events (tenant a
 * on even seqs, b on odd), 11 a checkpoint, 12 an event.
 */
static int setup(void **state)
{
	unsigned char head[TG_CHAIN_BYTES] = {}, seed[32];
	char body[1024];
	int i;

	assert_true(sodium_init() >= 0);
	memset(seed, 7, sizeof(seed));
	crypto_sign_seed_keypair(pk, sk, seed);
	for (i = 1; i <= LINES; i++) {
		if (i == 4 || i == 11)
			checkpoint_body(body, (__u64)i, (__u64)i - 1, head);
		else
			sprintf(body, "{\"seq\":%d,\"tenant\":\"%s\",\"n\":%d}",
				i, i % 2 ? "b" : "a", i);
		chain_line(head, body, log_lines[i - 1]);
	}
	return 0;
}

/* Feed lines[0..n) (a report); 0, or the entry number it refuses. */
static unsigned long check(char lines[][1024], int n, const unsigned char *key,
			   struct tg_chain_verify *out)
{
	struct tg_chain_verify v = {};
	int i;

	if (key) {
		memcpy(v.key, key, TG_CHAIN_KEY);
		v.key_pinned = 1;
	}
	for (i = 0; i < n; i++)
		if (tg_chain_verify_line(&v, (unsigned long)i + 1, lines[i],
					 strlen(lines[i])))
			break;
	if (out)
		*out = v;
	return v.bad_entry;
}

static void test_vectors(void **state)
{
	unsigned char head[TG_CHAIN_BYTES] = {}, lh[TG_CHAIN_BYTES];
	char line[256], hex[TG_CHAIN_HEX + 1], stub[TG_CHAIN_STUB_MAX];
	const char *h;
	size_t at;
	__u64 seq;

	chain_line(head, "{\"seq\":1,\"a\":1}", line);
	assert_string_equal(line, "{\"seq\":1,\"chain\":\"" A1 "\",\"a\":1}");
	/* The line's hash leaves its chain member out. */
	tg_chain_line_hash(line, strlen(line), lh);
	tg_chain_hex(lh, sizeof(lh), hex);
	assert_string_equal(hex, LH1);
	assert_int_equal(tg_chain_parse(line, strlen(line), &seq, &at, &h), 1);
	assert_int_equal(seq, 1);
	assert_int_equal(at, 8);
	assert_memory_equal(h, A1, TG_CHAIN_HEX);
	assert_int_equal(
		tg_chain_parse("{\"seq\":2,\"a\":1}", 15, &seq, &at, &h), 0);
	assert_int_equal(tg_chain_parse("{\"a\":1}", 7, &seq, &at, &h), -1);
	assert_int_equal(tg_chain_stub(line, strlen(line), stub), 90);
	assert_string_equal(stub, "{\"seq\":1,\"line_sha256\":\"" LH1 "\"}");
	assert_int_equal(tg_chain_stub("{\"a\":1}", 7, stub), -EINVAL);
	assert_true(tg_chain_is_checkpoint(log_lines[3], strlen(log_lines[3])));
	assert_false(tg_chain_is_checkpoint(line, strlen(line)));
	/* The first line of a chain anchors a report if it is the collector's.
	 */
	memset(head, 0, sizeof(head));
	chain_line(head, "{\"seq\":1,\"kind\":\"agent\",\"tenant\":\"host\"}",
		   line);
	assert_true(tg_chain_is_anchor(line, strlen(line)));
	assert_true(tg_chain_is_anchor(log_lines[3], strlen(log_lines[3])));
	chain_line(head, "{\"seq\":2,\"kind\":\"agent\",\"tenant\":\"host\"}",
		   line);
	assert_false(tg_chain_is_anchor(line, strlen(line)));
	memset(head, 0, sizeof(head));
	chain_line(head, "{\"seq\":1,\"kind\":\"net\",\"tenant\":\"a\"}", line);
	assert_false(tg_chain_is_anchor(line, strlen(line)));
}

static void test_whole_log_verifies(void **state)
{
	struct tg_chain_verify v;

	assert_int_equal(check(log_lines, LINES, NULL, &v), 0);
	assert_int_equal(v.entries, LINES);
	assert_int_equal(v.checkpoints, 2);
	assert_false(v.last_checkpoint);
	assert_int_equal(check(log_lines, LINES - 1, pk, &v), 0);
	assert_true(v.last_checkpoint);
}

/* Tenant a's report: from checkpoint 4 to 11, b's lines as stubs. */
static int report(char out[][1024])
{
	int i, n = 0;

	strcpy(out[n++],
	       "{\"tenantguard_report\":\"chain-v1\",\"tenant\":\"a\"}");
	for (i = 4; i <= 11; i++) {
		if (i == 4 || i == 11 || i % 2 == 0)
			strcpy(out[n++], log_lines[i - 1]);
		else
			tg_chain_stub(log_lines[i - 1],
				      strlen(log_lines[i - 1]), out[n++]);
	}
	return n;
}

static void test_report_changes_named(void **state)
{
	char r[LINES + 2][1024], tmp[1024];
	unsigned char other[TG_CHAIN_KEY];
	struct tg_chain_verify v;
	int n = report(r);

	assert_int_equal(n, 9);
	assert_int_equal(check(r, n, pk, &v), 0);
	assert_int_equal(v.stubs, 3);
	/*
	 * Entries: 1 the header, 2 checkpoint 4, 3 seq 5 (b's stub), 4 seq 6
	 * (a's), 5 seq 7 (stub), 6 seq 8, 7 seq 9 (stub), 8 seq 10, 9
	 * checkpoint 11. An edited byte in seq 6:
	 */
	strstr(r[3], "\"n\":6")[4] = '9';
	assert_int_equal(check(r, n, pk, &v), 4);
	assert_non_null(strstr(v.why, "edited"));
	/* Seq 6 removed: seq 7's stub is only judged at seq 8. */
	n = report(r);
	memmove(r[3], r[4], sizeof(r[0]) * (size_t)(n - 4));
	assert_int_equal(check(r, n - 1, pk, &v), 5);
	/* Seq 6 and 8 swapped. */
	n = report(r);
	strcpy(tmp, r[3]);
	strcpy(r[3], r[5]);
	strcpy(r[5], tmp);
	assert_int_equal(check(r, n, pk, &v), 4);
	assert_non_null(strstr(v.why, "removed or moved"));
	/* Seq 6 twice. */
	n = report(r);
	memmove(r[5], r[4], sizeof(r[0]) * (size_t)(n - 4));
	strcpy(r[4], r[3]);
	assert_int_equal(check(r, n + 1, pk, &v), 5);
	assert_non_null(strstr(v.why, "inserted"));
	/* A line made up, with no chain value. */
	n = report(r);
	strcpy(r[3], "{\"seq\":6,\"tenant\":\"a\",\"n\":6}");
	assert_int_equal(check(r, n, pk, &v), 4);
	/* The last checkpoint's signature changed. */
	n = report(r);
	strstr(r[n - 1], "\"signature\":\"")[13] ^= 1;
	assert_int_equal(check(r, n, pk, &v), n);
	assert_non_null(strstr(v.why, "signature"));
	/* Another key pinned. */
	n = report(r);
	memset(other, 1, sizeof(other));
	assert_int_equal(check(r, n, other, &v), 2);
	/* No checkpoint before the first line. */
	assert_int_equal(check(r + 2, n - 2, pk, &v), 1);
	assert_non_null(strstr(v.why, "no checkpoint"));
}

/*
 * The lines rewritten from seq 6 on with a chain recomputed: each line
 * follows, the next checkpoint does not sign it.
 */
static void test_rewritten_chain_caught_by_checkpoint(void **state)
{
	unsigned char head[TG_CHAIN_BYTES];
	char r[LINES][1024], body[1024];
	struct tg_chain_verify v;
	const char *h;
	size_t at;
	__u64 seq;
	int i;

	memcpy(r, log_lines, sizeof(r));
	assert_int_equal(tg_chain_parse(r[4], strlen(r[4]), &seq, &at, &h), 1);
	tg_chain_unhex(h, TG_CHAIN_HEX, head, sizeof(head));
	for (i = 6; i <= 10; i++) {
		sprintf(body, "{\"seq\":%d,\"tenant\":\"%s\",\"n\":%d}", i,
			i % 2 ? "b" : "a", i + 100);
		chain_line(head, body, r[i - 1]);
	}
	assert_int_equal(check(r, LINES, pk, &v), 11);
	assert_non_null(strstr(v.why, "rewritten"));
}

/* The collector's check of its tail: the first chained line is trusted. */
static void test_trust_start(void **state)
{
	struct tg_chain_verify v = {.trust_start = 1};
	int i;

	memcpy(v.key, pk, sizeof(pk));
	v.key_pinned = 1;
	assert_int_equal(
		tg_chain_verify_line(&v, 1, "{\"seq\":1,\"old\":1}", 18), 0);
	for (i = 5; i <= LINES; i++)
		assert_int_equal(tg_chain_verify_line(&v, (unsigned long)i,
						      log_lines[i - 1],
						      strlen(log_lines[i - 1])),
				 0);
	assert_int_equal(v.checkpoints, 1);
}

/*
 * What the collector recorded of a change behind it (lines cut from the
 * log's end, changed there, a break of the chain): a report that holds it
 * does not verify, naming it; the collector's own check of its tail goes
 * on over it. Only the collector's own such lines count.
 */
static void test_notices(void **state)
{
	static const char *const ops[] = {"log_truncated", "log_tampered",
					  "chain_break"};
	unsigned char head[TG_CHAIN_BYTES] = {};
	char lines[7][1024], body[1024];
	struct tg_chain_verify v;
	size_t o;
	int i;

	for (o = 0; o < sizeof(ops) / sizeof(ops[0]); o++) {
		memset(head, 0, sizeof(head));
		for (i = 1; i <= 7; i++) {
			if (i == 4 || i == 7)
				checkpoint_body(body, (__u64)i, (__u64)i - 1,
						head);
			else if (i == 5)
				sprintf(body,
					"{\"seq\":5,\"kind\":\"agent\","
					"\"tenant\":\"host\",\"op\":\"%s\","
					"\"message\":\"lines 9..12 removed\"}",
					ops[o]);
			else
				sprintf(body,
					"{\"seq\":%d,\"kind\":\"net\","
					"\"tenant\":\"a\",\"op\":\"%s\"}",
					i, ops[o]);
			chain_line(head, body, lines[i - 1]);
		}
		assert_true(tg_chain_is_notice(lines[4], strlen(lines[4])));
		assert_false(tg_chain_is_notice(lines[3], strlen(lines[3])));
		/* A tenant's line naming the op is none. */
		assert_false(tg_chain_is_notice(lines[5], strlen(lines[5])));
		assert_int_equal(check(lines, 7, pk, &v), 5);
		assert_non_null(strstr(v.why, "the collector recorded"));
		assert_non_null(strstr(v.why, "lines 9..12 removed"));
		if (o < 2)
			assert_non_null(strstr(v.why, ops[o]));
		/* Up to the line before, it verifies. */
		assert_int_equal(check(lines, 4, pk, &v), 0);
		memset(&v, 0, sizeof(v));
		v.trust_start = 1;
		memcpy(v.key, pk, sizeof(pk));
		v.key_pinned = 1;
		for (i = 0; i < 7; i++)
			assert_int_equal(tg_chain_verify_line(
						 &v, (unsigned long)i + 1,
						 lines[i], strlen(lines[i])),
					 0);
		assert_int_equal(v.breaks, 1);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_vectors, setup),
		cmocka_unit_test_setup(test_whole_log_verifies, setup),
		cmocka_unit_test_setup(test_report_changes_named, setup),
		cmocka_unit_test_setup(
			test_rewritten_chain_caught_by_checkpoint, setup),
		cmocka_unit_test_setup(test_trust_start, setup),
		cmocka_unit_test_setup(test_notices, setup),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
