/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* libnfqring internals: the handle, the system-call table tests replace,
 * ring addressing and the helpers the source files share. */
#ifndef NFQRING_INTERNAL_H
#define NFQRING_INTERNAL_H

#include <poll.h>
#include <stdarg.h>
#include <sys/socket.h>
#include <sys/types.h>

#include "nfqring.h"

#define NFQRING_INTERNAL __attribute__((visibility("hidden")))

/* Every system call the library makes, so that tests can play the kernel. */
struct nfqring_ops {
	int (*open)(const char *path, int flags);
	int (*close)(int fd);
	int (*ioctl)(int fd, unsigned long req, void *arg);
	void *(*mmap)(void *addr, size_t len, int prot, int flags, int fd, off_t off);
	int (*munmap)(void *addr, size_t len);
	ssize_t (*read)(int fd, void *buf, size_t len);
	ssize_t (*write)(int fd, const void *buf, size_t len);
	int (*poll)(struct pollfd *fds, nfds_t nfds, int timeout);
	long (*page_size)(void);
	/* the netlink backend: a NETLINK_NETFILTER socket, bound (autobind) */
	int (*nl_socket)(void);
	int (*setsockopt)(int fd, int level, int name, const void *val, socklen_t len);
	int (*recvmmsg)(int fd, struct mmsghdr *v, unsigned int n, int flags);
	ssize_t (*sendmsg)(int fd, const struct msghdr *m, int flags);
};

extern const struct nfqring_ops nfqring_sys_ops NFQRING_INTERNAL;

/* nfqring_open() with another system-call table (tests). */
int nfqring_open_ops(struct nfqring **hp, const struct nfqring_ops *ops,
		     char *errbuf, size_t errlen) NFQRING_INTERNAL;
int nfqring_open_ops_backend(struct nfqring **hp, enum nfqring_backend backend,
			     const struct nfqring_ops *ops, char *errbuf,
			     size_t errlen) NFQRING_INTERNAL;

/* One mapped ring. */
struct ring {
	unsigned char *base;		/* NULL: no ring */
	uint32_t block_size, frame_size, frame_nr, frames_per_block;
	size_t size;			/* block_size * block_nr */
	uint32_t head;			/* next frame to look at / fill */
};

/* The last packet id handed out for a bound queue. */
struct queue_seen {
	uint16_t queue;
	bool any;			/* an id was handed out */
	bool fresh;			/* ids handed out since the last batch */
	uint32_t last_id;
	uint32_t batch_id;		/* last_id when the last batch was queued */
	uint32_t unjudged;		/* of the fresh ids, those without a verdict */
};

struct nfqring {
	enum nfqring_backend backend;
	const struct nfqring_ops *ops;
	int fd;
	bool set_up;

	void *map;			/* both rings, one mapping */
	size_t map_size;
	struct ring rx, tx;
	uint32_t tx_pending;		/* VALID TX frames not yet flushed */

	/* the packet handed out last: its frame is released on the next call */
	uint32_t cur_frame;		/* UINT32_MAX: none / copied */

	unsigned char *copy_buf;	/* read() / recv buffer */
	size_t copy_size;
	unsigned char *wbuf;		/* verdicts waiting for write() */
	size_t wcap, wlen;
	uint32_t wcount;		/* messages in wbuf */

	struct queue_seen *seen;	/* grown by nfqring_bind() */
	uint32_t seen_nr, seen_cap;
	uint32_t seq;

	struct nfqring_lib_stats st;
	struct nfqring_tx_error tx_err;

	/* ABI version 2 (control.c): the control page, else NULL */
	struct nfqring_ctrl *ctrl;
	uint32_t rx_taken;		/* rx_cons, published before waiting */
	uint32_t tx_made;		/* tx_prod, published at a flush */
	uint32_t spin_max_ns;		/* nfqring_set_wait()'s spin_us */
	uint32_t spin_ns;		/* the spin the next wait may take */
	struct nfqring_wake wake;	/* the kernel's moderation, as last set */
	uint32_t batch_min;		/* nfqring_set_batch(); 0: off */
	struct nfqring_wait_stats wst;	/* the library's part */

	struct netlink_state *nl;	/* the netlink backend, else NULL */
	char err[NFQRING_ERRBUF_SIZE];
};

#define NO_FRAME UINT32_MAX

/* ---- helpers ---- */

/* Record a message and return err (a negative errno). */
int seterr(struct nfqring *h, int err, const char *fmt, ...)
	__attribute__((format(printf, 3, 4))) NFQRING_INTERNAL;

static inline struct nl_mmap_hdr *ring_frame(const struct ring *r, uint32_t i)
{
	return (struct nl_mmap_hdr *)(r->base + (size_t)(i / r->frames_per_block) * r->block_size +
				      (size_t)(i % r->frames_per_block) * r->frame_size);
}

static inline unsigned int frame_status(const struct nl_mmap_hdr *hdr)
{
	return __atomic_load_n(&hdr->nm_status, __ATOMIC_ACQUIRE);
}

static inline void frame_set_status(struct nl_mmap_hdr *hdr, unsigned int status)
{
	__atomic_store_n(&hdr->nm_status, status, __ATOMIC_RELEASE);
}

