#!/bin/sh
# test_net_forms: every way to name this host and every system call that
# connects or sends, against a port acme holds; socket options that would
# let globex share acme's port. Each refusal: EPERM and its event (op,
# proto, addr, port, tenant, target_tenant, verdict). The same calls by acme
# itself and by host processes succeed.
. "$(dirname "$0")/../lib/tap.sh"
. "$(dirname "$0")/../lib/tenants.sh"
. "$(dirname "$0")/../lib/net.sh"

: "${TG_BIN:?}"
tg_net_setup || exit 1
tg_start_collector || exit 1
tg_start_agent || exit 1
PT=$base		# acme: TCP on every address, IPv4 and IPv6
PU=$((base + 1))	# acme: UDP on every address, IPv4 and IPv6
PR=$((base + 2))	# acme: TCP on 127.0.0.1 with SO_REUSEPORT
PM=$((base + 3))	# acme: MPTCP on 127.0.0.1
PFREE=$((base + 4))	# nobody

nl=0
listen()
{
	nl=$((nl + 1))
	"$P" --cgroup "$A" listen "$1" "$2" "$3" "$TG_T/ready$nl" ${4:-} &
	tg_track $!
	tg_wait_file "$TG_T/ready$nl" || tg_fail "listener_$1_$3" "not ready"
}
listen tcp :: $PT dual
listen udp :: $PU dual
listen tcp 127.0.0.1 $PR reuseport
mptcp=0
[ "$(cat /proc/sys/net/mptcp/enabled 2>/dev/null)" = 1 ] && mptcp=1 &&
	listen mptcp 127.0.0.1 $PM

# deny NAME EVOP PROBE-ARGS...: globex gets EPERM, one event with the
# protocol, address and port given.
deny()
{
	name=$1 evop=$2
	shift 2
	tg_probe "$name" --cgroup "$G" --expect EPERM "$@"
	proto=$2 addr=$3
	# MPTCP is checked (and reported) as the TCP subflow that carries it;
	# UDP to an IPv4-mapped address as the IPv4 send the kernel makes.
	[ "$proto" = mptcp ] && proto=tcp
	case $proto:$addr in
	udp:::ffff:*) addr=${addr#::ffff:} ;;
	esac
	tg_event "${name}_event" kind=net op="$evop" proto="$proto" addr="$addr" \
		port="$4" tenant=globex target_tenant=acme verdict=deny
}

# Every loopback form, the unspecified addresses, IPv4 on IPv6 sockets.
for a in 127.0.0.1 127.1.2.3 127.255.255.254 0.0.0.0 ::1 :: ::ffff:127.0.0.1 \
	::ffff:127.9.8.7 ::ffff:0.0.0.0; do
	deny "tcp_$a" connect connect tcp "$a" $PT
	deny "udp_$a" sendmsg sendto udp "$a" $PU
done
tg_probe allow_owner_tcp_127.1.2.3 --cgroup "$A" --expect ok connect tcp 127.1.2.3 $PT
tg_probe allow_owner_tcp_v4mapped --cgroup "$A" --expect ok connect tcp ::ffff:127.9.8.7 $PT
tg_probe allow_host_tcp_unspecified6 --expect ok connect tcp :: $PT
tg_probe allow_free_port_v4mapped --cgroup "$G" --expect ECONNREFUSED \
	connect tcp ::ffff:127.0.0.1 $PFREE

# Every address of every interface of this host, in its textual forms.
for a in $(ip -o addr show 2>/dev/null | awk '$4 !~ /^127\.|^::1/ { sub("/.*", "", $4); print $4 }' |
	grep -v '^fe80' | head -n 6); do
	deny "tcp_host_$a" connect connect tcp "$a" $PT
	case $a in
	*.*) deny "tcp_host_mapped_$a" connect connect tcp "::ffff:$a" $PT ;;
	esac
	tg_probe "allow_owner_host_$a" --cgroup "$A" --expect ok connect tcp "$a" $PT
done

# Broadcast and multicast reach the host's own sockets too.
tg_probe udp_broadcast --cgroup "$G" --expect EPERM sendto udp 255.255.255.255 $PU broadcast
tg_event udp_broadcast_event kind=net op=sendmsg addr=255.255.255.255 port=$PU \
	tenant=globex target_tenant=acme verdict=deny
