// SPDX-License-Identifier: GPL-2.0
/* The collector's durable JSON-lines log with torn-tail recovery and rotation.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/text.h"
#include "collector/eventlog.h"

/* fsync the log's directory, so renames and creations are durable. */
static int sync_dir(const struct tg_eventlog *l)
{
	return fsync(l->dir_fd) < 0 ? -errno : 0;
}

/*
 * Open a file of the log in its directory (never through a symlink); the
 * log's files are the collector's alone: one opened for writing is made
 * mode 0600 whatever the umask or an earlier version made it. -1 and errno
 * on failure.
 */
int tg_eventlog_open_file(const struct tg_eventlog *l, const char *suffix,
			  int flags)
{
	char name[PATH_MAX + 16];
	int fd, err;

	snprintf(name, sizeof(name), "%s%s", l->name, suffix);
	fd = openat(l->dir_fd, name, flags | O_CLOEXEC | O_NOFOLLOW,
		    TG_EVENTLOG_MODE);
	if (fd < 0 || (flags & O_ACCMODE) == O_RDONLY ||
	    fchmod(fd, TG_EVENTLOG_MODE) == 0)
		return fd;
	err = errno;
	close(fd);
	errno = err;
	return -1;
}

/* Rename a file of the log (suffixes of its name) within its directory. */
static int rename_file(const struct tg_eventlog *l, const char *from,
		       const char *to)
{
	char a[PATH_MAX + 16], b[PATH_MAX + 16];

	snprintf(a, sizeof(a), "%s%s", l->name, from);
	snprintf(b, sizeof(b), "%s%s", l->name, to);
	return renameat(l->dir_fd, a, l->dir_fd, b) < 0 ? -errno : 0;
}

