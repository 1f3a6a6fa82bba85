// SPDX-License-Identifier: GPL-2.0
/*
 * tg-probe: the test suites' hands. Performs one system call from a chosen
 * cgroup and checks its outcome, or waits for events in the collector's log.
 *
 *   tg-probe [--cgroup DIR] [--expect ok|ERRNO] open PATH [r|w|dir]
 *   tg-probe [--cgroup DIR] [--expect ok|ERRNO] [--bind SRC] connect tcp|udp ADDR PORT
 *   tg-probe [--cgroup DIR] [--expect ok|ERRNO] bind tcp|udp ADDR PORT [reuseport]
 *   tg-probe [--cgroup DIR] [--expect ok|ERRNO] [--move-to DIR] sendto udp ADDR PORT
 *            (--move-to: join DIR after creating the socket, before using it)
 *   tg-probe [--cgroup DIR] listen tcp|udp ADDR PORT [READY_FILE]
 *   tg-probe [--cgroup DIR] connect-loop tcp|udp ADDR PORT STOP_FILE
 *            (connects until STOP_FILE exists; prints the outcome counts)
 *   tg-probe wait-event LOG [--timeout SEC] [--count N] KEY=VALUE...
 *   tg-probe count-events LOG KEY=VALUE...
 *   tg-probe [--expect ok|ERRNO] syscall NAME
 *            (NAME with harmless arguments: bpf, mount, ptrace, ...; also
 *            i386-bpf and x32-bpf, the same call through the compat ABIs)
 *   tg-probe getppid-loop N   (prints nanoseconds per call)
 *
 * Exit 0 when the outcome matches --expect (or the call succeeded without
 * --expect), 1 otherwise, 2 on a usage error.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/sched.h>
#include <sched.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/ptrace.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static const char *expect;
static const char *bind_src;	/* connect: bind to this address first */
static const char *move_to;	/* connect, sendto: join this cgroup after socket() */

static int usage(void)
{
	fprintf(stderr, "tg-probe: bad usage; see the comment at the top of tests/tg-probe.c\n");
	return 2;
}

static int join_cgroup(const char *dir)
{
	char path[4096];
	int fd, n;

	snprintf(path, sizeof(path), "%s/cgroup.procs", dir);
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = (int)write(fd, "0\n", 2);
	close(fd);
	return n == 2 ? 0 : -errno;
}

/* Report the outcome of an operation; err is 0 or an errno. */
static int outcome(const char *what, int err)
{
	const char *got = err ? strerrorname_np(err) : "ok";

	if (!got)
		got = "unknown-errno";
	printf("%s: %s\n", what, got);
	if (!expect)
		return err ? 1 : 0;
	if (strcmp(expect, got) == 0)
		return 0;
	printf("FAIL: %s: expected %s, got %s\n", what, expect, got);
	return 1;
}

static int do_open(int argc, char **argv)
{
	int flags = O_RDONLY | O_CLOEXEC, fd;
	char what[4200];

	if (argc < 1)
		return usage();
	if (argc > 1 && strcmp(argv[1], "w") == 0)
		flags = O_WRONLY | O_CLOEXEC;
	else if (argc > 1 && strcmp(argv[1], "dir") == 0)
		flags |= O_DIRECTORY;
	snprintf(what, sizeof(what), "open %s", argv[0]);
	fd = open(argv[0], flags);
	if (fd < 0)
		return outcome(what, errno);
	close(fd);
	return outcome(what, 0);
}

/* Fill ss from a numeric IPv4 or IPv6 address and a port. */
static int make_addr(const char *addr, const char *port,
		     struct sockaddr_storage *ss, socklen_t *len)
{
	struct sockaddr_in *s4 = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;
	int p = atoi(port);

	memset(ss, 0, sizeof(*ss));
	if (inet_pton(AF_INET, addr, &s4->sin_addr) == 1) {
		s4->sin_family = AF_INET;
		s4->sin_port = htons((unsigned short)p);
		*len = sizeof(*s4);
		return 0;
	}
	if (inet_pton(AF_INET6, addr, &s6->sin6_addr) == 1) {
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons((unsigned short)p);
		*len = sizeof(*s6);
		return 0;
	}
	return -EINVAL;
}

