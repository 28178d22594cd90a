/* SPDX-License-Identifier: GPL-2.0-only */
/* Tokens of the rule file.  Newlines end rules (outside braces), as in nft. */
#ifndef NFQR_LEXER_H
#define NFQR_LEXER_H

#include <stddef.h>
#include <stdint.h>

#include "nfqr_engine.h"

enum tok_kind {
	TK_EOF, TK_NL,            /* newline or ';' */
	TK_WORD,                  /* keyword, number, address, name */
	TK_STRING,                /* "..." (decoded bytes in .str) */
	TK_LBRACE, TK_RBRACE, TK_LPAREN, TK_RPAREN,
	TK_COMMA, TK_SLASH, TK_DASH, TK_ASSIGN,
	TK_EQ, TK_NE, TK_LT, TK_GT, TK_LE, TK_GE,
	TK_AMP, TK_PIPE, TK_CARET,
	TK_NOT,                   /* '!' alone: nft's negation of flags */
	TK_VAR,                   /* $name */
	TK_SETREF,                /* @name */
};

struct token {                    /* 24 bytes: files of millions of tokens */
	const char *text;         /* source text, not NUL-terminated; a string's
				     with its quotes (nfqr_tok_str decodes it) */
	uint32_t len;
	uint32_t line, col;
	enum tok_kind kind;
};

struct tokens {
	struct token *v;
	size_t n, cap;
};

/* Returns 0, or -1 after adding errors to diag (tokens up to the error kept). */
int nfqr_lex(const char *file, const char *src, size_t len, struct tokens *out,
	     struct nfqr_diag *diag);
void nfqr_tokens_free(struct tokens *t);
/* The bytes of TK_STRING token t, its escapes decoded (the lexer checked
 * them), into out, which has room for t->len bytes; returns how many. */
uint32_t nfqr_tok_str(const struct token *t, uint8_t *out);
/* "'foo'", "end of line", "string \"x\"" - the "got Y" of error messages */
void nfqr_tok_describe(const struct token *t, char *buf, size_t len);
int  nfqr_tok_is(const struct token *t, const char *word);

#endif
