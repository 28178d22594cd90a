#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# While a mapping (its file closed) or a netlink-bound queue exists, the
# module is pinned: rmmod fails with EBUSY.  Once they are gone, rmmod
# succeeds.  Never rmmod -f.
source "$(dirname "$0")/lib.sh"
set -u

unload_backends
modprobe_conf_remove
modprobe nfqring || fail "modprobe nfqring"
kmsg_mark

for what in map netlink; do
	coproc HOLDER { "$NFQR_BIN/holder" "$what"; }
	read -r line <&"${HOLDER[0]}" || fail "holder $what did not start"
	[ "$line" = held ] || fail "holder $what: $line"
	if err=$(rmmod nfqring 2>&1); then
		fail "rmmod succeeded while a $what reference existed"
	fi
	case $err in
	*"in use"* | *busy*) ;;
	*) fail "rmmod with a $what reference: unexpected '$err'" ;;
	esac
	loaded nfqring || fail "nfqring gone while pinned by $what"
	exec {HOLDER[1]}>&-
	wait "$HOLDER_PID" || fail "holder $what failed"
	rmmod nfqring || fail "rmmod after the $what reference went away"
	modprobe nfqring || fail "reload after $what"
done
rmmod nfqring
kmsg_assert_clean
