#!/bin/sh
# test_file_fanotify_links: the fanotify backend decides a file with several
# hard links by its identity (the places of all its names), never by the
# name it is opened by. Links made while the agent runs: between a tenant's
# tree and an unowned place, and between two tenants' trees, read by the
# other tenant through every name and through a bind mount made in an
# unprivileged user namespace (refused, one deny event each); the owner's
# own links, made after start, by both names, and host processes (allowed).
# Then an agent whose link scan stops short (--link-scan-max): what it did
# not see is refused to every tenant after --fanotify-wait-ms, counted in
# status, and never to the host.
. "$(dirname "$0")/../lib/tap.sh"
. "$(dirname "$0")/../lib/tenants.sh"

: "${TG_BIN:?}"
tg_env_setup || exit 1
tg_mounted "$TG_SRV" || tg_srv_tmpfs || exit 1
S=$TG_SRV
A=$TG_TDIR/acme
G=$TG_TDIR/globex
P=$TG_BIN/tg-try

mkdir -p "$S/acme/src" "$S/acme/big" "$S/globex" "$S/shared" \
	"$TG_T/ubind" || exit 1
echo a >"$S/acme/src/one"
echo b >"$S/acme/src/two"
echo c >"$S/acme/src/three"
echo g >"$S/globex/mine"
echo h >"$S/shared/hostfile"
# Many entries before the one link below: past a short scan's limit.
i=0
while [ $i -lt 40 ]; do
	: >"$S/acme/big/f$i"
	i=$((i + 1))
done
mkdir -p "$S/acme/big/zz"
echo far >"$S/acme/big/zz/far"
ln "$S/acme/big/zz/far" "$S/shared/far"	# before the agent starts

tg_policy <<YAML
  acme:
    paths: [$S/acme]
  globex:
    paths: [$S/globex]
YAML
tg_start_collector || exit 1
tg_start_agent --file-backend fanotify || exit 1
stat_of()
{
	tg_cli status --json | tr -d ' \n' |
		sed -n "s/.*\"links\":{[^}]*\"$1\":\([0-9]*\).*/\1/p"
}
w0=$(stat_of waited)

# refused NAME TARGET_TENANT PATH [CGROUP]: globex's open of PATH fails with
# EPERM, and one more deny event of globex's with TARGET_TENANT arrives.
refused()
{
	n=$(tg_count kind=file op=open verdict=deny tenant=globex target_tenant="$2")
	tg_probe "$1" --cgroup "${4:-$G}" --expect EPERM open "$3"
	tg_event "${1}_event" --count $((n + 1)) kind=file op=open \
		verdict=deny tenant=globex target_tenant="$2"
}
# userns NAME WANT DIR FILE: globex, in a user and mount namespace of its
# own (unprivileged: uid 0 mapped to root only inside), binds DIR over
# $TG_T/ubind and opens FILE below it; WANT is ok or an errno.
userns()
{
	if out=$(sh -c "echo \$\$ >'$G/cgroup.procs' && exec unshare -Urm \
		sh -c \"mount --bind '$3' '$TG_T/ubind' && exec '$P' --expect $2 \
		open '$TG_T/ubind/$4'\"" 2>&1); then
		tg_pass "$1"
	else
		tg_fail "$1" "$out"
	fi
}
can_userns=1
unshare -Urm true 2>/dev/null || can_userns=0

# Made after start: a second name of acme's file in an unowned place, by
# acme itself and by the host.
"$P" --cgroup "$A" --expect ok open "$S/acme/src/one" >/dev/null
sh -c "echo \$\$ >'$A/cgroup.procs' && exec ln '$S/acme/src/one' '$S/shared/one'"
ln "$S/acme/src/two" "$S/shared/two"
refused deny_late_link_unowned_name acme "$S/shared/one"
refused deny_late_link_owned_name acme "$S/acme/src/one"
refused deny_late_host_link_unowned_name acme "$S/shared/two"
if [ $can_userns = 1 ]; then
	n=$(tg_count kind=file op=open verdict=deny tenant=globex target_tenant=acme)
	userns deny_late_link_userns_bind EPERM "$S/shared" one
	tg_event deny_late_link_userns_bind_event --count $((n + 1)) \
		kind=file op=open verdict=deny tenant=globex target_tenant=acme
	userns deny_late_link_userns_bind_owned EPERM "$S/acme/src" one
	userns allow_userns_bind_unowned ok "$S/shared" hostfile
