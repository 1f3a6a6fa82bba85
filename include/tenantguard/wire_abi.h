/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Agent <-> collector protocol on the event socket (AF_UNIX, SOCK_SEQPACKET).
 * One datagram is one frame: a header, then len bytes of payload.
 *
 *   agent -> collector  TG_FRAME_HELLO  first frame of a connection;
 *                                       payload: 8-byte stream id
 *   agent -> collector  TG_FRAME_EVENT  payload: one JSON object (no "seq")
 *   agent -> collector  TG_FRAME_BATCH  seq: the first event's; payload:
 *                                       records, each a __u32 length (host
 *                                       order) and that many bytes of one
 *                                       event; they have seqs seq, seq+1...
 *   collector -> agent  TG_FRAME_ACK    seq: highest frame seq of the stream
 *                                       made durable (or refused)
 *   collector -> agent  TG_FRAME_ERROR  seq: the event frame refused for
 *                                       good (never stored, acked when
 *                                       resent), else 0; payload: text
 *   collector -> agent  TG_FRAME_STATUS seq: TG_STATUS_STALLED when the log
 *                                       cannot be written (disk full...):
 *                                       nothing past the last ack is
 *                                       stored, the connection stays and
 *                                       the collector retries; payload:
 *                                       why. TG_STATUS_OK once it stores
 *                                       again.
 *
 * A stream is one agent run; its frame seqs start at 1 and increase by one
 * per event frame. The collector stores each frame's stream and seq with the
 * event, so a frame resent after a lost ack is acknowledged, not stored
 * twice, also across collector crashes.
 */
#ifndef TENANTGUARD_WIRE_ABI_H
#define TENANTGUARD_WIRE_ABI_H

#include <linux/types.h>

#define TG_WIRE_MAGIC	    0x56455447u /* "TGEV" little endian */
#define TG_WIRE_VERSION	    1
#define TG_WIRE_MAX_PAYLOAD 16384 /* larger frames are rejected */

enum tg_frame_type {
	TG_FRAME_EVENT = 1,
	TG_FRAME_ACK = 2,
	TG_FRAME_ERROR = 3,
	TG_FRAME_HELLO = 4,
	TG_FRAME_STATUS = 5,
	TG_FRAME_BATCH = 6,
};

#define TG_WIRE_RECORD_HDR 4 /* the __u32 length before a batch record */

/* seq of a TG_FRAME_STATUS frame. */
enum tg_collector_status {
	TG_STATUS_OK = 0,
	TG_STATUS_STALLED = 1,
};

#define TG_WIRE_STREAM_LEN 8 /* bytes of a HELLO payload */

struct tg_frame_hdr {
	__u32 magic;   /* TG_WIRE_MAGIC */
	__u16 version; /* TG_WIRE_VERSION */
	__u16 type;    /* enum tg_frame_type */
	__u64 seq;     /* frame sequence number */
	__u32 len;     /* payload bytes after the header */
	__u32 pad;     /* zero */
};

_Static_assert(sizeof(struct tg_frame_hdr) == 24, "tg_frame_hdr");
_Static_assert(__builtin_offsetof(struct tg_frame_hdr, seq) == 8, "seq");
_Static_assert(__builtin_offsetof(struct tg_frame_hdr, len) == 16, "len");

#endif /* TENANTGUARD_WIRE_ABI_H */
