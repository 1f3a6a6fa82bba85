// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests: Ed25519 key files. A key made into a file reads back as the
 * same pair, signs what its public half verifies; a file too short or not
 * hex is no key.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include <cmocka.h>
#include <sodium.h>

#include "common/sign_key.h"

static int memfd(const char *text)
{
	int fd = memfd_create("key", MFD_CLOEXEC);

	assert_true(fd >= 0);
	if (text)
		assert_int_equal(write(fd, text, strlen(text)),
				 (ssize_t)strlen(text));
	return fd;
}

static void test_round_trip(void **state)
{
	unsigned char sk[64], pk[32], sk2[64], pk2[32], sig[64];
	char buf[200];
	int fd = memfd(NULL);

	assert_int_equal(sodium_init() < 0, 0);
	assert_int_equal(tg_sign_key_make(fd, sk, pk), 0);
	assert_int_equal(pread(fd, buf, sizeof(buf), 0), 129);
	assert_int_equal(buf[128], '\n');
	assert_int_equal(tg_sign_key_read(fd, sk2, pk2), 0);
	assert_memory_equal(sk, sk2, 64);
	assert_memory_equal(pk, pk2, 32);
	crypto_sign_detached(sig, NULL, (const unsigned char *)"m", 1, sk2);
	assert_int_equal(crypto_sign_verify_detached(
				 sig, (const unsigned char *)"m", 1, pk),
			 0);
	close(fd);
}

static void test_not_a_key(void **state)
{
	unsigned char sk[64], pk[32];
	char text[200];
	int fd;

	fd = memfd("abcd\n");
	assert_int_equal(tg_sign_key_read(fd, sk, pk), -EINVAL);
	close(fd);
	memset(text, 'x', 128);
	strcpy(text + 128, "\n");
	fd = memfd(text);
	assert_int_equal(tg_sign_key_read(fd, sk, pk), -EINVAL);
	close(fd);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_not_a_key),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
