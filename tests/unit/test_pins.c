// SPDX-License-Identifier: GPL-2.0
/*
 * agentd/pins.c on a real bpffs (root): a new pin directory, one found
 * again with its metadata, and the refusals: not a bpffs, another layout,
 * a map of another shape, an agent still serving it; --detach.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#include <bpf/bpf.h>

#include "agentd/pins.h"
#include "common/procfs.h"
#include "tenantguard/map_abi.h"

static char dir[128];

static int setup(void **state)
{
	struct tg_pins p;
	char why[512];

	snprintf(dir, sizeof(dir), "/sys/fs/bpf/tg-unit-pins-%d", getpid());
	/* Also mounts bpffs where nothing did; skipped without privilege. */
	if (geteuid() != 0 || tg_pins_open(&p, dir, why, sizeof(why)))
		return 0;
	tg_pins_close(&p);
	return 0;
}

static int teardown(void **state)
{
	struct tg_detach_stats st;
	char why[512];

	tg_pins_detach(dir, &st, why, sizeof(why));
	return 0;
}

static void need_bpffs(void)
{
	if (access(dir, F_OK))
		skip();
}

static void test_new_then_found(void **state)
{
	struct tg_pins p;
	char why[512], path[256];

	need_bpffs();
	assert_int_equal(tg_pins_open(&p, dir, why, sizeof(why)), 0);
	assert_int_equal(p.found, 1); /* setup made it */
	assert_int_equal(p.prev.layout, TG_LAYOUT_VERSION);
	p.meta->layout = TG_LAYOUT_VERSION;
	p.meta->stamp = 3;
	p.meta->heartbeat_real_ns = 42;
	tg_pins_close(&p);
	/* The meta map is shared: what was written is there next time. */
	assert_int_equal(tg_pins_open(&p, dir, why, sizeof(why)), 0);
	assert_int_equal(p.found, 1);
	assert_int_equal(p.prev.stamp, 3);
	assert_int_equal(p.prev.heartbeat_real_ns, 42);
	assert_true(p.am_fd[TG_AM_TENANT_IDS] >= 0);
	assert_int_equal(tg_pins_path(&p, "links", "net_x", path, sizeof(path)),
			 0);
	assert_string_equal(path + strlen(dir), "/links/net_x");
	tg_pins_close(&p);
}

static void test_refusals(void **state)
{
	struct tg_pins p;
	char why[512], path[256];
	pid_t child;
	int fd;

	need_bpffs();
	assert_int_equal(tg_pins_open(&p, "/tmp", why, sizeof(why)), -ENOTSUP);
	assert_non_null(strstr(why, "is not a bpffs"));
	assert_int_equal(tg_pins_open(&p, "relative", why, sizeof(why)),
			 -EINVAL);

	/* Another layout: refused, nothing touched. */
	assert_int_equal(tg_pins_open(&p, dir, why, sizeof(why)), 0);
	p.meta->layout = TG_LAYOUT_VERSION + 1;
	tg_pins_close(&p);
	assert_int_equal(tg_pins_open(&p, dir, why, sizeof(why)), -EPROTO);
	assert_non_null(strstr(why, "no migration"));

	/* An agent still running (a live process, its start time). */
	assert_int_equal(tg_pins_open(&p, dir, why, sizeof(why)), -EPROTO);
	fd = bpf_obj_get(strcat(strcpy(path, dir), "/meta"));
	assert_true(fd >= 0);
	child = fork();
	if (!child) {
		pause();
		_exit(0);
	}
	{
		struct tg_meta m = {.layout = TG_LAYOUT_VERSION,
				    .agent_pid = (__u32)child};
		__u32 zero = 0;

		unsigned long long t = 0;

		assert_int_equal(tg_proc_starttime(child, &t), 0);
		m.agent_starttime = t;
		assert_true(t > 0);
		assert_int_equal(bpf_map_update_elem(fd, &zero, &m, BPF_ANY),
				 0);
		assert_int_equal(tg_pins_open(&p, dir, why, sizeof(why)),
				 -EBUSY);
		assert_non_null(strstr(why, "is served by the agent"));
		/* The same pid with another start time is another process. */
		m.agent_starttime++;
		bpf_map_update_elem(fd, &zero, &m, BPF_ANY);
		assert_int_equal(tg_pins_open(&p, dir, why, sizeof(why)), 0);
		tg_pins_close(&p);
		/* Stopped cleanly: not served, whatever runs with its pid. */
		m.agent_starttime--;
		m.stopped = 1;
		bpf_map_update_elem(fd, &zero, &m, BPF_ANY);
		assert_int_equal(tg_pins_open(&p, dir, why, sizeof(why)), 0);
		tg_pins_close(&p);
	}
	kill(child, SIGKILL);
	waitpid(child, NULL, 0);
	close(fd);

	/* An agent map of another shape. */
	strcat(strcpy(path, dir), "/agent/reserved_ports");
	assert_int_equal(unlink(path), 0);
	fd = bpf_map_create(BPF_MAP_TYPE_ARRAY, NULL, 4, 8, 1, NULL);
	assert_int_equal(bpf_obj_pin(fd, path), 0);
	close(fd);
	assert_int_equal(tg_pins_open(&p, dir, why, sizeof(why)), -EPROTO);
	assert_non_null(strstr(why, "reserved_ports has another layout"));
}

static void test_detach(void **state)
{
	struct tg_detach_stats st;
	struct tg_pins p;
	char why[512];

	need_bpffs();
	assert_int_equal(tg_pins_open(&p, dir, why, sizeof(why)), 0);
	p.meta->stamp = 7;
	tg_pins_close(&p);
	assert_int_equal(tg_pins_detach(dir, &st, why, sizeof(why)), 0);
	assert_int_equal(st.found, 1);
	assert_int_equal(st.stamp, 7);
	assert_int_equal(st.agent_maps, TG_AM_COUNT);
	assert_int_equal(access(dir, F_OK), -1);
	/* Nothing pinned: nothing to do, not an error. */
	assert_int_equal(tg_pins_detach(dir, &st, why, sizeof(why)), 0);
	assert_int_equal(st.found, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_new_then_found, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_refusals, setup, teardown),
		cmocka_unit_test_setup_teardown(test_detach, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
