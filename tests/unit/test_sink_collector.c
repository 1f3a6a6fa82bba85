// SPDX-License-Identifier: GPL-2.0
/* Unit tests: agent sink against a real collector in a child process. */
#define _GNU_SOURCE
#include <errno.h>
#include <limits.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <poll.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#include "collector/server.h"
#include "agentd/sink.h"
#include "agentd/spool.h"
#include <json-c/json.h>
#include "common/procfs.h"
#include "common/peer.h"
#include "common/wire.h"

static char dir[64], sock[128], logp[128], statep[128];
static pid_t
	running; /* the collector child, killed by teardown if a test fails */

/* fail_syncs > 0: fdatasync of the log fails (fail_sync_path). */
#include "fail_sync.h"
/* SO_SNDBUF of the sockets the collector accepts, 0: the default. */
static int collector_sndbuf;
/* While the file nospace exists, writes to the log fail with ENOSPC. */
static char nospace[160];
/* Forward stored events to this syslog socket, "": none. */
static char syslog_sock[160];
/* The collector's tenants cgroup, "": none. */
static char tenants_cg[PATH_MAX];

ssize_t __real_write(int fd, const void *buf, size_t n);
ssize_t __wrap_write(int fd, const void *buf, size_t n)
{
	if (nospace[0] && access(nospace, F_OK) == 0 && fd_is_path(fd, logp)) {
		errno = ENOSPC;
		return -1;
	}
	return __real_write(fd, buf, n);
}

int __real_accept4(int fd, struct sockaddr *sa, socklen_t *len, int flags);
int __wrap_accept4(int fd, struct sockaddr *sa, socklen_t *len, int flags)
{
	int cfd = __real_accept4(fd, sa, len, flags);

	if (cfd >= 0 && collector_sndbuf)
		setsockopt(cfd, SOL_SOCKET, SO_SNDBUF, &collector_sndbuf,
			   sizeof(collector_sndbuf));
	return cfd;
}

static int setup(void **state)
{
	snprintf(dir, sizeof(dir), "/tmp/tg-sink.XXXXXX");
	assert_non_null(mkdtemp(dir));
	snprintf(sock, sizeof(sock), "%s/events.sock", dir);
	snprintf(logp, sizeof(logp), "%s/events.jsonl", dir);
	snprintf(statep, sizeof(statep), "%s/state", dir);
	snprintf(nospace, sizeof(nospace), "%s/nospace", dir);
	syslog_sock[0] = '\0';
	tenants_cg[0] = '\0';
	fail_sync_path = logp;
	return 0;
}

static int teardown(void **state)
{
	char cmd[128];

	fail_syncs = 0;
	collector_sndbuf = 0;
	if (running > 0) {
		kill(running, SIGKILL);
		waitpid(running, NULL, 0);
		running = 0;
	}

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	return system(cmd);
}

/*
 * A collector in a child, accepting uid; it writes a byte to ready_fd once
 * open; SIGTERM stops it.
 */
static pid_t fork_collector(uid_t uid, int ready_fd)
{
	pid_t pid = fork();

	assert_true(pid >= 0);
	if (pid == 0) {
		struct tg_collector col = {.state_dir = statep};
		const char *what;
		sigset_t set;
		int sfd;

		prctl(PR_SET_PDEATHSIG, SIGKILL);
		sigemptyset(&set);
		sigaddset(&set, SIGTERM);
		sigprocmask(SIG_BLOCK, &set, NULL);
		sfd = signalfd(-1, &set, SFD_CLOEXEC);
		if (syslog_sock[0])
			col.syslog_path = syslog_sock;
		if (tenants_cg[0])
			col.tenants_cgroup = tenants_cg;
		if (tg_collector_open(&col, sock, logp, uid, 0, 0, &what))
			_exit(1);
		slow_sync_ms = 0;
		if (write(ready_fd, "r", 1) != 1)
			_exit(1);
		tg_collector_run(&col, sfd);
		tg_collector_close(&col);
		_exit(0);
	}
	running = pid;
	return pid;
}

/* A collector in a child, accepting uid, open when this returns. */
static pid_t start_collector_uid(uid_t uid)
{
	int ready[2];
	char c;
	pid_t pid;

	assert_int_equal(pipe(ready), 0);
	pid = fork_collector(uid, ready[1]);
	close(ready[1]);
	assert_int_equal(read(ready[0], &c, 1), 1);
	close(ready[0]);
	return pid;
}

static pid_t start_collector(void)
{
	return start_collector_uid(getuid());
}

static void stop_collector(pid_t pid, int sig)
{
	int st;

	kill(pid, sig);
	waitpid(pid, &st, 0);
	running = 0;
}

/* The collector's own record of a connection that ended. */
#define DISCONNECTED "\"op\":\"disconnected\""

/* The log's lines holding text (NULL: all lines). */
static int log_grep(const char *text)
{
	FILE *f = fopen(logp, "r");
	char line[4096];
	int n = 0;

	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f))
		n += !text || strstr(line, text);
	fclose(f);
	return n;
}

/* The collector's own lines of the chain: its start, its checkpoints. */
#define COLLECTOR_OWN "\"comm\":\"tenantguard-collector\",\"op\":\""

/* The events clients sent: the lines but the collector's own records. */
static int log_lines(void)
{
	return log_grep(NULL) - log_grep(DISCONNECTED) -
	       log_grep(COLLECTOR_OWN);
}

/* Wait up to 5 s until the log records n ended connections; how many. */
static int wait_disconnects(int n)
{
	int i, got = 0;

	for (i = 0; i < 500 && (got = log_grep(DISCONNECTED)) < n; i++)
		usleep(10000);
	return got;
}

/* The log's i-th line (from 0) holding text, parsed; the caller puts it. */
static struct json_object *log_event(const char *text, int i)
{
	struct json_object *o = NULL;
	FILE *f = fopen(logp, "r");
	char line[4096];

	assert_non_null(f);
	while (!o && fgets(line, sizeof(line), f))
		if (strstr(line, text) && i-- == 0)
			o = json_tokener_parse(line);
	fclose(f);
	assert_non_null(o);
	return o;
}

/* Field k of o as text (strings as they are, others as JSON). */
static const char *field(struct json_object *o, const char *k)
{
	struct json_object *v;

	if (!json_object_object_get_ex(o, k, &v))
		return "(none)";
	return json_object_is_type(v, json_type_string)
		       ? json_object_get_string(v)
		       : json_object_to_json_string_ext(v,
							JSON_C_TO_STRING_PLAIN);
}

static void submit(struct tg_sink *s, int i)
{
	char ev[64];

	snprintf(ev, sizeof(ev), "{\"n\":%d}", i);
	assert_int_equal(tg_sink_submit(s, ev, strlen(ev)), 0);
}

static void test_submit_ack(void **state)
{
	pid_t pid = start_collector();
	struct tg_sink *s = tg_sink_new(sock, 16, geteuid());
	struct tg_sink_stats st;
	int i;

	for (i = 0; i < 5; i++)
		submit(s, i);
	assert_int_equal(tg_sink_flush(s, 5000), 0);
	tg_sink_stats(s, &st);
	assert_int_equal(st.acked, 5);
	assert_int_equal(st.queued, 0);
	assert_int_equal(log_lines(), 5);
	tg_sink_free(s);
	stop_collector(pid, SIGTERM);
}

