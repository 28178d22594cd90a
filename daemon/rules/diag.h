/* SPDX-License-Identifier: GPL-2.0-only */
/* Error collection: every message is "file:line:col: expected X, got Y". */
#ifndef NFQR_DIAG_H
#define NFQR_DIAG_H

#include "nfqr_engine.h"

__attribute__((format(printf, 5, 6)))
void nfqr_diag_add(struct nfqr_diag *d, const char *file, unsigned line, unsigned col,
		   const char *fmt, ...);

#endif
