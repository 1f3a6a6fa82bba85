#!/bin/sh
# fanotify file backend benchmark: open+close of a file at depth 4 and 16
# below a tenant's owned root, by a process of the owning tenant, with the
# agent on the fanotify backend and with no agent, alternated over several
# rounds in one run. Also an unrelated file on the same filesystem, opened
# by a tenant, once ignore marks are in place (its first open sets one), and
# a denied open by another tenant. Prints the median ns per open+close and
# the ratio to no agent; asserts nothing. The owned tree is on a tmpfs of
# the benchmark's own: the agent marks the whole filesystem.
# Rename storm: a host process's open+close of a host file on that
# filesystem while a tenant renames a directory of its own back and forth
# between two of its directories, as a ratio to the same loop without the
# renames (agent running both times, alternated in one run), with the
# renames the agent read and what they made it forget; as a control, the
# same loop renaming on a filesystem the agent does not mark (what the
# renaming process's CPU time alone costs on a small machine).
# TG_BENCH_FAN_ROWS=storm runs that row alone.
set -eu
out=$(cd "${1:-build}" && pwd)
here=$(cd "$(dirname "$0")/../.." && pwd)
export TG_BIN=$out
. "$here/tests/lib/tap.sh"
. "$here/tests/lib/tenants.sh"
if [ "$(id -u)" != 0 ]; then
	echo "fanotify bench: skipped, needs root"
	exit 0
fi
tg_env_setup
tg_mounted "$TG_SRV" || tg_srv_tmpfs
N=${TG_BENCH_OPENS:-20000}
ROUNDS=${TG_BENCH_ROUNDS:-5}
A=$TG_TDIR/acme
G=$TG_TDIR/globex
d4=$TG_SRV/acme/a/b/c
d16=$TG_SRV/acme/a/b/c/d/e/f/g/h/i/j/k/l/m/n/o
mkdir -p "$d16"
echo x >"$d4/f"		# depth 4 below the root: a/b/c/f
echo x >"$d16/f"	# depth 16
# A file directly below the paths root: no tenant's (a directory there
# would be the tenant of that name's).
echo x >"$TG_SRV/unrelated"

loop() # CGROUP PATH
{
	"$out/tg-try" --cgroup "$1" open-loop "$2" "$N"
}
median() { sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
ratio() { echo "$1 $2" | awk '{ printf "%.2f", $1 / $2 }'; }

tg_start_collector
if [ "${TG_BENCH_FAN_ROWS:-all}" != storm ]; then
	for c in none4 none16 noneu fan4 fan16 fanu fandeny; do : >"$TG_T/$c"; done
	i=0
	while [ $i -lt "$ROUNDS" ]; do
		loop "$A" "$d4/f" >>"$TG_T/none4"
		loop "$A" "$d16/f" >>"$TG_T/none16"
		loop "$G" "$TG_SRV/unrelated" >>"$TG_T/noneu"
		tg_start_agent --file-backend fanotify
		"$out/tg-try" --cgroup "$G" open "$TG_SRV/unrelated" >/dev/null
		loop "$A" "$d4/f" >>"$TG_T/fan4"
		loop "$A" "$d16/f" >>"$TG_T/fan16"
		loop "$G" "$TG_SRV/unrelated" >>"$TG_T/fanu"
		"$out/tg-try" --cgroup "$G" open-loop "$d4/f" 2000 refused | cut -d' ' -f1 >>"$TG_T/fandeny" || true
		tg_stop_agent
		i=$((i + 1))
	done
	echo "fanotify backend, open+close, $N opens x $ROUNDS rounds, median ns:"
	for c in 4 16 u; do
		b=$(median <"$TG_T/none$c")
		f=$(median <"$TG_T/fan$c")
		case $c in
		4) what="owner, depth 4" ;;
		16) what="owner, depth 16" ;;
		u) what="unrelated file, ignore mark" ;;
		esac
		printf '  %-28s no agent %9.1f   fanotify %9.1f   ratio %s\n' "$what" "$b" "$f" \
			"$(ratio "$f" "$b")"
	done
	printf '  %-28s fanotify %9.1f (each one an event to the collector)\n' \
		"other tenant, denied" "$(median <"$TG_T/fandeny")"
fi

# Rename storm.
mkdir -p "$TG_SRV/acme/r1/d" "$TG_SRV/acme/r2"
echo x >"$TG_SRV/acme/r1/d/f"
echo x >"$TG_SRV/hostfile" # no tenant's, as "unrelated" above
# fan_stat KEY: a counter of the agent's status, fanotify part.
fan_stat()
{
	tg_cli status --json | tr -d ' \n' | sed -n 's/.*"fanotify":{//p' |
		tr ',{}' '\n\n\n' | sed -n "s/^\"$1\":\([0-9]*\)$/\1/p" | head -n 1
}
: >"$TG_T/quiet"
: >"$TG_T/storm"
: >"$TG_T/elsewhere"
: >"$TG_T/renames"
mkdir -p "$TG_T/r1/d" "$TG_T/r2"
tg_start_agent --file-backend fanotify
"$out/tg-try" open "$TG_SRV/hostfile" >/dev/null
d0=$(fan_stat directories) k0=$(fan_stat owner_kept)
a0=$(fan_stat all) h0=$(fan_stat host) t0=$(fan_stat tenant)
# storm DIR OUTFILE: the host's loop while the tenant renames DIR/r1/d.
storm()
{
	rm -f "$TG_T/stop"
	"$out/tg-try" --cgroup "$A" rename-loop "$1/r1/d" "$1/r2/d" 0 \
		"$TG_T/stop" >>"$3" &
	storm=$!
	tg_track $storm
	sleep 0.2
	"$out/tg-try" open-loop "$TG_SRV/hostfile" "$N" >>"$2"
	touch "$TG_T/stop"
	tg_wait $storm || true
}
i=0
while [ $i -lt "$ROUNDS" ]; do
	"$out/tg-try" open-loop "$TG_SRV/hostfile" "$N" >>"$TG_T/quiet"
	storm "$TG_T" "$TG_T/elsewhere" /dev/null
	storm "$TG_SRV/acme" "$TG_T/storm" "$TG_T/renames"
	i=$((i + 1))
done
q=$(cut -d' ' -f1 "$TG_T/quiet" | median)
e=$(cut -d' ' -f1 "$TG_T/elsewhere" | median)
r=$(cut -d' ' -f1 "$TG_T/storm" | median)
echo "fanotify backend, rename storm, host open+close of a host file, $N opens x $ROUNDS rounds, median ns:"
printf '  %-28s no renames %9.1f   tenant renaming %9.1f   ratio %s\n' \
	"host file, ignore mark" "$q" "$r" "$(ratio "$r" "$q")"
printf '  %-28s no renames %9.1f   tenant renaming %9.1f   ratio %s\n' \
	"  control: renames off it" "$q" "$e" "$(ratio "$e" "$q")"
printf '  %-28s %s made, %s read by the agent, %s of them kept every owner; flushes: all %s, host %s, tenant %s\n' \
	"tenant's renames" "$(cut -d' ' -f1 "$TG_T/renames" | awk '{ s += $1 } END { print s }')" \
	"$(($(fan_stat directories) - d0))" "$(($(fan_stat owner_kept) - k0))" \
	"$(($(fan_stat all) - a0))" "$(($(fan_stat host) - h0))" \
	"$(($(fan_stat tenant) - t0))"
tg_stop_agent
