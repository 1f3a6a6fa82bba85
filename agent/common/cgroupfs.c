// SPDX-License-Identifier: GPL-2.0
/* cgroup v2 discovery and cgroup ids. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "common/cgroupfs.h"
#include "common/mountinfo.h"

/* Where tg_cgroup2_find writes the mount point it finds. */
struct cgroup2_find {
	char *buf;
	size_t len;
};

/* The first cgroup2 mount showing the hierarchy's root, into c->buf. */
static int cgroup2_root(void *ctx, const struct tg_mount *m)
{
	struct cgroup2_find *c = ctx;

	if (strcmp(m->fstype, "cgroup2") != 0 || strcmp(m->root, "/") != 0)
		return 0;
	if (strlen(m->point) >= c->len)
		return -ENAMETOOLONG;
	strcpy(c->buf, m->point);
	return 1;
}

int tg_cgroup2_find(const char *mountinfo, char *buf, size_t len)
{
	struct cgroup2_find c = {.buf = buf, .len = len};
	int err = tg_mountinfo_each(mountinfo, cgroup2_root, &c);

	if (err == 1)
		return 0;
	return err ?: -ENOENT;
}

static int nsdelegate(void *ctx, const struct tg_mount *m)
{
	return strcmp(m->fstype, "cgroup2") == 0 &&
	       tg_mount_option(m->super_options, "nsdelegate");
}

int tg_cgroup2_nsdelegate(const char *mountinfo)
{
	return tg_mountinfo_each(mountinfo, nsdelegate, NULL) == 1;
}

int tg_cgroup_id(const char *path, __u64 *id)
{
	struct {
		struct file_handle fh;
		__u64 cgid;
	} h = {.fh.handle_bytes = sizeof(__u64)};
	int mount_id;

	if (name_to_handle_at(AT_FDCWD, path, &h.fh, &mount_id, 0) < 0)
		return -errno;
	if (h.fh.handle_bytes != sizeof(__u64))
		return -EINVAL;
	memcpy(id, h.fh.f_handle, sizeof(*id));
	return 0;
}

int tg_path_join(char *buf, size_t len, const char *a, const char *b)
{
	size_t la = strlen(a);
	int n;

	while (la > 1 && a[la - 1] == '/')
		la--;
	while (*b == '/')
		b++;
	if (!*b)
		n = snprintf(buf, len, "%.*s", (int)la, a);
	else
		n = snprintf(buf, len, "%.*s%s%s", (int)la, a,
			     (la == 1 && a[0] == '/') ? "" : "/", b);
	if (n < 0 || (size_t)n >= len)
		return -ENAMETOOLONG;
	return 0;
}

int tg_path_within(const char *path, const char *dir)
{
	size_t n = strlen(dir);

	while (n > 0 && dir[n - 1] == '/')
		n--;
	if (strncmp(path, dir, n) != 0)
		return 0;
	return path[n] == '\0' || path[n] == '/';
}
