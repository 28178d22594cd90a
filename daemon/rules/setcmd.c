// SPDX-License-Identifier: GPL-2.0-only
/*
 * Control commands on live sets (nfqr_sets_command, see nfqr_engine.h):
 * the command line, the elements in the rule language, the change applied
 * as one new version of the set, or nothing on any error.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "liveset.h"

enum { CMD_OK, CMD_BAD, CMD_NO_SET, CMD_NOMEM };

#define USAGE "commands: add element SET { E [timeout T], ... } | delete element SET { E, ... } | " \
	"flush set SET | list set SET | list sets | load set SET (elements on the next lines)\n"

/* Next word of the first line: [*p, returned end), skipping blanks. */
static const char *word(const char **p, const char *end, size_t *len)
{
	const char *s = *p, *e;

	while (s < end && (*s == ' ' || *s == '\t'))
		s++;
	e = s;
	while (e < end && *e != ' ' && *e != '\t' && *e != '\n' && *e != '\r' && *e != '{')
		e++;
	*p = e;
	*len = (size_t)(e - s);
	return s;
}

static bool is_word(const char *w, size_t len, const char *lit)
{
	return strlen(lit) == len && !memcmp(w, lit, len);
}

static void no_set(FILE *f, struct nfqr_sets *st, const char *name, size_t len)
{
	bool any = false;

	fprintf(f, "no live set '%.*s' in the rules in force (only sets declared with 'flags "
		"timeout' or 'flags dynamic' change at run time)", (int)len, name);
	for (const struct nfqr_lset *s = st->head; s; s = s->next)
		if (s->active) {
			fprintf(f, "%s%s", any ? ", " : "; live sets: ", s->name);
			any = true;
		}
	fputc('\n', f);
}

/* Elements of text for set s; false after printing the errors to f. */
static bool elements(FILE *f, const struct nfqr_lset *s, const char *label, const char *text,
		     size_t len, struct nfqr_lelem **el, uint32_t *n)
{
	struct nfqr_diag diag = { 0 };
	unsigned errors = nfqr_parse_lelems(label, text, len, s->vtype, s->interval,
					     s->timeout_ok, el, n, &diag);

	size_t msgs = diag.n;

	for (size_t i = 0; i < diag.n; i++)
		fprintf(f, "%s\n", diag.msgs[i]);
	nfqr_diag_free(&diag);
	if (!errors && !msgs)
		return true;
	if (!msgs)
		fprintf(f, "%s: out of memory\n", label);
	return false;
}

static int cmd_delete(FILE *f, struct nfqr_sets *st, struct nfqr_lset *s,
		      const struct nfqr_lelem *el, uint32_t n)
{
	uint32_t missing;
	char v[96];

	/* all or nothing, as nft: every element must be there */
	for (uint32_t i = 0; i < n; i++)
		if (nfqr_lset_find(s, &el[i]) < 0) {
			nfqr_lelem_format(v, sizeof(v), s->fmt, el[i].lo, el[i].hi);
			fprintf(f, "set %s has no element %s: nothing deleted\n", s->name, v);
			return CMD_BAD;
		}
	if (nfqr_lset_delete(st, s, el, n, &missing))
		return CMD_NOMEM;
	fprintf(f, "deleted %u element%s from set %s (%u now)\n", n - missing,
		n - missing == 1 ? "" : "s", s->name, s->n);
	return CMD_OK;
}

