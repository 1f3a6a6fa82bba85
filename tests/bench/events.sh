#!/bin/sh
# Event delivery benchmark: one and two processes of a tenant flood denied
# connects for a few seconds; every denial becomes an event that goes from
# the kernel through the agent to the collector's fsynced log. Prints, per
# run: denials performed, events persisted, events counted as dropped,
# events/s from the start of the flood until the last event is durable,
# and the ratios (persisted + counted) / denials (must be exactly 1) and
# persisted / denials (goal >= 0.9). The policy turns the event rate limit
# off (events: {rate: unlimited}); the ring buffer has its default size.
# Asserts nothing.
set -eu
out=$(cd "${1:-build}" && pwd)
here=$(cd "$(dirname "$0")/../.." && pwd)
export TG_BIN=$out
. "$here/tests/lib/tap.sh"
. "$here/tests/lib/tenants.sh"
. "$here/tests/lib/accounting.sh"
. "$here/tests/lib/delivery.sh"
SECONDS_=${TG_BENCH_SECONDS:-5}
tg_env_setup
TG_POLICY=$TG_T/policy.yaml
mkdir -p "$TG_T/policy.d"
printf 'version: 1\ntenants_cgroup: %s\nevents: {rate: unlimited}\n' \
	"$TG_TENANTS" >"$TG_POLICY"
tg_start_collector --rotate-size 0
tg_start_agent
port=$((TG_PORT_BASE + 24))
"$out/tg-try" --cgroup "$TG_TDIR/acme" listen tcp 127.0.0.1 $port "$TG_T/ready" &
tg_track $!
tg_wait_file "$TG_T/ready"
"$out/tg-try" wait-event "$TG_LOG" kind=agent op=start >/dev/null
now_ns() { date +%s%N; }
stored() { "$out/tg-try" count-events "$TG_LOG" kind=net tenant=globex verdict=deny; }

echo "event delivery: denied connects for ${SECONDS_}s, kernel -> agent -> collector (fsynced log)"
for procs in 1 2; do
	before=$(stored)
	dropped0=$(tg_dropped)
	rm -f "$TG_T/stop"
	t0=$(now_ns)
	i=0 pids=""
	while [ $i -lt $procs ]; do
		"$out/tg-try" --cgroup "$TG_TDIR/globex" connect-loop tcp 127.0.0.1 $port \
			"$TG_T/stop" >"$TG_T/loop.$i" &
		pids="$pids $!"
		tg_track $!
		i=$((i + 1))
	done
	sleep "$SECONDS_"
	touch "$TG_T/stop"
	for p in $pids; do tg_wait "$p"; done
	t_flood=$(now_ns)
	until [ "$(tg_stat queued)" = 0 ] && [ "$(tg_stat spool_events)" = 0 ]; do
		sleep 0.02
	done
	t1=$(now_ns)
	denials=$(cat "$TG_T"/loop.* | sed 's/.*eperm=\([0-9]*\).*/\1/' | awk '{ s += $1 } END { print s }')
	persisted=$(($(stored) - before))
	counted=$(($(tg_dropped) - dropped0))
	echo "$procs $denials $persisted $counted $t0 $t_flood $t1" | awk '{
		flood = ($6 - $5) / 1e9; total = ($7 - $5) / 1e9
		printf "  %d flooding process(es): %d denials (%.0f/s), %d persisted, %d counted as dropped\n",
			$1, $2, $2 / flood, $3, $4
		printf "    events/s to the durable log: %.0f (last event durable %.2fs after the flood ended)\n",
			$3 / total, total - flood
		printf "    (persisted + counted) / denials = %.6f   persisted / denials = %.4f (goal >= 0.9)\n",
			($3 + $4) / $2, $3 / $2 }'
	rm -f "$TG_T"/loop.*
done
echo "  drops by reason: $(tg_cli status --json | tr -d ' \n' | sed -n 's/.*"dropped":{\([^}]*\)}.*/\1/p')"
