/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* A fake /dev/nfqring for host tests: plays the kernel's side of the rings,
 * the read() backlog and write()/TX_FLUSH, behind struct nfqring_ops. */
#ifndef FAKE_KERNEL_H
#define FAKE_KERNEL_H

#include "../internal.h"

#define FK_FD		1000
#define FK_MAX_RECS	4096
#define FK_MAX_BACKLOG	256

/* One message the kernel got from userspace, parsed. */
struct fk_rec {
	uint16_t type;			/* NFQNL_MSG_* */
	uint16_t queue;
	uint32_t id, verdict;
	bool has_mark, has_connmark, has_connmark_mask, has_payload;
	uint32_t mark, connmark, connmark_mask;
	uint32_t payload_len;
	uint8_t cfg_cmd;		/* CONFIG */
	bool has_params, has_maxlen, has_flags;
	uint32_t range, maxlen, flags, mask;
	uint8_t mode;
	bool via_ring;			/* TX frame, else write() */
	uint32_t frame;
	unsigned char raw[128];		/* first bytes of the message */
	uint32_t raw_len;		/* whole length */
};

/* A packet for the kernel to queue. */
struct fk_pkt {
	uint16_t queue;
	uint32_t id;
	uint16_t hw_protocol;
	uint8_t hook;
	const void *payload;
	uint32_t payload_len;
	bool mark_set;
	uint32_t mark, indev, outdev, uid, gid, cap_len, skb_info;
	const void *ct;			/* raw CTA attributes for NFQA_CT */
	uint32_t ct_len;
	const char *secctx;
};

struct fake_kernel {
	bool no_device;
	int version;
	long page_size;
	struct nl_mmap_req rx_req, tx_req;
	unsigned char *mem;
	size_t mem_size;
	unsigned char *rx, *tx;
	uint32_t rx_head, tx_head;

	unsigned char *backlog[FK_MAX_BACKLOG];
	size_t backlog_len[FK_MAX_BACKLOG];
	unsigned int bl_head, bl_tail;
	bool overrun;			/* the next read() fails with ENOBUFS */
	unsigned int overruns;

	struct fk_rec recs[FK_MAX_RECS];
	unsigned int nrecs;
	uint32_t fail_id;		/* verdicts for this id fail ... */
	int fail_err;			/* ... with this (negative) errno */
	int config_err;			/* CONFIG messages fail with this */
	/* like the kernel: a verdict for an id not queued, or a batch that
	 * finds no queued id, fails with ENOENT (ids modulo 65536) */
	bool track_ids;
	uint8_t queued[65536];

	unsigned int ioctls, flushes, writes, reads, polls, mmaps, munmaps, closes;

	/* ABI version 2: the control page */
	bool v2_capable;		/* NFQRING_SET_VERSION(2) succeeds */
	bool v2;
	struct nfqring_ctrl *ctrl;	/* mapped once asked for */
	uint32_t seq0;			/* where the sequences start */
	struct nfqring_wake wake;	/* the last NFQRING_SET_WAKE, as given */
	unsigned int wake_sets;		/* NFQRING_SET_WAKE calls taken */
	bool no_idle;			/* a module from before idle_us */
	struct nfqring_stall stall;
	unsigned int stall_sets;	/* NFQRING_SET_STALL calls taken */
	/* what NFQRING_GET_WAKE_STATS says of the stall watchdog */
	uint64_t stalls, stall_verdicts;
	uint32_t stalled;
	unsigned int polls_asking;	/* poll() calls with NEED_WAKEUP set */
	int poll_timeout;		/* the last poll()'s timeout */
	uint32_t poll_rx_cons;		/* and the rx_cons it found */
	/* called by poll() before it looks: a packet arriving while asleep */
	void (*on_poll)(void);

	/* netlink: a SOCK_SEQPACKET pair plays the socket; [0] is the library's */
	bool no_netlink;		/* nl_socket() fails with EPROTONOSUPPORT */
	bool no_rcvbufforce;		/* SO_RCVBUFFORCE fails with EPERM */
	bool nl_open;
	int nl_sv[2];
	int no_enobufs, rcvbuf, rcvbuf_opt;	/* what setsockopt() set */
	unsigned int recvmmsgs, sendmsgs, nl_acks;
};

extern struct fake_kernel fk;
extern const struct nfqring_ops fk_ops;

void fk_reset(void);
/* Build a PACKET message; returns its length (0: does not fit). */
size_t fk_build_packet(void *buf, size_t cap, const struct fk_pkt *p);
/* Queue a packet like the kernel: RX frame (VALID or COPY + backlog), or
 * backlog without a ring.  Returns 0, or -1 on an overrun (head busy). */
int fk_queue_packet(const struct fk_pkt *p);
/* Put raw bytes into the RX head frame as VALID with nm_len = len. */
void fk_put_raw(const void *msg, uint32_t len, uint32_t nm_len);
struct nl_mmap_hdr *fk_rx_frame(uint32_t i);
struct nl_mmap_hdr *fk_tx_frame(uint32_t i);
/* Open a library handle on the fake kernel with ring params (NULL: defaults). */
struct nfqring *fk_open(struct nfqring_ring_params *p);
/* The same with the netlink backend (packets then go to the socket). */
struct nfqring *fk_open_netlink(struct nfqring_ring_params *p);
/* Put raw bytes on the netlink socket as one datagram. */
void fk_nl_put(const void *msg, size_t len);

#endif
