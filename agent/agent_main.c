// SPDX-License-Identifier: GPL-2.0
/*
 * tenantguard-agent: loads the BPF programs, keeps their maps in step with
 * the tenants on this host, and streams every violation to the collector.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <ifaddrs.h>
#include <json-c/json.h>
#include <limits.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <bpf/libbpf.h>

#include "bpf_loader.h"
#include "cgroupfs.h"
#include "event_json.h"
#include "sink.h"
#include "tenants.h"

#define PROG "tenantguard-agent"

struct agent {
	const char *tenants_cgroup;
	const char *paths_root;
	const char *event_socket;
	const char *cgroup_root_opt;
	const char *attach_cgroup_opt;
	const char *host_opt;
	__u32 ringbuf_size;
	int require_file;
	int verbose;

	char cgroup_root[PATH_MAX];
	char tenants_dir[PATH_MAX];
	char host[256];
	struct tg_registry reg;
	struct tg_bpf bpf;
	struct tg_sink *sink;
	struct tg_event_fmt fmt;
	__u64 events_seen;
	__u64 events_bad;
	__u64 drops_reported;
};

static int verbose;

static void say(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fprintf(stderr, PROG ": ");
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
}

static int libbpf_print(enum libbpf_print_level level, const char *fmt,
			va_list ap)
{
	if (!verbose || level == LIBBPF_DEBUG)
		return 0;
	return vfprintf(stderr, fmt, ap);
}

static void usage(FILE *out)
{
	fprintf(out,
		"usage: " PROG " [options]\n"
		"  --tenants-cgroup PATH   cgroup (below the cgroup v2 root) whose children\n"
		"                          are tenants (default /tenants; created if missing)\n"
		"  --paths-root DIR        each tenant owns DIR/<name> (default /srv/tenants)\n"
		"  --event-socket PATH     collector socket (default /run/tenantguard/events.sock)\n"
		"  --cgroup-root DIR       cgroup v2 mount point (default: from mountinfo)\n"
		"  --attach-cgroup DIR     cgroup for the network programs (default: cgroup v2 root)\n"
		"  --ringbuf-size BYTES    kernel event ring buffer, power of two (default 1048576)\n"
		"  --host NAME             host name in events (default: gethostname)\n"
		"  --require-file-isolation  refuse to start without BPF LSM file isolation\n"
		"  -v, --verbose           log libbpf warnings and every event\n"
		"  -h, --help              this text\n");
}

static int parse_u32(const char *s, __u32 *out)
{
	char *end = NULL;
	unsigned long long v;

	errno = 0;
	v = strtoull(s, &end, 0);
	if (errno || !end || *end || end == s || v > UINT32_MAX || s[0] == '-')
		return -EINVAL;
	*out = (__u32)v;
	return 0;
}

static int parse_args(struct agent *a, int argc, char **argv)
{
	enum { O_TENANTS = 256, O_PATHS, O_SOCK, O_CGROOT, O_ATTACH, O_RB,
	       O_HOST, O_REQFILE };
	static const struct option opts[] = {
		{ "tenants-cgroup", required_argument, NULL, O_TENANTS },
		{ "paths-root", required_argument, NULL, O_PATHS },
		{ "event-socket", required_argument, NULL, O_SOCK },
		{ "cgroup-root", required_argument, NULL, O_CGROOT },
		{ "attach-cgroup", required_argument, NULL, O_ATTACH },
		{ "ringbuf-size", required_argument, NULL, O_RB },
		{ "host", required_argument, NULL, O_HOST },
		{ "require-file-isolation", no_argument, NULL, O_REQFILE },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{}
	};
	int c;

	opterr = 0;
	while ((c = getopt_long(argc, argv, ":vh", opts, NULL)) != -1) {
		switch (c) {
		case O_TENANTS: a->tenants_cgroup = optarg; break;
		case O_PATHS: a->paths_root = optarg; break;
		case O_SOCK: a->event_socket = optarg; break;
		case O_CGROOT: a->cgroup_root_opt = optarg; break;
		case O_ATTACH: a->attach_cgroup_opt = optarg; break;
		case O_HOST: a->host_opt = optarg; break;
		case O_REQFILE: a->require_file = 1; break;
		case 'v': a->verbose = 1; break;
		case 'h': usage(stdout); exit(0);
		case O_RB:
			if (parse_u32(optarg, &a->ringbuf_size) ||
			    a->ringbuf_size < 4096 ||
			    (a->ringbuf_size & (a->ringbuf_size - 1))) {
				say("--ringbuf-size: '%s' is not a power of two >= 4096",
				    optarg);
				return -EINVAL;
			}
			break;
		case ':':
			say("option %s needs a value", argv[optind - 1]);
			return -EINVAL;
		default:
			say("unknown option %s (see --help)", argv[optind - 1]);
			return -EINVAL;
		}
	}
	if (optind < argc) {
		say("unexpected argument '%s' (see --help)", argv[optind]);
		return -EINVAL;
	}
	if (a->tenants_cgroup[0] != '/' || a->paths_root[0] != '/') {
		say("--tenants-cgroup and --paths-root must be absolute paths");
		return -EINVAL;
	}
	return 0;
}

/* Queue one JSON event object for the collector; takes the reference. */
static void emit(struct agent *a, struct json_object *o)
{
	const char *s;
	int err;

	if (!o)
		return;
	s = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN |
						      JSON_C_TO_STRING_NOSLASHESCAPE);
	if (a->verbose)
		say("event %s", s);
	err = tg_sink_submit(a->sink, s, strlen(s));
	if (err && err != -ENOBUFS && a->verbose)
		say("collector: %s", strerror(-err));
	json_object_put(o);
}