static int sock_type(const char *proto)
{
	if (strcmp(proto, "tcp") == 0)
		return SOCK_STREAM;
	if (strcmp(proto, "udp") == 0)
		return SOCK_DGRAM;
	return -1;
}

static int do_connect(int argc, char **argv)
{
	struct sockaddr_storage ss;
	char what[256];
	socklen_t len;
	int fd, type, err = 0;

	if (argc < 3 || (type = sock_type(argv[0])) < 0 ||
	    make_addr(argv[1], argv[2], &ss, &len))
		return usage();
	snprintf(what, sizeof(what), "connect %s %s %s", argv[0], argv[1],
		 argv[2]);
	fd = socket(ss.ss_family, type | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return outcome(what, errno);
	if (bind_src) {
		struct sockaddr_storage src;
		socklen_t slen;

		if (make_addr(bind_src, "0", &src, &slen) ||
		    bind(fd, (struct sockaddr *)&src, slen) < 0) {
			perror("tg-probe: bind");
			close(fd);
			return 2;
		}
	}
	if (move_to && join_cgroup(move_to)) {
		perror("tg-probe: move");
		return 2;
	}
	if (connect(fd, (struct sockaddr *)&ss, len) < 0)
		err = errno;
	close(fd);
	return outcome(what, err);
}

/* bind tcp|udp ADDR PORT [reuseport]: bind (and listen for tcp), report. */
static int do_bind(int argc, char **argv)
{
	struct sockaddr_storage ss;
	char what[256];
	socklen_t len;
	int fd, type, one = 1, err = 0;

	if (argc < 3 || (type = sock_type(argv[0])) < 0 ||
	    make_addr(argv[1], argv[2], &ss, &len))
		return usage();
	snprintf(what, sizeof(what), "bind %s %s %s", argv[0], argv[1], argv[2]);
	fd = socket(ss.ss_family, type | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return outcome(what, errno);
	if (argc > 3 && strcmp(argv[3], "reuseport") == 0)
		setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one));
	if (ss.ss_family == AF_INET6)
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&ss, len) < 0)
		err = errno;
	close(fd);
	return outcome(what, err);
}

/* sendto udp ADDR PORT: one datagram without connecting. */
static int do_sendto(int argc, char **argv)
{
	struct sockaddr_storage ss;
	char what[256];
	socklen_t len;
	int fd, err = 0;

	if (argc < 3 || sock_type(argv[0]) != SOCK_DGRAM ||
	    make_addr(argv[1], argv[2], &ss, &len))
		return usage();
	snprintf(what, sizeof(what), "sendto %s %s %s", argv[0], argv[1], argv[2]);
	fd = socket(ss.ss_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return outcome(what, errno);
	if (move_to && join_cgroup(move_to)) {
		perror("tg-probe: move");
		return 2;
	}
	if (sendto(fd, "x", 1, 0, (struct sockaddr *)&ss, len) < 0)
		err = errno;
	close(fd);
	return outcome(what, err);
}

static int do_connect_loop(int argc, char **argv)
{
	unsigned long attempts = 0, eperm = 0, ok = 0, other = 0;
	struct sockaddr_storage ss;
	socklen_t len;
	int fd, type;

	if (argc < 4 || (type = sock_type(argv[0])) < 0 ||
	    make_addr(argv[1], argv[2], &ss, &len))
		return usage();
	while (access(argv[3], F_OK) != 0) {
		fd = socket(ss.ss_family, type | SOCK_CLOEXEC, 0);
		if (fd < 0)
			return 1;
		attempts++;
		if (connect(fd, (struct sockaddr *)&ss, len) == 0)
			ok++;
		else if (errno == EPERM)
			eperm++;
		else
			other++;
		close(fd);
	}
	printf("attempts=%lu eperm=%lu ok=%lu other=%lu\n", attempts, eperm, ok,
	       other);
	return 0;
}

static int do_listen(int argc, char **argv)
{
	struct sockaddr_storage ss;
	socklen_t len;
	int fd, type, one = 1, c;

	if (argc < 3 || (type = sock_type(argv[0])) < 0 ||
	    make_addr(argv[1], argv[2], &ss, &len))
		return usage();
	fd = socket(ss.ss_family, type | SOCK_CLOEXEC, 0);
	if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one,
				 sizeof(one)) < 0 ||
	    bind(fd, (struct sockaddr *)&ss, len) < 0 ||
	    (type == SOCK_STREAM && listen(fd, 64) < 0)) {
		perror("tg-probe: listen");
		return 1;
	}
	if (argc > 3) {
		FILE *f = fopen(argv[3], "we");

		if (!f)
			return 1;
		fclose(f);
	}
	for (;;) {
		if (type == SOCK_STREAM) {
			c = accept4(fd, NULL, NULL, SOCK_CLOEXEC);
			if (c >= 0)
				close(c);
		} else {
			char buf[512];

			if (recv(fd, buf, sizeof(buf), 0) < 0)
				pause();
		}
	}
}

