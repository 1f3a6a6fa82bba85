#!/bin/sh
# test_viewers: a viewer sees only the tenants the policy lets it see.
# Throwaway groups and users (removed at exit): the socket's group, a
# viewer group (roles), acme's audit group; a viewer (all tenants), an
# auditor of acme by name, one by its audit group only, and a user in
# neither. Denials between three tenants (globex -> acme, globex ->
# initech, acme -> initech): the viewer gets every event over the socket,
# acme's auditors only the events naming acme (never globex -> initech,
# which is in the log), in events, report and status; the log stays
# unreadable to them; an auditor is refused operator verbs (the error and
# the admin event name the role and its view); --tenant globex, a request
# that names a scope of its own, and a group auditor get nothing more.
# One uid has at most 4 event streams served at once.
. "$(dirname "$0")/../lib/tap.sh"
. "$(dirname "$0")/../lib/tenants.sh"

: "${TG_BIN:?}"
for c in groupadd useradd userdel groupdel setpriv; do
	if ! command -v $c >/dev/null; then
		tg_skip viewers "no $c here"
		tg_summary
		exit 0
	fi
done
tg_env_setup || exit 1
P=tgw$$
G_SOCK=$P-sock G_V=$P-viewer G_AUD=$P-acmeaud G_X=$P-other
V=${P}v AU=${P}u AG=${P}g N=${P}n
tg_on_cleanup "for u in $V $AU $AG $N; do userdel \$u 2>/dev/null; done; for g in $G_SOCK $G_V $G_AUD $G_X; do groupdel \$g 2>/dev/null; done"
for g in $G_SOCK $G_V $G_AUD $G_X; do
	groupadd "$g" || exit 1
done
useradd -M -N -g "$G_X" -G "$G_SOCK,$G_V" "$V" &&
	useradd -M -N -g "$G_X" -G "$G_SOCK" "$AU" &&
	useradd -M -N -g "$G_X" -G "$G_SOCK,$G_AUD" "$AG" &&
	useradd -M -N -g "$G_X" -G "$G_SOCK" "$N" || exit 1

mkdir -p "$TG_TDIR/initech"
TG_POLICY=$TG_T/policy.yaml
mkdir -p "$TG_T/policy.d"
printf 'version: 1\ntenants_cgroup: %s\nroles:\n  viewer: [%s]\n  operator: []\n  admin: []\ntenants:\n  acme:\n    auditors: {users: [%s], groups: [%s]}\n  globex:\n  initech:\n' \
	"$TG_TENANTS" "$G_V" "$AU" "$G_AUD" >"$TG_POLICY"
chmod 0711 "$TG_T"
tg_start_collector || exit 1
tg_start_agent --control-group "$G_SOCK" --event-log "$TG_LOG" || exit 1
tg_wait_tenant initech || {
	tg_fail tenants_registered "$(tg_cli status)"
	exit 1
}
SOCK=$TG_T/control.sock

# Denials: globex -> acme, globex -> initech, acme -> initech.
pa=$((TG_PORT_BASE + 41)) pi=$((TG_PORT_BASE + 42))
"$TG_BIN/tg-try" --cgroup "$TG_TDIR/acme" listen tcp 127.0.0.1 $pa "$TG_T/ready.a" &
tg_track $!
"$TG_BIN/tg-try" --cgroup "$TG_TDIR/initech" listen tcp 127.0.0.1 $pi "$TG_T/ready.i" &
tg_track $!
tg_wait_file "$TG_T/ready.a" && tg_wait_file "$TG_T/ready.i" ||
	tg_fail listeners "not ready on ports $pa, $pi"
"$TG_BIN/tg-try" --cgroup "$TG_TDIR/globex" connect tcp 127.0.0.1 $pa >/dev/null 2>&1
"$TG_BIN/tg-try" --cgroup "$TG_TDIR/globex" connect tcp 127.0.0.1 $pi >/dev/null 2>&1
"$TG_BIN/tg-try" --cgroup "$TG_TDIR/acme" connect tcp 127.0.0.1 $pi >/dev/null 2>&1
tg_event globex_acme_denied kind=net verdict=deny tenant=globex target_tenant=acme
tg_event globex_initech_denied kind=net verdict=deny tenant=globex target_tenant=initech
tg_event acme_initech_denied kind=net verdict=deny tenant=acme target_tenant=initech

