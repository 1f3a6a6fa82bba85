/* SPDX-License-Identifier: GPL-2.0 */
#ifndef TG_COLLECTOR_JSONCHECK_H
#define TG_COLLECTOR_JSONCHECK_H

#include <stddef.h>

/*
 * A strict check of JSON text the collector stores as it is (RFC 8259):
 * exactly one object, nothing before or after it, nested at most max_depth
 * deep, strings of valid UTF-8 with no raw control character and escaped
 * surrogates in pairs, numbers as the grammar says (no NaN, no "1."), no
 * line break anywhere (a stored event is one line), and no top-level key
 * twice or in forbidden (a NULL-terminated list; keys compared after
 * unescaping). json-c's strict mode lets raw control characters and "1."
 * through, which would break the one-line log.
 *
 * Returns 0, or -EINVAL with the problem in why (whylen bytes).
 */
int tg_json_check_object(const char *s, size_t len, int max_depth,
			 const char *const *forbidden, char *why,
			 size_t whylen);

#endif /* TG_COLLECTOR_JSONCHECK_H */
