// SPDX-License-Identifier: GPL-2.0-only
/* The worker -> logger ring (see logring.h). */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "logring.h"

void nfqd_logring_init(struct nfqd_logring *r)
{
	atomic_init(&r->head, 0);
	atomic_init(&r->tail, 0);
	atomic_init(&r->dropped, 0);
}

/* The slot to fill next, or NULL (and counted) when the ring is full. */
static struct nfqd_logslot *claim(struct nfqd_logring *r)
{
	uint32_t head = atomic_load_explicit(&r->head, memory_order_relaxed);
	uint32_t tail = atomic_load_explicit(&r->tail, memory_order_acquire);

	if (head - tail >= NFQD_LOG_SLOTS) {
		/* single writer: a plain increment is enough */
		atomic_store_explicit(&r->dropped,
				      atomic_load_explicit(&r->dropped, memory_order_relaxed) + 1,
				      memory_order_relaxed);
		return NULL;
	}
	return &r->slot[head & (NFQD_LOG_SLOTS - 1)];
}

/* Publishes the claimed slot's contents with the new head. */
static void publish(struct nfqd_logring *r)
{
	uint32_t head = atomic_load_explicit(&r->head, memory_order_relaxed);

	atomic_store_explicit(&r->head, head + 1, memory_order_release);
}

bool nfqd_logring_push(struct nfqd_logring *r, const char *fmt, ...)
{
	struct nfqd_logslot *s = claim(r);
	va_list ap;
	int n;

	if (!s)
		return false;
	va_start(ap, fmt);
	n = vsnprintf(s->line, sizeof(s->line), fmt, ap);
	va_end(ap);
	if (n < 0)
		n = 0;
	s->len = (uint32_t)n < sizeof(s->line) ? (uint32_t)n : sizeof(s->line) - 1;
	s->kind = NFQD_LOG_TEXT;
	publish(r);
	return true;
}

bool nfqd_logring_push_pkt(struct nfqd_logring *r, const struct nfqd_pktlog *rec)
{
	struct nfqd_logslot *s = claim(r);

	if (!s)
		return false;
	s->pkt = *rec;
	s->len = 0;
	s->kind = NFQD_LOG_PACKET;
	publish(r);
	return true;
}

int nfqd_logring_pop_entry(struct nfqd_logring *r, char *buf, uint32_t cap,
			   struct nfqd_pktlog *rec)
{
	uint32_t tail = atomic_load_explicit(&r->tail, memory_order_relaxed);
	uint32_t head = atomic_load_explicit(&r->head, memory_order_acquire);
	const struct nfqd_logslot *s;
	int kind;

	if (tail == head || !cap)
		return 0;
	s = &r->slot[tail & (NFQD_LOG_SLOTS - 1)];
	kind = s->kind;
	if (kind == NFQD_LOG_PACKET && rec) {
		*rec = s->pkt;
		buf[0] = 0;
	} else {
		uint32_t n = kind == NFQD_LOG_TEXT ? s->len < cap - 1 ? s->len : cap - 1 : 0;

		memcpy(buf, s->line, n);
		buf[n] = 0;
	}
	/* the slot may be reused once tail moves past it */
	atomic_store_explicit(&r->tail, tail + 1, memory_order_release);
	return kind;
}

bool nfqd_logring_pop(struct nfqd_logring *r, char *buf, uint32_t cap)
{
	return nfqd_logring_pop_entry(r, buf, cap, NULL) != 0;
}

uint64_t nfqd_logring_dropped(const struct nfqd_logring *r)
{
	return atomic_load_explicit(&r->dropped, memory_order_relaxed);
}
