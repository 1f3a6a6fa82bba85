#!/bin/sh
# Persistence benchmark (prints figures, asserts nothing):
# - agent start to enforcing, from scratch (nothing pinned) and adopting a
#   pinned set after SIGTERM, at 1,000 and 10,000 tenants (zero-config
#   tenants, each an existing cgroup), as milliseconds and their ratio;
# - the enforcement gap: a tenant's connects to another tenant's port,
#   PERSIST_ATTEMPTS (100,000) of them, while the agent is killed with
#   SIGKILL and restarted, stopped and started, and upgraded to the variant
#   build, in a loop: cross-tenant successes out of the attempts (goal 0).
set -eu
out=$(cd "${1:-build}" && pwd)
here=$(cd "$(dirname "$0")/../.." && pwd)
export TG_BIN=$out
. "$here/tests/lib/tap.sh"
. "$here/tests/lib/tenants.sh"
. "$here/tests/lib/net.sh"
ATTEMPTS=${PERSIST_ATTEMPTS:-100000}
TENANTS=${PERSIST_TENANTS:-1000 10000}
tg_net_setup
tg_start_collector

ms_now() { echo $(($(date +%s%N) / 1000000)); }

# start_ms: ms from exec to "enforcing for" on stderr, into $ms (not in
# a command substitution: the agent would hold its pipe open).
start_ms()
{
	t0=$(ms_now)
	tg_start_agent --spool-size 0
	ms=$(($(ms_now) - t0))
}

# (count, not n: the test library's loops use n)
for count in $TENANTS; do
	i=0
	while [ $i -lt $count ]; do
		mkdir -p "$TG_TDIR/t$i"
		i=$((i + 1))
	done
	start_ms
	scratch=$ms
	tg_stop_agent
	start_ms
	adopted=$ms
	tg_stop_agent
	tg_detach_pins
	echo "persist bench: $count tenants: start to enforcing from scratch $scratch ms, adopting the pinned set $adopted ms (ratio $(echo "$adopted $scratch" | awk '{ printf "%.2f", $1 / $2 }'))"
	for d in "$TG_TDIR"/t*; do rmdir "$d"; done
done

# The gap drill.
port=$((base + 60))
tg_start_agent --spool-size 0
"$P" --cgroup "$A" listen tcp 127.0.0.1 $port "$TG_T/ready" &
tg_track $!
tg_wait_file "$TG_T/ready"
# 100 us apart: the drill's restarts fall among the attempts.
"$P" --cgroup "$G" connect-count tcp 127.0.0.1 $port $ATTEMPTS 100 >"$TG_T/count" &
loop=$!
kills=0 stops=0 upgrades=0
mkdir -p "$TG_T/variant"
ln -sf "$TG_BIN/tenantguard-agent-variant" "$TG_T/variant/tenantguard-agent"
while kill -0 $loop 2>/dev/null; do
	kill -KILL "$TG_AGENT_PID"
	tg_wait "$TG_AGENT_PID" 2>/dev/null || true
	tg_start_agent --spool-size 0
	kills=$((kills + 1))
	tg_stop_agent || true
	TG_BIN=$TG_T/variant tg_start_agent --spool-size 0
	stops=$((stops + 1)) upgrades=$((upgrades + 1))
	kill -KILL "$TG_AGENT_PID"
	tg_wait "$TG_AGENT_PID" 2>/dev/null || true
	tg_start_agent --spool-size 0
	kills=$((kills + 1))
done
wait $loop || true
echo "persist bench: enforcement gap: $(cat "$TG_T/count") cross-tenant connects during $kills kill -9 and restart, $stops stop and start, $upgrades upgrade(s) and back"
tg_stop_agent || true
set +e # the cleanup's waits return the status of what it stopped
