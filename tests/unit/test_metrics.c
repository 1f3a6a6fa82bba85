// SPDX-License-Identifier: GPL-2.0
/* Unit tests: Prometheus text format, the metrics file, keyed counters. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "common/metrics.h"

static void test_format_and_escaping(void **state)
{
	const char *l[] = {"tenant", "a\"b\\c\nd", "reason",
			   "x\xff"
			   "y",
			   NULL};
	struct tg_metrics m;

	tg_metrics_init(&m);
	tg_metrics_family(&m, "tg_x_total", "counter",
			  "Help with \\ and\nnewline.");
	tg_metrics_u64(&m, "tg_x_total", l, 18446744073709551615ULL);
	tg_metrics_u64(&m, "tg_x_total", NULL, 0);
	tg_metrics_double(&m, "tg_lag_seconds", NULL, 1.5);
	assert_int_equal(m.err, 0);
	assert_string_equal(
		m.b.p,
		"# HELP tg_x_total Help with \\\\ and\\nnewline.\n"
		"# TYPE tg_x_total counter\n"
		"tg_x_total{tenant=\"a\\\"b\\\\c\\nd\",reason=\"x\xef\xbf\xbdy\"} "
		"18446744073709551615\n"
		"tg_x_total 0\n"
		"tg_lag_seconds 1.500000\n");
	tg_metrics_free(&m);
}

static void test_write_atomic(void **state)
{
	char dir[] = "/tmp/tg-metrics.XXXXXX", path[64], tmp[80], buf[256];
	struct tg_metrics m;
	ssize_t n;
	int fd;

	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/tg.prom", dir);
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	tg_metrics_init(&m);
	tg_metrics_u64(&m, "a", NULL, 1);
	assert_int_equal(tg_metrics_write(&m, path), 0);
	tg_metrics_u64(&m, "b", NULL, 2);
	assert_int_equal(tg_metrics_write(&m, path), 0);
	fd = open(path, O_RDONLY);
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	buf[n > 0 ? n : 0] = '\0';
	assert_string_equal(buf, "a 1\nb 2\n");
	assert_int_equal(access(tmp, F_OK), -1);
	/* A directory that does not exist: an error, nothing written. */
	assert_int_equal(tg_metrics_write(&m, "/nonexistent-tg/x.prom"),
			 -ENOENT);
	tg_metrics_free(&m);
	unlink(path);
	rmdir(dir);
}

static void collect(void *ctx, const char *key, __u64 v)
{
	char *out = ctx;

	sprintf(out + strlen(out), "%s=%llu;", key, (unsigned long long)v);
}

static void test_counts(void **state)
{
	struct tg_counts c;
	char out[256] = "", big[TG_COUNTS_KEY_MAX + 10];
	int i;

	tg_counts_init(&c);
	for (i = 0; i < 1000; i++) {
		char k[16];

		snprintf(k, sizeof(k), "k%d", i % 100);
		assert_int_equal(tg_counts_add(&c, k, 1), 0);
	}
	assert_int_equal(c.n, 100);
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	assert_int_equal(tg_counts_add(&c, big, 5), 0);
	tg_counts_free(&c);
	tg_counts_init(&c);
	assert_int_equal(tg_counts_add(&c, big, 5), 0);
	tg_counts_each(&c, collect, out);
	assert_string_equal(out, "overflow=5;");
	tg_counts_free(&c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_format_and_escaping),
		cmocka_unit_test(test_write_atomic),
		cmocka_unit_test(test_counts),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
