#!/bin/sh
# test_net_bind: port ownership (bound ports and policy reservations) against
# squatting, UDP sends without connect, and sockets carried from one tenant
# to another. Each denied case asserts EPERM and its event; each allowed
# case asserts success.
. "$(dirname "$0")/../lib/tap.sh"
. "$(dirname "$0")/../lib/tenants.sh"

: "${TG_BIN:?}"
tg_env_setup || exit 1
P=$TG_BIN/tg-probe
A=$TG_TDIR/acme
G=$TG_TDIR/globex
base=$((20000 + $$ % 20000))
held=$((base + 31)) udp=$((base + 32)) res=$((base + 33)) free=$((base + 34))
TG_POLICY=$TG_T/policy.yaml
mkdir -p "$TG_T/policy.d"
cat >"$TG_POLICY" <<YAML
version: 1
tenants_cgroup: $TG_TENANTS
tenants:
  acme:
    paths: [$TG_SRV/acme]
    ports: [tcp:$res, udp:$res]
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
# (0.0.0.0 on the same port the kernel refuses by itself: EADDRINUSE.)
for a in 127.0.0.2 ::1 ::; do
	tg_probe "bind_held_port_$a" --cgroup "$G" --expect EPERM bind tcp "$a" $held
	tg_event "bind_held_port_${a}_event" kind=net op=bind tenant=globex \
		target_tenant=acme proto=tcp port=$held verdict=deny
done
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

tg_summary
