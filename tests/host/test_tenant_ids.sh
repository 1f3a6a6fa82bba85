#!/bin/sh
# test_tenant_ids: the tenant ids run out (the real limit, 16,383, no
# option lowers it). Built-in policy: acme and globex have cgroups, and
# 16,383 more directories below the paths root ask for the 16,381 ids left,
# so two stay without a tenant; a cgroup made later (late, with its own
# directory) gets none either. Checked: what is below the paths root and no
# tenant's is refused to every tenant (acme, globex, late's own pending
# processes), never readable by all; the host keeps access; late's
# processes are pending (refused acme's files and listener); each is
# reported by an event, in status and its --json, and counted in the start
# message; removing such a directory takes it off the list; acme, globex
# and the host work as before. Then a policy file naming a tenant that gets
# no id: its cgroup (outside the tenants cgroup) pending, its path refused
# to every tenant, the rest of the policy in force. Runs on the host
# (fanotify, EPERM) and in the VM guests (BPF LSM, EACCES).
. "$(dirname "$0")/../lib/tap.sh"
. "$(dirname "$0")/../lib/tenants.sh"
. "$(dirname "$0")/../lib/net.sh"

: "${TG_BIN:?}"
tg_env_setup || exit 1
A=$TG_TDIR/acme
G=$TG_TDIR/globex
L=$TG_TDIR/late
if grep -qs bpf /sys/kernel/security/lsm; then
	denied=EACCES
else
	denied=EPERM
fi
ids=16383 # TG_MAX_TENANTS - 1
pa=$TG_PORT_BASE

# ids - 2 (acme, globex) + 2 directories: two are left without an id.
seq 1 "$ids" | sed "s|^|$TG_SRV/t|" | xargs mkdir || exit 1
tg_start_collector || exit 1
tg_start_agent || exit 1

# The two left out: listed in status --json, with their reason.
json=$(tg_cli status --json | tr -d ' \n')
left=$(printf '%s\n' "$json" | grep -o '"path":"[^"]*","reason":"no_tenant_ids"' |
	sed 's/^"path":"\([^"]*\)".*/\1/')
if [ "$(printf '%s\n' "$left" | grep -c .)" = 2 ]; then
	tg_pass ids_left_out_in_status_json
else
	tg_fail ids_left_out_in_status_json "$(printf '%s\n' "$json" | grep -o '"unregistered_paths":[^]]*]')"
fi
U=$(printf '%s\n' "$left" | head -n 1)
U2=$(printf '%s\n' "$left" | sed -n 2p)
[ -n "$U" ] && [ -n "$U2" ] || exit 1
echo data >"$U/data"
tg_event left_out_event kind=agent op=unregistered_path verdict=deny \
	reason=no_tenant_ids path="$U"
if grep '"op":"start"' "$TG_LOG" | grep -q 'UNREGISTERED: .*2 path(s) are no tenant'; then
	tg_pass left_out_in_start_message
else
	tg_fail left_out_in_start_message "$(grep '"op":"start"' "$TG_LOG" | tail -n 1)"
fi
if tg_cli status | grep -q "^REFUSED: *path $U is no tenant's: the 16383 tenant ids are used up"; then
	tg_pass left_out_in_status
else
	tg_fail left_out_in_status "$(tg_cli status | grep -v '^t[0-9]' | head -n 40)"
fi

# Refused to every tenant, the host keeps access.
tg_probe left_out_acme_refused --cgroup "$A" --expect "$denied" open "$U/data"
tg_event left_out_acme_refused_event kind=file op=open verdict=deny \
	tenant=acme target_tenant="(unregistered)" path="$U/data"
tg_probe left_out_globex_refused --cgroup "$G" --expect "$denied" open "$U/data"
tg_probe left_out_list_refused --cgroup "$G" --expect "$denied" open "$U" dir
tg_probe left_out_host --expect ok open "$U/data"

# Within the limit, as before.
tg_probe acme_own --cgroup "$A" --expect ok open "$TG_SRV/acme/data"
tg_probe globex_own --cgroup "$G" --expect ok open "$TG_SRV/globex/data"
tg_probe globex_acme_refused --cgroup "$G" --expect "$denied" \
	open "$TG_SRV/acme/data"
tg_event globex_acme_refused_event kind=file op=open verdict=deny \
	tenant=globex target_tenant=acme path="$TG_SRV/acme/data"
tg_probe host_acme --expect ok open "$TG_SRV/acme/data"
tg_probe acme_etc --cgroup "$A" --expect ok open /etc/passwd

# A tenant beyond the limit, made while the agent runs: pending, its
# directory refused to every tenant, itself included.
mkdir "$TG_SRV/late" && echo late >"$TG_SRV/late/data" || exit 1
mkdir "$L" || exit 1
tg_event late_pending_event kind=agent op=pending verdict=deny \
	reason=no_tenant_ids cgroup="$L"
