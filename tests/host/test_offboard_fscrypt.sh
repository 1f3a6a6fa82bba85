#!/bin/sh
# test_offboard_fscrypt: a tenant's directory encrypted with fscrypt and
# its erasure as a cryptographic erase. acme's path is an ext4 image made
# with -O encrypt on a loop device, globex's an ext4 image without it.
# Each tenant's path is a directory on its image (a mount point cannot be
# removed by the erasure). tenant encrypt refuses an unknown tenant, a relative path, another
# tenant's directory, a directory that is not empty and a filesystem that
# cannot encrypt; then makes acme's key (0600 in the state), adds it and
# sets the v2 policy (events key_made, key_add, encrypt). acme's process
# writes there; its plaintext never reaches the device. The key comes back
# after the filesystem is mounted anew and the agent restarts. Once acme is
# retired, encrypt refuses it and its export holds the plaintext; erase with a file of it held open is refused naming the open
# files, and deletes nothing; once it is closed erase completes: the
# certificate names the cryptographic erase with the key absent and the
# key file gone, and "deleted, storage not sanitized" for the rest. A
# damaged record of encrypted directories stops the agent.
. "$(dirname "$0")/../lib/tap.sh"
. "$(dirname "$0")/../lib/tenants.sh"

: "${TG_BIN:?}"
tg_env_setup || exit 1
tg_mounted "$TG_SRV" || tg_srv_tmpfs || exit 1
TG=$TG_BIN/tenantguard
CS="--control-socket $TG_T/control.sock"
S=$TG_SRV

skip_all()
{
	tg_skip offboard_fscrypt "$1"
	tg_summary
	exit 0
}

# image NAME MOUNTPOINT [MKFS_OPTS]: an ext4 image on a loop device
# (IMG_DEV), mounted; everything undone at cleanup.
image()
{
	truncate -s 64M "$TG_T/$1.img" || return 1
	mkfs.ext4 -q -F $3 "$TG_T/$1.img" 2>"$TG_T/mkfs.err" || return 1
	dev=$(losetup -f --show "$TG_T/$1.img" 2>"$TG_T/losetup.err") || return 1
	tg_on_cleanup "losetup -d '$dev' 2>/dev/null"
	mount -t ext4 "$dev" "$2" 2>"$TG_T/mount.err" || return 1
	tg_on_cleanup "umount -l '$2' 2>/dev/null"
	IMG_DEV=$dev
}

command -v mkfs.ext4 >/dev/null || skip_all "no mkfs.ext4"
command -v losetup >/dev/null || skip_all "no losetup"
[ -e /sys/fs/ext4/features/encryption ] ||
	skip_all "this kernel's ext4 has no encryption"
mkdir -p "$S/a" "$S/g" "$TG_T/out"
image acme "$S/a" "-O encrypt" ||
	skip_all "no loop device or ext4 image: $(cat "$TG_T/losetup.err" "$TG_T/mount.err" 2>/dev/null | head -c 200)"
DEV_acme=$IMG_DEV
image globex "$S/g" "" || skip_all "no second loop device"
A=$S/a/acme
G=$S/g/globex
mkdir -p "$A/vault" "$A/full" "$A/plain" "$G/box"
echo not-empty >"$A/full/f"
echo plain-data >"$A/plain/p"
# tenant-erase without a second person (confirm: names detach alone)
tg_policy <<YAML
  acme:
    paths: [$A]
  globex:
    paths: [$G]
YAML
sed -i "s|^tenants:|confirm: {verbs: [detach]}\ntenants:|" "$TG_POLICY"
tg_start_collector || exit 1
tg_start_agent || exit 1

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

# bad inputs
run fscrypt/unknown_tenant 1 "no tenant 'nobody' in the policy in force" \
	"$TG" $CS tenant encrypt nobody --dir "$A/vault"
run fscrypt/relative 1 "is not an absolute path" \
	"$TG" $CS tenant encrypt acme --dir acme/vault
run fscrypt/other_tenant 1 "is tenant globex's, not acme's" \
	"$TG" $CS tenant encrypt acme --dir "$G/box"
