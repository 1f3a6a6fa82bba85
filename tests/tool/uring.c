// SPDX-License-Identifier: GPL-2.0
/* tg-try: connect and sendmsg submitted through io_uring (liburing). */
#define _GNU_SOURCE
#include <errno.h>
#include <liburing.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "tool.h"

/* Submit one prepared request on ring and return its result (0 or errno). */
static int run_one(struct io_uring *ring)
{
	struct io_uring_cqe *cqe;
	int res, err;

	err = io_uring_submit_and_wait(ring, 1);
	if (err < 0)
		return -err;
	err = io_uring_wait_cqe(ring, &cqe);
	if (err < 0)
		return -err;
	res = cqe->res;
	io_uring_cqe_seen(ring, cqe);
	return res < 0 ? -res : 0;
}

/* uring-connect|uring-sendmsg PROTO ADDR PORT */
static int uring_op(int argc, char **argv, int send)
{
	struct iovec iov = {.iov_base = "x", .iov_len = 1};
	struct sockaddr_storage ss;
	struct io_uring_sqe *sqe;
	struct io_uring ring;
	struct msghdr mh;
	char what[256];
	socklen_t len;
	int fd, type, err;

	if (argc < 3 || (type = sock_type(argv[0])) < 0 ||
	    make_addr(argv[1], argv[2], &ss, &len))
		return usage();
	snprintf(what, sizeof(what), "%s %s %s %s",
		 send ? "uring-sendmsg" : "uring-connect", argv[0], argv[1],
		 argv[2]);
	err = io_uring_queue_init(4, &ring, 0);
	if (err < 0) {
		fprintf(stderr, "tg-try: io_uring: %s\n", strerror(-err));
		return 3; /* io_uring unavailable */
	}
	fd = socket(ss.ss_family, type | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		io_uring_queue_exit(&ring);
		return outcome(what, errno);
	}
	sqe = io_uring_get_sqe(&ring);
	if (send) {
		memset(&mh, 0, sizeof(mh));
		mh.msg_name = &ss;
		mh.msg_namelen = len;
		mh.msg_iov = &iov;
		mh.msg_iovlen = 1;
		io_uring_prep_sendmsg(sqe, fd, &mh, 0);
	} else {
		io_uring_prep_connect(sqe, fd, (struct sockaddr *)&ss, len);
	}
	err = run_one(&ring);
	close(fd);
	io_uring_queue_exit(&ring);
	return outcome(what, err);
}

static int do_uring_connect(int argc, char **argv)
{
	return uring_op(argc, argv, 0);
}

static int do_uring_sendmsg(int argc, char **argv)
{
	return uring_op(argc, argv, 1);
}

const struct tool_cmd tool_uring_cmds[] = {{"uring-connect", do_uring_connect},
					   {"uring-sendmsg", do_uring_sendmsg},
					   {}};
