// SPDX-License-Identifier: GPL-2.0
/*
 * tenant-erase: a retired tenant's owned trees removed once its retention
 * has passed by the wall clock and by the host's uptime counted since the
 * retirement (a clock jump alone cannot pass it), or at once ("now") when
 * a second person confirmed the request. The keys of the tenant's fscrypt
 * directories go first (encrypt.c: "cryptographic erase", blocked while
 * files there are open, before anything is deleted); files are unlinked,
 * which elsewhere is "deleted, storage not sanitized": the blocks stay on
 * the device until reused. What is left afterwards is checked, and the
 * erasure certificate (after the sample certificate of sanitization of
 * NIST SP 800-88) is signed with the host key, written to the state
 * directory and sent as an event.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <limits.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "agentd/agent.h"
#include "agentd/event_text.h"
#include "agentd/hardlinks.h"
#include "common/cgroupfs.h"
#include "common/control.h"
#include "common/log.h"
#include "common/text.h"
#include "common/version.h"

#define ERASE_DEPTH 256
#define ENC_MAX	    64 /* encrypted directories of a tenant, counted apart */
#define METHOD	    "deleted, storage not sanitized"
#define CRYPTO	    "cryptographic erase"

/* What a walk found below the owned paths, to remove deepest first. */
struct erase_list {
	char **path;
	unsigned char *dir;
	size_t n, cap;
	__u64 files, bytes, dirs, others;
	/* The tenant's fscrypt directories; the files and bytes below them. */
	const char *enc[ENC_MAX];
	unsigned int n_enc;
	__u64 enc_files, enc_bytes;
	char err[PATH_MAX + 128];
};

static int list_add(struct erase_list *l, const char *path, int dir)
{
	char **p;
	unsigned char *d;

	if (l->n == l->cap) {
		p = realloc(l->path, (l->cap ? 2 * l->cap : 256) * sizeof(*p));
		if (!p)
			return -ENOMEM;
		l->path = p;
		d = realloc(l->dir, l->cap ? 2 * l->cap : 256);
		if (!d)
			return -ENOMEM;
		l->dir = d;
		l->cap = l->cap ? 2 * l->cap : 256;
	}
	l->path[l->n] = strdup(path);
	if (!l->path[l->n])
		return -ENOMEM;
	l->dir[l->n++] = !!dir;
	return 0;
}

static void list_free(struct erase_list *l)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		free(l->path[i]);
	free(l->path);
	free(l->dir);
}

static void count(struct erase_list *l, const char *path, const struct stat *st)
{
	unsigned int i;

	if (S_ISREG(st->st_mode)) {
		l->files++;
		l->bytes += st->st_size;
		for (i = 0; i < l->n_enc; i++)
			if (tg_path_within(path, l->enc[i])) {
				l->enc_files++;
				l->enc_bytes += st->st_size;
				break;
			}
	} else if (S_ISDIR(st->st_mode)) {
		l->dirs++;
	} else {
		l->others++;
	}
}

static int walk_entry(void *ctx, int dir_fd, const char *name,
		      const struct stat *st)
{
	struct erase_list *l = ctx;
	char proc[64], dir[PATH_MAX], path[PATH_MAX];
	ssize_t n;

	snprintf(proc, sizeof(proc), "/proc/self/fd/%d", dir_fd);
	n = readlink(proc, dir, sizeof(dir) - 1);
	if (n < 0)
		return -errno;
	dir[n] = '\0';
	if (tg_path_join(path, sizeof(path), dir, name))
		return -ENAMETOOLONG;
	count(l, path, st);
	return list_add(l, path, S_ISDIR(st->st_mode));
}

/* Every owned path of r and what lies below it, parents first. */
static int collect(const struct agent_retired *r, struct erase_list *l)
{
	struct stat st;
	unsigned int i;
	int err = 0;

	for (i = 0; !err && i < r->n_paths; i++) {
		if (lstat(r->paths[i], &st) < 0) {
			if (errno == ENOENT)
				continue;
			err = -errno;
			snprintf(l->err, sizeof(l->err), "%s: %s", r->paths[i],
				 strerror(errno));
			break;
		}
		count(l, r->paths[i], &st);
		err = list_add(l, r->paths[i], S_ISDIR(st.st_mode));
		if (!err && S_ISDIR(st.st_mode))
			err = tg_links_walk(r->paths[i], ERASE_DEPTH,
					    walk_entry, l);
		if (err && !l->err[0])
			snprintf(l->err, sizeof(l->err), "%s: %s", r->paths[i],
				 strerror(-err));
	}
	return err;
}

