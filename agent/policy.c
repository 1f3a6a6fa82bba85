// SPDX-License-Identifier: GPL-2.0
/*
 * Policy files (YAML, schema version 1): parsed with libyaml's event API into
 * a small tree that remembers where every node stands, so that every error
 * names file:line:column. Anchors and aliases are refused (no alias bombs),
 * nesting, node count and file size are bounded, duplicate keys are errors.
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

#include "policy.h"
#include "tenants.h"

enum ytype { Y_SCALAR, Y_SEQ, Y_MAP };

struct ynode {
	enum ytype type;
	unsigned int line, col;		/* 1-based */
	char *value;			/* scalars */
	int quoted;			/* scalar was quoted */
	struct ynode **kids;		/* seq items; map: key, value, key, ... */
	unsigned int n, cap;
};

static void name_index_add(struct tg_policy *p, unsigned int i);

struct pctx {
	const char *name;
	struct tg_diag *d;
	unsigned int nodes;
};

static void diag_add(struct tg_diag *d, const char *name, unsigned int line,
		     unsigned int col, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));

static void diag_add(struct tg_diag *d, const char *name, unsigned int line,
		     unsigned int col, const char *fmt, ...)
{
	char msg[512];
	char **v;
	va_list ap;
	int n;

	if (d->n >= TG_POLICY_MAX_ERRORS) {
		d->dropped++;
		return;
	}
	n = snprintf(msg, sizeof(msg), "%s:%u:%u: ", name, line, col);
	va_start(ap, fmt);
	vsnprintf(msg + n, sizeof(msg) - (size_t)n, fmt, ap);
	va_end(ap);
	v = reallocarray(d->msgs, d->n + 1, sizeof(*v));
	if (!v)
		return;
	d->msgs = v;
	d->msgs[d->n] = strdup(msg);
	if (d->msgs[d->n])
		d->n++;
}

void tg_diag_free(struct tg_diag *d)
{
	unsigned int i;

	for (i = 0; i < d->n; i++)
		free(d->msgs[i]);
	free(d->msgs);
	memset(d, 0, sizeof(*d));
}

static void ynode_free(struct ynode *y)
{
	unsigned int i;

	if (!y)
		return;
	for (i = 0; i < y->n; i++)
		ynode_free(y->kids[i]);
	free(y->kids);
	free(y->value);
	free(y);
}

static int ynode_add(struct ynode *parent, struct ynode *kid)
{
	if (parent->n == parent->cap) {
		unsigned int cap = parent->cap ? parent->cap * 2 : 4;
		void *k = reallocarray(parent->kids, cap, sizeof(*parent->kids));

		if (!k)
			return -ENOMEM;
		parent->kids = k;
		parent->cap = cap;
	}
	parent->kids[parent->n++] = kid;
	return 0;
}

static struct ynode *ynode_new(enum ytype t, const yaml_mark_t *m)
{
	struct ynode *y = calloc(1, sizeof(*y));

	if (y) {
		y->type = t;
		y->line = (unsigned int)m->line + 1;
		y->col = (unsigned int)m->column + 1;
	}
	return y;
}

/* Build the tree of one YAML document; NULL with errors in d. */
static struct ynode *yaml_tree(struct pctx *c, const char *buf, size_t len)
{
	struct ynode *stack[TG_POLICY_MAX_DEPTH + 1];
	struct ynode *root = NULL, *y;
	yaml_parser_t parser;
	yaml_event_t ev;
	int depth = 0, done = 0, failed = 0, docs = 0;

