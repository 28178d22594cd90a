// SPDX-License-Identifier: GPL-2.0-only
/*
 * nfqringd --print-nft (src/nftchain.c): the exact table for a few option
 * combinations, the warnings about the ct bypass mark, and, where nft is
 * installed and this runs as root, `nft -c -f` on each table (a check
 * against the running kernel that loads nothing).
 */
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include "tap.h"

#include "nft.h"

#include "nftchain.h"
#include "opts.h"

static struct nfqd_opts o;
static char err[256];

/* argv for nfqd_opts_parse, NULL-terminated */
static int opts(const char *a0, ...)
{
	char *argv[32];
	int argc = 0;
	va_list ap;

	argv[argc++] = "nfqringd";
	va_start(ap, a0);
	for (const char *a = a0; a && argc < 31; a = va_arg(ap, const char *))
		argv[argc++] = (char *)a;
	va_end(ap);
	argv[argc] = NULL;
	return nfqd_opts_parse(&o, argc, argv, err, sizeof(err));
}

/* The table for the rules `text` and the options o; warnings in *warn. */
static char *print(const char *text, char **warn)
{
	struct nfqr_load_opts lo;
	struct nfqr_diag d = { 0 };
	struct nfqr_ruleset *rs;
	char *out = NULL;
	size_t len, wlen;
	FILE *f = open_memstream(&out, &len), *w = open_memstream(warn, &wlen);

	nfqd_opts_load(&o, &lo);
	rs = nfqr_ruleset_parse(o.config, text, strlen(text), &lo, &d);
	for (size_t i = 0; i < d.n; i++)
		printf("# %s\n", d.msgs[i]);
	nfqr_diag_free(&d);
	if (rs && f && w)
		nfqd_nft_chain(f, w, &o, rs);
	if (f)
		fclose(f);
	if (w)
		fclose(w);
	nfqr_ruleset_free(rs);
	return out;
}

/* got against want, line by line, so a failure shows where */
static void same_text(const char *got, const char *want, const char *what)
{
	int line = 1;
	const char *g = got, *w = want;

	while (*g && *w) {
		size_t gl = strcspn(g, "\n"), wl = strcspn(w, "\n");

		if (gl != wl || memcmp(g, w, gl)) {
			printf("#   line %d: got  '%.*s'\n#   line %d: want '%.*s'\n", line, (int)gl, g,
			       line, (int)wl, w);
			break;
		}
		g += gl + (g[gl] == '\n');
		w += wl + (w[wl] == '\n');
		line++;
	}
	if (!ok(!strcmp(got, want), "%s: exact output", what) && (*g || *w))
		printf("#   from line %d: got '%.80s', want '%.80s'\n", line, g, w);
}

#define REJECT_CHAIN_DEFAULT \
	"\tchain reject_marked {\n" \
	"\t\tmeta mark & 0x1f000000 == 0x01000000 meta l4proto tcp reject with tcp reset\n" \
	"\t\tmeta mark & 0x1f000000 == 0x02000000 reject with icmpx port-unreachable\n" \
	"\t\tmeta mark & 0x1f000000 == 0x03000000 reject with icmpx admin-prohibited\n" \
	"\t\tmeta mark & 0x1f000000 == 0x04000000 reject with icmpx host-unreachable\n" \
	"\t\tmeta mark & 0x1f000000 == 0x05000000 reject with icmpx no-route\n" \
	"\t\tmeta mark & 0x1f000000 == 0x06000000 meta nfproto ipv4 reject with icmp net-unreachable\n" \
	"\t\tmeta mark & 0x1f000000 == 0x07000000 meta nfproto ipv4 reject with icmp host-unreachable\n" \
	"\t\tmeta mark & 0x1f000000 == 0x08000000 meta nfproto ipv4 reject with icmp prot-unreachable\n" \
	"\t\tmeta mark & 0x1f000000 == 0x09000000 meta nfproto ipv4 reject with icmp port-unreachable\n" \
	"\t\tmeta mark & 0x1f000000 == 0x0a000000 meta nfproto ipv4 reject with icmp net-prohibited\n" \
	"\t\tmeta mark & 0x1f000000 == 0x0b000000 meta nfproto ipv4 reject with icmp host-prohibited\n" \
	"\t\tmeta mark & 0x1f000000 == 0x0c000000 meta nfproto ipv4 reject with icmp admin-prohibited\n" \
	"\t\tmeta mark & 0x1f000000 == 0x0d000000 meta nfproto ipv6 reject with icmpv6 no-route\n" \
	"\t\tmeta mark & 0x1f000000 == 0x0e000000 meta nfproto ipv6 reject with icmpv6 admin-prohibited\n" \
	"\t\tmeta mark & 0x1f000000 == 0x0f000000 meta nfproto ipv6 reject with icmpv6 addr-unreachable\n" \
	"\t\tmeta mark & 0x1f000000 == 0x10000000 meta nfproto ipv6 reject with icmpv6 port-unreachable\n" \
	"\t\tmeta mark & 0x1f000000 == 0x11000000 meta nfproto ipv6 reject with icmpv6 policy-fail\n" \
	"\t\tmeta mark & 0x1f000000 == 0x12000000 meta nfproto ipv6 reject with icmpv6 reject-route\n" \
	"\t}\n"

