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
#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include <dirent.h>
#include <sodium.h>

#include "agentd/bpf_loader.h"
#include "common/kfeatures.h"
#include "file.skel.h"
#include "guard.skel.h"
#include "proc.skel.h"
#include "net.skel.h"
#include "unix.skel.h"
#include "tenantguard/map_abi.h"

const char *tg_backend_name(enum tg_backend b)
{
	switch (b) {
	case TG_BACKEND_BPF_LSM: return "bpf-lsm";
	case TG_BACKEND_CGROUP_BPF: return "cgroup-bpf";
	case TG_BACKEND_FANOTIFY: return "fanotify";
	case TG_BACKEND_NONE: break;
	}
	return "none";
}

/*
 * File operations on another tenant's objects that the BPF LSM backend
 * refuses, by their event op names ("open" covers read, write and
 * directory listing; cgroup directories are owned objects like any other).
 */
static const char *const bpf_lsm_file_ops[] = {
	"open",	 "exec",    "create",	"mkdir",       "mknod",	   "symlink",
	"link",	 "unlink",  "rmdir",	"rename",      "truncate", "chmod",
	"chown", "setattr", "setxattr", "removexattr", "receive",  NULL};

const char *const *tg_file_ops(enum tg_backend b)
{
	static const char *const none[] = {NULL};
	static const char *const fanotify[] = {"open", "exec", NULL};

	if (b == TG_BACKEND_BPF_LSM)
		return bpf_lsm_file_ops;
	return b == TG_BACKEND_FANOTIFY ? fanotify : none;
}

static int setup_policy_maps(struct tg_bpf *b);
static void free_policy_maps(struct tg_bpf *b);

/* Parameters of LSM hook name in the running kernel, -ENOENT if absent. */
static int lsm_hook_params(const struct btf *vmlinux, const char *name)
{
	char fn[128];
	const struct btf_type *t;
	int id;

	snprintf(fn, sizeof(fn), "bpf_lsm_%s", name);
	id = btf__find_by_name_kind(vmlinux, fn, BTF_KIND_FUNC);
	if (id < 0)
		return -ENOENT;
	t = btf__type_by_id(vmlinux, btf__type_by_id(vmlinux, id)->type);
	return t ? btf_vlen(t) : -ENOENT;
}

/*
 * Load only the file programs this kernel has hooks for: inode_setattr
 * gained the mount's idmap in 6.8, the ACL hooks appeared in 6.2.
 */
static int select_file_progs(struct tg_file *f)
{
	struct btf *vmlinux = btf__load_vmlinux_btf();
	int n, err = 0;

	if (!vmlinux)
		return -errno;
	n = lsm_hook_params(vmlinux, "inode_setattr");
	if (n < 0) {
		err = n;
		goto out_free;
	}
	bpf_program__set_autoload(f->progs.tg_inode_setattr, n == 2);
	bpf_program__set_autoload(f->progs.tg_inode_setattr_idmap, n == 3);
	bpf_program__set_autoload(f->progs.tg_inode_set_acl,
				  lsm_hook_params(vmlinux, "inode_set_acl") >
					  0);
	bpf_program__set_autoload(f->progs.tg_inode_remove_acl,
				  lsm_hook_params(vmlinux, "inode_remove_acl") >
					  0);
out_free:
	btf__free(vmlinux);
	return err;
}

void tg_bpf_build_id(__u8 out[32])
{
	const void *(*images[])(size_t *) = {
		tg_net__elf_bytes, tg_file__elf_bytes, tg_unix__elf_bytes,
		tg_guard__elf_bytes, tg_proc__elf_bytes};
	crypto_generichash_state st;
	const void *data;
	size_t i, sz;

	crypto_generichash_init(&st, NULL, 0, 32);
	for (i = 0; i < sizeof(images) / sizeof(images[0]); i++) {
		data = images[i](&sz);
		crypto_generichash_update(&st, data, sz);
	}
	crypto_generichash_final(&st, out, 32);
}

/*
 * Give every map of obj its pin path DIR/maps/NAME (not the object's own
 * .rodata and .bss): libbpf reuses a map pinned there, else pins the new
 * one. A pinned map of another shape is refused here, by name, before
 * anything is loaded.
 */
