// SPDX-License-Identifier: GPL-2.0
/* tg-probe: a known number of denials, for the rate limit tests. */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "probe.h"

/*
 * connect-repeat tcp|udp ADDR PORT N GAP_MS: N connects, GAP_MS apart;
 * prints the outcome counts like connect-loop.
 */
static int do_connect_repeat(int argc, char **argv)
{
	unsigned long attempts = 0, eperm = 0, ok = 0, other = 0, n, gap_ms;
	struct timespec gap;
	struct sockaddr_storage ss;
	socklen_t len;
	int fd, type;

	if (argc < 5 || (type = sock_type(argv[0])) < 0 ||
	    make_addr(argv[1], argv[2], &ss, &len))
		return usage();
	n = strtoul(argv[3], NULL, 10);
	gap_ms = strtoul(argv[4], NULL, 10);
	gap.tv_sec = (time_t)(gap_ms / 1000);
	gap.tv_nsec = (long)(gap_ms % 1000) * 1000000L;
	while (attempts < n) {
		if (attempts && gap_ms)
			nanosleep(&gap, NULL);
		fd = socket(ss.ss_family, type | SOCK_CLOEXEC, 0);
		if (fd < 0)
			return 1;
		attempts++;
		if (connect(fd, (struct sockaddr *)&ss, len) == 0)
			ok++;
		else if (errno == EPERM)
			eperm++;
		else
			other++;
		close(fd);
	}
	printf("attempts=%lu eperm=%lu ok=%lu other=%lu\n", attempts, eperm, ok,
	       other);
	return 0;
}

const struct probe_cmd probe_ratelimit_cmds[] = {
	{ "connect-repeat", do_connect_repeat },
	{}
};
