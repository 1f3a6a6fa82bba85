#!/bin/sh
# test_net: cross-tenant TCP connects to a port another tenant listens on are
# denied with EPERM and reported; same-tenant, host and unowned traffic is not.
. "$(dirname "$0")/../lib/tap.sh"
. "$(dirname "$0")/../lib/tenants.sh"
. "$(dirname "$0")/../lib/net.sh"

: "${TG_BIN:?}"
tg_net_setup || exit 1
tg_start_collector || exit 1
tg_start_agent || exit 1

P4=$base		# acme, 127.0.0.1 only
PANY=$((base + 1))	# acme, every IPv4 address
P6=$((base + 2))	# acme, ::1 only
PHOST=$((base + 3))	# host process
PNONE=$((base + 4))	# nobody
PUDP=$((base + 5))	# acme, UDP on 127.0.0.1

tg_listen "$A" tcp 127.0.0.1 $P4
tg_listen "$A" tcp 0.0.0.0 $PANY
tg_listen "$A" tcp ::1 $P6
tg_listen host tcp 127.0.0.1 $PHOST
tg_listen "$A" udp 127.0.0.1 $PUDP

# A non-loopback address of this host, if it has one.
HOSTIP=$(ip -4 -o addr show scope global 2>/dev/null | awk '{ sub("/.*", "", $4); print $4; exit }')

# Denied: globex reaching acme's ports.
tg_probe deny_tcp4_loopback --cgroup "$G" --expect EPERM connect tcp 127.0.0.1 $P4
tg_event deny_tcp4_loopback_event kind=net op=connect verdict=deny \
	tenant=globex target_tenant=acme proto=tcp addr=127.0.0.1 port=$P4
tg_probe deny_tcp4_other_loopback --cgroup "$G" --expect EPERM connect tcp 127.0.0.7 $PANY
tg_probe deny_tcp6_v4mapped --cgroup "$G" --expect EPERM connect tcp ::ffff:127.0.0.1 $P4
tg_event deny_tcp6_v4mapped_event kind=net op=connect verdict=deny \
	tenant=globex target_tenant=acme addr=::ffff:127.0.0.1 port=$P4
tg_probe deny_tcp6_loopback --cgroup "$G" --expect EPERM connect tcp ::1 $P6
tg_event deny_tcp6_loopback_event kind=net op=connect verdict=deny \
	tenant=globex target_tenant=acme proto=tcp addr=::1 port=$P6
# The unspecified address means "this host" to connect().
tg_probe deny_tcp4_unspecified --cgroup "$G" --expect EPERM connect tcp 0.0.0.0 $P4
tg_probe deny_tcp4_unspecified_wildcard_listener --cgroup "$G" --expect EPERM connect tcp 0.0.0.0 $PANY
tg_probe deny_tcp6_unspecified --cgroup "$G" --expect EPERM connect tcp :: $P6
tg_probe deny_tcp6_v4mapped_unspecified --cgroup "$G" --expect EPERM connect tcp ::ffff:0.0.0.0 $P4
tg_event deny_tcp4_unspecified_event kind=net op=connect verdict=deny \
	tenant=globex target_tenant=acme addr=0.0.0.0 port=$P4
tg_probe deny_udp4_connect --cgroup "$G" --expect EPERM connect udp 127.0.0.1 $PUDP
tg_event deny_udp4_connect_event kind=net op=connect verdict=deny \
	tenant=globex proto=udp port=$PUDP
if [ -n "$HOSTIP" ]; then
	# 0.0.0.0 from a socket bound to a host address goes to that address.
	PBOUND=$((base + 6))
	tg_listen "$A" tcp "$HOSTIP" $PBOUND
	tg_probe deny_tcp4_unspecified_from_bound_source --cgroup "$G" --expect EPERM \
		--bind "$HOSTIP" connect tcp 0.0.0.0 $PBOUND
	tg_probe allow_owner_unspecified_from_bound_source --cgroup "$A" --expect ok \
		--bind "$HOSTIP" connect tcp 0.0.0.0 $PBOUND
	tg_probe deny_tcp4_host_address --cgroup "$G" --expect EPERM connect tcp "$HOSTIP" $PANY
	tg_event deny_tcp4_host_address_event kind=net verdict=deny \
		tenant=globex addr="$HOSTIP" port=$PANY
else
	tg_skip deny_tcp4_host_address "no global IPv4 address on this host"
fi

# Allowed: the owner itself, the host, ports of the host, free ports.
tg_probe allow_same_tenant --cgroup "$A" --expect ok connect tcp 127.0.0.1 $P4
tg_probe allow_same_tenant6 --cgroup "$A" --expect ok connect tcp ::1 $P6
tg_probe allow_host_to_tenant --expect ok connect tcp 127.0.0.1 $P4
tg_probe allow_tenant_to_host_port --cgroup "$G" --expect ok connect tcp 127.0.0.1 $PHOST
tg_probe allow_unowned_port_refused --cgroup "$G" --expect ECONNREFUSED connect tcp 127.0.0.1 $PNONE
# Where no socket takes the port (none bound there, or one bound to a
# device), the tenant holding the port in the namespace decides.
tg_probe deny_other_address_same_port --cgroup "$G" --expect EPERM connect tcp 127.0.0.2 $P4
tg_event deny_other_address_same_port_event kind=net op=connect verdict=deny \
	tenant=globex target_tenant=acme addr=127.0.0.2 port=$P4
tg_probe allow_same_tenant_unspecified --cgroup "$A" --expect ok connect tcp 0.0.0.0 $P4
tg_probe allow_unspecified_to_host_port --cgroup "$G" --expect ok connect tcp 0.0.0.0 $PHOST

# Exactly one event per denial, none for allowed connects.
sleep 0.5
n=$(tg_count kind=net tenant=globex target_tenant=acme verdict=deny)
want=10
[ -n "$HOSTIP" ] && want=12
if [ "$n" = "$want" ]; then
	tg_pass one_event_per_denial
else
	tg_fail one_event_per_denial "$n events for $want denials"
fi
n=$(tg_count kind=net tenant=acme)
if [ "$n" = 0 ]; then
	tg_pass no_event_for_allowed
else
	tg_fail no_event_for_allowed "$n events from acme's own connects"
fi

# Required fields on every stored event.
if "$TG_BIN/tg-try" wait-event "$TG_LOG" --timeout 1 kind=net port=$P4 >"$TG_T/ev" &&
	grep -q '"seq":' "$TG_T/ev" && grep -q '"time":"20[0-9-]*T[0-9:]*\.[0-9]\{9\}Z"' "$TG_T/ev" &&
	grep -q '"host":' "$TG_T/ev" && grep -q '"pid":' "$TG_T/ev" && grep -q '"comm":"tg-try"' "$TG_T/ev"; then
	tg_pass event_required_fields
else
	tg_fail event_required_fields "$(head -n 1 "$TG_T/ev")"
fi

tg_summary