static int pin_maps(struct tg_bpf *b, struct bpf_object *obj, char *why,
		    size_t len)
{
	struct bpf_map_info info = {};
	__u32 ilen = sizeof(info);
	char path[PATH_MAX];
	struct bpf_map *m;
	int fd, err;

	bpf_object__for_each_map(m, obj)
	{
		if (strchr(bpf_map__name(m), '.'))
			continue;
		err = tg_pins_path(b->pins, "maps", bpf_map__name(m), path,
				   sizeof(path));
		if (err)
			return err;
		err = bpf_map__set_pin_path(m, path);
		if (err)
			return err;
		fd = bpf_obj_get(path);
		if (fd < 0) {
			b->ps.maps_new++;
			continue;
		}
		err = tg_pins_map_shape_is(
			fd, bpf_map__type(m), bpf_map__key_size(m),
			bpf_map__value_size(m), bpf_map__max_entries(m));
		if (err != 1) {
			/* What it is instead, for the message. */
			memset(&info, 0, sizeof(info));
			ilen = sizeof(info);
			bpf_obj_get_info_by_fd(fd, &info, &ilen);
			close(fd);
			err = err ?: -EPROTO;
			snprintf(
				why, len,
				"pinned map %s differs from this build's (type %u, key %u, value %u, %u entries; this build: %u, %u, %u, %u): no migration; run the build that pinned it, or detach first (tenantguard-agent --detach)",
				path, info.type, info.key_size, info.value_size,
				info.max_entries, bpf_map__type(m),
				bpf_map__key_size(m), bpf_map__value_size(m),
				bpf_map__max_entries(m));
			return err;
		}
		close(fd);
		b->ps.maps_reused++;
	}
	return 0;
}

/* Which set of object obj reports (see bpf/common.bpf.h emitter). */
static int set_emitter(struct tg_bpf *b, __u32 obj)
{
	return bpf_map_update_elem(bpf_map__fd(b->net->maps.emitter), &obj,
				   &b->stamp, BPF_ANY)
		       ? -errno
		       : 0;
}

static void link_name(char *out, size_t len, const char *obj,
		      const struct bpf_program *prog)
{
	snprintf(out, len, "%s_%s", obj, bpf_program__name(prog));
}

/*
 * Attach prog to the cgroup through the link pinned for it, given the new
 * program in place (no instant without a program), or a new pinned link.
 */
static int link_cgroup(struct tg_bpf *b, struct bpf_program *prog,
		       struct bpf_link **out)
{
	char name[128], path[PATH_MAX];
	struct bpf_link *link;
	int err;

	link_name(name, sizeof(name), "net", prog);
	err = tg_pins_path(b->pins, "links", name, path, sizeof(path));
	if (err)
		return err;
	link = bpf_link__open(path);
	if (link) {
		err = bpf_link__update_program(link, prog);
		if (err) {
			bpf_link__destroy(link);
			return err;
		}
		b->ps.replaced++;
		*out = link;
		return 0;
	}
	link = bpf_program__attach_cgroup(prog, b->cgroup_fd);
	if (!link)
		return -errno;
	err = bpf_link__pin(link, path);
	if (err) {
		bpf_link__destroy(link);
		return err;
	}
	b->ps.attached++;
	*out = link;
	return 0;
}

/*
 * Attach the tracing program prog of the network object: the new link
 * first, then it takes the pin of the old one, which detaches as this
 * agent lets it go (a tracing link cannot change its program). The same
 * build restarted keeps the pinned link as it is: no trampoline is
 * rewritten while sockets are being made.
 */
static int link_trace(struct tg_bpf *b, struct bpf_program *prog,
		      struct bpf_link **out)
{
	char name[128], path[PATH_MAX];
	struct bpf_link *link, *old;
	int err;

	link_name(name, sizeof(name), "net", prog);
	err = tg_pins_path(b->pins, "links", name, path, sizeof(path));
	if (err)
		return err;
	if (b->ps.adopted && !b->ps.upgraded && (link = bpf_link__open(path))) {
		/* Held, so that it is not taken for a stale pin. */
		b->ps.kept++;
		*out = link;
		return 0;
	}
	link = bpf_program__attach(prog);
	if (!link)
		return -errno;
	old = bpf_link__open(path);
	if (old)
		bpf_link__unpin(old);
	err = bpf_link__pin(link, path);
	if (err) {
		/* The old one keeps its pin: nothing changes. */
		if (old)
			bpf_link__pin(old, path);
		bpf_link__destroy(old);
		bpf_link__destroy(link);
		return err;
	}
	if (old)
		b->ps.swapped++;
	else
		b->ps.attached++;
	bpf_link__destroy(old);
	*out = link;
	return 0;
}

/*
 * Unpin the links of object obj (prefix "obj_") whose program the new set
 * has not (s: its skeleton; NULL: the object is not loaded now, none is
 * its): they detach as this agent lets them go. An agent leaves no
 * program in force that it does not keep in step with the policy.
 */
static void remove_stale_links(struct tg_bpf *b, const char *obj,
			       const struct bpf_object_skeleton *s)
{
	char path[PATH_MAX], dir[PATH_MAX], name[128];
	size_t plen = strlen(obj);
	struct bpf_link *link;
	struct dirent *de;
	int i, ours;
	DIR *d;

	tg_pins_path(b->pins, NULL, "links", dir, sizeof(dir));
	d = opendir(dir);
	if (!d)
		return;
	while ((de = readdir(d))) {
		if (strncmp(de->d_name, obj, plen) || de->d_name[plen] != '_')
			continue;
		for (ours = 0, i = 0; s && i < s->prog_cnt && !ours; i++) {
			if (!*s->progs[i].link)
				continue;
			link_name(name, sizeof(name), obj, *s->progs[i].prog);
			ours = !strcmp(name, de->d_name);
		}
		if (ours)
			continue;
		snprintf(path, sizeof(path), "%.3500s/%.255s", dir, de->d_name);
		link = bpf_link__open(path);
		if (!link)
			continue;
		if (!bpf_link__unpin(link))
			b->ps.removed++;
		bpf_link__destroy(link);
	}
	closedir(d);
}

