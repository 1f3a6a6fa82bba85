#!/bin/sh
# test_control_slow: clients of the control socket that misbehave delay
# nobody. Twenty clients that connect and send nothing (more than the 16
# the agent serves at once), and clients that send their request a byte
# every 200 ms: meanwhile status answers; each is cut off after its 2 s
# (or pushed out by a newer client), and status counts them (clients_cut,
# in --json and in text), as do the metrics file and a control_cut event.
# A passed descriptor whose close blocks does not hold the agent's loop.
. "$(dirname "$0")/../lib/tap.sh"
. "$(dirname "$0")/../lib/tenants.sh"

: "${TG_BIN:?}"
tg_env_setup || exit 1
tg_start_collector || exit 1
tg_start_agent --metrics-file "$TG_T/agent.prom" || exit 1
SOCK=$TG_T/control.sock

# cut_in NAME FILE MAX_MS: every client in FILE was closed within MAX_MS.
cut_in()
{
	ci_open=$(grep -c '^open' "$2")
	ci_late=$(awk -v m="$3" '$1 == "closed" && $3 > m' "$2" | wc -l)
	ci_n=$(grep -c '^closed' "$2")
	if [ "$ci_open" = 0 ] && [ "$ci_late" = 0 ] && [ "$ci_n" -gt 0 ]; then
		tg_pass "$1"
	else
		tg_fail "$1" "$ci_n closed, $ci_open open, $ci_late later than $3 ms: $(tr '\n' ' ' <"$2")"
	fi
}

"$TG_BIN/tg-try" control-slow "$SOCK" 20 silent 5 >"$TG_T/silent.out" 2>&1 &
slow=$!
sleep 0.5
if out=$(timeout 3 "$TG_BIN/tenantguard" --control-socket "$SOCK" status 2>&1); then
	tg_pass status_while_silent_clients
else
	tg_fail status_while_silent_clients "$out"
fi
wait $slow
cut_in silent_clients_cut "$TG_T/silent.out" 3500

"$TG_BIN/tg-try" control-slow "$SOCK" 4 dribble 6 >"$TG_T/dribble.out" 2>&1 &
slow=$!
sleep 0.5
if out=$(timeout 3 "$TG_BIN/tenantguard" --control-socket "$SOCK" status 2>&1); then
	tg_pass status_while_dribbling_clients
else
	tg_fail status_while_dribbling_clients "$out"
fi
wait $slow
# Their requests take 3.4 s to arrive: cut at 2 s, never answered.
cut_in dribbling_clients_cut "$TG_T/dribble.out" 3200
cut=$(tg_cli status --json | sed -n 's/.*"clients_cut":\([0-9]*\).*/\1/p')
if [ "${cut:-0}" -ge 24 ]; then
	tg_pass status_counts_clients_cut
else
	tg_fail status_counts_clients_cut "clients_cut '$cut', 24 cut"
fi
if tg_cli status | grep -q "^requests:    $cut client(s) cut off; records 0 held back (0 of uids pushed out), 0 dropped"; then
	tg_pass status_text_counts_clients_cut
else
	tg_fail status_text_counts_clients_cut "$(tg_cli status | grep '^requests:')"
fi
tg_event clients_cut_event kind=agent op=control_cut verdict=deny
told=$("$TG_BIN/tg-try" count-events "$TG_LOG" kind=agent op=control_cut)
# The events' counts add up to those cut (each event tells the new ones).
sum=$(grep '"op":"control_cut"' "$TG_LOG" | sed -n 's/.*"count":\([0-9]*\).*/\1/p' | awk '{s += $1} END {print s + 0}')
if [ "$told" -ge 1 ] && [ "$sum" -ge 24 ]; then
	tg_pass clients_cut_events_add_up
else
	tg_fail clients_cut_events_add_up "$told events telling $sum cut, 24 cut"
fi
n=0
until grep -q '^tenantguard_control_clients_cut_total [1-9]' "$TG_T/agent.prom" 2>/dev/null; do
	n=$((n + 1))
	[ "$n" -gt 80 ] && break
	sleep 0.1
done
if grep -q '^tenantguard_control_clients_cut_total [1-9]' "$TG_T/agent.prom" &&
	grep -q '^tenantguard_admin_records_held_total{reason="uid_evicted"} 0' "$TG_T/agent.prom"; then
	tg_pass metrics_count_clients_cut
else
	tg_fail metrics_count_clients_cut "$(grep -E 'control|admin' "$TG_T/agent.prom" 2>&1)"
fi
# A descriptor passed with a request whose last close blocks (a TCP
# socket lingering 8 s on data its peer does not take): closed off the
# loop, so that status still answers at once meanwhile.
"$TG_BIN/tg-try" control-linger "$SOCK" 8 >"$TG_T/linger.out" 2>&1 &
linger=$!
tg_track $linger
for _ in $(seq 50); do
	grep -q '"ok":true' "$TG_T/linger.out" 2>/dev/null && break
	sleep 0.1
done
sleep 0.3
if ! grep -q '"ok":true' "$TG_T/linger.out"; then
	tg_fail status_while_lingering_close "no reply to the request: $(cat "$TG_T/linger.out")"
elif out=$(timeout 3 "$TG_BIN/tenantguard" --control-socket "$SOCK" status --json 2>&1); then
	tg_pass status_while_lingering_close
	case "$out" in
	*'"closed_on_loop":0,'*) tg_pass lingering_close_off_loop ;;
	*) tg_fail lingering_close_off_loop "$(echo "$out" | grep -o '"closes_waiting":[0-9]*,"closed_on_loop":[0-9]*')" ;;
	esac
else
	tg_fail status_while_lingering_close "status: '$out'"
fi
wait $linger
# The agent still serves as before.
if tg_cli status >/dev/null 2>&1; then
	tg_pass still_serving
else
	tg_fail still_serving "$(tg_cli status 2>&1)"
fi
tg_summary
