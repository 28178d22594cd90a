/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Where the program mapped its rings.  The mapping itself is the device's
 * (offset 0, exactly RX + TX, as in 4.5; the device also refuses private
 * mappings).  The library only remembers the address, to read the header
 * of a TX frame that failed (its request's sequence number for the error
 * message) and the lengths of the frames a flush sent (sendto's result).
 * munmap() forgets it; a global count keeps munmap() of every other
 * mapping to one load.
 */
#include <errno.h>
#include <sys/mman.h>
#include <unistd.h>

#include "nlmmap.h"

#define MAPS 64

struct map_rec {
	_Atomic(struct nlm_sock *) s;	/* NULL: free */
	unsigned char *base;
	size_t len;
};

static struct map_rec maps[MAPS];
static atomic_uint maps_live;

void *nlm_mmap(struct nlm_sock *s, void *addr, size_t len, int prot, int flags, off_t off)
{
	unsigned char *p = nlm_ops->map(addr, len, prot, flags, s->dev, off);
	unsigned int i;

	if (p == MAP_FAILED || off != 0)
		return p;
	for (i = 0; i < MAPS; i++) {
		struct nlm_sock *none = NULL;

		if (atomic_load(&maps[i].s) || !atomic_compare_exchange_strong(&maps[i].s, &none, s))
			continue;
		maps[i].base = p;
		maps[i].len = len;
		atomic_fetch_add(&maps_live, 1);
		/* The newest mapping is the one we read (one per socket in practice). */
		atomic_store(&s->map, p);
		return p;
	}
	return p;	/* not remembered: only the error headers and counts suffer */
}

void nlm_munmap_note(void *addr, size_t len)
{
	unsigned char *a = addr;
	unsigned int i;

	if (!atomic_load_explicit(&maps_live, memory_order_acquire))
		return;
	for (i = 0; i < MAPS; i++) {
		struct nlm_sock *s = atomic_load(&maps[i].s);
		unsigned char *expect;

		if (!s || maps[i].base + maps[i].len <= a || a + len <= maps[i].base)
			continue;
		expect = maps[i].base;
		atomic_compare_exchange_strong(&s->map, &expect, NULL);
		atomic_store(&maps[i].s, NULL);
		atomic_fetch_sub(&maps_live, 1);
	}
}

struct nl_mmap_hdr *nlm_tx_frame(struct nlm_sock *s, unsigned int index)
{
	unsigned char *base = atomic_load(&s->map);
	uint32_t per_block;
	size_t rx_size;

	if (!base || !s->tx.nm_block_nr || !s->tx.nm_frame_size)
		return NULL;
	per_block = s->tx.nm_block_size / s->tx.nm_frame_size;
	if (!per_block || index >= s->tx.nm_frame_nr)
		return NULL;
	rx_size = (size_t)s->rx.nm_block_size * s->rx.nm_block_nr;
	return (struct nl_mmap_hdr *)(base + rx_size +
				      (size_t)(index / per_block) * s->tx.nm_block_size +
				      (size_t)(index % per_block) * s->tx.nm_frame_size);
}
