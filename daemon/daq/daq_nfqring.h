/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * daq_nfqring: a DAQ module for libdaq 2 (Snort 2.9) over libnfqring.  The
 * parts, one file each:
 *   config.c   the DAQ variables (--daq-var k=v) into struct daqnfq_cfg
 *   verdict.c  a DAQ verdict into an NFQUEUE verdict (batch or single)
 *   acquire.c  the burst loop: callbacks, one batch and one flush per burst
 *   module.c   the DAQ_Module_t table: initialize, start, stop, shutdown ...
 *   stats.c    get_stats / reset_stats and the ring figures
 *   filter.c   set_filter: a BPF program (sfbpf) over raw IP
 *   inject.c   inject: raw IP sockets, as daq_nfq
 */
#ifndef DAQ_NFQRING_H
#define DAQ_NFQRING_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include <daq_api.h>
#include <sfbpf.h>

#include "nfqring.h"
#include "daq_nfqring_stats.h"

#define DAQNFQ_NAME		"nfqring"
#define DAQNFQ_VERSION		1
#define DAQNFQ_MAX_SNAPLEN	65535U
/* the longest a wait sleeps before it looks at breakloop again (ms) */
#define DAQNFQ_WAIT_SLICE_MS	100
#define DAQNFQ_DEFAULT_BURST	256U
#define DAQNFQ_DEFAULT_WHITELIST_MARK	0x10000000U
#define DAQNFQ_DEFAULT_BLACKLIST_MARK	0x20000000U

/* proto= */
enum daqnfq_proto { DAQNFQ_IP4 = 1, DAQNFQ_IP6 = 2, DAQNFQ_IP = 3 };

/* Everything the configuration says, checked. */
struct daqnfq_cfg {
	uint16_t queue;
	enum daqnfq_proto proto;
	uint32_t queue_len;		/* 0: the kernel's default */
	uint32_t snaplen;		/* the DAQ's snaplen (caplen at most) */
	uint32_t copy_range;		/* bytes of each packet the kernel copies */
	uint32_t frames, frame_size;	/* RX ring; 0: defaults */
	uint32_t tx_frames, tx_frame_size;	/* TX ring; 0: defaults */
	uint32_t burst;			/* most packets per burst */
	bool fail_open, gso;
	bool passive;			/* DAQ_MODE_PASSIVE: every packet accepted */
	unsigned int timeout_ms;	/* acquire returns after this long idle; 0: never */
	uint32_t whitelist_mark;	/* connmark bits of WHITELIST / IGNORE; 0: off */
	uint32_t blacklist_mark;	/* connmark bits of BLACKLIST; 0: off */
	bool set_wait;			/* one of spin_us / wake_nr / max_delay_us given */
	struct nfqring_wait_params wait;
	uint32_t idle_us;		/* the idle wake-up; 0: the module's default */
	char device[64];		/* inject through this interface ("" any) */
};

/* Parse a DAQ configuration.  0, or DAQ_ERROR_* with a message in errbuf. */
int daqnfq_parse_config(const DAQ_Config_t *config, struct daqnfq_cfg *cfg,
			char *errbuf, size_t len);

/* The ring geometry the configuration asks for. */
void daqnfq_ring_params(const struct daqnfq_cfg *cfg, struct nfqring_ring_params *p);

/* What the module does with one packet's DAQ verdict. */
enum daqnfq_action {
	DAQNFQ_BATCH,		/* accepted by the burst's batch verdict */
	DAQNFQ_SINGLE,		/* its own verdict, in *v */
	DAQNFQ_REPLACE_REFUSED,	/* REPLACE of a truncated copy: passes unchanged (batch) */
};

/* verdict: what the callback returned (already clamped: >= MAX is BLOCK). */
enum daqnfq_action daqnfq_map_verdict(const struct daqnfq_cfg *cfg, DAQ_Verdict verdict,
				      const struct nfqring_packet *pkt,
				      struct nfqring_verdict *v);

/* The module instance. */
struct daqnfq {
	struct daqnfq_cfg cfg;
	struct nfqring *h;
	DAQ_State state;
	atomic_bool breakloop;
	int datalink;

	struct sfbpf_program fcode;	/* bf_insns NULL: no filter */
	bool have_filter;

	int inject4, inject6;		/* raw sockets, -1: none */

	DAQ_Stats_t stats;
	struct daq_nfqring_ring_stats ring;	/* the module's own part */
	/* reset_stats(): what the library and kernel said at the last reset */
	struct nfqring_lib_stats lib_base;
	struct nfqring_stats kern_base;

	char errbuf[DAQ_ERRBUF_SIZE];
};

/* A message in the instance's error buffer; returns err. */
int daqnfq_err(struct daqnfq *d, int err, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* acquire.c */
int daqnfq_acquire(void *handle, int cnt, DAQ_Analysis_Func_t callback,
		   DAQ_Meta_Func_t metaback, void *user);
/* Hand out what the ring holds without calling anyone and drop it (stop). */
int daqnfq_drain_drop(struct daqnfq *d);

/* stats.c */
int daqnfq_get_stats(void *handle, DAQ_Stats_t *stats);
void daqnfq_reset_stats(void *handle);
/* exported from the module (daq_nfqring_stats.h) */
int daq_nfqring_get_ring_stats(void *handle, struct daq_nfqring_ring_stats *s);

/* filter.c */
int daqnfq_set_filter(void *handle, const char *filter);
void daqnfq_free_filter(struct daqnfq *d);

/* inject.c */
int daqnfq_inject_open(struct daqnfq *d, char *errbuf, size_t len);
void daqnfq_inject_close(struct daqnfq *d);
int daqnfq_inject(void *handle, const DAQ_PktHdr_t *hdr, const uint8_t *data,
		  uint32_t len, int reverse);

/* module.c: how the instance opens its endpoint (tests put a fake kernel here) */
extern int (*daqnfq_open_endpoint)(struct nfqring **hp, char *errbuf, size_t len);

#endif
