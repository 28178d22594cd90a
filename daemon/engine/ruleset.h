/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Internal representation of a compiled ruleset, shared by the rule compiler
 * (rules/) and the engine.  A rule is a conjunction of predicates, each
 * "(field & mask) in ranges" or its negation, plus content requirements,
 * statements and an optional verdict, as in an nft rule.
 */
#ifndef NFQR_RULESET_H
#define NFQR_RULESET_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "classifier.h"
#include "content.h"
#include "key.h"
#include "liveset.h"
#include "nfqr_engine.h"

enum nfqr_field {
	NFQR_F_NFPROTO,          /* 2 ipv4, 10 ipv6 */
	NFQR_F_L4PROTO,
	NFQR_F_IP_SADDR, NFQR_F_IP_DADDR,      /* present for IPv4 */
	NFQR_F_IP6_SADDR, NFQR_F_IP6_DADDR,    /* present for IPv6 */
	NFQR_F_SPORT, NFQR_F_DPORT,            /* present when L4 has ports */
	NFQR_F_TCP_FLAGS,
	NFQR_F_ICMP_TYPE, NFQR_F_ICMP_CODE,    /* IPv4 ICMP */
	NFQR_F_ICMP6_TYPE, NFQR_F_ICMP6_CODE,
	NFQR_F_IIFNAME, NFQR_F_OIFNAME,        /* key: interface class, see ifnames.h */
	NFQR_F_MARK,
	NFQR_F_CT_MARK,                        /* present when the packet has a conntrack */
	NFQR_F_LENGTH,                         /* meta length: whole packet */
	NFQR_F_CT_STATE,                       /* nft's state bit; no conntrack: invalid */
	NFQR_F_CT_DIRECTION,                   /* 0 original, 1 reply; with a conntrack */
	NFQR_F_SKUID, NFQR_F_SKGID,            /* present when the kernel sent NFQA_UID/GID */
	NFQR_F_RAW_NH, NFQR_F_RAW_TH,          /* @nh/@th,OFFSET,LENGTH: pred.arg, see below */
	NFQR_F_COUNT
};

/*
 * Raw payload fields (nft's @nh,OFFSET,LENGTH and @th,...): LENGTH bits from
 * OFFSET bits after the start of the network or transport header, as an
 * unsigned big-endian number.  The predicate's arg holds both; a field that
 * does not lie within the packet is absent.
 */
#define NFQR_RAW_MAX_LEN 32u                     /* bits; nft allows 128 */
#define NFQR_RAW_MAX_OFF (65535u * 8 - NFQR_RAW_MAX_LEN)
static inline uint32_t nfqr_raw_arg(uint32_t off_bits, uint32_t len_bits)
{
	return off_bits << 6 | len_bits;
}
static inline uint32_t nfqr_raw_off(uint32_t arg) { return arg >> 6; }
static inline uint32_t nfqr_raw_len(uint32_t arg) { return arg & 63; }

struct nfqr_range { struct nfqr_key lo, hi; };

struct nfqr_pred {
	uint8_t  field;
	bool     negated;
	uint32_t mask;           /* applied to 32-bit keys; 0xffffffff = none */
	uint32_t arg;            /* which one of a parametrized field (raw payload), else 0 */
	uint32_t n_ranges;
	struct nfqr_range *ranges;
	bool     ranges_borrowed;/* a named set's, owned by ruleset.set_ranges */
	char   **names;          /* iifname/oifname while compiling: "eth0", "veth*" */
	uint32_t n_names;
};

enum nfqr_stmt_kind {
	NFQR_S_COUNTER,
	NFQR_S_LOG,
	NFQR_S_META_MARK_SET,
	NFQR_S_CT_MARK_SET,
	NFQR_S_PAYLOAD_FILL,
	NFQR_S_PAYLOAD_REPLACE,
};

enum nfqr_mark_src { NFQR_SRC_CONST, NFQR_SRC_META_MARK, NFQR_SRC_CT_MARK };

/* new = (src & and_mask) ^ xor_val: covers `set V`, `set X | V`, `& V`, `^ V` */
struct nfqr_mark_expr {
	uint8_t  src;
	uint32_t and_mask, xor_val;
};

struct nfqr_stmt {
	uint8_t kind;
	struct nfqr_mark_expr mark;
	uint8_t *bytes, *bytes2;  /* fill pattern / replace from, to */
	uint32_t len;
	char    *log_prefix;
};

enum nfqr_verdict_kind { NFQR_V_NONE, NFQR_V_ACCEPT, NFQR_V_DROP, NFQR_V_REPEAT, NFQR_V_QUEUE,
			 NFQR_V_REJECT };

struct nfqr_verdict {
	uint8_t  kind;
	bool     bypass;
	uint16_t queue;
	uint8_t  reject;         /* NFQR_V_REJECT: enum nfqr_reject */
};

struct nfqr_rule {
	char    *id;             /* comment or "r-<hash>" */
	uint32_t line;
	struct nfqr_pred *preds;
	uint32_t n_preds;
	struct nfqr_lpred *lpreds;  /* matches on live sets: looked up per packet */
	uint32_t n_lpreds;
	uint32_t *content;       /* indexes into ruleset->patterns */
	uint32_t n_content;
	struct nfqr_stmt *stmts;
	uint32_t n_stmts;
	struct nfqr_verdict verdict;
	bool     has_log;
	bool     detect;         /* `detect`: act on nothing, report (nfqr_result.detect) */
	char    *log_prefix;
};

