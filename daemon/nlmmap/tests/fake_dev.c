/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <arpa/inet.h>
#include <errno.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nfnetlink_queue.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <netinet/ip.h>
#include <netinet/udp.h>
#include <unistd.h>

#include "fake_dev.h"

struct fake_dev fake;
/* the threads test calls in from several threads at once */
static pthread_mutex_t fake_lock = PTHREAD_MUTEX_INITIALIZER;

void fake_reset(void)
{
	memset(&fake, 0, sizeof(fake));
	fake.last_dev = -1;
	nlm_ops = &fake_ops;
}

static void readable(int dev, bool yes)
{
	uint64_t v = 1;

	if (dev < 0)
		return;
	if (yes) {
		if (REAL(write)(dev, &v, sizeof(v)) < 0)
			return;
	} else if (REAL(read)(dev, &v, sizeof(v)) < 0) {
		return;
	}
}

void fake_push(const void *msg, size_t len)
{
	int i = (fake.head + fake.n) % FD_MAX_MSGS;

	if (fake.n == FD_MAX_MSGS || len > sizeof(fake.msgs[0]))
		return;
	memcpy(fake.msgs[i], msg, len);
	fake.lens[i] = len;
	if (fake.n++ == 0)
		readable(fake.last_dev, true);
}

static struct nl_mmap_hdr *ring_frame(const struct nl_mmap_req *r, unsigned char *base,
				       unsigned int i);

static void ack(const struct nlmsghdr *req, int error)
{
	struct {
		struct nlmsghdr h;
		struct nlmsgerr e;
	} a = {
		.h = { .nlmsg_len = sizeof(a), .nlmsg_type = NLMSG_ERROR,
		       .nlmsg_flags = NLM_F_CAPPED, .nlmsg_seq = req->nlmsg_seq,
		       .nlmsg_pid = req->nlmsg_pid },
		.e = { .error = error, .msg = *req },
	};

	/* NFQRING_ACKS_NETLINK: with an RX ring the acknowledgment takes its
	 * head frame, built in it (COPY when the frame is too small); none
	 * free: lost, an overrun. */
	if (fake.map && fake.rx.nm_block_nr) {
		struct nl_mmap_hdr *h = ring_frame(&fake.rx, fake.map, fake.rx_head);
		bool fits = sizeof(a) <= fake.rx.nm_frame_size - NFQRING_HDRLEN;

		if (__atomic_load_n(&h->nm_status, __ATOMIC_ACQUIRE) != NL_MMAP_STATUS_UNUSED ||
		    (!fits && fake.n == FD_MAX_MSGS)) {
			fake.read_error = -ENOBUFS;
			fake.lost_acks++;
			readable(fake.last_dev, true);
			return;
		}
		h->nm_len = sizeof(a);
		fake.rx_head = (fake.rx_head + 1) % fake.rx.nm_frame_nr;
		if (fits)
			memcpy((unsigned char *)h + NFQRING_HDRLEN, &a, sizeof(a));
		else
			fake_push(&a, sizeof(a));
		__atomic_store_n(&h->nm_status, fits ? NL_MMAP_STATUS_VALID : NL_MMAP_STATUS_COPY,
				 __ATOMIC_RELEASE);
		readable(fake.last_dev, true);
		fake.ack_frames++;
		return;
	}
	fake_push(&a, sizeof(a));
}

static int f_open_dev_locked(void)
{
	int fd;

	fake.opens++;
	if (fake.open_error)
		return fake.open_error;
	fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (fd < 0)
		return -errno;
	fake.last_dev = fd;
	return fd;
}

static int f_set_ring_locked(int dev, bool tx, const struct nl_mmap_req *req)
{
	(void)dev;
	fake.set_rings++;
	if (fake.busy)
		return -EBUSY;
	if (tx)
		fake.tx = *req;
	else
		fake.rx = *req;
	return 0;
}

static struct nl_mmap_hdr *ring_frame(const struct nl_mmap_req *r, unsigned char *base,
				       unsigned int i)
{
	unsigned int per = r->nm_block_size / r->nm_frame_size;

	return (void *)(base + (i / per) * r->nm_block_size + (i % per) * r->nm_frame_size);
}

static unsigned char *tx_base(void)
{
	return fake.map + (size_t)fake.rx.nm_block_size * fake.rx.nm_block_nr;
}

