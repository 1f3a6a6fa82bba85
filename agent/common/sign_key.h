/* SPDX-License-Identifier: GPL-2.0 */
#ifndef TG_COMMON_SIGN_KEY_H
#define TG_COMMON_SIGN_KEY_H

/*
 * An Ed25519 secret key in a file of its own (the collector's checkpoint
 * key, the agent's host key): the hex of libsodium's 64-byte secret key
 * and a newline.
 */

/* The key in fd: its two halves. 0, -EINVAL (not a key) or -errno. */
int tg_sign_key_read(int fd, unsigned char sk[64], unsigned char pk[32]);

/* A new key pair, its secret key written to fd and synced: 0 or -errno. */
int tg_sign_key_make(int fd, unsigned char sk[64], unsigned char pk[32]);

#endif /* TG_COMMON_SIGN_KEY_H */
