// SPDX-License-Identifier: GPL-2.0
/*
 * filter.c: a profile compiled for every ABI (x86_64, i386, x32) and run
 * through a classic-BPF interpreter without a kernel, and its OCI export.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <json-c/json.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/sched.h>
#include <linux/seccomp.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>
#include <cmocka.h>

#include "seccomp/profile.h"
#include "classic_bpf.h"

#define HDR "version: 1\ndefault_action: notify\n"

static void test_default_profile(void **state)
{
	struct tg_sc_profile p;
	struct prog f = compile_builtin("default", 1, &p);

	assert_string_equal(p.name, "default");
	/* Allowed, on every ABI. */
	assert_int_equal(call(&f, X86_64, 110 /* getppid */, 0),
			 SECCOMP_RET_ALLOW);
	assert_int_equal(call(&f, X86_64, 0 /* read */, 0), SECCOMP_RET_ALLOW);
	assert_int_equal(call(&f, I386, 20 /* getpid */, 0), SECCOMP_RET_ALLOW);
	assert_int_equal(call(&f, X86_64, X32(39) /* getpid */, 0),
			 SECCOMP_RET_ALLOW);
	assert_int_equal(
		call(&f, X86_64, 56 /* clone */, CLONE_VM | CLONE_THREAD),
		SECCOMP_RET_ALLOW);
	assert_int_equal(call(&f, X86_64, 135 /* personality */, 0xffffffff),
			 SECCOMP_RET_ALLOW);
	/* Refused through the listener, on every ABI. */
	assert_int_equal(call(&f, X86_64, 321 /* bpf */, 0),
			 SECCOMP_RET_USER_NOTIF);
	assert_int_equal(call(&f, I386, 357 /* bpf */, 0),
			 SECCOMP_RET_USER_NOTIF);
	assert_int_equal(call(&f, X86_64, X32(321), 0), SECCOMP_RET_USER_NOTIF);
	assert_int_equal(call(&f, X86_64, 56, CLONE_NEWUSER),
			 SECCOMP_RET_USER_NOTIF);
	assert_int_equal(call(&f, I386, 120 /* clone */, CLONE_NEWNET),
			 SECCOMP_RET_USER_NOTIF);
	assert_int_equal(call(&f, X86_64, 272 /* unshare */, CLONE_NEWUSER),
			 SECCOMP_RET_USER_NOTIF);
	assert_int_equal(call(&f, X86_64, 272, CLONE_FILES), SECCOMP_RET_ALLOW);
	assert_int_equal(
		call(&f, X86_64, 135, 0x0040000 /* ADDR_NO_RANDOMIZE */),
		SECCOMP_RET_USER_NOTIF);
	assert_int_equal(call(&f, X86_64, 101 /* ptrace */, 0),
			 SECCOMP_RET_USER_NOTIF);
	assert_int_equal(call(&f, X86_64, 425 /* io_uring_setup */, 0),
			 SECCOMP_RET_USER_NOTIF);
	assert_int_equal(call(&f, X86_64, 165 /* mount */, 0),
			 SECCOMP_RET_USER_NOTIF);
	assert_int_equal(call(&f, X86_64, 304 /* open_by_handle_at */, 0),
			 SECCOMP_RET_USER_NOTIF);
	/* Equality holds on all 64 bits: high garbage is not an allowed value.
	 */
	assert_int_equal(
		call(&f, X86_64, 135, ((uint64_t)1 << 40) | 0xffffffff),
		SECCOMP_RET_USER_NOTIF);
	/* clone3: ENOSYS, silently. */
	assert_int_equal(call(&f, X86_64, 435, 0), ERRNO(ENOSYS));
	/* A foreign architecture is killed. */
	assert_int_equal(call(&f, AUDIT_ARCH_AARCH64, 0, 0),
			 SECCOMP_RET_KILL_PROCESS);
	free(f.insns);
	tg_sc_profile_free(&p);
}

/*
 * The kernel caches "always allowed" per system call number only when the
 * filter reaches ALLOW without looking at the arguments: check that for
 * every unconditional allow of the built-in profiles, on every ABI.
 */