/*
 * Whether the JSON line has every KEY=VALUE: strings compared as they are,
 * other values as their compact JSON text (numbers, ["a"], true).
 */
static int line_matches(const char *line, int n, char **kv)
{
	struct json_object *o = json_tokener_parse(line), *v;
	int i, ok = o != NULL;

	for (i = 0; ok && i < n; i++) {
		const char *eq = strchr(kv[i], '=');
		char key[128];

		if (!eq || (size_t)(eq - kv[i]) >= sizeof(key)) {
			ok = 0;
			break;
		}
		snprintf(key, sizeof(key), "%.*s", (int)(eq - kv[i]), kv[i]);
		if (!json_object_object_get_ex(o, key, &v))
			ok = 0;
		else if (json_object_is_type(v, json_type_string))
			ok = strcmp(json_object_get_string(v), eq + 1) == 0;
		else
			ok = strcmp(json_object_to_json_string_ext(
					    v, JSON_C_TO_STRING_PLAIN),
				    eq + 1) == 0;
	}
	json_object_put(o);
	return ok;
}

static int count_matches(const char *log, int n, char **kv, int print)
{
	char *line = NULL;
	size_t cap = 0;
	int count = 0;
	FILE *f;

	f = fopen(log, "re");
	if (!f)
		return 0;
	while (getline(&line, &cap, f) > 0) {
		if (line_matches(line, n, kv)) {
			count++;
			if (print)
				fputs(line, stdout);
		}
	}
	free(line);
	fclose(f);
	return count;
}

static int do_wait_event(int argc, char **argv)
{
	double timeout = 10;
	int want = 1, i = 1, got = 0;
	struct timespec start, now;

	if (argc < 1)
		return usage();
	for (; i + 1 < argc && argv[i][0] == '-'; i += 2) {
		if (strcmp(argv[i], "--timeout") == 0)
			timeout = atof(argv[i + 1]);
		else if (strcmp(argv[i], "--count") == 0)
			want = atoi(argv[i + 1]);
		else
			return usage();
	}
	clock_gettime(CLOCK_MONOTONIC, &start);
	for (;;) {
		got = count_matches(argv[0], argc - i, argv + i, 0);
		clock_gettime(CLOCK_MONOTONIC, &now);
		if (got >= want ||
		    (double)(now.tv_sec - start.tv_sec) +
				    (double)(now.tv_nsec - start.tv_nsec) / 1e9 >
			    timeout)
			break;
		usleep(50 * 1000);
	}
	if (got >= want) {
		count_matches(argv[0], argc - i, argv + i, 1);
		return 0;
	}
	printf("FAIL: %d of %d matching event(s) in %s after %.0fs\n", got,
	       want, argv[0], timeout);
	return 1;
}


/* A raw clone with flags; the child, if any, exits at once. */
static long clone_flags(unsigned long flags)
{
	long pid = syscall(SYS_clone, flags | SIGCHLD, NULL, NULL, NULL, 0);

	if (pid == 0)
		_exit(0);
	if (pid > 0)
		waitpid((pid_t)pid, NULL, 0);
	return pid;
}

