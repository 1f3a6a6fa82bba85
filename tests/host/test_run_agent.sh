#!/bin/sh
# test_run_agent: a non-root operator's `tenantguard run` asks the agent,
# which launches the workload with the caller's stdin, stdout and stderr:
# the workload is in the tenant's cgroup under the ids asked for, without
# capabilities, with no_new_privs and its seccomp profile (a refused call is
# EPERM and a kind: seccomp event), its output reaches the caller, its exit
# status is the CLI's, it holds no descriptor of the agent's and none of
# the caller's environment; the run is a kind: admin event (ids, argv[0],
# pid). A viewer and a user in no role group are refused and nothing runs;
# uid 0 is refused to an operator; descriptors that are no stdio and
# malformed requests are refused; root still launches directly; the CLI
# killed mid-run ends the workload; on a terminal (script(1)) the workload
# gets a pseudo-terminal that is not the caller's. At most 8 runs of one
# caller uid at once (64 in all): beyond, refused with why and one event;
# a run that ends frees its slot. A passed descriptor on a FUSE file
# system that no longer answers is checked without asking it.
. "$(dirname "$0")/../lib/tap.sh"
. "$(dirname "$0")/../lib/tenants.sh"

: "${TG_BIN:?}"
for c in groupadd useradd userdel groupdel setpriv; do
	if ! command -v $c >/dev/null; then
		tg_skip run_agent "no $c here"
		tg_summary
		exit 0
	fi
done
tg_env_setup || exit 1
P=tgq$$
G_SOCK=$P-sock G_V=$P-viewer G_O=$P-operator G_X=$P-other
tg_on_cleanup "for u in ${P}v ${P}o ${P}n; do userdel \$u 2>/dev/null; done; for g in $G_SOCK $G_V $G_O $G_X; do groupdel \$g 2>/dev/null; done"
for g in $G_SOCK $G_V $G_O $G_X; do
	groupadd "$g" || exit 1
done
useradd -M -N -g "$G_X" -G "$G_SOCK,$G_V" "${P}v" &&
	useradd -M -N -g "$G_X" -G "$G_SOCK,$G_O" "${P}o" &&
	useradd -M -N -g "$G_X" -G "$G_SOCK" "${P}n" || exit 1
# The workload's ids: unnamed, above the system's.
# An operator launches as itself: the operator's uid and primary gid.
WU=$(id -u "${P}o") WG=$(id -g "${P}o")

TG_POLICY=$TG_T/policy.yaml
mkdir -p "$TG_T/policy.d"
printf 'version: 1\ntenants_cgroup: %s\nroles:\n  viewer: [%s]\n  operator: [%s]\ntenants:\n  acme:\n  globex:\n' \
	"$TG_TENANTS" "$G_V" "$G_O" >"$TG_POLICY"
chmod 0711 "$TG_T"
# Where the workloads may write: anybody's.
W=$TG_T/w
mkdir -p "$W" && chmod 1777 "$W"
# Something of the agent's environment, which no workload may see.
tg_start_collector || exit 1
export TG_AGENT_MARK=agent-env-$$
tg_start_agent --control-group "$G_SOCK" || exit 1
unset TG_AGENT_MARK
tg_wait_tenant acme || {
	tg_fail acme_registered "$(tg_cli status)"
	exit 1
}
SOCK=$TG_T/control.sock

as()
{
	as_u=$1
	shift
	setpriv --reuid "$(id -u "$as_u")" --regid "$(id -g "$as_u")" \
		--init-groups "$@"
}

# run_as U ARGS... -- CMD: tenantguard run for tenant acme as user U.
run_as()
{
	ra_u=$1
	shift
	as "$ra_u" env TG_CALLER_MARK=caller-env "$TG_BIN/tenantguard" \
		--control-socket "$SOCK" run --tenant acme "$@"
}

# check NAME WANT GOT: PASS if GOT is WANT.
check()
{
	if [ "$2" = "$3" ]; then
		tg_pass "$1"
	else
		tg_fail "$1" "expected '$2', got '$3'"
	fi
}

# Output, errors and the exit status reach the caller.
out=$(run_as "${P}o" --uid $WU --gid $WG -- sh -c 'echo out; echo err >&2; exit 7' 2>"$TG_T/err")
rc=$?
check operator_stdout out "$out"
check operator_stderr err "$(cat "$TG_T/err")"
check operator_exit_status 7 "$rc"

