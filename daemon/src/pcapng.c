// SPDX-License-Identifier: GPL-2.0-only
/*
 * The interface of each packet of a pcapng capture, which libpcap reads
 * but does not tell: the file is followed a second time, block by block,
 * beside libpcap (see pcapng.h).
 */
#include <stdlib.h>
#include <string.h>

#include "pcapng.h"

#define SHB 0x0a0d0d0au
#define IDB 1u
#define PB  2u		/* obsolete packet block */
#define SPB 3u
#define EPB 6u
#define MAX_BLOCK (64u << 20)

struct nfqd_pcapng {
	FILE *f;
	bool swap;			/* the section's byte order is not ours */
	char (*names)[16];		/* per interface of the section, "" if unnamed */
	uint32_t n, cap;
	uint8_t *blk;
	size_t blk_cap;
};

static uint32_t u32(const struct nfqd_pcapng *p, const uint8_t *b)
{
	uint32_t v;

	memcpy(&v, b, 4);
	return p->swap ? __builtin_bswap32(v) : v;
}

static uint16_t u16(const struct nfqd_pcapng *p, const uint8_t *b)
{
	uint16_t v;

	memcpy(&v, b, 2);
	return p->swap ? __builtin_bswap16(v) : v;
}

struct nfqd_pcapng *nfqd_pcapng_open(const char *path)
{
	struct nfqd_pcapng *p;
	uint32_t magic;
	FILE *f;

	if (!strcmp(path, "-") || !(f = fopen(path, "rb")))
		return NULL;
	if (fread(&magic, 4, 1, f) != 1 || magic != SHB) {
		fclose(f);
		return NULL;			/* pcap, or nothing libpcap will read */
	}
	rewind(f);
	p = calloc(1, sizeof(*p));
	if (!p) {
		fclose(f);
		return NULL;
	}
	p->f = f;
	return p;
}

void nfqd_pcapng_close(struct nfqd_pcapng *p)
{
	if (!p)
		return;
	fclose(p->f);
	free(p->names);
	free(p->blk);
	free(p);
}

/* Options from b[off] to b[end]: the value of option code `want` (its
 * length in *len), or NULL. */
static const uint8_t *option(const struct nfqd_pcapng *p, const uint8_t *b, size_t off,
			     size_t end, uint16_t want, uint16_t *len)
{
	while (off + 4 <= end) {
		uint16_t code = u16(p, b + off), l = u16(p, b + off + 2);

		if (code == 0 || off + 4 + l > end)
			return NULL;		/* opt_endofopt, or damaged */
		if (code == want) {
			*len = l;
			return b + off + 4;
		}
		off += 4 + ((l + 3u) & ~3u);
	}
	return NULL;
}

static bool add_interface(struct nfqd_pcapng *p, const uint8_t *b, uint32_t len)
{
	uint16_t nl = 0;
	const uint8_t *name = len >= 20 ? option(p, b, 16, len - 4, 2, &nl) : NULL;

	if (p->n == p->cap) {
		uint32_t nc = p->cap ? p->cap * 2 : 8;
		char (*nn)[16] = realloc(p->names, nc * sizeof(*nn));

		if (!nn)
			return false;
		p->names = nn;
		p->cap = nc;
	}
	memset(p->names[p->n], 0, sizeof(p->names[p->n]));
	if (name)
		memcpy(p->names[p->n], name, nl < 15 ? nl : 15);
	p->n++;
	return true;
}

bool nfqd_pcapng_next(struct nfqd_pcapng *p, char name[16], int *dir)
{
	for (;;) {
		uint8_t hdr[12];
		uint32_t type, len, ifc = 0;
		uint16_t ol;
		const uint8_t *fl;
		size_t data_end;

		if (fread(hdr, 1, 8, p->f) != 8)
			return false;
		memcpy(&type, hdr, 4);
		if (type == SHB) {		/* a section: its byte order, its interfaces */
			uint32_t bom;

			if (fread(hdr + 8, 1, 4, p->f) != 4)
				return false;
			memcpy(&bom, hdr + 8, 4);
			p->swap = bom != 0x1a2b3c4du;
			p->n = 0;
		}
		type = u32(p, hdr);
		len = u32(p, hdr + 4);
		if (len < 12 || len > MAX_BLOCK || len % 4)
			return false;
		if (len > p->blk_cap) {
			uint8_t *nb = realloc(p->blk, len);

			if (!nb)
				return false;
			p->blk = nb;
			p->blk_cap = len;
		}
		memcpy(p->blk, hdr, type == SHB ? 12 : 8);
		if (fread(p->blk + (type == SHB ? 12 : 8), 1, len - (type == SHB ? 12 : 8), p->f) !=
		    len - (type == SHB ? 12 : 8))
			return false;
		if (type == IDB) {
			if (!add_interface(p, p->blk, len))
				return false;
			continue;
		}
		if (type != EPB && type != SPB && type != PB)
			continue;
		*dir = 0;
		if (type == EPB || type == PB) {
			if (len < 32)
				return false;
			ifc = type == EPB ? u32(p, p->blk + 8) : u16(p, p->blk + 8);
			data_end = 28 + ((u32(p, p->blk + 20) + 3u) & ~3u);
			fl = data_end < len - 4 ? option(p, p->blk, data_end, len - 4, 2, &ol) : NULL;
			if (type == EPB && fl && ol == 4)
				*dir = (int)(u32(p, fl) & 3);
		}
		snprintf(name, 16, "%s", ifc < p->n ? p->names[ifc] : "");
		return true;
	}
}
