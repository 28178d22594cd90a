/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * nfqring: memory-mapped NFQUEUE rings on /dev/nfqring.
 *
 * This header is the ABI; nfqring(4) explains it at length.
 *
 * Endpoint
 *   Each open(2) of /dev/nfqring is one endpoint, bound to (and holding a
 *   reference on) the network namespace of the opener.  Queue numbers are
 *   per namespace, as with nfnetlink_queue.  open() and every later call need
 *   CAP_NET_ADMIN in the user namespace that owns that network namespace;
 *   later calls check both the opener's credentials and the caller's, so a
 *   descriptor handed to an unprivileged process is useless to it.
 *   A queue bound through an endpoint is owned by that endpoint (the
 *   peer_portid column of /proc/net/netfilter/nfnetlink_queue shows 0, a
 *   portid no netlink socket can have).  Closing the endpoint unbinds its
 *   queues and drops the packets they hold, like closing a netlink socket.
 *
 * Messages
 *   Everything that goes in and out is standard nfnetlink messages of the
 *   queue subsystem (<linux/netfilter/nfnetlink_queue.h>): the kernel sends
 *   NFQNL_MSG_PACKET with the attributes nfnetlink_queue sends; userspace
 *   sends NFQNL_MSG_CONFIG, NFQNL_MSG_VERDICT and NFQNL_MSG_VERDICT_BATCH,
 *   with nfnetlink_queue's semantics and error codes.
 *
 * Rings
 *   NFQRING_SET_RX_RING and NFQRING_SET_TX_RING take the old netlink
 *   struct nl_mmap_req from <linux/netlink.h>, under its old rules:
 *     nm_block_size  > 0, a multiple of the page size;
 *     nm_frame_size  >= NFQRING_HDRLEN, a multiple of NFQRING_FRAME_ALIGN,
 *                    at most nm_block_size;
 *     nm_frame_nr    == nm_block_nr * (nm_block_size / nm_frame_size);
 *     nm_block_nr    == 0 (with nm_frame_nr == 0) tears the ring down;
 *   plus the limits below.  Ring memory is zeroed and charged to the
 *   caller's memory cgroup.  Then one
 *     mmap(NULL, rx_size + tx_size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0)
 *   maps the RX ring first and the TX ring after it (either may be absent),
 *   where a ring's size is nm_block_size * nm_block_nr.  Frame i lives at
 *   (i / frames_per_block) * nm_block_size + (i % frames_per_block) *
 *   nm_frame_size from the start of its ring.  Any other offset or size, a
 *   private mapping, or mremap() growing the mapping is refused; so is
 *   PROT_EXEC, now (EPERM) or later by mprotect() (EACCES); a personality
 *   with READ_IMPLIES_EXEC gets its mapping without exec.  Setting a
 *   ring while the endpoint is mapped or has a bound queue fails with EBUSY.
 *
 *   A frame is a struct nl_mmap_hdr (NFQRING_HDRLEN bytes) followed by
 *   nm_len bytes of netlink message(s).  The status word protocol:
 *
 *   RX  UNUSED   free: the kernel may fill it when it reaches it.
 *       RESERVED the kernel is filling it (never across a sleep).
 *       VALID    a PACKET message of nm_len bytes follows the header.
 *       COPY     the message (nm_len bytes) did not fit in the frame and
 *                waits to be read with read(2), in ring order.
 *       SKIP     userspace keeps the frame; the kernel treats it as busy.
 *       Userspace releases a frame by storing UNUSED.  The kernel fills
 *       frames strictly in ring order from its head; when the head frame is
 *       not UNUSED the ring is full and the packet is handled as a full
 *       queue (dropped and counted in queue_user_dropped and rx_overruns, or
 *       accepted with NFQA_CFG_F_FAIL_OPEN).  Releasing a frame is
 *       independent of the packet's verdict.
 *
 *   TX  UNUSED   free for userspace.
 *       VALID    userspace put nm_len bytes of one or more messages after
 *                the header and asks the kernel to process them.
 *       The kernel processes VALID frames strictly in ring order from its
 *       TX head, on NFQRING_TX_FLUSH, on write(fd, NULL, 0) and before the
 *       messages of any write(); it copies each message into kernel memory
 *       before looking at it, then stores UNUSED.  It stops at the first
 *       frame that is not VALID.  When a message of a frame fails, the
 *       messages before it in that frame have taken effect and those after
 *       it are not processed.
 *
 * Barriers
 *   The kernel publishes an RX frame with a store-release of nm_status after
 *   writing the frame; userspace must read nm_status with a load-acquire
 *   (__atomic_load_n(&hdr->nm_status, __ATOMIC_ACQUIRE)) before reading the
 *   frame, and release it with a store-release of UNUSED after its last
 *   access.  For TX, userspace writes the message and nm_len, then stores
 *   VALID with a store-release; the kernel loads nm_status with a
 *   load-acquire, reads nm_len once and bounds it by the frame size.
 *
 * Ordering
 *   Packet ids of a queue are assigned in the order its frames are taken
 *   (1, 2, ...; after 4294967295 comes 1: no packet has id 0), so
 *   one VERDICT_BATCH up to the id of the last frame read releases exactly
 *   the packets read.  A packet whose message still waits in the read()
 *   backlog (COPY, or no RX ring) cannot have been seen: VERDICT_BATCH
 *   skips it until it has been read, and it needs its own verdict or a later
 *   batch.  Verdicts from write() and from the TX ring take effect in the
 *   order they were issued: write() first processes the VALID TX frames.
 *
 * read(2) and write(2)
 *   read() returns one message per call: the next message of the backlog
 *   (every PACKET message when no RX ring is set, COPY messages otherwise,
 *   and NLMSG_ERROR acknowledgments for messages sent with NLM_F_ACK), or
 *   fails with EAGAIN (non-blocking) / blocks.  A buffer too small for the
 *   message fails with EMSGSIZE and leaves it queued.  The backlog holds
 *   at most NFQRING_BACKLOG_BYTES of memory (what its messages take, not
 *   their length); what does not fit is refused: dropped and counted in
 *   queue_user_dropped and backlog_drops, or accepted with
 *   NFQA_CFG_F_FAIL_OPEN.  Its messages (acknowledgments too) are charged
 *   to the memory cgroup of the process that opened the endpoint; one that
 *   the cgroup's limit refuses is refused the same way (and counted in
 *   alloc_failed of /proc/net/netfilter/nfqring_stats).  After an RX
 *   overrun or a refusal the next read() fails once with ENOBUFS.
 *   write() takes one or more messages in one buffer (at most
 *   NFQRING_WRITE_MAX bytes) and processes them in order.  It returns the
 *   number of bytes of the messages processed without error; when the first
 *   message fails it returns -1 with that message's error.  So a short
 *   count means the message at that offset failed: write it again to see
 *   its error.  A message sent with NLM_F_ACK also gets an
 *   NLMSG_ERROR acknowledgment in the read() backlog.  Messages without
 *   NLM_F_REQUEST are ignored, as netlink does.  write(fd, NULL, 0) flushes
 *   the TX ring and returns the number of frames processed.  A TX frame
 *   that fails while write() flushes is counted in tx_errors and
 *   tx_last_error of NFQRING_GET_STATS; only NFQRING_TX_FLUSH reports such
 *   an error as its result.
 *
 * poll(2)
 *   POLLIN   a VALID or COPY frame waits, or the backlog is not empty;
 *   POLLOUT  the TX ring has an UNUSED frame (always without a TX ring);
 *   POLLERR  an RX overrun happened since the last read(); read() clears it.
 *   The kernel wakes pollers when it publishes a frame or queues a message.
 *
 * Version 2: the control page, wake-up moderation, the stall watchdog
 *   An endpoint speaks version 1 (everything above, unchanged) until it
 *   asks for version 2 with ioctl(fd, NFQRING_SET_VERSION, 2); until then
 *   NFQRING_GET_VERSION returns 1, so a program written for version 1 never
 *   sees anything new.  Version 2 adds, per endpoint:
 *
 *   The control page (struct nfqring_ctrl): one page, zeroed, mapped with
 *     mmap(NULL, NFQRING_CTRL_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, fd,
 *          NFQRING_CTRL_OFFSET)
 *   independently of the ring mapping (it does not stop ring set-up).  It
 *   holds four sequence numbers, 32 bits each, that wrap (compare them by
 *   difference, (__u32)(a - b)), and a flags word:
 *     rx_prod  kernel: RX frames published (VALID or COPY), incremented with
 *              a store-release after the frame's status;
 *     rx_cons  user:   RX frames taken: advanced as the consumer's cursor
 *              moves past a frame, whether it releases the frame then or
 *              keeps it (SKIP) for later;
 *     tx_prod  user:   TX frames made VALID;
 *     tx_cons  kernel: TX frames processed;
 *     flags    NFQRING_CTRL_NEED_WAKEUP: set by the consumer before it
 *              sleeps; cleared by the kernel when it wakes it.
 *   Setting up a ring sets its two sequence numbers to the same value (not
 *   necessarily 0: read them after the set-up).  A frame's position stays
 *   the consumer's own cursor, (i + 1) % frame_nr: sequence numbers count,
 *   they do not index.  The status words remain the truth for who owns a
 *   frame: the kernel reads rx_cons, tx_prod and flags once, as hints for
 *   when to wake and what poll() says, bounds them, and never relies on
 *   them for memory safety.  poll() is O(1) from them: POLLIN when rx_prod
 *   differs from rx_cons (or the backlog has a message), POLLOUT when fewer
 *   than tx_frame_nr TX frames are outstanding (tx_prod - tx_cons).
 *
 *   Wake-up moderation: the kernel wakes a version-2 consumer only when it
 *   asked (NEED_WAKEUP), and then only when wake_nr frames were published
 *   since, or watermark frames of the RX ring are in use, or a frame
 *   filled its queue (maxlen), or max_delay_us has passed since the first
 *   of them, or the frame came after idle_us without any (NFQRING_SET_WAKE).
 *   Overruns and
 *   acknowledgments wake at once.  So a frame waits at most max_delay_us
 *   for a sleeping consumer.  The protocol that loses no wake-up:
 *     consumer: store NEED_WAKEUP; full barrier
 *               (__atomic_thread_fence(__ATOMIC_SEQ_CST)); look at the next
 *               frame's status again; sleep in poll() only if it is not
 *               ready;
 *     kernel:   store the frame's status (release); full barrier; load
 *               flags; wake (and clear NEED_WAKEUP) if it is set.
 *   Either side may see the other's store late, never both.  poll() also
 *   sets NEED_WAKEUP when it finds nothing to report, so a consumer that
 *   forgets cannot sleep for ever in poll() or a level-triggered epoll
 *   (edge-triggered epoll does not ask again: such a consumer must set the
 *   flag).  A consumer that is still working needs no system call to be
 *   told of new frames: it looks at the next status.
 *
 *   The stall watchdog (NFQRING_SET_STALL): when packets wait and the
 *   consumer has neither released an RX frame nor had a verdict taken for
 *   stall_ms, the kernel applies the stall verdict (NF_ACCEPT or NF_DROP) to
 *   what waits and to every new packet of the endpoint's queues, until the
 *   consumer moves again (a verdict, a released frame).  It counts it
 *   (struct nfqring_wake_stats) and says so once in the kernel log.
 */
