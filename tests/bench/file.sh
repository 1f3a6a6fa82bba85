#!/bin/sh
# File isolation benchmark, run inside the VM guest (vm-tests/run.sh --bench,
# make bench-vm): open+close of a file at depth 4 and depth 16 below a
# tenant's root, by a process of that tenant, with 10, 1,000 and 10,000
# tenants in the policy, as a ratio to the same loop with no agent; and the
# same loop under an equivalent Landlock ruleset (the kernel-native peer).
# Each figure is the best of ROUNDS runs of N iterations, all in one run;
# each configuration is compared with the better of the baselines measured
# just before and just after it.
# Prints figures; asserts nothing.
set -eu
: "${TG_BIN:?}"
here=$(cd "$(dirname "$0")/.." && pwd)
. "$here/lib/tap.sh"
. "$here/lib/tenants.sh"
N=${TG_BENCH_N:-1000}
ROUNDS=${TG_BENCH_ROUNDS:-40}
tg_env_setup
TG_POLICY=$TG_T/policy.yaml
mkdir -p "$TG_T/policy.d"
R=$TG_SRV/t0
d4=$R/a/b/c
d16=$R/a/b/c/d/e/f/g/h/i/j/k/l/m/n/o
mkdir -p "$d4" "$d16" "$TG_TDIR/t0"
echo x >"$d4/f"
echo x >"$d16/f"

# best LOOP_ARGS...: the lowest ns per open+close of ROUNDS runs, as t0.
best()
{
	b=""
	r=0
	while [ $r -lt "$ROUNDS" ]; do
		v=$("$TG_BIN/tg-try" --cgroup "$TG_TDIR/t0" "$@" "$N")
		case $v in *[!0-9]*|"") echo "file bench: $*: $v" >&2; return 1 ;; esac
		if [ -z "$b" ] || [ "$v" -lt "$b" ]; then b=$v; fi
		r=$((r + 1))
	done
	echo "$b"
}

gen_policy() # N
{
	awk -v n="$1" -v root="$TG_SRV" -v tc="$TG_TENANTS" 'BEGIN {
		print "version: 1"; print "tenants_cgroup: " tc; print "tenants:"
		for (i = 0; i < n; i++)
			printf "  t%d: {paths: [%s/t%d]}\n", i, root, i
	}'
}

setup_tenants() # N
{
	i=0
	while [ $i -lt "$1" ]; do
		mkdir -p "$TG_TDIR/t$i" "$TG_SRV/t$i"
		i=$((i + 1))
	done
}

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }

min() { if [ "$1" -lt "$2" ]; then echo "$1"; else echo "$2"; fi; }

# Each configuration is measured between two baselines (no agent) and
# compared with the better one: the machine's drift stays out of the ratio.
# after LABEL V4 V16: measure the baseline again, print V4 and V16 as ratios.
after()
{
	n4=$(best open-loop "$d4/f")
	n16=$(best open-loop "$d16/f")
	echo "file bench: $1: depth 4 $2 ns ($(ratio "$2" "$(min "$b4" "$n4")")), depth 16 $3 ns ($(ratio "$3" "$(min "$b16" "$n16")"))"
	b4=$n4 b16=$n16
}

b4=$(best open-loop "$d4/f")
b16=$(best open-loop "$d16/f")
echo "file bench: no agent: depth 4 ${b4} ns, depth 16 ${b16} ns per open+close (best of $ROUNDS x $N)"
after "landlock (kernel-native peer)" "$(best landlock-open-loop "$R" "$d4/f")" \
	"$(best landlock-open-loop "$R" "$d16/f")"
tg_start_collector
for count in 10 1000 10000; do
	setup_tenants $count
	gen_policy $count >"$TG_POLICY"
	tg_start_agent --require-file-isolation
	a4=$(best open-loop "$d4/f")
	a16=$(best open-loop "$d16/f")
	tg_stop_agent || true
	after "agent, $count tenants" "$a4" "$a16"
done
