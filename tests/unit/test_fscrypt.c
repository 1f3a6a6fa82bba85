// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests: fscrypt through the kernel's ioctls (common/fscrypt.c), with
 * ioctl mocked: the v2 policy and key specifier as the kernel reads them,
 * the identifier it returns, a busy removal, the errors of a filesystem
 * without encryption, and the key status.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "common/fscrypt.h"

static const unsigned char id1[TG_FSCRYPT_ID_SIZE] = {
	1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16};

/* The mocked ioctl: checks the request, fills what the kernel would. */
int __wrap_ioctl(int fd, unsigned long request, ...)
{
	unsigned long want = mock_type(unsigned long);
	int err = mock_type(int);
	va_list ap;
	void *arg;

	va_start(ap, request);
	arg = va_arg(ap, void *);
	va_end(ap);
	assert_int_equal(fd, 7);
	assert_int_equal(request, want);
	if (err) {
		errno = err;
		return -1;
	}
	if (request == FS_IOC_ADD_ENCRYPTION_KEY) {
		struct fscrypt_add_key_arg *k = arg;

		assert_int_equal(k->key_spec.type,
				 FSCRYPT_KEY_SPEC_TYPE_IDENTIFIER);
		assert_int_equal(k->raw_size, TG_FSCRYPT_KEY_SIZE);
		assert_int_equal(k->raw[0], 0xaa);
		assert_int_equal(k->raw[TG_FSCRYPT_KEY_SIZE - 1], 0xaa);
		memcpy(k->key_spec.u.identifier, id1, sizeof(id1));
	} else if (request == FS_IOC_SET_ENCRYPTION_POLICY) {
		struct fscrypt_policy_v2 *p = arg;

		assert_int_equal(p->version, FSCRYPT_POLICY_V2);
		assert_int_equal(p->contents_encryption_mode,
				 FSCRYPT_MODE_AES_256_XTS);
		assert_int_equal(p->filenames_encryption_mode,
				 FSCRYPT_MODE_AES_256_CTS);
		assert_int_equal(p->flags, FSCRYPT_POLICY_FLAGS_PAD_32);
		assert_memory_equal(p->master_key_identifier, id1, sizeof(id1));
	} else if (request == FS_IOC_REMOVE_ENCRYPTION_KEY_ALL_USERS) {
		struct fscrypt_remove_key_arg *r = arg;

		assert_int_equal(r->key_spec.type,
				 FSCRYPT_KEY_SPEC_TYPE_IDENTIFIER);
		assert_memory_equal(r->key_spec.u.identifier, id1, sizeof(id1));
		r->removal_status_flags = mock_type(__u32);
	} else if (request == FS_IOC_GET_ENCRYPTION_KEY_STATUS) {
		struct fscrypt_get_key_status_arg *s = arg;

		assert_memory_equal(s->key_spec.u.identifier, id1, sizeof(id1));
		s->status = mock_type(__u32);
	} else if (request == FS_IOC_GET_ENCRYPTION_POLICY_EX) {
		struct fscrypt_get_policy_ex_arg *g = arg;

		assert_int_equal(g->policy_size, sizeof(g->policy));
		g->policy.version = mock_type(__u8);
		memcpy(g->policy.v2.master_key_identifier, id1, sizeof(id1));
	}
	return 0;
}

static void expect_ioctl(unsigned long request, int err)
{
	will_return(__wrap_ioctl, request);
	will_return(__wrap_ioctl, err);
}

static void test_add_key(void **state)
{
	unsigned char key[TG_FSCRYPT_KEY_SIZE], id[TG_FSCRYPT_ID_SIZE] = {0};

	memset(key, 0xaa, sizeof(key));
	expect_ioctl(FS_IOC_ADD_ENCRYPTION_KEY, 0);
	assert_int_equal(tg_fscrypt_add_key(7, key, id), 0);
	assert_memory_equal(id, id1, sizeof(id1));
	/* ext4 without -O encrypt; tmpfs, which knows no such ioctl */
	expect_ioctl(FS_IOC_ADD_ENCRYPTION_KEY, EOPNOTSUPP);
	assert_int_equal(tg_fscrypt_add_key(7, key, id), -EOPNOTSUPP);
	expect_ioctl(FS_IOC_ADD_ENCRYPTION_KEY, ENOTTY);
	assert_int_equal(tg_fscrypt_add_key(7, key, id), -EOPNOTSUPP);
}

