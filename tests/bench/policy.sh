#!/bin/sh
# Policy benchmark: file to enforced for 1,000 and 10,000 tenants (each with
# 4 paths, 8 port ranges, 4 networks, and an existing cgroup), then a reload
# that changes one tenant. Prints figures; asserts nothing.
set -eu
out=$(cd "${1:-build}" && pwd)
here=$(cd "$(dirname "$0")/../.." && pwd)
export TG_BIN=$out
. "$here/tests/lib/tap.sh"
. "$here/tests/lib/tenants.sh"
tg_env_setup
TG_POLICY=$TG_T/policy.yaml
mkdir -p "$TG_T/policy.d"
printf 'version: 1\ntenants_cgroup: %s\n' "$TG_TENANTS" >"$TG_POLICY"
tg_start_collector
tg_start_agent

gen_policy() # N CHANGED
{
	awk -v n="$1" -v root="$TG_T/p" -v tc="$TG_TENANTS" -v changed="$2" 'BEGIN {
		print "version: 1"; print "tenants_cgroup: " tc; print "tenants:"
		for (i = 0; i < n; i++) {
			printf "  t%d:\n    paths: [%s/t%d/a, %s/t%d/b, %s/t%d/c, %s/t%d/d]\n", i, root, i, root, i, root, i, root, i
			printf "    ports: ["
			# 4 TCP and 4 UDP ports each: 10,000 tenants own 40,000 of each, no overlap.
			for (j = 0; j < 8; j++) printf "%s%s:%d", j ? ", " : "", j < 4 ? "tcp" : "udp", 1024 + i * 4 + j % 4
			printf "]\n    networks: ["
			for (j = 0; j < 4; j++) printf "%s10.%d.%d.%d/32", j ? ", " : "", int(i / 250), i % 250, j
			printf "]\n"
			if (i == changed) print "    mode: audit"
		}
	}'
}

setup_tenants() # N
{
	i=0
	while [ $i -lt "$1" ]; do
		mkdir -p "$TG_TDIR/t$i" "$TG_T/p/t$i/a" "$TG_T/p/t$i/b" "$TG_T/p/t$i/c" "$TG_T/p/t$i/d"
		i=$((i + 1))
	done
}

reload_ms() { tg_cli reload | sed -n 's/.*changes, \([0-9.]*\) ms.*/\1/p'; }

for n in 1000 10000; do
	setup_tenants $n
	gen_policy $n -1 >"$TG_POLICY"
	size=$(wc -c <"$TG_POLICY")
	full=$(reload_ms)
	gen_policy $n $((n / 2)) >"$TG_POLICY"
	one=$(reload_ms)
	gen_policy $n -1 >"$TG_POLICY"
	back=$(reload_ms)
	echo "policy bench: $n tenants ($size bytes): file to enforced ${full} ms; one tenant changed ${one} ms, changed back ${back} ms"
	printf 'version: 1\ntenants_cgroup: %s\n' "$TG_TENANTS" >"$TG_POLICY"
	tg_cli reload >/dev/null
done
for d in "$TG_TDIR"/t*; do rmdir "$d"; done
