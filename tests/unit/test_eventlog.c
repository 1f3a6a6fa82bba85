// SPDX-License-Identifier: GPL-2.0
/* Unit tests: the durable event log (seq, torn tails, rotation, hostile input).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <limits.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "collector/eventlog.h"

static char dir[64], path[128];

/* fail_syncs > 0: fdatasync of the log fails (fail_sync_path). */
#include "fail_sync.h"

/* > 0: writes to the log write only this many bytes; < 0: fail (ENOSPC). */
static int short_write;

ssize_t __real_write(int fd, const void *buf, size_t n);
ssize_t __wrap_write(int fd, const void *buf, size_t n)
{
	if (short_write && fd_is_path(fd, path)) {
		if (short_write < 0) {
			errno = ENOSPC;
			return -1;
		}
		return __real_write(
			fd, buf,
			(size_t)short_write < n ? (size_t)short_write : n);
	}
	return __real_write(fd, buf, n);
}

static int setup(void **state)
{
	snprintf(dir, sizeof(dir), "/tmp/tg-eventlog.XXXXXX");
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/events.jsonl", dir);
	fail_sync_path = path;
	return 0;
}

static int teardown(void **state)
{
	fail_syncs = 0;
	short_write = 0;
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	return system(cmd);
}

static void append(struct tg_eventlog *l, const char *json, __u64 want_seq)
{
	struct json_object *o = json_tokener_parse(json);
	__u64 seq = 0;

	assert_non_null(o);
	assert_int_equal(tg_eventlog_append(l, o, &seq), 0);
	assert_int_equal(seq, want_seq);
	json_object_put(o);
}

/* The file at p (up to 1 MiB) as stored, NULL if it does not exist. */
static char *slurp_raw(const char *p)
{
	static char buf[1 << 20];
	int fd = open(p, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return NULL;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	buf[n < 0 ? 0 : n] = '\0';
	return buf;
}

/*
 * The salt of each line (common/chain.h): fixed (16 bytes 0xab) for the
 * fixed vectors, else libsodium's.
 */
#define SALT_HEX "abababababababababababababababab"
static int fixed_salt = 1;
void __real_randombytes_buf(void *buf, size_t n);
void __wrap_randombytes_buf(void *buf, size_t n)
{
	if (fixed_salt)
		memset(buf, 0xab, n);
	else
		__real_randombytes_buf(buf, n);
}

/*
 * s without the chain and salt members after each "seq" (test_chain_*
 * check them).
 */
static char *unchained(char *s)
{
	char *p = s, *nl;
	size_t at;
	const char *hex;
	__u64 seq;

	while (p && *p) {
		nl = strchr(p, '\n');
		if (tg_chain_parse(p, nl ? (size_t)(nl - p) : strlen(p), &seq,
				   &at, &hex) == 1)
			memmove(p + at,
				p + at + TG_CHAIN_MEMBER + TG_CHAIN_SALT_MEMBER,
				strlen(p + at + TG_CHAIN_MEMBER +
				       TG_CHAIN_SALT_MEMBER) +
					1);
		nl = strchr(p, '\n');
		p = nl ? nl + 1 : NULL;
	}
	return s;
}

/* The file at p without the chain members, NULL if it does not exist. */
static char *slurp(const char *p)
{
	return unchained(slurp_raw(p));
}

static void write_file(const char *p, const char *data, size_t len)
{
	int fd = open(p, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0640);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, data, len), (ssize_t)len);
	close(fd);
}

