/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The processes the guard defends (the agent, the collector): the map the
 * agent fills (guard_abi.h) and the test of a task against it, shared by
 * bpf/guard.bpf.c and bpf/proc.bpf.c (the same map by pin). Needs
 * task_struct's tgid, group_leader and start_boottime declared for CO-RE.
 */
#ifndef TG_GUARDED_BPF_H
#define TG_GUARDED_BPF_H

#include "tenantguard/guard_abi.h"

/* Thread group id -> the guarded process's start (see guard_abi.h). */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, TG_GUARD_MAX_PROCS);
	__type(key, __u32);
	__type(value, struct tg_guard_proc);
} guarded_procs SEC(".maps");

/* Whether p is a thread of a guarded process (not one with a reused pid). */
static __always_inline int tg_guarded_task(struct task_struct *p)
{
	__u32 tgid = (__u32)BPF_CORE_READ(p, tgid);
	const struct tg_guard_proc *g;
	__u64 start;

	g = bpf_map_lookup_elem(&guarded_procs, &tgid);
	if (!g || !g->tick_ns)
		return 0;
	start = BPF_CORE_READ(p, group_leader, start_boottime);
	return start / g->tick_ns == g->start_ticks;
}

#endif /* TG_GUARDED_BPF_H */
