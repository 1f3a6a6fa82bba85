// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests: the launcher's namespaces (launcher/namespaces.c): which are
 * made, the exit status the init passes on, and the init itself, as pid 1
 * of a PID namespace made here where the test may make one.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <sched.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#include "launcher/namespaces.h"

static void test_clone_flags(void **state)
{
	unsigned long with = tg_ns_clone_flags(1),
		      without = tg_ns_clone_flags(0);

	assert_true(with & CLONE_NEWNS);
	assert_true(with & CLONE_NEWIPC);
	assert_true(with & CLONE_NEWPID);
	assert_true(without & CLONE_NEWNS);
	assert_true(without & CLONE_NEWIPC);
	assert_false(without & CLONE_NEWPID);
	/* The cgroup namespace comes after the cgroup is joined. */
	assert_false(with & CLONE_NEWCGROUP);
}

static void test_exit_code(void **state)
{
	assert_int_equal(tg_ns_exit_code(0), 0);
	assert_int_equal(tg_ns_exit_code(7 << 8), 7);
	assert_int_equal(tg_ns_exit_code(SIGTERM), 128 + SIGTERM);
	assert_int_equal(tg_ns_exit_code(SIGKILL | 0x80), 128 + SIGKILL);
}

/*
 * As pid 1 of a PID namespace of its own: the init passes SIGTERM on to
 * the workload (which ends of it) and exits 128 + SIGTERM. Reaping orphans
 * is the host lane's (test_launcher_ns).
 */
static void test_init_forwards_and_exits(void **state)
{
	sigset_t all, old;
	pid_t init, w;
	int status;

	sigfillset(&all);
	sigprocmask(SIG_BLOCK, &all, &old);
	init = (pid_t)syscall(SYS_clone, CLONE_NEWPID | SIGCHLD, NULL, NULL,
			      NULL, 0);
	if (init < 0) {
		sigprocmask(SIG_SETMASK, &old, NULL);
		skip(); /* no permission for a PID namespace here */
	}
	if (init == 0) {
		w = fork();
		if (w == 0) {
			sigprocmask(SIG_SETMASK, &old, NULL);
			pause();
			_exit(0);
		}
		tg_ns_init(w);
	}
	sigprocmask(SIG_SETMASK, &old, NULL);
	usleep(100 * 1000);
	assert_int_equal(kill(init, SIGTERM), 0);
	assert_int_equal(waitpid(init, &status, 0), init);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 128 + SIGTERM);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_clone_flags),
		cmocka_unit_test(test_exit_code),
		cmocka_unit_test(test_init_forwards_and_exits),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
