#!/bin/sh
# test_launcher: `tenantguard run` confines a workload before its first
# instruction (tenant cgroup, no capabilities, no_new_privs, seccomp), its
# refused system calls fail with EPERM and each is exactly one event, and
# ordinary work is untouched. Seccomp profiles: check and export.
. "$(dirname "$0")/../lib/tap.sh"
. "$(dirname "$0")/../lib/tenants.sh"

: "${TG_BIN:?}"
tg_env_setup || exit 1
P=$TG_BIN/tg-try
REPO=$(cd "$(dirname "$0")/../.." && pwd)

tg_start_collector || exit 1
tg_start_agent || exit 1

# run ARGS... -- CMD: the launcher for tenant acme against this test's agent,
# as uid 0 without capabilities unless ARGS say otherwise.
run()
{
	case " $* " in
	*" --uid "*) tg_cli run --tenant acme "$@" ;;
	*) tg_cli run --tenant acme --uid 0 --gid 0 "$@" ;;
	esac
}

# The 32-bit x86 ABI (int $0x80): some hypervisors trap it, and then the
# cases that use it say so and are skipped.
I386=""
NO_I386="this machine traps int \$0x80 (no 32-bit x86 ABI to test)"
"$P" --expect ok syscall i386-abi >/dev/null 2>&1 && I386=i386-getpid

# Ordinary work: files, pipes, fork and exec, sockets, the network.
port=$((TG_PORT_BASE + 20))
"$P" --cgroup "$TG_TDIR/acme" listen tcp 127.0.0.1 $port "$TG_T/ready" &
tg_track $!
tg_wait_file "$TG_T/ready" || tg_fail listener "not ready on port $port"
if run -- sh -c "ls / >/dev/null && cat /etc/passwd | wc -l >/dev/null &&
	echo x >'$TG_T/w' && sh -c 'exit 0' && $P connect tcp 127.0.0.1 $port &&
	$P --expect ECONNREFUSED connect tcp 127.0.0.1 1 &&
	$P syscall clone-plain && $P syscall ${I386:-getppid} && $P syscall getppid" \
	>"$TG_T/out" 2>&1; then
	tg_pass ordinary_work_unaffected
else
	tg_fail ordinary_work_unaffected "$(tail -n 3 "$TG_T/out")"
fi
# clone3 keeps its flags out of a filter's reach: ENOSYS sends the C library
# to clone, whose flags are checked. Not a denial, so no event.
if run -- "$P" --expect ENOSYS syscall clone3 >"$TG_T/out" 2>&1; then
	tg_pass clone3_enosys
else
	tg_fail clone3_enosys "$(tail -n 2 "$TG_T/out")"
fi
sleep 0.5
n=$(tg_count kind=seccomp)
if [ "$n" = 0 ]; then
	tg_pass ordinary_work_no_events
else
	tg_fail ordinary_work_no_events "$n seccomp event(s)"
fi

# Confinement as seen from inside, and the cgroup as seen from outside.
run -v -- sh -c "echo \$\$ >'$TG_T/pid'; cat /proc/self/cgroup /proc/self/status;
	while [ ! -e '$TG_T/seen' ]; do sleep 0.1; done" >"$TG_T/out" 2>"$TG_T/err" &
lp=$!
tg_wait_file "$TG_T/pid"
sleep 0.2
# The pid it has in its PID namespace, as the host numbers it.
host=""
for p in $(cat "$TG_TDIR/acme/cgroup.procs"); do
	[ "$(awk '/^NSpid:/ { print $NF }' "/proc/$p/status")" = "$(cat "$TG_T/pid")" ] && host=$p
done
outside=$(grep '^0::' "/proc/${host:-0}/cgroup")
touch "$TG_T/seen"
wait $lp
if [ "$outside" = "0::$TG_TENANTS/acme" ] && grep -q '^0::/$' "$TG_T/out" &&
	grep -q "clone3 CLONE_INTO_CGROUP" "$TG_T/err"; then
	tg_pass started_in_tenant_cgroup_atomically
else
	tg_fail started_in_tenant_cgroup_atomically "outside: $outside inside: $(grep '^0::' "$TG_T/out") $(cat "$TG_T/err")"
