#!/bin/sh
# test_net_seed: sockets tenants opened before the agent started (and
# across an agent restart) are acme's as if made under the agent: globex
# can neither reach nor squat on them, acme and the host can; a port is
# free again once its socket closes. Also in a namespace of the tenant's.
. "$(dirname "$0")/../lib/tap.sh"
. "$(dirname "$0")/../lib/tenants.sh"
. "$(dirname "$0")/../lib/net.sh"

: "${TG_BIN:?}"
tg_net_setup || exit 1
P4=$base		# acme, TCP 127.0.0.1
P6=$((base + 1))	# acme, TCP on every address, IPv4 and IPv6
PU=$((base + 2))	# acme, UDP on every address
PN=$((base + 3))	# acme, TCP on loopback of its own network namespace
PGONE=$((base + 4))	# acme, closed after the agent started

ns=tg$$s
netns=0
if command -v nsenter >/dev/null && ip netns add "$ns" 2>/dev/null; then
	tg_on_cleanup "ip netns del $ns 2>/dev/null"
	ip -n "$ns" link set lo up && netns=1
fi

# Listeners, all before the agent starts.
nl=0
listen()
{
	nl=$((nl + 1))
	"$@" "$TG_T/ready$nl" &
	last=$!
	tg_track $last
	tg_wait_file "$TG_T/ready$nl" || tg_fail "listener_$nl" "not ready"
}
listen "$P" --cgroup "$A" listen tcp 127.0.0.1 $P4
listen "$P" --cgroup "$A" listen tcp :: $P6
listen "$P" --cgroup "$A" listen udp :: $PU
listen "$P" --cgroup "$A" listen tcp 127.0.0.1 $PGONE
gone=$last
# The kernel's choice: listen() without bind(), sendto() without bind().
listen "$P" --cgroup "$A" listen tcp 127.0.0.1 -
PK=$(cat "$TG_T/ready$nl")
listen "$P" --cgroup "$A" listen udp 127.0.0.1 -
PKU=$(cat "$TG_T/ready$nl")
[ "$netns" = 1 ] && listen nsenter --net="/run/netns/$ns" "$P" --cgroup "$A" listen tcp 127.0.0.1 $PN

tg_start_collector || exit 1
tg_start_agent || exit 1
if grep -q "sockets open before start: [1-9][0-9]* of tenants found" "$TG_T/agent.err"; then
	tg_pass seed_reported
else
	tg_fail seed_reported "$(grep 'open before start' "$TG_T/agent.err")"
fi

# deny NAME EVOP PROBE-ARGS...: EPERM and the event.
deny()
{
	name=$1 evop=$2
	shift 2
	tg_probe "$name" --cgroup "$G" --expect EPERM "$@"
	tg_event "${name}_event" kind=net op="$evop" proto="$2" port="$4" \
		tenant=globex target_tenant=acme verdict=deny
}

check_all()
{
	s=$1
	deny "connect4$s" connect connect tcp 127.0.0.1 $P4
	deny "connect6$s" connect connect tcp ::1 $P6
	deny "connect6_v4$s" connect connect tcp 127.0.0.1 $P6
	deny "sendto$s" sendmsg sendto udp ::1 $PU
	deny "sendto_v4$s" sendmsg sendto udp 127.0.0.1 $PU
	deny "connect_kernel_port$s" connect connect tcp 127.0.0.1 $PK
	deny "sendto_kernel_port$s" sendmsg sendto udp 127.0.0.1 $PKU
	deny "bind_squat4$s" bind bind tcp 127.0.0.2 $P4
	deny "bind_squat_kernel_port$s" bind bind tcp 127.0.0.2 $PK
	deny "bind_squat_udp_kernel_port$s" bind bind udp 127.0.0.2 $PKU
	tg_probe "owner_connect4$s" --cgroup "$A" --expect ok connect tcp 127.0.0.1 $P4
	tg_probe "owner_connect6$s" --cgroup "$A" --expect ok connect tcp ::1 $P6
	tg_probe "owner_sendto$s" --cgroup "$A" --expect ok sendto udp ::1 $PU
	tg_probe "host_connect$s" --expect ok connect tcp 127.0.0.1 $P4
	tg_probe "host_connect_kernel_port$s" --expect ok connect tcp 127.0.0.1 $PK
	if [ "$netns" = 1 ]; then
		tg_ns_probe "$ns" "own_netns_connect$s" --cgroup "$G" --expect EPERM connect tcp 127.0.0.1 $PN
		tg_event "own_netns_connect${s}_event" kind=net op=connect port=$PN \
			tenant=globex target_tenant=acme verdict=deny
		tg_ns_probe "$ns" "own_netns_owner$s" --cgroup "$A" --expect ok connect tcp 127.0.0.1 $PN
	else
		tg_skip "own_netns$s" "cannot make a network namespace here"
	fi
}
check_all ""

# A socket that closes gives its port back.
kill "$gone" && wait "$gone" 2>/dev/null
tg_probe port_released --cgroup "$G" --expect ok bind tcp 127.0.0.2 $PGONE

# Restart: the new agent finds the same sockets again.
tg_stop_agent
tg_start_agent || exit 1
check_all _after_restart

tg_summary
