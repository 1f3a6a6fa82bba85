#!/bin/sh
# Runs inside the booted image (tenantguard-image-check.service, added by
# `image/build.sh --check`), as root, after multi-user.target: checks the
# image as installed, writes one PASS/FAIL/SKIP line per check and FIG
# lines (figures) to the second serial port, then powers off. The last
# line is TG-IMAGE-DONE.
out=/dev/ttyS1
exec >"$out" 2>&1
dir=$(cd "$(dirname "$0")" && pwd)
log=/var/log/tenantguard/events.jsonl
echo "TG-IMAGE-START $(uname -r)"

pass() { echo "PASS $1"; }
fail() { echo "FAIL $1${2:+: $2}"; }
up() { cut -d' ' -f1 /proc/uptime; }
check()
{
	name=$1
	shift
	echo "# $(up) $name"
	if "$@" >/tmp/check.out 2>&1; then pass "$name"; else fail "$name" "$(head -c 300 /tmp/check.out | tr '\n' ' ')"; fi
}
# refused CMD...: CMD fails as a refusal does (an exit status, not a
# signal, and EPERM or EACCES in what it says).
refused()
{
	"$@" >/tmp/refused.out 2>&1
	rc=$?
	cat /tmp/refused.out
	[ "$rc" -gt 0 ] && [ "$rc" -lt 128 ] && grep -q -i -e 'not permitted' -e 'denied' /tmp/refused.out
}
mono() { systemctl show -p "$2" --value "$1"; }
# in_tenant T CMD: CMD in a transient unit of tenant T's slice, as root
# with every capability (uid 0 is no key to another tenant).
in_tenant()
{
	t=$1
	shift
	systemd-run --quiet --wait --pipe --collect --slice="tenants-$t.slice" \
		-p StandardInput=null /bin/sh -c "$*" </dev/null
}
wait_for() # SECONDS CMD...
{
	n=$1
	shift
	while ! "$@" >/dev/null 2>&1; do
		n=$((n - 1))
		[ "$n" -gt 0 ] || return 1
		sleep 1
	done
}

# Boot: everything up (multi-user.target reached).
wait_for 300 systemctl is-active -q multi-user.target
check units_active systemctl is-active tenantguard-agent.service tenantguard-collector.service \
	tenantguard-enforcing.service tenants.slice tenants-acme.slice tenants-globex.slice \
	acme-web.service globex-web.service
check lsm_bpf_active grep -qw bpf /sys/kernel/security/lsm
check grub_cfg_lsm_bpf sh -c 'grep -E "^[[:space:]]*linux .* lsm=[a-z,]*bpf" /boot/grub/grub.cfg &&
	grep -E "^GRUB_CMDLINE_LINUX=.*lsm=[a-z,]*bpf" /etc/default/grub'
check status_bpf_lsm sh -c 'tenantguard status | tee /dev/stderr | grep -q .'

# Enforcement in force (the agent's READY=1) before any tenant service
# starts; figures in seconds after the kernel started (CLOCK_MONOTONIC).
ready=$(mono tenantguard-agent.service ActiveEnterTimestampMonotonic)
gate=$(mono tenantguard-enforcing.service ActiveEnterTimestampMonotonic)
first=""
for u in tenants.slice tenants-acme.slice tenants-globex.slice acme-web.service globex-web.service; do
	s=$(mono "$u" ActiveEnterTimestampMonotonic)
	e=$(mono "$u" ExecMainStartTimestampMonotonic)
	for v in $s $e; do
		[ "$v" -gt 0 ] 2>/dev/null || continue
		if [ -z "$first" ] || [ "$v" -lt "$first" ]; then first=$v; fi
	done
done
if [ "${ready:-0}" -gt 0 ] && [ "$gate" -ge "$ready" ] && [ "$first" -gt "$gate" ]; then
	pass enforcement_before_tenants
else
	fail enforcement_before_tenants "agent ready $ready, gate $gate, first tenant unit $first (us)"
fi
awk -v r="$ready" -v f="$first" 'BEGIN { printf "FIG boot_to_enforcement %.1f s (agent READY=1 after kernel start; first tenant unit at %.1f s)\n", r / 1e6, f / 1e6 }'
awk -v m="$(mono multi-user.target ActiveEnterTimestampMonotonic)" 'BEGIN { printf "FIG boot_to_multi_user %.1f s\n", m / 1e6 }'

