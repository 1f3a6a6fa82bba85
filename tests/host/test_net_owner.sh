#!/bin/sh
# test_net_owner: whose a socket is, for the cgroup programs. A socket is
# its creator's tenant's (the cgroup the kernel recorded at its creation),
# tagged only when needed, so these cases check that the rule holds on
# every path without a tag: a socket acme made and globex uses (TCP and
# UDP, IPv4 and IPv6, connect, bind, sendto) is refused, also after acme
# used it (a verdict cached on the socket is not globex's), also when it was
# made before the agent started; a host socket becomes the first tenant's
# that uses it; a destination allowed before is refused once another
# tenant's socket takes its port (the verdicts kept per tenant and per
# socket are dropped); one allowed because a host socket has the port on
# that address is not kept while another tenant holds the port elsewhere.
# Each denied case asserts EPERM and its event; each allowed case asserts
# success.
. "$(dirname "$0")/../lib/tap.sh"
. "$(dirname "$0")/../lib/tenants.sh"
. "$(dirname "$0")/../lib/net.sh"

: "${TG_BIN:?}"
tg_net_setup || exit 1
free=$((base + 71)) ta=$((base + 72)) ua=$((base + 73))
late=$((base + 74)) late2=$((base + 75)) late3=$((base + 76))
early=$((base + 77))
tg_policy <<YAML
  acme:
    paths: [$TG_SRV/acme]
  globex:
    paths: [$TG_SRV/globex]
YAML
tg_start_collector || exit 1

# Sockets made before the agent starts, used once it enforces.
early_probe()
{
	name=$1
	shift
	"$P" "$@" >"$TG_T/$name.out" 2>&1 &
	eval "pid_$name=\$!"
	tg_track $!
}
early_probe early_tcp --cgroup "$A" --expect EPERM sock tcp 127.0.0.1:$early \
	socket,wait="$TG_T/go",move="$G",connect
early_probe early_udp --cgroup "$A" --expect EPERM sock udp 127.0.0.1:$early \
	socket,wait="$TG_T/go",move="$G",sendto
early_probe early_udp6 --cgroup "$A" --expect EPERM sock udp "::1:$early" \
	socket,wait="$TG_T/go",move="$G",sendto
early_probe early_own --cgroup "$A" --expect ok sock udp 127.0.0.1:$early \
	socket,wait="$TG_T/go",sendto

tg_start_agent || exit 1

for l in "tcp 127.0.0.1 $ta" "tcp ::1 $ta" "udp 127.0.0.1 $ua" "udp ::1 $ua"; do
	set -- $l
	"$P" --cgroup "$A" listen $l "$TG_T/ready.$1.$2" &
	tg_track $!
	tg_wait_file "$TG_T/ready.$1.$2" || exit 1
done

touch "$TG_T/go"
for name in early_tcp early_udp early_udp6 early_own; do
	eval "pid=\$pid_$name"
	if wait "$pid"; then
		tg_pass "made_before_agent_$name"
	else
		tg_fail "made_before_agent_$name" "$(tail -n 1 "$TG_T/$name.out")"
	fi
done
tg_event made_before_agent_event kind=net op=connect tenant=globex \
	target_tenant=acme proto=tcp port=$early verdict=deny
tg_event made_before_agent_udp_event --count 2 kind=net op=sendmsg \
	tenant=globex target_tenant=acme proto=udp port=$early verdict=deny

# acme's socket in globex's hands, by every call and family.
for proto in tcp udp; do
	for addr in 127.0.0.1 ::1; do
		fam=4
		[ "$addr" = ::1 ] && fam=6
		ops="connect bind"
		[ $proto = udp ] && ops="connect bind sendto"
		for op in $ops; do
			tg_probe "foreign_${proto}${fam}_$op" --cgroup "$A" --move-to "$G" \
				--expect EPERM $op $proto $addr $free
		done
	done
done
tg_event foreign_tcp6_connect_event kind=net op=connect tenant=globex \
	target_tenant=acme proto=tcp addr=::1 port=$free verdict=deny
tg_event foreign_udp4_connect_event kind=net op=connect tenant=globex \
	target_tenant=acme proto=udp addr=127.0.0.1 port=$free verdict=deny
tg_event foreign_tcp4_bind_event kind=net op=bind tenant=globex \
	target_tenant=acme proto=tcp addr=127.0.0.1 port=$free verdict=deny
tg_event foreign_udp6_bind_event kind=net op=bind tenant=globex \
	target_tenant=acme proto=udp addr=::1 port=$free verdict=deny
tg_event foreign_udp6_sendto_event kind=net op=sendmsg tenant=globex \
	target_tenant=acme proto=udp addr=::1 port=$free verdict=deny

