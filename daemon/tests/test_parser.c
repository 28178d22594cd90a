/* SPDX-License-Identifier: GPL-2.0-only */
/* Rule parser: valid files load, and each invalid one gives exactly the
 * expected "file:line:col: expected X, got Y" message. */
#include <stdlib.h>
#include <string.h>

#include "nfqr_engine.h"
#include "tap.h"

static struct nfqr_ruleset *load(const char *text, struct nfqr_diag *d,
				 const struct nfqr_load_opts *o)
{
	return nfqr_ruleset_parse("t.nft", text, strlen(text), o, d);
}

static void valid(const char *text, unsigned rules, const char *what)
{
	struct nfqr_diag d = { 0 };
	struct nfqr_ruleset *rs = load(text, &d, NULL);

	if (!ok(rs != NULL, "valid: %s", what))
		for (size_t i = 0; i < d.n; i++)
			printf("#   %s\n", d.msgs[i]);
	else
		is_int(nfqr_ruleset_rule_count(rs), rules, "valid: %s: rule count", what);
	nfqr_ruleset_free(rs);
	nfqr_diag_free(&d);
}

static void invalid_o(const char *text, const char *msg, const struct nfqr_load_opts *o)
{
	struct nfqr_diag d = { 0 };
	struct nfqr_ruleset *rs = load(text, &d, o);

	ok(rs == NULL && d.n >= 1, "invalid file refused: %s", msg);
	if (d.n)
		is_str(d.msgs[0], msg, "message");
	else
		ok(0, "message");
	nfqr_ruleset_free(rs);
	nfqr_diag_free(&d);
}

static void invalid(const char *text, const char *msg) { invalid_o(text, msg, NULL); }

static const char issue_example[] =
	"define blocked4 = { 10.0.0.0/8, 192.0.2.7 }\n"
	"define blocked6 = { 2001:db8::/32 }\n"
	"udp dport 10086 drop\n"
	"udp dport 10010 payload fill \"h\" accept        # length-preserving rewrite\n"
	"ip saddr $blocked4 drop\n"
	"ip6 saddr $blocked6 drop\n"
	"tcp dport { 22, 8000-8099 } @payload content \"GET /admin\" drop\n"
	"iifname \"veth0\" meta mark & 0xff == 0x10 meta mark set 0x20 accept\n"
	"tcp dport 443 ct mark set ct mark | 0x1 accept   # flow bypass\n"
	"policy accept\n";

static void test_valid(void)
{
	valid(issue_example, 7, "the issue's example");
	valid("", 0, "empty file");
	valid("# only a comment\n\n   \n", 0, "comments and blank lines");
	valid("tcp dport 22 accept; udp dport 53 accept", 2, "';' separates rules");
	valid("tcp dport ssh \\\n  counter accept\n", 1, "line continuation, service name");
	valid("ip saddr != 10.0.0.0/8 ip daddr 192.0.2.1-192.0.2.9 drop", 1, "negation and address range");
	valid("ip6 daddr { ::1, fe80::/10, 2001:db8::1-2001:db8::ff } accept", 1, "ipv6 set");
	valid("meta l4proto { tcp, udp } th dport 1000-2000 counter", 1, "l4proto set, th, statement only");
	valid("tcp flags syn / syn,ack drop\ntcp flags & (fin|rst) != 0 drop\n"
	      "tcp flags == syn accept\ntcp flags { syn, syn|ack } accept\ntcp flags syn accept", 5, "tcp flags forms");
	valid("icmp type echo-request accept\nicmpv6 type { nd-neighbor-solicit, 128 } accept\n"
	      "icmp code 3 drop", 3, "icmp types by name and number");
	valid("meta length > 1400 drop\nmeta length 0-100 accept\nmeta length <= 64 log prefix \"tiny\" level info",
	      3, "length ranges and relational ops");
	valid("mark 0x10 accept\nmeta mark != 0 accept\nct mark & 0x1 == 0x1 accept", 3, "mark matches");
	valid("oifname { \"eth*\", \"lo\" } accept\nmeta iifname != \"veth0\" drop", 2, "interface names, wildcard");
	valid("@payload content \"abc\" offset 2 depth 10 nocase drop\n"
	      "@payload content 0x474554 drop", 2, "content options and hex");
	valid("udp dport 1 payload replace \"abc\" \"xyz\" accept", 1, "payload replace");
	valid("tcp dport 80 meta mark set 0x1 repeat\ntcp dport 81 ct mark set ct mark | 0x2 repeat\n"
	      "tcp dport 82 meta mark set meta mark ^ 0x4 repeat", 3, "repeat with a mark change");
	valid("queue num 7 bypass\nqueue flags bypass to 8\nqueue to 9", 3, "queue forms");
	valid("set blk { type ipv4_addr; flags interval; elements = { 10.0.0.0/8, 1.2.3.4 } }\n"
	      "ip saddr @blk drop\n", 1, "named interval set");
	valid("set ports {\n type inet_service\n elements = { 22, 80 }\n}\ntcp dport @ports accept",
	      1, "named set over lines");
	valid("define a = 1.2.3.4\ndefine b = { $a, 5.6.7.8 }\nip saddr $b drop", 1, "nested defines");
	valid("policy drop\npolicy fragment accept\npolicy malformed accept", 0, "policies");
	valid("tcp dport 22 accept comment \"ssh\"", 1, "rule comment");
	valid("counter packets 10 bytes 200 accept", 1, "counter with nft list values");
	valid("ct state established accept\nct state established,related accept\n"
	      "ct state != invalid accept\nct state { new, related } accept\nct state == new drop\n"
	      "ct state & (established|related) != 0 accept\nct state & new == new drop\n"
	      "ct state & established established accept\nct state & 0x6 != 0 accept\n"
	      "ct state established|related accept", 10, "ct state forms");
	valid("ct direction original accept\nct direction != reply drop\n"
	      "ct direction { original, reply } accept", 3, "ct direction forms");
	valid("meta skuid 0 accept\nmeta skgid != 0 drop\nskuid { 1000-1999, 65534 } accept\n"
	      "meta skuid > 999 accept\nskgid <= 100 drop\nmeta skuid root accept\n"
	      "meta skgid root accept\nmeta skuid 4294967295 accept", 8, "skuid/skgid: ids, names, ranges");
	valid("@th,16,16 22 drop\n@th,0,32 != 0 accept\n@nh,72,8 { 6, 17 } accept\n"
	      "@th,100,4 & 0xc == 0x4 accept\n@nh,0,4 4 accept\n@th,13,3 < 5 drop\n"
	      "@th,16,16 1000-2000 accept\n@nh,524248,32 0xffffffff accept\n@th,0,1 1 accept",
	      9, "raw payload matches");
	valid("set st { type ct_state; elements = { established, related } }\nct state @st accept\n"
	      "set u { type uid; flags interval; elements = { 1000-2000, root } }\nmeta skuid @u accept\n"
	      "set d { type ct_dir; elements = { reply } }\nct direction @d drop\n"
	      "set g { type gid; elements = { 0 } }\nskgid @g accept\nct state & (established|related) @st drop",
	      5, "named sets of ct_state, ct_dir, uid, gid");
	valid("define ok = { established, related }\nct state $ok accept\n"
	      "define port = 22\n@th,16,16 $port drop", 2, "defines with ct state and raw payload");
}

