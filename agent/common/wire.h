/* SPDX-License-Identifier: GPL-2.0 */
#ifndef TG_COMMON_WIRE_H
#define TG_COMMON_WIRE_H

#include <stddef.h>
#include <sys/types.h>
#include <linux/types.h>

#include "tenantguard/wire_abi.h"

/* Largest datagram either side sends or accepts. */
#define TG_WIRE_MAX_FRAME (sizeof(struct tg_frame_hdr) + TG_WIRE_MAX_PAYLOAD)

/*
 * Validate the n bytes of one received datagram and copy its header to hdr.
 * Returns 0, or -EBADMSG with the problem in why (len bytes).
 */
int tg_wire_check(const void *buf, size_t n, struct tg_frame_hdr *hdr,
		  char *why, size_t len);

/* Build a frame into buf (TG_WIRE_MAX_FRAME bytes); returns its length. */
size_t tg_wire_build(void *buf, __u16 type, __u64 seq, const void *payload,
		     __u32 len);

/* Send one frame without blocking; 0, -EAGAIN, -EMSGSIZE or -errno. */
int tg_wire_send(int fd, __u16 type, __u64 seq, const void *payload, __u32 len);

/*
 * Receive one frame without blocking into buf (TG_WIRE_MAX_FRAME bytes) and
 * validate it. Returns the frame's length, 0 when the peer closed, -EAGAIN,
 * -EMSGSIZE or -EBADMSG (with the problem in why), or -errno.
 */
ssize_t tg_wire_recv(int fd, void *buf, struct tg_frame_hdr *hdr, char *why,
		     size_t len);

#endif /* TG_COMMON_WIRE_H */
