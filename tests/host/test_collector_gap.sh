#!/bin/sh
# test_collector_gap: the collector records the end of the agent's
# connection as an event of its own, when it happens. After kill -9 it says
# the agent was lost (clean false), with the stream and the last agent_seq
# it stored; after a SIGTERM stop (the agent's stop event last) clean true.
. "$(dirname "$0")/../lib/tap.sh"
. "$(dirname "$0")/../lib/tenants.sh"

: "${TG_BIN:?}"
tg_env_setup || exit 1
tg_start_collector || exit 1

# stream_of OP: the agent_stream of the last agent event op=OP in the log.
stream_of()
{
	grep '"kind":"agent"' "$TG_LOG" | grep "\"op\":\"$1\"" | tail -n 1 |
		sed -n 's/.*"agent_stream":"\([0-9a-f]*\)","agent_seq":.*/\1/p'
}

# stored STREAM: the lines the agent stored under STREAM, and the last
# agent_seq of them, as "N LAST".
stored()
{
	grep "\"agent_stream\":\"$1\",\"agent_seq\":" "$TG_LOG" |
		sed 's/.*"agent_seq":\([0-9]*\)}$/\1/' |
		awk '{ n++; last = $1 } END { print n + 0, last + 0 }'
}

# A run killed with SIGKILL: its connection ends without a stop event.
tg_start_agent || exit 1
tg_event start_stored kind=agent op=start
stream=$(stream_of start)
pid=$TG_AGENT_PID
comm=$(cat "/proc/$pid/comm")
kill -KILL "$pid"
tg_wait "$pid" 2>/dev/null # without the shell's "Killed" notice
tg_event kill9_recorded kind=agent op=disconnected agent_stream="$stream"
stored "$stream" >"$TG_T/stored"
read -r n last <"$TG_T/stored"
tg_event kill9_fields kind=agent op=disconnected verdict=allow tenant=host \
	target_tenant=host pid="$pid" comm="$comm" agent_stream="$stream" \
	last_agent_seq="$last" clean=false events_stored="$n" \
	message="the agent's connection was lost: events it produced after agent_seq $last reach the log only when it comes back (kept in the kernel's ring buffer or the agent's spool)"
if [ "$n" -gt 0 ] && grep -q "agent pid $pid: connection lost after agent_seq $last" "$TG_T/collector.err"; then
	tg_pass kill9_told_on_stderr
else
	tg_fail kill9_told_on_stderr "$(tail -n 3 "$TG_T/collector.err")"
fi

# A run stopped with SIGTERM: its stop event is the stream's last.
tg_start_agent || exit 1
tg_event second_start_stored --count 2 kind=agent op=start
stream2=$(stream_of start)
pid=$TG_AGENT_PID
if tg_stop_agent; then
	tg_pass sigterm_exit_0
else
	tg_fail sigterm_exit_0 "exit $?"
fi
tg_event sigterm_recorded kind=agent op=disconnected agent_stream="$stream2"
stored "$stream2" >"$TG_T/stored"
read -r n last <"$TG_T/stored"
tg_event sigterm_fields kind=agent op=disconnected verdict=allow tenant=host \
	target_tenant=host pid="$pid" agent_stream="$stream2" \
	last_agent_seq="$last" clean=true events_stored="$n" \
	message="the agent's connection ended after it stopped"
tg_count_is stop_is_the_last_event 1 kind=agent op=stop agent_stream="$stream2" agent_seq="$last"
tg_count_is one_record_per_connection 1 kind=agent op=disconnected agent_stream="$stream"
tg_count_is one_record_per_connection_2 1 kind=agent op=disconnected agent_stream="$stream2"
# The records are stored like every event: seq goes on, one line each.
if sed -n 's/^{"seq":\([0-9]*\),.*/\1/p' "$TG_LOG" |
	awk 'NR > 1 && $1 <= prev { bad = 1 } { prev = $1 } END { exit bad || NR == 0 }'; then
	tg_pass seq_strictly_increasing
else
	tg_fail seq_strictly_increasing "seq went backwards or repeated"
fi
tg_summary
