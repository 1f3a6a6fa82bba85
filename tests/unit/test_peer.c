// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests: /proc/PID/cgroup read strictly (files written here), a
 * process's cgroup pinned by a pidfd, a unix socket's peer.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#include "common/peer.h"
#include "common/procfs.h"

/* While set, the kernel "has no" SO_PEERPIDFD: pidfd_open is used. */
static int no_peerpidfd;

int __real_getsockopt(int fd, int level, int name, void *v, socklen_t *len);
int __wrap_getsockopt(int fd, int level, int name, void *v, socklen_t *len)
{
	if (no_peerpidfd && level == SOL_SOCKET && name == 77) {
		errno = ENOPROTOOPT; /* SO_PEERPIDFD before Linux 6.5 */
		return -1;
	}
	return __real_getsockopt(fd, level, name, v, len);
}

static char dir[64];
static char out[PATH_MAX];
static char why[TG_PEER_WHY_LEN];

static int setup(void **state)
{
	snprintf(dir, sizeof(dir), "/tmp/tg-peer.XXXXXX");
	return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state)
{
	char cmd[96];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	return system(cmd);
}

/* Write n bytes of text to a file of the test's, read it as a cgroup file. */
static int parse_n(const char *text, size_t n)
{
	char path[96];
	FILE *f;

	snprintf(path, sizeof(path), "%s/cgroup", dir);
	f = fopen(path, "w");
	assert_non_null(f);
	assert_int_equal(fwrite(text, 1, n, f), n);
	fclose(f);
	out[0] = why[0] = '\0';
	return tg_cgroup_file_read(path, out, sizeof(out), why, sizeof(why));
}

static int parse(const char *text)
{
	return parse_n(text, strlen(text));
}

/* A hybrid host: the v1 hierarchies first, the cgroup v2 line last. */
static void test_hybrid(void **state)
{
	assert_int_equal(parse("9:name=systemd:/\n"
			       "8:pids:/\n"
			       "4:memory:/process_api/b0cc4965\n"
			       "2:cpu,cpuacct:/\n"
			       "0::/tenants/acme\n"),
			 0);
	assert_string_equal(out, "/tenants/acme");
}

static void test_v2_only(void **state)
{
	assert_int_equal(parse("0::/\n"), 0);
	assert_string_equal(out, "/");
	assert_int_equal(parse("0::/tenants/acme/job 1\n"), 0);
	assert_string_equal(out, "/tenants/acme/job 1");
	/* A colon in a cgroup's name is part of its path. */
	assert_int_equal(parse("0::/t/a:b\n"), 0);
	assert_string_equal(out, "/t/a:b");
}

/* A name holding a newline must not make a second line believable. */
static void test_two_v2_lines(void **state)
{
	assert_int_equal(parse("0::/tenants/acme/x\n0::/\n"), -EBADMSG);
	assert_string_equal(why, "more than one cgroup v2 line (0::)");
	assert_int_equal(parse("1:name=systemd:/x\n0::/\n0::/tenants/acme\n"),
			 -EBADMSG);
	assert_string_equal(out, "");
}

/*
 * Hybrid hosts: the v1 lines come first, and a v1 path may hold "0::/" (a
 * name may hold ':' but no newline, which the kernel refuses): only the
 * line that is hierarchy 0 with no controllers counts, its path the rest.
 */
static void test_hybrid_v1_first(void **state)
{
	assert_int_equal(parse("9:name=systemd:/\n"
			       "8:pids:/tg-parse 0::/x 0::\n"
			       "4:memory:/0::/\n"
			       "1:cpu:/\n"
			       "0::/tenants/acme/job\n"),
			 0);
	assert_string_equal(out, "/tenants/acme/job");
	/* As a v1 name with a newline would read: two v2 lines, refused. */
	assert_int_equal(parse("8:pids:/x\n0::/\n"
			       "1:cpu:/\n"
			       "0::/tenants/acme\n"),
			 -EBADMSG);
	assert_string_equal(out, "");
	/* Hierarchy 0 with a controller list is no v2 line: malformed. */
	assert_int_equal(parse("0:pids:/\n0::/tenants/acme\n"), -EBADMSG);
	/* Nor "10::", "00::" or " 0::". */
	assert_int_equal(parse("10::/\n0::/tenants/acme\n"), 0);
	assert_string_equal(out, "/tenants/acme");
	assert_int_equal(parse("00::/\n0::/tenants/acme\n"), -EBADMSG);
	assert_int_equal(parse(" 0::/\n0::/tenants/acme\n"), -EBADMSG);
}

