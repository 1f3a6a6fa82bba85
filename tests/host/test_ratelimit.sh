#!/bin/sh
# test_ratelimit: per-tenant event rate limits and the accounting of every
# denial: for each tenant, events delivered to the log + suppressed (sum of
# the op=suppressed summaries) + dropped (sum of the op=drop reports) equals
# the denials its processes saw, exactly. A tenant flooding denials does not
# cost a quiet tenant any event, with rate limits on (its own bucket) and
# off (its share of the ring buffer's reserve). The refusals the agent
# raises itself, opens refused by the fanotify file backend and system calls
# refused by a seccomp profile, pass the same per-tenant limits with the
# same summaries and the same exact accounting. Bad rate limits are refused
# with their location and the policy in force stays.
. "$(dirname "$0")/../lib/tap.sh"
. "$(dirname "$0")/../lib/tenants.sh"
. "$(dirname "$0")/../lib/accounting.sh"

: "${TG_BIN:?}"
tg_env_setup || exit 1
# The fanotify backend marks whole filesystems: acme's files on a tmpfs of
# the test's own.
if ! tg_mounted "$TG_SRV"; then
	tg_srv_tmpfs || exit 1
	mkdir -p "$TG_SRV/acme" && echo acme-data >"$TG_SRV/acme/data" || exit 1
fi
port=$((TG_PORT_BASE + 40))
TG_POLICY=$TG_T/policy.yaml
mkdir -p "$TG_T/policy.d"
for t in a_flood capped free b_flood b_quiet c_flood f_flood f_quiet \
	g_files g_sc g_quiet; do
	mkdir -p "$TG_TDIR/$t" || exit 1
done

# write_policy EVENTS: the default rate limit, and four tenants' own; acme
# owns its files (the refused opens of run 4).
write_policy()
{
	cat >"$TG_POLICY.tmp" <<YAML
version: 1
tenants_cgroup: $TG_TENANTS
events: $1
tenants:
  capped:
    events: {rate: 200, burst: 100}
  free:
    events: {rate: unlimited}
  g_files:
    events: {rate: 100, burst: 50}
  g_sc:
    events: {rate: 100, burst: 50}
  acme:
    paths: [$TG_SRV/acme]
YAML
	mv "$TG_POLICY.tmp" "$TG_POLICY"
}

field() { echo "$2" | sed "s/.*$1=\([0-9]*\).*/\1/"; }
now() { date +%s.%N; }

# start_run AGENT_ARGS...: an agent, and acme listening on $port.
start_run()
{
	rm -f "$TG_T/agent.err"	# or the last run's "enforcing" line counts
	# A fresh set each run: the runs differ in ring buffer size.
	tg_detach_pins
	tg_start_agent "$@" || exit 1
	rm -f "$TG_T/ready"
	"$TG_BIN/tg-try" --cgroup "$TG_TDIR/acme" listen tcp 127.0.0.1 $port \
		"$TG_T/ready" &
	listener=$!
	tg_track $listener
	tg_wait_file "$TG_T/ready" || exit 1
}

# end_run: let the queue drain, note its drops (qdrop), stop the agent so
# that it reports its last counts.
end_run()
{
	tg_drain_stop || tg_fail agent_stops "exit $?"
	qdrop=$TG_QDROP
	kill "$listener" 2>/dev/null
	wait "$listener" 2>/dev/null
}

# flood TENANT SECONDS: denied connects at full speed; sets res, t0, t1.
flood()
{
	rm -f "$TG_T/stop"
	t0=$(now)
	"$TG_BIN/tg-try" --cgroup "$TG_TDIR/$1" connect-loop tcp 127.0.0.1 $port \
		"$TG_T/stop" >"$TG_T/loop.$1" &
	fl=$!
	tg_track $fl
	sleep "$2"
	touch "$TG_T/stop"
	tg_wait $fl
	t1=$(now)
	read -r res <"$TG_T/loop.$1"
}

# flood_beside FLOODER QUIET: FLOODER floods while QUIET makes 40 denials
# 5 ms apart; sets res (the flood's counts) and quiet (the quiet one's).
flood_beside()
{
	rm -f "$TG_T/stop"
	"$TG_BIN/tg-try" --cgroup "$TG_TDIR/$1" connect-loop tcp 127.0.0.1 $port \
		"$TG_T/stop" >"$TG_T/loop.$1" &
	fl=$!
	tg_track $fl
	sleep 0.5
	quiet=$("$TG_BIN/tg-try" --cgroup "$TG_TDIR/$2" connect-repeat tcp \
		127.0.0.1 $port 40 5)
	sleep 0.5
	touch "$TG_T/stop"
	tg_wait $fl
	read -r res <"$TG_T/loop.$1"
}

