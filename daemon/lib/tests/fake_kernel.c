/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The fake kernel behind fake_kernel.h. */
#include <arpa/inet.h>
#include <errno.h>
#include <libmnl/libmnl.h>
#include <linux/netfilter/nfnetlink_conntrack.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "fake_kernel.h"

struct fake_kernel fk;

void fk_reset(void)
{
	while (fk.bl_head != fk.bl_tail)
		free(fk.backlog[fk.bl_head++ % FK_MAX_BACKLOG]);
	if (fk.nl_open) {
		close(fk.nl_sv[0]);
		close(fk.nl_sv[1]);
	}
	if (fk.ctrl)
		munmap(fk.ctrl, NFQRING_CTRL_SIZE);
	memset(&fk, 0, sizeof(fk));
	fk.version = NFQRING_ABI_VERSION;
	fk.page_size = 4096;
}

static size_t ring_size(const struct nl_mmap_req *r)
{
	return (size_t)r->nm_block_size * r->nm_block_nr;
}

static struct nl_mmap_hdr *frame_of(unsigned char *base, const struct nl_mmap_req *r, uint32_t i)
{
	uint32_t fpb = r->nm_block_size / r->nm_frame_size;

	return (struct nl_mmap_hdr *)(base + (size_t)(i / fpb) * r->nm_block_size +
				      (size_t)(i % fpb) * r->nm_frame_size);
}

struct nl_mmap_hdr *fk_rx_frame(uint32_t i)
{
	return frame_of(fk.rx, &fk.rx_req, i);
}

struct nl_mmap_hdr *fk_tx_frame(uint32_t i)
{
	return frame_of(fk.tx, &fk.tx_req, i);
}

static void backlog_push(const void *msg, size_t len)
{
	unsigned char *m = malloc(len);

	memcpy(m, msg, len);
	fk.backlog_len[fk.bl_tail % FK_MAX_BACKLOG] = len;
	fk.backlog[fk.bl_tail++ % FK_MAX_BACKLOG] = m;
}

size_t fk_build_packet(void *buf, size_t cap, const struct fk_pkt *p)
{
	struct nfqnl_msg_packet_hdr ph = { htonl(p->id), htons(p->hw_protocol), p->hook };
	struct nlmsghdr *nlh;
	struct nfgenmsg *nfg;

	if (cap < 1024 + p->payload_len + p->ct_len)
		return 0;
	nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = (NFNL_SUBSYS_QUEUE << 8) | NFQNL_MSG_PACKET;
	nfg = mnl_nlmsg_put_extra_header(nlh, sizeof(*nfg));
	nfg->nfgen_family = AF_INET;
	nfg->res_id = htons(p->queue);
	mnl_attr_put(nlh, NFQA_PACKET_HDR, sizeof(ph), &ph);
	if (p->mark_set)
		mnl_attr_put_u32(nlh, NFQA_MARK, htonl(p->mark));
	if (p->indev)
		mnl_attr_put_u32(nlh, NFQA_IFINDEX_INDEV, htonl(p->indev));
	if (p->outdev)
		mnl_attr_put_u32(nlh, NFQA_IFINDEX_OUTDEV, htonl(p->outdev));
	if (p->ct) {
		struct nlattr *n = mnl_attr_nest_start(nlh, NFQA_CT);

		memcpy(mnl_nlmsg_get_payload_tail(nlh), p->ct, p->ct_len);
		nlh->nlmsg_len += MNL_ALIGN(p->ct_len);
		mnl_attr_nest_end(nlh, n);
		mnl_attr_put_u32(nlh, NFQA_CT_INFO, htonl(2));
	}
	if (p->cap_len)
		mnl_attr_put_u32(nlh, NFQA_CAP_LEN, htonl(p->cap_len));
	if (p->skb_info)
		mnl_attr_put_u32(nlh, NFQA_SKB_INFO, htonl(p->skb_info));
	if (p->uid || p->gid) {
		mnl_attr_put_u32(nlh, NFQA_UID, htonl(p->uid));
		mnl_attr_put_u32(nlh, NFQA_GID, htonl(p->gid));
	}
	if (p->secctx)
		mnl_attr_put(nlh, NFQA_SECCTX, strlen(p->secctx), p->secctx);
	if (p->payload)
		mnl_attr_put(nlh, NFQA_PAYLOAD, p->payload_len, p->payload);
	return nlh->nlmsg_len;
}

