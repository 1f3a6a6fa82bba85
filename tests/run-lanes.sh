#!/bin/sh
# make check: the layering check, unit, fuzz, host, package, the VM image,
# then the VM lane on both kernels, the two guests at once. Every lane runs
# even if an earlier one failed; the last line totals them.
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
	tally "$name" $((end - start))
}

# lane_bg NAME CMD...: lane NAME in the background, its output kept for
# tally_bg (the two guests run at once: each is one TCG thread, one core).
lane_bg()
{
	name=$1
	shift
	(
		start=$(date +%s)
		"$@" >"$out/lane-$name.log" 2>&1
		echo $(($(date +%s) - start)) >"$out/lane-$name.time"
	) &
}

tally_bg()
{
	cat "$out/lane-$1.log"
	tally "$1" "$(cat "$out/lane-$1.time" 2>/dev/null || echo 0)"
}

# tally NAME SECONDS: add lane NAME's summary line to the totals.
tally()
{
	name=$1
	times="$times $name=${2}s"
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
# Both kernels fetched first, one at a time; then both guests at once.
"$here/vm-tests/fetch-kernel.sh" bookworm
"$here/vm-tests/fetch-kernel.sh" trixie
lane_bg vm-bookworm "$here/vm-tests/run.sh" --build "$out" --kernel bookworm
lane_bg vm-trixie "$here/vm-tests/run.sh" --build "$out" --kernel trixie
wait
tally_bg vm-bookworm
tally_bg vm-trixie
echo "lane times:$times"
echo "total: $total_p passed, $total_f failed, $total_s skipped"
[ "$total_f" = 0 ]
