#!/bin/sh
# test_file_ops (BPF LSM): every file operation on another tenant's objects
# is denied (EACCES, one kind=file event naming the operation, the path and
# both tenants), the same operation on one's own objects or shared ones is
# allowed without an event, and a tenant in audit mode is allowed and
# reported.
. /tests/lib/tap.sh
. /tests/lib/tenants.sh

: "${TG_BIN:?}"
tg_env_setup || exit 1
A=$TG_SRV/acme
GX=$TG_SRV/globex
G=$TG_TDIR/globex
AC=$TG_TDIR/acme
U=$TG_TDIR/umbrella
mkdir -p "$U" "$TG_SRV/umbrella" "$TG_T/policy.d" /tmp/shared-ops
TG_POLICY=$TG_T/policy.yaml
cat >"$TG_POLICY" <<YAML
version: 1
tenants_cgroup: $TG_TENANTS
tenants:
  acme: {paths: [$A]}
  globex: {paths: [$GX]}
  umbrella: {mode: audit, paths: [$TG_SRV/umbrella]}
YAML

# Objects of acme for globex to try, one per case (events are told apart by path).
for f in victim-u victim-r victim-x trunc trunc-fd chmod chmod-fd chown utimes \
	setx remx setacl remacl passed getfd own-u own-r own-x own-t own-c; do
	echo "$f" >"$A/$f"
done
mkdir -p "$A/victim-d" "$A/own-d" "$A/dir-out"
printf '#!/bin/sh\nexit 0\n' >"$A/tool" && chmod 755 "$A/tool"
printf '#!/bin/sh\nexit 0\n' >"$GX/tool" && chmod 755 "$GX/tool"
setfattr_host() { "$TG_BIN/tg-try" setxattr "$1" >/dev/null; }
setfattr_host "$A/remx"
for f in gift x1 own-link; do echo "$f" >"$GX/$f"; done

tg_start_collector || exit 1
tg_start_agent --require-file-isolation || exit 1
NDENY=0

# deny NAME OP EVENT_PATH PROBE_ARGS...: globex is refused with EACCES and
# one event reports it.
deny()
{
	name=$1 op=$2 path=$3
	shift 3
	tg_probe "$name" --cgroup "$G" --expect EACCES "$@"
	tg_event "${name}_event" kind=file op="$op" verdict=deny tenant=globex \
		target_tenant=acme path="$path"
	NDENY=$((NDENY + 1))
}

# allow NAME CGROUP PROBE_ARGS...: the call succeeds.
allow()
{
	name=$1 cg=$2
	shift 2
	tg_probe "$name" --cgroup "$cg" --expect ok "$@"
}

deny deny_exec exec "$A/tool" exec "$A/tool"
allow allow_exec_own "$AC" exec "$A/tool"
allow allow_exec_own_globex "$G" exec "$GX/tool"
allow allow_exec_shared "$G" exec /bin/busybox

deny deny_create create "$A/new-file" create "$A/new-file"
allow allow_create_own "$AC" create "$A/own-new"
allow allow_create_shared "$G" create /tmp/shared-ops/g-new
deny deny_mkdir mkdir "$A/new-dir" mkdir "$A/new-dir"
allow allow_mkdir_own "$AC" mkdir "$A/own-newdir"
deny deny_mknod mknod "$A/new-fifo" mknod "$A/new-fifo"
allow allow_mknod_own "$AC" mknod "$A/own-fifo"
deny deny_symlink symlink "$A/new-symlink" symlink /etc/passwd "$A/new-symlink"
allow allow_symlink_own "$AC" symlink /etc/passwd "$A/own-symlink"
allow allow_symlink_to_acme "$G" symlink "$A/data" "$GX/points-to-acme"

deny deny_link_source link "$A/data" link "$A/data" "$GX/stolen"
deny deny_link_target link "$A/planted" link "$GX/gift" "$A/planted"
allow allow_link_own "$AC" link "$A/data" "$A/own-hardlink"
allow allow_link_own_globex "$G" link "$GX/own-link" "$GX/own-link2"

deny deny_unlink unlink "$A/victim-u" unlink "$A/victim-u"
allow allow_unlink_own "$AC" unlink "$A/own-u"
deny deny_rmdir rmdir "$A/victim-d" rmdir "$A/victim-d"
allow allow_rmdir_own "$AC" rmdir "$A/own-d"

