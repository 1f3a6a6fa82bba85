// SPDX-License-Identifier: GPL-2.0
/* cgroup v2 discovery and cgroup ids. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "common/cgroupfs.h"

void tg_mountinfo_unescape(char *s)
{
	char *w = s;

	while (*s) {
		if (s[0] == '\\' && s[1] >= '0' && s[1] <= '3' && s[2] >= '0' &&
		    s[2] <= '7' && s[3] >= '0' && s[3] <= '7') {
			*w++ = (char)((s[1] - '0') * 64 + (s[2] - '0') * 8 +
				      (s[3] - '0'));
			s += 4;
		} else {
			*w++ = *s++;
		}
	}
	*w = '\0';
}

/*
 * One mountinfo line: "ID PARENT MAJ:MIN ROOT MOUNTPOINT OPTS [TAGS...] - FSTYPE SRC SUPEROPTS".
 * Returns 1 and fills mnt if it is a cgroup2 mount of the hierarchy root.
 */
static int parse_line(char *line, char **mnt)
{
	char *save = NULL, *tok, *root = NULL, *point = NULL;
	int field = 0, after_sep = 0;

	for (tok = strtok_r(line, " \n", &save); tok;
	     tok = strtok_r(NULL, " \n", &save), field++) {
		if (field == 3)
			root = tok;
		else if (field == 4)
			point = tok;
		else if (field > 5 && !after_sep && strcmp(tok, "-") == 0)
			after_sep = 1;
		else if (after_sep) {
			if (strcmp(tok, "cgroup2") != 0 || !root || !point)
				return 0;
			if (strcmp(root, "/") != 0)
				return 0;
			tg_mountinfo_unescape(point);
			*mnt = point;
			return 1;
		}
	}
	return 0;
}

int tg_cgroup2_find(const char *mountinfo, char *buf, size_t len)
{
	char *line = NULL, *mnt = NULL;
	size_t cap = 0;
	int err = -ENOENT;
	FILE *f;

	f = fopen(mountinfo, "re");
	if (!f)
		return -errno;
	while (getline(&line, &cap, f) > 0) {
		if (!parse_line(line, &mnt))
			continue;
		if (strlen(mnt) >= len) {
			err = -ENAMETOOLONG;
			break;
		}
		strcpy(buf, mnt);
		err = 0;
		break;
	}
	free(line);
	fclose(f);
	return err;
}

int tg_cgroup_id(const char *path, __u64 *id)
{
	struct {
		struct file_handle fh;
		__u64 cgid;
	} h = { .fh.handle_bytes = sizeof(__u64) };
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

int tg_cgroup2_nsdelegate(const char *mountinfo)
{
	char *line = NULL, *sep, *opts;
	size_t cap = 0;
	int found = 0;
	FILE *f;

	f = fopen(mountinfo, "re");
	if (!f)
		return 0;
	while (!found && getline(&line, &cap, f) > 0) {
		/* "... - cgroup2 SOURCE SUPER_OPTIONS" */
		sep = strstr(line, " - cgroup2 ");
		if (!sep)
			continue;
		opts = strchr(sep + strlen(" - cgroup2 "), ' ');
		if (!opts)
			continue;
		for (opts = strtok(opts + 1, ",\n"); opts; opts = strtok(NULL, ",\n"))
			if (strcmp(opts, "nsdelegate") == 0)
				found = 1;
	}
	free(line);
	fclose(f);
	return found;
}
