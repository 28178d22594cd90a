/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * `@payload content "..." stream`: a bounded per-worker flow table keeping,
 * per direction of a TCP flow, the next expected sequence number and the
 * last maxlen-1 payload bytes (maxlen: longest stream pattern).  An in-order
 * segment is joined to that tail: tail + its first maxlen-1 bytes are scanned
 * for stream patterns crossing the boundary.  Not reassembly: only adjacent
 * in-order segments are joined.  No allocation or lock per packet.
 */
#ifndef NFQR_STREAM_H
#define NFQR_STREAM_H

#include <stddef.h>
#include <stdint.h>

struct nfqr_ruleset;
struct nfqr_decoded;
struct nfqr_stream;

/* NULL with errno ENOMEM; only for rulesets with stream patterns. */
struct nfqr_stream *nfqr_stream_new(const struct nfqr_ruleset *rs);
void nfqr_stream_free(struct nfqr_stream *st);
/* Bytes the flow table takes (entries x entry size). */
size_t nfqr_stream_table_bytes(const struct nfqr_stream *st);

/* Per decoded packet, before the rules: looks the flow up, scans the join
 * window of an in-order segment, prepares the state update.  Returns the
 * stream patterns found across the boundary (bits over rs->patterns), or
 * NULL when none. */
const uint64_t *nfqr_stream_prepare(const struct nfqr_ruleset *rs, struct nfqr_stream *st,
				    const uint8_t *pkt, const struct nfqr_decoded *d,
				    uint64_t *stats);
/* After the verdict: the update is stored only when the packet goes on
 * (accept, queue), so a dropped segment is joined again when it is resent. */
void nfqr_stream_commit(struct nfqr_stream *st, uint32_t verdict, uint64_t *stats);

#endif
