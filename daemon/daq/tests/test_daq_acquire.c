// SPDX-License-Identifier: GPL-2.0-only
/*
 * daq_nfqring driven as libdaq drives it (through DAQ_MODULE_DATA), against
 * the fake kernel of lib/tests: the queue's configuration, the verdict of
 * every DAQ verdict, one batch and one flush per burst, cnt and breakloop,
 * stop with packets held, passive mode, the BPF filter, statistics, and the
 * errors of initialize with the endpoint closed behind them.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/ip.h>
#include <netinet/udp.h>
#include <stdio.h>
#include <string.h>

#include "daq_nfqring.h"
#include "daq_test.h"
#include "fake_kernel.h"
#include "tap.h"

extern const DAQ_Module_t DAQ_MODULE_DATA;
static const DAQ_Module_t *m = &DAQ_MODULE_DATA;

static int open_fake(struct nfqring **hp, char *errbuf, size_t len)
{
	return nfqring_open_ops(hp, &fk_ops, errbuf, len);
}

/* ---- packets: IPv4/UDP, payload "pkt <id>" ---- */
struct ip_udp {
	struct iphdr ip;
	struct udphdr udp;
	char data[32];
} __attribute__((packed));

static struct ip_udp pkts[64];

static void feed(uint16_t queue, uint32_t from, uint32_t to, uint16_t dport)
{
	for (uint32_t id = from; id <= to; id++) {
		struct ip_udp *p = &pkts[id % 64];
		struct fk_pkt fp = { .queue = queue, .id = id, .payload = p,
				     .payload_len = sizeof(*p) };

		memset(p, 0, sizeof(*p));
		p->ip.version = 4;
		p->ip.ihl = 5;
		p->ip.tot_len = htons(sizeof(*p));
		p->ip.ttl = 64;
		p->ip.protocol = IPPROTO_UDP;
		p->ip.saddr = htonl(0x7f000001);
		p->ip.daddr = htonl(0x7f000001);
		p->udp.source = htons(40000);
		p->udp.dest = htons(dport);
		p->udp.len = htons(sizeof(p->udp) + sizeof(p->data));
		snprintf(p->data, sizeof(p->data), "pkt %u", id);
		fk_queue_packet(&fp);
	}
}

/* ---- the analysis callback: a verdict per packet id ---- */
static DAQ_Verdict plan[64];
static unsigned int calls, caplen_seen, pktlen_seen;
static int break_at;			/* call breakloop at this call (0: never) */
static void *handle;

static uint32_t id_of(const uint8_t *data)
{
	unsigned int id = 0;

	sscanf((const char *)data + 28, "pkt %u", &id);
	return id;
}

static DAQ_Verdict analyse(void *user, const DAQ_PktHdr_t *hdr, const uint8_t *data)
{
	uint32_t id = id_of(data);

	(void)user;
	calls++;
	caplen_seen = hdr->caplen;
	pktlen_seen = hdr->pktlen;
	if (break_at && (int)calls == break_at)
		m->breakloop(handle);
	if (plan[id % 64] == DAQ_VERDICT_REPLACE)
		memcpy((uint8_t *)data + 28, "PKT", 3);	/* in place, same length */
	return plan[id % 64];
}

static void *start(struct dt_config *t)
{
	char err[DAQ_ERRBUF_SIZE] = "";
	void *h = NULL;

	if (m->initialize(&t->c, &h, err, sizeof(err)) != DAQ_SUCCESS) {
		printf("# initialize: %s\n", err);
		return NULL;
	}
	m->start(h);
	return h;
}

static void reset(void)
{
	fk_reset();
	fk.track_ids = true;	/* verdicts for packets not queued fail, as in the kernel */
	memset(plan, 0, sizeof(plan));
	calls = 0;
	break_at = 0;
}

static unsigned int count_recs(uint16_t type, unsigned int from)
{
	unsigned int n = 0;

	for (unsigned int i = from; i < fk.nrecs; i++)
		n += fk.recs[i].type == type;
	return n;
}