static void test_resend_after_restart(void **state)
{
	pid_t pid = start_collector();
	struct tg_sink *s = tg_sink_new(sock, 16, geteuid());
	struct tg_sink_stats st;
	int i;

	submit(s, 0);
	assert_int_equal(tg_sink_flush(s, 5000), 0);
	stop_collector(pid, SIGKILL);
	for (i = 1; i < 4; i++)
		submit(s, i);
	assert_int_equal(tg_sink_flush(s, 300), -ETIMEDOUT);
	tg_sink_stats(s, &st);
	assert_int_equal(st.queued, 3);
	pid = start_collector();
	assert_int_equal(tg_sink_flush(s, 5000), 0);
	assert_int_equal(log_lines(), 4);
	tg_sink_free(s);
	stop_collector(pid, SIGTERM);
}

static void test_queue_full(void **state)
{
	struct tg_sink *s = tg_sink_new(sock, 2, geteuid()); /* no collector */
	struct tg_sink_stats st;

	submit(s, 0);
	submit(s, 1);
	assert_int_equal(tg_sink_submit(s, "{}", 2), -ENOBUFS);
	tg_sink_stats(s, &st);
	assert_int_equal(st.dropped, 1);
	assert_int_equal(st.queued, 2);
	assert_int_equal(st.connected, 0);
	tg_sink_free(s);
}

/* A raw client: connect and say HELLO for stream; returns the fd and the ack.
 */
static int raw_client(__u64 stream, __u64 *acked)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	char buf[TG_WIRE_MAX_FRAME];
	struct tg_frame_hdr h;
	char why[128] = "";
	ssize_t n;
	int fd;

	strcpy(sa.sun_path, sock);
	fd = socket(AF_UNIX, SOCK_SEQPACKET, 0);
	assert_int_equal(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(
		tg_wire_send(fd, TG_FRAME_HELLO, 0, &stream, sizeof(stream)),
		0);
	n = recv(fd, buf, sizeof(buf), 0);
	assert_int_equal(tg_wire_check(buf, (size_t)n, &h, why, sizeof(why)),
			 0);
	assert_int_equal(h.type, TG_FRAME_ACK);
	*acked = h.seq;
	return fd;
}

/* Read frames until one that is not an ACK or the peer closes; its type. */
static int next_non_ack(int fd, __u64 *last_ack, char *buf, size_t len)
{
	struct tg_frame_hdr h;
	char why[128] = "";
	ssize_t n;

	for (;;) {
		n = recv(fd, buf, len, 0);
		if (n <= 0)
			return 0;
		assert_int_equal(
			tg_wire_check(buf, (size_t)n, &h, why, sizeof(why)), 0);
		if (h.type != TG_FRAME_ACK)
			return h.type;
		*last_ack = h.seq;
	}
}

