#!/bin/sh
# Fuzz lane: run each fuzzer for a bounded time from its seed corpus: the
# policy parser (tests/policy, policy/examples) and the grant document
# parsers (tests/fuzz/grant); any crash, leak, sanitizer report or
# accepted document that is not canonical fails the lane.
out=${1:-build}
secs=${2:-60}
here=$(cd "$(dirname "$0")/../.." && pwd)
pass=0
fail=0

# fuzz NAME SEED...: run $out/NAME for $secs seconds from copies of the seeds.
fuzz()
{
	name=$1
	shift
	work=$out/fuzz-corpus/$name
	log=$out/$name.log
	mkdir -p "$work"
	cp "$@" "$work/" 2>/dev/null
	if "$out/$name" -max_total_time="$secs" -max_len=65536 -rss_limit_mb=1024 \
		-timeout=10 -print_final_stats=1 -artifact_prefix="$out/" "$work" \
		>"$log" 2>&1; then
		runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
		echo "PASS $name: $runs inputs in ${secs}s, no crash"
		pass=$((pass + 1))
	else
		echo "FAIL $name: see $log"
		grep -E 'ERROR|SUMMARY|crash-|leak-|timeout-' "$log" | head -n 20 | sed 's/^/    /'
		fail=$((fail + 1))
	fi
}

fuzz fuzz_policy "$here"/tests/policy/valid/*.yaml "$here"/tests/policy/invalid/*.yaml \
	"$here"/policy/examples/*.yaml
fuzz fuzz_grant "$here"/tests/fuzz/grant/*.json
echo "fuzz: $pass passed, $fail failed"
[ "$fail" = 0 ]
