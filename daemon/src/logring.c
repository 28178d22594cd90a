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

bool nfqd_logring_push(struct nfqd_logring *r, const char *fmt, ...)
{
	uint32_t head = atomic_load_explicit(&r->head, memory_order_relaxed);
	uint32_t tail = atomic_load_explicit(&r->tail, memory_order_acquire);
	struct nfqd_logslot *s;
	va_list ap;
	int n;

	if (head - tail >= NFQD_LOG_SLOTS) {
		/* single writer: a plain increment is enough */
		atomic_store_explicit(&r->dropped,
				      atomic_load_explicit(&r->dropped, memory_order_relaxed) + 1,
				      memory_order_relaxed);
		return false;
	}
	s = &r->slot[head & (NFQD_LOG_SLOTS - 1)];
	va_start(ap, fmt);
	n = vsnprintf(s->line, sizeof(s->line), fmt, ap);
	va_end(ap);
	if (n < 0)
		n = 0;
	s->len = (uint32_t)n < sizeof(s->line) ? (uint32_t)n : sizeof(s->line) - 1;
	/* publish the slot's contents with the new head */
	atomic_store_explicit(&r->head, head + 1, memory_order_release);
	return true;
}

bool nfqd_logring_pop(struct nfqd_logring *r, char *buf, uint32_t cap)
{
	uint32_t tail = atomic_load_explicit(&r->tail, memory_order_relaxed);
	uint32_t head = atomic_load_explicit(&r->head, memory_order_acquire);
	const struct nfqd_logslot *s;
	uint32_t n;

	if (tail == head || !cap)
		return false;
	s = &r->slot[tail & (NFQD_LOG_SLOTS - 1)];
	n = s->len < cap - 1 ? s->len : cap - 1;
	memcpy(buf, s->line, n);
	buf[n] = 0;
	/* the slot may be reused once tail moves past it */
	atomic_store_explicit(&r->tail, tail + 1, memory_order_release);
	return true;
}

uint64_t nfqd_logring_dropped(const struct nfqd_logring *r)
{
	return atomic_load_explicit(&r->dropped, memory_order_relaxed);
}
