#!/bin/sh
# test_support: support staff (the policy's support: login uids, ranges and
# groups, members by the group's list and by primary group) get no standing
# access to tenants: a host process whose audit login uid is theirs, as
# root or as any uid, is refused a tenant's TCP port, UDP port and files
# (EPERM, and an event with tenant host, actor support, its login uid and
# user), while it reaches the host's ports and files; other login uids and
# processes without one are unaffected. Every task event names who acted
# (uid, gid, parent, executable by inode, cgroup). A reload that drops the
# support entry ends the refusals; bad support entries are located errors.
# Files: fanotify natively, BPF LSM in the guests.
. "$(dirname "$0")/../lib/tap.sh"
. "$(dirname "$0")/../lib/tenants.sh"
. "$(dirname "$0")/../lib/net.sh"

: "${TG_BIN:?}"
# Users and groups where the tools are (not in the guests' busybox).
users=1
for c in groupadd useradd userdel groupdel; do
	command -v $c >/dev/null || users=0
done
if ! [ -w /proc/self/loginuid ]; then
	tg_skip support "no /proc/self/loginuid (a kernel without audit)"
	tg_summary
	exit 0
fi
tg_net_setup || exit 1
tg_mounted "$TG_SRV" || tg_srv_tmpfs || exit 1
S=$TG_SRV
mkdir -p "$S/acme" "$S/globex" "$S/host" || exit 1
echo acme-data >"$S/acme/data"
echo host-data >"$S/host/data"

# Throwaway support group: one member by the group's list, one by primary
# group; a user outside it.
U=tgs$$
GRP=$U-sup
if [ $users = 1 ]; then
	tg_on_cleanup "for u in ${U}m ${U}p ${U}n; do userdel \$u 2>/dev/null; done; groupdel $GRP 2>/dev/null"
	groupadd "$GRP" &&
		useradd -M -N -G "$GRP" "${U}m" &&
		useradd -M -N -g "$GRP" "${U}p" &&
		useradd -M -N "${U}n" || exit 1
	UM=$(id -u "${U}m") UP=$(id -u "${U}p") UN=$(id -u "${U}n")
else
	UN=4243
fi

TG_POLICY=$TG_T/policy.yaml
mkdir -p "$TG_T/policy.d"
# write_policy [SUPPORT_BLOCK]
write_policy()
{
	{
		printf 'version: 1\ntenants_cgroup: %s\n' "$TG_TENANTS"
		printf '%s' "${1:-}"
		printf 'tenants:\n  acme:\n    paths: [%s/acme]\n  globex:\n    paths: [%s/globex]\n' "$S" "$S"
	} >"$TG_POLICY.tmp" && mv "$TG_POLICY.tmp" "$TG_POLICY"
}
# A host daemon's socket and spool of the test's own, closed to support.
mkdir -p "$TG_T/jobs" && echo job >"$TG_T/jobs/job" && chmod 0711 "$TG_T"
DELEG=$(printf '  delegation: [%s/daemon.sock, %s/jobs]\n' "$TG_T" "$TG_T")
if [ $users = 1 ]; then
	SUPPORT=$(printf 'support:\n  login_uids: [4242, 5000-5009]\n  groups: [%s]\n%s\n' "$GRP" "$DELEG")
	WANT_STATUS="login uids 4242, 5000-5009, groups $GRP: 13 login uid(s) in [34] range(s)"
else
	SUPPORT=$(printf 'support:\n  login_uids: [4242, 5000-5009]\n%s\n' "$DELEG")
	WANT_STATUS="login uids 4242, 5000-5009, groups -: 11 login uid(s) in 2 range(s)"
fi
write_policy "$SUPPORT
"

# Bad support entries: located errors from the checker the agent shares.
# check NAME WANT_TEXT POLICY_TEXT
check()
{
	printf '%s' "$3" >"$TG_T/bad.yaml"
	if out=$("$TG_BIN/tenantguard" policy check "$TG_T/bad.yaml" 2>&1); then
		tg_fail "$1" "accepted: $out"
	elif printf '%s' "$out" | grep -qF -- "$2"; then
		tg_pass "$1"
	else
		tg_fail "$1" "$out"
	fi
}
check bad_range_refused "bad.yaml:3:16: '5010-5000' is not a login uid or range" \
	"version: 1
