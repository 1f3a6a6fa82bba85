#!/bin/sh
# test_guard (BPF LSM): self-protection. A tenant's process, uid 0 with
# every capability, and the pending actor's, cannot signal, ptrace or read
# the memory of the agent or the collector (any way: kill, tgkill,
# pidfd_send_signal, process_vm_readv, /proc/PID/mem), call bpf(), use
# the capabilities that load kernel code or reconfigure the host, touch the
# event log, the spool, the policy, the pin directory or bpffs (also by
# hard link, rename of the directory, bind mount, open_by_handle_at,
# /proc/self/root), mount over them, or write cgroup files outside its own
# subtree (the root's cgroup.procs, clone3 into another cgroup, pulling a
# host process in); each refusal is EPERM and one kind guard event. Its own
# processes, files, sub-cgroups and namespaces work, and the host keeps
# everything.
. /tests/lib/tap.sh
. /tests/lib/tenants.sh

: "${TG_BIN:?}"
tg_env_setup || exit 1
P=$TG_BIN/tg-try
A=$TG_TDIR/acme
G=$TG_TDIR/globex
B="$TG_TDIR/bad name"
I=$TG_TDIR/initech
PIN=$TG_PINS # tg_start_agent's --pin-dir, detached at cleanup
# The log's directory is the collector's to make (its user's).
mkdir -p "$TG_T/free" "$TG_T/bindlog" "$TG_T/mv" "$I" || exit 1
tg_policy <<YAML
  acme: {paths: [$TG_SRV/acme]}
  globex: {paths: [$TG_SRV/globex]}
  initech: {mode: audit}
YAML
mkdir "$B" || exit 1
tg_start_collector || exit 1
tg_start_agent --require-file-isolation --event-log "$TG_LOG" || exit 1
AG=$TG_AGENT_PID
CO=$TG_COLLECTOR_PID

echo "# status and start event"
if grep -q "self-protection: bpf-lsm (signal, ptrace, bpf, capability, path, mount, cgroup, perf, loginuid, delegation)" \
	"$TG_T/agent.err"; then
	tg_pass guard_backend_bpf_lsm
else
	tg_fail guard_backend_bpf_lsm "$(cat "$TG_T/agent.err")"
	tg_summary
	exit 1
fi
tg_cli status >"$TG_T/status" 2>&1
if grep -q "^guard: *bpf-lsm (signal, ptrace, bpf, capability, path, mount, cgroup, perf, loginuid, delegation); capabilities refused: CAP_NET_ADMIN, CAP_SYS_MODULE" "$TG_T/status" &&
	grep -q "6 path(s) protected, 0 missing" "$TG_T/status"; then
	tg_pass status_lists_guard_checks
else
	tg_fail status_lists_guard_checks "$(cat "$TG_T/status")"
fi
# The collector is guarded once the agent has connected to it.
n=0
until tg_cli status --json 2>/dev/null | grep -q "\"collector_pid\": *$CO"; do
	n=$((n + 1))
	[ $n -gt 100 ] && break
	sleep 0.1
done

# deny NAME CGROUP ERRNO ARGS...: tg-try from CGROUP fails with ERRNO.
deny()
{
	d_name=$1 d_cg=$2 d_err=$3
	shift 3
	tg_probe "$d_name" --cgroup "$d_cg" --expect "$d_err" "$@"
}

# An event of check CHECK by acme: NAME CHECK KEY=VALUE...
gev()
{
	g_name=$1 g_check=$2
	shift 2
	tg_event "$g_name" kind=guard verdict=deny tenant=acme \
		check="$g_check" "$@"
}

echo "# signals, ptrace, memory of the agent and the collector"
deny kill_agent "$A" EPERM kill "$AG" 15
gev kill_agent_event signal op=kill target_pid="$AG" signal=15
deny kill_agent_sig0 "$A" EPERM kill "$AG"
deny kill_agent_sigkill "$A" EPERM kill "$AG" 9
deny kill_collector "$A" EPERM kill "$CO" 9
gev kill_collector_event signal op=kill target_pid="$CO" signal=9
deny tgkill_agent_thread "$A" EPERM tgkill "$AG"
deny tgkill_collector_thread "$A" EPERM tgkill "$CO"
deny pidfd_kill_agent "$A" EPERM pidfd-kill "$AG"
deny ptrace_agent "$A" EPERM ptrace "$AG"
gev ptrace_agent_event ptrace op=ptrace target_pid="$AG"
deny ptrace_collector "$A" EPERM ptrace "$CO"
deny vm_read_agent "$A" EPERM vm-read "$AG"
deny proc_mem_agent "$A" EACCES proc-mem "$AG"
deny kill_agent_pending "$B" EPERM kill "$AG" 15
tg_event kill_agent_pending_event kind=guard verdict=deny tenant="(pending)" \
	check=signal op=kill target_pid="$AG"
