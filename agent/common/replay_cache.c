// SPDX-License-Identifier: GPL-2.0
/*
 * The replay cache of grant activations: a small file of request ids of
 * this boot, rewritten atomically on each change.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/replay_cache.h"

#define HEADER "tenantguard-replay v1\n"

/* One line "id boot activate_by" of this boot into c; other boots skipped. */
static int read_line(struct tg_replay_cache *c, const char *line)
{
	char id[TG_GRANT_ID_HEX + 2], boot[40];
	unsigned long long until;
	int end = 0;

	if (sscanf(line, "%33s %39s %llu%n", id, boot, &until, &end) != 3 ||
	    line[end] != '\n' || !tg_grant_id_valid(id) || strlen(boot) != 36)
		return -EINVAL;
	if (strcmp(boot, c->boot_id))
		return 0;
	if (c->n >= TG_REPLAY_MAX || tg_replay_seen(c, id))
		return -EINVAL;
	memcpy(c->e[c->n].id, id, sizeof(c->e[c->n].id));
	c->e[c->n++].activate_by = until;
	return 0;
}

int tg_replay_open(struct tg_replay_cache *c, const char *path,
		   const char *boot_id)
{
	char line[128];
	FILE *f = NULL;
	int err = 0;

	memset(c, 0, sizeof(*c));
	if (strlen(boot_id) != 36)
		return -EINVAL;
	memcpy(c->boot_id, boot_id, sizeof(c->boot_id));
	c->path = strdup(path);
	c->e = calloc(TG_REPLAY_MAX, sizeof(*c->e));
	if (!c->path || !c->e) {
		err = -ENOMEM;
		goto out_close;
	}
	f = fopen(path, "re");
	if (!f) {
		err = errno == ENOENT ? 0 : -errno;
		goto out_close;
	}
	if (!fgets(line, sizeof(line), f) || strcmp(line, HEADER)) {
		err = -EINVAL;
		goto out_close;
	}
	while (!err && fgets(line, sizeof(line), f))
		err = read_line(c, line);
	if (!err && ferror(f))
		err = -EIO;
out_close:
	if (f)
		fclose(f);
	if (err)
		tg_replay_close(c);
	return err;
}

int tg_replay_seen(const struct tg_replay_cache *c, const char *id)
{
	unsigned int i;

	for (i = 0; i < c->n; i++)
		if (!strcmp(c->e[i].id, id))
			return 1;
	return 0;
}

/*
 * The entries of c written over c->path; *renamed says whether the new
 * file is in place (then only the folder's fsync may have failed).
 */
static int write_file(const struct tg_replay_cache *c, int *renamed)
{
	char tmp[PATH_MAX], dir[PATH_MAX];
	unsigned int i;
	FILE *f = NULL;
	int fd, err = 0;

	if (snprintf(tmp, sizeof(tmp), "%s.tmp", c->path) >= (int)sizeof(tmp))
		return -ENAMETOOLONG;
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW,
		  0600);
	if (fd < 0)
		return -errno;
	f = fdopen(fd, "w");
	if (!f) {
		err = -errno;
		close(fd);
		goto out_unlink;
	}
	fputs(HEADER, f);
	for (i = 0; i < c->n; i++)
		fprintf(f, "%s %s %" PRIu64 "\n", c->e[i].id, c->boot_id,
			(uint64_t)c->e[i].activate_by);
	if (fflush(f) || fsync(fileno(f)))
		err = -errno;
	if (fclose(f) && !err)
		err = -errno;
	if (!err && rename(tmp, c->path) < 0)
		err = -errno;
	if (err)
		goto out_unlink;
	*renamed = 1;
	snprintf(dir, sizeof(dir), "%s", c->path);
	fd = open(dirname(dir), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (fsync(fd) < 0)
		err = -errno;
	close(fd);
	return err;
out_unlink:
	unlink(tmp);
	return err;
}

int tg_replay_add(struct tg_replay_cache *c, const char *id, __u64 activate_by,
		  __u64 now)
{
	struct tg_replay_entry *old;
	unsigned int i, n = 0, old_n = c->n;
	int err, renamed = 0;

	if (!tg_grant_id_valid(id))
		return -EINVAL;
	if (tg_replay_seen(c, id))
		return -EEXIST;
	old = malloc((c->n + 1) * sizeof(*old));
	if (!old)
		return -ENOMEM;
	memcpy(old, c->e, c->n * sizeof(*old));
	for (i = 0; i < c->n; i++)
		if (c->e[i].activate_by > now)
			c->e[n++] = c->e[i];
	c->n = n;
	if (c->n >= TG_REPLAY_MAX) {
		err = -ENOSPC;
		goto out_restore;
	}
	memcpy(c->e[c->n].id, id, sizeof(c->e[c->n].id));
	c->e[c->n++].activate_by = activate_by;
	err = write_file(c, &renamed);
	if (!err || renamed) /* in the file: never forgotten here either */
		goto out_free;
out_restore:
	memcpy(c->e, old, old_n * sizeof(*old));
	c->n = old_n;
out_free:
	free(old);
	return err;
}

void tg_replay_close(struct tg_replay_cache *c)
{
	free(c->path);
	free(c->e);
	memset(c, 0, sizeof(*c));
}
