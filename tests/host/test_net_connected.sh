#!/bin/sh
# test_net_connected: datagrams the kernel sends without a sendmsg program,
# and destinations the kernel rewrites.
#  - A UDP socket connected while a port was free, then used after acme took
#    the port (send, write, sendfile, io_uring inline and from its workers),
#    IPv4 and IPv6: refused with EPERM and one event per datagram (the
#    egress program); also after earlier datagrams there were allowed (the
#    verdict cached on the socket is dropped). Allowed: acme's own connected
#    socket, host processes, a port nobody holds or the host holds, a tenant
#    acme's allow_from lists.
#  - Where :: and 0.0.0.0 really go: :: is ::1 (or ::ffff:127.0.0.1 from a
#    socket bound to an IPv4-mapped address), whatever the source; a
#    datagram to 0.0.0.0 goes to its source, which IP_PKTINFO may set.
. "$(dirname "$0")/../lib/tap.sh"
. "$(dirname "$0")/../lib/tenants.sh"
. "$(dirname "$0")/../lib/net.sh"

: "${TG_BIN:?}"
tg_net_setup initech || exit 1
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

next=$base
# port: a fresh port number in $port.
port()
{
	next=$((next + 1))
	port=$next
}

# taken NAME CGROUP|host WANT ADDR STEPS TAKER [PID]: a UDP socket of
# CGROUP connects to ADDR:$port (and runs STEPS' first part, up to "|");
# then PID (the port's listener until then, if any) is killed and TAKER (a
# cgroup, or host) binds the port; then the socket runs the rest of STEPS,
# whose last step must end with WANT. (A datagram to a port nobody has
# makes the next send on the socket fail with ECONNREFUSED: the port is
# free while the socket connects, or held by PID while it sends before.)
taken()
{
	tk_name=$1 tk_cg=$2 tk_want=$3 tk_addr=$4 tk_before=${5%%|*} tk_after=${5#*|}
	tk_taker=$6 tk_holder=${7:-}
	if [ "$tk_cg" = host ]; then
		set --
	else
		set -- --cgroup "$tk_cg"
	fi
	"$P" "$@" --expect "$tk_want" sock udp "$tk_addr:$port" \
		"connect,$tk_before${tk_before:+,}ready=$TG_T/$tk_name.c,wait=$TG_T/$tk_name.go,$tk_after" \
		>"$TG_T/$tk_name.out" 2>&1 &
	tk_pid=$!
	tg_track $tk_pid
	if ! tg_wait_file "$TG_T/$tk_name.c"; then
		tg_fail "$tk_name" "no connect: $(tail -n 1 "$TG_T/$tk_name.out")"
		kill $tk_pid 2>/dev/null
		tg_wait $tk_pid
		return
	fi
	if [ -n "$tk_holder" ]; then
		kill "$tk_holder"
		wait "$tk_holder" 2>/dev/null
	fi
	tg_listen "$tk_taker" udp "$tk_addr" "$port"
	touch "$TG_T/$tk_name.go"
	if tg_wait $tk_pid; then
		tg_pass "$tk_name"
	else
		tg_fail "$tk_name" "$(tail -n 1 "$TG_T/$tk_name.out")"
	fi
}

ndeny=0
for v in 4 6; do
	lo=127.0.0.1
	[ $v = 6 ] && lo=::1
	# Denied: globex's socket, connected before acme took the port.
	for step in send write sendfile uring-send uring-wq-send; do
		port
		taken "connected${v}_$step" "$G" EPERM "$lo" "|$step" "$A"
		tg_event "connected${v}_${step}_event" kind=net op=sendmsg proto=udp \
			addr="$lo" port=$port tenant=globex target_tenant=acme verdict=deny
		ndeny=$((ndeny + 1))
	done
	if [ $v = 6 ]; then
		# Behind an extension header (destination options).
		port
		taken connected6_dstopts "$G" EPERM ::1 "dstopts|send" "$A"
		tg_event connected6_dstopts_event kind=net op=sendmsg proto=udp \
			addr=::1 port=$port tenant=globex target_tenant=acme verdict=deny
		ndeny=$((ndeny + 1))
		tg_probe connected6_dstopts_owner --cgroup "$A" --expect ok sock udp \
			"::1:$port" dstopts,connect,send
	fi
	# Datagrams allowed there before (to a host socket that then closed).
	port
	tg_listen host udp "$lo" $port
	taken "connected${v}_allowed_then_taken" "$G" EPERM "$lo" "send,write|send" \
		"$A" "$tg_listener"
	tg_event "connected${v}_allowed_then_taken_event" kind=net op=sendmsg \
		proto=udp addr="$lo" port=$port tenant=globex target_tenant=acme verdict=deny
	ndeny=$((ndeny + 1))

	# Allowed.
	port
	tg_listen "$A" udp "$lo" $port
	tg_probe "connected${v}_own" --cgroup "$A" --expect ok sock udp "$lo:$port" \
		connect,send,write,sendfile,uring-send
	tg_probe "connected${v}_host" --expect ok sock udp "$lo:$port" connect,send,write
	port
	taken "connected${v}_allow_from" "$I" ok "$lo" "|send,write,uring-send" "$A"
	port
	taken "connected${v}_host_takes" "$G" ok "$lo" "|send,write" host
	port
	tg_probe "connected${v}_unowned" --cgroup "$G" --expect ok sock udp "$lo:$port" \
		connect,send
done

# Where :: and 0.0.0.0 go.
port
P4=$port
tg_listen "$A" tcp 127.0.0.1 $P4
tg_probe unspec6_from_mapped_source --cgroup "$G" --expect EPERM \
	--bind ::ffff:127.0.0.2 connect tcp :: $P4
tg_event unspec6_from_mapped_source_event kind=net op=connect proto=tcp addr=:: \
	port=$P4 tenant=globex target_tenant=acme verdict=deny
tg_probe unspec6_from_mapped_source_owner --cgroup "$A" --expect ok \
	--bind ::ffff:127.0.0.2 connect tcp :: $P4
tg_probe unspec6_from_mapped_source_host --expect ok \
	--bind ::ffff:127.0.0.2 connect tcp :: $P4
port
P6=$port
tg_listen "$A" tcp ::1 $P6
tg_probe unspec6_plain --cgroup "$G" --expect EPERM connect tcp :: $P6
tg_event unspec6_plain_event kind=net op=connect proto=tcp addr=:: port=$P6 \
	tenant=globex target_tenant=acme verdict=deny
tg_probe unspec6_plain_owner --cgroup "$A" --expect ok connect tcp :: $P6
ndeny=$((ndeny + 2))
# From a socket bound to another IPv6 address of this host: still ::1.
HOST6=$(ip -6 -o addr show scope global 2>/dev/null | awk '{ sub("/.*", "", $4); print $4; exit }')
if [ -n "$HOST6" ]; then
	tg_probe unspec6_from_bound_source --cgroup "$G" --expect EPERM \
		--bind "$HOST6" connect tcp :: $P6
	tg_probe unspec6_from_bound_source_owner --cgroup "$A" --expect ok \
		--bind "$HOST6" connect tcp :: $P6
	port
	tg_listen "$A" udp ::1 $port
	tg_probe unspec6_udp_from_bound_source --cgroup "$G" --expect EPERM \
		--bind "$HOST6" sendto udp :: $port
	tg_event unspec6_udp_from_bound_source_event kind=net op=sendmsg proto=udp \
		addr=:: port=$port tenant=globex target_tenant=acme verdict=deny
	ndeny=$((ndeny + 2))
else
	tg_skip unspec6_from_bound_source "no global IPv6 address on this host"
fi

# IP_PKTINFO: a datagram to 0.0.0.0 goes to ipi_spec_dst.
port
tg_listen "$A" udp 127.0.0.5 $port
tg_probe pktinfo4 --cgroup "$G" --expect EPERM sendmsg-pktinfo udp 0.0.0.0 $port 127.0.0.5
tg_event pktinfo4_event kind=net op=sendmsg proto=udp addr=0.0.0.0 port=$port \
	tenant=globex target_tenant=acme verdict=deny
tg_probe pktinfo4_owner --cgroup "$A" --expect ok sendmsg-pktinfo udp 0.0.0.0 $port 127.0.0.5
tg_probe pktinfo4_host --expect ok sendmsg-pktinfo udp 0.0.0.0 $port 127.0.0.5
port
tg_probe pktinfo4_free_port --cgroup "$G" --expect ok sendmsg-pktinfo udp 0.0.0.0 $port 127.0.0.5
port
tg_listen "$A" udp ::1 $port
tg_probe pktinfo6 --cgroup "$G" --expect EPERM sendmsg-pktinfo udp :: $port ::1
tg_event pktinfo6_event kind=net op=sendmsg proto=udp addr=:: port=$port \
	tenant=globex target_tenant=acme verdict=deny
tg_probe pktinfo6_owner --cgroup "$A" --expect ok sendmsg-pktinfo udp :: $port ::1
ndeny=$((ndeny + 2))

# One event per refusal, none for acme's own traffic.
sleep 0.5
tg_count_is one_event_per_denial $ndeny kind=net tenant=globex target_tenant=acme verdict=deny
tg_count_is no_event_for_allowed 0 kind=net tenant=acme
tg_count_is no_event_for_allow_from 0 kind=net tenant=initech

# globex in audit mode: each datagram passes and is reported once, by the
# sendmsg program (with an address) or by the egress program (connected).
sed -i 's/^  globex:$/  globex:\n    mode: audit/' "$TG_POLICY"
if tg_cli reload >/dev/null && grep -q "mode: audit" "$TG_POLICY"; then
	port
	tg_listen "$A" udp 127.0.0.1 $port
	tg_probe audit_sendto --cgroup "$G" --expect ok sock udp "127.0.0.1:$port" \
		sendto,sendto
	tg_probe audit_connected --cgroup "$G" --expect ok sock udp "127.0.0.1:$port" \
		connect,send,write
	sleep 0.5
	tg_count_is audit_one_event_per_datagram 4 kind=net op=sendmsg tenant=globex \
		target_tenant=acme verdict=audit port=$port
	tg_count_is audit_connect_event 1 kind=net op=connect tenant=globex \
		target_tenant=acme verdict=audit port=$port
else
	tg_fail audit_mode "reload failed"
fi

tg_summary
