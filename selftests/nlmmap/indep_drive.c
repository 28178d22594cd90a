// SPDX-License-Identifier: GPL-2.0
/*
 * indep_drive: the world around indep/nfq_mmap_client (the old-API client
 * written without seeing nfqring-nlmmap), inside a new network namespace.
 * Like nlm_drive, it queues UDP on loopback to queue 0 (port 9999) and, with
 * -2, to queue 1 (port 9998), starts the client command, waits until it says
 * "waiting for packets", sends COUNT datagrams and counts what reaches the
 * receivers.  Datagram i is 'D' when i % 5 == 3 and 'A' otherwise, followed
 * by i (4 bytes, network order): the client runs with -d D, so every 'D' must
 * be dropped and every 'A' must arrive.
 *
 *   indep_drive [-2] [-m] [-n COUNT] [-C] [-K] [-O] -- COMMAND [ARG...]
 *     -2   datagrams with i & 2 go to queue 1
 *     -m   every third datagram is 3000 bytes (bigger than small frames)
 *     -C   the client must report packets from COPY and from VALID frames
 *     -K   the client asked for acks (-a): acks must equal its verdict messages
 *     -O   overrun: send without pauses to a client with a tiny ring (and no
 *          -c); packets that found no frame are lost, as in 4.5 (dropped by
 *          the kernel), so the client must report overruns= > 0 and the books
 *          balance over what it judged
 * Exit 0 when the client exited 0 and the books balance: its summary
 * (packets=, accepted=, dropped=, copy=, valid=, q<n>=) matches what was
 * sent and what arrived.
 */
#include <arpa/inet.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "drive.h"

#define MAXN	100000
#define BIG	3000

static bool is_drop(unsigned long i)
{
	return i % 5 == 3;
}

/* value of key= in the client's summary line; -1 when absent */
static long long field(const char *line, const char *key)
{
	size_t k = strlen(key);
	const char *p = line;

	while ((p = strstr(p, key)) != NULL) {
		if ((p == line || p[-1] == ' ') && p[k] == '=')
			return strtoll(p + k + 1, NULL, 10);
		p += k;
	}
	return -1;
}

struct books {
	unsigned long count, arrived, d_arrived;
	char summary[1024];
	unsigned char seen[MAXN];
};

static void seen(void *ctx, const unsigned char *buf, size_t len)
{
	struct books *b = ctx;
	uint32_t be;
	unsigned long s;

	if (len < 5)
		return;
	memcpy(&be, buf + 1, 4);
	s = ntohl(be);
	if (s < b->count && !b->seen[s]) {
		b->seen[s] = 1;
		b->arrived++;
		b->d_arrived += buf[0] == 'D';
	}
}

static void summary(void *ctx, const char *line)
{
	struct books *b = ctx;

	if (strncmp(line, "packets=", 8) == 0)
		snprintf(b->summary, sizeof(b->summary), "%s", line);
}

#define USAGE "usage: indep_drive [-2] [-m] [-n COUNT] [-C] [-K] [-O] -- COMMAND [ARG...]"

