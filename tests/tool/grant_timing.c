// SPDX-License-Identifier: GPL-2.0
/*
 * tg-try: how soon a grant's end reaches the kernel, and what grants cost
 * others (tests/bench/grants.sh, tests/host/test_grant_timing.sh). For the
 * first two, a child of this tool, in a tenant's cgroup, listens on 127.0.0.1
 * (backlog 4096) and accepts and closes; another, a support actor (its login
 * uid written first thing), connects to it over TCP in a tight loop, each
 * connect from a fresh socket closed with linger 0. Each connect is timed on
 * CLOCK_BOOTTIME, the clock of a grant's deadline: a refusal came between the
 * call and its return.
 *
 *   tg-try revoke-timing CGROUP LOGIN_UID LOG GRANT -- CMD...
 *       Once WARM connects were allowed, runs CMD (the revocation: its
 *       output discarded) and waits for the loop's first refusal, then for
 *       REFUSED_AFTER more attempts, and for the agent's revoked event of
 *       GRANT in LOG (the collector's log, read from its size at start).
 *       Prints, nanoseconds from each point to the return of the first
 *       refused connect (negative: the refusal came first):
 *         from_start=  the revocation command's start
 *         from_return= its return
 *         from_event=  the event's "ended" (the agent's time, taken after
 *                      it deleted the entry; "-" if no event came)
 *       the start of that refused call from the command's start
 *       (call_from_start=) and of the last allowed one
 *       (last_allowed_from_start=): the kernel saw the grant in force after
 *       the latter and ended before the former's return; and cmd= (the
 * command's run time), refused_before= (refusals before the command started:
 * events that could not be written), allowed_after= (allowed connects after the
 * first refusal), attempts=. tg-try expiry-timing CGROUP LOGIN_UID LOG GRANT
 * GRANTS_MAP [AFTER_MS] Reads GRANT's deadline from the pinned grants map (boot
 * time, as the kernel holds it), connects until AFTER_MS (default 500) past it,
 * then waits until every allowed connect's event is in LOG and for the expired
 * event. Prints, nanoseconds from the deadline (negative: before it): allowed=
 * allowed connects; late= those whose call began at or after the deadline (the
 * grant's end missed); straddling= those begun before it and returned after;
 *         refused_before= refusals returned before the deadline;
 *         first_refusal= the return of the first refusal after it,
 *         first_refusal_call= that call's start;
 *         last_allowed= the return of the last allowed connect;
 *         events= allow events of GRANT, events_late= those stamped at or
 *         after the deadline (the kernel stamps an event after its
 *         check), last_event= the latest stamp;
 *         expired_event= the "ended" of the agent's expired event;
 *       the last two from the events' times against the activated event's
 *       "until", all three as the agent wrote them (wall clock).
 *   tg-try grants-ab tcp|udp N PAIRS CGROUP GRANTS_MAP
 *       What grants cost others: PAIRS pairs of runs of N iterations of a
 *       loopback loop (netbench.c) in CGROUP, one with the pinned grants
 *       map as it is and one with all its entries taken out (put back
 *       after, and at the end), alternately first; one line per pair,
 *       "NS_WITH NS_WITHOUT", nanoseconds per iteration.
 * Exit 1 if the loop saw no allowed connect (no grant in force) or no
 * refusal at the end, 2 on a usage error.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <bpf/bpf.h>

#include "common/clock.h"
#include "common/event_filter.h"
#include "tenantguard/map_abi.h"
#include "tool.h"

#define WARM	      50   /* allowed connects before the revocation */
#define REFUSED_AFTER 200  /* attempts after the first refusal */
#define WAIT_MS	      5000 /* for the loop, the acceptor and the events */
#define NONE	      INT64_MAX

/* What the loop saw, shared with the parent (volatile: another process). */
struct loop_state {
	volatile __s64 mark; /* revocation's start or deadline; NONE */
	volatile int stop;   /* set by the parent */
	volatile int ready;  /* the loop's first attempt was made */
	volatile unsigned long attempts, allowed, other;
	volatile unsigned long late;	   /* allowed, call at/after mark */
	volatile unsigned long straddling; /* allowed, call < mark <= return */
	volatile unsigned long refused_before; /* refused, returned < mark */
	volatile unsigned long allowed_after;  /* allowed after first_b */
	volatile unsigned long since_refusal;  /* attempts after first_b */
	volatile __s64 first_a, first_b;       /* first refusal at/after mark */
	volatile __s64 last_a, last_b;	       /* last allowed connect */
};

