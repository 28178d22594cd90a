/* SPDX-License-Identifier: GPL-2.0 */
/* The ring transport's endpoint (endpoint.c), as dev.c and proc.c see it. */
#ifndef _NFQR_ENDPOINT_H
#define _NFQR_ENDPOINT_H

#include <linux/atomic.h>
#include <linux/fs.h>
#include <linux/hrtimer.h>
#include <linux/timer.h>
#include <linux/mutex.h>
#include <linux/poll.h>
#include <linux/seq_file.h>
#include <linux/spinlock.h>
#include <linux/wait.h>
#include <linux/workqueue.h>
#include <uapi/linux/nfqring.h>

#include "internal.h"

struct mem_cgroup;
struct nfqr_ring;

enum {
	NFQR_EP_OVERRUN,	/* flags bit: POLLERR until read() says ENOBUFS */
	NFQR_EP_NETLINK_ACKS,	/* NFQRING_ACKS_NETLINK */
};

/* Version 2: the control page and wake-up moderation (wake.c). */
struct nfqr_wake {
	struct page		*page;		/* the control page */
	struct nfqring_ctrl	*ctrl;		/* mapped to userspace: hostile */
	struct nfqring_wake	req;		/* as asked, 0 for defaults */
	u32			nr;		/* in use, for this ring */
	u32			watermark;
	u32			delay_us;
	u32			idle_us;	/* under ring_lock; IDLE_OFF: never */
	u64			idle_span;	/* idle_us in clock.h's units */
	u64			last_pub;	/* the last frame's publish, a hint */
	atomic_t		rx_prod;	/* the kernel's own rx_prod */
	u32			tx_cons;	/* under tx_mutex */
	atomic_t		unannounced;	/* published since NEED_WAKEUP */
	atomic_t		armed;		/* the timer is pending */
	struct hrtimer		timer;		/* max_delay_us */
	atomic64_t		wakeups, nr_hits, watermark_hits, timer_wakeups;
	atomic64_t		idle_wakeups, skipped;
};

/* Version 2: the stall watchdog (stall.c). */
struct nfqr_stall {
	u32			ms;		/* 0: off */
	u32			verdict;	/* NF_ACCEPT or NF_DROP */
	bool			stalled;
	struct timer_list	timer;
	struct work_struct	work;		/* gives the queued the verdict */
	unsigned long		last_move;	/* jiffies; the timer's own */
	u64			seen_moves;	/* the timer's own */
	u32			seen_cons;	/* the timer's own */
	u32			owed_prod;	/* the timer's own: rx_prod when it */
	bool			owed_valid;	/* last woke a waiting consumer */
	atomic64_t		moves;		/* TX frames and messages processed */
	atomic64_t		stalls, verdicts;
};

struct nfqr_endpoint {
	struct nfqr_peer	peer;		/* owner of its queues */
	struct net		*net;		/* the opener's, referenced */
	pid_t			pid;		/* the opener, for /proc */
	struct mem_cgroup	*memcg;		/* the opener's: pays the backlog */
	wait_queue_head_t	wq;
	unsigned long		flags;

	struct mutex		ring_mutex;	/* ring set-up against mmap */
	atomic_t		mapped;		/* vmas of this endpoint */

	/*
	 * RX frame indices are kept in [0, frame_nr): a free-running counter
	 * taken modulo a frame count that is not a power of two would jump at
	 * 2^32.  rx_used (at most frame_nr) says how many frames from rx_tail
	 * on were taken and not yet seen released, so that no walk over the
	 * ring goes further than the ring.
	 */
	spinlock_t		ring_lock;	/* ring pointers, RX indices */
	struct nfqr_ring	*rx;
	struct nfqr_ring	*tx;
	u32			rx_head;	/* next frame to take */
	u32			rx_tail;	/* oldest frame not seen released */
	u32			rx_used;	/* frames from rx_tail to rx_head */
	u32			rx_reclaim_at;	/* rx_used from which enqueue reclaims */
	u32			rx_room;	/* a hint, read without the lock */
	u32			tx_frame_nr;	/* for poll(), read without the lock */
	u64			rx_synced_binds; /* peer.binds at the last RX set-up's wait */

