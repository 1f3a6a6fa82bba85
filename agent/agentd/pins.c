// SPDX-License-Identifier: GPL-2.0
/* The pin directory: its metadata, the agent's own maps, and --detach. */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>
#include <linux/magic.h>

#include <bpf/bpf.h>

#include "agentd/pins.h"
#include "agentd/reserved_ports.h"
#include "common/procfs.h"
#include "tenantguard/event_abi.h"
#include "tenantguard/map_abi.h"
#include "tenantguard/ratelimit_abi.h"

static const char *const subdirs[] = {"maps", "links", "agent"};

static const struct {
	const char *name;
	enum bpf_map_type type;
	__u32 key, value, max;
} agent_maps[TG_AM_COUNT] = {
	[TG_AM_TENANT_IDS] = {"tenant_ids", BPF_MAP_TYPE_ARRAY, sizeof(__u32),
			      sizeof(struct tg_pinned_tenant), TG_PINS_IDS_MAX},
	[TG_AM_RL_COUNTS] = {"reported_counts", BPF_MAP_TYPE_PERCPU_ARRAY,
			     sizeof(__u32), sizeof(struct tg_tenant_counts),
			     TG_MAX_TENANTS + 1},
	[TG_AM_RL_SUPP] = {"reported_suppressed", BPF_MAP_TYPE_HASH,
			   sizeof(struct tg_suppress_key), sizeof(__u64),
			   TG_MAX_SUPPRESS_KEYS},
	[TG_AM_RESPORTS] = {"reserved_ports", BPF_MAP_TYPE_ARRAY, sizeof(__u32),
			    TG_PORT_BITMAP, 1},
};

