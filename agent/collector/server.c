// SPDX-License-Identifier: GPL-2.0
/*
 * The collector's server: accepts the agent on a SOCK_SEQPACKET unix socket,
 * appends its events to the log in group commits and acknowledges each
 * client's highest seq once it is durable.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <libgen.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "collector/checkpoints.h"
#include "collector/server.h"
#include "collector/streams.h"
#include "common/cgroupfs.h"
#include "common/clock.h"
#include "common/log.h"
#include "collector/jsoncheck.h"
#include "common/metrics.h"
#include "common/privileges.h"
#include "common/private_dir.h"
#include "common/procfs.h"
#include "common/text.h"
#include "common/peer.h"
#include "common/wire.h"

#define BATCH_FRAMES   256	  /* frames read from one client per round */
#define JSON_MAX_DEPTH 8	  /* nesting accepted in an event payload */
#define RETRY_MS       1000	  /* pause after the log failed */
#define SEED_BYTES     (4u << 20) /* log tail read for stream positions */
#define METRICS_MS     5000	  /* metrics file written this often */
/*
 * Group commit: lines wait up to COMMIT_WAIT_MS (or until COMMIT_BYTES are
 * buffered) for more to share their fdatasync.
 */
#define COMMIT_BYTES (512u << 10)

/* Unlink a socket file no collector listens on; never anything else. */
static int remove_stale_socket(const struct sockaddr_un *sa)
{
	struct stat st;
	int fd, err = 0;

	if (lstat(sa->sun_path, &st) < 0)
		return errno == ENOENT ? 0 : -errno;
	if (!S_ISSOCK(st.st_mode))
		return -EEXIST;
	fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return -errno;
	if (connect(fd, (const struct sockaddr *)sa, sizeof(*sa)) == 0 ||
	    errno == EAGAIN)
		err = -EADDRINUSE;
	else if (errno != ECONNREFUSED)
		err = -errno; /* e.g. another program's stream socket */
	else if (unlink(sa->sun_path) < 0)
		err = -errno;
	close(fd);
	return err;
}

/* File operations as the user the collector runs as (on), or as root. */
static int as_run_user(const struct tg_collector *c, int on)
{
	if (!c->run_uid)
		return 0;
	return on ? tg_fs_identity(c->run_uid, c->run_gid)
		  : tg_fs_identity(0, 0);
}

/*
 * What the collector writes after open, checked as the user it runs as:
 * new files in the metrics file's directory, datagrams to the syslog socket
 * (missing: it may start later).
 */
static int check_access(const struct tg_collector *c, const char **what)
{
	char dir[PATH_MAX];

	if (c->metrics_path) {
		*what = c->metrics_path;
		if (snprintf(dir, sizeof(dir), "%s", c->metrics_path) >=
		    (int)sizeof(dir))
			return -ENAMETOOLONG;
		if (faccessat(AT_FDCWD, dirname(dir), W_OK | X_OK, AT_EACCESS))
			return -errno;
	}
	if (c->syslog_path) {
		*what = c->syslog_path;
		if (faccessat(AT_FDCWD, c->syslog_path, W_OK, AT_EACCESS) &&
		    errno != ENOENT)
			return -errno;
	}
	return 0;
}

/*
 * The log's directory (created, as root, for the user the collector runs
 * as), then its files opened and locked as that user. On failure the log
 * is closed.
 */
static int lock_log(struct tg_collector *c, const char *log_path,
		    off_t rotate_size, unsigned int rotate_keep)
{
	uid_t uid = c->run_uid ? c->run_uid : geteuid();
	gid_t gid = c->run_uid ? c->run_gid : getegid();
	char dir[PATH_MAX], why[160];
	int dir_fd, err, back;

	dir_fd = tg_eventlog_open_dir(log_path, uid, gid);
	if (dir_fd < 0)
		return dir_fd;
	/* Nobody else may put a file, or a link, where the log goes. */
	err = tg_private_dir_check(dir_fd, uid, why, sizeof(why));
	if (err) {
		snprintf(dir, sizeof(dir), "%s", log_path);
		snprintf(c->open_why, sizeof(c->open_why),
			 "%s: refused as the log's directory: %s", dirname(dir),
			 why);
		close(dir_fd);
		return err;
	}
	err = as_run_user(c, 1);
	if (err) {
		close(dir_fd);
		return err;
	}
	err = tg_eventlog_lock(&c->log, log_path, dir_fd, rotate_size,
			       rotate_keep);
	back = as_run_user(c, 0);
	if (!err && back)
		tg_eventlog_close(&c->log);
	return err ?: back;
}

