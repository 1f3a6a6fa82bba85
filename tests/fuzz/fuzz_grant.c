// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer target: any bytes through the grant request and approval
 * parsers. What one of them accepts must be in canonical form: written
 * again, it gives the same bytes (a trailing newline aside).
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/grant_doc.h"

static void same(const uint8_t *data, size_t size, const char *out, size_t len)
{
	if (size && data[size - 1] == '\n')
		size--;
	if (len != size || memcmp(out, data, len))
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char err[TG_GRANT_ERR_MAX], *out = NULL;
	struct tg_grant_approval a;
	struct tg_grant_request r;
	struct tg_grant_revocation v;
	size_t len = 0;

	if (!tg_grant_request_parse((const char *)data, size, &r, err,
				    sizeof(err))) {
		if (tg_grant_request_serialise(&r, &out, &len, err,
					       sizeof(err)))
			abort();
		same(data, size, out, len);
		free(out);
		tg_grant_request_free(&r);
	}
	if (!tg_grant_approval_parse((const char *)data, size, &a, err,
				     sizeof(err))) {
		if (tg_grant_approval_serialise(&a, &out, &len))
			abort();
		same(data, size, out, len);
		free(out);
	}
	if (!tg_grant_revocation_parse((const char *)data, size, &v, err,
				       sizeof(err))) {
		if (tg_grant_revocation_serialise(&v, &out, &len))
			abort();
		same(data, size, out, len);
		free(out);
	}
	return 0;
}
