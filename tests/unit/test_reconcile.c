// SPDX-License-Identifier: GPL-2.0
/*
 * reconcile.c: a reload takes a good policy, and a rejected one (a parse
 * error, or a kernel that refuses the maps) never replaces the policy in
 * force; each outcome is one "reload" event with the reasons. The kernel
 * and the collector are mocked: tg_bpf_apply, the sink, cgroup ids.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <json-c/json.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "agentd/agent.h"
#include "agentd/sink.h"

/* ---- mocks ---- */

static int apply_fails; /* what tg_bpf_apply returns, 0: works */
static char *sent[64];	/* event texts given to the sink */
static unsigned int n_sent;

int __wrap_tg_bpf_apply(struct tg_bpf *b, const struct tg_registry *r,
			struct tg_apply_stats *st)
{
	memset(st, 0, sizeof(*st));
	if (apply_fails)
		return apply_fails;
	b->gen++;
	st->changes = (long)r->n;
	return 0;
}

int __wrap_tg_sink_submit(struct tg_sink *s, const char *json, size_t len)
{
	if (n_sent < sizeof(sent) / sizeof(sent[0]))
		sent[n_sent++] = strndup(json, len);
	return 0;
}

int __wrap_tg_sink_has_room(const struct tg_sink *s)
{
	return 1;
}

void __wrap_tg_sink_stats(const struct tg_sink *s, struct tg_sink_stats *st)
{
	memset(st, 0, sizeof(*st));
}

/* The tenants cgroup and its children are plain directories here. */
int __wrap_tg_cgroup_id(const char *path, __u64 *id)
{
	struct stat st;

	if (stat(path, &st))
		return -errno;
	*id = st.st_ino;
	return 0;
}

/* ---- the agent under test ---- */

static struct agent a;
static char dir[64], root[128], policy[192], ports[192], dropins[192];