/*
 * The state directory (created, as root, for the user the collector runs
 * as), held to the rules of the log's, and never the log's own.
 */
static int open_state_dir(struct tg_collector *c)
{
	uid_t uid = c->run_uid ? c->run_uid : geteuid();
	gid_t gid = c->run_uid ? c->run_gid : getegid();
	char path[PATH_MAX], why[256] = "";
	struct stat a, b;
	int fd, err;

	if (!c->state_dir || !c->state_dir[0])
		return -EINVAL;
	/* Its last component is made when missing: "DIR/x" names it. */
	if (snprintf(path, sizeof(path), "%s/x", c->state_dir) >=
	    (int)sizeof(path))
		return -ENAMETOOLONG;
	fd = tg_eventlog_open_dir(path, uid, gid);
	if (fd < 0)
		return fd;
	err = tg_private_dir_check(fd, uid, why, sizeof(why));
	if (!err && (fstat(fd, &a) < 0 || fstat(c->log.dir_fd, &b) < 0))
		err = -errno;
	else if (!err && a.st_dev == b.st_dev && a.st_ino == b.st_ino) {
		snprintf(why, sizeof(why),
			 "it is the log's directory, which viewers and log "
			 "shippers may be given: the signing key and the "
			 "chain's head go elsewhere (default "
			 "/var/lib/tenantguard-collector)");
		err = -EINVAL;
	}
	if (err) {
		if (why[0])
			snprintf(c->open_why, sizeof(c->open_why),
				 "%s: refused as the state directory: %s",
				 c->state_dir, why);
		close(fd);
		return err;
	}
	c->state_fd = fd;
	return 0;
}

static void close_state(struct tg_collector *c)
{
	if (c->head_fd >= 0)
		close(c->head_fd);
	if (c->state_fd >= 0)
		close(c->state_fd);
	c->head_fd = c->state_fd = -1;
}

/*
 * Listen with the effective ids of the user the collector runs as: the
 * socket keeps them as its credentials, and the agent accepts only a
 * listener of the collector's user (SO_PEERCRED at connect).
 */
static int listen_as_run_user(struct tg_collector *c)
{
	int err = 0, back = 0;

	if (c->run_uid) {
		err = tg_effective_identity(c->run_uid, c->run_gid);
		if (err)
			return err;
	}
	if (listen(c->listen_fd, TG_COLLECTOR_MAX_CLIENTS) < 0)
		err = -errno;
	if (c->run_uid)
		back = tg_effective_identity(0, 0);
	return err ?: back;
}

/* Recover the log and check the other outputs, as the user it runs as. */
static int recover_log(struct tg_collector *c, const char **what)
{
	int err = as_run_user(c, 1);

	if (!err)
		err = tg_eventlog_recover(&c->log);
	if (!err)
		err = check_access(c, what);
	if (!err && c->syslog_path) {
		*what = c->syslog_path;
		err = tg_syslog_open(&c->syslog_state, c->syslog_path);
		if (!err) {
			c->syslog = &c->syslog_state;
			c->log.copy_lines = 1;
		}
	}
	if (!err) {
		*what = "the signing key";
		err = tg_collector_load_key(c);
	}
	if (!err) {
		*what = "the chain's head";
		err = tg_collector_open_head(c);
	}
	if (!err) {
		tg_collector_seed_streams(c, SEED_BYTES);
		tg_collector_check_chain(c, SEED_BYTES);
		/* Its start is durable before any event (else: next commit). */
		if (tg_eventlog_commit(&c->log))
			tg_info("cannot commit %s at start: its start event "
				"waits for the next commit", c->log.path);
		else
			tg_collector_save_head(c, 1);
	}
	return as_run_user(c, 0) ?: err;
}

