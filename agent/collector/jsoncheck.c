// SPDX-License-Identifier: GPL-2.0
/* Strict JSON check of event payloads stored verbatim (see jsoncheck.h). */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "collector/jsoncheck.h"

#define KEY_MAX	 64  /* top-level key bytes compared exactly */
#define KEYS_MAX 256 /* top-level keys at most */

struct jc {
	const char *p, *end;
	int depth, max_depth;
	const char *why;
};

struct key {
	char k[KEY_MAX];
	size_t n; /* decoded length; > KEY_MAX: only the first KEY_MAX kept */
	const char *raw; /* the key as written, and its length */
	size_t raw_n;
};

static int fail(struct jc *j, const char *why)
{
	if (!j->why)
		j->why = why;
	return -EINVAL;
}

static void ws(struct jc *j)
{
	while (j->p < j->end && (*j->p == ' ' || *j->p == '\t'))
		j->p++;
}

static int hex4(struct jc *j, unsigned int *v)
{
	int i;

	*v = 0;
	if (j->end - j->p < 4)
		return fail(j, "payload is not valid JSON: short \\u escape");
	for (i = 0; i < 4; i++) {
		char c = j->p[i];

		*v <<= 4;
		if (c >= '0' && c <= '9')
			*v |= (unsigned int)(c - '0');
		else if (c >= 'a' && c <= 'f')
			*v |= (unsigned int)(c - 'a' + 10);
		else if (c >= 'A' && c <= 'F')
			*v |= (unsigned int)(c - 'A' + 10);
		else
			return fail(
				j, "payload is not valid JSON: bad \\u escape");
	}
	j->p += 4;
	return 0;
}

/* Append code point cp as UTF-8 to the decoded key (bounded). */
static void put_cp(struct key *k, unsigned int cp)
{
	unsigned char b[4];
	size_t n, i;

	if (cp < 0x80) {
		b[0] = (unsigned char)cp;
		n = 1;
	} else if (cp < 0x800) {
		b[0] = (unsigned char)(0xc0 | (cp >> 6));
		b[1] = (unsigned char)(0x80 | (cp & 0x3f));
		n = 2;
	} else if (cp < 0x10000) {
		b[0] = (unsigned char)(0xe0 | (cp >> 12));
		b[1] = (unsigned char)(0x80 | ((cp >> 6) & 0x3f));
		b[2] = (unsigned char)(0x80 | (cp & 0x3f));
		n = 3;
	} else {
		b[0] = (unsigned char)(0xf0 | (cp >> 18));
		b[1] = (unsigned char)(0x80 | ((cp >> 12) & 0x3f));
		b[2] = (unsigned char)(0x80 | ((cp >> 6) & 0x3f));
		b[3] = (unsigned char)(0x80 | (cp & 0x3f));
		n = 4;
	}
	for (i = 0; i < n; i++, k->n++)
		if (k->n < KEY_MAX)
			k->k[k->n] = (char)b[i];
}

/* One UTF-8 sequence at j->p (first byte >= 0x80); its code point. */
static int utf8(struct jc *j, unsigned int *cp)
{
	const unsigned char *u = (const unsigned char *)j->p;
	size_t left = (size_t)(j->end - j->p), n, i;
	unsigned int min;

	if (u[0] >= 0xc2 && u[0] <= 0xdf) {
		n = 2, min = 0x80, *cp = u[0] & 0x1f;
	} else if (u[0] >= 0xe0 && u[0] <= 0xef) {
		n = 3, min = 0x800, *cp = u[0] & 0x0f;
	} else if (u[0] >= 0xf0 && u[0] <= 0xf4) {
		n = 4, min = 0x10000, *cp = u[0] & 0x07;
	} else {
		return fail(j, "payload is not valid UTF-8");
	}
	if (left < n)
		return fail(j, "payload is not valid UTF-8");
	for (i = 1; i < n; i++) {
		if ((u[i] & 0xc0) != 0x80)
			return fail(j, "payload is not valid UTF-8");
		*cp = (*cp << 6) | (u[i] & 0x3f);
	}
	if (*cp < min || *cp > 0x10ffff || (*cp >= 0xd800 && *cp <= 0xdfff))
		return fail(j, "payload is not valid UTF-8");
	j->p += n;
	return 0;
}