static void test_invalid(void)
{
	invalid("ip saddr 10.0.0.0/33 drop", "t.nft:1:19: expected a prefix length (0-32), got '33'");
	invalid("ip saddr 300.1.1.1 drop", "t.nft:1:10: expected an IPv4 address, got '300.1.1.1'");
	invalid("ip saddr 2001:db8::1 drop", "t.nft:1:10: expected an IPv4 address, got '2001:db8::1'");
	invalid("ip6 saddr 10.0.0.1 drop", "t.nft:1:11: expected an IPv6 address, got '10.0.0.1'");
	invalid("ip source 1.2.3.4", "t.nft:1:4: expected 'saddr' or 'daddr', got 'source'");
	invalid("tcp dport 65536 drop",
		"t.nft:1:11: expected a port number (0-65535) or service name, got '65536'");
	invalid("tcp dport 20-10 drop", "t.nft:1:14: expected a range end not below its start, got '10'");
	invalid("tcp dport { } drop",
		"t.nft:1:13: expected a port number (0-65535) or service name, got '}'");
	invalid("tcp dport { 1 2 } drop", "t.nft:1:15: expected ',' or '}', got '2'");
	invalid("udp flags syn drop", "t.nft:1:5: expected 'sport' or 'dport', got 'flags'");
	invalid("tcp flags bogus drop",
		"t.nft:1:11: expected a TCP flag (fin, syn, rst, psh, ack, urg, ecn, cwr), got 'bogus'");
	invalid("tcp flags ack / syn drop", "t.nft:1:11: expected flags within the mask 0x2, got 0x10");
	invalid("meta mark & 0xff == 0x100 accept",
		"t.nft:1:21: expected values within the mask 0xff, got 0x100");
	invalid("meta foo 1", "t.nft:1:6: expected 'mark', 'l4proto', 'nfproto', 'length', "
		"'iifname', 'oifname', 'skuid' or 'skgid', got 'foo'");
	invalid("ip saddr < 1.2.3.4 drop",
		"t.nft:1:12: expected '==' or '!=' for this field (no ordering), got '1.2.3.4'");
	invalid("iifname eth0 drop",
		"t.nft:1:9: expected an interface name in quotes (1-15 characters, '*' only at the end), got 'eth0'");
	invalid("iifname \"e*th\" drop",
		"t.nft:1:9: expected an interface name in quotes (1-15 characters, '*' only at the end), got string \"e*th\"");
	invalid("ip saddr $nope drop", "t.nft:1:10: expected a variable defined above, got '$nope'");
	invalid("define x = 1.2.3.4\ndefine x = 5.6.7.8",
		"t.nft:2:8: expected a new variable name, got 'x' (defined on line 1)");
	invalid("define v6 = { 2001:db8::/32 }\nip saddr $v6 drop",
		"t.nft:1:15: expected an IPv4 address, got '2001:db8::'");
	invalid("define x =\n", "t.nft:1:11: expected a value or { set }, got end of line");
	invalid("define a = $b\ndefine b = $a\nip saddr $a drop",
		"t.nft:2:12: expected at most 16 nested variables, got more (recursive define?)");
	invalid("set s { type ipv6_addr; elements = { ::1 } }\nip saddr @s drop",
		"t.nft:2:10: expected a set of type ipv4_addr, got @s of type ipv6_addr");
	invalid("set s { type ipv4_addr; elements = { 10.0.0.0/8 } }",
		"t.nft:1:38: expected single elements in a set without 'flags interval', got prefix or range '10.0.0.0'");
	invalid("set s { elements = { 1 } }", "t.nft:1:9: expected 'type' before 'elements', got 'elements'");
	invalid("set s { type color; }", "t.nft:1:14: expected a set type (ipv4_addr, ipv6_addr, "
		"inet_service, inet_proto, icmp_type, icmpv6_type, mark, ifname, ct_state, ct_dir, "
		"uid, gid), got 'color'");
	invalid("ip saddr @nope drop", "t.nft:1:10: expected a set declared above, got '@nope'");
	invalid("foo bar", "t.nft:1:1: expected a match, statement or verdict, got 'foo'");
	invalid("tcp dport 22 jump x", "t.nft:1:14: expected a match, statement or verdict, got 'jump' (the file is one chain, with no jumps: write the rules in order)");
	invalid("tcp dport 22 accept drop", "t.nft:1:21: expected end of rule after the verdict, got 'drop'");
	invalid("counter ip saddr 1.2.3.4 accept",
		"t.nft:1:9: expected a statement or verdict here (matches come before statements in "
		"nfqringd rules), got 'ip'");
	invalid("tcp dport 22 repeat",
		"t.nft:1:14: expected 'meta mark set' or 'ct mark set' changing the mark in a rule ending in "
		"'repeat' (the nft chain must be able to tell the packet was seen), got 'repeat' without one");
	invalid("meta mark set meta mark repeat",
		"t.nft:1:25: expected 'meta mark set' or 'ct mark set' changing the mark in a rule ending in "
		"'repeat' (the nft chain must be able to tell the packet was seen), got 'repeat' without one");
	invalid("meta mark 0x5 meta mark set 0x5 repeat",
		"t.nft:1:33: expected a mark change before 'repeat', got 'meta mark set 0x5' on packets "
		"whose mark already is 0x5 (a loop)");
	invalid("ct mark set ct mark & 0xffffffff repeat",
		"t.nft:1:34: expected 'meta mark set' or 'ct mark set' changing the mark in a rule ending in "
		"'repeat' (the nft chain must be able to tell the packet was seen), got 'repeat' without one");
	{
		static struct nfqr_load_opts o;

		nfqr_queue_set(&o, 0, 3);
		invalid_o("tcp dport 1 queue num 2", "t.nft:1:23: expected a queue nfqringd does not serve "
			  "itself, got 2 (the packet would come back: a loop)", &o);
		invalid_o("queue flags bypass to 0", "t.nft:1:23: expected a queue nfqringd does not serve "
			  "itself, got 0 (the packet would come back: a loop)", &o);
		valid("queue num 4", 1, "queue outside own queues (no queues given)");
	}
	invalid("queue 3", "t.nft:1:7: expected 'num' or 'to', got '3'");
	invalid("queue num 70000", "t.nft:1:11: expected a queue number (0-65535), got '70000'");
	invalid("@payload content \"\" drop",
		"t.nft:1:18: expected a non-empty string or hex bytes (0x...), got string \"\"");
	invalid("@payload content \"abcd\" depth 3 drop",
		"t.nft:1:31: expected a depth of at least 4 (the content length), got '3'");
	invalid("@payload content 0x123 drop",
		"t.nft:1:18: expected a non-empty string or hex bytes (0x...), got '0x123'");
	invalid("@payload match \"x\"", "t.nft:1:10: expected 'content', got 'match'");
	invalid("payload replace \"abc\" \"ab\" accept",
		"t.nft:1:23: expected a replacement of 3 bytes (rewrites preserve length), got 2 bytes");
	invalid("payload shuffle", "t.nft:1:9: expected 'fill' or 'replace', got 'shuffle'");
	invalid("meta mark set foo", "t.nft:1:15: expected a 32-bit value, 'meta mark' or 'ct mark', got 'foo'");
	invalid("log level loud", "t.nft:1:11: expected a log level (emerg, alert, crit, err, warn, "
		"notice, info, debug), got 'loud'");
	invalid("policy maybe", "t.nft:1:8: expected 'accept', 'drop', 'fragment', 'malformed' or 'truncated', got 'maybe'");
	invalid("policy accept\npolicy drop", "t.nft:2:1: expected one 'policy' line, got a second one");
	invalid("policy fragment queue", "t.nft:1:17: expected 'accept' or 'drop', got 'queue'");
	invalid("policy accept extra", "t.nft:1:15: expected end of line, got 'extra'");
	invalid("accept comment \"a\"\ndrop comment \"a\"",
		"t.nft:2:14: expected a unique rule comment (it is the rule's id), got \"a\" again (first on line 1)");
	invalid("ip saddr \"unterminated", "t.nft:1:10: expected '\"' to close the string, got end of line");
	invalid("tcp dport 22 ~ drop", "t.nft:1:14: expected a keyword, value or operator, got '~'");
	invalid("tcp dport 22 \x01", "t.nft:1:14: expected a keyword, value or operator, got byte 0x01");
	invalid("tcp dport\n", "t.nft:1:10: expected a port number (0-65535) or service name, got end of line");
	invalid("comment \"x\"", "t.nft:1:1: expected a match, statement or verdict, got 'comment'");
	invalid("ct status 1", "t.nft:1:4: expected 'state', 'direction' or 'mark', got 'status'");
	invalid("icmp kind 3", "t.nft:1:6: expected 'type' or 'code', got 'kind'");
	invalid("icmp type echo-requests", "t.nft:1:11: expected an ICMP type name or number (0-255), got 'echo-requests'");
	invalid("meta l4proto tcpp", "t.nft:1:14: expected a protocol name or number (0-255), got 'tcpp'");
}

