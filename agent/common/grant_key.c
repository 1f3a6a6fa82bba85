// SPDX-License-Identifier: GPL-2.0
/* Approver public keys in base64 (libsodium's codec, standard alphabet). */
#include <errno.h>
#include <string.h>
#include <sodium.h>

#include "common/grant_key.h"

void tg_grant_key_b64(const unsigned char key[32], char out[45])
{
	sodium_bin2base64(out, 45, key, 32, sodium_base64_VARIANT_ORIGINAL);
}

int tg_grant_key_parse(const char *s, unsigned char key[32])
{
	const char *end = NULL;
	size_t n = 0;

	if (strlen(s) != 44 ||
	    sodium_base642bin(key, 32, s, 44, NULL, &n, &end,
			      sodium_base64_VARIANT_ORIGINAL) ||
	    n != 32 || *end)
		return -EINVAL;
	return 0;
}
