// SPDX-License-Identifier: GPL-2.0
/*
 * abi_fuzz: a seeded fuzzer for the /dev/nfqring ABI.
 *
 *   abi_fuzz [--seed N] [--seconds S] [--iterations K] [--threads T]
 *            [--ops N] [--round-timeout S] [--no-rmmod] [--no-churn]
 *            [--race-delay US] [--churn-v2 V,S] [--self-test] [--check-checkers]
 *            [-v]
 *
 * One master seed gives a chain of round seeds (round 0 uses the master
 * seed itself, so `--seed X --iterations 1` replays the round that printed
 * seed X).  Before a round runs, its whole program (T threads of ops, each
 * op with its own sub-seed) is generated from the round seed and its hash
 * printed: a replay runs the same operations; only their interleaving with
 * each other and with the kernel differs.
 *
 * A round runs in a child process (its own process group) inside the
 * fuzzer's private network namespace, where nft queues UDP to queues 0-3
 * (and to the churn's queue 10).
 * The threads share three endpoint slots (fixed descriptor numbers, so a
 * close never lets another file take the number) and up to eight ring
 * mappings, each placed between guard pages.  Operations: ring set-up with
 * valid and invalid requests, mmap/munmap/mremap, CONFIG/VERDICT/BATCH and
 * garbage through write() and the TX ring, TX flushes, read(), poll(),
 * stats, traffic (also GSO and IPv6), RX consumption, status scribbling,
 * close/reopen, a veth deleted with packets queued, a child that binds a
 * queue in its own namespace and exits, and an nft reload; and version 2:
 * SET_ACKS (netlink's acknowledgments in COPY frames, or not, or junk),
 * SET_VERSION at any moment (2 before and after rings, again, back to 1,
 * versions the module does not speak), SET_WAKE and SET_STALL with edge
 * values, GET_WAKE_STATS, the control page mapped right and wrong,
 * unmapped, scribbled over (the kernel's words too) while traffic runs,
 * and NEED_WAKEUP with a nap in poll().  Beside them, in
 * every round unless --no-churn, "the churn" (see there) replaces the RX
 * ring of an endpoint of its own, binds and unbinds its queue and changes
 * its copy range while UDP of 64 B to 9 KB and UDP GSO flows, and checks
 * every frame and message it reads, the ring order, the ids per binding,
 * that no packet is released unread (but by the stall watchdog's
 * NF_ACCEPT, in rounds whose churn speaks version 2 and hangs on purpose),
 * its control page's sequence numbers, and /proc's ring figures.  In a test
 * build of the module a round may widen the module's race windows
 * (test_delay_us, drawn from the round seed unless --race-delay).
 *
 * Invariants (any break fails the round and prints its seed): only the
 * errnos the ABI documents for each call; invalid ring requests fail with
 * EINVAL, ring changes while mapped with EBUSY; the kernel writes nothing
 * outside the RX messages it publishes (guard pages, block tails, the RX
 * frame after the message, TX frames except nm_status, read() buffers and
 * ioctl results past their size); published frames and read() messages are
 * well-formed PACKET (or ack) messages; no frame stays RESERVED once the
 * traffic has stopped; version 2: SET_VERSION, SET_WAKE, SET_STALL,
 * GET_WAKE_STATS and the control page's mmap() succeed or fail exactly as
 * nfqring.h and the module say (EINVAL, EBUSY, EOPNOTSUPP, EFAULT),
 * GET_VERSION says 2 once asked, SET_WAKE answers the documented clamp,
 * wake-up figures add up and never go back, the kernel writes nothing on
 * the control page but rx_prod, tx_cons and the NEED_WAKEUP bit (rx_cons
 * and tx_prod only when a ring is set up, both sequence numbers equal
 * then); after the round no queue is left in /proc, the module's reference
 * count is back, /proc/net/netfilter/nfqring_stats has nothing in flight
 * and as many stall verdicts as the endpoints reported, and the kernel
 * logged no report.  At the end, rmmod nfqring and modprobe nfqring must
 * work.
 *
 * --self-test makes the run fail on purpose (a bogus expectation) after
 * showing that each of the churn's checks fires on forged input;
 * --check-checkers does only the latter, without the module.
 *
 * The namespace child is this program again (abi_fuzz --nschild SEED
 * VARIANT, internal), so that it starts without the round's locks.
 *
 * Exit: 0 clean, 1 an invariant broke or a round hung/crashed, 2 usage or
 * set-up error.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <net/if.h>
#include <netinet/in.h>
#include <netinet/udp.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nfnetlink_queue.h>
#include <linux/netlink.h>
#include <linux/nfqring.h>

#define NSLOT		3
#define SLOT_FD(s)	(900 + (s))	/* open() never hands these out */
#define MAXEP		256		/* endpoints per round */
#define MAXMAP		8
#define NSEEN		256
#define PORT_BASE	40000		/* 40000-40004 queued, 40005 not */
#define MAX_RING	(4U << 20)	/* valid rings we really allocate */
#define BUFSZ		(70 * 1024)
#define EXIT_BROKEN	10		/* a round child found a broken invariant */

#define GUARD_BYTE	0x5a	/* pages around each mapping */
#define GAP_BYTE	0xc3	/* block tails no frame covers */
#define RXC_BYTE	0xe7	/* RX frame bodies we released */
#define RDC_BYTE	0x3c	/* read() buffers and ioctl results */

/* The rules the fuzzer installs in its namespace (and ns children in theirs). */
static const char nft_rules[] =
	"table inet fz {\n"
	"  chain out {\n"
	"    type filter hook output priority 0; policy accept;\n"
	"    ct state new,established,related counter\n"
	"    udp dport 40000 queue num 0\n"
	"    udp dport 40001 queue num 1 bypass\n"
	"    udp dport 40002 queue num 2\n"
	"    udp dport 40003 queue num 0-3\n"
	"    udp dport 40004 queue num 3 bypass\n"
	"    udp dport 40010 queue num 10\n"	/* the churn's */
	"  }\n"
	"}\n";
/* The port whose rule queues to queue q without bypass or balancing. */
static const uint16_t queue_port[4] = { 40000, 40001, 40002, 40004 };
/* Queues CONFIG and verdicts name: small, so that they collide. */
static const uint16_t queue_set[] = { 0, 1, 2, 3, 7, 65535 };

/* ---------- options and shared state ---------- */

static struct {
	uint64_t seed;
	unsigned int seconds, iterations, threads, ops, round_timeout;
	int race_delay;		/* -1: drawn per round */
	int churn_v2, churn_stall;	/* -1: drawn per round */
	bool verbose, self_test, rmmod, churn, check_checkers;
} opt = { .threads = 4, .ops = 160, .round_timeout = 120, .rmmod = true, .churn = true,
	  .race_delay = -1, .churn_v2 = -1, .churn_stall = -1 };

static long page_sz;

/* Counters of the round child, in memory the parent sees. */
struct counters {
	uint64_t ops, skipped, rx_valid, rx_copy, rx_checked, reads_pkt, reads_ack,
		 tx_frames, flush_ok, flush_err, write_ok, write_err, ring_ok,
		 ring_einval, ring_ebusy, maps, sends, veth, nschild, nft;
	/* the churn */
	uint64_t ch_ring_ok, ch_ring_busy, ch_binds, ch_params, ch_sent, ch_raced,
		 ch_valid, ch_copy, ch_backlog, ch_overruns, ch_batches, ch_verdicts,
		 ch_delivered, ch_proc, ch_lines, ch_busy_lines, ch_max_in_use;
	/* version 2 */
	uint64_t ver_2, ver_1, ver_einval, ver_ebusy, wake_ok, wake_err, stall_ok, stall_err,
		 wstats, cmaps, cmap_refused, ctrl_scrib, ctrl_polls, stall_harvest;
	uint64_t ch_v2, ch_hushes, ch_stalls, ch_stall_verdicts, ch_unread, ch_wake_sets;
};
/* What each thread is doing, for hang reports. */
struct progress {
	int op_index[64];
	int op_type[64];
};
static struct counters *cnt;
static struct progress *prog;

#define CNT(f)	__atomic_add_fetch(&cnt->f, 1, __ATOMIC_RELAXED)

/* ---------- random numbers and hashing ---------- */

struct rng {
	uint64_t s;
};

static uint64_t splitmix(uint64_t *s)
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static uint32_t rnd(struct rng *r, uint32_t n)
{
	return n ? (uint32_t)(splitmix(&r->s) % n) : 0;
}

static bool chance(struct rng *r, unsigned int pct)
{
	return rnd(r, 100) < pct;
}

static uint32_t fnv(const void *p, size_t n, uint32_t h)
{
	const uint8_t *b = p;

	while (n--)
		h = (h ^ *b++) * 16777619u;
	return h;
}

#define FNV0	2166136261u

/* ---------- the program of a round ---------- */

enum op_type {
	OP_OPEN, OP_CLOSE, OP_SETRING, OP_MMAP, OP_MUNMAP, OP_MREMAP,
	OP_CONFIG, OP_WRITE, OP_WRITE0, OP_SEND, OP_CONSUME, OP_TXPUT,
	OP_FLUSH, OP_READ, OP_POLL, OP_STATS, OP_IOCTL, OP_SCRIBBLE,
	OP_VERSION, OP_WAKE, OP_STALL, OP_WSTATS, OP_CTRLMAP, OP_CTRL,
	OP_SLEEP, OP_VETH, OP_NSCHILD, OP_NFT, OP_NR
};

static const char *const op_names[OP_NR] = {
	"open", "close", "setring", "mmap", "munmap", "mremap", "config",
	"write", "write0", "send", "consume", "txput", "flush", "read",
	"poll", "stats", "ioctl", "scribble", "version", "wake", "stall", "wstats",
	"ctrlmap", "ctrl", "sleep", "veth", "nschild", "nft",
};

/* Weights of the ops drawn at random; the last three are placed apart. */
static const uint8_t op_weight[OP_NR] = {
	[OP_OPEN] = 4, [OP_CLOSE] = 2, [OP_SETRING] = 6, [OP_MMAP] = 5,
	[OP_MUNMAP] = 3, [OP_MREMAP] = 1, [OP_CONFIG] = 8, [OP_WRITE] = 8,
	[OP_WRITE0] = 2, [OP_SEND] = 14, [OP_CONSUME] = 12, [OP_TXPUT] = 10,
	[OP_FLUSH] = 6, [OP_READ] = 8, [OP_POLL] = 3, [OP_STATS] = 3,
	[OP_IOCTL] = 2, [OP_SCRIBBLE] = 2, [OP_SLEEP] = 1,
	[OP_VERSION] = 3, [OP_WAKE] = 3, [OP_STALL] = 2, [OP_WSTATS] = 2, [OP_CTRLMAP] = 3,
	[OP_CTRL] = 5,
};

struct op {
	uint8_t		type;
	uint8_t		slot;	/* endpoint slot, or mapping index */
	uint8_t		variant;
	uint8_t		pad;
	uint32_t	arg;
	uint64_t	seed;	/* everything else the op draws */
};

/* The churn's threads (see "the churn" below). */
enum { CT_RING, CT_BIND, CT_COPY, CT_SEND, CT_RACE, CT_CONSUME, CT_PROBE, CT_STALL, CT_NR };

struct program {
	unsigned int	nops[64];
	struct op	*ops[64];
	uint64_t	churn_seed[CT_NR];
	unsigned int	race_delay;	/* test build: test_delay_us */
	uint8_t		ch_v2, ch_stall;	/* the churn's version 2 and watchdog modes */
	uint32_t	hash;
	unsigned int	total;
};

static struct op gen_op(struct rng *r, unsigned int type)
{
	struct op o = { .type = type };

	o.slot = rnd(r, 256);
	o.variant = rnd(r, 256);
	o.arg = (uint32_t)splitmix(&r->s);
	o.seed = splitmix(&r->s);
	return o;
}

static unsigned int pick_type(struct rng *r)
{
	unsigned int i, sum = 0, x;

	for (i = 0; i < OP_NR; i++)
		sum += op_weight[i];
	x = rnd(r, sum);
	for (i = 0; i < OP_NR; i++) {
		if (x < op_weight[i])
			return i;
		x -= op_weight[i];
	}
	return OP_SLEEP;
}

/* Generates every thread's ops from the round seed, and their hash. */
static void gen_program(struct program *p, uint64_t seed)
{
	struct rng r = { seed };
	unsigned int t, i, special;

	memset(p, 0, sizeof(*p));
	p->hash = FNV0;
	for (t = 0; t < opt.threads; t++) {
		p->nops[t] = opt.ops / 2 + rnd(&r, opt.ops);
		p->ops[t] = calloc(p->nops[t], sizeof(struct op));
		if (!p->ops[t]) {
			perror("calloc");
			exit(2);
		}
		for (i = 0; i < p->nops[t]; i++)
			p->ops[t][i] = gen_op(&r, pick_type(&r));
	}
	/* The slow ones: at most one of each per round, anywhere. */
	for (special = OP_VETH; special <= OP_NFT; special++) {
		static const unsigned int pct[] = { 40, 40, 15 };

		if (!chance(&r, pct[special - OP_VETH]))
			continue;
		t = rnd(&r, opt.threads);
		p->ops[t][rnd(&r, p->nops[t])] = gen_op(&r, special);
	}
	for (t = 0; t < opt.threads; t++) {
		p->hash = fnv(&t, sizeof(t), p->hash);
		p->hash = fnv(p->ops[t], p->nops[t] * sizeof(struct op), p->hash);
		p->total += p->nops[t];
	}
	/* Drawn after the ops: a seed's ops are what they were before the churn. */
	if (opt.churn) {
		static const unsigned int delay[] = { 50, 300, 1000, 3000 };

		for (t = 0; t < CT_NR; t++)
			p->churn_seed[t] = splitmix(&r.s);
		p->race_delay = chance(&r, 50) ? 0 : delay[rnd(&r, 4)];
		if (opt.race_delay >= 0)
			p->race_delay = opt.race_delay;
		/* version 2 from the start, from a moment without a ring, or never */
		p->ch_v2 = chance(&r, 40) ? 1 : chance(&r, 45) ? 2 : 0;
		/* no watchdog, one that drops, one that accepts or drops */
		p->ch_stall = rnd(&r, 10) < 3 ? 0 : rnd(&r, 2) ? 1 : 2;
		if (opt.churn_v2 >= 0)
			p->ch_v2 = opt.churn_v2;
		if (opt.churn_stall >= 0)
			p->ch_stall = opt.churn_stall;
		p->hash = fnv(p->churn_seed, sizeof(p->churn_seed), p->hash);
		p->hash = fnv(&p->race_delay, sizeof(p->race_delay), p->hash);
		p->hash = fnv(&p->ch_v2, 1, p->hash);
		p->hash = fnv(&p->ch_stall, 1, p->hash);
	}
}

static void free_program(struct program *p)
{
	unsigned int t;

	for (t = 0; t < opt.threads; t++)
		free(p->ops[t]);
}

/* ---------- failing ---------- */

static unsigned int cur_round;
static uint64_t cur_seed;
static __thread int cur_thread = -1, cur_op = -1, cur_type = -1;
static __thread const char *cur_name;	/* a churn thread's name */

static const char *cur_what(void)
{
	return cur_name ? cur_name : cur_type >= 0 ? op_names[cur_type] : "-";
}

static void __attribute__((noreturn, format(printf, 1, 2))) broken(const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	/* One write, so that lines of racing threads do not mix. */
	dprintf(STDOUT_FILENO,
		"abi_fuzz: BROKEN round %u seed 0x%016llx thread %d op %d (%s): %s\n",
		cur_round, (unsigned long long)cur_seed, cur_thread, cur_op, cur_what(), msg);
	_exit(EXIT_BROKEN);
}

static void vlog(const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	if (!opt.verbose)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	dprintf(STDOUT_FILENO, "  t%d #%d %s: %s\n", cur_thread, cur_op, cur_what(), msg);
}

/* errno sets: a call may fail only with what the ABI documents for it. */
typedef unsigned __int128 errset;
#define E(x)	((errset)1 << (x))
/* What a message (CONFIG, VERDICT, BATCH) may fail with, as nfnetlink_queue. */
#define MSG_ERRS (E(EINVAL) | E(ERANGE) | E(ENOENT) | E(ENODEV) | E(EPERM) | \
		  E(EBUSY) | E(EOPNOTSUPP) | E(ENOMEM) | E(EAGAIN))

static void expect_errno(const char *call, int err, errset allowed)
{
	if (err <= 0 || err >= 128 || !(allowed & E(err)))
		broken("%s failed with %s (errno %d), which the ABI does not document for it",
		       call, strerrorname_np(err) ?: "?", err);
}

/* ---------- the round's model of endpoints and mappings ---------- */

enum { RXF_SCRIB = 1, RXF_PRIMED = 2, RXF_OURSKIP = 4 };

struct epo {
	pthread_mutex_t	lock;		/* ring memory, and the fields below */
	struct nl_mmap_req rx, tx;	/* the rings as the kernel has them */
	bool		rx_fresh, tx_fresh; /* set, not mapped yet */
	bool		foreign;	/* from a child's namespace */
	int		nmaps;		/* our mapping records of it */
	uint32_t	rx_pos, tx_pos;
	uint8_t		*rxf;		/* per RX frame: RXF_* */
	uint32_t	*txh, *txl, *txs; /* per TX frame: body hash, nm_len, status */
	/* version 2 (set under the slot's lock and this one) */
	bool		v2;		/* NFQRING_SET_VERSION(2) succeeded */
	bool		stall_ever;	/* a watchdog was switched on */
	bool		ctrl_primed;	/* the control page's pads hold CTRL_PAD_BYTE */
	bool		ctrl_known;	/* its user words are the three below */
	uint32_t	c_rx_cons, c_tx_prod, c_flags; /* c_flags: but NEED_WAKEUP */
	bool		have_ws;
	struct nfqring_wake_stats ws;	/* the last GET_WAKE_STATS */
};

struct slot {
	pthread_mutex_t	lock;		/* which endpoint the fd number is */
	int		ep;		/* -1: closed */
};

/*
 * What a mapping record (struct mapr, struct cmapr) starts with: whether it
 * is in use, its endpoint, and a generation that tells a reused record
 * from the one a thread picked (rec_get()).
 */
#define REC_ID struct { bool used; int ep; unsigned int gen; }
struct rec_id { bool used; int ep; unsigned int gen; };

struct mapr {
	union { struct rec_id id; REC_ID; };
	bool		partial;
	uint8_t		*res;		/* reservation: guard, ring, guard */
	size_t		res_len, glen;	/* glen: ring length the guards enclose */
	uint8_t		*addr;
	size_t		len;
};

static struct epo eps[MAXEP];
static unsigned int neps;
static struct slot slots[NSLOT];
static struct mapr maps[MAXMAP];
static pthread_mutex_t maps_lock = PTHREAD_MUTEX_INITIALIZER;
static unsigned int map_gen;
static uint64_t seen[NSEEN];	/* queue << 32 | id of packets read */
static unsigned int seen_n;
static unsigned int veth_seq, veth_busy, nschild_busy;

static size_t ring_bytes(const struct nl_mmap_req *r)
{
	return (size_t)r->nm_block_size * r->nm_block_nr;
}

static uint32_t frame_room(const struct nl_mmap_req *r)
{
	return r->nm_frame_size - NFQRING_HDRLEN;
}

static struct nl_mmap_hdr *frame_at(uint8_t *ring, const struct nl_mmap_req *r,
				    uint32_t i)
{
	uint32_t per = r->nm_block_size / r->nm_frame_size;

	i %= r->nm_frame_nr;
	return (struct nl_mmap_hdr *)(ring + (size_t)(i / per) * r->nm_block_size +
				      (size_t)(i % per) * r->nm_frame_size);
}

static uint32_t status_load(struct nl_mmap_hdr *h)
{
	return __atomic_load_n(&h->nm_status, __ATOMIC_ACQUIRE);
}

static void status_store(struct nl_mmap_hdr *h, uint32_t v)
{
	__atomic_store_n(&h->nm_status, v, __ATOMIC_RELEASE);
}

static void seen_add(uint16_t queue, uint32_t id)
{
	unsigned int i = __atomic_fetch_add(&seen_n, 1, __ATOMIC_RELAXED);

	__atomic_store_n(&seen[i % NSEEN], (uint64_t)queue << 32 | id, __ATOMIC_RELAXED);
}

static void seen_pick(struct rng *r, uint16_t *queue, uint32_t *id)
{
	unsigned int n = __atomic_load_n(&seen_n, __ATOMIC_RELAXED);
	uint64_t v;

	if (!n || chance(r, 10)) {
		*queue = queue_set[rnd(r, 6)];
		*id = rnd(r, 3) ? rnd(r, 200) : (uint32_t)splitmix(&r->s);
		return;
	}
	v = __atomic_load_n(&seen[(n - 1 - rnd(r, n < 16 ? n : 16)) % NSEEN],
			    __ATOMIC_RELAXED);
	*queue = v >> 32;
	*id = (uint32_t)v;
	if (chance(r, 15))
		*id += rnd(r, 5) - 2;	/* near misses: wrong ids */
}

static uint16_t pick_queue(struct rng *r)
{
	return chance(r, 85) ? rnd(r, 4) : queue_set[4 + rnd(r, 2)];
}

/* ---------- messages ---------- */

struct mb {
	uint8_t	*buf;
	size_t	cap, len;
};

static struct nlmsghdr *mb_start(struct mb *b, uint8_t type, uint16_t flags,
				 uint16_t queue)
{
	struct nlmsghdr *nlh = (struct nlmsghdr *)(b->buf + b->len);
	struct nfgenmsg *nfg;

	if (b->len + NLMSG_HDRLEN + NLMSG_ALIGN(sizeof(*nfg)) > b->cap)
		return NULL;
	memset(nlh, 0, NLMSG_HDRLEN + NLMSG_ALIGN(sizeof(*nfg)));
	nlh->nlmsg_type = (NFNL_SUBSYS_QUEUE << 8) | type;
	nlh->nlmsg_flags = flags;
	nlh->nlmsg_seq = (uint32_t)b->len;
	nfg = (struct nfgenmsg *)(b->buf + b->len + NLMSG_HDRLEN);
	nfg->nfgen_family = AF_UNSPEC;
	nfg->version = NFNETLINK_V0;
	nfg->res_id = htons(queue);
	b->len += NLMSG_HDRLEN + NLMSG_ALIGN(sizeof(*nfg));
	return nlh;
}

static void mb_attr(struct mb *b, uint16_t type, const void *data, uint16_t len)
{
	struct nlattr *nla = (struct nlattr *)(b->buf + b->len);

	if (b->len + NLA_ALIGN(NLA_HDRLEN + len) > b->cap)
		return;
	nla->nla_type = type;
	nla->nla_len = NLA_HDRLEN + len;
	memcpy((uint8_t *)nla + NLA_HDRLEN, data, len);
	memset((uint8_t *)nla + NLA_HDRLEN + len, 0, NLA_ALIGN(len) - len);
	b->len += NLA_ALIGN(NLA_HDRLEN + len);
}

static void mb_u32(struct mb *b, uint16_t type, uint32_t v)
{
	v = htonl(v);
	mb_attr(b, type, &v, sizeof(v));
}

static void mb_end(struct mb *b, struct nlmsghdr *nlh)
{
	nlh->nlmsg_len = b->buf + b->len - (uint8_t *)nlh;
}

static uint16_t msg_flags(struct rng *r)
{
	uint16_t f = chance(r, 96) ? NLM_F_REQUEST : 0;

	if (chance(r, 15))
		f |= NLM_F_ACK;
	return f;
}

static uint32_t pick_verdict(struct rng *r)
{
	switch (rnd(r, 20)) {
	case 0 ... 9:	return NF_ACCEPT;
	case 10 ... 14:	return NF_DROP;
	case 15:	return NF_REPEAT;
	case 16:	return NF_QUEUE | (uint32_t)rnd(r, 4) << NF_VERDICT_QBITS |
				(chance(r, 50) ? NF_VERDICT_FLAG_QUEUE_BYPASS : 0);
	case 17:	return NF_STOLEN;
	case 18:	return NF_STOP;
	default:	return (uint32_t)splitmix(&r->s);
	}
}

/* A replacement payload: an IP header we keep, then random bytes. */
static void mb_payload(struct mb *b, struct rng *r)
{
	uint8_t p[1600];
	uint16_t len = 20 + rnd(r, chance(r, 90) ? 200 : sizeof(p) - 20);
	unsigned int i;

	for (i = 0; i < len; i++)
		p[i] = rnd(r, 256);
	p[0] = 0x45;
	p[9] = IPPROTO_UDP;
	if (chance(r, 70)) {	/* a sane header to 127.0.0.1 */
		p[2] = len >> 8;
		p[3] = len & 0xff;
		p[8] = 64;
		p[12] = p[16] = 127;
		p[13] = p[14] = p[17] = p[18] = 0;
		p[15] = p[19] = 1;
	}
	mb_attr(b, NFQA_PAYLOAD, p, len);
}

static void gen_verdict(struct mb *b, struct rng *r, bool batch)
{
	struct nfqnl_msg_verdict_hdr vh;
	struct nlmsghdr *nlh;
	uint16_t queue;
	uint32_t id;

	seen_pick(r, &queue, &id);
	if (batch)
		id += rnd(r, 40);
	nlh = mb_start(b, batch ? NFQNL_MSG_VERDICT_BATCH : NFQNL_MSG_VERDICT,
		       msg_flags(r), queue);
	if (!nlh)
		return;
	vh.verdict = htonl(pick_verdict(r));
	vh.id = htonl(id);
	if (chance(r, 95))
		mb_attr(b, NFQA_VERDICT_HDR, &vh, chance(r, 97) ? sizeof(vh) : rnd(r, sizeof(vh)));
	if (chance(r, 25))
		mb_u32(b, NFQA_MARK, (uint32_t)splitmix(&r->s));
	if (chance(r, 10))
		mb_u32(b, NFQA_PRIORITY, rnd(r, 8));
	if (!batch && chance(r, 10))
		mb_payload(b, r);
	if (!batch && chance(r, 3)) {	/* a conntrack attribute of junk */
		uint8_t junk[24];
		unsigned int i;

		for (i = 0; i < sizeof(junk); i++)
			junk[i] = rnd(r, 256);
		mb_attr(b, NFQA_CT | NLA_F_NESTED, junk, rnd(r, sizeof(junk)));
	}
	mb_end(b, nlh);
}

static void gen_config(struct mb *b, struct rng *r, uint16_t queue)
{
	struct nfqnl_msg_config_cmd cmd = { 0 };
	struct nfqnl_msg_config_params params;
	struct nlmsghdr *nlh = mb_start(b, NFQNL_MSG_CONFIG, msg_flags(r), queue);

	if (!nlh)
		return;
	if (chance(r, 55)) {
		switch (rnd(r, 10)) {
		case 0 ... 4:	cmd.command = NFQNL_CFG_CMD_BIND; break;
		case 5 ... 7:	cmd.command = NFQNL_CFG_CMD_UNBIND; break;
		case 8:		cmd.command = NFQNL_CFG_CMD_PF_BIND + rnd(r, 2); break;
		default:	cmd.command = rnd(r, 256); break;
		}
		cmd.pf = htons(rnd(r, 3) ? AF_INET : rnd(r, 64));
		mb_attr(b, NFQA_CFG_CMD, &cmd, chance(r, 97) ? sizeof(cmd) : 1);
	}
	if (chance(r, 50)) {
		params.copy_mode = rnd(r, 5) ? NFQNL_COPY_PACKET : rnd(r, 6);
		switch (rnd(r, 5)) {
		case 0:	params.copy_range = htonl(0); break;
		case 1:	params.copy_range = htonl(0xffff); break;
		case 2:	params.copy_range = htonl((uint32_t)splitmix(&r->s)); break;
		default: params.copy_range = htonl(rnd(r, 3000)); break;
		}
		mb_attr(b, NFQA_CFG_PARAMS, &params,
			chance(r, 97) ? sizeof(params) : rnd(r, sizeof(params)));
	}
	if (chance(r, 15)) {
		static const uint32_t maxlen[] = { 0, 1, 4, 64, 1024, 0xffffffff };

		mb_u32(b, NFQA_CFG_QUEUE_MAXLEN, maxlen[rnd(r, 6)]);
	}
	if (chance(r, 20)) {
		mb_u32(b, NFQA_CFG_FLAGS, rnd(r, 10) ? rnd(r, NFQA_CFG_F_MAX) :
			(uint32_t)splitmix(&r->s));
		if (chance(r, 90))
			mb_u32(b, NFQA_CFG_MASK, rnd(r, 4) ? 0xffffffff : rnd(r, 64));
	}
	mb_end(b, nlh);
}