lu=$(cat /proc/self/loginuid 2>/dev/null || echo 4294967295)
[ "$lu" = 4294967295 ] && LOGIN="login uid unset" || LOGIN="login uid $lu"

# as U CMD...: CMD as user U with its groups (initgroups).
as()
{
	as_u=$1
	shift
	setpriv --reuid "$(id -u "$as_u")" --regid "$(id -g "$as_u")" \
		--init-groups "$@"
}
# cli U ARGS...: the CLI as U, against this test's agent and log.
cli() { cli_u=$1; shift; as "$cli_u" "$TG_BIN/tenantguard" --control-socket "$SOCK" "$@"; }
# evs U ARGS...: U's events as JSON lines (asking the agent: the log is
# not U's to read).
evs() { evs_u=$1; shift; cli "$evs_u" events --log "$TG_LOG" --json "$@"; }
# pairs FILE: "tenant>target" of each event line.
pairs() { sed -n 's/.*"tenant":"\([^"]*\)","target_tenant":"\([^"]*\)".*/\1>\2/p' "$1"; }

# The log is the collector's and root's: no auditor or viewer reads it.
for u in "$AU" "$V"; do
	if out=$(as "$u" cat "$TG_LOG" 2>&1); then
		tg_fail "log_unreadable_$u" "read it: $(echo "$out" | head -c 100)"
	else
		case "$out" in
		*"Permission denied"*) tg_pass "log_unreadable_$u" ;;
		*) tg_fail "log_unreadable_$u" "$out" ;;
		esac
	fi
done

# The viewer (a role from roles): every event, the same as root reads.
tg_cli events --log "$TG_LOG" --json >"$TG_T/root.ev"
evs "$V" >"$TG_T/v.ev" 2>"$TG_T/v.err"
if [ -s "$TG_T/v.ev" ] && pairs "$TG_T/v.ev" | grep -qx 'globex>initech' &&
	[ "$(grep -c '"kind":"net"' "$TG_T/v.ev")" = "$(grep -c '"kind":"net"' "$TG_T/root.ev")" ]; then
	tg_pass viewer_sees_every_tenant
else
	tg_fail viewer_sees_every_tenant "$(wc -l <"$TG_T/v.ev") lines: $(cat "$TG_T/v.err")"
fi

# only_acme NAME FILE: every event names acme, globex -> acme is there,
# globex -> initech is not.
only_acme()
{
	if [ -s "$2" ] && ! pairs "$2" | grep -qv 'acme' &&
		[ "$(pairs "$2" | wc -l)" = "$(wc -l <"$2")" ] &&
		pairs "$2" | grep -qx 'globex>acme' &&
		pairs "$2" | grep -qx 'acme>initech' &&
		! pairs "$2" | grep -qx 'globex>initech'; then
		tg_pass "$1"
	else
		tg_fail "$1" "$(pairs "$2" | sort | uniq -c | tr '\n' ' ')"
	fi
}
evs "$AU" >"$TG_T/au.ev" 2>"$TG_T/au.err"
only_acme auditor_sees_only_acme "$TG_T/au.ev"
# By its audit group alone (no role, not named as a user).
evs "$AG" >"$TG_T/ag.ev" 2>"$TG_T/ag.err"
only_acme group_auditor_sees_only_acme "$TG_T/ag.ev"
# Without --log: the default log is not the auditor's either.
cli "$AU" events --json >"$TG_T/au2.ev" 2>&1
only_acme auditor_default_log_via_agent "$TG_T/au2.ev"
# Human-readable too, never a globex -> initech line.
cli "$AU" events --log "$TG_LOG" --kind net >"$TG_T/au.human" 2>&1
if grep -q ' globex  *-> acme ' "$TG_T/au.human" &&
	! grep -q ' globex  *-> initech ' "$TG_T/au.human"; then
	tg_pass auditor_human_listing
else
	tg_fail auditor_human_listing "$(head -c 300 "$TG_T/au.human")"
fi

# Going around it. --tenant globex: only what names acme (globex's
# denials against acme), never globex -> initech.
evs "$AU" --tenant globex >"$TG_T/au.g" 2>&1
if ! pairs "$TG_T/au.g" | grep -qv acme && ! grep -q initech "$TG_T/au.g"; then
	tg_pass auditor_tenant_globex_nothing_more
