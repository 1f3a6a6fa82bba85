/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What the fanotify backend's answering thread decides with: the owned
 * roots of a registry, the hard links found below them, and the tenant
 * cgroups. Built by the main thread without the backend's lock, then put in
 * force whole.
 */
#ifndef TG_AGENTD_FANOTIFY_SNAPSHOT_H
#define TG_AGENTD_FANOTIFY_SNAPSHOT_H

#include "agentd/fanotify_owner.h"
#include "policy/registry.h"

struct tg_fan_snap {
	struct tg_fo_owned owned;      /* roots and links, finished */
	struct tg_fo_cgroups cgroups;  /* finished */
	int links_complete;	       /* every owned tree scanned whole */
	int links_coming;	       /* a scan follows: links unknown */
	__s64 links_since_ns;	       /* the scan began (CLOCK_REALTIME) */
	__u64 links_gen;	       /* links seen made before the scan */
	struct tg_support_set support; /* the support staff's login uids */
};

/* Free s and what it holds (NULL: nothing). */
void tg_fan_snap_free(struct tg_fan_snap *s);

/*
 * Into s (zeroed): the owned roots of r's tenants in force and their cgroups
 * below cgroup_root (as paths below it), with the pending cgroup; then the
 * hard links recorded in old, if not NULL. 0, -EEXIST (two tenants own one
 * root) or -ENOMEM.
 */
int tg_fan_snap_build(struct tg_fan_snap *s, const struct tg_registry *r,
		      const char *cgroup_root, const struct tg_fan_snap *old);

/*
 * Add to s (built from r) the hard links below every owned directory of r,
 * not entering other owned roots, within max entries looked at (0: the
 * default, 200,000), setting s->links_complete if no tree was left
 * unfinished (limit, error, moved meanwhile). An object below several
 * tenants' roots is TG_OWNER_SHARED (refused to every tenant), unless old
 * (NULL: none) recorded it as one of them's alone: then it stays theirs. An
 * object with a name below an owned root is owned wherever it is opened
 * from, also by a name outside every owned tree (a link made before the
 * policy was loaded): ownership follows the object, as with BPF LSM
 * (agentd/hardlinks.c). 0 or -ENOMEM.
 */
int tg_fan_snap_scan_links(struct tg_fan_snap *s, const struct tg_registry *r,
			   unsigned long max, const struct tg_fan_snap *old);

/* Whether the roots of a and b are the same objects of the same tenants. */
int tg_fan_snap_same_roots(const struct tg_fan_snap *a,
			   const struct tg_fan_snap *b);

#endif /* TG_AGENTD_FANOTIFY_SNAPSHOT_H */