static void check_cacheable(const char *name)
{
	static const uint32_t arches[] = {SCMP_ARCH_X86_64, SCMP_ARCH_X86,
					  SCMP_ARCH_X32};
	struct tg_sc_profile p;
	struct prog f = compile_builtin(name, 1, &p);
	unsigned int i, k, checked = 0;

	for (i = 0; i < p.n_rules; i++) {
		const struct tg_sc_rule *r = &p.rules[i];

		if (r->action != TG_SC_ALLOW || r->n_args)
			continue;
		for (k = 0; k < 3; k++) {
			int nr = seccomp_syscall_resolve_name_arch(arches[k],
								   r->name);
			struct seccomp_data d = {
				.nr = nr,
				.arch = arches[k] == SCMP_ARCH_X32
						? AUDIT_ARCH_X86_64
						: arches[k],
				.args = {0x1111, 0x2222, 0x3333, 0x4444, 0x5555,
					 0x6666},
			};

			if (nr < 0)
				continue; /* not on this ABI */
			/* Multiplexed on x86: socketcall(2)/ipc(2) decide by
			 * a0. */
			if (arches[k] == SCMP_ARCH_X86 &&
			    (!strcmp(r->name, "socketcall") ||
			     !strcmp(r->name, "ipc")))
				continue;
			read_args = 0;
			if (run(&f, &d) != SECCOMP_RET_ALLOW || read_args)
				fail_msg(
					"%s: %s on arch %#x: not allowed without looking at arguments",
					name, r->name, arches[k]);
			checked++;
		}
	}
	assert_true(checked > 200);
	free(f.insns);
	tg_sc_profile_free(&p);
}

static void test_cacheable(void **state)
{
	check_cacheable("default");
	check_cacheable("strict");
}

static void test_without_listener(void **state)
{
	struct tg_sc_profile p;
	struct prog f = compile_builtin("default", 0, &p);

	assert_int_equal(call(&f, X86_64, 321, 0), ERRNO(EPERM));
	assert_int_equal(call(&f, X86_64, 110, 0), SECCOMP_RET_ALLOW);
	free(f.insns);
	tg_sc_profile_free(&p);
}

static void test_strict_profile(void **state)
{
	struct tg_sc_profile p;
	struct prog f = compile_builtin("strict", 1, &p);

	assert_int_equal(call(&f, X86_64, 41 /* socket */, AF_UNIX),
			 SECCOMP_RET_ALLOW);
	assert_int_equal(call(&f, X86_64, 41, AF_INET), SECCOMP_RET_USER_NOTIF);
	assert_int_equal(call(&f, X86_64, X32(41), AF_INET6),
			 SECCOMP_RET_USER_NOTIF);
	/*
	 * 32-bit x86 reaches socket through socketcall, whose real arguments
	 * are in memory: the family cannot be checked, so both are refused.
	 */
	assert_int_equal(
		call(&f, I386, 102 /* socketcall */, 1 /* SYS_SOCKET */),
		SECCOMP_RET_USER_NOTIF);
	assert_int_equal(call(&f, I386, 359 /* socket */, AF_UNIX),
			 SECCOMP_RET_USER_NOTIF);
	assert_int_equal(call(&f, I386, 102, 3 /* SYS_CONNECT */),
			 SECCOMP_RET_ALLOW);
	assert_int_equal(call(&f, X86_64, 105 /* setuid */, 0),
			 SECCOMP_RET_USER_NOTIF);
	assert_int_equal(call(&f, X86_64, 0, 0), SECCOMP_RET_ALLOW);
	free(f.insns);
	tg_sc_profile_free(&p);
}