	if (!yaml_parser_initialize(&parser))
		return NULL;
	yaml_parser_set_input_string(&parser, (const unsigned char *)buf, len);
	while (!done && !failed) {
		if (!yaml_parser_parse(&parser, &ev)) {
			diag_add(c->d, c->name,
				 (unsigned int)parser.problem_mark.line + 1,
				 (unsigned int)parser.problem_mark.column + 1,
				 "invalid YAML: %s%s%s",
				 parser.problem ? parser.problem : "error",
				 parser.context ? " " : "",
				 parser.context ? parser.context : "");
			failed = 1;
			break;
		}
		y = NULL;
		switch (ev.type) {
		case YAML_STREAM_END_EVENT:
			done = 1;
			break;
		case YAML_DOCUMENT_START_EVENT:
			if (++docs > 1) {
				diag_add(c->d, c->name, (unsigned int)ev.start_mark.line + 1,
					 (unsigned int)ev.start_mark.column + 1,
					 "only one YAML document is allowed");
				failed = 1;
			}
			break;
		case YAML_ALIAS_EVENT:
			diag_add(c->d, c->name, (unsigned int)ev.start_mark.line + 1,
				 (unsigned int)ev.start_mark.column + 1,
				 "YAML aliases are not allowed in a policy");
			failed = 1;
			break;
		case YAML_SCALAR_EVENT:
		case YAML_SEQUENCE_START_EVENT:
		case YAML_MAPPING_START_EVENT: {
			const yaml_char_t *anchor =
				ev.type == YAML_SCALAR_EVENT ? ev.data.scalar.anchor :
				ev.type == YAML_SEQUENCE_START_EVENT ?
							      ev.data.sequence_start.anchor :
							      ev.data.mapping_start.anchor;

			if (anchor) {
				diag_add(c->d, c->name, (unsigned int)ev.start_mark.line + 1,
					 (unsigned int)ev.start_mark.column + 1,
					 "YAML anchors are not allowed in a policy");
				failed = 1;
				break;
			}
			if (++c->nodes > TG_POLICY_MAX_NODES) {
				diag_add(c->d, c->name, (unsigned int)ev.start_mark.line + 1,
					 (unsigned int)ev.start_mark.column + 1,
					 "too many YAML nodes (limit %u)", TG_POLICY_MAX_NODES);
				failed = 1;
				break;
			}
			y = ynode_new(ev.type == YAML_SCALAR_EVENT ? Y_SCALAR :
				      ev.type == YAML_SEQUENCE_START_EVENT ? Y_SEQ : Y_MAP,
				      &ev.start_mark);
			if (!y) {
				failed = 1;
				break;
			}
			if (ev.type == YAML_SCALAR_EVENT) {
				y->value = strndup((const char *)ev.data.scalar.value,
						   ev.data.scalar.length);
				y->quoted = ev.data.scalar.style != YAML_PLAIN_SCALAR_STYLE;
				if (!y->value || strlen(y->value) != ev.data.scalar.length) {
					diag_add(c->d, c->name, y->line, y->col,
						 "NUL byte in a string");
					ynode_free(y);
					failed = 1;
					break;
				}
			}
			if (depth > 0 && ynode_add(stack[depth - 1], y)) {
				ynode_free(y);
				failed = 1;
				break;
			}
			if (depth == 0) {
				if (root)
					ynode_free(root);
				root = y;
			}
			if (y->type != Y_SCALAR) {
				if (depth >= TG_POLICY_MAX_DEPTH) {
					diag_add(c->d, c->name, y->line, y->col,
						 "nested too deeply (limit %d levels)",
						 TG_POLICY_MAX_DEPTH);
					failed = 1;
					break;
				}
				stack[depth++] = y;
			}
			break;
		}
		case YAML_SEQUENCE_END_EVENT:
		case YAML_MAPPING_END_EVENT:
			if (depth > 0)
				depth--;
			break;
		default:
			break;
		}
		yaml_event_delete(&ev);
	}
	yaml_parser_delete(&parser);
	if (failed) {
		ynode_free(root);
		return NULL;
	}
	return root;
}

/* ---- schema ---- */

#define ERR(c, y, ...) diag_add((c)->d, (c)->name, (y)->line, (y)->col, __VA_ARGS__)

static const char *type_name(const struct ynode *y)
{
	return y->type == Y_MAP ? "a mapping" : y->type == Y_SEQ ? "a list" : "a scalar";
}

static int want(struct pctx *c, const struct ynode *y, enum ytype t,
		const char *what)
{
	if (y->type == t)
		return 0;
	ERR(c, y, "%s must be %s, not %s", what,
	    t == Y_MAP ? "a mapping" : t == Y_SEQ ? "a list" : "a string",
	    type_name(y));
	return -EINVAL;
}

static int key_cmp(const void *a, const void *b)
{
	const struct ynode *x = *(const struct ynode *const *)a;
	const struct ynode *y = *(const struct ynode *const *)b;
	int c = strcmp(x->value, y->value);

	if (c)
		return c;
	return x->line != y->line ? (x->line < y->line ? -1 : 1) :
				    (x->col < y->col ? -1 : x->col > y->col);
}

