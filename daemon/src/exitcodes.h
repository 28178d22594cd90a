/* SPDX-License-Identifier: GPL-2.0-only */
/* Exit codes of nfqringd, documented in nfqringd(8). */
#ifndef NFQD_EXITCODES_H
#define NFQD_EXITCODES_H

enum {
	NFQD_EXIT_OK = 0,
	NFQD_EXIT_RULES = 1,	/* rule file invalid (also: --reload refused) */
	NFQD_EXIT_USAGE = 2,	/* bad command line */
	NFQD_EXIT_BACKEND = 3,	/* queue backend missing (module not loaded) */
	NFQD_EXIT_PERM = 4,	/* needs CAP_NET_ADMIN / device access */
	NFQD_EXIT_BIND = 5,	/* a queue could not be bound/configured (busy?) */
	NFQD_EXIT_CONFIG = 6,	/* rules need more than the options allow */
	NFQD_EXIT_CONTROL = 7,	/* control socket: in use, or no daemon to talk to */
	NFQD_EXIT_RUNTIME = 8,	/* a worker failed while running */
	NFQD_EXIT_INPUT = 9,	/* --test: the capture is unreadable, damaged or of another link type */
};

#endif
