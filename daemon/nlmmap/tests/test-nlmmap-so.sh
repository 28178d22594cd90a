#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# libnfqring-nlmmap.so as built, and the nfqring-nlmmap wrapper, on the host
# (no module, no /dev/nfqring): it exports the interposed functions and
# nothing else, leaves programs that never ask for rings alone, and an
# old-API program gets ENOPROTOOPT exactly as without it, with one line on
# stderr saying what to install.  TAP, for run-tests.sh.
cd "$(dirname "$0")/../.." || exit 1
so=build/libnfqring-nlmmap.so
wrap=build/nfqring-nlmmap
probe=build/tests/nlmmap/ring-probe
n=0
fail=0
t() {	# t OK DESCRIPTION
	n=$((n + 1))
	if [ "$1" = 0 ]; then echo "ok $n - $2"; else echo "not ok $n - $2"; fail=1; fi
}

want="__read_chk __recv_chk __recvfrom_chk bind close connect dup dup2 dup3 fcntl fcntl64
getpeername getsockname getsockopt ioctl mmap mmap64 munmap read readv recv recvfrom
recvmmsg recvmsg send sendmmsg sendmsg sendto setsockopt shutdown write writev"
got=$(nm -D --defined-only "$so" | awk '{ print $3 }' | sort | tr '\n' ' ')
want=$(echo $want | tr ' ' '\n' | sort | tr '\n' ' ')
t "$([ "$got" = "$want" ]; echo $?)" "exports exactly the interposed functions"
[ "$got" = "$want" ] || echo "#   got: $got"

out=$($wrap sh -c 'echo untouched; exit 3')
t "$([ $? = 3 ] && [ "$out" = untouched ]; echo $?)" "a program without rings: its output and exit status"
t "$($wrap --help >/dev/null; echo $?)" "--help"
t "$([ "$($wrap 2>/dev/null; echo $?)" != 0 ]; echo $?)" "no program: usage, failure"
NFQRING_NLMMAP_LIB=/nonexistent $wrap true 2>/dev/null
t "$([ $? = 127 ]; echo $?)" "library missing: 127"

if [ -e /dev/nfqring ]; then
	echo "# /dev/nfqring exists here: the no-device checks skip"
	t 0 "without the device: ENOPROTOOPT # SKIP /dev/nfqring exists"
	t 0 "with the wrapper: ENOPROTOOPT and one hint # SKIP /dev/nfqring exists"
else
	plain=$($probe 2>&1 | tr '\n' ' ')
	t "$([ "$plain" = "ENOPROTOOPT ENOPROTOOPT socket " ]; echo $?)" \
		"without the wrapper: ENOPROTOOPT ($plain)"
	err=$(mktemp)
	wrapped=$($wrap $probe 2>"$err" | tr '\n' ' ')
	hints=$(grep -c 'modprobe nfqring' "$err")
	t "$([ "$wrapped" = "$plain" ] && [ "$hints" = 1 ] && [ "$(wc -l <"$err")" = 1 ]; echo $?)" \
		"with the wrapper: the same ($wrapped), and one line saying what to install"
	sed 's/^/#   /' "$err"
	rm -f "$err"
fi
echo "1..$n"
exit $fail
