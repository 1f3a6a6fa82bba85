# shellcheck shell=sh
# A throwaway tenantguard installation for one test script: two tenant
# cgroups (acme, globex) below a fresh tenants cgroup, their owned
# directories, a collector and an agent, all removed again on exit, on
# failure and on interruption. POSIX sh; runs on the host and in the VM
# guest (busybox). Needs TG_BIN (directory of the binaries) and tap.sh.

tg_cgroup2_root()
{
	awk '{ for (i = 7; i <= NF; i++) if ($i == "-") {
		if ($(i + 1) == "cgroup2" && $4 == "/") print $5; break } }' \
		/proc/self/mountinfo | head -n 1
}

# tg_env_setup: sets TG_T (scratch dir), TG_CGROOT, TG_TENANTS (cgroup path
# below the root), TG_TDIR (its directory), TG_SRV, TG_LOG (in a directory
# the collector creates for its user), TG_SOCK.
tg_env_setup()
{
	TG_T=$(mktemp -d /tmp/tg-test.XXXXXX) || return 1
	# Absolute, and kept for the cleanup whatever TG_BIN a test sets.
	TG_BIN=$(cd "${TG_BIN:-build}" && pwd) || return 1
	TG_DETACH_BIN=$TG_BIN/tenantguard-agent
	TG_CGROOT=$(tg_cgroup2_root)
	if [ -z "$TG_CGROOT" ]; then
		echo "no cgroup v2 mount in /proc/self/mountinfo" >&2
		return 1
	fi
	TG_TENANTS=/tg-test-$$
	TG_TDIR=$TG_CGROOT$TG_TENANTS
	TG_SRV=$TG_T/srv
	TG_LOG=$TG_T/log/events.jsonl
	TG_SOCK=$TG_T/events.sock
	# Every test pins its programs in a directory of its own, detached
	# at cleanup, so that a failed test leaves nothing attached.
	TG_PINS=/sys/fs/bpf/tg-test-$$
	TG_PIDS=""
	# Ports for the test's listeners: below the ephemeral range, where no
	# connection of another test can already hold one (a listener that
	# cannot bind leaves every later connect refused, not denied).
	TG_PORT_BASE=10000
	# Not read(1): dash reads a byte at a time, and a sysctl file read
	# at an offset past 0 ends at once (the base was always 10000).
	tpb_lo=$(cut -f1 /proc/sys/net/ipv4/ip_local_port_range 2>/dev/null)
	if [ -n "$tpb_lo" ] && [ "$tpb_lo" -gt 12200 ] 2>/dev/null; then
		TG_PORT_BASE=$((10000 + $$ % (tpb_lo - 10200)))
	fi
	trap tg_env_cleanup EXIT
	trap 'exit 130' INT TERM
	mkdir -p "$TG_TDIR/acme" "$TG_TDIR/globex" "$TG_SRV" || return 1
	# Without BPF LSM the agent marks whole filesystems (fanotify): keep
	# the owned paths off the filesystems the rest of the machine uses.
	if ! grep -qs bpf /sys/kernel/security/lsm && [ "$(id -u)" = 0 ]; then
		tg_srv_tmpfs || return 1
	fi
	mkdir -p "$TG_SRV/acme" "$TG_SRV/globex" || return 1
	echo acme-data >"$TG_SRV/acme/data"
	echo globex-data >"$TG_SRV/globex/data"
}

# Whether a filesystem is mounted on directory $1 (busybox has no mountpoint).
tg_mounted()
{
	awk -v d="$1" '$2 == d { found = 1 } END { exit !found }' /proc/self/mounts
}

# A fresh tmpfs of this test's own on $TG_SRV, unmounted at cleanup.
tg_srv_tmpfs()
{
	mount -t tmpfs -o mode=0755 tg-test-srv "$TG_SRV" || return 1
	tg_on_cleanup "umount -l '$TG_SRV'"
}

# Remember a background pid to kill on exit.
tg_track()
{
	TG_PIDS="$TG_PIDS $1"
}

# tg_wait PID: wait for a tracked pid, forget it (once reaped, its number
# may go to another process, which exit must not kill) and return its exit
# status.
tg_wait()
{
	wait "$1"
	tw_rc=$?
	TG_PIDS=$(echo "$TG_PIDS" | sed "s/ $1\b//")
	return $tw_rc
}

# Run a command first thing at cleanup (unmounts and the like).
tg_on_cleanup()
{
	TG_CLEANUP_CMDS="${TG_CLEANUP_CMDS:-}$1;"
}

