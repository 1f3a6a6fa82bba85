#!/bin/sh
# Network benchmark: the allowed path (a tenant talking to itself over
# loopback) against the same loop where no program of the agent runs:
#   TCP: socket + connect + accept + close, one iteration per connection;
#   UDP: sendto (the receiver drained every 32 datagrams).
# The agent holds 10,000 reserved port ranges and 1,000 networks, for 10,
# 1,000 and 10,000 tenants (each tenant's cgroup exists).
#
# The machine may be shared and loaded, so the two sides are interleaved
# finely: one process runs PAIRS pairs of short runs, one in tenant t1 and
# one in a cgroup outside the agent's (at the same depth), alternately
# first, each on sockets made in its own cgroup; the ratio is the median of
# the pairs' ratios, over all rounds. Each round restarts the agent, and
# also runs the same pairs with the agent stopped: that control ratio shows
# what the two cgroups differ by without any program (ideally 1.000).
# Then, with kernel.bpf_stats_enabled (set for that pass only: it costs
# time of its own), the agent's programs' run time per iteration, each
# program apart: medians over the rounds. Prints figures, asserts nothing.
# Needs root.
out=$(cd "${1:-build}" && pwd)
here=$(cd "$(dirname "$0")/.." && pwd)
TG_BIN=$out
. "$here/lib/tap.sh"
. "$here/lib/tenants.sh"
. "$here/lib/bench.sh"

ROUNDS=${NET_BENCH_ROUNDS:-3}
PAIRS=${NET_BENCH_PAIRS:-60}
TCP_N=${NET_BENCH_TCP:-250}		# connections per run of a pair
UDP_N=${NET_BENCH_UDP:-2500}		# datagrams per run of a pair
TCP_STATS=${NET_BENCH_TCP_STATS:-5000}	# connections of the timing pass
UDP_STATS=${NET_BENCH_UDP_STATS:-50000}	# datagrams of the timing pass
TENANTS=${NET_BENCH_TENANTS:-10 1000 10000}
RANGES=10000
NETWORKS=1000

if [ "$(id -u)" != 0 ]; then
	echo "net bench: SKIP (needs root)"
	exit 0
fi
tg_env_setup || exit 1
tg_start_collector || exit 1

# The other side: a cgroup at the depth of the tenants', outside the one
# the agent's programs are attached to.
BASE=$TG_CGROOT/tg-bench-$$/base
mkdir -p "$BASE" || exit 1
tg_on_cleanup "rmdir '$BASE' '$TG_CGROOT/tg-bench-$$' 2>/dev/null"

# policy.yaml for $1 tenants t1..tN: RANGES ranges of 2 ports (TCP and UDP
# alternately, all below 32768 so the kernel keeps its automatic range)
# and NETWORKS /24 networks (half IPv4, half IPv6), dealt round robin.
make_policy()
{
	awk -v n="$1" -v ranges=$RANGES -v nets=$NETWORKS -v cg="$TG_TENANTS" 'BEGIN {
		for (r = 0; r < ranges; r++) {
			t = r % n
			proto = (r % 2) ? "udp" : "tcp"
			lo = 1024 + int(r / 2) * 3
			ports[t] = ports[t] (ports[t] == "" ? "" : ", ") "\"" proto ":" lo "-" lo + 1 "\""
		}
		for (i = 0; i < nets; i++) {
			t = i % n
			if (i % 2)
				net = sprintf("\"fd55:%x::/64\"", i)
			else
				net = sprintf("10.%d.%d.0/24", 100 + int(i / 256), i % 256)
			nw[t] = nw[t] (nw[t] == "" ? "" : ", ") net
		}
		print "version: 1"
		print "tenants_cgroup: " cg
		print "tenants:"
		for (t = 0; t < n; t++) {
			printf "  t%d: {ports: [%s], networks: [%s]}\n", t + 1, ports[t], nw[t]
		}
	}' >"$TG_T/policy.yaml"
}

# timed KIND N FILE: a KIND-loop of N iterations in t1, the run time of
# the agent's programs (PROGS) appended to FILE (tests/lib/bench.sh).
timed()
{
	# shellcheck disable=SC2086 # PROGS: one id each
	tg_bench_timed "$TG_TDIR/t1" "$1" "$2" "$3" $PROGS
}

