#!/bin/sh
# test_net_families: the sockets tenants may make. Refused to tenants and to
# the pending actor, by socket(), socketpair() and io_uring's socket request
# alike (EPERM and one kind net, op create event naming the family, type and
# protocol): AF_PACKET (raw, datagram, and the old SOCK_PACKET of AF_INET),
# AF_KEY, raw inet and inet6 sockets of any protocol, every netlink protocol
# but route, sock_diag, generic and audit (usersock, kobject_uevent,
# netfilter, xfrm, connector), AF_VSOCK, AF_TIPC, AF_RDS, AF_XDP, whether the
# kernel has the family or not. Allowed: a route and a sock_diag dump, the
# generic and audit netlink protocols, ICMP datagram ("ping") sockets where
# net.ipv4.ping_group_range lets the caller, TCP, UDP, unix and AF_ALG
# sockets, with no event; host processes make every one of them.
. "$(dirname "$0")/../lib/tap.sh"
. "$(dirname "$0")/../lib/tenants.sh"
. "$(dirname "$0")/../lib/net.sh"

: "${TG_BIN:?}"
tg_net_setup || exit 1
PD="$TG_TDIR/bad name" # no tenant can be named so: the pending actor
tg_start_collector || exit 1
tg_start_agent || exit 1
mkdir -p "$A" "$G" "$PD"
tg_wait_tenant acme && tg_wait_tenant globex || tg_fail tenants_registered "acme or globex missing"
tg_event pending_cgroup_reported kind=agent op=pending reason=invalid_name \
	cgroup="$PD"

# refused NAME CGROUP TENANT FAMILY TYPE PROTO CALL ARGS...: tg-try CALL
# ARGS... in CGROUP gets EPERM, and one event of TENANT names the socket's
# FAMILY, TYPE and PROTO as the log shows them.
refused()
{
	r_name=$1 r_cg=$2 r_tenant=$3 r_family=$4 r_type=$5 r_proto=$6
	shift 6
	tg_probe "$r_name" --cgroup "$r_cg" --expect EPERM "$@"
	tg_event "${r_name}_event" kind=net op=create verdict=deny \
		tenant="$r_tenant" target_tenant=host family="$r_family" \
		type="$r_type" proto="$r_proto" port=0
}

# deny NAME FAMILY TYPE PROTO PROTO_NAME: globex's socket() refused.
deny()
{
	refused "$1" "$G" globex "$2" "$3" "$5" socket-of "$2" "$3" "$4"
}

# Families other than inet and inet6 pass no cgroup hook: the agent checks
# them where the kernel lets a program modify security_socket_create's
# return (fmod_ret), and else says so (net:families in unenforced).
families=1
if tg_cli status --json | grep -q '"net:families"'; then
	families=0
	tg_pass families_reported_unenforced
	reason=$(tg_cli status --json | sed -n 's/.*"net_families_reason":"\([^"]*\)".*/\1/p')
fi
# other CALL...: CALL (deny or refused) for a family other than inet and
# inet6, a SKIP where the agent reports those unenforced.
other()
{
	if [ "$families" = 1 ]; then
		"$@"
	else
		tg_skip "$2" "families other than inet and inet6 unenforced here: ${reason:-see status}"
	fi
}

# Families no tenant needs (PROTO of packet: an ethertype, 3 is ETH_P_ALL),
# whether this kernel has them or not.
other deny packet_raw packet raw 3 other
other deny packet_dgram packet dgram 3 other
other refused packet_obsolete_inet "$G" globex packet packet other \
	socket-of inet packet 3
other deny key_v2 key raw 2 other
other deny vsock vsock stream 0 other
other deny tipc tipc rdm 0 other
other deny rds rds seqpacket 0 other
other deny xdp xdp raw 0 other
# Raw inet sockets, whatever their protocol.
deny raw4_ipproto_raw inet raw 255 raw
deny raw4_icmp inet raw 1 icmp
deny raw4_udp inet raw 17 udp
deny raw6_icmpv6 inet6 raw 58 icmpv6
deny raw6_tcp inet6 raw 6 tcp
# Netlink protocols that are no tenant's business.
other deny netlink_usersock netlink raw 2 usersock
other deny netlink_usersock_dgram netlink dgram 2 usersock
other deny netlink_kobject_uevent netlink dgram 15 kobject_uevent
other deny netlink_netfilter netlink raw 12 netfilter
other deny netlink_xfrm netlink raw 6 xfrm
other deny netlink_connector netlink dgram 11 connector
other deny netlink_unknown netlink raw 31 other
# Other ways to make a socket: socketpair(), io_uring.
other refused socketpair_packet "$G" globex packet dgram other \
	socketpair-of packet dgram 3
other refused socketpair_netlink "$G" globex netlink raw usersock \
	socketpair-of netlink raw 2
