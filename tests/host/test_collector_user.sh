#!/bin/sh
# test_collector_user: the collector runs as a user of its own (--user):
# every uid and gid that user's, no capability in any set, no_new_privs; its
# log (and the directory it creates for it) that user's alone, mode 0600
# (0700), also after rotation; another uid can neither read the log nor
# connect to the socket; a tenant's process is still refused (its cgroup
# read after the drop) and the agent's events still arrive. Bad --user
# values and a log that user cannot write are refused with a clear error.
. "$(dirname "$0")/../lib/tap.sh"
. "$(dirname "$0")/../lib/tenants.sh"

: "${TG_BIN:?}"
tg_env_setup || exit 1
tg_collector_user || exit 1
user=$TG_COLLECTOR_USER
uid=$(id -u "$user")
gid=$(id -g "$user")
port=$((TG_PORT_BASE + 31))

# expect_error NAME STATUS TEXT CMD...: CMD exits STATUS saying TEXT.
expect_error()
{
	ee_name=$1 ee_want=$2 ee_text=$3
	shift 3
	ee_out=$("$@" 2>&1)
	ee_rc=$?
	if [ "$ee_rc" = "$ee_want" ] && printf '%s' "$ee_out" | grep -qF -- "$ee_text"; then
		tg_pass "$ee_name"
	else
		tg_fail "$ee_name" "exit $ee_rc, '$ee_out'"
	fi
}

C="$TG_BIN/tenantguard-collector --socket $TG_T/bad.sock --log $TG_T/bad/events.jsonl"
expect_error user_root_refused 2 "--user: 'root' is uid 0" $C --user root
expect_error user_uid0_refused 2 "--user: '0' is uid 0" $C --user 0
expect_error user_unknown_refused 2 "--user: no user 'tg-no-such-user'" \
	$C --user tg-no-such-user
expect_error user_bad_uid_refused 2 "--user: '4294967295' is neither" \
	$C --user 4294967295
expect_error user_nobody_refused 2 "--user: 'nobody' (uid 65534) is the overflow uid" \
	$C --user nobody
expect_error user_agent_uid_refused 2 "is also --agent-uid" \
	$C --user "$user" --agent-uid "$uid"
# --agent-uid takes a user name too: the same refusal by name.
expect_error user_agent_uid_by_name_refused 2 "is also --agent-uid" \
	$C --user "$user" --agent-uid "$user"
# Sizes as the agent takes them: bytes or with K, M, G, T.
expect_error rotate_size_bad 2 "--rotate-size: '10Q' is not a size" \
	$C --rotate-size 10Q
expect_error agent_uid_unknown_name 2 "--agent-uid: no user 'tg-no-such-user'" \
	$C --agent-uid tg-no-such-user
mkdir -p "$TG_T/rootlog"
expect_error user_unwritable_log 1 \
	"$TG_T/rootlog/events.jsonl: Permission denied: --user $user (uid $uid) may not write there" \
	"$TG_BIN/tenantguard-collector" --event-socket "$TG_T/bad.sock" \
	--log "$TG_T/rootlog/events.jsonl" --user "$user"
if [ -e "$TG_T/bad.sock" ] || [ -e "$TG_T/rootlog/events.jsonl" ]; then
	tg_fail refused_leaves_nothing "$(ls "$TG_T" "$TG_T/rootlog")"
else
	tg_pass refused_leaves_nothing
fi

# Small rotations, so that files made after the drop are checked too.
tg_start_collector --rotate-size 4096 --rotate-keep 3 || exit 1
pid=$TG_COLLECTOR_PID
st=/proc/$pid/status
field() { sed -n "s/^$1:[[:space:]]*//p" "$st" | tr -s '\t ' ' ' | sed 's/ $//'; }
if [ "$(field Uid)" = "$uid $uid $uid $uid" ] &&
	[ "$(field Gid)" = "$gid $gid $gid $gid" ] && [ -z "$(field Groups)" ]; then
	tg_pass runs_as_user
else
	tg_fail runs_as_user "Uid $(field Uid), Gid $(field Gid), Groups '$(field Groups)', want $uid/$gid"
fi
caps=""
for s in CapInh CapPrm CapEff CapBnd CapAmb; do
	[ "$(field $s)" = 0000000000000000 ] || caps="$caps $s=$(field $s)"
done
if [ -z "$caps" ] && [ "$(field NoNewPrivs)" = 1 ]; then
	tg_pass no_capabilities
else
	tg_fail no_capabilities "$caps NoNewPrivs=$(field NoNewPrivs)"
fi