static void test_set_policy(void **state)
{
	expect_ioctl(FS_IOC_SET_ENCRYPTION_POLICY, 0);
	assert_int_equal(tg_fscrypt_set_policy(7, id1), 0);
	expect_ioctl(FS_IOC_SET_ENCRYPTION_POLICY, ENOTEMPTY);
	assert_int_equal(tg_fscrypt_set_policy(7, id1), -ENOTEMPTY);
}

static void test_policy(void **state)
{
	unsigned char id[TG_FSCRYPT_ID_SIZE] = {0};

	expect_ioctl(FS_IOC_GET_ENCRYPTION_POLICY_EX, ENODATA);
	assert_int_equal(tg_fscrypt_policy(7, id), 0);
	expect_ioctl(FS_IOC_GET_ENCRYPTION_POLICY_EX, ENOTTY);
	assert_int_equal(tg_fscrypt_policy(7, id), -EOPNOTSUPP);
	expect_ioctl(FS_IOC_GET_ENCRYPTION_POLICY_EX, 0);
	will_return(__wrap_ioctl, (__u8)FSCRYPT_POLICY_V2);
	assert_int_equal(tg_fscrypt_policy(7, id), 1);
	assert_memory_equal(id, id1, sizeof(id1));
	expect_ioctl(FS_IOC_GET_ENCRYPTION_POLICY_EX, 0);
	will_return(__wrap_ioctl, (__u8)FSCRYPT_POLICY_V1);
	assert_int_equal(tg_fscrypt_policy(7, id), -EINVAL);
}

static void test_remove_key(void **state)
{
	int busy = -1;

	expect_ioctl(FS_IOC_REMOVE_ENCRYPTION_KEY_ALL_USERS, 0);
	will_return(__wrap_ioctl, (__u32)0);
	assert_int_equal(tg_fscrypt_remove_key(7, id1, &busy), 0);
	assert_int_equal(busy, 0);
	expect_ioctl(FS_IOC_REMOVE_ENCRYPTION_KEY_ALL_USERS, 0);
	will_return(__wrap_ioctl,
		    (__u32)FSCRYPT_KEY_REMOVAL_STATUS_FLAG_FILES_BUSY);
	assert_int_equal(tg_fscrypt_remove_key(7, id1, &busy), 0);
	assert_int_equal(busy, 1);
	expect_ioctl(FS_IOC_REMOVE_ENCRYPTION_KEY_ALL_USERS, ENOKEY);
	assert_int_equal(tg_fscrypt_remove_key(7, id1, &busy), -ENOKEY);
	assert_int_equal(busy, 0);
}

static void test_key_status(void **state)
{
	expect_ioctl(FS_IOC_GET_ENCRYPTION_KEY_STATUS, 0);
	will_return(__wrap_ioctl, (__u32)FSCRYPT_KEY_STATUS_ABSENT);
	assert_int_equal(tg_fscrypt_key_status(7, id1),
			 FSCRYPT_KEY_STATUS_ABSENT);
	expect_ioctl(FS_IOC_GET_ENCRYPTION_KEY_STATUS, 0);
	will_return(__wrap_ioctl,
		    (__u32)FSCRYPT_KEY_STATUS_INCOMPLETELY_REMOVED);
	assert_string_equal(
		tg_fscrypt_status_name(tg_fscrypt_key_status(7, id1)),
		"incompletely removed");
	assert_string_equal(tg_fscrypt_status_name(FSCRYPT_KEY_STATUS_ABSENT),
			    "absent");
	assert_string_equal(tg_fscrypt_status_name(-EIO), "unknown");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_add_key),
		cmocka_unit_test(test_set_policy),
		cmocka_unit_test(test_policy),
		cmocka_unit_test(test_remove_key),
		cmocka_unit_test(test_key_status),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
