#!/bin/sh
# test_proc (BPF LSM): process isolation. A tenant's process, uid 0 with
# every capability, cannot signal (kill, tgkill, rt_sigqueueinfo,
# pidfd_send_signal, its process group, kill(-1), a file owner's SIGIO),
# ptrace, read the memory of, open the /proc entries of, renice, reprioritise,
# reschedule, change the limits of or move the memory of another tenant's
# process or a host process; each refusal is one kind proc event. Within a
# tenant all of it works, the host reaches tenants, a tenant's shell gets
# its children's exits, and a tenant in audit mode is allowed and reported.
. /tests/lib/tap.sh
. /tests/lib/tenants.sh

: "${TG_BIN:?}"
tg_env_setup || exit 1
P=$TG_BIN/tg-try
A=$TG_TDIR/acme
G=$TG_TDIR/globex
I=$TG_TDIR/initech
B="$TG_TDIR/bad name" # no tenant's: the pending actor's
mkdir -p "$I" "$B" || exit 1
tg_policy <<YAML
  acme: {paths: [$TG_SRV/acme]}
  globex: {paths: [$TG_SRV/globex]}
  initech: {mode: audit}
YAML
tg_start_collector || exit 1
tg_start_agent --require-file-isolation || exit 1

echo "# status and start event"
if grep -q "other tenants' and the host's processes: bpf-lsm" "$TG_T/agent.err"; then
	tg_pass proc_backend_bpf_lsm
else
	tg_fail proc_backend_bpf_lsm "$(cat "$TG_T/agent.err")"
	tg_summary
	exit 1
fi
if tg_cli status --json | grep -q '"proc": *"bpf-lsm"'; then
	tg_pass status_proc_backend
else
	tg_fail status_proc_backend "$(tg_cli status --json | grep -A6 backends)"
fi

# victim NAME CGROUP: a victim process (own session and process group),
# its pid in $NAME_pid, a second thread's id in $NAME_tid.
victim()
{
	if [ -n "$2" ]; then
		setsid "$P" --cgroup "$2" victim "$TG_T/$1.ready" &
	else
		setsid "$P" victim "$TG_T/$1.ready" &
	fi
	tg_track $!
	tg_wait_file "$TG_T/$1.ready" 20 || return 1
	read -r v_pid v_tid <"$TG_T/$1.ready"
	eval "${1}_pid=$v_pid ${1}_tid=$v_tid"
}
victim vg "$G" || exit 1
victim vh "" || exit 1
victim va "$A" || exit 1
alive() { kill -0 "$1" 2>/dev/null; }

deny() # NAME ERRNO ARGS... from acme
{
	d_name=$1 d_err=$2
	shift 2
	tg_probe "$d_name" --cgroup "$A" --expect "$d_err" "$@"
}
pev() # NAME OP KEY=VALUE...: a refusal of acme's
{
	p_name=$1 p_op=$2
	shift 2
	tg_event "$p_name" kind=proc verdict=deny tenant=acme op="$p_op" "$@"
}

echo "# signals to another tenant's process"
deny kill_other 'EPERM' kill "$vg_pid" 10
pev kill_other_event signal target_tenant=globex target_pid="$vg_pid" \
	target_tid="$vg_pid" target_comm=tg-try signal=10 via=syscall
deny kill_other_sig0 EPERM kill "$vg_pid"
deny tgkill_other EPERM tgkill-thread "$vg_pid" "$vg_tid" 10
pev tgkill_other_event signal target_tenant=globex target_pid="$vg_pid" \
	target_tid="$vg_tid" signal=10
deny sigqueue_other EPERM sigqueue "$vg_pid" 10
deny pidfd_kill_other EPERM pidfd-kill "$vg_pid"
deny kill_pgrp_other EPERM kill-pgrp "$vg_pid" 10
tg_probe sigio_other_sent --cgroup "$A" --expect ok sigio "$vg_pid" 10
pev sigio_other_event signal target_tenant=globex target_pid="$vg_pid" \
	signal=10 via=file_owner
tg_probe sigio_default_other_sent --cgroup "$A" --expect ok sigio "$vg_pid" 0
pev sigio_default_other_event signal target_pid="$vg_pid" signal=29 \
	via=file_owner
sleep 0.5
if [ ! -e "$TG_T/vg.ready.sigio" ]; then
	tg_pass sigio_other_not_delivered
else
	tg_fail sigio_other_not_delivered "the victim got $(cat "$TG_T/vg.ready.sigio") SIGIO"
fi
deny write_other_cgroup_kill EACCES write "$G/cgroup.kill" 1
deny write_other_cgroup_freeze EACCES write "$G/cgroup.freeze" 1
if alive "$vg_pid"; then
	tg_pass other_survives_signals
else
	tg_fail other_survives_signals "globex's victim is gone"
fi

echo "# ptrace and what it gates"
deny ptrace_other EPERM ptrace "$vg_pid"
pev ptrace_other_event ptrace target_tenant=globex target_pid="$vg_pid"
deny vm_read_other EPERM vm-read "$vg_pid"
deny proc_mem_other EACCES proc-mem "$vg_pid"
deny kcmp_other EPERM kcmp "$vg_pid"

