/* SPDX-License-Identifier: GPL-2.0-only */
#include "parser.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <linux/netfilter/nf_conntrack_common.h>   /* NF_CT_STATE_*_BIT */

#include "diag.h"
#include "lexer.h"
#include "liveset.h"
#include "reject.h"
#include "symbols.h"

/* Value types, as nft names them in `set { type ... }`. */
enum vtype {
	VT_IPV4, VT_IPV6, VT_PORT, VT_PROTO, VT_NFPROTO, VT_ICMP, VT_ICMP6,
	VT_U8, VT_MARK, VT_LEN, VT_IFNAME, VT_TCPFLAGS,
	VT_CTSTATE,               /* one state, by name */
	VT_CTBITS,                /* state bits under a mask: names joined by '|', or a number */
	VT_CTDIR, VT_UID, VT_GID,
	VT_RAW,                   /* @th/@nh: a number of parser.raw_bits bits */
	VT_COUNT
};

static const char *const vt_name[VT_COUNT] = {
	[VT_IPV4] = "ipv4_addr", [VT_IPV6] = "ipv6_addr", [VT_PORT] = "inet_service",
	[VT_PROTO] = "inet_proto", [VT_NFPROTO] = "nf_proto", [VT_ICMP] = "icmp_type",
	[VT_ICMP6] = "icmpv6_type", [VT_U8] = "integer", [VT_MARK] = "mark",
	[VT_LEN] = "integer", [VT_IFNAME] = "ifname", [VT_TCPFLAGS] = "tcp_flag",
	[VT_CTSTATE] = "ct_state", [VT_CTBITS] = "ct_state", [VT_CTDIR] = "ct_dir",
	[VT_UID] = "uid", [VT_GID] = "gid", [VT_RAW] = "integer",
};

/* What "expected X" says for one value of each type. */
static const char *const vt_expect[VT_COUNT] = {
	[VT_IPV4] = "an IPv4 address", [VT_IPV6] = "an IPv6 address",
	[VT_PORT] = "a port number (0-65535) or service name",
	[VT_PROTO] = "a protocol name or number (0-255)", [VT_NFPROTO] = "ipv4 or ipv6",
	[VT_ICMP] = "an ICMP type name or number (0-255)",
	[VT_ICMP6] = "an ICMPv6 type name or number (0-255)",
	[VT_U8] = "a number (0-255)", [VT_MARK] = "a 32-bit number",
	[VT_LEN] = "a length (0-65535)", [VT_IFNAME] = "an interface name in quotes",
	[VT_TCPFLAGS] = "a TCP flag (fin, syn, rst, psh, ack, urg, ecn, cwr)",
	[VT_CTSTATE] = "a conntrack state (new, established, related, invalid)",
	[VT_CTBITS] = "conntrack states (new|established|related|invalid) or a number",
	[VT_CTDIR] = "a conntrack direction (original, reply)",
	[VT_UID] = "a user id (0-4294967295) or user name",
	[VT_GID] = "a group id (0-4294967295) or group name",
	[VT_RAW] = "a number",               /* see vt_what() */
};

struct define {
	char *name;
	size_t start, end;        /* value tokens */
	uint32_t line;
};

/*
 * A statement or `repeat` that is wrong only if the file rejects anywhere
 * (the reject mark field is reserved only then), checked at the end.
 */
struct field_use {
	uint32_t line, col;
	bool repeat;              /* a repeat whose mark change lies in the field */
	bool from_ct;             /* meta mark set ct mark ...: copies ct mark bits */
	uint32_t bits;            /* field bits it sets */
};

struct named_set {
	char *name;
	enum vtype type;
	struct nfqr_range *r;
	uint32_t n;
	char **names;
	uint32_t nn;
	bool live;                /* flags timeout/dynamic: rs->ldecl[live_idx] */
	uint32_t live_idx;
	bool broken;              /* its declaration had an error (said once) */
	bool lent;                /* rules match r in place: rs->set_ranges owns it */
};

/* An index of strings (rule comments, content terms) by hash: open
 * addressing over entry numbers + 1, the caller compares the candidates. */
struct index {
	uint32_t *slot;
	uint32_t cap, n;
};

static uint64_t fnv1a(uint64_t h, const void *data, size_t len)
{
	const uint8_t *d = data;

	for (size_t i = 0; i < len; i++)
		h = (h ^ d[i]) * 1099511628211ULL;
	return h;
}

/* Entry numbers with hash h, one by one: *k starts at UINT32_MAX; returns an
 * entry number, or UINT32_MAX at the free slot where h goes (in *k). */
static uint32_t index_next(const struct index *x, uint64_t h, uint32_t *k)
{
	*k = *k == UINT32_MAX ? (uint32_t)(h ^ h >> 32) & (x->cap - 1) : (*k + 1) & (x->cap - 1);
	return x->slot[*k] ? x->slot[*k] - 1 : UINT32_MAX;
}

/* Room for one more entry (rehashing by the caller's hash of each entry). */
static bool index_grow(struct index *x, uint64_t (*hash)(const void *ctx, uint32_t e),
		       const void *ctx)
{
	uint32_t ncap = x->cap ? x->cap * 2 : 256, *ns;

	if (2 * (x->n + 1) <= x->cap)
		return true;
	ns = calloc(ncap, sizeof(*ns));
	if (!ns)
		return false;
	for (uint32_t i = 0; i < x->cap; i++) {
		uint64_t h;
		uint32_t k;

		if (!x->slot[i])
			continue;
		h = hash(ctx, x->slot[i] - 1);
		for (k = (uint32_t)(h ^ h >> 32) & (ncap - 1); ns[k]; k = (k + 1) & (ncap - 1))
			;
		ns[k] = x->slot[i];
	}
	free(x->slot);
	x->slot = ns;
	x->cap = ncap;
	return true;
}

struct parser {
	const char *file;
	struct tokens t;
	size_t pos, end;          /* tokens [pos, end); t.v[end] ends the window */
	struct nfqr_diag *diag;
	unsigned errors, max_errors;
	const struct nfqr_load_opts *opts;
	struct nfqr_ruleset *rs;
	size_t cap_rules, cap_pats;
	struct define *defs;
	size_t n_defs;
	struct named_set *sets;
	size_t n_sets;
	unsigned depth;           /* define expansion nesting */
	bool seen_policy[4];
	char **comments;          /* rule comments so far, for uniqueness */
	uint32_t *comment_lines;
	struct index comment_idx; /* of the rules with a comment */
	struct index pattern_idx; /* of rs->patterns */
	struct index id_idx;      /* of every rule's id */
	uint32_t raw_bits;        /* VT_RAW: the width of the @th/@nh field being parsed */
	char raw_what[40];        /* VT_RAW: "a 16-bit number" */
	uint32_t reject_field;    /* the reject mark field (load opts) */
	uint32_t first_reject_line;
	struct field_use *field_uses;
	size_t n_field_uses, cap_field_uses;
	size_t cap_ldecl;
};

/* Values collected from one right-hand side. */
struct vlist {
	struct nfqr_range *r;
	uint32_t n, cap;
	char **names;
	uint32_t nn, capn;
	const struct token *interval_tok;   /* first prefix/range element */
	bool lent;                          /* r is a named set's (lend_set) */
};

/* Rule being built. */
struct rb {
	struct nfqr_rule r;
	size_t cap_preds, cap_stmts, cap_content, cap_lpreds;
	bool stmt_seen;
	bool mark_change;                   /* a non-identity meta/ct mark set */
	bool ct_change;                     /* a non-identity ct mark set */
	uint32_t meta_change;               /* packet mark bits the statements may change */
	bool const_meta_set;
	uint32_t const_meta_val;
	const struct token *verdict_tok;
	const struct token *detect_tok;     /* `detect` */
	char *comment;
	const struct token *comment_tok;
	const struct token *stream_tok;     /* first `stream` of a content */
	/* nft's protocol context, as its matches set it in order: `ip`/`ip6`
	 * headers and `meta nfproto X`; `tcp`/`udp`/`icmp`/`icmpv6` headers and
	 * `meta l4proto X` (one value).  A header of another protocol after
	 * them is refused, as nft refuses it (conflicting protocols). */
	uint8_t net_ctx;                    /* 0, 4, 6 */
	int16_t l4_ctx;                     /* -1: none, else the protocol */
};

static const struct token *cur(const struct parser *p)
{
	return &p->t.v[p->pos < p->end ? p->pos : p->end];
}

static const struct token *peek(const struct parser *p, size_t k)
{
	return &p->t.v[p->pos + k < p->end ? p->pos + k : p->end];
}

static bool is_end(const struct token *t) { return t->kind == TK_NL || t->kind == TK_EOF; }
static bool is(const struct parser *p, const char *w) { return nfqr_tok_is(cur(p), w); }

__attribute__((format(printf, 3, 4)))
static bool error_at(struct parser *p, const struct token *t, const char *fmt, ...)
{
	char msg[400];
	va_list ap;

	p->errors++;
	if (p->errors > p->max_errors)
		return false;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	nfqr_diag_add(p->diag, p->file, t->line, t->col, "%s", msg);
	return false;
}

/* "expected WHAT, got <token>" at token t */
static bool expected_at(struct parser *p, const struct token *t, const char *what)
{
	char got[80];

	nfqr_tok_describe(t, got, sizeof(got));
	return error_at(p, t, "expected %s, got %s", what, got);
}

static bool expected(struct parser *p, const char *what)
{
	return expected_at(p, cur(p), what);
}

/* expected_at, and where to go instead when hint is not NULL */
static bool expected_hint(struct parser *p, const struct token *t, const char *what,
			  const char *hint)
{
	char got[80];

	if (!hint)
		return expected_at(p, t, what);
	nfqr_tok_describe(t, got, sizeof(got));
	return error_at(p, t, "expected %s, got %s (%s)", what, got, hint);
}

static bool accept_word(struct parser *p, const char *w)
{
	if (!is(p, w))
		return false;
	p->pos++;
	return true;
}

static bool expect_word(struct parser *p, const char *w)
{
	char what[64];

	if (accept_word(p, w))
		return true;
	snprintf(what, sizeof(what), "'%s'", w);
	return expected(p, what);
}

/* String token t decoded, NUL-terminated, malloc'd; NULL: no memory. */
static uint8_t *tok_bytes(const struct token *t, uint32_t *n)
{
	uint8_t *s = malloc(t->len + 1);

	if (s) {
		*n = nfqr_tok_str(t, s);
		s[*n] = 0;
	}
	return s;
}

static char *tok_strdup(const struct token *t, size_t skip)
{
	char *s = malloc(t->len - skip + 1);

	if (s) {
		memcpy(s, t->text + skip, t->len - skip);
		s[t->len - skip] = 0;
	}
	return s;
}

static bool grow(void **v, size_t *cap, size_t n, size_t size)
{
	if (n < *cap)
		return true;
	size_t nc = *cap ? *cap * 2 : 4;
	void *nv;

	while (nc <= n)
		nc *= 2;
	nv = realloc(*v, nc * size);

	if (!nv)
		return false;
	*v = nv;
	*cap = nc;
	return true;
}

static bool vl_add(struct vlist *vl, struct nfqr_key lo, struct nfqr_key hi)
{
	size_t cap = vl->cap;

	if (!grow((void **)&vl->r, &cap, vl->n, sizeof(*vl->r)))
		return false;
	vl->cap = (uint32_t)cap;
	vl->r[vl->n++] = (struct nfqr_range){ lo, hi };
	return true;
}

static void vl_free(struct vlist *vl)
{
	for (uint32_t i = 0; i < vl->nn; i++)
		free(vl->names[i]);
	free(vl->names);
	free(vl->r);
	memset(vl, 0, sizeof(*vl));
}

/* ---- scalar values ------------------------------------------------------ */

static uint64_t vt_max(const struct parser *p, enum vtype vt)
{
	switch (vt) {
	case VT_PORT: case VT_LEN: return 0xffff;
	case VT_MARK: case VT_UID: case VT_GID: return 0xffffffff;
	case VT_RAW: return (1ULL << p->raw_bits) - 1;
	default: return 0xff;
	}
}

/* What "expected X" says for one value of type vt. */
static const char *vt_what(const struct parser *p, enum vtype vt)
{
	return vt == VT_RAW ? p->raw_what : vt_expect[vt];
}

/* "an 8-bit mask", "a 16-bit mask" */
static const char *bits_article(unsigned bits)
{
	return bits == 8 || bits == 11 || bits == 18 ? "an" : "a";
}

/* Types whose values have no order: no <, >, <=, >=. */
static bool vt_unordered(enum vtype vt)
{
	return vt == VT_IPV4 || vt == VT_IPV6 || vt == VT_IFNAME || vt == VT_NFPROTO ||
	       vt == VT_CTSTATE || vt == VT_CTBITS || vt == VT_CTDIR;
}

