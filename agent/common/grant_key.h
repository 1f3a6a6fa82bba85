/* SPDX-License-Identifier: GPL-2.0 */
#ifndef TG_COMMON_GRANT_KEY_H
#define TG_COMMON_GRANT_KEY_H

/*
 * Approver public keys as policies and approvals write them: Ed25519,
 * 32 bytes, in standard base64 with padding (44 characters).
 */

/* The base64 of key into out. */
void tg_grant_key_b64(const unsigned char key[32], char out[45]);

/* The reverse: 0, or -EINVAL if s is not exactly 44 such characters. */
int tg_grant_key_parse(const char *s, unsigned char key[32]);

#endif /* TG_COMMON_GRANT_KEY_H */
