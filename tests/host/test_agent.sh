#!/bin/sh
# test_agent: start-up, bad input and shutdown of the agent and collector.
. "$(dirname "$0")/../lib/tap.sh"
. "$(dirname "$0")/../lib/tenants.sh"

: "${TG_BIN:?}"
tg_env_setup || exit 1

# Programs attached to the cgroup v2 root, as a fingerprint.
attached()
{
	bpftool cgroup show "$TG_CGROOT" 2>/dev/null | grep -c 'tg_'
}

# expect_error NAME RC PATTERN CMD...: CMD exits RC with a one-line error
# matching PATTERN on stderr.
expect_error()
{
	name=$1 rc=$2 pat=$3
	shift 3
	"$@" >"$TG_T/out" 2>"$TG_T/err"
	got=$?
	lines=$(grep -c . "$TG_T/err")
	if [ "$got" = "$rc" ] && [ "$lines" = 1 ] && grep -q -- "$pat" "$TG_T/err"; then
		tg_pass "$name"
	else
		tg_fail "$name" "exit $got, $lines line(s): $(head -c 200 "$TG_T/err")"
	fi
}

before=$(attached)
expect_error agent_unknown_flag 2 "unknown option --frobnicate" \
	"$TG_BIN/tenantguard-agent" --frobnicate
expect_error agent_bad_ringbuf 2 "ringbuf-size" \
	"$TG_BIN/tenantguard-agent" --ringbuf-size 12345
expect_error agent_missing_value 2 "needs a value" \
	"$TG_BIN/tenantguard-agent" --event-socket
expect_error agent_bad_spool_size 2 "spool-size: '12x' is not 0 or a size" \
	"$TG_BIN/tenantguard-agent" --spool-size 12x
expect_error collector_unknown_flag 2 "frobnicate" \
	"$TG_BIN/tenantguard-collector" --frobnicate
expect_error collector_unwritable_log 1 "/nonexistent-dir/sub/events.jsonl" \
	"$TG_BIN/tenantguard-collector" --socket "$TG_T/c.sock" \
	--log /nonexistent-dir/sub/events.jsonl
if [ -e "$TG_T/c.sock" ]; then
	tg_fail collector_no_stale_socket "socket left behind"
else
	tg_pass collector_no_stale_socket
fi
expect_error cli_unknown_command 2 "unknown command" "$TG_BIN/tenantguard" frobnicate

if command -v unshare >/dev/null; then
	expect_error agent_no_cgroup2 1 "no cgroup v2 mount" unshare -m sh -c \
		"umount -l '$TG_CGROOT' && exec '$TG_BIN/tenantguard-agent' \
		--event-socket '$TG_T/none.sock'"
else
	tg_skip agent_no_cgroup2 "unshare not installed"
fi
if command -v setpriv >/dev/null; then
	expect_error agent_no_bpf_permission 1 "pins: cannot make $TG_PINS: Permission denied" \
		setpriv --reuid=65534 --regid=65534 --clear-groups \
		--inh-caps=-all --bounding-set=-all "$TG_BIN/tenantguard-agent" \
		--tenants-cgroup "$TG_TENANTS" --event-socket "$TG_T/none.sock" \
		--pin-dir "$TG_PINS" --collector-user nobody
else
	tg_skip agent_no_bpf_permission "setpriv not installed"
fi
if [ "$(attached)" = "$before" ]; then
	tg_pass nothing_attached_after_errors
else
	tg_fail nothing_attached_after_errors "attached programs: $before -> $(attached)"
fi

# A real start reports its backends, then SIGTERM stops it cleanly.
tg_start_collector || exit 1
tg_start_agent || exit 1
if [ "$(attached)" -gt "$before" ]; then
	tg_pass agent_attaches
else
	tg_fail agent_attaches "no tg_ programs on $TG_CGROOT"
fi
tg_event agent_start_event kind=agent op=start verdict=allow tenant=host
if grep -q bpf /sys/kernel/security/lsm 2>/dev/null; then
	tg_event agent_reports_backends kind=agent op=start unenforced='[]'
