// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests: the policy parser. tests/policy/invalid/ holds policies whose
 * first line says the exact first error ("# expect: LINE:COL: message");
 * tests/policy/valid/ holds policies that must load.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <grp.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "policy/policy.h"

#define CORPUS "tests/policy"

static char *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "r");
	char *buf = malloc(1 << 20);

	assert_non_null(f);
	*len = fread(buf, 1, (1 << 20) - 1, f);
	buf[*len] = '\0';
	fclose(f);
	return buf;
}

/* Parse + finish one document as the only file; errors into d. */
static int check_doc(struct tg_policy *p, const char *name, const char *buf,
		     size_t len, struct tg_diag *d)
{
	int err;

	tg_policy_init(p);
	err = tg_policy_parse(p, name, buf, len, 1, d);
	if (tg_policy_finish(p, d))
		err = -EINVAL;
	return err;
}

static void test_invalid_corpus(void **state)
{
	struct dirent **list;
	int i, n, checked = 0;

	assert_int_equal(chdir(CORPUS), 0);
	n = scandir("invalid", &list, NULL, alphasort);
	assert_true(n > 2);
	for (i = 0; i < n; i++) {
		char name[300], want[600], *buf, *nl;
		struct tg_diag d = {};
		struct tg_policy p;
		size_t len;

		if (list[i]->d_name[0] == '.') {
			free(list[i]);
			continue;
		}
		snprintf(name, sizeof(name), "invalid/%s", list[i]->d_name);
		buf = slurp(name, &len);
		assert_int_equal(strncmp(buf, "# expect: ", 10), 0);
		nl = strchr(buf, '\n');
		snprintf(want, sizeof(want), "%s:%.*s", name,
			 (int)(nl - buf - 10), buf + 10);
		assert_int_equal(check_doc(&p, name, buf, len, &d), -EINVAL);
		assert_true(d.n >= 1);
		if (strcmp(d.msgs[0], want) != 0)
			fail_msg("%s:\n  got  %s\n  want %s", name, d.msgs[0],
				 want);
		tg_diag_free(&d);
		tg_policy_free(&p);
		free(buf);
		free(list[i]);
		checked++;
	}
	free(list);
	assert_true(checked >= 20);
	assert_int_equal(chdir("../.."), 0);
}

static void test_valid_corpus(void **state)
{
	struct dirent **list;
	int i, n;

	n = scandir(CORPUS "/valid", &list, NULL, alphasort);
	assert_true(n > 2);
	for (i = 0; i < n; i++) {
		char name[300], *buf;
		struct tg_diag d = {};
		struct tg_policy p;
		size_t len;

		if (list[i]->d_name[0] != '.') {
			snprintf(name, sizeof(name), CORPUS "/valid/%s",
				 list[i]->d_name);
			buf = slurp(name, &len);
			if (check_doc(&p, name, buf, len, &d))
				fail_msg("%s: %s", name, d.n ? d.msgs[0] : "?");
			tg_policy_free(&p);
			free(buf);
		}
		free(list[i]);
	}
	free(list);
}

/*
 * roles: names resolved to gids at load; a role not named keeps its
 * default group, resolved if it exists; an empty list gives none.
 */
static void test_roles(void **state)
{
	static const char doc[] = "version: 1\n"
				  "roles:\n"
				  "  viewer: [root, root]\n"
				  "  admin: []\n";
	struct tg_diag d = {};
	struct tg_policy p;
	int exists;

	assert_int_equal(check_doc(&p, "t.yaml", doc, sizeof(doc) - 1, &d), 0);
	assert_int_equal(p.roles.n[TG_ROLE_VIEWER], 2);
	assert_string_equal(p.roles.v[TG_ROLE_VIEWER][1].name, "root");
	assert_int_equal(p.roles.v[TG_ROLE_VIEWER][1].gid, 0);
	assert_true(p.roles.v[TG_ROLE_VIEWER][1].found);
	assert_int_equal(p.roles.n[TG_ROLE_ADMIN], 0);
	assert_int_equal(p.roles.n[TG_ROLE_OPERATOR], 1);
	assert_string_equal(p.roles.v[TG_ROLE_OPERATOR][0].name,
			    "tenantguard-operator");
	exists = getgrnam("tenantguard-operator") != NULL;
	assert_int_equal(p.roles.v[TG_ROLE_OPERATOR][0].found, exists);
	/* A gid-0 member is a viewer, not more. */
	assert_int_equal(tg_role_of(&p.roles, 1000, 0, NULL, 0),
			 TG_ROLE_VIEWER);
	tg_policy_free(&p);
	/* Without roles: the three defaults; a drop-in may not set them. */
	assert_int_equal(check_doc(&p, "t.yaml", "version: 1\n", 11, &d), 0);
	assert_int_equal(p.roles.n[TG_ROLE_VIEWER], 1);
	assert_string_equal(p.roles.v[TG_ROLE_ADMIN][0].name,
			    "tenantguard-admin");
	assert_int_equal(tg_policy_parse(&p, "d.yaml",
					 "version: 1\nroles: {}\n", 22, 0, &d),
			 -EINVAL);
	assert_int_equal(d.n, 1);
	tg_diag_free(&d);
	tg_policy_free(&p);
}

/*
 * support: ranges as written, merged with the members of its groups (root
 * is in group root by its primary group); the set sorted and merged, and
 * looked up; more ranges than the map holds refused.
 */
