/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libnfqring: userspace side of /dev/nfqring (memory-mapped NFQUEUE rings),
 * with an optional plain nfnetlink_queue backend behind the same calls.
 *
 * The whole loop:
 *
 *	struct nfqring *h;
 *	char err[NFQRING_ERRBUF_SIZE];
 *	if (nfqring_open(&h, NFQRING_BACKEND_RING, err, sizeof(err)) < 0) die(err);
 *	nfqring_setup(h, NULL);                    // default rings
 *	nfqring_bind(h, 0);
 *	nfqring_set_mode(h, 0, NFQNL_COPY_PACKET, 0xffff);
 *	for (;;) {
 *		nfqring_wait(h, -1);
 *		while (nfqring_next(h, &pkt) > 0)
 *			... look at pkt, maybe nfqring_verdict(h, &v) ...
 *		nfqring_batch_seen(h, NF_ACCEPT);  // everything handed out so far
 *		nfqring_flush(h);                  // one ioctl for the burst
 *	}
 *
 * or, the same loop in one call per burst: nfqring_drain().
 *
 * Waking up
 *   On a module that speaks ABI version 2 (the control page) the ring
 *   backend uses it unless told not to (NFQRING_ABI_V1): nfqring_wait()
 *   returns at once while frames wait, spins (only if asked: spin_us) and
 *   then asks the kernel to be woken only when enough frames have arrived
 *   or the first has waited max_delay_us (nfqring_set_wait(); by default
 *   32 frames or 1 ms).  A consumer that keeps up makes no system call to
 *   learn of new packets, and the producer pays for no wake-up.
 *
 * Conventions
 *   Functions returning int return >= 0 on success and a negative errno on
 *   failure; nfqring_errmsg() then says what failed in words.
 *
 * Threading
 *   A handle is not thread-safe and takes no locks: use it from one thread at
 *   a time (one handle per worker thread, each binding its own queues).
 *   Different handles are independent.  nfqring_fd() may be called from any
 *   thread.
 *
 * Memory
 *   Everything is allocated by nfqring_open(), nfqring_setup() and
 *   nfqring_bind(); the per-packet calls (nfqring_next, nfqring_verdict*,
 *   nfqring_batch*, nfqring_flush, nfqring_wait) neither allocate nor lock.
 */
#ifndef NFQRING_H
#define NFQRING_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <linux/netfilter.h>			/* NF_ACCEPT, NF_DROP, ... */
#include <linux/netfilter/nfnetlink_queue.h>	/* NFQNL_COPY_*, NFQA_CFG_F_* */
#include <linux/nfqring.h>			/* the kernel ABI */