/* A conntrack state name; `untracked` is refused, see fields.c. */
static bool ct_state_name(struct parser *p, const struct token *t, uint32_t *bit)
{
	int v = t->kind == TK_WORD ? nfqr_ct_state(t->text, t->len) : -1;

	if (v == NF_CT_STATE_UNTRACKED_BIT)
		return error_at(p, t, "expected new, established, related or invalid, got 'untracked' "
				"(NFQUEUE sends untracked packets without conntrack information: "
				"they count as invalid here)");
	if (v < 0)
		return expected_at(p, t, vt_expect[VT_CTSTATE]);
	*bit = (uint32_t)v;
	return true;
}

/*
 * TCP flags (VT_TCPFLAGS) or conntrack states (VT_CTBITS): term ('|' term)*,
 * a term a name, a number or, as nft allows, '(' flags ')'; with `list`,
 * also ',' between terms: nft's list of flags, their OR.
 */
static bool parse_flags_list(struct parser *p, enum vtype vt, uint32_t *out, bool list);

/* One term: a name, a number, or '(' flags ')'. */
static bool parse_flags_term(struct parser *p, enum vtype vt, uint32_t *out)
{
	const struct token *t = cur(p);
	uint64_t n;
	uint32_t bit;
	int f = t->kind != TK_WORD ? -1 : vt == VT_TCPFLAGS ? nfqr_tcp_flag(t->text, t->len)
							: nfqr_ct_state(t->text, t->len);

	if (t->kind == TK_LPAREN) {
		p->pos++;
		if (!parse_flags_list(p, vt, out, false))
			return false;
		if (cur(p)->kind != TK_RPAREN)
			return expected(p, "'|' or ')'");
		p->pos++;
		return true;
	}
	if (f >= 0 && vt == VT_CTBITS) {
		if (!ct_state_name(p, t, &bit))     /* untracked */
			return false;
	} else if (f < 0 && !(t->kind == TK_WORD && nfqr_parse_uint(t->text, t->len, 0xff, &n))) {
		return expected(p, vt_expect[vt]);
	}
	*out = f >= 0 ? (uint32_t)f : (uint32_t)n;
	p->pos++;
	return true;
}

static bool parse_flags_list(struct parser *p, enum vtype vt, uint32_t *out, bool list)
{
	uint32_t v = 0, t;

	for (;;) {
		if (!parse_flags_term(p, vt, &t))
			return false;
		v |= t;
		if (cur(p)->kind != TK_PIPE && !(list && cur(p)->kind == TK_COMMA))
			break;
		p->pos++;
	}
	*out = v;
	return true;
}

static bool parse_flags(struct parser *p, enum vtype vt, uint32_t *out)
{
	return parse_flags_list(p, vt, out, false);
}

static bool parse_scalar(struct parser *p, enum vtype vt, struct nfqr_key *k)
{
	const struct token *t = cur(p);
	uint8_t a[16];
	uint64_t n;
	int v = -1;

	if (vt == VT_TCPFLAGS || vt == VT_CTBITS) {
		uint32_t f;

		if (!parse_flags(p, vt, &f))
			return false;
		*k = nfqr_key_u32(f);
		return true;
	}
	if (t->kind != TK_WORD)
		return expected(p, vt_what(p, vt));
	switch (vt) {
	case VT_IPV4:
		if (!nfqr_parse_ipv4(t->text, t->len, a))
			return expected(p, vt_expect[vt]);
		*k = nfqr_key_from_bytes(a, 4);
		break;
	case VT_IPV6:
		if (!nfqr_parse_ipv6(t->text, t->len, a))
			return expected(p, vt_expect[vt]);
		*k = nfqr_key_from_bytes(a, 16);
		break;
	case VT_NFPROTO:
		if (nfqr_tok_is(t, "ipv4"))
			v = 2;
		else if (nfqr_tok_is(t, "ipv6"))
			v = 10;
		if (v < 0)
			return expected(p, vt_expect[vt]);
		*k = nfqr_key_u32((uint32_t)v);
		break;
	case VT_CTSTATE: {
		uint32_t bit;

		if (!ct_state_name(p, t, &bit))
			return false;
		*k = nfqr_key_u32(bit);
		break;
	}
	case VT_CTDIR:
		v = nfqr_ct_direction(t->text, t->len);
		if (v < 0)
			return expected(p, vt_expect[vt]);
		*k = nfqr_key_u32((uint32_t)v);
		break;
	case VT_UID:
	case VT_GID: {
		uint32_t id;

		if (nfqr_parse_uint(t->text, t->len, 0xffffffff, &n))
			id = (uint32_t)n;
		else if (!(vt == VT_UID ? nfqr_user_id(t->text, t->len, &id)
					: nfqr_group_id(t->text, t->len, &id)))
			return expected(p, vt_expect[vt]);
		*k = nfqr_key_u32(id);
		break;
	}
	default:
		if (vt == VT_PORT) v = nfqr_service_port(t->text, t->len);
		if (vt == VT_PROTO) v = nfqr_proto_number(t->text, t->len);
		if (vt == VT_ICMP) v = nfqr_icmp_type(t->text, t->len);
		if (vt == VT_ICMP6) v = nfqr_icmpv6_type(t->text, t->len);
		if (v < 0 && !nfqr_parse_uint(t->text, t->len, vt_max(p, vt), &n))
			return expected(p, vt_what(p, vt));
		*k = nfqr_key_u32(v >= 0 ? (uint32_t)v : (uint32_t)n);
		break;
	}
	p->pos++;
	return true;
}

/* one element: value, value-value, or address/prefix */
static bool parse_element(struct parser *p, enum vtype vt, struct vlist *vl)
{
	const struct token *start = cur(p);
	struct nfqr_key lo, hi;

	if (vt == VT_IFNAME) {
		size_t cap = vl->capn;
		const struct token *t = cur(p);
		uint32_t n = 0;
		uint8_t *s = t->kind == TK_STRING ? tok_bytes(t, &n) : NULL;
		const void *star = s ? memchr(s, '*', n) : NULL;

		if (!s || n == 0 || n > 15 || memchr(s, 0, n) || (star && star != &s[n - 1])) {
			free(s);
			return expected(p, "an interface name in quotes (1-15 characters, '*' only at the end)");
		}
		if (!grow((void **)&vl->names, &cap, vl->nn, sizeof(char *))) {
			free(s);
			return false;
		}
		vl->capn = (uint32_t)cap;
		vl->names[vl->nn++] = (char *)s;
		p->pos++;
		return true;
	}
	if (!parse_scalar(p, vt, &lo))
		return false;
	hi = lo;
	if (cur(p)->kind == TK_SLASH && (vt == VT_IPV4 || vt == VT_IPV6)) {
		unsigned bits = vt == VT_IPV4 ? 32 : 128;
		uint64_t plen;
		struct nfqr_key m;

		p->pos++;
		if (cur(p)->kind != TK_WORD || !nfqr_parse_uint(cur(p)->text, cur(p)->len, bits, &plen)) {
			char what[48];

			snprintf(what, sizeof(what), "a prefix length (0-%u)", bits);
			return expected(p, what);
		}
		p->pos++;
		/* host mask of the prefix, within the address width */
		plen += 128 - bits;
		m.hi = plen >= 64 ? 0 : ~0ULL >> plen;
		m.lo = plen >= 128 ? 0 : plen <= 64 ? ~0ULL : ~0ULL >> (plen - 64);
		lo.hi &= ~m.hi; lo.lo &= ~m.lo;       /* host bits ignored, as nft does */
		hi.hi = lo.hi | m.hi; hi.lo = lo.lo | m.lo;
		if (!vl->interval_tok)
			vl->interval_tok = start;
	} else if (cur(p)->kind == TK_DASH) {
		const struct token *end_tok;

		if (vt == VT_CTSTATE || vt == VT_CTBITS || vt == VT_CTDIR)
			return expected(p, "a single value (no ranges of this type)");
		p->pos++;
		end_tok = cur(p);
		if (!parse_scalar(p, vt, &hi))
			return false;
		if (nfqr_key_cmp(hi, lo) < 0)
			return expected_at(p, end_tok, "a range end not below its start");
		if (!vl->interval_tok)
			vl->interval_tok = start;
	}
	return vl_add(vl, lo, hi);
}

static bool parse_values(struct parser *p, enum vtype vt, struct vlist *vl);
static void sync_line(struct parser *p);

static struct define *find_define(struct parser *p, const struct token *t)
{
	for (size_t i = 0; i < p->n_defs; i++)
		if (strlen(p->defs[i].name) == t->len - 1 &&
		    memcmp(p->defs[i].name, t->text + 1, t->len - 1) == 0)
			return &p->defs[i];
	return NULL;
}

/* $name: parse the define's tokens in place of the reference */
static bool expand_define(struct parser *p, enum vtype vt, struct vlist *vl)
{
	const struct token *ref = cur(p);
	struct define *d = find_define(p, ref);
	size_t save_pos = p->pos, save_end = p->end;
	bool ok;

	if (!d)
		return expected(p, "a variable defined above");
	if (p->depth >= 16)
		return error_at(p, ref, "expected at most 16 nested variables, got more (recursive define?)");
	p->depth++;
	p->pos = d->start;
	p->end = d->end;
	ok = parse_values(p, vt, vl);
	if (ok && p->pos != p->end)
		ok = expected(p, "end of the definition");
	p->depth--;
	p->pos = save_pos + 1;
	p->end = save_end;
	return ok;
}

static struct named_set *find_set(struct parser *p, const struct token *t)
{
	for (size_t i = 0; i < p->n_sets; i++)
		if (strlen(p->sets[i].name) == t->len - 1 &&
		    memcmp(p->sets[i].name, t->text + 1, t->len - 1) == 0)
			return &p->sets[i];
	return NULL;
}

/* { a, b-c, $x } | $x | @set | element */
static bool parse_values(struct parser *p, enum vtype vt, struct vlist *vl)
{
	const struct token *t = cur(p);

	if (t->kind == TK_VAR)
		return expand_define(p, vt, vl);
	if (t->kind == TK_SETREF) {
		struct named_set *s = find_set(p, t);
		char what[96];

		if (!s)
			return expected(p, "a set declared above");
		if (s->broken)
			return false;                /* its error was said at the declaration */
		if (s->live)
			return error_at(p, t, "expected values or a constant set, got live set @%s (a "
					"live set stands alone after the match: `ip saddr @%s`)",
					s->name, s->name);
		if (s->type != vt && !(vt == VT_CTBITS && s->type == VT_CTSTATE)) {
			snprintf(what, sizeof(what), "a set of type %s", vt_name[vt]);
			return error_at(p, t, "expected %s, got @%s of type %s", what, s->name,
					vt_name[s->type]);
		}
		if (s->n) {                  /* all at once: sets may hold millions */
			size_t cap = vl->cap;

			if (!grow((void **)&vl->r, &cap, (size_t)vl->n + s->n - 1, sizeof(*vl->r)))
				return false;
			vl->cap = (uint32_t)cap;
			memcpy(vl->r + vl->n, s->r, s->n * sizeof(*vl->r));
			vl->n += s->n;
		}
		for (uint32_t i = 0; i < s->nn; i++) {
			size_t cap = vl->capn;

			if (!grow((void **)&vl->names, &cap, vl->nn, sizeof(char *)))
				return false;
			vl->capn = (uint32_t)cap;
			vl->names[vl->nn] = strdup(s->names[i]);
			if (!vl->names[vl->nn++])
				return false;
		}
		p->pos++;
		return true;
	}
	if (t->kind != TK_LBRACE)
		return parse_element(p, vt, vl);
	p->pos++;
	for (;;) {
		if (cur(p)->kind == TK_RBRACE && vl->n + vl->nn > 0)
			break;
		if (!parse_values(p, vt, vl))
			return false;
		if (cur(p)->kind == TK_COMMA) {
			p->pos++;
			continue;
		}
		if (cur(p)->kind != TK_RBRACE)
			return expected(p, "',' or '}'");
	}
	p->pos++;
	return true;
}

/* ---- live sets ---------------------------------------------------------- */

/* Types a live set can hold: those whose values are plain keys. */
static bool vt_live_ok(enum vtype vt)
{
	return vt != VT_IFNAME && vt != VT_CTSTATE && vt != VT_CTDIR;
}

static uint8_t vt_fmt(enum vtype vt)
{
	return vt == VT_IPV4 ? NFQR_LFMT_IPV4 : vt == VT_IPV6 ? NFQR_LFMT_IPV6
	     : vt == VT_MARK ? NFQR_LFMT_HEX : NFQR_LFMT_NUM;
}

