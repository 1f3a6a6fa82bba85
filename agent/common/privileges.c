// SPDX-License-Identifier: GPL-2.0
/* Becoming an unprivileged user: lookup, fs ids, the drop for good. */
#define _GNU_SOURCE
#include <errno.h>
#include <grp.h>
#include <linux/securebits.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/capability.h>
#include <sys/fsuid.h>
#include <sys/prctl.h>
#include <unistd.h>

#include "common/privileges.h"

#define ID_MAX 0xfffffffeUL /* (uid_t)-1 means "unchanged" to the kernel */

int tg_user_lookup(const char *spec, struct tg_user *u)
{
	struct passwd *pw = NULL;
	unsigned long v;
	char *end = NULL;

	memset(u, 0, sizeof(*u));
	if (spec[0] >= '0' && spec[0] <= '9') {
		errno = 0;
		v = strtoul(spec, &end, 10);
		if (errno || *end || v > ID_MAX)
			return -EINVAL;
		u->uid = (uid_t)v;
		u->gid = (gid_t)v;
		pw = getpwuid(u->uid);
	} else {
		pw = getpwnam(spec);
		if (!pw)
			return -ENOENT;
		u->uid = pw->pw_uid;
	}
	if (pw) {
		u->gid = pw->pw_gid;
		u->in_passwd = 1;
	}
	snprintf(u->name, sizeof(u->name), "%s", pw ? pw->pw_name : spec);
	return 0;
}

int tg_fs_identity(uid_t uid, gid_t gid)
{
	if (uid && setgroups(0, NULL))
		return -errno;
	/* Both calls return the old id; an invalid id reads the current. */
	if (uid) {
		setfsgid(gid);
		setfsuid(uid);
	} else {
		setfsuid(uid);
		setfsgid(gid);
	}
	if ((uid_t)setfsuid((uid_t)-1) != uid ||
	    (gid_t)setfsgid((gid_t)-1) != gid)
		return -EPERM;
	return 0;
}

int tg_effective_identity(uid_t uid, gid_t gid)
{
	/* Groups and gid while still root; back, the uid first. */
	if (uid && (setgroups(0, NULL) || setresgid(-1, gid, -1) ||
		    setresuid(-1, uid, -1)))
		return -errno;
	if (!uid && (setresuid(-1, 0, -1) || setresgid(-1, gid, -1)))
		return -errno;
	if (geteuid() != uid || getegid() != gid)
		return -EPERM;
	return 0;
}

int tg_caps_all_clear(void)
{
	cap_t now = cap_get_proc(), none = cap_init();
	int cap, clear = now && none && cap_compare(now, none) == 0;

	for (cap = 0; clear && cap < (int)cap_max_bits(); cap++)
		if (prctl(PR_CAPBSET_READ, cap, 0, 0, 0) != 0 ||
		    prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_IS_SET, cap, 0, 0) !=
			    0)
			clear = 0;
	cap_free(now);
	cap_free(none);
	return clear;
}

/* Whether every uid and gid is the one asked for and root is out of reach. */
static int ids_are(uid_t uid, gid_t gid)
{
	uid_t r, e, s;
	gid_t rg, eg, sg;

	if (getresuid(&r, &e, &s) || getresgid(&rg, &eg, &sg))
		return 0;
	if (r != uid || e != uid || s != uid || rg != gid || eg != gid ||
	    sg != gid || getgroups(0, NULL) != 0)
		return 0;
	/* A uid other than 0 must not get back to it. */
	return uid == 0 || (setuid(0) < 0 && setgid(0) < 0 && geteuid() == uid);
}

static int fail(char *why, size_t len, const char *what)
{
	int err = errno ? -errno : -EPERM;

	snprintf(why, len, "%s: %s", what, strerror(-err));
	return err;
}

int tg_drop_privileges(uid_t uid, gid_t gid, int switch_ids, char *why,
		       size_t len)
{
	unsigned int secbits =
		SECBIT_NOROOT | SECBIT_NOROOT_LOCKED | SECBIT_NO_SETUID_FIXUP |
		SECBIT_NO_SETUID_FIXUP_LOCKED | SECBIT_KEEP_CAPS_LOCKED |
		SECBIT_NO_CAP_AMBIENT_RAISE |
		SECBIT_NO_CAP_AMBIENT_RAISE_LOCKED;
	char what[96];
	cap_t none;
	int cap;

	errno = 0;
	/* uid 0 must not bring capabilities back, through exec or setuid. */
	if (cap_set_secbits(secbits))
		return fail(why, len, "securebits");
	for (cap = 0; cap < (int)cap_max_bits(); cap++)
		if (cap_drop_bound((cap_value_t)cap)) {
			snprintf(what, sizeof(what),
				 "dropping capability %d from the bounding set",
				 cap);
			return fail(why, len, what);
		}
	if (cap_reset_ambient())
		return fail(why, len, "clearing ambient capabilities");
	if (switch_ids && (setgroups(0, NULL) || setresgid(gid, gid, gid) ||
			   setresuid(uid, uid, uid))) {
		snprintf(what, sizeof(what), "switching to uid %u gid %u",
			 (unsigned int)uid, (unsigned int)gid);
		return fail(why, len, what);
	}
	none = cap_init();
	if (!none || cap_set_proc(none)) {
		cap_free(none);
		return fail(why, len, "dropping capabilities");
	}
	cap_free(none);
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0))
		return fail(why, len, "no_new_privs");
	errno = EPERM;
	if (!tg_caps_all_clear())
		return fail(why, len,
			    "capabilities are still held after dropping them");
	if (switch_ids && !ids_are(uid, gid)) {
		snprintf(what, sizeof(what),
			 "uid %u gid %u not in force, or root still reachable",
			 (unsigned int)uid, (unsigned int)gid);
		errno = EPERM;
		return fail(why, len, what);
	}
	return 0;
}