static void test_support(void **state)
{
	static const char doc[] =
		"version: 1\n"
		"support:\n"
		"  login_uids: [5000-5009, 4242, 5010-5020, 7]\n"
		"  groups: [root]\n";
	struct tg_support_set set;
	struct tg_diag d = {};
	struct tg_policy p;
	char big[8192];
	size_t n;
	int i;

	assert_int_equal(check_doc(&p, "t.yaml", doc, sizeof(doc) - 1, &d), 0);
	assert_int_equal(p.n_support_uids, 4);
	assert_int_equal(p.n_support_groups, 1);
	assert_string_equal(p.support_where, "t.yaml:3:3");
	assert_int_equal(tg_policy_support(&p, &set), 0);
	/* 0 (root, by group), 7, 4242, 5000-5020 */
	assert_int_equal(set.n, 4);
	assert_int_equal(set.r[0].lo, 0);
	assert_int_equal(set.r[0].hi, 0);
	assert_int_equal(set.r[1].lo, 7);
	assert_int_equal(set.r[3].lo, 5000);
	assert_int_equal(set.r[3].hi, 5020);
	assert_true(tg_support_has(&set, 0));
	assert_true(tg_support_has(&set, 5015));
	assert_true(tg_support_has(&set, 4242));
	assert_false(tg_support_has(&set, 4243));
	assert_false(tg_support_has(&set, 5021));
	assert_false(tg_support_has(&set, 0xffffffffU)); /* unset */
	tg_policy_free(&p);
	/* Without support: nobody. */
	assert_int_equal(check_doc(&p, "t.yaml", "version: 1\n", 11, &d), 0);
	assert_int_equal(tg_policy_support(&p, &set), 0);
	assert_int_equal(set.n, 0);
	assert_false(tg_support_has(&set, 0));
	tg_policy_free(&p);
	/* 256 disjoint ranges fit; 257 do not. */
	n = (size_t)snprintf(big, sizeof(big),
			     "version: 1\nsupport:\n  login_uids: [");
	for (i = 0; i < TG_MAX_SUPPORT_RANGES; i++)
		n += (size_t)snprintf(big + n, sizeof(big) - n, "%s%d",
				      i ? ", " : "", i * 10);
	snprintf(big + n, sizeof(big) - n, "]\n");
	assert_int_equal(check_doc(&p, "t.yaml", big, strlen(big), &d), 0);
	assert_int_equal(tg_policy_support(&p, &set), 0);
	assert_int_equal(set.n, TG_MAX_SUPPORT_RANGES);
	p.support_groups[0] = (struct tg_role_group){.gid = 0, .found = 1};
	p.n_support_groups = 1; /* root (uid 0) merges into 0 */
	assert_int_equal(tg_policy_support(&p, &set), 0);
	p.support_uids[0].lo = p.support_uids[0].hi = 2; /* 0 now apart */
	assert_int_equal(tg_policy_support(&p, &set), -E2BIG);
	tg_policy_free(&p);
	/* Not in a drop-in. */
	assert_int_equal(tg_policy_parse(&p, "d.yaml",
					 "version: 1\nsupport: {}\n", 24, 0,
					 &d),
			 -EINVAL);
	tg_diag_free(&d);
	tg_policy_free(&p);
}

/* The bit of verb in a policy's confirm_verbs. */
static unsigned long long verb_bit(const char *verb)
{
	return 1ull << tg_verb_index(verb);
}

/*
 * confirm: the verbs that wait for a second person and the window; the
 * defaults without it; verbs that only look or relay the requester's own
 * terminal cannot be named; bad windows are located errors.
 */
static void test_confirm(void **state)
{
	static const char doc[] = "version: 1\n"
				  "confirm:\n"
				  "  verbs: [reload, detach]\n"
				  "  window: 90s\n";
	static const struct {
		const char *doc, *error;
	} bad[] = {
		{"version: 1\nconfirm: {verbs: [status]}\n",
		 "t.yaml:2:19: verb 'status' cannot need confirmation"},
		{"version: 1\nconfirm: {verbs: [run]}\n",
		 "t.yaml:2:19: verb 'run' cannot need confirmation"},
		{"version: 1\nconfirm: {verbs: [confirm]}\n",
		 "t.yaml:2:19: verb 'confirm' cannot need confirmation"},
		{"version: 1\nconfirm: {verbs: [relaod]}\n",
		 "t.yaml:2:19: unknown verb 'relaod' in confirm"},
		{"version: 1\nconfirm: {window: 0s}\n",
		 "t.yaml:2:19: window '0s' must be a duration"},
		{"version: 1\nconfirm: {window: 10}\n",
		 "t.yaml:2:19: window '10' must be a duration"},
		{"version: 1\nconfirm: {window: 8d}\n",
		 "t.yaml:2:19: window '8d' must be a duration"},
		{"version: 1\nconfirm: {window: -5m}\n",
		 "t.yaml:2:19: window '-5m' must be a duration"},
		{"version: 1\nconfirm: {verbs: [detach], windows: 5m}\n",
		 "t.yaml:2:28: unknown key 'windows'"},
	};
	struct tg_diag d = {};
	struct tg_policy p;
	size_t i;

	assert_int_equal(check_doc(&p, "t.yaml", doc, sizeof(doc) - 1, &d), 0);
	assert_int_equal(p.confirm_verbs,
			 verb_bit("reload") | verb_bit("detach"));
	assert_int_equal(p.confirm_window_s, 90);
	tg_policy_free(&p);
	/* The default: detach, tenant-erase and break-glass, 10 minutes. */
	assert_int_equal(check_doc(&p, "t.yaml", "version: 1\n", 11, &d), 0);
	assert_int_equal(p.confirm_verbs, verb_bit("detach") |
						  verb_bit("tenant-erase") |
						  verb_bit("break-glass"));
	assert_int_equal(p.confirm_window_s, 600);
	tg_policy_free(&p);
	/* An empty list: nothing waits; units. */
	assert_int_equal(
		check_doc(&p, "t.yaml",
			  "version: 1\nconfirm: {verbs: [], window: 2h}\n", 44,
			  &d),
		0);
	assert_int_equal(p.confirm_verbs, 0);
	assert_int_equal(p.confirm_window_s, 7200);
	tg_policy_free(&p);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(check_doc(&p, "t.yaml", bad[i].doc,
					   strlen(bad[i].doc), &d),
				 -EINVAL);
		assert_true(d.n >= 1);
		if (!strstr(d.msgs[0], bad[i].error))
			fail_msg("%s: got '%s', want '%s'", bad[i].doc,
				 d.msgs[0], bad[i].error);
		tg_diag_free(&d);
		tg_policy_free(&p);
	}
	/* A drop-in may not set it. */
	tg_policy_init(&p);
	assert_int_equal(tg_policy_parse(&p, "d.yaml",
					 "version: 1\nconfirm: {}\n", 24, 0,
					 &d),
			 -EINVAL);
	tg_diag_free(&d);
	tg_policy_free(&p);
}

