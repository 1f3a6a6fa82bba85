#!/bin/sh
# test_delivery: kill -9 the collector in the middle of a flood of denials
# and start it again. Every event the agent sent is in the log exactly once
# (agent_seq contiguous, no duplicates), seq strictly increases, and what
# happened equals what was stored plus what was counted as dropped; with the
# spool nothing is dropped at all.
. "$(dirname "$0")/../lib/tap.sh"
. "$(dirname "$0")/../lib/tenants.sh"
. "$(dirname "$0")/../lib/accounting.sh"
. "$(dirname "$0")/../lib/delivery.sh"

: "${TG_BIN:?}"
tg_env_setup || exit 1
tg_delivery_start 20 || exit 1

tg_loop_start
sleep 1
kill -KILL "$TG_COLLECTOR_PID"
wait "$TG_COLLECTOR_PID" 2>/dev/null
sleep 1
spooled=$(tg_stat spool_events)
tg_start_collector --rotate-keep 1000 || exit 1
sleep 1
tg_loop_stop
echo "    $res; $spooled events in the spool while the collector was down"
if [ "${spooled:-0}" -gt 0 ]; then
	tg_pass spooled_while_collector_down
else
	tg_fail spooled_while_collector_down "spool empty while the collector was down"
fi
tg_check_identity kill9 "$eperm" "$TG_LOG"
tg_nothing_dropped

# The agent restarts while the collector is down: what it could not deliver
# waits in its spool, and the next run delivers it first, under the first
# run's stream, then its own events.
before=$(tg_count_all kind=net tenant=globex verdict=deny)
kill -TERM "$TG_COLLECTOR_PID"
wait "$TG_COLLECTOR_PID" 2>/dev/null
"$TG_BIN/tg-try" --cgroup "$TG_TDIR/globex" connect-count tcp 127.0.0.1 $port 3000 \
	>"$TG_T/phase1"
sleep 0.5
tg_stop_agent
if ls "$TG_T/spool/"*.seg >/dev/null 2>&1; then
	tg_pass spool_kept_at_agent_stop
else
	tg_fail spool_kept_at_agent_stop "no spool segment after the agent stopped"
fi
tg_start_agent --ringbuf-size 16777216 || exit 1
if grep -q "spool .*event(s) of earlier runs to deliver" "$TG_T/agent.err"; then
	tg_pass restarted_agent_finds_spool
else
	tg_fail restarted_agent_finds_spool "$(grep spool "$TG_T/agent.err")"
fi
"$TG_BIN/tg-try" --cgroup "$TG_TDIR/globex" connect-count tcp 127.0.0.1 $port 1000 \
	>"$TG_T/phase2"
tg_start_collector --rotate-keep 1000 || exit 1
eperm2=$(tg_eperm "$TG_T/phase1" "$TG_T/phase2")
tg_check_identity restart $((eperm + eperm2)) "$TG_LOG"
stored=$(($(tg_count_all kind=net tenant=globex verdict=deny) - before))
if [ "$stored" = "$eperm2" ] && ! grep -q '"op":"drop"' "$TG_LOG"; then
	tg_pass restart_nothing_lost
else
	tg_fail restart_nothing_lost "$stored of $eperm2 stored across the restart"
fi
tg_summary
