// SPDX-License-Identifier: GPL-2.0
/* RFC 5424 forwarding of stored events to the local syslog socket. */
#define _GNU_SOURCE
#include <errno.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "common/text.h"
#include "collector/syslog.h"

#define FAC_AUTHPRIV 10
#define SEV_WARNING  4
#define SEV_NOTICE   5
#define SEV_INFO     6

int tg_syslog_open(struct tg_syslog *s, const char *path)
{
	memset(s, 0, sizeof(*s));
	s->fd = -1;
	if (strlen(path) >= sizeof(s->sa.sun_path))
		return -ENAMETOOLONG;
	s->sa.sun_family = AF_UNIX;
	strcpy(s->sa.sun_path, path);
	s->pid = getpid();
	return 0;
}

void tg_syslog_close(struct tg_syslog *s)
{
	if (s->fd >= 0)
		close(s->fd);
	s->fd = -1;
}

/* PRINTUSASCII (33..126) of s, at most max chars, or "-" if none. */
static void token(char *out, size_t max, const char *s)
{
	size_t n = 0;

	for (; *s && n < max; s++)
		if (*s >= 33 && *s <= 126)
			out[n++] = *s;
	if (!n)
		out[n++] = '-';
	out[n] = '\0';
}

/*
 * The event's RFC 3339 time with at most 6 fractional digits (RFC 5424
 * TIME-SECFRAC), or "-".
 */
static void timestamp(char *out, size_t cap, const char *t)
{
	const char *dot = strchr(t, '.'), *z;
	size_t frac;

	if (strlen(t) < 20 || strlen(t) >= cap || t[4] != '-' || t[10] != 'T') {
		snprintf(out, cap, "-");
		return;
	}
	if (!dot) {
		token(out, cap - 1, t);
		return;
	}
	for (z = dot + 1; *z >= '0' && *z <= '9'; z++)
		;
	frac = (size_t)(z - dot - 1);
	snprintf(out, cap, "%.*s%s", (int)(dot - t + 1 + (frac > 6 ? 6 : frac)),
		 t, z);
}

size_t tg_syslog_format(char *buf, size_t cap, const char *line, size_t len,
			pid_t pid)
{
	char host[256], msgid[33], ts[64];
	struct json_tokener *tok;
	struct json_object *o;
	const char *verdict, *op;
	int sev, n;

	while (len && (line[len - 1] == '\n'))
		len--;
	tok = json_tokener_new();
	if (!tok)
		return 0;
	o = json_tokener_parse_ex(tok, line, (int)len);
	json_tokener_free(tok);
	if (!o || !json_object_is_type(o, json_type_object)) {
		json_object_put(o);
		return 0;
	}
	verdict = tg_json_str(o, "verdict");
	op = tg_json_str(o, "op");
	sev = strcmp(verdict, "deny") == 0    ? SEV_WARNING
	      : strcmp(verdict, "audit") == 0 ? SEV_NOTICE
					      : SEV_INFO;
	/* Lost or held-back events matter as much as denials. */
	if (strcmp(tg_json_str(o, "kind"), "agent") == 0 &&
	    (strcmp(op, "drop") == 0 || strcmp(op, "suppressed") == 0 ||
	     strcmp(op, "log_stalled") == 0))
		sev = SEV_WARNING;
	timestamp(ts, sizeof(ts), tg_json_str(o, "time"));
	token(host, 255, tg_json_str(o, "host"));
	token(msgid, 32, tg_json_str(o, "kind"));
	json_object_put(o);
	n = snprintf(buf, cap,
		     "<%d>1 %s %s " TG_SYSLOG_APP " %d %s - \xef\xbb\xbf",
		     FAC_AUTHPRIV * 8 + sev, ts, host, (int)pid, msgid);
	if (n < 0 || (size_t)n + len > cap)
		return 0;
	memcpy(buf + n, line, len);
	return (size_t)n + len;
}

int tg_syslog_send(struct tg_syslog *s, const char *line, size_t len)
{
	static char buf[TG_SYSLOG_MAX];
	size_t n = tg_syslog_format(buf, sizeof(buf), line, len, s->pid);
	int err = 0;

	if (!n) {
		err = -EINVAL;
		goto out_count;
	}
	if (s->fd < 0) {
		s->fd = socket(AF_UNIX,
			       SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
		if (s->fd < 0) {
			err = -errno;
			goto out_count;
		}
		if (connect(s->fd, (struct sockaddr *)&s->sa, sizeof(s->sa)) <
		    0) {
			err = -errno;
			tg_syslog_close(s);
			goto out_count;
		}
	}
	if (send(s->fd, buf, n, MSG_DONTWAIT | MSG_NOSIGNAL) < 0) {
		err = -errno;
		/* The daemon restarted: connect again next time. */
		if (err != -EAGAIN)
			tg_syslog_close(s);
	}
out_count:
	if (err)
		s->failed++;
	else
		s->sent++;
	s->last_err = err;
	return err;
}
