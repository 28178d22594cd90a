// SPDX-License-Identifier: GPL-2.0-only
/* nfqringd's command line (src/opts.c) and control commands (src/control.c). */
#include "tap.h"

#include "control.h"
#include "exitcodes.h"
#include "opts.h"

static int parse(struct nfqd_opts *o, char *err, const char *a0, ...)
{
	char *argv[32];
	int argc = 0;
	va_list ap;

	argv[argc++] = "nfqringd";
	va_start(ap, a0);
	for (const char *a = a0; a; a = va_arg(ap, const char *))
		argv[argc++] = (char *)a;
	va_end(ap);
	argv[argc] = NULL;
	err[0] = 0;
	return nfqd_opts_parse(o, argc, argv, err, 256);
}

int main(void)
{
	struct nfqd_opts o;
	char err[256];

	is_int(parse(&o, err, "-c", "r.nft", "-q", "0-3", NULL), 0, "-c FILE -q 0-3");
	is_int(o.mode, NFQD_RUN, "  run mode");
	is_str(o.config, "r.nft", "  config");
	ok(o.q_first == 0 && o.q_last == 3, "  queues 0-3");
	is_int(o.backend, NFQRING_BACKEND_RING, "  ring is the default backend");
	is_str(o.socket, NFQD_DEFAULT_SOCKET, "  default socket");
	ok(!o.fail_open && !o.cpu_pin && !o.gso, "  no flags by default");

	is_int(parse(&o, err, "-c", "r", "-q", "7", "--fail-open", "--cpu-pin", "--backend",
		     "netlink", "--socket", "/tmp/s", "--copy-range", "1500", NULL), 0, "all options");
	ok(o.q_first == 7 && o.q_last == 7 && o.fail_open && o.cpu_pin &&
	   o.backend == NFQRING_BACKEND_NETLINK && !strcmp(o.socket, "/tmp/s") &&
	   o.copy_range == 1500, "  parsed");

	is_int(parse(&o, err, "-c", "r", NULL), NFQD_EXIT_USAGE, "no queues");
	ok(strstr(err, "-q N") != NULL, "  says to give -q: %s", err);
	is_int(parse(&o, err, "-q", "1", NULL), NFQD_EXIT_USAGE, "no rule file");
	is_int(parse(&o, err, "-c", "r", "-q", "3-1", NULL), NFQD_EXIT_USAGE, "reversed range");
	is_int(parse(&o, err, "-c", "r", "-q", "65536", NULL), NFQD_EXIT_USAGE, "queue beyond 65535");
	is_int(parse(&o, err, "-c", "r", "-q", "0-64", NULL), NFQD_EXIT_USAGE, "65 queues");
	ok(strstr(err, "at most 64") != NULL, "  says the limit: %s", err);
	is_int(parse(&o, err, "-c", "r", "-q", "x", NULL), NFQD_EXIT_USAGE, "queue not a number");
	is_int(parse(&o, err, "-c", "r", "-q", "1", "--backend", "hyperscan", NULL), NFQD_EXIT_USAGE,
	       "--backend hyperscan");
	ok(strstr(err, "--matcher") != NULL, "  points at --matcher: %s", err);
	is_int(parse(&o, err, "-c", "r", "-q", "1", "--copy-range", "0", NULL), NFQD_EXIT_USAGE,
	       "--copy-range 0");
	/* --copy-range 65535 is clipped to what the kernel copies, and that
	 * still covers rules that need the whole packet (0xffff) */
	is_int(parse(&o, err, "-c", "r", "-q", "1", "--copy-range", "65535", NULL), 0,
	       "--copy-range 65535");
	ok(o.copy_range == NFQRING_MAX_COPY_RANGE && nfqd_copy_range_covers(o.copy_range, 0xffff),
	   "  clipped, and covers rules that need the whole packet");
	ok(nfqd_copy_range_covers(1600, 1500) && !nfqd_copy_range_covers(1500, 1600),
	   "  a smaller range does not cover a larger need");
	is_int(parse(&o, err, "-c", "r", "-q", "1", "--bogus", NULL), NFQD_EXIT_USAGE, "unknown option");
	is_int(parse(&o, err, "-c", "r", "-q", "1", "extra", NULL), NFQD_EXIT_USAGE, "stray argument");
	is_int(parse(&o, err, "--reload", NULL), 0, "--reload");
	is_int(o.mode, NFQD_RELOAD, "  reload mode");
	is_int(parse(&o, err, "--stats", "--json", "-s", "/x", NULL), 0, "--stats --json");
	ok(o.mode == NFQD_STATS && o.json && !strcmp(o.socket, "/x"), "  stats mode, json, socket");
	is_int(parse(&o, err, "--json", NULL), NFQD_EXIT_USAGE, "--json alone");
	is_int(parse(&o, err, "--reload", "--stats", NULL), NFQD_EXIT_USAGE, "two modes");
	is_int(parse(&o, err, "--control", "list sets", "-s", "/x", NULL), 0, "--control CMD");
	ok(o.mode == NFQD_CONTROL && !strcmp(o.control, "list sets"), "  control mode, command");
	is_int(parse(&o, err, "--load-set", "bl", "f.txt", NULL), 0, "--load-set NAME FILE");
	ok(o.mode == NFQD_LOAD_SET && !strcmp(o.set_name, "bl") && !strcmp(o.set_file, "f.txt"),
	   "  load-set mode, name, file");
	is_int(parse(&o, err, "--load-set", "bl", NULL), NFQD_EXIT_USAGE, "--load-set without a file");
	ok(strstr(err, "no file") != NULL, "  says so: %s", err);
	is_int(parse(&o, err, "--load-set", "bl", "a", "b", NULL), NFQD_EXIT_USAGE, "--load-set, two files");
	is_int(parse(&o, err, "--test", "-c", "r", "--ct-state", "related-reply", "--uid", "5", "c.pcap",
		     NULL), 0, "--test --ct-state --uid");
	ok(o.ct_present && o.ct_info == 4 && o.uid_present && o.uid == 5 && !o.gid_present,
	   "  a connection in state related-reply (4), uid 5, no gid");
	is_int(parse(&o, err, "-c", "r", "-q", "0", "--gid", "5", NULL), NFQD_EXIT_USAGE,
	       "--gid without --test");
	is_int(parse(&o, err, "-c", "r", "-q", "0", "--stream-slots", "1024", NULL), 0, "--stream-slots 1024");
	{
		struct nfqr_load_opts lo;

		nfqd_opts_load(&o, &lo);
		is_int(lo.stream_slots, 1024, "  passed to the rules' load options");
	}
	is_int(parse(&o, err, "-c", "r", "-q", "0", "--stream-slots", "2", NULL), NFQD_EXIT_USAGE,
	       "--stream-slots below one bucket");
	ok(strstr(err, "from 4 to") != NULL, "  says the range: %s", err);
	is_int(parse(&o, err, "--stats", "--stream-slots", "64", NULL), NFQD_EXIT_USAGE,
	       "--stream-slots with --stats");
	is_int(parse(&o, err, "--control", "list sets", "--reload", NULL), NFQD_EXIT_USAGE,
	       "--control --reload");
	is_int(parse(&o, err, "--control", "list sets", "--detect-only", NULL), NFQD_EXIT_USAGE,
	       "--control with a rule option");
	is_int(parse(&o, err, "--check", "f.nft", "-m", "aho-corasick", NULL), 0, "--check FILE");
	ok(o.mode == NFQD_CHECK && !strcmp(o.config, "f.nft") && o.matcher == NFQR_CM_AHO_CORASICK,
	   "  check mode, matcher");
	/* -c FILE everywhere, as with --test and --print-nft (issue 21) */
	is_int(parse(&o, err, "--check", "-c", "f.nft", "-q", "0-3", NULL), 0, "--check -c FILE");
	ok(o.mode == NFQD_CHECK && o.config && !strcmp(o.config, "f.nft") && o.queues_set,
	   "  check mode, the file of -c");
	is_int(parse(&o, err, "-c", "f.nft", "--check", NULL), 0, "-c FILE --check");
	ok(o.mode == NFQD_CHECK && o.config && !strcmp(o.config, "f.nft"), "  check mode, the file");
	is_int(parse(&o, err, "--check", "a.nft", "-c", "b.nft", NULL), NFQD_EXIT_USAGE,
	       "--check A -c B");
	ok(strstr(err, "a.nft") && strstr(err, "b.nft"), "  names both: %s", err);
	is_int(parse(&o, err, "--check", NULL), NFQD_EXIT_USAGE, "--check without a file");
	ok(strstr(err, "-c FILE") != NULL, "  says to give one: %s", err);

	/* --test: offline replay */
	is_int(parse(&o, err, "--test", "-c", "r.nft", "cap.pcap", NULL), 0, "--test -c FILE CAPTURE");
	ok(o.mode == NFQD_TEST && !strcmp(o.config, "r.nft") && !strcmp(o.capture, "cap.pcap") &&
	   !o.json && !o.mark && !o.ct_present && !o.queues_set, "  test mode, files, no mark, no connection");
	is_int(parse(&o, err, "cap.pcap", "--test", "--json", "-c", "r", "-q", "0-3", "-m", "aho-corasick",
		     "--mark", "0x10", "--ct-mark", "5", NULL), 0, "--test with every option it takes");
	ok(o.mode == NFQD_TEST && !strcmp(o.capture, "cap.pcap") && o.json && o.queues_set &&
	   o.q_first == 0 && o.q_last == 3 && o.matcher == NFQR_CM_AHO_CORASICK && o.mark == 0x10 &&
	   o.ct_present && o.ct_mark == 5, "  parsed");
	is_int(parse(&o, err, "--test", "-c", "r", "-", NULL), 0, "--test: - is standard input");
	is_str(o.capture, "-", "  capture -");
	is_int(parse(&o, err, "--test", "cap.pcap", NULL), NFQD_EXIT_USAGE, "--test without -c");
	ok(strstr(err, "-c FILE") != NULL, "  says to give -c: %s", err);
	is_int(parse(&o, err, "--test", "-c", "r", NULL), NFQD_EXIT_USAGE, "--test without a capture");
	ok(strstr(err, "no capture") != NULL, "  says so: %s", err);
	is_int(parse(&o, err, "--test", "-c", "r", "a.pcap", "b.pcap", NULL), NFQD_EXIT_USAGE,
	       "--test with two captures");
	ok(strstr(err, "one capture") != NULL, "  says one: %s", err);
	is_int(parse(&o, err, "--test", "-c", "r", "--gso", "a.pcap", NULL), NFQD_EXIT_USAGE,
	       "--test --gso");
	ok(strstr(err, "--gso is for serving queues") != NULL, "  says why: %s", err);
	is_int(parse(&o, err, "--test", "-c", "r", "-s", "/x", "a.pcap", NULL), NFQD_EXIT_USAGE,
	       "--test --socket");
	is_int(parse(&o, err, "--test", "--check", "r", "a.pcap", NULL), NFQD_EXIT_USAGE,
	       "--test --check");
	is_int(parse(&o, err, "--test", "-c", "r", "--mark", "0x100000000", "a.pcap", NULL),
	       NFQD_EXIT_USAGE, "--mark beyond 32 bits");
	is_int(parse(&o, err, "-c", "r", "-q", "1", "--mark", "1", NULL), NFQD_EXIT_USAGE,
	       "--mark without --test");
	ok(strstr(err, "goes with --test") != NULL, "  says so: %s", err);
	is_int(parse(&o, err, "-c", "r", "-q", "1", "--json", NULL), NFQD_EXIT_USAGE,
	       "--json when serving");

	/* packet log lines */
	is_int(parse(&o, err, "-c", "r", "-q", "0", NULL), 0, "no log options");
	ok(!o.log_json && !o.log_once_s, "  text lines, every packet logged");
	is_int(parse(&o, err, "-c", "r", "-q", "0", "--log-format", "json", "--log-once-per-flow",
		     NULL), 0, "--log-format json --log-once-per-flow");
	ok(o.log_json && o.log_once_s == NFQD_LOG_ONCE_DEFAULT, "  JSON, once per %u s quiet",
	   o.log_once_s);
	is_int(parse(&o, err, "-c", "r", "-q", "0", "--log-format", "text",
		     "--log-once-per-flow=30", NULL), 0, "--log-format text --log-once-per-flow=30");
	ok(!o.log_json && o.log_once_s == 30, "  text, 30 s");
	is_int(parse(&o, err, "-c", "r", "-q", "0", "--log-format", "xml", NULL), NFQD_EXIT_USAGE,
	       "--log-format xml");
	is_str(err, "--log-format: expected text or json, got 'xml'", "  says what it takes");
	is_int(parse(&o, err, "-c", "r", "-q", "0", "--log-once-per-flow=0", NULL), NFQD_EXIT_USAGE,
	       "--log-once-per-flow=0");
	ok(strstr(err, "expected 1-86400 seconds") != NULL, "  says the range: %s", err);
	is_int(parse(&o, err, "--check", "r", "--log-format", "json", NULL), 0,
	       "--log-format with --check (the unit's ExecStartPre)");
	is_int(parse(&o, err, "--test", "-c", "r", "--log-format", "json", "a.pcap", NULL),
	       NFQD_EXIT_USAGE, "--log-format with --test");

	/* --print-nft and the marks */
	{
		struct nfqr_load_opts lo;

		is_int(parse(&o, err, "-c", "r", "-q", "0", NULL), 0, "defaults");
		ok(o.reject_mark == NFQR_REJECT_MARK_DEFAULT && o.hooks == (NFQD_HOOK_INPUT | NFQD_HOOK_FORWARD) &&
		   !strcmp(o.table, "nfqringd") && !o.bypass && !o.fanout && !o.ct_bypass_mark,
		   "  reject mark 0x1f000000, hooks input+forward, table nfqringd, no flags");
		nfqd_opts_load(&o, &lo);
		is_int(lo.reject_mark, NFQR_REJECT_MARK_DEFAULT, "  the engine gets the reject mark");
		is_int(parse(&o, err, "-c", "r", "-q", "0", "--reject-mark", "0xf8", NULL), 0,
		       "--reject-mark when serving");
		nfqd_opts_load(&o, &lo);
		ok(o.reject_mark == 0xf8 && lo.reject_mark == 0xf8, "  parsed and passed on");
		is_int(parse(&o, err, "--check", "r", "--reject-mark", "0x7f000000", NULL), 0,
		       "--reject-mark with --check");
		/* the unit's ExecStartPre: --check FILE $NFQRINGD_OPTS */
		is_int(parse(&o, err, "--check", "r", "-q", "0-3", "--fail-open", "--cpu-pin", "--backend",
			     "netlink", "--copy-range", "1500", "--reject-mark", "0xff", NULL), 0,
		       "--check with a serving daemon's options");
		ok(o.mode == NFQD_CHECK && o.reject_mark == 0xff && o.queues_set, "  check mode, mark, queues");
		is_int(parse(&o, err, "--test", "-c", "r", "--reject-mark", "31", "a.pcap", NULL), 0,
		       "--reject-mark with --test");
		is_int(o.reject_mark, 31, "  decimal");
	}
	is_int(parse(&o, err, "-c", "r", "-q", "0", "--reject-mark", "0xf", NULL), NFQD_EXIT_USAGE,
	       "--reject-mark of 4 bits");
	is_str(err, "--reject-mark: expected 5 or more contiguous bits (e.g. 0x1f000000, the "
	       "default), got '0xf'", "  says what it needs");
	is_int(parse(&o, err, "-c", "r", "-q", "0", "--reject-mark", "0x1f00f000", NULL), NFQD_EXIT_USAGE,
	       "--reject-mark of two runs");
	is_int(parse(&o, err, "-c", "r", "-q", "0", "--reject-mark", "0", NULL), NFQD_EXIT_USAGE,
	       "--reject-mark 0");
	is_int(parse(&o, err, "--reload", "--reject-mark", "0xff", NULL), NFQD_EXIT_USAGE,
	       "--reject-mark with --reload");
	ok(strstr(err, "keeps the one it started with") != NULL, "  says why: %s", err);

	/* --detect-only goes with the rules: serving, --check, --test, --print-nft */
	{
		struct nfqr_load_opts lo;

		is_int(parse(&o, err, "-c", "r", "-q", "0", NULL), 0, "no --detect-only");
		nfqd_opts_load(&o, &lo);
		ok(!o.detect_only && !lo.detect_only, "  off by default");
		is_int(parse(&o, err, "-c", "r", "-q", "0", "--detect-only", NULL), 0,
		       "--detect-only when serving");
		nfqd_opts_load(&o, &lo);
		ok(o.detect_only && lo.detect_only, "  parsed and passed to the engine");
		is_int(parse(&o, err, "--check", "r", "-q", "0-3", "--fail-open", "--detect-only", NULL), 0,
		       "--check FILE with --detect-only in $NFQRINGD_OPTS");
		ok(o.mode == NFQD_CHECK && o.detect_only, "  check mode, detect-only");
		is_int(parse(&o, err, "--test", "-c", "r", "--detect-only", "a.pcap", NULL), 0,
		       "--detect-only with --test");
		ok(o.mode == NFQD_TEST && o.detect_only && !strcmp(o.capture, "a.pcap"),
		   "  test mode, detect-only, the capture");
		is_int(parse(&o, err, "--print-nft", "-c", "r", "-q", "0", "--detect-only", NULL), 0,
		       "--detect-only with --print-nft (the daemon's option line)");
		is_int(parse(&o, err, "--stats", "--detect-only", NULL), NFQD_EXIT_USAGE,
		       "--detect-only with --stats");
		is_str(err, "--detect-only goes with the rules: serving, --check, --test or --print-nft "
		       "(a running daemon keeps the one it started with)", "  says why");
		is_int(parse(&o, err, "--reload", "--detect-only", NULL), NFQD_EXIT_USAGE,
		       "--detect-only with --reload");
		is_int(parse(&o, err, "-c", "r", "-q", "0", "--detect-only=yes", NULL), NFQD_EXIT_USAGE,
		       "--detect-only takes no argument");
	}

	is_int(parse(&o, err, "--print-nft", "-c", "r.nft", "-q", "0-3", NULL), 0, "--print-nft -c FILE -q 0-3");
	ok(o.mode == NFQD_PRINT_NFT && !strcmp(o.config, "r.nft") && o.q_first == 0 && o.q_last == 3,
	   "  print-nft mode, file, queues");
	is_int(parse(&o, err, "--print-nft", "-c", "r", "-q", "2-5", "--hooks", "output,input", "--bypass",
		     "--fanout", "--table", "fw_q-1", "--ct-bypass-mark", "0x1", "--reject-mark", "0xf8",
		     "--fail-open", "--cpu-pin", "--backend", "netlink", "--copy-range", "1500", NULL), 0,
	       "--print-nft with every option, and a serving daemon's");
	ok(o.hooks == (NFQD_HOOK_INPUT | NFQD_HOOK_OUTPUT) && o.bypass && o.fanout &&
	   !strcmp(o.table, "fw_q-1") && o.ct_bypass_mark == 1 && o.reject_mark == 0xf8 && o.fail_open,
	   "  parsed");
	is_int(parse(&o, err, "--print-nft", "-c", "r", "--hooks", "forward,forward", "-q", "1", NULL), 0,
	       "--hooks forward,forward");
	is_int(o.hooks, NFQD_HOOK_FORWARD, "  once");
	is_int(parse(&o, err, "--print-nft", "-c", "r", NULL), NFQD_EXIT_USAGE, "--print-nft without -q");
	ok(strstr(err, "-q N") != NULL, "  says to give -q: %s", err);
	is_int(parse(&o, err, "--print-nft", "-q", "1", NULL), NFQD_EXIT_USAGE, "--print-nft without -c");
	is_int(parse(&o, err, "--print-nft", "-c", "r", "-q", "1", "--fanout", NULL), NFQD_EXIT_USAGE,
	       "--fanout to one queue");
	is_str(err, "--fanout spreads packets over a range of queues: give -q N-M (nft refuses fanout "
	       "to one queue)", "  says why");
	is_int(parse(&o, err, "--print-nft", "-c", "r", "-q", "1", "--hooks", "prerouting", NULL),
	       NFQD_EXIT_USAGE, "--hooks prerouting");
	is_str(err, "--hooks: expected a list of input, forward and output (the hooks where nft can "
	       "reject), got 'prerouting'", "  says which");
	is_int(parse(&o, err, "--print-nft", "-c", "r", "-q", "1", "--hooks", "input,", NULL),
	       NFQD_EXIT_USAGE, "--hooks input,");
	is_int(parse(&o, err, "--print-nft", "-c", "r", "-q", "1", "--hooks", "", NULL),
	       NFQD_EXIT_USAGE, "--hooks ''");
	is_int(parse(&o, err, "--print-nft", "-c", "r", "-q", "1", "--table", "1x", NULL),
	       NFQD_EXIT_USAGE, "--table 1x");
	is_int(parse(&o, err, "--print-nft", "-c", "r", "-q", "1", "--table", "a b", NULL),
	       NFQD_EXIT_USAGE, "--table 'a b'");
	is_int(parse(&o, err, "--print-nft", "-c", "r", "-q", "1", "--table",
		     "t2345678901234567890123456789012345678901234567890123456789012345", NULL),
	       NFQD_EXIT_USAGE, "--table of 65 characters");
	is_int(parse(&o, err, "--print-nft", "-c", "r", "-q", "1", "--ct-bypass-mark", "0", NULL),
	       NFQD_EXIT_USAGE, "--ct-bypass-mark 0");
	is_int(parse(&o, err, "-c", "r", "-q", "1", "--bypass", NULL), NFQD_EXIT_USAGE,
	       "--bypass when serving");
	is_str(err, "--bypass goes with --print-nft (it shapes the nft chain)", "  says so");
	is_int(parse(&o, err, "--test", "-c", "r", "--table", "x", "a.pcap", NULL), NFQD_EXIT_USAGE,
	       "--table with --test");
	is_int(parse(&o, err, "--print-nft", "--check", "r", "-q", "1", NULL), NFQD_EXIT_USAGE,
	       "--print-nft --check");
	is_int(parse(&o, err, "--print-nft", "-c", "r", "-q", "1", "--json", NULL), NFQD_EXIT_USAGE,
	       "--print-nft --json");
	is_int(parse(&o, err, "--print-nft", "-c", "r", "-q", "1", "--mark", "1", NULL), NFQD_EXIT_USAGE,
	       "--print-nft --mark");
	is_int(parse(&o, err, "--print-nft", "-c", "r", "-q", "1", "extra", NULL), NFQD_EXIT_USAGE,
	       "--print-nft with a stray argument");

	/* --stall-ms, --stall-action: the kernel's stall watchdog */
	is_int(parse(&o, err, "-c", "r", "-q", "0", NULL), 0, "no --stall-ms");
	ok(o.stall_ms == 0 && o.stall_verdict == NF_DROP, "  the watchdog is off; drop is the default");
	is_int(parse(&o, err, "-c", "r", "-q", "0", "--stall-ms", "250", NULL), 0, "--stall-ms 250");
	ok(o.stall_ms == 250 && o.stall_verdict == NF_DROP, "  250 ms, then drop (fail closed)");
	is_int(parse(&o, err, "-c", "r", "-q", "0", "--stall-ms", "10", "--stall-action", "accept",
		     NULL), 0, "--stall-ms 10 --stall-action accept (the lowest)");
	ok(o.stall_ms == 10 && o.stall_verdict == NF_ACCEPT, "  10 ms, then accept");
	is_int(parse(&o, err, "-c", "r", "-q", "0", "--stall-action", "drop", "--stall-ms", "600000",
		     NULL), 0, "--stall-action drop --stall-ms 600000 (the highest; any order)");
	ok(o.stall_ms == 600000 && o.stall_verdict == NF_DROP, "  600000 ms, then drop");
	is_int(parse(&o, err, "-c", "r", "-q", "0", "--stall-ms", "0", "--stall-action", "accept",
		     NULL), 0, "--stall-ms 0 (off, e.g. an override of the unit's options)");
	is_int(o.stall_ms, 0, "  off");
	is_int(parse(&o, err, "-c", "r", "-q", "0", "--stall-ms", "0x64", NULL), 0,
	       "--stall-ms 0x64 (numbers as elsewhere)");
	is_int(o.stall_ms, 100, "  100 ms");
	static const char *const bad_ms[] = { "9", "1", "600001", "4294967296", "-5", "", "x",
					      "100ms", "2s", NULL };
	for (int i = 0; bad_ms[i]; i++) {
		is_int(parse(&o, err, "-c", "r", "-q", "0", "--stall-ms", bad_ms[i], NULL),
		       NFQD_EXIT_USAGE, "--stall-ms '%s': usage error", bad_ms[i]);
		ok(strstr(err, "10-600000") && strstr(err, "0 (off)"), "  names the range: %s", err);
	}
	static const char *const bad_action[] = { "ACCEPT", "reject", "queue", "", "1", NULL };
	for (int i = 0; bad_action[i]; i++) {
		is_int(parse(&o, err, "-c", "r", "-q", "0", "--stall-ms", "100", "--stall-action",
			     bad_action[i], NULL), NFQD_EXIT_USAGE, "--stall-action '%s': usage error",
		       bad_action[i]);
		ok(strstr(err, "drop or accept") != NULL, "  says what it takes: %s", err);
	}
	is_int(parse(&o, err, "-c", "r", "-q", "0", "--stall-action", "accept", NULL),
	       NFQD_EXIT_USAGE, "--stall-action without --stall-ms");
	ok(strstr(err, "--stall-ms") != NULL, "  says it goes with --stall-ms: %s", err);
	is_int(parse(&o, err, "-c", "r", "-q", "0", "--stall-ms", NULL), NFQD_EXIT_USAGE,
	       "--stall-ms without its number");
	is_int(parse(&o, err, "-c", "r", "-q", "0", "--stall-ms", "100", "--backend", "netlink", NULL),
	       NFQD_EXIT_USAGE, "--stall-ms with --backend netlink");
	ok(strstr(err, "netlink backend has no stall watchdog") != NULL, "  says why: %s", err);
	is_int(parse(&o, err, "-c", "r", "-q", "0", "--stall-ms", "0", "--backend", "netlink", NULL),
	       0, "--stall-ms 0 with --backend netlink (off)");
	is_int(parse(&o, err, "-c", "r", "-q", "0", "--stall-ms", "100", "--backend", "auto", NULL),
	       0, "--stall-ms with --backend auto (a warning at start if it lands on netlink)");
	is_int(parse(&o, err, "--check", "r", "--stall-ms", "100", "--stall-action", "accept", NULL),
	       0, "--check takes them (the unit checks with the daemon's options)");
	ok(o.mode == NFQD_CHECK && o.stall_ms == 100 && o.stall_verdict == NF_ACCEPT, "  parsed");
	is_int(parse(&o, err, "--test", "-c", "r", "--stall-ms", "100", "x.pcap", NULL),
	       NFQD_EXIT_USAGE, "--test --stall-ms");
	ok(strstr(err, "--stall-ms is for serving queues") != NULL, "  says why: %s", err);

	is_int(nfqd_control_parse("reload\n"), NFQD_CMD_RELOAD, "command reload");
	is_int(nfqd_control_parse("stats"), NFQD_CMD_STATS, "command stats");
	is_int(nfqd_control_parse("stats json\r\n"), NFQD_CMD_STATS_JSON, "command stats json");
	is_int(nfqd_control_parse("reloadx\n"), NFQD_CMD_BAD, "bad command");
	is_int(nfqd_control_parse("add element bl { 1.2.3.4 }\n"), NFQD_CMD_SETS, "command add element");
	is_int(nfqd_control_parse("load set bl f.txt\n10.0.0.1\n"), NFQD_CMD_SETS, "command load set");
	is_int(nfqd_control_parse("list sets"), NFQD_CMD_SETS, "command list sets");
	is_int(nfqd_control_parse("listx"), NFQD_CMD_BAD, "a set command needs a word after it");
	is_int(nfqd_control_parse(""), NFQD_CMD_BAD, "empty command");
	return tap_done();
}