#ifndef _UAPI_LINUX_NFQRING_H
#define _UAPI_LINUX_NFQRING_H

#include <linux/types.h>
#include <linux/ioctl.h>
#include <linux/netlink.h>

#define NFQRING_DEVICE		"/dev/nfqring"
#define NFQRING_DEVICE_NAME	"nfqring"

/* What an endpoint speaks when it is opened (NFQRING_GET_VERSION). */
#define NFQRING_ABI_VERSION	1
/* The control page, wake-up moderation, the stall watchdog (above). */
#define NFQRING_ABI_VERSION_2	2

/* Frame status words: the values of the old enum nl_mmap_status. */
#define NFQRING_STATUS_UNUSED	0
#define NFQRING_STATUS_RESERVED	1
#define NFQRING_STATUS_VALID	2
#define NFQRING_STATUS_COPY	3
#define NFQRING_STATUS_SKIP	4

/* Frame header length and alignment: the old NL_MMAP_HDRLEN and
 * NL_MMAP_MSG_ALIGNMENT, which <linux/netlink.h> hides from the kernel.
 */
#define NFQRING_FRAME_ALIGN	4
#define NFQRING_HDRLEN		((sizeof(struct nl_mmap_hdr) + NFQRING_FRAME_ALIGN - 1) & \
				 ~(NFQRING_FRAME_ALIGN - 1))

