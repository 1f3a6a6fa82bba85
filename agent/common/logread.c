// SPDX-License-Identifier: GPL-2.0
/*
 * The collector's log and its rotated files, read in order and followed;
 * shared by tenantguard events (reading it itself) and the agent (reading
 * it for a caller that may not).
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "common/log.h"
#include "common/logread.h"

#define LINE_MAX_ TG_LOGREAD_LINE_MAX
#define FOLLOW_MS TG_LOGREAD_FOLLOW_MS

/*
 * Everything fd holds from where it stands, line by line; a last line
 * without its newline is kept for the next call.
 */
int tg_logread_fd(struct tg_logread *o, int fd, const char *file,
		  unsigned long *lineno)
{
	char buf[65536], *nl, *p;
	ssize_t got;
	size_t n;
	int err;

	while ((got = read(fd, buf, sizeof(buf))) > 0) {
		for (p = buf; p < buf + got; p = nl + 1) {
			nl = memchr(p, '\n', (size_t)(buf + got - p));
			n = (size_t)((nl ? nl : buf + got) - p);
			if (!nl || o->carry.len) {
				/* A line in parts: gather it, bounded. */
				if (o->carry.len + n > LINE_MAX_) {
					tg_err(-E2BIG, "%s:%lu: line too long",
					       file, *lineno + 1);
					o->bad = 1;
					o->carry.len = 0;
					if (!nl)
						break;
					++*lineno;
					continue;
				}
				if (tg_buf_put(&o->carry, p, n))
					return -ENOMEM;
				if (!nl)
					break;
				err = o->line(o->ctx, file, ++*lineno,
					      o->carry.p, o->carry.len);
				o->carry.len = 0;
			} else {
				err = o->line(o->ctx, file, ++*lineno, p, n);
			}
			if (err)
				return err;
		}
	}
	return got < 0 ? -errno : 0;
}

static int cmp_desc(const void *a, const void *b)
{
	unsigned long x = *(const unsigned long *)a,
		      y = *(const unsigned long *)b;

	return x < y ? 1 : x > y ? -1 : 0;
}

/* The numbers N of the rotated files <log>.N, highest (oldest) first. */
static size_t rotated(const char *log, unsigned long *v, size_t max)
{
	char d[PATH_MAX], b[PATH_MAX], *end;
	const char *base;
	struct dirent *de;
	unsigned long k;
	size_t n = 0, bl;
	DIR *dir;

	snprintf(d, sizeof(d), "%s", log);
	snprintf(b, sizeof(b), "%s", log);
	base = basename(b);
	bl = strlen(base);
	dir = opendir(dirname(d));
	if (!dir)
		return 0;
	while ((de = readdir(dir)) && n < max) {
		if (strncmp(de->d_name, base, bl) || de->d_name[bl] != '.' ||
		    de->d_name[bl + 1] < '1' || de->d_name[bl + 1] > '9')
			continue;
		errno = 0;
		k = strtoul(de->d_name + bl + 1, &end, 10);
		if (!errno && !*end)
			v[n++] = k;
	}
	closedir(dir);
	qsort(v, n, sizeof(*v), cmp_desc);
	return n;
}

static void sleep_ms(int ms)
{
	struct timespec ts = {.tv_sec = ms / 1000,
			      .tv_nsec = (long)(ms % 1000) * 1000000};

	nanosleep(&ts, NULL);
}

/*
 * The file rotated after the one with inode ino: <log>.K-1 if ino is now
 * <log>.K, or <log> itself when ino is <log>.1. Opened, its fd; -1 if ino
 * is nowhere (rotated out of the kept files) or the names moved meanwhile.
 */
static int next_file(const char *log, ino_t ino, char *name, size_t len)
{
	unsigned long nums[1024];
	struct stat st, want;
	size_t i, n;
	int fd;

	n = rotated(log, nums, sizeof(nums) / sizeof(nums[0]));
	for (i = 0; i < n; i++) {
		snprintf(name, len, "%s.%lu", log, nums[i]);
		if (stat(name, &st) == 0 && st.st_ino == ino)
			break;
	}
	if (i == n)
		return -1;
	if (i + 1 < n)
		snprintf(name, len, "%s.%lu", log, nums[i + 1]);
	else
		snprintf(name, len, "%s", log);
	if (stat(name, &want) < 0)
		return -1;
	fd = open(name, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	/* A rotation in between moved the names: look again. */
	if (fstat(fd, &st) < 0 || st.st_ino != want.st_ino) {
		close(fd);
		return -1;
	}
	return fd;
}

int tg_logread_follow(struct tg_logread *o, const char *log, int fd,
		      unsigned long *lineno)
{
	char name[PATH_MAX + 32];
	struct stat a, b;
	int err, nfd, tries;

	for (;;) {
		err = tg_logread_fd(o, fd, log, lineno);
		if (err)
			return err;
		if (o->idle) {
			err = o->idle(o->ctx);
			if (err)
				return err;
		}
		sleep_ms(FOLLOW_MS);
		if (fstat(fd, &a) < 0)
			return -errno;
		if (stat(log, &b) < 0 ||
		    (a.st_dev == b.st_dev && a.st_ino == b.st_ino))
			continue;
		/*
		 * Rotated, maybe more than once: the rest of this file, then
		 * each file rotated after it, up to the live one.
		 */
		for (tries = 0; tries < 100; tries++) {
			err = tg_logread_fd(o, fd, log, lineno);
			if (err)
				return err;
			o->carry.len = 0;
			if (fstat(fd, &a) < 0)
				return -errno;
			if (stat(log, &b) == 0 && a.st_ino == b.st_ino)
				break; /* the live log */
			nfd = next_file(log, a.st_ino, name, sizeof(name));
			if (nfd < 0) {
				if (stat(log, &b) == 0 && tries < 99)
					continue; /* names moved: look again */
				tg_info("%s: lost track of the rotated files, "
					"going on with the log",
					log);
				nfd = open(log, O_RDONLY | O_CLOEXEC);
				if (nfd < 0)
					return -errno;
			}
			close(fd);
			fd = nfd;
			*lineno = 0;
		}
	}
}

int tg_logread_rotated(struct tg_logread *o, const char *log)
{
	char path[PATH_MAX + 16];
	unsigned long nums[1024], lineno;
	size_t i, n;
	int err;

	n = rotated(log, nums, sizeof(nums) / sizeof(nums[0]));
	for (i = 0; i < n; i++) {
		int rfd;

		snprintf(path, sizeof(path), "%s.%lu", log, nums[i]);
		rfd = open(path, O_RDONLY | O_CLOEXEC);
		if (rfd < 0)
			continue; /* rotated away meanwhile */
		lineno = 0;
		err = tg_logread_fd(o, rfd, path, &lineno);
		close(rfd);
		o->carry.len = 0;
		if (err == -ECANCELED)
			return err;
		if (err) {
			tg_err(err, "%s: %s", path, strerror(-err));
			o->bad = 1;
		}
	}
	return 0;
}
