#!/bin/sh
# test_collector_trust: the agent trusts the event socket to the
# collector's user alone (--collector-user; SO_PEERCRED of the listener). A
# fake collector listening there as another uid (a workload's) is sent
# nothing and acknowledges nothing that counts, nor is one of the
# collector's uid in a tenant's cgroup; the agent says why (stderr, status,
# one event per listener); every event waits in the spool and the real
# collector, started later as its user, stores each exactly once. The
# collector refuses a log that is a symbolic link and a log directory that
# is another uid's or that group or others may write; the agent refuses
# such a spool directory. The normal configuration still works.
. "$(dirname "$0")/../lib/tap.sh"
. "$(dirname "$0")/../lib/tenants.sh"
. "$(dirname "$0")/../lib/accounting.sh"
. "$(dirname "$0")/../lib/delivery.sh"

: "${TG_BIN:?}"
tg_env_setup || exit 1
tg_collector_user || exit 1
user=$TG_COLLECTOR_USER
if [ -z "$user" ]; then
	tg_skip collector_trust "TG_COLLECTOR_USER is empty: the collector runs as root"
	tg_summary
	exit 0
fi
uid=$(id -u "$user")
gid=$(id -g "$user")
# The workload's uid the fake collector runs as.
fake_uid=65534

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

# --collector-user values.
expect_error collector_user_unknown_refused 2 \
	"--collector-user: no user 'tg-no-such-user' in the passwd database" \
	"$TG_BIN/tenantguard-agent" --collector-user tg-no-such-user
expect_error collector_user_bad_uid_refused 2 \
	"--collector-user: '4294967295' is neither a user name nor a uid" \
	"$TG_BIN/tenantguard-agent" --collector-user 4294967295

# spool_refused NAME MODE OWNER: the agent does not start on a spool
# directory of that mode and owner, and says why.
spool_refused()
{
	sr_dir=$TG_T/spool-$1
	mkdir -p "$sr_dir" && chown "$3" "$sr_dir" && chmod "$2" "$sr_dir"
	if TG_SPOOL=$sr_dir tg_start_agent 2>/dev/null; then
		tg_fail "$1" "the agent started on $sr_dir (mode $2, owner $3)"
		tg_stop_agent
		return
	fi
	tg_wait "$TG_AGENT_PID"
	sr_rc=$?
	sr_want="spool $sr_dir: refused: owner uid $3, mode $(printf '%04o' "0$2"): needs owner uid 0 or root, and no write permission for group or others"
	if [ "$sr_rc" = 1 ] && grep -qF "$sr_want" "$TG_T/agent.err"; then
		tg_pass "$1"
	else
		tg_fail "$1" "exit $sr_rc: $(tail -n 1 "$TG_T/agent.err")"
	fi
}
spool_refused spool_group_writable_refused 0770 0
spool_refused spool_world_writable_refused 1777 0
spool_refused spool_other_owner_refused 0700 $fake_uid
if [ -e "$TG_PINS" ]; then
	tg_fail refused_start_leaves_no_pins "$TG_PINS left behind"
else
	tg_pass refused_start_leaves_no_pins
fi

# log_refused NAME TEXT: the collector, on $log, exits 1 saying TEXT.
log_refused()
{
	expect_error "$1" 1 "$2" "$TG_BIN/tenantguard-collector" \
		--socket "$TG_T/refused.sock" --log "$log" --user "$user" \
		--state-dir "$TG_T/refused-state"
}
log=$TG_T/linklog/events.jsonl
mkdir -p "$TG_T/linklog" && chown "$uid:$gid" "$TG_T/linklog" &&
	chmod 0700 "$TG_T/linklog"
echo "not the log" >"$TG_T/target"
ln -s "$TG_T/target" "$log"
log_refused log_symlink_refused \
	"$log: a symbolic link (the log, or its .seq or .1 file): refused, the collector never opens its log through a link"
