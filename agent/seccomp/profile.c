// SPDX-License-Identifier: GPL-2.0
/*
 * Seccomp profiles: YAML files (read through yaml_tree, errors at
 * file:line:column), with the terminal guard every profile gets; filter.c
 * compiles them and exports them for OCI runtimes.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/personality.h>
#include <sys/socket.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "policy/policy.h"
#include "seccomp/profile.h"

void tg_sc_profile_free(struct tg_sc_profile *p)
{
	free(p->rules);
	memset(p, 0, sizeof(*p));
}

static const struct {
	const char *name;
	int action;
} actions[] = {
	{"allow", TG_SC_ALLOW},	  {"errno", TG_SC_ERRNO},
	{"notify", TG_SC_NOTIFY}, {"log", TG_SC_LOG},
	{"kill", TG_SC_KILL},
};

static int parse_action(struct yctx *c, const struct ynode *y, const char *what)
{
	size_t i;

	if (y_want(c, y, Y_SCALAR, what))
		return -EINVAL;
	for (i = 0; i < sizeof(actions) / sizeof(actions[0]); i++)
		if (strcmp(y->value, actions[i].name) == 0)
			return actions[i].action;
	YERR(c, y, "%s '%s' is not one of allow, errno, notify, log, kill",
	     what, y->value);
	return -EINVAL;
}

/* "EPERM", "ENOSYS" or a number 1..4095. */
static int parse_errno(struct yctx *c, const struct ynode *y)
{
	char *end;
	long v;
	int i;

	if (y_want(c, y, Y_SCALAR, "errno"))
		return -EINVAL;
	if (y->value[0] >= '0' && y->value[0] <= '9') {
		errno = 0;
		v = strtol(y->value, &end, 10);
		if (!errno && !*end && v >= 1 && v <= 4095)
			return (int)v;
	} else {
		for (i = 1; i < 4096; i++) {
			const char *n = strerrorname_np(i);

			if (n && strcmp(n, y->value) == 0)
				return i;
		}
	}
	YERR(c, y,
	     "errno '%s' is not an error name (EPERM) or a number 1..4095",
	     y->value);
	return -EINVAL;
}

/* Constants a profile may name in argument values, joined with '|'. */
static const struct {
	const char *name;
	unsigned long long v;
} consts[] = {
#define C(x)                                                                   \
	{                                                                      \
#x, x                                                          \
	}
	C(CLONE_NEWNS),	 C(CLONE_NEWCGROUP), C(CLONE_NEWUTS),
	C(CLONE_NEWIPC), C(CLONE_NEWUSER),   C(CLONE_NEWPID),
	C(CLONE_NEWNET), C(CLONE_NEWTIME),   C(AF_UNIX),
	C(AF_INET),	 C(AF_INET6),	     C(AF_NETLINK),
	C(AF_PACKET),	 C(AF_VSOCK),	     C(PER_LINUX),
	C(UNAME26),	 C(PER_LINUX32),     C(ADDR_NO_RANDOMIZE),
#undef C
};

static int parse_value(struct yctx *c, const struct ynode *y, const char *what,
		       unsigned long long *out)
{
	char buf[256], *tok, *save = NULL, *end;
	unsigned long long v = 0;
	size_t i;

	if (y_want(c, y, Y_SCALAR, what))
		return -EINVAL;
	if (strlen(y->value) >= sizeof(buf))
		goto bad;
	snprintf(buf, sizeof(buf), "%s", y->value);
	for (tok = strtok_r(buf, "|", &save); tok;
	     tok = strtok_r(NULL, "|", &save)) {
		while (*tok == ' ')
			tok++;
		end = tok + strlen(tok);
		while (end > tok && end[-1] == ' ')
			*--end = '\0';
		if (*tok >= '0' && *tok <= '9') {
			errno = 0;
			v |= strtoull(tok, &end, 0);
			if (errno || *end)
				goto bad;
			continue;
		}
		for (i = 0; i < sizeof(consts) / sizeof(consts[0]); i++)
			if (strcmp(tok, consts[i].name) == 0)
				break;
		if (i == sizeof(consts) / sizeof(consts[0]))
			goto bad;
		v |= consts[i].v;
	}
	if (!save)
		goto bad;
	*out = v;
	return 0;
bad:
	YERR(c, y, "%s '%s' is not a number or known constants joined with |",
	     what, y->value);
	return -EINVAL;
}