/* ct state, ct direction, meta skuid/skgid, @th/@nh */
static void test_invalid_new_matches(void)
{
	invalid("ct state untracked accept",
		"t.nft:1:10: expected new, established, related or invalid, got 'untracked' (NFQUEUE "
		"sends untracked packets without conntrack information: they count as invalid here)");
	invalid("ct state { established, untracked } accept",
		"t.nft:1:25: expected new, established, related or invalid, got 'untracked' (NFQUEUE "
		"sends untracked packets without conntrack information: they count as invalid here)");
	invalid("ct state & (established|untracked) != 0",
		"t.nft:1:25: expected new, established, related or invalid, got 'untracked' (NFQUEUE "
		"sends untracked packets without conntrack information: they count as invalid here)");
	invalid("ct state establish accept",
		"t.nft:1:10: expected a conntrack state (new, established, related, invalid), got 'establish'");
	invalid("ct state 2 accept",
		"t.nft:1:10: expected a conntrack state (new, established, related, invalid), got '2'");
	invalid("ct state\n",
		"t.nft:1:9: expected a conntrack state (new, established, related, invalid), got end of line");
	invalid("ct state established, accept",
		"t.nft:1:23: expected a conntrack state (new, established, related, invalid), got 'accept'");
	invalid("ct state != established,related accept",
		"t.nft:1:24: expected a set { a, b } for more than one state after an operator, got ','");
	invalid("ct state established|bogus accept",
		"t.nft:1:22: expected a conntrack state (new, established, related, invalid), got 'bogus'");
	invalid("ct state < new", "t.nft:1:12: expected '==' or '!=' for this field (no ordering), got 'new'");
	invalid("ct state & (established|related accept", "t.nft:1:33: expected '|' or ')', got 'accept'");
	invalid("ct state & bogus != 0",
		"t.nft:1:12: expected conntrack states (new|established|related|invalid) or a number, got 'bogus'");
	invalid("ct state & established == related",
		"t.nft:1:27: expected values within the mask 0x2, got 0x4");
	invalid("ct state { new - related }",
		"t.nft:1:16: expected a single value (no ranges of this type), got '-'");
	invalid("set s { type ct_dir; elements = { reply } }\nct state @s accept",
		"t.nft:2:10: expected a set of type ct_state, got @s of type ct_dir");
	invalid("ct direction sideways", "t.nft:1:14: expected a conntrack direction (original, reply), got 'sideways'");
	invalid("ct direction > original",
		"t.nft:1:16: expected '==' or '!=' for this field (no ordering), got 'original'");
	invalid("ct direction 1", "t.nft:1:14: expected a conntrack direction (original, reply), got '1'");
	invalid("meta skuid nosuchuser_nfqr drop",
		"t.nft:1:12: expected a user id (0-4294967295) or user name, got 'nosuchuser_nfqr'");
	invalid("skgid 4294967296 drop",
		"t.nft:1:7: expected a group id (0-4294967295) or group name, got '4294967296'");
	invalid("skgid nosuchgroup_nfqr drop",
		"t.nft:1:7: expected a group id (0-4294967295) or group name, got 'nosuchgroup_nfqr'");
	invalid("meta skuid 2000-1000", "t.nft:1:17: expected a range end not below its start, got '1000'");
	invalid("meta skuid \"root\"", "t.nft:1:12: expected a user id (0-4294967295) or user name, got string \"root\"");
	invalid("set u { type uid; elements = { 1-5 } }",
		"t.nft:1:32: expected single elements in a set without 'flags interval', got prefix or range '1'");
	invalid("@th 16 16", "t.nft:1:5: expected ',' and an offset in bits (@th,OFFSET,LENGTH), got '16'");
	invalid("@th,x,8 1", "t.nft:1:5: expected an offset in bits (0-524248), got 'x'");
	invalid("@th,524249,8 1", "t.nft:1:5: expected an offset in bits (0-524248), got '524249'");
	invalid("@nh,0 1", "t.nft:1:7: expected ',' and a length in bits (@th,OFFSET,LENGTH), got '1'");
	invalid("@th,0,33 1", "t.nft:1:7: expected a length in bits (1-32), got '33'");
	invalid("@th,0,0 1", "t.nft:1:7: expected a length in bits (1-32), got '0'");
	invalid("@th,0,8 256 drop", "t.nft:1:9: expected an 8-bit number, got '256'");
	invalid("@th,0,16 > 70000", "t.nft:1:12: expected a 16-bit number, got '70000'");
	invalid("@th,0,16 1-70000", "t.nft:1:12: expected a 16-bit number, got '70000'");
	invalid("@nh,0,4\n", "t.nft:1:8: expected a 4-bit number, got end of line");
	invalid("@th,0,8 & 0x1ff == 1", "t.nft:1:11: expected an 8-bit mask, got '0x1ff'");
	invalid("@th,0,8 & 0xf0 == 0x1", "t.nft:1:19: expected values within the mask 0xf0, got 0x1");
	invalid("@ll,0,8 1", "t.nft:1:1: expected '@nh' or '@th', got '@ll' (NFQUEUE gives the packet from "
		"the network header on)");
	invalid("set ports { type inet_service; elements = { 22 } }\n@th,16,16 @ports drop",
		"t.nft:2:11: expected a set of type integer, got @ports of type inet_service");
	invalid("counter @th,0,8 1 accept",
		"t.nft:1:9: expected a statement or verdict here (matches come before statements in "
		"nfqringd rules), got '@th'");
}

