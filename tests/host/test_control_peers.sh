#!/bin/sh
# test_control_peers: the control socket and the event socket judge a peer by
# its cgroup, not its uid. A uid-0 process in tenant acme's cgroup, in a
# cgroup below the tenants cgroup that is no tenant (pending) or in the
# tenants cgroup itself is refused reload and status, with the reason, and
# each refusal is one control_refused event naming it; host root is served.
# On the event socket the collector refuses a uid-0 process of acme's with an
# error frame, stores nothing of it and logs the refusal.
. "$(dirname "$0")/../lib/tap.sh"
. "$(dirname "$0")/../lib/tenants.sh"

: "${TG_BIN:?}"
tg_env_setup || exit 1
A=$TG_TDIR/acme
N="$TG_TDIR/new cg" # no valid tenant name: stays pending
tg_start_collector || exit 1
tg_start_agent || exit 1
tg_wait_tenant acme || {
	tg_fail acme_registered "$(tg_cli status)"
	exit 1
}

# in_cgroup DIR PIDFILE CMD...: CMD in a child that moves itself into cgroup
# DIR first (this shell stays where it is); its pid goes to PIDFILE.
in_cgroup()
{
	sh -c 'echo $$ >"$2" && echo $$ >"$1/cgroup.procs" && shift 2 &&
		exec "$@"' sh "$@"
}

# refused NAME DIR WANT CLI_ARGS...: the CLI run as root in cgroup DIR fails,
# saying WANT; its pid is left in $TG_T/pid.NAME.
refused()
{
	name=$1 dir=$2 want=$3
	shift 3
	if out=$(in_cgroup "$dir" "$TG_T/pid.$name" "$TG_BIN/tenantguard" \
		--control-socket "$TG_T/control.sock" "$@" 2>&1); then
		tg_fail "$name" "exit 0: $out"
		return
	fi
	case "$out" in
	*"$want"*) tg_pass "$name" ;;
	*) tg_fail "$name" "expected '$want', got '$out'" ;;
	esac
}

# refusal_event NAME TENANT CMD: the refusal of subtest NAME is in the log,
# once, with the refused process's pid and comm.
refusal_event()
{
	re_pid=$(cat "$TG_T/pid.$1")
	tg_event "$1_event" kind=agent op=control_refused verdict=deny \
		tenant="$2" command="$3" pid="$re_pid" comm=tenantguard
	tg_count_is "$1_event_once" 1 kind=agent op=control_refused \
		pid="$re_pid"
}

want="refused: the caller runs in tenant acme's cgroup ($TG_TENANTS/acme)"
refused tenant_reload_refused "$A" "$want" reload
refused tenant_status_refused "$A" "$want" status
refusal_event tenant_reload_refused acme reload
refusal_event tenant_status_refused acme status
if grep -q "control: reload from pid $(cat "$TG_T/pid.tenant_reload_refused") (tenantguard, uid 0, cgroup $TG_TENANTS/acme) refused" \
	"$TG_T/agent.err"; then
	tg_pass tenant_refusal_logged
else
	tg_fail tenant_refusal_logged "$(grep control: "$TG_T/agent.err")"
fi
# A cgroup below a tenant's is the tenant's.
mkdir "$A/job" || exit 1
refused tenant_child_cgroup_refused "$A/job" \
	"refused: the caller runs in tenant acme's cgroup ($TG_TENANTS/acme/job)" reload
refusal_event tenant_child_cgroup_refused acme reload

# Made after the agent started, never a tenant: the pending actor.
mkdir "$N" || exit 1
refused pending_reload_refused "$N" \
	"refused: the caller runs below the tenants cgroup (pending)" reload
refusal_event pending_reload_refused "(pending)" reload
refused tenants_cgroup_status_refused "$TG_TDIR" \
	"refused: the caller runs below the tenants cgroup (pending)" status
refusal_event tenants_cgroup_status_refused "(pending)" status

# Host root is served as before.
if out=$(tg_cli reload 2>&1); then
	tg_pass host_reload_works
else
	tg_fail host_reload_works "$out"
fi
if out=$(tg_cli status 2>&1) && echo "$out" | grep -q "^acme "; then
	tg_pass host_status_works
else
	tg_fail host_status_works "$out"
fi
tg_count_is host_not_refused 0 kind=agent op=control_refused tenant=host

# Who asked: the login uid (audit), whatever the uid, in the events a
# request causes and in refusals. Set here in a child of its own (root may
# set an unset login uid once).
if sh -c 'echo 4242 >/proc/self/loginuid' 2>/dev/null; then
	sh -c 'echo 4242 >/proc/self/loginuid && exec "$@"' sh \
		"$TG_BIN/tenantguard" --control-socket "$TG_T/control.sock" reload >/dev/null
	tg_event reload_names_login_uid kind=agent op=reload verdict=allow \
		by_login_uid=4242 by_uid=0 by_comm=tenantguard
	in_cgroup "$A" "$TG_T/pid.login" sh -c 'echo 4243 >/proc/self/loginuid &&
		exec "$@"' sh "$TG_BIN/tenantguard" --control-socket \
		"$TG_T/control.sock" status >/dev/null 2>&1
	tg_event refusal_names_login_uid kind=agent op=control_refused \
		login_uid=4243 uid=0 tenant=acme
else
	tg_skip reload_names_login_uid "the login uid cannot be set here (immutable)"
	tg_skip refusal_names_login_uid "the login uid cannot be set here (immutable)"
fi

# The event socket: the collector refuses acme's root, stores nothing of it.
want="error: peer in a tenant's cgroup ($TG_TENANTS/acme) not allowed"
out=$(in_cgroup "$A" "$TG_T/pid.event_socket" "$TG_BIN/tg-try" \
	collector-send "$TG_SOCK" hello 2>&1)
case "$out" in
"$want"*) tg_pass tenant_event_socket_refused ;;
*) tg_fail tenant_event_socket_refused "expected '$want', got '$out'" ;;
esac
out=$(in_cgroup "$N" "$TG_T/pid.event_socket_pending" "$TG_BIN/tg-try" \
	collector-send "$TG_SOCK" hello 2>&1)
case "$out" in
"error: peer in a tenant's cgroup ($TG_TENANTS/new cg) not allowed"*)
	tg_pass pending_event_socket_refused ;;
*) tg_fail pending_event_socket_refused "got '$out'" ;;
esac
tg_count_is tenant_frames_not_stored 0 probe=1
if grep -q "rejected peer pid $(cat "$TG_T/pid.event_socket"): peer in a tenant's cgroup ($TG_TENANTS/acme) not allowed" \
	"$TG_T/collector.err"; then
	tg_pass event_socket_refusal_logged
else
	tg_fail event_socket_refusal_logged "$(tail -n 3 "$TG_T/collector.err")"
fi
# Host root still reaches it, and the agent stays connected.
out=$("$TG_BIN/tg-try" collector-send "$TG_SOCK" hello 2>&1)
case "$out" in
"ack "*) tg_pass host_event_socket_accepted ;;
*) tg_fail host_event_socket_accepted "got '$out'" ;;
esac
if tg_cli status --json | grep -q '"collector_connected": *true'; then
	tg_pass agent_still_connected
else
	tg_fail agent_still_connected "$(tg_cli status | grep -i collector)"
fi
tg_summary
