// SPDX-License-Identifier: GPL-2.0
/*
 * Policy files (YAML, schema version 1), read through ytree: every error
 * names file:line:column; duplicate keys are errors.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <dirent.h>
#include <search.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <yaml.h>

#include "policy/policy.h"
#include "policy/yaml_tree.h"

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
		YERR(c, y, "mode must be 'enforce' or 'audit', not '%s'", y->value);
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
			YERR(c, y, "%s '%s' is not normalised (no //, /./, /../ or trailing /)",
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
		YERR(c, y, "port '%s' must look like tcp:8000-8099 or udp:53", y->value);
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
		YERR(c, y, "port '%s' is out of 0..65535 or not a number", y->value);
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
	static const char *const keys[] = { "rate", "burst", NULL };
	const struct ynode *v, *b;
	unsigned long n;
	int err;

	if (y_want(c, y, Y_MAP, "events"))
		return -EINVAL;
	err = y_check_keys(c, y, keys, "events");
	v = y_get(y, "rate");
	b = y_get(y, "burst");
	if (!v) {
		YERR(c, y, "events needs 'rate' (events per second, or unlimited)");
		return -EINVAL;
	}
	if (y_want(c, v, Y_SCALAR, "rate"))
		return -EINVAL;
	if (strcmp(v->value, "unlimited") == 0) {
		if (b) {
			YERR(c, b, "burst cannot be set with rate: unlimited");
			return -EINVAL;
		}
		*r = (struct tg_rate){ .set = 1 };
		return err;
	}
	if (parse_uint(v->value, TG_RATE_MAX, &n) || n == 0) {
		YERR(c, v, "rate '%s' must be 1..%u events per second or 'unlimited'",
		     v->value, TG_RATE_MAX);
		return -EINVAL;
	}
	r->rate = (__u32)n;
	r->burst = n * TG_BURST_SECONDS > TG_BURST_MAX ? TG_BURST_MAX :
							(__u32)(n * TG_BURST_SECONDS);
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
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') ||
		      s[i] == '-' || s[i] == '_'))
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
		YERR(c, y, "%s has more than %u entries", what, TG_POLICY_MAX_ITEMS);
		return NULL;
	}
	return y;
}

static int parse_tenant(struct yctx *c, struct tg_policy *p,
			const struct ynode *key, const struct ynode *y)
{
	static const char *const keys[] = { "cgroup", "mode", "paths", "ports",
					    "networks", "allow_from", "seccomp",
					    "events", NULL };
	const struct tg_policy_tenant *prev;
	struct tg_policy_tenant *t;
	const struct ynode *v, *l;
	unsigned int i;
	int err = 0;
	void *nt;

	if (!tg_tenant_name_valid(key->value)) {
		YERR(c, key, "invalid tenant name '%s' (1-63 of A-Z a-z 0-9 _ . -, not 'host')",
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
		YERR(c, key, "too many tenants (limit %d)", TG_POLICY_MAX_TENANTS);
		return -EINVAL;
	}
	if (y->type == Y_SCALAR && y->value[0] == '\0' && !y->quoted)
		y = NULL;	/* "acme:" with nothing: all defaults */
	else if (y_want(c, y, Y_MAP, "a tenant"))
		return -EINVAL;
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
	if (!y)
		return 0;
	err = y_check_keys(c, y, keys, "a tenant");
	if ((v = y_get(y, "cgroup"))) {
		char cg[PATH_MAX];

		if (parse_abs_path(c, v, "cgroup", cg, sizeof(cg)))
			err = -EINVAL;
		else if (!(t->cgroup = strdup(cg)))
			return -ENOMEM;
	}
	if ((v = y_get(y, "mode")) && parse_mode(c, v, &t->mode))
		err = -EINVAL;
	if ((v = y_get(y, "events")) && parse_rate(c, v, &t->events))
		err = -EINVAL;
	if ((v = y_get(y, "seccomp"))) {
		if (y_want(c, v, Y_SCALAR, "seccomp"))
			err = -EINVAL;
		else if (!tg_profile_name_valid(v->value)) {
			YERR(c, v, "seccomp profile name '%s' is invalid (a-z 0-9 - _)",
			    v->value);
			err = -EINVAL;
		} else {
			snprintf(t->seccomp, sizeof(t->seccomp), "%s", v->value);
		}
	}
	if ((l = list_of(c, y_get(y, "paths"), "paths"))) {
		t->paths = calloc(l->n + 1, sizeof(*t->paths));
		for (i = 0; t->paths && i < l->n; i++) {
			char path[PATH_MAX];

			if (parse_abs_path(c, l->kids[i], "path", path, sizeof(path))) {
				err = -EINVAL;
				continue;
			}
			t->paths[t->n_paths++] = strdup(path);
		}
	} else if (y_get(y, "paths")) {
		err = -EINVAL;
	}
	if ((l = list_of(c, y_get(y, "ports"), "ports"))) {
		t->ports = calloc(l->n + 1, sizeof(*t->ports));
		for (i = 0; t->ports && i < l->n; i++)
			if (parse_port(c, l->kids[i], &t->ports[t->n_ports]))
				err = -EINVAL;
			else
				t->n_ports++;
	} else if (y_get(y, "ports")) {
		err = -EINVAL;
	}
	if ((l = list_of(c, y_get(y, "networks"), "networks"))) {
		t->networks = calloc(l->n + 1, sizeof(*t->networks));
		for (i = 0; t->networks && i < l->n; i++)
			if (parse_cidr(c, l->kids[i], &t->networks[t->n_networks]))
				err = -EINVAL;
			else
				t->n_networks++;
	} else if (y_get(y, "networks")) {
		err = -EINVAL;
	}
	if ((l = list_of(c, y_get(y, "allow_from"), "allow_from"))) {
		/* Each entry keeps its location for the check in finish(). */
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
	} else if (y_get(y, "allow_from")) {
		err = -EINVAL;
	}
	return err;
}

