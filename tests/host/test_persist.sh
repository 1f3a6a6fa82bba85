#!/bin/sh
# test_persist: enforcement outlives the agent. A tenant's connect loop to
# another tenant's port runs across kill -9 of the agent, a restart, SIGTERM
# and a start, and an upgrade to a build with one program changed
# (tenantguard-agent-variant): no connect of it succeeds, the other tenant's
# own connects all do, and every denial is accounted for: stored in the log,
# summarised by a rate limit, or counted as dropped, including the denials
# made while no agent ran. The agent's gap events and the collector's
# disconnected events say where the agent was absent, field by field.
# Where BPF LSM runs (the guests), a third tenant's opens of acme's file
# and connects to acme's unix socket run across the same restarts, and the
# LSM programs are swapped (new attached, then old detached) at each start.
# --detach removes every program and pin and is recorded; it is refused
# while an agent runs. Bad --pin-dir values and a pinned set of another
# layout are refused, and the set in force stays.
. "$(dirname "$0")/../lib/tap.sh"
. "$(dirname "$0")/../lib/tenants.sh"
. "$(dirname "$0")/../lib/accounting.sh"
. "$(dirname "$0")/../lib/net.sh"

: "${TG_BIN:?}"
tg_net_setup initech || exit 1
lsm=0
grep -qs bpf /sys/kernel/security/lsm && lsm=1
port=$((base + 50))
ROUNDS=${TG_PERSIST_KILLS:-2}
# Microseconds between a loop's attempts: 0 natively; the guests (TCG) need
# room for the agent beside six loops on two CPUs.
PAUSE=${TG_PERSIST_PAUSE:-0}
# The own tenant's connects succeed, each leaving a TIME_WAIT socket on an
# ephemeral port for a minute: at full speed they would fill the range the
# next tests pick their ports from.
OWN_PAUSE=${TG_PERSIST_PAUSE:-2000}
# One log file however long the drill (make soak): the checks read it.
tg_start_collector --rotate-size 4294967296 || exit 1

field() { echo "$2" | tr ' ' '\n' | sed -n "s/^$1=//p"; }
# end_tcp_loops: the TCP loops end; gres and ares hold their counts.
end_tcp_loops()
{
	touch "$TG_T/stop"
	tg_wait $gl
	tg_wait $al
	read -r gres <"$TG_T/loop.g"
	read -r ares <"$TG_T/loop.a"
}

# The programs of this test's pinned network links (other agents may run).
our_progs()
{
	for f in "$TG_PINS"/links/net_*; do
		[ -e "$f" ] && bpftool -j link show pinned "$f" |
			grep -o '"prog_id":[0-9]*' | cut -d: -f2
	done
}
# attached [IDS]: how many of IDS (default: our_progs) the cgroup root runs.
attached()
{
	ids=${1:-$(our_progs)}
	bpftool -j cgroup show "$TG_CGROOT" 2>/dev/null | grep -o '"id":[0-9]*' |
		cut -d: -f2 >"$TG_T/ids"
	n=0
	for i in $ids; do
		grep -qx "$i" "$TG_T/ids" && n=$((n + 1))
	done
	echo $n
}

# The last agent event op=$1 in the log.
last_agent() { grep '"kind":"agent"' "$TG_LOG" | grep "\"op\":\"$1\"" | tail -n 1; }
# json_num LINE KEY
json_num() { echo "$1" | grep -o "\"$2\":[0-9-]*" | head -n 1 | cut -d: -f2; }
json_str() { echo "$1" | grep -o "\"$2\":\"[^\"]*\"" | head -n 1 | cut -d'"' -f4; }

tg_start_agent || exit 1
build1=$(tg_cli status --json | sed -n 's/.*"build": *"\([0-9a-f]*\)".*/\1/p' | head -n 1)
n_att=$(attached)
if [ "$n_att" = 12 ] && [ -e "$TG_PINS/links/net_tg_connect4" ] &&
	[ -e "$TG_PINS/maps/events" ] && [ -e "$TG_PINS/meta" ]; then
	tg_pass pinned_at_start
