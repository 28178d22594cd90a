// SPDX-License-Identifier: GPL-2.0-only
/*
 * The module libdaq loads: DAQ_MODULE_DATA and the life of an instance.
 * initialize() opens a /dev/nfqring endpoint, sets up its rings and binds
 * the queue (as daq_nfq binds at initialize), so that every configuration
 * error - a bad variable, a queue someone else holds, no module - is
 * reported by daq_initialize() with nothing left bound.  stop() drops what
 * the ring still holds, unseen, and unbinds; shutdown() closes.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sfbpf_dlt.h>

#include "daq_nfqring.h"

#define DAQNFQ_PUBLIC __attribute__((visibility("default")))

static int open_ring(struct nfqring **hp, char *errbuf, size_t len)
{
	return nfqring_open(hp, NFQRING_BACKEND_RING, errbuf, len);
}

int (*daqnfq_open_endpoint)(struct nfqring **hp, char *errbuf, size_t len) = open_ring;

int daqnfq_err(struct daqnfq *d, int err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(d->errbuf, sizeof(d->errbuf), fmt, ap);
	va_end(ap);
	return err;
}

/* Bind and configure the queue; a message in errbuf on failure. */
static int bind_queue(struct daqnfq *d, char *errbuf, size_t len)
{
	const struct daqnfq_cfg *c = &d->cfg;
	uint32_t flags = 0, mask = 0;
	int r;

	/* the kernel says EPERM when another endpoint owns the queue (as the
	 * stock nfnetlink_queue does for another socket), EBUSY when this one
	 * does; the device was opened, so it is not a missing capability */
	r = nfqring_bind(d->h, c->queue);
	if (r == -EBUSY || r == -EPERM) {
		snprintf(errbuf, len, "daq_nfqring: queue %u is bound by another process "
			 "(another Snort, nfqringd or NFQUEUE program): stop it or choose "
			 "another queue with --daq-var queue=N", c->queue);
		return DAQ_ERROR_EXISTS;
	}
	if (r < 0)
		goto fail;
	r = nfqring_set_mode(d->h, c->queue, NFQNL_COPY_PACKET, c->copy_range);
	if (r < 0)
		goto fail;
	if (c->queue_len && (r = nfqring_set_maxlen(d->h, c->queue, c->queue_len)) < 0)
		goto fail;
	/* the connmark verdicts need nf_conntrack_netlink: asking for
	 * conntrack data loads it (EAGAIN once); it is turned off again below,
	 * so packets do not carry it */
	if (c->whitelist_mark || c->blacklist_mark) {
		r = nfqring_set_flags(d->h, c->queue, NFQA_CFG_F_CONNTRACK, NFQA_CFG_F_CONNTRACK);
		if (r == -EAGAIN)
			r = nfqring_set_flags(d->h, c->queue, NFQA_CFG_F_CONNTRACK,
					      NFQA_CFG_F_CONNTRACK);
		if (r == -EOPNOTSUPP) {
			snprintf(errbuf, len, "daq_nfqring: WHITELIST and BLACKLIST mark the "
				 "connection, which needs nf_conntrack_netlink, and this kernel "
				 "has none: 'modprobe nf_conntrack_netlink', or turn them off "
				 "with --daq-var whitelist_mark=0 --daq-var blacklist_mark=0");
			return DAQ_ERROR_NOTSUP;
		}
		if (r < 0)
			goto fail;
		mask |= NFQA_CFG_F_CONNTRACK;
	}
	if (c->fail_open) {
		flags |= NFQA_CFG_F_FAIL_OPEN;
		mask |= NFQA_CFG_F_FAIL_OPEN;
	}
	if (c->gso) {
		flags |= NFQA_CFG_F_GSO;
		mask |= NFQA_CFG_F_GSO;
	}
	if (mask && (r = nfqring_set_flags(d->h, c->queue, flags, mask)) < 0)
		goto fail;
	if (c->set_wait) {
		struct nfqring_wait_params w = c->wait;

		r = nfqring_set_wait(d->h, &w);
		if (r == -EOPNOTSUPP) {
			snprintf(errbuf, len, "daq_nfqring: spin_us, wake_nr and max_delay_us need "
				 "the module's ABI version 2 (this nfqring speaks 1): update "
				 "nfqring or leave them out");
			return DAQ_ERROR_NOTSUP;
		}
		if (r < 0)
			goto fail;
	}
	if (c->idle_us) {
		uint32_t idle = c->idle_us;

		r = nfqring_set_idle(d->h, &idle);
		if (r == -EOPNOTSUPP) {
			snprintf(errbuf, len, "daq_nfqring: idle_us: %s; leave it out",
				 nfqring_errmsg(d->h));
			return DAQ_ERROR_NOTSUP;
		}
		if (r < 0)
			goto fail;
	}
	return 0;
fail:
	snprintf(errbuf, len, "daq_nfqring: %s", nfqring_errmsg(d->h));
	return DAQ_ERROR;
}

