#!/bin/sh
# test_control_slow: clients of the control socket that misbehave delay
# nobody. Twenty clients that connect and send nothing (more than the 16
# the agent serves at once), and clients that send their request a byte
# every 200 ms: meanwhile status answers; each is cut off after its 2 s
# (or pushed out by a newer client), and status counts them (clients_cut).
. "$(dirname "$0")/../lib/tap.sh"
. "$(dirname "$0")/../lib/tenants.sh"

: "${TG_BIN:?}"
tg_env_setup || exit 1
tg_start_collector || exit 1
tg_start_agent || exit 1
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
# The agent still serves as before.
if tg_cli status >/dev/null 2>&1; then
	tg_pass still_serving
else
	tg_fail still_serving "$(tg_cli status 2>&1)"
fi
tg_summary
