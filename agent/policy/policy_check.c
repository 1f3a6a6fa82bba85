// SPDX-License-Identifier: GPL-2.0
/*
 * The whole policy: its file and drop-ins loaded in name order, then checked
 * across tenants (allow_from names, no overlaps between tenants).
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <dirent.h>
#include <limits.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "policy/policy.h"
#include "tenantguard/map_abi.h"

/* One path, port range or network of a tenant. */
struct owned {
	const void *x;
	const struct tg_policy_tenant *t;
};

enum owned_kind { OWN_PATHS, OWN_PORTS, OWN_NETS, OWN_CGROUPS };

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
		n += kind == OWN_PATHS	   ? p->tenants[i].n_paths
		     : kind == OWN_PORTS   ? p->tenants[i].n_ports
		     : kind == OWN_CGROUPS ? 1
					   : p->tenants[i].n_networks;
	if (!n)
		return 0;
	*v = calloc(n, sizeof(**v));
	if (!*v)
		return -ENOMEM;
	n = 0;
	for (i = 0; i < p->n_tenants; i++) {
		const struct tg_policy_tenant *t = &p->tenants[i];

		m = kind == OWN_PATHS	  ? t->n_paths
		    : kind == OWN_PORTS	  ? t->n_ports
		    : kind == OWN_CGROUPS ? 1
					  : t->n_networks;
		for (j = 0; j < m; j++)
			(*v)[n++] = (struct owned){
				kind == OWN_PATHS ? (const void *)t->paths[j]
				: kind == OWN_CGROUPS ? (const void *)t->cgroup
				: kind == OWN_PORTS
					? (const void *)&t->ports[j]
					: (const void *)&t->networks[j],
				t};
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
			void (*report)(struct tg_diag *d,
				       const struct owned *in,
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
	const unsigned char *x =
		(const unsigned char *)((const struct owned *)a)->x;
	const unsigned char *y =
		(const unsigned char *)((const struct owned *)b)->x;

	for (; *x && *x == *y; x++, y++)
		;
	return (*x == '/' ? 1 : *x + 1) - (*y == '/' ? 1 : *y + 1);
}

static int is_under(const char *path, const char *root)
{
	size_t n = strlen(root);

	return strncmp(path, root, n) == 0 &&
	       (path[n] == '/' || path[n] == '\0' ||
		(n == 1 && root[0] == '/'));
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
	tg_diag_add(d, file, (unsigned int)atoi(c1 + 1),
		    (unsigned int)atoi(c2 + 1), "%s", msg);
}

static int path_contains(const void *outer, const void *inner)
{
	return is_under(inner, outer);
}

static void path_overlap(struct tg_diag *d, const struct owned *in,
			 const struct owned *out)
{
	diag_at(d, in->t->where,
		"path %s of tenant '%s' overlaps %s of tenant '%s' (%s)",
		(const char *)in->x, in->t->name, (const char *)out->x,
		out->t->name, out->t->where);
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
		"port %s of tenant '%s' overlaps %s of tenant '%s' (%s)", a,
		u->t->name, b, prev->t->name, prev->t->where);
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
		} else if (u->t != far->t &&
			   (!far2 || range(u)->hi > range(far2)->hi)) {
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
		if ((outer->addr[i / 8] ^ inner->addr[i / 8]) &
		    (0x80 >> (i % 8)))
			return 0;
	return 1;
}

