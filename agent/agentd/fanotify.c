// SPDX-License-Identifier: GPL-2.0
/*
 * The fanotify file backend: permission events on the filesystems holding
 * owned paths, answered by a thread of their own.
 *
 * Rules the code keeps, because an unanswered permission event blocks the
 * opener:
 * - every event read is answered, whatever fails while deciding;
 * - the answering thread opens nothing on a marked filesystem except with
 *   O_PATH (which raises no event), and reads only procfs, which is never
 *   marked; the agent's own opens (any thread) are allowed at once, without
 *   taking the lock, so the main thread may open files while the answering
 *   thread waits for it;
 * - the answering thread resolves no name in an opener's mount namespace
 *   (a tenant's FUSE server could hold it there): it looks up only in the
 *   agent's private clones of marked filesystems, by handle, and in procfs;
 * - a file with several links is decided by its identity, as the last link
 *   scan (main thread) found its names; while a name made or moved since is
 *   not scanned, a tenant's open waits for the next scan, at most
 *   decision_ms, then is refused; host opens never wait;
 * - the main thread holds the lock only to swap state and (un)mark, never
 *   while opening a file;
 * - closing the group (stop, crash, SIGKILL) makes the kernel allow every
 *   event still pending.
 *
 * What the answering thread decides with (fanotify_snapshot.c) and the
 * filesystems marked (fanotify_marks.c) are made by the main thread outside
 * the lock; install() swaps them in under it.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stddef.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/fanotify.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "common/clock.h"
#include "common/peer.h"
#include "common/procfs.h"
#include "agentd/fanotify_owner.h"
#include "agentd/actor_names.h"
#include "agentd/fanotify.h"
#include "agentd/fanotify_marks.h"
#include "agentd/fanotify_renames.h"
#include "agentd/fanotify_snapshot.h"
#include "agentd/ratelimit.h"
#include "tenantguard/event_abi.h"
#include "tenantguard/map_abi.h"

#define TG_FAN_QUEUE	   1024	 /* decisions waiting to be reported */
#define TG_FAN_IGNORE_MAX  16384 /* inode ignore marks (they pin inodes) */
#define TG_FAN_CACHE	   65536 /* owner answers kept */
#define TG_FAN_WAITING_MAX 256	 /* opens waiting for links to be known */
/* ctime is taken from a coarse clock, up to a tick behind. */
#define TG_FAN_CTIME_SLACK_NS 20000000LL
/* Slots of the per-tenant drop counts: every tenant id, then any other. */
#define TG_FAN_DROP_SLOTS (TG_MAX_TENANTS + 2)

const char *const tg_fan_unenforced[] = {
	"file:create", /* O_CREAT makes the file before the open is refused */
	"file:mkdir",
	"file:mknod",
	"file:symlink",
	"file:link",
	"file:unlink",
	"file:rmdir",
	"file:rename",
	"file:truncate", /* truncate(2) by path; O_TRUNC is checked */
	"file:chmod",
	"file:chown",
	"file:setattr", /* utimes and other attributes */
	"file:setxattr",
	"file:removexattr",
	"file:receive",	  /* descriptors passed over unix sockets */
	"file:preopened", /* descriptors opened before the agent marked */
	"file:metadata",  /* stat, access, readlink, lookup, O_PATH */
	"file:watch",	  /* inotify, dnotify, fanotify on others' objects */
	NULL};

/* An open waiting for the links of its filesystem to be known. */
struct fan_waiting {
	struct fanotify_event_metadata m; /* its event, fd still open */
	int pidfd;			  /* the event's, or < 0 */
	__s64 deadline_ms;		  /* refused from then on */
};

struct tg_fan {
	int perm_fd;
	int notif_fd; /* -1: no rename watch anywhere */
	int stop_fd;
	int rec_fd;  /* wakes the main thread: records, a scan wanted */
	int wake_fd; /* wakes the answering thread: a snapshot installed */
	unsigned int decision_ms;    /* a tenant's open waits at most this */
	unsigned long scan_max;	     /* entries a link scan looks at */
	struct fan_waiting *waiting; /* answering thread only */
	size_t nwaiting;
	int pidfds; /* events carry a pidfd */
	pid_t self;
	const struct tg_ratelimit *rl; /* the tenants' event rate limits */
	char cgroup_root[PATH_MAX];
	pthread_t thread;
	int running;

	pthread_mutex_t lock; /* everything below up to qlock */
	struct tg_fan_snap *snap;
	struct tg_fan_fs_list fs;
	struct tg_fo_cache cache;
	struct tg_fo_obj *scratch;
	struct tg_fan_stats st;
	__u64 links_gen; /* links (and moves) the watch reported */
	int rescan;	 /* a tenant waits for links to be scanned */
	/* Retired tenants by id: their objects are refused to every opener. */
	__u8 retired[TG_MAX_TENANTS];

	pthread_mutex_t qlock; /* the record queue */
	struct tg_event *q;
	size_t qhead, qn;
	__u64 qdrops;
	__u64 *drops_of, *drops_told; /* per slot: queue full, and reported */
};

/* One decision. */
struct fan_verdict {
	__u32 response; /* FAN_ALLOW or FAN_DENY */
	__u32 verdict;	/* TG_VERDICT_* when reported */
	int report;
	int ignore; /* the object is unowned: stop its events */
	int dir;    /* the object is a directory */
	int wait;   /* not decided yet: ask again when links are known */
	__u32 actor, owner;
};

/* The object of a reported decision as the host sees it. */
struct fan_object {
	__u32 flags; /* TG_OBJ_F_INODE, TG_OBJ_F_ROOT */
	__u32 dev, root_dev;
	__u64 ino, root_ino;
	char below[PATH_MAX]; /* the path below the root */
};

