/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Opening, ring geometry and mapping against the fake kernel. */
#include <errno.h>
#include <sys/mman.h>

#include "fake_kernel.h"
#include "tap.h"

static void test_open_errors(void)
{
	struct nfqring *h = (void *)1;
	char err[NFQRING_ERRBUF_SIZE] = "";

	fk_reset();
	fk.no_device = true;
	is_int(nfqring_open_ops(&h, &fk_ops, err, sizeof(err)), -ENOENT, "missing device: -ENOENT");
	ok(h == NULL, "missing device: no handle");
	ok(strstr(err, "/dev/nfqring not found") && strstr(err, "modprobe nfqring"),
	   "missing device: says what to do (%s)", err);

	fk_reset();
	fk.version = NFQRING_ABI_VERSION + 1;
	is_int(nfqring_open_ops(&h, &fk_ops, err, sizeof(err)), -EPROTO, "ABI mismatch: -EPROTO");
	is_int(fk.closes, 1, "ABI mismatch: descriptor closed");
}

static void test_frame_size_for(void)
{
	is_int(nfqring_frame_size_for(0), NFQRING_HDRLEN + NFQRING_MSG_OVERHEAD, "range 0: header + overhead");
	is_int(nfqring_frame_size_for(1500) % NFQRING_FRAME_ALIGN, 0, "aligned");
	ok(nfqring_frame_size_for(1501) >= NFQRING_HDRLEN + NFQRING_MSG_OVERHEAD + 1501, "holds the range");
	is_int(nfqring_frame_size_for(UINT32_MAX), nfqring_frame_size_for(NFQRING_MAX_COPY_RANGE),
	       "clamped to the largest copy range");
}

static void test_resolve(void)
{
	struct nfqring_ring_params p = { 0 };

	fk_reset();
	struct nfqring *h = NULL;

	nfqring_open_ops(&h, &fk_ops, NULL, 0);
	is_int(nfqring_ring_params_resolve(h, &p), 0, "defaults resolve");
	is_int(p.rx_frame_size, NFQRING_DEFAULT_RX_FRAME, "default RX frame");
	is_int(p.rx_block_size, NFQRING_DEFAULT_BLOCK, "default RX block");
	is_int(p.rx_frame_nr, NFQRING_DEFAULT_RX_FRAMES, "default RX frames");
	is_int(p.tx_frame_size, NFQRING_DEFAULT_TX_FRAME, "default TX frame");
	is_int(p.copy_buf_size, NFQRING_DEFAULT_COPY_BUF, "default copy buffer");

	/* 3000 does not divide the page: 5 frames per 16 KiB block, rounded up to blocks */
	p = (struct nfqring_ring_params){ .rx_frame_size = 3000, .rx_frame_nr = 12 };
	is_int(nfqring_ring_params_resolve(h, &p), 0, "frame 3000 resolves");
	is_int(p.rx_block_size, 16384, "frame 3000: block 16 KiB");
	is_int(p.rx_frame_nr, 15, "frame 3000: 12 frames round up to 3 blocks of 5");

	/* GSO-sized frames: one frame rounded up to pages per block */
	p = (struct nfqring_ring_params){ .rx_frame_size = nfqring_frame_size_for(0xffff), .rx_frame_nr = 3 };
	is_int(nfqring_ring_params_resolve(h, &p), 0, "GSO frame resolves");
	is_int(p.rx_block_size, 17 * 4096, "GSO frame: 17-page block");
	is_int(p.rx_frame_nr, 3, "GSO frame: one frame per block");

	p = (struct nfqring_ring_params){ .rx_frame_size = 2050 };
	is_int(nfqring_ring_params_resolve(h, &p), -EINVAL, "unaligned frame: -EINVAL");
	ok(strstr(nfqring_errmsg(h), "multiple of 4") != NULL, "unaligned frame: says why");
	p = (struct nfqring_ring_params){ .rx_frame_size = 16 };
	is_int(nfqring_ring_params_resolve(h, &p), -EINVAL, "frame below the header: -EINVAL");
	p = (struct nfqring_ring_params){ .rx_block_size = 6000 };
	is_int(nfqring_ring_params_resolve(h, &p), -EINVAL, "block not a page multiple: -EINVAL");
	p = (struct nfqring_ring_params){ .rx_block_size = 4096, .rx_frame_size = 8192 };
	is_int(nfqring_ring_params_resolve(h, &p), -EINVAL, "frame bigger than block: -EINVAL");
	p = (struct nfqring_ring_params){ .rx_frame_nr = NFQRING_MAX_FRAMES + 1, .rx_frame_size = 64,
					  .rx_block_size = 4096 };
	is_int(nfqring_ring_params_resolve(h, &p), -E2BIG, "too many frames: -E2BIG");
	p = (struct nfqring_ring_params){ .rx_frame_nr = UINT32_MAX, .rx_frame_size = 65536 };
	is_int(nfqring_ring_params_resolve(h, &p), -E2BIG, "4G frames of 64 KiB: -E2BIG, no overflow");
	p = (struct nfqring_ring_params){ .rx_frame_nr = 4097, .rx_frame_size = 65536 };
	is_int(nfqring_ring_params_resolve(h, &p), -E2BIG, "just over 256 MiB: -E2BIG");
	p = (struct nfqring_ring_params){ .rx_frame_nr = 4096, .rx_frame_size = 65536 };
	is_int(nfqring_ring_params_resolve(h, &p), 0, "exactly 256 MiB: fine");
	p = (struct nfqring_ring_params){ .tx_frame_size = 4098 };
	is_int(nfqring_ring_params_resolve(h, &p), -EINVAL, "TX checked too");
	nfqring_close(h);
}

