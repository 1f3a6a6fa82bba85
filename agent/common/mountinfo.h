/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The one reader of mountinfo files (proc(5), /proc/self/mountinfo): one
 * line per mount,
 *   ID PARENT MAJOR:MINOR ROOT MOUNT_POINT OPTIONS [OPTIONAL...] -
 *   FSTYPE SOURCE SUPER_OPTIONS
 * with space, tab, newline and backslash in ROOT, MOUNT_POINT, FSTYPE and
 * SOURCE written as octal escapes (\040 for a space).
 */
#ifndef TG_COMMON_MOUNTINFO_H
#define TG_COMMON_MOUNTINFO_H

#define TG_MOUNTINFO_LINE_MAX 262144 /* longer lines are skipped */

/* One mount; the strings point into the line parsed. */
struct tg_mount {
	unsigned int id;	   /* mount id */
	unsigned int parent;	   /* the parent mount's id */
	unsigned int major, minor; /* of st_dev of files on the mount */
	const char *root;	   /* the filesystem's directory it shows */
	const char *point;	   /* where it is mounted */
	const char *options;	   /* per-mount options, "rw,nosuid" */
	const char *optional;	   /* "shared:7 master:1", or "" */
	const char *fstype;	   /* "ext4", "fuse.sshfs" */
	const char *source;	   /* "/dev/sda1", "none" */
	const char *super_options; /* per-superblock options, as written */
};

/*
 * Parse one mountinfo line (with or without its newline) in place, undoing
 * the escapes of root, point, fstype and source. 0, or -EINVAL if the line
 * is not a mountinfo line.
 */
int tg_mountinfo_parse(char *line, struct tg_mount *m);

/*
 * Call fn for each mount listed in the mountinfo file at path, in order;
 * lines that do not parse, and lines over TG_MOUNTINFO_LINE_MAX bytes, are
 * skipped. m is valid only during the call. fn returns 0 to go on; any other
 * value ends the reading and is returned. Returns 0 when every mount was
 * seen, that value, or -errno if the file cannot be read.
 */
int tg_mountinfo_each(const char *path,
		      int (*fn)(void *ctx, const struct tg_mount *m),
		      void *ctx);

/* Whether the comma-separated option list opts holds option opt. */
int tg_mount_option(const char *opts, const char *opt);

#endif /* TG_COMMON_MOUNTINFO_H */