/* A message of random bytes, with a length that fits or not. */
static void gen_garbage(struct mb *b, struct rng *r)
{
	uint32_t n = 4 + rnd(r, 120), i;
	struct nlmsghdr *nlh = (struct nlmsghdr *)(b->buf + b->len);

	if (b->len + NLMSG_ALIGN(n) + NLMSG_HDRLEN > b->cap)
		return;
	for (i = 0; i < NLMSG_ALIGN(n) + NLMSG_HDRLEN; i++)
		b->buf[b->len + i] = rnd(r, 256);
	if (chance(r, 60)) {	/* plausible header, junk after it */
		nlh->nlmsg_type = (NFNL_SUBSYS_QUEUE << 8) | rnd(r, 5);
		nlh->nlmsg_flags = NLM_F_REQUEST | (chance(r, 20) ? NLM_F_ACK : 0);
		nlh->nlmsg_len = rnd(r, 4) ? NLMSG_HDRLEN + n : rnd(r, 0x10000);
	}
	b->len += NLMSG_ALIGN(n) + NLMSG_HDRLEN;
}

/* Per message: where it ends, so that a short write() can be checked. */
struct gen_info {
	bool	clean;		/* every message well-framed */
	int	n;
	size_t	ends[16];
};

/* Fills @buf with 1-4 messages of the kinds @kinds allows. */
static size_t gen_msgs(struct rng *r, uint8_t *buf, size_t cap, bool config_only,
		       struct gen_info *gi)
{
	struct mb b = { .buf = buf, .cap = cap };
	unsigned int n = 1 + rnd(r, chance(r, 70) ? 1 : 4), i;
	size_t before;

	gi->clean = true;
	gi->n = 0;
	for (i = 0; i < n; i++) {
		before = b.len;
		if (config_only) {
			gen_config(&b, r, pick_queue(r));
		} else {
			switch (rnd(r, 20)) {
			case 0 ... 7:	gen_verdict(&b, r, false); break;
			case 8 ... 12:	gen_verdict(&b, r, true); break;
			case 13 ... 15:	gen_config(&b, r, pick_queue(r)); break;
			case 16 ... 17:	gen_garbage(&b, r); gi->clean = false; break;
			default: {	/* a PACKET message: the kernel's to send */
				struct nlmsghdr *nlh = mb_start(&b, NFQNL_MSG_PACKET,
								NLM_F_REQUEST, 0);
				if (nlh)
					mb_end(&b, nlh);
			}
			}
		}
		if (b.len > before && gi->n < 16)
			gi->ends[gi->n++] = b.len;
	}
	if (b.len && chance(r, 4)) {	/* cut the last message short */
		b.len -= 1 + rnd(r, b.len < 8 ? b.len : 8);
		gi->clean = false;
	}
	return b.len;
}

/* ---------- checking what the kernel publishes ---------- */

/*
 * NULL when @m (@len bytes) is a well-formed PACKET message of @queue, or
 * with @queue < 0 of a queue the ops can bind.
 */
static const char *bad_packet_of(const uint8_t *m, uint32_t len, int queue)
{
	const struct nlmsghdr *nlh = (const void *)m;
	const struct nfgenmsg *nfg = (const void *)(m + NLMSG_HDRLEN);
	const struct nfqnl_msg_packet_hdr *ph = NULL;
	uint32_t off = NLMSG_HDRLEN + NLMSG_ALIGN(sizeof(*nfg));
	uint32_t payload = 0, cap_len = 0, i;
	const uint8_t *data = NULL;
	bool any_payload = false;

	if (len < off + NLA_HDRLEN + sizeof(*ph))
		return "shorter than a PACKET message can be";
	if (nlh->nlmsg_len != len)
		return "nlmsg_len is not the message length";
	if (nlh->nlmsg_type != ((NFNL_SUBSYS_QUEUE << 8) | NFQNL_MSG_PACKET))
		return "not NFQNL_MSG_PACKET";
	if (nlh->nlmsg_flags || nlh->nlmsg_seq || nlh->nlmsg_pid)
		return "flags/seq/pid not zero";
	if (nfg->version != NFNETLINK_V0 ||
	    (nfg->nfgen_family != NFPROTO_IPV4 && nfg->nfgen_family != NFPROTO_IPV6))
		return "bad nfgenmsg";
	for (i = 0; queue < 0 && i < sizeof(queue_set) / sizeof(queue_set[0]); i++)
		if (ntohs(nfg->res_id) == queue_set[i])
			break;
	if (queue >= 0 ? ntohs(nfg->res_id) != queue :
	    i == sizeof(queue_set) / sizeof(queue_set[0]))
		return "res_id is a queue nobody can have bound";
	while (off + NLA_HDRLEN <= len) {
		const struct nlattr *a = (const void *)(m + off);
		uint16_t type = a->nla_type & NLA_TYPE_MASK;

		if (a->nla_len < NLA_HDRLEN || off + a->nla_len > len)
			return "attribute runs past the message";
		if (type == 0 || type > NFQA_MAX)
			return "unknown attribute type";
		if (type == NFQA_PACKET_HDR) {
			if (ph || a->nla_len != NLA_HDRLEN + sizeof(*ph))
				return "bad NFQA_PACKET_HDR";
			ph = (const void *)(m + off + NLA_HDRLEN);
		} else if (type == NFQA_PAYLOAD) {
			payload = a->nla_len - NLA_HDRLEN;
			data = m + off + NLA_HDRLEN;
			any_payload = true;
		} else if (type == NFQA_CAP_LEN) {
			if (a->nla_len != NLA_HDRLEN + 4)
				return "bad NFQA_CAP_LEN";
			memcpy(&cap_len, m + off + NLA_HDRLEN, 4);
			cap_len = ntohl(cap_len);
		}
		off += NLA_ALIGN(a->nla_len);
	}
	if (off < len)
		return "trailing bytes after the attributes";
	if (!ph)
		return "no NFQA_PACKET_HDR";
	if (!ph->packet_id)
		return "packet id 0";
	if (ph->hw_protocol != htons(0x0800) && ph->hw_protocol != htons(0x86dd))
		return "hw_protocol neither IPv4 nor IPv6";
	if (ph->hook != NF_INET_LOCAL_OUT)
		return "hook is not LOCAL_OUT";
	if (any_payload && payload && (data[0] >> 4) != 4 && (data[0] >> 4) != 6)
		return "payload is not an IP packet";
	if (cap_len && cap_len <= payload)
		return "NFQA_CAP_LEN not above the payload length";
	if (payload > 0xffff)
		return "payload longer than 64 KiB";
	return NULL;
}

static const char *bad_packet(const uint8_t *m, uint32_t len)
{
	return bad_packet_of(m, len, -1);
}

/* NULL when @m is a sound acknowledgment (capped NLMSG_ERROR, an errno the
 * ABI documents), in a read() buffer or, with NFQRING_ACKS_NETLINK, in an
 * RX frame. */
static const char *bad_ack(const uint8_t *m, uint32_t len)
{
	const struct nlmsghdr *nlh = (const void *)m;
	const struct nlmsgerr *me = NLMSG_DATA(nlh);
	static __thread char msg[96];

	if (len != NLMSG_SPACE(sizeof(*me)) || nlh->nlmsg_len != len ||
	    nlh->nlmsg_flags != NLM_F_CAPPED) {
		snprintf(msg, sizeof(msg), "an ack of %u bytes, nlmsg_len %u flags 0x%x", len,
			 nlh->nlmsg_len, nlh->nlmsg_flags);
		return msg;
	}
	if (me->error > 0 || me->error <= -128 ||
	    (me->error < 0 && !(MSG_ERRS & E(-me->error)))) {
		snprintf(msg, sizeof(msg), "an ack carries error %d", me->error);
		return msg;
	}
	return NULL;
}

static bool is_ack(const uint8_t *m, uint32_t len)
{
	return len >= NLMSG_HDRLEN && ((const struct nlmsghdr *)m)->nlmsg_type == NLMSG_ERROR;
}

/*
 * The first 32 bits (network order) of attribute @type of a message that
 * bad_packet_of() passed, into *@v; false when it has no such attribute.
 */
static bool packet_u32(const uint8_t *m, uint32_t len, uint16_t type, uint32_t *v)
{
	uint32_t off = NLMSG_HDRLEN + NLMSG_ALIGN(sizeof(struct nfgenmsg));

	while (off + NLA_HDRLEN <= len) {
		const struct nlattr *a = (const void *)(m + off);

		if (a->nla_len < NLA_HDRLEN)
			break;
		if ((a->nla_type & NLA_TYPE_MASK) == type && a->nla_len >= NLA_HDRLEN + 4) {
			memcpy(v, m + off + NLA_HDRLEN, 4);
			*v = ntohl(*v);
			return true;
		}
		off += NLA_ALIGN(a->nla_len);
	}
	return false;
}

static uint32_t packet_id(const uint8_t *m, uint32_t len, uint16_t *queue)
{
	uint32_t id = 0;

	*queue = ntohs(((const struct nfgenmsg *)(m + NLMSG_HDRLEN))->res_id);
	packet_u32(m, len, NFQA_PACKET_HDR, &id);
	return id;
}

static bool all_bytes(const uint8_t *p, size_t n, uint8_t v, size_t *where)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (p[i] != v) {
			*where = i;
			return false;
		}
	return true;
}

/* Block tails no frame covers: the kernel never writes them. */
static void gaps(uint8_t *ring, const struct nl_mmap_req *r, bool fill, uint8_t expect,
		 const char *which)
{
	uint32_t per, used, b;
	size_t where;

	if (!r->nm_block_nr)
		return;
	per = r->nm_block_size / r->nm_frame_size;
	used = per * r->nm_frame_size;
	if (used == r->nm_block_size)
		return;
	for (b = 0; b < r->nm_block_nr; b++) {
		uint8_t *gap = ring + (size_t)b * r->nm_block_size + used;

		if (!all_bytes(gap, r->nm_block_size - used, expect, &where))
			broken("%s ring block %u: byte %zu past the last frame is 0x%02x, not 0x%02x",
			       which, b, where, gap[where], expect);
		if (fill)
			memset(gap, GAP_BYTE, r->nm_block_size - used);
	}
}

/*
 * Address space is shared by the threads: a range we leave unmapped, even
 * for a moment, may be given to another thread's mmap (a ring, a malloc),
 * and unmapping it later would pull that mapping from under its owner (a
 * round died of SIGSEGV in a live ring that way).  So a reservation is
 * unmapped piece by piece, never across a hole, and a range whose state a
 * failed mmap/mremap left unknown is released only if it is free.
 */
static void unmap_if_free(uint8_t *p, size_t len)
{
	void *q = mmap(p, len, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE,
		       -1, 0);

	if (q != MAP_FAILED)
		munmap(q, len);	/* it was free: ours now, and gone */
	/* EEXIST: still ours (then it leaks until the round's process exits)
	 * or somebody else's: either way, not ours to unmap */
}

/* Our pages of a mapping: the guards and the ring as far as it still
 * reaches (a shrink leaves [len, glen) to whoever gets it). */
static void res_unmap(struct mapr *m)
{
	if (munmap(m->res, page_sz + m->len) || munmap(m->res + page_sz + m->glen, page_sz))
		broken("munmap: %s", strerror(errno));
}

static void check_guards(struct mapr *m)
{
	size_t where;

	if (!all_bytes(m->res, page_sz, GUARD_BYTE, &where) ||
	    !all_bytes(m->res + page_sz + m->glen, page_sz, GUARD_BYTE, &where))
		broken("guard page around mapping %p changed at byte %zu", m->addr, where);
}

/* ---------- endpoint model helpers ---------- */

static int new_ep(bool foreign)
{
	unsigned int i = __atomic_fetch_add(&neps, 1, __ATOMIC_RELAXED);
	struct epo *e;

	if (i >= MAXEP)
		return -1;
	e = &eps[i];
	pthread_mutex_init(&e->lock, NULL);
	e->foreign = foreign;
	return i;
}

static void ep_set_rx(struct epo *e, const struct nl_mmap_req *r)
{
	free(e->rxf);
	e->rxf = NULL;
	e->rx = *r;
	e->rx_pos = 0;
	if (r->nm_block_nr)
		e->rxf = calloc(r->nm_frame_nr, 1);
}

static void ep_set_tx(struct epo *e, const struct nl_mmap_req *r)
{
	uint32_t i, zh;
	uint8_t *zero;

	free(e->txh);
	free(e->txl);
	free(e->txs);
	e->txh = e->txl = e->txs = NULL;
	e->tx = *r;
	e->tx_pos = 0;
	if (!r->nm_block_nr)
		return;
	zero = calloc(1, frame_room(r));
	zh = fnv(zero, frame_room(r), FNV0);
	free(zero);
	e->txh = calloc(r->nm_frame_nr, 4);
	e->txl = calloc(r->nm_frame_nr, 4);
	e->txs = calloc(r->nm_frame_nr, 4);
	for (i = 0; i < r->nm_frame_nr; i++)
		e->txh[i] = zh;	/* ring memory starts zeroed */
}

/*
 * Locks the @idx-th live mapping record (modulo their number) and its
 * endpoint; NULL when there is none.
 */
/*
 * Picks record @idx (modulo those in use) of @n records of @size bytes at
 * @base, and returns it with its endpoint locked, or NULL.
 */
static void *rec_get(void *base, size_t size, unsigned int n, unsigned int idx,
		     struct epo **ep)
{
	struct rec_id *r = NULL, *c;
	unsigned int gen, i, used = 0, k;
	bool ok;
	int e;

	pthread_mutex_lock(&maps_lock);
	for (i = 0; i < n; i++)
		used += ((struct rec_id *)((char *)base + i * size))->used;
	k = used ? idx % used : 0;
	for (i = 0; used && i < n; i++) {
		c = (struct rec_id *)((char *)base + i * size);
		if (c->used && k-- == 0) {
			r = c;
			break;
		}
	}
	if (!r) {
		pthread_mutex_unlock(&maps_lock);
		return NULL;
	}
	e = r->ep;
	gen = r->gen;
	pthread_mutex_unlock(&maps_lock);
	pthread_mutex_lock(&eps[e].lock);
	/*
	 * Dropped and reused meanwhile?  op_mmap() rewrites a free record
	 * under maps_lock only (it holds another endpoint's lock), so look
	 * under maps_lock too: unlocked, a half-written record could pass
	 * for the old one (a round on 6.12 died of SIGSEGV that way, we
	 * think).  Once checked, it stays: dropping it needs our lock.
	 */
	pthread_mutex_lock(&maps_lock);
	ok = r->used && r->gen == gen && r->ep == e;
	pthread_mutex_unlock(&maps_lock);
	if (!ok) {
		pthread_mutex_unlock(&eps[e].lock);
		return NULL;
	}
	*ep = &eps[e];
	return r;
}

static struct mapr *map_get(unsigned int idx, struct epo **ep)
{
	return rec_get(maps, sizeof(maps[0]), MAXMAP, idx, ep);
}

/* Under the endpoint lock: the TX ring kept everything but nm_status. */
static void check_tx_frame(struct epo *e, uint8_t *txring, uint32_t i)
{
	struct nl_mmap_hdr *h = frame_at(txring, &e->tx, i);
	uint32_t st = status_load(h);

	if (st != e->txs[i] && st != NFQRING_STATUS_UNUSED)
		broken("TX frame %u: status %u, but we stored %u and the kernel may only store UNUSED",
		       i, st, e->txs[i]);
	if (h->nm_len != e->txl[i])
		broken("TX frame %u: nm_len %u, we wrote %u", i, h->nm_len, e->txl[i]);
	if (fnv((uint8_t *)h + NFQRING_HDRLEN, frame_room(&e->tx), FNV0) != e->txh[i])
		broken("TX frame %u: the kernel changed its body", i);
	if (h->nm_group || h->nm_pid || h->nm_uid || h->nm_gid)
		broken("TX frame %u: header fields written", i);
}

/* ---------- version 2: the control page, moderation, the watchdog ---------- */

/*
 * Control page mappings are records of their own (up to MAXCMAP), each with
 * a descriptor of its endpoint (CMAP_FD on), so that poll() can be asked
 * through the mapping after its slot moved on.  Everything on a control
 * page is read and written under its endpoint's lock; the kernel writes
 * rx_prod, tx_cons and the NEED_WAKEUP bit of flags at any time, and
 * rx_cons and tx_prod only when a ring is set up (or the page is made).
 */
#define MAXCMAP		6
#define CMAP_FD		920
#define CTRL_PAD_BYTE	0xa5	/* the control page around its five words */

struct cmapr {
	union { struct rec_id id; REC_ID; };
	bool		ro;
	int		fd;
	struct nfqring_ctrl *c;
};

static struct cmapr cmaps[MAXCMAP];
static bool round_ending;	/* the last look: counters must have settled */

static void check_version(int fd, const struct epo *e);

static uint32_t cload(const uint32_t *p)
{
	return __atomic_load_n(p, __ATOMIC_ACQUIRE);
}

static void cstore(uint32_t *p, uint32_t v)
{
	__atomic_store_n(p, v, __ATOMIC_RELEASE);
}

static bool ctrl_word(size_t off)
{
	return off == offsetof(struct nfqring_ctrl, rx_prod) ||
	       off == offsetof(struct nfqring_ctrl, rx_cons) ||
	       off == offsetof(struct nfqring_ctrl, flags) ||
	       off == offsetof(struct nfqring_ctrl, tx_prod) ||
	       off == offsetof(struct nfqring_ctrl, tx_cons);
}

/* NULL when every byte of the page but its five words is @pad. */
static const char *bad_ctrl_pads(const uint8_t *page, uint8_t pad)
{
	static __thread char msg[160];
	size_t off;

	for (off = 0; off < NFQRING_CTRL_SIZE; off += 4) {
		uint32_t w, want;

		if (ctrl_word(off))
			continue;
		memcpy(&w, page + off, 4);
		memset(&want, pad, 4);
		if (w != want) {
			snprintf(msg, sizeof(msg),
				 "bytes %zu-%zu are 0x%08x, not 0x%08x: the kernel wrote outside its words",
				 off, off + 3, w, want);
			return msg;
		}
	}
	return NULL;
}

/*
 * NULL when the user words are what we wrote (@want: rx_cons, tx_prod,
 * flags but NEED_WAKEUP): no ring was set up since, so the kernel may not
 * have changed them.
 */
static const char *bad_ctrl_user(const uint32_t want[3], const uint32_t got[3])
{
	static const char *const name[3] = { "rx_cons", "tx_prod", "flags (but NEED_WAKEUP)" };
	static __thread char msg[200];
	int i;

	for (i = 0; i < 3; i++)
		if (want[i] != got[i]) {
			snprintf(msg, sizeof(msg),
				 "%s is 0x%08x, but we wrote 0x%08x and set up no ring since: the kernel wrote userspace's word",
				 name[i], got[i], want[i]);
			return msg;
		}
	return NULL;
}

/* NULL when @what = (int32_t)(@prod - @cons) lies in [@lo, @hi]. */
static const char *bad_ctrl_seq(const char *what, uint32_t prod, uint32_t cons, int64_t lo,
				int64_t hi)
{
	static __thread char msg[240];
	int64_t d = (int32_t)(prod - cons);

	if (d >= lo && d <= hi)
		return NULL;
	snprintf(msg, sizeof(msg), "%s: producer 0x%08x, consumer 0x%08x, a difference of %lld, not in [%lld, %lld]",
		 what, prod, cons, (long long)d, (long long)lo, (long long)hi);
	return msg;
}

/*
 * NULL when SET_WAKE answered @req with @got as the header says: zero takes
 * the default, the rest is clamped (wake_nr and watermark to 1 .. @frames,
 * the ring's frames or NFQRING_MAX_FRAMES without one; max_delay_us to at
 * most NFQRING_WAKE_MAX_DELAY_US, and 0 with wake_nr 1 may stay 0; idle_us
 * likewise, except that NFQRING_WAKE_IDLE_OFF stays).
 */
static const char *bad_wake_clamp(const struct nfqring_wake *req, const struct nfqring_wake *got,
				  uint32_t frames)
{
	static __thread char msg[300];
	uint32_t nr = req->wake_nr ? req->wake_nr : NFQRING_WAKE_NR;
	uint32_t wm = req->watermark ? req->watermark : frames / 2 ? frames / 2 : 1;
	uint32_t d = req->max_delay_us ? req->max_delay_us : NFQRING_WAKE_DELAY_US;
	uint32_t idle = req->idle_us ? req->idle_us : NFQRING_WAKE_IDLE_US;

	nr = nr > frames ? frames : nr ? nr : 1;
	wm = wm > frames ? frames : wm ? wm : 1;
	d = d > NFQRING_WAKE_MAX_DELAY_US ? NFQRING_WAKE_MAX_DELAY_US : d;
	if (idle != NFQRING_WAKE_IDLE_OFF && idle > NFQRING_WAKE_MAX_DELAY_US)
		idle = NFQRING_WAKE_MAX_DELAY_US;
	if (got->wake_nr == nr && got->watermark == wm && got->idle_us == idle &&
	    (got->max_delay_us == d ||
	     (!req->max_delay_us && req->wake_nr == 1 && !got->max_delay_us)))
		return NULL;
	snprintf(msg, sizeof(msg),
		 "asked wake_nr %u watermark %u max_delay_us %u idle_us %u (ring of %u frames), got %u %u %u %u; the documented clamp gives %u %u %u %u",
		 req->wake_nr, req->watermark, req->max_delay_us, req->idle_us, frames,
		 got->wake_nr, got->watermark, got->max_delay_us, got->idle_us, nr, wm, d, idle);
	return msg;
}

/*
 * NULL when GET_WAKE_STATS figures are possible: each wake-up has its reason
 * counted first (so the reasons add up to at least the wake-ups, exactly
 * once all is quiet, @quiet), stalled is 0 or 1, no watchdog figures without
 * a watchdog, and no counter goes back from @prev (may be NULL).
 */
static const char *bad_wake_stats(const struct nfqring_wake_stats *prev,
				  const struct nfqring_wake_stats *st, bool stall_ever, bool quiet)
{
	static __thread char msg[300];
	unsigned long long why = st->wake_nr_hits + st->watermark_hits + st->timer_wakeups +
				 st->idle_wakeups;

	if (st->stalled > 1)
		snprintf(msg, sizeof(msg), "stalled %u", st->stalled);
	else if (why < st->wakeups || (quiet && why != st->wakeups))
		snprintf(msg, sizeof(msg),
			 "%llu wake-ups, but wake_nr_hits %llu + watermark_hits %llu + timer_wakeups %llu + idle_wakeups %u = %llu%s",
			 (unsigned long long)st->wakeups, (unsigned long long)st->wake_nr_hits,
			 (unsigned long long)st->watermark_hits,
			 (unsigned long long)st->timer_wakeups, st->idle_wakeups, why,
			 quiet ? " once everything was quiet" : "");
	else if (!stall_ever && (st->stalls || st->stall_verdicts || st->stalled))
		snprintf(msg, sizeof(msg),
			 "stalls %llu stall_verdicts %llu stalled %u, but no watchdog was ever switched on",
			 (unsigned long long)st->stalls, (unsigned long long)st->stall_verdicts,
			 st->stalled);
	else if (prev && (st->wakeups < prev->wakeups || st->wake_nr_hits < prev->wake_nr_hits ||
			  st->watermark_hits < prev->watermark_hits ||
			  st->timer_wakeups < prev->timer_wakeups || st->skipped < prev->skipped ||
			  st->idle_wakeups < prev->idle_wakeups ||
			  st->stalls < prev->stalls || st->stall_verdicts < prev->stall_verdicts))
		snprintf(msg, sizeof(msg),
			 "a counter went back: wakeups %llu -> %llu, skipped %llu -> %llu, stalls %llu -> %llu, stall_verdicts %llu -> %llu",
			 (unsigned long long)prev->wakeups, (unsigned long long)st->wakeups,
			 (unsigned long long)prev->skipped, (unsigned long long)st->skipped,
			 (unsigned long long)prev->stalls, (unsigned long long)st->stalls,
			 (unsigned long long)prev->stall_verdicts,
			 (unsigned long long)st->stall_verdicts);
	else
		return NULL;
	return msg;
}

/*
 * Under the endpoint lock: the control page at @c kept what the kernel may
 * not write (pads, and the user words unless a ring was set up since);
 * then the page is primed (when @writable) and its user words learnt.
 */
static void ctrl_sync(struct epo *e, struct nfqring_ctrl *c, bool writable)
{
	uint32_t got[3], want[3] = { e->c_rx_cons, e->c_tx_prod, e->c_flags };
	const char *bad = bad_ctrl_pads((const uint8_t *)c, e->ctrl_primed ? CTRL_PAD_BYTE : 0);
	size_t off;

	if (bad)
		broken("control page of endpoint %td: %s", e - eps, bad);
	got[0] = cload(&c->rx_cons);
	got[1] = cload(&c->tx_prod);
	got[2] = cload(&c->flags) & ~NFQRING_CTRL_NEED_WAKEUP;
	if (e->ctrl_known) {
		bad = bad_ctrl_user(want, got);
		if (bad)
			broken("control page of endpoint %td: %s", e - eps, bad);
	}
	e->c_rx_cons = got[0];
	e->c_tx_prod = got[1];
	e->c_flags = got[2];
	e->ctrl_known = true;
	if (!writable || e->ctrl_primed)
		return;
	for (off = 0; off < NFQRING_CTRL_SIZE; off += 4)
		if (!ctrl_word(off))
			memset((uint8_t *)c + off, CTRL_PAD_BYTE, 4);
	e->ctrl_primed = true;
}

/* A control page mapping of endpoint @ei (its lock held), or NULL. */
static struct cmapr *cmap_of(int ei)
{
	struct cmapr *cm = NULL;
	unsigned int i;

	pthread_mutex_lock(&maps_lock);
	for (i = 0; i < MAXCMAP; i++)
		if (cmaps[i].used && cmaps[i].ep == ei) {
			cm = &cmaps[i];
			break;
		}
	pthread_mutex_unlock(&maps_lock);
	return cm;
}

/* As map_get(), for control page mappings. */
static struct cmapr *cmap_get(unsigned int idx, struct epo **ep)
{
	return rec_get(cmaps, sizeof(cmaps[0]), MAXCMAP, idx, ep);
}

/* Under the endpoint lock: a last look, then unmaps and frees the record. */
static void cmap_drop(struct cmapr *cm, struct epo *e)
{
	ctrl_sync(e, cm->c, !cm->ro);
	if (munmap(cm->c, NFQRING_CTRL_SIZE))
		broken("munmap of a control page: %s", strerror(errno));
	close(cm->fd);
	pthread_mutex_lock(&maps_lock);
	cm->used = false;
	pthread_mutex_unlock(&maps_lock);
}

/*
 * Under the slot's and the endpoint's lock, before its descriptor goes: the
 * watchdog off, and what it did counted for the round's end-to-end check
 * against /proc/net/netfilter/nfqring_stats (our namespace's endpoints
 * only).  At the round's end the wake-up figures must also have settled.
 */
/*
 * The watchdog off (when it was ever on), then GET_WAKE_STATS until they
 * pass and stall_verdicts holds still: a flush counts its verdicts right
 * after it gave them.  NULL, or what is wrong with the last figures.
 */
static const char *final_wake_stats(int fd, const struct nfqring_wake_stats *prev,
				    bool stall_ever, bool quiet, struct nfqring_wake_stats *st)
{
	struct nfqring_stall off = { 0, NF_ACCEPT };
	struct nfqring_wake_stats again;
	const char *bad = NULL;
	int k;

	if (stall_ever && ioctl(fd, NFQRING_SET_STALL, &off))
		broken("SET_STALL(off): %s", strerror(errno));
	if (ioctl(fd, NFQRING_GET_WAKE_STATS, st))
		broken("GET_WAKE_STATS: %s", strerror(errno));
	for (k = 0; k < 100; k++) {
		bad = bad_wake_stats(prev, st, stall_ever, quiet);
		usleep(k ? 10000 : 2000);
		if (ioctl(fd, NFQRING_GET_WAKE_STATS, &again))
			broken("GET_WAKE_STATS: %s", strerror(errno));
		if (!bad && again.stall_verdicts == st->stall_verdicts)
			break;
		*st = again;
	}
	return bad;
}

static void ep_retire(struct epo *e, int fd)
{
	struct nfqring_wake_stats st;
	const char *bad;

	if (!e->v2)
		return;
	bad = final_wake_stats(fd, e->have_ws ? &e->ws : NULL, e->stall_ever, round_ending, &st);
	if (bad)
		broken("GET_WAKE_STATS before close of endpoint %td: %s", e - eps, bad);
	e->ws = st;
	e->have_ws = true;
	if (!e->foreign)
		__atomic_add_fetch(&cnt->stall_harvest, st.stall_verdicts, __ATOMIC_RELAXED);
}

/* ---------- request generation ---------- */

enum { REQ_INVALID, REQ_TEARDOWN, REQ_VALID };