/*
 * Attach the LSM programs of skeleton s (object obj, index idx): new links
 * first; then the new set reports instead of the old; then each new link
 * takes its pin and the old one is let go. If an attach fails, the new
 * links go and the old set stays as it was.
 */
static int attach_lsm(struct tg_bpf *b, struct bpf_object_skeleton *s,
		      const char *obj, __u32 idx)
{
	char name[128], path[PATH_MAX];
	struct bpf_link *old, **link;
	struct bpf_program *prog;
	int i, had_old = 0, all_old, err = 0;

	for (i = 0, all_old = 1; i < s->prog_cnt; i++) {
		prog = *s->progs[i].prog;
		if (!bpf_program__autoload(prog) ||
		    bpf_program__type(prog) != BPF_PROG_TYPE_LSM)
			continue;
		link_name(name, sizeof(name), obj, prog);
		if (tg_pins_has_link(b->pins, name))
			had_old = 1;
		else
			all_old = 0;
	}
	/*
	 * The same build restarted: the pinned programs are these ones, and
	 * stay (and report) as they are; no trampoline is touched.
	 */
	if (had_old && all_old && !b->ps.upgraded) {
		for (i = 0; i < s->prog_cnt; i++) {
			prog = *s->progs[i].prog;
			if (bpf_program__autoload(prog) &&
			    bpf_program__type(prog) == BPF_PROG_TYPE_LSM)
				b->ps.kept++;
			else if (bpf_program__autoload(prog) &&
				 !(*s->progs[i].link =
					   bpf_program__attach(prog)))
				return -errno;
		}
		return 0;
	}
	if (!had_old)
		err = set_emitter(b, idx);
	for (i = 0; !err && i < s->prog_cnt; i++) {
		prog = *s->progs[i].prog;
		if (!bpf_program__autoload(prog))
			continue;
		*s->progs[i].link = bpf_program__attach(prog);
		if (!*s->progs[i].link)
			err = -errno;
	}
	if (!err && had_old)
		err = set_emitter(b, idx);
	if (err) {
		for (i = 0; i < s->prog_cnt; i++) {
			bpf_link__destroy(*s->progs[i].link);
			*s->progs[i].link = NULL;
		}
		return err;
	}
	for (i = 0; i < s->prog_cnt; i++) {
		link = s->progs[i].link;
		/* Others (iterators) are the agent's own, never pinned. */
		if (!*link ||
		    bpf_program__type(*s->progs[i].prog) != BPF_PROG_TYPE_LSM)
			continue;
		link_name(name, sizeof(name), obj, *s->progs[i].prog);
		tg_pins_path(b->pins, "links", name, path, sizeof(path));
		old = bpf_link__open(path);
		if (old)
			bpf_link__unpin(old);
		err = bpf_link__pin(*link, path);
		/* Not pinned: it still enforces while this agent runs. */
		bpf_link__destroy(old);
		if (old)
			b->ps.swapped++;
		else
			b->ps.attached++;
	}
	remove_stale_links(b, obj, s);
	return err;
}

/*
 * Load and attach an optional BPF LSM object. Every map it declares under
 * the name of a network object map is that map (bpf_map__reuse_fd): the
 * tags, the policy maps, the ring buffer. On failure why holds the reason.
 */
static int start_lsm_object(struct tg_bpf *b, struct bpf_object_skeleton *s,
			    const char *obj, __u32 idx, char *why, size_t len)
{
	struct tg_pin_stats seen;
	int lsm, err = 0;

	lsm = tg_bpf_lsm_active();
	if (lsm == 0) {
		snprintf(
			why, len,
			"BPF LSM is not in the kernel's active LSM list (boot with lsm=...,bpf)");
		return -EOPNOTSUPP;
	}
	/* The maps named as the network object's are its maps, by pin. */
	seen = b->ps;
	err = pin_maps(b, *s->obj, why, len);
	if (err)
		return err;
	err = bpf_object__load_skeleton(s);
	if (err) {
		/* Not counted: libbpf unpinned the maps it had pinned. */
		b->ps.maps_new = seen.maps_new;
		b->ps.maps_reused = seen.maps_reused;
		snprintf(why, len,
			 "the kernel refused to load BPF LSM programs: %s%s",
			 strerror(-err),
			 lsm < 0 ? " (active LSM list unreadable)" : "");
		return err;
	}
	err = attach_lsm(b, s, obj, idx);
	if (err)
		snprintf(why, len,
			 "the kernel refused to attach BPF LSM programs: %s",
			 strerror(-err));
	return err;
}