else
	tg_skip deny_late_link_userns_bind "no unprivileged user namespaces here"
fi
tg_probe allow_owner_late_link_owned_name --cgroup "$A" --expect ok open "$S/acme/src/one"
tg_probe allow_owner_late_link_unowned_name --cgroup "$A" --expect ok open "$S/shared/one"
tg_probe allow_owner_late_link_write --cgroup "$A" --expect ok open "$S/shared/one" w
tg_probe allow_host_late_link --expect ok open "$S/shared/one"
tg_probe allow_host_late_link_owned_name --expect ok open "$S/acme/src/one"
w1=$(stat_of waited)
if [ -n "$w1" ] && [ "$w1" -ge $((w0 + 1)) ]; then
	tg_pass status_counts_waited
else
	tg_fail status_counts_waited "waited $w0 -> $w1"
fi

# The owner's own links inside its tree (as git, cp -al and package
# managers make them), opened at once by both names.
sh -c "echo \$\$ >'$A/cgroup.procs' && exec cp -al '$S/acme/src' '$S/acme/copy'"
tg_probe allow_owner_cp_al_copy --cgroup "$A" --expect ok open "$S/acme/copy/three"
tg_probe allow_owner_cp_al_source --cgroup "$A" --expect ok open "$S/acme/src/three"
sh -c "echo \$\$ >'$A/cgroup.procs' && ln '$S/acme/src/three' '$S/acme/third' &&
	exec '$P' --expect ok open '$S/acme/third'" >/dev/null 2>&1 &&
	tg_pass allow_owner_link_then_open || tg_fail allow_owner_link_then_open \
	"acme's open of its new link right after making it was refused"
refused deny_cp_al_copy acme "$S/acme/copy/three"

# Into another tenant's tree. A file the last scan found as acme's alone
# stays acme's: a name another tenant gains takes nothing from the owner.
ln "$S/acme/src/three" "$S/globex/three"
refused deny_link_into_other_tenant acme "$S/globex/three"
tg_probe allow_link_into_other_tenant_owner --cgroup "$A" --expect ok open "$S/acme/src/three"
if [ $can_userns = 1 ]; then
	userns deny_link_into_other_tenant_userns EPERM "$S/globex" three
fi
# A file with one name until then: several owners, refused to every tenant.
echo d >"$S/acme/four"
ln "$S/acme/four" "$S/globex/four"
refused deny_new_link_across_tenants '(several)' "$S/globex/four"
tg_probe deny_new_link_across_tenants_owner --cgroup "$A" --expect EPERM open "$S/acme/four"
tg_probe allow_host_shared_link --expect ok open "$S/globex/four"
tg_probe allow_own_file_beside --cgroup "$G" --expect ok open "$S/globex/mine"
# The other tenant's name goes: acme's alone again.
rm "$S/globex/four"
tg_probe allow_owner_after_other_name_removed --cgroup "$A" --expect ok open "$S/acme/four"
refused deny_after_other_name_removed acme "$S/acme/four"
# A link made before start, recorded by the scan.
refused deny_recorded_link_unowned_name acme "$S/shared/far"
tg_probe allow_recorded_link_owner --cgroup "$A" --expect ok open "$S/shared/far"

n=$(stat_of scans)
if [ -n "$n" ] && [ "$n" -gt 1 ]; then
	tg_pass status_counts_link_scans
else
	tg_fail status_counts_link_scans "scans: '$n'"
fi

# A scan that stops short: what it did not see is unknown, refused to
# every tenant at once (another scan would stop there too), also by a name
# made since, and allowed to the host.
tg_stop_agent
tg_start_agent --file-backend fanotify --link-scan-max 10 \
	--fanotify-wait-ms 100 || exit 1
fan_stat()
{
	tg_cli status --json | tr -d ' \n' |
		sed -n "s/.*\"fanotify\":{.*\"$1\":\([0-9]*\).*/\1/p"
}
u0=$(fan_stat undecidable)
refused deny_beyond_scan_limit '(unknown)' "$S/shared/far"
tg_probe deny_beyond_scan_limit_owner --cgroup "$A" --expect EPERM open "$S/acme/big/zz/far"
tg_probe allow_beyond_scan_limit_host --expect ok open "$S/shared/far"
tg_probe allow_single_link_beyond_limit --cgroup "$A" --expect ok open "$S/acme/big/f39"
ln "$S/acme/big/zz/far" "$S/acme/big/zz/far2"
tg_probe deny_beyond_scan_limit_new_name --cgroup "$A" --expect EPERM open "$S/acme/big/zz/far2"
u1=$(fan_stat undecidable)
if [ -n "$u1" ] && [ "$u1" -ge $((u0 + 3)) ]; then
	tg_pass status_counts_undecidable
