#!/bin/sh
# test_grant: grants, through the agent and the kernel's network programs.
# A support actor (login uid 4242) is refused a tenant's port before any
# grant; it files a request (an event), the tenant's approver signs it, the
# agent activates it: then exactly the granted op (connect) to exactly that
# tenant is allowed, each connect an allow event naming the grant; another
# tenant, another login uid's access, and ops not granted stay refused.
# Replayed, edited, forged and wrong-key approvals are refused with an
# event; revocation refuses at once and kills the grant's session; a short
# grant ends at its deadline, also with the agent killed across it; a grant
# of read-only ops allows no connect. Files and processes: test_grant_lsm in
# the guests.
. "$(dirname "$0")/../lib/tap.sh"
. "$(dirname "$0")/../lib/tenants.sh"
. "$(dirname "$0")/../lib/net.sh"
. "$(dirname "$0")/../lib/support.sh"

: "${TG_BIN:?}"
tg_net_setup || exit 1
CLI="$TG_BIN/tenantguard --control-socket $TG_T/control.sock"

tg_need_login_uid grant

K=$TG_T/keys
mkdir -p "$K" && chmod 700 "$K"
"$TG_BIN/tenantguard" grant keygen --out "$K/a1" >"$K/a1.pub" || exit 1
"$TG_BIN/tenantguard" grant keygen --out "$K/a2" >"$K/a2.pub" || exit 1
"$TG_BIN/tenantguard" grant keygen --out "$K/x" >"$K/x.pub" || exit 1
A1=$(cat "$K/a1.pub") A2=$(cat "$K/a2.pub")

TG_POLICY=$TG_T/policy.yaml
mkdir -p "$TG_T/policy.d"
cat >"$TG_POLICY" <<EOF
version: 1
tenants_cgroup: $TG_TENANTS
support:
  login_uids: [4242, 4300]
tenants:
  acme:
    paths: [$TG_SRV/acme]
    approvers:
      keys: [$A1, $A2]
      need: 1
  globex:
    paths: [$TG_SRV/globex]
EOF
tg_start_collector || {
	tg_fail collector_starts "$(tail -n 3 "$TG_T/collector.err" | tr '\n' ' ')"
	exit 1
}
fileopt=""
grep -qs bpf /sys/kernel/security/lsm || fileopt="--file-backend fanotify"
# shellcheck disable=SC2086 # fileopt: no option or one
tg_start_agent $fileopt --event-log "$TG_LOG" || {
	tg_fail agent_starts "$(tail -n 3 "$TG_T/agent.err" | tr '\n' ' ')"
	exit 1
}
tg_wait_tenant acme || exit 1

PA=$base PG=$((base + 1)) PH=$((base + 2))
tg_listen "$A" tcp 127.0.0.1 $PA
tg_listen "$G" tcp 127.0.0.1 $PG
tg_listen host udp 127.0.0.1 $PH

# The host's datagrams stay the support actor's (its sockets are the
# host's, never held by a tenant's rules), with or without a grant.
tg_probe support_udp_to_host_allowed --login-uid 4242 --expect ok sendto udp 127.0.0.1 $PH

tg_probe before_grant_refused --login-uid 4242 --expect EPERM connect tcp 127.0.0.1 $PA

# request: support staff only; bad input named.
# request NAME FILE ARGS...: a request by login uid 4242 into FILE.
req()
{
	rq_name=$1 rq_file=$2
	shift 2
	if out=$(as 4242 $CLI grant request --tenant acme --out "$rq_file" "$@" 2>&1) &&
		[ -s "$rq_file" ]; then
		tg_pass "$rq_name"
	else
		tg_fail "$rq_name" "$out"
	fi
}
req request_made "$TG_T/r1" --ops connect --for 1h --reason "ticket 1"
ID1=$(grep -o '"id":"[0-9a-f]*"' "$TG_T/r1" | cut -d'"' -f4)
tg_event request_event kind=grant op=requested target_tenant=acme grant="$ID1" \
	login_uid=4242 by_login_uid=4242 reason="ticket 1"
if out=$($CLI grant request --tenant acme --ops connect --for 1h --reason x \
	--out "$TG_T/r-host" 2>&1); then
	tg_fail request_by_non_support_refused "accepted: $out"
