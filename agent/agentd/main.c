// SPDX-License-Identifier: GPL-2.0
/*
 * tenantguard-agent: loads the BPF programs, keeps their maps in step with
 * the tenants on this host, and streams every violation to the collector.
 * main parses the options, starts, serves the poll loop, and stops.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include <bpf/libbpf.h>

#include "agentd/agent.h"
#include "agentd/fanotify.h"
#include "agentd/local_routes.h"
#include "agentd/sink.h"
#include "common/clock.h"
#include "common/closer.h"
#include "common/control.h"
#include "common/log.h"
#include "seccomp/notify.h"

#define METRICS_MS 5000 /* metrics file written this often */

/* libbpf's warnings, with -v, through the logger (its own lines end in \n). */
static int libbpf_print(enum libbpf_print_level level, const char *fmt,
			va_list ap)
{
	char *buf = NULL, *line, *save = NULL;
	size_t n;

	if (!tg_log_verbose() || level == LIBBPF_DEBUG)
		return 0;
	/* Whole: a verifier log says why at its end. */
	if (vasprintf(&buf, fmt, ap) < 0)
		return 0;
	n = strlen(buf);
	for (line = strtok_r(buf, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save))
		tg_debug("libbpf: %s", line);
	free(buf);
	return (int)n;
}

static void drain(int fd)
{
	char buf[4096];

	while (read(fd, buf, sizeof(buf)) > 0)
		;
}

enum {
	P_RING,
	P_SIGNAL,
	P_INOTIFY,
	P_SINK,
	P_CONTROL,
	P_SECCOMP,
	P_ROUTES,
	P_FANOTIFY,
	P_COUNT
};

static void poll_set(struct agent *a, struct pollfd *p)
{
	p[P_RING] = (struct pollfd){.fd = ring_buffer__epoll_fd(a->bpf.rb),
				    .events = POLLIN};
	p[P_SIGNAL] = (struct pollfd){.fd = a->signal_fd, .events = POLLIN};
	p[P_INOTIFY] = (struct pollfd){.fd = a->inotify_fd, .events = POLLIN};
	p[P_SINK] =
		(struct pollfd){.fd = tg_sink_fd(a->sink), .events = POLLIN};
	p[P_CONTROL] = (struct pollfd){.fd = a->control_fd, .events = POLLIN};
	p[P_SECCOMP] = (struct pollfd){.fd = tg_notify_fd(a->notify),
				       .events = POLLIN};
	p[P_ROUTES] = (struct pollfd){.fd = tg_local_routes_fd(a->nl),
				      .events = POLLIN};
	p[P_FANOTIFY] = (struct pollfd){.fd = a->fan ? tg_fan_fd(a->fan) : -1,
					.events = POLLIN};
}

/* Signals: SIGHUP reloads; 1 for a signal that stops the agent. */
static int on_signals(struct agent *a)
{
	struct signalfd_siginfo si;

	while (read(a->signal_fd, &si, sizeof(si)) == sizeof(si)) {
		if (si.ssi_signo == SIGHUP &&
		    agent_needs_confirm(a, "reload")) {
			/* A signal carries no second person: no way round. */
			agent_emit(
				a,
				tg_agent_event(
					&a->fmt, "reload", "deny",
					"SIGHUP ignored: a reload waits for a second person's confirmation (policy confirm: verbs); use tenantguard reload"));
			continue;
		}
		if (si.ssi_signo == SIGHUP) {
			agent_reload(a, NULL, NULL);
			agent_prepare_tenants_dir(a);
			continue;
		}
		tg_info("signal %u: stopping", si.ssi_signo);
		tg_service_stopping();
		return 1;
	}
	return 0;
}

/* Serve until SIGTERM or SIGINT: 0, or -errno if polling fails. */
static int run(struct agent *a)
{
	__s64 next_metrics = 0;
	struct pollfd p[P_COUNT + TG_CONTROL_CLIENTS];
	unsigned int i, nc;
	int err, ctl;

	for (;;) {
		poll_set(a, p);
		nc = tg_control_server_pollfds(&a->ctl, p + P_COUNT);
		if (poll(p, P_COUNT + nc, agent_grants_timeout(a, tg_service_timeout(&a->svc, 1000))) <
			    0 &&
		    errno != EINTR)
			return -errno;
		tg_service_watchdog(&a->svc);
		if (p[P_RING].revents)
			ring_buffer__consume(a->bpf.rb);
		if (p[P_SECCOMP].revents)
			tg_notify_process(a->notify, agent_on_seccomp_denial,
					  a);
		if (p[P_ROUTES].revents) {
			err = tg_local_routes_process(a->nl);
			if (err)
				tg_warn("local routing table: %s; tenants are refused what may be this host's",
					strerror(-err));
			agent_report_local_routes(a);
		}
		if (p[P_FANOTIFY].revents) {
			tg_fan_drain(a->fan, agent_on_event, a);
			err = tg_fan_rescan_links(a->fan, &a->reg);
			if (err)
				tg_warn("fanotify: link scan failed: %s; tenants' opens of files with several links are refused",
					strerror(-err));
		}
		if (p[P_INOTIFY].revents) {
			drain(a->inotify_fd);
			/*
			 * Watches move with what exists; look again after
			 * moving them, for what appeared in between.
			 */
			if (!agent_rescan(a) && !agent_prepare_tenants_dir(a))
				agent_rescan(a);
		}
		/* Clients are cut off in time even when they make no sound. */
		ctl = p[P_CONTROL].revents || nc;
		for (i = 0; i < nc; i++)
			ctl |= p[P_COUNT + i].revents;
		if (ctl) {
			/* Events first: a reload must not delay them. */
			ring_buffer__consume(a->bpf.rb);
			if (tg_control_server_run(&a->ctl, tg_now_ms()))
				agent_prepare_tenants_dir(a);
			if (a->detach_by.asked) {
				tg_control_server_flush(&a->ctl, 200);
				return 0;
			}
		}
		tg_sink_process(a->sink);
		agent_reap_streams(a);
		agent_reap_runs(a, 0);
		agent_report_refused_collector(a);
		agent_guard_collector(a);
		agent_report_drops(a, 0);
		agent_control_tick(a);
		agent_grants_tick(a);
		agent_heartbeat(a, 0);
		if (a->opt.metrics_file && tg_now_ms() >= next_metrics) {
			agent_write_metrics(a);
			next_metrics = tg_now_ms() + METRICS_MS;
		}
		if ((p[P_SIGNAL].revents & POLLIN) && on_signals(a))
			return 0;
	}
}

int main(int argc, char **argv)
{
	static struct agent a;
	int err;

	tg_log_init(TG_AGENT_PROG, 0);
	agent_opts_init(&a.opt);
	err = agent_parse_args(&a.opt, argc, argv);
	if (err)
		return err > 0 ? 0 : 2;
	tg_log_init(TG_AGENT_PROG, a.opt.verbose);
	libbpf_set_print(libbpf_print);
	if (a.opt.detach)
		return agent_detach(&a, NULL) ? 1 : 0;
	err = agent_start(&a);
	/* From now on callers' descriptors are closed off the loop
	 * (common/closer.h). */
	if (!err && (err = tg_closer_start()))
		tg_err(err,
		       "cannot start the thread closing callers' descriptors: %s",
		       strerror(-err));
	if (!err) {
		tg_service_init(&a.svc);
		agent_ready(&a);
		err = run(&a);
	}
	agent_stop(&a, !err);
	if (!err && a.detach_by.asked)
		return agent_detach(&a, &a.detach_by) ? 1 : 0;
	return err ? 1 : 0;
}
