#!/bin/sh
# The main job, end to end: start the collector and the agent on the built-in
# zero-config policy (every child cgroup of /tenants is a tenant that owns
# /srv/tenants/<name>), with two demo tenants, try cross-tenant access, and
# print what was denied and what the collector stored.
set -u
out=$(cd "${1:-build}" && pwd)
run=/run/tenantguard-demo
log=$run/log/events.jsonl
sock=$run/events.sock
pins=/sys/fs/bpf/tenantguard-demo
# The collector's own user, as the packages create it: it alone reads the
# log of every tenant's events.
collector_user=tenantguard-collector
port=18080

say() { printf '\n== %s\n' "$*"; }

if [ "$(id -u)" != 0 ]; then
	echo "demo: run as root (it loads BPF programs and creates cgroups)" >&2
	exit 1
fi
cgroot=$(awk '{ for (i = 7; i <= NF; i++) if ($i == "-") {
	if ($(i + 1) == "cgroup2" && $4 == "/") print $5; break } }' /proc/self/mountinfo | head -n 1)
if [ -z "$cgroot" ]; then
	echo "demo: no cgroup v2 mount found" >&2
	exit 1
fi

pids=""
cleanup()
{
	for p in $pids; do kill -TERM "$p" 2>/dev/null; done
	for p in $pids; do wait "$p" 2>/dev/null; done
	[ -e "$pins" ] && "$out/tenantguard-agent" --detach --pin-dir "$pins" \
		--event-socket "$sock" --collector-user "$collector_user" \
		--spool-size 0 2>/dev/null
	for t in acme globex; do
		[ -d "$cgroot/tenants/$t" ] || continue
		while read -r p; do echo "$p" >"$cgroot/cgroup.procs"; done \
			<"$cgroot/tenants/$t/cgroup.procs"
		rmdir "$cgroot/tenants/$t"
	done
}
trap cleanup EXIT
trap 'exit 130' INT TERM

say "setting up two tenants: cgroups $cgroot/tenants/{acme,globex}, directories /srv/tenants/{acme,globex}"
mkdir -p "$cgroot/tenants/acme" "$cgroot/tenants/globex" \
	/srv/tenants/acme /srv/tenants/globex "$run"
echo "acme's secret" >/srv/tenants/acme/secret
# root's alone (earlier demos gave it to nobody), and a fresh log: the
# collector makes its directory, its user's, mode 0700.
chown 0:0 "$run" && chmod 0755 "$run"
rm -rf "$(dirname "$log")" "$sock" "$run/events.jsonl" "$run/events.jsonl.seq"
id -u "$collector_user" >/dev/null 2>&1 ||
	useradd --system --no-create-home --shell /usr/sbin/nologin \
		"$collector_user" >/dev/null 2>&1
# Never as root or a workload's uid: the agent trusts the event socket to
# this user alone, and a collector of another uid gets no event.
if ! id -u "$collector_user" >/dev/null 2>&1; then
	echo "demo: no user $collector_user for the collector, and useradd could not create it" >&2
	exit 1
fi

say "starting the collector (as user $collector_user once its socket and log are open) and the agent (which trusts only that user's collector)"
"$out/tenantguard-collector" --socket "$sock" --log "$log" --agent-uid 0 \
	--user "$collector_user" &
pids="$pids $!"
i=0
while [ ! -S "$sock" ] && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
# The agent pins its programs in a directory of the demo's own, removed
# (--detach) at the end: a stop alone leaves them enforcing.
start_agent()
{
	"$out/tenantguard-agent" --event-socket "$sock" --pin-dir "$pins" \
		--collector-user "$collector_user" 2>"$run/agent.err" &
	agent=$!
	pids="$pids $agent"
	i=0
	until grep -q "enforcing for" "$run/agent.err" 2>/dev/null; do
		if ! kill -0 "$agent" 2>/dev/null || [ $i -gt 100 ]; then
			cat "$run/agent.err" >&2
			exit 1
		fi
		sleep 0.1
		i=$((i + 1))
	done
}
start_agent
sed 's/^/   /' "$run/agent.err"

say "acme listens on 127.0.0.1:$port"
rm -f "$run/ready" # a run before left its own
"$out/tg-try" --cgroup "$cgroot/tenants/acme" listen tcp 127.0.0.1 $port "$run/ready" &
pids="$pids $!"
while [ ! -e "$run/ready" ]; do sleep 0.1; done

say "globex connects to acme's port (must be denied)"
"$out/tg-try" --cgroup "$cgroot/tenants/globex" connect tcp 127.0.0.1 $port
say "acme connects to its own port (must work)"
"$out/tg-try" --cgroup "$cgroot/tenants/acme" connect tcp 127.0.0.1 $port
say "globex reads /srv/tenants/acme/secret"
"$out/tg-try" --cgroup "$cgroot/tenants/globex" open /srv/tenants/acme/secret
if grep -q "file isolation: fanotify" "$run/agent.err"; then
	cat <<MSG
   This kernel does not let tenantguard load BPF LSM programs: the agent
   enforces opens through fanotify permission events instead (denied above,
   EPERM), and lists what stays unenforced (create, rename, unlink, ...) on
   its stderr and in its start event. Full file isolation:  make demo-vm
MSG
elif ! grep -q "file isolation: bpf-lsm" "$run/agent.err"; then
	cat <<MSG
   This kernel does not let tenantguard load BPF LSM programs, so file
   isolation is NOT enforced here (the agent says so above and in its
   start event). To see the denied cross-tenant open, run the same demo
   inside a QEMU guest with BPF LSM:  make demo-vm
MSG
fi

say "a globex workload started by the launcher: no capabilities, no_new_privs, seccomp"
"$out/tenantguard" run --tenant globex --uid 65534 --gid 65534 -- sh -c \
	"grep -E '^(CapEff|CapBnd|NoNewPrivs|Seccomp):' /proc/self/status | sed 's/^/   /'"
say "it tries to create a user namespace and to load a BPF program (must be refused)"
"$out/tenantguard" run --tenant globex --uid 65534 --gid 65534 -- "$out/tg-try" syscall unshare
"$out/tenantguard" run --tenant globex --uid 65534 --gid 65534 -- "$out/tg-try" syscall bpf

say "the agent is killed (kill -9): its programs stay pinned in $pins and go on enforcing"
kill -KILL "$agent"
wait "$agent" 2>/dev/null
pids=$(echo "$pids" | sed "s/ $agent//")
"$out/tg-try" --cgroup "$cgroot/tenants/globex" connect tcp 127.0.0.1 $port
say "a new agent adopts them and records the time no agent ran"
start_agent
grep -E "pinned in|no agent for" "$run/agent.err" | sed 's/^/   /'

sleep 1
say "stopped (SIGTERM): enforcement stays; removing it is explicit and recorded (--detach)"
kill -TERM "$agent"
wait "$agent"
pids=$(echo "$pids" | sed "s/ $agent//")
"$out/tenantguard-agent" --detach --pin-dir "$pins" --event-socket "$sock" \
	--collector-user "$collector_user" --spool-size 0 2>&1 | sed 's/^/   /'
sleep 1
say "what the collector stored ($log)"
"$out/tenantguard" events --log "$log"