/* A prefix or range in a set without `flags interval` (at its first one) */
static bool interval_error(struct parser *p, const struct token *at)
{
	char got[80];

	nfqr_tok_describe(at, got, sizeof(got));
	return error_at(p, at, "expected single elements in a set without 'flags interval', "
			"got prefix or range %s", got);
}

/* A timeout's duration: at least 1 ms */
static bool parse_timeout(struct parser *p, uint64_t *ns)
{
	if (cur(p)->kind != TK_WORD || !nfqr_parse_duration(cur(p)->text, cur(p)->len, ns) ||
	    *ns < 1000000)
		return expected(p, "a duration of 1ms or more (1h30m, 10s, 500ms)");
	p->pos++;
	return true;
}

/* `value [timeout T] [expires T]`, appended to el[] */
static bool parse_lelem(struct parser *p, enum vtype vt, bool interval, bool timeouts,
			struct nfqr_lelem **el, uint32_t *n, size_t *cap)
{
	struct vlist vl = { 0 };
	struct nfqr_lelem e = { 0 };

	if (!parse_element(p, vt, &vl)) {
		vl_free(&vl);
		return false;
	}
	if (vl.interval_tok && !interval) {
		const struct token *at = vl.interval_tok;

		vl_free(&vl);
		return interval_error(p, at);
	}
	e.lo = vl.r[0].lo;
	e.hi = vl.r[0].hi;
	vl_free(&vl);
	while (is(p, "timeout") || is(p, "expires")) {
		bool to = is(p, "timeout");
		uint64_t *d = to ? &e.timeout_ns : &e.remaining_ns;

		if (!timeouts)
			return error_at(p, cur(p), "expected ',' or the end of the element, got '%s' "
					"(element timeouts need 'flags timeout' in the set)",
					to ? "timeout" : "expires");
		p->pos++;
		if (!parse_timeout(p, d))
			return false;
	}
	if (!grow((void **)el, cap, *n, sizeof(e)))
		return false;
	(*el)[(*n)++] = e;
	return true;
}

/* { e, e, ... } */
static bool parse_lelem_braces(struct parser *p, enum vtype vt, bool interval, bool timeouts,
			       struct nfqr_lelem **el, uint32_t *n, size_t *cap)
{
	if (cur(p)->kind != TK_LBRACE)
		return expected(p, "'{'");
	p->pos++;
	while (cur(p)->kind != TK_RBRACE) {
		if (!parse_lelem(p, vt, interval, timeouts, el, n, cap))
			return false;
		if (cur(p)->kind == TK_COMMA)
			p->pos++;
		else if (cur(p)->kind != TK_RBRACE)
			return expected(p, "',' or '}'");
	}
	p->pos++;
	return true;
}

unsigned nfqr_parse_lelems(const char *name, const char *text, size_t len, uint8_t vtype,
			   bool interval, bool timeouts, struct nfqr_lelem **out, uint32_t *n,
			   struct nfqr_diag *diag)
{
	struct parser p = { 0 };
	size_t cap = 0;

	*out = NULL;
	*n = 0;
	p.file = name;
	p.diag = diag;
	p.max_errors = 20;
	if (nfqr_lex(name, text, len, &p.t, diag)) {
		nfqr_tokens_free(&p.t);
		return 1;
	}
	p.end = p.t.n - 1;
	while (cur(&p)->kind != TK_EOF && p.errors <= p.max_errors) {
		bool ok;

		if (cur(&p)->kind == TK_NL || cur(&p)->kind == TK_COMMA) {
			p.pos++;
			continue;
		}
		if (cur(&p)->kind == TK_LBRACE)
			ok = parse_lelem_braces(&p, (enum vtype)vtype, interval, timeouts, out, n, &cap);
		else
			ok = parse_lelem(&p, (enum vtype)vtype, interval, timeouts, out, n, &cap);
		if (ok && !is_end(cur(&p)) && cur(&p)->kind != TK_COMMA)
			ok = expected(&p, "',' or the end of the line");
		if (!ok)
			sync_line(&p);
	}
	nfqr_tokens_free(&p.t);
	if (p.errors) {
		free(*out);
		*out = NULL;
		*n = 0;
	}
	return p.errors;
}

/* field [!=] @live: looked up per packet (struct nfqr_lpred) */
static bool live_pred(struct parser *p, struct rb *b, uint8_t field, enum vtype vt,
		      uint32_t mask, bool neg, const struct named_set *s)
{
	struct nfqr_lpred *lp;

	if (s->type != vt)
		return error_at(p, cur(p), "expected a set of type %s, got @%s of type %s",
				vt_name[vt], s->name, vt_name[s->type]);
	if (!grow((void **)&b->r.lpreds, &b->cap_lpreds, b->r.n_lpreds, sizeof(*lp)))
		return false;
	lp = &b->r.lpreds[b->r.n_lpreds++];
	*lp = (struct nfqr_lpred){ .field = field, .negated = neg, .mask = mask,
				   .set = s->live_idx };
	p->pos++;
	return true;
}

/* ---- rules -------------------------------------------------------------- */

static struct nfqr_pred *add_pred(struct rb *b, uint8_t field, uint32_t mask, bool neg)
{
	struct nfqr_pred *pr;

	if (!grow((void **)&b->r.preds, &b->cap_preds, b->r.n_preds, sizeof(*pr)))
		return NULL;
	pr = &b->r.preds[b->r.n_preds++];
	memset(pr, 0, sizeof(*pr));
	pr->field = field;
	pr->mask = mask;
	pr->negated = neg;
	return pr;
}

/* implicit dependency, as nft adds `meta l4proto tcp` for `tcp dport` */
static bool add_proto_dep(struct rb *b, uint8_t proto)
{
	struct nfqr_pred *pr;

	for (uint32_t i = 0; i < b->r.n_preds; i++) {
		pr = &b->r.preds[i];
		if (pr->field == NFQR_F_L4PROTO && !pr->negated && pr->n_ranges == 1 &&
		    pr->ranges[0].lo.lo == proto && pr->ranges[0].hi.lo == proto)
			return true;
	}
	pr = add_pred(b, NFQR_F_L4PROTO, 0xffffffff, false);
	if (!pr || !(pr->ranges = malloc(sizeof(*pr->ranges))))
		return false;
	pr->n_ranges = 1;
	pr->ranges[0].lo = pr->ranges[0].hi = nfqr_key_u32(proto);
	return true;
}

/*
 * `field @set` with the set alone on the right: the predicate takes the
 * set's elements in place (a set of a million addresses is not copied for
 * each rule using it).  Only a constant set of ranges, of the right type,
 * with more than one element (a predicate of one value may be changed in
 * place: flags_list_tail).  false: parse it as usual.
 */
static bool lend_set(struct parser *p, enum vtype vt, struct vlist *vl)
{
	struct named_set *s = find_set(p, cur(p));

	if (!s || s->live || s->broken || s->nn || s->n < 2 || s->type != vt)
		return false;
	vl->r = s->r;
	vl->n = vl->cap = s->n;
	vl->lent = true;
	s->lent = true;
	p->pos++;
	return true;
}

/* [== | != | < | > | <= | >=] values  ->  one predicate */
static bool parse_rhs(struct parser *p, struct rb *b, uint8_t field, enum vtype vt,
		      uint32_t mask)
{
	enum tok_kind op = cur(p)->kind;
	struct vlist vl = { 0 };
	struct nfqr_pred *pr;
	const struct token *vstart;

	if (op == TK_NOT)
		return error_at(p, cur(p), "expected '!=', got '!' (as in nft, '!' negates flags only: "
				"tcp flags ! syn, ct state ! established)");
	if (op == TK_EQ || op == TK_NE || op == TK_LT || op == TK_GT || op == TK_LE || op == TK_GE)
		p->pos++;
	else
		op = TK_EQ;
	if (is_end(cur(p)))
		return expected(p, vt_what(p, vt));
	vstart = cur(p);
	if ((op == TK_EQ || op == TK_NE) && vstart->kind == TK_SETREF) {
		struct named_set *s = find_set(p, vstart);

		if (s && s->broken)
			return false;                /* its error was said at the declaration */
		if (s && s->live)
			return live_pred(p, b, field, vt, mask, op == TK_NE, s);
	}
	if (op != TK_EQ && op != TK_NE) {
		struct nfqr_key k;
		uint64_t max = vt_max(p, vt);

		if (vt_unordered(vt))
			return expected(p, "'==' or '!=' for this field (no ordering)");
		if (!parse_scalar(p, vt, &k))
			return false;
		/* an empty range (e.g. `< 0`) simply never matches */
		switch (op) {
		case TK_LT: if (k.lo > 0) vl_add(&vl, nfqr_key_u32(0), nfqr_key_u32((uint32_t)k.lo - 1)); break;
		case TK_LE: vl_add(&vl, nfqr_key_u32(0), k); break;
		case TK_GT: if (k.lo < max) vl_add(&vl, nfqr_key_u32((uint32_t)k.lo + 1), nfqr_key_u32((uint32_t)max)); break;
		default:    vl_add(&vl, k, nfqr_key_u32((uint32_t)max)); break;
		}
	} else if (vstart->kind == TK_SETREF && lend_set(p, vt, &vl)) {
		/* `field @set` alone: its elements in place, not a copy */
	} else if (!parse_values(p, vt, &vl)) {
		vl_free(&vl);
		return false;
	}
	for (uint32_t i = 0; i < vl.n && mask != 0xffffffff; i++)
		if ((vl.r[i].lo.lo & ~(uint64_t)mask) || (vl.r[i].hi.lo & ~(uint64_t)mask)) {
			char what[64];
			unsigned long long bad = vl.r[i].lo.lo & ~(uint64_t)mask ? vl.r[i].lo.lo : vl.r[i].hi.lo;

			snprintf(what, sizeof(what), "values within the mask 0x%x", mask);
			if (!vl.lent)
				vl_free(&vl);
			return error_at(p, vstart, "expected %s, got 0x%llx", what, bad);
		}
	pr = add_pred(b, field, mask, op == TK_NE);
	if (!pr) {
		if (!vl.lent)
			vl_free(&vl);
		return false;
	}
	pr->ranges = vl.r;
	pr->n_ranges = vl.n;
	pr->ranges_borrowed = vl.lent;
	pr->names = vl.names;
	pr->n_names = vl.nn;
	return true;
}

/* optional "& MASK" after meta mark / ct mark / @th,OFF,LEN (a `bits`-bit field) */
static bool parse_mask(struct parser *p, uint32_t *mask, unsigned bits)
{
	uint64_t v;

	*mask = 0xffffffff;
	if (cur(p)->kind != TK_AMP)
		return true;
	p->pos++;
	if (cur(p)->kind != TK_WORD ||
	    !nfqr_parse_uint(cur(p)->text, cur(p)->len, (1ULL << bits) - 1, &v)) {
		char w[32];

		snprintf(w, sizeof(w), "%s %u-bit mask", bits_article(bits), bits);
		return expected(p, w);
	}
	p->pos++;
	*mask = (uint32_t)v;
	return true;
}

/* A value compared with flags may go on as nft's list: `!= syn,ack` is
 * `!= syn|ack`.  Folds the list into the predicate just parsed. */
static bool flags_list_tail(struct parser *p, struct rb *b, enum vtype vt)
{
	struct nfqr_pred *pr = &b->r.preds[b->r.n_preds - 1];
	uint32_t more;

	if (cur(p)->kind != TK_COMMA)
		return true;
	if (pr->n_ranges != 1 || nfqr_key_cmp(pr->ranges[0].lo, pr->ranges[0].hi))
		return expected(p, "the end of the match (a list of flags is one value, not a set)");
	p->pos++;
	if (!parse_flags_list(p, vt, &more, true))
		return false;
	pr->ranges[0].lo.lo |= more;
	pr->ranges[0].hi = pr->ranges[0].lo;
	return true;
}

/*
 * `& MASK`: a flag, a number or a parenthesized OR.  nft reads `& syn|ack`
 * as `(tcp flags & syn) | ack`, which is not what it looks like: refused.
 */
static bool parse_flags_mask(struct parser *p, enum vtype vt, uint32_t *mask)
{
	const struct token *m = cur(p), *last;

	if (!parse_flags_term(p, vt, mask))
		return false;
	if (cur(p)->kind != TK_PIPE)
		return true;
	for (last = cur(p); peek(p, 1)->kind == TK_WORD || peek(p, 1)->kind == TK_PIPE ||
			    peek(p, 1)->kind == TK_LPAREN || peek(p, 1)->kind == TK_RPAREN;)
		last = &p->t.v[++p->pos];
	return error_at(p, m, "expected a mask in parentheses, '& (%.*s)', got '& %.*s' (nft "
			"reads that as '(flags & %.*s) | ...', which tests something else)",
			(int)(last->text + last->len - m->text), m->text,
			(int)(last->text + last->len - m->text), m->text, (int)m->len, m->text);
}