/* Parse every line of text strictly (UTF-8 checked); the seqs in order. */
static int check_lines(const char *text, __u64 *seqs, int max)
{
	struct json_tokener *tok = json_tokener_new();
	struct json_object *o, *v;
	const char *p = text, *nl;
	int n = 0;

	json_tokener_set_flags(tok, JSON_TOKENER_STRICT |
					    JSON_TOKENER_VALIDATE_UTF8);
	while (*p) {
		nl = strchr(p, '\n');
		assert_non_null(nl); /* every line ends in a newline */
		json_tokener_reset(tok);
		o = json_tokener_parse_ex(tok, p, (int)(nl - p));
		assert_non_null(o);
		assert_int_equal(json_tokener_get_parse_end(tok), nl - p);
		assert_int_equal(strncmp(p, "{\"seq\":", 7), 0);
		assert_true(json_object_object_get_ex(o, "seq", &v));
		assert_true(n < max);
		seqs[n++] = (__u64)json_object_get_int64(v);
		json_object_put(o);
		p = nl + 1;
	}
	json_tokener_free(tok);
	return n;
}

static void test_seq_first_and_continues(void **state)
{
	struct tg_eventlog l;

	assert_int_equal(tg_eventlog_open(&l, path, 0, 0), 0);
	assert_int_equal(l.next_seq, 1);
	append(&l, "{\"kind\":\"net\",\"port\":80,\"a\":{\"b\":[1,2]}}", 1);
	append(&l, "{}", 2);
	assert_int_equal(tg_eventlog_commit(&l), 0);
	tg_eventlog_close(&l);
	assert_string_equal(
		slurp(path),
		"{\"seq\":1,\"kind\":\"net\",\"port\":80,\"a\":{\"b\":[1,2]}}\n"
		"{\"seq\":2}\n");
	/* Reopening continues after the last line. */
	assert_int_equal(tg_eventlog_open(&l, path, 0, 0), 0);
	append(&l, "{\"a\":\"b\"}", 3);
	tg_eventlog_close(&l);
	assert_int_equal(tg_eventlog_open(&l, path, 0, 0), 0);
	assert_int_equal(l.next_seq, 4);
	assert_string_equal(unchained(l.last_line), "{\"seq\":3,\"a\":\"b\"}");
	tg_eventlog_close(&l);
}

static void test_torn_tail_truncated(void **state)
{
	static const char good[] =
		"{\"seq\":41,\"a\":1}\n{\"seq\":42,\"a\":2}\n";
	struct tg_eventlog l;
	char data[128];

	snprintf(data, sizeof(data), "%s{\"seq\":43,\"a\"", good);
	write_file(path, data, strlen(data));
	assert_int_equal(tg_eventlog_open(&l, path, 0, 0), 0);
	assert_true(l.torn_truncated);
	assert_string_equal(slurp(path), good);
	append(&l, "{\"a\":3}", 43);
	tg_eventlog_close(&l);
	assert_string_equal(slurp(path),
			    "{\"seq\":41,\"a\":1}\n{\"seq\":42,\"a\":2}\n"
			    "{\"seq\":43,\"a\":3}\n");
}

static void test_torn_only_line(void **state)
{
	struct tg_eventlog l;

	write_file(path, "{\"seq\":1,", 9);
	assert_int_equal(tg_eventlog_open(&l, path, 0, 0), 0);
	assert_true(l.torn_truncated);
	assert_string_equal(slurp(path), "");
	tg_eventlog_close(&l);
}

/* A torn tail longer than any line (garbage): still cut at the last newline. */
static void test_torn_long_garbage(void **state)
{
	size_t n = 300000;
	char *data = malloc(n);
	struct tg_eventlog l;

	assert_non_null(data);
	memset(data, 'x', n);
	memcpy(data, "{\"seq\":7}\n", 10);
	write_file(path, data, n);
	free(data);
	assert_int_equal(tg_eventlog_open(&l, path, 0, 0), 0);
	assert_true(l.torn_truncated);
	assert_int_equal(l.next_seq, 8);
	tg_eventlog_close(&l);
	assert_string_equal(slurp(path), "{\"seq\":7}\n");
}

