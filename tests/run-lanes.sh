#!/bin/sh
# make check: the layering check, unit, fuzz, host, package, the VM image,
# then the VM lane on both kernels. Every lane runs even if an earlier one failed; the last line
# totals them.
out=${1:-build}
here=$(cd "$(dirname "$0")/.." && pwd)
total_p=0 total_f=0 total_s=0
times=""

lane()
{
	name=$1
	shift
	start=$(date +%s)
	"$@" 2>&1 | tee "$out/lane-$name.log"
	end=$(date +%s)
	times="$times $name=$((end - start))s"
	sum=$(grep -E '^[a-z0-9-]+: [0-9]+ passed, [0-9]+ failed' "$out/lane-$name.log" | tail -n 1)
	if [ -z "$sum" ]; then
		echo "FAIL lane-$name: no summary line"
		total_f=$((total_f + 1))
		return
	fi
	p=$(echo "$sum" | sed 's/.*: \([0-9]*\) passed.*/\1/')
	f=$(echo "$sum" | sed 's/.* \([0-9]*\) failed.*/\1/')
	s=$(echo "$sum" | sed -n 's/.* \([0-9]*\) skipped.*/\1/p')
	total_p=$((total_p + p)) total_f=$((total_f + f)) total_s=$((total_s + ${s:-0}))
}

lane layering "$here/tests/layering.sh"
lane unit "$here/tests/unit/run.sh" "$out"
lane fuzz "$here/tests/fuzz/run.sh" "$out" "${FUZZ_SECONDS:-60}"
lane host "$here/tests/host/run.sh" "$out"
lane package "$here/tests/package/run.sh" "$out"
lane image "$here/image/check/run.sh" "$out"
lane vm-bookworm "$here/vm-tests/run.sh" --build "$out" --kernel bookworm
lane vm-trixie "$here/vm-tests/run.sh" --build "$out" --kernel trixie
echo "lane times:$times"
echo "total: $total_p passed, $total_f failed, $total_s skipped"
[ "$total_f" = 0 ]