/* A single flags predicate: (flags & mask) == value, or != with neg. */
static bool add_flags_pred(struct rb *b, uint8_t field, uint32_t mask, uint32_t value, bool neg)
{
	struct nfqr_pred *pr = add_pred(b, field, mask, neg);

	if (!pr || !(pr->ranges = malloc(sizeof(*pr->ranges))))
		return false;
	pr->n_ranges = 1;
	pr->ranges[0].lo = pr->ranges[0].hi = nfqr_key_u32(value);
	return true;
}

/*
 * tcp flags, every form nft 1.0.6 takes: `syn`, `syn,ack`, `syn|ack`,
 * `(syn|ack)` (any of them: flags & them != 0), `! syn,ack` (none of them),
 * `== syn|ack` / `!= syn,ack` (all flags exactly), `{ syn, syn|ack }`,
 * `& (syn|ack) == syn` (under a mask, with any operator or a set), and
 * `syn / syn,ack` (flags & syn,ack == syn).
 */
static bool parse_tcp_flags(struct parser *p, struct rb *b)
{
	uint32_t mask = 0xff, val;
	const struct token *vstart;
	enum tok_kind k = cur(p)->kind;

	if (k == TK_AMP) {
		p->pos++;
		if (!parse_flags_mask(p, VT_TCPFLAGS, &mask) ||
		    !parse_rhs(p, b, NFQR_F_TCP_FLAGS, VT_TCPFLAGS, mask))
			return false;
		return flags_list_tail(p, b, VT_TCPFLAGS);
	}
	if (k == TK_NOT) {                    /* none of them: flags & them == 0 */
		p->pos++;
		if (!parse_flags_list(p, VT_TCPFLAGS, &val, true))
			return false;
		return add_flags_pred(b, NFQR_F_TCP_FLAGS, val, 0, false);
	}
	if (k == TK_EQ || k == TK_NE || k == TK_LBRACE || k == TK_VAR || k == TK_SETREF)
		return parse_rhs(p, b, NFQR_F_TCP_FLAGS, VT_TCPFLAGS, 0xff) &&
		       flags_list_tail(p, b, VT_TCPFLAGS);
	vstart = cur(p);
	if (!parse_flags_list(p, VT_TCPFLAGS, &val, true))
		return false;
	if (cur(p)->kind == TK_SLASH) {       /* value / mask: (flags & mask) == value */
		p->pos++;
		if (cur(p)->kind == TK_LPAREN)
			return expected(p, "flags after '/' (a list: syn,ack; nft takes no parentheses "
					"there)");
		if (!parse_flags_list(p, VT_TCPFLAGS, &mask, true))
			return false;
		if (val & ~mask)
			return error_at(p, vstart, "expected flags within the mask 0x%x, got 0x%x", mask, val);
		return add_flags_pred(b, NFQR_F_TCP_FLAGS, mask, val, false);
	}
	/* implicit: (flags & value) != 0 */
	return add_flags_pred(b, NFQR_F_TCP_FLAGS, val, 0, true);
}

/*
 * ct state, as nft: `established` or `established,related` (also written
 * `established|related`: nft's implicit `ct state & (established|related)
 * != 0`), `== new`, `!= invalid`, `{ established, related }`, and under a
 * mask `& (established|related) != 0`, and `! established,related` (in none
 * of them).  A packet is in exactly one state, so a list of states is a set
 * of them.
 */
static bool parse_ct_state(struct parser *p, struct rb *b)
{
	enum tok_kind k = cur(p)->kind;
	struct nfqr_pred *pr;
	struct vlist vl = { 0 };
	uint32_t mask;

	if (k == TK_AMP) {
		p->pos++;
		if (!parse_flags_mask(p, VT_CTBITS, &mask))
			return false;
		return parse_rhs(p, b, NFQR_F_CT_STATE, VT_CTBITS, mask);
	}
	if (k == TK_NOT) {                    /* nft: ct state & (them) == 0 */
		p->pos++;
		return parse_flags_list(p, VT_CTBITS, &mask, true) &&
		       add_flags_pred(b, NFQR_F_CT_STATE, mask, 0, false);
	}
	if (k == TK_EQ || k == TK_NE || k == TK_LT || k == TK_GT || k == TK_LE || k == TK_GE ||
	    k == TK_LBRACE || k == TK_VAR || k == TK_SETREF) {
		if (!parse_rhs(p, b, NFQR_F_CT_STATE, VT_CTSTATE, 0xffffffff))
			return false;
		/* nft would compare with the OR of the list: never true */
		if (cur(p)->kind == TK_COMMA)
			return expected(p, "a set { a, b } for more than one state after an operator");
		return true;
	}
	for (;;) {
		struct nfqr_key key;

		if (!parse_scalar(p, VT_CTSTATE, &key) || !vl_add(&vl, key, key)) {
			vl_free(&vl);
			return false;
		}
		if (cur(p)->kind != TK_COMMA && cur(p)->kind != TK_PIPE)
			break;
		p->pos++;
	}
	pr = add_pred(b, NFQR_F_CT_STATE, 0xffffffff, false);
	if (!pr) {
		vl_free(&vl);
		return false;
	}
	pr->ranges = vl.r;
	pr->n_ranges = vl.n;
	return true;
}

/* @th,OFFSET,LENGTH / @nh,...: [& MASK] [op] values, all in LENGTH bits */
static bool parse_raw(struct parser *p, struct rb *b, uint8_t field)
{
	uint64_t off, len;
	uint32_t mask;
	char w[48];

	if (cur(p)->kind != TK_COMMA)
		return expected(p, "',' and an offset in bits (@th,OFFSET,LENGTH)");
	p->pos++;
	if (cur(p)->kind != TK_WORD || !nfqr_parse_uint(cur(p)->text, cur(p)->len, NFQR_RAW_MAX_OFF, &off)) {
		snprintf(w, sizeof(w), "an offset in bits (0-%u)", NFQR_RAW_MAX_OFF);
		return expected(p, w);
	}
	p->pos++;
	if (cur(p)->kind != TK_COMMA)
		return expected(p, "',' and a length in bits (@th,OFFSET,LENGTH)");
	p->pos++;
	if (cur(p)->kind != TK_WORD || !nfqr_parse_uint(cur(p)->text, cur(p)->len, NFQR_RAW_MAX_LEN, &len) ||
	    len == 0) {
		snprintf(w, sizeof(w), "a length in bits (1-%u)", NFQR_RAW_MAX_LEN);
		return expected(p, w);
	}
	p->pos++;
	p->raw_bits = (uint32_t)len;
	snprintf(p->raw_what, sizeof(p->raw_what), "%s %u-bit number", bits_article((unsigned)len),
		 (unsigned)len);
	if (!parse_mask(p, &mask, (unsigned)len) || !parse_rhs(p, b, field, VT_RAW, mask))
		return false;
	b->r.preds[b->r.n_preds - 1].arg = nfqr_raw_arg((uint32_t)off, (uint32_t)len);
	p->rs->uses_raw_match = true;
	return true;
}

static bool parse_bytes(struct parser *p, uint8_t **out, uint32_t *len, const char *what)
{
	const struct token *t = cur(p);

	if (t->kind == TK_STRING && t->len > 2) {
		*out = tok_bytes(t, len);
		if (!*out)
			return false;
		p->pos++;
		return true;
	}
	if (t->kind == TK_WORD && t->len > 2 && t->text[0] == '0' && t->text[1] == 'x' &&
	    t->len % 2 == 0) {
		uint32_t n = (t->len - 2) / 2;
		uint64_t v;

		*out = malloc(n);
		if (!*out)
			return false;
		for (uint32_t i = 0; i < n; i++) {
			char hex[5] = { '0', 'x', t->text[2 + 2 * i], t->text[3 + 2 * i], 0 };

			if (!nfqr_parse_uint(hex, 4, 0xff, &v)) {
				free(*out);
				*out = NULL;
				return expected(p, what);
			}
			(*out)[i] = (uint8_t)v;
		}
		*len = n;
		p->pos++;
		return true;
	}
	return expected(p, what);
}

static uint64_t pattern_hash(const struct nfqr_cm_pattern *q)
{
	uint64_t h = fnv1a(1469598103934665603ULL, q->bytes, q->len);
	uint32_t w[4] = { q->offset, q->depth, q->nocase, q->stream };

	return fnv1a(h, w, sizeof(w));
}

static uint64_t pattern_hash_at(const void *rs, uint32_t e)
{
	return pattern_hash(&((const struct nfqr_ruleset *)rs)->patterns[e]);
}

static bool add_content(struct parser *p, struct rb *b, struct nfqr_cm_pattern *pat)
{
	struct nfqr_ruleset *rs = p->rs;
	uint64_t h = pattern_hash(pat);
	uint32_t i, k = UINT32_MAX;

	if (!index_grow(&p->pattern_idx, pattern_hash_at, rs))
		return false;
	while ((i = index_next(&p->pattern_idx, h, &k)) != UINT32_MAX) {
		struct nfqr_cm_pattern *q = &rs->patterns[i];

		if (q->len == pat->len && q->nocase == pat->nocase && q->offset == pat->offset &&
		    q->depth == pat->depth && q->stream == pat->stream &&
		    memcmp(q->bytes, pat->bytes, pat->len) == 0)
			break;
	}
	if (i != UINT32_MAX) {
		free((void *)pat->bytes);
	} else {
		if (!grow((void **)&rs->patterns, &p->cap_pats, rs->n_patterns, sizeof(*pat)))
			return false;
		i = rs->n_patterns;
		rs->patterns[rs->n_patterns++] = *pat;
		p->pattern_idx.slot[k] = i + 1;
		p->pattern_idx.n++;
	}
	for (uint32_t j = 0; j < b->r.n_content; j++)
		if (b->r.content[j] == i)
			return true;          /* same term twice: once is enough */
	if (!grow((void **)&b->r.content, &b->cap_content, b->r.n_content, sizeof(uint32_t)))
		return false;
	b->r.content[b->r.n_content++] = i;
	return true;
}

/* @payload content "GET /" [offset N] [depth N] [nocase] [stream] */
static bool parse_content(struct parser *p, struct rb *b)
{
	struct nfqr_cm_pattern pat = { 0 };
	uint8_t *bytes = NULL;
	bool seen_off = false, seen_depth = false;
	const struct token *depth_tok = NULL, *first_opt = NULL, *content_tok;

	if (!expect_word(p, "content"))
		return false;
	content_tok = cur(p);
	if (!parse_bytes(p, &bytes, &pat.len, "a non-empty string or hex bytes (0x...)"))
		return false;
	if (pat.len > NFQR_CM_MAX_LEN) {
		free(bytes);
		return error_at(p, content_tok, "expected a content of at most %u bytes (what the "
				"content matchers take), got %u bytes", NFQR_CM_MAX_LEN, pat.len);
	}
	pat.bytes = bytes;
	for (;;) {
		uint64_t v;
		bool is_off = is(p, "offset"), is_depth = is(p, "depth");

		if (is(p, "stream")) {
			if (pat.stream)
				break;
			if (seen_off || seen_depth) {
				free(bytes);
				return error_at(p, first_opt, "expected no 'offset' or 'depth' with "
						"'stream' (a pattern across two segments has no position "
						"in one payload), got '%.*s'",
						(int)first_opt->len, first_opt->text);
			}
			if (pat.len > NFQR_STREAM_MAX_LEN) {
				free(bytes);
				return error_at(p, content_tok, "expected a content of at most %u bytes "
						"with 'stream', got %u bytes", NFQR_STREAM_MAX_LEN, pat.len);
			}
			pat.stream = true;
			if (!b->stream_tok)
				b->stream_tok = cur(p);
			p->pos++;
			continue;
		}
		if (is(p, "nocase")) {
			if (pat.nocase)
				break;
			pat.nocase = true;
			p->pos++;
			continue;
		}
		if ((!is_off || seen_off) && (!is_depth || seen_depth))
			break;
		if (pat.stream) {
			free(bytes);
			return error_at(p, cur(p), "expected no 'offset' or 'depth' with 'stream' (a "
					"pattern across two segments has no position in one payload), "
					"got '%.*s'", (int)cur(p)->len, cur(p)->text);
		}
		if (!first_opt)
			first_opt = cur(p);
		p->pos++;
		if (is_depth)
			depth_tok = cur(p);
		if (cur(p)->kind != TK_WORD || !nfqr_parse_uint(cur(p)->text, cur(p)->len, 65535, &v)) {
			free(bytes);
			return expected(p, "a number (0-65535)");
		}
		p->pos++;
		if (is_off) {
			pat.offset = (uint32_t)v;
			seen_off = true;
		} else {
			pat.depth = (uint32_t)v;
			seen_depth = true;
		}
	}
	if (seen_depth && pat.depth < pat.len) {
		char what[64];

		free(bytes);
		snprintf(what, sizeof(what), "a depth of at least %u (the content length)", pat.len);
		return expected_at(p, depth_tok, what);
	}
	if (!add_content(p, b, &pat)) {
		free(bytes);
		return false;
	}
	return true;
}