static void destroy(struct daqnfq *d)
{
	nfqring_close(d->h);	/* unbinds what is still bound */
	daqnfq_inject_close(d);
	daqnfq_free_filter(d);
	free(d);
}

static int daqnfq_initialize(const DAQ_Config_t *config, void **ctxt_ptr, char *errbuf,
			     size_t len)
{
	struct nfqring_ring_params p;
	struct daqnfq *d;
	char err[NFQRING_ERRBUF_SIZE];
	int r;

	d = calloc(1, sizeof(*d));
	if (!d) {
		snprintf(errbuf, len, "daq_nfqring: out of memory");
		return DAQ_ERROR_NOMEM;
	}
	d->inject4 = d->inject6 = -1;
	r = daqnfq_parse_config(config, &d->cfg, errbuf, len);
	if (r)
		goto fail;

	r = daqnfq_open_endpoint(&d->h, err, sizeof(err));
	if (r < 0) {
		snprintf(errbuf, len, "daq_nfqring: %s%s", err,
			 r == -ENOENT ? "; with the stock nfnetlink_queue use --daq nfq" : "");
		r = r == -ENOENT ? DAQ_ERROR_NODEV : DAQ_ERROR;
		goto fail;
	}
	daqnfq_ring_params(&d->cfg, &p);
	if (nfqring_setup(d->h, &p) < 0) {
		snprintf(errbuf, len, "daq_nfqring: the rings (frames=%u frame_size=%u "
			 "tx_frames=%u tx_frame_size=%u): %s", d->cfg.frames, d->cfg.frame_size,
			 d->cfg.tx_frames, d->cfg.tx_frame_size, nfqring_errmsg(d->h));
		r = DAQ_ERROR;
		goto fail;
	}
	d->cfg.frames = p.rx_frame_nr;	/* rounded to whole blocks */
	d->cfg.tx_frames = p.tx_frame_nr;
	/* a burst's single verdicts and its batch fit in the TX ring: one flush */
	if (d->cfg.burst > p.tx_frame_nr - 1)
		d->cfg.burst = p.tx_frame_nr > 1 ? p.tx_frame_nr - 1 : 1;
	r = bind_queue(d, errbuf, len);
	if (r)
		goto fail;
	daqnfq_inject_open(d, NULL, 0);	/* without it, inject() says why */
	d->datalink = d->cfg.proto == DAQNFQ_IP4 ? DLT_IPV4 :
		      d->cfg.proto == DAQNFQ_IP6 ? DLT_IPV6 : DLT_RAW;
	d->state = DAQ_STATE_INITIALIZED;
	*ctxt_ptr = d;
	return DAQ_SUCCESS;
fail:
	destroy(d);
	return r;
}

static int daqnfq_start(void *handle)
{
	struct daqnfq *d = handle;

	daqnfq_reset_stats(d);
	d->state = DAQ_STATE_STARTED;
	return DAQ_SUCCESS;
}

static int daqnfq_breakloop(void *handle)
{
	struct daqnfq *d = handle;

	atomic_store(&d->breakloop, true);
	return DAQ_SUCCESS;
}

