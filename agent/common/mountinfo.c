// SPDX-License-Identifier: GPL-2.0
/* The one mountinfo reader: a line into its fields, a file into its mounts. */
#define _GNU_SOURCE
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/mountinfo.h"

/* Undo the \ooo escapes of a field, in place. */
static void unescape(char *s)
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

/* The next space-separated field of *s, NUL-terminated; NULL at the end. */
static char *next_field(char **s)
{
	char *f = *s + strspn(*s, " "), *end;

	if (!*f)
		return NULL;
	end = f + strcspn(f, " ");
	*s = *end ? end + 1 : end;
	*end = '\0';
	return f;
}

/* A decimal unsigned int making up all of s. */
static int parse_uint(const char *s, unsigned int *v)
{
	unsigned long n;
	char *end;

	if (*s < '0' || *s > '9')
		return -EINVAL;
	errno = 0;
	n = strtoul(s, &end, 10);
	if (*end || errno || n > UINT_MAX)
		return -EINVAL;
	*v = (unsigned int)n;
	return 0;
}

static int parse_dev(char *s, unsigned int *major, unsigned int *minor)
{
	char *colon = strchr(s, ':');

	if (!colon)
		return -EINVAL;
	*colon = '\0';
	if (parse_uint(s, major) || parse_uint(colon + 1, minor))
		return -EINVAL;
	return 0;
}

/*
 * The optional fields from *s up to the "-" that ends them, as one string
 * (NULL if there is no "-"); *s is left after the "-".
 */
static const char *optional_fields(char **s)
{
	char *first = *s + strspn(*s, " "), *f, *end = first, *p;

	while ((f = next_field(s)) && strcmp(f, "-") != 0)
		end = f + strlen(f);
	if (!f)
		return NULL;
	for (p = first; p < end; p++)
		if (!*p)
			*p = ' '; /* next_field cut them apart */
	*end = '\0';
	return first;
}

int tg_mountinfo_parse(char *line, struct tg_mount *m)
{
	char *s = line, *f[6], *tail[3];
	int i;

	line[strcspn(line, "\n")] = '\0';
	for (i = 0; i < 6; i++)
		if (!(f[i] = next_field(&s)))
			return -EINVAL;
	if (parse_uint(f[0], &m->id) || parse_uint(f[1], &m->parent) ||
	    parse_dev(f[2], &m->major, &m->minor))
		return -EINVAL;
	m->optional = optional_fields(&s);
	if (!m->optional)
		return -EINVAL;
	for (i = 0; i < 3; i++)
		if (!(tail[i] = next_field(&s)))
			return -EINVAL;
	for (i = 3; i < 5; i++)
		unescape(f[i]);
	unescape(tail[0]);
	unescape(tail[1]);
	m->root = f[3];
	m->point = f[4];
	m->options = f[5];
	m->fstype = tail[0];
	m->source = tail[1];
	m->super_options = tail[2];
	return 0;
}

int tg_mountinfo_each(const char *path,
		      int (*fn)(void *ctx, const struct tg_mount *m), void *ctx)
{
	int err = 0, in_long = 0, ends;
	struct tg_mount m;
	char *line;
	size_t n;
	FILE *f;

	f = fopen(path, "re");
	if (!f)
		return -errno;
	line = malloc(TG_MOUNTINFO_LINE_MAX);
	if (!line) {
		err = -ENOMEM;
		goto out_close;
	}
	while (!err && fgets(line, TG_MOUNTINFO_LINE_MAX, f)) {
		n = strlen(line);
		ends = n > 0 && line[n - 1] == '\n';
		if (in_long) {
			/* The rest of a line too long to take. */
			in_long = !ends;
			continue;
		}
		if (!ends && !feof(f)) {
			in_long = 1;
			continue;
		}
		if (tg_mountinfo_parse(line, &m) == 0)
			err = fn(ctx, &m);
	}
	free(line);
out_close:
	fclose(f);
	return err;
}

int tg_mount_option(const char *opts, const char *opt)
{
	size_t n = strlen(opt), len;

	while (*opts) {
		len = strcspn(opts, ",");
		if (len == n && strncmp(opts, opt, n) == 0)
			return 1;
		opts += len;
		if (*opts)
			opts++;
	}
	return 0;
}
