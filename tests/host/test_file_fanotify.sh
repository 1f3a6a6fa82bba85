#!/bin/sh
# test_file_fanotify: the fanotify file backend (kernels without BPF LSM).
# Another tenant's opens of what lies below a tenant's owned roots (read,
# write, listing, exec), by every route to the same inode, fail with EPERM
# and one event each; the owner, host processes, shared files and a tenant's
# own files are untouched and reported nothing. Audit mode, reloads that add
# and remove owned paths, renames, status, the start event's "unenforced"
# list, --require-file-isolation, and stopping the agent (SIGTERM, SIGKILL)
# with opens in flight. The owned paths live on tmpfs mounts of the test's
# own: the agent marks whole filesystems.
. "$(dirname "$0")/../lib/tap.sh"
. "$(dirname "$0")/../lib/tenants.sh"

: "${TG_BIN:?}"
tg_env_setup || exit 1
tg_mounted "$TG_SRV" || tg_srv_tmpfs || exit 1
S=$TG_SRV
A=$TG_TDIR/acme
G=$TG_TDIR/globex
P=$TG_BIN/tg-try

mkdir -p "$S/acme/d1/d2/d3" "$S/acme/bin" "$S/acme/tomove" "$S/shared/mv" \
	"$S/extra" "$S/globex" "$TG_T/bind" "$TG_T/nsbind" "$TG_T/srv2" || exit 1
echo acme-data >"$S/acme/data"
echo globex-data >"$S/globex/data"
echo deep >"$S/acme/d1/d2/d3/f"
echo moving >"$S/acme/tomove/f"
cp /bin/true "$S/acme/bin/true" || exit 1
echo shared >"$S/shared/file"
echo mv >"$S/shared/mv/f"
echo g >"$S/shared/g"
echo h >"$S/shared/h"
echo extra >"$S/extra/f"
ln "$S/acme/data" "$S/shared/hardlink"		# before the agent starts
echo host >"$S/shared/hostfile"
ln "$S/shared/hostfile" "$S/acme/hostfile"	# a host file linked in
ln -s ../acme/data "$S/shared/symlink"
ln -s "$S/acme/data" "$TG_T/symlink"		# from another filesystem
mount --bind "$S/acme/d1" "$TG_T/bind" || exit 1
tg_on_cleanup "umount -l '$TG_T/bind'"
mount -t tmpfs -o mode=0755 tg-test-srv2 "$TG_T/srv2" || exit 1
tg_on_cleanup "umount -l '$TG_T/srv2'"
echo two >"$TG_T/srv2/f"

TG_POLICY=$TG_T/policy.yaml
mkdir -p "$TG_T/policy.d"
# write_policy GLOBEX_MODE [MORE_ACME_PATHS]
write_policy()
{
	cat >"$TG_POLICY.tmp" <<YAML
version: 1
tenants_cgroup: $TG_TENANTS
tenants:
  acme:
    paths: [$S/acme$2]
  globex:
    mode: $1
    paths: [$S/globex]
YAML
	mv "$TG_POLICY.tmp" "$TG_POLICY"
}
reload()
{
	if out=$(tg_cli reload 2>&1); then
		tg_pass "$1"
	else
		tg_fail "$1" "$out"
	fi
}
write_policy enforce

# Refusals first: nothing may be marked or left behind by them.
if grep -qs bpf /sys/kernel/security/lsm; then
	tg_skip require_file_isolation_refuses "BPF LSM is active here: full file isolation is available"
else
	"$TG_BIN/tenantguard-agent" --policy "$TG_POLICY" --event-socket "$TG_T/none.sock" \
		--control-socket "$TG_T/none.ctl" --require-file-isolation \
		--pin-dir "$TG_PINS" 2>"$TG_T/err"
	rc=$?
	if [ "$rc" = 1 ] && grep -q "full file isolation (BPF LSM) unavailable and --require-file-isolation given: .*--file-backend fanotify accepts that" "$TG_T/err"; then
		tg_pass require_file_isolation_refuses
	else
		tg_fail require_file_isolation_refuses "exit $rc: $(tail -n 2 "$TG_T/err")"
	fi
fi
"$TG_BIN/tenantguard-agent" --file-backend fanotify --require-file-isolation \
	--event-socket "$TG_T/none.sock" 2>"$TG_T/err"
