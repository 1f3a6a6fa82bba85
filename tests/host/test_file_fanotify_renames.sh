#!/bin/sh
# test_file_fanotify_renames: renames under the fanotify file backend. Every
# kind of rename that moves objects into, out of or between owned trees
# changes the answer at once (once the agent has read it: each check waits
# for a rename the agent has counted after it), denied and allowed, for both
# tenants and the host, with answers cached and ignore marks set before:
# directories across owners, files, RENAME_EXCHANGE, an ancestor of an owned
# root, an owned root itself, the source of a bind mount, an ancestor of a
# mount point, hard links (made before and after the agent started), a
# directory removed, names made in directories removed before the agent
# reads them, and chains of moves read late (identical renames still
# queued are merged by the kernel). Renames that change no
# owner (a tenant's own tree, within one directory, unowned places) forget
# nothing: a tenant's rename loop leaves the host's ignore marks in place,
# asserted through the agent's counters (status --json: renames, flushes by
# scope, ignore marks, answered events).
. "$(dirname "$0")/../lib/tap.sh"
. "$(dirname "$0")/../lib/tenants.sh"

: "${TG_BIN:?}"
tg_env_setup || exit 1
tg_mounted "$TG_SRV" || tg_srv_tmpfs || exit 1
S=$TG_SRV
A=$TG_TDIR/acme
G=$TG_TDIR/globex
P=$TG_BIN/tg-try

# mk FILE...: each file (with its directories) holding one line.
mk()
{
	for f in "$@"; do
		mkdir -p "$(dirname "$f")" && echo x >"$f" || exit 1
	done
}
mk "$S/shared/m1/a/b/f" "$S/acme/m2/a/f" "$S/acme/m3/a/f" \
	"$S/acme/x/m4/a/f" "$S/acme/e1/f" "$S/shared/e1/f" "$S/acme/e2/f" \
	"$S/globex/e2/f" "$S/nest/hostf" "$S/nest/inner/f" "$S/acme/bm/a/f" \
	"$S/acme/hl/f" "$S/acme/pre/f" "$S/acme/file9" "$S/shared/h9" \
	"$S/acme/c1/c2/x/f" "$S/acme/c1/c2/g" "$S/shared/k1/k2/y/f" \
	"$S/shared/hot/f" "$S/acme/r1/d/f" "$S/acme/same/d/f" \
	"$S/shared/hostmv/d/f" "$TG_T/mp/m/f"
mkdir -p "$S/acme/y" "$S/acme/r2" "$S/shared/bar/a" "$S/shared/pre" \
	"$S/acme/gone/sub" "$TG_T/bm" || exit 1
ln "$S/acme/pre/f" "$S/shared/pre/f"	# before the agent starts
# The source of a bind mount, and a filesystem mounted below a directory
# that is renamed (its root is an owned path).
mount --bind "$S/acme/bm" "$TG_T/bm" || exit 1
tg_on_cleanup "umount -l '$TG_T/bm'"
rm -f "$TG_T/mp/m/f"
mount -t tmpfs -o mode=0755 tg-test-mp "$TG_T/mp/m" || exit 1
tg_on_cleanup "umount -l '$TG_T/mp/m'"
echo x >"$TG_T/mp/m/f"

TG_POLICY=$TG_T/policy.yaml
mkdir -p "$TG_T/policy.d"
cat >"$TG_POLICY" <<YAML
version: 1
tenants_cgroup: $TG_TENANTS
tenants:
  acme:
    paths: [$S/acme, $S/nest/inner, $TG_T/mp/m]
  globex:
    paths: [$S/globex]
YAML
tg_start_collector || exit 1
tg_start_agent --file-backend fanotify || exit 1

tg_cli status --json | tr -d ' \n' >"$TG_T/status.json"
if ! grep -q '"renames_watched":true' "$TG_T/status.json"; then
	tg_skip renames "no rename watch here (tmpfs has file ids from 6.7): answers are kept 1 s, no ignore marks"
	tg_summary
	exit 0
