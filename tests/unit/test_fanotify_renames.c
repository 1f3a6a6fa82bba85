// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests: what a directory move changes for the fanotify backend
 * (agentd/fanotify_renames.c): the scope of a move, and the directory
 * records of notification events, malformed ones included.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "agentd/fanotify_renames.h"
#include "tenantguard/event_abi.h"
#include "tenantguard/map_abi.h"

static void test_scope(void **state)
{
	const struct {
		struct tg_fr_move m;
		enum tg_fr_scope want;
	} cases[] = {
		/* Within one directory: whatever else is known. */
		{{.same_dir = 1, .old_err = -ENOENT}, TG_FR_NONE},
		/* Inside one tenant's tree, inside unowned places. */
		{{.old_owner = 1, .new_owner = 1}, TG_FR_NONE},
		{{.old_owner = TG_TENANT_HOST, .new_owner = TG_TENANT_HOST},
		 TG_FR_NONE},
		/* Into, out of, between tenants' trees. */
		{{.old_owner = TG_TENANT_HOST, .new_owner = 1}, TG_FR_OWNER},
		{{.old_owner = 1, .new_owner = TG_TENANT_HOST}, TG_FR_OWNER},
		{{.old_owner = 1, .new_owner = 2}, TG_FR_OWNER},
		/* The new place unknown: taken to differ. */
		{{.old_owner = 1, .new_owner = 1, .new_err = -ESTALE},
		 TG_FR_OWNER},
		/* The old place unknown: everything. */
		{{.old_err = -ESTALE, .new_owner = 1}, TG_FR_ALL},
		{{.old_err = -ELOOP, .new_err = -ENOENT}, TG_FR_ALL},
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		assert_int_equal(tg_fr_move_scope(&cases[i].m), cases[i].want);
}

/* An event under construction: metadata, then info records. */
struct ev {
	union {
		struct fanotify_event_metadata m;
		unsigned char b[512];
	};
	size_t len;
};

static void ev_init(struct ev *e)
{
	memset(e, 0, sizeof(*e));
	e->m.metadata_len = sizeof(e->m);
	e->len = sizeof(e->m);
	e->m.event_len = (__u32)e->len;
}

/* Append a dir record: fsid, a handle of hlen bytes of hbyte, name. */
static void ev_add(struct ev *e, __u8 type, int fsid, unsigned int hlen,
		   unsigned char hbyte, const char *name)
{
	struct fanotify_event_info_fid *fid = (void *)(e->b + e->len);
	struct file_handle *fh = (struct file_handle *)fid->handle;
	size_t nl = strlen(name) + 1, len;

	len = sizeof(*fid) + sizeof(*fh) + hlen + nl;
	len = (len + 3) & ~(size_t)3;
	assert_true(e->len + len <= sizeof(e->b));
	fid->hdr.info_type = type;
	fid->hdr.len = (__u16)len;
	fid->fsid.val[0] = fsid;
	fh->handle_bytes = hlen;
	fh->handle_type = 1;
	memset(fh->f_handle, hbyte, hlen);
	memcpy(fh->f_handle + hlen, name, nl);
	e->len += len;
	e->m.event_len = (__u32)e->len;
}

static void test_records(void **state)
{
	struct tg_fr_dir from, to, d;
	struct ev e;

	ev_init(&e);
	ev_add(&e, FAN_EVENT_INFO_TYPE_OLD_DFID_NAME, 7, 8, 0xa, "old");
	ev_add(&e, FAN_EVENT_INFO_TYPE_NEW_DFID_NAME, 7, 8, 0xb, "new");
	assert_int_equal(tg_fr_dir_record(&e.m,
					  FAN_EVENT_INFO_TYPE_OLD_DFID_NAME,
					  &from),
			 0);
	assert_string_equal(from.name, "old");
	assert_int_equal(from.fh->handle_bytes, 8);
	assert_int_equal(
		tg_fr_dir_record(&e.m, FAN_EVENT_INFO_TYPE_NEW_DFID_NAME, &to),
		0);
	assert_string_equal(to.name, "new");
	assert_false(tg_fr_same_dir(&from, &to));
	assert_true(tg_fr_same_dir(&from, &from));
	assert_int_equal(
		tg_fr_dir_record(&e.m, FAN_EVENT_INFO_TYPE_DFID_NAME, &d),
		-ENOENT);

	/* Same handle on another filesystem: another directory. */
	ev_init(&e);
	ev_add(&e, FAN_EVENT_INFO_TYPE_OLD_DFID_NAME, 7, 8, 0xa, "x");
	ev_add(&e, FAN_EVENT_INFO_TYPE_NEW_DFID_NAME, 8, 8, 0xa, "x");
	assert_int_equal(tg_fr_dir_record(&e.m,
					  FAN_EVENT_INFO_TYPE_OLD_DFID_NAME,
					  &from),
			 0);
	assert_int_equal(
		tg_fr_dir_record(&e.m, FAN_EVENT_INFO_TYPE_NEW_DFID_NAME, &to),
		0);
	assert_false(tg_fr_same_dir(&from, &to));

	/* Cut short: the record's name past the event's end. */
	ev_init(&e);
	ev_add(&e, FAN_EVENT_INFO_TYPE_DFID_NAME, 7, 8, 0xa, "name");
	e.m.event_len -= 8;
	assert_int_equal(
		tg_fr_dir_record(&e.m, FAN_EVENT_INFO_TYPE_DFID_NAME, &d),
		-ENOENT);

	/* A handle longer than its record. */
	ev_init(&e);
	ev_add(&e, FAN_EVENT_INFO_TYPE_DFID_NAME, 7, 8, 0xa, "name");
	((struct file_handle *)((struct fanotify_event_info_fid *)(e.b +
								   sizeof(e.m)))
		 ->handle)
		->handle_bytes = 200;
	assert_int_equal(
		tg_fr_dir_record(&e.m, FAN_EVENT_INFO_TYPE_DFID_NAME, &d),
		-ENOENT);

	/* A name without its NUL within the record. */
	ev_init(&e);
	ev_add(&e, FAN_EVENT_INFO_TYPE_DFID_NAME, 7, 4, 0xa, "abc");
	memset(e.b + e.len - 4, 'z', 4);
	assert_int_equal(
		tg_fr_dir_record(&e.m, FAN_EVENT_INFO_TYPE_DFID_NAME, &d),
		-ENOENT);

	/* A record header of length 0 ends the search. */
	ev_init(&e);
	e.len += sizeof(struct fanotify_event_info_header);
	e.m.event_len = (__u32)e.len;
	assert_int_equal(
		tg_fr_dir_record(&e.m, FAN_EVENT_INFO_TYPE_DFID_NAME, &d),
		-ENOENT);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_scope),
		cmocka_unit_test(test_records),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
