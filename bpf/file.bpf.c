// SPDX-License-Identifier: GPL-2.0
/*
 * File isolation: a process of one tenant may not open (read, write, exec,
 * list), create in, link, rename into or out of, remove, truncate, or change
 * the mode, owner, times or extended attributes of what lies below another
 * tenant's owned roots, nor receive a descriptor of it over a unix socket.
 *
 * Ownership is a property of the object's ancestry in the dentry tree
 * (device + inode of each owned root; objects hard-linked below a root are
 * roots of their own), so symlinks, bind mounts, mount namespaces, chroot,
 * /proc/PID/root, /proc/PID/fd/N and relative paths all lead to the same
 * answer. The answer is cached per inode (inode storage) with a stamp that
 * changes when the policy changes or a directory moves between owners, so
 * that an access usually costs one storage lookup whatever the number of
 * tenants and the depth of the object. Host processes are never checked.
 *
 * Every denial is -EACCES. Tenants in audit mode are allowed and reported.
 */
#include "kernel_types.h"
#include "proc_types.h"
#include "common.bpf.h"
#include "event_path.bpf.h"
#include "inode_dev.bpf.h"
#include "task_tenant.bpf.h"

#include <linux/errno.h>
#include <bpf/bpf_tracing.h>

#define TG_PROBE_LEVELS 4 /* ancestors whose cache is looked at */

#define __FMODE_EXEC 0x20 /* in f_flags of a file opened by execve */
#define S_IFMT	     00170000
#define S_IFDIR	     0040000
#define ATTR_MODE    (1 << 0)
#define ATTR_UID     (1 << 1)
#define ATTR_GID     (1 << 2)
#define ATTR_SIZE    (1 << 3)

#define DCACHE_DISCONNECTED 0x20 /* 6.1 and 6.12 alike */

#define FMODE_READ  0x1 /* f_mode */
#define FMODE_WRITE 0x2
#define MAY_WRITE   0x2 /* file_permission's mask */
#define MAY_READ    0x4
#define MAP_SHARED  0x1 /* MAP_SHARED and MAP_SHARED_VALIDATE */

#define barrier() asm volatile("" ::: "memory")

/*
 * Per policy slot: owned subtree root (device + inode) -> owning tenant.
 * Also holds every object with more than one link found below a root when
 * the policy was compiled: a hard link elsewhere leads to the same owner.
 */
TG_POLICY_MAP_OF(owned_roots, BPF_MAP_TYPE_HASH, BPF_F_NO_PREALLOC,
		 struct tg_inode_key, struct tg_owner, TG_MAX_OWNED_ROOTS);

/*
 * Bumped each time a directory moves between owners (tg_inode_rename). 64
 * bits: it never wraps (one bump per rename system call).
 */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} rename_epoch SEC(".maps");

/*
 * Per inode: the owner found for it, (stamp << 16) | owner, one 8-byte word
 * so that a reader never sees the stamp of one answer with another's owner.
 * The stamp has 48 bits and is never 0, so a fresh or cleared entry (0) is
 * never valid; the owner has 16 bits (tenant ids fit; TG_OWNER_SHARED and
 * TG_OWNER_UNREGISTERED are kept as their low 16 bits, at or above
 * TG_CACHED_OWNERS; TG_OWNER_UNKNOWN is never cached).
 */
#define TG_STAMP_MAX	 ((1ULL << 48) - 1)
#define TG_CACHED_OWNERS ((__u16)TG_OWNER_UNREGISTERED)
_Static_assert(TG_MAX_TENANTS < TG_CACHED_OWNERS, "tenant ids fit 16 bits");
_Static_assert((TG_OWNER_SHARED | 0xffffU) == TG_OWNER_UNKNOWN &&
		       (TG_OWNER_UNREGISTERED | 0xffffU) == TG_OWNER_UNKNOWN,
	       "owners that are no tenant are 0xffff____");

struct tg_owner_cache {
	__u64 v;
};

struct {
	__uint(type, BPF_MAP_TYPE_INODE_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, struct tg_owner_cache);
} owner_cache SEC(".maps");

/* What one hook invocation decides with. */
struct tg_ctx {
	struct tg_tenant actor; /* id 0: a host process */
	void *roots;		/* owned_roots of the slot in force */
	__u64 stamp; /* cache entries valid now carry this; 0: none */
	__u32 want;  /* TG_GRANT_* a grant must name; 0: as the op says */
};

/*
 * The policy in force and its cache stamp. The stamp is the sum of two
 * counters that only grow, the policy generation (written by the agent) and
 * the rename epoch (bumped here), plus one, so it changes whenever either
 * does and is never 0; the epoch is read first, so an entry stamped after a
 * policy switch was computed with the new policy. Should the sum ever pass
 * 48 bits (2^48 renames between owners), the stamp is 0 and nothing is
 * cached any more: every lookup walks, no answer is ever stale. Returns 0,
 * or 1 if the policy cannot be read.
 */