/* The documented rules, written from the header, not from the module. */
static int req_class(const struct nl_mmap_req *r)
{
	uint64_t size, per;

	if (r->nm_block_nr == 0)
		return r->nm_frame_nr == 0 ? REQ_TEARDOWN : REQ_INVALID;
	if (r->nm_block_size == 0 || r->nm_block_size % page_sz)
		return REQ_INVALID;
	if (r->nm_frame_size < NFQRING_HDRLEN || r->nm_frame_size % NFQRING_FRAME_ALIGN ||
	    r->nm_frame_size > r->nm_block_size)
		return REQ_INVALID;
	size = (uint64_t)r->nm_block_size * r->nm_block_nr;
	if (size > NFQRING_MAX_RING_BYTES)
		return REQ_INVALID;
	per = r->nm_block_size / r->nm_frame_size;
	if ((uint64_t)r->nm_frame_nr != per * r->nm_block_nr ||
	    r->nm_frame_nr > NFQRING_MAX_FRAMES)
		return REQ_INVALID;
	return REQ_VALID;
}

static struct nl_mmap_req valid_req(struct rng *r)
{
	static const uint32_t fsz[] = { NFQRING_HDRLEN, 64, 256, 512, 1000, 1024,
					2048, 2048, 2048, 3000, 4096 };
	struct nl_mmap_req q;
	uint32_t mult = chance(r, 5) ? 17 : 1 << rnd(r, 3);

	q.nm_block_size = page_sz * mult;
	q.nm_frame_size = chance(r, 10) ? q.nm_block_size : fsz[rnd(r, 11)];
	if (q.nm_frame_size > q.nm_block_size)
		q.nm_frame_size = q.nm_block_size;
	q.nm_block_nr = 1 + rnd(r, chance(r, 90) ? 16 : 64);
	while ((size_t)q.nm_block_size * q.nm_block_nr > MAX_RING)
		q.nm_block_nr /= 2;
	q.nm_frame_nr = q.nm_block_nr * (q.nm_block_size / q.nm_frame_size);
	return q;
}

/* A valid request with one rule broken, or a wild one. */
static struct nl_mmap_req invalid_req(struct rng *r)
{
	struct nl_mmap_req q = valid_req(r);

	switch (rnd(r, 10)) {
	case 0: q.nm_block_size += rnd(r, 2) ? 1 : page_sz / 2; break;
	case 1: q.nm_block_size = 0; break;
	case 2: q.nm_frame_size = rnd(r, NFQRING_HDRLEN); break;
	case 3: q.nm_frame_size += 2; break;
	case 4: q.nm_frame_size = q.nm_block_size + 4 * (1 + rnd(r, 8)); break;
	case 5: q.nm_frame_nr += rnd(r, 2) ? 1 : -1; break;
	case 6: q.nm_block_nr = 0; q.nm_frame_nr |= 1; break;
	case 7:	/* over the byte limit, every other rule kept */
		q.nm_block_size = page_sz;
		q.nm_frame_size = page_sz;
		q.nm_block_nr = NFQRING_MAX_RING_BYTES / page_sz + 1 + rnd(r, 100);
		q.nm_frame_nr = q.nm_block_nr;
		break;
	case 8:	/* over the frame limit */
		q.nm_block_size = page_sz;
		q.nm_frame_size = 32;
		q.nm_block_nr = NFQRING_MAX_FRAMES / (page_sz / 32) + 1;
		q.nm_frame_nr = q.nm_block_nr * (page_sz / 32);
		break;
	default:	/* overflowing products */
		q.nm_block_size = 1u << (20 + rnd(r, 12));
		q.nm_block_nr = 1u << (12 + rnd(r, 20));
		q.nm_frame_size = q.nm_block_size;
		q.nm_frame_nr = q.nm_block_nr;
		break;
	}
	return q;
}

/* ---------- the ops ---------- */

/* read()/write() with buffers the compiler must not judge: bad on purpose. */
static ssize_t raw_rw(long nr, int fd, void *buf, size_t len)
{
	return syscall(nr, fd, buf, len);
}

struct thr {
	int		id;
	int		s4, s6;		/* senders */
	uint8_t		buf[BUFSZ + 256];
};

static int slot_fd(unsigned int s)
{
	return SLOT_FD(s % NSLOT);
}

/* Under the slot's lock: its endpoint's descriptor is about to go. */
static void slot_retire(struct slot *sl, unsigned int s)
{
	struct epo *e = &eps[sl->ep];

	pthread_mutex_lock(&e->lock);
	ep_retire(e, slot_fd(s));
	pthread_mutex_unlock(&e->lock);
}

static void op_open(struct rng *r, unsigned int s)
{
	struct slot *sl = &slots[s % NSLOT];
	int fd, e;

	pthread_mutex_lock(&sl->lock);
	e = new_ep(false);
	if (e < 0) {
		pthread_mutex_unlock(&sl->lock);
		CNT(skipped);
		return;
	}
	fd = open(NFQRING_DEVICE, O_RDWR | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0)
		broken("open(%s): %s", NFQRING_DEVICE, strerror(errno));
	if (sl->ep >= 0)
		slot_retire(sl, s);
	/* Replacing the number releases the old file once no call uses it. */
	if (dup3(fd, slot_fd(s), O_CLOEXEC) < 0)
		broken("dup3: %s", strerror(errno));
	close(fd);
	sl->ep = e;
	if (chance(r, 25)) {	/* version 2 from the start */
		int ret = ioctl(slot_fd(s), NFQRING_SET_VERSION,
				(unsigned long)NFQRING_ABI_VERSION_2);

		if (ret != NFQRING_ABI_VERSION_2)
			broken("SET_VERSION(2) on a new endpoint: %d %s", ret,
			       ret < 0 ? strerror(errno) : "");
		eps[e].v2 = true;
		CNT(ver_2);
	}
	pthread_mutex_unlock(&sl->lock);
	vlog("slot %u is endpoint %d%s", s % NSLOT, e, eps[e].v2 ? " (version 2)" : "");
}

static void op_close(unsigned int s)
{
	struct slot *sl = &slots[s % NSLOT];

	pthread_mutex_lock(&sl->lock);
	if (sl->ep >= 0)
		slot_retire(sl, s);
	if (sl->ep >= 0 && close(slot_fd(s)))
		broken("close: %s", strerror(errno));
	sl->ep = -1;
	pthread_mutex_unlock(&sl->lock);
}

/*
 * Under the endpoint lock, after a ring of a version-2 endpoint was set up:
 * its two sequence numbers start equal.  RX: a queue may be bound and
 * frames published since, never more than the new ring has; TX: nothing
 * can be processed before we make a frame VALID.  The user words are the
 * kernel's to set now: learnt again.
 */
static void ctrl_after_setup(struct epo *e, int ei, bool tx)
{
	struct cmapr *cm = cmap_of(ei);
	const char *bad;

	e->ctrl_known = false;
	if (!cm)
		return;
	if (tx)
		bad = bad_ctrl_seq("TX set up", cload(&cm->c->tx_prod), cload(&cm->c->tx_cons), 0, 0);
	else
		bad = bad_ctrl_seq("RX set up", cload(&cm->c->rx_prod), cload(&cm->c->rx_cons), 0,
				   e->rx.nm_frame_nr);
	if (bad)
		broken("control page of endpoint %d: %s", ei, bad);
}

static void op_setring(struct rng *r, unsigned int s, unsigned int variant)
{
	struct slot *sl = &slots[s % NSLOT];
	bool tx = variant & 1;
	unsigned int v = (variant >> 1) % 16;
	struct nl_mmap_req q;
	struct epo *e;
	int cls, ret, err;

	pthread_mutex_lock(&sl->lock);
	if (sl->ep < 0)
		goto out_skip;
	e = &eps[sl->ep];
	pthread_mutex_lock(&e->lock);
	if (v == 15) {	/* a pointer the kernel cannot read */
		ret = ioctl(slot_fd(s), tx ? NFQRING_SET_TX_RING : NFQRING_SET_RX_RING,
			    (void *)8);
		if (ret != -1)
			broken("SET_RING with a bad pointer returned %d", ret);
		expect_errno("SET_RING(bad pointer)", errno, E(EFAULT));
		goto out;
	}
	if (v < 10)
		q = valid_req(r);
	else if (v < 14)
		q = invalid_req(r);
	else
		q = (struct nl_mmap_req){ 0 };
	cls = req_class(&q);
	if (cls == REQ_VALID && ring_bytes(&q) > MAX_RING)
		q = (struct nl_mmap_req){ 0 }, cls = REQ_TEARDOWN;
	ret = ioctl(slot_fd(s), tx ? NFQRING_SET_TX_RING : NFQRING_SET_RX_RING, &q);
	err = ret ? errno : 0;
	vlog("%s bs %u bn %u fs %u fn %u class %d -> %d", tx ? "tx" : "rx",
	     q.nm_block_size, q.nm_block_nr, q.nm_frame_size, q.nm_frame_nr, cls,
	     ret ? -err : ret);
	if (ret != 0 && ret != -1)
		broken("SET_RING returned %d", ret);
	if (cls == REQ_INVALID) {
		CNT(ring_einval);
		/* --self-test: the bogus expectation that bad requests pass */
		if (opt.self_test && ret)
			broken("self-test: expected SET_RING(bs %u bn %u fs %u fn %u) to succeed, it failed with %s",
			       q.nm_block_size, q.nm_block_nr, q.nm_frame_size,
			       q.nm_frame_nr, strerrorname_np(err));
		if (err != EINVAL)
			broken("SET_RING(bs %u bn %u fs %u fn %u) breaks a rule but returned %s",
			       q.nm_block_size, q.nm_block_nr, q.nm_frame_size, q.nm_frame_nr,
			       ret ? strerrorname_np(err) : "success");
		goto out;
	}
	if (e->nmaps > 0) {
		if (err != EBUSY)
			broken("SET_RING while the endpoint is mapped: %s, not EBUSY",
			       ret ? strerrorname_np(err) : "success");
		CNT(ring_ebusy);
		goto out;
	}
	if (ret) {
		expect_errno("SET_RING", err, E(EBUSY) | (cls == REQ_VALID ? E(ENOMEM) : 0));
		if (err == EBUSY)
			CNT(ring_ebusy);
		goto out;
	}
	CNT(ring_ok);
	if (tx)
		ep_set_tx(e, &q), e->tx_fresh = true;
	else
		ep_set_rx(e, &q), e->rx_fresh = true;
	if (e->v2)
		ctrl_after_setup(e, sl->ep, tx);
out:
	pthread_mutex_unlock(&e->lock);
	pthread_mutex_unlock(&sl->lock);
	return;
out_skip:
	pthread_mutex_unlock(&sl->lock);
	CNT(skipped);
}

