/* SPDX-License-Identifier: GPL-2.0-only */
/* nfqringd's command line. */
#ifndef NFQD_OPTS_H
#define NFQD_OPTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "nfqring.h"
#include "nfqr_engine.h"

#define NFQD_DEFAULT_SOCKET	"/run/nfqringd.sock"
#define NFQD_DEFAULT_TABLE	"nfqringd"	/* --print-nft: table inet NAME */
#define NFQD_LOG_ONCE_DEFAULT	300	/* s: a flow quiet this long is logged again */
#define NFQD_MAX_QUEUES		64	/* one worker thread each */

enum nfqd_mode {
	NFQD_RUN = 0,
	NFQD_CHECK,		/* --check FILE */
	NFQD_RELOAD,		/* --reload: ask the running daemon */
	NFQD_STATS,		/* --stats [--json] */
	NFQD_TEST,		/* --test -c FILE CAPTURE: offline replay (replay.c) */
	NFQD_PRINT_NFT,		/* --print-nft -c FILE -q N[-M]: the nft chain (nftchain.c) */
	NFQD_CONTROL,		/* --control CMD: a command to the running daemon */
	NFQD_LOAD_SET,		/* --load-set NAME FILE: a live set's elements from a file */
	NFQD_HELP,
	NFQD_VERSION,
};

struct nfqd_opts {
	enum nfqd_mode mode;
	const char *config;		/* -c FILE (run, --test) or --check FILE */
	const char *capture;		/* --test: the pcap file, "-" = stdin */
	const char *control;		/* --control: the command */
	const char *set_name;		/* --load-set NAME */
	const char *set_file;		/* --load-set ... FILE, "-" = stdin */
	uint32_t mark;			/* --test --mark: each packet's mark */
	uint32_t ct_mark;		/* --test --ct-mark: its connection's mark */
	bool ct_present;		/* --test: --ct-mark or --ct-state given */
	int ct_info;			/* --test --ct-state: enum ip_conntrack_info, -1 = none */
	bool uid_present, gid_present;	/* --test --uid / --gid */
	uint32_t uid, gid;
	const char *iifname, *oifname;	/* --test --iifname / --oifname: each packet's */
	const char *write_pcap;		/* --test --write-pcap FILE: what leaves */
	uint16_t q_first, q_last;	/* -q N[-M] */
	bool queues_set;
	bool fail_open, cpu_pin, gso, json;
	enum nfqring_backend backend;	/* --backend ring|netlink|auto */
	enum nfqr_cm_backend matcher;	/* --matcher */
	uint32_t copy_range;		/* --copy-range, 0: what the rules need */
	uint32_t ring_frames;		/* --ring-frames, 0: library default */
	const char *socket;		/* --socket PATH */
	uint32_t reject_mark;		/* --reject-mark: the reject field (NFQR_REJECT_MARK_DEFAULT) */
	bool detect_only;		/* --detect-only: accept all, report what the rules would do */
	uint32_t stream_slots;		/* --stream-slots: flow table of content ... stream, 0 = default */
	bool log_json;			/* --log-format json */
	uint32_t log_once_s;		/* --log-once-per-flow[=S], 0: log every packet */
	/* --stall-ms, --stall-action: the kernel's stall watchdog on each queue's
	 * endpoint (ring backend, ABI version 2); stall_ms 0: off */
	uint32_t stall_ms;
	uint32_t stall_verdict;		/* NF_DROP (default) or NF_ACCEPT */
	/* --print-nft only: how the nft chain queues */
	unsigned int hooks;		/* --hooks: NFQD_HOOK_* (default input, forward) */
	bool bypass, fanout;		/* --bypass, --fanout: queue flags */
	const char *table;		/* --table NAME (NFQD_DEFAULT_TABLE) */
	uint32_t ct_bypass_mark;	/* --ct-bypass-mark MASK, 0: none */
};

enum { NFQD_HOOK_INPUT = 1, NFQD_HOOK_FORWARD = 2, NFQD_HOOK_OUTPUT = 4 };

/* Parse argv into *o.  Returns 0, or NFQD_EXIT_USAGE with a message in err. */
int nfqd_opts_parse(struct nfqd_opts *o, int argc, char **argv, char *err, size_t errlen);
void nfqd_usage(FILE *f);
/* The matcher options for the engine (own queues filled in). */
void nfqd_opts_load(const struct nfqd_opts *o, struct nfqr_load_opts *lo);
/* Loads -c FILE as the daemon does (nfqd_opts_load), every diagnostic to
 * stderr; NULL when the file has an error (--check, --test, --print-nft). */
struct nfqr_ruleset *nfqd_opts_rules(const struct nfqd_opts *o);
/* A copy range of @have bytes gives the rules the @need bytes they ask for:
 * the kernel never copies more than NFQRING_MAX_COPY_RANGE, so that much is
 * "the whole packet" even when the rules ask for 65535. */
static inline bool nfqd_copy_range_covers(uint32_t have, uint32_t need)
{
	return have >= need || have >= NFQRING_MAX_COPY_RANGE;
}

#endif