static void test_configuration(void)
{
	struct dt_config t;

	reset();
	dt_init(&t, 10);
	dt_var(&t, "queue", "3");
	dt_var(&t, "queue_len", "500");
	dt_var(&t, "fail_open", "1");
	dt_var(&t, "gso", "1");
	dt_var(&t, "copy_range", "1000");
	handle = start(&t);
	ok(handle != NULL, "initialize and start");
	ok(fk.nrecs == 5 && fk.recs[0].cfg_cmd == NFQNL_CFG_CMD_BIND && fk.recs[0].queue == 3,
	   "binds queue 3 first");
	ok(fk.recs[1].has_params && fk.recs[1].mode == NFQNL_COPY_PACKET && fk.recs[1].range == 1000,
	   "then copy mode: whole packet up to copy_range");
	ok(fk.recs[2].has_maxlen && fk.recs[2].maxlen == 500, "queue_len");
	ok(fk.recs[3].has_flags && fk.recs[3].flags == NFQA_CFG_F_CONNTRACK &&
	   fk.recs[3].mask == NFQA_CFG_F_CONNTRACK,
	   "conntrack asked for once: the kernel loads nf_conntrack_netlink for the connmarks");
	ok(fk.recs[4].has_flags &&
	   fk.recs[4].flags == (NFQA_CFG_F_FAIL_OPEN | NFQA_CFG_F_GSO) &&
	   fk.recs[4].mask == (NFQA_CFG_F_FAIL_OPEN | NFQA_CFG_F_GSO | NFQA_CFG_F_CONNTRACK),
	   "then fail_open and gso on, conntrack data off again");
	is_int(m->get_datalink_type(handle), 228, "datalink DLT_IPV4, as daq_nfq");
	is_int(m->get_snaplen(handle), 1518, "snaplen");
	ok((m->get_capabilities(handle) & (DAQ_CAPA_BLOCK | DAQ_CAPA_REPLACE | DAQ_CAPA_WHITELIST |
					   DAQ_CAPA_BLACKLIST | DAQ_CAPA_RETRY | DAQ_CAPA_BREAKLOOP |
					   DAQ_CAPA_BPF)) ==
	   (DAQ_CAPA_BLOCK | DAQ_CAPA_REPLACE | DAQ_CAPA_WHITELIST | DAQ_CAPA_BLACKLIST |
	    DAQ_CAPA_RETRY | DAQ_CAPA_BREAKLOOP | DAQ_CAPA_BPF), "capabilities");
	is_int(m->check_status(handle), DAQ_STATE_STARTED, "started");
	is_int(m->stop(handle), DAQ_SUCCESS, "stop");
	ok(fk.recs[fk.nrecs - 1].cfg_cmd == NFQNL_CFG_CMD_UNBIND && fk.recs[fk.nrecs - 1].queue == 3,
	   "stop unbinds the queue");
	is_int(m->check_status(handle), DAQ_STATE_STOPPED, "stopped");
	m->shutdown(handle);
	is_int(fk.closes, 1, "shutdown closes the endpoint");
}

