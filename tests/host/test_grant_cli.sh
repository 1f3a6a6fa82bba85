#!/bin/sh
# test_grant_cli: the tenant's side of grants, offline: grant keygen (a
# 0600 key, never over a file), grant approve (refuses a bad key file and
# a request not in canonical form), grant verify against a policy's
# approvers: approved; N of M with the same key twice counting once;
# refused with its reason for an edited request, a forged signature, a
# key that is not the tenant's, the wrong tenant, an expired approval, a
# request past its activation time and another boot. Exit status and
# message are checked for each. Needs no agent and no root.
. "$(dirname "$0")/../lib/tap.sh"

: "${TG_BIN:?}"
TG=$TG_BIN/tenantguard
T=$(mktemp -d /tmp/tg-grant-XXXXXX) || exit 1
trap 'rm -rf "$T"' EXIT
cd "$T" || exit 1
now=$(date +%s)
host=$(head -n 1 /etc/machine-id 2>/dev/null)
[ -n "$host" ] || host=$(hostname)
boot=$(cat /proc/sys/kernel/random/boot_id)

# mkreq FILE TENANT REASON [ACTIVATE_BY [CREATED]]: a canonical request.
mkreq()
{
	printf '{"activate_by":%s,"boot_id":"%s","created":%s,"duration":3600,"host":"%s","id":"%s","login_uid":1000,"ops":["read"],"paths":["/srv/tenants/%s"],"reason":"%s","tenant":"%s","type":"tenantguard-grant-request","user":"alice","version":1}\n' \
		"${4:-$((now + 600))}" "$boot" "${5:-$now}" "$host" \
		"$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')" "$2" "$3" "$2" >"$1"
}

# run NAME WANT_STATUS WANT_TEXT CMD...: CMD's status and output (both
# streams) checked.
run()
{
	name=$1 want=$2 text=$3
	shift 3
	"$@" >out 2>&1
	rc=$?
	if [ "$rc" != "$want" ]; then
		tg_fail "$name" "exit $rc, not $want: $(head -c 400 out)"
	elif ! grep -qF -- "$text" out; then
		tg_fail "$name" "no '$text' in: $(head -c 400 out)"
	else
		tg_pass "$name"
	fi
}

# keygen
if K1=$("$TG" grant keygen --out k1) && K2=$("$TG" grant keygen --out k2) &&
	K3=$("$TG" grant keygen --out k3); then
	tg_pass grant/keygen
else
	tg_fail grant/keygen "keygen failed"
	tg_summary
	exit 1
