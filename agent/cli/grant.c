// SPDX-License-Identifier: GPL-2.0
/*
 * tenantguard grant keygen|approve|verify: the tenant's side of grants,
 * offline (no agent): make an approver key, approve a request, and check
 * a request and its approvals against a policy's approver keys
 * (docs/grants.md).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <sodium.h>

#include "cli/cli.h"
#include "common/event_filter.h"
#include "common/grant_key.h"
#include "common/grant_verify.h"
#include "common/log.h"
#include "policy/policy.h"

#define KEY_FILE_MAX  128
#define VALID_DEFAULT (24 * 3600)

/* A grant document's file into *buf (one document): 0 or 1 (reported). */
int cli_read_doc(const char *path, char **buf, size_t *len)
{
	struct tg_diag d = {};

	if (tg_read_text_file(path, TG_GRANT_MAX_DOC + 1, buf, len, &d)) {
		print_diag(&d);
		tg_diag_free(&d);
		return 1;
	}
	return 0;
}

/* keygen --out FILE: a new secret key (0600, never over a file), its public key
 * printed. */
int cmd_grant_keygen(const struct cli_opts *o, int argc, char **argv)
{
	unsigned char pk[32], sk[64], seed[32];
	char line[KEY_FILE_MAX], pub[45];
	const char *out = NULL;
	int fd, i, n, err = 0;

	for (i = 1; i < argc; i++)
		if (!strcmp(argv[i], "--out") && i + 1 < argc)
			out = argv[++i];
		else
			return tg_err(
				2,
				"grant keygen: unexpected '%s' (grant keygen --out FILE)",
				argv[i]);
	if (!out)
		return tg_err(2, "grant keygen: --out FILE is needed");
	if (sodium_init() < 0)
		return tg_err(1, "grant keygen: libsodium does not start");
	fd = open(out, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW,
		  0600);
	if (fd < 0)
		return tg_err(1, "grant keygen: cannot create %s: %s%s", out,
			      strerror(errno),
			      errno == EEXIST ? " (never overwritten)" : "");
	randombytes_buf(seed, sizeof(seed));
	crypto_sign_seed_keypair(pk, sk, seed);
	sodium_bin2base64(line, sizeof(line), seed, sizeof(seed),
			  sodium_base64_VARIANT_ORIGINAL);
	n = (int)strlen(line);
	line[n++] = '\n';
	if (fchmod(fd, 0600) < 0 || write(fd, line, (size_t)n) != n ||
	    fsync(fd) < 0)
		err = -errno ?: -EIO;
	if (close(fd) < 0 && !err)
		err = -errno;
	sodium_memzero(seed, sizeof(seed));
	sodium_memzero(sk, sizeof(sk));
	sodium_memzero(line, sizeof(line));
	if (err) {
		unlink(out);
		return tg_err(1, "grant keygen: cannot write %s: %s", out,
			      strerror(-err));
	}
	tg_grant_key_b64(pk, pub);
	printf("%s\n", pub);
	return 0;
}

/*
 * The secret key in path (a line of base64 of the 32-byte seed, in a file
 * only its owner may read) into sk: 0, or 1 (reported).
 */
static int read_key(const char *path, unsigned char sk[64])
{
	unsigned char seed[32], pk[32];
	char buf[KEY_FILE_MAX + 1];
	const char *end = NULL;
	struct stat st;
	size_t n = 0;
	ssize_t r = -1;
	int fd, bad = 0;

	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return tg_err(1, "grant approve: cannot open key %s: %s", path,
			      strerror(errno));
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		return tg_err(1, "grant approve: key %s is not a regular file",
			      path);
	}
	if (st.st_mode & 077) {
		close(fd);
		return tg_err(
			1,
			"grant approve: key %s may be read or written by others (mode %03o; chmod 600)",
			path, st.st_mode & 0777);
	}
	r = read(fd, buf, KEY_FILE_MAX);
	close(fd);
	if (r > 0 && buf[r - 1] == '\n')
		r--;
	if (r != 44)
		bad = 1;
	else {
		buf[r] = '\0';
		bad = sodium_base642bin(seed, sizeof(seed), buf, 44, NULL, &n,
					&end, sodium_base64_VARIANT_ORIGINAL) ||
		      n != 32 || *end;
	}
	sodium_memzero(buf, sizeof(buf));
	if (bad)
		return tg_err(
			1,
			"grant approve: key %s is not a secret key (one line: base64 of a 32-byte Ed25519 seed)",
			path);
	crypto_sign_seed_keypair(pk, sk, seed);
	sodium_memzero(seed, sizeof(seed));
	return 0;
}

