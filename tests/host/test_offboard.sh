#!/bin/sh
# test_offboard: the end of a tenant. The agent makes its host key at the
# first start (0600, the same after a restart) and status shows it. Export
# of a live tenant, retiring an unknown tenant, an export into a tenant's
# tree and over an existing file are refused with their message and (for
# exports) an event. Retiring acme with a process running kills it,
# freezes its cgroup (a process put there later does not run) and tells
# each step as an event naming who asked; the record outlives a restart.
# With the fanotify backend the retired tenant's files are refused to host
# processes and other tenants; only the agent's export reads them. A
# policy file must keep a retired tenant with retired: and its paths
# (located errors); retired: in a policy retires a tenant at reload.
# Erasure is refused for a live or unknown tenant, before the retention
# and with --now but no second person; after the retention it removes the
# trees and writes a signed certificate (file and event).
# The export of the retired tenant is an event naming who ran it; verify
# passes, then fails naming the file for a changed byte, a removed
# member, an added member, an edited manifest and another key.
. "$(dirname "$0")/../lib/tap.sh"
. "$(dirname "$0")/../lib/tenants.sh"

: "${TG_BIN:?}"
tg_env_setup || exit 1
tg_mounted "$TG_SRV" || tg_srv_tmpfs || exit 1
TG=$TG_BIN/tenantguard
CS="--control-socket $TG_T/control.sock"
S=$TG_SRV
mkdir -p "$S/acme/sub/deeper" "$S/acme/empty" "$TG_T/out" || exit 1
echo acme-data >"$S/acme/data"
printf 'x%.0s' $(seq 1 3000) >"$S/acme/sub/big"
: >"$S/acme/sub/zero"
echo deep >"$S/acme/sub/deeper/f"
chmod 0640 "$S/acme/sub/deeper/f"
ln -s ../data "$S/acme/sub/link"
tg_start_collector || exit 1
tg_start_agent --file-backend fanotify || exit 1

# run NAME WANT_STATUS WANT_TEXT CMD...: status and output checked.
run()
{
	name=$1 want=$2 text=$3
	shift 3
	"$@" >"$TG_T/out.txt" 2>&1
	rc=$?
	if [ "$rc" != "$want" ]; then
		tg_fail "$name" "exit $rc, not $want: $(head -c 400 "$TG_T/out.txt")"
	elif ! grep -qF -- "$text" "$TG_T/out.txt"; then
		tg_fail "$name" "no '$text' in: $(head -c 400 "$TG_T/out.txt")"
	else
		tg_pass "$name"
	fi
}

# host key: made at the first start, 0600, shown by status
K=$TG_T/state/host.key
if [ -f "$K" ] && [ "$(stat -c %a "$K")" = 600 ] &&
	[ "$(wc -c <"$K")" = 129 ]; then
	tg_pass offboard/host_key_made
else
	tg_fail offboard/host_key_made "$(ls -l "$K" 2>&1)"