/*
 * The opener's tenant: *id 0 for a host process. -ESRCH when it is gone
 * (its pid may already be another process's).
 */
static int actor_of(struct tg_fan *f, pid_t pid, int pidfd, __u32 *id,
		    __u32 *flags)
{
	const struct tg_fo_cgroup *cg;
	char path[PATH_MAX];
	int err;

	if (pidfd == FAN_NOPIDFD)
		return -ESRCH;
	/* With a pidfd: still the process that opened, its pid not reused. */
	err = tg_proc_cgroup(pid, pidfd >= 0 ? pidfd : -1, path, sizeof(path),
			     NULL, 0);
	if (err)
		return err;
	cg = tg_fo_cgroups_find(&f->snap->cgroups, path);
	*id = cg ? cg->tenant : TG_TENANT_HOST;
	*flags = cg ? cg->flags : 0;
	/* A host process of the support staff: the support actor. */
	if (!cg && f->snap->support.n &&
	    tg_support_has(&f->snap->support, (__u32)tg_proc_loginuid(pid)))
		*id = TG_TENANT_SUPPORT;
	return 0;
}

/* The object of event fd as an O_PATH descriptor in fs's private clone. */
static int open_in_clone(const struct tg_fan_fs *fs, int fd)
{
	struct {
		struct file_handle fh;
		unsigned char b[MAX_HANDLE_SZ];
	} h;
	int mount_id, o;

	h.fh.handle_bytes = MAX_HANDLE_SZ;
	if (name_to_handle_at(fd, "", &h.fh, &mount_id, AT_EMPTY_PATH) < 0)
		return -errno;
	o = open_by_handle_at(fs->root_fd, &h.fh, O_PATH | O_CLOEXEC);
	return o < 0 ? -errno : o;
}

/*
 * Whether the names of the files with several links on fs are known, as
 * far as the watch tells (a link made changes only its file's ctime): 0 if
 * the scan in force went through every owned tree and began after the last
 * such file or directory moved; -EAGAIN if a scan to come may tell (one is
 * under way, or a move was reported since); -E2BIG if the scan stopped
 * short; -EOPNOTSUPP if fs has no watch (moves cannot be seen).
 */
static int links_known(const struct tg_fan *f, const struct tg_fan_fs *fs)
{
	if (!fs->watched)
		return -EOPNOTSUPP;
	if (f->snap->links_coming || f->snap->links_gen != f->links_gen)
		return -EAGAIN;
	return f->snap->links_complete ? 0 : -E2BIG;
}

/*
 * The owner of the object of event fd (stat st) on fs, by its identity,
 * never by the name it was opened by. A file with several names is owned
 * as the last scan found its names below owned roots (several tenants':
 * TG_OWNER_SHARED; none: no owner), while that scan is known to be whole
 * and nothing changed since; else links_known()'s error, or -EAGAIN when
 * the file changed since the scan began.
 */
static int owner_of(struct tg_fan *f, const struct tg_fan_fs *fs, int fd,
		    const struct stat *st, __u32 *owner)
{
	struct tg_fo_walk w = {
		.owned = &f->snap->owned,
		.cache = &f->cache,
		.root_fd = fs->root_fd,
		.root_path = "/",
		.now_ms = (__u64)tg_now_ms(),
		.scratch = f->scratch,
	};
	struct tg_fo_obj me = tg_fo_obj_of(st);
	const struct tg_fo_ent *e;
	int o, err;

	e = tg_fo_owned_find(w.owned, st->st_dev, st->st_ino);
	if (!tg_fo_ent_matches(e, st))
		e = NULL;
	if (e && (e->flags & TG_FO_ROOT)) {
		*owner = e->tenant;
		return 0;
	}
	if (!S_ISDIR(st->st_mode) && st->st_nlink > 1) {
		/* A name made or moved since the scan may change its owners. */
		err = links_known(f, fs);
		if (err)
			return err;
		/*
		 * Changed since the scan began (a link made or removed marks
		 * the file's ctime: POSIX): the scan may not have seen all
		 * its names.
		 */
		if ((__s64)tg_fo_obj_of(st).ctime_ns >=
		    f->snap->links_since_ns - TG_FAN_CTIME_SLACK_NS)
			return -EAGAIN;
		*owner = e ? e->tenant : TG_TENANT_HOST;
		return 0;
	}
	if (e) {
		*owner = e->tenant;
		return 0;
	}
	if (tg_fo_cache_get(&f->cache, &me, w.now_ms, owner))
		return 0;
	o = open_in_clone(fs, fd);
	if (o < 0)
		return o;
	err = tg_fo_owner(&w, o, st, owner);
	close(o);
	return err;
}

/*
 * Decide the open of event fd by pid. A tenant's open of an object whose
 * owner is not known yet waits (v->wait) unless late: then it is refused.
 */
static void decide(struct tg_fan *f, int fd, pid_t pid, int pidfd, int late,
		   struct fan_verdict *v)
{
	const struct tg_fan_fs *fs;
	struct stat st;
	__u32 aflags = 0;
	int oerr, aerr;