rc=$?
if [ "$rc" = 2 ] && grep -q "contradict" "$TG_T/err"; then
	tg_pass require_and_fanotify_contradict
else
	tg_fail require_and_fanotify_contradict "exit $rc: $(cat "$TG_T/err")"
fi
"$TG_BIN/tenantguard-agent" --file-backend lsm --event-socket "$TG_T/none.sock" 2>"$TG_T/err"
rc=$?
if [ "$rc" = 2 ] && grep -q "'lsm' is not one of auto, bpf-lsm, fanotify, none" "$TG_T/err"; then
	tg_pass bad_file_backend_named
else
	tg_fail bad_file_backend_named "exit $rc: $(cat "$TG_T/err")"
fi

# An acme process holding acme's file open, for /proc/PID/{root,fd}.
sh -c "echo \$\$ >'$A/cgroup.procs' && exec 3<'$S/acme/data' &&
	echo \$\$ >'$TG_T/holder.tmp' && mv '$TG_T/holder.tmp' '$TG_T/holder' &&
	exec sleep 1000" &
tg_track $!
tg_wait_file "$TG_T/holder" || exit 1
holder=$(cat "$TG_T/holder")

tg_start_collector || exit 1
tg_start_agent --file-backend fanotify || exit 1

# Unix-socket and process isolation need BPF LSM too: listed as unenforced
# without it. With it, another tenant's /proc/PID is refused before any
# file in it is looked at (EACCES, kind proc).
if grep -q bpf /sys/kernel/security/lsm 2>/dev/null; then
	unix_be=bpf-lsm unix_un="" guard_un="" proc_lsm=1
else
	unix_be=none unix_un='"unix","proc",' guard_un=',"guard"' proc_lsm=0
fi
# Socket families other than inet: unenforced where the kernel refuses the
# trampoline program (docs/network.md).
fam_un=""
tg_cli status --json | grep -q '"net:families"' && fam_un=',"net:families"'
[ "$unix_be" = none ] && fam_un="$fam_un"',"net:host_listeners"'
expected='['"$unix_un"'"file:create","file:mkdir","file:mknod","file:symlink","file:link","file:unlink","file:rmdir","file:rename","file:truncate","file:chmod","file:chown","file:setattr","file:setxattr","file:removexattr","file:receive","file:preopened","file:metadata","file:watch"'"$fam_un$guard_un"']'
tg_event start_event_lists_unenforced kind=agent op=start \
	unenforced="$expected"
tg_event start_event_backend kind=agent op=start \
	backends='{"file":"fanotify","net":"cgroup-bpf","unix":"'"$unix_be"'","proc":"'"$unix_be"'"}'
if grep -q "file isolation: fanotify (open, exec; UNENFORCED: file:create, .*file:metadata, file:watch)" "$TG_T/agent.err"; then
	tg_pass agent_says_what_is_unenforced
else
	tg_fail agent_says_what_is_unenforced "$(cat "$TG_T/agent.err")"
fi

# deny NAME EVENT_PATH|- [--op OP] PROBE_ARGS...: globex is refused with
# EPERM, and one more matching deny event arrives.
deny()
{
	name=$1 epath=$2 op=open
	shift 2
	if [ "$1" = --op ]; then
		op=$2
		shift 2
	fi
	set -- kind=file op="$op" verdict=deny tenant=globex target_tenant=acme "$@"
	if [ "$epath" = - ]; then
		n=$(tg_count kind=file op="$op" verdict=deny tenant=globex target_tenant=acme)
	else
		n=$(tg_count kind=file op="$op" verdict=deny tenant=globex \
			target_tenant=acme path="$epath")
	fi
	shift 5
	tg_probe "$name" --cgroup "$G" --expect EPERM "$@"
	if [ "$epath" = - ]; then
		tg_event "${name}_event" --count $((n + 1)) kind=file op="$op" \
			verdict=deny tenant=globex target_tenant=acme
	else
		tg_event "${name}_event" --count $((n + 1)) kind=file op="$op" \
			verdict=deny tenant=globex target_tenant=acme path="$epath"
	fi
}

