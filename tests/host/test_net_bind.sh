#!/bin/sh
# test_net_bind: port ownership (bound ports and policy reservations) against
# squatting, UDP sends without connect, and sockets carried from one tenant
# to another; ports the kernel picks (kept out of reserved ranges through
# ip_local_reserved_ports, and recorded as held); two tenants binding one
# port at once. Each denied case asserts EPERM and its event; each allowed
# case asserts success.
. "$(dirname "$0")/../lib/tap.sh"
. "$(dirname "$0")/../lib/tenants.sh"
. "$(dirname "$0")/../lib/net.sh"

: "${TG_BIN:?}"
tg_net_setup || exit 1
held=$((base + 31)) udp=$((base + 32)) res=$((base + 33)) free=$((base + 34))
race=$((base + 40))	# .. +63
# A reserved range inside the kernel's automatic range.
elo=$(cut -f1 /proc/sys/net/ipv4/ip_local_port_range) # not read(1): see tenants.sh
rlo=$((elo + 500 + $$ % 2000))
rhi=$((rlo + 299))
sysctl_before=$(cat /proc/sys/net/ipv4/ip_local_reserved_ports)
tg_policy <<YAML
  acme:
    paths: [$TG_SRV/acme]
    ports: [tcp:$res, udp:$res, "tcp:$rlo-$rhi", "udp:$rlo-$rhi"]
  globex:
    paths: [$TG_SRV/globex]
YAML
tg_start_collector || exit 1
tg_start_agent || exit 1

"$P" --cgroup "$A" listen tcp 127.0.0.1 $held "$TG_T/r1" &
tg_track $!
"$P" --cgroup "$A" listen udp 127.0.0.1 $udp "$TG_T/r2" &
tg_track $!
tg_wait_file "$TG_T/r1" && tg_wait_file "$TG_T/r2"

# Squatting on a port acme's socket holds, by any other address or family.
# 0.0.0.0 is refused before the kernel's own check (which would say
# EADDRINUSE and leave no trace): EPERM and an event, like the others.
for a in 127.0.0.2 ::1 :: 0.0.0.0; do
	tg_probe "bind_held_port_$a" --cgroup "$G" --expect EPERM bind tcp "$a" $held
	tg_event "bind_held_port_${a}_event" kind=net op=bind tenant=globex \
		target_tenant=acme proto=tcp port=$held verdict=deny
done
tg_event bind_held_port_wildcard_addr kind=net op=bind tenant=globex addr=0.0.0.0 \
	port=$held verdict=deny
tg_probe bind_held_port_dual_stack --cgroup "$G" --expect EPERM bind tcp :: $held dual
tg_probe bind_held_udp_port --cgroup "$G" --expect EPERM bind udp 127.0.0.2 $udp
tg_probe bind_held_port_same_tenant --cgroup "$A" bind tcp 127.0.0.2 $held
tg_probe bind_held_port_host --expect ok bind tcp 127.0.0.2 $held
tg_probe bind_free_port --cgroup "$G" bind tcp 127.0.0.1 $free

# Reserved ports: only their tenant binds them, whatever the family.
for a in 127.0.0.1 ::; do
	tg_probe "bind_reserved_$a" --cgroup "$G" --expect EPERM bind tcp "$a" $res
done
tg_probe bind_reserved_udp --cgroup "$G" --expect EPERM bind udp 0.0.0.0 $res
tg_event bind_reserved_event kind=net op=bind tenant=globex target_tenant=acme \
	port=$res verdict=deny
tg_probe bind_reserved_owner --cgroup "$A" bind tcp 127.0.0.1 $res
tg_probe bind_reserved_host bind tcp 127.0.0.1 $res

# UDP without connect.
tg_probe sendto_other_tenant --cgroup "$G" --expect EPERM sendto udp 127.0.0.1 $udp
tg_probe sendto_other_tenant_v6_mapped --cgroup "$G" --expect EPERM sendto udp ::ffff:127.0.0.1 $udp
tg_event sendto_event kind=net op=sendmsg tenant=globex target_tenant=acme proto=udp \
	port=$udp verdict=deny
tg_probe sendto_same_tenant --cgroup "$A" sendto udp 127.0.0.1 $udp
tg_probe sendto_host --expect ok sendto udp 127.0.0.1 $udp
tg_probe sendto_free_port --cgroup "$G" sendto udp 127.0.0.1 $free

# A socket made by one tenant, used by another: refused; made by the host,
# used by a tenant: that tenant's.
tg_probe foreign_socket_connect --cgroup "$A" --move-to "$G" --expect EPERM \
	connect tcp 127.0.0.1 $free