static void test_collector_rejects_garbage(void **state)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	pid_t pid = start_collector();
	char buf[TG_WIRE_MAX_FRAME];
	struct tg_frame_hdr h;
	char why[128] = "";
	struct tg_sink *s;
	__u64 ack = 0;
	ssize_t n;
	int fd;

	strcpy(sa.sun_path, sock);
	fd = socket(AF_UNIX, SOCK_SEQPACKET, 0);
	assert_int_equal(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(send(fd, "garbage!garbage!garbage!garbage!", 32, 0),
			 32);
	n = recv(fd, buf, sizeof(buf), 0);
	assert_int_equal(tg_wire_check(buf, (size_t)n, &h, why, sizeof(why)),
			 0);
	assert_int_equal(h.type, TG_FRAME_ERROR);
	assert_int_equal(recv(fd, buf, sizeof(buf), 0), 0); /* closed */
	close(fd);
	/* An event before HELLO is refused. */
	fd = socket(AF_UNIX, SOCK_SEQPACKET, 0);
	assert_int_equal(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(tg_wire_send(fd, TG_FRAME_EVENT, 1, "{}", 2), 0);
	assert_int_equal(next_non_ack(fd, &ack, buf, sizeof(buf)),
			 TG_FRAME_ERROR);
	close(fd);
	/* Out of order and non-object payloads are refused as well. */
	fd = raw_client(77, &ack);
	assert_int_equal(ack, 0);
	assert_int_equal(tg_wire_send(fd, TG_FRAME_EVENT, 5, "{}", 2), 0);
	assert_int_equal(tg_wire_send(fd, TG_FRAME_EVENT, 7, "{}", 2), 0);
	assert_int_equal(next_non_ack(fd, &ack, buf, sizeof(buf)),
			 TG_FRAME_ERROR);
	assert_memory_equal(buf + sizeof(h), "frame out of order", 18);
	/* Not consumed: the error names no frame, so the agent keeps it. */
	assert_int_equal(((struct tg_frame_hdr *)buf)->seq, 0);
	close(fd);
	fd = raw_client(78, &ack);
	assert_int_equal(tg_wire_send(fd, TG_FRAME_EVENT, 1, "[1,2]", 5), 0);
	assert_int_equal(next_non_ack(fd, &ack, buf, sizeof(buf)),
			 TG_FRAME_ERROR);
	close(fd);
	/* The collector is still up and storing. */
	s = tg_sink_new(sock, 4, geteuid());
	submit(s, 1);
	assert_int_equal(tg_sink_flush(s, 5000), 0);
	tg_sink_free(s);
	assert_int_equal(log_lines(), 2); /* seq 5 and the sink's one */
	/* Streams 77, 78 and the sink's ended; HELLO-less peers record none. */
	assert_int_equal(wait_disconnects(3), 3);
	stop_collector(pid, SIGTERM);
	assert_int_equal(log_grep(DISCONNECTED), 3);
}

/* Read acks until want is acknowledged. */
static void wait_ack(int fd, __u64 want)
{
	char buf[TG_WIRE_MAX_FRAME];
	struct tg_frame_hdr h;
	char why[128] = "";
	ssize_t n;

	do {
		n = recv(fd, buf, sizeof(buf), 0);
		assert_true(n > 0);
		assert_int_equal(
			tg_wire_check(buf, (size_t)n, &h, why, sizeof(why)), 0);
		/* The collector may say whether it can write its log. */
		if (h.type == TG_FRAME_STATUS)
			continue;
		assert_int_equal(h.type, TG_FRAME_ACK);
	} while (h.type != TG_FRAME_ACK || h.seq < want);
}

/* Frames resent after a lost ack, also across a collector crash, are stored
 * once. */
static void test_no_duplicates_after_lost_ack(void **state)
{
	pid_t pid = start_collector();
	__u64 ack = 0, i;
	int fd;

	fd = raw_client(0xabc, &ack);
	for (i = 1; i <= 3; i++)
		assert_int_equal(
			tg_wire_send(fd, TG_FRAME_EVENT, i, "{\"a\":1}", 7), 0);
	wait_ack(fd, 3);
	close(fd);
	assert_int_equal(log_lines(), 3);
	/* The ack was "lost": reconnect and resend 2..4. */
	fd = raw_client(0xabc, &ack);
	assert_int_equal(ack, 3);
	for (i = 2; i <= 4; i++)
		assert_int_equal(
			tg_wire_send(fd, TG_FRAME_EVENT, i, "{\"a\":1}", 7), 0);
	wait_ack(fd, 4);
	close(fd);
	stop_collector(pid, SIGKILL);
	assert_int_equal(log_lines(), 4);
	/* After a crash the collector learns the stream's position from the
	 * log. */
	pid = start_collector();
	fd = raw_client(0xabc, &ack);
	assert_int_equal(ack, 4);
	for (i = 3; i <= 6; i++)
		assert_int_equal(
			tg_wire_send(fd, TG_FRAME_EVENT, i, "{\"a\":1}", 7), 0);
	wait_ack(fd, 6);
	close(fd);
	stop_collector(pid, SIGTERM);
	assert_int_equal(log_lines(), 6);
}

/*
 * The HELLO's ack may arrive while the agent is resending: it then skips the
 * acked frames it has not resent yet. The next frame is taken.
 */
static void test_skip_over_acked_frames(void **state)
{
	pid_t pid = start_collector();
	__u64 ack = 0, i;
	int fd;

	fd = raw_client(0xdef, &ack);
	for (i = 1; i <= 3; i++)
		assert_int_equal(
			tg_wire_send(fd, TG_FRAME_EVENT, i, "{\"a\":1}", 7), 0);
	wait_ack(fd, 3);
	close(fd);
	/* Resent frame 1, then the ack for 3 came: 2 and 3 are skipped. */
	fd = raw_client(0xdef, &ack);
	assert_int_equal(ack, 3);
	assert_int_equal(tg_wire_send(fd, TG_FRAME_EVENT, 1, "{\"a\":1}", 7),
			 0);
	assert_int_equal(tg_wire_send(fd, TG_FRAME_EVENT, 4, "{\"a\":1}", 7),
			 0);
	wait_ack(fd, 4);
	close(fd);
	stop_collector(pid, SIGTERM);
	assert_int_equal(log_lines(), 4);
}

/* A peer with another uid gets an error frame naming its uid; the sink keeps
 * its events. */
static void test_peer_uid_rejected(void **state)
{
	pid_t pid = start_collector_uid(getuid() + 1);
	struct tg_sink *s = tg_sink_new(sock, 4, geteuid());
	struct tg_sink_stats st;
	char want[64];

	submit(s, 1);
	assert_int_equal(tg_sink_flush(s, 500), -ETIMEDOUT);
	tg_sink_stats(s, &st);
	snprintf(want, sizeof(want), "collector: peer uid %u not allowed",
		 (unsigned int)getuid());
	assert_true(st.rejected >= 1);
	assert_string_equal(st.last_error, want);
	assert_int_equal(st.queued, 1);
	assert_int_equal(st.dropped, 0);
	tg_sink_free(s);
	stop_collector(pid, SIGTERM);
	/* A refused peer records nothing. */
	assert_int_equal(log_grep(NULL) - log_grep(COLLECTOR_OWN), 0);
}

/* A judge of the listener: refuses it, and counts what it was shown. */
static int judged;

static int judge_no(void *ctx, const struct tg_peer *p, char *why, size_t len)
{
	judged++;
	assert_int_equal(p->err, 0); /* its cgroup was read */
	snprintf(why, len, "%s", ctx ? (const char *)ctx : "");
	return ctx ? -EPERM : 0;
}

/*
 * A listener of the collector's uid is judged further: refused as any
 * other when the judge says so (with its reason), taken when it agrees.
 */
static void test_listener_judged(void **state)
{
	pid_t pid = start_collector();
	struct tg_sink *s = tg_sink_new(sock, 4, geteuid());
	struct tg_sink_stats st;
	const char *why = NULL;
	char want[256];

	tg_sink_set_judge(s, judge_no, "it runs in tenant acme's cgroup");
	submit(s, 1);
	assert_int_equal(tg_sink_flush(s, 300), -ETIMEDOUT);
	tg_sink_stats(s, &st);
	assert_true(st.refused >= 1);
	assert_int_equal(st.refusals, 1);
	assert_int_equal(st.acked, 0);
	snprintf(want, sizeof(want),
		 "%s: listener uid %u (pid %d) refused: it runs in tenant "
		 "acme's cgroup",
		 sock, (unsigned int)geteuid(), (int)pid);
	assert_string_equal(st.last_error, want);
	assert_non_null(tg_sink_refused_peer(s, &why));
	assert_string_equal(why, "it runs in tenant acme's cgroup");
	judged = 0;
	tg_sink_set_judge(s, judge_no, NULL);
	assert_int_equal(tg_sink_flush(s, 5000), 0);
	assert_int_equal(judged, 1);
	assert_int_equal(log_lines(), 1);
	tg_sink_free(s);
	stop_collector(pid, SIGTERM);
}

/*
 * A listener of another uid than the collector's is refused at connect:
 * nothing is sent to it (not even HELLO), the events stay queued, the
 * refusal is counted once per episode and says why; a sink expecting the
 * listener's uid then delivers them.
 */
static void test_listener_uid_refused(void **state)
{
	pid_t pid = start_collector();
	struct tg_sink *s = tg_sink_new(sock, 4, geteuid() + 1);
	struct tg_sink_stats st;
	const char *why = "";
	char want[256];

	submit(s, 1);
	assert_int_equal(tg_sink_flush(s, 500), -ETIMEDOUT);
	tg_sink_stats(s, &st);
	assert_true(st.refused >= 2); /* retried */
	assert_int_equal(st.refusals, 1);
	assert_int_equal(st.connected, 0);
	assert_int_equal(st.acked, 0);
	assert_int_equal(st.queued, 1);
	snprintf(want, sizeof(want),
		 "%s: listener uid %u (pid %d) refused: the collector's uid "
		 "is %u",
		 sock, (unsigned int)geteuid(), (int)pid,
		 (unsigned int)geteuid() + 1);
	assert_string_equal(st.last_error, want);
	assert_non_null(tg_sink_refused_peer(s, &why));
	assert_int_equal(tg_sink_refused_peer(s, &why)->pid, pid);
	assert_null(why); /* the uid */
	tg_sink_free(s);
	/* Not even a connection record: no HELLO reached it. */
	assert_int_equal(log_grep(NULL) - log_grep(COLLECTOR_OWN), 0);

	s = tg_sink_new(sock, 4, (uid_t)-1); /* the user is unknown */
	submit(s, 1);
	assert_int_equal(tg_sink_flush(s, 300), -ETIMEDOUT);
	tg_sink_stats(s, &st);
	assert_true(st.refused >= 1);
	assert_non_null(
		strstr(st.last_error, "the collector's user is unknown"));
	tg_sink_free(s);

	s = tg_sink_new(sock, 4, geteuid());
	submit(s, 1);
	assert_int_equal(tg_sink_flush(s, 5000), 0);
	tg_sink_stats(s, &st);
	assert_int_equal(st.refused, 0);
	assert_null(tg_sink_refused_peer(s, &why));
	assert_int_equal(log_lines(), 1);
	tg_sink_free(s);
	stop_collector(pid, SIGTERM);
}

#define STOP_EVENT "{\"kind\":\"agent\",\"op\":\"stop\",\"n\":0}"

/* The fields every record of an ended connection has, of this process. */
static void check_disconnected(struct json_object *o, const char *stream)
{
	char comm[16], pid[16];

	assert_int_equal(tg_proc_comm(0, comm, sizeof(comm)), 0);
	snprintf(pid, sizeof(pid), "%d", (int)getpid());
	assert_true(json_object_get_int64(json_object_object_get(o, "seq")) >
		    0);
	assert_int_equal(strlen(field(o, "time")), 30);
	assert_string_not_equal(field(o, "host"), "(none)");
	assert_string_equal(field(o, "kind"), "agent");
	assert_string_equal(field(o, "op"), "disconnected");
	assert_string_equal(field(o, "verdict"), "allow");
	assert_string_equal(field(o, "tenant"), "host");
	assert_string_equal(field(o, "target_tenant"), "host");
	assert_string_equal(field(o, "pid"), pid);
	assert_string_equal(field(o, "comm"), comm);
	assert_string_equal(field(o, "agent_stream"), stream);
}

/*
 * An agent that stops sends its "stop" event last, then closes: the
 * collector records the end as clean, also when it learnt the stream's
 * position from its log after a crash.
 */
static void test_disconnect_after_stop(void **state)
{
	pid_t pid = start_collector();
	struct tg_sink *s = tg_sink_new(sock, 16, geteuid());
	struct json_object *stop, *o;
	char stream[32];
	__u64 ack = 0;
	int fd;

	submit(s, 1);
	assert_int_equal(tg_sink_submit(s, STOP_EVENT, strlen(STOP_EVENT)), 0);
	assert_int_equal(tg_sink_flush(s, 5000), 0);
	tg_sink_free(s);
	assert_int_equal(wait_disconnects(1), 1);
	stop = log_event("\"op\":\"stop\"", 0);
	snprintf(stream, sizeof(stream), "%s", field(stop, "agent_stream"));
	assert_string_equal(field(stop, "agent_seq"), "2");
	o = log_event(DISCONNECTED, 0);
	check_disconnected(o, stream);
	assert_string_equal(field(o, "last_agent_seq"), "2");
	assert_string_equal(field(o, "clean"), "true");
	assert_string_equal(field(o, "events_stored"), "2");
	assert_string_equal(field(o, "message"),
			    "the agent's connection ended after it stopped");
	assert_true(json_object_get_int64(json_object_object_get(o, "seq")) >
		    json_object_get_int64(json_object_object_get(stop, "seq")));
	json_object_put(o);
	json_object_put(stop);
	/* The stream's last event, read back from the log after a crash. */
	stop_collector(pid, SIGKILL);
	pid = start_collector();
	fd = raw_client(strtoull(stream, NULL, 16), &ack);
	assert_int_equal(ack, 2);
	close(fd);
	assert_int_equal(wait_disconnects(2), 2);
	o = log_event(DISCONNECTED, 1);
	check_disconnected(o, stream);
	assert_string_equal(field(o, "clean"), "true");
	assert_string_equal(field(o, "last_agent_seq"), "2");
	assert_string_equal(field(o, "events_stored"), "0");
	json_object_put(o);
	stop_collector(pid, SIGTERM);
	assert_int_equal(log_lines(), 2);
}

/*
 * A connection that ends without the agent's "stop" last (a crash, kill -9)
 * is recorded as lost, with where its stream stands in the log.
 */
static void test_disconnect_lost(void **state)
{
	pid_t pid = start_collector();
	struct json_object *o;
	__u64 ack = 0, i;
	int fd;

	fd = raw_client(0x1057, &ack);
	for (i = 1; i <= 3; i++)
		assert_int_equal(
			tg_wire_send(fd, TG_FRAME_EVENT, i, "{\"a\":1}", 7), 0);
	wait_ack(fd, 3);
	close(fd);
	assert_int_equal(wait_disconnects(1), 1);
	o = log_event(DISCONNECTED, 0);
	check_disconnected(o, "0000000000001057");
	assert_string_equal(field(o, "last_agent_seq"), "3");
	assert_string_equal(field(o, "clean"), "false");
	assert_string_equal(field(o, "events_stored"), "3");
	assert_non_null(strstr(field(o, "message"),
			       "the agent's connection was lost: events it "
			       "produced after agent_seq 3 reach the log only "
			       "when it comes back"));
	json_object_put(o);
	/* A "stop" that is not the last event stored is no clean end. */
	fd = raw_client(0x1057, &ack);
	assert_int_equal(tg_wire_send(fd, TG_FRAME_EVENT, 4, STOP_EVENT,
				      strlen(STOP_EVENT)),
			 0);
	assert_int_equal(tg_wire_send(fd, TG_FRAME_EVENT, 5, "{\"a\":1}", 7),
			 0);
	wait_ack(fd, 5);
	close(fd);
	assert_int_equal(wait_disconnects(2), 2);
	o = log_event(DISCONNECTED, 1);
	assert_string_equal(field(o, "last_agent_seq"), "5");
	assert_string_equal(field(o, "clean"), "false");
	assert_string_equal(field(o, "events_stored"), "2");
	json_object_put(o);
	stop_collector(pid, SIGTERM);
	assert_int_equal(log_lines(), 5);
	assert_int_equal(log_grep(DISCONNECTED), 2);
}

/*
 * A peer with the agent's uid in the tenants cgroup (here: this process's
 * own cgroup) is refused, its cgroup named; one in a sibling whose name
 * starts the same is not.
 */
static void test_peer_in_tenants_cgroup_rejected(void **state)
{
	char self[PATH_MAX - 8], why[TG_PEER_WHY_LEN], want[PATH_MAX + 64];
	struct tg_sink_stats st;
	struct tg_sink *s;
	pid_t pid;

	assert_int_equal(tg_cgroup_file_read("/proc/self/cgroup", self,
					     sizeof(self), why, sizeof(why)),
			 0);
	snprintf(tenants_cg, sizeof(tenants_cg), "%s", self);
	pid = start_collector();
	s = tg_sink_new(sock, 4, geteuid());
	submit(s, 1);
	assert_int_equal(tg_sink_flush(s, 500), -ETIMEDOUT);
	tg_sink_stats(s, &st);
	snprintf(want, sizeof(want),
		 "collector: peer in a tenant's cgroup (%s) not allowed", self);
	assert_true(st.rejected >= 1);
	assert_string_equal(st.last_error, want);
	assert_int_equal(st.queued, 1);
	tg_sink_free(s);
	stop_collector(pid, SIGTERM);
	assert_int_equal(log_lines(), 0);

	/* In the root cgroup: a tenants cgroup elsewhere. */
	snprintf(tenants_cg, sizeof(tenants_cg), "%s-x",
		 strcmp(self, "/") ? self : "/tenants");
	pid = start_collector();
	s = tg_sink_new(sock, 4, geteuid());
	submit(s, 1);
	assert_int_equal(tg_sink_flush(s, 5000), 0);
	tg_sink_free(s);
	stop_collector(pid, SIGTERM);
	assert_int_equal(log_lines(), 1);
}

/* Replace a dead collector's socket, never a live one or a non-socket. */
static void test_socket_path(void **state)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	struct tg_collector c2 = {.state_dir = statep};
	char other_log[160];
	const char *what = NULL;
	struct tg_sink *s;
	pid_t pid;
	int fd;

	snprintf(other_log, sizeof(other_log), "%s/other.jsonl", dir);
	/* A regular file in the way is left alone. */
	fd = open(sock, O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
	close(fd);
	assert_int_equal(
		tg_collector_open(&c2, sock, other_log, getuid(), 0, 0, &what),
		-EEXIST);
	assert_string_equal(what, sock);
	unlink(sock);
	/* A stale socket file (nobody listening) is replaced. */
	strcpy(sa.sun_path, sock);
	fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	close(fd);
	pid = start_collector();
	/* A live one is not. */
	memset(&c2, 0, sizeof(c2));
	c2.state_dir = statep;
	assert_int_equal(
		tg_collector_open(&c2, sock, other_log, getuid(), 0, 0, &what),
		-EADDRINUSE);
	/* Nor is its log shared with a second collector. */
	snprintf(other_log, sizeof(other_log), "%s/other.sock", dir);
	memset(&c2, 0, sizeof(c2));
	c2.state_dir = statep;
	assert_int_equal(
		tg_collector_open(&c2, other_log, logp, getuid(), 0, 0, &what),
		-EBUSY);
	assert_string_equal(what, logp);
	assert_int_equal(access(other_log, F_OK), -1);
	/*
	 * A log that cannot be opened leaves no socket behind (only the
	 * log's own directory is created when missing, not its parents).
	 */
	memset(&c2, 0, sizeof(c2));
	c2.state_dir = statep;
	assert_int_equal(tg_collector_open(&c2, other_log,
					   "/nonexistent-tg/log/e.jsonl",
					   getuid(), 0, 0, &what),
			 -ENOENT);
	assert_string_equal(what, "/nonexistent-tg/log/e.jsonl");
	assert_int_equal(access("/nonexistent-tg", F_OK), -1);
	assert_int_equal(access(other_log, F_OK), -1);
	/* The first collector still works. */
	s = tg_sink_new(sock, 4, geteuid());
	submit(s, 1);
	assert_int_equal(tg_sink_flush(s, 5000), 0);
	tg_sink_free(s);
	stop_collector(pid, SIGTERM);
	assert_int_equal(log_lines(), 1);
	assert_int_equal(access(sock, F_OK), -1); /* removed at exit */
}

/*
 * Between bind and listen a starting collector's socket looks stale: the
 * log's lock stops a second collector before it could replace it.
 */
static void test_starting_collector_keeps_socket(void **state)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	struct tg_collector c2 = {.state_dir = statep};
	const char *what = NULL;
	struct stat before, after;
	struct tg_eventlog l;
	int fd;

	/* The first collector: log open, socket bound, not yet listening. */
	assert_int_equal(tg_eventlog_open(&l, logp, 0, 0), 0);
	strcpy(sa.sun_path, sock);
	fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(lstat(sock, &before), 0);
	assert_int_equal(
		tg_collector_open(&c2, sock, logp, getuid(), 0, 0, &what),
		-EBUSY);
	assert_string_equal(what, logp);
	assert_int_equal(lstat(sock, &after), 0);
	assert_true(after.st_ino == before.st_ino);
	close(fd);
	tg_eventlog_close(&l);
}

