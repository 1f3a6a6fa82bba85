#!/bin/sh
# test_dashboards: the Grafana dashboard (dist/grafana/tenantguard.json) and
# the Prometheus alert rules (dist/prometheus/tenantguard.rules.yml) against
# the metrics files of a real run: the rules pass promtool, the dashboard is
# valid JSON, each of its PromQL expressions passes promtool, every metric
# either names is in the agent's or the collector's metrics file after a
# denial, and both files pass `promtool check metrics`. Each check is first
# shown to fail on a broken input.
. "$(dirname "$0")/../lib/tap.sh"
. "$(dirname "$0")/../lib/tenants.sh"
. "$(dirname "$0")/../lib/delivery.sh"

: "${TG_BIN:?}"
top=$(cd "$(dirname "$0")/../.." && pwd)
RULES=$top/dist/prometheus/tenantguard.rules.yml
DASH=$top/dist/grafana/tenantguard.json
if ! command -v promtool >/dev/null 2>&1 || ! command -v python3 >/dev/null 2>&1; then
	tg_skip dashboards "promtool or python3 missing (scripts/deps.sh installs prometheus and python3)"
	tg_summary
	exit
fi
tg_env_setup || exit 1

# dash_exprs DASHBOARD: each target's PromQL, one a line, Grafana's variables
# replaced by what Prometheus accepts; non-zero if the JSON is not valid.
dash_exprs()
{
	python3 -c '
import json, sys
def walk(p):
    for t in p.get("targets", []):
        if t.get("expr"):
            print(t["expr"].replace("\n", " "))
    for q in p.get("panels", []):
        walk(q)
d = json.load(open(sys.argv[1]))
for p in d["panels"]:
    walk(p)
' "$1" >"$TG_T/exprs.raw" || return 1
	sed -e 's/\$__rate_interval/5m/g' -e 's/\$__interval/1m/g' \
		-e 's/\$__range/1h/g' -e 's/\${\{0,1\}\(instance\|tenant\)}\{0,1\}/.*/g' \
		"$TG_T/exprs.raw"
}

# exprs_rules FILE: a rules file with one recording rule per expression in
# FILE, for promtool.
exprs_rules()
{
	printf 'groups:\n  - name: dashboard\n    rules:\n'
	n=0
	while IFS= read -r e; do
		n=$((n + 1))
		printf '      - record: tenantguard_dashboard:expr_%d\n' "$n"
		printf '        expr: %s\n' "$(printf '%s' "$e" | python3 -c 'import json,sys; print(json.dumps(sys.stdin.read()))')"
	done <"$1"
}

# metric_names FILE...: the tenantguard_* metric names FILE uses, one a line
# (the dashboard's record names left out).
metric_names()
{
	grep -oh 'tenantguard_[a-z0-9_]*' "$@" | grep -v '^tenantguard_dashboard' | sort -u
}

# names_missing NAMES PROM...: the names in NAMES that no "# TYPE" line of
# the metrics files declares.
names_missing()
{
	nm_names=$1
	shift
	cat "$@" | sed -n 's/^# TYPE \([^ ]*\) .*/\1/p' | sort -u >"$TG_T/declared"
	comm -23 "$nm_names" "$TG_T/declared"
}

# The checks fail on broken input.
printf 'groups:\n  - name: x\n    rules:\n      - alert: X\n        expr: rate(x[5m]\n' >"$TG_T/bad.rules.yml"
printf '{"panels": [{"targets": [{"expr": "sum(rate(tenantguard_events_total[5m])"}]}' >"$TG_T/bad.json"
printf '{"panels": [{"targets": [{"expr": "sum by (tenant) (rate(tenantguard_x_total{instance=~\\"$instance\\"}[$__rate_interval])"}]}]}\n' >"$TG_T/badexpr.json"
printf 'tenantguard_events_total\ntenantguard_no_such_metric\n' >"$TG_T/bad.names"
printf '# TYPE tenantguard_events_total counter\ntenantguard_events_total{kind="net" 1\n' >"$TG_T/bad.prom"
if promtool check rules "$TG_T/bad.rules.yml" >/dev/null 2>&1 ||
	dash_exprs "$TG_T/bad.json" >/dev/null 2>&1 ||
	{ dash_exprs "$TG_T/badexpr.json" >"$TG_T/badexpr" &&
		exprs_rules "$TG_T/badexpr" >"$TG_T/badexpr.rules.yml" &&
		promtool check rules "$TG_T/badexpr.rules.yml" >/dev/null 2>&1; } ||
	promtool check metrics <"$TG_T/bad.prom" >/dev/null 2>&1 ||
	[ "$(names_missing "$TG_T/bad.names" "$TG_T/bad.prom")" != tenantguard_no_such_metric ]; then
	tg_fail checks_can_fail "a broken rules file, dashboard, expression, metrics file or name passed"
