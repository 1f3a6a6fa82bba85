// SPDX-License-Identifier: GPL-2.0
/*
 * tg-try: what a tenant tries against other processes (see
 * bpf/proc.bpf.c). Each reports one outcome line.
 *
 *   victim READY          write "PID TID" (TID: a second thread's) to READY,
 *                         then wait for signals (SIGUSR1 ends it, as by
 *                         default); a SIGIO/SIGURG it gets is counted into
 *                         READY.sigio
 *   sigqueue PID SIG      rt_sigqueueinfo(2)
 *   tgkill-thread PID TID SIG   tgkill(2) to thread TID of PID
 *   kill-pgrp PGID SIG    kill(-PGID, SIG)
 *   kill-all SIG          kill(-1, SIG): ok if any process got it
 *   setnice PID N         setpriority(PRIO_PROCESS, PID, N)
 *   ioprio PID            ioprio_set best-effort level 4
 *   setsched PID          sched_setparam with its current parameters
 *   affinity PID          sched_setaffinity with its current mask
 *   prlimit PID           prlimit: RLIMIT_NOFILE set to what it is
 *   move-pages PID        move_pages(2) of no pages
 *   kcmp PID              kcmp(2) KCMP_VM against this process
 *   sigio PID SIG         a pipe whose owner is PID, signal SIG (F_SETSIG;
 *                         0: SIGIO), made ready: ok once written (delivery
 *                         is not observable here)
 *   sigio-self SIG        the same to itself: ok if the signal arrived
 *   sysv-make shm|msg|sem KEY  create the object (mode 0666), print its id
 *   sysv-get shm|msg|sem KEY   get the existing object of KEY
 *   sysv-use shm|msg|sem ID    attach it read-only, send a message
 *                              (IPC_NOWAIT), or a wait-for-zero semop
 *                              (IPC_NOWAIT)
 *   sysv-stat|sysv-rm shm|msg|sem ID   IPC_STAT, IPC_RMID
 *   kill-loop PID N       N times kill(PID, 0): prints ns per call
 *   sched-loop PID N      N times sched_getparam(PID): ns per call
 *   lsm-null READY HOOK...
 *                         a BPF LSM program returning 0 on each hook,
 *                         attached until SIGTERM (READY made once it is)
 *   run CMD [ARGS...]     CMD in a child, waited for: ok if it exits 0,
 *                         else exit-N or the signal's name
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/kcmp.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/msg.h>
#include <sys/resource.h>
#include <sys/sem.h>
#include <sys/shm.h>
#include <sys/syscall.h>
#include <time.h>
#include <sys/wait.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>

#include "tool.h"

static int sys_err(long r)
{
	return r < 0 ? errno : 0;
}

static volatile sig_atomic_t got_io;

static void on_io(int sig)
{
	(void)sig;
	got_io++;
}

static volatile pid_t thread_tid;

static void *idle_thread(void *arg)
{
	(void)arg;
	thread_tid = gettid();
	for (;;)
		pause();
	return NULL;
}

static int do_victim(int argc, char **argv)
{
	char text[64], path[4096];
	pthread_t t;
	int seen = 0;

	if (argc < 1)
		return usage();
	signal(SIGIO, on_io);
	signal(SIGURG, on_io);
	if (pthread_create(&t, NULL, idle_thread, NULL))
		return 1;
	while (!thread_tid)
		usleep(1000);
	snprintf(text, sizeof(text), "%d %d\n", (int)getpid(), (int)thread_tid);
	if (write_ready(argv[0], text))
		return 1;
	snprintf(path, sizeof(path), "%s.sigio", argv[0]);
	for (;;) {
		pause();
		if (got_io != seen) {
			seen = got_io;
			snprintf(text, sizeof(text), "%d\n", seen);
			write_ready(path, text);
		}
	}
}

static int do_sigqueue(int argc, char **argv)
{
	siginfo_t si = {0};

	if (argc < 2)
		return usage();
	si.si_code = SI_QUEUE;
	si.si_pid = getpid();
	si.si_uid = getuid();
	return outcome("rt_sigqueueinfo",
		       sys_err(syscall(SYS_rt_sigqueueinfo, atoi(argv[0]),
				       atoi(argv[1]), &si)));
}

static int do_tgkill_thread(int argc, char **argv)
{
	if (argc < 3)
		return usage();
	return outcome("tgkill",
		       sys_err(syscall(SYS_tgkill, atoi(argv[0]), atoi(argv[1]),
				       atoi(argv[2]))));
}

static int do_kill_pgrp(int argc, char **argv)
{
	if (argc < 2)
		return usage();
	return outcome("kill", sys_err(kill(-atoi(argv[0]), atoi(argv[1]))));
}

static int do_kill_all(int argc, char **argv)
{
	if (argc < 1)
		return usage();
	/* Not this process itself: kill(-1) spares the caller. */
	return outcome("kill", sys_err(kill(-1, atoi(argv[0]))));
}