static int on_event(void *ctx, void *data, size_t size)
{
	struct agent *a = ctx;
	struct json_object *o;

	a->events_seen++;
	o = tg_event_json(data, size, &a->fmt);
	if (!o) {
		a->events_bad++;
		return 0;
	}
	emit(a, o);
	return 0;
}

static void add_field(struct json_object *o, const char *k, const char *v)
{
	json_object_object_add(o, k, json_object_new_string(v));
}

/* The agent event stating what is enforced and by what. */
static void emit_backends(struct agent *a, const char *op)
{
	struct json_object *o, *be, *unenf;
	char msg[512];
	int file_ok = a->bpf.file_backend != TG_BACKEND_NONE;

	snprintf(msg, sizeof(msg), "file isolation: %s%s%s; network isolation: %s",
		 file_ok ? tg_backend_name(a->bpf.file_backend) : "UNENFORCED (",
		 file_ok ? "" : a->bpf.file_reason, file_ok ? "" : ")",
		 tg_backend_name(a->bpf.net_backend));
	o = tg_agent_event(&a->fmt, op, "allow", msg);
	if (!o)
		return;
	be = json_object_new_object();
	add_field(be, "file", tg_backend_name(a->bpf.file_backend));
	add_field(be, "net", tg_backend_name(a->bpf.net_backend));
	json_object_object_add(o, "backends", be);
	unenf = json_object_new_array();
	if (!file_ok)
		json_object_array_add(unenf, json_object_new_string("file"));
	json_object_object_add(o, "unenforced", unenf);
	say("%s", msg);
	emit(a, o);
}

/* Report kernel ring buffer losses since the last report as an agent event. */
static void report_drops(struct agent *a)
{
	__u64 drops = tg_bpf_event_drops(&a->bpf);
	struct json_object *o;
	char msg[128];

	if (drops == a->drops_reported)
		return;
	snprintf(msg, sizeof(msg),
		 "%llu events dropped in the kernel: ring buffer full",
		 (unsigned long long)(drops - a->drops_reported));
	o = tg_agent_event(&a->fmt, "drop", "allow", msg);
	if (o) {
		json_object_object_add(o, "dropped", json_object_new_int64(
			(int64_t)(drops - a->drops_reported)));
		add_field(o, "reason", "ringbuf_full");
	}
	emit(a, o);
	a->drops_reported = drops;
}

