// SPDX-License-Identifier: GPL-2.0
/*
 * tg-try: read and write one element of a loaded BPF array map found by
 * name, for tests that start a counter where a long run would leave it.
 *
 *   tg-try map-set NAME VALUE   (element 0; VALUE as wide as the value:
 *                                4 or 8 bytes, cut to 4 if the map's is)
 *   tg-try map-get NAME         (prints element 0)
 *
 * The first map of that name the kernel lists is used: one agent at a time.
 *
 *   tg-try prog-insns [PREFIX]  (every loaded program whose name starts
 *                                with PREFIX: "NAME INSNS", the
 *                                instructions the verifier processed)
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <bpf/bpf.h>

#include "tool.h"

/* An fd of the map called name and its value size, or -errno. */
static int map_find(const char *name, __u32 *vsize)
{
	struct bpf_map_info info;
	__u32 id = 0, len;
	int fd;

	while (!bpf_map_get_next_id(id, &id)) {
		fd = bpf_map_get_fd_by_id(id);
		if (fd < 0)
			continue;
		memset(&info, 0, sizeof(info));
		len = sizeof(info);
		if (!bpf_obj_get_info_by_fd(fd, &info, &len) &&
		    !strcmp(info.name, name) &&
		    info.type == BPF_MAP_TYPE_ARRAY &&
		    (info.value_size == 4 || info.value_size == 8)) {
			*vsize = info.value_size;
			return fd;
		}
		close(fd);
	}
	return -ENOENT;
}

/* map_find, saying why on stderr when there is no such map. */
static int map_by_name(const char *name, __u32 *vsize)
{
	int fd = map_find(name, vsize);

	if (fd < 0)
		fprintf(stderr, "tg-try: no array map %s: %s\n", name,
			strerror(-fd));
	return fd;
}

static int do_map_set(int argc, char **argv)
{
	unsigned long long v;
	__u32 zero = 0, vsize = 0, v32;
	char *end = NULL;
	int fd, err = 0;

	if (argc != 2)
		return usage();
	v = strtoull(argv[1], &end, 0);
	if (!end || *end)
		return usage();
	fd = map_by_name(argv[0], &vsize);
	if (fd < 0)
		return 1;
	v32 = (__u32)v;
	if (bpf_map_update_elem(
		    fd, &zero, vsize == 8 ? (void *)&v : (void *)&v32, BPF_ANY))
		err = errno;
	close(fd);
	printf("%s: %u-byte value set to %llu\n", argv[0], vsize,
	       vsize == 8 ? v : (unsigned long long)v32);
	return outcome("map-set", err);
}

static int do_map_get(int argc, char **argv)
{
	__u32 zero = 0, vsize = 0;
	unsigned long long v = 0;
	int fd, err = 0;

	if (argc != 1)
		return usage();
	fd = map_by_name(argv[0], &vsize);
	if (fd < 0)
		return 1;
	if (bpf_map_lookup_elem(fd, &zero, &v))
		err = errno;
	close(fd);
	if (!err)
		printf("%llu\n", vsize == 8 ? v : (unsigned long long)(__u32)v);
	return err ? 1 : 0;
}

static int do_prog_insns(int argc, char **argv)
{
	struct bpf_prog_info info;
	__u32 id = 0, len;
	int fd;

	if (argc > 1)
		return usage();
	while (!bpf_prog_get_next_id(id, &id)) {
		fd = bpf_prog_get_fd_by_id(id);
		if (fd < 0)
			continue;
		memset(&info, 0, sizeof(info));
		len = sizeof(info);
		if (!bpf_obj_get_info_by_fd(fd, &info, &len) &&
		    (argc == 0 ||
		     !strncmp(info.name, argv[0], strlen(argv[0]))))
			printf("%s %u\n", info.name, info.verified_insns);
		close(fd);
	}
	return 0;
}

const struct tool_cmd tool_bpfmap_cmds[] = {{"map-set", do_map_set},
					    {"map-get", do_map_get},
					    {"prog-insns", do_prog_insns},
					    {}};
