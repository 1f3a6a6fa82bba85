#!/bin/sh
# test_file_bypass (BPF LSM): the ways around a path-string check all end at
# the same owner: hard links made before the agent started, mount
# namespaces, /proc/PID/root and /proc/PID/fd, O_PATH descriptors, openat2
# resolve flags, io_uring, file handles, chroot, deep trees; inotify, dnotify
# and fanotify watches. The same ways stay open for a tenant's own objects.
. /tests/lib/tap.sh
. /tests/lib/tenants.sh

: "${TG_BIN:?}"
tg_env_setup || exit 1
A=$TG_SRV/acme
GX=$TG_SRV/globex
G=$TG_TDIR/globex
AC=$TG_TDIR/acme

# Hard links made before the policy exists.
echo secret >"$A/linked-out"
ln "$A/linked-out" "$TG_T/outside-link"
echo secret >"$A/linked-in"
ln "$A/linked-in" "$GX/stolen-before"
echo own >"$A/own1"
ln "$A/own1" "$A/own2"
echo host >"$TG_T/hostfile"
ln "$TG_T/hostfile" "$A/hostfile"	# a host file a tenant linked in
mkdir -p "$TG_T/mv-none" && echo x >"$TG_T/mv-none/f"
for f in sh1 sh2 reuse; do
	echo shared >"$A/$f"
	ln "$A/$f" "$GX/$f"
done
mkdir -p "$GX/mnt" "$A/deep1000" "$A/deep4200" "$GX/deep4200"
"$TG_BIN/tg-try" mkdeep "$A/deep1000" 1000 >/dev/null
"$TG_BIN/tg-try" mkdeep "$A/deep4200" 4200 >/dev/null
"$TG_BIN/tg-try" mkdeep "$GX/deep4200" 4200 >/dev/null
for f in u1 r1; do echo "$f" >"$A/$f"; done

tg_start_collector || exit 1
tg_start_agent --require-file-isolation || exit 1

# denied NAME KEY=VALUE... -- PROBE_ARGS...: globex gets EACCES and an event.
denied()
{
	name=$1
	shift
	kv=""
	while [ "$1" != -- ]; do
		kv="$kv $1"
		shift
	done
	shift
	tg_probe "$name" --cgroup "$G" --expect EACCES "$@"
	# shellcheck disable=SC2086
	tg_event "${name}_event" kind=file verdict=deny tenant=globex $kv
}

# Ownership follows the object: a name made outside every owned tree before
# the policy was loaded leads to the owner all the same, and so does the
# host's name of a host file linked into a tenant's tree before the agent
# started (reported; the kernel refuses such a link once the agent runs).
denied hardlink_outside_made_before target_tenant=acme op=open \
	path="$TG_T/outside-link" -- open "$TG_T/outside-link"
denied hardlink_outside_owned_name target_tenant=acme op=open \
	path="$A/linked-out" -- open "$A/linked-out"
denied hardlink_host_file_linked_in_before target_tenant=acme op=open \
	path="$TG_T/hostfile" -- open "$TG_T/hostfile"
denied hardlink_host_file_tenant_name target_tenant=acme op=open \
	path="$A/hostfile" -- open "$A/hostfile"
tg_event hardlink_outside_reported kind=agent op=hardlinks outside=2
tg_probe hardlink_outside_owner_allowed --cgroup "$AC" --expect ok \
	open "$TG_T/outside-link"
# Once the agent runs: pulling a host file into one's own tree is refused
# (it would take the file from every other tenant); a tenant's own links
# inside its tree and out of it work.
echo host2 >"$TG_T/hostfile2"
tg_probe hardlink_pull_host_file --cgroup "$AC" --expect EACCES \
	link "$TG_T/hostfile2" "$A/pulled"
tg_event hardlink_pull_host_file_event kind=file op=link verdict=deny \
	tenant=acme target_tenant=host path="$A/pulled"