	v->response = FAN_ALLOW;
	if (fstat(fd, &st) < 0) {
		oerr = -errno;
		goto unknown_owner;
	}
	fs = tg_fan_fs_find(&f->fs, st.st_dev);
	if (!fs || !fs->marked)
		return; /* not a filesystem holding owned paths */
	oerr = owner_of(f, fs, fd, &st, &v->owner);
	if (!oerr && v->owner == TG_TENANT_HOST) {
		/* One name, no owner: its opens need no more questions. */
		v->ignore = fs->watched &&
			    (S_ISDIR(st.st_mode) || st.st_nlink == 1);
		v->dir = S_ISDIR(st.st_mode);
		return;
	}
unknown_owner:
	aerr = actor_of(f, pid, pidfd, &v->actor, &aflags);
	if (oerr) {
		/*
		 * Owner unknown: fail closed for tenants (and openers that are
		 * gone), open for host processes, which hold no tenant's data
		 * hostage by being let through. Not known yet: a tenant waits
		 * for a scan, within a bound.
		 */
		if (!aerr && v->actor == TG_TENANT_HOST) {
			/* Links not known: no failure, no question for it. */
			if (oerr != -EAGAIN && oerr != -E2BIG &&
			    oerr != -EOPNOTSUPP)
				f->st.failed++;
			return;
		}
		if (oerr == -EAGAIN && !aerr && !late) {
			v->wait = 1;
			return;
		}
		f->st.failed++;
		if (oerr == -EAGAIN && !aerr)
			f->st.timed_out++; /* late: its wait is over */
		v->owner = TG_OWNER_UNKNOWN;
	} else if (aerr) {
		/* An owned object, an opener we cannot place: fail closed. */
		f->st.failed++;
	} else if ((v->actor == TG_TENANT_HOST || v->actor == v->owner) &&
		   !(v->owner < TG_MAX_TENANTS && f->retired[v->owner])) {
		/* A retired tenant's files: nobody's but the agent's export. */
		return;
	}
	if (aerr)
		v->actor = TG_OWNER_UNKNOWN;
	v->report = 1;
	if (!aerr && (aflags & TG_TENANT_F_AUDIT)) {
		v->verdict = TG_VERDICT_AUDIT;
		f->st.audited++;
		return;
	}
	v->verdict = TG_VERDICT_DENY;
	v->response = FAN_DENY;
}

static void flush_ignores(struct tg_fan *f)
{
	fanotify_mark(f->perm_fd, FAN_MARK_FLUSH, 0, AT_FDCWD, NULL);
	f->st.ignore_marks = 0;
}

/* The ignore mask of an object: FAN_ONDIR only for a directory. */
static __u64 ignore_mask(int dir)
{
	return dir ? TG_FAN_PERM_MASK : TG_FAN_PERM_MASK & ~(__u64)FAN_ONDIR;
}

/* Stop permission events for the unowned object of event fd. */
static void add_ignore(struct tg_fan *f, int fd, int dir)
{
	if (f->st.ignore_marks >= TG_FAN_IGNORE_MAX) {
		flush_ignores(f);
		f->st.flush_ignore_limit++;
	}
	if (fanotify_mark(f->perm_fd,
			  FAN_MARK_ADD | FAN_MARK_IGNORE |
				  FAN_MARK_IGNORED_SURV_MODIFY,
			  ignore_mask(dir), fd, NULL) == 0)
		f->st.ignore_marks++;
}

/* The drop slot of tenant id: its own, or the last for any other id. */
static __u32 drop_slot(__u32 id)
{
	return id <= TG_MAX_TENANTS ? id : TG_FAN_DROP_SLOTS - 1;
}

/* Wake up counter fd (a full counter is already a wake-up). */
static void wake(int fd)
{
	__u64 one = 1;

	if (write(fd, &one, sizeof(one)) < 0) {
		/* Full: already awake. */
	}
}

static void wake_main(struct tg_fan *f)
{
	wake(f->rec_fd);
}

static void enqueue(struct tg_fan *f, const struct tg_event *ev)
{
	size_t i;

	pthread_mutex_lock(&f->qlock);
	if (f->qn == TG_FAN_QUEUE) {
		f->qdrops++;
		f->drops_of[drop_slot(ev->tenant)]++;
		pthread_mutex_unlock(&f->qlock);
		return;
	}
	i = (f->qhead + f->qn) % TG_FAN_QUEUE;
	memcpy(&f->q[i], ev, TG_EVENT_HDR_LEN + ev->path_len + ev->below_len);
	f->qn++;
	pthread_mutex_unlock(&f->qlock);
	wake_main(f);
}

/*
 * The record of a reported decision; path as the opener's mount shows it,
 * the object (o) as the host does.
 */
static void report(struct tg_fan *f, const struct fanotify_event_metadata *m,
		   const struct fan_verdict *v, const struct fan_object *o,
		   const char *comm, const struct tg_event *who)
{
	static struct tg_event ev;
	size_t room, blen;
	char link[64];
	ssize_t n;

	memset(&ev, 0, TG_EVENT_HDR_LEN);
	ev.ts_boot_ns = (__u64)tg_clock_ns(CLOCK_BOOTTIME);
	ev.version = TG_EVENT_VERSION;
	ev.kind = TG_KIND_FILE;
	ev.verdict = v->verdict;
	ev.op = (m->mask & FAN_OPEN_EXEC_PERM) ? TG_OP_EXEC : TG_OP_OPEN;
	ev.pid = (__u32)m->pid;
	ev.tenant = v->actor == TG_TENANT_SUPPORT ? TG_TENANT_HOST : v->actor;
	ev.target_tenant = v->owner;
	snprintf((char *)ev.comm, sizeof(ev.comm), "%s", comm);
	/* Who acted, read while it waited (answered, it may be gone). */
	memcpy((char *)&ev + offsetof(struct tg_event, login_uid),
	       (const char *)who + offsetof(struct tg_event, login_uid),
	       offsetof(struct tg_event, path) -
		       offsetof(struct tg_event, login_uid));
	if (v->actor == TG_TENANT_SUPPORT)
		ev.actor_flags |= TG_ACTOR_F_SUPPORT;
	snprintf(link, sizeof(link), "/proc/self/fd/%d", m->fd);
	n = readlink(link, (char *)ev.path, TG_PATH_LEN - 1);
	if (n < 0)
		n = snprintf((char *)ev.path, TG_PATH_LEN, "?");
	ev.path[n] = '\0';
	ev.path_len = (__u32)n;
	ev.obj_flags = o->flags;
	ev.obj_dev = o->dev;
	ev.obj_ino = o->ino;
	if (o->flags & TG_OBJ_F_ROOT) {
		ev.root_dev = o->root_dev;
		ev.root_ino = o->root_ino;
		/* Below the path, as text; its end if it does not fit. */
		room = TG_PATH_LEN - (size_t)n;
		blen = strlen(o->below);
		if (blen > room) {
			ev.obj_flags |= TG_OBJ_F_TRUNCATED;
			memcpy(ev.path + n, o->below + blen - room, room);
			blen = room;
		} else {
			memcpy(ev.path + n, o->below, blen);
		}
		ev.below_len = (__u32)blen;
	}
	enqueue(f, &ev);
}