static __s64 boot_now(void)
{
	return tg_clock_ns(CLOCK_BOOTTIME);
}

/* One connect of the loop to sa, its outcome in st. */
static void loop_once(struct loop_state *st, const struct sockaddr_in *sa)
{
	struct linger lg = {.l_onoff = 1, .l_linger = 0};
	__s64 a, b, mark;
	int fd, r, err;

	fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return;
	a = boot_now();
	r = connect(fd, (const struct sockaddr *)sa, sizeof(*sa));
	err = r < 0 ? errno : 0;
	b = boot_now();
	setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
	close(fd);
	mark = st->mark;
	st->attempts++;
	if (st->first_b != NONE)
		st->since_refusal++;
	if (!err) {
		st->allowed++;
		st->last_a = a;
		st->last_b = b;
		if (a >= mark)
			st->late++;
		else if (b >= mark)
			st->straddling++;
		if (st->first_b != NONE)
			st->allowed_after++;
	} else if (err == EPERM) {
		if (b < mark)
			st->refused_before++;
		else if (st->first_b == NONE) {
			st->first_a = a;
			st->first_b = b;
		}
	} else {
		st->other++;
	}
	st->ready = 1;
}

/* The acceptor: in cgroup, a listener on 127.0.0.1; its port to fd out. */
static void acceptor(const char *cgroup, int out)
{
	struct sockaddr_in sa = {.sin_family = AF_INET,
				 .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t len = sizeof(sa);
	int l, c;

	if (join_cgroup(cgroup) ||
	    (l = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0 ||
	    bind(l, (struct sockaddr *)&sa, len) < 0 ||
	    getsockname(l, (struct sockaddr *)&sa, &len) < 0 ||
	    listen(l, 4096) < 0) {
		perror("tg-try: acceptor");
		_exit(1);
	}
	if (write(out, &sa.sin_port, sizeof(sa.sin_port)) !=
	    sizeof(sa.sin_port))
		_exit(1);
	close(out);
	for (;;) {
		c = accept4(l, NULL, NULL, SOCK_CLOEXEC);
		if (c >= 0)
			close(c);
	}
}

/* The loop: as login uid luid, connects to sa until st->stop. */
static void connector(struct loop_state *st, const char *luid,
		      const struct sockaddr_in *sa)
{
	int fd = open("/proc/self/loginuid", O_WRONLY | O_CLOEXEC);
	size_t n = strlen(luid);

	if (fd < 0 || write(fd, luid, n) != (ssize_t)n) {
		perror("tg-try: set login uid");
		_exit(1);
	}
	close(fd);
	while (!st->stop)
		loop_once(st, sa);
	_exit(0);
}

struct rig {
	struct loop_state *st;
	pid_t acc, loop;
};

/* Start the acceptor in cgroup and the loop as luid: 0 or -1. */
static int rig_start(struct rig *r, const char *cgroup, const char *luid,
		     __s64 mark)
{
	struct sockaddr_in sa = {.sin_family = AF_INET,
				 .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	int p[2];

	r->acc = r->loop = -1;
	r->st = mmap(NULL, sizeof(*r->st), PROT_READ | PROT_WRITE,
		     MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (r->st == MAP_FAILED || pipe2(p, O_CLOEXEC) < 0)
		return -1;
	memset((void *)r->st, 0, sizeof(*r->st));
	r->st->mark = mark;
	r->st->first_a = r->st->first_b = NONE;
	r->acc = fork();
	if (r->acc == 0) {
		close(p[0]);
		acceptor(cgroup, p[1]);
	}
	close(p[1]);
	if (r->acc < 0 || read(p[0], &sa.sin_port, sizeof(sa.sin_port)) !=
				  sizeof(sa.sin_port)) {
		close(p[0]);
		return -1;
	}
	close(p[0]);
	r->loop = fork();
	if (r->loop == 0)
		connector(r->st, luid, &sa);
	return r->loop < 0 ? -1 : 0;
}

static void rig_stop(struct rig *r)
{
	if (r->st == MAP_FAILED)
		return;
	r->st->stop = 1;
	if (r->loop > 0)
		waitpid(r->loop, NULL, 0);
	if (r->acc > 0) {
		kill(r->acc, SIGKILL);
		waitpid(r->acc, NULL, 0);
	}
	r->loop = r->acc = -1;
}

/* Wait up to WAIT_MS until *v >= want: 0, or -1. */
static int wait_count(volatile unsigned long *v, unsigned long want)
{
	__s64 end = tg_now_ms() + WAIT_MS;

	while (*v < want)
		if (tg_now_ms() > end)
			return -1;
	return 0;
}

/*
 * The RFC 3339 time of "key" in the event of op (and kind "grant") about
 * grant in log from offset on, in unix ns; waits up to WAIT_MS. 0, or -1
 * if none came.
 */
static int event_time(const char *log, off_t from, const char *op,
		      const char *grant, const char *key, __s64 *wall)
{
	char want_op[64], want_id[80], want_key[40], *line = NULL, *v;
	__s64 end = tg_now_ms() + WAIT_MS;
	size_t cap = 0;
	int found = -1;
	FILE *f;

	snprintf(want_op, sizeof(want_op), "\"op\":\"%s\"", op);
	snprintf(want_id, sizeof(want_id), "\"grant\":\"%s\"", grant);
	snprintf(want_key, sizeof(want_key), "\"%s\":\"", key);
	while (found < 0 && tg_now_ms() <= end) {
		f = fopen(log, "re");
		if (f && fseeko(f, from, SEEK_SET) == 0)
			while (found < 0 && getline(&line, &cap, f) > 0) {
				if (!strstr(line, "\"kind\":\"grant\"") ||
				    !strstr(line, want_op) ||
				    !strstr(line, want_id) ||
				    !(v = strstr(line, want_key)))
					continue;
				v += strlen(want_key);
				v[strcspn(v, "\"")] = '\0';
				if (!tg_parse_time(v, wall))
					found = 0;
			}
		if (f)
			fclose(f);
		if (found < 0)
			usleep(20000);
	}
	free(line);
	return found;
}

static off_t log_size(const char *log)
{
	struct stat sb;

	return stat(log, &sb) ? 0 : sb.st_size;
}

/* Run argv, its output discarded: its exit status, or -1. */
static int run_cmd(char **argv)
{
	pid_t pid = fork();
	int status, fd;

	if (pid == 0) {
		fd = open("/dev/null", O_WRONLY | O_CLOEXEC);
		if (fd >= 0)
			dup2(fd, 1);
		execvp(argv[0], argv);
		_exit(127);
	}
	if (pid < 0 || waitpid(pid, &status, 0) < 0)
		return -1;
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

static int do_revoke_timing(int argc, char **argv)
{
	struct rig r = {.st = MAP_FAILED, .acc = -1, .loop = -1};
	__s64 t0, t1, ended = 0;
	off_t from;
	int rc = 1, cmd_rc, have_event;

	if (argc < 6 || strcmp(argv[4], "--"))
		return usage();
	from = log_size(argv[2]);
	if (rig_start(&r, argv[0], argv[1], NONE)) {
		perror("tg-try: revoke-timing");
		goto out_stop;
	}
	if (wait_count(&r.st->allowed, WARM)) {
		printf("FAIL: %lu of %d connects allowed (%lu attempts): no grant in force?\n",
		       r.st->allowed, WARM, r.st->attempts);
		goto out_stop;
	}
	t0 = boot_now();
	r.st->mark = t0;
	cmd_rc = run_cmd(argv + 5);
	t1 = boot_now();
	if (cmd_rc) {
		printf("FAIL: %s exited %d\n", argv[5], cmd_rc);
		goto out_stop;
	}
	if (wait_count(&r.st->since_refusal, REFUSED_AFTER)) {
		printf("FAIL: no refusal after the revocation (%lu attempts, %lu allowed)\n",
		       r.st->attempts, r.st->allowed);
		goto out_stop;
	}
	rig_stop(&r);
	/* The agent's wall time, turned into boot time as it made it. */
	have_event =
		!event_time(argv[2], from, "revoked", argv[3], "ended", &ended);
	ended -= tg_boot_to_real_ns();
	printf("from_start=%lld from_return=%lld call_from_start=%lld "
	       "last_allowed_from_start=%lld ",
	       (long long)(r.st->first_b - t0), (long long)(r.st->first_b - t1),
	       (long long)(r.st->first_a - t0), (long long)(r.st->last_a - t0));
	if (have_event)
		printf("from_event=%lld ", (long long)(r.st->first_b - ended));
	else
		printf("from_event=- ");
	printf("cmd=%lld refused_before=%lu allowed_after=%lu attempts=%lu\n",
	       (long long)(t1 - t0), r.st->refused_before, r.st->allowed_after,
	       r.st->attempts);
	rc = 0;
out_stop:
	rig_stop(&r);
	if (r.st != MAP_FAILED)
		munmap((void *)r.st, sizeof(*r.st));
	return rc;
}

/*
 * Allow events of grant in log: how many, how many stamped at or after
 * until, the latest stamp (all unix ns, as the agent writes them).
 */
static void allow_events(const char *log, const char *grant, __s64 until,
			 unsigned long *n, unsigned long *late, __s64 *last)
{
	char want_id[80], *line = NULL, *v;
	size_t cap = 0;
	__s64 t;
	FILE *f;

	*n = *late = 0;
	*last = NONE;
	snprintf(want_id, sizeof(want_id), "\"grant\":\"%s\"", grant);
	f = fopen(log, "re");
	if (!f)
		return;
	while (getline(&line, &cap, f) > 0) {
		if (!strstr(line, "\"kind\":\"net\"") ||
		    !strstr(line, "\"verdict\":\"allow\"") ||
		    !strstr(line, want_id) ||
		    !(v = strstr(line, "\"time\":\"")))
			continue;
		v += strlen("\"time\":\"");
		v[strcspn(v, "\"")] = '\0';
		if (tg_parse_time(v, &t))
			continue;
		(*n)++;
		if (t >= until)
			(*late)++;
		if (*last == NONE || t > *last)
			*last = t;
	}
	free(line);
	fclose(f);
}

/* grant's deadline (boot ns) in the pinned grants map at path: 0 or -1. */
static int map_deadline(const char *path, const char *grant, __s64 *deadline)
{
	struct tg_grant_key k, next, *prev = NULL;
	struct tg_grant v;
	char hex[2 * sizeof(v.id) + 1];
	unsigned int i;
	int fd, err = -1;

	fd = bpf_obj_get(path);
	if (fd < 0)
		return -1;
	while (err && !bpf_map_get_next_key(fd, prev, &next)) {
		k = next;
		prev = &k;
		if (bpf_map_lookup_elem(fd, &k, &v))
			continue;
		for (i = 0; i < sizeof(v.id); i++)
			snprintf(hex + 2 * i, 3, "%02x", v.id[i]);
		if (!strcmp(hex, grant)) {
			*deadline = (__s64)v.deadline_ns;
			err = 0;
		}
	}
	close(fd);
	return err;
}

static int do_expiry_timing(int argc, char **argv)
{
	struct rig r = {.st = MAP_FAILED, .acc = -1, .loop = -1};
	unsigned long n = 0, late = 0;
	__s64 deadline, until, after_ms = 500, last = NONE, expired = 0, end;
	int rc = 1, have_expired;

	if (argc < 5)
		return usage();
	if (argc > 5)
		after_ms = atoll(argv[5]);
	if (map_deadline(argv[4], argv[3], &deadline)) {
		printf("FAIL: no grant %s in %s\n", argv[3], argv[4]);
		return 1;
	}
	if (event_time(argv[2], 0, "activated", argv[3], "until", &until)) {
		printf("FAIL: no activated event of grant %s in %s\n", argv[3],
		       argv[2]);
		return 1;
	}
	if (rig_start(&r, argv[0], argv[1], deadline)) {
		perror("tg-try: expiry-timing");
		goto out_stop;
	}
	while (boot_now() < deadline + after_ms * 1000000)
		usleep(1000);
	rig_stop(&r);
	if (!r.st->allowed || r.st->first_b == NONE) {
		printf("FAIL: %lu allowed, %s refusal after the deadline (%lu attempts)\n",
		       r.st->allowed, r.st->first_b == NONE ? "no" : "a",
		       r.st->attempts);
		goto out_stop;
	}
	have_expired =
		!event_time(argv[2], 0, "expired", argv[3], "ended", &expired);
	/* Every allowed connect's event, through the ring buffer and agent. */
	end = tg_now_ms() + WAIT_MS;
	for (;;) {
		allow_events(argv[2], argv[3], until, &n, &late, &last);
		if (n >= r.st->allowed || tg_now_ms() > end)
			break;
		usleep(50000);
	}
	printf("allowed=%lu late=%lu straddling=%lu refused_before=%lu "
	       "first_refusal=%lld first_refusal_call=%lld last_allowed=%lld "
	       "events=%lu events_late=%lu last_event=",
	       r.st->allowed, r.st->late, r.st->straddling,
	       r.st->refused_before, (long long)(r.st->first_b - deadline),
	       (long long)(r.st->first_a - deadline),
	       (long long)(r.st->last_b - deadline), n, late);
	if (last != NONE)
		printf("%lld", (long long)(last - until));
	else
		printf("-");
	if (have_expired)
		printf(" expired_event=%lld\n", (long long)(expired - until));
	else
		printf(" expired_event=-\n");
	rc = 0;
out_stop:
	rig_stop(&r);
	if (r.st != MAP_FAILED)
		munmap((void *)r.st, sizeof(*r.st));
	return rc;
}

/* grants-ab: the entries of a pinned grants map, kept to be put back. */
#define AB_MAX 1024
static struct tg_grant_key ab_keys[AB_MAX];
static struct tg_grant ab_vals[AB_MAX];
static unsigned int ab_n;

/* Put every kept entry back into map fd: 0 or -1 after perror. */
static int ab_restore(int fd)
{
	unsigned int i;

	for (i = 0; i < ab_n; i++)
		if (bpf_map_update_elem(fd, &ab_keys[i], &ab_vals[i],
					BPF_ANY)) {
			perror("tg-try: grants-ab: put back");
			return -1;
		}
	return 0;
}

/* lp's loop of n with the kept entries out of map fd: ns or -1. */
static double ab_without(int fd, struct net_loop *lp, long n)
{
	unsigned int i;
	double ns;

	for (i = 0; i < ab_n; i++)
		bpf_map_delete_elem(fd, &ab_keys[i]);
	ns = net_loop_run(lp, n);
	return ab_restore(fd) ? -1 : ns;
}

static int do_grants_ab(int argc, char **argv)
{
	struct net_loop lp = {.l = -1, .c = -1};
	struct tg_grant_key k, next, *prev = NULL;
	double with, without;
	long n, pairs, p;
	int fd, tcp, err = 1;

	if (argc < 5 || (strcmp(argv[0], "tcp") && strcmp(argv[0], "udp")) ||
	    (n = atol(argv[1])) <= 0 || (pairs = atol(argv[2])) <= 0)
		return usage();
	tcp = !strcmp(argv[0], "tcp");
	fd = bpf_obj_get(argv[4]);
	if (fd < 0) {
		perror("tg-try: grants-ab: map");
		return 1;
	}
	while (ab_n < AB_MAX && !bpf_map_get_next_key(fd, prev, &next)) {
		k = next;
		prev = &k;
		if (!bpf_map_lookup_elem(fd, &k, &ab_vals[ab_n]))
			ab_keys[ab_n++] = k;
	}
	if (join_cgroup(argv[3]) || net_loop_open(&lp, tcp))
		goto out_close;
	for (p = 0; p < pairs; p++) {
		if (p & 1) {
			without = ab_without(fd, &lp, n);
			with = net_loop_run(&lp, n);
		} else {
			with = net_loop_run(&lp, n);
			without = ab_without(fd, &lp, n);
		}
		if (with < 0 || without < 0)
			goto out_close;
		printf("%.1f %.1f\n", with, without);
	}
	err = 0;
out_close:
	net_loop_close(&lp);
	if (ab_restore(fd))
		err = 1;
	close(fd);
	return err;
}

const struct tool_cmd tool_grant_timing_cmds[] = {
	{"revoke-timing", do_revoke_timing},
	{"expiry-timing", do_expiry_timing},
	{"grants-ab", do_grants_ab},
	{}};
