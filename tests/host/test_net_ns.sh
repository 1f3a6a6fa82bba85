#!/bin/sh
# test_net_ns: tenants on real interfaces. The test makes its own network
# namespaces and veth pairs (removed on exit):
#   H  a namespace behind veth vh (host side: a host address, in no
#      tenant's network), where tenant processes run in their own netns;
#   A  acme's network behind veth va (acme's networks: its subnet), with
#      acme's listeners inside;
#   N  a network nobody owns behind veth vn, with a host listener.
# (The host's forwarding setting is left alone, so traffic from one
# namespace to another is only tried where it is refused before routing.)
# What must hold, IPv4 and IPv6: globex reaching a port acme holds on a host
# address is refused from the host's namespace and from its own namespace;
# globex reaching acme's network is refused; acme itself, host processes,
# allow_from tenants (initech) and addresses nobody owns are allowed; ICMP
# from ping sockets to acme's network is refused alike.
# Addresses the host gains after the agent started count at once, and stop
# counting once removed (rtnetlink). Each denial asserts EPERM and the event.
. "$(dirname "$0")/../lib/tap.sh"
. "$(dirname "$0")/../lib/tenants.sh"
. "$(dirname "$0")/../lib/net.sh"

: "${TG_BIN:?}"
command -v ip >/dev/null && command -v nsenter >/dev/null || {
	tg_skip net_ns "ip (iproute2) or nsenter (util-linux) missing"
	tg_summary
	exit 0
}
tg_net_setup initech || exit 1
PH=$base		# acme, every address of the host namespace
PA=$((base + 1))	# acme, inside its network namespace
PN=$((base + 2))	# host process inside N
PFREE=$((base + 3))	# nobody
PU=$((base + 4))	# acme, UDP, every address of the host namespace

# Addresses unique to this run.
o=$((100 + $$ % 150))
h6=$(printf 'fd54:%x' $(($$ % 65536)))
HOST4=10.$o.1.1 H4=10.$o.1.2 HOST6=$h6:1::1 H6=$h6:1::2
A4=10.$o.2.2 AH4=10.$o.2.1 A6=$h6:2::2 AH6=$h6:2::1
N4=10.$o.3.2 NH4=10.$o.3.1 N6=$h6:3::2 NH6=$h6:3::1
NEW4=10.$o.4.1 NEW6=$h6:4::1
ns=tg$$
for n in h a n; do
	tg_on_cleanup "ip netns del $ns$n 2>/dev/null"
done

# veth pair v$1 (host side ${ns}$1, peer in netns ${ns}$1) with /24 and /64.
mkns()
{
	ip netns add "$ns$1" &&
		ip link add "$ns$1" type veth peer name eth0 netns "$ns$1" &&
		ip addr add "$2/24" dev "$ns$1" && ip addr add "$4/64" dev "$ns$1" nodad &&
		ip link set "$ns$1" up &&
		ip -n "$ns$1" addr add "$3/24" dev eth0 &&
		ip -n "$ns$1" addr add "$5/64" dev eth0 nodad &&
		ip -n "$ns$1" link set eth0 up && ip -n "$ns$1" link set lo up &&
		ip -n "$ns$1" route add default via "$2" &&
		ip -n "$ns$1" -6 route add default via "$4"
}
if ! mkns h "$HOST4" "$H4" "$HOST6" "$H6" || ! mkns a "$AH4" "$A4" "$AH6" "$A6" ||
	! mkns n "$NH4" "$N4" "$NH6" "$N6"; then
	tg_skip net_ns "cannot make network namespaces and veth pairs here"
	tg_summary
	exit 0
fi

tg_policy <<YAML
  acme:
    networks: [10.$o.2.0/24, "$h6:2::/64"]
    allow_from: [initech]
  globex: {}
  initech: {}
YAML
tg_start_collector || exit 1
tg_start_agent || exit 1

# inns NS CMD...: run in network namespace NS (mounts untouched: cgroupfs stays).
inns()
{
	nsname=$ns$1
	shift
	nsenter --net="/run/netns/$nsname" "$@"
}

