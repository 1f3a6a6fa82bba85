#!/bin/sh
# test_events_filters: `tenantguard events` over a known log (times around
# now): --tenant, --actor, --target, repeated (OR) and combined (AND);
# --kind, --op, --verdict with the suppressed summary shown as the net
# denials it counts (never allow) and the drop as "-"; --since and --until
# in journalctl's forms; -n, --reverse, --follow from the last lines;
# fixed columns, cut with a visible mark, the header again each screenful
# on a terminal; --summary [--by] as text and JSON; report counting a
# suppressed summary under its kind and verdict; clear errors (exit 2).
# Then the same through the agent, for a viewer who cannot read the log:
# the same lines as root reads, -n and --follow -n served by the agent.
. "$(dirname "$0")/../lib/tap.sh"
. "$(dirname "$0")/../lib/tenants.sh"

: "${TG_BIN:?}"
tg_env_setup || exit 1
K=$TG_T/known/events.jsonl
mkdir -p "$TG_T/known"
# at MINUTES: the time that many minutes ago, as the collector writes it.
at() { date -u -d "-$1 min" +%Y-%m-%dT%H:%M:%S.000000000Z; }
line()
{
	printf '{"seq":%s,"time":"%s","host":"h","kind":"%s","verdict":"%s","tenant":"%s","target_tenant":"%s","pid":%s,"comm":"%s","op":"%s"%s}\n' "$@"
}
{
	line 1 "$(at 180)" net deny globex acme 10 curl connect ',"proto":"tcp","addr":"10.0.0.1","port":80'
	line 2 "$(at 120)" file audit acme globex 11 cat open ',"path":"/srv/globex/x"'
	line 3 "$(at 100)" agent allow globex host 0 tenantguard-age suppressed \
		',"event_kind":"net","event_op":"connect","event_verdict":"deny","suppressed":912,"window_start":"w0","window_end":"w1","message":"912 more"'
	line 4 "$(at 80)" agent allow initech host 0 tenantguard-age drop ',"reason":"ringbuf_full","dropped":7,"message":"7 events of tenant initech dropped"'
	line 5 "$(at 30)" unix deny initech acme 12 a-very-long-command-name connect ',"path":"/srv/acme/sock"'
	line 6 "$(at 10)" net audit acme initech 13 nc sendmsg ',"proto":"udp","addr":"10.0.0.2","port":53'
	line 7 "$(at 10)" file deny globex initech 14 mv rename ',"path":"/srv/initech/y"'
} >"$K"

ev() { "$TG_BIN/tenantguard" events --log "$K" "$@"; }
# seqs: the seq of each JSON line on stdin, on one line.
seqs() { sed -n 's/^{"seq":\([0-9]*\),.*/\1/p' | tr '\n' ' ' | sed 's/ $//'; }
# want NAME "SEQS" ARGS...: the events (JSON) that ARGS select, in order.
want()
{
	w_name=$1 w_want=$2
	shift 2
	w_got=$(ev --json "$@" 2>&1 | seqs)
	if [ "$w_got" = "$w_want" ]; then
		tg_pass "$w_name"
	else
		tg_fail "$w_name" "events $* gave '$w_got', not '$w_want'"
	fi
}