/* reject: every form, its dependencies, and the reserved reject mark field */
static void test_reject(void)
{
	static const char *const rj = "(port-unreachable, admin-prohibited, host-unreachable, no-route)";
	static struct nfqr_load_opts field_ff;
	struct nfqr_diag d = { 0 };
	struct nfqr_ruleset *rs;
	char msg[400];

	valid("tcp dport 22 reject\nreject with tcp reset\nudp dport 53 reject with icmpx port-unreachable\n"
	      "reject with icmpx type admin-prohibited\nreject with icmpx host-unreachable\n"
	      "reject with icmpx no-route\nip saddr 10.0.0.1 reject with icmp port-unreachable\n"
	      "reject with icmp type host-prohibited\nreject with icmp net-unreachable\n"
	      "reject with icmp host-unreachable\nreject with icmp prot-unreachable\n"
	      "reject with icmp net-prohibited\nreject with icmp admin-prohibited\n"
	      "ip6 saddr ::1 reject with icmpv6 admin-prohibited\nreject with icmpv6 type no-route\n"
	      "reject with icmpv6 addr-unreachable\nreject with icmpv6 port-unreachable\n"
	      "reject with icmpv6 policy-fail\nreject with icmpv6 reject-route\n"
	      "meta l4proto { tcp, udp } reject with tcp reset\nmeta nfproto ipv4 reject with icmp "
	      "port-unreachable\nmeta mark set 0x10 reject comment \"r\"", 22, "every reject form");
	rs = load("tcp dport 22 reject", &d, NULL);
	ok(rs && nfqr_ruleset_uses_reject(rs) && nfqr_ruleset_reject_mark(rs) == NFQR_REJECT_MARK_DEFAULT,
	   "reject: uses_reject, default field 0x%08x", NFQR_REJECT_MARK_DEFAULT);
	nfqr_ruleset_free(rs);
	nfqr_diag_free(&d);
	rs = load("tcp dport 22 drop", &d, NULL);
	ok(rs && !nfqr_ruleset_uses_reject(rs), "no reject: field not reserved");
	nfqr_ruleset_free(rs);

	invalid("reject with\n", "t.nft:1:12: expected 'tcp reset', 'icmpx', 'icmp' or 'icmpv6', got end of line");
	invalid("reject with udp reset", "t.nft:1:13: expected 'tcp reset', 'icmpx', 'icmp' or 'icmpv6', got 'udp'");
	invalid("reject with tcp\n", "t.nft:1:16: expected 'reset', got end of line");
	invalid("reject with tcp rst", "t.nft:1:17: expected 'reset', got 'rst'");
	snprintf(msg, sizeof(msg), "t.nft:1:19: expected an icmpx reject type %s, got 'port-unreach'", rj);
	invalid("reject with icmpx port-unreach", msg);
	snprintf(msg, sizeof(msg), "t.nft:1:23: expected an icmpx reject type %s, got end of line", rj);
	invalid("reject with icmpx type\n", msg);
	snprintf(msg, sizeof(msg), "t.nft:1:19: expected an icmpx reject type %s, got '3'", rj);
	invalid("reject with icmpx 3", msg);
	invalid("reject with icmp no-route", "t.nft:1:18: expected an icmp reject type (net-unreachable, "
		"host-unreachable, prot-unreachable, port-unreachable, net-prohibited, host-prohibited, "
		"admin-prohibited), got 'no-route'");
	invalid("reject with icmpv6 prot-unreachable", "t.nft:1:20: expected an icmpv6 reject type "
		"(no-route, admin-prohibited, addr-unreachable, port-unreachable, policy-fail, "
		"reject-route), got 'prot-unreachable'");
	invalid("reject with icmp frag-needed", "t.nft:1:18: expected an icmp reject type (net-unreachable, "
		"host-unreachable, prot-unreachable, port-unreachable, net-prohibited, host-prohibited, "
		"admin-prohibited), got 'frag-needed'");
	invalid("reject accept", "t.nft:1:8: expected end of rule after the verdict, got 'accept'");
	invalid("reject with tcp reset drop", "t.nft:1:23: expected end of rule after the verdict, got 'drop'");
	invalid("policy reject", "t.nft:1:8: expected 'accept', 'drop', 'fragment', 'malformed' or 'truncated', got 'reject'");
	/* the protocol nft makes the kind depend on */
	invalid("udp dport 53 reject with tcp reset",
		"t.nft:1:26: expected matches that let TCP packets through before 'reject with tcp "
		"reset', got a rule for other protocols only (nft: conflicting protocols)");
	invalid("meta l4proto != tcp reject with tcp reset",
		"t.nft:1:33: expected matches that let TCP packets through before 'reject with tcp "
		"reset', got a rule for other protocols only (nft: conflicting protocols)");
	invalid("icmp type echo-request reject with tcp reset",
		"t.nft:1:36: expected matches that let TCP packets through before 'reject with tcp "
		"reset', got a rule for other protocols only (nft: conflicting protocols)");
	invalid("ip6 saddr ::1 reject with icmp port-unreachable",
		"t.nft:1:27: expected matches that let IPv4 packets through before 'reject with icmp', "
		"got a rule for IPv6 packets only (use icmpx for both)");
	invalid("meta nfproto ipv4 reject with icmpv6 no-route",
		"t.nft:1:31: expected matches that let IPv6 packets through before 'reject with icmpv6', "
		"got a rule for IPv4 packets only (use icmpx for both)");
	invalid("icmp code 3 reject with icmpv6 no-route",
		"t.nft:1:25: expected matches that let IPv6 packets through before 'reject with icmpv6', "
		"got a rule for IPv4 packets only (use icmpx for both)");

	/* the reserved field: only in a file that rejects */
	valid("meta mark set 0x01000000 accept\nmeta mark set ct mark accept\n"
	      "meta mark set meta mark & 0xe0ffffff repeat\nmeta mark set meta mark ^ 0x10000000 accept",
	      4, "no reject: the field is the rules' to use");
	valid("meta mark set ct mark & 0xe0ffffff accept\nmeta mark set meta mark | 0x20 reject\n"
	      "meta mark set 0x5 repeat\nct mark set ct mark | 0x01000000 repeat\n"
	      "meta mark set meta mark & 0xffff0000 repeat\nmeta mark set meta mark & 0x0 accept\n"
	      "reject", 7, "reject: changes outside the field, ct mark untouched by it");
	invalid("meta mark set 0x01000000 accept\ntcp dport 1 reject",
		"t.nft:1:1: expected a 'meta mark set' that leaves the reject mark field 0x1f000000 "
		"alone (the rules reject, line 2), got one that sets its bits 0x01000000 (use other "
		"bits, or move the field with --reject-mark)");
	invalid("udp dport 1 mark set meta mark | 0x30000000 reject",
		"t.nft:1:13: expected a 'meta mark set' that leaves the reject mark field 0x1f000000 "
		"alone (the rules reject, line 1), got one that sets its bits 0x10000000 (use other "
		"bits, or move the field with --reject-mark)");
	invalid("reject\nmeta mark set meta mark ^ 0x1f000001 accept",
		"t.nft:2:1: expected a 'meta mark set' that leaves the reject mark field 0x1f000000 "
		"alone (the rules reject, line 1), got one that sets its bits 0x1f000000 (use other "
		"bits, or move the field with --reject-mark)");
	invalid("meta mark set ct mark accept\nreject with tcp reset",
		"t.nft:1:1: expected a 'meta mark set' that leaves the reject mark field 0x1f000000 "
		"alone (the rules reject, line 2), got one that copies the connection mark's bits "
		"0x1f000000 into it (clear them: 'meta mark set ct mark & 0xe0ffffff'; or move the "
		"field with --reject-mark)");
	invalid("tcp dport 1 meta mark set meta mark & 0xe0ffffff repeat\nreject",
		"t.nft:1:50: expected a mark change outside the reject mark field 0x1f000000 before "
		"'repeat' (the rules reject, line 2: the field is clear on every packet they see), got "
		"one only inside it (a loop)");
	/* another field: --reject-mark 0xff */
	field_ff.reject_mark = 0xff;
	rs = load("meta mark set 0x01000000 accept\nmeta mark set meta mark & 0xe0ffffff repeat\n"
		  "reject", &d, &field_ff);
	ok(rs && nfqr_ruleset_reject_mark(rs) == 0xff, "--reject-mark 0xff: the default field is free");
	nfqr_ruleset_free(rs);
	nfqr_diag_free(&d);
	invalid_o("meta mark set 0x80 reject", "t.nft:1:1: expected a 'meta mark set' that leaves the "
		  "reject mark field 0x000000ff alone (the rules reject, line 1), got one that sets its "
		  "bits 0x00000080 (use other bits, or move the field with --reject-mark)", &field_ff);
	field_ff.reject_mark = 0x0f;
	invalid_o("reject", "t.nft:0:0: expected a reject mark field of 5 or more contiguous bits "
		  "(--reject-mark), got 0x0000000f", &field_ff);
	field_ff.reject_mark = 0x1f00f000;
	invalid_o("accept", "t.nft:0:0: expected a reject mark field of 5 or more contiguous bits "
		  "(--reject-mark), got 0x1f00f000", &field_ff);

	ok(nfqr_reject_mark_valid(0x1f) && nfqr_reject_mark_valid(0xf8000000) &&
	   nfqr_reject_mark_valid(0xffffffff) && nfqr_reject_mark_valid(0x7f000000),
	   "valid fields: 5 or more contiguous bits anywhere");
	ok(!nfqr_reject_mark_valid(0) && !nfqr_reject_mark_valid(0xf0000000) &&
	   !nfqr_reject_mark_valid(0x1e000000) && !nfqr_reject_mark_valid(0x3f000100),
	   "invalid fields: too narrow, a hole, two runs");
	is_int(nfqr_reject_mark_code(0x1f000000, NFQR_REJECT_TCP_RESET), 0x01000000, "code of tcp reset");
	is_int(nfqr_reject_mark_code(0xf8000000, NFQR_REJECT_ICMPV6_REJECT_ROUTE), 0x90000000,
	       "code 18 at bit 27");
	is_str(nfqr_reject_name(NFQR_REJECT_ICMPX_PORT_UNREACHABLE), "icmpx port-unreachable",
	       "name of plain reject");
	is_str(nfqr_reject_dependency(NFQR_REJECT_TCP_RESET), "meta l4proto tcp", "dependency of tcp reset");
	is_str(nfqr_reject_dependency(NFQR_REJECT_ICMPV6_POLICY_FAIL), "meta nfproto ipv6",
	       "dependency of icmpv6");
	is_str(nfqr_reject_dependency(NFQR_REJECT_ICMPX_NO_ROUTE), "", "icmpx depends on nothing");

	/* ct mark bits the rules set, for --print-nft's bypass check */
	rs = load("tcp dport 443 ct mark set ct mark | 0x1 accept\nct mark set 0x30\n"
		  "ct mark set ct mark & 0xff", &d, NULL);
	is_int(rs ? nfqr_ruleset_ct_mark_bits(rs) : 0, 0x31, "ct mark bits set: 0x31");
	nfqr_ruleset_free(rs);
	rs = load("ct mark set meta mark & 0xf00", &d, NULL);
	is_int(rs ? nfqr_ruleset_ct_mark_bits(rs) : 0, 0xf00, "ct mark set meta mark & 0xf00: 0xf00");
	nfqr_ruleset_free(rs);
	nfqr_diag_free(&d);
}

