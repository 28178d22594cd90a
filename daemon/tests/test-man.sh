#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
# The manual pages: groff renders them without a warning, and no phrase in
# an alternating-font macro (.BR, .IR, ...) loses its spaces, as
# ".BR \-\-log\-once\-per\-flow , the kernel's" did ("thekernel's"): words
# of a phrase go in quotes, or on the next line.  TAP, for run-tests.sh.
cd "$(dirname "$0")/.." || exit 1
n=0
fail=0
t() {	# t OK DESCRIPTION
	n=$((n + 1))
	if [ "$1" = 0 ]; then echo "ok $n - $2"; else echo "not ok $n - $2"; fail=1; fi
}
for page in man/nfqringd.8 man/nfqringd.rules.5 man/nfqring-nlmmap.1 man/daq_nfqring.7; do
	w=$(groff -man -ww -z "$page" 2>&1)
	t "$([ -z "$w" ]; echo $?)" "$page: groff renders it without a warning"
	[ -z "$w" ] || printf '%s\n' "$w" | sed 's/^/#   /'
	# two plain lowercase words in a row among a macro's arguments
	glued=$(awk '/^\.(BR|BI|IB|IR|RB|RI)[ \t]/ {
		line = $0; sub(/^\.[A-Z][A-Z][ \t]+/, "", line)
		n = 0
		while (length(line)) {
			if (substr(line, 1, 1) == "\"") {
				e = index(substr(line, 2), "\""); if (!e) e = length(line)
				a[++n] = "\"" ; line = substr(line, e + 2)
			} else {
				match(line, /^[^ \t]+/); a[++n] = substr(line, 1, RLENGTH)
				line = substr(line, RLENGTH + 1)
			}
			sub(/^[ \t]+/, "", line)
		}
		for (i = 1; i < n; i++)
			if (a[i] ~ /^[a-z][a-z'\'']+[,.;:]?$/ && a[i + 1] ~ /^[a-z][a-z'\'']+[,.;:]?$/) {
				print FILENAME ":" FNR ": " $0; break
			}
	}' "$page")
	t "$([ -z "$glued" ]; echo $?)" "$page: no phrase glued in a font macro"
	[ -z "$glued" ] || printf '%s\n' "$glued" | sed 's/^/#   /'
done
echo "1..$n"
exit $fail
