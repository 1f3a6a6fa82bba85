// SPDX-License-Identifier: GPL-2.0
/*
 * Seccomp profiles: parsing (errors at file:line:column), and the compiled
 * filter run through a classic-BPF interpreter on struct seccomp_data, for
 * each architecture, without a kernel.
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

/* ---- a classic BPF interpreter, enough for libseccomp's filters ---- */

struct prog {
	struct sock_filter *insns;
	size_t n;
};

static struct prog export_prog(scmp_filter_ctx ctx)
{
	struct prog p = {};
	int fd = memfd_create("filter", MFD_CLOEXEC);
	off_t size;

	assert_true(fd >= 0);
	assert_int_equal(seccomp_export_bpf(ctx, fd), 0);
	size = lseek(fd, 0, SEEK_END);
	assert_true(size > 0 && size % sizeof(struct sock_filter) == 0);
	p.n = (size_t)size / sizeof(struct sock_filter);
	p.insns = malloc((size_t)size);
	assert_non_null(p.insns);
	assert_int_equal(pread(fd, p.insns, (size_t)size, 0), size);
	close(fd);
	return p;
}

/* Set when a filter run reads the arguments or the instruction pointer. */
static int read_args;

static uint32_t run(const struct prog *p, const struct seccomp_data *d)
{
	uint32_t a = 0, x = 0, mem[BPF_MEMWORDS] = {};
	size_t pc = 0;

	while (pc < p->n) {
		const struct sock_filter *f = &p->insns[pc++];
		uint32_t k = f->k, src = BPF_SRC(f->code) == BPF_X ? x : k;

		switch (BPF_CLASS(f->code)) {
		case BPF_LD:
			if (BPF_MODE(f->code) == BPF_ABS) {
				assert_true(k + 4 <= sizeof(*d) && k % 4 == 0);
				if (k >= offsetof(struct seccomp_data,
						  instruction_pointer))
					read_args = 1;
				memcpy(&a, (const char *)d + k, 4);
			} else if (BPF_MODE(f->code) == BPF_IMM) {
				a = k;
			} else if (BPF_MODE(f->code) == BPF_MEM) {
				a = mem[k];
			} else {
				fail_msg("ld mode %#x", f->code);
			}
			break;
		case BPF_LDX:
			x = BPF_MODE(f->code) == BPF_MEM ? mem[k] : k;
			break;
		case BPF_ST: mem[k] = a; break;
		case BPF_STX: mem[k] = x; break;
		case BPF_ALU:
			switch (BPF_OP(f->code)) {
			case BPF_AND: a &= src; break;
			case BPF_OR: a |= src; break;
			case BPF_ADD: a += src; break;
			case BPF_SUB: a -= src; break;
			case BPF_RSH: a >>= src; break;
			case BPF_LSH: a <<= src; break;
			case BPF_NEG: a = -a; break;
			default: fail_msg("alu op %#x", f->code);
			}
			break;
		case BPF_JMP:
			if (BPF_OP(f->code) == BPF_JA) {
				pc += k;
				break;
			}
			switch (BPF_OP(f->code)) {
			case BPF_JEQ: pc += a == src ? f->jt : f->jf; break;
			case BPF_JGT: pc += a > src ? f->jt : f->jf; break;
			case BPF_JGE: pc += a >= src ? f->jt : f->jf; break;
			case BPF_JSET: pc += (a & src) ? f->jt : f->jf; break;
			default: fail_msg("jmp op %#x", f->code);
			}
			break;
		case BPF_RET: return BPF_RVAL(f->code) == BPF_A ? a : k;
		case BPF_MISC:
			if (BPF_MISCOP(f->code) == BPF_TAX)
				x = a;
			else
				a = x;
			break;
		}
	}
	fail_msg("fell off the end of the filter");
	return 0;
}

static uint32_t call(const struct prog *p, uint32_t arch, int nr, uint64_t a0)
{
	struct seccomp_data d = {.nr = nr, .arch = arch, .args = {a0}};

	return run(p, &d);
}

static uint32_t call2(const struct prog *p, uint32_t arch, int nr, uint64_t a0,
		      uint64_t a1)
{
	struct seccomp_data d = {.nr = nr, .arch = arch, .args = {a0, a1}};

	return run(p, &d);
}

#define X86_64	 AUDIT_ARCH_X86_64
#define I386	 AUDIT_ARCH_I386
#define X32(nr)	 (0x40000000 | (nr))
#define ERRNO(e) (SECCOMP_RET_ERRNO | (e))
#define NS_FLAGS (CLONE_NEWNS | CLONE_NEWUSER | CLONE_NEWNET | CLONE_NEWPID)

static struct prog compile_builtin(const char *name, int notify,
				   struct tg_sc_profile *p)
{
	struct tg_diag d = {};
	scmp_filter_ctx ctx;
	struct prog prog;
	char err[256] = "";

	assert_int_equal(tg_sc_find(p, name, "/nonexistent", &d), 0);
	assert_int_equal(d.n, 0);
	ctx = tg_sc_compile(p, notify, err, sizeof(err));
	assert_non_null(ctx);
	prog = export_prog(ctx);
	seccomp_release(ctx);
	return prog;
}

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
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_find),
		cmocka_unit_test(test_conditions_and_oci),
		cmocka_unit_test(test_terminal_guard),
		cmocka_unit_test(test_terminal_guard_oci),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