/* The kernel's dev_t of a device number: MAJOR << 20 | MINOR. */
static __u32 kernel_dev(dev_t dev)
{
	return (__u32)((major(dev) << 20) | minor(dev));
}

/*
 * The object of event fd as the host sees it, into o: its device and
 * inode, and the owned root above it with the path below that root, found
 * in the filesystem's clone (for a file with several names, the name its
 * handle leads to), whatever mounts or root the opener sees it through.
 * Nothing is looked up in the opener's mount namespace.
 */
static void describe(struct tg_fan *f, int fd, struct fan_object *o)
{
	struct tg_fo_walk w = {
		.owned = &f->snap->owned,
		.root_fd = -1,
		.root_path = "/",
		.scratch = f->scratch,
	};
	const struct tg_fo_ent *root = NULL;
	const struct tg_fan_fs *fs;
	struct stat st;
	int err, cfd;

	o->flags = 0;
	if (fstat(fd, &st) < 0)
		return;
	o->flags = TG_OBJ_F_INODE;
	o->dev = kernel_dev(st.st_dev);
	o->ino = st.st_ino;
	fs = tg_fan_fs_find(&f->fs, st.st_dev);
	if (!fs || fs->root_fd < 0)
		return;
	w.root_fd = fs->root_fd;
	cfd = open_in_clone(fs, fd);
	if (cfd < 0)
		return;
	err = tg_fo_root_of(&w, cfd, &st, &root, o->below, sizeof(o->below));
	close(cfd);
	if (err)
		return;
	o->flags |= TG_OBJ_F_ROOT;
	o->root_dev = kernel_dev((dev_t)root->dev);
	o->root_ino = root->ino;
}

/*
 * Decide, answer, and queue the report of one permission event; late: its
 * time to wait is over. 1 if it waits (not answered), else 0.
 */
static int answer(struct tg_fan *f, const struct fanotify_event_metadata *m,
		  int pidfd, int late)
{
	static struct fan_object o;
	static struct tg_event who; /* its actor fields: under f->lock */
	struct fan_verdict v = {};
	struct fanotify_response r = {.fd = m->fd, .response = FAN_ALLOW};
	char comm[TG_COMM_LEN + 1] = "";

	/* The agent's own opens: never wait on itself. */
	if (m->pid == f->self) {
		if (write(f->perm_fd, &r, sizeof(r)) < 0) {
			/* The opener is gone: nothing waits. */
		}
		return 0;
	}
	pthread_mutex_lock(&f->lock);
	decide(f, m->fd, m->pid, pidfd, late, &v);
	if (v.wait) {
		pthread_mutex_unlock(&f->lock);
		return 1;
	}
	/* Its tenant's rate limit, as for the kernel's events. */
	if (v.report &&
	    !tg_ratelimit_admit(
		    f->rl,
		    v.actor == TG_TENANT_SUPPORT ? TG_TENANT_HOST : v.actor,
		    TG_KIND_FILE,
		    (m->mask & FAN_OPEN_EXEC_PERM) ? TG_OP_EXEC : TG_OP_OPEN,
		    v.verdict))
		v.report = 0;
	if (v.report) {
		tg_proc_comm(m->pid, comm, sizeof(comm));
		/* While the opener waits: its mounts are still there. */
		describe(f, m->fd, &o);
		memset(&who, 0, sizeof(who));
		tg_actor_from_proc((__u32)m->pid, f->cgroup_root, &who);
	}
	r.response = v.response;
	if (write(f->perm_fd, &r, sizeof(r)) < 0) {
		/* ENOENT: the opener was killed while waiting. */
	}
	f->st.answered++;
	if (v.response == FAN_DENY)
		f->st.denied++;
	if (v.ignore)
		add_ignore(f, m->fd, v.dir);
	f->st.cache_hits = f->cache.hits;
	f->st.cache_misses = f->cache.misses;
	pthread_mutex_unlock(&f->lock);
	if (v.report)
		report(f, m, &v, &o, comm, &who);
	return 0;
}

/* The pidfd of an event's info records: >= 0, FAN_NOPIDFD, FAN_EPIDFD. */
static int event_pidfd(const struct fanotify_event_metadata *m)
{
	const char *p = (const char *)m + m->metadata_len;
	const char *end = (const char *)m + m->event_len;

	while (p + sizeof(struct fanotify_event_info_header) <= end) {
		const struct fanotify_event_info_header *h = (const void *)p;

		if (h->len < sizeof(*h) || p + h->len > end)
			break;
		if (h->info_type == FAN_EVENT_INFO_TYPE_PIDFD &&
		    h->len >= sizeof(struct fanotify_event_info_pidfd))
			return ((const struct fanotify_event_info_pidfd *)p)
				->pidfd;
		p += h->len;
	}
	return FAN_EPIDFD;
}

typedef void (*fan_event_fn)(struct tg_fan *f,
			     const struct fanotify_event_metadata *m);

