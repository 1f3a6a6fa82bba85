#!/bin/sh
# test_offboard_grant: the export of a live tenant under a grant. Support
# staff (login uid 4242) are refused the export of live tenant acme without
# a grant, with a grant of another op (connect), with a read grant scoped to
# a path, and root without a support login uid is refused too; under a
# tenant-wide read grant the export is done, its event names the grant,
# and verify passes; another support login uid stays refused; after the
# grant's revocation the export is refused again. A retired tenant is
# exported by an admin only: the grant holder is refused.
. "$(dirname "$0")/../lib/tap.sh"
. "$(dirname "$0")/../lib/tenants.sh"

: "${TG_BIN:?}"
if ! [ -w /proc/self/loginuid ]; then
	tg_skip offboard_grant "no /proc/self/loginuid (a kernel without audit)"
	tg_summary
	exit 0
fi
# as LOGIN_UID CMD...: CMD with that audit login uid.
as()
{
	as_uid=$1
	shift
	sh -c 'echo "$0" >/proc/self/loginuid && exec "$@"' "$as_uid" "$@"
}
if ! as 4242 true 2>/dev/null; then
	tg_skip offboard_grant "this shell's login uid is set: cannot act as support staff"
	tg_summary
	exit 0
fi
tg_env_setup || exit 1
CLI="$TG_BIN/tenantguard --control-socket $TG_T/control.sock"
S=$TG_SRV
mkdir -p "$S/acme/sub" "$TG_T/out" && echo sub-data >"$S/acme/sub/f" || exit 1

K=$TG_T/keys
mkdir -p "$K" && chmod 700 "$K"
"$TG_BIN/tenantguard" grant keygen --out "$K/a1" >"$K/a1.pub" || exit 1
TG_POLICY=$TG_T/policy.yaml
mkdir -p "$TG_T/policy.d"
cat >"$TG_POLICY" <<EOF
version: 1
tenants_cgroup: $TG_TENANTS
confirm: {verbs: [detach]}
support:
  login_uids: [4242, 4300]
tenants:
  acme:
    paths: [$S/acme]
    approvers:
      keys: [$(cat "$K/a1.pub")]
      need: 1
  globex:
    paths: [$S/globex]
EOF
tg_start_collector || exit 1
fileopt=""
grep -qs bpf /sys/kernel/security/lsm || fileopt="--file-backend fanotify"
# shellcheck disable=SC2086 # fileopt: no option or one
tg_start_agent $fileopt || exit 1
tg_wait_tenant acme || exit 1

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

# grant NAME OPS [--path P]: a grant to acme for login uid 4242, approved
# and activated; its id into GID. (One grant at a time: revoke it after.)
grant()
{
	g_name=$1
	shift
	GID=""
	if as 4242 $CLI grant request --tenant acme --for 1h --reason "export" \
		--out "$TG_T/$g_name.req" --ops "$@" >/dev/null 2>"$TG_T/g.err" &&
		"$TG_BIN/tenantguard" grant approve "$TG_T/$g_name.req" \
			--key "$K/a1" >"$TG_T/$g_name.ap" 2>>"$TG_T/g.err" &&
		$CLI grant activate "$TG_T/$g_name.req" "$TG_T/$g_name.ap" \
			>/dev/null 2>>"$TG_T/g.err"; then
		GID=$(grep -o '"id":"[0-9a-f]*"' "$TG_T/$g_name.req" | cut -d'"' -f4)
		tg_pass "offboard_grant/${g_name}_active"
	else
		tg_fail "offboard_grant/${g_name}_active" "$(cat "$TG_T/g.err")"
	fi
}

revoke()
{
	$CLI grant revoke "$GID" >"$TG_T/r.err" 2>&1 ||
		tg_fail offboard_grant/revoke "$(cat "$TG_T/r.err")"
}

run offboard_grant/no_grant 1 "this login uid holds none" \
	as 4242 $CLI tenant export acme --to "$TG_T/out/a.tar"
run offboard_grant/not_support 1 "is not support staff" \
	$CLI tenant export acme --to "$TG_T/out/a.tar"
tg_event offboard_grant/refused_event kind=tenant op=export verdict=deny \
	target_tenant=acme by_login_uid=4242
grant connect connect
run offboard_grant/other_op 1 "this login uid holds none" \
	as 4242 $CLI tenant export acme --to "$TG_T/out/a.tar"
revoke
grant scoped read --path "$S/acme/sub"
run offboard_grant/scoped 1 "this login uid holds none" \
	as 4242 $CLI tenant export acme --to "$TG_T/out/a.tar"
revoke
if [ ! -e "$TG_T/out/a.tar" ]; then
	tg_pass offboard_grant/refused_nothing_left
else
	tg_fail offboard_grant/refused_nothing_left "$(ls "$TG_T/out")"
fi
grant read read
run offboard_grant/export 0 "tenant acme exported: 2 files" \
	as 4242 $CLI tenant export acme --to "$TG_T/out/a.tar"
tg_event offboard_grant/export_event kind=tenant op=export verdict=allow \
	target_tenant=acme by_login_uid=4242 grant="$GID" files=2
run offboard_grant/verify 0 "matches its manifest byte for byte" \
	"$TG_BIN/tenantguard" tenant verify "$TG_T/out/a.tar"
run offboard_grant/other_support 1 "this login uid holds none" \
	as 4300 $CLI tenant export acme --to "$TG_T/out/b.tar"
revoke
run offboard_grant/revoked 1 "this login uid holds none" \
	as 4242 $CLI tenant export acme --to "$TG_T/out/c.tar"

# retired: an admin's export, never the grant holder's
run offboard_grant/retire 0 "tenant acme retired" $CLI tenant retire acme
grant after read
run offboard_grant/retired_support 1 "a retired tenant is exported by an admin" \
	as 4242 $CLI tenant export acme --to "$TG_T/out/d.tar"
run offboard_grant/retired_admin 0 "tenant acme exported" \
	$CLI tenant export acme --to "$TG_T/out/e.tar"
tg_summary