static __always_inline int tg_ctx_policy(struct tg_ctx *c)
{
	__u32 zero = 0, *gp, gen, slot;
	__u64 *ep, epoch;

	ep = bpf_map_lookup_elem(&rename_epoch, &zero);
	if (!ep)
		return 1;
	epoch = *(volatile __u64 *)ep;
	barrier();
	gp = bpf_map_lookup_elem(&policy_gen, &zero);
	if (!gp)
		return 1;
	gen = *(volatile __u32 *)gp;
	slot = gen & 1;
	c->stamp = (__u64)gen + epoch + 1;
	if (c->stamp > TG_STAMP_MAX || c->stamp < epoch)
		c->stamp = 0;
	c->roots = bpf_map_lookup_elem(&owned_roots, &slot);
	return c->roots ? 0 : 1;
}

/*
 * The current task's tenant into c->actor (task_tenant.bpf.h: from the
 * task's cache while its cgroup and the policy are those it was found
 * for). Returns 0 for a tenant's process, 1 for a host process (nothing to
 * check).
 */
static __always_inline int tg_ctx_actor(struct tg_ctx *c)
{
	c->actor.id = TG_TENANT_HOST;
	c->actor.flags = 0;
	c->want = 0;
	if (tg_task_actor(&c->actor))
		return 1;
	return c->actor.id == TG_TENANT_HOST;
}

/*
 * Actor and policy: 0 if the access must be checked, 1 if not (a host
 * process), -1 for a tenant's process when the policy in force cannot be
 * read: never "no check" for a tenant (see tg_unchecked).
 */
static __always_inline int tg_ctx_init(struct tg_ctx *c)
{
	if (tg_ctx_actor(c))
		return 1;
	return tg_ctx_policy(c) ? -1 : 0;
}

/*
 * d's own entry in owned_roots, if any, into *owner. An object recorded for
 * its several links matches only while it has several: an inode number
 * reused by a new file is not taken for it.
 */
static __always_inline int tg_root_owner(void *roots, struct dentry *d,
					 __u32 *owner)
{
	struct tg_inode_key key = {};
	const struct tg_owner *o;

	key.ino = BPF_CORE_READ(d, d_inode, i_ino);
	if (!key.ino)
		return 0; /* negative dentry: a name being created */
	key.dev = tg_stat_dev(d);
	o = bpf_map_lookup_elem(roots, &key);
	if (!o)
		return 0;
	if ((o->flags & TG_OWNER_F_LINK) &&
	    BPF_CORE_READ(d, d_inode, i_nlink) <= 1)
		return 0;
	*owner = o->tenant;
	return 1;
}

/*
 * Whether d names a non-directory with several links: each of its names
 * has its own ancestry, so the inode keeps no answer of its own.
 */
static __always_inline int tg_multi_linked(struct dentry *d)
{
	struct inode *inode = BPF_CORE_READ(d, d_inode);

	if (!inode)
		return 0;
	return (BPF_CORE_READ(inode, i_mode) & S_IFMT) != S_IFDIR &&
	       BPF_CORE_READ(inode, i_nlink) > 1;
}

/* A cache entry valid under stamp (never 0), its owner into *owner. */
static __always_inline int tg_cached(struct tg_owner_cache *ce, __u64 stamp,
				     __u32 *owner)
{
	__u64 v;

	if (!ce || !stamp)
		return 0;
	v = *(volatile __u64 *)&ce->v;
	if ((v >> 16) != stamp)
		return 0;
	*owner = (__u16)v >= TG_CACHED_OWNERS ? 0xffff0000U | (__u16)v
					      : (__u16)v;
	return 1;
}

/* The cache word of owner (never TG_OWNER_UNKNOWN) under stamp. */
static __always_inline __u64 tg_cache_word(__u64 stamp, __u32 owner)
{
	return (stamp << 16) | (__u16)owner;
}

/*
 * The owner of what has no owned root above it, given the flags of the top
 * of its ancestry: nobody's when that is the filesystem's root, unknown when
 * it is a disconnected alias (open_by_handle_at of an uncached file): its
 * real ancestry is not known, so every tenant is refused (fail closed).
 */
static __always_inline __u32 tg_top_owner(unsigned int d_flags)
{
	return (d_flags & DCACHE_DISCONNECTED) ? TG_OWNER_UNKNOWN
					       : TG_TENANT_HOST;
}

struct owner_walk {
	struct dentry *d;
	void *roots; /* owned_roots of the slot in force */
	__u32 owner;
	__u32 done; /* reached an owned root or the fs root */
};

static long owner_step(__u32 i, void *ctx)
{
	struct owner_walk *w = ctx;
	struct dentry *d = w->d, *parent;

	/* Kernel pointers only inside BPF_CORE_READ: never w->... there. */
	if (tg_root_owner(w->roots, d, &w->owner)) {
		w->done = 1;
		return 1;
	}
	parent = BPF_CORE_READ(d, d_parent);
	if (!parent || parent == d) {
		w->owner = tg_top_owner(BPF_CORE_READ(d, d_flags));
		w->done = 1;
		return 1;
	}
	w->d = parent;
	return 0;
}

/*
 * The owner of d from its ancestry alone; TG_OWNER_UNKNOWN if too deep or
 * disconnected.
 */
static __always_inline __u32 tg_walk(void *roots, struct dentry *d)
{
	struct owner_walk w = {.d = d, .roots = roots};

	bpf_loop(TG_MAX_PATH_DEPTH, owner_step, &w, 0);
	return w.done ? w.owner : TG_OWNER_UNKNOWN;
}

