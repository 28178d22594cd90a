// SPDX-License-Identifier: GPL-2.0-only
/*
 * inject: a whole IP packet (header included) sent through a raw socket,
 * IPv4 or IPv6 by its version nibble, routed like any local packet - what
 * daq_nfq does with libdnet's ip_send().  `reverse` changes nothing: the
 * caller built the packet with the addresses it wants.  With
 * --daq-var device=IF the sockets are bound to that interface.
 */
#include <errno.h>
#include <netinet/in.h>
#include <netinet/ip.h>
#include <netinet/ip6.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "daq_nfqring.h"

static int raw_socket(int family, const char *device)
{
	int fd = socket(family, SOCK_RAW | SOCK_CLOEXEC, IPPROTO_RAW);

	if (fd >= 0 && *device &&
	    setsockopt(fd, SOL_SOCKET, SO_BINDTODEVICE, device, (socklen_t)strlen(device)) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

int daqnfq_inject_open(struct daqnfq *d, char *errbuf, size_t len)
{
	d->inject4 = raw_socket(AF_INET, d->cfg.device);
	d->inject6 = raw_socket(AF_INET6, d->cfg.device);
	if (d->inject4 < 0 && d->inject6 < 0) {
		if (errbuf)
			snprintf(errbuf, len, "daq_nfqring: no raw IP socket for inject: %s",
				 strerror(errno));
		return DAQ_ERROR;
	}
	return DAQ_SUCCESS;
}

void daqnfq_inject_close(struct daqnfq *d)
{
	if (d->inject4 >= 0)
		close(d->inject4);
	if (d->inject6 >= 0)
		close(d->inject6);
	d->inject4 = d->inject6 = -1;
}

int daqnfq_inject(void *handle, const DAQ_PktHdr_t *hdr, const uint8_t *data,
		  uint32_t len, int reverse)
{
	struct daqnfq *d = handle;
	struct sockaddr_storage to;
	socklen_t tolen;
	int fd;

	(void)hdr;
	(void)reverse;
	memset(&to, 0, sizeof(to));
	if (len >= sizeof(struct ip) && data[0] >> 4 == 4) {
		struct sockaddr_in *s = (struct sockaddr_in *)&to;

		s->sin_family = AF_INET;
		memcpy(&s->sin_addr, data + offsetof(struct ip, ip_dst), sizeof(s->sin_addr));
		tolen = sizeof(*s);
		fd = d->inject4;
	} else if (len >= sizeof(struct ip6_hdr) && data[0] >> 4 == 6) {
		struct sockaddr_in6 *s = (struct sockaddr_in6 *)&to;

		s->sin6_family = AF_INET6;
		memcpy(&s->sin6_addr, data + offsetof(struct ip6_hdr, ip6_dst),
		       sizeof(s->sin6_addr));
		tolen = sizeof(*s);
		fd = d->inject6;
	} else {
		return daqnfq_err(d, DAQ_ERROR_INVAL, "daq_nfqring: inject: %u bytes are not "
				  "an IPv4 or IPv6 packet", len);
	}
	if (fd < 0)
		return daqnfq_err(d, DAQ_ERROR_NOTSUP, "daq_nfqring: inject: no raw IPv%c socket "
				  "(CAP_NET_RAW is needed)", data[0] >> 4 == 4 ? '4' : '6');
	if (sendto(fd, data, len, 0, (struct sockaddr *)&to, tolen) != (ssize_t)len)
		return daqnfq_err(d, DAQ_ERROR, "daq_nfqring: inject: %s", strerror(errno));
	d->stats.packets_injected++;
	return DAQ_SUCCESS;
}
