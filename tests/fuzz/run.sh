#!/bin/sh
# Fuzz lane: run the policy parser fuzzer for a bounded time from the seed
# corpus (tests/policy); any crash, leak or sanitizer report fails the lane.
out=${1:-build}
secs=${2:-60}
here=$(cd "$(dirname "$0")/../.." && pwd)
work=$out/fuzz-corpus
mkdir -p "$work"
cp "$here"/tests/policy/valid/*.yaml "$here"/tests/policy/invalid/*.yaml \
	"$here"/policy/examples/*.yaml "$work/" 2>/dev/null
if "$out/fuzz_policy" -max_total_time="$secs" -max_len=65536 -rss_limit_mb=1024 \
	-timeout=10 -print_final_stats=1 -artifact_prefix="$out/" "$work" \
	>"$out/fuzz.log" 2>&1; then
	runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$out/fuzz.log")
	echo "PASS fuzz_policy: $runs inputs in ${secs}s, no crash"
	echo "fuzz: 1 passed, 0 failed"
else
	echo "FAIL fuzz_policy: see $out/fuzz.log"
	grep -E 'ERROR|SUMMARY|crash-|leak-|timeout-' "$out/fuzz.log" | head -n 20 | sed 's/^/    /'
	echo "fuzz: 0 passed, 1 failed"
	exit 1
fi
