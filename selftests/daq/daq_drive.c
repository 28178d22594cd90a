// SPDX-License-Identifier: GPL-2.0
/*
 * daq_drive: a DAQ driver over daq.h, driving a module the way Snort 2.9
 * does (daq_load_modules, daq_initialize, daq_start, daq_acquire with an
 * analysis callback, daq_breakloop, daq_stop, daq_shutdown), in a network
 * namespace of its own with UDP on loopback queued by nft, and counting
 * at the receivers what became of every datagram.
 *
 *   daq_drive -m MODULE -d DIR [-d DIR]... [-v KEY=VALUE]... [-n COUNT] -s SCENARIO
 *
 * Scenarios (the same for daq_nfq and daq_nfqring; ports 7001-7009, one
 * flow each, the callback's verdict chosen by port):
 *   verdicts  PASS, BLOCK and REPLACE (the payload upper-cased in place,
 *             the UDP checksum recomputed): delivered, dropped, replaced
 *             with a checksum the receiving kernel accepts; and daq_inject
 *             of 5 packets to port 7010, which is not queued
 *   bypass    WHITELIST, IGNORE (first packet) and BLACKLIST (second
 *             packet) of a flow; the callback then says what Snort's flow
 *             state would.  With daq_nfqring the later packets must never
 *             be queued (the nft rule of the connmark bits lets them by)
 *   retry     RETRY once per packet, then PASS: daq_nfqring repeats the
 *             hook (every packet seen twice, all delivered); Debian's
 *             daq_nfq drops a RETRY (NF_DROP), which this checks as well
 *   full      the callback stalls on the first packet while COUNT-1 more
 *             arrive: the queue holds queue_len (-v queue_len=N), the
 *             kernel drops the rest
 *   failopen  the same on daq_nfqring with fail_open=1 and a short ring:
 *             every packet delivered, those the ring could not take
 *             unseen, counted as fail-open by the module
 *   stop      COUNT queued, acquire cnt=10, then stop and shutdown: 10
 *             delivered, the rest dropped, the queue no longer bound
 *   errors    daq_initialize refusals: an unknown variable, a bad queue
 *             number, a queue bound already (by a first instance); the
 *             DAQ error printed, nothing left bound
 *   noload    daq_initialize without the backend loaded: the error
 * Prints "fates ..." lines (what the receivers saw: the three
 * configurations must print the same), "own ..." lines (what differs by
 * module, checked here) and exits 0 when the scenario's books balance.
 */
#include <arpa/inet.h>
#include <daq.h>
#include <errno.h>
#include <netinet/ip.h>
#include <netinet/udp.h>
#include <pthread.h>
#include <semaphore.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "check.h"
#include "net.h"
#include "../../daemon/daq/daq_nfqring_stats.h"

#define BASE	7000
/* F_INJECT's port is not queued: daq_inject's packets go straight to it */
enum flow { F_PASS = 1, F_BLOCK, F_REPLACE, F_WHITE, F_BLACK, F_IGNORE, F_RETRY, F_FULL,
	    F_STOP, F_INJECT, NFLOWS };
#define QUEUED_FLOWS	F_STOP
static const char *const flow_name[NFLOWS] = {
	"", "pass", "block", "replace", "whitelist", "blacklist", "ignore", "retry", "full", "stop",
	"inject"
};
#define MAXSEQ	4096
#define QUEUE	0
#define TEXT	"the quick brown fox jumps over the lazy dog"

struct payload {
	char tag[8];		/* "daqtest" */
	uint32_t seq;
	char text[sizeof(TEXT)];
};

/* ---- the configuration ---- */
static const char *module_name, *scenario;
static const char *dirs[8];
static unsigned int ndirs;
static const char *vars[16][2];
static unsigned int nvars;
static unsigned int count = 50;
static bool ring;		/* the module is daq_nfqring */
static const DAQ_Module_t *mod;
static void *handle;

/* ---- what happened ---- */
static atomic_uint callbacks[NFLOWS], others;
static atomic_uint flow_seen[NFLOWS];
static atomic_bool retried[MAXSEQ];
static unsigned int sent[NFLOWS], delivered[NFLOWS], replaced[NFLOWS], intact[NFLOWS],
		    mangled[NFLOWS];
