// SPDX-License-Identifier: GPL-2.0
/* The hash chain over the collector's log and its signed checkpoints. */
#define _GNU_SOURCE
#include <errno.h>
#include <inttypes.h>
#include <json-c/json.h>
#include <sodium.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/chain.h"

#define DOMAIN	  "tenantguard-chain-v1"
#define CP_DOMAIN "tenantguard-checkpoint-v1"
#define SEQ_HEAD  "{\"seq\":"
#define MEMBER	  ",\"chain\":\""
#define STUB_KEY  ",\"line_sha256\":\""

void tg_chain_link(const unsigned char prev[TG_CHAIN_BYTES],
		   const unsigned char lh[TG_CHAIN_BYTES],
		   unsigned char out[TG_CHAIN_BYTES])
{
	crypto_hash_sha256_state st;

	crypto_hash_sha256_init(&st);
	crypto_hash_sha256_update(&st, (const unsigned char *)DOMAIN,
				  sizeof(DOMAIN) - 1);
	crypto_hash_sha256_update(&st, prev, TG_CHAIN_BYTES);
	crypto_hash_sha256_update(&st, lh, TG_CHAIN_BYTES);
	crypto_hash_sha256_final(&st, out);
}

void tg_chain_salt_member(char out[TG_CHAIN_SALT_MEMBER + 1])
{
	unsigned char salt[TG_CHAIN_SALT];
	char hex[2 * TG_CHAIN_SALT + 1];

	/* Once per process; later calls return at once. */
	if (sodium_init() < 0)
		abort(); /* no randomness: never a guessable salt */
	randombytes_buf(salt, sizeof(salt));
	sodium_bin2hex(hex, sizeof(hex), salt, sizeof(salt));
	snprintf(out, TG_CHAIN_SALT_MEMBER + 1, ",\"salt\":\"%s\"", hex);
}

static int is_hex(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (!((s[i] >= '0' && s[i] <= '9') ||
		      (s[i] >= 'a' && s[i] <= 'f')))
			return 0;
	return 1;
}

/* The seq at the start of line; the offset past its digits, or 0. */
static size_t parse_seq(const char *line, size_t len, __u64 *seq)
{
	size_t i = sizeof(SEQ_HEAD) - 1;
	__u64 v = 0;

	if (len < i + 2 || memcmp(line, SEQ_HEAD, i) || line[i] < '1' ||
	    line[i] > '9')
		return 0;
	for (; i < len && line[i] >= '0' && line[i] <= '9' && i < 28; i++)
		v = v * 10 + (__u64)(line[i] - '0');
	*seq = v;
	return i;
}

int tg_chain_parse(const char *line, size_t len, __u64 *seq, size_t *at,
		   const char **hex)
{
	size_t i = parse_seq(line, len, seq);

	if (!i)
		return -1;
	if (len - i < TG_CHAIN_MEMBER + 1 ||
	    memcmp(line + i, MEMBER, sizeof(MEMBER) - 1) ||
	    !is_hex(line + i + sizeof(MEMBER) - 1, TG_CHAIN_HEX) ||
	    line[i + TG_CHAIN_MEMBER - 1] != '"')
		return 0;
	*at = i;
	*hex = line + i + sizeof(MEMBER) - 1;
	return 1;
}

void tg_chain_line_hash(const char *line, size_t len,
			unsigned char out[TG_CHAIN_BYTES])
{
	crypto_hash_sha256_state st;
	const char *hex;
	size_t at = len;
	__u64 seq;

	if (tg_chain_parse(line, len, &seq, &at, &hex) != 1)
		at = len;
	crypto_hash_sha256_init(&st);
	crypto_hash_sha256_update(&st, (const unsigned char *)line, at);
	if (at < len)
		crypto_hash_sha256_update(
			&st, (const unsigned char *)line + at + TG_CHAIN_MEMBER,
			len - at - TG_CHAIN_MEMBER);
	crypto_hash_sha256_final(&st, out);
}

void tg_chain_hex(const unsigned char *in, size_t n, char *out)
{
	sodium_bin2hex(out, 2 * n + 1, in, n);
}