/*
 * The tenant owning d (TG_TENANT_HOST if none): d's cached answer, else the
 * first owned root or valid cache entry among d and its nearest ancestors,
 * else a walk up to the filesystem's root. The answer is cached for d (not
 * for a file with several links: the answer is its name's) and the
 * ancestors looked at on the way. Objects too deep to walk are owned by
 * TG_OWNER_UNKNOWN, which every tenant is denied (fail closed), uncached.
 */
static __always_inline __u32 tg_owner_probing(struct tg_ctx *c,
					      struct dentry *d, int levels)
{
	struct tg_owner_cache *ce[TG_PROBE_LEVELS] = {};
	struct dentry *x = d, *p;
	__u32 owner = TG_TENANT_HOST;
	int i, n = levels, multi = tg_multi_linked(d);

	if (tg_dev_unknown(d))
		return TG_OWNER_UNKNOWN;
#pragma unroll
	for (i = 0; i < levels && i < TG_PROBE_LEVELS; i++) {
		if (i > 0 || !multi)
			ce[i] = bpf_inode_storage_get(
				&owner_cache, x->d_inode, 0,
				BPF_LOCAL_STORAGE_GET_F_CREATE);
		if (tg_cached(ce[i], c->stamp, &owner)) {
			n = i;
			goto store;
		}
		if (tg_root_owner(c->roots, x, &owner)) {
			n = i + 1;
			goto store;
		}
		p = x->d_parent;
		if (!p || p == x) {
			owner = tg_top_owner(x->d_flags);
			if (owner == TG_OWNER_UNKNOWN)
				return owner;
			n = i + 1;
			goto store;
		}
		x = p;
	}
	owner = tg_walk(c->roots, x);
	if (owner == TG_OWNER_UNKNOWN)
		return owner;
store:
	if (!c->stamp)
		return owner;
#pragma unroll
	for (i = 0; i < TG_PROBE_LEVELS; i++)
		if (i < n && ce[i])
			ce[i]->v = tg_cache_word(c->stamp, owner);
	return owner;
}

static __always_inline __u32 tg_owner(struct tg_ctx *c, struct dentry *d)
{
	return tg_owner_probing(c, d, TG_PROBE_LEVELS);
}

struct object_walk {
	struct tg_event *ev;
	void *roots; /* owned_roots of the slot in force */
	struct dentry *d;
};

/*
 * One step up from w->d: an owned root (not a hard link recorded as one:
 * its names lead to their roots) ends the walk; else d's name is recorded
 * and its parent is next. The filesystem's root ends it with no root.
 */
static long object_step(__u32 i, void *ctx)
{
	struct object_walk *w = ctx;
	struct tg_event *ev = w->ev;
	struct dentry *d = w->d, *parent;
	struct tg_inode_key key = {};
	const struct tg_owner *o;
	__u32 off;
	long n;

	key.ino = BPF_CORE_READ(d, d_inode, i_ino);
	key.dev = tg_stat_dev(d);
	o = key.ino ? bpf_map_lookup_elem(w->roots, &key) : NULL;
	if (o && !(o->flags & TG_OWNER_F_LINK)) {
		ev->root_ino = key.ino;
		ev->root_dev = key.dev;
		ev->obj_flags |= TG_OBJ_F_ROOT;
		return 1;
	}
	parent = BPF_CORE_READ(d, d_parent);
	if (!parent || parent == d)
		return 1;
	w->d = parent;
	/*
	 * Where the next name goes, from the event itself (a map value), not
	 * the walk's state on the stack: the 6.1 verifier took that state's
	 * offset for one past the room and hard-wired this walk to record no
	 * name at all.
	 */
	off = ev->path_len + ev->below_len;
	if ((ev->obj_flags & TG_OBJ_F_TRUNCATED) ||
	    off >= TG_PATH_LEN - TG_NAME_MAX) {
		ev->obj_flags |= TG_OBJ_F_TRUNCATED;
		return 0;
	}
	n = bpf_probe_read_kernel_str(&ev->path[off], TG_NAME_MAX,
				      BPF_CORE_READ(d, d_name.name));
	if (n <= 0) {
		ev->obj_flags |= TG_OBJ_F_TRUNCATED;
		return 0;
	}
	ev->below_len += (__u32)n;
	return 0;
}

/*
 * The object d as the host sees it into ev, after its path: its device
 * and inode, and by its ancestry in the dentry tree (never the opener's
 * mounts or root) the owned root above it and the names below that root.
 */
static __always_inline void tg_event_object(struct tg_event *ev, void *roots,
					    struct dentry *d)
{
	struct object_walk w = {.ev = ev, .roots = roots, .d = d};

	ev->obj_ino = BPF_CORE_READ(d, d_inode, i_ino);
	ev->obj_dev = tg_stat_dev(d);
	ev->obj_flags = TG_OBJ_F_NAMES | (ev->obj_ino ? TG_OBJ_F_INODE : 0);
	ev->below_len = 0;
	if (ev->path_len > TG_PATH_LEN)
		ev->path_len = TG_PATH_LEN;
	bpf_loop(TG_MAX_PATH_DEPTH, object_step, &w, 0);
	if (!(ev->obj_flags & TG_OBJ_F_ROOT)) {
		/* No root: no names are sent (below_len 0). */
		ev->below_len = 0;
		ev->obj_flags &= ~TG_OBJ_F_TRUNCATED;
	}
}

