#!/bin/sh
# test_confirm: the two-person rule. The policy makes reload and detach
# wait (confirm: verbs, a 3 s window). A waiting request gets an id and
# exit status 3 and is an admin event with result pending; the same login
# uid, a role too low, no login uid, an unknown id, too late and policy
# files changed since the request (main file or drop-in) are refused and
# leave nothing applied; another person with the role carries it out once,
# as asked, and the events name both: the agent's reload and detach
# events name who asked (by_*) and who confirmed (confirmed_by_*) apart. SIGHUP cannot go round a waiting
# reload. A confirmed detach stops the agent and removes every pin.
# Throwaway users and groups (removed at exit); login uids are set per
# process through /proc/self/loginuid (root may).
. "$(dirname "$0")/../lib/tap.sh"
. "$(dirname "$0")/../lib/tenants.sh"

: "${TG_BIN:?}"
for c in groupadd useradd userdel groupdel setpriv; do
	if ! command -v $c >/dev/null; then
		tg_skip confirm "no $c here"
		tg_summary
		exit 0
	fi
done
if ! [ -w /proc/self/loginuid ]; then
	tg_skip confirm "no /proc/self/loginuid (kernel without audit)"
	tg_summary
	exit 0
fi
tg_env_setup || exit 1
P=tgc$$
G_SOCK=$P-sock G_V=$P-viewer G_O=$P-operator G_A=$P-admin
tg_on_cleanup "for u in ${P}v ${P}o ${P}p ${P}a ${P}b; do userdel \$u 2>/dev/null; done; for g in $G_SOCK $G_V $G_O $G_A; do groupdel \$g 2>/dev/null; done"
for g in $G_SOCK $G_V $G_O $G_A; do
	groupadd "$g" || exit 1
done
useradd -M -N -g "$G_V" -G "$G_SOCK" "${P}v" &&
	useradd -M -N -g "$G_O" -G "$G_SOCK" "${P}o" &&
	useradd -M -N -g "$G_O" -G "$G_SOCK" "${P}p" &&
	useradd -M -N -g "$G_A" -G "$G_SOCK" "${P}a" &&
	useradd -M -N -g "$G_A" -G "$G_SOCK" "${P}b" || exit 1
V=${P}v O=${P}o O2=${P}p A=${P}a A2=${P}b

TG_POLICY=$TG_T/policy.yaml
mkdir -p "$TG_T/policy.d"
# write_policy [TENANT...]: acme, globex and the tenants named; $VERBS
# wait for confirmation (default reload and detach).
write_policy()
{
	{
		printf 'version: 1\ntenants_cgroup: %s\n' "$TG_TENANTS"
		printf 'roles: {viewer: [%s], operator: [%s], admin: [%s]}\n' \
			"$G_V" "$G_O" "$G_A"
		printf 'confirm: {verbs: [%s], window: 3s}\n' "${VERBS-reload, detach}"
		printf 'tenants:\n  acme:\n  globex:\n'
		for t in "$@"; do
			printf '  %s:\n' "$t"
		done
	} >"$TG_POLICY"
}
write_policy
chmod 0711 "$TG_T"
tg_start_collector || exit 1
tg_start_agent --control-group "$G_SOCK" || exit 1
tg_wait_tenant acme || exit 1
SOCK=$TG_T/control.sock

# as LOGINUID U CMD...: CMD as user U (its groups) with that login uid
# ("-" leaves this shell's).
as()
{
	as_lu=$1 as_u=$2
	shift 2
	sh -c '[ "$1" = - ] || echo "$1" >/proc/self/loginuid || exit 99
		shift; exec "$@"' sh "$as_lu" \
		setpriv --reuid "$(id -u "$as_u")" --regid "$(id -g "$as_u")" \
		--init-groups "$TG_BIN/tenantguard" --control-socket "$SOCK" "$@"
}

# run_as NAME WANT_RC WANT_TEXT LOGINUID U ARGS...: the CLI's exit status
# and a text its output holds; the output in $out.
run_as()
{
	ra_name=$1 ra_rc=$2 ra_want=$3
	shift 3
	out=$(as "$@" 2>&1)
	ra_got=$?
	if [ "$ra_got" != "$ra_rc" ]; then
		tg_fail "$ra_name" "exit $ra_got, want $ra_rc: $out"
		return
	fi
	case "$out" in
	*"$ra_want"*) tg_pass "$ra_name" ;;
	*) tg_fail "$ra_name" "expected '$ra_want', got '$out'" ;;
	esac
}

# The request id a pending reply printed.
req_id() { echo "$out" | sed -n 's/.*tenantguard confirm \([0-9a-f]*\).*/\1/p'; }

