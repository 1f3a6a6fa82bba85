#!/bin/sh
# test_net_fanout: destinations where the socket a lookup finds is not the
# one (or not the only one) the kernel delivers to.
#  - Broadcast and multicast from a tenant's own network namespace leave
#    through its veth and reach sockets on the port in the host's namespace:
#    a port acme holds there is refused to globex.
#  - In one namespace, acme shares a UDP port with a host socket
#    (SO_REUSEADDR, like avahi on 5353): a broadcast or multicast reaches
#    both, whichever the lookup finds first.
#  - Sockets bound to a device (SO_BINDTODEVICE) are invisible to the
#    lookups of the connect and sendmsg programs: the port's holder decides.
# Each denial: EPERM and its event; acme itself, host processes, allow_from
# tenants and ports nobody holds are allowed.
. "$(dirname "$0")/../lib/tap.sh"
. "$(dirname "$0")/../lib/tenants.sh"
. "$(dirname "$0")/../lib/net.sh"

: "${TG_BIN:?}"
tg_net_setup initech || exit 1
PB=$base		# acme: UDP 0.0.0.0 and :: in the host namespace
PFREE=$((base + 1))	# nobody
PS=$((base + 2))	# acme first, then a host socket: UDP 0.0.0.0
PS2=$((base + 3))	# a host socket first, then acme
PD=$((base + 4))	# acme: bound to device lo (TCP and UDP, IPv4 and IPv6)
tg_policy <<YAML
  acme:
    paths: [$TG_SRV/acme]
    allow_from: [initech]
  globex:
    paths: [$TG_SRV/globex]
  initech: {}
YAML
tg_start_collector || exit 1
tg_start_agent || exit 1

# nsprobe NAME ARGS...: tg_probe inside the namespace $ns.
nsprobe() { tg_ns_probe "$ns" "$@"; }

# deny NAME OP-FOR-EVENT ADDR PORT tg_probe|nsprobe PROBE-ARGS...: globex
# gets EPERM and one event for ADDR:PORT.
deny()
{
	dn_name=$1 dn_op=$2 dn_addr=$3 dn_port=$4 dn_how=$5
	shift 5
	$dn_how "$dn_name" "$@"
	tg_event "${dn_name}_event" kind=net op="$dn_op" addr="$dn_addr" \
		port="$dn_port" tenant=globex target_tenant=acme verdict=deny
}
ndeny=0

# Device-bound sockets (same namespace).
tg_listen "$A" tcp 127.0.0.1 $PD dev=lo
tg_listen "$A" tcp ::1 $PD dev=lo
tg_listen "$A" udp 127.0.0.1 $PD dev=lo
for a in 127.0.0.1 ::1; do
	deny "devbound_tcp_$a" connect "$a" $PD tg_probe --cgroup "$G" --expect EPERM connect tcp "$a" $PD
	tg_probe "devbound_tcp_${a}_owner" --cgroup "$A" --expect ok connect tcp "$a" $PD
	tg_probe "devbound_tcp_${a}_host" --expect ok connect tcp "$a" $PD
	tg_probe "devbound_tcp_${a}_allow_from" --cgroup "$I" --expect ok connect tcp "$a" $PD
	ndeny=$((ndeny + 1))
done
deny devbound_udp sendmsg 127.0.0.1 $PD tg_probe --cgroup "$G" --expect EPERM sendto udp 127.0.0.1 $PD
tg_probe devbound_udp_owner --cgroup "$A" --expect ok sendto udp 127.0.0.1 $PD
tg_probe devbound_free_port --cgroup "$G" --expect ECONNREFUSED connect tcp 127.0.0.1 $PFREE
ndeny=$((ndeny + 1))

# A UDP port acme shares with a host socket, both orders.
tg_listen "$A" udp 0.0.0.0 $PS
tg_listen host udp 0.0.0.0 $PS
tg_listen host udp 0.0.0.0 $PS2
tg_listen "$A" udp 0.0.0.0 $PS2
for p in $PS $PS2; do
	deny "shared_${p}_multicast" sendmsg 224.0.0.251 $p tg_probe --cgroup "$G" --expect EPERM \
		sendto udp 224.0.0.251 $p
	deny "shared_${p}_broadcast" sendmsg 255.255.255.255 $p tg_probe --cgroup "$G" --expect EPERM \
		sendto udp 255.255.255.255 $p broadcast
	tg_probe "shared_${p}_multicast_owner" --cgroup "$A" --expect ok sendto udp 224.0.0.251 $p
	tg_probe "shared_${p}_multicast_host" --expect ok sendto udp 224.0.0.251 $p
	tg_probe "shared_${p}_multicast_allow_from" --cgroup "$I" --expect ok \
		sendto udp 224.0.0.251 $p
	ndeny=$((ndeny + 2))
done
tg_probe shared_multicast_free_port --cgroup "$G" --expect ok sendto udp 224.0.0.251 $PFREE

# Broadcast and multicast from a tenant's own namespace, behind a veth.
if command -v ip >/dev/null && command -v nsenter >/dev/null; then
	o=$((100 + $$ % 150))
	ns=tgf$$
	tg_on_cleanup "ip netns del $ns 2>/dev/null"
	if ip netns add "$ns" &&
		ip link add "$ns" type veth peer name eth0 netns "$ns" &&
		ip addr add "10.$o.1.1/24" brd + dev "$ns" && ip link set "$ns" up &&
		ip -n "$ns" addr add "10.$o.1.2/24" brd + dev eth0 &&
		ip -n "$ns" link set eth0 up && ip -n "$ns" link set lo up &&
		ip -n "$ns" route add default via "10.$o.1.1"; then
		tg_listen "$A" udp 0.0.0.0 $PB
		for d in 255.255.255.255 224.0.0.251 "10.$o.1.255"; do
			deny "from_netns_$d" sendmsg "$d" $PB nsprobe --cgroup "$G" \
				--expect EPERM sendto udp "$d" $PB broadcast
			nsprobe "from_netns_${d}_owner" --cgroup "$A" --expect ok \
				sendto udp "$d" $PB broadcast
			nsprobe "from_netns_${d}_host" --expect ok \
				sendto udp "$d" $PB broadcast
			nsprobe "from_netns_${d}_allow_from" --cgroup "$I" \
				--expect ok sendto udp "$d" $PB broadcast
			nsprobe "from_netns_${d}_free_port" --cgroup "$G" \
				--expect ok sendto udp "$d" $PFREE broadcast
			ndeny=$((ndeny + 1))
		done
	else
		tg_skip from_netns "cannot make a network namespace and veth pair here"
	fi
else
	tg_skip from_netns "ip (iproute2) or nsenter (util-linux) missing"
fi

sleep 0.5
tg_count_is one_event_per_denial $ndeny kind=net tenant=globex target_tenant=acme verdict=deny
tg_count_is no_event_for_allowed 0 kind=net tenant=acme
tg_count_is no_event_for_allow_from 0 kind=net tenant=initech

tg_summary
