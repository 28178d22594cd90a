/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libnfqring-nlmmap internals: the old netlink-mmap API (Linux 3.10-4.5) on
 * a NETLINK_NETFILTER socket, served by /dev/nfqring.  nfqring-nlmmap(1) is
 * the user's view; this header is the design.
 *
 * The emulated socket
 *   Nothing happens to a socket until the program asks for a ring with
 *   setsockopt(SOL_NETLINK, NETLINK_RX_RING / NETLINK_TX_RING).  At the first
 *   such request that succeeds (setup.c), the library opens a device
 *   endpoint and REPLACES THE PROGRAM'S DESCRIPTOR: the netlink socket is
 *   moved aside to a descriptor of the library's own (struct nlm_sock.nl,
 *   close-on-exec) and the device is dup3()-ed over the program's number,
 *   keeping its close-on-exec flag.  From then on that number is the device:
 *   poll(), select() and epoll see exactly the ring readiness the kernel
 *   computes (POLLIN for a VALID/COPY frame or a message to read, POLLOUT
 *   for a free TX frame, POLLERR after an overrun), with no poll interposer
 *   and no cost on the packet path.  The library keeps a second descriptor
 *   of the device (nlm_sock.dev) for its own calls, so the program may dup()
 *   and close() its numbers freely.
 *
 *   Every socket call the program makes on the number is interposed and
 *   answered by one of the two (send.c, recv.c, fdops.c):
 *     - queue-subsystem messages (CONFIG, VERDICT, VERDICT_BATCH) go to the
 *       device; every other message (other nfnetlink subsystems, NOOP, a
 *       unicast to another process) goes to the netlink socket;
 *     - sendto(NULL, 0) / sendmsg without data flushes the TX ring;
 *     - recv*() and read() return the device's messages (COPY, acks), then
 *       the socket's (replies of other subsystems);
 *     - bind, connect, getsockname, getpeername, shutdown, setsockopt and
 *       getsockopt other than the rings, fcntl(F_GETFL/F_SETFL/owner/signal)
 *       and ioctl() act on the netlink socket, so portid, groups, buffer
 *       sizes, NETLINK_NO_ENOBUFS and O_NONBLOCK stay the socket's.
 *   What the replacement costs (the man page's LIMITS): messages that
 *   arrive on the netlink socket (replies of other subsystems, multicast
 *   groups, packets of a queue bound over netlink before the rings were set
 *   up) are returned by recv() but do not make the descriptor readable;
 *   fstat() shows a character device; raw system calls reach the device.
 *
 * Descriptor table (table.c)
 *   Program descriptor number -> struct nlm_sock, two levels of atomic
 *   pointers.  A global count of tracked numbers makes every interposed call
 *   on an untracked descriptor (every descriptor of a program that never
 *   asks for rings) one relaxed load and the real function.  Entries are
 *   reference counted: one reference per tracked number plus one per call in
 *   progress, so a close() racing a recv() on another thread never closes
 *   the descriptors under it.  Entries are never given back to malloc (they
 *   are reused after their last reference), so a stale pointer is never a
 *   dangling one.  No lock on lookups, close() or dup(): they are
 *   async-signal-safe.
 */
#ifndef NFQR_NLMMAP_H
#define NFQR_NLMMAP_H

#include <linux/netlink.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/uio.h>
#include <time.h>

#include <linux/nfqring.h>

#define NLM_HIDDEN __attribute__((visibility("hidden")))
#define NLM_EXPORT __attribute__((visibility("default")))

/* ---- the real libc functions (real.c) ---------------------------------- */

struct nlm_real {
	int (*close)(int);
	int (*dup)(int);
	int (*dup2)(int, int);
	int (*dup3)(int, int, int);
	int (*fcntl)(int, int, ...);
	int (*ioctl)(int, unsigned long, ...);
	ssize_t (*read)(int, void *, size_t);
	ssize_t (*write)(int, const void *, size_t);
	ssize_t (*readv)(int, const struct iovec *, int);
	ssize_t (*writev)(int, const struct iovec *, int);
	ssize_t (*send)(int, const void *, size_t, int);
	ssize_t (*sendto)(int, const void *, size_t, int, const struct sockaddr *, socklen_t);
	ssize_t (*sendmsg)(int, const struct msghdr *, int);
	ssize_t (*recv)(int, void *, size_t, int);
	ssize_t (*recvfrom)(int, void *, size_t, int, struct sockaddr *, socklen_t *);
	ssize_t (*recvmsg)(int, struct msghdr *, int);
	int (*setsockopt)(int, int, int, const void *, socklen_t);
	int (*getsockopt)(int, int, int, void *, socklen_t *);
	int (*bind)(int, const struct sockaddr *, socklen_t);
	int (*connect)(int, const struct sockaddr *, socklen_t);
	int (*getsockname)(int, struct sockaddr *, socklen_t *);
	int (*getpeername)(int, struct sockaddr *, socklen_t *);
	int (*shutdown)(int, int);
	void *(*mmap)(void *, size_t, int, int, int, off_t);
	int (*munmap)(void *, size_t);
	int (*poll)(struct pollfd *, nfds_t, int);
	int (*sendmmsg)(int, struct mmsghdr *, unsigned int, int);
	int (*recvmmsg)(int, struct mmsghdr *, unsigned int, int, struct timespec *);
	ssize_t (*__read_chk)(int, void *, size_t, size_t);
	ssize_t (*__recv_chk)(int, void *, size_t, size_t, int);
	ssize_t (*__recvfrom_chk)(int, void *, size_t, size_t, int, struct sockaddr *, socklen_t *);
};

extern struct nlm_real nlm_real NLM_HIDDEN;
/* Resolves every pointer of nlm_real (idempotent; done by a constructor). */
void nlm_real_init(void) NLM_HIDDEN;
/* The real function, resolved on first use when a call comes before the
 * constructor (from another library's constructor). */
#define REAL(name) (nlm_real.name ? nlm_real.name : (nlm_real_init(), nlm_real.name))

/* ---- the device, behind a table tests replace (ops.c) ------------------- */

struct nlm_ops {
	/* a new endpoint, O_RDWR | O_CLOEXEC | O_NONBLOCK: fd or -errno */
	int (*open_dev)(void);
	/* NFQRING_SET_RX_RING / _TX_RING: 0 or -errno */
	int (*set_ring)(int dev, bool tx, const struct nl_mmap_req *req);
	/* NFQRING_TX_FLUSH: frames processed, or -errno with *res filled */
	int (*tx_flush)(int dev, struct nfqring_tx_result *res);
	/* one message of the read() backlog: length or -errno */
	ssize_t (*dev_read)(int dev, void *buf, size_t len);
	/* messages to the endpoint: bytes processed without error or -errno */
	ssize_t (*dev_write)(int dev, const void *buf, size_t len);
	/* the ring mapping */
	void *(*map)(void *addr, size_t len, int prot, int flags, int dev, off_t off);
	/* the socket family/protocol that gets rings (tests may widen it) */
	int protocol;
};

extern const struct nlm_ops nlm_sys_ops NLM_HIDDEN;
extern const struct nlm_ops *nlm_ops NLM_HIDDEN;

/* ---- one emulated socket ---------------------------------------------- */

struct nlm_sock {
	atomic_uint refs;		/* numbers + calls in progress; 0: free */
	int dev;			/* the library's device descriptor */
	int nl;				/* the netlink socket, moved aside */
	pthread_mutex_t lock;		/* slow paths only: set-up, the stash */
	struct nl_mmap_req rx, tx;	/* geometry; nm_block_nr 0: no ring */
	atomic_bool no_enobufs;		/* NETLINK_NO_ENOBUFS */
	atomic_uint portid;		/* the socket's portid, 0: not known yet */
	/* the program's mapping of the rings (mmap.c), NULL: not known */
	_Atomic(unsigned char *) map;
	atomic_uint tx_next;		/* the kernel's TX head, as we saw it */
	/* a message read ahead (MSG_PEEK, gathered reads) */
	unsigned char *stash;
	size_t stash_len, stash_cap;
	atomic_bool has_stash;
	struct nlm_sock *next_free;	/* the free list */
	struct nlm_sock *next_all;	/* every entry ever made (fork handlers) */
};

/* ---- descriptor table (table.c) --------------------------------------- */

/* Tracked numbers, 0 when no socket has rings: the fast path's one load. */
extern atomic_uint nlm_live NLM_HIDDEN;

/* The entry of fd with a reference taken, or NULL (untracked). */
struct nlm_sock *nlm_get(int fd) NLM_HIDDEN;
/* Drops a reference; the last one closes dev and nl and frees the entry. */
void nlm_put(struct nlm_sock *s) NLM_HIDDEN;
/* fd now refers to s (takes a reference of its own); 0 or -ENOMEM/-EBADF */
int nlm_track(int fd, struct nlm_sock *s) NLM_HIDDEN;
/* fd no longer refers to anything we know. */
void nlm_untrack(int fd) NLM_HIDDEN;
/*
 * The library's own descriptors (nlm_sock.dev and .nl) are marked in the
 * table: a program that closes every descriptor it does not know of (a
 * loop up to the limit) gets EBADF for them, as for a number that is not
 * open, and the socket keeps working.
 */
#define NLM_INTERNAL	((struct nlm_sock *)(uintptr_t)1)
void nlm_mark_internal(int fd) NLM_HIDDEN;
void nlm_unmark_internal(int fd) NLM_HIDDEN;
bool nlm_is_internal(int fd) NLM_HIDDEN;
/* A zeroed entry with one reference (the caller's), from the free list or
 * malloc; NULL on ENOMEM.  Call under nlm_setup_lock. */
struct nlm_sock *nlm_sock_new(void) NLM_HIDDEN;
/* Serialises ring set-up and entry creation (fork-safe). */
extern pthread_mutex_t nlm_setup_lock NLM_HIDDEN;
/* Highest descriptor number the table holds, plus one. */
#define NLM_MAX_FD	(1024 * 1024)

/* ---- the translations ---------------------------------------------------- */

/* setup.c: setsockopt(SOL_NETLINK, NETLINK_RX_RING / NETLINK_TX_RING) on fd,
 * tracked (s) or not (s NULL).  0 or -1 with errno. */
int nlm_set_ring(int fd, struct nlm_sock *s, int optname, const void *optval,
		 socklen_t optlen) NLM_HIDDEN;
/* The 4.5 kernel's geometry checks of netlink_set_ring(): 0 or -EINVAL. */
int nlm_check_geometry(const struct nl_mmap_req *req, long page_size) NLM_HIDDEN;

/* send.c: a sendmsg() on tracked s; returns bytes or -1 with errno. */
ssize_t nlm_sendmsg(struct nlm_sock *s, int fd, const struct msghdr *msg, int flags) NLM_HIDDEN;
/* The TX flush of sendto(fd, NULL, 0): bytes delivered or -1 with errno. */
ssize_t nlm_tx_flush(struct nlm_sock *s) NLM_HIDDEN;
/* recv.c: a recvmsg() on tracked s; bytes or -1 with errno. */
ssize_t nlm_recvmsg(struct nlm_sock *s, struct msghdr *msg, int flags) NLM_HIDDEN;
/* getsockopt(SOL_SOCKET, SO_ERROR) on tracked s: the socket's error, else
 * the endpoint's overrun (ENOBUFS), cleared as netlink cleared sk_err. */
int nlm_so_error(struct nlm_sock *s, void *val, socklen_t *len) NLM_HIDDEN;

/* mmap.c: where the program mapped s's rings. */
void *nlm_mmap(struct nlm_sock *s, void *addr, size_t len, int prot, int flags, off_t off) NLM_HIDDEN;
void nlm_munmap_note(void *addr, size_t len) NLM_HIDDEN;
/* The header of TX frame index of s, or NULL when the mapping is unknown. */
struct nl_mmap_hdr *nlm_tx_frame(struct nlm_sock *s, unsigned int index) NLM_HIDDEN;

/* Our portid (getsockname on nl, cached). */
uint32_t nlm_portid(struct nlm_sock *s) NLM_HIDDEN;

/* One line to stderr, async-signal-safe (write(2) of a fixed buffer). */
void nlm_say(const char *msg) NLM_HIDDEN;

#endif