/*
 * Grants (docs/grants.md): what the support actor may do to a tenant's
 * files. A scoped grant covers only what lies below its grant_scopes
 * entries, keyed as owned roots are (tg_stat_dev) with the login uid.
 */
struct scope_walk {
	__u64 d; /* the dentry looked at next */
	__u32 login_uid;
	__u32 tenant;
	__u32 found;
};

static long scope_step(__u32 i, void *ctx)
{
	struct scope_walk *w = ctx;
	struct tg_grant_scope_key key = {};
	struct dentry *d = (void *)w->d, *parent;
	const __u32 *t;

	key.ino = BPF_CORE_READ(d, d_inode, i_ino);
	if (key.ino) {
		key.dev = tg_stat_dev(d);
		key.login_uid = w->login_uid;
		t = bpf_map_lookup_elem(&grant_scopes, &key);
		if (t && *t == w->tenant) {
			w->found = 1;
			return 1;
		}
	}
	parent = BPF_CORE_READ(d, d_parent);
	if (!parent || parent == d)
		return 1;
	w->d = (__u64)parent;
	return 0;
}

/*
 * Whether dentry (a struct dentry address) or one of its ancestors is in
 * the scope of the current task's grant for tenant. Global, its dentry a
 * number read with probe reads: verified once, whatever its callers.
 */
__noinline int tg_grant_in_scope(__u64 dentry, __u32 tenant)
{
	struct scope_walk w = {.d = dentry, .tenant = tenant};

	w.login_uid = tg_login_uid((void *)bpf_get_current_task());
	bpf_loop(TG_MAX_PATH_DEPTH, scope_step, &w, 0);
	return w.found;
}

/*
 * What a grant must name for op on a file (want, when the hook set it:
 * an open's or a received descriptor's read and write): reading (open for
 * reading, listing, a watch), executing, writing (every change of a name,
 * content or attribute). A shared mapping is never granted.
 */
static __always_inline __u32 tg_file_want(__u32 op, __u32 want)
{
	if (want)
		return want;
	switch (op) {
	case TG_OP_OPEN:
	case TG_OP_RECEIVE:
	case TG_OP_WATCH:
	case TG_OP_READ: return TG_GRANT_READ;
	case TG_OP_EXEC: return TG_GRANT_EXEC;
	case TG_OP_MMAP: return 0;
	default: return TG_GRANT_WRITE;
	}
}

/*
 * The verdict on actor (id, flags) doing op_want (want << 32 | op: see
 * tg_file_want) to the object at dentry (a struct dentry address) of
 * owner, another's: allow under a grant of the support actor, in its
 * scope if the grant is scoped; else the actor's (tg_grant_or_mode).
 * Global, as tg_site_verdict: its callers never branch on the grant.
 */
__noinline __u32 tg_file_verdict(__u32 actor, __u32 flags, __u32 owner,
				 __u64 op_want, __u64 dentry)
{
	int g;

	g = tg_grant_check(
		actor, owner,
		tg_file_want((__u32)op_want, (__u32)(op_want >> 32)));
	if (g == 2)
		g = tg_grant_in_scope(dentry, owner);
	return tg_grant_or_mode(g, flags);
}

/* The address p holds, as a number (a global function's argument). */
static __always_inline __u64 tg_addr(const void *p)
{
	__u64 v = 0;

	bpf_probe_read_kernel(&v, sizeof(v), &p);
	return v;
}

/*
 * Fill ev, begun (tg_event_start), with the object at dentry (a struct
 * dentry address) mounted at mnt (a struct vfsmount address, or 0) and
 * port, and with object set as the host sees it (tg_event_object, with the
 * owned roots in force), then submit it: what tg_event_submit returned, -1
 * without ev. Global: the event's walks are verified once, not at each
 * verdict of each hook (inode_rename has four).
 */
__noinline int tg_file_event(struct tg_event *ev, __u64 dentry, __u64 mnt,
			     __u32 port, __u32 object)
{
	struct dentry *d = (void *)dentry;
	__u32 slot = tg_policy_slot();
	void *roots;

	if (!ev)
		return -1;
	ev->port = port;
	tg_event_path(ev, (void *)mnt, d);
	roots = object ? bpf_map_lookup_elem(&owned_roots, &slot) : NULL;
	if (roots)
		tg_event_object(ev, roots, d);
	return tg_event_submit(ev);
}

/*
 * The verdict on c's actor doing op (detail in the event's port) to the
 * object d (mounted at mnt, or NULL) owned by owner: 0 for its own objects
 * and unowned ones; else one event, and -EACCES unless the actor's tenant
 * is in audit mode. The event describes the object as the host sees it
 * unless c->roots is NULL (no policy could be read).
 */
static __always_inline int tg_verdict_of(struct tg_ctx *c, __u32 owner,
					 __u32 op, __u32 port,
					 struct vfsmount *mnt, struct dentry *d)
{
	struct tg_event *ev;
	__u32 verdict, zero = 0;
	int sent = -1;

