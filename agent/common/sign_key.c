// SPDX-License-Identifier: GPL-2.0
/* Ed25519 secret keys in files (sign_key.h), libsodium's form in hex. */
#include <errno.h>
#include <sodium.h>
#include <unistd.h>

#include "common/chain.h"
#include "common/sign_key.h"

int tg_sign_key_read(int fd, unsigned char sk[64], unsigned char pk[32])
{
	char hex[2 * 64 + 2];
	ssize_t n = pread(fd, hex, sizeof(hex) - 1, 0);
	int err = 0;

	if (n < 2 * 64)
		return n < 0 ? -errno : -EINVAL;
	if (tg_chain_unhex(hex, 2 * 64, sk, 64) ||
	    crypto_sign_ed25519_sk_to_pk(pk, sk))
		err = -EINVAL;
	sodium_memzero(hex, sizeof(hex));
	return err;
}

int tg_sign_key_make(int fd, unsigned char sk[64], unsigned char pk[32])
{
	char hex[2 * 64 + 2];
	int err = 0;

	crypto_sign_keypair(pk, sk);
	tg_chain_hex(sk, 64, hex);
	hex[2 * 64] = '\n';
	errno = 0;
	if (write(fd, hex, 2 * 64 + 1) != 2 * 64 + 1 || fsync(fd) < 0)
		err = errno ? -errno : -EIO;
	sodium_memzero(hex, sizeof(hex));
	return err;
}
