#!/bin/sh
# Layering lane: every include in agent/<folder>/ names its folder
# ("common/log.h"), and that folder is one this folder may use (the layers
# common < policy < seccomp < launcher < one folder per binary; no binary folder
# includes another's); no include goes up with "..", and no quoted include
# is a bare name but the build's generated skeletons ("net.skel.h"). Prints
# a PASS/FAIL line per folder and "layering: N passed, N failed"; non-zero
# exit if anything failed. Needs no build.
here=$(cd "$(dirname "$0")/.." && pwd)
cd "$here" || exit 1

# may FOLDER: the folders of agent/ that FOLDER may include, itself first.
may()
{
	case $1 in
	common) echo common ;;
	policy) echo policy common ;;
	seccomp) echo seccomp policy common ;;
	launcher) echo launcher seccomp policy common ;;
	agentd) echo agentd launcher seccomp policy common ;;
	collector) echo collector common ;;
	cli) echo cli launcher seccomp policy common ;;
	*) return 1 ;;
	esac
}

# Every folder also reaches the ABI headers shared with BPF (include/*/).
abi=$(find include -mindepth 1 -maxdepth 1 -type d | sed 's#.*/##' | sort | tr '\n' ' ')
folders=$(find agent -mindepth 1 -maxdepth 1 -type d | sed 's#.*/##' | sort)

# bad_includes ALLOWED <FILES: a line per include of the files named on stdin
# that breaks the rules; non-zero if they could not be read.
bad_includes()
{
	# shellcheck disable=SC2016 # the program is awk's
	xargs -r awk -v allowed="$1" -v folders="$folders" '
	BEGIN {
		n = split(allowed, a, " ")
		for (i = 1; i <= n; i++)
			ok[a[i]] = 1
		n = split(folders, a, " ")
		for (i = 1; i <= n; i++)
			layer[a[i]] = 1
		gsub(/ +/, ", ", allowed)
		sub(/, $/, "", allowed)
	}
	/^[ \t]*#[ \t]*include[ \t]*["<]/ {
		if (!match($0, /["<][^">]*[">]/))
			next
		text = substr($0, RSTART, RLENGTH)
		name = substr(text, 2, RLENGTH - 2)
		quoted = substr(text, 1, 1) == "\""
		top = name
		sub(/\/.*/, "", top)
		why = ""
		if (name ~ /(^|\/)\.\.(\/|$)/)
			why = "goes up with \"..\""
		else if (quoted && index(name, "/") == 0 && name !~ /\.skel\.h$/)
			why = "names no folder"
		else if ((quoted || top in layer) && index(name, "/") && !(top in ok))
			why = top "/ is not one of " allowed
		if (why != "")
			printf "    %s:%d: #include %s: %s\n", FILENAME, FNR, text, why
	}'
}

pass=0
fail=0
for f in $folders; do
	if ! allowed=$(may "$f"); then
		echo "FAIL layering/$f: no rule for agent/$f/ in tests/layering.sh"
		fail=$((fail + 1))
		continue
	fi
	if ! bad=$(find "agent/$f" -name '*.[ch]' | sort | bad_includes "$allowed $abi"); then
		echo "FAIL layering/$f: cannot read its files"
		fail=$((fail + 1))
		continue
	fi
	if [ -z "$bad" ]; then
		echo "PASS layering/$f"
		pass=$((pass + 1))
	else
		echo "FAIL layering/$f: $(echo "$bad" | wc -l) include(s) break the layers ($f may include $(echo "$allowed" | sed 's/ /, /g'))"
		echo "$bad"
		fail=$((fail + 1))
	fi
done
echo "layering: $pass passed, $fail failed"
[ "$fail" = 0 ]
