// SPDX-License-Identifier: GPL-2.0
/*
 * Policy files (YAML, schema version 1), read through yaml_tree: every error
 * names file:line:column; duplicate keys are errors. The checks across
 * tenants are in policy_check.c.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <dirent.h>
#include <search.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <netinet/in.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <yaml.h>

#include "common/confirm.h"
#include "common/event_filter.h"
#include "common/grant_key.h"
#include "policy/policy.h"
#include "policy/yaml_tree.h"
#include "tenantguard/event_abi.h"

static void name_index_add(struct tg_policy *p, unsigned int i);

static int parse_mode(struct yctx *c, const struct ynode *y, int *mode)
{
	if (y_want(c, y, Y_SCALAR, "mode"))
		return -EINVAL;
	if (strcmp(y->value, "enforce") == 0)
		*mode = TG_MODE_ENFORCE;
	else if (strcmp(y->value, "audit") == 0)
		*mode = TG_MODE_AUDIT;
	else {
		YERR(c, y, "mode must be 'enforce' or 'audit', not '%s'",
		     y->value);
		return -EINVAL;
	}
	return 0;
}

/* An absolute, normalised path: no empty, "." or ".." components. */
static int parse_abs_path(struct yctx *c, const struct ynode *y,
			  const char *what, char *out, size_t outlen)
{
	const char *p;
	size_t n;

	if (y_want(c, y, Y_SCALAR, what))
		return -EINVAL;
	n = strlen(y->value);
	if (y->value[0] != '/') {
		YERR(c, y, "%s '%s' is not an absolute path", what, y->value);
		return -EINVAL;
	}
	if (n >= outlen) {
		YERR(c, y, "%s is too long", what);
		return -EINVAL;
	}
	for (p = y->value; *p; p++) {
		if (*p != '/')
			continue;
		if (p[1] == '/' || (p[1] == '.' && (p[2] == '/' || !p[2])) ||
		    (p[1] == '.' && p[2] == '.' && (p[3] == '/' || !p[3])) ||
		    (!p[1] && p != y->value)) {
			YERR(c, y,
			     "%s '%s' is not normalised (no //, /./, /../ or trailing /)",
			     what, y->value);
			return -EINVAL;
		}
	}
	memcpy(out, y->value, n + 1);
	return 0;
}

static int parse_uint(const char *s, unsigned long max, unsigned long *out)
{
	char *end = NULL;

	if (!*s || *s < '0' || *s > '9')
		return -EINVAL;
	errno = 0;
	*out = strtoul(s, &end, 10);
	return (errno || *end || *out > max) ? -EINVAL : 0;
}

/* "tcp:8000-8099", "udp:5353" */
static int parse_port(struct yctx *c, const struct ynode *y,
		      struct tg_port_range *r)
{
	char buf[64], *colon, *dash;
	unsigned long lo, hi;

	if (y_want(c, y, Y_SCALAR, "a port"))
		return -EINVAL;
	snprintf(buf, sizeof(buf), "%s", y->value);
	colon = strchr(buf, ':');
	if (!colon || strlen(y->value) >= sizeof(buf)) {
		YERR(c, y, "port '%s' must look like tcp:8000-8099 or udp:53",
		     y->value);
		return -EINVAL;
	}
	*colon = '\0';
	if (strcmp(buf, "tcp") == 0)
		r->proto = IPPROTO_TCP;
	else if (strcmp(buf, "udp") == 0)
		r->proto = IPPROTO_UDP;
	else {
		YERR(c, y, "port protocol '%s' must be tcp or udp", buf);
		return -EINVAL;
	}
	dash = strchr(colon + 1, '-');
	if (dash)
		*dash = '\0';
	if (parse_uint(colon + 1, 65535, &lo) ||
	    (dash && parse_uint(dash + 1, 65535, &hi))) {
		YERR(c, y, "port '%s' is out of 0..65535 or not a number",
		     y->value);
		return -EINVAL;
	}
	if (!dash)
		hi = lo;
	if (hi < lo) {
		YERR(c, y, "port range '%s' is reversed", y->value);
		return -EINVAL;
	}
	r->lo = (__u16)lo;
	r->hi = (__u16)hi;
	r->line = y->line;
	r->col = y->col;
	return 0;
}

/* "10.10.0.0/16", "fd00:10::/64", a bare address is a host route. */
static int parse_cidr(struct yctx *c, const struct ynode *y, struct tg_cidr *n)
{
	char buf[INET6_ADDRSTRLEN + 8], *slash;
	unsigned long prefix;
	unsigned int i, v4;
	__u8 a4[4];

	if (y_want(c, y, Y_SCALAR, "a network"))
		return -EINVAL;
	if (strlen(y->value) >= sizeof(buf))
		goto bad;
	snprintf(buf, sizeof(buf), "%s", y->value);
	slash = strchr(buf, '/');
	if (slash)
		*slash = '\0';
	memset(n, 0, sizeof(*n));
	if (inet_pton(AF_INET, buf, a4) == 1) {
		v4 = 1;
		n->addr[10] = n->addr[11] = 0xff;
		memcpy(n->addr + 12, a4, 4);
	} else if (inet_pton(AF_INET6, buf, n->addr) == 1) {
		v4 = 0;
	} else {
		goto bad;
	}
	prefix = v4 ? 32 : 128;
	if (slash && parse_uint(slash + 1, v4 ? 32 : 128, &prefix))
		goto bad;
	n->prefix = (__u8)(prefix + (v4 ? 96 : 0));
	for (i = n->prefix; i < 128; i++)
		if (n->addr[i / 8] & (0x80 >> (i % 8))) {
			YERR(c, y, "network '%s' has host bits set", y->value);
			return -EINVAL;
		}
	n->line = y->line;
	n->col = y->col;
	return 0;
bad:
	YERR(c, y, "'%s' is not a CIDR network (like 10.0.0.0/16 or fd00::/64)",
	     y->value);
	return -EINVAL;
}

