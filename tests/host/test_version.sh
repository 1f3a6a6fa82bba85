#!/bin/sh
# test_version: the release, as debian/changelog's first entry names it, is
# what --version prints on the three binaries, what `status` shows (text and
# JSON) and the version label of the agent's tenantguard_build_info metric.
. "$(dirname "$0")/../lib/tap.sh"
. "$(dirname "$0")/../lib/tenants.sh"

: "${TG_BIN:?}"
tg_env_setup || exit 1
want=$(sed -n '1s/^[^(]*(\([^)]*\)).*/\1/p' "$(dirname "$0")/../../debian/changelog")
for b in tenantguard tenantguard-agent tenantguard-collector; do
	rc=0
	out=$("$TG_BIN/$b" --version 2>&1) || rc=$?
	if [ $rc = 0 ] && [ -n "$want" ] && [ "$out" = "$b $want" ]; then
		tg_pass "version_$b"
	else
		tg_fail "version_$b" "exit $rc: '$out', want '$b $want'"
	fi
done

tg_start_collector || exit 1
tg_start_agent --metrics-file "$TG_T/agent.prom" || exit 1
CLI="$TG_BIN/tenantguard --control-socket $TG_T/control.sock"
if $CLI status --json | grep -q "\"version\": *\"$want\""; then
	tg_pass status_json_version
else
	tg_fail status_json_version "$($CLI status --json 2>&1 | head -n 5)"
fi
if $CLI status | grep -q "^agent: *tenantguard-agent $want\$"; then
	tg_pass status_text_version
else
	tg_fail status_text_version "$($CLI status 2>&1 | head -n 3)"
fi
n=0
until grep -q "^tenantguard_build_info" "$TG_T/agent.prom" 2>/dev/null; do
	n=$((n + 1))
	[ $n -gt 100 ] && break
	sleep 0.1
done
if grep -qx "tenantguard_build_info{version=\"$want\"} 1" "$TG_T/agent.prom" &&
	grep -q "^# TYPE tenantguard_build_info gauge" "$TG_T/agent.prom"; then
	tg_pass metrics_build_info
else
	tg_fail metrics_build_info "$(grep build_info "$TG_T/agent.prom" 2>&1)"
fi

tg_summary
