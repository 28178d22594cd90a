// SPDX-License-Identifier: GPL-2.0
/*
 * holder: keeps a reference that must pin the module, until stdin closes.
 *   holder map       an RX ring mapped, the file itself already closed
 *   holder netlink   a queue (42) bound over a NETLINK_NETFILTER socket
 * Prints "held" once the reference exists.
 */
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <linux/netlink.h>
#include <linux/nfqring.h>
#include <libmnl/libmnl.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nfnetlink_queue.h>
#include <arpa/inet.h>

static int hold_map(void)
{
	struct nl_mmap_req req = {
		.nm_block_size = 4096, .nm_block_nr = 1,
		.nm_frame_size = 2048, .nm_frame_nr = 2,
	};
	int fd = open(NFQRING_DEVICE, O_RDWR);
	void *p;

	if (fd < 0 || ioctl(fd, NFQRING_SET_RX_RING, &req))
		return 1;
	p = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (p == MAP_FAILED)
		return 1;
	close(fd);	/* the mapping alone holds the file now */
	printf("held\n");
	fflush(stdout);
	while (getchar() != EOF)
		;
	munmap(p, 4096);
	return 0;
}

static int hold_netlink(void)
{
	struct nfqnl_msg_config_cmd cmd = { .command = NFQNL_CFG_CMD_BIND };
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct mnl_socket *nl = mnl_socket_open(NETLINK_NETFILTER);
	struct nlmsghdr *nlh;
	struct nfgenmsg *nfg;

	if (!nl || mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID) < 0)
		return 1;
	nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = (NFNL_SUBSYS_QUEUE << 8) | NFQNL_MSG_CONFIG;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK;
	nlh->nlmsg_seq = 1;
	nfg = mnl_nlmsg_put_extra_header(nlh, sizeof(*nfg));
	nfg->nfgen_family = AF_UNSPEC;
	nfg->version = NFNETLINK_V0;
	nfg->res_id = htons(42);
	mnl_attr_put(nlh, NFQA_CFG_CMD, sizeof(cmd), &cmd);
	if (mnl_socket_sendto(nl, nlh, nlh->nlmsg_len) < 0)
		return 1;
	if (mnl_cb_run(buf, mnl_socket_recvfrom(nl, buf, sizeof(buf)), 1,
		       mnl_socket_get_portid(nl), NULL, NULL) < 0)
		return 1;
	printf("held\n");
	fflush(stdout);
	while (getchar() != EOF)
		;
	mnl_socket_close(nl);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc == 2 && !strcmp(argv[1], "map"))
		return hold_map();
	if (argc == 2 && !strcmp(argv[1], "netlink"))
		return hold_netlink();
	fprintf(stderr, "usage: holder map|netlink\n");
	return 2;
}
