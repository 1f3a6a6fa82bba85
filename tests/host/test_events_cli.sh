#!/bin/sh
# test_events_cli: `tenantguard events` over a log that rotates: every event
# once and in order (also with --follow across rotations), filters, --since,
# human-readable columns without colour when not on a terminal, clear
# errors for bad flags and values.
. "$(dirname "$0")/../lib/tap.sh"
. "$(dirname "$0")/../lib/tenants.sh"
. "$(dirname "$0")/../lib/accounting.sh"
. "$(dirname "$0")/../lib/delivery.sh"

: "${TG_BIN:?}"
tg_env_setup || exit 1
# Rotate every ~40 KB, keep 50 files: a few hundred events rotate often.
tg_start_collector --rotate-size 40000 --rotate-keep 50 || exit 1
tg_start_agent || exit 1
port=$((TG_PORT_BASE + 27))
"$TG_BIN/tg-try" --cgroup "$TG_TDIR/acme" listen tcp 127.0.0.1 $port "$TG_T/ready" &
tg_track $!
tg_wait_file "$TG_T/ready" || tg_fail listener "not ready on port $port"
ev() { "$TG_BIN/tenantguard" events --log "$TG_LOG" "$@"; }

# Not through ev: $! must be the follower, not a subshell whose kill would
# leave the follower running after the test.
# -n all: from the first line (a follow starts from the last 10 otherwise).
"$TG_BIN/tenantguard" events --log "$TG_LOG" --follow -n all --json \
	>"$TG_T/follow" 2>"$TG_T/follow.err" &
follower=$!
tg_track $follower
"$TG_BIN/tg-try" --cgroup "$TG_TDIR/globex" connect-count tcp 127.0.0.1 $port 1500 2 >/dev/null
tg_drain 30
sleep 1
kill "$follower"
tg_wait "$follower"
rotated=$(ls "$TG_LOG".[0-9]* 2>/dev/null | wc -l)
echo "    $rotated rotated files"

# seq of every line of a file, one per line.
seqs() { sed -n 's/^{"seq":\([0-9]*\),.*/\1/p' "$1"; }
# consecutive FILE: seq goes 1, 2, 3, ... without gap or repeat.
consecutive() { seqs "$1" | awk 'NR != $1 { bad++ } END { exit bad > 0 || NR == 0 }'; }

ev --json >"$TG_T/all"
total=$(tg_log_all "$TG_LOG" | wc -l)
if [ "$rotated" -ge 3 ] && consecutive "$TG_T/all" && [ "$(wc -l <"$TG_T/all")" = "$total" ]; then
	tg_pass rotated_files_in_order
else
	tg_fail rotated_files_in_order "$rotated rotated, $(wc -l <"$TG_T/all") of $total lines, seq not 1..N in order"
fi
if consecutive "$TG_T/follow" && [ "$(wc -l <"$TG_T/follow")" = "$total" ]; then
	tg_pass follow_across_rotation
else
	tg_fail follow_across_rotation "$(wc -l <"$TG_T/follow") of $total lines followed: $(head -c 200 "$TG_T/follow.err")"
fi
n=$(ev --json --tenant globex --kind net | grep -c '"verdict":"deny"')
if [ "$n" = 1500 ] && [ "$(ev --json --tenant globex --kind net | wc -l)" = 1500 ]; then
	tg_pass filter_tenant_kind
else
	tg_fail filter_tenant_kind "$n of 1500 globex denials"
fi
# acme is the target of globex's denials: --tenant matches the target too.
if [ "$(ev --json --tenant acme | grep -c '"target_tenant":"acme"')" = 1500 ] &&
	[ "$(ev --json --tenant acme | wc -l)" = 1500 ]; then
	tg_pass filter_tenant_matches_target
else
	tg_fail filter_tenant_matches_target "$(ev --json --tenant acme | wc -l) events for acme"
fi
if [ "$(ev --json --since 1h | wc -l)" = "$total" ] &&
	[ "$(ev --json --since 2200-01-01T00:00:00Z | wc -l)" = 0 ] &&
	[ "$(ev --json --since "$(date -u -d '-1 hour' +%Y-%m-%dT%H:%M:%S+00:00)" | wc -l)" = "$total" ]; then
	tg_pass since
else
	tg_fail since "--since 1h gave $(ev --json --since 1h | wc -l) of $total"
fi
ev --tenant globex >"$TG_T/human"
if head -n 1 "$TG_T/human" | grep -q '^SEQ  *TIME  *KIND  *VERDICT  *TENANT  *TARGET  *OP  *PID  *COMM  *DETAIL$' &&
	grep -q ' net  *deny  *globex  *-> acme  *connect .* tcp 127.0.0.1:'"$port"'$' "$TG_T/human" &&
	! grep -q "$(printf '\033')" "$TG_T/human"; then
	tg_pass human_columns_no_colour_off_terminal
else
	tg_fail human_columns_no_colour_off_terminal "$(sed -n 1,2p "$TG_T/human")"
fi

# expect_err NAME OUTPUT-PART ARGS...: exit 2 and a message naming the problem.
expect_err()
{
	name=$1 want=$2
	shift 2
	out=$(ev "$@" 2>&1)
	rc=$?
	if [ "$rc" = 2 ] && echo "$out" | grep -q -- "$want"; then
		tg_pass "$name"
	else
		tg_fail "$name" "exit $rc: $out"
	fi
}
expect_err bad_since "--since 'the day before': not a time" --since 'the day before'
expect_err bad_kind "--kind 'nett': not one of" --kind nett
expect_err unknown_flag "unknown option --bogus" --bogus
expect_err missing_value "option --tenant needs a value" --tenant
out=$("$TG_BIN/tenantguard" events --log "$TG_T/none.jsonl" 2>&1)
if [ $? = 1 ] && echo "$out" | grep -q "cannot open $TG_T/none.jsonl: No such file or directory (no log there: give the collector.s --log, or is the collector running?"; then
	tg_pass missing_log
else
	tg_fail missing_log "$out"
fi
tg_summary