#define NFQR_IFTABLE_DIRECT 4096   /* ifindex below this: direct array */
#define NFQR_IFTABLE_HASH   1024   /* above: open addressing */

struct nfqr_ifnames {
	uint32_t n_exact, n_prefix;
	char   **exact, **prefix;        /* prefix patterns without the '*' */
	uint32_t *exact_class, *prefix_class;
	uint32_t n_classes;              /* class 0: matches no name in the rules */
	/* link table, written by one thread, read by workers */
	_Atomic uint32_t direct[NFQR_IFTABLE_DIRECT];
	_Atomic uint64_t hash[NFQR_IFTABLE_HASH];   /* ifindex << 32 | class, 0 = empty */
};

struct nfqr_ruleset {
	struct nfqr_rule *rules;
	uint32_t n_rules;
	struct nfqr_verdict policy, policy_fragment, policy_malformed, policy_truncated;

	struct nfqr_classifier *cls;

	struct nfqr_cm_pattern *patterns;   /* content terms, deduplicated */
	uint32_t n_patterns;
	uint32_t **pattern_rules;           /* per pattern: rules requiring it */
	uint32_t *pattern_n_rules;
	struct nfqr_cm *cm;
	/* `content ... stream` (stream.c): a matcher of the stream patterns only,
	 * for the join windows; NULL when there is none (no flow table) */
	struct nfqr_cm *stream_cm;
	uint32_t *stream_pat;               /* stream_cm pattern i -> patterns[] index */
	uint32_t n_stream;
	uint32_t stream_maxlen;             /* longest stream pattern */
	uint32_t stream_slots;              /* flow table entries per worker */

	struct nfqr_ifnames *ifn;           /* NULL if no iifname/oifname */
	/* the elements of named sets that rules match in place (one copy
	 * however many rules use a set of a million addresses) */
	struct nfqr_range **set_ranges;
	uint32_t n_set_ranges;

	/* live sets: as declared, and the store entries they are bound to */
	struct nfqr_lset_decl *ldecl;
	uint32_t n_lsets;
	struct nfqr_lset **lsets;
	struct nfqr_sets *own_sets;         /* no store in the load options */
	struct nfqr_sets *bound_store;      /* the store lsets[] belong to */

	bool     uses_ct, uses_mark_match, uses_ct_match;
	bool     uses_uid_gid;              /* meta skuid/skgid: F_UID_GID */
	bool     uses_raw_match;            /* @nh/@th: a rewrite changes what they read */
	uint32_t copy_range;
	/* What the rules that may apply to a packet read past its headers, per
	 * (nfproto, l4proto) slot (NFQR_NEED_SLOT); NULL: nothing past them.
	 * A capture that ends before it is judged by `policy truncated`. */
	struct nfqr_need *need;
	uint32_t log_rate, log_burst;       /* per worker, lines per second */
	uint32_t reject_mark;               /* the reject field (load opts) */
	bool     uses_reject;               /* some rule rejects: the field is reserved */
	uint32_t ct_mark_bits;              /* ct mark bits some `ct mark set` may set */
	bool     detect_only;               /* load option: every rule and policy detects */
};

/* Bytes the rules read: from the network header (@nh), from the transport
 * header (@th) and from the payload (content offset + depth; NFQR_NEED_ALL:
 * to its end).  0: nothing. */
#define NFQR_NEED_ALL UINT32_MAX
struct nfqr_need { uint32_t nh, th, pl; };
#define NFQR_NEED_SLOTS 512
static inline uint32_t nfqr_need_slot(uint8_t family, uint8_t l4proto)
{
	return (family == 4 ? 0u : 256u) | l4proto;
}

/* Rule r's `meta nfproto` and `meta l4proto` matches (those `tcp dport` and
 * the like add too) let packets of (nfproto, l4proto) slot through. */
bool nfqr_rule_allows_slot(const struct nfqr_rule *rule, uint32_t slot);

/* Key of a field (arg: pred.arg) for the current packet state; false when
 * absent. */
struct nfqr_decoded;
struct nfqr_view {
	const struct nfqr_decoded *d;
	const uint8_t *pkt;                 /* the packet d was decoded from (raw payload) */
	const struct nfqr_pkt_meta *meta;
	uint32_t mark, ct_mark;
	bool ct_present;
	uint32_t iif_class, oif_class;
};
bool nfqr_field_key(uint8_t field, uint32_t arg, const struct nfqr_view *v, struct nfqr_key *k);
bool nfqr_pred_match(const struct nfqr_pred *p, struct nfqr_key k);
const char *nfqr_field_name(uint8_t field);

uint32_t nfqr_ifnames_class_of(const struct nfqr_ifnames *ifn, const char *name);
uint32_t nfqr_ifnames_lookup(const struct nfqr_ifnames *ifn, uint32_t ifindex);

void nfqr_rule_free(struct nfqr_rule *r);
int nfqr_ruleset_bind_sets(struct nfqr_ruleset *rs, struct nfqr_sets *st);

#endif