tg_event late_path_event kind=agent op=unregistered_path verdict=deny \
	reason=no_tenant_ids path="$TG_SRV/late"
tg_probe late_acme_file_refused --cgroup "$L" --expect "$denied" \
	open "$TG_SRV/acme/data"
tg_event late_acme_file_refused_event kind=file op=open verdict=deny \
	tenant="(pending)" target_tenant=acme path="$TG_SRV/acme/data"
tg_probe acme_late_file_refused --cgroup "$A" --expect "$denied" \
	open "$TG_SRV/late/data"
tg_event acme_late_file_refused_event kind=file op=open verdict=deny \
	tenant=acme target_tenant="(unregistered)" path="$TG_SRV/late/data"
tg_probe globex_late_file_refused --cgroup "$G" --expect "$denied" \
	open "$TG_SRV/late/data"
tg_probe late_own_file_refused --cgroup "$L" --expect "$denied" \
	open "$TG_SRV/late/data"
tg_probe host_late_file --expect ok open "$TG_SRV/late/data"
tg_listen "$A" tcp 127.0.0.1 $pa
tg_probe late_acme_listener_refused --cgroup "$L" --expect EPERM \
	connect tcp 127.0.0.1 $pa
tg_probe globex_acme_listener_refused --cgroup "$G" --expect EPERM \
	connect tcp 127.0.0.1 $pa
tg_probe host_acme_listener --expect ok connect tcp 127.0.0.1 $pa
if tg_cli status | grep -q "^PENDING: *cgroup $L is no tenant: the 16383 tenant ids are used up" &&
	tg_cli status | grep -q "^REFUSED: *path $TG_SRV/late is no tenant's"; then
	tg_pass late_in_status
else
	tg_fail late_in_status "$(tg_cli status | grep -v '^t[0-9]' | head -n 40)"
fi

# The tree shrinks: a directory no longer there is no longer listed.
rm -r "$U2"
n=0
while tg_cli status --json | tr -d ' \n' | grep -q "\"path\":\"$U2\""; do
	n=$((n + 1))
	[ "$n" -gt 100 ] && break
	sleep 0.1
done
if [ "$n" -le 100 ]; then
	tg_pass removed_not_listed
else
	tg_fail removed_not_listed "$U2 still listed"
fi
tg_probe still_refused_after_rescan --cgroup "$A" --expect "$denied" \
	open "$U/data"

# A policy file naming a tenant that gets no id (the restarted agent adopts
# the pinned set, whose ids are used up): the rest of the policy applies;
# initech owns nothing, its processes (in a cgroup outside the tenants
# cgroup) are pending, its path is refused to every tenant.
tg_stop_agent
IC=$TG_CGROOT/tg-test-$$-initech
mkdir "$IC" || exit 1
tg_on_cleanup "rmdir '$IC' 2>/dev/null"
mkdir "$TG_SRV/initech" && echo initech >"$TG_SRV/initech/data" || exit 1
tg_policy <<YAML
  acme:
    paths: [$TG_SRV/acme]
  globex:
    paths: [$TG_SRV/globex]
  initech:
    cgroup: /tg-test-$$-initech
    paths: [$TG_SRV/initech]
YAML
tg_start_agent || exit 1
tg_event policy_idless_pending_event kind=agent op=pending verdict=deny \
	reason=no_tenant_ids cgroup="$IC"
tg_event policy_idless_path_event kind=agent op=unregistered_path \
	verdict=deny reason=no_tenant_ids path="$TG_SRV/initech"
tg_probe policy_idless_acme_refused --cgroup "$IC" --expect "$denied" \
	open "$TG_SRV/acme/data"
tg_event policy_idless_acme_refused_event kind=file op=open verdict=deny \
	tenant="(pending)" target_tenant=acme path="$TG_SRV/acme/data"
tg_probe policy_idless_listener_refused --cgroup "$IC" --expect EPERM \
	connect tcp 127.0.0.1 $pa
tg_probe policy_acme_idless_refused --cgroup "$A" --expect "$denied" \
	open "$TG_SRV/initech/data"
tg_event policy_acme_idless_refused_event kind=file op=open verdict=deny \
	tenant=acme target_tenant="(unregistered)" path="$TG_SRV/initech/data"
tg_probe policy_host_idless --expect ok open "$TG_SRV/initech/data"
tg_probe policy_acme_own --cgroup "$A" --expect ok open "$TG_SRV/acme/data"
tg_probe policy_globex_acme_refused --cgroup "$G" --expect "$denied" \
	open "$TG_SRV/acme/data"
if grep '"op":"start"' "$TG_LOG" | tail -n 1 | grep -q 'UNREGISTERED: .*for want of tenant ids'; then
	tg_pass policy_idless_in_start_message
else
	tg_fail policy_idless_in_start_message "$(grep '"op":"start"' "$TG_LOG" | tail -n 1)"
fi
tg_stop_agent
