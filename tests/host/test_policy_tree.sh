#!/bin/sh
# test_policy_tree: the policy tree as the agent reads it by default
# (/etc/tenantguard/policy.yaml and policy.d, here a directory of the test's
# bound over /etc/tenantguard in the agent's own mount namespace). Without
# policy.yaml the agent runs the built-in policy and says that the drop-ins
# go unread; a reload then reloads the built-in policy, and once
# policy.yaml exists it is refused with what to do (a restart), never
# passed off as the file's; files of policy.d not named *.yaml are warned
# about at start, at reload (in the reply and the event) and by `policy
# check`, which checks the same tree with the agent's option names (text
# and --json). A valid but dangerous policy is warned about, an error with
# --strict.
. "$(dirname "$0")/../lib/tap.sh"
. "$(dirname "$0")/../lib/tenants.sh"

: "${TG_BIN:?}"
tg_env_setup || exit 1
if ! command -v unshare >/dev/null; then
	tg_skip policy_tree "no unshare(1) here"
	tg_summary
	exit
fi
E=$TG_T/etc
mkdir -p "$E/policy.d"
# The mount point; made for the test (and removed after) where missing.
if [ ! -d /etc/tenantguard ]; then
	mkdir /etc/tenantguard && tg_on_cleanup "rmdir /etc/tenantguard"
fi
CLI="$TG_BIN/tenantguard --control-socket $TG_T/control.sock"
cat >"$E/policy.d/globex.yml" <<YAML
version: 1
tenants:
  globex: {}
YAML
touch "$E/policy.d/acme.yaml.dpkg-dist"
tg_start_collector || exit 1

# start: the agent with no --policy, /etc/tenantguard being $E.
start()
{
	rm -f "$TG_T/agent.err"
	unshare -m sh -c "mount --bind '$E' /etc/tenantguard &&
		exec '$TG_BIN/tenantguard-agent' --event-socket '$TG_SOCK' \
		--control-socket '$TG_T/control.sock' --pin-dir '$TG_PINS' \
		--spool-dir '$TG_T/spool' --state-dir '$TG_T/state' \
		--collector-user '${TG_COLLECTOR_USER:-root}' \
		--tenants-cgroup '$TG_TENANTS' --paths-root '$TG_SRV'" \
		2>"$TG_T/agent.err" &
	TG_AGENT_PID=$!
	tg_track $TG_AGENT_PID
	tg_wait_file_grep "$TG_T/agent.err" "enforcing for" 60
}
tg_wait_file_grep()
{
	w=0
	until grep -q "$2" "$1" 2>/dev/null; do
		w=$((w + 1))
		[ "$w" -gt $(($3 * 10)) ] && return 1
		kill -0 "$TG_AGENT_PID" 2>/dev/null || return 1
		sleep 0.1
	done
}

if start && grep -q "warning: /etc/tenantguard/policy.d: 2 file(s) not read: drop-ins complete /etc/tenantguard/policy.yaml, which does not exist; the built-in policy is in force" "$TG_T/agent.err"; then
	tg_pass builtin_dropins_unread_warned
else
	tg_fail builtin_dropins_unread_warned "$(tail -n 5 "$TG_T/agent.err")"
fi
# No file yet: the built-in policy again, said with its warning.
rc=0
$CLI reload >"$TG_T/out" 2>&1 || rc=$?
if [ $rc = 0 ] && grep -q "^reloaded: generation" "$TG_T/out" &&
	grep -q "warning: /etc/tenantguard/policy.d: 2 file(s) not read" "$TG_T/out"; then
	tg_pass builtin_reload_warns
else
	tg_fail builtin_reload_warns "exit $rc: $(cat "$TG_T/out")"
fi
# The file appears: a reload cannot switch, and says so.
cat >"$E/policy.yaml" <<YAML
version: 1
tenants_cgroup: $TG_TENANTS
tenants:
  acme:
    paths: [$TG_SRV/acme]
