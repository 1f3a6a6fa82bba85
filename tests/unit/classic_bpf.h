/* SPDX-License-Identifier: GPL-2.0 */
/*
 * For the seccomp unit tests: a classic-BPF interpreter, enough for
 * libseccomp's filters, that runs a compiled profile on struct
 * seccomp_data for each architecture without a kernel.
 */
#ifndef TG_TEST_CLASSIC_BPF_H
#define TG_TEST_CLASSIC_BPF_H

/* ---- a classic BPF interpreter, enough for libseccomp's filters ---- */

struct prog {
	struct sock_filter *insns;
	size_t n;
};

static inline struct prog export_prog(scmp_filter_ctx ctx)
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

static inline uint32_t run(const struct prog *p, const struct seccomp_data *d)
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

static inline uint32_t call(const struct prog *p, uint32_t arch, int nr,
			    uint64_t a0)
{
	struct seccomp_data d = {.nr = nr, .arch = arch, .args = {a0}};

	return run(p, &d);
}

static inline uint32_t call2(const struct prog *p, uint32_t arch, int nr,
			     uint64_t a0, uint64_t a1)
{
	struct seccomp_data d = {.nr = nr, .arch = arch, .args = {a0, a1}};

	return run(p, &d);
}

#define X86_64	 AUDIT_ARCH_X86_64
#define I386	 AUDIT_ARCH_I386
#define X32(nr)	 (0x40000000 | (nr))
#define ERRNO(e) (SECCOMP_RET_ERRNO | (e))
#define NS_FLAGS (CLONE_NEWNS | CLONE_NEWUSER | CLONE_NEWNET | CLONE_NEWPID)

static inline struct prog compile_builtin(const char *name, int notify,
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

#endif /* TG_TEST_CLASSIC_BPF_H */
