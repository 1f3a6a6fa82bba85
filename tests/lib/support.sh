# shellcheck shell=sh
# Helpers of the tests that act as support staff. Needs tap.sh.

# as LOGIN_UID CMD...: CMD with that audit login uid (written in a child:
# a login uid once set cannot change, so this shell's must be unset).
as()
{
	as_uid=$1
	shift
	sh -c 'echo "$0" >/proc/self/loginuid && exec "$@"' "$as_uid" "$@"
}

# tg_need_login_uid NAME: skip the test NAME (and exit) unless a child of
# this shell can be given a login uid.
tg_need_login_uid()
{
	if ! [ -w /proc/self/loginuid ]; then
		tg_skip "$1" "no /proc/self/loginuid (a kernel without audit)"
		tg_summary
		exit 0
	fi
	if ! as 4242 true 2>/dev/null; then
		tg_skip "$1" "this shell's login uid is set: cannot act as support staff"
		tg_summary
		exit 0
	fi
}