else
	tg_fail pinned_at_start "$n_att programs attached; $(ls "$TG_PINS"/* 2>&1 | head -n 3)"
fi

# Acme listens; globex (hostile) and acme (its own traffic) connect in loops.
"$P" --cgroup "$A" listen tcp 127.0.0.1 $port "$TG_T/ready" &
tg_track $!
tg_wait_file "$TG_T/ready" || exit 1
rm -f "$TG_T/stop"
"$P" --cgroup "$G" connect-loop tcp 127.0.0.1 $port "$TG_T/stop" $PAUSE >"$TG_T/loop.g" &
gl=$!
tg_track $gl
"$P" --cgroup "$A" connect-loop tcp 127.0.0.1 $port "$TG_T/stop" $OWN_PAUSE >"$TG_T/loop.a" &
al=$!
tg_track $al
lsm_loops=""
if [ $lsm = 1 ]; then
	tg_wait_tenant initech || exit 1
	"$P" --cgroup "$A" unix-serve "$TG_SRV/acme/sock" "$TG_T/u.ready" &
	tg_track $!
	tg_wait_file "$TG_T/u.ready" || exit 1
	for w in "I open-until $TG_SRV/acme/data" "I unix-until $TG_SRV/acme/sock" \
		"A open-until $TG_SRV/acme/data" "A unix-until $TG_SRV/acme/sock"; do
		set -- $w
		cg=$TG_TDIR/acme
		[ "$1" = I ] && cg=$I
		"$P" --cgroup "$cg" "$2" "$3" "$TG_T/lsm_stop" $PAUSE >"$TG_T/loop.$1.$2" &
		tg_track $!
		lsm_loops="$lsm_loops $!"
	done
fi
sleep 1

# kill -9, a while without agent, and a restart: the gap is recorded.
r=0 inflight=0
while [ $r -lt "$ROUNDS" ]; do
	r=$((r + 1))
	pid=$TG_AGENT_PID
	before=$("$P" now)
	kill -KILL "$pid"
	tg_wait "$pid" 2>/dev/null
	killed=$("$P" now)
	# A tenant cgroup made while no agent runs is the pending actor's.
	if [ $r = 1 ]; then
		mkdir -p "$TG_TDIR/newcomer"
		"$P" --cgroup "$TG_TDIR/newcomer" --expect EPERM connect tcp \
			127.0.0.1 $port >"$TG_T/newcomer" 2>&1
		newcomer_rc=$?
	fi
	sleep 1
	tg_start_agent || exit 1
	if [ $r = 1 ]; then
		if [ "$newcomer_rc" = 0 ] && tg_wait_tenant newcomer &&
			"$P" --cgroup "$TG_TDIR/newcomer" --expect EPERM connect tcp \
				127.0.0.1 $port >/dev/null; then
			tg_pass new_cgroup_pending_while_down
		else
			tg_fail new_cgroup_pending_while_down "$(cat "$TG_T/newcomer")"
		fi
	fi
	tg_event "kill9_${r}_gap_recorded" kind=agent op=gap \
		clean_stop=false previous_pid="$pid" previous_build="$build1"
	gap=$(last_agent gap)
	from=$(json_num "$gap" from_ns) to=$(json_num "$gap" to_ns)
	kept=$(json_num "$gap" events_kept) lost=$(json_num "$gap" events_lost)
	# The last heartbeat: before the kill, within a few poll rounds of it.
	if [ -n "$from" ] && [ "$from" -le "$killed" ] &&
		[ "$from" -ge $((before - 3000000000)) ] && [ "$to" -gt "$killed" ] &&
		[ $((kept + lost)) -gt 0 ]; then
		tg_pass "kill9_${r}_gap_fields"
	else
		tg_fail "kill9_${r}_gap_fields" "killed between $before and $killed: $gap"
	fi
	tg_event "kill9_${r}_collector_lost" kind=agent \
		op=disconnected clean=false pid="$pid"
	# Frames the killed agent had queued beyond what the collector stored.
	pstream=$(json_str "$gap" previous_stream)
	plast=$(json_num "$gap" previous_last_seq)
	disc=$(grep '"op":"disconnected"' "$TG_LOG" | grep "\"agent_stream\":\"$pstream\"" | tail -n 1)
	stored_last=$(json_num "$disc" last_agent_seq)
	if [ -n "$stored_last" ] && [ "$plast" -ge "$stored_last" ]; then
		tg_pass "kill9_${r}_stream_end_known"
		inflight=$((inflight + plast - stored_last))
		echo "$pstream $plast" >>"$TG_T/killed_streams"
	else
		tg_fail "kill9_${r}_stream_end_known" "gap: $gap; collector: $disc"
	fi
	st=$(tg_cli status --json)
	# The same build: network links given the new programs in place,
	# LSM links left as they are.
	kept=$(echo "$st" | sed -n 's/.*"kept": *\([0-9]*\).*/\1/p')
	if echo "$st" | grep -q '"adopted": *true' &&
		echo "$st" | grep -q '"upgraded": *false' &&
		echo "$st" | grep -q '"replaced": *12' &&
		echo "$st" | grep -q '"swapped": *0' &&
		{ [ $lsm = 0 ] || [ "$kept" -gt 10 ]; }; then
		tg_pass "kill9_${r}_adopted"
	else
		tg_fail "kill9_${r}_adopted" "$(echo "$st" | grep -A12 '"pins"' | tr -d '\n ')"
	fi
	sleep 1