fi

# stat_of KEY: a counter of the fanotify backend's status: answered,
# ignore_marks; directories, owner_kept (renames); all, host, tenant
# (flushes).
stat_of()
{
	case $1 in
	directories | owner_kept) o=renames ;;
	all | host | tenant) o=flushes ;;
	*) o=fanotify ;;
	esac
	tg_cli status --json | tr -d ' \n' |
		sed -n "s/.*\"$o\":{\([^{}]*\([{][^{}]*[}][^{}]*\)*\)}.*/\1/p" |
		tr ',' '\n' | sed -n "s/^\"$1\":\([0-9]*\)$/\1/p"
}
# barrier: a directory renamed within an unowned directory, waited for
# until the agent counted a rename since, and then until its count stays
# the same for 0.2 s: the events queued before it (moves the test made) are
# read first, and the agent reads thousands in that time.
barrier()
{
	b=$(stat_of directories)
	if [ -d "$S/shared/bar/a" ]; then
		mv "$S/shared/bar/a" "$S/shared/bar/b"
	else
		mv "$S/shared/bar/b" "$S/shared/bar/a"
	fi
	n=0
	while [ "$(stat_of directories)" -le "$b" ]; do
		n=$((n + 1))
		[ "$n" -gt 100 ] && return 1
		sleep 0.05
	done
	b=-1
	while [ "$(stat_of directories)" != "$b" ]; do
		b=$(stat_of directories)
		n=$((n + 1))
		[ "$n" -gt 200 ] && return 1
		sleep 0.2
	done
}
# see NAME WHO(acme|globex|host) ok|EPERM PATH [dir]
see()
{
	name=$1 who=$2 want=$3 path=$4 kind=${5:-r}
	case $who in
	acme) tg_probe "$name" --cgroup "$A" --expect "$want" open "$path" "$kind" ;;
	globex) tg_probe "$name" --cgroup "$G" --expect "$want" open "$path" "$kind" ;;
	host) tg_probe "$name" --expect "$want" open "$path" "$kind" ;;
	esac
}
# warm PATH...: opened by the three actors, so that answers are cached and
# the unowned ones ignore-marked.
warm()
{
	for p in "$@"; do
		"$P" --cgroup "$A" open "$p" >/dev/null 2>&1
		"$P" --cgroup "$G" open "$p" >/dev/null 2>&1
		"$P" open "$p" >/dev/null 2>&1
	done
}
# count_is NAME KEY BEFORE DELTA: a counter moved by DELTA since BEFORE.
count_is()
{
	now=$(stat_of "$2")
	if [ "$now" = $(($3 + $4)) ]; then
		tg_pass "$1"
	else
		tg_fail "$1" "$2: $3 before, $now now, expected +$4"
	fi
}

# A host directory, answers cached three levels deep, moved into a tenant's
# tree: its unowned answers and ignore marks go.
warm "$S/shared/m1" "$S/shared/m1/a" "$S/shared/m1/a/b/f"
warm "$S/shared/m1/a/b/f"
h=$(stat_of host)
mv "$S/shared/m1" "$S/acme/m1" && barrier
see dir_into_tenant_denied globex EPERM "$S/acme/m1/a/b/f"
see dir_into_tenant_denied_dir globex EPERM "$S/acme/m1/a" dir
see dir_into_tenant_owner acme ok "$S/acme/m1/a/b/f"
see dir_into_tenant_host host ok "$S/acme/m1/a/b/f"
count_is dir_into_tenant_flushes_unowned host "$h" 1

# A tenant's directory moved out to an unowned place.
warm "$S/acme/m2/a/f" "$S/acme/m2/a"
t=$(stat_of tenant) h=$(stat_of host)
mv "$S/acme/m2" "$S/shared/m2" && barrier
see dir_out_of_tenant_allowed globex ok "$S/shared/m2/a/f"
see dir_out_of_tenant_allowed_dir globex ok "$S/shared/m2/a" dir
see dir_out_of_tenant_former_owner acme ok "$S/shared/m2/a/f"
count_is dir_out_of_tenant_flushes_one_tenant tenant "$t" 1
count_is dir_out_of_tenant_keeps_unowned host "$h" 0

