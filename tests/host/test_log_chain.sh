#!/bin/sh
# test_log_chain: the collector chains every stored line by hash and signs
# checkpoints; a tenant's report carries the chain over what it lists and
# `tenantguard report --verify` refuses any change to it, naming the line.
# Denials between three tenants (globex -> acme, acme -> globex, globex ->
# initech), with small rotated files and a checkpoint every 5 lines; acme's
# report (the log read as root, and served by the agent) verifies, holds
# no line of initech's in full, and every copy with one byte edited, a line
# removed, two lines swapped, a line inserted, a checkpoint's signature
# changed, or another key pinned is refused at the right line. The chain
# runs on across rotation and a restart; a log edited while the collector
# was stopped is found at its start (chain_break event).
. "$(dirname "$0")/../lib/tap.sh"
. "$(dirname "$0")/../lib/tenants.sh"

: "${TG_BIN:?}"
tg_env_setup || exit 1
chmod 0711 "$TG_T"
mkdir -p "$TG_TDIR/initech"
tg_policy <<EOF
  acme:
  globex:
  initech:
EOF
COLL_ARGS="--rotate-size 6000 --rotate-keep 50 --checkpoint-lines 5 --checkpoint-interval 1"
# shellcheck disable=SC2086
tg_start_collector $COLL_ARGS || exit 1
tg_start_agent --event-log "$TG_LOG" || exit 1
tg_wait_tenant initech || {
	tg_fail tenants_registered "$(tg_cli status)"
	exit 1
}

pa=$((TG_PORT_BASE + 51)) pg=$((TG_PORT_BASE + 52)) pi=$((TG_PORT_BASE + 53))
for t in acme:$pa globex:$pg initech:$pi; do
	"$TG_BIN/tg-try" --cgroup "$TG_TDIR/${t%%:*}" listen tcp 127.0.0.1 "${t#*:}" "$TG_T/ready.${t%%:*}" &
	tg_track $!
	tg_wait_file "$TG_T/ready.${t%%:*}" || tg_fail listeners "${t%%:*} not ready"
done
# denials N: N rounds of globex -> acme, acme -> globex, globex -> initech.
denials()
{
	dn=0
	while [ $dn -lt "$1" ]; do
		"$TG_BIN/tg-try" --cgroup "$TG_TDIR/globex" connect tcp 127.0.0.1 $pa >/dev/null 2>&1
		"$TG_BIN/tg-try" --cgroup "$TG_TDIR/acme" connect tcp 127.0.0.1 $pg >/dev/null 2>&1
		"$TG_BIN/tg-try" --cgroup "$TG_TDIR/globex" connect tcp 127.0.0.1 $pi >/dev/null 2>&1
		dn=$((dn + 1))
	done
}
denials 12
tg_event initech_denied kind=net verdict=deny tenant=globex target_tenant=initech
sleep 2 # a checkpoint after the last line (--checkpoint-interval 1)

# Every line carries its chain value right after seq.
# log_all: the log's files, oldest first.
log_all() { cat $(ls "$TG_LOG".[0-9]* 2>/dev/null | sort -t. -k3 -rn) "$TG_LOG"; }
all=$(log_all | wc -l)
chained=$(log_all | grep -c '^{"seq":[0-9]*,"chain":"[0-9a-f]\{64\}",')
if [ "$all" -gt 36 ] && [ "$chained" = "$all" ]; then
	tg_pass every_line_chained
else
	tg_fail every_line_chained "$chained of $all lines"
fi
# ... then a salt of its own (chain format 2).
salted=$(log_all | grep -c '^{"seq":[0-9]*,"chain":"[0-9a-f]\{64\}","salt":"[0-9a-f]\{32\}",')
dup=$(log_all | sed 's/.*"salt":"\([0-9a-f]*\)".*/\1/' | sort | uniq -d | wc -l)
if [ "$salted" = "$all" ] && [ "$dup" = 0 ]; then
	tg_pass every_line_salted
else
	tg_fail every_line_salted "$salted of $all lines, $dup salts twice"