YAML
rc=0
$CLI reload >"$TG_T/out" 2>&1 || rc=$?
if [ $rc = 1 ] &&
	grep -q "policy: /etc/tenantguard/policy.yaml exists now, but this agent started without it and runs the built-in policy (zero-config tenants below $TG_SRV), which a reload cannot leave: restart the agent to use the file" "$TG_T/out" &&
	grep -q "reload rejected; generation [0-9]* stays in force" "$TG_T/out" &&
	! grep -q "^reloaded" "$TG_T/out"; then
	tg_pass builtin_reload_refused_once_file_exists
else
	tg_fail builtin_reload_refused_once_file_exists "exit $rc: $(cat "$TG_T/out")"
fi
tg_event builtin_reload_refused_event kind=agent op=reload verdict=deny
tg_stop_agent >/dev/null 2>&1

# With the file: what policy.d holds that is not read, warned about.
if start && grep -q "warning: /etc/tenantguard/policy.d/globex.yml: skipped: only files named \*.yaml are read as drop-ins (rename it to end in .yaml)" "$TG_T/agent.err" &&
	grep -q "warning: /etc/tenantguard/policy.d/acme.yaml.dpkg-dist: skipped" "$TG_T/agent.err" &&
	grep -q "policy /etc/tenantguard/policy.yaml" "$TG_T/agent.err"; then
	tg_pass file_skipped_dropins_warned
else
	tg_fail file_skipped_dropins_warned "$(grep -i "warning\|policy" "$TG_T/agent.err" | head -n 5)"
fi
rc=0
$CLI reload >"$TG_T/out" 2>&1 || rc=$?
if [ $rc = 0 ] && grep -q "^reloaded: generation" "$TG_T/out" &&
	grep -q "warning: /etc/tenantguard/policy.d/globex.yml: skipped" "$TG_T/out"; then
	tg_pass reload_warns_skipped
else
	tg_fail reload_warns_skipped "exit $rc: $(cat "$TG_T/out")"
fi
tg_event reload_allowed_event kind=agent op=reload verdict=allow
if grep '"op":"reload"' "$TG_LOG" | grep '"verdict":"allow"' |
	grep '"warnings":\[' | grep -q 'acme.yaml.dpkg-dist: skipped.*globex.yml: skipped'; then
	tg_pass reload_warnings_in_event
else
	tg_fail reload_warnings_in_event "$(grep '"op":"reload"' "$TG_LOG" | tail -n 1)"
fi
# --json: the agent's reply as it is.
rc=0
$CLI reload --json >"$TG_T/out" 2>&1 || rc=$?
if [ $rc = 0 ] && grep -q '"ok":true,"generation":[0-9]*,' "$TG_T/out" && grep -q '"warnings":\[' "$TG_T/out"; then
	tg_pass reload_json
else
	tg_fail reload_json "exit $rc: $(cat "$TG_T/out")"
fi
# Renamed: read, no warning left for it.
mv "$E/policy.d/globex.yml" "$E/policy.d/globex.yaml"
rc=0
$CLI reload >"$TG_T/out" 2>&1 || rc=$?
if [ $rc = 0 ] && grep -q "tenants added: globex" "$TG_T/out" &&
	! grep -q "globex.yml" "$TG_T/out"; then
	tg_pass renamed_dropin_read
else
	tg_fail renamed_dropin_read "exit $rc: $(cat "$TG_T/out")"
fi
tg_stop_agent >/dev/null 2>&1

# policy check: the same tree by the agent's option names.
mv "$E/policy.d/globex.yaml" "$E/policy.d/globex.yml"
rc=0
"$TG_BIN/tenantguard" policy check --policy "$E/policy.yaml" \
	--policy-dir "$E/policy.d" >"$TG_T/out" 2>&1 || rc=$?
if [ $rc = 0 ] && grep -q "^$E/policy.yaml: ok: version 1, mode enforce, tenants_cgroup $TG_TENANTS, 1 tenants" "$TG_T/out" &&
	grep -q "^warning: $E/policy.d/globex.yml: skipped: only files named \*.yaml are read as drop-ins (rename it to end in .yaml)" "$TG_T/out"; then
	tg_pass check_tree_warns
else
	tg_fail check_tree_warns "exit $rc: $(cat "$TG_T/out")"