echo "# /proc entries"
deny proc_environ_other EACCES open "/proc/$vg_pid/environ"
pev proc_environ_other_event proc_open target_tenant=globex \
	target_pid="$vg_pid" target_tid="$vg_pid" target_comm=tg-try
deny proc_status_other EACCES open "/proc/$vg_pid/status"
deny proc_dir_other EACCES open "/proc/$vg_pid" dir
deny proc_fd_other EACCES open "/proc/$vg_pid/fd" dir
deny proc_limits_other EACCES open "/proc/$vg_pid/limits"
deny proc_task_other EACCES open "/proc/$vg_pid/task/$vg_tid/comm"
deny proc_thread_other EACCES open "/proc/$vg_tid/comm"
pev proc_thread_other_event proc_open target_pid="$vg_pid" \
	target_tid="$vg_tid"

echo "# scheduling, priorities, limits, memory"
deny setnice_other EPERM setnice "$vg_pid" 5
pev setnice_other_event setnice target_pid="$vg_pid" nice=5
deny ioprio_other EPERM ioprio "$vg_pid"
pev ioprio_other_event setioprio target_pid="$vg_pid"
deny setsched_other EPERM setsched "$vg_pid"
pev setsched_other_event setscheduler target_pid="$vg_pid"
deny affinity_other EPERM affinity "$vg_pid"
deny getsched_other EPERM sched-loop "$vg_pid" 1
pev getsched_other_event getscheduler target_pid="$vg_pid"
deny prlimit_other EPERM prlimit "$vg_pid"
pev prlimit_other_event setrlimit target_pid="$vg_pid" resource=7
deny move_pages_other EPERM move-pages "$vg_pid"

echo "# the host's processes"
deny kill_host EPERM kill "$vh_pid" 10
pev kill_host_event signal target_tenant=host target_pid="$vh_pid" signal=10
deny kill_init EPERM kill 1 0
deny ptrace_host EPERM ptrace "$vh_pid"
deny proc_environ_host EACCES open "/proc/$vh_pid/environ"
deny proc_init_environ EACCES open /proc/1/environ
deny setnice_host EPERM setnice "$vh_pid" 5
tg_probe sigio_host_sent --cgroup "$A" --expect ok sigio "$vh_pid" 10
pev sigio_host_event signal target_tenant=host target_pid="$vh_pid" \
	via=file_owner
sleep 0.5
if alive "$vh_pid"; then
	tg_pass host_survives_signals
else
	tg_fail host_survives_signals "the host's victim is gone"
fi

echo "# SysV IPC: another tenant's objects"
k=0
for ty in shm msg sem; do
	k=$((k + 1))
	key=$((0x7e570000 + $$ % 4096 * 4 + k))
	id=$("$P" --cgroup "$A" sysv-make $ty $key)
	eval "ipc_$ty=$id"
	tg_probe "ipc_${ty}_own_get" --cgroup "$A" --expect ok sysv-get $ty $key
	tg_probe "ipc_${ty}_own_use" --cgroup "$A" --expect ok sysv-use $ty "$id"
	deny_g() { tg_probe "$1" --cgroup "$G" --expect "$2" sysv-$3 $ty "$4"; }
	deny_g "ipc_${ty}_other_get" EACCES get $key
	tg_event "ipc_${ty}_other_get_event" kind=proc verdict=deny \
		tenant=globex target_tenant=acme op=ipc ipc=$ty ipc_id="$id" \
		ipc_key=$key
	deny_g "ipc_${ty}_other_use" EACCES use "$id"
	deny_g "ipc_${ty}_other_stat" EACCES stat "$id"
	deny_g "ipc_${ty}_other_rm" EPERM rm "$id"
	tg_event "ipc_${ty}_other_rm_event" kind=proc verdict=deny \
		tenant=globex op=ipc ipc=$ty ipc_id="$id" ctl_cmd=0
	tg_probe "ipc_${ty}_pending_get" --cgroup "$B" --expect EACCES sysv-get $ty $key
	tg_probe "ipc_${ty}_host_stat" --expect ok sysv-stat $ty "$id"
	# The host's object: a tenant's process is refused too.
	hid=$("$P" sysv-make $ty $((key + 2048)))
	deny "ipc_${ty}_host_obj_use" EACCES sysv-use $ty "$hid"
	tg_probe "ipc_${ty}_host_rm" --expect ok sysv-rm $ty "$hid"
done
tg_probe ipc_audit_get --cgroup "$I" --expect ok sysv-stat shm "$ipc_shm"
tg_event ipc_audit_event kind=proc verdict=audit tenant=initech op=ipc \
	ipc=shm ipc_id="$ipc_shm"
for ty in shm msg sem; do
	eval "id=\$ipc_$ty"
	tg_probe "ipc_${ty}_own_rm" --cgroup "$A" --expect ok sysv-rm $ty "$id"
done