/* events: {rate: N|unlimited, burst: N} */
static int parse_rate(struct yctx *c, const struct ynode *y, struct tg_rate *r)
{
	static const char *const keys[] = {"rate", "burst", NULL};
	const struct ynode *v, *b;
	unsigned long n;
	int err;

	if (y_want(c, y, Y_MAP, "events"))
		return -EINVAL;
	err = y_check_keys(c, y, keys, "events");
	v = y_get(y, "rate");
	b = y_get(y, "burst");
	if (!v) {
		YERR(c, y,
		     "events needs 'rate' (events per second, or unlimited)");
		return -EINVAL;
	}
	if (y_want(c, v, Y_SCALAR, "rate"))
		return -EINVAL;
	if (strcmp(v->value, "unlimited") == 0) {
		if (b) {
			YERR(c, b, "burst cannot be set with rate: unlimited");
			return -EINVAL;
		}
		*r = (struct tg_rate){.set = 1};
		return err;
	}
	if (parse_uint(v->value, TG_RATE_MAX, &n) || n == 0) {
		YERR(c, v,
		     "rate '%s' must be 1..%u events per second or 'unlimited'",
		     v->value, TG_RATE_MAX);
		return -EINVAL;
	}
	r->rate = (__u32)n;
	r->burst = n * TG_BURST_SECONDS > TG_BURST_MAX
			   ? TG_BURST_MAX
			   : (__u32)(n * TG_BURST_SECONDS);
	if (b) {
		if (y_want(c, b, Y_SCALAR, "burst"))
			return -EINVAL;
		if (parse_uint(b->value, TG_BURST_MAX, &n) || n == 0) {
			YERR(c, b, "burst '%s' must be 1..%u events", b->value,
			     TG_BURST_MAX);
			return -EINVAL;
		}
		r->burst = (__u32)n;
	}
	r->set = 1;
	return err;
}

const struct tg_rate *tg_policy_tenant_rate(const struct tg_policy *p,
					    const struct tg_policy_tenant *t)
{
	return t && t->events.set ? &t->events : &p->events;
}

int tg_tenant_name_valid(const char *name)
{
	size_t i, n = strlen(name);

	if (n == 0 || n >= TG_TENANT_NAME_MAX || strcmp(name, "host") == 0)
		return 0;
	if (name[0] == '.')
		return 0;
	for (i = 0; i < n; i++) {
		char c = name[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		      (c >= '0' && c <= '9') || c == '_' || c == '-' ||
		      c == '.'))
			return 0;
	}
	return 1;
}

int tg_profile_name_valid(const char *s)
{
	size_t i, n = strlen(s);

	if (!n || n >= 64)
		return 0;
	for (i = 0; i < n; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') ||
		      (s[i] >= '0' && s[i] <= '9') || s[i] == '-' ||
		      s[i] == '_'))
			return 0;
	return 1;
}

static const struct ynode *list_of(struct yctx *c, const struct ynode *y,
				   const char *what)
{
	if (!y)
		return NULL;
	if (y_want(c, y, Y_SEQ, what))
		return NULL;
	if (y->n > TG_POLICY_MAX_ITEMS) {
		YERR(c, y, "%s has more than %u entries", what,
		     TG_POLICY_MAX_ITEMS);
		return NULL;
	}
	return y;
}

/* Each tenant key's parser: 0, -EINVAL (reported) or -ENOMEM. */
static int tenant_cgroup(struct yctx *c, struct tg_policy_tenant *t,
			 const struct ynode *v)
{
	char cg[PATH_MAX];

	if (parse_abs_path(c, v, "cgroup", cg, sizeof(cg)))
		return -EINVAL;
	if (asprintf(&t->cgroup_where, "%s:%u:%u", c->name, v->line, v->col) <
	    0) {
		t->cgroup_where = NULL;
		return -ENOMEM;
	}
	t->cgroup = strdup(cg);
	return t->cgroup ? 0 : -ENOMEM;
}

static int tenant_mode(struct yctx *c, struct tg_policy_tenant *t,
		       const struct ynode *v)
{
	return parse_mode(c, v, &t->mode) ? -EINVAL : 0;
}

static int tenant_events(struct yctx *c, struct tg_policy_tenant *t,
			 const struct ynode *v)
{
	return parse_rate(c, v, &t->events) ? -EINVAL : 0;
}

static int tenant_seccomp(struct yctx *c, struct tg_policy_tenant *t,
			  const struct ynode *v)
{
	if (y_want(c, v, Y_SCALAR, "seccomp"))
		return -EINVAL;
	if (!tg_profile_name_valid(v->value)) {
		YERR(c, v, "seccomp profile name '%s' is invalid (a-z 0-9 - _)",
		     v->value);
		return -EINVAL;
	}
	snprintf(t->seccomp, sizeof(t->seccomp), "%s", v->value);
	return 0;
}

static int tenant_paths(struct yctx *c, struct tg_policy_tenant *t,
			const struct ynode *v)
{
	const struct ynode *l = list_of(c, v, "paths");
	unsigned int i;
	int err = 0;

	if (!l)
		return -EINVAL;
	t->paths = calloc(l->n + 1, sizeof(*t->paths));
	for (i = 0; t->paths && i < l->n; i++) {
		char path[PATH_MAX];

		if (parse_abs_path(c, l->kids[i], "path", path, sizeof(path))) {
			err = -EINVAL;
			continue;
		}
		t->paths[t->n_paths++] = strdup(path);
	}
	return err;
}

static int tenant_ports(struct yctx *c, struct tg_policy_tenant *t,
			const struct ynode *v)
{
	const struct ynode *l = list_of(c, v, "ports");
	unsigned int i;
	int err = 0;

	if (!l)
		return -EINVAL;
	t->ports = calloc(l->n + 1, sizeof(*t->ports));
	for (i = 0; t->ports && i < l->n; i++)
		if (parse_port(c, l->kids[i], &t->ports[t->n_ports]))
			err = -EINVAL;
		else
			t->n_ports++;
	return err;
}

