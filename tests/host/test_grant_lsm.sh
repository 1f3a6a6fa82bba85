#!/bin/sh
# test_grant_lsm: grants in the BPF LSM objects (docs/grants.md). Support
# staff (login uid 4242) are refused a tenant's files, unix sockets and
# processes until a grant of the op to that tenant is active: then the
# access goes ahead with one allow event (actor support, verdict allow),
# and only that op, only that tenant, only inside a scoped grant's scope,
# only until the deadline or the grant's removal. A descriptor opened
# under the grant stops reading when the grant ends; shared mappings are
# refused; a grant session's task whose grant ended is killed at its next
# access. Other host processes and the tenants themselves are unaffected.
# Most grants are written into the pinned maps with bpftool, as the agent
# activates them (deadlines of seconds, scopes, sessions at will); the last
# ones go through the CLI (request, approve, activate, revoke). BPF LSM
# only (the guests).
. "$(dirname "$0")/../lib/tap.sh"
. "$(dirname "$0")/../lib/tenants.sh"
. "$(dirname "$0")/../lib/net.sh"
. "$(dirname "$0")/../lib/support.sh"

: "${TG_BIN:?}"
if ! grep -qs bpf /sys/kernel/security/lsm; then
	tg_skip grant_lsm "BPF LSM is not active here (the guests run it)"
	tg_summary
	exit 0
fi
tg_need_login_uid grant_lsm
if ! command -v bpftool >/dev/null; then
	tg_skip grant_lsm "no bpftool to write the grants"
	tg_summary
	exit 0
fi
tg_net_setup || exit 1
S=$TG_SRV
mkdir -p "$S/acme/scope/inner" "$S/acme/other" || exit 1
echo inside >"$S/acme/scope/inner/file"
echo outside >"$S/acme/other/file"
cp /bin/true "$S/acme/true" && chmod 0755 "$S/acme/true"
echo host-data >"$TG_T/host-data"
CLI="$TG_BIN/tenantguard --control-socket $TG_T/control.sock"
K=$TG_T/keys
mkdir -p "$K" && chmod 700 "$K"
"$TG_BIN/tenantguard" grant keygen --out "$K/a1" >"$K/a1.pub" || exit 1

TG_POLICY=$TG_T/policy.yaml
mkdir -p "$TG_T/policy.d"
printf 'version: 1\ntenants_cgroup: %s\nsupport:\n  login_uids: [4242]\ntenants:\n  acme:\n    paths: [%s/acme]\n    approvers:\n      keys: [%s]\n      need: 1\n  globex:\n    paths: [%s/globex]\n' \
	"$TG_TENANTS" "$S" "$(cat "$K/a1.pub")" "$S" >"$TG_POLICY"
tg_start_collector || {
	tg_fail collector_starts "$(tail -n 3 "$TG_T/collector.err" | tr '\n' ' ')"
	exit 1
}
tg_start_agent --event-log "$TG_LOG" || {
	tg_fail agent_starts "$(tail -n 3 "$TG_T/agent.err" | tr '\n' ' ')"
	exit 1
}
if ! tg_wait_tenant acme || ! tg_wait_tenant globex; then
	tg_fail tenants_registered "$(tg_cli status 2>&1 | head -n 5 | tr '\n' ' ')"
	exit 1
fi
be=$(tg_cli status --json | tr -d ' \n' | grep -o '"backends":{[^}]*}')
case "$be" in
*'"file":"bpf-lsm"'*'"unix":"bpf-lsm"'*'"proc":"bpf-lsm"'*) tg_pass lsm_objects_loaded ;;
*)
	tg_fail lsm_objects_loaded "$be"
	grep -iE "libbpf|verif|processed|too " "$TG_T/agent.err" | tail -n 20 | cut -c1-300 | sed 's/^/# /'
	;;
esac
# What the verifier processed (the file object is the one nearest the 6.1
# verifier's limit of a million instructions).
"$P" prog-insns tg_ | grep -E '^tg_(inode_rename|file_|proc_task_kill|unix_)' |
	tr '\n' ' ' | sed 's/^/# verified instructions: /; s/ $/\n/'