int tg_chain_unhex(const char *hex, size_t hexlen, unsigned char *out, size_t n)
{
	size_t got = 0;

	if (hexlen != 2 * n || !is_hex(hex, hexlen) ||
	    sodium_hex2bin(out, n, hex, hexlen, NULL, &got, NULL) || got != n)
		return -EINVAL;
	return 0;
}

int tg_chain_stub(const char *line, size_t len, char out[TG_CHAIN_STUB_MAX])
{
	unsigned char lh[TG_CHAIN_BYTES];
	char hex[TG_CHAIN_HEX + 1];
	__u64 seq = 0;

	if (!parse_seq(line, len, &seq))
		return -EINVAL;
	tg_chain_line_hash(line, len, lh);
	tg_chain_hex(lh, sizeof(lh), hex);
	return snprintf(out, TG_CHAIN_STUB_MAX,
			"{\"seq\":%llu,\"line_sha256\":\"%s\"}",
			(unsigned long long)seq, hex);
}

/* A stub's seq and line hash; 0, or -EINVAL if line is no stub. */
static int parse_stub(const char *line, size_t len, __u64 *seq,
		      unsigned char lh[TG_CHAIN_BYTES])
{
	size_t i = parse_seq(line, len, seq);

	if (!i || len != i + sizeof(STUB_KEY) - 1 + TG_CHAIN_HEX + 2 ||
	    memcmp(line + i, STUB_KEY, sizeof(STUB_KEY) - 1) ||
	    memcmp(line + len - 2, "\"}", 2))
		return -EINVAL;
	return tg_chain_unhex(line + i + sizeof(STUB_KEY) - 1, TG_CHAIN_HEX, lh,
			      TG_CHAIN_BYTES);
}

static const char *str(struct json_object *o, const char *k)
{
	struct json_object *v;

	if (!json_object_object_get_ex(o, k, &v) ||
	    !json_object_is_type(v, json_type_string))
		return NULL;
	return json_object_get_string(v);
}

/* The line parsed, if it is one of the collector's own with this op. */
static struct json_object *own_event(const char *line, size_t len,
				     const char *op)
{
	char pat[48];
	struct json_tokener *tok;
	struct json_object *o;
	const char *k, *t, *p;

	snprintf(pat, sizeof(pat), "\"op\":\"%s\"", op);
	if (!memmem(line, len, pat, strlen(pat)))
		return NULL;
	tok = json_tokener_new();
	o = tok ? json_tokener_parse_ex(tok, line, (int)len) : NULL;
	json_tokener_free(tok);
	k = o ? str(o, "kind") : NULL;
	t = o ? str(o, "tenant") : NULL;
	p = o ? str(o, "op") : NULL;
	if (k && t && p && !strcmp(k, "agent") && !strcmp(t, "host") &&
	    !strcmp(p, op))
		return o;
	json_object_put(o);
	return NULL;
}

int tg_chain_is_checkpoint(const char *line, size_t len)
{
	struct json_object *o = own_event(line, len, "checkpoint");

	json_object_put(o);
	return o != NULL;
}

/* The ops of tg_chain_is_notice. */
static const char *const notice_ops[] = {"chain_break", "log_truncated",
					 "log_tampered"};

/* The line parsed, if it is one of the collector's notices. */
static struct json_object *notice(const char *line, size_t len)
{
	struct json_object *o = NULL;
	size_t i;

	for (i = 0; !o && i < sizeof(notice_ops) / sizeof(notice_ops[0]); i++)
		o = own_event(line, len, notice_ops[i]);
	return o;
}

int tg_chain_is_notice(const char *line, size_t len)
{
	struct json_object *o = notice(line, len);

	json_object_put(o);
	return o != NULL;
}

int tg_chain_is_anchor(const char *line, size_t len)
{
	static const unsigned char zero[TG_CHAIN_BYTES];
	unsigned char lh[TG_CHAIN_BYTES], first[TG_CHAIN_BYTES];
	char hex[TG_CHAIN_HEX + 1];
	const char *stated;
	size_t at;
	__u64 seq;

	if (tg_chain_is_checkpoint(line, len))
		return 1;
	if (tg_chain_parse(line, len, &seq, &at, &stated) != 1 ||
	    !memmem(line, len, "\"kind\":\"agent\"", 14) ||
	    !memmem(line, len, "\"tenant\":\"host\"", 15))
		return 0;
	tg_chain_line_hash(line, len, lh);
	tg_chain_link(zero, lh, first);
	tg_chain_hex(first, sizeof(first), hex);
	return !memcmp(hex, stated, TG_CHAIN_HEX);
}

