// SPDX-License-Identifier: GPL-2.0
/*
 * tenantguard tenant retire|export|verify|erase|encrypt: the end of a tenant
 * (docs/offboarding.md). retire, export, erase and encrypt are the agent's
 * verbs tenant-retire, tenant-export (an admin for a retired tenant, a
 * grant holder for a live one), tenant-erase and tenant-encrypt (admin);
 * export opens the files it writes itself and passes the archive's and the
 * manifest's to the agent, which reads the tenant's files. verify needs no
 * agent: the manifest's signature, then every member of the archive byte
 * for byte against it.
 */
#define _GNU_SOURCE
#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <json-c/json.h>
#include <limits.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli/cli.h"
#include "common/chain.h"
#include "common/control.h"
#include "common/grant_key.h"
#include "common/log.h"
#include "common/manifest.h"

#define SUFFIX_MANIFEST ".manifest.json"
#define SUFFIX_SIG	".manifest.sig"
#define SUFFIX_PUB	".pub"

/* The files of an export FILE: FILE, then its manifest, signature, key. */
struct export_files {
	char path[4][PATH_MAX];
	int fd[4];
	int made[4];
};

static const char *const suffixes[4] = {"", SUFFIX_MANIFEST, SUFFIX_SIG,
					SUFFIX_PUB};

static int names(struct export_files *f, const char *file)
{
	unsigned int i;

	for (i = 0; i < 4; i++) {
		f->fd[i] = -1;
		f->made[i] = 0;
		if (snprintf(f->path[i], PATH_MAX, "%s%s", file, suffixes[i]) >=
		    PATH_MAX)
			return -ENAMETOOLONG;
	}
	return 0;
}

/* retire T [--keep DURATION] */
int cmd_tenant_retire(const struct cli_opts *o, int argc, char **argv)
{
	static const struct option opts[] = {
		{"keep", required_argument, NULL, 'k'}, {}};
	struct json_object *req, *r;
	const char *keep = NULL;
	int c, ret;

	opterr = 0;
	optind = 1;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (c != 'k')
			return tg_err(
				2,
				"tenant retire: unknown option '%s' (tenant retire T [--keep DURATION])",
				argv[optind - 1]);
		keep = optarg;
	}
	if (optind != argc - 1)
		return tg_err(
			2,
			"tenant retire: one tenant is needed (tenant retire T [--keep DURATION])");
	req = json_object_new_object();
	json_object_object_add(req, "cmd",
			       json_object_new_string("tenant-retire"));
	json_object_object_add(req, "tenant",
			       json_object_new_string(argv[optind]));
	if (keep)
		json_object_object_add(req, "keep",
				       json_object_new_string(keep));
	ret = cli_call(o, req, &r);
	json_object_put(req);
	if (ret)
		return 1;
	ret = cli_pending(r) ? CLI_PENDING : 0;
	if (!ret)
		printf("%s\n", jstr(r, "message"));
	json_object_put(r);
	return ret;
}

/* encrypt T --dir PATH */
int cmd_tenant_encrypt(const struct cli_opts *o, int argc, char **argv)
{
	static const struct option opts[] = {
		{"dir", required_argument, NULL, 'd'}, {}};
	struct json_object *req, *r;
	const char *dir = NULL;
	int c, ret;

	opterr = 0;
	optind = 1;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (c != 'd')
			return tg_err(
				2,
				"tenant encrypt: unknown option '%s' (tenant encrypt T --dir PATH)",
				argv[optind - 1]);
		dir = optarg;
	}
	if (optind != argc - 1 || !dir)
		return tg_err(
			2,
			"tenant encrypt: one tenant and --dir PATH are needed (tenant encrypt T --dir PATH)");
	req = json_object_new_object();
	json_object_object_add(req, "cmd",
			       json_object_new_string("tenant-encrypt"));
	json_object_object_add(req, "tenant",
			       json_object_new_string(argv[optind]));
	json_object_object_add(req, "dir", json_object_new_string(dir));
	ret = cli_call(o, req, &r);
	json_object_put(req);
	if (ret)
		return 1;
	ret = cli_pending(r) ? CLI_PENDING : 0;
	if (!ret)
		printf("%s\n", jstr(r, "message"));
	json_object_put(r);
	return ret;
}