# Between two tenants' trees, and back.
warm "$S/acme/m3/a/f" "$S/acme/m3/a"
mv "$S/acme/m3" "$S/globex/m3" && barrier
see dir_between_tenants_former_owner_denied acme EPERM "$S/globex/m3/a/f"
see dir_between_tenants_former_owner_denied_dir acme EPERM "$S/globex/m3/a" dir
see dir_between_tenants_new_owner globex ok "$S/globex/m3/a/f"
see dir_between_tenants_host host ok "$S/globex/m3/a/f"
mv "$S/globex/m3" "$S/acme/m3" && barrier
see dir_back_denied globex EPERM "$S/acme/m3/a/f"
see dir_back_owner acme ok "$S/acme/m3/a/f"

# Across directories inside one tenant's tree: nothing forgotten.
warm "$S/acme/x/m4/a/f"
k=$(stat_of owner_kept) t=$(stat_of tenant) al=$(stat_of all)
mv "$S/acme/x/m4" "$S/acme/y/m4" && barrier
see dir_within_tenant_denied globex EPERM "$S/acme/y/m4/a/f"
see dir_within_tenant_owner acme ok "$S/acme/y/m4/a/f"
count_is dir_within_tenant_kept owner_kept "$k" 2 # with the barrier's
count_is dir_within_tenant_no_tenant_flush tenant "$t" 0
count_is dir_within_tenant_no_full_flush all "$al" 0

# RENAME_EXCHANGE: a tenant's directory and an unowned one, then two
# tenants' directories, trade places (each direction is one move).
warm "$S/acme/e1/f" "$S/shared/e1/f" "$S/acme/e2/f" "$S/globex/e2/f"
"$P" rename "$S/acme/e1" "$S/shared/e1" exchange >/dev/null && barrier
see exchange_unowned_now_owned globex EPERM "$S/acme/e1/f"
see exchange_unowned_now_owned_owner acme ok "$S/acme/e1/f"
see exchange_owned_now_unowned globex ok "$S/shared/e1/f"
"$P" rename "$S/acme/e2" "$S/globex/e2" exchange >/dev/null && barrier
see exchange_tenants_globex_denied globex EPERM "$S/acme/e2/f"
see exchange_tenants_acme_denied acme EPERM "$S/globex/e2/f"
see exchange_tenants_acme_own acme ok "$S/acme/e2/f"
see exchange_tenants_globex_own globex ok "$S/globex/e2/f"

# An unowned directory holding an owned root moved into another tenant's
# tree: the root stays its tenant's, the rest becomes the new tree's.
warm "$S/nest/inner/f" "$S/nest/hostf"
mv "$S/nest" "$S/globex/nest" && barrier
see root_ancestor_root_kept globex EPERM "$S/globex/nest/inner/f"
see root_ancestor_root_owner acme ok "$S/globex/nest/inner/f"
see root_ancestor_rest_new_owner globex ok "$S/globex/nest/hostf"
see root_ancestor_rest_denied acme EPERM "$S/globex/nest/hostf"
mv "$S/globex/nest" "$S/nest" && barrier
see root_ancestor_back_unowned acme ok "$S/nest/hostf"
see root_ancestor_back_unowned_globex globex ok "$S/nest/hostf"
see root_ancestor_back_root globex EPERM "$S/nest/inner/f"
# The owned root itself moved into another tenant's tree and back.
mv "$S/nest/inner" "$S/globex/inner" && barrier
see root_moved_still_owned globex EPERM "$S/globex/inner/f"
see root_moved_owner acme ok "$S/globex/inner/f"
mv "$S/globex/inner" "$S/nest/inner" && barrier
see root_moved_back globex EPERM "$S/nest/inner/f"

