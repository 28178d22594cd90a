// SPDX-License-Identifier: GPL-2.0
/*
 * udp_tool: traffic for shell tests and the demo.
 *   udp_tool send ADDR PORT COUNT SIZE   sends COUNT datagrams of SIZE bytes
 *   udp_tool recv PORT MS                counts datagrams until MS pass quietly
 *                                        after the first (waited for up to 20 s)
 * recv prints the count; both exit 0 unless a socket call fails.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <netinet/in.h>
#include <sys/socket.h>

static int do_send(const char *addr, int port, int count, int size)
{
	static char buf[65536];
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(port) };
	int s, i;

	if (inet_pton(AF_INET, addr, &a.sin_addr) != 1 || size < 0 ||
	    size > (int)sizeof(buf))
		return 2;
	s = socket(AF_INET, SOCK_DGRAM, 0);
	if (s < 0)
		return 1;
	memset(buf, 'd', size);
	for (i = 0; i < count; i++)
		/* EPERM: a verdict or a queue without listener dropped it */
		if (sendto(s, buf, size, 0, (struct sockaddr *)&a, sizeof(a)) < 0 &&
		    errno != EPERM)
			return 1;
	close(s);
	return 0;
}

static int do_recv(int port, int quiet_ms)
{
	static char buf[65536];
	struct sockaddr_in a = {
		.sin_family = AF_INET, .sin_port = htons(port),
		.sin_addr.s_addr = htonl(INADDR_ANY),
	};
	struct pollfd pfd = { .events = POLLIN };
	long n = 0;

	int big = 32 << 20;

	pfd.fd = socket(AF_INET, SOCK_DGRAM, 0);
	if (pfd.fd < 0 || bind(pfd.fd, (struct sockaddr *)&a, sizeof(a)))
		return 1;
	/* Counting must not lose what a slow receiver could not keep up with. */
	setsockopt(pfd.fd, SOL_SOCKET, SO_RCVBUFFORCE, &big, sizeof(big));
	printf("ready\n");
	fflush(stdout);
	while (poll(&pfd, 1, n ? quiet_ms : 20000) > 0)
		if (recv(pfd.fd, buf, sizeof(buf), 0) >= 0)
			n++;
	printf("%ld\n", n);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc == 6 && !strcmp(argv[1], "send"))
		return do_send(argv[2], atoi(argv[3]), atoi(argv[4]), atoi(argv[5]));
	if (argc == 4 && !strcmp(argv[1], "recv"))
		return do_recv(atoi(argv[2]), atoi(argv[3]));
	fprintf(stderr, "usage: udp_tool send ADDR PORT COUNT SIZE | recv PORT MS\n");
	return 2;
}
