// SPDX-License-Identifier: GPL-2.0-only
/* The ifindex -> name table from rtnetlink (see links.h). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <libmnl/libmnl.h>
#include <linux/if_link.h>
#include <linux/rtnetlink.h>

#include "links.h"

static void table_set(struct nfqd_links *l, uint32_t ifindex, const char *name)
{
	uint32_t i;

	for (i = 0; i < l->n; i++)
		if (l->v[i].ifindex == ifindex)
			break;
	if (i == l->n) {
		if (l->n == l->cap) {
			uint32_t cap = l->cap ? l->cap * 2 : 32;
			struct nfqd_link *v = realloc(l->v, cap * sizeof(*v));

			if (!v)
				return;
			l->v = v;
			l->cap = cap;
		}
		l->n++;
	}
	l->v[i].ifindex = ifindex;
	snprintf(l->v[i].name, sizeof(l->v[i].name), "%s", name);
}

static void table_del(struct nfqd_links *l, uint32_t ifindex)
{
	for (uint32_t i = 0; i < l->n; i++)
		if (l->v[i].ifindex == ifindex) {
			l->v[i] = l->v[--l->n];
			return;
		}
}

void nfqd_links_apply(struct nfqd_links *l, struct nfqr_ruleset *rs)
{
	for (uint32_t i = 0; i < l->n; i++)
		nfqr_ruleset_ifname_set(rs, l->v[i].ifindex, l->v[i].name);
}

static int attr_cb(const struct nlattr *a, void *data)
{
	const char **name = data;

	if (mnl_attr_get_type(a) == IFLA_IFNAME && mnl_attr_validate(a, MNL_TYPE_NUL_STRING) == 0)
		*name = mnl_attr_get_str(a);
	return MNL_CB_OK;
}

static int link_cb(const struct nlmsghdr *nlh, void *data)
{
	struct nfqd_links *l = data;
	const struct ifinfomsg *ifi = mnl_nlmsg_get_payload(nlh);
	const char *name = NULL;
	struct nfqd_gen *g;

	if (nlh->nlmsg_type != RTM_NEWLINK && nlh->nlmsg_type != RTM_DELLINK)
		return MNL_CB_OK;
	mnl_attr_parse(nlh, sizeof(*ifi), attr_cb, &name);
	pthread_mutex_lock(&l->lock);
	g = l->swap ? atomic_load(&l->swap->cur) : NULL;
	if (nlh->nlmsg_type == RTM_NEWLINK && name) {
		table_set(l, (uint32_t)ifi->ifi_index, name);
		if (g)
			nfqr_ruleset_ifname_set(g->rs, (uint32_t)ifi->ifi_index, name);
	} else if (nlh->nlmsg_type == RTM_DELLINK) {
		table_del(l, (uint32_t)ifi->ifi_index);
		if (g)
			nfqr_ruleset_ifname_del(g->rs, (uint32_t)ifi->ifi_index);
	}
	l->events++;
	pthread_mutex_unlock(&l->lock);
	return MNL_CB_OK;
}

static int recv_all(struct nfqd_links *l, uint32_t seq, int flags)
{
	static char buf[32768];
	ssize_t n;
	int r = MNL_CB_OK;

	while ((n = recv(l->fd, buf, sizeof(buf), flags)) > 0) {
		r = mnl_cb_run(buf, (size_t)n, seq, 0, link_cb, l);
		if (r <= MNL_CB_STOP)
			break;
	}
	return r < 0 ? -errno : 0;
}

int nfqd_links_open(struct nfqd_links *l, struct nfqd_swap *swap)
{
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK, .nl_groups = RTMGRP_LINK };
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *nlh;
	struct rtgenmsg *rt;
	uint32_t seq = (uint32_t)time(NULL);

	memset(l, 0, sizeof(*l));
	pthread_mutex_init(&l->lock, NULL);
	l->swap = swap;
	l->fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
	if (l->fd < 0 || bind(l->fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		return -errno;
	nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = RTM_GETLINK;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
	nlh->nlmsg_seq = seq;
	rt = mnl_nlmsg_put_extra_header(nlh, sizeof(*rt));
	rt->rtgen_family = AF_PACKET;
	if (send(l->fd, nlh, nlh->nlmsg_len, 0) < 0)
		return -errno;
	/* the dump ends with NLMSG_DONE (MNL_CB_STOP); events may interleave */
	return recv_all(l, 0, 0);
}

void nfqd_links_read(struct nfqd_links *l)
{
	recv_all(l, 0, MSG_DONTWAIT);
}

void nfqd_links_close(struct nfqd_links *l)
{
	if (l->fd >= 0)
		close(l->fd);
	l->fd = -1;
	free(l->v);
	l->v = NULL;
	pthread_mutex_destroy(&l->lock);
}
