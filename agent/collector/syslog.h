/* SPDX-License-Identifier: GPL-2.0 */
#ifndef TG_COLLECTOR_SYSLOG_H
#define TG_COLLECTOR_SYSLOG_H

#include <stddef.h>
#include <sys/types.h>
#include <sys/un.h>

/*
 * Forwarding of stored events to the local syslog socket as RFC 5424
 * messages: facility authpriv, severity from the verdict, the event's time,
 * host and kind as TIMESTAMP, HOSTNAME and MSGID, app "tenantguard", the
 * collector's pid, no structured data, and the JSON line as the message
 * (UTF-8, marked with a BOM). Never blocks: a message the socket does not
 * take is counted as failed.
 */
struct tg_syslog {
	int fd;
	struct sockaddr_un sa;
	pid_t pid;
	unsigned long long sent, failed;
	int last_err; /* -errno of the last failure, 0 after a success */
};

#define TG_SYSLOG_APP "tenantguard"
#define TG_SYSLOG_MAX (70 * 1024) /* message bytes at most */

/* Prepare to send to the datagram socket at path (connects lazily). */
int tg_syslog_open(struct tg_syslog *s, const char *path);

/*
 * The RFC 5424 message for one JSON event line of len bytes into buf (cap
 * bytes); returns its length, 0 if the line is not an event object.
 */
size_t tg_syslog_format(char *buf, size_t cap, const char *line, size_t len,
			pid_t pid);

/* Format and send one line; 0 or -errno (counted). */
int tg_syslog_send(struct tg_syslog *s, const char *line, size_t len);

void tg_syslog_close(struct tg_syslog *s);

#endif /* TG_COLLECTOR_SYSLOG_H */