# object_of FILE BELOW: the key=value pairs of a deny event naming the
# object FILE (its device and inode as stat shows them) by acme's owned
# root, as the policy names it, and the path BELOW it. BELOW "-": a file
# with several names, whose root and path are those of the name its file
# handle leads to (any of them): only its identity and owner are checked.
object_of()
{
	if [ "$2" = - ]; then
		set -- "$1" "" ""
	else
		set -- "$1" object.root="$S/acme" object.path="$2"
	fi
	# shellcheck disable=SC2086 # $2 and $3 are one word or none
	echo kind=file verdict=deny tenant=globex target_tenant=acme \
		object.owner=acme $2 $3 \
		object.dev="$(tg_dev "$1")" object.ino="$(stat -c %i "$1")"
}
# objects FILE BELOW: how many such events the log holds now.
objects()
{
	# shellcheck disable=SC2046
	tg_count $(object_of "$1" "$2")
}
# has_object NAME FILE BELOW BEFORE: one more than BEFORE such events
# arrive, whatever name the opener used.
has_object()
{
	# shellcheck disable=SC2046
	tg_event "$1" --count $(($4 + 1)) $(object_of "$2" "$3")
}

o=$(objects "$S/acme/data" -)
deny deny_read "$S/acme/data" open "$S/acme/data"
has_object deny_read_object "$S/acme/data" - "$o"
deny deny_write "$S/acme/data" open "$S/acme/data" w
deny deny_list_dir "$S/acme" open "$S/acme" dir
deny deny_list_subdir "$S/acme/d1/d2" open "$S/acme/d1/d2" dir
deny deny_exec "$S/acme/bin/true" --op exec exec "$S/acme/bin/true"
deny deny_depth_4 "$S/acme/d1/d2/d3/f" open "$S/acme/d1/d2/d3/f"
deny deny_symlink_same_fs "$S/acme/data" open "$S/shared/symlink"
deny deny_symlink_other_fs "$S/acme/data" open "$TG_T/symlink"
o=$(objects "$S/acme/d1/d2/d3/f" d1/d2/d3/f)
deny deny_bind_mount "$TG_T/bind/d2/d3/f" open "$TG_T/bind/d2/d3/f"
has_object deny_bind_mount_object "$S/acme/d1/d2/d3/f" d1/d2/d3/f "$o"
# Ownership follows the object: a name made outside every owned tree
# before the agent started leads to the owner, and so does the host's name
# of a host file linked into a tenant's tree before the agent started.
deny deny_outside_name_of_hardlink "$S/shared/hardlink" open "$S/shared/hardlink"
deny deny_host_file_linked_in_before "$S/shared/hostfile" open "$S/shared/hostfile"
deny deny_owned_name_of_host_file "$S/acme/hostfile" open "$S/acme/hostfile"
ln "$S/acme/d1/d2/d3/f" "$S/shared/late"	# a second name, made after start
deny deny_owned_name_of_late_hardlink "$S/acme/d1/d2/d3/f" open "$S/acme/d1/d2/d3/f"
tg_probe allow_owner_late_hardlink --cgroup "$A" --expect ok open "$S/shared/late"
if [ $proc_lsm = 1 ]; then
	tg_probe deny_proc_pid_root --cgroup "$G" --expect EACCES open "/proc/$holder/root$S/acme/data"
	tg_probe deny_proc_pid_fd --cgroup "$G" --expect EACCES open "/proc/$holder/fd/3"
	tg_event deny_proc_pid_event kind=proc op=proc_open verdict=deny \
		tenant=globex target_tenant=acme target_pid="$holder"
else
	deny deny_proc_pid_root "$S/acme/data" open "/proc/$holder/root$S/acme/data"
	deny deny_proc_pid_fd "$S/acme/data" open "/proc/$holder/fd/3"
fi
n=$(tg_count kind=file verdict=deny tenant=globex path="$S/acme/d1/d2/d3/f")
if out=$(cd "$S/acme/d1" && "$P" --cgroup "$G" --expect EPERM open d2/d3/f 2>&1); then
	tg_pass deny_relative_path
else
	tg_fail deny_relative_path "$out"
fi
tg_event deny_relative_path_event --count $((n + 1)) kind=file verdict=deny \
	tenant=globex target_tenant=acme path="$S/acme/d1/d2/d3/f"
