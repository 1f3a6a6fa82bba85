#!/bin/sh
# test_roles: the control socket serves each request by the caller's role.
# Throwaway groups and users (removed at exit): the socket's group (mode
# 0660), one group per role named in the policy's roles, and a user per
# role plus one in no role group. Each verb served today from each role,
# allowed and refused, with the error text and the request's kind: admin
# event (uid, user, role, result); root is admin; a tenant's uid-0 process
# and a user in no role group are refused even status; an unknown group in
# roles is a located error and a refused reload keeps the roles in force.
. "$(dirname "$0")/../lib/tap.sh"
. "$(dirname "$0")/../lib/tenants.sh"

: "${TG_BIN:?}"
for c in groupadd useradd userdel groupdel setpriv; do
	if ! command -v $c >/dev/null; then
		tg_skip roles "no $c here"
		tg_summary
		exit 0
	fi
done
tg_env_setup || exit 1
# Unique per run: groups tgr<pid>-*, users tgr<pid>*.
P=tgr$$
G_SOCK=$P-sock G_V=$P-viewer G_O=$P-operator G_A=$P-admin G_X=$P-other
tg_on_cleanup "for u in ${P}v ${P}o ${P}a ${P}n ${P}s; do userdel \$u 2>/dev/null; done; for g in $G_SOCK $G_V $G_O $G_A $G_X; do groupdel \$g 2>/dev/null; done"
for g in $G_SOCK $G_V $G_O $G_A $G_X; do
	groupadd "$g" || exit 1
done
# The viewer and the admin by a supplementary group, the operator by its
# primary group; n is in the socket's group and no role group; s only in
# a group that is no role's and not the socket's.
useradd -M -N -g "$G_X" -G "$G_SOCK,$G_V" "${P}v" &&
	useradd -M -N -g "$G_O" -G "$G_SOCK" "${P}o" &&
	useradd -M -N -g "$G_X" -G "$G_SOCK,$G_X,$G_A" "${P}a" &&
	useradd -M -N -g "$G_X" -G "$G_SOCK" "${P}n" &&
	useradd -M -N -g "$G_X" "${P}s" || exit 1

TG_POLICY=$TG_T/policy.yaml
mkdir -p "$TG_T/policy.d"
# write_policy VIEWER_GROUP [TENANTS]: the policy, acme and globex unless
# TENANTS (mapping lines) says otherwise.
write_policy()
{
	printf 'version: 1\ntenants_cgroup: %s\nroles:\n  viewer: [%s]\n  operator: [%s]\n  admin: [%s]\ntenants:\n%s\n' \
		"$TG_TENANTS" "$1" "$G_O" "$G_A" \
		"${2:-$(printf '  acme:\n  globex:')}" >"$TG_POLICY"
}
write_policy "$G_V"
# The other users reach the socket through the scratch directory.
chmod 0711 "$TG_T"
tg_start_collector || exit 1
tg_start_agent --control-group "$G_SOCK" || exit 1
tg_wait_tenant acme || {
	tg_fail acme_registered "$(tg_cli status)"
	exit 1
}
SOCK=$TG_T/control.sock

# The socket: 0660, root's and the group's.
got=$(stat -c '%a %U %G' "$SOCK")
if [ "$got" = "660 root $G_SOCK" ]; then
	tg_pass socket_mode_group
else
	tg_fail socket_mode_group "got '$got'"
fi
if tg_cli status | grep -q "^control: .*(mode 0660, group $G_SOCK)"; then
	tg_pass status_shows_socket_group
else
	tg_fail status_shows_socket_group "$(tg_cli status | grep -i control)"
fi

# The login uid the users' processes inherit from this shell.
lu=$(cat /proc/self/loginuid 2>/dev/null || echo 4294967295)
if [ "$lu" = 4294967295 ]; then
	LOGIN="login uid unset" LU=-1
else
	LOGIN="login uid $lu" LU=$lu
fi

# as U CMD...: CMD as user U with its groups (initgroups).
as()
{
	as_u=$1
	shift
	setpriv --reuid "$(id -u "$as_u")" --regid "$(id -g "$as_u")" \
		--init-groups "$@"
}

# cli_as NAME U WANT ARGS...: the CLI as U succeeds (WANT "ok") or fails
# saying WANT.
cli_as()
{
	ca_name=$1 ca_u=$2 ca_want=$3
	shift 3
	ca_out=$(as "$ca_u" "$TG_BIN/tenantguard" --control-socket "$SOCK" \
		"$@" 2>&1)
	ca_rc=$?
	if [ "$ca_want" = ok ]; then
		if [ $ca_rc = 0 ]; then
			tg_pass "$ca_name"
		else
			tg_fail "$ca_name" "exit $ca_rc: $ca_out"
		fi
		return
	fi
	if [ $ca_rc = 0 ]; then
		tg_fail "$ca_name" "exit 0: $ca_out"
		return
	fi
	case "$ca_out" in
	*"$ca_want"*) tg_pass "$ca_name" ;;
	*) tg_fail "$ca_name" "expected '$ca_want', got '$ca_out'" ;;
	esac
}