tg_probe hardlink_pull_host_file_to_shared --cgroup "$AC" --expect ok \
	link "$TG_T/hostfile2" "$TG_T/hostfile2-link"
tg_probe hardlink_own_out_of_tree --cgroup "$AC" --expect ok \
	link "$A/own1" "$TG_T/own1-out"
tg_probe hardlink_host_links_host_file_in --expect ok \
	link "$TG_T/hostfile2" "$A/host-put"
denied hardlink_in_own_tree_made_before 'target_tenant=(several)' op=open \
	path="$GX/stolen-before" -- open "$GX/stolen-before"
tg_event hardlink_shared_reported kind=agent op=hardlinks shared=4 dropped=0
if grep '"op":"hardlinks"' "$TG_LOG" | grep -q "\"example\":\"$TG_SRV/"; then
	tg_pass hardlink_shared_example
else
	tg_fail hardlink_shared_example "$(grep '"op":"hardlinks"' "$TG_LOG")"
fi
# A recorded object that lost its other names is no longer shared: its
# inode number could be a new file's.
denied hardlink_reuse_before 'target_tenant=(several)' op=open \
	path="$GX/reuse" -- open "$GX/reuse"
rm "$A/reuse"
tg_probe hardlink_reuse_single_link_own --cgroup "$G" --expect ok open "$GX/reuse"
# An object below two tenants' roots belongs to neither (fail closed).
tg_probe hardlink_shared_denied_to_owner_too --cgroup "$AC" --expect EACCES \
	open "$A/linked-in"
tg_probe hardlink_own_tree_allowed --cgroup "$AC" --expect ok open "$A/own2"
tg_probe hardlink_host_allowed --expect ok open "$TG_T/outside-link"

denied mount_namespace_bind target_tenant=acme op=open -- \
	mntns "$A" "$GX/mnt" "$GX/mnt/data"
tg_probe mount_namespace_own --cgroup "$G" --expect ok \
	mntns "$GX" "$GX/mnt" "$GX/mnt/data"
# The event names the object as the host sees it, not as the opener's
# mount namespace shows it (a subtree bound elsewhere): its owned root by
# the policy's path, the path below it, its device and inode.
mkdir -p "$A/sub/dir" && echo s >"$A/sub/dir/f"
denied mount_namespace_bind_object target_tenant=acme op=open \
	object.owner=acme object.root="$A" object.path=sub/dir/f \
	object.dev="$(tg_dev "$A/sub/dir/f")" \
	object.ino="$(stat -c %i "$A/sub/dir/f")" -- \
	mntns "$A/sub" "$GX/mnt" "$GX/mnt/dir/f"