static int do_setnice(int argc, char **argv)
{
	if (argc < 2)
		return usage();
	return outcome("setpriority",
		       sys_err(setpriority(PRIO_PROCESS, (id_t)atoi(argv[0]),
					   atoi(argv[1]))));
}

static int do_ioprio(int argc, char **argv)
{
	/* IOPRIO_WHO_PROCESS 1, class best-effort 2 << 13, level 4. */
	if (argc < 1)
		return usage();
	return outcome("ioprio_set",
		       sys_err(syscall(SYS_ioprio_set, 1, atoi(argv[0]),
				       (2 << 13) | 4)));
}

static int do_setsched(int argc, char **argv)
{
	struct sched_param sp = {0};
	pid_t pid;

	if (argc < 1)
		return usage();
	pid = atoi(argv[0]);
	sched_getparam(pid, &sp);
	return outcome("sched_setparam", sys_err(sched_setparam(pid, &sp)));
}

static int do_affinity(int argc, char **argv)
{
	cpu_set_t set;
	pid_t pid;

	if (argc < 1)
		return usage();
	pid = atoi(argv[0]);
	CPU_ZERO(&set);
	if (sched_getaffinity(pid, sizeof(set), &set))
		return outcome("sched_getaffinity", errno);
	return outcome("sched_setaffinity",
		       sys_err(sched_setaffinity(pid, sizeof(set), &set)));
}

static int do_prlimit(int argc, char **argv)
{
	struct rlimit r;
	pid_t pid;

	if (argc < 1)
		return usage();
	pid = atoi(argv[0]);
	if (prlimit(pid, RLIMIT_NOFILE, NULL, &r))
		return outcome("prlimit get", errno);
	return outcome("prlimit",
		       sys_err(prlimit(pid, RLIMIT_NOFILE, &r, NULL)));
}

static int do_move_pages(int argc, char **argv)
{
	if (argc < 1)
		return usage();
	return outcome("move_pages",
		       sys_err(syscall(SYS_move_pages, atoi(argv[0]), 0UL, NULL,
				       NULL, NULL, 0)));
}

static int do_kcmp(int argc, char **argv)
{
	long r;

	if (argc < 1)
		return usage();
	r = syscall(SYS_kcmp, getpid(), atoi(argv[0]), KCMP_VM, 0UL, 0UL);
	return outcome("kcmp", r < 0 ? errno : 0);
}

/* A pipe whose read end is owned by pid with signal sig, made ready. */
static int sigio_to(pid_t pid, int sig)
{
	int p[2];

	if (pipe(p))
		return errno;
	if (fcntl(p[0], F_SETOWN, pid) || (sig && fcntl(p[0], F_SETSIG, sig)) ||
	    fcntl(p[0], F_SETFL, O_ASYNC | O_NONBLOCK))
		return errno;
	if (write(p[1], "x", 1) != 1)
		return errno;
	close(p[0]);
	close(p[1]);
	return 0;
}

static int do_sigio(int argc, char **argv)
{
	if (argc < 2)
		return usage();
	return outcome("sigio", sigio_to(atoi(argv[0]), atoi(argv[1])));
}