/* approve REQUESTFILE --key KEYFILE [--valid DURATION]: the approval on stdout.
 */
int cmd_grant_approve(const struct cli_opts *o, int argc, char **argv)
{
	const char *req_path = NULL, *key = NULL;
	char err[TG_GRANT_ERR_MAX] = "", *req = NULL, *out = NULL;
	struct tg_grant_approval a;
	__s64 valid = VALID_DEFAULT;
	unsigned char sk[64];
	size_t len = 0, olen = 0;
	int i, ret = 1;

	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--key") && i + 1 < argc)
			key = argv[++i];
		else if (!strcmp(argv[i], "--valid") && i + 1 < argc) {
			if (tg_parse_duration(argv[++i], &valid) || valid < 1 ||
			    valid > TG_GRANT_MAX_VALID)
				return tg_err(
					2,
					"grant approve: --valid '%s' is no duration from 1s to 30d (90s, 10m, 2h, 1d)",
					argv[i]);
		} else if (argv[i][0] != '-' && !req_path)
			req_path = argv[i];
		else
			return tg_err(
				2,
				"grant approve: unexpected '%s' (grant approve REQUESTFILE --key KEYFILE [--valid DURATION])",
				argv[i]);
	}
	if (!req_path || !key)
		return tg_err(
			2,
			"grant approve: REQUESTFILE and --key KEYFILE are needed");
	if (sodium_init() < 0)
		return tg_err(1, "grant approve: libsodium does not start");
	if (read_key(key, sk))
		return 1;
	if (cli_read_doc(req_path, &req, &len))
		goto out_zero;
	/* A request, or a change of the tenant's approver keys. */
	if (strstr(req, "\"type\":\"" TG_APPROVERS_UPDATE_TYPE "\"")
		    ? tg_approvers_update_approve(
			      req, len, sk, (__u64)time(NULL) + (__u64)valid,
			      &a, err, sizeof(err))
		    : tg_grant_approve(req, len, sk,
				       (__u64)time(NULL) + (__u64)valid, &a,
				       err, sizeof(err))) {
		tg_err(1, "grant approve: %s: %s", req_path,
		       err[0] ? err : "out of memory");
		goto out_free;
	}
	if (tg_grant_approval_serialise(&a, &out, &olen)) {
		tg_err(1, "grant approve: out of memory");
		goto out_free;
	}
	printf("%.*s\n", (int)olen, out);
	ret = fflush(stdout) ? tg_err(1, "grant approve: cannot write: %s",
				      strerror(errno))
			     : 0;
	free(out);
out_free:
	free(req);
out_zero:
	sodium_memzero(sk, sizeof(sk));
	return ret;
}

/*
 * revoke-sign ID --tenant T --key KEYFILE: the tenant's signed revocation
 * of grant ID (runs anywhere, needs no agent), printed; tenantguard grant
 * revoke ID --signed FILE hands it to the agent.
 */
int cmd_grant_revoke_sign(const struct cli_opts *o, int argc, char **argv)
{
	const char *id = NULL, *key = NULL, *tenant = NULL;
	struct tg_grant_revocation r;
	unsigned char sk[64];
	char *out = NULL;
	size_t olen = 0;
	int i, ret = 1;

	(void)o;
	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--key") && i + 1 < argc)
			key = argv[++i];
		else if (!strcmp(argv[i], "--tenant") && i + 1 < argc)
			tenant = argv[++i];
		else if (argv[i][0] != '-' && !id)
			id = argv[i];
		else
			return tg_err(
				2,
				"grant revoke-sign: unexpected '%s' (grant revoke-sign ID --tenant T --key KEYFILE)",
				argv[i]);
	}
	if (!id || !tenant || !key)
		return tg_err(
			2,
			"grant revoke-sign: ID, --tenant T and --key KEYFILE are needed");
	if (!tg_grant_id_valid(id))
		return tg_err(
			2,
			"grant revoke-sign: '%s' is no grant id (32 lowercase hex digits)",
			id);
	if (sodium_init() < 0)
		return tg_err(1, "grant revoke-sign: libsodium does not start");
	if (read_key(key, sk))
		return 1;
	if (tg_grant_revoke_sign(id, tenant, (__u64)time(NULL), sk, &r) ||
	    tg_grant_revocation_serialise(&r, &out, &olen)) {
		tg_err(1, "grant revoke-sign: out of memory");
		goto out_zero;
	}
	printf("%.*s\n", (int)olen, out);
	ret = fflush(stdout) ? tg_err(1, "grant revoke-sign: cannot write: %s",
				      strerror(errno))
			     : 0;
	free(out);