support:
  login_uids: [5010-5000]
"
check unset_uid_refused "'4294967295' is not a login uid or range" \
	"version: 1
support:
  login_uids: [4294967295]
"
check unknown_group_refused "unknown group 'no-such-group-$$' for support" \
	"version: 1
support:
  groups: [no-such-group-$$]
"
check empty_support_refused "support names nobody" \
	"version: 1
support: {}
"
check support_unknown_key "unknown key 'logins' in support" \
	"version: 1
support:
  logins: [1]
"

if grep -qs bpf /sys/kernel/security/lsm; then
	fileopt=""
else
	fileopt="--file-backend fanotify"
fi
"$P" sock-listen unix-stream "$TG_T/daemon.sock" "$TG_T/daemon.ready" &
tg_track $!
tg_wait_file "$TG_T/daemon.ready" 20 || {
	tg_fail daemon_listens "no $TG_T/daemon.sock"
	exit 1
}
tg_start_collector || {
	tg_fail collector_starts "$(tail -n 3 "$TG_T/collector.err" | tr '\n' ' ')"
	exit 1
}
# shellcheck disable=SC2086 # fileopt: no option or one
tg_start_agent $fileopt --event-log "$TG_LOG" || {
	tg_fail agent_starts "$(tail -n 3 "$TG_T/agent.err" | tr '\n' ' ')"
	exit 1
}
tg_wait_tenant acme || {
	tg_fail acme_registered "$(tg_cli status 2>&1 | head -n 5 | tr '\n' ' ')"
	exit 1
}

# status names them, resolved: 4242, 5000-5009 and the two members.
if tg_cli status | grep -q "^support: *$WANT_STATUS"; then
	tg_pass status_names_support
else
	tg_fail status_names_support "$(tg_cli status | grep -i support)"
fi

# policy show: the support entry as written, with its place.
if tg_cli policy show | grep -A3 '^support:' | grep -q "login_uids" &&
	tg_cli policy show | grep -q "5000-5009 *# .*policy.yaml:[0-9]*:[0-9]*"; then
	tg_pass policy_show_support
else
	tg_fail policy_show_support "$(tg_cli policy show 2>&1 | head -n 20)"
fi

PT=$base PU=$((base + 1)) PH=$((base + 2))
tg_listen "$A" tcp 127.0.0.1 $PT
tg_listen "$A" udp 127.0.0.1 $PU
tg_listen host tcp 127.0.0.1 $PH
exe_ino=$(stat -L -c %i "$P")

# Network: refused like another tenant, the host's port reached.
tg_probe support_connect_refused --login-uid 4242 --expect EPERM connect tcp 127.0.0.1 $PT
tg_event support_connect_event kind=net op=connect verdict=deny tenant=host \
	actor=support login_uid=4242 target_tenant=acme port=$PT exe_ino="$exe_ino"
tg_probe support_range_refused --login-uid 5009 --expect EPERM connect tcp 127.0.0.1 $PT
tg_probe support_udp_refused --login-uid 5000 --expect EPERM sendto udp 127.0.0.1 $PU
tg_event support_udp_event kind=net op=sendmsg verdict=deny tenant=host \
	actor=support login_uid=5000 target_tenant=acme port=$PU
if [ $users = 1 ]; then
	tg_probe support_group_member_refused --login-uid "$UM" --expect EPERM connect tcp 127.0.0.1 $PT
	tg_event support_group_member_event kind=net actor=support login_uid="$UM" user="${U}m"
	tg_probe support_primary_group_refused --login-uid "$UP" --expect EPERM connect tcp 127.0.0.1 $PT
else
	tg_skip support_groups "no groupadd and useradd here"
