// SPDX-License-Identifier: GPL-2.0
/*
 * nlm_drive: the world around an old-API client, inside a new network
 * namespace.  It queues UDP on loopback to queue 0 (port 9999) and, with -2,
 * to queue 1 (port 9998), starts the client command, waits for its "ready",
 * sends COUNT datagrams numbered 0..COUNT-1 and counts what reaches the
 * receivers: the client's policy (old_nfq_mmap.c) drops odd numbers and
 * accepts even ones, so every even number must arrive and no odd one.
 *
 *   nlm_drive [-2] [-m] [-n COUNT] [-C] -- COMMAND [ARG...]
 *     -m   every third datagram is 3000 bytes (bigger than a 2048-byte frame)
 *     -C   the client must report COPY frames ("copy N", N > 0)
 * Prints the client's summary and the receivers' counts; exit 0 when the
 * books balance: judged = COUNT, accepted = arrived = the even ones,
 * dropped = the odd ones, none of which arrived.
 */
#include <arpa/inet.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "drive.h"
#include "net.h"

#define MAXN	100000

struct books {
	unsigned long count, arrived, odd_arrived;
	unsigned long judged, acc, drp, cpy, bat, errs;
	bool got_summary;
	unsigned char seen[MAXN];
};

static void seen(void *ctx, const unsigned char *buf, size_t len)
{
	struct books *b = ctx;
	uint32_t s;

	if (len < 4)
		return;
	s = data_seq(buf);
	if (s < b->count && !b->seen[s]) {
		b->seen[s] = 1;
		b->arrived++;
		b->odd_arrived += s & 1;
	}
}

static void summary(void *ctx, const char *line)
{
	struct books *b = ctx;

	if (sscanf(line, "judged %lu accepted %lu dropped %lu copy %lu batches %lu errors %lu",
		   &b->judged, &b->acc, &b->drp, &b->cpy, &b->bat, &b->errs) == 6)
		b->got_summary = true;
}

#define USAGE "usage: nlm_drive [-2] [-m] [-n COUNT] [-C] -- COMMAND [ARG...]"

int main(int argc, char **argv)
{
	static struct books b = { .count = 200 };
	bool two = false, mixed = false, need_copy = false;
	unsigned long even_missing = 0, i;
	int c, status, bad = 0, r;
	struct drive d = { .prog = "nlm_drive" };

	while ((c = getopt(argc, argv, "2mn:C")) != -1) {
		switch (c) {
		case '2': two = true; break;
		case 'm': mixed = true; break;
		case 'n': b.count = strtoul(optarg, NULL, 0); break;
		case 'C': need_copy = true; break;
		default: return drive_fail(&d, USAGE);
		}
	}
	if (optind >= argc || b.count == 0 || b.count > MAXN)
		return drive_fail(&d, USAGE);
	if (drive_setup(&d, "nlm_drive", two))
		return 1;
	r = drive_start(&d, argv + optind, false, "ready");
	if (r)
		return r;

	for (i = 0; i < b.count; i++) {
		unsigned char buf[3000];
		uint32_t be = htonl((uint32_t)i);
		size_t len = mixed && i % 3 == 2 ? 3000 : 100;

		memset(buf, 0x5a, len);
		memcpy(buf, &be, 4);
		drive_send(&d, two && (i & 2), buf, len);
		if (i % 32 == 31)
			usleep(2000);	/* let the client keep up: no overrun by design */
	}
	drive_count(&d, 2000, seen, &b);	/* until 2 s pass without a datagram */
	for (i = 0; i < b.count; i += 2)
		even_missing += !b.seen[i];
	status = drive_finish(&d, summary, &b);
	printf("sent %lu arrived %lu (odd %lu, even missing %lu)\n", b.count, b.arrived,
	       b.odd_arrived, even_missing);

	if (!WIFEXITED(status) || WEXITSTATUS(status)) {
		fprintf(stderr, "nlm_drive: the client failed (status %d)\n",
			WIFEXITED(status) ? WEXITSTATUS(status) : -1);
		bad++;
	}
	if (!b.got_summary || b.judged != b.count) {
		fprintf(stderr, "nlm_drive: judged %lu of %lu\n", b.judged, b.count);
		bad++;
	}
	if (b.odd_arrived || even_missing || b.acc != (b.count + 1) / 2 || b.drp != b.count / 2 ||
	    b.arrived != (b.count + 1) / 2) {
		fprintf(stderr, "nlm_drive: the books do not balance\n");
		bad++;
	}
	if (need_copy && b.cpy == 0) {
		fprintf(stderr, "nlm_drive: no COPY frame although some datagrams exceed the frame\n");
		bad++;
	}
	return bad ? 1 : 0;
}
