#!/bin/sh
# Network benchmark: the allowed path (a tenant talking to itself over
# loopback) with and without the agent, as ratios measured in one run:
#   TCP: connect + accept + close, one iteration per connection;
#   UDP: sendto (the receiver drained every 32 datagrams).
# The agent holds 10,000 reserved port ranges and 1,000 networks, for 10,
# 1,000 and 10,000 tenants (each tenant's cgroup exists). Runs with and
# without the agent alternate; each figure is the median of the rounds.
# Prints figures, asserts nothing. Needs root.
out=$(cd "${1:-build}" && pwd)
here=$(cd "$(dirname "$0")/.." && pwd)
TG_BIN=$out
. "$here/lib/tap.sh"
. "$here/lib/tenants.sh"

ROUNDS=${NET_BENCH_ROUNDS:-5}
TCP_N=${NET_BENCH_TCP:-5000}
UDP_N=${NET_BENCH_UDP:-50000}
TENANTS=${NET_BENCH_TENANTS:-10 1000 10000}
RANGES=10000
NETWORKS=1000

if [ "$(id -u)" != 0 ]; then
	echo "net bench: SKIP (needs root)"
	exit 0
fi
tg_env_setup || exit 1
tg_start_collector || exit 1

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

median()
{
	sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'
}

# IDs of the tenantguard programs loaded now.
tg_progs()
{
	bpftool prog show 2>/dev/null | awk '$4 ~ /^tg_/ { sub(":", "", $1); print $1 }' | sort
}

# Nanoseconds the programs $PROGS have run so far (kernel.bpf_stats_enabled).
prog_ns()
{
	t=0
	for id in $PROGS; do
		v=$(bpftool prog show id "$id" 2>/dev/null |
			sed -n 's/.*run_time_ns \([0-9]*\).*/\1/p')
		t=$((t + ${v:-0}))
	done
	echo $t
}

# run FILE: one TCP and one UDP figure from tenant t1, appended to
# FILE.tcp/.udp; with PROGS set, the programs' own time per iteration to
# FILE.tcpbpf/.udpbpf.
run()
{
	[ -n "${PROGS:-}" ] && t0=$(prog_ns)
	"$TG_BIN/tg-probe" --cgroup "$TG_TDIR/t1" tcp-loop $TCP_N >>"$1.tcp"
	[ -n "${PROGS:-}" ] && t1=$(prog_ns)
	"$TG_BIN/tg-probe" --cgroup "$TG_TDIR/t1" udp-loop $UDP_N >>"$1.udp"
	[ -n "${PROGS:-}" ] || return 0
	t2=$(prog_ns)
	echo $(((t1 - t0) / TCP_N)) >>"$1.tcpbpf"
	echo $(((t2 - t1) / UDP_N)) >>"$1.udpbpf"
}

# The programs' run time is counted only while bpf_stats_enabled is 1.
stats_before=$(cat /proc/sys/kernel/bpf_stats_enabled 2>/dev/null)
tg_on_cleanup "[ -n '$stats_before' ] && echo '$stats_before' >/proc/sys/kernel/bpf_stats_enabled"
echo 1 >/proc/sys/kernel/bpf_stats_enabled 2>/dev/null

TG_POLICY=$TG_T/policy.yaml
mkdir -p "$TG_T/policy.d"
made=0
for count in $TENANTS; do
	while [ $made -lt "$count" ]; do
		made=$((made + 1))
		mkdir "$TG_TDIR/t$made"
	done
	make_policy "$count"
	rm -f "$TG_T/base".* "$TG_T/agent".*
	r=0
	while [ $r -lt "$ROUNDS" ]; do
		r=$((r + 1))
		PROGS=
		run "$TG_T/base"
		tg_progs >"$TG_T/progs.before"
		# Attached to the tenants' cgroup, not the root: the programs'
		# run time then counts only this benchmark's calls.
		tg_start_agent --attach-cgroup "$TG_TDIR" ||
			{ echo "net bench: agent did not start"; exit 1; }
		PROGS=$(tg_progs | comm -13 "$TG_T/progs.before" -)
		run "$TG_T/agent"
		tg_stop_agent
	done
	bt=$(median <"$TG_T/base.tcp") at=$(median <"$TG_T/agent.tcp")
	bu=$(median <"$TG_T/base.udp") au=$(median <"$TG_T/agent.udp")
	pt=$(median <"$TG_T/agent.tcpbpf" 2>/dev/null) pu=$(median <"$TG_T/agent.udpbpf" 2>/dev/null)
	awk -v n="$count" -v r=$RANGES -v w=$NETWORKS -v bt="$bt" -v at="$at" -v bu="$bu" \
		-v au="$au" -v pt="${pt:-0}" -v pu="${pu:-0}" 'BEGIN {
		printf "net: %5d tenants, %d port ranges, %d networks:\n", n, r, w
		printf "net:   TCP connect+accept+close %.0f ns, no agent %.0f ns: ratio %.3f; programs ran %d ns per connection (%.3f of no agent)\n",
			at, bt, at / bt, pt, (bt + pt) / bt
		printf "net:   UDP sendto %.0f ns, no agent %.0f ns: ratio %.3f; programs ran %d ns per datagram (%.3f of no agent)\n",
			au, bu, au / bu, pu, (bu + pu) / bu }'
done
echo "net: goals: TCP ratio <= 1.03, UDP ratio <= 1.05, flat across tenant counts; medians of $ROUNDS alternating rounds ($TCP_N connections, $UDP_N datagrams each)"
