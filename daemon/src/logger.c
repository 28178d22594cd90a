// SPDX-License-Identifier: GPL-2.0-only
/* The logger thread: drains every worker's log ring to stderr (the journal
 * under systemd), so workers never block on output. */
#include <stdio.h>
#include <unistd.h>

#include "daemon.h"

static void drain(struct nfqd *d)
{
	char line[NFQD_LOG_LINE + 1];

	for (uint32_t i = 0; i < d->n; i++)
		while (nfqd_logring_pop(&d->w[i].log, line, sizeof(line)))
			fprintf(stderr, "nfqringd: %s\n", line);
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