# identity NAME TENANT DENIALS [KIND]: delivered (events of KIND, default
# net) + suppressed + dropped (+ the collector queue's drops of this run, not
# per tenant) == DENIALS.
identity()
{
	d=$(tg_delivered "$2" "${4:-net}")
	s=$(tg_suppressed "$2")
	x=$(tg_dropped_of "$2")
	echo "    $2: $3 denials = $d delivered + $s suppressed + $x dropped (+ $qdrop queue)"
	if [ "$3" -gt 0 ] && [ $((d + s + x + qdrop)) = "$3" ]; then
		tg_pass "$1"
	else
		tg_fail "$1" "$3 denials, $d delivered + $s suppressed + $x dropped + $qdrop queue"
	fi
}

# all_denied NAME: every connect of the last loop failed with EPERM.
all_denied()
{
	if [ "$(field attempts "$res")" = "$(field eperm "$res")" ] &&
		[ "$(field eperm "$res")" -gt 0 ]; then
		tg_pass "$1"
	else
		tg_fail "$1" "$res"
	fi
}

tg_start_collector || exit 1

# Run 1: rate limits on (default 1000/s, burst 2000; capped 200/s, burst
# 100; free unlimited).
write_policy "{rate: 1000, burst: 2000}"
start_run
flood a_flood 2
na=$(field eperm "$res")
all_denied a_rate_limit_keeps_enforcing
flood capped 1
nc=$(field eperm "$res")
cap_max=$(echo "$t0 $t1" | awk '{ printf "%d", 100 + ($2 - $1) * 200 + 1 }')
flood free 1
nf=$(field eperm "$res")
# b: b_flood floods while b_quiet makes 40 denials 5 ms apart.
flood_beside b_flood b_quiet
nb=$(field eperm "$res")
end_run

identity a_delivered_suppressed_dropped_equal_denials a_flood "$na"
if [ "$(tg_suppressed a_flood)" -gt 0 ] && [ "$(tg_delivered a_flood)" -ge 2000 ]; then
	tg_pass a_burst_delivered_rest_suppressed
else
	tg_fail a_burst_delivered_rest_suppressed "$(tg_delivered a_flood) delivered, $(tg_suppressed a_flood) suppressed"
fi
tg_event a_summary_names_kind_op_window kind=agent op=suppressed tenant=a_flood \
	event_kind=net event_op=connect event_verdict=deny >/dev/null
# A summary says what it is: never verdict allow.
tg_event a_summary_verdict_suppressed kind=agent op=suppressed \
	verdict=suppressed tenant=a_flood
tg_count_is a_summary_never_allow 0 kind=agent op=suppressed verdict=allow
if grep '"op":"suppressed"' "$TG_LOG" | grep '"tenant":"a_flood"' |
	grep -q '"window_start":"[0-9T:.-]*Z","window_end":"[0-9T:.-]*Z"'; then
	tg_pass a_summary_has_window
else
	tg_fail a_summary_has_window "no window_start/window_end"
fi
identity capped_identity capped "$nc"
dc=$(tg_delivered capped)
if [ "$dc" -ge 100 ] && [ "$dc" -le "$cap_max" ] && [ "$(tg_suppressed capped)" -gt 0 ]; then
	tg_pass capped_tenant_override_applies
else
	tg_fail capped_tenant_override_applies "$dc delivered, expected 100..$cap_max"
fi
identity free_identity free "$nf"
if [ "$(tg_suppressed free)" = 0 ] && [ "$(tg_delivered free)" -gt 2000 ]; then
	tg_pass free_tenant_unlimited
else
	tg_fail free_tenant_unlimited "$(tg_delivered free) delivered, $(tg_suppressed free) suppressed"
fi
identity b_flood_identity b_flood "$nb"
nq=$(field eperm "$quiet")
if [ "$nq" = 40 ] && [ "$(tg_delivered b_quiet)" = 40 ] && [ "$(tg_suppressed b_quiet)" = 0 ] &&
	[ "$(tg_dropped_of b_quiet)" = 0 ] && [ "$(tg_suppressed b_flood)" -gt 0 ]; then
	tg_pass b_quiet_tenant_loses_nothing
else
	tg_fail b_quiet_tenant_loses_nothing "quiet: $quiet; $(tg_delivered b_quiet) delivered, $(tg_suppressed b_quiet) suppressed, $(tg_dropped_of b_quiet) dropped; flood suppressed $(tg_suppressed b_flood)"
fi