tg_probe allow_socketpair_unix --cgroup "$G" --expect ok socketpair-of unix stream 0
if "$P" uring-socket unix stream 0 >/dev/null 2>&1; then
	other refused uring_socket_packet "$G" globex packet raw other \
		uring-socket packet raw 3
	other refused uring_socket_usersock "$G" globex netlink raw usersock \
		uring-socket netlink raw 2
	refused uring_socket_raw4 "$G" globex inet raw raw \
		uring-socket inet raw 255
	tg_probe allow_uring_socket_route --cgroup "$G" --expect ok uring-socket netlink raw 0
else
	tg_skip uring_socket "io_uring or its socket request is unavailable here"
fi
# Another tenant and the pending actor alike.
other refused acme_packet "$A" acme packet raw other socket-of packet raw 3
other refused pending_packet "$PD" "(pending)" packet raw other \
	socket-of packet raw 3
other refused pending_usersock "$PD" "(pending)" netlink raw usersock \
	socket-of netlink raw 2
refused pending_raw6 "$PD" "(pending)" inet6 raw icmpv6 \
	socket-of inet6 raw 58
# One event per refusal.
sleep 0.3
tg_count_is one_event_per_refusal 1 kind=net op=create tenant=globex \
	family=inet proto=udp type=raw
other tg_count_is one_event_per_refusal_netlink 1 kind=net op=create \
	tenant=globex family=netlink proto=usersock type=dgram

# What ordinary tools need: ip (route), ss (sock_diag), systemd-networkd,
# iw, wg, ethtool (generic), login tools (audit), ping.
tg_probe allow_route_dump --cgroup "$G" --expect ok netlink-dump route
# A kernel without the inet_diag module answers ENOENT (the guests): not
# a refusal of ours, which would be EPERM.
if out=$("$P" --cgroup "$G" netlink-dump sock_diag 2>&1) ||
	echo "$out" | grep -q ": ENOENT$"; then
	tg_pass allow_sock_diag_dump
else
	tg_fail allow_sock_diag_dump "$out"
fi
tg_probe allow_netlink_generic --cgroup "$G" --expect ok socket-of netlink raw 16
tg_probe allow_netlink_audit --cgroup "$G" --expect ok socket-of netlink raw 9
tg_probe allow_pending_route_dump --cgroup "$PD" --expect ok netlink-dump route
old_range=$(cat /proc/sys/net/ipv4/ping_group_range)
tg_on_cleanup "echo '$old_range' >/proc/sys/net/ipv4/ping_group_range"
echo "0 2147483647" >/proc/sys/net/ipv4/ping_group_range
tg_probe allow_ping4 --cgroup "$G" --expect ok socket-of inet dgram 1
tg_probe allow_ping6 --cgroup "$G" --expect ok socket-of inet6 dgram 58
tg_probe allow_pending_ping4 --cgroup "$PD" --expect ok socket-of inet dgram 1
echo "1 0" >/proc/sys/net/ipv4/ping_group_range
# The kernel's own limit still holds (EACCES, not a tenantguard refusal).
tg_probe ping_group_range_still_applies --cgroup "$G" --expect EACCES \
	socket-of inet dgram 1
echo "$old_range" >/proc/sys/net/ipv4/ping_group_range
tg_probe allow_tcp --cgroup "$G" --expect ok socket-of inet6 stream 6
tg_probe allow_udp --cgroup "$G" --expect ok socket-of inet dgram 17
tg_probe allow_unix --cgroup "$G" --expect ok socket-of unix dgram 0
if "$P" socket-of alg seqpacket 0 >/dev/null 2>&1; then
	tg_probe allow_alg --cgroup "$G" --expect ok socket-of alg seqpacket 0
else
	tg_skip allow_alg "this kernel has no AF_ALG"
fi
sleep 0.3
n=$(tg_count kind=net op=create family=netlink proto=route)
n=$((n + $(tg_count kind=net op=create family=netlink proto=generic)))
n=$((n + $(tg_count kind=net op=create family=netlink proto=audit)))
n=$((n + $(tg_count kind=net op=create family=netlink proto=sock_diag)))
n=$((n + $(tg_count kind=net op=create type=dgram proto=icmp)))
n=$((n + $(tg_count kind=net op=create type=dgram proto=icmpv6)))
if [ "$n" = 0 ]; then
	tg_pass no_event_for_allowed
else
	tg_fail no_event_for_allowed "$n events for allowed sockets"
fi

# Host processes make every one of them (or get the kernel's own answer,
# never EPERM).
host()
{
	if out=$("$P" "$@" 2>&1) || ! echo "$out" | grep -q ': EPERM$'; then
		tg_pass "allow_host_$(echo "$*" | tr ' ' _)"
	else
		tg_fail "allow_host_$(echo "$*" | tr ' ' _)" "$out"
	fi
}
host socket-of packet raw 3
host socket-of packet dgram 3
host socket-of key raw 2
host socket-of vsock stream 0
host socket-of inet raw 255
host socket-of inet6 raw 58
host socket-of netlink raw 2
host socket-of netlink dgram 15
host socket-of netlink raw 12
host socketpair-of packet dgram 3
tg_summary