# A tenant's own processes.
"$P" --cgroup "$A" hold "$TG_SRV/acme/data" "$TG_T/own.ready" &
OWN=$!
tg_track $OWN
tg_wait_file "$TG_T/own.ready" 20
tg_probe kill_own --cgroup "$A" --expect ok kill "$OWN"
tg_probe ptrace_own --cgroup "$A" --expect ok ptrace "$OWN"
tg_probe vm_read_own --cgroup "$A" --expect ok vm-read "$OWN"
# The host.
tg_probe kill_agent_host --expect ok kill "$AG"
tg_probe vm_read_agent_host --expect ok vm-read "$AG"
tg_probe ptrace_collector_host --expect ok ptrace "$CO"

echo "# bpf(), perf, capabilities"
deny bpf "$A" EPERM syscall bpf
gev bpf_event bpf op=bpf bpf_cmd=0
deny bpf_pending "$B" EPERM syscall bpf
tg_probe bpf_host --expect EINVAL syscall bpf
tg_probe bpf_audit --cgroup "$I" --expect EINVAL syscall bpf
tg_event bpf_audit_event kind=guard verdict=audit tenant=initech check=bpf
deny perf_cpu "$A" EPERM perf-cpu
gev perf_cpu_event perf op=perf_event_open
tg_probe perf_cpu_host --expect ok perf-cpu
deny cap_sys_module "$A" EPERM cap sys_module
gev cap_sys_module_event capability op=capable cap=16 \
	capability=CAP_SYS_MODULE
tg_probe cap_sys_module_host --expect ENOENT cap sys_module
deny cap_sys_boot "$A" EPERM cap sys_boot
tg_probe cap_sys_boot_host --expect EINVAL cap sys_boot
deny cap_sys_time "$A" EPERM cap sys_time
tg_probe cap_sys_time_host --expect EINVAL cap sys_time
deny cap_sys_rawio "$A" EPERM cap sys_rawio
deny cap_net_admin "$A" EPERM cap net_admin
gev cap_net_admin_event capability op=capable cap=12 capability=CAP_NET_ADMIN
tg_probe cap_net_admin_host --expect ok cap net_admin
# A network namespace made without a user namespace is owned by the
# initial one: refused alike. In a user namespace of its own: its own.
deny cap_net_admin_netns "$A" EPERM cap net_admin_netns
tg_probe cap_net_admin_own_userns --cgroup "$A" --expect ok cap net_admin_userns
deny cap_sys_module_pending "$B" EPERM cap sys_module
# The audit log's multicast group carries every audit record of the host.
deny cap_audit_read "$A" EPERM cap audit_read
gev cap_audit_read_event capability op=capable cap=37 \
	capability=CAP_AUDIT_READ
tg_probe cap_audit_read_host --expect ok cap audit_read

echo "# protected paths"
deny log_open "$A" EPERM open "$TG_LOG"
gev log_open_event path op=open path="$TG_LOG"
deny log_open_write "$A" EPERM open "$TG_LOG" w
deny log_dir_list "$A" EPERM open "$TG_T/log" dir
deny log_unlink "$A" EPERM unlink "$TG_LOG"
gev log_unlink_event path op=unlink path="$TG_LOG"
deny log_rename "$A" EPERM rename "$TG_LOG" "$TG_T/free/x"
deny log_dir_rename "$A" EPERM rename "$TG_T/log" "$TG_T/log2"
deny log_dir_create "$A" EPERM create "$TG_T/log/new"
deny log_link "$A" EPERM link "$TG_LOG" "$TG_T/free/ln"
deny log_truncate "$A" EPERM truncate "$TG_LOG"
deny log_chmod "$A" EPERM chmod "$TG_LOG"
deny log_byhandle "$A" EPERM byhandle /tmp "$TG_LOG"
deny log_proc_root "$A" EPERM open "/proc/self/root$TG_LOG"
deny log_bind_mount "$A" EPERM mntns "$TG_T/log" "$TG_T/bindlog" \
	"$TG_T/bindlog/events.jsonl"
deny log_open_pending "$B" EPERM open "$TG_LOG"
tg_event log_open_pending_event kind=guard verdict=deny tenant="(pending)" \
	check=path op=open path="$TG_LOG"
deny spool_list "$A" EPERM open "$TG_T/spool" dir
deny policy_open "$A" EPERM open "$TG_T/policy.yaml"
deny policy_dropin_create "$A" EPERM create "$TG_T/policy.d/evil.yaml"
deny pin_dir_open "$A" EPERM open "$PIN" dir
deny bpffs_open "$A" EPERM open /sys/fs/bpf dir
tg_probe own_file --cgroup "$A" --expect ok open "$TG_SRV/acme/data"
tg_probe own_file_create --cgroup "$A" --expect ok create "$TG_SRV/acme/new"
tg_probe log_open_host --expect ok open "$TG_LOG"
tg_probe unguarded_neighbour --cgroup "$A" --expect ok create "$TG_T/free/f"