static void test_seq_never_reused(void **state)
{
	struct tg_eventlog l;

	assert_int_equal(tg_eventlog_open(&l, path, 0, 0), 0);
	append(&l, "{}", 1);
	append(&l, "{}", 2);
	tg_eventlog_close(&l);
	/* The log is lost entirely: the state file still moves seq on. */
	assert_int_equal(unlink(path), 0);
	assert_int_equal(tg_eventlog_open(&l, path, 0, 0), 0);
	assert_int_equal(l.next_seq, 3); /* a clean close leaves no gap */
	append(&l, "{}", 3);
	/* Crash: the fds go away without tg_eventlog_close. */
	close(l.fd);
	close(l.seq_fd);
	free(l.last_line);
	assert_int_equal(unlink(path), 0);
	assert_int_equal(tg_eventlog_open(&l, path, 0, 0), 0);
	assert_true(l.next_seq > 3); /* the reservation is skipped */
	tg_eventlog_close(&l);
}

static void test_rotation(void **state)
{
	static const char ev[] =
		"{\"pad\":\"0123456789012345678901234567890123456789\"}";
	__u64 seqs[64], want = 0;
	struct tg_eventlog l;
	char p[160], *text;
	int i, n, files;

	assert_int_equal(tg_eventlog_open(&l, path, 200, 3), 0);
	for (i = 1; i <= 40; i++) {
		append(&l, ev, (__u64)i);
		/* Uncommitted lines are never rotated away. */
		if (l.size >= 200)
			assert_int_equal(tg_eventlog_rotate(&l), -EBUSY);
		if (i % 2 == 0) {
			assert_int_equal(tg_eventlog_commit(&l), 0);
			assert_int_equal(tg_eventlog_rotate(&l), 0);
			assert_true(l.size < 200);
		}
	}
	tg_eventlog_close(&l);
	/* Exactly 3 rotated files, whole lines only, seqs contiguous. */
	for (files = 3; files >= 0; files--) {
		if (files)
			snprintf(p, sizeof(p), "%s.%d", path, files);
		else
			snprintf(p, sizeof(p), "%s", path);
		text = slurp(p);
		assert_non_null(text);
		n = check_lines(text, seqs, 64);
		for (i = 0; i < n; i++) {
			if (want)
				assert_int_equal(seqs[i], want + 1);
			want = seqs[i];
		}
	}
	assert_int_equal(want, 40);
	snprintf(p, sizeof(p), "%s.4", path);
	assert_null(slurp(p));
	snprintf(p, sizeof(p), "%s.new", path);
	assert_null(slurp(p));
	/* The current file is empty and the state file gone: .1 has the seq. */
	assert_string_equal(slurp(path), "");
	snprintf(p, sizeof(p), "%s.seq", path);
	assert_int_equal(unlink(p), 0);
	assert_int_equal(tg_eventlog_open(&l, path, 200, 3), 0);
	assert_int_equal(l.next_seq, 41);
	tg_eventlog_close(&l);
}

static void test_rotation_keep_zero(void **state)
{
	struct tg_eventlog l;
	char p[160];
	int i;

	assert_int_equal(tg_eventlog_open(&l, path, 50, 0), 0);
	for (i = 1; i <= 5; i++) {
		append(&l,
		       "{\"pad\":\"0123456789012345678901234567890123456789\"}",
		       (__u64)i);
		assert_int_equal(tg_eventlog_commit(&l), 0);
		assert_int_equal(tg_eventlog_rotate(&l), 0);
	}
	tg_eventlog_close(&l);
	assert_string_equal(slurp(path), "");
	snprintf(p, sizeof(p), "%s.1", path);
	assert_null(slurp(p));
	assert_int_equal(tg_eventlog_open(&l, path, 50, 0), 0);
	assert_int_equal(l.next_seq, 6);
	tg_eventlog_close(&l);
}

