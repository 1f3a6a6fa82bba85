#!/bin/sh
# Grants benchmark (docs/grants.md), natively: cgroup BPF on every kernel.
# A support actor is a process whose audit login uid is one of the policy's
# support: login_uids (here 4242, and 5000-5099 for part 3); tenant acme
# lists one approver key. Every grant here is made as an operator makes
# it: grant request by the support actor, grant approve offline with the
# key, grant activate (a new request each time: the replay cache refuses
# an activated one again). Three parts:
#
# 1. Revocation to refusal, over REVOKES rounds (default 1000): a grant of
#    connect to acme is activated; a support actor's process connects over
#    TCP in a tight loop to a listener of acme's (allowed, each an allow
#    event); once 50 connects were allowed, `tenantguard grant revoke ID`
#    runs; the loop's first refused connect (EPERM) is timed from the
#    command's start, from its return, and from the "ended" time of the
#    agent's revoked event (taken just after it deleted the map entry), all
#    on CLOCK_BOOTTIME (tests/tool/grant_timing.c). A round's figure is
#    the return of that connect call: the refusal happened between its
#    start and return. Also the start of that refused call and of the last
#    allowed one: the kernel still saw the grant after the latter began and
#    no more before the former returned. p50 and p99 over the rounds, and
#    the command's own run time. From the command's start, most of the time
#    is the CLI's own start and the agent reaching the request while it
#    writes the loop's allow events; from the event's "ended" (after the
#    map entry is deleted) to the refusal is the loop's next connect and
#    its scheduling. A round is counted only if it is clean: no refusal before
#    the command started and no allowed connect after the first refusal
#    (either would be a refusal of another cause, an allow event that
#    could not be written); unclean rounds are counted apart. If rounds are
#    slow, REVOKES is cut so that part 1 stays within BUDGET seconds
#    (default 240), measured on the first 10 rounds: the N run is printed.
#
# 2. Expiry precision, over EXPIRIES grants (default 3) of GRANT_SECS
#    seconds (default 3): the same loop as fast as it can from the
#    activation to 500 ms past the deadline (read from the pinned grants
#    map: boot time, as the kernel compares it). Counts the connects
#    allowed whose call began at or after the deadline (must be 0), and the
#    allow events stamped at or after the activated event's "until" (the
#    kernel stamps after its check, so one stamped less than a microsecond
#    late can be right); how long after the deadline the first refusal
#    returned, and when the agent's expired event says it ended the grant
#    (its timer: the kernel does not need it). Event times are the agent's
#    wall clock: a clock step during the run moves them.
#
# 3. The cost for everyone else: a tenant's own loopback TCP connect
#    (connect+accept+close) and UDP sendto (tests/tool/netbench.c), in
#    acme's cgroup, with the support policy and 100 grants in force (login
#    uids 5000-5099, all to acme: the map's entries about that very
#    tenant) against the same policy with none. The machine may be shared
#    and loaded, so the two sides are interleaved finely, as in net.sh:
#    one process runs PAIRS pairs of short runs, one with the grants map
#    as the agent wrote it and one with its entries taken out (and put
#    back: tg-try grants-ab), alternately first, over ROUNDS rounds; the
#    ratio is the median of the pairs' ratios, with its IQR. The same
#    pairs once the grants are revoked (the map empty: nothing to take
#    out) are the control, ideally 1.000. Then, with
#    kernel.bpf_stats_enabled for those passes only, the agent's
#    programs' run time per iteration with the 100 grants and after their
#    revocation through the agent. A tenant's connect never looks the
#    grants map up (only a support actor's access the policy refuses
#    does), so the ratio is expected at 1 within the noise.
#
# The file-open side of grants needs BPF LSM, only in the VM guests: it is
# not measured here (the guests' bench lane, make bench-vm, runs
# tests/bench/file.sh without grants).
# Settings: GRANT_BENCH_REVOKES, _BUDGET, _EXPIRIES, _SECS, _ROUNDS, _PAIRS,
# _TCP, _UDP, _TCP_STATS, _UDP_STATS (below).
# Prints figures; asserts nothing. Needs root and a writable
# /proc/self/loginuid (a kernel with audit).
out=$(cd "${1:-build}" && pwd)
here=$(cd "$(dirname "$0")/.." && pwd)
TG_BIN=$out
. "$here/lib/tap.sh"
. "$here/lib/tenants.sh"
. "$here/lib/bench.sh"
. "$here/lib/grants.sh"