static inline uint16_t nfq_msg_type(uint8_t msg)
{
	return (uint16_t)((NFNL_SUBSYS_QUEUE << 8) | msg);
}

/* control.c: ABI version 2 */
int ctrl_setup(struct nfqring *h) NFQRING_INTERNAL;
void ctrl_close(struct nfqring *h) NFQRING_INTERNAL;
int ctrl_wait(struct nfqring *h, int timeout_ms) NFQRING_INTERNAL;
int ctrl_wait_batch(struct nfqring *h, int timeout_ms) NFQRING_INTERNAL;

/* Tell the kernel how far this handle got (version 2; hints for poll()). */
static inline void ctrl_publish(struct nfqring *h)
{
	if (h->ctrl) {
		__atomic_store_n(&h->ctrl->rx_cons, h->rx_taken, __ATOMIC_RELEASE);
		__atomic_store_n(&h->ctrl->tx_prod, h->tx_made, __ATOMIC_RELEASE);
	}
}

/* poll.c */
bool head_ready(const struct nfqring *h) NFQRING_INTERNAL;
int wait_poll(struct nfqring *h, int timeout_ms) NFQRING_INTERNAL;

/* packet.c: parse one PACKET message of len bytes (bounds-checked). */
int packet_parse(const void *msg, size_t len, struct nfqring_packet *pkt) NFQRING_INTERNAL;

/* seen.c: the last id handed out per bound queue. */
int seen_add(struct nfqring *h, uint16_t queue) NFQRING_INTERNAL;
void seen_remove(struct nfqring *h, uint16_t queue) NFQRING_INTERNAL;
void seen_note(struct nfqring *h, uint16_t queue, uint32_t id) NFQRING_INTERNAL;
/* A single verdict for id, or a batch up to id, was queued. */
void seen_judged(struct nfqring *h, uint16_t queue, uint32_t id, bool batch) NFQRING_INTERNAL;
struct queue_seen *seen_at(struct nfqring *h, uint32_t i) NFQRING_INTERNAL;

/* messages.c: build messages; return the length or 0 if it does not fit in cap. */
size_t msg_verdict(void *buf, size_t cap, uint32_t seq, uint8_t type,
		   const struct nfqring_verdict *v) NFQRING_INTERNAL;
size_t msg_verdict_size(uint8_t type, const struct nfqring_verdict *v) NFQRING_INTERNAL;
/* what: 0 command, else the attribute (NFQA_CFG_PARAMS, ...) filled from the args */
struct config_req {
	uint16_t queue;
	uint8_t cmd;			/* NFQNL_CFG_CMD_*, or NONE */
	bool params, maxlen, flags;
	uint8_t mode;
	uint32_t range, qmaxlen, fvalue, fmask;
};
size_t msg_config(void *buf, size_t cap, uint32_t seq, uint32_t nlflags,
		  const struct config_req *c) NFQRING_INTERNAL;
/* Read queue/id/type back from a verdict message we built (error reports);
 * reads nothing past len, whatever the message says. */
void msg_describe(const void *msg, size_t len, struct nfqring_tx_error *e) NFQRING_INTERNAL;
/* The nlmsg_len of the message at msg when it holds a header and fits in the
 * len bytes there, else 0. */
uint32_t msg_len_in(const void *msg, size_t len) NFQRING_INTERNAL;
/* Calls cb for each attribute of the message's first mlen bytes from offset
 * off (type without flags, payload length); an attribute shorter than its
 * header or running past mlen stops the walk: -1.  Returns 1 when all were
 * walked, else what cb returned to stop it (<= 0). */
int msg_attrs(const void *msg, uint32_t mlen, size_t off,
	      int (*cb)(const struct nlattr *a, uint16_t type, uint16_t plen, void *data),
	      void *data) NFQRING_INTERNAL;

/* rx.c: hand out one PACKET message; note an NLMSG_ERROR for a message we sent. */
int rx_hand_out(struct nfqring *h, const void *msg, size_t len,
		struct nfqring_packet *pkt) NFQRING_INTERNAL;
void rx_note_ack(struct nfqring *h, const struct nlmsghdr *nlh, size_t len) NFQRING_INTERNAL;

/* tx.c */
int tx_write_now(struct nfqring *h, const void *msg, size_t len) NFQRING_INTERNAL;

/* netlink.c: the netlink backend (NULL-safe no-ops when h->nl is NULL). */
int nl_open(struct nfqring *h) NFQRING_INTERNAL;
void nl_close(struct nfqring *h) NFQRING_INTERNAL;
int nl_setup(struct nfqring *h, struct nfqring_ring_params *p) NFQRING_INTERNAL;
int nl_next(struct nfqring *h, struct nfqring_packet *pkt) NFQRING_INTERNAL;
int nl_send(struct nfqring *h, const void *buf, size_t len) NFQRING_INTERNAL;
int nl_config(struct nfqring *h, const void *msg, size_t len) NFQRING_INTERNAL;
bool nl_pending(const struct nfqring *h) NFQRING_INTERNAL;

#endif