static void test_multiple_errors_and_ids(void)
{
	struct nfqr_diag d = { 0 };
	struct nfqr_ruleset *rs = load("foo\ntcp dport 22 accept\nbar\n", &d, NULL);

	ok(rs == NULL, "one bad line refuses the whole file");
	is_int(d.n, 2, "every bad line is reported");
	if (d.n == 2)
		is_str(d.msgs[1], "t.nft:3:1: expected a match, statement or verdict, got 'bar'", "second error");
	nfqr_diag_free(&d);

	rs = load("tcp dport 22 accept comment \"ssh\"\nudp dport 53 accept\nudp dport 53 accept\n", &d, NULL);
	if (ok(rs != NULL, "ids file loads")) {
		const char *a = nfqr_ruleset_rule_id(rs, 1), *b = nfqr_ruleset_rule_id(rs, 2);

		is_str(nfqr_ruleset_rule_id(rs, 0), "ssh", "comment is the id");
		ok(strncmp(a, "r-", 2) == 0 && strlen(a) == 18, "uncommented rule gets a text hash id");
		ok(!strncmp(a, b, strlen(a)) && !strcmp(b + strlen(a), "-2"),
		   "same text again: the same hash, and its number (%s)", b);
		is_int(nfqr_ruleset_find_rule(rs, "ssh"), 0, "find by id");
	}
	nfqr_ruleset_free(rs);
	/* the hash ignores spacing and trailing comments but not content */
	{
		struct nfqr_ruleset *x = load("udp  dport 53   accept # c", &d, NULL);
		struct nfqr_ruleset *y = load("udp dport 53 accept", &d, NULL);
		struct nfqr_ruleset *z = load("udp dport 54 accept", &d, NULL);

		ok(x && y && z, "id variants load");
		if (x && y && z) {
			is_str(nfqr_ruleset_rule_id(x, 0), nfqr_ruleset_rule_id(y, 0), "spacing does not change the id");
			ok(strcmp(nfqr_ruleset_rule_id(y, 0), nfqr_ruleset_rule_id(z, 0)) != 0, "a change in the rule does");
		}
		nfqr_ruleset_free(x);
		nfqr_ruleset_free(y);
		nfqr_ruleset_free(z);
	}
}

