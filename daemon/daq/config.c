// SPDX-License-Identifier: GPL-2.0-only
/*
 * The DAQ variables (--daq-var k=v) of daq_nfqring: daq_nfq's own (queue,
 * proto, queue_len, device) so that a Snort configuration changes only the
 * module name, and the ring's.  Every refusal names the variable, the value
 * and what would be accepted.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "daq_nfqring.h"

#define KNOWN "queue, proto, queue_len, device, copy_range, frames, frame_size, " \
	      "tx_frames, tx_frame_size, burst, fail_open, gso, spin_us, wake_nr, " \
	      "max_delay_us, idle_us, whitelist_mark, blacklist_mark"

#define fail(...) (snprintf(errbuf, len, "daq_nfqring: " __VA_ARGS__), DAQ_ERROR_INVAL)

/* A whole-string unsigned number in [min, max]; base 0 takes 0x... too. */
static bool parse_num(const char *s, int base, unsigned long min, unsigned long max,
		      uint32_t *out)
{
	char *end;
	unsigned long v;

	if (!*s || *s == '-' || *s == '+' || *s == ' ')
		return false;
	errno = 0;
	v = strtoul(s, &end, base);
	if (errno || *end || v < min || v > max)
		return false;
	*out = (uint32_t)v;
	return true;
}

static bool parse_bool(const char *s, bool *out)
{
	static const char *const yes[] = { "1", "yes", "on", "true" };
	static const char *const no[] = { "0", "no", "off", "false" };

	for (size_t i = 0; i < sizeof(yes) / sizeof(yes[0]); i++) {
		if (!strcasecmp(s, yes[i]))
			return *out = true;
		if (!strcasecmp(s, no[i])) {
			*out = false;
			return true;
		}
	}
	return false;
}

/* One numeric variable: name, bounds, where it goes. */
struct num_var {
	const char *name;
	int base;
	unsigned long min, max;
	size_t off;
	const char *what;		/* "a number 1-1000000", for the error */
};

#define NUM(n, b, lo, hi, field, w) { n, b, lo, hi, offsetof(struct daqnfq_cfg, field), w }

static const struct num_var num_vars[] = {
	NUM("queue", 10, 0, 65535, queue, "a queue number 0-65535"),
	NUM("queue_len", 10, 1, 1000000, queue_len, "a length 1-1000000 (packets the kernel holds)"),
	NUM("copy_range", 10, 1, NFQRING_MAX_COPY_RANGE, copy_range, "bytes 1-65531"),
	NUM("frames", 10, 1, NFQRING_MAX_FRAMES, frames, "a frame count 1-65536"),
	NUM("frame_size", 10, 1, 1U << 20, frame_size,
	    "bytes, a multiple of 4 up to 1048576"),
	NUM("tx_frames", 10, 1, NFQRING_MAX_FRAMES, tx_frames, "a frame count 1-65536"),
	NUM("tx_frame_size", 10, 1, 1U << 20, tx_frame_size,
	    "bytes, a multiple of 4 up to 1048576"),
	NUM("burst", 10, 1, 65536, burst, "packets per burst 1-65536"),
	NUM("whitelist_mark", 0, 0, UINT32_MAX, whitelist_mark,
	    "connmark bits, e.g. 0x10000000 (0: off)"),
	NUM("blacklist_mark", 0, 0, UINT32_MAX, blacklist_mark,
	    "connmark bits, e.g. 0x20000000 (0: off)"),
};

/* The wait policy (ABI version 2): set_wait when one is given. */
static const struct num_var wait_vars[] = {
	{ "spin_us", 10, 0, 1000000, offsetof(struct nfqring_wait_params, spin_us),
	  "microseconds 0-1000000 (0: never spin)" },
	{ "wake_nr", 10, 1, NFQRING_MAX_FRAMES, offsetof(struct nfqring_wait_params, wake_nr),
	  "frames 1-65536" },
	{ "max_delay_us", 10, 1, 1000000, offsetof(struct nfqring_wait_params, max_delay_us),
	  "microseconds 1-1000000" },
};

static const struct num_var *find_num(const struct num_var *v, size_t n, const char *key)
{
	for (size_t i = 0; i < n; i++)
		if (!strcmp(v[i].name, key))
			return &v[i];
	return NULL;
}

