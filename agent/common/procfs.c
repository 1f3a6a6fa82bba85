// SPDX-License-Identifier: GPL-2.0
/* What /proc tells about a process. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/procfs.h"

int tg_proc_comm(pid_t pid, char *comm, size_t len)
{
	char path[64], buf[TG_PROC_COMM_READ];
	ssize_t n;
	size_t k;
	int fd, err = 0;

	if (!len)
		return -EINVAL;
	comm[0] = '\0';
	if (pid)
		snprintf(path, sizeof(path), "/proc/%d/comm", (int)pid);
	else
		snprintf(path, sizeof(path), "/proc/self/comm");
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = read(fd, buf, sizeof(buf));
	if (n < 0) {
		err = -errno;
		n = 0;
	}
	close(fd);
	/* Only the newline the kernel adds: a comm may hold one itself. */
	k = (size_t)n;
	if (k && buf[k - 1] == '\n')
		k--;
	/* What the task's comm holds (bpf_get_current_comm), no more. */
	if (k > TG_PROC_COMM_MAX)
		k = TG_PROC_COMM_MAX;
	if (k > len - 1)
		k = len - 1;
	memcpy(comm, buf, k);
	comm[k] = '\0';
	return err;
}

int tg_proc_exe(pid_t pid, char *exe, size_t len)
{
	char path[64];
	ssize_t n;

	if (!len)
		return -EINVAL;
	exe[0] = '\0';
	snprintf(path, sizeof(path), "/proc/%d/exe", (int)pid);
	n = readlink(path, exe, len);
	if (n < 0)
		return -errno;
	if ((size_t)n >= len) {
		exe[0] = '\0';
		return -ENAMETOOLONG;
	}
	exe[n] = '\0';
	return 0;
}

long tg_proc_loginuid(pid_t pid)
{
	char path[64], buf[32];
	long v = -1;
	ssize_t n;
	int fd;

	if (pid)
		snprintf(path, sizeof(path), "/proc/%d/loginuid", (int)pid);
	else
		snprintf(path, sizeof(path), "/proc/self/loginuid");
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return -1;
	buf[n] = '\0';
	v = strtol(buf, NULL, 10);
	return v < 0 || v >= 4294967295L ? -1 : v;
}

#define TG_STARTTIME_FIELD 22 /* of /proc/PID/stat, counted from 1 */

int tg_proc_stat_starttime(const char *text, unsigned long long *ticks)
{
	const char *p = strrchr(text, ')');
	char *end;
	int field;

	if (!p)
		return -EBADMSG;
	/* ") S 1 ...": field 3 (the state) follows the comm's ')'. */
	p++;
	for (field = 2; field < TG_STARTTIME_FIELD; field++) {
		if (*p != ' ')
			return -EBADMSG;
		p++;
		if (field + 1 < TG_STARTTIME_FIELD)
			p += strcspn(p, " ");
	}
	if (*p < '0' || *p > '9')
		return -EBADMSG;
	errno = 0;
	*ticks = strtoull(p, &end, 10);
	if (errno || (*end != ' ' && *end != '\n' && *end != '\0'))
		return -EBADMSG;
	return 0;
}

int tg_proc_starttime(pid_t pid, unsigned long long *ticks)
{
	char path[64], buf[1024];
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = read(fd, buf, sizeof(buf) - 1);
	if (n < 0)
		n = -errno;
	close(fd);
	if (n < 0)
		return (int)n;
	buf[n] = '\0';
	return tg_proc_stat_starttime(buf, ticks);
}