int fk_queue_packet(const struct fk_pkt *p)
{
	static unsigned char buf[1 << 17];
	size_t len = fk_build_packet(buf, sizeof(buf), p);
	struct nl_mmap_hdr *hdr;

	fk.queued[p->id & 0xffff] = 1;

	if (fk.nl_open) {
		fk_nl_put(buf, len);
		return 0;
	}
	if (!fk.rx) {
		backlog_push(buf, len);
		return 0;
	}
	hdr = fk_rx_frame(fk.rx_head);
	if (__atomic_load_n(&hdr->nm_status, __ATOMIC_ACQUIRE) != NFQRING_STATUS_UNUSED) {
		fk.overrun = true;
		fk.overruns++;
		return -1;
	}
	hdr->nm_len = (unsigned int)len;
	if (len <= fk.rx_req.nm_frame_size - NFQRING_HDRLEN) {
		memcpy((unsigned char *)hdr + NFQRING_HDRLEN, buf, len);
		__atomic_store_n(&hdr->nm_status, NFQRING_STATUS_VALID, __ATOMIC_RELEASE);
	} else {
		backlog_push(buf, len);
		__atomic_store_n(&hdr->nm_status, NFQRING_STATUS_COPY, __ATOMIC_RELEASE);
	}
	fk.rx_head = (fk.rx_head + 1) % fk.rx_req.nm_frame_nr;
	if (fk.ctrl)
		__atomic_fetch_add(&fk.ctrl->rx_prod, 1, __ATOMIC_RELEASE);
	return 0;
}

void fk_put_raw(const void *msg, uint32_t len, uint32_t nm_len)
{
	struct nl_mmap_hdr *hdr = fk_rx_frame(fk.rx_head);

	memcpy((unsigned char *)hdr + NFQRING_HDRLEN, msg, len);
	hdr->nm_len = nm_len;
	__atomic_store_n(&hdr->nm_status, NFQRING_STATUS_VALID, __ATOMIC_RELEASE);
	fk.rx_head = (fk.rx_head + 1) % fk.rx_req.nm_frame_nr;
}

void fk_nl_put(const void *msg, size_t len)
{
	if (send(fk.nl_sv[1], msg, len, MSG_DONTWAIT) != (ssize_t)len) {
		fk.overrun = true;	/* the socket is full: the next receive fails */
		fk.overruns++;
	}
}

/* ---- messages from userspace ---- */

static int attr_cb(const struct nlattr *a, void *data)
{
	const struct nlattr **tb = data;

	if (mnl_attr_get_type(a) <= NFQA_MAX)
		tb[mnl_attr_get_type(a)] = a;
	return MNL_CB_OK;
}

/* nfqnl_recv_verdict(_batch): ENOENT when the verdict finds no packet. */
static int judge_ids(const struct fk_rec *r)
{
	bool found = false;

	if (r->type == NFQNL_MSG_VERDICT) {
		found = fk.queued[r->id & 0xffff];
		fk.queued[r->id & 0xffff] = 0;
	} else {
		for (uint32_t id = 0; id <= r->id && id < 65536; id++) {
			found |= fk.queued[id];
			fk.queued[id] = 0;
		}
	}
	return found ? 0 : -ENOENT;
}