static const struct {
	const char *name;
	enum scmp_compare op;
} ops[] = {
	{"eq", SCMP_CMP_EQ},
	{"ne", SCMP_CMP_NE},
	{"lt", SCMP_CMP_LT},
	{"le", SCMP_CMP_LE},
	{"gt", SCMP_CMP_GT},
	{"ge", SCMP_CMP_GE},
	{"masked_eq", SCMP_CMP_MASKED_EQ},
};

static int parse_arg(struct yctx *c, const struct ynode *y,
		     struct scmp_arg_cmp *a)
{
	static const char *const keys[] = {"index", "op", "value", "mask",
					   NULL};
	const struct ynode *v;
	unsigned long long n;
	size_t i;
	int err;

	if (y_want(c, y, Y_MAP, "an argument condition"))
		return -EINVAL;
	err = y_check_keys(c, y, keys, "an argument condition");
	memset(a, 0, sizeof(*a));
	v = y_get(y, "index");
	if (!v) {
		YERR(c, y, "argument condition without 'index' (0..5)");
		err = -EINVAL;
	} else if (y_want(c, v, Y_SCALAR, "index") || strlen(v->value) != 1 ||
		   v->value[0] < '0' || v->value[0] > '5') {
		if (v->type == Y_SCALAR)
			YERR(c, v, "index '%s' is not 0..5", v->value);
		err = -EINVAL;
	} else {
		a->arg = (unsigned int)(v->value[0] - '0');
	}
	v = y_get(y, "op");
	if (!v) {
		YERR(c, y, "argument condition without 'op'");
		err = -EINVAL;
	} else if (!y_want(c, v, Y_SCALAR, "op")) {
		for (i = 0; i < sizeof(ops) / sizeof(ops[0]); i++)
			if (strcmp(v->value, ops[i].name) == 0)
				break;
		if (i == sizeof(ops) / sizeof(ops[0])) {
			YERR(c, v,
			     "op '%s' is not one of eq, ne, lt, le, gt, ge, masked_eq",
			     v->value);
			err = -EINVAL;
		} else {
			a->op = ops[i].op;
		}
	} else {
		err = -EINVAL;
	}
	v = y_get(y, "value");
	if (!v) {
		YERR(c, y, "argument condition without 'value'");
		err = -EINVAL;
	} else if (parse_value(c, v, "value", &n)) {
		err = -EINVAL;
	} else {
		a->datum_a = n;
	}
	v = y_get(y, "mask");
	if (a->op == SCMP_CMP_MASKED_EQ) {
		if (!v) {
			YERR(c, y, "op masked_eq needs a 'mask'");
			err = -EINVAL;
		} else if (parse_value(c, v, "mask", &n)) {
			err = -EINVAL;
		} else {
			/* libseccomp: datum_a is the mask, datum_b the value.
			 */
			a->datum_b = a->datum_a;
			a->datum_a = n;
		}
	} else if (v && !err) {
		YERR(c, v, "'mask' is only for op masked_eq");
		err = -EINVAL;
	}
	return err;
}

static int add_rule(struct tg_sc_profile *p, const struct tg_sc_rule *r)
{
	struct tg_sc_rule *v;

	if (p->n_rules % 64 == 0) {
		v = reallocarray(p->rules, p->n_rules + 64, sizeof(*v));
		if (!v)
			return -ENOMEM;
		p->rules = v;
	}
	p->rules[p->n_rules++] = *r;
	return 0;
}

