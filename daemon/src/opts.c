// SPDX-License-Identifier: GPL-2.0-only
/* nfqringd's command line: parsed into struct nfqd_opts, nothing else. */
#include <getopt.h>
#include <linux/netfilter/nf_conntrack_common.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "exitcodes.h"
#include "opts.h"

void nfqd_usage(FILE *f)
{
	fprintf(f,
		"Usage: nfqringd -c FILE -q N[-M] [--backend ring|netlink|auto] [--fail-open] [--cpu-pin]\n"
		"                [--gso] [--copy-range N] [--ring-frames N] [--socket PATH]\n"
		"                [--stall-ms N [--stall-action drop|accept]]\n"
		"       nfqringd --check -c FILE [-q N[-M]] [--matcher NAME]   (or --check FILE)\n"
		"       nfqringd --test -c FILE [-q N[-M]] [--matcher NAME] [--json] [--copy-range N] [--mark N]\n"
		"                [--ct-mark N] [--ct-state S] [--uid N] [--gid N] [--iifname NAME]\n"
		"                [--oifname NAME] [--write-pcap FILE] CAPTURE\n"
		"       nfqringd --print-nft -c FILE -q N[-M] [--hooks LIST] [--bypass] [--fanout]\n"
		"                [--table NAME] [--ct-bypass-mark MASK] [--fail-open]\n"
		"       nfqringd --reload | --stats [--json]   [--socket PATH]\n"
		"       nfqringd --control COMMAND | --load-set NAME FILE   [--socket PATH]\n"
		"       nfqringd --help | --version\n"
		"\n"
		"  -c, --config FILE     rule file (nfqringd.rules(5)) to serve\n"
		"  -q, --queue N[-M]     queues to serve, one worker thread each (at most %d)\n"
		"      --backend NAME    ring (/dev/nfqring, default), netlink (stock nfnetlink_queue), auto\n"
		"      --fail-open       the kernel accepts packets when a queue is full (F_FAIL_OPEN)\n"
		"      --cpu-pin         pin the worker of queue N to CPU N (modulo the CPUs allowed)\n"
		"      --gso             take GSO superframes unsegmented (F_GSO); refused with rewrite rules\n"
		"      --copy-range N    bytes of each packet to copy (default: what the rules need);\n"
		"                        --test cuts each packet to it as the kernel would\n"
		"      --ring-frames N   RX frames per queue (ring backend)\n"
		"      --stall-ms N      the kernel's stall watchdog: when a worker has taken no\n"
		"                        packet and sent no verdict for N ms (%u-%u; 0: off, the\n"
		"                        default) while packets wait, the kernel gives them and every\n"
		"                        new packet of its queue the --stall-action verdict until the\n"
		"                        worker moves again (ring backend, nfqring ABI version 2)\n"
		"      --stall-action A  the watchdog's verdict: drop (default: fail closed) or accept\n"
		"      --log-format F    packet log lines (the log statement): text (default) or json,\n"
		"                        one JSON object per line\n"
		"      --log-once-per-flow[=S]  log a flow's packets for a rule once, until the flow\n"
		"                        was quiet for S seconds (default %u)\n"
		"      --reject-mark MASK  the packet-mark bits that carry reject verdicts to nft\n"
		"                        (default 0x%08x; with serving, --check, --test, --print-nft)\n"
		"      --detect-only     judge nothing: accept every packet unchanged, log and count\n"
		"                        what the rules would have done (serving, --check, --test,\n"
		"                        --print-nft)\n"
		"      --stream-slots N  flows each worker follows for 'content ... stream' (default\n"
		"                        %u, rounded down to a power of two; memory: see nfqringd(8))\n"
		"  -m, --matcher NAME    content matcher: auto (default), hyperscan, aho-corasick\n"
		"  -s, --socket PATH     control socket (default " NFQD_DEFAULT_SOCKET ")\n"
		"      --check           validate -c FILE (or --check FILE) and say what the daemon\n"
		"                        would configure\n"
		"      --reload          make the running daemon reload its rule file; prints the result\n"
		"      --stats [--json]  print the running daemon's statistics\n"
		"      --control COMMAND a command on the running daemon's live sets: 'add element\n"
		"                        SET { E [timeout T], ... }', 'delete element SET { E, ... }',\n"
		"                        'flush set SET', 'list set SET', 'list sets'\n"
		"      --load-set NAME FILE  replace the run-time elements of live set NAME by those\n"
		"                        of FILE (one or more per line, - for stdin), atomically\n"
		"      --test CAPTURE    replay a pcap file (- for stdin) through the rules of -c FILE:\n"
		"                        a line per packet with its verdict and the rule that decided\n"
		"      --mark N          --test: the packet mark of every replayed packet (default 0)\n"
		"      --ct-mark N       --test: every packet has a connection with this ct mark\n"
		"                        (default: no connection)\n"
		"      --ct-state S      --test: every packet has a connection in state S: new,\n"
		"                        established, related, established-reply, related-reply\n"
		"      --uid N, --gid N  --test: every packet comes from a local socket of user N,\n"
		"                        group N (meta skuid, skgid)\n"
		"      --iifname NAME, --oifname NAME  --test: every packet's input, output interface\n"
		"                        (default: a pcapng capture's own, else none)\n"
		"      --write-pcap FILE --test: write the packets that leave, as the verdicts leave\n"
		"                        them (rewritten; dropped and rejected ones left out)\n"
		"      --print-nft       print the nft table that queues to -q N[-M] and rejects what\n"
		"                        the rules of -c FILE reject (load it with nft -f)\n"
		"      --hooks LIST      --print-nft: input, forward, output (default input,forward)\n"
		"      --bypass          --print-nft: queue flags bypass (pass packets while no daemon serves)\n"
		"      --fanout          --print-nft: queue flags fanout (by CPU, not by address hash)\n"
		"      --table NAME      --print-nft: table inet NAME (default " NFQD_DEFAULT_TABLE ")\n"
		"      --ct-bypass-mark MASK  --print-nft: accept flows whose ct mark has these bits\n"
		"                        before the queue rule\n"
		"  -h, --help            this text\n"
		"  -V, --version         print the version\n", NFQD_MAX_QUEUES,
		NFQRING_STALL_MIN_MS, NFQRING_STALL_MAX_MS, NFQD_LOG_ONCE_DEFAULT, NFQR_REJECT_MARK_DEFAULT, NFQR_STREAM_SLOTS_DEFAULT);
}

