// SPDX-License-Identifier: GPL-2.0
/*
 * tg-try: timed loops for the file benchmark (tests/bench/file.sh).
 *
 *   open-loop PATH N [refused]   (N times open(PATH) + close; ns per pair;
 *                                 refused: opens refused go on, counted)
 *   landlock-open-loop DIR PATH N
 *                             (the same under a Landlock ruleset handling
 *                             every filesystem right this kernel knows:
 *                             all of them beneath DIR, read and execute
 *                             beneath /bin, /usr, /lib and /etc; nothing
 *                             elsewhere)
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/landlock.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "tool.h"

static double now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

/*
 * ns per open+close of path, n times; -1 if an open fails, unless
 * failures is given: then refused opens are counted there.
 */
static double open_loop(const char *path, long n, long *failures)
{
	double t0 = now_ns();
	long i;
	int fd;

	for (i = 0; i < n; i++) {
		fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd < 0) {
			if (!failures || (errno != EACCES && errno != EPERM))
				return -1;
			++*failures;
			continue;
		}
		close(fd);
	}
	return (now_ns() - t0) / (double)n;
}

static int report(const char *path, double ns)
{
	if (ns < 0) {
		printf("open %s: %s\n", path, strerror(errno));
		return 1;
	}
	printf("%.0f\n", ns);
	return 0;
}

static int do_open_loop(int argc, char **argv)
{
	long failures = 0;
	double ns;

	if (argc == 3 && strcmp(argv[2], "refused") == 0) {
		ns = open_loop(argv[0], atol(argv[1]), &failures);
		if (ns < 0)
			return report(argv[0], ns);
		printf("%.0f %ld\n", ns, failures);
		return 0;
	}
	if (argc != 2)
		return usage();
	return report(argv[0], open_loop(argv[0], atol(argv[1]), NULL));
}

/* Every LANDLOCK_ACCESS_FS_* right of Landlock ABI abi. */
static __u64 fs_rights(int abi)
{
	__u64 r = (LANDLOCK_ACCESS_FS_MAKE_SYM << 1) - 1; /* ABI 1 */

	if (abi >= 2)
		r |= 1ULL << 13; /* REFER */
	if (abi >= 3)
		r |= 1ULL << 14; /* TRUNCATE */
	if (abi >= 5)
		r |= 1ULL << 15; /* IOCTL_DEV */
	return r;
}

static int allow_beneath(int ruleset, const char *dir, __u64 rights)
{
	struct landlock_path_beneath_attr pb = {.allowed_access = rights};
	int err = 0;

	pb.parent_fd = open(dir, O_PATH | O_CLOEXEC);
	if (pb.parent_fd < 0)
		return errno == ENOENT ? 0 : -errno;
	if (syscall(SYS_landlock_add_rule, ruleset, LANDLOCK_RULE_PATH_BENEATH,
		    &pb, 0))
		err = -errno;
	close(pb.parent_fd);
	return err;
}

static int do_landlock_open_loop(int argc, char **argv)
{
	static const char *const shared[] = {"/bin", "/usr", "/lib", "/etc"};
	struct landlock_ruleset_attr attr;
	__u64 ro, all;
	int abi, fd, err = 0;
	size_t i;

	if (argc != 3)
		return usage();
	abi = (int)syscall(SYS_landlock_create_ruleset, NULL, 0,
			   LANDLOCK_CREATE_RULESET_VERSION);
	if (abi < 1) {
		printf("landlock: %s\n", strerror(errno));
		return 1;
	}
	all = fs_rights(abi);
	ro = LANDLOCK_ACCESS_FS_EXECUTE | LANDLOCK_ACCESS_FS_READ_FILE |
	     LANDLOCK_ACCESS_FS_READ_DIR;
	memset(&attr, 0, sizeof(attr));
	attr.handled_access_fs = all;
	fd = (int)syscall(SYS_landlock_create_ruleset, &attr, sizeof(attr), 0);
	if (fd < 0) {
		printf("landlock_create_ruleset: %s\n", strerror(errno));
		return 1;
	}
	err = allow_beneath(fd, argv[0], all);
	for (i = 0; !err && i < sizeof(shared) / sizeof(shared[0]); i++)
		err = allow_beneath(fd, shared[i], ro);
	if (!err && prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0))
		err = -errno;
	if (!err && syscall(SYS_landlock_restrict_self, fd, 0))
		err = -errno;
	close(fd);
	if (err) {
		printf("landlock (ABI %d): %s\n", abi, strerror(-err));
		return 1;
	}
	return report(argv[1], open_loop(argv[1], atol(argv[2]), NULL));
}

const struct tool_cmd tool_bench_cmds[] = {
	{"open-loop", do_open_loop},
	{"landlock-open-loop", do_landlock_open_loop},
	{}};