/* Report keys that appear twice in map, in document order; O(n log n). */
static int check_duplicates(struct pctx *c, const struct ynode *map)
{
	const struct ynode **keys;
	unsigned int i, n = 0;
	int err = 0;

	keys = calloc(map->n / 2 + 1, sizeof(*keys));
	if (!keys)
		return -ENOMEM;
	for (i = 0; i + 1 < map->n; i += 2)
		if (map->kids[i]->type == Y_SCALAR)
			keys[n++] = map->kids[i];
	qsort(keys, n, sizeof(*keys), key_cmp);
	for (i = 1; i < n; i++) {
		unsigned int first = i - 1;

		while (i < n && strcmp(keys[i]->value, keys[first]->value) == 0) {
			ERR(c, keys[i], "duplicate key '%s' (first at line %u)",
			    keys[i]->value, keys[first]->line);
			err = -EINVAL;
			i++;
		}
	}
	free(keys);
	return err;
}

/* Check a map's keys against allowed (NULL-terminated); flags duplicates. */
static int check_keys(struct pctx *c, const struct ynode *map,
		      const char *const *allowed, const char *what)
{
	unsigned int i, k;
	int err = check_duplicates(c, map);

	for (i = 0; i + 1 < map->n; i += 2) {
		const struct ynode *key = map->kids[i];

		if (key->type != Y_SCALAR) {
			ERR(c, key, "%s: keys must be strings", what);
			err = -EINVAL;
			continue;
		}
		if (!allowed)
			continue;
		for (k = 0; allowed[k]; k++)
			if (strcmp(allowed[k], key->value) == 0)
				break;
		if (!allowed[k]) {
			ERR(c, key, "unknown key '%s' in %s", key->value, what);
			err = -EINVAL;
		}
	}
	return err;
}

static const struct ynode *get(const struct ynode *map, const char *key)
{
	unsigned int i;

	for (i = 0; i + 1 < map->n; i += 2)
		if (map->kids[i]->type == Y_SCALAR &&
		    strcmp(map->kids[i]->value, key) == 0)
			return map->kids[i + 1];
	return NULL;
}

static int parse_mode(struct pctx *c, const struct ynode *y, int *mode)
{
	if (want(c, y, Y_SCALAR, "mode"))
		return -EINVAL;
	if (strcmp(y->value, "enforce") == 0)
		*mode = TG_MODE_ENFORCE;
	else if (strcmp(y->value, "audit") == 0)
		*mode = TG_MODE_AUDIT;
	else {
		ERR(c, y, "mode must be 'enforce' or 'audit', not '%s'", y->value);
		return -EINVAL;
	}
	return 0;
}