# The source of a bind mount moved out of and back into a tenant's tree:
# the bind mount shows the same objects, whose owner follows the move.
warm "$TG_T/bm/a/f"
see bind_source_before globex EPERM "$TG_T/bm/a/f"
mv "$S/acme/bm" "$S/shared/bm" && barrier
see bind_source_out_allowed globex ok "$TG_T/bm/a/f"
mv "$S/shared/bm" "$S/acme/bm" && barrier
see bind_source_in_denied globex EPERM "$TG_T/bm/a/f"
# A directory above a mount point whose filesystem root is owned.
mv "$TG_T/mp" "$TG_T/mp2" && barrier
see mount_point_parent_moved globex EPERM "$TG_T/mp2/m/f"
see mount_point_parent_moved_owner acme ok "$TG_T/mp2/m/f"
mv "$TG_T/mp2" "$TG_T/mp"

# Hard links. A second name made while the agent runs: the object is owned
# by the places of all its names, by every name, also after the directory
# holding one moves (out of every owned tree: no owner left; into another
# tenant's: that tenant's).
ln "$S/acme/hl/f" "$S/shared/hlname"
see hardlink_owned_name_before globex EPERM "$S/acme/hl/f"
see hardlink_other_name_before globex EPERM "$S/shared/hlname"
mv "$S/acme/hl" "$S/shared/hl" && barrier
see hardlink_dir_out_allowed globex ok "$S/shared/hl/f"
mv "$S/shared/hl" "$S/globex/hl" && barrier
see hardlink_dir_into_other_tenant acme EPERM "$S/globex/hl/f"
see hardlink_other_name_follows acme EPERM "$S/shared/hlname"
# A name made before the agent started: the object stays its owner's
# wherever the directory holding its other name goes.
warm "$S/shared/pre/f"
mv "$S/shared/pre" "$S/globex/pre" && barrier
see hardlink_before_start_kept globex EPERM "$S/globex/pre/f"
see hardlink_before_start_owner acme ok "$S/globex/pre/f"

# Files renamed between owners.
warm "$S/acme/file9" "$S/shared/h9"
mv "$S/acme/file9" "$S/shared/file9" && mv "$S/shared/h9" "$S/globex/h9" &&
	barrier
see file_out_of_tenant_allowed globex ok "$S/shared/file9"
see file_into_tenant_denied acme EPERM "$S/globex/h9"
see file_into_tenant_owner globex ok "$S/globex/h9"

# Chains read late: a directory moved, then its old place's ancestor, back
# to back, out of a tenant's tree; and the same into one.
warm "$S/acme/c1/c2/x/f" "$S/acme/c1/c2/g" "$S/acme/c1/c2"
mv "$S/acme/c1/c2/x" "$S/shared/x" && mv "$S/acme/c1" "$S/shared/c1" &&
	barrier
see chain_out_first globex ok "$S/shared/x/f"
see chain_out_second globex ok "$S/shared/c1/c2/g"
see chain_out_second_dir globex ok "$S/shared/c1/c2" dir
warm "$S/shared/k1/k2/y/f" "$S/shared/k1/k2/y" "$S/shared/k1/k2"
mv "$S/shared/k1/k2/y" "$S/acme/y/y" && mv "$S/shared/k1" "$S/globex/k1" &&
	barrier
see chain_in_first globex EPERM "$S/acme/y/y/f"
see chain_in_first_dir globex EPERM "$S/acme/y/y" dir
see chain_in_second acme EPERM "$S/globex/k1/k2" dir

# A directory removed in a tenant's tree: that tenant's answers only.
t=$(stat_of tenant) h=$(stat_of host) al=$(stat_of all)
rmdir "$S/acme/gone/sub" && barrier
see rmdir_still_denied globex EPERM "$S/acme/gone" dir
count_is rmdir_no_unowned_flush host "$h" 0
count_is rmdir_no_full_flush all "$al" 0