static void op_mmap(struct rng *r, unsigned int s, unsigned int variant)
{
	struct slot *sl = &slots[s % NSLOT];
	unsigned int v = variant % 16, i;
	size_t rxs, txs, total, len;
	int fd = slot_fd(s), flags = MAP_SHARED;
	struct mapr *m = NULL;
	uint8_t *res, *p;
	off_t off = 0;
	struct epo *e;
	int ei;

	(void)r;
	pthread_mutex_lock(&sl->lock);
	ei = sl->ep;
	if (ei < 0) {
		pthread_mutex_unlock(&sl->lock);
		CNT(skipped);
		return;
	}
	e = &eps[ei];
	pthread_mutex_lock(&e->lock);
	rxs = ring_bytes(&e->rx);
	txs = ring_bytes(&e->tx);
	total = rxs + txs;

	if ((v >= 10 && v <= 13) || !total) {	/* must be refused */
		len = total ? total : (size_t)page_sz;
		if (v == 10 && total > (size_t)page_sz)
			len = total - page_sz;
		else if (v == 11)
			len = total + page_sz;
		else if (v == 12)
			off = page_sz;
		else if (v == 13)
			flags = MAP_PRIVATE;
		else if (total)
			goto out;	/* a ring of one page: no smaller size */
		p = mmap(NULL, len, PROT_READ | PROT_WRITE, flags, fd, off);
		if (p != MAP_FAILED)
			broken("mmap(len %zu, off %lld, %s) of rings of %zu+%zu bytes succeeded",
			       len, (long long)off, flags == MAP_PRIVATE ? "private" : "shared",
			       rxs, txs);
		expect_errno("mmap(wrong size/offset/private)", errno, E(EINVAL));
		goto out;
	}

	/* Taken at once: users of a record wait for its endpoint's lock. */
	pthread_mutex_lock(&maps_lock);
	for (i = 0; i < MAXMAP; i++)
		if (!maps[i].used) {
			m = &maps[i];
			*m = (struct mapr){ .used = true, .partial = true, .ep = ei,
					    .gen = ++map_gen };
			break;
		}
	pthread_mutex_unlock(&maps_lock);
	if (!m)
		goto out;
	/* Guard pages on both sides, the ring mapped over the middle. */
	res = mmap(NULL, total + 2 * page_sz, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (res == MAP_FAILED)
		broken("anonymous mmap: %s", strerror(errno));
	memset(res, GUARD_BYTE, page_sz);
	memset(res + page_sz + total, GUARD_BYTE, page_sz);
	p = mmap(res + page_sz, total, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED, fd, 0);
	if (p == MAP_FAILED) {
		int err = errno;

		/* the guards are ours; the middle may be unmapped already */
		munmap(res, page_sz);
		munmap(res + page_sz + total, page_sz);
		unmap_if_free(res + page_sz, total);
		pthread_mutex_lock(&maps_lock);
		m->used = false;
		pthread_mutex_unlock(&maps_lock);
		if (err == EINVAL)
			broken("mmap of exactly RX+TX (%zu+%zu bytes) refused with EINVAL",
			       rxs, txs);
		expect_errno("mmap", err, E(ENOMEM));
		goto out;
	}
	/* The kernel never writes block tails: zero, or our canary. */
	gaps(p, &e->rx, true, e->rx_fresh ? 0 : GAP_BYTE, "RX");
	gaps(p + rxs, &e->tx, true, e->tx_fresh ? 0 : GAP_BYTE, "TX");
	e->rx_fresh = e->tx_fresh = false;
	pthread_mutex_lock(&maps_lock);
	m->res = res;
	m->res_len = total + 2 * page_sz;
	m->glen = m->len = total;
	m->addr = p;
	m->partial = false;
	pthread_mutex_unlock(&maps_lock);
	e->nmaps++;
	CNT(maps);
	vlog("mapped endpoint %d at %p (%zu+%zu)", ei, p, rxs, txs);
out:
	pthread_mutex_unlock(&e->lock);
	pthread_mutex_unlock(&sl->lock);
}

/* Under the endpoint lock: unmaps everything of @m and frees the record. */
static void map_drop(struct mapr *m, struct epo *e)
{
	check_guards(m);
	if (!m->partial) {
		gaps(m->addr, &e->rx, false, GAP_BYTE, "RX");
		gaps(m->addr + ring_bytes(&e->rx), &e->tx, false, GAP_BYTE, "TX");
	}
	res_unmap(m);
	pthread_mutex_lock(&maps_lock);
	m->used = false;
	pthread_mutex_unlock(&maps_lock);
	e->nmaps--;
}

static void op_munmap(struct rng *r, unsigned int idx, unsigned int variant)
{
	size_t pages, k;
	struct mapr *m;
	struct epo *e;

	m = map_get(idx, &e);
	if (!m) {
		CNT(skipped);
		return;
	}
	pages = m->len / page_sz;
	if (variant % 4 == 0 && !m->partial && pages >= 2) {
		/* A page out of the middle: the rest stays mapped and pinned.
		 * Replaced by an anonymous page rather than unmapped, so that
		 * no hole opens in our reservation (see unmap_if_free); for
		 * the ring's mapping it is the same split and unmap. */
		k = rnd(r, pages);
		if (mmap(m->addr + k * page_sz, page_sz, PROT_NONE,
			 MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0) != m->addr + k * page_sz)
			broken("unmapping one page of a ring: %s", strerror(errno));
		m->partial = true;
	} else {
		map_drop(m, e);
	}
	pthread_mutex_unlock(&e->lock);
}

static void op_mremap(struct rng *r, unsigned int idx, unsigned int variant)
{
	struct mapr *m;
	struct epo *e;
	uint8_t *p, *nres;
	size_t pages;

	(void)r;
	m = map_get(idx, &e);
	if (!m) {
		CNT(skipped);
		return;
	}
	pages = m->len / page_sz;
	switch (variant % 3) {
	case 0:	/* growing is refused, in place or moving */
		p = mremap(m->addr, m->len, m->len + page_sz,
			   variant & 4 ? MREMAP_MAYMOVE : 0);
		if (p != MAP_FAILED)
			broken("mremap grew a ring mapping from %zu bytes", m->len);
		break;
	case 1:	/* shrinking just unmaps the tail */
		if (m->partial || pages < 2)
			break;
		p = mremap(m->addr, m->len, m->len - page_sz, 0);
		if (p == MAP_FAILED)
			expect_errno("mremap(shrink)", errno, E(EINVAL) | E(EFAULT) | E(ENOMEM));
		else
			m->len -= page_sz, m->partial = true;
		break;
	default:	/* moving keeps the frames where the kernel writes them */
		if (m->partial)
			break;
		nres = mmap(NULL, m->len + 2 * page_sz, PROT_READ | PROT_WRITE,
			    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (nres == MAP_FAILED)
			broken("anonymous mmap: %s", strerror(errno));
		memset(nres, GUARD_BYTE, page_sz);
		memset(nres + page_sz + m->len, GUARD_BYTE, page_sz);
		p = mremap(m->addr, m->len, m->len, MREMAP_MAYMOVE | MREMAP_FIXED,
			   nres + page_sz);
		if (p == MAP_FAILED) {
			expect_errno("mremap(move)", errno, E(EINVAL) | E(EFAULT) | E(ENOMEM));
			/* the target may have been unmapped before the move failed */
			munmap(nres, page_sz);
			munmap(nres + page_sz + m->len, page_sz);
			unmap_if_free(nres + page_sz, m->len);
			break;
		}
		check_guards(m);
		/* the old guards only: the ring's old place is free since the
		 * move, and may be somebody else's already */
		munmap(m->res, page_sz);
		munmap(m->res + page_sz + m->glen, page_sz);
		m->res = nres;
		m->res_len = m->len + 2 * page_sz;
		m->glen = m->len;
		m->addr = p;
		vlog("moved to %p", p);
		break;
	}
	pthread_mutex_unlock(&e->lock);
}

/* Consumes the RX ring of a mapping: checks and releases what is there. */
static void rx_scan(struct rng *r, struct mapr *m, struct epo *e, bool final)
{
	const struct nl_mmap_req *q = &e->rx;
	uint32_t n, st, room;
	const char *bad;
	size_t where;

	if (!q->nm_block_nr || m->partial)
		return;
	room = frame_room(q);
	gaps(m->addr, q, false, GAP_BYTE, "RX");
	for (n = 0; n < q->nm_frame_nr; n++) {
		uint32_t idx = (e->rx_pos + n) % q->nm_frame_nr;
		struct nl_mmap_hdr *h = frame_at(m->addr, q, idx);
		uint8_t *body = (uint8_t *)h + NFQRING_HDRLEN, f = e->rxf[idx];
		bool release = true, ack;

		st = status_load(h);
		switch (st) {
		case NFQRING_STATUS_UNUSED:
			continue;
		case NFQRING_STATUS_RESERVED:
			/* Never across a sleep: none may be left once traffic stopped. */
			if (final && !(f & RXF_SCRIB))
				broken("RX frame %u is still RESERVED after the traffic stopped", idx);
			continue;
		case NFQRING_STATUS_VALID:
			if (f & RXF_SCRIB)
				break;
			CNT(rx_valid);
			if (h->nm_len > room)
				broken("RX frame %u: VALID with nm_len %u in a frame of %u bytes",
				       idx, h->nm_len, room);
			/* NFQRING_ACKS_NETLINK builds acknowledgments in frames */
			ack = is_ack(body, h->nm_len);
			bad = ack ? bad_ack(body, h->nm_len) : bad_packet(body, h->nm_len);
			if (bad)
				broken("RX frame %u (nm_len %u): %s", idx, h->nm_len, bad);
			if (h->nm_group || h->nm_pid || h->nm_uid || h->nm_gid)
				broken("RX frame %u: group/pid/uid/gid not zero", idx);
			if (f & RXF_PRIMED) {
				uint32_t end = NLA_ALIGN(h->nm_len);

				if (end < room && !all_bytes(body + end, room - end, RXC_BYTE, &where))
					broken("RX frame %u: byte %zu of the frame, past the message of %u, was written",
					       idx, end + where, h->nm_len);
				CNT(rx_checked);
			}
			if (!ack) {
				uint16_t queue;
				uint32_t id = packet_id(body, h->nm_len, &queue);

				seen_add(queue, id);
			}
			break;
		case NFQRING_STATUS_COPY:
			if (f & RXF_SCRIB)
				break;
			CNT(rx_copy);
			if (!h->nm_len || h->nm_len > 0x10000 + 4096)
				broken("RX frame %u: COPY with nm_len %u", idx, h->nm_len);
			if ((f & RXF_PRIMED) && !all_bytes(body, room, RXC_BYTE, &where))
				broken("RX frame %u: COPY frame body written at byte %zu", idx, where);
			break;
		case NFQRING_STATUS_SKIP:
			if (!(f & (RXF_SCRIB | RXF_OURSKIP)))
				broken("RX frame %u: SKIP, which only userspace stores", idx);
			release = final || chance(r, 50);
			break;
		default:
			if (!(f & RXF_SCRIB))
				broken("RX frame %u: status %u the kernel never stores", idx, st);
			break;
		}
		if (!release)
			continue;
		if (!final && st == NFQRING_STATUS_VALID && chance(r, 8)) {
			/* keep it for a while */
			e->rxf[idx] = f | RXF_OURSKIP;
			status_store(h, NFQRING_STATUS_SKIP);
			continue;
		}
		/* Prime the body so that a write past the next message shows. */
		memset(body, RXC_BYTE, room);
		e->rxf[idx] = RXF_PRIMED;
		status_store(h, NFQRING_STATUS_UNUSED);
		e->rx_pos = idx + 1;
	}
}

static void op_consume(struct rng *r, unsigned int idx)
{
	struct mapr *m;
	struct epo *e;

	m = map_get(idx, &e);
	if (!m) {
		CNT(skipped);
		return;
	}
	rx_scan(r, m, e, false);
	pthread_mutex_unlock(&e->lock);
}

static void op_scribble(struct rng *r, unsigned int idx)
{
	static const uint32_t vals[] = { 0, 1, 2, 3, 4, 5, 0xffffffff, 0x80000002 };
	unsigned int k, n = 1 + rnd(r, 8);
	struct mapr *m;
	struct epo *e;

	m = map_get(idx, &e);
	if (!m) {
		CNT(skipped);
		return;
	}
	if (m->partial)
		goto out;
	for (k = 0; k < n; k++) {
		uint32_t v = vals[rnd(r, 8)], i;
		struct nl_mmap_hdr *h;

		if (e->rx.nm_block_nr && chance(r, 50)) {
			i = rnd(r, e->rx.nm_frame_nr);
			h = frame_at(m->addr, &e->rx, i);
			/* Ours from now on: the consumer must not judge it. */
			e->rxf[i] = v == NFQRING_STATUS_UNUSED ? 0 : RXF_SCRIB;
			if (chance(r, 30))
				h->nm_len = (uint32_t)splitmix(&r->s);
			status_store(h, v);
		} else if (e->tx.nm_block_nr) {
			uint8_t *txr = m->addr + ring_bytes(&e->rx);

			i = rnd(r, e->tx.nm_frame_nr);
			h = frame_at(txr, &e->tx, i);
			e->txl[i] = chance(r, 50) ? (uint32_t)splitmix(&r->s) :
				rnd(r, frame_room(&e->tx) + 64);
			h->nm_len = e->txl[i];
			e->txs[i] = v;
			status_store(h, v);
		}
	}
out:
	pthread_mutex_unlock(&e->lock);
}

static void op_txput(struct rng *r, unsigned int idx, unsigned int variant)
{
	unsigned int k, n = 1 + rnd(r, 8);
	struct gen_info gi;
	struct mapr *m;
	struct epo *e;
	uint8_t *txr;
	uint32_t room;

	m = map_get(idx, &e);
	if (!m) {
		CNT(skipped);
		return;
	}
	if (m->partial || !e->tx.nm_block_nr)
		goto out;
	txr = m->addr + ring_bytes(&e->rx);
	room = frame_room(&e->tx);
	for (k = 0; k < n; k++) {
		uint32_t i = e->tx_pos % e->tx.nm_frame_nr, st, len, v;
		struct nl_mmap_hdr *h = frame_at(txr, &e->tx, i);
		uint8_t *body = (uint8_t *)h + NFQRING_HDRLEN;

		check_tx_frame(e, txr, i);
		st = status_load(h);
		/* A VALID frame waits for the kernel; sometimes overwrite it. */
		if (st == NFQRING_STATUS_VALID && !(variant % 8 == 0))
			break;
		len = gen_msgs(r, body, room, false, &gi);
		if (len < room && chance(r, 30))
			memset(body + len, rnd(r, 256), room - len);
		switch (rnd(r, 20)) {
		case 0:	h->nm_len = room + 1 + rnd(r, 4096); break;
		case 1:	h->nm_len = (uint32_t)splitmix(&r->s); break;
		case 2: h->nm_len = len ? rnd(r, len) : 0; break;
		default: h->nm_len = len; break;
		}
		switch (rnd(r, 20)) {
		case 0:	v = NFQRING_STATUS_SKIP; break;
		case 1:	v = NFQRING_STATUS_COPY + rnd(r, 3) * 7; break;
		default: v = NFQRING_STATUS_VALID; break;
		}
		e->txl[i] = h->nm_len;
		e->txh[i] = fnv(body, room, FNV0);
		e->txs[i] = v;
		status_store(h, v);
		e->tx_pos++;
		CNT(tx_frames);
	}
out:
	pthread_mutex_unlock(&e->lock);
}

/* Checks a write() result against the messages it carried. */
static void check_write(ssize_t ret, int err, size_t len, const struct gen_info *gi)
{
	int i;

	if (ret < 0) {
		expect_errno("write", err, MSG_ERRS | E(EBADF));
		CNT(write_err);
		return;
	}
	CNT(write_ok);
	if ((size_t)ret > len)
		broken("write of %zu bytes returned %zd", len, ret);
	if (ret == 0 && len)
		broken("write of %zu bytes returned 0: a failing first message must return -1", len);
	if (!gi->clean || (size_t)ret == len)
		return;
	for (i = 0; i < gi->n; i++)
		if ((size_t)ret == gi->ends[i])
			return;
	broken("write returned %zd, which is no message boundary of the %zu bytes", ret, len);
}

static void op_write(struct thr *t, struct rng *r, unsigned int s, unsigned int variant,
		     bool config_only)
{
	struct gen_info gi;
	size_t len;
	ssize_t ret;

	switch (variant % 16) {
	case 14:	/* a buffer the kernel cannot read */
		ret = raw_rw(SYS_write, slot_fd(s), (void *)8, 64);
		if (ret != -1)
			broken("write from a bad pointer returned %zd", ret);
		expect_errno("write(bad pointer)", errno, E(EFAULT) | E(EBADF));
		return;
	case 15:	/* over NFQRING_WRITE_MAX */
		ret = raw_rw(SYS_write, slot_fd(s), t->buf, NFQRING_WRITE_MAX + 1 + rnd(r, 100));
		if (ret != -1)
			broken("write over NFQRING_WRITE_MAX returned %zd", ret);
		expect_errno("write(too big)", errno, E(EMSGSIZE) | E(EBADF));
		return;
	}
	len = gen_msgs(r, t->buf, BUFSZ, config_only, &gi);
	ret = write(slot_fd(s), t->buf, len);
	vlog("%zu bytes, %d messages -> %zd", len, gi.n, ret < 0 ? -errno : ret);
	check_write(ret, errno, len, &gi);
}

static void op_write0(unsigned int s)
{
	ssize_t ret = write(slot_fd(s), NULL, 0);

	/* The header: only NFQRING_TX_FLUSH reports a TX frame's error. */
	if (ret < 0)
		expect_errno("write(fd, NULL, 0)", errno, E(EBADF));
}

static void op_flush(unsigned int s, unsigned int variant)
{
	struct slot *sl = &slots[s % NSLOT];
	struct {
		struct nfqring_tx_result res;
		uint8_t canary[32];
	} b;
	bool checked = variant % 4 == 0;
	struct epo *e = NULL;
	size_t where;
	int ret, err;

	if (variant % 8 == 1) {
		ret = ioctl(slot_fd(s), NFQRING_TX_FLUSH, NULL);
		if (ret < 0)
			expect_errno("TX_FLUSH(NULL)", errno, MSG_ERRS | E(EBADF));
		return;
	}
	if (variant % 8 == 3) {
		ret = ioctl(slot_fd(s), NFQRING_TX_FLUSH, (void *)8);
		if (ret < 0)
			expect_errno("TX_FLUSH(bad pointer)", errno, MSG_ERRS | E(EFAULT) | E(EBADF));
		else
			broken("TX_FLUSH with a bad result pointer returned %d", ret);
		return;
	}
	if (checked) {
		pthread_mutex_lock(&sl->lock);
		if (sl->ep < 0) {
			pthread_mutex_unlock(&sl->lock);
			return;
		}
		e = &eps[sl->ep];
		pthread_mutex_lock(&e->lock);
	}
	memset(&b, RDC_BYTE, sizeof(b));
	ret = ioctl(slot_fd(s), NFQRING_TX_FLUSH, &b.res);
	err = errno;
	if (!all_bytes(b.canary, sizeof(b.canary), RDC_BYTE, &where))
		broken("TX_FLUSH wrote past struct nfqring_tx_result");
	if (ret >= 0) {
		CNT(flush_ok);
		if (b.res.processed != (uint32_t)ret || b.res.error || b.res.reserved)
			broken("TX_FLUSH returned %d but the result says processed %u error %d",
			       ret, b.res.processed, b.res.error);
		if (e && (uint32_t)ret > e->tx.nm_frame_nr)
			broken("TX_FLUSH processed %d frames of a ring of %u", ret,
			       e->tx.nm_frame_nr);
	} else if (err != EBADF) {
		CNT(flush_err);
		expect_errno("TX_FLUSH", err, MSG_ERRS);
		if (b.res.error != -err)
			broken("TX_FLUSH failed with %d but the result says error %d", -err,
			       b.res.error);
		if (e) {
			if (b.res.frame >= e->tx.nm_frame_nr || b.res.processed >= e->tx.nm_frame_nr)
				broken("TX_FLUSH result frame %u processed %u in a ring of %u",
				       b.res.frame, b.res.processed, e->tx.nm_frame_nr);
		}
	}
	if (e) {
		pthread_mutex_unlock(&e->lock);
		pthread_mutex_unlock(&sl->lock);
	}
}

static void op_read(struct thr *t, struct rng *r, unsigned int s, unsigned int variant)
{
	unsigned int k, n = 1 + rnd(r, 8);
	size_t count, where;
	ssize_t ret;

	for (k = 0; k < n; k++) {
		switch (variant % 8) {
		case 0:	count = rnd(r, 64); break;
		case 1:	count = 36; break;
		default: count = BUFSZ; break;
		}
		if (variant % 16 == 15) {
			ret = raw_rw(SYS_read, slot_fd(s), (void *)8, 4096);
			if (ret >= 0)
				broken("read into a bad pointer returned %zd", ret);
			expect_errno("read(bad pointer)", errno,
				     E(EFAULT) | E(EAGAIN) | E(ENOBUFS) | E(EMSGSIZE) | E(EBADF));
			return;
		}
		memset(t->buf, RDC_BYTE, count + 64);
		ret = read(slot_fd(s), t->buf, count);
		if (ret < 0) {
			int err = errno;

			expect_errno("read", err, E(EAGAIN) | E(EMSGSIZE) | E(ENOBUFS) | E(EBADF));
			if (!all_bytes(t->buf, count + 64, RDC_BYTE, &where))
				broken("read failing with %s wrote byte %zu", strerrorname_np(err),
				       where);
			if (err == EAGAIN || err == EBADF)
				return;
			continue;
		}
		if ((size_t)ret > count || ret < (ssize_t)NLMSG_HDRLEN)
			broken("read(%zu) returned %zd", count, ret);
		if (!all_bytes(t->buf + ret, count + 64 - ret, RDC_BYTE, &where))
			broken("read returned %zd but wrote byte %zd", ret, ret + (ssize_t)where);
		if (((struct nlmsghdr *)t->buf)->nlmsg_type == NLMSG_ERROR) {
			const char *bad = bad_ack(t->buf, (uint32_t)ret);

			CNT(reads_ack);
			if (bad)
				broken("read %s", bad);
		} else {
			const char *bad = bad_packet(t->buf, ret);
			uint16_t queue;
			uint32_t id;

			if (bad)
				broken("read a message of %zd bytes: %s", ret, bad);
			CNT(reads_pkt);
			id = packet_id(t->buf, ret, &queue);
			seen_add(queue, id);
		}
	}
}

static void op_poll(struct rng *r, unsigned int s)
{
	struct pollfd p = { .fd = slot_fd(s), .events = POLLIN | POLLOUT };
	short ok = POLLIN | POLLRDNORM | POLLOUT | POLLWRNORM | POLLERR | POLLNVAL;
	int ret = poll(&p, 1, rnd(r, 3));

	if (ret < 0)
		broken("poll: %s", strerror(errno));
	if (p.revents & ~ok)
		broken("poll revents 0x%x has bits the ABI does not document", p.revents);
}

/* NULL when the figures of NFQRING_GET_STATS are possible at all. */
static const char *bad_stats(const struct nfqring_stats *st)
{
	static __thread char msg[160];

	if (st->backlog_bytes > NFQRING_BACKLOG_BYTES)
		snprintf(msg, sizeof(msg), "backlog_bytes %u over NFQRING_BACKLOG_BYTES",
			 st->backlog_bytes);
	else if (st->tx_last_error > 0 || st->tx_last_error < -4095)
		snprintf(msg, sizeof(msg), "tx_last_error %d", st->tx_last_error);
	else if (st->tx_flushes > st->tx_frames)
		snprintf(msg, sizeof(msg), "tx_flushes %llu > tx_frames %llu",
			 (unsigned long long)st->tx_flushes, (unsigned long long)st->tx_frames);
	else if (!st->rx_frame_nr != !st->rx_frame_size || !st->tx_frame_nr != !st->tx_frame_size)
		snprintf(msg, sizeof(msg), "a ring of rx %u x %u, tx %u x %u bytes",
			 st->rx_frame_nr, st->rx_frame_size, st->tx_frame_nr, st->tx_frame_size);
	else
		return NULL;
	return msg;
}

static void op_stats(unsigned int s, unsigned int variant)
{
	struct slot *sl = &slots[s % NSLOT];
	struct {
		struct nfqring_stats st;
		uint8_t canary[32];
	} b;
	struct epo *e = NULL;
	const char *bad;
	size_t where;
	int ret;

	if (variant % 8 == 7) {
		ret = ioctl(slot_fd(s), NFQRING_GET_STATS, (void *)8);
		if (ret != -1)
			broken("GET_STATS into a bad pointer returned %d", ret);
		expect_errno("GET_STATS(bad pointer)", errno, E(EFAULT) | E(EBADF));
		return;
	}
	if (variant & 1) {
		pthread_mutex_lock(&sl->lock);
		if (sl->ep >= 0) {
			e = &eps[sl->ep];
			pthread_mutex_lock(&e->lock);
		}
	}
	memset(&b, RDC_BYTE, sizeof(b));
	ret = ioctl(slot_fd(s), NFQRING_GET_STATS, &b.st);
	if (ret) {
		expect_errno("GET_STATS", errno, E(EBADF));
		if (e)
			broken("GET_STATS on an open slot: %s", strerror(errno));
		goto out;
	}
	if (!all_bytes(b.canary, sizeof(b.canary), RDC_BYTE, &where))
		broken("GET_STATS wrote past struct nfqring_stats");
	bad = bad_stats(&b.st);
	if (bad)
		broken("GET_STATS: %s", bad);
	if (e && (b.st.rx_frame_nr != e->rx.nm_frame_nr ||
		  b.st.tx_frame_nr != e->tx.nm_frame_nr ||
		  (e->rx.nm_block_nr && b.st.rx_frame_size != e->rx.nm_frame_size) ||
		  (e->tx.nm_block_nr && b.st.tx_frame_size != e->tx.nm_frame_size)))
		broken("GET_STATS rings rx %u x %u tx %u x %u, the set-up said rx %u x %u tx %u x %u",
		       b.st.rx_frame_nr, b.st.rx_frame_size, b.st.tx_frame_nr,
		       b.st.tx_frame_size, e->rx.nm_frame_nr, e->rx.nm_frame_size,
		       e->tx.nm_frame_nr, e->tx.nm_frame_size);
out:
	if (variant & 1) {
		if (e)
			pthread_mutex_unlock(&e->lock);
		pthread_mutex_unlock(&sl->lock);
	}
}

static void op_ioctl(struct rng *r, unsigned int s, unsigned int variant)
{
	int fd = slot_fd(s), ret;
	unsigned long cmd;

	switch (variant % 4) {
	case 3: {	/* SET_ACKS: netlink's acknowledgments (COPY frames) or not */
		unsigned long mode = rnd(r, 4) ? rnd(r, 2) : 2 + rnd(r, 1000);

		ret = ioctl(fd, NFQRING_SET_ACKS, mode);
		if (ret == 0 && mode <= NFQRING_ACKS_NETLINK)
			return;
		if (ret != -1)
			broken("SET_ACKS(%lu) returned %d", mode, ret);
		/* EBUSY: a change while the endpoint has an RX ring */
		expect_errno("SET_ACKS", errno,
			     (mode > NFQRING_ACKS_NETLINK ? E(EINVAL) : E(EBUSY)) | E(EBADF));
		return;
	}
	case 0: {	/* 1, or 2 for an endpoint that asked for it */
		struct slot *sl = &slots[s % NSLOT];

		pthread_mutex_lock(&sl->lock);
		if (sl->ep >= 0) {
			check_version(fd, &eps[sl->ep]);
		} else {
			ret = ioctl(fd, NFQRING_GET_VERSION);
			if (ret != -1 || errno != EBADF)
				broken("GET_VERSION on a closed slot returned %d", ret);
		}
		pthread_mutex_unlock(&sl->lock);
		return;
	}
	case 1:	/* our magic, a number or a size that is not ours */
		cmd = rnd(r, 2) ? _IO(NFQRING_IOC_MAGIC, 10 + rnd(r, 245)) :
			_IOW(NFQRING_IOC_MAGIC, 1, uint32_t);
		break;
	default:	/* a known number with the wrong direction or size */
		switch (rnd(r, 6)) {
		case 0:	cmd = _IOW(NFQRING_IOC_MAGIC, 4, struct nfqring_stats); break;
		case 1:	cmd = _IO(NFQRING_IOC_MAGIC, 1 + rnd(r, 2)); break;
		case 2:	cmd = _IOW(NFQRING_IOC_MAGIC, 5, uint32_t); break;
		case 3:	cmd = _IO(NFQRING_IOC_MAGIC, 6 + rnd(r, 3)); break;
		case 4:	cmd = _IOR(NFQRING_IOC_MAGIC, 7, struct nfqring_stall); break;
		default: cmd = _IOWR(NFQRING_IOC_MAGIC, 8, struct nfqring_wake); break;
		}
		break;
	}
	ret = ioctl(fd, cmd, NULL);
	if (ret != -1)
		broken("ioctl 0x%lx returned %d", cmd, ret);
	expect_errno("unknown ioctl", errno, E(ENOTTY) | E(EBADF));
}

/* ---------- the ops of version 2 ---------- */

/* Locks slot @s and its endpoint; NULL (nothing locked) when it is closed. */
static struct epo *slot_ep(unsigned int s, int *ei)
{
	struct slot *sl = &slots[s % NSLOT];

	pthread_mutex_lock(&sl->lock);
	if (sl->ep < 0) {
		pthread_mutex_unlock(&sl->lock);
		CNT(skipped);
		return NULL;
	}
	*ei = sl->ep;
	pthread_mutex_lock(&eps[*ei].lock);
	return &eps[*ei];
}

static void slot_ep_unlock(unsigned int s, struct epo *e)
{
	pthread_mutex_unlock(&e->lock);
	pthread_mutex_unlock(&slots[s % NSLOT].lock);
}

/* What GET_VERSION must say: 2 once the endpoint asked for it. */
static void check_version(int fd, const struct epo *e)
{
	int ret = ioctl(fd, NFQRING_GET_VERSION);
	int want = e->v2 ? NFQRING_ABI_VERSION_2 : NFQRING_ABI_VERSION;

	if (ret != want)
		broken("GET_VERSION returned %d (%s) on an endpoint that %s", ret,
		       ret < 0 ? strerror(errno) : "", e->v2 ? "switched to version 2" :
		       "never asked for version 2");
}

/*
 * SET_VERSION at any moment: 2 (before or after rings, again and again;
 * EBUSY on a version-1 endpoint with frames in flight), 1
 * (EBUSY once the control page exists, that is once it speaks 2) and
 * versions the module does not speak (EINVAL), the argument by value.
 */
static void op_version(struct rng *r, unsigned int s, unsigned int variant)
{
	static const unsigned long bad[] = {
		0, 3, 4, 0xffffffffUL, 1UL << 32 | 2, 1UL << 32 | 1, ~0UL, 0x8000000000000002UL,
	};
	int fd = slot_fd(s), ei, ret, err;
	unsigned long v;
	struct epo *e;

	e = slot_ep(s, &ei);
	if (!e)
		return;
	switch (variant % 8) {
	case 0 ... 4:	v = NFQRING_ABI_VERSION_2; break;
	case 5:		v = NFQRING_ABI_VERSION; break;
	case 6:		v = bad[rnd(r, 8)]; break;
	default:	check_version(fd, e); goto out;
	}
	ret = ioctl(fd, NFQRING_SET_VERSION, v);
	err = ret < 0 ? errno : 0;
	vlog("SET_VERSION(0x%lx) on endpoint %d (v%d) -> %d", v, ei, e->v2 ? 2 : 1,
	     ret < 0 ? -err : ret);
	if (v == NFQRING_ABI_VERSION_2) {
		if (ret < 0) {
			/* EBUSY: a version-1 endpoint with frames in flight */
			expect_errno("SET_VERSION(2)", err, e->v2 ? E(ENOMEM) : E(ENOMEM) | E(EBUSY));
			if (err == EBUSY)
				CNT(ver_ebusy);
			goto out;
		}
		if (ret != NFQRING_ABI_VERSION_2)
			broken("SET_VERSION(2) returned %d", ret);
		if (!e->v2)
			e->ctrl_known = false;	/* a fresh page */
		e->v2 = true;
		CNT(ver_2);
	} else if (v == NFQRING_ABI_VERSION) {
		if (e->v2) {
			if (ret != -1 || err != EBUSY)
				broken("SET_VERSION(1) after version 2 returned %d (%s), not EBUSY",
				       ret, ret < 0 ? strerrorname_np(err) : "success");
			CNT(ver_ebusy);
		} else if (ret != NFQRING_ABI_VERSION) {
			broken("SET_VERSION(1) on a version-1 endpoint returned %d (%s)", ret,
			       ret < 0 ? strerrorname_np(err) : "-");
		} else {
			CNT(ver_1);
		}
	} else {
		if (ret != -1)
			broken("SET_VERSION(0x%lx), a version the module does not speak, returned %d",
			       v, ret);
		expect_errno("SET_VERSION(bad version)", err, E(EINVAL));
		CNT(ver_einval);
	}
	check_version(fd, e);
out:
	slot_ep_unlock(s, e);
}

/* Edges for a count of frames: 0 (the default), 1, the ring's, beyond. */
static uint32_t edge_frames(struct rng *r, uint32_t frames)
{
	switch (rnd(r, 10)) {
	case 0:	return 0;
	case 1:	return 1;
	case 2:	return frames > 1 ? frames - 1 : 2;
	case 3:	return frames;
	case 4:	return frames + 1;
	case 5:	return NFQRING_MAX_FRAMES;
	case 6:	return NFQRING_MAX_FRAMES + 1 + rnd(r, 10);
	case 7:	return 0xffffffffU;
	case 8:	return 2 + rnd(r, 64);
	default: return (uint32_t)splitmix(&r->s);
	}
}

static uint32_t edge_delay(struct rng *r)
{
	switch (rnd(r, 10)) {
	case 0:	return 0;
	case 1:	return 1;
	case 2:	return NFQRING_WAKE_DELAY_US;
	case 3:	return NFQRING_WAKE_MAX_DELAY_US - 1;
	case 4:	return NFQRING_WAKE_MAX_DELAY_US;
	case 5:	return NFQRING_WAKE_MAX_DELAY_US + 1;
	case 6:	return 0xffffffffU;
	case 7:	return 10 + rnd(r, 1000);
	default: return (uint32_t)splitmix(&r->s);
	}
}

static struct nfqring_wake gen_wake(struct rng *r, uint32_t frames)
{
	struct nfqring_wake w = {
		.wake_nr = edge_frames(r, frames),
		.watermark = edge_frames(r, frames),
		.max_delay_us = edge_delay(r),
		.idle_us = edge_delay(r),	/* its edges are the same */
	};

	return w;
}

/* SET_WAKE with edge values; the answer must be the documented clamp. */
static void op_wake(struct rng *r, unsigned int s, unsigned int variant)
{
	struct {
		struct nfqring_wake w;
		uint8_t canary[32];
	} b;
	struct nfqring_wake req;
	int fd = slot_fd(s), ei, ret, err;
	uint32_t frames;
	const char *bad;
	struct epo *e;
	size_t where;

	e = slot_ep(s, &ei);
	if (!e)
		return;
	if (variant % 8 == 7) {	/* the struct is read before anything else */
		ret = ioctl(fd, NFQRING_SET_WAKE, (void *)8);
		if (ret != -1)
			broken("SET_WAKE from a bad pointer returned %d", ret);
		expect_errno("SET_WAKE(bad pointer)", errno, E(EFAULT));
		goto out;
	}
	frames = e->rx.nm_block_nr ? e->rx.nm_frame_nr : NFQRING_MAX_FRAMES;
	req = gen_wake(r, frames);
	memset(&b, RDC_BYTE, sizeof(b));
	b.w = req;
	ret = ioctl(fd, NFQRING_SET_WAKE, &b.w);
	err = errno;
	vlog("SET_WAKE(%u, %u, %u, %u) on endpoint %d (v%d, %u frames) -> %d: %u %u %u %u",
	     req.wake_nr, req.watermark, req.max_delay_us, req.idle_us, ei, e->v2 ? 2 : 1,
	     frames, ret < 0 ? -err : ret, b.w.wake_nr, b.w.watermark, b.w.max_delay_us,
	     b.w.idle_us);
	if (!all_bytes(b.canary, sizeof(b.canary), RDC_BYTE, &where))
		broken("SET_WAKE wrote past struct nfqring_wake");
	if (ret) {
		CNT(wake_err);
		if (ret != -1)
			broken("SET_WAKE returned %d", ret);
		if (!e->v2 && err != EOPNOTSUPP)
			broken("SET_WAKE on a version-1 endpoint failed with %s, not EOPNOTSUPP",
			       strerrorname_np(err));
		if (e->v2)
			broken("SET_WAKE on a version-2 endpoint failed with %s",
			       strerrorname_np(err));
		if (memcmp(&b.w, &req, sizeof(req)))
			broken("SET_WAKE failed with %s but wrote its struct", strerrorname_np(err));
		goto out;
	}
	if (!e->v2)
		broken("SET_WAKE succeeded on a version-1 endpoint");
	/* --self-test: a bogus expectation, that values come back unchanged */
	if (opt.self_test && memcmp(&b.w, &req, sizeof(req)))
		broken("self-test: SET_WAKE changed what it was given: %u %u %u -> %u %u %u",
		       req.wake_nr, req.watermark, req.max_delay_us, b.w.wake_nr, b.w.watermark,
		       b.w.max_delay_us);
	bad = bad_wake_clamp(&req, &b.w, frames);
	if (bad)
		broken("SET_WAKE: %s", bad);
	CNT(wake_ok);
out:
	slot_ep_unlock(s, e);
}

/* SET_STALL: stall_ms 0 or 10..600000, NF_ACCEPT or NF_DROP, else EINVAL. */
static void op_stall(struct rng *r, unsigned int s, unsigned int variant)
{
	static const uint32_t ms_edge[] = {
		0, 1, NFQRING_STALL_MIN_MS - 1, NFQRING_STALL_MIN_MS, NFQRING_STALL_MAX_MS,
		NFQRING_STALL_MAX_MS + 1, 0xffffffffU, 0x80000000U,
	};
	static const uint32_t bad_verdict[] = {
		NF_STOLEN, NF_QUEUE, NF_REPEAT, NF_STOP, 6, NF_ACCEPT | 0x10000,
		NF_DROP | (7 << 16), 0xffffffffU,
	};
	struct nfqring_stall st;
	int fd = slot_fd(s), ei, ret, err;
	bool ms_ok, verdict_ok;
	struct epo *e;

	e = slot_ep(s, &ei);
	if (!e)
		return;
	if (variant % 8 == 7) {
		ret = ioctl(fd, NFQRING_SET_STALL, (void *)8);
		if (ret != -1)
			broken("SET_STALL from a bad pointer returned %d", ret);
		expect_errno("SET_STALL(bad pointer)", errno, E(EFAULT));
		goto out;
	}
	/* mostly short ones, so that they fire while the consumers dawdle */
	st.stall_ms = chance(r, 60) ? NFQRING_STALL_MIN_MS + rnd(r, 40) : ms_edge[rnd(r, 8)];
	st.verdict = chance(r, 85) ? (rnd(r, 2) ? NF_ACCEPT : NF_DROP) : bad_verdict[rnd(r, 8)];
	ms_ok = !st.stall_ms || (st.stall_ms >= NFQRING_STALL_MIN_MS &&
				 st.stall_ms <= NFQRING_STALL_MAX_MS);
	verdict_ok = st.verdict == NF_ACCEPT || st.verdict == NF_DROP;
	ret = ioctl(fd, NFQRING_SET_STALL, &st);
	err = errno;
	vlog("SET_STALL(%u ms, verdict 0x%x) on endpoint %d (v%d) -> %d", st.stall_ms,
	     st.verdict, ei, e->v2 ? 2 : 1, ret < 0 ? -err : ret);
	if (ret == 0) {
		if (!e->v2 || !ms_ok || !verdict_ok)
			broken("SET_STALL(%u ms, verdict 0x%x) succeeded on a version-%d endpoint",
			       st.stall_ms, st.verdict, e->v2 ? 2 : 1);
		e->stall_ever |= st.stall_ms != 0;
		CNT(stall_ok);
		goto out;
	}
	CNT(stall_err);
	if (ret != -1)
		broken("SET_STALL returned %d", ret);
	if (!e->v2 ? err != EOPNOTSUPP : ms_ok && verdict_ok ? true : err != EINVAL)
		broken("SET_STALL(%u ms, verdict 0x%x) on a version-%d endpoint failed with %s",
		       st.stall_ms, st.verdict, e->v2 ? 2 : 1, strerrorname_np(err));
out:
	slot_ep_unlock(s, e);
}

/* GET_WAKE_STATS: EOPNOTSUPP for version 1, else figures that add up. */
static void op_wstats(unsigned int s, unsigned int variant)
{
	struct {
		struct nfqring_wake_stats st;
		uint8_t canary[32];
	} b;
	int fd = slot_fd(s), ei, ret, err;
	const char *bad;
	struct epo *e;
	size_t where;

	e = slot_ep(s, &ei);
	if (!e)
		return;
	if (variant % 8 == 7) {	/* version 1 is refused before the pointer is used */
		ret = ioctl(fd, NFQRING_GET_WAKE_STATS, (void *)8);
		if (ret != -1)
			broken("GET_WAKE_STATS into a bad pointer returned %d", ret);
		if (errno != (e->v2 ? EFAULT : EOPNOTSUPP))
			broken("GET_WAKE_STATS into a bad pointer (version %d) failed with %s",
			       e->v2 ? 2 : 1, strerrorname_np(errno));
		goto out;
	}
	memset(&b, RDC_BYTE, sizeof(b));
	ret = ioctl(fd, NFQRING_GET_WAKE_STATS, &b.st);
	err = errno;
	if (!all_bytes(b.canary, sizeof(b.canary), RDC_BYTE, &where))
		broken("GET_WAKE_STATS wrote past struct nfqring_wake_stats");
	if (!e->v2) {
		if (ret != -1 || err != EOPNOTSUPP)
			broken("GET_WAKE_STATS on a version-1 endpoint: %d (%s), not EOPNOTSUPP",
			       ret, ret ? strerrorname_np(err) : "success");
		if (!all_bytes((uint8_t *)&b.st, sizeof(b.st), RDC_BYTE, &where))
			broken("GET_WAKE_STATS failed but wrote its struct");
		goto out;
	}
	if (ret)
		broken("GET_WAKE_STATS on a version-2 endpoint: %s", strerror(err));
	bad = bad_wake_stats(e->have_ws ? &e->ws : NULL, &b.st, e->stall_ever, false);
	if (bad)
		broken("GET_WAKE_STATS of endpoint %d: %s", ei, bad);
	e->ws = b.st;
	e->have_ws = true;
	CNT(wstats);
out:
	slot_ep_unlock(s, e);
}

/*
 * mmap() of the control page, right (version 2 only: EINVAL before) and
 * wrong (private, two pages, the offsets beside it: EINVAL), read-only,
 * executable (EPERM: memory userspace writes is never code),
 * mremap() growing it (refused); or munmap() of one.
 */
static void op_ctrlmap(struct rng *r, unsigned int s, unsigned int variant)
{
	int fd = slot_fd(s), prot = PROT_READ | PROT_WRITE, flags = MAP_SHARED, ei, err;
	unsigned int v = variant % 16, i;
	size_t len = NFQRING_CTRL_SIZE;
	off_t off = NFQRING_CTRL_OFFSET;
	struct cmapr *cm = NULL;
	bool refuse = false;
	struct epo *e;
	void *p;

	if (v >= 14) {
		cm = cmap_get(rnd(r, 256), &e);
		if (!cm) {
			CNT(skipped);
			return;
		}
		cmap_drop(cm, e);
		pthread_mutex_unlock(&e->lock);
		return;
	}
	e = slot_ep(s, &ei);
	if (!e)
		return;
	switch (v) {
	case 6:	len = 1; break;			/* rounded up to the page */
	case 7:	prot = PROT_READ; break;
	case 8:	flags = MAP_PRIVATE; refuse = true; break;
	case 9:	len = 2 * NFQRING_CTRL_SIZE; refuse = true; break;
	case 10: off += page_sz; refuse = true; break;
	case 11: off -= page_sz; refuse = true; break;
	case 12: prot |= PROT_EXEC; refuse = true; break;	/* EPERM */
	case 13:
		cm = cmap_of(ei);
		if (cm) {
			p = mremap(cm->c, NFQRING_CTRL_SIZE, 2 * NFQRING_CTRL_SIZE,
				   variant & 16 ? MREMAP_MAYMOVE : 0);
			if (p != MAP_FAILED)
				broken("mremap grew a control page mapping");
			expect_errno("mremap(grow control page)", errno,
				     E(EFAULT) | E(EINVAL) | E(ENOMEM));
		}
		goto out;
	}
	p = mmap(NULL, len, prot, flags, fd, off);
	err = errno;
	vlog("mmap(control page, len %zu, prot %d, %s, off 0x%llx) of endpoint %d (v%d) -> %s",
	     len, prot, flags == MAP_SHARED ? "shared" : "private", (unsigned long long)off, ei,
	     e->v2 ? 2 : 1, p == MAP_FAILED ? strerrorname_np(err) : "mapped");
	if (refuse || !e->v2) {
		if (p != MAP_FAILED)
			broken("mmap(len %zu, prot %d, %s, off 0x%llx) of a version-%d endpoint succeeded",
			       len, prot, flags == MAP_SHARED ? "shared" : "private",
			       (unsigned long long)off, e->v2 ? 2 : 1);
		/* exec: EPERM whatever the version (checked first) */
		expect_errno("mmap(control page, refused)", err, v == 12 ? E(EPERM) : E(EINVAL));
		CNT(cmap_refused);
		goto out;
	}
	if (p == MAP_FAILED) {
		expect_errno("mmap(control page)", err, E(ENOMEM));
		goto out;
	}
	CNT(cmaps);
	ctrl_sync(e, p, prot & PROT_WRITE);
	pthread_mutex_lock(&maps_lock);
	for (i = 0; i < MAXCMAP; i++)
		if (!cmaps[i].used) {
			cm = &cmaps[i];
			break;
		}
	if (cm) {
		cm->fd = fcntl(fd, F_DUPFD_CLOEXEC, CMAP_FD);
		if (cm->fd < 0)
			broken("F_DUPFD: %s", strerror(errno));
		cm->used = true;
		cm->ro = !(prot & PROT_WRITE);
		cm->ep = ei;
		cm->gen = ++map_gen;
		cm->c = p;
	}
	pthread_mutex_unlock(&maps_lock);
	if (!cm && munmap(p, NFQRING_CTRL_SIZE))
		broken("munmap of a control page: %s", strerror(errno));
out:
	slot_ep_unlock(s, e);
}

/*
 * The control page while traffic runs: scribbles over every word, the
 * kernel's too (the kernel takes them as hints: nothing may break), honest
 * consumer updates, or NEED_WAKEUP and a nap in poll().  What the kernel
 * may not write is checked first (ctrl_sync).
 */
static void op_ctrl(struct rng *r, unsigned int idx, unsigned int variant)
{
	static const size_t word[5] = {
		offsetof(struct nfqring_ctrl, rx_prod), offsetof(struct nfqring_ctrl, rx_cons),
		offsetof(struct nfqring_ctrl, flags), offsetof(struct nfqring_ctrl, tx_prod),
		offsetof(struct nfqring_ctrl, tx_cons),
	};
	struct nfqring_ctrl *c;
	unsigned int k, n;
	struct cmapr *cm;
	struct epo *e;

	cm = cmap_get(idx, &e);
	if (!cm) {
		CNT(skipped);
		return;
	}
	c = cm->c;
	ctrl_sync(e, c, !cm->ro);
	switch (cm->ro ? 7 : variant % 8) {
	case 0 ... 2:
		n = 1 + rnd(r, 6);
		for (k = 0; k < n; k++) {
			uint32_t *w = (uint32_t *)((uint8_t *)c + word[rnd(r, 5)]);
			uint32_t v;

			switch (rnd(r, 8)) {
			case 0:	v = 0; break;
			case 1:	v = 0xffffffffU; break;
			case 2:	v = 0x80000000U; break;
			case 3:	v = cload(&c->rx_prod) + rnd(r, 5) - 2; break;
			case 4:	v = cload(&c->tx_cons) - rnd(r, 70000); break;
			case 5:	v = rnd(r, 4); break;
			default: v = (uint32_t)splitmix(&r->s); break;
			}
			cstore(w, v);
		}
		CNT(ctrl_scrib);
		break;
	case 3 ... 4:	/* a consumer that took everything, a producer that sent all */
		cstore(&c->rx_cons, cload(&c->rx_prod));
		cstore(&c->tx_prod, cload(&c->tx_cons));
		break;
	default: {
		struct pollfd pf = { .fd = cm->fd, .events = POLLIN | POLLOUT };
		short ok = POLLIN | POLLRDNORM | POLLOUT | POLLWRNORM | POLLERR;

		if (!cm->ro) {
			__atomic_fetch_or(&c->flags, NFQRING_CTRL_NEED_WAKEUP, __ATOMIC_SEQ_CST);
			__atomic_thread_fence(__ATOMIC_SEQ_CST);
		}
		if (poll(&pf, 1, rnd(r, 6)) < 0)
			broken("poll through a control page's endpoint: %s", strerror(errno));
		if (pf.revents & ~ok)
			broken("poll of a version-2 endpoint: revents 0x%x has bits the ABI does not document",
			       pf.revents);
		CNT(ctrl_polls);
		break;
	}
	}
	/* What we wrote is what the kernel must leave alone. */
	e->c_rx_cons = cload(&c->rx_cons);
	e->c_tx_prod = cload(&c->tx_prod);
	e->c_flags = cload(&c->flags) & ~NFQRING_CTRL_NEED_WAKEUP;
	pthread_mutex_unlock(&e->lock);
}

/* UDP to the queued ports: plain, IPv6, or one GSO superpacket. */
static void op_send(struct thr *t, struct rng *r, unsigned int variant)
{
	unsigned int k, n = 1 + rnd(r, 16);
	uint16_t port = PORT_BASE + rnd(r, 6);
	size_t len = rnd(r, 4) ? rnd(r, 600) : rnd(r, 9000);
	struct sockaddr_in a4 = { .sin_family = AF_INET, .sin_port = htons(port),
				  .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	struct sockaddr_in6 a6 = { .sin6_family = AF_INET6, .sin6_port = htons(port),
				   .sin6_addr = IN6ADDR_LOOPBACK_INIT };

	memset(t->buf, 'f', len);
	for (k = 0; k < n; k++) {
		memcpy(t->buf, &k, len < sizeof(k) ? len : sizeof(k));
		CNT(sends);
		if (variant % 8 == 0) {
			sendto(t->s6, t->buf, len, MSG_DONTWAIT, (void *)&a6, sizeof(a6));
		} else if (variant % 8 == 1) {
			char cbuf[CMSG_SPACE(sizeof(uint16_t))] = { 0 };
			struct iovec iov = { t->buf, 2000 + rnd(r, 8000) };
			struct msghdr mh = { .msg_name = &a4, .msg_namelen = sizeof(a4),
					     .msg_iov = &iov, .msg_iovlen = 1,
					     .msg_control = cbuf,
					     .msg_controllen = sizeof(cbuf) };
			struct cmsghdr *c = CMSG_FIRSTHDR(&mh);
			uint16_t gso = 100 + rnd(r, 1300);

			c->cmsg_level = SOL_UDP;
			c->cmsg_type = UDP_SEGMENT;
			c->cmsg_len = CMSG_LEN(sizeof(gso));
			memcpy(CMSG_DATA(c), &gso, sizeof(gso));
			memset(t->buf, 'g', iov.iov_len);
			sendmsg(t->s4, &mh, MSG_DONTWAIT);
		} else {
			sendto(t->s4, t->buf, len, MSG_DONTWAIT, (void *)&a4, sizeof(a4));
		}
	}
}

static int run_ip_batch(const char *cmds)
{
	FILE *f = popen("ip -batch - >/dev/null 2>&1", "w");

	if (!f)
		return -1;
	fputs(cmds, f);
	return pclose(f);
}

/* A veth whose packets sit in the queues when it is deleted. */
static void op_veth(struct thr *t, struct rng *r)
{
	unsigned int n, k, pkts = 1 + rnd(r, 24);
	char cmd[512];
	struct sockaddr_in a = { .sin_family = AF_INET };

	if (__atomic_exchange_n(&veth_busy, 1, __ATOMIC_ACQUIRE)) {
		CNT(skipped);
		return;
	}
	n = __atomic_fetch_add(&veth_seq, 1, __ATOMIC_RELAXED) % 200;
	snprintf(cmd, sizeof(cmd),
		 "link add fzv%u type veth peer name fzp%u\n"
		 "addr add 10.77.%u.1/24 dev fzv%u\n"
		 "link set fzp%u up\nlink set fzv%u up\n", n, n, n, n, n, n);
	if (run_ip_batch(cmd))
		broken("could not create veth fzv%u", n);
	a.sin_addr.s_addr = htonl(0x0a4d0002 | n << 8);
	for (k = 0; k < pkts; k++) {
		a.sin_port = htons(queue_port[rnd(r, 4)]);
		sendto(t->s4, t->buf, 64 + rnd(r, 500), MSG_DONTWAIT, (void *)&a, sizeof(a));
	}
	usleep(rnd(r, 20000));
	snprintf(cmd, sizeof(cmd), "link del fzv%u\n", n);
	if (run_ip_batch(cmd))
		broken("could not delete veth fzv%u", n);
	CNT(veth);
	__atomic_store_n(&veth_busy, 0, __ATOMIC_RELEASE);
}

static int nft_load(const char *prefix)
{
	FILE *f = popen("nft -f -", "w");

	if (!f)
		return -1;
	fputs(prefix, f);
	fputs(nft_rules, f);
	return pclose(f);
}

/* Hook removal drops what the queues hold; then the same rules again. */
static void op_nft(void)
{
	if (nft_load("delete table inet fz\n"))
		broken("nft reload failed");
	CNT(nft);
}

static void lo_up(void)
{
	struct ifreq ifr = { .ifr_name = "lo" };
	int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	if (s < 0)
		return;
	if (ioctl(s, SIOCGIFFLAGS, &ifr) == 0) {
		ifr.ifr_flags |= IFF_UP;
		ioctl(s, SIOCSIFFLAGS, &ifr);
	}
	close(s);
}

/*
 * In a child: its own namespace, a bound queue with packets in it, maybe a
 * ring, maybe the descriptor handed to the round; then it exits.
 */
static int nschild_main(uint64_t seed, int sock, unsigned int variant)
{
	struct rng r = { seed };
	uint16_t queue = rnd(&r, 4);
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(queue_port[queue]),
				 .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	uint8_t buf[512];
	struct mb b = { .buf = buf, .cap = sizeof(buf) };
	struct nfqnl_msg_config_cmd cmd = { .command = NFQNL_CFG_CMD_BIND };
	struct nfqnl_msg_config_params params = { .copy_range = htonl(0xffff),
						  .copy_mode = NFQNL_COPY_PACKET };
	struct nlmsghdr *nlh;
	unsigned int k, n = 1 + rnd(&r, 32);
	int fd, s;

	if (unshare(CLONE_NEWNET))
		return 20;
	lo_up();
	if (nft_load(""))
		return 21;
	fd = open(NFQRING_DEVICE, O_RDWR | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0)
		return 22;
	if (variant & 1) {
		struct nl_mmap_req q = { page_sz, 1 + rnd(&r, 4), 2048, 0 };

		q.nm_frame_nr = q.nm_block_nr * (page_sz / 2048);
		if (ioctl(fd, NFQRING_SET_RX_RING, &q))
			return 23;
		if (mmap(NULL, ring_bytes(&q), PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0) ==
		    MAP_FAILED)
			return 24;
	}
	nlh = mb_start(&b, NFQNL_MSG_CONFIG, NLM_F_REQUEST, queue);
	mb_attr(&b, NFQA_CFG_CMD, &cmd, sizeof(cmd));
	mb_end(&b, nlh);
	nlh = mb_start(&b, NFQNL_MSG_CONFIG, NLM_F_REQUEST, queue);
	mb_attr(&b, NFQA_CFG_PARAMS, &params, sizeof(params));
	mb_end(&b, nlh);
	if (write(fd, buf, b.len) != (ssize_t)b.len)
		return 25;
	s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (s < 0)
		return 26;
	memset(buf, 'n', sizeof(buf));
	for (k = 0; k < n; k++)
		sendto(s, buf, 1 + rnd(&r, sizeof(buf) - 1), MSG_DONTWAIT, (void *)&a, sizeof(a));
	if (variant & 2) {	/* hand the endpoint over */
		char cbuf[CMSG_SPACE(sizeof(int))] = { 0 };
		struct iovec iov = { "x", 1 };
		struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1,
				     .msg_control = cbuf, .msg_controllen = sizeof(cbuf) };
		struct cmsghdr *c = CMSG_FIRSTHDR(&mh);

		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(c), &fd, sizeof(int));
		if (sendmsg(sock, &mh, 0) != 1)
			return 27;
	}
	return 0;	/* exits with the packets queued */
}

/* Where the namespace child finds its socket after exec. */
#define NSCHILD_FD	100

static void op_nschild(struct rng *r, unsigned int s, unsigned int variant)
{
	int sv[2], status, fd = -1;
	char sarg[32], varg[16];
	pid_t pid;

	if (__atomic_exchange_n(&nschild_busy, 1, __ATOMIC_ACQUIRE)) {
		CNT(skipped);
		return;
	}
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv))
		broken("socketpair: %s", strerror(errno));
	snprintf(sarg, sizeof(sarg), "%llu", (unsigned long long)splitmix(&r->s));
	snprintf(varg, sizeof(varg), "%u", variant);
	pid = fork();
	if (pid < 0)
		broken("fork: %s", strerror(errno));
	if (pid == 0) {
		/*
		 * Other threads may hold locks (popen's among them) that a
		 * forked copy would wait on for ever: only async-signal-safe
		 * calls until a fresh image runs nschild_main().
		 */
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		dup2(sv[1], NSCHILD_FD);
		execl("/proc/self/exe", "abi_fuzz", "--nschild", sarg, varg, NULL);
		_exit(30);
	}
	close(sv[1]);
	if (variant & 2) {
		char cbuf[CMSG_SPACE(sizeof(int))], c;
		struct iovec iov = { &c, 1 };
		struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1,
				     .msg_control = cbuf, .msg_controllen = sizeof(cbuf) };

		if (recvmsg(sv[0], &mh, MSG_CMSG_CLOEXEC) == 1 && CMSG_FIRSTHDR(&mh))
			memcpy(&fd, CMSG_DATA(CMSG_FIRSTHDR(&mh)), sizeof(int));
	}
	close(sv[0]);
	if (waitpid(pid, &status, 0) != pid)
		broken("waitpid: %s", strerror(errno));
	if (!WIFEXITED(status) || WEXITSTATUS(status))
		broken("namespace child failed (status 0x%x)", status);
	if (fd >= 0) {	/* an endpoint of a namespace only it holds now */
		struct slot *sl = &slots[s % NSLOT];
		int e;

		pthread_mutex_lock(&sl->lock);
		e = new_ep(true);
		if (e >= 0) {
			if (variant & 1) {	/* its ring as the child set it */
				struct nfqring_stats st;

				if (ioctl(fd, NFQRING_GET_STATS, &st))
					broken("GET_STATS on the child's endpoint: %s", strerror(errno));
				eps[e].rx = (struct nl_mmap_req){ page_sz,
					st.rx_frame_nr / (page_sz / 2048), 2048, st.rx_frame_nr };
				ep_set_rx(&eps[e], &eps[e].rx);
			}
			if (sl->ep >= 0)
				slot_retire(sl, s);
			dup3(fd, slot_fd(s), O_CLOEXEC);
			sl->ep = e;
		}
		pthread_mutex_unlock(&sl->lock);
		close(fd);
	}
	CNT(nschild);
	__atomic_store_n(&nschild_busy, 0, __ATOMIC_RELEASE);
}

