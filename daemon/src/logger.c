// SPDX-License-Identifier: GPL-2.0-only
/* The logger thread: drains every worker's log ring to stderr (the journal
 * under systemd), so workers never block on output. */
#include <net/if.h>
#include <stdio.h>
#include <unistd.h>

#include "daemon.h"

/* Names as they are now, in the daemon's namespace: a renamed interface
 * shows its new name, a deleted one its number (pktlog.c). */
static const char *ifname(uint32_t ifindex, char *buf)
{
	return if_indextoname(ifindex, buf);
}

static void drain(struct nfqd *d)
{
	char line[NFQD_LOG_LINE + 1];
	struct nfqd_pktlog rec;
	int kind;

	for (uint32_t i = 0; i < d->n; i++)
		while ((kind = nfqd_logring_pop_entry(&d->w[i].log, line, sizeof(line), &rec))) {
			if (kind == NFQD_LOG_TEXT) {
				fprintf(stderr, "nfqringd: %s\n", line);
			} else if (d->o.log_json) {
				/* a bare object per line: what log shippers parse */
				nfqd_pktlog_json(stderr, &rec, ifname);
				fputc('\n', stderr);
			} else {
				fputs("nfqringd: ", stderr);
				nfqd_pktlog_text(stderr, &rec, ifname);
				fputc('\n', stderr);
			}
		}
	fflush(stderr);
}

static void *logger_main(void *arg)
{
	struct nfqd *d = arg;

	while (!atomic_load(&d->log_quit)) {
		drain(d);
		usleep(20000);
	}
	drain(d);
	return NULL;
}

int nfqd_logger_start(struct nfqd *d)
{
	return -pthread_create(&d->logger, NULL, logger_main, d);
}

void nfqd_logger_stop(struct nfqd *d)
{
	atomic_store(&d->log_quit, true);
	pthread_join(d->logger, NULL);
}
