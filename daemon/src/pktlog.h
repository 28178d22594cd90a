/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Packet log lines (the `log` statement): the worker fills a fixed-size
 * record (flow, rule, interfaces, verdict) and pushes it through its log
 * ring; the logger thread formats it as text or as one JSON object per line
 * (--log-format json) and resolves interface names, so the packet path never
 * formats or makes a system call.  --log-once-per-flow keeps a bounded,
 * per-worker table of flows already logged.
 */
#ifndef NFQD_PKTLOG_H
#define NFQD_PKTLOG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "nfqr_engine.h"

#define NFQD_PKTLOG_ID		64	/* rule id bytes kept (with the NUL) */
#define NFQD_PKTLOG_PREFIX	40	/* log prefix bytes kept */

struct nfqd_pktlog {
	uint64_t time_ns;		/* CLOCK_REALTIME when judged */
	uint32_t queue, id, len, verdict, mark, iif, oif;
	uint16_t sport, dport;
	uint8_t family;			/* 4, 6, or 0: not decoded */
	uint8_t l4proto, icmp_type, icmp_code;
	uint8_t reject;			/* enum nfqr_reject: the verdict was a reject */
	bool has_ports, has_icmp, fragment;
	/* detect-only (nfqr_result.detect): what was not done */
	uint8_t detect;			/* NFQR_DETECT_* bits, 0: nothing */
	uint8_t detect_reject;		/* enum nfqr_reject */
	uint32_t detect_verdict, detect_mark, detect_ct_mark, detect_ct_mask;
	uint8_t saddr[16], daddr[16];
	char rule[NFQD_PKTLOG_ID];
	char prefix[NFQD_PKTLOG_PREFIX];
};

/* Fills @rec for one logged packet: decodes the flow from @pkt again (only
 * packets that log pay for it), copies the rule's id and prefix. */
void nfqd_pktlog_fill(struct nfqd_pktlog *rec, const struct nfqr_ruleset *rs, uint32_t rule,
		      const uint8_t *pkt, size_t caplen, const struct nfqr_pkt_meta *meta,
		      uint32_t queue, uint32_t id, uint32_t verdict, enum nfqr_reject reject,
		      uint64_t time_ns);

/* Copies what the result detected (detect-only) into @rec. */
void nfqd_pktlog_detect(struct nfqd_pktlog *rec, const struct nfqr_result *res);

/* What was detected but not done, as " (detect: drop, mark set 0x10, ...)"
 * after a text line's verdict, or ,"detect":"drop",... in a JSON object
 * (@sp: a space after each colon and comma, as --test writes JSON); nothing
 * when @bits is 0. */
struct nfqd_detect {
	uint32_t bits, verdict, mark, ct_mark, ct_mask;
	enum nfqr_reject reject;
};
void nfqd_detect_text(FILE *f, const struct nfqd_detect *dt);
void nfqd_detect_json(FILE *f, const struct nfqd_detect *dt, bool sp);
void nfqd_detect_of(struct nfqd_detect *dt, const struct nfqr_result *res);

/* Interface name of an ifindex into @buf (IF_NAMESIZE), or NULL. */
typedef const char *(*nfqd_ifname_fn)(uint32_t ifindex, char *buf);

/* One line, without the newline: text (nf_log-like) or a JSON object. */
void nfqd_pktlog_text(FILE *f, const struct nfqd_pktlog *rec, nfqd_ifname_fn ifname);
void nfqd_pktlog_json(FILE *f, const struct nfqd_pktlog *rec, nfqd_ifname_fn ifname);

/* Shared words: a transport protocol's nft name ("proto-N" in @b when it
 * has none), and a verdict in nft's words ("queue num 3 bypass" or
 * "reject with tcp reset" in @b). */
const char *nfqd_l4_name(uint8_t proto, char *b, size_t n);
const char *nfqd_verdict_words(uint32_t verdict, enum nfqr_reject reject, char *b, size_t n);
/* A rule id as one word when it is one, else quoted the way nft quotes. */
void nfqd_put_id(FILE *f, const char *id);

/*
 * "Log once per flow": a flow (both directions: the endpoints are ordered)
 * and rule seen within the last @timeout seconds is not logged again.  The
 * table has a fixed number of slots per worker; when every candidate slot
 * is busy the oldest entry is replaced, so a flow may be logged again, never
 * lost track of silently: memory stays bounded.
 */
#define NFQD_FLOWONCE_SLOTS	8192	/* power of two */
#define NFQD_FLOWONCE_WAYS	4

struct nfqd_flowonce {
	uint32_t timeout_s;		/* 0: log every packet */
	uint64_t key[NFQD_FLOWONCE_SLOTS];
	uint64_t seen_ns[NFQD_FLOWONCE_SLOTS];	/* CLOCK_MONOTONIC, 0: free */
};

/* True when @rec's flow and rule should be logged now (and remembers it). */
bool nfqd_flowonce_first(struct nfqd_flowonce *t, const struct nfqd_pktlog *rec,
			 uint64_t now_ns);

#endif