static void run_op(struct thr *t, const struct op *o)
{
	struct rng r = { o->seed };

	switch (o->type) {
	case OP_OPEN:	  op_open(&r, o->slot); break;
	case OP_CLOSE:	  op_close(o->slot); break;
	case OP_SETRING:  op_setring(&r, o->slot, o->variant); break;
	case OP_MMAP:	  op_mmap(&r, o->slot, o->variant); break;
	case OP_MUNMAP:	  op_munmap(&r, o->slot, o->variant); break;
	case OP_MREMAP:	  op_mremap(&r, o->slot, o->variant); break;
	case OP_CONFIG:	  op_write(t, &r, o->slot, o->variant & 0xf0, true); break;
	case OP_WRITE:	  op_write(t, &r, o->slot, o->variant, false); break;
	case OP_WRITE0:	  op_write0(o->slot); break;
	case OP_SEND:	  op_send(t, &r, o->variant); break;
	case OP_CONSUME:  op_consume(&r, o->slot); break;
	case OP_TXPUT:	  op_txput(&r, o->slot, o->variant); break;
	case OP_FLUSH:	  op_flush(o->slot, o->variant); break;
	case OP_READ:	  op_read(t, &r, o->slot, o->variant); break;
	case OP_POLL:	  op_poll(&r, o->slot); break;
	case OP_STATS:	  op_stats(o->slot, o->variant); break;
	case OP_IOCTL:	  op_ioctl(&r, o->slot, o->variant); break;
	case OP_SCRIBBLE: op_scribble(&r, o->slot); break;
	case OP_VERSION:  op_version(&r, o->slot, o->variant); break;
	case OP_WAKE:	  op_wake(&r, o->slot, o->variant); break;
	case OP_STALL:	  op_stall(&r, o->slot, o->variant); break;
	case OP_WSTATS:	  op_wstats(o->slot, o->variant); break;
	case OP_CTRLMAP:  op_ctrlmap(&r, o->slot, o->variant); break;
	case OP_CTRL:	  op_ctrl(&r, o->slot, o->variant); break;
	case OP_SLEEP:	  usleep(rnd(&r, 3000)); break;
	case OP_VETH:	  op_veth(t, &r); break;
	case OP_NSCHILD:  op_nschild(&r, o->slot, o->variant); break;
	case OP_NFT:	  op_nft(); break;
	}
}

/* ---------- the churn: rings replaced and queues rebound under traffic ---------- */

/*
 * Beside the ops, in every round (unless --no-churn), seven threads work on
 * an endpoint and a queue of their own (CH_QUEUE, whose rule no op's
 * message can name), so that their checks can be exact:
 *   ring     replaces the RX ring (munmap, SET_RX_RING, mmap): frames of 16
 *            KiB and 4 KiB one-frame blocks by turns, now and then three
 *            frames (no power of two) or no ring at all;
 *   bind     BIND+PARAMS, a while bound, UNBIND, a while unbound;
 *   copy     PARAMS with other copy ranges and modes, bound or not;
 *   send     UDP of 64 B to 9 KB and UDP GSO, IPv4 and IPv6, while the
 *            binding cannot change, so that the binding of each packet is
 *            known;
 *   race     the same, mostly 9 KB, at any moment; a packet's binding is
 *            known when no change began or ended while it was sent;
 *   consume  reads the ring strictly in ring order, without poll() while
 *            frames are ready (as libnfqring), and the read() backlog (at
 *            times late, so that messages of an old binding wait across a
 *            rebind); gives verdicts; drains the receiver of the packets
 *            accepted;
 *   probe    at random moments: /proc/net/netfilter/nfqring, GET_STATS and
 *            poll() of the endpoint; with version 2, SET_WAKE and
 *            GET_WAKE_STATS;
 *   stall    with version 2 (from the start, or switched at a moment
 *            without a ring: the round's ch_v2), switches on the stall
 *            watchdog with a short stall_ms, NF_DROP or by turns NF_ACCEPT
 *            (ch_stall), and hushes consumer, binder, copy and ring threads
 *            for longer while the senders go on.
 * With version 2 the consumer advances rx_cons for every frame it takes,
 * and before it polls sets NEED_WAKEUP, fences and looks again.
 * Each packet carries a sequence number as its mark (NFQA_MARK of its
 * message, whatever the copy range) and at the start of each segment's
 * payload (what the receiver sees).  In a test build of the module (the
 * parameter test_delay_us) a round may also widen the module's race
 * windows, by a delay drawn from its seed.
 *
 * Invariants:
 *  - every frame read: nm_len within the frame; a VALID frame holds a
 *    well-formed PACKET message of CH_QUEUE inside nm_len, marked with a
 *    sequence number that was sent;
 *  - ring order: no frame after the reader's position is taken while the
 *    frame at it is still UNUSED;
 *  - per binding, ids increase (with wrap-around) in ring order and in
 *    read() order, and no packet of a binding follows one of a later one;
 *    a packet sent while the queue was unbound is never queued;
 *  - no packet released unread: the receiver never gets a packet more often
 *    than its message was read.  The consumer gives only verdicts that
 *    release nothing unread from a correct kernel: a batch up to the last
 *    VALID frame read, and single verdicts for read() messages, both only
 *    for packets of the binding bound at that moment;
 *  - every ring line of /proc/net/netfilter/nfqring: rx_in_use <=
 *    rx_frame_nr, and a geometry the ABI allows;
 *  - GET_STATS: backlog_bytes <= NFQRING_BACKLOG_BYTES, one queue at most;
 *  - poll() answers only documented bits; no frame is left RESERVED once
 *    the traffic stopped;
 *  - version 2: rx_prod - rx_cons never further apart than the ring (0 ..
 *    frames just after a set-up), and exactly the frames still ready once
 *    the traffic stopped; SET_WAKE's clamp; GET_WAKE_STATS figures; packets
 *    delivered unread no more than the watchdog's stall verdicts, and none
 *    when it never accepted.
 * --self-test and --check-checkers show that each of these checks fires
 * on a forged frame, /proc text, figure or count.
 */

#define CH_QUEUE	10
#define CH_PORT		40010	/* queued to CH_QUEUE, without bypass */
#define CH_FD		910	/* its endpoint, beyond the slots' numbers */
#define CH_SEQS		(1U << 18)	/* packets a round may send */
#define DELAY_PARAM	"/sys/module/nfqring/parameters/test_delay_us"

/* What the sender knew of a sequence number (ch.tag): */
#define TAG_SENT	1u	/* this word is written */
#define TAG_CERTAIN	2u	/* sent while the binding did not change... */
#define TAG_BOUND	4u	/* ... and the queue was bound: TAG_GEN says which binding */
#define TAG_NSEG(t)	(((t) >> 3) & 63)	/* segments (1 without GSO) */
#define TAG_GEN(t)	((t) >> 9)

static const char *const churn_names[CT_NR] = {
	"churn-ring", "churn-bind", "churn-copy", "churn-send", "churn-race",
	"churn-consume", "churn-probe", "churn-stall",
};

static struct {
	int		fd, rcv;
	pthread_rwlock_t maplock;	/* ring thread writes, consumer reads */
	struct nl_mmap_req rx;		/* the RX ring the kernel has */
	uint8_t		*map;		/* and our mapping of it */
	unsigned int	ring_gen;	/* successful ring set-ups */
	pthread_rwlock_t bindlock;	/* binder writes; send and verdicts read */
	uint32_t	cfgseq;		/* odd while the binding may change */
	uint32_t	gen;		/* bindings so far */
	bool		bound;
	uint32_t	next_seq;
	uint32_t	*tag;		/* per sequence number: TAG_* */
	uint16_t	*reads, *deliv;	/* messages read, datagrams received */
	int		stop;		/* 1: churn stops; 2: consumer too */
	pthread_t	tid[CT_NR];
	/* version 2 */
	int		v2mode, stallmode;	/* struct program's ch_v2, ch_stall */
	int		v2;		/* the endpoint speaks it; ctrl is mapped */
	struct nfqring_ctrl *ctrl;
	int		stall_ever, accept_ever; /* set before SET_STALL asks */
	uint64_t	hush_until;	/* ns: consumer, binder, copy, ring sit still */
	uint8_t		*unread;	/* per sequence number: delivered unread */
	uint32_t	nunread;
	struct nfqring_wake_stats ws_probe, ws_stall;
	bool		have_ws_probe, have_ws_stall;
} ch;

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

/* While the stall thread hushes the churn, nothing of it may move. */
static bool ch_hushed(void)
{
	return now_ns() < __atomic_load_n(&ch.hush_until, __ATOMIC_ACQUIRE);
}

static bool ch_is_v2(void)
{
	return __atomic_load_n(&ch.v2, __ATOMIC_ACQUIRE);
}

static bool ch_stopping(int level)
{
	return __atomic_load_n(&ch.stop, __ATOMIC_ACQUIRE) >= level;
}

static void ch_pause(struct rng *r)
{
	switch (rnd(r, 10)) {
	case 0 ... 2:	break;
	case 3 ... 7:	usleep(rnd(r, 500)); break;
	default:	usleep(rnd(r, 3000)); break;
	}
}

/* ---- the checks, pure functions so that --check-checkers can forge input ---- */

struct ch_msg {
	uint32_t	id, seq;
	bool		gso;	/* the message stands for every segment */
};

/* NULL when @m (@len bytes) is a message the churn can get; fills @out. */
static const char *bad_churn_msg(const uint8_t *m, uint32_t len, struct ch_msg *out)
{
	static __thread char msg[160];
	const char *bad = bad_packet_of(m, len, CH_QUEUE);
	uint32_t info = 0;
	uint16_t queue;

	if (bad)
		return bad;
	out->id = packet_id(m, len, &queue);
	if (!packet_u32(m, len, NFQA_MARK, &out->seq))
		return "no NFQA_MARK: not a packet the churn sent";
	if (out->seq == 0 || out->seq >= CH_SEQS) {
		snprintf(msg, sizeof(msg), "NFQA_MARK %u is no sequence number of the churn",
			 out->seq);
		return msg;
	}
	out->gso = packet_u32(m, len, NFQA_SKB_INFO, &info) && (info & NFQA_SKB_GSO);
	return NULL;
}

/* NULL when a frame of @frame_size bytes whose status is @st is sound. */
static const char *bad_churn_frame(const struct nl_mmap_hdr *h, uint32_t frame_size,
				   uint32_t st, struct ch_msg *out)
{
	static __thread char msg[160];
	uint32_t room = frame_size - NFQRING_HDRLEN;

	if (st == NFQRING_STATUS_COPY) {
		if (!h->nm_len || h->nm_len > 0x10000 + 4096) {
			snprintf(msg, sizeof(msg), "COPY with nm_len %u", h->nm_len);
			return msg;
		}
		return NULL;
	}
	if (st != NFQRING_STATUS_VALID) {
		snprintf(msg, sizeof(msg), "status %u, which the kernel never publishes", st);
		return msg;
	}
	if (h->nm_len > room) {
		snprintf(msg, sizeof(msg),
			 "VALID with nm_len %u in a frame of %u bytes of room: the message overflowed its frame",
			 h->nm_len, room);
		return msg;
	}
	return bad_churn_msg((const uint8_t *)h + NFQRING_HDRLEN, h->nm_len, out);
}

/*
 * Frame @pos (the reader's position) was UNUSED: NULL unless a frame after
 * it is taken while it is still UNUSED.  The kernel takes frames in ring
 * order from its head, and the reader has released every frame before
 * @pos, so a frame after it can only be taken once @pos is.
 */
static const char *bad_ring_order(uint8_t *ring, const struct nl_mmap_req *q, uint32_t pos)
{
	static __thread char msg[200];
	uint32_t j, st;

	for (j = 1; j < q->nm_frame_nr; j++) {
		st = status_load(frame_at(ring, q, pos + j));
		if (st == NFQRING_STATUS_UNUSED)
			continue;
		/* loaded after the later frame: taken first, it shows now */
		if (status_load(frame_at(ring, q, pos)) != NFQRING_STATUS_UNUSED)
			return NULL;
		snprintf(msg, sizeof(msg),
			 "frame %u has status %u while frame %u, before it in ring order, is still UNUSED: the kernel left ring order",
			 (pos + j) % q->nm_frame_nr, st, pos % q->nm_frame_nr);
		return msg;
	}
	return NULL;
}

/* Where a sequence of packets of known bindings got to. */
struct ch_order {
	bool		have;
	uint32_t	gen, id;
};

/* NULL when packet @id of binding @gen may come next after what @o saw. */
static const char *bad_order(struct ch_order *o, uint32_t gen, uint32_t id)
{
	static __thread char msg[160];

	if (o->have && gen < o->gen) {
		snprintf(msg, sizeof(msg), "a packet of binding %u after one of binding %u",
			 gen, o->gen);
		return msg;
	}
	if (o->have && gen == o->gen && (int32_t)(id - o->id) <= 0) {
		snprintf(msg, sizeof(msg), "id %u after id %u in the same binding (%u)",
			 id, o->id, gen);
		return msg;
	}
	o->have = true;
	o->gen = gen;
	o->id = id;
	return NULL;
}

/* NULL unless packet @seq reached the receiver more often than it was read. */
static const char *bad_delivery(uint32_t seq, unsigned int delivered, unsigned int read,
				uint32_t tag)
{
	static __thread char msg[300];

	if (delivered <= read)
		return NULL;
	snprintf(msg, sizeof(msg),
		 "packet %u (%u segment(s), sent %s%s, binding %u) reached the receiver %u times but its message was read %u times: a verdict released a packet nobody read",
		 seq, TAG_NSEG(tag), tag & TAG_CERTAIN ? "while the binding was stable" : "at any moment",
		 tag & TAG_CERTAIN ? (tag & TAG_BOUND ? " and bound" : " and unbound") : "",
		 TAG_GEN(tag), delivered, read);
	return msg;
}

enum { PC_QUEUE, PC_TRANSPORT, PC_RXNR, PC_RXSZ, PC_TXNR, PC_TXSZ, PC_INUSE,
       PC_TXFRAMES, PC_TXBATCHES, PC_NR };
static const char *const proc_cols[PC_NR] = {
	"queue", "transport", "rx_frame_nr", "rx_frame_size", "tx_frame_nr",
	"tx_frame_size", "rx_in_use", "tx_frames", "tx_batches",
};

/* NULL when a ring's frame count and size are ones the ABI allows. */
static const char *bad_geometry(unsigned long long nr, unsigned long long size)
{
	if (!nr != !size)
		return "a frame count without a frame size, or the reverse";
	if (nr && (size < NFQRING_HDRLEN || size % NFQRING_FRAME_ALIGN))
		return "a frame size the ABI refuses";
	if (nr > NFQRING_MAX_FRAMES || nr * size > NFQRING_MAX_RING_BYTES)
		return "more frames or bytes than a ring may have";
	return NULL;
}

/*
 * NULL when the text of /proc/net/netfilter/nfqring is sound: a header
 * naming the columns, then per queue a line; in a ring line the figures
 * stay within the ring's geometry.  @seen (may be NULL) gathers the ring
 * lines of queue @queue.
 */
struct proc_seen {
	unsigned long long lines, busy, max_in_use;
};

