#!/bin/sh
# test_grant_report: the tenant's report of grant use, over a real flow.
# A support actor (login uid 4242) files a request, the tenant's approver
# signs it, the agent activates it; the actor connects to the tenant's port
# a counted number of times; a replayed activation is refused; the grant is
# revoked. Then tenantguard report --tenant acme --grants lists the grant
# with its approver, window and end and exactly the accesses made (text,
# and --json, read with python3 where there is one); with --chain, report
# --verify accepts the report as written and refuses it with an access line
# deleted or edited; acme's auditor gets the same report from the agent,
# and no other tenant's; bad input is told. Runs natively only (the guests'
# busybox has no python3 and the flow's login uids are the host's).
. "$(dirname "$0")/../lib/tap.sh"
. "$(dirname "$0")/../lib/tenants.sh"
. "$(dirname "$0")/../lib/net.sh"
. "$(dirname "$0")/../lib/support.sh"

: "${TG_BIN:?}"
tg_net_setup || exit 1
# The log's reader the agent forks runs as the collector's user: it must
# reach the log's directory.
chmod 0711 "$TG_T"
CLI="$TG_BIN/tenantguard --control-socket $TG_T/control.sock"

tg_need_login_uid grant_report

# acme's auditor (a host user with no role): the tenant reading its own
# report, served by the agent.
AU=""
if command -v useradd >/dev/null && command -v setpriv >/dev/null; then
	AU=tgr$$
	G_SOCK=$AU-sock
	tg_on_cleanup "userdel $AU 2>/dev/null; groupdel $G_SOCK 2>/dev/null"
	groupadd "$G_SOCK" && useradd -M -N -G "$G_SOCK" "$AU" || AU=""
fi
# auditor ARGS...: the CLI as acme's auditor.
auditor()
{
	setpriv --reuid "$(id -u "$AU")" --regid "$(id -g "$AU")" --init-groups \
		"$TG_BIN/tenantguard" --control-socket "$TG_T/control.sock" "$@"
}

K=$TG_T/keys
mkdir -p "$K" && chmod 700 "$K"
"$TG_BIN/tenantguard" grant keygen --out "$K/a1" >"$K/a1.pub" || exit 1
A1=$(cat "$K/a1.pub")

TG_POLICY=$TG_T/policy.yaml
mkdir -p "$TG_T/policy.d"
cat >"$TG_POLICY" <<EOF
version: 1
tenants_cgroup: $TG_TENANTS
support:
  login_uids: [4242]
tenants:
  acme:
    paths: [$TG_SRV/acme]
    approvers:
      keys: [$A1]
      need: 1
    auditors: {users: [$AU]}
  globex:
    paths: [$TG_SRV/globex]
EOF
# Checkpoints often: the report's lines lie between signed ones.
tg_start_collector --checkpoint-lines 5 --checkpoint-interval 1 || {
	tg_fail collector_starts "$(tail -n 3 "$TG_T/collector.err" | tr '\n' ' ')"
	exit 1
}
fileopt=""
grep -qs bpf /sys/kernel/security/lsm || fileopt="--file-backend fanotify"
# shellcheck disable=SC2086 # fileopt: no option or one
tg_start_agent $fileopt ${AU:+--control-group "$G_SOCK"} --event-log "$TG_LOG" || {
	tg_fail agent_starts "$(tail -n 3 "$TG_T/agent.err" | tr '\n' ' ')"
	exit 1
}
tg_wait_tenant acme || exit 1
PA=$base
tg_listen "$A" tcp 127.0.0.1 $PA

# The flow: request, approval, activation.
if out=$(as 4242 $CLI grant request --tenant acme --ops connect --for 1h \
	--reason "ticket 17" --out "$TG_T/r1" 2>&1) && [ -s "$TG_T/r1" ]; then
	tg_pass request_made
else
	tg_fail request_made "$out"
	tg_summary
	exit 1
fi
ID=$(grep -o '"id":"[0-9a-f]*"' "$TG_T/r1" | cut -d'"' -f4)
"$TG_BIN/tenantguard" grant approve "$TG_T/r1" --key "$K/a1" >"$TG_T/ap1" ||
	tg_fail approved "$?"
if out=$($CLI grant activate "$TG_T/r1" "$TG_T/ap1" 2>&1); then
	tg_pass activated
else
	tg_fail activated "$out"
fi
# Refused: the same approval again (a refusal naming the grant).
$CLI grant activate "$TG_T/r1" "$TG_T/ap1" >/dev/null 2>&1 &&
	tg_fail replay_refused "accepted"

# The accesses: each connect that succeeds is one the report must list.
made=0
for _ in 1 2 3 4; do
	"$TG_BIN/tg-try" --login-uid 4242 --expect ok connect tcp 127.0.0.1 $PA \
		>/dev/null 2>&1 && made=$((made + 1))
