#!/bin/sh
# Rate limit benchmark: 1 and 2 processes, each in its own tenant, make
# denied TCP connects at full speed for 3 s, with rate limits off and on
# (1000/s, burst 5000). Prints denials per second and, as ratios to the
# denials made: events persisted in the collector's log, and persisted +
# suppressed + dropped (the accounting; 1 means nothing unaccounted). One
# run each; asserts nothing.
set -u
out=$(cd "${1:-build}" && pwd)
here=$(cd "$(dirname "$0")/../.." && pwd)
export TG_BIN=$out
. "$here/tests/lib/tap.sh"
. "$here/tests/lib/tenants.sh"
. "$here/tests/lib/accounting.sh"
tg_env_setup || exit 1
TG_POLICY=$TG_T/policy.yaml
mkdir -p "$TG_T/policy.d"
port=$((TG_PORT_BASE + 50))
SECONDS_EACH=${BENCH_SECONDS:-3}
tg_start_collector || exit 1

# case_run LIMIT N LABEL: N flooding tenants under events LIMIT.
case_run()
{
	nflood=$2
	label=$3
	printf 'version: 1\ntenants_cgroup: %s\nevents: %s\n' "$TG_TENANTS" "$1" >"$TG_POLICY"
	tag=${label}_$nflood
	i=0
	while [ $i -lt "$nflood" ]; do
		mkdir -p "$TG_TDIR/b${tag}_$i"
		i=$((i + 1))
	done
	rm -f "$TG_T/agent.err"	# or the last run's "enforcing" line counts
	tg_start_agent || exit 1
	rm -f "$TG_T/ready" "$TG_T/stop"
	"$TG_BIN/tg-try" --cgroup "$TG_TDIR/acme" listen tcp 127.0.0.1 $port "$TG_T/ready" &
	listener=$!
	tg_track $listener
	tg_wait_file "$TG_T/ready" || exit 1
	pids=""
	i=0
	while [ $i -lt "$nflood" ]; do
		"$TG_BIN/tg-try" --cgroup "$TG_TDIR/b${tag}_$i" connect-loop tcp 127.0.0.1 \
			$port "$TG_T/stop" >"$TG_T/loop.$i" &
		pids="$pids $!"
		tg_track $!
		i=$((i + 1))
	done
	sleep "$SECONDS_EACH"
	touch "$TG_T/stop"
	for p in $pids; do tg_wait "$p"; done
	t0=$(date +%s)
	tg_drain_stop
	echo "    drained in $(( $(date +%s) - t0 )) s; queue drops $TG_QDROP"
	kill "$listener" 2>/dev/null
	wait "$listener" 2>/dev/null
	denials=0 persisted=0 counted=0
	i=0
	while [ $i -lt "$nflood" ]; do
		t=b${tag}_$i
		denials=$((denials + $(sed 's/.*eperm=\([0-9]*\).*/\1/' "$TG_T/loop.$i")))
		persisted=$((persisted + $(tg_delivered "$t")))
		counted=$((counted + $(tg_suppressed "$t") + $(tg_dropped_of "$t")))
		i=$((i + 1))
	done
	counted=$((counted + TG_QDROP))
	echo "$label $nflood $denials $persisted $counted $SECONDS_EACH" | awk '{
		printf "ratelimit: limits %-3s %d flooder(s): %8.0f denials/s, persisted %.3f, persisted+suppressed+dropped %.6f (%d of %d)\n",
			$1, $2, $3 / $6, $4 / $3, ($4 + $5) / $3, $4 + $5, $3 }'
}

for flooders in 1 2; do
	case_run "{rate: unlimited}" "$flooders" off
	case_run "{rate: 1000, burst: 5000}" "$flooders" on
done