int tg_eventlog_open_dir(const char *path, uid_t uid, gid_t gid)
{
	char dir[PATH_MAX], *d;
	struct stat st;
	int fd, err = 0;

	if (snprintf(dir, sizeof(dir), "%s", path) >= (int)sizeof(dir))
		return -ENAMETOOLONG;
	d = dirname(dir);
	fd = open(d, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd >= 0 || errno != ENOENT || uid == (uid_t)-1)
		return fd < 0 ? -errno : fd;
	/* Only the last component: its parent must exist. */
	if (mkdir(d, 0700) < 0 && errno != EEXIST)
		return -errno;
	fd = open(d, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	/* Given away only as it was made: empty, ours; 0700 whatever umask. */
	if (fstat(fd, &st) < 0)
		err = -errno;
	else if (st.st_uid != geteuid() || st.st_nlink != 2)
		err = -EAGAIN; /* made by another meanwhile */
	else if (fchmod(fd, 0700) < 0 || fchown(fd, uid, gid) < 0)
		err = -errno;
	if (err) {
		close(fd);
		return err;
	}
	return fd;
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
	if (o && json_object_object_get_ex(o, "seq", &v) &&
	    json_object_is_type(v, json_type_int) &&
	    json_object_get_int64(v) > 0)
		seq = (__u64)json_object_get_int64(v);
	json_object_put(o);
	json_tokener_free(tok);
	return seq;
}

/*
 * Where the line holding byte end - 1 starts: just past the last '\n' before
 * end, or 0. -E2BIG when none is found within limit bytes.
 */
static int line_start(int fd, off_t end, off_t limit, off_t *start)
{
	char buf[4096];
	off_t pos = end;
	size_t want;
	ssize_t n;
	char *nl;

	while (pos > 0) {
		if (end - pos >= limit)
			return -E2BIG;
		want = pos > (off_t)sizeof(buf) ? sizeof(buf) : (size_t)pos;
		n = pread(fd, buf, want, pos - (off_t)want);
		if (n < 0)
			return -errno;
		if ((size_t)n != want)
			return -EIO; /* shrank under us */
		nl = memrchr(buf, '\n', want);
		if (nl) {
			*start = pos - (off_t)want + (nl - buf) + 1;
			return 0;
		}
		pos -= (off_t)want;
	}
	*start = 0;
	return 0;
}

/* A copy of the last line of the first end bytes of fd (ending in '\n'). */
static int last_line(int fd, off_t end, char **line)
{
	off_t start = 0;
	char *buf;
	int err;

	*line = NULL;
	if (end <= 1)
		return 0;
	err = line_start(fd, end - 1,
			 TG_EVENTLOG_MAX_LINE + TG_CHAIN_MEMBER +
				 TG_CHAIN_SALT_MEMBER + 1,
			 &start);
	if (err)
		return err == -E2BIG ? 0 : err; /* not one of ours */
	buf = malloc((size_t)(end - start));
	if (!buf)
		return -ENOMEM;
	if (pread(fd, buf, (size_t)(end - 1 - start), start) !=
	    end - 1 - start) {
		free(buf);
		return -EIO;
	}
	buf[end - 1 - start] = '\0';
	*line = buf;
	return 0;
}

/*
 * Drop a torn last line (no newline: the writer died mid-line) and find the
 * last complete line.
 */
static int recover_tail(struct tg_eventlog *l)
{
	off_t end, cut;
	char last = '\n';
	int err;

	end = lseek(l->fd, 0, SEEK_END);
	if (end < 0)
		return -errno;
	if (end > 0 && pread(l->fd, &last, 1, end - 1) != 1)
		return -EIO;
	if (end > 0 && last != '\n') {
		err = line_start(l->fd, end, end, &cut);
		if (err)
			return err;
		if (ftruncate(l->fd, cut) < 0 || fdatasync(l->fd) < 0)
			return -errno;
		l->torn_truncated = 1;
		end = cut;
	}
	l->size = l->committed = end;
	return last_line(l->fd, end, &l->last_line);
}

/* After rotation the log may be empty: the last line is then in <log>.1. */
static int recover_rotated(struct tg_eventlog *l)
{
	off_t end;
	char last = 0;
	int fd, err = 0;

	fd = tg_eventlog_open_file(l, ".1", O_RDONLY);
	if (fd < 0)
		return errno == ENOENT ? 0 : -errno;
	end = lseek(fd, 0, SEEK_END);
	if (end < 0)
		err = -errno;
	else if (end > 0 && pread(fd, &last, 1, end - 1) == 1 && last == '\n')
		err = last_line(fd, end, &l->last_line);
	close(fd);
	return err;
}

/* The chain's head: the value the last line carries, else none yet. */
static void recover_chain(struct tg_eventlog *l, __u64 last)
{
	const char *hex = NULL;
	size_t at = 0;
	__u64 seq = 0;

	memset(l->chain, 0, sizeof(l->chain));
	l->chain_seq = last;
	l->chain_found = l->last_line &&
			 tg_chain_parse(l->last_line, strlen(l->last_line),
					&seq, &at, &hex) == 1 &&
			 !tg_chain_unhex(hex, TG_CHAIN_HEX, l->chain,
					 sizeof(l->chain));
	memcpy(l->chain_committed, l->chain, sizeof(l->chain));
	l->chain_seq_committed = l->chain_seq;
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

/* Durably record upto as the state file's high-water mark. */
static int reserve(struct tg_eventlog *l, __u64 upto)
{
	char buf[32];
	int n = snprintf(buf, sizeof(buf), "%020llu\n",
			 (unsigned long long)upto);
	ssize_t w = pwrite(l->seq_fd, buf, (size_t)n, 0);

	if (w < 0)
		return -errno;
	if (w != n)
		return -EIO;
	if (fdatasync(l->seq_fd) < 0)
		return -errno;
	l->reserved = upto;
	return 0;
}

int tg_eventlog_lock(struct tg_eventlog *l, const char *path, int dir_fd,
		     off_t rotate_size, unsigned int rotate_keep)
{
	const char *slash;
	int err = 0;

	memset(l, 0, sizeof(*l));
	l->fd = l->seq_fd = -1;
	l->dir_fd = dir_fd;
	if (snprintf(l->path, sizeof(l->path), "%s", path) >=
	    (int)sizeof(l->path)) {
		err = -ENAMETOOLONG;
		goto out_close_dir;
	}
	slash = strrchr(l->path, '/');
	l->name = slash ? slash + 1 : l->path;
	if (!l->name[0] || strlen(l->name) > NAME_MAX - 8) {
		err = l->name[0] ? -ENAMETOOLONG : -EISDIR;
		goto out_close_dir;
	}
	if (rotate_size < 0 || rotate_keep > TG_EVENTLOG_MAX_KEEP) {
		err = -EINVAL;
		goto out_close_dir;
	}
	l->rotate_size = rotate_size;
	l->rotate_keep = rotate_keep;
	if (l->dir_fd < 0)
		l->dir_fd = tg_eventlog_open_dir(path, (uid_t)-1, (gid_t)-1);
	if (l->dir_fd < 0)
		return l->dir_fd;
	l->fd = tg_eventlog_open_file(l, "", O_RDWR | O_APPEND | O_CREAT);
	if (l->fd < 0) {
		err = -errno;
		goto out_close_dir;
	}
	l->seq_fd = tg_eventlog_open_file(l, ".seq", O_RDWR | O_CREAT);
	if (l->seq_fd < 0) {
		err = -errno;
		goto out_close_fd;
	}
	if (flock(l->seq_fd, LOCK_EX | LOCK_NB) < 0) {
		err = errno == EWOULDBLOCK ? -EBUSY : -errno;
		goto out_close_seq;
	}
	/* Rotation creates and renames files there: checked now. */
	if (faccessat(l->dir_fd, ".", W_OK | X_OK, AT_EACCESS) < 0) {
		err = -errno;
		goto out_close_seq;
	}
	return 0;

out_close_seq:
	close(l->seq_fd);
	l->seq_fd = -1;
out_close_fd:
	close(l->fd);
	l->fd = -1;
out_close_dir:
	if (l->dir_fd >= 0)
		close(l->dir_fd);
	l->dir_fd = -1;
	return err;
}

int tg_eventlog_recover(struct tg_eventlog *l)
{
	__u64 last, state = 0;
	int err;

	err = recover_tail(l);
	if (!err && !l->last_line)
		err = recover_rotated(l);
	if (!err)
		err = read_state(l->seq_fd, &state);
	if (err)
		goto out_free;
	last = l->last_line ? line_seq(l->last_line, strlen(l->last_line)) : 0;
	l->next_seq = (last > state ? last : state) + 1;
	recover_chain(l, last);
	/* A crash may have left seqs reserved but unused: skip them all. */
	l->reserved = l->next_seq;
	err = sync_dir(l);
	if (!err)
		return 0;
out_free:
	free(l->last_line);
	l->last_line = NULL;
	return err;
}

int tg_eventlog_open(struct tg_eventlog *l, const char *path, off_t rotate_size,
		     unsigned int rotate_keep)
{
	int err = tg_eventlog_lock(l, path, -1, rotate_size, rotate_keep);

	if (!err) {
		err = tg_eventlog_recover(l);
		if (err)
			tg_eventlog_close(l);
	}
	return err;
}

/* Keep a copy of a line written, for whoever forwards it after commit. */
static void keep_copy(struct tg_eventlog *l, const char *line, size_t len)
{
	if (!l->copy_lines)
		return;
	if (l->copy.len + len > TG_EVENTLOG_MAX_COPY ||
	    tg_buf_put(&l->copy, line, len))
		l->copy_skipped++;
}

/* The whole lines of the last max_bytes of one file (.1: which 1) to fn. */
static int tail_file(const struct tg_eventlog *l, int which, char *buf,
		     size_t max_bytes,
		     void (*fn)(void *ctx, const char *line, size_t len),
		     void *ctx)
{
	const char *s, *nl;
	off_t end, start;
	size_t got;
	ssize_t n;
	int fd;

	fd = tg_eventlog_open_file(l, which ? ".1" : "", O_RDONLY);
	if (fd < 0)
		return 0;
	end = lseek(fd, 0, SEEK_END);
	if (!which && end > l->committed)
		end = l->committed;
	start = end > (off_t)max_bytes ? end - (off_t)max_bytes : 0;
	n = end > start ? pread(fd, buf, (size_t)(end - start), start) : 0;
	close(fd);
	if (n < 0)
		return -errno;
	got = (size_t)n;
	buf[got] = '\0';
	s = buf;
	/* A partial first line (the window cut it) is skipped. */
	if (start > 0) {
		nl = memchr(s, '\n', got);
		s = nl ? nl + 1 : buf + got;
	}
	while (s < buf + got && (nl = memchr(s, '\n', (size_t)(buf + got - s)))) {
		fn(ctx, s, (size_t)(nl - s));
		s = nl + 1;
	}
	return 0;
}

int tg_eventlog_tail_file(const struct tg_eventlog *l, int which,
			  size_t max_bytes,
			  void (*fn)(void *ctx, const char *line, size_t len),
			  void *ctx)
{
	char *buf = malloc(max_bytes + 1);
	int err;

	if (!buf)
		return -ENOMEM;
	err = tail_file(l, which, buf, max_bytes, fn, ctx);
	free(buf);
	return err;
}

int tg_eventlog_tail(const struct tg_eventlog *l, size_t max_bytes,
		     void (*fn)(void *ctx, const char *line, size_t len),
		     void *ctx)
{
	/* <log>.1 first (its end), then <log>: oldest lines first. */
	return tg_eventlog_tail_file(l, 1, max_bytes, fn, ctx)
		       ?: tg_eventlog_tail_file(l, 0, max_bytes, fn, ctx);
}

/* -EINVAL if v nests too deep or holds a number JSON cannot express. */
static int check_value(struct json_object *v, int depth)
{
	struct json_object_iterator it, end;
	const char *s;
	size_t i, n;
	int err = 0;

	if (depth > TG_EVENTLOG_MAX_DEPTH)
		return -EINVAL;
	switch (json_object_get_type(v)) {
	case json_type_double:
		/* json-c writes NaN and Infinity as such: not JSON. */
		s = json_object_to_json_string_ext(v, JSON_C_TO_STRING_PLAIN);
		s += s[0] == '-';
		return s[0] >= '0' && s[0] <= '9' ? 0 : -EINVAL;
	case json_type_object:
		it = json_object_iter_begin(v);
		end = json_object_iter_end(v);
		for (; !err && !json_object_iter_equal(&it, &end);
		     json_object_iter_next(&it))
			err = check_value(json_object_iter_peek_value(&it),
					  depth + 1);
		return err;
	case json_type_array:
		n = json_object_array_length(v);
		for (i = 0; !err && i < n; i++)
			err = check_value(json_object_array_get_idx(v, i),
					  depth + 1);
		return err;
	default: return 0;
	}
}

/* Cut the file back to off after a failed write; else the log is broken. */
static void roll_back(struct tg_eventlog *l, off_t off)
{
	if (ftruncate(l->fd, off) < 0)
		l->broken = -errno;
	else
		l->size = off;
}

/* ev as one line: "{"seq":N," + the body without its "{" + "\n". */
static int format_line(const struct tg_eventlog *l, struct json_object *ev,
		       char **line, size_t *len)
{
	const char *body;
	char head[40], *clean, *out;
	size_t hl, bl;

	body = json_object_to_json_string_ext(
		ev, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);
	if (!body)
		return -ENOMEM;
	bl = strlen(body);
	if (bl < 2 || bl > TG_EVENTLOG_MAX_LINE)
		return -E2BIG;
	/*
	 * json-c escapes quotes, backslashes and control characters (so a line
	 * never holds a raw newline) but copies invalid UTF-8 as it is; only
	 * strings can hold such bytes, so replacing them keeps it JSON.
	 */
	clean = tg_utf8_sanitize(body, bl);
	if (!clean)
		return -ENOMEM;
	bl = strlen(clean);
	hl = (size_t)snprintf(head, sizeof(head), "{\"seq\":%llu%s",
			      (unsigned long long)l->next_seq,
			      bl > 2 ? "," : "");
	if (hl + bl > TG_EVENTLOG_MAX_LINE) {
		free(clean);
		return -E2BIG;
	}
	out = malloc(hl + bl);
	if (!out) {
		free(clean);
		return -ENOMEM;
	}
	memcpy(out, head, hl);
	memcpy(out + hl, clean + 1, bl - 1);
	out[hl + bl - 1] = '\n';
	free(clean);
	*line = out;
	*len = hl + bl;
	return 0;
}

/*
 * line ("{"seq":N..." and its newline) into the buffer the commit writes,
 * its chain member and a salt of its own after the seq (chain format 2,
 * common/chain.h); the chain moves on.
 */
static int put_chained(struct tg_eventlog *l, const char *line, size_t len)
{
	static const char seq_head[] = "{\"seq\":";
	unsigned char lh[TG_CHAIN_BYTES], next[TG_CHAIN_BYTES];
	char member[TG_CHAIN_MEMBER + 1], salt[TG_CHAIN_SALT_MEMBER + 1];
	size_t at = sizeof(seq_head) - 1, old = l->w.len;
	int err;

	while (at < len && line[at] >= '0' && line[at] <= '9')
		at++;
	tg_chain_salt_member(salt);
	/* The line as stored, but for its chain member: hashed. */
	err = tg_buf_put(&l->w, line, at)
		      ?: tg_buf_put(&l->w, salt, TG_CHAIN_SALT_MEMBER)
		      ?: tg_buf_put(&l->w, line + at, len - at);
	if (err) {
		l->w.len = old;
		return err;
	}
	tg_chain_line_hash(l->w.p + old, l->w.len - old - 1, lh);
	tg_chain_link(l->chain, lh, next);
	memcpy(member, ",\"chain\":\"", 10);
	tg_chain_hex(next, sizeof(next), member + 10);
	member[TG_CHAIN_MEMBER - 1] = '"';
	/* The chain member goes in after the seq, before the salt. */
	err = tg_buf_put(&l->w, member, TG_CHAIN_MEMBER);
	if (err) {
		l->w.len = old;
		return err;
	}
	memmove(l->w.p + old + at + TG_CHAIN_MEMBER, l->w.p + old + at,
		l->w.len - TG_CHAIN_MEMBER - old - at);
	memcpy(l->w.p + old + at, member, TG_CHAIN_MEMBER);
	keep_copy(l, l->w.p + old, l->w.len - old);
	memcpy(l->chain, next, sizeof(next));
	l->chain_seq = l->next_seq;
	return 0;
}

/* Reserve the line's seq, then add it to the buffer the commit writes. */
static int buffer_line(struct tg_eventlog *l, const char *line, size_t len,
		       __u64 *seq)
{
	int err;

	if (l->next_seq >= l->reserved) {
		err = reserve(l, l->next_seq + TG_EVENTLOG_SEQ_RESERVE);
		if (err)
			return err;
	}
	err = put_chained(l, line, len);
	if (err)
		return err;
	*seq = l->next_seq++;
	return 0;
}

int tg_eventlog_append(struct tg_eventlog *l, struct json_object *ev,
		       __u64 *seq)
{
	char *line = NULL;
	size_t len = 0;
	int err;

	if (l->broken)
		return l->broken;
	if (!json_object_is_type(ev, json_type_object) ||
	    json_object_object_get_ex(ev, "seq", NULL))
		return -EINVAL;
	err = check_value(ev, 1);
	if (err)
		return err;
	err = format_line(l, ev, &line, &len);
	if (err)
		return err;
	err = buffer_line(l, line, len, seq);
	free(line);
	return err;
}

int tg_eventlog_append_raw(struct tg_eventlog *l, const char *obj, size_t len,
			   const char *tail, __u64 *seq)
{
	size_t tl = strlen(tail), n;
	char head[40], *line;
	int hl, err;

	if (l->broken)
		return l->broken;
	if (len < 2 || obj[0] != '{' || obj[len - 1] != '}')
		return -EINVAL;
	hl = snprintf(head, sizeof(head), "{\"seq\":%llu%s",
		      (unsigned long long)l->next_seq, len > 2 ? "," : "");
	n = (size_t)hl + (len - 2) + tl + 2;
	if (n > TG_EVENTLOG_MAX_LINE)
		return -E2BIG;
	line = malloc(n);
	if (!line)
		return -ENOMEM;
	memcpy(line, head, (size_t)hl);
	memcpy(line + hl, obj + 1, len - 2);
	memcpy(line + hl + len - 2, tail, tl);
	line[n - 2] = '}';
	line[n - 1] = '\n';
	err = buffer_line(l, line, n, seq);
	free(line);
	return err;
}

int tg_eventlog_commit(struct tg_eventlog *l)
{
	ssize_t n;
	int err;

	if (l->broken)
		return l->broken;
	if (l->w.len) {
		n = write(l->fd, l->w.p, l->w.len);
		if (n != (ssize_t)l->w.len) {
			/*
			 * Disk full (or the like): never leave part of a line;
			 * keep the lines to write them again later.
			 */
			err = n < 0 ? -errno : -ENOSPC;
			if (n > 0)
				roll_back(l, l->size);
			return err;
		}
		l->size += n;
		l->w.len = 0;
	}
	if (l->committed == l->size)
		return 0;
	if (fdatasync(l->fd) == 0) {
		l->committed = l->size;
		memcpy(l->chain_committed, l->chain, sizeof(l->chain));
		l->chain_seq_committed = l->chain_seq;
		return 0;
	}
	err = -errno;
	/*
	 * After a failed writeback the kernel may have dropped the data yet
	 * report the next fdatasync as a success: remove everything not known
	 * to be durable, so that a later commit never vouches for it.
	 */
	roll_back(l, l->committed);
	memcpy(l->chain, l->chain_committed, sizeof(l->chain));
	l->chain_seq = l->chain_seq_committed;
	return err;
}

int tg_eventlog_rotate(struct tg_eventlog *l)
{
	char from[16], to[16], name[PATH_MAX + 16];
	unsigned int i;
	int fd = -1, err = 0;

	if (!l->rotate_size || l->size < l->rotate_size)
		return 0;
	if (l->committed != l->size || l->w.len)
		return -EBUSY;
	/* The new file first: if that fails, nothing has moved. */
	fd = tg_eventlog_open_file(l, ".new", O_RDWR | O_APPEND | O_CREAT | O_TRUNC);
	if (fd < 0)
		return -errno;
	for (i = l->rotate_keep; i > 1; i--) {
		snprintf(from, sizeof(from), ".%u", i - 1);
		snprintf(to, sizeof(to), ".%u", i);
		err = rename_file(l, from, to);
		if (err && err != -ENOENT)
			goto out_unlink;
	}
	/* ENOENT: an earlier attempt got this far. */
	err = l->rotate_keep ? rename_file(l, "", ".1") : 0;
	if (err && err != -ENOENT)
		goto out_unlink;
	/* With rotate_keep 0 this replaces (drops) the full file. */
	err = rename_file(l, ".new", "");
	if (err)
		goto out_unlink;
	close(l->fd);
	l->fd = fd;
	l->size = l->committed = 0;
	return sync_dir(l);

out_unlink:
	snprintf(name, sizeof(name), "%s.new", l->name);
	unlinkat(l->dir_fd, name, 0);
	close(fd);
	return err;
}

void tg_eventlog_close(struct tg_eventlog *l)
{
	int durable = 0;

	if (l->fd >= 0) {
		durable = tg_eventlog_commit(l) == 0;
		close(l->fd);
	}
	/* A clean close gives back the unused reservation: no gap in seq. */
	if (l->seq_fd >= 0 && durable && l->next_seq)
		reserve(l, l->next_seq - 1);
	if (l->seq_fd >= 0)
		close(l->seq_fd);
	if (l->dir_fd >= 0)
		close(l->dir_fd);
	l->fd = l->seq_fd = l->dir_fd = -1;
	free(l->last_line);
	l->last_line = NULL;
	tg_buf_free(&l->copy);
	tg_buf_free(&l->w);
}