static void test_hostile_strings(void **state)
{
	static const char *hostile[] = {
		/* escapes, U+2028, euro */
		"a\"b\\c\n\r\t\x01\x1f\x7f/ \xe2\x80\xa8 \xe2\x82\xac",
		"\xff\xfe",	    /* never valid */
		"\xc3(",	    /* broken 2-byte sequence */
		"\xe2\x82",	    /* truncated at the end */
		"\xc0\xaf",	    /* overlong "/" */
		"\xed\xa0\x80",	    /* surrogate */
		"\xf4\x90\x80\x80", /* past U+10FFFF */
	};
	struct json_object *o = json_object_new_object(), *back, *v;
	struct json_tokener *tok;
	struct tg_eventlog l;
	__u64 seq, seqs[2];
	char key[16], *line;
	size_t i;

	for (i = 0; i < sizeof(hostile) / sizeof(hostile[0]); i++) {
		snprintf(key, sizeof(key), "k%zu", i);
		json_object_object_add(o, key,
				       json_object_new_string(hostile[i]));
	}
	json_object_object_add(o, "key\xff\n", json_object_new_int(1));
	assert_int_equal(tg_eventlog_open(&l, path, 0, 0), 0);
	assert_int_equal(tg_eventlog_append(&l, o, &seq), 0);
	tg_eventlog_close(&l);
	line = slurp(path);
	/* One line, valid (strict, UTF-8 checked) JSON. */
	assert_int_equal(check_lines(line, seqs, 2), 1);
	tok = json_tokener_new();
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT |
					    JSON_TOKENER_VALIDATE_UTF8);
	back = json_tokener_parse_ex(tok, line, (int)strlen(line) - 1);
	assert_non_null(back);
	assert_true(json_object_object_get_ex(back, "k0", &v));
	assert_string_equal(json_object_get_string(v), hostile[0]);
	/* Invalid bytes became U+FFFD, one per byte. */
	assert_true(json_object_object_get_ex(back, "k1", &v));
	assert_string_equal(json_object_get_string(v),
			    "\xef\xbf\xbd\xef\xbf\xbd");
	assert_true(json_object_object_get_ex(back, "k2", &v));
	assert_string_equal(json_object_get_string(v), "\xef\xbf\xbd(");
	assert_true(json_object_object_get_ex(back, "key\xef\xbf\xbd\n", &v));
	json_object_put(back);
	json_tokener_free(tok);
	json_object_put(o);
}

static void expect_refused(struct tg_eventlog *l, struct json_object *o,
			   int err)
{
	__u64 seq = 0, next = l->next_seq;
	off_t size = l->size;

	assert_int_equal(tg_eventlog_append(l, o, &seq), err);
	/* Nothing written, no seq used. */
	assert_int_equal(l->size, size);
	assert_int_equal(l->next_seq, next);
	json_object_put(o);
}

static void test_refused_events(void **state)
{
	struct json_object *o, *deep;
	struct tg_eventlog l;
	char *big;
	int i;

	assert_int_equal(tg_eventlog_open(&l, path, 0, 0), 0);
	expect_refused(&l, json_object_new_array(), -EINVAL);
	expect_refused(&l, json_tokener_parse("{\"seq\":5}"), -EINVAL);
	o = json_object_new_object();
	json_object_object_add(o, "x", json_object_new_double(NAN));
	expect_refused(&l, o, -EINVAL);
	o = json_object_new_object();
	json_object_object_add(o, "x", json_object_new_array());
	json_object_array_add(json_object_object_get(o, "x"),
			      json_object_new_double(-INFINITY));
	expect_refused(&l, o, -EINVAL);
	deep = json_object_new_int(1);
	for (i = 0; i < TG_EVENTLOG_MAX_DEPTH + 1; i++) {
		o = json_object_new_object();
		json_object_object_add(o, "d", deep);
		deep = o;
	}
	expect_refused(&l, deep, -EINVAL);
	big = malloc(TG_EVENTLOG_MAX_LINE);
	assert_non_null(big);
	memset(big, 'a', TG_EVENTLOG_MAX_LINE - 1);
	big[TG_EVENTLOG_MAX_LINE - 1] = '\0';
	o = json_object_new_object();
	json_object_object_add(o, "big", json_object_new_string(big));
	expect_refused(&l, o, -E2BIG);
	free(big);
	/* A number too large for a double keeps its text: that is JSON. */
	append(&l, "{\"x\":1e999,\"y\":-0.5}", 1);
	tg_eventlog_close(&l);
	assert_string_equal(slurp(path),
			    "{\"seq\":1,\"x\":1e999,\"y\":-0.5}\n");
}