run fscrypt/outside 1 "is not below any of tenant acme's paths" \
	"$TG" $CS tenant encrypt acme --dir "$TG_T/out"
run fscrypt/not_empty 1 "$A/full is not empty" \
	"$TG" $CS tenant encrypt acme --dir "$A/full"
run fscrypt/not_capable 1 "is not on a filesystem with encryption enabled" \
	"$TG" $CS tenant encrypt globex --dir "$G/box"
run fscrypt/usage 2 "one tenant and --dir PATH are needed" \
	"$TG" $CS tenant encrypt acme
tg_event fscrypt/refused_event kind=tenant op=encrypt verdict=deny \
	target_tenant=globex
if [ ! -e "$TG_T/state/keys/acme.key" ]; then
	tg_pass fscrypt/refused_no_key
else
	tg_fail fscrypt/refused_no_key "a key was made for a refused request"
fi

# encrypt acme's vault
run fscrypt/encrypt 0 "tenant acme: $A/vault encrypted (fscrypt v2, key" \
	"$TG" $CS tenant encrypt acme --dir "$A/vault"
KF=$TG_T/state/keys/acme.key
if [ "$(stat -c '%a %s' "$KF" 2>&1)" = "600 64" ]; then
	tg_pass fscrypt/key_file
else
	tg_fail fscrypt/key_file "$(ls -l "$KF" 2>&1)"
