#!/bin/sh
# Metrics benchmark: the agent's metrics file (series and bytes) with 10,000
# tenants (TG_BENCH_TENANTS), first idle, then after every tenant made three
# refused connections under an event rate limit of one event (burst 1): each
# tenant then has its series of tenantguard_events_total and of
# tenantguard_events_suppressed_total, the worst case of the label set
# {kind, verdict, tenant} for one kind and verdict. Prints figures; asserts
# nothing.
set -eu
out=$(cd "${1:-build}" && pwd)
here=$(cd "$(dirname "$0")/../.." && pwd)
export TG_BIN=$out
. "$here/tests/lib/tap.sh"
. "$here/tests/lib/tenants.sh"
N=${TG_BENCH_TENANTS:-10000}
tg_env_setup
i=0
while [ $i -lt "$N" ]; do
	mkdir -p "$TG_TDIR/t$i"
	i=$((i + 1))
done
TG_POLICY=$TG_T/policy.yaml
mkdir -p "$TG_T/policy.d"
printf 'version: 1\ntenants_cgroup: %s\nevents: {rate: 1, burst: 1}\n' \
	"$TG_TENANTS" >"$TG_POLICY"
PROM=$TG_T/agent.prom
tg_start_collector
tg_start_agent --metrics-file "$PROM"
port=$((TG_PORT_BASE + 44))
"$TG_BIN/tg-try" --cgroup "$TG_TDIR/acme" listen tcp 127.0.0.1 $port "$TG_T/ready" &
tg_track $!
tg_wait_file "$TG_T/ready"

# series BYTES of the metrics file now (its samples, and its size).
figures()
{
	echo "$(grep -vc '^#' "$PROM") series, $(wc -c <"$PROM") bytes," \
		"$(grep -c '^tenantguard_events_total{' "$PROM") of events_total," \
		"$(grep -c '^tenantguard_events_suppressed_total{' "$PROM") of events_suppressed_total"
}

sleep 6
echo "metrics bench: $N tenants idle: $(figures)"
start=$(date +%s)
i=0
while [ $i -lt "$N" ]; do
	echo "$TG_TDIR/t$i"
	i=$((i + 1))
done | xargs -P 4 -I{} "$TG_BIN/tg-try" --cgroup {} connect-count tcp 127.0.0.1 $port 3 >/dev/null
# Until every tenant's suppression is in the file (or a minute passes).
n=0
while [ "$(grep -c '^tenantguard_events_suppressed_total{' "$PROM")" -lt "$N" ] && [ $n -lt 60 ]; do
	sleep 1
	n=$((n + 1))
done
sleep 6
echo "metrics bench: $N tenants, each with a denial and suppressed events ($(($(date +%s) - start)) s): $(figures)"
t0=$(date +%s%N)
tg_cli status >/dev/null
echo "metrics bench: status with $N tenants $((($(date +%s%N) - t0) / 1000000)) ms"