/* Parse, record and judge one message: 0 or a negative errno. */
static int process(const struct nlmsghdr *nlh, size_t len, bool via_ring, uint32_t frame)
{
	const struct nlattr *tb[NFQA_MAX + 1] = { 0 };
	struct fk_rec *r;

	if (!mnl_nlmsg_ok(nlh, (int)len) || (nlh->nlmsg_type >> 8) != NFNL_SUBSYS_QUEUE ||
	    fk.nrecs == FK_MAX_RECS)
		return -EINVAL;
	r = &fk.recs[fk.nrecs++];
	memset(r, 0, sizeof(*r));
	r->type = nlh->nlmsg_type & 0xff;
	r->queue = ntohs(((const struct nfgenmsg *)mnl_nlmsg_get_payload(nlh))->res_id);
	r->via_ring = via_ring;
	r->frame = frame;
	r->raw_len = nlh->nlmsg_len;
	memcpy(r->raw, nlh, nlh->nlmsg_len < sizeof(r->raw) ? nlh->nlmsg_len : sizeof(r->raw));
	if (mnl_attr_parse(nlh, sizeof(struct nfgenmsg), attr_cb, tb) != MNL_CB_OK)
		return -EINVAL;
	if (r->type == NFQNL_MSG_CONFIG) {
		if (tb[NFQA_CFG_CMD])
			r->cfg_cmd = ((const struct nfqnl_msg_config_cmd *)
				      mnl_attr_get_payload(tb[NFQA_CFG_CMD]))->command;
		if (tb[NFQA_CFG_PARAMS]) {
			const struct nfqnl_msg_config_params *p = mnl_attr_get_payload(tb[NFQA_CFG_PARAMS]);

			r->has_params = true;
			r->range = ntohl(p->copy_range);
			r->mode = p->copy_mode;
		}
		if (tb[NFQA_CFG_QUEUE_MAXLEN]) {
			r->has_maxlen = true;
			r->maxlen = ntohl(mnl_attr_get_u32(tb[NFQA_CFG_QUEUE_MAXLEN]));
		}
		if (tb[NFQA_CFG_FLAGS] && tb[NFQA_CFG_MASK]) {
			r->has_flags = true;
			r->flags = ntohl(mnl_attr_get_u32(tb[NFQA_CFG_FLAGS]));
			r->mask = ntohl(mnl_attr_get_u32(tb[NFQA_CFG_MASK]));
		}
		return fk.config_err;
	}
	if (!tb[NFQA_VERDICT_HDR])
		return -EINVAL;
	const struct nfqnl_msg_verdict_hdr *vh = mnl_attr_get_payload(tb[NFQA_VERDICT_HDR]);

	r->id = ntohl(vh->id);
	r->verdict = ntohl(vh->verdict);
	if (tb[NFQA_MARK]) {
		r->has_mark = true;
		r->mark = ntohl(mnl_attr_get_u32(tb[NFQA_MARK]));
	}
	if (tb[NFQA_CT]) {
		const struct nlattr *a;

		mnl_attr_for_each_nested(a, tb[NFQA_CT])
			if (mnl_attr_get_type(a) == CTA_MARK) {
				r->has_connmark = true;
				r->connmark = ntohl(mnl_attr_get_u32(a));
			} else if (mnl_attr_get_type(a) == CTA_MARK_MASK) {
				r->has_connmark_mask = true;
				r->connmark_mask = ntohl(mnl_attr_get_u32(a));
			}
	}
	if (tb[NFQA_PAYLOAD]) {
		r->has_payload = true;
		r->payload_len = mnl_attr_get_payload_len(tb[NFQA_PAYLOAD]);
	}
	if (fk.fail_err && r->id == fk.fail_id)
		return fk.fail_err;
	return fk.track_ids ? judge_ids(r) : 0;
}

/* Process VALID TX frames from the TX head, as the kernel does. */
static int tx_flush(struct nfqring_tx_result *res)
{
	struct nfqring_tx_result rr = { 0 };
	int n = 0;

	while (fk.tx) {
		struct nl_mmap_hdr *hdr = fk_tx_frame(fk.tx_head);
		uint32_t i = fk.tx_head, len;
		int err;

		if (__atomic_load_n(&hdr->nm_status, __ATOMIC_ACQUIRE) != NFQRING_STATUS_VALID)
			break;
		len = hdr->nm_len;
		if (len > fk.tx_req.nm_frame_size - NFQRING_HDRLEN)
			len = fk.tx_req.nm_frame_size - NFQRING_HDRLEN;
		err = process((const struct nlmsghdr *)((unsigned char *)hdr + NFQRING_HDRLEN), len,
			      true, i);
		__atomic_store_n(&hdr->nm_status, NFQRING_STATUS_UNUSED, __ATOMIC_RELEASE);
		fk.tx_head = (fk.tx_head + 1) % fk.tx_req.nm_frame_nr;
		if (err) {
			rr.processed = (uint32_t)n;
			rr.frame = i;
			rr.error = err;
			if (res)
				*res = rr;
			errno = -err;
			return -1;
		}
		n++;
	}
	rr.processed = (uint32_t)n;
	if (res)
		*res = rr;
	if (fk.ctrl)
		__atomic_fetch_add(&fk.ctrl->tx_cons, (uint32_t)n, __ATOMIC_RELEASE);
	return n;
}

