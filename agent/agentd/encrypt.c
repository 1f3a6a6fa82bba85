// SPDX-License-Identifier: GPL-2.0
/*
 * tenant-encrypt: an empty directory below a tenant's owned path made an
 * fscrypt v2 directory with the tenant's own 64-byte key, which the agent
 * makes once (libsodium), keeps in its state directory (keys/T.key, 0600)
 * and adds to the directory's filesystem; the directories are recorded
 * (encrypted.json) so that each start adds the keys again (after a reboot
 * the filesystems hold none). tenant-erase removes the keys from the
 * filesystems (the cryptographic erase, checked for files still open),
 * then the key file (agent_encrypted_*). Every step is an event.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <limits.h>
#include <linux/openat2.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "agentd/agent.h"
#include "agentd/event_text.h"
#include "common/cgroupfs.h"
#include "common/chain.h"
#include "common/control.h"
#include "common/fscrypt.h"
#include "common/log.h"
#include "common/private_dir.h"
#include "common/text.h"

#define KEYS	      "keys"
#define ENCRYPTED     "encrypted.json"
#define ENCRYPTED_TMP "encrypted.json.tmp"
#define ENCRYPTED_MAX (1u << 20) /* bytes of the record */
#define REMOVE_PASSES 4		 /* key removals again while files are busy */

/* One step's event: kind tenant, op, the directory and key; error or not. */
static void key_event(struct agent *a, const char *tenant, const char *op,
		      const char *dir, const char *key_id, const char *error,
		      const char *message)
{
	struct agent_by by;
	struct json_object *o;

	o = tg_tenant_event(&a->fmt, op, error ? "deny" : "allow", tenant,
			    a->peer ? (__u32)a->peer->pid : (__u32)getpid(),
			    a->peer ? a->peer->comm : "tenantguard-age");
	if (!o)
		return;
	agent_by_peer(a, &by);
	if (by.asked)
		agent_by_json(&by, o);
	json_object_object_add(o, "ok", json_object_new_boolean(!error));
	if (dir)
		json_object_object_add(o, "dir", json_object_new_string(dir));
	if (key_id && key_id[0])
		json_object_object_add(o, "key_id",
				       json_object_new_string(key_id));
	if (error)
		json_object_object_add(o, "error",
				       json_object_new_string(error));
	if (message)
		json_object_object_add(o, "message",
				       json_object_new_string(message));
	agent_emit(a, o);
}

static void id_hex(const unsigned char id[TG_FSCRYPT_ID_SIZE],
		   char hex[TG_FSCRYPT_ID_HEX + 1])
{
	tg_chain_hex(id, TG_FSCRYPT_ID_SIZE, hex);
}

static int id_parse(const char *hex, unsigned char id[TG_FSCRYPT_ID_SIZE])
{
	size_t n = 0;

	if (strlen(hex) != TG_FSCRYPT_ID_HEX ||
	    sodium_hex2bin(id, TG_FSCRYPT_ID_SIZE, hex, TG_FSCRYPT_ID_HEX, NULL,
			   &n, NULL) ||
	    n != TG_FSCRYPT_ID_SIZE)
		return -EINVAL;
	return 0;
}

/* The filesystem's id (statfs f_fsid) as hex: 0 or -errno. */
static int fs_id(int fd, char out[17])
{
	struct statfs s;

	if (fstatfs(fd, &s) < 0)
		return -errno;
	snprintf(out, 17, "%08x%08x", (unsigned int)s.f_fsid.__val[0],
		 (unsigned int)s.f_fsid.__val[1]);
	return 0;
}

/* path opened as a directory, no symbolic link followed: fd or -errno. */
static int open_dir(const char *path)
{
	struct open_how how = {
		.flags = O_RDONLY | O_DIRECTORY | O_CLOEXEC,
		.resolve = RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS,
	};
	int fd = (int)syscall(SYS_openat2, AT_FDCWD, path, &how, sizeof(how));

	return fd < 0 ? -errno : fd;
}