else
	tg_fail auditor_tenant_globex_nothing_more "$(pairs "$TG_T/au.g" | sort | uniq -c | tr '\n' ' ')"
fi
evs "$AU" --tenant initech >"$TG_T/au.i" 2>&1
if ! pairs "$TG_T/au.i" | grep -qx 'globex>initech' &&
	pairs "$TG_T/au.i" | grep -qx 'acme>initech'; then
	tg_pass auditor_tenant_initech_only_acme
else
	tg_fail auditor_tenant_initech_only_acme "$(pairs "$TG_T/au.i" | sort | uniq -c | tr '\n' ' ')"
fi
# A crafted request naming a scope, a view, a role, tenants: ignored.
as "$AU" "$TG_BIN/tg-try" control-stream "$SOCK" \
	'{"cmd":"events","view":"all","scope":"all","role":"admin","tenants":["globex","initech"],"all":true,"uid":0}' \
	>"$TG_T/au.raw" 2>&1
if head -n 1 "$TG_T/au.raw" | grep -qx '{"ok":true,"view":\["acme"\]}' &&
	tail -n +2 "$TG_T/au.raw" >"$TG_T/au.raw.ev" &&
	! pairs "$TG_T/au.raw.ev" | grep -qx 'globex>initech' &&
	pairs "$TG_T/au.raw.ev" | grep -qx 'globex>acme'; then
	tg_pass crafted_scope_ignored
else
	tg_fail crafted_scope_ignored "$(head -c 300 "$TG_T/au.raw")"
fi
# report: the same view.
cli "$AU" report --log "$TG_LOG" --json >"$TG_T/au.rep" 2>&1
if tr -d ' \n' <"$TG_T/au.rep" | grep -q '"view":\["acme"\]' &&
	! grep -q '"tenant":"initech"' "$TG_T/au.rep" &&
	[ "$(tr -d ' \n' <"$TG_T/au.rep" | sed -n 's/.*"total":\([0-9]*\).*/\1/p')" = "$(wc -l <"$TG_T/au.ev")" ]; then
	tg_pass auditor_report_own_view
else
	tg_fail auditor_report_own_view "$(tr -d '\n' <"$TG_T/au.rep" | head -c 300) vs $(wc -l <"$TG_T/au.ev") events"
fi
cli "$AU" report --log "$TG_LOG" --kind net >"$TG_T/au.rept" 2>&1
if grep -q '^view: acme (restricted' "$TG_T/au.rept" &&
	grep -q '^globex  *net  *connect  *deny  *[1-9]' "$TG_T/au.rept" &&
	grep -q '^TENANT  *KIND  *OP  *VERDICT  *COUNT$' "$TG_T/au.rept"; then
	tg_pass auditor_report_table
else
	tg_fail auditor_report_table "$(cat "$TG_T/au.rept")"
fi
cli "$V" report --log "$TG_LOG" --kind net --json >"$TG_T/v.rep" 2>&1
if tr -d ' \n' <"$TG_T/v.rep" | grep -q '"tenant":"globex","kind":"net","op":"connect","verdict":"deny","count":2'; then
	tg_pass viewer_report_all
else
	tg_fail viewer_report_all "$(tr -d ' \n' <"$TG_T/v.rep" | head -c 400)"
fi

# status: acme only, said to be restricted.
cli "$AU" status --json >"$TG_T/au.st" 2>&1
if tr -d ' \n' <"$TG_T/au.st" | grep -q '"view":\["acme"\]' &&
	grep -q '"name":"acme"' "$TG_T/au.st" &&
	! grep -q 'globex\|initech\|pending' "$TG_T/au.st"; then
	tg_pass auditor_status_own_tenant
else
	tg_fail auditor_status_own_tenant "$(tr -d '\n' <"$TG_T/au.st" | head -c 400)"
fi
cli "$AU" status >"$TG_T/au.sth" 2>&1
if grep -q '^view: *acme (restricted' "$TG_T/au.sth" &&
	grep -q '^acme ' "$TG_T/au.sth" && ! grep -q 'globex' "$TG_T/au.sth"; then
	tg_pass auditor_status_human