fi
tg_probe support_host_port_allowed --login-uid 4242 --expect ok connect tcp 127.0.0.1 $PH
tg_probe other_login_uid_allowed --login-uid "$UN" --expect ok connect tcp 127.0.0.1 $PT
tg_probe no_login_uid_allowed --expect ok connect tcp 127.0.0.1 $PT
tg_probe owner_allowed --cgroup "$A" --expect ok connect tcp 127.0.0.1 $PT

# Whatever uid it runs as now: the login uid decides.
if ! setpriv --help 2>&1 | grep -q -- --reuid; then
	tg_skip support_as_other_uid "no setpriv --reuid here"
elif out=$(sh -c "echo 4242 >/proc/self/loginuid && exec setpriv --reuid 65534 --regid 65534 --clear-groups '$P' --expect EPERM connect tcp 127.0.0.1 $PT" 2>&1); then
	tg_pass support_as_other_uid_refused
else
	tg_fail support_as_other_uid_refused "$out"
fi
setpriv --help 2>&1 | grep -q -- --reuid &&
	tg_event support_as_other_uid_event kind=net actor=support login_uid=4242 uid=65534 gid=65534

# Who acted, on a tenant's event: uid, gid, parent, cgroup.
tg_probe tenant_refused --cgroup "$G" --expect EPERM connect tcp 127.0.0.1 $PT
mnt=$(awk '$3 == "cgroup2" { print $2; exit }' /proc/mounts)
tg_event tenant_event_names_actor kind=net tenant=globex uid=0 gid=0 \
	cgroup="${G#"$mnt"}" cgroup_id="$(stat -c %i "$G")" exe_ino="$exe_ino" \
	ppid=$$ parent_comm=sh

# Files: EACCES from BPF LSM, EPERM from fanotify (as for tenants).
if [ -z "$fileopt" ]; then ferr=EACCES; else ferr=EPERM; fi
tg_probe support_file_refused --login-uid 4242 --expect $ferr open "$S/acme/data" r
tg_event support_file_event kind=file verdict=deny tenant=host actor=support \
	login_uid=4242 target_tenant=acme
grep '"kind":"file"' "$TG_LOG" | grep '"actor":"support"' | head -n 1 | cut -c1-900 | sed 's/^/# /'
tg_cli status 2>&1 | grep -E "^(file|guard)" | sed 's/^/# /'
tg_cli status --json | tr -d '\n' | grep -o '"file_reason": *"[^"]*"' | sed 's/^/# /'
grep -iE "libbpf|verif|processed|invalid|too |error" "$TG_T/agent.err" | tail -n 40 | cut -c1-300 | sed 's/^/# /'
if [ "$(tg_count kind=file actor=support)" = 0 ]; then
	grep -v '"kind":"net"' "$TG_LOG" | tail -n 4 | cut -c1-700 | sed 's/^/# /'
	tg_cli status 2>&1 | grep -iE "drop|malformed|file|guard" | sed 's/^/# /'
fi
tg_probe support_host_file_allowed --login-uid 4242 --expect ok open "$S/host/data" r
tg_probe other_login_uid_file_allowed --login-uid "$UN" --expect ok open "$S/acme/data" r
tg_probe owner_file_allowed --cgroup "$A" --expect ok open "$S/acme/data" r