else
	case "$out" in
	*"only support staff"*) tg_pass request_by_non_support_refused ;;
	*) tg_fail request_by_non_support_refused "$out" ;;
	esac
fi
tg_event request_refused_event kind=grant op=refused verdict=deny request=grant-request
# expect_refused NAME TEXT CMD...
expect_refused()
{
	er_name=$1 er_text=$2
	shift 2
	if out=$("$@" 2>&1); then
		tg_fail "$er_name" "accepted: $out"
	else
		case "$out" in
		*"$er_text"*) tg_pass "$er_name" ;;
		*) tg_fail "$er_name" "$out" ;;
		esac
	fi
}
expect_refused request_too_long "a duration of 1s to 28800s" \
	as 4242 $CLI grant request --tenant acme --ops connect --for 9h --reason x --out "$TG_T/rx"
expect_refused request_bad_op "unknown op" \
	as 4242 $CLI grant request --tenant acme --ops fly --for 1h --reason x --out "$TG_T/rx"
expect_refused request_no_approvers "lists no approvers" \
	as 4242 $CLI grant request --tenant globex --ops connect --for 1h --reason x --out "$TG_T/rx"
expect_refused request_unknown_tenant "no tenant 'nobody'" \
	as 4242 $CLI grant request --tenant nobody --ops connect --for 1h --reason x --out "$TG_T/rx"

"$TG_BIN/tenantguard" grant approve "$TG_T/r1" --key "$K/a1" >"$TG_T/ap1" || tg_fail approve "$?"
"$TG_BIN/tenantguard" grant approve "$TG_T/r1" --key "$K/x" >"$TG_T/apx" || tg_fail approve_x "$?"
# An approval edited (its expiry moved): the signature no longer holds.
sed 's/"expires":\([0-9]*\)/"expires":\1/; s/"expires":\([0-9]\)/"expires":9/' "$TG_T/ap1" >"$TG_T/ap-edited"

expect_refused wrong_key_refused "unknown" $CLI grant activate "$TG_T/r1" "$TG_T/apx"
tg_event wrong_key_event kind=grant op=refused grant="$ID1" request=grant-activate
expect_refused edited_approval_refused "refused" $CLI grant activate "$TG_T/r1" "$TG_T/ap-edited"
# The request edited (another op): the approval is over other bytes.
sed 's/"ops":\["connect"\]/"ops":["connect","read"]/' "$TG_T/r1" >"$TG_T/r1-wider"
expect_refused widened_request_refused "other request" $CLI grant activate "$TG_T/r1-wider" "$TG_T/ap1"
tg_probe still_refused --login-uid 4242 --expect EPERM connect tcp 127.0.0.1 $PA

if out=$($CLI grant activate "$TG_T/r1" "$TG_T/ap1" 2>&1); then
	tg_pass activated
else
	tg_fail activated "$out"
fi
tg_event activated_event kind=grant op=activated grant="$ID1" login_uid=4242 \
	target_tenant=acme
if grep '"op":"activated"' "$TG_LOG" | grep -qF "\"approvers\":[\"$A1\"]"; then
	tg_pass activated_names_approver
else
	tg_fail activated_names_approver "$(grep '"op":"activated"' "$TG_LOG" | tail -n 1)"
fi
expect_refused replay_refused "replayed" $CLI grant activate "$TG_T/r1" "$TG_T/ap1"

# Under the grant: each connect allowed, each an allow event naming it.
n0=$(tg_count kind=net op=connect verdict=allow grant="$ID1")
for i in 1 2 3 4 5; do
	tg_probe "granted_connect_$i" --login-uid 4242 --expect ok connect tcp 127.0.0.1 $PA
done
sleep 1
tg_count_is every_granted_connect_logged $((n0 + 5)) kind=net op=connect \
	verdict=allow grant="$ID1" actor=support login_uid=4242 target_tenant=acme
