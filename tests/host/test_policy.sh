#!/bin/sh
# test_policy: policy files, reload (atomic, under load, with bad policies in
# between), audit/enforce switching, status, tenants created after start.
. "$(dirname "$0")/../lib/tap.sh"
. "$(dirname "$0")/../lib/tenants.sh"
. "$(dirname "$0")/../lib/accounting.sh"
. "$(dirname "$0")/../lib/delivery.sh"

: "${TG_BIN:?}"
tg_env_setup || exit 1
G=$TG_TDIR/globex
A=$TG_TDIR/acme
X=$TG_CGROOT/tg-test-$$-x	# parent of a named tenant's cgroup, made later
port=$((TG_PORT_BASE + 10))
TG_POLICY=$TG_T/policy.yaml
mkdir -p "$TG_T/policy.d"

# policy GLOBEX_MODE [EXTRA_ACME_LINE]
policy()
{
	cat <<YAML
version: 1
tenants_cgroup: $TG_TENANTS
tenants:
  acme:
    paths: [$TG_SRV/acme]
    ports: [tcp:$port]
$2
  globex:
    mode: $1
    paths: [$TG_SRV/globex]
  initech:
    cgroup: ${X#$TG_CGROOT}/initech
YAML
}
write_policy() { policy "$@" >"$TG_POLICY.tmp" && mv "$TG_POLICY.tmp" "$TG_POLICY"; }
tg_on_cleanup "rmdir '$X/initech' '$X' 2>/dev/null"

write_policy enforce
if "$TG_BIN/tenantguard" policy check "$TG_POLICY" >"$TG_T/out" 2>&1; then
	tg_pass policy_check_ok
else
	tg_fail policy_check_ok "$(cat "$TG_T/out")"
fi
printf 'version: 1\ntenants:\n  acme:\n    paths: [relative]\n' >"$TG_T/bad.yaml"
if ! "$TG_BIN/tenantguard" policy check "$TG_T/bad.yaml" 2>"$TG_T/err" &&
	grep -q "^$TG_T/bad.yaml:4:13: path 'relative' is not an absolute path$" "$TG_T/err"; then
	tg_pass policy_check_reports_location
else
	tg_fail policy_check_reports_location "$(cat "$TG_T/err")"
fi

tg_start_collector || exit 1
tg_start_agent || exit 1
"$TG_BIN/tg-try" --cgroup "$A" listen tcp 127.0.0.1 $port "$TG_T/ready" &
tg_track $!
tg_wait_file "$TG_T/ready" || tg_fail listener "not ready on port $port"

gen() { tg_cli status --json | sed -n 's/^ *"generation": *\([0-9]*\).*/\1/p'; }
denials() {
	tg_cli status --json | tr -d ' \n' | sed 's/},{/}\n{/g' |
		sed -n "s/.*\"name\":\"$1\".*\"denials\":\([0-9]*\).*/\1/p"
}

tg_probe enforce_denies --cgroup "$G" --expect EPERM connect tcp 127.0.0.1 $port
if tg_cli status | grep -q "^acme .* enforce "; then
	tg_pass status_lists_tenants
else
	tg_fail status_lists_tenants "$(tg_cli status)"
fi

# Reload: good, then bad (rejected, nothing changes), with the errors shown.
g0=$(gen)
write_policy enforce "    allow_from: [initech]"
if tg_cli reload >/dev/null 2>"$TG_T/err" && [ "$(gen)" = $((g0 + 1)) ]; then
	tg_pass reload_ok_new_generation
else
	tg_fail reload_ok_new_generation "gen $g0 -> $(gen): $(cat "$TG_T/err")"
fi
cp "$TG_POLICY" "$TG_T/good.yaml"
printf 'version: 1\ntenants_cgroup: %s\ntenants:\n  acme: {ports: [tcp:9-1]}\n' \
	"$TG_TENANTS" >"$TG_POLICY"
if ! tg_cli reload >/dev/null 2>"$TG_T/err" &&
	grep -q "$TG_POLICY:4:18: port range 'tcp:9-1' is reversed" "$TG_T/err"; then
	tg_pass reload_bad_rejected_with_location
else
	tg_fail reload_bad_rejected_with_location "$(cat "$TG_T/err")"
fi
tg_event reload_bad_agent_event kind=agent op=reload verdict=deny
[ "$(gen)" = $((g0 + 1)) ] && tg_pass reload_bad_keeps_generation ||
	tg_fail reload_bad_keeps_generation "generation $(gen)"
tg_probe reload_bad_keeps_enforcing --cgroup "$G" --expect EPERM connect tcp 127.0.0.1 $port
cp "$TG_T/good.yaml" "$TG_POLICY"

# Hostile policy files: rejected quickly, agent keeps its policy.
g1=$(gen)
for kind in huge binary bomb deep empty; do
	case $kind in
	huge) rm -f "$TG_POLICY" && truncate -s 100M "$TG_POLICY" ;;
	binary) head -c 65536 /dev/urandom >"$TG_POLICY" ;;
	bomb) printf 'version: 1\na: &a [x,x,x,x,x,x,x,x,x]\nb: &b [*a,*a,*a,*a,*a,*a,*a,*a]\nc: [*b,*b,*b,*b,*b,*b,*b,*b]\n' >"$TG_POLICY" ;;
	deep) { printf 'version: 1\ntenants: '; i=0; while [ $i -lt 5000 ]; do printf '['; i=$((i + 1)); done; echo; } >"$TG_POLICY" ;;
	empty) : >"$TG_POLICY" ;;
	esac
	start=$(date +%s)
	if ! tg_cli reload >/dev/null 2>"$TG_T/err" && [ "$(gen)" = "$g1" ] &&
		[ $(($(date +%s) - start)) -le 2 ] && grep -q "^$TG_POLICY:[0-9]*:[0-9]*: " "$TG_T/err"; then
		tg_pass "reload_rejects_${kind}_policy"
	else
		tg_fail "reload_rejects_${kind}_policy" "gen $(gen), $(head -c 300 "$TG_T/err")"
	fi