echo "# the pending actor"
tg_probe kill_pending_to_tenant --cgroup "$B" --expect EPERM kill "$va_pid"
tg_event kill_pending_event kind=proc verdict=deny tenant="(pending)" \
	op=signal target_tenant=acme target_pid="$va_pid"
victim vb "$B" || exit 1
deny kill_tenant_to_pending EPERM kill "$vb_pid"

echo "# allowed: within a tenant, from the host"
tg_probe kill_own --cgroup "$A" --expect ok kill "$va_pid"
tg_probe tgkill_own --cgroup "$A" --expect ok tgkill-thread "$va_pid" "$va_tid" 0
tg_probe sigqueue_own --cgroup "$A" --expect ok sigqueue "$va_pid" 0
tg_probe ptrace_own --cgroup "$A" --expect ok ptrace "$va_pid"
tg_probe vm_read_own --cgroup "$A" --expect ok vm-read "$va_pid"
tg_probe proc_environ_own --cgroup "$A" --expect ok open "/proc/$va_pid/environ"
tg_probe proc_task_own --cgroup "$A" --expect ok open "/proc/$va_pid/task/$va_tid/comm"
tg_probe proc_self --cgroup "$A" --expect ok open /proc/self/status
tg_probe proc_list --cgroup "$A" --expect ok open /proc dir
tg_probe setnice_own --cgroup "$A" --expect ok setnice "$va_pid" 5
tg_probe prlimit_own --cgroup "$A" --expect ok prlimit "$va_pid"
tg_probe setsched_own --cgroup "$A" --expect ok setsched "$va_pid"
tg_probe getsched_own --cgroup "$A" --expect ok sched-loop "$va_pid" 1
tg_probe getsched_self --cgroup "$A" --expect ok sched-loop 0 1
tg_probe sigio_self --cgroup "$A" --expect ok sigio-self 0
tg_probe sigio_own --cgroup "$A" --expect ok sigio "$va_pid" 0
tg_probe shell_waits_children --cgroup "$A" --expect ok run /bin/sh -c \
	'sleep 0.1 & wait $! && sleep 0.1 & wait'
tg_probe kill_own_pgrp --cgroup "$A" --expect ok run setsid /bin/sh -c \
	'trap "" USR1; kill -USR1 0'
tg_probe kill_host_to_tenant --expect ok kill "$vg_pid"
tg_probe ptrace_host_to_tenant --expect ok ptrace "$vg_pid"
tg_probe proc_host_to_tenant --expect ok open "/proc/$vg_pid/environ"
tg_probe setnice_host_to_tenant --expect ok setnice "$vg_pid" 3
n=$(tg_count kind=proc tenant=host)
if [ "$n" = 0 ]; then
	tg_pass host_acts_unreported
else
	tg_fail host_acts_unreported "$n proc events of the host"
fi
n=$(tg_count kind=proc tenant=acme target_tenant=acme)
if [ "$n" = 0 ]; then
	tg_pass own_acts_unreported
else
	tg_fail own_acts_unreported "$n proc events of acme towards itself"
fi

echo "# audit mode"
tg_probe audit_kill --cgroup "$I" --expect ok kill "$vg_pid"
tg_event audit_kill_event kind=proc verdict=audit tenant=initech op=signal \
	target_pid="$vg_pid"
tg_probe audit_proc --cgroup "$I" --expect ok open "/proc/$vg_pid/status"
tg_event audit_proc_event kind=proc verdict=audit tenant=initech \
	op=proc_open target_pid="$vg_pid"
# Switched live: acme in audit, then back.
tg_policy <<YAML
  acme: {mode: audit, paths: [$TG_SRV/acme]}
  globex: {paths: [$TG_SRV/globex]}
  initech: {mode: audit}
YAML
tg_cli reload >/dev/null || tg_fail reload_audit "reload failed"
tg_probe live_audit_kill --cgroup "$A" --expect ok kill "$vg_pid"
tg_event live_audit_kill_event kind=proc verdict=audit tenant=acme op=signal
tg_policy <<YAML
  acme: {paths: [$TG_SRV/acme]}
  globex: {paths: [$TG_SRV/globex]}
  initech: {mode: audit}
YAML
tg_cli reload >/dev/null || tg_fail reload_enforce "reload failed"
deny live_enforce_kill EPERM kill "$vg_pid"

echo "# kill(-1): only its own tenant's processes get it"
tg_probe kill_all --cgroup "$A" --expect ok kill-all 10
sleep 0.5
if ! alive "$va_pid" && alive "$vg_pid" && alive "$vh_pid" && alive "$vb_pid" &&
	alive "$TG_AGENT_PID"; then
	tg_pass kill_all_reaches_own_only
else
	tg_fail kill_all_reaches_own_only "acme $(alive "$va_pid" && echo alive), globex $(alive "$vg_pid" || echo gone), host $(alive "$vh_pid" || echo gone)"
fi
pev kill_all_other_event signal target_pid="$vg_pid" signal=10
pev kill_all_host_event signal target_pid="$vh_pid" signal=10
tg_summary