static int tenant_networks(struct yctx *c, struct tg_policy_tenant *t,
			   const struct ynode *v)
{
	const struct ynode *l = list_of(c, v, "networks");
	unsigned int i;
	int err = 0;

	if (!l)
		return -EINVAL;
	t->networks = calloc(l->n + 1, sizeof(*t->networks));
	for (i = 0; t->networks && i < l->n; i++)
		if (parse_cidr(c, l->kids[i], &t->networks[t->n_networks]))
			err = -EINVAL;
		else
			t->n_networks++;
	return err;
}

/* Each entry keeps its location for the check in tg_policy_finish(). */
static int tenant_allow_from(struct yctx *c, struct tg_policy_tenant *t,
			     const struct ynode *v)
{
	const struct ynode *l = list_of(c, v, "allow_from");
	unsigned int i;
	int err = 0;

	if (!l)
		return -EINVAL;
	t->allow_from = calloc(l->n + 1, sizeof(*t->allow_from));
	for (i = 0; t->allow_from && i < l->n; i++) {
		if (y_want(c, l->kids[i], Y_SCALAR, "allow_from entry")) {
			err = -EINVAL;
			continue;
		}
		if (asprintf(&t->allow_from[t->n_allow_from], "%s%c%s:%u:%u",
			     l->kids[i]->value, 0, c->name, l->kids[i]->line,
			     l->kids[i]->col) > 0)
			t->n_allow_from++;
	}
	return err;
}

/*
 * A decimal id (what a name with no entry is written as), into *id:
 * 0, or -EINVAL if s is no number or out of range (0..2^32-2).
 */
static int parse_id(const char *s, unsigned int *id)
{
	unsigned long long v = 0;
	const char *q;

	if (!*s)
		return -EINVAL;
	for (q = s; *q; q++) {
		if (*q < '0' || *q > '9' || v > 0xfffffffeULL)
			return -EINVAL;
		v = v * 10 + (unsigned int)(*q - '0');
	}
	if (v > 0xfffffffeULL)
		return -EINVAL;
	*id = (unsigned int)v;
	return 0;
}

/* A user name (passwd, through NSS now) or a uid, into *uid. */
static int auditor_user(struct yctx *c, const struct ynode *v, uid_t *uid)
{
	struct passwd *pw;
	unsigned int id;

	if (y_want(c, v, Y_SCALAR, "an auditor user"))
		return -EINVAL;
	if (!parse_id(v->value, &id)) {
		*uid = id;
		return 0;
	}
	pw = getpwnam(v->value);
	if (!pw) {
		YERR(c, v,
		     "unknown user '%s' in auditors (not in the user database)",
		     v->value);
		return -EINVAL;
	}
	*uid = pw->pw_uid;
	return 0;
}

/* A group name (group database, through NSS now) or a gid, into *gid. */
static int auditor_group(struct yctx *c, const struct ynode *v, gid_t *gid)
{
	struct group *gr;
	unsigned int id;

	if (y_want(c, v, Y_SCALAR, "an auditor group"))
		return -EINVAL;
	if (!parse_id(v->value, &id)) {
		*gid = id;
		return 0;
	}
	gr = getgrnam(v->value);
	if (!gr) {
		YERR(c, v,
		     "unknown group '%s' in auditors (not in the group database)",
		     v->value);
		return -EINVAL;
	}
	*gid = gr->gr_gid;
	return 0;
}

/* The list key of auditors map y (users or groups): its node, or NULL. */
static const struct ynode *auditor_list(struct yctx *c, const struct ynode *y,
					const char *key, int *err)
{
	const struct ynode *l = y_get(y, key);

	if (!l)
		return NULL;
	l = list_of(c, l, key);
	if (l && l->n > TG_AUDITORS_MAX) {
		YERR(c, l, "auditors has more than %u %s", TG_AUDITORS_MAX,
		     key);
		l = NULL;
	}
	if (!l)
		*err = -EINVAL;
	return l;
}

/* auditors: {users: [NAME|UID...], groups: [NAME|GID...]} */
static int tenant_auditors(struct yctx *c, struct tg_policy_tenant *t,
			   const struct ynode *y)
{
	static const char *const keys[] = {"users", "groups", NULL};
	struct tg_auditors *a = &t->auditors;
	const struct ynode *l;
	unsigned int i;
	int err;

	if (y_want(c, y, Y_MAP, "auditors"))
		return -EINVAL;
	err = y_check_keys(c, y, keys, "auditors");
	l = auditor_list(c, y, "users", &err);
	for (i = 0; l && i < l->n; i++)
		if (auditor_user(c, l->kids[i], &a->uids[a->n_uids]))
			err = -EINVAL;
		else
			a->n_uids++;
	l = auditor_list(c, y, "groups", &err);
	for (i = 0; l && i < l->n; i++)
		if (auditor_group(c, l->kids[i], &a->gids[a->n_gids]))
			err = -EINVAL;
		else
			a->n_gids++;
	return err ? -EINVAL : 0;
}

/* One approver key: base64 of 32 bytes, not seen before in keys 0..n-1. */
static int approver_key(struct yctx *c, const struct ynode *v,
			struct tg_approvers *a)
{
	unsigned int i;

	if (y_want(c, v, Y_SCALAR, "an approver key"))
		return -EINVAL;
	if (tg_grant_key_parse(v->value, a->keys[a->n_keys])) {
		YERR(c, v,
		     "approver key '%.80s' is not an Ed25519 public key in base64 (44 characters)",
		     v->value);
		return -EINVAL;
	}
	for (i = 0; i < a->n_keys; i++)
		if (!memcmp(a->keys[i], a->keys[a->n_keys], 32)) {
			YERR(c, v, "approver key '%s' is listed twice",
			     v->value);
			return -EINVAL;
		}
	a->n_keys++;
	return 0;
}

