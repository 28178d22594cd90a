// SPDX-License-Identifier: GPL-2.0
/*
 * Tiny TCP bulk transfer for the GSO test (no iperf3/socat needed):
 *   nlq_tcp recv PORT            prints "ready", then the bytes received
 *                                 from one connection until EOF
 *   nlq_tcp send ADDR PORT BYTES  sends BYTES and waits for the peer's close
 */
#include <netinet/in.h>
#include "nlq.h"

int main(int argc, char **argv)
{
	struct sockaddr_in sin = { .sin_family = AF_INET };
	static char buf[65536];
	unsigned long long total = 0;
	int fd, one = 1;
	ssize_t n;

	fd = socket(AF_INET, SOCK_STREAM, 0);
	if (fd < 0)
		nlq_die("socket");
	if (argc == 3 && !strcmp(argv[1], "recv")) {
		int c;

		sin.sin_port = htons(atoi(argv[2]));
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
		if (bind(fd, (struct sockaddr *)&sin, sizeof(sin)) || listen(fd, 1))
			nlq_die("bind/listen");
		puts("ready");
		fflush(stdout);
		c = accept(fd, NULL, NULL);
		if (c < 0)
			nlq_die("accept");
		while ((n = read(c, buf, sizeof(buf))) > 0)
			total += n;
		if (n < 0)
			nlq_die("read");
		printf("%llu\n", total);
		close(c);
		return 0;
	}
	if (argc == 5 && !strcmp(argv[1], "send")) {
		unsigned long long want = strtoull(argv[4], NULL, 10);

		sin.sin_port = htons(atoi(argv[3]));
		inet_pton(AF_INET, argv[2], &sin.sin_addr);
		if (connect(fd, (struct sockaddr *)&sin, sizeof(sin)))
			nlq_die("connect");
		memset(buf, 'g', sizeof(buf));
		while (total < want) {
			size_t k = want - total < sizeof(buf) ? want - total : sizeof(buf);

			n = write(fd, buf, k);
			if (n < 0)
				nlq_die("write");
			total += n;
		}
		shutdown(fd, SHUT_WR);
		/* the receiver closes after reading everything */
		while ((n = read(fd, buf, sizeof(buf))) > 0)
			;
		return 0;
	}
	fprintf(stderr, "usage: nlq_tcp recv PORT | send ADDR PORT BYTES\n");
	return 2;
}
