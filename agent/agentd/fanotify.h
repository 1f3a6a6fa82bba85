/* SPDX-License-Identifier: GPL-2.0 */
/*
 * File isolation without BPF LSM: fanotify permission events on every
 * filesystem holding a tenant's owned path. Opens (read, write, exec,
 * directory listing) are checked; everything in tg_fan_unenforced is not.
 *
 * A thread of its own reads and answers the permission events, so that
 * nothing the agent's main loop does (reloads, the control socket, its own
 * file opens) can keep an opener waiting, and the main loop turns the
 * decisions it reports into events.
 */
#ifndef TG_AGENTD_FANOTIFY_H
#define TG_AGENTD_FANOTIFY_H

#include <stddef.h>
#include <linux/types.h>

#include "policy/registry.h"

struct tg_fan;
struct tg_ratelimit;
struct json_object;

/*
 * What the fanotify backend leaves unenforced, as "file:<op>" (op names of
 * the events), NULL-terminated.
 */
extern const char *const tg_fan_unenforced[];

/* How long a tenant's open may wait for its owner to be known, by default. */
#define TG_FAN_DECISION_MS 500

struct tg_fan_stats {
	__u64 answered;	    /* permission events answered */
	__u64 denied;	    /* of which FAN_DENY */
	__u64 audited;	    /* allowed and reported (audit mode) */
	__u64 failed;	    /* ownership or opener unknown: failure rule */
	__u64 waited;	    /* tenants' opens that waited for a link scan */
	__u64 timed_out;    /* of which refused: not known within the bound */
	__u64 link_scans;   /* scans of the owned trees for links */
	__u64 record_drops; /* decisions not reported: queue full (all) */
	__u64 ignore_marks; /* inode ignore marks set now */
	__u64 cache_hits, cache_misses;
	__u64 dir_renames;	/* directory moves seen (renames watched) */
	__u64 dir_renames_kept; /* of which changed no owner: nothing lost */
	__u64 flush_all;	/* every answer and ignore mark forgotten */
	__u64 flush_host;	/* unowned objects' answers and ignore marks */
	__u64 flush_tenant;	/* one tenant's answers */
	__u64 flush_ignore_limit; /* ignore marks dropped at their limit */
	unsigned int filesystems; /* filesystems marked */
	unsigned int unmarked;	  /* holding tenant paths, not marked */
};

/*
 * Create the fanotify groups and start the answering thread. Each refusal
 * (and audited open) is reported only if its tenant's rate limit in rl
 * admits it (NULL: no limit), else counted as suppressed there. NULL with
 * errno if fanotify permission events are unavailable; err gets the reason.
 */
struct tg_fan *tg_fan_new(const char *cgroup_root,
			  const struct tg_ratelimit *rl, char *err,
			  size_t errlen);

/*
 * Stop answering and close the groups: the kernel allows every event not
 * answered yet, so no opener is left waiting.
 */
void tg_fan_free(struct tg_fan *f);

/*
 * Enforce registry r: mark the filesystems holding owned paths (and unmark
 * those no longer needed), and switch the answering thread to r's owners and
 * cgroups. links: look for hard links below owned roots again (else only
 * when the roots changed). Before such a scan, r's roots go in force with
 * the links known so far. Returns 0 or -errno; on error before that, the
 * previous state stays in force, after it, r without the new links.
 */
int tg_fan_apply(struct tg_fan *f, const struct tg_registry *r, int links);

/*
 * A tenant's open waits at most decision_ms (0: TG_FAN_DECISION_MS) for the
 * owner of a file with several links to be known; a link scan looks at most
 * at scan_max entries (0: its default). Call before tg_fan_apply.
 */
void tg_fan_set_limits(struct tg_fan *f, unsigned int decision_ms,
		       unsigned long scan_max);

/*
 * Scan the owned trees of r for links again if a tenant's open waits for
 * that (call when tg_fan_fd is readable). 0 or -errno.
 */
int tg_fan_rescan_links(struct tg_fan *f, const struct tg_registry *r);

/* Readable when decisions to report are queued, or a link scan is wanted. */
int tg_fan_fd(const struct tg_fan *f);

/*
 * The retired tenants (ids): every open of what they own is refused, to
 * host processes too; only the agent's own opens (its export) pass.
 */
void tg_fan_set_retired(struct tg_fan *f, const __u32 *ids, size_t n);

/*
 * Hand every queued decision to cb as a struct tg_event record (kind file,
 * the path as plain text).
 */
void tg_fan_drain(struct tg_fan *f,
		  int (*cb)(void *ctx, void *data, size_t size), void *ctx);

void tg_fan_stats(struct tg_fan *f, struct tg_fan_stats *s);

/*
 * Decisions not reported because the queue was full, per actor's tenant:
 * 1 and the first tenant id (TG_OWNER_UNKNOWN: an actor that is no tenant
 * id) whose count grew since tg_fan_drops_told, with the growth in n; 0 if
 * none grew.
 */
int tg_fan_drops_news(struct tg_fan *f, __u32 *id, __u64 *n);
/* n more drops of tenant id have been reported. */
void tg_fan_drops_told(struct tg_fan *f, __u32 id, __u64 n);
/* The drops of tenant id reported so far. */
__u64 tg_fan_drops_of(struct tg_fan *f, __u32 id);

/*
 * The filesystems holding owned paths: [{"mount", "dev", "marked",
 * "renames_watched", "reason"}]. NULL on allocation failure.
 */
struct json_object *tg_fan_filesystems_json(struct tg_fan *f);

#endif /* TG_AGENTD_FANOTIFY_H */