done

# SIGTERM keeps enforcement; the next start records a clean gap.
pid=$TG_AGENT_PID
tg_stop_agent || tg_fail sigterm_exit "exit $?"
if [ "$(attached)" = "$n_att" ]; then
	tg_pass sigterm_keeps_programs
else
	tg_fail sigterm_keeps_programs "$(attached) of $n_att attached"
fi
sleep 1
tg_start_agent || exit 1
tg_event sigterm_gap_recorded kind=agent op=gap clean_stop=true \
	previous_pid="$pid"
tg_event sigterm_collector_clean kind=agent op=disconnected clean=true \
	pid="$pid"
sleep 1

# Where BPF LSM runs, every loop ends before the upgrade: attaching and
# detaching LSM programs while their hook runs hot has oopsed a 6.12 guest
# under QEMU TCG (int3 in bpf_lsm_file_open while the trampoline was
# rewritten) and locked up a 6.1 one (both CPUs in the TCP loops, whose
# sockets pass the socket_create and file_free_security hooks). Natively
# no trampoline is rewritten and the TCP loops run across the upgrade.
touch "$TG_T/lsm_stop"
for l in $lsm_loops; do
	tg_wait "$l"
done
[ $lsm = 0 ] || end_tcp_loops

# An upgrade: the other build replaces the programs in place.
pid=$TG_AGENT_PID
tg_stop_agent
real_bin=$TG_BIN/tenantguard-agent
mkdir -p "$TG_T/variant"
ln -sf "$TG_BIN/tenantguard-agent-variant" "$TG_T/variant/tenantguard-agent"
TG_BIN_SAVED=$TG_BIN
TG_BIN=$TG_T/variant
tg_start_agent || exit 1
TG_BIN=$TG_BIN_SAVED
st=$(tg_cli status --json)
build2=$(echo "$st" | sed -n 's/.*"build": *"\([0-9a-f]*\)".*/\1/p' | head -n 1)
if [ -n "$build2" ] && [ "$build2" != "$build1" ] &&
	echo "$st" | grep -q '"upgraded": *true' &&
	echo "$st" | grep -q "\"upgraded_from\": *\"$build1\"" &&
	echo "$st" | grep -q '"replaced": *12' &&
	{ [ $lsm = 0 ] || echo "$st" | grep -q '"swapped": *[1-9][0-9]'; } &&
	[ "$(attached)" = "$n_att" ]; then
	tg_pass upgrade_replaces_in_place
