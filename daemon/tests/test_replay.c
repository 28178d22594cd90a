// SPDX-License-Identifier: GPL-2.0-only
/*
 * nfqringd --test (src/replay.c), end to end: this program writes captures
 * of every link type --test reads (raw IP, LINKTYPE_IPV4/IPV6, Ethernet with
 * VLAN tags, Linux cooked v1 and v2) and a rule file, runs the built
 * nfqringd binary on them and checks every line it prints against what the
 * rules say, the counters, the JSON form, and the errors with their exit
 * codes.  The sanitizer build runs the sanitized daemon.
 */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <pcap/pcap.h>
#include <spawn.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "tap.h"

#include "exitcodes.h"
#include "nfqr_engine.h"
#include "pkt.h"

#ifdef __SANITIZE_ADDRESS__
#define DAEMON "nfqringd-san"
#else
#define DAEMON "nfqringd"
#endif

static char dir[64], bin[4096], hash_id[64];
static char *out, *err;			/* of the last run */

/* ---- files ----------------------------------------------------------------- */

static const char *path(const char *name)
{
	static char p[8][128];
	static int i;

	i = (i + 1) % 8;
	snprintf(p[i], sizeof(p[i]), "%s/%s", dir, name);
	return p[i];
}

static void write_file(const char *name, const char *text)
{
	FILE *f = fopen(path(name), "w");

	if (!f || fputs(text, f) < 0 || fclose(f)) {
		printf("Bail out! cannot write %s\n", path(name));
		exit(1);
	}
}

static char *slurp(const char *p)
{
	FILE *f = fopen(p, "r");
	char *s = NULL;
	size_t n = 0;

	if (f) {
		s = malloc(1 << 20);
		if (s)
			n = fread(s, 1, (1 << 20) - 1, f);
		fclose(f);
	}
	if (!s)
		s = malloc(1);
	if (!s)
		exit(1);
	s[n] = 0;
	return s;
}

/* ---- running the daemon ------------------------------------------------------ */

/* Runs bin with the arguments (NULL-terminated), stdin from `in` if given;
 * its stdout and stderr land in out and err.  Returns the exit status. */