int tg_pins_path(const struct tg_pins *p, const char *sub, const char *name,
		 char *out, size_t len)
{
	int n;

	if (sub)
		n = snprintf(out, len, "%.3000s/%.16s/%.256s", p->dir, sub,
			     name);
	else
		n = snprintf(out, len, "%.3000s/%.256s", p->dir, name);
	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

int tg_pins_has_link(const struct tg_pins *p, const char *name)
{
	char path[PATH_MAX];

	return !tg_pins_path(p, "links", name, path, sizeof(path)) &&
	       access(path, F_OK) == 0;
}

void tg_build_id_hex(const __u8 id[32], char out[65])
{
	int i;

	for (i = 0; i < 32; i++)
		snprintf(out + 2 * i, 3, "%02x", id[i]);
}

int tg_pins_agent_alive(const struct tg_meta *m)
{
	unsigned long long t;

	if (!m->agent_pid || m->stopped || (pid_t)m->agent_pid == getpid())
		return 0;
	return !tg_proc_starttime((pid_t)m->agent_pid, &t) &&
	       t == m->agent_starttime;
}

int tg_pins_map_shape_is(int fd, __u32 type, __u32 key, __u32 value, __u32 max)
{
	struct bpf_map_info info = {};
	__u32 ilen = sizeof(info);

	if (bpf_obj_get_info_by_fd(fd, &info, &ilen))
		return -errno;
	return info.type == type && info.key_size == key &&
	       info.value_size == value && info.max_entries == max;
}

/* A pinned map at path of the given shape, or a new one pinned there. */
static int open_or_create(const char *path, enum bpf_map_type type, __u32 key,
			  __u32 value, __u32 max, __u32 flags, char *why,
			  size_t len)
{
	int fd, err;

	fd = bpf_obj_get(path);
	if (fd >= 0) {
		if (tg_pins_map_shape_is(fd, type, key, value, max) != 1) {
			close(fd);
			snprintf(
				why, len,
				"%s has another layout than this build's: run the build that pinned it, or detach first (tenantguard-agent --detach)",
				path);
			return -EPROTO;
		}
		return fd;
	}
	if (errno != ENOENT) {
		err = -errno;
		snprintf(why, len, "cannot open %s: %s", path, strerror(-err));
		return err;
	}
	fd = bpf_map_create(type, NULL, key, value, max,
			    &(struct bpf_map_create_opts){
				    .sz = sizeof(struct bpf_map_create_opts),
				    .map_flags = flags});
	if (fd < 0 || bpf_obj_pin(fd, path)) {
		err = -errno;
		if (fd >= 0)
			close(fd);
		snprintf(why, len, "cannot create %s: %s", path,
			 strerror(-err));
		return err;
	}
	return fd;
}

static int check_bpffs(const char *dir, char *why, size_t len)
{
	char parent[PATH_MAX];
	struct statfs sf;
	char *slash;

	snprintf(parent, sizeof(parent), "%s", dir);
	if (statfs(parent, &sf) < 0) {
		slash = strrchr(parent, '/');
		if (slash && slash != parent)
			*slash = '\0';
		else
			snprintf(parent, sizeof(parent), "/");
		if (statfs(parent, &sf) < 0) {
			snprintf(why, len, "--pin-dir %s: %s", dir,
				 strerror(errno));
			return -errno;
		}
	}
	/* Where systemd mounts it; mounted here where nothing did. */
	if (sf.f_type != BPF_FS_MAGIC && !strcmp(parent, "/sys/fs/bpf") &&
	    mount("bpf", parent, "bpf", 0, "mode=0700") == 0 &&
	    statfs(parent, &sf) < 0)
		sf.f_type = 0;
	if (sf.f_type != BPF_FS_MAGIC) {
		snprintf(
			why, len,
			"--pin-dir %s: %s is not a bpffs (mount -t bpf bpf /sys/fs/bpf)",
			dir, parent);
		return -ENOTSUP;
	}
	return 0;
}

int tg_pins_open(struct tg_pins *p, const char *dir, char *why, size_t len)
{
	char path[PATH_MAX];
	size_t i;
	int err, fd;

	memset(p, 0, sizeof(*p));
	p->meta_fd = -1;
	for (i = 0; i < TG_AM_COUNT; i++)
		p->am_fd[i] = -1;
	if (dir[0] != '/' || strlen(dir) > PATH_MAX - 64) {
		snprintf(why, len, "--pin-dir %s: not an absolute path", dir);
		return -EINVAL;
	}
	snprintf(p->dir, sizeof(p->dir), "%s", dir);
	err = check_bpffs(dir, why, len);
	if (err)
		return err;
	if (mkdir(dir, 0700) && errno != EEXIST) {
		err = -errno;
		snprintf(why, len, "cannot make %s: %s", dir, strerror(-err));
		return err;
	}
	for (i = 0; i < sizeof(subdirs) / sizeof(subdirs[0]); i++) {
		tg_pins_path(p, NULL, subdirs[i], path, sizeof(path));
		if (mkdir(path, 0700) && errno != EEXIST) {
			err = -errno;
			snprintf(why, len, "cannot make %s: %s", path,
				 strerror(-err));
			return err;
		}
	}
	tg_pins_path(p, NULL, "meta", path, sizeof(path));
	p->found = access(path, F_OK) == 0;
	fd = open_or_create(path, BPF_MAP_TYPE_ARRAY, sizeof(__u32),
			    sizeof(struct tg_meta), 1, BPF_F_MMAPABLE, why,
			    len);
	if (fd < 0)
		return fd;
	p->meta_fd = fd;
	p->meta = mmap(NULL, sizeof(struct tg_meta), PROT_READ | PROT_WRITE,
		       MAP_SHARED, fd, 0);
	if (p->meta == MAP_FAILED) {
		err = -errno;
		p->meta = NULL;
		snprintf(why, len, "cannot map %s: %s", path, strerror(-err));
		tg_pins_close(p);
		return err;
	}
	if (!p->found) {
		p->meta->layout = TG_LAYOUT_VERSION;
		p->meta->event_version = TG_EVENT_VERSION;
	}
	p->prev = *p->meta;
	if (p->found && p->prev.layout != TG_LAYOUT_VERSION &&
	    TG_LAYOUT_MIGRATES(p->prev.layout)) {
		/* Only maps added: they are created beside the others. */
		p->meta->layout = TG_LAYOUT_VERSION;
	} else if (p->found && p->prev.layout != TG_LAYOUT_VERSION) {
		snprintf(
			why, len,
			"%s holds a set of layout %u, this build has layout %u: no migration between them; run the build that pinned it, or detach first (tenantguard-agent --detach)",
			dir, p->prev.layout, TG_LAYOUT_VERSION);
		tg_pins_close(p);
		return -EPROTO;
	}
	if (tg_pins_agent_alive(&p->prev)) {
		snprintf(why, len, "%s is served by the agent with pid %u", dir,
			 p->prev.agent_pid);
		tg_pins_close(p);
		return -EBUSY;
	}
	for (i = 0; i < TG_AM_COUNT; i++) {
		tg_pins_path(p, "agent", agent_maps[i].name, path,
			     sizeof(path));
		fd = open_or_create(path, agent_maps[i].type, agent_maps[i].key,
				    agent_maps[i].value, agent_maps[i].max, 0,
				    why, len);
		if (fd < 0) {
			tg_pins_close(p);
			return fd;
		}
		p->am_fd[i] = fd;
	}
	return 0;
}

void tg_pins_close(struct tg_pins *p)
{
	size_t i;

	if (p->meta)
		munmap(p->meta, sizeof(struct tg_meta));
	p->meta = NULL;
	if (p->meta_fd >= 0)
		close(p->meta_fd);
	p->meta_fd = -1;
	for (i = 0; i < TG_AM_COUNT; i++) {
		if (p->am_fd[i] >= 0)
			close(p->am_fd[i]);
		p->am_fd[i] = -1;
	}
}

/* Detach the pinned link at path from its hook before its pin goes: the
 * kernel releases a link only when its last reference drops, a pin's
 * after an RCU grace period and, on newer kernels (6.12 here), from a work
 * queue, so an unlinked pin alone leaves the program running for a while
 * (or for as long as anyone else holds the link). Link types without a
 * detach (the LSM ones) go with their pin. */
static void detach_link(const char *path)
{
	int link = bpf_obj_get(path);

	if (link < 0)
		return;
	(void)bpf_link_detach(link);
	close(link);
}

/* Unlink every pin in dir/sub; the count removed, or -errno. Links are
 * detached first. */
static int unpin_all(const char *dir, const char *sub, unsigned int *n)
{
	char path[PATH_MAX];
	struct dirent *de;
	DIR *d;
	int err = 0;

	snprintf(path, sizeof(path), "%s/%s", dir, sub);
	d = opendir(path);
	if (!d)
		return errno == ENOENT ? 0 : -errno;
	while ((de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		if (!strcmp(sub, "links")) {
			char link[PATH_MAX + NAME_MAX + 2];

			snprintf(link, sizeof(link), "%s/%s", path, de->d_name);
			detach_link(link);
		}
		if (unlinkat(dirfd(d), de->d_name, 0) == 0)
			(*n)++;
		else if (!err)
			err = -errno;
	}
	closedir(d);
	if (!err && rmdir(path) && errno != ENOENT)
		err = -errno;
	return err;
}

/* Take the ports the agent reserved out of the sysctl again. */
static void restore_ports(int fd)
{
	__u8 mine[TG_PORT_BITMAP];
	struct tg_resports r;
	__u32 zero = 0;

	tg_resports_init(&r, "/proc/sys/net/ipv4/ip_local_reserved_ports");
	if (fd < 0 || bpf_map_lookup_elem(fd, &zero, mine))
		return;
	tg_resports_adopt(&r, mine);
	tg_resports_restore(&r);
}

int tg_pins_detach(const char *dir, struct tg_detach_stats *st, char *why,
		   size_t len)
{
	char path[PATH_MAX];
	struct tg_meta m = {};
	__u32 zero = 0;
	int fd, err;

	memset(st, 0, sizeof(*st));
	err = check_bpffs(dir, why, len);
	if (err)
		return err;
	snprintf(path, sizeof(path), "%s/meta", dir);
	fd = bpf_obj_get(path);
	if (fd >= 0) {
		st->found = 1;
		if (!bpf_map_lookup_elem(fd, &zero, &m) &&
		    tg_pins_agent_alive(&m)) {
			close(fd);
			snprintf(
				why, len,
				"%s is served by the agent with pid %u: stop it first (SIGTERM keeps enforcement)",
				dir, m.agent_pid);
			return -EBUSY;
		}
		memcpy(st->build_id, m.build_id, sizeof(st->build_id));
		st->stamp = m.stamp;
		close(fd);
	} else if (access(dir, F_OK)) {
		return 0; /* nothing pinned: nothing to do */
	}
	st->found = 1;
	/* Links first: with the last one gone, no check is left half. */
	err = unpin_all(dir, "links", &st->links);
	snprintf(path, sizeof(path), "%s/agent/reserved_ports", dir);
	fd = bpf_obj_get(path);
	restore_ports(fd);
	if (fd >= 0)
		close(fd);
	if (!err)
		err = unpin_all(dir, "maps", &st->maps);
	if (!err)
		err = unpin_all(dir, "agent", &st->agent_maps);
	snprintf(path, sizeof(path), "%s/meta", dir);
	if (!err && unlink(path) && errno != ENOENT)
		err = -errno;
	if (!err && rmdir(dir) && errno != ENOENT)
		err = -errno;
	if (err)
		snprintf(why, len, "cannot remove the pins below %s: %s", dir,
			 strerror(-err));
	return err;
}