/* Hand every event queued on group fd to fn, until none is left. */
static void read_events(struct tg_fan *f, int fd, fan_event_fn fn)
{
	char buf[8192] __attribute__((
		aligned(__alignof__(struct fanotify_event_metadata))));
	const struct fanotify_event_metadata *m;
	ssize_t n;

	for (;;) {
		n = read(fd, buf, sizeof(buf));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return; /* EAGAIN; on other errors the kernel denied */
		for (m = (const void *)buf; FAN_EVENT_OK(m, n);
		     m = FAN_EVENT_NEXT(m, n))
			fn(f, m);
	}
}

static void on_notif(struct tg_fan *f, const struct fanotify_event_metadata *m);

static void on_perm(struct tg_fan *f, const struct fanotify_event_metadata *m)
{
	int pidfd = event_pidfd(m);
	struct fan_waiting *w;

	if (m->fd < 0)
		goto out_close_pidfd;
	/*
	 * The links made before this open are read first (each was reported
	 * before the open began): none is taken for unknown by being unread.
	 */
	if (f->notif_fd >= 0)
		read_events(f, f->notif_fd, on_notif);
	if (f->nwaiting == TG_FAN_WAITING_MAX) {
		answer(f, m, pidfd, 1);
		goto out_close;
	}
	if (!answer(f, m, pidfd, 0))
		goto out_close;
	/* Kept until known, or refused when its time is over. */
	w = &f->waiting[f->nwaiting++];
	w->m = *m;
	w->pidfd = pidfd;
	w->deadline_ms = tg_now_ms() + f->decision_ms;
	pthread_mutex_lock(&f->lock);
	f->rescan = 1;
	f->st.waited++;
	pthread_mutex_unlock(&f->lock);
	wake_main(f);
	return;

out_close:
	close(m->fd);
out_close_pidfd:
	if (pidfd >= 0)
		close(pidfd);
}

/*
 * Ask again for the opens waiting for links to be known (after a scan was
 * put in force), and refuse those whose time is over. The next deadline,
 * in ms from now, or -1 if none waits.
 */
static int answer_waiting(struct tg_fan *f)
{
	__s64 now = tg_now_ms(), next = -1;
	size_t i = 0;

	while (i < f->nwaiting) {
		struct fan_waiting *w = &f->waiting[i];

		if (answer(f, &w->m, w->pidfd, now >= w->deadline_ms)) {
			if (next < 0 || w->deadline_ms - now < next)
				next = w->deadline_ms - now;
			i++;
			continue;
		}
		close(w->m.fd);
		if (w->pidfd >= 0)
			close(w->pidfd);
		*w = f->waiting[--f->nwaiting];
	}
	return next < 0 ? -1 : (int)(next > 0 ? next : 0);
}

/*
 * Directory d as O_PATH, opened by its handle in the private clone of its
 * filesystem (*fs gets that filesystem). -errno: -ESTALE when it is gone,
 * -ENOENT when no marked filesystem has its fsid.
 */
static int open_dir(struct tg_fan *f, const struct tg_fr_dir *d,
		    const struct tg_fan_fs **fs)
{
	size_t i;
	int o, err = -ENOENT;

	for (i = 0; i < f->fs.n; i++) {
		if (!f->fs.v[i].marked ||
		    memcmp(&f->fs.v[i].fsid, d->fsid, sizeof(*d->fsid)))
			continue;
		o = open_by_handle_at(f->fs.v[i].root_fd,
				      (struct file_handle *)d->fh,
				      O_PATH | O_CLOEXEC);
		if (o >= 0) {
			*fs = &f->fs.v[i];
			return o;
		}
		err = -errno;
	}
	return err;
}

/*
 * The owner of directory dfd on fs as the tree is now, walked up without
 * the cache (whose answers are what is being checked).
 */
static int owner_now(struct tg_fan *f, const struct tg_fan_fs *fs, int dfd,
		     __u32 *owner)
{
	struct tg_fo_walk w = {
		.owned = &f->snap->owned,
		.root_fd = fs->root_fd,
		.root_path = "/",
		.scratch = f->scratch,
	};
	struct stat st;

	if (fstat(dfd, &st) < 0)
		return -errno;
	return tg_fo_owner(&w, dfd, &st, owner);
}

/* The owner of directory d now. */
static int dir_owner(struct tg_fan *f, const struct tg_fr_dir *d, __u32 *owner)
{
	const struct tg_fan_fs *fs = NULL;
	int dfd = open_dir(f, d, &fs), err;

	if (dfd < 0)
		return dfd;
	err = owner_now(f, fs, dfd, owner);
	close(dfd);
	return err;
}

static void invalidate_all(struct tg_fan *f)
{
	f->links_gen++; /* a link may have been missed too */
	tg_fo_cache_clear(&f->cache);
	flush_ignores(f);
	f->st.flush_all++;
}

/*
 * Forget the answers naming owner. Ignore marks are only ever set on
 * unowned objects, and cannot be removed by subtree: when the unowned
 * places lose objects, they all go.
 */
static void invalidate_owner(struct tg_fan *f, __u32 owner)
{
	tg_fo_cache_clear_owner(&f->cache, owner);
	if (owner == TG_TENANT_HOST) {
		flush_ignores(f);
		f->st.flush_host++;
	} else {
		f->st.flush_tenant++;
	}
}

/*
 * A name that appeared (renamed or linked here; record type rtype):
 * forget what is known of its inode, so that its next open is decided
 * where it is now.
 */