static int do_sigio_self(int argc, char **argv)
{
	int sig, err, i;

	if (argc < 1)
		return usage();
	sig = atoi(argv[0]) ?: SIGIO;
	signal(sig, on_io);
	err = sigio_to(getpid(), atoi(argv[0]));
	for (i = 0; !err && !got_io && i < 100; i++)
		usleep(10000);
	return outcome("sigio", err ?: got_io ? 0 : ETIMEDOUT);
}

/* 's', 'm' or 'e' for shm, msg, sem; 0 for anything else. */
static int ipc_type(const char *t)
{
	return !strcmp(t, "shm")   ? 's'
	       : !strcmp(t, "msg") ? 'm'
	       : !strcmp(t, "sem") ? 'e'
				   : 0;
}

static int ipc_get(int type, key_t key, int flags)
{
	return type == 's'   ? shmget(key, 4096, flags)
	       : type == 'm' ? msgget(key, flags)
			     : semget(key, 1, flags);
}

static int do_ipc_make(int argc, char **argv)
{
	int type, id;

	if (argc < 2 || !(type = ipc_type(argv[0])))
		return usage();
	id = ipc_get(type, (key_t)strtol(argv[1], NULL, 0), IPC_CREAT | 0666);
	if (id < 0)
		return outcome("sysv-make", errno);
	printf("%d\n", id);
	return 0;
}

static int do_ipc_get(int argc, char **argv)
{
	int type;

	if (argc < 2 || !(type = ipc_type(argv[0])))
		return usage();
	return outcome(
		"sysv-get",
		sys_err(ipc_get(type, (key_t)strtol(argv[1], NULL, 0), 0)));
}

static int do_ipc_use(int argc, char **argv)
{
	struct {
		long mtype;
		char mtext[1];
	} m = {1, {'x'}};
	struct sembuf op = {0, 0, IPC_NOWAIT};
	int type, id, err;
	void *at;

	if (argc < 2 || !(type = ipc_type(argv[0])))
		return usage();
	id = atoi(argv[1]);
	if (type == 's') {
		at = shmat(id, NULL, SHM_RDONLY);
		err = at == (void *)-1 ? errno : 0;
		if (!err)
			shmdt(at);
	} else if (type == 'm') {
		err = sys_err(msgsnd(id, &m, 1, IPC_NOWAIT));
	} else {
		err = sys_err(semop(id, &op, 1));
	}
	return outcome("sysv-use", err);
}

static int do_ipc_ctl(int argc, char **argv, int cmd, const char *what)
{
	struct shmid_ds sd;
	struct msqid_ds md;
	struct semid_ds ed;
	int type, id;
	long r;

	if (argc < 2 || !(type = ipc_type(argv[0])))
		return usage();
	id = atoi(argv[1]);
	if (type == 's')
		r = shmctl(id, cmd, &sd);
	else if (type == 'm')
		r = msgctl(id, cmd, &md);
	else
		r = semctl(id, 0, cmd, &ed);
	return outcome(what, sys_err(r));
}

static int do_ipc_stat(int argc, char **argv)
{
	return do_ipc_ctl(argc, argv, IPC_STAT, "sysv-stat");
}

static int do_ipc_rm(int argc, char **argv)
{
	return do_ipc_ctl(argc, argv, IPC_RMID, "sysv-rm");
}

/* N calls of op on pid; prints the mean ns per call, 1 if one failed. */
static int call_loop(int argc, char **argv, int sched)
{
	struct sched_param sp;
	struct timespec a, b;
	long i, n;
	pid_t pid;

	if (argc < 2 || (n = atol(argv[1])) <= 0)
		return usage();
	pid = atoi(argv[0]);
	clock_gettime(CLOCK_MONOTONIC, &a);
	for (i = 0; i < n; i++)
		if (sched ? sched_getparam(pid, &sp) : kill(pid, 0))
			return outcome(sched ? "sched_getparam" : "kill",
				       errno);
	clock_gettime(CLOCK_MONOTONIC, &b);
	printf("%lld\n", ((b.tv_sec - a.tv_sec) * 1000000000LL +
			  (b.tv_nsec - a.tv_nsec)) /
				 n);
	return 0;
}

