/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Ring set-up with the 4.5 rules (netlink_setsockopt / netlink_set_ring),
 * mapping, the TX flush of sendto(fd, NULL, 0), routing of requests, and
 * what recv() returns: kept errors in the device's order, truncation,
 * MSG_PEEK, ENOBUFS and NETLINK_NO_ENOBUFS.  The device is the fake.
 */
#include <poll.h>
#include <sys/mman.h>

#include "nlm_test.h"

static void test_geometry(void)
{
	static const struct {
		struct nl_mmap_req r;
		int err;
		const char *what;
	} cases[] = {
		{ { 4096, 4, 2048, 8 }, 0, "2 frames per page, 4 blocks" },
		{ { 16384, 2, 3000, 10 }, 0, "frame size not dividing the block" },
		{ { 4096, 1, 4096, 1 }, 0, "one frame per block" },
		{ { 0, 1, 2048, 2 }, -EINVAL, "block size 0" },
		{ { 0x80000000U, 1, 4096, 0x80000U }, -EINVAL, "block size negative as int" },
		{ { 6000, 1, 2000, 3 }, -EINVAL, "block size not page aligned" },
		{ { 4096, 1, NFQRING_HDRLEN - 4, 4096 / (NFQRING_HDRLEN - 4) }, -EINVAL,
		  "frame smaller than the header" },
		{ { 4096, 1, NFQRING_HDRLEN, 4096 / NFQRING_HDRLEN }, 0, "frame of the header alone" },
		{ { 4096, 1, 2046, 2 }, -EINVAL, "frame size not 4-aligned" },
		{ { 4096, 1, 8192, 0 }, -EINVAL, "frame bigger than the block" },
		{ { 4096, 4, 2048, 7 }, -EINVAL, "frame count not blocks x frames per block" },
		{ { 4096, 0, 2048, 0 }, 0, "tear-down" },
		{ { 4096, 0, 2048, 2 }, -EINVAL, "tear-down with frames" },
		{ { 65536, 65537, 1, 65536 }, -EINVAL, "frame size 1" },
		{ { 1U << 20, (1U << 16) + 1, 16, 1U << 16 }, -EINVAL,
		  "a count that matches only modulo 2^32" },
	};
	unsigned int i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		is_int(nlm_check_geometry(&cases[i].r, 4096), cases[i].err, "geometry: %s", cases[i].what);
}

static void test_setsockopt_errors(void)
{
	struct nl_mmap_req r = { 4096, 4, 2048, 8 };
	int fd, opens;
	void *map;

	fake_reset();
	fd = nl_sock();
	is_int(setsockopt(fd, SOL_NETLINK, NETLINK_RX_RING, &r, sizeof(r) - 1) == 0 ? 0 : errno,
	       EINVAL, "short option: EINVAL");
	is_int(setsockopt(fd, SOL_NETLINK, NETLINK_RX_RING, (void *)16, sizeof(r)) == 0 ? 0 : errno,
	       EFAULT, "bad pointer: EFAULT");
	is_int(ring(fd, NETLINK_RX_RING, 4096, 4, 2046, 8), EINVAL, "bad geometry: EINVAL");
	ok(is_socket(fd) && fake.set_rings == 0, "refused requests reach no device, replace nothing");
	is_int(ring(fd, NETLINK_RX_RING, 4096, 0, 0, 0), 0, "tear-down of no ring: 0");
	ok(is_socket(fd), "... and the socket is left alone");
	opens = fake.opens;
	is_int(ring(fd, NETLINK_RX_RING, 4096, 4, 2048, 8), 0, "RX ring");
	is_int(fake.opens, opens + 1, "one endpoint opened for it");
	is_int(ring(fd, NETLINK_RX_RING, 4096, 4, 2048, 8), EBUSY, "RX ring again: EBUSY");
	is_int(ring(fd, NETLINK_RX_RING, 4096, 4, 2046, 8), EBUSY,
	       "RX ring again with bad geometry: EBUSY first, as 4.5");
	is_int(ring(fd, NETLINK_TX_RING, 4096, 2, 1024, 8), 0, "TX ring");
	is_int(fake.tx.nm_frame_nr, 8, "the device got the TX request");
	errno = 0;
	ok(mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0) == MAP_FAILED && errno == EINVAL,
	   "mmap of the wrong size: EINVAL");
	map = mmap(NULL, 6 * 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	ok(map != MAP_FAILED, "mmap of RX + TX");
	is_int(ring(fd, NETLINK_RX_RING, 4096, 0, 0, 0), EBUSY, "tear-down while mapped: EBUSY");
	is_int(ring(fd, NETLINK_TX_RING, 4096, 2, 2046, 4), EBUSY,
	       "bad geometry while mapped: EBUSY first, as 4.5");
	munmap(map, 6 * 4096);
	is_int(ring(fd, NETLINK_RX_RING, 4096, 0, 0, 0), 0, "tear-down after munmap");
	is_int(fake.rx.nm_block_nr, 0, "the device tore it down");
	is_int(ring(fd, NETLINK_RX_RING, 8192, 2, 4096, 4), 0, "a new RX ring after the tear-down");
	fake.busy = 1;
	is_int(ring(fd, NETLINK_RX_RING, 4096, 0, 0, 0), EBUSY, "the device's EBUSY comes through");
	close(fd);
}