if command -v unshare >/dev/null; then
	n=$(tg_count kind=file verdict=deny tenant=globex target_tenant=acme)
	o=$(objects "$S/acme/d1/d2/d3/f" -)
	if out=$(unshare -m --propagation private sh -c "mount --bind '$S/acme/d1/d2' \
		'$TG_T/nsbind' && exec '$P' --cgroup '$G' --expect EPERM open '$TG_T/nsbind/d3/f'" 2>&1); then
		tg_pass deny_mount_namespace_bind
	else
		tg_fail deny_mount_namespace_bind "$out"
	fi
	tg_event deny_mount_namespace_bind_event --count $((n + 1)) kind=file \
		verdict=deny tenant=globex target_tenant=acme
	has_object deny_mount_namespace_bind_object "$S/acme/d1/d2/d3/f" - "$o"
	# A file of one name (the one above has a second name now).
	echo one >"$S/acme/d1/d2/one"
	o=$(objects "$S/acme/d1/d2/one" d1/d2/one)
	if out=$(unshare -m --propagation private sh -c "mount --bind '$S/acme/d1' \
		'$TG_T/nsbind' && exec '$P' --cgroup '$G' --expect EPERM open '$TG_T/nsbind/d2/one'" 2>&1); then
		tg_pass deny_mount_namespace_bind_single_name
	else
		tg_fail deny_mount_namespace_bind_single_name "$out"
	fi
	has_object deny_mount_namespace_bind_single_name_object \
		"$S/acme/d1/d2/one" d1/d2/one "$o"
	o=$(objects "$S/acme/d1/d2" d1/d2)
	if out=$(unshare -m --propagation private sh -c "mount --bind '$S/acme/d1' \
		'$TG_T/nsbind' && exec '$P' --cgroup '$G' --expect EPERM open '$TG_T/nsbind/d2' dir" 2>&1); then
		tg_pass deny_mount_namespace_bind_dir
	else
		tg_fail deny_mount_namespace_bind_dir "$out"
	fi
	has_object deny_mount_namespace_bind_dir_object "$S/acme/d1/d2" d1/d2 "$o"
else
	tg_skip deny_mount_namespace_bind "unshare not installed"
fi

o=$(objects "$S/acme/data" -)
deny deny_chroot "$S/acme/data" chroot "$S" /acme/data
has_object deny_chroot_object "$S/acme/data" - "$o"
o=$(objects "$S/acme" .)
deny deny_list_root_object "$S/acme" open "$S/acme" dir
has_object deny_list_root_object_names_root "$S/acme" . "$o"

# Allowed: the owner by every route, host processes, shared and own files.
tg_probe allow_owner_read --cgroup "$A" --expect ok open "$S/acme/data"
tg_probe allow_owner_write --cgroup "$A" --expect ok open "$S/acme/data" w
tg_probe allow_owner_list --cgroup "$A" --expect ok open "$S/acme" dir
tg_probe allow_owner_exec --cgroup "$A" --expect ok exec "$S/acme/bin/true"
tg_probe allow_owner_deep --cgroup "$A" --expect ok open "$S/acme/d1/d2/d3/f"
tg_probe allow_owner_bind_mount --cgroup "$A" --expect ok open "$TG_T/bind/d2/d3/f"
tg_probe allow_owner_hardlink --cgroup "$A" --expect ok open "$S/shared/hardlink"
tg_probe allow_owner_symlink --cgroup "$A" --expect ok open "$TG_T/symlink"
tg_probe allow_host_read --expect ok open "$S/acme/data"
tg_probe allow_host_list --expect ok open "$S/acme" dir
tg_probe allow_host_exec --expect ok exec "$S/acme/bin/true"
tg_probe allow_own_files --cgroup "$G" --expect ok open "$S/globex/data"
tg_probe allow_own_files_write --cgroup "$G" --expect ok open "$S/globex/data" w
tg_probe allow_shared_file --cgroup "$G" --expect ok open "$S/shared/file"
tg_probe allow_shared_file_again --cgroup "$G" --expect ok open "$S/shared/file"
tg_probe allow_shared_dir --cgroup "$G" --expect ok open "$S/shared" dir
tg_probe allow_fs_root_dir --cgroup "$G" --expect ok open "$S" dir
tg_probe allow_other_fs --cgroup "$G" --expect ok open /etc/passwd
tg_probe allow_acme_reads_globex_shared --cgroup "$A" --expect ok open "$S/shared/file"

