#!/bin/sh
# test_launcher_ns: what `tenantguard run` keeps apart natively (no BPF LSM
# needed). Two tenants' workloads under the same uid: no SysV or POSIX IPC
# object of one reaches the other (IPC namespace, private /dev/shm and
# /dev/mqueue), while a second process of the same launch reaches them; no
# other tenant's pid is listed or signalled (PID namespace, /proc with
# hidepid=invisible,subset=pid), the launch's own init is pid 1 and reaps
# orphans, and --no-pid-namespace gives the host's view back; no mount made
# inside reaches the host, the agent's file isolation holds inside; a
# namespace that cannot be made fails the launch.
# Under script(1), as from an operator's interactive shell: the workload has
# a pseudo-terminal of its own, in a devpts instance of its own (no host
# pseudo-terminal there to open by name), nothing it pushes with TIOCSTI reaches the
# operator's shell, the terminal is restored, and an interactive shell
# started by the launcher has job control (background jobs, Ctrl-Z, fg,
# Ctrl-C).
. "$(dirname "$0")/../lib/tap.sh"
. "$(dirname "$0")/../lib/tenants.sh"

: "${TG_BIN:?}"
tg_env_setup || exit 1
# The workloads run as nobody, who may not reach TG_BIN (a build below a
# private directory): a copy of tg-try where they can.
chmod 755 "$TG_T"
cp "$TG_BIN/tg-try" "$TG_T/tg-try"
P=$TG_T/tg-try
# What they read and write is in W.
W=$TG_T/w
mkdir -m 1777 "$W"

tg_start_collector || exit 1
tg_start_agent || exit 1

L="$TG_BIN/tenantguard --control-socket $TG_T/control.sock run --uid 65534 --gid 65534"

# plain FILE: a typescript without carriage returns and terminal controls
# (bash's bracketed paste).
plain()
{
	{ tr -d '\r' <"$1"; } 2>/dev/null | sed 's/\x1b\[[?0-9;]*[a-zA-Z]//g'
}

# wait_for FILE PATTERN: until the typescript FILE holds PATTERN, 10 s at
# most.
wait_for()
{
	wf_n=0
	until plain "$1" | grep -q -- "$2"; do
		wf_n=$((wf_n + 1))
		[ "$wf_n" -gt 100 ] && return 1
		sleep 0.1
	done
}

# A long-running workload of acme's, started in the background, that runs
# $1 first, then waits for $W/go, then runs $2; acme_pids: the host pids in
# acme's cgroup.
acme_start()
{
	rm -f "$W/go" "$W/ready"
	$L --tenant acme -- sh -c "$1; touch $W/ready
		while [ ! -e $W/go ]; do sleep 0.1; done; $2" \
		>"$TG_T/acme.out" 2>&1 </dev/null &
	ACME=$!
	tg_track $ACME
	tg_wait_file "$W/ready"
}

acme_stop()
{
	touch "$W/go"
	tg_wait $ACME
}

# IPC: acme makes a segment, a queue, a POSIX queue and a /dev/shm file;
# globex (same uid) finds none of them by key, name or id; a second process
# in acme's launch finds each.
KEY=$((0x74000000 + $$))
subset_before=$(grep -c 'subset=pid' /proc/self/mountinfo)
acme_start "$P ipc-make $KEY >$W/ids" \
	"set -- \$(sed 's/[a-z]*=//g' $W/ids); $P ipc-probe $KEY \$1 \$2"
