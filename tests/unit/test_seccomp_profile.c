// SPDX-License-Identifier: GPL-2.0
/*
 * profile.c: parsing a seccomp profile (errors at file:line:column), and the
 * terminal guard every profile gets, seen through the compiled filter.
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

/* parse_err(DOC, EXPECTED): the first error of DOC, as "t.yaml:L:C: msg". */
static void parse_err(const char *doc, const char *expected)
{
	struct tg_sc_profile p;
	struct tg_diag d = {};

	assert_int_not_equal(tg_sc_parse(&p, "t.yaml", doc, strlen(doc), &d),
			     0);
	assert_true(d.n >= 1);
	if (strcmp(d.msgs[0], expected))
		fail_msg("got '%s', expected '%s'", d.msgs[0], expected);
	tg_diag_free(&d);
	tg_sc_profile_free(&p);
}

#define HDR "version: 1\ndefault_action: notify\n"

static void test_errors(void **state)
{
	parse_err("", "t.yaml:1:1: the profile is empty");
	parse_err(
		"version: 1\n",
		"t.yaml:1:1: missing key 'default_action' (e.g. default_action: notify)");
	parse_err(
		HDR
		"syscalls:\n  - names: [read, frobnicate]\n    action: allow\n",
		"t.yaml:4:19: unknown system call 'frobnicate'");
	parse_err(
		HDR "syscalls:\n  - names: [read]\n    action: permit\n",
		"t.yaml:5:13: action 'permit' is not one of allow, errno, notify, log, kill");
	parse_err(
		HDR
		"syscalls:\n  - names: [read]\n    action: allow\n    errno: EPERM\n",
		"t.yaml:6:12: 'errno' is only for action errno");
	parse_err(
		HDR
		"syscalls:\n  - names: [read]\n    action: errno\n    errno: EWHAT\n",
		"t.yaml:6:12: errno 'EWHAT' is not an error name (EPERM) or a number 1..4095");
	parse_err(HDR "syscalls:\n  - names: [read]\n    action: allow\n"
		      "    args: [{index: 6, op: eq, value: 1}]\n",
		  "t.yaml:6:20: index '6' is not 0..5");
	parse_err(HDR "syscalls:\n  - names: [read]\n    action: allow\n"
		      "    args: [{index: 0, op: masked_eq, value: 1}]\n",
		  "t.yaml:6:12: op masked_eq needs a 'mask'");
	parse_err(
		HDR "syscalls:\n  - names: [read]\n    action: allow\n"
		    "    args: [{index: 0, op: eq, value: CLONE_NOPE}]\n",
		"t.yaml:6:38: value 'CLONE_NOPE' is not a number or known constants joined with |");
	parse_err(
		HDR "syscalls:\n  - names: [read]\n    action: allow\n"
		    "  - names: [write, read]\n    action: notify\n",
		"t.yaml:6:20: system call 'read' already has a rule at line 4 (an unconditional rule must be its only one)");
	parse_err(
		HDR "bad_arch: allow\n",
		"t.yaml:3:11: bad_arch must be kill or errno: a foreign architecture must not get through");
	parse_err(HDR "x: &a 1\n",
		  "t.yaml:3:4: YAML anchors are not allowed in a profile");
	parse_err("version: 2\ndefault_action: allow\n",
		  "t.yaml:1:10: unsupported profile version (only 1 is known)");
	parse_err(HDR "syscalls:\n  - action: allow\n",
		  "t.yaml:4:5: syscalls entry without 'names'");
}

static void test_find(void **state)
{
	struct tg_sc_profile p;
	struct tg_diag d = {};

	assert_int_equal(tg_sc_find(&p, "nosuch", "/nonexistent", &d), -ENOENT);
	assert_int_equal(d.n, 1);
	assert_non_null(strstr(d.msgs[0], "no seccomp profile 'nosuch'"));
	tg_diag_free(&d);
	assert_int_equal(tg_sc_find(&p, "Bad Name", "/nonexistent", &d),
			 -EINVAL);
	tg_diag_free(&d);
	tg_sc_profile_free(&p);
}

/* parse_ok(DOC, P): DOC parses without a message. */
static void parse_ok(const char *doc, struct tg_sc_profile *p)
{
	struct tg_diag d = {};

	assert_int_equal(tg_sc_parse(p, "t.yaml", doc, strlen(doc), &d), 0);
	assert_int_equal(d.n, 0);
}

static struct prog compile_profile(const struct tg_sc_profile *p, int notify)
{
	scmp_filter_ctx ctx;
	struct prog f;
	char err[256] = "";

	ctx = tg_sc_compile(p, notify, err, sizeof(err));
	if (!ctx)
		fail_msg("compile: %s", err);
	f = export_prog(ctx);
	seccomp_release(ctx);
	return f;
}

/*
 * TIOCSTI and TIOCLINUX are refused by every profile that would allow
 * them, on the low 32 bits of the request, on every ABI; every other
 * request keeps the profile's answer.
 */