static void test_derived_settings(void)
{
	struct nfqr_diag d = { 0 };
	struct nfqr_ruleset *rs;

	rs = load("tcp dport 22 accept", &d, NULL);
	ok(rs && nfqr_ruleset_copy_range(rs) == 512, "headers only: 512 bytes");
	ok(rs && !nfqr_ruleset_needs_conntrack(rs), "no ct: no F_CONNTRACK");
	nfqr_ruleset_free(rs);
	rs = load("@payload content \"x\" offset 10 depth 100 drop", &d, NULL);
	is_int(rs ? nfqr_ruleset_copy_range(rs) : 0, 512 + 110, "content window adds offset+depth");
	nfqr_ruleset_free(rs);
	rs = load("@payload content \"x\" drop", &d, NULL);
	is_int(rs ? nfqr_ruleset_copy_range(rs) : 0, 65535, "unbounded content needs everything");
	nfqr_ruleset_free(rs);
	rs = load("udp dport 1 payload fill \"a\"", &d, NULL);
	is_int(rs ? nfqr_ruleset_copy_range(rs) : 0, 65535, "rewrite needs the whole packet");
	nfqr_ruleset_free(rs);
	rs = load("ct mark 1 accept", &d, NULL);
	ok(rs && nfqr_ruleset_needs_conntrack(rs), "ct match: F_CONNTRACK");
	nfqr_ruleset_free(rs);
	rs = load("meta mark set ct mark accept", &d, NULL);
	ok(rs && nfqr_ruleset_needs_conntrack(rs), "reading ct mark: F_CONNTRACK");
	ok(rs && !nfqr_ruleset_needs_uid_gid(rs), "no skuid/skgid: no F_UID_GID");
	nfqr_ruleset_free(rs);
	rs = load("ct state established,related accept", &d, NULL);
	ok(rs && nfqr_ruleset_needs_conntrack(rs), "ct state: F_CONNTRACK");
	nfqr_ruleset_free(rs);
	rs = load("ct direction reply accept", &d, NULL);
	ok(rs && nfqr_ruleset_needs_conntrack(rs), "ct direction: F_CONNTRACK");
	nfqr_ruleset_free(rs);
	rs = load("meta skuid 1000 accept", &d, NULL);
	ok(rs && nfqr_ruleset_needs_uid_gid(rs) && !nfqr_ruleset_needs_conntrack(rs),
	   "meta skuid: F_UID_GID, no F_CONNTRACK");
	nfqr_ruleset_free(rs);
	rs = load("skgid 100 accept", &d, NULL);
	ok(rs && nfqr_ruleset_needs_uid_gid(rs), "skgid: F_UID_GID");
	nfqr_ruleset_free(rs);
	/* raw payload: @th after the headers (the 512-byte allowance), @nh from byte 0 */
	rs = load("@th,0,16 1", &d, NULL);
	is_int(rs ? nfqr_ruleset_copy_range(rs) : 0, 512 + 2, "@th,0,16: headers + 2 bytes");
	nfqr_ruleset_free(rs);
	rs = load("@th,4000,32 1", &d, NULL);
	is_int(rs ? nfqr_ruleset_copy_range(rs) : 0, 512 + 504, "@th,4000,32: headers + 504 bytes");
	nfqr_ruleset_free(rs);
	rs = load("@th,4001,32 1", &d, NULL);
	is_int(rs ? nfqr_ruleset_copy_range(rs) : 0, 512 + 505, "@th,4001,32: unaligned, one byte more");
	nfqr_ruleset_free(rs);
	rs = load("@nh,100,8 1", &d, NULL);
	is_int(rs ? nfqr_ruleset_copy_range(rs) : 0, 512, "@nh within the headers: 512");
	nfqr_ruleset_free(rs);
	rs = load("@nh,8000,8 1", &d, NULL);
	is_int(rs ? nfqr_ruleset_copy_range(rs) : 0, 1001, "@nh,8000,8: 1001 bytes from the network header");
	nfqr_ruleset_free(rs);
	rs = load("@nh,524248,32 1", &d, NULL);
	is_int(rs ? nfqr_ruleset_copy_range(rs) : 0, 65535, "@nh at the end of 64 KiB");
	nfqr_ruleset_free(rs);
	rs = load("@th,524248,32 1", &d, NULL);
	is_int(rs ? nfqr_ruleset_copy_range(rs) : 0, 65535, "@th at the end of 64 KiB: capped");
	nfqr_ruleset_free(rs);
	rs = load("@payload content \"x\" offset 10 depth 100 drop\n@th,800,8 1\n@nh,4800,8 1", &d, NULL);
	is_int(rs ? nfqr_ruleset_copy_range(rs) : 0, 512 + 110, "content window larger than @th and @nh");
	nfqr_ruleset_free(rs);
	rs = load("@payload content \"x\" offset 10 depth 100 drop\n@th,1600,8 1", &d, NULL);
	is_int(rs ? nfqr_ruleset_copy_range(rs) : 0, 512 + 201, "@th beyond the content window");
	nfqr_ruleset_free(rs);
	nfqr_diag_free(&d);
}