/* A string at j->p (on the opening quote); decoded into k if not NULL. */
static int string(struct jc *j, struct key *k)
{
	unsigned int cp, lo;
	unsigned char c;

	j->p++;
	for (;;) {
		if (j->p >= j->end)
			return fail(
				j,
				"payload is not valid JSON: unterminated string");
		c = (unsigned char)*j->p;
		if (c == '"') {
			j->p++;
			return 0;
		}
		if (c < 0x20)
			return fail(
				j,
				"payload holds a raw control character in a string");
		if (c >= 0x80) {
			if (utf8(j, &cp))
				return -EINVAL;
		} else if (c != '\\') {
			cp = c;
			j->p++;
		} else {
			if (j->end - j->p < 2)
				return fail(
					j,
					"payload is not valid JSON: unterminated string");
			c = (unsigned char)j->p[1];
			j->p += 2;
			switch (c) {
			case '"': cp = '"'; break;
			case '\\': cp = '\\'; break;
			case '/': cp = '/'; break;
			case 'b': cp = '\b'; break;
			case 'f': cp = '\f'; break;
			case 'n': cp = '\n'; break;
			case 'r': cp = '\r'; break;
			case 't': cp = '\t'; break;
			case 'u':
				if (hex4(j, &cp))
					return -EINVAL;
				if (cp >= 0xdc00 && cp <= 0xdfff)
					return fail(
						j,
						"payload holds a lone surrogate escape");
				if (cp >= 0xd800 && cp <= 0xdbff) {
					if (j->end - j->p < 2 ||
					    j->p[0] != '\\' || j->p[1] != 'u')
						return fail(
							j,
							"payload holds a lone surrogate escape");
					j->p += 2;
					if (hex4(j, &lo))
						return -EINVAL;
					if (lo < 0xdc00 || lo > 0xdfff)
						return fail(
							j,
							"payload holds a lone surrogate escape");
					cp = 0x10000 + ((cp - 0xd800) << 10) +
					     (lo - 0xdc00);
				}
				break;
			default:
				return fail(
					j,
					"payload is not valid JSON: bad escape");
			}
		}
		if (k)
			put_cp(k, cp);
	}
}

static int digits(struct jc *j)
{
	const char *start = j->p;

	while (j->p < j->end && *j->p >= '0' && *j->p <= '9')
		j->p++;
	return j->p > start ? 0
			    : fail(j, "payload is not valid JSON: bad number");
}

static int number(struct jc *j)
{
	if (*j->p == '-')
		j->p++;
	if (j->p < j->end && (*j->p == 'I' || *j->p == 'N'))
		return fail(j, "payload holds a number JSON cannot express");
	if (j->p < j->end && *j->p == '0')
		j->p++;
	else if (digits(j))
		return -EINVAL;
	if (j->p < j->end && *j->p == '.') {
		j->p++;
		if (digits(j))
			return -EINVAL;
	}
	if (j->p < j->end && (*j->p == 'e' || *j->p == 'E')) {
		j->p++;
		if (j->p < j->end && (*j->p == '+' || *j->p == '-'))
			j->p++;
		if (digits(j))
			return -EINVAL;
	}
	return 0;
}

static int literal(struct jc *j, const char *word)
{
	size_t n = strlen(word);

	if ((size_t)(j->end - j->p) < n || memcmp(j->p, word, n))
		return fail(j, "payload is not valid JSON");
	j->p += n;
	return 0;
}

static int value(struct jc *j);

/*
 * After a member: 0 if a ',' follows (another member), 1 if the closing
 * character does (the container ends), else -EINVAL.
 */
static int next_member(struct jc *j, char close, const char *why)
{
	ws(j);
	if (j->p < j->end && *j->p == ',') {
		j->p++;
		return 0;
	}
	if (j->p < j->end && *j->p == close) {
		j->p++;
		j->depth--;
		return 1;
	}
	return fail(j, why);
}

