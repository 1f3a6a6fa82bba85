// SPDX-License-Identifier: GPL-2.0
/* Unit tests: frame validation of the agent <-> collector protocol. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <cmocka.h>

#include "common/wire.h"

static char buf[TG_WIRE_MAX_FRAME + 16];

static void expect_reject(size_t n, const char *want)
{
	struct tg_frame_hdr h;
	char why[128] = "";

	assert_int_equal(tg_wire_check(buf, n, &h, why, sizeof(why)), -EBADMSG);
	assert_string_equal(why, want);
}

static struct tg_frame_hdr *hdr(void)
{
	return (struct tg_frame_hdr *)buf;
}

static void test_valid_roundtrip(void **state)
{
	struct tg_frame_hdr h;
	char why[128] = "";
	size_t n = tg_wire_build(buf, TG_FRAME_EVENT, 7, "{\"a\":1}", 7);

	assert_int_equal(n, sizeof(h) + 7);
	assert_int_equal(tg_wire_check(buf, n, &h, why, sizeof(why)), 0);
	assert_int_equal(h.type, TG_FRAME_EVENT);
	assert_int_equal(h.seq, 7);
	assert_int_equal(h.len, 7);
	assert_memory_equal(buf + sizeof(h), "{\"a\":1}", 7);
	/* An ack has no payload. */
	n = tg_wire_build(buf, TG_FRAME_ACK, 9, NULL, 0);
	assert_int_equal(tg_wire_check(buf, n, &h, why, sizeof(why)), 0);
	assert_int_equal(h.seq, 9);
}

static void test_rejections(void **state)
{
	size_t n = tg_wire_build(buf, TG_FRAME_EVENT, 1, "{}", 2);

	expect_reject(sizeof(struct tg_frame_hdr) - 1,
		      "frame shorter than its header");
	hdr()->magic = 0x12345678;
	expect_reject(n, "bad magic");
	n = tg_wire_build(buf, TG_FRAME_EVENT, 1, "{}", 2);
	hdr()->version = 2;
	expect_reject(n, "unsupported protocol version");
	n = tg_wire_build(buf, 9, 1, "{}", 2);
	expect_reject(n, "unknown frame type");
	n = tg_wire_build(buf, 0, 1, "{}", 2);
	expect_reject(n, "unknown frame type");
	n = tg_wire_build(buf, TG_FRAME_EVENT, 1, "{}", 2);
	hdr()->pad = 1;
	expect_reject(n, "non-zero padding");
	n = tg_wire_build(buf, TG_FRAME_EVENT, 1, "{}", 2);
	hdr()->len = TG_WIRE_MAX_PAYLOAD + 1;
	expect_reject(n, "payload too large");
	n = tg_wire_build(buf, TG_FRAME_EVENT, 1, "{}", 2);
	expect_reject(n + 1, "payload length does not match the frame");
	expect_reject(n - 1, "payload length does not match the frame");
	n = tg_wire_build(buf, TG_FRAME_EVENT, 0, "{}", 2);
	expect_reject(n, "event frame with seq 0");
	n = tg_wire_build(buf, TG_FRAME_HELLO, 0, "1234567", 7);
	expect_reject(n, "hello frame without a stream id");
	n = tg_wire_build(buf, TG_FRAME_HELLO, 0, "12345678", 8);
	{
		struct tg_frame_hdr h;
		char why[128] = "";

		assert_int_equal(tg_wire_check(buf, n, &h, why, sizeof(why)),
				 0);
	}
}

static void test_send_over_seqpacket(void **state)
{
	struct tg_frame_hdr h;
	char why[128] = "";
	char big[TG_WIRE_MAX_PAYLOAD + 1];
	int sv[2];
	ssize_t n;

	assert_int_equal(socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sv), 0);
	assert_int_equal(tg_wire_send(sv[0], TG_FRAME_EVENT, 3, "{}", 2), 0);
	n = recv(sv[1], buf, sizeof(buf), 0);
	assert_int_equal(tg_wire_check(buf, (size_t)n, &h, why, sizeof(why)),
			 0);
	assert_int_equal(h.seq, 3);
	memset(big, 'x', sizeof(big));
	assert_int_equal(
		tg_wire_send(sv[0], TG_FRAME_EVENT, 4, big, sizeof(big)),
		-EMSGSIZE);
	close(sv[1]);
	assert_int_equal(tg_wire_send(sv[0], TG_FRAME_EVENT, 5, "{}", 2),
			 -EPIPE);
	close(sv[0]);
}

