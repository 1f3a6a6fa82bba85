#!/bin/sh
# test_cli_conventions: the release, as debian/changelog's first entry
# names it, is what --version prints on the three binaries, what `status`
# shows (text and JSON) and the version label of the agent's
# tenantguard_build_info metric. COMMAND --help (or -h, anywhere before
# "--") prints that command's help with its options, exit 0; an argument
# after "--" is the workload's. --control-socket goes anywhere before
# "--", also as --control-socket=PATH. A control socket that cannot be
# reached is reported with what to check.
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

# Per-command help.
B=$TG_BIN/tenantguard
check_help()
{
	ch_name=$1 ch_want=$2
	shift 2
	rc=0
	"$B" "$@" >"$TG_T/out" 2>&1 || rc=$?
	if [ $rc = 0 ] && head -n 1 "$TG_T/out" | grep -q -- "$ch_want"; then
		tg_pass "$ch_name"
	else
		tg_fail "$ch_name" "exit $rc: $(head -n 3 "$TG_T/out")"
	fi
}
check_help help_group "^usage: tenantguard \[--control-socket PATH\] policy \.\.\.\$" policy --help
check_help help_subcommand "^usage: tenantguard \[--control-socket PATH\] policy check \.\.\.\$" policy check --json -h
check_help help_command "^usage: tenantguard \[--control-socket PATH\] events \.\.\.\$" events --since 1h --help
check_help help_unknown_command_gives_all "^usage: tenantguard COMMAND \[options\]" nosuch --help
if grep -q -- "--policy-dir DIR: the drop-in directory" "$TG_T/out"; then
	tg_fail help_only_that_command "the general help lists every option"
else
	"$B" policy check --help >"$TG_T/out" 2>&1
	if grep -q -- "--policy-dir DIR: the drop-in directory" "$TG_T/out" &&
		! grep -q "^  events" "$TG_T/out"; then
		tg_pass help_only_that_command
	else
		tg_fail help_only_that_command "$(cat "$TG_T/out")"
	fi
fi
# After "--", --help is the workload's: run goes on (and here stops at its
# own check of --uid).
rc=0
"$B" run --tenant acme -- ls --help >"$TG_T/out" 2>&1 || rc=$?
if [ $rc = 2 ] && grep -q "run: give --uid and --gid" "$TG_T/out" &&
	! grep -q "^usage" "$TG_T/out"; then
	tg_pass help_after_dashdash_is_the_workloads
else
	tg_fail help_after_dashdash_is_the_workloads "exit $rc: $(head -n 2 "$TG_T/out")"
fi
# An agent that is not there: what to check.
rc=0
"$B" --control-socket "$TG_T/none.sock" status >"$TG_T/out" 2>&1 || rc=$?
if [ $rc != 0 ] && grep -q "status: cannot reach the agent at $TG_T/none.sock: No such file or directory; is tenantguard-agent running? (systemctl status tenantguard-agent" "$TG_T/out"; then
	tg_pass unreachable_says_what_to_check
else
	tg_fail unreachable_says_what_to_check "exit $rc: $(cat "$TG_T/out")"
fi

tg_start_collector || exit 1
tg_start_agent --metrics-file "$TG_T/agent.prom" || exit 1
CLI="$TG_BIN/tenantguard --control-socket $TG_T/control.sock"
if $CLI status --json | grep -q "\"version\": *\"$want\""; then
	tg_pass status_json_version
else
	tg_fail status_json_version "$($CLI status --json 2>&1 | head -n 5)"
fi
# --control-socket anywhere before --, also as --opt=value.
if "$B" status --control-socket "$TG_T/control.sock" --json | grep -q "\"version\"" &&
	"$B" status --json --control-socket="$TG_T/control.sock" | grep -q "\"version\""; then
	tg_pass control_socket_any_position
else
	tg_fail control_socket_any_position "$("$B" status --control-socket="$TG_T/control.sock" 2>&1 | head -n 2)"
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