__attribute__((format(printf, 3, 4)))
static int fail(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return NFQD_EXIT_USAGE;
}

static int parse_u32(const char *s, uint32_t max, uint32_t *v)
{
	char *end;
	unsigned long long x;

	if (!*s || *s == '-')
		return -1;
	x = strtoull(s, &end, 0);
	if (*end || x > max)
		return -1;
	*v = (uint32_t)x;
	return 0;
}

static int parse_queues(const char *s, uint16_t *a, uint16_t *b)
{
	char buf[32], *dash;
	uint32_t x, y;

	if (strlen(s) >= sizeof(buf))
		return -1;
	strcpy(buf, s);
	dash = strchr(buf, '-');
	if (dash)
		*dash = 0;
	if (parse_u32(buf, 65535, &x))
		return -1;
	y = x;
	if (dash && parse_u32(dash + 1, 65535, &y))
		return -1;
	if (y < x)
		return -1;
	*a = (uint16_t)x;
	*b = (uint16_t)y;
	return 0;
}

/* --test: one capture file after the options, a rule file, nothing that
 * only a daemon serving queues uses. */
static int test_opts(struct nfqd_opts *o, int argc, char **argv, const char *serving,
		     char *err, size_t errlen)
{
	if (!o->config)
		return fail(err, errlen, "--test: no rule file: give -c FILE");
	if (optind == argc)
		return fail(err, errlen, "--test: no capture: give the pcap file to replay "
			    "(- for standard input), e.g. one written by tcpdump -w");
	if (argc - optind > 1)
		return fail(err, errlen, "--test replays one capture file, got '%s' and '%s'",
			    argv[optind], argv[optind + 1]);
	if (serving)
		return fail(err, errlen, "%s is for serving queues, not for --test", serving);
	o->capture = argv[optind];
	return 0;
}

