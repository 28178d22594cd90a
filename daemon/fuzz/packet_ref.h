/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* fuzz/packet_ref.c: the oracle for lib/packet.c's packet_parse() */
#ifndef PACKET_REF_H
#define PACKET_REF_H

#include "nfqring.h"

int ref_packet_parse(const void *msg, size_t len, struct nfqring_packet *pkt);

#endif