# Allowed opens report nothing: a last denial marks the end of the run.
n=$(tg_count kind=file verdict=deny path="$S/acme/data")
tg_probe marker_denied --cgroup "$G" --expect EPERM open "$S/acme/data"
tg_event marker_event --count $((n + 1)) kind=file verdict=deny path="$S/acme/data"
for who in acme host; do
	c=$(tg_count kind=file tenant=$who)
	if [ "$c" = 0 ]; then
		tg_pass "no_events_for_$who"
	else
		tg_fail "no_events_for_$who" "$c events"
	fi
done
c=$(tg_count kind=file target_tenant=globex)
c2=$(tg_count kind=file target_tenant=host)
if [ "$c" = 0 ] && [ "$c2" = 0 ]; then
	tg_pass no_events_for_own_or_shared_files
else
	tg_fail no_events_for_own_or_shared_files "$c on globex's, $c2 on shared files"
fi

# Status: backend, what is unenforced, the marked filesystem.
tg_cli status >"$TG_T/status" 2>&1
if grep -q "^backends: *file fanotify" "$TG_T/status" &&
	grep -q "^UNENFORCED: .*file:create.*file:rename.*file:metadata" "$TG_T/status" &&
	grep -q "^fanotify: *$S (dev [0-9]*:[0-9]*) opens checked" "$TG_T/status"; then
	tg_pass status_human
else
	tg_fail status_human "$(cat "$TG_T/status")"
fi
tg_cli status --json | tr -d ' \n' >"$TG_T/status.json"
if grep -q '"backends":{"file":"fanotify"' "$TG_T/status.json" &&
	grep -qF "\"unenforced\":$expected" "$TG_T/status.json" &&
	grep -q '"filesystems":\[{"mount":"'"$S"'","dev":"[0-9:]*","marked":true,"renames_watched":\(true\|false,"reason":"no rename watch[^"]*"\)}\]' "$TG_T/status.json"; then
	tg_pass status_json
else
	tg_fail status_json "$(cat "$TG_T/status.json")"
fi
if grep -q '"name":"globex"[^}]*"denials":[1-9]' "$TG_T/status.json"; then
	tg_pass status_counts_denials
else
	tg_fail status_counts_denials "$(cat "$TG_T/status.json")"
fi

# Ignore marks never outlive a change of place: renamed or linked into an
# owned tree, an object is checked again; moved out, it is free again. The
# rename watch needs a filesystem id (tmpfs has one from 6.7); without it
# answers are kept for a second at most, and no ignore marks are set.
if grep -q '"renames_watched":true' "$TG_T/status.json"; then
	settle=0.2
else
	settle=1.2
fi
tg_probe rename_dir_before --cgroup "$G" --expect ok open "$S/shared/mv/f"
tg_probe rename_file_before --cgroup "$G" --expect ok open "$S/shared/g"
tg_probe link_file_before --cgroup "$G" --expect ok open "$S/shared/h"
mv "$S/shared/mv" "$S/acme/mv" && mv "$S/shared/g" "$S/acme/g" &&
	ln "$S/shared/h" "$S/acme/h" && rm "$S/shared/h"
sleep $settle
deny deny_after_dir_rename_in "$S/acme/mv/f" open "$S/acme/mv/f"
deny deny_after_file_rename_in "$S/acme/g" open "$S/acme/g"
deny deny_after_link_in "$S/acme/h" open "$S/acme/h"
tg_probe rename_out_before --cgroup "$G" --expect EPERM open "$S/acme/tomove/f"
mv "$S/acme/tomove" "$S/shared/moved"
sleep $settle
tg_probe allow_after_rename_out --cgroup "$G" --expect ok open "$S/shared/moved/f"

# Audit mode: allowed, and reported as such.
write_policy audit
reload reload_audit
tg_probe audit_allows --cgroup "$G" --expect ok open "$S/acme/data"
tg_event audit_event kind=file op=open verdict=audit tenant=globex \
	target_tenant=acme path="$S/acme/data"
write_policy enforce
reload reload_enforce
tg_probe enforce_again --cgroup "$G" --expect EPERM open "$S/acme/data"

# Reloads that add and remove owned paths, on this filesystem and another.
tg_probe extra_unowned --cgroup "$G" --expect ok open "$S/extra/f"
tg_probe other_fs_unowned --cgroup "$G" --expect ok open "$TG_T/srv2/f"
write_policy enforce ", $S/extra, $TG_T/srv2"
reload reload_add_paths
deny deny_added_path "$S/extra/f" open "$S/extra/f"
deny deny_added_filesystem "$TG_T/srv2/f" open "$TG_T/srv2/f"
tg_probe owner_added_filesystem --cgroup "$A" --expect ok open "$TG_T/srv2/f"
if [ "$(tg_cli status --json | grep -c '"marked":true')" = 2 ]; then
	tg_pass second_filesystem_marked
