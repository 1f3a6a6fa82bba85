// SPDX-License-Identifier: GPL-2.0
/*
 * tg-try: delivery tests' hands.
 *
 *   tg-try [--cgroup DIR] connect-count tcp|udp ADDR PORT N [PAUSE_US]
 *          (N connects, PAUSE_US apart; prints the outcome counts)
 *   tg-try collector-send SOCKET garbage|oversized|out-of-order|no-hello|hello
 *          (a client of the collector sending one kind of frame; prints
 *          the collector's answer: "error: TEXT", "ack N" or "closed")
 *   tg-try fake-collector SOCKET COUNT_FILE
 *          (listens on SOCKET as whoever runs it and acknowledges every
 *          frame at once, as a collector that stores nothing would;
 *          COUNT_FILE says "connections=N hellos=N events=N acks=N", made
 *          once it listens and rewritten after each change; until SIGTERM)
 */
#define _GNU_SOURCE
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#include "tool.h"
#include "common/wire.h"

static int do_connect_count(int argc, char **argv)
{
	struct connect_counts c = {};
	struct sockaddr_storage ss;
	useconds_t pause = 0;
	unsigned long n;
	socklen_t len;
	int type;

	if (argc < 4 || (type = sock_type(argv[0])) < 0 ||
	    make_addr(argv[1], argv[2], &ss, &len))
		return usage();
	n = strtoul(argv[3], NULL, 10);
	if (argc > 4)
		pause = (useconds_t)strtoul(argv[4], NULL, 10);
	while (c.attempts < n) {
		if (connect_counted(&ss, len, type, &c))
			return 1;
		if (pause)
			usleep(pause);
	}
	print_connect_counts(&c);
	return 0;
}

/*
 * Print the collector's answer: its error frame, or with want_ack the first
 * ACK of something.
 */
static int answer(int fd, int want_ack)
{
	char buf[TG_WIRE_MAX_FRAME + 1];
	struct tg_frame_hdr h;
	int reset = 0;
	ssize_t n;

	for (;;) {
		n = recv(fd, buf, sizeof(buf) - 1, 0);
		/* Closed with our frames unread: its answer comes after. */
		if (n < 0 && errno == ECONNRESET && !reset++)
			continue;
		if (n <= 0) {
			printf("closed\n");
			return 0;
		}
		if ((size_t)n < sizeof(h)) {
			printf("short frame\n");
			return 1;
		}
		memcpy(&h, buf, sizeof(h));
		buf[n] = '\0';
		if (h.type == TG_FRAME_ERROR) {
			printf("error: %s\n", buf + sizeof(h));
			return 0;
		}
		if (h.type == TG_FRAME_ACK && h.seq && want_ack) {
			printf("ack %llu\n", (unsigned long long)h.seq);
			return 0;
		}
	}
}

static int do_collector_send(int argc, char **argv)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	static char big[TG_WIRE_MAX_FRAME + 4096];
	struct timeval tv = {.tv_sec = 5};
	__u64 stream = 0x7e57000000000000ULL | (unsigned)getpid();
	const char *what;
	int fd;

	if (argc < 2 || strlen(argv[0]) >= sizeof(sa.sun_path))
		return usage();
	what = argv[1];
	strcpy(sa.sun_path, argv[0]);
	fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		printf("connect: %s\n", strerror(errno));
		return 1;
	}
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	if (strcmp(what, "garbage") == 0) {
		if (send(fd, "this is not a frame, not at all", 31,
			 MSG_NOSIGNAL) < 0)
			goto out_err;
	} else if (strcmp(what, "oversized") == 0) {
		memset(big, 'x', sizeof(big));
		tg_wire_build(big, TG_FRAME_HELLO, 0, &stream, sizeof(stream));
		if (send(fd, big, sizeof(big), MSG_NOSIGNAL) < 0)
			goto out_err;
	} else if (strcmp(what, "no-hello") == 0) {
		if (tg_wire_send(fd, TG_FRAME_EVENT, 1, "{}", 2))
			goto out_err;
	} else if (strcmp(what, "out-of-order") == 0) {
		if (tg_wire_send(fd, TG_FRAME_HELLO, 0, &stream,
				 sizeof(stream)) ||
		    tg_wire_send(fd, TG_FRAME_EVENT, 5, "{\"probe\":1}", 11) ||
		    tg_wire_send(fd, TG_FRAME_EVENT, 9, "{\"probe\":2}", 11))
			goto out_err;
	} else if (strcmp(what, "hello") == 0) {
		if (tg_wire_send(fd, TG_FRAME_HELLO, 0, &stream,
				 sizeof(stream)) ||
		    tg_wire_send(fd, TG_FRAME_EVENT, 1, "{\"probe\":1}", 11))
			goto out_err;
	} else {
		close(fd);
		return usage();
	}
	answer(fd, strcmp(what, "hello") == 0);
	close(fd);
	return 0;