# With BPF LSM (the guests): unix sockets, processes, /proc, the guard,
# the cgroups of tenants, and the login uid itself.
if grep -qs bpf /sys/kernel/security/lsm; then
	# Every object loaded with the support checks (the file object is the
	# one nearest the verifier's limits).
	be=$(tg_cli status --json | tr -d ' \n' | grep -o '"backends":{[^}]*}')
	case "$be" in
	*'"file":"bpf-lsm"'*'"unix":"bpf-lsm"'*'"proc":"bpf-lsm"'*) tg_pass lsm_objects_loaded ;;
	*) tg_fail lsm_objects_loaded "$be" ;;
	esac
	"$P" --cgroup "$A" sock-listen unix-stream @tgsup$$ "$TG_T/usock.ready" &
	tg_track $!
	tg_wait_file "$TG_T/usock.ready" 20
	tg_probe support_unix_refused --login-uid 4242 --expect EPERM \
		sock unix-stream @tgsup$$ socket,connect
	tg_event support_unix_event kind=unix op=connect actor=support \
		login_uid=4242 target_tenant=acme
	tg_probe other_unix_allowed --login-uid "$UN" --expect ok \
		sock unix-stream @tgsup$$ socket,connect
	setsid "$P" --cgroup "$A" victim "$TG_T/va.ready" &
	tg_track $!
	tg_wait_file "$TG_T/va.ready" 20
	read -r va_pid va_tid <"$TG_T/va.ready"
	setsid "$P" victim "$TG_T/vh.ready" &
	tg_track $!
	tg_wait_file "$TG_T/vh.ready" 20
	read -r vh_pid vh_tid <"$TG_T/vh.ready"
	tg_probe support_kill_refused --login-uid 4242 --expect EPERM kill "$va_pid"
	tg_event support_kill_event kind=proc op=signal actor=support \
		login_uid=4242 target_tenant=acme
	tg_probe support_ptrace_refused --login-uid 4242 --expect EPERM ptrace "$va_pid"
	tg_probe support_environ_refused --login-uid 4242 --expect EACCES open "/proc/$va_pid/environ" r
	tg_probe support_kill_host_allowed --login-uid 4242 --expect ok kill "$vh_pid"
	tg_probe support_environ_host_allowed --login-uid 4242 --expect ok open "/proc/$vh_pid/environ" r
	tg_probe other_environ_allowed --login-uid "$UN" --expect ok open "/proc/$va_pid/environ" r
	if kill -0 "$va_pid" 2>/dev/null; then
		tg_pass tenant_victim_survives
	else
		tg_fail tenant_victim_survives "acme's victim is gone"
	fi
	# Inside self-protection as a tenant is: the agent, bpf(), the
	# capabilities refused to tenants, every cgroup.
	tg_probe support_kill_agent_refused --login-uid 4242 --expect EPERM kill "$TG_AGENT_PID"
	tg_event support_kill_agent_event kind=guard check=signal actor=support login_uid=4242
	tg_probe support_bpf_refused --login-uid 4242 --expect EPERM syscall bpf
	tg_probe support_sys_module_refused --login-uid 4242 --expect EPERM cap sys_module
	tg_probe support_net_admin_refused --login-uid 4242 --expect EPERM cap net_admin
	tg_probe other_net_admin_allowed --login-uid "$UN" --expect ok cap net_admin
	tg_probe other_bpf_allowed --login-uid "$UN" --expect EINVAL syscall bpf
	# tenantguard's own files: the event log, the policy, the pins.
	tg_probe support_log_refused --login-uid 4242 --expect EPERM open "$TG_LOG" r
	tg_event support_log_event kind=guard check=path actor=support login_uid=4242 \
		path="$TG_LOG"
	tg_probe support_policy_write_refused --login-uid 4242 --expect EPERM \
		write "$TG_POLICY" x
	tg_probe support_pins_refused --login-uid 4242 --expect EPERM open "$TG_PINS" dir
	tg_probe other_log_allowed --login-uid "$UN" --expect ok open "$TG_LOG" r
	# Into a tenant's cgroup: neither cgroup.procs nor CLONE_INTO_CGROUP.
	# (A tenant's cgroup directory is its owned object: the file
	# object's refusal, EACCES, as for another tenant.)
	tg_probe support_enter_tenant_refused --login-uid 4242 --expect EACCES \
		write "$A/cgroup.procs" 0
	tg_probe support_clone_into_tenant_refused --login-uid 4242 --expect EPERM \
		clone-into "$A"
	mkdir -p "$TG_CGROOT/tgsup$$"
	tg_on_cleanup "rmdir '$TG_CGROOT/tgsup$$' 2>/dev/null"
	tg_probe support_host_cgroup_refused --login-uid 4242 --expect EPERM \
		write "$TG_CGROOT/tgsup$$/cgroup.procs" 0
	tg_probe other_host_cgroup_allowed --login-uid "$UN" --expect ok \
		write "$TG_CGROOT/tgsup$$/cgroup.procs" 0
	# The login uid, once set, stays: for anyone, support or not.
	tg_probe login_uid_change_refused --login-uid "$UN" --expect EPERM \
		write /proc/self/loginuid 4242
	tg_event login_uid_change_event kind=guard check=loginuid login_uid="$UN"
	tg_probe support_login_uid_change_refused --login-uid 4242 --expect EPERM \
		write /proc/self/loginuid "$UN"
	tg_probe login_uid_first_set_allowed --expect ok write /proc/self/loginuid "$UN"
	# A host daemon's doors: its socket and its spool, to support only.
	tg_probe support_daemon_socket_refused --login-uid 4242 --expect EPERM \
		sock unix-stream "$TG_T/daemon.sock" socket,connect
	tg_event support_daemon_socket_event kind=guard check=delegation op=connect \
		actor=support login_uid=4242 ino="$(stat -c %i "$TG_T/daemon.sock")"
	tg_probe other_daemon_socket_allowed --login-uid "$UN" --expect ok \
		sock unix-stream "$TG_T/daemon.sock" socket,connect
	# Nor the collector's socket: no events injected.
	tg_probe support_event_socket_refused --login-uid 4242 --expect EPERM \
		sock unix-seqpacket "$TG_SOCK" socket,connect
	tg_probe support_spool_create_refused --login-uid 4242 --expect EPERM \
		create "$TG_T/jobs/new-job"
	tg_event support_spool_event kind=guard check=delegation op=create \
		actor=support path="$TG_T/jobs/new-job"
	tg_probe support_spool_write_refused --login-uid 4242 --expect EPERM \
		write "$TG_T/jobs/job" x
	tg_probe support_spool_read_allowed --login-uid 4242 --expect ok \
		open "$TG_T/jobs/job" r
	tg_probe other_spool_create_allowed --login-uid "$UN" --expect ok \
		create "$TG_T/jobs/other-job"
	if tg_cli status | grep -Eq "; ([2-9]|[1-9][0-9]+) daemon socket\(s\) and spool\(s\) closed to support staff"; then
		tg_pass status_counts_delegation
	else
		tg_fail status_counts_delegation "$(tg_cli status | grep '^guard')"
	fi
