/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What a change of the directory tree can change in the fanotify backend's
 * answers. An object's owner is the nearest owned root above it (or the
 * object itself, by device and inode), so a directory moved from one place
 * to another changes the owner of what lies below it, up to the next owned
 * root, from the old place's owner to the new place's, and nothing else.
 * Only the answers naming the old place's owner can be wrong afterwards.
 */
#ifndef TG_AGENTD_FANOTIFY_RENAMES_H
#define TG_AGENTD_FANOTIFY_RENAMES_H

#include <fcntl.h>
#include <sys/fanotify.h>
#include <linux/types.h>

/* A directory and a name in it, as a notification event reports them. */
struct tg_fr_dir {
	const __kernel_fsid_t *fsid;
	const struct file_handle *fh; /* the directory's handle */
	const char *name;	      /* NUL-terminated, within the event */
};

/*
 * The info record of type (FAN_EVENT_INFO_TYPE_DFID_NAME, _OLD_DFID_NAME or
 * _NEW_DFID_NAME) of event m into *d. 0, or -ENOENT if m has no such record
 * or it is malformed (its handle or name past the record's end).
 */
int tg_fr_dir_record(const struct fanotify_event_metadata *m, __u8 type,
		     struct tg_fr_dir *d);

/* Whether a and b are the same directory (same filesystem and handle). */
int tg_fr_same_dir(const struct tg_fr_dir *a, const struct tg_fr_dir *b);

/* What a directory move makes the backend forget. */
enum tg_fr_scope {
	TG_FR_NONE,  /* no owner changes: nothing */
	TG_FR_OWNER, /* the answers naming the old place's owner */
	TG_FR_ALL,   /* everything: the old place's owner is unknown */
};

/* A directory move, as far as it could be looked at. */
struct tg_fr_move {
	int same_dir;	 /* renamed within one directory */
	int old_err;	 /* the old place's owner not found (-errno) */
	__u32 old_owner; /* else its owner (TG_TENANT_HOST: none) */
	int new_err;	 /* the new place's owner not found (-errno) */
	__u32 new_owner; /* else its owner */
};

/*
 * The scope of move m. Nothing for a rename within one directory or between
 * places of one owner; else the old owner's answers, or all of them when
 * the old owner is unknown. A new owner that is unknown is taken to differ.
 * (An owned root moved between owners keeps what lies below it: forgetting
 * the old owner's answers then costs lookups, never a wrong answer.)
 */
enum tg_fr_scope tg_fr_move_scope(const struct tg_fr_move *m);

#endif /* TG_AGENTD_FANOTIFY_RENAMES_H */