static void test_detect(void)
{
	struct nfqr_diag d = { 0 };
	struct nfqr_ruleset *x, *y;

	valid("tcp dport 23 detect drop\n"
	      "tcp dport 24 detect reject with tcp reset\n"
	      "tcp dport 25 detect meta mark set 0x10 repeat\n"
	      "tcp dport 26 detect queue num 9\n"
	      "tcp dport 27 detect log prefix \"p\" payload fill \"x\" accept\n"
	      "tcp dport 28 detect ct mark set 0x1\n"
	      "tcp dport 29 detect counter meta mark set 0x2 comment \"c\"\n"
	      "detect drop\n", 8, "detect before every kind of verdict and change");
	invalid("tcp dport 23 detect accept\n",
		"t.nft:1:14: expected a verdict other than accept (drop, reject, repeat, queue) or a "
		"'meta mark set', 'ct mark set' or 'payload' statement after 'detect', got only "
		"'accept' (the rule would detect nothing)");
	invalid("tcp dport 23 detect log counter\n",
		"t.nft:1:14: expected a verdict other than accept (drop, reject, repeat, queue) or a "
		"'meta mark set', 'ct mark set' or 'payload' statement after 'detect', got none "
		"(the rule would detect nothing)");
	invalid("tcp dport 23 log detect drop\n",
		"t.nft:1:18: expected 'detect' before the rule's statements (it applies to the whole "
		"rule), got 'detect' after a statement");
	invalid("tcp dport 23 detect detect drop\n",
		"t.nft:1:21: expected a statement or verdict after 'detect', got 'detect'");
	invalid("detect tcp dport 23 drop\n",
		"t.nft:1:8: expected a statement or verdict here (matches come before statements in "
		"nfqringd rules), got 'tcp'");
	invalid("tcp dport 23 drop detect\n",
		"t.nft:1:19: expected end of rule after the verdict, got 'detect'");
	invalid("tcp dport 23 detect repeat\n",
		"t.nft:1:21: expected 'meta mark set' or 'ct mark set' changing the mark in a rule "
		"ending in 'repeat' (the nft chain must be able to tell the packet was seen), got "
		"'repeat' without one");
	/* the id ignores `detect`: counters survive turning it on and off */
	x = load("tcp dport 23 drop\n", &d, NULL);
	y = load("tcp dport 23 detect drop\n", &d, NULL);
	if (ok(x && y, "detect id variants load"))
		is_str(nfqr_ruleset_rule_id(x, 0), nfqr_ruleset_rule_id(y, 0), "detect does not change the id");
	ok(y && nfqr_ruleset_rule_detects(y, 0) && x && !nfqr_ruleset_rule_detects(x, 0),
	   "nfqr_ruleset_rule_detects");
	nfqr_ruleset_free(x);
	nfqr_ruleset_free(y);
	/* detect reject still reserves the reject field (remove `detect` and it rejects) */
	x = load("tcp dport 23 detect reject\n", &d, NULL);
	ok(x && nfqr_ruleset_uses_reject(x), "detect reject reserves the reject mark field");
	nfqr_ruleset_free(x);
	/* --detect-only: a load option; accept-only rules are fine then */
	{
		struct nfqr_load_opts o = { .detect_only = true };

		x = load("tcp dport 23 accept\ntcp dport 24 detect drop\n", &d, &o);
		ok(x && nfqr_ruleset_detect_only(x) && nfqr_ruleset_rule_detects(x, 0),
		   "detect_only load option: every rule detects");
		nfqr_ruleset_free(x);
	}
	nfqr_diag_free(&d);
}

/* ---- issue 21: strings mean what they say ----------------------------------------- */

static void test_escapes(void)
{
	valid("tcp dport 80 @payload content \"\\x41\\n\\t\\\"\\\\\\0\\r\" drop\n", 1,
	      "every documented escape");
	invalid("tcp dport 80 @payload content \"a\\qb\" drop\n",
		"t.nft:1:33: expected an escape in a string (\\\", \\\\, \\n, \\r, \\t, \\0, "
		"\\xHH), got '\\q'");
	invalid("tcp dport 80 @payload content \"a\\x4\" drop\n",
		"t.nft:1:33: expected an escape in a string (\\\", \\\\, \\n, \\r, \\t, \\0, "
		"\\xHH), got '\\x4\"'");
	invalid("tcp dport 80 log prefix \"C:\\Users\" drop\n",
		"t.nft:1:28: expected an escape in a string (\\\", \\\\, \\n, \\r, \\t, \\0, "
		"\\xHH), got '\\U'");
}

/* ---- issue 21: nft's flags forms, and what nft reads otherwise ------------------- */

static void test_flags_forms(void)
{
	valid("tcp flags & (fin|syn) == (fin|syn) drop\ntcp flags syn,ack drop\n"
	      "tcp flags ! syn,ack drop\ntcp flags != syn,ack drop\n"
	      "ct state ! established,related drop\nct state & (new|invalid) != 0 drop\n", 6,
	      "nft's flag forms: parentheses, lists, !");
	invalid("tcp flags & syn|ack == syn drop\n",
		"t.nft:1:13: expected a mask in parentheses, '& (syn|ack)', got '& syn|ack' (nft "
		"reads that as '(flags & syn) | ...', which tests something else)");
	invalid("tcp dport ! 22 drop\n",
		"t.nft:1:11: expected '!=', got '!' (as in nft, '!' negates flags only: tcp flags "
		"! syn, ct state ! established)");
	invalid("tcp flags syn / (syn|ack) drop\n",
		"t.nft:1:17: expected flags after '/' (a list: syn,ack; nft takes no parentheses "
		"there), got '('");
}

/* ---- issue 21: rules nft refuses as never matching ----------------------------------- */