fi
key=$(grep -ho '"op":"collector_start".*"public_key":"[0-9a-f]*"' "$TG_LOG"* |
	head -n 1 | sed 's/.*"public_key":"\([0-9a-f]*\)"/\1/')
if [ ${#key} = 64 ] && grep -q "public key $key" "$TG_T/collector.err"; then
	tg_pass key_in_start_event
else
	tg_fail key_in_start_event "key '$key': $(cat "$TG_T/collector.err")"
fi
ST=$TG_T/collector-state
pk=$("$TG_BIN/tenantguard-collector" --print-key --state-dir "$ST" 2>&1)
if [ "$pk" = "$key" ]; then
	tg_pass print_key
else
	tg_fail print_key "'$pk', not '$key'"
fi
# The signing key is in the state directory, not beside the log (which
# viewers and log shippers may read).
kf=$ST/signing.key
if [ "$(stat -c '%a %U' "$kf")" = "600 $TG_COLLECTOR_USER" ] &&
	[ "$(stat -c '%a %U' "$ST")" = "700 $TG_COLLECTOR_USER" ] &&
	! ls "$TG_T/log"/*key* >/dev/null 2>&1; then
	tg_pass key_file_private_outside_log_dir
else
	tg_fail key_file_private_outside_log_dir "$(ls -la "$ST" "$TG_T/log")"
fi
# A careless --state-dir: the log's own directory, or one others may write.
expect_refused()
{
	er_out=$("$TG_BIN/tenantguard-collector" --socket "$TG_T/other.sock" \
		--log "$TG_T/$2/events.jsonl" --state-dir "$3" 2>&1)
	er_rc=$?
	if [ "$er_rc" = 1 ] && echo "$er_out" | grep -qF "$4" &&
		! ls "$TG_T/$2"/*key* >/dev/null 2>&1 && [ ! -e "$TG_T/other.sock" ]; then
		tg_pass "$1"
	else
		tg_fail "$1" "exit $er_rc: $er_out"
	fi
}
mkdir -p "$TG_T/log2"
chmod 0700 "$TG_T/log2"
expect_refused state_dir_is_log_dir_refused log2 "$TG_T/log2" \
	"refused as the state directory: it is the log's directory"
mkdir -p "$TG_T/st-open"
chmod 0777 "$TG_T/st-open"
expect_refused state_dir_others_may_write_refused log2 "$TG_T/st-open" \
	"refused as the state directory"
if ls "$TG_LOG".[0-9]* >/dev/null 2>&1 &&
	grep -q '"op":"checkpoint"' "$TG_LOG".1; then
	tg_pass rotated_with_checkpoints
else
	tg_fail rotated_with_checkpoints "$(ls "$TG_T/log")"
fi

# verify NAME FILE WANT [ARGS...]: WANT ok, or the line the refusal names.
verify()
{
	vn=$1 vf=$2 vw=$3
	shift 3
	out=$("$TG_BIN/tenantguard" report --verify "$vf" "$@" 2>&1)
	rc=$?
	case "$vw:$rc:$out" in
	ok:0:*verified*) tg_pass "$vn" ;;
	ok:*) tg_fail "$vn" "exit $rc: $out" ;;
	*:1:*": line $vw: REFUSED"*) tg_pass "$vn" ;;
	*) tg_fail "$vn" "exit $rc, want line $vw: $out" ;;
	esac
}

# The whole log, every line in full: the chain across the rotated files.
tg_cli report --log "$TG_LOG" --chain >"$TG_T/all.rep"
verify whole_log_across_rotation "$TG_T/all.rep" ok --key "$key"

# acme's report, as root reads the log.
R=$TG_T/acme.rep
tg_cli report --log "$TG_LOG" --tenant acme --chain >"$R"
verify acme_report_verifies "$R" ok
verify acme_report_pinned_key "$R" ok --key "$key"
cp1=$(grep -n '"op":"checkpoint"' "$R" | head -n 1 | cut -d: -f1)
verify other_key_refused "$R" "$cp1" --key "$(printf '%064d' 7)"
full=$(grep -c '"tenant":"acme"\|"target_tenant":"acme"' "$R")
stubs=$(grep -c '^{"seq":[0-9]*,"line_sha256":"[0-9a-f]\{64\}"}$' "$R")
others=$(sed 1d "$R" | grep -v '"tenant":"acme"\|"target_tenant":"acme"' |
	grep -v '^{"seq":[0-9]*,"line_sha256":"[0-9a-f]\{64\}"}$' |
	grep -v '"comm":"tenantguard-collector","op":"collector_start"' |
	grep -vc '"op":"checkpoint"')
if [ "$full" -ge 24 ] && [ "$stubs" -ge 12 ] && [ "$others" = 0 ] &&
	! grep -q '"target_tenant":"initech"' "$R" &&
	grep -q '"op":"checkpoint"' "$R"; then
	tg_pass report_lists_acme_only
else
	tg_fail report_lists_acme_only "$full acme lines, $stubs hashes, $others others, initech: $(grep -c initech "$R")"
fi

# Another tenant's line guessed exactly (every field but the salt, which
# only the full line holds) does not give its stub; with the salt it would.
stub=$(grep -m 1 '^{"seq":[0-9]*,"line_sha256":"[0-9a-f]\{64\}"}$' "$R")
ss=$(echo "$stub" | sed 's/^{"seq":\([0-9]*\),.*/\1/')
sh=$(echo "$stub" | sed 's/.*"line_sha256":"\([0-9a-f]*\)".*/\1/')
orig=$(log_all | grep "^{\"seq\":$ss,")
guess=$(echo "$orig" | sed -e 's/,"chain":"[0-9a-f]*"//' -e 's/,"salt":"[0-9a-f]*"//')
with_salt=$(echo "$orig" | sed -e 's/,"chain":"[0-9a-f]*"//')
if [ -n "$orig" ] && [ "$(printf '%s' "$guess" | sha256sum | cut -d' ' -f1)" != "$sh" ] &&
	[ "$(printf '%s' "$with_salt" | sha256sum | cut -d' ' -f1)" = "$sh" ]; then
	tg_pass stub_not_testable_by_guess
else
	tg_fail stub_not_testable_by_guess "stub '$stub', line '$orig'"
fi
if head -n 1 "$R" | grep -q '"tenantguard_report":"chain-v2"' &&
	grep '"op":"collector_start"' "$TG_LOG"* | grep -q '"chain_format":2'; then
	tg_pass chain_format_2_said
else
	tg_fail chain_format_2_said "$(head -n 1 "$R")"
fi

# The same, served by the agent (the caller asks it: no log at the default
# path here, and no --log).
if [ -e /var/log/tenantguard/events.jsonl ]; then
	tg_skip agent_served_report "this host has /var/log/tenantguard/events.jsonl"
else
	tg_cli report --tenant acme --chain >"$TG_T/served.rep" 2>"$TG_T/served.err"
	if cmp -s "$R" "$TG_T/served.rep"; then
		tg_pass agent_served_report
	else
		tg_fail agent_served_report "$(diff "$R" "$TG_T/served.rep" | head -c 400) $(cat "$TG_T/served.err")"
	fi
	verify agent_served_verifies "$TG_T/served.rep" ok --key "$key"
fi

# Copies, each changed once; the first full line of acme's after the first
# checkpoint is k.
k=$(grep -n '"target_tenant":"acme"' "$R" | sed -n 2p | cut -d: -f1)
n=$(wc -l <"$R")
sed "${k}s/\"pid\":\([0-9]\)/\"pid\":9\1/" "$R" >"$TG_T/edit.rep"
verify edited_byte_refused "$TG_T/edit.rep" "$k"
sed "${k}d" "$R" >"$TG_T/del.rep"
verify deleted_line_refused "$TG_T/del.rep" "$k"
sed -e "${k}{h;d}" -e "$((k + 1))G" "$R" >"$TG_T/swap.rep"
verify swapped_lines_refused "$TG_T/swap.rep" "$k"
sed "${k}p" "$R" >"$TG_T/ins.rep"
verify inserted_line_refused "$TG_T/ins.rep" "$((k + 1))"
cp_line=$(grep -n '"op":"checkpoint"' "$R" | sed -n 2p | cut -d: -f1)
c=$(sed -n "${cp_line}s/.*\"signature\":\"\(.\).*/\1/p" "$R")
[ "$c" = 0 ] && c2=1 || c2=0
sed "${cp_line}s/\"signature\":\"$c/\"signature\":\"$c2/" "$R" >"$TG_T/sig.rep"
verify checkpoint_signature_refused "$TG_T/sig.rep" "$cp_line"
# No checkpoint before the first line listed: nothing vouches for it.
k0=$(grep -n '"target_tenant":"acme"' "$R" | head -n 1 | cut -d: -f1)
sed "2,$((k0 - 1))d" "$R" >"$TG_T/cut.rep"
verify start_without_checkpoint_refused "$TG_T/cut.rep" 2

# A restart: the collector takes the chain's head back and goes on.
kill -TERM "$TG_COLLECTOR_PID"
tg_wait "$TG_COLLECTOR_PID"
f=$TG_LOG
[ -s "$f" ] || f=$TG_LOG.1
last=$(tail -n 1 "$f")
case "$last" in
*'"op":"checkpoint"'*) tg_pass checkpoint_at_stop ;;
*) tg_fail checkpoint_at_stop "$last" ;;
esac
# A key where an earlier version kept it, beside the log: moved to the
# state directory at start, the same key (the chain's checkpoints go on).
mv "$ST/signing.key" "$TG_T/log/events.jsonl.key"
pk=$("$TG_BIN/tenantguard-collector" --print-key --state-dir "$ST" --log "$TG_LOG" 2>"$TG_T/pk.err")
if [ "$pk" = "$key" ] && grep -q "next start moves it" "$TG_T/pk.err"; then
	tg_pass print_key_before_move
