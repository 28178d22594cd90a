/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libFuzzer target: libnfqring's message reader (lib/packet.c: a PACKET
 * message into struct nfqring_packet; lib/messages.c: a verdict read back
 * from an error report), on arbitrary bytes, with oracles:
 *
 *   - every pointer handed out lies within the message, and within its
 *     nlmsg_len, which lies within the bytes given;
 *   - the result depends only on those nlmsg_len bytes: the same message
 *     in a block of exactly that size, or followed by other bytes, parses
 *     the same (nothing past it is read);
 *   - the message walk (msg_len_in, msg_attrs) never steps backwards or
 *     past the end, whatever the lengths say;
 *   - the one-pass parser gives what the first parser (fuzz/packet_ref.c:
 *     a table of attributes, then type by type) gives, field for field,
 *     malformed or not.
 *
 * Each input is copied to a heap block of exactly its size, so the
 * sanitizer sees a read past the end.
 */
#include <libmnl/libmnl.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "packet_ref.h"

static bool within(const void *p, size_t n, const unsigned char *base, size_t len)
{
	const unsigned char *c = p;

	return !p ? n == 0 : c >= base && n <= len && (size_t)(c - base) <= len - n;
}

/* The parse, with pointers made relative to the message start. */
struct parsed {
	int r;
	struct nfqring_packet p;
	ptrdiff_t payload, ct, exp, secctx, l2hdr;
};

static void parse_with(int (*fn)(const void *, size_t, struct nfqring_packet *),
		       const unsigned char *m, size_t len, struct parsed *o)
{
	/* a used packet, as a loop hands in: all of it must be set anew but
	 * the frame index, which must be kept */
	memset(o, 0, sizeof(*o));
	memset(&o->p, 0xa5, sizeof(o->p));
	o->p.frame_ = 7;
	o->r = fn(m, len, &o->p);
	if (o->p.frame_ != 7)
		abort();
	if (o->r < 0)
		return;
	if (!within(o->p.payload, o->p.payload_len, m, len) ||
	    !within(o->p.ct, o->p.ct_len, m, len) || !within(o->p.exp, o->p.exp_len, m, len) ||
	    !within(o->p.secctx, o->p.secctx_len, m, len) ||
	    !within(o->p.l2hdr, o->p.l2hdr_len, m, len))
		abort();
	o->payload = o->p.payload ? (const unsigned char *)o->p.payload - m : -1;
	o->ct = o->p.ct ? (const unsigned char *)o->p.ct - m : -1;
	o->exp = o->p.exp ? (const unsigned char *)o->p.exp - m : -1;
	o->secctx = o->p.secctx ? (const unsigned char *)o->p.secctx - m : -1;
	o->l2hdr = o->p.l2hdr ? o->p.l2hdr - m : -1;
	o->p.payload = NULL;
	o->p.ct = o->p.exp = NULL;
	o->p.secctx = NULL;
	o->p.l2hdr = NULL;
}

static void parse(const unsigned char *m, size_t len, struct parsed *o)
{
	parse_with(packet_parse, m, len, o);
}

static bool same(const struct parsed *a, const struct parsed *b)
{
	return a->r == b->r && !memcmp(&a->p, &b->p, sizeof(a->p)) && a->payload == b->payload &&
	       a->ct == b->ct && a->exp == b->exp && a->secctx == b->secctx && a->l2hdr == b->l2hdr;
}

struct walk {
	size_t last, mlen;
	unsigned n;
};

static int walk_cb(const struct nlattr *a, uint16_t type, uint16_t plen, void *data)
{
	struct walk *w = data;
	size_t at = (size_t)(uintptr_t)a;

	(void)type;
	if ((w->n && at <= w->last) || plen > w->mlen)
		abort();
	w->last = at;
	w->n++;
	return 1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	unsigned char *m = malloc(size ? size : 1), *exact, *longer;
	struct nfqring_tx_error e;
	struct parsed a, b;
	uint32_t mlen;

	memcpy(m, data, size);
	parse(m, size, &a);
	parse_with(ref_packet_parse, m, size, &b);
	if (!same(&a, &b))
		abort();			/* the parsers disagree */
	mlen = msg_len_in(m, size);
	if (mlen && (mlen < sizeof(struct nlmsghdr) || mlen > size))
		abort();
	if (a.r == 0 && !mlen)
		abort();                          /* parsed without a message that fits */
	if (mlen) {
		struct walk w = { 0, mlen, 0 };

		msg_attrs(m, mlen, MNL_NLMSG_HDRLEN, walk_cb, &w);
		/* the message alone, then followed by other bytes */
		exact = malloc(mlen);
		memcpy(exact, m, mlen);
		parse(exact, mlen, &b);
		if (!same(&a, &b))
			abort();
		longer = malloc((size_t)mlen + 64);
		memcpy(longer, m, mlen);
		memset(longer + mlen, 0xa5, 64);
		parse(longer, (size_t)mlen + 64, &b);
		if (!same(&a, &b))
			abort();
		free(longer);
		free(exact);
	}
	msg_describe(m, size, &e);
	free(m);
	return 0;
}