static int rx[NFLOWS], tx[NFLOWS];
static sem_t stalled, release;
static void die(const char *fmt, ...)
{
	va_list ap;

	printf("# daq_drive: ");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	exit(2);
}

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static void sleep_ms(unsigned int ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

/* ---- the analysis callback: Snort's part ---- */

static uint16_t csum_fold(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

static uint32_t csum_add(uint32_t sum, const void *data, size_t len)
{
	const uint8_t *p = data;

	for (size_t i = 0; i + 1 < len; i += 2)
		sum += (uint32_t)(p[i] << 8 | p[i + 1]);
	if (len & 1)
		sum += (uint32_t)(p[len - 1] << 8);
	return sum;
}

/* The UDP checksum over the pseudo header, as the receiving kernel checks it. */
static void udp_checksum(struct iphdr *ip, struct udphdr *udp)
{
	uint16_t ulen = ntohs(udp->len);
	uint32_t sum = 0;
	uint16_t c;

	sum = csum_add(sum, &ip->saddr, 4);
	sum = csum_add(sum, &ip->daddr, 4);
	sum += IPPROTO_UDP + ulen;
	udp->check = 0;
	sum = csum_add(sum, udp, ulen);
	c = csum_fold(sum);
	udp->check = htons(c ? c : 0xffff);
}

static DAQ_Verdict analyse(void *user, const DAQ_PktHdr_t *hdr, const uint8_t *data)
{
	struct iphdr *ip = (struct iphdr *)data;	/* Snort writes in place too */
	struct udphdr *udp;
	struct payload *pl;
	unsigned int f, seen;

	(void)user;
	if (hdr->caplen < sizeof(*ip) || ip->version != 4 || ip->protocol != IPPROTO_UDP ||
	    hdr->caplen < ip->ihl * 4u + sizeof(*udp) + sizeof(*pl)) {
		others++;
		return DAQ_VERDICT_PASS;
	}
	udp = (struct udphdr *)(data + ip->ihl * 4);
	pl = (struct payload *)(udp + 1);
	f = ntohs(udp->dest) - BASE;
	if (f < 1 || f >= NFLOWS || memcmp(pl->tag, "daqtest", 8)) {
		others++;
		return DAQ_VERDICT_PASS;
	}
	callbacks[f]++;
	seen = ++flow_seen[f];
	switch (f) {
	case F_BLOCK:
		return DAQ_VERDICT_BLOCK;
	case F_REPLACE:
		for (char *c = pl->text; *c; c++)
			if (*c >= 'a' && *c <= 'z')
				*c = (char)(*c - 'a' + 'A');
		udp_checksum(ip, udp);
		return DAQ_VERDICT_REPLACE;
	case F_WHITE:		/* Snort's flow state after the verdict: pass */
		return seen == 1 ? DAQ_VERDICT_WHITELIST : DAQ_VERDICT_PASS;
	case F_IGNORE:
		return seen == 1 ? DAQ_VERDICT_IGNORE : DAQ_VERDICT_PASS;
	case F_BLACK:
		return seen == 1 ? DAQ_VERDICT_PASS :
		       seen == 2 ? DAQ_VERDICT_BLACKLIST : DAQ_VERDICT_BLOCK;
	case F_RETRY:
		if (pl->seq < MAXSEQ && !atomic_exchange(&retried[pl->seq], true))
			return DAQ_VERDICT_RETRY;
		return DAQ_VERDICT_PASS;
	case F_FULL:
		if (seen == 1) {
			struct timespec ts;

			sem_post(&stalled);
			clock_gettime(CLOCK_REALTIME, &ts);
			ts.tv_sec += 120;
			sem_timedwait(&release, &ts);
		}
		return DAQ_VERDICT_PASS;
	default:
		return DAQ_VERDICT_PASS;
	}
}

/* ---- the world ---- */

static void world(void)
{
	char rules[1024];
	int r;

	if ((r = netns_enter()))
		die("a network namespace: %s", strerror(-r));
	/* the connmark bits of daq_nfqring's defaults, as its manual shows */
	snprintf(rules, sizeof(rules),
		 "table inet daqt {\n"
		 "  chain in { type filter hook input priority 0;\n"
		 "    ct mark & 0x20000000 == 0x20000000 counter drop\n"
		 "    ct mark & 0x10000000 == 0x10000000 counter accept\n"
		 "    udp dport %d-%d queue num %d\n"
		 "  }\n"
		 "}\n", BASE + 1, BASE + QUEUED_FLOWS, QUEUE);
	if (nft(rules))
		die("nft refused the table");
	for (int f = 1; f < NFLOWS; f++) {
		struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(BASE + f),
					 .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
		struct sockaddr_in s = { .sin_family = AF_INET, .sin_port = htons(41000 + f),
					 .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
		int big = 8 << 20;

		rx[f] = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
		tx[f] = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
		setsockopt(rx[f], SOL_SOCKET, SO_RCVBUFFORCE, &big, sizeof(big));
		if (rx[f] < 0 || tx[f] < 0 || bind(rx[f], (struct sockaddr *)&a, sizeof(a)) ||
		    bind(tx[f], (struct sockaddr *)&s, sizeof(s)) ||
		    connect(tx[f], (struct sockaddr *)&a, sizeof(a)))
			die("sockets: %s", strerror(errno));
	}
}

static void send_seq(enum flow f, uint32_t seq)
{
	struct payload p = { .tag = "daqtest", .seq = seq, .text = TEXT };

	if (send(tx[f], &p, sizeof(p), 0) != (ssize_t)sizeof(p))
		die("send: %s", strerror(errno));
	sent[f]++;
}

static void send_range(enum flow f, uint32_t from, uint32_t to)
{
	for (uint32_t s = from; s < to; s++)
		send_seq(f, s);
}

/* What reached the receivers so far; returns how many datagrams were new. */
static unsigned int drain(void)
{
	unsigned int n = 0;

	for (int f = 1; f < NFLOWS; f++) {
		struct payload p;

		while (recv(rx[f], &p, sizeof(p), 0) == (ssize_t)sizeof(p)) {
			n++;
			delivered[f]++;
			if (!strcmp(p.text, TEXT))
				intact[f]++;
			else if (!strcasecmp(p.text, TEXT) && strcmp(p.text, TEXT))
				replaced[f]++;
			else
				mangled[f]++;
		}
	}
	return n;
}

static unsigned int all_callbacks(void)
{
	unsigned int n = others;

	for (int f = 1; f < NFLOWS; f++)
		n += callbacks[f];
	return n;
}

/* Wait until neither the callbacks nor the receivers moved for quiet ms. */
static void settle(unsigned int quiet, unsigned int max)
{
	uint64_t start = now_ms(), last = start;
	unsigned int cb = all_callbacks();

	while (now_ms() - start < max) {
		unsigned int c;

		sleep_ms(50);
		c = all_callbacks();
		if (drain() || c != cb) {
			cb = c;
			last = now_ms();
		} else if (now_ms() - last >= quiet) {
			return;
		}
	}
}

/* Wait up to ms for cond() */
static bool wait_for(bool (*cond)(void), unsigned int ms)
{
	uint64_t start = now_ms();

	while (!cond()) {
		if (now_ms() - start > ms)
			return false;
		sleep_ms(20);
		drain();
	}
	return true;
}

static long udp_csum_errors(void)
{
	FILE *f = fopen("/proc/net/snmp", "r");
	char line[512];
	long v = -1;
	int udp = 0;

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, "Udp: ", 5) && ++udp == 2) {
			long x[7];

			if (sscanf(line + 5, "%ld %ld %ld %ld %ld %ld %ld", &x[0], &x[1], &x[2],
				   &x[3], &x[4], &x[5], &x[6]) == 7)
				v = x[6];
		}
	fclose(f);
	return v;
}

/* ---- the DAQ ---- */

static int init(const char *const (*extra)[2], unsigned int nextra, void **h, char *err,
		size_t len)
{
	DAQ_Config_t c = { .snaplen = 65535, .timeout = 1000, .mode = DAQ_MODE_INLINE };
	char q[8];
	int r;

	snprintf(q, sizeof(q), "%d", QUEUE);
	daq_config_set_value(&c, "queue", q);
	for (unsigned int i = 0; i < nvars; i++)
		daq_config_set_value(&c, vars[i][0], vars[i][1]);
	for (unsigned int i = 0; i < nextra; i++)
		daq_config_set_value(&c, extra[i][0], extra[i][1]);
	err[0] = 0;
	*h = NULL;
	r = daq_initialize(mod, &c, h, err, len);
	daq_config_clear_values(&c);
	return r;
}

static atomic_bool stopping;

static void *acquire_thread(void *arg)
{
	(void)arg;
	while (!stopping) {
		int r = daq_acquire(mod, handle, 0, analyse, NULL);

		if (r != DAQ_SUCCESS && !stopping) {
			printf("# daq_acquire: %d %s\n", r, daq_get_error(mod, handle));
			sleep_ms(100);
		}
	}
	return NULL;
}

static pthread_t acq;

static void start(void)
{
	char err[256];

	if (init(NULL, 0, &handle, err, sizeof(err)) != DAQ_SUCCESS)
		die("daq_initialize: %s", err);
	if (daq_start(mod, handle) != DAQ_SUCCESS)
		die("daq_start: %s", daq_get_error(mod, handle));
	if (pthread_create(&acq, NULL, acquire_thread, NULL))
		die("pthread_create");
}

/* breakloop until the acquiring thread has left (a breakloop can land
 * between two acquire calls, where the next one would forget it) */
static void stop_acquiring(void)
{
	stopping = true;
	for (int i = 0; i < 600; i++) {
		struct timespec ts;

		daq_breakloop(mod, handle);
		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_nsec += 200000000L;
		if (ts.tv_nsec >= 1000000000L) {
			ts.tv_sec++;
			ts.tv_nsec -= 1000000000L;
		}
		if (pthread_timedjoin_np(acq, NULL, &ts) == 0)
			return;
	}
	die("the acquire loop never returned after daq_breakloop");
}

static struct daq_nfqring_ring_stats ring_stats;

/* get_stats, stop, the ring figures (stop's included), shutdown */
static void finish(DAQ_Stats_t *st)
{
	memset(&ring_stats, 0, sizeof(ring_stats));
	daq_get_stats(mod, handle, st);
	if (daq_stop(mod, handle) != DAQ_SUCCESS)
		printf("# daq_stop: %s\n", daq_get_error(mod, handle));
	if (ring)
		check(!daq_nfqring_ring_stats_from(dirs[0], "nfqring", handle, &ring_stats),
		      "daq_nfqring_get_ring_stats not found in %s/daq_nfqring.so", dirs[0]);
	daq_shutdown(mod, handle);
	printf("# stats: received %llu (hw %llu, hw dropped %llu) filtered %llu verdicts",
	       (unsigned long long)st->packets_received,
	       (unsigned long long)st->hw_packets_received,
	       (unsigned long long)st->hw_packets_dropped,
	       (unsigned long long)st->packets_filtered);
	for (int v = 0; v < MAX_DAQ_VERDICT; v++)
		printf(" %s %llu", daq_verdict_string((DAQ_Verdict)v),
		       (unsigned long long)st->verdicts[v]);
	printf("\n");
	if (ring)
		printf("# ring: packets %llu copies %llu overruns %llu fail_open %llu bursts %llu "
		       "batches %llu singles %llu flushes %llu refused %llu stop_dropped %llu\n",
		       (unsigned long long)ring_stats.packets,
		       (unsigned long long)ring_stats.copies,
		       (unsigned long long)ring_stats.overruns,
		       (unsigned long long)ring_stats.fail_open,
		       (unsigned long long)ring_stats.bursts,
		       (unsigned long long)ring_stats.batches,
		       (unsigned long long)ring_stats.singles,
		       (unsigned long long)ring_stats.flushes,
		       (unsigned long long)ring_stats.verdicts_refused,
		       (unsigned long long)ring_stats.stop_dropped);
}

static void fates(enum flow f)
{
	printf("fates %s: sent %u delivered %u intact %u replaced %u mangled %u\n",
	       flow_name[f], sent[f], delivered[f], intact[f], replaced[f], mangled[f]);
}

static bool nothing_bound(void)
{
	long t, d, u;

	return queue_stats(QUEUE, &t, &d, &u) < 0;
}

/* ---- the scenarios ---- */

static bool verdicts_seen(void)
{
	return callbacks[F_PASS] + callbacks[F_BLOCK] + callbacks[F_REPLACE] >= 3 * count;
}

/* daq_inject: whole IPv4/UDP packets to the port nft does not queue */
static void inject(unsigned int n)
{
	struct {
		struct iphdr ip;
		struct udphdr udp;
		struct payload pl;
	} pkt;
	DAQ_PktHdr_t hdr = { .caplen = sizeof(pkt), .pktlen = sizeof(pkt) };

	_Static_assert(sizeof(pkt) == 20 + 8 + sizeof(struct payload), "no padding");

	for (unsigned int i = 0; i < n; i++) {
		memset(&pkt, 0, sizeof(pkt));
		pkt.ip.version = 4;
		pkt.ip.ihl = 5;
		pkt.ip.ttl = 64;
		pkt.ip.protocol = IPPROTO_UDP;
		pkt.ip.tot_len = htons(sizeof(pkt));
		pkt.ip.saddr = pkt.ip.daddr = htonl(INADDR_LOOPBACK);
		pkt.udp.source = htons(41000 + F_INJECT);
		pkt.udp.dest = htons(BASE + F_INJECT);
		pkt.udp.len = htons(sizeof(pkt.udp) + sizeof(pkt.pl));
		memcpy(pkt.pl.tag, "daqtest", 8);
		pkt.pl.seq = i;
		memcpy(pkt.pl.text, TEXT, sizeof(TEXT));
		udp_checksum(&pkt.ip, &pkt.udp);
		if (daq_inject(mod, handle, &hdr, (const uint8_t *)&pkt, sizeof(pkt), 0) ==
		    DAQ_SUCCESS)
			sent[F_INJECT]++;
		else
			printf("# daq_inject: %s\n", daq_get_error(mod, handle));
	}
}

static void verdicts(void)
{
	long csum0 = udp_csum_errors();
	DAQ_Stats_t st;

	start();
	inject(5);
	for (uint32_t s = 0; s < count; s++) {
		send_seq(F_PASS, s);
		send_seq(F_BLOCK, s);
		send_seq(F_REPLACE, s);
	}
	wait_for(verdicts_seen, 60000);
	settle(1500, 60000);
	stop_acquiring();
	finish(&st);
	drain();
	fates(F_INJECT);
	check(delivered[F_INJECT] == 5 && intact[F_INJECT] == 5, "daq_inject: 5 delivered");
	check(!ring || st.packets_injected == 5, "get_stats: packets_injected 5");
	for (enum flow f = F_PASS; f <= F_REPLACE; f++) {
		fates(f);
		check(callbacks[f] == count, "%s: %u callbacks for %u sent", flow_name[f],
		      callbacks[f], count);
	}
	check(delivered[F_PASS] == count && intact[F_PASS] == count, "PASS: all delivered intact");
	check(delivered[F_BLOCK] == 0, "BLOCK: none delivered");
	check(delivered[F_REPLACE] == count && replaced[F_REPLACE] == count,
	      "REPLACE: all delivered as replaced");
	check(udp_csum_errors() == csum0, "UDP checksum errors at the receiver: %ld -> %ld",
	      csum0, udp_csum_errors());
	printf("fates checksum errors: %ld\n", udp_csum_errors() - csum0);
	check(st.verdicts[DAQ_VERDICT_PASS] == count && st.verdicts[DAQ_VERDICT_BLOCK] == count &&
	      st.verdicts[DAQ_VERDICT_REPLACE] == count, "get_stats counts each verdict");
	if (ring) {
		check(ring_stats.flushes == ring_stats.bursts && ring_stats.batches <= ring_stats.bursts,
		      "one flush and at most one batch per burst");
		check(ring_stats.singles == 2 * count, "single verdicts: the BLOCKs and REPLACEs");
	}
}

static bool bypass_first_done(void)
{
	return delivered[F_WHITE] >= 1 && delivered[F_IGNORE] >= 1 && delivered[F_BLACK] >= 1;
}

static bool queue_empty(void)
{
	long t = 1, d, u;

	return callbacks[F_BLACK] >= 2 && queue_stats(QUEUE, &t, &d, &u) == 0 && t == 0;
}

static bool bypass_delivered(void)
{
	return delivered[F_WHITE] >= count && delivered[F_IGNORE] >= count;
}

static void bypass(void)
{
	DAQ_Stats_t st;

	start();
	/* the first packet of each flow, and its verdict applied */
	send_seq(F_WHITE, 0);
	send_seq(F_IGNORE, 0);
	send_seq(F_BLACK, 0);
	check(wait_for(bypass_first_done, 30000), "the first packets were delivered");
	send_seq(F_BLACK, 1);	/* BLACKLIST */
	check(wait_for(queue_empty, 30000), "the BLACKLIST verdict was given");
	sleep_ms(200);
	send_range(F_WHITE, 1, count);
	send_range(F_IGNORE, 1, count);
	send_range(F_BLACK, 2, count);
	wait_for(bypass_delivered, 60000);
	settle(1500, 60000);
	stop_acquiring();
	finish(&st);
	drain();
	fates(F_WHITE);
	fates(F_IGNORE);
	fates(F_BLACK);
	check(delivered[F_WHITE] == count && delivered[F_IGNORE] == count,
	      "WHITELIST, IGNORE: the whole flow delivered");
	check(delivered[F_BLACK] == 1, "BLACKLIST: only the packet before it delivered");
	printf("own callbacks: whitelist %u ignore %u blacklist %u\n", callbacks[F_WHITE],
	       callbacks[F_IGNORE], callbacks[F_BLACK]);
	if (ring)
		check(callbacks[F_WHITE] == 1 && callbacks[F_IGNORE] == 1 && callbacks[F_BLACK] == 2,
		      "daq_nfqring: the flows' later packets were never queued");
	else
		check(callbacks[F_WHITE] == count && callbacks[F_IGNORE] == count &&
		      callbacks[F_BLACK] == count,
		      "daq_nfq marks nothing: every packet queued");
}

static bool retry_seen(void)
{
	return callbacks[F_RETRY] >= count;
}

static void retry(void)
{
	DAQ_Stats_t st;

	start();
	send_range(F_RETRY, 0, count);
	wait_for(retry_seen, 60000);
	settle(1500, 60000);
	stop_acquiring();
	finish(&st);
	drain();
	printf("own retry: callbacks %u delivered %u (sent %u)\n", callbacks[F_RETRY],
	       delivered[F_RETRY], sent[F_RETRY]);
	if (ring)
		check(callbacks[F_RETRY] == 2 * count && delivered[F_RETRY] == count &&
		      intact[F_RETRY] == count && st.verdicts[DAQ_VERDICT_RETRY] == count,
		      "daq_nfqring: RETRY repeats the hook: each packet seen twice, then passed");
	else
		check(callbacks[F_RETRY] == count && delivered[F_RETRY] == 0,
		      "daq_nfq: RETRY is NF_DROP (its verdict table): seen once, dropped");
}

static long held, kdropped, kudropped;

static bool full_settled(void)
{
	if (queue_stats(QUEUE, &held, &kdropped, &kudropped) < 0)
		return false;
	return (unsigned long)(held + kdropped + kudropped) + delivered[F_FULL] >= count;
}

static unsigned int var_u(const char *key, unsigned int dflt)
{
	for (unsigned int i = 0; i < nvars; i++)
		if (!strcmp(vars[i][0], key))
			return (unsigned int)strtoul(vars[i][1], NULL, 0);
	return dflt;
}

static void full(bool fail_open)
{
	struct timespec ts;
	DAQ_Stats_t st;
	unsigned int qlen = var_u("queue_len", 1024);

	sem_init(&stalled, 0, 0);
	sem_init(&release, 0, 0);
	start();
	send_seq(F_FULL, 0);
	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec += 60;
	check(sem_timedwait(&stalled, &ts) == 0, "the first packet reached the callback");
	send_range(F_FULL, 1, count);
	check(wait_for(full_settled, 30000), "every packet held, dropped or delivered");
	printf("# while stalled: held %ld dropped %ld user_dropped %ld delivered %u\n", held,
	       kdropped, kudropped, delivered[F_FULL]);
	sem_post(&release);
	settle(1500, 60000);
	stop_acquiring();
	finish(&st);
	drain();
	if (!fail_open) {
		fates(F_FULL);
		check(delivered[F_FULL] == qlen && callbacks[F_FULL] == qlen,
		      "queue_len %u: %u delivered, %u seen", qlen, delivered[F_FULL],
		      callbacks[F_FULL]);
		check(kdropped == (long)(count - qlen), "the kernel dropped the other %u",
		      count - qlen);
		return;
	}
	printf("own failopen: delivered %u callbacks %u fail_open %llu (sent %u)\n",
	       delivered[F_FULL], callbacks[F_FULL], (unsigned long long)ring_stats.fail_open,
	       sent[F_FULL]);
	check(delivered[F_FULL] == count && intact[F_FULL] == count, "every packet delivered");
	check(ring_stats.fail_open >= 1 && callbacks[F_FULL] + ring_stats.fail_open == count,
	      "seen + failed open = sent");
	check(st.hw_packets_dropped == 0, "nothing counted as dropped");
}

static bool all_queued(void)
{
	long t = 0, d, u;

	return queue_stats(QUEUE, &t, &d, &u) == 0 && (unsigned long)t == count;
}

static unsigned int stop_cnt;

static DAQ_Verdict count_stop(void *user, const DAQ_PktHdr_t *hdr, const uint8_t *data)
{
	stop_cnt++;
	return analyse(user, hdr, data);
}

static void stop(void)
{
	char err[256];
	int r;

	if (init(NULL, 0, &handle, err, sizeof(err)) != DAQ_SUCCESS)
		die("daq_initialize: %s", err);
	daq_start(mod, handle);
	send_range(F_STOP, 0, count);
	check(wait_for(all_queued, 30000), "all %u queued", count);
	/* cnt 10: exactly ten analysed; the rest are in flight at stop */
	while (stop_cnt < 10 && (r = daq_acquire(mod, handle, (int)(10 - stop_cnt), count_stop,
						 NULL)) == DAQ_SUCCESS)
		;
	check(stop_cnt == 10, "acquire cnt=10: %u callbacks", stop_cnt);
	DAQ_Stats_t st;

	finish(&st);
	check(nothing_bound(), "after stop and shutdown the queue is not bound");
	settle(1000, 10000);
	fates(F_STOP);
	check(delivered[F_STOP] == 10, "the 10 analysed delivered, the rest dropped");
	if (ring)
		check(ring_stats.stop_dropped == count - 10,
		      "daq_nfqring: stop dropped the %u it held (%llu)", count - 10,
		      (unsigned long long)ring_stats.stop_dropped);
}

/* one refusal: its message printed, nothing left bound */
static void refuse(const char *what, const char *key, const char *value, const char *want)
{
	const char *extra[1][2] = { { key, value } };
	char err[256];
	void *h;
	int r = init(extra, 1, &h, err, sizeof(err));

	printf("fates error %s: %s\n", what, r == DAQ_SUCCESS ? "(accepted)" : "refused");
	printf("own error %s: %s%s", what, err, err[0] && err[strlen(err) - 1] == '\n' ? "" : "\n");
	check(r != DAQ_SUCCESS, "%s=%s refused", key, value);
	if (r == DAQ_SUCCESS)
		daq_shutdown(mod, h);
	else if (ring && want)
		check(strstr(err, want) != NULL, "the message says '%s'", want);
	check(nothing_bound(), "%s: nothing left bound", what);
}

static void errors(void)
{
	char err[256];
	void *first;
	long portid;

	refuse("unknown variable", "bogus", "1", "unknown variable 'bogus'");
	refuse("bad queue number", "queue", "70000", "bad queue '70000'");
	refuse("bad queue number", "queue", "zero", "bad queue 'zero'");

	/* a queue bound already: a first instance holds it */
	if (init(NULL, 0, &first, err, sizeof(err)) != DAQ_SUCCESS)
		die("the first instance: %s", err);
	portid = queue_portid(QUEUE);
	check(portid >= 0, "the first instance bound queue %d", QUEUE);
	{
		void *h;
		int r = init(NULL, 0, &h, err, sizeof(err));

		printf("fates error queue bound already: %s\n", r == DAQ_SUCCESS ? "(accepted)" : "refused");
		printf("own error queue bound already: %s%s", err,
		       err[0] && err[strlen(err) - 1] == '\n' ? "" : "\n");
		check(r != DAQ_SUCCESS, "a second instance on the same queue refused");
		if (r == DAQ_SUCCESS)
			daq_shutdown(mod, h);
		else if (ring)
			check(strstr(err, "is bound by another process") != NULL,
			      "the message says who holds it");
	}
	check(queue_portid(QUEUE) == portid, "the queue still the first instance's");
	daq_shutdown(mod, first);
	check(nothing_bound(), "after the first instance's shutdown nothing is bound");
}

static void noload(void)
{
	char err[256];
	void *h;
	int r = init(NULL, 0, &h, err, sizeof(err));

	printf("own error module not loaded: %s%s", err,
	       err[0] && err[strlen(err) - 1] == '\n' ? "" : "\n");
	check(r != DAQ_SUCCESS, "refused without the module");
	if (r == DAQ_SUCCESS)
		daq_shutdown(mod, h);
	else if (ring)
		check(strstr(err, "modprobe nfqring") != NULL, "the message says what to load");
	check(nothing_bound(), "nothing bound");
}

int main(int argc, char **argv)
{
	int o;

	setvbuf(stdout, NULL, _IOLBF, 0);
	while ((o = getopt(argc, argv, "m:d:v:n:s:")) != -1) {
		switch (o) {
		case 'm':
			module_name = optarg;
			break;
		case 'd':
			if (ndirs < 7)
				dirs[ndirs++] = optarg;
			break;
		case 'v': {
			char *eq = strchr(optarg, '=');

			if (!eq || nvars == 16)
				die("-v KEY=VALUE");
			*eq = 0;
			vars[nvars][0] = optarg;
			vars[nvars++][1] = eq + 1;
			break;
		}
		case 'n':
			count = (unsigned int)atoi(optarg);
			break;
		case 's':
			scenario = optarg;
			break;
		default:
			die("usage: daq_drive -m MODULE -d DIR [-v K=V]... [-n COUNT] -s SCENARIO");
		}
	}
	if (!module_name || !ndirs || !scenario || count < 20 || count >= MAXSEQ)
		die("usage: daq_drive -m MODULE -d DIR [-v K=V]... [-n COUNT 20..4095] -s SCENARIO");
	ring = !strcmp(module_name, "nfqring");
	daq_set_verbosity(0);
	if (daq_load_modules(dirs) != DAQ_SUCCESS)
		die("daq_load_modules failed");
	mod = daq_find_module(module_name);
	if (!mod)
		die("no DAQ module '%s' in the directories given", module_name);
	printf("# module %s, scenario %s, %u packets per flow\n", module_name, scenario, count);
	world();
	if (!strcmp(scenario, "verdicts"))
		verdicts();
	else if (!strcmp(scenario, "bypass"))
		bypass();
	else if (!strcmp(scenario, "retry"))
		retry();
	else if (!strcmp(scenario, "full"))
		full(false);
	else if (!strcmp(scenario, "failopen"))
		full(true);
	else if (!strcmp(scenario, "stop"))
		stop();
	else if (!strcmp(scenario, "errors"))
		errors();
	else if (!strcmp(scenario, "noload"))
		noload();
	else
		die("unknown scenario %s", scenario);
	daq_unload_modules();
	printf("# %s\n", check_failures ? "FAILED" : "passed");
	return check_failures ? 1 : 0;
}
