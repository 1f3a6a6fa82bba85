// SPDX-License-Identifier: GPL-2.0
/*
 * tenant-export: a tenant's owned paths (a retired tenant's, asked by an
 * admin; a live one's, asked by support staff holding a tenant-wide read
 * grant in force) as a tar archive (pax, libarchive) written to the first
 * descriptor the caller passed, and the manifest of every member
 * (common/manifest.h) to the second; the reply
 * carries the manifest's Ed25519 signature by the host key and that key.
 * The agent reads the files (it alone may, once the tenant is retired);
 * the caller opened the files it writes, and neither may lie in any
 * tenant's tree. The walk is the hard-link scan's (tg_links_walk): it
 * follows no symbolic link and stays on each path's filesystem. The
 * export is an event naming who asked.
 */
#define _GNU_SOURCE
#include <archive.h>
#include <archive_entry.h>
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
#include "common/chain.h"
#include "common/control.h"
#include "common/grant_key.h"
#include "common/log.h"
#include "common/manifest.h"
#include "common/text.h"

#define EXPORT_DEPTH 256	/* directory levels below an owned path */
#define CHUNK	     (1u << 16) /* bytes read at once */

struct export_ctx {
	struct archive *ar;
	struct tg_manifest m;
	__u64 skipped; /* sockets, fifos, devices: not exported */
	char err[PATH_MAX + 256];
	unsigned char buf[CHUNK];
};

/* The path of what fd is open on, into buf: 0 or -errno. */
static int fd_path(int fd, char *buf, size_t len)
{
	char proc[64];
	ssize_t n;

	snprintf(proc, sizeof(proc), "/proc/self/fd/%d", fd);
	n = readlink(proc, buf, len - 1);
	if (n < 0)
		return -errno;
	if ((size_t)n >= len - 1)
		return -ENAMETOOLONG;
	buf[n] = '\0';
	return 0;
}

/* The file's bytes into the archive and the hash: 0, or -errno (told). */
static int put_data(struct export_ctx *c, int fd, const char *path, __u64 size,
		    char sha_hex[65])
{
	crypto_hash_sha256_state st;
	unsigned char sha[32];
	__u64 done = 0;
	ssize_t n;

	crypto_hash_sha256_init(&st);
	while (done < size) {
		n = read(fd, c->buf,
			 size - done < CHUNK ? (size_t)(size - done) : CHUNK);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		crypto_hash_sha256_update(&st, c->buf, n);
		if (archive_write_data(c->ar, c->buf, n) != n) {
			snprintf(c->err, sizeof(c->err), "%s: archive: %s",
				 path, archive_error_string(c->ar));
			return -EIO;
		}
		done += n;
	}
	if (done != size || read(fd, c->buf, 1) != 0) {
		snprintf(
			c->err, sizeof(c->err),
			"%s: changed while it was exported (%llu bytes, then %llu)",
			path, (unsigned long long)size,
			(unsigned long long)done);
		return -ESTALE;
	}
	crypto_hash_sha256_final(&st, sha);
	tg_chain_hex(sha, sizeof(sha), sha_hex);
	return 0;
}

