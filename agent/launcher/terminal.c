// SPDX-License-Identifier: GPL-2.0
/*
 * A workload's own pseudo-terminal, relayed to the operator's terminal:
 * the workload never holds the operator's terminal (nothing it pushes
 * into its input, or leaves reading it, reaches the operator's shell), and
 * still gets a controlling terminal of its own (job control, Ctrl-C).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <unistd.h>

#include "launcher/terminal.h"

static int fail(char *why, size_t len, const char *what)
{
	int err = -errno;

	snprintf(why, len, "pseudo-terminal: %s: %s", what, strerror(errno));
	return err;
}

int tg_terminal_open(struct tg_terminal *t, uid_t uid, char *why, size_t len)
{
	struct termios tio;
	struct winsize ws;
	int i;

	memset(t, 0, sizeof(*t));
	t->master = t->slave = t->tty = t->in = t->out = -1;
	for (i = 2; i >= 0; i--)
		if ((t->is_tty[i] = isatty(i)))
			t->tty = i;
	if (t->tty < 0)
		return 0;
	t->master = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (t->master < 0)
		return fail(why, len, "posix_openpt");
	if (unlockpt(t->master))
		return fail(why, len, "unlockpt");
	/* The peer of this master, whatever /dev/pts holds by that name. */
	t->slave = ioctl(t->master, TIOCGPTPEER, O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (t->slave < 0)
		return fail(why, len, "opening its slave (TIOCGPTPEER)");
	/* The workload's own, also by its name in /dev/pts. */
	if (uid != (uid_t)-1 && fchown(t->slave, uid, (gid_t)-1))
		return fail(why, len, "giving the slave to the workload's uid");
	if (tcgetattr(t->tty, &tio) == 0)
		tcsetattr(t->slave, TCSANOW, &tio);
	if (ioctl(t->tty, TIOCGWINSZ, &ws) == 0)
		ioctl(t->slave, TIOCSWINSZ, &ws);
	if (fcntl(t->master, F_SETFL, O_NONBLOCK))
		return fail(why, len, "O_NONBLOCK");
	t->out = t->is_tty[1] ? 1 : t->is_tty[2] ? 2 : -1;
	return 0;
}

int tg_terminal_renew(const struct tg_terminal *t, uid_t uid, int *master,
		      char *why, size_t len)
{
	struct termios tio;
	struct winsize ws;
	int m, s, i, err;

	*master = -1;
	/* Without a devpts of its own (no /dev/pts here), the first one. */
	if (t->master < 0 || access("/dev/pts/ptmx", F_OK))
		return 0;
	m = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (m < 0)
		return fail(why, len, "posix_openpt in the private devpts");
	if (unlockpt(m)) {
		err = fail(why, len, "unlockpt in the private devpts");
		close(m);
		return err;
	}
	s = ioctl(m, TIOCGPTPEER, O_RDWR | O_NOCTTY);
	if (s < 0) {
		err = fail(why, len, "its slave in the private devpts");
		close(m);
		return err;
	}
	if (uid != (uid_t)-1 && fchown(s, uid, (gid_t)-1)) {
		err = fail(why, len, "giving the slave to the workload's uid");
		goto out;
	}
	if (tcgetattr(t->tty, &tio) == 0)
		tcsetattr(s, TCSANOW, &tio);
	if (ioctl(t->tty, TIOCGWINSZ, &ws) == 0)
		ioctl(s, TIOCSWINSZ, &ws);
	for (i = 0; i < 3; i++)
		if (t->is_tty[i] && dup2(s, i) < 0) {
			err = fail(why, len, "the new slave on 0, 1, 2");
			goto out;
		}
	close(s);
	*master = m;
	return 0;
out:
	close(s);
	close(m);
	return err;
}

void tg_terminal_adopt(struct tg_terminal *t, int master)
{
	t->renewing = 0;
	if (t->master < 0 || master < 0) {
		if (master >= 0)
			close(master);
		return;
	}
	fcntl(master, F_SETFL, O_NONBLOCK);
	close(t->master);
	t->master = master;
	t->ended = 0;
	tg_terminal_winsize(t);
}

