// SPDX-License-Identifier: GPL-2.0
/*
 * tg-try: the network benchmark's loops (tests/bench/net.sh), over
 * loopback, each iteration on sockets of this process:
 *  - TCP: socket, connect to a listener on 127.0.0.1, accept, close both
 *    (the client with linger 0: no TIME_WAIT pile-up);
 *  - UDP: one datagram sendto() a socket on 127.0.0.1, drained every 32.
 *
 *   tg-try tcp-loop N | udp-loop N
 *       N iterations; prints nanoseconds per iteration.
 *   tg-try tcp-ab N PAIRS DIR_A DIR_B | udp-ab N PAIRS DIR_A DIR_B
 *       PAIRS pairs of runs of N iterations, one run in cgroup DIR_A and one
 *       in DIR_B (alternately first), each on sockets made in its cgroup,
 *       so that both see the same load; one line per pair, "NS_A NS_B",
 *       nanoseconds per iteration.
 */
#define _GNU_SOURCE
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "tool.h"

#define DRAIN_EVERY 32

/* Nanoseconds since an arbitrary start. */
static double now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

void net_loop_close(struct net_loop *lp)
{
	if (lp->l >= 0)
		close(lp->l);
	if (lp->c >= 0)
		close(lp->c);
	lp->l = lp->c = -1;
}

/* Make lp's sockets in the current cgroup; 0, or -1 after perror. */
int net_loop_open(struct net_loop *lp, int tcp)
{
	socklen_t len = sizeof(lp->sa);

	lp->tcp = tcp;
	lp->c = -1;
	lp->sa = (struct sockaddr_in){.sin_family = AF_INET,
				      .sin_addr.s_addr = htonl(0x7f000001)};
	lp->l = socket(AF_INET, (tcp ? SOCK_STREAM : SOCK_DGRAM) | SOCK_CLOEXEC,
		       0);
	if (lp->l < 0 || bind(lp->l, (struct sockaddr *)&lp->sa, len) < 0 ||
	    getsockname(lp->l, (struct sockaddr *)&lp->sa, &len) < 0 ||
	    (tcp && listen(lp->l, 128) < 0))
		goto out_fail;
	if (!tcp) {
		lp->c = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
		if (lp->c < 0)
			goto out_fail;
	}
	return 0;
out_fail:
	perror("tg-try: loop sockets");
	net_loop_close(lp);
	return -1;
}

/* One TCP iteration; 0 or -1. */
static int tcp_once(struct net_loop *lp)
{
	struct linger lg = {.l_onoff = 1, .l_linger = 0};
	int c, a;

	c = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (c < 0)
		return -1;
	if (connect(c, (struct sockaddr *)&lp->sa, sizeof(lp->sa)) < 0) {
		close(c);
		return -1;
	}
	a = accept4(lp->l, NULL, NULL, SOCK_CLOEXEC);
	setsockopt(c, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
	close(c);
	if (a < 0)
		return -1;
	close(a);
	return 0;
}

/* n iterations on lp: nanoseconds per iteration, or -1 after perror. */
double net_loop_run(struct net_loop *lp, long n)
{
	char buf[64];
	double t0;
	long i;

	t0 = now_ns();
	for (i = 0; i < n; i++) {
		if (lp->tcp) {
			if (tcp_once(lp))
				goto out_fail;
			continue;
		}
		if (sendto(lp->c, "x", 1, 0, (struct sockaddr *)&lp->sa,
			   sizeof(lp->sa)) != 1)
			goto out_fail;
		if (i % DRAIN_EVERY == DRAIN_EVERY - 1)
			while (recv(lp->l, buf, sizeof(buf), MSG_DONTWAIT) > 0)
				;
	}
	return (now_ns() - t0) / (double)n;
out_fail:
	perror("tg-try: loop");
	return -1;
}

static int run_loop(int argc, char **argv, int tcp)
{
	struct net_loop lp;
	double ns;
	long n;

	if (argc < 1 || (n = atol(argv[0])) <= 0)
		return usage();
	if (net_loop_open(&lp, tcp))
		return 1;
	ns = net_loop_run(&lp, n);
	net_loop_close(&lp);
	if (ns < 0)
		return 1;
	printf("%.1f\n", ns);
	return 0;
}

/* Run lp (made in cgroup dir) n times from dir; ns per iteration or -1. */
static double run_in(struct net_loop *lp, const char *dir, long n)
{
	if (join_cgroup(dir)) {
		perror("tg-try: join cgroup");
		return -1;
	}
	return net_loop_run(lp, n);
}

static int run_ab(int argc, char **argv, int tcp)
{
	struct net_loop a = {.l = -1, .c = -1}, b = {.l = -1, .c = -1};
	double ns_a, ns_b;
	long n, pairs, p;
	int err = 1;

	if (argc < 4 || (n = atol(argv[0])) <= 0 ||
	    (pairs = atol(argv[1])) <= 0)
		return usage();
	if (join_cgroup(argv[2]) || net_loop_open(&a, tcp) ||
	    join_cgroup(argv[3]) || net_loop_open(&b, tcp))
		goto out_close;
	for (p = 0; p < pairs; p++) {
		if (p & 1) {
			ns_b = run_in(&b, argv[3], n);
			ns_a = run_in(&a, argv[2], n);
		} else {
			ns_a = run_in(&a, argv[2], n);
			ns_b = run_in(&b, argv[3], n);
		}
		if (ns_a < 0 || ns_b < 0)
			goto out_close;
		printf("%.1f %.1f\n", ns_a, ns_b);
		fflush(stdout);
	}
	err = 0;
out_close:
	net_loop_close(&a);
	net_loop_close(&b);
	return err;
}

static int do_tcp_loop(int argc, char **argv)
{
	return run_loop(argc, argv, 1);
}

static int do_udp_loop(int argc, char **argv)
{
	return run_loop(argc, argv, 0);
}

static int do_tcp_ab(int argc, char **argv)
{
	return run_ab(argc, argv, 1);
}

static int do_udp_ab(int argc, char **argv)
{
	return run_ab(argc, argv, 0);
}

const struct tool_cmd tool_netbench_cmds[] = {{"tcp-loop", do_tcp_loop},
					      {"udp-loop", do_udp_loop},
					      {"tcp-ab", do_tcp_ab},
					      {"udp-ab", do_udp_ab},
					      {}};