if [ "$(cat "$TG_T/target")" = "not the log" ] && [ ! -e "$TG_T/refused.sock" ]; then
	tg_pass log_symlink_target_untouched
else
	tg_fail log_symlink_target_untouched "$(ls -l "$TG_T/target" "$TG_T/refused.sock" 2>&1)"
fi
rm -f "$log" && ln -s "$TG_T/target" "$log.seq"
log_refused log_seq_symlink_refused "$log: a symbolic link (the log, or its .seq or .1 file): refused"
for m in 0770:group 0777:world; do
	mode=${m%:*}
	log=$TG_T/${m#*:}log/events.jsonl
	mkdir -p "$(dirname "$log")" && chown "$uid:$gid" "$(dirname "$log")" &&
		chmod "$mode" "$(dirname "$log")"
	log_refused "log_dir_${m#*:}_writable_refused" \
		"$(dirname "$log"): refused as the log's directory: owner uid $uid, mode $mode: needs owner uid $uid or root, and no write permission for group or others"
done
log=$TG_T/otherlog/events.jsonl
mkdir -p "$TG_T/otherlog" && chown $fake_uid "$TG_T/otherlog" && chmod 0700 "$TG_T/otherlog"
log_refused log_dir_other_owner_refused \
	"$TG_T/otherlog: refused as the log's directory: owner uid $fake_uid, mode 0700"

if ! command -v setpriv >/dev/null; then
	tg_skip fake_collector "setpriv not installed"
	tg_summary
	exit 0
fi

# The weakness this guards against: a workload's uid may create the socket
# (here: its directory is that uid's). A fake collector listens there
# before any collector does, acknowledging every frame it gets.
chmod 0711 "$TG_T"
mkdir "$TG_T/run" && chown $fake_uid "$TG_T/run"
TG_SOCK=$TG_T/run/events.sock
counts=$TG_T/run/fake.counts
setpriv --reuid=$fake_uid --regid=$fake_uid --clear-groups \
	"$TG_BIN/tg-try" fake-collector "$TG_SOCK" "$counts" 2>"$TG_T/fake.err" &
fake=$!
tg_track $fake
tg_wait_file "$counts" || tg_fail fake_listens "$(cat "$TG_T/fake.err")"
tg_delivery_agent 29 || exit 1
tg_loop_start
sleep 1.5
tg_loop_stop
echo "    $res; fake collector: $(cat "$counts")"

read -r got <"$counts"
case "$got" in
"connections=0 "*) tg_fail fake_tried "the agent never connected: $got" ;;
*" hellos=0 events=0 acks=0") tg_pass fake_gets_nothing ;;
*) tg_fail fake_gets_nothing "$got" ;;
esac
if [ "$(tg_stat sent_acked)" = 0 ] && [ "$(tg_stat collector_connected)" = false ]; then
	tg_pass no_ack_counted
else
	tg_fail no_ack_counted "acked $(tg_stat sent_acked), connected $(tg_stat collector_connected)"
fi
spooled=$(tg_stat spool_events)
if [ "$eperm" -gt 0 ] && [ "$spooled" -ge "$eperm" ]; then
	tg_pass events_wait_in_spool
else
	tg_fail events_wait_in_spool "$spooled in the spool, $eperm denials"
fi
if [ "$(tg_stat collector_refused)" -ge 1 ] 2>/dev/null; then
	tg_pass refusals_counted
else
	tg_fail refusals_counted "collector_refused: $(tg_stat collector_refused)"
fi
if grep -qF "refused the listener on the event socket $TG_SOCK: uid $fake_uid (pid $fake tg-try), not the collector's user $user (uid $uid)" \
	"$TG_T/agent.err"; then
	tg_pass agent_says_why
else
	tg_fail agent_says_why "$(grep -i refused "$TG_T/agent.err" | tail -n 1)"
