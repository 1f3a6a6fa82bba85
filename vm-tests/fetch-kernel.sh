#!/bin/sh
# fetch-kernel.sh SUITE: the Debian kernel that linux-image-amd64 depends on
# in SUITE (bookworm, trixie, ...), cached as
# ${TG_CACHE:-/var/cache/tenantguard}/kernels/SUITE/vmlinuz, with the
# modules the scenarios load (MODULES, uncompressed) in modules/. Uses only
# the Debian archive already configured on this machine; another suite gets
# a private apt configuration in the cache, the system's is never touched.
set -eu
suite=${1:?usage: fetch-kernel.sh SUITE}
cache=${TG_CACHE:-/var/cache/tenantguard}/kernels/$suite
# overlay; btrfs and what it needs, and loop devices to hold one (the
# btrfs scenario); in the order they load.
MODULES="fs/overlayfs/overlay drivers/block/loop crypto/xor lib/raid6/raid6_pq
crypto/crc32c_generic lib/libcrc32c lib/zstd/zstd_compress fs/btrfs/btrfs"
have_modules()
{
	for m in $MODULES; do
		[ -s "$cache/modules/$(basename "$m").ko" ] ||
			[ -e "$cache/modules/$(basename "$m").builtin" ] || return 1
	done
}
if [ -s "$cache/vmlinuz" ] && [ -s "$cache/version" ] && have_modules; then
	echo "kernel $suite: $(cat "$cache/version") (cached)"
	exit 0
fi
mkdir -p "$cache"
work=$(mktemp -d "$cache/.fetch.XXXXXX")
trap 'rm -rf "$work"' EXIT

system_suite=$(. /etc/os-release && echo "${VERSION_CODENAME:-}")
set --
if [ "$suite" != "$system_suite" ]; then
	# The main archive's URI, as configured (deb822 .sources or one-line .list).
	uri=$(cat /etc/apt/sources.list.d/*.sources 2>/dev/null |
		awk '/^URIs:/ { print $2 }' | grep -v -e security -e '^$' | head -n 1 || true)
	if [ -z "$uri" ]; then
		uri=$(cat /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null |
			awk '$1 == "deb" && $0 !~ /security/ { for (i = 2; i <= NF; i++)
				if ($i ~ /^[a-z]+:\/\//) { print $i; exit } }')
	fi
	if [ -z "$uri" ]; then
		echo "fetch-kernel: no Debian archive URI in /etc/apt/sources.list*" >&2
		exit 1
	fi
	apt=$cache/apt
	mkdir -p "$apt/lists/partial" "$apt/cache/archives/partial"
	: >"$apt/status"
	echo "deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] $uri $suite main" \
		>"$apt/sources.list"
	set -- -o Dir::Etc::SourceList="$apt/sources.list" \
		-o Dir::Etc::SourceParts=/dev/null \
		-o Dir::State::Lists="$apt/lists" \
		-o Dir::State::status="$apt/status" \
		-o Dir::Cache="$apt/cache"
	if ! apt-get "$@" -qq update >"$work/update.log" 2>&1; then
		echo "fetch-kernel: apt-get update for $suite failed:" >&2
		tail -n 5 "$work/update.log" >&2
		exit 1
	fi
elif ! apt-cache show linux-image-amd64 >/dev/null 2>&1; then
	apt-get -qq update
fi
if [ -s "$cache/vmlinuz" ] && [ -s "$cache/version" ]; then
	# Modules added later: those of the kernel cached already.
	pkg=linux-image-$(cat "$cache/version")
else
	pkg=$(apt-cache "$@" depends linux-image-amd64 2>/dev/null |
		awk '/Depends: linux-image-[0-9]/ { print $2; exit }')
fi
if [ -z "$pkg" ]; then
	echo "fetch-kernel: cannot resolve linux-image-amd64 in $suite" >&2
	exit 1
fi
(cd "$work" && apt-get "$@" -o APT::Sandbox::User=root -qq download "$pkg") || {
	echo "fetch-kernel: apt-get download $pkg failed" >&2
	exit 1
}
dpkg-deb -x "$work"/"$pkg"_*.deb "$work/x"
set -- "$work"/x/boot/vmlinuz-*
[ -f "$1" ] || { echo "fetch-kernel: no vmlinuz in $pkg" >&2; exit 1; }
version=$(basename "$1" | sed 's/^vmlinuz-//')
kmods=$work/x/lib/modules/$version
[ -d "$kmods" ] || kmods=$work/x/usr/lib/modules/$version	# merged /usr
mkdir -p "$work/modules"
for m in $MODULES; do
	name=$(basename "$m").ko
	if grep -q "^kernel/$m.ko" "$kmods/modules.builtin" 2>/dev/null; then
		: >"$work/modules/$(basename "$m").builtin"
		continue
	fi
	set -- "$kmods"/kernel/"$m".ko*
	case $1 in
	*.ko) cp "$1" "$work/modules/$name" ;;
	*.ko.xz) xz -dc "$1" >"$work/modules/$name" ;;
	*.ko.zst) zstd -qdc "$1" >"$work/modules/$name" ;;
	*) echo "fetch-kernel: no module $m in $pkg" >&2; exit 1 ;;
	esac
done
rm -rf "$cache/modules.tmp"
mv "$work/modules" "$cache/modules.tmp"
rm -rf "$cache/modules"
mv "$cache/modules.tmp" "$cache/modules"
if ! [ -s "$cache/vmlinuz" ] || [ "$(cat "$cache/version" 2>/dev/null)" != "$version" ]; then
	cp "$work"/x/boot/vmlinuz-"$version" "$cache/vmlinuz.tmp"
	mv "$cache/vmlinuz.tmp" "$cache/vmlinuz"
	echo "$version" >"$cache/version"
fi
echo "kernel $suite: $(cat "$cache/version")"