static void encrypted_free(struct agent_encrypted *e)
{
	free(e->dir);
	memset(e, 0, sizeof(*e));
}

void agent_encrypted_free(struct agent *a)
{
	unsigned int i;

	for (i = 0; i < a->n_encrypted; i++)
		encrypted_free(&a->encrypted[i]);
	free(a->encrypted);
	a->encrypted = NULL;
	a->n_encrypted = 0;
}

static struct json_object *encrypted_json(const struct agent_encrypted *e)
{
	struct json_object *o = json_object_new_object();

	json_object_object_add(o, "tenant", json_object_new_string(e->tenant));
	json_object_object_add(o, "dir", json_object_new_string(e->dir));
	json_object_object_add(o, "key_id", json_object_new_string(e->key_id));
	json_object_object_add(o, "fs_id", json_object_new_string(e->fs_id));
	json_object_object_add(o, "since", json_object_new_int64(e->since));
	return o;
}

/* The record written anew (a temporary file renamed over it): 0 or -errno. */
static int save(struct agent *a)
{
	struct json_object *o = json_object_new_object(),
			   *arr = json_object_new_array();
	const char *s;
	unsigned int i;
	size_t len;
	int fd, err = 0;

	for (i = 0; i < a->n_encrypted; i++)
		json_object_array_add(arr, encrypted_json(&a->encrypted[i]));
	json_object_object_add(o, "version", json_object_new_int(1));
	json_object_object_add(o, "encrypted", arr);
	s = json_object_to_json_string_ext(
		o, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);
	len = strlen(s);
	fd = openat(a->state_fd, ENCRYPTED_TMP,
		    O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC,
		    0600);
	errno = 0;
	if (fd < 0 || write(fd, s, len) != (ssize_t)len ||
	    write(fd, "\n", 1) != 1 || fsync(fd) < 0 ||
	    renameat(a->state_fd, ENCRYPTED_TMP, a->state_fd, ENCRYPTED) < 0 ||
	    fsync(a->state_fd) < 0)
		err = errno ? -errno : -EIO;
	if (fd >= 0)
		close(fd);
	json_object_put(o);
	return err;
}

static int parse_one(struct json_object *o, struct agent_encrypted *e)
{
	struct json_object *v;
	unsigned char id[TG_FSCRYPT_ID_SIZE];

	memset(e, 0, sizeof(*e));
	if (!json_object_object_get_ex(o, "tenant", &v) ||
	    snprintf(e->tenant, sizeof(e->tenant), "%s",
		     json_object_get_string(v)) >= (int)sizeof(e->tenant) ||
	    !e->tenant[0] || !json_object_object_get_ex(o, "key_id", &v) ||
	    id_parse(json_object_get_string(v), id) ||
	    !json_object_object_get_ex(o, "dir", &v) ||
	    json_object_get_string(v)[0] != '/')
		return -EINVAL;
	e->dir = strdup(json_object_get_string(v));
	if (!e->dir)
		return -ENOMEM;
	id_hex(id, e->key_id);
	if (json_object_object_get_ex(o, "fs_id", &v))
		snprintf(e->fs_id, sizeof(e->fs_id), "%s",
			 json_object_get_string(v));
	if (json_object_object_get_ex(o, "since", &v))
		e->since = json_object_get_int64(v);
	return 0;
}

