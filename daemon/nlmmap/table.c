/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The descriptor table: which program descriptor numbers are emulated
 * sockets (nlmmap.h says why it is built this way).  Lookups, tracking and
 * untracking are lock-free and allocate nothing for numbers below 1024, so
 * close() and dup() stay async-signal-safe.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "nlmmap.h"

#define CHUNK_BITS	10
#define CHUNK		(1U << CHUNK_BITS)
#define CHUNKS		(NLM_MAX_FD / CHUNK)

typedef _Atomic(struct nlm_sock *) slot_t;

atomic_uint nlm_live;
static atomic_uint nlm_internal;	/* numbers marked NLM_INTERNAL */
pthread_mutex_t nlm_setup_lock = PTHREAD_MUTEX_INITIALIZER;

/* Numbers 0..1023 need no allocation; the rest get chunks on demand. */
static slot_t chunk0[CHUNK];
static _Atomic(slot_t *) chunks[CHUNKS] = { [0] = chunk0 };

static _Atomic(struct nlm_sock *) free_list;	/* pushed by anyone, popped under nlm_setup_lock */
static struct nlm_sock *all_entries;		/* under nlm_setup_lock */

static slot_t *slot_of(int fd, bool create)
{
	slot_t *c, *fresh = NULL;
	unsigned int i;

	if (fd < 0 || fd >= NLM_MAX_FD)
		return NULL;
	i = (unsigned int)fd >> CHUNK_BITS;
	c = atomic_load_explicit(&chunks[i], memory_order_acquire);
	if (c || !create)
		return c ? &c[fd & (CHUNK - 1)] : NULL;
	fresh = calloc(CHUNK, sizeof(*fresh));
	if (!fresh)
		return NULL;
	if (!atomic_compare_exchange_strong(&chunks[i], &c, fresh)) {
		free(fresh);	/* another thread installed one: c is it */
		return &c[fd & (CHUNK - 1)];
	}
	return &fresh[fd & (CHUNK - 1)];
}

struct nlm_sock *nlm_get(int fd)
{
	struct nlm_sock *s;
	unsigned int r;
	slot_t *slot;

	if (!atomic_load_explicit(&nlm_live, memory_order_acquire))
		return NULL;
	slot = slot_of(fd, false);
	if (!slot)
		return NULL;
	for (;;) {
		s = atomic_load_explicit(slot, memory_order_acquire);
		if (!s || s == NLM_INTERNAL)
			return NULL;
		r = atomic_load(&s->refs);
		do {
			if (r == 0)
				return NULL;	/* dying: the slot is being cleared */
		} while (!atomic_compare_exchange_weak(&s->refs, &r, r + 1));
		/* An entry reused for another socket since we loaded it? */
		if (atomic_load_explicit(slot, memory_order_acquire) == s)
			return s;
		nlm_put(s);
	}
}

static void nlm_sock_free(struct nlm_sock *s)
{
	struct nlm_sock *head;

	if (s->dev >= 0) {
		nlm_unmark_internal(s->dev);
		REAL(close)(s->dev);
	}
	if (s->nl >= 0) {
		nlm_unmark_internal(s->nl);
		REAL(close)(s->nl);
	}
	s->dev = s->nl = -1;
	/* The stash buffer stays with the entry for its next socket: no
	 * free() here, close() may come from a signal handler. */
	s->stash_len = 0;
	atomic_store(&s->has_stash, false);
	head = atomic_load(&free_list);
	do {
		s->next_free = head;
	} while (!atomic_compare_exchange_weak(&free_list, &head, s));
}

void nlm_put(struct nlm_sock *s)
{
	if (atomic_fetch_sub(&s->refs, 1) == 1)
		nlm_sock_free(s);
}

