/* SPDX-License-Identifier: GPL-2.0 */
#ifndef TG_AGENTD_PINS_H
#define TG_AGENTD_PINS_H

#include <limits.h>
#include <stddef.h>
#include <linux/types.h>

/*
 * The pin directory: what keeps enforcing while no agent runs.
 *
 *   DIR/meta         the set's metadata (struct tg_meta), written in place
 *                    by the agent through a shared mapping
 *   DIR/maps/NAME    every map of the BPF objects, by its name
 *   DIR/links/O_PROG the link attaching program PROG of object O
 *   DIR/agent/NAME   what the agent must find again after a restart: the
 *                    tenant ids, the counts already reported, the ports it
 *                    reserved
 *
 * A stop (SIGTERM, kill -9, a crash) leaves all of it; only --detach
 * (tg_pins_detach) removes it, and with it every check.
 */

#define TG_PIN_DIR_DEFAULT "/sys/fs/bpf/tenantguard"

/* Value of DIR/meta (one entry). Changing it changes TG_LAYOUT_VERSION. */
struct tg_meta {
	__u32 layout;		 /* TG_LAYOUT_VERSION of the pinned set */
	__u32 event_version;	 /* TG_EVENT_VERSION its programs write */
	__u8 build_id[32];	 /* BLAKE2b of the programs loaded */
	__u64 stamp;		 /* program set generation, 1.. */
	__u64 attach_cgroup_id;	 /* cgroup the network links are on */
	__s64 created_real_ns;	 /* CLOCK_REALTIME of the first start */
	__s64 started_real_ns;	 /* start of the agent that wrote last */
	__s64 heartbeat_real_ns; /* its last heartbeat */
	__u64 heartbeat_drops;	 /* kernel drops counted at that heartbeat */
	__u64 ring_read;	 /* ring buffer records it read, in total */
	__u64 starts;		 /* agents started on this set */
	__u32 agent_pid;	 /* the agent that wrote last */
	__u32 stopped;		 /* 1: it stopped cleanly (SIGTERM) */
	__s64 stopped_real_ns;	 /* when it stopped cleanly */
	__u8 upgraded_from[32];	 /* build id replaced at this start */
	__u64 agent_starttime;	 /* its start time (/proc/PID/stat) */
	__u64 sink_stream;	 /* its event stream id */
	__u64 sink_last_seq;	 /* agent_seq of the last event it queued */
	__u64 pad;
};

#define TG_PINS_IDS_MAX 16385 /* entries of DIR/agent/tenant_ids */

/* Value of DIR/agent/tenant_ids (key: __u32 tenant id). */
struct tg_pinned_tenant {
	char name[64]; /* "" if the id is unused */
	__u32 flags;   /* TG_PINNED_ZEROCONF */
	__u32 pad;
};
#define TG_PINNED_ZEROCONF 0x1

enum tg_agent_map {
	TG_AM_TENANT_IDS, /* struct tg_pinned_tenant by id */
	TG_AM_RL_COUNTS,  /* per-CPU tg_tenant_counts reported, by id */
	TG_AM_RL_SUPP,	  /* u64 reported, by tg_suppress_key */
	TG_AM_RESPORTS,	  /* the port bitmap the agent added */
	TG_AM_COUNT
};

struct tg_pins {
	char dir[PATH_MAX];
	int meta_fd;
	struct tg_meta *meta; /* shared mapping of DIR/meta */
	struct tg_meta prev;  /* DIR/meta as found; zero if new */
	int found;	      /* a pinned set was there */
	int am_fd[TG_AM_COUNT];
};

/*
 * Open (or make) the pin directory dir on a bpffs. Refuses (-EEXIST, -EBUSY,
 * -EPROTO...) a directory another agent serves or whose layout is not this
 * build's; why then says what to do. The pinned set is not touched.
 */
int tg_pins_open(struct tg_pins *p, const char *dir, char *why, size_t len);
void tg_pins_close(struct tg_pins *p);

/* DIR/sub/name into out; -ENAMETOOLONG if it does not fit. */
int tg_pins_path(const struct tg_pins *p, const char *sub, const char *name,
		 char *out, size_t len);

/*
 * Whether the map of fd has this type, key and value size and entries:
 * 1, 0 if not, -errno if fd cannot be asked.
 */
int tg_pins_map_shape_is(int fd, __u32 type, __u32 key, __u32 value, __u32 max);

/* Whether a link pin DIR/links/name exists. */
int tg_pins_has_link(const struct tg_pins *p, const char *name);

/* What tg_pins_detach removed. */
struct tg_detach_stats {
	unsigned int links, maps, agent_maps;
	__u8 build_id[32];
	__u64 stamp;
	int found;
};

/*
 * Remove every pin below dir (links first: the programs detach as the last
 * reference goes), then the directory. Refuses while an agent serves it.
 */
int tg_pins_detach(const char *dir, struct tg_detach_stats *st, char *why,
		   size_t len);

/* Build id as 64 hex digits and a NUL. */
void tg_build_id_hex(const __u8 id[32], char out[65]);

/* Whether the agent m names still runs (pid and start time). */
int tg_pins_agent_alive(const struct tg_meta *m);

#endif /* TG_AGENTD_PINS_H */
