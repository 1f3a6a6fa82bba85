#!/bin/sh
# image/build.sh --build DIR [--deb FILE] [--check]: the Debian 12 VM
# image, in DIR/image/ (with --check, in DIR/image-check/: the same image
# with the checks of make check-image, image/check/, added and run at boot):
#   tenantguard.img  a bootable raw disk (MBR, one ext4 partition labelled
#                    tgroot, GRUB for BIOS with bpf in the kernel's LSM list)
#   vmlinuz, initrd.img, cmdline, kernel-version  the image's kernel,
#                    initramfs and GRUB's kernel command line, to boot it
#                    with QEMU's -kernel
# The cached base (image/base.sh: Debian's packages only) is unpacked, the
# package (FILE, default the newest DIR/deb/tenantguard_*.deb, `make deb`)
# installed into it with dpkg as at any install, the example tenants of
# image/rootfs/ added, and the tree written into the disk with mke2fs -d:
# a new build of the project costs no mmdebstrap run. Needs root.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
build=build deb="" check=""
while [ $# -gt 0 ]; do
	case $1 in
	--build) build=$2; shift 2 ;;
	--deb) deb=$2; shift 2 ;;
	--check) check=1; shift ;;
	*) echo "image/build.sh: unknown argument $1" >&2; exit 2 ;;
	esac
done
build=$(cd "$build" && pwd)
if [ "$(id -u)" != 0 ]; then
	echo "image: needs root (the image's files keep their owners; dpkg runs in a chroot)" >&2
	exit 1
fi
if [ -z "$deb" ]; then
	deb=$(ls "$build"/deb/tenantguard_*.deb 2>/dev/null | tail -n 1)
	[ -n "$deb" ] || { echo "image: no package in $build/deb (make deb)" >&2; exit 1; }
fi
out=$build/image${check:+-check}
root=$out/root
mkdir -p "$out"
start=$(date +%s)
base=$("$here/base.sh" "$deb" "${TG_CACHE:-/var/cache/tenantguard}")
base_s=$(($(date +%s) - start))

rm -rf "$root"
mkdir -p "$root"
tar -C "$root" -xf "$base"
cp "$deb" "$root/tmp/tenantguard.deb"
# Offline: the base holds every dependency. No systemd runs in the chroot,
# so the units are enabled and start at the image's boot; /proc for
# systemd-tmpfiles in the maintainer scripts.
mount -t proc proc "$root/proc"
trap 'umount "$root/proc" 2>/dev/null' EXIT
if ! chroot "$root" dpkg -i /tmp/tenantguard.deb >"$out/dpkg.log" 2>&1; then
	echo "image: dpkg -i of $deb failed:" >&2
	tail -n 5 "$out/dpkg.log" >&2
	exit 1
fi
umount "$root/proc"
trap - EXIT
rm -f "$root/tmp/tenantguard.deb"
# The example tenants: their slices, web servers, files and the policy.
cp -R "$here/rootfs/." "$root/"
chown -R 0:0 "$root/etc/tenantguard/policy.yaml" "$root/etc/systemd/system" "$root/srv/tenants"
for t in acme globex; do
	ln -sf "/etc/systemd/system/$t-web.service" "$root/etc/systemd/system/multi-user.target.wants/$t-web.service"