/* erase T [--now] */
int cmd_tenant_erase(const struct cli_opts *o, int argc, char **argv)
{
	static const struct option opts[] = {{"now", no_argument, NULL, 'n'},
					     {}};
	struct json_object *req, *r;
	int c, now = 0, ret;

	opterr = 0;
	optind = 1;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (c != 'n')
			return tg_err(
				2,
				"tenant erase: unknown option '%s' (tenant erase T [--now])",
				argv[optind - 1]);
		now = 1;
	}
	if (optind != argc - 1)
		return tg_err(
			2,
			"tenant erase: one tenant is needed (tenant erase T [--now])");
	req = json_object_new_object();
	json_object_object_add(req, "cmd",
			       json_object_new_string("tenant-erase"));
	json_object_object_add(req, "tenant",
			       json_object_new_string(argv[optind]));
	json_object_object_add(req, "now", json_object_new_boolean(now));
	ret = cli_call(o, req, &r);
	json_object_put(req);
	if (ret)
		return 1;
	ret = cli_pending(r) ? CLI_PENDING : 0;
	if (!ret)
		printf("%s\n", jstr(r, "message"));
	json_object_put(r);
	return ret;
}

/* s and a newline into the open file at fd: 0 or -errno. */
static int put_line(int fd, const char *s)
{
	size_t n = strlen(s);

	if (write(fd, s, n) != (ssize_t)n || write(fd, "\n", 1) != 1 ||
	    fsync(fd) < 0)
		return errno ? -errno : -EIO;
	return 0;
}

static void export_close(struct export_files *f, int failed)
{
	unsigned int i;

	for (i = 0; i < 4; i++) {
		if (f->fd[i] >= 0)
			close(f->fd[i]);
		if (failed && f->made[i])
			unlink(f->path[i]);
	}
}

/*
 * FILE's descriptor i, created where FILE goes but without a name yet
 * (O_TMPFILE), so that nothing is left there when the agent refuses it;
 * a filesystem without O_TMPFILE gets the file itself (made, and removed
 * again on failure). 0, or -errno.
 */
static int open_out(struct export_files *f, unsigned int i)
{
	char dir[PATH_MAX], *slash;

	if (access(f->path[i], F_OK) == 0)
		return -EEXIST;
	snprintf(dir, sizeof(dir), "%s", f->path[i]);
	slash = strrchr(dir, '/');
	if (slash == dir)
		dir[1] = '\0';
	else if (slash)
		*slash = '\0';
	else
		snprintf(dir, sizeof(dir), ".");
	f->fd[i] = open(dir, O_TMPFILE | O_WRONLY | O_CLOEXEC, 0600);
	if (f->fd[i] >= 0)
		return 0;
	if (errno != EOPNOTSUPP && errno != EISDIR)
		return -errno;
	f->fd[i] = open(f->path[i],
			O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
			0600);
	if (f->fd[i] < 0)
		return -errno;
	f->made[i] = 1;
	return 0;
}

/* The unnamed files given their names: 0, or -errno (named: undone). */
static int name_outs(struct export_files *f)
{
	char proc[64];
	unsigned int i;
	int err = 0;

	for (i = 0; i < 4 && !err; i++) {
		if (f->made[i])
			continue;
		snprintf(proc, sizeof(proc), "/proc/self/fd/%d", f->fd[i]);
		if (linkat(AT_FDCWD, proc, AT_FDCWD, f->path[i],
			   AT_SYMLINK_FOLLOW) < 0)
			err = tg_err(-errno, "tenant export: %s: %s",
				     f->path[i], strerror(errno));
		else
			f->made[i] = 1;
	}
	return err;
}