fi
if tg_cli status | grep -qF "COLLECTOR:   not connected ($TG_SOCK: listener uid $fake_uid (pid $fake) refused: the collector's uid is $uid)"; then
	tg_pass status_says_why
else
	tg_fail status_says_why "$(tg_cli status | grep COLLECTOR)"
fi
if [ "$(grep -c "refused the listener" "$TG_T/agent.err")" = 1 ]; then
	tg_pass refusal_told_once_per_listener
else
	tg_fail refusal_told_once_per_listener "$(grep -c "refused the listener" "$TG_T/agent.err") lines"
fi

# The fake goes. Another comes as the collector's own uid, but from a
# tenant's cgroup: refused all the same (a tenant's process may have any
# uid), with its tenant named.
first=$eperm
kill -TERM $fake
{ tg_wait $fake; } 2>/dev/null
rm -f "$TG_SOCK"
chmod 0777 "$TG_T/run"
counts=$TG_T/run/fake2.counts
sh -c 'echo $$ >"$1/cgroup.procs" && shift && exec "$@"' sh "$TG_TDIR/acme" \
	setpriv --reuid="$uid" --regid="$gid" --clear-groups \
	"$TG_BIN/tg-try" fake-collector "$TG_SOCK" "$counts" 2>"$TG_T/fake.err" &
fake2=$!
tg_track $fake2
tg_wait_file "$counts" || tg_fail fake_listens "$(cat "$TG_T/fake.err")"
tg_loop_start
sleep 1.5
tg_loop_stop
echo "    $res; fake collector in acme: $(cat "$counts")"
second=$eperm
read -r got <"$counts"
case "$got" in
"connections=0 "*) tg_fail tenant_fake_tried "the agent never connected: $got" ;;
*" hellos=0 events=0 acks=0") tg_pass tenant_fake_gets_nothing ;;
*) tg_fail tenant_fake_gets_nothing "$got" ;;
esac
if grep -qF "refused the listener on the event socket $TG_SOCK: uid $uid (pid $fake2 tg-try): it runs in tenant acme's cgroup ($TG_TENANTS/acme)" \
	"$TG_T/agent.err" && [ "$(tg_stat sent_acked)" = 0 ]; then
	tg_pass tenant_fake_refused
else
	tg_fail tenant_fake_refused "acked $(tg_stat sent_acked): $(grep -i refused "$TG_T/agent.err" | tail -n 1)"
fi

# The real collector, as its user, gets everything.
kill -TERM $fake2
{ tg_wait $fake2; } 2>/dev/null
tg_start_collector || exit 1
tg_event refusal_event_stored kind=agent op=collector_refused verdict=deny \
	tenant=host socket="$TG_SOCK" uid=$fake_uid expected_uid=$uid \
	expected_user="$user" pid=$fake comm=tg-try
tg_event tenant_refusal_event_stored kind=agent op=collector_refused \
	verdict=deny tenant=acme socket="$TG_SOCK" uid=$uid pid=$fake2 \
	cgroup="$TG_TENANTS/acme"
if tg_drain 30 && [ "$(tg_stat collector_connected)" = true ]; then
	tg_pass real_collector_trusted
else
	tg_fail real_collector_trusted "$(tg_cli status | grep COLLECTOR)"
fi
# The log may have rotated under the flood: count in its rotated files too.
n=$(cat "$TG_LOG".[0-9]* "$TG_LOG" 2>/dev/null | grep '"kind":"agent"' | grep -c '"op":"collector_refused"')
if [ "$n" = 2 ]; then
	tg_pass refusal_event_per_listener
else
	tg_fail refusal_event_per_listener "$n events, 2 expected (kind=agent op=collector_refused)"
fi
# Later events go straight through; every denial of every round is in the
# log exactly once.
tg_loop_start
sleep 0.5
tg_loop_stop
echo "    $res"
tg_check_identity trust $((first + second + eperm)) "$TG_LOG"
tg_stop_agent
tg_summary
