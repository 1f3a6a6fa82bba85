// SPDX-License-Identifier: GPL-2.0
/*
 * tenantguard seccomp export --profile NAME|FILE --format oci|bpf|pfc: a
 * profile for other runtimes (OCI), or its filter as libseccomp exports it.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <json-c/json.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "common/log.h"
#include "seccomp/profile.h"

struct export_args {
	const char *name, *format, *dir, *out;
};

/* 0, or -EINVAL for a usage error (reported). */
static int parse_args(int argc, char **argv, struct export_args *a)
{
	static const struct option opts[] = {
		{"profile", required_argument, NULL, 'p'},
		{"format", required_argument, NULL, 'f'},
		{"seccomp-dir", required_argument, NULL, 'd'},
		{"output", required_argument, NULL, 'o'},
		{}};
	int c;

	opterr = 0;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'p': a->name = optarg; break;
		case 'f': a->format = optarg; break;
		case 'd': a->dir = optarg; break;
		case 'o': a->out = optarg; break;
		default:
			return tg_err(-EINVAL, "seccomp export: bad option %s",
				      argv[optind - 1]);
		}
	}
	if (!a->name || !a->format ||
	    (strcmp(a->format, "oci") && strcmp(a->format, "bpf") &&
	     strcmp(a->format, "pfc")))
		return tg_err(
			-EINVAL,
			"seccomp export: needs --profile NAME and --format oci|bpf|pfc");
	return 0;
}

/* The OCI runtime "seccomp" section to fd; 0 or 1. */
static int export_oci(const struct tg_sc_profile *p, int fd)
{
	struct json_object *o = tg_sc_oci(p);
	const char *s;
	int rc;

	s = json_object_to_json_string_ext(
		o, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED |
			   JSON_C_TO_STRING_NOSLASHESCAPE);
	rc = dprintf(fd, "%s\n", s) < 0;
	json_object_put(o);
	return rc;
}

/* The compiled filter to fd, as BPF (format "bpf") or as PFC; 0 or 1. */
static int export_filter(const struct tg_sc_profile *p, const char *format,
			 int fd)
{
	scmp_filter_ctx ctx = NULL;
	char err[512];
	int r;

	/* Outside the launcher there is no listener: notify becomes EPERM. */
	ctx = tg_sc_compile(p, 0, err, sizeof(err));
	if (!ctx) {
		tg_plain("%s", err);
		return 1;
	}
	r = strcmp(format, "bpf") == 0 ? seccomp_export_bpf(ctx, fd)
				       : seccomp_export_pfc(ctx, fd);
	if (r)
		tg_err(r, "seccomp export: %s", strerror(-r));
	seccomp_release(ctx);
	return r != 0;
}

int cmd_seccomp_export(const struct cli_opts *o, int argc, char **argv)
{
	struct export_args a = {};
	struct tg_sc_profile p;
	struct tg_diag d = {};
	int fd = STDOUT_FILENO, rc = 1;

	if (parse_args(argc, argv, &a))
		return 2;
	if (tg_sc_find(&p, a.name, a.dir, &d)) {
		print_diag(&d);
		goto out_free;
	}
	if (a.out) {
		fd = open(a.out, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
			  0644);
		if (fd < 0) {
			rc = tg_err(1, "seccomp export: %s: %s", a.out,
				    strerror(errno));
			goto out_free;
		}
	}
	if (strcmp(a.format, "oci") == 0)
		rc = export_oci(&p, fd);
	else
		rc = export_filter(&p, a.format, fd);
	if (a.out && close(fd) && !rc)
		rc = tg_err(1, "seccomp export: %s: %s", a.out,
			    strerror(errno));
out_free:
	tg_diag_free(&d);
	tg_sc_profile_free(&p);
	return rc;
}