#ifdef __x86_64__
/* A call through the 32-bit x86 ABI (int $0x80) from this 64-bit process. */
static long int80(long nr, long a, long b, long c)
{
	long ret;

	__asm__ volatile("int $0x80"
			 : "=a"(ret)
			 : "a"(nr), "b"(a), "c"(b), "d"(c)
			 : "memory");
	if (ret < 0 && ret > -4096) {
		errno = (int)-ret;
		return -1;
	}
	return ret;
}
#endif

static int do_syscall(int argc, char **argv)
{
	char buf[16];
	struct iovec local = { buf, sizeof(buf) }, remote = { buf, sizeof(buf) };
	const char *n;
	long r;

	if (argc < 1)
		return usage();
	n = argv[0];
	errno = 0;
	if (!strcmp(n, "bpf"))
		r = syscall(SYS_bpf, 0, NULL, 0);
	else if (!strcmp(n, "perf_event_open"))
		r = syscall(SYS_perf_event_open, NULL, 0, -1, -1, 0);
	else if (!strcmp(n, "init_module"))
		r = syscall(SYS_init_module, NULL, 0, "");
	else if (!strcmp(n, "finit_module"))
		r = syscall(SYS_finit_module, -1, "", 0);
	else if (!strcmp(n, "delete_module"))
		r = syscall(SYS_delete_module, "tg_no_such_module", 0);
	else if (!strcmp(n, "kexec_load"))
		r = syscall(SYS_kexec_load, 0, 0, NULL, 0xdead0000);
	else if (!strcmp(n, "kexec_file_load"))
		r = syscall(SYS_kexec_file_load, -1, -1, 0, "", 0xdead0000);
	else if (!strcmp(n, "mount"))
		r = mount("none", "/tg-no-such-dir", "tmpfs", 0, NULL);
	else if (!strcmp(n, "umount2"))
		r = umount2("/tg-no-such-dir", 0);
	else if (!strcmp(n, "pivot_root"))
		r = syscall(SYS_pivot_root, "/tg-no-such-dir", "/tg-no-such-dir");
	else if (!strcmp(n, "fsopen"))
		r = syscall(SYS_fsopen, "tg-no-such-fs", 0);
	else if (!strcmp(n, "open_tree"))
		r = syscall(SYS_open_tree, -1, "/tg-no-such-dir", 0);
	else if (!strcmp(n, "unshare"))
		r = unshare(CLONE_NEWUSER);
	else if (!strcmp(n, "unshare-net"))
		r = unshare(CLONE_NEWNET);
	else if (!strcmp(n, "clone"))
		r = clone_flags(CLONE_NEWUSER);
	else if (!strcmp(n, "clone-ns"))
		r = clone_flags(CLONE_NEWNS);
	else if (!strcmp(n, "clone-plain"))
		r = clone_flags(0);
	else if (!strcmp(n, "clone3")) {
		struct clone_args ca = { .exit_signal = SIGCHLD };

		r = syscall(SYS_clone3, &ca, sizeof(ca));
		if (r == 0)
			_exit(0);
		if (r > 0)
			waitpid((pid_t)r, NULL, 0);
	}
	else if (!strcmp(n, "setns"))
		r = setns(-1, 0);
	else if (!strcmp(n, "ptrace"))
		r = ptrace(PTRACE_PEEKDATA, getppid(), NULL, NULL);
	else if (!strcmp(n, "process_vm_readv"))
		r = process_vm_readv(getppid(), &local, 1, &remote, 1, 0);
	else if (!strcmp(n, "process_vm_writev"))
		r = process_vm_writev(getppid(), &local, 1, &remote, 1, 0);
	else if (!strcmp(n, "add_key"))
		r = syscall(SYS_add_key, "user", "tg", "x", 1, -2);
	else if (!strcmp(n, "request_key"))
		r = syscall(SYS_request_key, "user", "tg-no-such-key", NULL, 0);
	else if (!strcmp(n, "keyctl"))
		r = syscall(SYS_keyctl, 0 /* KEYCTL_GET_KEYRING_ID */, -2, 0);
	else if (!strcmp(n, "io_uring_setup"))
		r = syscall(SYS_io_uring_setup, 0, NULL);
	else if (!strcmp(n, "io_uring_enter"))
		r = syscall(SYS_io_uring_enter, -1, 0, 0, 0, NULL, 0);
	else if (!strcmp(n, "io_uring_register"))
		r = syscall(SYS_io_uring_register, -1, 0, NULL, 0);
	else if (!strcmp(n, "open_by_handle_at"))
		r = syscall(SYS_open_by_handle_at, -1, NULL, 0);
	else if (!strcmp(n, "userfaultfd"))
		r = syscall(SYS_userfaultfd, 0);
	else if (!strcmp(n, "pidfd_getfd"))
		r = syscall(SYS_pidfd_getfd, -1, 0, 0);
	else if (!strcmp(n, "chroot"))
		r = chroot("/tg-no-such-dir");
	else if (!strcmp(n, "getppid"))
		r = getppid();
#ifdef __x86_64__
	else if (!strcmp(n, "i386-getpid"))
		r = int80(20, 0, 0, 0);
	else if (!strcmp(n, "i386-bpf"))
		r = int80(357, 0, 0, 0);
	else if (!strcmp(n, "x32-bpf"))
		r = syscall(0x40000000 | 321, 0, NULL, 0);
#endif
	else
		return usage();
	return outcome(n, r < 0 ? errno : 0);
}

