#!/bin/sh
# Install the Debian packages tenantguard needs to build, test and run.
# Idempotent: installs only what is missing. Run as root on Debian 12.
set -eu

PKGS="make gcc clang llvm bpftool libbpf-dev libelf-dev zlib1g-dev pkg-config
libseccomp-dev seccomp libcap-dev libnl-3-dev libnl-route-3-dev libnl-genl-3-dev
libnl-idiag-3-dev libjson-c-dev libyaml-dev libcmocka-dev libclang-rt-14-dev
liburing-dev libsodium-dev libsystemd-dev libarchive-dev
qemu-system-x86 busybox-static cpio iproute2 kmod util-linux xz-utils zstd
btrfs-progs prometheus python3
debhelper lintian mmdebstrap man-db fdisk e2fsprogs"

missing=""
for p in $PKGS; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
		missing="$missing $p"
	fi
done
[ -z "$missing" ] && exit 0

if [ "$(id -u)" != 0 ]; then
	echo "deps: missing packages:$missing (run this script as root)" >&2
	exit 1
fi
echo "deps: installing$missing"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
# shellcheck disable=SC2086
apt-get install -y -qq --no-install-recommends $missing >/dev/null