/* A failed commit takes back what it could not make durable; seq goes on. */
static void test_commit_failure_rolls_back(void **state)
{
	struct tg_eventlog l;

	assert_int_equal(tg_eventlog_open(&l, path, 0, 0), 0);
	append(&l, "{\"a\":1}", 1);
	assert_int_equal(tg_eventlog_commit(&l), 0);
	append(&l, "{\"a\":2}", 2);
	append(&l, "{\"a\":3}", 3);
	fail_syncs = 1;
	assert_int_equal(tg_eventlog_commit(&l), -EIO);
	assert_int_equal(l.size, l.committed);
	assert_string_equal(slurp(path), "{\"seq\":1,\"a\":1}\n");
	/* The next commit vouches only for what follows; no seq is reused. */
	append(&l, "{\"a\":4}", 4);
	assert_int_equal(tg_eventlog_commit(&l), 0);
	tg_eventlog_close(&l);
	assert_string_equal(slurp(path),
			    "{\"seq\":1,\"a\":1}\n{\"seq\":4,\"a\":4}\n");
	assert_int_equal(tg_eventlog_open(&l, path, 0, 0), 0);
	assert_int_equal(l.next_seq, 5);
	tg_eventlog_close(&l);
}

/* The chain value a line carries (its hex), or "" when none. */
static const char *chain_of(const char *text, int line)
{
	static char hex[TG_CHAIN_HEX + 1];
	const char *p = text, *h;
	size_t at;
	__u64 seq;

	for (; line > 1 && p; line--)
		p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL;
	if (!p || tg_chain_parse(p, strlen(p), &seq, &at, &h) != 1)
		return "";
	memcpy(hex, h, TG_CHAIN_HEX);
	hex[TG_CHAIN_HEX] = '\0';
	return hex;
}

static void assert_head(const unsigned char *head, const char *want)
{
	char hex[TG_CHAIN_HEX + 1];

	tg_chain_hex(head, TG_CHAIN_BYTES, hex);
	assert_string_equal(hex, want);
}

/* Lines with the salt SALT_HEX (chain format 2). */
#define C1 "125ca1b719d8c18c90710eafead7aaecc9417a3e4d40fa915530a2896961e25b"
#define C2 "931acf671de3b816c1920d4eda917979afb6364c7d26814253c8428f3b4350e7"
#define A1                                                                     \
	"dee56c1853f90cbe4442e0b1796014331e04af95a5c38d3807e3373c428c43b9" /* {"seq":1,"salt":...,"a":1} */
#define A3                                                                     \
	"c4d4b45564aa7f5cd4c17921efea45e4f337c543ed13fa0c79d360037f591383" /* {"seq":3,"salt":...,"a":4} after A1 */

