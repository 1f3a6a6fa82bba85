/* SPDX-License-Identifier: GPL-2.0 */
#ifndef TG_COMMON_MANIFEST_H
#define TG_COMMON_MANIFEST_H

/*
 * The manifest of a tenant's export (docs/offboarding.md): one canonical
 * JSON object (keys sorted by byte, no whitespace, integers without sign,
 * fraction or leading zero, strings escaped as RFC 8785 does), naming the
 * tenant, the host, the owned paths exported and every member of the
 * archive: its path (the member's name), type, mode, mtime, size, and for
 * a file the SHA-256 of its bytes, for a symbolic link its target; then
 * the totals. A manifest is accepted only when its bytes are exactly the
 * canonical form of what they say. The host's Ed25519 key signs those
 * bytes (detached).
 */
#include <stddef.h>
#include <linux/types.h>

#define TG_MANIFEST_TYPE    "tenantguard-export-manifest"
#define TG_MANIFEST_VERSION 1
#define TG_MANIFEST_MAX	    (256u << 20) /* bytes of one manifest */
#define TG_MANIFEST_PATH    4096	 /* bytes of a member's name */

enum tg_manifest_type {
	TG_MANIFEST_FILE,
	TG_MANIFEST_DIR,
	TG_MANIFEST_SYMLINK,
};

struct tg_manifest_entry {
	char *path;	 /* the member's name: an absolute path without '/' */
	int type;	 /* enum tg_manifest_type */
	__u32 mode;	 /* permission bits, 07777 at most */
	__u64 mtime;	 /* unix seconds */
	__u64 size;	 /* bytes; 0 but for a file */
	char sha256[65]; /* a file's, lowercase hex; "" otherwise */
	char *target;	 /* a symbolic link's, else NULL */
};

struct tg_manifest {
	char tenant[64];
	char host[256];
	__u64 created; /* unix seconds */
	char **roots;  /* the owned paths exported, sorted */
	unsigned int n_roots;
	struct tg_manifest_entry *v; /* sorted by path once written */
	size_t n, cap;
	__u64 total_files, total_bytes; /* files (not dirs, links); bytes */
};

/* An entry's type by name, or -1. */
int tg_manifest_type_parse(const char *s);
const char *tg_manifest_type_name(int type);

/* A copy of e appended (path and target copied): 0, or -ENOMEM. */
int tg_manifest_add(struct tg_manifest *m, const struct tg_manifest_entry *e);
/* A copy of root appended to the roots: 0, or -ENOMEM. */
int tg_manifest_add_root(struct tg_manifest *m, const char *root);

/*
 * The canonical bytes of m (entries and roots sorted first, the totals
 * counted) into *out (malloc'd, NUL-terminated, no trailing newline) and
 * *len: 0, -EINVAL (a path or name is no valid UTF-8, or two members
 * share a path: named in err) or -ENOMEM.
 */
int tg_manifest_write(struct tg_manifest *m, char **out, size_t *len, char *err,
		      size_t errlen);

/*
 * Parse buf (len bytes; one trailing newline allowed) into m: 0, or
 * -EINVAL with the reason in err, also when the bytes are not the
 * canonical form of what they say.
 */
int tg_manifest_parse(const char *buf, size_t len, struct tg_manifest *m,
		      char *err, size_t errlen);

/* The entry of path (m sorted: written or parsed), or NULL. */
struct tg_manifest_entry *tg_manifest_find(const struct tg_manifest *m,
					   const char *path);

void tg_manifest_free(struct tg_manifest *m);

#endif /* TG_COMMON_MANIFEST_H */
