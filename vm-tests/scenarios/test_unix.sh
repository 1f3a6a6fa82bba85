#!/bin/sh
# test_unix (BPF LSM): a tenant cannot connect or send to another tenant's
# unix sockets (pathname, abstract, autobound; stream, seqpacket, datagram),
# by any name or syscall, unless that tenant's allow_from lists it; nor use,
# receive or take a socket another tenant created. Own sockets, host sockets,
# host access, allow_from and audit mode work.
. /tests/lib/tap.sh
. /tests/lib/tenants.sh

: "${TG_BIN:?}"
tg_env_setup || exit 1
mkdir -p "$TG_TDIR/initech" || exit 1
A=$TG_TDIR/acme
G=$TG_TDIR/globex
I=$TG_TDIR/initech
S=$TG_T/sock
mkdir -p "$S"
# acme lets initech (in audit mode) reach it.
write_policy()
{
	tg_policy <<YAML
  acme: {paths: [$TG_SRV/acme], allow_from: [$1]}
  globex: {paths: [$TG_SRV/globex]}
  initech: {mode: audit}
YAML
}
write_policy initech

# serve NAME CGROUP|- TYPE ADDR [netns]: a listener; $NAME_name is its name.
serve()
{
	srv_n=$1 srv_cg=$2
	shift 2
	if [ "$srv_cg" = - ]; then
		"$TG_BIN/tg-try" sock-listen "$1" "$2" "$TG_T/$srv_n.ready" $3 &
	else
		"$TG_BIN/tg-try" --cgroup "$srv_cg" sock-listen "$1" "$2" \
			"$TG_T/$srv_n.ready" $3 &
	fi
	tg_track $!
	eval "${srv_n}_pid=\$!"
	if ! tg_wait_file "$TG_T/$srv_n.ready" 20; then
		echo "listener $srv_n did not start" >&2
		exit 1
	fi
	sleep 0.1
	eval "${srv_n}_name=\$(cat \"\$TG_T/$srv_n.ready\")"
}

# Sockets made before the agent starts: their creator's cgroup tells.
serve early "$A" unix-stream "$S/early.sock"
serve early_dgram "$A" unix-dgram @tg-early
tg_start_collector || exit 1
tg_start_agent || exit 1
if grep -q "unix sockets and other tenants' sockets in use: bpf-lsm" "$TG_T/agent.err"; then
	tg_pass unix_backend_bpf_lsm
else
	tg_fail unix_backend_bpf_lsm "$(cat "$TG_T/agent.err")"
	tg_summary
	exit 1
fi

serve a_stream "$A" unix-stream "$S/a.sock"
serve a_dgram "$A" unix-dgram "$S/a.dgram"
serve a_seq "$A" unix-seqpacket "$S/a.seq"
serve a_abs "$A" unix-stream @tg-acme
serve a_odd "$A" unix-dgram '@tg\x01acme\x00\xff'
serve a_auto "$A" unix-stream @
serve a_ns "$A" unix-stream @tg-ns netns
serve g_stream "$G" unix-stream "$S/g.sock"
serve g_dgram "$G" unix-dgram "$S/g.dgram"
serve g_ns "$G" unix-stream @tg-ns
serve h_stream - unix-stream "$S/h.sock"
serve h_dgram - unix-dgram "$S/h.dgram"
serve h_tcp - tcp 127.0.0.1:47101
serve h_udp - udp 127.0.0.1:47102
serve h_tcp6 - tcp ::1:47106
serve h_udp6 - udp ::1:47107

# deny NAME CGROUP ARGS...: tg-try from CGROUP must fail with EPERM.
deny()
{
	deny_name=$1 deny_cg=$2
	shift 2
	tg_probe "$deny_name" --cgroup "$deny_cg" --expect EPERM "$@"
}

echo "# reaching another tenant's unix sockets"
deny stream_connect "$G" sock unix-stream "$S/a.sock" connect
tg_event stream_connect_event kind=unix op=connect verdict=deny tenant=globex \
	target_tenant=acme path="$S/a.sock"
deny seqpacket_connect "$G" sock unix-seqpacket "$S/a.seq" connect
tg_event seqpacket_connect_event kind=unix op=connect tenant=globex \
	target_tenant=acme path="$S/a.seq"
deny dgram_sendto "$G" sock unix-dgram "$S/a.dgram" sendto
tg_event dgram_sendto_event kind=unix op=sendmsg verdict=deny tenant=globex \
	target_tenant=acme path="$S/a.dgram"
