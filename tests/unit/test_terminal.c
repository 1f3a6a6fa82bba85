// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests: the launcher's terminal relay (launcher/terminal.c), between a
 * pipe standing for the operator's terminal and a real pseudo-terminal.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <unistd.h>
#include <cmocka.h>

#include "launcher/terminal.h"

/* t relaying in (the operator's input) and out (its screen). */
struct relay {
	struct tg_terminal t;
	int in[2], out[2];
};

static int relay_setup(void **state)
{
	struct relay *r = calloc(1, sizeof(*r));
	struct termios tio;

	assert_non_null(r);
	assert_int_equal(pipe2(r->in, O_CLOEXEC), 0);
	assert_int_equal(pipe2(r->out, O_CLOEXEC | O_NONBLOCK), 0);
	r->t.master = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
	assert_true(r->t.master >= 0);
	assert_int_equal(unlockpt(r->t.master), 0);
	r->t.slave = ioctl(r->t.master, TIOCGPTPEER, O_RDWR | O_NOCTTY);
	assert_true(r->t.slave >= 0);
	/* As a workload reading characters, without echo. */
	assert_int_equal(tcgetattr(r->t.slave, &tio), 0);
	cfmakeraw(&tio);
	assert_int_equal(tcsetattr(r->t.slave, TCSANOW, &tio), 0);
	assert_int_equal(fcntl(r->t.master, F_SETFL, O_NONBLOCK), 0);
	r->t.tty = -1;
	r->t.in = r->in[0];
	r->t.out = r->out[1];
	*state = r;
	return 0;
}

static int relay_teardown(void **state)
{
	struct relay *r = *state;

	tg_terminal_close(&r->t);
	close(r->in[0]);
	close(r->in[1]);
	close(r->out[0]);
	close(r->out[1]);
	free(r);
	return 0;
}

/* What fd has to read within a second, as a string. */
static const char *read_some(int fd, char *buf, size_t len)
{
	struct pollfd p = {.fd = fd, .events = POLLIN};
	ssize_t n;

	assert_int_equal(poll(&p, 1, 1000), 1);
	n = read(fd, buf, len - 1);
	assert_true(n > 0);
	buf[n] = '\0';
	return buf;
}

static void test_input_reaches_the_workload(void **state)
{
	struct relay *r = *state;
	int in_fd, master_fd;
	short in_ev, master_ev;
	char buf[64];

	tg_terminal_poll(&r->t, &in_fd, &in_ev, &master_fd, &master_ev);
	assert_int_equal(in_fd, r->in[0]);
	assert_int_equal(master_fd, r->t.master);
	assert_false(master_ev & POLLOUT);
	assert_int_equal(write(r->in[1], "ls\003", 3), 3);
	tg_terminal_copy(&r->t, POLLIN, 0);
	assert_int_equal(r->t.pending, 0);
	assert_string_equal(read_some(r->t.slave, buf, sizeof(buf)), "ls\003");
}

static void test_output_reaches_the_operator(void **state)
{
	struct relay *r = *state;
	char buf[64];

	assert_int_equal(write(r->t.slave, "hello", 5), 5);
	tg_terminal_copy(&r->t, 0, POLLIN);
	assert_string_equal(read_some(r->out[0], buf, sizeof(buf)), "hello");
	assert_false(r->t.ended);
}

/* The operator's input ended: no more polling for it. */
static void test_input_eof(void **state)
{
	struct relay *r = *state;
	int in_fd, master_fd;
	short in_ev, master_ev;

	close(r->in[1]);
	r->in[1] = -1;
	tg_terminal_copy(&r->t, POLLHUP, 0);
	assert_int_equal(r->t.in, -1);
	tg_terminal_poll(&r->t, &in_fd, &in_ev, &master_fd, &master_ev);
	assert_int_equal(in_fd, -1);
	assert_int_equal(master_fd, r->t.master);
}

/* The last output is drained; once the slave is closed, the relay ends. */
static void test_drain_until_closed(void **state)
{
	struct relay *r = *state;
	int in_fd, master_fd;
	short in_ev, master_ev;
	char buf[64];

	assert_int_equal(write(r->t.slave, "bye", 3), 3);
	close(r->t.slave);
	r->t.slave = -1;
	tg_terminal_drain(&r->t, 1000);
	assert_true(r->t.ended);
	assert_string_equal(read_some(r->out[0], buf, sizeof(buf)), "bye");
	tg_terminal_poll(&r->t, &in_fd, &in_ev, &master_fd, &master_ev);
	assert_int_equal(master_fd, -1);
}

/* A reader of the output gone (EPIPE): output dropped, the relay goes on. */
static void test_output_reader_gone(void **state)
{
	struct relay *r = *state;
	struct sigaction ign = {.sa_handler = SIG_IGN}, old;

	sigaction(SIGPIPE, &ign, &old);
	close(r->out[0]);
	r->out[0] = -1;
	assert_int_equal(write(r->t.slave, "lost", 4), 4);
	tg_terminal_copy(&r->t, 0, POLLIN);
	sigaction(SIGPIPE, &old, NULL);
	assert_int_equal(r->t.out, -1);
	assert_false(r->t.ended);
}

/* Not a terminal: no pseudo-terminal, nothing to restore or relay. */
static void test_no_terminal(void **state)
{
	struct tg_terminal t = {
		.master = -1, .slave = -1, .tty = -1, .in = -1, .out = -1};
	int in_fd, master_fd;
	short in_ev, master_ev;

	tg_terminal_raw(&t);
	assert_false(t.raw);
	assert_int_equal(tg_terminal_replace(&t), 0);
	assert_int_equal(tg_terminal_control(&t), 0);
	tg_terminal_poll(&t, &in_fd, &in_ev, &master_fd, &master_ev);
	assert_int_equal(in_fd, -1);
	assert_int_equal(master_fd, -1);
	tg_terminal_close(&t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_input_reaches_the_workload,
						relay_setup, relay_teardown),
		cmocka_unit_test_setup_teardown(
			test_output_reaches_the_operator, relay_setup,
			relay_teardown),
		cmocka_unit_test_setup_teardown(test_input_eof, relay_setup,
						relay_teardown),
		cmocka_unit_test_setup_teardown(test_drain_until_closed,
						relay_setup, relay_teardown),
		cmocka_unit_test_setup_teardown(test_output_reader_gone,
						relay_setup, relay_teardown),
		cmocka_unit_test(test_no_terminal),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
