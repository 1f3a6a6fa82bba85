#!/bin/sh
# test_pending (BPF LSM): a cgroup below the tenants cgroup that is no
# tenant (yet) is the pending actor, never the host: it cannot open, create
# in or reach (unix sockets) what a tenant owns, with an event naming tenant
# "(pending)"; shared files, host sockets and its own sockets work. Covered:
# a cgroup with an invalid name (reported, confined), the window after
# mkdir (fresh cgroups opening acme's file at once are all refused), a unix
# listener made while pending that is its tenant's once registered.
. /tests/lib/tap.sh
. /tests/lib/tenants.sh

: "${TG_BIN:?}"
tg_env_setup || exit 1
P=$TG_BIN/tg-try
A=$TG_TDIR/acme
B="$TG_TDIR/bad name"
S=$TG_T/sock
mkdir -p "$S" /tmp/shared-pending && echo shared >/tmp/shared-pending/file
tg_policy <<YAML
  acme: {paths: [$TG_SRV/acme]}
  globex: {paths: [$TG_SRV/globex]}
YAML
mkdir "$B" || exit 1
tg_start_collector || exit 1
tg_start_agent --require-file-isolation || exit 1
tg_event invalid_name_reported kind=agent op=pending verdict=deny \
	reason=invalid_name cgroup="$B"

# serve NAME CGROUP|- TYPE ADDR: a listener, ready when this returns.
serve()
{
	if [ "$2" = - ]; then
		"$P" sock-listen "$3" "$4" "$TG_T/$1.ready" &
	else
		"$P" --cgroup "$2" sock-listen "$3" "$4" "$TG_T/$1.ready" &
	fi
	tg_track $!
	tg_wait_file "$TG_T/$1.ready" 20 || tg_fail "listener_$1" "did not start"
	sleep 0.1
}
serve acme "$A" unix-stream "$S/a.sock"
serve host - unix-stream "$S/h.sock"
serve own "$B" unix-stream "$S/p.sock"

echo "# files"
tg_probe pending_open_acme --cgroup "$B" --expect EACCES open "$TG_SRV/acme/data"
tg_event pending_open_acme_event kind=file op=open verdict=deny \
	tenant="(pending)" target_tenant=acme path="$TG_SRV/acme/data"
tg_probe pending_create_in_acme --cgroup "$B" --expect EACCES create "$TG_SRV/acme/new"
tg_event pending_create_in_acme_event kind=file op=create verdict=deny \
	tenant="(pending)" target_tenant=acme
tg_probe pending_open_shared --cgroup "$B" --expect ok open /tmp/shared-pending/file
tg_probe pending_create_shared --cgroup "$B" --expect ok create /tmp/shared-pending/p-new
tg_probe pending_open_bin --cgroup "$B" --expect ok open /bin/busybox
tg_probe acme_open_own --cgroup "$A" --expect ok open "$TG_SRV/acme/data"

echo "# unix sockets"
tg_probe pending_connect_acme --cgroup "$B" --expect EPERM sock unix-stream \
	"$S/a.sock" connect
tg_event pending_connect_acme_event kind=unix op=connect verdict=deny \
	tenant="(pending)" target_tenant=acme path="$S/a.sock"
tg_probe pending_connect_host --cgroup "$B" --expect ok sock unix-stream \
	"$S/h.sock" connect
tg_probe pending_connect_own --cgroup "$B" --expect ok sock unix-stream \
	"$S/p.sock" connect,send

echo "# the window after mkdir"
if out=$("$P" pending-race "$TG_TDIR" 10 open "$TG_SRV/acme/data" 2>&1); then
	tg_pass window_never_opens_acme
else
	tg_fail window_never_opens_acme "$out"
fi

echo "# a listener made while pending is its tenant's once registered"
kill -STOP "$TG_AGENT_PID"
mkdir "$TG_TDIR/early" || exit 1
serve early "$TG_TDIR/early" unix-stream "$S/e.sock"
kill -CONT "$TG_AGENT_PID"
tg_wait_tenant early 30
tg_probe early_own_connect --cgroup "$TG_TDIR/early" --expect ok \
	sock unix-stream "$S/e.sock" connect,send
tg_probe early_acme_connect --cgroup "$A" --expect EPERM \
	sock unix-stream "$S/e.sock" connect
tg_event early_acme_connect_event kind=unix op=connect verdict=deny \
	tenant=acme target_tenant=early path="$S/e.sock"

tg_summary
