// SPDX-License-Identifier: GPL-2.0
/* The agent's on-disk spool of unacknowledged event frames (see spool.h). */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>
#include <zlib.h>

#include "agentd/spool.h"
#include "common/private_dir.h"

#define SEG_MAGIC   0x314c4f4f50534754ULL /* "TGSPOOL1" little endian */
#define REC_MAGIC   0x43455254u		  /* "TREC" */
#define SEG_VERSION 1
#define RBUF_LEN    (256u << 10) /* read buffer: many records per pread */
#define SEG_MIN	    (64u << 10)
#define SEG_MAX	    (64u << 20)
#define NAME_LEN    30 /* "%08x-%016llx.seg" and NUL */

/* On-disk segment header. */
struct seg_hdr {
	__u64 magic;	 /* SEG_MAGIC */
	__u32 version;	 /* SEG_VERSION */
	__u32 run;	 /* agent run, as in the file name */
	__u64 stream;	 /* the run's stream id */
	__u64 first_seq; /* seq of the first record, as in the file name */
};
_Static_assert(sizeof(struct seg_hdr) == 32, "seg_hdr");

/* On-disk record header, followed by len bytes of payload. */
struct rec_hdr {
	__u32 magic;   /* REC_MAGIC */
	__u32 len;     /* payload bytes */
	__u64 seq;     /* frame seq */
	__u64 time_ns; /* CLOCK_REALTIME when first queued */
	__u32 crc;     /* CRC-32 of len, seq, time_ns and the payload */
	__u32 pad;     /* zero */
};
_Static_assert(sizeof(struct rec_hdr) == 32, "rec_hdr");

struct seg {
	char name[NAME_LEN];
	__u64 id; /* unique in this process: tags the read buffer */
	__u32 run;
	__u64 stream;
	__u64 size;    /* bytes of whole records (and the header) */
	__u64 records; /* records in the file */
	int fd;	       /* -1 while closed */
};

struct flight {
	__u64 seq;
	__u32 size; /* header and payload */
};

struct tg_spool {
	int dirfd;
	int head_fd; /* the "head" file */
	__u64 max_bytes, seg_bytes;
	__u32 run;
	__u64 next_id;
	struct seg *segs;
	size_t nsegs, cap;
	__u64 ack_off; /* ack cursor: segs[0] at ack_off */
	size_t rd_seg; /* read cursor: segs[rd_seg] at rd_off */
	__u64 rd_off;
	__u64 bytes, records, unread;
	struct flight *fly; /* ring of records in flight */
	size_t fly_head, fly_n, fly_cap;
	char *rb; /* read buffer: bytes [rb_off, rb_off + rb_len) of rb_id */
	__u64 rb_id, rb_off;
	size_t rb_len;
	char *pl; /* payload handed out by peek */
	int head_dirty, dir_dirty, tail_dirty;
	struct rec_hdr peeked; /* header of the record peek returned */
	int have_peek;
};

static __u32 rec_crc(const struct rec_hdr *h, const void *data)
{
	uLong c = crc32(0L, Z_NULL, 0);

	c = crc32(c, (const Bytef *)&h->len, sizeof(h->len));
	c = crc32(c, (const Bytef *)&h->seq, sizeof(h->seq));
	c = crc32(c, (const Bytef *)&h->time_ns, sizeof(h->time_ns));
	c = crc32(c, (const Bytef *)data, h->len);
	return (__u32)c;
}

static int seg_fd(struct tg_spool *sp, struct seg *s)
{
	if (s->fd < 0)
		s->fd = openat(sp->dirfd, s->name,
			       O_RDWR | O_APPEND | O_CLOEXEC | O_NOFOLLOW);
	return s->fd < 0 ? -errno : s->fd;
}

static void seg_close(struct seg *s)
{
	if (s->fd >= 0)
		close(s->fd);
	s->fd = -1;
}

/*
 * Bytes [off, off + n) of segment s (whose first limit bytes may be read),
 * through the read buffer; NULL with errno ENODATA past limit, else -errno.
 */