int tg_collector_open(struct tg_collector *c, const char *socket_path,
		      const char *log_path, uid_t agent_uid, off_t rotate_size,
		      unsigned int rotate_keep, const char **what)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	struct stat st;
	int i, err = 0;

	for (i = 0; i < TG_COLLECTOR_MAX_CLIENTS; i++)
		c->clients[i] = (struct tg_collector_client){.fd = -1};
	c->listen_fd = c->state_fd = c->head_fd = -1;
	if (gethostname(c->host, sizeof(c->host) - 1) < 0)
		snprintf(c->host, sizeof(c->host), "unknown");
	c->agent_uid = agent_uid;
	*what = socket_path;
	if (strlen(socket_path) >= sizeof(sa.sun_path))
		return -ENAMETOOLONG;
	snprintf(c->socket_path, sizeof(c->socket_path), "%s", socket_path);
	strcpy(sa.sun_path, socket_path);
	/*
	 * The log's lock first: it admits one collector, so a second one stops
	 * here. Between bind and listen a starting collector's socket looks
	 * stale (connect is refused): checked first, it would be replaced.
	 * Then listen, so that the agent connects (and its frames wait in the
	 * socket) while the log is recovered.
	 */
	*what = log_path;
	err = lock_log(c, log_path, rotate_size, rotate_keep);
	if (err)
		return err;
	*what = c->state_dir ? c->state_dir : "--state-dir";
	err = open_state_dir(c);
	if (err)
		goto out_close_log;
	*what = socket_path;
	err = remove_stale_socket(&sa);
	if (err)
		goto out_close_log;
	c->listen_fd = socket(AF_UNIX,
			      SOCK_SEQPACKET | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (c->listen_fd < 0) {
		err = -errno;
		goto out_close_log;
	}
	if (bind(c->listen_fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		err = -errno;
		goto out_close_sock;
	}
	if (lstat(socket_path, &st) < 0) {
		err = -errno;
		goto out_unlink;
	}
	c->sock_dev = st.st_dev;
	c->sock_ino = st.st_ino;
	if (chmod(socket_path, 0660) < 0) {
		err = -errno;
		goto out_unlink;
	}
	err = listen_as_run_user(c);
	if (err)
		goto out_unlink;
	*what = log_path;
	err = recover_log(c, what);
	if (err)
		goto out_unlink;
	return 0;

out_unlink:
	unlink(socket_path);
out_close_sock:
	close(c->listen_fd);
	c->listen_fd = -1;
out_close_log:
	tg_eventlog_close(&c->log);
	close_state(c);
	return err;
}

/*
 * Close a client's connection; if it sent HELLO, its end is put in the log
 * (tg_collector_record_ended) before anything else is read.
 */
static void drop_client(struct tg_collector_client *cl)
{
	close(cl->fd);
	cl->fd = -1;
	cl->ended = cl->hello;
}

/* Tell the peer why it is being dropped, then drop it. */
static void reject(struct tg_collector *c, struct tg_collector_client *cl,
		   __u64 seq, const char *why)
{
	tg_wire_send(cl->fd, TG_FRAME_ERROR, seq, why, (__u32)strlen(why));
	tg_info("dropping client (uid %u): %s", (unsigned int)cl->uid, why);
	c->rejected_frames++;
	drop_client(cl);
}

/* Refuse a connection before it becomes a client. */
static void refuse(struct tg_collector *c, int fd, pid_t pid, const char *why)
{
	tg_wire_send(fd, TG_FRAME_ERROR, 0, why, (__u32)strlen(why));
	tg_info("rejected peer pid %d: %s", (int)pid, why);
	c->rejected_peers++;
	close(fd);
}

/*
 * A peer with the agent's uid is refused all the same when it runs at or
 * below the tenants cgroup (a tenant's process may be uid 0), or when its
 * cgroup cannot be told. 1 if fd was refused (and closed), else 0.
 */
static int refuse_tenant_peer(struct tg_collector *c, int fd,
			      const struct ucred *cred)
{
	struct tg_peer p = {.pid = cred->pid, .uid = cred->uid};
	char why[PATH_MAX + 64];

	if (!c->tenants_cgroup)
		return 0;
	if (tg_peer_cgroup(fd, &p))
		snprintf(why, sizeof(why), "peer cannot be identified: %s",
			 p.why);
	else if (tg_path_within(p.cgroup, c->tenants_cgroup))
		snprintf(why, sizeof(why),
			 "peer in a tenant's cgroup (%s) not allowed",
			 p.cgroup);
	else
		return 0;
	refuse(c, fd, cred->pid, why);
	return 1;
}

static void accept_clients(struct tg_collector *c)
{
	char why[64];
	int fd, i;

	while ((fd = accept4(c->listen_fd, NULL, NULL,
			     SOCK_CLOEXEC | SOCK_NONBLOCK)) >= 0) {
		struct ucred cred = {.uid = (uid_t)-1};
		socklen_t len = sizeof(cred);

		if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) < 0) {
			refuse(c, fd, 0, "peer credentials unknown");
			continue;
		}
		if (cred.uid != c->agent_uid) {
			snprintf(why, sizeof(why), "peer uid %u not allowed",
				 (unsigned int)cred.uid);
			refuse(c, fd, cred.pid, why);
			continue;
		}
		if (refuse_tenant_peer(c, fd, &cred))
			continue;
		for (i = 0; i < TG_COLLECTOR_MAX_CLIENTS; i++)
			if (c->clients[i].fd < 0 && !c->clients[i].ended)
				break;
		if (i == TG_COLLECTOR_MAX_CLIENTS) {
			refuse(c, fd, cred.pid, "too many clients");
			continue;
		}
		c->clients[i] = (struct tg_collector_client){
			.fd = fd,
			.uid = cred.uid,
			.pid = cred.pid,
			.status_told = -1,
		};
		/* Read now: by the time the connection ends it may be gone. */
		if (tg_proc_comm(cred.pid, c->clients[i].comm,
				 sizeof(c->clients[i].comm)) ||
		    !c->clients[i].comm[0])
			snprintf(c->clients[i].comm, sizeof(c->clients[i].comm),
				 "tenantguard-agent");
	}
}

