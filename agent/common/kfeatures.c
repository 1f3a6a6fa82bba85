// SPDX-License-Identifier: GPL-2.0
/* What the running kernel offers: see common/kfeatures.h. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/bpf.h>
#include <linux/seccomp.h>
#include <stdio.h>
#include <string.h>
#include <sys/fanotify.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>

#include "common/kfeatures.h"

int tg_kf_lsm_list(char *buf, size_t len)
{
	ssize_t n;
	int fd;

	fd = open("/sys/kernel/security/lsm", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = read(fd, buf, len - 1);
	close(fd);
	if (n < 0)
		return -errno;
	buf[n] = '\0';
	buf[strcspn(buf, "\n")] = '\0';
	return 0;
}

int tg_bpf_lsm_active(void)
{
	char buf[512], *tok, *save = NULL;
	int err = tg_kf_lsm_list(buf, sizeof(buf));

	if (err)
		return err;
	for (tok = strtok_r(buf, ",", &save); tok;
	     tok = strtok_r(NULL, ",", &save))
		if (strcmp(tok, "bpf") == 0)
			return 1;
	return 0;
}

/* A program that returns 0, of type with attach type at the kernel
 * function func (0 or -errno, why says what failed: "the kernel refused
 * " what ": " the error, when the kernel refused it). */
static int load_at(enum bpf_prog_type type, enum bpf_attach_type at,
		   const char *func, const char *what, char *why, size_t len)
{
	const struct bpf_insn insns[] = {
		{.code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_0},
		{.code = BPF_JMP | BPF_EXIT},
	};
	LIBBPF_OPTS(bpf_prog_load_opts, o, .expected_attach_type = at);
	struct btf *vmlinux = NULL;
	int id, fd, err;

	if (func) {
		vmlinux = btf__load_vmlinux_btf();
		if (!vmlinux) {
			err = -errno;
			snprintf(why, len, "cannot read the kernel's BTF: %s",
				 strerror(-err));
			return err;
		}
		id = btf__find_by_name_kind(vmlinux, func, BTF_KIND_FUNC);
		btf__free(vmlinux);
		if (id < 0) {
			snprintf(why, len, "the kernel's BTF has no %s", func);
			return id;
		}
		o.attach_btf_id = (__u32)id;
	}
	fd = bpf_prog_load(type, "tg_probe", "GPL", insns,
			   sizeof(insns) / sizeof(insns[0]), &o);
	if (fd < 0) {
		err = -errno;
		snprintf(why, len, "the kernel refused %s: %s", what,
			 strerror(-err));
		return err;
	}
	close(fd);
	return 0;
}

int tg_kf_lsm_prog(char *why, size_t len)
{
	return load_at(BPF_PROG_TYPE_LSM, BPF_LSM_MAC, "bpf_lsm_file_open",
		       "a BPF LSM program (on file_open)", why, len);
}

int tg_kf_fmod_ret(char *why, size_t len)
{
	return load_at(BPF_PROG_TYPE_TRACING, BPF_MODIFY_RETURN,
		       "security_socket_create",
		       "a BPF trampoline program on security_socket_create (fmod_ret)",
		       why, len);
}

int tg_kf_cgroup_prog(char *why, size_t len)
{
	/* connect4's return value must be 1 (allow): a 0 would refuse. */
	const struct bpf_insn insns[] = {
		{.code = BPF_ALU64 | BPF_MOV | BPF_K,
		 .dst_reg = BPF_REG_0,
		 .imm = 1},
		{.code = BPF_JMP | BPF_EXIT},
	};
	LIBBPF_OPTS(bpf_prog_load_opts, o,
		    .expected_attach_type = BPF_CGROUP_INET4_CONNECT);
	int fd = bpf_prog_load(BPF_PROG_TYPE_CGROUP_SOCK_ADDR, "tg_probe",
			       "GPL", insns, 2, &o),
	    err;

	if (fd < 0) {
		err = -errno;
		snprintf(why, len,
			 "the kernel refused a cgroup connect program: %s",
			 strerror(-err));
		return err;
	}
	close(fd);
	return 0;
}

int tg_kf_fanotify_perm(char *why, size_t len)
{
	int fd = fanotify_init(FAN_CLASS_CONTENT | FAN_CLOEXEC, O_RDONLY),
	    err;

	if (fd < 0) {
		err = -errno;
		snprintf(why, len,
			 "fanotify_init(FAN_CLASS_CONTENT): %s%s",
			 strerror(-err),
			 err == -EINVAL
				 ? " (a kernel without CONFIG_FANOTIFY_ACCESS_PERMISSIONS)"
				 : "");
		return err;
	}
	close(fd);
	return 0;
}

int tg_kf_seccomp_notify(char *why, size_t len)
{
	struct seccomp_notif_sizes sz;
	int err;

	if (syscall(SYS_seccomp, SECCOMP_GET_NOTIF_SIZES, 0, &sz) == 0)
		return 0;
	err = -errno;
	snprintf(why, len, "seccomp(SECCOMP_GET_NOTIF_SIZES): %s",
		 strerror(-err));
	return err;
}

int tg_kf_kernel_at_least(int major, int minor)
{
	struct utsname u;
	int ma = 0, mi = 0;

	if (uname(&u) || sscanf(u.release, "%d.%d", &ma, &mi) != 2)
		return 0;
	return ma > major || (ma == major && mi >= minor);
}