else
	tg_fail second_filesystem_marked "$(tg_cli status --json)"
fi
write_policy enforce
reload reload_remove_paths
tg_probe allow_removed_path --cgroup "$G" --expect ok open "$S/extra/f"
tg_probe allow_removed_filesystem --cgroup "$G" --expect ok open "$TG_T/srv2/f"
if [ "$(tg_cli status --json | grep -c '"marked":true')" = 1 ]; then
	tg_pass second_filesystem_unmarked
else
	tg_fail second_filesystem_unmarked "$(tg_cli status --json)"
fi
tg_probe still_denied_after_reloads --cgroup "$G" --expect EPERM open "$S/acme/data"

# An owned path on a filesystem that cannot be marked (sysfs: the agent
# must never wait on itself): said at once, in an event and in status.
write_policy enforce ", /sys/kernel/mm"
reload reload_unmarkable_path
tg_event unmarkable_path_event kind=agent op=backends \
	unenforced="$(echo "$expected" | sed 's/"file:create"/"file:open","file:create"/')"
if tg_cli status | grep -q "^fanotify: */sys (dev [0-9:]*) NOT MARKED: a kernel filesystem"; then
	tg_pass unmarkable_path_status
else
	tg_fail unmarkable_path_status "$(tg_cli status)"
fi
write_policy enforce
reload reload_without_unmarkable_path
tg_event unmarkable_path_gone_event kind=agent op=backends unenforced="$expected"

# Stopping with opens in flight leaves no opener waiting.
# loops: start open loops of globex (denied), acme and the host.
loops()
{
	rm -f "$TG_T/loop."*
	for who in "$G" "$A" ""; do
		(
			# Only the loop moves: $$ would be this test's shell.
			set --
			[ -n "$who" ] && set -- --cgroup "$who"
			timeout 60 "$P" "$@" open-loop "$S/acme/d1/d2/d3/f" \
				"${TG_LOOP_OPENS:-20000}" refused \
				>"$TG_T/loop.$(basename "${who:-host}")" 2>&1
			echo "rc $?" >>"$TG_T/loop.$(basename "${who:-host}")"
		) &
		tg_track $!
	done
	sleep 0.5
}
# loops_finished NAME: every loop ended by itself (timeout says 124).
loops_finished()
{
	n=0
	while [ "$(cat "$TG_T/loop."* 2>/dev/null | grep -c '^rc ')" -lt 3 ]; do
		n=$((n + 1))
		if [ "$n" -gt 700 ]; then
			tg_fail "$1" "loops still running: $(ps -eo pid,stat,wchan:32,cmd | grep '[o]pen-loop')"
			return
		fi
		sleep 0.1
	done
	if grep -q "^rc 124" "$TG_T/loop."*; then
		tg_fail "$1" "a loop hung: $(cat "$TG_T/loop."*)"
	else
		tg_pass "$1"
	fi
}
loops
if tg_stop_agent; then
	tg_pass sigterm_with_opens_in_flight_exit_0
else
	tg_fail sigterm_with_opens_in_flight_exit_0 "exit $?"
fi
loops_finished no_opener_left_waiting_after_sigterm
tg_probe unenforced_after_stop --cgroup "$G" --expect ok open "$S/acme/data"

tg_start_agent --file-backend fanotify || exit 1
tg_probe enforced_after_restart --cgroup "$G" --expect EPERM open "$S/acme/data"
loops
kill -KILL "$TG_AGENT_PID"
wait "$TG_AGENT_PID" 2>/dev/null
loops_finished no_opener_left_waiting_after_sigkill
tg_probe unenforced_after_kill --cgroup "$G" --expect ok open "$S/acme/data"

# --file-backend none: nothing enforced, and said so.
tg_start_agent --file-backend none || exit 1
tg_event none_says_file_unenforced --count 1 kind=agent op=start unenforced='["file"'"${unix_un:+,\"unix\",\"proc\"}$fam_un$guard_un"']'
tg_probe none_enforces_nothing --cgroup "$G" --expect ok open "$S/acme/data"
tg_stop_agent

tg_summary