int agent_encrypted_load(struct agent *a)
{
	struct json_object *o = NULL, *arr;
	struct stat st;
	char *buf = NULL;
	size_t i, n;
	int fd, err = 0;

	fd = openat(a->state_fd, ENCRYPTED, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return errno == ENOENT
			       ? 0
			       : tg_err(-errno, "state: %s/" ENCRYPTED ": %s",
					a->opt.state_dir, strerror(errno));
	if (fstat(fd, &st) < 0 || st.st_size > ENCRYPTED_MAX) {
		err = -EFBIG;
		goto out;
	}
	buf = calloc(1, st.st_size + 1);
	if (!buf || pread(fd, buf, st.st_size, 0) != st.st_size) {
		err = -EIO;
		goto out;
	}
	o = json_tokener_parse(buf);
	if (!o || !json_object_object_get_ex(o, "encrypted", &arr) ||
	    !json_object_is_type(arr, json_type_array)) {
		err = -EINVAL;
		goto out;
	}
	n = json_object_array_length(arr);
	a->encrypted = calloc(n + 1, sizeof(*a->encrypted));
	if (!a->encrypted) {
		err = -ENOMEM;
		goto out;
	}
	for (i = 0; !err && i < n; i++) {
		err = parse_one(json_object_array_get_idx(arr, i),
				&a->encrypted[i]);
		if (!err)
			a->n_encrypted++;
	}
out:
	json_object_put(o);
	free(buf);
	close(fd);
	/* Forgetting a directory would leave its tenant without its files. */
	if (err)
		return tg_err(
			err,
			"state: %s/" ENCRYPTED
			": %s; the agent does not start without its record of encrypted directories",
			a->opt.state_dir,
			err == -EINVAL ? "not a record of encrypted directories"
				       : strerror(-err));
	return 0;
}

/* "keys/T.key" into buf. */
static void key_name(const char *tenant, char *buf, size_t len)
{
	snprintf(buf, len, KEYS "/%s.key", tenant);
}

/* Tenant's key from the state into key: 0, -ENOENT, or -errno. */
static int key_read(struct agent *a, const char *tenant,
		    unsigned char key[TG_FSCRYPT_KEY_SIZE])
{
	char name[TG_TENANT_NAME_MAX + 16];
	struct stat st;
	int fd, err = 0;

	key_name(tenant, name, sizeof(name));
	fd = openat(a->state_fd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) < 0)
		err = -errno;
	else if ((st.st_mode & 077) || st.st_uid != geteuid())
		err = -EPERM;
	else if (st.st_size != TG_FSCRYPT_KEY_SIZE ||
		 pread(fd, key, TG_FSCRYPT_KEY_SIZE, 0) != TG_FSCRYPT_KEY_SIZE)
		err = -EINVAL;
	close(fd);
	if (err)
		sodium_memzero(key, TG_FSCRYPT_KEY_SIZE);
	return err;
}