REVOKES=${GRANT_BENCH_REVOKES:-1000}
BUDGET=${GRANT_BENCH_BUDGET:-240}	# seconds for part 1 at most
EXPIRIES=${GRANT_BENCH_EXPIRIES:-3}
GRANT_SECS=${GRANT_BENCH_SECS:-3}
ROUNDS=${GRANT_BENCH_ROUNDS:-3}		# part 3
PAIRS=${GRANT_BENCH_PAIRS:-60}		# per round and loop
TCP_N=${GRANT_BENCH_TCP:-250}		# connections per run of a pair
UDP_N=${GRANT_BENCH_UDP:-2500}		# datagrams per run of a pair
TCP_STATS=${GRANT_BENCH_TCP_STATS:-5000}
UDP_STATS=${GRANT_BENCH_UDP_STATS:-50000}
GRANTS=100

if [ "$(id -u)" != 0 ]; then
	echo "grants bench: SKIP (needs root)"
	exit 0
fi
if ! tg_grant_loginuid_ok; then
	echo "grants bench: SKIP (no writable /proc/self/loginuid: this shell's login uid is set, or no audit)"
	exit 0
fi
tg_env_setup || exit 1
tg_grant_setup "4242, 5000-$((5000 + GRANTS - 1))" || exit 1
# The agent's programs, for part 3's run times: those of its pinned links
# (other programs may come and go on a shared machine).
PROGS=$(for l in "$TG_PINS"/links/*; do bpftool link show pinned "$l"; done 2>/dev/null |
	sed -n 's/.* prog \([0-9]*\).*/\1/p' | sort -u)

# us NS: nanoseconds as microseconds, one decimal.
us() { awk -v v="$1" 'BEGIN { printf "%.1f", v / 1000 }'; }

# now: seconds since boot (not the wall clock, which may be stepped).
now() { cut -d' ' -f1 /proc/uptime; }

# field NAME < LINES: the values of NAME=VALUE, one a line.
field() { sed -n "s/.*\<$1=\([^ ]*\).*/\1/p"; }

echo "grants: kernel $(uname -r), $(nproc) CPUs"

# --- 1. revocation to refusal
: >"$TG_T/revoke"
unclean=0 failed=0 i=0
t_start=$(now)
while [ $i -lt "$REVOKES" ]; do
	i=$((i + 1))
	if ! id=$(tg_grant_make 4242 1h); then
		failed=$((failed + 1))
		[ $failed -gt 5 ] && { echo "grants bench: grants cannot be made"; exit 1; }
		continue
	fi
	line=$("$TG_BIN/tg-try" revoke-timing "$A" 4242 "$TG_LOG" "$id" -- \
		$CLI grant revoke "$id")
	case $line in
	from_start=*" refused_before=0 allowed_after=0 "*) echo "$line" >>"$TG_T/revoke" ;;
	from_start=*) unclean=$((unclean + 1)); echo "$line" >>"$TG_T/unclean" ;;
	*) failed=$((failed + 1)); echo "grants bench: round $i: $line" >&2
	   $CLI grant revoke "$id" >/dev/null 2>&1 ;;
	esac
	if [ $i = 10 ] && [ "$REVOKES" -gt 10 ]; then
		per=$(awk -v a="$t_start" -v b="$(now)" 'BEGIN { print (b - a) / 10 }')
		fit=$(awk -v p="$per" -v b="$BUDGET" 'BEGIN { printf "%d", b / p }')
		[ "$fit" -lt "$REVOKES" ] && REVOKES=$fit
	fi