tg_env_cleanup()
{
	[ -n "${TG_CLEANUP_CMDS:-}" ] && eval "$TG_CLEANUP_CMDS"
	TG_CLEANUP_CMDS=""
	for p in $TG_PIDS; do
		# Only this shell's children: a pid reaped meanwhile (the shell
		# reaps any child that ends) may be another process's by now.
		[ "$(sed -n 's/^PPid:[[:space:]]*//p' "/proc/$p/status" 2>/dev/null)" = $$ ] &&
			kill -TERM "$p" 2>/dev/null
	done
	for p in $TG_PIDS; do
		wait "$p" 2>/dev/null || true
	done
	TG_PIDS=""
	tg_detach_pins
	if [ -n "${TG_TDIR:-}" ] && [ -d "$TG_TDIR" ]; then
		# Move stragglers out, then remove the cgroups leaf first.
		find "$TG_TDIR" -name cgroup.procs 2>/dev/null |
		while IFS= read -r procs; do
			while read -r pid; do
				echo "$pid" >"$TG_CGROOT/cgroup.procs" 2>/dev/null
			done <"$procs"
		done
		find "$TG_TDIR" -depth -type d -exec rmdir {} \; 2>/dev/null
	fi
	[ -n "${TG_T:-}" ] && rm -rf "$TG_T"
	return 0
}

# tg_detach_pins: remove this test's pinned programs (the agent stopped).
tg_detach_pins()
{
	[ -n "${TG_PINS:-}" ] && [ -e "$TG_PINS" ] || return 0
	"${TG_DETACH_BIN:-$TG_BIN/tenantguard-agent}" --detach --pin-dir "$TG_PINS" \
		--event-socket "${TG_T:-/tmp}/none.sock" --spool-size 0 \
		2>>"${TG_T:-/tmp}/detach.err"
}

# Wait up to $2 seconds (default 10) for a file to exist.
tg_wait_file()
{
	n=0
	while [ ! -e "$1" ]; do
		n=$((n + 1))
		[ "$n" -gt $((${2:-10} * 10)) ] && return 1
		sleep 0.1
	done
	return 0
}

# tg_wait_tenant NAME [SECONDS]: wait up to SECONDS (default 10) until the
# agent's status lists tenant NAME (a cgroup it registered).
tg_wait_tenant()
{
	twt_n=0
	until tg_cli status --json | grep -q "\"name\":\"$1\""; do
		twt_n=$((twt_n + 1))
		[ "$twt_n" -gt $((${2:-10} * 10)) ] && return 1
		sleep 0.1
	done
	return 0
}

# The user the tests' collector runs as: a system user of its own, which no
# workload has (the VM guests' /etc/passwd holds it, vm-tests/run.sh).
TG_COLLECTOR_USER=${TG_COLLECTOR_USER-tg-collector-test}

# tg_collector_user: make sure TG_COLLECTOR_USER exists (created on first
# use, as a system user without home or shell).
tg_collector_user()
{
	[ -z "$TG_COLLECTOR_USER" ] && return 0
	id -u "$TG_COLLECTOR_USER" >/dev/null 2>&1 && return 0
	if ! command -v useradd >/dev/null; then
		echo "no user $TG_COLLECTOR_USER and no useradd to create it" >&2
		return 1
	fi
	useradd --system --no-create-home --shell /usr/sbin/nologin \
		"$TG_COLLECTOR_USER" >/dev/null 2>&1 ||
		id -u "$TG_COLLECTOR_USER" >/dev/null 2>&1
}

# tg_start_collector [ARGS...]: start the collector on this test's socket and
# log, refusing peers in this test's tenants cgroup, as TG_COLLECTOR_USER
# (empty: as root), its state (signing key, chain head) in
# $TG_T/collector-state (or TG_COLLECTOR_STATE); wait until it listens.
tg_start_collector()
{
	tg_collector_user || return 1
	if [ -n "$TG_COLLECTOR_USER" ]; then
		set -- --user "$TG_COLLECTOR_USER" "$@"
	fi
	"$TG_BIN/tenantguard-collector" --socket "$TG_SOCK" --log "$TG_LOG" \
		--state-dir "${TG_COLLECTOR_STATE:-$TG_T/collector-state}" \
		--tenants-cgroup "$TG_TENANTS" "$@" 2>"$TG_T/collector.err" &
	TG_COLLECTOR_PID=$!
	tg_track "$TG_COLLECTOR_PID"
	# Its socket file may be a stopped collector's (one that ran as a
	# user cannot remove it): wait for the line that says it listens.
	tsc_n=0
	until grep -q "listening on" "$TG_T/collector.err" 2>/dev/null; do
		tsc_n=$((tsc_n + 1))
		if ! kill -0 "$TG_COLLECTOR_PID" 2>/dev/null ||
			[ "$tsc_n" -gt 200 ]; then
			cat "$TG_T/collector.err" >&2
			return 1
		fi
		sleep 0.1
	done
}