echo "# mounts"
deny mount_over_log_dir "$A" EPERM mount tmpfs none "$TG_T/log"
gev mount_over_log_dir_event mount op=mount path="$TG_T/log"
deny mount_over_ancestor "$A" EPERM mount tmpfs none "$TG_T"
deny mount_over_ancestor_mntns "$A" EPERM mount tmpfs none "$TG_T" mntns
deny mount_bpffs "$A" EPERM mount bpf none "$TG_T/free"
deny mount_over_bpffs "$A" EPERM mount tmpfs none /sys/fs/bpf
deny umount_bpffs "$A" EPERM umount /sys/fs/bpf
gev umount_bpffs_event mount op=umount path=/sys/fs/bpf
deny move_log_dir "$A" EPERM move-mount "$TG_T/log" "$TG_T/mv"
tg_probe mount_own_userns --cgroup "$A" --expect ok mount tmpfs none \
	"$TG_T/free" userns
tg_probe mount_private_root --cgroup "$A" --expect ok private-root mntns
deny mount_pending "$B" EPERM mount tmpfs none "$TG_T/log"

echo "# cgroups"
deny cg_root_procs "$A" EPERM write "$TG_CGROOT/cgroup.procs" 0
gev cg_root_procs_event cgroup op=cgroup_write path="$TG_CGROOT/cgroup.procs"
deny cg_root_procs_proc_root "$A" EPERM write \
	"/proc/self/root$TG_CGROOT/cgroup.procs" 0
deny cg_tenants_procs "$A" EPERM write "$TG_TDIR/cgroup.procs" 0
deny cg_root_mkdir "$A" EPERM mkdir "$TG_CGROOT/tg-evil-$$"
deny cg_tenants_mkdir "$A" EPERM mkdir "$TG_TDIR/evil"
deny cg_clone_into_root "$A" EPERM clone-into "$TG_CGROOT"
deny cg_clone_into_other_tenant "$A" EPERM clone-into "$G"
tg_probe cg_own_root_limit --cgroup "$A" --expect ok write \
	"$A/cgroup.max.descendants" 5
sleep 60 &
HOSTPROC=$!
tg_track $HOSTPROC
deny cg_pull_host_process "$A" EPERM write "$A/cgroup.procs" "$HOSTPROC"
tg_probe cg_other_tenant --cgroup "$A" --expect EACCES write "$G/cgroup.procs" 0
tg_probe cg_own_mkdir --cgroup "$A" --expect ok mkdir "$A/sub"
tg_probe cg_own_sub_procs --cgroup "$A" --expect ok write "$A/sub/cgroup.procs" 0
tg_probe cg_own_root_procs --cgroup "$A/sub" --expect ok write "$A/cgroup.procs" 0
tg_probe cg_own_sub_limit --cgroup "$A" --expect ok write \
	"$A/sub/cgroup.max.descendants" 5
tg_probe cg_own_clone_into --cgroup "$A" --expect ok clone-into "$A/sub"
tg_probe cg_own_read --cgroup "$A" --expect ok open "$TG_CGROOT/cgroup.procs"
deny cg_pending_own "$B" EPERM write "$B/cgroup.procs" 0
deny cg_pending_mkdir "$B" EPERM mkdir "$B/sub"
tg_probe cg_host_mkdir --expect ok mkdir "$TG_TDIR/hostmade"
rmdir "$TG_TDIR/hostmade" "$A/sub" 2>/dev/null

echo "# the host stops the agent"
tg_cli status >/dev/null 2>&1 && tg_pass status_host || tg_fail status_host "status failed"
kill -TERM "$AG"
if tg_wait "$AG"; then
	tg_pass agent_sigterm_host
else
	tg_fail agent_sigterm_host "exit status $?"
fi

echo "# threads: the agent's fanotify backend runs some"
tg_start_agent --file-backend fanotify --event-log "$TG_LOG" || exit 1
AG=$TG_AGENT_PID
TID=$(ls "/proc/$AG/task" | grep -v "^$AG\$" | head -n 1)
if [ -n "$TID" ]; then
	deny tgkill_agent_other_thread "$A" EPERM tgkill "$AG"
	tg_event tgkill_agent_other_thread_event kind=guard verdict=deny \
		tenant=acme check=signal target_pid="$AG" signal=0
	deny ptrace_agent_other_thread "$A" EPERM ptrace "$TID"
	deny proc_mem_agent_other_thread "$A" EACCES proc-mem "$TID"
else
	tg_fail agent_has_threads "$(ls "/proc/$AG/task")"
fi
tg_probe tgkill_agent_thread_host --expect ok tgkill "$AG"
if tg_stop_agent; then
	tg_pass agent_sigterm_host_again
else
	tg_fail agent_sigterm_host_again "exit status $?"
fi
tg_summary
