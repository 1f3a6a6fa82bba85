/* SPDX-License-Identifier: GPL-2.0 */
#ifndef TG_LAUNCHER_TERMINAL_H
#define TG_LAUNCHER_TERMINAL_H

#include <stddef.h>
#include <sys/types.h>
#include <termios.h>

#define TG_TERM_BUF 4096

/*
 * The launcher's side of a workload's pseudo-terminal: when any of the
 * launcher's 0, 1 and 2 is a terminal (the operator's), the workload gets
 * a pseudo-terminal of its own in their place, and the launcher copies
 * between the two (as systemd-run --pty and machinectl shell do). Those
 * of 0, 1 and 2 that are no terminal (files, pipes) go to the workload as
 * they are.
 */
struct tg_terminal {
	int master;    /* the launcher's end; -1: no pseudo-terminal */
	int slave;     /* the workload's end, until it has it */
	int tty;       /* the first of 0, 1, 2 that is a terminal */
	int is_tty[3]; /* which of 0, 1, 2 the slave replaces */
	int in;	       /* 0 while the operator's input is relayed, else -1 */
	int out;       /* 1 or 2: where the workload's output goes; -1 */
	int raw;       /* the operator's terminal is in raw mode */
	int ended;     /* the slave is closed everywhere (EIO) */
	int renewing;  /* the child's own pseudo-terminal not yet adopted:
			  the operator's input waits */
	/*
	 * The terminal was passed by a client of the agent: it is in no
	 * session of the launcher's, so whether the client is in its
	 * foreground (raw mode, input relayed) is the client's word.
	 */
	int passed;
	int foreground;
	struct termios saved;  /* its settings before, put back */
	char buf[TG_TERM_BUF]; /* read from the operator, not yet written */
	size_t pending;
};

/*
 * A pseudo-terminal into t if any of 0, 1, 2 is a terminal, with the
 * operator's terminal settings and window size, its slave owned by uid
 * (unless uid is (uid_t)-1). 0 (t->master -1 when there is no terminal),
 * or -errno with what failed in why.
 */
int tg_terminal_open(struct tg_terminal *t, uid_t uid, char *why, size_t len);

/*
 * In the child, before anything else: the slave in place of the
 * operator's terminal on 0, 1 and 2, the slave's own descriptor closed.
 * 0 or -errno.
 */
int tg_terminal_replace(const struct tg_terminal *t);

/*
 * In the child, in its own mount namespace with its own devpts instance
 * (tg_ns_private_mounts), still root: a new pseudo-terminal made there,
 * with the settings and window size of the one on 0, 1, 2, its slave owned
 * by uid (unless (uid_t)-1) in place of the old one on 0, 1 and 2 (so the
 * workload finds its terminal by name in its /dev/pts). The new master in
 * *master, for the launcher to relay instead of t->master. 0 (nothing to do
 * without a terminal: *master -1), or -errno with what failed in why.
 */
int tg_terminal_renew(const struct tg_terminal *t, uid_t uid, int *master,
		      char *why, size_t len);

/*
 * In the launcher: master (from tg_terminal_renew) relayed from now on in
 * place of the first one, whose slave nobody holds any more; -1: the first
 * one stays. Either way the operator's input is relayed from now on.
 */
void tg_terminal_adopt(struct tg_terminal *t, int master);

/*
 * In the workload, a session leader already: the slave becomes its
 * controlling terminal, and the workload the terminal's foreground. 0 or
 * -errno.
 */
int tg_terminal_control(const struct tg_terminal *t);

/*
 * The operator's terminal in raw mode, if the launcher is in its
 * foreground (else its input is not relayed); its settings kept for
 * tg_terminal_restore.
 */
void tg_terminal_raw(struct tg_terminal *t);

/* The operator's terminal settings back as they were (any number of
 * times). */
void tg_terminal_restore(struct tg_terminal *t);

/* The operator's window size onto the pseudo-terminal (SIGWINCH). */
void tg_terminal_winsize(const struct tg_terminal *t);

/*
 * Poll requests for the operator's input and the master into in and
 * master (fd -1 where there is nothing to wait for).
 */
void tg_terminal_poll(const struct tg_terminal *t, int *in_fd, short *in_ev,
		      int *master_fd, short *master_ev);

/* Copy what poll reported: the operator's input in, the output out. */
void tg_terminal_copy(struct tg_terminal *t, short in_rev, short master_rev);

/*
 * After the workload ended: its last output copied out (until the slave
 * is closed everywhere, or ms milliseconds pass without any).
 */
void tg_terminal_drain(struct tg_terminal *t, int ms);

/* Restore, then close what is open. */
void tg_terminal_close(struct tg_terminal *t);

#endif /* TG_LAUNCHER_TERMINAL_H */
