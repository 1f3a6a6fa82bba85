// SPDX-License-Identifier: GPL-2.0
/* Unit tests: the agent's on-disk spool (framing, segments, torn writes, full).
 */
#define _GNU_SOURCE
#include <dirent.h>
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
#include <zlib.h>
#include <cmocka.h>

#include "agentd/spool.h"

static char dir[64];

static int setup(void **state)
{
	snprintf(dir, sizeof(dir), "/tmp/tg-spool.XXXXXX");
	assert_non_null(mkdtemp(dir));
	return 0;
}

static int teardown(void **state)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	return system(cmd);
}

static void put(struct tg_spool *sp, __u64 stream, __u64 seq)
{
	char ev[64];
	int n = snprintf(ev, sizeof(ev), "{\"n\":%llu}",
			 (unsigned long long)seq);

	assert_int_equal(
		tg_spool_append(sp, stream, seq, 1000 + seq, ev, (__u32)n), 0);
}

/* Read the next record, check it is stream/seq with its payload, mark read. */
static void expect(struct tg_spool *sp, __u64 stream, __u64 seq)
{
	struct tg_spool_rec r;
	char ev[64];
	int n = snprintf(ev, sizeof(ev), "{\"n\":%llu}",
			 (unsigned long long)seq);

	assert_int_equal(tg_spool_peek(sp, &r), 0);
	assert_int_equal(r.stream, stream);
	assert_int_equal(r.seq, seq);
	assert_int_equal(r.time_ns, 1000 + seq);
	assert_int_equal(r.len, n);
	assert_memory_equal(r.data, ev, n);
	tg_spool_consume(sp);
}

/* Names of the segment files in dir, sorted, joined by spaces. */
static char *segments(void)
{
	static char buf[4096];
	struct dirent **de;
	int i, n = scandir(dir, &de, NULL, alphasort);

	buf[0] = '\0';
	for (i = 0; i < n; i++) {
		if (strstr(de[i]->d_name, ".seg")) {
			strcat(buf, buf[0] ? " " : "");
			strcat(buf, de[i]->d_name);
		}
		free(de[i]);
	}
	free(de);
	return buf;
}

static off_t file_size(const char *name)
{
	char p[192];
	struct stat st;

	snprintf(p, sizeof(p), "%s/%s", dir, name);
	return stat(p, &st) == 0 ? st.st_size : -1;
}

/* The bytes on disk: segment header, then records with their CRC. */
static void test_framing_on_disk(void **state)
{
	struct tg_spool_info info;
	struct tg_spool *sp = tg_spool_open(dir, 1 << 20, 0, &info);
	unsigned char buf[256];
	__u64 v64;
	__u32 v32, crc;
	char p[192];
	int fd;
	ssize_t n;

	assert_non_null(sp);
	assert_int_equal(info.records, 0);
	put(sp, 0xabcdef, 7);
	put(sp, 0xabcdef, 8);
	assert_int_equal(tg_spool_records(sp), 2);
	tg_spool_close(sp);
	assert_string_equal(segments(), "00000001-0000000000000007.seg");
	snprintf(p, sizeof(p), "%s/%s", dir, "00000001-0000000000000007.seg");
	fd = open(p, O_RDONLY);
	n = read(fd, buf, sizeof(buf));
	close(fd);
	/* 32-byte header, then 32-byte record headers with 7-byte payloads. */
	assert_int_equal(n, 32 + 2 * (32 + 7));
	assert_memory_equal(buf, "TGSPOOL1", 8);
	memcpy(&v32, buf + 8, 4);
	assert_int_equal(v32, 1); /* version */
	memcpy(&v32, buf + 12, 4);
	assert_int_equal(v32, 1); /* run */
	memcpy(&v64, buf + 16, 8);
	assert_int_equal(v64, 0xabcdef);
	memcpy(&v64, buf + 24, 8);
	assert_int_equal(v64, 7);
	assert_memory_equal(buf + 32, "TREC", 4);
	memcpy(&v32, buf + 36, 4);
	assert_int_equal(v32, 7);
	memcpy(&v64, buf + 40, 8);
	assert_int_equal(v64, 7);
	memcpy(&v64, buf + 48, 8);
	assert_int_equal(v64, 1007);
	crc = (__u32)crc32(0, buf + 36, 4);
	crc = (__u32)crc32(crc, buf + 40, 16);
	crc = (__u32)crc32(crc, buf + 64, 7);
	memcpy(&v32, buf + 56, 4);
	assert_int_equal(v32, crc);
	assert_memory_equal(buf + 64, "{\"n\":7}", 7);

	/* Read back after reopening: same records, same order. */
	sp = tg_spool_open(dir, 1 << 20, 0, &info);
	assert_non_null(sp);
	assert_int_equal(info.records, 2);
	assert_int_equal(info.old_records, 2);
	assert_int_equal(info.torn, 0);
	expect(sp, 0xabcdef, 7);
	expect(sp, 0xabcdef, 8);
	struct tg_spool_rec r;
	assert_int_equal(tg_spool_peek(sp, &r), -ENODATA);
	tg_spool_close(sp);
}