tg_probe other_tenant_still_refused --login-uid 4242 --expect EPERM connect tcp 127.0.0.1 $PG
tg_probe other_support_still_refused --login-uid 4300 --expect EPERM connect tcp 127.0.0.1 $PA
tg_probe granted_udp_allowed --login-uid 4242 --expect ok sendto udp 127.0.0.1 $PA
# status: what is in force, and what a grant opens on this kernel.
if grep -qs bpf /sys/kernel/security/lsm; then
	want_opens="connect to tenants' ports, unix sockets, files, processes"
else
	want_opens="connect to tenants' ports\$"
fi
if $CLI status | grep -q "^grants: *1 in force, 0 session(s); a grant opens $want_opens"; then
	tg_pass status_grants
else
	tg_fail status_grants "$($CLI status | grep -i grant)"
fi
if $CLI grant list | grep -q "^$ID1 active tenant acme login uid 4242"; then
	tg_pass grant_listed
else
	tg_fail grant_listed "$($CLI grant list 2>&1)"
fi

# A session bound to the grant: killed at revocation.
as 4242 $CLI grant shell "$ID1" -- sleep 300 2>"$TG_T/shell.err" &
shell=$!
tg_track $shell
n=0
until grep -q "session" "$TG_T/shell.err" 2>/dev/null || [ $n -gt 50 ]; do
	n=$((n + 1))
	sleep 0.1
done
tg_event session_event kind=grant op=session grant="$ID1"
expect_refused shell_by_other_refused "own holder" as 4300 $CLI grant shell "$ID1" -- true
expect_refused revoke_by_other_support_refused "an operator, or the grant's own holder" \
	as 4300 $CLI grant revoke "$ID1"
if out=$($CLI grant revoke "$ID1" 2>&1); then
	tg_pass revoked
else
	tg_fail revoked "$out"
fi
tg_probe refused_after_revoke --login-uid 4242 --expect EPERM connect tcp 127.0.0.1 $PA
tg_event revoked_event kind=grant op=revoked grant="$ID1" sessions_killed=1
n=0
while kill -0 $shell 2>/dev/null && [ $n -lt 50 ]; do
	n=$((n + 1))
	sleep 0.1
done
if kill -0 $shell 2>/dev/null; then
	tg_fail session_killed_at_revoke "pid $shell runs"
else
	tg_pass session_killed_at_revoke
fi

# approve_activate FILE: approve request FILE with a1, activate it.
approve_activate()
{
	"$TG_BIN/tenantguard" grant approve "$1" --key "$K/a1" >"$1.ap" &&
		$CLI grant activate "$1" "$1.ap" >/dev/null
}
# Read only: no connect.
req request_read "$TG_T/r2" --ops read --for 1h --reason "ticket 2"
ID2=$(grep -o '"id":"[0-9a-f]*"' "$TG_T/r2" | cut -d'"' -f4)
approve_activate "$TG_T/r2" || tg_fail activated_read "$?"
tg_probe read_grant_no_connect --login-uid 4242 --expect EPERM connect tcp 127.0.0.1 $PA
# The tenant revokes it, signed with an approver key; anyone may hand the
# revocation over. A key not the tenant's, an edited one, another grant's:
# refused.
"$TG_BIN/tenantguard" grant revoke-sign "$ID2" --tenant acme --key "$K/x" >"$TG_T/rv-x"
expect_refused signed_revoke_wrong_key "not one of tenant acme's approver keys" \
	as 4300 $CLI grant revoke "$ID2" --signed "$TG_T/rv-x"
"$TG_BIN/tenantguard" grant revoke-sign "$ID2" --tenant acme --key "$K/a2" >"$TG_T/rv"
sed 's/"created":\([0-9]*\)/"created":1\1/' "$TG_T/rv" >"$TG_T/rv-edited"
expect_refused signed_revoke_edited "does not verify" \
	as 4300 $CLI grant revoke "$ID2" --signed "$TG_T/rv-edited"
"$TG_BIN/tenantguard" grant revoke-sign "$ID1" --tenant acme --key "$K/a2" >"$TG_T/rv-1"
expect_refused signed_revoke_other_grant "it is of grant $ID1 of tenant acme, not of grant $ID2" \
	as 4300 $CLI grant revoke "$ID2" --signed "$TG_T/rv-1"
if out=$(as 4300 $CLI grant revoke "$ID2" --signed "$TG_T/rv" 2>&1); then
	tg_pass signed_revoke