/* One member (name at dir_fd, path its absolute path): 0 or -errno (told). */
static int put_member(struct export_ctx *c, int dir_fd, const char *name,
		      const char *path, const struct stat *lst)
{
	struct tg_manifest_entry e = {
		.path = (char *)path + 1,
		.mode = lst->st_mode & 07777,
		.mtime = lst->st_mtime < 0 ? 0 : (__u64)lst->st_mtime};
	struct archive_entry *ae;
	char target[PATH_MAX];
	struct stat st = *lst;
	ssize_t n;
	int fd = -1, err = 0;

	if (S_ISREG(st.st_mode)) {
		e.type = TG_MANIFEST_FILE;
		fd = openat(dir_fd, name,
			    O_RDONLY | O_NOFOLLOW | O_NOCTTY | O_CLOEXEC);
		if (fd < 0 || fstat(fd, &st) < 0 || st.st_ino != lst->st_ino) {
			snprintf(c->err, sizeof(c->err), "%s: %s", path,
				 fd < 0 ? strerror(errno)
					: "replaced meanwhile");
			err = fd < 0 ? -errno : -ESTALE;
			goto out_close;
		}
		e.size = st.st_size;
	} else if (S_ISDIR(st.st_mode)) {
		e.type = TG_MANIFEST_DIR;
	} else if (S_ISLNK(st.st_mode)) {
		e.type = TG_MANIFEST_SYMLINK;
		n = readlinkat(dir_fd, name, target, sizeof(target) - 1);
		if (n < 0) {
			snprintf(c->err, sizeof(c->err), "%s: %s", path,
				 strerror(errno));
			return -errno;
		}
		target[n] = '\0';
		e.target = target;
	} else {
		c->skipped++;
		return 0;
	}
	ae = archive_entry_new();
	if (!ae)
		return -ENOMEM;
	archive_entry_set_pathname(ae, e.path);
	archive_entry_set_filetype(ae, e.type == TG_MANIFEST_FILE  ? AE_IFREG
				       : e.type == TG_MANIFEST_DIR ? AE_IFDIR
								   : AE_IFLNK);
	archive_entry_set_perm(ae, e.mode);
	archive_entry_set_size(ae, (la_int64_t)e.size);
	archive_entry_set_mtime(ae, (time_t)e.mtime, 0);
	archive_entry_set_uid(ae, st.st_uid);
	archive_entry_set_gid(ae, st.st_gid);
	if (e.target)
		archive_entry_set_symlink(ae, e.target);
	if (archive_write_header(c->ar, ae) != ARCHIVE_OK) {
		snprintf(c->err, sizeof(c->err), "%s: archive: %s", path,
			 archive_error_string(c->ar));
		err = -EIO;
	}
	archive_entry_free(ae);
	if (!err && fd >= 0)
		err = put_data(c, fd, path, e.size, e.sha256);
	if (!err && tg_manifest_add(&c->m, &e))
		err = -ENOMEM;
out_close:
	if (fd >= 0)
		close(fd);
	return err;
}

static int walk_member(void *ctx, int dir_fd, const char *name,
		       const struct stat *st)
{
	struct export_ctx *c = ctx;
	char dir[PATH_MAX], path[PATH_MAX];
	int err = fd_path(dir_fd, dir, sizeof(dir));

	if (!err && tg_path_join(path, sizeof(path), dir, name))
		err = -ENAMETOOLONG;
	if (err) {
		snprintf(c->err, sizeof(c->err), "%s/%s: %s", dir, name,
			 strerror(-err));
		return err;
	}
	return put_member(c, dir_fd, name, path, st);
}

/* One owned path and what is below it: 0 or -errno (told). */
static int put_root(struct export_ctx *c, const char *root)
{
	struct stat st;
	int err;

	if (lstat(root, &st) < 0) {
		if (errno == ENOENT)
			return 0; /* nothing there to export */
		snprintf(c->err, sizeof(c->err), "%s: %s", root,
			 strerror(errno));
		return -errno;
	}
	err = tg_manifest_add_root(&c->m, root);
	if (!err)
		err = put_member(c, AT_FDCWD, root, root, &st);
	if (!err && S_ISDIR(st.st_mode)) {
		err = tg_links_walk(root, EXPORT_DEPTH, walk_member, c);
		if (err && !c->err[0])
			snprintf(c->err, sizeof(c->err), "%s: %s", root,
				 strerror(-err));
	}
	return err;
}

/*
 * Whether path lies in a tenant's tree (the policy's or a retired one's):
 * its name into who and the tree into tree; 1 or 0.
 */
static int in_tenant_tree(const struct agent *a, const char *path,
			  const char **who, const char **tree)
{
	const struct agent_retired *r;
	const struct tg_tenant_entry *e;
	unsigned int i, j;

	for (i = 0; i < (unsigned int)a->reg.n; i++) {
		e = &a->reg.v[i];
		for (j = 0; j < e->n_paths; j++)
			if (tg_path_within(path, e->paths[j])) {
				*who = e->name;
				*tree = e->paths[j];
				return 1;
			}
	}
	for (i = 0; i < a->policy.n_tenants; i++)
		for (j = 0; j < a->policy.tenants[i].n_paths; j++)
			if (tg_path_within(path,
					   a->policy.tenants[i].paths[j])) {
				*who = a->policy.tenants[i].name;
				*tree = a->policy.tenants[i].paths[j];
				return 1;
			}
	for (i = 0; i < a->n_retired; i++) {
		r = &a->retired[i];
		for (j = 0; j < r->n_paths; j++)
			if (tg_path_within(path, r->paths[j])) {
				*who = r->name;
				*tree = r->paths[j];
				return 1;
			}
	}
	return 0;
}