/* The TX frame i of the mapping (2 frames of 2048 per 4096 block). */
static struct nl_mmap_hdr *txf(unsigned char *map, size_t rx_size, unsigned int i)
{
	return (void *)(map + rx_size + (i / 2) * 4096 + (i % 2) * 2048);
}

/* RX frame i of that mapping (one block, 2 frames of 2048): a VALID frame
 * holding an NLMSG_ERROR; copied to buf, then released, as an old client
 * does once it has handled it. */
static bool rx_ack(unsigned char *map, unsigned int i, unsigned char *buf)
{
	struct nl_mmap_hdr *h = (void *)(map + i * 2048);
	bool valid = __atomic_load_n(&h->nm_status, __ATOMIC_ACQUIRE) == NL_MMAP_STATUS_VALID &&
		     h->nm_len == NLMSG_LENGTH(sizeof(struct nlmsgerr));

	if (valid)
		memcpy(buf, (unsigned char *)h + NFQRING_HDRLEN, h->nm_len);
	__atomic_store_n(&h->nm_status, NL_MMAP_STATUS_UNUSED, __ATOMIC_RELEASE);
	return valid && ((struct nlmsghdr *)buf)->nlmsg_type == NLMSG_ERROR;
}

static void put_tx(struct nl_mmap_hdr *h, const struct qmsg *m)
{
	memcpy((unsigned char *)h + NFQRING_HDRLEN, m, sizeof(*m));
	h->nm_len = sizeof(*m);
	__atomic_store_n(&h->nm_status, NL_MMAP_STATUS_VALID, __ATOMIC_RELEASE);
}