static int parse_rule(struct yctx *c, struct tg_sc_profile *p,
		      const struct ynode *y)
{
	static const char *const keys[] = {"names", "action",  "errno",
					   "args",  "comment", NULL};
	const struct ynode *names, *v;
	struct tg_sc_rule r = {};
	unsigned int i;
	int err, a;

	if (y_want(c, y, Y_MAP, "a syscalls entry"))
		return -EINVAL;
	err = y_check_keys(c, y, keys, "a syscalls entry");
	v = y_get(y, "action");
	if (!v) {
		YERR(c, y, "syscalls entry without 'action'");
		err = -EINVAL;
	} else if ((a = parse_action(c, v, "action")) < 0) {
		err = -EINVAL;
	} else {
		r.action = a;
	}
	v = y_get(y, "errno");
	if (v && r.action && r.action != TG_SC_ERRNO) {
		YERR(c, v, "'errno' is only for action errno");
		err = -EINVAL;
	} else if (v) {
		r.err = parse_errno(c, v);
		if (r.err < 0)
			err = -EINVAL;
	} else {
		r.err = EPERM;
	}
	v = y_get(y, "args");
	if (v && !y_want(c, v, Y_SEQ, "args")) {
		if (v->n > 6) {
			YERR(c, v, "at most 6 argument conditions");
			err = -EINVAL;
		}
		for (i = 0; i < v->n && i < 6; i++)
			if (parse_arg(c, v->kids[i], &r.args[i]))
				err = -EINVAL;
		r.n_args = v->n < 6 ? v->n : 6;
	} else if (v) {
		err = -EINVAL;
	}
	names = y_get(y, "names");
	if (!names) {
		YERR(c, y, "syscalls entry without 'names'");
		return -EINVAL;
	}
	if (y_want(c, names, Y_SEQ, "names"))
		return -EINVAL;
	if (!names->n) {
		YERR(c, names, "'names' is empty");
		return -EINVAL;
	}
	for (i = 0; i < names->n; i++) {
		const struct ynode *n = names->kids[i];

		if (y_want(c, n, Y_SCALAR, "a system call name"))
			continue;
		if (strlen(n->value) >= sizeof(r.name) ||
		    seccomp_syscall_resolve_name(n->value) == __NR_SCMP_ERROR) {
			YERR(c, n, "unknown system call '%s'", n->value);
			err = -EINVAL;
			continue;
		}
		if (p->n_rules >= TG_SC_MAX_RULES) {
			YERR(c, n, "too many rules (limit %u)",
			     TG_SC_MAX_RULES);
			return -EINVAL;
		}
		snprintf(r.name, sizeof(r.name), "%s", n->value);
		r.line = n->line;
		r.col = n->col;
		if (add_rule(p, &r))
			return -ENOMEM;
	}
	return err;
}

static int rule_cmp(const void *a, const void *b)
{
	const struct tg_sc_rule *x = a, *y = b;
	int c = strcmp(x->name, y->name);

	if (c)
		return c;
	return x->line != y->line ? (x->line < y->line ? -1 : 1)
				  : (x->col < y->col ? -1 : x->col > y->col);
}

/*
 * A system call may have one unconditional rule, or conditional rules only:
 * anything else leaves the outcome to rule order, which a reader cannot see.
 */
static int check_conflicts(struct yctx *c, struct tg_sc_profile *p)
{
	unsigned int i, first = 0;
	int err = 0;

	qsort(p->rules, p->n_rules, sizeof(*p->rules), rule_cmp);
	for (i = 1; i < p->n_rules; i++) {
		const struct tg_sc_rule *r = &p->rules[i], *f;

		if (strcmp(r->name, p->rules[first].name)) {
			first = i;
			continue;
		}
		f = &p->rules[first];
		if (!f->n_args || !r->n_args) {
			tg_diag_add(
				c->d, c->name, r->line, r->col,
				"system call '%s' already has a rule at line %u%s",
				r->name, f->line,
				" (an unconditional rule must be its only one)");
			err = -EINVAL;
		} else if (r->action != f->action) {
			tg_diag_add(
				c->d, c->name, r->line, r->col,
				"system call '%s' has conditional rules with different actions (line %u)",
				r->name, f->line);
			err = -EINVAL;
		}
	}
	return err;
}

/*
 * The terminal guard. ioctl(TIOCSTI) pushes characters into a terminal's
 * input, where the shell that started the workload (outside the tenant, as
 * the operator) reads and runs them; TIOCLINUX pastes a console's selection
 * the same way. Every profile refuses both, whatever it says of ioctl,
 * comparing the low 32 bits of the request only: the kernel takes the
 * request as a 32-bit number, so a value with high bits set is the same
 * request (CVE-2019-10063).
 */
static const uint32_t guarded_ioctls[] = {TIOCSTI, TIOCLINUX};
#define N_GUARDED (sizeof(guarded_ioctls) / sizeof(guarded_ioctls[0]))

static int refuses(int action)
{
	return action == TG_SC_ERRNO || action == TG_SC_NOTIFY ||
	       action == TG_SC_KILL;
}

static void request_cond(struct tg_sc_rule *r, uint32_t mask, uint32_t value)
{
	r->n_args = 1;
	memset(&r->args[0], 0, sizeof(r->args[0]));
	r->args[0].arg = 1;
	r->args[0].op = SCMP_CMP_MASKED_EQ;
	r->args[0].datum_a = mask; /* libseccomp: mask, then value */
	r->args[0].datum_b = value;
}

/*
 * Rules of tmpl's action for every request whose low 32 bits agree with
 * value on mask and are no guarded request: the guarded ones split the
 * space bit by bit (high to low), and each half that holds none of them is
 * one rule (34 rules for the two requests).
 */