int tg_terminal_replace(const struct tg_terminal *t)
{
	int i;

	if (t->slave < 0)
		return 0;
	close(t->master);
	for (i = 0; i < 3; i++)
		if (t->is_tty[i] && dup2(t->slave, i) < 0)
			return -errno;
	return close(t->slave) ? -errno : 0;
}

int tg_terminal_control(const struct tg_terminal *t)
{
	if (t->slave < 0)
		return 0;
	return ioctl(t->tty, TIOCSCTTY, 0) ? -errno : 0;
}

void tg_terminal_raw(struct tg_terminal *t)
{
	struct termios raw;

	/* In the background the shell owns the terminal: leave it alone. */
	if (t->master < 0 || !t->is_tty[0] || t->raw ||
	    (t->passed ? !t->foreground : tcgetpgrp(0) != getpgrp()) ||
	    tcgetattr(0, &t->saved))
		return;
	raw = t->saved;
	cfmakeraw(&raw);
	if (tcsetattr(0, TCSADRAIN, &raw))
		return;
	t->raw = 1;
	t->in = 0;
}

void tg_terminal_restore(struct tg_terminal *t)
{
	t->in = -1;
	if (!t->raw)
		return;
	tcsetattr(0, TCSADRAIN, &t->saved);
	t->raw = 0;
}

void tg_terminal_winsize(const struct tg_terminal *t)
{
	struct winsize ws;

	if (t->master >= 0 && ioctl(t->tty, TIOCGWINSZ, &ws) == 0)
		ioctl(t->master, TIOCSWINSZ, &ws);
}

void tg_terminal_poll(const struct tg_terminal *t, int *in_fd, short *in_ev,
		      int *master_fd, short *master_ev)
{
	int open = t->master >= 0 && !t->ended;

	*in_fd = open && t->in >= 0 && !t->renewing &&
				 t->pending < sizeof(t->buf)
			 ? t->in
			 : -1;
	*in_ev = POLLIN;
	*master_fd = open ? t->master : -1;
	*master_ev = POLLIN | (t->pending ? POLLOUT : 0);
}

/* All of buf to fd; 0, or -1 (the reader is gone). */
static int write_all(int fd, const char *buf, size_t n)
{
	ssize_t w;

	while (n) {
		w = write(fd, buf, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		buf += w;
		n -= (size_t)w;
	}
	return 0;
}

/* One read of the workload's output, written out; 0 once it has ended. */
static int copy_out(struct tg_terminal *t)
{
	char b[TG_TERM_BUF];
	ssize_t n = read(t->master, b, sizeof(b));

	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return 1;
	if (n <= 0) {
		/* EIO: the slave is closed everywhere. */
		t->ended = 1;
		return 0;
	}
	/* Without a terminal to show it (only stdin was one): dropped. */
	if (t->out >= 0 && write_all(t->out, b, (size_t)n))
		t->out = -1;
	return 1;
}

void tg_terminal_copy(struct tg_terminal *t, short in_rev, short master_rev)
{
	ssize_t n;

	if (in_rev) {
		n = read(t->in, t->buf + t->pending,
			 sizeof(t->buf) - t->pending);
		if (n > 0)
			t->pending += (size_t)n;
		else if (n == 0 || (errno != EINTR && errno != EAGAIN))
			t->in = -1; /* hung up, or in the background (EIO) */
	}
	if (t->pending && !t->ended) {
		n = write(t->master, t->buf, t->pending);
		if (n > 0) {
			memmove(t->buf, t->buf + n, t->pending - (size_t)n);
			t->pending -= (size_t)n;
		} else if (n < 0 && errno != EAGAIN && errno != EINTR) {
			t->pending = 0;
		}
	}
	if (master_rev & (POLLIN | POLLHUP | POLLERR))
		copy_out(t);
}

void tg_terminal_drain(struct tg_terminal *t, int ms)
{
	struct pollfd p = {.fd = t->master, .events = POLLIN};

	while (t->master >= 0 && !t->ended && poll(&p, 1, ms) > 0 &&
	       copy_out(t))
		;
}

void tg_terminal_close(struct tg_terminal *t)
{
	tg_terminal_restore(t);
	if (t->slave >= 0)
		close(t->slave);
	if (t->master >= 0)
		close(t->master);
	t->slave = t->master = -1;
}