static void forget_name(struct tg_fan *f,
			const struct fanotify_event_metadata *m, __u8 rtype,
			int renamed)
{
	const struct tg_fan_fs *fs = NULL;
	struct tg_fr_dir d;
	struct stat st;
	int dfd;

	if (tg_fr_dir_record(m, rtype, &d))
		return;
	dfd = open_dir(f, &d, &fs);
	/*
	 * Its directory removed since: the name went with it, and a name that
	 * left it before went by a rename, an event of its own.
	 */
	if (dfd == -ESTALE || dfd == -ENOENT)
		return;
	if (dfd < 0) {
		invalidate_all(f); /* cannot tell which: forget all */
		return;
	}
	if (fstatat(dfd, d.name, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
	    (renamed || st.st_nlink > 1)) {
		/*
		 * A file with several links moved (its ctime need not
		 * change): every such file waits for a scan again. A link
		 * made changes the file's ctime, which owner_of() checks.
		 */
		if (renamed && !S_ISDIR(st.st_mode) && st.st_nlink > 1)
			f->links_gen++;
		tg_fo_cache_del(&f->cache, st.st_dev, st.st_ino);
		if (fanotify_mark(f->perm_fd,
				  FAN_MARK_REMOVE | FAN_MARK_IGNORE |
					  FAN_MARK_DONT_FOLLOW,
				  ignore_mask(S_ISDIR(st.st_mode)), dfd,
				  d.name) == 0 &&
		    f->st.ignore_marks)
			f->st.ignore_marks--;
	}
	close(dfd);
}

/*
 * A directory moved (one direction of RENAME_EXCHANGE is one move): forget
 * the answers it can have changed, those naming the old place's owner, when
 * the new place has another (tg_fr_move_scope).
 */
static void moved_dir(struct tg_fan *f, const struct fanotify_event_metadata *m)
{
	struct tg_fr_move mv = {};
	struct tg_fr_dir from, to;

	f->st.dir_renames++;
	if (tg_fr_dir_record(m, FAN_EVENT_INFO_TYPE_OLD_DFID_NAME, &from) ||
	    tg_fr_dir_record(m, FAN_EVENT_INFO_TYPE_NEW_DFID_NAME, &to)) {
		invalidate_all(f);
		return;
	}
	mv.same_dir = tg_fr_same_dir(&from, &to);
	if (!mv.same_dir) {
		mv.old_err = dir_owner(f, &from, &mv.old_owner);
		mv.new_err = dir_owner(f, &to, &mv.new_owner);
	}
	switch (tg_fr_move_scope(&mv)) {
	case TG_FR_NONE: f->st.dir_renames_kept++; break;
	case TG_FR_OWNER:
		/* The names of files with several below it: scanned again. */
		f->links_gen++;
		invalidate_owner(f, mv.old_owner);
		break;
	case TG_FR_ALL: invalidate_all(f); break;
	}
}

/*
 * A directory removed: its inode number may come back as another object,
 * whose ctime could be the same. Its answer named its parent's owner.
 */
static void removed_dir(struct tg_fan *f,
			const struct fanotify_event_metadata *m)
{
	struct tg_fr_dir d;
	__u32 owner;

	if (tg_fr_dir_record(m, FAN_EVENT_INFO_TYPE_DFID_NAME, &d) == 0 &&
	    dir_owner(f, &d, &owner) == 0) {
		tg_fo_cache_clear_owner(&f->cache, owner);
		return;
	}
	tg_fo_cache_clear(&f->cache);
}

static void on_notif(struct tg_fan *f, const struct fanotify_event_metadata *m)
{
	if (m->fd >= 0)
		close(m->fd);
	pthread_mutex_lock(&f->lock);
	if (m->mask & FAN_Q_OVERFLOW)
		invalidate_all(f); /* renames were missed */
	else if ((m->mask & FAN_RENAME) && (m->mask & FAN_ONDIR))
		moved_dir(f, m);
	else if (m->mask & FAN_RENAME)
		forget_name(f, m, FAN_EVENT_INFO_TYPE_NEW_DFID_NAME, 1);
	else if ((m->mask & FAN_ONDIR) && (m->mask & FAN_DELETE))
		removed_dir(f, m);
	else if (!(m->mask & FAN_ONDIR) && (m->mask & FAN_CREATE))
		forget_name(f, m, FAN_EVENT_INFO_TYPE_DFID_NAME, 0);
	pthread_mutex_unlock(&f->lock);
}

static void *fan_thread(void *arg)
{
	struct tg_fan *f = arg;
	struct pollfd p[4];
	int timeout = -1, installed;
	sigset_t all;
	__u64 cnt;

	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, NULL);
	for (;;) {
		p[0] = (struct pollfd){.fd = f->stop_fd, .events = POLLIN};
		p[1] = (struct pollfd){.fd = f->notif_fd, .events = POLLIN};
		p[2] = (struct pollfd){.fd = f->perm_fd, .events = POLLIN};
		p[3] = (struct pollfd){.fd = f->wake_fd, .events = POLLIN};
		if (poll(p, 4, timeout) < 0 && errno != EINTR)
			break;
		if (p[0].revents)
			break;
		/* Renames first: no open is decided on what they changed. */
		if (p[1].revents)
			read_events(f, f->notif_fd, on_notif);
		if (p[2].revents)
			read_events(f, f->perm_fd, on_perm);
		installed =
			p[3].revents && read(f->wake_fd, &cnt, sizeof(cnt)) > 0;
		timeout = f->nwaiting ? answer_waiting(f) : -1;
		if (installed && f->nwaiting) {
			/* A scan in force: those still waiting want another. */
			pthread_mutex_lock(&f->lock);
			f->rescan = 1;
			pthread_mutex_unlock(&f->lock);
			wake_main(f);
		}
	}
	/* Stopping: the kernel allows what is left when the group closes. */
	while (f->nwaiting) {
		f->nwaiting--;
		close(f->waiting[f->nwaiting].m.fd);
		if (f->waiting[f->nwaiting].pidfd >= 0)
			close(f->waiting[f->nwaiting].pidfd);
	}
	return NULL;
}

/* Descriptors for every event a full read returns, and then some. */
static void raise_nofile(void)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
}