static const char *take_hello(struct tg_collector *c,
			      struct tg_collector_client *cl,
			      const char *payload)
{
	__u64 id;

	if (cl->hello)
		return "second hello";
	memcpy(&id, payload, sizeof(id));
	cl->stream = tg_collector_stream(c, id);
	if (!cl->stream)
		return "too many streams";
	cl->hello = 1;
	/* Tell the agent what is stored already (may be 0). */
	cl->ack_pending = cl->stream->now.seq;
	cl->ack_always = 1;
	return NULL;
}

/* The payload as a JSON object (strict, bounded depth, UTF-8), or NULL. */
/*
 * Store one event frame; NULL or why it is refused, with *refused its seq if
 * it is refused for good. *fatal when the log failed: the frame is consumed
 * but not stored.
 */
static const char *take_event(struct tg_collector *c,
			      struct tg_collector_client *cl,
			      const struct tg_frame_hdr *h, const char *payload,
			      __u64 *refused, int *fatal)
{
	static const char *const reserved[] = {"seq", "agent_stream",
					       "agent_seq", "chain", NULL};
	struct tg_collector_stream *s = cl->stream;
	/* The reason a frame is refused; the collector has one thread. */
	static char reason[128];
	__u64 seq, prev = cl->last_seq;
	const char *why = NULL;
	char tail[80];
	int err;

	/*
	 * Within a connection seqs go up by one, but may skip frames the
	 * stream holds already: the agent drops what an ack (the HELLO's)
	 * covers, also frames it has not resent yet. The first frame may have
	 * any seq: the agent resends from its oldest unacked frame, and a
	 * frame between that and what the log holds may have been refused for
	 * good.
	 */
	if (cl->last_seq &&
	    (h->seq <= cl->last_seq ||
	     (h->seq != cl->last_seq + 1 && h->seq > s->now.seq + 1)))
		return "frame out of order";
	cl->last_seq = h->seq;
	if (h->seq <= s->now.seq) {
		/* Resent after a lost ack: stored already, ack it again. */
		c->duplicates++;
		cl->ack_pending = s->now.seq;
		return NULL;
	}
	/*
	 * Checked strictly, then stored as it came (no parse and print
	 * again): the stream and its seq go last, where recovery finds them.
	 */
	if (tg_json_check_object(payload, h->len, JSON_MAX_DEPTH, reserved,
				 reason, sizeof(reason))) {
		why = reason;
		goto out_consumed;
	}
	snprintf(tail, sizeof(tail),
		 ",\"agent_stream\":\"%016llx\",\"agent_seq\":%llu",
		 (unsigned long long)s->id, (unsigned long long)h->seq);
	err = tg_eventlog_append_raw(&c->log, payload, h->len, tail, &seq);
	if (err == -E2BIG || err == -EINVAL)
		why = "event too large for the log";
	if (why)
		goto out_consumed;
	if (err) {
		/* The log is failing (disk full?): not the peer's fault. */
		*fatal = err;
		cl->last_seq = prev;
		return NULL;
	}
	s->now = (struct tg_collector_pos){
		.seq = h->seq,
		.stored_seq = h->seq,
		.stopped = tg_collector_is_stop(payload, h->len),
	};
	cl->ack_pending = h->seq;
	cl->stored++;
	c->stored++;
	return NULL;

out_consumed:
	/* Refused for good: a resend is acked, never stored. */
	s->now.seq = h->seq;
	*refused = h->seq;
	return why;
}

