#!/bin/sh
# test_file_fs (BPF LSM): owned paths match on the filesystems tenants'
# data lives on, not only the root one: btrfs, whose subvolumes each report
# a device number of their own (not the superblock's) and repeat each
# other's inode numbers; overlayfs (a container's root: directories and
# files of the merged tree); tmpfs. On each, another tenant is refused
# (with its event), the owner and the host are not, and an object of one
# subvolume is not taken for an owned root of another with the same inode
# number.
. /tests/lib/tap.sh
. /tests/lib/tenants.sh

: "${TG_BIN:?}"
tg_env_setup || exit 1
G=$TG_TDIR/globex
AC=$TG_TDIR/acme
D=$TG_T/fs
mkdir -p "$D/btrfs" "$D/tmpfs" "$D/lower" "$D/upper" "$D/work" "$D/ovl"

# btrfs on a loop device: acme's directory in subvolume sv1, globex's in
# sv2, a host directory in sv3; each first directory of a fresh subvolume
# has inode number 257.
btrfs_ok=0
if command -v mkfs.btrfs >/dev/null && grep -qw btrfs /proc/filesystems; then
	truncate -s 160M "$D/btrfs.img" && mkfs.btrfs -q "$D/btrfs.img" >/dev/null &&
		mount -o loop "$D/btrfs.img" "$D/btrfs" && btrfs_ok=1
fi
if [ $btrfs_ok = 1 ]; then
	tg_on_cleanup "umount -l '$D/btrfs'"
	for v in sv1 sv2 sv3; do
		btrfs subvolume create "$D/btrfs/$v" >/dev/null
	done
	mkdir "$D/btrfs/sv1/acme" "$D/btrfs/sv2/globex" "$D/btrfs/sv3/host" \
		"$D/btrfs/top-acme"
	echo a >"$D/btrfs/sv1/acme/data"
	echo g >"$D/btrfs/sv2/globex/data"
	echo h >"$D/btrfs/sv3/host/data"
	echo t >"$D/btrfs/top-acme/data"
	echo "    inode numbers: $(stat -c '%n %d:%i' "$D/btrfs/sv1/acme" \
		"$D/btrfs/sv2/globex" "$D/btrfs/sv3/host" | tr '\n' ' ')"
fi
mount -t tmpfs tg-fs "$D/tmpfs" && tg_on_cleanup "umount -l '$D/tmpfs'"
mkdir "$D/tmpfs/acme" && echo a >"$D/tmpfs/acme/data"
mkdir -p "$D/lower/acme" "$D/lower/globex"
echo lower >"$D/lower/acme/data"
mount -t overlay tg-ovl -o "lowerdir=$D/lower,upperdir=$D/upper,workdir=$D/work" \
	"$D/ovl" && tg_on_cleanup "umount -l '$D/ovl'"
echo upper >"$D/ovl/acme/new"

TG_POLICY=$TG_T/policy.yaml
btrfs_paths=""
[ $btrfs_ok = 1 ] && btrfs_paths=", $D/btrfs/sv1/acme, $D/btrfs/top-acme"
cat >"$TG_POLICY" <<YAML
version: 1
tenants_cgroup: $TG_TENANTS
tenants:
  acme: {paths: [$TG_SRV/acme, $D/tmpfs/acme, $D/ovl/acme$btrfs_paths]}
  globex: {paths: [$TG_SRV/globex$([ $btrfs_ok = 1 ] && echo ", $D/btrfs/sv2/globex")]}
YAML
tg_start_collector || { echo "collector did not start"; exit 1; }
tg_start_agent --require-file-isolation || {
	echo "    agent did not start: $(tail -n 30 "$TG_T/agent.err")"
	echo "    agent: $(cat /proc/$TG_AGENT_PID/wchan 2>&1) $(cat /proc/$TG_AGENT_PID/stack 2>&1 | head -n 12)"
	exit 1
}

# fs_case NAME PATH: globex refused (EACCES, one event naming acme), acme
# and the host allowed.
fs_case()
{
	before=$(tg_count kind=file op=open verdict=deny tenant=globex \
		target_tenant=acme)
	tg_probe "${1}_other" --cgroup "$G" --expect EACCES open "$2"
	tg_event "${1}_other_event" --count $((before + 1)) kind=file op=open \
		verdict=deny tenant=globex target_tenant=acme
	tg_probe "${1}_owner" --cgroup "$AC" --expect ok open "$2"
	tg_probe "${1}_host" --expect ok open "$2"
}

if [ $btrfs_ok = 1 ]; then
	fs_case btrfs_subvolume_file "$D/btrfs/sv1/acme/data"
	fs_case btrfs_subvolume_dir "$D/btrfs/sv1/acme"
	fs_case btrfs_top_level "$D/btrfs/top-acme/data"
	tg_probe btrfs_own_subvolume --cgroup "$G" --expect ok \
		open "$D/btrfs/sv2/globex/data"
	tg_probe btrfs_acme_refused_globex --cgroup "$AC" --expect EACCES \
		open "$D/btrfs/sv2/globex/data"
	# Same inode number as acme's root, another subvolume: a host object.
	tg_probe btrfs_same_ino_other_subvolume --cgroup "$G" --expect ok \
		open "$D/btrfs/sv3/host/data"
	tg_probe btrfs_same_ino_other_subvolume_dir --cgroup "$G" --expect ok \
		open "$D/btrfs/sv3/host" dir
	# Another way to the same object: a bind mount of the subvolume.
	mkdir -p "$D/bind"
	tg_probe btrfs_bind_mount --cgroup "$G" --expect EACCES \
		mntns "$D/btrfs/sv1" "$D/bind" "$D/bind/acme/data"
	# A snapshot the host makes is a new subvolume with the same inode
	# numbers: owned paths name places, so its copy is a host object, and
	# the original stays acme's.
	btrfs subvolume snapshot "$D/btrfs/sv1" "$D/btrfs/snap" >/dev/null
	tg_probe btrfs_snapshot_other_subvolume --cgroup "$G" --expect ok \
		open "$D/btrfs/snap/acme/data"
	tg_probe btrfs_snapshot_source_still_owned --cgroup "$G" --expect EACCES \
		open "$D/btrfs/sv1/acme/data"
else
	tg_skip btrfs "no btrfs in this guest (mkfs.btrfs or the module missing)"
fi
fs_case tmpfs "$D/tmpfs/acme/data"
fs_case overlay_lower_file "$D/ovl/acme/data"
fs_case overlay_upper_file "$D/ovl/acme/new"
fs_case overlay_dir "$D/ovl/acme"
tg_probe overlay_create_in_other --cgroup "$G" --expect EACCES \
	create "$D/ovl/acme/x"
tg_probe overlay_create_own --cgroup "$AC" --expect ok create "$D/ovl/acme/y"
tg_probe overlay_own_dir_other_tenant --cgroup "$G" --expect ok \
	open "$D/ovl/globex" dir
tg_summary
