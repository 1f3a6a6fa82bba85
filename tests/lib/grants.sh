# shellcheck shell=sh
# Grants made as an operator makes them (docs/grants.md), for the grant
# timing test and benchmark: support staff by login uid, tenant acme with
# one approver key. POSIX sh; needs tenants.sh and tg_env_setup done.

# tg_grant_loginuid_ok: whether this shell may start processes with a
# login uid of their own (its own is unset, and the kernel has audit).
tg_grant_loginuid_ok()
{
	sh -c 'echo 4242 >/proc/self/loginuid' 2>/dev/null
}

# tg_grant_setup LOGIN_UIDS [AGENT_ARGS...]: the approver key in $TG_T/keys, a policy whose
# support: login_uids are LOGIN_UIDS (YAML list items: "4242, 5000-5099")
# with acme approved by that key and globex without approvers, the
# collector (one log file, never rotated) and the agent; CLI and A (acme's
# cgroup) set.
# shellcheck disable=SC2034 # A: for the callers
tg_grant_setup()
{
	tgs_uids=$1
	shift
	CLI="$TG_BIN/tenantguard --control-socket $TG_T/control.sock"
	A=$TG_TDIR/acme
	mkdir -p "$TG_T/keys" && chmod 700 "$TG_T/keys" || return 1
	"$TG_BIN/tenantguard" grant keygen --out "$TG_T/keys/a1" \
		>"$TG_T/keys/a1.pub" || return 1
	TG_POLICY=$TG_T/policy.yaml
	mkdir -p "$TG_T/policy.d"
	cat >"$TG_POLICY" <<EOF
version: 1
tenants_cgroup: $TG_TENANTS
support:
  login_uids: [$tgs_uids]
tenants:
  acme:
    paths: [$TG_SRV/acme]
    approvers:
      keys: [$(cat "$TG_T/keys/a1.pub")]
      need: 1
  globex:
    paths: [$TG_SRV/globex]
EOF
	tg_start_collector --rotate-size 0 || return 1
	tg_start_agent --event-log "$TG_LOG" "$@" || return 1
	tg_wait_tenant acme
}

# tg_grant_make LOGIN_UID DURATION: a grant of connect to acme for
# LOGIN_UID, requested as that login uid, approved with the key, activated
# (a new request each time: the replay cache refuses one activated
# before); its id on stdout.
tg_grant_make()
{
	tgm_f=$TG_T/grant-request
	rm -f "$tgm_f" "$tgm_f.ap"
	sh -c 'echo "$0" >/proc/self/loginuid && exec "$@"' "$1" \
		$CLI grant request --tenant acme --ops connect --for "$2" \
		--reason timing --out "$tgm_f" >/dev/null || return 1
	"$TG_BIN/tenantguard" grant approve "$tgm_f" --key "$TG_T/keys/a1" \
		>"$tgm_f.ap" || return 1
	$CLI grant activate "$tgm_f" "$tgm_f.ap" >/dev/null || return 1
	grep -o '"id":"[0-9a-f]*"' "$tgm_f" | cut -d'"' -f4
	rm -f "$tgm_f" "$tgm_f.ap"
}
