#!/bin/sh
# test_file (BPF LSM): a tenant cannot open what lies below another tenant's
# directory, by any name; its own files, shared files and host access work.
. /tests/lib/tap.sh
. /tests/lib/tenants.sh

: "${TG_BIN:?}"
tg_env_setup || exit 1
A=$TG_TDIR/acme
G=$TG_TDIR/globex
deep=$TG_SRV/acme
i=0
while [ $i -lt 70 ]; do
	deep=$deep/d$i
	i=$((i + 1))
done
mkdir -p "$deep" && echo deep >"$deep/leaf"
# 15 directories and a file, every name 255 bytes: the names the event can
# hold end one name short of 4096 bytes, the last one would fill them.
long=$(printf '%0255d' 0 | tr 0 n)
mkdir -p "$TG_SRV/acme/long"
"$TG_BIN/tg-try" mkdeep "$TG_SRV/acme/long" 15 "$long" >/dev/null
mkdir -p /tmp/shared && echo shared >/tmp/shared/file
ln -s "$TG_SRV/acme/data" "$TG_T/symlink"
mkdir -p "$TG_T/bind" && mount --bind "$TG_SRV/acme" "$TG_T/bind"
tg_on_cleanup "umount '$TG_T/bind'"

tg_start_collector || exit 1
tg_start_agent --require-file-isolation || exit 1

tg_probe deny_open_read --cgroup "$G" --expect EACCES open "$TG_SRV/acme/data"
tg_event deny_open_read_event kind=file op=open verdict=deny tenant=globex \
	target_tenant=acme path="$TG_SRV/acme/data"
tg_probe deny_open_write --cgroup "$G" --expect EACCES open "$TG_SRV/acme/data" w
tg_probe deny_list_dir --cgroup "$G" --expect EACCES open "$TG_SRV/acme" dir
tg_event deny_list_dir_event kind=file op=open verdict=deny tenant=globex \
	target_tenant=acme path="$TG_SRV/acme"
tg_probe deny_via_symlink --cgroup "$G" --expect EACCES open "$TG_T/symlink"
tg_probe deny_via_bind_mount --cgroup "$G" --expect EACCES open "$TG_T/bind/data"
tg_event deny_via_bind_mount_event kind=file op=open tenant=globex \
	path="$TG_T/bind/data"
tg_probe deny_depth_70 --cgroup "$G" --expect EACCES open "$deep/leaf"
tg_probe deny_long_path --cgroup "$G" --expect EACCES \
	opendeep "$TG_SRV/acme/long" 15 "$long"
tg_event deny_long_path_event kind=file op=open verdict=deny tenant=globex \
	target_tenant=acme path_truncated=true
tg_probe allow_owner_long_path --cgroup "$A" --expect ok \
	opendeep "$TG_SRV/acme/long" 15 "$long"
tg_probe deny_relative_path --cgroup "$G" --expect EACCES \
	open "../../..$TG_SRV/acme/data"

tg_probe allow_owner_read --cgroup "$A" --expect ok open "$TG_SRV/acme/data"
tg_probe allow_owner_deep --cgroup "$A" --expect ok open "$deep/leaf"
tg_probe allow_own_files --cgroup "$G" --expect ok open "$TG_SRV/globex/data"
tg_probe allow_shared_tmp --cgroup "$G" --expect ok open /tmp/shared/file
tg_probe allow_shared_bin --cgroup "$G" --expect ok open /bin/busybox
tg_probe allow_host --expect ok open "$TG_SRV/acme/data"

# The agent states which file operations it enforces, in status and its event.
if tg_cli status --json | tr -d ' \n' | grep -q '"file_ops":\["open","exec","create",.*"rename",.*"receive"\]'; then
	tg_pass status_lists_file_ops
else
	tg_fail status_lists_file_ops "$(tg_cli status --json | grep -A3 file_ops)"
fi
tg_event start_event_lists_file_ops kind=agent op=start \
	'file_ops=["open","exec","create","mkdir","mknod","symlink","link","unlink","rmdir","rename","truncate","chmod","chown","setattr","setxattr","removexattr","receive"]'

sleep 0.5
tg_count_is no_malformed_record 0 kind=agent op=drop reason=malformed
n=$(tg_count kind=file tenant=acme)
if [ "$n" = 0 ]; then
	tg_pass no_event_for_owner
else
	tg_fail no_event_for_owner "$n events"
fi
tg_summary
