/* SPDX-License-Identifier: GPL-2.0-only */
/* Stream content: the per-worker flow table, see stream.h. */
#include <errno.h>
#include <linux/netfilter.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include "bitvec.h"
#include "decode.h"
#include "ruleset.h"
#include "stream.h"

#define TCP_FIN 0x01
#define TCP_SYN 0x02
#define TCP_RST 0x04

struct skey {                     /* one direction of a flow */
	uint8_t  saddr[16], daddr[16];
	uint16_t sport, dport;
	uint8_t  family, pad[3];
};

struct sent {                     /* followed by the tail, maxlen-1 bytes */
	struct skey k;
	uint32_t next_seq;
	uint32_t stamp;           /* st->clock at the last update: LRU in a bucket */
	uint16_t tail_len;
	uint8_t  used, pad;
};

enum { P_NONE, P_SET, P_EVICT };

struct nfqr_stream {
	uint8_t *table;           /* slots x stride */
	uint32_t slots, mask;     /* mask: buckets - 1 */
	uint32_t stride, tail_cap;
	uint64_t sip[2];          /* hash key: flows cannot be aimed at a bucket */
	uint32_t clock;
	struct nfqr_cm_scratch *cms;
	uint64_t *matched;        /* over rs->patterns */
	uint64_t *smatched;       /* over the stream matcher's patterns */
	uint8_t *window;          /* 2 x tail_cap */
	/* the update waiting for the verdict */
	int pending;
	uint32_t p_slot;
	bool p_new;               /* the slot is not this flow's yet */
	struct skey p_key;
	uint32_t p_next;
	uint16_t p_tail_len;
	uint8_t *p_tail;          /* tail_cap */
};

static struct sent *slot_at(const struct nfqr_stream *st, uint32_t i)
{
	return (struct sent *)(void *)(st->table + (size_t)i * st->stride);
}

static uint8_t *tail_of(struct sent *e)
{
	return (uint8_t *)(e + 1);
}

struct nfqr_stream *nfqr_stream_new(const struct nfqr_ruleset *rs)
{
	struct nfqr_stream *st = calloc(1, sizeof(*st));
	uint32_t slots = rs->stream_slots;

	if (!st)
		return NULL;
	st->slots = slots;
	st->mask = slots / NFQR_STREAM_WAYS - 1;
	st->tail_cap = rs->stream_maxlen - 1;
	st->stride = (uint32_t)((sizeof(struct sent) + st->tail_cap + 7) & ~(size_t)7);
	st->table = calloc(slots, st->stride);
	st->cms = nfqr_cm_scratch_new(rs->stream_cm);
	st->matched = calloc(bv_words(rs->n_patterns) + 1, 8);
	st->smatched = calloc(bv_words(rs->n_stream) + 1, 8);
	st->window = malloc(2 * (size_t)st->tail_cap + 1);
	st->p_tail = malloc(st->tail_cap + 1);
	if (!st->table || !st->cms || !st->matched || !st->smatched || !st->window || !st->p_tail) {
		nfqr_stream_free(st);
		errno = ENOMEM;
		return NULL;
	}
	if (getrandom(st->sip, sizeof(st->sip), GRND_NONBLOCK) != sizeof(st->sip)) {
		st->sip[0] = (uint64_t)time(NULL) ^ (uint64_t)(uintptr_t)st;
		st->sip[1] = (uint64_t)(uintptr_t)st->table * 0x9e3779b97f4a7c15ULL;
	}
	return st;
}

void nfqr_stream_free(struct nfqr_stream *st)
{
	if (!st)
		return;
	free(st->table);
	nfqr_cm_scratch_free(st->cms);
	free(st->matched);
	free(st->smatched);
	free(st->window);
	free(st->p_tail);
	free(st);
}

size_t nfqr_stream_table_bytes(const struct nfqr_stream *st)
{
	return (size_t)st->slots * st->stride;
}