/* Each record of a batch (checked by tg_wire_check) as an event frame. */
static const char *take_batch(struct tg_collector *c,
			      struct tg_collector_client *cl,
			      const struct tg_frame_hdr *h, const char *payload,
			      __u64 *refused, int *fatal)
{
	struct tg_frame_hdr r = *h;
	const char *why = NULL;
	__u32 off = 0, len;

	for (; off < h->len && !why && !*fatal; r.seq++) {
		memcpy(&len, payload + off, sizeof(len));
		off += TG_WIRE_RECORD_HDR;
		r.len = len;
		why = take_event(c, cl, &r, payload + off, refused, fatal);
		off += len;
	}
	return why;
}

static const char *take_frame(struct tg_collector *c,
			      struct tg_collector_client *cl,
			      const struct tg_frame_hdr *h, const char *payload,
			      __u64 *refused, int *fatal)
{
	if (h->type == TG_FRAME_HELLO)
		return take_hello(c, cl, payload);
	if (h->type != TG_FRAME_EVENT && h->type != TG_FRAME_BATCH)
		return "only hello, event and batch frames are accepted";
	if (!cl->hello)
		return "expected hello first";
	if (h->type == TG_FRAME_BATCH)
		return take_batch(c, cl, h, payload, refused, fatal);
	return take_event(c, cl, h, payload, refused, fatal);
}

/* The log cannot be written (err): note it once, tell the agents. */
static void stall(struct tg_collector *c, int err)
{
	c->next_retry_ms = tg_now_ms() + RETRY_MS;
	if (c->stalled)
		return;
	c->stalled = err;
	c->stalls++;
	c->stalled_since_ms = tg_now_ms();
	tg_info("cannot write %s: %s; holding events back (not acknowledged), "
		"retrying every second",
		c->log.path, strerror(-err));
}

/* The log takes lines again: say so once, tell the agents. */
static void unstall(struct tg_collector *c)
{
	if (!c->stalled)
		return;
	tg_info("%s is writable again after %.1f s", c->log.path,
		(double)(tg_now_ms() - c->stalled_since_ms) / 1000);
	c->stalled = 0;
}

static int commit(struct tg_collector *c);