static void test_every_verdict_one_flush(void)
{
	struct dt_config t;
	DAQ_Stats_t st;
	unsigned int first, flushes;

	reset();
	dt_init(&t, 10);
	handle = start(&t);
	first = fk.nrecs;
	feed(0, 1, 8, 7);
	plan[1] = DAQ_VERDICT_PASS;
	plan[2] = DAQ_VERDICT_BLOCK;
	plan[3] = DAQ_VERDICT_REPLACE;
	plan[4] = DAQ_VERDICT_WHITELIST;
	plan[5] = DAQ_VERDICT_BLACKLIST;
	plan[6] = DAQ_VERDICT_IGNORE;
	plan[7] = DAQ_VERDICT_RETRY;
	plan[8] = DAQ_VERDICT_PASS;
	flushes = fk.flushes;
	is_int(m->acquire(handle, 0, analyse, NULL, NULL), DAQ_SUCCESS,
	       "acquire returns after the timeout");
	is_int(calls, 8, "8 packets, 8 callbacks");
	ok(caplen_seen == sizeof(struct ip_udp) && pktlen_seen == sizeof(struct ip_udp),
	   "caplen and pktlen");
	is_int(fk.flushes - flushes, 1, "one flush for the burst");
	is_int(fk.nrecs - first, 7, "6 single verdicts and 1 batch");
	const struct fk_rec *r = &fk.recs[first];

	ok(r[0].id == 2 && r[0].verdict == NF_DROP && !r[0].has_connmark, "BLOCK: NF_DROP");
	ok(r[1].id == 3 && r[1].verdict == NF_ACCEPT && r[1].has_payload &&
	   r[1].payload_len == sizeof(struct ip_udp), "REPLACE: NF_ACCEPT, same length");
	ok(!memcmp(r[1].raw + 36 + 28, "PKT 3", 5), "REPLACE: the bytes as the callback left them");
	ok(r[2].id == 4 && r[2].verdict == NF_ACCEPT && r[2].has_connmark &&
	   r[2].connmark == 0x10000000 && r[2].has_connmark_mask && r[2].connmark_mask == 0x10000000,
	   "WHITELIST: accept, connmark 0x10000000/0x10000000");
	ok(r[3].id == 5 && r[3].verdict == NF_DROP && r[3].connmark == 0x20000000 &&
	   r[3].connmark_mask == 0x20000000, "BLACKLIST: drop, connmark 0x20000000/0x20000000");
	ok(r[4].id == 6 && r[4].verdict == NF_ACCEPT && r[4].connmark == 0x10000000, "IGNORE");
	ok(r[5].id == 7 && r[5].verdict == NF_REPEAT, "RETRY: NF_REPEAT");
	ok(r[6].type == NFQNL_MSG_VERDICT_BATCH && r[6].id == 8 && r[6].verdict == NF_ACCEPT,
	   "then one batch accept up to the last id (packets 1 and 8)");
	is_int(fk.tx_head, fk.nrecs - first, "all through TX frames");
	m->get_stats(handle, &st);
	ok(st.packets_received == 8 && st.hw_packets_received == 8 &&
	   st.verdicts[DAQ_VERDICT_PASS] == 2 && st.verdicts[DAQ_VERDICT_BLOCK] == 1 &&
	   st.verdicts[DAQ_VERDICT_REPLACE] == 1 && st.verdicts[DAQ_VERDICT_WHITELIST] == 1 &&
	   st.verdicts[DAQ_VERDICT_BLACKLIST] == 1 && st.verdicts[DAQ_VERDICT_IGNORE] == 1 &&
	   st.verdicts[DAQ_VERDICT_RETRY] == 1, "stats: received and each verdict counted");
	struct daq_nfqring_ring_stats rs;

	daq_nfqring_get_ring_stats(handle, &rs);
	ok(rs.packets == 8 && rs.bursts == 1 && rs.batches == 1 && rs.singles == 6 &&
	   rs.flushes == 1 && rs.verdicts_refused == 0, "ring stats: 1 burst, 1 batch, 6 singles");
	m->reset_stats(handle);
	m->get_stats(handle, &st);
	daq_nfqring_get_ring_stats(handle, &rs);
	ok(st.packets_received == 0 && st.hw_packets_received == 0 && st.verdicts[1] == 0 &&
	   rs.packets == 0 && rs.singles == 0, "reset_stats: from zero again");
	m->shutdown(handle);
}

static void test_cnt_breakloop_stop(void)
{
	struct dt_config t;
	struct daq_nfqring_ring_stats rs;
	unsigned int first;

	reset();
	dt_init(&t, 10);
	handle = start(&t);
	feed(0, 1, 10, 7);
	first = fk.nrecs;
	is_int(m->acquire(handle, 4, analyse, NULL, NULL), DAQ_SUCCESS, "acquire cnt 4");
	is_int(calls, 4, "4 callbacks");
	ok(fk.nrecs - first == 1 && fk.recs[first].type == NFQNL_MSG_VERDICT_BATCH &&
	   fk.recs[first].id == 4, "one batch up to id 4");
	is_int(fk_rx_frame(3)->nm_status, NFQRING_STATUS_UNUSED,
	       "the last packet's RX frame released before the flush");

	break_at = 2;
	calls = 0;
	first = fk.nrecs;
	is_int(m->acquire(handle, 0, analyse, NULL, NULL), DAQ_SUCCESS, "acquire until breakloop");
	is_int(calls, 2, "breakloop in the 2nd callback: 2 callbacks");
	ok(fk.nrecs - first == 1 && fk.recs[first].id == 6, "their batch up to id 6");

	/* 4 held in the ring: stop answers them (drop) and unbinds */
	first = fk.nrecs;
	calls = 0;
	is_int(m->stop(handle), DAQ_SUCCESS, "stop with 4 packets held");
	is_int(calls, 0, "no callback for them");
	ok(fk.nrecs - first == 2 && fk.recs[first].type == NFQNL_MSG_VERDICT_BATCH &&
	   fk.recs[first].id == 10 && fk.recs[first].verdict == NF_DROP,
	   "one batch drop up to id 10");
	ok(fk.recs[first + 1].cfg_cmd == NFQNL_CFG_CMD_UNBIND, "then unbind");
	daq_nfqring_get_ring_stats(handle, &rs);
	is_int(rs.stop_dropped, 4, "counted as stop_dropped");
	int left = 0;

	for (int i = 0; i < 65536; i++)
		left += fk.queued[i];
	is_int(left, 0, "no packet left without a verdict");
	m->shutdown(handle);
}

