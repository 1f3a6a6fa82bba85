#!/bin/sh
# image/base.sh DEB [CACHE_DIR]: prints the path of the base image for DEB,
# a tar of a Debian 12 (bookworm) root file system made by mmdebstrap from
# Debian's packages only: systemd, the Debian kernel and its initramfs,
# GRUB (BIOS), busybox (the tenants' web servers), bpftool, and the
# packages DEB depends on, so that DEB installs into it offline. Cached in
# CACHE_DIR (/var/cache/tenantguard as root), keyed by the suite, the
# package list and this script: a new build of the project does not
# rebuild it; only the newest base of a suite is kept. The
# archive is the one this machine's apt is configured with.
set -eu
deb=${1:?usage: base.sh DEB [CACHE_DIR]}
cache=${2:-/var/cache/tenantguard}
suite=bookworm
PKGS="systemd systemd-sysv udev linux-image-amd64 initramfs-tools
grub-pc-bin grub2-common busybox bpftool apt e2fsprogs kmod procps dbus"

deps=$(dpkg-deb -f "$deb" Depends | sed 's/([^)]*)//g; s/|[^,]*//g; s/,/ /g')
pkgs=$(printf '%s\n' $PKGS $deps | sort -u | tr '\n' ' ')
# The key: the suite, the package list, and this script (its hooks).
key=$( (printf '%s %s\n' "$suite" "$pkgs" && cat "$0") | md5sum | cut -c1-12)
tar=$cache/image-base-$suite-$key.tar
if [ -s "$tar" ]; then
	echo "$tar"
	exit 0
fi

# The machine's apt sources, as configured (deb822 or one-line).
sources=""
for f in /etc/apt/sources.list.d/*.sources /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
	[ -s "$f" ] && grep -q -E '^(URIs:|deb )' "$f" && sources="$sources $f"
done
if [ -z "$sources" ]; then
	echo "image: no Debian archive in /etc/apt/sources.list*" >&2
	exit 1
fi
mkdir -p "$cache"
log=$cache/image-base-$suite-$key.log
echo "image: building the base image ($suite, $(echo $pkgs | wc -w) packages) into $tar" >&2
# One mirror argument per sources file: mmdebstrap reads them as apt does.
# shellcheck disable=SC2086
if ! mmdebstrap --variant=minbase --format=tar \
	--include="$(echo $pkgs | tr ' ' ',')" \
	--customize-hook='echo tenantguard-image >"$1/etc/hostname"' \
	--customize-hook='printf "127.0.0.1 localhost\n127.0.1.1 tenantguard-image\n" >"$1/etc/hosts"' \
	--customize-hook='chroot "$1" passwd -d root >/dev/null' \
	--customize-hook='rm -f "$1/etc/machine-id" && : >"$1/etc/machine-id"' \
	--customize-hook='rm -rf "$1/var/lib/apt/lists"/* "$1/var/cache/apt"/*.bin' \
	"$suite" "$tar.tmp" $sources >"$log" 2>&1; then
	rm -f "$tar.tmp"
	echo "image: mmdebstrap failed ($log):" >&2
	tail -n 5 "$log" >&2
	exit 1
fi
mv "$tar.tmp" "$tar"
# Earlier bases of this suite are of no more use.
for old in "$cache"/image-base-"$suite"-*.tar; do
	[ "$old" = "$tar" ] || rm -f "$old" "${old%.tar}.log"
done
echo "$tar"