else
	tg_fail auditor_status_human "$(cat "$TG_T/au.sth")"
fi
if cli "$V" status --json 2>&1 | grep -q '"name":"globex"'; then
	tg_pass viewer_status_all
else
	tg_fail viewer_status_all "$(cli "$V" status 2>&1 | head -n 3)"
fi

# Verbs above viewer: refused, naming the role and the auditor's view.
refused()
{
	echo "refused: $1 needs the $2 role; uid $(id -u "$3") ($3, $LOGIN) has $4"
}
want=$(refused reload operator "$AU" "viewer (restricted to acme)")
out=$(cli "$AU" reload 2>&1) && tg_fail auditor_reload_refused "exit 0: $out"
case "$out" in
*"$want"*) tg_pass auditor_reload_refused ;;
*) tg_fail auditor_reload_refused "expected '$want', got '$out'" ;;
esac
tg_event auditor_reload_event kind=admin op=reload verdict=deny \
	uid="$(id -u "$AU")" user="$AU" role=viewer result=deny \
	'view=["acme"]' error="$want"
out=$(as "$AU" "$TG_BIN/tg-try" control "$SOCK" '{"cmd":"tenant","name":"acme"}' 2>&1)
case "$out" in
*"$(refused tenant operator "$AU" "viewer (restricted to acme)")"*)
	tg_pass auditor_tenant_refused ;;
*) tg_fail auditor_tenant_refused "got '$out'" ;;
esac
tg_event auditor_events_event kind=admin op=events verdict=allow \
	uid="$(id -u "$AU")" role=viewer result=allow 'view=["acme"]'
tg_event viewer_events_event kind=admin op=events verdict=allow \
	uid="$(id -u "$V")" role=viewer result=allow view=all
tg_event auditor_report_event kind=admin op=report verdict=allow \
	uid="$(id -u "$AU")" role=viewer result=allow

# Neither viewer nor auditor: refused, by the agent, everything.
for verb in events report status; do
	want=$(refused $verb viewer "$N" "no role")
	case $verb in
	status) out=$(cli "$N" status 2>&1) ;;
	*) out=$(cli "$N" $verb --log "$TG_LOG" 2>&1) ;;
	esac
	rc=$?
	case "$out" in
	*"$want"*) [ $rc != 0 ] && tg_pass "norole_${verb}_refused" ||
		tg_fail "norole_${verb}_refused" "exit 0" ;;
	*) tg_fail "norole_${verb}_refused" "expected '$want', got '$out'" ;;
	esac
done
tg_event norole_events_event kind=admin op=events verdict=deny \
	uid="$(id -u "$N")" role=none result=deny \
	error="$(refused events viewer "$N" "no role")"

# --follow: new events as they come, only acme's; ends with the caller.
# Not through as: $! must be the follower itself, not a subshell.
setpriv --reuid "$(id -u "$AU")" --regid "$(id -g "$AU")" --init-groups \
	"$TG_BIN/tenantguard" --control-socket "$SOCK" events \
	--log "$TG_LOG" --json --follow --since 1s >"$TG_T/au.f" 2>&1 &
fpid=$!
tg_track $fpid
sleep 1
"$TG_BIN/tg-try" --cgroup "$TG_TDIR/globex" connect tcp 127.0.0.1 $pi >/dev/null 2>&1
"$TG_BIN/tg-try" --cgroup "$TG_TDIR/globex" connect tcp 127.0.0.1 $pa >/dev/null 2>&1
n=0
until pairs "$TG_T/au.f" | grep -qx 'globex>acme' || [ $n -gt 50 ]; do
	n=$((n + 1))
	sleep 0.2
done
tg_count_is globex_initech_twice 2 kind=net tenant=globex target_tenant=initech
if pairs "$TG_T/au.f" | grep -qx 'globex>acme' &&
	! pairs "$TG_T/au.f" | grep -qx 'globex>initech'; then
	tg_pass auditor_follow_only_acme
else
	tg_fail auditor_follow_only_acme "$(head -c 300 "$TG_T/au.f")"
fi
kill $fpid 2>/dev/null
tg_wait $fpid
# The serving process ends with its caller.
n=0
while pgrep -P "$TG_AGENT_PID" >/dev/null && [ $n -lt 20 ]; do
	n=$((n + 1))
	sleep 0.2