/* Fixed vectors (SHA-256 as common/chain.h says), and reopening goes on. */
static void test_chain_values(void **state)
{
	struct tg_eventlog l;
	char *text;

	assert_int_equal(tg_eventlog_open(&l, path, 0, 0), 0);
	assert_false(l.chain_found);
	append(&l, "{\"kind\":\"net\",\"port\":80,\"a\":{\"b\":[1,2]}}", 1);
	append(&l, "{}", 2);
	tg_eventlog_close(&l);
	text = slurp_raw(path);
	assert_string_equal(chain_of(text, 1), C1);
	assert_string_equal(chain_of(text, 2), C2);
	assert_int_equal(strncmp(text,
				 "{\"seq\":1,\"chain\":\"" C1
				 "\",\"salt\":\"" SALT_HEX "\",\"kind\"",
				 127),
			 0);
	assert_string_equal(strchr(text, '\n') + 1,
			    "{\"seq\":2,\"chain\":\"" C2
			    "\",\"salt\":\"" SALT_HEX "\"}\n");
	assert_int_equal(tg_eventlog_open(&l, path, 0, 0), 0);
	assert_true(l.chain_found);
	assert_int_equal(l.chain_seq, 2);
	assert_head(l.chain, C2);
	tg_eventlog_close(&l);
}

/*
 * Each line has a salt of its own: two lines alike but for it have hashes,
 * and report stubs, that tell nothing of each other; the chain verifies.
 */
static void test_chain_salted(void **state)
{
	char *text, *second, stub1[TG_CHAIN_STUB_MAX], stub2[TG_CHAIN_STUB_MAX];
	struct tg_chain_verify v = {.trust_start = 1};
	const char *s1, *s2;
	struct tg_eventlog l;
	size_t len1;

	fixed_salt = 0;
	assert_int_equal(tg_eventlog_open(&l, path, 0, 0), 0);
	append(&l, "{\"a\":1}", 1);
	append(&l, "{\"a\":1}", 2);
	tg_eventlog_close(&l);
	fixed_salt = 1;
	text = slurp_raw(path);
	second = strchr(text, '\n') + 1;
	len1 = (size_t)(second - text - 1);
	s1 = strstr(text, ",\"salt\":\"");
	s2 = strstr(second, ",\"salt\":\"");
	assert_true(s1 && s1 == text + 8 + TG_CHAIN_MEMBER && s2);
	assert_int_equal(strspn(s1 + 9, "0123456789abcdef"), 32);
	assert_int_equal(s1[9 + 32], '"');
	assert_memory_not_equal(s1 + 9, s2 + 9, 32);
	assert_memory_not_equal(s1 + 9, SALT_HEX, 32);
	/* The stubs (seq apart) differ, and neither is the unsalted hash. */
	assert_true(tg_chain_stub(text, len1, stub1) > 0);
	assert_true(tg_chain_stub(second, strlen(second) - 1, stub2) > 0);
	assert_string_not_equal(strchr(stub1, ','), strchr(stub2, ','));
	assert_null(strstr(
		stub1, /* SHA-256 of {"seq":1,"a":1} */
		"18cdb552f33dceda953d0baa22abd363972908a8aaccb1445fea622a13ed760f"));
	assert_int_equal(tg_chain_verify_line(&v, 1, text, len1), 0);
	assert_int_equal(
		tg_chain_verify_line(&v, 2, second, strlen(second) - 1), 0);
}

/* What a failed commit drops leaves the chain too. */
static void test_chain_commit_failure(void **state)
{
	struct tg_eventlog l;

	assert_int_equal(tg_eventlog_open(&l, path, 0, 0), 0);
	append(&l, "{\"a\":1}", 1);
	assert_int_equal(tg_eventlog_commit(&l), 0);
	append(&l, "{\"a\":2}", 2);
	fail_syncs = 1;
	assert_int_equal(tg_eventlog_commit(&l), -EIO);
	assert_head(l.chain, A1);
	assert_int_equal(l.chain_seq, 1);
	append(&l, "{\"a\":4}", 3);
	tg_eventlog_close(&l);
	assert_string_equal(chain_of(slurp_raw(path), 1), A1);
	assert_string_equal(chain_of(slurp_raw(path), 2), A3);
}