/* Read and store what one client sent. */
static void serve_client(struct tg_collector *c, struct tg_collector_client *cl)
{
	static char buf[TG_WIRE_MAX_FRAME];
	struct tg_frame_hdr h;
	const char *why = NULL;
	char bad[128] = "";
	__u64 refused = 0;
	int i, fatal = 0;
	ssize_t n;

	for (i = 0; i < BATCH_FRAMES && cl->fd >= 0 && !cl->drop_after_ack;
	     i++) {
		n = tg_wire_recv(cl->fd, buf, &h, bad, sizeof(bad));
		if (n == -EAGAIN)
			break;
		if (n == -EBADMSG || n == -EMSGSIZE) {
			reject(c, cl, 0, bad);
			break;
		}
		if (n <= 0) {
			drop_client(cl);
			break;
		}
		/*
		 * The error frame names the frame only if it is refused for
		 * good: the agent then stops resending it. Any other frame
		 * (out of order, before HELLO) stays the agent's to resend.
		 */
		why = take_frame(c, cl, &h, buf + sizeof(h), &refused, &fatal);
		if (why) {
			/* What it sent before is stored before it goes. */
			commit(c);
			reject(c, cl, refused, why);
			break;
		}
		if (fatal) {
			/*
			 * Not stored (no memory?): drop it once what it had
			 * stored is acked; it resends from its last ack.
			 */
			tg_info("cannot append to %s: %s", c->log.path,
				strerror(-fatal));
			cl->drop_after_ack = 1;
		}
	}
}

/* After a durable commit, acknowledge what each client had appended. */
static void send_acks(struct tg_collector *c)
{
	char why[128];
	int i, err, want;

	for (i = 0; i < TG_COLLECTOR_MAX_CLIENTS; i++) {
		struct tg_collector_client *cl = &c->clients[i];

		if (cl->fd < 0)
			continue;
		/* Lines still buffered (disk full) are not durable yet. */
		if ((cl->ack_pending || cl->ack_always) && !c->log.w.len) {
			/* -EAGAIN: sent when the socket is writable again. */
			err = tg_wire_send(cl->fd, TG_FRAME_ACK,
					   cl->ack_pending, NULL, 0);
			if (!err)
				cl->ack_pending = cl->ack_always = 0;
			else if (err != -EAGAIN)
				cl->drop_after_ack = 1;
		}
		/* Whether the log can be written, to agents that were told. */
		want = c->stalled ? TG_STATUS_STALLED : TG_STATUS_OK;
		if (cl->hello && cl->status_told != want &&
		    (cl->status_told >= 0 || want != TG_STATUS_OK)) {
			snprintf(why, sizeof(why), "cannot write the log: %s",
				 strerror(-c->stalled));
			if (!tg_wire_send(cl->fd, TG_FRAME_STATUS, (__u64)want,
					  why, want ? (__u32)strlen(why) : 0))
				cl->status_told = want;
		}

		if (cl->drop_after_ack)
			drop_client(cl);
	}
}

/* Hand the lines of the last commit to syslog. */
static void forward(struct tg_collector *c)
{
	const char *p = c->log.copy.p, *end = p + c->log.copy.len, *nl;
	int err = 0;

	for (; p < end && (nl = memchr(p, '\n', (size_t)(end - p))); p = nl + 1)
		err = tg_syslog_send(c->syslog, p, (size_t)(nl - p)) ?: err;
	c->log.copy.len = 0;
	/* Lines there was no room to copy did not reach syslog either. */
	c->syslog->failed += c->log.copy_skipped;
	c->log.copy_skipped = 0;
	if (err && err != c->syslog_err)
		tg_info("syslog %s: %s (events stay in the log)",
			c->syslog->sa.sun_path, strerror(-err));
	c->syslog_err = err;
}

/*
 * Make the round durable, then rotate if due. When the commit fails the log
 * drops what was not durable: forget it here too, and drop the clients that
 * sent it so that they resend it.
 */
