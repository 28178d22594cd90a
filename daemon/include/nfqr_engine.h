/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * nfqr_engine.h - public API of nfqringd's rule language and packet engine.
 *
 * Life cycle, as a worker uses it:
 *
 *   rs = nfqr_ruleset_load("/etc/nfqring/rules.nft", &opts, &diag);  // once per (re)load
 *   sc = nfqr_scratch_new(rs);                                        // once per worker
 *   for each packet:
 *       nfqr_eval(rs, sc, buf, caplen, &meta, &res);                  // no allocation, no lock
 *       -> send res.verdict (+ NFQA_MARK, NFQA_CT, NFQA_PAYLOAD as res says)
 *
 * A ruleset is immutable after load (only its interface table is updated,
 * atomically, from link events), so a reload builds a new one and swaps one
 * pointer; per-worker state (counters, matcher scratch) lives in the scratch.
 */
#ifndef NFQR_ENGINE_H
#define NFQR_ENGINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#ifdef __cplusplus
extern "C" {
#endif

struct nfqr_ruleset;
struct nfqr_scratch;
struct nfqr_sets;

/* ---- loading ----------------------------------------------------------- */

enum nfqr_cm_backend {
	NFQR_CM_AUTO = 0,         /* Hyperscan if built in and the CPU can run it */
	NFQR_CM_HYPERSCAN,        /* fail the load if Hyperscan is unavailable */
	NFQR_CM_AHO_CORASICK,     /* portable fallback */
};

struct nfqr_load_opts {
	/* Queues nfqringd itself serves: `queue num N` to one of them loops. */
	uint64_t own_queues[65536 / 64];
	bool     own_queues_known;
	enum nfqr_cm_backend backend;
	uint32_t max_errors;      /* stop after this many errors; 0 = 20 */
	/* The reject mark field (nfqringd --reject-mark): 0 = NFQR_REJECT_MARK_DEFAULT;
	 * else nfqr_reject_mark_valid() must hold, or the load fails. */
	uint32_t reject_mark;
	/* nfqringd --detect-only: every rule as if it said `detect`, and the
	 * policies too: nothing is dropped, rejected, repeated, requeued, marked
	 * or rewritten; nfqr_result says what would have been (see below). */
	bool     detect_only;
	/* Flow table of `content ... stream` per worker (scratch): entries,
	 * rounded down to a power of two, at least NFQR_STREAM_WAYS;
	 * 0 = NFQR_STREAM_SLOTS_DEFAULT.  Not allocated without stream contents. */
	uint32_t stream_slots;
	/* Where live sets keep their elements (see "live sets" below); NULL:
	 * the ruleset has its own, with the file's elements in force at once. */
	struct nfqr_sets *sets;
};

#define NFQR_STREAM_SLOTS_DEFAULT 16384u
#define NFQR_STREAM_SLOTS_MAX     (1u << 22)
#define NFQR_STREAM_WAYS          4u      /* entries per bucket */
#define NFQR_STREAM_MAX_LEN       256u    /* longest `content ... stream` */

/* Collected error messages, "file:line:col: expected X, got Y". */
struct nfqr_diag {
	char   **msgs;
	size_t   n;
	size_t   cap;
};
void nfqr_diag_free(struct nfqr_diag *d);

/* Returns NULL and fills diag when the file has any error: a bad file never
 * loads.  Neither does one that cannot be read whole: not a regular file, a
 * read error, or more than NFQR_RULES_MAX_BYTES. */
#define NFQR_RULES_MAX_BYTES (64u << 20)
struct nfqr_ruleset *nfqr_ruleset_load(const char *path,
				       const struct nfqr_load_opts *opts,
				       struct nfqr_diag *diag);
struct nfqr_ruleset *nfqr_ruleset_parse(const char *name, const char *text,
					size_t len,
					const struct nfqr_load_opts *opts,
					struct nfqr_diag *diag);
void nfqr_ruleset_free(struct nfqr_ruleset *rs);
void nfqr_queue_set(struct nfqr_load_opts *opts, uint16_t first, uint16_t last);

/* ---- what the daemon must configure ------------------------------------ */

/*
 * The copy range the rules need: headers up to NFQR_HDR_ALLOWANCE bytes,
 * then the deepest content window or raw field; NFQR_COPY_ALL (the most the
 * kernel copies) for content without a depth and for rewrites.  A packet
 * whose capture still ends before what the rules that may apply to it read
 * (a longer header chain, a copy range cut by the capture) is not judged
 * by the rules: `policy truncated` decides it (NFQR_REASON_TRUNCATED).
 */
#define NFQR_HDR_ALLOWANCE 512u
#define NFQR_COPY_ALL      0xffffu
#define NFQR_CAPTURE_MAX   65531u     /* NFQNL_MAX_COPY_RANGE: the most NFQUEUE copies */
uint32_t    nfqr_ruleset_copy_range(const struct nfqr_ruleset *rs); /* bytes */
bool        nfqr_ruleset_needs_conntrack(const struct nfqr_ruleset *rs); /* F_CONNTRACK */
bool        nfqr_ruleset_needs_uid_gid(const struct nfqr_ruleset *rs);   /* F_UID_GID */
bool        nfqr_ruleset_uses_ifnames(const struct nfqr_ruleset *rs);
/* The line of the first rule that matches on conntrack (ct state, ct
 * direction, ct mark), 0 if none: --test warns without a connection. */
uint32_t    nfqr_ruleset_ct_match_line(const struct nfqr_ruleset *rs);
const char *nfqr_ruleset_backend(const struct nfqr_ruleset *rs); /* "hyperscan", ... */
uint32_t    nfqr_ruleset_rule_count(const struct nfqr_ruleset *rs);
bool        nfqr_ruleset_detect_only(const struct nfqr_ruleset *rs); /* loaded with detect_only */
bool        nfqr_ruleset_rule_detects(const struct nfqr_ruleset *rs, uint32_t rule); /* `detect` */
/* Stable id: the rule's `comment "..."`, else a hash of its text. */
const char *nfqr_ruleset_rule_id(const struct nfqr_ruleset *rs, uint32_t rule);
uint32_t    nfqr_ruleset_rule_line(const struct nfqr_ruleset *rs, uint32_t rule);
/* Index of the rule with this id, or -1: lets counters survive a reload. */
int32_t     nfqr_ruleset_find_rule(const struct nfqr_ruleset *rs, const char *id);
const char *nfqr_ruleset_log_prefix(const struct nfqr_ruleset *rs, uint32_t rule);

/* Interface names are kept in a table fed from rtnetlink link events, so the
 * per-packet path only indexes an array.  Safe against concurrent nfqr_eval. */
void nfqr_ruleset_ifname_set(struct nfqr_ruleset *rs, uint32_t ifindex, const char *name);
void nfqr_ruleset_ifname_del(struct nfqr_ruleset *rs, uint32_t ifindex);

/* ---- live sets --------------------------------------------------------- */

/*
 * A set declared with `flags timeout` or `flags dynamic` is live: rules match
 * it by lookup rather than compiling it in, and its elements change at run
 * time through nfqr_sets_command(), without a reload.  Its elements live in
 * a store kept across reloads (load option `sets`); a reload replaces the
 * elements that came from the file and keeps those added at run time.
 *
 * Readers: each worker calls nfqr_sets_enter() between batches (no lock)
 * and nfqr_sets_leave() when it stops, so that old versions can be freed.
 */
struct nfqr_sets *nfqr_sets_new(uint32_t n_readers);
void nfqr_sets_free(struct nfqr_sets *st);           /* after every ruleset using it */
void nfqr_sets_enter(struct nfqr_sets *st, uint32_t reader);
void nfqr_sets_leave(struct nfqr_sets *st, uint32_t reader);
/* Once a second or so: drops expired elements, frees unused versions. */
void nfqr_sets_tick(struct nfqr_sets *st, uint64_t now_ns);
/* rs's rules come into force: its live sets take the file's elements (call
 * just before publishing rs; a ruleset with its own store did at load).
 * 0 or -ENOMEM. */
int  nfqr_ruleset_activate_sets(const struct nfqr_ruleset *rs, uint64_t now_ns);
uint32_t nfqr_ruleset_live_sets(const struct nfqr_ruleset *rs);
/*
 * A control command on the live sets of the rules in force:
 *   add element NAME { E [timeout T] [expires T], ... }
 *   delete element NAME { E, ... }
 *   flush set NAME                 (the file's elements return at reload)
 *   list set NAME                  (one element per line, as `load` reads)
 *   list sets
 *   load set NAME <newline> E ...  (replaces the run-time elements; the
 *                                   file's stay: an atomic swap of a list)
 * Elements are written as in the rule file.  Returns 0, 1 for a command or
 * element that is wrong (nothing changed), 2 for an unknown set, 3 for
 * ENOMEM; *out (malloc'd, NUL-terminated) says what happened.
 */
int nfqr_sets_command(struct nfqr_sets *st, const char *cmd, size_t len, uint64_t now_ns,
		      char **out);
/* Statistics of the live sets in force, a line each or a JSON array body. */
void nfqr_sets_report(struct nfqr_sets *st, FILE *f, bool json);

/* ---- reject ------------------------------------------------------------ */

/*
 * `reject` verdicts.  NFQUEUE cannot send a TCP reset or an ICMP error, so
 * the engine answers NF_REPEAT with the packet mark's reject field set to
 * the code of the reject kind (the enum value, at the field's lowest bit;
 * the mark's other bits as the rule left them).  The nft chain that
 * `nfqringd --print-nft` prints matches `meta mark & FIELD == CODE` before
 * its queue rule and does the `reject with ...`.  When a ruleset rejects,
 * a packet that arrives with bits of the field set is dropped and counted
 * (NFQR_STAT_REJECT_LOOP, reason NFQR_REASON_REJECT_LOOP): the chain lacks
 * the reject rules, and repeating it again would loop.
 */
enum nfqr_reject {
	NFQR_REJECT_NONE = 0,
	NFQR_REJECT_TCP_RESET,                 /*  1 reject with tcp reset */
	NFQR_REJECT_ICMPX_PORT_UNREACHABLE,    /*  2 reject (nft's default) */
	NFQR_REJECT_ICMPX_ADMIN_PROHIBITED,
	NFQR_REJECT_ICMPX_HOST_UNREACHABLE,
	NFQR_REJECT_ICMPX_NO_ROUTE,
	NFQR_REJECT_ICMP_NET_UNREACHABLE,      /*  6 reject with icmp ...: IPv4 only */
	NFQR_REJECT_ICMP_HOST_UNREACHABLE,
	NFQR_REJECT_ICMP_PROT_UNREACHABLE,
	NFQR_REJECT_ICMP_PORT_UNREACHABLE,
	NFQR_REJECT_ICMP_NET_PROHIBITED,
	NFQR_REJECT_ICMP_HOST_PROHIBITED,
	NFQR_REJECT_ICMP_ADMIN_PROHIBITED,
	NFQR_REJECT_ICMPV6_NO_ROUTE,           /* 13 reject with icmpv6 ...: IPv6 only */
	NFQR_REJECT_ICMPV6_ADMIN_PROHIBITED,
	NFQR_REJECT_ICMPV6_ADDR_UNREACHABLE,
	NFQR_REJECT_ICMPV6_PORT_UNREACHABLE,
	NFQR_REJECT_ICMPV6_POLICY_FAIL,
	NFQR_REJECT_ICMPV6_REJECT_ROUTE,       /* 18 */
	NFQR_REJECT_COUNT
};

#define NFQR_REJECT_MARK_DEFAULT 0x1f000000u   /* mark bits 24-28 */

/* What follows `reject with` in nft: "tcp reset", "icmpx port-unreachable"... */
const char *nfqr_reject_name(enum nfqr_reject k);
/* The match nft needs before that reject: "meta l4proto tcp",
 * "meta nfproto ipv4", "meta nfproto ipv6" or "" (icmpx). */
const char *nfqr_reject_dependency(enum nfqr_reject k);
/* A usable field: one run of contiguous bits, wide enough for every code. */
bool        nfqr_reject_mark_valid(uint32_t field);
/* The mark bits of kind k in the field: k at the field's lowest bit. */
uint32_t    nfqr_reject_mark_code(uint32_t field, enum nfqr_reject k);
/* The field the ruleset was loaded with, and whether any rule rejects (only
 * then is the field reserved: checked at load, guarded per packet). */
uint32_t    nfqr_ruleset_reject_mark(const struct nfqr_ruleset *rs);
bool        nfqr_ruleset_uses_reject(const struct nfqr_ruleset *rs);
/* Connection-mark bits that some `ct mark set` may set to 1 (all of them
 * when one copies the packet mark), for --print-nft's bypass check. */
uint32_t    nfqr_ruleset_ct_mark_bits(const struct nfqr_ruleset *rs);

/* ---- per packet -------------------------------------------------------- */

struct nfqr_pkt_meta {
	uint16_t hw_protocol;  /* NFQA_PACKET_HDR hw_protocol, host order; 0 = from version nibble */
	uint32_t pkt_len;      /* original length (NFQA_CAP_LEN if present), >= caplen */
	uint32_t mark;         /* NFQA_MARK */
	uint32_t iif, oif;     /* NFQA_IFINDEX_INDEV/OUTDEV, 0 = none */
	uint32_t skb_info;     /* NFQA_SKB_INFO: NFQA_SKB_CSUMNOTREADY, NFQA_SKB_GSO, ... */
	bool     ct_present;   /* NFQA_CT was present (packet has a connection) */
	uint32_t ct_mark;      /* CTA_MARK from NFQA_CT, 0 if absent */
	bool     ct_info_present; /* NFQA_CT_INFO was present (the kernel sends it with NFQA_CT) */
	uint8_t  ct_info;      /* NFQA_CT_INFO: enum ip_conntrack_info (IP_CT_ESTABLISHED, ...) */
	bool     uid_present;  /* NFQA_UID was present (F_UID_GID and a local socket) */
	bool     gid_present;  /* NFQA_GID was present */
	uint32_t uid, gid;     /* NFQA_UID, NFQA_GID: the socket's fsuid/fsgid */
	uint64_t now_ns;       /* monotonic time, for log rate limiting */
};

enum nfqr_reason {
	NFQR_REASON_RULE = 0,      /* a rule's verdict */
	NFQR_REASON_POLICY,        /* no rule decided: `policy` */
	NFQR_REASON_FRAGMENT,      /* non-first fragment: `policy fragment` */
	NFQR_REASON_MALFORMED,     /* undecodable headers: `policy malformed` */
	NFQR_REASON_FRAG_NO_L4,    /* first fragment without L4 header: drop (RFC 7112) */
	NFQR_REASON_REJECT_LOOP,   /* arrived with reject mark bits set: drop, see above */
	NFQR_REASON_TRUNCATED,     /* the capture ends before what the rules read: `policy
				      truncated` (see nfqr_ruleset_copy_range) */
};

#define NFQR_MAX_LOG 8

/*
 * Detect-only: a rule with `detect` (or every rule and the policies, with
 * load option detect_only) does not act.  Its verdict other than accept,
 * its mark and connection-mark changes and its payload rewrites are not
 * applied: the result says what would have been done, in these bits of
 * nfqr_result.detect, and the packet is accepted as the rules before it left
 * it.  A would-be verdict still ends evaluation, as the verdict would have.
 */
enum {
	NFQR_DETECT_VERDICT = 1,   /* detect_verdict (+ detect_reject) instead of NF_ACCEPT */
	NFQR_DETECT_MARK    = 2,   /* detect_mark would have been sent as the packet mark */
	NFQR_DETECT_CT_MARK = 4,   /* detect_ct_mark under detect_ct_mask as the ct mark */
	NFQR_DETECT_REWRITE = 8,   /* a payload rewrite would have changed the packet */
};

/* Why a `payload fill` / `payload replace` left a packet alone (counted as
 * NFQR_STAT_REWRITE_REFUSED_*). */
enum nfqr_rw_refusal {
	NFQR_RWR_NONE = 0,
	NFQR_RWR_TRUNCATED,        /* the capture was cut short (copy range, snap length) */
	NFQR_RWR_GSO,              /* a GSO superframe */
	NFQR_RWR_PROTOCOL,         /* a fragment, or a protocol without a known checksum */
};

struct nfqr_result {
	uint32_t verdict;          /* ready for nfqnl: NF_ACCEPT, NF_DROP, NF_REPEAT,
	                              NF_QUEUE_NR(n) [| NF_VERDICT_FLAG_QUEUE_BYPASS] */
	enum nfqr_reason reason;
	int32_t  rule;             /* deciding rule index, -1 if none */
	bool     mark_set;         /* send NFQA_MARK = mark */
	uint32_t mark;
	bool     ct_mark_set;      /* send NFQA_CT { CTA_MARK = ct_mark, CTA_MARK_MASK = ct_mask } */
	uint32_t ct_mark, ct_mask;
	bool     payload_rewritten;/* send NFQA_PAYLOAD: the buffer was modified in place */
	uint8_t  rewrite_refused;  /* a rewrite was refused: enum nfqr_rw_refusal, the last */
	enum nfqr_reject reject;   /* a reject: verdict NF_REPEAT, its code in mark */
	uint32_t n_log;            /* rules whose `log` fired (after rate limiting) */
	uint32_t log_rules[NFQR_MAX_LOG];
	/* detect-only (see NFQR_DETECT_*): 0 = nothing was left undone */
	uint32_t detect;
	uint32_t detect_verdict;   /* with detect != 0: the verdict that would have
	                              been sent (= verdict without NFQR_DETECT_VERDICT) */
	enum nfqr_reject detect_reject; /* ... a reject of this kind */
	uint32_t detect_mark;      /* NFQR_DETECT_MARK */
	uint32_t detect_ct_mark, detect_ct_mask; /* NFQR_DETECT_CT_MARK */
};

/* Per-worker state: counters, matcher scratch.  Not shared between threads. */
struct nfqr_scratch *nfqr_scratch_new(const struct nfqr_ruleset *rs);
void nfqr_scratch_free(struct nfqr_scratch *sc);

/* Decide one packet.  buf holds the network-layer packet (caplen bytes) and is
 * rewritten in place by `payload fill/replace`.  Returns res->verdict. */
uint32_t nfqr_eval(const struct nfqr_ruleset *rs, struct nfqr_scratch *sc,
		   uint8_t *buf, size_t caplen, const struct nfqr_pkt_meta *meta,
		   struct nfqr_result *res);

/* ---- counters ---------------------------------------------------------- */

struct nfqr_rule_counter { uint64_t hits, bytes; };

enum nfqr_stat {
	NFQR_STAT_PACKETS,
	NFQR_STAT_POLICY,
	NFQR_STAT_FRAGMENT,
	NFQR_STAT_MALFORMED,
	NFQR_STAT_FRAG_NO_L4,
	NFQR_STAT_TRUNCATED,               /* capture ends before what the rules read */
	NFQR_STAT_REWRITE_DONE,
	NFQR_STAT_REWRITE_REFUSED_TRUNC,   /* capture truncated (NFQA_CAP_LEN) */
	NFQR_STAT_REWRITE_REFUSED_GSO,     /* GSO superframe */
	NFQR_STAT_REWRITE_REFUSED_PROTO,   /* fragment or protocol without known checksum */
	NFQR_STAT_CT_NO_CONN,              /* `ct mark set` on a packet without conntrack */
	NFQR_STAT_LOG_SUPPRESSED,          /* log lines over the rate limit */
	NFQR_STAT_REJECT,                  /* reject verdicts (NF_REPEAT with a code) */
	NFQR_STAT_REJECT_LOOP,             /* dropped: arrived with reject mark bits set */
	NFQR_STAT_DETECT_DROP,             /* detect-only: accepted, would have dropped */
	NFQR_STAT_DETECT_REJECT,           /* ... rejected */
	NFQR_STAT_DETECT_REPEAT,           /* ... repeated */
	NFQR_STAT_DETECT_QUEUE,            /* ... requeued */
	NFQR_STAT_DETECT_MARK,             /* ... set the packet mark or ct mark */
	NFQR_STAT_DETECT_REWRITE,          /* ... rewritten the payload */
	NFQR_STAT_STREAM_JOINS,            /* in-order segments joined to their flow's tail */
	NFQR_STAT_STREAM_OUT_OF_ORDER,     /* segments of a known flow not at the expected seq */
	NFQR_STAT_STREAM_EVICTIONS,        /* flow entries replaced because the bucket was full */
	NFQR_STAT_STREAM_FLOWS,            /* gauge: flow entries in use (this worker) */
	NFQR_STAT_COUNT
};

const struct nfqr_rule_counter *nfqr_scratch_rule_counter(const struct nfqr_scratch *sc,
							  uint32_t rule);
uint64_t nfqr_scratch_stat(const struct nfqr_scratch *sc, enum nfqr_stat s);
const char *nfqr_stat_name(enum nfqr_stat s);

#ifdef __cplusplus
}
#endif
#endif
