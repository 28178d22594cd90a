/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * daq_nfqring's figures beyond DAQ_Stats_t.  A program that knows it drives
 * daq_nfqring may look the function up in the module (dlsym() of
 * "daq_nfqring_get_ring_stats" on the handle libdaq loaded) and call it with
 * the instance handle daq_initialize() returned.
 */
#ifndef DAQ_NFQRING_STATS_H
#define DAQ_NFQRING_STATS_H

#include <dlfcn.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

struct daq_nfqring_ring_stats {
	uint64_t packets;		/* handed out by the ring (or read()) */
	uint64_t copies;		/* of them, too big for a frame: read() (COPY) */
	uint64_t overruns;		/* packets that found the ring full (kernel) */
	uint64_t fail_open;		/* of them, accepted unseen (fail_open=1) */
	uint64_t backlog_drops;		/* COPY messages the read() backlog refused */
	uint64_t bursts;		/* bursts with at least one packet */
	uint64_t batches;		/* batch verdict messages */
	uint64_t singles;		/* single verdict messages */
	uint64_t flushes;		/* verdict flush system calls */
	uint64_t verdicts_refused;	/* verdicts the kernel refused */
	uint64_t replace_refused;	/* REPLACE of a truncated copy: passed unchanged */
	uint64_t stop_dropped;		/* held at stop, never analysed: dropped */
	uint64_t bad_msgs;		/* malformed messages skipped */
};

typedef int (*daq_nfqring_get_ring_stats_fn)(void *handle, struct daq_nfqring_ring_stats *s);
#define DAQ_NFQRING_RING_STATS_SYMBOL "daq_nfqring_get_ring_stats"

/*
 * For a driver: the figures of @handle, through the module libdaq loaded
 * from @dir/daq_@name.so (never loads a second copy; libdaq loads every
 * module of the directory, so only the one in use is asked).  0 on success;
 * -1 (and *@s zeroed) when it is not loaded or has no such function.
 */
static inline int daq_nfqring_ring_stats_from(const char *dir, const char *name,
					      void *handle,
					      struct daq_nfqring_ring_stats *s)
{
	daq_nfqring_get_ring_stats_fn fn;
	char path[4096];
	void *so;
	int r = -1;

	memset(s, 0, sizeof(*s));
	snprintf(path, sizeof(path), "%s/daq_%s.so", dir, name);
	so = dlopen(path, RTLD_NOW | RTLD_NOLOAD);
	if (!so)
		return -1;
	fn = (daq_nfqring_get_ring_stats_fn)dlsym(so, DAQ_NFQRING_RING_STATS_SYMBOL);
	if (fn && fn(handle, s) == 0)
		r = 0;
	dlclose(so);
	return r;
}

#endif
