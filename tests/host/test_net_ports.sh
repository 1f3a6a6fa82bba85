#!/bin/sh
# test_net_ports: ports the agent must not lose track of, and protocols it
# cannot check.
#  - A tenant may hold at most 8192 entries of the port table (ports times
#    network namespaces): binding every port in namespaces of its own must
#    not fill it for everyone. Its binds beyond are refused (EPERM, an event
#    naming no target tenant); other tenants still bind; closing gives the
#    quota back.
#  - A port the kernel picked and took back at a disconnect (connect to
#    AF_UNSPEC), then picked anew at the next send (UDP) or listen (TCP),
#    is recorded as held: another tenant may not bind it; the old one is
#    given back.
#  - A port that cannot be recorded (no memory for the socket's tag) is
#    refused, at bind and at the first send.
#  - L2TP over IP sockets (no cgroup hook sees their connect) are refused
#    to tenants, like UDP-Lite.
. "$(dirname "$0")/../lib/tap.sh"
. "$(dirname "$0")/../lib/tenants.sh"
. "$(dirname "$0")/../lib/net.sh"

: "${TG_BIN:?}"
tg_net_setup || exit 1
QUOTA=8192
tg_start_collector || exit 1
tg_start_agent || exit 1

# hold NAME CGROUP ARGS...: tg-try ARGS... READY in the background, kept
# until exit (or killed through $holder); sets $ready to what it wrote.
hold()
{
	h_name=$1 h_cg=$2
	shift 2
	"$P" --cgroup "$h_cg" "$@" "$TG_T/$h_name" >"$TG_T/$h_name.out" 2>&1 &
	holder=$!
	tg_track $holder
	ready=
	if tg_wait_file "$TG_T/$h_name" 60; then
		ready=$(cat "$TG_T/$h_name")
	else
		tg_fail "$h_name" "$(tail -n 1 "$TG_T/$h_name.out")"
	fi
}

# ready_is NAME WANT: PASS if the last hold wrote WANT.
ready_is()
{
	if [ "$ready" = "$2" ]; then
		tg_pass "$1"
	else
		tg_fail "$1" "\"$ready\", \"$2\" expected"
	fi
}

# The quota, in network namespaces of acme's own.
hold quota "$A" bind-many udp $((QUOTA + 100)) 1100
ready_is quota_refuses_beyond "ok=$QUOTA err=EPERM"
tg_event quota_refuses_beyond_event kind=net op=bind proto=udp \
	port=$((1100 + QUOTA)) tenant=acme target_tenant=host verdict=deny
quota_holder=$holder
hold quota_other "$G" bind-many udp 200 1100
ready_is quota_other_tenant_binds "ok=200 err=ok"
tg_probe quota_spent_host_netns --cgroup "$A" --expect EPERM bind udp 127.0.0.1 $((base + 1))
kill $quota_holder
wait $quota_holder 2>/dev/null
hold quota_again "$A" bind-many udp 200 1100
ready_is quota_given_back "ok=200 err=ok"
tg_probe quota_given_back_host_netns --cgroup "$A" --expect ok bind udp 127.0.0.1 $((base + 1))
kill $holder
wait $holder 2>/dev/null

# A port picked anew after a disconnect.
for proto in udp tcp; do
	hold "rebind_$proto" "$A" rebind $proto 127.0.0.1 $((base + 2))
	old=${ready% *} new=${ready#* }
	if [ -z "$ready" ] || [ "$old" = "$new" ]; then
		tg_skip "rebind_$proto" "the kernel gave the same port again ($ready)"
		continue
	fi
	# UDP: acme's socket keeps 127.0.0.1, 127.0.0.2 is free to the kernel.
	tg_probe "rebind_${proto}_new_port_held" --cgroup "$G" --expect EPERM \
		bind $proto 127.0.0.2 "$new"
	tg_event "rebind_${proto}_new_port_held_event" kind=net op=bind proto=$proto \
		port="$new" tenant=globex target_tenant=acme verdict=deny
	tg_probe "rebind_${proto}_old_port_given_back" --cgroup "$G" --expect ok \
		bind $proto 127.0.0.1 "$old"
	if [ $proto = udp ]; then
		tg_probe rebind_udp_host --expect ok bind udp 127.0.0.2 "$new" reuseaddr
	else
		tg_probe rebind_tcp_host --expect ok connect tcp 127.0.0.1 "$new"
	fi
done

# No room for the socket's tag (optmem_max 0, in a namespace of its own:
# per namespace since 6.9): the port cannot be recorded, so it is refused.
kv=$(uname -r)
kmaj=${kv%%.*} kmin=${kv#*.}
kmin=${kmin%%.*}
if ! command -v unshare >/dev/null; then
	tg_skip no_tag_refused "unshare (util-linux) missing"
elif [ "$kmaj" -lt 6 ] || { [ "$kmaj" = 6 ] && [ "$kmin" -lt 9 ]; }; then
	tg_skip no_tag_refused "optmem_max is not per network namespace before 6.9"
else
	optmem=$(cat /proc/sys/net/core/optmem_max)
	notag()
	{
		nt_name=$1
		shift
		if out=$(unshare -n sh -c 'echo 0 >/proc/sys/net/core/optmem_max && exec "$@"' \
			sh "$P" "$@" 2>&1); then
			tg_pass "$nt_name"
		else
			tg_fail "$nt_name" "$(echo "$out" | tail -n 1)"
		fi
	}
	notag no_tag_bind_refused --cgroup "$A" --expect EPERM bind udp 0.0.0.0 $((base + 3))
	tg_event no_tag_bind_refused_event kind=net op=bind proto=udp port=$((base + 3)) \
		tenant=acme target_tenant=host verdict=deny
	notag no_tag_autobind_refused --cgroup "$A" --expect EPERM sendto udp 0.0.0.0 $((base + 4))
	tg_event no_tag_autobind_refused_event kind=net op=bind proto=udp \
		tenant=acme target_tenant=host verdict=deny
	notag no_tag_host_binds --expect ok bind udp 0.0.0.0 $((base + 3))
	if [ "$(cat /proc/sys/net/core/optmem_max)" = "$optmem" ]; then
		tg_pass no_tag_host_optmem_untouched
	else
		echo "$optmem" >/proc/sys/net/core/optmem_max
		tg_fail no_tag_host_optmem_untouched "optmem_max changed outside the namespace"
	fi
fi

# L2TP over IP.
if "$P" --expect ok socket 4 dgram 115 >/dev/null 2>&1; then
	for v in 4 6; do
		tg_probe "l2tp${v}_refused" --cgroup "$G" --expect EPERM socket $v dgram 115
		tg_probe "l2tp${v}_host" --expect ok socket $v dgram 115
	done
	tg_event l2tp_refused_event --count 2 kind=net op=create proto=l2tp \
		tenant=globex verdict=deny
else
	tg_skip l2tp_refused "no L2TP over IP in this kernel (l2tp_ip)"
fi

tg_summary
