/* SPDX-License-Identifier: GPL-2.0 */
#ifndef TG_COMMON_TEXT_H
#define TG_COMMON_TEXT_H

#include <stddef.h>
#include <linux/types.h>

struct json_object;

/* RFC 3339 UTC with nanoseconds into buf (at least 40 bytes). */
void tg_format_time(char *buf, size_t len, __s64 real_ns);

/* Length of the valid UTF-8 sequence at s (at most n bytes), 0 if invalid. */
size_t tg_utf8_seq_len(const unsigned char *s, size_t n);

/*
 * A copy of the n bytes at s (stopping at a NUL) that is valid UTF-8: every
 * invalid byte becomes U+FFFD. NULL with errno on allocation failure.
 */
char *tg_utf8_sanitize(const char *s, size_t n);

/* Add key k to o: ns (CLOCK_REALTIME) as tg_format_time writes it. */
int tg_json_add_time(struct json_object *o, const char *k, __s64 ns);

/* The string value of key k in o, "" if absent or not a string. */
const char *tg_json_str(struct json_object *o, const char *k);

/*
 * A size in bytes: digits with an optional binary suffix K, M, G or T (also
 * KiB, KB ...). 0 or -EINVAL.
 */
int tg_parse_size(const char *s, __u64 *out);

#endif /* TG_COMMON_TEXT_H */
