#!/bin/sh
# Seccomp benchmark: a getppid loop unconfined and under the built-in
# "default" and "strict" profiles (started by `tenantguard run`), alternated
# over several rounds in one run, in the same cgroup. Prints nanoseconds per
# call (median of the rounds) and the ratio to unconfined; asserts nothing.
# getppid takes no argument check, so the kernel's seccomp action cache
# should answer it without running the filter. The floor is a filter that
# allows everything: what any seccomp filter costs on this kernel.
set -eu
out=$(cd "${1:-build}" && pwd)
here=$(cd "$(dirname "$0")/../.." && pwd)
export TG_BIN=$out
. "$here/tests/lib/tap.sh"
. "$here/tests/lib/tenants.sh"
tg_env_setup
N=${TG_BENCH_CALLS:-5000000}
ROUNDS=${TG_BENCH_ROUNDS:-7}
printf 'version: 1\ntenants_cgroup: %s\ntenants:\n  acme: {}\n' "$TG_TENANTS" >"$TG_T/p.yaml"
printf 'version: 1\ndefault_action: allow\n' >"$TG_T/allow-all.yaml"

# No agent here: the launcher reads the policy itself and says so on stderr.
launch() # PROFILE
{
	"$out/tenantguard" --control-socket "$TG_T/none.sock" run --tenant acme \
		--uid 0 --gid 0 --policy "$TG_T/p.yaml" --profile "$1" -- "$out/tg-try" getppid-loop "$N" 2>/dev/null
}
median() { sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }

: >"$TG_T/none" && : >"$TG_T/floor" && : >"$TG_T/default" && : >"$TG_T/strict"
i=0
while [ $i -lt "$ROUNDS" ]; do
	"$out/tg-try" --cgroup "$TG_TDIR/acme" getppid-loop "$N" >>"$TG_T/none"
	launch "$TG_T/allow-all.yaml" >>"$TG_T/floor"
	launch default >>"$TG_T/default"
	launch strict >>"$TG_T/strict"
	i=$((i + 1))
done
base=$(median <"$TG_T/none")
echo "getppid, $N calls x $ROUNDS rounds, median ns/call:"
printf '  %-22s %8.2f ns\n' "unconfined" "$base"
ratio() { echo "$1 $2" | awk '{ printf "%.3f", $1 / $2 }'; }
floor=$(median <"$TG_T/floor")
printf '  %-22s %8.2f ns   ratio %s (any filter: the kernel'"'"'s fixed cost)\n' \
	"filter allowing all" "$floor" "$(ratio "$floor" "$base")"
for p in default strict; do
	m=$(median <"$TG_T/$p")
	printf '  %-22s %8.2f ns   ratio %s (goal <= 1.15), %s to the allow-all filter\n' \
		"profile $p" "$m" "$(ratio "$m" "$base")" "$(ratio "$m" "$floor")"
done
