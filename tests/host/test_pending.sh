#!/bin/sh
# test_pending: a cgroup below the tenants cgroup that is no tenant (yet) is
# the pending actor, never the host. Its processes are refused what a tenant
# owns (acme's listener, acme's reserved port, acme's files) with an event
# naming tenant "(pending)", and keep what any tenant has (a host service,
# their own listener, shared files). Covered: a cgroup whose name is no
# valid tenant name (reported by an agent event and in status, and
# confined); the window after mkdir, before the agent registers a new
# cgroup (a loop of fresh cgroups connecting at once never reaches acme); a
# policy in audit mode (pending follows it); a zero-config tenant whose
# owned path is acme's directory (left pending and reported, the rest of
# the registration goes on).
. "$(dirname "$0")/../lib/tap.sh"
. "$(dirname "$0")/../lib/tenants.sh"
. "$(dirname "$0")/../lib/net.sh"

: "${TG_BIN:?}"
tg_env_setup || exit 1
P=$TG_BIN/tg-try
A=$TG_TDIR/acme
B="$TG_TDIR/bad name"
base=$TG_PORT_BASE
pa=$((base + 81)) phost=$((base + 82)) pown=$((base + 83))
resv=$((base + 84)) pfree=$((base + 85)) pearly=$((base + 86))
mkdir -p "$TG_SRV/shared"
echo shared >"$TG_SRV/shared/data"
tg_policy <<YAML
  acme:
    paths: [$TG_SRV/acme]
    ports: [tcp:$resv]
  globex:
    paths: [$TG_SRV/globex]
YAML
tg_start_collector || exit 1
tg_start_agent || exit 1

# A cgroup no tenant can be named after: reported, its processes pending.
mkdir "$B" || exit 1
tg_event invalid_name_reported kind=agent op=pending verdict=deny \
	reason=invalid_name cgroup="$B"
if tg_cli status --json | tr -d '\n ' |
	grep -q '"unregistered":\[{"cgroup":"'"$(echo "$B" | tr -d ' ')"'","reason":"invalid_name"'; then
	tg_pass invalid_name_in_status_json
else
	tg_fail invalid_name_in_status_json "$(tg_cli status --json | grep -A3 unregistered)"
fi
if tg_cli status | grep -q "^PENDING: *cgroup $B is no tenant: its name is not a valid tenant name"; then
	tg_pass invalid_name_in_status
else
	tg_fail invalid_name_in_status "$(tg_cli status)"
fi
if tg_cli status | grep -q "^(pending) .* $TG_TDIR (and below it, in no tenant)"; then
	tg_pass pending_row_in_status
else
	tg_fail pending_row_in_status "$(tg_cli status)"
fi

tg_listen "$A" tcp 127.0.0.1 $pa
tg_listen host tcp 127.0.0.1 $phost
tg_listen "$B" tcp 127.0.0.1 $pown

tg_probe pending_connect_acme --cgroup "$B" --expect EPERM connect tcp 127.0.0.1 $pa
tg_event pending_connect_acme_event kind=net op=connect verdict=deny \
	tenant="(pending)" target_tenant=acme proto=tcp addr=127.0.0.1 port=$pa
tg_probe pending_connect_acme6 --cgroup "$B" --expect EPERM connect tcp ::ffff:127.0.0.1 $pa
tg_probe pending_bind_reserved --cgroup "$B" --expect EPERM bind tcp 0.0.0.0 $resv
tg_event pending_bind_reserved_event kind=net op=bind verdict=deny \
	tenant="(pending)" target_tenant=acme proto=tcp port=$resv
tg_probe pending_bind_held --cgroup "$B" --expect EPERM bind tcp ::1 $pa
tg_event pending_bind_held_event kind=net op=bind verdict=deny \
	tenant="(pending)" target_tenant=acme proto=tcp addr=::1 port=$pa

tg_probe pending_connect_host_service --cgroup "$B" --expect ok connect tcp 127.0.0.1 $phost
tg_probe pending_connect_own_listener --cgroup "$B" --expect ok connect tcp 127.0.0.1 $pown
tg_probe pending_bind_free_port --cgroup "$B" --expect ok bind tcp 127.0.0.1 $pfree
tg_probe host_connect_pending_listener --expect ok connect tcp 127.0.0.1 $pown
tg_probe acme_connect_pending_listener --cgroup "$A" --expect EPERM connect tcp 127.0.0.1 $pown
tg_event acme_connect_pending_listener_event kind=net op=connect verdict=deny \
	tenant=acme target_tenant="(pending)" port=$pown