static const char *bad_proc_text(const char *text, unsigned int queue, struct proc_seen *seen)
{
	static __thread char msg[600];
	int col[PC_NR], ncol = 0, i, k;
	const char *p = text, *why = NULL;
	char raw[512], line[512];

	for (k = 0; k < PC_NR; k++)
		col[k] = -1;
	while (*p) {
		size_t n = strcspn(p, "\n");
		unsigned long long v[PC_NR];
		char *tok[40], *save, *t;
		int ntok = 0;

		snprintf(raw, sizeof(raw), "%.*s", (int)n, p);
		memcpy(line, raw, sizeof(line));
		p += n + (p[n] == '\n');
		for (t = strtok_r(line, " \t", &save); t && ntok < 40; t = strtok_r(NULL, " \t", &save))
			tok[ntok++] = t;
		if (!ntok)
			continue;
		if (!strcmp(tok[0], "#") && ntok > 1 && !strcmp(tok[1], proc_cols[PC_QUEUE])) {
			for (i = 1; i < ntok; i++)
				for (k = 0; k < PC_NR; k++)
					if (!strcmp(tok[i], proc_cols[k]))
						col[k] = i - 1;
			for (k = 0; k < PC_NR; k++)
				if (col[k] < 0) {
					snprintf(msg, sizeof(msg), "the header names no column %s",
						 proc_cols[k]);
					return msg;
				}
			ncol = ntok - 1;
			continue;
		}
		if (tok[0][0] == '#')
			continue;
		if (!ncol) {
			why = "a queue line before the header that names the columns";
			goto bad;
		}
		if (ntok <= col[PC_TRANSPORT])
			goto short_line;
		if (strcmp(tok[col[PC_TRANSPORT]], "ring"))
			continue;	/* netlink PORTID */
		if (ntok != ncol) {
short_line:
			why = "not as many fields as the header names";
			goto bad;
		}
		for (k = 0; k < PC_NR; k++) {
			char *end;

			if (k == PC_TRANSPORT)
				continue;
			errno = 0;
			v[k] = strtoull(tok[col[k]], &end, 10);
			if (errno || *end || end == tok[col[k]] || tok[col[k]][0] == '-') {
				why = "a field that is no number";
				goto bad;
			}
		}
		if (v[PC_INUSE] > v[PC_RXNR])
			why = "rx_in_use above rx_frame_nr: more frames in use than the ring has";
		else
			why = bad_geometry(v[PC_RXNR], v[PC_RXSZ]) ?: bad_geometry(v[PC_TXNR], v[PC_TXSZ]);
		if (!why && v[PC_TXBATCHES] > v[PC_TXFRAMES])
			why = "tx_batches above tx_frames";
		if (why)
			goto bad;
		if (seen && v[PC_QUEUE] == queue) {
			seen->lines++;
			seen->busy += v[PC_INUSE] > 0;
			if (v[PC_INUSE] > seen->max_in_use)
				seen->max_in_use = v[PC_INUSE];
		}
	}
	return NULL;
bad:
	snprintf(msg, sizeof(msg), "%s: '%s'", why, raw);
	return msg;
}

/* ---- the threads ---- */

static void ch_unmap(void)
{
	if (ch.map && munmap(ch.map, ring_bytes(&ch.rx)))
		broken("munmap of the churn's ring: %s", strerror(errno));
	ch.map = NULL;
}

static void ch_map(void)
{
	void *p;

	if (!ch.rx.nm_block_nr)
		return;
	p = mmap(NULL, ring_bytes(&ch.rx), PROT_READ | PROT_WRITE, MAP_SHARED, ch.fd, 0);
	if (p == MAP_FAILED) {
		expect_errno("mmap of the churn's ring", errno, E(ENOMEM));
		return;
	}
	ch.map = p;
}

/*
 * Version 2 for the churn's endpoint, at a moment without an RX ring (so
 * no frame can be published uncounted): both RX sequence numbers start
 * equal and stay so until a frame is, and the TX ones (no TX ring) for good.
 */
static void ch_go_v2(void)
{
	const char *bad;
	void *p;
	int ret;

	ret = ioctl(ch.fd, NFQRING_SET_VERSION, (unsigned long)NFQRING_ABI_VERSION_2);
	if (ret != NFQRING_ABI_VERSION_2)
		broken("SET_VERSION(2) (churn): %d %s", ret, ret < 0 ? strerror(errno) : "");
	p = mmap(NULL, NFQRING_CTRL_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, ch.fd,
		 NFQRING_CTRL_OFFSET);
	if (p == MAP_FAILED)
		broken("mmap of the churn's control page: %s", strerror(errno));
	ch.ctrl = p;
	bad = bad_ctrl_seq("version 2 without a ring", cload(&ch.ctrl->rx_prod),
			   cload(&ch.ctrl->rx_cons), 0, 0) ?:
	      bad_ctrl_seq("version 2 without a TX ring", cload(&ch.ctrl->tx_prod),
			   cload(&ch.ctrl->tx_cons), 0, 0);
	if (bad)
		broken("the churn's control page: %s", bad);
	if (ioctl(ch.fd, NFQRING_GET_VERSION) != NFQRING_ABI_VERSION_2)
		broken("GET_VERSION (churn) is not 2 after SET_VERSION(2)");
	__atomic_store_n(&ch.v2, 1, __ATOMIC_RELEASE);
	CNT(ch_v2);
}

/*
 * The k-th ring: 16 KiB frames (room for 9 KB) and 4 KiB one-frame blocks
 * by turns; at times three frames in one block or three blocks (no power
 * of two), or no ring.
 */
static struct nl_mmap_req ch_geometry(struct rng *r, unsigned int k)
{
	struct nl_mmap_req q = { 0 };

	switch (rnd(r, 20)) {
	case 0 ... 1:	/* none: everything goes to read() */
		return q;
	case 2:		/* three small frames in one page */
		q = (struct nl_mmap_req){ page_sz, 1, (page_sz / 3) & ~3u, 3 };
		return q;
	case 3:		/* three blocks of one 16 KiB frame */
		q = (struct nl_mmap_req){ 4 * page_sz, 3, 4 * page_sz, 3 };
		return q;
	}
	if (k % 2)
		q = (struct nl_mmap_req){ page_sz, 1, page_sz, 1 };
	else
		q = (struct nl_mmap_req){ 4 * page_sz, 1 << rnd(r, 3), 4 * page_sz, 0 },
		q.nm_frame_nr = q.nm_block_nr;
	return q;
}

static void churn_ring(struct rng *r)
{
	unsigned int k;
	int ret;

	for (k = 0; !ch_stopping(1); k++) {
		struct nl_mmap_req q = ch_geometry(r, k);

		if (ch_hushed()) {
			usleep(1000);
			continue;
		}
		pthread_rwlock_wrlock(&ch.maplock);
		ch_unmap();
		ret = ioctl(ch.fd, NFQRING_SET_RX_RING, &q);
		if (ret == 0) {
			ch.rx = q;
			ch.ring_gen++;
			CNT(ch_ring_ok);
			if (ch.v2) {
				/* equal at the set-up; a bind since may have published some */
				const char *bad = bad_ctrl_seq("churn RX set up",
							       cload(&ch.ctrl->rx_prod),
							       cload(&ch.ctrl->rx_cons), 0,
							       q.nm_frame_nr);

				if (bad)
					broken("the churn's control page: %s", bad);
			} else if (ch.v2mode == 2 && !q.nm_block_nr) {
				ch_go_v2();
			}
		} else {
			/* EBUSY: bound; the old ring stays */
			expect_errno("SET_RX_RING (churn)", errno, E(EBUSY) | E(ENOMEM));
			CNT(ch_ring_busy);
		}
		ch_map();
		pthread_rwlock_unlock(&ch.maplock);
		ch_pause(r);
	}
}

/* One CONFIG message for CH_QUEUE: a command and/or parameters. */
static size_t ch_config(struct rng *r, uint8_t *buf, size_t cap, int cmd, bool params,
			bool flags)
{
	static const uint32_t range[] = { 0, 24, 40, 64, 300, 1500, 4000, 9000, 0xffff };
	struct mb b = { .buf = buf, .cap = cap };
	struct nlmsghdr *nlh = mb_start(&b, NFQNL_MSG_CONFIG, NLM_F_REQUEST, CH_QUEUE);

	if (cmd >= 0) {
		struct nfqnl_msg_config_cmd c = { .command = cmd, .pf = htons(AF_INET) };

		mb_attr(&b, NFQA_CFG_CMD, &c, sizeof(c));
	}
	if (params) {
		struct nfqnl_msg_config_params pa = { .copy_mode = NFQNL_COPY_PACKET };

		switch (rnd(r, 30)) {
		case 0:	pa.copy_mode = NFQNL_COPY_NONE; break;
		case 1 ... 3: pa.copy_mode = NFQNL_COPY_META; break;
		}
		pa.copy_range = htonl(range[rnd(r, sizeof(range) / sizeof(range[0]))]);
		mb_attr(&b, NFQA_CFG_PARAMS, &pa, sizeof(pa));
	}
	/* Never FAIL_OPEN: it accepts packets nobody read, on purpose. */
	if (flags) {
		mb_u32(&b, NFQA_CFG_FLAGS, chance(r, 40) ? NFQA_CFG_F_GSO : 0);
		mb_u32(&b, NFQA_CFG_MASK, NFQA_CFG_F_GSO);
	}
	mb_end(&b, nlh);
	return b.len;
}

static void ch_write(const uint8_t *buf, size_t len, const char *what, errset allowed)
{
	ssize_t ret = write(ch.fd, buf, len);

	if (ret < 0)
		expect_errno(what, errno, allowed);
	else if ((size_t)ret != len)
		broken("%s: write of %zu bytes returned %zd", what, len, ret);
}

/*
 * BIND or UNBIND by the CONFIG message in @buf.  Holds bindlock, and makes
 * cfgseq odd while the binding may change, so that the racing sender can
 * tell afterwards whether it did (a sequence lock).
 */
static void ch_rebind(const uint8_t *buf, size_t len, bool bind)
{
	ssize_t ret;

	pthread_rwlock_wrlock(&ch.bindlock);
	__atomic_add_fetch(&ch.cfgseq, 1, __ATOMIC_SEQ_CST);
	ret = write(ch.fd, buf, len);
	if (ret == (ssize_t)len) {
		if (bind)
			__atomic_store_n(&ch.gen, ch.gen + 1, __ATOMIC_RELAXED);
		__atomic_store_n(&ch.bound, bind, __ATOMIC_RELAXED);
	} else if (ret >= 0) {
		broken("%s: write of %zu bytes returned %zd", bind ? "BIND" : "UNBIND", len, ret);
	} else {
		expect_errno(bind ? "BIND (churn)" : "UNBIND (churn)", errno, E(ENOMEM));
	}
	__atomic_add_fetch(&ch.cfgseq, 1, __ATOMIC_SEQ_CST);
	pthread_rwlock_unlock(&ch.bindlock);
}

static void churn_bind(struct rng *r)
{
	uint8_t buf[256];
	size_t len;

	while (!ch_stopping(1)) {
		if (ch_hushed()) {
			usleep(1000);
			continue;
		}
		len = ch_config(r, buf, sizeof(buf), NFQNL_CFG_CMD_BIND, true, chance(r, 50));
		ch_rebind(buf, len, true);
		CNT(ch_binds);
		ch_pause(r);
		if (chance(r, 20))	/* long enough for many packets */
			usleep(5000 + rnd(r, 25000));
		while (ch_hushed())
			usleep(1000);
		if (!ch.bound)
			continue;
		len = ch_config(r, buf, sizeof(buf), NFQNL_CFG_CMD_UNBIND, false, false);
		ch_rebind(buf, len, false);
		ch_pause(r);
	}
}

/* Copy ranges and modes change under the traffic, bound or not. */
static void churn_copy(struct rng *r)
{
	uint8_t buf[256];
	size_t len;

	while (!ch_stopping(1)) {
		if (ch_hushed()) {
			usleep(1000);
			continue;
		}
		len = ch_config(r, buf, sizeof(buf), -1, true, false);
		ch_write(buf, len, "PARAMS (churn)", E(ENODEV) | E(ENOMEM));
		CNT(ch_params);
		ch_pause(r);
		ch_pause(r);
	}
}

/* The tag of packet @seq at every segment start of @buf. */
static void ch_tag_payload(uint8_t *buf, size_t len, size_t seg, uint32_t seq)
{
	uint32_t inv = ~seq;
	size_t off;

	for (off = 0; off + 8 <= len; off += seg) {
		memcpy(buf + off, &seq, 4);
		memcpy(buf + off + 4, &inv, 4);
	}
}

/*
 * UDP to CH_PORT.  @certain: holding bindlock, so that the binding of each
 * packet is known (the enqueue runs in sendmsg() on LOCAL_OUT).
 */