/*
 * A file made without a name (O_TMPFILE) reads "DIR/#INODE (deleted)": its
 * path is DIR/name, the name it is given once written (the caller's; no
 * '/'). 0, or -EINVAL for a name that is none.
 */
static int name_unnamed(char path[PATH_MAX], const char *name)
{
	char *slash = strrchr(path, '/');
	size_t n = strlen(path);

	if (!slash || slash[1] != '#' || n < 10 ||
	    strcmp(path + n - 10, " (deleted)"))
		return 0;
	if (!name || !name[0] || strchr(name, '/') || !strcmp(name, ".") ||
	    !strcmp(name, ".."))
		return -EINVAL;
	slash[1] = '\0';
	if (strlen(path) + strlen(name) >= PATH_MAX)
		return -EINVAL;
	strcat(path, name);
	return 0;
}

/*
 * The two descriptors passed: regular, empty, writable files outside every
 * tenant's tree; their paths into paths. NULL, or why not (into why).
 */
static const char *check_outputs(const struct agent *a,
				 const struct tg_control_io *io,
				 struct json_object *names,
				 char paths[2][PATH_MAX], char *why, size_t len)
{
	static const char *const what[] = {"archive", "manifest"};
	const char *who, *tree;
	struct stat st;
	unsigned int i;
	int fl;

	if (io->n_fds != 2) {
		snprintf(
			why, len,
			"tenant-export: needs two descriptors, the archive's and the manifest's (tenantguard tenant export passes them); %u came",
			io->n_fds);
		return why;
	}
	for (i = 0; i < 2; i++) {
		fl = fcntl(io->fds[i], F_GETFL);
		if (fstat(io->fds[i], &st) < 0 || !S_ISREG(st.st_mode) ||
		    fl < 0 || (fl & O_ACCMODE) == O_RDONLY || st.st_size) {
			snprintf(
				why, len,
				"tenant-export: the %s's descriptor is no empty regular file open for writing",
				what[i]);
			return why;
		}
		if (fd_path(io->fds[i], paths[i], PATH_MAX) ||
		    name_unnamed(
			    paths[i],
			    names ? json_object_get_string(
					    json_object_array_get_idx(names, i))
				  : NULL)) {
			snprintf(why, len,
				 "tenant-export: the %s's path cannot be told",
				 what[i]);
			return why;
		}
		if (in_tenant_tree(a, paths[i], &who, &tree)) {
			snprintf(
				why, len,
				"tenant-export: refused: %s (the %s) is inside tenant %s's tree %s; an export is never written into a tenant's tree",
				paths[i], what[i], who, tree);
			return why;
		}
	}
	return NULL;
}

/* What is exported: a tenant's name and owned paths. */
struct export_src {
	const char *name;
	char *const *paths;
	unsigned int n_paths;
};

/* Every owned path of r archived, the manifest made: 0 or -errno (told). */
static int archive_tenant(struct agent *a, const struct export_src *r, int fd,
			  struct export_ctx *c)
{
	unsigned int i;
	int err = 0;

	c->ar = archive_write_new();
	if (!c->ar)
		return -ENOMEM;
	if (archive_write_set_format_pax_restricted(c->ar) != ARCHIVE_OK ||
	    archive_write_open_fd(c->ar, fd) != ARCHIVE_OK) {
		snprintf(c->err, sizeof(c->err), "archive: %s",
			 archive_error_string(c->ar));
		err = -EIO;
	}
	for (i = 0; !err && i < r->n_paths; i++)
		err = put_root(c, r->paths[i]);
	if (archive_write_close(c->ar) != ARCHIVE_OK && !err) {
		snprintf(c->err, sizeof(c->err), "archive: %s",
			 archive_error_string(c->ar));
		err = -EIO;
	}
	archive_write_free(c->ar);
	c->ar = NULL;
	snprintf(c->m.tenant, sizeof(c->m.tenant), "%s", r->name);
	snprintf(c->m.host, sizeof(c->m.host), "%s", a->host);
	c->m.created = time(NULL);
	return err;
}

