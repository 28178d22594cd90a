// SPDX-License-Identifier: GPL-2.0
/*
 * Ring set-up and mapping: the old nl_mmap_req rules, our limits, and every
 * way to get them wrong.  Each bad input gives a clear errno and leaves the
 * endpoint usable.
 */
#include <sys/personality.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "kselftest_harness.h"
#include "nfqr_test.h"

FIXTURE(ring) {
	struct tep ep;
	long page;
};

FIXTURE_SETUP(ring)
{
	ASSERT_EQ(0, nfqr_modprobe());
	ASSERT_EQ(0, tep_open(&self->ep));
	self->page = sysconf(_SC_PAGESIZE);
}

FIXTURE_TEARDOWN(ring)
{
	tep_close(&self->ep);
}

static int set_rx(int fd, unsigned int bs, unsigned int bn, unsigned int fs,
		  unsigned int fn)
{
	struct nl_mmap_req r = {
		.nm_block_size = bs, .nm_block_nr = bn,
		.nm_frame_size = fs, .nm_frame_nr = fn,
	};

	return ioctl(fd, NFQRING_SET_RX_RING, &r) ? -errno : 0;
}

TEST_F(ring, valid_setup_maps_zeroed_memory)
{
	struct nl_mmap_req rx = ring_req(self->page, 4, 2048);
	struct nl_mmap_req tx = ring_req(self->page * 2, 2, 1024);
	struct nfqring_stats st;
	size_t i;

	ASSERT_EQ(0, tep_rings(&self->ep, rx, tx));
	for (i = 0; i < self->ep.map_len; i++)
		if (self->ep.map[i])
			break;
	EXPECT_EQ(self->ep.map_len, i) TH_LOG("non-zero byte at %zu", i);

	ASSERT_EQ(0, ioctl(self->ep.fd, NFQRING_GET_STATS, &st));
	EXPECT_EQ(rx.nm_frame_nr, st.rx_frame_nr);
	EXPECT_EQ(2048u, st.rx_frame_size);
	EXPECT_EQ(tx.nm_frame_nr, st.tx_frame_nr);
	EXPECT_EQ(1024u, st.tx_frame_size);
	EXPECT_EQ(0u, st.queues);
}

/* A frame size that does not divide the block: frames live per block. */
TEST_F(ring, frame_size_not_dividing_block)
{
	struct nl_mmap_req rx = ring_req(self->page, 3, 1000);

	EXPECT_EQ(4u * 3, rx.nm_frame_nr);
	ASSERT_EQ(0, tep_rings(&self->ep, rx, ring_req(self->page, 0, 1000)));
}

TEST_F(ring, bad_requests)
{
	unsigned int pg = self->page;

	EXPECT_EQ(-EINVAL, set_rx(self->ep.fd, 0, 1, 1024, 4));
	EXPECT_EQ(-EINVAL, set_rx(self->ep.fd, pg + 1, 1, 1024, 4));
	EXPECT_EQ(-EINVAL, set_rx(self->ep.fd, pg / 2, 1, 1024, 2));
	EXPECT_EQ(-EINVAL, set_rx(self->ep.fd, pg, 1, NFQRING_HDRLEN - 4, 1));
	EXPECT_EQ(-EINVAL, set_rx(self->ep.fd, pg, 1, 1026, pg / 1026));
	EXPECT_EQ(-EINVAL, set_rx(self->ep.fd, pg, 1, pg * 2, 1));
	EXPECT_EQ(-EINVAL, set_rx(self->ep.fd, pg, 2, 1024, 7));
	EXPECT_EQ(-EINVAL, set_rx(self->ep.fd, pg, 2, 1024, 9));
	EXPECT_EQ(-EINVAL, set_rx(self->ep.fd, pg, 0, 1024, 4));
	/* block_size * block_nr overflows 32 and 64 bits' worth of limits */
	EXPECT_EQ(-EINVAL, set_rx(self->ep.fd, 1u << 31, 1u << 31, 1u << 31, 1u << 31));
	EXPECT_EQ(-EINVAL, set_rx(self->ep.fd, pg, 0x40000000, pg, 0x40000000));
	/* over the per-ring byte limit */
	EXPECT_EQ(-EINVAL, set_rx(self->ep.fd, pg, NFQRING_MAX_RING_BYTES / pg + 1,
				  pg, NFQRING_MAX_RING_BYTES / pg + 1));
	/* over the frame limit */
	EXPECT_EQ(-EINVAL, set_rx(self->ep.fd, pg, (NFQRING_MAX_FRAMES * 64) / pg + 1,
				  64, ((NFQRING_MAX_FRAMES * 64) / pg + 1) * (pg / 64)));
	/* a bad pointer */
	EXPECT_EQ(-1, ioctl(self->ep.fd, NFQRING_SET_RX_RING, (void *)16));
	EXPECT_EQ(EFAULT, errno);

	/* Still healthy: a good request works after all that. */
	EXPECT_EQ(0, set_rx(self->ep.fd, pg, 2, 1024, 2 * (pg / 1024)));
	/* and zero blocks tears it down */
	EXPECT_EQ(0, set_rx(self->ep.fd, 0, 0, 0, 0));
}