static void test_terminal_guard(void **state)
{
	const uint64_t high = (uint64_t)0xdead << 32;
	int x32_ioctl =
		seccomp_syscall_resolve_name_arch(SCMP_ARCH_X32, "ioctl");
	struct tg_sc_profile p;
	struct prog f = compile_builtin("default", 1, &p);
	uint32_t req, i;

	assert_true(x32_ioctl > 0);
	assert_int_equal(call2(&f, X86_64, 16, 0, TIOCSTI),
			 SECCOMP_RET_USER_NOTIF);
	assert_int_equal(call2(&f, X86_64, 16, 0, high | TIOCSTI),
			 SECCOMP_RET_USER_NOTIF);
	assert_int_equal(call2(&f, X86_64, 16, 0, TIOCLINUX),
			 SECCOMP_RET_USER_NOTIF);
	assert_int_equal(call2(&f, X86_64, 16, 0, high | TIOCLINUX),
			 SECCOMP_RET_USER_NOTIF);
	assert_int_equal(call2(&f, I386, 54, 0, TIOCSTI),
			 SECCOMP_RET_USER_NOTIF);
	assert_int_equal(call2(&f, X86_64, x32_ioctl, 0, TIOCSTI),
			 SECCOMP_RET_USER_NOTIF);
	/* Everything else, the terminal's neighbours first. */
	for (req = 0; req < 0x10000; req++) {
		uint32_t want = req == TIOCSTI || req == TIOCLINUX
					? SECCOMP_RET_USER_NOTIF
					: SECCOMP_RET_ALLOW;

		if (call2(&f, X86_64, 16, 3, req) != want ||
		    call2(&f, X86_64, 16, 3, high | req) != want ||
		    call2(&f, I386, 54, 3, req) != want)
			fail_msg("ioctl request %#x: not as expected", req);
	}
	for (req = 0x10000, i = 0; i < 64; req = req * 3 + 1, i++)
		if (call2(&f, X86_64, 16, 1, req) != SECCOMP_RET_ALLOW)
			fail_msg("ioctl request %#x: not allowed", req);
	assert_int_equal(call2(&f, X86_64, 16, 1, 0xffffffffu),
			 SECCOMP_RET_ALLOW);
	assert_int_equal(call2(&f, I386, 54, 1, TCGETS), SECCOMP_RET_ALLOW);
	assert_int_equal(call2(&f, X86_64, x32_ioctl, 1, TIOCGWINSZ),
			 SECCOMP_RET_ALLOW);
	free(f.insns);
	tg_sc_profile_free(&p);

	/* Without a listener: EPERM, silently. */
	f = compile_builtin("strict", 0, &p);
	assert_int_equal(call2(&f, X86_64, 16, 0, TIOCSTI), ERRNO(EPERM));
	assert_int_equal(call2(&f, X86_64, 16, 0, TCGETS), SECCOMP_RET_ALLOW);
	free(f.insns);
	tg_sc_profile_free(&p);

	/* A profile that allows by default and never names ioctl. */
	parse_ok("version: 1\ndefault_action: allow\n", &p);
	assert_int_equal(p.n_rules, 2);
	f = compile_profile(&p, 1);
	assert_int_equal(call2(&f, X86_64, 16, 0, TIOCSTI), ERRNO(EPERM));
	assert_int_equal(call2(&f, X86_64, 16, 0, high | TIOCLINUX),
			 ERRNO(EPERM));
	assert_int_equal(call2(&f, X86_64, 16, 0, TCGETS), SECCOMP_RET_ALLOW);
	free(f.insns);
	tg_sc_profile_free(&p);

	/* A profile that refuses ioctl already keeps its own answer. */
	parse_ok(
		HDR
		"syscalls:\n  - names: [ioctl]\n    action: errno\n    errno: ENOTTY\n",
		&p);
	assert_int_equal(p.n_rules, 1);
	f = compile_profile(&p, 1);
	assert_int_equal(call2(&f, X86_64, 16, 0, TIOCSTI), ERRNO(ENOTTY));
	free(f.insns);
	tg_sc_profile_free(&p);

	/* ioctl by request, refusing: the others fall to the default. */
	parse_ok(
		"version: 1\ndefault_action: log\nsyscalls:\n  - names: [ioctl]\n"
		"    action: errno\n    errno: ENOTTY\n"
		"    args: [{index: 1, op: eq, value: 0x5401}]\n",
		&p);
	f = compile_profile(&p, 1);
	assert_int_equal(call2(&f, X86_64, 16, 0, TCGETS), ERRNO(ENOTTY));
	assert_int_equal(call2(&f, X86_64, 16, 0, TIOCSTI), ERRNO(EPERM));
	assert_int_equal(call2(&f, X86_64, 16, 0, TIOCGWINSZ), SECCOMP_RET_LOG);
	free(f.insns);
	tg_sc_profile_free(&p);

	/* Allowing ioctl by condition cannot be reconciled with the guard. */
	parse_err(
		HDR "syscalls:\n  - names: [ioctl]\n    action: allow\n"
		    "    args: [{index: 1, op: eq, value: 0x5401}]\n",
		"t.yaml:4:13: system call 'ioctl': conditional allow or log rules cannot be combined with the refusal of TIOCSTI and TIOCLINUX (allow ioctl unconditionally, or refuse requests by condition)");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_find),
		cmocka_unit_test(test_terminal_guard),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