set -- $(sed 's/[a-z]*=//g' "$W/ids")
if [ $# != 2 ]; then
	tg_fail ipc_made "$(cat "$W/ids" "$TG_T/acme.out")"
fi
got=$($L --tenant globex -- "$P" ipc-probe "$KEY" "$1" "$2" 2>"$TG_T/err" | tr '\n' ' ')
want="shmget: ENOENT shmat: EINVAL msgget: ENOENT msgrcv: EINVAL mq_open: ENOENT dev_shm_open: ENOENT "
if [ "$got" = "$want" ]; then
	tg_pass ipc_other_tenant_finds_nothing
else
	tg_fail ipc_other_tenant_finds_nothing "got: $got $(tail -n 2 "$TG_T/err")"
fi
acme_stop
got=$(tr '\n' ' ' <"$TG_T/acme.out")
want="shmget: ok shmat: ok msgget: ok msgrcv: ok mq_open: ok dev_shm_open: ok "
if [ "$got" = "$want" ]; then
	tg_pass ipc_same_launch_finds_all
else
	tg_fail ipc_same_launch_finds_all "got: $got"
fi
# Nothing mounted inside is the host's: no new procfs, no IPC object file.
if [ "$(grep -c 'subset=pid' /proc/self/mountinfo)" = "$subset_before" ] &&
	[ ! -e "/dev/shm/tg-$KEY" ]; then
	tg_pass mounts_stay_inside
else
	tg_fail mounts_stay_inside "$(grep 'subset=pid' /proc/self/mountinfo; ls /dev/shm)"
fi

# PID: acme's workload runs; globex's lists /proc, signals acme's pid and
# its own, and leaves an orphan for its init.
cat >"$W/pid.sh" <<'EOF'
(sleep 1 &)
sleep 0.3
for d in /proc/[0-9]*; do read -r pid comm state ppid _ <"$d/stat"; echo "task $pid $comm $state $ppid"; done
echo "self $$"
"$1" --expect ESRCH kill "$2"
"$1" kill $$ | sed 's/^/own /'
sleep 1.2
for d in /proc/[0-9]*; do read -r pid comm state ppid _ <"$d/stat"; echo "after $pid $comm $state $ppid"; done
grep ' /proc ' /proc/self/mountinfo
EOF
acme_start "true" "true"
apid=$(head -n 1 "$TG_TDIR/acme/cgroup.procs")
$L --tenant globex -- sh "$W/pid.sh" "$P" "$apid" >"$TG_T/pid.out" 2>"$TG_T/err"
self=$(sed -n 's/^self //p' "$TG_T/pid.out")
# Listed: the init (its parent outside: 0), the shell, the orphan; no more.
if [ "$(grep -c '^task ' "$TG_T/pid.out")" = 3 ] &&
	grep -q '^task 1 (tg-init) S 0$' "$TG_T/pid.out" &&
	grep -q "^task $self (sh) [RS] 1\$" "$TG_T/pid.out" &&
	grep -q '^task [0-9]* (sleep) S 1$' "$TG_T/pid.out"; then
	tg_pass pid_ns_proc_lists_own_tasks
else
	tg_fail pid_ns_proc_lists_own_tasks "listed: $(grep '^task ' "$TG_T/pid.out" | tr '\n' ' ') (self $self) $(tail -n 2 "$TG_T/err")"
fi
if grep -q '^kill: ESRCH$' "$TG_T/pid.out" && grep -q '^own kill: ok$' "$TG_T/pid.out"; then
	tg_pass pid_ns_other_tenant_esrch_own_ok
else
	tg_fail pid_ns_other_tenant_esrch_own_ok "acme pid $apid: $(grep kill "$TG_T/pid.out" | tr '\n' ' ')"
fi
# The orphan's parent is the init (pid 1), and once it ends no zombie stays.
orphan=$(grep '^task [0-9]* (sleep) [A-Z] 1$' "$TG_T/pid.out")
after=$(grep '^after ' "$TG_T/pid.out" | cut -d' ' -f2-5 | tr '\n' ' ')
if [ -n "$orphan" ] && [ "$after" = "1 (tg-init) S 0 $self (sh) R 1 " ]; then
	tg_pass pid_ns_init_is_pid1_and_reaps
else
	tg_fail pid_ns_init_is_pid1_and_reaps "orphan: '$orphan' after: $after"
fi
if grep -q 'hidepid=invisible' "$TG_T/pid.out" && grep -q 'subset=pid' "$TG_T/pid.out"; then
	tg_pass pid_ns_proc_options
else
	tg_fail pid_ns_proc_options "$(grep ' /proc ' "$TG_T/pid.out")"
fi
# --no-pid-namespace: the host's view, as before (stated on stderr).
out=$($L --no-pid-namespace --tenant globex -- sh -c \
	"ls -d /proc/$apid && ls -d /proc/$TG_AGENT_PID && $P kill $apid" 2>"$TG_T/err")
if [ "$(echo "$out" | tr '\n' ' ')" = "/proc/$apid /proc/$TG_AGENT_PID kill: ok " ] &&
	grep -q 'warning: --no-pid-namespace' "$TG_T/err"; then
	tg_pass no_pid_namespace_option_host_view
else
	tg_fail no_pid_namespace_option_host_view "$out $(tail -n 2 "$TG_T/err")"
fi
acme_stop

# The agent's file isolation still holds in the workload's mount namespace
# (BPF LSM checks the inodes, EACCES; fanotify marks whole filesystems,
# EPERM), and the refusal is an event naming both tenants.
own=$($L --tenant acme -- cat "$TG_SRV/acme/data" 2>&1)
other=$($L --tenant globex -- cat "$TG_SRV/acme/data" 2>&1)
case $other in
*"Permission denied" | *"Operation not permitted") denied=1 ;;
*) denied="" ;;
esac
if [ "$own" = acme-data ] && [ -n "$denied" ]; then
	tg_pass file_isolation_in_mount_namespace
