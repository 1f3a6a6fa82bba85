/* SPDX-License-Identifier: GPL-2.0 */
#ifndef TG_AGENTD_BPF_LOADER_H
#define TG_AGENTD_BPF_LOADER_H

#include <stddef.h>
#include <linux/types.h>

#include "agentd/pins.h"
#include "agentd/policy_maps.h"
#include "agentd/hardlinks.h"
#include "agentd/ratelimit.h"
#include "common/kfeatures.h"
#include "policy/registry.h"

struct tg_net;
struct tg_file;
struct tg_unix;
struct tg_guard;
struct tg_proc;
struct ring_buffer;

/* What enforces a feature on this kernel. */
enum tg_backend {
	TG_BACKEND_NONE = 0,
	TG_BACKEND_BPF_LSM,
	TG_BACKEND_CGROUP_BPF,
	TG_BACKEND_FANOTIFY, /* file opens only: agent/fanotify.h */
};

struct tg_bpf_opts {
	const char *attach_cgroup; /* cgroup v2 dir for cgroup programs */
	__u32 ringbuf_size;	   /* bytes, power of two >= page size */
	__u64 host_netns;	   /* cookie of the agent's network namespace */
	const char *no_file_lsm;   /* if set: do not try BPF LSM, and why */
	struct tg_pins *pins;	   /* where the set is pinned (opened) */
	int (*on_event)(void *ctx, void *data, size_t size);
	void *ctx;
};

/* What the start found pinned and what it did with it. */
struct tg_pin_stats {
	int adopted;	       /* a pinned set was taken over */
	int upgraded;	       /* ... from another build */
	__u32 gen_adopted;     /* policy generation found in force */
	unsigned int replaced; /* links moved in place to a new program */
	unsigned int attached; /* links made (no pinned one) */
	unsigned int swapped;  /* LSM links: new attached, then old detached */
	unsigned int removed;  /* links of programs this build has not */
	unsigned int kept;     /* links of objects that did not load now */
	unsigned int maps_reused, maps_new, frozen;
};

/* The double-buffered policy maps. */
enum tg_policy_map {
	TG_PM_CGROUPS,
	TG_PM_ROOTS,
	TG_PM_PAIRS,
	TG_PM_RESERVED,
	TG_PM_NETS,
	TG_PM_COUNT
};

struct tg_bpf {
	struct tg_net *net;
	struct tg_file *file;
	struct tg_unix *unix_obj;
	struct tg_guard *guard_obj; /* self-protection (agentd/guard.h) */
	struct tg_proc *proc_obj;   /* process isolation */
	struct ring_buffer *rb;
	int cgroup_fd;
	enum tg_backend file_backend;
	enum tg_backend net_backend;
	enum tg_backend unix_backend;  /* unix sockets, foreign sockets */
	enum tg_backend guard_backend; /* self-protection */
	enum tg_backend proc_backend;  /* process isolation */
	char file_reason[256];	       /* why file isolation is unavailable */
	char unix_reason[256];	       /* why unix isolation is unavailable */
	char guard_reason[256];	       /* why self-protection is unavailable */
	char proc_reason[256];	   /* why process isolation is unavailable */
	char families_reason[256]; /* why socket families other than inet
				      and inet6 are not checked ("" if they
				      are: tg_socket_family attached) */
	int inner[TG_PM_COUNT][2]; /* inner map fds per slot, -1 if none */
	struct tg_kv_set mirror[TG_PM_COUNT][2]; /* what each holds */
	__u32 gen;		   /* policy generation in force */
	struct tg_links links;	   /* hard-linked objects below roots */
	struct tg_rl_maps rl_maps; /* the rate limit maps, once loaded */
	struct tg_pins *pins;
	__u64 stamp;		   /* this program set's generation */
	__u8 build_id[32];	   /* BLAKE2b of the objects' ELF images */
	int stale[TG_PM_COUNT][2]; /* adopted slot: content unknown */
	struct tg_pin_stats ps;
};

struct tg_apply_stats {
	long changes;		       /* keys written or deleted */
	unsigned int missing_paths;    /* owned paths that do not exist */
	unsigned int link_scan_errors; /* roots whose link scan stopped early */
};

const char *tg_backend_name(enum tg_backend b);

/* The file operations backend b enforces (event op names), NULL-terminated. */
const char *const *tg_file_ops(enum tg_backend b);

/* tg_bpf_lsm_active: common/kfeatures.h. */

/* The build id of this agent's BPF objects. */
void tg_bpf_build_id(__u8 out[32]);

/*
 * Load and attach everything the kernel allows, pinned below o->pins: maps
 * already pinned are reused; links already pinned get the new programs in
 * place (cgroup links) or are replaced by new links attached first (LSM).
 * Nothing pinned is detached on failure: the set in force stays. Network
 * programs are required; file programs and unix socket programs are optional
 * and their absence is explained in b->file_reason and b->unix_reason. On
 * failure nothing stays loaded or attached; err gets a one-line reason in why
 * (len bytes).
 */
int tg_bpf_start(struct tg_bpf *b, const struct tg_bpf_opts *o, char *why,
		 size_t len);
/* Close everything; pinned programs and maps stay in force. */
void tg_bpf_stop(struct tg_bpf *b);

/*
 * Compile the registry into the policy slot not in force, then switch to it
 * in one write of policy_gen. On failure the policy in force is untouched.
 */
int tg_bpf_apply(struct tg_bpf *b, const struct tg_registry *r,
		 struct tg_apply_stats *st);

/* The trie of the local routing table (see map_abi.h, local_routes.h). */
/* The grant maps (docs/grants.md): their descriptors, -1 when not loaded. */
enum { TG_BPF_GRANTS, TG_BPF_GRANT_SCOPES, TG_BPF_GRANT_SESSIONS };
int tg_bpf_grant_fd(const struct tg_bpf *b, int which);
int tg_bpf_local_routes_fd(const struct tg_bpf *b);
/* The counter of changes that void cached verdicts (see net.bpf.c). */
int tg_bpf_net_epoch_fd(const struct tg_bpf *b);

/*
 * A new socket iterator fd (TCP, or UDP if udp) over the caller's current
 * network namespace that tags the sockets made before the agent started
 * (see net.bpf.c); read it to the end. -errno on failure.
 */
int tg_bpf_seed_iter(struct tg_bpf *b, int udp);
/* Detach the seeding iterators. */
void tg_bpf_seed_done(struct tg_bpf *b);

/* The fd of the guard object's map by name; -1 if it is not loaded. */
int tg_bpf_guard_fd(const struct tg_bpf *b, const char *map);

/* Ring buffer records lost in the kernel so far (all CPUs). */
__u64 tg_bpf_event_drops(struct tg_bpf *b);

#endif /* TG_AGENTD_BPF_LOADER_H */