	if (owner == TG_TENANT_HOST || owner == c->actor.id)
		return 0;
	/*
	 * The support actor under a grant: the same event with verdict
	 * allow. Which one, the global functions decide: one path here.
	 */
	verdict = tg_file_verdict(c->actor.id, c->actor.flags, owner,
				  (__u64)c->want << 32 | op, tg_addr(d));
	ev = bpf_map_lookup_elem(&event_scratch, &zero);
	if (tg_event_start(ev, (__u64)TG_KIND_FILE << 32 | op, verdict,
			   c->actor.id, owner))
		sent = tg_file_event(ev, tg_addr(d), tg_addr(mnt), port,
				     c->roots != NULL);
	return tg_grant_verdict(c->actor.id, verdict, sent) ? -EACCES : 0;
}

static __always_inline int tg_verdict(struct tg_ctx *c, __u32 owner, __u32 op,
				      struct vfsmount *mnt, struct dentry *d)
{
	return tg_verdict_of(c, owner, op, 0, mnt, d);
}

/*
 * What tg_ctx_init's answer err (not 0) means for op on d: nothing to
 * check for a host process (1); for a tenant's whose policy lookup failed
 * (-1), a refusal as of an object whose owner is unknown, with its event.
 */
static __always_inline int tg_unchecked(struct tg_ctx *c, int err, __u32 op,
					struct vfsmount *mnt, struct dentry *d)
{
	if (err > 0)
		return 0;
	c->roots = NULL;
	return tg_verdict(c, TG_OWNER_UNKNOWN, op, mnt, d);
}

/* One event for a host object linked into the actor's tree; -EACCES. */
static __always_inline int tg_refuse_host_link(struct tg_ctx *c,
					       struct dentry *d)
{
	struct tg_event *ev;

	ev = tg_event_begin(TG_KIND_FILE, TG_OP_LINK, &c->actor,
			    TG_TENANT_HOST);
	if (ev) {
		tg_event_path(ev, NULL, d);
		tg_event_submit(ev);
	}
	return tg_denied(&c->actor) ? -EACCES : 0;
}

/* Check op on d by the current task; for hooks that see no mount. */
static __always_inline int tg_check_dentry(struct dentry *d, __u32 op)
{
	struct tg_ctx c;
	int err = tg_ctx_init(&c);

	if (err)
		return tg_unchecked(&c, err, op, NULL, d);
	return tg_verdict(&c, tg_owner(&c, d), op, NULL, d);
}

/*
 * Check op on the name d and on the directory holding it: a name of another
 * tenant's object in one's own directory (an owned root, or a hard link
 * recorded at compile time) is as much out of reach as the reverse.
 */
static __always_inline int tg_check_entry(struct dentry *d, __u32 op)
{
	struct dentry *dir = d->d_parent;
	__u32 owner, held;
	struct tg_ctx c;
	int err = tg_ctx_init(&c);

	if (err)
		return tg_unchecked(&c, err, op, NULL, d);
	owner = tg_owner(&c, d);
	err = tg_verdict(&c, owner, op, NULL, d);
	/* The directory's owner, unless the same: one verdict, one event. */
	if (!err && dir && dir != d && (held = tg_owner(&c, dir)) != owner)
		err = tg_verdict(&c, held, op, NULL, d);
	return err;
}

/*
 * The owner of real, the inode a stacked file reads (overlayfs before 6.7
 * opens the lower or upper file with the overlay's path, so f_path names
 * an overlay dentry no tenant owns): found from one of real's own dentries,
 * walked without the verifier's help (a dentry reached from its alias list
 * is no trusted pointer), its answer cached for real. No dentry at all: the
 * owner is unknown, refused to every tenant (fail closed).
 */
static __always_inline __u32 tg_real_owner(struct tg_ctx *c, struct inode *real)
{
	struct hlist_node *first = BPF_CORE_READ(real, i_dentry.first);
	struct tg_owner_cache *ce = NULL;
	struct dentry *alias;
	__u32 owner;

	if (!first)
		return TG_OWNER_UNKNOWN;
	alias = container_of(first, struct dentry, d_u.d_alias);
	if (tg_dev_unknown(alias))
		return TG_OWNER_UNKNOWN;
	if (!tg_multi_linked(alias)) {
		ce = bpf_inode_storage_get(&owner_cache, real, 0,
					   BPF_LOCAL_STORAGE_GET_F_CREATE);
		if (tg_cached(ce, c->stamp, &owner))
			return owner;
	}
	owner = tg_walk(c->roots, alias);
	if (ce && c->stamp && owner != TG_OWNER_UNKNOWN)
		ce->v = tg_cache_word(c->stamp, owner);
	return owner;
}

/* The owner of what file reads and writes. */
static __always_inline __u32 tg_file_owner(struct tg_ctx *c, struct file *file)
{
	struct dentry *d = file->f_path.dentry;
	struct inode *real = file->f_inode;

	/* A stacked file: its inode is not its path's (see tg_real_owner). */
	if (real && real != d->d_inode)
		return tg_real_owner(c, real);
	return tg_owner(c, d);
}

/* What a grant must name for a descriptor of f_mode mode. */
static __always_inline __u32 tg_mode_want(unsigned int mode)
{
	return ((mode & FMODE_READ) ? TG_GRANT_READ : 0) |
	       ((mode & FMODE_WRITE) ? TG_GRANT_WRITE : 0);
}

