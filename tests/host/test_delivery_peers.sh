#!/bin/sh
# test_delivery_peers: clients other than the agent -- another uid, garbage,
# oversized, out-of-order and HELLO-less frames -- get an error frame, and the
# collector stays up and keeps storing the agent's flood, every event once.
. "$(dirname "$0")/../lib/tap.sh"
. "$(dirname "$0")/../lib/tenants.sh"
. "$(dirname "$0")/../lib/accounting.sh"
. "$(dirname "$0")/../lib/delivery.sh"

: "${TG_BIN:?}"
tg_env_setup || exit 1
tg_delivery_start 21 || exit 1
tg_loop_start
sleep 0.5

# expect NAME WANT CMD...: the probe's answer starts with WANT.
expect()
{
	name=$1 want=$2
	shift 2
	got=$("$@" 2>&1)
	case "$got" in
	"$want"*) tg_pass "$name" ;;
	*) tg_fail "$name" "expected '$want...', got '$got'" ;;
	esac
}

send() { "$TG_BIN/tg-try" collector-send "$TG_SOCK" "$@"; }

# Let another uid reach the socket, so that SO_PEERCRED is what refuses it.
chmod 0711 "$TG_T"
chmod 0666 "$TG_SOCK"
if command -v setpriv >/dev/null; then
	expect wrong_uid_refused "error: peer uid 65534 not allowed" \
		setpriv --reuid=65534 --regid=65534 --clear-groups \
		"$TG_BIN/tg-try" collector-send "$TG_SOCK" hello
else
	tg_skip wrong_uid_refused "setpriv not installed"
fi
expect garbage_refused "error: bad magic" send garbage
expect oversized_refused "error: frame too large" send oversized
expect event_before_hello_refused "error: expected hello first" send no-hello
expect out_of_order_refused "error: frame out of order" send out-of-order
for i in 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20; do
	send garbage >/dev/null
done
if kill -0 "$TG_COLLECTOR_PID" 2>/dev/null; then
	tg_pass collector_stays_up
else
	tg_fail collector_stays_up "the collector exited"
fi
if grep -q "peer uid 65534 not allowed" "$TG_T/collector.err" &&
	grep -q "bad magic" "$TG_T/collector.err"; then
	tg_pass refusals_logged
else
	tg_fail refusals_logged "collector stderr: $(tail -n 3 "$TG_T/collector.err")"
fi
sleep 0.5
tg_loop_stop
echo "    $res"
if [ "$(tg_stat collector_connected)" = true ]; then
	tg_pass agent_still_connected
else
	tg_fail agent_still_connected "status: $(tg_cli status | grep -i collector)"
fi
tg_check_identity peers "$eperm" "$TG_LOG"
tg_summary
