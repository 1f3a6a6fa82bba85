// SPDX-License-Identifier: GPL-2.0
/* The collector's durable JSON-lines log with torn-tail recovery and rotation. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "eventlog.h"

/* fsync the directory holding path, so renames and creations are durable. */
static int sync_dir(const char *path)
{
	char dir[PATH_MAX];
	int fd, err = 0;

	snprintf(dir, sizeof(dir), "%s", path);
	fd = open(dirname(dir), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (fsync(fd) < 0)
		err = -errno;
	close(fd);
	return err;
}

/* The "seq" of a JSON line, 0 if it has none. */
static __u64 line_seq(const char *line, size_t n)
{
	struct json_tokener *tok = json_tokener_new();
	struct json_object *o, *v;
	__u64 seq = 0;

	if (!tok)
		return 0;
	o = json_tokener_parse_ex(tok, line, (int)n);
	if (o && json_object_object_get_ex(o, "seq", &v))
		seq = (__u64)json_object_get_int64(v);
	json_object_put(o);
	json_tokener_free(tok);
	return seq;
}

/*
 * Drop a torn last line (no newline: the writer died mid-line) and return the
 * seq of the last complete line.
 */
static int recover_tail(struct tg_eventlog *l, __u64 *last_seq)
{
	size_t cap = TG_EVENTLOG_MAX_LINE + 2;
	off_t start, end, cut;
	char *buf, *nl;
	ssize_t n;
	int err = 0;

	*last_seq = 0;
	end = lseek(l->fd, 0, SEEK_END);
	if (end <= 0)
		return end < 0 ? -errno : 0;
	buf = malloc(cap);
	if (!buf)
		return -ENOMEM;
	start = end > (off_t)cap ? end - (off_t)cap : 0;
	n = pread(l->fd, buf, cap, start);
	if (n < 0) {
		err = -errno;
		goto out_free;
	}
	cut = end;
	if (buf[n - 1] != '\n') {
		nl = memrchr(buf, '\n', (size_t)n);
		cut = nl ? start + (nl - buf) + 1 : start;
		if (ftruncate(l->fd, cut) < 0 || fdatasync(l->fd) < 0) {
			err = -errno;
			goto out_free;
		}
		l->torn_truncated = 1;
		n = cut - start;
	}
	if (n > 1) {
		buf[n - 1] = '\0';
		nl = memrchr(buf, '\n', (size_t)n - 1);
		nl = nl ? nl + 1 : buf;
		*last_seq = line_seq(nl, strlen(nl));
		l->last_line = strdup(nl);
	}
	l->size = l->committed = cut;
out_free:
	free(buf);
	return err;
}

static int read_state(int fd, __u64 *v)
{
	char buf[32] = "";
	ssize_t n = pread(fd, buf, sizeof(buf) - 1, 0);

	if (n < 0)
		return -errno;
	*v = strtoull(buf, NULL, 10);
	return 0;
}

/* Durably reserve every seq below upto. */
static int reserve(struct tg_eventlog *l, __u64 upto)
{
	char buf[32];
	int n = snprintf(buf, sizeof(buf), "%020llu\n", (unsigned long long)upto);

	if (pwrite(l->seq_fd, buf, (size_t)n, 0) != n || fdatasync(l->seq_fd) < 0)
		return errno ? -errno : -EIO;
	l->reserved = upto;
	return 0;
}

int tg_eventlog_open(struct tg_eventlog *l, const char *path, off_t rotate_size,
		     unsigned int rotate_keep)
{
	char seq_path[PATH_MAX + 8];
	__u64 last = 0, state = 0;
	int err;

	memset(l, 0, sizeof(*l));
	l->fd = l->seq_fd = -1;
	if (snprintf(l->path, sizeof(l->path), "%s", path) >= (int)sizeof(l->path))
		return -ENAMETOOLONG;
	l->rotate_size = rotate_size;
	l->rotate_keep = rotate_keep;
	l->fd = open(path, O_RDWR | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
	if (l->fd < 0)
		return -errno;
	snprintf(seq_path, sizeof(seq_path), "%s.seq", path);
	l->seq_fd = open(seq_path, O_RDWR | O_CREAT | O_CLOEXEC, 0640);
	if (l->seq_fd < 0) {
		err = -errno;
		goto out_close;
	}
	err = recover_tail(l, &last);
	err = err ?: read_state(l->seq_fd, &state);
	if (err)
		goto out_close;
	l->next_seq = (last > state ? last : state) + 1;
	/* A crash may have left seqs reserved but unused: skip them all. */
	l->reserved = l->next_seq;
	err = sync_dir(path);
	if (!err)
		return 0;
out_close:
	tg_eventlog_close(l);
	return err;
}

int tg_eventlog_append(struct tg_eventlog *l, struct json_object *ev,
		       __u64 *seq)
{
	const char *body;
	char head[40];
	size_t hl, bl;
	char *line;
	ssize_t n;
	int err = 0;

	if (!json_object_is_type(ev, json_type_object))
		return -EINVAL;
	if (l->next_seq >= l->reserved) {
		err = reserve(l, l->next_seq + TG_EVENTLOG_SEQ_RESERVE);
		if (err)
			return err;
	}
	body = json_object_to_json_string_ext(ev, JSON_C_TO_STRING_PLAIN |
						       JSON_C_TO_STRING_NOSLASHESCAPE);
	/* body is "{...}": splice "seq" in as the first key. */
	bl = strlen(body);
	hl = (size_t)snprintf(head, sizeof(head), "{\"seq\":%llu%s",
			      (unsigned long long)l->next_seq,
			      bl > 2 ? "," : "");
	if (bl < 2 || hl + bl > TG_EVENTLOG_MAX_LINE)
		return -E2BIG;
	line = malloc(hl + bl + 1);
	if (!line)
		return -ENOMEM;
	memcpy(line, head, hl);
	memcpy(line + hl, body + 1, bl - 1);
	line[hl + bl - 1] = '\n';
	n = write(l->fd, line, hl + bl);
	if (n != (ssize_t)(hl + bl)) {
		err = n < 0 ? -errno : -ENOSPC;
		/* Never leave half a line behind. */
		if (ftruncate(l->fd, l->size) < 0 && !err)
			err = -errno;
	} else {
		l->size += n;
		*seq = l->next_seq++;
	}
	free(line);
	return err;
}

static int rotate(struct tg_eventlog *l)
{
	char from[PATH_MAX + 16], to[PATH_MAX + 16];
	unsigned int i;
	int fd;

	for (i = l->rotate_keep; i > 1; i--) {
		snprintf(from, sizeof(from), "%s.%u", l->path, i - 1);
		snprintf(to, sizeof(to), "%s.%u", l->path, i);
		if (rename(from, to) < 0 && errno != ENOENT)
			return -errno;
	}
	snprintf(to, sizeof(to), "%s.1", l->path);
	if (l->rotate_keep == 0) {
		if (unlink(l->path) < 0)
			return -errno;
	} else if (rename(l->path, to) < 0) {
		return -errno;
	}
	fd = open(l->path, O_RDWR | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
	if (fd < 0)
		return -errno;
	close(l->fd);
	l->fd = fd;
	l->size = l->committed = 0;
	return sync_dir(l->path);
}

int tg_eventlog_commit(struct tg_eventlog *l)
{
	if (l->committed == l->size)
		return 0;
	if (fdatasync(l->fd) < 0)
		return -errno;
	l->committed = l->size;
	if (l->rotate_size > 0 && l->size >= l->rotate_size)
		return rotate(l);
	return 0;
}

void tg_eventlog_close(struct tg_eventlog *l)
{
	if (l->fd >= 0) {
		fdatasync(l->fd);
		close(l->fd);
	}
	/* A clean close gives back the unused reservation: no gap in seq. */
	if (l->seq_fd >= 0 && l->fd >= 0 && l->next_seq)
		reserve(l, l->next_seq - 1);
	if (l->seq_fd >= 0)
		close(l->seq_fd);
	l->fd = l->seq_fd = -1;
	free(l->last_line);
	l->last_line = NULL;
}