# What each tenant reaches: its own files, server and processes; never the
# other's. The host reaches both servers.
web_pid=$(mono globex-web.service MainPID)
check host_reaches_tenants sh -c 'timeout 10 busybox wget -q -O - http://127.0.0.1:8080/ | grep -q acme &&
	timeout 10 busybox wget -q -O - http://127.0.0.1:8180/ | grep -q globex'
check own_file in_tenant acme 'cat /srv/tenants/acme/secret'
check own_server in_tenant acme 'timeout 10 busybox wget -q -O - http://127.0.0.1:8080/'
check cross_file_refused refused in_tenant acme 'cat /srv/tenants/globex/secret'
check cross_write_refused refused in_tenant acme 'echo x >>/srv/tenants/globex/www/index.html'
check cross_socket_refused refused in_tenant acme 'timeout 10 busybox wget -q -O - http://127.0.0.1:8180/'
check cross_process_refused refused in_tenant acme "kill -0 $web_pid"
check cross_process_refused_reverse refused in_tenant globex "kill -0 $(mono acme-web.service MainPID)"
# The collector stored one denial per kind.
for k in file net proc; do
	check "event_stored_$k" wait_for 30 grep -q "\"kind\":\"$k\",\"verdict\":\"deny\",\"tenant\":\"acme\",\"target_tenant\":\"globex\"" "$log"
done

# A prober in tenant acme tries globex's file and server all along.
probe_start()
{
	rm -f /run/tg-probe.out
	systemd-run --quiet --unit=tg-probe --slice=tenants-acme.slice \
		-p StandardOutput=file:/run/tg-probe.out /bin/sh -c 'while :; do
			cat /srv/tenants/globex/secret >/dev/null 2>&1 && echo LEAK file
			timeout 5 busybox wget -q -O /dev/null http://127.0.0.1:8180/ 2>/dev/null && echo LEAK net
			echo tick
			sleep 0.5
		done'
	wait_for 20 grep -q tick /run/tg-probe.out
}
probe_end() # NAME
{
	systemctl stop tg-probe.service
	ticks=$(grep -c tick /run/tg-probe.out)
	leaks=$(grep -c LEAK /run/tg-probe.out)
	if [ "$ticks" -gt 0 ] && [ "$leaks" = 0 ]; then
		pass "$1"
	else
		fail "$1" "$leaks cross-tenant successes in $ticks rounds"
	fi
	echo "FIG $1 $ticks probe rounds, $leaks successes"
}
restarts() { mono tenantguard-agent.service NRestarts; }

probe_start
pid0=$(mono tenantguard-agent.service MainPID)
t0=$(up)
check agent_restart systemctl restart tenantguard-agent.service
echo "FIG agent_restart $(echo "$(up) $t0" | awk '{ printf "%.1f", $1 - $2 }') s (systemctl restart, under the probe)"
pid1=$(mono tenantguard-agent.service MainPID)
[ "$pid1" != "$pid0" ] && [ "$pid1" != 0 ] && pass agent_restart_new_pid || fail agent_restart_new_pid "$pid0 -> $pid1"
n0=$(restarts)
t0=$(up)
kill -9 "$pid1"
if wait_for 150 sh -c "[ \$(systemctl show -p NRestarts --value tenantguard-agent) -gt $n0 ] &&
	systemctl is-active -q tenantguard-agent"; then
	pass agent_kill9_restarted
else
	fail agent_kill9_restarted "NRestarts $(restarts), $(systemctl is-active tenantguard-agent)"
fi
echo "FIG agent_kill9_to_active $(echo "$(up) $t0" | awk '{ printf "%.1f", $1 - $2 }') s"
sleep 2
probe_end no_gap_restart_kill
check tenants_kept_running systemctl is-active acme-web.service globex-web.service tenantguard-enforcing.service