else
	tg_fail file_isolation_in_mount_namespace "own: $own; other: $other"
fi
TG_EVENT_TIMEOUT=30 tg_event file_isolation_in_mount_namespace_event \
	kind=file verdict=deny tenant=globex target_tenant=acme \
	path="$TG_SRV/acme/data"
# (When it is missing: the file events there are, to say why.)
if [ "$(tg_count kind=file tenant=globex target_tenant=acme)" = 0 ]; then
	tg_fail file_isolation_in_mount_namespace_events_seen \
		"$(grep -c . "$TG_LOG") lines; last file events: $(grep '"kind":"file"' "$TG_LOG" | tail -n 3 | cut -c1-300)"
fi

# A namespace that cannot be made (here: no CAP_SYS_ADMIN) fails the launch;
# nothing runs unconfined.
if command -v setpriv >/dev/null; then
	for opt in "" --no-pid-namespace; do
		setpriv --inh-caps=-sys_admin --bounding-set=-sys_admin \
			$L $opt --tenant acme -- touch "$W/ran" >"$TG_T/out" 2>&1
		rc=$?
		if [ $rc = 125 ] && [ ! -e "$W/ran" ] &&
			grep -q "starting the workload (.*namespaces): Operation not permitted" "$TG_T/out"; then
			tg_pass "namespace_failure_fails${opt:+_no_pid}"
		else
			tg_fail "namespace_failure_fails${opt:+_no_pid}" "exit $rc: $(tail -n 1 "$TG_T/out")"
		fi
	done
else
	tg_skip namespace_failure_fails "no setpriv here"
fi

# The workload's devpts instance holds 128 pseudo-terminals at most: one
# workload cannot use up what every instance shares.
out=$($L --tenant acme -- $P pty-count 200 </dev/null 2>&1)
if [ "$out" = "128 ENOSPC" ]; then
	tg_pass devpts_capped
else
	tg_fail devpts_capped "got '$out'"
fi

if ! command -v script >/dev/null || ! command -v bash >/dev/null; then
	tg_skip terminal "no script(1) or bash here"
	tg_summary
	exit
fi

# The operator's interactive shell (bash -i under script) runs a workload
# that pushes a command into every terminal it has (0, 1, 2, /dev/tty);
# then the shell reads what was typed next. The injected command would make
# $W/injected; the next command, typed, makes $W/typed.
cat >"$W/inject.sh" <<EOF
stty -g >$W/stty.before
$L --tenant acme -- $P --expect EPERM tty-inject \$'touch $W/injected\n'
echo "rc=\$?" >$W/inject.rc
stty -g >$W/stty.after
echo "op=\$(stat -L -c %d:%t:%T /dev/stdin)" >$W/dev
$L --tenant acme -- sh -c 'read -r _ _ _ _ _ sid tty _ </proc/self/stat; echo "in=\$(stat -L -c %d:%t:%T /dev/stdin) ctty=\$tty sid=\$sid self=\$\$"' >>$W/dev
echo "host_pts=\$(ls /dev/pts | tr '\n' ' ')" >>$W/dev
$L --tenant acme -- sh -c 'echo "pts=\$(ls /dev/pts | tr "\n" " ")tty=\$(tty)"' >>$W/dev
$L --tenant acme -- sh -c 'echo "pts_no_tty=\$(ls /dev/pts | tr "\n" " ")"' </dev/null >>$W/dev 2>&1
sh -c 'echo \$\$ >$W/launcher.pid; exec $L --tenant acme -- sleep 30'
stty -g >$W/stty.signal
EOF
{
	printf '. %s\n' "$W/inject.sh"
	tg_wait_file "$W/launcher.pid"
	sleep 0.5
	kill -TERM "$(cat "$W/launcher.pid")"
	tg_wait_file "$W/stty.signal"
	printf 'touch %s/typed; exit\n' "$W"
	tg_wait_file "$W/typed"
} | timeout 30 script -qfec "bash --norc --noprofile -i" "$TG_T/ts1" >/dev/null 2>&1
refused=$(plain "$TG_T/ts1" | grep -E '^(fd[0-2]|dev_tty): ' | tr '\n' ' ')
if [ "$refused" = "fd0: EPERM fd1: EPERM fd2: EPERM dev_tty: EPERM " ] &&
	[ "$(cat "$W/inject.rc")" = rc=0 ] && [ ! -e "$W/injected" ] && [ -e "$W/typed" ]; then
	tg_pass terminal_injection_reaches_nothing
else
	tg_fail terminal_injection_reaches_nothing "outcomes: $refused; $(cat "$W/inject.rc"); injected: $(ls "$W/injected" 2>&1); typed: $(ls "$W/typed" 2>&1)"