static void test_missing(void **state)
{
	assert_int_equal(parse("9:name=systemd:/\n2:cpu,cpuacct:/\n"),
			 -EBADMSG);
	assert_string_equal(why, "no cgroup v2 line (0::)");
	assert_int_equal(parse(""), -EBADMSG);
	assert_string_equal(why, "no cgroup v2 line (0::)");
	assert_int_equal(tg_cgroup_file_read("/nonexistent-tg/cgroup", out,
					     sizeof(out), why, sizeof(why)),
			 -ENOENT);
}

static void test_garbage(void **state)
{
	static const char *const bad[] = {
		"hello\n",
		"0::relative\n",     /* not absolute */
		"0::\n",	     /* no path */
		"0:cpu:/x\n",	     /* v2 has no controllers */
		"00::/\n",	     /* not how the kernel writes 0 */
		"x::/\n",	     /* id not a number */
		":cpu:/\n",	     /* no id */
		"12345678901::/\n",  /* id too long */
		"12:cpu\n0::/\n",    /* two fields */
		"0::/tenants/acme",  /* cut short: no newline */
		"0::/\n\n",	     /* an empty line */
		"\n0::/\n",	     /* an empty line first */
		"0::/t\n garbage\n", /* a line after it */
	};
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (parse(bad[i]) != -EBADMSG)
			fail_msg("accepted '%s'", bad[i]);
		assert_string_equal(out, "");
	}
	assert_int_equal(parse("0::/t\n"), 0);
	assert_int_equal(parse_n("0::/t\0/x\n", 9), -EBADMSG);
	assert_string_not_equal(why, "");
}

static void test_too_long(void **state)
{
	char small[8], *big;

	assert_int_equal(parse("0::/tenants/acme\n"), 0);
	assert_int_equal(tg_cgroup_file_parse("0::/tenants/acme\n", small,
					      sizeof(small), why, sizeof(why)),
			 -ENAMETOOLONG);
	big = malloc(TG_PROC_CGROUP_MAX + 16);
	assert_non_null(big);
	memset(big, 'a', TG_PROC_CGROUP_MAX + 16);
	memcpy(big, "0::/", 4);
	big[TG_PROC_CGROUP_MAX + 15] = '\n';
	assert_int_equal(parse_n(big, TG_PROC_CGROUP_MAX + 16), -EFBIG);
	free(big);
}

/* This process's own cgroup, as /proc/self/cgroup says. */
static void self_cgroup(char *buf, size_t len)
{
	assert_int_equal(tg_cgroup_file_read("/proc/self/cgroup", buf, len, why,
					     sizeof(why)),
			 0);
}

static void test_proc_self(void **state)
{
	char want[PATH_MAX], comm[TG_PEER_COMM_LEN];
	int pidfd = (int)syscall(SYS_pidfd_open, getpid(), 0);

	assert_true(pidfd >= 0);
	self_cgroup(want, sizeof(want));
	assert_int_equal(tg_proc_cgroup(getpid(), pidfd, out, sizeof(out), why,
					sizeof(why)),
			 0);
	assert_string_equal(out, want);
	close(pidfd);
	assert_int_equal(tg_proc_comm(getpid(), comm, sizeof(comm)), 0);
	assert_string_equal(comm, "test_peer");
}

/* A process that exited after its pidfd was taken is refused. */
static void test_proc_exited(void **state)
{
	pid_t pid = fork();
	siginfo_t si;
	int pidfd, st;

	assert_true(pid >= 0);
	if (pid == 0)
		_exit(0);
	/* Exited, a zombie until reaped: its pid is still its own. */
	assert_int_equal(waitid(P_PID, (id_t)pid, &si, WEXITED | WNOWAIT), 0);
	pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
	assert_true(pidfd >= 0);
	assert_int_equal(
		tg_proc_cgroup(pid, pidfd, out, sizeof(out), why, sizeof(why)),
		-ESRCH);
	assert_non_null(strstr(why, "has exited"));
	close(pidfd);
	assert_int_equal(waitpid(pid, &st, 0), pid);
}

