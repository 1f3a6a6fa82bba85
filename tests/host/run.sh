#!/bin/sh
# Host lane: every tests/host/test_*.sh as root on the running kernel.
# Prints each test's PASS/FAIL/SKIP lines and "host: N passed, N failed, N skipped".
out=$(cd "${1:-build}" && pwd)
here=$(cd "$(dirname "$0")" && pwd)
# Tests run the binaries as other users too (operators, viewers, a
# workload's uid): a build below a directory they cannot enter (a clone in
# a mktemp -d) is copied where they can.
if [ "$(id -u)" = 0 ] && command -v setpriv >/dev/null &&
	! setpriv --reuid 65534 --regid 65534 --clear-groups test -x "$out/tenantguard"; then
	pub=$(mktemp -d /tmp/tg-bin.XXXXXX)
	chmod 755 "$pub"
	cp -a "$out"/. "$pub"/
	trap 'rm -rf "$pub"' EXIT
	out=$pub
fi
export TG_BIN="$out"
pass=0 fail=0 skip=0
if [ "$(id -u)" != 0 ]; then
	echo "SKIP host: needs root (cgroup v2 and BPF)"
	echo "host: 0 passed, 0 failed, 1 skipped"
	exit 0
fi
for t in "$here"/test_*.sh; do
	name=$(basename "$t" .sh)
	log=$(timeout 600 sh "$t" 2>&1)
	rc=$?
	printf '%s\n' "$log" | grep -E '^(PASS|FAIL|SKIP) ' | sed "s/^\([A-Z]*\) /\1 $name\//"
	p=$(printf '%s\n' "$log" | grep -c '^PASS ')
	f=$(printf '%s\n' "$log" | grep -c '^FAIL ')
	s=$(printf '%s\n' "$log" | grep -c '^SKIP ')
	if [ "$rc" != 0 ] && [ "$f" = 0 ]; then
		echo "FAIL $name: exit $rc"
		printf '%s\n' "$log" | tail -n 20 | sed 's/^/    /'
		f=1
	fi
	pass=$((pass + p)) fail=$((fail + f)) skip=$((skip + s))
done
echo "host: $pass passed, $fail failed, $skip skipped"
[ "$fail" = 0 ]
