// SPDX-License-Identifier: GPL-2.0-only
/* nfqringd's command line (src/opts.c) and control commands (src/control.c). */
#include "tap.h"

#include "control.h"
#include "exitcodes.h"
#include "opts.h"

static int parse(struct nfqd_opts *o, char *err, const char *a0, ...)
{
	char *argv[16];
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
	is_int(parse(&o, err, "--check", "f.nft", "-m", "aho-corasick", NULL), 0, "--check FILE");
	ok(o.mode == NFQD_CHECK && !strcmp(o.config, "f.nft") && o.matcher == NFQR_CM_AHO_CORASICK,
	   "  check mode, matcher");

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

	is_int(nfqd_control_parse("reload\n"), NFQD_CMD_RELOAD, "command reload");
	is_int(nfqd_control_parse("stats"), NFQD_CMD_STATS, "command stats");
	is_int(nfqd_control_parse("stats json\r\n"), NFQD_CMD_STATS_JSON, "command stats json");
	is_int(nfqd_control_parse("reloadx\n"), NFQD_CMD_BAD, "bad command");
	is_int(nfqd_control_parse(""), NFQD_CMD_BAD, "empty command");
	return tap_done();
}