static int run(const char *in, const char *a0, ...)
{
	const char *argv[32];
	int argc = 0, status;
	posix_spawn_file_actions_t fa;
	pid_t pid;
	va_list ap;

	argv[argc++] = bin;
	va_start(ap, a0);
	for (const char *a = a0; a && argc < 31; a = va_arg(ap, const char *))
		argv[argc++] = a;
	va_end(ap);
	argv[argc] = NULL;
	posix_spawn_file_actions_init(&fa);
	if (in)
		posix_spawn_file_actions_addopen(&fa, 0, in, O_RDONLY, 0);
	posix_spawn_file_actions_addopen(&fa, 1, path("stdout"), O_WRONLY | O_CREAT | O_TRUNC, 0644);
	posix_spawn_file_actions_addopen(&fa, 2, path("stderr"), O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (posix_spawn(&pid, bin, &fa, NULL, (char **)argv, environ)) {
		printf("Bail out! cannot run %s: %s\n", bin, strerror(errno));
		exit(1);
	}
	posix_spawn_file_actions_destroy(&fa);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	free(out);
	free(err);
	out = slurp(path("stdout"));
	err = slurp(path("stderr"));
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

/* The first lines of out against want[], exactly; with `all`, nothing more. */
static void lines_match(const char *what, const char *const *want, size_t n, bool all)
{
	const char *l = out;
	size_t i;

	for (i = 0; i < n && *l; i++) {
		const char *nl = strchr(l, '\n');
		size_t len = nl ? (size_t)(nl - l) : strlen(l);
		char got[1024];

		snprintf(got, sizeof(got), "%.*s", (int)len, l);
		is_str(got, want[i], "%s: line %zu", what, i + 1);
		l += len + (nl != NULL);
	}
	ok(i == n && (!all || !*l), "%s: %zu lines%s", what, n, all ? ", no more" : "");
	if (i < n)
		printf("#   output ends before line %zu: '%s'\n", i + 1, want[i]);
	else if (all && *l)
		printf("#   more output: '%.200s'\n", l);
}

#define lines_are(what, want, n) lines_match(what, want, n, true)
#define lines_start(what, want, n) lines_match(what, want, n, false)

static int has(const char *s, const char *needle)
{
	return strstr(s, needle) != NULL;
}

/* A test of what the daemon said on stderr, shown when it fails. */
static void says(int cond, const char *what)
{
	if (!ok(cond, "%s", what))
		printf("#   stderr: %s\n", err);
}

/* ---- captures ------------------------------------------------------------------- */

struct cap {
	pcap_t *dead;
	pcap_dumper_t *d;
	long n;
};

static void cap_open(struct cap *c, const char *name, int dlt)
{
	c->dead = pcap_open_dead(dlt, 65535);
	c->d = c->dead ? pcap_dump_open(c->dead, path(name)) : NULL;
	c->n = 0;
	if (!c->d) {
		printf("Bail out! cannot write capture %s\n", name);
		exit(1);
	}
}

/* One record of `wire` bytes of which the first caplen were captured; frame
 * n has the time 1700000000.00000n. */
static void cap_add_cut(struct cap *c, const uint8_t *frame, uint32_t caplen, uint32_t wire)
{
	struct pcap_pkthdr h = { .caplen = caplen, .len = wire };

	h.ts.tv_sec = 1700000000;
	h.ts.tv_usec = ++c->n;
	pcap_dump((u_char *)c->d, &h, frame);
}

static void cap_add(struct cap *c, const uint8_t *frame, size_t len)
{
	cap_add_cut(c, frame, (uint32_t)len, (uint32_t)len);
}

static void cap_close(struct cap *c)
{
	pcap_dump_close(c->d);
	pcap_close(c->dead);
}

/*
 * A link-layer frame around pkt: types[0] is the link header's type field,
 * each further type follows a VLAN tag (TCI, then the type), as on the wire.
 */
static size_t frame_of(uint8_t *f, int dlt, const uint16_t *types, int ntypes,
		       const uint8_t *pkt, size_t len)
{
	size_t off, type_at;

	switch (dlt) {
	case DLT_EN10MB:
		memcpy(f, "\x02\0\0\0\0\x02\x02\0\0\0\0\x01", 12);
		type_at = 12;
		off = 14;
		break;
	case DLT_LINUX_SLL:	/* incoming, ARPHRD_ETHER, 6-byte address */
		memcpy(f, "\0\0\0\x01\0\x06\x02\0\0\0\0\x01\0\0", 14);
		type_at = 14;
		off = 16;
		break;
	case DLT_LINUX_SLL2:	/* type, reserved, ifindex 2, ARPHRD_ETHER, host, 6 */
		memcpy(f + 2, "\0\0\0\0\0\x02\0\x01\0\x06\x02\0\0\0\0\x01\0\0", 18);
		type_at = 0;
		off = 20;
		break;
	default:
		type_at = off = 0;
	}
	if (off) {
		f[type_at] = (uint8_t)(types[0] >> 8);
		f[type_at + 1] = (uint8_t)types[0];
	}
	for (int i = 1; i < ntypes; i++) {
		f[off] = 0;
		f[off + 1] = (uint8_t)(10 * i);		/* VLAN id */
		f[off + 2] = (uint8_t)(types[i] >> 8);
		f[off + 3] = (uint8_t)types[i];
		off += 4;
	}
	memcpy(f + off, pkt, len);
	return off + len;
}

/* Packets, numbered as in the rules below. */
static size_t tcp4(uint8_t *b, uint16_t sport, uint16_t dport, const char *payload)
{
	uint8_t l4[256];
	size_t n = l4_tcp(l4, sport, dport, 0x02, payload, payload ? strlen(payload) : 0);

	return pkt_ipv4(b, "10.0.0.1", "10.0.0.2", 6, l4, n);
}

static size_t tcp6(uint8_t *b, uint16_t sport, uint16_t dport)
{
	uint8_t l4[64];
	size_t n = l4_tcp(l4, sport, dport, 0x02, NULL, 0);

	return pkt_ipv6(b, "2001:db8::1", "2001:db8::2", 6, NULL, 0, l4, n);
}

static size_t udp4(uint8_t *b, uint16_t sport, uint16_t dport, size_t plen)
{
	uint8_t l4[2048], data[2048];
	size_t n;

	memset(data, 'a', plen);
	n = l4_udp(l4, sport, dport, data, plen);
	return pkt_ipv4(b, "10.0.0.1", "10.0.0.2", 17, l4, n);
}

static size_t udp6_bad(uint8_t *b)
{
	uint8_t l4[64];
	size_t n = l4_udp(l4, 33002, 1234, NULL, 0);

	return pkt_ipv6(b, "2001:db8:bad::5", "2001:db8::2", 17, NULL, 0, l4, n);
}

static size_t ping4(uint8_t *b)
{
	uint8_t l4[64];
	size_t n = l4_icmp(l4, 8, 0, NULL, 0);

	return pkt_ipv4(b, "10.0.0.1", "10.0.0.2", 1, l4, n);
}

static size_t ping6(uint8_t *b)
{
	uint8_t l4[64];
	size_t n = l4_icmp(l4, 128, 0, NULL, 0);

	return pkt_ipv6(b, "2001:db8::1", "2001:db8::2", 58, NULL, 0, l4, n);
}

static const char rules[] =
	"# test_replay.c: the rules every capture is judged by\n"			/* 1 */
	"define web = { 80, 443 }\n"							/* 2 */
	"tcp dport 22 drop comment \"ssh\"\n"						/* 3 */
	"tcp dport $web @payload content \"GET /admin\" drop comment \"admin\"\n"	/* 4 */
	"tcp dport $web accept comment \"web\"\n"					/* 5 */
	"udp dport 53 log prefix \"dns: \" accept comment \"dns query\"\n"		/* 6 */
	"udp dport 10010 payload fill \"h\" accept comment \"rewrite\"\n"		/* 7 */
	"ip6 saddr 2001:db8:bad::/48 drop comment \"bad6\"\n"				/* 8 */
	"icmp type echo-request meta mark set 0x20 accept comment \"ping4\"\n"		/* 9 */
	"icmpv6 type echo-request queue num 7 bypass comment \"ping6\"\n"		/* 10 */
	"udp dport 5000 meta mark set 0x1 repeat comment \"again\"\n"			/* 11 */
	"udp dport 9999 drop\n"								/* 12 */
	"udp dport 4000 ct mark set ct mark | 0x1 accept comment \"ct\"\n"		/* 13 */
	"meta mark 0x10 udp dport 4001 drop comment \"mark10\"\n"			/* 14 */
	"policy accept\n"
	"policy fragment drop\n"
	"policy malformed drop\n";

/* The id of the rule without a comment (line 12): a hash of its text. */
static void find_hash_id(void)
{
	struct nfqr_load_opts lo = { 0 };
	struct nfqr_diag diag = { 0 };
	struct nfqr_ruleset *rs = nfqr_ruleset_load(path("rules.nft"), &lo, &diag);

	nfqr_diag_free(&diag);
	snprintf(hash_id, sizeof(hash_id), "(no ruleset)");
	for (uint32_t i = 0; rs && i < nfqr_ruleset_rule_count(rs); i++)
		if (nfqr_ruleset_rule_line(rs, i) == 12)
			snprintf(hash_id, sizeof(hash_id), "%s", nfqr_ruleset_rule_id(rs, i));
	nfqr_ruleset_free(rs);
	ok(!strncmp(hash_id, "r-", 2) && strlen(hash_id) == 18, "rule 12's id is a hash: %s", hash_id);
}

/* ---- raw IP: every verdict and reason ---------------------------------------- */

#define T "1700000000.0000"
static char want_hash_line[2][256];

static void write_raw(const char *name)
{
	uint8_t b[2048];
	struct cap c;
	size_t n;

	cap_open(&c, name, DLT_RAW);
	cap_add(&c, b, tcp4(b, 40000, 22, NULL));				/* 1 */
	cap_add(&c, b, tcp4(b, 40001, 80, "GET /admin HTTP/1.0\r\n"));		/* 2 */
	cap_add(&c, b, tcp4(b, 40002, 80, "GET /index.html"));			/* 3 */
	cap_add(&c, b, tcp6(b, 40003, 443));					/* 4 */
	cap_add(&c, b, udp4(b, 33000, 53, 1));					/* 5 */
	cap_add(&c, b, udp4(b, 33001, 10010, 6));				/* 6 */
	cap_add(&c, b, udp6_bad(b));						/* 7 */
	cap_add(&c, b, ping4(b));						/* 8 */
	cap_add(&c, b, ping6(b));						/* 9 */
	cap_add(&c, b, udp4(b, 33003, 5000, 0));				/* 10 */
	cap_add(&c, b, udp4(b, 33004, 9999, 0));				/* 11 */
	cap_add(&c, b, udp4(b, 33005, 4000, 0));				/* 12 */
	cap_add(&c, b, udp4(b, 33006, 7777, 0));				/* 13 */
	n = udp4(b, 33010, 53, 0);		/* 14: not the first fragment */
	b[6] = 0x00;
	b[7] = 100;
	cap_add(&c, b, n);
	n = udp4(b, 33011, 53, 0);		/* 15: IHL 4 */
	b[0] = 0x44;
	cap_add(&c, b, n);
	{					/* 16: first fragment, 4 bytes of UDP */
		uint8_t l4[8];

		l4_udp(l4, 33012, 53, NULL, 0);
		n = pkt_ipv4(b, "10.0.0.1", "10.0.0.2", 17, l4, 4);
		b[6] = 0x20;			/* MF */
		cap_add(&c, b, n);
	}
	cap_add_cut(&c, b, 100, (uint32_t)udp4(b, 33007, 7777, 1000));		/* 17 */
	cap_add_cut(&c, b, 100, (uint32_t)udp4(b, 33008, 10010, 1000));	/* 18 */
	n = tcp4(b, 40004, 8080, NULL);		/* 19: TCP data offset 4 */
	b[20 + 12] = 4 << 4;
	cap_add(&c, b, n);
	cap_close(&c);
}

static const char *raw_lines[] = {
	"1 " T "01 tcp 10.0.0.1:40000 > 10.0.0.2:22 len 40 verdict drop by rule ssh line 3",
	"2 " T "02 tcp 10.0.0.1:40001 > 10.0.0.2:80 len 61 verdict drop by rule admin line 4",
	"3 " T "03 tcp 10.0.0.1:40002 > 10.0.0.2:80 len 55 verdict accept by rule web line 5",
	"4 " T "04 tcp [2001:db8::1]:40003 > [2001:db8::2]:443 len 60 verdict accept by rule web line 5",
	"5 " T "05 udp 10.0.0.1:33000 > 10.0.0.2:53 len 29 verdict accept by rule \"dns query\" line 6"
		" log \"dns query\"",
	"6 " T "06 udp 10.0.0.1:33001 > 10.0.0.2:10010 len 34 verdict accept by rule rewrite line 7"
		" payload rewritten",
	"7 " T "07 udp [2001:db8:bad::5]:33002 > [2001:db8::2]:1234 len 48 verdict drop by rule bad6 line 8",
	"8 " T "08 icmp 10.0.0.1 > 10.0.0.2 type 8 code 0 len 28 verdict accept by rule ping4 line 9"
		" mark set 0x20",
	"9 " T "09 icmpv6 2001:db8::1 > 2001:db8::2 type 128 code 0 len 48 verdict queue num 7 bypass"
		" by rule ping6 line 10",
	"10 " T "10 udp 10.0.0.1:33003 > 10.0.0.2:5000 len 28 verdict repeat by rule again line 11"
		" mark set 0x1",
	want_hash_line[0],
	"12 " T "12 udp 10.0.0.1:33005 > 10.0.0.2:4000 len 28 verdict accept by policy",
	"13 " T "13 udp 10.0.0.1:33006 > 10.0.0.2:7777 len 28 verdict accept by policy",
	"14 " T "14 udp 10.0.0.1 > 10.0.0.2 fragment len 28 verdict drop by policy fragment",
	"15 " T "15 malformed (ihl) len 28 verdict drop by policy malformed",
	"16 " T "16 udp 10.0.0.1 > 10.0.0.2 fragment len 24 verdict drop by fragment without"
		" transport header",
	"17 " T "17 udp 10.0.0.1:33007 > 10.0.0.2:7777 len 1028 caplen 100 verdict accept by policy",
	"18 " T "18 udp 10.0.0.1:33008 > 10.0.0.2:10010 len 1028 caplen 100 verdict accept by rule"
		" rewrite line 7 rewrite refused (capture cut short)",
	"19 " T "19 ip 10.0.0.1 > 10.0.0.2 malformed (l4hdr) len 40 verdict drop by policy malformed",
	"summary: frames 19 packets 19 skipped 0 accept 9 drop 8 repeat 1 queue 1 reject 0",
	"engine: policy 3 fragment 1 malformed 2 fragment_no_l4 1 truncated 0 rewrite_done 1"
		" rewrite_refused_truncated 1 rewrite_refused_gso 0 rewrite_refused_protocol 0"
		" ct_no_connection 1 log_suppressed 0 reject 0 reject_loop 0"
			" detect_drop 0 detect_reject 0 detect_repeat 0 detect_queue 0 detect_mark 0 detect_rewrite 0"
			" stream_joins 0 stream_out_of_order 0 stream_evictions 0 stream_flows 0",
	"rule: ssh line 3 hits 1 bytes 40",
	"rule: admin line 4 hits 1 bytes 61",
	"rule: web line 5 hits 2 bytes 115",
	"rule: \"dns query\" line 6 hits 1 bytes 29",
	"rule: rewrite line 7 hits 2 bytes 1062",
	"rule: bad6 line 8 hits 1 bytes 48",
	"rule: ping4 line 9 hits 1 bytes 28",
	"rule: ping6 line 10 hits 1 bytes 48",
	"rule: again line 11 hits 1 bytes 28",
	want_hash_line[1],
	"rule: ct line 13 hits 1 bytes 28",
	"rule: mark10 line 14 hits 0 bytes 0",
};
#define N(a) (sizeof(a) / sizeof((a)[0]))

static void test_raw(void)
{
	char *first;

	snprintf(want_hash_line[0], sizeof(want_hash_line[0]),
		 "11 " T "11 udp 10.0.0.1:33004 > 10.0.0.2:9999 len 28 verdict drop by rule %s line 12",
		 hash_id);
	snprintf(want_hash_line[1], sizeof(want_hash_line[1]), "rule: %s line 12 hits 1 bytes 28",
		 hash_id);
	write_raw("raw.pcap");
	is_int(run(NULL, "--test", "-c", path("rules.nft"), path("raw.pcap"), NULL), NFQD_EXIT_OK,
	       "raw IP capture: exit 0");
	is_str(err, "", "  nothing on stderr");
	lines_are("raw IP", raw_lines, N(raw_lines));
	first = strdup(out);

	/* the same engine whichever the matcher, and with -q as the daemon */
	is_int(run(NULL, "--test", "-c", path("rules.nft"), "--matcher", "aho-corasick", "-q", "0-3",
		   path("raw.pcap"), NULL), NFQD_EXIT_OK, "--matcher aho-corasick -q 0-3: exit 0");
	ok(first && !strcmp(out, first), "  the same output");
	/* standard input */
	is_int(run(path("raw.pcap"), "--test", "-c", path("rules.nft"), "-", NULL), NFQD_EXIT_OK,
	       "capture on standard input (-): exit 0");
	ok(first && !strcmp(out, first), "  the same output");
	free(first);

	/* `queue num 7` to a queue of its own: refused as by the daemon */
	is_int(run(NULL, "--test", "-c", path("rules.nft"), "-q", "7", path("raw.pcap"), NULL),
	       NFQD_EXIT_RULES, "-q 7 with a rule queueing to 7: exit %d (rules)", NFQD_EXIT_RULES);
	says(has(err, "rules.nft:10:") && has(err, "not loaded"),
	     "  says where, and that nothing was replayed");
	is_str(out, "", "  nothing on stdout");
}

/* ---- JSON --------------------------------------------------------------------- */

static void test_json(void)
{
	const char *l, *line1 =
		"{\"packet\": 1, \"time\": 1700000000.000001, \"len\": 40, \"caplen\": 40, "
		"\"family\": \"ip\", \"proto\": \"tcp\", \"src\": \"10.0.0.1\", \"dst\": \"10.0.0.2\", "
		"\"sport\": 40000, \"dport\": 22, \"verdict\": \"drop\", \"by\": \"rule\", "
		"\"rule\": \"ssh\", \"line\": 3}\n";
	int n = 0, objects = 0;

	is_int(run(NULL, "--test", "--json", "-c", path("rules.nft"), path("raw.pcap"), NULL),
	       NFQD_EXIT_OK, "--json: exit 0");
	for (l = out; *l; n++) {
		const char *nl = strchr(l, '\n');

		if (!nl)
			break;
		objects += l[0] == '{' && nl[-1] == '}';
		l = nl + 1;
	}
	is_int(n, 20, "  19 packets and the summary, a line each");
	is_int(objects, 20, "  each line one object");
	ok(!strncmp(out, line1, strlen(line1)), "  packet 1 in full");
	ok(has(out, "\"packet\": 5, \"time\": 1700000000.000005, \"len\": 29, \"caplen\": 29, "
		    "\"family\": \"ip\", \"proto\": \"udp\", \"src\": \"10.0.0.1\", \"dst\": "
		    "\"10.0.0.2\", \"sport\": 33000, \"dport\": 53, \"verdict\": \"accept\", \"by\": "
		    "\"rule\", \"rule\": \"dns query\", \"line\": 6, \"log\": [\"dns query\"]}"),
	   "  packet 5: log");
	ok(has(out, "\"verdict\": \"accept\", \"by\": \"rule\", \"rule\": \"rewrite\", \"line\": 7, "
		    "\"rewritten\": true}"), "  packet 6: rewritten");
	ok(has(out, "\"icmp_type\": 8, \"icmp_code\": 0, \"verdict\": \"accept\", \"by\": \"rule\", "
		    "\"rule\": \"ping4\", \"line\": 9, \"mark\": 32}"), "  packet 8: mark");
	ok(has(out, "\"verdict\": \"queue num 7 bypass\", \"by\": \"rule\", \"rule\": \"ping6\""),
	   "  packet 9: queue");
	ok(has(out, "{\"packet\": 14, \"time\": 1700000000.000014, \"len\": 28, \"caplen\": 28, "
		    "\"family\": \"ip\", \"proto\": \"udp\", \"src\": \"10.0.0.1\", \"dst\": "
		    "\"10.0.0.2\", \"fragment\": true, \"verdict\": \"drop\", \"by\": \"policy "
		    "fragment\"}"), "  packet 14: fragment");
	ok(has(out, "{\"packet\": 15, \"time\": 1700000000.000015, \"len\": 28, \"caplen\": 28, "
		    "\"malformed\": \"ihl\", \"verdict\": \"drop\", \"by\": \"policy malformed\"}"),
	   "  packet 15: malformed");
	ok(has(out, "\"len\": 1028, \"caplen\": 100,"), "  packet 17: truncated capture");
	ok(has(out, "{\"summary\": {\"frames\": 19, \"packets\": 19, \"skipped\": 0, \"accept\": 9, "
		    "\"drop\": 8, \"repeat\": 1, \"queue\": 1, \"reject\": 0, \"engine\": {\"policy\": 3, "
		    "\"fragment\": 1, \"malformed\": 2, \"fragment_no_l4\": 1, \"truncated\": 0, \"rewrite_done\": 1, "
		    "\"rewrite_refused_truncated\": 1, \"rewrite_refused_gso\": 0, "
		    "\"rewrite_refused_protocol\": 0, \"ct_no_connection\": 1, \"log_suppressed\": 0, "
		    "\"reject\": 0, \"reject_loop\": 0, \"detect_drop\": 0, \"detect_reject\": 0, "
		    "\"detect_repeat\": 0, \"detect_queue\": 0, \"detect_mark\": 0, "
		    "\"detect_rewrite\": 0, \"stream_joins\": 0, \"stream_out_of_order\": 0, "
		    "\"stream_evictions\": 0, \"stream_flows\": 0}, "
		    "\"rules\": [{\"id\": \"ssh\", \"line\": 3, \"hits\": 1, \"bytes\": 40}, "
		    "{\"id\": \"admin\", \"line\": 4, \"hits\": 1, \"bytes\": 61}, "),
	   "  the summary");
	ok(has(out, "{\"id\": \"mark10\", \"line\": 14, \"hits\": 0, \"bytes\": 0}]}}\n"),
	   "  ends with the last rule");
}

/* ---- Ethernet, VLANs, cooked captures, LINKTYPE_IPV4/IPV6 --------------------- */

static void test_ethernet(void)
{
	static const uint16_t ip[] = { 0x0800 }, vlan_ip[] = { 0x8100, 0x0800 },
		qinq_ip6[] = { 0x88a8, 0x8100, 0x86dd }, arp[] = { 0x0806 },
		three[] = { 0x8100, 0x8100, 0x8100, 0x0800 };
	uint8_t p[256], f[512];
	char l5[256], l8[128];
	const char *want[] = {
		"1 " T "01 tcp 10.0.0.1:40000 > 10.0.0.2:22 len 40 verdict drop by rule ssh line 3",
		"2 " T "02 udp 10.0.0.1:33000 > 10.0.0.2:53 len 29 verdict accept by rule \"dns query\""
			" line 6 log \"dns query\"",
		"3 " T "03 icmpv6 2001:db8::1 > 2001:db8::2 type 128 code 0 len 48 verdict queue num 7"
			" bypass by rule ping6 line 10",
		"4 " T "04 skipped: not IP (ethertype 0x0806)",
		l5,
		"6 " T "06 skipped: more than two VLAN tags",
		"7 " T "07 skipped: truncated link-layer header",
		l8,
		"summary: frames 8 packets 5 skipped 3 accept 1 drop 3 repeat 0 queue 1 reject 0",
	};
	struct cap c;
	size_t n;

	snprintf(l5, sizeof(l5), "5 " T "05 udp 10.0.0.1:33004 > 10.0.0.2:9999 len 28 verdict drop "
		 "by rule %s line 12", hash_id);
	snprintf(l8, sizeof(l8), "8 " T "08 malformed (version) len 48 verdict drop by policy "
		 "malformed");
	cap_open(&c, "eth.pcap", DLT_EN10MB);
	cap_add(&c, f, frame_of(f, DLT_EN10MB, ip, 1, p, tcp4(p, 40000, 22, NULL)));
	cap_add(&c, f, frame_of(f, DLT_EN10MB, vlan_ip, 2, p, udp4(p, 33000, 53, 1)));
	cap_add(&c, f, frame_of(f, DLT_EN10MB, qinq_ip6, 3, p, ping6(p)));
	memset(p, 0, 28);
	cap_add(&c, f, frame_of(f, DLT_EN10MB, arp, 1, p, 28));
	/* 42 bytes padded to Ethernet's 60: the IP packet is still 28 */
	n = frame_of(f, DLT_EN10MB, ip, 1, p, udp4(p, 33004, 9999, 0));
	memset(f + n, 0, 60 - n);
	cap_add(&c, f, 60);
	cap_add(&c, f, frame_of(f, DLT_EN10MB, three, 4, p, udp4(p, 33000, 53, 0)));
	cap_add(&c, f, 10);
	cap_add(&c, f, frame_of(f, DLT_EN10MB, ip, 1, p, ping6(p)));	/* IPv6 as 0x0800 */
	cap_close(&c);
	is_int(run(NULL, "--test", "-c", path("rules.nft"), path("eth.pcap"), NULL), NFQD_EXIT_OK,
	       "Ethernet capture: exit 0");
	is_str(err, "", "  nothing on stderr");
	lines_start("Ethernet", want, N(want));	/* then the engine and rule lines */
}

static void test_cooked(void)
{
	static const uint16_t ip[] = { 0x0800 }, ip6[] = { 0x86dd }, vlan_ip[] = { 0x8100, 0x0800 },
		arp[] = { 0x0806 }, lldp[] = { 0x88cc };
	uint8_t p[256], f[512];
	const char *want_sll[] = {
		"1 " T "01 udp 10.0.0.1:33000 > 10.0.0.2:53 len 29 verdict accept by rule \"dns query\""
			" line 6 log \"dns query\"",
		"2 " T "02 tcp [2001:db8::1]:40000 > [2001:db8::2]:22 len 60 verdict drop by rule ssh"
			" line 3",
		"3 " T "03 icmp 10.0.0.1 > 10.0.0.2 type 8 code 0 len 28 verdict accept by rule ping4"
			" line 9 mark set 0x20",
		"4 " T "04 skipped: not IP (ethertype 0x0806)",
		"summary: frames 4 packets 3 skipped 1 accept 2 drop 1 repeat 0 queue 0 reject 0",
	}, *want_sll2[] = {
		"1 " T "01 icmp 10.0.0.1 > 10.0.0.2 type 8 code 0 len 28 verdict accept by rule ping4"
			" line 9 mark set 0x20",
		"2 " T "02 udp [2001:db8:bad::5]:33002 > [2001:db8::2]:1234 len 48 verdict drop by rule"
			" bad6 line 8",
		"3 " T "03 skipped: not IP (ethertype 0x88cc)",
		"4 " T "04 udp 10.0.0.1:33000 > 10.0.0.2:53 len 29 verdict accept by rule \"dns query\""
			" line 6 log \"dns query\"",
		"summary: frames 4 packets 3 skipped 1 accept 2 drop 1 repeat 0 queue 0 reject 0",
	}, *want_v4[] = {
		"1 " T "01 udp 10.0.0.1:33000 > 10.0.0.2:53 len 29 verdict accept by rule \"dns query\""
			" line 6 log \"dns query\"",
		"summary: frames 1 packets 1 skipped 0 accept 1 drop 0 repeat 0 queue 0 reject 0",
	}, *want_v6[] = {
		"1 " T "01 tcp [2001:db8::1]:40000 > [2001:db8::2]:22 len 60 verdict drop by rule ssh"
			" line 3",
		"summary: frames 1 packets 1 skipped 0 accept 0 drop 1 repeat 0 queue 0 reject 0",
	};
	struct cap c;

	cap_open(&c, "sll.pcap", DLT_LINUX_SLL);
	cap_add(&c, f, frame_of(f, DLT_LINUX_SLL, ip, 1, p, udp4(p, 33000, 53, 1)));
	cap_add(&c, f, frame_of(f, DLT_LINUX_SLL, ip6, 1, p, tcp6(p, 40000, 22)));
	/* libpcap puts a stripped VLAN tag back at the type field */
	cap_add(&c, f, frame_of(f, DLT_LINUX_SLL, vlan_ip, 2, p, ping4(p)));
	memset(p, 0, 28);
	cap_add(&c, f, frame_of(f, DLT_LINUX_SLL, arp, 1, p, 28));
	cap_close(&c);
	is_int(run(NULL, "--test", "-c", path("rules.nft"), path("sll.pcap"), NULL), NFQD_EXIT_OK,
	       "Linux cooked (SLL) capture: exit 0");
	is_str(err, "", "  nothing on stderr");
	lines_start("SLL", want_sll, N(want_sll));

	cap_open(&c, "sll2.pcap", DLT_LINUX_SLL2);
	cap_add(&c, f, frame_of(f, DLT_LINUX_SLL2, ip, 1, p, ping4(p)));
	cap_add(&c, f, frame_of(f, DLT_LINUX_SLL2, ip6, 1, p, udp6_bad(p)));
	memset(p, 0, 46);
	cap_add(&c, f, frame_of(f, DLT_LINUX_SLL2, lldp, 1, p, 46));
	cap_add(&c, f, frame_of(f, DLT_LINUX_SLL2, vlan_ip, 2, p, udp4(p, 33000, 53, 1)));
	cap_close(&c);
	is_int(run(NULL, "--test", "-c", path("rules.nft"), path("sll2.pcap"), NULL), NFQD_EXIT_OK,
	       "Linux cooked v2 (SLL2) capture: exit 0");
	is_str(err, "", "  nothing on stderr");
	lines_start("SLL2", want_sll2, N(want_sll2));

	cap_open(&c, "ipv4.pcap", DLT_IPV4);
	cap_add(&c, p, udp4(p, 33000, 53, 1));
	cap_close(&c);
	is_int(run(NULL, "--test", "-c", path("rules.nft"), path("ipv4.pcap"), NULL), NFQD_EXIT_OK,
	       "LINKTYPE_IPV4 capture: exit 0");
	lines_start("IPV4", want_v4, N(want_v4));

	cap_open(&c, "ipv6.pcap", DLT_IPV6);
	cap_add(&c, p, tcp6(p, 40000, 22));
	cap_close(&c);
	is_int(run(NULL, "--test", "-c", path("rules.nft"), path("ipv6.pcap"), NULL), NFQD_EXIT_OK,
	       "LINKTYPE_IPV6 capture: exit 0");
	lines_start("IPV6", want_v6, N(want_v6));
}

/* ---- --mark and --ct-mark: what live packets would carry ------------------------ */

static void test_marks(void)
{
	uint8_t p[256];
	struct cap c;
	const char *bare[] = {
		"1 " T "01 udp 10.0.0.1:33000 > 10.0.0.2:4000 len 28 verdict accept by policy",
		"2 " T "02 udp 10.0.0.1:33000 > 10.0.0.2:4001 len 28 verdict accept by policy",
		"3 " T "03 udp 10.0.0.1:33000 > 10.0.0.2:5000 len 28 verdict repeat by rule again"
			" line 11 mark set 0x1",
	}, *marked[] = {
		"1 " T "01 udp 10.0.0.1:33000 > 10.0.0.2:4000 len 28 verdict accept by rule ct line 13"
			" ct mark set 0x1 mask 0x1",
		"2 " T "02 udp 10.0.0.1:33000 > 10.0.0.2:4001 len 28 verdict drop by rule mark10"
			" line 14",
		"3 " T "03 udp 10.0.0.1:33000 > 10.0.0.2:5000 len 28 verdict repeat by rule again"
			" line 11 mark set 0x1",
	};

	cap_open(&c, "marks.pcap", DLT_RAW);
	cap_add(&c, p, udp4(p, 33000, 4000, 0));
	cap_add(&c, p, udp4(p, 33000, 4001, 0));
	cap_add(&c, p, udp4(p, 33000, 5000, 0));
	cap_close(&c);
	is_int(run(NULL, "--test", "-c", path("rules.nft"), path("marks.pcap"), NULL), NFQD_EXIT_OK,
	       "no mark, no connection: exit 0");
	lines_start("no --mark", bare, N(bare));
	ok(has(out, " ct_no_connection 1 "), "  ct mark of no connection counted");
	is_int(run(NULL, "--test", "--mark", "0x10", "--ct-mark", "4", "-c", path("rules.nft"),
		   path("marks.pcap"), NULL), NFQD_EXIT_OK, "--mark 0x10 --ct-mark 4: exit 0");
	lines_start("--mark --ct-mark", marked, N(marked));
	ok(has(out, " ct_no_connection 0 "), "  every packet had a connection");
}

/* ---- --ct-state, --uid, --gid: conntrack state and socket owner ------------------- */

static void test_ct_state_uid(void)
{
	uint8_t p[256];
	struct cap c;
	const char *none[] = {
		"1 " T "01 udp 10.0.0.1:33000 > 10.0.0.2:4000 len 28 verdict drop by rule inv line 1",
	}, *est[] = {
		"1 " T "01 udp 10.0.0.1:33000 > 10.0.0.2:4000 len 28 verdict accept by rule est line 4",
	}, *newc[] = {
		"1 " T "01 udp 10.0.0.1:33000 > 10.0.0.2:4000 len 28 verdict accept by rule new line 2",
	}, *reply[] = {
		"1 " T "01 udp 10.0.0.1:33000 > 10.0.0.2:4000 len 28 verdict drop by rule reply line 5",
	}, *uid[] = {
		"1 " T "01 udp 10.0.0.1:33000 > 10.0.0.2:4000 len 28 verdict drop by rule uid line 3",
	};

	write_file("ct.nft", "ct state invalid drop comment \"inv\"\n"
			     "ct state new ct direction original accept comment \"new\"\n"
			     "meta skuid 1000 meta skgid 100 drop comment \"uid\"\n"
			     "ct state established ct direction original accept comment \"est\"\n"
			     "ct direction reply drop comment \"reply\"\n");
	cap_open(&c, "ct.pcap", DLT_RAW);
	cap_add(&c, p, udp4(p, 33000, 4000, 0));
	cap_close(&c);
	is_int(run(NULL, "--test", "-c", path("ct.nft"), path("ct.pcap"), NULL), NFQD_EXIT_OK,
	       "no connection: exit 0");
	lines_start("no connection: ct state invalid", none, N(none));
	is_int(run(NULL, "--test", "--ct-mark", "1", "-c", path("ct.nft"), path("ct.pcap"), NULL),
	       NFQD_EXIT_OK, "--ct-mark alone: exit 0");
	lines_start("--ct-mark alone: an established connection", est, N(est));
	is_int(run(NULL, "--test", "--ct-state", "new", "-c", path("ct.nft"), path("ct.pcap"), NULL),
	       NFQD_EXIT_OK, "--ct-state new: exit 0");
	lines_start("--ct-state new", newc, N(newc));
	is_int(run(NULL, "--test", "--ct-state", "established-reply", "-c", path("ct.nft"),
		   path("ct.pcap"), NULL), NFQD_EXIT_OK, "--ct-state established-reply: exit 0");
	lines_start("--ct-state established-reply: ct direction reply", reply, N(reply));
	is_int(run(NULL, "--test", "--ct-state", "established", "--uid", "1000", "--gid", "100",
		   "-c", path("ct.nft"), path("ct.pcap"), NULL), NFQD_EXIT_OK, "--uid --gid: exit 0");
	lines_start("--uid 1000 --gid 100: meta skuid/skgid", uid, N(uid));
	is_int(run(NULL, "--test", "--ct-state", "bogus", "-c", path("ct.nft"), path("ct.pcap"), NULL),
	       NFQD_EXIT_USAGE, "--ct-state bogus: exit 2");
	says(has(err, "expected new, established, related"), "--ct-state bogus: the states");
	is_int(run(NULL, "--ct-state", "new", "-c", path("ct.nft"), "-q", "0", NULL), NFQD_EXIT_USAGE,
	       "--ct-state without --test: exit 2");
}

/* ---- reject: the verdict in nft's words, the code sent, the loop guard ---------- */

static void test_reject(void)
{
	uint8_t p[256];
	struct cap c;
	const char *want[] = {
		"1 " T "01 tcp 10.0.0.1:40000 > 10.0.0.2:80 len 40 verdict reject with tcp reset by rule"
			" rst line 1 mark set 0x1000000",
		"2 " T "02 udp 10.0.0.1:33000 > 10.0.0.2:53 len 28 verdict reject with icmpx"
			" port-unreachable by rule unreach line 2 mark set 0x2000000",
		"3 " T "03 udp 10.0.0.1:33000 > 10.0.0.2:54 len 28 verdict reject with icmp"
			" admin-prohibited by rule admin line 3 mark set 0xc000100",
		"4 " T "04 udp [2001:db8:bad::5]:33002 > [2001:db8::2]:1234 len 48 verdict accept by policy",
		"summary: frames 4 packets 4 skipped 0 accept 1 drop 0 repeat 0 queue 0 reject 3",
		"engine: policy 1 fragment 0 malformed 0 fragment_no_l4 0 truncated 0 rewrite_done 0"
			" rewrite_refused_truncated 0 rewrite_refused_gso 0 rewrite_refused_protocol 0"
			" ct_no_connection 0 log_suppressed 0 reject 3 reject_loop 0"
			" detect_drop 0 detect_reject 0 detect_repeat 0 detect_queue 0 detect_mark 0 detect_rewrite 0"
			" stream_joins 0 stream_out_of_order 0 stream_evictions 0 stream_flows 0",
	}, *looped[] = {
		"1 " T "01 tcp 10.0.0.1:40000 > 10.0.0.2:80 len 40 verdict drop by reject loop guard",
		"2 " T "02 udp 10.0.0.1:33000 > 10.0.0.2:53 len 28 verdict drop by reject loop guard",
		"3 " T "03 udp 10.0.0.1:33000 > 10.0.0.2:54 len 28 verdict drop by reject loop guard",
		"4 " T "04 udp [2001:db8:bad::5]:33002 > [2001:db8::2]:1234 len 48 verdict drop by reject"
			" loop guard",
		"summary: frames 4 packets 4 skipped 0 accept 0 drop 4 repeat 0 queue 0 reject 0",
		"engine: policy 0 fragment 0 malformed 0 fragment_no_l4 0 truncated 0 rewrite_done 0"
			" rewrite_refused_truncated 0 rewrite_refused_gso 0 rewrite_refused_protocol 0"
			" ct_no_connection 0 log_suppressed 0 reject 0 reject_loop 4"
			" detect_drop 0 detect_reject 0 detect_repeat 0 detect_queue 0 detect_mark 0 detect_rewrite 0"
			" stream_joins 0 stream_out_of_order 0 stream_evictions 0 stream_flows 0",
	};

	write_file("reject.nft", "tcp dport 80 reject with tcp reset comment \"rst\"\n"
		   "udp dport 53 reject comment \"unreach\"\n"
		   "udp dport 54 meta mark set 0x100 reject with icmp admin-prohibited comment \"admin\"\n");
	cap_open(&c, "reject.pcap", DLT_RAW);
	cap_add(&c, p, tcp4(p, 40000, 80, NULL));
	cap_add(&c, p, udp4(p, 33000, 53, 0));
	cap_add(&c, p, udp4(p, 33000, 54, 0));
	cap_add(&c, p, udp6_bad(p));
	cap_close(&c);
	is_int(run(NULL, "--test", "-c", path("reject.nft"), path("reject.pcap"), NULL), NFQD_EXIT_OK,
	       "reject rules: exit 0");
	lines_start("reject", want, N(want));
	/* the packets as they come back when the nft chain lacks the reject rules */
	is_int(run(NULL, "--test", "--mark", "0x1000000", "-c", path("reject.nft"), path("reject.pcap"),
		   NULL), NFQD_EXIT_OK, "--mark with a reject code: exit 0");
	lines_start("reject loop", looped, N(looped));
	/* another field */
	is_int(run(NULL, "--test", "--reject-mark", "0xf8", "--mark", "0x1000000", "-c",
		   path("reject.nft"), path("reject.pcap"), NULL), NFQD_EXIT_OK,
	       "--reject-mark 0xf8: exit 0");
	ok(has(out, "verdict reject with tcp reset by rule rst line 1 mark set 0x1000008\n") &&
	   has(out, "by rule admin line 3 mark set 0x160\n") && has(out, " reject 3\n"),
	   "  codes at bit 3, the mark's other bits kept or set");
	is_int(run(NULL, "--test", "--json", "-c", path("reject.nft"), path("reject.pcap"), NULL),
	       NFQD_EXIT_OK, "--json: exit 0");
	ok(has(out, "\"verdict\": \"reject with tcp reset\", \"by\": \"rule\", \"rule\": \"rst\", "
		    "\"line\": 1, \"mark\": 16777216}") && has(out, "\"reject\": 3, \"engine\""),
	   "  the verdict and the count in JSON");
	write_file("bad.nft", "meta mark set ct mark accept\nreject\n");
	is_int(run(NULL, "--test", "-c", path("bad.nft"), path("reject.pcap"), NULL), NFQD_EXIT_RULES,
	       "a rule that copies ct mark bits into the reject field: exit %d", NFQD_EXIT_RULES);
	says(has(err, "bad.nft:1:1: expected a 'meta mark set' that leaves the reject mark field"),
	     "  says which rule");
}

/* ---- detect: what would have been done, the packet accepted --------------------- */

static void test_detect(void)
{
	uint8_t p[256];
	struct cap c;
	const char *want[] = {
		"1 " T "01 tcp 10.0.0.1:40000 > 10.0.0.2:80 len 40 verdict accept (detect: reject with"
			" tcp reset) by rule rst line 1",
		"2 " T "02 udp 10.0.0.1:33000 > 10.0.0.2:53 len 28 verdict accept (detect: drop, mark"
			" set 0x7) by rule dns line 2",
		"3 " T "03 udp 10.0.0.1:33000 > 10.0.0.2:54 len 28 verdict drop by rule real line 3",
		"4 " T "04 udp 10.0.0.1:33000 > 10.0.0.2:55 len 28 verdict accept by policy",
	}, *global[] = {
		"1 " T "01 tcp 10.0.0.1:40000 > 10.0.0.2:80 len 40 verdict accept (detect: reject with"
			" tcp reset) by rule rst line 1",
		"2 " T "02 udp 10.0.0.1:33000 > 10.0.0.2:53 len 28 verdict accept (detect: drop, mark"
			" set 0x7) by rule dns line 2",
		"3 " T "03 udp 10.0.0.1:33000 > 10.0.0.2:54 len 28 verdict accept (detect: drop) by rule"
			" real line 3",
		"4 " T "04 udp 10.0.0.1:33000 > 10.0.0.2:55 len 28 verdict accept by policy",
		"summary: frames 4 packets 4 skipped 0 accept 4 drop 0 repeat 0 queue 0 reject 0",
		"engine: policy 1 fragment 0 malformed 0 fragment_no_l4 0 truncated 0 rewrite_done 0"
			" rewrite_refused_truncated 0 rewrite_refused_gso 0 rewrite_refused_protocol 0"
			" ct_no_connection 0 log_suppressed 0 reject 0 reject_loop 0"
			" detect_drop 2 detect_reject 1 detect_repeat 0 detect_queue 0 detect_mark 1 detect_rewrite 0"
			" stream_joins 0 stream_out_of_order 0 stream_evictions 0 stream_flows 0",
	};

	write_file("detect.nft", "tcp dport 80 detect reject with tcp reset comment \"rst\"\n"
		   "udp dport 53 detect meta mark set 0x7 drop comment \"dns\"\n"
		   "udp dport 54 drop comment \"real\"\n");
	cap_open(&c, "detect.pcap", DLT_RAW);
	cap_add(&c, p, tcp4(p, 40000, 80, NULL));
	cap_add(&c, p, udp4(p, 33000, 53, 0));
	cap_add(&c, p, udp4(p, 33000, 54, 0));
	cap_add(&c, p, udp4(p, 33000, 55, 0));
	cap_close(&c);
	is_int(run(NULL, "--test", "-c", path("detect.nft"), path("detect.pcap"), NULL), NFQD_EXIT_OK,
	       "detect rules: exit 0");
	lines_start("detect", want, N(want));
	ok(has(out, " detect_drop 1 detect_reject 1 "), "  detect counters");
	is_int(run(NULL, "--test", "--detect-only", "-c", path("detect.nft"), path("detect.pcap"), NULL),
	       NFQD_EXIT_OK, "--detect-only: exit 0");
	lines_start("--detect-only", global, N(global));
	is_int(run(NULL, "--test", "--json", "-c", path("detect.nft"), path("detect.pcap"), NULL),
	       NFQD_EXIT_OK, "detect --json: exit 0");
	ok(has(out, "\"verdict\": \"accept\", \"detect\": \"drop\", \"detect_mark\": 7, \"by\": \"rule\", "
		    "\"rule\": \"dns\""), "  detect in JSON");
	ok(has(out, "\"detect_drop\": 1, \"detect_reject\": 1"), "  detect counters in JSON");
	write_file("bad.nft", "tcp dport 80 detect accept\n");
	is_int(run(NULL, "--test", "-c", path("bad.nft"), path("detect.pcap"), NULL), NFQD_EXIT_RULES,
	       "detect with nothing to detect: exit %d", NFQD_EXIT_RULES);
	says(has(err, "bad.nft:1:14: expected a verdict other than accept"), "  says which rule");
}

/* ---- evasions through the copy range (issue 21) ----------------------------------- */

/*
 * IPv6 TCP 2001:db8::66:40000 -> 2001:db8::2:80 behind `ext` bytes of
 * Destination Options (PadN, a multiple of 8; 0: none), after an atomic
 * fragment header (offset 0, no more fragments) when `atomic`; sequence
 * number seq, a correct checksum.
 */
static size_t tcp6_ext(uint8_t *b, size_t ext, bool atomic, uint8_t flags, uint32_t seq,
		       const void *payload, size_t plen)
{
	uint8_t hdrs[2048], l4[2048], first;
	size_t n = pkt_ext_chain(hdrs, ext, atomic, 6, &first), len;
	size_t l = l4_tcp(l4, 40000, 80, flags, payload, plen);

	l4[4] = (uint8_t)(seq >> 24); l4[5] = (uint8_t)(seq >> 16);
	l4[6] = (uint8_t)(seq >> 8);  l4[7] = (uint8_t)seq;
	len = pkt_ipv6(b, "2001:db8::66", "2001:db8::2", first, hdrs, n, l4, l);
	ref_l4_csum_set(b, len, 40 + n, 6, 40 + n + 16);
	return len;
}

/* A line of out for packet n that says `verdict`, shown when it does not. */
static void verdict_is(int n, const char *want, const char *what)
{
	char key[32];
	const char *l;

	snprintf(key, sizeof(key), "%d " T "%02d ", n, n);
	l = strstr(out, key);
	if (!ok(l && (l == out || l[-1] == '\n') && has(l, want) &&
		strstr(l, want) < (strchr(l, '\n') ? strchr(l, '\n') : l + strlen(l)), "%s", what))
		printf("#   want '%s' in line %d of:\n%s", want, n, out);
}

static void test_evasions(void)
{
	char pl[256];
	uint8_t p[2048];
	struct cap c;
	size_t n;

	/* 1: a content within depth 100 pushed past the 612 bytes asked for by
	 * a 472-byte Destination Options header */
	write_file("ev1.nft", "tcp dport 80 @payload content \"EVIL\" depth 100 drop\n");
	memset(pl, 'x', sizeof(pl));
	memcpy(pl, "GET /", 5);
	memcpy(pl + 80, "EVIL", 4);
	cap_open(&c, "ev1.pcap", DLT_RAW);
	n = tcp6_ext(p, 472, false, 0x18, 1, pl, 84);
	cap_add_cut(&c, p, 612, (uint32_t)n);		/* 1: as the kernel delivers it */
	cap_add(&c, p, n);				/* 2: whole */
	cap_add(&c, p, tcp6_ext(p, 0, false, 0x18, 1, pl, 84));	/* 3: no options */
	cap_add(&c, p, tcp6_ext(p, 472, false, 0x18, 1, pl, 80));	/* 4: 612 bytes, no EVIL */
	cap_close(&c);
	is_int(run(NULL, "--test", "-c", path("ev1.nft"), path("ev1.pcap"), NULL), NFQD_EXIT_OK,
	       "evasion 1 (content behind IPv6 options): exit 0");
	verdict_is(1, "verdict drop by policy truncated", "  cut to the copy range: drop, by policy truncated");
	verdict_is(2, "caplen 612 verdict drop by policy truncated",
		   "  whole in the capture: cut to the copy range 612 as live, the same");
	verdict_is(3, "verdict drop by rule", "  without the options: drop by the rule");
	verdict_is(4, "len 612 verdict accept by policy",
		   "  a long header chain within the copy range is judged as usual");
	says(has(out, " truncated 2 "), "  counted as truncated");

	/* 1b: @th,352,32 behind 480 bytes of options (copy range 560) */
	write_file("ev1b.nft", "tcp dport 80 @th,352,32 0x45564c21 drop\n");
	memcpy(pl, "xxxxxxxxxxxxxxxxxxxxxxxxEVL!", 28);
	cap_open(&c, "ev1b.pcap", DLT_RAW);
	n = tcp6_ext(p, 480, false, 0x18, 1, pl, 28);
	cap_add_cut(&c, p, 560, (uint32_t)n);
	cap_add(&c, p, tcp6_ext(p, 0, false, 0x18, 1, pl, 28));
	cap_close(&c);
	is_int(run(NULL, "--test", "-c", path("ev1b.nft"), path("ev1b.pcap"), NULL), NFQD_EXIT_OK,
	       "evasion 1 (@th behind IPv6 options): exit 0");
	verdict_is(1, "verdict drop by policy truncated", "  @th past the capture: drop, by policy truncated");
	verdict_is(2, "verdict drop by rule", "  without the options: drop by the rule");

	/* 2: cut inside the header chain by our own copy range is not malformed */
	write_file("ev2.nft", "tcp dport 80 @payload content \"EVIL\" depth 100 drop\n"
			      "policy malformed accept\n");
	cap_open(&c, "ev2.pcap", DLT_RAW);
	n = tcp6_ext(p, 600, false, 0x18, 1, pl, 84);
	cap_add_cut(&c, p, 612, (uint32_t)n);
	n = tcp6_ext(p, 0, false, 0x18, 1, pl, 84);
	p[40 + 12] = 4 << 4;				/* 2: TCP data offset 4: malformed */
	cap_add(&c, p, n);
	cap_close(&c);
	is_int(run(NULL, "--test", "-c", path("ev2.nft"), path("ev2.pcap"), NULL), NFQD_EXIT_OK,
	       "evasion 2 (policy malformed accept): exit 0");
	verdict_is(1, "verdict drop by policy truncated",
		   "  cut in its headers by the copy range: truncated, not malformed");
	verdict_is(2, "verdict accept by policy malformed", "  malformed on the wire: policy malformed");
	write_file("ev2b.nft", "tcp dport 80 @payload content \"EVIL\" depth 100 drop\n"
			       "policy truncated accept\n");
	is_int(run(NULL, "--test", "-c", path("ev2b.nft"), path("ev2.pcap"), NULL), NFQD_EXIT_OK,
	       "policy truncated accept: exit 0");
	verdict_is(1, "verdict accept by policy truncated", "  the operator's choice");

	/* 3: --test cuts each packet to the copy range, or to --copy-range */
	write_file("ev3.nft", "udp dport 7 @payload content \"X\" depth 10 drop\n");
	cap_open(&c, "ev3.pcap", DLT_RAW);
	cap_add(&c, p, udp4(p, 33000, 9, 1000));
	cap_close(&c);
	is_int(run(NULL, "--test", "-c", path("ev3.nft"), path("ev3.pcap"), NULL), NFQD_EXIT_OK,
	       "evasion 3 (copy range in --test): exit 0");
	verdict_is(1, "len 1028 caplen 522 verdict accept by policy",
		   "  cut to the rules' copy range, 522 bytes");
	is_int(run(NULL, "--test", "--copy-range", "2000", "-c", path("ev3.nft"), path("ev3.pcap"),
		   NULL), NFQD_EXIT_OK, "--test --copy-range 2000: exit 0");
	verdict_is(1, "len 1028 verdict accept by policy", "  whole");
	is_int(run(NULL, "--test", "--copy-range", "100", "-c", path("ev3.nft"), path("ev3.pcap"),
		   NULL), NFQD_EXIT_CONFIG, "--test --copy-range 100: exit %d, as the daemon",
	       NFQD_EXIT_CONFIG);
	says(has(err, "--copy-range 100") && has(err, "522"), "  says what the rules need");

	/* 4: atomic fragments (offset 0, no more fragments) are no fragments */
	write_file("ev4.nft", "tcp dport 80 @payload content \"GET /admin\" stream drop\n");
	cap_open(&c, "ev4.pcap", DLT_RAW);
	cap_add(&c, p, tcp6_ext(p, 0, true, 0x02, 499, "", 0));
	cap_add(&c, p, tcp6_ext(p, 0, true, 0x18, 500, "hello GET /ad", 13));
	cap_add(&c, p, tcp6_ext(p, 0, true, 0x18, 513, "min HTTP/1.1", 12));
	cap_add(&c, p, tcp6_ext(p, 16, true, 0x18, 525, "GET /admin", 10));
	cap_close(&c);
	is_int(run(NULL, "--test", "-c", path("ev4.nft"), path("ev4.pcap"), NULL), NFQD_EXIT_OK,
	       "evasion 4 (atomic fragments): exit 0");
	verdict_is(2, "verdict accept by policy", "  first half passes");
	verdict_is(3, "verdict drop by rule", "  the second half completes it: drop");
	ok(!has(out, " fragment len"), "  none of them shown as a fragment");
}

/* ---- non-first fragments: judged by the rules that need no transport header ------- */

static void test_fragments(void)
{
	uint8_t p[256], l4[64], frag[8] = { 17, 0, 0x00, 0xa0, 0, 0, 0, 7 };	/* offset 20 */
	static const uint8_t data[16] = { 0, 53, 0, 53, 0, 16 };	/* looks like UDP to 53 */
	struct cap c;
	size_t n;

	write_file("frag.nft", "ip saddr 192.0.2.66 drop comment \"host\"\n"
			       "udp dport 53 drop comment \"dns\"\n"
			       "@th,0,8 0 drop comment \"th\"\n"
			       "ip6 saddr 2001:db8::66 meta l4proto udp drop comment \"l4\"\n"
			       "@payload content \"5\" drop comment \"content\"\n");
	cap_open(&c, "frag.pcap", DLT_RAW);
	n = pkt_ipv4(p, "192.0.2.66", "10.0.0.2", 17, data, sizeof(data));
	p[7] = 100;				/* 1: offset 800 */
	cap_add(&c, p, n);
	n = pkt_ipv4(p, "10.0.0.1", "10.0.0.2", 17, data, sizeof(data));
	p[7] = 100;				/* 2 */
	cap_add(&c, p, n);
	memcpy(l4, data, sizeof(data));
	cap_add(&c, p, pkt_ipv6(p, "2001:db8::66", "2001:db8::2", 44, frag, 8, l4, 16));	/* 3 */
	cap_add(&c, p, pkt_ipv6(p, "2001:db8::1", "2001:db8::2", 44, frag, 8, l4, 16));	/* 4 */
	cap_close(&c);
	is_int(run(NULL, "--test", "-c", path("frag.nft"), path("frag.pcap"), NULL), NFQD_EXIT_OK,
	       "non-first fragments: exit 0");
	verdict_is(1, "fragment len 36 verdict drop by rule host line 1", "  ip saddr judges them, as in nft");
	verdict_is(2, "fragment len 36 verdict accept by policy fragment",
		   "  udp dport, @th and content do not: policy fragment decides");
	verdict_is(3, "fragment len 64 verdict drop by rule l4 line 4", "  ip6 saddr and meta l4proto do");
	verdict_is(4, "fragment len 64 verdict accept by policy fragment", "  the others: policy fragment");
}

/* ---- rule files that cannot be read whole are refused (issue 21) ------------------ */

static void test_rule_files(void)
{
	FILE *f;
	char sock[128];

	/* a directory: "OK, 0 rules" would start an IPS that accepts everything */
	mkdir(path("rules.d"), 0755);
	is_int(run(NULL, "--check", path("rules.d"), NULL), NFQD_EXIT_RULES,
	       "--check DIRECTORY: exit %d (rules)", NFQD_EXIT_RULES);
	says(has(err, "rules.d") && has(err, "directory") && !has(out, "OK"),
	     "  says it is a directory, not OK");
	snprintf(sock, sizeof(sock), "%s", path("sock"));
	is_int(run(NULL, "-c", path("rules.d"), "-q", "0", "--socket", sock, NULL), NFQD_EXIT_RULES,
	       "serving -c DIRECTORY: exit %d before anything else", NFQD_EXIT_RULES);
	says(has(err, "directory") && has(err, "not loaded"), "  says why");
	is_int(run(NULL, "--check", "/dev/null", NULL), NFQD_EXIT_RULES,
	       "--check /dev/null: exit %d", NFQD_EXIT_RULES);
	says(has(err, "regular file"), "  not a regular file");

	/* more than the limit: refused with it, not cut off at it */
	f = fopen(path("big.nft"), "w");
	if (f) {
		static char comment[1 << 16];

		memset(comment, ' ', sizeof(comment));
		comment[0] = '#';
		comment[sizeof(comment) - 1] = '\n';
		for (int i = 0; i < 1024; i++)
			fwrite(comment, 1, sizeof(comment), f);
		fputs("tcp dport 22 drop\n", f);
		fclose(f);
	}
	is_int(run(NULL, "--check", path("big.nft"), NULL), NFQD_EXIT_RULES,
	       "--check of 64 MiB of comments and then a rule: exit %d", NFQD_EXIT_RULES);
	says(has(err, "64 MiB") && !has(out, "OK"), "  refused with the limit in the message");
	/* a big file that loads: --check says how long it took and the memory */
	f = fopen(path("big.nft"), "w");
	if (f) {
		for (int i = 0; i < 40000; i++)
			fprintf(f, "ip saddr 10.%d.%d.%d tcp dport %d drop # padding to a MiB\n",
				i >> 16, (i >> 8) & 255, i & 255, 1 + i % 1000);
		fclose(f);
	}
	is_int(run(NULL, "--check", path("big.nft"), NULL), NFQD_EXIT_OK,
	       "--check of 40,000 rules (1.8 MiB): exit 0");
	ok(has(out, "OK, 40000 rules") && has(out, "big.nft: loaded in ") && has(out, " MiB peak memory"),
	   "  with the load time and the peak memory");
	unlink(path("big.nft"));
	rmdir(path("rules.d"));
}

/* ---- replay as a pre-deployment test (issue 21) ---------------------------------- */

/* A pcapng file by hand (libpcap writes pcap only): a section, an interface
 * named `ifname` of link type RAW, and enhanced packet blocks with the
 * direction flag (1 inbound, 2 outbound). */
static void pcapng_write(const char *name, const char *ifname, const uint8_t *const *pkts,
			 const size_t *lens, const unsigned *dirs, int n)
{
	FILE *f = fopen(path(name), "wb");
	uint8_t b[4096];
	uint32_t l, *w = (uint32_t *)b;
	size_t nl = strlen(ifname), pad = (4 - nl % 4) % 4;

	if (!f) {
		printf("Bail out! cannot write %s\n", name);
		exit(1);
	}
	/* SHB: type, length, byte-order magic, version 1.0, section length -1 */
	w[0] = 0x0a0d0d0a; w[1] = 28; w[2] = 0x1a2b3c4d; w[3] = 1; w[4] = 0xffffffff;
	w[5] = 0xffffffff; w[6] = 28;
	fwrite(b, 1, 28, f);
	/* IDB: link type 101 (RAW), snaplen 0, option if_name (2), end */
	l = (uint32_t)(20 + 4 + nl + pad + 4);
	memset(b, 0, sizeof(b));
	w[0] = 1; w[1] = l; w[2] = 101; w[3] = 0;
	b[16] = 2; b[17] = 0; b[18] = (uint8_t)nl; b[19] = 0;
	memcpy(b + 20, ifname, nl);
	memcpy(b + l - 4, &l, 4);
	fwrite(b, 1, l, f);
	for (int i = 0; i < n; i++) {
		size_t plen = lens[i], ppad = (4 - plen % 4) % 4;

		/* EPB: interface 0, time, lengths, data, option epb_flags (2), end */
		l = (uint32_t)(28 + plen + ppad + 8 + 4 + 4);
		memset(b, 0, sizeof(b));
		uint64_t ts = 1700000000000000ull + (uint64_t)i + 1;	/* microseconds */

		w[0] = 6; w[1] = l; w[2] = 0; w[3] = (uint32_t)(ts >> 32); w[4] = (uint32_t)ts;
		w[5] = (uint32_t)plen; w[6] = (uint32_t)plen;
		memcpy(b + 28, pkts[i], plen);
		b[28 + plen + ppad] = 2;
		b[28 + plen + ppad + 2] = 4;
		memcpy(b + 28 + plen + ppad + 4, &dirs[i], 4);
		memcpy(b + l - 4, &l, 4);
		fwrite(b, 1, l, f);
	}
	fclose(f);
}

static void test_replay_features(void)
{
	static uint8_t p[3][2048];
	const uint8_t *pk[3] = { p[0], p[1], p[2] };
	size_t len[3];
	unsigned dirs[3] = { 1, 2, 1 };
	struct cap c;
	pcap_t *in;
	char errbuf[PCAP_ERRBUF_SIZE];
	struct pcap_pkthdr *h;
	const u_char *data;
	int n = 0, rewritten_ok = 0;

	/* interfaces: --iifname / --oifname, or the capture's own (pcapng) */
	write_file("if.nft", "iifname \"eth1\" udp dport 53 drop comment \"in-eth1\"\n"
			     "oifname \"eth1\" udp dport 54 drop comment \"out-eth1\"\n");
	cap_open(&c, "if.pcap", DLT_RAW);
	cap_add(&c, p[0], udp4(p[0], 33000, 53, 0));
	cap_close(&c);
	is_int(run(NULL, "--test", "-c", path("if.nft"), path("if.pcap"), NULL), NFQD_EXIT_OK,
	       "no interface: exit 0");
	verdict_is(1, "verdict accept by policy", "  iifname does not match");
	is_int(run(NULL, "--test", "--iifname", "eth1", "-c", path("if.nft"), path("if.pcap"), NULL),
	       NFQD_EXIT_OK, "--iifname eth1: exit 0");
	verdict_is(1, "verdict drop by rule in-eth1", "  iifname \"eth1\" matches");
	len[0] = udp4(p[0], 33000, 53, 0);
	len[1] = udp4(p[1], 33000, 54, 0);
	len[2] = udp4(p[2], 33000, 54, 0);
	pcapng_write("if.pcapng", "eth1", pk, len, dirs, 3);
	is_int(run(NULL, "--test", "-c", path("if.nft"), path("if.pcapng"), NULL), NFQD_EXIT_OK,
	       "pcapng with interface eth1: exit 0");
	verdict_is(1, "verdict drop by rule in-eth1", "  an inbound packet: iifname from the capture");
	verdict_is(2, "verdict drop by rule out-eth1", "  an outbound one: oifname from the capture");
	verdict_is(3, "verdict accept by policy", "  inbound to 54: not oifname");

	/* --write-pcap: what leaves, rewritten; the dropped left out */
	cap_open(&c, "w.pcap", DLT_RAW);
	len[0] = udp4(p[0], 33001, 10010, 6);			/* rewritten */
	ref_l4_csum_set(p[0], len[0], 20, 17, 26);		/* with a checksum */
	cap_add(&c, p[0], len[0]);
	cap_add(&c, p[0], udp4(p[0], 33004, 9999, 0));		/* dropped */
	cap_add(&c, p[0], udp4(p[0], 33005, 7777, 3));		/* accepted */
	cap_close(&c);
	is_int(run(NULL, "--test", "--write-pcap", path("out.pcap"), "-c", path("rules.nft"),
		   path("w.pcap"), NULL), NFQD_EXIT_OK, "--write-pcap: exit 0");
	in = pcap_open_offline(path("out.pcap"), errbuf);
	if (ok(in != NULL, "  the output is a capture")) {
		while (pcap_next_ex(in, &h, &data) == 1) {
			n++;
			if (n == 1 && h->caplen == 34 && !memcmp(data + 28, "hhhhhh", 6) &&
			    ref_l4_csum_ok(data, h->caplen, 20, 17))
				rewritten_ok = 1;
		}
		is_int(pcap_datalink(in), DLT_RAW, "  of the capture's link type");
		pcap_close(in);
	}
	is_int(n, 2, "  two packets: the dropped one left out");
	ok(rewritten_ok, "  the first rewritten to 'h', its UDP checksum right");

	/* a refused rewrite says why */
	cap_open(&c, "rr.pcap", DLT_RAW);
	cap_add_cut(&c, p[0], 100, (uint32_t)udp4(p[0], 33008, 10010, 1000));
	cap_close(&c);
	is_int(run(NULL, "--test", "-c", path("rules.nft"), path("rr.pcap"), NULL), NFQD_EXIT_OK,
	       "a rewrite of a cut capture: exit 0");
	verdict_is(1, "by rule rewrite line 7 rewrite refused (capture cut short)",
		   "  the line says the rewrite was refused, and why");

	/* rules that read conntrack, replayed without a connection: a warning */
	write_file("ctw.nft", "ct state established accept\nudp dport 53 drop\n");
	is_int(run(NULL, "--test", "-c", path("ctw.nft"), path("if.pcap"), NULL), NFQD_EXIT_OK,
	       "rules reading ct state without --ct-state: exit 0");
	says(has(err, "line 1") && has(err, "--ct-state") && has(err, "invalid"),
	     "  warns that every packet has no connection, and names --ct-state");
	is_int(run(NULL, "--test", "--ct-state", "new", "-c", path("ctw.nft"), path("if.pcap"), NULL),
	       NFQD_EXIT_OK, "with --ct-state: exit 0");
	is_str(err, "", "  no warning");
}

/* ---- errors: each with its message and exit code ------------------------------- */

static void test_errors(void)
{
	struct stat st;
	uint8_t p[256];
	struct cap c;

	/* a capture cut inside its last record */
	if (stat(path("raw.pcap"), &st) || truncate(path("raw.pcap"), st.st_size - 10))
		printf("Bail out! cannot truncate raw.pcap\n");
	is_int(run(NULL, "--test", "-c", path("rules.nft"), path("raw.pcap"), NULL), NFQD_EXIT_INPUT,
	       "a capture cut short: exit %d (input)", NFQD_EXIT_INPUT);
	says(has(err, "raw.pcap is damaged after frame 18") && has(err, "truncated") &&
	     has(err, "the frames before it were replayed"), "  says where");
	ok(has(out, "18 " T "18 udp") && !has(out, "\n19 ") &&
	   has(out, "summary: frames 18 packets 18 skipped 0 accept 9 drop 7 repeat 1 queue 1 reject 0\n"),
	   "  the frames before it judged and counted");
	/* cut inside the file header */
	if (truncate(path("raw.pcap"), 10))
		printf("Bail out! cannot truncate raw.pcap\n");
	is_int(run(NULL, "--test", "-c", path("rules.nft"), path("raw.pcap"), NULL), NFQD_EXIT_INPUT,
	       "a capture cut in its header: exit %d", NFQD_EXIT_INPUT);
	says(has(err, "cannot read") && has(err, "raw.pcap") && has(err, "tcpdump -w"),
	     "  says so and what to give");
	is_str(out, "", "  nothing on stdout");

	is_int(run(NULL, "--test", "-c", path("rules.nft"), path("rules.nft"), NULL), NFQD_EXIT_INPUT,
	       "not a capture: exit %d", NFQD_EXIT_INPUT);
	says(has(err, "cannot read") && has(err, "unknown file format"), "  says so");

	is_int(run(NULL, "--test", "-c", path("rules.nft"), path("missing.pcap"), NULL),
	       NFQD_EXIT_INPUT, "a missing capture: exit %d", NFQD_EXIT_INPUT);
	says(has(err, "missing.pcap") && has(err, "No such file"), "  says so");

	cap_open(&c, "ppp.pcap", DLT_PPP);
	cap_add(&c, p, udp4(p, 33000, 53, 0));
	cap_close(&c);
	is_int(run(NULL, "--test", "-c", path("rules.nft"), path("ppp.pcap"), NULL), NFQD_EXIT_INPUT,
	       "link type PPP: exit %d", NFQD_EXIT_INPUT);
	says(has(err, "link type PPP") && has(err, "cannot be replayed") && has(err, "EN10MB") &&
	     has(err, "-i any"), "  names it and what is read");
	is_str(out, "", "  nothing on stdout");

	write_file("bad.nft", "udp dport 53 accept\ntcp dport 22 dorp\n");
	is_int(run(NULL, "--test", "-c", path("bad.nft"), path("ipv4.pcap"), NULL), NFQD_EXIT_RULES,
	       "a rule file with an error: exit %d (rules)", NFQD_EXIT_RULES);
	says(has(err, "bad.nft:2:") && has(err, "not loaded"), "  the error as --check prints it");
	is_str(out, "", "  nothing on stdout");

	is_int(run(NULL, "--test", path("ipv4.pcap"), NULL), NFQD_EXIT_USAGE, "--test without -c: exit %d",
	       NFQD_EXIT_USAGE);
	says(has(err, "-c FILE") && has(err, "--help"), "  says to give -c FILE");
	is_int(run(NULL, "--test", "-c", path("rules.nft"), NULL), NFQD_EXIT_USAGE,
	       "--test without a capture: exit %d", NFQD_EXIT_USAGE);
	says(has(err, "no capture") && has(err, "tcpdump -w"), "  says to give one");
	is_int(run(NULL, "--test", "-c", path("rules.nft"), "--fail-open", path("ipv4.pcap"), NULL),
	       NFQD_EXIT_USAGE, "--test --fail-open: exit %d", NFQD_EXIT_USAGE);
	says(has(err, "--fail-open is for serving queues"), "  says why");
	is_str(out, "", "  nothing on stdout");
}

int main(int argc, char **argv)
{
	const char *env = getenv("NFQRINGD");
	char *a0 = strdup(argv[0]);

	(void)argc;
	if (env)
		snprintf(bin, sizeof(bin), "%s", env);
	else
		snprintf(bin, sizeof(bin), "%s/../%s", dirname(a0), DAEMON);
	free(a0);
	if (access(bin, X_OK)) {
		printf("Bail out! %s: %s (make builds it; or set NFQRINGD)\n", bin, strerror(errno));
		return 1;
	}
#ifdef __SANITIZE_ADDRESS__
	{
		/* a sanitizer report must not pass for one of the daemon's exit codes */
		char o[512];
		const char *v = getenv("ASAN_OPTIONS");

		snprintf(o, sizeof(o), "%s%sexitcode=99", v ? v : "", v && *v ? ":" : "");
		setenv("ASAN_OPTIONS", o, 1);
		v = getenv("UBSAN_OPTIONS");
		snprintf(o, sizeof(o), "%s%sexitcode=99", v ? v : "", v && *v ? ":" : "");
		setenv("UBSAN_OPTIONS", o, 1);
	}
#endif
	printf("# running %s\n", bin);
	snprintf(dir, sizeof(dir), "/tmp/nfqr-replay-XXXXXX");
	if (!mkdtemp(dir)) {
		printf("Bail out! mkdtemp: %s\n", strerror(errno));
		return 1;
	}
	write_file("rules.nft", rules);
	find_hash_id();
	test_raw();
	test_json();
	test_ethernet();
	test_cooked();
	test_marks();
	test_ct_state_uid();
	test_reject();
	test_detect();
	test_evasions();
	test_fragments();
	test_rule_files();
	test_replay_features();
	test_errors();

	/* TEST_REPLAY_KEEP=1 keeps the captures and rules to look at */
	if (getenv("TEST_REPLAY_KEEP"))
		printf("# kept in %s\n", dir);
	else {
		static const char *const files[] = {
			"rules.nft", "bad.nft", "raw.pcap", "eth.pcap", "sll.pcap", "sll2.pcap",
			"ipv4.pcap", "ipv6.pcap", "marks.pcap", "ppp.pcap", "stdout", "stderr",
			"reject.nft", "reject.pcap", "detect.nft", "detect.pcap",
			"ev1.nft", "ev1.pcap", "ev1b.nft", "ev1b.pcap", "ev2.nft", "ev2b.nft", "ev2.pcap",
			"ev3.nft", "ev3.pcap", "ev4.nft", "ev4.pcap", "ct.nft", "ct.pcap",
			"frag.nft", "frag.pcap", "if.nft", "if.pcap", "if.pcapng", "w.pcap", "out.pcap",
			"rr.pcap", "ctw.nft",
		};

		for (size_t i = 0; i < N(files); i++)
			unlink(path(files[i]));
		rmdir(dir);
	}
	free(out);
	free(err);
	return tap_done();
}
