#!/bin/sh
# test_net_local_routes: "this host" is what the kernel's local routing
# table delivers here, not only the interfaces' addresses. An address on lo
# with a /24 makes the whole /24 local (IPv4), `ip route add local` makes a
# prefix local (IPv4, IPv6): with acme listening on every address, globex
# reaching acme's port on an address of such a prefix that is no interface
# address is refused (TCP connect, UDP send; EPERM and an event), acme and
# the host reach it. Once the prefix is no longer local, nothing is refused
# for it. A local table with more routes than the agent mirrors
# (--local-routes-max, for tests) fails closed: tenants are refused ports of
# addresses not mirrored, the agent reports it (event, status), and stops
# refusing once the table fits again. Every address and route made here is
# removed on exit.
. "$(dirname "$0")/../lib/tap.sh"
. "$(dirname "$0")/../lib/tenants.sh"
. "$(dirname "$0")/../lib/net.sh"

: "${TG_BIN:?}"
command -v ip >/dev/null || {
	tg_skip net_local_routes "ip (iproute2) missing"
	tg_summary
	exit 0
}
tg_net_setup || exit 1
PT=$base		# acme, TCP and UDP, every address
PFREE=$((base + 1))	# nobody

# Prefixes unique to this run: X an address on lo (/24), Y a local route,
# Z the routes that overfill the table, U a place nobody is (prohibit: the
# kernel answers EACCES at once when a connect or send is let through).
o=$((100 + $$ % 150))
h6=$(printf 'fd56:%x' $(($$ % 65536)))
X4=10.$o.230 Y4=10.$o.231 Z4=10.$o
X6=$h6:10: Y6=$h6:11: U4=198.51.100.$o U6=2001:db8:$o::7

# Local routes of the table now (at most what the agent counts).
routes_now()
{
	{ ip -4 route show table local; ip -6 route show table local; } |
		grep -cE '^(local|broadcast|anycast) '
}
# A limit well above what this test adds before the full case (at most
# 8), so that routes other processes add meanwhile do not fill it.
MAX=$(($(routes_now) + 64))

tg_on_cleanup "ip addr del $X4.1/24 dev lo 2>/dev/null"
tg_on_cleanup "ip route del local $Y4.0/24 dev lo 2>/dev/null"
tg_on_cleanup "ip -6 addr del $X6:1/64 dev lo 2>/dev/null"
tg_on_cleanup "ip -6 route del local $Y6:/64 dev lo 2>/dev/null"
tg_on_cleanup "ip route del prohibit $U4/32 2>/dev/null"
tg_on_cleanup "ip -6 route del prohibit $U6/128 2>/dev/null"
tg_on_cleanup "ip route del prohibit $X4.0/24 2>/dev/null"
tg_on_cleanup "ip route del prohibit $Y4.0/24 2>/dev/null"
tg_on_cleanup "ip -6 route del prohibit $Y6:/64 2>/dev/null"
tg_on_cleanup "ip -force -batch $TG_T/unfull.batch 2>/dev/null"
if ! ip route add prohibit "$U4/32" || ! ip -6 route add prohibit "$U6/128"; then
	tg_skip net_local_routes "cannot add routes here"
	tg_summary
	exit 0
fi

tg_policy <<YAML
  acme: {}
  globex: {}
YAML
tg_start_collector || exit 1
tg_start_agent --local-routes-max "$MAX" || exit 1

status_field()
{
	tg_cli status --json | sed -n "s/.*\"$1\": *\\([0-9a-z]*\\).*/\\1/p"
}
# wait_status FIELD VALUE: until the agent's status shows it (3 s).
wait_status()
{
	n=0
	until [ "$(status_field "$1")" = "$2" ]; do
		n=$((n + 1))
		[ $n -gt 30 ] && return 1
		sleep 0.1
	done
}

tg_listen "$A" tcp :: $PT dual
tg_listen "$A" udp :: $PT dual

# run NAME CGROUP|host EXPECT OP PROTO ADDR PORT: PASS if the outcome is EXPECT.
run()
{
	name=$1 cg=$2 want=$3
	shift 3
	if [ "$cg" = host ]; then
		tg_probe "$name" --expect "$want" "$@"
	else
		tg_probe "$name" --cgroup "$cg" --expect "$want" "$@"
	fi
}

# deny NAME OP PROTO ADDR PORT [TARGET]: globex gets EPERM and the event.
deny()
{
	run "$1" "$G" EPERM "$2" "$3" "$4" "$5"
	evop=connect
	[ "$2" = sendto ] && evop=sendmsg
	tg_event "${1}_event" kind=net op=$evop proto="$3" addr="$4" port="$5" \
		tenant=globex target_tenant="${6:-acme}" verdict=deny
}

before=$(status_field local_routes)
ip addr add "$X4.1/24" dev lo && ip route add local "$Y4.0/24" dev lo &&
	ip -6 addr add "$X6:1/64" dev lo nodad &&
	ip -6 route add local "$Y6:/64" dev lo || tg_fail add_local "cannot add the addresses and routes"
n=0
until [ "$(status_field local_routes)" -ge $((before + 4)) ] 2>/dev/null; do
	n=$((n + 1))
	[ $n -gt 30 ] && break
	sleep 0.1
done
after=$(status_field local_routes)
if [ "$after" -ge $((before + 4)) ]; then
	tg_pass local_routes_counted