else
	tg_fail upgrade_replaces_in_place "$build1 -> $build2: $(echo "$st" | grep -A14 '"pins"' | tr -d '\n ')"
fi
if last_agent start | grep -q "pinned in $TG_PINS (adopted and upgraded"; then
	tg_pass upgrade_start_event
else
	tg_fail upgrade_start_event "$(last_agent start)"
fi
sleep 1

# --detach and a second agent: refused while an agent serves the pins.
rc=0
unclean=$(tg_count kind=agent op=disconnected clean=false)
"$real_bin" --detach --pin-dir "$TG_PINS" --event-socket "$TG_SOCK" \
	--collector-user "${TG_COLLECTOR_USER:-root}" --spool-size 0 \
	2>"$TG_T/err" || rc=$?
if [ "$rc" = 1 ] && grep -q "is served by the agent with pid $TG_AGENT_PID" "$TG_T/err" &&
	[ "$(attached)" = "$n_att" ]; then
	tg_pass detach_refused_while_running
else
	tg_fail detach_refused_while_running "exit $rc: $(cat "$TG_T/err")"
fi
rc=0
"$real_bin" --pin-dir "$TG_PINS" --event-socket "$TG_SOCK" \
	--control-socket "$TG_T/c2.sock" --spool-size 0 --policy builtin \
	--tenants-cgroup "$TG_TENANTS" 2>"$TG_T/err" || rc=$?
if [ "$rc" = 1 ] && grep -q "is served by the agent with pid $TG_AGENT_PID" "$TG_T/err"; then
	tg_pass second_agent_refused
else
	tg_fail second_agent_refused "exit $rc: $(cat "$TG_T/err")"
fi

# The loops end (in the guests they ended before the upgrade); every
# denial is accounted for.
[ $lsm = 1 ] || end_tcp_loops
echo "    globex: $gres; acme: $ares"
if [ "$(field ok "$gres")" = 0 ] && [ "$(field other "$gres")" = 0 ] &&
	[ "$(field eperm "$gres")" -gt 0 ]; then
	tg_pass no_cross_tenant_success
else
	tg_fail no_cross_tenant_success "$gres"
fi
if [ "$(field eperm "$ares")" = 0 ] && [ "$(field other "$ares")" = 0 ] &&
	[ "$(field ok "$ares")" -gt 0 ]; then
	tg_pass own_traffic_unaffected
else
	tg_fail own_traffic_unaffected "$ares"
fi
if [ $lsm = 1 ]; then
	for c in open-until unix-until; do
		read -r ires <"$TG_T/loop.I.$c"
		read -r ares <"$TG_T/loop.A.$c"
		echo "    $c: initech $ires; acme $ares"
		if [ "$(field ok "$ires")" = 0 ] && [ "$(field other "$ires")" = 0 ] &&
			[ "$(field eperm "$ires")" -gt 0 ]; then
			tg_pass "lsm_${c}_no_cross_tenant_success"
		else
			tg_fail "lsm_${c}_no_cross_tenant_success" "$ires"
		fi
		if [ "$(field eperm "$ares")" = 0 ] && [ "$(field other "$ares")" = 0 ] &&
			[ "$(field ok "$ares")" -gt 0 ]; then
			tg_pass "lsm_${c}_own_unaffected"
		else
			tg_fail "lsm_${c}_own_unaffected" "$ares"
		fi
	done
