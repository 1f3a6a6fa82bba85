// SPDX-License-Identifier: GPL-2.0
/*
 * tg-try: System V and POSIX IPC objects, made and looked for (the
 * launcher's IPC namespace and private /dev/shm, /dev/mqueue).
 *
 *   ipc-make KEY   a SysV shared memory segment and message queue under
 *                  KEY (a number), a POSIX message queue and a POSIX shared
 *                  memory object (a file in /dev/shm) named /tg-KEY, each
 *                  with something in it; prints "shmid=N msqid=N"
 *   ipc-probe KEY SHMID MSQID
 *                  looks for each by key or name and by id: one line each,
 *                  "shmget: ok|ERRNO" (by key), "shmat" (by id), "msgget"
 *                  (by key), "msgrcv" (by id, takes the message),
 *                  "mq_open", "dev_shm_open"; exit 0 when every one is ok
 *                  (with --expect: is that errno), else 1
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <mqueue.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/mman.h>
#include <sys/msg.h>
#include <sys/shm.h>
#include <unistd.h>

#include "tool.h"

struct tg_msg {
	long mtype;
	char text[16];
};

static int do_ipc_make(int argc, char **argv)
{
	struct tg_msg m = {.mtype = 1, .text = "tenant-secret"};
	char name[64];
	int shmid, msqid, fd;
	key_t key;
	mqd_t mq;
	void *p;

	if (argc < 1)
		return usage();
	key = (key_t)strtol(argv[0], NULL, 0);
	snprintf(name, sizeof(name), "/tg-%s", argv[0]);
	shmid = shmget(key, 4096, IPC_CREAT | IPC_EXCL | 0600);
	p = shmid < 0 ? (void *)-1 : shmat(shmid, NULL, 0);
	msqid = msgget(key, IPC_CREAT | IPC_EXCL | 0600);
	mq = mq_open(name, O_CREAT | O_EXCL | O_RDWR | O_CLOEXEC, 0600, NULL);
	fd = shm_open(name, O_CREAT | O_EXCL | O_RDWR, 0600);
	if (p == (void *)-1 || msqid < 0 || mq == (mqd_t)-1 || fd < 0) {
		printf("ipc-make: %s\n", strerrorname_np(errno));
		return 1;
	}
	strcpy(p, "tenant-secret");
	shmdt(p);
	if (msgsnd(msqid, &m, sizeof(m.text), IPC_NOWAIT) ||
	    mq_send(mq, "tenant-secret", 13, 0) ||
	    write(fd, "tenant-secret", 13) != 13) {
		printf("ipc-make: %s\n", strerrorname_np(errno));
		return 1;
	}
	mq_close(mq);
	close(fd);
	printf("shmid=%d msqid=%d\n", shmid, msqid);
	return 0;
}

/* One probe's outcome: "ok" or the errno's name; 1 if it misses --expect. */
static int probe(const char *what, int failed)
{
	const char *got = failed ? strerrorname_np(errno) : "ok";

	printf("%s: %s\n", what, got);
	return strcmp(expect ? expect : "ok", got) != 0;
}

static int do_ipc_probe(int argc, char **argv)
{
	struct tg_msg m;
	char name[64], path[80];
	int bad = 0, fd;
	key_t key;
	mqd_t mq;
	void *p;

	if (argc < 3)
		return usage();
	key = (key_t)strtol(argv[0], NULL, 0);
	snprintf(name, sizeof(name), "/tg-%s", argv[0]);
	snprintf(path, sizeof(path), "/dev/shm%s", name);
	bad |= probe("shmget", shmget(key, 0, 0) < 0);
	p = shmat(atoi(argv[1]), NULL, SHM_RDONLY);
	bad |= probe("shmat", p == (void *)-1);
	if (p != (void *)-1)
		shmdt(p);
	bad |= probe("msgget", msgget(key, 0) < 0);
	bad |= probe("msgrcv", msgrcv(atoi(argv[2]), &m, sizeof(m.text), 0,
				      IPC_NOWAIT) < 0);
	mq = mq_open(name, O_RDONLY | O_CLOEXEC);
	bad |= probe("mq_open", mq == (mqd_t)-1);
	if (mq != (mqd_t)-1)
		mq_close(mq);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	bad |= probe("dev_shm_open", fd < 0);
	if (fd >= 0)
		close(fd);
	return bad;
}

const struct tool_cmd tool_ipc_cmds[] = {
	{"ipc-make", do_ipc_make}, {"ipc-probe", do_ipc_probe}, {}};