static void test_tx_flush(void)
{
	struct qmsg m0 = verdict_msg(1, 1, 0, 100), m1 = verdict_msg(1, 2, 0, 101),
		    m2 = verdict_msg(1, 3, 0, 102);
	struct sockaddr_nl k = { .nl_family = AF_NETLINK };
	unsigned char *map, buf[256];
	struct nlmsghdr *h = (void *)buf;
	struct nlmsgerr *e = NLMSG_DATA(h);
	struct pollfd p;
	int fd;

	fake_reset();
	fd = nl_sock();
	ring(fd, NETLINK_RX_RING, 4096, 1, 2048, 2);
	ring(fd, NETLINK_TX_RING, 4096, 2, 2048, 4);
	map = mmap(NULL, 3 * 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (!ok(map != MAP_FAILED, "TX: mapped"))
		return;
	put_tx(txf(map, 4096, 0), &m0);
	put_tx(txf(map, 4096, 1), &m1);
	fake.flush_ret[0] = 2;
	fake.flush_n = 1;
	is_int(sendto(fd, NULL, 0, 0, (struct sockaddr *)&k, sizeof(k)), 2 * sizeof(m0),
	       "sendto(NULL, 0): flush, the bytes of the frames sent");
	is_int(fake.flushes, 1, "... one NFQRING_TX_FLUSH");

	/* frame 2 fails (the kernel released it), frame 3 then goes through */
	put_tx(txf(map, 4096, 2), &m2);
	put_tx(txf(map, 4096, 3), &m0);
	fake.flush_ret[0] = -ENOENT;
	fake.flush_res[0] = (struct nfqring_tx_result){ .processed = 0, .frame = 2, .error = -ENOENT };
	fake.flush_ret[1] = 1;
	fake.flush_n = 2;
	fake.flush_i = 0;
	fake.flushes = 0;
	is_int(sendmsg(fd, &(struct msghdr){ 0 }, 0), sizeof(m0),
	       "sendmsg without data: flush past the failed frame");
	is_int(fake.flushes, 2, "... two flushes");
	p = (struct pollfd){ .fd = fd, .events = POLLIN };
	ok(poll(&p, 1, 0) == 1, "the error makes the descriptor readable");
	ok(rx_ack(map, 0, buf), "... an NLMSG_ERROR in the RX head frame, as 4.5's netlink_ack()");
	ok(e->error == -ENOENT && h->nlmsg_seq == 102 && e->msg.nlmsg_seq == 102,
	   "... ENOENT for the failed frame's request (seq 102)");
	errno = 0;
	ok(recv(fd, buf, sizeof(buf), MSG_DONTWAIT) < 0 && errno == EAGAIN, "... and not again by recv()");

	/* two failures in one flush: both errors, in order, the device's
	 * (nothing written for them) */
	put_tx(txf(map, 4096, 0), &m0);
	put_tx(txf(map, 4096, 1), &m2);
	put_tx(txf(map, 4096, 2), &m1);
	fake.flush_ret[0] = -ENOENT;
	fake.flush_res[0] = (struct nfqring_tx_result){ .processed = 0, .frame = 0, .error = -ENOENT };
	fake.flush_ret[1] = -EPERM;
	fake.flush_res[1] = (struct nfqring_tx_result){ .processed = 0, .frame = 1, .error = -EPERM };
	fake.flush_ret[2] = 1;
	fake.flush_n = 3;
	fake.flush_i = 0;
	{
		int w = fake.writes;

		is_int(sendto(fd, NULL, 0, 0, NULL, 0), sizeof(m1), "two failed frames, one sent");
		is_int(fake.writes, w, "... no write: the device acknowledged them");
	}
	ok(rx_ack(map, 1, buf) && e->error == -ENOENT && h->nlmsg_seq == 100,
	   "first error: frame 0's (seq 100), in the next RX frame");
	ok(rx_ack(map, 0, buf) && e->error == -EPERM && h->nlmsg_seq == 102,
	   "second error: frame 1's (seq 102), in the one after");

	/* nm_len beyond the frame: EINVAL from sendto, as 4.5 */
	txf(map, 4096, 0)->nm_len = 4000;
	fake.flush_ret[0] = -EINVAL;
	fake.flush_res[0] = (struct nfqring_tx_result){ .processed = 0, .frame = 0, .error = -EINVAL };
	fake.flush_n = 1;
	fake.flush_i = 0;
	errno = 0;
	ok(sendto(fd, NULL, 0, 0, NULL, 0) < 0 && errno == EINVAL, "a bad TX frame: EINVAL");

	/* the call itself refused: its errno */
	fake.flush_ret[0] = -EPERM;
	fake.flush_res[0] = (struct nfqring_tx_result){ 0 };
	fake.flush_n = 1;
	fake.flush_i = 0;
	errno = 0;
	ok(sendto(fd, NULL, 0, 0, NULL, 0) < 0 && errno == EPERM, "flush refused: EPERM");
	munmap(map, 3 * 4096);
	close(fd);
}

static void test_routing_and_errors(void)
{
	struct qmsg good = verdict_msg(1, 5, 0, 200), bad = verdict_msg(FD_BAD_QUEUE, 6, 0, 201),
		    bad_ack = verdict_msg(FD_BAD_QUEUE, 7, NLM_F_ACK, 202);
	struct nlmsghdr noop = { .nlmsg_len = NLMSG_HDRLEN, .nlmsg_type = NLMSG_NOOP,
				 .nlmsg_flags = NLM_F_REQUEST, .nlmsg_seq = 9 };
	unsigned char two[2 * sizeof(good)], buf[256];
	struct nlmsghdr *h = (void *)buf;
	struct nlmsgerr *e = NLMSG_DATA(h);
	struct sockaddr_nl from;
	socklen_t fl = sizeof(from);
	uint32_t portid;
	int fd, w;

	fake_reset();
	fd = nl_sock();
	ring(fd, NETLINK_RX_RING, 4096, 1, 2048, 2);
	from.nl_pid = 0;
	getsockname(fd, (struct sockaddr *)&from, &fl);
	portid = from.nl_pid;

	is_int(send(fd, &good, sizeof(good), 0), sizeof(good), "a verdict: sent");
	is_int(fake.writes, 1, "... to the device");
	w = fake.writes;
	is_int(send(fd, &noop, sizeof(noop), 0), sizeof(noop), "an NLMSG_NOOP: sent");
	is_int(fake.writes, w, "... to the socket, not the device");

	memcpy(two, &bad, sizeof(bad));
	memcpy(two + sizeof(bad), &good, sizeof(good));
	is_int(write(fd, two, sizeof(two)), sizeof(two), "two requests, the first fails: the whole length");
	is_int(fake.writes, w + 2, "... each its own write");
	fl = sizeof(from);
	is_int(recvfrom(fd, buf, sizeof(buf), 0, (struct sockaddr *)&from, &fl),
	       NLMSG_LENGTH(sizeof(*e)), "recvfrom: the failed request's error");
	ok(e->error == -ENOENT && h->nlmsg_seq == 201 && h->nlmsg_pid == portid,
	   "... ENOENT, its seq, our portid (%u)", h->nlmsg_pid);
	ok(fl == sizeof(from) && from.nl_family == AF_NETLINK && from.nl_pid == 0,
	   "... from the kernel");
	errno = 0;
	ok(recv(fd, buf, sizeof(buf), MSG_DONTWAIT) < 0 && errno == EAGAIN, "nothing else: no ack for the good one");

	is_int(sendto(fd, &bad_ack, sizeof(bad_ack), 0, NULL, 0), sizeof(bad_ack), "a failing request with NLM_F_ACK");
	is_int(recv(fd, buf, sizeof(buf), 0), NLMSG_LENGTH(sizeof(*e)), "recv: its acknowledgment");
	ok(e->error == -ENOENT && h->nlmsg_seq == 202 && h->nlmsg_pid == portid, "... the device's, with our portid");
	errno = 0;
	ok(recv(fd, buf, sizeof(buf), MSG_DONTWAIT) < 0 && errno == EAGAIN, "... once, not twice");

	/* order: a COPY message queued before the failed request comes first */
	fake_push(&good, sizeof(good));
	send(fd, &bad, sizeof(bad), 0);
	recv(fd, buf, sizeof(buf), 0);
	ok(h->nlmsg_seq == 200 && h->nlmsg_type != NLMSG_ERROR, "order: the message queued before");
	recv(fd, buf, sizeof(buf), 0);
	ok(h->nlmsg_type == NLMSG_ERROR && h->nlmsg_seq == 201, "order: then the error");

	/* SO_ERROR: the endpoint's overrun, once (netlink's sk_err) */
	{
		int v = -1, on = 1;
		socklen_t l = sizeof(v);

		fake.read_error = -ENOBUFS;
		ok(getsockopt(fd, SOL_SOCKET, SO_ERROR, &v, &l) == 0 && v == ENOBUFS &&
		   l == sizeof(v), "SO_ERROR after an overrun: ENOBUFS");
		v = -1;
		ok(getsockopt(fd, SOL_SOCKET, SO_ERROR, &v, &l) == 0 && v == 0, "... then 0");
		errno = 0;
		ok(recv(fd, buf, sizeof(buf), MSG_DONTWAIT) < 0 && errno == EAGAIN,
		   "... and recv() does not report it again");
		fake_push(&good, sizeof(good));
		v = -1;
		ok(getsockopt(fd, SOL_SOCKET, SO_ERROR, &v, &l) == 0 && v == 0,
		   "SO_ERROR with a message waiting: 0");
		ok(recv(fd, buf, sizeof(buf), 0) > 0 && h->nlmsg_seq == 200, "... the message stays");
		setsockopt(fd, SOL_NETLINK, NETLINK_NO_ENOBUFS, &on, sizeof(on));
		fake.read_error = -ENOBUFS;
		v = -1;
		ok(getsockopt(fd, SOL_SOCKET, SO_ERROR, &v, &l) == 0 && v == 0,
		   "NETLINK_NO_ENOBUFS: SO_ERROR stays 0");
	}
	close(fd);
}

static void test_recv_edges(void)
{
	struct qmsg m = verdict_msg(1, 5, 0, 300);
	unsigned char buf[256], small[20], a[16], b[256];
	struct iovec iov[2] = { { a, sizeof(a) }, { b, sizeof(b) } };
	struct msghdr mh = { .msg_iov = iov, .msg_iovlen = 2 };
	struct nlmsghdr *h = (void *)buf;
	int fd, one = 1;

	fake_reset();
	fd = nl_sock();
	ring(fd, NETLINK_RX_RING, 4096, 1, 2048, 2);

	fake_push(&m, sizeof(m));
	is_int(recv(fd, buf, sizeof(buf), MSG_PEEK), sizeof(m), "MSG_PEEK: the message");
	is_int(recv(fd, buf, sizeof(buf), 0), sizeof(m), "... still there");
	ok(h->nlmsg_seq == 300, "... the same");

	fake_push(&m, sizeof(m));
	is_int(recv(fd, small, sizeof(small), 0), sizeof(small), "small buffer: what fits");
	is_int(recv(fd, small, sizeof(small), MSG_DONTWAIT), -1, "... and the rest is gone, as netlink");
	fake_push(&m, sizeof(m));
	is_int(recv(fd, small, sizeof(small), MSG_TRUNC), sizeof(m), "MSG_TRUNC: the real length");
	fake_push(&m, sizeof(m));
	mh.msg_flags = -1;
	is_int(recvmsg(fd, &mh, 0), sizeof(m), "two iovecs: the whole message");
	ok(mh.msg_flags == 0 && ((struct nlmsghdr *)a)->nlmsg_seq == 300, "... gathered, no MSG_TRUNC");
	fake_push(&m, sizeof(m));
	is_int(read(fd, buf, sizeof(buf)), sizeof(m), "read: a message too");

	fake.read_error = -ENOBUFS;
	errno = 0;
	ok(recv(fd, buf, sizeof(buf), MSG_DONTWAIT) < 0 && errno == ENOBUFS, "an overrun: ENOBUFS");
	setsockopt(fd, SOL_NETLINK, NETLINK_NO_ENOBUFS, &one, sizeof(one));
	fake.read_error = -ENOBUFS;
	fake_push(&m, sizeof(m));
	is_int(recv(fd, buf, sizeof(buf), MSG_DONTWAIT), sizeof(m), "NETLINK_NO_ENOBUFS: the overrun is silent");
	close(fd);
}

int main(void)
{
	setenv("NFQRING_NLMMAP_QUIET", "1", 1);
	test_geometry();
	test_setsockopt_errors();
	test_tx_flush();
	test_routing_and_errors();
	test_recv_edges();
	return tap_done();
}