# The programs' run time is counted only while bpf_stats_enabled is 1.
stats_before=$(cat /proc/sys/kernel/bpf_stats_enabled 2>/dev/null)
tg_on_cleanup "[ -n '$stats_before' ] && echo '$stats_before' >/proc/sys/kernel/bpf_stats_enabled"
echo 0 >/proc/sys/kernel/bpf_stats_enabled 2>/dev/null

# pairs FILE: one round's TCP and UDP pairs, appended to FILE.tcp, FILE.udp.
pairs()
{
	for k in tcp udp; do
		n=$TCP_N
		[ $k = udp ] && n=$UDP_N
		"$TG_BIN/tg-try" "$k-ab" $n "$PAIRS" "$TG_TDIR/t1" "$BASE" >>"$1.$k" ||
			{ echo "net bench: $k-ab failed"; exit 1; }
	done
}

# summary KIND WHAT UNIT: the line for KIND (tcp, udp) from the files.
summary()
{
	a=$(awk '{ print $1 }' "$TG_T/agent.$1" | median)
	b=$(awk '{ print $2 }' "$TG_T/agent.$1" | median)
	r=$(awk '{ print $1 / $2 }' "$TG_T/agent.$1" | median)
	c=$(awk '{ print $1 / $2 }' "$TG_T/none.$1" | median)
	progs=$(awk -v k="$1" '$1 == k { print $2 }' "$TG_T/timed" | sort -u |
		while read -r p; do
			ns=$(awk -v k="$1" -v p="$p" '$1 == k && $2 == p { print $3 }' "$TG_T/timed" | median)
			runs=$(awk -v k="$1" -v p="$p" '$1 == k && $2 == p { print $4 }' "$TG_T/timed" | median)
			echo "$p $ns $runs"
		done)
	total=$(echo "$progs" | awk '{ t += $2 } END { print t + 0 }')
	awk -v what="$2" -v unit="$3" -v a="$a" -v b="$b" -v r="$r" -v c="$c" -v t="$total" 'BEGIN {
		printf "net:   %s: %.0f ns in a tenant, %.0f ns outside: ratio %.3f (control, agent stopped: %.3f); programs ran %d ns per %s (%.3f of outside)\n",
			what, a, b, r, c, t, unit, (b + t) / b }'
	echo "$progs" | awk 'NF == 3 && $3 >= 0.01 { printf "net:     %-18s %6d ns per iteration (%.2f runs)\n", $1, $2, $3 }'
}

TG_POLICY=$TG_T/policy.yaml
mkdir -p "$TG_T/policy.d"
made=0
for count in $TENANTS; do
	while [ $made -lt "$count" ]; do
		made=$((made + 1))
		mkdir "$TG_TDIR/t$made"
	done
	make_policy "$count"
	rm -f "$TG_T/agent".* "$TG_T/none".* "$TG_T/timed"
	r=0
	while [ $r -lt "$ROUNDS" ]; do
		r=$((r + 1))
		prog_ids >"$TG_T/progs.before"
		# Attached to the tenants' cgroup, not the root: BASE is outside
		# it, and the programs' run time counts only this benchmark.
		tg_start_agent --attach-cgroup "$TG_TDIR" ||
			{ echo "net bench: agent did not start"; exit 1; }
		PROGS=$(prog_ids | comm -13 "$TG_T/progs.before" -)
		pairs "$TG_T/agent"
		echo 1 >/proc/sys/kernel/bpf_stats_enabled
		timed tcp "$TCP_STATS" "$TG_T/timed"
		timed udp "$UDP_STATS" "$TG_T/timed"
		echo 0 >/proc/sys/kernel/bpf_stats_enabled
		tg_stop_agent
		pairs "$TG_T/none"
	done
	printf 'net: %5d tenants, %d port ranges, %d networks (%d rounds of %d pairs):\n' \
		"$count" $RANGES $NETWORKS "$ROUNDS" "$PAIRS"
	summary tcp "TCP connect+accept+close" connection
	summary udp "UDP sendto" datagram
done
echo "net: goals: TCP ratio <= 1.03, UDP ratio <= 1.05, flat across tenant counts; run times include bpf_stats' own timing of each run"
