/* SPDX-License-Identifier: GPL-2.0 */
#ifndef TG_AGENTD_POLICY_MAPS_H
#define TG_AGENTD_POLICY_MAPS_H

#include <stddef.h>
#include <sys/stat.h>

#include "policy/registry.h"
#include "tenantguard/map_abi.h"

/* The key of the inode st describes, as the BPF programs see it. */
struct tg_inode_key tg_inode_key_of(const struct stat *st);

/* The full content of one BPF hash map: rows of key then value, sorted. */
struct tg_kv_set {
	size_t ksz, vsz;
	size_t n, cap;
	unsigned char *rows;
};

void tg_kv_init(struct tg_kv_set *s, size_t ksz, size_t vsz);
void tg_kv_free(struct tg_kv_set *s);
int tg_kv_add(struct tg_kv_set *s, const void *key, const void *val);
/* Sort rows by key, drop repeated rows; -EEXIST if a key has two values. */
int tg_kv_finish(struct tg_kv_set *s);

/* What the registry's present tenants put in each policy map. */
struct tg_compiled {
	struct tg_kv_set cgroups;  /* __u64 cgroup id -> struct tg_tenant */
	struct tg_kv_set roots;	   /* struct tg_inode_key -> struct tg_owner */
	struct tg_kv_set pairs;	   /* struct tg_pair_key -> __u8 */
	struct tg_kv_set reserved; /* __u32 TG_PORT_KEY -> __u32 tenant */
	struct tg_kv_set nets;	   /* struct tg_net_key -> __u32 tenant */
	struct tg_support_set support; /* support_uids' value */
	unsigned int missing_paths;    /* owned paths that do not exist (yet) */
};

void tg_compiled_init(struct tg_compiled *c);
void tg_compiled_free(struct tg_compiled *c);
int tg_compile(const struct tg_registry *r, struct tg_compiled *c);

/* Write every row of s into the BPF map fd (batched); 0 or -errno. */
int tg_kv_write(int fd, const struct tg_kv_set *s);

/*
 * Make the BPF hash map fd hold exactly target, given that it holds mirror
 * now: only the differences are written. On success mirror becomes a copy of
 * target. Returns the number of keys written or deleted, or -errno.
 */
long tg_kv_sync(int fd, struct tg_kv_set *mirror,
		const struct tg_kv_set *target);

#endif /* TG_AGENTD_POLICY_MAPS_H */