else
	tg_fail signed_revoke "$out"
fi
tg_event signed_revoke_event kind=grant op=revoked grant="$ID2" by_tenant_key="$A2"

# A scope that leads out of the tenant's tree (a link it planted) is
# refused at activation; one inside it is taken.
ln -s "$TG_SRV/globex" "$TG_SRV/acme/out"
mkdir -p "$TG_SRV/acme/db"
req request_scope_link "$TG_T/r6" --ops read --path "$TG_SRV/acme/out" --for 1h --reason "ticket 6"
"$TG_BIN/tenantguard" grant approve "$TG_T/r6" --key "$K/a1" >"$TG_T/r6.ap"
expect_refused scope_through_link_refused "not below any of tenant acme's paths" \
	$CLI grant activate "$TG_T/r6" "$TG_T/r6.ap"
req request_scope "$TG_T/r7" --ops read --path "$TG_SRV/acme/db" --for 1h --reason "ticket 7"
ID7=$(grep -o '"id":"[0-9a-f]*"' "$TG_T/r7" | cut -d'"' -f4)
if approve_activate "$TG_T/r7"; then
	tg_pass scope_inside_taken
else
	tg_fail scope_inside_taken "not activated"
fi
tg_event scoped_activated_event kind=grant op=activated grant="$ID7"
$CLI grant revoke "$ID7" >/dev/null

# A short grant: allowed, then refused at its deadline.
req request_short "$TG_T/r3" --ops connect --for 3s --reason "ticket 3"
ID3=$(grep -o '"id":"[0-9a-f]*"' "$TG_T/r3" | cut -d'"' -f4)
approve_activate "$TG_T/r3" || tg_fail activated_short "$?"
tg_probe short_allowed --login-uid 4242 --expect ok connect tcp 127.0.0.1 $PA
sleep 3.5
tg_probe short_refused_after_deadline --login-uid 4242 --expect EPERM connect tcp 127.0.0.1 $PA
tg_event expired_event kind=grant op=expired grant="$ID3"

# Break-glass: no approval, but a second person (another login uid) must
# confirm; at most an hour; told as break_glass.
out=$(as 4500 $CLI grant break-glass --tenant acme --ops connect --for 30s \
	--reason "outage 7" --login-uid 4242 2>&1)
rc=$?
BG=$(printf '%s' "$out" | grep -o 'confirm [0-9a-f]*' | head -n 1 | cut -d' ' -f2)
if [ $rc = 3 ] && [ -n "$BG" ]; then
	tg_pass break_glass_waits
else
	tg_fail break_glass_waits "exit $rc: $out"
fi
tg_probe break_glass_not_before_confirm --login-uid 4242 --expect EPERM connect tcp 127.0.0.1 $PA
expect_refused break_glass_self_confirm_refused "must be confirmed by another person" \
	as 4500 $CLI confirm "$BG"
expect_refused break_glass_support_confirm_refused "support) has no role" \
	as 4242 $CLI confirm "$BG"
if out=$(as 4501 $CLI confirm "$BG" 2>&1); then
	tg_pass break_glass_confirmed
else
	tg_fail break_glass_confirmed "$out"
fi
tg_event break_glass_event kind=grant op=break_glass target_tenant=acme \
	login_uid=4242 requested_by_login_uid=4500 confirmed_by_login_uid=4501 \
	reason="outage 7"
tg_probe break_glass_allowed --login-uid 4242 --expect ok connect tcp 127.0.0.1 $PA
BGID=$($CLI grant list | awk '$2 == "active" { print $1 }')
$CLI grant revoke "$BGID" >/dev/null
tg_probe break_glass_revoked --login-uid 4242 --expect EPERM connect tcp 127.0.0.1 $PA
as 4500 $CLI grant break-glass --tenant acme --ops connect --for 2h \
	--reason "too long" --login-uid 4242 >"$TG_T/bg2" 2>&1
BG2=$(grep -o 'confirm [0-9a-f]*' "$TG_T/bg2" | head -n 1 | cut -d' ' -f2)
expect_refused break_glass_over_an_hour_refused "break-glass lasts 1s to 3600s" \
	as 4501 $CLI confirm "$BG2"