else
	tg_fail print_key_before_move "'$pk': $(cat "$TG_T/pk.err")"
fi
# shellcheck disable=SC2086
tg_start_collector $COLL_ARGS || exit 1
if [ -s "$ST/signing.key" ] && [ ! -e "$TG_T/log/events.jsonl.key" ] &&
	[ "$(stat -c '%a %U' "$ST/signing.key")" = "600 $TG_COLLECTOR_USER" ] &&
	grep -q "moved there now from beside the log" "$TG_T/collector.err" &&
	log_all | grep '"op":"collector_start"' | tail -n 1 | grep -q "\"public_key\":\"$key\".*\"key_moved\":true"; then
	tg_pass old_key_moved_to_state_dir
else
	tg_fail old_key_moved_to_state_dir "$(ls -la "$ST" "$TG_T/log"; cat "$TG_T/collector.err")"
fi
denials 3
tg_event after_restart kind=net verdict=deny tenant=globex target_tenant=initech
sleep 2
tg_cli report --log "$TG_LOG" --chain >"$TG_T/all2.rep"
verify chain_continues_after_restart "$TG_T/all2.rep" ok --key "$key"
if grep -q '"op":"chain_break"' "$TG_LOG"*; then
	tg_fail no_break_on_clean_restart "$(grep -h '"op":"chain_break"' "$TG_LOG"*)"