deny dgram_connect "$G" sock unix-dgram "$S/a.dgram" connect
tg_event dgram_connect_event kind=unix op=connect verdict=deny tenant=globex \
	target_tenant=acme path="$S/a.dgram"
deny abstract_connect "$G" sock unix-stream @tg-acme connect
tg_event abstract_connect_event kind=unix op=connect tenant=globex \
	target_tenant=acme path=@tg-acme
deny abstract_odd_bytes "$G" sock unix-dgram '@tg\x01acme\x00\xff' sendto
tg_event abstract_odd_bytes_event kind=unix op=sendmsg tenant=globex \
	target_tenant=acme path='@tg\x01acme\x00\xff'
deny autobound_connect "$G" sock unix-stream "$a_auto_name" connect
tg_event autobound_connect_event kind=unix op=connect tenant=globex \
	target_tenant=acme path="$a_auto_name"

deny made_before_agent "$G" sock unix-stream "$S/early.sock" connect
tg_event made_before_agent_event kind=unix op=connect tenant=globex \
	target_tenant=acme path="$S/early.sock"
deny made_before_agent_dgram "$G" sock unix-dgram @tg-early sendto
tg_event made_before_agent_dgram_event kind=unix op=sendmsg tenant=globex \
	target_tenant=acme path=@tg-early

echo "# other names for the same socket"
ln -s "$S/a.sock" "$S/symlink.sock"
ln "$S/a.sock" "$S/hardlink.sock"
: >"$S/bind.sock"
mount --bind "$S/a.sock" "$S/bind.sock" && tg_on_cleanup "umount '$S/bind.sock'"
deny via_symlink "$G" sock unix-stream "$S/symlink.sock" connect
deny via_hardlink "$G" sock unix-stream "$S/hardlink.sock" connect
deny via_bind_mount "$G" sock unix-stream "$S/bind.sock" connect
deny via_proc_fd_opath "$G" sock unix-stream "$S/a.sock" connect-opath
tg_event via_names_event --count 5 kind=unix op=connect tenant=globex \
	target_tenant=acme path="$S/a.sock"