# tg_start_agent [ARGS...]: start the agent on the test tenants, wait until
# it enforces. Its stderr is in $TG_T/agent.err, its spool in $TG_T/spool
# (or $TG_SPOOL), its state (host key, retired tenants) in $TG_T/state (or
# $TG_STATE). With TG_POLICY set, the
# agent runs that policy file instead of the built-in zero-config policy.
# It trusts the event socket to TG_COLLECTOR_USER (root when empty), the
# user tg_start_collector runs the collector as.
tg_start_agent()
{
	tg_collector_user || return 1
	set -- --collector-user "${TG_COLLECTOR_USER:-root}" "$@"
	if [ -n "${TG_POLICY:-}" ]; then
		set -- --policy "$TG_POLICY" --policy-dir "$TG_T/policy.d" "$@"
	else
		set -- --policy builtin --tenants-cgroup "$TG_TENANTS" \
			--paths-root "$TG_SRV" "$@"
	fi
	# A restart must not find the last agent's "enforcing" line.
	rm -f "$TG_T/agent.err"
	"$TG_BIN/tenantguard-agent" --event-socket "$TG_SOCK" \
		--control-socket "$TG_T/control.sock" --pin-dir "$TG_PINS" \
		--spool-dir "${TG_SPOOL:-$TG_T/spool}" \
		--state-dir "${TG_STATE:-$TG_T/state}" "$@" \
		2>"$TG_T/agent.err" &
	TG_AGENT_PID=$!
	tg_track "$TG_AGENT_PID"
	n=0
	until grep -q "enforcing for" "$TG_T/agent.err" 2>/dev/null; do
		if ! kill -0 "$TG_AGENT_PID" 2>/dev/null; then
			cat "$TG_T/agent.err" >&2
			return 1
		fi
		n=$((n + 1))
		[ "$n" -gt 600 ] && return 1
		sleep 0.1
	done
}

# tg_stop_agent: SIGTERM the agent and return its exit status.
tg_stop_agent()
{
	kill -TERM "$TG_AGENT_PID" 2>/dev/null
	tg_wait "$TG_AGENT_PID"
}

# tg_probe NAME ARGS...: run tg-try, PASS/FAIL the subtest NAME on its exit.
tg_probe()
{
	name=$1
	shift
	if out=$("$TG_BIN/tg-try" "$@" 2>&1); then
		tg_pass "$name"
	else
		tg_fail "$name" "$(echo "$out" | tail -n 1)"
	fi
}

# tg_event NAME KEY=VALUE...: PASS if a matching event reaches the log.
tg_event()
{
	name=$1
	shift
	if out=$("$TG_BIN/tg-try" wait-event "$TG_LOG" --timeout "${TG_EVENT_TIMEOUT:-10}" "$@" 2>&1); then
		tg_pass "$name"
	else
		tg_fail "$name" "$(echo "$out" | tail -n 1)"
	fi
}

# tg_dev PATH: the device of PATH as events write it, MAJOR:MINOR, from
# stat's st_dev (busybox's stat has no %Hd and %Ld).
tg_dev()
{
	tg_d=$(stat -c %d "$1") || return 1
	echo "$(((tg_d >> 8) & 0xfff | (tg_d >> 32) & ~0xfff)):$((tg_d & 0xff | (tg_d >> 12) & ~0xff))"
}

# tg_count KEY=VALUE...: number of matching events in the log now.
tg_count()
{
	"$TG_BIN/tg-try" count-events "$TG_LOG" "$@"
}

# tg_count_is NAME WANT KEY=VALUE...: PASS if the log holds exactly WANT
# matching events now.
tg_count_is()
{
	tci_name=$1 tci_want=$2
	shift 2
	tci_n=$(tg_count "$@")
	if [ "$tci_n" = "$tci_want" ]; then
		tg_pass "$tci_name"
	else
		tg_fail "$tci_name" "$tci_n events, $tci_want expected ($*)"
	fi
}

# tg_policy < TENANTS: make TG_POLICY a version 1 policy file whose tenants
# (mapping lines, indented by two) are read from stdin, with an empty
# drop-in directory; tg_start_agent then runs it.
tg_policy()
{
	TG_POLICY=$TG_T/policy.yaml
	mkdir -p "$TG_T/policy.d"
	{
		printf 'version: 1\ntenants_cgroup: %s\ntenants:\n' "$TG_TENANTS"
		cat
	} >"$TG_POLICY"
}

# tg_cli ARGS...: the CLI against this test's agent.
tg_cli()
{
	"$TG_BIN/tenantguard" --control-socket "$TG_T/control.sock" "$@"
}
