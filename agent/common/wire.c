// SPDX-License-Identifier: GPL-2.0
/* Frames of the agent <-> collector protocol (see wire_abi.h). */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "common/wire.h"

/* A batch's records fill its payload exactly, none of them empty. */
static int batch_ok(const char *p, __u32 len)
{
	__u32 off = 0, rl;

	if (!len)
		return 0;
	while (off < len) {
		if (len - off < TG_WIRE_RECORD_HDR)
			return 0;
		memcpy(&rl, p + off, sizeof(rl));
		off += TG_WIRE_RECORD_HDR;
		if (!rl || rl > len - off)
			return 0;
		off += rl;
	}
	return 1;
}

int tg_wire_check(const void *buf, size_t n, struct tg_frame_hdr *hdr,
		  char *why, size_t len)
{
	if (n < sizeof(*hdr)) {
		snprintf(why, len, "frame shorter than its header");
		return -EBADMSG;
	}
	memcpy(hdr, buf, sizeof(*hdr));
	if (hdr->magic != TG_WIRE_MAGIC)
		snprintf(why, len, "bad magic");
	else if (hdr->version != TG_WIRE_VERSION)
		snprintf(why, len, "unsupported protocol version");
	else if (hdr->type < TG_FRAME_EVENT || hdr->type > TG_FRAME_BATCH)
		snprintf(why, len, "unknown frame type");
	else if (hdr->pad)
		snprintf(why, len, "non-zero padding");
	else if (hdr->len > TG_WIRE_MAX_PAYLOAD)
		snprintf(why, len, "payload too large");
	else if (hdr->len != n - sizeof(*hdr))
		snprintf(why, len, "payload length does not match the frame");
	else if (hdr->seq == 0 &&
		 (hdr->type == TG_FRAME_EVENT || hdr->type == TG_FRAME_BATCH))
		snprintf(why, len, "event frame with seq 0");
	else if (hdr->type == TG_FRAME_BATCH &&
		 !batch_ok((const char *)buf + sizeof(*hdr), hdr->len))
		snprintf(why, len, "malformed batch");
	else if (hdr->type == TG_FRAME_HELLO && hdr->len != TG_WIRE_STREAM_LEN)
		snprintf(why, len, "hello frame without a stream id");
	else
		return 0;
	return -EBADMSG;
}

size_t tg_wire_build(void *buf, __u16 type, __u64 seq, const void *payload,
		     __u32 len)
{
	struct tg_frame_hdr h = {
		.magic = TG_WIRE_MAGIC,
		.version = TG_WIRE_VERSION,
		.type = type,
		.seq = seq,
		.len = len,
	};

	memcpy(buf, &h, sizeof(h));
	if (len)
		memcpy((char *)buf + sizeof(h), payload, len);
	return sizeof(h) + len;
}

int tg_wire_send(int fd, __u16 type, __u64 seq, const void *payload, __u32 len)
{
	char buf[TG_WIRE_MAX_FRAME];
	size_t n;

	if (len > TG_WIRE_MAX_PAYLOAD)
		return -EMSGSIZE;
	n = tg_wire_build(buf, type, seq, payload, len);
	if (send(fd, buf, n, MSG_DONTWAIT | MSG_NOSIGNAL) < 0)
		return errno == EWOULDBLOCK ? -EAGAIN : -errno;
	return 0;
}

ssize_t tg_wire_recv(int fd, void *buf, struct tg_frame_hdr *hdr, char *why,
		     size_t len)
{
	ssize_t n;
	int err;

	do
		n = recv(fd, buf, TG_WIRE_MAX_FRAME, MSG_DONTWAIT | MSG_TRUNC);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return errno == EWOULDBLOCK ? -EAGAIN : -errno;
	/* An empty datagram is never sent: read it as the peer closing. */
	if (n == 0)
		return 0;
	if ((size_t)n > TG_WIRE_MAX_FRAME) {
		snprintf(why, len, "frame too large");
		return -EMSGSIZE;
	}
	err = tg_wire_check(buf, (size_t)n, hdr, why, len);
	return err ? err : n;
}