/* export T --to FILE */
int cmd_tenant_export(const struct cli_opts *o, int argc, char **argv)
{
	static const struct option opts[] = {
		{"to", required_argument, NULL, 't'}, {}};
	struct json_object *req, *r = NULL, *v;
	struct export_files f;
	const char *to = NULL;
	unsigned int i;
	int c, err = 0;

	opterr = 0;
	optind = 1;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (c != 't')
			return tg_err(
				2,
				"tenant export: unknown option '%s' (tenant export T --to FILE)",
				argv[optind - 1]);
		to = optarg;
	}
	if (optind != argc - 1 || !to || !to[0])
		return tg_err(
			2,
			"tenant export: a tenant and --to FILE are needed (tenant export T --to FILE)");
	if (names(&f, to))
		return tg_err(2, "tenant export: --to %s: the name is too long",
			      to);
	for (i = 0; i < 4 && !err; i++) {
		err = open_out(&f, i);
		if (err)
			err = tg_err(
				err, "tenant export: %s: %s%s", f.path[i],
				strerror(-err),
				err == -EEXIST
					? " (an export never replaces a file)"
					: "");
	}
	if (err) {
		export_close(&f, 1);
		return 1;
	}
	req = json_object_new_object();
	json_object_object_add(req, "cmd",
			       json_object_new_string("tenant-export"));
	json_object_object_add(req, "tenant",
			       json_object_new_string(argv[optind]));
	/* The names the unnamed files will have, for the agent's checks. */
	v = json_object_new_array();
	for (i = 0; i < 2; i++)
		json_object_array_add(
			v, json_object_new_string(
				   strrchr(f.path[i], '/')
					   ? strrchr(f.path[i], '/') + 1
					   : f.path[i]));
	json_object_object_add(req, "names", v);
	r = tg_control_call_fds(o->control_socket, req, f.fd, 2);
	if (!r)
		err = tg_err(
			-errno,
			"tenant export: cannot reach the agent at %s: %s%s",
			o->control_socket, strerror(errno),
			cli_unreachable_hint(errno));
	else if (json_object_object_get_ex(r, "error", &v))
		err = tg_err(-EPERM, "tenant export: %s",
			     json_object_get_string(v));
	if (!err && (put_line(f.fd[2], jstr(r, "signature")) ||
		     put_line(f.fd[3], jstr(r, "public_key"))))
		err = tg_err(-EIO, "tenant export: cannot write %s or %s: %s",
			     f.path[2], f.path[3], strerror(errno));
	if (!err)
		err = name_outs(&f);
	json_object_put(req);
	export_close(&f, !!err);
	if (!err) {
		printf("%s\n", jstr(r, "message"));
		printf("archive %s\nmanifest %s\nsignature %s\nhost key %s (%s)\n",
		       f.path[0], f.path[1], f.path[2], f.path[3],
		       jstr(r, "public_key"));
	}
	json_object_put(r);
	return err ? 1 : 0;
}

/* The whole of path (at most max bytes) into *buf: its length, or -errno. */
static ssize_t slurp(const char *path, size_t max, char **buf)
{
	struct stat st;
	ssize_t n = -1;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	*buf = NULL;
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) < 0 || (size_t)st.st_size > max) {
		close(fd);
		return -EFBIG;
	}
	*buf = malloc(st.st_size + 1);
	if (*buf)
		n = read(fd, *buf, st.st_size);
	close(fd);
	if (n != st.st_size) {
		free(*buf);
		*buf = NULL;
		return -EIO;
	}
	(*buf)[n] = '\0';
	return n;
}

/* The public key given as base64, or in a file: 0, or 1 (told). */
static int load_pub(const char *arg, unsigned char pk[32])
{
	char *buf = NULL, *nl;
	int err;

	if (!tg_grant_key_parse(arg, pk))
		return 0;
	if (slurp(arg, 4096, &buf) < 0)
		return tg_err(1, "tenant verify: key %s: %s", arg,
			      strerror(errno ? errno : EIO));
	nl = strchr(buf, '\n');
	if (nl)
		*nl = '\0';
	err = tg_grant_key_parse(buf, pk);
	free(buf);
	if (err)
		return tg_err(
			1,
			"tenant verify: key %s: not an Ed25519 public key (44 base64 characters)",
			arg);
	return 0;
}