# The same calls on acme's own sockets, and from the host.
tg_probe own_tcp4_connect --cgroup "$A" --expect ok connect tcp 127.0.0.1 $ta
tg_probe own_tcp6_connect --cgroup "$A" --expect ok connect tcp ::1 $ta
tg_probe own_udp4_sendto --cgroup "$A" --expect ok sendto udp 127.0.0.1 $ua
tg_probe own_udp6_sendto --cgroup "$A" --expect ok sendto udp ::1 $ua
tg_probe own_udp6_connect --cgroup "$A" --expect ok connect udp ::1 $ua
tg_probe own_tcp6_bind --cgroup "$A" --expect ok bind tcp ::1 $free
tg_probe own_udp4_bind --cgroup "$A" --expect ok bind udp 127.0.0.1 $free
tg_probe host_tcp4_connect --expect ok connect tcp 127.0.0.1 $ta

# A send allowed from acme is cached on the socket: not for globex.
tg_probe cached_send_then_moved --cgroup "$A" --expect EPERM sock udp \
	127.0.0.1:$free sendto,sendto,move="$G",sendto
tg_probe cached_send_then_moved6 --cgroup "$A" --expect EPERM sock udp \
	"::1:$free" sendto,sendto,move="$G",sendto
tg_probe cached_send_own --cgroup "$A" --expect ok sock udp 127.0.0.1:$free \
	sendto,sendto,sendto
tg_event cached_send_then_moved_event --count 3 kind=net op=sendmsg \
	tenant=globex target_tenant=acme port=$free verdict=deny

# A host socket is the first tenant's that uses it; then not another's.
tg_probe host_socket_adopted --expect EPERM sock udp 127.0.0.1:$free \
	socket,move="$G",sendto,move="$A",sendto
tg_event host_socket_adopted_event kind=net op=sendmsg tenant=acme \
	target_tenant=globex port=$free verdict=deny
tg_probe host_socket_adopted_at_connect --expect EPERM sock udp 127.0.0.1:$free \
	socket,move="$G",connect,move="$A",sendto

# Verdicts kept for a destination end when another tenant takes its port.
tg_probe connect_port_free --cgroup "$G" --expect ECONNREFUSED connect tcp 127.0.0.1 $late
tg_probe connect_port_free_again --cgroup "$G" --expect ECONNREFUSED connect tcp 127.0.0.1 $late
"$P" --cgroup "$A" listen tcp 127.0.0.1 $late "$TG_T/late" &
tg_track $!
tg_wait_file "$TG_T/late"
tg_probe connect_after_port_taken --cgroup "$G" --expect EPERM connect tcp 127.0.0.1 $late
tg_event connect_after_port_taken_event kind=net op=connect tenant=globex \
	target_tenant=acme port=$late verdict=deny

# acme holds the port on 127.0.0.2; on 127.0.0.1 a host socket has it:
# allowed (the host's socket receives), but never kept, since acme holds
# the port: once the host's socket is gone, acme's hold decides (no new
# claim happens to drop kept verdicts).
"$P" listen tcp 127.0.0.1 $late2 "$TG_T/late2h" &
hostl=$!
tg_track $hostl
"$P" --cgroup "$A" listen tcp 127.0.0.2 $late2 "$TG_T/late2" &
tg_track $!
tg_wait_file "$TG_T/late2" && tg_wait_file "$TG_T/late2h"
tg_probe connect_host_socket_on_held_port --cgroup "$G" --expect ok \
	connect tcp 127.0.0.1 $late2
tg_probe connect_host_socket_on_held_port_again --cgroup "$G" --expect ok \
	connect tcp 127.0.0.1 $late2
kill $hostl
wait $hostl 2>/dev/null
tg_probe connect_after_host_socket_gone --cgroup "$G" --expect EPERM \
	connect tcp 127.0.0.1 $late2
tg_event connect_after_host_socket_gone_event kind=net op=connect tenant=globex \
	target_tenant=acme addr=127.0.0.1 port=$late2 verdict=deny

# The same for a send remembered on the socket (bound first: the claim of
# a port the kernel picks at the first send would drop the verdict).
"$P" listen udp 127.0.0.1 $late3 "$TG_T/late3h" &
hostl=$!
tg_track $hostl
"$P" --cgroup "$A" listen udp 127.0.0.2 $late3 "$TG_T/late3" &
tg_track $!
tg_wait_file "$TG_T/late3" && tg_wait_file "$TG_T/late3h"
"$P" --cgroup "$G" --bind 127.0.0.1 --expect EPERM sendto-again udp 127.0.0.1 $late3 \
	"$TG_T/late3.go" >"$TG_T/late3.out" 2>&1 &
again=$!
tg_track $again
tg_wait_file "$TG_T/late3.go.sent"
kill $hostl
wait $hostl 2>/dev/null
touch "$TG_T/late3.go"
if tg_wait $again; then
	tg_pass send_after_host_socket_gone
else
	tg_fail send_after_host_socket_gone "$(tail -n 1 "$TG_T/late3.out")"
fi
tg_event send_after_host_socket_gone_event kind=net op=sendmsg tenant=globex \
	target_tenant=acme addr=127.0.0.1 port=$late3 verdict=deny

tg_summary