/* File isolation: optional, needs BPF LSM. */
static int start_file(struct tg_bpf *b)
{
	struct tg_file *f;
	int err;

	f = tg_file__open();
	if (!f)
		return -errno;
	f->rodata->tg_obj = TG_OBJ_FILE;
	f->rodata->tg_stamp = b->stamp;
	/* Without BPF LSM, start_lsm_object tells why; the hooks do not matter.
	 */
	err = tg_bpf_lsm_active() == 0 ? 0 : select_file_progs(f);
	if (err) {
		snprintf(b->file_reason, sizeof(b->file_reason),
			 "cannot read the kernel's BTF for the LSM hooks: %s",
			 strerror(-err));
		goto out_destroy;
	}
	err = start_lsm_object(b, f->skeleton, "file", TG_OBJ_FILE,
			       b->file_reason, sizeof(b->file_reason));
	if (err)
		goto out_destroy;
	b->file = f;
	b->file_backend = TG_BACKEND_BPF_LSM;
	return 0;

out_destroy:
	tg_file__destroy(f);
	return err;
}

/* Unix sockets and the use of sockets: optional, needs BPF LSM. */
static int start_unix(struct tg_bpf *b)
{
	struct tg_unix *u;
	int err;

	u = tg_unix__open();
	if (!u)
		return -errno;
	u->rodata->tg_obj = TG_OBJ_UNIX;
	u->rodata->tg_stamp = b->stamp;
	err = start_lsm_object(b, u->skeleton, "unix", TG_OBJ_UNIX,
			       b->unix_reason, sizeof(b->unix_reason));
	if (err) {
		tg_unix__destroy(u);
		return err;
	}
	b->unix_obj = u;
	b->unix_backend = TG_BACKEND_BPF_LSM;
	return 0;
}

/*
 * The sockops program notes tenants' TCP connections for the server ends
 * only while the unix object, which reads them, runs.
 */
static void set_conn_origin(struct tg_bpf *b)
{
	__u32 zero = 0, on = b->unix_obj != NULL;

	if (bpf_map_update_elem(bpf_map__fd(b->net->maps.conn_origin_on), &zero,
				&on, BPF_ANY))
		fprintf(stderr,
			"tenantguard-agent: conn_origin_on: %s (connections to host listeners are %s)\n",
			strerror(errno), on ? "not marked" : "still noted");
}

/* The guard's iterator over open files, read through once, then detached. */
static int seed_guard(struct tg_guard *g, char *why, size_t len)
{
	char buf[64];
	ssize_t n = 0;
	int fd, err = 0;

	fd = bpf_iter_create(bpf_link__fd(g->links.tg_guard_seed_creds));
	if (fd < 0)
		err = -errno;
	while (!err && (n = read(fd, buf, sizeof(buf))) > 0)
		;
	if (!err && n < 0)
		err = -errno;
	if (fd >= 0)
		close(fd);
	bpf_link__destroy(g->links.tg_guard_seed_creds);
	g->links.tg_guard_seed_creds = NULL;
	if (err)
		snprintf(why, len, "cannot read the open files: %s",
			 strerror(-err));
	return err;
}

/* Self-protection: optional, needs BPF LSM (see agentd/guard.h). */
static int start_guard(struct tg_bpf *b)
{
	struct btf *vmlinux = NULL;
	struct tg_guard *g;
	int n = 2, perf = 2, err;

	g = tg_guard__open();
	if (!g)
		return -errno;
	g->rodata->tg_obj = TG_OBJ_GUARD;
	g->rodata->tg_stamp = b->stamp;
	g->rodata->file_lsm = b->file != NULL;
	if (tg_bpf_lsm_active() == 1)
		vmlinux = btf__load_vmlinux_btf();
	if (vmlinux) {
		n = lsm_hook_params(vmlinux, "inode_setattr");
		perf = lsm_hook_params(vmlinux, "perf_event_open");
	}
	btf__free(vmlinux);
	/* perf_event_open lost its attr parameter in 6.12. */
	bpf_program__set_autoload(g->progs.tg_guard_perf_attr, perf == 2);
	bpf_program__set_autoload(g->progs.tg_guard_perf_type, perf == 1);
	bpf_program__set_autoload(g->progs.tg_guard_inode_setattr, n == 2);
	bpf_program__set_autoload(g->progs.tg_guard_inode_setattr_idmap,
				  n == 3);
	err = start_lsm_object(b, g->skeleton, "guard", TG_OBJ_GUARD,
			       b->guard_reason, sizeof(b->guard_reason));
	if (!err)
		err = seed_guard(g, b->guard_reason, sizeof(b->guard_reason));
	if (err) {
		tg_guard__destroy(g);
		return err;
	}
	b->guard_obj = g;
	b->guard_backend = TG_BACKEND_BPF_LSM;
	return 0;
}