done
if [ "$made" = 4 ]; then
	tg_pass granted_connects
else
	tg_fail granted_connects "$made of 4 connects succeeded"
fi
if out=$($CLI grant revoke "$ID" 2>&1); then
	tg_pass revoked
else
	tg_fail revoked "$out"
fi
tg_event revoked_event kind=grant op=revoked grant="$ID"
tg_count_is accesses_logged "$made" kind=net op=connect verdict=allow grant="$ID"
# A checkpoint after the last line (every second).
sleep 1.5

# The text report.
T=$TG_T/acme.txt
if $CLI report --log "$TG_LOG" --tenant acme --grants >"$T" 2>"$TG_T/report.err"; then
	tg_pass report_runs
else
	tg_fail report_runs "$(cat "$TG_T/report.err")"
fi
from=$(grep '"op":"activated"' "$TG_LOG"* | grep -o '"from":"[^"]*"' | cut -d'"' -f4 | cut -c1-23)
until=$(grep '"op":"activated"' "$TG_LOG"* | grep -o '"until":"[^"]*"' | cut -d'"' -f4 | cut -c1-23)
# in_report NAME TEXT: PASS if the text report has a line with TEXT.
in_report()
{
	if grep -qF -- "$2" "$T"; then
		tg_pass "$1"
	else
		tg_fail "$1" "no '$2' in: $(head -c 1500 "$T")"
	fi
}
in_report grant_listed "grant $ID: login uid 4242"
in_report reason_listed "reason      ticket 17"
in_report approver_listed "approved by $A1"
in_report window_listed "window      ${from}Z to ${until}Z"
in_report end_listed "ended       revoked"
in_report replay_listed "grant-activate by login uid"
in_report accesses_counted "accesses    $made (connect $made)"
rows=$(grep -c "^    [0-9-]*T[0-9:.]*Z connect  *allow  *[0-9][0-9]*  *tg-try  *4242  .* tcp 127.0.0.1:$PA\$" "$T")
if [ "$rows" = "$made" ]; then
	tg_pass accesses_listed_each
else
	tg_fail accesses_listed_each "$rows rows, $made connects made"
fi
in_report total_said "total: 1 grant(s) (0 break-glass), $made access(es), 1 refusal(s)"
if grep -q "BREAK-GLASS" "$T"; then
	tg_fail no_break_glass_said "$(grep BREAK-GLASS "$T")"
else
	tg_pass no_break_glass_said
fi

# --json: parsed, the same facts.
J=$TG_T/acme.json
$CLI report --log "$TG_LOG" --tenant acme --grants --json >"$J"
if ! command -v python3 >/dev/null; then
	tg_skip json_report "no python3 to parse it"
elif out=$(python3 - "$J" "$ID" "$A1" "$made" <<'EOF' 2>&1
import json, sys
r = json.load(open(sys.argv[1]))
g = [g for g in r["grants"] if g["grant"] == sys.argv[2]]
assert len(g) == 1, "grants: %r" % r["grants"]
g = g[0]
assert r["tenant"] == "acme"
assert g["activated"]["approvers"] == [sys.argv[3]], g["activated"]
assert g["ended"]["how"] == "revoked", g["ended"]
assert g["window"]["from"] and g["window"]["until"], g["window"]
n = int(sys.argv[4])
assert g["accesses"]["count"] == n, g["accesses"]["count"]
assert g["accesses"]["by_op"] == {"connect": n}, g["accesses"]["by_op"]
assert len(g["accesses"]["events"]) == n
assert all(e["op"] == "connect" and e["pid"] > 0 and e["login_uid"] == 4242
           for e in g["accesses"]["events"])
assert g["break_glass"] is False
assert r["total"]["accesses"] == n and r["total"]["grants"] == 1
EOF
); then
	tg_pass json_report
else
	tg_fail json_report "$out"
fi

# --chain: the grants' events under the chain, for --verify.
R=$TG_T/acme.rep
$CLI report --log "$TG_LOG" --tenant acme --grants --chain >"$R"
# verify NAME FILE WANT: WANT ok, or the line the refusal names.
verify()
{
	vn=$1 vf=$2 vw=$3
	out=$("$TG_BIN/tenantguard" report --verify "$vf" 2>&1)
	rc=$?
	case "$vw:$rc:$out" in
	ok:0:*verified*) tg_pass "$vn" ;;
	ok:*) tg_fail "$vn" "exit $rc: $out" ;;
	*:1:*": line $vw: REFUSED"*) tg_pass "$vn" ;;
	*) tg_fail "$vn" "exit $rc, want line $vw: $out" ;;
	esac
}
verify chain_report_verifies "$R" ok
full=$(grep -c "\"kind\":\"net\".*\"grant\":\"$ID\"" "$R")
others=$(sed 1d "$R" | grep -v "\"grant\":\"$ID\"" |
	grep -v '^{"seq":[0-9]*,"line_sha256":"[0-9a-f]\{64\}"}$' |
	grep -v '"op":"collector_start"' | grep -v '"op":"refused"' |
	grep -v '"op":"approvers_enrolled"' |
	grep -vc '"op":"checkpoint"')