/* Kernel mode: one request, as the module judges it. */
static int k_process(const struct nlmsghdr *nlh)
{
	const struct nfgenmsg *g = NLMSG_DATA(nlh);
	const struct nlattr *a = (const void *)((const char *)g + NLMSG_ALIGN(sizeof(*g)));
	unsigned int q, type = nlh->nlmsg_type & 0xff;
	int i, hits = 0;

	if (!(nlh->nlmsg_flags & NLM_F_REQUEST))
		return 0;
	if (NFNL_SUBSYS_ID(nlh->nlmsg_type) != NFNL_SUBSYS_QUEUE ||
	    nlh->nlmsg_len < NLMSG_LENGTH(sizeof(*g)) + NLA_HDRLEN)
		return -EINVAL;
	q = ntohs(g->res_id);
	if (q >= FD_QUEUES)
		return -EINVAL;
	if (type == NFQNL_MSG_CONFIG) {
		const struct nfqnl_msg_config_cmd *c = (const void *)((const char *)a + NLA_HDRLEN);

		if (a->nla_type != NFQA_CFG_CMD)
			return fake.bound[q] ? 0 : -ENODEV;	/* PARAMS */
		if (c->command == NFQNL_CFG_CMD_PF_BIND || c->command == NFQNL_CFG_CMD_PF_UNBIND)
			return 0;
		if (c->command == NFQNL_CFG_CMD_BIND) {
			if (fake.bound[q])
				return -EBUSY;
			fake.bound[q] = true;
			return 0;
		}
		if (!fake.bound[q])
			return -ENODEV;
		fake.bound[q] = false;
		return 0;
	}
	if (a->nla_type != NFQA_VERDICT_HDR)
		return -EINVAL;
	{
		const struct nfqnl_msg_verdict_hdr *v = (const void *)((const char *)a + NLA_HDRLEN);
		uint32_t id = ntohl(v->id);

		for (i = 0; i < fake.npkts; i++) {
			if (fake.pkts[i].queue != q || fake.pkts[i].verdict >= 0)
				continue;
			if (type == NFQNL_MSG_VERDICT ? fake.pkts[i].id != id : fake.pkts[i].id > id)
				continue;
			fake.pkts[i].verdict = (int)ntohl(v->verdict);
			fake.verdicts++;
			hits++;
		}
	}
	return hits ? 0 : -ENOENT;
}

/* Kernel mode: the messages of a buffer, stopping at the first failure. */
static int k_process_msgs(const unsigned char *buf, size_t len, size_t *done)
{
	size_t off = 0;
	int err = 0;

	while (off + NLMSG_HDRLEN <= len) {
		const struct nlmsghdr *nlh = (const void *)(buf + off);

		if (nlh->nlmsg_len < NLMSG_HDRLEN || nlh->nlmsg_len > len - off) {
			err = -EINVAL;
			break;
		}
		err = k_process(nlh);
		if ((nlh->nlmsg_flags & NLM_F_ACK) || err)
			ack(nlh, err);
		if (err)
			break;
		off += NLMSG_ALIGN(nlh->nlmsg_len);
	}
	*done = off < len ? off : len;
	return err;
}

static int k_flush(struct nfqring_tx_result *res)
{
	unsigned char copy[FD_MSG_MAX];
	unsigned int n, room = fake.tx.nm_frame_size - NFQRING_HDRLEN;
	size_t done;

	memset(res, 0, sizeof(*res));
	for (n = 0; n < fake.tx.nm_frame_nr; n++) {
		struct nl_mmap_hdr *h = ring_frame(&fake.tx, tx_base(), fake.tx_head);
		unsigned int index = fake.tx_head, len;
		int err = 0;

		if (__atomic_load_n(&h->nm_status, __ATOMIC_ACQUIRE) != NL_MMAP_STATUS_VALID)
			break;
		len = h->nm_len;
		if (len > room || len > sizeof(copy))
			err = -EINVAL;
		else
			memcpy(copy, (unsigned char *)h + NFQRING_HDRLEN, len);
		__atomic_store_n(&h->nm_status, NL_MMAP_STATUS_UNUSED, __ATOMIC_RELEASE);
		fake.tx_head = (fake.tx_head + 1) % fake.tx.nm_frame_nr;
		if (!err)
			err = k_process_msgs(copy, len, &done);
		if (err) {
			res->frame = index;
			res->error = err;
			res->processed = n;
			return err;
		}
	}
	res->processed = n;
	return (int)n;
}

static int f_tx_flush_locked(int dev, struct nfqring_tx_result *res)
{
	(void)dev;
	fake.flushes++;
	if (fake.kernel)
		return k_flush(res);
	if (fake.flush_i < fake.flush_n) {
		int i = fake.flush_i++;

		*res = fake.flush_res[i];
		/* a failed frame's request gets its NLMSG_ERROR, as the module's */
		if (fake.flush_ret[i] < 0 && res->error && fake.map && res->frame < fake.tx.nm_frame_nr) {
			struct nl_mmap_hdr *h = ring_frame(&fake.tx, tx_base(), res->frame);
			struct nlmsghdr req = { 0 };

			if (h->nm_len >= NLMSG_HDRLEN && h->nm_len <= fake.tx.nm_frame_size - NFQRING_HDRLEN)
				memcpy(&req, (unsigned char *)h + NFQRING_HDRLEN, sizeof(req));
			ack(&req, res->error);
		}
		return fake.flush_ret[i];
	}
	memset(res, 0, sizeof(*res));
	return 0;
}

