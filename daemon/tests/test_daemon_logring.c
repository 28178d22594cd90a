// SPDX-License-Identifier: GPL-2.0-only
/* The worker -> logger ring (src/logring.c): order, truncation, drops when
 * full, and one producer against one consumer thread. */
#include <pthread.h>
#include <stdlib.h>

#include "tap.h"

#include "logring.h"

static struct nfqd_logring r;
#define N_LINES 200000

static void *producer(void *arg)
{
	(void)arg;
	for (unsigned int i = 0; i < N_LINES; i++)
		nfqd_logring_push(&r, "line %u", i);
	return NULL;
}

int main(void)
{
	char buf[NFQD_LOG_LINE + 1], big[600];
	unsigned int i, got = 0, last = 0;
	bool in_order = true, popped;
	pthread_t t;

	nfqd_logring_init(&r);
	ok(!nfqd_logring_pop(&r, buf, sizeof(buf)), "empty ring pops nothing");
	ok(nfqd_logring_push(&r, "hello %d", 1), "push");
	ok(nfqd_logring_pop(&r, buf, sizeof(buf)), "pop");
	is_str(buf, "hello 1", "  the line");
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = 0;
	nfqd_logring_push(&r, "%s", big);
	nfqd_logring_pop(&r, buf, sizeof(buf));
	is_int(strlen(buf), NFQD_LOG_LINE - 1, "a long line is cut to the slot");
	nfqd_logring_push(&r, "abcdef");
	nfqd_logring_pop(&r, buf, 4);
	is_str(buf, "abc", "pop into a small buffer cuts");

	for (i = 0; i < NFQD_LOG_SLOTS; i++)
		if (!nfqd_logring_push(&r, "%u", i))
			break;
	is_int(i, NFQD_LOG_SLOTS, "the ring takes %d lines", NFQD_LOG_SLOTS);
	ok(!nfqd_logring_push(&r, "one too many"), "a full ring refuses");
	ok(!nfqd_logring_push(&r, "two too many"), "  again");
	is_int(nfqd_logring_dropped(&r), 2, "  and counts the drops");
	for (i = 0; nfqd_logring_pop(&r, buf, sizeof(buf)); i++)
		if ((unsigned int)atoi(buf) != i)
			break;
	is_int(i, NFQD_LOG_SLOTS, "lines come out in order");

	nfqd_logring_init(&r);
	pthread_create(&t, NULL, producer, NULL);
	for (;;) {
		popped = nfqd_logring_pop(&r, buf, sizeof(buf));
		if (popped) {
			unsigned int v = (unsigned int)atoi(buf + 5);

			if (got && v <= last)
				in_order = false;
			last = v;
			got++;
		} else if (pthread_tryjoin_np(t, NULL) == 0) {
			while (nfqd_logring_pop(&r, buf, sizeof(buf)))
				got++;
			break;
		}
	}
	ok(in_order, "concurrent: lines in order, none twice");
	is_int(got + nfqd_logring_dropped(&r), N_LINES, "concurrent: every line popped or counted dropped");
	return tap_done();
}