/* Limits per ring. */
#define NFQRING_MAX_RING_BYTES	(256U << 20)
#define NFQRING_MAX_FRAMES	65536U
/* Bytes the read() backlog of one endpoint may hold. */
#define NFQRING_BACKLOG_BYTES	(8U << 20)

#define NFQRING_IOC_MAGIC	0xf7

/* Result of one TX flush. */
struct nfqring_tx_result {
	__u32	processed;	/* frames processed without error */
	__u32	frame;		/* ring index (0..frame_nr-1) of the frame
				 * that failed, if error
				 */
	__s32	error;		/* 0, or the negative errno of that frame */
	__u32	reserved;
};

/* Figures of one endpoint, for monitoring and tests. */
struct nfqring_stats {
	__u64	rx_frames;	/* frames published VALID */
	__u64	rx_copy;	/* messages sent as COPY (too big for a frame) */
	__u64	rx_overruns;	/* messages that found the RX head frame busy */
	__u64	backlog_msgs;	/* messages queued for read() */
	__u64	backlog_drops;	/* messages the full read() backlog refused */
	__u64	tx_frames;	/* TX frames processed */
	__u64	tx_errors;	/* TX frames whose message failed */
	__u64	tx_flushes;	/* TX flushes that processed a frame (batches) */
	__u64	writes;		/* write() calls with messages */
	__s32	tx_last_error;	/* errno of the last failed TX frame, negative */
	__u32	tx_last_frame;	/* and its index */
	__u32	rx_frame_nr;
	__u32	rx_frame_size;
	__u32	tx_frame_nr;
	__u32	tx_frame_size;
	__u32	backlog_bytes;	/* memory the messages for read() take */
	__u32	queues;		/* queues bound through this endpoint */
};

