#!/bin/sh
# test_file_cache (BPF LSM): the per-inode owner cache follows renames of
# whole directories across tenant boundaries (both ways, with answers cached
# at several depths) and policy changes; a tenant's cgroup directory is its
# own, so no other tenant moves processes into it or writes its files.
. /tests/lib/tap.sh
. /tests/lib/tenants.sh

: "${TG_BIN:?}"
tg_env_setup || exit 1
A=$TG_SRV/acme
G=$TG_TDIR/globex
AC=$TG_TDIR/acme
mkdir -p "$TG_T/mv/a/b/c" "$TG_T/initech"
echo x >"$TG_T/mv/f" && echo x >"$TG_T/mv/a/b/c/f"
echo x >"$TG_T/initech/f"
mkdir -p "$A/out/sub" && echo x >"$A/out/sub/f"
mkdir -p "$A/deep"
"$TG_BIN/tg-try" mkdeep "$A/deep" 4200 >/dev/null

tg_start_collector || exit 1
tg_start_agent --require-file-isolation || exit 1

# Answers cached while the tree is shared, then the tree moves into acme's.
tg_probe cache_shared_open --cgroup "$G" --expect ok open "$TG_T/mv/f"
tg_probe cache_shared_open_deep --cgroup "$G" --expect ok open "$TG_T/mv/a/b/c/f"
tg_probe cache_shared_list --cgroup "$G" --expect ok open "$TG_T/mv/a/b" dir
mv "$TG_T/mv" "$A/mv"
tg_probe cache_moved_in_denied --cgroup "$G" --expect EACCES open "$A/mv/f"
tg_event cache_moved_in_denied_event kind=file op=open verdict=deny \
	tenant=globex target_tenant=acme path="$A/mv/f"
tg_probe cache_moved_in_deep_denied --cgroup "$G" --expect EACCES \
	open "$A/mv/a/b/c/f"
tg_probe cache_moved_in_dir_denied --cgroup "$G" --expect EACCES open "$A/mv/a/b" dir
tg_probe cache_moved_in_owner --cgroup "$AC" --expect ok open "$A/mv/a/b/c/f"
# And back out again: shared once more, for everyone.
mv "$A/mv" "$TG_T/mv-back"
tg_probe cache_moved_out_allowed --cgroup "$G" --expect ok open "$TG_T/mv-back/a/b/c/f"
# acme moves its own directory out: its own choice, allowed; then shared.
tg_probe cache_owner_moves_out --cgroup "$AC" --expect ok \
	rename "$A/out" "$TG_T/out"
tg_probe cache_owner_moved_out_shared --cgroup "$G" --expect ok open "$TG_T/out/sub/f"
# A file (not a directory) moved in by the host.
echo y >"$TG_T/lone" && tg_probe cache_file_shared --cgroup "$G" --expect ok open "$TG_T/lone"
mv "$TG_T/lone" "$A/lone"
tg_probe cache_file_moved_in_denied --cgroup "$G" --expect EACCES open "$A/lone"

# A policy change: initech appears and owns a directory globex read before.
# The directory moves below the paths root (refused to every tenant at once:
# the paths root's own owner, until a tenant is registered for it); the
# agent sees it there and initech owns it from then on (also before its
# cgroup exists); the policy generation changes.
tg_probe cache_before_policy --cgroup "$G" --expect ok open "$TG_T/initech/f"
tg_probe cache_before_policy_dir --cgroup "$G" --expect ok open "$TG_T/initech" dir
mv "$TG_T/initech" "$TG_SRV/initech"
tg_wait_tenant initech || tg_fail cache_policy_initech "initech not registered"
tg_probe cache_after_policy_denied --cgroup "$G" --expect EACCES open "$TG_SRV/initech/f"
tg_event cache_after_policy_event kind=file op=open verdict=deny tenant=globex \
	target_tenant=initech path="$TG_SRV/initech/f"


# cgroups: another tenant's cgroup directory and files are out of reach.
tg_probe cgroup_join_other_denied --cgroup "$G" --expect EACCES \
	open "$AC/cgroup.procs" w
tg_event cgroup_join_other_event kind=file op=open verdict=deny tenant=globex \
	target_tenant=acme path="$AC/cgroup.procs"
tg_probe cgroup_write_other_file_denied --cgroup "$G" --expect EACCES \
	open "$AC/cgroup.max.descendants" w
tg_probe cgroup_read_other_denied --cgroup "$G" --expect EACCES open "$AC/cgroup.procs"
tg_probe cgroup_mkdir_other_denied --cgroup "$G" --expect EACCES mkdir "$AC/intruder"
tg_event cgroup_mkdir_other_event kind=file op=mkdir verdict=deny tenant=globex \
	target_tenant=acme path="$AC/intruder"
tg_probe cgroup_mkdir_own --cgroup "$G" --expect ok mkdir "$G/sub"
tg_probe cgroup_join_own_child --cgroup "$G" --cgroup "$G/sub" --expect ok \
	open "$TG_SRV/globex/data"
tg_probe cgroup_write_own_file --cgroup "$G" --expect ok open "$G/cgroup.max.descendants" w
tg_probe cgroup_read_own --cgroup "$AC" --expect ok open "$AC/cgroup.procs"
tg_probe cgroup_host_moves --cgroup "$AC" --expect ok open "$A/data"
# The cache stamp (policy generation + rename epoch + 1) after as many
# renames between owners as a tenant could provoke: where a 32-bit stamp
# wrapped to 0, every fresh entry (0) read as valid and owned by the host.
# Past 48 bits nothing is cached any more. Either way fresh files stay
# refused, and so does a tree too deep to walk.
wrap_case()
{
	echo "wrap-$1" >"$A/fresh-$1"
	tg_probe "epoch_$1_fresh_denied" --cgroup "$G" --expect EACCES \
		open "$A/fresh-$1"
	tg_event "epoch_$1_fresh_event" kind=file op=open verdict=deny \
		tenant=globex target_tenant=acme path="$A/fresh-$1"
	tg_probe "epoch_$1_deep_denied" --cgroup "$G" --expect EACCES \
		opendeep "$A/deep" 4200
	tg_probe "epoch_$1_owner" --cgroup "$AC" --expect ok open "$A/fresh-$1"
	tg_probe "epoch_$1_host" --expect ok open "$A/fresh-$1"
	mkdir -p "$TG_T/wmv-$1" && echo x >"$TG_T/wmv-$1/f"
	tg_probe "epoch_$1_shared_cached" --cgroup "$G" --expect ok \
		open "$TG_T/wmv-$1/f"
	mv "$TG_T/wmv-$1" "$A/wmv-$1"
	tg_probe "epoch_$1_moved_in_denied" --cgroup "$G" --expect EACCES \
		open "$A/wmv-$1/f"
}
gen=$("$TG_BIN/tg-try" map-get policy_gen)
"$TG_BIN/tg-try" map-set rename_epoch $((4294967295 - gen)) >/dev/null
wrap_case 32
"$TG_BIN/tg-try" map-set rename_epoch 281474976710656 >/dev/null
wrap_case 48
tg_summary