# has_tenant T: the agent's status lists tenant T.
has_tenant() { tg_cli status --json | grep -q "\"name\":\"$1\""; }

# A reload waits: exit 3, its id, what it would change; nothing applied.
write_policy initech
sha=$(cat "$TG_POLICY" | sha256sum | cut -d' ' -f1)
run_as reload_waits 3 "pending: reload waits for a second person: someone with the operator role and a login uid other than 2001 runs: tenantguard confirm" \
	2001 "$O" reload
case "$out" in
*"tenants added: initech"*) tg_pass reload_waits_shows_changes ;;
*) tg_fail reload_waits_shows_changes "got '$out'" ;;
esac
id1=$(req_id)
if has_tenant initech; then
	tg_fail reload_not_applied_yet "initech in force before confirmation"
else
	tg_pass reload_not_applied_yet
fi
tg_event reload_pending_event kind=admin op=reload verdict=allow \
	result=pending login_uid=2001 user="$O" role=operator
if tg_cli status | grep -q "waiting:   $id1 reload by uid $(id -u "$O") (login uid 2001, $O), needs operator"; then
	tg_pass status_lists_waiting
else
	tg_fail status_lists_waiting "$(tg_cli status | grep -A3 confirm:)"
fi

# The same person, a viewer, a bad id: refused, still waiting.
ASKED="uid $(id -u "$O") (login uid 2001) asked for it"
run_as same_login_uid_refused 1 "refused: request $id1 (reload) must be confirmed by another person: $ASKED" \
	2001 "$O2" confirm "$id1"
tg_event same_login_uid_event kind=admin op=confirm verdict=deny \
	result=deny ok=false login_uid=2001 \
	error="refused: request $id1 (reload) must be confirmed by another person: $ASKED"
# The same account under another login uid (an unset one may be set once,
# by anybody): the same person.
run_as same_uid_refused 1 "refused: request $id1 (reload) must be confirmed by another person: $ASKED" \
	2009 "$O" confirm "$id1"
run_as viewer_confirm_refused 1 "refused: confirm needs the operator role; uid $(id -u "$V") ($V, login uid 2003) has viewer" \
	2003 "$V" confirm "$id1"
run_as unknown_id_refused 1 "refused: no request 0000000000000000 waits for confirmation" \
	2002 "$O2" confirm 0000000000000000
run_as confirm_usage 2 "usage: tenantguard confirm ID" 2002 "$O2" confirm
if [ "$(cat /proc/self/loginuid)" = 4294967295 ]; then
	run_as no_login_uid_confirm_refused 1 "refused: confirming needs a login uid" \
		- "$O2" confirm "$id1"
	run_as no_login_uid_request_refused 1 "refused: the caller has no login uid" \
		- "$O2" reload
else
	tg_skip no_login_uid_confirm_refused "this shell has a login uid"
	tg_skip no_login_uid_request_refused "this shell has a login uid"
fi
if has_tenant initech; then
	tg_fail refusals_apply_nothing "initech in force"
else
	tg_pass refusals_apply_nothing
fi

# Another operator confirms: the reload is carried out, once.
run_as other_operator_confirms 0 "confirmed: request $id1 (reload) asked by uid $(id -u "$O") (login uid 2001, $O)" \
	2002 "$O2" confirm "$id1"
case "$out" in
*"reloaded: generation"*"tenants added: initech"*) tg_pass confirm_prints_reload ;;
*) tg_fail confirm_prints_reload "got '$out'" ;;
esac
if has_tenant initech; then
	tg_pass confirmed_reload_applied
else
	tg_fail confirmed_reload_applied "initech not in force"
fi
tg_event confirm_event kind=admin op=confirm verdict=allow result=allow \
	ok=true login_uid=2002 user="$O2" role=operator args.id="$id1" \
	args.confirms.verb=reload args.confirms.requested_by.login_uid=2001 \
	args.confirms.requested_by.user="$O" 'args.tenants_added=["initech"]' \
	'args.tenants_removed=[]' 'args.tenants_changed=[]'
# The reload's own event names who asked and, apart, who confirmed.
tg_event confirm_reload_agent_event kind=agent op=reload verdict=allow \
	by_uid="$(id -u "$O")" by_login_uid=2001 by_comm=tenantguard \
	confirmed_by_uid="$(id -u "$O2")" confirmed_by_login_uid=2002 \
	confirmed_by="uid $(id -u "$O2") ($O2, login uid 2002)" \
	request_id="$id1" 'tenants_added=["initech"]'
tg_count_is confirm_reload_not_by_confirmer 0 kind=agent op=reload \
	by_login_uid=2002