/* The largest write(). */
#define NFQRING_WRITE_MAX	(4U << 20)

/* Version 2: the control page.  Each side's words on their own cache line. */
#define NFQRING_CTRL_OFFSET	0x40000000U	/* mmap() offset, 1 GiB */
#define NFQRING_CTRL_SIZE	4096U		/* one page (rounded up to it) */
#define NFQRING_CTRL_NEED_WAKEUP	(1U << 0)

struct nfqring_ctrl {
	__u32	rx_prod;	/* kernel */
	__u32	__pad0[15];
	__u32	rx_cons;	/* user */
	__u32	flags;		/* user sets NEED_WAKEUP, the kernel clears it */
	__u32	__pad1[14];
	__u32	tx_prod;	/* user */
	__u32	__pad2[15];
	__u32	tx_cons;	/* kernel */
	__u32	__pad3[15];
};

/*
 * Wake-up moderation (NFQRING_SET_WAKE).  Zero fields take the defaults;
 * the kernel clamps what it is given and writes back what it uses:
 *   wake_nr       1 .. rx frame count (default NFQRING_WAKE_NR, at most the
 *                 ring's frames; 1 wakes for every frame);
 *   watermark     1 .. rx frame count (default: half the ring);
 *   max_delay_us  1 .. NFQRING_WAKE_MAX_DELAY_US (default
 *                 NFQRING_WAKE_DELAY_US; it is 0, no timer, when wake_nr
 *                 is 1 and max_delay_us was left 0);
 *   idle_us       1 .. NFQRING_WAKE_MAX_DELAY_US, or NFQRING_WAKE_IDLE_OFF
 *                 (default NFQRING_WAKE_IDLE_US): a frame published when
 *                 nothing was for idle_us wakes a sleeping consumer at
 *                 once.  No batch is coming at that rate: waiting for one
 *                 would only add latency (and a timer).  Before version 2
 *                 learnt it this field was "reserved", 0 (such programs
 *                 get the default); a module of that time refuses another
 *                 value with EINVAL and writes back the 0 it was given:
 *                 an idle_us of 0 back means no idle wake-up.
 */
struct nfqring_wake {
	__u32	wake_nr;
	__u32	watermark;
	__u32	max_delay_us;
	union {
		__u32	idle_us;
		__u32	reserved;	/* its name before: programs keep compiling */
	};
};

/*
 * The defaults, chosen by measurement (docs/benchmarks.md, "Choosing the
 * wait defaults"): a batch of up to 32 frames, and a frame waits at most
 * 1 ms for a sleeping consumer (below 32,000 frames a second, where the
 * count does not come first).  Latency-sensitive consumers set less.
 */
#define NFQRING_WAKE_NR			32U
#define NFQRING_WAKE_DELAY_US		1000U
#define NFQRING_WAKE_MAX_DELAY_US	100000U
/*
 * Waking at once after 250 us of quiet costs a wake-up per frame below
 * 4,000 frames a second, where stock NFQUEUE pays one too, and keeps lone
 * packets from waiting max_delay_us; at the rates where batches form,
 * frames come closer together than that.
 */
#define NFQRING_WAKE_IDLE_US		250U
#define NFQRING_WAKE_IDLE_OFF		0xffffffffU

/*
 * The stall watchdog (NFQRING_SET_STALL): stall_ms 0 switches it off, else
 * NFQRING_STALL_MIN_MS .. NFQRING_STALL_MAX_MS; verdict NF_ACCEPT or NF_DROP.
 */
struct nfqring_stall {
	__u32	stall_ms;
	__u32	verdict;
};

#define NFQRING_STALL_MIN_MS	10U
#define NFQRING_STALL_MAX_MS	600000U