int tg_policy_parse(struct tg_policy *p, const char *name, const char *buf,
		    size_t len, int main, struct tg_diag *d)
{
	static const char *const main_keys[] = { "version", "mode", "tenants_cgroup",
						 "events", "tenants", NULL };
	static const char *const dropin_keys[] = { "version", "tenants", NULL };
	struct yctx c = { .name = name, .d = d, .doc = "policy" };
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
			 main ? "the policy" : "a drop-in (only version and tenants)");
	v = y_get(root, "version");
	if (!v) {
		tg_diag_add(d, name, root->line, root->col, "missing key 'version' (use version: 1)");
		err = -EINVAL;
	} else if (v->type != Y_SCALAR || parse_uint(v->value, 1000, &version) ||
		   version != 1) {
		YERR(&c, v, "unsupported policy version '%s' (only 1 is known)",
		    v->type == Y_SCALAR ? v->value : y_type_name(v));
		err = -EINVAL;
	} else {
		p->version = 1;
	}
	if (main && (v = y_get(root, "mode")) && parse_mode(&c, v, &p->mode))
		err = -EINVAL;
	if (main && (v = y_get(root, "events")) && parse_rate(&c, v, &p->events))
		err = -EINVAL;
	if (main && (v = y_get(root, "tenants_cgroup")) &&
	    parse_abs_path(&c, v, "tenants_cgroup", p->tenants_cgroup,
			   sizeof(p->tenants_cgroup)))
		err = -EINVAL;
	tenants = y_get(root, "tenants");
	if (tenants && tenants->type == Y_SCALAR && !tenants->value[0] && !tenants->quoted)
		tenants = NULL;
	if (tenants && !y_want(&c, tenants, Y_MAP, "tenants")) {
		if (y_check_keys(&c, tenants, NULL, "tenants"))
			err = -EINVAL;
		for (i = 0; i + 1 < tenants->n; i += 2)
			if (tenants->kids[i]->type == Y_SCALAR &&
			    parse_tenant(&c, p, tenants->kids[i], tenants->kids[i + 1]))
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
		if (!p->names || !hcreate_r(TG_POLICY_MAX_TENANTS * 2, p->names)) {
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
	p->events = (struct tg_rate){ .set = 1, .rate = TG_RATE_DEFAULT,
				      .burst = TG_BURST_DEFAULT };
	snprintf(p->tenants_cgroup, sizeof(p->tenants_cgroup), "/tenants");
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
		free(t->where);
		free(t->ports);
		free(t->networks);
	}
	free(p->tenants);
	if (p->names) {
		hdestroy_r(p->names);
		free(p->names);
	}
	tg_policy_init(p);
}