deny deny_rename_out rename "$A/victim-r" rename "$A/victim-r" "$GX/taken"
deny deny_rename_in rename "$A/gift" rename "$GX/gift" "$A/gift"
deny deny_rename_within rename "$A/victim-x" rename "$A/victim-x" "$A/victim-x2"
deny deny_rename_dir_out rename "$A/dir-out" rename "$A/dir-out" /tmp/shared-ops/dir-out
deny deny_rename_exchange rename "$A/trunc" rename "$GX/x1" "$A/trunc" exchange
allow allow_rename_own "$AC" rename "$A/own-r" "$A/own-r2"
allow allow_rename_exchange_own "$AC" rename "$A/own-x" "$A/own-r2" exchange
allow allow_rename_own_globex "$G" rename "$GX/x1" "$GX/x1b"

deny deny_truncate truncate "$A/trunc" truncate "$A/trunc"
tg_probe deny_ftruncate_fd_opened_before --expect EACCES \
	fd-then-join "$G" "$A/trunc-fd" ftruncate
tg_event deny_ftruncate_fd_opened_before_event kind=file op=truncate \
	verdict=deny tenant=globex target_tenant=acme path="$A/trunc-fd"
NDENY=$((NDENY + 1))
allow allow_truncate_own "$AC" truncate "$A/own-t"
deny deny_chmod chmod "$A/chmod" chmod "$A/chmod"
tg_probe deny_fchmod_fd_opened_before --expect EACCES \
	fd-then-join "$G" "$A/chmod-fd" fchmod
NDENY=$((NDENY + 1))
allow allow_chmod_own "$AC" chmod "$A/own-c"
deny deny_chown chown "$A/chown" chown "$A/chown"
allow allow_chown_own "$AC" chown "$A/own-c"
deny deny_utimes setattr "$A/utimes" utimes "$A/utimes"
allow allow_utimes_own "$AC" utimes "$A/own-c"
allow allow_utimes_shared "$G" utimes /tmp/shared-ops/g-new

deny deny_setxattr setxattr "$A/setx" setxattr "$A/setx"
allow allow_setxattr_own "$AC" setxattr "$A/own-c"
deny deny_removexattr removexattr "$A/remx" removexattr "$A/remx"
allow allow_removexattr_own "$AC" removexattr "$A/own-c"
deny deny_setacl setxattr "$A/setacl" setacl "$A/setacl"
allow allow_setacl_own "$AC" setacl "$A/own-c"
"$TG_BIN/tg-try" setacl "$A/remacl" >/dev/null
deny deny_removeacl removexattr "$A/remacl" removeacl "$A/remacl"
allow allow_removeacl_own "$AC" removeacl "$A/own-c"

# A descriptor acme opened, passed to globex: the receiving side is checked.
tg_probe deny_receive_scm_rights --expect CTRUNC passfd "$A/passed" "$AC" "$G"
tg_event deny_receive_scm_rights_event kind=file op=receive verdict=deny \
	tenant=globex target_tenant=acme path="$A/passed"
# pidfd_getfd from another tenant's process: process isolation refuses it
# at the ptrace access check, before any descriptor is taken.
tg_probe deny_receive_pidfd_getfd --expect EPERM getfd "$A/getfd" "$AC" "$G"
tg_event deny_receive_pidfd_getfd_event kind=proc op=ptrace verdict=deny \
	tenant=globex target_tenant=acme
NDENY=$((NDENY + 1)) # the pidfd_getfd refusal is kind proc
tg_probe allow_receive_own --expect ok passfd "$A/data" "$AC" "$AC"
tg_probe allow_receive_shared --expect ok passfd /tmp/shared-ops/g-new "$AC" "$G"
tg_probe allow_receive_from_host --expect ok passfd "$GX/data" "$TG_CGROOT" "$G"

# Audit mode: allowed, reported as audit.
tg_probe audit_create_allowed --cgroup "$U" --expect ok create "$A/audit-new"
tg_event audit_create_event kind=file op=create verdict=audit tenant=umbrella \
	target_tenant=acme path="$A/audit-new"
tg_probe audit_unlink_allowed --cgroup "$U" --expect ok unlink "$A/audit-new"
tg_event audit_unlink_event kind=file op=unlink verdict=audit tenant=umbrella \
	target_tenant=acme path="$A/audit-new"

allow allow_host_everything "$TG_CGROOT" rename "$A/victim-x" "$A/host-moved"

sleep 1
n=$(tg_count kind=file tenant=acme)
[ "$n" = 0 ] && tg_pass no_event_for_owner || tg_fail no_event_for_owner "$n events"
n=$(tg_count kind=file tenant=host)
[ "$n" = 0 ] && tg_pass no_event_for_host || tg_fail no_event_for_host "$n events"
n=$(tg_count kind=file tenant=globex)
[ "$n" = "$NDENY" ] && tg_pass one_event_per_denial ||
	tg_fail one_event_per_denial "$n globex events for $NDENY denials"
tg_summary