/* Deepest first: a walk lists a directory before what is in it. */
static int remove_all(struct erase_list *l)
{
	size_t i = l->n;
	int r;

	while (i-- > 0) {
		r = l->dir[i] ? rmdir(l->path[i]) : unlink(l->path[i]);
		if (r < 0 && errno != ENOENT) {
			snprintf(l->err, sizeof(l->err), "%s: %s", l->path[i],
				 strerror(errno));
			return -errno;
		}
	}
	return 0;
}

/* The owned paths still there afterwards, as a list (empty: none). */
static struct json_object *left_over(const struct agent_retired *r)
{
	struct json_object *left = json_object_new_array();
	struct stat st;
	unsigned int i;

	for (i = 0; i < r->n_paths; i++)
		if (lstat(r->paths[i], &st) == 0 || errno != ENOENT)
			json_object_array_add(
				left, json_object_new_string(r->paths[i]));
	return left;
}

/* Why r may not be erased now (into why), or NULL. */
static const char *not_yet(struct agent *a, const struct agent_retired *r,
			   int now, char *why, size_t len)
{
	__s64 wall = time(NULL) - r->since;

	if (now && !a->confirming) {
		snprintf(
			why, len,
			"tenant-erase: --now needs a second person: list tenant-erase in the policy's confirm: verbs, and another admin confirms the request (tenantguard confirm ID)");
		return why;
	}
	if (now)
		return NULL;
	agent_retired_account(a);
	if (wall >= r->keep_s && r->uptime_s >= r->keep_s)
		return NULL;
	snprintf(
		why, len,
		"tenant-erase: %s's retention of %llds has not passed: %llds by the wall clock, %llds of host uptime (both must pass, so that a clock jump cannot); or --now, confirmed by a second person",
		r->name, (long long)r->keep_s, (long long)(wall > 0 ? wall : 0),
		(long long)r->uptime_s);
	return why;
}

/* The method named: crypto-erase only where every file was encrypted. */
static const char *method_of(const struct erase_list *l)
{
	if (!l->n_enc)
		return METHOD;
	return l->enc_files == l->files ? CRYPTO : CRYPTO "; " METHOD;
}

static struct json_object *strings(const char *const *v, unsigned int n)
{
	struct json_object *arr = json_object_new_array();
	unsigned int i;

	for (i = 0; i < n; i++)
		json_object_array_add(arr, json_object_new_string(v[i]));
	return arr;
}

/*
 * The methods apart, when some paths were encrypted: the cryptographic
 * erase of the encrypted directories (keys: what was removed and checked),
 * and the deletion of the rest.
 */
static struct json_object *methods(const struct agent_retired *r,
				   const struct erase_list *l,
				   struct json_object *keys)
{
	struct json_object *arr = json_object_new_array(), *m, *v;

	m = json_object_new_object();
	json_object_object_add(m, "method", json_object_new_string(CRYPTO));
	json_object_object_add(m, "standard",
			       json_object_new_string("NIST SP 800-88 Rev. 1"));
	json_object_object_add(m, "paths", strings(l->enc, l->n_enc));
	json_object_object_add(m, "files", json_object_new_int64(l->enc_files));
	json_object_object_add(m, "bytes", json_object_new_int64(l->enc_bytes));
	json_object_object_add(m, "keys", json_object_get(keys));
	v = json_object_new_object();
	json_object_object_add(
		v, "check",
		json_object_new_string(
			"each key's status on its filesystem (FS_IOC_GET_ENCRYPTION_KEY_STATUS): absent; the agent's key file: gone (ENOENT)"));
	json_object_object_add(v, "key_status",
			       json_object_new_string("absent"));
	json_object_object_add(v, "key_file", json_object_new_string("gone"));
	json_object_object_add(m, "verified", v);
	json_object_array_add(arr, m);
	m = json_object_new_object();
	json_object_object_add(m, "method", json_object_new_string(METHOD));
	json_object_object_add(
		m, "paths", strings((const char *const *)r->paths, r->n_paths));
	json_object_object_add(m, "files",
			       json_object_new_int64(l->files - l->enc_files));
	json_object_object_add(m, "bytes",
			       json_object_new_int64(l->bytes - l->enc_bytes));
	json_object_object_add(
		m, "note",
		json_object_new_string(
			"what lies outside the encrypted directories, and the directories' own entries (their names, modes, times): unlinked, its blocks stay on the device until reused"));
	json_object_array_add(arr, m);
	return arr;
}

/* The certificate's body. */
static struct json_object *certificate(struct agent *a,
				       const struct agent_retired *r,
				       const struct erase_list *l, int now,
				       struct json_object *left,
				       struct json_object *keys)
{
	struct json_object *c = json_object_new_object(), *o, *arr;
	char t[48];
	struct agent_by by;
	unsigned int i;

