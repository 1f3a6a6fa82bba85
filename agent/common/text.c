// SPDX-License-Identifier: GPL-2.0
/* Text shared by every binary: times, valid UTF-8, JSON string values. */
#define _GNU_SOURCE
#include <errno.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/text.h"

/* n as width decimal digits, zero-padded, at p. */
static void put_digits(char *p, unsigned long n, int width)
{
	while (width--) {
		p[width] = (char)('0' + n % 10);
		n /= 10;
	}
}

void tg_format_time(char *buf, size_t len, __s64 real_ns)
{
	time_t sec = (time_t)(real_ns / 1000000000LL);
	long nsec = (long)(real_ns % 1000000000LL);
	char out[40] = "0000-00-00T00:00:00.000000000Z";
	struct tm tm;

	if (nsec < 0) {
		nsec += 1000000000L;
		sec -= 1;
	}
	/* By hand: strftime and printf cost more than the rest of an event. */
	gmtime_r(&sec, &tm);
	put_digits(out, (unsigned long)tm.tm_year + 1900, 4);
	put_digits(out + 5, (unsigned long)tm.tm_mon + 1, 2);
	put_digits(out + 8, (unsigned long)tm.tm_mday, 2);
	put_digits(out + 11, (unsigned long)tm.tm_hour, 2);
	put_digits(out + 14, (unsigned long)tm.tm_min, 2);
	put_digits(out + 17, (unsigned long)tm.tm_sec, 2);
	put_digits(out + 20, (unsigned long)nsec, 9);
	snprintf(buf, len, "%s", out);
}

/* Length of the valid UTF-8 sequence at s (at most n bytes), 0 if invalid. */
size_t tg_utf8_seq_len(const unsigned char *s, size_t n)
{
	size_t len, i;
	unsigned int cp;

	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		len = 2, cp = s[0] & 0x1f;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		len = 3, cp = s[0] & 0x0f;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		len = 4, cp = s[0] & 0x07;
	else
		return 0;
	if (len > n)
		return 0;
	for (i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (s[i] & 0x3f);
	}
	/* Overlong forms, surrogates and values past U+10FFFF. */
	if ((len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) ||
	    (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff)
		return 0;
	return len;
}

char *tg_utf8_sanitize(const char *s, size_t n)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0, o = 0, k;
	char *out;

	n = strnlen(s, n);
	out = malloc(n * 3 + 1);
	if (!out)
		return NULL;
	while (i < n) {
		k = tg_utf8_seq_len(p + i, n - i);
		if (k) {
			memcpy(out + o, p + i, k);
			o += k;
			i += k;
		} else {
			memcpy(out + o, "\xef\xbf\xbd", 3);
			o += 3;
			i++;
		}
	}
	out[o] = '\0';
	return out;
}

int tg_json_add_time(struct json_object *o, const char *k, __s64 ns)
{
	char t[48];

	tg_format_time(t, sizeof(t), ns);
	return json_object_object_add(o, k, json_object_new_string(t));
}

const char *tg_json_str(struct json_object *o, const char *k)
{
	struct json_object *v;

	if (!json_object_object_get_ex(o, k, &v) ||
	    !json_object_is_type(v, json_type_string))
		return "";
	return json_object_get_string(v);
}

int tg_parse_size(const char *s, __u64 *out)
{
	unsigned long long v;
	char *end = NULL;
	int shift = 0;

	if (s[0] < '0' || s[0] > '9')
		return -EINVAL;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno)
		return -EINVAL;
	switch (*end) {
	case 'k':
	case 'K':
		shift = 10;
		end++;
		break;
	case 'm':
	case 'M':
		shift = 20;
		end++;
		break;
	case 'g':
	case 'G':
		shift = 30;
		end++;
		break;
	case 't':
	case 'T':
		shift = 40;
		end++;
		break;
	}
	if (*end == 'i' || *end == 'B')
		end += *end == 'i' && end[1] == 'B' ? 2 : 1;
	if (*end || v > (~0ULL >> shift))
		return -EINVAL;
	*out = v << shift;
	return 0;
}