/* ---- the system calls ---- */

static int fk_open_(const char *path, int flags)
{
	(void)flags;
	if (strcmp(path, NFQRING_DEVICE) || fk.no_device) {
		errno = ENOENT;
		return -1;
	}
	return FK_FD;
}

static int fk_close(int fd)
{
	(void)fd;
	fk.closes++;
	return 0;
}

static int fk_ioctl(int fd, unsigned long req, void *arg)
{
	(void)fd;
	fk.ioctls++;
	switch (req) {
	case NFQRING_GET_VERSION:
		return fk.version;
	case NFQRING_SET_RX_RING:
	case NFQRING_SET_TX_RING:
		if (fk.mem) {
			errno = EBUSY;
			return -1;
		}
		*(req == NFQRING_SET_RX_RING ? &fk.rx_req : &fk.tx_req) = *(struct nl_mmap_req *)arg;
		return 0;
	case NFQRING_TX_FLUSH:
		fk.flushes++;
		return tx_flush(arg);
	case NFQRING_GET_STATS:
		memset(arg, 0, sizeof(struct nfqring_stats));
		((struct nfqring_stats *)arg)->rx_overruns = fk.overruns;
		return 0;
	case NFQRING_SET_VERSION:
		if (!fk.v2_capable || (uintptr_t)arg != NFQRING_ABI_VERSION_2)
			break;
		fk.v2 = true;
		return NFQRING_ABI_VERSION_2;
	case NFQRING_SET_WAKE:
		if (!fk.v2)
			break;
		/* a module from before the idle wake-up: "reserved" must be 0 */
		if (fk.no_idle && ((struct nfqring_wake *)arg)->idle_us) {
			errno = EINVAL;
			return -1;
		}
		fk.wake = *(struct nfqring_wake *)arg;
		fk.wake_sets++;
		if (!fk.wake.wake_nr)
			((struct nfqring_wake *)arg)->wake_nr = NFQRING_WAKE_NR;
		if (!fk.no_idle && !fk.wake.idle_us)
			((struct nfqring_wake *)arg)->idle_us = NFQRING_WAKE_IDLE_US;
		return 0;
	case NFQRING_SET_STALL:
		if (!fk.v2)
			break;
		fk.stall = *(struct nfqring_stall *)arg;
		fk.stall_sets++;
		return 0;
	case NFQRING_GET_WAKE_STATS:
		if (!fk.v2)
			break;
		memset(arg, 0, sizeof(struct nfqring_wake_stats));
		((struct nfqring_wake_stats *)arg)->wakeups = fk.polls_asking;
		((struct nfqring_wake_stats *)arg)->stalls = fk.stalls;
		((struct nfqring_wake_stats *)arg)->stall_verdicts = fk.stall_verdicts;
		((struct nfqring_wake_stats *)arg)->stalled = fk.stalled;
		return 0;
	}
	errno = ENOTTY;
	return -1;
}

static void *fk_mmap(void *addr, size_t len, int prot, int flags, int fd, off_t off)
{
	size_t want = ring_size(&fk.rx_req) + ring_size(&fk.tx_req);

	(void)addr;
	(void)prot;
	fk.mmaps++;
	if (off == NFQRING_CTRL_OFFSET && fk.v2 && len == NFQRING_CTRL_SIZE && !fk.ctrl) {
		fk.ctrl = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
			       -1, 0);
		fk.ctrl->rx_prod = fk.ctrl->rx_cons = fk.ctrl->tx_prod = fk.ctrl->tx_cons = fk.seq0;
		return fk.ctrl;
	}
	if (fd != FK_FD || off || !(flags & MAP_SHARED) || len != want || fk.mem) {
		errno = EINVAL;
		return MAP_FAILED;
	}
	fk.mem = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	fk.mem_size = len;
	fk.rx = fk.rx_req.nm_frame_nr ? fk.mem : NULL;
	fk.tx = fk.tx_req.nm_frame_nr ? fk.mem + ring_size(&fk.rx_req) : NULL;
	return fk.mem;
}