/* --ct-state: the conntrack info a replayed packet carries (NFQA_CT_INFO) */
static int ct_info_of(const char *s)
{
	static const struct { const char *name; int info; } states[] = {
		{ "established", IP_CT_ESTABLISHED }, { "related", IP_CT_RELATED },
		{ "new", IP_CT_NEW }, { "established-reply", IP_CT_ESTABLISHED_REPLY },
		{ "related-reply", IP_CT_RELATED_REPLY },
	};

	for (size_t i = 0; i < sizeof(states) / sizeof(states[0]); i++)
		if (!strcmp(s, states[i].name))
			return states[i].info;
	return -1;
}

/* --hooks input,forward,output: the hooks of nft's reject (the base chains) */
static int parse_hooks(const char *s, unsigned int *hooks)
{
	static const char *const names[] = { "input", "forward", "output" };
	const char *p = s;

	*hooks = 0;
	for (;;) {
		size_t len = strcspn(p, ",");
		unsigned int i;

		for (i = 0; i < 3; i++)
			if (len == strlen(names[i]) && !strncmp(p, names[i], len))
				break;
		if (i == 3)
			return -1;
		*hooks |= 1u << i;
		if (!p[len])
			return 0;
		p += len + 1;
	}
}

/* --table: a plain nft identifier */
static bool table_name_ok(const char *s)
{
	size_t n = strlen(s);

	if (!n || n > 64 || !((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z')))
		return false;
	return strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-") == n;
}

enum { O_CHECK = 256, O_RELOAD, O_STATS, O_JSON, O_BACKEND, O_FAIL_OPEN, O_CPU_PIN,
       O_GSO, O_COPY_RANGE, O_RING_FRAMES, O_TEST, O_MARK, O_CT_MARK, O_PRINT_NFT,
       O_REJECT_MARK, O_HOOKS, O_BYPASS, O_FANOUT, O_TABLE, O_CT_BYPASS_MARK,
       O_LOG_FORMAT, O_LOG_ONCE, O_DETECT_ONLY, O_CONTROL, O_LOAD_SET, O_STREAM_SLOTS,
       O_CT_STATE, O_UID, O_GID, O_IIFNAME, O_OIFNAME, O_WRITE_PCAP, O_STALL_MS,
       O_STALL_ACTION };

int nfqd_opts_parse(struct nfqd_opts *o, int argc, char **argv, char *err, size_t errlen)
{
	static const struct option longopts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "queue", required_argument, NULL, 'q' },
		{ "matcher", required_argument, NULL, 'm' },
		{ "socket", required_argument, NULL, 's' },
		{ "check", no_argument, NULL, O_CHECK },	/* the file: -c FILE, or after */
		{ "reload", no_argument, NULL, O_RELOAD },
		{ "stats", no_argument, NULL, O_STATS },
		{ "control", required_argument, NULL, O_CONTROL },
		{ "load-set", required_argument, NULL, O_LOAD_SET },
		{ "json", no_argument, NULL, O_JSON },
		{ "backend", required_argument, NULL, O_BACKEND },
		{ "fail-open", no_argument, NULL, O_FAIL_OPEN },
		{ "cpu-pin", no_argument, NULL, O_CPU_PIN },
		{ "gso", no_argument, NULL, O_GSO },
		{ "copy-range", required_argument, NULL, O_COPY_RANGE },
		{ "ring-frames", required_argument, NULL, O_RING_FRAMES },
		{ "stall-ms", required_argument, NULL, O_STALL_MS },
		{ "stall-action", required_argument, NULL, O_STALL_ACTION },
		{ "test", no_argument, NULL, O_TEST },
		{ "mark", required_argument, NULL, O_MARK },
		{ "ct-mark", required_argument, NULL, O_CT_MARK },
		{ "ct-state", required_argument, NULL, O_CT_STATE },
		{ "uid", required_argument, NULL, O_UID },
		{ "gid", required_argument, NULL, O_GID },
		{ "iifname", required_argument, NULL, O_IIFNAME },
		{ "oifname", required_argument, NULL, O_OIFNAME },
		{ "write-pcap", required_argument, NULL, O_WRITE_PCAP },
		{ "print-nft", no_argument, NULL, O_PRINT_NFT },
		{ "reject-mark", required_argument, NULL, O_REJECT_MARK },
		{ "detect-only", no_argument, NULL, O_DETECT_ONLY },
		{ "stream-slots", required_argument, NULL, O_STREAM_SLOTS },
		{ "hooks", required_argument, NULL, O_HOOKS },
		{ "bypass", no_argument, NULL, O_BYPASS },
		{ "fanout", no_argument, NULL, O_FANOUT },
		{ "table", required_argument, NULL, O_TABLE },
		{ "ct-bypass-mark", required_argument, NULL, O_CT_BYPASS_MARK },
		{ "log-format", required_argument, NULL, O_LOG_FORMAT },
		{ "log-once-per-flow", optional_argument, NULL, O_LOG_ONCE },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	int c, modes = 0;
	bool stall_ms_given = false, stall_action_given = false;
	/* options of a serving daemon, refused with --test (it serves nothing);
	 * of replayed packets; of the nft chain; of the rules */
	const char *serving = NULL, *packet = NULL, *chain = NULL, *rules = NULL;

	memset(o, 0, sizeof(*o));
	o->ct_info = -1;
	o->backend = NFQRING_BACKEND_RING;
	o->socket = NFQD_DEFAULT_SOCKET;
	o->reject_mark = NFQR_REJECT_MARK_DEFAULT;
	o->hooks = NFQD_HOOK_INPUT | NFQD_HOOK_FORWARD;
	o->table = NFQD_DEFAULT_TABLE;
	o->stall_verdict = NF_DROP;
	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "c:q:m:s:hV", longopts, NULL)) != -1) {
		switch (c) {
		case 'c':
			o->config = optarg;
			break;
		case 'q':
			if (parse_queues(optarg, &o->q_first, &o->q_last))
				return fail(err, errlen, "--queue: expected N or N-M (0-65535), got '%s'", optarg);
			if (o->q_last - o->q_first + 1 > NFQD_MAX_QUEUES)
				return fail(err, errlen, "--queue: at most %d queues (one thread each), got %s",
					    NFQD_MAX_QUEUES, optarg);
			o->queues_set = true;
			break;
		case 'm':
			if (!strcmp(optarg, "auto"))
				o->matcher = NFQR_CM_AUTO;
			else if (!strcmp(optarg, "hyperscan"))
				o->matcher = NFQR_CM_HYPERSCAN;
			else if (!strcmp(optarg, "aho-corasick"))
				o->matcher = NFQR_CM_AHO_CORASICK;
			else
				return fail(err, errlen, "--matcher: expected auto, hyperscan or aho-corasick, got '%s'", optarg);
			break;
		case 's':
			if (!*optarg || strlen(optarg) >= 108)
				return fail(err, errlen, "--socket: expected a path of 1 to 107 bytes");
			o->socket = optarg;
			serving = "--socket";
			break;
		case O_CHECK:
			o->mode = NFQD_CHECK;
			modes++;
			break;
		case O_RELOAD:
			o->mode = NFQD_RELOAD;
			modes++;
			break;
		case O_STATS:
			o->mode = NFQD_STATS;
			modes++;
			break;
		case O_CONTROL:
			o->mode = NFQD_CONTROL;
			o->control = optarg;
			modes++;
			break;
		case O_LOAD_SET:
			o->mode = NFQD_LOAD_SET;
			o->set_name = optarg;
			modes++;
			break;
		case O_JSON:
			o->json = true;
			break;
		case O_TEST:
			o->mode = NFQD_TEST;
			modes++;
			break;
		case O_PRINT_NFT:
			o->mode = NFQD_PRINT_NFT;
			modes++;
			break;
		case O_REJECT_MARK:
			if (parse_u32(optarg, UINT32_MAX, &o->reject_mark) ||
			    !nfqr_reject_mark_valid(o->reject_mark))
				return fail(err, errlen, "--reject-mark: expected %d or more contiguous bits "
					    "(e.g. 0x%08x, the default), got '%s'",
					    32 - __builtin_clz(NFQR_REJECT_COUNT - 1),
					    NFQR_REJECT_MARK_DEFAULT, optarg);
			rules = "--reject-mark";
			break;
		case O_DETECT_ONLY:
			o->detect_only = true;
			rules = "--detect-only";
			break;
		case O_STREAM_SLOTS:
			if (parse_u32(optarg, NFQR_STREAM_SLOTS_MAX, &o->stream_slots) ||
			    o->stream_slots < NFQR_STREAM_WAYS)
				return fail(err, errlen, "--stream-slots: expected a number of flows "
					    "from %u to %u, got '%s'", NFQR_STREAM_WAYS,
					    NFQR_STREAM_SLOTS_MAX, optarg);
			rules = "--stream-slots";
			break;
		case O_HOOKS:
			if (parse_hooks(optarg, &o->hooks))
				return fail(err, errlen, "--hooks: expected a list of input, forward and "
					    "output (the hooks where nft can reject), got '%s'", optarg);
			chain = "--hooks";
			break;
		case O_BYPASS:
			o->bypass = true;
			chain = "--bypass";
			break;
		case O_FANOUT:
			o->fanout = true;
			chain = "--fanout";
			break;
		case O_TABLE:
			if (!table_name_ok(optarg))
				return fail(err, errlen, "--table: expected a name of up to 64 letters, digits, "
					    "'_' and '-' that starts with a letter, got '%s'", optarg);
			o->table = optarg;
			chain = "--table";
			break;
		case O_CT_BYPASS_MARK:
			if (parse_u32(optarg, UINT32_MAX, &o->ct_bypass_mark) || !o->ct_bypass_mark)
				return fail(err, errlen, "--ct-bypass-mark: expected a non-zero 32-bit mask, "
					    "got '%s'", optarg);
			chain = "--ct-bypass-mark";
			break;
		case O_MARK:
			if (parse_u32(optarg, UINT32_MAX, &o->mark))
				return fail(err, errlen, "--mark: expected a 32-bit number, got '%s'", optarg);
			packet = "--mark";
			break;
		case O_CT_MARK:
			if (parse_u32(optarg, UINT32_MAX, &o->ct_mark))
				return fail(err, errlen, "--ct-mark: expected a 32-bit number, got '%s'", optarg);
			o->ct_present = true;
			packet = "--ct-mark";
			break;
		case O_CT_STATE:
			o->ct_info = ct_info_of(optarg);
			if (o->ct_info < 0)
				return fail(err, errlen, "--ct-state: expected new, established, related, "
					    "established-reply or related-reply, got '%s'", optarg);
			o->ct_present = true;
			packet = "--ct-state";
			break;
		case O_UID:
		case O_GID:
			if (parse_u32(optarg, UINT32_MAX, c == O_UID ? &o->uid : &o->gid))
				return fail(err, errlen, "--%s: expected a number, got '%s'",
					    c == O_UID ? "uid" : "gid", optarg);
			*(c == O_UID ? &o->uid_present : &o->gid_present) = true;
			packet = c == O_UID ? "--uid" : "--gid";
			break;
		case O_IIFNAME:
		case O_OIFNAME:
			if (!*optarg || strlen(optarg) > 15)
				return fail(err, errlen, "--%s: expected an interface name of 1 to 15 "
					    "bytes, got '%s'", c == O_IIFNAME ? "iifname" : "oifname",
					    optarg);
			*(c == O_IIFNAME ? &o->iifname : &o->oifname) = optarg;
			packet = c == O_IIFNAME ? "--iifname" : "--oifname";
			break;
		case O_WRITE_PCAP:
			o->write_pcap = optarg;
			packet = "--write-pcap";
			break;
		case O_BACKEND:
			serving = "--backend";
			if (!strcmp(optarg, "ring"))
				o->backend = NFQRING_BACKEND_RING;
			else if (!strcmp(optarg, "netlink"))
				o->backend = NFQRING_BACKEND_NETLINK;
			else if (!strcmp(optarg, "auto"))
				o->backend = NFQRING_BACKEND_AUTO;
			else
				return fail(err, errlen, "--backend: expected ring, netlink or auto, got '%s'"
					    " (the content matcher is --matcher)", optarg);
			break;
		case O_FAIL_OPEN:
			o->fail_open = true;
			serving = "--fail-open";
			break;
		case O_LOG_FORMAT:
			serving = "--log-format";
			if (!strcmp(optarg, "json"))
				o->log_json = true;
			else if (strcmp(optarg, "text"))
				return fail(err, errlen, "--log-format: expected text or json, got '%s'",
					    optarg);
			break;
		case O_LOG_ONCE:
			serving = "--log-once-per-flow";
			o->log_once_s = NFQD_LOG_ONCE_DEFAULT;
			if (optarg && (parse_u32(optarg, 86400, &o->log_once_s) || !o->log_once_s))
				return fail(err, errlen, "--log-once-per-flow: expected 1-86400 seconds "
					    "of quiet after which a flow is logged again, got '%s'", optarg);
			break;
		case O_CPU_PIN:
			o->cpu_pin = true;
			serving = "--cpu-pin";
			break;
		case O_GSO:
			o->gso = true;
			serving = "--gso";
			break;
		case O_COPY_RANGE:			/* serving and --test */
			if (parse_u32(optarg, NFQRING_MAX_COPY_RANGE + 4, &o->copy_range) || !o->copy_range)
				return fail(err, errlen, "--copy-range: expected 1-65535 bytes, got '%s'", optarg);
			if (o->copy_range > NFQRING_MAX_COPY_RANGE)
				o->copy_range = NFQRING_MAX_COPY_RANGE;
			break;
		case O_RING_FRAMES:
			serving = "--ring-frames";
			if (parse_u32(optarg, 65536, &o->ring_frames) || o->ring_frames < 16)
				return fail(err, errlen, "--ring-frames: expected 16-65536, got '%s'", optarg);
			break;
		case O_STALL_MS:
			serving = "--stall-ms";
			if (parse_u32(optarg, UINT32_MAX, &o->stall_ms) ||
			    (o->stall_ms && (o->stall_ms < NFQRING_STALL_MIN_MS ||
					     o->stall_ms > NFQRING_STALL_MAX_MS)))
				return fail(err, errlen, "--stall-ms: expected 0 (off) or %u-%u "
					    "milliseconds, got '%s'", NFQRING_STALL_MIN_MS,
					    NFQRING_STALL_MAX_MS, optarg);
			stall_ms_given = true;
			break;
		case O_STALL_ACTION:
			serving = "--stall-action";
			if (!strcmp(optarg, "drop"))
				o->stall_verdict = NF_DROP;
			else if (!strcmp(optarg, "accept"))
				o->stall_verdict = NF_ACCEPT;
			else
				return fail(err, errlen, "--stall-action: expected drop or accept (the "
					    "verdict of packets a stalled worker holds), got '%s'",
					    optarg);
			stall_action_given = true;
			break;
		case 'h':
			o->mode = NFQD_HELP;
			return 0;
		case 'V':
			o->mode = NFQD_VERSION;
			return 0;
		case '?':
		default:
			if (optopt && optopt < 256)
				return fail(err, errlen, "option -%c: unknown, or its argument is missing", optopt);
			return fail(err, errlen, "'%s': unknown option, or its argument is missing",
				    argv[optind - 1]);
		}
	}
	if (modes > 1)
		return fail(err, errlen, "--check, --reload, --stats, --control, --load-set, --test "
			    "and --print-nft exclude each other");
	if (chain && o->mode != NFQD_PRINT_NFT)
		return fail(err, errlen, "%s goes with --print-nft (it shapes the nft chain)", chain);
	if (rules && (o->mode == NFQD_RELOAD || o->mode == NFQD_STATS ||
		      o->mode == NFQD_CONTROL || o->mode == NFQD_LOAD_SET))
		return fail(err, errlen, "%s goes with the rules: serving, --check, --test or "
			    "--print-nft (a running daemon keeps the one it started with)", rules);
	if (o->mode == NFQD_TEST)
		return test_opts(o, argc, argv, serving, err, errlen);
	if (o->mode == NFQD_CHECK) {		/* --check FILE, or -c FILE as everywhere */
		if (optind < argc && o->config)
			return fail(err, errlen, "--check: two rule files, '%s' and -c '%s': give one",
				    argv[optind], o->config);
		if (optind < argc)
			o->config = argv[optind++];
		if (!o->config)
			return fail(err, errlen, "--check: no rule file: give -c FILE (or --check FILE)");
	}
	if (o->mode == NFQD_LOAD_SET) {
		if (optind == argc)
			return fail(err, errlen, "--load-set %s: no file: give the file of elements "
				    "(- for standard input)", o->set_name);
		o->set_file = argv[optind++];
	}
	if (optind != argc)
		return fail(err, errlen, "unexpected argument '%s'", argv[optind]);
	if (o->json && o->mode != NFQD_STATS)
		return fail(err, errlen, "--json goes with --stats or --test");
	if (packet)
		return fail(err, errlen, "%s goes with --test (it sets what replayed packets carry)",
			    packet);
	if (o->mode == NFQD_RUN || o->mode == NFQD_PRINT_NFT) {
		if (!o->config)
			return fail(err, errlen, "no rule file: give -c FILE (see nfqringd(8))");
		if (!o->queues_set)
			return fail(err, errlen, "no queues: give -q N or -q N-M, the numbers of the nft `queue` rules");
	}
	if (stall_action_given && !stall_ms_given)
		return fail(err, errlen, "--stall-action goes with --stall-ms N (without it the "
			    "stall watchdog is off)");
	if (o->stall_ms && o->backend == NFQRING_BACKEND_NETLINK)
		return fail(err, errlen, "--stall-ms: the netlink backend has no stall watchdog "
			    "(it is nfqring's, on the rings): use --backend ring or auto, or drop "
			    "--stall-ms");
	if (o->fanout && o->q_first == o->q_last)
		return fail(err, errlen, "--fanout spreads packets over a range of queues: give -q N-M "
			    "(nft refuses fanout to one queue)");
	return 0;
}

void nfqd_opts_load(const struct nfqd_opts *o, struct nfqr_load_opts *lo)
{
	memset(lo, 0, sizeof(*lo));
	lo->backend = o->matcher;
	lo->reject_mark = o->reject_mark;
	lo->detect_only = o->detect_only;
	lo->stream_slots = o->stream_slots;
	if (o->queues_set)
		nfqr_queue_set(lo, o->q_first, o->q_last);
}

struct nfqr_ruleset *nfqd_opts_rules(const struct nfqd_opts *o)
{
	struct nfqr_load_opts lo;
	struct nfqr_diag diag = { 0 };
	struct nfqr_ruleset *rs;

	nfqd_opts_load(o, &lo);
	rs = nfqr_ruleset_load(o->config, &lo, &diag);
	for (size_t i = 0; i < diag.n; i++)
		fprintf(stderr, "%s\n", diag.msgs[i]);
	nfqr_diag_free(&diag);
	return rs;
}