else
	tg_fail status_counts_undecidable "undecidable $u0 -> $u1"
fi
tg_event undecidable_agent_event kind=agent op=file_undecidable verdict=deny
if tg_cli status | grep -q "fanotify: .* link scans; tenants' opens of files with several links: [0-9]* waited"; then
	tg_pass status_text_links
else
	tg_fail status_text_links "$(tg_cli status 2>&1 | grep fanotify)"
fi

tg_stop_agent

# A FUSE filesystem in acme's mount namespace that stops answering, with
# acme's tree bound below it, and acme opening its own new link through it:
# nothing the agent does for that open may look up a name there. Opens of
# the owner, other tenants and the host on the marked filesystem go on
# (timed against a generous bound, not measured tightly).
mkdir -p "$S/acme/fz" "$TG_T/fmnt" || exit 1
echo z >"$S/acme/fz/f"
echo o >"$S/acme/other"
echo p >"$S/acme/other2"
echo q >"$S/acme/other3"
cat >"$TG_T/fuse.sh" <<'SH'
# fuse.sh TG_TRY MOUNTPOINT DIR STATE: in a mount namespace of its own.
"$1" fuse-hang "$2" "$4.ready" "$4.hang" &
echo $! >"$4.pid"
n=0
until [ -e "$4.ready" ]; do
	n=$((n + 1))
	[ $n -gt 100 ] && exit 1
	sleep 0.05
done
mount --bind "$3" "$2/sub" || exit 1
cd "$2/sub" || exit 1
: >"$4.hang"
exec "$1" --expect ok open f
SH
tg_start_agent --file-backend fanotify || exit 1
ln "$S/acme/fz/f" "$S/acme/fz/f2"	# after start: not scanned yet
F=$TG_T/fuse
sh -c "echo \$\$ >'$A/cgroup.procs' && exec unshare -m --propagation private \
	sh '$TG_T/fuse.sh' '$P' '$TG_T/fmnt' '$S/acme/fz' '$F'" >"$F.out" 2>&1 &
opener=$!
tg_track "$opener"
n=0
until [ -e "$F.hang" ] || [ $n -gt 100 ]; do
	n=$((n + 1))
	sleep 0.05
done
[ -e "$F.pid" ] && tg_on_cleanup "kill -KILL $(cat "$F.pid") 2>/dev/null"
sleep 0.5	# the opener's event read and at work by now
# within NAME SECONDS PROBE_ARGS...: the probe passes within SECONDS.
within()
{
	w_name=$1 w_max=$2
	shift 2
	w_t0=$(date +%s%N)
	if out=$(timeout "$w_max" "$P" "$@" 2>&1); then
		echo "# $w_name: $((($(date +%s%N) - w_t0) / 1000000)) ms"
		tg_pass "$w_name"
	else
		tg_fail "$w_name" "not done within ${w_max}s or failed: $out"
	fi
}
within fuse_hang_host_open 5 --expect ok open "$S/acme/other"
within fuse_hang_owner_open 5 --cgroup "$A" --expect ok open "$S/acme/other2"
within fuse_hang_other_tenant_refused 5 --cgroup "$G" --expect EPERM open "$S/acme/other3"
within fuse_hang_host_open_unowned 5 --expect ok open "$S/shared/hostfile"
n=0
while kill -0 "$opener" 2>/dev/null && [ $n -lt 50 ]; do
	n=$((n + 1))
	sleep 0.1
done
if kill -0 "$opener" 2>/dev/null; then
	tg_fail fuse_hang_opener_answered "acme's open through the FUSE mount still waits"
elif wait "$opener"; then
	tg_pass fuse_hang_opener_answered
else
	tg_fail fuse_hang_opener_answered "$(cat "$F.out")"
fi
[ -e "$F.pid" ] && kill -KILL "$(cat "$F.pid")" 2>/dev/null
tg_stop_agent

tg_summary