SEC("lsm/file_open")
int BPF_PROG(tg_file_open, struct file *file, int ret)
{
	struct dentry *d = file->f_path.dentry;
	__u32 op = TG_OP_OPEN;
	struct tg_ctx c;
	int err;

	if (ret)
		return ret;
	if (file->f_flags & __FMODE_EXEC)
		op = TG_OP_EXEC;
	err = tg_ctx_init(&c);
	if (err)
		return tg_unchecked(&c, err, op, file->f_path.mnt, d);
	if (op == TG_OP_OPEN)
		c.want = tg_mode_want(file->f_mode);
	return tg_verdict(&c, tg_file_owner(&c, file), op, file->f_path.mnt, d);
}

/* A descriptor arriving over SCM_RIGHTS or pidfd_getfd: the receiver's check.
 */
SEC("lsm/file_receive")
int BPF_PROG(tg_file_receive, struct file *file, int ret)
{
	struct dentry *d = file->f_path.dentry;
	struct tg_ctx c;
	int err;

	if (ret)
		return ret;
	err = tg_ctx_init(&c);
	if (err)
		return tg_unchecked(&c, err, TG_OP_RECEIVE, file->f_path.mnt,
				    d);
	c.want = tg_mode_want(file->f_mode);
	return tg_verdict(&c, tg_owner(&c, d), TG_OP_RECEIVE, file->f_path.mnt,
			  d);
}

/*
 * A watch's object kinds (enum fsnotify_obj_type, 6.1 and 6.12 alike);
 * newer kinds (a mount namespace) are taken as a filesystem.
 */
#define FSNOTIFY_OBJ_TYPE_INODE	   0
#define FSNOTIFY_OBJ_TYPE_VFSMOUNT 1
#define FSNOTIFY_OBJ_TYPE_SB	   2

/* The owner of scope row (dev, ino, scope); TG_TENANT_HOST if none. */
static __always_inline __u32 tg_scope_owner(struct tg_ctx *c, __u32 dev,
					    __u64 ino, __u32 scope)
{
	struct tg_inode_key key = {.ino = ino, .dev = dev, .scope = scope};
	const struct tg_owner *o = bpf_map_lookup_elem(c->roots, &key);

	return o ? o->tenant : TG_TENANT_HOST;
}

/*
 * An inotify, fanotify or dnotify watch: it sees names and activity, so a
 * tenant may place one only where it sees nothing of another tenant's
 * tree. On an object: the object's owner, and for a directory that holds
 * owned roots directly (its watch reports their own activity) theirs. On
 * a mount: allowed when the mount's root is the actor's own; else, as on a
 * whole filesystem, allowed only when the filesystem holds no other
 * tenant's root.
 */
SEC("lsm/path_notify")
int BPF_PROG(tg_path_notify, const struct path *path, __u64 mask,
	     unsigned int obj_type, int ret)
{
	struct vfsmount *mnt = path->mnt;
	struct dentry *d = path->dentry;
	__u32 owner = TG_TENANT_HOST, held, dev;
	struct tg_ctx c;
	int err;

	if (ret)
		return ret;
	err = tg_ctx_init(&c);
	if (err)
		return tg_unchecked(&c, err, TG_OP_WATCH, mnt, d);
	dev = tg_stat_dev(d);
	if (obj_type == FSNOTIFY_OBJ_TYPE_INODE) {
		owner = tg_owner(&c, d);
		if (owner == TG_TENANT_HOST || owner == c.actor.id) {
			held = tg_scope_owner(&c, dev,
					      BPF_CORE_READ(d, d_inode, i_ino),
					      TG_SCOPE_PARENT);
			if (held != TG_TENANT_HOST)
				owner = held;
		}
	} else {
		if (obj_type == FSNOTIFY_OBJ_TYPE_VFSMOUNT)
			owner = tg_owner(&c, mnt->mnt_root);
		/*
		 * btrfs: the filesystem rows are per subvolume, the mark is
		 * not; refused unless the mount's root is the actor's own.
		 */
		if (owner != c.actor.id)
			owner = tg_on_btrfs(d)
					? TG_OWNER_UNKNOWN
					: tg_scope_owner(&c, dev, 0,
							 TG_SCOPE_FILESYSTEM);
	}
	return tg_verdict_of(&c, owner, TG_OP_WATCH, obj_type, mnt, d);
}

/* Creating a name: the negative dentry's owner is its directory's. */
SEC("lsm/inode_create")
int BPF_PROG(tg_inode_create, struct inode *dir, struct dentry *dentry,
	     unsigned short mode, int ret)
{
	return ret ?: tg_check_dentry(dentry, TG_OP_CREATE);
}

SEC("lsm/inode_mkdir")
int BPF_PROG(tg_inode_mkdir, struct inode *dir, struct dentry *dentry,
	     unsigned short mode, int ret)
{
	return ret ?: tg_check_dentry(dentry, TG_OP_MKDIR);
}

SEC("lsm/inode_mknod")
int BPF_PROG(tg_inode_mknod, struct inode *dir, struct dentry *dentry,
	     unsigned short mode, unsigned int dev, int ret)
{
	return ret ?: tg_check_dentry(dentry, TG_OP_MKNOD);
}