/* Closing removes the collector's own socket file, never a newer one. */
static void test_close_keeps_replaced_socket(void **state)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	struct tg_collector c = {.state_dir = statep};
	const char *what = NULL;
	struct stat before, after;
	int fd;

	assert_int_equal(
		tg_collector_open(&c, sock, logp, getuid(), 0, 0, &what), 0);
	/* The file was removed and someone else bound the path. */
	assert_int_equal(unlink(sock), 0);
	strcpy(sa.sun_path, sock);
	fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(lstat(sock, &before), 0);
	tg_collector_close(&c);
	assert_int_equal(lstat(sock, &after), 0);
	assert_true(after.st_ino == before.st_ino);
	close(fd);
}

/*
 * Expect an error frame naming seq (0: none) whose text starts with want,
 * then the close.
 */
static void expect_error_frame(int fd, __u64 seq, const char *want)
{
	char buf[TG_WIRE_MAX_FRAME];
	struct tg_frame_hdr *h = (struct tg_frame_hdr *)buf;
	__u64 ack = 0;

	assert_int_equal(next_non_ack(fd, &ack, buf, sizeof(buf)),
			 TG_FRAME_ERROR);
	assert_true(h->len >= strlen(want));
	assert_memory_equal(buf + sizeof(*h), want, strlen(want));
	assert_int_equal(h->seq, seq);
	assert_int_equal(recv(fd, buf, sizeof(buf), 0), 0);
	close(fd);
}

