# shellcheck shell=sh
# Counting what became of a tenant's events in the collector's log, for the
# rate limit test and benchmark (POSIX sh; after tenants.sh).

# tg_stat FIELD: a number (or word) from `tenantguard status --json`.
tg_stat()
{
	tg_cli status --json | sed -n "s/^ *\"$1\": *\([0-9a-z]*\).*/\1/p" | head -n 1
}

# tg_sum_agent OP TENANT FIELD: sum of FIELD over agent events op=OP of TENANT.
tg_sum_agent()
{
	grep '"kind":"agent"' "$TG_LOG" | grep "\"op\":\"$1\"" | grep "\"tenant\":\"$2\"" |
		grep -o "\"$3\":[0-9]*" | cut -d: -f2 | awk '{ s += $1 } END { print s + 0 }'
}

tg_delivered() { tg_count kind=net tenant="$1" verdict=deny; }
tg_suppressed() { tg_sum_agent suppressed "$1" suppressed; }
tg_dropped() { tg_sum_agent drop "$1" dropped; }

# tg_drain_stop: wait (up to 60 s) until the agent's queue to the collector
# is empty, set TG_QDROP to its queue drops, stop the agent (which reports
# its last counts).
tg_drain_stop()
{
	n=0
	while [ "$(tg_stat queued)" != 0 ] && [ $n -lt 600 ]; do
		sleep 0.1
		n=$((n + 1))
	done
	TG_QDROP=$(tg_stat dropped_queue_full)
	tg_stop_agent
}