static void test_conflicting_protocols(void)
{
	invalid("tcp dport 22 udp dport 22 drop\n",
		"t.nft:1:14: expected matches of one transport protocol, got udp after tcp (nft: "
		"conflicting protocols specified: tcp vs. udp; to match both: meta l4proto "
		"{ tcp, udp } th dport 22)");
	invalid("ip saddr 192.0.2.1 ip6 saddr 2001:db8::1 drop\n",
		"t.nft:1:20: expected matches of one network protocol, got ip6 after ip (nft: "
		"conflicting protocols specified: ip vs. ip6; write a rule for each)");
	invalid("meta l4proto udp tcp dport 22 drop\n",
		"t.nft:1:18: expected matches of one transport protocol, got tcp after udp (nft: "
		"conflicting protocols specified: udp vs. tcp; to match both: meta l4proto "
		"{ udp, tcp } th dport 22)");
	invalid("meta nfproto ipv6 ip daddr 192.0.2.1 drop\n",
		"t.nft:1:19: expected matches of one network protocol, got ip after ip6 (nft: "
		"conflicting protocols specified: ip6 vs. ip; write a rule for each)");
	invalid("tcp flags syn icmp type echo-request drop\n",
		"t.nft:1:15: expected matches of one transport protocol, got icmp after tcp (nft: "
		"conflicting protocols specified: tcp vs. icmp; write a rule for each)");
	/* what nft takes, nfqringd takes: they never match there either */
	valid("meta l4proto != udp tcp dport 22 drop\nip6 saddr ::1 icmp type echo-request drop\n"
	      "tcp dport 22 meta l4proto udp drop\nmeta l4proto { tcp, udp } th dport 22 drop\n"
	      "udp dport 1 th dport 2 drop\n", 5, "what nft does not call conflicting");
}

/* ---- issue 21: smaller things ----------------------------------------------------- */

static void content_limit(enum nfqr_cm_backend be, const char *name)
{
	struct nfqr_load_opts o = { .backend = be };
	static const char pre[] = "tcp dport 80 @payload content \"";
	size_t l = sizeof(pre) - 1, n = 17000;
	char *t = malloc(l + n + 64);
	struct nfqr_diag d = { 0 };
	struct nfqr_ruleset *rs;

	memcpy(t, pre, l);
	memset(t + l, 'a', n);
	snprintf(t + l + n, 34, "\" drop\n");
	invalid_o(t, "t.nft:1:31: expected a content of at most 16000 bytes (what the content "
		  "matchers take), got 17000 bytes", &o);
	printf("#   (with %s)\n", name);
	snprintf(t + l + 16000, 34, "\" drop\n");
	rs = load(t, &d, &o);
	ok(rs != NULL, "16,000 bytes load with %s", name);
	for (size_t i = 0; i < d.n; i++)
		printf("#   %s\n", d.msgs[i]);
	nfqr_ruleset_free(rs);
	nfqr_diag_free(&d);
	free(t);
}

static void test_smaller(void)
{
	struct nfqr_diag d = { 0 };
	struct nfqr_ruleset *rs;

	/* the same limit whatever the matcher, at the string */
	content_limit(NFQR_CM_AHO_CORASICK, "aho-corasick");
	content_limit(NFQR_CM_AUTO, "the default matcher");

	/* identical rules without a comment: an id each, so counters stay apart */
	rs = load("tcp dport 22 drop\nudp dport 53 accept\ntcp dport 22 drop\ntcp  dport 22  drop\n",
		  &d, NULL);
	if (ok(rs != NULL, "identical rules load")) {
		const char *a = nfqr_ruleset_rule_id(rs, 0), *b = nfqr_ruleset_rule_id(rs, 2),
			   *c = nfqr_ruleset_rule_id(rs, 3);

		ok(strcmp(a, b) && strcmp(a, c) && strcmp(b, c), "  three ids: %s %s %s", a, b, c);
		ok(nfqr_ruleset_find_rule(rs, a) == 0 && nfqr_ruleset_find_rule(rs, b) == 2 &&
		   nfqr_ruleset_find_rule(rs, c) == 3, "  each finds its rule");
		ok(!strncmp(b, a, strlen(a)), "  the repeat's id is the first's and its number: %s", b);
	}
	nfqr_ruleset_free(rs);
	nfqr_diag_free(&d);

	/* one unsupported set property: one error */
	rs = load("set s { type ipv4_addr; size 100; elements = { 192.0.2.1 } }\nip saddr @s drop\n",
		  &d, NULL);
	ok(rs == NULL && d.n == 1, "an unsupported set property: one error (%zu)", d.n);
	if (d.n)
		is_str(d.msgs[0], "t.nft:1:25: expected 'type', 'flags', 'timeout', 'elements' or '}', "
		       "got 'size' (nfqringd's sets hold what the file and --load-set give them: no "
		       "size, policy, counter or auto-merge)", "  message");
	nfqr_ruleset_free(rs);
	nfqr_diag_free(&d);

	/* what nft has and nfqringd does not: where to go instead */
	invalid("tcp dport 22 limit rate 10/second accept\n",
		"t.nft:1:14: expected a match, statement or verdict, got 'limit' (rate limits, "
		"meters and quotas belong in the nft chain, before its queue rule)");
	invalid("ip saddr 192.0.2.1 meter m { ip saddr limit rate 1/second } accept\n",
		"t.nft:1:20: expected a match, statement or verdict, got 'meter' (rate limits, "
		"meters and quotas belong in the nft chain, before its queue rule)");
	invalid("quota 10 mbytes drop\n",
		"t.nft:1:1: expected a match, statement or verdict, got 'quota' (rate limits, "
		"meters and quotas belong in the nft chain, before its queue rule)");
	invalid("include \"more.nft\"\n",
		"t.nft:1:1: expected a match, statement or verdict, got 'include' (nfqringd reads "
		"one file: put the rules in it, e.g. cat a.nft b.nft > rules.nft)");
	invalid("table inet filter {\n chain input {\n  tcp dport 22 drop\n }\n}\n",
		"t.nft:1:1: expected a match, statement or verdict, got 'table' (the file is one "
		"chain: give the rules of the chain alone, without table and chain)");
	invalid("ip protocol tcp drop\n",
		"t.nft:1:4: expected 'saddr' or 'daddr', got 'protocol' (for the protocol: meta "
		"l4proto tcp, after IPv6 extension headers too; with meta nfproto ipv4 for IPv4 "
		"alone)");
}

int main(void)
{
	test_valid();
	test_invalid();
	test_invalid_new_matches();
	test_reject();
	test_multiple_errors_and_ids();
	test_derived_settings();
	test_detect();
	test_escapes();
	test_flags_forms();
	test_conflicting_protocols();
	test_smaller();
	return tap_done();
}
