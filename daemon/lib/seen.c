/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The last packet id handed out per bound queue, so that a batch verdict
 * covers exactly the packets the caller has seen. */
#include <errno.h>
#include <stdlib.h>

#include "internal.h"

static struct queue_seen *find(const struct nfqring *h, uint16_t queue)
{
	for (uint32_t i = 0; i < h->seen_nr; i++)
		if (h->seen[i].queue == queue)
			return &h->seen[i];
	return NULL;
}

/* At bind time (may allocate). */
int seen_add(struct nfqring *h, uint16_t queue)
{
	if (find(h, queue))
		return 0;
	if (h->seen_nr == h->seen_cap) {
		uint32_t cap = h->seen_cap ? h->seen_cap * 2 : 4;
		struct queue_seen *s = realloc(h->seen, cap * sizeof(*s));

		if (!s)
			return seterr(h, -ENOMEM, "out of memory");
		h->seen = s;
		h->seen_cap = cap;
	}
	h->seen[h->seen_nr++] = (struct queue_seen){ .queue = queue };
	return 0;
}

void seen_remove(struct nfqring *h, uint16_t queue)
{
	struct queue_seen *s = find(h, queue);

	if (s)
		*s = h->seen[--h->seen_nr];
}

void seen_note(struct nfqring *h, uint16_t queue, uint32_t id)
{
	struct queue_seen *s = find(h, queue);

	if (s) {
		if (!s->fresh)
			s->batch_id = id - 1;
		s->last_id = id;
		s->fresh = true;
		s->any = true;
		s->unjudged++;
	}
}

/* The kernel refuses a batch that finds no packet (-ENOENT), so
 * nfqring_batch_seen() must know when single verdicts covered them all. */
void seen_judged(struct nfqring *h, uint16_t queue, uint32_t id, bool batch)
{
	struct queue_seen *s = find(h, queue);

	if (!s || !s->fresh)
		return;
	/* ids are serial numbers: only those handed out since the last batch count */
	if ((uint32_t)(id - s->batch_id - 1) >= (uint32_t)(s->last_id - s->batch_id))
		return;
	if (batch && id == s->last_id) {
		s->fresh = false;
		s->unjudged = 0;
		s->batch_id = id;
	} else if (!batch && s->unjudged) {
		s->unjudged--;
	}
}

bool nfqring_last_id(const struct nfqring *h, uint16_t queue, uint32_t *id)
{
	const struct queue_seen *s = find(h, queue);

	if (!s || !s->any)
		return false;
	*id = s->last_id;
	return true;
}

struct queue_seen *seen_at(struct nfqring *h, uint32_t i)
{
	return i < h->seen_nr ? &h->seen[i] : NULL;
}