static void churn_send(struct rng *r, bool certain)
{
	struct sockaddr_in a4 = { .sin_family = AF_INET, .sin_port = htons(CH_PORT),
				  .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	struct sockaddr_in6 a6 = { .sin6_family = AF_INET6, .sin6_port = htons(CH_PORT),
				   .sin6_addr = IN6ADDR_LOOPBACK_INIT };
	int s4 = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	int s6 = socket(AF_INET6, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	int big = 16 << 20;
	uint8_t *buf = malloc(16384);

	if (s4 < 0 || s6 < 0 || !buf)
		broken("churn sender: socket/malloc: %s", strerror(errno));
	setsockopt(s4, SOL_SOCKET, SO_SNDBUFFORCE, &big, sizeof(big));
	setsockopt(s6, SOL_SOCKET, SO_SNDBUFFORCE, &big, sizeof(big));
	memset(buf, 'c', 16384);
	while (!ch_stopping(1)) {
		unsigned int k, n = 1 + rnd(r, 16);

		for (k = 0; k < n; k++) {
			uint32_t seq = __atomic_fetch_add(&ch.next_seq, 1, __ATOMIC_RELAXED);
			unsigned int kind = rnd(r, 100), nseg = 1;
			bool v6 = chance(r, 25);
			int s = v6 ? s6 : s4;
			size_t len, gso = 0;
			uint32_t tag, cfg = 1, stable = 0;

			if (seq >= CH_SEQS)
				goto out;
			if (!certain)	/* the racer: mostly 9 KB */
				kind = kind < 20 ? 0 : kind < 85 ? 70 : 95;
			if (kind < 45) {
				len = 64 + rnd(r, 537);
			} else if (kind < 60) {
				len = 600 + rnd(r, 901);
			} else if (kind < 85) {
				len = 8900 + rnd(r, 101);
			} else {	/* GSO: 2-8 segments, the last one at least 8 bytes */
				gso = 150 + rnd(r, 1250);
				nseg = 2 + rnd(r, 7);
				len = gso * (nseg - 1) + 8 + rnd(r, gso - 7);
			}
			ch_tag_payload(buf, len, gso ? gso : len, seq);
			if (certain)
				pthread_rwlock_rdlock(&ch.bindlock);
			/* unbound: now and then one, which must be dropped */
			if (certain && !ch.bound && !chance(r, 10)) {
				pthread_rwlock_unlock(&ch.bindlock);
				continue;
			}
			tag = TAG_SENT | nseg << 3;
			if (certain)
				tag |= TAG_CERTAIN | (ch.bound ? TAG_BOUND | ch.gen << 9 : 0);
			__atomic_store_n(&ch.tag[seq], tag, __ATOMIC_RELEASE);
			if (!certain) {	/* the binding as it was, if it stayed */
				cfg = __atomic_load_n(&ch.cfgseq, __ATOMIC_SEQ_CST);
				stable = TAG_SENT | nseg << 3 | TAG_CERTAIN;
				if (__atomic_load_n(&ch.bound, __ATOMIC_RELAXED))
					stable |= TAG_BOUND |
						  __atomic_load_n(&ch.gen, __ATOMIC_RELAXED) << 9;
			}
			if (setsockopt(s, SOL_SOCKET, SO_MARK, &seq, sizeof(seq)))
				broken("SO_MARK: %s", strerror(errno));
			if (gso) {
				char cbuf[CMSG_SPACE(sizeof(uint16_t))] = { 0 };
				struct iovec iov = { buf, len };
				struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1,
						     .msg_control = cbuf,
						     .msg_controllen = sizeof(cbuf) };
				struct cmsghdr *c = CMSG_FIRSTHDR(&mh);
				uint16_t g = gso;

				mh.msg_name = v6 ? (void *)&a6 : (void *)&a4;
				mh.msg_namelen = v6 ? sizeof(a6) : sizeof(a4);
				c->cmsg_level = SOL_UDP;
				c->cmsg_type = UDP_SEGMENT;
				c->cmsg_len = CMSG_LEN(sizeof(g));
				memcpy(CMSG_DATA(c), &g, sizeof(g));
				sendmsg(s, &mh, MSG_DONTWAIT);
			} else {
				sendto(s, buf, len, MSG_DONTWAIT,
				       v6 ? (void *)&a6 : (void *)&a4, v6 ? sizeof(a6) : sizeof(a4));
			}
			if (certain) {
				pthread_rwlock_unlock(&ch.bindlock);
				CNT(ch_sent);
				continue;
			}
			/* No change began or ended meanwhile: now it is known. */
			if (!(cfg & 1) && __atomic_load_n(&ch.cfgseq, __ATOMIC_SEQ_CST) == cfg)
				__atomic_store_n(&ch.tag[seq], stable, __ATOMIC_RELEASE);
			CNT(ch_raced);
		}
		/* a burst at a time, so that the ops keep most of the machine */
		usleep(200 + rnd(r, 800));
		ch_pause(r);
	}
out:
	close(s4);
	close(s6);
	free(buf);
}

/* What the consumer did last, shown when a packet was released unread. */
struct ch_event {
	char		what;	/* R frame, B read(), b batch, v verdict, N new ring */
	uint32_t	seq, id, gen;
};

#define CH_HISTORY	24

/* The consumer's state. */
struct ch_reader {
	struct ch_event	hist[CH_HISTORY];
	unsigned int	nhist;
	unsigned int	ring_gen;
	uint32_t	pos;
	struct ch_order	ring, backlog;
	bool		batch;		/* a VALID frame of a known binding read: */
	uint32_t	batch_id, batch_gen;	/* the last one */
	unsigned int	nv;		/* read() messages of a known binding */
	uint32_t	vid[64], vgen[64];
	uint8_t		*buf;
};

static void ch_event(struct ch_reader *rd, char what, uint32_t seq, uint32_t id, uint32_t gen)
{
	rd->hist[rd->nhist++ % CH_HISTORY] = (struct ch_event){ what, seq, id, gen };
}

static void ch_history(const struct ch_reader *rd)
{
	char line[CH_HISTORY * 40];
	unsigned int i, n = 0;

	for (i = rd->nhist > CH_HISTORY ? rd->nhist - CH_HISTORY : 0; i < rd->nhist; i++) {
		const struct ch_event *e = &rd->hist[i % CH_HISTORY];

		n += snprintf(line + n, sizeof(line) - n, " %c:%u/%u@%u", e->what, e->seq,
			      e->id, e->gen);
	}
	dprintf(STDOUT_FILENO,
		"abi_fuzz: the churn's consumer, last (R frame, B read(), b batch, v verdict, N new ring; packet/id@binding, binding 0 unknown; now binding %u, %s):%s\n",
		ch.gen, ch.bound ? "bound" : "unbound", n ? line : " nothing");
}

/* One message read, from a frame or from read(): counted, its order checked. */
static void ch_took(struct ch_reader *rd, const struct ch_msg *m, bool ring, const char *where)
{
	uint32_t t = __atomic_load_n(&ch.tag[m->seq], __ATOMIC_ACQUIRE);
	const char *bad;

	ch_event(rd, ring ? 'R' : 'B', m->seq, m->id, t & TAG_CERTAIN ? TAG_GEN(t) : 0);
	if (!(t & TAG_SENT) || m->seq >= __atomic_load_n(&ch.next_seq, __ATOMIC_RELAXED))
		broken("%s: mark %u, a sequence number not sent yet", where, m->seq);
	__atomic_add_fetch(&ch.reads[m->seq], m->gso ? TAG_NSEG(t) : 1, __ATOMIC_RELEASE);
	if (!(t & TAG_CERTAIN))
		return;
	if (!(t & TAG_BOUND))
		broken("%s: packet %u (id %u) was sent while its queue was unbound, yet it was queued",
		       where, m->seq, m->id);
	bad = bad_order(ring ? &rd->ring : &rd->backlog, TAG_GEN(t), m->id);
	if (bad)
		broken("%s: packet %u: %s", where, m->seq, bad);
	if (ring) {
		rd->batch = true;
		rd->batch_id = m->id;
		rd->batch_gen = TAG_GEN(t);
	} else if (rd->nv < 64) {
		rd->vid[rd->nv] = m->id;
		rd->vgen[rd->nv++] = TAG_GEN(t);
	}
}

/* Reads the ring from the reader's position while frames are ready. */
static bool ch_read_ring(struct ch_reader *rd)
{
	bool progress = false;
	uint32_t n, st;

	pthread_rwlock_rdlock(&ch.maplock);
	if (rd->ring_gen != ch.ring_gen) {
		rd->ring_gen = ch.ring_gen;
		rd->pos = 0;	/* a new ring starts at frame 0 */
		ch_event(rd, 'N', 0, ch.rx.nm_frame_nr, ch.rx.nm_frame_size);
	}
	if (ch.v2) {
		/*
		 * rx_cons counts what we took; rx_prod what was published, each
		 * after its status: we may be ahead by frames being published,
		 * behind by frames ready, never by more than the ring.
		 */
		const char *bad = bad_ctrl_seq("churn consumer", cload(&ch.ctrl->rx_prod),
					       cload(&ch.ctrl->rx_cons),
					       -(int64_t)ch.rx.nm_frame_nr, ch.rx.nm_frame_nr);

		if (bad)
			broken("the churn's control page (ring of %u): %s", ch.rx.nm_frame_nr, bad);
	}
	for (n = 0; ch.map && n < ch.rx.nm_frame_nr; n++) {
		struct nl_mmap_hdr *h = frame_at(ch.map, &ch.rx, rd->pos);
		struct ch_msg m;
		const char *bad;
		char where[96];

		st = status_load(h);
		if (st == NFQRING_STATUS_UNUSED) {
			bad = bad_ring_order(ch.map, &ch.rx, rd->pos);
			if (bad)
				broken("churn ring of %u x %u: %s", ch.rx.nm_frame_nr,
				       ch.rx.nm_frame_size, bad);
			break;
		}
		if (st == NFQRING_STATUS_RESERVED)
			break;
		snprintf(where, sizeof(where), "churn RX frame %u of %u x %u", rd->pos,
			 ch.rx.nm_frame_nr, ch.rx.nm_frame_size);
		bad = bad_churn_frame(h, ch.rx.nm_frame_size, st, &m);
		if (bad)
			broken("%s (nm_len %u): %s", where, h->nm_len, bad);
		if (st == NFQRING_STATUS_VALID) {
			ch_took(rd, &m, true, where);
			CNT(ch_valid);
		} else {
			CNT(ch_copy);
		}
		status_store(h, NFQRING_STATUS_UNUSED);
		if (ch.v2)
			cstore(&ch.ctrl->rx_cons, cload(&ch.ctrl->rx_cons) + 1);
		rd->pos = (rd->pos + 1) % ch.rx.nm_frame_nr;
		progress = true;
	}
	pthread_rwlock_unlock(&ch.maplock);
	return progress;
}

/* read() up to @max messages; true when one came. */
static bool ch_read_backlog(struct ch_reader *rd, unsigned int max)
{
	bool progress = false;
	unsigned int k;

	for (k = 0; k < max; k++) {
		ssize_t ret = read(ch.fd, rd->buf, BUFSZ);
		struct ch_msg m;
		const char *bad;

		if (ret < 0) {
			if (errno == EAGAIN)
				break;
			expect_errno("read (churn)", errno, E(ENOBUFS));
			CNT(ch_overruns);
			continue;
		}
		bad = bad_churn_msg(rd->buf, ret, &m);
		if (bad)
			broken("churn read() of %zd bytes: %s", ret, bad);
		ch_took(rd, &m, false, "churn read()");
		CNT(ch_backlog);
		progress = true;
	}
	return progress;
}

static void ch_verdict(uint8_t type, uint32_t id, uint32_t verdict)
{
	struct nfqnl_msg_verdict_hdr vh = { .verdict = htonl(verdict), .id = htonl(id) };
	uint8_t buf[64];
	struct mb b = { .buf = buf, .cap = sizeof(buf) };
	struct nlmsghdr *nlh = mb_start(&b, type, NLM_F_REQUEST, CH_QUEUE);

	mb_attr(&b, NFQA_VERDICT_HDR, &vh, sizeof(vh));
	mb_end(&b, nlh);
	/* ENOENT: flushed meanwhile (a hook went), or released by a batch */
	ch_write(buf, b.len, type == NFQNL_MSG_VERDICT ? "VERDICT (churn)" :
		 "VERDICT_BATCH (churn)", E(ENOENT) | E(ENOMEM));
}

/*
 * Verdicts only for packets of the binding bound now (bindlock keeps it):
 * a batch up to the last VALID frame read releases what was read before
 * it in ring order (or waits unseen in read()), a single verdict exactly
 * its packet.
 */
static void ch_verdicts(struct rng *r, struct ch_reader *rd)
{
	uint32_t v = chance(r, 90) ? NF_ACCEPT : NF_DROP;
	unsigned int i;

	pthread_rwlock_rdlock(&ch.bindlock);
	if (ch.bound && rd->batch && rd->batch_gen == ch.gen) {
		ch_verdict(NFQNL_MSG_VERDICT_BATCH, rd->batch_id, v);
		ch_event(rd, 'b', 0, rd->batch_id, ch.gen);
		CNT(ch_batches);
	}
	for (i = 0; ch.bound && i < rd->nv; i++)
		if (rd->vgen[i] == ch.gen) {
			ch_verdict(NFQNL_MSG_VERDICT, rd->vid[i], v);
			ch_event(rd, 'v', 0, rd->vid[i], ch.gen);
			CNT(ch_verdicts);
		}
	pthread_rwlock_unlock(&ch.bindlock);
	rd->batch = false;
	rd->nv = 0;
}

/*
 * NULL when @unread packets delivered without their message being read can
 * all have been given NF_ACCEPT by the stall watchdog: it accepted (at times,
 * @accept_ever) and gave at least that many stall verdicts.
 */
static const char *bad_unread(uint32_t unread, bool accept_ever, uint64_t stall_verdicts)
{
	static __thread char msg[200];

	if (accept_ever && unread <= stall_verdicts)
		return NULL;
	snprintf(msg, sizeof(msg),
		 "%u packets reached the receiver unread, and the stall watchdog %s %llu stall verdicts",
		 unread, accept_ever ? "gave only" : "never accepted; it gave",
		 (unsigned long long)stall_verdicts);
	return msg;
}

/* The watchdog's count may follow its verdicts by a moment: look again. */
static const char *ch_unread_explained(void)
{
	struct nfqring_wake_stats st;
	const char *bad = NULL;
	int k;

	for (k = 0; k < 200; k++) {	/* a second, for a vCPU the host put aside */
		if (ioctl(ch.fd, NFQRING_GET_WAKE_STATS, &st))
			broken("GET_WAKE_STATS (churn): %s", strerror(errno));
		bad = bad_unread(ch.nunread, true, st.stall_verdicts);
		if (!bad)
			break;
		usleep(5000);
	}
	return bad;
}

/*
 * What reached the receiver was read: at most as often; or the stall
 * watchdog accepted it (each such packet counted once, in all its segments).
 */
static bool ch_receive(struct ch_reader *rd)
{
	bool progress = false;

	for (;;) {
		ssize_t n = recv(ch.rcv, rd->buf, BUFSZ, MSG_DONTWAIT);
		uint32_t seq, inv, t, reads;
		const char *bad;

		if (n < 0) {
			if (errno != EAGAIN)
				broken("recv (churn receiver): %s", strerror(errno));
			return progress;
		}
		memcpy(&seq, rd->buf, 4);
		memcpy(&inv, rd->buf + 4, 4);
		if (n < 8 || inv != ~seq || !seq || seq >= CH_SEQS)
			broken("a datagram of %zd bytes without the churn's tag reached its receiver", n);
		t = __atomic_load_n(&ch.tag[seq], __ATOMIC_ACQUIRE);
		reads = __atomic_load_n(&ch.reads[seq], __ATOMIC_ACQUIRE);
		++ch.deliv[seq];
		if (ch.deliv[seq] > reads && !ch.unread[seq] &&
		    __atomic_load_n(&ch.accept_ever, __ATOMIC_ACQUIRE)) {
			ch.unread[seq] = 1;
			ch.nunread++;
			CNT(ch_unread);
			ch_event(rd, 'S', seq, 0, 0);
			bad = ch_unread_explained();
		} else {
			bad = bad_delivery(seq, ch.deliv[seq],
					   reads + (ch.unread[seq] ? TAG_NSEG(t) : 0), t);
		}
		if (bad) {
			ch_history(rd);
			broken("%s", bad);
		}
		CNT(ch_delivered);
		progress = true;
	}
}

/*
 * The consumer's half of the protocol that loses no wake-up: NEED_WAKEUP, a
 * full barrier, the next frame's status again.  True when it is ready.
 */
static bool ch_ask_wakeup(struct ch_reader *rd)
{
	bool ready = false;

	pthread_rwlock_rdlock(&ch.maplock);
	__atomic_fetch_or(&ch.ctrl->flags, NFQRING_CTRL_NEED_WAKEUP, __ATOMIC_SEQ_CST);
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	if (ch.map && rd->ring_gen == ch.ring_gen) {
		uint32_t st = status_load(frame_at(ch.map, &ch.rx, rd->pos));

		ready = st == NFQRING_STATUS_VALID || st == NFQRING_STATUS_COPY;
	}
	pthread_rwlock_unlock(&ch.maplock);
	return ready;
}

static void churn_consume(struct rng *r)
{
	struct ch_reader rd = { .buf = malloc(BUFSZ) };
	unsigned int lag = 0, spin = 0;
	short ok = POLLIN | POLLRDNORM | POLLERR;

	if (!rd.buf)
		broken("malloc");
	while (!ch_stopping(2)) {
		bool progress;

		if (ch_hushed()) {	/* a consumer that hangs: the watchdog's turn */
			ch_receive(&rd);
			usleep(500);
			continue;
		}
		progress = ch_read_ring(&rd);

		/* at times late, so that messages of old bindings wait */
		if (lag)
			lag--;
		else if (ch_read_backlog(&rd, 1 + rnd(r, chance(r, 50) ? 2 : 32)))
			progress = true;
		if (!lag && chance(r, 2))
			lag = rnd(r, 300);
		if (rd.batch || rd.nv)
			ch_verdicts(r, &rd);
		if (ch_receive(&rd))
			progress = true;
		/* at times a consumer that never polls: it spins, or naps */
		if (chance(r, 1))
			spin = rnd(r, 3);
		if (!progress && spin) {
			if (spin == 1)
				sched_yield();
			else
				usleep(rnd(r, 400));
		} else if (!progress) {	/* poll() only when nothing is ready */
			struct pollfd p[2] = { { .fd = ch.fd, .events = POLLIN },
					       { .fd = ch.rcv, .events = POLLIN } };

			/* version 2: ask to be woken, then look once more */
			if (ch_is_v2() && ch_ask_wakeup(&rd))
				continue;

			if (poll(p, 2, 1 + rnd(r, 2)) < 0)
				broken("poll (churn): %s", strerror(errno));
			if (p[0].revents & ~ok)
				broken("poll of the churn's endpoint: revents 0x%x", p[0].revents);
		}
	}
	free(rd.buf);
}

static void churn_probe(struct rng *r)
{
	static char text[32768];
	struct proc_seen seen = { 0 };
	struct nfqring_stats st;
	const char *bad;

	while (!ch_stopping(1)) {
		FILE *f = fopen("/proc/net/netfilter/nfqring", "r");
		size_t n;

		if (!f)
			broken("/proc/net/netfilter/nfqring: %s", strerror(errno));
		n = fread(text, 1, sizeof(text) - 1, f);
		fclose(f);
		text[n] = 0;
		bad = bad_proc_text(text, CH_QUEUE, &seen);
		if (bad)
			broken("/proc/net/netfilter/nfqring: %s", bad);
		CNT(ch_proc);
		if (chance(r, 30)) {
			if (ioctl(ch.fd, NFQRING_GET_STATS, &st))
				broken("GET_STATS (churn): %s", strerror(errno));
			bad = bad_stats(&st);
			if (!bad && st.queues > 1)
				bad = "more than one queue bound through the churn's endpoint";
			if (bad)
				broken("GET_STATS (churn): %s", bad);
		}
		if (ch_is_v2() && chance(r, 10)) {	/* moderation changes under traffic */
			struct nfqring_wake req, got;
			uint32_t frames;

			pthread_rwlock_rdlock(&ch.maplock);
			frames = ch.rx.nm_block_nr ? ch.rx.nm_frame_nr : NFQRING_MAX_FRAMES;
			req = gen_wake(r, frames);
			got = req;
			if (ioctl(ch.fd, NFQRING_SET_WAKE, &got))
				broken("SET_WAKE (churn): %s", strerror(errno));
			pthread_rwlock_unlock(&ch.maplock);
			bad = bad_wake_clamp(&req, &got, frames);
			if (bad)
				broken("SET_WAKE (churn): %s", bad);
			CNT(ch_wake_sets);
		}
		if (ch_is_v2() && chance(r, 20)) {
			struct nfqring_wake_stats ws;

			if (ioctl(ch.fd, NFQRING_GET_WAKE_STATS, &ws))
				broken("GET_WAKE_STATS (churn): %s", strerror(errno));
			/* asked after the figures: the flag is set before a watchdog runs */
			bad = bad_wake_stats(ch.have_ws_probe ? &ch.ws_probe : NULL, &ws,
					     __atomic_load_n(&ch.stall_ever, __ATOMIC_ACQUIRE), false);
			if (bad)
				broken("GET_WAKE_STATS (churn): %s", bad);
			ch.ws_probe = ws;
			ch.have_ws_probe = true;
		}
		if (chance(r, 30)) {
			struct pollfd p = { .fd = ch.fd, .events = POLLIN | POLLOUT };
			short ok = POLLIN | POLLRDNORM | POLLOUT | POLLWRNORM | POLLERR;

			if (poll(&p, 1, 0) < 0 || (p.revents & ~ok))
				broken("poll (churn probe): %d, revents 0x%x", errno, p.revents);
		}
		ch_pause(r);
		if (chance(r, 30))	/* at times long enough for the ring to lap */
			usleep(2000 + rnd(r, 20000));
	}
	__atomic_add_fetch(&cnt->ch_lines, seen.lines, __ATOMIC_RELAXED);
	__atomic_add_fetch(&cnt->ch_busy_lines, seen.busy, __ATOMIC_RELAXED);
	if (seen.max_in_use > cnt->ch_max_in_use)
		cnt->ch_max_in_use = seen.max_in_use;
}

/* Sleeps @ms in small steps, less when the churn stops. */
static void ch_nap(unsigned int ms)
{
	uint64_t end = now_ns() + ms * 1000000ULL;

	while (!ch_stopping(1) && now_ns() < end)
		usleep(2000);
}

/*
 * The stall watchdog against the churn: switched on with a short stall_ms
 * (NF_DROP, or by turns NF_ACCEPT: the round's ch_stall), then consumer,
 * binder, copy and ring threads sit still ("hushed") for longer than that
 * while the senders go on, so that it fires; at times switched off again.
 * The consumer's checks then allow what the watchdog accepted: packets
 * delivered unread, at most as many as its stall verdicts.
 */
static void churn_stall(struct rng *r)
{
	struct nfqring_wake_stats ws;
	const char *bad;

	while (!ch_stopping(1)) {
		struct nfqring_stall sv = { NFQRING_STALL_MIN_MS + rnd(r, 31), NF_DROP };
		unsigned int hush;

		ch_nap(20 + rnd(r, 250));
		if (!ch.stallmode || !ch_is_v2() || ch_stopping(1))
			continue;
		if (ch.stallmode == 2 && chance(r, 50)) {
			sv.verdict = NF_ACCEPT;
			__atomic_store_n(&ch.accept_ever, 1, __ATOMIC_RELEASE);
		}
		__atomic_store_n(&ch.stall_ever, 1, __ATOMIC_RELEASE);
		if (ioctl(ch.fd, NFQRING_SET_STALL, &sv))
			broken("SET_STALL(%u ms, %s) (churn): %s", sv.stall_ms,
			       sv.verdict == NF_ACCEPT ? "accept" : "drop", strerror(errno));
		hush = 2 * sv.stall_ms + rnd(r, 100);
		__atomic_store_n(&ch.hush_until, now_ns() + hush * 1000000ULL, __ATOMIC_RELEASE);
		CNT(ch_hushes);
		ch_nap(hush);
		__atomic_store_n(&ch.hush_until, 0, __ATOMIC_RELEASE);
		if (ioctl(ch.fd, NFQRING_GET_WAKE_STATS, &ws))
			broken("GET_WAKE_STATS (churn): %s", strerror(errno));
		bad = bad_wake_stats(ch.have_ws_stall ? &ch.ws_stall : NULL, &ws, true, false);
		if (bad)
			broken("GET_WAKE_STATS (churn, after a hush): %s", bad);
		ch.ws_stall = ws;
		ch.have_ws_stall = true;
		if (chance(r, 30)) {
			sv.stall_ms = 0;
			if (ioctl(ch.fd, NFQRING_SET_STALL, &sv))
				broken("SET_STALL(off) (churn): %s", strerror(errno));
		}
	}
}

struct ch_thread {
	int		kind;
	uint64_t	seed;
};

static void *churn_main(void *arg)
{
	struct ch_thread *ct = arg;
	struct rng r = { ct->seed };

	cur_thread = 100 + ct->kind;
	cur_name = churn_names[ct->kind];
	switch (ct->kind) {
	case CT_RING:	 churn_ring(&r); break;
	case CT_BIND:	 churn_bind(&r); break;
	case CT_COPY:	 churn_copy(&r); break;
	case CT_SEND:	 churn_send(&r, true); break;
	case CT_RACE:	 churn_send(&r, false); break;
	case CT_CONSUME: churn_consume(&r); break;
	case CT_PROBE:	 churn_probe(&r); break;
	case CT_STALL:	 churn_stall(&r); break;
	}
	free(ct);
	return NULL;
}

static void churn_start(const struct program *p)
{
	struct sockaddr_in6 a = { .sin6_family = AF_INET6, .sin6_port = htons(CH_PORT),
				  .sin6_addr = IN6ADDR_ANY_INIT };
	pthread_rwlockattr_t wa;
	int fd, off = 0, big = 8 << 20, k;

	ch.tag = calloc(CH_SEQS, sizeof(*ch.tag));
	ch.reads = calloc(CH_SEQS, sizeof(*ch.reads));
	ch.deliv = calloc(CH_SEQS, sizeof(*ch.deliv));
	ch.unread = calloc(CH_SEQS, 1);
	if (!ch.tag || !ch.reads || !ch.deliv || !ch.unread)
		broken("calloc");
	ch.v2mode = p->ch_v2;
	ch.stallmode = p->ch_stall;
	ch.next_seq = 1;	/* a mark of 0 is no mark */
	pthread_rwlockattr_init(&wa);
	/* the binder and the ring thread must get their turns */
	pthread_rwlockattr_setkind_np(&wa, PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP);
	pthread_rwlock_init(&ch.maplock, &wa);
	pthread_rwlock_init(&ch.bindlock, &wa);
	fd = open(NFQRING_DEVICE, O_RDWR | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0 || dup3(fd, CH_FD, O_CLOEXEC) < 0)
		broken("the churn's endpoint: %s", strerror(errno));
	close(fd);
	ch.fd = CH_FD;
	if (ch.v2mode == 1)	/* before any ring */
		ch_go_v2();
	ch.rcv = socket(AF_INET6, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (ch.rcv < 0 ||
	    setsockopt(ch.rcv, IPPROTO_IPV6, IPV6_V6ONLY, &off, sizeof(off)) ||
	    setsockopt(ch.rcv, SOL_SOCKET, SO_RCVBUFFORCE, &big, sizeof(big)) ||
	    bind(ch.rcv, (void *)&a, sizeof(a)))
		broken("the churn's receiver: %s", strerror(errno));
	for (k = 0; k < CT_NR; k++) {
		struct ch_thread *ct = malloc(sizeof(*ct));

		if (!ct)
			broken("malloc");
		ct->kind = k;
		ct->seed = p->churn_seed[k];
		if (pthread_create(&ch.tid[k], NULL, churn_main, ct))
			broken("pthread_create");
	}
}

/*
 * Traffic has stopped: rx_prod - rx_cons counts exactly the frames still
 * ready; the wake-up figures add up; what the watchdog did is counted for
 * the round's check against /proc/net/netfilter/nfqring_stats.
 */
static void churn_v2_end(void)
{
	struct nfqring_wake_stats ws;
	uint32_t i, ready = 0;
	const char *bad;

	if (ch.map || !ch.rx.nm_block_nr) {
		for (i = 0; ch.map && i < ch.rx.nm_frame_nr; i++) {
			uint32_t st = status_load(frame_at(ch.map, &ch.rx, i));

			ready += st == NFQRING_STATUS_VALID || st == NFQRING_STATUS_COPY;
		}
		bad = bad_ctrl_seq("traffic stopped, frames still ready counted",
				   cload(&ch.ctrl->rx_prod), cload(&ch.ctrl->rx_cons), ready, ready);
		if (bad)
			broken("the churn's control page (ring of %u): %s", ch.rx.nm_frame_nr, bad);
	}
	bad = final_wake_stats(ch.fd, ch.have_ws_probe ? &ch.ws_probe : NULL, ch.stall_ever,
			       true, &ws);
	if (bad)
		broken("GET_WAKE_STATS (churn, at its end): %s", bad);
	/* what the watchdog accepted covers what was delivered unread */
	if (ch.nunread && (bad = bad_unread(ch.nunread, ch.accept_ever, ws.stall_verdicts)))
		broken("the churn's receiver: %s", bad);
	printf("abi_fuzz:   churn version 2 (mode %d, watchdog %d): %llu wake-ups, %llu stalls, %llu stall verdicts, %u packets delivered unread\n",
		       ch.v2mode, ch.stallmode, (unsigned long long)ws.wakeups,
		       (unsigned long long)ws.stalls, (unsigned long long)ws.stall_verdicts,
		       ch.nunread);
	__atomic_add_fetch(&cnt->stall_harvest, ws.stall_verdicts, __ATOMIC_RELAXED);
	__atomic_add_fetch(&cnt->ch_stall_verdicts, ws.stall_verdicts, __ATOMIC_RELAXED);
	__atomic_add_fetch(&cnt->ch_stalls, ws.stalls, __ATOMIC_RELAXED);
	munmap(ch.ctrl, NFQRING_CTRL_SIZE);
	ch.ctrl = NULL;
}

/* Stops the churn once the ops are done; a last look at its ring. */
static void churn_stop(void)
{
	uint32_t i;
	int k;

	__atomic_store_n(&ch.stop, 1, __ATOMIC_RELEASE);
	for (k = 0; k < CT_NR; k++)
		if (k != CT_CONSUME)
			pthread_join(ch.tid[k], NULL);
	__atomic_store_n(&ch.hush_until, 0, __ATOMIC_RELEASE);
	usleep(100000);		/* the consumer takes what is left */
	__atomic_store_n(&ch.stop, 2, __ATOMIC_RELEASE);
	pthread_join(ch.tid[CT_CONSUME], NULL);
	cur_name = "churn-end";
	for (i = 0; ch.map && i < ch.rx.nm_frame_nr; i++)
		if (status_load(frame_at(ch.map, &ch.rx, i)) == NFQRING_STATUS_RESERVED)
			broken("churn RX frame %u is still RESERVED after the traffic stopped", i);
	if (ch.v2)
		churn_v2_end();
	ch_unmap();
	close(ch.fd);
	close(ch.rcv);
	cur_name = NULL;
}

/* ---------- /proc/net/netfilter/nfqring_stats: every packet accounted for ---------- */

enum { NS_QUEUED, NS_VERDICTS, NS_FLUSHED, NS_UNDELIVERED, NS_STALL_FLUSHED,
       NS_STALL_REFUSED, NS_IN_FLIGHT, NS_NR };
static const char *const ns_names[NS_NR] = {
	"queued", "verdicts", "flushed", "undelivered", "stall_flushed", "stall_refused",
	"in_flight",
};

struct nstats {
	long long	v[NS_NR];
};

/* True when @text ("name value" lines) names every figure we need. */
static bool parse_nstats(const char *text, struct nstats *ns)
{
	unsigned int seen = 0, k;
	const char *p = text;

	while (*p) {
		char name[64];
		long long v;

		if (sscanf(p, "%63s %lld", name, &v) == 2)
			for (k = 0; k < NS_NR; k++)
				if (!strcmp(name, ns_names[k])) {
					ns->v[k] = v;
					seen |= 1u << k;
				}
		p += strcspn(p, "\n");
		p += *p == '\n';
	}
	return seen == (1u << NS_NR) - 1;
}

static bool read_nstats(struct nstats *ns)
{
	char text[4096];
	FILE *f = fopen("/proc/net/netfilter/nfqring_stats", "r");
	size_t n;

	if (!f)
		return false;
	n = fread(text, 1, sizeof(text) - 1, f);
	fclose(f);
	text[n] = 0;
	return parse_nstats(text, ns);
}

/*
 * NULL when a round's figures add up, after it, once no queue is left:
 * nothing in flight (every packet queued left by one counted way), no
 * counter went back, and the stall verdicts the module counted
 * (stall_flushed + stall_refused) are those its endpoints reported in
 * GET_WAKE_STATS (@harvest) before they closed.
 */
static const char *bad_round_stats(const struct nstats *b, const struct nstats *a,
				   uint64_t harvest)
{
	static __thread char msg[400];
	long long stall = a->v[NS_STALL_FLUSHED] + a->v[NS_STALL_REFUSED] -
			  b->v[NS_STALL_FLUSHED] - b->v[NS_STALL_REFUSED];
	int k;

	for (k = 0; k < NS_IN_FLIGHT; k++)
		if (a->v[k] < b->v[k]) {
			snprintf(msg, sizeof(msg), "%s went back from %lld to %lld", ns_names[k],
				 b->v[k], a->v[k]);
			return msg;
		}
	if (a->v[NS_IN_FLIGHT])
		snprintf(msg, sizeof(msg),
			 "in_flight %lld with no queue left (queued %lld, verdicts %lld, flushed %lld, undelivered %lld, stall_flushed %lld): packets left unaccounted",
			 a->v[NS_IN_FLIGHT], a->v[NS_QUEUED], a->v[NS_VERDICTS], a->v[NS_FLUSHED],
			 a->v[NS_UNDELIVERED], a->v[NS_STALL_FLUSHED]);
	else if (stall != (long long)harvest)
		snprintf(msg, sizeof(msg),
			 "the module counted %lld stall verdicts in the round (stall_flushed %lld -> %lld, stall_refused %lld -> %lld), its endpoints' GET_WAKE_STATS %llu",
			 stall, b->v[NS_STALL_FLUSHED], a->v[NS_STALL_FLUSHED],
			 b->v[NS_STALL_REFUSED], a->v[NS_STALL_REFUSED],
			 (unsigned long long)harvest);
	else
		return NULL;
	return msg;
}

/* ---------- --check-checkers: every check of the churn fires on a forgery ---------- */

static unsigned int checks_missed;

static void expect_fire(const char *what, const char *bad, bool want)
{
	if (!bad != !want) {
		printf("abi_fuzz: self-test: %s: %s%s\n", what, want ? "DID NOT FIRE" : "fired on sound input: ",
		       want ? "" : bad);
		checks_missed++;
	} else if (bad) {
		printf("abi_fuzz: self-test: %s: fired: %s\n", what, bad);
	}
}

/* A PACKET message of CH_QUEUE as the kernel writes one; its length. */
static uint32_t forge_packet(uint8_t *buf, size_t cap, uint32_t id, uint32_t mark)
{
	struct nfqnl_msg_packet_hdr ph = { .packet_id = htonl(id), .hw_protocol = htons(0x0800),
					   .hook = NF_INET_LOCAL_OUT };
	struct mb b = { .buf = buf, .cap = cap };
	struct nlmsghdr *nlh = mb_start(&b, NFQNL_MSG_PACKET, 0, CH_QUEUE);
	uint8_t ip[28] = { 0x45 };

	((struct nfgenmsg *)NLMSG_DATA(nlh))->nfgen_family = NFPROTO_IPV4;
	mb_attr(&b, NFQA_PACKET_HDR, &ph, sizeof(ph));
	if (mark)
		mb_u32(&b, NFQA_MARK, mark);
	mb_attr(&b, NFQA_PAYLOAD, ip, sizeof(ip));
	mb_end(&b, nlh);
	return b.len;
}

/* The checks of version 2, on forged answers, pages and figures. */
static void check_checkers_v2(void)
{
	struct nfqring_wake req = { 0 }, got = {
		.wake_nr = NFQRING_WAKE_NR, .watermark = 4, .max_delay_us = NFQRING_WAKE_DELAY_US,
		.idle_us = NFQRING_WAKE_IDLE_US,
	};
	struct nfqring_wake_stats a = { .wakeups = 3, .wake_nr_hits = 1, .watermark_hits = 1,
					.timer_wakeups = 1 }, b;
	static uint8_t page[NFQRING_CTRL_SIZE];
	uint32_t want[3] = { 5, 6, 0x10 }, have[3] = { 5, 6, 0x10 };
	struct nstats s0 = { { 100, 60, 20, 0, 10, 5, 10 } }, s1;
	size_t off;

	/* SET_WAKE's clamp, for a ring of 8 frames */
	got.wake_nr = 8;
	expect_fire("wake: defaults, clamped to the ring", bad_wake_clamp(&req, &got, 8), false);
	got.wake_nr = 9;
	expect_fire("wake: wake_nr beyond the ring's frames", bad_wake_clamp(&req, &got, 8), true);
	req = (struct nfqring_wake){ .wake_nr = 1 };
	got = (struct nfqring_wake){ .wake_nr = 1, .watermark = 4, .idle_us = NFQRING_WAKE_IDLE_US };
	expect_fire("wake: wake_nr 1 and no delay", bad_wake_clamp(&req, &got, 8), false);
	req = (struct nfqring_wake){ .wake_nr = 3, .watermark = 0xffffffff,
				     .max_delay_us = NFQRING_WAKE_MAX_DELAY_US + 1 };
	got = (struct nfqring_wake){ .wake_nr = 3, .watermark = 8,
				     .max_delay_us = NFQRING_WAKE_MAX_DELAY_US,
				     .idle_us = NFQRING_WAKE_IDLE_US };
	expect_fire("wake: clamped to the ring and the longest delay",
		    bad_wake_clamp(&req, &got, 8), false);
	got.max_delay_us++;
	expect_fire("wake: max_delay_us over NFQRING_WAKE_MAX_DELAY_US",
		    bad_wake_clamp(&req, &got, 8), true);
	got = (struct nfqring_wake){ .wake_nr = 2, .watermark = 8,
				     .max_delay_us = NFQRING_WAKE_MAX_DELAY_US,
				     .idle_us = NFQRING_WAKE_IDLE_US };
	expect_fire("wake: an in-range wake_nr changed", bad_wake_clamp(&req, &got, 8), true);
	got.wake_nr = 3;
	got.idle_us = 0;
	expect_fire("wake: idle_us 0 kept, not the default", bad_wake_clamp(&req, &got, 8), true);
	req.idle_us = NFQRING_WAKE_IDLE_OFF;
	got.idle_us = NFQRING_WAKE_IDLE_OFF;
	expect_fire("wake: idle_us off stays off", bad_wake_clamp(&req, &got, 8), false);
	req.idle_us = NFQRING_WAKE_IDLE_OFF - 1;
	expect_fire("wake: idle_us over NFQRING_WAKE_MAX_DELAY_US taken as off",
		    bad_wake_clamp(&req, &got, 8), true);
	got.idle_us = NFQRING_WAKE_MAX_DELAY_US;
	expect_fire("wake: idle_us clamped", bad_wake_clamp(&req, &got, 8), false);
	/* GET_WAKE_STATS */
	expect_fire("wake stats: reasons add up", bad_wake_stats(NULL, &a, false, true), false);
	b = a;
	b.wakeups = 4;
	expect_fire("wake stats: a wake-up without a reason", bad_wake_stats(NULL, &b, false, false),
		    true);
	b.idle_wakeups = 1;
	expect_fire("wake stats: an idle wake-up is a reason", bad_wake_stats(NULL, &b, false, true),
		    false);
	b = a;
	b.timer_wakeups = 2;
	expect_fire("wake stats: a reason counted before its wake-up",
		    bad_wake_stats(NULL, &b, false, false), false);
	expect_fire("wake stats: ... but not once all is quiet",
		    bad_wake_stats(NULL, &b, false, true), true);
	b = a;
	b.stalled = 2;
	expect_fire("wake stats: stalled 2", bad_wake_stats(NULL, &b, true, false), true);
	b = a;
	b.stall_verdicts = 1;
	expect_fire("wake stats: stall verdicts without a watchdog",
		    bad_wake_stats(NULL, &b, false, false), true);
	expect_fire("wake stats: stall verdicts of a watchdog", bad_wake_stats(&a, &b, true, false),
		    false);
	expect_fire("wake stats: a counter that went back", bad_wake_stats(&b, &a, true, false),
		    true);
	/* the control page */
	memset(page, CTRL_PAD_BYTE, sizeof(page));
	memset(page + offsetof(struct nfqring_ctrl, tx_cons), 0x11, 4);
	expect_fire("control page: kernel words changed, pads kept", bad_ctrl_pads(page, CTRL_PAD_BYTE),
		    false);
	off = offsetof(struct nfqring_ctrl, tx_cons) + 4;
	page[off] = 0;
	expect_fire("control page: a byte after tx_cons written", bad_ctrl_pads(page, CTRL_PAD_BYTE),
		    true);
	expect_fire("control page: user words kept", bad_ctrl_user(want, have), false);
	have[1]++;
	expect_fire("control page: tx_prod written by the kernel", bad_ctrl_user(want, have), true);
	expect_fire("control page: a difference across the wrap",
		    bad_ctrl_seq("forged", 2, 0xffffffffU, 0, 4), false);
	expect_fire("control page: the consumer ahead of the producer",
		    bad_ctrl_seq("forged", 0, 5, 0, 4), true);
	expect_fire("control page: more published than the ring has",
		    bad_ctrl_seq("forged", 9, 4, -4, 4), true);
	/* the watchdog and the churn's receiver */
	expect_fire("stall: every unread packet has its stall verdict", bad_unread(3, true, 3), false);
	expect_fire("stall: more unread packets than stall verdicts", bad_unread(4, true, 3), true);
	expect_fire("stall: unread packets under a watchdog that drops", bad_unread(1, false, 10),
		    true);
	/* /proc/net/netfilter/nfqring_stats */
	expect_fire("nfqring_stats: the sample parses",
		    parse_nstats("queued 7\nverdicts 1\nflushed 2\nundelivered 0\nstall_flushed 3\nrefused_full 9\nstall_refused 1\nin_flight 0\n", &s1) &&
		    s1.v[NS_STALL_REFUSED] == 1 && s1.v[NS_IN_FLIGHT] == 0 ? NULL : "did not parse",
		    false);
	s0.v[NS_IN_FLIGHT] = 0;
	s1 = s0;
	s1.v[NS_QUEUED] += 10;
	s1.v[NS_VERDICTS] += 4;
	s1.v[NS_STALL_FLUSHED] += 4;
	s1.v[NS_STALL_REFUSED] += 2;
	expect_fire("nfqring_stats: a round that adds up", bad_round_stats(&s0, &s1, 6), false);
	expect_fire("nfqring_stats: stall verdicts the endpoints did not report",
		    bad_round_stats(&s0, &s1, 5), true);
	s1.v[NS_IN_FLIGHT] = 2;
	expect_fire("nfqring_stats: packets in flight with no queue",
		    bad_round_stats(&s0, &s1, 6), true);
}

/* Returns the number of checks that did not do what they should. */
static unsigned int check_checkers(void)
{
	static const char head[] =
		"# nfqring abi 1\n"
		"# queue transport pid rx_frame_nr rx_frame_size tx_frame_nr tx_frame_size rx_in_use rx_frames rx_copy rx_overruns backlog_drops tx_frames tx_errors tx_batches\n"
		"3 netlink 4242\n";
	static const struct {
		const char *what, *line;
		bool fires;
	} proc[] = {
		{ "/proc: a sound ring line", "10 ring 77 4 16384 4 4096 4 9 1 0 0 5 0 2", false },
		{ "/proc: rx_in_use above rx_frame_nr", "10 ring 77 4 16384 0 0 5 9 1 0 0 0 0 0", true },
		{ "/proc: rx_in_use without an RX ring", "10 ring 77 0 0 0 0 1 9 1 0 0 0 0 0", true },
		{ "/proc: a frame size the ABI refuses", "10 ring 77 4 4094 0 0 0 9 1 0 0 0 0 0", true },
		{ "/proc: tx_batches above tx_frames", "10 ring 77 1 4096 4 4096 0 0 0 0 0 1 0 2", true },
		{ "/proc: a ring line cut short", "10 ring 77 4 16384 0 0 5", true },
	};
	uint8_t frame[4096] __attribute__((aligned(8))), *ring;
	struct nl_mmap_hdr *h = (struct nl_mmap_hdr *)frame;
	struct nl_mmap_req q = { 4096, 3, 4096, 3 };
	uint32_t room = sizeof(frame) - NFQRING_HDRLEN;
	struct ch_order o = { 0 };
	struct nfqring_stats st;
	struct ch_msg m;
	char text[1024];
	unsigned int i;

	checks_missed = 0;
	/* frames */
	memset(frame, 0, sizeof(frame));
	h->nm_len = forge_packet(frame + NFQRING_HDRLEN, room, 7, 5);
	expect_fire("frame: a sound VALID frame",
		    bad_churn_frame(h, sizeof(frame), NFQRING_STATUS_VALID, &m), false);
	if (m.id != 7 || m.seq != 5 || m.gso)
		expect_fire("frame: id and mark of a sound frame", "read wrong", false);
	h->nm_len = room + 1;
	expect_fire("frame: nm_len past the frame",
		    bad_churn_frame(h, sizeof(frame), NFQRING_STATUS_VALID, &m), true);
	h->nm_len = forge_packet(frame + NFQRING_HDRLEN, room, 7, 5) - 8;
	expect_fire("frame: a message longer than nm_len",
		    bad_churn_frame(h, sizeof(frame), NFQRING_STATUS_VALID, &m), true);
	h->nm_len = forge_packet(frame + NFQRING_HDRLEN, room, 7, 0);
	expect_fire("frame: a packet without the churn's mark",
		    bad_churn_frame(h, sizeof(frame), NFQRING_STATUS_VALID, &m), true);
	h->nm_len = forge_packet(frame + NFQRING_HDRLEN, room, 7, CH_SEQS);
	expect_fire("frame: a mark the churn never sent",
		    bad_churn_frame(h, sizeof(frame), NFQRING_STATUS_VALID, &m), true);
	h->nm_len = 0;
	expect_fire("frame: COPY with nm_len 0",
		    bad_churn_frame(h, sizeof(frame), NFQRING_STATUS_COPY, &m), true);
	expect_fire("frame: a status the kernel never publishes",
		    bad_churn_frame(h, sizeof(frame), NFQRING_STATUS_SKIP, &m), true);
	/* ids per binding, with wrap-around */
	expect_fire("order: first id of a binding", bad_order(&o, 3, 0xfffffffeU), false);
	expect_fire("order: across the wrap of the ids", bad_order(&o, 3, 1), false);
	expect_fire("order: the same id again", bad_order(&o, 3, 1), true);
	expect_fire("order: ids restart in a new binding", bad_order(&o, 4, 1), false);
	expect_fire("order: an id below the last one", bad_order(&o, 4, 0xffffff00U), true);
	expect_fire("order: a packet of an older binding", bad_order(&o, 3, 9), true);
	/* ring order */
	ring = calloc(3, 4096);
	if (!ring)
		return 1;
	expect_fire("ring order: all frames free", bad_ring_order(ring, &q, 1), false);
	status_store(frame_at(ring, &q, 2), NFQRING_STATUS_VALID);
	expect_fire("ring order: the frame after the position taken first",
		    bad_ring_order(ring, &q, 1), true);
	status_store(frame_at(ring, &q, 1), NFQRING_STATUS_RESERVED);
	expect_fire("ring order: the position taken meanwhile", bad_ring_order(ring, &q, 1), false);
	free(ring);
	/* deliveries */
	expect_fire("delivery: a packet read and accepted",
		    bad_delivery(5, 1, 1, TAG_SENT | TAG_CERTAIN | TAG_BOUND | 1 << 3 | 2 << 9), false);
	expect_fire("delivery: a packet accepted unread",
		    bad_delivery(5, 1, 0, TAG_SENT | TAG_CERTAIN | TAG_BOUND | 1 << 3 | 2 << 9), true);
	expect_fire("delivery: one segment more than read",
		    bad_delivery(6, 3, 2, TAG_SENT | 3 << 3), true);
	/* /proc */
	expect_fire("/proc: the header alone", bad_proc_text(head, 0, NULL), false);
	for (i = 0; i < sizeof(proc) / sizeof(proc[0]); i++) {
		snprintf(text, sizeof(text), "%s%s\n", head, proc[i].line);
		expect_fire(proc[i].what, bad_proc_text(text, 0, NULL), proc[i].fires);
	}
	expect_fire("/proc: a ring line before any header",
		    bad_proc_text(proc[0].line, 0, NULL), true);
	/* GET_STATS */
	memset(&st, 0, sizeof(st));
	expect_fire("stats: nothing set", bad_stats(&st), false);
	st.backlog_bytes = NFQRING_BACKLOG_BYTES + 1;
	expect_fire("stats: backlog over NFQRING_BACKLOG_BYTES", bad_stats(&st), true);
	st.backlog_bytes = 0;
	st.rx_frame_nr = 3;
	expect_fire("stats: frames without a frame size", bad_stats(&st), true);
	check_checkers_v2();
	printf("abi_fuzz: self-test of the checks: %s\n",
	       checks_missed ? "FAILED" : "each fired on its forgery and kept quiet on sound input");
	return checks_missed;
}

/* ---------- a round, in its own process ---------- */

/*
 * A fault in the round child is either a fuzzer bug or ring memory the kernel
 * took away: say where it happened and what the model had mapped, then die
 * of the signal as before.
 */
static void crash_report(int sig, siginfo_t *si, void *uctx)
{
	unsigned int i;

	(void)uctx;
	dprintf(STDOUT_FILENO,
		"abi_fuzz: round %u thread %d op %d (%s): signal %d code %d at address %p\n",
		cur_round, cur_thread, cur_op, cur_what(),
		sig, si->si_code, si->si_addr);
	for (i = 0; i < MAXMAP; i++)
		if (maps[i].used)
			dprintf(STDOUT_FILENO,
				"abi_fuzz:   mapping %u of endpoint %d: ring %p+%zu%s, reservation %p+%zu\n",
				i, maps[i].ep, (void *)maps[i].addr, maps[i].len,
				maps[i].partial ? " (partial)" : "", (void *)maps[i].res,
				maps[i].res_len);
	raise(sig);
}

static void catch_faults(void)
{
	struct sigaction sa = { .sa_sigaction = crash_report,
				.sa_flags = SA_SIGINFO | SA_RESETHAND | SA_NODEFER };

	sigaction(SIGSEGV, &sa, NULL);
	sigaction(SIGBUS, &sa, NULL);
}


static const struct program *round_prog;

static void *thread_main(void *arg)
{
	struct thr *t = arg;
	int big = 16 << 20;
	unsigned int i;

	cur_thread = t->id;
	t->s4 = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	t->s6 = socket(AF_INET6, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	/* Queued packets stay charged to the sender: never run out. */
	setsockopt(t->s4, SOL_SOCKET, SO_SNDBUFFORCE, &big, sizeof(big));
	setsockopt(t->s6, SOL_SOCKET, SO_SNDBUFFORCE, &big, sizeof(big));
	for (i = 0; i < round_prog->nops[t->id]; i++) {
		const struct op *o = &round_prog->ops[t->id][i];

		cur_op = i;
		cur_type = o->type;
		prog->op_index[t->id] = i;
		prog->op_type[t->id] = o->type;
		if (opt.verbose)
			vlog("slot %u variant %u", o->slot, o->variant);
		run_op(t, o);
		CNT(ops);
	}
	prog->op_index[t->id] = -1;
	close(t->s4);
	close(t->s6);
	return NULL;
}

/* The same start every round: traffic has somewhere to go at once. */
static void round_prelude(struct rng *r)
{
	unsigned int s;
	uint8_t buf[256];
	struct mb b = { .buf = buf, .cap = sizeof(buf) };
	struct nfqnl_msg_config_cmd cmd = { .command = NFQNL_CFG_CMD_BIND };
	struct nfqnl_msg_config_params params = { .copy_range = htonl(0xffff),
						  .copy_mode = NFQNL_COPY_PACKET };
	struct nlmsghdr *nlh;

	for (s = 0; s < NSLOT; s++) {
		slots[s].ep = -1;
		pthread_mutex_init(&slots[s].lock, NULL);
		op_open(r, s);
	}
	if (chance(r, 30))		/* version 2 before the rings exist */
		op_version(r, 0, 0);
	op_setring(r, 0, 0);		/* RX, valid */
	op_setring(r, 0, 1);		/* TX, valid */
	op_mmap(r, 0, 0);
	if (chance(r, 30))
		op_ctrlmap(r, 0, 0);
	for (s = 0; s < 2; s++) {	/* slot 0: rings; slot 1: read() only */
		b.len = 0;
		nlh = mb_start(&b, NFQNL_MSG_CONFIG, NLM_F_REQUEST, s);
		mb_attr(&b, NFQA_CFG_CMD, &cmd, sizeof(cmd));
		mb_attr(&b, NFQA_CFG_PARAMS, &params, sizeof(params));
		mb_end(&b, nlh);
		if (write(slot_fd(s), buf, b.len) != (ssize_t)b.len)
			broken("binding queue %u in the prelude: %s", s, strerror(errno));
	}
}

static int round_child(const struct program *p, uint64_t seed)
{
	struct rng r = { seed ^ 0x5eedULL };
	pthread_t tid[64];
	struct thr *thr[64];
	unsigned int t, i;

	setpgid(0, 0);
	catch_faults();
	round_prog = p;
	cur_thread = 0;
	cur_type = -1;
	round_prelude(&r);
	if (opt.churn)
		churn_start(p);
	for (t = 0; t < opt.threads; t++) {
		thr[t] = calloc(1, sizeof(struct thr));
		if (!thr[t])
			broken("calloc");
		thr[t]->id = t;
		if (pthread_create(&tid[t], NULL, thread_main, thr[t]))
			broken("pthread_create");
	}
	for (t = 0; t < opt.threads; t++)
		pthread_join(tid[t], NULL);
	cur_thread = -1;
	if (opt.churn)
		churn_stop();

	/* Traffic has stopped: a last look at every ring, then release all. */
	cur_thread = -1;
	cur_op = -1;
	cur_type = -1;
	for (;;) {
		struct epo *e;
		struct mapr *m = map_get(0, &e);
		uint32_t f;

		if (!m)
			break;
		rx_scan(&r, m, e, true);
		if (!m->partial && e->tx.nm_block_nr)
			for (f = 0; f < e->tx.nm_frame_nr; f++)
				check_tx_frame(e, m->addr + ring_bytes(&e->rx), f);
		map_drop(m, e);
		pthread_mutex_unlock(&e->lock);
	}
	for (;;) {
		struct epo *e;
		struct cmapr *cm = cmap_get(0, &e);

		if (!cm)
			break;
		cmap_drop(cm, e);
		pthread_mutex_unlock(&e->lock);
	}
	round_ending = true;
	for (i = 0; i < NSLOT; i++) {
		op_stats(i, 1);
		op_close(i);
	}
	return 0;
}

/* ---------- the parent: rounds, watchdog, clean state ---------- */

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Lines of a /proc file that are not comments; -1 when it cannot be read. */
static int proc_lines(const char *path, char *out, size_t outsz)
{
	char line[512];
	FILE *f = fopen(path, "r");
	int n = 0;

	if (!f)
		return -1;
	out[0] = 0;
	while (fgets(line, sizeof(line), f)) {
		if (line[0] == '#')
			continue;
		n++;
		strncat(out, line, outsz - strlen(out) - 1);
	}
	fclose(f);
	return n;
}

static long module_refcnt(void)
{
	FILE *f = fopen("/sys/module/nfqring/refcnt", "r");
	long v = -1;

	if (f) {
		if (fscanf(f, "%ld", &v) != 1)
			v = -1;
		fclose(f);
	}
	return v;
}

static int kmsg_fd = -1;

/* Kernel reports since the last call; prints them, returns how many. */
static int kmsg_reports(void)
{
	static const char *const pat[] = {
		"WARNING:", "BUG:", "Oops", "Call Trace", "KASAN", "UBSAN", "KFENCE",
		"general protection", "lockdep", "possible circular locking",
		"possible recursive locking", "inconsistent lock state",
		"suspicious RCU usage", "blocked for more than", "soft lockup",
		"hard LOCKUP", "rcu_sched detected stall", "rcu: INFO", "refcount_t:",
		"list_add corruption", "list_del corruption", "kmemleak", "Kernel panic",
	};
	char rec[8192];
	int bad = 0;
	unsigned int i;
	ssize_t n;

	if (kmsg_fd < 0)
		return 0;
	for (;;) {
		n = read(kmsg_fd, rec, sizeof(rec) - 1);
		if (n < 0) {
			if (errno == EPIPE)	/* overwritten records: go on */
				continue;
			break;
		}
		rec[n] = 0;
		for (i = 0; i < sizeof(pat) / sizeof(pat[0]); i++)
			if (strstr(rec, pat[i])) {
				printf("abi_fuzz: kernel: %s", strchr(rec, ';') ? strchr(rec, ';') + 1 : rec);
				bad++;
				break;
			}
	}
	return bad;
}

static void show_progress(void)
{
	unsigned int t;

	for (t = 0; t < opt.threads; t++)
		if (prog->op_index[t] >= 0)
			printf("abi_fuzz:   thread %u at op %d (%s)\n", t, prog->op_index[t],
			       op_names[prog->op_type[t]]);
}

static void dump_stacks(pid_t pid)
{
	char path[128], buf[4096];
	FILE *f;
	size_t n;
	int i;

	show_progress();
	snprintf(path, sizeof(path), "ls /proc/%d/task 2>/dev/null", pid);
	f = popen(path, "r");
	if (!f)
		return;
	while (fscanf(f, "%d", &i) == 1) {
		FILE *s;

		snprintf(path, sizeof(path), "/proc/%d/task/%d/stack", pid, i);
		s = fopen(path, "r");
		if (!s)
			continue;
		n = fread(buf, 1, sizeof(buf) - 1, s);
		buf[n] = 0;
		fclose(s);
		printf("abi_fuzz:   task %d kernel stack:\n%s", i, buf);
	}
	pclose(f);
}

/* Kills what is left of a round and reaps it (we are a subreaper). */
static void reap_all(pid_t pgid)
{
	double t0 = now();

	kill(-pgid, SIGKILL);
	while (now() - t0 < 10) {
		pid_t p = waitpid(-1, NULL, WNOHANG);

		if (p < 0 && errno == ECHILD)
			return;
		if (p <= 0)
			usleep(10000);
	}
	printf("abi_fuzz: processes of the round did not go away\n");
}

/* After a round: no queue left, the module's references back. */
static const char *unclean(long base_ref, char *detail, size_t dsz)
{
	double t0 = now();
	int a, b;
	long ref;

	for (;;) {
		char x[2048], y[2048];

		a = proc_lines("/proc/net/netfilter/nfqring", x, sizeof(x));
		b = proc_lines("/proc/net/netfilter/nfnetlink_queue", y, sizeof(y));
		ref = module_refcnt();
		if (a == 0 && b == 0 && ref == base_ref)
			return NULL;
		if (now() - t0 > 5) {
			snprintf(detail, dsz, "nfqring:\n%snfnetlink_queue:\n%srefcnt %ld (was %ld)",
				 x, y, ref, base_ref);
			if (a < 0 || b < 0)
				return "a /proc/net/netfilter file is missing";
			return a || b ? "queues left bound after every descriptor closed" :
				"the module's reference count did not come back";
		}
		usleep(50000);
	}
}

/* The churn's counters, one line. */
static void churn_summary(void)
{
#define CH_COUNTER(f, name) { name, offsetof(struct counters, f) }
	static const struct {
		const char *name;
		size_t off;
	} c[] = {
		CH_COUNTER(ch_ring_ok, "rings set"), CH_COUNTER(ch_ring_busy, "EBUSY"),
		CH_COUNTER(ch_binds, "binds"), CH_COUNTER(ch_params, "copy-range changes"),
		CH_COUNTER(ch_sent, "sent"), CH_COUNTER(ch_raced, "raced"),
		CH_COUNTER(ch_valid, "VALID read"), CH_COUNTER(ch_copy, "COPY frames"),
		CH_COUNTER(ch_backlog, "read()"), CH_COUNTER(ch_overruns, "ENOBUFS"),
		CH_COUNTER(ch_batches, "batches"), CH_COUNTER(ch_verdicts, "verdicts"),
		CH_COUNTER(ch_delivered, "received"), CH_COUNTER(ch_proc, "/proc reads"),
		CH_COUNTER(ch_lines, "lines of its queue"),
		CH_COUNTER(ch_busy_lines, "with frames in use"),
		CH_COUNTER(ch_max_in_use, "largest rx_in_use"),
		CH_COUNTER(ch_v2, "version 2"), CH_COUNTER(ch_wake_sets, "SET_WAKE"),
		CH_COUNTER(ch_hushes, "hushes"), CH_COUNTER(ch_stalls, "stalls"),
		CH_COUNTER(ch_stall_verdicts, "stall verdicts"),
		CH_COUNTER(ch_unread, "accepted unread by the watchdog"),
	};
#undef CH_COUNTER
	unsigned int i;

	printf("abi_fuzz: churn:");
	for (i = 0; i < sizeof(c) / sizeof(c[0]); i++)
		printf("%s %s %llu", i ? "," : "", c[i].name,
		       (unsigned long long)*(uint64_t *)((char *)cnt + c[i].off));
	printf("\n");
}

/* The test build's race windows (module parameter test_delay_us). */
static bool set_race_delay(unsigned int us)
{
	FILE *f = fopen(DELAY_PARAM, "w");

	if (!f)
		return false;
	fprintf(f, "%u\n", us);
	return fclose(f) == 0;
}

static void usage(const char *argv0)
{
	fprintf(stderr,
		"usage: %s [--seed N] [--seconds S] [--iterations K] [--threads T] [--ops N]\n"
		"          [--round-timeout S] [--no-rmmod] [--no-churn] [--race-delay US]\n"
		"          [--churn-v2 V,S]\n"
		"          [--self-test] [--check-checkers] [-v]\n", argv0);
	exit(2);
}

static void parse_args(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "seed", required_argument, NULL, 's' },
		{ "seconds", required_argument, NULL, 'S' },
		{ "iterations", required_argument, NULL, 'i' },
		{ "threads", required_argument, NULL, 't' },
		{ "ops", required_argument, NULL, 'o' },
		{ "round-timeout", required_argument, NULL, 'T' },
		{ "no-rmmod", no_argument, NULL, 'R' },
		{ "self-test", no_argument, NULL, 'X' },
		{ "check-checkers", no_argument, NULL, 'C' },
		{ "no-churn", no_argument, NULL, 'N' },
		{ "race-delay", required_argument, NULL, 'D' },
		{ "churn-v2", required_argument, NULL, 'V' },
		{ "verbose", no_argument, NULL, 'v' },
		{ NULL, 0, NULL, 0 },
	};
	bool have_seed = false, have_seconds = false;
	int c;

	while ((c = getopt_long(argc, argv, "s:S:i:t:o:T:v", lo, NULL)) != -1) {
		switch (c) {
		case 's': opt.seed = strtoull(optarg, NULL, 0); have_seed = true; break;
		case 'S': opt.seconds = atoi(optarg); have_seconds = true; break;
		case 'i': opt.iterations = atoi(optarg); break;
		case 't': opt.threads = atoi(optarg); break;
		case 'o': opt.ops = atoi(optarg); break;
		case 'T': opt.round_timeout = atoi(optarg); break;
		case 'R': opt.rmmod = false; break;
		case 'X': opt.self_test = true; break;
		case 'C': opt.check_checkers = true; break;
		case 'N': opt.churn = false; break;
		case 'D': opt.race_delay = atoi(optarg); break;
		case 'V':
			if (sscanf(optarg, "%d,%d", &opt.churn_v2, &opt.churn_stall) != 2 ||
			    opt.churn_v2 < 0 || opt.churn_v2 > 2 || opt.churn_stall < 0 ||
			    opt.churn_stall > 2)
				usage(argv[0]);
			break;
		case 'v': opt.verbose = true; break;
		default: usage(argv[0]);
		}
	}
	if (optind != argc || opt.threads < 1 || opt.threads > 64 || opt.ops < 2 ||
	    opt.race_delay < -1)
		usage(argv[0]);
	if (!have_seconds && !opt.iterations)
		opt.seconds = 60;
	if (!have_seed) {
		struct timespec ts;

		clock_gettime(CLOCK_REALTIME, &ts);
		opt.seed = ((uint64_t)ts.tv_sec << 32) ^ ts.tv_nsec ^ (uint64_t)getpid() << 16;
		opt.seed = splitmix(&opt.seed);
	}
}

static void replay_hint(uint64_t seed)
{
	char v2[32] = "";

	if (opt.churn_v2 >= 0)
		snprintf(v2, sizeof(v2), " --churn-v2 %d,%d", opt.churn_v2, opt.churn_stall);
	printf("abi_fuzz: FAILED in round %u; replay with: abi_fuzz --seed 0x%016llx --iterations 1 --threads %u --ops %u%s%s%s\n",
	       cur_round, (unsigned long long)seed, opt.threads, opt.ops,
	       opt.self_test ? " --self-test" : "", opt.churn ? "" : " --no-churn", v2);
	printf("abi_fuzz: replay-seed 0x%016llx\n", (unsigned long long)seed);
}

int main(int argc, char **argv)
{
	uint64_t seed, ops_total = 0;
	double start, t0;
	bool test_build;
	long base_ref;
	unsigned int r;

	page_sz = sysconf(_SC_PAGESIZE);
	if (argc == 4 && !strcmp(argv[1], "--nschild"))	/* see op_nschild() */
		return nschild_main(strtoull(argv[2], NULL, 0), NSCHILD_FD, atoi(argv[3]));
	parse_args(argc, argv);
	setvbuf(stdout, NULL, _IOLBF, 0);
	cnt = mmap(NULL, sizeof(*cnt) + sizeof(*prog), PROT_READ | PROT_WRITE,
		   MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (cnt == MAP_FAILED) {
		perror("mmap");
		return 2;
	}
	prog = (struct progress *)(cnt + 1);
	if (opt.check_checkers || opt.self_test) {
		if (check_checkers())
			return 2;
		if (opt.check_checkers)
			return 0;
	}
	test_build = access(DELAY_PARAM, W_OK) == 0;
	printf("abi_fuzz: seed 0x%016llx, %u s, %u iterations, %u threads, %u ops%s%s%s\n",
	       (unsigned long long)opt.seed, opt.seconds, opt.iterations, opt.threads,
	       opt.ops, opt.churn ? ", churn" : ", no churn",
	       opt.churn && test_build ? " (test build: race windows widened by a delay per round)" : "",
	       opt.self_test ? ", self-test (a bogus expectation)" : "");

	if (system("modprobe nfqring")) {
		printf("abi_fuzz: modprobe nfqring failed\n");
		return 2;
	}
	prctl(PR_SET_CHILD_SUBREAPER, 1);
	/* A private namespace: our rules and traffic disturb nobody. */
	if (unshare(CLONE_NEWNET)) {
		perror("unshare(CLONE_NEWNET)");
		return 2;
	}
	lo_up();
	if (nft_load("")) {
		printf("abi_fuzz: nft could not load the rules\n");
		return 2;
	}
	kmsg_fd = open("/dev/kmsg", O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	if (kmsg_fd >= 0)
		lseek(kmsg_fd, 0, SEEK_END);
	base_ref = module_refcnt();

	start = now();
	seed = opt.seed;
	for (r = 0; !opt.iterations || r < opt.iterations; r++) {
		struct program p;
		char detail[4608];
		const char *why = NULL;
		struct nstats before;
		uint64_t harvest0;
		bool have_ns;
		int status = 0;
		pid_t pid;

		if (opt.seconds && r && now() - start >= opt.seconds)
			break;
		cur_round = r;
		cur_seed = seed;
		gen_program(&p, seed);
		/* Printed before it runs: a crash or hang still names it. */
		printf("abi_fuzz: round %u seed 0x%016llx ops %u hash 0x%08x", r,
		       (unsigned long long)seed, p.total, p.hash);
		if (opt.churn && test_build)
			printf(" race delay %u us", p.race_delay);
		printf("\n");
		if (opt.churn && test_build && !set_race_delay(p.race_delay))
			printf("abi_fuzz: could not set %s\n", DELAY_PARAM);
		memset(prog, 0, sizeof(*prog));
		have_ns = read_nstats(&before);
		harvest0 = cnt->stall_harvest;
		fflush(stdout);
		t0 = now();
		pid = fork();
		if (pid < 0) {
			perror("fork");
			return 2;
		}
		if (pid == 0)
			_exit(round_child(&p, seed));
		setpgid(pid, pid);	/* so that reap_all() cannot miss it */
		for (;;) {
			pid_t w = waitpid(pid, &status, WNOHANG);

			if (w == pid)
				break;
			if (now() - t0 > opt.round_timeout) {
				printf("abi_fuzz: round %u HUNG for %u s\n", r, opt.round_timeout);
				dump_stacks(pid);
				why = "hung";
				break;
			}
			usleep(20000);
		}
		reap_all(pid);
		if (opt.churn && test_build)
			set_race_delay(0);
		if (!why && WIFSIGNALED(status)) {
			snprintf(detail, sizeof(detail), "killed by signal %d", WTERMSIG(status));
			why = detail;
			show_progress();
		}
		else if (!why && WIFEXITED(status) && WEXITSTATUS(status) == EXIT_BROKEN)
			why = "an invariant broke";
		else if (!why && WEXITSTATUS(status))
			snprintf(detail, sizeof(detail), "exited with %d", WEXITSTATUS(status)),
				why = detail;
		if (!why) {
			why = unclean(base_ref, detail, sizeof(detail));
			if (why)
				printf("abi_fuzz: after round %u: %s\n%s\n", r, why, detail);
		}
		if (!why && have_ns) {
			struct nstats after;
			const char *bad = "it cannot be read";

			if (!read_nstats(&after) ||
			    (bad = bad_round_stats(&before, &after, cnt->stall_harvest - harvest0))) {
				printf("abi_fuzz: after round %u: /proc/net/netfilter/nfqring_stats: %s\n",
				       r, bad);
				why = "packets went unaccounted";
			}
		}
		if (!why && kmsg_reports())
			why = "the kernel logged a report";
		free_program(&p);
		if (why) {
			printf("abi_fuzz: round %u: %s, %.1f s into the run\n", r, why, now() - start);
			replay_hint(seed);
			return 1;
		}
		if (opt.verbose)
			printf("abi_fuzz: round %u done in %.1f s\n", r, now() - t0);
		ops_total += p.total;
		seed = splitmix(&seed);
	}

	t0 = now() - start;
	printf("abi_fuzz: %u rounds, %llu ops in %.1f s (%.0f ops/s); skipped %llu\n",
	       r, (unsigned long long)ops_total, t0, ops_total / (t0 > 0 ? t0 : 1),
	       (unsigned long long)cnt->skipped);
	printf("abi_fuzz: rings set %llu (EINVAL %llu, EBUSY %llu), maps %llu, sends %llu, RX VALID %llu (tail-checked %llu), COPY %llu, read packets %llu, acks %llu, TX frames %llu, flushes %llu ok %llu failed, writes %llu ok %llu failed, veth %llu, ns children %llu, nft reloads %llu\n",
	       (unsigned long long)cnt->ring_ok, (unsigned long long)cnt->ring_einval,
	       (unsigned long long)cnt->ring_ebusy, (unsigned long long)cnt->maps,
	       (unsigned long long)cnt->sends, (unsigned long long)cnt->rx_valid,
	       (unsigned long long)cnt->rx_checked, (unsigned long long)cnt->rx_copy,
	       (unsigned long long)cnt->reads_pkt, (unsigned long long)cnt->reads_ack,
	       (unsigned long long)cnt->tx_frames, (unsigned long long)cnt->flush_ok,
	       (unsigned long long)cnt->flush_err, (unsigned long long)cnt->write_ok,
	       (unsigned long long)cnt->write_err, (unsigned long long)cnt->veth,
	       (unsigned long long)cnt->nschild, (unsigned long long)cnt->nft);
	printf("abi_fuzz: version 2: SET_VERSION 2 %llu, 1 %llu, EBUSY %llu, EINVAL %llu; SET_WAKE %llu ok %llu failed; SET_STALL %llu ok %llu failed; GET_WAKE_STATS %llu; control pages mapped %llu (refused %llu), scribbled %llu, polled %llu; stall verdicts counted %llu\n",
	       (unsigned long long)cnt->ver_2, (unsigned long long)cnt->ver_1,
	       (unsigned long long)cnt->ver_ebusy, (unsigned long long)cnt->ver_einval,
	       (unsigned long long)cnt->wake_ok, (unsigned long long)cnt->wake_err,
	       (unsigned long long)cnt->stall_ok, (unsigned long long)cnt->stall_err,
	       (unsigned long long)cnt->wstats, (unsigned long long)cnt->cmaps,
	       (unsigned long long)cnt->cmap_refused, (unsigned long long)cnt->ctrl_scrib,
	       (unsigned long long)cnt->ctrl_polls, (unsigned long long)cnt->stall_harvest);
	if (opt.churn)
		churn_summary();

	if (opt.rmmod) {
		/* Nothing may pin the module once every round is gone. */
		if (system("rmmod nfqring")) {
			printf("abi_fuzz: rmmod nfqring failed after the last round\n");
			return 1;
		}
		if (system("modprobe nfqring")) {
			printf("abi_fuzz: modprobe nfqring failed after rmmod\n");
			return 1;
		}
		if (kmsg_reports()) {
			printf("abi_fuzz: the kernel logged a report at rmmod/modprobe\n");
			return 1;
		}
	}
	printf("abi_fuzz: PASS\n");
	return 0;
}
