// SPDX-License-Identifier: GPL-2.0
/* tg-try: a known number of denials, for the rate limit tests. */
#define _GNU_SOURCE
#include <stdlib.h>
#include <time.h>

#include "tool.h"

/*
 * connect-repeat tcp|udp ADDR PORT N GAP_MS: N connects, GAP_MS apart;
 * prints the outcome counts like connect-loop.
 */
static int do_connect_repeat(int argc, char **argv)
{
	struct connect_counts c = {};
	struct sockaddr_storage ss;
	unsigned long n, gap_ms;
	struct timespec gap;
	socklen_t len;
	int type;

	if (argc < 5 || (type = sock_type(argv[0])) < 0 ||
	    make_addr(argv[1], argv[2], &ss, &len))
		return usage();
	n = strtoul(argv[3], NULL, 10);
	gap_ms = strtoul(argv[4], NULL, 10);
	gap.tv_sec = (time_t)(gap_ms / 1000);
	gap.tv_nsec = (long)(gap_ms % 1000) * 1000000L;
	while (c.attempts < n) {
		if (c.attempts && gap_ms)
			nanosleep(&gap, NULL);
		if (connect_counted(&ss, len, type, &c))
			return 1;
	}
	print_connect_counts(&c);
	return 0;
}

const struct tool_cmd tool_ratelimit_cmds[] = {
	{"connect-repeat", do_connect_repeat}, {}};