/*
 * auditors: users and groups resolved at load (a number as it is); the
 * access of a host process: a role from roles sees all, else an auditor
 * is a viewer of its tenants only, else nothing.
 */
static void test_auditors_access(void **state)
{
	static const char doc[] =
		"version: 1\n"
		"roles:\n"
		"  viewer: [root]\n"
		"tenants:\n"
		"  acme:\n"
		"    auditors: {users: [root, 1005], groups: [4242]}\n"
		"  globex:\n"
		"    auditors: {groups: [4243, 4242]}\n"
		"  initech:\n";
	static struct tg_view v;
	struct tg_diag d = {};
	struct tg_policy p;
	const struct tg_policy_tenant *t;

	assert_int_equal(check_doc(&p, "t.yaml", doc, sizeof(doc) - 1, &d), 0);
	t = tg_policy_find(&p, "acme");
	assert_int_equal(t->auditors.n_uids, 2);
	assert_int_equal(t->auditors.uids[0], 0);
	assert_int_equal(t->auditors.uids[1], 1005);
	assert_int_equal(t->auditors.n_gids, 1);
	assert_int_equal(t->auditors.gids[0], 4242);
	assert_int_equal(tg_policy_find(&p, "initech")->auditors.n_uids, 0);
	/* Root and the viewer group (gid 0): every tenant. */
	assert_int_equal(tg_policy_access(&p, 0, 0, NULL, 0, &v),
			 TG_ROLE_ADMIN);
	assert_true(v.all);
	assert_int_equal(tg_policy_access(&p, 1005, 1005, (gid_t[]){0}, 1, &v),
			 TG_ROLE_VIEWER);
	assert_true(v.all);
	/* Auditor of acme by uid: acme only. */
	assert_int_equal(tg_policy_access(&p, 1005, 1005, NULL, 0, &v),
			 TG_ROLE_VIEWER);
	assert_false(v.all);
	assert_true(tg_view_has(&v, "acme"));
	assert_false(tg_view_has(&v, "globex"));
	assert_false(tg_view_has(&v, "initech"));
	assert_false(tg_view_has(&v, "host"));
	/* By a supplementary group: globex only; by 4242: both. */
	assert_int_equal(
		tg_policy_access(&p, 1006, 1006, (gid_t[]){4243}, 1, &v),
		TG_ROLE_VIEWER);
	assert_int_equal(v.n, 1);
	assert_string_equal(v.names[0], "globex");
	assert_int_equal(tg_policy_access(&p, 1006, 4242, NULL, 0, &v),
			 TG_ROLE_VIEWER);
	assert_int_equal(v.n, 2);
	assert_true(tg_view_has(&v, "acme") && tg_view_has(&v, "globex"));
	/* Neither: no role, nothing seen. */
	assert_int_equal(
		tg_policy_access(&p, 1007, 1007, (gid_t[]){4244}, 1, &v),
		TG_ROLE_NONE);
	assert_false(v.all);
	assert_int_equal(v.n, 0);
	tg_policy_free(&p);
	/* An unknown user or group: a located error. */
	assert_int_equal(
		check_doc(&p, "t.yaml",
			  "version: 1\ntenants:\n  acme:\n"
			  "    auditors: {users: [tg-unit-no-such-user]}\n",
			  74, &d),
		-EINVAL);
	assert_true(d.n >= 1);
	assert_string_equal(d.msgs[0],
			    "t.yaml:4:24: unknown user 'tg-unit-no-such-user' "
			    "in auditors (not in the user database)");
	tg_diag_free(&d);
	tg_policy_free(&p);
}