run_as confirmed_once 1 "refused: no request $id1 waits for confirmation" \
	2003 "$A" confirm "$id1"

# The files changed after the request: refused, nothing applied.
write_policy initech umbrella
run_as reload_waits_2 3 "pending:" 2001 "$O" reload
id2=$(req_id)
write_policy initech umbrella hooli
run_as changed_main_refused 1 "the files changed since the request was made" \
	2002 "$O2" confirm "$id2"
if has_tenant umbrella || has_tenant hooli; then
	tg_fail changed_main_applies_nothing "umbrella or hooli in force"
else
	tg_pass changed_main_applies_nothing
fi
run_as reload_waits_3 3 "pending:" 2001 "$O" reload
id3=$(req_id)
printf 'version: 1\ntenants:\n  dropped:\n' >"$TG_T/policy.d/late.yaml"
run_as changed_dropin_refused 1 "the files changed since the request was made" \
	2002 "$O2" confirm "$id3"
if has_tenant dropped; then
	tg_fail changed_dropin_applies_nothing "dropped in force"
else
	tg_pass changed_dropin_applies_nothing
fi
rm -f "$TG_T/policy.d/late.yaml"

# Too late: the window is 3 s.
run_as reload_waits_4 3 "pending:" 2001 "$O" reload
id4=$(req_id)
sleep 4
run_as too_late_refused 1 "refused: request $id4 (reload) expired" \
	2002 "$O2" confirm "$id4"
if has_tenant hooli; then
	tg_fail too_late_applies_nothing "hooli in force"
else
	tg_pass too_late_applies_nothing
fi

# SIGHUP is no way round a reload that needs confirmation.
kill -HUP "$TG_AGENT_PID"
tg_event sighup_ignored kind=agent op=reload verdict=deny \
	message="SIGHUP ignored: a reload waits for a second person's confirmation (policy confirm: verbs); use tenantguard reload"
if has_tenant hooli; then
	tg_fail sighup_applies_nothing "hooli in force"
else
	tg_pass sighup_applies_nothing
fi

# detach: admin only, waits; an operator cannot confirm it, the asker
# neither; another admin does, and the agent goes with every pin.
run_as operator_detach_refused 1 "refused: detach needs the admin role" \
	2002 "$O2" detach
run_as detach_waits 3 "pending: detach waits for a second person: someone with the admin role and a login uid other than 3001" \
	3001 "$A" detach
id5=$(req_id)
run_as operator_cannot_confirm_detach 1 "refused: confirming detach needs the admin role; uid $(id -u "$O2") (login uid 2002) has operator" \
	2002 "$O2" confirm "$id5"
run_as asker_cannot_confirm_detach 1 "must be confirmed by another person" \
	3001 "$A" confirm "$id5"
if kill -0 "$TG_AGENT_PID" 2>/dev/null && [ -n "$(ls -A "$TG_PINS" 2>/dev/null)" ]; then
	tg_pass detach_not_done_yet
else
	tg_fail detach_not_done_yet "the agent or its pins are gone"
fi
run_as other_admin_confirms_detach 0 "the agent stops and removes every check and pin" \
	3002 "$A2" confirm "$id5"
if tg_wait "$TG_AGENT_PID" 10 && [ -z "$(ls -A "$TG_PINS" 2>/dev/null)" ]; then
	tg_pass confirmed_detach_done
else
	tg_fail confirmed_detach_done "agent or pins left: $(ls "$TG_PINS" 2>&1)"
fi
tg_event detach_event kind=agent op=detach verdict=allow \
	by_uid="$(id -u "$A")" by_login_uid=3001 by_comm=tenantguard \
	confirmed_by="uid $(id -u "$A2") ($A2, login uid 3002)" \
	confirmed_by_uid="$(id -u "$A2")" confirmed_by_login_uid=3002 \
	request_id="$id5"

# Where the policy makes nothing wait, an admin's detach is done at once.
VERBS= write_policy
tg_start_agent --control-group "$G_SOCK" || exit 1
run_as viewer_detach_refused 1 "refused: detach needs the admin role" \
	2003 "$V" detach
run_as detach_at_once 0 "the agent stops and removes every check and pin" \
	3001 "$A" detach
if tg_wait "$TG_AGENT_PID" && [ -z "$(ls -A "$TG_PINS" 2>/dev/null)" ]; then
	tg_pass detach_at_once_done
else
	tg_fail detach_at_once_done "agent or pins left: $(ls "$TG_PINS" 2>&1)"
fi
tg_event detach_at_once_event kind=agent op=detach verdict=allow \
	by_login_uid=3001 by_comm=tenantguard
tg_summary
