// SPDX-License-Identifier: GPL-2.0
/*
 * nfq_probe: sends one NFQNL_MSG_CONFIG BIND over a NETLINK_NETFILTER socket
 * and prints the kernel's answer ("ack 0" or "ack -ERRNO").  With no backend
 * loaded, this is what makes the kernel ask modprobe for nfnetlink-subsys-3.
 *
 * usage: nfq_probe QUEUE
 * exit:  0 when an answer came back, 1 on a local failure.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <arpa/inet.h>
#include <libmnl/libmnl.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nfnetlink_queue.h>

int main(int argc, char **argv)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nfqnl_msg_config_cmd cmd = { .command = NFQNL_CFG_CMD_BIND };
	struct mnl_socket *nl;
	struct nlmsghdr *nlh;
	struct nfgenmsg *nfg;
	unsigned int seq = time(NULL), portid;
	ssize_t n;
	int ret;

	if (argc != 2) {
		fprintf(stderr, "usage: %s QUEUE\n", argv[0]);
		return 1;
	}

	nl = mnl_socket_open(NETLINK_NETFILTER);
	if (!nl || mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID) < 0) {
		perror("nfq_probe: netlink socket");
		return 1;
	}
	portid = mnl_socket_get_portid(nl);

	nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = (NFNL_SUBSYS_QUEUE << 8) | NFQNL_MSG_CONFIG;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK;
	nlh->nlmsg_seq = seq;
	nfg = mnl_nlmsg_put_extra_header(nlh, sizeof(*nfg));
	nfg->nfgen_family = AF_UNSPEC;
	nfg->version = NFNETLINK_V0;
	nfg->res_id = htons(atoi(argv[1]));
	mnl_attr_put(nlh, NFQA_CFG_CMD, sizeof(cmd), &cmd);

	if (mnl_socket_sendto(nl, nlh, nlh->nlmsg_len) < 0) {
		perror("nfq_probe: send");
		return 1;
	}
	n = mnl_socket_recvfrom(nl, buf, sizeof(buf));
	if (n < 0) {
		perror("nfq_probe: receive");
		return 1;
	}
	ret = mnl_cb_run(buf, n, seq, portid, NULL, NULL);
	printf("ack %d\n", ret < 0 ? -errno : 0);
	mnl_socket_close(nl);
	return 0;
}