/* What a reload changes, tenant by tenant (the reload's change summary). */
static void test_tenant_same(void **state)
{
	static const char before[] =
		"version: 1\n"
		"tenants:\n"
		"  acme: {paths: [/srv/acme], ports: [tcp:80], allow_from: [b]}\n"
		"  b:\n";
	static const char *const after[] = {
		/* Written elsewhere, in another order, same in effect. */
		"version: 1\ntenants:\n  b: {mode: enforce}\n  acme:\n"
		"    allow_from: [b]\n    ports: [\"tcp:80-80\"]\n"
		"    paths: [/srv/acme]\n    cgroup: /tenants/acme\n",
		/* Each of these changes acme. */
		"version: 1\ntenants:\n  acme: {paths: [/srv/acme], ports: "
		"[tcp:80], allow_from: [b], mode: audit}\n  b:\n",
		"version: 1\nmode: audit\ntenants:\n  acme: {paths: [/srv/acme], "
		"ports: [tcp:80], allow_from: [b]}\n  b: {mode: enforce}\n",
		"version: 1\ntenants:\n  acme: {paths: [/srv/acme], ports: "
		"[udp:80], allow_from: [b]}\n  b:\n",
		"version: 1\ntenants:\n  acme: {paths: [/srv/acme2], ports: "
		"[tcp:80], allow_from: [b]}\n  b:\n",
		"version: 1\ntenants:\n  acme: {paths: [/srv/acme], ports: "
		"[tcp:80]}\n  b:\n",
		"version: 1\ntenants:\n  acme: {paths: [/srv/acme], ports: "
		"[tcp:80], allow_from: [b], networks: [10.0.0.0/8]}\n  b:\n",
		"version: 1\ntenants:\n  acme: {paths: [/srv/acme], ports: "
		"[tcp:80], allow_from: [b], seccomp: strict}\n  b:\n",
		"version: 1\ntenants:\n  acme: {paths: [/srv/acme], ports: "
		"[tcp:80], allow_from: [b], events: {rate: 5}}\n  b:\n",
		"version: 1\ntenants:\n  acme: {paths: [/srv/acme], ports: "
		"[tcp:80], allow_from: [b], cgroup: /x/acme}\n  b:\n",
	};
	struct tg_diag d = {};
	struct tg_policy p, q;
	size_t i;

	assert_int_equal(
		check_doc(&p, "a.yaml", before, sizeof(before) - 1, &d), 0);
	for (i = 0; i < sizeof(after) / sizeof(after[0]); i++) {
		assert_int_equal(
			check_doc(&q, "b.yaml", after[i], strlen(after[i]), &d),
			0);
		if (tg_policy_tenant_same(&p, tg_policy_find(&p, "acme"), &q,
					  tg_policy_find(&q, "acme")) != !i)
			fail_msg("policy %zu: acme %s", i,
				 i ? "unchanged" : "changed");
		/* b: unchanged but where the top-level mode changed. */
		assert_int_equal(
			tg_policy_tenant_same(&p, tg_policy_find(&p, "b"), &q,
					      tg_policy_find(&q, "b")),
			1);
		tg_policy_free(&q);
	}
	tg_policy_free(&p);
}

static void test_defaults_and_values(void **state)
{
	static const char doc[] =
		"version: 1\n"
		"tenants:\n"
		"  acme:\n"
		"    paths: [/srv/acme]\n"
		"    ports: [tcp:8000-8099, udp:5353]\n"
		"    networks: [10.10.0.0/16, \"fd00:10::/64\"]\n"
		"    allow_from: [globex]\n"
		"  globex:\n"
		"    cgroup: /machine.slice/globex.slice\n"
		"    mode: audit\n";
	const struct tg_policy_tenant *a, *g;
	struct tg_diag d = {};
	struct tg_policy p;

	assert_int_equal(check_doc(&p, "t.yaml", doc, sizeof(doc) - 1, &d), 0);
	assert_int_equal(p.mode, TG_MODE_ENFORCE);
	assert_string_equal(p.tenants_cgroup, "/tenants");
	a = tg_policy_find(&p, "acme");
	g = tg_policy_find(&p, "globex");
	assert_string_equal(a->cgroup, "/tenants/acme"); /* default */
	assert_string_equal(g->cgroup, "/machine.slice/globex.slice");
	assert_int_equal(tg_policy_tenant_mode(&p, a), TG_MODE_ENFORCE);
	assert_int_equal(tg_policy_tenant_mode(&p, g), TG_MODE_AUDIT);
	assert_int_equal(a->n_ports, 2);
	assert_int_equal(a->ports[0].lo, 8000);
	assert_int_equal(a->ports[0].hi, 8099);
	assert_int_equal(a->ports[1].proto, 17);
	assert_int_equal(a->ports[1].lo, 5353);
	assert_int_equal(a->ports[1].hi, 5353);
	assert_int_equal(a->n_networks, 2);
	assert_int_equal(a->networks[0].prefix, 96 + 16);
	assert_int_equal(a->networks[0].addr[10], 0xff);
	assert_int_equal(a->networks[0].addr[12], 10);
	assert_int_equal(a->networks[1].prefix, 64);
	assert_string_equal(a->allow_from[0], "globex");
	tg_policy_free(&p);
}