TEST_F(ring, bad_mappings)
{
	struct nl_mmap_req rx = ring_req(self->page, 2, 2048);
	size_t len = ring_bytes(&rx);
	void *p;

	/* nothing to map yet */
	p = mmap(NULL, self->page, PROT_READ | PROT_WRITE, MAP_SHARED, self->ep.fd, 0);
	EXPECT_EQ(MAP_FAILED, p);
	EXPECT_EQ(EINVAL, errno);

	ASSERT_EQ(0, ioctl(self->ep.fd, NFQRING_SET_RX_RING, &rx));
	p = mmap(NULL, len - self->page, PROT_READ | PROT_WRITE, MAP_SHARED,
		 self->ep.fd, 0);
	EXPECT_EQ(MAP_FAILED, p);
	EXPECT_EQ(EINVAL, errno);
	p = mmap(NULL, len + self->page, PROT_READ | PROT_WRITE, MAP_SHARED,
		 self->ep.fd, 0);
	EXPECT_EQ(MAP_FAILED, p);
	EXPECT_EQ(EINVAL, errno);
	p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, self->ep.fd,
		 self->page);
	EXPECT_EQ(MAP_FAILED, p);
	EXPECT_EQ(EINVAL, errno);
	p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE, self->ep.fd, 0);
	EXPECT_EQ(MAP_FAILED, p);
	EXPECT_EQ(EINVAL, errno);
	/* memory userspace writes is never code */
	p = mmap(NULL, len, PROT_READ | PROT_EXEC, MAP_SHARED, self->ep.fd, 0);
	EXPECT_EQ(MAP_FAILED, p);
	EXPECT_EQ(EPERM, errno);

	/* The right one works, cannot grow, and pins the ring. */
	p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, self->ep.fd, 0);
	ASSERT_NE(MAP_FAILED, p);
	EXPECT_EQ(-1, mprotect(p, len, PROT_READ | PROT_EXEC));
	EXPECT_EQ(EACCES, errno);
	EXPECT_EQ(MAP_FAILED, mremap(p, len, len + self->page, 0));
	EXPECT_EQ(MAP_FAILED, mremap(p, len, len + self->page, MREMAP_MAYMOVE));
	EXPECT_EQ(-EBUSY, set_rx(self->ep.fd, 0, 0, 0, 0));
	EXPECT_EQ(0, munmap(p, len));
	/* Unmapped, the ring can change again. */
	EXPECT_EQ(0, set_rx(self->ep.fd, 0, 0, 0, 0));
}

/* The permissions of the mapping at @p, as /proc/self/maps gives them. */
static int map_perms(const void *p, char perms[5])
{
	unsigned long lo, hi;
	char line[512];
	FILE *f = fopen("/proc/self/maps", "r");
	int found = -1;

	if (!f)
		return -1;
	while (found && fgets(line, sizeof(line), f))
		if (sscanf(line, "%lx-%lx %4s", &lo, &hi, perms) == 3 &&
		    lo <= (unsigned long)p && (unsigned long)p < hi)
			found = 0;
	fclose(f);
	return found;
}

/*
 * A program whose personality turns PROT_READ into PROT_EXEC (old binaries,
 * setarch -X) still maps the rings, without exec.
 */