/* A listening unix socket in the test's directory. */
static int listen_here(struct sockaddr_un *sa)
{
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	assert_true(fd >= 0);
	memset(sa, 0, sizeof(*sa));
	sa->sun_family = AF_UNIX;
	snprintf(sa->sun_path, sizeof(sa->sun_path), "%s/sock", dir);
	unlink(sa->sun_path);
	assert_int_equal(bind(fd, (struct sockaddr *)sa, sizeof(*sa)), 0);
	assert_int_equal(listen(fd, 4), 0);
	return fd;
}

static void test_peer_self(void **state)
{
	struct sockaddr_un sa;
	struct tg_peer p;
	char want[PATH_MAX];
	gid_t groups[TG_PEER_GROUPS_MAX];
	int l = listen_here(&sa), c, s, n, i;
	ssize_t k;

	c = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	assert_int_equal(connect(c, (struct sockaddr *)&sa, sizeof(sa)), 0);
	s = accept4(l, NULL, NULL, SOCK_CLOEXEC);
	assert_true(s >= 0);
	assert_int_equal(tg_peer_creds(s, &p), 0);
	assert_int_equal(p.pid, getpid());
	assert_int_equal(p.uid, getuid());
	assert_int_equal(p.gid, getgid());
	/* The supplementary groups, as the kernel lists them. */
	n = getgroups(TG_PEER_GROUPS_MAX, groups);
	assert_true(n >= 0);
	assert_int_equal(p.groups_err, 0);
	assert_int_equal(p.n_groups, n);
	for (i = 0; i < n; i++)
		assert_int_equal(p.groups[i], groups[i]);
	assert_int_equal(p.err, -ENODATA); /* not read yet */
	assert_int_equal(tg_peer_cgroup(s, &p), 0);
	self_cgroup(want, sizeof(want));
	assert_string_equal(p.cgroup, want);
	assert_string_equal(p.comm, "test_peer");
	k = readlink("/proc/self/exe", want, sizeof(want) - 1);
	assert_true(k > 0);
	want[k] = '\0';
	assert_string_equal(p.exe, want);
	close(s);
	close(c);
	close(l);
}

/* A peer that connected and is gone (its pid free for reuse) is unknown. */
static void test_peer_gone(void **state)
{
	struct sockaddr_un sa;
	struct tg_peer p;
	int l = listen_here(&sa), s, st;
	pid_t pid = fork();

	assert_true(pid >= 0);
	if (pid == 0) {
		int c = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

		_exit(connect(c, (struct sockaddr *)&sa, sizeof(sa)) ? 1 : 0);
	}
	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_int_equal(st, 0);
	s = accept4(l, NULL, NULL, SOCK_CLOEXEC);
	assert_true(s >= 0);
	assert_int_equal(tg_peer_creds(s, &p), 0);
	assert_true(tg_peer_cgroup(s, &p) < 0);
	assert_int_equal(p.err, tg_peer_cgroup(s, &p));
	assert_string_equal(p.cgroup, "");
	assert_string_equal(p.exe, "");
	assert_string_not_equal(p.why, "");
	close(s);
	close(l);
}

/*
 * Kernels without SO_PEERPIDFD (6.1): pidfd_open of the SO_PEERCRED pid.
 * Last: the module remembers that the kernel lacks it.
 */
static void test_peer_without_peerpidfd(void **state)
{
	no_peerpidfd = 1;
	test_peer_self(state);
	test_peer_gone(state);
	no_peerpidfd = 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_hybrid, setup, teardown),
		cmocka_unit_test_setup_teardown(test_v2_only, setup, teardown),
		cmocka_unit_test_setup_teardown(test_two_v2_lines, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_hybrid_v1_first, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_missing, setup, teardown),
		cmocka_unit_test_setup_teardown(test_garbage, setup, teardown),
		cmocka_unit_test_setup_teardown(test_too_long, setup, teardown),
		cmocka_unit_test(test_proc_self),
		cmocka_unit_test(test_proc_exited),
		cmocka_unit_test_setup_teardown(test_peer_self, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_peer_gone, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_peer_without_peerpidfd,
						setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
