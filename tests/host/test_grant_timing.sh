#!/bin/sh
# test_grant_timing: a grant's end holds for a support actor that connects
# in a tight loop (a few rounds of what tests/bench/grants.sh measures):
# after `grant revoke` the loop is refused and no connect is allowed again,
# the revoked event names the grant; a short grant allows no connect begun
# at or after its deadline (read from the pinned grants map), every allowed
# connect has its allow event, and a refusal follows. The figures are
# printed, not asserted (tests/tool/grant_timing.c).
. "$(dirname "$0")/../lib/tap.sh"
. "$(dirname "$0")/../lib/tenants.sh"
. "$(dirname "$0")/../lib/grants.sh"

: "${TG_BIN:?}"
if ! [ -w /proc/self/loginuid ] || ! tg_grant_loginuid_ok; then
	tg_skip grant_timing "no writable /proc/self/loginuid (no audit, or this shell's login uid is set)"
	tg_summary
	exit 0
fi
tg_env_setup || exit 1
tg_grant_setup 4242 || {
	tg_fail setup "$(tail -n 3 "$TG_T/agent.err" | tr '\n' ' ')"
	exit 1
}

for r in 1 2 3; do
	if ! id=$(tg_grant_make 4242 1h); then
		tg_fail "revoke_${r}_grant_made" "request, approval or activation failed"
		continue
	fi
	line=$("$TG_BIN/tg-try" revoke-timing "$A" 4242 "$TG_LOG" "$id" -- \
		$CLI grant revoke "$id")
	echo "# revoke $r: $line"
	case $line in
	from_start=*" allowed_after=0 "*) tg_pass "revoke_${r}_refused_for_good" ;;
	*) tg_fail "revoke_${r}_refused_for_good" "$line" ;;
	esac
	case $line in
	*" from_event=-"*) tg_fail "revoke_${r}_event" "no revoked event of $id" ;;
	from_start=*) tg_pass "revoke_${r}_event" ;;
	esac
done

if id=$(tg_grant_make 4242 2s); then
	line=$("$TG_BIN/tg-try" expiry-timing "$A" 4242 "$TG_LOG" "$id" \
		"$TG_PINS/maps/grants" 300)
	echo "# expiry: $line"
	case $line in
	allowed=*" late=0 "*) tg_pass expiry_nothing_allowed_after_deadline ;;
	*) tg_fail expiry_nothing_allowed_after_deadline "$line" ;;
	esac
	allowed=$(echo "$line" | sed -n 's/^allowed=\([0-9]*\) .*/\1/p')
	case $line in
	*" events=$allowed "*) tg_pass expiry_every_allowed_connect_logged ;;
	*) tg_fail expiry_every_allowed_connect_logged "$line" ;;
	esac
	tg_event expiry_event kind=grant op=expired grant="$id"
else
	tg_fail expiry_grant_made "request, approval or activation failed"
fi

tg_summary