want all "1 2 3 4 5 6 7"
want actor "1 3 7" --actor globex
want target "2" --target globex
want tenant_either_side "1 2 5 6" --tenant acme
want actor_or_actor "1 2 3 6 7" --actor globex --actor acme
want actor_and_target "7" --actor globex --target initech
want tenants_or_and_verdict "1 5 7" --tenant acme --tenant initech --verdict deny
want kind_net_with_suppressed "1 3 6" --kind net
want kind_net_deny "1 3" --kind net --verdict deny
want verdict_allow_none "" --verdict allow
want verdict_audit "2 6" --verdict audit
want verdict_suppressed_old_log "3" --verdict suppressed
want verdict_dropped_old_log "4" --verdict dropped
want op_connect "1 3 5" --op connect
want op_suppressed "3" --op suppressed
want kind_agent_drop "4" --kind agent
want kind_or_kind "2 4 7" --kind file --kind agent
want lines "6 7" -n 2
want lines_after_filter "3 6" --lines 2 --kind net
want lines_zero "" -n 0
want lines_all "1 2 3 4 5 6 7" -n all
# Summaries as the agent stores them now: verdict suppressed or dropped,
# never allow; read as those of the log above.
K_OLD=$K K=$TG_T/known/summaries.jsonl
{
	line 1 "$(at 100)" agent suppressed globex host 0 tenantguard-age suppressed \
		',"event_kind":"net","event_op":"connect","event_verdict":"deny","suppressed":912,"window_start":"w0","window_end":"w1","message":"912 more"'
	line 2 "$(at 80)" agent dropped initech host 0 tenantguard-age drop ',"reason":"ringbuf_full","dropped":7,"message":"7 events of tenant initech dropped"'
	line 3 "$(at 70)" agent suppressed host host 0 tenantguard-age admin_suppressed ',"uid":1000,"count":3,"message":"3 record(s)"'
	line 4 "$(at 60)" net deny globex acme 10 curl connect ',"proto":"tcp","addr":"10.0.0.1","port":80'
} >"$K"
want summaries_verdict_allow_none "" --verdict allow
want summaries_verdict_deny "1 4" --verdict deny
want summaries_verdict_suppressed "1 3" --verdict suppressed
want summaries_verdict_dropped "2" --verdict dropped
want summaries_kind_net "1 4" --kind net
out=$(ev | awk '$1 == 1 || $1 == 2 { print $4 }' | tr '\n' ' ')
if [ "$out" = "deny - " ]; then
	tg_pass summaries_shown_verdict
else
	tg_fail summaries_shown_verdict "verdicts shown: '$out'"
fi
K=$K_OLD
want reverse "7 6 5 4 3 2 1" --reverse
want reverse_lines "7 6 5" --reverse -n 3
want since_minus_span "4 5 6 7" --since -1h30m
want since_ago "4 5 6 7" --since '1h30m ago'
want since_bare_span "4 5 6 7" --since 90m
want since_spaced_units "4 5 6 7" --since '1 hour 30 min ago'
want until_span "1 2 3 4" --until -1h
want since_until "2 3 4" --since 150m --until 1h
want since_yesterday "1 2 3 4 5 6 7" --since yesterday
want until_now "1 2 3 4 5 6 7" --until now
want since_local_time "4 5 6 7" --since "$(date -d '-85 min' '+%Y-%m-%d %H:%M:%S')"
want until_rfc3339 "1" --until "$(date -u -d '-150 min' +%Y-%m-%dT%H:%M:%SZ)"
want since_epoch "5 6 7" --since "@$(($(date +%s) - 3000))"

# Human: the suppressed summary as net connect denials, the drop as "-",
# never allow; fixed columns, a long comm cut with a visible mark.
ev >"$TG_T/human"
if [ "$(grep -c '^SEQ' "$TG_T/human")" = 1 ] &&
	grep -q '^3  *[^ ]*  *net  *deny  *globex  *-> host  *connect  .*suppressed: 912 more' "$TG_T/human" &&
	grep -q '^4  *[^ ]*  *agent  *-  *initech  *-> host  *drop ' "$TG_T/human" &&
	! grep -q allow "$TG_T/human" &&
	grep -q ' a-very-long-co… /srv/acme/sock$' "$TG_T/human" &&
	[ "$(awk 'NR > 1 { print index($0, "-> ") }' "$TG_T/human" | sort -u | wc -l)" = 1 ]; then
	tg_pass human_suppressed_fixed_columns
else
	tg_fail human_suppressed_fixed_columns "$(cat "$TG_T/human")"
fi
# On a terminal of 5 rows: the header, then 4 lines, then the header again.
script -qc "stty rows 5 cols 200; NO_COLOR=1 $TG_BIN/tenantguard events --log $K" /dev/null \
	>"$TG_T/tty" 2>&1
if [ "$(grep -c '^SEQ' "$TG_T/tty")" = 3 ] && [ "$(grep -c '^[0-9]' "$TG_T/tty")" = 7 ] &&
	sed -n 5p "$TG_T/tty" | grep -q '^SEQ'; then
	tg_pass header_every_screenful
else
	tg_fail header_every_screenful "$(cat "$TG_T/tty")"
fi