static ssize_t f_dev_read_locked(int dev, void *buf, size_t len)
{
	size_t l;

	(void)dev;
	fake.reads++;
	if (fake.read_error) {
		int e = fake.read_error;

		fake.read_error = 0;
		return e;
	}
	if (!fake.n) {
		if (fake.kernel)	/* readable for frames: looked at, clear */
			readable(fake.last_dev, false);
		return -EAGAIN;
	}
	l = fake.lens[fake.head];
	if (l > len)
		return -EMSGSIZE;
	memcpy(buf, fake.msgs[fake.head], l);
	fake.head = (fake.head + 1) % FD_MAX_MSGS;
	if (--fake.n == 0)
		readable(fake.last_dev, false);
	return (ssize_t)l;
}

/* Every message of the buffer, as the device: a queue request fails for
 * queue FD_BAD_QUEUE (or as kernel mode judges it), anything else of the
 * queue subsystem works, other subsystems are refused (EINVAL).  NLM_F_ACK
 * and every failure get an acknowledgment (NFQRING_ACKS_NETLINK, which the
 * library sets); the first failure ends the buffer. */
static ssize_t f_dev_write_locked(int dev, const void *buf, size_t len)
{
	const unsigned char *p = buf;
	struct nfqring_tx_result res;
	size_t off = 0;
	int err = 0;

	(void)dev;
	fake.writes++;
	if (fake.kernel) {
		k_flush(&res);	/* the TX ring first, as the device */
		err = k_process_msgs(buf, len, &off);
		return err && !off ? err : (ssize_t)off;
	}
	while (off + NLMSG_HDRLEN <= len) {
		const struct nlmsghdr *nlh = (const void *)(p + off);
		const struct nfgenmsg *g = NLMSG_DATA(nlh);

		if (nlh->nlmsg_len < NLMSG_HDRLEN || nlh->nlmsg_len > len - off) {
			err = -EINVAL;
			break;
		}
		if (!(nlh->nlmsg_flags & NLM_F_REQUEST))
			err = 0;
		else if (NFNL_SUBSYS_ID(nlh->nlmsg_type) != NFNL_SUBSYS_QUEUE)
			err = -EINVAL;
		else if (nlh->nlmsg_len >= NLMSG_LENGTH(sizeof(*g)) && ntohs(g->res_id) == FD_BAD_QUEUE)
			err = -ENOENT;
		if ((nlh->nlmsg_flags & NLM_F_ACK) || err)
			ack(nlh, err);
		if (err)
			break;
		off += NLMSG_ALIGN(nlh->nlmsg_len);
	}
	if (err && !off)
		return err;
	return (ssize_t)(off < len ? off : len);
}