/* Process isolation: optional, needs BPF LSM. */
static int start_proc(struct tg_bpf *b)
{
	struct tg_proc *p;
	int err;

	p = tg_proc__open();
	if (!p)
		return -errno;
	p->rodata->tg_obj = TG_OBJ_PROC;
	p->rodata->tg_stamp = b->stamp;
	err = start_lsm_object(b, p->skeleton, "proc", TG_OBJ_PROC,
			       b->proc_reason, sizeof(b->proc_reason));
	if (err) {
		tg_proc__destroy(p);
		return err;
	}
	b->proc_obj = p;
	b->proc_backend = TG_BACKEND_BPF_LSM;
	return 0;
}

int tg_bpf_guard_fd(const struct tg_bpf *b, const char *map)
{
	struct bpf_map *m;

	if (!b->guard_obj)
		return -1;
	m = bpf_object__find_map_by_name(b->guard_obj->obj, map);
	return m ? bpf_map__fd(m) : -1;
}

static int attach_cgroup_progs(struct tg_bpf *b)
{
	struct tg_net *n = b->net;
	struct {
		struct bpf_program *prog;
		struct bpf_link **link;
	} v[] = {
		{n->progs.tg_sock_create, &n->links.tg_sock_create},
		{n->progs.tg_sock_release, &n->links.tg_sock_release},
		{n->progs.tg_connect4, &n->links.tg_connect4},
		{n->progs.tg_connect6, &n->links.tg_connect6},
		{n->progs.tg_sendmsg4, &n->links.tg_sendmsg4},
		{n->progs.tg_sendmsg6, &n->links.tg_sendmsg6},
		{n->progs.tg_post_bind4, &n->links.tg_post_bind4},
		{n->progs.tg_post_bind6, &n->links.tg_post_bind6},
		{n->progs.tg_bind4, &n->links.tg_bind4},
		{n->progs.tg_bind6, &n->links.tg_bind6},
		{n->progs.tg_sockops, &n->links.tg_sockops},
		{n->progs.tg_egress, &n->links.tg_egress},
	};
	size_t i;

	int err;

	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		err = link_cgroup(b, v[i].prog, v[i].link);
		if (err)
			return err;
	}
	/* Families the cgroup hook never sees, where the kernel allows. */
	if (!b->families_reason[0]) {
		err = link_trace(b, n->progs.tg_socket_family,
				 &n->links.tg_socket_family);
		if (err)
			return err;
	}
	remove_stale_links(b, "net", n->skeleton);
	return 0;
}

/* The network links of a pinned set stay on the cgroup they were made on. */
static int check_attach_cgroup(struct tg_bpf *b, const char *path, char *why,
			       size_t len)
{
	const struct tg_meta *prev = &b->pins->prev;
	struct stat st;

	if (fstat(b->cgroup_fd, &st) < 0)
		return -errno;
	if (b->pins->found && prev->attach_cgroup_id &&
	    prev->attach_cgroup_id != (__u64)st.st_ino) {
		snprintf(
			why, len,
			"the set pinned in %s is attached to cgroup id %llu, not to %s (id %llu): detach it first (tenantguard-agent --detach) or give its --attach-cgroup",
			b->pins->dir,
			(unsigned long long)prev->attach_cgroup_id, path,
			(unsigned long long)st.st_ino);
		return -EXDEV;
	}
	b->pins->meta->attach_cgroup_id = (__u64)st.st_ino;
	return 0;
}

/* The policy generation in force (0 for a new set). */
static int read_policy_gen(struct tg_bpf *b)
{
	__u32 zero = 0, gen = 0;

	if (bpf_map_lookup_elem(bpf_map__fd(b->net->maps.policy_gen), &zero,
				&gen))
		return -errno;
	b->gen = gen;
	b->ps.gen_adopted = gen;
	return 0;
}

/* Whether the map behind fd is frozen (its fdinfo says so). */
static int map_frozen(int fd)
{
	char path[64], line[128];
	int frozen = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", fd);
	f = fopen(path, "re");
	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, "frozen:", 7))
			frozen = atoi(line + 7) != 0;
	fclose(f);
	return frozen;
}

/*
 * The kernel's own state and counters: no process may write them through
 * bpf(), the agent neither (programs still do). Maps of types that cannot
 * be frozen, or frozen already by the agent before, are left.
 */
static void freeze_kernel_maps(struct tg_bpf *b)
{
	static const char *const names[] = {
		"tenant_counts", "suppressed",	"event_drops", "port_bound",
		"bound_count",	 "dst_allowed", "tenant_cache"};
	struct bpf_map *m;
	size_t i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		m = bpf_object__find_map_by_name(b->net->obj, names[i]);
		if (!m)
			continue;
		bpf_map_freeze(bpf_map__fd(m));
		if (map_frozen(bpf_map__fd(m)))
			b->ps.frozen++;
	}
}