static const char *fetch(struct tg_spool *sp, struct seg *s, __u64 off,
			 size_t n, __u64 limit)
{
	size_t want;
	ssize_t got;
	int fd;

	if (sp->rb_id == s->id && off >= sp->rb_off &&
	    off + n <= sp->rb_off + sp->rb_len)
		return sp->rb + (off - sp->rb_off);
	if (off + n > limit) {
		errno = ENODATA;
		return NULL;
	}
	fd = seg_fd(sp, s);
	if (fd < 0) {
		errno = -fd;
		return NULL;
	}
	want = limit - off > RBUF_LEN ? RBUF_LEN : (size_t)(limit - off);
	got = pread(fd, sp->rb, want, (off_t)off);
	sp->rb_id = 0;
	if (got < 0)
		return NULL;
	if ((size_t)got < n) {
		errno = ENODATA;
		return NULL;
	}
	sp->rb_id = s->id;
	sp->rb_off = off;
	sp->rb_len = (size_t)got;
	return sp->rb;
}

/*
 * The record at off in s (limit bytes valid) if it is whole and its checks
 * pass: 0 with *h, and *data its payload; -EBADMSG if damaged or cut short.
 */
static int rec_at(struct tg_spool *sp, struct seg *s, __u64 off, __u64 limit,
		  struct rec_hdr *h, const char **data)
{
	const char *p = fetch(sp, s, off, sizeof(*h), limit);

	if (!p)
		return errno == ENODATA ? -EBADMSG : -errno;
	memcpy(h, p, sizeof(*h));
	if (h->magic != REC_MAGIC || h->len > TG_SPOOL_MAX_RECORD || h->pad)
		return -EBADMSG;
	p = fetch(sp, s, off, sizeof(*h) + h->len, limit);
	if (!p)
		return errno == ENODATA ? -EBADMSG : -errno;
	*data = p + sizeof(*h);
	return rec_crc(h, *data) == h->crc ? 0 : -EBADMSG;
}

static int parse_name(const char *name, __u32 *run, __u64 *first)
{
	unsigned int r;
	unsigned long long f;
	int n = 0;

	if (strlen(name) != NAME_LEN - 1 ||
	    sscanf(name, "%8x-%16llx.seg%n", &r, &f, &n) != 2 ||
	    n != NAME_LEN - 1)
		return -EINVAL;
	*run = r;
	*first = f;
	return 0;
}

static int cmp_seg(const void *a, const void *b)
{
	return strcmp(((const struct seg *)a)->name,
		      ((const struct seg *)b)->name);
}

static int add_seg(struct tg_spool *sp, const char *name)
{
	struct seg *n;

	if (sp->nsegs == sp->cap) {
		size_t cap = sp->cap ? sp->cap * 2 : 16;

		n = realloc(sp->segs, cap * sizeof(*n));
		if (!n)
			return -ENOMEM;
		sp->segs = n;
		sp->cap = cap;
	}
	n = &sp->segs[sp->nsegs++];
	memset(n, 0, sizeof(*n));
	snprintf(n->name, sizeof(n->name), "%s", name);
	n->id = ++sp->next_id;
	n->fd = -1;
	return 0;
}

/* Drop segment i from the list and its file from the directory. */
static void remove_seg(struct tg_spool *sp, size_t i)
{
	struct seg *s = &sp->segs[i];

	seg_close(s);
	unlinkat(sp->dirfd, s->name, 0);
	sp->bytes -= s->size;
	memmove(s, s + 1, (sp->nsegs - i - 1) * sizeof(*s));
	sp->nsegs--;
	sp->dir_dirty = 1;
}

/*
 * Check one segment file found at open: its header, then record by record
 * until the first damaged one, where the file is cut. Returns 0, 1 if the
 * segment holds nothing usable (to be removed), or -errno.
 */
static int scan_seg(struct tg_spool *sp, struct seg *s,
		    struct tg_spool_info *info)
{
	struct seg_hdr sh;
	struct rec_hdr h;
	const char *data, *p;
	struct stat st;
	__u64 off, first;
	__u32 run;
	int fd = seg_fd(sp, s), err;