static bool add_stmt(struct rb *b, struct nfqr_stmt *s)
{
	if (!grow((void **)&b->r.stmts, &b->cap_stmts, b->r.n_stmts, sizeof(*s)))
		return false;
	b->r.stmts[b->r.n_stmts++] = *s;
	return true;
}

/* X set <num> | X set (meta mark|mark|ct mark) [(|,&,^,or,and,xor) <num>] */
static bool parse_mark_expr(struct parser *p, struct nfqr_mark_expr *e)
{
	uint64_t v;
	const struct token *t = cur(p);

	if (t->kind == TK_WORD && nfqr_parse_uint(t->text, t->len, 0xffffffff, &v)) {
		p->pos++;
		*e = (struct nfqr_mark_expr){ NFQR_SRC_CONST, 0, (uint32_t)v };
		return true;
	}
	if (accept_word(p, "meta")) {
		if (!expect_word(p, "mark"))
			return false;
		e->src = NFQR_SRC_META_MARK;
	} else if (accept_word(p, "mark")) {
		e->src = NFQR_SRC_META_MARK;
	} else if (accept_word(p, "ct")) {
		if (!expect_word(p, "mark"))
			return false;
		e->src = NFQR_SRC_CT_MARK;
	} else {
		return expected(p, "a 32-bit value, 'meta mark' or 'ct mark'");
	}
	e->and_mask = 0xffffffff;
	e->xor_val = 0;
	t = cur(p);
	if (t->kind == TK_PIPE || t->kind == TK_AMP || t->kind == TK_CARET ||
	    nfqr_tok_is(t, "or") || nfqr_tok_is(t, "and") || nfqr_tok_is(t, "xor")) {
		bool is_or = t->kind == TK_PIPE || nfqr_tok_is(t, "or");
		bool is_and = t->kind == TK_AMP || nfqr_tok_is(t, "and");

		p->pos++;
		if (cur(p)->kind != TK_WORD || !nfqr_parse_uint(cur(p)->text, cur(p)->len, 0xffffffff, &v))
			return expected(p, "a 32-bit value");
		p->pos++;
		if (is_or) {
			e->and_mask = ~(uint32_t)v;
			e->xor_val = (uint32_t)v;
		} else if (is_and) {
			e->and_mask = (uint32_t)v;
		} else {
			e->xor_val = (uint32_t)v;
		}
	}
	return true;
}

static bool add_field_use(struct parser *p, const struct token *at, struct field_use u)
{
	if (!grow((void **)&p->field_uses, &p->cap_field_uses, p->n_field_uses, sizeof(u)))
		return false;
	u.line = at->line;
	u.col = at->col;
	p->field_uses[p->n_field_uses++] = u;
	return true;
}

static bool parse_mark_set(struct parser *p, struct rb *b, uint8_t kind, const struct token *start)
{
	struct nfqr_stmt s = { .kind = kind };
	uint8_t self = kind == NFQR_S_META_MARK_SET ? NFQR_SRC_META_MARK : NFQR_SRC_CT_MARK;
	const struct nfqr_mark_expr *e = &s.mark;

	if (!expect_word(p, "set") || !parse_mark_expr(p, &s.mark))
		return false;
	if (!(s.mark.src == self && s.mark.and_mask == 0xffffffff && s.mark.xor_val == 0)) {
		b->mark_change = true;
		b->ct_change |= kind == NFQR_S_CT_MARK_SET;
	}
	if (kind == NFQR_S_META_MARK_SET) {
		/* new = (src & and) ^ xor: the bits it may change, and those it may
		 * set in the reject field (the field is clear on arrival when the
		 * rules reject, so meta mark's own bits there stay clear) */
		uint32_t f = p->reject_field;
		uint32_t sets = e->xor_val | (e->src == NFQR_SRC_CT_MARK ? e->and_mask : 0);

		b->meta_change |= e->src == NFQR_SRC_META_MARK ? ~e->and_mask | e->xor_val : 0xffffffff;
		if ((sets & f) && !add_field_use(p, start, (struct field_use){
				.from_ct = e->src == NFQR_SRC_CT_MARK && (e->and_mask & f),
				.bits = sets & f }))
			return false;
	} else {
		p->rs->ct_mark_bits |= e->xor_val | (e->src == NFQR_SRC_META_MARK ? e->and_mask : 0);
	}
	if (kind == NFQR_S_META_MARK_SET && s.mark.src == NFQR_SRC_CONST) {
		b->const_meta_set = true;
		b->const_meta_val = s.mark.xor_val;
	}
	if (kind == NFQR_S_CT_MARK_SET)
		p->rs->uses_ct = true;
	if (s.mark.src == NFQR_SRC_CT_MARK)
		p->rs->uses_ct = true;
	return add_stmt(b, &s);
}

static bool parse_log(struct parser *p, struct rb *b)
{
	struct nfqr_stmt s = { .kind = NFQR_S_LOG };
	static const char *const levels[] = { "emerg", "alert", "crit", "err", "warn",
					      "notice", "info", "debug", NULL };

	for (;;) {
		if (accept_word(p, "prefix")) {
			const struct token *t = cur(p);

			if (t->kind != TK_STRING || s.log_prefix) {
				free(s.log_prefix);      /* a second prefix */
				return expected(p, "a prefix string");
			}
			uint32_t n;

			s.log_prefix = (char *)tok_bytes(t, &n);
			if (!s.log_prefix)
				return false;
			p->pos++;
		} else if (accept_word(p, "level")) {
			int i;

			for (i = 0; levels[i] && !is(p, levels[i]); i++)
				;
			if (!levels[i]) {
				free(s.log_prefix);
				return expected(p, "a log level (emerg, alert, crit, err, warn, notice, info, debug)");
			}
			p->pos++;
		} else {
			break;
		}
	}
	b->r.has_log = true;
	if (!b->r.log_prefix && s.log_prefix)
		b->r.log_prefix = strdup(s.log_prefix);
	return add_stmt(b, &s);
}

static bool parse_payload_stmt(struct parser *p, struct rb *b)
{
	struct nfqr_stmt s = { 0 };
	const struct token *t;
	uint32_t len2;

	if (accept_word(p, "fill")) {
		s.kind = NFQR_S_PAYLOAD_FILL;
		if (!parse_bytes(p, &s.bytes, &s.len, "a non-empty fill string or hex bytes (0x...)"))
			return false;
	} else if (accept_word(p, "replace")) {
		s.kind = NFQR_S_PAYLOAD_REPLACE;
		if (!parse_bytes(p, &s.bytes, &s.len, "a non-empty string or hex bytes to replace"))
			return false;
		t = cur(p);
		if (!parse_bytes(p, &s.bytes2, &len2, "the replacement string or hex bytes")) {
			free(s.bytes);
			return false;
		}
		if (len2 != s.len) {
			char what[96];

			free(s.bytes);
			free(s.bytes2);
			snprintf(what, sizeof(what), "a replacement of %u bytes (rewrites preserve length)", s.len);
			return error_at(p, t, "expected %s, got %u bytes", what, len2);
		}
	} else {
		return expected(p, "'fill' or 'replace'");
	}
	return add_stmt(b, &s);
}

/* Can packets with field == value satisfy the rule's predicates on field? */
static bool preds_allow(const struct rb *b, uint8_t field, uint32_t value)
{
	for (uint32_t i = 0; i < b->r.n_preds; i++) {
		const struct nfqr_pred *pr = &b->r.preds[i];
		bool in = false;

		if (pr->field != field || pr->mask != 0xffffffff)
			continue;
		for (uint32_t j = 0; j < pr->n_ranges && !in; j++)
			in = pr->ranges[j].lo.lo <= value && value <= pr->ranges[j].hi.lo;
		if (in == pr->negated)
			return false;
	}
	return true;
}

static bool has_pred_on(const struct rb *b, uint8_t f1, uint8_t f2, uint8_t f3, uint8_t f4)
{
	for (uint32_t i = 0; i < b->r.n_preds; i++) {
		uint8_t f = b->r.preds[i].field;

		if (f == f1 || f == f2 || f == f3 || f == f4)
			return true;
	}
	return false;
}

/* meta nfproto ipv4/ipv6, which nft adds for `reject with icmp/icmpv6` */
static bool add_nfproto_dep(struct rb *b, uint32_t nfproto)
{
	struct nfqr_pred *pr = add_pred(b, NFQR_F_NFPROTO, 0xffffffff, false);

	if (!pr || !(pr->ranges = malloc(sizeof(*pr->ranges))))
		return false;
	pr->n_ranges = 1;
	pr->ranges[0].lo = pr->ranges[0].hi = nfqr_key_u32(nfproto);
	return true;
}

/*
 * reject with tcp reset | icmpx [type] NAME | icmp [type] NAME | icmpv6 [type] NAME
 * As in nft, tcp reset implies `meta l4proto tcp` and icmp/icmpv6 their
 * family: the rule does not match other packets; a rule whose matches
 * exclude them is refused (nft: conflicting protocols).
 */
static bool parse_reject_with(struct parser *p, struct rb *b)
{
	static const char *const fam_word[] = {
		[NFQR_RJ_TCP] = "tcp", [NFQR_RJ_ICMPX] = "icmpx", [NFQR_RJ_ICMP] = "icmp",
		[NFQR_RJ_ICMPV6] = "icmpv6",
	};
	const struct token *fam_tok = cur(p), *t;
	enum nfqr_reject_family f;
	enum nfqr_reject k;
	char what[200];

	for (f = NFQR_RJ_TCP; f <= NFQR_RJ_ICMPV6 && !is(p, fam_word[f]); f++)
		;
	if (f > NFQR_RJ_ICMPV6)
		return expected(p, "'tcp reset', 'icmpx', 'icmp' or 'icmpv6'");
	p->pos++;
	if (f != NFQR_RJ_TCP)
		accept_word(p, "type");           /* nft before 1.0: icmp type NAME */
	t = cur(p);
	k = t->kind == TK_WORD ? nfqr_reject_lookup(f, t->text, t->len) : NFQR_REJECT_NONE;
	if (k == NFQR_REJECT_NONE) {
		if (f == NFQR_RJ_TCP)
			return expected(p, "'reset'");
		snprintf(what, sizeof(what), "an %s reject type (%s)", fam_word[f], nfqr_reject_names(f));
		return expected(p, what);
	}
	p->pos++;
	b->r.verdict.reject = (uint8_t)k;
	switch (f) {
	case NFQR_RJ_TCP:
		if (!preds_allow(b, NFQR_F_L4PROTO, 6) ||
		    has_pred_on(b, NFQR_F_ICMP_TYPE, NFQR_F_ICMP_CODE, NFQR_F_ICMP6_TYPE, NFQR_F_ICMP6_CODE))
			return error_at(p, fam_tok, "expected matches that let TCP packets through before "
					"'reject with tcp reset', got a rule for other protocols only "
					"(nft: conflicting protocols)");
		return add_proto_dep(b, 6);
	case NFQR_RJ_ICMP:
	case NFQR_RJ_ICMPV6: {
		bool v4 = f == NFQR_RJ_ICMP;

		if (!preds_allow(b, NFQR_F_NFPROTO, v4 ? 2 : 10) ||
		    (v4 ? has_pred_on(b, NFQR_F_IP6_SADDR, NFQR_F_IP6_DADDR, NFQR_F_ICMP6_TYPE, NFQR_F_ICMP6_CODE)
			: has_pred_on(b, NFQR_F_IP_SADDR, NFQR_F_IP_DADDR, NFQR_F_ICMP_TYPE, NFQR_F_ICMP_CODE)))
			return error_at(p, fam_tok, "expected matches that let %s packets through before "
					"'reject with %s', got a rule for %s packets only (use icmpx for "
					"both)", v4 ? "IPv4" : "IPv6", fam_word[f], v4 ? "IPv6" : "IPv4");
		return add_nfproto_dep(b, v4 ? 2 : 10);
	}
	default:
		return true;
	}
}

/* `content ... stream` joins TCP segments: it implies `meta l4proto tcp`,
 * as `reject with tcp reset` does; a rule for other protocols only is refused. */
static bool check_stream(struct parser *p, struct rb *b)
{
	if (!preds_allow(b, NFQR_F_L4PROTO, 6) ||
	    has_pred_on(b, NFQR_F_ICMP_TYPE, NFQR_F_ICMP_CODE, NFQR_F_ICMP6_TYPE, NFQR_F_ICMP6_CODE))
		return error_at(p, b->stream_tok, "expected matches that let TCP packets through "
				"with 'content ... stream' (it joins TCP segments), got a rule for "
				"other protocols only");
	return add_proto_dep(b, 6);
}