int main(int argc, char **argv)
{
	static struct books bk = { .count = 200 };
	unsigned long count, i, want_acc = 0, want_drp = 0, to_q[2] = { 0, 0 };
	unsigned long arrived, d_arrived, a_missing = 0;
	bool two = false, mixed = false, need_copy = false, need_acks = false;
	bool overrun = false;
	int c, status, bad = 0, r;
	const char *summary_line = bk.summary;
	struct drive d = { .prog = "indep_drive" };

	while ((c = getopt(argc, argv, "2mn:CKO")) != -1) {
		switch (c) {
		case '2': two = true; break;
		case 'm': mixed = true; break;
		case 'n': bk.count = strtoul(optarg, NULL, 0); break;
		case 'C': need_copy = true; break;
		case 'K': need_acks = true; break;
		case 'O': overrun = true; break;
		default: return drive_fail(&d, USAGE);
		}
	}
	count = bk.count;
	if (optind >= argc || count == 0 || count > MAXN)
		return drive_fail(&d, USAGE);
	if (drive_setup(&d, "indep_drive", two))
		return 1;
	/* the client's stdout (summary) and stderr (diagnostics, "waiting") */
	r = drive_start(&d, argv + optind, true, "waiting for packets");
	if (r)
		return r;

	for (i = 0; i < count; i++) {
		unsigned char buf[BIG];
		uint32_t be = htonl((uint32_t)i);
		size_t len = mixed && i % 3 == 2 ? BIG : 100;
		int q = two && (i & 2) ? 1 : 0;

		memset(buf, 0x5a, len);
		buf[0] = is_drop(i) ? 'D' : 'A';
		memcpy(buf + 1, &be, 4);
		drive_send(&d, q, buf, len);
		to_q[q]++;
		if (is_drop(i))
			want_drp++;
		else
			want_acc++;
		if (i % 32 == 31 && !overrun)
			usleep(2000);	/* let the client keep up: no overrun by design */
	}
	drive_count(&d, 2000, seen, &bk);	/* until 2 s pass without a datagram */
	arrived = bk.arrived;
	d_arrived = bk.d_arrived;
	for (i = 0; i < count; i++)
		a_missing += !is_drop(i) && !bk.seen[i];
	status = drive_finish(&d, summary, &bk);
	printf("sent %lu (A %lu, D %lu; queue 0 %lu, queue 1 %lu), arrived %lu (D %lu, A missing %lu)\n",
	       count, want_acc, want_drp, to_q[0], to_q[1], arrived, d_arrived, a_missing);

	if (!WIFEXITED(status) || WEXITSTATUS(status)) {
		fprintf(stderr, "indep_drive: the client failed (status %d)\n",
			WIFEXITED(status) ? WEXITSTATUS(status) : -1);
		bad++;
	}
	if (!summary_line[0]) {
		fprintf(stderr, "indep_drive: no summary from the client\n");
		return 1;
	}
	if (overrun) {
		long long judged = field(summary_line, "packets");

		if (field(summary_line, "overruns") <= 0 || judged >= (long long)count) {
			fprintf(stderr, "indep_drive: %lld of %lu judged, the client saw %lld overruns: "
				"expected some lost to an overrun, reported\n",
				judged, count, field(summary_line, "overruns"));
			bad++;
		}
		if (field(summary_line, "errors") != 0 || d_arrived ||
		    field(summary_line, "accepted") != (long long)arrived ||
		    field(summary_line, "accepted") + field(summary_line, "dropped") != judged) {
			fprintf(stderr, "indep_drive: the books do not balance over what was judged\n");
			bad++;
		}
		return bad ? 1 : 0;
	}
	if (field(summary_line, "packets") != (long long)count ||
	    field(summary_line, "errors") != 0 || field(summary_line, "overruns") != 0) {
		fprintf(stderr, "indep_drive: the client judged %lld of %lu packets, "
			"%lld errors, %lld overruns\n", field(summary_line, "packets"), count,
			field(summary_line, "errors"), field(summary_line, "overruns"));
		bad++;
	}
	if (d_arrived || a_missing || arrived != want_acc ||
	    field(summary_line, "accepted") != (long long)want_acc ||
	    field(summary_line, "dropped") != (long long)want_drp) {
		fprintf(stderr, "indep_drive: the books do not balance\n");
		bad++;
	}
	if (field(summary_line, "copy") + field(summary_line, "valid") != (long long)count) {
		fprintf(stderr, "indep_drive: copy + valid is not the packet count\n");
		bad++;
	}
	if (need_copy && (field(summary_line, "copy") <= 0 || field(summary_line, "valid") <= 0)) {
		fprintf(stderr, "indep_drive: expected packets from both COPY and VALID frames\n");
		bad++;
	}
	if (field(summary_line, "q0") != (long long)to_q[0] ||
	    (two && field(summary_line, "q1") != (long long)to_q[1])) {
		fprintf(stderr, "indep_drive: per-queue counts differ from what was sent\n");
		bad++;
	}
	if (need_acks && (field(summary_line, "acks") <= 0 ||
			  field(summary_line, "acks") != field(summary_line, "verdict_msgs"))) {
		fprintf(stderr, "indep_drive: acks differ from verdict messages\n");
		bad++;
	}
	return bad ? 1 : 0;
}
