#!/bin/sh
# test_net_mptcp: the subflows MPTCP's path manager opens on a tenant's
# behalf are the tenant's. The kernel connects them from a worker thread,
# in the root cgroup; they carry their connection's cgroup. The test makes
# two network namespaces joined by a veth pair (removed on exit): C, where
# the clients run, and S, where acme's MPTCP listener runs and whose path
# manager announces (ADD_ADDR) two more of its addresses: GLOBEX, in
# globex's networks, and FREE, in nobody's. The client's path manager then
# opens a subflow towards each, to acme's port. IPv4, then IPv6.
# What must hold: acme's subflow towards GLOBEX is refused (no MP_JOIN SYN
# reaches S) with a deny event naming acme and globex; its subflow towards
# FREE joins; a host process's connection gets both subflows.
. "$(dirname "$0")/../lib/tap.sh"
. "$(dirname "$0")/../lib/tenants.sh"
. "$(dirname "$0")/../lib/net.sh"

: "${TG_BIN:?}"
command -v ip >/dev/null && command -v nsenter >/dev/null &&
	command -v nstat >/dev/null || {
	tg_skip net_mptcp "ip, nstat (iproute2) or nsenter (util-linux) missing"
	tg_summary
	exit 0
}
tg_net_setup || exit 1
PA=$((base + 1)) # acme's MPTCP listener in S

o=$((100 + $$ % 150))
h6=$(printf 'fd55:%x' $(($$ % 65536)))
C4=10.$o.201.1 S4=10.$o.201.2 GLOBEX4=10.$o.201.3 FREE4=10.$o.201.4
C6=$h6::1 S6=$h6::2 GLOBEX6=$h6::3 FREE6=$h6::4
ns=tgm$$
for n in c s; do
	tg_on_cleanup "ip netns del $ns$n 2>/dev/null"
done
if ! ip netns add "${ns}c" || ! ip netns add "${ns}s" ||
	! ip -n "${ns}c" link add eth0 type veth peer name eth0 netns "${ns}s" ||
	! ip -n "${ns}c" addr add "$C4/24" dev eth0 ||
	! ip -n "${ns}s" addr add "$S4/24" dev eth0 ||
	! ip -n "${ns}s" addr add "$GLOBEX4/24" dev eth0 ||
	! ip -n "${ns}s" addr add "$FREE4/24" dev eth0 ||
	! ip -n "${ns}c" addr add "$C6/64" dev eth0 nodad ||
	! ip -n "${ns}s" addr add "$S6/64" dev eth0 nodad ||
	! ip -n "${ns}s" addr add "$GLOBEX6/64" dev eth0 nodad ||
	! ip -n "${ns}s" addr add "$FREE6/64" dev eth0 nodad ||
	! ip -n "${ns}c" link set eth0 up || ! ip -n "${ns}s" link set eth0 up ||
	! ip -n "${ns}c" link set lo up || ! ip -n "${ns}s" link set lo up; then
	tg_skip net_mptcp "cannot make network namespaces and veth pairs here"
	tg_summary
	exit 0
fi
if ! ip -n "${ns}c" mptcp limits set subflows 4 add_addr_accepted 4 ||
	! ip -n "${ns}s" mptcp limits set subflows 4 add_addr_accepted 4; then
	tg_skip net_mptcp "no MPTCP path manager here (CONFIG_MPTCP)"
	tg_summary
	exit 0
fi

tg_policy <<YAML
  acme: {}
  globex:
    networks: [$GLOBEX4/32, "$GLOBEX6/128"]
YAML
tg_start_collector || exit 1
tg_start_agent || exit 1

nsenter --net="/run/netns/${ns}s" "$P" --cgroup "$A" listen-hold mptcp :: \
	$PA "$TG_T/ready" dual &
tg_track $!
tg_wait_file "$TG_T/ready" || tg_fail listener "not ready"

