// SPDX-License-Identifier: GPL-2.0
/* fscrypt v2 policies and keys through the kernel's ioctls. */
#include <errno.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sodium.h>

#include "common/fscrypt.h"

int tg_fscrypt_policy(int dir_fd, unsigned char id[TG_FSCRYPT_ID_SIZE])
{
	struct fscrypt_get_policy_ex_arg arg;

	memset(&arg, 0, sizeof(arg));
	arg.policy_size = sizeof(arg.policy);
	if (ioctl(dir_fd, FS_IOC_GET_ENCRYPTION_POLICY_EX, &arg) < 0) {
		if (errno == ENODATA)
			return 0;
		/* tmpfs and the like know no such ioctl at all */
		if (errno == ENOTTY || errno == EOPNOTSUPP)
			return -EOPNOTSUPP;
		return -errno;
	}
	if (arg.policy.version != FSCRYPT_POLICY_V2)
		return -EINVAL;
	memcpy(id, arg.policy.v2.master_key_identifier, TG_FSCRYPT_ID_SIZE);
	return 1;
}

int tg_fscrypt_add_key(int fd, const unsigned char key[TG_FSCRYPT_KEY_SIZE],
		       unsigned char id[TG_FSCRYPT_ID_SIZE])
{
	/* The argument ends in the key's bytes (a flexible array). */
	struct {
		struct fscrypt_add_key_arg arg;
		unsigned char raw[TG_FSCRYPT_KEY_SIZE];
	} k;
	int err = 0;

	memset(&k, 0, sizeof(k));
	k.arg.key_spec.type = FSCRYPT_KEY_SPEC_TYPE_IDENTIFIER;
	k.arg.raw_size = TG_FSCRYPT_KEY_SIZE;
	memcpy(k.raw, key, TG_FSCRYPT_KEY_SIZE);
	if (ioctl(fd, FS_IOC_ADD_ENCRYPTION_KEY, &k) < 0)
		err = errno == ENOTTY ? -EOPNOTSUPP : -errno;
	else
		memcpy(id, k.arg.key_spec.u.identifier, TG_FSCRYPT_ID_SIZE);
	sodium_memzero(&k, sizeof(k));
	return err;
}

int tg_fscrypt_set_policy(int dir_fd,
			  const unsigned char id[TG_FSCRYPT_ID_SIZE])
{
	struct fscrypt_policy_v2 p;

	memset(&p, 0, sizeof(p));
	p.version = FSCRYPT_POLICY_V2;
	p.contents_encryption_mode = FSCRYPT_MODE_AES_256_XTS;
	p.filenames_encryption_mode = FSCRYPT_MODE_AES_256_CTS;
	p.flags = FSCRYPT_POLICY_FLAGS_PAD_32;
	memcpy(p.master_key_identifier, id, TG_FSCRYPT_ID_SIZE);
	if (ioctl(dir_fd, FS_IOC_SET_ENCRYPTION_POLICY, &p) < 0)
		return errno == ENOTTY ? -EOPNOTSUPP : -errno;
	return 0;
}

static void key_spec(struct fscrypt_key_specifier *s,
		     const unsigned char id[TG_FSCRYPT_ID_SIZE])
{
	s->type = FSCRYPT_KEY_SPEC_TYPE_IDENTIFIER;
	memcpy(s->u.identifier, id, TG_FSCRYPT_ID_SIZE);
}

int tg_fscrypt_remove_key(int fd, const unsigned char id[TG_FSCRYPT_ID_SIZE],
			  int *busy)
{
	struct fscrypt_remove_key_arg arg;

	memset(&arg, 0, sizeof(arg));
	key_spec(&arg.key_spec, id);
	*busy = 0;
	if (ioctl(fd, FS_IOC_REMOVE_ENCRYPTION_KEY_ALL_USERS, &arg) < 0)
		return errno == ENOTTY ? -EOPNOTSUPP : -errno;
	*busy = !!(arg.removal_status_flags &
		   FSCRYPT_KEY_REMOVAL_STATUS_FLAG_FILES_BUSY);
	return 0;
}

int tg_fscrypt_key_status(int fd, const unsigned char id[TG_FSCRYPT_ID_SIZE])
{
	struct fscrypt_get_key_status_arg arg;

	memset(&arg, 0, sizeof(arg));
	key_spec(&arg.key_spec, id);
	if (ioctl(fd, FS_IOC_GET_ENCRYPTION_KEY_STATUS, &arg) < 0)
		return errno == ENOTTY ? -EOPNOTSUPP : -errno;
	return (int)arg.status;
}

const char *tg_fscrypt_status_name(int status)
{
	switch (status) {
	case FSCRYPT_KEY_STATUS_ABSENT: return "absent";
	case FSCRYPT_KEY_STATUS_PRESENT: return "present";
	case FSCRYPT_KEY_STATUS_INCOMPLETELY_REMOVED:
		return "incompletely removed";
	default: return "unknown";
	}
}
