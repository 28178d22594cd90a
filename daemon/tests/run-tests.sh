#!/bin/sh
# Runs every test binary given, echoes its TAP, and ends with the line
# "N passed, N failed".  A binary that crashes or exits non-zero without a
# failing test line counts as one more failure.
passed=0
failed=0
for t in "$@"; do
	echo "# $t"
	out=$("$t" 2>&1)
	rc=$?
	printf '%s\n' "$out"
	p=$(printf '%s\n' "$out" | grep -c '^ok ')
	f=$(printf '%s\n' "$out" | grep -c '^not ok ')
	if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
		echo "# $t exited with status $rc"
		f=1
	fi
	passed=$((passed + p))
	failed=$((failed + f))
done
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ] && [ "$passed" -gt 0 ]
