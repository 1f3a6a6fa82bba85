/* SPDX-License-Identifier: GPL-2.0 */
/*
 * fscrypt through the kernel's ioctls (<linux/fscrypt.h>; Debian 12 ships
 * no fscryptctl): a v2 policy on an empty directory, its 64-byte master key
 * added to and removed from the filesystem's keyring, the key's status.
 * Every call takes a descriptor on the filesystem (a directory on it).
 */
#ifndef TG_COMMON_FSCRYPT_H
#define TG_COMMON_FSCRYPT_H

#include <linux/fscrypt.h>

#define TG_FSCRYPT_KEY_SIZE 64 /* bytes of a master key */
#define TG_FSCRYPT_ID_SIZE  FSCRYPT_KEY_IDENTIFIER_SIZE
#define TG_FSCRYPT_ID_HEX   (2 * TG_FSCRYPT_ID_SIZE)

/*
 * The directory's encryption: 0 none (the filesystem can encrypt it), 1 a
 * v2 policy whose key identifier goes into id, -EOPNOTSUPP when the
 * filesystem cannot encrypt (no fscrypt, ext4 without -O encrypt), or
 * -errno (-EINVAL: a policy of another version).
 */
int tg_fscrypt_policy(int dir_fd, unsigned char id[TG_FSCRYPT_ID_SIZE]);

/* key added to fd's filesystem, its identifier into id: 0 or -errno. */
int tg_fscrypt_add_key(int fd, const unsigned char key[TG_FSCRYPT_KEY_SIZE],
		       unsigned char id[TG_FSCRYPT_ID_SIZE]);

/*
 * A v2 policy (AES-256-XTS contents, AES-256-CTS names, 32-byte name
 * padding) with key id on the empty directory dir_fd: 0 or -errno
 * (-ENOTEMPTY, -EEXIST for another policy already there).
 */
int tg_fscrypt_set_policy(int dir_fd,
			  const unsigned char id[TG_FSCRYPT_ID_SIZE]);

/*
 * Key id removed from fd's filesystem, every user's claim (needs
 * CAP_SYS_ADMIN): 0, with *busy set when files using it are still open
 * (the kernel keeps it for them; removing it again once they are closed
 * finishes); -ENOKEY when the filesystem holds no such key; or -errno.
 */
int tg_fscrypt_remove_key(int fd, const unsigned char id[TG_FSCRYPT_ID_SIZE],
			  int *busy);

/* FSCRYPT_KEY_STATUS_* of key id on fd's filesystem, or -errno. */
int tg_fscrypt_key_status(int fd, const unsigned char id[TG_FSCRYPT_ID_SIZE]);

/* "absent", "present", "incompletely removed" or "unknown". */
const char *tg_fscrypt_status_name(int status);

#endif /* TG_COMMON_FSCRYPT_H */