fi
mode=$(stat -c %a k1)
if [ "$mode" = 600 ] && [ ${#K1} = 44 ] && [ "$K1" != "$K2" ] &&
	[ "$(wc -c <k1)" = 45 ]; then
	tg_pass grant/keygen_file
else
	tg_fail grant/keygen_file "mode $mode, key '$K1', $(wc -c <k1) bytes"
fi
cp k1 k1.before
run grant/keygen_no_overwrite 1 "never overwritten" "$TG" grant keygen --out k1
cmp -s k1 k1.before || tg_fail grant/keygen_unchanged "k1 was changed"
run grant/keygen_usage 2 "--out FILE is needed" "$TG" grant keygen

cat >policy.yaml <<YAML
version: 1
tenants:
  acme:
    approvers: {keys: [$K1, $K2], need: 1}
  globex:
    approvers: {keys: [$K3], need: 1}
YAML
sed "s#\[$K1, $K2\], need: 1}#[$K1, $K2], need: 2}#" policy.yaml >policy2.yaml
grep -q 'need: 2' policy2.yaml || tg_fail grant/policy2 "sed did not apply"

mkreq req acme "ticket 42"
if "$TG" grant approve req --key k1 >a1 && [ "$(wc -l <a1)" = 1 ]; then
	tg_pass grant/approve
else
	tg_fail grant/approve "exit status or output: $(head -c 400 a1)"
fi
"$TG" grant approve req --key k2 >a2 2>/dev/null
"$TG" grant approve req --key k3 >a3 2>/dev/null
run grant/approve_output 0 "\"key\":\"$K1\"" cat a1
run grant/verify_ok 0 "approved (1 of 1 needed approvers)" \
	"$TG" grant verify req a1 --policy policy.yaml
run grant/verify_n_of_m_too_few 1 "refused (too-few): 1 distinct approver(s) of 2 needed" \
	"$TG" grant verify req a1 --policy policy2.yaml
run grant/verify_same_key_twice 1 "refused (too-few)" \
	"$TG" grant verify req a1 a1 --policy policy2.yaml
run grant/verify_same_key_twice_said 1 "duplicate: by $K1: the same key again" \
	"$TG" grant verify req a1 a1 --policy policy2.yaml
run grant/verify_n_of_m_ok 0 "approved (2 of 2 needed approvers)" \
	"$TG" grant verify req a1 a2 --policy policy2.yaml

# Bad key files.
printf 'not a key\n' >badkey
chmod 600 badkey
run grant/approve_bad_key 1 "is not a secret key" "$TG" grant approve req --key badkey
cp k1 k1open
chmod 644 k1open
run grant/approve_key_open 1 "may be read or written by others (mode 644" \
	"$TG" grant approve req --key k1open
run grant/approve_no_key 1 "cannot open key nokey" "$TG" grant approve req --key nokey
run grant/approve_valid_range 2 "is no duration from 1s to 30d" \
	"$TG" grant approve req --key k1 --valid 31d

# Edited requests: canonical (another reason) and not canonical.
sed 's/ticket 42/ticket 43/' req >req.edited
run grant/verify_edited 1 "refused (other-request)" \
	"$TG" grant verify req.edited a1 --policy policy.yaml
sed 's/"reason"/ "reason"/' req >req.spaced
run grant/verify_not_canonical 1 "refused (bad-request): req.spaced: not in canonical form" \
	"$TG" grant verify req.spaced a1 --policy policy.yaml
run grant/approve_not_canonical 1 "not in canonical form" \
	"$TG" grant approve req.spaced --key k1

# A forged signature: its first hex digit changed.
sed 's/"signature":"\(.\)/"signature":"X\1/; s/"signature":"X0/"signature":"1/; s/"signature":"X\(.\)/"signature":"0/' a1 >a1.forged
cmp -s a1 a1.forged && tg_fail grant/forge "sed did not change a1"
run grant/verify_forged 1 "refused (forged)" \
	"$TG" grant verify req a1.forged --policy policy.yaml

# A key that is not acme's; the wrong tenant.
run grant/verify_wrong_key 1 "refused (unknown-key)" \
	"$TG" grant verify req a3 --policy policy.yaml
mkreq req.globex globex "ticket 44"
"$TG" grant approve req.globex --key k1 >g1 2>/dev/null
run grant/verify_other_tenants_key 1 "is not one of tenant 'globex''s approvers" \
	"$TG" grant verify req.globex g1 --policy policy.yaml
run grant/verify_wrong_tenant 1 "refused (wrong-tenant): request is for tenant 'globex', not 'acme'" \
	"$TG" grant verify req.globex g1 --policy policy.yaml --tenant acme

# Another boot; a request past its activation time.
run grant/verify_wrong_boot 1 "refused (wrong-boot)" \
	"$TG" grant verify req a1 --policy policy.yaml \
	--boot-id 00000000-0000-0000-0000-000000000000
mkreq req.late acme "ticket 45" $((now - 1)) $((now - 100))
"$TG" grant approve req.late --key k1 >late1 2>/dev/null
run grant/verify_too_late 1 "refused (too-late)" \
	"$TG" grant verify req.late late1 --policy policy.yaml

# An expired approval.
"$TG" grant approve req --key k1 --valid 1s >short 2>/dev/null
sleep 2
run grant/verify_expired 1 "refused (expired)" \
	"$TG" grant verify req short --policy policy.yaml

# A policy with bad approvers: located errors.
cat >badpolicy.yaml <<YAML
version: 1
tenants:
  acme:
    approvers: {keys: [$K1, $K1], need: 1}
YAML
run grant/verify_bad_policy 1 "badpolicy.yaml:4:" \
	"$TG" grant verify req a1 --policy badpolicy.yaml
run grant/policy_check_duplicate_key 1 "is listed twice" \
	"$TG" policy check badpolicy.yaml
run grant/verify_usage 2 "--policy FILE are needed" "$TG" grant verify req a1

tg_summary
