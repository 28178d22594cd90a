/* SPDX-License-Identifier: GPL-2.0-only */
/* nfqringd --test: the interface name and direction of each packet of a
 * pcapng capture (its interface description blocks and epb_flags), which
 * libpcap reads but does not hand over: the file is followed a second time,
 * packet block by packet block, in step with libpcap. */
#ifndef NFQD_PCAPNG_H
#define NFQD_PCAPNG_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

struct nfqd_pcapng;

/* NULL when path is not a pcapng file (a pcap file, standard input). */
struct nfqd_pcapng *nfqd_pcapng_open(const char *path);
/* The next packet's interface name ("" when the capture does not name it)
 * and direction (1 inbound, 2 outbound, 0 unknown); false at the end of
 * the file or where it is damaged. */
bool nfqd_pcapng_next(struct nfqd_pcapng *p, char name[16], int *dir);
void nfqd_pcapng_close(struct nfqd_pcapng *p);

#endif