# Approver keys change only by the tenant: enrolled from the policy at
# first; a policy with other keys is refused until an update approved by
# the enrolled keys enrols them.
X=$(cat "$K/x.pub")
tg_event approvers_enrolled kind=grant op=approvers_enrolled target_tenant=acme how=policy
cp "$TG_POLICY" "$TG_T/policy.orig"
sed "s|keys: \[$A1, $A2\]|keys: [$A1, $X]|" "$TG_T/policy.orig" >"$TG_POLICY"
expect_refused policy_other_approvers_refused "approvers differ from the 2 key(s) (need 1) enrolled" \
	$CLI reload
"$TG_BIN/tenantguard" grant approvers-update --tenant acme --keys "$A1,$X" --need 1 >"$TG_T/upd"
"$TG_BIN/tenantguard" grant approve "$TG_T/upd" --key "$K/x" >"$TG_T/upd-x"
expect_refused update_by_new_key_refused "not one of tenant 'acme''s approvers" \
	$CLI grant approvers-set "$TG_T/upd" "$TG_T/upd-x"
sed 's/"need":1/"need":2/' "$TG_T/upd" >"$TG_T/upd-edited"
"$TG_BIN/tenantguard" grant approve "$TG_T/upd" --key "$K/a2" >"$TG_T/upd-a2"
expect_refused update_edited_refused "approves other request bytes" \
	$CLI grant approvers-set "$TG_T/upd-edited" "$TG_T/upd-a2"
if out=$($CLI grant approvers-set "$TG_T/upd" "$TG_T/upd-a2" 2>&1); then
	tg_pass update_by_enrolled_key
else
	tg_fail update_by_enrolled_key "$out"
fi
tg_event approvers_changed kind=grant op=approvers_changed target_tenant=acme how=update
if out=$($CLI reload 2>&1); then
	tg_pass policy_new_approvers_accepted
else
	tg_fail policy_new_approvers_accepted "$out"
fi
# The old key approves nothing now; the new one does.
req request_after_update "$TG_T/r5" --ops connect --for 1h --reason "ticket 5"
"$TG_BIN/tenantguard" grant approve "$TG_T/r5" --key "$K/a2" >"$TG_T/r5-a2"
expect_refused old_key_refused "unknown-key" $CLI grant activate "$TG_T/r5" "$TG_T/r5-a2"
"$TG_BIN/tenantguard" grant approve "$TG_T/r5" --key "$K/x" >"$TG_T/r5-x"
if out=$($CLI grant activate "$TG_T/r5" "$TG_T/r5-x" 2>&1); then
	tg_pass new_key_approves
	$CLI grant revoke "$(grep -o '"id":"[0-9a-f]*"' "$TG_T/r5" | cut -d'"' -f4)" >/dev/null
else
	tg_fail new_key_approves "$out"
fi

# The agent killed across the deadline: the kernel ends the grant alone.
req request_killed "$TG_T/r4" --ops connect --for 3s --reason "ticket 4"
ID4=$(grep -o '"id":"[0-9a-f]*"' "$TG_T/r4" | cut -d'"' -f4)
approve_activate "$TG_T/r4" || tg_fail activated_killed "$?"
tg_probe killed_allowed_before --login-uid 4242 --expect ok connect tcp 127.0.0.1 $PA
kill -KILL "$TG_AGENT_PID"
tg_wait "$TG_AGENT_PID"
tg_probe agent_down_allowed_before_deadline --login-uid 4242 --expect ok connect tcp 127.0.0.1 $PA
sleep 3.5
tg_probe agent_down_refused_after_deadline --login-uid 4242 --expect EPERM connect tcp 127.0.0.1 $PA
# shellcheck disable=SC2086
tg_start_agent $fileopt --event-log "$TG_LOG" || tg_fail agent_restarts "$(tail -n 3 "$TG_T/agent.err")"
tg_event expired_found_at_restart kind=grant op=expired grant="$ID4"
# The replay cache survives the restart.
expect_refused replay_after_restart_refused "replayed" $CLI grant activate "$TG_T/r4" "$TG_T/r4.ap"

tg_summary