static bool parse_verdict(struct parser *p, struct rb *b)
{
	struct nfqr_verdict *v = &b->r.verdict;
	uint64_t q;

	b->verdict_tok = cur(p);
	if (accept_word(p, "accept")) {
		v->kind = NFQR_V_ACCEPT;
	} else if (accept_word(p, "drop")) {
		v->kind = NFQR_V_DROP;
	} else if (accept_word(p, "repeat")) {
		v->kind = NFQR_V_REPEAT;
	} else if (accept_word(p, "reject")) {
		v->kind = NFQR_V_REJECT;
		v->reject = NFQR_REJECT_ICMPX_PORT_UNREACHABLE;   /* nft's default */
		if (accept_word(p, "with") && !parse_reject_with(p, b))
			return false;
		p->rs->uses_reject = true;
		if (!p->first_reject_line)
			p->first_reject_line = b->verdict_tok->line;
	} else if (accept_word(p, "queue")) {
		const struct token *num;

		v->kind = NFQR_V_QUEUE;
		if (accept_word(p, "flags")) {       /* nft >= 1.0: queue flags bypass to N */
			if (!expect_word(p, "bypass"))
				return false;
			v->bypass = true;
		}
		if (!accept_word(p, "num") && !accept_word(p, "to"))
			return expected(p, "'num' or 'to'");
		num = cur(p);
		if (num->kind != TK_WORD || !nfqr_parse_uint(num->text, num->len, 65535, &q))
			return expected(p, "a queue number (0-65535)");
		p->pos++;
		v->queue = (uint16_t)q;
		if (accept_word(p, "bypass"))
			v->bypass = true;
		if (p->opts && p->opts->own_queues_known &&
		    (p->opts->own_queues[q / 64] >> (q % 64)) & 1)
			return error_at(p, num, "expected a queue nfqringd does not serve itself, "
					"got %llu (the packet would come back: a loop)",
					(unsigned long long)q);
	} else {
		return false;
	}
	return true;
}

static bool is_verdict_word(const struct parser *p)
{
	return is(p, "accept") || is(p, "drop") || is(p, "repeat") || is(p, "reject") ||
	       is(p, "queue");
}

static const char *proto_word(int proto)
{
	switch (proto) {
	case 6: return "tcp";
	case 17: return "udp";
	case 1: return "icmp";
	case 58: return "icmpv6";
	case 136: return "udplite";
	case 132: return "sctp";
	case 33: return "dccp";
	case 50: return "esp";
	case 51: return "ah";
	}
	return "unknown";     /* as nft says for a protocol it has no header for */
}

/* The header at token t is of network protocol fam (4, 6): nft's check
 * against what earlier matches said, then the context. */
static bool net_context(struct parser *p, struct rb *b, const struct token *t, uint8_t fam)
{
	if (b->net_ctx && b->net_ctx != fam)
		return error_at(p, t, "expected matches of one network protocol, got %s after %s "
				"(nft: conflicting protocols specified: %s vs. %s; write a rule for "
				"each)", fam == 4 ? "ip" : "ip6", b->net_ctx == 4 ? "ip" : "ip6",
				b->net_ctx == 4 ? "ip" : "ip6", fam == 4 ? "ip" : "ip6");
	b->net_ctx = fam;
	return true;
}

/* The same for a transport header of protocol proto at token t. */
static bool l4_context(struct parser *p, struct rb *b, const struct token *t, int proto)
{
	if (b->l4_ctx >= 0 && b->l4_ctx != proto) {
		const struct token *f = peek(p, 0), *v = peek(p, 1);
		char hint[96] = "write a rule for each";

		/* ports of both: one rule for both protocols */
		if ((proto == 6 || proto == 17) && (b->l4_ctx == 6 || b->l4_ctx == 17) &&
		    (nfqr_tok_is(f, "sport") || nfqr_tok_is(f, "dport")) && v->kind == TK_WORD)
			snprintf(hint, sizeof(hint), "to match both: meta l4proto { %s, %s } th %.*s %.*s",
				 proto_word(b->l4_ctx), proto_word(proto), (int)f->len, f->text,
				 (int)v->len, v->text);
		return error_at(p, t, "expected matches of one transport protocol, got %s after %s "
				"(nft: conflicting protocols specified: %s vs. %s; %s)",
				proto_word(proto), proto_word(b->l4_ctx), proto_word(b->l4_ctx),
				proto_word(proto), hint);
	}
	b->l4_ctx = (int16_t)proto;
	return true;
}

/* After `meta l4proto X` / `meta nfproto X`: one value compared with == sets
 * nft's context (a set of one element too), anything else leaves it. */
static void meta_context(struct rb *b, uint8_t field)
{
	const struct nfqr_pred *pr = &b->r.preds[b->r.n_preds - 1];
	uint32_t v;

	if (pr->negated || pr->n_ranges != 1 || pr->mask != 0xffffffff ||
	    nfqr_key_cmp(pr->ranges[0].lo, pr->ranges[0].hi))
		return;
	v = (uint32_t)pr->ranges[0].lo.lo;
	if (field == NFQR_F_L4PROTO && b->l4_ctx < 0)
		b->l4_ctx = (int16_t)v;
	else if (field == NFQR_F_NFPROTO && !b->net_ctx)
		b->net_ctx = v == 2 ? 4 : 6;
}

/* matches; returns false with an error, or true with *matched unchanged if
 * the current token starts no match */
static bool parse_match(struct parser *p, struct rb *b, bool *matched)
{
	const struct token *t = cur(p);
	uint32_t mask;

	*matched = true;
	if (accept_word(p, "ip") || accept_word(p, "ip6")) {
		bool v6 = nfqr_tok_is(t, "ip6");

		if (!net_context(p, b, t, v6 ? 6 : 4))
			return false;

		if (accept_word(p, "saddr"))
			return parse_rhs(p, b, v6 ? NFQR_F_IP6_SADDR : NFQR_F_IP_SADDR, v6 ? VT_IPV6 : VT_IPV4, 0xffffffff);
		if (accept_word(p, "daddr"))
			return parse_rhs(p, b, v6 ? NFQR_F_IP6_DADDR : NFQR_F_IP_DADDR, v6 ? VT_IPV6 : VT_IPV4, 0xffffffff);
		return expected_hint(p, cur(p), "'saddr' or 'daddr'",
				     is(p, "protocol") || is(p, "nexthdr")
				     ? "for the protocol: meta l4proto tcp, after IPv6 extension "
				       "headers too; with meta nfproto ipv4 for IPv4 alone" : NULL);
	}
	if (accept_word(p, "th") || accept_word(p, "tcp") || accept_word(p, "udp")) {
		uint8_t proto = nfqr_tok_is(t, "tcp") ? 6 : nfqr_tok_is(t, "udp") ? 17 : 0;

		if (proto && !l4_context(p, b, t, proto))
			return false;
		if (proto == 6 && accept_word(p, "flags"))
			return add_proto_dep(b, 6) && parse_tcp_flags(p, b);
		if (proto && !add_proto_dep(b, proto))
			return false;
		if (accept_word(p, "sport"))
			return parse_rhs(p, b, NFQR_F_SPORT, VT_PORT, 0xffffffff);
		if (accept_word(p, "dport"))
			return parse_rhs(p, b, NFQR_F_DPORT, VT_PORT, 0xffffffff);
		return expected(p, proto == 6 ? "'sport', 'dport' or 'flags'" : "'sport' or 'dport'");
	}
	if (accept_word(p, "icmp") || accept_word(p, "icmpv6")) {
		bool v6 = nfqr_tok_is(t, "icmpv6");

		if (!l4_context(p, b, t, v6 ? 58 : 1))
			return false;

		if (accept_word(p, "type"))
			return parse_rhs(p, b, v6 ? NFQR_F_ICMP6_TYPE : NFQR_F_ICMP_TYPE, v6 ? VT_ICMP6 : VT_ICMP, 0xffffffff);
		if (accept_word(p, "code"))
			return parse_rhs(p, b, v6 ? NFQR_F_ICMP6_CODE : NFQR_F_ICMP_CODE, VT_U8, 0xffffffff);
		return expected(p, "'type' or 'code'");
	}
	if (is(p, "meta") || is(p, "mark") || is(p, "iifname") || is(p, "oifname") ||
	    is(p, "skuid") || is(p, "skgid")) {
		bool meta = accept_word(p, "meta");

		if (is(p, "mark") && nfqr_tok_is(peek(p, 1), "set")) {
			*matched = false;
			p->pos -= meta;
			return true;
		}
		if (accept_word(p, "mark")) {
			if (!parse_mask(p, &mask, 32))
				return false;
			p->rs->uses_mark_match = true;
			return parse_rhs(p, b, NFQR_F_MARK, VT_MARK, mask);
		}
		if (is(p, "skuid") || is(p, "skgid")) {   /* NFQA_UID/GID: F_UID_GID */
			bool uid = accept_word(p, "skuid");

			p->pos += !uid;
			p->rs->uses_uid_gid = true;
			return parse_rhs(p, b, uid ? NFQR_F_SKUID : NFQR_F_SKGID, uid ? VT_UID : VT_GID,
					 0xffffffff);
		}
		if (accept_word(p, "iifname"))
			return parse_rhs(p, b, NFQR_F_IIFNAME, VT_IFNAME, 0xffffffff);
		if (accept_word(p, "oifname"))
			return parse_rhs(p, b, NFQR_F_OIFNAME, VT_IFNAME, 0xffffffff);
		if (meta && (is(p, "l4proto") || is(p, "nfproto"))) {
			uint8_t f = is(p, "l4proto") ? NFQR_F_L4PROTO : NFQR_F_NFPROTO;

			p->pos++;
			if (!parse_rhs(p, b, f, f == NFQR_F_L4PROTO ? VT_PROTO : VT_NFPROTO, 0xffffffff))
				return false;
			meta_context(b, f);
			return true;
		}
		if (meta && accept_word(p, "length"))
			return parse_rhs(p, b, NFQR_F_LENGTH, VT_LEN, 0xffffffff);
		return expected(p, "'mark', 'l4proto', 'nfproto', 'length', 'iifname', 'oifname', "
				"'skuid' or 'skgid'");
	}
	if (is(p, "ct")) {
		const struct token *key = peek(p, 1);

		if (nfqr_tok_is(key, "state") || nfqr_tok_is(key, "direction")) {
			p->pos += 2;
			p->rs->uses_ct = true;          /* F_CONNTRACK: NFQA_CT, NFQA_CT_INFO */
			if (nfqr_tok_is(key, "state"))
				return parse_ct_state(p, b);
			return parse_rhs(p, b, NFQR_F_CT_DIRECTION, VT_CTDIR, 0xffffffff);
		}
		if (!nfqr_tok_is(key, "mark")) {
			p->pos++;
			return expected(p, "'state', 'direction' or 'mark'");
		}
		if (nfqr_tok_is(peek(p, 2), "set")) {
			*matched = false;
			return true;
		}
		p->pos += 2;
		if (!parse_mask(p, &mask, 32))
			return false;
		p->rs->uses_ct = p->rs->uses_ct_match = true;
		return parse_rhs(p, b, NFQR_F_CT_MARK, VT_MARK, mask);
	}
	if (t->kind == TK_SETREF && t->len == 8 && memcmp(t->text, "@payload", 8) == 0) {
		p->pos++;
		return parse_content(p, b);
	}
	if (t->kind == TK_SETREF && t->len == 3 &&
	    (memcmp(t->text, "@th", 3) == 0 || memcmp(t->text, "@nh", 3) == 0)) {
		p->pos++;
		return parse_raw(p, b, t->text[1] == 't' ? NFQR_F_RAW_TH : NFQR_F_RAW_NH);
	}
	if (t->kind == TK_SETREF && t->len == 3 && memcmp(t->text, "@ll", 3) == 0)
		return error_at(p, t, "expected '@nh' or '@th', got '@ll' (NFQUEUE gives the packet "
				"from the network header on)");
	*matched = false;
	return true;
}

