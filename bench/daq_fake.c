// SPDX-License-Identifier: GPL-2.0
/*
 * daq_fake.so: a libdaq 2 module named "fake" for bench/test-daq-sink.sh,
 * the host test of daq_sink (no kernel, no queue).  It prints the
 * configuration daq_sink gave it on stderr, hands out its packets in the
 * first daq_acquire() (and says so on stderr) and then waits until daq_breakloop() or a failure,
 * the way both NFQUEUE modules do: a breakloop is forgotten when
 * daq_acquire() starts, a signal does not end the wait (EINTR: wait again)
 * and neither does the timeout.  Variables (--daq-var):
 *   queue=N        echoed
 *   packets=N      packets handed out (100), 64 bytes each, IPv4
 *   notip=N        of them, the first N with no IP version
 *   deaf=1         the first breakloop is ignored (one that lands before
 *                  daq_acquire() starts, which forgets it)
 *   fail=N         the first N daq_acquire() calls fail
 *   miscount=1     get_stats counts one PASS verdict less than it saw
 *   ring=1         daq_nfqring_get_ring_stats() answers, with overruns=N
 *                  overruns, 7 bursts and 7 flushes (otherwise it refuses,
 *                  as if the symbol were not there)
 */
#include <daq_api.h>
#include <poll.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../daemon/daq/daq_nfqring_stats.h"

#define PUBLIC __attribute__((visibility("default")))

struct fake {
	unsigned int packets, notip, fail, overruns;
	bool deaf, miscount, ring, handed_out;
	atomic_bool breakloop;
	atomic_uint breakloops;
	DAQ_Stats_t st;
	DAQ_State state;
	char err[DAQ_ERRBUF_SIZE];
};

static int fake_initialize(const DAQ_Config_t *c, void **h, char *errbuf, size_t len)
{
	struct fake *f = calloc(1, sizeof(*f));
	const char *queue = "?";

	if (!f)
		return DAQ_ERROR_NOMEM;
	f->packets = 100;
	for (const DAQ_Dict *e = c->values; e; e = e->next) {
		unsigned int v = (unsigned int)strtoul(e->value, NULL, 10);

		if (!strcmp(e->key, "queue"))
			queue = e->value;
		else if (!strcmp(e->key, "packets"))
			f->packets = v;
		else if (!strcmp(e->key, "notip"))
			f->notip = v;
		else if (!strcmp(e->key, "deaf"))
			f->deaf = v;
		else if (!strcmp(e->key, "fail"))
			f->fail = v;
		else if (!strcmp(e->key, "miscount"))
			f->miscount = v;
		else if (!strcmp(e->key, "ring"))
			f->ring = v;
		else if (!strcmp(e->key, "overruns"))
			f->overruns = v;
		else {
			snprintf(errbuf, len, "fake: unknown variable '%s'", e->key);
			free(f);
			return DAQ_ERROR_INVAL;
		}
	}
	fprintf(stderr, "fake: queue=%s snaplen=%d timeout=%u mode=%s\n", queue, c->snaplen,
		c->timeout, c->mode == DAQ_MODE_INLINE ? "inline" : "other");
	f->state = DAQ_STATE_INITIALIZED;
	*h = f;
	return DAQ_SUCCESS;
}

static int fake_acquire(void *h, int cnt, DAQ_Analysis_Func_t cb, DAQ_Meta_Func_t meta,
			void *user)
{
	struct fake *f = h;
	uint8_t pkt[64] = { 0x45 };
	DAQ_PktHdr_t hdr = { .caplen = sizeof(pkt), .pktlen = sizeof(pkt) };

	(void)cnt;
	(void)meta;
	atomic_store(&f->breakloop, false);
	if (f->fail) {
		f->fail--;
		snprintf(f->err, sizeof(f->err), "fake: failing on purpose");
		return DAQ_ERROR;
	}
	if (!f->handed_out) {
		f->handed_out = true;
		for (unsigned int i = 0; i < f->packets; i++) {
			DAQ_Verdict v;

			pkt[0] = i < f->notip ? 0 : 0x45;
			v = cb(user, &hdr, pkt);
			f->st.hw_packets_received++;
			f->st.packets_received++;
			f->st.verdicts[v]++;
		}
		fprintf(stderr, "fake: handed out %u\n", f->packets);
	}
	while (!atomic_load(&f->breakloop))
		poll(NULL, 0, 20);	/* EINTR or not: wait again */
	return DAQ_SUCCESS;
}