tg_event foreign_socket_event kind=net op=connect tenant=globex target_tenant=acme \
	verdict=deny port=$free
tg_probe foreign_socket_sendto --cgroup "$A" --move-to "$G" --expect EPERM \
	sendto udp 127.0.0.1 $free
tg_probe host_socket_to_tenant --move-to "$G" --expect ECONNREFUSED \
	connect tcp 127.0.0.1 $free
tg_probe host_socket_to_tenant_checked --move-to "$G" --expect EPERM \
	connect tcp 127.0.0.1 $held

# A send allowed once is not allowed again after another tenant took the
# port (each socket remembers its last allowed destination).
late=$((base + 35))
tg_send_after_taken send_after_port_taken \
	"--cgroup $G --expect EPERM sendto-again udp 127.0.0.1 $late" \
	"--cgroup $A listen udp 127.0.0.1 $late"
tg_event send_after_port_taken_event kind=net op=sendmsg tenant=globex \
	target_tenant=acme port=$late verdict=deny

# Ports the kernel picks are recorded as held: bind to port 0, listen()
# without bind(), sendto() without bind().
kn=0
for how in "tcp 127.0.0.1 0" "tcp 127.0.0.1 -" "udp 127.0.0.1 -"; do
	kn=$((kn + 1))
	"$P" --cgroup "$A" listen $how "$TG_T/k$kn" &
	tg_track $!
	tg_wait_file "$TG_T/k$kn"
	k=$(cat "$TG_T/k$kn")
	set -- $how
	what=$1_$(echo "$3" | tr -- - n)
	tg_probe "kernel_port_held_$what" --cgroup "$G" --expect EPERM bind "$1" 127.0.0.2 "$k"
	tg_event "kernel_port_held_${what}_event" kind=net op=bind tenant=globex \
		target_tenant=acme proto="$1" port="$k" verdict=deny
	# Unbound sockets hold every address: then the kernel itself refuses.
	want=ok
	[ "$3" = - ] && want=EADDRINUSE
	tg_probe "kernel_port_owner_$what" --cgroup "$A" --expect $want bind "$1" 127.0.0.2 "$k"
done

# The kernel never picks a port of a reserved range: the agent added the
# range to ip_local_reserved_ports.
in_range()
{
	tr ',' '\n' | awk -F- -v lo="$1" -v hi="$2" '{ a = $1; b = ($2 == "" ? $1 : $2)
		if (a <= lo && b >= hi) found = 1 } END { exit !found }'
}
if cat /proc/sys/net/ipv4/ip_local_reserved_ports | in_range $rlo $rhi; then
	tg_pass reserved_range_in_sysctl
else
	tg_fail reserved_range_in_sysctl "$(cat /proc/sys/net/ipv4/ip_local_reserved_ports)"
fi
"$P" listen tcp 127.0.0.1 $free "$TG_T/hostl" &
tg_track $!
tg_wait_file "$TG_T/hostl"
for how in "tcp 300 bind" "tcp 300 connect" "tcp 200 listen" "udp 300 send" "udp 300 bind"; do
	set -- $how
	out=$("$P" --cgroup "$G" autobind $how 127.0.0.1 $free)
	bad=$(echo "$out" | awk -v lo=$rlo -v hi=$rhi '!/^[0-9]+$/ || ($1 >= lo && $1 <= hi)' | head -n 3)
	if [ -z "$bad" ] && [ "$(echo "$out" | wc -l)" = "$2" ]; then
		tg_pass "kernel_port_outside_reserved_$1_$3"
	else
		tg_fail "kernel_port_outside_reserved_$1_$3" "got $(echo $bad)"
	fi
done

# Two tenants binding one port at the same instant: never both.
out=$("$P" bind-race "$A" "$G" $race 200)
case $out in
*" both=0 "*) tg_pass concurrent_first_binds ;;
*) tg_fail concurrent_first_binds "$out" ;;
esac

# A stop leaves the ports reserved (the programs still enforce them);
# --detach takes back exactly what the agents added.
tg_stop_agent
after=$(cat /proc/sys/net/ipv4/ip_local_reserved_ports)
if [ "$after" != "$sysctl_before" ]; then
	tg_pass reserved_ports_kept_at_stop
else
	tg_fail reserved_ports_kept_at_stop "'$after' after the stop"
fi
tg_detach_pins
after=$(cat /proc/sys/net/ipv4/ip_local_reserved_ports)
if [ "$after" = "$sysctl_before" ]; then
	tg_pass reserved_ports_restored
else
	tg_fail reserved_ports_restored "before '$sysctl_before', after '$after'"
fi

tg_summary