/* An absolute, normalised path: no empty, "." or ".." components. */
static int parse_abs_path(struct pctx *c, const struct ynode *y,
			  const char *what, char *out, size_t outlen)
{
	const char *p;
	size_t n;

	if (want(c, y, Y_SCALAR, what))
		return -EINVAL;
	n = strlen(y->value);
	if (y->value[0] != '/') {
		ERR(c, y, "%s '%s' is not an absolute path", what, y->value);
		return -EINVAL;
	}
	if (n >= outlen) {
		ERR(c, y, "%s is too long", what);
		return -EINVAL;
	}
	for (p = y->value; *p; p++) {
		if (*p != '/')
			continue;
		if (p[1] == '/' || (p[1] == '.' && (p[2] == '/' || !p[2])) ||
		    (p[1] == '.' && p[2] == '.' && (p[3] == '/' || !p[3])) ||
		    (!p[1] && p != y->value)) {
			ERR(c, y, "%s '%s' is not normalised (no //, /./, /../ or trailing /)",
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
static int parse_port(struct pctx *c, const struct ynode *y,
		      struct tg_port_range *r)
{
	char buf[64], *colon, *dash;
	unsigned long lo, hi;

	if (want(c, y, Y_SCALAR, "a port"))
		return -EINVAL;
	snprintf(buf, sizeof(buf), "%s", y->value);
	colon = strchr(buf, ':');
	if (!colon || strlen(y->value) >= sizeof(buf)) {
		ERR(c, y, "port '%s' must look like tcp:8000-8099 or udp:53", y->value);
		return -EINVAL;
	}
	*colon = '\0';
	if (strcmp(buf, "tcp") == 0)
		r->proto = IPPROTO_TCP;
	else if (strcmp(buf, "udp") == 0)
		r->proto = IPPROTO_UDP;
	else {
		ERR(c, y, "port protocol '%s' must be tcp or udp", buf);
		return -EINVAL;
	}
	dash = strchr(colon + 1, '-');
	if (dash)
		*dash = '\0';
	if (parse_uint(colon + 1, 65535, &lo) ||
	    (dash && parse_uint(dash + 1, 65535, &hi))) {
		ERR(c, y, "port '%s' is out of 0..65535 or not a number", y->value);
		return -EINVAL;
	}
	if (!dash)
		hi = lo;
	if (hi < lo) {
		ERR(c, y, "port range '%s' is reversed", y->value);
		return -EINVAL;
	}
	r->lo = (__u16)lo;
	r->hi = (__u16)hi;
	return 0;
}

/* "10.10.0.0/16", "fd00:10::/64", a bare address is a host route. */
static int parse_cidr(struct pctx *c, const struct ynode *y, struct tg_cidr *n)
{
	char buf[INET6_ADDRSTRLEN + 8], *slash;
	unsigned long prefix;
	unsigned int i, v4;
	__u8 a4[4];

	if (want(c, y, Y_SCALAR, "a network"))
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
			ERR(c, y, "network '%s' has host bits set", y->value);
			return -EINVAL;
		}
	return 0;
bad:
	ERR(c, y, "'%s' is not a CIDR network (like 10.0.0.0/16 or fd00::/64)",
	    y->value);
	return -EINVAL;
}

static int valid_profile_name(const char *s)
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

static const struct ynode *list_of(struct pctx *c, const struct ynode *y,
				   const char *what)
{
	if (!y)
		return NULL;
	if (want(c, y, Y_SEQ, what))
		return NULL;
	if (y->n > TG_POLICY_MAX_ITEMS) {
		ERR(c, y, "%s has more than %u entries", what, TG_POLICY_MAX_ITEMS);
		return NULL;
	}
	return y;
}

static int parse_tenant(struct pctx *c, struct tg_policy *p,
			const struct ynode *key, const struct ynode *y)
{
	static const char *const keys[] = { "cgroup", "mode", "paths", "ports",
					    "networks", "allow_from", "seccomp", NULL };
	const struct tg_policy_tenant *prev;
	struct tg_policy_tenant *t;
	const struct ynode *v, *l;
	unsigned int i;
	int err = 0;
	void *nt;

	if (!tg_tenant_name_valid(key->value)) {
		ERR(c, key, "invalid tenant name '%s' (1-63 of A-Z a-z 0-9 _ . -, not 'host')",
		    key->value);
		return -EINVAL;
	}
	prev = tg_policy_find(p, key->value);
	if (prev) {
		ERR(c, key, "tenant '%s' is already defined at %s", key->value,
		    prev->where);
		return -EINVAL;
	}
	if (p->n_tenants >= TG_POLICY_MAX_TENANTS) {
		ERR(c, key, "too many tenants (limit %d)", TG_POLICY_MAX_TENANTS);
		return -EINVAL;
	}
	if (y->type == Y_SCALAR && y->value[0] == '\0' && !y->quoted)
		y = NULL;	/* "acme:" with nothing: all defaults */
	else if (want(c, y, Y_MAP, "a tenant"))
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
	err = check_keys(c, y, keys, "a tenant");
	if ((v = get(y, "cgroup"))) {
		char cg[PATH_MAX];

		if (parse_abs_path(c, v, "cgroup", cg, sizeof(cg)))
			err = -EINVAL;
		else if (!(t->cgroup = strdup(cg)))
			return -ENOMEM;
	}
	if ((v = get(y, "mode")) && parse_mode(c, v, &t->mode))
		err = -EINVAL;
	if ((v = get(y, "seccomp"))) {
		if (want(c, v, Y_SCALAR, "seccomp"))
			err = -EINVAL;
		else if (!valid_profile_name(v->value)) {
			ERR(c, v, "seccomp profile name '%s' is invalid (a-z 0-9 - _)",
			    v->value);
			err = -EINVAL;
		} else {
			snprintf(t->seccomp, sizeof(t->seccomp), "%s", v->value);
		}
	}
	if ((l = list_of(c, get(y, "paths"), "paths"))) {
		t->paths = calloc(l->n + 1, sizeof(*t->paths));
		for (i = 0; t->paths && i < l->n; i++) {
			char path[PATH_MAX];

			if (parse_abs_path(c, l->kids[i], "path", path, sizeof(path))) {
				err = -EINVAL;
				continue;
			}
			t->paths[t->n_paths++] = strdup(path);
		}
	} else if (get(y, "paths")) {
		err = -EINVAL;
	}
	if ((l = list_of(c, get(y, "ports"), "ports"))) {
		t->ports = calloc(l->n + 1, sizeof(*t->ports));
		for (i = 0; t->ports && i < l->n; i++)
			if (parse_port(c, l->kids[i], &t->ports[t->n_ports]))
				err = -EINVAL;
			else
				t->n_ports++;
	} else if (get(y, "ports")) {
		err = -EINVAL;
	}
	if ((l = list_of(c, get(y, "networks"), "networks"))) {
		t->networks = calloc(l->n + 1, sizeof(*t->networks));
		for (i = 0; t->networks && i < l->n; i++)
			if (parse_cidr(c, l->kids[i], &t->networks[t->n_networks]))
				err = -EINVAL;
			else
				t->n_networks++;
	} else if (get(y, "networks")) {
		err = -EINVAL;
	}
	if ((l = list_of(c, get(y, "allow_from"), "allow_from"))) {
		/* Each entry keeps its location for the check in finish(). */
		t->allow_from = calloc(l->n + 1, sizeof(*t->allow_from));
		for (i = 0; t->allow_from && i < l->n; i++) {
			if (want(c, l->kids[i], Y_SCALAR, "allow_from entry")) {
				err = -EINVAL;
				continue;
			}
			if (asprintf(&t->allow_from[t->n_allow_from], "%s%c%s:%u:%u",
				     l->kids[i]->value, 0, c->name, l->kids[i]->line,
				     l->kids[i]->col) > 0)
				t->n_allow_from++;
		}
	} else if (get(y, "allow_from")) {
		err = -EINVAL;
	}
	return err;
}

int tg_policy_parse(struct tg_policy *p, const char *name, const char *buf,
		    size_t len, int main, struct tg_diag *d)
{
	static const char *const main_keys[] = { "version", "mode", "tenants_cgroup",
						 "tenants", NULL };
	static const char *const dropin_keys[] = { "version", "tenants", NULL };
	struct pctx c = { .name = name, .d = d };
	const struct ynode *v, *tenants;
	struct ynode *root;
	unsigned long version;
	unsigned int i, before = d->n + d->dropped;
	int err = 0;

	if (len > TG_POLICY_MAX_FILE) {
		diag_add(d, name, 1, 1, "file is too large (%zu bytes, limit %u)", len,
			 TG_POLICY_MAX_FILE);
		return -EINVAL;
	}
	if (memchr(buf, '\0', len)) {
		diag_add(d, name, 1, 1, "not a text file (contains NUL bytes)");
		return -EINVAL;
	}
	root = yaml_tree(&c, buf, len);
	if (!root) {
		if (d->n + d->dropped == before)
			diag_add(d, name, 1, 1, "the policy is empty");
		return -EINVAL;
	}
	if (want(&c, root, Y_MAP, "the policy")) {
		ynode_free(root);
		return -EINVAL;
	}
	err = check_keys(&c, root, main ? main_keys : dropin_keys,
			 main ? "the policy" : "a drop-in (only version and tenants)");
	v = get(root, "version");
	if (!v) {
		diag_add(d, name, root->line, root->col, "missing key 'version' (use version: 1)");
		err = -EINVAL;
	} else if (v->type != Y_SCALAR || parse_uint(v->value, 1000, &version) ||
		   version != 1) {
		ERR(&c, v, "unsupported policy version '%s' (only 1 is known)",
		    v->type == Y_SCALAR ? v->value : type_name(v));
		err = -EINVAL;
	} else {
		p->version = 1;
	}
	if (main && (v = get(root, "mode")) && parse_mode(&c, v, &p->mode))
		err = -EINVAL;
	if (main && (v = get(root, "tenants_cgroup")) &&
	    parse_abs_path(&c, v, "tenants_cgroup", p->tenants_cgroup,
			   sizeof(p->tenants_cgroup)))
		err = -EINVAL;
	tenants = get(root, "tenants");
	if (tenants && tenants->type == Y_SCALAR && !tenants->value[0] && !tenants->quoted)
		tenants = NULL;
	if (tenants && !want(&c, tenants, Y_MAP, "tenants")) {
		if (check_keys(&c, tenants, NULL, "tenants"))
			err = -EINVAL;
		for (i = 0; i + 1 < tenants->n; i += 2)
			if (tenants->kids[i]->type == Y_SCALAR &&
			    parse_tenant(&c, p, tenants->kids[i], tenants->kids[i + 1]))
				err = -EINVAL;
	} else if (tenants) {
		err = -EINVAL;
	}
	p->n_files++;
	ynode_free(root);
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

struct owned {
	const char *path;
	const struct tg_policy_tenant *t;
};

/* Order paths so that every path is followed by its descendants. */
static int path_cmp(const void *a, const void *b)
{
	const unsigned char *x = (const unsigned char *)((const struct owned *)a)->path;
	const unsigned char *y = (const unsigned char *)((const struct owned *)b)->path;

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
	diag_add(d, file, (unsigned int)atoi(c1 + 1), (unsigned int)atoi(c2 + 1),
		 "%s", msg);
}

static int check_overlaps(const struct tg_policy *p, struct tg_diag *d)
{
	struct owned *v, **stack;
	size_t n = 0, i, top = 0;
	unsigned int j;
	int err = 0;

	for (i = 0; i < p->n_tenants; i++)
		n += p->tenants[i].n_paths;
	if (!n)
		return 0;
	v = calloc(n, sizeof(*v));
	stack = calloc(n, sizeof(*stack));
	if (!v || !stack) {
		free(v);
		free(stack);
		return -ENOMEM;
	}
	n = 0;
	for (i = 0; i < p->n_tenants; i++)
		for (j = 0; j < p->tenants[i].n_paths; j++)
			v[n++] = (struct owned){ p->tenants[i].paths[j], &p->tenants[i] };
	qsort(v, n, sizeof(*v), path_cmp);
	for (i = 0; i < n; i++) {
		while (top && !is_under(v[i].path, stack[top - 1]->path))
			top--;
		if (top && stack[top - 1]->t != v[i].t) {
			diag_at(d, v[i].t->where,
				"path %s of tenant '%s' overlaps %s of tenant '%s' (%s)",
				v[i].path, v[i].t->name, stack[top - 1]->path,
				stack[top - 1]->t->name, stack[top - 1]->t->where);
			err = -EINVAL;
		}
		stack[top++] = &v[i];
	}
	free(v);
	free(stack);
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
	return err;
}

/* Read a whole file of at most TG_POLICY_MAX_FILE bytes. */
static int read_file(const char *path, char **buf, size_t *len, struct tg_diag *d)
{
	struct stat st;
	ssize_t n;
	int fd, err = 0;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		err = -errno;
		diag_add(d, path, 1, 1, "cannot open: %s", strerror(-err));
		return err;
	}
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		diag_add(d, path, 1, 1, "not a regular file");
		err = -EINVAL;
		goto out_close;
	}
	if (st.st_size > TG_POLICY_MAX_FILE) {
		diag_add(d, path, 1, 1, "file is too large (%lld bytes, limit %u)",
			 (long long)st.st_size, TG_POLICY_MAX_FILE);
		err = -EFBIG;
		goto out_close;
	}
	*buf = malloc((size_t)st.st_size + 1);
	if (!*buf) {
		err = -ENOMEM;
		goto out_close;
	}
	n = read(fd, *buf, (size_t)st.st_size + 1);
	if (n < 0 || n > st.st_size) {
		diag_add(d, path, 1, 1, "cannot read (file changed while reading?)");
		free(*buf);
		*buf = NULL;
		err = -EIO;
		goto out_close;
	}
	*len = (size_t)n;
out_close:
	close(fd);
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

	err = read_file(path, &buf, &len, d);
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