if head -n 1 "$R" | grep -q '"selection":"grants"' && [ "$full" = "$made" ] &&
	[ "$others" = 0 ] && grep -q '"op":"checkpoint"' "$R"; then
	tg_pass chain_lists_grant_events
else
	tg_fail chain_lists_grant_events "$(head -n 1 "$R"), $full accesses in full, $others other lines"
fi
# The verified file read as a log: the same report.
$CLI report --log "$R" --tenant acme --grants >"$TG_T/from-chain.txt" 2>&1
if cmp -s "$T" "$TG_T/from-chain.txt"; then
	tg_pass chain_file_reads_as_report
else
	tg_fail chain_file_reads_as_report "$(diff "$T" "$TG_T/from-chain.txt" | head -c 400)"
fi
k=$(grep -n "\"kind\":\"net\".*\"grant\":\"$ID\"" "$R" | sed -n 2p | cut -d: -f1)
sed "${k}d" "$R" >"$TG_T/del.rep"
verify deleted_access_refused "$TG_T/del.rep" "$k"
sed "${k}s/\"pid\":\([0-9]\)/\"pid\":9\1/" "$R" >"$TG_T/edit.rep"
verify edited_access_refused "$TG_T/edit.rep" "$k"

# Served by the agent (no log at the default path, no --log): the same.
if [ -e /var/log/tenantguard/events.jsonl ]; then
	tg_skip agent_served_grants_report "this host has /var/log/tenantguard/events.jsonl"
else
	$CLI report --tenant acme --grants >"$TG_T/served.txt" 2>"$TG_T/served.err"
	if cmp -s "$T" "$TG_T/served.txt"; then
		tg_pass agent_served_grants_report
	else
		tg_fail agent_served_grants_report "$(diff "$T" "$TG_T/served.txt" | head -c 400) $(cat "$TG_T/served.err")"
	fi
fi

# acme's auditor: the same report, its view said; no other tenant's.
if [ -z "$AU" ]; then
	tg_skip auditor_report "no useradd or setpriv here"
else
	if auditor report --tenant acme --grants >"$TG_T/aud.txt" 2>"$TG_T/aud.err" &&
		head -n 1 "$TG_T/aud.txt" | grep -q "^view: acme (restricted" &&
		sed 1d "$TG_T/aud.txt" | cmp -s "$T" -; then
		tg_pass auditor_report
	else
		tg_fail auditor_report "$(head -c 600 "$TG_T/aud.txt") $(cat "$TG_T/aud.err")"
	fi
	auditor report --tenant acme --grants --chain >"$TG_T/aud.rep" 2>"$TG_T/aud.err"
	verify auditor_chain_report_verifies "$TG_T/aud.rep" ok
	out=$(auditor report --tenant globex --grants 2>&1)
	case "$?:$out" in
	2:*"no tenant 'globex'"*) tg_pass auditor_other_tenant_unknown ;;
	*) tg_fail auditor_other_tenant_unknown "$out" ;;
	esac
fi

# Bad input, told.
# told NAME TEXT ARGS...: report ARGS exits 2 saying TEXT.
told()
{
	tn=$1 tt=$2
	shift 2
	out=$($CLI report --log "$TG_LOG" "$@" 2>&1)
	rc=$?
	case "$rc:$out" in
	2:*"$tt"*) tg_pass "$tn" ;;
	*) tg_fail "$tn" "exit $rc: $out" ;;
	esac
}
told grants_without_tenant "--grants needs --tenant T" --grants
told grants_two_tenants "--grants needs --tenant T, once" --grants --tenant acme --tenant globex
told grants_with_kind "not with --kind" --grants --tenant acme --kind net
told grants_with_verify "not with --grants" --grants --tenant acme --verify "$R"
told unknown_tenant "no tenant 'nobody'" --grants --tenant nobody
told unknown_tenant_chain "no tenant 'nobody'" --grants --tenant nobody --chain
told bad_since "--since 'fortnight': not a time" --grants --tenant acme --since fortnight
told until_before_since "--until is before --since" --grants --tenant acme --since -1h --until -2h
# A tenant with no grant yet: known to the agent, an empty report.
if out=$($CLI report --log "$TG_LOG" --tenant globex --grants 2>&1) &&
	echo "$out" | grep -q "total: 0 grant(s)"; then
	tg_pass known_tenant_without_grants
else
	tg_fail known_tenant_without_grants "$out"
fi

tg_summary