# --summary: stored, suppressed and dropped per group.
ev --summary >"$TG_T/sum"
printf '%s\n' \
	'TENANT           KIND     OP                   EVENTS SUPPRESSED    DROPPED' \
	'acme             file     open                      1          0          0' \
	'acme             net      sendmsg                   1          0          0' \
	'globex           file     rename                    1          0          0' \
	'globex           net      connect                   1        912          0' \
	'initech          agent    drop                      0          0          7' \
	'initech          unix     connect                   1          0          0' \
	'total: 5 events stored, 912 suppressed, 7 dropped' >"$TG_T/sum.want"
if cmp -s "$TG_T/sum" "$TG_T/sum.want"; then
	tg_pass summary_text
else
	tg_fail summary_text "$(diff "$TG_T/sum.want" "$TG_T/sum")"
fi
out=$(ev --summary --by tenant --kind net --json | tr -d ' \n')
if [ "$out" = '{"by":["tenant"],"groups":[{"tenant":"acme","events":1,"suppressed":0,"dropped":0},{"tenant":"globex","events":1,"suppressed":912,"dropped":0}],"other":{"events":0,"suppressed":0,"dropped":0},"total":{"events":2,"suppressed":912,"dropped":0}}' ]; then
	tg_pass summary_json_by_tenant_kind_net
else
	tg_fail summary_json_by_tenant_kind_net "$out"
fi
out=$(ev --summary --by target,verdict --since 1h30m | tr -s ' ')
if [ "$out" = "$(printf '%s\n' 'TARGET VERDICT EVENTS SUPPRESSED DROPPED' \
	'acme deny 1 0 0' 'host - 0 0 7' 'initech audit 1 0 0' \
	'initech deny 1 0 0' 'total: 3 events stored, 0 suppressed, 7 dropped')" ]; then
	tg_pass summary_by_target_verdict_since
else
	tg_fail summary_by_target_verdict_since "$out"
fi

# report: a suppressed summary counted as one line of its kind and verdict.
out=$("$TG_BIN/tenantguard" report --log "$K" --kind net | tr -s ' ')
if [ "$out" = "$(printf '%s\n' 'TENANT KIND OP VERDICT COUNT' \
	'acme net sendmsg audit 1' 'globex net connect deny 1' \
	'globex net suppressed deny 1' 'total: 3 events')" ]; then
	tg_pass report_kind_net_no_allow
else
	tg_fail report_kind_net_no_allow "$out"
fi

# expect_err NAME OUTPUT-PART ARGS...: exit 2 and a message naming both.
expect_err()
{
	name=$1 want=$2
	shift 2
	out=$(ev "$@" 2>&1)
	rc=$?
	if [ "$rc" = 2 ] && echo "$out" | grep -qF -- "$want"; then
		tg_pass "$name"
	else
		tg_fail "$name" "exit $rc: $out"
	fi
}
expect_err bad_verdict "--verdict 'denied': not one of deny, audit, allow" --verdict denied
expect_err bad_since "--since '3 fortnights': not a time" --since '3 fortnights'
expect_err bad_until "--until '2026-02-30': not a time" --until 2026-02-30
expect_err bad_by "--by 'tenant,comm': not a list of tenant, kind, op, target, verdict" --summary --by tenant,comm
expect_err by_without_summary "--by needs --summary" --by tenant
expect_err bad_lines "--lines 'ten': not a number" -n ten
expect_err negative_lines "--lines '-1': not a number" --lines -1
expect_err reverse_follow "--reverse and --follow" --reverse --follow
expect_err until_before_since "--until is before --since" --since 1h --until 2h

# follows NAME "SEQS" OUT LINE-ARGS...: the follower just started ($fpid,
# writing OUT) has printed SEQS once the line LINE-ARGS is added; ended.
follows()
{
	fw_name=$1 fw_want=$2 fw_out=$3
	shift 3
	sleep 1
	line "$@" >>"$K"
	n=0
	until [ "$(seqs <"$fw_out")" = "$fw_want" ] || [ $n -gt 25 ]; do
		n=$((n + 1))
		sleep 0.2
	done
	kill "$fpid" 2>/dev/null
	tg_wait "$fpid"
	if [ "$(seqs <"$fw_out")" = "$fw_want" ]; then
		tg_pass "$fw_name"
	else
		tg_fail "$fw_name" "$(cat "$fw_out")"
	fi
}

