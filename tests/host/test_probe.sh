#!/bin/sh
# test_probe: `tenantguard probe` says, feature by feature, what this kernel
# would enforce, and what the agent then does enforce agrees with it: each
# backend the probe names is the one the agent picks (file, net, unix,
# proc), and what it finds missing (socket families, host listeners,
# self-protection) the agent reports unenforced. Everything short of
# enforced says what to change. With an agent running, probe shows what is
# in force now too. Bad usage: exit 2.
. "$(dirname "$0")/../lib/tap.sh"
. "$(dirname "$0")/../lib/tenants.sh"

: "${TG_BIN:?}"
tg_env_setup || exit 1
B="$TG_BIN/tenantguard --control-socket $TG_T/control.sock"
# field JSON FEATURE KEY: KEY of FEATURE's entry in probe --json's kernel.
field()
{
	echo "$1" | tr '{' '\n' | grep "\"feature\":\"$2\"" |
		sed -n "s/.*\"$3\":\"\([^\"]*\)\".*/\1/p"
}

rc=0
p=$($B probe --json 2>"$TG_T/err") || rc=$?
missing=""
for f in file net net:families unix proc guard net:host_listeners \
	run:seccomp_events run:cgroup_from_start run:proc_subset; do
	[ -n "$(field "$p" "$f" backend)" ] || missing="$missing $f"
done
if [ $rc = 0 ] && [ -z "$missing" ] && ! echo "$p" | grep -q agent_backends; then
	tg_pass probe_every_feature
else
	tg_fail probe_every_feature "exit $rc, missing:$missing: $p $(cat "$TG_T/err")"
fi
# Short of enforced: why, and what to change.
bad=""
for f in file unix proc guard net:families net:host_listeners; do
	b=$(field "$p" "$f" backend)
	if [ "$b" = none ] || [ "$b" = fanotify ]; then
		[ -n "$(field "$p" "$f" detail)" ] && [ -n "$(field "$p" "$f" to_get_it)" ] ||
			bad="$bad $f"
	fi
done
if [ -z "$bad" ]; then
	tg_pass probe_says_what_to_change
else
	tg_fail probe_says_what_to_change "no detail or fix for:$bad: $p"
fi
if grep -qs bpf /sys/kernel/security/lsm; then
	if [ "$(field "$p" file backend)" = bpf-lsm ] && [ "$(field "$p" unix backend)" = bpf-lsm ]; then
		tg_pass probe_bpf_lsm_here
	else
		tg_fail probe_bpf_lsm_here "$p"
	fi
fi

tg_start_collector || exit 1
tg_start_agent || exit 1
rc=0
p=$($B probe --json 2>"$TG_T/err") || rc=$?
ab=$(echo "$p" | sed -n 's/.*"agent_backends":{\([^}]*\)}.*/\1/p')
un=$(echo "$p" | sed -n 's/.*"agent_unenforced":\[\([^]]*\)\].*/\1/p')
diff=""
for f in file net unix proc; do
	got=$(echo "$ab" | tr ',' '\n' | sed -n "s/^\"$f\":\"\(.*\)\"$/\1/p")
	[ "$got" = "$(field "$p" "$f" backend)" ] ||
		diff="$diff $f: probe $(field "$p" "$f" backend), agent $got;"
done
for f in net:families net:host_listeners guard; do
	probe_none=0 agent_none=0
	[ "$(field "$p" "$f" backend)" = none ] && probe_none=1
	echo "$un" | grep -q "\"$f\"" && agent_none=1
	[ $probe_none = $agent_none ] ||
		diff="$diff $f: probe says unenforced=$probe_none, agent $agent_none;"
done
if [ $rc = 0 ] && [ -n "$ab" ] && [ -z "$diff" ]; then
	tg_pass probe_agrees_with_agent
else
	tg_fail probe_agrees_with_agent "exit $rc:$diff $p"
fi
if $B probe | grep -q "^agent: in force now: file "; then
	tg_pass probe_text_in_force_now
else
	tg_fail probe_text_in_force_now "$($B probe 2>&1 | tail -n 3)"
fi
rc=0
$B probe --jsn >/dev/null 2>"$TG_T/err" || rc=$?
if [ $rc = 2 ] && grep -q "probe: bad option '--jsn'" "$TG_T/err"; then
	tg_pass probe_bad_option
else
	tg_fail probe_bad_option "exit $rc: $(cat "$TG_T/err")"
fi

tg_summary