const struct tg_policy_tenant *tg_policy_find(const struct tg_policy *p,
					      const char *name)
{
	ENTRY q = { .key = (char *)name }, *r = NULL;

	if (!p->names || !hsearch_r(q, FIND, &r, p->names) || !r)
		return NULL;
	return &p->tenants[(size_t)r->data];
}

int tg_policy_tenant_mode(const struct tg_policy *p,
			  const struct tg_policy_tenant *t)
{
	return t->mode == TG_MODE_INHERIT ? p->mode : t->mode;
}

/* One path, port range or network of a tenant. */
struct owned {
	const void *x;
	const struct tg_policy_tenant *t;
};

enum owned_kind { OWN_PATHS, OWN_PORTS, OWN_NETS };

/*
 * Every item of kind of every tenant, sorted by cmp, in *v (NULL if none);
 * their number, or -ENOMEM.
 */
static long owned_list(const struct tg_policy *p, enum owned_kind kind,
		       int (*cmp)(const void *, const void *), struct owned **v)
{
	size_t n = 0, i;
	unsigned int j, m;

	*v = NULL;
	for (i = 0; i < p->n_tenants; i++)
		n += kind == OWN_PATHS ? p->tenants[i].n_paths :
		     kind == OWN_PORTS ? p->tenants[i].n_ports : p->tenants[i].n_networks;
	if (!n)
		return 0;
	*v = calloc(n, sizeof(**v));
	if (!*v)
		return -ENOMEM;
	n = 0;
	for (i = 0; i < p->n_tenants; i++) {
		const struct tg_policy_tenant *t = &p->tenants[i];

		m = kind == OWN_PATHS ? t->n_paths : kind == OWN_PORTS ? t->n_ports :
									t->n_networks;
		for (j = 0; j < m; j++)
			(*v)[n++] = (struct owned){
				kind == OWN_PATHS ? (const void *)t->paths[j] :
				kind == OWN_PORTS ? (const void *)&t->ports[j] :
						    (const void *)&t->networks[j], t };
	}
	qsort(*v, n, sizeof(**v), cmp);
	return (long)n;
}

/*
 * v (n items) sorted so that every item follows the items that contain it:
 * report each item contained in one of another tenant. 0 or -EINVAL.
 */
static int nested_sweep(const struct owned *v, size_t n,
			int (*contains)(const void *outer, const void *inner),
			void (*report)(struct tg_diag *d, const struct owned *in,
				       const struct owned *out),
			struct tg_diag *d)
{
	const struct owned **stack;
	size_t i, top = 0;
	int err = 0;

	stack = calloc(n ? n : 1, sizeof(*stack));
	if (!stack)
		return -ENOMEM;
	for (i = 0; i < n; i++) {
		while (top && !contains(stack[top - 1]->x, v[i].x))
			top--;
		if (top && stack[top - 1]->t != v[i].t) {
			report(d, &v[i], stack[top - 1]);
			err = -EINVAL;
		}
		stack[top++] = &v[i];
	}
	free(stack);
	return err;
}

/* Order paths so that every path is followed by its descendants. */
static int path_cmp(const void *a, const void *b)
{
	const unsigned char *x = (const unsigned char *)((const struct owned *)a)->x;
	const unsigned char *y = (const unsigned char *)((const struct owned *)b)->x;

	for (; *x && *x == *y; x++, y++)
		;
	return (*x == '/' ? 1 : *x + 1) - (*y == '/' ? 1 : *y + 1);
}

static int is_under(const char *path, const char *root)
{
	size_t n = strlen(root);

	return strncmp(path, root, n) == 0 &&
	       (path[n] == '/' || path[n] == '\0' || (n == 1 && root[0] == '/'));
}

/* diag_add at a location kept as text, "file:line:column". */
static void diag_at(struct tg_diag *d, const char *where, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void diag_at(struct tg_diag *d, const char *where, const char *fmt, ...)
{
	char file[PATH_MAX + 32], msg[400], *c1, *c2;
	va_list ap;

	snprintf(file, sizeof(file), "%s", where);
	c2 = strrchr(file, ':');
	*c2 = '\0';
	c1 = strrchr(file, ':');
	*c1 = '\0';
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	tg_diag_add(d, file, (unsigned int)atoi(c1 + 1), (unsigned int)atoi(c2 + 1),
		 "%s", msg);
}

static int path_contains(const void *outer, const void *inner)
{
	return is_under(inner, outer);
}

static void path_overlap(struct tg_diag *d, const struct owned *in,
			 const struct owned *out)
{
	diag_at(d, in->t->where, "path %s of tenant '%s' overlaps %s of tenant '%s' (%s)",
		(const char *)in->x, in->t->name, (const char *)out->x, out->t->name,
		out->t->where);
}

static int check_overlaps(const struct tg_policy *p, struct tg_diag *d)
{
	struct owned *v;
	long n;
	int err;

	n = owned_list(p, OWN_PATHS, path_cmp, &v);
	if (n <= 0)
		return (int)n;
	err = nested_sweep(v, (size_t)n, path_contains, path_overlap, d);
	free(v);
	return err;
}

/* diag_add at line:col of the file where tenant t is defined. */
static void diag_in(struct tg_diag *d, const struct tg_policy_tenant *t,
		    unsigned int line, unsigned int col, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));