/* SipHash-1-3 of the key (40 bytes: five words) */
#define ROTL(x, b) (uint64_t)(((x) << (b)) | ((x) >> (64 - (b))))
#define SIPROUND do { \
	v0 += v1; v1 = ROTL(v1, 13); v1 ^= v0; v0 = ROTL(v0, 32); \
	v2 += v3; v3 = ROTL(v3, 16); v3 ^= v2; \
	v0 += v3; v3 = ROTL(v3, 21); v3 ^= v0; \
	v2 += v1; v1 = ROTL(v1, 17); v1 ^= v2; v2 = ROTL(v2, 32); \
} while (0)

static uint64_t key_hash(const struct nfqr_stream *st, const struct skey *k)
{
	uint64_t v0 = 0x736f6d6570736575ULL ^ st->sip[0], v1 = 0x646f72616e646f6dULL ^ st->sip[1];
	uint64_t v2 = 0x6c7967656e657261ULL ^ st->sip[0], v3 = 0x7465646279746573ULL ^ st->sip[1];
	uint64_t w[5];

	memcpy(w, k, sizeof(w));
	for (int i = 0; i < 5; i++) {
		v3 ^= w[i];
		SIPROUND;
		v0 ^= w[i];
	}
	v3 ^= (uint64_t)sizeof(w) << 56;
	SIPROUND;
	v0 ^= (uint64_t)sizeof(w) << 56;
	v2 ^= 0xff;
	SIPROUND; SIPROUND; SIPROUND;
	return v0 ^ v1 ^ v2 ^ v3;
}

_Static_assert(sizeof(struct skey) == 40, "flow key: five words");

/* The last tail_cap bytes of a + b, into out; returns their count. */
static uint16_t last_bytes(uint8_t *out, uint32_t cap, const uint8_t *a, uint32_t alen,
			   const uint8_t *b, uint32_t blen)
{
	uint32_t from_b = blen < cap ? blen : cap;
	uint32_t from_a = cap - from_b < alen ? cap - from_b : alen;

	if (from_a)
		memmove(out, a + alen - from_a, from_a);   /* a may overlap out */
	memcpy(out + from_a, b + blen - from_b, from_b);
	return (uint16_t)(from_a + from_b);
}