# raw_as NAME U WANT JSON [pass-stdin]: one request as U (tg-try control);
# WANT: "ok", or text its reply holds.
raw_as()
{
	ra_name=$1 ra_u=$2 ra_want=$3
	shift 3
	ra_out=$(as "$ra_u" "$TG_BIN/tg-try" control "$SOCK" "$@" </dev/null 2>&1)
	ra_rc=$?
	if [ "$ra_want" = ok ]; then
		[ $ra_rc = 0 ] && tg_pass "$ra_name" ||
			tg_fail "$ra_name" "exit $ra_rc: $ra_out"
		return
	fi
	case "$ra_out" in
	*"$ra_want"*) tg_pass "$ra_name" ;;
	*) tg_fail "$ra_name" "expected '$ra_want', got '$ra_out'" ;;
	esac
}

# refusal VERB NEED U HAS: the error of VERB refused to user U.
refusal()
{
	echo "refused: $1 needs the $2 role; uid $(id -u "$3") ($3, $LOGIN) has $4"
}

V=${P}v O=${P}o A=${P}a N=${P}n
# status: viewer and up.
cli_as viewer_status_allowed "$V" ok status
cli_as operator_status_allowed "$O" ok status
cli_as admin_status_allowed "$A" ok status
cli_as norole_status_refused "$N" "$(refusal status viewer "$N" "no role")" status
# A user outside the socket's group cannot even connect.
cli_as nogroup_cannot_connect "${P}s" "Permission denied" status
# reload: operator and up.
cli_as viewer_reload_refused "$V" "$(refusal reload operator "$V" viewer)" reload
cli_as operator_reload_allowed "$O" ok reload
cli_as admin_reload_allowed "$A" ok reload
cli_as norole_reload_refused "$N" "$(refusal reload operator "$N" "no role")" reload
# tenant (the launcher's lookup): operator and up.
raw_as viewer_tenant_refused "$V" "$(refusal tenant operator "$V" viewer)" \
	'{"cmd":"tenant","name":"acme"}'
raw_as operator_tenant_allowed "$O" ok '{"cmd":"tenant","name":"acme"}'
raw_as admin_tenant_allowed "$A" ok '{"cmd":"tenant","name":"acme"}'
# seccomp-listener: operator and up (served, the descriptor is no listener).
raw_as viewer_listener_refused "$V" \
	"$(refusal seccomp-listener operator "$V" viewer)" \
	'{"cmd":"seccomp-listener","tenant":"acme"}' pass-stdin
raw_as operator_listener_served "$O" "seccomp-listener: not a seccomp listener" \
	'{"cmd":"seccomp-listener","tenant":"acme"}' pass-stdin
raw_as admin_listener_served "$A" "seccomp-listener: not a seccomp listener" \
	'{"cmd":"seccomp-listener","tenant":"acme"}' pass-stdin
raw_as unknown_verb_refused "$A" '"error":"unknown command"' '{"cmd":"probe"}'

# The admin events: who, what, role, result.
uid_of() { id -u "$1"; }
tg_event viewer_status_event kind=admin op=status verdict=allow tenant=host \
	uid="$(uid_of "$V")" user="$V" login_uid="$LU" role=viewer result=allow \
	ok=true exe="$TG_BIN/tenantguard" comm=tenantguard
tg_event norole_status_event kind=admin op=status verdict=deny tenant=host \
	uid="$(uid_of "$N")" user="$N" role=none result=deny ok=false \
	error="$(refusal status viewer "$N" "no role")"
tg_event viewer_reload_event kind=admin op=reload verdict=deny \
	uid="$(uid_of "$V")" user="$V" role=viewer result=deny \
	error="$(refusal reload operator "$V" viewer)"
sha=$(sha256sum "$TG_POLICY" | cut -d' ' -f1)
tg_event operator_reload_event kind=admin op=reload verdict=allow \
	uid="$(uid_of "$O")" user="$O" gid="$(id -g "$O")" role=operator \
	result=allow ok=true error= args.policy="$TG_POLICY" \
	args.policy_sha256="$sha" 'args.tenants_added=[]' \
	'args.tenants_removed=[]' 'args.tenants_changed=[]' \
	args.policy_files="[{\"path\":\"$(echo "$TG_POLICY" | sed 's|/|\\/|g')\",\"sha256\":\"$sha\"}]"