#ifdef __cplusplus
extern "C" {
#endif

#if defined(__GNUC__)
#define NFQRING_API __attribute__((visibility("default")))
#else
#define NFQRING_API
#endif

/* Size of the buffer nfqring_open() may fill with an error message. */
#define NFQRING_ERRBUF_SIZE	256

/* Bytes a PACKET message needs besides its payload: nlmsghdr, nfgenmsg and
 * the attributes nfnetlink_queue adds (packet header, mark, timestamp, four
 * ifindexes, hwaddr, cap_len, skb_info, uid/gid, VLAN, L2 header, conntrack
 * nest).  Generous on purpose: a conntrack nest with labels plus a security
 * context can reach several hundred bytes.  Frames sized with it keep the
 * message on the fast path (VALID); a message that does not fit still works
 * but goes through read() (COPY), one system call per packet.
 */
#define NFQRING_MSG_OVERHEAD	1024U

/* Largest payload nfnetlink_queue copies (NFQNL_MAX_COPY_RANGE). */
#define NFQRING_MAX_COPY_RANGE	(0xffffU - 4U)

/* Largest message libnfqring reads or writes: a full-range PACKET message or
 * a verdict carrying a full replacement payload. */
#define NFQRING_MAX_MSG		(NFQRING_MAX_COPY_RANGE + NFQRING_MSG_OVERHEAD)

enum nfqring_backend {
	NFQRING_BACKEND_RING = 0,	/* /dev/nfqring (the module) */
	/* a NETLINK_NETFILTER socket (stock nfnetlink_queue): one recvmmsg()
	 * per burst, one sendmsg() per flush, acknowledged configuration */
	NFQRING_BACKEND_NETLINK = 1,
	NFQRING_BACKEND_AUTO = 2,	/* RING if /dev/nfqring exists, else NETLINK */
};

struct nfqring;

/* ---- open, close ----------------------------------------------------------- */

/*
 * Open an endpoint: the device (O_RDWR | O_CLOEXEC | O_NONBLOCK) for the ring
 * backend, a NETLINK_NETFILTER socket for the netlink backend.  On success
 * *hp is the handle.  On failure *hp is NULL and, when errbuf is not NULL, it
 * holds a message (at most errlen bytes), e.g. for a missing device:
 * "/dev/nfqring not found: load the module with 'modprobe nfqring' ...".
 * Errors: -ENOENT (no device), -EACCES/-EPERM (needs CAP_NET_ADMIN),
 * -EPROTO (module speaks another NFQRING_ABI_VERSION), -ENOMEM, -EINVAL.
 */
NFQRING_API int nfqring_open(struct nfqring **hp, enum nfqring_backend backend,
			     char *errbuf, size_t errlen);

/* Unmap the rings, close the descriptor (unbinding every queue bound through
 * it and dropping the packets it holds, like the kernel does) and free the
 * handle.  Pending verdicts are flushed first.  NULL is ignored. */
NFQRING_API void nfqring_close(struct nfqring *h);

/* The backend actually in use (AUTO resolved). */
NFQRING_API enum nfqring_backend nfqring_backend(const struct nfqring *h);

/* The descriptor to poll for POLLIN (see nfqring_wait / nfqring_handle_revents). */
NFQRING_API int nfqring_fd(const struct nfqring *h);

/* What the last failing call of this handle did wrong, in words ("" if none). */
NFQRING_API const char *nfqring_errmsg(const struct nfqring *h);

/* ---- rings ---------------------------------------------------------------- */

/*
 * Ring geometry.  Zero fields take the defaults below; nfqring_setup()
 * writes back what it used (rounded to whole blocks).
 *
 * RX frames: a frame holds NFQRING_HDRLEN + one PACKET message, so it must be
 * at least nfqring_frame_size_for(copy_range) for every packet to take the
 * fast path.  The default (NFQRING_DEFAULT_RX_FRAME = 4 KiB) fits an
 * MTU-sized packet with its metadata; bigger ones come through read() (COPY)
 * and still work.  With NFQA_CFG_F_GSO, TCP hands over unsegmented packets of
 * up to 64 KiB: to keep those on the fast path use
 *	rx_frame_size = nfqring_frame_size_for(NFQRING_MAX_COPY_RANGE)
 * (about 68 KiB, one frame per 17-page block) and fewer frames, e.g. 256
 * (17 MiB); or copy less (set_mode with a smaller range) if the verdict only
 * needs the headers.
 *
 * TX frames: one verdict message each.  The default (NFQRING_DEFAULT_TX_FRAME
 * = 256 bytes) fits every verdict without payload; a verdict with a
 * replacement payload that does not fit goes out through write() instead.
 *
 * Netlink backend: rx_frame_size is the size of each receive buffer
 * (default nfqring_frame_size_for(NFQRING_MAX_COPY_RANGE): no message is
 * ever cut; a smaller one loses the packets that do not fit, reported as
 * -EMSGSIZE by nfqring_next) and rx_frame_nr the number of buffers one
 * recvmmsg() fills (default 64, at most 1024); block sizes, TX fields and
 * flags are unused and written back as 0 / NFQRING_NO_RX_RING |
 * NFQRING_NO_TX_RING.  The socket gets NETLINK_NO_ENOBUFS and a receive
 * buffer of at least 32 MiB (SO_RCVBUFFORCE, else SO_RCVBUF up to
 * net.core.rmem_max).  Call nfqring_setup() before any configuration: the
 * acknowledgments arrive in those buffers.
 */
struct nfqring_ring_params {
	uint32_t rx_block_size;		/* multiple of the page size */
	uint32_t rx_frame_size;		/* multiple of NFQRING_FRAME_ALIGN */
	uint32_t rx_frame_nr;
	uint32_t tx_block_size;
	uint32_t tx_frame_size;
	uint32_t tx_frame_nr;
	uint32_t flags;			/* NFQRING_NO_RX_RING, NFQRING_NO_TX_RING */
	uint32_t copy_buf_size;		/* buffer for read(); default NFQRING_DEFAULT_COPY_BUF */
};

#define NFQRING_NO_RX_RING	(1U << 0)	/* every packet through read() */
#define NFQRING_NO_TX_RING	(1U << 1)	/* every verdict through write() */
/* Stay on ABI version 1 even where the module speaks 2: no control page, a
 * wake-up for every frame a sleeping consumer gets (as before). */
#define NFQRING_ABI_V1		(1U << 2)

#define NFQRING_DEFAULT_RX_FRAME	4096U
#define NFQRING_DEFAULT_RX_FRAMES	1024U	/* 4 MiB */
#define NFQRING_DEFAULT_TX_FRAME	256U
#define NFQRING_DEFAULT_TX_FRAMES	1024U	/* 256 KiB */
#define NFQRING_DEFAULT_BLOCK		16384U	/* or one frame rounded up to pages */
/* Twice the largest PACKET message, leaving room for big conntrack/secctx. */
#define NFQRING_DEFAULT_COPY_BUF	131072U

/* The smallest RX frame size whose PACKET message with copy_range payload
 * bytes stays in the frame (NFQRING_HDRLEN + NFQRING_MSG_OVERHEAD + range,
 * aligned).  copy_range is clamped to NFQRING_MAX_COPY_RANGE. */
NFQRING_API uint32_t nfqring_frame_size_for(uint32_t copy_range);

/*
 * Fill in defaults for zero fields of *p and check it (in place), without
 * touching any kernel object.  Block sizes default to NFQRING_DEFAULT_BLOCK
 * or the frame size rounded up to pages, whichever is larger; frame counts are
 * rounded up to whole blocks.  Errors: -EINVAL (bad combination, message in
 * errmsg when h is not NULL), -E2BIG (beyond NFQRING_MAX_RING_BYTES /
 * NFQRING_MAX_FRAMES or size_t).
 */
NFQRING_API int nfqring_ring_params_resolve(struct nfqring *h, struct nfqring_ring_params *p);

/*
 * Set up the rings (p may be NULL: defaults), map them, and allocate the
 * read()/write() buffers.  Call once, before binding queues, so that no
 * packet goes to the read() backlog first.  p, when not NULL, gets the
 * resolved values.  Errors: those of nfqring_ring_params_resolve(), -EBUSY
 * (already set up), -ENOMEM, and the ioctl()/mmap() errors of the device.
 */
NFQRING_API int nfqring_setup(struct nfqring *h, struct nfqring_ring_params *p);

/* ---- queue configuration (NFQNL_MSG_CONFIG) ------------------------------- */

/* Each sends one NFQNL_MSG_CONFIG message (after flushing pending verdicts)
 * and returns the kernel's verdict on it: 0, or e.g. -EBUSY (queue bound by
 * someone else), -ENODEV/-EINVAL (not bound), -EPERM, -EOPNOTSUPP (a flag
 * the kernel does not know).  One handle may bind several queues. */
NFQRING_API int nfqring_bind(struct nfqring *h, uint16_t queue);
NFQRING_API int nfqring_unbind(struct nfqring *h, uint16_t queue);
/* mode: NFQNL_COPY_NONE / _META / _PACKET; range: payload bytes to copy
 * (0 or more than NFQRING_MAX_COPY_RANGE means all, clamped by the kernel). */
NFQRING_API int nfqring_set_mode(struct nfqring *h, uint16_t queue, uint8_t mode, uint32_t range);
NFQRING_API int nfqring_set_maxlen(struct nfqring *h, uint16_t queue, uint32_t maxlen);
/* Set the NFQA_CFG_F_* bits of mask to their value in flags. */
NFQRING_API int nfqring_set_flags(struct nfqring *h, uint16_t queue, uint32_t flags, uint32_t mask);

/* ---- receiving ------------------------------------------------------------ */

/* NFQRING_PKT_* bits of struct nfqring_packet.present */
#define NFQRING_PKT_MARK	(1U << 0)
#define NFQRING_PKT_INDEV	(1U << 1)
#define NFQRING_PKT_OUTDEV	(1U << 2)
#define NFQRING_PKT_PHYSINDEV	(1U << 3)
#define NFQRING_PKT_PHYSOUTDEV	(1U << 4)
#define NFQRING_PKT_CAP_LEN	(1U << 5)	/* payload truncated to the copy range */
#define NFQRING_PKT_SKB_INFO	(1U << 6)
#define NFQRING_PKT_CT		(1U << 7)
#define NFQRING_PKT_CT_INFO	(1U << 8)
#define NFQRING_PKT_UID		(1U << 9)
#define NFQRING_PKT_GID		(1U << 10)
#define NFQRING_PKT_HWADDR	(1U << 11)
#define NFQRING_PKT_TIMESTAMP	(1U << 12)
#define NFQRING_PKT_SECCTX	(1U << 13)
#define NFQRING_PKT_PRIORITY	(1U << 14)
#define NFQRING_PKT_VLAN	(1U << 15)
#define NFQRING_PKT_L2HDR	(1U << 16)
#define NFQRING_PKT_EXP		(1U << 17)

/*
 * One packet, parsed from its NFQNL_MSG_PACKET message.  Numbers are in host
 * order.  Pointers point into the RX frame or the read() buffer and stay
 * valid until the next nfqring_next() on the handle (or until
 * nfqring_release() for a kept frame).  Absent attributes read as zero; check
 * `present`.
 */
struct nfqring_packet {
	uint32_t id;			/* packet id, for the verdict */
	uint16_t queue;			/* queue number (nfgenmsg res_id) */
	uint8_t  family;		/* nfgen_family: NFPROTO_IPV4, ... */
	uint8_t  hook;			/* NF_INET_PRE_ROUTING, ... */
	uint16_t hw_protocol;		/* ETH_P_IP, ... */
	uint32_t present;		/* NFQRING_PKT_* */
	uint32_t mark;
	uint32_t indev, outdev, physindev, physoutdev;	/* ifindexes */
	const uint8_t *payload;		/* network header onwards */
	uint32_t payload_len;
	uint32_t cap_len;		/* original length: payload_len unless truncated */
	uint32_t skb_info;		/* NFQA_SKB_* */
	const void *ct;			/* NFQA_CT nest payload: CTA_* attributes */
	uint32_t ct_len;
	uint32_t ct_info;		/* enum ip_conntrack_info */
	uint32_t uid, gid;
	uint32_t priority;
	uint16_t vlan_proto, vlan_tci;
	uint8_t  hwaddr_len;
	uint8_t  hwaddr[8];
	uint64_t ts_sec, ts_usec;
	const char *secctx;		/* not NUL-terminated */
	uint32_t secctx_len;
	const uint8_t *l2hdr;
	uint32_t l2hdr_len;
	const void *exp;		/* NFQA_EXP nest payload */
	uint32_t exp_len;
	/* library bookkeeping, do not touch */
	uint32_t frame_;		/* RX frame index, or UINT32_MAX: copied */
};

/*
 * Hand out the next packet, in ring order.  Releases the frame of the packet
 * handed out by the previous call first (unless it was kept).  For a COPY
 * frame, read()s the message into the handle's buffer (allocated by
 * nfqring_setup) and releases the frame at once.  Does not block.
 * Returns 1 with *pkt filled, 0 when nothing is ready (poll, then call
 * again), or a negative errno: -EBADMSG (a malformed message: its frame was
 * released and skipped; call again), -EMSGSIZE (a message longer than the
 * read() buffer; enlarge copy_buf_size), or the read()/recvmmsg() error.
 * Also records the id as seen for nfqring_batch_seen().
 */
NFQRING_API int nfqring_next(struct nfqring *h, struct nfqring_packet *pkt);

/*
 * Keep the frame of the packet just handed out beyond the next nfqring_next()
 * (its status becomes SKIP), e.g. to finish it on another thread; release it
 * with nfqring_release().  The kernel never fills a kept frame: when it
 * comes around to it the ring counts as full, so release kept frames soon.
 * Errors: -EINVAL (not the current packet, or it was copied through read():
 * copy the bytes you need instead).
 */
NFQRING_API int nfqring_keep(struct nfqring *h, struct nfqring_packet *pkt);

/* Release a kept frame, or the current one early.  Idempotent per packet. */
NFQRING_API void nfqring_release(struct nfqring *h, struct nfqring_packet *pkt);

/* ---- verdicts --------------------------------------------------------------- */

#define NFQRING_V_MARK		(1U << 0)	/* set the packet mark to .mark */
#define NFQRING_V_CONNMARK	(1U << 1)	/* set the connection mark (NFQA_CT/CTA_MARK) */
#define NFQRING_V_PAYLOAD	(1U << 2)	/* replace the packet by payload/payload_len */

struct nfqring_verdict {
	uint16_t queue;
	uint32_t id;			/* a single packet, or the highest id of a batch */
	uint32_t verdict;		/* NF_ACCEPT, NF_DROP, NF_REPEAT, NF_QUEUE_NR(n), NF_STOP */
	uint32_t flags;			/* NFQRING_V_* */
	uint32_t mark;
	uint32_t connmark;
	uint32_t connmark_mask;		/* 0: set the whole mark; else only these bits
					 * (CTA_MARK_MASK: the kernel keeps the others,
					 * atomically against other writers) */
	const void *payload;		/* copied before the call returns */
	uint32_t payload_len;		/* at most NFQRING_MAX_COPY_RANGE */
};

/*
 * Queue a verdict for one packet (NFQNL_MSG_VERDICT).  It goes into the next
 * TX frame (or the write() buffer without a TX ring) and reaches the kernel
 * at the next nfqring_flush(); when the TX ring is full the library flushes
 * first (one ioctl) and retries.  A verdict too big for a TX frame (a large
 * replacement payload) is sent at once with write(), after flushing what was
 * queued so that verdicts keep their order.  Errors: -EINVAL (bad flags),
 * -EMSGSIZE (payload too long), -EBUSY (TX ring still full after a flush),
 * and the errors of nfqring_flush() for an immediate send.
 */
NFQRING_API int nfqring_verdict(struct nfqring *h, const struct nfqring_verdict *v);

/* Shorthand: nfqring_verdict() without mark or payload. */
NFQRING_API int nfqring_verdict_simple(struct nfqring *h, uint16_t queue, uint32_t id, uint32_t verdict);

/*
 * Queue a NFQNL_MSG_VERDICT_BATCH: the verdict (and mark, when NFQRING_V_MARK;
 * no payload, no connmark) for every packet of v->queue with an id up to
 * v->id that has no verdict yet.
 *
 * Ordering: the kernel skips packets whose message has not been read yet (a
 * COPY still in the read() backlog), so a batch never covers a packet the
 * caller has not seen - but one up to an id the caller has not seen yet may
 * cover packets it has not looked at.  Use nfqring_batch_seen(), which batches
 * exactly up to the last id nfqring_next() handed out.
 */
NFQRING_API int nfqring_verdict_batch(struct nfqring *h, const struct nfqring_verdict *v);

/*
 * For each bound queue that handed out packets since its last
 * nfqring_batch_seen(), queue a VERDICT_BATCH of `verdict` up to the last id
 * nfqring_next() returned for it - unless single verdicts (nfqring_verdict*)
 * already covered every one of those packets: the kernel refuses a batch
 * that finds no packet with -ENOENT.  Returns the number of batch messages
 * queued, or a negative errno as nfqring_verdict_batch().
 */
NFQRING_API int nfqring_batch_seen(struct nfqring *h, uint32_t verdict);

/* The last packet id handed out for queue; false if none yet. */
NFQRING_API bool nfqring_last_id(const struct nfqring *h, uint16_t queue, uint32_t *id);

/*
 * Send the queued verdicts: one ioctl(NFQRING_TX_FLUSH) for the TX ring, or
 * one write() of the buffer without one (one sendmsg() for netlink).  No
 * system call when nothing is queued.  When a verdict fails, the others are
 * still sent (one more call per failure) and the first failure is returned as
 * a negative errno (-ENOENT: no such packet id, e.g. already verdicted);
 * nfqring_last_tx_error() says which.  Returns the number of verdict
 * messages sent without error otherwise.
 * Netlink backend: failures arrive later as NLMSG_ERROR and are recorded by
 * nfqring_next(); flush returns only send errors.
 * A consumer that ends a burst before the ring is empty still holds the RX
 * frame of the packet nfqring_next() handed out last: nfqring_release() it
 * before flushing.  The verdicts make room in the queue, and with a ring no
 * longer than the queue the kernel would otherwise overrun on that frame.
 */
NFQRING_API int nfqring_flush(struct nfqring *h);

struct nfqring_tx_error {
	int error;			/* negative errno, 0: none */
	uint16_t queue;
	uint32_t id;
	uint16_t msg_type;		/* NFQNL_MSG_VERDICT or _BATCH */
	uint32_t frame;			/* TX frame index, UINT32_MAX: write()/netlink */
};

/* The last verdict the kernel refused (error 0 if none since open). */
NFQRING_API void nfqring_last_tx_error(const struct nfqring *h, struct nfqring_tx_error *e);

/* ---- waiting ---------------------------------------------------------------- */

/*
 * Wait up to timeout_ms (-1: forever) until nfqring_next() has something.
 * Returns at once, without a system call, when the RX ring head is ready.
 * Handles POLLERR (an RX overrun: packets were dropped or failed open because
 * the ring was full): clears it with one read() and counts it.
 * Returns 1 ready, 0 timeout, or a negative errno (-EINTR on a signal).
 */
NFQRING_API int nfqring_wait(struct nfqring *h, int timeout_ms);

/* For your own event loop: poll nfqring_fd() for these events ... */
NFQRING_API short nfqring_poll_events(const struct nfqring *h);
/* ... then pass the revents here; returns 1 if nfqring_next() may have
 * packets, 0 if not, negative errno on a fatal condition (POLLNVAL). */
NFQRING_API int nfqring_handle_revents(struct nfqring *h, short revents);

/*
 * The burst loop in one call: wait (as nfqring_wait) for packets, hand each
 * ready one to fn, then queue one nfqring_batch_seen(verdict) and flush
 * once.  fn returns 0 to leave the packet to the batch verdict (after
 * queuing its own nfqring_verdict(), if it wants another fate), or a
 * negative errno to stop the burst (the batch still covers what was handed
 * out; that error is returned).  Returns the packets handed out (0 on
 * timeout) or a negative errno.
 */
typedef int (*nfqring_packet_fn)(struct nfqring *h, struct nfqring_packet *pkt, void *arg);
NFQRING_API int nfqring_drain(struct nfqring *h, int timeout_ms, uint32_t verdict,
			      nfqring_packet_fn fn, void *arg);

/*
 * How nfqring_wait() waits on a version-2 endpoint.  Zero fields take the
 * defaults; the call writes back what is in use (after the kernel's
 * clamping).  -EOPNOTSUPP on version 1 (NFQRING_ABI_V1, an older module, the
 * netlink backend).
 *   spin_us       the longest spin before sleeping; the spin shortens itself
 *                 when it keeps finding nothing (default NFQRING_DEFAULT_SPIN_US,
 *                 which is no spin; NFQRING_NO_SPIN: never spin)
 *   wake_nr, watermark, max_delay_us: the kernel's moderation, as struct
 *                 nfqring_wake in <linux/nfqring.h>: a sleeping consumer is
 *                 woken when wake_nr frames arrived, the ring holds
 *                 watermark, or the first frame has waited max_delay_us.
 */
struct nfqring_wait_params {
	uint32_t spin_us;
	uint32_t wake_nr;
	uint32_t watermark;
	uint32_t max_delay_us;
};

/*
 * No spin unless asked: a spin that finds the next frame ends the wait with
 * a batch of one, so at moderate rates every packet cost a verdict and a
 * flush of its own (docs/benchmarks.md, "Choosing the wait defaults"); the
 * kernel's moderation gathers bigger batches for fewer system calls.
 */
#define NFQRING_DEFAULT_SPIN_US	0U
#define NFQRING_NO_SPIN		UINT32_MAX

NFQRING_API int nfqring_set_wait(struct nfqring *h, struct nfqring_wait_params *p);

/*
 * The kernel's idle wake-up (struct nfqring_wake's idle_us, version 2): a
 * frame that comes after idle_us of quiet wakes a sleeping consumer at
 * once instead of waiting for wake_nr or max_delay_us.  0 takes the
 * module's default (NFQRING_WAKE_IDLE_US), NFQRING_WAKE_IDLE_OFF turns it
 * off, other values are clamped to NFQRING_WAKE_MAX_DELAY_US.  Kept across
 * later nfqring_set_wait() calls (which change the other parameters
 * only); *idle_us gets what is in use.  Errors: -EOPNOTSUPP (version 1, or
 * a module older than the idle wake-up: it refuses any value but 0).
 */
NFQRING_API int nfqring_set_idle(struct nfqring *h, uint32_t *idle_us);

/*
 * Waiting for a batch (version 2): nfqring_wait() called while some frames
 * wait, but fewer than *min, sleeps as it would with none waiting, until
 * the kernel's moderation brings more (wake_nr of them, the watermark, or
 * max_delay_us after the first) or max_delay_us has passed (in whole
 * milliseconds, poll()'s unit).  For a consumer whose own verdicts make
 * the next few packets arrive (its CPU also receives them: rps), so that
 * it never sleeps and takes them a few at a time.  The cost: frames that
 * wait alone wait up to max_delay_us more.  0 or 1: off (the default);
 * clamped to wake_nr; *min gets what is in use.  -EOPNOTSUPP on version 1.
 */
NFQRING_API int nfqring_set_batch(struct nfqring *h, uint32_t *min);

/*
 * The kernel's stall watchdog for this endpoint (version 2): when packets
 * wait and this handle has neither taken a frame nor had a verdict
 * processed for stall_ms, the kernel gives what waits and what comes
 * verdict (NF_ACCEPT or NF_DROP) until it moves again.  stall_ms 0 turns it
 * off.  Errors: -EINVAL (stall_ms outside NFQRING_STALL_MIN_MS ..
 * NFQRING_STALL_MAX_MS, another verdict), -EOPNOTSUPP (version 1).
 */
NFQRING_API int nfqring_set_stall(struct nfqring *h, uint32_t stall_ms, uint32_t verdict);

/* Version 2 in use on this handle (the control page is mapped)? */
NFQRING_API bool nfqring_v2(const struct nfqring *h);

struct nfqring_wait_stats {
	uint64_t waits;			/* nfqring_wait() calls that found nothing ready */
	uint64_t spin_hits;		/* ... of them, ended by the spin */
	uint64_t sleeps;		/* ... of them, that slept in poll() */
	uint64_t kernel_wakeups;	/* the kernel's wake-ups (version 2) */
	uint64_t kernel_skipped;	/* frames published with nobody to wake */
	uint64_t stalls;		/* the watchdog found this handle stalled */
	uint64_t stall_verdicts;	/* packets it gave the stall verdict */
};

/* Figures of waiting; the kernel's part is read with one ioctl (version 2). */
NFQRING_API void nfqring_wait_stats(struct nfqring *h, struct nfqring_wait_stats *s);

/* ---- statistics ---------------------------------------------------------------- */

struct nfqring_lib_stats {
	uint64_t packets;		/* handed out by nfqring_next */
	uint64_t copies;		/* of them, read() because COPY (or no RX ring) */
	uint64_t bad_msgs;		/* malformed messages skipped */
	uint64_t overruns;		/* ENOBUFS seen (RX ring or socket overflowed) */
	uint64_t verdicts;		/* verdict messages queued */
	uint64_t batches;		/* of them, VERDICT_BATCH */
	uint64_t tx_flushes;		/* flush system calls */
	uint64_t tx_full;		/* flushes forced by a full TX ring */
	uint64_t tx_errors;		/* verdicts the kernel refused */
	uint64_t writes;		/* write()/send calls for verdicts */
};

NFQRING_API void nfqring_lib_stats(const struct nfqring *h, struct nfqring_lib_stats *s);

/* The endpoint's kernel figures (NFQRING_GET_STATS).  -EOPNOTSUPP for netlink. */
NFQRING_API int nfqring_kernel_stats(struct nfqring *h, struct nfqring_stats *s);

#ifdef __cplusplus
}
#endif

#endif /* NFQRING_H */