const uint64_t *nfqr_stream_prepare(const struct nfqr_ruleset *rs, struct nfqr_stream *st,
				    const uint8_t *pkt, const struct nfqr_decoded *d,
				    uint64_t *stats)
{
	const uint8_t *pl = pkt + d->payload_off;
	uint32_t cap_len, real_len, seq, b, i, victim = 0, oldest = 0;
	struct sent *e = NULL;
	bool joined = false, known_tail, have_free = false;
	uint8_t flags = d->tcp_flags;
	struct skey k;

	st->pending = P_NONE;
	if (d->status != NFQR_DEC_OK || d->l4proto != 6 || !d->l4_present || d->is_fragment)
		return NULL;
	cap_len = d->end > d->payload_off ? d->end - d->payload_off : 0;
	real_len = d->ip_end > d->payload_off ? d->ip_end - d->payload_off : 0;
	if (real_len < cap_len)
		real_len = cap_len;
	known_tail = cap_len == real_len;      /* else the capture stops before the end */
	if (!real_len && !(flags & (TCP_SYN | TCP_FIN | TCP_RST)))
		return NULL;                   /* a bare ACK: nothing to join or keep */
	seq = (uint32_t)pkt[d->l4_off + 4] << 24 | (uint32_t)pkt[d->l4_off + 5] << 16 |
	      (uint32_t)pkt[d->l4_off + 6] << 8 | pkt[d->l4_off + 7];

	memset(&k, 0, sizeof(k));
	memcpy(k.saddr, d->saddr, 16);
	memcpy(k.daddr, d->daddr, 16);
	k.sport = d->sport;
	k.dport = d->dport;
	k.family = d->family;
	b = (uint32_t)key_hash(st, &k) & st->mask;
	st->clock++;
	for (i = 0; i < NFQR_STREAM_WAYS; i++) {
		uint32_t s = b * NFQR_STREAM_WAYS + i;
		struct sent *c = slot_at(st, s);

		if (c->used && memcmp(&c->k, &k, sizeof(k)) == 0) {
			e = c;
			victim = s;
			break;
		}
		if (have_free)
			continue;
		if (!c->used) {                 /* the first free one, else the oldest */
			have_free = true;
			victim = s;
		} else if (i == 0 || st->clock - c->stamp > oldest) {
			oldest = st->clock - c->stamp;
			victim = s;
		}
	}
	st->p_slot = victim;
	st->p_key = k;
	st->p_new = e == NULL;

	if (e && !(flags & TCP_SYN)) {
		int32_t ahead = (int32_t)(seq - e->next_seq);

		if (ahead == 0 && e->tail_len && cap_len) {
			uint32_t head = cap_len < st->tail_cap ? cap_len : st->tail_cap;

			memcpy(st->window, tail_of(e), e->tail_len);
			memcpy(st->window + e->tail_len, pl, head);
			memset(st->smatched, 0, bv_words(rs->n_stream) * 8);
			nfqr_cm_scan_cross(rs->stream_cm, st->cms, st->window, e->tail_len + head,
					   e->tail_len, st->smatched);
			stats[NFQR_STAT_STREAM_JOINS]++;
			memset(st->matched, 0, bv_words(rs->n_patterns) * 8);
			for (uint32_t p = bv_next(st->smatched, 0, rs->n_stream); p < rs->n_stream;
			     p = bv_next(st->smatched, p + 1, rs->n_stream)) {
				bv_set(st->matched, rs->stream_pat[p]);
				joined = true;
			}
		} else if (ahead != 0 && real_len) {
			stats[NFQR_STAT_STREAM_OUT_OF_ORDER]++;
		}
		if (flags & (TCP_FIN | TCP_RST)) {
			st->pending = P_EVICT;
		} else if (ahead == 0) {        /* in order: the tail goes on */
			st->pending = P_SET;
			st->p_next = seq + real_len;
			st->p_tail_len = known_tail
				? last_bytes(st->p_tail, st->tail_cap, tail_of(e), e->tail_len, pl, cap_len)
				: 0;
		} else if (ahead > 0) {         /* a gap: start again from this segment */
			st->pending = P_SET;
			st->p_next = seq + real_len;
			st->p_tail_len = known_tail
				? last_bytes(st->p_tail, st->tail_cap, NULL, 0, pl, cap_len) : 0;
		}                               /* behind: a resent or late segment, keep the state */
		return joined ? st->matched : NULL;
	}
	if (flags & (TCP_FIN | TCP_RST)) {
		if (e)                          /* SYN with FIN or RST: nonsense, forget */
			st->pending = P_EVICT;
		return NULL;
	}
	/* a new flow (or a SYN, which starts the direction again) */
	st->pending = P_SET;
	st->p_next = seq + real_len + ((flags & TCP_SYN) ? 1 : 0);
	st->p_tail_len = known_tail ? last_bytes(st->p_tail, st->tail_cap, NULL, 0, pl, cap_len) : 0;
	return NULL;
}

void nfqr_stream_commit(struct nfqr_stream *st, uint32_t verdict, uint64_t *stats)
{
	uint32_t v = verdict & NF_VERDICT_MASK;
	struct sent *e;

	if (st->pending == P_NONE)
		return;
	e = slot_at(st, st->p_slot);
	if (v != NF_ACCEPT && v != NF_QUEUE) {  /* not sent on: it will come again */
		st->pending = P_NONE;
		return;
	}
	if (st->pending == P_EVICT) {
		e->used = 0;
		stats[NFQR_STAT_STREAM_FLOWS]--;
	} else {
		if (st->p_new) {
			if (e->used)
				stats[NFQR_STAT_STREAM_EVICTIONS]++;
			else
				stats[NFQR_STAT_STREAM_FLOWS]++;
			e->k = st->p_key;
			e->used = 1;
		}
		e->next_seq = st->p_next;
		e->stamp = st->clock;
		e->tail_len = st->p_tail_len;
		memcpy(tail_of(e), st->p_tail, st->p_tail_len);
	}
	st->pending = P_NONE;
}