done
t_all=$(awk -v a="$t_start" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }')
n=$(wc -l <"$TG_T/revoke")
echo "grants: revocation to the first refused connect: $n clean rounds of $i run (requested ${GRANT_BENCH_REVOKES:-1000}; $unclean unclean, $failed failed), $(awk -v t="$t_all" -v i="$i" 'BEGIN { printf "%.0f ms", t * 1000 / i }') per round (request, approval, activation, revocation)"
for what in from_start call_from_start last_allowed_from_start from_return from_event cmd; do
	field "$what" <"$TG_T/revoke" | grep -v '^-$' >"$TG_T/v" || true
	case $what in
	from_start) label="from the revoke command's start" ;;
	call_from_start) label="  the refused call's start, from the same" ;;
	last_allowed_from_start) label="  the last allowed call's start, from the same" ;;
	from_return) label="from its return (negative: refused before it returned)" ;;
	from_event) label="from the revoked event's ended time" ;;
	cmd) label="the revoke command's run time" ;;
	esac
	printf 'grants:   %-58s p50 %8s us  p99 %8s us  max %8s us  (%d rounds)\n' "$label" \
		"$(us "$(percentile 50 <"$TG_T/v")")" "$(us "$(percentile 99 <"$TG_T/v")")" \
		"$(us "$(percentile 100 <"$TG_T/v")")" "$(wc -l <"$TG_T/v")"
done
field from_start <"$TG_T/revoke" >"$TG_T/v"
sum_revoke=$(printf 'revocation to refusal p50 %s us, p99 %s us from the command start (%d rounds)' \
	"$(us "$(percentile 50 <"$TG_T/v")")" "$(us "$(percentile 99 <"$TG_T/v")")" "$n")
field attempts <"$TG_T/revoke" >"$TG_T/v"
echo "grants:   connects per round (the loop's attempts): median $(median <"$TG_T/v")"
[ -s "$TG_T/unclean" ] && head -n 3 "$TG_T/unclean" | sed 's/^/grants:   unclean: /'

# --- 2. expiry precision
e=0
: >"$TG_T/expiry"
while [ $e -lt "$EXPIRIES" ]; do
	e=$((e + 1))
	id=$(tg_grant_make 4242 "${GRANT_SECS}s") || { echo "grants bench: expiry grant not made"; exit 1; }
	line=$("$TG_BIN/tg-try" expiry-timing "$A" 4242 "$TG_LOG" "$id" \
		"$TG_PINS/maps/grants" 500)
	case $line in
	allowed=*) echo "$line" >>"$TG_T/expiry" ;;
	*) echo "grants bench: expiry $e: $line" >&2 ;;
	esac
done
echo "grants: expiry of $(wc -l <"$TG_T/expiry") grants of ${GRANT_SECS}s, a support actor connecting as fast as it can (times from the deadline):"
while read -r line; do
	echo "$line" | awk '{
		for (i = 1; i <= NF; i++) { split($i, kv, "="); v[kv[1]] = kv[2] }
		printf "grants:   %d allowed, %d begun at or after the deadline, %d straddling it, %d refused before it; ",
			v["allowed"], v["late"], v["straddling"], v["refused_before"]
		printf "first refusal returned %.1f us after (its call began %+.1f us from it), last allowed connect returned %+.1f us from it; ",
			v["first_refusal"] / 1000, v["first_refusal_call"] / 1000, v["last_allowed"] / 1000
		printf "allow events %d, %d stamped at or after the deadline (latest %+.1f us from it); the agent ended it %s us after\n",
			v["events"], v["events_late"], v["last_event"] / 1000,
			v["expired_event"] == "-" ? "-" : sprintf("%.0f", v["expired_event"] / 1000) }'
done <"$TG_T/expiry"
sum_expiry=$(awk '{ for (i = 1; i <= NF; i++) { split($i, kv, "="); v[kv[1]] = kv[2] }
	n++; a += v["allowed"]; l += v["late"]; if (v["first_refusal"] > w) w = v["first_refusal"] }
	END { printf "expiry: %d of %d allowed connects begun after the deadline, first refusal at most %.1f us after it (%d grants)", l, a, w / 1000, n }' "$TG_T/expiry")

# --- 3. the cost for a tenant: 100 grants in force against none
stats_before=$(cat /proc/sys/kernel/bpf_stats_enabled 2>/dev/null)
tg_on_cleanup "[ -n '$stats_before' ] && echo '$stats_before' >/proc/sys/kernel/bpf_stats_enabled"
echo 0 >/proc/sys/kernel/bpf_stats_enabled 2>/dev/null
MAP=$TG_PINS/maps/grants

