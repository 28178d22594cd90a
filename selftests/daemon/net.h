/* SPDX-License-Identifier: GPL-2.0 */
/* The test world: a private network namespace, an nft rule queueing UDP to
 * TEST_PORT at the output hook on loopback, and the UDP sockets at both ends. */
#ifndef NFQR_E2E_NET_H
#define NFQR_E2E_NET_H

#include <stddef.h>
#include <stdint.h>

#define TEST_PORT	9999
/* data bytes of a datagram: a 4-byte sequence number, then a pattern */
#define DATA_FILL	0x5a

/* Enter a new network namespace with lo up.  0 or -errno. */
int netns_enter(void);
/* Run nft with rules on stdin.  0 or -1. */
int nft(const char *rules);
/* Queue UDP to TEST_PORT to queue 0 (output hook, priority 0); extra is
 * appended inside the table (more chains).  0 or -1. */
int nft_queue_udp(const char *extra);
/* The receiver (non-blocking) and the sender (non-blocking, big buffer). */
int udp_receiver(void);
int udp_sender(void);
/* Send datagram number seq of len bytes (len >= 4).  0, or -errno (EAGAIN). */
int udp_send_one(int s, uint32_t seq, size_t len);
/* Wait up to ms for one datagram; its length, 0 on timeout, -errno. */
int udp_recv_one(int s, void *buf, size_t cap, int ms);
/* Sequence number of datagram data (first four bytes, network order). */
uint32_t data_seq(const void *data);
/* /proc/net/netfilter/nfnetlink_queue figures of queue q: -1 if absent. */
int queue_stats(unsigned int q, long *total, long *dropped, long *user_dropped);
/* The peer_portid of queue q (0: bound through /dev/nfqring), -1 if absent. */
long queue_portid(unsigned int q);

#endif
