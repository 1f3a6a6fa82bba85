#!/bin/sh
# fetch-kernel.sh SUITE: the Debian kernel that linux-image-amd64 depends on
# in SUITE (bookworm, trixie, ...), cached as
# ${TG_CACHE:-/var/cache/tenantguard}/kernels/SUITE/vmlinuz. Uses only the
# Debian archive already configured on this machine; another suite gets a
# private apt configuration in the cache, the system's is never touched.
set -eu
suite=${1:?usage: fetch-kernel.sh SUITE}
cache=${TG_CACHE:-/var/cache/tenantguard}/kernels/$suite
if [ -s "$cache/vmlinuz" ] && [ -s "$cache/version" ]; then
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
pkg=$(apt-cache "$@" depends linux-image-amd64 2>/dev/null |
	awk '/Depends: linux-image-[0-9]/ { print $2; exit }')
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
cp "$1" "$cache/vmlinuz.tmp"
mv "$cache/vmlinuz.tmp" "$cache/vmlinuz"
basename "$1" | sed 's/^vmlinuz-//' >"$cache/version"
echo "kernel $suite: $(cat "$cache/version")"