# listen NS CGROUP|host PROTO ADDR PORT [OPTS...]: a listener, until exit.
nl=0
listen()
{
	nl=$((nl + 1))
	where=$1 cg=$2 proto=$3 addr=$4 port=$5
	shift 5
	set -- listen "$proto" "$addr" "$port" "$TG_T/ready$nl" "$@"
	[ "$cg" = host ] || set -- --cgroup "$cg" "$@"
	set -- "$P" "$@"
	[ "$where" = host ] || set -- nsenter --net="/run/netns/$ns$where" "$@"
	"$@" &
	tg_track $!
	tg_wait_file "$TG_T/ready$nl" || tg_fail "listener_$nl" "not ready: $*"
}
listen host "$A" tcp :: $PH dual
listen host "$A" udp :: $PU dual
listen a "$A" tcp :: $PA dual
listen a "$A" udp :: $PA dual
listen n host tcp :: $PN dual

# run NAME NS CGROUP|host EXPECT OP PROTO ADDR PORT: tg-try from that
# namespace and cgroup; PASS if the outcome is EXPECT.
run()
{
	name=$1 where=$2 cg=$3 want=$4
	shift 4
	if [ "$cg" = host ]; then
		set -- "$P" --expect "$want" "$@"
	else
		set -- "$P" --cgroup "$cg" --expect "$want" "$@"
	fi
	[ "$where" = host ] || set -- nsenter --net="/run/netns/$ns$where" "$@"
	if out=$("$@" 2>&1); then
		tg_pass "$name"
	else
		tg_fail "$name" "$(echo "$out" | tail -n 1)"
	fi
}

# deny NAME NS CGROUP OP PROTO ADDR PORT: EPERM and its event.
deny()
{
	run "$1" "$2" "$3" EPERM "$4" "$5" "$6" "$7"
	evop=connect
	[ "$4" = sendto ] && evop=sendmsg
	tg_event "${1}_event" kind=net op=$evop proto="$5" addr="$6" port="$7" \
		tenant="$(basename "$3")" target_tenant=acme verdict=deny
}

# allow NAME NS CGROUP|host EXPECT OP PROTO ADDR PORT
allow()
{
	run "$@"
}

for v in 4 6; do
	eval host=\$HOST$v acme=\$A$v none=\$N$v
	# A port acme holds on a host address (not loopback).
	deny "host_addr${v}_from_host_netns" host "$G" connect tcp "$host" $PH
	deny "host_addr${v}_from_own_netns" h "$G" connect tcp "$host" $PH
	deny "host_addr${v}_udp_from_own_netns" h "$G" sendto udp "$host" $PU
	deny "host_addr${v}_udp_from_host_netns" host "$G" sendto udp "$host" $PU
	allow "host_addr${v}_owner_from_own_netns" h "$A" ok connect tcp "$host" $PH
	allow "host_addr${v}_host_process_from_netns" h host ok connect tcp "$host" $PH
	allow "host_addr${v}_allow_from_from_netns" h "$I" ok connect tcp "$host" $PH
	allow "host_addr${v}_free_port_from_own_netns" h "$G" ECONNREFUSED connect tcp "$host" $PFREE
	# acme's network, in its own namespace.
	deny "acme_net${v}_from_host_netns" host "$G" connect tcp "$acme" $PA
	deny "acme_net${v}_from_other_netns" h "$G" connect tcp "$acme" $PA
	deny "acme_net${v}_udp" host "$G" sendto udp "$acme" $PA
	deny "acme_net${v}_unused_port" host "$G" connect tcp "$acme" $PFREE
	allow "acme_net${v}_owner" host "$A" ok connect tcp "$acme" $PA
	allow "acme_net${v}_host" host host ok connect tcp "$acme" $PA
	allow "acme_net${v}_allow_from" host "$I" ok connect tcp "$acme" $PA
	allow "acme_net${v}_allow_from_udp" host "$I" ok sendto udp "$acme" $PA
	# An address nobody owns.
	allow "unowned${v}" host "$G" ok connect tcp "$none" $PN