static const char rules_reject[] =
	"tcp dport 10080 reject with tcp reset comment \"rst\"\n"
	"udp dport 10081 reject comment \"unreach\"\n"
	"tcp dport 443 ct mark set ct mark | 0x1 accept comment \"bypass\"\n";

/* nfqringd -c rules.nft -q 0-3: the defaults (nfqringd(8) shows this one) */
static const char want_default[] =
	"# nft table for nfqringd -c rules.nft -q 0-3, printed by nfqringd --print-nft.\n"
	"# Load it with 'nft -f FILE'; it replaces table inet nfqringd as a whole.\n"
	"# Every packet of its hooks goes to the queues; narrow the queue rule\n"
	"# (e.g. meta l4proto { tcp, udp }) if the rules judge less.\n"
	"# The rules reject: nfqringd answers NF_REPEAT with a code in the packet mark\n"
	"# bits 0x1f000000 (--reject-mark, the daemon's too), so the chain runs\n"
	"# again and chain reject_marked rejects the packet.\n"
	"# Note: the rules set ct mark bits 0x00000001; if they mark flows that should\n"
	"# skip nfqringd, give those bits as --ct-bypass-mark.\n"
	"# Without --bypass, packets are dropped while no nfqringd serves queues 0-3.\n"
	"table inet nfqringd\n"
	"delete table inet nfqringd\n"
	"table inet nfqringd {\n"
	REJECT_CHAIN_DEFAULT
	"\n"
	"\tchain input {\n"
	"\t\ttype filter hook input priority filter; policy accept;\n"
	"\t\tmeta mark & 0x1f000000 != 0 jump reject_marked\n"
	"\t\tqueue to 0-3\n"
	"\t}\n"
	"\n"
	"\tchain forward {\n"
	"\t\ttype filter hook forward priority filter; policy accept;\n"
	"\t\tmeta mark & 0x1f000000 != 0 jump reject_marked\n"
	"\t\tqueue to 0-3\n"
	"\t}\n"
	"}\n";

/* no reject, one queue, output only, bypass, another table, --fail-open */
static const char want_plain[] =
	"# nft table for nfqringd -c plain.nft -q 7, printed by nfqringd --print-nft.\n"
	"# Load it with 'nft -f FILE'; it replaces table inet fw as a whole.\n"
	"# Every packet of its hooks goes to the queues; narrow the queue rule\n"
	"# (e.g. meta l4proto { tcp, udp }) if the rules judge less.\n"
	"# The rules do not reject: no reject rules here.  Print this again after\n"
	"# adding a reject (until then nfqringd drops what it rejects: reject_loop).\n"
	"# --fail-open: nfqringd asks the kernel to accept packets when a queue is\n"
	"# full (NFQA_CFG_F_FAIL_OPEN); nothing in nft.\n"
	"table inet fw\n"
	"delete table inet fw\n"
	"table inet fw {\n"
	"\tchain output {\n"
	"\t\ttype filter hook output priority filter; policy accept;\n"
	"\t\tqueue flags bypass to 7\n"
	"\t}\n"
	"}\n";