struct tg_fan *tg_fan_new(const char *cgroup_root,
			  const struct tg_ratelimit *rl, char *err,
			  size_t errlen)
{
	struct tg_fan *f = calloc(1, sizeof(*f));
	int e;

	if (!f) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	f->perm_fd = f->notif_fd = f->stop_fd = f->rec_fd = f->wake_fd = -1;
	f->decision_ms = TG_FAN_DECISION_MS;
	f->self = getpid();
	f->rl = rl;
	snprintf(f->cgroup_root, sizeof(f->cgroup_root), "%s", cgroup_root);
	pthread_mutex_init(&f->lock, NULL);
	pthread_mutex_init(&f->qlock, NULL);
	f->pidfds = 1;
	f->perm_fd = fanotify_init(FAN_CLASS_CONTENT | FAN_CLOEXEC |
					   FAN_NONBLOCK | FAN_REPORT_PIDFD,
				   O_RDONLY | O_LARGEFILE | O_CLOEXEC);
	if (f->perm_fd < 0 && errno == EINVAL) {
		f->pidfds = 0;
		f->perm_fd = fanotify_init(FAN_CLASS_CONTENT | FAN_CLOEXEC |
						   FAN_NONBLOCK,
					   O_RDONLY | O_LARGEFILE | O_CLOEXEC);
	}
	if (f->perm_fd < 0) {
		e = errno;
		snprintf(
			err, errlen,
			"fanotify permission events unavailable: %s (needs CAP_SYS_ADMIN and CONFIG_FANOTIFY_ACCESS_PERMISSIONS)",
			strerror(e));
		goto out_free;
	}
	/* A rename watch needs file ids (5.9+); without it, no ignore marks. */
	f->notif_fd = fanotify_init(FAN_CLASS_NOTIF | FAN_CLOEXEC |
					    FAN_NONBLOCK | FAN_REPORT_DFID_NAME,
				    O_RDONLY | O_CLOEXEC);
	f->stop_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	f->rec_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	f->wake_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	f->waiting = calloc(TG_FAN_WAITING_MAX, sizeof(*f->waiting));
	f->q = calloc(TG_FAN_QUEUE, sizeof(*f->q));
	f->drops_of = calloc(TG_FAN_DROP_SLOTS, sizeof(__u64));
	f->drops_told = calloc(TG_FAN_DROP_SLOTS, sizeof(__u64));
	f->scratch = calloc(TG_FO_MAX_DEPTH, sizeof(*f->scratch));
	f->snap = calloc(1, sizeof(*f->snap));
	if (f->stop_fd < 0 || f->rec_fd < 0 || f->wake_fd < 0 || !f->waiting ||
	    !f->q || !f->drops_of || !f->drops_told || !f->scratch ||
	    !f->snap || tg_fo_cache_init(&f->cache, TG_FAN_CACHE, 0)) {
		e = errno ? errno : ENOMEM;
		snprintf(err, errlen, "fanotify backend: %s", strerror(e));
		goto out_free;
	}
	raise_nofile();
	e = pthread_create(&f->thread, NULL, fan_thread, f);
	if (e) {
		snprintf(err, errlen, "fanotify thread: %s", strerror(e));
		goto out_free;
	}
	f->running = 1;
	return f;

out_free:
	tg_fan_free(f);
	errno = e;
	return NULL;
}

void tg_fan_free(struct tg_fan *f)
{
	__u64 one = 1;

	if (!f)
		return;
	if (f->running) {
		if (write(f->stop_fd, &one, sizeof(one)) < 0) {
			/* A counter at its maximum is already a wake-up. */
		}
		pthread_join(f->thread, NULL);
	}
	/* The kernel allows whatever is still pending on the group. */
	if (f->perm_fd >= 0)
		close(f->perm_fd);
	if (f->notif_fd >= 0)
		close(f->notif_fd);
	if (f->stop_fd >= 0)
		close(f->stop_fd);
	if (f->rec_fd >= 0)
		close(f->rec_fd);
	if (f->wake_fd >= 0)
		close(f->wake_fd);
	free(f->waiting);
	tg_fan_fs_close_all(&f->fs);
	tg_fan_snap_free(f->snap);
	tg_fo_cache_free(&f->cache);
	free(f->scratch);
	free(f->q);
	free(f->drops_of);
	free(f->drops_told);
	pthread_mutex_destroy(&f->lock);
	pthread_mutex_destroy(&f->qlock);
	free(f);
}

/*
 * Put s in force (taking it): mark, switch, unmark what is not needed;
 * forget every answer unless s differs only by its links (keep), which no
 * answer kept names (an object with several links has none).
 */
static int install(struct tg_fan *f, struct tg_fan_snap *s, int keep)
{
	struct tg_fan_fs_list fs = {}, old_fs;
	struct tg_fan_snap *old_snap;
	int err, unwatched = 0;
	size_t i;

	err = tg_fan_fs_prepare(f->perm_fd, f->notif_fd, &f->fs, &s->owned,
				&fs);
	if (err) {
		tg_fan_snap_free(s);
		return err;
	}
	for (i = 0; i < fs.n; i++)
		unwatched |= fs.v[i].marked && !fs.v[i].watched;
	pthread_mutex_lock(&f->lock);
	old_snap = f->snap;
	old_fs = f->fs;
	f->snap = s;
	f->fs = fs;
	f->cache.max_age_ms = unwatched ? TG_FAN_UNWATCHED_AGE_MS : 0;
	if (!keep) {
		tg_fo_cache_clear(&f->cache);
		flush_ignores(f);
		f->st.flush_all++;
	}
	f->st.filesystems = f->st.unmarked = 0;
	for (i = 0; i < fs.n; i++) {
		if (fs.v[i].marked)
			f->st.filesystems++;
		else
			f->st.unmarked++;
	}
	pthread_mutex_unlock(&f->lock);
	wake(f->wake_fd);
	tg_fan_fs_release(f->perm_fd, f->notif_fd, &old_fs);
	tg_fan_snap_free(old_snap);
	return 0;
}