/* Answer what the ring holds (dropped, as daq_nfq's queue drops it), unbind. */
static int daqnfq_stop(void *handle)
{
	struct daqnfq *d = handle;
	int r;

	if (d->state != DAQ_STATE_STARTED && d->state != DAQ_STATE_INITIALIZED)
		return DAQ_SUCCESS;
	r = daqnfq_drain_drop(d);
	if (nfqring_unbind(d->h, d->cfg.queue) < 0 && r == DAQ_SUCCESS)
		r = daqnfq_err(d, DAQ_ERROR, "daq_nfqring: unbinding queue %u: %s",
			       d->cfg.queue, nfqring_errmsg(d->h));
	d->state = DAQ_STATE_STOPPED;
	return r;
}

static void daqnfq_shutdown(void *handle)
{
	struct daqnfq *d = handle;

	if (d->state == DAQ_STATE_STARTED)
		daqnfq_stop(d);
	destroy(d);
}

static DAQ_State daqnfq_check_status(void *handle)
{
	return ((struct daqnfq *)handle)->state;
}

static int daqnfq_get_snaplen(void *handle)
{
	return (int)((struct daqnfq *)handle)->cfg.snaplen;
}

static uint32_t daqnfq_get_capabilities(void *handle)
{
	struct daqnfq *d = handle;
	uint32_t c = DAQ_CAPA_BLOCK | DAQ_CAPA_REPLACE | DAQ_CAPA_UNPRIV_START |
		     DAQ_CAPA_BREAKLOOP | DAQ_CAPA_BPF | DAQ_CAPA_DEVICE_INDEX | DAQ_CAPA_RETRY;

	if (d->inject4 >= 0 || d->inject6 >= 0)
		c |= DAQ_CAPA_INJECT | DAQ_CAPA_INJECT_RAW;
	if (d->cfg.whitelist_mark)
		c |= DAQ_CAPA_WHITELIST;
	if (d->cfg.blacklist_mark)
		c |= DAQ_CAPA_BLACKLIST;
	return c;
}

static int daqnfq_get_datalink_type(void *handle)
{
	return ((struct daqnfq *)handle)->datalink;
}

static const char *daqnfq_get_errbuf(void *handle)
{
	return ((struct daqnfq *)handle)->errbuf;
}

static void daqnfq_set_errbuf(void *handle, const char *string)
{
	struct daqnfq *d = handle;

	snprintf(d->errbuf, sizeof(d->errbuf), "%s", string ? string : "");
}

static int daqnfq_get_device_index(void *handle, const char *device)
{
	(void)handle;
	(void)device;
	return DAQ_ERROR_NOTSUP;
}

DAQNFQ_PUBLIC const DAQ_Module_t DAQ_MODULE_DATA = {
	.api_version = DAQ_API_VERSION,
	.module_version = DAQNFQ_VERSION,
	.name = DAQNFQ_NAME,
	.type = DAQ_TYPE_INTF_CAPABLE | DAQ_TYPE_INLINE_CAPABLE | DAQ_TYPE_MULTI_INSTANCE |
		DAQ_TYPE_NO_UNPRIV,
	.initialize = daqnfq_initialize,
	.set_filter = daqnfq_set_filter,
	.start = daqnfq_start,
	.acquire = daqnfq_acquire,
	.inject = daqnfq_inject,
	.breakloop = daqnfq_breakloop,
	.stop = daqnfq_stop,
	.shutdown = daqnfq_shutdown,
	.check_status = daqnfq_check_status,
	.get_stats = daqnfq_get_stats,
	.reset_stats = daqnfq_reset_stats,
	.get_snaplen = daqnfq_get_snaplen,
	.get_capabilities = daqnfq_get_capabilities,
	.get_datalink_type = daqnfq_get_datalink_type,
	.get_errbuf = daqnfq_get_errbuf,
	.set_errbuf = daqnfq_set_errbuf,
	.get_device_index = daqnfq_get_device_index,
};