static void test_event_limits(void **state)
{
	static const char doc[] = "version: 1\n"
				  "events: {rate: 400}\n"
				  "tenants:\n"
				  "  acme: {events: {rate: unlimited}}\n"
				  "  globex: {events: {rate: 20, burst: 1}}\n"
				  "  initech: {}\n";
	static const char plain[] = "version: 1\n";
	static const char dropin[] = "version: 1\nevents: {rate: 5}\n";
	const struct tg_rate *r;
	struct tg_diag d = {};
	struct tg_policy p;

	/* Without events: the default limit, for every tenant. */
	assert_int_equal(check_doc(&p, "p.yaml", plain, sizeof(plain) - 1, &d),
			 0);
	r = tg_policy_tenant_rate(&p, NULL);
	assert_int_equal(r->rate, TG_RATE_DEFAULT);
	assert_int_equal(r->burst, TG_BURST_DEFAULT);
	tg_policy_free(&p);

	assert_int_equal(check_doc(&p, "e.yaml", doc, sizeof(doc) - 1, &d), 0);
	r = tg_policy_tenant_rate(&p, NULL); /* zero-config tenants */
	assert_int_equal(r->rate, 400);
	assert_int_equal(r->burst, 400 * TG_BURST_SECONDS);
	r = tg_policy_tenant_rate(&p, tg_policy_find(&p, "acme"));
	assert_int_equal(r->rate, 0); /* unlimited */
	r = tg_policy_tenant_rate(&p, tg_policy_find(&p, "globex"));
	assert_int_equal(r->rate, 20);
	assert_int_equal(r->burst, 1);
	r = tg_policy_tenant_rate(&p, tg_policy_find(&p, "initech"));
	assert_int_equal(r->rate, 400); /* inherits */
	/* A drop-in may not change the default. */
	assert_int_equal(tg_policy_parse(&p, "d.yaml", dropin,
					 sizeof(dropin) - 1, 0, &d),
			 -EINVAL);
	assert_string_equal(
		d.msgs[0],
		"d.yaml:2:1: unknown key 'events' in a drop-in (only version and tenants)");
	assert_int_equal(tg_policy_tenant_rate(&p, NULL)->rate, 400);
	tg_diag_free(&d);
	tg_policy_free(&p);
}

static void test_every_error_reported(void **state)
{
	static const char doc[] = "version: 1\n"
				  "tenants:\n"
				  "  acme:\n"
				  "    paths: [a, b]\n"
				  "    ports: [tcp:x, udp:1-0]\n";
	struct tg_diag d = {};
	struct tg_policy p;

	assert_int_equal(check_doc(&p, "t.yaml", doc, sizeof(doc) - 1, &d),
			 -EINVAL);
	assert_int_equal(d.n, 4);
	assert_string_equal(d.msgs[1],
			    "t.yaml:4:16: path 'b' is not an absolute path");
	assert_string_equal(d.msgs[3],
			    "t.yaml:5:20: port range 'udp:1-0' is reversed");
	tg_diag_free(&d);
	tg_policy_free(&p);
}

/* Reserved ports and networks: one owner per port and per address. */
static void test_port_and_net_overlaps(void **state)
{
	static const char ok_doc[] =
		"version: 1\n"
		"tenants:\n"
		"  acme: {ports: [tcp:8000-8099, tcp:8050-8060, udp:9000], "
		"networks: [10.0.0.0/8, 10.1.0.0/16, \"fd00::/16\"]}\n"
		"  globex: {ports: [tcp:8100-8199, udp:8000-8099, tcp:9000], "
		"networks: [11.0.0.0/8, \"fd01::/16\", 9.255.255.255/32]}\n";
	static const char bad_doc[] =
		"version: 1\n"
		"tenants:\n"
		"  b: {ports: [tcp:100-120]}\n"
		"  a: {ports: [tcp:110-300, tcp:115-118, tcp:121-130]}\n"
		"  c: {ports: [udp:1-65535, tcp:300]}\n"
		"  d: {ports: [udp:7]}\n";
	static const char bad_nets[] =
		"version: 1\n"
		"tenants:\n"
		"  v6: {networks: [\"::/0\"]}\n"
		"  v4: {networks: [192.168.1.0/24, \"fd00:1::/32\"]}\n";
	static const char dropin[] = "version: 1\n"
				     "tenants:\n"
				     "  late: {ports: [tcp:8099]}\n";
	struct tg_diag d = {};
	struct tg_policy p;

	assert_int_equal(
		check_doc(&p, "ok.yaml", ok_doc, sizeof(ok_doc) - 1, &d), 0);
	assert_int_equal(d.n, 0);
	tg_policy_free(&p);

	assert_int_equal(
		check_doc(&p, "t.yaml", bad_doc, sizeof(bad_doc) - 1, &d),
		-EINVAL);
	assert_int_equal(d.n, 4);
	/* Each overlap once, at the later range, naming the earlier one. */
	assert_string_equal(d.msgs[0],
			    "t.yaml:4:15: port tcp:110-300 of tenant 'a' "
			    "overlaps tcp:100-120 of tenant 'b' (t.yaml:3:3)");
	assert_string_equal(d.msgs[1],
			    "t.yaml:4:28: port tcp:115-118 of tenant 'a' "
			    "overlaps tcp:100-120 of tenant 'b' (t.yaml:3:3)");
	assert_string_equal(d.msgs[2],
			    "t.yaml:5:28: port tcp:300 of tenant 'c' "
			    "overlaps tcp:110-300 of tenant 'a' (t.yaml:4:3)");
	assert_string_equal(d.msgs[3],
			    "t.yaml:6:15: port udp:7 of tenant 'd' "
			    "overlaps udp:1-65535 of tenant 'c' (t.yaml:5:3)");
	tg_diag_free(&d);
	tg_policy_free(&p);

	assert_int_equal(
		check_doc(&p, "n.yaml", bad_nets, sizeof(bad_nets) - 1, &d),
		-EINVAL);
	assert_int_equal(d.n, 2);
	assert_string_equal(
		d.msgs[0], "n.yaml:4:19: network 192.168.1.0/24 of tenant 'v4' "
			   "overlaps ::/0 of tenant 'v6' (n.yaml:3:3)");
	assert_string_equal(d.msgs[1],
			    "n.yaml:4:35: network fd00:1::/32 of tenant 'v4' "
			    "overlaps ::/0 of tenant 'v6' (n.yaml:3:3)");
	tg_diag_free(&d);
	tg_policy_free(&p);

	/* A drop-in's tenant is named at its own file's place. */
	tg_policy_init(&p);
	assert_int_equal(tg_policy_parse(&p, "main.yaml", ok_doc,
					 sizeof(ok_doc) - 1, 1, &d),
			 0);
	assert_int_equal(tg_policy_parse(&p, "d/late.yaml", dropin,
					 sizeof(dropin) - 1, 0, &d),
			 0);
	assert_int_equal(tg_policy_finish(&p, &d), -EINVAL);
	assert_int_equal(d.n, 1);
	assert_string_equal(
		d.msgs[0],
		"d/late.yaml:3:18: port tcp:8099 of tenant 'late' "
		"overlaps tcp:8000-8099 of tenant 'acme' (main.yaml:3:3)");
	tg_diag_free(&d);
	tg_policy_free(&p);
}

