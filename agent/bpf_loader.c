// SPDX-License-Identifier: GPL-2.0
/* Loading, attaching and feeding the BPF programs. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "bpf_loader.h"
#include "file.skel.h"
#include "net.skel.h"
#include "tenantguard/map_abi.h"

const char *tg_backend_name(enum tg_backend b)
{
	switch (b) {
	case TG_BACKEND_BPF_LSM: return "bpf-lsm";
	case TG_BACKEND_CGROUP_BPF: return "cgroup-bpf";
	case TG_BACKEND_NONE: break;
	}
	return "none";
}

int tg_bpf_lsm_active(void)
{
	char buf[512];
	char *tok, *save = NULL;
	ssize_t n;
	int fd;

	fd = open("/sys/kernel/security/lsm", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n < 0)
		return -errno;
	buf[n] = '\0';
	for (tok = strtok_r(buf, ",\n", &save); tok;
	     tok = strtok_r(NULL, ",\n", &save))
		if (strcmp(tok, "bpf") == 0)
			return 1;
	return 0;
}

__u32 tg_kernel_dev(unsigned long st_dev)
{
	return (__u32)((major(st_dev) << 20) | minor(st_dev));
}

/* Load the optional BPF LSM object, sharing the network object's maps. */
static int start_file(struct tg_bpf *b)
{
	struct tg_file *f;
	int lsm, err;

	lsm = tg_bpf_lsm_active();
	if (lsm == 0) {
		snprintf(b->file_reason, sizeof(b->file_reason),
			 "BPF LSM is not in the kernel's active LSM list (boot with lsm=...,bpf)");
		return -EOPNOTSUPP;
	}
	f = tg_file__open();
	if (!f)
		return -errno;
	err = bpf_map__reuse_fd(f->maps.tenant_cgroups,
				bpf_map__fd(b->net->maps.tenant_cgroups));
	err = err ?: bpf_map__reuse_fd(f->maps.events,
				       bpf_map__fd(b->net->maps.events));
	err = err ?: bpf_map__reuse_fd(f->maps.event_drops,
				       bpf_map__fd(b->net->maps.event_drops));
	err = err ?: bpf_map__reuse_fd(f->maps.event_scratch,
				       bpf_map__fd(b->net->maps.event_scratch));
	if (err)
		goto out_destroy;
	err = tg_file__load(f);
	if (err) {
		snprintf(b->file_reason, sizeof(b->file_reason),
			 "the kernel refused to load BPF LSM programs: %s%s",
			 strerror(-err),
			 lsm < 0 ? " (active LSM list unreadable)" : "");
		goto out_destroy;
	}
	err = tg_file__attach(f);
	if (err) {
		snprintf(b->file_reason, sizeof(b->file_reason),
			 "the kernel refused to attach BPF LSM programs: %s",
			 strerror(-err));
		goto out_destroy;
	}
	b->file = f;
	b->file_backend = TG_BACKEND_BPF_LSM;
	return 0;

out_destroy:
	tg_file__destroy(f);
	return err;
}

static int attach_cgroup_progs(struct tg_net *n, int cgfd)
{
	n->links.tg_sock_create =
		bpf_program__attach_cgroup(n->progs.tg_sock_create, cgfd);
	if (!n->links.tg_sock_create)
		return -errno;
	n->links.tg_connect4 =
		bpf_program__attach_cgroup(n->progs.tg_connect4, cgfd);
	if (!n->links.tg_connect4)
		return -errno;
	n->links.tg_connect6 =
		bpf_program__attach_cgroup(n->progs.tg_connect6, cgfd);
	if (!n->links.tg_connect6)
		return -errno;
	return 0;
}