static int do_kill_loop(int argc, char **argv)
{
	return call_loop(argc, argv, 0);
}

static int do_sched_loop(int argc, char **argv)
{
	return call_loop(argc, argv, 1);
}

static int do_run(int argc, char **argv)
{
	char got[32];
	pid_t pid;
	int st;

	if (argc < 1)
		return usage();
	fflush(stdout);
	pid = fork();
	if (pid < 0)
		return outcome("fork", errno);
	if (!pid) {
		execvp(argv[0], argv);
		_exit(127);
	}
	if (waitpid(pid, &st, 0) < 0)
		return outcome("waitpid", errno);
	if (WIFEXITED(st) && !WEXITSTATUS(st))
		return outcome_name("run", "ok");
	if (WIFEXITED(st))
		snprintf(got, sizeof(got), "exit-%d", WEXITSTATUS(st));
	else
		snprintf(got, sizeof(got), "%s",
			 sigabbrev_np(WTERMSIG(st)) ?: "signal");
	return outcome_name("run", got);
}

/*
 * lsm-null READY HOOK...: a BPF LSM program that returns 0 (allows) on each
 * hook, attached until SIGTERM; READY is made once all are. The floor of
 * any BPF LSM check on those hooks (tests/bench/proc.sh).
 */
static int do_lsm_null(int argc, char **argv)
{
	const struct bpf_insn insns[] = {
		{.code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_0},
		{.code = BPF_JMP | BPF_EXIT},
	};
	struct btf *vmlinux;
	char fn[128];
	sigset_t set;
	int i, id, fd, sig;

	if (argc < 2)
		return usage();
	vmlinux = btf__load_vmlinux_btf();
	if (!vmlinux)
		return outcome("btf", errno);
	for (i = 1; i < argc; i++) {
		LIBBPF_OPTS(bpf_prog_load_opts, o,
			    .expected_attach_type = BPF_LSM_MAC);

		snprintf(fn, sizeof(fn), "bpf_lsm_%s", argv[i]);
		id = btf__find_by_name_kind(vmlinux, fn, BTF_KIND_FUNC);
		if (id < 0)
			return outcome(argv[i], ENOENT);
		o.attach_btf_id = (__u32)id;
		fd = bpf_prog_load(BPF_PROG_TYPE_LSM, "tg_null", "GPL", insns,
				   2, &o);
		if (fd < 0 || bpf_link_create(fd, 0, BPF_LSM_MAC, NULL) < 0)
			return outcome(argv[i], errno);
	}
	btf__free(vmlinux);
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigprocmask(SIG_BLOCK, &set, NULL);
	close(open(argv[0], O_WRONLY | O_CREAT | O_CLOEXEC, 0644));
	sigwait(&set, &sig);
	return 0;
}

const struct tool_cmd tool_proc_cmds[] = {
	{"lsm-null", do_lsm_null},
	{"run", do_run},
	{"kill-loop", do_kill_loop},
	{"sched-loop", do_sched_loop},
	{"sysv-make", do_ipc_make},
	{"sysv-get", do_ipc_get},
	{"sysv-use", do_ipc_use},
	{"sysv-stat", do_ipc_stat},
	{"sysv-rm", do_ipc_rm},
	{"tgkill-thread", do_tgkill_thread},
	{"victim", do_victim},
	{"sigqueue", do_sigqueue},
	{"kill-pgrp", do_kill_pgrp},
	{"kill-all", do_kill_all},
	{"setnice", do_setnice},
	{"ioprio", do_ioprio},
	{"setsched", do_setsched},
	{"affinity", do_affinity},
	{"prlimit", do_prlimit},
	{"move-pages", do_move_pages},
	{"kcmp", do_kcmp},
	{"sigio", do_sigio},
	{"sigio-self", do_sigio_self},
	{NULL, NULL},
};