/* The signature file's 64 bytes: 0, or 1 (told). */
static int load_sig(const char *path, unsigned char sig[64])
{
	char *buf = NULL, *nl;
	size_t n = 0;
	int bad;

	if (slurp(path, 4096, &buf) < 0)
		return tg_err(1, "tenant verify: %s: %s", path,
			      strerror(errno ? errno : EIO));
	nl = strchr(buf, '\n');
	if (nl)
		*nl = '\0';
	bad = sodium_base642bin(sig, 64, buf, strlen(buf), NULL, &n, NULL,
				sodium_base64_VARIANT_ORIGINAL) ||
	      n != 64;
	free(buf);
	if (bad)
		return tg_err(
			1,
			"tenant verify: %s: not a signature (64 bytes in base64)",
			path);
	return 0;
}

/* A member's bytes against its SHA-256 (hex). 0, or 1 (told). */
static int check_data(struct archive *ar, const char *file,
		      const struct tg_manifest_entry *e)
{
	crypto_hash_sha256_state st;
	unsigned char sha[32], buf[65536];
	char hex[65];
	__u64 total = 0;
	la_ssize_t n;

	crypto_hash_sha256_init(&st);
	while ((n = archive_read_data(ar, buf, sizeof(buf))) > 0) {
		crypto_hash_sha256_update(&st, buf, n);
		total += n;
	}
	if (n < 0)
		return tg_err(1, "tenant verify: %s: member %s: %s", file,
			      e->path, archive_error_string(ar));
	crypto_hash_sha256_final(&st, sha);
	tg_chain_hex(sha, sizeof(sha), hex);
	if (total != e->size)
		return tg_err(
			1,
			"tenant verify: %s: %s differs: %llu bytes, the manifest says %llu",
			file, e->path, (unsigned long long)total,
			(unsigned long long)e->size);
	if (strcmp(hex, e->sha256))
		return tg_err(
			1,
			"tenant verify: %s: %s differs: SHA-256 %s, the manifest says %s",
			file, e->path, hex, e->sha256);
	return 0;
}

/* One member against its manifest entry. 0, or 1 (told). */
static int check_member(struct archive *ar, struct archive_entry *ae,
			const char *file, const struct tg_manifest_entry *e)
{
	int type = archive_entry_filetype(ae), want;
	const char *target;

	want = e->type == TG_MANIFEST_FILE  ? AE_IFREG
	       : e->type == TG_MANIFEST_DIR ? AE_IFDIR
					    : AE_IFLNK;
	if (type != want)
		return tg_err(
			1,
			"tenant verify: %s: %s differs: not a %s as the manifest says",
			file, e->path, tg_manifest_type_name(e->type));
	if ((archive_entry_perm(ae) & 07777) != e->mode)
		return tg_err(
			1,
			"tenant verify: %s: %s differs: mode %04o, the manifest says %04o",
			file, e->path, archive_entry_perm(ae) & 07777, e->mode);
	if (archive_entry_mtime(ae) != (time_t)e->mtime)
		return tg_err(
			1,
			"tenant verify: %s: %s differs: mtime %lld, the manifest says %llu",
			file, e->path, (long long)archive_entry_mtime(ae),
			(unsigned long long)e->mtime);
	if (e->type == TG_MANIFEST_SYMLINK) {
		target = archive_entry_symlink(ae);
		if (!target || strcmp(target, e->target))
			return tg_err(
				1,
				"tenant verify: %s: %s differs: its target is not '%s' as the manifest says",
				file, e->path, e->target);
	}
	if (e->type != TG_MANIFEST_FILE)
		return 0;
	if (archive_entry_size(ae) != (la_int64_t)e->size)
		return tg_err(
			1,
			"tenant verify: %s: %s differs: %lld bytes, the manifest says %llu",
			file, e->path, (long long)archive_entry_size(ae),
			(unsigned long long)e->size);
	return check_data(ar, file, e);
}