else
	tg_fail local_routes_counted "local_routes $before -> $after"
fi

# Addresses of the prefixes that are no interface address.
for d in "addr4 $X4.7" "route4 $Y4.7" "route6 $Y6:7"; do
	set -- $d
	pfx=$1 addr=$2
	deny "${pfx}_tcp" connect tcp "$addr" $PT
	deny "${pfx}_udp" sendto udp "$addr" $PT
	run "${pfx}_tcp_owner" "$A" ok connect tcp "$addr" $PT
	run "${pfx}_udp_owner" "$A" ok sendto udp "$addr" $PT
	run "${pfx}_tcp_host" host ok connect tcp "$addr" $PT
	run "${pfx}_udp_host" host ok sendto udp "$addr" $PT
	run "${pfx}_free_port" "$G" ECONNREFUSED connect tcp "$addr" $PFREE
done
# The IPv6 address itself, and IPv4 through an IPv6 socket.
deny addr6_tcp connect tcp "$X6:1" $PT
deny route4_mapped_tcp connect tcp "::ffff:$Y4.9" $PT
run route4_mapped_owner "$A" ok connect tcp "::ffff:$Y4.9" $PT
# Places that are not this host: not checked against acme's ports.
run elsewhere4_tcp "$G" EACCES connect tcp "$U4" $PT
run elsewhere6_udp "$G" EACCES sendto udp "$U6" $PT

# The table does not fit: tenants are refused ports of addresses it may
# hold, the agent says so; the host and loopback are not affected.
table=$(status_field local_routes_table)
extra=$((MAX - table + 16))
i=0
while [ $i -lt $extra ]; do
	i=$((i + 1))
	echo "route add local $Z4.$((i / 250)).$((i % 250 + 1))/32 dev lo"
done >"$TG_T/full.batch"
sed 's/^route add/route del/' "$TG_T/full.batch" >"$TG_T/unfull.batch"
ip -batch "$TG_T/full.batch" || tg_fail full_routes "cannot add $extra routes"
if wait_status local_routes_full true; then
	tg_pass full_status_json
else
	tg_fail full_status_json "local_routes_full: $(status_field local_routes_full) (table $(status_field local_routes_table), max $MAX)"
fi
if tg_cli status | grep -q "^REFUSED: .*local routing table does not fit"; then
	tg_pass full_status_text
else
	tg_fail full_status_text "no REFUSED line for the local routing table"
fi
tg_event full_event kind=agent op=local_routes verdict=deny
deny full_unknown_tcp connect tcp "$U4" $PFREE "(unknown)"
deny full_unknown_udp sendto udp "$U6" $PFREE "(unknown)"
run full_owner_unknown "$A" EPERM connect tcp "$U4" $PFREE
run full_host_unknown host EACCES connect tcp "$U4" $PT
run full_host_local host ok connect tcp "$Y4.7" $PT
run full_owner_loopback "$A" ok connect tcp 127.0.0.1 $PT
run full_loopback_free_port "$G" ECONNREFUSED connect tcp 127.0.0.1 $PFREE
deny full_loopback_tcp connect tcp 127.0.0.1 $PT

ip -batch "$TG_T/unfull.batch" || tg_fail unfull_routes "cannot remove the routes"
if wait_status local_routes_full false; then
	tg_pass fits_again_status
else
	tg_fail fits_again_status "local_routes_full: $(status_field local_routes_full)"
fi
tg_event fits_again_event kind=agent op=local_routes verdict=allow
denials=$(tg_count kind=net tenant=globex verdict=deny)
run fits_again_unknown_tcp "$G" EACCES connect tcp "$U4" $PFREE
run fits_again_unknown_udp "$G" EACCES sendto udp "$U6" $PFREE
deny fits_again_route4_tcp connect tcp "$Y4.7" $PT
denials=$((denials + 1))

# No longer local: the prefixes lead nowhere (prohibit), and reaching
# acme's port there is not refused for acme's sake.
ip addr del "$X4.1/24" dev lo && ip route del local "$Y4.0/24" dev lo &&
	ip -6 route del local "$Y6:/64" dev lo &&
	ip route add prohibit "$X4.0/24" && ip route add prohibit "$Y4.0/24" &&
	ip -6 route add prohibit "$Y6:/64" || tg_fail remove_local "cannot remove the prefixes"
n=0
until [ "$(status_field local_routes)" -le $((after - 3)) ] 2>/dev/null; do
	n=$((n + 1))
	[ $n -gt 30 ] && break
	sleep 0.1
done
now=$(status_field local_routes)
if [ "$now" -le $((after - 3)) ]; then
	tg_pass removed_routes_uncounted
else
	tg_fail removed_routes_uncounted "local_routes $after -> $now"
fi
run removed_addr4_tcp "$G" EACCES connect tcp "$X4.7" $PT
run removed_route4_tcp "$G" EACCES connect tcp "$Y4.7" $PT
run removed_route4_udp "$G" EACCES sendto udp "$Y4.7" $PT
run removed_route6_tcp "$G" EACCES connect tcp "$Y6:7" $PT
run removed_route6_udp "$G" EACCES sendto udp "$Y6:7" $PT
tg_count_is removed_no_new_denials "$denials" kind=net tenant=globex verdict=deny

tg_summary