/* approvers: {keys: [BASE64...], need: N}, N of the keys approve a grant. */
static int tenant_approvers(struct yctx *c, struct tg_policy_tenant *t,
			    const struct ynode *y)
{
	static const char *const keys[] = {"keys", "need", NULL};
	struct tg_approvers *a = &t->approvers;
	const struct ynode *l, *n;
	unsigned long need = 0;
	unsigned int i;
	int err;

	if (y_want(c, y, Y_MAP, "approvers"))
		return -EINVAL;
	err = y_check_keys(c, y, keys, "approvers");
	l = y_get(y, "keys");
	n = y_get(y, "need");
	if (!l || !n) {
		YERR(c, y, "approvers needs keys and need");
		return -EINVAL;
	}
	l = list_of(c, l, "approvers keys");
	if (l && l->n > TG_APPROVERS_MAX) {
		YERR(c, l, "approvers has more than %u keys", TG_APPROVERS_MAX);
		l = NULL;
	}
	if (!l)
		return -EINVAL;
	for (i = 0; i < l->n; i++)
		if (approver_key(c, l->kids[i], a))
			err = -EINVAL;
	if (y_want(c, n, Y_SCALAR, "need"))
		return -EINVAL;
	if (parse_uint(n->value, TG_APPROVERS_MAX, &need) || need < 1 ||
	    need > l->n) {
		YERR(c, n,
		     "need must be a number from 1 to the %u key(s), not '%s'",
		     l->n, n->value);
		return -EINVAL;
	}
	if (err) {
		a->n_keys = 0;
		return -EINVAL;
	}
	a->need = (unsigned int)need;
	return 0;
}

/* since: YYYY-MM-DD (UTC midnight) or YYYY-MM-DDTHH:MM:SSZ, into *t. */
static int parse_date(const char *s, __s64 *t)
{
	struct tm tm;
	const char *end;

	memset(&tm, 0, sizeof(tm));
	end = strptime(s, "%Y-%m-%d", &tm);
	if (end && *end == 'T')
		end = strptime(end, "T%H:%M:%SZ", &tm);
	if (!end || *end)
		return -EINVAL;
	*t = (__s64)timegm(&tm);
	return 0;
}

static int tenant_retired(struct yctx *c, struct tg_policy_tenant *t,
			  const struct ynode *y)
{
	static const char *const keys[] = {"since", "keep", NULL};
	const struct ynode *since, *keep;
	int err;

	if (y_want(c, y, Y_MAP, "retired"))
		return -EINVAL;
	err = y_check_keys(c, y, keys, "retired");
	since = y_get(y, "since");
	keep = y_get(y, "keep");
	if (!since) {
		YERR(c, y, "retired needs since (a date: 2026-12-07)");
		return -EINVAL;
	}
	if (y_want(c, since, Y_SCALAR, "since") ||
	    (keep && y_want(c, keep, Y_SCALAR, "keep")))
		return -EINVAL;
	if (parse_date(since->value, &t->retired_since)) {
		YERR(c, since,
		     "since: '%s' is no date (2026-12-07 or 2026-12-07T10:00:00Z)",
		     since->value);
		err = -EINVAL;
	}
	t->retired_keep_s = 90LL * 86400;
	if (keep && (tg_parse_duration(keep->value, &t->retired_keep_s) ||
		     t->retired_keep_s <= 0)) {
		YERR(c, keep, "keep: '%s' is no duration (90d, 12h, 30m)",
		     keep->value);
		err = -EINVAL;
	}
	if (err)
		return err;
	if (asprintf(&t->retired_where, "%s:%u:%u", c->name, y->line, y->col) <
	    0) {
		t->retired_where = NULL;
		return -ENOMEM;
	}
	t->retired = 1;
	return 0;
}

/* The keys of a tenant, parsed in this order (the order of their messages). */
static const struct {
	const char *key;
	int (*parse)(struct yctx *c, struct tg_policy_tenant *t,
		     const struct ynode *v);
} tenant_keys[] = {
	{"cgroup", tenant_cgroup},     {"mode", tenant_mode},
	{"events", tenant_events},     {"seccomp", tenant_seccomp},
	{"paths", tenant_paths},       {"ports", tenant_ports},
	{"networks", tenant_networks}, {"allow_from", tenant_allow_from},
	{"auditors", tenant_auditors}, {"approvers", tenant_approvers},
	{"retired", tenant_retired},
};

#define N_TENANT_KEYS (sizeof(tenant_keys) / sizeof(tenant_keys[0]))

/* Every key of tenant map y into t; stops only when out of memory. */
static int parse_tenant_keys(struct yctx *c, struct tg_policy_tenant *t,
			     const struct ynode *y)
{
	const char *allowed[N_TENANT_KEYS + 1] = {NULL};
	const struct ynode *v;
	size_t i;
	int r, err;

	for (i = 0; i < N_TENANT_KEYS; i++)
		allowed[i] = tenant_keys[i].key;
	err = y_check_keys(c, y, allowed, "a tenant");
	for (i = 0; i < N_TENANT_KEYS; i++) {
		v = y_get(y, tenant_keys[i].key);
		if (!v)
			continue;
		r = tenant_keys[i].parse(c, t, v);
		if (r == -ENOMEM)
			return r;
		if (r)
			err = r;
	}
	return err;
}

/* Whether key can name a new tenant of p; -EINVAL, reported, if not. */
static int tenant_name_check(struct yctx *c, const struct tg_policy *p,
			     const struct ynode *key)
{
	const struct tg_policy_tenant *prev;

	if (!tg_tenant_name_valid(key->value)) {
		YERR(c, key,
		     "invalid tenant name '%s' (1-63 of A-Z a-z 0-9 _ . -, not 'host')",
		     key->value);
		return -EINVAL;
	}
	prev = tg_policy_find(p, key->value);
	if (prev) {
		YERR(c, key, "tenant '%s' is already defined at %s", key->value,
		     prev->where);
		return -EINVAL;
	}
	if (p->n_tenants >= TG_POLICY_MAX_TENANTS) {
		YERR(c, key, "too many tenants (limit %d)",
		     TG_POLICY_MAX_TENANTS);
		return -EINVAL;
	}
	return 0;
}