fi
tg_drain_stop || tg_fail agent_stops "exit $?"
denials=$(field eperm "$gres")
d=$(tg_delivered globex)
s=$(tg_suppressed globex)
x=$(tg_dropped_of globex)
echo "    globex: $denials denials = $d delivered + $s suppressed + $x dropped (+ $TG_QDROP queue; $inflight frame(s) were unsent when agents were killed)"
# Every frame a killed agent had taken waits in its spool and reaches the
# log under its stream after the restart.
bad=
while read -r pstream plast; do
	got=$(grep '"op":"disconnected"' "$TG_LOG" | grep "\"agent_stream\":\"$pstream\"" |
		sed -n 's/.*"last_agent_seq":\([0-9]*\).*/\1/p' | sort -n | tail -n 1)
	[ "${got:-0}" -ge "$plast" ] || bad="$bad $pstream:${got:-none}<$plast"
done <"$TG_T/killed_streams"
if [ -z "$bad" ]; then
	tg_pass killed_agents_frames_delivered
else
	tg_fail killed_agents_frames_delivered "$bad"
fi
# Exact, but for one record or summary a kill can land between writing it
# to the spool and marking it taken in the kernel (then it is stored twice:
# delivery is at least once).
sum=$((d + s + x + TG_QDROP))
if [ "$denials" -le "$sum" ] && [ "$sum" -le $((denials + ROUNDS)) ]; then
	tg_pass every_denial_accounted
else
	tg_fail every_denial_accounted "$denials denials, $d + $s + $x + $TG_QDROP"
fi

# Bad input: refused, the set in force stays.
rc=0
"$real_bin" --pin-dir relative/dir 2>"$TG_T/err" || rc=$?
if [ "$rc" = 2 ] && grep -q -- "--pin-dir: 'relative/dir' is not an absolute path" "$TG_T/err"; then
	tg_pass bad_pin_dir_relative
else
	tg_fail bad_pin_dir_relative "exit $rc: $(cat "$TG_T/err")"
fi
rc=0
"$real_bin" --pin-dir "$TG_T/notbpf" --event-socket "$TG_SOCK" \
	--control-socket "$TG_T/c2.sock" --spool-size 0 --policy builtin \
	--tenants-cgroup "$TG_TENANTS" 2>"$TG_T/err" || rc=$?
if [ "$rc" = 1 ] && grep -q "is not a bpffs" "$TG_T/err"; then
	tg_pass bad_pin_dir_not_bpffs
else
	tg_fail bad_pin_dir_not_bpffs "exit $rc: $(cat "$TG_T/err")"
fi
# A ring buffer of another size: the pinned map "events" has another shape.
rc=0
"$real_bin" --pin-dir "$TG_PINS" --ringbuf-size 65536 --event-socket "$TG_SOCK" \
	--control-socket "$TG_T/c2.sock" --spool-size 0 --policy builtin \
	--tenants-cgroup "$TG_TENANTS" --paths-root "$TG_SRV" 2>"$TG_T/err" || rc=$?
if [ "$rc" = 1 ] && grep -q "pinned map $TG_PINS/maps/events differs from this build's" "$TG_T/err" &&
	[ "$(attached)" = "$n_att" ] &&
	"$P" --cgroup "$G" --expect EPERM connect tcp 127.0.0.1 $port >/dev/null; then
	tg_pass other_layout_refused_set_stays
else
	tg_fail other_layout_refused_set_stays "exit $rc: $(tail -n 2 "$TG_T/err"); $(attached) attached"
fi

# --detach: everything goes, recorded.
ids=$(our_progs)
rc=0
"$real_bin" --detach --pin-dir "$TG_PINS" --event-socket "$TG_SOCK" \
	--collector-user "${TG_COLLECTOR_USER:-root}" --spool-size 0 \
	2>"$TG_T/err" || rc=$?
left=$(attached "$ids")
crc=0
"$P" --cgroup "$G" connect tcp 127.0.0.1 $port >"$TG_T/cout" 2>&1 || crc=$?
if [ "$rc" = 0 ] && [ -n "$ids" ] && [ "$left" = 0 ] && [ ! -e "$TG_PINS" ] && [ "$crc" = 0 ]; then
	tg_pass detach_removes_everything