done
if pgrep -P "$TG_AGENT_PID" >/dev/null; then
	tg_fail follow_stream_ends "agent children: $(pgrep -P "$TG_AGENT_PID" | tr '\n' ' ')"
else
	tg_pass follow_stream_ends
fi

# policy show: acme's auditor sees acme's entry only; the viewer all three;
# another tenant asked for by name is "no such tenant" to the auditor.
cli "$AU" policy show --json >"$TG_T/au.show" 2>&1
cli "$V" policy show --json >"$TG_T/v.show" 2>&1
names() { sed -n 's/^      "name":"\([^"]*\)".*/\1/p; s/^ *"name": *"\([^"]*\)".*/\1/p' "$1" | sort | tr '\n' ' '; }
if [ "$(names "$TG_T/au.show")" = "acme " ] && [ "$(names "$TG_T/v.show")" = "acme globex initech " ]; then
	tg_pass policy_show_by_view
else
	tg_fail policy_show_by_view "auditor: $(names "$TG_T/au.show"), viewer: $(names "$TG_T/v.show")"
fi
# Nothing of the others through the files: no file list, hash, digest or
# position for a restricted view; the viewer (every tenant) has them.
if ! grep -q '"files"\|"digest"\|"sha256"\|policy.yaml:' "$TG_T/au.show" &&
	grep -q '"sha256"' "$TG_T/v.show" && grep -q 'policy.yaml:' "$TG_T/v.show"; then
	tg_pass policy_show_no_files_for_auditor
else
	tg_fail policy_show_no_files_for_auditor "$(head -c 400 "$TG_T/au.show")"
fi
rc=0
cli "$AU" policy show --tenant globex >"$TG_T/out" 2>&1 || rc=$?
if [ $rc = 1 ] && grep -q "no such tenant in the policy in force" "$TG_T/out"; then
	tg_pass policy_show_other_tenant_hidden
else
	tg_fail policy_show_other_tenant_hidden "exit $rc: $(cat "$TG_T/out")"
fi
# At most 4 streams of one caller uid (16 in all): the viewer's 5th is
# refused with why, and its admin event says so; another uid is still
# served; a stream that ends frees its slot.
vu=$(id -u "$V")
fps=""
k=0
while [ $k -lt 4 ]; do
	setpriv --reuid "$vu" --regid "$(id -g "$V")" --init-groups \
		"$TG_BIN/tenantguard" --control-socket "$SOCK" events \
		--log "$TG_LOG" --json --follow >/dev/null 2>&1 &
	fps="$fps $!"
	tg_track $!
	k=$((k + 1))
done
for _ in $(seq 50); do
	[ "$(pgrep -P "$TG_AGENT_PID" | wc -l)" -ge 4 ] && break
	sleep 0.1
done
BUSY="busy: uid $vu has 4 event streams served already (at most 4 per uid, 16 in all); close one first"
out=$(evs "$V" --since 1s 2>&1)
case "$out" in
*"$BUSY"*) tg_pass fifth_stream_of_uid_refused ;;
*) tg_fail fifth_stream_of_uid_refused "got '$(echo "$out" | head -c 300)'" ;;
esac
tg_event fifth_stream_event kind=admin op=events verdict=deny uid="$vu" \
	result=deny error="$BUSY"
if evs "$AU" --since 1s >/dev/null 2>&1; then
	tg_pass other_uid_still_served
else
	tg_fail other_uid_still_served "$(evs "$AU" --since 1s 2>&1 | tail -n 1)"
fi
set -- $fps
kill "$1" 2>/dev/null
tg_wait "$1" 2>/dev/null
freed=no
for _ in $(seq 30); do
	if evs "$V" --since 1s >/dev/null 2>"$TG_T/freed.err"; then
		freed=yes
		break
	fi
	sleep 0.2
done
if [ $freed = yes ]; then
	tg_pass ended_stream_frees_slot
else
	tg_fail ended_stream_frees_slot "$(cat "$TG_T/freed.err")"
fi
for f in $fps; do
	kill "$f" 2>/dev/null
	tg_wait "$f" 2>/dev/null
done
tg_summary