static int fake_breakloop(void *h)
{
	struct fake *f = h;

	/* deaf: the first one is lost, as one that lands just before
	 * daq_acquire() starts again */
	if (atomic_fetch_add(&f->breakloops, 1) == 0 && f->deaf)
		return DAQ_SUCCESS;
	atomic_store(&f->breakloop, true);
	return DAQ_SUCCESS;
}

static int fake_start(void *h)
{
	((struct fake *)h)->state = DAQ_STATE_STARTED;
	return DAQ_SUCCESS;
}

static int fake_stop(void *h)
{
	((struct fake *)h)->state = DAQ_STATE_STOPPED;
	return DAQ_SUCCESS;
}

static void fake_shutdown(void *h)
{
	free(h);
}

static DAQ_State fake_check_status(void *h)
{
	return ((struct fake *)h)->state;
}

static int fake_get_stats(void *h, DAQ_Stats_t *st)
{
	struct fake *f = h;

	*st = f->st;
	if (f->miscount && st->verdicts[DAQ_VERDICT_PASS])
		st->verdicts[DAQ_VERDICT_PASS]--;
	return DAQ_SUCCESS;
}

static void fake_reset_stats(void *h)
{
	memset(&((struct fake *)h)->st, 0, sizeof(DAQ_Stats_t));
}

static int fake_set_filter(void *h, const char *filter)
{
	(void)h;
	(void)filter;
	return DAQ_ERROR_NOTSUP;
}

static int fake_inject(void *h, const DAQ_PktHdr_t *hdr, const uint8_t *data, uint32_t len,
		       int reverse)
{
	(void)h;
	(void)hdr;
	(void)data;
	(void)len;
	(void)reverse;
	return DAQ_ERROR_NOTSUP;
}

static int fake_get_snaplen(void *h)
{
	(void)h;
	return 65535;
}

static uint32_t fake_get_capabilities(void *h)
{
	(void)h;
	return DAQ_CAPA_BREAKLOOP;
}

static int fake_get_datalink_type(void *h)
{
	(void)h;
	return 228;	/* DLT_IPV4 */
}

static const char *fake_get_errbuf(void *h)
{
	return ((struct fake *)h)->err;
}

static void fake_set_errbuf(void *h, const char *s)
{
	snprintf(((struct fake *)h)->err, DAQ_ERRBUF_SIZE, "%s", s ? s : "");
}

static int fake_get_device_index(void *h, const char *device)
{
	(void)h;
	(void)device;
	return DAQ_ERROR_NOTSUP;
}

PUBLIC int daq_nfqring_get_ring_stats(void *h, struct daq_nfqring_ring_stats *s)
{
	struct fake *f = h;

	if (!f->ring)
		return -1;
	memset(s, 0, sizeof(*s));
	s->packets = f->packets;
	s->overruns = f->overruns;
	s->bursts = s->flushes = 7;
	return 0;
}

PUBLIC const DAQ_Module_t DAQ_MODULE_DATA = {
	.api_version = DAQ_API_VERSION,
	.module_version = 1,
	.name = "fake",
	.type = DAQ_TYPE_INTF_CAPABLE | DAQ_TYPE_INLINE_CAPABLE,
	.initialize = fake_initialize,
	.set_filter = fake_set_filter,
	.start = fake_start,
	.acquire = fake_acquire,
	.inject = fake_inject,
	.breakloop = fake_breakloop,
	.stop = fake_stop,
	.shutdown = fake_shutdown,
	.check_status = fake_check_status,
	.get_stats = fake_get_stats,
	.reset_stats = fake_reset_stats,
	.get_snaplen = fake_get_snaplen,
	.get_capabilities = fake_get_capabilities,
	.get_datalink_type = fake_get_datalink_type,
	.get_errbuf = fake_get_errbuf,
	.set_errbuf = fake_set_errbuf,
	.get_device_index = fake_get_device_index,
};