out_zero:
	sodium_memzero(sk, sizeof(sk));
	return ret;
}

/*
 * approvers-update --tenant T --keys K1,K2... --need N: a change of tenant
 * T's approver keys, printed, for need of its current keys to approve
 * (grant approve) and grant approvers-set to hand to the agent.
 */
int cmd_grant_approvers_update(const struct cli_opts *o, int argc, char **argv)
{
	struct tg_approvers_update u = {0};
	char err[TG_GRANT_ERR_MAX] = "", *out = NULL, *keys = NULL, *k, *save;
	unsigned char pk[32];
	size_t olen = 0;
	int i, ret;
	long need = 0;

	(void)o;
	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--tenant") && i + 1 < argc)
			snprintf(u.tenant, sizeof(u.tenant), "%s", argv[++i]);
		else if (!strcmp(argv[i], "--keys") && i + 1 < argc)
			keys = argv[++i];
		else if (!strcmp(argv[i], "--need") && i + 1 < argc)
			need = strtol(argv[++i], NULL, 10);
		else
			return tg_err(
				2,
				"grant approvers-update: unexpected '%s' (grant approvers-update --tenant T --keys K1,K2,... --need N)",
				argv[i]);
	}
	if (!u.tenant[0] || !keys || need < 1)
		return tg_err(
			2,
			"grant approvers-update: --tenant T, --keys K1,K2,... and --need N (1 or more) are needed");
	for (k = strtok_r(keys, ",", &save); k;
	     k = strtok_r(NULL, ",", &save)) {
		if (u.n_keys == TG_UPDATE_KEYS_MAX)
			return tg_err(
				2, "grant approvers-update: more than %d keys",
				TG_UPDATE_KEYS_MAX);
		if (tg_grant_key_parse(k, pk))
			return tg_err(
				2,
				"grant approvers-update: '%s' is not a base64 Ed25519 public key (grant keygen prints one)",
				k);
		snprintf(u.keys[u.n_keys++], sizeof(u.keys[0]), "%s", k);
	}
	tg_approvers_update_sort(&u);
	u.need = (unsigned int)need;
	u.created = (__u64)time(NULL);
	if (tg_grant_new_id(u.id))
		return tg_err(1, "grant approvers-update: no random bytes");
	if (tg_approvers_update_serialise(&u, &out, &olen, err, sizeof(err)))
		return tg_err(2, "grant approvers-update: %s", err);
	printf("%.*s\n", (int)olen, out);
	ret = fflush(stdout)
		      ? tg_err(1, "grant approvers-update: cannot write: %s",
			       strerror(errno))
		      : 0;
	free(out);
	return ret;
}

struct verify_args {
	const char *req, *policy, *tenant, *host, *boot_id;
	const char *approvals[TG_GRANT_MAX_APPROVALS];
	unsigned int n;
};

static int verify_args(int argc, char **argv, struct verify_args *v)
{
	int i;

	for (i = 1; i < argc; i++) {
		const char **opt = !strcmp(argv[i], "--policy")	   ? &v->policy
				   : !strcmp(argv[i], "--tenant")  ? &v->tenant
				   : !strcmp(argv[i], "--host")	   ? &v->host
				   : !strcmp(argv[i], "--boot-id") ? &v->boot_id
								   : NULL;

		if (opt && i + 1 < argc)
			*opt = argv[++i];
		else if (opt || argv[i][0] == '-')
			return tg_err(2, "grant verify: unexpected '%s'",
				      argv[i]);
		else if (!v->req)
			v->req = argv[i];
		else if (v->n < TG_GRANT_MAX_APPROVALS)
			v->approvals[v->n++] = argv[i];
		else
			return tg_err(2, "grant verify: more than %u approvals",
				      TG_GRANT_MAX_APPROVALS);
	}
	if (!v->req || !v->n || !v->policy)
		return tg_err(
			2,
			"grant verify: REQUESTFILE APPROVAL... --policy FILE are needed");
	return 0;
}