done
tg_probe hostile_policies_keep_enforcing --cgroup "$G" --expect EPERM connect tcp 127.0.0.1 $port
cp "$TG_T/good.yaml" "$TG_POLICY"

# Audit and back: the very next access changes verdict.
write_policy audit
tg_cli reload >/dev/null
tg_probe audit_allows_next_access --cgroup "$G" --expect ok connect tcp 127.0.0.1 $port
tg_event audit_event kind=net verdict=audit tenant=globex target_tenant=acme port=$port
write_policy enforce
tg_cli reload >/dev/null
tg_probe enforce_again_denies_next_access --cgroup "$G" --expect EPERM connect tcp 127.0.0.1 $port

# SIGHUP reloads too.
kill -HUP "$TG_AGENT_PID"
tg_event sighup_reload kind=agent op=reload verdict=allow generation=$(( $(gen) ))

# Tenants whose cgroups appear after start: zero-config and named.
mkdir -p "$TG_TDIR/newco"
sleep 0.3
tg_probe zero_config_tenant_picked_up --cgroup "$TG_TDIR/newco" --expect EPERM \
	connect tcp 127.0.0.1 $port
tg_on_cleanup "rmdir '$TG_TDIR/newco' 2>/dev/null"
mkdir -p "$X/initech"
sleep 0.3
tg_probe named_tenant_picked_up --cgroup "$X/initech" --expect EPERM \
	connect tcp 127.0.0.1 $port

# 200 reloads under a connect loop, alternating two policies that both deny
# globex -> acme, with a bad policy every tenth time: nothing gets through,
# and every denial is stored as an event, summarised by the rate limit or
# counted as dropped.
sleep 1.5
before_events=$(tg_count_all kind=net tenant=globex verdict=deny)
before_supp=$(tg_suppressed globex)
before_denials=$(denials globex)
before_dropped=$(tg_dropped)
before_kdrops=$(tg_stat kernel_drops)
tg_loop_start
i=0 bad=0
while [ $i -lt 200 ]; do
	if [ $((i % 10)) = 5 ]; then
		printf 'version: 1\ntenants: [oops\n' >"$TG_POLICY"
		tg_cli reload >/dev/null 2>&1 && bad=$((bad + 1000))
		bad=$((bad + 1))
	fi
	if [ $((i % 2)) = 0 ]; then
		write_policy enforce
	else
		write_policy enforce "    allow_from: [initech]"
	fi
	tg_cli reload >/dev/null 2>&1 || echo "reload $i failed" >>"$TG_T/reload-errors"
	i=$((i + 1))
done
tg_loop_stop
echo "    connect loop: $res, $bad bad policies rejected"
ok=$(echo "$res" | sed 's/.* ok=\([0-9]*\).*/\1/')
other=$(echo "$res" | sed 's/.*other=\([0-9]*\).*/\1/')
if [ "$ok" = 0 ] && [ "$other" = 0 ] && [ "$eperm" -gt 0 ] && [ ! -e "$TG_T/reload-errors" ] &&
	[ "$bad" = 20 ]; then
	tg_pass reload_200_nothing_gets_through
else
	tg_fail reload_200_nothing_gets_through "$res bad=$bad $(cat "$TG_T/reload-errors" 2>/dev/null | head -n 3)"
fi
# The agent counts the denials it received; the kernel counts those its
# ring buffer could not take (a loaded machine).
n=0
while [ $n -lt 50 ]; do
	d=$(( $(denials globex) - before_denials + $(tg_stat kernel_drops) - before_kdrops ))
	[ "$d" = "$eperm" ] && break
	sleep 0.1
	n=$((n + 1))
done
if [ "$d" = "$eperm" ]; then
	tg_pass reload_200_denials_equal_failures
else
	tg_fail reload_200_denials_equal_failures "agent counted $d (with kernel drops), loop saw $eperm"
fi
# Stored events plus suppressed and dropped counts, once the agent holds
# nothing more for the collector (the rate limit's last summary included).
t=0
while [ $t -lt 60 ]; do
	sleep 1.2
	tg_drain 60
	n=$(( $(tg_count_all kind=net tenant=globex verdict=deny) - before_events ))
	s=$(( $(tg_suppressed globex) - before_supp ))
	dropped=$(( $(tg_dropped) - before_dropped ))
	[ $((n + s + dropped)) = "$eperm" ] && break
	t=$((t + 1))
done
if [ $((n + s + dropped)) = "$eperm" ]; then
	tg_pass reload_200_events_equal_failures
else
	tg_fail reload_200_events_equal_failures "$n events stored + $s suppressed + $dropped dropped for $eperm denials"
fi

tg_summary