size_t tg_chain_checkpoint_msg(char *out, size_t cap, const char *host,
			       __u64 position,
			       const unsigned char head[TG_CHAIN_BYTES],
			       const char *time)
{
	char hex[TG_CHAIN_HEX + 1];
	int n;

	tg_chain_hex(head, TG_CHAIN_BYTES, hex);
	n = snprintf(out, cap, CP_DOMAIN "\n%s\n%llu\n%s\n%s\n", host,
		     (unsigned long long)position, hex, time);
	return n < 0 ? 0 : (size_t)n >= cap ? cap - 1 : (size_t)n;
}

static int fail(struct tg_chain_verify *v, unsigned long n, __u64 seq,
		const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(v->why, sizeof(v->why), fmt, ap);
	va_end(ap);
	v->bad_entry = n;
	v->bad_seq = seq;
	return -EBADMSG;
}

/* A checkpoint line: its signature, and the head it vouches for. */
static int check_checkpoint(struct tg_chain_verify *v, unsigned long n,
			    __u64 seq, struct json_object *o)
{
	unsigned char head[TG_CHAIN_BYTES], key[TG_CHAIN_KEY],
		sig[TG_CHAIN_SIG];
	const char *host = str(o, "host"), *time = str(o, "time"),
		   *h = str(o, "head"), *k = str(o, "public_key"),
		   *s = str(o, "signature");
	struct json_object *p;
	char msg[512];
	size_t ml;
	__u64 pos;

	if (!json_object_object_get_ex(o, "position", &p) ||
	    !json_object_is_type(p, json_type_int) || !host || !time || !h ||
	    !k || !s || tg_chain_unhex(h, strlen(h), head, sizeof(head)) ||
	    tg_chain_unhex(k, strlen(k), key, sizeof(key)) ||
	    tg_chain_unhex(s, strlen(s), sig, sizeof(sig)))
		return fail(v, n, seq,
			    "checkpoint at seq %llu is malformed (position, "
			    "head, public_key, signature)",
			    (unsigned long long)seq);
	pos = (__u64)json_object_get_int64(p);
	if (v->have_key && memcmp(key, v->key, sizeof(key)))
		return fail(v, n, seq,
			    "checkpoint at seq %llu is signed by key %.16s..., "
			    "not the %s key",
			    (unsigned long long)seq, k,
			    v->key_pinned ? "given" : "report's first");
	ml = tg_chain_checkpoint_msg(msg, sizeof(msg), host, pos, head, time);
	if (crypto_sign_verify_detached(sig, (const unsigned char *)msg, ml,
					key))
		return fail(v, n, seq,
			    "checkpoint at seq %llu: the signature does not "
			    "verify (the checkpoint was edited or forged)",
			    (unsigned long long)seq);
	memcpy(v->key, key, sizeof(key));
	v->have_key = 1;
	if (v->anchored &&
	    (pos != v->last_seq || memcmp(head, v->head, sizeof(head))))
		return fail(v, n, seq,
			    "checkpoint at seq %llu signs position %llu and "
			    "another chain than the lines before it "
			    "(seq %llu..%llu): they were rewritten, removed or "
			    "inserted",
			    (unsigned long long)seq, (unsigned long long)pos,
			    (unsigned long long)v->last_cp_seq + 1,
			    (unsigned long long)v->last_seq);
	if (!v->anchored) {
		memcpy(v->head, head, sizeof(head));
		v->anchored = 1;
		v->last_seq = pos;
	}
	v->checkpoints++;
	v->last_cp_seq = seq;
	return 0;
}

/* Why a line's chain value does not follow, as well as can be told. */
static int mismatch(struct tg_chain_verify *v, unsigned long n, __u64 seq)
{
	if (seq > v->last_seq + 1)
		return fail(v, n, seq,
			    "seq %llu does not follow seq %llu: the lines "
			    "between were removed or moved, or this one edited",
			    (unsigned long long)seq,
			    (unsigned long long)v->last_seq);
	return fail(v, n, seq,
		    "seq %llu was edited (its hash does not give its chain "
		    "value), or a line before it was changed",
		    (unsigned long long)seq);
}