else
	tg_pass no_break_on_clean_restart
fi
# The head of the chain kept in the state directory matched the log's end.
# last_start: the last collector_start line (the log's files rotate).
last_start() { log_all | grep '"op":"collector_start"' | tail -n 1; }
case "$(last_start)" in
*'"head_check":"ok"'*) tg_pass head_checked_on_clean_restart ;;
*) tg_fail head_checked_on_clean_restart "$(last_start)" ;;
esac
# A crash (no checkpoint, no clean close): the head written at each commit
# still matches; no false alarm.
kill -KILL "$TG_COLLECTOR_PID"
tg_wait "$TG_COLLECTOR_PID"
# shellcheck disable=SC2086
tg_start_collector $COLL_ARGS || exit 1
sleep 1
if last_start | grep -q '"head_check":"ok"' &&
	! log_all | grep -q '"op":"log_truncated"\|"op":"log_tampered"'; then
	tg_pass no_head_alarm_after_crash
else
	tg_fail no_head_alarm_after_crash "$(last_start)"
fi

# A line of the log edited while the collector is stopped: found at start.
kill -TERM "$TG_COLLECTOR_PID"
tg_wait "$TG_COLLECTOR_PID"
f=$TG_LOG
[ -s "$f" ] || f=$TG_LOG.1
sed -i '$s/"time":"2/"time":"3/' "$f"
# shellcheck disable=SC2086
tg_start_collector $COLL_ARGS || exit 1
if grep -q '"op":"chain_break"' "$TG_LOG"* &&
	grep -qi "does not verify" "$TG_T/collector.err"; then
	tg_pass edited_log_found_at_start