# What the workload is: ids, capabilities, no_new_privs, seccomp, cgroup
# (the root of a cgroup namespace), descriptors, environment.
run_as "${P}o" --uid $WU --gid $WG -- sh -c "id -u; id -g; grep -E '^(CapEff|CapPrm|NoNewPrivs|Seccomp):' /proc/self/status; cat /proc/self/cgroup; ls /proc/self/fd | tr '\n' ' '; echo; env" \
	>"$TG_T/inside" 2>&1
check ids "$WU $WG" "$(sed -n '1,2p' "$TG_T/inside" | tr '\n' ' ' | sed 's/ $//')"
check no_capabilities "CapPrm:	0000000000000000 CapEff:	0000000000000000" \
	"$(grep -E '^Cap(Prm|Eff):' "$TG_T/inside" | tr '\n' ' ' | sed 's/ $//')"
check no_new_privs "NoNewPrivs:	1" "$(grep '^NoNewPrivs:' "$TG_T/inside")"
check seccomp_filter "Seccomp:	2" "$(grep '^Seccomp:' "$TG_T/inside")"
check cgroup_namespace_root "0::/" "$(grep '^0::' "$TG_T/inside")"
# ls's own directory is its 3: nothing else is open.
check no_agent_descriptor "0 1 2 3 " "$(grep -E '^0 1 2( [0-9]+)* $' "$TG_T/inside")"
if grep -q "caller-env\|agent-env" "$TG_T/inside"; then
	tg_fail minimal_environment "$(grep "caller-env\|agent-env" "$TG_T/inside")"
elif grep -q '^PATH=' "$TG_T/inside" && grep -q '^HOME=' "$TG_T/inside"; then
	tg_pass minimal_environment
else
	tg_fail minimal_environment "no PATH or HOME: $(cat "$TG_T/inside")"
fi

# In the tenant's cgroup, seen from the host: the pid the agent reports.
setpriv --reuid "$(id -u "${P}o")" --regid "$(id -g "${P}o")" --init-groups \
	"$TG_BIN/tenantguard" --control-socket "$SOCK" run --tenant acme -v \
	--uid $WU --gid $WG -- sleep 3 >/dev/null 2>"$TG_T/v.err" &
cli=$!
tg_track $cli
pid=""
for _ in $(seq 50); do
	pid=$(sed -n 's/.*the agent started pid \([0-9]*\).*/\1/p' "$TG_T/v.err" 2>/dev/null)
	[ -n "$pid" ] && break
	sleep 0.1
done
if [ -n "$pid" ] && grep -qx "0::$TG_TENANTS/acme" "/proc/$pid/cgroup"; then
	tg_pass in_tenant_cgroup
else
	tg_fail in_tenant_cgroup "pid '$pid': $(cat "/proc/$pid/cgroup" 2>&1) $(cat "$TG_T/v.err")"
fi
# The agent's child that launched it (the init's parent) holds nothing of
# the agent's: no BPF object, no fanotify group, no listening socket.
launcher=$(sed -n 's/^PPid:[[:space:]]*//p' "/proc/$pid/status" 2>/dev/null)
held=$(ls -l "/proc/$launcher/fd" 2>/dev/null | grep -E 'bpf|fanotify|inotify|/control.sock|events.sock' | sed 's/.* -> //' | tr '\n' ' ')
if [ -n "$launcher" ] && [ "$launcher" != "$TG_AGENT_PID" ] &&
	[ -z "$held" ] && [ -e "/proc/$launcher/fd/3" ]; then
	tg_pass launcher_holds_no_agent_descriptor
else
	tg_fail launcher_holds_no_agent_descriptor "launcher '$launcher': $held"
fi
tg_wait $cli

# CMD not found: 127, as for a root launch.
run_as "${P}o" --uid $WU --gid $WG -- /nonexistent/cmd >/dev/null 2>&1
check not_found_127 127 $?

# The admin role may keep uid 0 (root is admin; --via-agent as root).
out=$(tg_cli run --via-agent --tenant acme --uid 0 --gid 0 -- sh -c 'id -u; grep ^CapEff: /proc/self/status' 2>/dev/null | tr '\n' ' ')
check admin_uid0_via_agent "0 CapEff:	0000000000000000 " "$out"

# A refused system call: EPERM, and an event.
if run_as "${P}o" --uid $WU --gid $WG -- "$TG_BIN/tg-try" --expect EPERM syscall keyctl >"$TG_T/out" 2>&1; then
	tg_pass seccomp_refuses
