#!/bin/sh
# Unit lane: run every cmocka binary, print a PASS/FAIL line per test case
# and "unit: N passed, N failed"; non-zero exit if anything failed.
out=${1:-build}
pass=0
fail=0
for t in "$out"/tests/unit/test_*; do
	[ -x "$t" ] || continue
	log=$(timeout 300 "$t" 2>&1)
	rc=$?
	p=$(printf '%s\n' "$log" | sed -n 's/^\[       OK \] \(.*\)/\1/p')
	f=$(printf '%s\n' "$log" | sed -n 's/^\[  FAILED  \] \([a-z_][a-z0-9_]*\)$/\1/p')
	for c in $p; do
		echo "PASS $(basename "$t")/$c"
		pass=$((pass + 1))
	done
	for c in $f; do
		echo "FAIL $(basename "$t")/$c"
		fail=$((fail + 1))
	done
	if [ "$rc" != 0 ]; then
		printf '%s\n' "$log" | grep -v '^\[' | sed 's/^/    /'
		[ -z "$f" ] && {
			echo "FAIL $(basename "$t"): exit $rc"
			fail=$((fail + 1))
		}
	fi
done
echo "unit: $pass passed, $fail failed"
[ "$fail" = 0 ]