/* A stored line in full (has is 1: it carries a chain value, hex). */
static int check_full(struct tg_chain_verify *v, unsigned long n, __u64 seq,
		      const char *line, size_t len, const char *hex)
{
	unsigned char lh[TG_CHAIN_BYTES], next[TG_CHAIN_BYTES],
		stated[TG_CHAIN_BYTES];
	static const unsigned char zero[TG_CHAIN_BYTES];
	struct json_object *o;
	int err = 0;

	tg_chain_unhex(hex, TG_CHAIN_HEX, stated, sizeof(stated));
	tg_chain_line_hash(line, len, lh);
	o = own_event(line, len, "checkpoint");
	if (o)
		err = check_checkpoint(v, n, seq, o);
	json_object_put(o);
	if (err)
		return err;
	if (!v->anchored) {
		tg_chain_link(zero, lh, next);
		if (!v->trust_start && memcmp(next, stated, sizeof(next)))
			return fail(v, n, seq,
				    "seq %llu: no checkpoint before it vouches "
				    "for the chain, and it is not the first "
				    "line of a chain",
				    (unsigned long long)seq);
		memcpy(v->head, stated, sizeof(stated));
		v->anchored = 1;
		return 0;
	}
	tg_chain_link(v->head, lh, next);
	if (memcmp(next, stated, sizeof(next)))
		return mismatch(v, n, seq);
	memcpy(v->head, next, sizeof(next));
	o = notice(line, len);
	if (o) {
		char why[sizeof(v->why)];
		const char *op = str(o, "op");

		v->breaks++;
		snprintf(why, sizeof(why),
			 "seq %llu: the collector recorded %s: %s",
			 (unsigned long long)seq,
			 !strcmp(op, "chain_break") ? "a break of the chain"
			 : !strcmp(op, "log_truncated")
				 ? "lines removed from the log's end (op "
				   "log_truncated)"
				 : "lines changed at the log's end (op "
				   "log_tampered)",
			 str(o, "message") ?: "(no message)");
		json_object_put(o);
		if (!v->trust_start)
			return fail(v, n, seq, "%s", why);
		memcpy(v->why, why, sizeof(why));
	}
	return 0;
}

int tg_chain_verify_line(struct tg_chain_verify *v, unsigned long n,
			 const char *line, size_t len)
{
	unsigned char lh[TG_CHAIN_BYTES];
	const char *hex = NULL;
	size_t at = 0;
	__u64 seq = 0;
	int has, err;

	if (v->bad_entry)
		return -EBADMSG;
	if (!len)
		return 0;
	if (v->key_pinned)
		v->have_key = 1;
	has = tg_chain_parse(line, len, &seq, &at, &hex);
	if (has < 0) {
		/* A report's header, before any line. */
		if (!v->seen && line[0] == '{' &&
		    memmem(line, len, "\"tenantguard_report\"", 20))
			return 0;
		return fail(v, n, 0, "line %lu is no line of the log", n);
	}
	if (v->seen && seq <= v->last_seq)
		return fail(v, n, seq,
			    "seq %llu after seq %llu: lines out of order, or "
			    "a line inserted",
			    (unsigned long long)seq,
			    (unsigned long long)v->last_seq);
	v->entries++;
	if (has == 1) {
		err = check_full(v, n, seq, line, len, hex);
		v->full++;
		v->last_checkpoint = v->last_cp_seq == seq;
	} else if (!parse_stub(line, len, &seq, lh)) {
		if (!v->anchored)
			return fail(v, n, seq,
				    "seq %llu: no checkpoint before it "
				    "vouches for the chain",
				    (unsigned long long)seq);
		tg_chain_link(v->head, lh, v->head);
		v->stubs++;
		v->last_checkpoint = 0;
		err = 0;
	} else if (v->trust_start && !v->anchored) {
		err = 0; /* from before the chain began */
	} else {
		err = fail(v, n, seq,
			   "seq %llu carries no chain value: inserted, or "
			   "edited",
			   (unsigned long long)seq);
	}
	if (err)
		return err;
	v->seen = 1;
	v->last_seq = seq;
	return 0;
}