/* The keys directory, made if missing (0700): fd or -errno. */
static int keys_dir(struct agent *a)
{
	char why[256];
	int fd;

	if (mkdirat(a->state_fd, KEYS, 0700) == 0) {
		if (fsync(a->state_fd) < 0)
			return -errno;
	} else if (errno != EEXIST) {
		return -errno;
	}
	fd = openat(a->state_fd, KEYS,
		    O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (tg_private_dir_check(fd, geteuid(), why, sizeof(why))) {
		close(fd);
		return -EPERM;
	}
	return fd;
}

/* A new random key for tenant, written to the state first: 0 or -errno. */
static int key_make(struct agent *a, const char *tenant,
		    unsigned char key[TG_FSCRYPT_KEY_SIZE])
{
	char name[TG_TENANT_NAME_MAX + 16];
	int dfd, fd, err = 0;

	dfd = keys_dir(a);
	if (dfd < 0)
		return dfd;
	randombytes_buf(key, TG_FSCRYPT_KEY_SIZE);
	snprintf(name, sizeof(name), "%s.key", tenant);
	fd = openat(dfd, name,
		    O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	errno = 0;
	if (fd < 0 ||
	    write(fd, key, TG_FSCRYPT_KEY_SIZE) != TG_FSCRYPT_KEY_SIZE ||
	    fsync(fd) < 0 || fsync(dfd) < 0)
		err = errno ? -errno : -EIO;
	if (fd >= 0)
		close(fd);
	if (err && fd >= 0)
		unlinkat(dfd, name, 0);
	close(dfd);
	if (err)
		sodium_memzero(key, TG_FSCRYPT_KEY_SIZE);
	return err;
}

/*
 * The tenant's key file overwritten with zeros, synced, unlinked, the
 * directory synced; then checked gone. 0 (gone, or there was none), or
 * -errno.
 */
static int key_destroy(struct agent *a, const char *tenant)
{
	static const unsigned char zero[TG_FSCRYPT_KEY_SIZE];
	char name[TG_TENANT_NAME_MAX + 16];
	struct stat st;
	int dfd, fd, err = 0;

	dfd = openat(a->state_fd, KEYS,
		     O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (dfd < 0)
		return errno == ENOENT ? 0 : -errno;
	snprintf(name, sizeof(name), "%s.key", tenant);
	fd = openat(dfd, name, O_WRONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0 && errno != ENOENT)
		err = -errno;
	if (fd >= 0) {
		if (pwrite(fd, zero, sizeof(zero), 0) != sizeof(zero) ||
		    fsync(fd) < 0)
			err = errno ? -errno : -EIO;
		close(fd);
		if (!err && unlinkat(dfd, name, 0) < 0)
			err = -errno;
		if (!err && fsync(dfd) < 0)
			err = -errno;
	}
	if (!err && (fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0 ||
		     errno != ENOENT))
		err = -EEXIST;
	close(dfd);
	return err;
}

/* The key added to fd's filesystem, checked to be key_id: 0 or -errno. */
static int add_key(struct agent *a, const char *tenant, int fd,
		   const char *key_id)
{
	unsigned char key[TG_FSCRYPT_KEY_SIZE], id[TG_FSCRYPT_ID_SIZE];
	char hex[TG_FSCRYPT_ID_HEX + 1];
	int err = key_read(a, tenant, key);

	if (!err)
		err = tg_fscrypt_add_key(fd, key, id);
	sodium_memzero(key, sizeof(key));
	if (err)
		return err;
	id_hex(id, hex);
	return strcmp(hex, key_id) ? -EKEYREJECTED : 0;
}

void agent_encrypted_restore(struct agent *a)
{
	const struct agent_encrypted *e;
	char fs[17], why[512];
	unsigned int i;
	int fd, err;

	for (i = 0; i < a->n_encrypted; i++) {
		e = &a->encrypted[i];
		fd = open_dir(e->dir);
		err = fd < 0 ? fd : fs_id(fd, fs);
		if (!err && e->fs_id[0] && strcmp(fs, e->fs_id))
			err = -EXDEV;
		if (!err)
			err = add_key(a, e->tenant, fd, e->key_id);
		if (fd >= 0)
			close(fd);
		if (err) {
			snprintf(
				why, sizeof(why),
				"the key of %s cannot be added at start: %s",
				e->dir,
				err == -EXDEV
					? "another filesystem is mounted there"
				: err == -ENOENT
					? "the directory or the key file is gone"
				: err == -EKEYREJECTED
					? "the key file holds another key"
					: strerror(-err));
			tg_warn("state: tenant %s: %s", e->tenant, why);
			key_event(a, e->tenant, "key_add", e->dir, e->key_id,
				  why, NULL);
			continue;
		}
		key_event(
			a, e->tenant, "key_add", e->dir, e->key_id, NULL,
			"the tenant's key is added to the directory's filesystem (at the agent's start)");
	}
}

unsigned int agent_encrypted_dirs(const struct agent *a, const char *tenant,
				  const char **dirs, unsigned int max)
{
	unsigned int i, n = 0;

	for (i = 0; i < a->n_encrypted; i++)
		if (!strcmp(a->encrypted[i].tenant, tenant)) {
			if (n < max)
				dirs[n] = a->encrypted[i].dir;
			n++;
		}
	return n;
}

/*
 * A descriptor on e's filesystem: the parent of e's directory (never the
 * directory itself: an open descriptor there would keep its key busy), or
 * its nearest ancestor, on the same filesystem (the same fs_id). fd or
 * -errno.
 */
static int reach_fs(const struct agent_encrypted *e)
{
	char path[PATH_MAX], fs[17], *slash;
	int fd;

	snprintf(path, sizeof(path), "%s", e->dir);
	for (;;) {
		slash = strrchr(path, '/');
		if (!slash)
			return -ENOENT;
		slash[slash == path ? 1 : 0] = '\0';
		fd = open_dir(path);
		if (fd >= 0) {
			if (!e->fs_id[0] ||
			    (!fs_id(fd, fs) && !strcmp(fs, e->fs_id)))
				return fd;
			close(fd);
			return -EXDEV;
		}
		if (fd != -ENOENT || !strcmp(path, "/"))
			return fd;
	}
}

int agent_encrypted_erase(struct agent *a, const char *tenant,
			  struct json_object *done, char *why, size_t len)
{
	const struct agent_encrypted *e;
	unsigned char id[TG_FSCRYPT_ID_SIZE];
	struct json_object *o;
	unsigned int i;
	int fd, err = 0, busy, status, tries;
	char buf[PATH_MAX + 256] = "";

	for (i = 0; i < a->n_encrypted; i++) {
		e = &a->encrypted[i];
		if (strcmp(e->tenant, tenant) || id_parse(e->key_id, id))
			continue;
		fd = reach_fs(e);
		if (fd < 0) {
			snprintf(
				why, len,
				"the filesystem of %s (encrypted, key %s) cannot be reached to remove its key: %s",
				e->dir, e->key_id,
				fd == -EXDEV ? "another filesystem is there now"
					     : strerror(-fd));
			return fd;
		}
		/*
		 * A pass evicts what no file holds, children before their
		 * directory: a directory whose entries went in the same pass
		 * goes in the next one. A few passes, then it is a file open.
		 */
		err = tg_fscrypt_remove_key(fd, id, &busy);
		for (tries = 0; !err && busy && tries < REMOVE_PASSES; tries++)
			err = tg_fscrypt_remove_key(fd, id, &busy);
		if (err == -ENOKEY)
			err = 0; /* not there: removed before, or never added */
		status = err ? err : tg_fscrypt_key_status(fd, id);
		close(fd);
		if (err || status < 0) {
			snprintf(why, len,
				 "%s: the key %s cannot be removed: %s", e->dir,
				 e->key_id, strerror(-(err ? err : status)));
			key_event(a, tenant, "key_remove", e->dir, e->key_id,
				  why, NULL);
			return err ? err : status;
		}
		if (busy || status != FSCRYPT_KEY_STATUS_ABSENT) {
			snprintf(
				why, len,
				"files below %s are still open: the key %s is removed from the filesystem, but the kernel keeps it (%s) until they are closed; close them and run the erase again; nothing was deleted",
				e->dir, e->key_id,
				tg_fscrypt_status_name(status));
			key_event(a, tenant, "key_remove", e->dir, e->key_id,
				  why, NULL);
			return -EBUSY;
		}
		snprintf(
			buf, sizeof(buf),
			"the tenant's key is removed from the filesystem of %s; its status there: %s",
			e->dir, tg_fscrypt_status_name(status));
		key_event(a, tenant, "key_remove", e->dir, e->key_id, NULL,
			  buf);
		o = json_object_new_object();
		json_object_object_add(o, "path",
				       json_object_new_string(e->dir));
		json_object_object_add(o, "key_id",
				       json_object_new_string(e->key_id));
		json_object_object_add(
			o, "key_status",
			json_object_new_string(tg_fscrypt_status_name(status)));
		json_object_array_add(done, o);
	}
	err = key_destroy(a, tenant);
	if (err) {
		snprintf(why, len,
			 "the key file %s/" KEYS
			 "/%s.key cannot be destroyed: %s",
			 a->opt.state_dir, tenant, strerror(-err));
		key_event(a, tenant, "key_destroy", NULL, NULL, why, NULL);
		return err;
	}
	if (json_object_array_length(done))
		key_event(
			a, tenant, "key_destroy", NULL, NULL, NULL,
			"the tenant's key file is overwritten with zeros, synced and unlinked; checked gone");
	return 0;
}

int agent_encrypted_forget(struct agent *a, const char *tenant)
{
	unsigned int i = 0, n = a->n_encrypted;

	while (i < a->n_encrypted) {
		if (strcmp(a->encrypted[i].tenant, tenant)) {
			i++;
			continue;
		}
		encrypted_free(&a->encrypted[i]);
		memmove(&a->encrypted[i], &a->encrypted[i + 1],
			(a->n_encrypted - i - 1) * sizeof(*a->encrypted));
		a->n_encrypted--;
	}
	return n == a->n_encrypted ? 0 : save(a);
}

/* Whether the directory open at fd holds nothing: 1, 0, or -errno. */
static int dir_empty(int fd)
{
	struct dirent *d;
	DIR *dir;
	int dup_fd = fcntl(fd, F_DUPFD_CLOEXEC, 0), empty = 1;

	if (dup_fd < 0)
		return -errno;
	dir = fdopendir(dup_fd);
	if (!dir) {
		close(dup_fd);
		return -errno;
	}
	while (empty && (d = readdir(dir)))
		if (strcmp(d->d_name, ".") && strcmp(d->d_name, ".."))
			empty = 0;
	closedir(dir);
	return empty;
}

static struct json_object *refuse(struct agent *a, const char *tenant,
				  const char *dir, const char *why)
{
	key_event(a, tenant, "encrypt", dir, NULL, why, NULL);
	return tg_control_error(why);
}

/* The name of the tenant whose owned path holds path, or NULL. */
static const char *owner_of(const struct agent *a, const char *path)
{
	const struct tg_tenant_entry *e;
	unsigned int i, j;

	for (i = 0; i < (unsigned int)a->reg.n; i++) {
		e = &a->reg.v[i];
		for (j = 0; j < e->n_paths; j++)
			if (tg_path_within(path, e->paths[j]))
				return e->name;
	}
	return NULL;
}

/* Why tenant t may not have dir encrypted (into why), or NULL. */
static const char *check_dir(struct agent *a, const struct tg_tenant_entry *t,
			     const char *dir, char real[PATH_MAX], char *why,
			     size_t len)
{
	const char *who;
	unsigned int j;

	if (dir[0] != '/') {
		snprintf(why, len,
			 "tenant-encrypt: --dir '%s' is not an absolute path",
			 dir);
		return why;
	}
	if (!realpath(dir, real)) {
		snprintf(why, len, "tenant-encrypt: %s: %s", dir,
			 strerror(errno));
		return why;
	}
	for (j = 0; j < t->n_paths; j++)
		if (tg_path_within(real, t->paths[j]))
			break;
	if (j == t->n_paths) {
		who = owner_of(a, real);
		if (who)
			snprintf(
				why, len,
				"tenant-encrypt: refused: %s is tenant %s's, not %s's",
				real, who, t->name);
		else
			snprintf(
				why, len,
				"tenant-encrypt: refused: %s is not below any of tenant %s's paths",
				real, t->name);
		return why;
	}
	for (j = 0; j < a->n_encrypted; j++)
		if (tg_path_within(real, a->encrypted[j].dir) ||
		    tg_path_within(a->encrypted[j].dir, real)) {
			snprintf(
				why, len,
				"tenant-encrypt: %s is encrypted already, or holds or lies in %s (tenant %s's, key %s)",
				real, a->encrypted[j].dir,
				a->encrypted[j].tenant, a->encrypted[j].key_id);
			return why;
		}
	return NULL;
}

/* The key of t, made if it has none (*made set): 0 or -errno. */
static int tenant_key(struct agent *a, const char *tenant,
		      unsigned char key[TG_FSCRYPT_KEY_SIZE], int *made)
{
	int err = key_read(a, tenant, key);

	*made = 0;
	if (err != -ENOENT)
		return err;
	*made = 1;
	return key_make(a, tenant, key);
}

/* The record of dir added and written: 0 or -errno. */
static int record(struct agent *a, const char *tenant, const char *dir,
		  const char *key_id, const char *fs)
{
	struct agent_encrypted *v, *e;
	int err;

	v = realloc(a->encrypted, (a->n_encrypted + 1) * sizeof(*v));
	if (!v)
		return -ENOMEM;
	a->encrypted = v;
	e = &v[a->n_encrypted];
	memset(e, 0, sizeof(*e));
	snprintf(e->tenant, sizeof(e->tenant), "%s", tenant);
	snprintf(e->key_id, sizeof(e->key_id), "%s", key_id);
	snprintf(e->fs_id, sizeof(e->fs_id), "%s", fs);
	e->since = time(NULL);
	e->dir = strdup(dir);
	if (!e->dir)
		return -ENOMEM;
	a->n_encrypted++;
	err = save(a);
	if (err)
		encrypted_free(&a->encrypted[--a->n_encrypted]);
	return err;
}

/* dir (open at fd, empty, capable) given t's key and policy: 0 or -errno. */
static int encrypt_dir(struct agent *a, const char *tenant, const char *dir,
		       int fd, char *why, size_t len)
{
	unsigned char key[TG_FSCRYPT_KEY_SIZE], id[TG_FSCRYPT_ID_SIZE];
	char hex[TG_FSCRYPT_ID_HEX + 1] = "", fs[17] = "", msg[PATH_MAX + 128];
	int made = 0, err = tenant_key(a, tenant, key, &made);

	if (err) {
		snprintf(why, len,
			 "tenant-encrypt: the key of %s in %s/" KEYS
			 " cannot be %s: %s",
			 tenant, a->opt.state_dir, made ? "written" : "read",
			 err == -EPERM	  ? "not the agent's alone (0600)"
			 : err == -EINVAL ? "not 64 bytes"
					  : strerror(-err));
		return err;
	}
	if (made) {
		snprintf(msg, sizeof(msg),
			 "a new 64-byte key for the tenant, kept in %s/" KEYS
			 "/%s.key (0600)",
			 a->opt.state_dir, tenant);
		key_event(a, tenant, "key_made", NULL, NULL, NULL, msg);
	}
	err = tg_fscrypt_add_key(fd, key, id);
	sodium_memzero(key, sizeof(key));
	if (err) {
		snprintf(
			why, len,
			"tenant-encrypt: the key cannot be added to the filesystem of %s: %s",
			dir, strerror(-err));
		key_event(a, tenant, "key_add", dir, NULL, why, NULL);
		return err;
	}
	id_hex(id, hex);
	key_event(a, tenant, "key_add", dir, hex, NULL,
		  "the tenant's key is added to the directory's filesystem");
	err = fs_id(fd, fs);
	if (!err)
		err = record(a, tenant, dir, hex, fs);
	if (err) {
		snprintf(
			why, len,
			"tenant-encrypt: %s not encrypted: its record in %s/" ENCRYPTED
			" cannot be written: %s",
			dir, a->opt.state_dir, strerror(-err));
		return err;
	}
	err = tg_fscrypt_set_policy(fd, id);
	if (err) {
		agent_encrypted_forget_dir(a, dir);
		snprintf(why, len, "tenant-encrypt: %s: %s", dir,
			 err == -ENOTEMPTY ? "not empty"
			 : err == -EEXIST
				 ? "encrypted already, with another key"
				 : strerror(-err));
		return err;
	}
	key_event(
		a, tenant, "encrypt", dir, hex, NULL,
		"fscrypt v2 policy set (AES-256-XTS contents, AES-256-CTS names) with the tenant's key");
	snprintf(why, len,
		 "tenant %s: %s encrypted (fscrypt v2, key %s, kept in %s/" KEYS
		 "/%s.key%s)",
		 tenant, dir, hex, a->opt.state_dir, tenant,
		 made ? ", made now" : "");
	return 0;
}

void agent_encrypted_forget_dir(struct agent *a, const char *dir)
{
	unsigned int i;

	for (i = 0; i < a->n_encrypted; i++)
		if (!strcmp(a->encrypted[i].dir, dir)) {
			encrypted_free(&a->encrypted[i]);
			memmove(&a->encrypted[i], &a->encrypted[i + 1],
				(a->n_encrypted - i - 1) *
					sizeof(*a->encrypted));
			a->n_encrypted--;
			if (save(a))
				tg_warn("state: %s/" ENCRYPTED
					" cannot be written",
					a->opt.state_dir);
			return;
		}
}

struct json_object *agent_tenant_encrypt(struct agent *a,
					 struct json_object *req,
					 struct tg_control_io *io)
{
	const char *name = tg_json_str(req, "tenant"),
		   *dir = tg_json_str(req, "dir");
	const struct tg_tenant_entry *t = tg_registry_find_const(&a->reg, name);
	unsigned char id[TG_FSCRYPT_ID_SIZE];
	char real[PATH_MAX] = "", why[PATH_MAX + 512];
	struct json_object *o;
	int fd, err;

	(void)io;
	if (!t || (!t->defined && !t->present)) {
		snprintf(
			why, sizeof(why),
			"tenant-encrypt: no tenant '%s' in the policy in force",
			name);
		return refuse(a, name, dir, why);
	}
	if (agent_retired_find(a, name)) {
		snprintf(
			why, sizeof(why),
			"tenant-encrypt: tenant '%s' is retired: nothing of it is encrypted any more",
			name);
		return refuse(a, name, dir, why);
	}
	if (check_dir(a, t, dir, real, why, sizeof(why)))
		return refuse(a, name, dir, why);
	fd = open_dir(real);
	if (fd < 0) {
		snprintf(why, sizeof(why), "tenant-encrypt: %s: %s", real,
			 fd == -ENOTDIR ? "not a directory" : strerror(-fd));
		return refuse(a, name, real, why);
	}
	err = dir_empty(fd);
	if (err == 0) {
		snprintf(
			why, sizeof(why),
			"tenant-encrypt: %s is not empty: only an empty directory is encrypted (its files would stay in the clear)",
			real);
		goto out_refuse;
	}
	err = err < 0 ? err : tg_fscrypt_policy(fd, id);
	if (err == -EOPNOTSUPP) {
		snprintf(
			why, sizeof(why),
			"tenant-encrypt: %s is not on a filesystem with encryption enabled (fscrypt: ext4 made or tuned with -O encrypt, f2fs with -O encrypt)",
			real);
		goto out_refuse;
	}
	if (err) {
		snprintf(
			why, sizeof(why), "tenant-encrypt: %s: %s", real,
			err > 0 ? "encrypted already (an fscrypt policy is set)"
				: strerror(-err));
		goto out_refuse;
	}
	err = encrypt_dir(a, name, real, fd, why, sizeof(why));
	close(fd);
	if (err)
		return refuse(a, name, real, why);
	o = json_object_new_object();
	json_object_object_add(o, "ok", json_object_new_boolean(1));
	json_object_object_add(o, "dir", json_object_new_string(real));
	json_object_object_add(
		o, "key_id",
		json_object_new_string(
			a->encrypted[a->n_encrypted - 1].key_id));
	json_object_object_add(o, "message", json_object_new_string(why));
	return o;
out_refuse:
	close(fd);
	return refuse(a, name, real, why);
}
