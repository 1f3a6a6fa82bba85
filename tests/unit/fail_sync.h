/* SPDX-License-Identifier: GPL-2.0 */
/*
 * For unit tests linked with --wrap=fdatasync: while fail_syncs > 0,
 * fdatasync of the file named fail_sync_path fails with EIO (and counts
 * down); every other fdatasync is the real one. slow_sync_ms delays it.
 */
#ifndef TG_TEST_FAIL_SYNC_H
#define TG_TEST_FAIL_SYNC_H

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static int fail_syncs;
static const char *fail_sync_path = "";
/* > 0: fdatasync of fail_sync_path first sleeps this long (a slow disk). */
static int slow_sync_ms;

/* Whether fd is open on the file named path. */
static int fd_is_path(int fd, const char *path)
{
	char link[64], target[PATH_MAX];
	ssize_t n;

	snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
	n = readlink(link, target, sizeof(target) - 1);
	if (n <= 0)
		return 0;
	target[n] = '\0';
	return !strcmp(target, path);
}

int __real_fdatasync(int fd);
int __wrap_fdatasync(int fd);
int __wrap_fdatasync(int fd)
{
	if ((slow_sync_ms > 0 || fail_syncs > 0) && fd_is_path(fd, fail_sync_path)) {
		if (slow_sync_ms > 0)
			usleep((useconds_t)slow_sync_ms * 1000);
		if (fail_syncs > 0) {
			fail_syncs--;
			errno = EIO;
			return -1;
		}
	}
	return __real_fdatasync(fd);
}

#endif /* TG_TEST_FAIL_SYNC_H */
