/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <arpa/inet.h>
#include <errno.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nfnetlink_queue.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
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

static int f_tx_flush_locked(int dev, struct nfqring_tx_result *res)
{
	(void)dev;
	fake.flushes++;
	if (fake.flush_i < fake.flush_n) {
		int i = fake.flush_i++;

		*res = fake.flush_res[i];
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
	if (!fake.n)
		return -EAGAIN;
	l = fake.lens[fake.head];
	if (l > len)
		return -EMSGSIZE;
	memcpy(buf, fake.msgs[fake.head], l);
	fake.head = (fake.head + 1) % FD_MAX_MSGS;
	if (--fake.n == 0)
		readable(fake.last_dev, false);
	return (ssize_t)l;
}

/* One message: a queue request fails for queue FD_BAD_QUEUE; anything
 * else of the queue subsystem works; the rest is refused as the device
 * does (EINVAL).  NLM_F_ACK gets an acknowledgment. */
static ssize_t f_dev_write_locked(int dev, const void *buf, size_t len)
{
	const struct nlmsghdr *nlh = buf;
	const struct nfgenmsg *g = NLMSG_DATA(nlh);
	int err = 0;

	(void)dev;
	fake.writes++;
	if (len < NLMSG_HDRLEN || nlh->nlmsg_len > len)
		return -EINVAL;
	if (!(nlh->nlmsg_flags & NLM_F_REQUEST))
		err = 0;
	else if (NFNL_SUBSYS_ID(nlh->nlmsg_type) != NFNL_SUBSYS_QUEUE)
		err = -EINVAL;
	else if (nlh->nlmsg_len >= NLMSG_LENGTH(sizeof(*g)) && ntohs(g->res_id) == FD_BAD_QUEUE)
		err = -ENOENT;
	if (nlh->nlmsg_flags & NLM_F_ACK)
		ack(nlh, err);
	return err ? err : (ssize_t)len;
}

static void *f_map(void *addr, size_t len, int prot, int flags, int dev, off_t off)
{
	size_t want = (size_t)fake.rx.nm_block_size * fake.rx.nm_block_nr +
		      (size_t)fake.tx.nm_block_size * fake.tx.nm_block_nr;

	(void)dev;
	if (off != 0 || len != want || !want || !(flags & MAP_SHARED)) {
		errno = EINVAL;
		return MAP_FAILED;
	}
	return REAL(mmap)(addr, len, prot, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
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
