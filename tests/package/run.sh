#!/bin/sh
# Package lane (make check-package): build the .deb (make deb), lintian
# (no error; warnings listed), its contents (dpkg-deb), and install,
# upgrade, remove and purge it in a throwaway Debian chroot made by
# mmdebstrap from this machine's apt sources and cached in
# /var/cache/tenantguard (no systemd runs there, so no unit starts and no
# program is attached; the host is not touched). Prints PASS/FAIL/SKIP
# lines and "package: N passed, N failed, N skipped".
. "$(dirname "$0")/../lib/tap.sh"

out=$(cd "${1:-build}" && pwd)
repo=$(cd "$(dirname "$0")/../.." && pwd)
T=$(mktemp -d /tmp/tg-package.XXXXXX) || exit 1
ROOT=$T/root
cleanup()
{
	rm -rf "$T"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

finish()
{
	tg_summary >"$T/sum"
	rc=$?
	cat "$T/sum"
	sed 's/^/package: /' "$T/sum"
	exit $rc
}

for tool in dpkg-buildpackage dh lintian; do
	if ! command -v "$tool" >/dev/null; then
		tg_skip package "$tool not installed (scripts/deps.sh installs it)"
		finish
	fi
done

start=$(date +%s)
if make -s -C "$repo" OUTPUT="$out" deb >"$T/deb.log" 2>&1; then
	tg_pass make_deb
else
	tg_fail make_deb "$(tail -n 3 "$T/deb.log")"
	finish
fi
echo "deb build: $(($(date +%s) - start)) s"
deb=$(ls "$out"/deb/tenantguard_*.deb | tail -n 1)
echo "installed size: $(dpkg-deb -f "$deb" Installed-Size) KiB, .deb $(($(stat -c %s "$deb") / 1024)) KiB"

lintian --pedantic -I "$deb" >"$T/lintian" 2>&1
errors=$(grep -c '^E: ' "$T/lintian")
grep -E '^[EWI]: ' "$T/lintian" | sed 's/^/lintian: /'
if [ "$errors" = 0 ]; then
	tg_pass lintian_no_errors
else
	tg_fail lintian_no_errors "$errors error(s)"
fi

dpkg-deb -c "$deb" | awk '{ print $6 }' | sed 's|^\./|/|' >"$T/contents"
for f in /usr/sbin/tenantguard-agent /usr/sbin/tenantguard-collector \
	/usr/bin/tenantguard /lib/systemd/system/tenantguard-agent.service \
	/lib/systemd/system/tenantguard-collector.service \
	/lib/systemd/system/tenantguard-enforcing.service \
	/lib/systemd/system/tenants.slice.d/tenantguard.conf \
	/usr/lib/tmpfiles.d/tenantguard.conf /usr/lib/sysusers.d/tenantguard.conf \
	/etc/tenantguard/policy.yaml.example /etc/tenantguard/seccomp/default.yaml \
	/usr/share/man/man1/tenantguard.1.gz /usr/share/man/man5/tenantguard-policy.5.gz \
	/usr/share/man/man8/tenantguard-agent.8.gz /usr/share/man/man8/tenantguard-collector.8.gz \
	/usr/share/bash-completion/completions/tenantguard \
	/usr/share/tenantguard/grafana-dashboard.json \
	/usr/share/tenantguard/tenantguard.rules.yml; do
	grep -qx -- "$f" "$T/contents" || missing="${missing:-} $f"
done
if [ -z "${missing:-}" ]; then
	tg_pass contents
else
	tg_fail contents "missing:$missing"
fi
if grep -q -e '^/usr/local' -e 'tenantguard-agent-variant' -e '/tg-try' "$T/contents"; then
	tg_fail contents_nothing_else "$(grep -e '^/usr/local' -e variant -e tg-try "$T/contents" | head -n 3)"
else
	tg_pass contents_nothing_else
fi
if grep -qx '/usr/sbin/tenantguard-agent' "$T/contents" &&
	dpkg-deb --ctrl-tarfile "$deb" | tar -xO ./conffiles | grep -qx /etc/tenantguard/seccomp/default.yaml; then
	tg_pass conffiles
else
	tg_fail conffiles "seccomp profiles not conffiles"
fi
# An upgrade restarts the agent without stopping it first (no gap), and
# stops nothing before unpacking (a stopped gate would stop every tenant
# slice).
dpkg-deb --ctrl-tarfile "$deb" | tar -xO ./prerm >"$T/prerm"
dpkg-deb --ctrl-tarfile "$deb" | tar -xO ./preinst >"$T/preinst" 2>/dev/null || : >"$T/preinst"
if grep -q 'deb-systemd-invoke stop' "$T/prerm" &&
	! grep -B2 'deb-systemd-invoke stop' "$T/prerm" | grep -q upgrade &&
	! grep -q -e 'systemctl.* stop' -e 'deb-systemd-invoke stop' "$T/preinst"; then
	tg_pass upgrade_no_stop
else
	tg_fail upgrade_no_stop "prerm or preinst stops units on upgrade"
fi

# The chroot: the package's dependencies, from the host's apt sources.
if [ "$(id -u)" != 0 ]; then
	tg_skip chroot "needs root (chroot, dpkg in it)"
	finish
fi
if ! command -v mmdebstrap >/dev/null; then
	tg_skip chroot "mmdebstrap not installed"
	finish
fi
sources=/etc/apt/sources.list.d/debian.sources
[ -f "$sources" ] || sources=/etc/apt/sources.list
deps=$(dpkg-deb -f "$deb" Depends | sed 's/([^)]*)//g; s/ //g'),init-system-helpers
cache=/var/cache/tenantguard/chroot-$(printf '%s' "$deps" | md5sum | cut -c1-12).tar
if [ ! -f "$cache" ]; then
	mkdir -p /var/cache/tenantguard
	if ! mmdebstrap --quiet --format=tar --variant=essential --include="$deps" bookworm \
		"$cache.tmp" "$sources" >"$T/mmdebstrap.log" 2>&1; then
		rm -f "$cache.tmp"
		tg_skip chroot "mmdebstrap failed: $(tail -n 1 "$T/mmdebstrap.log")"
		finish
	fi
	mv "$cache.tmp" "$cache"
fi
mkdir -p "$ROOT" && tar -C "$ROOT" -xf "$cache" || { tg_fail chroot "cannot unpack $cache"; finish; }
cp "$deb" "$ROOT/tmp/tenantguard.deb"
# The same package as a later version, for a real upgrade.
dpkg-deb -R "$deb" "$T/next"
sed -i 's/^Version: .*/&+next1/' "$T/next/DEBIAN/control"
dpkg-deb --root-owner-group -b "$T/next" "$ROOT/tmp/tenantguard-next.deb" >/dev/null
in_root() { chroot "$ROOT" "$@"; }

# check NAME CMD...: PASS if CMD succeeds in the chroot.
check()
{
	name=$1
	shift
	if in_root sh -c "$*" >"$T/check" 2>&1; then
		tg_pass "$name"
	else
		tg_fail "$name" "$* ($(head -n 1 "$T/check"))"
	fi
}

if in_root dpkg -i /tmp/tenantguard.deb >"$T/install" 2>&1; then
	tg_pass install
else
	tg_fail install "$(tail -n 3 "$T/install")"
fi
check install_user 'getent passwd tenantguard-collector | grep -q :/nonexistent:/usr/sbin/nologin'
check install_groups 'getent group tenantguard && getent group tenantguard-collector'
check install_enabled 'test -L /etc/systemd/system/multi-user.target.wants/tenantguard-agent.service &&
	test -L /etc/systemd/system/multi-user.target.wants/tenantguard-collector.service &&
	test -L /etc/systemd/system/multi-user.target.wants/tenantguard-enforcing.service'
check install_runs '/usr/sbin/tenantguard-agent --help >/dev/null && /usr/bin/tenantguard help >/dev/null'
check install_policy_d 'test -d /etc/tenantguard/policy.d && test ! -e /etc/tenantguard/policy.yaml'

# Upgrade to a later version (prerm upgrade, postinst configure with the
# old version), then the same version again: nothing detached.
if in_root dpkg -i /tmp/tenantguard-next.deb >"$T/upgrade" 2>&1 &&
	in_root dpkg -i /tmp/tenantguard-next.deb >>"$T/upgrade" 2>&1 &&
	! grep -q -- 'detach' "$T/upgrade"; then
	tg_pass upgrade_keeps_enforcement
else
	tg_fail upgrade_keeps_enforcement "$(tail -n 3 "$T/upgrade")"
fi
check upgrade_version 'dpkg-query -W -f "\${Version}" tenantguard | grep -q "+next1$"'

# A log and a state directory as the collector leaves them, to see what
# purge does with them.
in_root sh -c 'mkdir -m 0700 /var/log/tenantguard && echo "{}" >/var/log/tenantguard/events.jsonl &&
	chown -R tenantguard-collector:tenantguard-collector /var/log/tenantguard &&
	mkdir -m 0700 /var/lib/tenantguard-collector && echo key >/var/lib/tenantguard-collector/signing.key &&
	chown -R tenantguard-collector:tenantguard-collector /var/lib/tenantguard-collector'
in_root dpkg -r tenantguard >"$T/remove" 2>&1
# No /proc in the chroot: the detach runs and fails without touching pins.
if grep -q 'tenantguard-agent' "$T/remove" && grep -q 'detach' "$T/remove"; then
	tg_pass remove_detaches
else
	tg_fail remove_detaches "no detach at removal: $(tail -n 2 "$T/remove")"
fi
check remove_binaries_gone 'test ! -e /usr/sbin/tenantguard-agent && test ! -e /lib/systemd/system/tenantguard-agent.service'
check remove_keeps_config 'test -f /etc/tenantguard/seccomp/default.yaml && getent passwd tenantguard-collector'

if in_root dpkg -P tenantguard >"$T/purge" 2>&1; then
	tg_pass purge
else
	tg_fail purge "$(tail -n 3 "$T/purge")"
fi
check purge_config_gone 'test ! -e /etc/tenantguard && test ! -e /var/lib/tenantguard'
check purge_user_gone '! getent passwd tenantguard-collector && ! getent group tenantguard && ! getent group tenantguard-collector'
check purge_units_gone '! ls /etc/systemd/system/*/tenantguard* 2>/dev/null | grep -q .'
check purge_keeps_log 'test -f /var/log/tenantguard/events.jsonl && test "$(stat -c %U:%a /var/log/tenantguard)" = root:700'
check purge_keeps_collector_state 'test -f /var/lib/tenantguard-collector/signing.key && test "$(stat -c %U:%a /var/lib/tenantguard-collector)" = root:700'
check purge_nothing_left '! dpkg -l tenantguard 2>/dev/null | grep -q "^[a-z][a-z] "'
finish