int tg_bpf_start(struct tg_bpf *b, const struct tg_bpf_opts *o, char *errbuf,
		 size_t errlen)
{
	int err = 0;

	memset(b, 0, sizeof(*b));
	b->cgroup_fd = open(o->attach_cgroup, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (b->cgroup_fd < 0) {
		err = -errno;
		snprintf(errbuf, errlen, "cannot open cgroup %s: %s",
			 o->attach_cgroup, strerror(-err));
		return err;
	}
	b->net = tg_net__open();
	if (!b->net) {
		err = -errno;
		snprintf(errbuf, errlen, "cannot open BPF object: %s",
			 strerror(-err));
		goto out_close_cgroup;
	}
	err = bpf_map__set_max_entries(b->net->maps.events, o->ringbuf_size);
	if (err) {
		snprintf(errbuf, errlen, "bad ring buffer size %u: %s",
			 o->ringbuf_size, strerror(-err));
		goto out_destroy_net;
	}
	err = tg_net__load(b->net);
	if (err) {
		snprintf(errbuf, errlen,
			 "cannot load BPF programs: %s (root with CAP_BPF and CAP_NET_ADMIN needed)",
			 strerror(-err));
		goto out_destroy_net;
	}
	err = attach_cgroup_progs(b->net, b->cgroup_fd);
	if (err) {
		snprintf(errbuf, errlen, "cannot attach to cgroup %s: %s",
			 o->attach_cgroup, strerror(-err));
		goto out_destroy_net;
	}
	b->net_backend = TG_BACKEND_CGROUP_BPF;
	b->rb = ring_buffer__new(bpf_map__fd(b->net->maps.events), o->on_event,
				 o->ctx, NULL);
	if (!b->rb) {
		err = -errno;
		snprintf(errbuf, errlen, "cannot open ring buffer: %s",
			 strerror(-err));
		goto out_destroy_net;
	}
	if (start_file(b) && !b->file_reason[0])
		snprintf(b->file_reason, sizeof(b->file_reason),
			 "BPF LSM object failed to load");
	return 0;

out_destroy_net:
	tg_net__destroy(b->net);
	b->net = NULL;
out_close_cgroup:
	close(b->cgroup_fd);
	b->cgroup_fd = -1;
	return err;
}

void tg_bpf_stop(struct tg_bpf *b)
{
	ring_buffer__free(b->rb);
	b->rb = NULL;
	tg_file__destroy(b->file);
	b->file = NULL;
	tg_net__destroy(b->net);
	b->net = NULL;
	if (b->cgroup_fd >= 0)
		close(b->cgroup_fd);
	b->cgroup_fd = -1;
}

/* Delete every key of map fd for which keep() says no. */
static int prune_map(int fd, size_t key_size,
		     int (*keep)(const void *key, const struct tg_registry *r),
		     const struct tg_registry *r)
{
	unsigned char key[32], next[32];
	void *prev = NULL;
	int err;

	for (;;) {
		err = bpf_map_get_next_key(fd, prev, next);
		if (err)
			return errno == ENOENT ? 0 : -errno;
		if (!keep(next, r)) {
			if (bpf_map_delete_elem(fd, next) && errno != ENOENT)
				return -errno;
			/* Restart: the deleted key can no longer be a cursor. */
			prev = NULL;
			continue;
		}
		memcpy(key, next, key_size);
		prev = key;
	}
}

static int keep_cgroup(const void *key, const struct tg_registry *r)
{
	__u64 id;
	size_t i;

	memcpy(&id, key, sizeof(id));
	for (i = 0; i < r->n; i++)
		if (r->v[i].present && r->v[i].cgroup_id == id)
			return 1;
	return 0;
}

/* The owned_roots key of path; -errno if it cannot be resolved. */
static int inode_key(const char *path, struct tg_inode_key *k)
{
	struct stat st;

	if (stat(path, &st) < 0)
		return -errno;
	memset(k, 0, sizeof(*k));
	k->ino = st.st_ino;
	k->dev = tg_kernel_dev(st.st_dev);
	return 0;
}

static int keep_root(const void *key, const struct tg_registry *r)
{
	struct tg_inode_key want, k;
	unsigned int j;
	size_t i;

	memcpy(&want, key, sizeof(want));
	for (i = 0; i < r->n; i++) {
		if (!r->v[i].present)
			continue;
		for (j = 0; j < r->v[i].n_paths; j++)
			if (!inode_key(r->v[i].paths[j], &k) &&
			    k.ino == want.ino && k.dev == want.dev)
				return 1;
	}
	return 0;
}

int tg_bpf_sync_tenants(struct tg_bpf *b, const struct tg_registry *r)
{
	int cg_fd = bpf_map__fd(b->net->maps.tenant_cgroups);
	struct tg_inode_key key;
	struct tg_owner owner;
	struct tg_tenant t;
	unsigned int j;
	size_t i;
	int err;

	for (i = 0; i < r->n; i++) {
		const struct tg_tenant_entry *e = &r->v[i];

		if (!e->present || !e->cgroup_id)
			continue;
		memset(&t, 0, sizeof(t));
		t.id = e->id;
		t.flags = e->flags;
		if (bpf_map_update_elem(cg_fd, &e->cgroup_id, &t, BPF_ANY))
			return -errno;
		if (!b->file)
			continue;
		for (j = 0; j < e->n_paths; j++) {
			/* A path that does not exist yet owns nothing yet. */
			if (inode_key(e->paths[j], &key))
				continue;
			memset(&owner, 0, sizeof(owner));
			owner.tenant = e->id;
			if (bpf_map_update_elem(bpf_map__fd(b->file->maps.owned_roots),
						&key, &owner, BPF_ANY))
				return -errno;
		}
	}
	err = prune_map(cg_fd, sizeof(__u64), keep_cgroup, r);
	if (!err && b->file)
		err = prune_map(bpf_map__fd(b->file->maps.owned_roots),
				sizeof(struct tg_inode_key), keep_root, r);
	return err;
}

int tg_bpf_add_local_addr(struct tg_bpf *b, const __u8 addr[16])
{
	__u8 one = 1;

	if (bpf_map_update_elem(bpf_map__fd(b->net->maps.local_addrs), addr,
				&one, BPF_ANY))
		return -errno;
	return 0;
}

__u64 tg_bpf_event_drops(struct tg_bpf *b)
{
	int ncpu = libbpf_num_possible_cpus();
	__u64 *vals, sum = 0;
	__u32 zero = 0;
	int i;

	if (ncpu <= 0)
		return 0;
	vals = calloc((size_t)ncpu, sizeof(*vals));
	if (!vals)
		return 0;
	if (!bpf_map_lookup_elem(bpf_map__fd(b->net->maps.event_drops), &zero,
				 vals))
		for (i = 0; i < ncpu; i++)
			sum += vals[i];
	free(vals);
	return sum;
}