/* Payloads that are not storable JSON are refused; the collector stays up. */
static void test_hostile_payloads(void **state)
{
	static const char *bad[] = {
		"{\"a\":NaN}",
		"{\"a\":-Infinity}",
		"{\"a\":\"\xff\"}",
		"{\"a\":[[[[[[[[[1]]]]]]]]]}",
		"{\"a\":1}{}",
		"{\"a\":1",
		"\"str\"",
		"{\"seq\":1}",
		"{\"agent_seq\":1}",
		/* json-c's strict mode takes these; a log line must not. */
		"{\"a\":\"x\ny\"}",
		"{\"a\":1.}",
	};
	pid_t pid = start_collector();
	__u64 ack = 0;
	size_t i;
	int fd;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		fd = raw_client(100 + i, &ack);
		assert_int_equal(
			tg_wire_send(fd, TG_FRAME_EVENT, 1, "{\"ok\":1}", 8),
			0);
		assert_int_equal(tg_wire_send(fd, TG_FRAME_EVENT, 2, bad[i],
					      (__u32)strlen(bad[i])),
				 0);
		expect_error_frame(
			fd, 2, i < 2 ? "payload holds a number" : "payload");
		/* The refused frame is consumed: a resend is acked, not stored.
		 */
		fd = raw_client(100 + i, &ack);
		assert_int_equal(ack, 2);
		close(fd);
	}
	/* An ack frame from the agent is refused too. */
	fd = raw_client(999, &ack);
	assert_int_equal(tg_wire_send(fd, TG_FRAME_ACK, 1, NULL, 0), 0);
	expect_error_frame(fd, 0, "only hello, event and batch frames");
	stop_collector(pid, SIGTERM);
	assert_int_equal(log_lines(), (int)(sizeof(bad) / sizeof(bad[0])));
}

/* After a refused frame and a collector crash, later frames still go in. */
static void test_resume_after_refused_frame(void **state)
{
	pid_t pid = start_collector();
	__u64 ack = 0;
	int fd;

	fd = raw_client(0x55, &ack);
	assert_int_equal(tg_wire_send(fd, TG_FRAME_EVENT, 1, "{\"a\":1}", 7),
			 0);
	assert_int_equal(tg_wire_send(fd, TG_FRAME_EVENT, 2, "[]", 2), 0);
	expect_error_frame(fd, 2, "payload is not one JSON object");
	stop_collector(pid, SIGKILL);
	/* The log ends with frame 1; the agent goes on with frame 3. */
	pid = start_collector();
	fd = raw_client(0x55, &ack);
	assert_int_equal(ack, 1);
	assert_int_equal(tg_wire_send(fd, TG_FRAME_EVENT, 3, "{\"a\":3}", 7),
			 0);
	wait_ack(fd, 3);
	close(fd);
	stop_collector(pid, SIGTERM);
	assert_int_equal(log_lines(), 2);
}