/* a verdict the kernel refuses is counted; the loop goes on */
static void test_refused_verdict(void)
{
	struct dt_config t;
	struct daq_nfqring_ring_stats rs;

	reset();
	dt_init(&t, 10);
	handle = start(&t);
	feed(0, 1, 4, 7);
	plan[2] = plan[3] = DAQ_VERDICT_BLOCK;
	fk.fail_id = 2;
	fk.fail_err = -ENOENT;
	is_int(m->acquire(handle, 0, analyse, NULL, NULL), DAQ_SUCCESS,
	       "a refused verdict does not fail acquire");
	ok(strstr(m->get_errbuf(handle), "packet 2") != NULL, "but leaves a message: '%s'",
	   m->get_errbuf(handle));
	daq_nfqring_get_ring_stats(handle, &rs);
	is_int(rs.verdicts_refused, 1, "counted once");
	ok(fk.nrecs >= 3 && fk.recs[fk.nrecs - 1].type == NFQNL_MSG_VERDICT_BATCH &&
	   fk.recs[fk.nrecs - 1].id == 4, "the verdicts after it were still sent");
	feed(0, 5, 5, 7);
	calls = 0;
	m->acquire(handle, 0, analyse, NULL, NULL);
	is_int(calls, 1, "and the next packets come");
	m->shutdown(handle);
}

/* a packet bigger than its frame comes through read() (COPY); a
 * replacement bigger than a TX frame goes out with write(), in order */
static void test_copy_and_big_replace(void)
{
	static unsigned char big[3000];
	struct dt_config t;
	struct daq_nfqring_ring_stats rs;
	unsigned int first;

	reset();
	dt_init(&t, 10);
	dt_var(&t, "frames", "16");
	dt_var(&t, "frame_size", "2048");
	dt_var(&t, "tx_frame_size", "512");
	handle = start(&t);
	feed(0, 1, 1, 7);
	memcpy(big, &pkts[1], sizeof(pkts[1]));
	snprintf((char *)big + 28, 32, "pkt %u", 2u);
	struct fk_pkt fp = { .queue = 0, .id = 2, .payload = big, .payload_len = sizeof(big) };

	fk_queue_packet(&fp);
	feed(0, 3, 3, 7);
	plan[1] = DAQ_VERDICT_BLOCK;
	plan[2] = DAQ_VERDICT_REPLACE;
	plan[3] = DAQ_VERDICT_PASS;
	first = fk.nrecs;
	m->acquire(handle, 0, analyse, NULL, NULL);
	daq_nfqring_get_ring_stats(handle, &rs);
	ok(calls == 3 && rs.copies == 1, "3 callbacks, 1 through read() (COPY)");
	ok(caplen_seen == sizeof(struct ip_udp), "caplen of the last");
	ok(fk.nrecs - first == 3 && fk.recs[first].id == 1 && fk.recs[first].via_ring &&
	   fk.recs[first + 1].id == 2 && !fk.recs[first + 1].via_ring &&
	   fk.recs[first + 1].payload_len == sizeof(big) &&
	   fk.recs[first + 2].type == NFQNL_MSG_VERDICT_BATCH && fk.recs[first + 2].id == 3,
	   "the 3000-byte replacement by write(), between the drop before it and the batch");
	ok(!memcmp(fk.recs[first + 1].raw + 36 + 28, "PKT 2", 5),
	   "with the bytes the callback changed in the copy");
	m->shutdown(handle);
}

