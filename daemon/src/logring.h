/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Log lines from a worker to the logger thread: a single-producer,
 * single-consumer ring of fixed slots, one per worker.  Pushing never
 * allocates, locks or blocks: a full ring drops the line and counts it.
 */
#ifndef NFQD_LOGRING_H
#define NFQD_LOGRING_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "pktlog.h"

#define NFQD_LOG_SLOTS	256	/* power of two */
#define NFQD_LOG_LINE	240

enum nfqd_log_kind { NFQD_LOG_TEXT = 1, NFQD_LOG_PACKET };

struct nfqd_logslot {
	uint32_t len;
	uint8_t kind;				/* enum nfqd_log_kind */
	union {
		char line[NFQD_LOG_LINE];
		struct nfqd_pktlog pkt;		/* formatted by the logger thread */
	};
};

struct nfqd_logring {
	_Alignas(64) _Atomic uint32_t head;	/* next slot the producer fills */
	_Alignas(64) _Atomic uint32_t tail;	/* next slot the consumer reads */
	_Atomic uint64_t dropped;		/* lines lost to a full ring */
	struct nfqd_logslot slot[NFQD_LOG_SLOTS];
};

void nfqd_logring_init(struct nfqd_logring *r);
/* Producer: format a line into the ring; false (and counted) when full. */
__attribute__((format(printf, 2, 3)))
bool nfqd_logring_push(struct nfqd_logring *r, const char *fmt, ...);
/* Producer: a packet record for the logger to format; false when full. */
bool nfqd_logring_push_pkt(struct nfqd_logring *r, const struct nfqd_pktlog *rec);
/* Consumer: take the oldest entry; 0 if empty, else its kind: a text line is
 * copied into buf (NUL-terminated), a packet record into *rec. */
int nfqd_logring_pop_entry(struct nfqd_logring *r, char *buf, uint32_t cap,
			   struct nfqd_pktlog *rec);
/* Consumer of text only: the oldest line; false if empty (a packet record
 * comes out as an empty line). */
bool nfqd_logring_pop(struct nfqd_logring *r, char *buf, uint32_t cap);
uint64_t nfqd_logring_dropped(const struct nfqd_logring *r);

#endif