# owner_mode NAME PATH WANT_MODE: PATH is the collector user's, WANT_MODE.
owner_mode()
{
	om=$(stat -c '%u:%g %a' "$2" 2>&1)
	if [ "$om" = "$uid:$gid $3" ]; then
		tg_pass "$1"
	else
		tg_fail "$1" "$2: $om, want $uid:$gid $3"
	fi
}
logdir=$(dirname "$TG_LOG")
owner_mode log_dir_private "$logdir" 700
owner_mode log_private "$TG_LOG" 600
owner_mode seq_file_private "$TG_LOG.seq" 600

# The agent (root, outside the tenants) still connects; events arrive.
tg_start_agent || exit 1
"$TG_BIN/tg-try" --cgroup "$TG_TDIR/acme" listen tcp 127.0.0.1 $port "$TG_T/ready" &
tg_track $!
tg_wait_file "$TG_T/ready" || tg_fail listener "not ready on port $port"
tg_event agent_events_arrive kind=agent op=start
n=0
while [ $n -lt 30 ]; do
	"$TG_BIN/tg-try" --cgroup "$TG_TDIR/globex" connect tcp 127.0.0.1 $port >/dev/null 2>&1
	n=$((n + 1))
done
tg_event denial_arrives kind=net verdict=deny tenant=globex target_tenant=acme port=$port
if [ -e "$TG_LOG.1" ] && ! grep -q "cannot rotate" "$TG_T/collector.err"; then
	tg_pass rotates_after_drop
else
	tg_fail rotates_after_drop "no $TG_LOG.1; $(grep rotate "$TG_T/collector.err")"
fi
owner_mode rotated_log_private "$TG_LOG.1" 600
owner_mode new_log_private "$TG_LOG" 600

# Another uid: the path down to the log open to it (0711), the log not.
chmod 0711 "$TG_T"
if command -v setpriv >/dev/null; then
	as_nobody="setpriv --reuid=65534 --regid=65534 --clear-groups"
	out=$($as_nobody cat "$TG_LOG" 2>&1)
	case "$out" in
	*"$TG_LOG: Permission denied"*) tg_pass other_uid_cannot_read ;;
	*) tg_fail other_uid_cannot_read "got: $(printf '%s' "$out" | tail -n 1)" ;;
	esac
	if $as_nobody ls "$logdir" >/dev/null 2>&1; then
		tg_fail other_uid_cannot_list "listed $logdir"
	else
		tg_pass other_uid_cannot_list
	fi
	out=$($as_nobody "$TG_BIN/tg-try" collector-send "$TG_SOCK" hello 2>&1)
	case "$out" in
	"connect: Permission denied"*) tg_pass other_uid_cannot_connect ;;
	*) tg_fail other_uid_cannot_connect "got '$out'" ;;
	esac
else
	tg_skip other_uid_cannot_read "setpriv not installed"
	tg_skip other_uid_cannot_list "setpriv not installed"
	tg_skip other_uid_cannot_connect "setpriv not installed"
fi

# A tenant's uid-0 process: DAC does not stop a reader with
# CAP_DAC_OVERRIDE (the BPF LSM guard does, in the VM tests); a workload
# started by the launcher has no capability, so the log is closed to it.
out=$(tg_cli run --tenant acme --uid 0 --gid 0 -- cat "$TG_LOG" 2>&1)
case "$out" in
*"$TG_LOG: Permission denied"*) tg_pass tenant_root_workload_cannot_read ;;
*) tg_fail tenant_root_workload_cannot_read "got: $(printf '%s' "$out" | tail -n 1)" ;;
esac
# Its cgroup is read by the collector as its user, after the drop: refused.
out=$("$TG_BIN/tg-try" --cgroup "$TG_TDIR/acme" collector-send "$TG_SOCK" hello 2>&1)
case "$out" in
"error: peer in a tenant's cgroup ($TG_TENANTS/acme) not allowed"*)
	tg_pass tenant_cannot_inject ;;
*) tg_fail tenant_cannot_inject "got '$out'" ;;
esac
tg_count_is injected_not_stored 0 probe=1
if grep -q "^collector: warning: running as root" "$TG_T/collector.err"; then
	tg_fail no_root_warning "$(grep warning "$TG_T/collector.err")"
else
	tg_pass no_root_warning
fi

tg_stop_agent
kill -TERM "$pid"
if tg_wait "$pid"; then
	tg_pass stops_cleanly
else
	tg_fail stops_cleanly "exit $?: $(tail -n 2 "$TG_T/collector.err")"
fi
tg_summary