deny udp_multicast4 sendmsg sendto udp 224.0.0.1 $PU
deny udp_multicast6 sendmsg sendto udp ff0e::1 $PU

# Every system call that connects or sends.
deny sendmsg_msg_name sendmsg sendmsg udp 127.0.0.1 $PU
deny sendmmsg sendmsg sendmmsg udp 127.0.0.1 $PU
deny sendmmsg6 sendmsg sendmmsg udp ::1 $PU
deny udp_connect_then_send connect connect-send udp 127.0.0.1 $PU
deny tcp_fastopen_sendto connect fastopen tcp 127.0.0.1 $PT
deny tcp_fastopen_sendto6 connect fastopen tcp ::1 $PT
deny tcp_fastopen_connect connect fastopen-connect tcp 127.0.0.1 $PT
if "$P" uring-connect tcp 127.0.0.1 $PFREE >/dev/null 2>&1 ||
	[ $? != 3 ]; then
	deny io_uring_connect connect uring-connect tcp 127.0.0.1 $PT
	deny io_uring_connect6 connect uring-connect tcp ::1 $PT
	deny io_uring_sendmsg sendmsg uring-sendmsg udp 127.0.0.1 $PU
	tg_probe allow_owner_io_uring_connect --cgroup "$A" --expect ok uring-connect tcp 127.0.0.1 $PT
else
	tg_skip io_uring "io_uring is disabled on this kernel"
fi
# UDP-Lite's connect() passes no cgroup hook: tenants may not make such
# sockets (the host may).
for t in globex acme; do
	tg_probe "udplite_socket_$t" --cgroup "$TG_TDIR/$t" --expect EPERM sendto udplite 127.0.0.1 $PFREE
	tg_event "udplite_socket_${t}_event" kind=net op=create proto=udplite tenant=$t verdict=deny
done
tg_probe allow_host_udplite --expect ok sendto udplite 127.0.0.1 $PFREE
if [ "$mptcp" = 1 ]; then
	deny mptcp_to_tcp connect connect mptcp 127.0.0.1 $PT
	deny mptcp_to_mptcp connect connect mptcp 127.0.0.1 $PM
	deny tcp_to_mptcp connect connect tcp 127.0.0.1 $PM
	tg_probe allow_owner_mptcp --cgroup "$A" --expect ok connect mptcp 127.0.0.1 $PM
else
	tg_skip mptcp "MPTCP is not enabled on this kernel (net.mptcp.enabled)"
fi
tg_probe allow_owner_fastopen --cgroup "$A" --expect ok fastopen tcp 127.0.0.1 $PT
tg_probe allow_owner_sendmmsg --cgroup "$A" --expect ok sendmmsg udp 127.0.0.1 $PU
tg_probe allow_host_sendmsg --expect ok sendmsg udp ::1 $PU

# Socket options that let a socket share or shadow acme's port.
deny bind_reuseaddr_reuseport bind bind tcp 127.0.0.1 $PT reuseaddr reuseport
deny bind_udp_reuseaddr_reuseport bind bind udp 127.0.0.1 $PU reuseaddr reuseport
deny bind_freebind bind bind tcp 192.0.2.1 $PT freebind
deny bind_transparent bind bind tcp 127.0.0.3 $PT transparent
deny bind_bindtodevice bind bind tcp 0.0.0.0 $PT dev=lo
deny bind_dualstack bind bind tcp :: $PT dual
deny bind_reuseport_group bind bind tcp 127.0.0.1 $PR reuseaddr reuseport
[ "$mptcp" = 1 ] && deny bind_mptcp bind bind mptcp 127.0.0.2 $PT
tg_probe allow_owner_bind_reuseport --cgroup "$A" --expect ok bind tcp 127.0.0.1 $PR reuseaddr reuseport
tg_probe allow_free_port_options --cgroup "$G" --expect ok bind tcp 127.0.0.2 $PFREE reuseaddr reuseport freebind

# Nothing from acme's own calls (but its UDP-Lite socket).
sleep 0.3
n=$(tg_count kind=net tenant=acme op=connect)
n=$((n + $(tg_count kind=net tenant=acme op=sendmsg) + $(tg_count kind=net tenant=acme op=bind)))
if [ "$n" = 0 ]; then
	tg_pass no_event_for_allowed
else
	tg_fail no_event_for_allowed "$n events from acme's own calls"
fi

tg_summary