int tg_bpf_start(struct tg_bpf *b, const struct tg_bpf_opts *o, char *why,
		 size_t len)
{
	int err = 0;

	memset(b, 0, sizeof(*b));
	memset(b->inner, -1, sizeof(b->inner));
	tg_links_init(&b->links);
	b->pins = o->pins;
	b->stamp = o->pins->prev.stamp + 1;
	tg_bpf_build_id(b->build_id);
	b->ps.adopted = o->pins->found;
	b->ps.upgraded =
		o->pins->found && memcmp(o->pins->prev.build_id, b->build_id,
					 sizeof(b->build_id)) != 0;
	b->cgroup_fd =
		open(o->attach_cgroup, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (b->cgroup_fd < 0) {
		err = -errno;
		snprintf(why, len, "cannot open cgroup %s: %s",
			 o->attach_cgroup, strerror(-err));
		return err;
	}
	err = check_attach_cgroup(b, o->attach_cgroup, why, len);
	if (err)
		goto out_close_cgroup;
	b->net = tg_net__open();
	if (!b->net) {
		err = -errno;
		snprintf(why, len, "cannot open BPF object: %s",
			 strerror(-err));
		goto out_close_cgroup;
	}
	err = bpf_map__set_max_entries(b->net->maps.events, o->ringbuf_size);
	if (err) {
		snprintf(why, len, "bad ring buffer size %u: %s",
			 o->ringbuf_size, strerror(-err));
		goto out_destroy_net;
	}
	b->net->rodata->host_netns = o->host_netns;
	b->net->rodata->tg_obj = TG_OBJ_NET;
	b->net->rodata->tg_stamp = b->stamp;
	if (tg_kf_fmod_ret(b->families_reason, sizeof(b->families_reason)))
		bpf_program__set_autoload(b->net->progs.tg_socket_family,
					  false);
	err = pin_maps(b, b->net->obj, why, len);
	if (err)
		goto out_destroy_net;
	err = tg_net__load(b->net);
	if (err) {
		snprintf(
			why, len,
			"cannot load BPF programs: %s (root with CAP_BPF and CAP_NET_ADMIN needed)",
			strerror(-err));
		goto out_destroy_net;
	}
	err = read_policy_gen(b);
	if (err) {
		snprintf(why, len, "cannot read the pinned policy_gen: %s",
			 strerror(-err));
		goto out_destroy_net;
	}
	err = attach_cgroup_progs(b);
	if (err) {
		snprintf(why, len, "cannot attach to cgroup %s: %s",
			 o->attach_cgroup, strerror(-err));
		goto out_destroy_net;
	}
	b->net_backend = TG_BACKEND_CGROUP_BPF;
	if (o->no_file_lsm)
		snprintf(b->file_reason, sizeof(b->file_reason), "%s",
			 o->no_file_lsm);
	else if (start_file(b) && !b->file_reason[0])
		snprintf(b->file_reason, sizeof(b->file_reason),
			 "BPF LSM object failed to load");
	if (start_unix(b) && !b->unix_reason[0])
		snprintf(b->unix_reason, sizeof(b->unix_reason),
			 "BPF LSM object failed to load");
	set_conn_origin(b);
	if (start_guard(b) && !b->guard_reason[0])
		snprintf(b->guard_reason, sizeof(b->guard_reason),
			 "BPF LSM object failed to load");
	if (start_proc(b) && !b->proc_reason[0])
		snprintf(b->proc_reason, sizeof(b->proc_reason),
			 "BPF LSM object failed to load");
	/* Pinned programs of objects not loaded now go. */
	if (!b->file)
		remove_stale_links(b, "file", NULL);
	if (!b->unix_obj)
		remove_stale_links(b, "unix", NULL);
	if (!b->guard_obj)
		remove_stale_links(b, "guard", NULL);
	if (!b->proc_obj)
		remove_stale_links(b, "proc", NULL);
	err = setup_policy_maps(b);
	if (err) {
		snprintf(why, len, "cannot create policy maps: %s",
			 strerror(-err));
		goto out_destroy_file;
	}
	b->rl_maps = (struct tg_rl_maps){
		.limits_fd = bpf_map__fd(b->net->maps.event_limits),
		.gates_fd = bpf_map__fd(b->net->maps.event_gates),
		.counts_fd = bpf_map__fd(b->net->maps.tenant_counts),
		.suppressed_fd = bpf_map__fd(b->net->maps.suppressed),
		.reported_counts_fd = -1,
		.reported_supp_fd = -1,
		.admit_fd = bpf_program__fd(b->net->progs.tg_admit_event),
	};
	freeze_kernel_maps(b);
	b->rb = ring_buffer__new(bpf_map__fd(b->net->maps.events), o->on_event,
				 o->ctx, NULL);
	if (!b->rb) {
		err = -errno;
		snprintf(why, len, "cannot open ring buffer: %s",
			 strerror(-err));
		goto out_destroy_file;
	}
	return 0;

out_destroy_file:
	free_policy_maps(b);
	tg_proc__destroy(b->proc_obj);
	b->proc_obj = NULL;
	b->proc_backend = TG_BACKEND_NONE;
	tg_guard__destroy(b->guard_obj);
	b->guard_obj = NULL;
	b->guard_backend = TG_BACKEND_NONE;
	tg_unix__destroy(b->unix_obj);
	b->unix_obj = NULL;
	b->unix_backend = TG_BACKEND_NONE;
	tg_file__destroy(b->file);
	b->file = NULL;
	b->file_backend = TG_BACKEND_NONE;
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
	free_policy_maps(b);
	tg_proc__destroy(b->proc_obj);
	b->proc_obj = NULL;
	tg_guard__destroy(b->guard_obj);
	b->guard_obj = NULL;
	tg_unix__destroy(b->unix_obj);
	b->unix_obj = NULL;
	tg_links_free(&b->links);
	tg_file__destroy(b->file);
	b->file = NULL;
	tg_net__destroy(b->net);
	b->net = NULL;
	if (b->cgroup_fd >= 0)
		close(b->cgroup_fd);
	b->cgroup_fd = -1;
}

/* The outer (array of maps) map of each policy map; NULL if not loaded. */
static struct bpf_map *outer_map(struct tg_bpf *b, enum tg_policy_map m)
{
	switch (m) {
	case TG_PM_CGROUPS: return b->net->maps.tenant_cgroups;
	case TG_PM_ROOTS: return b->file ? b->file->maps.owned_roots : NULL;
	case TG_PM_PAIRS: return b->net->maps.allow_pairs;
	case TG_PM_RESERVED: return b->net->maps.port_reserved;
	case TG_PM_NETS: return b->net->maps.tenant_nets;
	case TG_PM_COUNT: break;
	}
	return NULL;
}

static const size_t pm_sizes[TG_PM_COUNT][3] = {
	[TG_PM_CGROUPS] = {sizeof(__u64), sizeof(struct tg_tenant),
			   TG_MAX_TENANT_CGROUPS},
	[TG_PM_ROOTS] = {sizeof(struct tg_inode_key), sizeof(struct tg_owner),
			 TG_MAX_OWNED_ROOTS},
	[TG_PM_PAIRS] = {sizeof(struct tg_pair_key), sizeof(__u8),
			 TG_MAX_ALLOW_PAIRS},
	[TG_PM_RESERVED] = {sizeof(__u32), sizeof(__u32), TG_MAX_PORT_KEYS},
	[TG_PM_NETS] = {sizeof(struct tg_net_key), sizeof(__u32),
			TG_MAX_NETWORKS},
};

/* Inner map type and flags, as declared in bpf/net.bpf.c and bpf/file.bpf.c. */
static const struct {
	enum bpf_map_type type;
	__u32 flags;
} pm_kinds[TG_PM_COUNT] = {
	[TG_PM_CGROUPS] = {BPF_MAP_TYPE_HASH, 0},
	[TG_PM_ROOTS] = {BPF_MAP_TYPE_HASH, BPF_F_NO_PREALLOC},
	[TG_PM_PAIRS] = {BPF_MAP_TYPE_HASH, 0},
	[TG_PM_RESERVED] = {BPF_MAP_TYPE_HASH, BPF_F_NO_PREALLOC},
	[TG_PM_NETS] = {BPF_MAP_TYPE_LPM_TRIE, BPF_F_NO_PREALLOC},
};

/* Put a fresh, empty inner map into slot of policy map m. */
static int new_inner(struct tg_bpf *b, enum tg_policy_map m, __u32 slot)
{
	LIBBPF_OPTS(bpf_map_create_opts, mo, .map_flags = pm_kinds[m].flags);
	struct bpf_map *outer = outer_map(b, m);
	int fd, err = 0;

	fd = bpf_map_create(pm_kinds[m].type, NULL, (__u32)pm_sizes[m][0],
			    (__u32)pm_sizes[m][1], (__u32)pm_sizes[m][2], &mo);
	if (fd < 0)
		return -errno;
	if (bpf_map_update_elem(bpf_map__fd(outer), &slot, &fd, BPF_ANY)) {
		err = -errno;
		close(fd);
		return err;
	}
	if (b->inner[m][slot] >= 0)
		close(b->inner[m][slot]);
	b->inner[m][slot] = fd;
	tg_kv_free(&b->mirror[m][slot]);
	tg_kv_init(&b->mirror[m][slot], pm_sizes[m][0], pm_sizes[m][1]);
	return 0;
}

static int setup_policy_maps(struct tg_bpf *b)
{
	__u32 slot, id;
	int m, err;

	for (m = 0; m < TG_PM_COUNT; m++)
		for (slot = 0; slot < 2; slot++) {
			b->inner[m][slot] = -1;
			tg_kv_init(&b->mirror[m][slot], pm_sizes[m][0],
				   pm_sizes[m][1]);
		}
	for (m = 0; m < TG_PM_COUNT; m++) {
		if (!outer_map(b, m))
			continue;
		for (slot = 0; slot < 2; slot++) {
			/*
			 * The slot in force of an adopted set keeps enforcing
			 * until the first policy is in the other one; what it
			 * holds is not known here: it starts afresh when it
			 * is next written.
			 */
			if (slot == (b->gen & 1) &&
			    !bpf_map_lookup_elem(bpf_map__fd(outer_map(b, m)),
						 &slot, &id)) {
				b->stale[m][slot] = 1;
				continue;
			}
			err = new_inner(b, m, slot);
			if (err)
				return err;
		}
	}
	return 0;
}

static void free_policy_maps(struct tg_bpf *b)
{
	int m, slot;

	for (m = 0; m < TG_PM_COUNT; m++)
		for (slot = 0; slot < 2; slot++) {
			if (b->inner[m][slot] >= 0)
				close(b->inner[m][slot]);
			b->inner[m][slot] = -1;
			tg_kv_free(&b->mirror[m][slot]);
		}
}

/* Write c into the slot not in force, then switch to it in one write. */
static int publish(struct tg_bpf *b, const struct tg_compiled *c,
		   struct tg_apply_stats *st)
{
	__u32 next = b->gen + 1, slot = next & 1, zero = 0;
	const struct tg_kv_set *target[TG_PM_COUNT];
	long n;
	int m, err;

	target[TG_PM_CGROUPS] = &c->cgroups;
	target[TG_PM_ROOTS] = &c->roots;
	target[TG_PM_PAIRS] = &c->pairs;
	target[TG_PM_RESERVED] = &c->reserved;
	target[TG_PM_NETS] = &c->nets;
	for (m = 0; m < TG_PM_COUNT; m++) {
		if (b->stale[m][slot]) {
			err = new_inner(b, m, slot);
			if (err)
				return err;
			b->stale[m][slot] = 0;
		}
		if (b->inner[m][slot] < 0)
			continue;
		n = tg_kv_sync(b->inner[m][slot], &b->mirror[m][slot],
			       target[m]);
		if (n < 0) {
			/* The slot is in an unknown state: start it afresh. */
			err = (int)n;
			new_inner(b, m, slot);
			return err;
		}
		st->changes += n;
	}
	if (bpf_map_update_elem(bpf_map__fd(b->net->maps.support_uids), &slot,
				&c->support, BPF_ANY))
		return -errno;
	/* The switch: one 4-byte write, seen whole by every program. */
	if (bpf_map_update_elem(bpf_map__fd(b->net->maps.policy_gen), &zero,
				&next, BPF_ANY))
		return -errno;
	b->gen = next;
	return 0;
}

int tg_bpf_apply(struct tg_bpf *b, const struct tg_registry *r,
		 struct tg_apply_stats *st)
{
	struct tg_compiled c;
	int err;

	memset(st, 0, sizeof(*st));
	tg_compiled_init(&c);
	err = tg_compile(r, &c);
	/*
	 * Owned paths not scanned for hard links yet (all of them at start):
	 * the policy goes in force first, with the objects known so far, so
	 * that nothing waits for the scan unprotected.
	 */
	if (!err && b->file && tg_links_pending(&b->links, r)) {
		err = tg_links_record(&b->links, r, &c) ?: publish(b, &c, st);
		tg_compiled_free(&c);
		tg_compiled_init(&c);
		err = err ?: tg_compile(r, &c);
	}
	if (!err && b->file)
		err = tg_links_apply(&b->links, r, &c);
	if (err)
		goto out_free;
	st->link_scan_errors = b->links.errors;
	st->missing_paths = c.missing_paths;
	err = publish(b, &c, st);
out_free:
	tg_compiled_free(&c);
	return err;
}

int tg_bpf_local_routes_fd(const struct tg_bpf *b)
{
	return bpf_map__fd(b->net->maps.local_routes);
}

int tg_bpf_grant_fd(const struct tg_bpf *b, int which)
{
	if (!b->net)
		return -1;
	switch (which) {
	case TG_BPF_GRANTS:
		return bpf_map__fd(b->net->maps.grants);
	case TG_BPF_GRANT_SCOPES:
		return bpf_map__fd(b->net->maps.grant_scopes);
	case TG_BPF_GRANT_SESSIONS:
		return bpf_map__fd(b->net->maps.grant_sessions);
	}
	return -1;
}

int tg_bpf_net_epoch_fd(const struct tg_bpf *b)
{
	return bpf_map__fd(b->net->maps.net_epoch);
}

int tg_bpf_seed_iter(struct tg_bpf *b, int udp)
{
	struct bpf_program *prog =
		udp ? b->net->progs.tg_seed_udp : b->net->progs.tg_seed_tcp;
	struct bpf_link **link =
		udp ? &b->net->links.tg_seed_udp : &b->net->links.tg_seed_tcp;
	int fd;

	if (!*link) {
		*link = bpf_program__attach_iter(prog, NULL);
		if (!*link)
			return -errno;
	}
	fd = bpf_iter_create(bpf_link__fd(*link));
	return fd < 0 ? -errno : fd;
}

void tg_bpf_seed_done(struct tg_bpf *b)
{
	bpf_link__destroy(b->net->links.tg_seed_tcp);
	bpf_link__destroy(b->net->links.tg_seed_udp);
	b->net->links.tg_seed_tcp = NULL;
	b->net->links.tg_seed_udp = NULL;
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