	struct mutex		tx_mutex;	/* TX processing and write() */
	u32			tx_head;	/* next TX frame to look at */
	void			*tx_buf;	/* one TX message, copied out */

	struct mutex		read_mutex;	/* one reader at a time */
	spinlock_t		backlog_lock;
	struct list_head	backlog;	/* messages for read(), in order */
	u32			backlog_bytes;
	u32			backlog_gen;	/* moves when RX set-up empties it */

	bool			v2;		/* speaks version 2: wake and stall */
	struct nfqr_wake	wake;
	struct nfqr_stall	stall;

	struct {
		atomic64_t	rx_frames, rx_copy, rx_overruns;
		atomic64_t	backlog_msgs, backlog_drops;
		atomic64_t	tx_frames, tx_errors, tx_flushes, writes;
		s32		tx_last_error;
		u32		tx_last_frame;
	} stats;
};

struct nfqr_endpoint *nfqr_ep_create(struct net *net);
void nfqr_ep_release(struct nfqr_endpoint *ep);
int nfqr_ep_set_ring(struct nfqr_endpoint *ep, bool tx,
		     const struct nl_mmap_req *req);
int nfqr_ep_mmap(struct nfqr_endpoint *ep, struct vm_area_struct *vma);
int nfqr_ep_flush(struct nfqr_endpoint *ep, struct nfqring_tx_result *res);
int nfqr_ep_set_acks(struct nfqr_endpoint *ep, unsigned long mode);
ssize_t nfqr_ep_write(struct nfqr_endpoint *ep, const char __user *buf,
		      size_t len);
ssize_t nfqr_ep_read(struct nfqr_endpoint *ep, char __user *buf, size_t count,
		     bool nonblock);
__poll_t nfqr_ep_poll(struct nfqr_endpoint *ep, struct file *file,
		      poll_table *wait);
void nfqr_ep_stats(struct nfqr_endpoint *ep, struct nfqring_stats *st);

void nfqr_ep_wake(struct nfqr_endpoint *ep);
bool nfqr_ep_frames_in_flight(struct nfqr_endpoint *ep);
void nfqr_ep_rx_reclaim_all(struct nfqr_endpoint *ep);

/* wake.c */
void nfqr_wake_init(struct nfqr_endpoint *ep);
void nfqr_wake_release(struct nfqr_endpoint *ep);
int nfqr_wake_set_version(struct nfqr_endpoint *ep, unsigned long version);
int nfqr_wake_set(struct nfqr_endpoint *ep, struct nfqring_wake *req);
void nfqr_wake_reset_rx(struct nfqr_endpoint *ep);
void nfqr_wake_reset_tx(struct nfqr_endpoint *ep);
void nfqr_wake_tx_done(struct nfqr_endpoint *ep, u32 n);
/* What a published frame holds, for moderation (nfqr_wake_published()). */
enum nfqr_pub {
	NFQR_PUB_PACKET,
	NFQR_PUB_FILLED,	/* a packet that filled its queue */
	NFQR_PUB_ACK,		/* an acknowledgment */
};

/* nfqr_wake_published(): wake.h, inline in the enqueue */
int nfqr_wake_mmap(struct nfqr_endpoint *ep, struct vm_area_struct *vma);
__poll_t nfqr_wake_poll(struct nfqr_endpoint *ep);
void nfqr_wake_stats(struct nfqr_endpoint *ep, struct nfqring_wake_stats *st);
void nfqr_wake_owed(struct nfqr_endpoint *ep);

/* stall.c */
void nfqr_stall_init(struct nfqr_endpoint *ep);
void nfqr_stall_release(struct nfqr_endpoint *ep);
int nfqr_stall_set(struct nfqr_endpoint *ep, const struct nfqring_stall *req);
void nfqr_stall_moved(struct nfqr_endpoint *ep);
void nfqr_stall_stats(struct nfqr_endpoint *ep, struct nfqring_wake_stats *st);

bool nfqr_peer_is_ring(const struct nfqr_peer *peer);
void nfqr_ep_show(struct seq_file *s, struct nfqr_peer *peer);

#endif /* _NFQR_ENDPOINT_H */
