// SPDX-License-Identifier: GPL-2.0
/*
 * tg-probe: the test suites' hands. Performs one system call from a chosen
 * cgroup and checks its outcome, or waits for events in the collector's log.
 *
 *   tg-probe [--cgroup DIR] [--expect ok|ERRNO] open PATH [r|w|dir]
 *   tg-probe [--cgroup DIR] [--expect ok|ERRNO] [--bind SRC] connect tcp|udp ADDR PORT
 *   tg-probe [--cgroup DIR] listen tcp|udp ADDR PORT [READY_FILE]
 *   tg-probe [--cgroup DIR] connect-loop tcp|udp ADDR PORT STOP_FILE
 *            (connects until STOP_FILE exists; prints the outcome counts)
 *   tg-probe wait-event LOG [--timeout SEC] [--count N] KEY=VALUE...
 *   tg-probe count-events LOG KEY=VALUE...
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
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static const char *expect;
static const char *bind_src;	/* connect: bind to this address first */

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
	if (connect(fd, (struct sockaddr *)&ss, len) < 0)
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
	if (strcmp(argv[i], "wait-event") == 0)
		return do_wait_event(argc - i - 1, argv + i + 1);
	if (strcmp(argv[i], "count-events") == 0 && i + 1 < argc) {
		printf("%d\n", count_matches(argv[i + 1], argc - i - 2,
					     argv + i + 2, 0));
		return 0;
	}
	return usage();
}