static void test_conditions_and_oci(void **state)
{
	static const char doc[] = HDR
		"syscalls:\n"
		"  - names: [read, write]\n    action: allow\n"
		"  - names: [clone]\n    action: allow\n"
		"    args: [{index: 0, op: masked_eq, mask: CLONE_NEWUSER|0x10, value: 0}]\n"
		"  - names: [kill]\n    action: errno\n    errno: EACCES\n";
	struct json_object *o, *calls, *c, *args, *a, *v;
	struct tg_sc_profile p;
	struct tg_diag d = {};
	scmp_filter_ctx ctx;
	struct prog f;
	char err[256];

	assert_int_equal(tg_sc_parse(&p, "t.yaml", doc, strlen(doc), &d), 0);
	assert_int_equal(p.n_rules, 4);
	assert_int_equal(tg_sc_uses_notify(&p), 1);
	assert_int_equal(tg_sc_action_of(&p, "read"), TG_SC_ALLOW);
	assert_int_equal(tg_sc_action_of(&p, "clone"), -1);
	assert_int_equal(tg_sc_action_of(&p, "bpf"), TG_SC_NOTIFY);
	ctx = tg_sc_compile(&p, 1, err, sizeof(err));
	assert_non_null(ctx);
	f = export_prog(ctx);
	seccomp_release(ctx);
	assert_int_equal(call(&f, X86_64, 56, 0), SECCOMP_RET_ALLOW);
	assert_int_equal(call(&f, X86_64, 56, 0x10), SECCOMP_RET_USER_NOTIF);
	assert_int_equal(call(&f, X86_64, 62 /* kill */, 0), ERRNO(EACCES));
	free(f.insns);

	o = tg_sc_oci(&p);
	assert_true(json_object_object_get_ex(o, "defaultAction", &v));
	assert_string_equal(json_object_get_string(v), "SCMP_ACT_ERRNO");
	assert_true(json_object_object_get_ex(o, "defaultErrnoRet", &v));
	assert_int_equal(json_object_get_int(v), EPERM);
	assert_true(json_object_object_get_ex(o, "syscalls", &calls));
	assert_int_equal(json_object_array_length(calls), 3);
	/* Rules come sorted by name; same-action unconditional ones grouped. */
	c = json_object_array_get_idx(calls, 2); /* read and write */
	assert_true(json_object_object_get_ex(c, "names", &v));
	assert_int_equal(json_object_array_length(v), 2);
	c = json_object_array_get_idx(calls, 0); /* clone */
	assert_true(json_object_object_get_ex(c, "args", &args));
	a = json_object_array_get_idx(args, 0);
	assert_true(json_object_object_get_ex(a, "value", &v)); /* the mask */
	assert_int_equal(json_object_get_uint64(v), CLONE_NEWUSER | 0x10);
	assert_true(json_object_object_get_ex(a, "valueTwo", &v));
	assert_int_equal(json_object_get_uint64(v), 0);
	assert_true(json_object_object_get_ex(a, "op", &v));
	assert_string_equal(json_object_get_string(v), "SCMP_CMP_MASKED_EQ");
	c = json_object_array_get_idx(calls, 1); /* kill */
	assert_true(json_object_object_get_ex(c, "errnoRet", &v));
	assert_int_equal(json_object_get_int(v), EACCES);
	json_object_put(o);
	tg_sc_profile_free(&p);
}

/* The OCI export carries the guard: runc builds its filter from it. */
static void test_terminal_guard_oci(void **state)
{
	struct json_object *o, *calls, *c, *v, *a;
	struct tg_sc_profile p;
	unsigned int i, refused = 0, allowed = 0;
	struct tg_diag d = {};

	assert_int_equal(tg_sc_find(&p, "default", "/nonexistent", &d), 0);
	o = tg_sc_oci(&p);
	assert_true(json_object_object_get_ex(o, "syscalls", &calls));
	for (i = 0; i < json_object_array_length(calls); i++) {
		c = json_object_array_get_idx(calls, i);
		assert_true(json_object_object_get_ex(c, "names", &v));
		if (strcmp(json_object_get_string(
				   json_object_array_get_idx(v, 0)),
			   "ioctl"))
			continue;
		/* ioctl is never allowed whole. */
		assert_int_equal(json_object_array_length(v), 1);
		assert_true(json_object_object_get_ex(c, "args", &v));
		a = json_object_array_get_idx(v, 0);
		assert_true(json_object_object_get_ex(a, "op", &v));
		assert_string_equal(json_object_get_string(v),
				    "SCMP_CMP_MASKED_EQ");
		assert_true(json_object_object_get_ex(c, "action", &v));
		if (strcmp(json_object_get_string(v), "SCMP_ACT_ERRNO") == 0) {
			assert_true(json_object_object_get_ex(a, "value", &v));
			assert_int_equal(json_object_get_uint64(v),
					 0xffffffffu);
			assert_true(
				json_object_object_get_ex(a, "valueTwo", &v));
			assert_true(json_object_get_uint64(v) == TIOCSTI ||
				    json_object_get_uint64(v) == TIOCLINUX);
			refused++;
		} else {
			allowed++;
		}
	}
	assert_int_equal(refused, 2);
	assert_int_equal(allowed, 34);
	json_object_put(o);
	tg_sc_profile_free(&p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_default_profile),
		cmocka_unit_test(test_without_listener),
		cmocka_unit_test(test_cacheable),
		cmocka_unit_test(test_strict_profile),
		cmocka_unit_test(test_conditions_and_oci),
		cmocka_unit_test(test_terminal_guard_oci),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