static int check_key(struct jc *j, struct key *keys, size_t n,
		     const char *const *forbidden)
{
	struct key *k = &keys[n];
	size_t i;

	for (i = 0; forbidden && forbidden[i]; i++)
		if (k->n == strlen(forbidden[i]) &&
		    !memcmp(k->k, forbidden[i], k->n))
			return fail(
				j,
				"payload must not carry seq, chain, agent_stream or agent_seq");
	/* Keys longer than KEY_MAX are compared as written. */
	for (i = 0; i < n; i++) {
		if (keys[i].n != k->n)
			continue;
		if (k->n <= KEY_MAX ? !memcmp(keys[i].k, k->k, k->n)
				    : (keys[i].raw_n == k->raw_n &&
				       !memcmp(keys[i].raw, k->raw, k->raw_n)))
			return fail(j, "payload holds a key twice");
	}
	return 0;
}

/* An object at j->p; top: check the keys. */
static int object(struct jc *j, const char *const *forbidden, int top)
{
	static struct key keys[KEYS_MAX];
	size_t n = 0;
	int err;

	if (++j->depth > j->max_depth)
		return fail(j, "payload nests too deep");
	j->p++;
	ws(j);
	if (j->p < j->end && *j->p == '}') {
		j->p++;
		j->depth--;
		return 0;
	}
	for (;;) {
		ws(j);
		if (j->p >= j->end || *j->p != '"')
			return fail(j,
				    "payload is not valid JSON: key expected");
		if (top) {
			if (n == KEYS_MAX)
				return fail(j, "payload has too many keys");
			keys[n].n = 0;
			keys[n].raw = j->p;
		}
		if (string(j, top ? &keys[n] : NULL))
			return -EINVAL;
		if (top)
			keys[n].raw_n = (size_t)(j->p - keys[n].raw);
		if (top && check_key(j, keys, n++, forbidden))
			return -EINVAL;
		ws(j);
		if (j->p >= j->end || *j->p != ':')
			return fail(j,
				    "payload is not valid JSON: ':' expected");
		j->p++;
		ws(j);
		if (value(j))
			return -EINVAL;
		err = next_member(
			j, '}',
			"payload is not valid JSON: ',' or '}' expected");
		if (err)
			return err < 0 ? -EINVAL : 0;
	}
}

static int array(struct jc *j)
{
	int err;

	if (++j->depth > j->max_depth)
		return fail(j, "payload nests too deep");
	j->p++;
	ws(j);
	if (j->p < j->end && *j->p == ']') {
		j->p++;
		j->depth--;
		return 0;
	}
	for (;;) {
		ws(j);
		if (value(j))
			return -EINVAL;
		err = next_member(
			j, ']',
			"payload is not valid JSON: ',' or ']' expected");
		if (err)
			return err < 0 ? -EINVAL : 0;
	}
}

static int value(struct jc *j)
{
	if (j->p >= j->end)
		return fail(j, "payload is not valid JSON: value expected");
	switch (*j->p) {
	case '{': return object(j, NULL, 0);
	case '[': return array(j);
	case '"': return string(j, NULL);
	case 't': return literal(j, "true");
	case 'f': return literal(j, "false");
	case 'n': return literal(j, "null");
	case 'N':
	case 'I': return fail(j, "payload holds a number JSON cannot express");
	default:
		if (*j->p == '-' || (*j->p >= '0' && *j->p <= '9'))
			return number(j);
		return fail(j, "payload is not valid JSON: value expected");
	}
}

int tg_json_check_object(const char *s, size_t len, int max_depth,
			 const char *const *forbidden, char *why, size_t whylen)
{
	struct jc j = {.p = s, .end = s + len, .max_depth = max_depth};
	int err;

	/* Raw, a line break is never valid inside a string either. */
	if (memchr(s, '\n', len) || memchr(s, '\r', len)) {
		snprintf(why, whylen, "payload holds a line break");
		return -EINVAL;
	}
	if (!len || s[0] != '{') {
		snprintf(why, whylen, "payload is not one JSON object");
		return -EINVAL;
	}
	err = object(&j, forbidden, 1);
	if (!err && j.p != j.end)
		err = fail(&j, "payload is not one JSON object");
	if (err)
		snprintf(why, whylen, "%s", j.why ? j.why : "invalid");
	return err;
}
