#!/bin/sh
# test_policy_show: `tenantguard policy show` prints the policy in force
# (main file and drop-ins merged), each setting with the file, line and
# column it came from, the files read with their SHA-256 (as sha256sum
# prints them), in text and JSON, for one tenant with --tenant; after a
# reload, the new one. Bad usage and unknown tenants are refused.
. "$(dirname "$0")/../lib/tap.sh"
. "$(dirname "$0")/../lib/tenants.sh"

: "${TG_BIN:?}"
tg_env_setup || exit 1
port=$((TG_PORT_BASE + 40))
tg_policy <<YAML
  acme:
    paths: [$TG_SRV/acme]
    ports: [tcp:$port, udp:$((port + 1))-$((port + 3))]
    networks: [10.99.0.0/24]
    allow_from: [globex]
YAML
printf 'version: 1\ntenants:\n  globex:\n    paths: [%s]\n    events: {rate: 10}\n' \
	"$TG_SRV/globex" >"$TG_T/policy.d/globex.yaml"
tg_start_collector || exit 1
tg_start_agent || exit 1

rc=0
tg_cli policy show >"$TG_T/out" 2>&1 || rc=$?
P=$TG_POLICY D=$TG_T/policy.d/globex.yaml
sum=$(sha256sum "$P" | cut -d' ' -f1)
dsum=$(sha256sum "$D" | cut -d' ' -f1)
check()
{
	if grep -q -- "$2" "$TG_T/out"; then
		tg_pass "$1"
	else
		tg_fail "$1" "no '$2' in: $(cat "$TG_T/out")"
	fi
}
[ $rc = 0 ] && tg_pass show_ok || tg_fail show_ok "exit $rc"
check show_files "^#   read $P (sha256 $sum)"
check show_dropin_file "^#   read $D (sha256 $dsum)"
check show_tenants_cgroup "^tenants_cgroup: $TG_TENANTS *# $P:2:17$"
check show_tenant_where "^  acme: *# $P:4:3$"
check show_dropin_tenant_where "^  globex: *# $D:3:3$"
check show_port_where "^      - tcp:$port *# $P:6:13$"
check show_range_where "^      - udp:$((port + 1))-$((port + 3)) *# $P:6:$((13 + 4 + ${#port} + 2))$"
check show_network_where "^      - 10.99.0.0/24 *# $P:7:16$"
check show_allow_from_where "^      - globex *# $P:8:18$"
check show_cgroup_derived "^    cgroup: $TG_TENANTS/acme$"
check show_events_own "^    events: {rate: 10, burst: 50}$"
check show_events_inherited "^    events: {rate: 1000, burst: 5000} *# (the policy's)$"
# JSON, one tenant.
tg_cli policy show --tenant globex --json >"$TG_T/out" 2>&1
if grep -q '"name":"globex"' "$TG_T/out" || grep -q '"name": *"globex"' "$TG_T/out"; then
	if grep -q '"acme"' "$TG_T/out"; then
		tg_fail show_one_tenant_json "acme listed: $(cat "$TG_T/out")"
	else
		tg_pass show_one_tenant_json
	fi
else
	tg_fail show_one_tenant_json "$(cat "$TG_T/out")"
fi
# After a reload: what is in force now.
sed -i "s/tcp:$port,/tcp:$((port + 9)),/" "$P"
tg_cli reload >/dev/null 2>&1
tg_cli policy show >"$TG_T/out" 2>&1
check show_after_reload "^      - tcp:$((port + 9)) *# $P:6:13$"
rc=0
tg_cli policy show --tenant nosuch >"$TG_T/out" 2>&1 || rc=$?
if [ $rc = 1 ] && grep -q "no such tenant in the policy in force" "$TG_T/out"; then
	tg_pass show_unknown_tenant
else
	tg_fail show_unknown_tenant "exit $rc: $(cat "$TG_T/out")"
fi
rc=0
tg_cli policy show extra >"$TG_T/out" 2>&1 || rc=$?
if [ $rc = 2 ] && grep -q "policy show: unexpected argument 'extra'" "$TG_T/out"; then
	tg_pass show_bad_usage
else
	tg_fail show_bad_usage "exit $rc: $(cat "$TG_T/out")"
fi

tg_summary
