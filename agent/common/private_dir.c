// SPDX-License-Identifier: GPL-2.0
/* A directory only its user (or root) may write: owner and mode checked. */
#define _GNU_SOURCE
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <sys/stat.h>

#include "common/private_dir.h"

int tg_private_dir_check(int fd, uid_t uid, char *why, size_t len)
{
	struct stat st;

	if (fstat(fd, &st) < 0)
		return -errno;
	if (!S_ISDIR(st.st_mode)) {
		snprintf(why, len, "not a directory");
		return -ENOTDIR;
	}
	if ((st.st_uid == uid || st.st_uid == 0) &&
	    !(st.st_mode & (S_IWGRP | S_IWOTH)))
		return 0;
	snprintf(why, len,
		 "owner uid %u, mode %04o: needs owner uid %u or root, and no "
		 "write permission for group or others",
		 (unsigned int)st.st_uid, (unsigned int)(st.st_mode & 07777),
		 (unsigned int)uid);
	return -EPERM;
}

int tg_private_dir_make(const char *dir)
{
	char p[PATH_MAX];
	char *s;

	if (snprintf(p, sizeof(p), "%s", dir) >= (int)sizeof(p))
		return -ENAMETOOLONG;
	for (s = p + 1; *s; s++) {
		if (*s != '/')
			continue;
		*s = '\0';
		if (mkdir(p, 0755) < 0 && errno != EEXIST)
			return -errno;
		*s = '/';
	}
	if (mkdir(p, 0700) < 0 && errno != EEXIST)
		return -errno;
	return 0;
}