/* A frame whose commit failed is never acked: the client is dropped. */
static void test_commit_failure_drops_client(void **state)
{
	struct timeval tv = {.tv_sec = 5};
	char buf[TG_WIRE_MAX_FRAME];
	__u64 ack = 0;
	pid_t pid;
	int fd;

	/* The collector's first two commits: its start's, frame 1's. */
	fail_syncs = 2;
	pid = start_collector();
	fd = raw_client(0x66, &ack);
	assert_int_equal(ack, 0);
	assert_int_equal(
		setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)), 0);
	assert_int_equal(tg_wire_send(fd, TG_FRAME_EVENT, 1, "{\"a\":1}", 7),
			 0);
	/* Closed, with no ack for frame 1; the log does not hold it. */
	assert_int_equal(recv(fd, buf, sizeof(buf), 0), 0);
	close(fd);
	assert_int_equal(log_lines(), 0);
	/* The stream is where it was: the resend is stored and acked. */
	fd = raw_client(0x66, &ack);
	assert_int_equal(ack, 0);
	assert_int_equal(tg_wire_send(fd, TG_FRAME_EVENT, 1, "{\"a\":1}", 7),
			 0);
	wait_ack(fd, 1);
	close(fd);
	stop_collector(pid, SIGTERM);
	assert_int_equal(log_lines(), 1);
}

/* An ack that would block is sent once the agent reads again. */
static void test_ack_after_full_socket(void **state)
{
	struct timeval tv = {.tv_sec = 3};
	__u64 ack = 0, i;
	pid_t pid;
	int fd;

	collector_sndbuf = 1; /* the minimum: a few unread acks fill it */
	pid = start_collector();
	fd = raw_client(0x99, &ack);
	/* About one frame per round, and no ack read meanwhile. */
	for (i = 1; i <= 100; i++) {
		assert_int_equal(
			tg_wire_send(fd, TG_FRAME_EVENT, i, "{\"a\":1}", 7), 0);
		usleep(2000);
	}
	usleep(100000);
	assert_int_equal(
		setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)), 0);
	wait_ack(fd, 100);
	close(fd);
	stop_collector(pid, SIGTERM);
	assert_int_equal(log_lines(), 100);
}

static void test_oversized(void **state)
{
	struct tg_sink *s = tg_sink_new(sock, 2, geteuid());
	struct tg_sink_stats st;
	char *big = calloc(1, TG_WIRE_MAX_PAYLOAD + 1);

	assert_non_null(big);
	assert_int_equal(tg_sink_submit(s, big, TG_WIRE_MAX_PAYLOAD + 1),
			 -EMSGSIZE);
	free(big);
	tg_sink_stats(s, &st);
	assert_int_equal(st.dropped, 1);
	assert_int_equal(st.oversized, 1);
	assert_int_equal(st.queued, 0);
	tg_sink_free(s);
	assert_null(tg_sink_new(sock, 0, geteuid()));
	assert_int_equal(errno, EINVAL);
}

/* The log's events as "stream:agent_seq:n" joined by spaces (first 64). */
static char *log_order(void)
{
	static char out[8192];
	char line[2048], stream[32];
	struct json_object *o, *v;
	FILE *f = fopen(logp, "r");
	size_t k = 0;
	int i = 0;

	out[0] = '\0';
	if (!f)
		return out;
	while (fgets(line, sizeof(line), f) && i < 64) {
		if (strstr(line, DISCONNECTED) || strstr(line, COLLECTOR_OWN))
			continue;
		i++;
		o = json_tokener_parse(line);
		assert_non_null(o);
		assert_true(json_object_object_get_ex(o, "agent_stream", &v));
		snprintf(stream, sizeof(stream), "%s",
			 json_object_get_string(v));
		assert_true(json_object_object_get_ex(o, "agent_seq", &v));
		k += (size_t)snprintf(out + k, sizeof(out) - k, "%s%c:%lld",
				      k ? " " : "", stream[15],
				      (long long)json_object_get_int64(v));
		assert_true(json_object_object_get_ex(o, "n", &v));
		k += (size_t)snprintf(out + k, sizeof(out) - k, ":%d",
				      json_object_get_int(v));
		json_object_put(o);
	}
	fclose(f);
	return out;
}

static struct tg_sink *spooled_sink(size_t queue, __u64 max)
{
	char sp_dir[160];
	struct tg_sink *s = tg_sink_new(sock, queue, geteuid());
	struct tg_spool *sp;

	snprintf(sp_dir, sizeof(sp_dir), "%s/spool", dir);
	sp = tg_spool_open(sp_dir, max, 4096, NULL);
	assert_non_null(s);
	assert_non_null(sp);
	tg_sink_set_spool(s, sp);
	return s;
}

/*
 * Collector down: what the memory queue cannot hold goes to the spool, and
 * all of it reaches the log in order once the collector is back.
 */
static void test_spool_while_down(void **state)
{
	struct tg_sink *s = spooled_sink(4, 1 << 20);
	struct tg_sink_stats st;
	pid_t pid;
	int i;

	for (i = 1; i <= 200; i++)
		submit(s, i);
	tg_sink_process(s);
	tg_sink_stats(s, &st);
	assert_int_equal(st.dropped, 0);
	assert_int_equal(st.spool_records, 200);
	assert_int_equal(st.queued, 0);
	assert_true(st.oldest_ns > 0);
	pid = start_collector();
	/* Arriving while the spool drains: they wait behind it. */
	for (i = 201; i <= 210; i++)
		submit(s, i);
	assert_int_equal(tg_sink_flush(s, 5000), 0);
	tg_sink_stats(s, &st);
	assert_int_equal(st.acked, 210);
	assert_int_equal(st.spool_records, 0);
	assert_int_equal(st.oldest_ns, 0);
	assert_int_equal(log_lines(), 210);
	{
		char *o = log_order(), want[64];

		for (i = 1; i <= 64; i++) {
			snprintf(want, sizeof(want), ":%d:%d", i, i);
			assert_non_null(strstr(o, want));
		}
	}
	/* Back to memory once the spool is empty. */
	submit(s, 211);
	assert_int_equal(tg_sink_flush(s, 5000), 0);
	tg_sink_stats(s, &st);
	assert_int_equal(st.spooled, 210);
	tg_sink_free(s);
	stop_collector(pid, SIGTERM);
	assert_int_equal(log_lines(), 211);
}

/*
 * An agent stopping with the collector down keeps its events in the spool;
 * the next run delivers them first, under the first run's stream, then its
 * own; a collector crash in between stores nothing twice.
 */