else
	tg_skip support_lsm "BPF LSM is not active here (unix, process, guard: the guests)"
fi

# No refusal of the others is an event of the support actor's.
n=$(tg_count actor=support login_uid="$UN")
if [ "$n" = 0 ]; then
	tg_pass others_no_event
else
	tg_fail others_no_event "$n events"
fi

# No role through uid 0: a support actor as root is refused the agent's
# control requests (a role group of its own would give it one).
out=$(sh -c "echo 4242 >/proc/self/loginuid && exec '$TG_BIN/tenantguard' --control-socket '$TG_T/control.sock' reload" 2>&1)
case "$out" in
*"refused: reload needs the operator role; uid 0 (root, login uid 4242, support) has no role"*)
	tg_pass support_root_no_role ;;
*) tg_fail support_root_no_role "$out" ;;
esac
tg_event support_root_no_role_event kind=admin op=reload actor=support login_uid=4242 uid=0
if out=$(sh -c "echo $UN >/proc/self/loginuid && exec '$TG_BIN/tenantguard' --control-socket '$TG_T/control.sock' status" 2>&1); then
	tg_pass other_root_admin
else
	tg_fail other_root_admin "$out"
fi

# Dropped from the policy: no longer refused.
write_policy
if out=$(tg_cli reload 2>&1); then
	tg_pass reload_without_support
else
	tg_fail reload_without_support "$out"
fi
if tg_cli status | grep -q "^support: *nobody"; then
	tg_pass status_support_nobody
else
	tg_fail status_support_nobody "$(tg_cli status | grep -i support)"
fi
tg_probe former_support_allowed --login-uid 4242 --expect ok connect tcp 127.0.0.1 $PT
tg_probe former_support_file_allowed --login-uid 4242 --expect ok open "$S/acme/data" r
# And back.
write_policy "$SUPPORT
"
tg_cli reload >/dev/null 2>&1
tg_probe support_again_refused --login-uid 4242 --expect EPERM connect tcp 127.0.0.1 $PT

tg_summary