tg_probe acme_bind_own_reserved --cgroup "$A" --expect ok bind tcp 0.0.0.0 $resv

# Files (the fanotify backend here: opens; BPF LSM in the VM scenario).
fe=EPERM
grep -qs bpf /sys/kernel/security/lsm && fe=EACCES
tg_probe pending_open_acme_file --cgroup "$B" --expect $fe open "$TG_SRV/acme/data"
tg_event pending_open_acme_file_event kind=file op=open verdict=deny \
	tenant="(pending)" target_tenant=acme path="$TG_SRV/acme/data"
tg_probe pending_open_shared_file --cgroup "$B" --expect ok open "$TG_SRV/shared/data"
tg_probe pending_open_etc --cgroup "$B" --expect ok open /etc/hostname

# The window: fresh cgroups whose first act is a connect to acme.
if out=$("$P" pending-race "$TG_TDIR" 30 connect tcp 127.0.0.1 $pa 2>&1); then
	tg_pass window_never_reaches_acme
else
	tg_fail window_never_reaches_acme "$out"
fi
tg_event window_event kind=net op=connect verdict=deny tenant="(pending)" \
	target_tenant=acme port=$pa

# A new cgroup with a valid name becomes a tenant: no longer pending.
mkdir "$TG_TDIR/late" || exit 1
tg_wait_tenant late
tg_probe registered_connect_acme --cgroup "$TG_TDIR/late" --expect EPERM \
	connect tcp 127.0.0.1 $pa
tg_event registered_connect_acme_event kind=net op=connect verdict=deny \
	tenant=late target_tenant=acme port=$pa

# A socket made while pending is the new tenant's once it is registered:
# its own connects work, acme's are refused naming it. The agent is held
# (SIGSTOP) meanwhile, so that the listener is surely made while pending.
kill -STOP "$TG_AGENT_PID"
mkdir "$TG_TDIR/early" || exit 1
tg_listen "$TG_TDIR/early" tcp 127.0.0.1 $pearly
tg_probe early_listener_acme_while_pending --cgroup "$A" --expect EPERM \
	connect tcp 127.0.0.1 $pearly
kill -CONT "$TG_AGENT_PID"
tg_event early_listener_acme_while_pending_event kind=net op=connect \
	verdict=deny tenant=acme target_tenant="(pending)" port=$pearly
tg_wait_tenant early
tg_probe early_listener_own_connect --cgroup "$TG_TDIR/early" --expect ok \
	connect tcp 127.0.0.1 $pearly
tg_probe early_listener_acme_connect --cgroup "$A" --expect EPERM \
	connect tcp 127.0.0.1 $pearly
tg_event early_listener_acme_connect_event kind=net op=connect verdict=deny \
	tenant=acme target_tenant=early port=$pearly

# A zero-config tenant whose owned path is acme's directory (through a
# symlink): it stays pending (reported), the other new cgroups are still
# registered. Built-in policy: each child owns $TG_SRV/<name>.
tg_stop_agent
ln -s "$TG_SRV/acme" "$TG_SRV/evil"
mkdir "$TG_TDIR/evil" "$TG_TDIR/fine" "$TG_SRV/fine" || exit 1
TG_POLICY=""
tg_start_agent || exit 1
tg_event conflict_reported kind=agent op=pending verdict=deny reason=conflict \
	cgroup="$TG_TDIR/evil"
if tg_cli status --json | grep -q '"name":"fine"'; then
	tg_pass conflict_others_registered
else
	tg_fail conflict_others_registered "$(tg_cli status)"
fi
tg_probe conflict_pending_open_acme --cgroup "$TG_TDIR/evil" --expect $fe \
	open "$TG_SRV/evil/data"
tg_event conflict_pending_open_acme_event kind=file op=open verdict=deny \
	tenant="(pending)" target_tenant=acme
tg_probe conflict_owner_open --cgroup "$A" --expect ok open "$TG_SRV/acme/data"
tg_probe conflict_other_owner_open --cgroup "$TG_TDIR/fine" --expect ok \
	open "$TG_SRV/fine"  dir
tg_stop_agent

# Audit mode: pending follows the policy's mode.
tg_policy <<YAML
  acme:
    paths: [$TG_SRV/acme]
YAML
sed -i 's/^version: 1$/version: 1\nmode: audit/' "$TG_POLICY"
tg_start_agent || exit 1
tg_probe audit_pending_connect_acme --cgroup "$B" --expect ok connect tcp 127.0.0.1 $pa
tg_event audit_pending_connect_acme_event kind=net op=connect verdict=audit \
	tenant="(pending)" target_tenant=acme port=$pa

tg_summary
