// SPDX-License-Identifier: GPL-2.0-only
/* set_filter: a BPF program over the packets' raw IP, as daq_nfq compiles
 * it (sfbpf).  Packets it does not match pass without the callback and are
 * counted in packets_filtered. */
#include <string.h>

#include "daq_nfqring.h"

int daqnfq_set_filter(void *handle, const char *filter)
{
	struct daqnfq *d = handle;
	struct sfbpf_program fcode;

	memset(&fcode, 0, sizeof(fcode));
	if (sfbpf_compile((int)d->cfg.snaplen, d->datalink, &fcode, filter, 1, 0) < 0)
		return daqnfq_err(d, DAQ_ERROR, "daq_nfqring: the BPF filter '%s' does not "
				  "compile (raw IP: no ether or vlan terms)", filter);
	daqnfq_free_filter(d);
	d->fcode = fcode;
	d->have_filter = true;
	return DAQ_SUCCESS;
}

void daqnfq_free_filter(struct daqnfq *d)
{
	if (d->have_filter)
		sfbpf_freecode(&d->fcode);
	d->have_filter = false;
}