/* Parse + finish doc; its error count, the messages left in d. */
static int doc_errors(const char *name, const char *doc, struct tg_diag *d)
{
	struct tg_policy p;
	int err;

	err = check_doc(&p, name, doc, strlen(doc), d);
	tg_policy_free(&p);
	return err ? (int)d->n : 0;
}

/* A deep path: /tenants then n - 1 more levels of "l". */
static char *deep_cgroup(unsigned int n)
{
	char *s = calloc(1, 16 + 2 * n);
	unsigned int i;

	assert_non_null(s);
	strcpy(s, "/tenants");
	for (i = 1; i < n; i++)
		strcat(s, "/l");
	return s;
}

static void test_tenant_cgroups(void **state)
{
	char doc[4096], *deep;
	struct tg_diag d = {};

	/* Siblings, a tenant outside the tenants cgroup, derived paths. */
	assert_int_equal(doc_errors("ok.yaml",
				    "version: 1\n"
				    "tenants:\n"
				    "  acme: {}\n"
				    "  acme2: {cgroup: /tenants/acme2}\n"
				    "  ac: {cgroup: /system.slice/ac.service}\n"
				    "  acme-x: {cgroup: /tenants/acme-x}\n",
				    &d),
			 0);
	assert_int_equal(d.n, 0);

	/* One tenant's cgroup below another's, derived or written. */
	assert_int_equal(doc_errors("n.yaml",
				    "version: 1\n"
				    "tenants:\n"
				    "  acme: {}\n"
				    "  inner: {cgroup: /tenants/acme/job}\n",
				    &d),
			 1);
	assert_string_equal(d.msgs[0],
			    "n.yaml:4:19: cgroup /tenants/acme/job of tenant "
			    "'inner' is below cgroup /tenants/acme of tenant "
			    "'acme' (n.yaml:3:3): tenant cgroups may not nest");
	tg_diag_free(&d);
	assert_int_equal(doc_errors("s.yaml",
				    "version: 1\n"
				    "tenants:\n"
				    "  a: {cgroup: /srv/x}\n"
				    "  b: {cgroup: /srv/x}\n",
				    &d),
			 1);
	assert_string_equal(
		d.msgs[0], "s.yaml:4:15: cgroup /srv/x of tenant 'b' is the "
			   "same as cgroup /srv/x of tenant 'a' (s.yaml:3:15): "
			   "tenant cgroups may not nest");
	tg_diag_free(&d);

	/* The root cgroup, and a cgroup holding the tenants cgroup. */
	assert_int_equal(doc_errors("r.yaml",
				    "version: 1\n"
				    "tenants:\n"
				    "  all: {cgroup: /}\n",
				    &d),
			 1);
	assert_string_equal(d.msgs[0],
			    "r.yaml:3:17: cgroup / of tenant 'all' is the root "
			    "cgroup: every process on the host would be the "
			    "tenant's");
	tg_diag_free(&d);
	assert_int_equal(doc_errors("h.yaml",
				    "version: 1\n"
				    "tenants_cgroup: /srv/tenants\n"
				    "tenants:\n"
				    "  srv: {cgroup: /srv}\n",
				    &d),
			 1);
	assert_string_equal(d.msgs[0],
			    "h.yaml:4:17: cgroup /srv of tenant 'srv' holds "
			    "tenants_cgroup /srv/tenants: every tenant found "
			    "there would be nested in it");
	tg_diag_free(&d);

	/* 32 levels are searched: the 33rd is refused. */
	deep = deep_cgroup(32);
	snprintf(doc, sizeof(doc), "version: 1\ntenants:\n  d: {cgroup: %s}\n",
		 deep);
	assert_int_equal(doc_errors("d.yaml", doc, &d), 0);
	free(deep);
	deep = deep_cgroup(33);
	snprintf(doc, sizeof(doc), "version: 1\ntenants:\n  d: {cgroup: %s}\n",
		 deep);
	assert_int_equal(doc_errors("d.yaml", doc, &d), 1);
	assert_non_null(strstr(d.msgs[0], "d.yaml:3:15: cgroup /tenants/l/"));
	assert_non_null(strstr(d.msgs[0], " of tenant 'd' is 33 levels deep: "
					  "the programs search 32"));
	tg_diag_free(&d);
	free(deep);

	/* A tenants cgroup 32 deep leaves its tenants (33) out of reach. */
	deep = deep_cgroup(31);
	snprintf(doc, sizeof(doc), "version: 1\ntenants_cgroup: %s\n", deep);
	assert_int_equal(doc_errors("t.yaml", doc, &d), 0);
	free(deep);
	deep = deep_cgroup(32);
	snprintf(doc, sizeof(doc),
		 "version: 1\ntenants_cgroup: %s\ntenants:\n  x: {}\n", deep);
	assert_int_equal(doc_errors("t.yaml", doc, &d), 2);
	assert_non_null(strstr(d.msgs[0], "t.yaml:2:17: tenants_cgroup "));
	assert_non_null(strstr(d.msgs[0], " is 32 levels deep: its tenants "
					  "would be deeper than the 32 levels "
					  "the programs search"));
	/* The derived tenant is located at its name. */
	assert_non_null(strstr(d.msgs[1], "t.yaml:4:3: cgroup "));
	assert_non_null(strstr(d.msgs[1], " is 33 levels deep"));
	tg_diag_free(&d);
	free(deep);
}

