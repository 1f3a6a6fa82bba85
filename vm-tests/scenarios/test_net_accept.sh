#!/bin/sh
# test_net_accept (BPF LSM): a TCP connection between two tenants is refused
# whoever made the listener. A listener the host made and handed to a
# tenant's service (socket activation, inetd) becomes that tenant's at its
# first accept; connections another tenant queued before then are the
# server ends of that tenant's connections (conn_origin, tg_inet_csk_clone):
# the acceptor cannot read or write them, IPv4 and IPv6, whether the client
# is still there or gone. The host's, the acceptor's own, allow_from and
# audit-mode connections through such a listener work.
. /tests/lib/tap.sh
. /tests/lib/tenants.sh

: "${TG_BIN:?}"
tg_env_setup || exit 1
mkdir -p "$TG_TDIR/initech" || exit 1
A=$TG_TDIR/acme
G=$TG_TDIR/globex
I=$TG_TDIR/initech
P=$TG_BIN/tg-try
# acme lets initech (in audit mode) reach it.
tg_policy <<YAML
  acme: {paths: [$TG_SRV/acme], allow_from: [initech]}
  globex: {paths: [$TG_SRV/globex]}
  initech: {mode: audit}
YAML
tg_start_collector || exit 1
tg_start_agent || exit 1
if tg_cli status --json | grep -q '"net:host_listeners"'; then
	tg_fail host_listeners_enforced "status lists net:host_listeners"
	tg_summary
	exit 1
fi
tg_pass host_listeners_enforced

k=0
# queued NAME EXPECT CLIENT_CGROUP|- ACCEPTOR_CGROUP|- ADDR CLIENT_STEPS|-
#        SERVER_STEPS: a host process listens on ADDR; a client in
# CLIENT_CGROUP connects and runs CLIENT_STEPS (then stays, unless they end
# in "gone"); then the listener process joins ACCEPTOR_CGROUP, accepts and
# runs SERVER_STEPS on the connection, the last of which must give EXPECT.
queued()
{
	name=$1 want=$2 ccg=$3 acg=$4 addr=$5 csteps=$6 ssteps=$7
	k=$((k + 1))
	l=$TG_T/l$k c=$TG_T/c$k d=$TG_T/d$k
	case $csteps in
	-) csteps=ready=$c,wait=$d ;;
	*,gone) csteps=${csteps%,gone},ready=$c ;;
	*) csteps=$csteps,ready=$c,wait=$d ;;
	esac
	cl=""
	[ "$ccg" = - ] || cl="--cgroup $ccg"
	# shellcheck disable=SC2086 # cl is empty or two words
	"$P" $cl sock tcp "$addr" "wait=$l,connect,$csteps" \
		>"$TG_T/client$k" 2>&1 &
	tg_track $!
	move=""
	[ "$acg" = - ] || move="move=$acg,"
	tg_probe "$name" --expect "$want" sock tcp "$addr" \
		"bind,listen,ready=$l,wait=$c,${move}accept-conn,$ssteps"
	touch "$d"
}

echo "# another tenant's connection, queued before the first accept"
queued queued_recv EPERM "$G" "$A" 127.0.0.1:47201 send recv
tg_event queued_recv_event kind=net op=recvmsg verdict=deny tenant=acme \
	target_tenant=globex proto=tcp
queued queued_write EPERM "$G" "$A" 127.0.0.1:47202 send write
queued queued_send EPERM "$G" "$A" 127.0.0.1:47203 - send
tg_event queued_send_event kind=net op=sendmsg verdict=deny tenant=acme \
	target_tenant=globex proto=tcp
queued queued_read_client_gone EPERM "$G" "$A" 127.0.0.1:47204 send,gone read
queued queued_splice EPERM "$G" "$A" 127.0.0.1:47205 send splice-read
queued queued_recv6 EPERM "$G" "$A" ::1:47206 send recv
queued queued_recv_mapped EPERM "$G" "$A" ::ffff:127.0.0.1:47207 send recv
# The other way round: acme's connection, accepted by globex.
queued queued_reverse EPERM "$A" "$G" 127.0.0.1:47209 send recv
tg_event queued_reverse_event kind=net op=recvmsg verdict=deny tenant=globex \
	target_tenant=acme proto=tcp

echo "# after the first accept the port is acme's: globex is refused at connect"
"$P" sock tcp 127.0.0.1:47210 \
	"bind,listen,move=$A,accept,ready=$TG_T/adopted,wait=$TG_T/adopted_done" \
	>/dev/null 2>&1 &
tg_track $!
tg_wait_file "$TG_T/adopted"
tg_probe adopted_connect --cgroup "$G" --expect EPERM connect tcp 127.0.0.1 47210
tg_probe adopted_connect_own --cgroup "$A" --expect ok connect tcp 127.0.0.1 47210
touch "$TG_T/adopted_done"

echo "# allowed"
queued host_client_recv ok - "$A" 127.0.0.1:47211 send recv
queued host_client_idle EAGAIN - "$A" 127.0.0.1:47212 - recv
queued own_client_recv ok "$A" "$A" 127.0.0.1:47213 send recv,send
queued own_client_recv6 ok "$A" "$A" ::1:47214 send recv
queued host_acceptor ok "$G" - 127.0.0.1:47215 send recv,send
queued allow_from_client ok "$I" "$A" 127.0.0.1:47216 send recv,send
queued audit_acceptor ok "$G" "$I" 127.0.0.1:47217 send recv
tg_event audit_acceptor_event kind=net op=recvmsg verdict=audit \
	tenant=initech target_tenant=globex proto=tcp
queued own_client_gone ok "$G" "$G" 127.0.0.1:47218 send,gone read
tg_count_is no_event_for_allowed 0 kind=net tenant=acme target_tenant=host
tg_count_is no_event_for_allow_from 0 kind=net tenant=acme target_tenant=initech
tg_count_is no_event_for_own 0 kind=net tenant=globex target_tenant=globex

tg_summary