static void test_recv(void **state)
{
	char frame[TG_WIRE_MAX_FRAME + 8];
	struct tg_frame_hdr h;
	char why[128] = "";
	int sv[2];

	assert_int_equal(socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sv), 0);
	/* Nothing there yet. */
	assert_int_equal(tg_wire_recv(sv[1], buf, &h, why, sizeof(why)),
			 -EAGAIN);
	/* A good frame. */
	assert_int_equal(tg_wire_send(sv[0], TG_FRAME_ACK, 42, NULL, 0), 0);
	assert_int_equal(tg_wire_recv(sv[1], buf, &h, why, sizeof(why)),
			 sizeof(h));
	assert_int_equal(h.type, TG_FRAME_ACK);
	assert_int_equal(h.seq, 42);
	/* A datagram larger than any frame: refused, and the next is intact. */
	memset(frame, 0, sizeof(frame));
	assert_int_equal(send(sv[0], frame, sizeof(frame), 0), sizeof(frame));
	assert_int_equal(tg_wire_send(sv[0], TG_FRAME_EVENT, 1, "{}", 2), 0);
	assert_int_equal(tg_wire_recv(sv[1], buf, &h, why, sizeof(why)),
			 -EMSGSIZE);
	assert_string_equal(why, "frame too large");
	assert_int_equal(tg_wire_recv(sv[1], buf, &h, why, sizeof(why)),
			 sizeof(h) + 2);
	/* A frame that fails validation. */
	tg_wire_build(frame, TG_FRAME_EVENT, 1, "{}", 2);
	((struct tg_frame_hdr *)frame)->pad = 7;
	assert_int_equal(send(sv[0], frame, sizeof(h) + 2, 0), sizeof(h) + 2);
	assert_int_equal(tg_wire_recv(sv[1], buf, &h, why, sizeof(why)),
			 -EBADMSG);
	assert_string_equal(why, "non-zero padding");
	/* The peer closed. */
	close(sv[0]);
	assert_int_equal(tg_wire_recv(sv[1], buf, &h, why, sizeof(why)), 0);
	close(sv[1]);
}

/* Batches: records fill the payload exactly, none empty; seq not 0. */
static void test_batch_framing(void **state)
{
	struct tg_frame_hdr h;
	char why[128] = "";
	char p[64];
	__u32 l;
	size_t n;

	l = 2;
	memcpy(p, &l, 4);
	memcpy(p + 4, "{}", 2);
	l = 7;
	memcpy(p + 6, &l, 4);
	memcpy(p + 10, "{\"a\":1}", 7);
	n = tg_wire_build(buf, TG_FRAME_BATCH, 5, p, 17);
	assert_int_equal(tg_wire_check(buf, n, &h, why, sizeof(why)), 0);
	n = tg_wire_build(buf, TG_FRAME_BATCH, 0, p, 17);
	expect_reject(n, "event frame with seq 0");
	n = tg_wire_build(buf, TG_FRAME_BATCH, 5, p, 16); /* record cut short */
	expect_reject(n, "malformed batch");
	n = tg_wire_build(buf, TG_FRAME_BATCH, 5, p, 18); /* a byte left over */
	expect_reject(n, "malformed batch");
	n = tg_wire_build(buf, TG_FRAME_BATCH, 5, p, 0);
	expect_reject(n, "malformed batch");
	l = 0; /* an empty record */
	memcpy(p, &l, 4);
	n = tg_wire_build(buf, TG_FRAME_BATCH, 5, p, 4);
	expect_reject(n, "malformed batch");
	l = 0xffffffff; /* a length past the end */
	memcpy(p, &l, 4);
	n = tg_wire_build(buf, TG_FRAME_BATCH, 5, p, 17);
	expect_reject(n, "malformed batch");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_valid_roundtrip),
		cmocka_unit_test(test_rejections),
		cmocka_unit_test(test_send_over_seqpacket),
		cmocka_unit_test(test_recv),
		cmocka_unit_test(test_batch_framing),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