static int add_local_addrs(struct agent *a)
{
	struct ifaddrs *ifa, *i;
	__u8 key[16];
	int err = 0;

	if (getifaddrs(&ifa) < 0)
		return -errno;
	for (i = ifa; i && !err; i = i->ifa_next) {
		if (!i->ifa_addr)
			continue;
		memset(key, 0, sizeof(key));
		if (i->ifa_addr->sa_family == AF_INET) {
			key[10] = key[11] = 0xff;
			memcpy(key + 12,
			       &((struct sockaddr_in *)i->ifa_addr)->sin_addr, 4);
		} else if (i->ifa_addr->sa_family == AF_INET6) {
			memcpy(key,
			       &((struct sockaddr_in6 *)i->ifa_addr)->sin6_addr, 16);
		} else {
			continue;
		}
		err = tg_bpf_add_local_addr(&a->bpf, key);
	}
	freeifaddrs(ifa);
	return err;
}

static int rescan(struct agent *a)
{
	int err = tg_registry_scan(&a->reg, a->tenants_dir, a->paths_root);

	if (!err)
		err = tg_bpf_sync_tenants(&a->bpf, &a->reg);
	if (err)
		say("tenants: rescan of %s failed: %s", a->tenants_dir,
		    strerror(-err));
	return err;
}

static int setup_paths(struct agent *a)
{
	int err;

	if (a->cgroup_root_opt) {
		snprintf(a->cgroup_root, sizeof(a->cgroup_root), "%s",
			 a->cgroup_root_opt);
	} else {
		err = tg_cgroup2_find("/proc/self/mountinfo", a->cgroup_root,
				      sizeof(a->cgroup_root));
		if (err) {
			say("no cgroup v2 mount found in /proc/self/mountinfo: %s",
			    strerror(-err));
			return err;
		}
	}
	err = tg_path_join(a->tenants_dir, sizeof(a->tenants_dir),
			   a->cgroup_root, a->tenants_cgroup);
	if (err)
		return err;
	if (mkdir(a->tenants_dir, 0755) < 0 && errno != EEXIST) {
		err = -errno;
		say("cannot create tenants cgroup %s: %s", a->tenants_dir,
		    strerror(-err));
		return err;
	}
	if (a->host_opt)
		snprintf(a->host, sizeof(a->host), "%s", a->host_opt);
	else if (gethostname(a->host, sizeof(a->host) - 1) < 0)
		snprintf(a->host, sizeof(a->host), "unknown");
	return 0;
}

static int open_signalfd(void)
{
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGPIPE);
	if (sigprocmask(SIG_BLOCK, &set, NULL) < 0)
		return -errno;
	sigdelset(&set, SIGPIPE);
	return signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
}

static int watch_dirs(struct agent *a)
{
	int fd = inotify_init1(IN_CLOEXEC | IN_NONBLOCK);

	if (fd < 0)
		return -errno;
	if (inotify_add_watch(fd, a->tenants_dir, IN_CREATE | IN_DELETE |
						  IN_MOVED_FROM | IN_MOVED_TO |
						  IN_ONLYDIR) < 0 ||
	    (inotify_add_watch(fd, a->paths_root, IN_CREATE | IN_DELETE |
						  IN_MOVED_FROM | IN_MOVED_TO |
						  IN_ONLYDIR) < 0 &&
	     errno != ENOENT)) {
		int err = -errno;

		close(fd);
		return err;
	}
	return fd;
}

static void drain(int fd)
{
	char buf[4096];

	while (read(fd, buf, sizeof(buf)) > 0)
		;
}

