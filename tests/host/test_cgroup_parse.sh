#!/bin/sh
# test_cgroup_parse: the fanotify backend reads an opener's cgroup v2 path
# from /proc/PID/cgroup, where on hybrid hosts every cgroup v1 hierarchy's
# line comes first. A tenant whose v1 cgroup path holds "0::/" (a name the
# kernel allows) is still that tenant: refused another tenant's file, its
# own allowed. A name with a newline, which would add a line of its own, is
# refused by the kernel (v1 and v2, mkdir and rename); the parser refuses a
# second "0::" line anyway (tests/unit/test_peer.c). Needs a cgroup v1
# hierarchy: skipped without one.
. "$(dirname "$0")/../lib/tap.sh"
. "$(dirname "$0")/../lib/tenants.sh"

: "${TG_BIN:?}"
V1=
for h in pids freezer devices cpu systemd; do
	if [ "$(stat -fc %T /sys/fs/cgroup/$h 2>/dev/null)" = cgroupfs ] ||
		mount | grep -q " /sys/fs/cgroup/$h type cgroup "; then
		V1=/sys/fs/cgroup/$h
		break
	fi
done
if [ -z "$V1" ]; then
	tg_skip cgroup_parse "no cgroup v1 hierarchy mounted"
	tg_summary
	exit 0
fi
if grep -qs bpf /sys/kernel/security/lsm; then
	denied=EACCES
else
	denied=EPERM
fi
OUTER="$V1/tg-parse 0::"
INNER="$OUTER/x 0::"

v1_cleanup()
{
	tg_env_cleanup
	echo $$ >"$V1/cgroup.procs" 2>/dev/null
	rmdir "$INNER" "$OUTER" 2>/dev/null
}

tg_env_setup || exit 1
trap v1_cleanup EXIT
A=$TG_TDIR/acme
G=$TG_TDIR/globex

# The kernel refuses a newline in a cgroup name.
nl=$(printf 'tg-parse\n0::')
if mkdir "$V1/$nl" 2>/dev/null; then
	rmdir "$V1/$nl"
	tg_fail v1_newline_mkdir_refused "mkdir of a name with a newline worked"
else
	tg_pass v1_newline_mkdir_refused
fi
mkdir "$V1/tg-parse-r" &&
	if mv -T "$V1/tg-parse-r" "$V1/$nl" 2>/dev/null; then
		rmdir "$V1/$nl"
		tg_fail v1_newline_rename_refused "rename to a newline worked"
	else
		rmdir "$V1/tg-parse-r"
		tg_pass v1_newline_rename_refused
	fi

# This shell, and every probe it starts, in a v1 cgroup whose path holds
# "0::/": the line reads "N:CONTROLLER:/tg-parse 0::/x 0::".
mkdir -p "$INNER" || exit 1
echo $$ >"$INNER/cgroup.procs" || exit 1
if grep -q ":/tg-parse 0::/x 0::\$" /proc/$$/cgroup; then
	tg_pass v1_path_holds_v2_marker
else
	tg_fail v1_path_holds_v2_marker "$(tr '\n' '|' </proc/$$/cgroup)"
fi

tg_start_collector || exit 1
tg_start_agent || exit 1
D=$TG_SRV/acme/data
tg_probe v1_marker_denied --cgroup "$G" --expect "$denied" open "$D"
tg_event v1_marker_denied_event kind=file op=open verdict=deny \
	tenant=globex target_tenant=acme path="$D"
tg_probe v1_marker_owner_allowed --cgroup "$A" --expect ok open "$D"
tg_probe v1_marker_own_allowed --cgroup "$G" --expect ok \
	open "$TG_SRV/globex/data"
tg_summary