/* Append tenant key, all defaults, to p; *tp points at it. */
static int tenant_add(struct yctx *c, struct tg_policy *p,
		      const struct ynode *key, struct tg_policy_tenant **tp)
{
	struct tg_policy_tenant *t;
	void *nt;

	nt = reallocarray(p->tenants, p->n_tenants + 1, sizeof(*p->tenants));
	if (!nt)
		return -ENOMEM;
	p->tenants = nt;
	t = &p->tenants[p->n_tenants++];
	memset(t, 0, sizeof(*t));
	snprintf(t->name, sizeof(t->name), "%s", key->value);
	name_index_add(p, p->n_tenants - 1);
	if (asprintf(&t->where, "%s:%u:%u", c->name, key->line, key->col) < 0) {
		t->where = NULL;
		return -ENOMEM;
	}
	t->mode = TG_MODE_INHERIT;
	*tp = t;
	return 0;
}

static int parse_tenant(struct yctx *c, struct tg_policy *p,
			const struct ynode *key, const struct ynode *y)
{
	struct tg_policy_tenant *t = NULL;
	int err;

	if (tenant_name_check(c, p, key))
		return -EINVAL;
	if (y->type == Y_SCALAR && y->value[0] == '\0' && !y->quoted)
		y = NULL; /* "acme:" with nothing: all defaults */
	else if (y_want(c, y, Y_MAP, "a tenant"))
		return -EINVAL;
	err = tenant_add(c, p, key, &t);
	if (err || !y)
		return err;
	return parse_tenant_keys(c, t, y);
}

/* One role's group names, each resolved to its gid now (getgrnam). */
static int parse_role_groups(struct yctx *c, struct tg_policy *p, int r,
			     const struct ynode *v)
{
	const struct ynode *l = list_of(c, v, "a role's groups");
	struct tg_role_group *g;
	struct group *gr;
	unsigned int i;
	int err = 0;

	if (!l)
		return -EINVAL;
	if (l->n > TG_ROLE_GROUPS_MAX) {
		YERR(c, l, "role %s has more than %u groups", tg_role_name(r),
		     TG_ROLE_GROUPS_MAX);
		return -EINVAL;
	}
	p->roles_given[r] = 1;
	p->roles.n[r] = 0;
	for (i = 0; i < l->n; i++) {
		v = l->kids[i];
		if (y_want(c, v, Y_SCALAR, "a group name")) {
			err = -EINVAL;
			continue;
		}
		if (!v->value[0] || strlen(v->value) >= TG_GROUP_NAME_MAX) {
			YERR(c, v, "group name '%s' is empty or longer than %u",
			     v->value, TG_GROUP_NAME_MAX - 1);
			err = -EINVAL;
			continue;
		}
		errno = 0;
		gr = getgrnam(v->value);
		if (!gr) {
			YERR(c, v,
			     "unknown group '%s' for role %s (not in the group database)",
			     v->value, tg_role_name(r));
			err = -EINVAL;
			continue;
		}
		g = &p->roles.v[r][p->roles.n[r]++];
		snprintf(g->name, sizeof(g->name), "%s", v->value);
		g->gid = gr->gr_gid;
		g->found = 1;
	}
	return err;
}

/* roles: {viewer: [GROUP...], operator: [...], admin: [...]} */
static int parse_roles(struct yctx *c, struct tg_policy *p,
		       const struct ynode *y)
{
	static const char *const keys[] = {"viewer", "operator", "admin", NULL};
	const struct ynode *v;
	int r, err;

	if (y_want(c, y, Y_MAP, "roles"))
		return -EINVAL;
	err = y_check_keys(c, y, keys, "roles");
	for (r = TG_ROLE_VIEWER; r < TG_ROLE_COUNT; r++)
		if ((v = y_get(y, tg_role_name(r))) &&
		    parse_role_groups(c, p, r, v))
			err = -EINVAL;
	return err;
}

/* A duration: N with s, m, h or d (10m, 90s, 1d), at most max seconds. */
static int parse_duration(const char *s, unsigned long max, unsigned long *out)
{
	static const struct {
		char unit;
		unsigned long sec;
	} units[] = {{'s', 1}, {'m', 60}, {'h', 3600}, {'d', 86400}};
	char num[24];
	size_t n = strlen(s), i;
	unsigned long v;

	if (n < 2 || n >= sizeof(num))
		return -EINVAL;
	memcpy(num, s, n - 1);
	num[n - 1] = '\0';
	for (i = 0; i < sizeof(units) / sizeof(units[0]); i++)
		if (s[n - 1] == units[i].unit)
			break;
	if (i == sizeof(units) / sizeof(units[0]) ||
	    parse_uint(num, max / units[i].sec, &v) || v == 0)
		return -EINVAL;
	*out = v * units[i].sec;
	return 0;
}