json=$(tg_cli status --json | tr -d ' \n')
AID=$(printf '%s' "$json" | grep -o '"name":"acme","id":[0-9]*' | sed 's/.*://')
GID=$(printf '%s' "$json" | grep -o '"name":"globex","id":[0-9]*' | sed 's/.*://')
if [ -z "$AID" ] || [ -z "$GID" ]; then
	tg_fail tenant_ids "no ids in status --json"
	exit 1
fi

# The grants' maps (map_abi.h), written as the agent writes them.
GM=$TG_PINS/maps
OPS_CONNECT=1 OPS_EXEC=2 OPS_PTRACE=4 OPS_READ=8 OPS_SIGNAL=16 OPS_WRITE=32
# le VALUE BYTES: VALUE as BYTES little-endian hex bytes.
le()
{
	le_v=$1 le_n=$2 le_o=""
	while [ "$le_n" -gt 0 ]; do
		le_o="$le_o $(printf %02x $((le_v & 255)))"
		le_v=$((le_v >> 8))
		le_n=$((le_n - 1))
	done
	echo "$le_o"
}
# grant TENANT_ID OPS SECONDS [FLAGS]: login uid 4242's grant, SECONDS
# from now (boot time).
grant()
{
	g_dl=$(($("$P" boottime) + $3 * 1000000000))
	# shellcheck disable=SC2046 # one word per byte
	bpftool map update pinned "$GM/grants" key hex $(le 4242 4) $(le "$1" 4) \
		value hex $(le $g_dl 8) $(le "$2" 4) $(le "${4:-0}" 4) \
		$(le 0 8) $(le 0 8)
}
# revoke TENANT_ID
revoke()
{
	# shellcheck disable=SC2046
	bpftool map delete pinned "$GM/grants" key hex $(le 4242 4) $(le "$1" 4)
}
# scope PATH TENANT_ID: PATH and what is below it in 4242's scoped grant.
scope()
{
	sc_d=$(tg_dev "$1")
	sc_k=$(((${sc_d%:*} << 20) | ${sc_d#*:}))
	# shellcheck disable=SC2046
	bpftool map update pinned "$GM/grant_scopes" key hex \
		$(le "$(stat -c %i "$1")" 8) $(le $sc_k 4) $(le 4242 4) \
		value hex $(le "$2" 4)
}
# session CGROUP_DIR TENANT_ID: the cgroup runs 4242's grant session.
session()
{
	# shellcheck disable=SC2046
	bpftool map update pinned "$GM/grant_sessions" key hex \
		$(le "$(stat -c %i "$1")" 8) value hex $(le 4242 4) $(le "$2" 4)
}

# Allow events of the support actor's file opens: exactly one per open
# allowed under a grant, none per read or write.
FILE_ALLOWS=0
# allowed NAME KEY=VALUE...: the FILE_ALLOWS-th allow event of a file
# open has come, the last one matching KEY=VALUE...
allowed()
{
	al_name=$1
	shift
	FILE_ALLOWS=$((FILE_ALLOWS + 1))
	tg_event "$al_name" --count $FILE_ALLOWS kind=file verdict=allow \
		actor=support login_uid=4242
	tg_event "${al_name}_fields" kind=file verdict=allow actor=support \
		login_uid=4242 tenant=host "$@"
}

"$P" --cgroup "$A" sock-listen unix-stream @tgg$$ "$TG_T/usock.ready" &
tg_track $!
tg_wait_file "$TG_T/usock.ready" 20
setsid "$P" --cgroup "$A" victim "$TG_T/va.ready" &
tg_track $!
tg_wait_file "$TG_T/va.ready" 20
read -r va_pid _ <"$TG_T/va.ready"

# Before any grant: refused as today.
tg_probe nogrant_file_refused --login-uid 4242 --expect EACCES open "$S/acme/data" r
tg_event nogrant_file_event kind=file op=open verdict=deny actor=support \
	login_uid=4242 target_tenant=acme
tg_probe nogrant_unix_refused --login-uid 4242 --expect EPERM \
	sock unix-stream @tgg$$ socket,connect
tg_probe nogrant_kill_refused --login-uid 4242 --expect EPERM kill "$va_pid"
tg_count_is nogrant_no_allow 0 verdict=allow actor=support

# A grant to read acme's files.
grant "$AID" $OPS_READ 300
tg_probe read_open_allowed --login-uid 4242 --expect ok open "$S/acme/data" r
allowed read_open_event op=open target_tenant=acme path="$S/acme/data"
tg_probe read_list_allowed --login-uid 4242 --expect ok open "$S/acme" dir
allowed read_list_event op=open target_tenant=acme path="$S/acme"
tg_probe read_write_refused --login-uid 4242 --expect EACCES open "$S/acme/data" w
tg_event read_write_event kind=file op=open verdict=deny actor=support \
	target_tenant=acme
tg_probe read_create_refused --login-uid 4242 --expect EACCES create "$S/acme/new"
tg_probe read_exec_refused --login-uid 4242 --expect EACCES exec "$S/acme/true"
tg_probe read_signal_refused --login-uid 4242 --expect EPERM kill "$va_pid"
tg_probe read_unix_refused --login-uid 4242 --expect EPERM \
	sock unix-stream @tgg$$ socket,connect
tg_probe read_other_tenant_refused --login-uid 4242 --expect EACCES open "$S/globex/data" r
tg_event read_other_tenant_event kind=file op=open verdict=deny \
	actor=support target_tenant=globex

# Shared mappings refused, private ones read.
tg_probe mmap_shared_refused --login-uid 4242 --expect EACCES mmap "$S/acme/data" shared
allowed mmap_shared_open op=open target_tenant=acme
tg_event mmap_shared_event kind=file op=mmap verdict=deny actor=support \
	target_tenant=acme
tg_probe mmap_private_allowed --login-uid 4242 --expect ok mmap "$S/acme/data" private
allowed mmap_private_open op=open target_tenant=acme

# Write and exec: their own grants.
grant "$AID" $((OPS_READ | OPS_WRITE | OPS_EXEC)) 300
tg_probe write_open_allowed --login-uid 4242 --expect ok open "$S/acme/data" w
allowed write_open_event op=open target_tenant=acme
tg_probe write_create_allowed --login-uid 4242 --expect ok create "$S/acme/new"
allowed write_create_event op=create target_tenant=acme
# (Creating is two checks, each with its event: the name, then its open.)
allowed write_create_open op=open target_tenant=acme path="$S/acme/new"
tg_probe write_unlink_allowed --login-uid 4242 --expect ok unlink "$S/acme/new"
allowed write_unlink_event op=unlink target_tenant=acme
tg_probe exec_allowed --login-uid 4242 --expect ok exec "$S/acme/true"
allowed exec_event op=exec target_tenant=acme

# Processes and unix sockets.
grant "$AID" $((OPS_CONNECT | OPS_SIGNAL | OPS_PTRACE)) 300
tg_probe connect_allowed --login-uid 4242 --expect ok sock unix-stream @tgg$$ socket,connect
tg_event connect_event kind=unix op=connect verdict=allow actor=support \
	login_uid=4242 target_tenant=acme
tg_probe signal_allowed --login-uid 4242 --expect ok kill "$va_pid"
tg_event signal_event kind=proc op=signal verdict=allow actor=support \
	login_uid=4242 target_tenant=acme
tg_probe ptrace_allowed --login-uid 4242 --expect ok ptrace "$va_pid"
tg_event ptrace_event kind=proc op=ptrace verdict=allow actor=support \
	target_tenant=acme
tg_probe proc_open_allowed --login-uid 4242 --expect ok open "/proc/$va_pid/environ" r
tg_event proc_open_event kind=proc op=proc_open verdict=allow actor=support \
	target_tenant=acme
tg_probe connect_grant_no_file --login-uid 4242 --expect EACCES open "$S/acme/data" r
if kill -0 "$va_pid" 2>/dev/null; then
	tg_pass victim_survives
else
	tg_fail victim_survives "acme's victim is gone"
fi

# A scoped grant: below its scope only.
grant "$AID" $OPS_READ 300 1
scope "$S/acme/scope" "$AID"
tg_probe scoped_inside_allowed --login-uid 4242 --expect ok open "$S/acme/scope/inner/file" r
allowed scoped_inside_event op=open target_tenant=acme \
	path="$S/acme/scope/inner/file"
tg_probe scoped_sibling_refused --login-uid 4242 --expect EACCES open "$S/acme/other/file" r
tg_probe scoped_top_refused --login-uid 4242 --expect EACCES open "$S/acme/data" r

# Revocation: refused at once, and an open descriptor stops reading.
grant "$AID" $OPS_READ 300
"$P" --login-uid 4242 --expect EACCES fd-read-after "$S/acme/data" "$TG_T/go1" \
	"$TG_T/fd1.ready" >"$TG_T/fd1.out" 2>&1 &
fd1=$!
tg_track $fd1
if tg_wait_file "$TG_T/fd1.ready" 20; then
	tg_pass fd_read_under_grant
else
	tg_fail fd_read_under_grant "$(tail -n 1 "$TG_T/fd1.out")"
fi
allowed fd_open_event op=open target_tenant=acme
revoke "$AID"
tg_probe revoked_refused --login-uid 4242 --expect EACCES open "$S/acme/data" r
touch "$TG_T/go1"
if tg_wait $fd1; then
	tg_pass fd_read_after_revoke_refused
else
	tg_fail fd_read_after_revoke_refused "$(tail -n 1 "$TG_T/fd1.out")"
fi
tg_event fd_read_refused_event kind=file op=read verdict=deny actor=support \
	target_tenant=acme

# The deadline: a few seconds, then refused without anyone acting.
grant "$AID" $OPS_READ 8
"$P" --login-uid 4242 --expect EACCES fd-read-after "$S/acme/data" "$TG_T/go2" \
	"$TG_T/fd2.ready" >"$TG_T/fd2.out" 2>&1 &
fd2=$!
tg_track $fd2
if tg_wait_file "$TG_T/fd2.ready" 20; then
	tg_pass fd_read_before_deadline
else
	tg_fail fd_read_before_deadline "$(tail -n 1 "$TG_T/fd2.out")"
fi
allowed deadline_open_event op=open target_tenant=acme
# Setting the clock back does not extend it (the deadline is boot time):
# in the guests only, never on a machine of its own.
clock_back=0
if [ "${TG_IN_VM:-}" = 1 ] && date -s "@$(($(date +%s) - 3600))" >/dev/null 2>&1; then
	clock_back=1
fi
sleep 9
tg_probe expired_refused --login-uid 4242 --expect EACCES open "$S/acme/data" r
if [ $clock_back = 1 ]; then
	tg_probe clock_back_does_not_extend --login-uid 4242 --expect EACCES open "$S/acme/data" r
	date -s "@$(($(date +%s) + 3600))" >/dev/null 2>&1
else
	tg_skip clock_back_does_not_extend "the clock is set back only in the guests"
fi
touch "$TG_T/go2"
if tg_wait $fd2; then
	tg_pass fd_read_after_deadline_refused
else
	tg_fail fd_read_after_deadline_refused "$(tail -n 1 "$TG_T/fd2.out")"
fi

# Through the CLI: a grant the tenant approved, named by its events; its
# revocation ends it at once, open descriptors included.
revoke "$AID" 2>/dev/null
# cli_grant NAME ARGS...: login uid 4242's request for acme (ARGS: ops,
# path, duration), approved with acme's key, activated; its id in GRANT.
cli_grant()
{
	cg_name=$1
	shift
	rm -f "$TG_T/req" "$TG_T/req.ap"
	GRANT=""
	if out=$(as 4242 $CLI grant request --tenant acme --out "$TG_T/req" \
		--reason test_grant_lsm "$@" 2>&1) &&
		out=$("$TG_BIN/tenantguard" grant approve "$TG_T/req" \
			--key "$K/a1" 2>&1 >"$TG_T/req.ap") &&
		out=$($CLI grant activate "$TG_T/req" "$TG_T/req.ap" 2>&1); then
		GRANT=$(grep -o '"id":"[0-9a-f]*"' "$TG_T/req" | cut -d'"' -f4)
		tg_pass "$cg_name"
	else
		tg_fail "$cg_name" "$(echo "$out" | tail -n 1)"
	fi
}
cli_grant cli_read_activated --ops read --for 1h
tg_probe cli_read_allowed --login-uid 4242 --expect ok open "$S/acme/data" r
allowed cli_read_event op=open target_tenant=acme grant="$GRANT"
tg_probe cli_write_refused --login-uid 4242 --expect EACCES open "$S/acme/data" w
"$P" --login-uid 4242 --expect EACCES fd-read-after "$S/acme/data" \
	"$TG_T/go4" "$TG_T/fd4.ready" >"$TG_T/fd4.out" 2>&1 &
fd4=$!
tg_track $fd4
tg_wait_file "$TG_T/fd4.ready" 20 || tg_fail cli_fd_open "$(tail -n 1 "$TG_T/fd4.out")"
allowed cli_fd_open_event op=open target_tenant=acme grant="$GRANT"
if out=$($CLI grant revoke "$GRANT" 2>&1); then
	tg_pass cli_revoked
else
	tg_fail cli_revoked "$out"
fi
tg_probe cli_revoked_refused --login-uid 4242 --expect EACCES open "$S/acme/data" r
touch "$TG_T/go4"
if tg_wait $fd4; then
	tg_pass cli_fd_read_after_revoke_refused
else
	tg_fail cli_fd_read_after_revoke_refused "$(tail -n 1 "$TG_T/fd4.out")"
fi
cli_grant cli_scoped_activated --ops read --path "$S/acme/scope" --for 1h
tg_probe cli_scoped_inside_allowed --login-uid 4242 --expect ok \
	open "$S/acme/scope/inner/file" r
allowed cli_scoped_inside_event op=open target_tenant=acme grant="$GRANT"
tg_probe cli_scoped_sibling_refused --login-uid 4242 --expect EACCES \
	open "$S/acme/other/file" r
$CLI grant revoke "$GRANT" >/dev/null 2>&1

# A grant session's task: refused a write under a live read grant (and
# not killed), killed at its next access once the grant has ended.
SC=$TG_CGROOT/tgg$$
mkdir -p "$SC"
tg_on_cleanup "rmdir '$SC' 2>/dev/null"
session "$SC" "$AID"
grant "$AID" $OPS_READ 300
tg_probe session_live_write_refused --cgroup "$SC" --login-uid 4242 --expect EACCES \
	open "$S/acme/data" w
revoke "$AID"
"$P" --cgroup "$SC" --login-uid 4242 --expect EACCES open "$S/acme/data" r \
	>"$TG_T/session.out" 2>&1
rc=$?
if [ $rc = 137 ]; then
	tg_pass session_ended_killed
else
	tg_fail session_ended_killed "exit $rc: $(tail -n 1 "$TG_T/session.out")"
fi
tg_probe session_host_file_allowed --cgroup "$SC" --login-uid 4242 --expect ok \
	open "$TG_T/host-data" r

# Nobody else is affected: another login uid, no login uid, the tenant.
tg_probe other_login_uid_allowed --login-uid 4243 --expect ok open "$S/acme/data" r
tg_probe no_login_uid_allowed --expect ok open "$S/acme/data" r
tg_probe other_fd_read_allowed --login-uid 4243 --expect ok fd-read-after \
	"$S/acme/data" "$TG_T/go1" "$TG_T/fd3.ready"
tg_probe other_mmap_shared_allowed --login-uid 4243 --expect ok mmap "$S/acme/data" shared
tg_probe owner_allowed --cgroup "$A" --expect ok open "$S/acme/data" w
tg_probe owner_mmap_shared_allowed --cgroup "$A" --expect ok \
	mmap "$S/acme/data" shared
tg_probe tenant_refused --cgroup "$G" --expect EACCES open "$S/acme/data" r
grant "$GID" $OPS_READ 300
tg_probe tenant_not_granted --cgroup "$G" --expect EACCES open "$S/acme/data" r
tg_count_is others_no_event 0 login_uid=4243

# Exactly one allow event per open allowed, no other allow event of files.
sleep 1
tg_count_is allow_events_one_per_open $FILE_ALLOWS kind=file verdict=allow

tg_summary