static int run(FILE *f, struct nfqr_sets *st, const char *cmd, size_t len, uint64_t now)
{
	const char *end = cmd + len, *p = cmd, *verb, *obj, *name, *rest, *nl;
	size_t lv, lo, ln;
	struct nfqr_lset *s;
	struct nfqr_lelem *el = NULL;
	uint32_t n = 0;
	char label[96];
	int rc = CMD_OK;

	verb = word(&p, end, &lv);
	obj = word(&p, end, &lo);
	if (is_word(verb, lv, "list") && is_word(obj, lo, "sets")) {
		nfqr_sets_summary(f, st, false);
		return CMD_OK;
	}
	name = word(&p, end, &ln);
	rest = p;
	if (!((is_word(verb, lv, "add") || is_word(verb, lv, "delete")) && is_word(obj, lo, "element")) &&
	    !((is_word(verb, lv, "flush") || is_word(verb, lv, "list") || is_word(verb, lv, "load")) &&
	      is_word(obj, lo, "set"))) {
		fprintf(f, "unknown command '%.*s'; %s", (int)(lv + (lo ? lo + 1 : 0)), verb, USAGE);
		return CMD_BAD;
	}
	if (!ln) {
		fprintf(f, "expected a set name after '%.*s %.*s'\n", (int)lv, verb, (int)lo, obj);
		return CMD_BAD;
	}
	s = nfqr_sets_find(st, name, ln);
	if (!s) {
		no_set(f, st, name, ln);
		return CMD_NO_SET;
	}
	snprintf(label, sizeof(label), "set %s", s->name);
	if (is_word(verb, lv, "list")) {
		nfqr_lset_print(f, s, now);
		return CMD_OK;
	}
	if (is_word(verb, lv, "flush")) {
		uint32_t had = s->n;

		if (nfqr_lset_replace(st, s, NULL, 0, now, false))
			return CMD_NOMEM;
		fprintf(f, "flushed set %s (%u elements)\n", s->name, had);
		return CMD_OK;
	}
	if (is_word(verb, lv, "load")) {
		/* `load set NAME [LABEL]`, the elements from the next line on;
		 * LABEL (the client's file name) names them in messages */
		nl = memchr(rest, '\n', (size_t)(end - rest));
		while (rest < end && (*rest == ' ' || *rest == '\t'))
			rest++;
		if (rest < (nl ? nl : end) && (size_t)((nl ? nl : end) - rest) < sizeof(label))
			snprintf(label, sizeof(label), "%.*s", (int)((nl ? nl : end) - rest), rest);
		rest = nl ? nl + 1 : end;
		if (!elements(f, s, label, rest, (size_t)(end - rest), &el, &n))
			return CMD_BAD;
		if (nfqr_lset_replace(st, s, el, n, now, true))
			rc = CMD_NOMEM;
		else
			fprintf(f, "loaded %u element%s into set %s (%u now)\n", n, n == 1 ? "" : "s",
				s->name, s->n);
		free(el);
		return rc;
	}
	if (!elements(f, s, label, rest, (size_t)(end - rest), &el, &n))
		return CMD_BAD;
	if (!n) {
		fprintf(f, "expected elements after '%.*s %.*s %.*s'\n", (int)lv, verb, (int)lo, obj,
			(int)ln, name);
		rc = CMD_BAD;
	} else if (is_word(verb, lv, "delete")) {
		rc = cmd_delete(f, st, s, el, n);
	} else if (nfqr_lset_add(st, s, el, n, now)) {
		rc = CMD_NOMEM;
	} else {
		fprintf(f, "added %u element%s to set %s (%u now)\n", n, n == 1 ? "" : "s", s->name,
			s->n);
	}
	free(el);
	return rc;
}

int nfqr_sets_command(struct nfqr_sets *st, const char *cmd, size_t len, uint64_t now_ns,
		      char **out)
{
	size_t olen = 0;
	FILE *f = open_memstream(out, &olen);
	int rc;

	if (!f) {
		*out = NULL;
		return CMD_NOMEM;
	}
	pthread_mutex_lock(&st->lock);
	rc = run(f, st, cmd, len, now_ns);
	pthread_mutex_unlock(&st->lock);
	if (rc == CMD_NOMEM)
		fprintf(f, "out of memory: the set is unchanged\n");
	if (fclose(f)) {
		free(*out);
		*out = NULL;
		return CMD_NOMEM;
	}
	return rc;
}