/* confirm: {verbs: [VERB...], window: DURATION} */
static int parse_confirm(struct yctx *c, struct tg_policy *p,
			 const struct ynode *y)
{
	static const char *const keys[] = {"verbs", "window", NULL};
	const struct ynode *v, *l;
	unsigned long w;
	unsigned int i;
	int err, k;

	if (y_want(c, y, Y_MAP, "confirm"))
		return -EINVAL;
	err = y_check_keys(c, y, keys, "confirm");
	if ((v = y_get(y, "window"))) {
		if (y_want(c, v, Y_SCALAR, "window") ||
		    parse_duration(v->value, TG_CONFIRM_WINDOW_MAX_S, &w)) {
			YERR(c, v,
			     "window '%s' must be a duration from 1s to %ud (like 90s, 10m, 1h)",
			     v->type == Y_SCALAR ? v->value : y_type_name(v),
			     TG_CONFIRM_WINDOW_MAX_S / 86400);
			err = -EINVAL;
		} else {
			p->confirm_window_s = (unsigned int)w;
		}
	}
	if (!(v = y_get(y, "verbs")))
		return err;
	if (v->type == Y_SCALAR && !v->value[0] && !v->quoted) {
		p->confirm_verbs = 0; /* verbs: (nothing): nothing waits */
		return err;
	}
	if (!(l = list_of(c, v, "confirm verbs")))
		return -EINVAL;
	p->confirm_verbs = 0;
	for (i = 0; i < l->n; i++) {
		v = l->kids[i];
		if (y_want(c, v, Y_SCALAR, "a verb")) {
			err = -EINVAL;
			continue;
		}
		k = tg_verb_index(v->value);
		if (k < 0) {
			YERR(c, v, "unknown verb '%s' in confirm", v->value);
			err = -EINVAL;
		} else if (!tg_verb_confirmable(v->value)) {
			YERR(c, v,
			     "verb '%s' cannot need confirmation (it only looks, or relays the requester's own terminal)",
			     v->value);
			err = -EINVAL;
		} else {
			p->confirm_verbs |= 1ull << k;
		}
	}
	return err;
}

/* One login uid or range, "1000" or "1000-59999", into r. */
static int parse_uid_range(const char *s, struct tg_uid_range *r)
{
	unsigned long lo, hi;
	const char *dash = strchr(s, '-');
	char a[24];

	if (!dash)
		return parse_uint(s, TG_NO_LOGIN_UID - 1, &lo)
			       ?: (r->lo = r->hi = (__u32)lo, 0);
	if ((size_t)(dash - s) >= sizeof(a))
		return -EINVAL;
	memcpy(a, s, (size_t)(dash - s));
	a[dash - s] = '\0';
	if (parse_uint(a, TG_NO_LOGIN_UID - 1, &lo) ||
	    parse_uint(dash + 1, TG_NO_LOGIN_UID - 1, &hi) || lo > hi)
		return -EINVAL;
	r->lo = (__u32)lo;
	r->hi = (__u32)hi;
	return 0;
}

/* support: {login_uids: [UID or FIRST-LAST...], groups: [GROUP...]} */
static int parse_support(struct yctx *c, struct tg_policy *p,
			 const struct ynode *y)
{
	static const char *const keys[] = {"login_uids", "groups", "delegation",
					   NULL};
	const struct ynode *v, *l;
	struct tg_role_group *g;
	struct group *gr;
	unsigned int i;
	int err;

	if (y_want(c, y, Y_MAP, "support"))
		return -EINVAL;
	err = y_check_keys(c, y, keys, "support");
	snprintf(p->support_where, sizeof(p->support_where), "%s:%u:%u",
		 c->name, y->line, y->col);
	if ((l = list_of(c, y_get(y, "login_uids"), "support login_uids"))) {
		if (l->n > TG_MAX_SUPPORT_RANGES) {
			YERR(c, l,
			     "support login_uids has more than %u entries",
			     TG_MAX_SUPPORT_RANGES);
			return -EINVAL;
		}
		for (i = 0; i < l->n; i++) {
			v = l->kids[i];
			if (y_want(c, v, Y_SCALAR, "a login uid or range")) {
				err = -EINVAL;
				continue;
			}
			if (parse_uid_range(
				    v->value,
				    &p->support_uids[p->n_support_uids])) {
				YERR(c, v,
				     "'%s' is not a login uid or range (like 1000 or 1000-59999, from 0 to %u, first not above last)",
				     v->value, TG_NO_LOGIN_UID - 1);
				err = -EINVAL;
				continue;
			}
			p->n_support_uids++;
		}
	} else if (y_get(y, "login_uids")) {
		err = -EINVAL;
	}
	if ((l = list_of(c, y_get(y, "groups"), "support groups"))) {
		if (l->n > TG_ROLE_GROUPS_MAX) {
			YERR(c, l, "support groups has more than %u entries",
			     TG_ROLE_GROUPS_MAX);
			return -EINVAL;
		}
		for (i = 0; i < l->n; i++) {
			v = l->kids[i];
			if (y_want(c, v, Y_SCALAR, "a group name")) {
				err = -EINVAL;
				continue;
			}
			if (!v->value[0] ||
			    strlen(v->value) >= TG_GROUP_NAME_MAX) {
				YERR(c, v,
				     "group name '%s' is empty or longer than %u",
				     v->value, TG_GROUP_NAME_MAX - 1);
				err = -EINVAL;
				continue;
			}
			gr = getgrnam(v->value);
			if (!gr) {
				YERR(c, v,
				     "unknown group '%s' for support (not in the group database)",
				     v->value);
				err = -EINVAL;
				continue;
			}
			g = &p->support_groups[p->n_support_groups++];
			snprintf(g->name, sizeof(g->name), "%s", v->value);
			g->gid = gr->gr_gid;
			g->found = 1;
		}
	} else if (y_get(y, "groups")) {
		err = -EINVAL;
	}
	if ((l = list_of(c, y_get(y, "delegation"), "support delegation"))) {
		if (l->n > TG_SUPPORT_DELEGATION_MAX) {
			YERR(c, l,
			     "support delegation has more than %u entries",
			     TG_SUPPORT_DELEGATION_MAX);
			return -EINVAL;
		}
		for (i = 0; i < l->n; i++)
			if (parse_abs_path(c, l->kids[i], "a delegation path",
					   p->support_delegation
						   [p->n_support_delegation],
					   PATH_MAX))
				err = -EINVAL;
			else
				p->n_support_delegation++;
	} else if (y_get(y, "delegation")) {
		err = -EINVAL;
	}
	if (!err && !p->n_support_uids && !p->n_support_groups) {
		YERR(c, y,
		     "support names nobody: give login_uids, groups or both");
		err = -EINVAL;
	}
	return err;
}

