#!/bin/sh
# test_ratelimit (BPF LSM): a tenant's rate limit holds back its file
# events, never its denials; every denied open is an event in the log or
# counted in a suppressed summary, and another tenant's events pass.
. /tests/lib/tap.sh
. /tests/lib/tenants.sh

: "${TG_BIN:?}"
tg_env_setup || exit 1
TG_POLICY=$TG_T/policy.yaml
mkdir -p "$TG_T/policy.d"
cat >"$TG_POLICY" <<YAML
version: 1
tenants_cgroup: $TG_TENANTS
events: {rate: unlimited}
tenants:
  acme: {paths: [$TG_SRV/acme]}
  globex: {paths: [$TG_SRV/globex], events: {rate: 1, burst: 3}}
YAML
tg_start_collector || exit 1
tg_start_agent --require-file-isolation || exit 1
G=$TG_TDIR/globex
A=$TG_TDIR/acme

# globex's 12 as fast as they come (well under the 9 s its bucket would
# need to let all through), then acme's.
denied=0 i=0
while [ $i -lt 12 ]; do
	"$TG_BIN/tg-try" --cgroup "$G" --expect EACCES open "$TG_SRV/acme/data" \
		>/dev/null && denied=$((denied + 1))
	i=$((i + 1))
done
while [ $i -lt 24 ]; do
	"$TG_BIN/tg-try" --cgroup "$A" --expect EACCES open "$TG_SRV/globex/data" \
		>/dev/null && denied=$((denied + 100))
	i=$((i + 1))
done
if [ "$denied" = 1212 ]; then
	tg_pass every_open_denied
else
	tg_fail every_open_denied "$denied (want 12 + 12 * 100)"
fi
n=0
while [ "$(tg_cli status --json | sed -n 's/^ *"queued": *\([0-9]*\).*/\1/p')" != 0 ] &&
	[ $n -lt 100 ]; do
	sleep 0.1
	n=$((n + 1))
done
tg_stop_agent
d=$(tg_count kind=file tenant=globex verdict=deny)
s=$(grep '"op":"suppressed"' "$TG_LOG" | grep '"tenant":"globex"' |
	grep '"event_kind":"file","event_op":"open","event_verdict":"deny"' |
	grep -o '"suppressed":[0-9]*' | cut -d: -f2 | awk '{ s += $1 } END { print s + 0 }')
echo "    globex: 12 denials = $d delivered + $s suppressed"
if [ "$d" -ge 3 ] && [ "$s" -gt 0 ] && [ $((d + s)) = 12 ]; then
	tg_pass limited_tenant_delivered_plus_suppressed
else
	tg_fail limited_tenant_delivered_plus_suppressed "$d delivered + $s suppressed != 12"
fi
if [ "$(tg_count kind=file tenant=acme verdict=deny)" = 12 ]; then
	tg_pass unlimited_tenant_every_event
else
	tg_fail unlimited_tenant_every_event "$(tg_count kind=file tenant=acme verdict=deny) of 12"
fi
tg_summary