/* a burst never outgrows the TX ring: still one flush each */
static void test_burst_fits_tx_ring(void)
{
	struct dt_config t;
	struct daq_nfqring_ring_stats rs;

	reset();
	dt_init(&t, 10);
	dt_var(&t, "frames", "32");
	dt_var(&t, "tx_frames", "8");
	dt_var(&t, "tx_frame_size", "2048");
	handle = start(&t);
	feed(0, 1, 20, 7);
	for (int i = 1; i <= 20; i++)
		plan[i] = DAQ_VERDICT_BLOCK;
	unsigned int flushes = fk.flushes;

	m->acquire(handle, 0, analyse, NULL, NULL);
	daq_nfqring_get_ring_stats(handle, &rs);
	is_int(calls, 20, "20 callbacks");
	ok(rs.bursts == 3 && fk.flushes - flushes == 3,
	   "8 TX frames: bursts of 7, 7 and 6, one flush each (%llu bursts, %u flushes)",
	   (unsigned long long)rs.bursts, fk.flushes - flushes);
	is_int(count_recs(NFQNL_MSG_VERDICT, 0), 20, "20 drops");
	m->shutdown(handle);
}

static void test_passive_filter_truncated(void)
{
	struct dt_config t;
	DAQ_Stats_t st;
	struct daq_nfqring_ring_stats rs;
	unsigned int first;

	reset();
	dt_init(&t, 10);
	t.c.mode = DAQ_MODE_PASSIVE;
	handle = start(&t);
	feed(0, 1, 3, 7);
	plan[1] = plan[2] = plan[3] = DAQ_VERDICT_BLOCK;
	first = fk.nrecs;
	m->acquire(handle, 0, analyse, NULL, NULL);
	ok(calls == 3 && fk.nrecs - first == 1 && fk.recs[first].verdict == NF_ACCEPT,
	   "passive: BLOCK seen, but the batch accepts all three");
	m->shutdown(handle);

	reset();
	dt_init(&t, 10);
	handle = start(&t);
	is_int(m->set_filter(handle, "udp dst port 53"), DAQ_SUCCESS, "set_filter compiles");
	ok(m->set_filter(handle, "ether host 1:2:3:4:5:6") != DAQ_SUCCESS &&
	   strstr(m->get_errbuf(handle), "does not compile"), "a filter for another link: '%s'",
	   m->get_errbuf(handle));
	feed(0, 1, 2, 53);
	feed(0, 3, 4, 54);
	plan[1] = plan[2] = plan[3] = plan[4] = DAQ_VERDICT_BLOCK;
	first = fk.nrecs;
	m->acquire(handle, 0, analyse, NULL, NULL);
	m->get_stats(handle, &st);
	ok(calls == 2 && st.packets_filtered == 2 && st.packets_received == 2,
	   "filter: port 53 to the callback, the others filtered");
	ok(fk.nrecs - first == 3 && fk.recs[first].id == 1 && fk.recs[first + 1].id == 2 &&
	   fk.recs[first + 2].type == NFQNL_MSG_VERDICT_BATCH && fk.recs[first + 2].id == 4,
	   "filtered packets pass with the batch");
	m->shutdown(handle);

	/* a copy range shorter than the packet: REPLACE cannot go back whole */
	reset();
	dt_init(&t, 10);
	handle = start(&t);
	struct fk_pkt fp = { .queue = 0, .id = 1, .payload = &pkts[1], .payload_len = 40,
			     .cap_len = 60 };

	feed(0, 1, 1, 7);
	fk_reset();
	fk.track_ids = true;
	m->shutdown(handle);
	handle = start(&t);
	fk_queue_packet(&fp);
	plan[1] = DAQ_VERDICT_REPLACE;
	first = fk.nrecs;
	m->acquire(handle, 0, analyse, NULL, NULL);
	daq_nfqring_get_ring_stats(handle, &rs);
	ok(pktlen_seen == 60 && caplen_seen == 40, "a truncated copy: pktlen 60, caplen 40");
	ok(rs.replace_refused == 1 && fk.nrecs - first == 1 &&
	   fk.recs[first].type == NFQNL_MSG_VERDICT_BATCH && !fk.recs[first].has_payload,
	   "REPLACE refused: it passes unchanged, counted");
	m->shutdown(handle);
}

