#!/bin/sh
# test_delivery_full: the collector is down and the agent's memory queue and
# spool (1 MiB) overflow: what does not fit is counted as dropped with the
# reason spool_full, reported in the log once the collector is back, and
# stored + dropped is every denial; enforcement never stops.
. "$(dirname "$0")/../lib/tap.sh"
. "$(dirname "$0")/../lib/tenants.sh"
. "$(dirname "$0")/../lib/accounting.sh"
. "$(dirname "$0")/../lib/delivery.sh"

: "${TG_BIN:?}"
tg_env_setup || exit 1
tg_delivery_start 28 --spool-size 1M || exit 1
kill -TERM "$TG_COLLECTOR_PID"
wait "$TG_COLLECTOR_PID" 2>/dev/null
# 65,536 fit in memory and some 3,000 in the spool.
"$TG_BIN/tg-try" --cgroup "$TG_TDIR/globex" connect-count tcp 127.0.0.1 $port 80000 \
	>"$TG_T/flood"
tg_probe still_denied --cgroup "$TG_TDIR/globex" --expect EPERM connect tcp 127.0.0.1 $port
spool_full=$(tg_cli status --json | tr -d ' \n' | sed -n 's/.*"spool_full":\([0-9]*\).*/\1/p')
echo "    $(cat "$TG_T/flood"); $spool_full dropped (spool full), spool $(tg_stat spool_bytes) bytes"
if [ "${spool_full:-0}" -gt 0 ] && [ "$(tg_stat spool_bytes)" -le 1048576 ]; then
	tg_pass spool_full_counted
else
	tg_fail spool_full_counted "spool_full ${spool_full:-none}, spool $(tg_stat spool_bytes) bytes"
fi
# Each status request is an event too, which the full spool drops: the
# text of the next request shows at least as many.
shown=$(tg_cli status | sed -n 's/^dropped: .*spool_full \([0-9]*\).*/\1/p')
if [ "${shown:-0}" -ge "${spool_full:-1}" ] && [ "${spool_full:-0}" -gt 0 ]; then
	tg_pass status_shows_drops
else
	tg_fail status_shows_drops "text ${shown:-none}, json ${spool_full:-none}"
fi
tg_start_collector --rotate-keep 1000 || exit 1
eperm=$(($(tg_eperm "$TG_T/flood") + 1))
tg_check_identity spoolfull "$eperm" "$TG_LOG"
if grep '"op":"drop"' "$TG_LOG" | grep -q '"reason":"spool_full"'; then
	tg_pass reason_in_log
else
	tg_fail reason_in_log "no drop event with reason spool_full"
fi
tg_summary