static int add_all_but_guarded(struct tg_sc_profile *p,
			       const struct tg_sc_rule *tmpl, uint32_t mask,
			       uint32_t value, int bit)
{
	struct tg_sc_rule r = *tmpl;
	unsigned int i, inside = 0;
	uint32_t b;
	int err;

	for (i = 0; i < N_GUARDED; i++)
		inside += (guarded_ioctls[i] & mask) == value;
	if (!inside) {
		request_cond(&r, mask, value);
		return add_rule(p, &r);
	}
	if (bit < 0)
		return 0; /* a guarded request itself */
	b = 1u << bit;
	err = add_all_but_guarded(p, tmpl, mask | b, value, bit - 1);
	return err ? err
		   : add_all_but_guarded(p, tmpl, mask | b, value | b, bit - 1);
}

static int guard_terminal(struct yctx *c, struct tg_sc_profile *p)
{
	struct tg_sc_rule r = {.name = "ioctl"}, *ioctl_rule = NULL;
	unsigned int i, n = 0;
	int allows, err;

	for (i = 0; i < p->n_rules; i++) {
		if (strcmp(p->rules[i].name, "ioctl"))
			continue;
		if (!n++)
			ioctl_rule = &p->rules[i];
	}
	if (ioctl_rule && ioctl_rule->n_args && !refuses(ioctl_rule->action)) {
		tg_diag_add(
			c->d, c->name, ioctl_rule->line, ioctl_rule->col,
			"system call 'ioctl': conditional allow or log rules cannot be combined with the refusal of TIOCSTI and TIOCLINUX (allow ioctl unconditionally, or refuse requests by condition)");
		return -EINVAL;
	}
	allows = ioctl_rule && !ioctl_rule->n_args
			 ? !refuses(ioctl_rule->action)
			 : !refuses(p->def_action);
	if (!allows)
		return 0;
	if (ioctl_rule && !ioctl_rule->n_args) {
		/* The unconditional rule becomes "every other request". */
		r = *ioctl_rule;
		*ioctl_rule = p->rules[--p->n_rules];
		err = add_all_but_guarded(p, &r, 0, 0, 31);
		if (err)
			return err;
	}
	r.action = tg_sc_uses_notify(p) ? TG_SC_NOTIFY : TG_SC_ERRNO;
	r.err = EPERM;
	for (i = 0; i < N_GUARDED; i++) {
		request_cond(&r, 0xffffffffu, guarded_ioctls[i]);
		err = add_rule(p, &r);
		if (err)
			return err;
	}
	qsort(p->rules, p->n_rules, sizeof(*p->rules), rule_cmp);
	return 0;
}

/* The keys before "syscalls": 0, or -EINVAL with the problems in c->d. */
static int parse_head(struct yctx *c, const struct ynode *root,
		      struct tg_sc_profile *p)
{
	const struct ynode *v;
	int err = 0, a;

	v = y_get(root, "version");
	if (!v) {
		tg_diag_add(c->d, c->name, root->line, root->col,
			    "missing key 'version' (use version: 1)");
		err = -EINVAL;
	} else if (v->type != Y_SCALAR || strcmp(v->value, "1")) {
		YERR(c, v, "unsupported profile version (only 1 is known)");
		err = -EINVAL;
	}
	if ((v = y_get(root, "description")) &&
	    y_want(c, v, Y_SCALAR, "description"))
		err = -EINVAL;
	v = y_get(root, "default_action");
	if (!v) {
		YERR(c, root,
		     "missing key 'default_action' (e.g. default_action: notify)");
		err = -EINVAL;
	} else if ((a = parse_action(c, v, "default_action")) < 0) {
		err = -EINVAL;
	} else {
		p->def_action = a;
	}
	if ((v = y_get(root, "default_errno"))) {
		if (p->def_action && p->def_action != TG_SC_ERRNO) {
			YERR(c, v,
			     "'default_errno' is only for default_action errno");
			err = -EINVAL;
		} else if ((p->def_err = parse_errno(c, v)) < 0) {
			err = -EINVAL;
		}
	}
	if ((v = y_get(root, "bad_arch"))) {
		a = parse_action(c, v, "bad_arch");
		if (a == TG_SC_KILL || a == TG_SC_ERRNO) {
			p->badarch_action = a;
			p->badarch_err = ENOSYS;
		} else {
			if (a > 0)
				YERR(c, v,
				     "bad_arch must be kill or errno: a foreign architecture must not get through");
			err = -EINVAL;
		}
	}
	return err;
}