static void write_policy(const char *text)
{
	FILE *f = fopen(policy, "w");

	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static void forget_events(void)
{
	while (n_sent)
		free(sent[--n_sent]);
}

/* The last "reload" event sent, or NULL. */
static const char *reload_event(void)
{
	unsigned int i;

	for (i = n_sent; i-- > 0;)
		if (strstr(sent[i], "\"op\":\"reload\""))
			return sent[i];
	return NULL;
}

#define POLICY_1 "version: 1\ntenants_cgroup: /tenants\ntenants:\n  acme: {}\n"
#define POLICY_2 POLICY_1 "  globex: {}\n"

static int setup(void **state)
{
	struct tg_diag d = {};
	char path[256];
	FILE *f;

	snprintf(dir, sizeof(dir), "/tmp/tg-reconcile.XXXXXX");
	assert_non_null(mkdtemp(dir));
	snprintf(root, sizeof(root), "%s/cgroup", dir);
	snprintf(path, sizeof(path), "%s/tenants", root);
	assert_int_equal(mkdir(root, 0755), 0);
	assert_int_equal(mkdir(path, 0755), 0);
	snprintf(policy, sizeof(policy), "%s/policy.yaml", dir);
	snprintf(ports, sizeof(ports), "%s/reserved_ports", dir);
	f = fopen(ports, "w");
	assert_non_null(f);
	fclose(f);
	write_policy(POLICY_1);

	memset(&a, 0, sizeof(a));
	agent_opts_init(&a.opt);
	a.opt.policy_file = policy;
	snprintf(dropins, sizeof(dropins), "%s/policy.d", dir);
	assert_int_equal(mkdir(dropins, 0755), 0);
	a.opt.policy_dir = dropins; /* empty */
	a.opt.policy_explicit = 1;
	snprintf(a.cgroup_root, sizeof(a.cgroup_root), "%s", root);
	snprintf(a.host, sizeof(a.host), "testhost");
	a.signal_fd = a.inotify_fd = a.control_fd = -1;
	tg_registry_init(&a.reg);
	tg_pending_init(&a.reported);
	tg_resports_init(&a.resports, ports);
	assert_int_equal(tg_delivery_init(&a.dlv, NULL, NULL), 0);
	a.fmt.reg = &a.reg;
	a.fmt.host = a.host;
	assert_int_equal(agent_load_policy(&a, &a.policy, &d), 0);
	assert_int_equal(agent_apply(&a), 0);
	assert_int_equal(a.bpf.gen, 1);
	forget_events();
	return 0;
}

static int teardown(void **state)
{
	char cmd[128];

	forget_events();
	tg_registry_free(&a.reg);
	tg_pending_free(&a.reported);
	tg_policy_free(&a.policy);
	tg_delivery_free(&a.dlv);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	assert_int_equal(system(cmd), 0);
	apply_fails = 0;
	return 0;
}

static int in_force(const char *name)
{
	const struct tg_tenant_entry *e = tg_registry_find_const(&a.reg, name);

	return e && tg_tenant_in_force(e);
}

static void test_reload_takes_good_policy(void **state)
{
	const char *ev;

	write_policy(POLICY_2);
	assert_int_equal(agent_reload(&a, NULL, NULL), 0);
	assert_int_equal(a.policy.n_tenants, 2);
	assert_true(in_force("globex"));
	assert_int_equal(a.bpf.gen, 2);
	assert_int_equal(a.reloads_ok, 1);
	assert_int_equal(a.reloads_failed, 0);
	ev = reload_event();
	assert_non_null(ev);
	assert_non_null(strstr(ev, "\"verdict\":\"allow\""));
	assert_non_null(strstr(ev, "\"generation\":2"));
}

static void test_reload_keeps_policy_on_parse_error(void **state)
{
	struct json_object *errs = json_object_new_array();
	const char *ev;

	write_policy("version: 1\ntenants:\n  acme: {paths: nope}\n");
	assert_int_equal(agent_reload(&a, errs, NULL), -EINVAL);
	assert_int_equal(a.policy.n_tenants, 1);
	assert_true(in_force("acme"));
	assert_int_equal(a.bpf.gen, 1);
	assert_int_equal(a.reloads_failed, 1);
	assert_true(json_object_array_length(errs) >= 1);
	assert_non_null(strstr(
		json_object_get_string(json_object_array_get_idx(errs, 0)),
		"policy.yaml:3:"));
	ev = reload_event();
	assert_non_null(ev);
	assert_non_null(strstr(ev, "\"verdict\":\"deny\""));
	assert_non_null(strstr(ev, "policy.yaml:3:"));
	json_object_put(errs);
}

/* The maps refused the new policy: the old one is back everywhere. */
static void test_reload_rolls_back_when_apply_fails(void **state)
{
	struct json_object *errs = json_object_new_array(), *ch;
	const char *ev;

	write_policy(POLICY_2);
	apply_fails = -ENOSPC;
	assert_int_equal(agent_reload(&a, errs, NULL), -ENOSPC);
	assert_int_equal(a.policy.n_tenants, 1);
	assert_true(in_force("acme"));
	assert_false(in_force("globex"));
	assert_int_equal(a.bpf.gen, 1);
	assert_int_equal(a.reloads_failed, 1);
	assert_string_equal(
		json_object_get_string(json_object_array_get_idx(errs, 0)),
		"policy: cannot apply: No space left on device");
	ev = reload_event();
	assert_non_null(ev);
	assert_non_null(strstr(ev, "\"verdict\":\"deny\""));
	assert_non_null(strstr(ev, "No space left on device"));
	json_object_put(errs);

	/* The same policy goes through once the kernel takes it; the
	 * change summary names what it added. */
	apply_fails = 0;
	ch = json_object_new_object();
	assert_int_equal(agent_reload(&a, NULL, ch), 0);
	assert_true(in_force("globex"));
	assert_int_equal(a.bpf.gen, 2);
	/* (Its warnings: these tenants have no paths.) */
	json_object_object_del(ch, "warnings");
	assert_string_equal(
		json_object_to_json_string_ext(ch, JSON_C_TO_STRING_PLAIN),
		"{\"tenants_added\":[\"globex\"],"
		"\"tenants_removed\":[],\"tenants_changed\":[]}");
	json_object_put(ch);
	ev = reload_event();
	assert_non_null(strstr(ev, "\"tenants_added\":[\"globex\"]"));
}

static void test_reload_names_conflict(void **state)
{
	struct json_object *errs = json_object_new_array();

	write_policy(POLICY_2);
	apply_fails = -EEXIST;
	assert_int_equal(agent_reload(&a, errs, NULL), -EEXIST);
	assert_int_equal(a.policy.n_tenants, 1);
	assert_string_equal(
		json_object_get_string(json_object_array_get_idx(errs, 0)),
		"policy: cannot apply: two tenants resolve to the same cgroup or directory");
	json_object_put(errs);
}

/* A tenant cgroup that appears is registered by the next rescan. */
static void test_rescan_registers_new_cgroup(void **state)
{
	char path[256];

	snprintf(path, sizeof(path), "%s/tenants/initech", root);
	assert_int_equal(mkdir(path, 0755), 0);
	a.builtin = 1; /* zero-config: directories below are tenants */
	assert_int_equal(agent_rescan(&a), 0);
	assert_true(in_force("initech"));
	assert_int_equal(a.rescan_err, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_reload_takes_good_policy,
						setup, teardown),
		cmocka_unit_test_setup_teardown(
			test_reload_keeps_policy_on_parse_error, setup,
			teardown),
		cmocka_unit_test_setup_teardown(
			test_reload_rolls_back_when_apply_fails, setup,
			teardown),
		cmocka_unit_test_setup_teardown(test_reload_names_conflict,
						setup, teardown),
		cmocka_unit_test_setup_teardown(
			test_rescan_registers_new_cgroup, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