static void test_spool_across_agent_restart(void **state)
{
	struct tg_sink *s = spooled_sink(8, 1 << 20);
	struct tg_sink_stats st;
	char *o;
	pid_t pid;
	int i;

	pid = start_collector();
	for (i = 1; i <= 3; i++)
		submit(s, i);
	assert_int_equal(tg_sink_flush(s, 5000), 0);
	stop_collector(pid, SIGKILL);
	for (i = 4; i <= 6; i++)
		submit(s, i); /* in memory: the queue has room */
	tg_sink_free(s);      /* moved to the spool */

	s = spooled_sink(8, 1 << 20);
	for (i = 7; i <= 9; i++)
		submit(s, i);
	pid = start_collector();
	assert_int_equal(tg_sink_flush(s, 5000), 0);
	tg_sink_stats(s, &st);
	assert_int_equal(st.dropped, 0);
	assert_int_equal(st.acked, 6);
	assert_int_equal(log_lines(), 9);
	o = log_order();
	/* 1..6 under the first stream, seq 1..6; then 7..9 as seq 1..3. */
	for (i = 1; i <= 9; i++) {
		char want[32];

		snprintf(want, sizeof(want), ":%d:%d", i <= 6 ? i : i - 6, i);
		assert_non_null(strstr(o, want));
	}
	assert_true(strstr(o, ":6:6") < strstr(o, ":1:7"));
	tg_sink_free(s);
	stop_collector(pid, SIGTERM);
}

/*
 * Spooling every frame: an agent killed before it sent or acked anything
 * (its memory gone with it) leaves every frame it took in the spool, and
 * the next run delivers them; the frames it sent are not stored twice.
 * Without spooling every frame the same kill loses them (the control).
 */
static void killed_agent_run(int all, int sent_first)
{
	struct tg_sink *s;
	pid_t child;
	int st, i;

	child = fork();
	assert_true(child >= 0);
	if (!child) {
		s = spooled_sink(64, 1 << 20);
		tg_sink_spool_all(s, all);
		for (i = 1; i <= sent_first; i++)
			submit(s, i);
		if (sent_first && tg_sink_flush(s, 5000))
			_exit(3);
		for (i = sent_first + 1; i <= sent_first + 5; i++)
			submit(s, i);
		raise(SIGKILL);
		_exit(2);
	}
	assert_int_equal(waitpid(child, &st, 0), child);
	assert_true(WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL);
}

static void test_spool_all_survives_kill(void **state)
{
	struct tg_sink *s;
	struct tg_sink_stats st;
	pid_t pid;

	pid = start_collector();
	killed_agent_run(1, 3);
	s = spooled_sink(64, 1 << 20);
	assert_int_equal(tg_sink_flush(s, 5000), 0);
	tg_sink_stats(s, &st);
	assert_int_equal(st.dropped, 0);
	assert_int_equal(st.spool_records, 0);
	/* 3 delivered by the killed run, 5 by this one from its spool. */
	assert_int_equal(log_lines(), 8);
	tg_sink_free(s);
	stop_collector(pid, SIGTERM);
}

static void test_spool_some_lost_to_kill(void **state)
{
	struct tg_sink *s;
	pid_t pid;

	pid = start_collector();
	killed_agent_run(0, 3);
	s = spooled_sink(64, 1 << 20);
	assert_int_equal(tg_sink_flush(s, 5000), 0);
	assert_int_equal(log_lines(), 3);
	tg_sink_free(s);
	stop_collector(pid, SIGTERM);
}

/* Spool full too: drops are counted with their reason, nothing else lost. */
static void test_spool_full(void **state)
{
	struct tg_sink *s = spooled_sink(2, 8192);
	struct tg_sink_stats st;
	pid_t pid;
	int i, taken = 0;

	for (i = 1; i <= 400; i++) {
		char ev[64];

		snprintf(ev, sizeof(ev), "{\"n\":%d}", i);
		taken += tg_sink_submit(s, ev, strlen(ev)) == 0;
	}
	tg_sink_stats(s, &st);
	assert_true(taken > 100 && taken < 400);
	assert_int_equal(st.dropped, 400 - taken);
	assert_int_equal(st.dropped_spool_full, 400 - taken);
	assert_int_equal(st.submitted, taken);
	assert_true(st.spool_bytes <= 8192);
	/* No room for a drop report either: it waits. */
	assert_false(tg_sink_has_room(s));
	pid = start_collector();
	assert_int_equal(tg_sink_flush(s, 5000), 0);
	assert_true(tg_sink_has_room(s));
	assert_int_equal(log_lines(), taken);
	tg_sink_free(s);
	stop_collector(pid, SIGTERM);
}

/*
 * The log cannot be written (disk full): the collector stays up, acks
 * nothing it could not store, tells the agent, and stores everything, in
 * order, once space returns.
 */
static void test_log_full_stalls(void **state)
{
	struct tg_sink *s = tg_sink_new(sock, 64, geteuid());
	struct tg_sink_stats st;
	pid_t pid = start_collector();
	int i, fd;

	submit(s, 0);
	assert_int_equal(tg_sink_flush(s, 5000), 0);
	fd = open(nospace, O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
	close(fd);
	for (i = 1; i <= 5; i++)
		submit(s, i);
	assert_int_equal(tg_sink_flush(s, 1500), -ETIMEDOUT);
	tg_sink_stats(s, &st);
	assert_int_equal(st.acked, 1);
	assert_int_equal(st.queued, 5);
	assert_int_equal(st.stalled, 1);
	assert_non_null(strstr(st.stalled_why, "No space left on device"));
	assert_true(st.stalled_since_ns > 0);
	assert_int_equal(kill(pid, 0), 0);
	assert_int_equal(log_lines(), 1);
	/* Space again: all stored in order, the stall is over and told. */
	unlink(nospace);
	assert_int_equal(tg_sink_flush(s, 5000), 0);
	tg_sink_stats(s, &st);
	assert_int_equal(st.acked, 6);
	assert_int_equal(log_lines(), 6);
	for (i = 0; i < 20 && st.stalled; i++) {
		tg_sink_process(s);
		usleep(50000);
		tg_sink_stats(s, &st);
	}
	assert_int_equal(st.stalled, 0);
	assert_int_equal(st.stalls, 1);
	assert_true(st.last_stall_until_ns >= st.last_stall_since_ns);
	assert_non_null(strstr(st.last_stall_why, "No space left on device"));
	assert_non_null(strstr(log_order(), ":6:5"));
	tg_sink_free(s);
	stop_collector(pid, SIGTERM);
}

/* A syslog socket in the test's directory (syslog_sock), 5 s to receive. */
static int syslog_listen(void)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	struct timeval tv = {.tv_sec = 5};
	int fd;

	snprintf(syslog_sock, sizeof(syslog_sock), "%s/log.sock", dir);
	strcpy(sa.sun_path, syslog_sock);
	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	return fd;
}

/*
 * The chain's checkpoints reach syslog like every stored line: the one a
 * clean stop writes is the last message, signed, with the public key.
 */
