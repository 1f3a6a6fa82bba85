#!/bin/sh
# Ring buffer capacity benchmark: how many events the kernel's ring buffer
# holds while the agent reads none. The agent is stopped (SIGSTOP); a
# tenant makes N denied connects (each one event, the rate limit off);
# the agent is let go and drains. Prints the ring buffer's size, the
# events it held (persisted) and those it refused (counted as dropped),
# and the bytes per record that implies (size / held). Asserts nothing.
set -eu
out=$(cd "${1:-build}" && pwd)
here=$(cd "$(dirname "$0")/../.." && pwd)
export TG_BIN=$out
. "$here/tests/lib/tap.sh"
. "$here/tests/lib/tenants.sh"
. "$here/tests/lib/accounting.sh"
. "$here/tests/lib/delivery.sh"
N=${TG_BENCH_RINGBUF_EVENTS:-30000}
tg_env_setup
TG_POLICY=$TG_T/policy.yaml
mkdir -p "$TG_T/policy.d"
printf 'version: 1\ntenants_cgroup: %s\nevents: {rate: unlimited}\n' \
	"$TG_TENANTS" >"$TG_POLICY"
tg_start_collector --rotate-size 0
size=$((1 << 20))
tg_start_agent --ringbuf-size "$size"
port=$((TG_PORT_BASE + 25))
"$out/tg-try" --cgroup "$TG_TDIR/acme" listen tcp 127.0.0.1 $port "$TG_T/ready" &
tg_track $!
tg_wait_file "$TG_T/ready"
"$out/tg-try" wait-event "$TG_LOG" kind=agent op=start >/dev/null
tg_drain 60
stored() { "$out/tg-try" count-events "$TG_LOG" kind=net tenant=globex verdict=deny; }
before=$(stored)
dropped0=$(tg_dropped)
kill -STOP "$TG_AGENT_PID"
"$out/tg-try" --cgroup "$TG_TDIR/globex" connect-repeat tcp 127.0.0.1 $port "$N" 0 >"$TG_T/rep"
kill -CONT "$TG_AGENT_PID"
tg_drain 120
held=$(($(stored) - before))
counted=$(($(tg_dropped) - dropped0))
echo "ring buffer capacity: ${N} denied connects while the agent read nothing"
echo "  $(cat "$TG_T/rep")"
echo "$size $held $counted" | awk '{
	printf "  ring buffer %s bytes: %d events held, %d counted as dropped; %.1f bytes per record\n",
		$1, $2, $3, ($2 ? $1 / $2 : 0) }'