else
	tg_pass checks_can_fail
fi

if out=$(promtool check rules "$RULES" 2>&1); then
	tg_pass rules_check
else
	tg_fail rules_check "$(echo "$out" | tail -n 3 | tr '\n' ' ')"
fi

if out=$(python3 -m json.tool "$DASH" 2>&1 >/dev/null) && dash_exprs "$DASH" >"$TG_T/exprs"; then
	tg_pass dashboard_json
else
	tg_fail dashboard_json "$out"
fi

n=$(grep -c . "$TG_T/exprs")
exprs_rules "$TG_T/exprs" >"$TG_T/dashboard.rules.yml"
if [ "$n" -gt 0 ] && out=$(promtool check rules "$TG_T/dashboard.rules.yml" 2>&1); then
	echo "    $n expressions in the dashboard"
	tg_pass dashboard_promql
else
	tg_fail dashboard_promql "$n expressions: $(echo "$out" | tail -n 3 | tr '\n' ' ')"
fi

# A real run: collector and agent with metrics files, one denial.
# The collector writes its file as its user: a directory of that user's.
tg_collector_user || exit 1
mkdir -p "$TG_T/cmetrics"
if [ -n "$TG_COLLECTOR_USER" ]; then
	chmod 711 "$TG_T"
	chown "$TG_COLLECTOR_USER" "$TG_T/cmetrics"
fi
tg_start_collector --metrics-file "$TG_T/cmetrics/collector.prom" || exit 1
tg_delivery_agent 43 --metrics-file "$TG_T/agent.prom" || exit 1
tg_probe denied --cgroup "$TG_TDIR/globex" --expect EPERM connect tcp 127.0.0.1 $port
tg_event denial_stored kind=net verdict=deny tenant=globex
sleep 5.5 # both files written since
n=0
until grep -q '^tenantguard_events_total{kind="net",verdict="deny",tenant="globex"}' "$TG_T/agent.prom" 2>/dev/null &&
	[ -s "$TG_T/cmetrics/collector.prom" ]; do
	n=$((n + 1))
	[ "$n" -gt 100 ] && break
	sleep 0.1
done
if [ -s "$TG_T/agent.prom" ] && [ -s "$TG_T/cmetrics/collector.prom" ]; then
	tg_pass metrics_files_written
else
	tg_fail metrics_files_written "agent.prom or collector.prom missing or empty"
fi

metric_names "$RULES" "$TG_T/exprs" >"$TG_T/names"
missing=$(names_missing "$TG_T/names" "$TG_T/agent.prom" "$TG_T/cmetrics/collector.prom")
if [ "$(grep -c . "$TG_T/names")" -ge 10 ] && [ -z "$missing" ]; then
	echo "    $(grep -c . "$TG_T/names") metric names used"
	tg_pass metric_names_exist
else
	tg_fail metric_names_exist "not in the metrics files: $(echo $missing)"
fi

for f in agent cmetrics/collector; do
	if out=$(promtool check metrics <"$TG_T/$f.prom" 2>&1); then
		tg_pass "${f#cmetrics/}_metrics_check"
	else
		tg_fail "${f#cmetrics/}_metrics_check" "$(echo "$out" | head -n 5 | tr '\n' ' ')"
	fi
done

# The backends' state as status reports it.
if grep -q '^tenantguard_backend_enforced{feature="net",backend="[a-z-]*"} [01]$' "$TG_T/agent.prom" &&
	[ "$(grep -c '^tenantguard_backend_enforced{' "$TG_T/agent.prom")" = 5 ]; then
	tg_pass backends_in_metrics
else
	tg_fail backends_in_metrics "$(grep '^tenantguard_backend_enforced' "$TG_T/agent.prom" | tr '\n' ' ')"
fi
tg_summary
