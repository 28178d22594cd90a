/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * First-match packet classifier by intervals per field (Lakshman/Stiliadis):
 * each distinct (field, mask) is a dimension; its values are cut into
 * elementary intervals at every range/prefix edge used by any rule.  For
 * address prefixes this is a longest-prefix-match table in range form.
 *
 * Every rule is indexed under one primary dimension, where the fewest other
 * rules share an interval with it (then its most selective predicate); each
 * interval maps to a class: the sorted list of the primary rules it admits
 * (deduplicated, so equal lists are stored once).  A packet costs one
 * interval lookup per primary dimension (a bucket table on the key makes it
 * nearly constant time), a merge of the lists its classes give, and for
 * each listed rule a test of its other predicates on the packet's keys,
 * each a binary search in the predicate's sorted ranges (a key looked up on
 * first use): proportional to the rules the packet can match, not to the
 * size of the rule file.  Building it costs about the number of range
 * edges times log of that, and memory grows with the ranges and the lists,
 * not with the square of the rules.
 *
 * A rule with content terms and no selective match (`meta l4proto udp
 * @payload content ...`) is listed nowhere: it is indexed by its content
 * instead, and the evaluator proposes it when the matcher found its terms
 * (nfqr_classifier_by_content, nfqr_classifier_holds).
 */
#ifndef NFQR_CLASSIFIER_H
#define NFQR_CLASSIFIER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "key.h"

struct nfqr_rule;
struct nfqr_view;
struct nfqr_classifier;
struct nfqr_cls_scratch;

struct nfqr_classifier *nfqr_classifier_build(const struct nfqr_rule *rules, uint32_t n);
void nfqr_classifier_free(struct nfqr_classifier *c);
/* Per-thread state of nfqr_classifier_match. */
struct nfqr_cls_scratch *nfqr_classifier_scratch_new(const struct nfqr_classifier *c);
void nfqr_classifier_scratch_free(struct nfqr_cls_scratch *s);
/* out[] (room for n rules) = the rules whose predicates all hold for v, in
 * ascending order; returns how many. */
uint32_t nfqr_classifier_match(const struct nfqr_classifier *c, struct nfqr_cls_scratch *s,
			       const struct nfqr_view *v, uint32_t *out);
/* Rules left out of nfqr_classifier_match, to be proposed by their content. */
uint32_t nfqr_classifier_n_by_content(const struct nfqr_classifier *c);
bool nfqr_classifier_by_content(const struct nfqr_classifier *c, uint32_t rule);
/* Rule's predicates all hold for the view of the last nfqr_classifier_match,
 * which must still be valid: the fields it did not need are read now. */
bool nfqr_classifier_holds(const struct nfqr_classifier *c, struct nfqr_cls_scratch *s,
			   uint32_t rule);
uint32_t nfqr_classifier_dims(const struct nfqr_classifier *c);
uint32_t nfqr_classifier_classes(const struct nfqr_classifier *c);
/* Bytes the classifier holds (tests: memory must grow with the rules, not
 * with their square). */
size_t nfqr_classifier_bytes(const struct nfqr_classifier *c);

#endif