TEST_F(ring, read_implies_exec_maps_without_exec)
{
	struct nl_mmap_req rx = ring_req(self->page, 2, 2048);
	char perms[5];
	void *p;

	ASSERT_EQ(0, ioctl(self->ep.fd, NFQRING_SET_RX_RING, &rx));
	ASSERT_NE(-1, personality(READ_IMPLIES_EXEC));
	p = mmap(NULL, ring_bytes(&rx), PROT_READ | PROT_WRITE, MAP_SHARED, self->ep.fd, 0);
	ASSERT_NE(MAP_FAILED, p) TH_LOG("mmap: %s", strerror(errno));
	ASSERT_EQ(0, map_perms(p, perms));
	EXPECT_STREQ("rw-s", perms);
	EXPECT_EQ(-1, mprotect(p, ring_bytes(&rx), PROT_READ | PROT_EXEC));
	EXPECT_EQ(EACCES, errno);
	munmap(p, ring_bytes(&rx));
}

/* A partial munmap keeps the rest mapped, and the ring pinned. */
TEST_F(ring, partial_unmap_keeps_pin)
{
	struct nl_mmap_req rx = ring_req(self->page, 4, 2048);
	uint8_t *p;

	ASSERT_EQ(0, ioctl(self->ep.fd, NFQRING_SET_RX_RING, &rx));
	p = mmap(NULL, ring_bytes(&rx), PROT_READ | PROT_WRITE, MAP_SHARED,
		 self->ep.fd, 0);
	ASSERT_NE(MAP_FAILED, p);
	ASSERT_EQ(0, munmap(p + self->page, self->page));
	EXPECT_EQ(-EBUSY, set_rx(self->ep.fd, 0, 0, 0, 0));
	munmap(p, self->page);
	EXPECT_EQ(-EBUSY, set_rx(self->ep.fd, 0, 0, 0, 0));
	munmap(p + 2 * self->page, 2 * self->page);
	EXPECT_EQ(0, set_rx(self->ep.fd, 0, 0, 0, 0));
}

/* A mapping survives close() of the file and fork(). */
TEST_F(ring, mapping_outlives_close_and_fork)
{
	struct nl_mmap_req rx = ring_req(self->page, 1, 2048);
	uint8_t *p;
	int status;
	pid_t pid;

	ASSERT_EQ(0, ioctl(self->ep.fd, NFQRING_SET_RX_RING, &rx));
	p = mmap(NULL, ring_bytes(&rx), PROT_READ | PROT_WRITE, MAP_SHARED,
		 self->ep.fd, 0);
	ASSERT_NE(MAP_FAILED, p);
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		p[100] = 7;
		_exit(0);
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_EQ(7, p[100]);
	close(self->ep.fd);
	self->ep.fd = -1;
	p[101] = 8;
	EXPECT_EQ(8, p[101]);
	munmap(p, ring_bytes(&rx));
}

static long cg_read(const char *path)
{
	char buf[64] = "";
	long v = -1;
	FILE *f = fopen(path, "r");

	if (f) {
		if (fgets(buf, sizeof(buf), f))
			v = atol(buf);
		fclose(f);
	}
	return v;
}

/* Ring memory is charged to the memory cgroup of whoever sets it up. */
TEST_F(ring, memory_is_charged_to_the_cgroup)
{
	const char *cg = "/sys/fs/cgroup/nfqr-ring-test";
	struct nl_mmap_req rx = ring_req(1 << 20, 32, 1 << 16);	/* 32 MiB */
	char path[128], pid[32];
	long before, after;
	FILE *f;

	if (system("grep -qw memory /sys/fs/cgroup/cgroup.controllers 2>/dev/null"))
		SKIP(return, "no cgroup2 memory controller");
	ASSERT_EQ(0, system("echo +memory > /sys/fs/cgroup/cgroup.subtree_control"));
	mkdir(cg, 0755);
	snprintf(path, sizeof(path), "%s/cgroup.procs", cg);
	f = fopen(path, "w");
	ASSERT_NE(NULL, f);
	snprintf(pid, sizeof(pid), "%d\n", getpid());
	fputs(pid, f);
	ASSERT_EQ(0, fclose(f));

	snprintf(path, sizeof(path), "%s/memory.current", cg);
	before = cg_read(path);
	ASSERT_EQ(0, ioctl(self->ep.fd, NFQRING_SET_RX_RING, &rx));
	after = cg_read(path);
	TH_LOG("memory.current %ld -> %ld", before, after);
	EXPECT_LE(before + (32l << 20), after);
	/* and uncharged when the ring goes */
	memset(&rx, 0, sizeof(rx));
	ASSERT_EQ(0, ioctl(self->ep.fd, NFQRING_SET_RX_RING, &rx));
	EXPECT_GT(before + (8l << 20), cg_read(path));
}

TEST_HARNESS_MAIN