# The listener's own socket inode, through its /proc fd link: another
# tenant's /proc entries are refused before the name is resolved (process
# isolation, docs/process-isolation.md).
for f in /proc/"$a_stream_pid"/fd/*; do
	case $(readlink "$f") in socket:*) a_stream_fd=$f; break ;; esac
done
tg_probe via_proc_pid_fd_socket --cgroup "$G" --expect EACCES \
	sock unix-stream "$a_stream_fd" connect
# The name is the same, the socket reached is not: acme's @tg-ns lives in
# another network namespace, globex's in this one.
tg_probe netns_same_name_own --cgroup "$G" --expect ok sock unix-stream @tg-ns connect
deny netns_same_name_other "$A" sock unix-stream @tg-ns connect
tg_event netns_same_name_other_event kind=unix op=connect tenant=acme \
	target_tenant=globex path=@tg-ns

echo "# other ways to send"
deny sendto_on_connected "$G" sock unix-dgram "$S/g.dgram" \
	connect,send,sendto="$S/a.dgram"
tg_probe connected_by_host_then_used --expect EPERM sock unix-dgram "$S/a.dgram" \
	connect,send,move="$G",send
tg_event connected_by_host_then_used_event --count 3 kind=unix op=sendmsg \
	tenant=globex target_tenant=acme path="$S/a.dgram"
deny io_uring_sendto "$G" sock unix-dgram "$S/a.dgram" uring-send="$S/a.dgram"
deny io_uring_worker_sendto "$G" sock unix-dgram "$S/a.dgram" uring-wq-send="$S/a.dgram"

echo "# other tenants' sockets"
tg_probe pass_pair_stream --expect MSG_CTRUNC sock-pass scm "$A" "$G" unix-pair-stream -
tg_event pass_pair_stream_event kind=unix op=receive verdict=deny tenant=globex \
	target_tenant=acme path=
tg_probe pass_pair_dgram --expect MSG_CTRUNC sock-pass scm "$A" "$G" unix-pair-dgram -
tg_probe pass_connected_unix --expect MSG_CTRUNC sock-pass scm "$A" "$G" \
	unix-stream "$S/h.sock"
tg_event pass_connected_unix_event kind=unix op=receive tenant=globex \
	target_tenant=acme path="$S/h.sock"
tg_probe pass_connected_tcp --expect MSG_CTRUNC sock-pass scm "$A" "$G" \
	tcp 127.0.0.1:47101
tg_event pass_connected_tcp_event kind=net op=receive verdict=deny tenant=globex \
	target_tenant=acme proto=tcp addr=127.0.0.1 port=47101
tg_probe pidfd_getfd --expect EPERM sock-pass getfd "$A" "$G" tcp 127.0.0.1:47101
for s in send recv write read sendfile splice-read mmap uring-send uring-wq-send; do
	deny "inherited_tcp_$s" "$A" sock tcp 127.0.0.1:47101 connect,move="$G",$s
done
tg_event inherited_tcp_send_event kind=net op=sendmsg verdict=deny tenant=globex \
	target_tenant=acme proto=tcp addr=127.0.0.1 port=47101
tg_event inherited_tcp_recv_event kind=net op=recvmsg tenant=globex \
	target_tenant=acme proto=tcp
deny inherited_udp_send "$A" sock udp 127.0.0.1:47102 connect,move="$G",send
deny inherited_udp_sendto "$A" sock udp 127.0.0.1:47102 socket,move="$G",sendto
tg_event inherited_udp_sendto_event kind=net op=sendmsg tenant=globex \
	target_tenant=acme proto=udp addr=127.0.0.1 port=47102
deny inherited_tcp6_send "$A" sock tcp ::1:47106 connect,move="$G",send
tg_event inherited_tcp6_send_event kind=net op=sendmsg tenant=globex \
	target_tenant=acme proto=tcp addr=::1 port=47106
deny inherited_udp6_sendto "$A" sock udp ::1:47107 socket,move="$G",sendto
tg_event inherited_udp6_sendto_event kind=net op=sendmsg tenant=globex \
	target_tenant=acme proto=udp addr=::1 port=47107
deny inherited_unix_sendto "$A" sock unix-dgram "$S/h.dgram" socket,move="$G",sendto
tg_event inherited_unix_sendto_event kind=unix op=sendmsg tenant=globex \
	target_tenant=acme path="$S/h.dgram"
deny inherited_unix_send "$A" sock unix-stream "$S/h.sock" connect,move="$G",send
tg_event inherited_unix_send_event kind=unix op=sendmsg tenant=globex \
	target_tenant=acme path="$S/h.sock"
deny inherited_listen "$A" sock tcp 127.0.0.1:47103 socket,move="$G",listen
tg_event inherited_listen_event kind=net op=listen tenant=globex target_tenant=acme
deny inherited_accept "$A" sock tcp 127.0.0.1:47104 listen,move="$G",accept
tg_event inherited_accept_event kind=net op=accept tenant=globex target_tenant=acme
# A host socket becomes a tenant's when the tenant makes it an endpoint
# (listen, accept, connect) or receives it; plain use leaves it the host's,
# so a host stream handed to two tenants (a log socket) serves both.
tg_probe adopted_by_listen --expect EPERM sock tcp 127.0.0.1:47106 \
	socket,move="$G",listen,move="$A",accept
tg_event adopted_by_listen_event kind=net op=accept tenant=acme \
	target_tenant=globex
tg_probe adopted_by_unix_connect --expect EPERM sock unix-dgram "$S/h.dgram" \
	socket,move="$G",connect,move="$A",send
tg_event adopted_by_unix_connect_event kind=unix op=sendmsg tenant=acme \
	target_tenant=globex

echo "# allowed"
tg_probe own_stream --cgroup "$A" --expect EAGAIN sock unix-stream "$S/a.sock" connect,send,recv
tg_probe own_seqpacket --cgroup "$A" --expect ok sock unix-seqpacket "$S/a.seq" connect,send
tg_probe own_dgram --cgroup "$A" --expect ok sock unix-dgram "$S/a.dgram" sendto,connect,send
tg_probe own_abstract --cgroup "$A" --expect ok sock unix-stream @tg-acme connect,send
tg_probe own_autobound --cgroup "$A" --expect ok sock unix-stream "$a_auto_name" connect
tg_probe own_made_before_agent --cgroup "$A" --expect ok sock unix-stream \
	"$S/early.sock" connect,send
tg_probe own_made_before_agent_dgram --cgroup "$A" --expect ok sock unix-dgram \
	@tg-early sendto
tg_probe host_to_made_before_agent --expect ok sock unix-dgram @tg-early sendto
tg_probe own_via_symlink --cgroup "$A" --expect ok sock unix-stream "$S/symlink.sock" connect
tg_probe host_to_tenant --expect ok sock unix-stream "$S/a.sock" connect,send
tg_probe host_to_tenant_dgram --expect ok sock unix-dgram "$S/a.dgram" sendto
tg_probe tenant_to_host --cgroup "$G" --expect ok sock unix-stream "$S/h.sock" connect,send
tg_probe tenant_to_host_dgram --cgroup "$G" --expect ok sock unix-dgram "$S/h.dgram" \
	sendto,connect,send,uring-send,uring-wq-send
tg_probe allow_from_stream --cgroup "$I" --expect ok sock unix-stream "$S/a.sock" connect,send
tg_probe allow_from_dgram --cgroup "$I" --expect ok sock unix-dgram "$S/a.dgram" sendto
tg_probe audit_mode_connect --cgroup "$I" --expect ok sock unix-stream "$S/g.sock" connect,send
tg_event audit_mode_connect_event kind=unix op=connect verdict=audit tenant=initech \
	target_tenant=globex path="$S/g.sock"
tg_probe pass_same_tenant --expect EAGAIN sock-pass scm "$A" "$A" unix-pair-stream - send,recv
tg_probe pass_host_to_tenant --expect ok sock-pass scm - "$G" unix-pair-dgram - send
tg_probe pass_tenant_to_host --expect ok sock-pass scm "$A" - tcp 127.0.0.1:47101 send
# pidfd_getfd from a host process: refused by process isolation (the
# ptrace access check), whatever the descriptor.
tg_probe getfd_host_socket --expect EPERM sock-pass getfd - "$G" tcp 127.0.0.1:47101 send
tg_probe host_socket_shared_by_tenants --expect EAGAIN sock tcp 127.0.0.1:47101 \
	connect,move="$G",send,move="$A",send,recv
tg_probe host_unix_stream_shared_by_tenants --expect EAGAIN sock unix-stream "$S/h.sock" \
	connect,move="$G",send,move="$A",send,write,recv
tg_probe host_socket_used_by_tenant --expect EAGAIN sock tcp 127.0.0.1:47101 \
	connect,move="$G",send,write,sendfile,mmap,recv,read,splice-read
tg_probe own_tcp_socket --cgroup "$G" --expect EAGAIN sock tcp 127.0.0.1:47101 \
	connect,send,uring-send,uring-wq-send,recv
tg_probe own_listener --cgroup "$G" --expect EAGAIN sock tcp 127.0.0.1:47105 listen,accept

echo "# audit mode: allowed and reported"
tg_probe audit_foreign_socket_use --expect ok sock tcp 127.0.0.1:47101 \
	move="$A",connect,move="$I",send
tg_event audit_foreign_socket_use_event kind=net op=sendmsg verdict=audit \
	tenant=initech target_tenant=acme proto=tcp port=47101
tg_probe audit_receive --expect ok sock-pass scm "$A" "$I" unix-pair-stream - send
tg_event audit_receive_event kind=unix op=receive verdict=audit tenant=initech \
	target_tenant=acme

echo "# a datagram socket connected while allowed, used after allow_from is gone"
write_policy "initech, globex"
tg_cli reload >/dev/null
"$TG_BIN/tg-try" --cgroup "$G" --expect EPERM sock unix-dgram "$S/a.dgram" \
	connect,send,wait="$TG_T/go",send >"$TG_T/late.out" 2>&1 &
late=$!
n=0
until grep -q "^send: ok" "$TG_T/late.out" || [ $n -gt 200 ]; do
	sleep 0.1
	n=$((n + 1))
done
write_policy initech
tg_cli reload >/dev/null
late_ev="kind=unix op=sendmsg tenant=globex target_tenant=acme path=$S/a.dgram"
before=$(tg_count $late_ev)
touch "$TG_T/go"
if wait $late; then
	tg_pass connected_while_allowed_then_denied
else
	tg_fail connected_while_allowed_then_denied "$(cat "$TG_T/late.out")"
fi
tg_event connected_while_allowed_then_denied_event --count $((before + 1)) $late_ev

sleep 0.5
tg_count_is no_event_for_allow_from 0 kind=unix tenant=initech target_tenant=acme \
	path="$S/a.sock"
tg_count_is no_send_event_for_allow_from 0 kind=unix tenant=initech \
	target_tenant=acme path="$S/a.dgram"
tg_count_is no_event_for_own_sockets 0 tenant=acme target_tenant=acme
tg_count_is host_never_denied 0 tenant=host verdict=deny
tg_summary
