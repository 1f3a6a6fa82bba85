#!/bin/sh
# test_delivery_disk: the collector's log on a small tmpfs that fills up in
# the middle of a flood. The agent keeps enforcing (EPERM, no event lost),
# status and the collector report the condition, delivery resumes once
# space is freed, every event is stored once, and an agent event in the log
# says when the log could not be written.
. "$(dirname "$0")/../lib/tap.sh"
. "$(dirname "$0")/../lib/tenants.sh"
. "$(dirname "$0")/../lib/accounting.sh"
. "$(dirname "$0")/../lib/delivery.sh"

: "${TG_BIN:?}"
tg_env_setup || exit 1
mkdir -p "$TG_T/logfs"
# 16 MiB: room for the 25,001 events once space is back (about 360 bytes
# each with their chain value).
if ! mount -t tmpfs -o size=16m,mode=0755 tenantguard-test "$TG_T/logfs"; then
	tg_skip disk_full "cannot mount a tmpfs"
	tg_summary
	exit 0
fi
tg_on_cleanup "umount -l '$TG_T/logfs'"
TG_LOG=$TG_T/logfs/log/events.jsonl
tg_delivery_start 22 || exit 1
"$TG_BIN/tg-try" wait-event "$TG_LOG" kind=agent op=start >/dev/null
# Leave about 256 KiB free: a few hundred events.
dd if=/dev/zero of="$TG_T/logfs/filler" bs=64k count=$((16 * 16 - 4)) 2>/dev/null

"$TG_BIN/tg-try" --cgroup "$TG_TDIR/globex" connect-count tcp 127.0.0.1 $port 20000 \
	>"$TG_T/flood1"
n=0
until [ "$(tg_stat collector_stalled)" = true ] || [ $n -gt 100 ]; do
	sleep 0.1
	n=$((n + 1))
done
if [ "$(tg_stat collector_stalled)" = true ] &&
	tg_cli status | grep -q "COLLECTOR:   cannot write its log since .*No space left on device"; then
	tg_pass status_reports_log_full
else
	tg_fail status_reports_log_full "status: $(tg_cli status | grep -i collector)"
fi
if grep -q "cannot write .*No space left on device" "$TG_T/collector.err"; then
	tg_pass collector_reports_log_full
else
	tg_fail collector_reports_log_full "collector stderr: $(tail -n 2 "$TG_T/collector.err")"
fi
# Still enforcing, still counting: a denial and an allowed connect.
tg_probe still_denied --cgroup "$TG_TDIR/globex" --expect EPERM connect tcp 127.0.0.1 $port
tg_probe still_allowed --cgroup "$TG_TDIR/acme" --expect ok connect tcp 127.0.0.1 $port
"$TG_BIN/tg-try" --cgroup "$TG_TDIR/globex" connect-count tcp 127.0.0.1 $port 5000 \
	>"$TG_T/flood2"
sleep 2
if kill -0 "$TG_COLLECTOR_PID" 2>/dev/null; then
	tg_pass collector_stays_up
else
	tg_fail collector_stays_up "the collector exited: $(tail -n 2 "$TG_T/collector.err")"
fi
held=$(($(tg_stat queued) + $(tg_stat spool_events)))
if [ "$held" -gt 0 ]; then
	tg_pass agent_holds_events
else
	tg_fail agent_holds_events "nothing held by the agent while the log is full"
fi
echo "    log full: $held events held by the agent, $(wc -l <"$TG_LOG") lines in the log"

# Space again.
rm -f "$TG_T/logfs/filler"
tg_drain 60
if [ "$(tg_stat collector_stalled)" = false ]; then
	tg_pass stall_over_in_status
else
	tg_fail stall_over_in_status "status still says stalled"
fi
tg_event stall_reported_in_log kind=agent op=log_stalled error="cannot write the log: No space left on device"
eperm=$(($(tg_eperm "$TG_T/flood1" "$TG_T/flood2") + 1))
tg_check_identity diskfull "$eperm" "$TG_LOG"
tg_nothing_dropped
tg_summary