# Another tenant's process: its root, cwd and open files under /proc. Process
# isolation refuses its /proc/PID before the file is reached (kind proc).
"$TG_BIN/tg-try" --cgroup "$AC" hold "$A/data" "$TG_T/held" &
tg_track $!
tg_wait_file "$TG_T/held" 10
read -r hpid hfd <"$TG_T/held"
for w in "root$A/data" "fd/$hfd"; do
	tg_probe "proc_pid_$(echo "${w%%/*}" | tr -dc a-z)" --cgroup "$G" \
		--expect EACCES open "/proc/$hpid/$w"
done
tg_event proc_pid_event --count 2 kind=proc op=proc_open verdict=deny \
	tenant=globex target_tenant=acme target_pid="$hpid"
tg_probe proc_pid_fd_by_owner --cgroup "$AC" --expect ok open "/proc/$hpid/fd/$hfd"

denied opath_openat target_tenant=acme op=open path="$A/data" -- \
	opath "$A" openat data
denied opath_fchdir_open target_tenant=acme op=open path="$A/data" -- \
	opath "$A" fchdir-open data
denied opath_linkat target_tenant=acme op=link path="$A/data" -- \
	opath "$A/data" linkat "$GX/opath-link"
denied opath_reopen_proc target_tenant=acme op=open path="$A/data" -- \
	opath "$A/data" reopen
# Not enforced (documented): metadata through O_PATH, stat, lookup.
tg_probe opath_fstat_metadata_allowed --cgroup "$G" --expect ok opath "$A/data" fstat
tg_probe opath_own_reopen --cgroup "$G" --expect ok opath "$GX/data" reopen

denied openat2_beneath target_tenant=acme op=open path="$A/data" -- \
	openat2 "$TG_SRV" acme/data beneath
denied openat2_in_root target_tenant=acme op=open path="$A/data" -- \
	openat2 "$TG_T" /srv/acme/data in_root
denied openat2_no_symlinks_no_xdev target_tenant=acme op=open path="$A/data" -- \
	openat2 "$TG_SRV" acme/data no_symlinks,no_xdev,no_magiclinks
tg_probe openat2_own --cgroup "$G" --expect ok openat2 "$TG_SRV" globex/data beneath

denied uring_openat target_tenant=acme op=open path="$A/data" -- \
	uring openat "$A/data"
denied uring_openat_sqpoll target_tenant=acme op=open path="$A/data" -- \
	uring openat-sqpoll "$A/data"
denied uring_unlinkat target_tenant=acme op=unlink path="$A/u1" -- \
	uring unlinkat "$A/u1"
denied uring_mkdirat target_tenant=acme op=mkdir path="$A/m1" -- \
	uring mkdirat "$A/m1"
denied uring_renameat target_tenant=acme op=rename path="$A/r1" -- \
	uring renameat "$A/r1" "$GX/r1"
denied uring_linkat target_tenant=acme op=link path="$A/data" -- \
	uring linkat "$A/data" "$GX/l1"
denied uring_symlinkat target_tenant=acme op=symlink path="$A/s1" -- \
	uring symlinkat /etc/passwd "$A/s1"
tg_probe uring_openat_own --cgroup "$G" --expect ok uring openat "$GX/data"
tg_probe uring_openat_sqpoll_owner --cgroup "$AC" --expect ok uring openat-sqpoll "$A/data"
tg_probe uring_mkdirat_own --cgroup "$G" --expect ok uring mkdirat "$GX/m1"

# By file handle: no path at all (a disconnected alias would be refused to
# every tenant; tmpfs keeps its dentries, so this one is connected).
denied open_by_handle target_tenant=acme op=open path="$A/data" -- \
	byhandle "$TG_T" "$A/data"
tg_probe open_by_handle_own --cgroup "$G" --expect ok byhandle "$TG_T" "$GX/data"

# overlayfs in a user namespace of one's own, another tenant's directory as
# its lower layer: before 6.7 the lower file is opened with the overlay's
# path, which no tenant owns; its own inode decides.
mkdir -p "$TG_T/ovl-g" "$TG_T/ovl-a"
n=$(tg_count kind=file op=open verdict=deny tenant=globex target_tenant=acme)
tg_probe overlay_lower_other --cgroup "$G" --expect EACCES \
	overlay "$A" "$TG_T/ovl-g" data
# The path is the overlay's (6.1) or the lower layer's (6.12): not matched.
tg_event overlay_lower_other_event --count $((n + 1)) kind=file op=open \
	verdict=deny tenant=globex target_tenant=acme
tg_probe overlay_lower_own --cgroup "$AC" --expect ok overlay "$A" "$TG_T/ovl-a" data
tg_probe overlay_lower_shared --cgroup "$G" --expect ok \
	overlay "$TG_T/mv-none" "$TG_T/ovl-g" f
denied chroot_open target_tenant=acme op=open object.root="$A" \
	object.path=data object.ino="$(stat -c %i "$A/data")" -- \
	chroot "$TG_T" /srv/acme/data
tg_probe chroot_own --cgroup "$G" --expect ok chroot "$TG_T" /srv/globex/data

# Deep trees: walked to the end up to TG_MAX_PATH_DEPTH (4096) levels;
# deeper, the owner is unknown and every tenant is refused (fail closed).
denied deep_1000 target_tenant=acme op=open -- opendeep "$A/deep1000" 1000
tg_probe deep_1000_owner --cgroup "$AC" --expect ok opendeep "$A/deep1000" 1000
denied deep_4200_beyond_walk 'target_tenant=(unknown)' op=open -- \
	opendeep "$A/deep4200" 4200
tg_probe deep_4200_own_fail_closed --cgroup "$G" --expect EACCES \
	opendeep "$GX/deep4200" 4200
tg_probe deep_4200_host --expect ok opendeep "$A/deep4200" 4200

# Watches (path_notify): none that would show another tenant's names or
# activity, by any path to the object; one's own, the host's and a fresh
# filesystem of one's own stay watchable.
denied watch_inotify_other_dir target_tenant=acme op=watch watch=object \
	path="$A" -- inotify "$A"
denied watch_inotify_other_file target_tenant=acme op=watch watch=object \
	path="$A/data" -- inotify "$A/data"
denied watch_inotify_proc_root target_tenant=acme op=watch watch=object \
	path="$A/data" -- inotify "/proc/self/root$A/data"
denied watch_inotify_hardlink target_tenant=acme op=watch watch=object \
	-- inotify "$TG_T/outside-link"
denied watch_dnotify_other target_tenant=acme op=watch watch=object \
	path="$A" -- dnotify "$A"
denied watch_fanotify_inode_other target_tenant=acme op=watch watch=object \
	path="$A/data" -- fanotify-mark inode "$A/data"
# A directory holding both tenants' roots reports their own activity: the
# tenants cgroup (their cgroup directories); the paths root is more, the
# unregistered owner's.
denied watch_parent_of_roots 'target_tenant=(several)' op=watch \
	watch=object -- inotify "$TG_TDIR"
denied watch_paths_root 'target_tenant=(unregistered)' op=watch \
	watch=object path="$TG_SRV" -- inotify "$TG_SRV"
denied watch_fanotify_fs_shared 'target_tenant=(several)' op=watch \
	watch=filesystem -- fanotify-mark fs "$GX/data"
denied watch_fanotify_mount_host 'target_tenant=(several)' op=watch \
	watch=mount -- fanotify-mark mount "$GX/data"
mkdir -p "$TG_T/watch-mnt"
denied watch_fanotify_mount_other_bind 'target_tenant=(several)' op=watch \
	watch=mount -- ns-mark mount "$A" "$TG_T/watch-mnt"
tg_probe watch_inotify_own --cgroup "$G" --expect ok inotify "$GX"
tg_probe watch_dnotify_own --cgroup "$G" --expect ok dnotify "$GX"
tg_probe watch_fanotify_inode_own --cgroup "$G" --expect ok \
	fanotify-mark inode "$GX/data"
tg_probe watch_inotify_host_dir --cgroup "$G" --expect ok inotify "$TG_T"
tg_probe watch_inotify_host_file --cgroup "$G" --expect ok inotify /etc/passwd
tg_probe watch_fanotify_mount_own_bind --cgroup "$G" --expect ok \
	ns-mark mount "$GX" "$TG_T/watch-mnt"
tg_probe watch_fanotify_fs_own_tmpfs --cgroup "$G" --expect ok \
	ns-mark fs tmpfs "$TG_T/watch-mnt"
tg_probe watch_host_other_dir --expect ok inotify "$A"
tg_probe watch_host_fs --expect ok fanotify-mark fs "$A/data"

# More shared objects than a tenant's limit: the agent starts and says so.
tg_stop_agent
tg_start_agent --require-file-isolation --links-per-tenant 2 ||
	tg_fail hardlink_limit_start "agent did not start"
tg_event hardlink_limit_reported --count 1 kind=agent op=hardlinks shared=2 \
	outside=0 limit=2 dropped_tenant=acme
tg_probe hardlink_limit_still_enforced --cgroup "$G" --expect EACCES \
	open "$A/data"
tg_summary
