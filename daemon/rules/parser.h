/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Recursive-descent parser for the nft-like rule file.  It produces the rules
 * of a ruleset (predicates with typed ranges, statements, verdicts) and
 * checks what would loop; compile.c turns them into the matching structures.
 */
#ifndef NFQR_PARSER_H
#define NFQR_PARSER_H

#include "nfqr_engine.h"
#include "ruleset.h"

/* Fills rs->rules, policies and patterns.  Returns the number of errors. */
unsigned nfqr_parse_rules(const char *file, const char *src, size_t len,
			  const struct nfqr_load_opts *opts, struct nfqr_ruleset *rs,
			  struct nfqr_diag *diag);

#endif