else
	tg_fail detach_removes_everything "exit $rc, $left of $(echo $ids | wc -w) attached,\
 pins: $(ls -R "$TG_PINS" 2>&1 | tr '\n' ' '), connect: $crc $(tr '\n' ' ' <"$TG_T/cout"),\
 err: $(tr '\n' ' ' <"$TG_T/err")"
fi
# Links: the 12 network ones, and the LSM objects' where they load.
tg_event detach_recorded kind=agent op=detach pin_dir="$TG_PINS" \
	by_uid=0 build="$build2"
# Its stream ends with the detach event (its only one): the collector
# calls that clean, not lost.
tg_event detach_stream_clean kind=agent op=disconnected clean=true \
	events_stored=1
tg_count_is detach_stream_not_lost "$unclean" kind=agent op=disconnected \
	clean=false
nlinks=$(json_num "$(last_agent detach)" links)
if [ "${nlinks:-0}" -ge 12 ] && { [ $lsm = 1 ] || [ "$nlinks" = 12 ]; }; then
	tg_pass detach_counts_links
else
	tg_fail detach_counts_links "$(last_agent detach)"
fi
# A set of layout 4 (no support_uids, no grant maps yet): adopted as it is,
# the maps layouts 5 and 6 added created beside it, the meta map then
# saying 6.
MP=${TG_PINS}mig # no dot: bpffs refuses names with one
tg_on_cleanup "'$real_bin' --detach --pin-dir '$MP' --spool-size 0 --event-socket '$TG_T/none.sock' >/dev/null 2>&1"
meta_hex()
{
	bpftool -j map lookup pinned "$MP/meta" key 0 0 0 0 |
		grep -o '"value":\[[^]]*\]' | grep -o '"0x[0-9a-f]*"' | tr -d '"' | tr '\n' ' '
}
# mig_agent: an agent on the set in $MP until "enforcing"; its pid in mig.
mig_agent()
{
	rm -f "$TG_T/mig.err"
	"$real_bin" --pin-dir "$MP" --event-socket "$TG_SOCK" \
		--collector-user "${TG_COLLECTOR_USER:-root}" \
		--control-socket "$TG_T/c3.sock" --spool-size 0 --policy builtin \
		--tenants-cgroup "$TG_TENANTS" --paths-root "$TG_SRV" 2>"$TG_T/mig.err" &
	mig=$!
	tg_track $mig
	n=0
	until grep -q "enforcing for" "$TG_T/mig.err" 2>/dev/null || [ $n -gt 300 ]; do
		n=$((n + 1))
		sleep 0.1
	done
}
mig_agent
kill -TERM $mig
tg_wait $mig
v=$(meta_hex)
# shellcheck disable=SC2086 # the value's bytes, one argument each
set -- $v
shift 4
rm -f "$MP/maps/support_uids" "$MP/maps/grants" "$MP/maps/grant_scopes" \
	"$MP/maps/grant_sessions"
if [ -e "$MP/meta" ] &&
	bpftool map update pinned "$MP/meta" key 0 0 0 0 value 0x04 0x00 0x00 0x00 "$@"; then
	mig_agent
	if grep -q "enforcing for" "$TG_T/mig.err" && grep -q "pinned in $MP (adopted" "$TG_T/mig.err" &&
		[ -e "$MP/maps/support_uids" ] && [ -e "$MP/maps/grants" ] &&
		[ -e "$MP/maps/grant_sessions" ] && [ "$(meta_hex | cut -d' ' -f1)" = 0x06 ]; then
		tg_pass layout_4_migrated
	else
		tg_fail layout_4_migrated "$(tail -n 2 "$TG_T/mig.err"); meta $(meta_hex | cut -d' ' -f1-4)"
	fi
	kill -TERM $mig
	tg_wait $mig
else
	tg_fail layout_4_migrated "cannot write $MP/meta"
fi

tg_summary