static bool parse_statement(struct parser *p, struct rb *b, bool *found)
{
	const struct token *start = cur(p);

	*found = true;
	if (accept_word(p, "counter")) {
		struct nfqr_stmt s = { .kind = NFQR_S_COUNTER };
		uint64_t v;

		/* `nft list` prints "counter packets N bytes N": accept and ignore */
		while (is(p, "packets") || is(p, "bytes")) {
			p->pos++;
			if (cur(p)->kind != TK_WORD || !nfqr_parse_uint(cur(p)->text, cur(p)->len, UINT64_MAX, &v))
				return expected(p, "a number");
			p->pos++;
		}
		return add_stmt(b, &s);
	}
	if (accept_word(p, "log"))
		return parse_log(p, b);
	if (is(p, "meta") && nfqr_tok_is(peek(p, 1), "mark") && nfqr_tok_is(peek(p, 2), "set")) {
		p->pos += 2;
		return parse_mark_set(p, b, NFQR_S_META_MARK_SET, start);
	}
	if (is(p, "mark") && nfqr_tok_is(peek(p, 1), "set")) {
		p->pos++;
		return parse_mark_set(p, b, NFQR_S_META_MARK_SET, start);
	}
	if (is(p, "ct") && nfqr_tok_is(peek(p, 1), "mark") && nfqr_tok_is(peek(p, 2), "set")) {
		p->pos += 2;
		return parse_mark_set(p, b, NFQR_S_CT_MARK_SET, start);
	}
	if (accept_word(p, "payload"))
		return parse_payload_stmt(p, b);
	*found = false;
	return true;
}

/* Where an nft keyword nfqringd does not have sends the reader instead. */
static const char *nft_only_hint(const struct token *t)
{
	if (nfqr_tok_is(t, "limit") || nfqr_tok_is(t, "meter") || nfqr_tok_is(t, "quota"))
		return "rate limits, meters and quotas belong in the nft chain, before its queue rule";
	if (nfqr_tok_is(t, "include"))
		return "nfqringd reads one file: put the rules in it, e.g. cat a.nft b.nft > rules.nft";
	if (nfqr_tok_is(t, "table") || nfqr_tok_is(t, "chain") || nfqr_tok_is(t, "flush"))
		return "the file is one chain: give the rules of the chain alone, without table "
		       "and chain";
	if (nfqr_tok_is(t, "jump") || nfqr_tok_is(t, "goto") || nfqr_tok_is(t, "return"))
		return "the file is one chain, with no jumps: write the rules in order";
	return NULL;
}

/* Loop checks, once the whole rule is known. */
static bool check_rule(struct parser *p, struct rb *b)
{
	if (b->r.verdict.kind != NFQR_V_REPEAT)
		return true;
	/* a change the rules cannot make if they reject: see check_field_uses() */
	if (b->mark_change && !b->ct_change && !(b->meta_change & ~p->reject_field) &&
	    !add_field_use(p, b->verdict_tok, (struct field_use){ .repeat = true }))
		return false;
	if (!b->mark_change)
		return error_at(p, b->verdict_tok,
				"expected 'meta mark set' or 'ct mark set' changing the mark in a rule "
				"ending in 'repeat' (the nft chain must be able to tell the packet was "
				"seen), got 'repeat' without one");
	if (b->const_meta_set)
		for (uint32_t i = 0; i < b->r.n_preds; i++) {
			const struct nfqr_pred *pr = &b->r.preds[i];

			if (pr->field == NFQR_F_MARK && !pr->negated && pr->mask == 0xffffffff &&
			    pr->n_ranges == 1 && pr->ranges[0].lo.lo == b->const_meta_val &&
			    pr->ranges[0].hi.lo == b->const_meta_val)
				return error_at(p, b->verdict_tok,
						"expected a mark change before 'repeat', got 'meta mark set 0x%x' "
						"on packets whose mark already is 0x%x (a loop)",
						b->const_meta_val, b->const_meta_val);
		}
	return true;
}

/* `detect` must have something to leave undone: a verdict other than accept,
 * a mark change or a payload rewrite; else it would detect nothing. */
static bool check_detect(struct parser *p, struct rb *b)
{
	uint8_t k = b->r.verdict.kind;

	if (k == NFQR_V_DROP || k == NFQR_V_REPEAT || k == NFQR_V_QUEUE || k == NFQR_V_REJECT)
		return true;
	for (uint32_t i = 0; i < b->r.n_stmts; i++)
		switch (b->r.stmts[i].kind) {
		case NFQR_S_META_MARK_SET:
		case NFQR_S_CT_MARK_SET:
		case NFQR_S_PAYLOAD_FILL:
		case NFQR_S_PAYLOAD_REPLACE:
			return true;
		}
	return error_at(p, b->detect_tok, "expected a verdict other than accept (drop, reject, "
			"repeat, queue) or a 'meta mark set', 'ct mark set' or 'payload' statement "
			"after 'detect', got %s (the rule would detect nothing)",
			k == NFQR_V_ACCEPT ? "only 'accept'" : "none");
}

/*
 * A file that rejects reserves the reject mark field: its rules must not set
 * bits there (the nft chain would reject the packet on a repeat, or at the
 * next hook of the chain), and a `repeat` must change a mark outside it (the
 * field is clear on every packet the rules see: a change only there
 * changes nothing, and the packet comes back for ever).
 */
static void check_field_uses(struct parser *p)
{
	uint32_t f = p->reject_field;

	if (!p->rs->uses_reject)
		return;
	for (size_t i = 0; i < p->n_field_uses; i++) {
		const struct field_use *u = &p->field_uses[i];
		struct token at = { .line = u->line, .col = u->col };

		if (u->repeat)
			error_at(p, &at, "expected a mark change outside the reject mark field 0x%08x "
				 "before 'repeat' (the rules reject, line %u: the field is clear on "
				 "every packet they see), got one only inside it (a loop)", f,
				 p->first_reject_line);
		else if (u->from_ct)
			error_at(p, &at, "expected a 'meta mark set' that leaves the reject mark field "
				 "0x%08x alone (the rules reject, line %u), got one that copies the "
				 "connection mark's bits 0x%08x into it (clear them: 'meta mark set ct "
				 "mark & 0x%08x'; or move the field with --reject-mark)", f,
				 p->first_reject_line, u->bits, ~f);
		else
			error_at(p, &at, "expected a 'meta mark set' that leaves the reject mark field "
				 "0x%08x alone (the rules reject, line %u), got one that sets its bits "
				 "0x%08x (use other bits, or move the field with --reject-mark)", f,
				 p->first_reject_line, u->bits);
	}
}

static uint64_t id_hash_at(const void *ctx, uint32_t e)
{
	const char *id = ((const struct parser *)ctx)->rs->rules[e].id;

	return fnv1a(1469598103934665603ULL, id, strlen(id));
}

/* Some rule so far has this id (p->id_idx: every rule's). */
static bool rule_id_taken(struct parser *p, const char *id)
{
	uint64_t h = fnv1a(1469598103934665603ULL, id, strlen(id));
	uint32_t k = UINT32_MAX, e;

	if (!p->id_idx.cap)
		return false;
	while ((e = index_next(&p->id_idx, h, &k)) != UINT32_MAX)
		if (!strcmp(p->rs->rules[e].id, id))
			return true;
	return false;
}

static bool rule_id_add(struct parser *p, uint32_t rule)
{
	const char *id = p->rs->rules[rule].id;
	uint64_t h = fnv1a(1469598103934665603ULL, id, strlen(id));
	uint32_t k = UINT32_MAX;

	if (!index_grow(&p->id_idx, id_hash_at, p))
		return false;
	while (index_next(&p->id_idx, h, &k) != UINT32_MAX)
		;
	p->id_idx.slot[k] = rule + 1;
	p->id_idx.n++;
	return true;
}

static uint64_t comment_hash_at(const void *ctx, uint32_t e)
{
	const char *c = ((const struct parser *)ctx)->comments[e];

	return fnv1a(1469598103934665603ULL, c, strlen(c));
}

static bool parse_rule(struct parser *p)
{
	struct rb b;
	size_t first = p->pos, i;
	uint32_t comment_slot = 0;
	bool ok = true, found;
	uint64_t h = 1469598103934665603ULL;
	char idbuf[32];

	memset(&b, 0, sizeof(b));
	b.l4_ctx = -1;
	b.r.line = cur(p)->line;
	while (ok && !is_end(cur(p))) {
		const struct token *t = cur(p);

		if (nfqr_tok_is(t, "comment"))
			break;
		if (nfqr_tok_is(t, "detect")) {
			/* after the matches, before what it neutralizes */
			if (b.detect_tok)
				ok = expected(p, "a statement or verdict after 'detect'");
			else if (b.r.n_stmts)
				ok = error_at(p, t, "expected 'detect' before the rule's statements (it "
					      "applies to the whole rule), got 'detect' after a statement");
			b.detect_tok = t;
			b.r.detect = true;
			b.stmt_seen = true;
			p->pos++;
			continue;
		}
		if (is_verdict_word(p)) {
			ok = parse_verdict(p, &b);
			break;
		}
		ok = parse_statement(p, &b, &found);
		if (!ok || found) {
			b.stmt_seen = true;
			continue;
		}
		ok = parse_match(p, &b, &found);
		if (ok && found && b.stmt_seen)
			ok = error_at(p, t, "expected a statement or verdict here (matches come before "
				      "statements in nfqringd rules), got '%.*s'", (int)t->len, t->text);
		if (ok && !found)
			ok = expected_hint(p, t, "a match, statement or verdict", nft_only_hint(t));
	}
	if (ok && accept_word(p, "comment")) {
		const struct token *t = cur(p);

		uint32_t n = 0;
		uint8_t *c = t->kind == TK_STRING ? tok_bytes(t, &n) : NULL;

		if (t->kind == TK_STRING && !c) {
			ok = false;
		} else if (!c || n == 0 || memchr(c, 0, n)) {
			free(c);
			ok = expected(p, "a comment string");
		} else {
			b.comment = (char *)c;
			b.comment_tok = t;
			p->pos++;
		}
	}
	if (ok && !is_end(cur(p)))
		ok = expected(p, b.r.verdict.kind ? "end of rule after the verdict" : "end of rule");
	if (ok && b.r.n_preds == 0 && b.r.n_stmts == 0 && b.r.n_content == 0 && !b.r.verdict.kind)
		ok = expected_at(p, &p->t.v[first], "a match, statement or verdict");
	if (ok && b.stream_tok)
		ok = check_stream(p, &b);
	if (ok)
		ok = check_rule(p, &b);
	if (ok && b.r.detect)
		ok = check_detect(p, &b);
	if (ok && b.comment) {
		uint64_t h = fnv1a(1469598103934665603ULL, b.comment, strlen(b.comment));
		uint32_t k = UINT32_MAX, e;

		ok = index_grow(&p->comment_idx, comment_hash_at, p);
		while (ok && (e = index_next(&p->comment_idx, h, &k)) != UINT32_MAX)
			if (strcmp(p->comments[e], b.comment) == 0) {
				ok = error_at(p, b.comment_tok, "expected a unique rule comment (it is the "
					      "rule's id), got \"%s\" again (first on line %u)",
					      b.comment, p->comment_lines[e]);
				break;
			}
		comment_slot = k;
	}
	if (!ok) {
		free(b.comment);
		nfqr_rule_free(&b.r);
		return false;
	}
	/* stable id: the comment, or a hash of the rule's text (without
	 * `detect`: counters survive turning it on or off) */
	for (i = first; i < p->pos; i++) {
		const struct token *t = &p->t.v[i];

		if (nfqr_tok_is(t, "comment"))
			break;
		if (t == b.detect_tok)
			continue;
		h = fnv1a(h, t->text, t->len);
		h = fnv1a(h, " ", 1);
	}
	snprintf(idbuf, sizeof(idbuf), "r-%016llx", (unsigned long long)h);
	/* a rule repeated without a comment: the id and its number (r-...-2,
	 * -3), so that each keeps counters of its own */
	for (unsigned k = 2; !b.comment && rule_id_taken(p, idbuf); k++)
		snprintf(idbuf, sizeof(idbuf), "r-%016llx-%u", (unsigned long long)h, k);
	b.r.id = b.comment ? b.comment : strdup(idbuf);
	{
		size_t cap = p->cap_rules, capc = p->cap_rules;

		if (!b.r.id || !grow((void **)&p->rs->rules, &cap, p->rs->n_rules, sizeof(b.r)) ||
		    !grow((void **)&p->comments, &capc, p->rs->n_rules, sizeof(char *)) ||
		    !(p->comment_lines = realloc(p->comment_lines, capc * sizeof(uint32_t)))) {
			nfqr_rule_free(&b.r);
			return error_at(p, cur(p), "expected memory, got none");
		}
		p->cap_rules = cap;
	}
	p->comments[p->rs->n_rules] = b.comment;
	p->comment_lines[p->rs->n_rules] = b.r.line;
	if (b.comment) {
		p->comment_idx.slot[comment_slot] = p->rs->n_rules + 1;
		p->comment_idx.n++;
	}
	p->rs->rules[p->rs->n_rules++] = b.r;
	if (!rule_id_add(p, p->rs->n_rules - 1))
		return error_at(p, cur(p), "expected memory, got none");
	return true;
}

/* ---- top level ---------------------------------------------------------- */

