/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * First-match packet classifier by bit vectors per field (Lakshman/Stiliadis):
 * each distinct (field, mask) is a dimension; its values are cut into
 * elementary intervals at every range/prefix edge used by any rule, and each
 * interval maps to the bit vector of rules that accept it.  A packet costs one
 * binary search per dimension plus an AND of the vectors, so the cost stays
 * flat as rules grow (the AND is n/64 words).  For address prefixes this is a
 * longest-prefix-match table in range form: the interval holding an address
 * carries the rules of every prefix that covers it.
 */
#ifndef NFQR_CLASSIFIER_H
#define NFQR_CLASSIFIER_H

#include <stdbool.h>
#include <stdint.h>

#include "key.h"

struct nfqr_rule;
struct nfqr_view;
struct nfqr_classifier;

struct nfqr_classifier *nfqr_classifier_build(const struct nfqr_rule *rules, uint32_t n);
void nfqr_classifier_free(struct nfqr_classifier *c);
/* acc[] (bv_words(n) words) = rules whose predicates all hold for v. */
void nfqr_classifier_eval(const struct nfqr_classifier *c, const struct nfqr_view *v,
			  uint64_t *acc);
uint32_t nfqr_classifier_dims(const struct nfqr_classifier *c);
uint32_t nfqr_classifier_classes(const struct nfqr_classifier *c);

#endif