/* every hook, bypass and fanout, the ct bypass, another reject field */
static const char want_all[] =
	"# nft table for nfqringd -c all.nft -q 4-5 --reject-mark 0x000000f8, printed by nfqringd --print-nft.\n"
	"# Load it with 'nft -f FILE'; it replaces table inet nfqringd as a whole.\n"
	"# Every packet of its hooks goes to the queues; narrow the queue rule\n"
	"# (e.g. meta l4proto { tcp, udp }) if the rules judge less.\n"
	"# The rules reject: nfqringd answers NF_REPEAT with a code in the packet mark\n"
	"# bits 0x000000f8 (--reject-mark, the daemon's too), so the chain runs\n"
	"# again and chain reject_marked rejects the packet.\n"
	"# Flows whose ct mark has the bits 0x00000001 skip nfqringd (--ct-bypass-mark):\n"
	"# a rule with 'ct mark set ct mark | 0x1' lets nfqringd judge a flow once.\n"
	"# --fanout spreads packets by CPU: the packets of one flow may be judged\n"
	"# by different workers and leave reordered.\n"
	"table inet nfqringd\n"
	"delete table inet nfqringd\n"
	"table inet nfqringd {\n"
	"\tchain reject_marked {\n"
	"\t\tmeta mark & 0x000000f8 == 0x00000008 meta l4proto tcp reject with tcp reset\n"
	"\t\tmeta mark & 0x000000f8 == 0x00000010 reject with icmpx port-unreachable\n"
	"\t\tmeta mark & 0x000000f8 == 0x00000018 reject with icmpx admin-prohibited\n"
	"\t\tmeta mark & 0x000000f8 == 0x00000020 reject with icmpx host-unreachable\n"
	"\t\tmeta mark & 0x000000f8 == 0x00000028 reject with icmpx no-route\n"
	"\t\tmeta mark & 0x000000f8 == 0x00000030 meta nfproto ipv4 reject with icmp net-unreachable\n"
	"\t\tmeta mark & 0x000000f8 == 0x00000038 meta nfproto ipv4 reject with icmp host-unreachable\n"
	"\t\tmeta mark & 0x000000f8 == 0x00000040 meta nfproto ipv4 reject with icmp prot-unreachable\n"
	"\t\tmeta mark & 0x000000f8 == 0x00000048 meta nfproto ipv4 reject with icmp port-unreachable\n"
	"\t\tmeta mark & 0x000000f8 == 0x00000050 meta nfproto ipv4 reject with icmp net-prohibited\n"
	"\t\tmeta mark & 0x000000f8 == 0x00000058 meta nfproto ipv4 reject with icmp host-prohibited\n"
	"\t\tmeta mark & 0x000000f8 == 0x00000060 meta nfproto ipv4 reject with icmp admin-prohibited\n"
	"\t\tmeta mark & 0x000000f8 == 0x00000068 meta nfproto ipv6 reject with icmpv6 no-route\n"
	"\t\tmeta mark & 0x000000f8 == 0x00000070 meta nfproto ipv6 reject with icmpv6 admin-prohibited\n"
	"\t\tmeta mark & 0x000000f8 == 0x00000078 meta nfproto ipv6 reject with icmpv6 addr-unreachable\n"
	"\t\tmeta mark & 0x000000f8 == 0x00000080 meta nfproto ipv6 reject with icmpv6 port-unreachable\n"
	"\t\tmeta mark & 0x000000f8 == 0x00000088 meta nfproto ipv6 reject with icmpv6 policy-fail\n"
	"\t\tmeta mark & 0x000000f8 == 0x00000090 meta nfproto ipv6 reject with icmpv6 reject-route\n"
	"\t}\n"
	"\n"
	"\tchain input {\n"
	"\t\ttype filter hook input priority filter; policy accept;\n"
	"\t\tmeta mark & 0x000000f8 != 0 jump reject_marked\n"
	"\t\tct mark & 0x00000001 == 0x00000001 accept\n"
	"\t\tqueue flags bypass,fanout to 4-5\n"
	"\t}\n"
	"\n"
	"\tchain forward {\n"
	"\t\ttype filter hook forward priority filter; policy accept;\n"
	"\t\tmeta mark & 0x000000f8 != 0 jump reject_marked\n"
	"\t\tct mark & 0x00000001 == 0x00000001 accept\n"
	"\t\tqueue flags bypass,fanout to 4-5\n"
	"\t}\n"
	"\n"
	"\tchain output {\n"
	"\t\ttype filter hook output priority filter; policy accept;\n"
	"\t\tmeta mark & 0x000000f8 != 0 jump reject_marked\n"
	"\t\tct mark & 0x00000001 == 0x00000001 accept\n"
	"\t\tqueue flags bypass,fanout to 4-5\n"
	"\t}\n"
	"}\n";

/* ---- nft -c -f ---------------------------------------------------------------- */

static const char *nft_unusable;	/* why nft -c cannot check here */

/* text without its queue rules */
static char *without_queue(const char *text)
{
	char *out = malloc(strlen(text) + 1), *o = out;

	for (const char *l = text; out && *l;) {
		size_t len = strcspn(l, "\n");

		len += l[len] == '\n';
		if (strncmp(l, "\t\tqueue ", 8)) {
			memcpy(o, l, len);
			o += len;
		}
		l += len;
	}
	if (out)
		*o = 0;
	return out;
}

/* nft accepts the table: checked against the running kernel, which loads
 * nothing; a kernel without nft_queue can only check the rest. */