/* Small segments: new files as they fill, removed once acknowledged. */
static void test_segments_and_ack(void **state)
{
	struct tg_spool *sp = tg_spool_open(dir, 1 << 20, 512, NULL);
	struct tg_spool_info info;
	__u64 i;

	assert_non_null(sp);
	for (i = 1; i <= 100; i++)
		put(sp, 5, i);
	/* 512-byte segments hold 12 records of 39 or 40 bytes after the header.
	 */
	assert_int_equal(tg_spool_records(sp), 100);
	assert_non_null(strstr(segments(), "00000001-0000000000000001.seg "
					   "00000001-000000000000000d.seg"));
	for (i = 1; i <= 30; i++)
		expect(sp, 5, i);
	/* An ack for another stream acknowledges nothing. */
	assert_int_equal(tg_spool_ack(sp, 6, 30), 0);
	assert_int_equal(tg_spool_ack(sp, 5, 25), 25);
	assert_int_equal(tg_spool_records(sp), 75);
	/* The first two segments (records 1..22) are gone. */
	assert_null(strstr(segments(), "0000000000000001.seg"));
	assert_null(strstr(segments(), "000000000000000d.seg"));
	assert_non_null(strstr(segments(), "0000000000000019.seg"));
	/* Rewind: the in-flight 26..30 are read again. */
	tg_spool_rewind(sp);
	assert_int_equal(tg_spool_unread(sp), 75);
	expect(sp, 5, 26);
	/* An ack may cover records not read yet (the collector had them). */
	assert_int_equal(tg_spool_ack(sp, 5, 40), 15);
	expect(sp, 5, 41);
	tg_spool_close(sp);

	/* The head survives a restart: 41 is the first record again. */
	sp = tg_spool_open(dir, 1 << 20, 512, &info);
	assert_non_null(sp);
	assert_int_equal(info.records, 60);
	expect(sp, 5, 41);
	for (i = 42; i <= 100; i++)
		expect(sp, 5, i);
	assert_int_equal(tg_spool_ack(sp, 5, 100), 60);
	assert_int_equal(tg_spool_records(sp), 0);
	assert_int_equal(tg_spool_bytes(sp), 0);
	assert_string_equal(segments(), "");
	/* Empty, it starts a fresh segment on the next append. */
	put(sp, 5, 101);
	expect(sp, 5, 101);
	tg_spool_close(sp);
}

/* A later run's records follow the earlier run's, in their own segments. */
static void test_runs_in_order(void **state)
{
	struct tg_spool *sp = tg_spool_open(dir, 1 << 20, 0, NULL);
	struct tg_spool_info info;
	__u64 stream, seq, t;

	assert_non_null(sp);
	put(sp, 111, 1);
	put(sp, 111, 2);
	tg_spool_close(sp);
	sp = tg_spool_open(dir, 1 << 20, 0, &info);
	assert_non_null(sp);
	assert_int_equal(info.old_records, 2);
	put(sp, 222, 1);
	assert_string_equal(segments(), "00000001-0000000000000001.seg "
					"00000002-0000000000000001.seg");
	assert_int_equal(tg_spool_head(sp, &stream, &seq, &t), 0);
	assert_int_equal(stream, 111);
	assert_int_equal(seq, 1);
	assert_int_equal(t, 1001);
	/* The new stream's ack cannot reach past the old stream's records. */
	assert_int_equal(tg_spool_ack(sp, 222, 1), 0);
	expect(sp, 111, 1);
	expect(sp, 111, 2);
	expect(sp, 222, 1);
	assert_int_equal(tg_spool_ack(sp, 111, 2), 2);
	assert_int_equal(tg_spool_head(sp, &stream, &seq, &t), 0);
	assert_int_equal(stream, 222);
	assert_int_equal(tg_spool_ack(sp, 222, 1), 1);
	assert_int_equal(tg_spool_head(sp, &stream, &seq, &t), -ENODATA);
	tg_spool_close(sp);
}

static void append_raw(const char *name, const void *data, size_t len)
{
	char p[192];
	int fd;

	snprintf(p, sizeof(p), "%s/%s", dir, name);
	fd = open(p, O_WRONLY | O_APPEND | O_CREAT, 0600);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, data, len), (ssize_t)len);
	close(fd);
}