int tg_sc_parse(struct tg_sc_profile *p, const char *name, const char *buf,
		size_t len, struct tg_diag *d)
{
	static const char *const keys[] = {"version",
					   "description",
					   "default_action",
					   "default_errno",
					   "bad_arch",
					   "syscalls",
					   NULL};
	struct yctx c = {.name = name, .d = d, .doc = "profile"};
	const struct ynode *v;
	struct ynode *root;
	unsigned int i;
	int err;

	memset(p, 0, sizeof(*p));
	p->def_err = EPERM;
	p->badarch_action = TG_SC_KILL;
	snprintf(p->source, sizeof(p->source), "%s", name);
	root = ytree_parse(&c, buf, len, TG_SC_MAX_FILE);
	if (!root)
		return -EINVAL;
	if (y_want(&c, root, Y_MAP, "the profile")) {
		ytree_free(root);
		return -EINVAL;
	}
	err = y_check_keys(&c, root, keys, "the profile");
	if (parse_head(&c, root, p))
		err = -EINVAL;
	v = y_get(root, "syscalls");
	if (v && !y_want(&c, v, Y_SEQ, "syscalls")) {
		for (i = 0; i < v->n; i++) {
			int e = parse_rule(&c, p, v->kids[i]);

			if (e == -ENOMEM) {
				err = e;
				break;
			}
			if (e)
				err = -EINVAL;
		}
	} else if (v) {
		err = -EINVAL;
	}
	ytree_free(root);
	if (!err && check_conflicts(&c, p))
		err = -EINVAL;
	if (!err)
		err = guard_terminal(&c, p);
	return err;
}

int tg_sc_load_file(struct tg_sc_profile *p, const char *path,
		    struct tg_diag *d)
{
	const char *base = strrchr(path, '/');
	char *buf = NULL, *dot;
	size_t len = 0;
	int err;

	memset(p, 0, sizeof(*p));
	err = tg_read_text_file(path, TG_SC_MAX_FILE, &buf, &len, d);
	if (err)
		return err;
	err = tg_sc_parse(p, path, buf, len, d);
	free(buf);
	snprintf(p->name, sizeof(p->name), "%s", base ? base + 1 : path);
	dot = strrchr(p->name, '.');
	if (dot && (strcmp(dot, ".yaml") == 0 || strcmp(dot, ".yml") == 0))
		*dot = '\0';
	return err;
}

int tg_sc_find(struct tg_sc_profile *p, const char *name, const char *dir,
	       struct tg_diag *d)
{
	char path[4096], where[96];
	unsigned int i;
	int err;

	memset(p, 0, sizeof(*p));
	if (strchr(name, '/'))
		return tg_sc_load_file(p, name, d);
	if (!tg_profile_name_valid(name)) {
		tg_diag_add(d, name, 1, 1,
			    "'%s' is not a profile name (a-z 0-9 - _)", name);
		return -EINVAL;
	}
	snprintf(path, sizeof(path), "%s/%s.yaml",
		 dir ? dir : TG_SC_DEFAULT_DIR, name);
	if (access(path, F_OK) == 0)
		return tg_sc_load_file(p, path, d);
	for (i = 0; tg_sc_builtins[i].name; i++) {
		if (strcmp(tg_sc_builtins[i].name, name))
			continue;
		snprintf(where, sizeof(where), "built-in %s", name);
		err = tg_sc_parse(p, where, tg_sc_builtins[i].text,
				  strlen(tg_sc_builtins[i].text), d);
		snprintf(p->name, sizeof(p->name), "%s", name);
		return err;
	}
	tg_diag_add(d, path, 1, 1,
		    "no seccomp profile '%s' (not in %s, not built in)", name,
		    dir ? dir : TG_SC_DEFAULT_DIR);
	return -ENOENT;
}

int tg_sc_uses_notify(const struct tg_sc_profile *p)
{
	unsigned int i;

	if (p->def_action == TG_SC_NOTIFY)
		return 1;
	for (i = 0; i < p->n_rules; i++)
		if (p->rules[i].action == TG_SC_NOTIFY)
			return 1;
	return 0;
}

int tg_sc_action_of(const struct tg_sc_profile *p, const char *name)
{
	unsigned int i;
	int found = 0;

	for (i = 0; i < p->n_rules; i++) {
		if (strcmp(p->rules[i].name, name))
			continue;
		if (p->rules[i].n_args)
			return -1;
		found = p->rules[i].action;
	}
	return found ? found : p->def_action;
}