tg_event admin_reload_event kind=admin op=reload verdict=allow \
	uid="$(uid_of "$A")" role=admin result=allow
tg_event operator_tenant_event kind=admin op=tenant verdict=allow \
	uid="$(uid_of "$O")" role=operator 'args={"name":"acme"}'
tg_event operator_listener_event kind=admin op=seccomp-listener \
	verdict=allow role=operator ok=false \
	error="seccomp-listener: not a seccomp listener" \
	'args={"tenant":"acme"}'
tg_event unknown_verb_event kind=admin op="(unknown command)" verdict=deny \
	role=admin error="unknown command" 'args={"cmd":"probe"}'
tg_count_is norole_status_event_once 1 kind=admin op=status \
	uid="$(uid_of "$N")"

# The events CLI shows them by kind.
out=$(tg_cli events --log "$TG_LOG" --kind admin 2>&1)
case "$out" in
*"uid $(uid_of "$N") ($N) role none: $(refusal status viewer "$N" "no role")"*)
	tg_pass events_cli_kind_admin ;;
*) tg_fail events_cli_kind_admin "got '$out'" ;;
esac

# Root outside the tenants is admin.
if tg_cli reload >/dev/null 2>&1; then
	tg_pass root_reload_allowed
else
	tg_fail root_reload_allowed "$(tg_cli reload 2>&1)"
fi
tg_event root_is_admin kind=admin op=reload verdict=allow uid=0 user=root \
	role=admin result=allow

# A tenant's uid-0 process is refused whatever its uid (as before), and
# its request is an admin event too.
mkdir -p "$TG_TDIR/acme"
out=$(sh -c 'echo $$ >"$1" && echo $$ >"$2/cgroup.procs" && shift 2 &&
	exec "$@"' sh "$TG_T/pid.tenant" "$TG_TDIR/acme" "$TG_BIN/tenantguard" \
	--control-socket "$SOCK" status 2>&1)
case "$out" in
*"refused: the caller runs in tenant acme's cgroup ($TG_TENANTS/acme)"*)
	tg_pass tenant_root_refused ;;
*) tg_fail tenant_root_refused "got '$out'" ;;
esac
tp=$(cat "$TG_T/pid.tenant")
tg_event tenant_root_control_refused kind=agent op=control_refused \
	tenant=acme pid="$tp" uid=0
tg_event tenant_root_admin_event kind=admin op=status verdict=deny \
	tenant=acme pid="$tp" uid=0 role=none result=deny \
	error="refused: the caller runs in tenant acme's cgroup ($TG_TENANTS/acme)"

# An unknown group: a located error in policy check and at reload, and
# the roles in force stay (the viewer still sees status).
write_policy "$P-nosuch"
want="$TG_POLICY:4:12: unknown group '$P-nosuch' for role viewer (not in the group database)"
out=$("$TG_BIN/tenantguard" policy check "$TG_POLICY" 2>&1)
case "$out" in
*"$want"*) tg_pass check_unknown_group ;;
*) tg_fail check_unknown_group "expected '$want', got '$out'" ;;
esac
out=$(tg_cli reload 2>&1)
case "$out" in
*"$want"*"reload rejected"*) tg_pass reload_unknown_group_refused ;;
*) tg_fail reload_unknown_group_refused "got '$out'" ;;
esac
cli_as viewer_kept_after_refused_reload "$V" ok status
# Moving the viewer role to another group takes effect at reload.
write_policy "$G_X"
tg_cli reload >/dev/null 2>&1
cli_as norole_now_viewer "$N" ok status
cli_as old_viewer_still_viewer "$V" ok status
write_policy "$G_A"
tg_cli reload >/dev/null 2>&1
cli_as viewer_role_gone "$V" "$(refusal status viewer "$V" "no role")" status

# A reload's event and reply list the policy tenants it changed, exactly.
write_policy "$G_V" "$(printf '  acme: {mode: audit}\n  initech:')"
out=$(as "$O" "$TG_BIN/tenantguard" --control-socket "$SOCK" reload 2>&1)
case "$out" in
*"tenants added: initech"*"tenants removed: globex"*"tenants changed: acme"*)
	tg_pass reload_prints_changes ;;
*) tg_fail reload_prints_changes "got '$out'" ;;
esac
sha=$(sha256sum "$TG_POLICY" | cut -d' ' -f1)
tg_event reload_event_changes kind=admin op=reload verdict=allow \
	uid="$(uid_of "$O")" role=operator \
	args.policy="$TG_POLICY" args.policy_sha256="$sha" \
	'args.tenants_added=["initech"]' 'args.tenants_removed=["globex"]' \
	'args.tenants_changed=["acme"]'
