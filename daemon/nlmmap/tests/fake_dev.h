/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* A fake /dev/nfqring endpoint behind struct nlm_ops, for the host tests:
 * an eventfd stands for the device (readable while its backlog holds a
 * message), rings are anonymous memory, requests are judged by rules
 * simple enough to script. */
#ifndef NLM_FAKE_DEV_H
#define NLM_FAKE_DEV_H

#include "nlmmap.h"

#define FD_MAX_MSGS	64
#define FD_MSG_MAX	4096
#define FD_QUEUES	8
#define FD_PKTS		1024
#define FD_BAD_QUEUE	13	/* a request for this queue fails with ENOENT */

struct fake_dev {
	int open_error;			/* -errno open_dev returns, 0: works */
	int opens, set_rings, flushes, writes, reads;
	int busy;			/* set_ring fails with EBUSY */
	struct nl_mmap_req rx, tx;
	/* the read() backlog */
	unsigned char msgs[FD_MAX_MSGS][FD_MSG_MAX];
	size_t lens[FD_MAX_MSGS];
	int head, n;
	int read_error;			/* returned once by the next read, e.g. -ENOBUFS */
	/* scripted TX flushes: results in order, then 0 */
	int flush_ret[8];
	struct nfqring_tx_result flush_res[8];
	int flush_n, flush_i;
	int last_dev;

	/*
	 * Kernel mode (the end-to-end test): the fake processes TX frames and
	 * written messages as the module does - CONFIG binds queues, VERDICT
	 * and VERDICT_BATCH judge the packets fake_publish() put in the RX
	 * ring - instead of the scripted flushes above.
	 */
	bool kernel;
	unsigned char *map;			/* the rings, as mapped */
	unsigned int rx_head, tx_head;
	bool bound[FD_QUEUES];
	uint32_t next_id[FD_QUEUES];
	struct {
		uint16_t queue;
		uint32_t id;
		int verdict;			/* -1: none yet */
		uint32_t seq;			/* the datagram's number */
	} pkts[FD_PKTS];
	int npkts, verdicts, double_verdicts;
	int ack_frames, lost_acks;	/* acknowledgments in RX frames, lost */
};

extern struct fake_dev fake;
extern const struct nlm_ops fake_ops;

/* Reset the fake and point the library at it. */
void fake_reset(void);
/* Queue a message for read() (and make the device readable). */
void fake_push(const void *msg, size_t len);
/* Kernel mode: one UDP datagram (number seq, len bytes of data) queued to
 * queue: into the next RX frame, or COPY and the backlog.  false when the
 * head frame is busy (try again) or the queue is not bound. */
bool fake_publish(uint16_t queue, uint32_t seq, size_t len);

#endif
