#!/bin/sh
# test_delivery_stop: the collector stopped (SIGSTOP) for a full minute while
# a tenant floods denials, then continued. The agent keeps enforcing, holds
# everything (memory, then its spool), reports the lag in status and in the
# metrics file, and delivers every event exactly once afterwards.
. "$(dirname "$0")/../lib/tap.sh"
. "$(dirname "$0")/../lib/tenants.sh"
. "$(dirname "$0")/../lib/accounting.sh"
. "$(dirname "$0")/../lib/delivery.sh"

: "${TG_BIN:?}"
STOP_SECONDS=${TG_STOP_SECONDS:-60}
tg_env_setup || exit 1
tg_delivery_start 23 --metrics-file "$TG_T/tenantguard.prom" || exit 1
stopped=0
tg_on_cleanup '[ "$stopped" = 1 ] && kill -CONT "$TG_COLLECTOR_PID"'

# A flood at full speed, then a denial every 100 ms for the rest of the stop.
"$TG_BIN/tg-try" --cgroup "$TG_TDIR/globex" connect-count tcp 127.0.0.1 $port 150000 \
	>"$TG_T/flood1" &
flood=$!
tg_track $flood
sleep 0.3
kill -STOP "$TG_COLLECTOR_PID"
stopped=1
start=$(date +%s)
tg_wait $flood
"$TG_BIN/tg-try" --cgroup "$TG_TDIR/globex" connect-count tcp 127.0.0.1 $port \
	$(((STOP_SECONDS - 10) * 10)) 100000 >"$TG_T/flood2"
tg_probe denied_while_stopped --cgroup "$TG_TDIR/globex" --expect EPERM connect tcp 127.0.0.1 $port
while [ $(($(date +%s) - start)) -lt "$STOP_SECONDS" ]; do
	sleep 1
done
spool=$(tg_stat spool_events)
lag=$(tg_stat collector_lag_seconds)
sleep 5.5 # a metrics file written while stopped
prom_spool=$(sed -n 's/^tenantguard_spool_events \([0-9]*\)$/\1/p' "$TG_T/tenantguard.prom")
kill -CONT "$TG_COLLECTOR_PID"
stopped=0
echo "    after ${STOP_SECONDS}s stopped: $spool events in the spool, oldest ${lag}s old"
if [ "${spool:-0}" -gt 0 ] && [ "${prom_spool:-0}" -gt 0 ]; then
	tg_pass spooled_while_stopped
else
	tg_fail spooled_while_stopped "spool $spool, metrics file says ${prom_spool:-nothing}"
fi
if [ "${lag%.*}" -ge $((STOP_SECONDS - 5)) ]; then
	tg_pass lag_reported
else
	tg_fail lag_reported "collector_lag_seconds $lag after ${STOP_SECONDS}s"
fi
eperm=$(($(tg_eperm "$TG_T/flood1" "$TG_T/flood2") + 1))
tg_check_identity stopped "$eperm" "$TG_LOG"
tg_nothing_dropped
sleep 5.5
counted=$(sed -n 's/^tenantguard_events_total{kind="net",verdict="deny",tenant="globex"} \([0-9]*\)$/\1/p' \
	"$TG_T/tenantguard.prom")
# Events the agent produced: all but those lost in the kernel ring buffer.
if [ "$counted" = $((eperm - $(tg_stat kernel_drops))) ] && grep -q '^tenantguard_collector_lag_seconds 0.000000$' "$TG_T/tenantguard.prom"; then
	tg_pass metrics_file_counts
else
	tg_fail metrics_file_counts "events_total for globex denials: ${counted:-none}, want $eperm"
fi
tg_summary