static bool parse_define(struct parser *p)
{
	const struct token *name = cur(p);
	size_t cap = p->n_defs, i;

	if (name->kind != TK_WORD)
		return expected(p, "a variable name");
	for (i = 0; i < p->n_defs; i++)
		if (strlen(p->defs[i].name) == name->len && memcmp(p->defs[i].name, name->text, name->len) == 0)
			return error_at(p, name, "expected a new variable name, got '%.*s' (defined on line %u)",
					(int)name->len, name->text, p->defs[i].line);
	p->pos++;
	if (cur(p)->kind != TK_ASSIGN)
		return expected(p, "'='");
	p->pos++;
	if (is_end(cur(p)))
		return expected(p, "a value or { set }");
	if (!grow((void **)&p->defs, &cap, p->n_defs, sizeof(*p->defs)))
		return false;
	p->defs[p->n_defs] = (struct define){ tok_strdup(name, 0), p->pos, 0, name->line };
	while (!is_end(cur(p)))
		p->pos++;
	p->defs[p->n_defs++].end = p->pos;
	return true;
}

static bool parse_set_type(struct parser *p, enum vtype *vt)
{
	static const enum vtype allowed[] = { VT_IPV4, VT_IPV6, VT_PORT, VT_PROTO, VT_ICMP,
					      VT_ICMP6, VT_MARK, VT_IFNAME, VT_CTSTATE, VT_CTDIR,
					      VT_UID, VT_GID };

	for (size_t i = 0; i < sizeof(allowed) / sizeof(allowed[0]); i++)
		if (is(p, vt_name[allowed[i]])) {
			*vt = allowed[i];
			p->pos++;
			return true;
		}
	return expected(p, "a set type (ipv4_addr, ipv6_addr, inet_service, inet_proto, "
			"icmp_type, icmpv6_type, mark, ifname, ct_state, ct_dir, uid, gid)");
}

/* A set with `flags timeout` or `flags dynamic`, or a `timeout`, is live. */
static bool set_is_live(const struct parser *p, bool *timeouts)
{
	unsigned depth = 0;

	*timeouts = false;
	for (size_t i = p->pos; i < p->end; i++) {
		const struct token *t = &p->t.v[i];

		if (t->kind == TK_LBRACE)
			depth++;
		else if (t->kind == TK_RBRACE && depth-- <= 1)
			break;
		else if (depth == 1 && nfqr_tok_is(t, "timeout"))
			*timeouts = true;
		else if (depth == 1 && nfqr_tok_is(t, "dynamic"))
			return true;
	}
	return *timeouts;
}

static bool add_ldecl(struct parser *p, struct named_set *s, const struct token *name,
		      bool interval, bool timeouts, uint64_t timeout, struct nfqr_lelem *el,
		      uint32_t n)
{
	struct nfqr_ruleset *rs = p->rs;
	struct nfqr_lset_decl *d;

	if (!grow((void **)&rs->ldecl, &p->cap_ldecl, rs->n_lsets, sizeof(*d)))
		return false;
	d = &rs->ldecl[rs->n_lsets];
	*d = (struct nfqr_lset_decl){
		.name = tok_strdup(name, 0), .vtype = (uint8_t)s->type, .interval = interval,
		.fmt = vt_fmt(s->type), .type_name = vt_name[s->type], .timeout_ns = timeout,
		.timeout_ok = timeouts, .el = el, .n = n,
	};
	if (!d->name)
		return false;
	s->live = true;
	s->live_idx = rs->n_lsets++;
	return true;
}

/* set NAME { type T; [flags interval, timeout, dynamic;] [timeout T;] [elements = { ... }] } */
static bool parse_set_decl(struct parser *p)
{
	const struct token *name = cur(p), *type_tok = NULL;
	struct named_set s = { 0 };
	struct vlist vl = { 0 };
	bool have_type = false, interval = false, timeouts, live;
	size_t cap = p->n_sets, lcap = 0;
	struct nfqr_lelem *lel = NULL;
	uint32_t nlel = 0;
	uint64_t timeout = 0;

	if (name->kind != TK_WORD)
		return expected(p, "a set name");
	for (size_t i = 0; i < p->n_sets; i++)
		if (strlen(p->sets[i].name) == name->len && memcmp(p->sets[i].name, name->text, name->len) == 0)
			return error_at(p, name, "expected a new set name, got '%.*s' (already declared)",
					(int)name->len, name->text);
	p->pos++;
	if (cur(p)->kind != TK_LBRACE)
		return expected(p, "'{'");
	live = set_is_live(p, &timeouts);
	p->pos++;
	for (;;) {
		while (cur(p)->kind == TK_NL && cur(p)->text[0] == ';')
			p->pos++;
		if (cur(p)->kind == TK_RBRACE)
			break;
		if (accept_word(p, "type")) {
			type_tok = cur(p);
			if (!parse_set_type(p, &s.type))
				goto fail;
			have_type = true;
		} else if (accept_word(p, "flags")) {
			do {
				if (accept_word(p, "interval"))
					interval = true;
				else if (!accept_word(p, "constant") && !accept_word(p, "timeout") &&
					 !accept_word(p, "dynamic")) {
					expected(p, "'interval', 'timeout', 'dynamic' or 'constant'");
					goto fail;
				}
			} while (cur(p)->kind == TK_COMMA && (p->pos++, 1));
		} else if (accept_word(p, "timeout")) {
			if (!parse_timeout(p, &timeout))
				goto fail;
		} else if (accept_word(p, "elements")) {
			if (!have_type) {
				expected_at(p, &p->t.v[p->pos - 1], "'type' before 'elements'");
				goto fail;
			}
			if (cur(p)->kind != TK_ASSIGN) {
				expected(p, "'='");
				goto fail;
			}
			p->pos++;
			if (cur(p)->kind != TK_LBRACE) {
				expected(p, "'{'");
				goto fail;
			}
			if (live ? !parse_lelem_braces(p, s.type, interval, timeouts, &lel, &nlel, &lcap)
				 : !parse_values(p, s.type, &vl))
				goto fail;
		} else {
			expected_hint(p, cur(p), "'type', 'flags', 'timeout', 'elements' or '}'",
				      is(p, "size") || is(p, "policy") || is(p, "counter") ||
				      is(p, "auto-merge") || is(p, "comment") || is(p, "gc-interval")
				      ? "nfqringd's sets hold what the file and --load-set give them: "
					"no size, policy, counter or auto-merge" : NULL);
			goto fail;
		}
	}
	if (!have_type) {
		expected(p, "'type' in the set declaration");
		goto fail;
	}
	if (live && !vt_live_ok(s.type)) {
		error_at(p, type_tok, "expected a type a live set can hold (not ifname, ct_state "
			 "or ct_dir: those are compiled in), got %s", vt_name[s.type]);
		goto fail;
	}
	if (vl.interval_tok && !interval) {
		interval_error(p, vl.interval_tok);
		goto fail;
	}
	p->pos++;
	if (!grow((void **)&p->sets, &cap, p->n_sets, sizeof(s)))
		goto fail;
	if (live && !add_ldecl(p, &s, name, interval, timeouts, timeout, lel, nlel))
		goto fail;
	lel = NULL;
	s.name = tok_strdup(name, 0);
	s.r = vl.r;
	s.n = vl.n;
	s.names = vl.names;
	s.nn = vl.nn;
	p->sets[p->n_sets++] = s;
	return true;
fail:
	free(lel);
	vl_free(&vl);
	/* one error per declaration: skip to its closing brace, and remember
	 * the name, so that neither the rest nor the rules using it say more */
	for (unsigned depth = 1; cur(p)->kind != TK_EOF && depth;) {
		depth += cur(p)->kind == TK_LBRACE;
		depth -= cur(p)->kind == TK_RBRACE;
		p->pos++;
	}
	if (grow((void **)&p->sets, &cap, p->n_sets, sizeof(s))) {
		s = (struct named_set){ .name = tok_strdup(name, 0), .type = s.type, .broken = true };
		if (s.name)
			p->sets[p->n_sets++] = s;
	}
	return false;
}

static bool parse_policy(struct parser *p)
{
	const struct token *kw = &p->t.v[p->pos - 1];
	struct nfqr_verdict *v = &p->rs->policy;
	int which = 0;

	if (accept_word(p, "fragment")) {
		v = &p->rs->policy_fragment;
		which = 1;
	} else if (accept_word(p, "malformed")) {
		v = &p->rs->policy_malformed;
		which = 2;
	} else if (accept_word(p, "truncated")) {
		v = &p->rs->policy_truncated;
		which = 3;
	}
	if (accept_word(p, "accept"))
		v->kind = NFQR_V_ACCEPT;
	else if (accept_word(p, "drop"))
		v->kind = NFQR_V_DROP;
	else
		return expected(p, which ? "'accept' or 'drop'"
				  : "'accept', 'drop', 'fragment', 'malformed' or 'truncated'");
	if (p->seen_policy[which])
		return error_at(p, kw, "expected one 'policy%s' line, got a second one",
				which == 1 ? " fragment" : which == 2 ? " malformed" :
				which == 3 ? " truncated" : "");
	p->seen_policy[which] = true;
	return true;
}

static void sync_line(struct parser *p)
{
	while (!is_end(cur(p)))
		p->pos++;
}

/* The ruleset keeps a named set's elements that rules match in place. */
static bool keep_set_ranges(struct nfqr_ruleset *rs, struct nfqr_range *r)
{
	struct nfqr_range **n = realloc(rs->set_ranges, (rs->n_set_ranges + 1) * sizeof(*n));

	if (!n) {
		free(r);
		return false;
	}
	rs->set_ranges = n;
	n[rs->n_set_ranges++] = r;
	return true;
}

unsigned nfqr_parse_rules(const char *file, const char *src, size_t len,
			  const struct nfqr_load_opts *opts, struct nfqr_ruleset *rs,
			  struct nfqr_diag *diag)
{
	struct parser p = { 0 };
	size_t i;

	p.file = file;
	p.diag = diag;
	p.opts = opts;
	p.rs = rs;
	p.max_errors = opts && opts->max_errors ? opts->max_errors : 20;
	p.reject_field = opts && opts->reject_mark ? opts->reject_mark : NFQR_REJECT_MARK_DEFAULT;
	rs->reject_mark = p.reject_field;
	if (!nfqr_reject_mark_valid(p.reject_field)) {
		nfqr_diag_add(diag, file, 0, 0, "expected a reject mark field of %d or more contiguous "
			      "bits (--reject-mark), got 0x%08x", 32 - __builtin_clz(NFQR_REJECT_COUNT - 1),
			      p.reject_field);
		return 1;
	}
	rs->policy.kind = NFQR_V_ACCEPT;          /* nft's default chain policy */
	rs->policy_malformed.kind = NFQR_V_DROP;
	rs->policy_truncated.kind = NFQR_V_DROP;  /* fail closed: see nfqr_ruleset_copy_range */
	if (nfqr_lex(file, src, len, &p.t, diag)) {
		nfqr_tokens_free(&p.t);
		return 1;
	}
	p.end = p.t.n - 1;
	while (cur(&p)->kind != TK_EOF && p.errors <= p.max_errors) {
		bool ok = true;

		if (cur(&p)->kind == TK_NL) {
			p.pos++;
			continue;
		}
		if (accept_word(&p, "define"))
			ok = parse_define(&p);
		else if (is(&p, "set") && peek(&p, 1)->kind == TK_WORD && peek(&p, 2)->kind == TK_LBRACE)
			ok = (p.pos++, parse_set_decl(&p));
		else if (accept_word(&p, "policy"))
			ok = parse_policy(&p);
		else
			ok = parse_rule(&p);
		if (ok && !is_end(cur(&p)))
			ok = expected(&p, "end of line");
		if (!ok)
			sync_line(&p);
	}
	/* the fragment policy defaults to the main policy */
	if (!p.seen_policy[1])
		rs->policy_fragment = rs->policy;
	check_field_uses(&p);
	free(p.field_uses);
	for (i = 0; i < p.n_defs; i++)
		free(p.defs[i].name);
	free(p.defs);
	for (i = 0; i < p.n_sets; i++) {
		free(p.sets[i].name);
		if (p.sets[i].lent && !keep_set_ranges(rs, p.sets[i].r))
			p.errors++;          /* out of memory: the rules cannot keep them */
		else if (!p.sets[i].lent)
			free(p.sets[i].r);
		for (uint32_t j = 0; j < p.sets[i].nn; j++)
			free(p.sets[i].names[j]);
		free(p.sets[i].names);
	}
	free(p.sets);
	free(p.comments);
	free(p.comment_lines);
	free(p.comment_idx.slot);
	free(p.pattern_idx.slot);
	free(p.id_idx.slot);
	nfqr_tokens_free(&p.t);
	return p.errors;
}