# A tenant's rename loop in its own tree (across directories, and within
# one) while the host's ignore marks are set: no flush of any scope, the
# host's next open raises no event at all.
warm "$S/shared/hot/f" "$S/shared/hot"
"$P" open "$S/shared/hot/f" >/dev/null
d=$(stat_of directories) k=$(stat_of owner_kept) al=$(stat_of all)
h=$(stat_of host) t=$(stat_of tenant) im=$(stat_of ignore_marks)
if out=$("$P" --cgroup "$A" rename-loop "$S/acme/r1/d" "$S/acme/r2/d" 500 2>&1) &&
	out=$("$P" --cgroup "$A" rename-loop "$S/acme/same/d" "$S/acme/same/e" 500 2>&1) &&
	out=$("$P" rename-loop "$S/shared/hostmv/d" "$S/shared/bar/d" 200 2>&1) &&
	barrier; then
	tg_pass rename_loops
else
	tg_fail rename_loops "$out"
fi
# Identical renames still queued are merged by the kernel: the agent reads
# some of them, every one of which kept every owner.
d2=$(stat_of directories) k2=$(stat_of owner_kept)
if [ "$d2" -gt "$d" ]; then
	tg_pass rename_loops_counted
else
	tg_fail rename_loops_counted "directories: $d before, $d2 after"
fi
if [ $((d2 - d)) = $((k2 - k)) ]; then
	tg_pass rename_loops_kept_every_owner
else
	tg_fail rename_loops_kept_every_owner "$((d2 - d)) renames read, $((k2 - k)) kept every owner"
fi
count_is rename_loops_no_full_flush all "$al" 0
count_is rename_loops_no_unowned_flush host "$h" 0
count_is rename_loops_no_tenant_flush tenant "$t" 0
count_is rename_loops_ignore_marks_kept ignore_marks "$im" 0
n=$(stat_of answered)
"$P" open "$S/shared/hot/f" >/dev/null && "$P" open "$S/shared/hot" dir >/dev/null
count_is host_open_after_loops_not_asked answered "$n" 0
see rename_loops_owner_still_denied globex EPERM "$S/acme/r1/d/f"
# A tenant making, linking, renaming and removing files and directories in
# its own tree: no full flush (a name whose directory is gone by the time
# it is read went with it), no unowned flush, the host's next open unasked.
al=$(stat_of all) h=$(stat_of host) im=$(stat_of ignore_marks)
if out=$("$P" --cgroup "$A" dir-loop "$S/acme/r2/churn" 2000 2>&1) && barrier; then
	tg_pass dir_loop
else
	tg_fail dir_loop "$out"
fi
count_is dir_loop_no_full_flush all "$al" 0
count_is dir_loop_no_unowned_flush host "$h" 0
count_is dir_loop_ignore_marks_kept ignore_marks "$im" 0
n=$(stat_of answered)
"$P" open "$S/shared/hot/f" >/dev/null
count_is host_open_after_dir_loop_not_asked answered "$n" 0
# A tenant's directory moved to another tenant's tree forgets that
# tenant's answers, never the host's ignore marks.
im=$(stat_of ignore_marks)
mv "$S/acme/r1/d" "$S/globex/d" && barrier
count_is tenant_to_tenant_ignore_marks_kept ignore_marks "$im" 0
n=$(stat_of answered)
"$P" open "$S/shared/hot/f" >/dev/null
count_is host_open_after_tenant_move_not_asked answered "$n" 0

tg_cli status >"$TG_T/status" 2>&1
if grep -q "^fanotify: *[0-9]* directory renames ([0-9]* changed no owner); answers forgotten: all [0-9]*, unowned [0-9]*, one tenant's [0-9]*" "$TG_T/status"; then
	tg_pass status_human_renames
else
	tg_fail status_human_renames "$(cat "$TG_T/status")"
fi
tg_stop_agent
tg_summary