else
	tg_fail seccomp_refuses "$(tail -n 2 "$TG_T/out")"
fi
TG_EVENT_TIMEOUT=5 tg_event seccomp_event kind=seccomp op=keyctl tenant=acme \
	verdict=deny profile=default comm=tg-try

# The admin event of a run: who, the ids, argv[0], the pid.
ou=$(id -u "${P}o")
sleep 0.3
if grep '"kind":"admin"' "$TG_LOG" | grep '"op":"run"' | grep "\"uid\":$ou," |
	grep '"role":"operator"' | grep '"result":"allow"' |
	grep -q "\"args\":{\"tenant\":\"acme\",\"uid\":$WU,\"gid\":$WG,\"pid\":[0-9]*,\"profile\":\"default\",\"argv0\":\"sh\""; then
	tg_pass admin_event
else
	tg_fail admin_event "$(grep '"op":"run"' "$TG_LOG" | tail -n 1)"
fi

# Refused: a viewer, a user in no role group, uid 0 to an operator; nothing
# runs.
for who in v:"needs the operator role" n:"needs the operator role"; do
	u=${P}${who%%:*} want=${who#*:}
	out=$(run_as "$u" --uid $WU --gid $WG -- sh -c "touch $W/ran-$u" 2>&1)
	rc=$?
	case "$rc $out" in
	0*) tg_fail "refused_${who%%:*}" "exit 0: $out" ;;
	*"$want"*) tg_pass "refused_${who%%:*}" ;;
	*) tg_fail "refused_${who%%:*}" "got '$out'" ;;
	esac
	sleep 0.3
	if [ -e "$W/ran-$u" ]; then
		tg_fail "refused_${who%%:*}_nothing_ran" "$W/ran-$u exists"
	else
		tg_pass "refused_${who%%:*}_nothing_ran"
	fi
done
vu=$(id -u "${P}v")
if grep '"op":"run"' "$TG_LOG" | grep "\"uid\":$vu," | grep '"role":"viewer"' |
	grep -q '"result":"deny"'; then
	tg_pass refused_viewer_event
else
	tg_fail refused_viewer_event "$(grep '"op":"run"' "$TG_LOG" | tail -n 1)"
fi
out=$(run_as "${P}o" --uid 0 --gid 0 -- sh -c "touch $W/ran-root" 2>&1)
case "$out" in
*"needs the admin role"*) [ -e "$W/ran-root" ] &&
	tg_fail operator_uid0_refused "it ran" || tg_pass operator_uid0_refused ;;
*) tg_fail operator_uid0_refused "got '$out'" ;;
esac

# Another person's uid, a gid it does not hold, another profile than the
# tenant's: the admin role's.
for c in "other_uid:--uid $((WU + 1)) --gid $WG" "other_gid:--uid $WU --gid 0" \
	"other_gid2:--uid $WU --gid $((WG + 1))"; do
	out=$(run_as "${P}o" ${c#*:} -- sh -c "touch $W/ran-${c%%:*}" 2>&1)
	case "$out" in
	*"refused: an operator launches as its own uid and a gid it holds"*)
		[ -e "$W/ran-${c%%:*}" ] && tg_fail "operator_${c%%:*}_refused" "it ran" ||
			tg_pass "operator_${c%%:*}_refused" ;;
	*) tg_fail "operator_${c%%:*}_refused" "got '$out'" ;;
	esac
done
out=$(run_as "${P}o" --uid $WU --gid $WG --profile strict -- sh -c "touch $W/ran-strict" 2>&1)
case "$out" in
*"refused: a profile other than the tenant's (the policy's) needs the admin role"*)
	tg_pass operator_other_profile_refused ;;
*) tg_fail operator_other_profile_refused "got '$out'" ;;
esac

# Descriptors that are no stdio: a directory, a socket to the agent.
out=$(run_as "${P}o" --uid $WU --gid $WG -- sh -c "touch $W/ran-dir" 2>&1 </)
case "$out" in
*"stdin passed is a directory"*) [ -e "$W/ran-dir" ] &&
	tg_fail directory_stdin_refused "it ran" || tg_pass directory_stdin_refused ;;
*) tg_fail directory_stdin_refused "got '$out'" ;;
esac
# Python of the system's, which the users may run (send_fds: 3.9).
PY=/usr/bin/python3
if [ -x $PY ] && $PY -c 'import socket; socket.send_fds' 2>/dev/null; then
	cat >"$TG_T/raw.py" <<'PY'