fi
PUB=$("$TG" $CS status --json | sed -n 's/.*"public_key": *"\([^"]*\)".*/\1/p' | head -n 1)
if [ ${#PUB} = 44 ] && "$TG" $CS status | grep -qF "host key:    ed25519 $PUB"; then
	tg_pass offboard/status_key
else
	tg_fail offboard/status_key "key '$PUB'"
fi

# refusals before retirement
run offboard/export_live 1 "tenant 'acme' is live" \
	"$TG" $CS tenant export acme --to "$TG_T/out/live.tar"
if [ ! -e "$TG_T/out/live.tar" ] && [ ! -e "$TG_T/out/live.tar.pub" ]; then
	tg_pass offboard/export_live_nothing_left
else
	tg_fail offboard/export_live_nothing_left "$(ls "$TG_T/out")"
fi
tg_event offboard/export_live_event kind=tenant op=export verdict=deny \
	target_tenant=acme by_uid=0
run offboard/retire_unknown 1 "no tenant 'nobody' in the policy in force" \
	"$TG" $CS tenant retire nobody
run offboard/retire_bad_keep 1 "--keep 'soon' is no duration" \
	"$TG" $CS tenant retire acme --keep soon
run offboard/retire_usage 2 "one tenant is needed" "$TG" $CS tenant retire
run offboard/verify_usage 2 "one export is needed" "$TG" tenant verify

# retire acme with a process running
sleep 300 &
W=$!
tg_track "$W"
echo "$W" >"$TG_TDIR/acme/cgroup.procs" || tg_fail offboard/setup "cannot move $W"
run offboard/retire 0 "tenant acme retired" \
	"$TG" $CS tenant retire acme --keep 2s
n=0
while kill -0 "$W" 2>/dev/null && [ "$n" -lt 50 ]; do
	sleep 0.1
	n=$((n + 1))
done
if kill -0 "$W" 2>/dev/null; then
	tg_fail offboard/retire_killed "pid $W still runs"
else
	tg_pass offboard/retire_killed
fi
if [ "$(cat "$TG_TDIR/acme/cgroup.freeze")" = 1 ]; then
	tg_pass offboard/retire_frozen
else
	tg_fail offboard/retire_frozen "cgroup.freeze $(cat "$TG_TDIR/acme/cgroup.freeze")"
fi
for op in retire freeze kill; do
	tg_event offboard/retire_event_$op kind=tenant op=$op verdict=allow \
		target_tenant=acme by_uid=0 ok=true
done
# A process put into the frozen cgroup does not run.
sh -c "echo \$\$ >'$TG_TDIR/acme/cgroup.procs'; touch '$TG_T/ran'" &
Z=$!
sleep 1
if [ -e "$TG_T/ran" ]; then
	tg_fail offboard/frozen_no_run "a process put there ran"
else
	tg_pass offboard/frozen_no_run
fi
echo 1 >"$TG_TDIR/acme/cgroup.kill"
wait "$Z" 2>/dev/null
run offboard/retire_again 1 "is retired already" "$TG" $CS tenant retire acme
# Nothing is started in it: not through the agent, not by root's launcher.
run offboard/run_via_agent_refused 125 "the tenant is retired" \
	"$TG" $CS run --via-agent --tenant acme --uid 0 --gid 0 -- touch "$TG_T/ran2"
run offboard/run_root_refused 125 "is frozen (a retired tenant" \
	"$TG" $CS run --tenant acme --uid 0 --gid 0 -- touch "$TG_T/ran3"
if [ -e "$TG_T/ran2" ] || [ -e "$TG_T/ran3" ]; then
	tg_fail offboard/run_nothing_ran "$(ls "$TG_T")"
else
	tg_pass offboard/run_nothing_ran
fi
"$TG" $CS status --json >"$TG_T/status.json"
if grep -q '"name": *"acme"' "$TG_T/status.json" &&
	"$TG" $CS status | grep -q "^retired:     acme"; then
	tg_pass offboard/status_retired
else
	tg_fail offboard/status_retired "$(grep -A3 retired "$TG_T/status.json")"
fi

# fanotify: the retired tenant's files are refused to everyone, the host too
if cat "$S/acme/data" >/dev/null 2>"$TG_T/cat.err"; then
	tg_fail offboard/host_open_refused "the host read a retired tenant's file"
elif grep -q "Operation not permitted" "$TG_T/cat.err"; then
	tg_pass offboard/host_open_refused
else
	tg_fail offboard/host_open_refused "$(cat "$TG_T/cat.err")"
fi
tg_event offboard/host_open_event kind=file verdict=deny tenant=host \
	target_tenant=acme
sh -c "echo \$\$ >'$TG_TDIR/globex/cgroup.procs' && exec cat '$S/acme/sub/deeper/f'" \
	>/dev/null 2>"$TG_T/cat.err"
if grep -q "Operation not permitted" "$TG_T/cat.err"; then
	tg_pass offboard/tenant_open_refused
else
	tg_fail offboard/tenant_open_refused "$(cat "$TG_T/cat.err")"
fi

# export: refused into a tenant's tree, then done
run offboard/export_into_tenant 1 "inside tenant globex's tree" \
	"$TG" $CS tenant export acme --to "$S/globex/acme.tar"
if [ ! -e "$S/globex/acme.tar" ] && [ ! -e "$S/globex/acme.tar.manifest.json" ]; then
	tg_pass offboard/export_into_tenant_nothing_left
else
	tg_fail offboard/export_into_tenant_nothing_left "$(ls "$S/globex")"
fi
tg_event offboard/export_into_tenant_event kind=tenant op=export \
	verdict=deny target_tenant=acme
# Its own tree: the retired tenant's directory refuses the file already.
run offboard/export_into_own 1 "$S/acme/sub/acme.tar: Operation not permitted" \
	"$TG" $CS tenant export acme --to "$S/acme/sub/acme.tar"
# (Nothing is left there: the export below counts 4 files, 9 members.)
run offboard/export_usage 2 "--to FILE are needed" "$TG" $CS tenant export acme
X=$TG_T/out/acme.tar
LUID=$(cat /proc/self/loginuid)
[ "$LUID" = 4294967295 ] && LUID=-1
run offboard/export 0 "tenant acme exported: 4 files, 3015 bytes (9 members)" \
	"$TG" $CS tenant export acme --to "$X"
tg_event offboard/export_event kind=tenant op=export verdict=allow \
	target_tenant=acme by_uid=0 by_login_uid="$LUID" \
	files=4 path="$X"
if [ "$(cat "$X.pub")" = "$PUB" ] && [ -s "$X.manifest.json" ] &&
	[ -s "$X.manifest.sig" ]; then
	tg_pass offboard/export_files
else
	tg_fail offboard/export_files "$(ls -l "$TG_T/out")"
fi
run offboard/export_no_overwrite 1 "never replaces a file" \
	"$TG" $CS tenant export acme --to "$X"
run offboard/verify 0 "verified: $X matches its manifest byte for byte" \
	"$TG" tenant verify "$X"
run offboard/verify_key 0 "signed by $PUB" "$TG" tenant verify "$X" --key "$PUB"

# tampering
M=${S#/}
cp "$X" "$TG_T/t1.tar" && cp "$X.manifest.json" "$TG_T/t1.tar.manifest.json" &&
	cp "$X.manifest.sig" "$TG_T/t1.tar.manifest.sig" && cp "$X.pub" "$TG_T/t1.tar.pub"
for t in t2 t3 t4 t5; do
	for s in "" .manifest.json .manifest.sig .pub; do cp "$TG_T/t1.tar$s" "$TG_T/$t.tar$s"; done
done
off=$(grep -abo deep "$TG_T/t1.tar" | tail -n 1 | cut -d: -f1)
printf 'D' | dd of="$TG_T/t1.tar" bs=1 seek="$off" conv=notrunc 2>/dev/null
run offboard/verify_byte 1 "$M/acme/sub/deeper/f differs: SHA-256" \
	"$TG" tenant verify "$TG_T/t1.tar" --key "$PUB"
tar --delete -f "$TG_T/t2.tar" "$M/acme/sub/big"
run offboard/verify_removed 1 "$M/acme/sub/big is missing" \
	"$TG" tenant verify "$TG_T/t2.tar" --key "$PUB"
echo extra >"$TG_T/extra"
tar -rf "$TG_T/t3.tar" -C "$TG_T" extra
run offboard/verify_added 1 "extra is not in the manifest" \
	"$TG" tenant verify "$TG_T/t3.tar" --key "$PUB"
sed -i 's/"size":3000/"size":3001/' "$TG_T/t4.tar.manifest.json"
run offboard/verify_manifest 1 "does not match this manifest" \
	"$TG" tenant verify "$TG_T/t4.tar" --key "$PUB"
K2=$("$TG" grant keygen --out "$TG_T/other.key")
run offboard/verify_other_key 1 "does not match this manifest and the key $K2" \
	"$TG" tenant verify "$TG_T/t5.tar" --key "$K2"

# the record and the key outlive a restart
tg_stop_agent
tg_start_agent --file-backend fanotify || exit 1
PUB2=$("$TG" $CS status --json | sed -n 's/.*"public_key": *"\([^"]*\)".*/\1/p' | head -n 1)
if [ "$PUB2" = "$PUB" ]; then
	tg_pass offboard/host_key_kept
else
	tg_fail offboard/host_key_kept "'$PUB2' after, '$PUB' before"
fi
run offboard/retired_kept 1 "is retired already" "$TG" $CS tenant retire acme

# A policy file must keep the retired tenant, with retired: and its paths.
tg_stop_agent
mkdir -p "$TG_TDIR/initech" "$S/initech" "$TG_T/policy.d"
TG_POLICY=$TG_T/policy.yaml
# policy ACME_EXTRA [MORE_TENANTS]
policy()
{
	cat >"$TG_POLICY" <<YAML
version: 1
tenants_cgroup: $TG_TENANTS
confirm: {verbs: [detach]}
tenants:
  globex:
    paths: [$S/globex]
$1$2
YAML
}
ACME="  acme:
    paths: [$S/acme]
    retired: {since: 2026-12-07, keep: 2s}"
policy "$ACME"
tg_start_agent --file-backend fanotify || exit 1
tg_pass offboard/policy_keeps_retired
policy "  acme:
    paths: [$S/acme]"
run offboard/reload_drops_retired_entry 1 "policy.yaml:7:3: tenant 'acme' is retired" \
	"$TG" $CS reload
policy ""
run offboard/reload_drops_retired 1 "tenant 'acme' is retired" "$TG" $CS reload
policy "  acme:
    paths: [$S/acme/sub]
    retired: {since: 2026-12-07}"
run offboard/reload_drops_path 1 "its path $S/acme stays its own" "$TG" $CS reload
policy "$ACME" "
  initech:
    paths: [$S/acme/sub]"
run offboard/overlap_retired 1 "overlaps" "$TG" $CS reload
run offboard/check_overlap_retired 1 "overlaps" "$TG" policy check "$TG_POLICY"
policy "$ACME" "
  initech:
    paths: [$S/initech]
    retired: {since: 2026-12-0x}"
run offboard/retired_bad_date 1 "since: '2026-12-0x' is no date" \
	"$TG" policy check "$TG_POLICY"
policy "$ACME" "
  initech:
    paths: [$S/initech]
    retired: {since: 2026-12-07, keep: 30d}"
run offboard/reload_retires 0 "" "$TG" $CS reload
tg_event offboard/policy_retire_event kind=tenant op=retire verdict=allow \
	target_tenant=initech
if [ "$(cat "$TG_TDIR/initech/cgroup.freeze")" = 1 ]; then
	tg_pass offboard/policy_retire_frozen
else
	tg_fail offboard/policy_retire_frozen "cgroup.freeze $(cat "$TG_TDIR/initech/cgroup.freeze")"
fi

# erasure: never before the retention, never of a live tenant. (This
# policy lets tenant-erase run without a second person: confirm: names
# detach alone; so --now is refused.)
run offboard/erase_live 1 "tenant 'globex' is not retired" "$TG" $CS tenant erase globex
run offboard/erase_unknown 1 "no tenant 'nobody' is retired" "$TG" $CS tenant erase nobody
run offboard/erase_too_early 1 "initech's retention of 2592000s has not passed" \
	"$TG" $CS tenant erase initech
run offboard/erase_now_alone 1 "--now needs a second person" \
	"$TG" $CS tenant erase initech --now
tg_event offboard/erase_refused_event kind=tenant op=erase verdict=deny \
	target_tenant=initech
run offboard/erase_usage 2 "one tenant is needed" "$TG" $CS tenant erase
run offboard/erase 0 "tenant acme erased (deleted, storage not sanitized): 4 files, 3015 bytes" \
	"$TG" $CS tenant erase acme
if [ -e "$S/acme" ]; then
	tg_fail offboard/erase_gone "$S/acme is still there"
else
	tg_pass offboard/erase_gone
fi
tg_event offboard/erase_event kind=tenant op=erase verdict=allow \
	target_tenant=acme method="deleted, storage not sanitized" by_uid=0
C=$(ls "$TG_T/state"/erasure-acme-*.json 2>/dev/null | head -n 1)
if [ -n "$C" ] && [ -s "$C.sig" ] &&
	grep -q '"method":"deleted, storage not sanitized"' "$C" &&
	grep -q '"files":4,"bytes":3015' "$C" &&
	grep -q '"paths_left":\[\],"ok":true' "$C" &&
	grep -q '"tenant":"acme"' "$C" && grep -q '"agent_version":' "$C" &&
	grep -q "the tenant's events in the audit log" "$C"; then
	tg_pass offboard/erase_certificate
else
	tg_fail offboard/erase_certificate "$(cat "$C" 2>&1 | head -c 600)"
fi
run offboard/erase_again 1 "is erased already" "$TG" $CS tenant erase acme
run offboard/export_erased 1 "is erased: nothing is left" \
	"$TG" $CS tenant export acme --to "$TG_T/out/erased.tar"
# An erased tenant may leave the policy.
policy "" "
  initech:
    paths: [$S/initech]
    retired: {since: 2026-12-07, keep: 30d}"
run offboard/reload_after_erase 0 "" "$TG" $CS reload
tg_summary