fi
bad=""
for f in CapInh CapPrm CapEff CapBnd CapAmb; do
	grep -q "^$f:[[:space:]]*0000000000000000\$" "$TG_T/out" || bad="$bad $f"
done
grep -q "^NoNewPrivs:[[:space:]]*1\$" "$TG_T/out" || bad="$bad NoNewPrivs"
grep -q "^Seccomp:[[:space:]]*2\$" "$TG_T/out" || bad="$bad Seccomp"
if [ -z "$bad" ]; then
	tg_pass no_capabilities_nnp_seccomp
else
	tg_fail no_capabilities_nnp_seccomp "not as expected:$bad"
fi

# The workload cannot move itself out of its tenant, nor into another: as
# another uid by file permissions; as uid 0 (which owns the cgroup files,
# capabilities or not) through the cgroup namespace the launcher creates,
# which the kernel enforces only on a cgroup2 mounted with nsdelegate.
nsdelegate=$(awk '$0 ~ / - cgroup2 / && $NF ~ /(^|,)nsdelegate(,|$)/' /proc/self/mountinfo)
for dst in "$TG_CGROOT" "$TG_TDIR/globex"; do
	for who in 65534 0; do
		name=cannot_move_to_${dst##*/}_as_uid_$who
		where=$(run --uid $who --gid $who -- sh -c "echo \$\$ >'$dst/cgroup.procs' 2>/dev/null; echo rc=\$?; grep ^0:: /proc/self/cgroup" 2>/dev/null | tr '\n' ' ')
		case $where in "rc=0 "*) ;; *" 0::/ ") where=ok ;; esac
		if [ "$where" = ok ]; then
			tg_pass "$name"
		elif [ $who = 0 ] && [ -z "$nsdelegate" ]; then
			tg_skip "$name" "cgroup2 mounted without nsdelegate here (so run refuses uid 0 unless asked, and warns)"
		else
			tg_fail "$name" "$where"
		fi
	done
done
if run -- true 2>&1 | grep -q "warning: the workload stays uid 0"; then
	tg_pass uid0_warning
else
	tg_fail uid0_warning "no warning"
fi

# A setuid-root binary cannot bring privileges back.
if setpriv --reuid=0 true 2>/dev/null && [ ! -L "$(command -v id)" ] &&
	! ls -l "$(command -v id)" | grep -q busybox; then
	cp "$(command -v id)" "$TG_T/suid-id" && chmod 4755 "$TG_T/suid-id"
	chmod 755 "$TG_T"
	outside=$(setpriv --reuid=65534 --regid=65534 --clear-groups "$TG_T/suid-id" -u 2>&1)
	inside=$(run --uid 65534 --gid 65534 -- "$TG_T/suid-id" -u 2>&1)
	inside_root=$(run -- sh -c "grep ^CapEff /proc/self/status; $TG_T/suid-id -u" 2>&1)
	if [ "$outside" = 0 ] && [ "$inside" = 65534 ] &&
		echo "$inside_root" | grep -q "CapEff:[[:space:]]*0000000000000000"; then
		tg_pass setuid_binary_gains_nothing
	else
		tg_fail setuid_binary_gains_nothing "outside=$outside inside=$inside root=$inside_root"
	fi
else
	tg_skip setuid_binary_gains_nothing "no setpriv or no standalone id binary (busybox)"
fi
ids=$(run --uid 65534 --gid 65534 -- sh -c 'id -u; id -g; id -G' 2>&1 | tr '\n' ' ')
if [ "$ids" = "65534 65534 65534 " ]; then
	tg_pass uid_gid_switch
else
	tg_fail uid_gid_switch "$ids"
fi

# Each isolation-breaking call: EPERM, and exactly one event naming it.
# probe-name:op[:arch]
calls="bpf:bpf perf_event_open:perf_event_open init_module:init_module
finit_module:finit_module delete_module:delete_module kexec_load:kexec_load
kexec_file_load:kexec_file_load mount:mount umount2:umount2
pivot_root:pivot_root fsopen:fsopen open_tree:open_tree unshare:unshare
unshare-net:unshare clone:clone clone-ns:clone setns:setns ptrace:ptrace
process_vm_readv:process_vm_readv process_vm_writev:process_vm_writev
add_key:add_key request_key:request_key keyctl:keyctl
io_uring_setup:io_uring_setup io_uring_enter:io_uring_enter
io_uring_register:io_uring_register open_by_handle_at:open_by_handle_at
userfaultfd:userfaultfd pidfd_getfd:pidfd_getfd chroot:chroot
x32-bpf:bpf:x32"
if [ -n "$I386" ]; then
	calls="$calls i386-bpf:bpf:x86"