import json, os, socket, sys
path, case = sys.argv[1], sys.argv[2]
req = {"cmd": "run", "tenant": "acme", "uid": int(sys.argv[3]),
       "gid": int(sys.argv[5]), "argv": ["sh", "-c", "touch " + sys.argv[4]]}
fds = [0, 1, 2]
if case == "agent-socket":
    a = socket.socket(socket.AF_UNIX)
    a.connect(path)
    fds = [0, a.fileno(), 2]
elif case == "nul":
    req["argv"] = ["sh\u0000x", "-c", "true"]
elif case == "many-args":
    req["argv"] = ["true"] + ["x"] * 300
elif case == "one-fd":
    fds = [0]
s = socket.socket(socket.AF_UNIX)
s.connect(path)
data = (json.dumps(req) + "\n").encode()
socket.send_fds(s, [data], fds)
print(s.makefile().readline().strip())
PY
	for c in agent-socket:"stdout passed is a socket to the agent" \
		nul:"without NUL" many-args:"1 to 256 strings" \
		one-fd:"needs the caller's stdin, stdout and stderr"; do
		name=${c%%:*} want=${c#*:}
		out=$(as "${P}o" $PY "$TG_T/raw.py" "$SOCK" "$name" $WU "$W/ran-$name" $WG 2>&1 </dev/null)
		sleep 0.2
		case "$out" in
		*"$want"*) [ -e "$W/ran-$name" ] && tg_fail "refused_$name" "it ran" ||
			tg_pass "refused_$name" ;;
		*) tg_fail "refused_$name" "got '$out'" ;;
		esac
	done
else
	tg_skip refused_raw_requests "no $PY (3.9 or later) here"
fi
long=$(head -c 5000 /dev/zero | tr '\0' x)
out=$(run_as "${P}o" --uid $WU --gid $WG -- echo "$long" 2>&1)
case "$out" in
*"too long for the agent"*) tg_pass refused_long_command ;;
*) tg_fail refused_long_command "got '$(echo "$out" | head -c 200)'" ;;
esac

# Root still launches directly: no run request reaches the agent.
before=$(grep -c '"op":"run"' "$TG_LOG")
out=$(tg_cli run --tenant acme --uid $WU --gid $WG -- sh -c 'echo direct' 2>&1)
sleep 0.3
after=$(grep -c '"op":"run"' "$TG_LOG")
check root_direct "direct $before" "$out $after"

# The CLI killed mid-run: the workload (its PID namespace) ends.
# Not through a function: $! is the CLI itself (setpriv execs it).
setpriv --reuid "$(id -u "${P}o")" --regid "$(id -g "${P}o")" --init-groups \
	"$TG_BIN/tenantguard" --control-socket "$SOCK" run --tenant acme -v \
	--uid $WU --gid $WG -- sh -c 'sleep 60 & sleep 60' >/dev/null 2>"$TG_T/k.err" &
cli=$!
tg_track $cli
pid=""
for _ in $(seq 50); do
	pid=$(sed -n 's/.*the agent started pid \([0-9]*\).*/\1/p' "$TG_T/k.err" 2>/dev/null)
	[ -n "$pid" ] && [ "$(wc -l <"$TG_TDIR/acme/cgroup.procs")" -ge 3 ] && break
	sleep 0.1
done
kill -KILL $cli
tg_wait $cli
n=""
for _ in $(seq 50); do
	n=$(wc -l <"$TG_TDIR/acme/cgroup.procs")
	[ "$n" = 0 ] && break
	sleep 0.1
done
if [ -n "$pid" ] && [ "$n" = 0 ]; then
	tg_pass killed_cli_ends_workload
else
	tg_fail killed_cli_ends_workload "pid '$pid', $n process(es) left: $(cat "$TG_TDIR/acme/cgroup.procs" | tr '\n' ' ') $(cat "$TG_T/k.err")"
fi

# The agent's launching child killed (the agent's service stopped): the
# workload ends with it.
setpriv --reuid "$(id -u "${P}o")" --regid "$(id -g "${P}o")" --init-groups \
	"$TG_BIN/tenantguard" --control-socket "$SOCK" run --tenant acme -v \
	--uid $WU --gid $WG -- sh -c 'sleep 60 & sleep 60' >/dev/null 2>"$TG_T/l.err" &
