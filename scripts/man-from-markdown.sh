#!/bin/sh
# man-from-markdown.sh NAME SECTION TITLE FILE.md: the Markdown of FILE.md as
# a manual page (roff): headings, paragraphs, code blocks, lists and tables
# (one row a line); inline code bold, links reduced to their text.
set -eu
name=$1 section=$2 title=$3 md=$4
awk -v name="$name" -v section="$section" -v title="$title" '
function esc(s) {
	gsub(/\\/, "\\e", s)
	gsub(/-/, "\\-", s)
	return s
}
function inline(s) {
	s = esc(s)
	while (match(s, /\[[^]]*\]\([^)]*\)/)) {
		t = substr(s, RSTART + 1)
		t = substr(t, 1, index(t, "]") - 1)
		s = substr(s, 1, RSTART - 1) t substr(s, RSTART + RLENGTH)
	}
	while (match(s, /`[^`]*`/))
		s = substr(s, 1, RSTART - 1) "\\fB" substr(s, RSTART + 1, RLENGTH - 2) "\\fR" substr(s, RSTART + RLENGTH)
	while (match(s, /\*\*[^*]*\*\*/))
		s = substr(s, 1, RSTART - 1) "\\fB" substr(s, RSTART + 2, RLENGTH - 4) "\\fR" substr(s, RSTART + RLENGTH)
	return nostart(s)
}
# A line may not start a request.
function nostart(s) {
	if (substr(s, 1, 1) == "." || substr(s, 1, 1) == sprintf("%c", 39))
		s = "\\&" s
	return s
}
BEGIN {
	printf ".TH %s %s \"\" \"tenantguard\" \"File Formats\"\n", toupper(esc(name)), section
	printf ".SH NAME\n%s \\- %s\n", esc(name), esc(title)
	code = 0
}
/^```/ {
	print (code ? ".fi\n.RE" : ".PP\n.RS 4\n.nf")
	code = !code
	next
}
code { print nostart(esc($0)); next }
/^# / { sub(/^# /, ""); print ".SH DESCRIPTION"; print ".PP\n" inline($0); next }
/^## / { sub(/^## /, ""); print ".SH \"" toupper(inline($0)) "\""; next }
/^###+ / { sub(/^###+ /, ""); print ".SS \"" inline($0) "\""; next }
/^\|[-| :]*\|$/ { next }
/^\|/ {
	row = $0
	sub(/^\| */, "", row)
	sub(/ *\|$/, "", row)
	gsub(/ *\| */, "\001", row)
	row = inline(row)
	gsub(/\001/, " \\(em ", row)
	print ".IP \\(bu 2\n" row
	next
}
/^[-*] / { sub(/^[-*] /, ""); print ".IP \\(bu 2\n" inline($0); next }
/^[0-9]+\. / { sub(/^[0-9]+\. /, ""); print ".IP \\(bu 2\n" inline($0); next }
/^$/ { para = 1; next }
{
	if (para) { print ".PP"; para = 0 }
	sub(/^ +/, "")
	print inline($0)
}
END {
	print ".SH SEE ALSO"
	print "\\fBtenantguard\\-agent\\fR(8), \\fBtenantguard\\fR(1)"
}
' "$md"