/* Serve until SIGTERM or SIGINT. */
static int run(struct agent *a, int sfd, int ifd)
{
	struct signalfd_siginfo si;
	struct pollfd p[4];
	int n, sink_fd;

	for (;;) {
		p[0] = (struct pollfd){ .fd = ring_buffer__epoll_fd(a->bpf.rb),
					.events = POLLIN };
		p[1] = (struct pollfd){ .fd = sfd, .events = POLLIN };
		p[2] = (struct pollfd){ .fd = ifd, .events = POLLIN };
		sink_fd = tg_sink_fd(a->sink);
		p[3] = (struct pollfd){ .fd = sink_fd, .events = POLLIN };
		n = poll(p, 4, 1000);
		if (n < 0 && errno != EINTR)
			return -errno;
		if (p[0].revents)
			ring_buffer__consume(a->bpf.rb);
		if (p[2].revents) {
			drain(ifd);
			rescan(a);
		}
		tg_sink_process(a->sink);
		report_drops(a);
		if (!(p[1].revents & POLLIN))
			continue;
		while (read(sfd, &si, sizeof(si)) == sizeof(si)) {
			if (si.ssi_signo == SIGHUP) {
				rescan(a);
				continue;
			}
			say("signal %u: stopping", si.ssi_signo);
			return 0;
		}
	}
}

int main(int argc, char **argv)
{
	struct agent a = {
		.tenants_cgroup = "/tenants",
		.paths_root = "/srv/tenants",
		.event_socket = "/run/tenantguard/events.sock",
		.ringbuf_size = 1 << 20,
	};
	struct tg_bpf_opts bo = {};
	char errbuf[512];
	int sfd = -1, ifd = -1, err;

	a.bpf.cgroup_fd = -1;
	tg_registry_init(&a.reg);
	if (parse_args(&a, argc, argv))
		return 2;
	verbose = a.verbose;
	libbpf_set_print(libbpf_print);
	if (setup_paths(&a))
		return 1;
	a.fmt.reg = &a.reg;
	a.fmt.host = a.host;
	a.fmt.boot_to_real_ns = tg_boot_to_real_ns();

	sfd = open_signalfd();
	if (sfd < 0) {
		say("signalfd: %s", strerror(errno));
		return 1;
	}
	a.sink = tg_sink_new(a.event_socket, 65536);
	if (!a.sink) {
		say("collector socket %s: %s", a.event_socket, strerror(errno));
		err = 1;
		goto out_close_sfd;
	}
	bo.attach_cgroup = a.attach_cgroup_opt ?: a.cgroup_root;
	bo.ringbuf_size = a.ringbuf_size;
	bo.on_event = on_event;
	bo.ctx = &a;
	if (tg_bpf_start(&a.bpf, &bo, errbuf, sizeof(errbuf))) {
		say("bpf: %s", errbuf);
		err = 1;
		goto out_free_sink;
	}
	if (a.require_file && a.bpf.file_backend == TG_BACKEND_NONE) {
		say("file isolation unavailable and --require-file-isolation given: %s",
		    a.bpf.file_reason);
		err = 1;
		goto out_stop_bpf;
	}
	err = add_local_addrs(&a);
	if (err) {
		say("local addresses: %s", strerror(-err));
		err = 1;
		goto out_stop_bpf;
	}
	if (rescan(&a)) {
		err = 1;
		goto out_stop_bpf;
	}
	ifd = watch_dirs(&a);
	if (ifd < 0) {
		say("inotify on %s: %s", a.tenants_dir, strerror(-ifd));
		err = 1;
		goto out_stop_bpf;
	}
	emit_backends(&a, "start");
	say("enforcing for %zu tenant(s) below %s; events to %s", a.reg.n,
	    a.tenants_dir, a.event_socket);
	err = run(&a, sfd, ifd) ? 1 : 0;
	ring_buffer__consume(a.bpf.rb);
	close(ifd);
out_stop_bpf:
	tg_bpf_stop(&a.bpf);
	if (!err)
		emit(&a, tg_agent_event(&a.fmt, "stop", "allow", "agent stopped"));
	tg_sink_flush(a.sink, 2000);
out_free_sink:
	tg_sink_free(a.sink);
out_close_sfd:
	close(sfd);
	tg_registry_free(&a.reg);
	return err;
}