fi
# Its own pseudo-terminal (another device than the operator's: another
# devpts instance, so the same numbers may come back), its controlling
# terminal, in a session of its own.
op=$(sed -n 's/^op=//p' "$W/dev")
set -- $(sed -n 's/^in=//p' "$W/dev" | tr '=' ' ')
in=$1 ctty=$3 sid=$5 self=$7
num=${in#*:}
if [ -n "$in" ] && [ "${in%%:*}" != "${op%%:*}" ] &&
	[ "$ctty" = $((0x${num%:*} * 256 + 0x${num#*:})) ] && [ "$sid" = "$self" ]; then
	tg_pass terminal_own_pty
else
	tg_fail terminal_own_pty "$(cat "$W/dev")"
fi
# A devpts instance of its own: the host's pseudo-terminals (the
# operator's, the launcher's first one) are not there to open by name; its
# own is, by the name tty(1) finds; without a terminal, none.
host_pts=$(sed -n 's/^host_pts=//p' "$W/dev")
if [ "$(sed -n 's/^pts=//p' "$W/dev")" = "0 ptmx tty=/dev/pts/0" ] &&
	[ "$(sed -n 's/^pts_no_tty=//p' "$W/dev")" = "ptmx " ] &&
	[ "$host_pts" != "ptmx " ] && [ -n "$host_pts" ]; then
	tg_pass terminal_own_devpts
else
	tg_fail terminal_own_devpts "$(grep pts "$W/dev")"
fi
if [ -s "$W/stty.before" ] && cmp -s "$W/stty.before" "$W/stty.after" &&
	cmp -s "$W/stty.before" "$W/stty.signal"; then
	tg_pass terminal_restored_after_exit_and_signal
else
	tg_fail terminal_restored_after_exit_and_signal "$(cat "$W/stty.before" "$W/stty.after" "$W/stty.signal")"
fi

# Job control in an interactive shell the launcher starts: each line is
# typed once the one before has answered (echo X-$((N)) prints X-result).
TS=$TG_T/ts2
{
	printf 'echo A-$((1+1))\n'
	wait_for "$TS" "^A-2"
	printf 'read -r _ _ _ _ pg sid tty tpg _ </proc/$$/stat; echo "ids=$$:$pg:$sid:$tpg:$-"\n'
	printf 'sleep 30 &\n'
	printf 'jobs; echo B-$((2+2))\n'
	wait_for "$TS" "^B-4"
	printf 'sleep 40\n'
	sleep 0.5
	printf '\032'
	wait_for "$TS" "Stopped.*sleep 40"
	printf 'echo C-$((3+3))\n'
	wait_for "$TS" "^C-6"
	printf 'fg %%2\n'
	sleep 0.5
	printf '\003'
	printf 'jobs; echo D-$((4+4))\n'
	wait_for "$TS" "^D-8"
	printf 'kill %%1; exit\n'
	sleep 1
} | timeout 30 script -qfec "$L --tenant acme -- bash --norc --noprofile -i" "$TS" >/dev/null 2>&1
ts=$(plain "$TS")
ids=$(echo "$ts" | sed -n 's/^ids=//p')
IFS=: read -r pid pg sid tpg flags <<EOF
$ids
EOF
if [ -n "$pid" ] && [ "$pid" = "$pg" ] && [ "$pid" = "$sid" ] && [ "$tpg" = "$pg" ] &&
	case $flags in *m*) true ;; *) false ;; esac; then
	tg_pass job_control_enabled
else
	tg_fail job_control_enabled "ids=$ids $(echo "$ts" | grep -i 'job control')"
fi
if echo "$ts" | grep -q '^\[1\]+ *Running *sleep 30 &'; then
	tg_pass job_control_background_job
else
	tg_fail job_control_background_job "$(echo "$ts" | grep -A2 jobs | head -n 4)"
fi
if echo "$ts" | grep -q '^\[2\]+ *Stopped *sleep 40'; then
	tg_pass job_control_ctrl_z
else
	tg_fail job_control_ctrl_z "$(echo "$ts" | tail -n 8)"
fi
# After fg and Ctrl-C, only the background job is left.
if echo "$ts" | sed -n '/^C-6/,/^D-8/p' | grep -q '^\[1\]+ *Running *sleep 30 &' &&
	! echo "$ts" | sed -n '/^C-6/,/^D-8/p' | grep -q '^\[2\]'; then
	tg_pass job_control_fg_ctrl_c
else
	tg_fail job_control_fg_ctrl_c "$(echo "$ts" | sed -n '/^C-6/,/^D-8/p' | head -n 8)"
fi

tg_summary