/* Verify every file of the log, oldest first, as one chain from zero. */
static void verify_files(void)
{
	struct tg_chain_verify v = {};
	char p[160], *text, *s, *nl;
	unsigned long n = 0;
	int files = 1;

	do
		snprintf(p, sizeof(p), "%s.%d", path, files++);
	while (access(p, F_OK) == 0);
	assert_true(files > 3); /* rotated twice at least */
	for (files -= 2; files >= 0; files--) {
		if (files)
			snprintf(p, sizeof(p), "%s.%d", path, files);
		else
			snprintf(p, sizeof(p), "%s", path);
		text = slurp_raw(p);
		assert_non_null(text);
		for (s = text; (nl = strchr(s, '\n')); s = nl + 1)
			assert_int_equal(tg_chain_verify_line(&v, ++n, s,
							      (size_t)(nl - s)),
					 0);
	}
	assert_true(v.entries > 10);
}

/* Rotation and reopening: the next file goes on from the last. */
static void test_chain_rotation(void **state)
{
	struct tg_eventlog l;
	int i;

	assert_int_equal(tg_eventlog_open(&l, path, 300, 50), 0);
	for (i = 1; i <= 12; i++) {
		append(&l, "{\"pad\":\"0123456789012345678901234567890123\"}",
		       (__u64)i);
		assert_int_equal(tg_eventlog_commit(&l), 0);
		assert_int_equal(tg_eventlog_rotate(&l), 0);
	}
	tg_eventlog_close(&l);
	assert_int_equal(tg_eventlog_open(&l, path, 300, 50), 0);
	append(&l, "{\"b\":1}", 13);
	tg_eventlog_close(&l);
	verify_files();
}

static void test_errors(void **state)
{
	struct tg_eventlog l, l2;
	char p[160];

	/* The directory is never created. */
	assert_int_equal(
		tg_eventlog_open(&l, "/nonexistent-tg/dir/events.jsonl", 0, 0),
		-ENOENT);
	snprintf(p, sizeof(p), "%s/sub/events.jsonl", dir);
	assert_int_equal(tg_eventlog_open(&l, p, 0, 0), -ENOENT);
	snprintf(p, sizeof(p), "%s/sub", dir);
	assert_null(slurp(p));
	assert_int_equal(tg_eventlog_open(&l, dir, 0, 0), -EISDIR);
	assert_int_equal(
		tg_eventlog_open(&l, path, 0, TG_EVENTLOG_MAX_KEEP + 1),
		-EINVAL);
	/* One writer per log. */
	assert_int_equal(tg_eventlog_open(&l, path, 0, 0), 0);
	assert_int_equal(tg_eventlog_open(&l2, path, 0, 0), -EBUSY);
	tg_eventlog_close(&l);
	assert_int_equal(tg_eventlog_open(&l2, path, 0, 0), 0);
	tg_eventlog_close(&l2);
}

static unsigned int mode_of(const char *p)
{
	struct stat st;

	assert_int_equal(lstat(p, &st), 0);
	return st.st_mode & 07777;
}

/*
 * The log's directory is created (its last component only) mode 0700 for
 * the uid given; every file the log creates, rotation included, is 0600;
 * the files are reached through the directory's descriptor, so renaming
 * the path above it changes nothing.
 */
