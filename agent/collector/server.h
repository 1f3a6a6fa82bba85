/* SPDX-License-Identifier: GPL-2.0 */
#ifndef TG_COLLECTOR_SERVER_H
#define TG_COLLECTOR_SERVER_H

#include <sys/types.h>

#include "collector/eventlog.h"
#include "collector/syslog.h"

#define TG_COLLECTOR_MAX_CLIENTS 16

/* Where an agent stream stands in the log. */
struct tg_collector_pos {
	__u64 seq;	  /* highest frame seq stored or refused */
	__u64 stored_seq; /* highest frame seq stored */
	int stopped;	  /* the event stored last is the agent's "stop" */
};

/* What the log holds of one agent stream. */
struct tg_collector_stream {
	__u64 id;			 /* stream id from the agent's HELLO */
	struct tg_collector_pos now;	 /* as appended */
	struct tg_collector_pos durable; /* as of the last good commit */
};

#define TG_COLLECTOR_STREAMS 64 /* streams remembered, least recent dropped */

struct tg_collector_client {
	int fd;
	uid_t uid;
	pid_t pid;     /* the peer's (SO_PEERCRED) */
	char comm[32]; /* the peer's comm at accept, else tenantguard-agent */
	int hello;     /* HELLO received */
	int ended;     /* closed after its HELLO, the end not yet in the log */
	unsigned long long stored, durable_stored; /* events it stored */
	struct tg_collector_stream *stream;
	__u64 last_seq;	    /* last frame seq accepted, 0 before the first */
	__u64 ack_pending;  /* highest seq appended but not yet acked */
	int drop_after_ack; /* a frame of it could not be stored */
	int ack_always;	    /* answer the HELLO even with ack 0 */
	int status_told;    /* TG_STATUS_* last sent, -1: none */
};

struct tg_collector {
	int listen_fd;
	uid_t agent_uid;
	char socket_path[108];
	dev_t sock_dev; /* the socket file bound, removed at close */
	ino_t sock_ino;
	struct tg_eventlog log;
	char host[256]; /* "host" of the collector's own events */
	struct tg_collector_client clients[TG_COLLECTOR_MAX_CLIENTS];
	struct tg_collector_stream streams[TG_COLLECTOR_STREAMS];
	unsigned int next_stream; /* round-robin slot for a new stream */
	int rotate_err;		  /* last rotation's result, warned once */
	/* Called with a one-line notice (rejected peers and frames). */
	unsigned long long stored, duplicates, rejected_frames, rejected_peers;
	/*
	 * Set before open: refuse peers whose cgroup v2 path (as the
	 * collector's cgroup namespace shows it) is at or below this one, the
	 * tenants cgroup, whatever their uid; NULL: none.
	 */
	const char *tenants_cgroup;
	/* Set before open: forward stored events to this syslog socket. */
	const char *syslog_path;
	struct tg_syslog *syslog; /* NULL: no forwarding */
	struct tg_syslog syslog_state;
	int syslog_err; /* last failure, warned once */
	/* The log cannot be written (disk full...): -errno, else 0. */
	int stalled;
	long long stalled_since_ms, next_retry_ms;
	long long commit_due_ms;   /* the buffered lines are committed then */
	unsigned long long stalls; /* episodes */
	unsigned long long rounds; /* commits */
	/* Set before open: write Prometheus metrics there every 5 s. */
	const char *metrics_path;
	/*
	 * Set before open: the user the collector runs as once open (0: the
	 * one it was started as). Open creates the log's directory for it,
	 * and opens the log and checks the metrics file's directory and the
	 * syslog socket as that user (its fs ids); the caller then drops to
	 * it for good.
	 */
	uid_t run_uid;
	gid_t run_gid;
	/* Why open refused, the path included, when errno alone won't do. */
	char open_why[PATH_MAX + 256];
	long long next_metrics_ms;
	int metrics_err; /* last write's result */
	/*
	 * Set before open: the collector's state directory, which holds its
	 * signing key and the head of the log's chain (checkpoints.c); never
	 * the log's directory, which viewers and log shippers may be given.
	 * Made like the log's (mode 0700, run_uid's) and held to the same
	 * rules. state_fd: open on it.
	 */
	const char *state_dir;
	int state_fd;
	int head_fd; /* <state_dir>/<log name>.head, -1: none */
	/*
	 * The head it held at open: head_found 1 (head_seq, head_chain), 0
	 * (none yet: a new state directory), -1 (not one the collector
	 * writes). head_saved: the chain_seq last written there.
	 */
	int head_found;
	__u64 head_seq, head_saved;
	unsigned char head_chain[TG_CHAIN_BYTES];
	/* The chain's signed checkpoints (checkpoints.c). */
	unsigned char sign_key[TG_CHAIN_SECRET];
	unsigned char public_key[TG_CHAIN_KEY];
	char public_hex[TG_CHAIN_HEX + 1];
	int key_created;	       /* made at this start */
	int key_moved;		       /* taken from <log>.key at this start */
	unsigned int checkpoint_lines; /* set before open, 0: default */
	long long checkpoint_ms;       /* set before open, 0: default */
	__u64 checkpoint_seq;	       /* chain_seq the last one signed */
	long long checkpoint_due_ms;   /* 0: no line since */
};

/*
 * Open the log, then bind the socket (mode 0660, the starting user's) and
 * listen on it with run_uid's effective ids (the credentials the agent
 * checks). The log's directory is created (mode 0700, run_uid's) when
 * missing; it must be owned by run_uid (or the starting user) or root and
 * be writable by no group or other user, else -EPERM with open_why set.
 * The log's files are opened without following a link (-ELOOP) and created
 * 0600, as run_uid. -EBUSY if
 * another collector has the log open; -EACCES if run_uid cannot write the
 * log's directory, the metrics file's, or the syslog socket. A socket file
 * left by a dead collector is replaced; -EADDRINUSE if one is listening on
 * it, -EEXIST if the path is not a socket. On failure -errno with *what the
 * path concerned; no socket is left behind (the log file may have been
 * created).
 */
int tg_collector_open(struct tg_collector *c, const char *socket_path,
		      const char *log_path, uid_t agent_uid, off_t rotate_size,
		      unsigned int rotate_keep, const char **what);

/*
 * Serve until stop_fd is readable; commit and return 0. -errno if poll fails
 * or the log can no longer be written (l->broken). When the log cannot be
 * written (disk full), the round stays buffered and is written again every
 * second; meanwhile nothing more is read or acknowledged, and the agents are
 * told (TG_FRAME_STATUS). When a connection that sent HELLO ends, for any
 * reason but the collector's own stop, the collector appends an event of its
 * own ("kind": "agent", "op": "disconnected"), committed with the next round.
 */
int tg_collector_run(struct tg_collector *c, int stop_fd);

/*
 * Close clients, remove the socket file (unless it is no longer the one
 * bound, or its directory is not the collector's to change: after the drop
 * to run_uid it stays, and the next collector replaces it), commit and
 * close the log.
 */
void tg_collector_close(struct tg_collector *c);

#endif /* TG_COLLECTOR_SERVER_H */