# Run 2 (c): rate limits off, a 4 KiB ring buffer: drops, counted per tenant.
write_policy "{rate: unlimited}"
start_run --ringbuf-size 4096
flood c_flood 2
ncf=$(field eperm "$res")
all_denied c_keeps_enforcing
end_run
identity c_delivered_dropped_equal_denials c_flood "$ncf"
if [ "$(tg_dropped_of c_flood)" -gt 0 ] && [ "$(tg_suppressed c_flood)" = 0 ]; then
	tg_pass c_ring_drops_counted_per_tenant
else
	tg_fail c_ring_drops_counted_per_tenant "$(tg_dropped_of c_flood) dropped, $(tg_suppressed c_flood) suppressed"
fi
# Each drop report's per-CPU counts add up to its count.
bad=$(grep '"op":"drop"' "$TG_LOG" | grep '"tenant":"c_flood"' | while read -r line; do
	n=$(echo "$line" | sed 's/.*"dropped":\([0-9]*\).*/\1/')
	c=$(echo "$line" | sed 's/.*"cpus":{\([^}]*\)}.*/\1/' | tr ',' '\n' |
		cut -d: -f2 | awk '{ s += $1 } END { print s + 0 }')
	[ "$n" = "$c" ] || echo x
done | wc -l)
if [ "$bad" = 0 ] && grep '"op":"drop"' "$TG_LOG" | grep -q '"tenant":"c_flood".*"reason":"ringbuf_'; then
	tg_pass c_drops_per_cpu_add_up
else
	tg_fail c_drops_per_cpu_add_up "$bad reports whose cpus do not add up"
fi
tg_event c_drop_verdict_dropped kind=agent op=drop verdict=dropped \
	tenant=c_flood
tg_count_is c_drop_never_allow 0 kind=agent op=drop verdict=allow

# Run 3: rate limits off, a 64 KiB ring buffer kept full by f_flood:
# f_quiet's 40 denials fit its share of the reserve and all arrive.
start_run --ringbuf-size 65536
flood_beside f_flood f_quiet
nff=$(field eperm "$res")
end_run
identity f_flood_identity f_flood "$nff"
if [ "$(tg_dropped_of f_flood)" = 0 ]; then
	tg_skip f_quiet_tenant_keeps_its_share "the agent kept up: the ring never filled"
elif [ "$(field eperm "$quiet")" = 40 ] && [ "$(tg_delivered f_quiet)" = 40 ] &&
	[ "$(tg_dropped_of f_quiet)" = 0 ]; then
	tg_pass f_quiet_tenant_keeps_its_share
else
	tg_fail f_quiet_tenant_keeps_its_share "quiet: $quiet; $(tg_delivered f_quiet) delivered, $(tg_dropped_of f_quiet) dropped; flood dropped $(tg_dropped_of f_flood)"
fi

# Run 4 (g): the refusals the agent raises itself. With the fanotify file
# backend, g_files opens acme's file at full speed, and g_sc, started by the
# launcher, calls bpf() (refused by its seccomp profile) at full speed, both
# limited to 100/s, burst 50, at the same time; meanwhile g_quiet makes one
# refused open and one refused call, which must be stored.
start_run --file-backend fanotify
rm -f "$TG_T/stop"
"$TG_BIN/tg-try" --cgroup "$TG_TDIR/g_files" open-until "$TG_SRV/acme/data" \
	"$TG_T/stop" >"$TG_T/loop.g_files" &
gf=$!
tg_track $gf
tg_cli run --tenant g_sc --uid 0 --gid 0 -- "$TG_BIN/tg-try" syscall-until bpf \
	"$TG_T/stop" >"$TG_T/loop.g_sc" 2>"$TG_T/run.g_sc" &
gs=$!
tg_track $gs
sleep 1
"$TG_BIN/tg-try" --cgroup "$TG_TDIR/g_quiet" --expect EPERM open "$TG_SRV/acme/data" \
	>"$TG_T/quiet.out" 2>&1
qf=$?
tg_cli run --tenant g_quiet --uid 0 --gid 0 -- "$TG_BIN/tg-try" --expect EPERM \
	syscall bpf >>"$TG_T/quiet.out" 2>&1
qs=$?
sleep 1
touch "$TG_T/stop"
tg_wait $gf
tg_wait $gs
read -r res_f <"$TG_T/loop.g_files"
read -r res_s <"$TG_T/loop.g_sc"
echo "    g_files: $res_f; g_sc: $res_s"
end_run
ngf=$(field eperm "$res_f")
ngs=$(field eperm "$res_s")
if [ "$(field attempts "$res_f")" = "$ngf" ] && [ "$ngf" -gt 500 ]; then
	tg_pass g_files_all_refused
else
	tg_fail g_files_all_refused "$res_f"
fi
if [ "$(field attempts "$res_s")" = "$ngs" ] && [ "$ngs" -gt 500 ]; then
	tg_pass g_sc_all_refused