/* The tenant's approvers from the policy in path: NULL (reported) if none. */
static const struct tg_policy_tenant *
policy_tenant(struct tg_policy *p, const char *path, const char *tenant)
{
	const struct tg_policy_tenant *t;
	struct tg_diag d = {};
	int err;

	tg_policy_init(p);
	snprintf(p->source, sizeof(p->source), "%s", path);
	err = tg_policy_load(p, path, NULL, &d);
	print_diag(&d);
	tg_diag_free(&d);
	if (err) {
		tg_err(1, "grant verify: policy %s is not valid", path);
		return NULL;
	}
	t = tg_policy_find(p, tenant);
	if (!t)
		tg_err(1, "grant verify: tenant '%s' is not in policy %s",
		       tenant, path);
	return t;
}

/* verify REQUESTFILE APPROVAL... --policy FILE [--tenant T] [--host H]
 * [--boot-id B] */
int cmd_grant_verify(const struct cli_opts *o, int argc, char **argv)
{
	char host[65] = "", boot[37] = "", err[TG_GRANT_ERR_MAX] = "";
	char named[sizeof(((struct tg_grant_request *)0)->tenant)];
	char *req = NULL, *docs[TG_GRANT_MAX_APPROVALS] = {NULL};
	size_t len = 0, lens[TG_GRANT_MAX_APPROVALS] = {0};
	const struct tg_policy_tenant *t;
	struct tg_grant_request r;
	struct tg_grant_context ctx = {};
	struct tg_grant_verdict *v = NULL;
	struct verify_args a = {};
	struct tg_policy p;
	unsigned int i;
	int ret = 1, k;

	if (verify_args(argc, argv, &a))
		return 2;
	k = tg_grant_this_host(host, boot);
	if (k < 0 && (!a.host || !a.boot_id))
		return tg_err(
			1,
			"grant verify: cannot tell this host and boot: %s (give --host and --boot-id)",
			strerror(-k));
	if (cli_read_doc(a.req, &req, &len))
		return 1;
	for (i = 0; i < a.n; i++)
		if (cli_read_doc(a.approvals[i], &docs[i], &lens[i]))
			goto out_free;
	/* Whose approvers: --tenant, else the tenant the request names. */
	if (!a.tenant &&
	    tg_grant_request_parse(req, len, &r, err, sizeof(err))) {
		tg_err(1, "grant verify: refused (bad-request): %s: %s", a.req,
		       err);
		goto out_free;
	}
	if (!a.tenant) {
		memcpy(named, r.tenant, sizeof(named));
		tg_grant_request_free(&r);
		a.tenant = named;
	}
	t = policy_tenant(&p, a.policy, a.tenant);
	if (!t)
		goto out_policy;
	ctx.tenant = t->name;
	ctx.approvers = &t->approvers;
	ctx.now = (__u64)time(NULL);
	ctx.host = a.host ?: host;
	ctx.boot_id = a.boot_id ?: boot;
	v = malloc(sizeof(*v));
	if (!v || tg_grant_verify(req, len, (const char *const *)docs, lens,
				  a.n, &ctx, v) < 0) {
		tg_err(1, "grant verify: out of memory");
		if (v)
			tg_grant_verdict_free(v);
		free(v);
		v = NULL;
		goto out_policy;
	}
	for (i = 0;
	     v->result != TG_GRANT_BAD_REQUEST && i < v->n && v->each[i].why[0];
	     i++)
		printf("approval %u (%s): %s: %s\n", i + 1, a.approvals[i],
		       tg_grant_result_name(v->each[i].result), v->each[i].why);
	if (v->result == TG_GRANT_OK) {
		printf("request %s for tenant %s: approved (%u of %u needed approvers); not activated (this command only checks)\n",
		       v->req.id, t->name, v->n_valid, v->need);
		ret = 0;
	} else {
		fflush(stdout);
		tg_err(1, "grant verify: refused (%s): %s",
		       tg_grant_result_name(v->result), v->why);
	}
	tg_grant_verdict_free(v);
	free(v);
out_policy:
	tg_policy_free(&p);
out_free:
	for (i = 0; i < a.n; i++)
		free(docs[i]);
	free(req);
	return ret;
}