static void test_dropin_merge_order(void **state)
{
	static const char main_doc[] =
		"version: 1\nmode: audit\ntenants:\n  acme: {}\n";
	static const char d1[] =
		"version: 1\ntenants:\n  globex: {allow_from: [initech]}\n";
	static const char d2[] = "version: 1\ntenants:\n  initech: {}\n";
	static const char dup[] = "version: 1\ntenants:\n  acme: {}\n";
	static const char bad[] = "version: 1\nmode: enforce\n";
	struct tg_diag d = {};
	struct tg_policy p;

	tg_policy_init(&p);
	assert_int_equal(tg_policy_parse(&p, "main.yaml", main_doc,
					 sizeof(main_doc) - 1, 1, &d),
			 0);
	assert_int_equal(
		tg_policy_parse(&p, "10-a.yaml", d1, sizeof(d1) - 1, 0, &d), 0);
	assert_int_equal(
		tg_policy_parse(&p, "20-b.yaml", d2, sizeof(d2) - 1, 0, &d), 0);
	assert_int_equal(tg_policy_finish(&p, &d),
			 0); /* forward reference ok */
	assert_int_equal(p.n_tenants, 3);
	assert_string_equal(p.tenants[1].name, "globex");
	assert_string_equal(p.tenants[2].name, "initech");
	assert_int_equal(p.mode, TG_MODE_AUDIT);
	assert_int_equal(
		tg_policy_parse(&p, "30-dup.yaml", dup, sizeof(dup) - 1, 0, &d),
		-EINVAL);
	assert_string_equal(
		d.msgs[0],
		"30-dup.yaml:3:3: tenant 'acme' is already defined at main.yaml:4:3");
	assert_int_equal(
		tg_policy_parse(&p, "40-bad.yaml", bad, sizeof(bad) - 1, 0, &d),
		-EINVAL);
	assert_string_equal(
		d.msgs[1],
		"40-bad.yaml:2:1: unknown key 'mode' in a drop-in (only version and tenants)");
	tg_diag_free(&d);
	tg_policy_free(&p);
}

static void test_hostile_inputs(void **state)
{
	struct tg_diag d = {};
	struct tg_policy p;
	size_t big = TG_POLICY_MAX_FILE + 1, i;
	char *buf = malloc(big + 1);

	memset(buf, 'a', big);
	assert_int_equal(check_doc(&p, "big.yaml", buf, big, &d), -EINVAL);
	assert_non_null(strstr(d.msgs[0], "big.yaml:1:1: file is too large"));
	tg_diag_free(&d);
	tg_policy_free(&p);
	/* Binary: NUL bytes and random control characters. */
	for (i = 0; i < 4096; i++)
		buf[i] = (char)(i * 131 + 7);
	assert_int_equal(check_doc(&p, "bin.yaml", buf, 4096, &d), -EINVAL);
	assert_non_null(strstr(d.msgs[0], "not a text file"));
	tg_diag_free(&d);
	tg_policy_free(&p);
	assert_int_equal(check_doc(&p, "bin2.yaml", "\x01\x02\xff\xfe", 4, &d),
			 -EINVAL);
	assert_int_equal(strncmp(d.msgs[0], "bin2.yaml:1:", 12), 0);
	tg_diag_free(&d);
	tg_policy_free(&p);
	free(buf);
}

static void test_error_cap(void **state)
{
	struct tg_diag d = {};
	struct tg_policy p;
	char *doc = malloc(1 << 20);
	size_t n = 0;
	int i;

	n += (size_t)sprintf(doc + n, "version: 1\ntenants:\n");
	for (i = 0; i < 500; i++)
		n += (size_t)sprintf(doc + n, "  t%d: {paths: [rel]}\n", i);
	assert_int_equal(check_doc(&p, "many.yaml", doc, n, &d), -EINVAL);
	assert_int_equal(d.n, TG_POLICY_MAX_ERRORS);
	assert_int_equal(d.dropped, 500 - TG_POLICY_MAX_ERRORS);
	tg_diag_free(&d);
	tg_policy_free(&p);
	free(doc);
}

/* As many tenants as there are tenant ids, and not one more. */
static void test_tenant_limit(void **state)
{
	char *doc = malloc(1 << 20), want[96];
	struct tg_diag d = {};
	struct tg_policy p;
	size_t n = 0;
	int i;

	assert_non_null(doc);
	n += (size_t)sprintf(doc + n, "version: 1\ntenants:\n");
	for (i = 0; i < TG_MAX_TENANTS - 1; i++)
		n += (size_t)sprintf(doc + n, "  t%d: {}\n", i);
	assert_int_equal(check_doc(&p, "full.yaml", doc, n, &d), 0);
	assert_int_equal(p.n_tenants, TG_MAX_TENANTS - 1);
	tg_policy_free(&p);
	tg_diag_free(&d);
	n += (size_t)sprintf(doc + n, "  over: {}\n");
	assert_int_equal(check_doc(&p, "over.yaml", doc, n, &d), -EINVAL);
	assert_int_equal(d.n, 1);
	snprintf(want, sizeof(want),
		 "over.yaml:%d:3: too many tenants (limit 16383)",
		 TG_MAX_TENANTS + 2);
	assert_string_equal(d.msgs[0], want);
	tg_diag_free(&d);
	tg_policy_free(&p);
	free(doc);
}