static int fk_munmap(void *addr, size_t len)
{
	fk.munmaps++;
	if (fk.ctrl && addr == fk.ctrl && len == NFQRING_CTRL_SIZE) {
		munmap(fk.ctrl, len);
		fk.ctrl = NULL;
		return 0;
	}
	if (addr != fk.mem || len != fk.mem_size) {
		errno = EINVAL;
		return -1;
	}
	munmap(fk.mem, fk.mem_size);
	fk.mem = fk.rx = fk.tx = NULL;
	return 0;
}

static ssize_t fk_read(int fd, void *buf, size_t len)
{
	size_t n;

	(void)fd;
	fk.reads++;
	if (fk.overrun) {
		fk.overrun = false;
		errno = ENOBUFS;
		return -1;
	}
	if (fk.bl_head == fk.bl_tail) {
		errno = EAGAIN;
		return -1;
	}
	n = fk.backlog_len[fk.bl_head % FK_MAX_BACKLOG];
	if (n > len) {
		errno = EMSGSIZE;
		return -1;
	}
	memcpy(buf, fk.backlog[fk.bl_head % FK_MAX_BACKLOG], n);
	free(fk.backlog[fk.bl_head++ % FK_MAX_BACKLOG]);
	return (ssize_t)n;
}

static ssize_t fk_write(int fd, const void *buf, size_t len)
{
	const unsigned char *p = buf;
	size_t off = 0;

	(void)fd;
	fk.writes++;
	tx_flush(NULL);		/* TX frames first: they were issued first */
	while (off < len) {
		const struct nlmsghdr *nlh = (const struct nlmsghdr *)(p + off);
		int err = process(nlh, len - off, false, UINT32_MAX);

		if (err) {
			if (!off) {
				errno = -err;
				return -1;
			}
			return (ssize_t)off;
		}
		off += MNL_ALIGN(nlh->nlmsg_len);
	}
	return (ssize_t)len;
}

static int fk_poll(struct pollfd *fds, nfds_t nfds, int timeout)
{
	fk.polls++;
	fk.poll_timeout = timeout;
	if (fk.ctrl)
		fk.poll_rx_cons = __atomic_load_n(&fk.ctrl->rx_cons, __ATOMIC_ACQUIRE);
	if (fk.ctrl && (__atomic_load_n(&fk.ctrl->flags, __ATOMIC_SEQ_CST) &
			NFQRING_CTRL_NEED_WAKEUP))
		fk.polls_asking++;
	if (fk.on_poll)
		fk.on_poll();
	if (fk.nl_open)		/* the real socket; never sleep */
		return poll(fds, nfds, 0);
	fds->revents = 0;
	if (fk.bl_head != fk.bl_tail)
		fds->revents |= POLLIN;
	if (fk.rx) {
		for (uint32_t i = 0; i < fk.rx_req.nm_frame_nr; i++) {
			unsigned int st = __atomic_load_n(&fk_rx_frame(i)->nm_status, __ATOMIC_ACQUIRE);
			if (st == NFQRING_STATUS_VALID || st == NFQRING_STATUS_COPY)
				fds->revents |= POLLIN;
		}
	}
	if (fk.overrun)
		fds->revents |= POLLERR;
	return fds->revents ? 1 : 0;
}

/* ---- netlink ---- */

static int fk_nl_socket(void)
{
	if (fk.no_netlink) {
		errno = EPROTONOSUPPORT;
		return -1;
	}
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, fk.nl_sv))
		return -1;
	fk.nl_open = true;
	return fk.nl_sv[0];
}

static int fk_setsockopt(int fd, int level, int name, const void *val, socklen_t len)
{
	int v = len >= sizeof(int) ? *(const int *)val : 0;

	(void)fd;
	if (level == SOL_SOCKET && name == SO_RCVBUFFORCE && fk.no_rcvbufforce) {
		errno = EPERM;
		return -1;
	}
	if (level == 270 /* SOL_NETLINK */ && name == NETLINK_NO_ENOBUFS)
		fk.no_enobufs = v;
	if (level == SOL_SOCKET && (name == SO_RCVBUFFORCE || name == SO_RCVBUF)) {
		fk.rcvbuf = v;
		fk.rcvbuf_opt = name;
	}
	return 0;
}