static void *f_map(void *addr, size_t len, int prot, int flags, int dev, off_t off)
{
	size_t want = (size_t)fake.rx.nm_block_size * fake.rx.nm_block_nr +
		      (size_t)fake.tx.nm_block_size * fake.tx.nm_block_nr;
	void *p;

	(void)dev;
	if (off != 0 || len != want || !want || !(flags & MAP_SHARED)) {
		errno = EINVAL;
		return MAP_FAILED;
	}
	p = REAL(mmap)(addr, len, prot, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (p != MAP_FAILED)
		fake.map = p;
	return p;
}

bool fake_publish(uint16_t queue, uint32_t seq, size_t len)
{
	unsigned char msg[FD_MSG_MAX];
	struct nlmsghdr *nlh = (void *)msg;
	struct nfgenmsg *g = NLMSG_DATA(nlh);
	struct nlattr *a;
	struct nfqnl_msg_packet_hdr ph = { .hw_protocol = htons(0x0800), .hook = 3 };
	struct iphdr ip = { .version = 4, .ihl = 5, .protocol = IPPROTO_UDP };
	struct udphdr udp = { .dest = htons(9999) };
	size_t plen = sizeof(ip) + sizeof(udp) + len;
	uint32_t be = htonl(seq);
	struct nl_mmap_hdr *h;
	bool ok = false;

	pthread_mutex_lock(&fake_lock);
	if (!fake.map || queue >= FD_QUEUES || !fake.bound[queue] || fake.npkts == FD_PKTS ||
	    NLMSG_LENGTH(sizeof(*g)) + 2 * NLA_HDRLEN + sizeof(ph) + plen + 8 > sizeof(msg))
		goto out;
	h = ring_frame(&fake.rx, fake.map, fake.rx_head);
	if (__atomic_load_n(&h->nm_status, __ATOMIC_ACQUIRE) != NL_MMAP_STATUS_UNUSED)
		goto out;	/* the ring is full: the caller waits */
	/* a message for the backlog needs a slot there: the caller waits */
	if (NLMSG_LENGTH(sizeof(*g)) + 2 * NLA_HDRLEN + sizeof(ph) + plen + 8 >
	    fake.rx.nm_frame_size - NFQRING_HDRLEN && fake.n >= FD_MAX_MSGS - 8)
		goto out;
	ph.packet_id = htonl(++fake.next_id[queue]);
	memset(msg, 0, sizeof(msg));
	nlh->nlmsg_type = (NFNL_SUBSYS_QUEUE << 8) | NFQNL_MSG_PACKET;
	g->nfgen_family = AF_INET;
	g->res_id = htons(queue);
	a = (void *)((unsigned char *)g + NLMSG_ALIGN(sizeof(*g)));
	a->nla_type = NFQA_PACKET_HDR;
	a->nla_len = NLA_HDRLEN + sizeof(ph);
	memcpy((unsigned char *)a + NLA_HDRLEN, &ph, sizeof(ph));
	a = (void *)((unsigned char *)a + NLA_ALIGN(a->nla_len));
	a->nla_type = NFQA_PAYLOAD;
	a->nla_len = NLA_HDRLEN + plen;
	ip.tot_len = htons(plen);
	memcpy((unsigned char *)a + NLA_HDRLEN, &ip, sizeof(ip));
	memcpy((unsigned char *)a + NLA_HDRLEN + sizeof(ip), &udp, sizeof(udp));
	memcpy((unsigned char *)a + NLA_HDRLEN + sizeof(ip) + sizeof(udp), &be, 4);
	nlh->nlmsg_len = (uint32_t)((unsigned char *)a + NLA_ALIGN(a->nla_len) - msg);

	fake.pkts[fake.npkts].queue = queue;
	fake.pkts[fake.npkts].id = fake.next_id[queue];
	fake.pkts[fake.npkts].verdict = -1;
	fake.pkts[fake.npkts].seq = seq;
	fake.npkts++;
	h->nm_len = nlh->nlmsg_len;
	if (nlh->nlmsg_len <= fake.rx.nm_frame_size - NFQRING_HDRLEN) {
		memcpy((unsigned char *)h + NFQRING_HDRLEN, msg, nlh->nlmsg_len);
		__atomic_store_n(&h->nm_status, NL_MMAP_STATUS_VALID, __ATOMIC_RELEASE);
	} else {
		fake_push(msg, nlh->nlmsg_len);
		__atomic_store_n(&h->nm_status, NL_MMAP_STATUS_COPY, __ATOMIC_RELEASE);
	}
	fake.rx_head = (fake.rx_head + 1) % fake.rx.nm_frame_nr;
	readable(fake.last_dev, true);
	ok = true;
out:
	pthread_mutex_unlock(&fake_lock);
	return ok;
}

static int f_open_dev(void)
{
	int r;

	pthread_mutex_lock(&fake_lock);
	r = f_open_dev_locked();
	pthread_mutex_unlock(&fake_lock);
	return r;
}

static int f_set_ring(int dev, bool tx, const struct nl_mmap_req *req)
{
	int r;

	pthread_mutex_lock(&fake_lock);
	r = f_set_ring_locked(dev, tx, req);
	pthread_mutex_unlock(&fake_lock);
	return r;
}

static int f_tx_flush(int dev, struct nfqring_tx_result *res)
{
	int r;

	pthread_mutex_lock(&fake_lock);
	r = f_tx_flush_locked(dev, res);
	pthread_mutex_unlock(&fake_lock);
	return r;
}

static ssize_t f_dev_read(int dev, void *buf, size_t len)
{
	ssize_t r;

	pthread_mutex_lock(&fake_lock);
	r = f_dev_read_locked(dev, buf, len);
	pthread_mutex_unlock(&fake_lock);
	return r;
}

static ssize_t f_dev_write(int dev, const void *buf, size_t len)
{
	ssize_t r;

	pthread_mutex_lock(&fake_lock);
	r = f_dev_write_locked(dev, buf, len);
	pthread_mutex_unlock(&fake_lock);
	return r;
}

const struct nlm_ops fake_ops = {
	.open_dev = f_open_dev,
	.set_ring = f_set_ring,
	.tx_flush = f_tx_flush,
	.dev_read = f_dev_read,
	.dev_write = f_dev_write,
	.map = f_map,
	.protocol = NETLINK_NETFILTER,
};