static void nft_accepts(const char *text, const char *what)
{
	char *msgs = NULL, *rest, *msgs2 = NULL;
	int rc;

	if (nft_unusable) {
		ok(1, "%s: nft -c -f # SKIP %s", what, nft_unusable);
		return;
	}
	rc = nft_check(text, &msgs);
	if (rc == 0) {
		ok(1, "%s: nft -c -f accepts it", what);
	} else if (rc > 0 && nft_only_queue_missing(msgs)) {
		rest = without_queue(text);
		rc = rest ? nft_check(rest, &msgs2) : -1;
		if (!ok(rc == 0, "%s: nft -c -f accepts it (this kernel has no nft_queue: the queue "
			"rules checked by nft, the rest by the kernel too)", what))
			printf("#   nft without the queue rules: %s\n", msgs2 ? msgs2 : "(did not run)");
		free(rest);
		free(msgs2);
	} else {
		ok(0, "%s: nft -c -f accepts it", what);
		printf("#   nft (%d): %s\n", rc, msgs ? msgs : "(did not run)");
	}
	free(msgs);
}

int main(void)
{
	char *out, *warn;

	nft_unusable = nft_find();
	printf("# nft: %s%s%s\n", nft_path()[0] ? nft_path() : "-", nft_unusable ? ", unusable: " : "",
	       nft_unusable ? nft_unusable : "");

	is_int(opts("--print-nft", "-c", "rules.nft", "-q", "0-3", NULL), 0, "default options");
	out = print(rules_reject, &warn);
	same_text(out ? out : "", want_default, "defaults");
	is_str(warn ? warn : "?", "", "  no warning");
	nft_accepts(want_default, "defaults");
	free(out);
	free(warn);

	is_int(opts("--print-nft", "-c", "plain.nft", "-q", "7", "--hooks", "output", "--bypass",
		    "--table", "fw", "--fail-open", NULL), 0, "no reject, one queue, output, bypass");
	out = print("udp dport 53 accept\nmeta mark set 0x1f000000 accept\n", &warn);
	same_text(out ? out : "", want_plain, "no reject");
	nft_accepts(want_plain, "no reject");
	free(out);
	free(warn);

	is_int(opts("--print-nft", "-c", "all.nft", "-q", "4-5", "--hooks", "output,forward,input",
		    "--bypass", "--fanout", "--ct-bypass-mark", "0x1", "--reject-mark", "0xf8", NULL), 0,
	       "every hook and option");
	out = print(rules_reject, &warn);
	same_text(out ? out : "", want_all, "every option");
	is_str(warn ? warn : "?", "", "  no warning: the rules set the bypass bit");
	nft_accepts(want_all, "every option");
	free(out);
	free(warn);

	/* the ct bypass mark against the bits the rules set */
	is_int(opts("--print-nft", "-c", "r.nft", "-q", "0", "--ct-bypass-mark", "0x3", NULL), 0,
	       "--ct-bypass-mark 0x3");
	out = print(rules_reject, &warn);
	ok(out && strstr(out, "# Warning: no rule sets the ct mark bits 0x00000002: no flow skips "
			 "nfqringd.\n") && strstr(out, "\t\tct mark & 0x00000003 == 0x00000003 accept\n"),
	   "  a bit no rule sets: a warning in the file");
	is_str(warn ? warn : "?", "nfqringd: warning: --ct-bypass-mark 0x00000003: no rule of r.nft sets "
	       "the ct mark bits 0x00000002, so no flow skips the queue\n", "  and on stderr");
	ok(out && strstr(out, "queue to 0\n") && !strstr(out, "--fanout"), "  one queue: queue to 0");
	free(out);
	free(warn);
	out = print("udp dport 1 accept\n", &warn);
	ok(out && strstr(out, "# Warning: no rule sets the ct mark bits 0x00000003") &&
	   !strstr(out, "Note:"), "  no ct mark set at all: warned");
	free(out);
	free(warn);

	/* the checker itself: a table nft refuses fails it */
	if (!nft_unusable) {
		char *msgs = NULL;
		int rc = nft_check("table inet nfqr_bad {\n\tchain input {\n\t\ttype filter hook input "
				   "priority filter; policy accept;\n\t\tqueue flags fanout to 5\n\t}\n}\n",
				   &msgs);

		ok(rc > 0 && !nft_only_queue_missing(msgs), "nft -c -f refuses fanout to one queue: the "
		   "check can fail (%d)", rc);
		free(msgs);
	} else {
		ok(1, "nft -c -f can fail # SKIP no usable nft");
	}
	return tap_done();
}