else
	tg_skip denied_i386-bpf "$NO_I386"
fi
for c in $calls; do
	probe=${c%%:*} rest=${c#*:}
	op=${rest%%:*} arch=x86_64
	[ "$rest" != "$op" ] && arch=${rest#*:}
	if ! run -- "$P" --expect EPERM syscall "$probe" >"$TG_T/out" 2>&1; then
		tg_fail "denied_$probe" "$(tail -n 2 "$TG_T/out")"
		continue
	fi
	TG_EVENT_TIMEOUT=5 tg_event "denied_${probe}_event" kind=seccomp op="$op" \
		arch="$arch" tenant=acme verdict=deny profile=default comm=tg-try
done
sleep 0.5
# One event per refused call: count each op against the calls made.
bad=""
for op in $(for c in $calls; do r=${c#*:}; echo "${r%%:*}"; done | sort | uniq -c |
	awk '{ print $2 ":" $1 }'); do
	want=${op#*:} got=$(tg_count kind=seccomp op="${op%%:*}")
	[ "$got" = "$want" ] || bad="$bad ${op%%:*}=$got/$want"
done
if [ -z "$bad" ]; then
	tg_pass one_event_per_denied_call
else
	tg_fail one_event_per_denied_call "$bad"
fi
if tg_cli status --json | tr -d ' \n' | grep -q '"seccomp":{"listeners":[0-9]*,"denials":[1-9]'; then
	tg_pass status_counts_seccomp_denials
else
	tg_fail status_counts_seccomp_denials "$(tg_cli status --json | grep -A3 seccomp)"
fi

# The operator's terminal, as when an operator starts a workload from an
# interactive shell: script(1) gives the commands a terminal of their own.
# The workload is in a session of its own (so the terminal is not its
# controlling one), its TIOCSTI and TIOCLINUX are refused by the profile
# (EPERM, one event each, also with high bits set and through the 32-bit
# ABI), nothing it pushes reaches the shell, and ordinary terminal requests
# work.
if ! command -v script >/dev/null || ! command -v bash >/dev/null; then
	tg_skip terminal_injection_refused "no script(1) or bash here"
else
	before=$(tg_count kind=seccomp op=ioctl)
	refused="tiocsti tiocsti-high tioclinux${I386:+ i386-tiocsti}"
	set -- $refused
	L="$TG_BIN/tenantguard --control-socket $TG_T/control.sock run --tenant acme --uid 0 --gid 0 --"
	cat >"$TG_T/tty.sh" <<TTY
for c in $refused; do
	$L $P --expect EPERM syscall \$c >>$TG_T/tty.out 2>&1 || echo "\$c: not refused" >>$TG_T/tty.res
done
for c in tcgets tiocgwinsz; do
	$L $P --expect ok syscall \$c >>$TG_T/tty.out 2>&1 || echo "\$c: refused" >>$TG_T/tty.res
done
if read -t 1 -n 1 c; then echo "the shell read what the workload pushed" >>$TG_T/tty.res; fi
$L sh -c 'read -r _ _ _ _ _ sid _ </proc/\$\$/stat; [ "\$sid" = \$\$ ]' ||
	echo "not in a session of its own" >>$TG_T/tty.res
echo done >>$TG_T/tty.res
TTY
	script -qec "bash $TG_T/tty.sh" /dev/null </dev/null >/dev/null 2>&1
	if [ "$(cat "$TG_T/tty.res" 2>/dev/null)" = done ]; then
		tg_pass terminal_injection_refused
	else
		tg_fail terminal_injection_refused "$(cat "$TG_T/tty.res" "$TG_T/tty.out" 2>&1 | head -n 8)"
	fi
	TG_EVENT_TIMEOUT=5 tg_event terminal_injection_event kind=seccomp op=ioctl \
		arch=x86_64 tenant=acme verdict=deny profile=default comm=tg-try
	if [ -n "$I386" ]; then
		TG_EVENT_TIMEOUT=5 tg_event terminal_injection_event_i386 kind=seccomp \
			op=ioctl arch=x86 tenant=acme verdict=deny
	else
		tg_skip terminal_injection_event_i386 "$NO_I386"
	fi
	sleep 0.5
	n=$(($(tg_count kind=seccomp op=ioctl) - before))
	if [ "$n" = $# ]; then
		tg_pass terminal_injection_one_event_each
	else
		tg_fail terminal_injection_one_event_each "$n ioctl events for $# refused requests"
	fi
fi

# The strict profile: no network sockets, unix sockets still work.
if run --profile strict -- "$P" --expect EPERM connect tcp 127.0.0.1 $port >"$TG_T/out" 2>&1 &&
	TG_EVENT_TIMEOUT=5 "$P" wait-event "$TG_LOG" kind=seccomp op=socket profile=strict >/dev/null &&
	run --profile strict -- sh -c 'ls / | cat >/dev/null' >"$TG_T/out" 2>&1; then
	tg_pass strict_profile
else
	tg_fail strict_profile "$(tail -n 2 "$TG_T/out")"
fi

# Without the agent, the profile still refuses; the launcher says events are lost.
printf 'version: 1\ntenants_cgroup: %s\ntenants:\n  acme: {}\n' "$TG_TENANTS" >"$TG_T/p.yaml"
if "$TG_BIN/tenantguard" --control-socket "$TG_T/none.sock" run --tenant acme \
	--uid 0 --gid 0 --policy "$TG_T/p.yaml" -- "$P" --expect EPERM syscall bpf >"$TG_T/out" 2>"$TG_T/err" &&
	grep -q "NOT recorded" "$TG_T/err"; then
	tg_pass agent_unreachable_still_denies
else
	tg_fail agent_unreachable_still_denies "$(cat "$TG_T/out" "$TG_T/err" | tail -n 3)"
fi

# Exit status and signals pass through.
run -- sh -c 'exit 7'
rc=$?
run -- sh -c 'kill -TERM $$'
rc2=$?
# Not through run (a function): $! must be the launcher itself, not a
# subshell whose death says nothing of forwarding and leaves the launcher
# and its workload behind.
"$TG_BIN/tenantguard" --control-socket "$TG_T/control.sock" run --tenant acme \
	--uid 0 --gid 0 -- sleep 30 &
lp=$!
tg_track $lp
sleep 0.5
kill -TERM $lp
tg_wait $lp
rc3=$?
if [ $rc = 7 ] && [ $rc2 = 143 ] && [ $rc3 = 143 ]; then
	tg_pass exit_status_and_signals
else
	tg_fail exit_status_and_signals "exit $rc, killed $rc2, forwarded $rc3"
fi

# Bad input: a clear message and a distinct status, nothing started.
expect_run()
{
	name=$1 rc=$2 pat=$3
	shift 3
	"$@" >"$TG_T/out" 2>"$TG_T/err"
	got=$?
	if [ "$got" = "$rc" ] && grep -q -- "$pat" "$TG_T/err"; then
		tg_pass "$name"
	else
		tg_fail "$name" "exit $got: $(head -c 300 "$TG_T/err")"
	fi
}
expect_run run_unknown_tenant 125 "tenant 'nosuch'" \
	tg_cli run --tenant nosuch --uid 0 --gid 0 -- true
expect_run run_no_command 2 "needs --tenant NAME and a command" tg_cli run --tenant acme
expect_run run_uid_without_gid 2 "go together" run --uid 1 -- true
expect_run run_root_not_implied 2 "give --uid and --gid" tg_cli run --tenant acme -- true
expect_run run_unknown_profile 125 "no seccomp profile 'nosuch'" run --profile nosuch -- true
expect_run run_not_found 127 "no-such-command" run -- /no-such-command
printf 'version: 1\ndefault_action: notify\nsyscalls:\n  - names: [read, frobnicate]\n    action: allow\n' \
	>"$TG_T/bad.yaml"
expect_run run_bad_profile 125 "bad.yaml:4:19: unknown system call 'frobnicate'" \
	run --profile "$TG_T/bad.yaml" -- true
printf 'version: 1\ndefault_action: notify\nsyscalls:\n  - names: [execve]\n    action: allow\n' \
	>"$TG_T/nosend.yaml"
expect_run run_profile_without_sendmsg 125 "does not allow sendmsg" \
	run --profile "$TG_T/nosend.yaml" -- true

# Profiles: check and export.
if [ ! -d "$REPO/policy/seccomp" ]; then
	tg_skip seccomp_check_builtin "no source tree here"
elif "$TG_BIN/tenantguard" seccomp check "$REPO/policy/seccomp/default.yaml" "$REPO/policy/seccomp/strict.yaml" \
	>"$TG_T/out" 2>&1 && [ "$(grep -c ': ok:' "$TG_T/out")" = 2 ]; then
	tg_pass seccomp_check_builtin
else
	tg_fail seccomp_check_builtin "$(cat "$TG_T/out")"
fi
expect_run seccomp_check_located 1 "bad.yaml:4:19: unknown system call 'frobnicate'" \
	"$TG_BIN/tenantguard" seccomp check "$TG_T/bad.yaml"
# What run refuses, check refuses, with run's words: ok means run takes it.
expect_run seccomp_check_notify_without_sendmsg 1 "does not allow sendmsg" \
	"$TG_BIN/tenantguard" seccomp check "$TG_T/nosend.yaml"
printf 'version: 1\ndefault_action: notify\nsyscalls:\n  - names: [sendmsg, execve]\n    action: allow\n' \
	>"$TG_T/noinit.yaml"
expect_run seccomp_check_init_calls 1 "does not allow clone, which the init of the workload's PID namespace needs" \
	"$TG_BIN/tenantguard" seccomp check "$TG_T/noinit.yaml"
expect_run run_refuses_what_check_refuses 125 "does not allow clone, which the init of the workload's PID namespace needs" \
	run --profile "$TG_T/noinit.yaml" -- true
if "$TG_BIN/tenantguard" seccomp check --no-pid-namespace "$TG_T/noinit.yaml" \
	>"$TG_T/out" 2>&1 && grep -q "noinit.yaml: ok: 2 rules, default notify" "$TG_T/out"; then
	tg_pass seccomp_check_no_pid_namespace
else
	tg_fail seccomp_check_no_pid_namespace "$(cat "$TG_T/out")"
fi
printf 'version: 1\ndefault_action: allow\n' >"$TG_T/allow.yaml"
"$TG_BIN/tenantguard" seccomp check --json "$TG_T/noinit.yaml" "$TG_T/allow.yaml" \
	>"$TG_T/out" 2>&1
if [ "$(sed -n 1p "$TG_T/out" | grep -c '"ok":false,"errors":\[{"file":"[^"]*noinit.yaml","line":1,"column":1,"message":"profile [^"]* does not allow clone')" = 1 ] &&
	sed -n 2p "$TG_T/out" | grep -q '"ok":true,"errors":\[\],"rules":[0-9]*,"default":"'; then
	tg_pass seccomp_check_json
else
	tg_fail seccomp_check_json "$(cat "$TG_T/out")"
fi
expect_run seccomp_check_bad_option 2 "seccomp check: bad option '--frob'" \
	"$TG_BIN/tenantguard" seccomp check --frob "$TG_T/noinit.yaml"
"$TG_BIN/tenantguard" seccomp export --profile default --format oci >"$TG_T/oci.json"
if grep -q '"defaultAction": "SCMP_ACT_ERRNO"' "$TG_T/oci.json" &&
	grep -q '"defaultErrnoRet": 1' "$TG_T/oci.json" &&
	grep -q '"SCMP_ARCH_X86"' "$TG_T/oci.json" &&
	grep -q '"op": "SCMP_CMP_MASKED_EQ"' "$TG_T/oci.json" &&
	! grep -q '"bpf"' "$TG_T/oci.json"; then
	tg_pass seccomp_export_oci
else
	tg_fail seccomp_export_oci "$(head -c 300 "$TG_T/oci.json")"
fi
"$TG_BIN/tenantguard" seccomp export --profile strict --format bpf --output "$TG_T/f.bpf"
size=$(wc -c <"$TG_T/f.bpf")
if [ "$size" -gt 0 ] && [ $((size % 8)) = 0 ]; then
	tg_pass seccomp_export_bpf
else
	tg_fail seccomp_export_bpf "$size bytes"
fi

tg_summary