static void diag_in(struct tg_diag *d, const struct tg_policy_tenant *t,
		    unsigned int line, unsigned int col, const char *fmt, ...)
{
	char file[PATH_MAX + 32], msg[400], *c;
	va_list ap;
	int i;

	snprintf(file, sizeof(file), "%s", t->where);
	for (i = 0; i < 2 && (c = strrchr(file, ':')); i++)
		*c = '\0';
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	tg_diag_add(d, file, line, col, "%s", msg);
}

static int port_cmp(const void *a, const void *b)
{
	const struct tg_port_range *x = ((const struct owned *)a)->x;
	const struct tg_port_range *y = ((const struct owned *)b)->x;

	if (x->proto != y->proto)
		return x->proto - y->proto;
	if (x->lo != y->lo)
		return x->lo - y->lo;
	return x->hi - y->hi;
}

static void port_text(const struct tg_port_range *r, char *buf, size_t len)
{
	const char *proto = r->proto == IPPROTO_TCP ? "tcp" : "udp";

	if (r->lo == r->hi)
		snprintf(buf, len, "%s:%u", proto, r->lo);
	else
		snprintf(buf, len, "%s:%u-%u", proto, r->lo, r->hi);
}

static void port_overlap(struct tg_diag *d, const struct owned *u,
			 const struct owned *prev)
{
	const struct tg_port_range *r = u->x;
	char a[32], b[32];

	port_text(r, a, sizeof(a));
	port_text(prev->x, b, sizeof(b));
	diag_in(d, u->t, r->line, r->col,
		"port %s of tenant '%s' overlaps %s of tenant '%s' (%s)", a, u->t->name,
		b, prev->t->name, prev->t->where);
}

/*
 * Two tenants may not reserve one port. Sorted by start, a range overlaps
 * an earlier one of another tenant iff it starts at or before the highest
 * end seen of another tenant: keep the range reaching furthest, and the one
 * reaching furthest among the other tenants.
 */
static const struct tg_port_range *range(const struct owned *o)
{
	return o->x;
}

static int check_port_overlaps(const struct tg_policy *p, struct tg_diag *d)
{
	const struct owned *far = NULL, *far2 = NULL, *u;
	struct owned *v;
	long n, i;
	int err = 0;

	n = owned_list(p, OWN_PORTS, port_cmp, &v);
	if (n <= 0)
		return (int)n;
	for (i = 0; i < n; i++) {
		u = &v[i];
		if (far && range(far)->proto != range(u)->proto)
			far = far2 = NULL;
		if (far && far->t != u->t && range(u)->lo <= range(far)->hi) {
			port_overlap(d, u, far);
			err = -EINVAL;
		} else if (far2 && range(u)->lo <= range(far2)->hi) {
			port_overlap(d, u, far2);
			err = -EINVAL;
		}
		if (!far || range(u)->hi > range(far)->hi) {
			if (far && far->t != u->t)
				far2 = far;
			far = u;
		} else if (u->t != far->t && (!far2 || range(u)->hi > range(far2)->hi)) {
			far2 = u;
		}
	}
	free(v);
	return err;
}

static int net_cmp(const void *a, const void *b)
{
	const struct tg_cidr *x = ((const struct owned *)a)->x;
	const struct tg_cidr *y = ((const struct owned *)b)->x;
	int c = memcmp(x->addr, y->addr, 16);

	return c ? c : x->prefix - y->prefix;
}