static int set_var(struct daqnfq_cfg *cfg, const char *key, const char *val,
		   char *errbuf, size_t len)
{
	const struct num_var *nv;
	bool b;

	if (!val || !*val)
		return fail("variable '%s' needs a value (--daq-var %s=...)", key, key);
	if ((nv = find_num(num_vars, sizeof(num_vars) / sizeof(num_vars[0]), key))) {
		if (!parse_num(val, nv->base, nv->min, nv->max,
			       (uint32_t *)((char *)cfg + nv->off)))
			return fail("bad %s '%s': %s", key, val, nv->what);
		return 0;
	}
	if ((nv = find_num(wait_vars, sizeof(wait_vars) / sizeof(wait_vars[0]), key))) {
		uint32_t *dst = (uint32_t *)((char *)&cfg->wait + nv->off);

		if (!parse_num(val, nv->base, nv->min, nv->max, dst))
			return fail("bad %s '%s': %s", key, val, nv->what);
		if (!strcmp(key, "spin_us") && *dst == 0)
			*dst = NFQRING_NO_SPIN;
		cfg->set_wait = true;
		return 0;
	}
	if (!strcmp(key, "idle_us")) {
		if (!strcasecmp(val, "off"))
			cfg->idle_us = NFQRING_WAKE_IDLE_OFF;
		else if (!parse_num(val, 10, 1, NFQRING_WAKE_MAX_DELAY_US, &cfg->idle_us))
			return fail("bad idle_us '%s': microseconds 1-%u, or off", val,
				    NFQRING_WAKE_MAX_DELAY_US);
		return 0;
	}
	if (!strcmp(key, "proto")) {
		if (!strcasecmp(val, "ip4"))
			cfg->proto = DAQNFQ_IP4;
		else if (!strcasecmp(val, "ip6"))
			cfg->proto = DAQNFQ_IP6;
		else if (!strcasecmp(val, "ip"))
			cfg->proto = DAQNFQ_IP;
		else
			return fail("bad proto '%s': ip4, ip6 or ip", val);
		return 0;
	}
	if (!strcmp(key, "fail_open") || !strcmp(key, "gso")) {
		if (!parse_bool(val, &b))
			return fail("bad %s '%s': 1 or 0 (yes/no, on/off)", key, val);
		*(key[0] == 'f' ? &cfg->fail_open : &cfg->gso) = b;
		return 0;
	}
	if (!strcmp(key, "device")) {
		if (strlen(val) >= sizeof(cfg->device))
			return fail("bad device '%s': an interface name", val);
		strcpy(cfg->device, val);
		return 0;
	}
	return fail("unknown variable '%s' (known: " KNOWN ")", key);
}

static uint32_t min_u32(uint32_t a, uint32_t b)
{
	return a < b ? a : b;
}

int daqnfq_parse_config(const DAQ_Config_t *config, struct daqnfq_cfg *cfg,
			char *errbuf, size_t len)
{
	int r;

	*cfg = (struct daqnfq_cfg){
		.proto = DAQNFQ_IP4,
		.copy_range = NFQRING_MAX_COPY_RANGE,
		.burst = DAQNFQ_DEFAULT_BURST,
		.whitelist_mark = DAQNFQ_DEFAULT_WHITELIST_MARK,
		.blacklist_mark = DAQNFQ_DEFAULT_BLACKLIST_MARK,
	};
	if (config->name && *config->name)
		return fail("no interface or file is read (got '%s'): the packets come from "
			    "an NFQUEUE, chosen with --daq-var queue=N", config->name);
	if (config->mode == DAQ_MODE_READ_FILE)
		return fail("does not read files: use --daq pcap for that");
	cfg->passive = config->mode == DAQ_MODE_PASSIVE;
	cfg->snaplen = config->snaplen > 0 ? (uint32_t)config->snaplen : DAQNFQ_MAX_SNAPLEN;
	if (cfg->snaplen > DAQNFQ_MAX_SNAPLEN)
		cfg->snaplen = DAQNFQ_MAX_SNAPLEN;
	cfg->timeout_ms = config->timeout;

	for (const DAQ_Dict *e = config->values; e; e = e->next)
		if ((r = set_var(cfg, e->key, e->value, errbuf, len)))
			return r;

	if (cfg->whitelist_mark & cfg->blacklist_mark)
		return fail("whitelist_mark %#x and blacklist_mark %#x share bits: a flow "
			    "would be both", cfg->whitelist_mark, cfg->blacklist_mark);
	if (cfg->frame_size % NFQRING_FRAME_ALIGN || cfg->tx_frame_size % NFQRING_FRAME_ALIGN)
		return fail("bad %s %u: a multiple of %u",
			    cfg->frame_size % NFQRING_FRAME_ALIGN ? "frame_size" : "tx_frame_size",
			    cfg->frame_size % NFQRING_FRAME_ALIGN ? cfg->frame_size
								  : cfg->tx_frame_size,
			    NFQRING_FRAME_ALIGN);
	/* the ring's defaults follow what the packets will need */
	if (!cfg->frame_size)
		cfg->frame_size = cfg->gso ? nfqring_frame_size_for(cfg->copy_range)
					   : min_u32(NFQRING_DEFAULT_RX_FRAME,
						     nfqring_frame_size_for(cfg->copy_range));
	if (!cfg->frames)
		cfg->frames = cfg->gso ? 256 : NFQRING_DEFAULT_RX_FRAMES;
	/* a TX frame holds a replacement of an MTU-sized packet */
	if (!cfg->tx_frame_size)
		cfg->tx_frame_size = NFQRING_DEFAULT_RX_FRAME;
	if (!cfg->tx_frames)
		cfg->tx_frames = min_u32(cfg->frames, NFQRING_DEFAULT_TX_FRAMES);
	if (cfg->frame_size < NFQRING_HDRLEN + 64)
		return fail("bad frame_size %u: at least %u", cfg->frame_size,
			    (unsigned int)NFQRING_HDRLEN + 64);
	if (cfg->tx_frame_size < NFQRING_HDRLEN + 64)
		return fail("bad tx_frame_size %u: at least %u", cfg->tx_frame_size,
			    (unsigned int)NFQRING_HDRLEN + 64);
	return 0;
}

void daqnfq_ring_params(const struct daqnfq_cfg *cfg, struct nfqring_ring_params *p)
{
	*p = (struct nfqring_ring_params){
		.rx_frame_size = cfg->frame_size,
		.rx_frame_nr = cfg->frames,
		.tx_frame_size = cfg->tx_frame_size,
		.tx_frame_nr = cfg->tx_frames,
	};
}