/* What moderation and the watchdog did (NFQRING_GET_WAKE_STATS). */
struct nfqring_wake_stats {
	__u64	wakeups;	/* wake-ups of sleeping consumers */
	__u64	wake_nr_hits;	/* ... because wake_nr frames waited */
	__u64	watermark_hits;	/* ... ring past its watermark, a queue full, an ack */
	__u64	timer_wakeups;	/* ... because max_delay_us passed */
	__u64	skipped;	/* frames published with nobody asking to be woken */
	__u64	stalls;		/* times the watchdog found the consumer stalled */
	__u64	stall_verdicts;	/* packets the watchdog gave the stall verdict */
	__u32	stalled;	/* 1 while stalled */
	union {
		__u32	idle_wakeups;	/* wake-ups after idle_us of quiet (wraps) */
		__u32	reserved;	/* its name before */
	};
};

/* Returns NFQRING_ABI_VERSION. */
#define NFQRING_GET_VERSION	_IO(NFQRING_IOC_MAGIC, 0)
/* Set up or tear down a ring (argument: struct nl_mmap_req). */
#define NFQRING_SET_RX_RING	_IOW(NFQRING_IOC_MAGIC, 1, struct nl_mmap_req)
#define NFQRING_SET_TX_RING	_IOW(NFQRING_IOC_MAGIC, 2, struct nl_mmap_req)
/*
 * Process the VALID TX frames in order.  Returns the number processed.  When
 * a frame's message fails, that frame is released, processing stops there,
 * the call fails with the message's error, and the optional argument (may be
 * NULL) says how many frames went before it and which frame failed.
 */
#define NFQRING_TX_FLUSH	_IOR(NFQRING_IOC_MAGIC, 3, struct nfqring_tx_result)
#define NFQRING_GET_STATS	_IOR(NFQRING_IOC_MAGIC, 4, struct nfqring_stats)
/* Version 2 (argument: the version wanted, by value).  Returns it, or fails
 * with EINVAL for a version the module does not speak.  Going back to 1 is
 * refused (EBUSY) once the control page exists; so is going to 2 while
 * frames are in flight (RX frames not released, or the TX frame the next
 * flush would process is VALID), whose sequence numbers could not start in
 * step.  Ask before packets arrive: after the ring set-up, before or right
 * after BIND.
 */
#define NFQRING_SET_VERSION	_IO(NFQRING_IOC_MAGIC, 5)
/* Set moderation; the struct comes back with the values in use.  A version-1
 * endpoint gets EOPNOTSUPP from these three.
 */
#define NFQRING_SET_WAKE	_IOWR(NFQRING_IOC_MAGIC, 6, struct nfqring_wake)
#define NFQRING_SET_STALL	_IOW(NFQRING_IOC_MAGIC, 7, struct nfqring_stall)
#define NFQRING_GET_WAKE_STATS	_IOR(NFQRING_IOC_MAGIC, 8, struct nfqring_wake_stats)
/*
 * How requests written to the endpoint (write(), TX frames) are acknowledged
 * (argument by value):
 *   NFQRING_ACKS_REQUESTED  the default: an NLMSG_ERROR through read() for a
 *                           request with NLM_F_ACK, none otherwise;
 *   NFQRING_ACKS_NETLINK    as a netlink socket with an RX ring (3.10-4.5):
 *                           a failed request is acknowledged with or without
 *                           NLM_F_ACK, and while there is an RX ring each
 *                           acknowledgment takes the RX head frame: built in
 *                           it (VALID) when it fits, else marked COPY with
 *                           the message for read(); no free frame (or no
 *                           memory): lost, and an overrun reported (POLLERR,
 *                           ENOBUFS).  Setting an RX ring empties the read()
 *                           backlog, as netlink emptied its receive queue.
 * EINVAL for another value; EBUSY for a change while there is an RX ring.
 * Unlike netlink, a write() still stops at its first failed message and a
 * flush at its first failed frame (libnfqring-nlmmap, which sets NETLINK,
 * writes one message at a time and flushes again), a control message
 * (type below NLMSG_MIN_TYPE) is refused with EINVAL rather than skipped,
 * and acknowledgments do not echo the request (NLM_F_CAPPED, as with
 * NETLINK_CAP_ACK).
 */
#define NFQRING_SET_ACKS	_IO(NFQRING_IOC_MAGIC, 9)
#define NFQRING_ACKS_REQUESTED	0
#define NFQRING_ACKS_NETLINK	1

#endif /* _UAPI_LINUX_NFQRING_H */
