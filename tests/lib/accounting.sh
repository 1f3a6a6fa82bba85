# shellcheck shell=sh
# Counting what became of the events tenants provoked: stored in the
# collector's log (and its rotated files), summarised by a rate limit, or
# counted as dropped; for the delivery and rate limit tests and benchmarks
# (POSIX sh; after tenants.sh).

# tg_stat FIELD: the first numeric or boolean FIELD in the agent's status.
tg_stat()
{
	tg_cli status --json | sed -n "s/^ *\"$1\": *\([0-9a-z.]*\).*/\1/p" | head -n 1
}

# tg_log_all LOG: the log's rotated files (oldest first), then the log.
tg_log_all()
{
	for f in $(ls "$1".[0-9]* 2>/dev/null | sed 's/.*\.\([0-9]*\)$/\1/' | sort -rn); do
		cat "$1.$f"
	done
	cat "$1"
}

# tg_count_all KEY=VALUE...: matching events in $TG_LOG and its rotated files.
tg_count_all()
{
	tg_log_all "$TG_LOG" >"$TG_T/count.jsonl"
	"$TG_BIN/tg-try" count-events "$TG_T/count.jsonl" "$@"
	rm -f "$TG_T/count.jsonl"
}

# tg_sum_agent OP TENANT FIELD: sum of FIELD over agent events op=OP of
# TENANT, in the log and its rotated files.
tg_sum_agent()
{
	tg_log_all "$TG_LOG" | grep '"kind":"agent"' | grep "\"op\":\"$1\"" |
		grep "\"tenant\":\"$2\"" | grep -o "\"$3\":[0-9]*" | cut -d: -f2 |
		awk '{ s += $1 } END { print s + 0 }'
}

# tg_delivered TENANT [KIND]: TENANT's denials of KIND (default net) stored.
tg_delivered() { tg_count_all kind="${2:-net}" tenant="$1" verdict=deny; }
tg_suppressed() { tg_sum_agent suppressed "$1" suppressed; }
# Events of TENANT the kernel could not put in its ring buffer, as reported.
tg_dropped_of() { tg_sum_agent drop "$1" dropped; }

# tg_drain [SECONDS]: wait (default 60 s) until the agent holds no event the
# collector has not acknowledged, in memory or in its spool.
tg_drain()
{
	n=0
	while [ "$(tg_stat queued)" != 0 ] || [ "$(tg_stat spool_events)" != 0 ]; do
		n=$((n + 1))
		[ "$n" -gt $((${1:-60} * 10)) ] && return 1
		sleep 0.1
	done
	return 0
}

# tg_drain_stop: wait (up to 60 s) until the agent holds nothing for the
# collector, set TG_QDROP to what its queue and spool dropped, stop the agent
# (which reports its last counts).
tg_drain_stop()
{
	tg_drain 60
	TG_QDROP=$(tg_stat dropped)
	tg_stop_agent
}