/* A crash in the middle of a write: the torn record is found and cut. */
static void test_torn_record(void **state)
{
	const char *seg = "00000001-0000000000000001.seg";
	struct tg_spool *sp = tg_spool_open(dir, 1 << 20, 0, NULL);
	struct tg_spool_info info;
	unsigned char half[48];
	off_t good;

	assert_non_null(sp);
	put(sp, 9, 1);
	put(sp, 9, 2);
	put(sp, 9, 3);
	tg_spool_close(sp);
	good = file_size(seg);
	/* A header promising 100 bytes, and only some of them. */
	memset(half, 'x', sizeof(half));
	memcpy(half, "TREC", 4);
	half[4] = 100;
	memset(half + 5, 0, 3);
	append_raw(seg, half, sizeof(half));

	sp = tg_spool_open(dir, 1 << 20, 0, &info);
	assert_non_null(sp);
	assert_int_equal(info.torn, 1);
	assert_int_equal(info.torn_bytes, sizeof(half));
	assert_int_equal(info.records, 3);
	assert_int_equal(file_size(seg), good);
	/* Appends continue in a new segment of the new run; all read back. */
	put(sp, 10, 1);
	expect(sp, 9, 1);
	expect(sp, 9, 2);
	expect(sp, 9, 3);
	expect(sp, 10, 1);
	tg_spool_close(sp);

	/* A flipped byte in a payload: the CRC fails, the segment ends there.
	 */
	{
		char p[192];
		int fd;

		snprintf(p, sizeof(p), "%s/%s", dir, seg);
		fd = open(p, O_WRONLY);
		assert_int_equal(pwrite(fd, "X", 1, 32 + 39 + 32 + 2), 1);
		close(fd);
	}
	sp = tg_spool_open(dir, 1 << 20, 0, &info);
	assert_non_null(sp);
	assert_int_equal(info.torn, 1);
	assert_int_equal(info.records, 2); /* 9/1 and 10/1 */
	expect(sp, 9, 1);
	expect(sp, 10, 1);
	tg_spool_close(sp);

	/* A segment cut inside its header holds nothing: removed. */
	append_raw("00000007-0000000000000001.seg", "TGSP", 4);
	sp = tg_spool_open(dir, 1 << 20, 0, &info);
	assert_non_null(sp);
	assert_null(strstr(segments(), "00000007"));
	tg_spool_close(sp);
}

/* Full: refused with ENOSPC, never above the limit; room again after acks. */
static void test_full(void **state)
{
	struct tg_spool *sp = tg_spool_open(dir, 4096, 1024, NULL);
	__u64 i, n = 0;
	int err = 0;

	assert_non_null(sp);
	for (i = 1; i <= 1000 && !err; i++) {
		char ev[64];
		int len = snprintf(ev, sizeof(ev), "{\"n\":%llu}",
				   (unsigned long long)i);

		err = tg_spool_append(sp, 3, i, 1000 + i, ev, (__u32)len);
		n += !err;
	}
	assert_int_equal(err, -ENOSPC);
	assert_true(n > 50 && n < 110);
	assert_true(tg_spool_bytes(sp) <= 4096);
	assert_int_equal(tg_spool_records(sp), n);
	/* Still refused, and what is there is intact. */
	assert_int_equal(tg_spool_append(sp, 3, n + 1, 0, "{}", 2), -ENOSPC);
	assert_int_equal(
		tg_spool_append(sp, 3, n + 1, 0, "{}", TG_SPOOL_MAX_RECORD + 1),
		-EMSGSIZE);
	for (i = 1; i <= 30; i++)
		expect(sp, 3, i);
	assert_int_equal(tg_spool_ack(sp, 3, 30), 30);
	put(sp, 3, n + 1);
	for (i = 31; i <= n + 1; i++)
		expect(sp, 3, i);
	tg_spool_close(sp);
}

/* One agent per spool directory. */
static void test_locked(void **state)
{
	struct tg_spool *sp = tg_spool_open(dir, 1 << 20, 0, NULL);

	assert_non_null(sp);
	assert_null(tg_spool_open(dir, 1 << 20, 0, NULL));
	assert_int_equal(errno, EBUSY);
	tg_spool_close(sp);
	sp = tg_spool_open(dir, 1 << 20, 0, NULL);
	assert_non_null(sp);
	tg_spool_close(sp);
}

/*
 * A directory another uid owns, or that group or others may write, is
 * refused with the owner and mode found; a private one of this uid works.
 */
static void test_dir_not_private(void **state)
{
	struct tg_spool_info info;
	struct tg_spool *sp;
	char want[192];

	assert_int_equal(chmod(dir, 0770), 0);
	assert_null(tg_spool_open(dir, 1 << 20, 0, &info));
	assert_int_equal(errno, EPERM);
	snprintf(want, sizeof(want),
		 "owner uid %u, mode 0770: needs owner uid %u or root, and no "
		 "write permission for group or others",
		 (unsigned int)geteuid(), (unsigned int)geteuid());
	assert_string_equal(info.why, want);
	assert_int_equal(chmod(dir, 01777), 0);
	assert_null(tg_spool_open(dir, 1 << 20, 0, &info));
	assert_non_null(strstr(info.why, "mode 1777"));
	assert_int_equal(chmod(dir, 0755), 0);
	sp = tg_spool_open(dir, 1 << 20, 0, &info);
	assert_non_null(sp);
	assert_string_equal(info.why, "");
	tg_spool_close(sp);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_framing_on_disk, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_segments_and_ack, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_runs_in_order, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_torn_record, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_full, setup, teardown),
		cmocka_unit_test_setup_teardown(test_locked, setup, teardown),
		cmocka_unit_test_setup_teardown(test_dir_not_private, setup,
						teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
