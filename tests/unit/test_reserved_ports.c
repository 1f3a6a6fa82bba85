// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests: reserved ports into ip_local_reserved_ports (a temporary file
 * stands in for the sysctl): the ranges text both ways, and that the agent
 * adds only what is missing and takes away only what it added.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "agentd/reserved_ports.h"
#include "policy/registry.h"

static void test_parse_format(void **state)
{
	__u8 bm[TG_PORT_BITMAP] = {};
	char *s;

	assert_int_equal(tg_ports_parse("8000-8002,53,65535\n", bm), 0);
	s = tg_ports_format(bm);
	assert_string_equal(s, "53,8000-8002,65535");
	free(s);
	/* Adjacent and repeated ranges come out as one run. */
	assert_int_equal(tg_ports_parse("54-60,8003", bm), 0);
	s = tg_ports_format(bm);
	assert_string_equal(s, "53-60,8000-8003,65535");
	free(s);
	memset(bm, 0, sizeof(bm));
	assert_int_equal(tg_ports_parse("\n", bm), 0);
	s = tg_ports_format(bm);
	assert_string_equal(s, "");
	free(s);
	assert_int_equal(tg_ports_parse("5-4", bm), -EINVAL);
	assert_int_equal(tg_ports_parse("65536", bm), -EINVAL);
	assert_int_equal(tg_ports_parse("1;2", bm), -EINVAL);
	assert_int_equal(tg_ports_parse("-1", bm), -EINVAL);
}

static char *slurp(const char *path)
{
	static char buf[1 << 20];
	FILE *f = fopen(path, "r");
	size_t n;

	assert_non_null(f);
	n = fread(buf, 1, sizeof(buf) - 1, f);
	buf[n] = '\0';
	fclose(f);
	return buf;
}

static void put(const char *path, const char *s)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	fputs(s, f);
	fclose(f);
}

static void add_tenant(struct tg_registry *r, struct tg_port_range *ports,
		       unsigned int n)
{
	struct tg_tenant_entry *e;

	r->v = reallocarray(r->v, r->n + 1, sizeof(*r->v));
	assert_non_null(r->v);
	e = &r->v[r->n++];
	memset(e, 0, sizeof(*e));
	e->defined = 1;
	e->ports = ports;
	e->n_ports = n;
}

static void test_add_and_take_back(void **state)
{
	struct tg_port_range acme[] = {{.proto = 6, .lo = 8000, .hi = 8099},
				       {.proto = 17, .lo = 5353, .hi = 5353}};
	struct tg_port_range globex[] = {{.proto = 6, .lo = 9000, .hi = 9000}};
	char path[] = "/tmp/tg-resports.XXXXXX";
	struct tg_registry reg = {};
	struct tg_resports r;
	int fd = mkstemp(path);

	assert_true(fd >= 0);
	close(fd);
	/* The administrator's own value, overlapping acme's range. */
	put(path, "8050-8060,10000\n");
	tg_resports_init(&r, path);
	add_tenant(&reg, acme, 2);
	add_tenant(&reg, globex, 1);
	assert_int_equal(tg_resports_apply(&r, &reg), 0);
	assert_string_equal(slurp(path), "5353,8000-8099,9000,10000");
	assert_int_equal(r.n_mine, 100 - 11 + 1 + 1);

	/* The administrator adds a port meanwhile; globex goes away. */
	put(path, "5353,8000-8099,9000,10000,20000\n");
	reg.n = 1;
	assert_int_equal(tg_resports_apply(&r, &reg), 0);
	assert_string_equal(slurp(path), "5353,8000-8099,10000,20000");

	/* At stop, exactly the administrator's ports stay. */
	assert_int_equal(tg_resports_restore(&r), 0);
	assert_string_equal(slurp(path), "8050-8060,10000,20000");
	assert_int_equal(r.n_mine, 0);

	/* Many ranges: written in pieces that each end at a comma. */
	{
		struct tg_port_range many[3000];
		unsigned int i;
		char *s;

		for (i = 0; i < 3000; i++)
			many[i] = (struct tg_port_range){
				.proto = 6,
				.lo = (__u16)(1024 + i * 3),
				.hi = (__u16)(1024 + i * 3)};
		reg.n = 0;
		add_tenant(&reg, many, 3000);
		put(path, "\n");
		assert_int_equal(tg_resports_apply(&r, &reg), 0);
		s = slurp(path);
		assert_true(strlen(s) > 4096);
		assert_int_equal(strncmp(s, "1024,1027,1030,", 15), 0);
		assert_non_null(strstr(s, ",10018,"));
		assert_string_equal(s + strlen(s) - 6, ",10021");
		assert_int_equal(r.n_mine, 3000);
	}
	/* An unreadable sysctl: an error, and nothing counted as added. */
	unlink(path);
	tg_resports_init(&r, path);
	assert_int_equal(tg_resports_apply(&r, &reg), -ENOENT);
	assert_int_equal(r.n_mine, 0);
	free(reg.v);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_format),
		cmocka_unit_test(test_add_and_take_back),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