# pairs FILE: ROUNDS x PAIRS pairs of each loop, with the map's entries
# and without (tg-try grants-ab), to FILE.tcp and FILE.udp.
pairs()
{
	rr=0
	while [ $rr -lt "$ROUNDS" ]; do
		rr=$((rr + 1))
		"$TG_BIN/tg-try" grants-ab tcp "$TCP_N" "$PAIRS" "$A" "$MAP" >>"$1.tcp" &&
			"$TG_BIN/tg-try" grants-ab udp "$UDP_N" "$PAIRS" "$A" "$MAP" >>"$1.udp" ||
			{ echo "grants bench: grants-ab failed"; exit 1; }
	done
}
# timed_pass STATE: the programs' run time per iteration, to timed.STATE.
timed_pass()
{
	echo 1 >/proc/sys/kernel/bpf_stats_enabled
	# shellcheck disable=SC2086 # PROGS: one id each
	tg_bench_timed "$A" tcp "$TCP_STATS" "$TG_T/timed.$1" $PROGS
	# shellcheck disable=SC2086
	tg_bench_timed "$A" udp "$UDP_STATS" "$TG_T/timed.$1" $PROGS
	echo 0 >/proc/sys/kernel/bpf_stats_enabled
}

ids=""
u=5000
t0=$(now)
while [ $u -lt $((5000 + GRANTS)) ]; do
	gid=$(tg_grant_make $u 1h) || { echo "grants bench: grant of $u not made"; exit 1; }
	ids="$ids $gid"
	u=$((u + 1))
done
make_s=$(awk -v a="$t0" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }')
in_map=$(bpftool map dump pinned "$MAP" 2>/dev/null | grep -c '"key"')
r=0
while [ $r -lt "$ROUNDS" ]; do
	r=$((r + 1))
	timed_pass grants
done
pairs "$TG_T/grants"
for gid in $ids; do
	$CLI grant revoke "$gid" >/dev/null || { echo "grants bench: revoke $gid failed"; exit 1; }
done
r=0
while [ $r -lt "$ROUNDS" ]; do
	r=$((r + 1))
	timed_pass none
done
# The control: the same pairs with the map empty (ideally 1.000).
pairs "$TG_T/control"
echo "grants: a tenant's own traffic (loopback, in acme's cgroup) with $GRANTS grants in force ($in_map map entries, all about acme, made in ${make_s}s) against none: $ROUNDS rounds of $PAIRS pairs, each pair with the grants map's entries and without them (taken out and put back between runs):"
for k in tcp udp; do
	what="TCP connect+accept+close"
	[ $k = udp ] && what="UDP sendto"
	# shellcheck disable=SC2046 # Q1, median, Q3 into $1, $2, $3
	set -- $(awk '{ print $1 / $2 }' "$TG_T/grants.$k" | quartiles)
	c=$(awk '{ print $1 / $2 }' "$TG_T/control.$k" | median)
	printf 'grants:   %-26s %8.0f ns with grants, %8.0f ns without: ratio median %.3f (IQR %.3f-%.3f; control, map empty: %.3f)\n' \
		"$what" "$(awk '{ print $1 }' "$TG_T/grants.$k" | median)" \
		"$(awk '{ print $2 }' "$TG_T/grants.$k" | median)" "$2" "$1" "$3" "$c"
	sum_cost="${sum_cost:+$sum_cost, }$(printf '%s ratio %.3f (IQR %.3f-%.3f)' "$k" "$2" "$1" "$3")"
	for s in grants none; do
		awk -v k=$k '$1 == k { print $2 }' "$TG_T/timed.$s" | sort -u | while read -r p; do
			echo "$p $(awk -v k=$k -v p="$p" '$1 == k && $2 == p { print $3 }' "$TG_T/timed.$s" | median)"
		done >"$TG_T/progs.$s.$k"
	done
	join -a 1 -a 2 -e 0 -o 0,1.2,2.2 "$TG_T/progs.grants.$k" "$TG_T/progs.none.$k" |
		awk -v rounds="$ROUNDS" '{ tg += $2; tn += $3
			if ($2 + $3 > 0) printf "grants:     %-20s %6d ns per iteration with grants, %6d after their revocation\n", $1, $2, $3 }
		END { printf "grants:     %-20s %6d ns per iteration with grants, %6d after their revocation (bpf_stats, medians of %d passes each)\n", "all programs", tg, tn, rounds }'
done
echo "grants: summary: $sum_revoke; $sum_expiry; a tenant with $GRANTS grants in force: $sum_cost"