SEC("lsm/inode_symlink")
int BPF_PROG(tg_inode_symlink, struct inode *dir, struct dentry *dentry,
	     const char *old_name, int ret)
{
	return ret ?: tg_check_dentry(dentry, TG_OP_SYMLINK);
}

/* Both ends: the object linked to, and the directory the new name is in. */
SEC("lsm/inode_link")
int BPF_PROG(tg_inode_link, struct dentry *old_dentry, struct inode *dir,
	     struct dentry *new_dentry, int ret)
{
	struct tg_ctx c;
	int err;

	__u32 from, to;

	if (ret)
		return ret;
	err = tg_ctx_init(&c);
	if (err)
		return tg_unchecked(&c, err, TG_OP_LINK, NULL, old_dentry);
	from = tg_owner(&c, old_dentry);
	err = tg_verdict(&c, from, TG_OP_LINK, NULL, old_dentry);
	if (err)
		return err;
	to = tg_owner(&c, new_dentry);
	err = tg_verdict(&c, to, TG_OP_LINK, NULL, new_dentry);
	if (err || from != TG_TENANT_HOST || to != c.actor.id)
		return err;
	/*
	 * An object nobody owns (a host file: a shared library, say) pulled
	 * into the actor's own tree would be the actor's by that name, and
	 * by every name once the agent records it (ownership follows the
	 * object), taking it from every other tenant. Refused: copy it.
	 */
	return tg_refuse_host_link(&c, new_dentry);
}

SEC("lsm/inode_unlink")
int BPF_PROG(tg_inode_unlink, struct inode *dir, struct dentry *dentry, int ret)
{
	return ret ?: tg_check_entry(dentry, TG_OP_UNLINK);
}

SEC("lsm/inode_rmdir")
int BPF_PROG(tg_inode_rmdir, struct inode *dir, struct dentry *dentry, int ret)
{
	return ret ?: tg_check_entry(dentry, TG_OP_RMDIR);
}

/*
 * old_dentry moves into new_dir as new_dentry (replacing it if positive).
 * With RENAME_EXCHANGE the kernel calls this twice, once per direction.
 * Every rename, host ones included, keeps the cache true: a directory that
 * moves between owners takes its whole subtree along, so it bumps the
 * rename epoch (every cached answer expires); any other object has its own
 * entry cleared. Both happen only once the rename is allowed here, after
 * every owner was looked up (a lookup caches what it finds). A rename the
 * filesystem refuses later (ENOTEMPTY, EXDEV ...) has bumped the epoch all
 * the same: that costs cached answers, never a wrong one (the stamp does
 * not wrap).
 */
SEC("lsm/inode_rename")
int BPF_PROG(tg_inode_rename, struct inode *old_dir, struct dentry *old_dentry,
	     struct inode *new_dir, struct dentry *new_dentry, int ret)
{
	struct dentry *from = old_dentry->d_parent, *to = new_dentry->d_parent;
	__u32 zero = 0, o_from = 0, o_to = 0;
	struct tg_owner_cache *ce;
	int is_dir, tenant, err;
	struct tg_ctx c;
	__u64 *ep;

	if (ret)
		return ret;
	tenant = !tg_ctx_actor(&c);
	if (tg_ctx_policy(&c))
		return tg_unchecked(&c, tenant ? -1 : 1, TG_OP_RENAME, NULL,
				    old_dentry);
	is_dir = (BPF_CORE_READ(old_dentry, d_inode, i_mode) & S_IFMT) ==
		 S_IFDIR;
	/*
	 * Four lookups in one program: the names probe no ancestor's cache
	 * (their directories' were just looked at), which keeps the program
	 * within what the verifier walks.
	 */
	if (tenant || is_dir) {
		o_from = tg_owner(&c, from);
		o_to = tg_owner(&c, to);
	}
	if (tenant) {
		err = tg_verdict(&c, tg_owner_probing(&c, old_dentry, 1),
				 TG_OP_RENAME, NULL, old_dentry);
		err = err
			      ?: tg_verdict(&c, o_from, TG_OP_RENAME, NULL,
					    old_dentry);
		err = err
			      ?: tg_verdict(&c,
					    tg_owner_probing(&c, new_dentry, 1),
					    TG_OP_RENAME, NULL, new_dentry);
		err = err
			      ?: tg_verdict(&c, o_to, TG_OP_RENAME, NULL,
					    new_dentry);
		if (err)
			return err;
	}
	if (!is_dir) {
		ce = bpf_inode_storage_get(&owner_cache, old_dentry->d_inode, 0,
					   0);
		if (ce)
			ce->v = 0;
		return 0;
	}
	if (o_from != o_to) {
		ep = bpf_map_lookup_elem(&rename_epoch, &zero);
		if (ep)
			__sync_fetch_and_add(ep, 1);
	}
	return 0;
}

/* chmod, chown, truncate (all of its ways), utimes and other attributes. */
static __always_inline int tg_setattr(struct dentry *dentry, struct iattr *attr)
{
	unsigned int valid = BPF_CORE_READ(attr, ia_valid);
	__u32 op = TG_OP_SETATTR;

	if (valid & ATTR_SIZE)
		op = TG_OP_TRUNCATE;
	else if (valid & ATTR_MODE)
		op = TG_OP_CHMOD;
	else if (valid & (ATTR_UID | ATTR_GID))
		op = TG_OP_CHOWN;
	return tg_check_dentry(dentry, op);
}

