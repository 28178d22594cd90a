/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Queue configuration: one NFQNL_MSG_CONFIG message per call, through
 * write() (the kernel answers synchronously) or netlink with an ACK. */
#include <errno.h>
#include <string.h>

#include "internal.h"

static const char *what(const struct config_req *c)
{
	if (c->cmd == NFQNL_CFG_CMD_BIND)
		return "binding";
	if (c->cmd == NFQNL_CFG_CMD_UNBIND)
		return "unbinding";
	if (c->params)
		return "setting the copy mode of";
	if (c->maxlen)
		return "setting the maximum length of";
	return "setting the flags of";
}

static int send_config(struct nfqring *h, const struct config_req *c)
{
	unsigned char buf[256];
	size_t len;
	int r;

	nfqring_flush(h);	/* verdicts first: they were issued first */
	if (h->backend == NFQRING_BACKEND_NETLINK) {
		len = msg_config(buf, sizeof(buf), h->seq++, NLM_F_ACK, c);
		r = nl_config(h, buf, len);
	} else {
		len = msg_config(buf, sizeof(buf), h->seq++, 0, c);
		r = tx_write_now(h, buf, len);
	}
	if (r == 0)
		return 0;
	if (r == -EBUSY && c->cmd == NFQNL_CFG_CMD_BIND)
		return seterr(h, r, "binding queue %u: it is bound by another process",
			      c->queue);
	/* another owner (both backends); over netlink also a missing capability */
	if (r == -EPERM && c->cmd == NFQNL_CFG_CMD_BIND)
		return seterr(h, r, "binding queue %u: it is bound by another process%s",
			      c->queue, h->backend == NFQRING_BACKEND_NETLINK ?
			      ", or this one lacks CAP_NET_ADMIN" : "");
	return seterr(h, r, "%s queue %u: %s", what(c), c->queue, strerror(-r));
}

int nfqring_bind(struct nfqring *h, uint16_t queue)
{
	struct config_req c = { .queue = queue, .cmd = NFQNL_CFG_CMD_BIND };
	int r = seen_add(h, queue);	/* allocate before packets can arrive */

	if (r < 0)
		return r;
	r = send_config(h, &c);
	if (r < 0)
		seen_remove(h, queue);
	return r;
}

int nfqring_unbind(struct nfqring *h, uint16_t queue)
{
	struct config_req c = { .queue = queue, .cmd = NFQNL_CFG_CMD_UNBIND };
	int r = send_config(h, &c);

	if (r == 0)
		seen_remove(h, queue);
	return r;
}

int nfqring_set_mode(struct nfqring *h, uint16_t queue, uint8_t mode, uint32_t range)
{
	struct config_req c = { .queue = queue, .params = true, .mode = mode,
				.range = range ? range : 0xffff };

	if (mode > NFQNL_COPY_PACKET)
		return seterr(h, -EINVAL, "copy mode %u: expected NFQNL_COPY_NONE, _META or _PACKET",
			      mode);
	return send_config(h, &c);
}

int nfqring_set_maxlen(struct nfqring *h, uint16_t queue, uint32_t maxlen)
{
	struct config_req c = { .queue = queue, .maxlen = true, .qmaxlen = maxlen };

	return send_config(h, &c);
}

int nfqring_set_flags(struct nfqring *h, uint16_t queue, uint32_t flags, uint32_t mask)
{
	struct config_req c = { .queue = queue, .flags = true, .fvalue = flags, .fmask = mask };

	return send_config(h, &c);
}
