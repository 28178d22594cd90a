/* SPDX-License-Identifier: GPL-2.0-only */
#include "lexer.h"

#include <ctype.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "diag.h"

static int push(struct tokens *t, struct token tk)
{
	if (t->n == t->cap) {
		size_t nc = t->cap ? t->cap * 2 : 256;
		struct token *nv = realloc(t->v, nc * sizeof(*nv));

		if (!nv)
			return -1;
		t->v = nv;
		t->cap = nc;
	}
	t->v[t->n++] = tk;
	return 0;
}

static int hexval(int c)
{
	if (c >= '0' && c <= '9') return c - '0';
	if (c >= 'a' && c <= 'f') return c - 'a' + 10;
	if (c >= 'A' && c <= 'F') return c - 'A' + 10;
	return -1;
}

/* The escape at s[0] = '\\' is one the strings know: \" \\ \n \r \t \0 \xHH.
 * Anything else is refused, not read as the letter (a "\q" is a typo). */
static bool escape_ok(const char *s, size_t n)
{
	if (n < 2)
		return false;
	switch (s[1]) {
	case '"': case '\\': case 'n': case 'r': case 't': case '0':
		return true;
	case 'x':
		return n >= 4 && hexval(s[2]) >= 0 && hexval(s[3]) >= 0;
	}
	return false;
}

uint32_t nfqr_tok_str(const struct token *t, uint8_t *out)
{
	const char *s = t->text + 1, *end = t->text + t->len - 1;   /* inside the quotes */
	uint32_t n = 0;

	while (s < end) {
		if (*s != '\\') {
			out[n++] = (uint8_t)*s++;
			continue;
		}
		switch (s[1]) {
		case 'x':
			out[n++] = (uint8_t)(hexval(s[2]) * 16 + hexval(s[3]));
			s += 4;
			continue;
		case 'n': out[n++] = '\n'; break;
		case 'r': out[n++] = '\r'; break;
		case 't': out[n++] = '\t'; break;
		case '0': out[n++] = '\0'; break;
		default:  out[n++] = (uint8_t)s[1]; break;     /* \" and \\ */
		}
		s += 2;
	}
	return n;
}

/* Word characters.  '-' joins words that start with a letter and hold no ':'
 * yet (echo-request, nd-neighbor-solicit), so "8000-8099" and IPv6 ranges
 * still split at the dash. */
static size_t word_len(const char *s, size_t n)
{
	size_t i = 0;
	int letter = isalpha((unsigned char)s[0]), colon = 0;

	while (i < n) {
		char c = s[i];

		if (isalnum((unsigned char)c) || c == '_' || c == '.' || c == ':') {
			colon |= c == ':';
			i++;
		} else if (c == '-' && letter && !colon && i + 1 < n &&
			   isalnum((unsigned char)s[i + 1])) {
			i++;
		} else {
			break;
		}
	}
	return i;
}

int nfqr_lex(const char *file, const char *src, size_t n, struct tokens *out,
	     struct nfqr_diag *diag)
{
	uint32_t line = 1, col = 1, depth = 0;
	size_t i = 0;

	/* one allocation for most files: a rule or set element takes 5 bytes
	 * or more per token ("ip saddr 10.0.0.1 drop"), so grow only past 4 */
	if (!out->cap && n > 4096) {
		out->v = malloc((n / 4 + 16) * sizeof(*out->v));
		if (!out->v)
			return -1;
		out->cap = n / 4 + 16;
	}

