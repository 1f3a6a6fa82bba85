# shellcheck shell=sh
# Helpers of the network tests. Needs tenants.sh (TG_BIN, TG_T, tg_track,
# tg_wait, tg_wait_file) and tap.sh.

# tg_net_setup [initech]: tg_env_setup, then what every network test names:
# P the test tool, A and G the cgroups of acme and globex, base the first of
# this run's ports (20000-39999, from the pid); with initech, also I, the
# cgroup of a third tenant, made here.
# shellcheck disable=SC2034 # the tests use them
tg_net_setup()
{
	tg_env_setup || return 1
	P=$TG_BIN/tg-try
	A=$TG_TDIR/acme
	G=$TG_TDIR/globex
	base=$TG_PORT_BASE
	[ "${1:-}" = initech ] || return 0
	I=$TG_TDIR/initech
	mkdir -p "$I"
}

# tg_ns_probe NETNS NAME ARGS...: tg_probe inside network namespace NETNS
# (a name in /run/netns, as ip netns makes them).
tg_ns_probe()
{
	tnp_ns=$1 tnp_name=$2
	shift 2
	if out=$(nsenter --net="/run/netns/$tnp_ns" "$TG_BIN/tg-try" "$@" 2>&1); then
		tg_pass "$tnp_name"
	else
		tg_fail "$tnp_name" "$(echo "$out" | tail -n 1)"
	fi
}

# tg_send_after_taken NAME "SEND..." "TAKE...": tg-try SEND... FILE (a
# sendto-again) sends once; then tg-try TAKE... READY (a listen) takes
# the port; then the second send must have the outcome SEND's --expect
# names: PASS or FAIL NAME.
tg_send_after_taken()
{
	sat_name=$1
	"$TG_BIN/tg-try" $2 "$TG_T/$sat_name.go" >"$TG_T/$sat_name.out" 2>&1 &
	sat_pid=$!
	tg_track $sat_pid
	tg_wait_file "$TG_T/$sat_name.go.sent"
	"$TG_BIN/tg-try" $3 "$TG_T/$sat_name.ready" &
	tg_track $!
	tg_wait_file "$TG_T/$sat_name.ready"
	touch "$TG_T/$sat_name.go"
	if tg_wait $sat_pid; then
		tg_pass "$sat_name"
	else
		tg_fail "$sat_name" "$(tail -n 1 "$TG_T/$sat_name.out")"
	fi
}

# tg_listen CGROUP|host PROTO ADDR PORT [OPTS]: a tg-try listener in that
# cgroup (or a host process) until the test ends; its pid in $tg_listener.
tg_listen()
{
	tg_nl=$((${tg_nl:-0} + 1))
	if [ "$1" = host ]; then
		shift
		set -- "$TG_BIN/tg-try" listen "$1" "$2" "$3" "$TG_T/listen$tg_nl" ${4:+"$4"}
	else
		tl_cg=$1
		shift
		set -- "$TG_BIN/tg-try" --cgroup "$tl_cg" listen "$1" "$2" "$3" \
			"$TG_T/listen$tg_nl" ${4:+"$4"}
	fi
	"$@" &
	tg_listener=$!
	tg_track $tg_listener
	tg_wait_file "$TG_T/listen$tg_nl" || tg_fail "listener_$tg_nl" "not ready: $*"
}