static void net_text(const struct tg_cidr *n, char *buf, size_t len)
{
	static const __u8 mapped[12] = {[10] = 0xff, [11] = 0xff};
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

/* Where tenant t's cgroup is written, or where t is when it is derived. */
static const char *cgroup_where(const struct tg_policy_tenant *t)
{
	return t->cgroup_where ? t->cgroup_where : t->where;
}

static void cgroup_nested(struct tg_diag *d, const struct owned *in,
			  const struct owned *out)
{
	diag_at(d, cgroup_where(in->t),
		"cgroup %s of tenant '%s' is %s cgroup %s of tenant '%s' (%s): "
		"tenant cgroups may not nest",
		in->t->cgroup, in->t->name,
		strcmp(in->t->cgroup, out->t->cgroup) ? "below" : "the same as",
		out->t->cgroup, out->t->name, cgroup_where(out->t));
}

/* Levels of an absolute normalised path below "/": "/" 0, "/a/b" 2. */
static unsigned int cgroup_level(const char *path)
{
	unsigned int n = 0;

	for (; *path; path++)
		if (*path == '/' && path[1])
			n++;
	return n;
}

/*
 * What the BPF programs can tell apart (they search a task's cgroup
 * ancestors at levels 1..TG_MAX_CGROUP_LEVEL, one tenant each): no tenant
 * at the root cgroup, none below another's (nor at or above the tenants
 * cgroup, whose children are tenants too), none deeper than they search.
 */
static int check_cgroups(const struct tg_policy *p, struct tg_diag *d)
{
	const char *tc = p->tenants_cgroup;
	unsigned int i, level;
	struct owned *v;
	int err = 0;
	long n;

	level = cgroup_level(tc);
	if (level + 1 > TG_MAX_CGROUP_LEVEL) {
		diag_at(d,
			p->tenants_cgroup_where[0] ? p->tenants_cgroup_where
						   : "-:1:1",
			"tenants_cgroup %s is %u levels deep: its tenants would "
			"be deeper than the %u levels the programs search",
			tc, level, TG_MAX_CGROUP_LEVEL);
		err = -EINVAL;
	}
	for (i = 0; i < p->n_tenants; i++) {
		const struct tg_policy_tenant *t = &p->tenants[i];

		if (!t->cgroup)
			return -ENOMEM;
		level = cgroup_level(t->cgroup);
		if (level == 0) {
			diag_at(d, cgroup_where(t),
				"cgroup / of tenant '%s' is the root cgroup: "
				"every process on the host would be the tenant's",
				t->name);
			err = -EINVAL;
		} else if (is_under(tc, t->cgroup)) {
			diag_at(d, cgroup_where(t),
				"cgroup %s of tenant '%s' holds tenants_cgroup %s: "
				"every tenant found there would be nested in it",
				t->cgroup, t->name, tc);
			err = -EINVAL;
		}
		if (level > TG_MAX_CGROUP_LEVEL) {
			diag_at(d, cgroup_where(t),
				"cgroup %s of tenant '%s' is %u levels deep: the "
				"programs search %u",
				t->cgroup, t->name, level, TG_MAX_CGROUP_LEVEL);
			err = -EINVAL;
		}
	}
	n = owned_list(p, OWN_CGROUPS, path_cmp, &v);
	if (n < 0)
		return (int)n;
	if (n && nested_sweep(v, (size_t)n, path_contains, cgroup_nested, d))
		err = -EINVAL;
	free(v);
	return err;
}

/* Whether string lists a and b (n each) are equal, names only (a NUL ends
 * an allow_from entry's name, its location follows). */
static int same_names(char *const *a, char *const *b, unsigned int n)
{
	unsigned int i;

	for (i = 0; i < n; i++)
		if (strcmp(a[i], b[i]))
			return 0;
	return 1;
}

int tg_policy_tenant_same(const struct tg_policy *pa,
			  const struct tg_policy_tenant *a,
			  const struct tg_policy *pb,
			  const struct tg_policy_tenant *b)
{
	const struct tg_rate *ra = tg_policy_tenant_rate(pa, a),
			     *rb = tg_policy_tenant_rate(pb, b);
	unsigned int i;

	if (strcmp(a->cgroup ?: "", b->cgroup ?: "") ||
	    tg_policy_tenant_mode(pa, a) != tg_policy_tenant_mode(pb, b) ||
	    ra->rate != rb->rate || ra->burst != rb->burst ||
	    strcmp(a->seccomp, b->seccomp) || a->n_paths != b->n_paths ||
	    a->n_ports != b->n_ports || a->n_networks != b->n_networks ||
	    a->n_allow_from != b->n_allow_from ||
	    memcmp(&a->auditors, &b->auditors, sizeof(a->auditors)) ||
	    memcmp(&a->approvers, &b->approvers, sizeof(a->approvers)) ||
	    !same_names(a->paths, b->paths, a->n_paths) ||
	    !same_names(a->allow_from, b->allow_from, a->n_allow_from))
		return 0;
	for (i = 0; i < a->n_ports; i++)
		if (a->ports[i].proto != b->ports[i].proto ||
		    a->ports[i].lo != b->ports[i].lo ||
		    a->ports[i].hi != b->ports[i].hi)
			return 0;
	for (i = 0; i < a->n_networks; i++)
		if (a->networks[i].prefix != b->networks[i].prefix ||
		    memcmp(a->networks[i].addr, b->networks[i].addr, 16))
			return 0;
	return 1;
}

/* Directories the host itself runs from: a tenant owning one takes it from
 * every other tenant. */
static const char *const host_dirs[] = {
	"/",	 "/bin",  "/boot", "/dev", "/etc",  "/lib", "/lib32",
	"/lib64", "/proc", "/root", "/run", "/sbin", "/srv", "/sys",
	"/tmp",	 "/usr",  "/var",  "/home", NULL};

/*
 * Valid but dangerous, into p->warnings (errors for `policy check
 * --strict`): a tenant owning a directory the host runs from or every port
 * of a protocol, a tenant with no paths, every top-level cgroup a tenant.
 */
static void check_dangerous(struct tg_policy *p)
{
	const char *where;
	unsigned int i, j, k;

	if (!strcmp(p->tenants_cgroup, "/"))
		diag_at(&p->warnings,
			p->tenants_cgroup_where[0] ? p->tenants_cgroup_where
						   : "-:1:1",
			"tenants_cgroup / makes every top-level cgroup a tenant "
			"(system.slice, user.slice, init.scope...): the host's "
			"own services would be kept apart as tenants");
	for (i = 0; i < p->n_tenants; i++) {
		const struct tg_policy_tenant *t = &p->tenants[i];

		where = t->where ? t->where : "-:1:1";
		if (!t->n_paths)
			diag_at(&p->warnings, where,
				"tenant '%s' has no paths: no file is kept "
				"from other tenants for it (its processes and "
				"sockets are)",
				t->name);
		for (j = 0; j < t->n_paths; j++)
			for (k = 0; host_dirs[k]; k++)
				if (!strcmp(t->paths[j], host_dirs[k]))
					diag_at(&p->warnings, where,
						"tenant '%s' owns %s, which "
						"the host runs from: every "
						"other tenant loses it",
						t->name, t->paths[j]);
		for (j = 0; j < t->n_ports; j++) {
			char at[PATH_MAX + 32];

			if (t->ports[j].lo > 1 || t->ports[j].hi != 65535)
				continue;
			tg_policy_where_in(at, sizeof(at), where,
					   t->ports[j].line, t->ports[j].col);
			diag_at(&p->warnings, at,
				"tenant '%s' reserves every %s port: no other "
				"tenant can bind one",
				t->name,
				t->ports[j].proto == IPPROTO_TCP ? "TCP" : "UDP");
		}
	}
}

int tg_policy_finish(struct tg_policy *p, struct tg_diag *d)
{
	unsigned int i, j;
	int err = 0;

	for (i = 0; i < p->n_tenants; i++) {
		struct tg_policy_tenant *t = &p->tenants[i];

		if (!t->cgroup &&
		    asprintf(&t->cgroup, "%s/%s",
			     strcmp(p->tenants_cgroup, "/") ? p->tenants_cgroup
							    : "",
			     t->name) < 0) {
			t->cgroup = NULL;
			err = -ENOMEM;
		}
		for (j = 0; j < t->n_allow_from; j++) {
			const char *name = t->allow_from[j];

			if (tg_policy_find(p, name))
				continue;
			diag_at(d, name + strlen(name) + 1,
				"unknown tenant '%s' in allow_from of '%s'",
				name, t->name);
			err = -EINVAL;
		}
	}
	tg_policy_default_roles(p);
	check_dangerous(p);
	if (check_cgroups(p, d))
		err = -EINVAL;
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

	return de->d_name[0] != '.' && n > 5 &&
	       strcmp(de->d_name + n - 5, ".yaml") == 0;
}

/*
 * What the drop-in directory holds that is not read (a name without the
 * .yaml ending: policy.yml, a package manager's .dpkg-dist, an editor's
 * backup~), one warning each; hidden names are left alone.
 */
void tg_policy_where_in(char *buf, size_t len, const char *where,
			unsigned int line, unsigned int col)
{
	const char *c = where ? strrchr(where, ':') : NULL;

	while (c && c > where && *--c != ':')
		;
	if (!c || c == where)
		snprintf(buf, len, "-:%u:%u", line, col);
	else
		snprintf(buf, len, "%.*s:%u:%u", (int)(c - where), where, line,
			 col);
}

void tg_policy_warn_unread(struct tg_policy *p, const char *file,
			   const char *dir)
{
	struct dirent *de;
	unsigned int n = 0;
	DIR *dp = opendir(dir);

	if (!dp)
		return;
	while ((de = readdir(dp)))
		n += de->d_name[0] != '.';
	closedir(dp);
	if (n)
		tg_diag_msg(
			&p->warnings,
			"%s: %u file(s) not read: drop-ins complete %s, which does not exist; the built-in policy is in force",
			dir, n, file);
}

static int not_yaml_name(const struct dirent *de)
{
	return de->d_name[0] != '.' && !yaml_name(de);
}

static void warn_skipped(struct tg_policy *p, const char *dir)
{
	struct dirent **list = NULL;
	int i, n = scandir(dir, &list, not_yaml_name, alphasort);
	size_t len;

	for (i = 0; i < n; i++) {
		len = strlen(list[i]->d_name);
		tg_diag_msg(
			&p->warnings,
			"%s/%s: skipped: only files named *.yaml are read as drop-ins%s",
			dir, list[i]->d_name,
			len > 4 && !strcmp(list[i]->d_name + len - 4, ".yml")
				? " (rename it to end in .yaml)"
				: "");
		free(list[i]);
	}
	free(list);
}

/*
 * Fold one file read into the policy's digest: its name, its length and
 * its bytes, so that the digest says which files, in which order, held
 * what.
 */
static void digest_file(struct tg_policy *p, const char *path, const char *buf,
			size_t len)
{
	unsigned char n[8], h[crypto_hash_sha256_BYTES];
	struct tg_policy_read *r;
	int i;

	if (!p->digest_open)
		return;
	r = reallocarray(p->read, p->n_read + 1, sizeof(*r));
	if (r) {
		p->read = r;
		r += p->n_read;
		r->path = strdup(path);
		crypto_hash_sha256(h, (const unsigned char *)buf, len);
		sodium_bin2hex(r->sha256, sizeof(r->sha256), h, sizeof(h));
		if (r->path)
			p->n_read++;
	}
	for (i = 0; i < 8; i++)
		n[i] = (unsigned char)((__u64)len >> (8 * i));
	crypto_hash_sha256_update(&p->digest_st, (const unsigned char *)path,
				  strlen(path) + 1);
	crypto_hash_sha256_update(&p->digest_st, n, sizeof(n));
	crypto_hash_sha256_update(&p->digest_st, (const unsigned char *)buf,
				  len);
}

int tg_policy_load_file(struct tg_policy *p, const char *path, int main,
			struct tg_diag *d)
{
	char *buf = NULL;
	size_t len = 0;
	int err;

	err = tg_read_text_file(path, TG_POLICY_MAX_FILE, &buf, &len, d);
	if (!err) {
		digest_file(p, path, buf, len);
		err = tg_policy_parse(p, path, buf, len, main, d);
	}
	free(buf);
	return err;
}

int tg_policy_load(struct tg_policy *p, const char *file,
		   const char *dropin_dir, struct tg_diag *d)
{
	unsigned char h[crypto_hash_sha256_BYTES];
	struct dirent **list = NULL;
	char path[PATH_MAX];
	int i, n, err = 0;

	snprintf(p->source, sizeof(p->source), "%s", file);
	crypto_hash_sha256_init(&p->digest_st);
	p->digest_open = 1;
	err = tg_policy_load_file(p, file, 1, d);
	if (err == -ENOENT || err == -EACCES || err == -EFBIG) {
		p->digest_open = 0;
		return err;
	}
	n = dropin_dir ? scandir(dropin_dir, &list, yaml_name, alphasort) : 0;
	if (dropin_dir)
		warn_skipped(p, dropin_dir);
	for (i = 0; i < n; i++) {
		snprintf(path, sizeof(path), "%s/%s", dropin_dir,
			 list[i]->d_name);
		if (tg_policy_load_file(p, path, 0, d))
			err = -EINVAL;
		free(list[i]);
	}
	free(list);
	crypto_hash_sha256_final(&p->digest_st, h);
	p->digest_open = 0;
	sodium_bin2hex(p->digest, sizeof(p->digest), h, sizeof(h));
	if (tg_policy_finish(p, d))
		err = -EINVAL;
	return err ? -EINVAL : 0;
}