	if (fd < 0)
		return fd;
	if (fstat(fd, &st) < 0)
		return -errno;
	parse_name(s->name, &run, &first);
	p = fetch(sp, s, 0, sizeof(sh), (__u64)st.st_size);
	if (!p)
		return errno == ENODATA ? 1 : -errno;
	memcpy(&sh, p, sizeof(sh));
	if (sh.magic != SEG_MAGIC || sh.version != SEG_VERSION ||
	    sh.run != run || sh.first_seq != first)
		return 1;
	s->run = run;
	s->stream = sh.stream;
	for (off = sizeof(sh); off < (__u64)st.st_size;
	     off += sizeof(h) + h.len) {
		err = rec_at(sp, s, off, (__u64)st.st_size, &h, &data);
		if (err == -EBADMSG)
			break;
		if (err)
			return err;
		s->records++;
	}
	if (off < (__u64)st.st_size) {
		/* A write cut short: nothing after it was ever acknowledged. */
		if (ftruncate(fd, (off_t)off) < 0)
			return -errno;
		info->torn++;
		info->torn_bytes += (__u64)st.st_size - off;
		sp->rb_id = 0;
	}
	s->size = off;
	return s->records ? 0 : 1;
}

/* Where "head" says the ack cursor is; records before it are acknowledged. */
static int load_head(struct tg_spool *sp)
{
	char buf[NAME_LEN + 32] = "", name[NAME_LEN];
	unsigned long long off;
	struct rec_hdr h;
	const char *data;
	__u64 pos, k = 0;
	ssize_t n;
	int err;

	n = pread(sp->head_fd, buf, sizeof(buf) - 1, 0);
	if (n < 0)
		return -errno;
	if (sscanf(buf, "%29s %llu", name, &off) != 2)
		return 0;
	/* Segments sorting before the head were acknowledged completely. */
	while (sp->nsegs && strcmp(sp->segs[0].name, name) < 0) {
		sp->records -= sp->segs[0].records;
		remove_seg(sp, 0);
	}
	if (!sp->nsegs || strcmp(sp->segs[0].name, name) != 0)
		return 0;
	/* off must be a record boundary within the segment. */
	for (pos = sizeof(struct seg_hdr); pos < off && pos < sp->segs[0].size;
	     pos += sizeof(h) + h.len, k++) {
		err = rec_at(sp, &sp->segs[0], pos, sp->segs[0].size, &h,
			     &data);
		if (err)
			return err == -EBADMSG ? 0 : err;
	}
	if (pos != off)
		return 0;
	sp->records -= k;
	sp->ack_off = off;
	return 0;
}

static int load_segments(struct tg_spool *sp, struct tg_spool_info *info)
{
	struct dirent *de;
	__u64 first;
	__u32 run;
	size_t i;
	DIR *d;
	int fd, err = 0;

	fd = dup(sp->dirfd);
	if (fd < 0)
		return -errno;
	d = fdopendir(fd);
	if (!d) {
		close(fd);
		return -errno;
	}
	while (!err && (de = readdir(d)))
		if (!parse_name(de->d_name, &run, &first))
			err = add_seg(sp, de->d_name);
	closedir(d);
	if (err)
		return err;
	qsort(sp->segs, sp->nsegs, sizeof(*sp->segs), cmp_seg);
	for (i = 0; i < sp->nsegs;) {
		err = scan_seg(sp, &sp->segs[i], info);
		if (err < 0)
			return err;
		sp->bytes += sp->segs[i].size;
		if (err == 1) {
			remove_seg(sp, i);
			continue;
		}
		sp->records += sp->segs[i].records;
		if (sp->segs[i].run >= sp->run)
			sp->run = sp->segs[i].run + 1;
		seg_close(&sp->segs[i]);
		i++;
	}
	return 0;
}