out_err:
	/* Refused already (another uid): the answer says why. */
	if (errno == EPIPE || errno == ECONNRESET || errno == ECONNREFUSED)
		return answer(fd, 0), close(fd), 0;
	printf("send: %s\n", strerror(errno));
	close(fd);
	return 1;
}

struct fake_counts {
	unsigned long connections, hellos, events, acks;
};

static void fake_write(const char *path, const struct fake_counts *n)
{
	char text[160];

	snprintf(text, sizeof(text),
		 "connections=%lu hellos=%lu events=%lu acks=%lu\n",
		 n->connections, n->hellos, n->events, n->acks);
	write_ready(path, text);
}

/* One frame of a client: HELLO counted, events counted and acked. */
static int fake_frame(int fd, struct fake_counts *n)
{
	char buf[TG_WIRE_MAX_FRAME], why[128];
	struct tg_frame_hdr h;
	unsigned long k = 0;
	ssize_t r;
	__u32 off, rl;

	r = tg_wire_recv(fd, buf, &h, why, sizeof(why));
	if (r == -EAGAIN)
		return 0;
	if (r <= 0)
		return -1;
	if (h.type == TG_FRAME_HELLO) {
		n->hellos++;
		return 0;
	}
	if (h.type == TG_FRAME_EVENT)
		k = 1;
	else if (h.type == TG_FRAME_BATCH)
		for (off = 0; off + TG_WIRE_RECORD_HDR <= h.len;
		     off += TG_WIRE_RECORD_HDR + rl, k++)
			memcpy(&rl, buf + sizeof(h) + off, sizeof(rl));
	if (!k)
		return 0;
	n->events += k;
	if (tg_wire_send(fd, TG_FRAME_ACK, h.seq + k - 1, NULL, 0) == 0)
		n->acks++;
	return 0;
}

static int do_fake_collector(int argc, char **argv)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	struct pollfd p[17];
	struct fake_counts n = {};
	int lfd, i, fd;

	if (argc < 2 || strlen(argv[0]) >= sizeof(sa.sun_path))
		return usage();
	strcpy(sa.sun_path, argv[0]);
	lfd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	if (lfd < 0 || bind(lfd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
	    listen(lfd, 16) < 0) {
		fprintf(stderr, "fake-collector: %s: %s\n", argv[0],
			strerror(errno));
		return 1;
	}
	for (i = 0; i < 17; i++)
		p[i] = (struct pollfd){.fd = -1, .events = POLLIN};
	p[0].fd = lfd;
	fake_write(argv[1], &n);
	for (;;) {
		if (poll(p, 17, -1) < 0 && errno != EINTR)
			return 1;
		if (p[0].revents) {
			fd = accept4(lfd, NULL, NULL,
				     SOCK_CLOEXEC | SOCK_NONBLOCK);
			for (i = 1; fd >= 0 && i < 17 && p[i].fd >= 0; i++)
				;
			if (fd >= 0 && i < 17) {
				p[i].fd = fd;
				n.connections++;
			} else if (fd >= 0) {
				close(fd);
			}
		}
		for (i = 1; i < 17; i++) {
			if (p[i].fd < 0 || !p[i].revents)
				continue;
			if (fake_frame(p[i].fd, &n)) {
				close(p[i].fd);
				p[i].fd = -1;
			}
		}
		fake_write(argv[1], &n);
	}
}

const struct tool_cmd tool_delivery_cmds[] = {
	{"fake-collector", do_fake_collector},
	{"connect-count", do_connect_count},
	{"collector-send", do_collector_send},
	{}};