else
	# Opens only, through fanotify; the rest is listed as unenforced.
	tg_event agent_reports_fanotify kind=agent op=start \
		backends='{"file":"fanotify","net":"cgroup-bpf","unix":"none","proc":"none"}'
	if grep '"op":"start"' "$TG_LOG" | grep -q '"unenforced":\["unix","proc","file:create",'; then
		tg_pass agent_event_lists_unenforced
	else
		tg_fail agent_event_lists_unenforced "$(grep '"op":"start"' "$TG_LOG")"
	fi
	if grep -q "file isolation: fanotify (open, exec; UNENFORCED: file:create, " "$TG_T/agent.err"; then
		tg_pass agent_says_file_ops_unenforced
	else
		tg_fail agent_says_file_ops_unenforced "$(cat "$TG_T/agent.err")"
	fi
	if grep -q "unix sockets and other tenants' sockets in use: UNENFORCED (" \
		"$TG_T/agent.err"; then
		tg_pass agent_says_unix_unenforced
	else
		tg_fail agent_says_unix_unenforced "$(cat "$TG_T/agent.err")"
	fi
	if tg_cli status | grep -q "^UNENFORCED:  unix sockets"; then
		tg_pass status_says_unix_unenforced
	else
		tg_fail status_says_unix_unenforced "$(tg_cli status 2>&1)"
	fi
	# Process isolation needs BPF LSM too: said, with why.
	if grep -q "other tenants' and the host's processes: UNENFORCED ([^)]" \
		"$TG_T/agent.err" &&
		tg_cli status | grep -q "^UNENFORCED:  other tenants' and the host's processes ([^)]" &&
		tg_cli status | grep -q "^backends: .*, proc none$"; then
		tg_pass proc_isolation_said_unenforced
	else
		tg_fail proc_isolation_said_unenforced "$(cat "$TG_T/agent.err"; tg_cli status 2>&1)"
	fi
	# Self-protection needs BPF LSM: every check unenforced, and why.
	if grep '"op":"start"' "$TG_LOG" | grep -q '"unenforced":\[[^]]*"guard"\]' &&
		grep '"op":"start"' "$TG_LOG" |
		grep -q '"self_protection":{"backend":"none","enforced":\[\],"unenforced":\["signal","ptrace","bpf","capability","path","mount","cgroup","perf","loginuid","delegation"\],"reason":"[^"]'; then
		tg_pass start_event_says_guard_unenforced
	else
		tg_fail start_event_says_guard_unenforced "$(grep '"op":"start"' "$TG_LOG")"
	fi
	if grep -q "self-protection: UNENFORCED ([^)]" "$TG_T/agent.err"; then
		tg_pass agent_says_guard_unenforced
	else
		tg_fail agent_says_guard_unenforced "$(cat "$TG_T/agent.err")"
	fi
	if tg_cli status | grep -q "^UNENFORCED:  self-protection (signal, ptrace, bpf, capability, path, mount, cgroup, perf, loginuid, delegation: [^)]"; then
		tg_pass status_says_guard_unenforced
	else
		tg_fail status_says_guard_unenforced "$(tg_cli status 2>&1)"
	fi
	if tg_cli status --json | grep -q '"guard_reason": *"[^"]'; then
		tg_pass status_json_guard_reason
	else
		tg_fail status_json_guard_reason "$(tg_cli status --json 2>&1)"
	fi
fi
if tg_stop_agent; then
	tg_pass agent_sigterm_exit_0
else
	tg_fail agent_sigterm_exit_0 "exit $?"
fi
# A stop leaves enforcement in force; only --detach removes it.
if [ "$(attached)" -gt "$before" ]; then
	tg_pass agent_stop_keeps_programs
else
	tg_fail agent_stop_keeps_programs "nothing attached after SIGTERM"
fi
tg_event agent_stop_event_stored kind=agent op=stop
if tg_detach_pins && [ "$(attached)" = "$before" ] && [ ! -e "$TG_PINS" ]; then
	tg_pass agent_detach_removes_programs
else
	tg_fail agent_detach_removes_programs "$(attached) attached, $before before: $(cat "$TG_T/detach.err")"
fi

kill -TERM "$TG_COLLECTOR_PID"
if wait "$TG_COLLECTOR_PID"; then
	tg_pass collector_sigterm_exit_0
else
	tg_fail collector_sigterm_exit_0 "exit $?"
fi
# Run as its user, the collector cannot remove its socket from a directory
# that is not that user's: the file stays, and the next collector replaces
# it. One run as root removes it (with a log and a state directory of its
# own: root refuses directories another user owns).
TG_LOG=$TG_T/rootlog/events.jsonl
if TG_COLLECTOR_USER="" TG_COLLECTOR_STATE=$TG_T/rootstate tg_start_collector; then
	tg_pass collector_replaces_stale_socket
else
	tg_fail collector_replaces_stale_socket "$(tail -n 2 "$TG_T/collector.err")"
fi
# The warning follows the socket: give it a moment.
n=0
while ! grep -q "warning: running as root" "$TG_T/collector.err" &&
	[ "$n" -lt 50 ]; do
	n=$((n + 1))
	sleep 0.1
done
if grep -q "warning: running as root" "$TG_T/collector.err"; then
	tg_pass collector_warns_as_root
else
	tg_fail collector_warns_as_root "$(cat "$TG_T/collector.err")"
fi
kill -TERM "$TG_COLLECTOR_PID"
tg_wait "$TG_COLLECTOR_PID"
if [ -e "$TG_SOCK" ]; then
	tg_fail collector_removes_socket "$TG_SOCK left behind"
else
	tg_pass collector_removes_socket
fi

tg_summary