	while (i < n) {
		char c = src[i];
		struct token tk = { .line = line, .col = col, .text = src + i, .len = 1 };
		size_t len = 1;

		if (c == '\n') {
			if (depth == 0) {
				tk.kind = TK_NL;
				if (push(out, tk))
					return -1;
			}
			i++; line++; col = 1;
			continue;
		}
		if (c == ' ' || c == '\t' || c == '\r') {
			i++; col++;
			continue;
		}
		if (c == '\\' && i + 1 < n && (src[i + 1] == '\n' ||
		    (src[i + 1] == '\r' && i + 2 < n && src[i + 2] == '\n'))) {
			i += src[i + 1] == '\n' ? 2 : 3;   /* line continuation */
			line++; col = 1;
			continue;
		}
		if (c == '#') {
			while (i < n && src[i] != '\n')
				i++;
			continue;
		}
		if (c == '"') {
			size_t j = i + 1;

			while (j < n && src[j] != '"' && src[j] != '\n') {
				if (src[j] == '\\' && !escape_ok(src + j, n - j)) {
					size_t k = j + 1 < n && src[j + 1] == 'x' ? 4 : 2;

					while (k > 2 && (j + k > n || src[j + k - 1] == '\n'))
						k--;
					nfqr_diag_add(diag, file, line, col + (uint32_t)(j - i),
						      "expected an escape in a string (\\\", \\\\, \\n, "
						      "\\r, \\t, \\0, \\xHH), got '%.*s'", (int)k, src + j);
					return -1;
				}
				j += src[j] == '\\' ? (src[j + 1] == 'x' ? 4 : 2) : 1;
			}
			if (j >= n || src[j] != '"') {
				nfqr_diag_add(diag, file, line, col,
					      "expected '\"' to close the string, got end of line");
				return -1;
			}
			tk.kind = TK_STRING;
			len = j + 1 - i;
		} else if (isalnum((unsigned char)c) || c == '_' || c == ':') {
			tk.kind = TK_WORD;
			len = word_len(src + i, n - i);
		} else if ((c == '$' || c == '@') && i + 1 < n &&
			   (isalpha((unsigned char)src[i + 1]) || src[i + 1] == '_')) {
			tk.kind = c == '$' ? TK_VAR : TK_SETREF;
			len = 1 + word_len(src + i + 1, n - i - 1);
		} else {
			char d = i + 1 < n ? src[i + 1] : 0;

			switch (c) {
			case '{': tk.kind = TK_LBRACE; depth++; break;
			case '}': tk.kind = TK_RBRACE; if (depth) depth--; break;
			case '(': tk.kind = TK_LPAREN; break;
			case ')': tk.kind = TK_RPAREN; break;
			case ',': tk.kind = TK_COMMA; break;
			case '/': tk.kind = TK_SLASH; break;
			case '-': tk.kind = TK_DASH; break;
			case '&': tk.kind = TK_AMP; break;
			case '|': tk.kind = TK_PIPE; break;
			case '^': tk.kind = TK_CARET; break;
			case ';': tk.kind = TK_NL; break;
			case '=': if (d == '=') { tk.kind = TK_EQ; len = 2; } else tk.kind = TK_ASSIGN; break;
			case '!': if (d == '=') { tk.kind = TK_NE; len = 2; } else tk.kind = TK_NOT; break;
			case '<': if (c == '<') { if (d == '=') { tk.kind = TK_LE; len = 2; } else tk.kind = TK_LT; break; }
				/* fall through */
			case '>': if (c == '>') { if (d == '=') { tk.kind = TK_GE; len = 2; } else tk.kind = TK_GT; break; }
				/* fall through */
			default:
				if (isprint((unsigned char)c))
					nfqr_diag_add(diag, file, line, col,
						      "expected a keyword, value or operator, got '%c'", c);
				else
					nfqr_diag_add(diag, file, line, col,
						      "expected a keyword, value or operator, got byte 0x%02x",
						      (unsigned char)c);
				return -1;
			}
		}
		tk.len = (uint32_t)len;
		if (push(out, tk))
			return -1;
		i += len;
		col += (uint32_t)len;
	}
	{
		struct token eof = { .kind = TK_EOF, .line = line, .col = col, .text = src + n };

		return push(out, eof);
	}
}

void nfqr_tokens_free(struct tokens *t)
{
	free(t->v);
	t->v = NULL;
	t->n = t->cap = 0;
}

void nfqr_tok_describe(const struct token *t, char *buf, size_t len)
{
	switch (t->kind) {
	case TK_EOF:
		snprintf(buf, len, "end of file");
		break;
	case TK_NL:
		snprintf(buf, len, t->text[0] == ';' ? "';'" : "end of line");
		break;
	case TK_STRING:
		snprintf(buf, len, "string %.*s", (int)(t->len > 40 ? 40 : t->len), t->text);
		break;
	default:
		snprintf(buf, len, "'%.*s'", (int)(t->len > 40 ? 40 : t->len), t->text);
		break;
	}
}

int nfqr_tok_is(const struct token *t, const char *word)
{
	return t->kind == TK_WORD && strlen(word) == t->len && memcmp(t->text, word, t->len) == 0;
}
