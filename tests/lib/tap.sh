# shellcheck shell=sh
# Test result lines shared by host tests and VM scenarios (POSIX sh):
#   PASS <name> | FAIL <name>: <why> | SKIP <name>: <why>
# and a closing "N passed, N failed, N skipped".
TG_NPASS=0
TG_NFAIL=0
TG_NSKIP=0

tg_pass()
{
	echo "PASS $1"
	TG_NPASS=$((TG_NPASS + 1))
}

tg_fail()
{
	echo "FAIL $1: $2"
	TG_NFAIL=$((TG_NFAIL + 1))
}

tg_skip()
{
	echo "SKIP $1: $2"
	TG_NSKIP=$((TG_NSKIP + 1))
}

# Print the totals; non-zero if anything failed.
tg_summary()
{
	echo "$TG_NPASS passed, $TG_NFAIL failed, $TG_NSKIP skipped"
	[ "$TG_NFAIL" = 0 ]
}
