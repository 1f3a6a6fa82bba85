#!/bin/sh
# man-from-help.sh BINARY TEMPLATE: the manual page TEMPLATE with its line
# @OPTIONS@ replaced by the options of `BINARY --help`, one .TP each, so
# that the page lists exactly what the binary accepts.
set -eu
bin=$1 template=$2
help=$(mktemp)
trap 'rm -f "$help"' EXIT
"$bin" --help >"$help"
awk -v helpfile="$help" '
function esc(s) {
	gsub(/\\/, "\\e", s)
	gsub(/-/, "\\-", s)
	# A line may not start a request.
	if (substr(s, 1, 1) == "." || substr(s, 1, 1) == sprintf("%c", 39))
		s = "\\&" s
	return s
}
function flush(  n, i, w, out) {
	if (opt == "")
		return
	# Option names in bold, their arguments in italics.
	n = split(opt, w, " ")
	out = ""
	for (i = 1; i <= n; i++)
		out = out (i > 1 ? " " : "") (w[i] ~ /^-/ ? "\\fB" : "\\fI") esc(w[i]) "\\fR"
	printf ".TP\n%s\n", out
	print esc(text)
	opt = ""
}
function options(  line, m) {
	while ((getline line < helpfile) > 0) {
		if (line ~ /^  -/) {
			flush()
			sub(/^  /, "", line)
			m = match(line, /   */)
			if (m) {
				opt = substr(line, 1, m - 1)
				text = substr(line, m + RLENGTH)
			} else {
				opt = line
				text = ""
			}
		} else if (opt != "" && line ~ /^    /) {
			sub(/^ */, "", line)
			text = text (text == "" ? "" : " ") line
		}
	}
	flush()
}
$0 == "@OPTIONS@" { options(); next }
{ print }
' "$template"