static int commit(struct tg_collector *c)
{
	int i, wrote = c->log.w.len || c->log.committed != c->log.size;
	int err = tg_eventlog_commit(&c->log);

	/* Disk full: the lines wait in the log's buffer (see the caller). */
	if (err && c->log.w.len)
		return err;
	if (err) {
		tg_info("cannot commit %s: %s", c->log.path, strerror(-err));
		for (i = 0; i < TG_COLLECTOR_MAX_CLIENTS; i++) {
			struct tg_collector_client *cl = &c->clients[i];

			if (cl->fd >= 0 && cl->stream &&
			    cl->stream->now.seq != cl->stream->durable.seq)
				drop_client(cl);
			cl->stored = cl->durable_stored;
		}
		for (i = 0; i < TG_COLLECTOR_STREAMS; i++)
			c->streams[i].now = c->streams[i].durable;
		c->log.copy.len = 0;
		return err;
	}
	c->rounds += wrote;
	tg_collector_save_head(c, 0);
	for (i = 0; i < TG_COLLECTOR_MAX_CLIENTS; i++)
		c->clients[i].durable_stored = c->clients[i].stored;
	for (i = 0; i < TG_COLLECTOR_STREAMS; i++)
		c->streams[i].durable = c->streams[i].now;
	if (c->syslog)
		forward(c);
	err = tg_eventlog_rotate(&c->log);
	if (err && err != c->rotate_err)
		tg_info("cannot rotate %s: %s", c->log.path, strerror(-err));
	c->rotate_err = err;
	return 0;
}

static void counter(struct tg_metrics *m, const char *name, const char *help,
		    unsigned long long v)
{
	tg_metrics_family(m, name, "counter", help);
	tg_metrics_u64(m, name, NULL, v);
}

static void write_metrics(struct tg_collector *c)
{
	struct tg_metrics m;
	int err;

	tg_metrics_init(&m);
	counter(&m, "tenantguard_collector_events_stored_total",
		"Events appended to the log and made durable.", c->stored);
	counter(&m, "tenantguard_collector_duplicates_total",
		"Frames resent after a lost ack, acknowledged, not stored.",
		c->duplicates);
	counter(&m, "tenantguard_collector_rejected_frames_total",
		"Frames refused (malformed, out of order, unstorable).",
		c->rejected_frames);
	counter(&m, "tenantguard_collector_rejected_peers_total",
		"Connections refused (wrong uid, too many clients).",
		c->rejected_peers);
	counter(&m, "tenantguard_collector_commits_total",
		"Group commits (fdatasync of the log).", c->rounds);
	counter(&m, "tenantguard_collector_stalls_total",
		"Times the log could not be written (disk full...).",
		c->stalls);
	tg_metrics_family(&m, "tenantguard_collector_log_stalled", "gauge",
			  "1 while the log cannot be written; the agent keeps "
			  "the events meanwhile.");
	tg_metrics_u64(&m, "tenantguard_collector_log_stalled", NULL,
		       c->stalled != 0);
	tg_metrics_family(&m, "tenantguard_collector_next_seq", "gauge",
			  "seq the next stored event gets.");
	tg_metrics_u64(&m, "tenantguard_collector_next_seq", NULL,
		       c->log.next_seq);
	if (c->syslog) {
		counter(&m, "tenantguard_collector_syslog_sent_total",
			"Events forwarded to syslog.", c->syslog->sent);
		counter(&m, "tenantguard_collector_syslog_failed_total",
			"Events syslog did not take (they stay in the log).",
			c->syslog->failed);
	}
	tg_metrics_family(
		&m, "tenantguard_collector_metrics_written_timestamp_seconds",
		"gauge",
		"When the collector wrote this file (Unix time): an old value "
		"means the collector is down or stuck.");
	tg_metrics_double(
		&m, "tenantguard_collector_metrics_written_timestamp_seconds",
		NULL, (double)tg_clock_ns(CLOCK_REALTIME) / 1e9);
	err = tg_metrics_write(&m, c->metrics_path);
	if (err && err != c->metrics_err)
		tg_info("metrics file %s: %s", c->metrics_path, strerror(-err));
	c->metrics_err = err;
	tg_metrics_free(&m);
}

/* Whether cl waits for an ack or a status frame. */
static int reply_due(const struct tg_collector *c,
		     const struct tg_collector_client *cl)
{
	int want = c->stalled ? TG_STATUS_STALLED : TG_STATUS_OK;

	return ((cl->ack_pending || cl->ack_always) && !c->log.w.len) ||
	       (cl->hello && cl->status_told != want &&
		(cl->status_told >= 0 || want != TG_STATUS_OK));
}