else
	tg_fail edited_log_found_at_start "$(cat "$TG_T/collector.err")"
fi
tg_cli report --log "$TG_LOG" --chain >"$TG_T/all3.rep"
if "$TG_BIN/tenantguard" report --verify "$TG_T/all3.rep" >"$TG_T/all3.out" 2>&1; then
	tg_fail edited_log_report_refused "$(cat "$TG_T/all3.out")"
else
	tg_pass edited_log_report_refused
fi

# From here a new log (the old one, with its edited line, put aside with
# the head kept for it), without rotation: the lines cut below are all in
# $TG_LOG.
BIG_ARGS="--rotate-size 1M --rotate-keep 50 --checkpoint-lines 5 --checkpoint-interval 1"
kill -TERM "$TG_COLLECTOR_PID"
tg_wait "$TG_COLLECTOR_PID"
mkdir -p "$TG_T/old0"
mv "$TG_LOG" "$TG_LOG".[0-9]* "$TG_T/old0/"
rm "$ST/events.jsonl.head"
# shellcheck disable=SC2086
tg_start_collector $BIG_ARGS || exit 1
tg_event new_log_no_head kind=agent op=collector_start head_check=none
# seq_of LINE: its seq.
seq_of() { echo "$1" | sed 's/^{"seq":\([0-9]*\),.*/\1/'; }
sleep 1
t0=$(date -u +%Y-%m-%dT%H:%M:%SZ)
denials 3
tg_event before_cut kind=net verdict=deny tenant=globex target_tenant=initech
sleep 2
kill -TERM "$TG_COLLECTOR_PID"
tg_wait "$TG_COLLECTOR_PID"
# Lines cut from the log's end while the collector is stopped, and its seq
# state set back so that the next seq hides the gap: found at start.
stored=$(seq_of "$(tail -n 1 "$TG_LOG")")
head -n -3 "$TG_LOG" >"$TG_T/cut.jsonl"
cat "$TG_T/cut.jsonl" >"$TG_LOG"
kept=$(seq_of "$(tail -n 1 "$TG_LOG")")
printf '%020d\n' "$kept" >"$TG_LOG.seq"
# shellcheck disable=SC2086
tg_start_collector $BIG_ARGS || exit 1
tg_event truncation_found_at_start kind=agent op=log_truncated verdict=deny \
	head_seq="$stored" log_seq="$kept"
tg_event truncation_in_start_event kind=agent op=collector_start head_check=log_truncated
if grep -q "lines $((kept + 1))..$stored were removed" "$TG_T/collector.err"; then
	tg_pass truncation_warned
else
	tg_fail truncation_warned "$(cat "$TG_T/collector.err")"
fi
denials 1
sleep 2
# acme's report over that time holds the collector's record in full, and
# does not verify; the whole log's neither.
tg_cli report --log "$TG_LOG" --tenant acme --since "$t0" --chain >"$TG_T/cut.rep"
out=$("$TG_BIN/tenantguard" report --verify "$TG_T/cut.rep" --key "$key" 2>&1)
if [ $? = 1 ] && echo "$out" | grep -q "REFUSED: seq [0-9]*: the collector recorded lines removed from the log's end (op log_truncated)" &&
	grep -q '"op":"log_truncated"' "$TG_T/cut.rep" &&
	! grep -q '"op":"chain_break"' "$TG_T/cut.rep"; then
	tg_pass truncation_report_refused