/* Every member of file against m, and none missing. 0, or 1 (told). */
static int check_archive(const char *file, const struct tg_manifest *m)
{
	struct archive *ar = archive_read_new();
	struct archive_entry *ae;
	struct tg_manifest_entry *e;
	unsigned char *seen = calloc(m->n + 1, 1);
	char name[TG_MANIFEST_PATH + 2];
	size_t i;
	int n, r = ARCHIVE_OK, ret = 0;

	if (!ar || !seen) {
		free(seen);
		return tg_err(1, "tenant verify: out of memory");
	}
	archive_read_support_format_tar(ar);
	if (archive_read_open_filename(ar, file, 65536) != ARCHIVE_OK) {
		ret = tg_err(1, "tenant verify: %s: %s", file,
			     archive_error_string(ar));
		goto out_free;
	}
	while (!ret && (r = archive_read_next_header(ar, &ae)) == ARCHIVE_OK) {
		/* tar writes a directory's name with a '/' at its end. */
		n = snprintf(name, sizeof(name), "%s",
			     archive_entry_pathname(ae) ?: "");
		while (n > 1 && n < (int)sizeof(name) && name[n - 1] == '/')
			name[--n] = '\0';
		e = tg_manifest_find(m, name);
		if (!e)
			ret = tg_err(
				1,
				"tenant verify: %s: %s is not in the manifest (a member added)",
				file, name);
		else if (seen[e - m->v]++)
			ret = tg_err(
				1,
				"tenant verify: %s: %s is in the archive twice",
				file, e->path);
		else
			ret = check_member(ar, ae, file, e);
	}
	if (!ret && r != ARCHIVE_EOF)
		ret = tg_err(1, "tenant verify: %s: %s", file,
			     archive_error_string(ar));
	for (i = 0; !ret && i < m->n; i++)
		if (!seen[i])
			ret = tg_err(
				1,
				"tenant verify: %s: %s is missing (the manifest lists it)",
				file, m->v[i].path);
out_free:
	archive_read_free(ar);
	free(seen);
	return ret;
}

/* verify FILE [--key PUB] */
int cmd_tenant_verify(const struct cli_opts *o, int argc, char **argv)
{
	static const struct option opts[] = {
		{"key", required_argument, NULL, 'k'}, {}};
	struct export_files f;
	struct tg_manifest m;
	unsigned char pk[32], sig[64];
	char err[512] = "", *man = NULL, b64[45];
	const char *key = NULL;
	ssize_t len;
	int c, ret;

	opterr = 0;
	optind = 1;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (c != 'k')
			return tg_err(
				2,
				"tenant verify: unknown option '%s' (tenant verify FILE [--key PUB])",
				argv[optind - 1]);
		key = optarg;
	}
	if (optind != argc - 1)
		return tg_err(
			2,
			"tenant verify: one export is needed (tenant verify FILE [--key PUB])");
	if (names(&f, argv[optind]))
		return tg_err(2, "tenant verify: %s: the name is too long",
			      argv[optind]);
	if (sodium_init() < 0)
		return tg_err(1, "tenant verify: libsodium does not start");
	if (load_pub(key ? key : f.path[3], pk) || load_sig(f.path[2], sig))
		return 1;
	len = slurp(f.path[1], TG_MANIFEST_MAX, &man);
	if (len < 0)
		return tg_err(1, "tenant verify: %s: %s", f.path[1],
			      strerror(-len));
	tg_grant_key_b64(pk, b64);
	if (crypto_sign_verify_detached(sig, (unsigned char *)man, len, pk)) {
		free(man);
		return tg_err(
			1,
			"tenant verify: %s: the signature %s does not match this manifest and the key %s",
			f.path[1], f.path[2], b64);
	}
	ret = tg_manifest_parse(man, len, &m, err, sizeof(err));
	free(man);
	if (ret)
		return tg_err(1, "tenant verify: %s: %s", f.path[1], err);
	ret = check_archive(f.path[0], &m);
	if (!ret)
		printf("verified: %s matches its manifest byte for byte: tenant %s, host %s, %llu files, %llu bytes, %zu members; signed by %s\n",
		       f.path[0], m.tenant, m.host,
		       (unsigned long long)m.total_files,
		       (unsigned long long)m.total_bytes, m.n, b64);
	tg_manifest_free(&m);
	return ret;
}
