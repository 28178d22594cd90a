/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Live sets: named sets declared with `flags timeout` or `flags dynamic`,
 * whose elements change at run time (control socket) without a reload.
 *
 * Their elements live outside the ruleset, in a store (struct nfqr_sets)
 * the daemon keeps across reloads; a ruleset binds each live set it
 * declares to the store's entry of that name, type and interval flag.
 *
 * Workers read an immutable version of each set: disjoint sorted intervals,
 * each with the latest expiry of the elements that cover it, found by a
 * binary search and compared with the batch time.  A change builds a new
 * version off the packet path and swaps one pointer; the old one is freed
 * once every worker has started a batch after the swap (the store's epoch,
 * nfqr_sets_enter).  Nothing on the packet path locks or allocates.
 */
#ifndef NFQR_LIVESET_H
#define NFQR_LIVESET_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "key.h"
#include "nfqr_engine.h"

#define NFQR_NEVER UINT64_MAX   /* expiry of an element without timeout */

enum { NFQR_LFMT_NUM, NFQR_LFMT_HEX, NFQR_LFMT_IPV4, NFQR_LFMT_IPV6 };

/* One element as given: a value or interval, and its timeout. */
struct nfqr_lelem {
	struct nfqr_key lo, hi;
	uint64_t timeout_ns;     /* 0: none (the set's default applies when it has one) */
	uint64_t remaining_ns;   /* `expires T` as given: 0 = the whole timeout */
	uint64_t expires;        /* monotonic ns, NFQR_NEVER: set when added */
	bool from_file;          /* declared in the rule file (replaced at each activation) */
	uint32_t order;          /* scratch: of equal elements, the later one is kept */
};

struct nfqr_lset_ver {
	uint32_t n;
	struct nfqr_key *lo, *hi;          /* [n], disjoint, ascending */
	uint64_t *expires;                 /* [n] */
	uint64_t retired_at;               /* epoch after which no reader sees it */
	struct nfqr_lset_ver *next;        /* retired list */
};

struct nfqr_lset {
	char *name;
	uint8_t vtype;                     /* the parser's value type */
	bool interval;
	uint8_t fmt;                       /* NFQR_LFMT_*: how elements are written */
	const char *type_name;             /* "ipv4_addr", ... (static) */
	_Atomic(struct nfqr_lset_ver *) cur;
	/* control side, under nfqr_sets.lock */
	uint64_t timeout_ns;               /* the declaration's default timeout */
	bool timeout_ok;                   /* flags timeout: elements may time out */
	bool active;                       /* bound by the rules in force */
	struct nfqr_lelem *el;
	uint32_t n;
	uint64_t next_expiry;              /* earliest element expiry, NFQR_NEVER */
	uint64_t added, deleted, expired;  /* run-time changes, for stats */
	struct nfqr_lset *next;
};

struct nfqr_sets {
	pthread_mutex_t lock;
	struct nfqr_lset *head;
	_Atomic uint64_t epoch;
	uint32_t n_readers;
	_Atomic uint64_t *seen;            /* [n_readers]: epoch at the batch start */
	struct nfqr_lset_ver *retired;
};

/* A live set as a rule file declares it (struct nfqr_ruleset.ldecl). */
struct nfqr_lset_decl {
	char *name;
	uint8_t vtype;
	bool interval;
	uint8_t fmt;
	const char *type_name;
	uint64_t timeout_ns;
	bool timeout_ok;
	struct nfqr_lelem *el;             /* the file's elements */
	uint32_t n;
};

/* A rule's match on a live set: field (& mask) [!=] @set. */
struct nfqr_lpred {
	uint8_t field;
	bool negated;
	uint32_t mask;
	uint32_t set;                      /* index into ruleset.lsets / ldecl */
};

/* Lookup, packet path: key k in the set's current version at time now. */
bool nfqr_lset_has(const struct nfqr_lset *s, struct nfqr_key k, uint64_t now_ns);

/* The store's entry for decl (created empty when new); NULL on ENOMEM. */
struct nfqr_lset *nfqr_sets_bind(struct nfqr_sets *st, const struct nfqr_lset_decl *decl);
/* Element changes, with st->lock held; each publishes a new version.
 * Return 0 or -ENOMEM (nothing changed). */
int nfqr_lset_add(struct nfqr_sets *st, struct nfqr_lset *s, const struct nfqr_lelem *el,
		  uint32_t n, uint64_t now_ns);
/* Removes the elements equal to those given; *missing counts the others. */
int nfqr_lset_delete(struct nfqr_sets *st, struct nfqr_lset *s, const struct nfqr_lelem *el,
		     uint32_t n, uint32_t *missing);
/* Replaces the run-time elements (keep_file) or all of them. */
int nfqr_lset_replace(struct nfqr_sets *st, struct nfqr_lset *s, const struct nfqr_lelem *el,
		      uint32_t n, uint64_t now_ns, bool keep_file);
/* The active entry named name, or NULL.  With st->lock held. */
struct nfqr_lset *nfqr_sets_find(struct nfqr_sets *st, const char *name, size_t len);

/* The rules binding bound[i] (declared as decl[i]) come into force. */
int nfqr_sets_activate(struct nfqr_sets *st, struct nfqr_lset *const *bound,
		       const struct nfqr_lset_decl *decl, uint32_t n, uint64_t now_ns);
/* One element per line, as `load set` reads them; a line per active set. */
void nfqr_lset_print(FILE *f, const struct nfqr_lset *s, uint64_t now);
void nfqr_sets_summary(FILE *f, struct nfqr_sets *st, bool json);
/* Index of the element equal to e (same interval), or -1 (lock held). */
int32_t nfqr_lset_find(const struct nfqr_lset *s, const struct nfqr_lelem *e);
int nfqr_duration_format(char *buf, size_t cap, uint64_t ns);

void nfqr_lset_decl_free(struct nfqr_lset_decl *d);

/* rules/parser.c: elements of type vtype from text, separated by ',' or
 * newlines, optionally in braces, each `value [timeout T]`.  Returns the
 * number of errors (in diag). */
unsigned nfqr_parse_lelems(const char *name, const char *text, size_t len, uint8_t vtype,
			   bool interval, bool timeouts, struct nfqr_lelem **out, uint32_t *n,
			   struct nfqr_diag *diag);
/* "1h30m" -> ns, false if not a duration.  Also a bare number: seconds. */
bool nfqr_parse_duration(const char *s, size_t len, uint64_t *ns);
/* Element lo-hi of a set as the rule language writes it (prefix, range
 * or value); returns snprintf's count. */
int nfqr_lelem_format(char *buf, size_t cap, uint8_t fmt, struct nfqr_key lo,
		      struct nfqr_key hi);

#endif