else
	tg_fail truncation_report_refused "$out"
fi
# The same report, served by the agent.
if [ ! -e /var/log/tenantguard/events.jsonl ]; then
	tg_cli report --tenant acme --since "$t0" --chain >"$TG_T/cut2.rep" 2>&1
	if cmp -s "$TG_T/cut.rep" "$TG_T/cut2.rep"; then
		tg_pass truncation_agent_served_report_same
	else
		tg_fail truncation_agent_served_report_same "$(diff "$TG_T/cut.rep" "$TG_T/cut2.rep" | head -c 400)"
	fi
fi

# The last line (the checkpoint at stop) replaced by a forged line, no
# checkpoint, whose chain value follows (what a writer without the key can
# do): the chain verifies, the head does not.
kill -TERM "$TG_COLLECTOR_PID"
tg_wait "$TG_COLLECTOR_PID"
stored=$(seq_of "$(tail -n 1 "$TG_LOG")")
forged=$( (tail -n 2 "$TG_LOG" | head -n 1
	tail -n 1 "$TG_LOG" | sed -e 's/,"chain":"[0-9a-f]*"//' -e 's/"time":"2/"time":"1/' \
		-e 's/"op":"checkpoint"/"op":"note"/') |
	"$TG_BIN/tg-try" rechain)
head -n -1 "$TG_LOG" >"$TG_T/forged.jsonl"
echo "$forged" >>"$TG_T/forged.jsonl"
cat "$TG_T/forged.jsonl" >"$TG_LOG"
# shellcheck disable=SC2086
tg_start_collector $BIG_ARGS || exit 1
tg_event forged_end_found_at_start kind=agent op=log_tampered verdict=deny \
	head_seq="$stored" log_seq="$stored"
if grep -q '"op":"chain_break"' "$TG_LOG" || ! grep -q "is not the line the collector stored" "$TG_T/collector.err"; then
	tg_fail forged_end_chain_consistent "$(cat "$TG_T/collector.err")"
else
	tg_pass forged_end_chain_consistent
fi

# A second collector, on another log of the same file name, given the same
# state directory: refused, the head is the first one's.
out=$("$TG_BIN/tenantguard-collector" --socket "$TG_T/third.sock" \
	--log "$TG_T/log3/events.jsonl" --state-dir "$ST" \
	${TG_COLLECTOR_USER:+--user "$TG_COLLECTOR_USER"} 2>&1)
if [ $? = 1 ] && echo "$out" | grep -q "events.jsonl.head: in use by another collector"; then
	tg_pass shared_head_refused
else
	tg_fail shared_head_refused "$out"
fi

# A careless admin: the log removed (or replaced by an empty one), and the
# head file damaged: each said at start, the collector goes on.
kill -TERM "$TG_COLLECTOR_PID"
tg_wait "$TG_COLLECTOR_PID"
stored=$(seq_of "$(tail -n 1 "$TG_LOG")")
mkdir -p "$TG_T/old"
mv "$TG_LOG" "$TG_T/old/"
# shellcheck disable=SC2086
tg_start_collector $BIG_ARGS || exit 1
tg_event removed_log_found_at_start kind=agent op=log_truncated head_seq="$stored"
kill -TERM "$TG_COLLECTOR_PID"
tg_wait "$TG_COLLECTOR_PID"
echo "nonsense" >"$ST/events.jsonl.head"
# shellcheck disable=SC2086
tg_start_collector $BIG_ARGS || exit 1
tg_event damaged_head_found_at_start kind=agent op=log_tampered
if grep -q "is not one the collector writes" "$TG_T/collector.err" &&
	grep -q '^tenantguard-log-head-v1 [0-9]\{20\} [0-9a-f]\{64\}$' "$ST/events.jsonl.head" &&
	[ "$(stat -c '%a %U' "$ST/events.jsonl.head")" = "600 $TG_COLLECTOR_USER" ]; then
	tg_pass damaged_head_rewritten
else
	tg_fail damaged_head_rewritten "$(cat "$ST/events.jsonl.head") $(cat "$TG_T/collector.err")"
fi

tg_summary