static int write_all(int fd, const char *p, size_t n)
{
	ssize_t w;

	while (n) {
		w = write(fd, p, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return w < 0 ? -errno : -EIO;
		p += w;
		n -= w;
	}
	return fsync(fd) < 0 && errno != EINVAL ? -errno : 0;
}

/* The export's event: who asked, what was written where, or why not. */
static void export_event(struct agent *a, const char *tenant, const char *grant,
			 char paths[2][PATH_MAX], const struct export_ctx *c,
			 const char *error)
{
	struct agent_by by;
	struct json_object *o;

	o = tg_tenant_event(&a->fmt, "export", error ? "deny" : "allow", tenant,
			    a->peer ? (__u32)a->peer->pid : 0,
			    a->peer ? a->peer->comm : "");
	if (!o)
		return;
	agent_by_peer(a, &by);
	agent_by_json(&by, o);
	json_object_object_add(o, "ok", json_object_new_boolean(!error));
	if (grant)
		json_object_object_add(o, "grant",
				       json_object_new_string(grant));
	if (paths && paths[0][0])
		json_object_object_add(o, "path",
				       json_object_new_string(paths[0]));
	if (paths && paths[1][0])
		json_object_object_add(o, "manifest",
				       json_object_new_string(paths[1]));
	if (c) {
		json_object_object_add(o, "files",
				       json_object_new_int64(c->m.total_files));
		json_object_object_add(o, "bytes",
				       json_object_new_int64(c->m.total_bytes));
		json_object_object_add(o, "members",
				       json_object_new_int64(c->m.n));
	}
	json_object_object_add(o, "public_key",
			       json_object_new_string(a->host_pub));
	if (error)
		json_object_object_add(o, "error",
				       json_object_new_string(error));
	agent_emit(a, o);
}

/* Refused before anything was read: the event, and the reply. */
static struct json_object *refuse(struct agent *a, const char *tenant,
				  const char *grant, char paths[2][PATH_MAX],
				  const char *why)
{
	export_event(a, tenant, grant, paths, NULL, why);
	a->peer_refused = 1;
	return tg_control_error(why);
}

/*
 * Who may export tenant name (its record r if retired, its registry entry
 * e if live): an admin a retired tenant; a live one, support staff (login
 * uid, the policy's support:) holding a grant in force to the whole tenant
 * with read (its id into *grant). NULL, or why not (into why).
 */
static const char *may_export(struct agent *a, const char *name,
			      const struct agent_retired *r,
			      const struct tg_tenant_entry *e,
			      const char **grant, char *why, size_t len)
{
	const struct tg_peer *p = a->peer;
	int support = p && p->loginuid >= 0 &&
		      tg_support_has(&a->reg.support, (__u32)p->loginuid);

	*grant = NULL;
	if (r) {
		if (a->peer_role >= TG_ROLE_ADMIN)
			return NULL;
		snprintf(
			why, len,
			"tenant-export: refused: a retired tenant is exported by an admin; the caller (uid %u, login uid %ld) has %s role",
			p ? (unsigned int)p->uid : 0, p ? p->loginuid : -1L,
			a->peer_role > TG_ROLE_NONE ? "another" : "no");
		return why;
	}
	if (!e || (!e->defined && !e->present)) {
		snprintf(
			why, len,
			"tenant-export: no tenant '%s', retired or in the policy in force",
			name);
		return why;
	}
	if (support)
		*grant = agent_grant_allows(a, (__u32)p->loginuid, name,
					    TG_GRANT_READ);
	if (*grant)
		return NULL;
	snprintf(
		why, len,
		"tenant-export: refused: tenant '%s' is live; a live tenant's data is exported only by support staff holding a grant in force, approved by the tenant, to the whole tenant with read (tenantguard grant request --tenant %s --ops read); %s",
		name, name,
		support ? "this login uid holds none"
			: "the caller's login uid is not support staff (or retire it first: tenantguard tenant retire)");
	return why;
}

/* The reply of a finished export. */
static struct json_object *export_reply(struct agent *a,
					const struct export_ctx *c,
					const unsigned char sig[64])
{
	struct json_object *o = json_object_new_object();
	char b64[sodium_base64_ENCODED_LEN(64, sodium_base64_VARIANT_ORIGINAL)];
	char msg[256];

	sodium_bin2base64(b64, sizeof(b64), sig, 64,
			  sodium_base64_VARIANT_ORIGINAL);
	json_object_object_add(o, "ok", json_object_new_boolean(1));
	json_object_object_add(o, "signature", json_object_new_string(b64));
	json_object_object_add(o, "public_key",
			       json_object_new_string(a->host_pub));
	json_object_object_add(o, "files",
			       json_object_new_int64(c->m.total_files));
	json_object_object_add(o, "bytes",
			       json_object_new_int64(c->m.total_bytes));
	json_object_object_add(o, "members", json_object_new_int64(c->m.n));
	json_object_object_add(o, "skipped", json_object_new_int64(c->skipped));
	snprintf(msg, sizeof(msg),
		 "tenant %s exported: %llu files, %llu bytes (%zu members%s)",
		 c->m.tenant, (unsigned long long)c->m.total_files,
		 (unsigned long long)c->m.total_bytes, c->m.n,
		 c->skipped ? "; sockets, fifos and devices are not exported"
			    : "");
	json_object_object_add(o, "message", json_object_new_string(msg));
	return o;
}

struct json_object *agent_tenant_export(struct agent *a,
					struct json_object *req,
					struct tg_control_io *io)
{
	const char *name = tg_json_str(req, "tenant"), *grant = NULL;
	const struct agent_retired *r = agent_retired_find(a, name);
	const struct tg_tenant_entry *e;
	struct export_src src;
	char paths[2][PATH_MAX] = {"", ""}, why[PATH_MAX + 512];
	struct export_ctx *c;
	struct json_object *o = NULL, *names;
	unsigned char sig[64];
	char *man = NULL;
	size_t len = 0;
	int err;

	e = tg_registry_find_const(&a->reg, name);
	if (may_export(a, name, r, e, &grant, why, sizeof(why)))
		return refuse(a, name, NULL, NULL, why);
	if (r)
		src = (struct export_src){r->name, r->paths, r->n_paths};
	else
		src = (struct export_src){e->name, e->paths, e->n_paths};
	if (!json_object_object_get_ex(req, "names", &names) ||
	    !json_object_is_type(names, json_type_array) ||
	    json_object_array_length(names) != 2)
		names = NULL;
	if (r && r->erased_at) {
		snprintf(
			why, sizeof(why),
			"tenant-export: tenant '%s' is erased: nothing is left to export",
			name);
		return refuse(a, name, NULL, NULL, why);
	}
	if (check_outputs(a, io, names, paths, why, sizeof(why)))
		return refuse(a, name, grant, paths, why);
	c = calloc(1, sizeof(*c));
	if (!c)
		return tg_control_error("tenant-export: out of memory");
	err = archive_tenant(a, &src, io->fds[0], c);
	if (!err)
		err = tg_manifest_write(&c->m, &man, &len, c->err,
					sizeof(c->err));
	if (!err) {
		err = write_all(io->fds[1], man, len);
		if (err)
			snprintf(c->err, sizeof(c->err), "%s: %s", paths[1],
				 strerror(-err));
	}
	if (err) {
		snprintf(why, sizeof(why), "tenant-export: %s failed: %s", name,
			 c->err[0] ? c->err : strerror(-err));
		o = refuse(a, name, grant, paths, why);
		goto out_free;
	}
	crypto_sign_detached(sig, NULL, (const unsigned char *)man, len,
			     a->host_sk);
	export_event(a, name, grant, paths, c, NULL);
	o = export_reply(a, c, sig);
out_free:
	free(man);
	tg_manifest_free(&c->m);
	free(c);
	return o;
}
