/* SPDX-License-Identifier: GPL-2.0 */
#ifndef TG_AGENTD_GUARD_H
#define TG_AGENTD_GUARD_H

/*
 * Self-protection (bpf/guard.bpf.c), the agent's side: which processes
 * are guarded (the agent, the collector at the other end of the event
 * socket) and which objects are protected (the BPF pin directory, the
 * event log and its directory, the spool, the policy file and drop-ins),
 * written into the guard object's maps.
 */
#include <stddef.h>
#include <sys/types.h>
#include <linux/types.h>

#include "agentd/policy_maps.h"
#include "tenantguard/guard_abi.h"

/* How a path is protected. */
enum tg_guard_what {
	TG_GUARD_OBJECT,    /* the object itself */
	TG_GUARD_DIRECTORY, /* a directory and its entries */
	/*
	 * Closed to support staff only (TG_GUARD_F_DELEGATE*): a unix socket
	 * (no connect), a directory (no entry written), a file (not written).
	 */
	TG_GUARD_DELEGATE,
};

struct tg_guard_path {
	const char *path;
	enum tg_guard_what what;
};

/* What the agent put into the guard object's maps. */
struct tg_guard_maps {
	int procs_fd;		  /* guarded_procs, -1 if not loaded */
	int inodes_fd;		  /* guarded_inodes, -1 if not loaded */
	pid_t collector;	  /* guarded as the collector, 0 none */
	int peer_err;		  /* the last failure to guard it, 0 none */
	struct tg_kv_set inodes;  /* what guarded_inodes holds */
	unsigned int protected_n; /* paths protected */
	unsigned int missing;	  /* paths that do not exist */
	unsigned int delegate_n;  /* delegation paths closed to support */
	unsigned int delegate_missing; /* those that do not exist */
};

/*
 * The host daemons' doors through which support staff could have work
 * done under another identity: their sockets and spools (NULL-ended).
 */
extern const struct tg_guard_path tg_guard_delegation[];

/* "CAP_SYS_MODULE" for 16, NULL for a number unknown here. */
const char *tg_cap_name(unsigned int cap);

/* The checks by name (event "check" field), index enum tg_guard_check. */
const char *tg_guard_check_name(unsigned int check);

/*
 * The guarded_inodes rows for paths (n of them) into out (initialised,
 * struct tg_inode_key -> struct tg_guard_inode, sorted): each existing
 * path, TG_GUARD_F_SELF (and TG_GUARD_F_CHILDREN for a directory), its
 * ancestors TG_GUARD_F_ANCESTOR, its filesystem TG_GUARD_F_DEVICE (key
 * with ino 0); flags of one inode merged. Paths that do not exist are
 * counted in *missing. 0 or -errno.
 */
int tg_guard_rows(const struct tg_guard_path *paths, size_t n,
		  struct tg_kv_set *out, unsigned int *missing);

void tg_guard_init(struct tg_guard_maps *g, int procs_fd, int inodes_fd);
void tg_guard_free(struct tg_guard_maps *g);

/* Whether the guard object is loaded. */
static inline int tg_guard_loaded(const struct tg_guard_maps *g)
{
	return g->procs_fd >= 0;
}

/* Guard process pid (pinned by pidfd, or -1: none). 0 or -errno. */
int tg_guard_process(struct tg_guard_maps *g, pid_t pid, int pidfd);

/*
 * Guard the process at the other end of the connected unix socket sock
 * (the collector) in place of the last one. 0 or -errno.
 */
int tg_guard_peer(struct tg_guard_maps *g, int sock);

/* Make guarded_inodes protect exactly paths. 0 or -errno. */
int tg_guard_protect(struct tg_guard_maps *g, const struct tg_guard_path *paths,
		     size_t n);

#endif /* TG_AGENTD_GUARD_H */