tg_event reload_agent_event_changes kind=agent op=reload verdict=allow \
	by_uid="$(uid_of "$O")" 'tenants_added=["initech"]' \
	'tenants_removed=["globex"]' 'tenants_changed=["acme"]'

# Records of control requests are bounded per caller: looking and
# refused requests of a host uid pass its bucket (50 at once, 10 a second),
# what an operator did is always recorded, and a tenant's refused requests
# pass the tenant's own rate limit.
write_policy "$G_V" "$(printf '  acme: {events: {rate: 1, burst: 3}}\n  globex:')"
tg_cli reload >/dev/null 2>&1
uv=$(uid_of "$V") uo=$(uid_of "$O")
before=$(tg_count kind=admin op=status uid="$uv")
t0=$(date +%s)
k=0
# All at once: one after another they barely outrun the refill.
flood=""
while [ $k -lt 150 ]; do
	as "$V" "$TG_BIN/tenantguard" --control-socket "$SOCK" status >/dev/null 2>&1 &
	flood="$flood $!"
	k=$((k + 1))
done
for p in $flood; do
	wait "$p"
done
secs=$(($(date +%s) - t0 + 1))
told=$(($(tg_count kind=admin op=status uid="$uv") - before))
# At most the burst plus 10 a second of the time taken (rounded up).
if [ "$told" -ge 50 ] && [ "$told" -le $((50 + 10 * secs)) ] && [ "$told" -lt 150 ]; then
	tg_pass viewer_flood_bounded
else
	tg_fail viewer_flood_bounded "$told of 150 told in ${secs}s"
fi
tg_event viewer_flood_summarised kind=agent op=admin_suppressed uid="$uv"
tg_cli status --json >"$TG_T/status.json"
held=$(sed -n 's/.*"records_held": *\([0-9]*\).*/\1/p' "$TG_T/status.json")
if [ "${held:-0}" -ge $((150 - told)) ]; then
	tg_pass status_counts_held_admin
else
	tg_fail status_counts_held_admin "records_held '$held', $((150 - told)) held"
fi
# Each counter of the records of control requests once (control.*), not
# again under events.
n=$(grep -c '"\(records_held\|records_held_evicted\|records_dropped\|held_admin\|held_admin_evicted\|dropped_admin\)"' "$TG_T/status.json")
if [ "$n" = 3 ]; then
	tg_pass status_admin_counters_once
else
	tg_fail status_admin_counters_once "$n of them: $(grep -e held -e dropped_admin -e records_dropped "$TG_T/status.json" | tr -d '\n')"
fi
if tg_cli status | grep -q "^requests:    .* records $held held back (0 of uids pushed out)"; then
	tg_pass status_text_counts_held_admin
else
	tg_fail status_text_counts_held_admin "$(tg_cli status | grep '^requests:')"
fi
before=$(tg_count kind=admin op=reload uid="$uo")
k=0
while [ $k -lt 60 ]; do
	as "$O" "$TG_BIN/tenantguard" --control-socket "$SOCK" reload >/dev/null 2>&1
	k=$((k + 1))
done
sleep 1
tg_count_is operator_reloads_all_told $((before + 60)) kind=admin op=reload \
	uid="$uo"
before=$(tg_count kind=admin op=status tenant=acme)
k=0
while [ $k -lt 40 ]; do
	sh -c 'echo $$ >"$1/cgroup.procs" && shift && exec "$@"' sh \
		"$TG_TDIR/acme" "$TG_BIN/tenantguard" --control-socket "$SOCK" \
		status >/dev/null 2>&1
	k=$((k + 1))
done
told=$(($(tg_count kind=admin op=status tenant=acme) - before))
if [ "$told" -ge 1 ] && [ "$told" -le 15 ]; then
	tg_pass tenant_flood_by_tenant_limit
else
	tg_fail tenant_flood_by_tenant_limit "$told of 40 told"
fi
tg_event tenant_flood_suppressed kind=agent op=suppressed tenant=acme \
	event_kind=agent

# An unknown --control-group is refused at start.
out=$("$TG_BIN/tenantguard-agent" --control-group "$P-nosuch" --policy builtin 2>&1)
rc=$?
if [ $rc = 2 ] && echo "$out" | grep -q -- "--control-group: no group '$P-nosuch' in the group database"; then
	tg_pass unknown_control_group_refused
else
	tg_fail unknown_control_group_refused "exit $rc: $out"
fi
tg_summary