struct tg_spool *tg_spool_open(const char *dir, __u64 max_bytes,
			       __u64 seg_bytes, struct tg_spool_info *info)
{
	struct tg_spool_info dummy;
	struct tg_spool *sp;
	int err;

	if (!info)
		info = &dummy;
	memset(info, 0, sizeof(*info));
	sp = calloc(1, sizeof(*sp));
	if (!sp)
		return NULL;
	sp->dirfd = sp->head_fd = -1;
	sp->max_bytes = max_bytes;
	if (!seg_bytes) {
		seg_bytes = max_bytes / 16;
		seg_bytes = seg_bytes < SEG_MIN	  ? SEG_MIN
			    : seg_bytes > SEG_MAX ? SEG_MAX
						  : seg_bytes;
	}
	sp->seg_bytes = seg_bytes;
	sp->run = 1;
	sp->rb = malloc(RBUF_LEN);
	sp->pl = malloc(TG_SPOOL_MAX_RECORD);
	if (!sp->rb || !sp->pl) {
		err = -ENOMEM;
		goto out_free;
	}
	err = tg_private_dir_make(dir);
	if (err)
		goto out_free;
	sp->dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (sp->dirfd < 0) {
		err = -errno;
		goto out_free;
	}
	/* Nobody else may add, replace or remove a segment there. */
	err = tg_private_dir_check(sp->dirfd, geteuid(), info->why,
				   sizeof(info->why));
	if (err)
		goto out_free;
	if (flock(sp->dirfd, LOCK_EX | LOCK_NB) < 0) {
		err = errno == EWOULDBLOCK ? -EBUSY : -errno;
		goto out_free;
	}
	sp->head_fd = openat(sp->dirfd, "head",
			     O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (sp->head_fd < 0) {
		err = -errno;
		goto out_free;
	}
	err = load_segments(sp, info);
	if (!err)
		err = load_head(sp);
	if (err)
		goto out_free;
	if (sp->nsegs && !sp->ack_off)
		sp->ack_off = sizeof(struct seg_hdr);
	/* Whole segments acknowledged before a crash removed them. */
	while (sp->nsegs && (!sp->records || sp->ack_off >= sp->segs[0].size)) {
		remove_seg(sp, 0);
		sp->ack_off = sizeof(struct seg_hdr);
	}
	if (!sp->nsegs)
		sp->ack_off = 0;
	sp->rd_off = sp->ack_off;
	sp->unread = sp->records;
	info->records = info->old_records = sp->records;
	info->bytes = sp->bytes;
	return sp;

out_free:
	tg_spool_close(sp);
	errno = -err;
	return NULL;
}

/* Start a new tail segment for stream at seq. */
static int new_seg(struct tg_spool *sp, __u64 stream, __u64 seq)
{
	struct seg_hdr sh = {.magic = SEG_MAGIC,
			     .version = SEG_VERSION,
			     .run = sp->run,
			     .stream = stream,
			     .first_seq = seq};
	char name[NAME_LEN];
	struct seg *s;
	ssize_t n;
	int fd, err;

	snprintf(name, sizeof(name), "%08x-%016llx.seg", sp->run,
		 (unsigned long long)seq);
	fd = openat(sp->dirfd, name,
		    O_RDWR | O_APPEND | O_CREAT | O_EXCL | O_CLOEXEC |
			    O_NOFOLLOW,
		    0600);
	if (fd < 0)
		return -errno;
	n = write(fd, &sh, sizeof(sh));
	if (n != sizeof(sh)) {
		err = n < 0 ? -errno : -ENOSPC;
		goto out_unlink;
	}
	err = add_seg(sp, name);
	if (err)
		goto out_unlink;
	s = &sp->segs[sp->nsegs - 1];
	s->fd = fd;
	s->run = sp->run;
	s->stream = stream;
	s->size = sizeof(sh);
	sp->bytes += sizeof(sh);
	sp->dir_dirty = 1;
	/* The first segment: both cursors start at its first record. */
	if (sp->nsegs == 1) {
		sp->ack_off = sp->rd_off = sizeof(sh);
		sp->rd_seg = 0;
	}
	return 0;

out_unlink:
	close(fd);
	unlinkat(sp->dirfd, name, 0);
	return err;
}

int tg_spool_append(struct tg_spool *sp, __u64 stream, __u64 seq, __u64 time_ns,
		    const void *data, __u32 len)
{
	struct rec_hdr h = {
		.magic = REC_MAGIC, .len = len, .seq = seq, .time_ns = time_ns};
	__u64 need = sizeof(h) + len;
	struct seg *t = sp->nsegs ? &sp->segs[sp->nsegs - 1] : NULL;
	struct iovec iov[2];
	ssize_t n;
	int fd, err;

	if (len > TG_SPOOL_MAX_RECORD)
		return -EMSGSIZE;
	if (!t || t->run != sp->run || t->stream != stream ||
	    (t->records && t->size + need > sp->seg_bytes)) {
		if (sp->bytes + sizeof(struct seg_hdr) + need > sp->max_bytes)
			return -ENOSPC;
		err = new_seg(sp, stream, seq);
		if (err)
			return err;
		t = &sp->segs[sp->nsegs - 1];
	} else if (sp->bytes + need > sp->max_bytes) {
		return -ENOSPC;
	}
	fd = seg_fd(sp, t);
	if (fd < 0)
		return fd;
	h.crc = rec_crc(&h, data);
	iov[0] = (struct iovec){.iov_base = &h, .iov_len = sizeof(h)};
	iov[1] = (struct iovec){.iov_base = (void *)data, .iov_len = len};
	n = writev(fd, iov, 2);
	if (n != (ssize_t)need) {
		err = n < 0 ? -errno : -ENOSPC;
		/* Never leave part of a record behind. */
		if (n > 0 && ftruncate(fd, (off_t)t->size) < 0)
			err = -errno;
		return err;
	}
	t->size += need;
	t->records++;
	sp->bytes += need;
	sp->records++;
	sp->unread++;
	sp->tail_dirty = 1;
	return 0;
}

int tg_spool_peek(struct tg_spool *sp, struct tg_spool_rec *rec)
{
	const char *data;
	struct seg *s;
	int err;

	for (;;) {
		if (!sp->unread || sp->rd_seg >= sp->nsegs)
			return -ENODATA;
		s = &sp->segs[sp->rd_seg];
		if (sp->rd_off < s->size)
			break;
		/* Past this segment: the next one, closing this one. */
		if (sp->rd_seg + 1 == sp->nsegs)
			return -ENODATA;
		if (sp->rd_seg)
			seg_close(s);
		sp->rd_seg++;
		sp->rd_off = sizeof(struct seg_hdr);
	}
	err = rec_at(sp, s, sp->rd_off, s->size, &sp->peeked, &data);
	if (err)
		return err == -EBADMSG ? -EIO : err;
	memcpy(sp->pl, data, sp->peeked.len);
	sp->have_peek = 1;
	*rec = (struct tg_spool_rec){.stream = s->stream,
				     .seq = sp->peeked.seq,
				     .time_ns = sp->peeked.time_ns,
				     .len = sp->peeked.len,
				     .data = sp->pl};
	return 0;
}

void tg_spool_consume(struct tg_spool *sp)
{
	struct flight *f;
	size_t cap;

	if (!sp->have_peek)
		return;
	if (sp->fly_n == sp->fly_cap) {
		/* Grow the ring, unwrapping it. */
		cap = sp->fly_cap ? sp->fly_cap * 2 : 1024;
		f = malloc(cap * sizeof(*f));
		if (!f)
			return; /* stays unread: sent again later */
		for (size_t i = 0; i < sp->fly_n; i++)
			f[i] = sp->fly[(sp->fly_head + i) % sp->fly_cap];
		free(sp->fly);
		sp->fly = f;
		sp->fly_cap = cap;
		sp->fly_head = 0;
	}
	sp->fly[(sp->fly_head + sp->fly_n++) % sp->fly_cap] = (struct flight){
		.seq = sp->peeked.seq,
		.size = (__u32)(sizeof(struct rec_hdr) + sp->peeked.len)};
	sp->rd_off += sizeof(struct rec_hdr) + sp->peeked.len;
	sp->unread--;
	sp->have_peek = 0;
}

/* The head record is acknowledged: move the ack cursor over size bytes. */
static void ack_one(struct tg_spool *sp, __u32 size)
{
	sp->ack_off += size;
	sp->records--;
	sp->head_dirty = 1;
	if (!sp->records) {
		/* Empty: no file left, the next append starts afresh. */
		while (sp->nsegs)
			remove_seg(sp, 0);
		sp->rd_seg = 0;
		sp->ack_off = sp->rd_off = 0;
		sp->rb_id = 0;
		return;
	}
	while (sp->nsegs > 1 && sp->ack_off >= sp->segs[0].size) {
		remove_seg(sp, 0);
		sp->ack_off = sizeof(struct seg_hdr);
		if (sp->rd_seg) {
			sp->rd_seg--;
		} else {
			sp->rd_off = sizeof(struct seg_hdr);
		}
	}
}

__u64 tg_spool_ack(struct tg_spool *sp, __u64 stream, __u64 upto)
{
	struct tg_spool_rec rec;
	struct flight *f;
	__u64 n = 0;

	while (sp->records && sp->segs[0].stream == stream) {
		if (!sp->fly_n) {
			/* Not sent on this connection: read it to skip it. */
			if (tg_spool_peek(sp, &rec) || rec.stream != stream ||
			    rec.seq > upto)
				break;
			tg_spool_consume(sp);
			if (!sp->fly_n)
				break;
		}
		f = &sp->fly[sp->fly_head];
		if (f->seq > upto)
			break;
		sp->fly_head = (sp->fly_head + 1) % sp->fly_cap;
		sp->fly_n--;
		ack_one(sp, f->size);
		n++;
	}
	return n;
}

void tg_spool_rewind(struct tg_spool *sp)
{
	sp->fly_n = sp->fly_head = 0;
	sp->rd_seg = 0;
	sp->rd_off = sp->ack_off;
	sp->unread = sp->records;
	sp->have_peek = 0;
}

int tg_spool_head(struct tg_spool *sp, __u64 *stream, __u64 *seq,
		  __u64 *time_ns)
{
	struct rec_hdr h;
	int fd;

	if (!sp->records)
		return -ENODATA;
	fd = seg_fd(sp, &sp->segs[0]);
	if (fd < 0)
		return fd;
	if (pread(fd, &h, sizeof(h), (off_t)sp->ack_off) != sizeof(h))
		return -EIO;
	*stream = sp->segs[0].stream;
	*seq = h.seq;
	*time_ns = h.time_ns;
	return 0;
}

__u64 tg_spool_records(const struct tg_spool *sp)
{
	return sp->records;
}

__u64 tg_spool_unread(const struct tg_spool *sp)
{
	return sp->unread;
}

__u64 tg_spool_bytes(const struct tg_spool *sp)
{
	return sp->bytes;
}

int tg_spool_has_room(const struct tg_spool *sp, __u32 len)
{
	/* Room for a new segment's header too, which it may need. */
	return sp->bytes + sizeof(struct seg_hdr) + sizeof(struct rec_hdr) +
		       len <=
	       sp->max_bytes;
}

int tg_spool_sync(struct tg_spool *sp)
{
	char buf[NAME_LEN + 32];
	struct seg *t;
	int n, err = 0;

	if (sp->tail_dirty && sp->nsegs) {
		t = &sp->segs[sp->nsegs - 1];
		n = seg_fd(sp, t);
		if (n < 0 || fdatasync(n) < 0)
			err = n < 0 ? n : -errno;
		sp->tail_dirty = 0;
	}
	if (sp->head_dirty) {
		n = snprintf(buf, sizeof(buf), "%s %llu\n",
			     sp->nsegs ? sp->segs[0].name : "-",
			     (unsigned long long)sp->ack_off);
		if (pwrite(sp->head_fd, buf, (size_t)n, 0) != n ||
		    ftruncate(sp->head_fd, n) < 0)
			err = err ?: -errno;
		sp->head_dirty = 0;
	}
	if (sp->dir_dirty) {
		if (fsync(sp->dirfd) < 0)
			err = err ?: -errno;
		sp->dir_dirty = 0;
	}
	return err;
}

void tg_spool_close(struct tg_spool *sp)
{
	size_t i;

	if (!sp)
		return;
	if (sp->dirfd >= 0 && sp->head_fd >= 0)
		tg_spool_sync(sp);
	for (i = 0; i < sp->nsegs; i++)
		seg_close(&sp->segs[i]);
	if (sp->head_fd >= 0)
		close(sp->head_fd);
	if (sp->dirfd >= 0)
		close(sp->dirfd);
	free(sp->segs);
	free(sp->fly);
	free(sp->rb);
	free(sp->pl);
	free(sp);
}
