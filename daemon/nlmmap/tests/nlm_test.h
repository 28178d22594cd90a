/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Helpers the nlmmap host tests share: sockets, ring requests, messages. */
#ifndef NLM_TEST_H
#define NLM_TEST_H

#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nfnetlink_queue.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "fake_dev.h"
#include "tap.h"

/* A NETLINK_NETFILTER socket, bound (autobind).  Never sends to the host's
 * queue subsystem: those requests go to the fake device. */
static inline int nl_sock(void)
{
	struct sockaddr_nl a = { .nl_family = AF_NETLINK };
	int fd = socket(AF_NETLINK, SOCK_RAW, NETLINK_NETFILTER);

	if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof(a)) < 0) {
		printf("Bail out! no NETLINK_NETFILTER socket: %s\n", strerror(errno));
		exit(1);
	}
	return fd;
}

/* setsockopt(NETLINK_RX/TX_RING): 0 or the errno. */
static inline int ring(int fd, int opt, unsigned int bs, unsigned int bn, unsigned int fs,
		       unsigned int fn)
{
	struct nl_mmap_req r = { bs, bn, fs, fn };

	errno = 0;
	return setsockopt(fd, SOL_NETLINK, opt, &r, sizeof(r)) == 0 ? 0 : errno;
}

static inline int open_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *e;
	int n = 0;

	if (!d)
		return -1;
	while ((e = readdir(d)))
		n += e->d_name[0] != '.';
	closedir(d);
	return n - 1;	/* the directory's own */
}

static inline bool is_socket(int fd)
{
	int v = 0;
	socklen_t l = sizeof(v);

	/* the real getsockopt: what the descriptor is, not what we emulate */
	return REAL(getsockopt)(fd, SOL_SOCKET, SO_TYPE, &v, &l) == 0;
}

/* A queue request: VERDICT for packet id of queue, with flags. */
struct qmsg {
	struct nlmsghdr h;
	struct nfgenmsg g;
	struct nlattr a;
	struct nfqnl_msg_verdict_hdr v;
};

static inline struct qmsg verdict_msg(uint16_t queue, uint32_t id, uint16_t flags, uint32_t seq)
{
	struct qmsg m = {
		.h = { .nlmsg_len = sizeof(m),
		       .nlmsg_type = (NFNL_SUBSYS_QUEUE << 8) | NFQNL_MSG_VERDICT,
		       .nlmsg_flags = NLM_F_REQUEST | flags, .nlmsg_seq = seq },
		.g = { .nfgen_family = AF_UNSPEC, .version = NFNETLINK_V0, .res_id = htons(queue) },
		.a = { .nla_len = NLA_HDRLEN + sizeof(struct nfqnl_msg_verdict_hdr),
		       .nla_type = NFQA_VERDICT_HDR },
		.v = { .verdict = htonl(1), .id = htonl(id) },
	};

	return m;
}

#endif