int tg_collector_run(struct tg_collector *c, int stop_fd)
{
	struct pollfd p[TG_COLLECTOR_MAX_CLIENTS + 2];
	long long now, timeout;
	int i, n, err = 0;

	for (;;) {
		/* What ended in the last round goes in first. */
		tg_collector_record_ended(c);
		p[0] = (struct pollfd){.fd = stop_fd, .events = POLLIN};
		p[1] = (struct pollfd){.fd = c->listen_fd, .events = POLLIN};
		for (i = 0; i < TG_COLLECTOR_MAX_CLIENTS; i++) {
			struct tg_collector_client *cl = &c->clients[i];

			/* While the log cannot be written, nothing is read. */
			p[i + 2] = (struct pollfd){
				.fd = cl->fd,
				.events = (c->stalled ? 0 : POLLIN) |
					  (reply_due(c, cl) ? POLLOUT : 0),
			};
		}
		/* While the log fails (disk full?), retry once a second. */
		now = tg_now_ms();
		timeout = -1;
		if (c->stalled)
			timeout = c->next_retry_ms > now
					  ? c->next_retry_ms - now
					  : 0;
		else if (c->log.w.len)
			timeout = c->commit_due_ms > now
					  ? c->commit_due_ms - now
					  : 0;
		if (c->checkpoint_due_ms &&
		    (timeout < 0 || c->checkpoint_due_ms - now < timeout))
			timeout = c->checkpoint_due_ms > now
					  ? c->checkpoint_due_ms - now
					  : 0;
		if (c->metrics_path) {
			if (now >= c->next_metrics_ms) {
				write_metrics(c);
				c->next_metrics_ms = now + METRICS_MS;
			}
			if (timeout < 0 || c->next_metrics_ms - now < timeout)
				timeout = c->next_metrics_ms - now;
		}
		n = poll(p, TG_COLLECTOR_MAX_CLIENTS + 2, (int)timeout);
		if (n < 0 && errno != EINTR)
			return -errno;
		if (p[0].revents)
			break;
		if (p[1].revents)
			accept_clients(c);
		for (i = 0; i < TG_COLLECTOR_MAX_CLIENTS; i++) {
			struct tg_collector_client *cl = &c->clients[i];

			if (cl->fd < 0 || !(p[i + 2].revents & ~POLLOUT))
				continue;
			if (c->stalled)
				drop_client(cl); /* hung up */
			else
				serve_client(c, cl);
		}
		now = tg_now_ms();
		if (tg_collector_checkpoint_due(c, now))
			tg_collector_checkpoint(c);
		if (c->log.w.len && !c->commit_due_ms)
			c->commit_due_ms = now + COMMIT_WAIT_MS;
		if (c->stalled ? now >= c->next_retry_ms
			       : (c->log.w.len >= COMMIT_BYTES ||
				  now >= c->commit_due_ms)) {
			c->commit_due_ms = 0;
			err = commit(c);
			if (err && c->log.w.len)
				stall(c, err);
			else if (!err)
				unstall(c);
		}
		send_acks(c);
		if (c->log.broken)
			return c->log.broken;
	}
	if (!c->stalled)
		tg_collector_checkpoint(c);
	err = commit(c);
	if (!err)
		send_acks(c);
	if (c->metrics_path)
		write_metrics(c);
	return err;
}

void tg_collector_close(struct tg_collector *c)
{
	struct stat st;
	int i;

	for (i = 0; i < TG_COLLECTOR_MAX_CLIENTS; i++)
		if (c->clients[i].fd >= 0)
			drop_client(&c->clients[i]);
	if (c->listen_fd >= 0) {
		/*
		 * Still listening, so that a collector starting meanwhile
		 * leaves the file alone; and only if it is still ours.
		 */
		if (lstat(c->socket_path, &st) == 0 &&
		    st.st_dev == c->sock_dev && st.st_ino == c->sock_ino)
			unlink(c->socket_path);
		close(c->listen_fd);
	}
	c->listen_fd = -1;
	tg_eventlog_close(&c->log);
	/* What the close committed last, durable with the log. */
	tg_collector_save_head(c, 1);
	close_state(c);
	if (c->syslog)
		tg_syslog_close(c->syslog);
}