else
	tg_fail g_sc_all_refused "$res_s: $(tail -n 2 "$TG_T/run.g_sc")"
fi
identity g_files_delivered_suppressed_dropped_equal_refusals g_files "$ngf" file
identity g_sc_delivered_suppressed_dropped_equal_refusals g_sc "$ngs" seccomp
# flood_summarised NAME TENANT KIND OP MAX: the flood was summarised (op
# suppressed, event_kind KIND, event_op OP), and at most MAX of its events
# (the burst and the rate over the flood, with a margin) were stored.
flood_summarised()
{
	fs_d=$(tg_delivered "$2" "$3")
	fs_s=$(tg_suppressed "$2")
	fs_n=$(tg_log_all "$TG_LOG" | grep '"op":"suppressed"' | grep "\"tenant\":\"$2\"" |
		grep "\"event_kind\":\"$3\",\"event_op\":\"$4\",\"event_verdict\":\"deny\"" |
		grep -c '"window_start":"[0-9T:.-]*Z","window_end":"[0-9T:.-]*Z"')
	if [ "$fs_n" -gt 0 ] && [ "$fs_s" -gt 0 ] && [ "$fs_d" -ge 50 ] && [ "$fs_d" -le "$5" ]; then
		tg_pass "$1"
	else
		tg_fail "$1" "$fs_n summaries, $fs_s suppressed, $fs_d stored (50..$5 expected)"
	fi
}
flood_summarised g_files_flood_summarised g_files file open 1000
flood_summarised g_sc_flood_summarised g_sc seccomp any 1000
if [ "$qf" = 0 ] && [ "$(tg_count_all kind=file tenant=g_quiet verdict=deny op=open)" = 1 ] &&
	[ "$(tg_suppressed g_quiet)" = 0 ]; then
	tg_pass g_quiet_refused_open_stored
else
	tg_fail g_quiet_refused_open_stored "exit $qf, $(tg_count_all kind=file tenant=g_quiet) stored, $(tg_suppressed g_quiet) suppressed: $(cat "$TG_T/quiet.out")"
fi
if [ "$qs" = 0 ] && [ "$(tg_count_all kind=seccomp tenant=g_quiet verdict=deny op=bpf)" = 1 ]; then
	tg_pass g_quiet_refused_call_stored
else
	tg_fail g_quiet_refused_call_stored "exit $qs, $(tg_count_all kind=seccomp tenant=g_quiet) stored: $(cat "$TG_T/quiet.out")"
fi

# d: bad rate limits are refused with their location; the policy stays.
write_policy "{rate: 1000, burst: 2000}"
start_run
g0=$(tg_stat generation)
bad_reload()
{
	name=$1
	want=$2
	shift 2
	printf "$@" >"$TG_POLICY"
	if ! tg_cli reload >/dev/null 2>"$TG_T/err" &&
		grep -qF "$TG_POLICY:$want" "$TG_T/err" &&
		[ "$(tg_stat generation)" = "$g0" ]; then
		tg_pass "$name"
	else
		tg_fail "$name" "gen $g0 -> $(tg_stat generation): $(cat "$TG_T/err")"
	fi
}
head='version: 1\ntenants_cgroup: %s\n'
bad_reload d_rate_zero_refused "3:16: rate '0' must be 1..1000000 events per second or 'unlimited'" \
	"${head}events: {rate: 0}\n" "$TG_TENANTS"
bad_reload d_rate_words_refused "3:16: rate 'fast' must be" \
	"${head}events: {rate: fast}\n" "$TG_TENANTS"
bad_reload d_burst_negative_refused "5:31: burst '-5' must be 1..10000000 events" \
	"${head}tenants:\n  capped:\n    events: {rate: 10, burst: -5}\n" "$TG_TENANTS"
bad_reload d_burst_with_unlimited_refused "3:34: burst cannot be set with rate: unlimited" \
	"${head}events: {rate: unlimited, burst: 5}\n" "$TG_TENANTS"
bad_reload d_missing_rate_refused "3:9: events needs 'rate'" \
	"${head}events: {burst: 5}\n" "$TG_TENANTS"
bad_reload d_unknown_key_refused "3:19: unknown key 'per' in events" \
	"${head}events: {rate: 5, per: minute}\n" "$TG_TENANTS"
if tg_cli status --json | tr -d ' \n' | grep -q '"name":"capped"[^}]*"event_rate":200,"event_burst":100'; then
	tg_pass d_previous_limits_stay
else
	tg_fail d_previous_limits_stay "$(tg_cli status --json | tr -d ' \n' | grep -o '"name":"capped"[^}]*')"
fi
end_run
tg_summary