static void test_private_files(void **state)
{
	char sub[128], p[192], moved[128];
	struct tg_eventlog l;
	int fd, i;

	snprintf(p, sizeof(p), "%s/a/b/events.jsonl", dir);
	assert_int_equal(tg_eventlog_open_dir(p, getuid(), getgid()), -ENOENT);
	snprintf(sub, sizeof(sub), "%s/log", dir);
	snprintf(p, sizeof(p), "%s/events.jsonl", sub);
	/* Without a uid to give it to, nothing is created. */
	assert_int_equal(tg_eventlog_open_dir(p, (uid_t)-1, (gid_t)-1),
			 -ENOENT);
	fd = tg_eventlog_open_dir(p, getuid(), getgid());
	assert_true(fd >= 0);
	assert_int_equal(mode_of(sub), 0700);
	assert_int_equal(tg_eventlog_lock(&l, p, fd, 100, 2), 0);
	assert_int_equal(tg_eventlog_recover(&l), 0);
	snprintf(moved, sizeof(moved), "%s/moved", dir);
	assert_int_equal(rename(sub, moved), 0);
	for (i = 0; i < 8; i++) {
		append(&l, "{\"a\":\"0123456789012345678901234567890\"}",
		       (__u64)i + 1);
		assert_int_equal(tg_eventlog_commit(&l), 0);
		assert_int_equal(tg_eventlog_rotate(&l), 0);
	}
	tg_eventlog_close(&l);
	snprintf(p, sizeof(p), "%s/events.jsonl", moved);
	assert_int_equal(mode_of(p), 0600);
	snprintf(p, sizeof(p), "%s/events.jsonl.seq", moved);
	assert_int_equal(mode_of(p), 0600);
	snprintf(p, sizeof(p), "%s/events.jsonl.1", moved);
	assert_int_equal(mode_of(p), 0600);
	snprintf(p, sizeof(p), "%s/events.jsonl.2", moved);
	assert_int_equal(mode_of(p), 0600);
	/* An existing directory is left as it is. */
	assert_int_equal(chmod(moved, 0750), 0);
	fd = tg_eventlog_open_dir(p, getuid(), getgid());
	assert_true(fd >= 0);
	close(fd);
	assert_int_equal(mode_of(moved), 0750);
	/* A log an earlier version left readable is made 0600 again. */
	snprintf(p, sizeof(p), "%s/events.jsonl", moved);
	assert_int_equal(chmod(p, 0640), 0);
	assert_int_equal(tg_eventlog_open(&l, p, 0, 0), 0);
	tg_eventlog_close(&l);
	assert_int_equal(mode_of(p), 0600);
}

/*
 * Disk full at commit: nothing of the round stays in the file (not even part
 * of a line), the lines are kept and written by a later commit, same seqs.
 */
static void test_full_disk_keeps_lines(void **state)
{
	struct tg_eventlog l;

	assert_int_equal(tg_eventlog_open(&l, path, 0, 0), 0);
	append(&l, "{\"a\":1}", 1);
	assert_int_equal(tg_eventlog_commit(&l), 0);
	append(&l, "{\"a\":2}", 2);
	append(&l, "{\"a\":3}", 3);
	short_write = -1;
	assert_int_equal(tg_eventlog_commit(&l), -ENOSPC);
	assert_string_equal(slurp(path), "{\"seq\":1,\"a\":1}\n");
	assert_true(l.w.len > 0);
	short_write = 20; /* part of the round fits */
	assert_int_equal(tg_eventlog_commit(&l), -ENOSPC);
	assert_string_equal(slurp(path), "{\"seq\":1,\"a\":1}\n");
	assert_int_equal(tg_eventlog_rotate(&l), 0);
	short_write = 0;
	append(&l, "{\"a\":4}", 4);
	assert_int_equal(tg_eventlog_commit(&l), 0);
	assert_int_equal(l.w.len, 0);
	assert_string_equal(slurp(path),
			    "{\"seq\":1,\"a\":1}\n{\"seq\":2,\"a\":2}\n"
			    "{\"seq\":3,\"a\":3}\n{\"seq\":4,\"a\":4}\n");
	tg_eventlog_close(&l);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_seq_first_and_continues,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_torn_tail_truncated, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_torn_only_line, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_torn_long_garbage, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_seq_never_reused, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_rotation, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rotation_keep_zero, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_hostile_strings, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_refused_events, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_commit_failure_rolls_back,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_errors, setup, teardown),
		cmocka_unit_test_setup_teardown(test_chain_values, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_chain_salted, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_chain_commit_failure,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_chain_rotation, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_full_disk_keeps_lines,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_private_files, setup,
						teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
