// SPDX-License-Identifier: GPL-2.0
/* Filesystem-relative paths as paths of the agent's mount tree. */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/clock.h"
#include "common/mountinfo.h"
#include "agentd/mountpath.h"

#define TG_MOUNTS_MAX 65536 /* mounts kept from one mountinfo */

struct mount_entry {
	__u32 kdev;
	char *root;  /* of the mount, within the filesystem */
	char *point; /* where it is mounted */
};

static struct {
	char file[256]; /* the mountinfo parsed */
	struct mount_entry *v;
	size_t n, cap;
	__s64 read_at; /* CLOCK_MONOTONIC seconds */
} cache;

void tg_mount_path_reset(void)
{
	size_t i;

	for (i = 0; i < cache.n; i++) {
		free(cache.v[i].root);
		free(cache.v[i].point);
	}
	free(cache.v);
	memset(&cache, 0, sizeof(cache));
}

/* Keep one mount in the cache; stop at TG_MOUNTS_MAX or out of memory. */
static int keep(void *ctx, const struct tg_mount *m)
{
	struct mount_entry *v;
	size_t cap;

	if (cache.n == cache.cap) {
		cap = cache.cap ? cache.cap * 2 : 64;
		v = reallocarray(cache.v, cap, sizeof(*v));
		if (!v)
			return -ENOMEM;
		cache.v = v;
		cache.cap = cap;
	}
	v = &cache.v[cache.n];
	v->kdev = (m->major << 20) | m->minor;
	v->root = strdup(m->root);
	v->point = strdup(m->point);
	if (!v->root || !v->point) {
		free(v->root);
		free(v->point);
		return -ENOMEM;
	}
	return ++cache.n < TG_MOUNTS_MAX ? 0 : 1;
}

/* Parse mountinfo into the cache at second now; on failure, what was kept. */
static void load(const char *mountinfo, __s64 now)
{
	tg_mount_path_reset();
	snprintf(cache.file, sizeof(cache.file), "%s", mountinfo);
	cache.read_at = now;
	tg_mountinfo_each(mountinfo, keep, NULL);
}

/* The mount of kdev whose root is the shortest prefix of fspath, or NULL. */
static const struct mount_entry *find(__u32 kdev, const char *fspath)
{
	const struct mount_entry *best = NULL;
	size_t i, rl;

	for (i = 0; i < cache.n; i++) {
		const struct mount_entry *m = &cache.v[i];

		if (m->kdev != kdev)
			continue;
		rl = strlen(m->root);
		if (strcmp(m->root, "/") != 0 &&
		    (strncmp(fspath, m->root, rl) != 0 ||
		     (fspath[rl] != '/' && fspath[rl] != '\0')))
			continue;
		if (!best || rl < strlen(best->root))
			best = m;
	}
	return best;
}

void tg_mount_path(const char *mountinfo, __u32 kdev, const char *fspath,
		   char *out, size_t len)
{
	__s64 now = tg_now_ms() / 1000;
	const struct mount_entry *m = NULL;
	const char *rest;

	if (strcmp(cache.file, mountinfo) != 0 || now - cache.read_at >= 1)
		load(mountinfo, now);
	m = find(kdev, fspath);
	if (!m && cache.read_at != now) {
		load(mountinfo, now);
		m = find(kdev, fspath);
	}
	if (!m) {
		snprintf(out, len, "fs:%u:%u%s", kdev >> 20, kdev & 0xfffff,
			 fspath);
		return;
	}
	rest = strcmp(m->root, "/") == 0 ? fspath : fspath + strlen(m->root);
	if (strcmp(m->point, "/") == 0)
		snprintf(out, len, "%s", rest[0] ? rest : "/");
	else
		snprintf(out, len, "%s%s", m->point,
			 strcmp(rest, "/") ? rest : "");
}
