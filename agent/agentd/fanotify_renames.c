// SPDX-License-Identifier: GPL-2.0
/* What a directory move changes, for the fanotify backend's answers. */
#define _GNU_SOURCE
#include <errno.h>
#include <string.h>

#include "agentd/fanotify_renames.h"

int tg_fr_dir_record(const struct fanotify_event_metadata *m, __u8 type,
		     struct tg_fr_dir *d)
{
	const char *p = (const char *)m + m->metadata_len;
	const char *end = (const char *)m + m->event_len;

	while (p + sizeof(struct fanotify_event_info_header) <= end) {
		const struct fanotify_event_info_fid *fid = (const void *)p;
		const struct fanotify_event_info_header *h = &fid->hdr;
		const char *rend = p + h->len, *name;
		const struct file_handle *fh;

		if (h->len < sizeof(*h) || rend > end)
			return -ENOENT;
		if (h->info_type != type) {
			p = rend;
			continue;
		}
		fh = (const struct file_handle *)fid->handle;
		if (h->len < sizeof(*fid) + sizeof(*fh) ||
		    (const char *)fh->f_handle + fh->handle_bytes >= rend)
			return -ENOENT;
		name = (const char *)fh->f_handle + fh->handle_bytes;
		if (!memchr(name, '\0', (size_t)(rend - name)))
			return -ENOENT;
		d->fsid = &fid->fsid;
		d->fh = fh;
		d->name = name;
		return 0;
	}
	return -ENOENT;
}

int tg_fr_same_dir(const struct tg_fr_dir *a, const struct tg_fr_dir *b)
{
	return !memcmp(a->fsid, b->fsid, sizeof(*a->fsid)) &&
	       a->fh->handle_type == b->fh->handle_type &&
	       a->fh->handle_bytes == b->fh->handle_bytes &&
	       !memcmp(a->fh->f_handle, b->fh->f_handle, a->fh->handle_bytes);
}

enum tg_fr_scope tg_fr_move_scope(const struct tg_fr_move *m)
{
	if (m->same_dir)
		return TG_FR_NONE;
	if (m->old_err)
		return TG_FR_ALL;
	if (!m->new_err && m->new_owner == m->old_owner)
		return TG_FR_NONE;
	return TG_FR_OWNER;
}