static void test_setup_and_map(void)
{
	struct nfqring_ring_params p = { .rx_frame_size = 3000, .rx_frame_nr = 15,
					 .tx_frame_size = 256, .tx_frame_nr = 16,
					 .tx_block_size = 4096 };
	struct nfqring *h;

	fk_reset();
	h = fk_open(&p);
	ok(h != NULL, "setup on the fake kernel");
	if (!h)
		return;
	is_int(fk.rx_req.nm_block_size, 16384, "RX req block size");
	is_int(fk.rx_req.nm_block_nr, 3, "RX req block nr");
	is_int(fk.rx_req.nm_frame_size, 3000, "RX req frame size");
	is_int(fk.rx_req.nm_frame_nr, 15, "RX req frame nr");
	is_int(fk.tx_req.nm_block_size, 4096, "TX req block size");
	is_int(fk.tx_req.nm_block_nr, 1, "TX req block nr");
	is_int(fk.tx_req.nm_frame_nr, 16, "TX req frame nr");
	is_int(fk.mem_size, 3 * 16384 + 4096, "one mapping of RX + TX");
	ok(h->tx.base == h->rx.base + 3 * 16384, "TX ring right after RX");
	is_int(nfqring_setup(h, NULL), -EBUSY, "second setup: -EBUSY");
	nfqring_close(h);
	is_int(fk.munmaps, 1, "close unmaps");
	is_int(fk.closes, 1, "close closes");

	/* no rings at all: no mapping */
	fk_reset();
	p = (struct nfqring_ring_params){ .flags = NFQRING_NO_RX_RING | NFQRING_NO_TX_RING };
	h = fk_open(&p);
	ok(h && fk.mmaps == 0 && fk.rx_req.nm_frame_nr == 0, "ringless: no ring, no mmap");
	nfqring_close(h);
	is_int(fk.munmaps, 0, "ringless: nothing to unmap");
}

int main(void)
{
	test_open_errors();
	test_frame_size_for();
	test_resolve();
	test_setup_and_map();
	fk_reset();
	return tap_done();
}