static int fk_recvmmsg(int fd, struct mmsghdr *v, unsigned int n, int flags)
{
	fk.recvmmsgs++;
	if (fk.overrun) {
		fk.overrun = false;
		errno = ENOBUFS;
		return -1;
	}
	return recvmmsg(fd, v, n, flags, NULL);
}

/* The answer netlink_rcv_skb() sends: the error and the message's header
 * (the whole message when it failed). */
static void nl_answer(const struct nlmsghdr *nlh, int err)
{
	unsigned char buf[4096];
	struct nlmsghdr *a = mnl_nlmsg_put_header(buf);
	size_t echo = err ? nlh->nlmsg_len : sizeof(*nlh);
	struct nlmsgerr *e;

	if (echo > sizeof(buf) - 64)
		echo = sizeof(*nlh);
	a->nlmsg_type = NLMSG_ERROR;
	a->nlmsg_seq = nlh->nlmsg_seq;
	e = mnl_nlmsg_put_extra_header(a, sizeof(*e) - sizeof(e->msg) + echo);
	e->error = err;
	memcpy(&e->msg, nlh, echo);
	fk.nl_acks++;
	fk_nl_put(a, a->nlmsg_len);
}

static ssize_t fk_sendmsg(int fd, const struct msghdr *m, int flags)
{
	static unsigned char buf[1 << 20];
	size_t len = 0, off = 0;

	(void)fd;
	(void)flags;
	fk.sendmsgs++;
	for (size_t i = 0; i < m->msg_iovlen; i++) {
		if (len + m->msg_iov[i].iov_len > sizeof(buf)) {
			errno = EMSGSIZE;
			return -1;
		}
		memcpy(buf + len, m->msg_iov[i].iov_base, m->msg_iov[i].iov_len);
		len += m->msg_iov[i].iov_len;
	}
	/* every message in order; an answer for failures and NLM_F_ACK */
	while (off + sizeof(struct nlmsghdr) <= len) {
		const struct nlmsghdr *nlh = (const struct nlmsghdr *)(buf + off);
		int err;

		if (!mnl_nlmsg_ok(nlh, (int)(len - off)))
			break;
		err = process(nlh, len - off, false, UINT32_MAX);
		if (err || (nlh->nlmsg_flags & NLM_F_ACK))
			nl_answer(nlh, err);
		off += MNL_ALIGN(nlh->nlmsg_len);
	}
	return (ssize_t)len;
}

static long fk_page_size(void)
{
	return fk.page_size;
}

const struct nfqring_ops fk_ops = {
	.open = fk_open_,
	.close = fk_close,
	.ioctl = fk_ioctl,
	.mmap = fk_mmap,
	.munmap = fk_munmap,
	.read = fk_read,
	.write = fk_write,
	.poll = fk_poll,
	.page_size = fk_page_size,
	.nl_socket = fk_nl_socket,
	.setsockopt = fk_setsockopt,
	.recvmmsg = fk_recvmmsg,
	.sendmsg = fk_sendmsg,
};

static struct nfqring *open_backend(enum nfqring_backend be, struct nfqring_ring_params *p)
{
	struct nfqring *h;
	char err[NFQRING_ERRBUF_SIZE];

	if (nfqring_open_ops_backend(&h, be, &fk_ops, err, sizeof(err)) < 0) {
		printf("# open: %s\n", err);
		return NULL;
	}
	if (nfqring_setup(h, p) < 0) {
		printf("# setup: %s\n", nfqring_errmsg(h));
		nfqring_close(h);
		return NULL;
	}
	return h;
}

struct nfqring *fk_open(struct nfqring_ring_params *p)
{
	return open_backend(NFQRING_BACKEND_RING, p);
}

struct nfqring *fk_open_netlink(struct nfqring_ring_params *p)
{
	return open_backend(NFQRING_BACKEND_NETLINK, p);
}