/* A scan of every owned tree for links, put in force. */
static int scan_links(struct tg_fan *f, const struct tg_registry *r, int keep)
{
	struct tg_fan_snap *s = calloc(1, sizeof(*s));
	__u64 gen;
	int err;

	if (!s)
		return -ENOMEM;
	/* The links reported from now on are not known to this scan. */
	s->links_since_ns = tg_clock_ns(CLOCK_REALTIME);
	pthread_mutex_lock(&f->lock);
	gen = f->links_gen;
	f->rescan = 0;
	f->st.link_scans++;
	pthread_mutex_unlock(&f->lock);
	err = tg_fan_snap_build(s, r, f->cgroup_root, NULL)
		      ?: tg_fan_snap_scan_links(s, r, f->scan_max, f->snap);
	if (err) {
		tg_fan_snap_free(s);
		return err;
	}
	s->links_gen = gen;
	return install(f, s, keep);
}

int tg_fan_rescan_links(struct tg_fan *f, const struct tg_registry *r)
{
	int wanted;

	pthread_mutex_lock(&f->lock);
	wanted = f->rescan;
	pthread_mutex_unlock(&f->lock);
	return wanted ? scan_links(f, r, 1) : 0;
}

void tg_fan_set_retired(struct tg_fan *f, const __u32 *ids, size_t n)
{
	size_t i;

	pthread_mutex_lock(&f->lock);
	memset(f->retired, 0, sizeof(f->retired));
	for (i = 0; i < n; i++)
		if (ids[i] && ids[i] < TG_MAX_TENANTS)
			f->retired[ids[i]] = 1;
	pthread_mutex_unlock(&f->lock);
}

void tg_fan_set_limits(struct tg_fan *f, unsigned int decision_ms,
		       unsigned long scan_max)
{
	if (decision_ms)
		f->decision_ms = decision_ms;
	f->scan_max = scan_max;
}

int tg_fan_apply(struct tg_fan *f, const struct tg_registry *r, int links)
{
	struct tg_fan_snap *s = calloc(1, sizeof(*s));
	int err;

	if (!s)
		return -ENOMEM;
	/* Only the main thread changes f->snap: reading it here is safe. */
	err = tg_fan_snap_build(s, r, f->cgroup_root, f->snap);
	if (err)
		goto out_free;
	if (!links && tg_fan_snap_same_roots(s, f->snap))
		return install(f, s, 0);
	/*
	 * A scan for hard links: the new roots go in force first (with the
	 * links known so far, those below the new roots unknown), so that
	 * nothing waits for the scan unprotected (at start, nothing was
	 * marked before).
	 */
	s->links_complete = 0;
	s->links_coming = 1;
	err = install(f, s, 0);
	if (err)
		return err;
	return scan_links(f, r, 0);

out_free:
	tg_fan_snap_free(s);
	return err;
}

int tg_fan_fd(const struct tg_fan *f)
{
	return f->rec_fd;
}

void tg_fan_drain(struct tg_fan *f,
		  int (*cb)(void *ctx, void *data, size_t size), void *ctx)
{
	static struct tg_event ev;
	__u64 cnt;
	size_t len;

	if (read(f->rec_fd, &cnt, sizeof(cnt)) < 0) {
		/* Nothing new: the queue is looked at anyway. */
	}
	for (;;) {
		pthread_mutex_lock(&f->qlock);
		if (!f->qn) {
			pthread_mutex_unlock(&f->qlock);
			return;
		}
		len = TG_EVENT_HDR_LEN + f->q[f->qhead].path_len +
		      f->q[f->qhead].below_len;
		memcpy(&ev, &f->q[f->qhead], len);
		f->qhead = (f->qhead + 1) % TG_FAN_QUEUE;
		f->qn--;
		pthread_mutex_unlock(&f->qlock);
		cb(ctx, &ev, len);
	}
}

void tg_fan_stats(struct tg_fan *f, struct tg_fan_stats *s)
{
	pthread_mutex_lock(&f->lock);
	*s = f->st;
	pthread_mutex_unlock(&f->lock);
	pthread_mutex_lock(&f->qlock);
	s->record_drops = f->qdrops;
	pthread_mutex_unlock(&f->qlock);
}

int tg_fan_drops_news(struct tg_fan *f, __u32 *id, __u64 *n)
{
	__u32 i;
	int found = 0;

	pthread_mutex_lock(&f->qlock);
	for (i = 0; f->qdrops && i < TG_FAN_DROP_SLOTS && !found; i++) {
		if (f->drops_of[i] == f->drops_told[i])
			continue;
		*id = i < TG_FAN_DROP_SLOTS - 1 ? i : TG_OWNER_UNKNOWN;
		*n = f->drops_of[i] - f->drops_told[i];
		found = 1;
	}
	pthread_mutex_unlock(&f->qlock);
	return found;
}

void tg_fan_drops_told(struct tg_fan *f, __u32 id, __u64 n)
{
	pthread_mutex_lock(&f->qlock);
	f->drops_told[drop_slot(id)] += n;
	pthread_mutex_unlock(&f->qlock);
}

__u64 tg_fan_drops_of(struct tg_fan *f, __u32 id)
{
	__u64 n;

	pthread_mutex_lock(&f->qlock);
	n = f->drops_told[drop_slot(id)];
	pthread_mutex_unlock(&f->qlock);
	return n;
}

struct json_object *tg_fan_filesystems_json(struct tg_fan *f)
{
	struct json_object *a;

	pthread_mutex_lock(&f->lock);
	a = tg_fan_fs_json(&f->fs);
	pthread_mutex_unlock(&f->lock);
	return a;
}
