#!/bin/sh
# test_file_zeroconf: with the built-in (zero-config) policy, a tenant whose
# cgroup is gone (its job ended, the agent restarted meanwhile) keeps
# owning <paths-root>/<name>: another tenant's opens stay refused, with an
# event, until the cgroup is back; the host and the tenant itself (once back)
# are untouched. Runs on the host (fanotify, EPERM) and in the VM guests
# (BPF LSM, EACCES) by vm-tests/scenarios/test_file_zeroconf.sh.
. "$(dirname "$0")/../lib/tap.sh"
. "$(dirname "$0")/../lib/tenants.sh"
. "$(dirname "$0")/../lib/accounting.sh"

: "${TG_BIN:?}"
tg_env_setup || exit 1
A=$TG_TDIR/acme
G=$TG_TDIR/globex
D=$TG_SRV/acme/data
if grep -qs bpf /sys/kernel/security/lsm; then
	denied=EACCES
else
	denied=EPERM
fi

# wait_gen BEFORE: until the agent applied a policy after generation BEFORE.
wait_gen()
{
	n=0
	while [ "$(tg_stat generation)" -le "$1" ]; do
		n=$((n + 1))
		[ "$n" -gt 100 ] && return 1
		sleep 0.1
	done
}

# rm_cgroup DIR: rmdir, again while the last probe that ran there is reaped.
rm_cgroup()
{
	n=0
	until rmdir "$1" 2>/dev/null; do
		n=$((n + 1))
		[ "$n" -gt 50 ] && return 1
		sleep 0.1
	done
}

tg_start_collector || exit 1
tg_start_agent || exit 1
tg_probe zc_denied_present --cgroup "$G" --expect "$denied" open "$D"
tg_probe zc_owner_present --cgroup "$A" --expect ok open "$D"

gen=$(tg_stat generation)
rm_cgroup "$A" || tg_fail zc_cgroup_removed "cannot remove $A"
wait_gen "$gen" || tg_fail zc_rescan "no new policy generation after $gen"
tg_probe zc_denied_cgroup_gone --cgroup "$G" --expect "$denied" open "$D"
tg_event zc_denied_cgroup_gone_event kind=file op=open verdict=deny \
	tenant=globex target_tenant=acme path="$D"
tg_probe zc_denied_list_cgroup_gone --cgroup "$G" --expect "$denied" \
	open "$TG_SRV/acme" dir
tg_probe zc_host_cgroup_gone --expect ok open "$D"
tg_probe zc_globex_own --cgroup "$G" --expect ok open "$TG_SRV/globex/data"
if tg_cli status --json | tr -d ' \n' |
	grep -q '"name":"acme","id":[0-9]*,"mode":"[a-z]*","cgroup":"[^"]*","present":false'; then
	tg_pass zc_status_absent_tenant
else
	tg_fail zc_status_absent_tenant "acme not listed as absent in status"
fi

# An agent started while acme is away knows it by its directory.
tg_stop_agent
tg_start_agent || exit 1
tg_probe zc_denied_after_restart --cgroup "$G" --expect "$denied" open "$D"
tg_event zc_denied_after_restart_event --count 2 kind=file op=open \
	verdict=deny tenant=globex target_tenant=acme path="$D"
tg_probe zc_host_after_restart --expect ok open "$D"

# acme is back: its own again.
gen=$(tg_stat generation)
mkdir "$A"
wait_gen "$gen" || tg_fail zc_rescan_back "no new policy generation after $gen"
tg_probe zc_owner_back --cgroup "$A" --expect ok open "$D"
tg_probe zc_denied_back --cgroup "$G" --expect "$denied" open "$D"
tg_summary
