#!/bin/sh
# test_delivery: kill -9 the collector in the middle of a flood of denials
# and start it again. Every event the agent sent is in the log exactly once
# (agent_seq contiguous, no duplicates), seq strictly increases, and what
# happened equals what was stored plus what was counted as dropped.
. "$(dirname "$0")/../lib/tap.sh"
. "$(dirname "$0")/../lib/tenants.sh"

: "${TG_BIN:?}"
tg_env_setup || exit 1
tg_start_collector || exit 1
tg_start_agent || exit 1
port=$((20000 + $$ % 20000 + 20))
"$TG_BIN/tg-probe" --cgroup "$TG_TDIR/acme" listen tcp 127.0.0.1 $port "$TG_T/ready" &
tg_track $!
tg_wait_file "$TG_T/ready"

stat_field() { tg_cli status --json | sed -n "s/^ *\"$1\": *\([0-9a-z]*\).*/\1/p" | head -n 1; }

"$TG_BIN/tg-probe" --cgroup "$TG_TDIR/globex" connect-loop tcp 127.0.0.1 $port \
	"$TG_T/stop" >"$TG_T/loop" &
loop=$!
sleep 1
kill -KILL "$TG_COLLECTOR_PID"
wait "$TG_COLLECTOR_PID" 2>/dev/null
sleep 0.5
tg_start_collector || exit 1
sleep 1
touch "$TG_T/stop"
wait $loop
read -r res <"$TG_T/loop"
eperm=$(echo "$res" | sed 's/.*eperm=\([0-9]*\).*/\1/')
# Let the agent drain its queue into the collector.
n=0
while [ "$(stat_field queued)" != 0 ] && [ $n -lt 300 ]; do
	sleep 0.1
	n=$((n + 1))
done
stored=$(tg_count kind=net tenant=globex verdict=deny)
qdrop=$(stat_field dropped_queue_full)
kdrop=$(stat_field kernel_drops)
sleep 1.2	# the rate limit's last summary (read once a second)
ksup=$(stat_field kernel_suppressed)
echo "    $res; stored $stored, suppressed $ksup, dropped: queue $qdrop, kernel $kdrop"

if [ "$eperm" -gt 0 ] && [ $((stored + ksup + qdrop + kdrop)) = "$eperm" ]; then
	tg_pass stored_plus_dropped_equals_denials
else
	tg_fail stored_plus_dropped_equals_denials "$eperm denials, $stored stored, $ksup suppressed, $qdrop + $kdrop dropped"
fi
grep -o '"agent_seq":[0-9]*' "$TG_LOG" | cut -d: -f2 | sort -n >"$TG_T/aseq"
dups=$(uniq -d "$TG_T/aseq" | wc -l)
gaps=$(awk 'NR != $1 { bad++ } END { print bad + 0 }' "$TG_T/aseq")
if [ "$dups" = 0 ] && [ "$gaps" = 0 ] && [ -s "$TG_T/aseq" ]; then
	tg_pass every_event_exactly_once
else
	tg_fail every_event_exactly_once "$dups duplicated, $gaps out of place of $(wc -l <"$TG_T/aseq")"
fi
if grep -o '^{"seq":[0-9]*' "$TG_LOG" | cut -d: -f2 |
	awk 'NR > 1 && $1 <= prev { bad = 1 } { prev = $1 } END { exit bad }'; then
	tg_pass seq_strictly_increasing
else
	tg_fail seq_strictly_increasing "seq went backwards or repeated"
fi
# The drops are in the log too, as agent events.
sleep 1.5
logged=$(grep '"kind":"agent"' "$TG_LOG" | grep '"op":"drop"' |
	grep -o '"dropped":[0-9]*' | cut -d: -f2 | awk '{ s += $1 } END { print s + 0 }')
if [ "$logged" = $((qdrop + kdrop)) ]; then
	tg_pass drops_reported_in_log
else
	tg_fail drops_reported_in_log "log reports $logged dropped, agent counted $((qdrop + kdrop))"
fi
if [ "$qdrop" = 0 ] && [ "$kdrop" = 0 ]; then
	tg_pass nothing_dropped
else
	tg_skip nothing_dropped "flood exceeded a buffer: $qdrop queue, $kdrop kernel (counted)"
fi
tg_summary
