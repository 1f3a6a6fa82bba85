# shellcheck shell=sh
# What the benchmarks share (POSIX sh): order statistics of numbers read
# one a line, and the run time the kernel counts for BPF programs
# (kernel.bpf_stats_enabled). Needs tenants.sh (TG_BIN) for tg_bench_timed.

# median < NUMBERS: the median (the lower one of an even count); 0 if none.
median()
{
	sort -n | awk '{ v[NR] = $1 } END { if (NR) print v[int((NR + 1) / 2)]; else print 0 }'
}

# quartiles < NUMBERS: "Q1 MEDIAN Q3" (nearest rank); "0 0 0" if none.
quartiles()
{
	sort -g | awk '{ v[NR] = $1 }
	function at(p,  i) { i = int(p * NR + 0.999999); return v[i < 1 ? 1 : i] }
	END { if (NR) print at(0.25), at(0.5), at(0.75); else print 0, 0, 0 }'
}

# percentile P < NUMBERS: the P-th percentile (nearest rank); 0 if none.
percentile()
{
	sort -g | awk -v p="$1" '{ v[NR] = $1 }
	END { i = int(p / 100 * NR + 0.999999); if (!NR) print 0; else print v[i < 1 ? 1 : i] }'
}

# IDs of the BPF programs loaded now.
prog_ids()
{
	bpftool prog show 2>/dev/null | awk '/^[0-9]+:/ { sub(":", "", $1); print $1 }' | sort
}

# prog_stats IDS...: "name run_time_ns run_cnt" of each program.
prog_stats()
{
	for id in "$@"; do
		bpftool prog show id "$id" 2>/dev/null | awk 'NR == 1 {
			for (i = 1; i < NF; i++) {
				if ($i == "name") name = $(i + 1)
				if ($i == "run_time_ns") t = $(i + 1)
				if ($i == "run_cnt") c = $(i + 1)
			}
			print name, t + 0, c + 0 }'
	done | sort
}

# tg_bench_timed CGROUP KIND N FILE IDS...: a KIND-loop (tcp, udp) of N
# iterations in CGROUP, the run time of programs IDS counted (with
# bpf_stats_enabled set by the caller); appends "KIND name
# ns_per_iteration runs_per_iteration" per program that ran, to FILE.
tg_bench_timed()
{
	tbt_cg=$1 tbt_kind=$2 tbt_n=$3 tbt_file=$4
	shift 4
	prog_stats "$@" >"$tbt_file.0"
	"$TG_BIN/tg-try" --cgroup "$tbt_cg" "$tbt_kind-loop" "$tbt_n" >/dev/null
	prog_stats "$@" >"$tbt_file.1"
	join "$tbt_file.0" "$tbt_file.1" | awk -v k="$tbt_kind" -v n="$tbt_n" '$5 > $3 {
		printf "%s %s %.0f %.2f\n", k, $1, ($4 - $2) / n, ($5 - $3) / n }' >>"$tbt_file"
	rm -f "$tbt_file.0" "$tbt_file.1"
}