cli=$!
tg_track $cli
pid=""
for _ in $(seq 50); do
	pid=$(sed -n 's/.*the agent started pid \([0-9]*\).*/\1/p' "$TG_T/l.err" 2>/dev/null)
	[ -n "$pid" ] && [ "$(wc -l <"$TG_TDIR/acme/cgroup.procs")" -ge 3 ] && break
	sleep 0.1
done
launcher=$(sed -n 's/^PPid:[[:space:]]*//p' "/proc/$pid/status" 2>/dev/null)
[ -n "$launcher" ] && [ "$launcher" != "$TG_AGENT_PID" ] && kill -KILL "$launcher"
n=""
for _ in $(seq 50); do
	n=$(wc -l <"$TG_TDIR/acme/cgroup.procs")
	[ "$n" = 0 ] && break
	sleep 0.1
done
if [ -n "$launcher" ] && [ "$n" = 0 ]; then
	tg_pass killed_launcher_ends_workload
else
	tg_fail killed_launcher_ends_workload "launcher '$launcher', $n process(es) left"
fi
tg_wait $cli

# At most 8 runs at once of one caller uid: the 9th is refused with why,
# nothing runs, one admin event says so; another uid still runs; a run
# that ends frees its slot.
clis=""
k=0
while [ $k -lt 8 ]; do
	setpriv --reuid "$(id -u "${P}o")" --regid "$(id -g "${P}o")" --init-groups \
		"$TG_BIN/tenantguard" --control-socket "$SOCK" run --tenant acme -v \
		--uid $WU --gid $WG -- sleep 60 >/dev/null 2>"$TG_T/cap$k.err" &
	clis="$clis $!"
	tg_track $!
	k=$((k + 1))
done
for _ in $(seq 100); do
	[ "$(cat "$TG_T"/cap*.err 2>/dev/null | grep -c 'the agent started pid')" = 8 ] && break
	sleep 0.1
done
check eight_runs_started 8 "$(cat "$TG_T"/cap*.err | grep -c 'the agent started pid')"
check status_counts_runs 8 "$(tg_cli status --json | sed -n 's/.*"runs":\([0-9]*\).*/\1/p')"
out=$(run_as "${P}o" --uid $WU --gid $WG -- sh -c "touch $W/ran-ninth" 2>&1)
rc=$?
sleep 0.3
case "$rc $out" in
0*) tg_fail ninth_run_refused "exit 0: $out" ;;
*"refused: uid $ou has 8 workloads running through the agent already (at most 8 per uid, 64 in all); one must end first"*)
	if [ -e "$W/ran-ninth" ]; then
		tg_fail ninth_run_refused "it ran"
	else
		tg_pass ninth_run_refused
	fi ;;
*) tg_fail ninth_run_refused "got '$out'" ;;
esac
tg_count_is ninth_run_one_event 1 kind=admin op=run verdict=deny uid="$ou" \
	error="refused: uid $ou has 8 workloads running through the agent already (at most 8 per uid, 64 in all); one must end first"
check status_counts_runs_refused 1 "$(tg_cli status --json | sed -n 's/.*"runs_refused":\([0-9]*\).*/\1/p')"
out=$(tg_cli run --via-agent --tenant acme --uid $WU --gid $WG -- echo other-uid 2>&1)
check other_uid_still_runs other-uid "$out"
set -- $clis
kill -KILL "$1"
tg_wait "$1" 2>/dev/null
out=""
for _ in $(seq 50); do
	out=$(run_as "${P}o" --uid $WU --gid $WG -- echo freed 2>&1) && break
	sleep 0.1
done
check ended_run_frees_slot freed "$out"
for c in $clis; do
	kill -KILL "$c" 2>/dev/null
	tg_wait "$c" 2>/dev/null
done
for _ in $(seq 50); do
	[ "$(wc -l <"$TG_TDIR/acme/cgroup.procs")" = 0 ] && break
	sleep 0.1
done

# A descriptor passed on a FUSE file system that stopped answering: the
# agent learns its type without asking the server (a directory: refused
# at once) and goes on serving. In a mount namespace of its own.
if [ -c /dev/fuse ] && command -v unshare >/dev/null; then
	mkdir -p "$TG_T/fmnt"
	F=$TG_T/fuse
	cat >"$TG_T/fuse-run.sh" <<'SH'
