# shellcheck shell=sh
# Checks and a connect loop shared by the delivery tests (POSIX sh, after
# tap.sh, tenants.sh and accounting.sh).

# tg_delivery_start PORT_OFFSET [AGENT_ARGS...]: a collector, then
# tg_delivery_agent.
tg_delivery_start()
{
	# Every rotated file kept: the floods fill more than the default five.
	tg_start_collector --rotate-keep 1000 || return 1
	tg_delivery_agent "$@"
}

# tg_delivery_agent PORT_OFFSET [AGENT_ARGS...]: an agent with a 16 MiB
# ring buffer and no event rate limit (what these tests look at is the path
# to the collector: every denial must become an event) and acme listening
# on 127.0.0.1:$port.
tg_delivery_agent()
{
	port=$((TG_PORT_BASE + $1))
	shift
	TG_POLICY=$TG_T/policy.yaml
	mkdir -p "$TG_T/policy.d"
	printf 'version: 1\ntenants_cgroup: %s\nevents: {rate: unlimited}\n' \
		"$TG_TENANTS" >"$TG_POLICY"
	tg_start_agent --ringbuf-size 16M "$@" || return 1
	"$TG_BIN/tg-try" --cgroup "$TG_TDIR/acme" listen tcp 127.0.0.1 $port "$TG_T/ready" &
	tg_track $!
	tg_wait_file "$TG_T/ready" || tg_fail listener "not ready on port $port"
}

# tg_loop_start: globex's connects to acme's $port, each refused, in a loop
# until tg_loop_stop.
tg_loop_start()
{
	rm -f "$TG_T/stop"
	"$TG_BIN/tg-try" --cgroup "$TG_TDIR/globex" connect-loop tcp 127.0.0.1 $port \
		"$TG_T/stop" >"$TG_T/loop" &
	tg_loop=$!
	tg_track $tg_loop
}

# tg_loop_stop: end the loop; its counts in res ("attempts=N eperm=N ok=N
# other=N"), its denials in eperm.
tg_loop_stop()
{
	touch "$TG_T/stop"
	tg_wait $tg_loop
	read -r res <"$TG_T/loop"
	eperm=$(echo "$res" | sed 's/.*eperm=\([0-9]*\).*/\1/')
}

# tg_eperm FILE...: the denials (eperm=N) the connect loops saw, summed.
tg_eperm()
{
	sed 's/.*eperm=\([0-9]*\).*/\1/' "$@" | awk '{ s += $1 } END { print s + 0 }'
}

# tg_nothing_dropped: PASS nothing_dropped if the agent counted no loss.
tg_nothing_dropped()
{
	if [ "$(tg_dropped)" = 0 ]; then
		tg_pass nothing_dropped
	else
		tg_fail nothing_dropped "$(tg_dropped) dropped although the spool had room"
	fi
}

# tg_drop_counts: "LOST ADMIN", read from one status request: the events
# the agent counted as lost (kernel ring buffer and sink), and how many of
# those were its events of control requests (kind admin: each status
# request while the spool is full is one more).
tg_drop_counts()
{
	# events.kernel_drops and events.dropped; control.records_dropped.
	tdc_s=$(tg_cli status --json | tr -d ' \n')
	echo "$(echo "$tdc_s" | sed -n 's/.*"kernel_drops":\([0-9]*\),.*"queued":[0-9]*,"dropped":\([0-9]*\),.*/\1 \2/p')" \
		"$(echo "$tdc_s" | sed -n 's/.*"records_dropped":\([0-9]*\).*/\1/p')" |
		awk '{ print $1 + $2, $3 }'
}

# tg_dropped: events the agent counted as lost, its events of control
# requests left out.
tg_dropped()
{
	tdc=$(tg_drop_counts)
	echo $((${tdc% *} - ${tdc#* }))
}

# tg_check_identity PREFIX DENIALS LOG: after tg_drain, every denial of
# globex is in the log (and its rotated files) exactly once or counted as dropped;
# agent_seq has no gap or duplicate per stream, seq strictly increases, the
# drops are reported in the log. Prints PASS/FAIL lines named PREFIX_*.
tg_check_identity()
{
	prefix=$1 eperm=$2
	shift 2
	# Drop reports are events too: let them through.
	sleep 1
	tg_drain 60 || echo "    (the agent still holds events)"
	tg_log_all "$1" >"$TG_T/all.jsonl"
	stored=$("$TG_BIN/tg-try" count-events "$TG_T/all.jsonl" kind=net tenant=globex verdict=deny)
	tci=$(tg_drop_counts)
	lost=${tci% *} dropped=$((${tci% *} - ${tci#* }))
	suppressed=$(tg_stat kernel_suppressed)
	echo "    $eperm denials: $stored stored, $suppressed suppressed, $dropped counted as dropped"
	if [ "$eperm" -gt 0 ] && [ $((stored + suppressed + dropped)) = "$eperm" ]; then
		tg_pass "${prefix}_stored_plus_dropped_equals_denials"
	else
		tg_fail "${prefix}_stored_plus_dropped_equals_denials" \
			"$eperm denials, $stored stored, $suppressed suppressed, $dropped dropped"
	fi
	# Per stream (agent run): agent_seq 1, 2, 3, ... each once.
	# (Only the agent's events: test clients may have stored others, the
	# collector records each connection that ended, op disconnected, and
	# its own start and checkpoints, comm tenantguard-collector.)
	grep '"kind":' "$TG_T/all.jsonl" | grep -v '"op":"disconnected"' |
		grep -v '"comm":"tenantguard-collector","op":"' >"$TG_T/agent.jsonl"
	sed -n 's/.*"agent_stream":"\([0-9a-f]*\)","agent_seq":\([0-9]*\).*/\1 \2/p' \
		"$TG_T/agent.jsonl" | sort -k1,1 -k2,2n >"$TG_T/aseq"
	bad=$(awk '$1 != s { s = $1; n = 0 } { n++; if ($2 != n) bad++ } END { print bad + 0 }' "$TG_T/aseq")
	if [ "$bad" = 0 ] && [ -s "$TG_T/aseq" ] &&
		[ "$(wc -l <"$TG_T/aseq")" = "$(wc -l <"$TG_T/agent.jsonl")" ]; then
		tg_pass "${prefix}_every_event_exactly_once"
	else
		tg_fail "${prefix}_every_event_exactly_once" \
			"$bad of $(wc -l <"$TG_T/aseq") out of place (duplicate or missing)"
	fi
	if grep -o '^{"seq":[0-9]*' "$TG_T/all.jsonl" | cut -d: -f2 |
		awk 'NR > 1 && $1 <= prev { bad = 1 } { prev = $1 } END { exit bad }'; then
		tg_pass "${prefix}_seq_strictly_increasing"
	else
		tg_fail "${prefix}_seq_strictly_increasing" "seq went backwards or repeated"
	fi
	logged=$(grep '"kind":"agent"' "$TG_T/all.jsonl" | grep '"op":"drop"' |
		grep -o '"dropped":[0-9]*' | cut -d: -f2 | awk '{ s += $1 } END { print s + 0 }')
	if [ "$logged" = "$lost" ]; then
		tg_pass "${prefix}_drops_reported_in_log"
	else
		tg_fail "${prefix}_drops_reported_in_log" "log reports $logged dropped, agent counted $lost"
	fi
}