done
if [ -n "$check" ]; then
	# The checks, and the package as version N+1 with another agent
	# (tenantguard-agent-variant: one BPF program differs) for the upgrade.
	lib=$root/usr/local/lib/tenantguard-image-check
	mkdir -p "$lib"
	cp "$here/check/guest.sh" "$lib/"
	cp "$here/check/tenantguard-image-check.service" "$root/etc/systemd/system/"
	ln -sf /etc/systemd/system/tenantguard-image-check.service \
		"$root/etc/systemd/system/multi-user.target.wants/tenantguard-image-check.service"
	if [ -x "$build/tenantguard-agent-variant" ]; then
		rm -rf "$out/next"
		dpkg-deb -R "$deb" "$out/next"
		sed -i 's/^Version: .*/&+next1/' "$out/next/DEBIAN/control"
		install -m 0755 "$build/tenantguard-agent-variant" "$out/next/usr/sbin/tenantguard-agent"
		sed -i '/ usr\/sbin\/tenantguard-agent$/d' "$out/next/DEBIAN/md5sums"
		dpkg-deb --root-owner-group -b "$out/next" "$lib/tenantguard-next.deb" >/dev/null
		rm -rf "$out/next"
	fi
fi
if ! chroot "$root" tenantguard policy check --strict --policy /etc/tenantguard/policy.yaml \
	--policy-dir /etc/tenantguard/policy.d >"$out/policy-check.log" 2>&1; then
	echo "image: the image's policy is rejected:" >&2
	cat "$out/policy-check.log" >&2
	exit 1
fi

# The boot loader's configuration, from /etc/default/grub: what update-grub
# writes inside the booted image, without probing devices here.
set -- "$root"/boot/vmlinuz-*
kver=${1##*/vmlinuz-}
[ -f "$root/boot/initrd.img-$kver" ] || { echo "image: no initramfs for $kver" >&2; exit 1; }
cmdline=$(. "$root/etc/default/grub" && echo "root=LABEL=tgroot ro $GRUB_CMDLINE_LINUX $GRUB_CMDLINE_LINUX_DEFAULT")
cmdline=$(echo $cmdline)
mkdir -p "$root/boot/grub"
cat >"$root/boot/grub/grub.cfg" <<CFG
# Written by tenantguard's image/build.sh from /etc/default/grub;
# update-grub in the running image rewrites it from the same file.
serial --unit=0 --speed=115200
terminal_input console serial
terminal_output console serial
set timeout=1
set default=0
insmod part_msdos
insmod ext2
search --no-floppy --label --set=root tgroot
menuentry 'Debian GNU/Linux 12 with tenantguard ($kver)' {
	linux /boot/vmlinuz-$kver $cmdline
	initrd /boot/initrd.img-$kver
}
CFG
cp "$root/boot/vmlinuz-$kver" "$out/vmlinuz"
cp "$root/boot/initrd.img-$kver" "$out/initrd.img"
echo "$cmdline" >"$out/cmdline"
echo "$kver" >"$out/kernel-version"

# The disk: the MBR with GRUB's boot sector, GRUB's core image in the gap
# before the partition (1 MiB), the ext4 file system holding the tree.
chroot "$root" grub-mkimage -O i386-pc -o /tmp/core.img -p '(hd0,msdos1)/boot/grub' \
	biosdisk part_msdos ext2 search search_label normal linux configfile serial terminal echo
mv "$root/tmp/core.img" "$out/core.img"
used=$(du -sm "$root" | cut -f1)
size=$((used + used / 2 + 256))
rm -f "$out/tenantguard.img.tmp"
truncate -s "${size}M" "$out/tenantguard.img.tmp"
echo 'start=2048, type=83, bootable' | sfdisk -q "$out/tenantguard.img.tmp"
mke2fs -q -F -t ext4 -L tgroot -d "$root" -E offset=1048576 "$out/tenantguard.img.tmp" $((size - 1))M
dd if="$root/usr/lib/grub/i386-pc/boot.img" of="$out/tenantguard.img.tmp" bs=440 count=1 conv=notrunc status=none
dd if="$out/core.img" of="$out/tenantguard.img.tmp" bs=512 seek=1 conv=notrunc status=none
mv "$out/tenantguard.img.tmp" "$out/tenantguard.img"
rm -rf "$root" "$out/core.img"
echo "image: $out/tenantguard.img ($size MiB, $used MiB used; kernel $kver; base $base_s s, total $(($(date +%s) - start)) s)"