# --follow starts from the last lines (-n 2), then what comes.
"$TG_BIN/tenantguard" events --log "$K" --follow -n 2 --json >"$TG_T/f" 2>&1 &
fpid=$!
tg_track $fpid
follows follow_from_last_lines "6 7 8" "$TG_T/f" 8 "$(at 0)" net deny globex acme 15 curl connect ''

# Through the agent: a viewer who cannot read the log gets the same.
for c in groupadd useradd userdel groupdel setpriv; do
	if ! command -v $c >/dev/null; then
		tg_skip through_agent "no $c here"
		tg_summary
		exit 0
	fi
done
P=tgf$$
G_SOCK=$P-sock G_V=$P-viewer V=${P}v
tg_on_cleanup "userdel $V 2>/dev/null; groupdel $G_SOCK 2>/dev/null; groupdel $G_V 2>/dev/null"
groupadd "$G_SOCK" && groupadd "$G_V" &&
	useradd -M -N -g "$G_V" -G "$G_SOCK" "$V" || exit 1
TG_POLICY=$TG_T/policy.yaml
mkdir -p "$TG_T/policy.d"
printf 'version: 1\ntenants_cgroup: %s\nroles:\n  viewer: [%s]\n  operator: []\n  admin: []\ntenants:\n  acme:\n  globex:\n' \
	"$TG_TENANTS" "$G_V" >"$TG_POLICY"
chmod 0711 "$TG_T" "$TG_T/known"
chmod 0600 "$K"
[ -n "$TG_COLLECTOR_USER" ] && { tg_collector_user && chown "$TG_COLLECTOR_USER" "$K" || exit 1; }
tg_start_collector || exit 1
tg_start_agent --control-group "$G_SOCK" --event-log "$K" || exit 1
SOCK=$TG_T/control.sock
vev()
{
	setpriv --reuid "$(id -u "$V")" --regid "$(id -g "$V")" --init-groups \
		"$TG_BIN/tenantguard" --control-socket "$SOCK" events --log "$K" "$@"
}
if setpriv --reuid "$(id -u "$V")" --regid "$(id -g "$V")" --init-groups cat "$K" >/dev/null 2>&1; then
	tg_fail viewer_cannot_read_log "the viewer reads $K"
else
	tg_pass viewer_cannot_read_log
fi
# agent_same NAME ARGS...: the viewer's lines (served) are root's (read).
agent_same()
{
	a_name=$1
	shift
	a_root=$(ev --json "$@" 2>&1)
	a_v=$(vev --json "$@" 2>&1)
	if [ -n "$a_root" ] && [ "$a_root" = "$a_v" ]; then
		tg_pass "$a_name"
	else
		tg_fail "$a_name" "root: $(echo "$a_root" | seqs), viewer: $(echo "$a_v" | head -c 300)"
	fi
}
agent_same agent_actor_or --actor globex --actor acme
agent_same agent_target_verdict --target initech --verdict deny
agent_same agent_kind_net_suppressed --kind net
agent_same agent_op_since_until --op connect --since 150m --until 20m
agent_same agent_lines -n 2 --kind net
agent_same agent_reverse_lines --reverse -n 3
agent_same agent_summary --summary --by tenant,verdict
if [ "$(vev --json --actor globex --kind net -n 1 | seqs)" = 8 ]; then
	tg_pass agent_lines_last
else
	tg_fail agent_lines_last "$(vev --json --actor globex --kind net -n 1 2>&1)"
fi
out=$(vev --verdict maybe 2>&1)
rc=$?
if [ $rc = 2 ] && echo "$out" | grep -qF -- "--verdict 'maybe'"; then
	tg_pass agent_bad_verdict
else
	tg_fail agent_bad_verdict "exit $rc: $out"
fi
# --follow -n 1 through the agent: the last line, then the new one.
setpriv --reuid "$(id -u "$V")" --regid "$(id -g "$V")" --init-groups \
	"$TG_BIN/tenantguard" --control-socket "$SOCK" events --log "$K" \
	--follow -n 1 --json >"$TG_T/vf" 2>&1 &
fpid=$!
tg_track $fpid
follows agent_follow_from_last_lines "8 9" "$TG_T/vf" 9 "$(at 0)" file deny acme globex 16 rm unlink ''
tg_summary