/* Whether network outer holds every address of inner. */
static int net_contains(const void *o, const void *in)
{
	const struct tg_cidr *outer = o, *inner = in;
	unsigned int i;

	if (outer->prefix > inner->prefix)
		return 0;
	for (i = 0; i < outer->prefix; i++)
		if ((outer->addr[i / 8] ^ inner->addr[i / 8]) & (0x80 >> (i % 8)))
			return 0;
	return 1;
}

static void net_text(const struct tg_cidr *n, char *buf, size_t len)
{
	static const __u8 mapped[12] = { [10] = 0xff, [11] = 0xff };
	char a[INET6_ADDRSTRLEN];

	if (!memcmp(n->addr, mapped, 12) && n->prefix >= 96) {
		inet_ntop(AF_INET, n->addr + 12, a, sizeof(a));
		snprintf(buf, len, "%s/%u", a, n->prefix - 96);
	} else {
		inet_ntop(AF_INET6, n->addr, a, sizeof(a));
		snprintf(buf, len, "%s/%u", a, n->prefix);
	}
}

static void net_overlap(struct tg_diag *d, const struct owned *in,
			const struct owned *out)
{
	const struct tg_cidr *n = in->x;
	char a[64], b[64];

	net_text(n, a, sizeof(a));
	net_text(out->x, b, sizeof(b));
	diag_in(d, in->t, n->line, n->col,
		"network %s of tenant '%s' overlaps %s of tenant '%s' (%s)", a,
		in->t->name, b, out->t->name, out->t->where);
}

/* Two tenants may not own one address: no network inside another's. */
static int check_net_overlaps(const struct tg_policy *p, struct tg_diag *d)
{
	struct owned *v;
	long n;
	int err;

	n = owned_list(p, OWN_NETS, net_cmp, &v);
	if (n <= 0)
		return (int)n;
	err = nested_sweep(v, (size_t)n, net_contains, net_overlap, d);
	free(v);
	return err;
}

int tg_policy_finish(struct tg_policy *p, struct tg_diag *d)
{
	unsigned int i, j;
	int err = 0;

	for (i = 0; i < p->n_tenants; i++) {
		struct tg_policy_tenant *t = &p->tenants[i];

		if (!t->cgroup &&
		    asprintf(&t->cgroup, "%s/%s",
			     strcmp(p->tenants_cgroup, "/") ? p->tenants_cgroup : "",
			     t->name) < 0) {
			t->cgroup = NULL;
			err = -ENOMEM;
		}
		for (j = 0; j < t->n_allow_from; j++) {
			const char *name = t->allow_from[j];

			if (tg_policy_find(p, name))
				continue;
			diag_at(d, name + strlen(name) + 1,
				"unknown tenant '%s' in allow_from of '%s'", name,
				t->name);
			err = -EINVAL;
		}
	}
	if (check_overlaps(p, d))
		err = -EINVAL;
	if (check_port_overlaps(p, d))
		err = -EINVAL;
	if (check_net_overlaps(p, d))
		err = -EINVAL;
	return err;
}


static int yaml_name(const struct dirent *de)
{
	size_t n = strlen(de->d_name);

	return de->d_name[0] != '.' && n > 5 && strcmp(de->d_name + n - 5, ".yaml") == 0;
}

int tg_policy_load_file(struct tg_policy *p, const char *path, int main,
			struct tg_diag *d)
{
	char *buf = NULL;
	size_t len = 0;
	int err;

	err = tg_read_text_file(path, TG_POLICY_MAX_FILE, &buf, &len, d);
	if (!err)
		err = tg_policy_parse(p, path, buf, len, main, d);
	free(buf);
	return err;
}

int tg_policy_load(struct tg_policy *p, const char *file,
		   const char *dropin_dir, struct tg_diag *d)
{
	struct dirent **list = NULL;
	char path[PATH_MAX];
	int i, n, err = 0;

	snprintf(p->source, sizeof(p->source), "%s", file);
	err = tg_policy_load_file(p, file, 1, d);
	if (err == -ENOENT || err == -EACCES || err == -EFBIG)
		return err;
	n = dropin_dir ? scandir(dropin_dir, &list, yaml_name, alphasort) : 0;
	for (i = 0; i < n; i++) {
		snprintf(path, sizeof(path), "%s/%s", dropin_dir, list[i]->d_name);
		if (tg_policy_load_file(p, path, 0, d))
			err = -EINVAL;
		free(list[i]);
	}
	free(list);
	if (tg_policy_finish(p, d))
		err = -EINVAL;
	return err ? -EINVAL : 0;
}