int nlm_track(int fd, struct nlm_sock *s)
{
	struct nlm_sock *old;
	slot_t *slot = slot_of(fd, true);

	if (!slot)
		return fd < 0 || fd >= NLM_MAX_FD ? -EBADF : -ENOMEM;
	atomic_fetch_add(&s->refs, 1);
	old = atomic_exchange(slot, s);
	/* a number reused behind our back, or tracked twice: one reference
	 * per number */
	if (old && old != NLM_INTERNAL)
		nlm_put(old);
	if (!old || old == NLM_INTERNAL)
		atomic_fetch_add(&nlm_live, 1);
	if (old == NLM_INTERNAL)
		atomic_fetch_sub(&nlm_internal, 1);
	return 0;
}

void nlm_untrack(int fd)
{
	struct nlm_sock *old;
	slot_t *slot;

	if (!atomic_load_explicit(&nlm_live, memory_order_acquire) &&
	    !atomic_load_explicit(&nlm_internal, memory_order_acquire))
		return;
	slot = slot_of(fd, false);
	if (!slot)
		return;
	old = atomic_exchange(slot, NULL);
	if (old == NLM_INTERNAL) {
		/* the program dup2()ed over one of ours: the kernel closed it,
		 * nothing of ours to drop */
		atomic_fetch_sub(&nlm_internal, 1);
	} else if (old) {
		atomic_fetch_sub(&nlm_live, 1);
		nlm_put(old);
	}
}

void nlm_mark_internal(int fd)
{
	slot_t *slot = slot_of(fd, true);
	struct nlm_sock *none = NULL;

	if (slot && atomic_compare_exchange_strong(slot, &none, NLM_INTERNAL))
		atomic_fetch_add(&nlm_internal, 1);
}

void nlm_unmark_internal(int fd)
{
	slot_t *slot = slot_of(fd, false);
	struct nlm_sock *mark = NLM_INTERNAL;

	if (slot && atomic_compare_exchange_strong(slot, &mark, NULL))
		atomic_fetch_sub(&nlm_internal, 1);
}

bool nlm_is_internal(int fd)
{
	slot_t *slot;

	if (!atomic_load_explicit(&nlm_internal, memory_order_acquire))
		return false;
	slot = slot_of(fd, false);
	return slot && atomic_load_explicit(slot, memory_order_acquire) == NLM_INTERNAL;
}

struct nlm_sock *nlm_sock_new(void)
{
	struct nlm_sock *s = atomic_load(&free_list);

	/* The only popper (we hold nlm_setup_lock): no ABA. */
	while (s && !atomic_compare_exchange_weak(&free_list, &s, s->next_free))
		;
	if (!s) {
		s = calloc(1, sizeof(*s));
		if (!s)
			return NULL;
		pthread_mutex_init(&s->lock, NULL);
		s->next_all = all_entries;
		all_entries = s;
	}
	s->dev = s->nl = -1;
	memset(&s->rx, 0, sizeof(s->rx));
	memset(&s->tx, 0, sizeof(s->tx));
	atomic_store(&s->no_enobufs, false);
	atomic_store(&s->portid, 0);
	atomic_store(&s->map, NULL);
	atomic_store(&s->tx_next, 0);
	s->next_free = NULL;
	/* Last: a stale lookup that races us backs off on the slot check. */
	atomic_store(&s->refs, 1);
	return s;
}

/* fork(): no lock of ours may be held by a thread the child does not have. */
static void atfork_prepare(void)
{
	struct nlm_sock *s;

	pthread_mutex_lock(&nlm_setup_lock);
	for (s = all_entries; s; s = s->next_all)
		pthread_mutex_lock(&s->lock);
}

static void atfork_release(void)
{
	struct nlm_sock *s;

	for (s = all_entries; s; s = s->next_all)
		pthread_mutex_unlock(&s->lock);
	pthread_mutex_unlock(&nlm_setup_lock);
}

__attribute__((constructor))
static void nlm_table_ctor(void)
{
	pthread_atfork(atfork_prepare, atfork_release, atfork_release);
}