# fuse-run.sh TG_BIN SOCK MOUNTPOINT STATE UID GID REQUEST
"$1/tg-try" fuse-hang "$3" "$4.ready" "$4.hang" </dev/null >/dev/null 2>&1 &
echo $! >"$4.pid"
n=0
until [ -e "$4.ready" ]; do
	n=$((n + 1))
	[ $n -gt 100 ] && exit 1
	sleep 0.05
done
exec 3<"$3/sub" || exit 1
: >"$4.hang"
# Not to the caller's pipe: the agent holds what is passed until it answers.
exec setpriv --reuid "$5" --regid "$6" --init-groups \
	timeout 5 "$1/tg-try" control "$2" "$7" pass-stdio <&3 >"$4.out" 2>&1
SH
	req="{\"cmd\":\"run\",\"tenant\":\"acme\",\"uid\":$WU,\"gid\":$WG,\"argv\":[\"true\"]}"
	unshare -m --propagation private sh "$TG_T/fuse-run.sh" "$TG_BIN" \
		"$SOCK" "$TG_T/fmnt" "$F" "$(id -u "${P}o")" "$(id -g "${P}o")" \
		"$req" </dev/null >/dev/null 2>&1
	out=$(cat "$F.out" 2>&1)
	case "$out" in
	*"refused: the stdin passed is a directory"*) tg_pass fuse_stdin_refused_at_once ;;
	*) tg_fail fuse_stdin_refused_at_once "got '$out'" ;;
	esac
	if out=$(timeout 3 "$TG_BIN/tenantguard" --control-socket "$SOCK" status 2>&1); then
		tg_pass serving_after_fuse_stdin
	else
		tg_fail serving_after_fuse_stdin "$out"
	fi
	[ -e "$F.pid" ] && kill -KILL "$(cat "$F.pid")" 2>/dev/null
else
	tg_skip fuse_stdin_refused_at_once "no /dev/fuse or unshare here"
fi

# On a terminal: the workload's is a pseudo-terminal of its own.
if ! command -v script >/dev/null; then
	tg_skip terminal_own_pty "no script(1) here"
else
	# stdout to the terminal, so the workload's is the pseudo-terminal.
	cat >"$TG_T/tty2.sh" <<TTY
t=\$(tty); echo "\$t \$(stat -L -c %d:%t:%T \$t)" >$W/tty.caller
$TG_BIN/tenantguard --control-socket $SOCK run --tenant acme --uid $WU --gid $WG -- sh -c 't=\$(tty); echo "\$t \$(stat -L -c %d:%t:%T \$t)" >$W/tty.inside; test -t 1 && echo tty1 >>$W/tty.inside'
echo "rc=\$?" >$W/tty.rc
TTY
	chmod 0644 "$TG_T/tty2.sh"
	as "${P}o" script -qec "sh $TG_T/tty2.sh" /dev/null </dev/null >/dev/null 2>&1
	caller=$(cat "$W/tty.caller" 2>/dev/null)
	inside=$(head -n 1 "$W/tty.inside" 2>/dev/null)
	# Another device: another devpts instance (the workload's own), so
	# the same name may come back.
	case "$caller $inside" in
	/dev/pts/*" /dev/pts/"*)
		if [ "${caller#* }" != "${inside#* }" ] && grep -q tty1 "$W/tty.inside" &&
			[ "$(cat "$W/tty.rc")" = rc=0 ]; then
			tg_pass terminal_own_pty
		else
			tg_fail terminal_own_pty "caller $caller, workload $inside, $(cat "$W/tty.rc" "$W/tty.inside" 2>&1)"
		fi
		;;
	*) tg_fail terminal_own_pty "caller '$caller', workload '$inside' $(cat "$W/tty.rc" 2>&1)" ;;
	esac
	# The caller's window size: at the start, and after a SIGWINCH to
	# the CLI (the agent's launcher reads it from the passed terminal).
	cat >"$TG_T/winch.sh" <<TTY
stty rows 20 cols 70
$TG_BIN/tenantguard --control-socket $SOCK run --tenant acme --uid $WU --gid $WG -- sh -c 'stty size; sleep 2; stty size' >$W/winch.out 2>&1 </dev/tty &
sleep 1
stty rows 33 cols 99
kill -WINCH \$!
wait
TTY
	chmod 0644 "$TG_T/winch.sh"
	as "${P}o" script -qec "sh $TG_T/winch.sh" /dev/null </dev/null >/dev/null 2>&1
	check terminal_window_size "20 70 33 99" "$(tr -d '\r' <"$W/winch.out" | tr '\n' ' ' | sed 's/ $//')"
fi

tg_summary
