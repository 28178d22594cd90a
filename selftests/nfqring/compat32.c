// SPDX-License-Identifier: GPL-2.0
/*
 * A 32-bit caller (built with -m32) drives the ring ABI: every ioctl
 * argument has the same layout for it, so compat_ioctl passes them as is.
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <linux/netlink.h>
#include <linux/nfqring.h>

#include "kselftest_harness.h"

_Static_assert(sizeof(void *) == 4, "build this test with -m32");
_Static_assert(sizeof(struct nfqring_stats) == 104, "stats layout");
_Static_assert(sizeof(struct nfqring_tx_result) == 16, "tx result layout");

TEST(rings_from_32_bit)
{
	struct nl_mmap_req rx = {
		.nm_block_size = 4096, .nm_block_nr = 2,
		.nm_frame_size = 2048, .nm_frame_nr = 4,
	};
	struct nl_mmap_req tx = rx;
	struct nfqring_tx_result res;
	struct nfqring_stats st;
	struct nl_mmap_hdr *h;
	unsigned char *map;
	int fd;

	ASSERT_EQ(0, system("modprobe nfqring"));
	fd = open(NFQRING_DEVICE, O_RDWR);
	ASSERT_LE(0, fd);
	EXPECT_EQ(NFQRING_ABI_VERSION, ioctl(fd, NFQRING_GET_VERSION));
	ASSERT_EQ(0, ioctl(fd, NFQRING_SET_RX_RING, &rx));
	ASSERT_EQ(0, ioctl(fd, NFQRING_SET_TX_RING, &tx));
	rx.nm_frame_nr = 5;
	EXPECT_EQ(-1, ioctl(fd, NFQRING_SET_RX_RING, &rx));
	EXPECT_EQ(EINVAL, errno);

	map = mmap(NULL, 4 * 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	ASSERT_TRUE(map != MAP_FAILED);
	memset(&st, 0xff, sizeof(st));
	ASSERT_EQ(0, ioctl(fd, NFQRING_GET_STATS, &st));
	EXPECT_EQ(4u, st.rx_frame_nr);
	EXPECT_EQ(2048u, st.tx_frame_size);
	EXPECT_EQ(0u, st.tx_frames);
	EXPECT_EQ(0u, st.queues);

	/* A TX frame with a bad length: the result says which frame. */
	h = (struct nl_mmap_hdr *)(map + 2 * 4096);
	h->nm_len = 4000;
	__atomic_store_n(&h->nm_status, NFQRING_STATUS_VALID, __ATOMIC_RELEASE);
	memset(&res, 0xff, sizeof(res));
	EXPECT_EQ(-1, ioctl(fd, NFQRING_TX_FLUSH, &res));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(0u, res.processed);
	EXPECT_EQ(0u, res.frame);
	EXPECT_EQ(-EINVAL, res.error);
	ASSERT_EQ(0, ioctl(fd, NFQRING_GET_STATS, &st));
	EXPECT_EQ(1u, st.tx_errors);
	EXPECT_EQ(-EINVAL, st.tx_last_error);

	munmap(map, 4 * 4096);
	close(fd);
}

TEST_HARNESS_MAIN