/*
 * approvers: base64 Ed25519 keys in the order written and need; a tenant
 * without them has none (need 0); a change of keys or need is a change.
 */
/* Valid but dangerous: warned about, each at its place; a policy without
 * any of it has no warning. */
static void test_dangerous_warned(void **state)
{
	static const char doc[] = "version: 1\n"
				  "tenants_cgroup: /\n"
				  "tenants:\n"
				  "  a: {cgroup: /x, paths: [/etc, /srv/a]}\n"
				  "  b:\n"
				  "    cgroup: /y\n"
				  "    ports: [udp:9, tcp:1-65535]\n";
	static const char *const want[] = {
		"w.yaml:2:17: tenants_cgroup / makes every top-level cgroup a "
		"tenant (system.slice, user.slice, init.scope...): the host's "
		"own services would be kept apart as tenants",
		"w.yaml:4:3: tenant 'a' owns /etc, which the host runs from: "
		"every other tenant loses it",
		"w.yaml:5:3: tenant 'b' has no paths: no file is kept from "
		"other tenants for it (its processes and sockets are)",
		"w.yaml:7:20: tenant 'b' reserves every TCP port: no other "
		"tenant can bind one",
	};
	static const char clean[] = "version: 1\n"
				    "tenants:\n"
				    "  a: {paths: [/srv/a, /etc/a], "
				    "ports: [tcp:80-90]}\n";
	struct tg_diag d = {};
	struct tg_policy p;
	unsigned int i;

	(void)state;
	assert_int_equal(check_doc(&p, "w.yaml", doc, sizeof(doc) - 1, &d), 0);
	assert_int_equal(d.n, 0);
	assert_int_equal(p.warnings.n, 4);
	for (i = 0; i < 4; i++)
		assert_string_equal(p.warnings.msgs[i], want[i]);
	tg_policy_free(&p);
	assert_int_equal(check_doc(&p, "c.yaml", clean, sizeof(clean) - 1, &d),
			 0);
	assert_int_equal(p.warnings.n, 0);
	tg_policy_free(&p);
	tg_diag_free(&d);
}

static void test_approvers(void **state)
{
	static const char doc[] =
		"version: 1\n"
		"tenants:\n"
		"  acme:\n"
		"    approvers:\n"
		"      keys: [11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=,\n"
		"             iojj3XQJ8ZX9UtstPLpdcspnCb8dlBIb83SIAbQPb1w=]\n"
		"      need: 2\n"
		"  globex:\n";
	static const unsigned char k0[4] = {0xd7, 0x5a, 0x98, 0x01},
				   k1[4] = {0x8a, 0x88, 0xe3, 0xdd};
	struct tg_diag d = {};
	struct tg_policy p, q;
	const struct tg_policy_tenant *t;
	char *cut, *other;

	assert_int_equal(check_doc(&p, "t.yaml", doc, sizeof(doc) - 1, &d), 0);
	t = tg_policy_find(&p, "acme");
	assert_int_equal(t->approvers.n_keys, 2);
	assert_int_equal(t->approvers.need, 2);
	assert_memory_equal(t->approvers.keys[0], k0, 4);
	assert_memory_equal(t->approvers.keys[1], k1, 4);
	assert_int_equal(tg_policy_find(&p, "globex")->approvers.need, 0);
	assert_int_equal(tg_policy_find(&p, "globex")->approvers.n_keys, 0);
	cut = strdup(doc);
	*strstr(cut, "need: 2") = '\0';
	assert_true(asprintf(&other, "%s%s", cut, "need: 1\n  globex:\n") > 0);
	free(cut);
	assert_int_equal(check_doc(&q, "u.yaml", other, strlen(other), &d), 0);
	assert_false(
		tg_policy_tenant_same(&p, t, &q, tg_policy_find(&q, "acme")));
	assert_true(tg_policy_tenant_same(&p, tg_policy_find(&p, "globex"), &q,
					  tg_policy_find(&q, "globex")));
	tg_policy_free(&p);
	tg_policy_free(&q);
	tg_diag_free(&d);
	free(other);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_tenant_limit),
		cmocka_unit_test(test_auditors_access),
		cmocka_unit_test(test_invalid_corpus),
		cmocka_unit_test(test_valid_corpus),
		cmocka_unit_test(test_defaults_and_values),
		cmocka_unit_test(test_event_limits),
		cmocka_unit_test(test_every_error_reported),
		cmocka_unit_test(test_port_and_net_overlaps),
		cmocka_unit_test(test_tenant_cgroups),
		cmocka_unit_test(test_dropin_merge_order),
		cmocka_unit_test(test_hostile_inputs),
		cmocka_unit_test(test_error_cap),
		cmocka_unit_test(test_roles),
		cmocka_unit_test(test_support),
		cmocka_unit_test(test_confirm),
		cmocka_unit_test(test_tenant_same),
		cmocka_unit_test(test_approvers),
		cmocka_unit_test(test_dangerous_warned),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