done
# Ping sockets (no sendmsg program runs for them): an ICMP or ICMPv6
# message to acme's network is refused at egress, from the host's
# namespace and another; acme itself, the host, allow_from and other
# places are reached.
old_range=$(cat /proc/sys/net/ipv4/ping_group_range)
tg_on_cleanup "echo '$old_range' >/proc/sys/net/ipv4/ping_group_range"
echo "0 2147483647" >/proc/sys/net/ipv4/ping_group_range
inns h sh -c 'echo "0 2147483647" >/proc/sys/net/ipv4/ping_group_range'
for v in 4 6; do
	eval host=\$HOST$v acme=\$A$v none=\$N$v
	# The kernel tells the sender of an ICMPv6 message dropped on its way
	# out nothing: no reply is what shows it.
	p=icmp no=EPERM
	[ $v = 6 ] && p=icmpv6 no=ETIMEDOUT
	run "ping_acme_net$v" host "$G" $no ping "$acme" reply
	tg_event "ping_acme_net${v}_event" kind=net op=sendmsg proto=$p \
		addr="$acme" tenant=globex target_tenant=acme verdict=deny
	run "ping_acme_net${v}_from_other_netns" h "$G" $no ping "$acme" reply
	run "ping_acme_net${v}_owner" host "$A" ok ping "$acme" reply
	run "ping_acme_net${v}_host" host host ok ping "$acme"
	run "ping_acme_net${v}_allow_from" host "$I" ok ping "$acme"
	run "ping_unowned$v" host "$G" ok ping "$none"
	run "ping_host_addr$v" host "$G" ok ping "$host"
done

# IPv4 on an IPv6 socket reaches the same places.
deny host_addr4_mapped_from_own_netns h "$G" connect tcp "::ffff:$HOST4" $PH
deny acme_net4_mapped host "$G" connect tcp "::ffff:$A4" $PA

# Addresses added after the agent started count at once (rtnetlink).
count_addrs()
{
	tg_cli status --json | sed -n 's/.*"local_routes": *\([0-9]*\).*/\1/p'
}
before=$(count_addrs)
# A socket that sent to the address before it was the host's.
"$P" --cgroup "$G" --expect EPERM sendto-again udp "$NEW4" $PU "$TG_T/go" >"$TG_T/again.out" 2>&1 &
again=$!
tg_track $again
tg_wait_file "$TG_T/go.sent"
ip addr add "$NEW4/32" dev "${ns}h" && ip addr add "$NEW6/128" dev "${ns}h" nodad
sleep 0.3
after=$(count_addrs)
if [ "$after" = $((before + 2)) ]; then
	tg_pass new_address_counted
else
	tg_fail new_address_counted "local_routes $before -> $after"
fi
touch "$TG_T/go"
if tg_wait $again; then
	tg_pass new_addr_send_again
else
	tg_fail new_addr_send_again "$(tail -n 1 "$TG_T/again.out")"
fi
deny new_addr4_from_own_netns h "$G" connect tcp "$NEW4" $PH
deny new_addr6_from_own_netns h "$G" connect tcp "$NEW6" $PH
allow new_addr4_owner h "$A" ok connect tcp "$NEW4" $PH

# Removed, then given to namespace N (a host listener there): no longer
# the host's, so reaching it is not checked against acme's ports.
ip addr del "$NEW4/32" dev "${ns}h" && ip addr del "$NEW6/128" dev "${ns}h" &&
	inns n ip addr add "$NEW4/32" dev eth0 && inns n ip addr add "$NEW6/128" dev eth0 nodad &&
	ip route add "$NEW4/32" dev "${ns}n" && ip -6 route add "$NEW6/128" dev "${ns}n"
sleep 0.3
after=$(count_addrs)
if [ "$after" = "$before" ]; then
	tg_pass removed_address_uncounted
else
	tg_fail removed_address_uncounted "local_routes $before -> $after"
fi
listen n host tcp :: $PH dual
allow removed_addr4_not_host host "$G" ok connect tcp "$NEW4" $PH
allow removed_addr6_not_host host "$G" ok connect tcp "$NEW6" $PH

tg_summary