	json_object_object_add(
		c, "type",
		json_object_new_string("tenantguard-erasure-certificate"));
	json_object_object_add(c, "version", json_object_new_int(1));
	json_object_object_add(c, "tenant", json_object_new_string(r->name));
	json_object_object_add(c, "host", json_object_new_string(a->host));
	json_object_object_add(c, "agent_version",
			       json_object_new_string(tg_version()));
	tg_format_time(t, sizeof(t), (__s64)time(NULL) * 1000000000LL);
	json_object_object_add(c, "erased_at", json_object_new_string(t));
	tg_format_time(t, sizeof(t), r->since * 1000000000LL);
	json_object_object_add(c, "retired_since", json_object_new_string(t));
	json_object_object_add(c, "keep_s", json_object_new_int64(r->keep_s));
	json_object_object_add(c, "uptime_s",
			       json_object_new_int64(r->uptime_s));
	json_object_object_add(c, "before_retention_end",
			       json_object_new_boolean(now));
	json_object_object_add(c, "method",
			       json_object_new_string(method_of(l)));
	if (!l->n_enc)
		json_object_object_add(
			c, "method_note",
			json_object_new_string(
				"files unlinked; their blocks stay on the device until reused; no NIST SP 800-88 clear, purge or cryptographic erase was done"));
	else
		json_object_object_add(
			c, "method_note",
			json_object_new_string(
				"the tenant's fscrypt directories: the tenant's key removed from each filesystem (every user's claim) and checked absent, the only copy tenantguard kept (the agent's key file) overwritten with zeros, synced and unlinked, so their contents and names cannot be decrypted; the key was never written elsewhere by tenantguard, but a copy of the agent's state directory made outside it (a backup) would hold it, and the device under the state directory was not sanitized. The rest: files unlinked, blocks left until reused"));
	if (l->n_enc)
		json_object_object_add(c, "methods", methods(r, l, keys));
	arr = json_object_new_array();
	for (i = 0; i < r->n_paths; i++)
		json_object_array_add(arr, json_object_new_string(r->paths[i]));
	json_object_object_add(c, "paths", arr);
	json_object_object_add(c, "files", json_object_new_int64(l->files));
	json_object_object_add(c, "bytes", json_object_new_int64(l->bytes));
	json_object_object_add(c, "directories",
			       json_object_new_int64(l->dirs));
	json_object_object_add(c, "other_entries",
			       json_object_new_int64(l->others));
	o = json_object_new_object();
	json_object_object_add(
		o, "check",
		json_object_new_string("lstat of every owned path: ENOENT"));
	json_object_object_add(o, "paths_left", left);
	json_object_object_add(
		o, "ok",
		json_object_new_boolean(json_object_array_length(left) == 0));
	if (l->n_enc) {
		json_object_object_add(o, "keys_absent",
				       json_object_new_boolean(1));
		json_object_object_add(o, "key_file_gone",
				       json_object_new_boolean(1));
	}
	json_object_object_add(c, "verified", o);
	o = json_object_new_object();
	agent_by_peer(a, &by);
	agent_by_json(&by, o);
	json_object_object_add(c, "by", o);
	arr = json_object_new_array();
	json_object_array_add(
		arr,
		json_object_new_string(
			"the tenant's events in the audit log, kept for the log's own retention"));
	json_object_array_add(
		arr,
		json_object_new_string(
			"the record of its retirement and erasure in the agent's state"));
	json_object_array_add(
		arr,
		json_object_new_string(
			"copies made outside tenantguard (exports, backups, snapshots)"));
	json_object_object_add(c, "remains", arr);
	json_object_object_add(c, "public_key",
			       json_object_new_string(a->host_pub));
	return c;
}