fi
KID=$(sed -n 's/.*"key_id":"\([0-9a-f]*\)".*/\1/p' "$TG_T/state/encrypted.json")
if [ ${#KID} = 32 ]; then
	tg_pass fscrypt/recorded
else
	tg_fail fscrypt/recorded "$(cat "$TG_T/state/encrypted.json" 2>&1)"
fi
for op in key_made key_add encrypt; do
	tg_event fscrypt/event_$op kind=tenant op=$op verdict=allow \
		target_tenant=acme by_uid=0
done
run fscrypt/encrypt_again 1 "is encrypted already" \
	"$TG" $CS tenant encrypt acme --dir "$A/vault"

# acme's process writes there; the plaintext never reaches the device
MARK=tg-fscrypt-marker-$$
sh -c "echo \$\$ >'$TG_TDIR/acme/cgroup.procs' &&
	mkdir '$A/vault/sub' && echo $MARK >'$A/vault/sub/secret' &&
	echo $MARK >'$A/vault/held'" 2>"$TG_T/w.err"
if [ "$(cat "$A/vault/sub/secret" 2>&1)" = "$MARK" ]; then
	tg_pass fscrypt/tenant_writes
else
	tg_fail fscrypt/tenant_writes "$(cat "$TG_T/w.err") $(ls -la "$A/vault" 2>&1)"
fi
sync
echo 3 >/proc/sys/vm/drop_caches
if grep -qa "$MARK" "$DEV_acme"; then
	tg_fail fscrypt/ciphertext_on_device "the plaintext is on $DEV_acme"
else
	tg_pass fscrypt/ciphertext_on_device
fi

# after the filesystem is mounted anew (as after a reboot), the agent's
# start adds the key again
tg_stop_agent
umount "$S/a" && mount -t ext4 "$DEV_acme" "$S/a"
if ! cat "$A/vault/sub/secret" >/dev/null 2>&1; then
	tg_pass fscrypt/locked_without_key
else
	tg_fail fscrypt/locked_without_key "readable without the key"
fi
tg_start_agent || exit 1
if [ "$(cat "$A/vault/sub/secret" 2>&1)" = "$MARK" ]; then
	tg_pass fscrypt/key_added_at_start
else
	tg_fail fscrypt/key_added_at_start "$(cat "$A/vault/sub/secret" 2>&1)"
fi
tg_event fscrypt/key_added_event kind=tenant op=key_add verdict=allow \
	target_tenant=acme key_id="$KID"

# a file held open (by a host process) blocks the erasure
sh -c "exec 3<'$A/vault/held'; exec sleep 300" &
H=$!
tg_track "$H"
sleep 0.3
run fscrypt/retire 0 "tenant acme retired" "$TG" $CS tenant retire acme --keep 1s
run fscrypt/encrypt_retired 1 "tenant 'acme' is retired" \
	"$TG" $CS tenant encrypt acme --dir "$A/plain"
# the export reads the retired tenant's encrypted files (the agent's key)
X=$TG_T/out/acme.tar
run fscrypt/export 0 "tenant acme exported: 4 files" \
	"$TG" $CS tenant export acme --to "$X"
run fscrypt/export_verify 0 "matches its manifest byte for byte" \
	"$TG" tenant verify "$X"
if tar -xOf "$X" "${A#/}/vault/sub/secret" 2>/dev/null | grep -qx "$MARK"; then
	tg_pass fscrypt/export_plaintext
else
	tg_fail fscrypt/export_plaintext "$(tar -tvf "$X" 2>&1 | head -c 400)"
fi
sleep 2
run fscrypt/erase_busy 1 "files below $A/vault are still open" \
	"$TG" $CS tenant erase acme
grep -qF "nothing was deleted" "$TG_T/out.txt" &&
	tg_pass fscrypt/erase_busy_message ||
	tg_fail fscrypt/erase_busy_message "$(cat "$TG_T/out.txt")"
tg_event fscrypt/erase_busy_event kind=tenant op=erase verdict=deny \
	target_tenant=acme
if [ -f "$KF" ] && [ -d "$A/vault" ] && [ -e "$A/plain/p" ]; then
	tg_pass fscrypt/erase_busy_nothing_lost
else
	tg_fail fscrypt/erase_busy_nothing_lost "$(ls -la "$A" "$KF" 2>&1)"
fi
kill "$H"
tg_wait "$H" 2>/dev/null
run fscrypt/erase 0 "tenant acme erased (cryptographic erase; deleted, storage not sanitized)" \
	"$TG" $CS tenant erase acme
if [ ! -e "$KF" ]; then
	tg_pass fscrypt/key_file_gone
else
	tg_fail fscrypt/key_file_gone "$(ls -l "$KF")"
fi
if [ ! -e "$A" ]; then
	tg_pass fscrypt/files_gone
else
	tg_fail fscrypt/files_gone "$(ls -la "$A" 2>&1)"
fi
if grep -q '"key_id":' "$TG_T/state/encrypted.json"; then
	tg_fail fscrypt/record_dropped "$(cat "$TG_T/state/encrypted.json")"
else
	tg_pass fscrypt/record_dropped
fi
C=$(ls "$TG_T/state"/erasure-acme-*.json 2>/dev/null | head -n 1)
if [ -n "$C" ] &&
	grep -q '"method":"cryptographic erase","standard":"NIST SP 800-88 Rev. 1","paths":\["'"$A"'/vault"\],"files":2' "$C" &&
	grep -q '"key_id":"'"$KID"'","key_status":"absent"' "$C" &&
	grep -q '"key_file":"gone"' "$C" &&
	grep -q '"method":"deleted, storage not sanitized","paths":\["'"$A"'"\],"files":2' "$C" &&
	grep -q '"keys_absent":true,"key_file_gone":true' "$C"; then
	tg_pass fscrypt/certificate
else
	tg_fail fscrypt/certificate "$(head -c 1500 "$C" 2>&1)"
fi
for op in key_remove key_destroy; do
	tg_event fscrypt/event_$op kind=tenant op=$op verdict=allow \
		target_tenant=acme
done
tg_event fscrypt/erase_event kind=tenant op=erase verdict=allow \
	target_tenant=acme "method=cryptographic erase; deleted, storage not sanitized"

# a damaged record of encrypted directories stops the agent
tg_stop_agent
echo '{"encrypted":[{"tenant":"globex"}]}' >"$TG_T/state/encrypted.json"
if tg_start_agent 2>/dev/null; then
	tg_fail fscrypt/damaged_record "the agent started"
elif grep -q "does not start without its record of encrypted directories" "$TG_T/agent.err"; then
	tg_pass fscrypt/damaged_record
else
	tg_fail fscrypt/damaged_record "$(tail -n 2 "$TG_T/agent.err")"
fi
tg_summary