# joins: MP_JOIN handshakes S completed so far (MPTcpExtMPJoinAckRx).
joins()
{
	nsenter --net="/run/netns/${ns}s" nstat -asz MPTcpExtMPJoinAckRx |
		awk '$1 == "MPTcpExtMPJoinAckRx" { n = $2 } END { print n + 0 }'
}

# syns: MP_JOIN SYNs that reached S so far (MPTcpExtMPJoinSynRx).
syns()
{
	nsenter --net="/run/netns/${ns}s" nstat -asz MPTcpExtMPJoinSynRx |
		awk '$1 == "MPTcpExtMPJoinSynRx" { n = $2 } END { print n + 0 }'
}

# session NAME CGROUP|host WANT SERVER: an MPTCP connection from C to
# acme's listener at SERVER, held open while S announces the addresses of
# its endpoints; PASS NAME_joined
# if S completes WANT more joins (and no more: a subflow to GLOBEX that
# got through would make one more), NAME_syns likewise for join SYNs.
session()
{
	s_name=$1 s_cg=$2 s_want=$3 s_server=$4
	s_joins=$(joins) s_syns=$(syns)
	set -- "$P" connect-hold mptcp "$s_server" $PA "$TG_T/$s_name.stop"
	[ "$s_cg" = host ] || set -- "$P" --cgroup "$s_cg" connect-hold mptcp \
		"$s_server" $PA "$TG_T/$s_name.stop"
	nsenter --net="/run/netns/${ns}c" "$@" >"$TG_T/$s_name.out" 2>&1 &
	s_pid=$!
	tg_track $s_pid
	tg_wait_file "$TG_T/$s_name.stop.up"
	# Both announcements, and the client's answers, take a moment; then
	# a little longer, so that a join too many would show.
	n=0
	while [ $(($(joins) - s_joins)) -lt "$s_want" ] && [ $n -lt 50 ]; do
		n=$((n + 1))
		sleep 0.1
	done
	sleep 1
	s_got=$(($(joins) - s_joins)) s_got_syns=$(($(syns) - s_syns))
	touch "$TG_T/$s_name.stop"
	if tg_wait $s_pid; then
		tg_pass "${s_name}_connected"
	else
		tg_fail "${s_name}_connected" "$(tail -n 1 "$TG_T/$s_name.out")"
	fi
	if [ "$s_got" = "$s_want" ]; then
		tg_pass "${s_name}_joined"
	else
		tg_fail "${s_name}_joined" "$s_got subflows joined, $s_want expected"
	fi
	if [ "$s_got_syns" = "$s_want" ]; then
		tg_pass "${s_name}_syns"
	else
		tg_fail "${s_name}_syns" "$s_got_syns join SYNs reached S, $s_want expected"
	fi
}

# signal V: S announces GLOBEXV and FREEV (IPv4 or IPv6), nothing else.
signal()
{
	eval sg_globex=\$GLOBEX$1 sg_free=\$FREE$1
	ip -n "${ns}s" mptcp endpoint flush &&
		ip -n "${ns}s" mptcp endpoint add "$sg_globex" dev eth0 signal &&
		ip -n "${ns}s" mptcp endpoint add "$sg_free" dev eth0 signal
}

for v in 4 6; do
	eval server=\$S$v globex=\$GLOBEX$v free=\$FREE$v
	signal $v || tg_fail "signal$v" "cannot add the endpoints"
	# acme: the subflow to FREE joins, the one to GLOBEX is refused.
	session "acme$v" "$A" 1 "$server"
	tg_event "acme${v}_to_globex_event" kind=net op=connect proto=tcp \
		addr="$globex" port=$PA tenant=acme target_tenant=globex verdict=deny
	tg_count_is "acme${v}_to_free_no_event" 0 kind=net addr="$free"
	# A host connection: both subflows, no event (acme's is the only one).
	session "host$v" host 2 "$server"
	tg_count_is "host${v}_no_event" 1 kind=net addr="$globex"
done

tg_summary
