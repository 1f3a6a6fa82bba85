#!/bin/sh
# test_install: make install into a scratch DESTDIR installs exactly the
# expected files, the installed binaries run, every option of the binaries'
# --help is in their manual pages, the pages format without warnings, the
# completion parses, the units verify (systemd-analyze verify) and score
# (systemd-analyze security --offline: the collector at most 2.0, the agent
# at most 3.7), and make uninstall takes it all away again.
. "$(dirname "$0")/../lib/tap.sh"

: "${TG_BIN:?}"
repo=$(cd "$(dirname "$0")/../.." && pwd)
T=$(mktemp -d /tmp/tg-install.XXXXXX) || exit 1
trap 'rm -rf "$T"' EXIT
D=$T/dest

inst()
{
	make -s -C "$repo" OUTPUT="$TG_BIN" "$@" >"$T/make.log" 2>&1
}

if inst install DESTDIR="$D" PREFIX=/usr; then
	tg_pass make_install
else
	tg_fail make_install "$(tail -n 3 "$T/make.log")"
fi

(cd "$D" && find . -type f | sort) >"$T/files"
cat >"$T/want" <<'LIST'
./etc/tenantguard/policy.yaml.example
./etc/tenantguard/seccomp/default.yaml
./etc/tenantguard/seccomp/strict.yaml
./usr/bin/tenantguard
./usr/lib/systemd/system/tenantguard-agent.service
./usr/lib/systemd/system/tenantguard-collector.service
./usr/lib/systemd/system/tenantguard-enforcing.service
./usr/lib/systemd/system/tenants.slice
./usr/lib/systemd/system/tenants.slice.d/tenantguard.conf
./usr/lib/sysusers.d/tenantguard.conf
./usr/lib/tmpfiles.d/tenantguard.conf
./usr/sbin/tenantguard-agent
./usr/sbin/tenantguard-collector
./usr/share/bash-completion/completions/tenantguard
./usr/share/man/man1/tenantguard.1
./usr/share/man/man5/tenantguard-policy.5
./usr/share/man/man8/tenantguard-agent.8
./usr/share/man/man8/tenantguard-collector.8
./usr/share/tenantguard/grafana-dashboard.json
./usr/share/tenantguard/tenantguard.rules.yml
LIST
if diff -u "$T/want" "$T/files" >"$T/diff"; then
	tg_pass file_list
else
	tg_fail file_list "$(grep '^[-+]\.' "$T/diff" | tr '\n' ' ')"
fi
if [ -d "$D/etc/tenantguard/policy.d" ]; then
	tg_pass policy_dropin_dir
else
	tg_fail policy_dropin_dir "no /etc/tenantguard/policy.d"
fi

for b in usr/sbin/tenantguard-agent usr/sbin/tenantguard-collector usr/bin/tenantguard; do
	if "$D/$b" --help >"$T/help" 2>&1 && grep -q '^usage: ' "$T/help"; then
		tg_pass "runs_help/${b##*/}"
	else
		tg_fail "runs_help/${b##*/}" "$(head -n 2 "$T/help")"
	fi
done

# Every option in --help is in the manual page (as roff writes it: \-).
man_has_options()
{
	name=$1 page=$2
	shift 2
	"$@" | grep -o -- '--[a-z][a-z-]*' | sort -u >"$T/opts"
	missing=""
	while read -r o; do
		r=$(printf '%s' "$o" | sed 's/-/\\\\-/g')
		grep -q -- "$r" "$page" || missing="$missing $o"
	done <"$T/opts"
	if [ -s "$T/opts" ] && [ -z "$missing" ]; then
		tg_pass "man_options/$name"
	else
		tg_fail "man_options/$name" "not in $page:$missing"
	fi
}
M=$D/usr/share/man
man_has_options agent "$M/man8/tenantguard-agent.8" "$D/usr/sbin/tenantguard-agent" --help
man_has_options collector "$M/man8/tenantguard-collector.8" "$D/usr/sbin/tenantguard-collector" --help
man_has_options cli "$M/man1/tenantguard.1" "$D/usr/bin/tenantguard" help

if command -v man >/dev/null; then
	for p in "$M"/man*/*; do
		w=$(LC_ALL=C.UTF-8 MANWIDTH=80 man --warnings -l "$p" 2>&1 >/dev/null)
		if [ -z "$w" ]; then
			tg_pass "man_format/${p##*/}"
		else
			tg_fail "man_format/${p##*/}" "$(echo "$w" | head -n 2)"
		fi
	done
else
	tg_skip man_format "man not installed"
fi

if command -v bash >/dev/null; then
	c=$D/usr/share/bash-completion/completions/tenantguard
	# shellcheck disable=SC2016
	got=$(bash -c '. "$1"; COMP_WORDS=(tenantguard seccomp export --format ""); COMP_CWORD=4; _tenantguard; echo "${COMPREPLY[*]}"' sh "$c" 2>&1)
	if [ "$got" = "oci bpf pfc" ]; then
		tg_pass completion
	else
		tg_fail completion "seccomp export --format: '$got'"
	fi
else
	tg_skip completion "bash not installed"
fi

# The units, installed under a prefix that exists here so that their
# commands do too (configuration under the scratch directory as well).
if command -v systemd-analyze >/dev/null; then
	P=$T/prefix
	inst install PREFIX="$P" SYSCONFDIR="$T/etc" || tg_fail verify_install "$(tail -n 3 "$T/make.log")"
	U=$P/lib/systemd/system
	if systemd-analyze verify --man=no "$U"/*.service "$U"/tenants.slice >"$T/verify" 2>&1; then
		tg_pass units_verify
	else
		tg_fail units_verify "$(head -n 3 "$T/verify")"
	fi
	# A tenant's service in a slice below tenants.slice: the drop-in's
	# gate and the agent come into its start (SYSTEMD_UNIT_PATH: the
	# scratch units first, then the system's).
	printf '[Unit]\nDescription=tenant acme\n' >"$U/tenants-acme.slice"
	printf '[Service]\nSlice=tenants-acme.slice\nExecStart=/bin/sleep 1\n' >"$U/acme-web.service"
	if SYSTEMD_UNIT_PATH="$U:" systemd-analyze verify --man=no "$U/acme-web.service" >"$T/verify" 2>&1; then
		tg_pass tenant_unit_verify
	else
		tg_fail tenant_unit_verify "$(head -n 3 "$T/verify")"
	fi
	rm -f "$U/tenants-acme.slice" "$U/acme-web.service"
	score()
	{
		systemd-analyze security --offline=yes "$U/$1" 2>/dev/null |
			sed -n 's/.*Overall exposure level for [^:]*: \([0-9.]*\).*/\1/p'
	}
	for u in tenantguard-collector.service:2.0 tenantguard-agent.service:3.7 \
		tenantguard-enforcing.service:2.0; do
		s=$(score "${u%%:*}")
		echo "exposure ${u%%:*}: $s"
		if [ -n "$s" ] && awk -v s="$s" -v m="${u#*:}" 'BEGIN { exit !(s <= m) }'; then
			tg_pass "exposure/${u%%:*}"
		else
			tg_fail "exposure/${u%%:*}" "'$s', at most ${u#*:} wanted"
		fi
	done
	inst uninstall PREFIX="$P" SYSCONFDIR="$T/etc"
else
	tg_skip units_verify "systemd-analyze not installed"
fi

inst uninstall DESTDIR="$D" PREFIX=/usr
left=$(cd "$D" && find . -type f)
if [ -z "$left" ]; then
	tg_pass uninstall
else
	tg_fail uninstall "left: $(echo "$left" | tr '\n' ' ')"
fi
tg_summary