/* inode_setattr before 6.8 ... */
SEC("lsm/inode_setattr")
int BPF_PROG(tg_inode_setattr, struct dentry *dentry, struct iattr *attr,
	     int ret)
{
	return ret ?: tg_setattr(dentry, attr);
}

/* ... and from 6.8, with the mount's idmap first; the agent loads one. */
SEC("lsm/inode_setattr")
int BPF_PROG(tg_inode_setattr_idmap, void *idmap, struct dentry *dentry,
	     struct iattr *attr, int ret)
{
	return ret ?: tg_setattr(dentry, attr);
}

SEC("lsm/inode_setxattr")
int BPF_PROG(tg_inode_setxattr, void *idmap, struct dentry *dentry,
	     const char *name, const void *value, unsigned long size, int flags,
	     int ret)
{
	return ret ?: tg_check_dentry(dentry, TG_OP_SETXATTR);
}

SEC("lsm/inode_removexattr")
int BPF_PROG(tg_inode_removexattr, void *idmap, struct dentry *dentry,
	     const char *name, int ret)
{
	return ret ?: tg_check_dentry(dentry, TG_OP_REMOVEXATTR);
}

/* POSIX ACLs bypass the xattr hooks from 6.2; absent before (not loaded). */
SEC("lsm/inode_set_acl")
int BPF_PROG(tg_inode_set_acl, void *idmap, struct dentry *dentry,
	     const char *acl_name, void *kacl, int ret)
{
	return ret ?: tg_check_dentry(dentry, TG_OP_SETXATTR);
}

SEC("lsm/inode_remove_acl")
int BPF_PROG(tg_inode_remove_acl, void *idmap, struct dentry *dentry,
	     const char *acl_name, int ret)
{
	return ret ?: tg_check_dentry(dentry, TG_OP_REMOVEXATTR);
}

/*
 * The support actor's use of an open descriptor, op (TG_OP_READ, _WRITE,
 * _MMAP) needing want, on file: a tenant's file needs an active grant of
 * want for it, in its scope; a shared mapping is refused outright (pages
 * once mapped are beyond any hook, whatever becomes of the grant). A use
 * allowed emits no event: the open the grant allowed was logged, and an
 * event per read or write would flood the log. A refusal is a refusal's
 * event, rate-limited, and ends a grant session whose grant ended.
 * Everyone else leaves at once: no login uid, not the support staff's, or
 * in a tenant's cgroup (the open was checked).
 */
static __always_inline int tg_support_use(struct file *file, __u32 op,
					  __u32 want)
{
	struct dentry *d = file->f_path.dentry;
	struct tg_event *ev;
	struct tg_ctx c;
	__u32 owner;

	if (tg_login_uid((void *)bpf_get_current_task()) == TG_NO_LOGIN_UID ||
	    !tg_is_support(tg_policy_slot()))
		return 0;
	if (tg_ctx_init(&c) || c.actor.id != TG_TENANT_SUPPORT)
		return 0;
	owner = tg_file_owner(&c, file);
	/*
	 * Tenants' files only: what no tenant owns, or no known one (too
	 * deep, disconnected), was refused at its open if it must be.
	 */
	if (owner == TG_TENANT_HOST || owner >= TG_CACHED_OWNERS)
		return 0;
	if (want &&
	    tg_file_verdict(c.actor.id, 0, owner, (__u64)want << 32 | op,
			    tg_addr(d)) == TG_VERDICT_ALLOW)
		return 0;
	ev = tg_event_begin(TG_KIND_FILE, op, &c.actor, owner);
	if (ev)
		tg_file_event(ev, tg_addr(d), tg_addr(file->f_path.mnt), 0, 1);
	tg_grant_session_end(c.actor.id);
	return -EACCES;
}

/*
 * Reads and writes (read, write, readdir, splice, copy_file_range ...)
 * through a descriptor: a support actor's opened under a grant stops
 * working when the grant ends (its deadline, or revocation).
 */
SEC("lsm/file_permission")
int BPF_PROG(tg_file_permission, struct file *file, int mask, int ret)
{
	__u32 want = ((mask & MAY_READ) ? TG_GRANT_READ : 0) |
		     ((mask & MAY_WRITE) ? TG_GRANT_WRITE : 0);

	if (ret || !want)
		return ret;
	/* execve reads what it opened to execute: the exec grant's. */
	if (file->f_flags & __FMODE_EXEC)
		want = TG_GRANT_EXEC;
	return tg_support_use(
		file, (mask & MAY_WRITE) ? TG_OP_WRITE : TG_OP_READ, want);
}

/* A shared mapping of a tenant's file by the support actor: refused. */
SEC("lsm/mmap_file")
int BPF_PROG(tg_file_mmap, struct file *file, unsigned long reqprot,
	     unsigned long prot, unsigned long flags, int ret)
{
	if (ret || !file || !(flags & MAP_SHARED))
		return ret;
	return tg_support_use(file, TG_OP_MMAP, 0);
}

char LICENSE[] SEC("license") = "GPL";
