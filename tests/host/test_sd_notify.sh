#!/bin/sh
# test_sd_notify: the agent's notifications to the service manager
# (sd_notify): READY=1 only once it enforces, STATUS=, WATCHDOG=1 pings
# with WATCHDOG_USEC set, RELOADING=1 then READY=1 around a reload (SIGHUP
# and the control socket's), STOPPING=1 at SIGTERM. The manager's end is a
# unix datagram socket read by a small python3 listener, which notes with
# each message whether the agent had logged that it enforces.
. "$(dirname "$0")/../lib/tap.sh"
. "$(dirname "$0")/../lib/tenants.sh"

: "${TG_BIN:?}"
if ! command -v python3 >/dev/null; then
	tg_skip sd_notify "python3 not installed"
	tg_summary
	exit 0
fi
tg_env_setup || exit 1

NOTIFY=$TG_T/notify.sock
MSGS=$TG_T/notify.log
python3 - "$NOTIFY" "$MSGS" "$TG_T/agent.err" <<'PY' &
import os, socket, sys, time
path, out, err = sys.argv[1:4]
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(path)
s.settimeout(60)
with open(out, "a", buffering=1) as f:
    f.write("LISTENING\n")
    while True:
        try:
            msg = s.recv(4096).decode()
        except socket.timeout:
            break
        try:
            enforcing = "enforcing for" in open(err).read()
        except OSError:
            enforcing = False
        for line in msg.split("\n"):
            f.write("%.3f %s %s\n" % (time.monotonic(), "enforcing" if enforcing else "not-enforcing", line))
        if "STOPPING=1" in msg:
            break
PY
tg_track $!
tg_wait_file "$MSGS" || { tg_fail listener "no notify socket"; tg_summary; exit 1; }

tg_start_collector || exit 1
export NOTIFY_SOCKET="$NOTIFY" WATCHDOG_USEC=400000
tg_start_agent || exit 1
unset NOTIFY_SOCKET WATCHDOG_USEC

# wait_msg PATTERN [SECONDS]: until the listener logged a matching line.
wait_msg()
{
	n=0
	until grep -q -- "$1" "$MSGS"; do
		n=$((n + 1))
		[ "$n" -gt $((${2:-10} * 10)) ] && return 1
		sleep 0.1
	done
}

if wait_msg ' READY=1$'; then
	if grep ' READY=1$' "$MSGS" | head -n 1 | grep -q ' enforcing '; then
		tg_pass ready_after_enforcing
	else
		tg_fail ready_after_enforcing "READY=1 came before \"enforcing for\""
	fi
else
	tg_fail ready_after_enforcing "no READY=1"
fi
if grep -q ' STATUS=enforcing for 2 tenant(s)' "$MSGS"; then
	tg_pass status_line
else
	tg_fail status_line "$(grep STATUS= "$MSGS" | head -n 1)"
fi

# 0.4 s period: a ping every 0.2 s, so at least 5 within 2 s.
sleep 2
pings=$(grep -c ' WATCHDOG=1$' "$MSGS")
if [ "$pings" -ge 5 ]; then
	tg_pass watchdog_pings
else
	tg_fail watchdog_pings "$pings ping(s) in 2 s, WATCHDOG_USEC=400000"
fi

# Around a reload, by SIGHUP and by the control socket: RELOADING=1 (with
# MONOTONIC_USEC), then READY=1 again.
count() { grep -c -- "$1" "$MSGS"; }
# wait_more PATTERN N: until more than N lines match.
wait_more()
{
	n=0
	until [ "$(count "$1")" -gt "$2" ]; do
		n=$((n + 1))
		[ "$n" -gt 100 ] && return 1
		sleep 0.1
	done
}
ready=$(count ' READY=1$') reloading=$(count ' RELOADING=1$')
kill -HUP "$TG_AGENT_PID"
if wait_more ' RELOADING=1$' "$reloading" && wait_more ' READY=1$' "$ready" &&
	grep -q ' MONOTONIC_USEC=[0-9]' "$MSGS"; then
	tg_pass reload_sighup
else
	tg_fail reload_sighup "$(tail -n 5 "$MSGS" | tr '\n' '|')"
fi
ready=$(count ' READY=1$') reloading=$(count ' RELOADING=1$')
if tg_cli reload >/dev/null 2>&1 && wait_more ' RELOADING=1$' "$reloading" &&
	wait_more ' READY=1$' "$ready"; then
	tg_pass reload_control
else
	tg_fail reload_control "$(tail -n 5 "$MSGS" | tr '\n' '|')"
fi

tg_stop_agent
if wait_msg ' STOPPING=1$' 5; then
	tg_pass stopping
else
	tg_fail stopping "no STOPPING=1"
fi
tg_summary
