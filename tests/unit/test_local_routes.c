// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests: the keys of the local routing table's routes in the trie
 * local_routes (IPv4 as ::ffff:a.b.c.d with prefix 96 + its length, host
 * bits cleared, the default route, what is refused).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>
#include <arpa/inet.h>
#include <sys/socket.h>
#include <cmocka.h>

#include "agentd/local_routes.h"

static void expect_key(const struct tg_net_key *k, unsigned int prefixlen,
		       const char *addr6)
{
	__u8 want[16];

	assert_int_equal(inet_pton(AF_INET6, addr6, want), 1);
	assert_int_equal(k->prefixlen, prefixlen);
	assert_memory_equal(k->addr, want, 16);
}

static void test_ipv4(void **state)
{
	struct tg_net_key k;
	__u8 a[4] = {10, 77, 0, 1};

	(void)state;
	assert_int_equal(tg_local_route_key(AF_INET, a, 4, 32, &k), 0);
	expect_key(&k, 128, "::ffff:10.77.0.1");
	/* A /24 made local: the host bits go, whatever the route said. */
	assert_int_equal(tg_local_route_key(AF_INET, a, 4, 24, &k), 0);
	expect_key(&k, 120, "::ffff:10.77.0.0");
	a[1] = 0xff;
	assert_int_equal(tg_local_route_key(AF_INET, a, 4, 12, &k), 0);
	expect_key(&k, 108, "::ffff:10.240.0.0");
	/* The default route: every IPv4 address, no other. */
	assert_int_equal(tg_local_route_key(AF_INET, NULL, 0, 0, &k), 0);
	expect_key(&k, 96, "::ffff:0.0.0.0");
	assert_int_equal(tg_local_route_key(AF_INET, a, 4, 33, &k), -EINVAL);
	assert_int_equal(tg_local_route_key(AF_INET, a, 3, 24, &k), -EINVAL);
}

static void test_ipv6(void **state)
{
	struct tg_net_key k;
	__u8 a[16];

	(void)state;
	assert_int_equal(inet_pton(AF_INET6, "fd00:1:2:3:4:5:6:7", a), 1);
	assert_int_equal(tg_local_route_key(AF_INET6, a, 16, 128, &k), 0);
	expect_key(&k, 128, "fd00:1:2:3:4:5:6:7");
	assert_int_equal(tg_local_route_key(AF_INET6, a, 16, 64, &k), 0);
	expect_key(&k, 64, "fd00:1:2:3::");
	assert_int_equal(tg_local_route_key(AF_INET6, a, 16, 17, &k), 0);
	expect_key(&k, 17, "fd00::");
	/* ::/0 is the key the agent marks an incomplete trie with. */
	assert_int_equal(tg_local_route_key(AF_INET6, NULL, 0, 0, &k), 0);
	expect_key(&k, 0, "::");
	assert_int_equal(tg_local_route_key(AF_INET6, a, 16, 129, &k), -EINVAL);
	assert_int_equal(tg_local_route_key(AF_INET6, a, 4, 64, &k), -EINVAL);
	assert_int_equal(tg_local_route_key(AF_UNIX, a, 16, 64, &k),
			 -EAFNOSUPPORT);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ipv4),
		cmocka_unit_test(test_ipv6),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