# Upgrade to version N+1, whose agent has other BPF programs
# (tenantguard-agent-variant): no cross-tenant success meanwhile.
prog_tags() { bpftool prog show 2>/dev/null | awk '/ tag / { for (i = 1; i < NF; i++) if ($i == "tag") print $(i + 1) }' | sort; }
if [ -f "$dir/tenantguard-next.deb" ]; then
	prog_tags >/tmp/tags.before
	probe_start
	t0=$(up)
	check upgrade_dpkg dpkg -i "$dir/tenantguard-next.deb"
	wait_for 150 systemctl is-active -q tenantguard-agent.service
	echo "FIG upgrade $(echo "$(up) $t0" | awk '{ printf "%.1f", $1 - $2 }') s (dpkg -i to the new agent active)"
	sleep 2
	probe_end upgrade_no_gap
	check upgrade_version sh -c 'dpkg-query -W -f "\${Version}" tenantguard | grep -q "+next1$"'
	prog_tags >/tmp/tags.after
	check upgrade_programs_differ sh -c '! cmp -s /tmp/tags.before /tmp/tags.after'
	check upgrade_still_refused refused in_tenant acme 'cat /srv/tenants/globex/secret'
else
	echo "SKIP upgrade: no next package"
fi

# The agent's log, for whoever reads results.txt.
journalctl -b -u tenantguard-agent.service --no-pager -o short-monotonic 2>/dev/null | tail -n 60 | sed 's/^/# journal /'

# Exposure scores of the installed units.
for u in tenantguard-collector tenantguard-agent tenantguard-enforcing; do
	s=$(systemd-analyze security --offline=yes "/lib/systemd/system/$u.service" 2>/dev/null |
		sed -n 's/.*Overall exposure level for .*: \([0-9.]*\) .*/\1/p')
	echo "FIG exposure $u ${s:-?}"
done
echo "FIG installed_size_root $(du -sxm / | cut -f1) MiB"

# Fail closed: with an agent that cannot start, a tenant's service does
# not start; /etc/tenantguard/fail-open lets it. (Last before the purge:
# the agent is not started again.)
systemctl stop tenants.slice tenantguard-enforcing.service
mkdir -p /run/systemd/system/tenantguard-agent.service.d
printf '[Service]\nExecStart=\nExecStart=/bin/false\n' >/run/systemd/system/tenantguard-agent.service.d/broken.conf
systemctl daemon-reload
systemctl stop tenantguard-agent.service
check fail_closed sh -c '! systemctl start acme-web.service && ! systemctl is-active acme-web.service tenants-acme.slice'
touch /etc/tenantguard/fail-open
check fail_open_override sh -c 'systemctl start acme-web.service && systemctl is-active acme-web.service'
rm -f /etc/tenantguard/fail-open /run/systemd/system/tenantguard-agent.service.d/broken.conf
rmdir /run/systemd/system/tenantguard-agent.service.d
systemctl daemon-reload

# Purge: nothing of tenantguard left but the audit trail (kept, root's).
links=""
for l in /sys/fs/bpf/tenantguard/links/*; do
	[ -e "$l" ] || continue
	links="$links $(bpftool link show pinned "$l" 2>/dev/null | sed -n 's/.* prog \([0-9]*\).*/\1/p')"
done
[ -n "$links" ] && pass pinned_links_before_purge || fail pinned_links_before_purge "no link below /sys/fs/bpf/tenantguard/links"
check purge env DEBIAN_FRONTEND=noninteractive apt-get purge -y -q tenantguard
check purge_no_program sh -c "for p in $links; do bpftool prog show id \$p >/dev/null 2>&1 && echo prog \$p && exit 1; done; ! pidof tenantguard-agent && ! pidof tenantguard-collector"
check purge_no_pin test ! -e /sys/fs/bpf/tenantguard
check purge_no_files sh -c '! ls -d /usr/sbin/tenantguard* /usr/bin/tenantguard /lib/systemd/system/tenantguard* /etc/systemd/system/*.wants/tenantguard-[ace]* 2>/dev/null | grep .'
check purge_no_user sh -c '! getent passwd tenantguard-collector && ! getent group tenantguard && ! getent group tenantguard-collector'
check purge_no_config test ! -e /etc/tenantguard
check purge_no_state sh -c 'test ! -e /var/lib/tenantguard && test ! -e /run/tenantguard'
check purge_log_kept_private sh -c 'test "$(stat -c %U:%G:%a /var/log/tenantguard)" = root:root:700'
check purge_dpkg_clean sh -c '! dpkg -l tenantguard 2>/dev/null | grep -q "^[a-z][a-z] "'

echo "# $(up) done"
echo TG-IMAGE-DONE
sync
systemctl poweroff --no-block