static int range_cmp(const void *a, const void *b)
{
	const struct tg_uid_range *x = a, *y = b;

	return x->lo < y->lo ? -1 : x->lo > y->lo;
}

/* Add uid to the n ranges of v (room for max); -E2BIG when full. */
static int add_uid(struct tg_uid_range *v, size_t *n, size_t max, __u32 uid)
{
	if (*n >= max)
		return -E2BIG;
	v[*n].lo = v[*n].hi = uid;
	(*n)++;
	return 0;
}

int tg_policy_support(const struct tg_policy *p, struct tg_support_set *out)
{
	struct tg_uid_range *v;
	size_t n = 0, max = 4096, i, k;
	struct passwd *pw;
	struct group *gr;
	unsigned int g;
	int err = 0;
	char **m;

	memset(out, 0, sizeof(*out));
	if (!p->n_support_uids && !p->n_support_groups)
		return 0;
	v = calloc(max, sizeof(*v));
	if (!v)
		return -ENOMEM;
	for (i = 0; i < p->n_support_uids; i++)
		v[n++] = p->support_uids[i];
	for (g = 0; g < p->n_support_groups && !err; g++) {
		gr = getgrgid(p->support_groups[g].gid);
		for (m = gr ? gr->gr_mem : NULL; m && *m && !err; m++)
			if ((pw = getpwnam(*m)))
				err = add_uid(v, &n, max, (__u32)pw->pw_uid);
	}
	if (p->n_support_groups && !err) {
		setpwent();
		while (!err && (pw = getpwent()))
			for (g = 0; g < p->n_support_groups; g++)
				if (pw->pw_gid == p->support_groups[g].gid) {
					err = add_uid(v, &n, max,
						      (__u32)pw->pw_uid);
					break;
				}
		endpwent();
	}
	qsort(v, n, sizeof(*v), range_cmp);
	for (i = 0, k = 0; i < n; i++) {
		if (k && (__u64)v[i].lo <= (__u64)v[k - 1].hi + 1) {
			if (v[i].hi > v[k - 1].hi)
				v[k - 1].hi = v[i].hi;
			continue;
		}
		v[k++] = v[i];
	}
	if (k > TG_MAX_SUPPORT_RANGES) {
		k = TG_MAX_SUPPORT_RANGES;
		err = err ?: -E2BIG;
	}
	memcpy(out->r, v, k * sizeof(*v));
	out->n = (__u32)k;
	free(v);
	return err;
}

int tg_support_has(const struct tg_support_set *s, __u32 uid)
{
	__u32 lo = 0,
	      hi = s->n < TG_MAX_SUPPORT_RANGES ? s->n : TG_MAX_SUPPORT_RANGES,
	      mid;

	if (uid == TG_NO_LOGIN_UID)
		return 0;
	while (lo < hi) {
		mid = (lo + hi) / 2;
		if (uid < s->r[mid].lo)
			hi = mid;
		else if (uid > s->r[mid].hi)
			lo = mid + 1;
		else
			return 1;
	}
	return 0;
}

void tg_policy_default_roles(struct tg_policy *p)
{
	struct tg_role_group *g;
	struct group *gr;
	int r;

	for (r = TG_ROLE_VIEWER; r < TG_ROLE_COUNT; r++) {
		if (p->roles_given[r])
			continue;
		g = &p->roles.v[r][0];
		memset(g, 0, sizeof(*g));
		snprintf(g->name, sizeof(g->name), "tenantguard-%s",
			 tg_role_name(r));
		gr = getgrnam(g->name);
		g->found = gr != NULL;
		g->gid = gr ? gr->gr_gid : (gid_t)-1;
		p->roles.n[r] = 1;
	}
}

int tg_policy_parse(struct tg_policy *p, const char *name, const char *buf,
		    size_t len, int main, struct tg_diag *d)
{
	static const char *const main_keys[] = {
		"version", "mode",    "tenants_cgroup", "events", "roles",
		"confirm", "support", "tenants",	NULL};
	static const char *const dropin_keys[] = {"version", "tenants", NULL};
	struct yctx c = {.name = name, .d = d, .doc = "policy"};
	const struct ynode *v, *tenants;
	struct ynode *root;
	unsigned long version;
	unsigned int i;
	int err = 0;

	root = ytree_parse(&c, buf, len, TG_POLICY_MAX_FILE);
	if (!root)
		return -EINVAL;
	if (y_want(&c, root, Y_MAP, "the policy")) {
		ytree_free(root);
		return -EINVAL;
	}
	err = y_check_keys(&c, root, main ? main_keys : dropin_keys,
			   main ? "the policy"
				: "a drop-in (only version and tenants)");
	v = y_get(root, "version");
	if (!v) {
		tg_diag_add(d, name, root->line, root->col,
			    "missing key 'version' (use version: 1)");
		err = -EINVAL;
	} else if (v->type != Y_SCALAR ||
		   parse_uint(v->value, 1000, &version) || version != 1) {
		YERR(&c, v, "unsupported policy version '%s' (only 1 is known)",
		     v->type == Y_SCALAR ? v->value : y_type_name(v));
		err = -EINVAL;
	} else {
		p->version = 1;
	}
	if (main && (v = y_get(root, "mode")) && parse_mode(&c, v, &p->mode))
		err = -EINVAL;
	if (main && (v = y_get(root, "events")) &&
	    parse_rate(&c, v, &p->events))
		err = -EINVAL;
	if (main && (v = y_get(root, "roles")) && parse_roles(&c, p, v))
		err = -EINVAL;
	if (main && (v = y_get(root, "confirm")) && parse_confirm(&c, p, v))
		err = -EINVAL;
	if (main && (v = y_get(root, "support")) && parse_support(&c, p, v))
		err = -EINVAL;
	if (main && (v = y_get(root, "tenants_cgroup"))) {
		if (parse_abs_path(&c, v, "tenants_cgroup", p->tenants_cgroup,
				   sizeof(p->tenants_cgroup)))
			err = -EINVAL;
		else
			snprintf(p->tenants_cgroup_where,
				 sizeof(p->tenants_cgroup_where), "%s:%u:%u",
				 name, v->line, v->col);
	}
	tenants = y_get(root, "tenants");
	if (tenants && tenants->type == Y_SCALAR && !tenants->value[0] &&
	    !tenants->quoted)
		tenants = NULL;
	if (tenants && !y_want(&c, tenants, Y_MAP, "tenants")) {
		if (y_check_keys(&c, tenants, NULL, "tenants"))
			err = -EINVAL;
		for (i = 0; i + 1 < tenants->n; i += 2)
			if (tenants->kids[i]->type == Y_SCALAR &&
			    parse_tenant(&c, p, tenants->kids[i],
					 tenants->kids[i + 1]))
				err = -EINVAL;
	} else if (tenants) {
		err = -EINVAL;
	}
	p->n_files++;
	ytree_free(root);
	return err;
}