/* text into the state directory as name: 0 or -errno. */
static int write_state_file(struct agent *a, const char *name, const char *text)
{
	size_t n = strlen(text);
	int fd, err = 0;

	fd = openat(a->state_fd, name,
		    O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
	if (fd < 0)
		return -errno;
	errno = 0;
	if (write(fd, text, n) != (ssize_t)n || write(fd, "\n", 1) != 1 ||
	    fsync(fd) < 0)
		err = errno ? -errno : -EIO;
	close(fd);
	return err;
}

static void erase_event(struct agent *a, const char *tenant,
			struct json_object *cert, const char *sig,
			const char *error)
{
	struct agent_by by;
	struct json_object *o;

	o = tg_tenant_event(&a->fmt, "erase", error ? "deny" : "allow", tenant,
			    a->peer ? (__u32)a->peer->pid : 0,
			    a->peer ? a->peer->comm : "");
	if (!o)
		return;
	agent_by_peer(a, &by);
	agent_by_json(&by, o);
	json_object_object_add(o, "ok", json_object_new_boolean(!error));
	if (error)
		json_object_object_add(o, "error",
				       json_object_new_string(error));
	if (cert) {
		json_object_object_add(o, "method",
				       json_object_get(json_object_object_get(
					       cert, "method")));
		json_object_object_add(o, "certificate", json_object_get(cert));
		json_object_object_add(o, "signature",
				       json_object_new_string(sig));
	}
	agent_emit(a, o);
}

static struct json_object *refuse(struct agent *a, const char *tenant,
				  const char *why)
{
	erase_event(a, tenant, NULL, NULL, why);
	return tg_control_error(why);
}

struct json_object *agent_tenant_erase(struct agent *a, struct json_object *req,
				       struct tg_control_io *io)
{
	const char *name = tg_json_str(req, "tenant"), *text;
	struct agent_retired *r =
		(struct agent_retired *)agent_retired_find(a, name);
	struct json_object *now_v, *cert, *left, *o, *keys;
	char why[PATH_MAX + 512], file[128], b64[96], kwhy[PATH_MAX + 256];
	struct erase_list l = {0};
	unsigned char sig[64];
	int now, err;

	now = json_object_object_get_ex(req, "now", &now_v) &&
	      json_object_get_boolean(now_v);
	if (!r && tg_registry_find_const(&a->reg, name)) {
		snprintf(
			why, sizeof(why),
			"tenant-erase: tenant '%s' is not retired: retire it first (tenantguard tenant retire %s); --now skips the retention, never the retirement",
			name, name);
		return refuse(a, name, why);
	}
	if (!r) {
		snprintf(why, sizeof(why),
			 "tenant-erase: no tenant '%s' is retired", name);
		return refuse(a, name, why);
	}
	if (r->erased_at) {
		snprintf(
			why, sizeof(why),
			"tenant-erase: tenant '%s' is erased already (at @%lld)",
			name, (long long)r->erased_at);
		return refuse(a, name, why);
	}
	if (not_yet(a, r, now, why, sizeof(why)))
		return refuse(a, name, why);
	/*
	 * The keys first: a file still open blocks the erasure before
	 * anything is deleted; run again once it is closed.
	 */
	keys = json_object_new_array();
	err = agent_encrypted_erase(a, name, keys, kwhy, sizeof(kwhy));
	if (err) {
		json_object_put(keys);
		snprintf(why, sizeof(why), "tenant-erase: %s not erased: %s",
			 name, kwhy);
		return refuse(a, name, why);
	}
	l.n_enc = agent_encrypted_dirs(a, name, l.enc, ENC_MAX);
	if (l.n_enc > ENC_MAX)
		l.n_enc = ENC_MAX;
	err = collect(r, &l);
	if (!err)
		err = remove_all(&l);
	if (err) {
		snprintf(
			why, sizeof(why),
			"tenant-erase: %s not fully erased: %s; run it again once that is fixed",
			name, l.err[0] ? l.err : strerror(-err));
		list_free(&l);
		json_object_put(keys);
		return refuse(a, name, why);
	}
	left = left_over(r);
	cert = certificate(a, r, &l, now, left, keys);
	json_object_put(keys);
	list_free(&l);
	if (agent_encrypted_forget(a, name))
		tg_warn("state: %s erased, but its encrypted directories' record cannot be written",
			name);
	text = json_object_to_json_string_ext(
		cert, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);
	crypto_sign_detached(sig, NULL, (const unsigned char *)text,
			     strlen(text), a->host_sk);
	sodium_bin2base64(b64, sizeof(b64), sig, sizeof(sig),
			  sodium_base64_VARIANT_ORIGINAL);
	snprintf(file, sizeof(file), "erasure-%s-%lld.json", r->name,
		 (long long)time(NULL));
	err = write_state_file(a, file, text);
	strncat(file, ".sig", sizeof(file) - strlen(file) - 1);
	if (!err)
		err = write_state_file(a, file, b64);
	file[strlen(file) - 4] = '\0';
	r->erased_at = time(NULL);
	if (agent_save_retired(a))
		tg_warn("state: %s erased, but its record cannot be written",
			name);
	erase_event(a, name, cert, b64, NULL);
	o = json_object_new_object();
	json_object_object_add(o, "ok", json_object_new_boolean(1));
	json_object_object_add(o, "certificate", json_object_get(cert));
	json_object_object_add(o, "signature", json_object_new_string(b64));
	snprintf(
		why, sizeof(why),
		"tenant %s erased (%s): %lld files, %lld bytes; certificate %s/%s%s",
		name,
		json_object_get_string(json_object_object_get(cert, "method")),
		(long long)json_object_get_int64(
			json_object_object_get(cert, "files")),
		(long long)json_object_get_int64(
			json_object_object_get(cert, "bytes")),
		a->opt.state_dir, file,
		err ? " (not written: see the event)" : " (and .sig)");
	json_object_object_add(o, "message", json_object_new_string(why));
	json_object_put(cert);
	return o;
}