static void test_syslog_gets_checkpoints(void **state)
{
	struct timeval tv = {.tv_usec = 200000};
	char buf[4096], last[4096] = "";
	struct tg_sink *s;
	pid_t pid;
	ssize_t n;
	int fd;

	fd = syslog_listen();
	pid = start_collector();
	s = tg_sink_new(sock, 16, geteuid());
	submit(s, 1);
	assert_int_equal(tg_sink_flush(s, 5000), 0);
	tg_sink_free(s);
	stop_collector(pid, SIGTERM);
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	while ((n = recv(fd, buf, sizeof(buf) - 1, 0)) > 0) {
		buf[n] = '\0';
		strcpy(last, buf);
	}
	close(fd);
	assert_non_null(strstr(last, COLLECTOR_OWN "checkpoint\""));
	assert_non_null(strstr(last, "\"signature\":\""));
	assert_non_null(strstr(last, "\"public_key\":\""));
}

/* With a syslog socket, each stored event is forwarded, in order, as RFC 5424.
 */
static void test_syslog_forwarding(void **state)
{
	char buf[4096], want[64];
	struct tg_sink *s;
	pid_t pid;
	ssize_t n;
	int fd, i;

	fd = syslog_listen();
	pid = start_collector();
	s = tg_sink_new(sock, 16, geteuid());
	for (i = 1; i <= 3; i++) {
		char ev[160];

		snprintf(ev, sizeof(ev),
			 "{\"time\":\"2024-05-01T10:00:0%d.123456789Z\","
			 "\"host\":\"h 1\",\"kind\":\"net\","
			 "\"verdict\":\"%s\",\"n\":%d}",
			 i, i == 2 ? "audit" : "deny", i);
		assert_int_equal(tg_sink_submit(s, ev, strlen(ev)), 0);
	}
	assert_int_equal(tg_sink_flush(s, 5000), 0);
	for (i = 1; i <= 3; i++) {
		/* The collector's own lines (its start) are forwarded too. */
		do {
			n = recv(fd, buf, sizeof(buf) - 1, 0);
			assert_true(n > 0);
			buf[n] = '\0';
		} while (strstr(buf, COLLECTOR_OWN));
		snprintf(
			want, sizeof(want),
			"<%d>1 2024-05-01T10:00:0%d.123456Z h1 tenantguard %d net - ",
			i == 2 ? 85 : 84, i, (int)pid);
		assert_memory_equal(buf, want, strlen(want));
		assert_memory_equal(buf + strlen(want),
				    "\xef\xbb\xbf{\"seq\":", 10);
		snprintf(want, sizeof(want), "\"n\":%d,", i);
		assert_non_null(strstr(buf, want));
	}
	close(fd);
	/* Syslog gone: events are still stored. */
	unlink(syslog_sock);
	submit(s, 4);
	assert_int_equal(tg_sink_flush(s, 5000), 0);
	assert_int_equal(log_lines(), 4);
	tg_sink_free(s);
	stop_collector(pid, SIGTERM);
}

/*
 * The socket listens before the log is recovered: an agent connects and
 * sends while the collector still repairs a torn log.
 */
static void test_listen_before_recovery(void **state)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	struct pollfd pfd;
	int ready[2], fd, i;
	__u64 stream = 0x99;
	char c;
	pid_t pid;

	fd = open(logp, O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
	assert_int_equal(write(fd, "{\"seq\":1}\n{\"seq\":2,\"to", 22), 22);
	close(fd);
	slow_sync_ms = 1500; /* cutting the torn line takes a while */
	assert_int_equal(pipe(ready), 0);
	pid = fork_collector(getuid(), ready[1]);
	close(ready[1]);
	slow_sync_ms = 0;
	for (i = 0; i < 100 && access(sock, F_OK); i++)
		usleep(10000);
	strcpy(sa.sun_path, sock);
	fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	assert_int_equal(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(
		tg_wire_send(fd, TG_FRAME_HELLO, 0, &stream, sizeof(stream)),
		0);
	assert_int_equal(tg_wire_send(fd, TG_FRAME_EVENT, 1, "{\"a\":1}", 7),
			 0);
	/* Still recovering: open has not returned yet. */
	pfd = (struct pollfd){.fd = ready[0], .events = POLLIN};
	assert_int_equal(poll(&pfd, 1, 0), 0);
	assert_int_equal(read(ready[0], &c, 1), 1);
	close(ready[0]);
	wait_ack(fd, 1);
	close(fd);
	stop_collector(pid, SIGTERM);
	assert_int_equal(log_lines(), 2); /* seq 1 kept, the torn line gone */
}

/* A batch: its records are events; one refused ends it, the rest is resent. */
static void test_batch_with_refused_record(void **state)
{
	pid_t pid = start_collector();
	char p[64];
	__u64 ack = 0;
	__u32 l;
	int fd;

	l = 7;
	memcpy(p, &l, 4);
	memcpy(p + 4, "{\"n\":1}", 7);
	l = 2;
	memcpy(p + 11, &l, 4);
	memcpy(p + 15, "[]", 2);
	l = 7;
	memcpy(p + 17, &l, 4);
	memcpy(p + 21, "{\"n\":3}", 7);
	fd = raw_client(0x77, &ack);
	assert_int_equal(tg_wire_send(fd, TG_FRAME_BATCH, 1, p, 28), 0);
	expect_error_frame(fd, 2, "payload is not one JSON object");
	assert_int_equal(log_lines(), 1);
	fd = raw_client(0x77, &ack);
	assert_int_equal(ack, 2);
	assert_int_equal(tg_wire_send(fd, TG_FRAME_BATCH, 3, p + 17, 11), 0);
	wait_ack(fd, 3);
	close(fd);
	stop_collector(pid, SIGTERM);
	assert_int_equal(log_lines(), 2);
	assert_non_null(strstr(log_order(), "7:3:3"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_submit_ack, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_resend_after_restart,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_queue_full, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_collector_rejects_garbage,
						setup, teardown),
		cmocka_unit_test_setup_teardown(
			test_no_duplicates_after_lost_ack, setup, teardown),
		cmocka_unit_test_setup_teardown(test_skip_over_acked_frames,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_peer_uid_rejected, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_listener_uid_refused,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_listener_judged, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_disconnect_after_stop,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_disconnect_lost, setup,
						teardown),
		cmocka_unit_test_setup_teardown(
			test_peer_in_tenants_cgroup_rejected, setup, teardown),
		cmocka_unit_test_setup_teardown(test_socket_path, setup,
						teardown),
		cmocka_unit_test_setup_teardown(
			test_starting_collector_keeps_socket, setup, teardown),
		cmocka_unit_test_setup_teardown(
			test_close_keeps_replaced_socket, setup, teardown),
		cmocka_unit_test_setup_teardown(test_hostile_payloads, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_resume_after_refused_frame,
						setup, teardown),
		cmocka_unit_test_setup_teardown(
			test_commit_failure_drops_client, setup, teardown),
		cmocka_unit_test_setup_teardown(test_ack_after_full_socket,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_spool_while_down, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_spool_across_agent_restart,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_spool_all_survives_kill,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_spool_some_lost_to_kill,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_spool_full, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_log_full_stalls, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_syslog_forwarding, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_syslog_gets_checkpoints,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_listen_before_recovery,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_batch_with_refused_record,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_oversized, setup,
						teardown),
	};

	signal(SIGPIPE, SIG_IGN);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