/*
 * Name -> index of p->tenants, so that lookups stay O(1) at 10,000 tenants.
 * Keys point into p->tenants[].name, which move on realloc: the index is
 * rebuilt whenever the array moves.
 */
static void name_index_rebuild(struct tg_policy *p)
{
	unsigned int i;
	ENTRY e, *r;

	if (!p->names) {
		p->names = calloc(1, sizeof(struct hsearch_data));
		if (!p->names ||
		    !hcreate_r(TG_POLICY_MAX_TENANTS * 2, p->names)) {
			free(p->names);
			p->names = NULL;
			return;
		}
	} else {
		hdestroy_r(p->names);
		memset(p->names, 0, sizeof(struct hsearch_data));
		hcreate_r(TG_POLICY_MAX_TENANTS * 2, p->names);
	}
	for (i = 0; i < p->n_tenants; i++) {
		e.key = p->tenants[i].name;
		e.data = (void *)(size_t)i;
		hsearch_r(e, ENTER, &r, p->names);
	}
	p->names_base = p->tenants;
}

static void name_index_add(struct tg_policy *p, unsigned int i)
{
	ENTRY e, *r;

	if (!p->names || p->names_base != p->tenants) {
		name_index_rebuild(p);
		return;
	}
	e.key = p->tenants[i].name;
	e.data = (void *)(size_t)i;
	hsearch_r(e, ENTER, &r, p->names);
}

void tg_policy_init(struct tg_policy *p)
{
	memset(p, 0, sizeof(*p));
	p->mode = TG_MODE_ENFORCE;
	p->events = (struct tg_rate){
		.set = 1, .rate = TG_RATE_DEFAULT, .burst = TG_BURST_DEFAULT};
	snprintf(p->tenants_cgroup, sizeof(p->tenants_cgroup), "/tenants");
	tg_policy_default_confirm(p);
}

void tg_policy_default_confirm(struct tg_policy *p)
{
	static const char *const verbs[] = TG_CONFIRM_DEFAULT_VERBS;
	size_t i;

	p->confirm_verbs = 0;
	for (i = 0; i < sizeof(verbs) / sizeof(verbs[0]); i++)
		p->confirm_verbs |= 1ull << tg_verb_index(verbs[i]);
	p->confirm_window_s = TG_CONFIRM_WINDOW_DEFAULT_S;
}

static void free_strv(char **v, unsigned int n)
{
	unsigned int i;

	for (i = 0; v && i < n; i++)
		free(v[i]);
	free(v);
}

void tg_policy_free(struct tg_policy *p)
{
	unsigned int i;

	for (i = 0; i < p->n_tenants; i++) {
		struct tg_policy_tenant *t = &p->tenants[i];

		free_strv(t->paths, t->n_paths);
		free_strv(t->allow_from, t->n_allow_from);
		free(t->cgroup);
		free(t->cgroup_where);
		free(t->retired_where);
		free(t->where);
		free(t->ports);
		free(t->networks);
	}
	free(p->tenants);
	for (i = 0; i < p->n_read; i++)
		free(p->read[i].path);
	free(p->read);
	tg_diag_free(&p->warnings);
	if (p->names) {
		hdestroy_r(p->names);
		free(p->names);
	}
	tg_policy_init(p);
}

const struct tg_policy_tenant *tg_policy_find(const struct tg_policy *p,
					      const char *name)
{
	ENTRY q = {.key = (char *)name}, *r = NULL;

	if (!p->names || !hsearch_r(q, FIND, &r, p->names) || !r)
		return NULL;
	return &p->tenants[(size_t)r->data];
}

int tg_policy_tenant_mode(const struct tg_policy *p,
			  const struct tg_policy_tenant *t)
{
	return t->mode == TG_MODE_INHERIT ? p->mode : t->mode;
}

int tg_policy_access(const struct tg_policy *p, uid_t uid, gid_t gid,
		     const gid_t *groups, size_t n, struct tg_view *v)
{
	int role = tg_role_of(&p->roles, uid, gid, groups, n);
	unsigned int i;

	memset(v, 0, sizeof(*v));
	if (role != TG_ROLE_NONE) {
		v->all = 1;
		return role;
	}
	for (i = 0; i < p->n_tenants; i++) {
		if (!tg_is_auditor(&p->tenants[i].auditors, uid, gid, groups,
				   n))
			continue;
		/* All or nothing: never a part of what it audits. */
		if (tg_view_add(v, p->tenants[i].name)) {
			memset(v, 0, sizeof(*v));
			return -E2BIG;
		}
	}
	return v->n ? TG_ROLE_VIEWER : TG_ROLE_NONE;
}