static void test_initialize_errors(void)
{
	struct dt_config t;
	char err[DAQ_ERRBUF_SIZE];
	void *h = NULL;
	int r;

	reset();
	fk.no_device = true;
	dt_init(&t, 10);
	r = m->initialize(&t.c, &h, err, sizeof(err));
	ok(r == DAQ_ERROR_NODEV && strstr(err, "daq_nfqring: /dev/nfqring not found: load the "
					      "module with 'modprobe nfqring'") &&
	   strstr(err, "--daq nfq"), "no module: '%s'", err);

	reset();
	fk.config_err = -EBUSY;
	dt_var(&t, "queue", "9");
	r = m->initialize(&t.c, &h, err, sizeof(err));
	ok(r == DAQ_ERROR_EXISTS && strstr(err, "queue 9 is bound by another process") &&
	   strstr(err, "--daq-var queue=N"), "queue taken: '%s'", err);
	is_int(fk.closes, 1, "the endpoint is closed again: nothing bound");

	/* what the kernel says when another endpoint owns the queue */
	reset();
	fk.config_err = -EPERM;
	r = m->initialize(&t.c, &h, err, sizeof(err));
	ok(r == DAQ_ERROR_EXISTS && strstr(err, "queue 9 is bound by another process"),
	   "queue owned by another endpoint (EPERM): '%s'", err);
	is_int(fk.closes, 1, "closed again");

	reset();
	dt_init(&t, 10);
	dt_var(&t, "queue", "nine");
	r = m->initialize(&t.c, &h, err, sizeof(err));
	ok(r == DAQ_ERROR_INVAL && strstr(err, "bad queue 'nine'") && fk.mmaps == 0 &&
	   fk.nrecs == 0, "a bad variable: refused before the device is touched");

	reset();
	dt_init(&t, 10);
	dt_var(&t, "spin_us", "5");
	r = m->initialize(&t.c, &h, err, sizeof(err));
	ok(r == DAQ_ERROR_NOTSUP && strstr(err, "ABI version 2") && fk.closes == 1,
	   "wait policy on a version-1 module: '%s'", err);

	reset();
	dt_init(&t, 10);
	dt_var(&t, "whitelist_mark", "0");
	dt_var(&t, "blacklist_mark", "0");
	r = m->initialize(&t.c, &h, err, sizeof(err));
	ok(r == DAQ_SUCCESS && fk.nrecs == 2, "marks off: no conntrack flags (%u messages)",
	   fk.nrecs);
	if (r == DAQ_SUCCESS) {
		ok(!(m->get_capabilities(h) & (DAQ_CAPA_WHITELIST | DAQ_CAPA_BLACKLIST)),
		   "and no WHITELIST/BLACKLIST capability");
		m->shutdown(h);
	}

	reset();
	fk.config_err = -EOPNOTSUPP;
	dt_init(&t, 10);
	r = m->initialize(&t.c, &h, err, sizeof(err));
	ok(r == DAQ_ERROR && strstr(err, "binding queue 0"), "a refused bind: '%s'", err);

	reset();
	dt_init(&t, 10);
	dt_var(&t, "spin_us", "5");
	fk.v2_capable = true;
	r = m->initialize(&t.c, &h, err, sizeof(err));
	ok(r == DAQ_SUCCESS && fk.v2, "on version 2 it is taken");
	if (r == DAQ_SUCCESS)
		m->shutdown(h);

	reset();
	dt_init(&t, 10);
	dt_var(&t, "wake_nr", "8");
	dt_var(&t, "idle_us", "off");
	fk.v2_capable = true;
	r = m->initialize(&t.c, &h, err, sizeof(err));
	ok(r == DAQ_SUCCESS && fk.wake.idle_us == NFQRING_WAKE_IDLE_OFF && fk.wake.wake_nr == 8,
	   "idle_us=off and wake_nr reach the kernel together (idle %u, wake_nr %u)",
	   fk.wake.idle_us, fk.wake.wake_nr);
	if (r == DAQ_SUCCESS)
		m->shutdown(h);

	reset();
	dt_init(&t, 10);
	dt_var(&t, "idle_us", "100");
	fk.v2_capable = true;
	fk.no_idle = true;
	r = m->initialize(&t.c, &h, err, sizeof(err));
	ok(r == DAQ_ERROR_NOTSUP && strstr(err, "no idle wake-up") && fk.closes == 1,
	   "idle_us on a module without it: '%s'", err);
}

int main(void)
{
	daqnfq_open_endpoint = open_fake;
	test_configuration();
	test_every_verdict_one_flush();
	test_cnt_breakloop_stop();
	test_refused_verdict();
	test_copy_and_big_replace();
	test_burst_fits_tx_ring();
	test_passive_filter_truncated();
	test_initialize_errors();
	return tap_done();
}