/* getppid N times; prints the mean nanoseconds per call. */
static int do_getppid_loop(int argc, char **argv)
{
	struct timespec a, b;
	long i, n;

	if (argc < 1 || (n = atol(argv[0])) <= 0)
		return usage();
	clock_gettime(CLOCK_MONOTONIC, &a);
	for (i = 0; i < n; i++)
		syscall(SYS_getppid);
	clock_gettime(CLOCK_MONOTONIC, &b);
	printf("%.2f\n", ((b.tv_sec - a.tv_sec) * 1e9 + (b.tv_nsec - a.tv_nsec)) / n);
	return 0;
}

int main(int argc, char **argv)
{
	int i = 1, err;

	setvbuf(stdout, NULL, _IOLBF, 0);
	for (; i + 1 < argc && argv[i][0] == '-'; i += 2) {
		if (strcmp(argv[i], "--cgroup") == 0) {
			err = join_cgroup(argv[i + 1]);
			if (err) {
				fprintf(stderr, "tg-probe: join %s: %s\n",
					argv[i + 1], strerror(-err));
				return 2;
			}
		} else if (strcmp(argv[i], "--expect") == 0) {
			expect = argv[i + 1];
		} else if (strcmp(argv[i], "--bind") == 0) {
			bind_src = argv[i + 1];
		} else if (strcmp(argv[i], "--move-to") == 0) {
			move_to = argv[i + 1];
		} else {
			return usage();
		}
	}
	if (i >= argc)
		return usage();
	if (strcmp(argv[i], "open") == 0)
		return do_open(argc - i - 1, argv + i + 1);
	if (strcmp(argv[i], "connect") == 0)
		return do_connect(argc - i - 1, argv + i + 1);
	if (strcmp(argv[i], "connect-loop") == 0)
		return do_connect_loop(argc - i - 1, argv + i + 1);
	if (strcmp(argv[i], "listen") == 0)
		return do_listen(argc - i - 1, argv + i + 1);
	if (strcmp(argv[i], "bind") == 0)
		return do_bind(argc - i - 1, argv + i + 1);
	if (strcmp(argv[i], "sendto") == 0)
		return do_sendto(argc - i - 1, argv + i + 1);
	if (strcmp(argv[i], "syscall") == 0)
		return do_syscall(argc - i - 1, argv + i + 1);
	if (strcmp(argv[i], "getppid-loop") == 0)
		return do_getppid_loop(argc - i - 1, argv + i + 1);
	if (strcmp(argv[i], "wait-event") == 0)
		return do_wait_event(argc - i - 1, argv + i + 1);
	if (strcmp(argv[i], "count-events") == 0 && i + 1 < argc) {
		printf("%d\n", count_matches(argv[i + 1], argc - i - 2,
					     argv + i + 2, 0));
		return 0;
	}
	return usage();
}