fi
rc=0
"$TG_BIN/tenantguard" policy check --json --policy "$E/policy.yaml" \
	--policy-dir "$E/policy.d" >"$TG_T/out" 2>&1 || rc=$?
if [ $rc = 0 ] && grep -q "^{\"policy\":\"$E/policy.yaml\",\"ok\":true,\"errors\":\[\],\"warnings\":\[{\"message\":\"$E/policy.d/" "$TG_T/out" &&
	grep -q "globex.yml: skipped" "$TG_T/out"; then
	tg_pass check_tree_json
else
	tg_fail check_tree_json "exit $rc: $(cat "$TG_T/out")"
fi
# An error in the tree: located, in JSON too, exit 1.
printf 'version: 1\ntenants:\n  globex: {pathz: [/x]}\n' >"$E/policy.d/bad.yaml"
rc=0
"$TG_BIN/tenantguard" policy check --json --policy "$E/policy.yaml" \
	--policy-dir "$E/policy.d" >"$TG_T/out" 2>&1 || rc=$?
if [ $rc = 1 ] && grep -q "\"ok\":false,\"errors\":\[{\"file\":\"$E/policy.d/bad.yaml\",\"line\":3,\"column\":[0-9]*,\"message\":\"[^\"]*pathz" "$TG_T/out"; then
	tg_pass check_tree_json_error_located
else
	tg_fail check_tree_json_error_located "exit $rc: $(cat "$TG_T/out")"
fi
# Without the file: what the agent would do.
rc=0
"$TG_BIN/tenantguard" policy check --policy "$E/none.yaml" \
	--policy-dir "$E/policy.d" >"$TG_T/out" 2>&1 || rc=$?
if [ $rc = 0 ] && grep -q "^no $E/none.yaml: the agent would run the built-in policy" "$TG_T/out" &&
	grep -q "^warning: $E/policy.d: 3 file(s) not read" "$TG_T/out"; then
	tg_pass check_tree_builtin
else
	tg_fail check_tree_builtin "exit $rc: $(cat "$TG_T/out")"
fi
# Valid but dangerous: warned about, errors with --strict.
printf 'version: 1\ntenants:\n  acme: {paths: [/etc]}\n' >"$TG_T/danger.yaml"
rc=0
"$TG_BIN/tenantguard" policy check "$TG_T/danger.yaml" >"$TG_T/out" 2>&1 || rc=$?
if [ $rc = 0 ] && grep -q "^warning: $TG_T/danger.yaml:3:3: tenant 'acme' owns /etc, which the host runs from: every other tenant loses it" "$TG_T/out" &&
	grep -q ": ok:" "$TG_T/out"; then
	tg_pass check_dangerous_warned
else
	tg_fail check_dangerous_warned "exit $rc: $(cat "$TG_T/out")"
fi
rc=0
"$TG_BIN/tenantguard" policy check --strict "$TG_T/danger.yaml" >"$TG_T/out" 2>&1 || rc=$?
if [ $rc = 1 ] && grep -q "^error (--strict): $TG_T/danger.yaml:3:3: tenant 'acme' owns /etc" "$TG_T/out" &&
	! grep -q ": ok:" "$TG_T/out"; then
	tg_pass check_strict_fails
else
	tg_fail check_strict_fails "exit $rc: $(cat "$TG_T/out")"
fi
# Bad usage: --json was once taken for a file; FILE with --policy refused.
rc=0
"$TG_BIN/tenantguard" policy check --policy "$E/policy.yaml" "$E/policy.yaml" \
	>"$TG_T/out" 2>&1 || rc=$?
if [ $rc = 2 ] && grep -q "no FILE with them" "$TG_T/out"; then
	tg_pass check_file_and_tree_refused
else
	tg_fail check_file_and_tree_refused "exit $rc: $(cat "$TG_T/out")"
fi
rc=0
"$TG_BIN/tenantguard" policy check --jsn "$E/policy.yaml" >"$TG_T/out" 2>&1 || rc=$?
if [ $rc = 2 ] && grep -q "policy check: bad option '--jsn'" "$TG_T/out"; then
	tg_pass check_bad_option
else
	tg_fail check_bad_option "exit $rc: $(cat "$TG_T/out")"
fi

tg_summary
