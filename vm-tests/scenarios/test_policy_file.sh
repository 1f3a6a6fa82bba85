#!/bin/sh
# test_policy_file (BPF LSM): a policy file drives file isolation, and
# switching a tenant between enforce and audit by reload changes the verdict
# of the very next open.
. /tests/lib/tap.sh
. /tests/lib/tenants.sh

: "${TG_BIN:?}"
tg_env_setup || exit 1
TG_POLICY=$TG_T/policy.yaml
mkdir -p "$TG_T/policy.d"
write_policy()
{
	cat >"$TG_POLICY" <<YAML
version: 1
tenants_cgroup: $TG_TENANTS
tenants:
  acme: {paths: [$TG_SRV/acme]}
  globex: {mode: $1, paths: [$TG_SRV/globex]}
YAML
}
write_policy enforce
tg_start_collector || exit 1
tg_start_agent --require-file-isolation || exit 1
G=$TG_TDIR/globex

tg_probe enforce_denies_open --cgroup "$G" --expect EACCES open "$TG_SRV/acme/data"
write_policy audit
tg_cli reload >/dev/null
tg_probe audit_allows_next_open --cgroup "$G" --expect ok open "$TG_SRV/acme/data"
tg_event audit_open_event kind=file op=open verdict=audit tenant=globex \
	target_tenant=acme path="$TG_SRV/acme/data"
write_policy enforce
tg_cli reload >/dev/null
tg_probe enforce_again_denies_next_open --cgroup "$G" --expect EACCES open "$TG_SRV/acme/data"
# A path the policy gives to a tenant later becomes its own at reload.
mkdir -p /tmp/later && echo x >/tmp/later/f
tg_probe unowned_path_open --cgroup "$G" --expect ok open /tmp/later/f
cat >>"$TG_POLICY" <<YAML
  initech: {paths: [/tmp/later]}
YAML
tg_cli reload >/dev/null
tg_probe newly_owned_path_denied --cgroup "$G" --expect EACCES open /tmp/later/f
tg_summary
