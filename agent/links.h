/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Objects hard-linked below owned roots. A hard link is a second name for
 * the same inode anywhere on the filesystem, possibly outside every owned
 * tree (made before the policy was loaded, or by a host process): the BPF
 * side only sees the name it is reached by. Every object with more than one
 * link found below a root is therefore recorded as an owned object of its
 * own, so that each of its names leads to the same owner.
 */
#ifndef TG_LINKS_H
#define TG_LINKS_H

#include "compile.h"
#include "tenants.h"
#include "tenantguard/map_abi.h"

/*
 * Scans are made once per root (device + inode) for the agent's lifetime:
 * links made later by tenants to another tenant's objects are refused by
 * the kernel, so only a new root needs a new scan.
 */
struct tg_links {
	struct tg_kv_set scanned;	/* struct tg_inode_key of scanned roots */
	struct tg_kv_set found;		/* struct tg_link_row, sorted */
	unsigned long visited;		/* directory entries looked at, total */
	unsigned int errors;		/* roots whose scan stopped early */
};

void tg_links_init(struct tg_links *l);
void tg_links_free(struct tg_links *l);

/*
 * Scan every owned path of r's tenants not scanned before, then add to
 * c->roots (already finished by tg_compile) each object found below a root
 * that c->roots holds, owned by that root's tenant, or by TG_OWNER_SHARED if
 * it is below the roots of several tenants. An object that is itself a root
 * keeps its root's owner. Returns 0, -ENOMEM or -E2BIG.
 */
int tg_links_apply(struct tg_links *l, const struct tg_registry *r,
		   struct tg_compiled *c);

/*
 * Record below root (whose key is rkey) every non-directory with more than
 * one link, not crossing into other filesystems and at most
 * TG_MAX_PATH_DEPTH deep, as rows of l->found (unsorted). 0 or -errno; what
 * was found before an error stays recorded.
 */
int tg_links_scan(struct tg_links *l, const char *root,
		  const struct tg_inode_key *rkey);

#endif /* TG_LINKS_H */
