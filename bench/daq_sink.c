// SPDX-License-Identifier: GPL-2.0
/*
 * daq_sink: the benchmark's consumer through Snort's libdaq 2, the same
 * driver for every DAQ module (bench/guest.sh, BENCH_DAQ): the module
 * loaded from one directory, initialized inline on a queue, started, and
 * daq_acquire() with a trivial analysis callback that returns PASS, until
 * SIGTERM; then one line of key=value figures, as nfq_sink prints.
 *
 *   daq_sink -m MODULE -d DIR [-v KEY=VALUE]... QUEUE SNAPLEN
 *
 * MODULE is a DAQ module name ("nfq": Debian's daq_nfq.so, "nfqring":
 * daq_nfqring.so), DIR the directory libdaq loads it from (every .so in
 * it is loaded: give a directory of DAQ modules only), -v a DAQ variable.
 * The configuration is what Snort 2.9 gives a module in inline mode:
 * snaplen SNAPLEN, a 1000 ms timeout, everything else the module's own
 * defaults (queue length, ring sizes, copy range: both copy whole packets).
 *
 * The callback counts the packets and their bytes and reads each packet's
 * first byte (an IP version; not_ip counts those that have none), as any
 * analysis does before it decides.  Figures printed, for guest.sh's
 * sink_stop: packets (callbacks), bytes, errors (acquire errors, callbacks
 * the module did not count as PASS verdicts, and with daq_nfqring its
 * overruns, refused verdicts, malformed messages and packets dropped unseen
 * at stop), copies (daq_nfqring's COPY fallbacks), batches, recv_calls and
 * verdict_calls: for daq_nfq one receive and one verdict per packet (what it
 * does: recv() of one message, nfq_set_verdict()), for daq_nfqring its
 * bursts and verdict flushes (the ring needs no receive call; the waits on
 * an empty ring are not counted); then the module's DAQ_Stats_t.
 */
#include <daq.h>
#include <errno.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/resource.h>

#include "../daemon/daq/daq_nfqring_stats.h"

static const DAQ_Module_t *mod;
static void *volatile handle;
static volatile sig_atomic_t stop;

struct figures {
	uint64_t packets, bytes, not_ip, acquire_errors;
};

static void usage(void)
{
	fprintf(stderr, "usage: daq_sink -m MODULE -d DIR [-v KEY=VALUE]... QUEUE SNAPLEN\n");
	exit(2);
}

/*
 * SIGTERM: stop, and break the acquire loop.  A breakloop can land just
 * before daq_acquire() starts again, which forgets it (both modules reset
 * their loop state on entry) and then waits for a packet that will not
 * come: SIGALRM repeats the breakloop every second, and interrupts the
 * wait (no SA_RESTART), until the loop has left.
 */
static void on_signal(int sig)
{
	int saved = errno;

	stop = 1;
	(void)sig;
	if (handle)
		daq_breakloop(mod, handle);
	alarm(1);
	errno = saved;
}

static DAQ_Verdict analyse(void *user, const DAQ_PktHdr_t *hdr, const uint8_t *data)
{
	struct figures *f = user;

	f->packets++;
	f->bytes += hdr->pktlen;
	if (!hdr->caplen || ((data[0] >> 4) != 4 && (data[0] >> 4) != 6))
		f->not_ip++;
	return DAQ_VERDICT_PASS;
}

int main(int argc, char **argv)
{
	DAQ_Config_t cfg = { .timeout = 1000, .mode = DAQ_MODE_INLINE };
	const char *name = NULL, *dirs[2] = { NULL, NULL };
	struct daq_nfqring_ring_stats rs;
	struct figures f = { 0 };
	struct sigaction sa = { .sa_handler = on_signal };
	struct rusage ru;
	DAQ_Stats_t st = { 0 };
	uint64_t errors, recv_calls, verdict_calls, batches;
	char err[512], q[8], *end;
	unsigned long queue;
	int o, ring, r;
	void *h;

	setvbuf(stdout, NULL, _IOLBF, 0);
	while ((o = getopt(argc, argv, "m:d:v:")) != -1) {
		char *eq;

		switch (o) {
		case 'm':
			name = optarg;
			break;
		case 'd':
			dirs[0] = optarg;
			break;
		case 'v':
			eq = strchr(optarg, '=');
			if (!eq || eq == optarg)
				usage();
			*eq = 0;
			daq_config_set_value(&cfg, optarg, eq + 1);
			break;
		default:
			usage();
		}
	}
	if (!name || !dirs[0] || argc - optind != 2)
		usage();
	queue = strtoul(argv[optind], &end, 10);
	if (*end || queue > 65535)
		usage();
	cfg.snaplen = atoi(argv[optind + 1]);
	if (cfg.snaplen <= 0)
		usage();
	snprintf(q, sizeof(q), "%lu", queue);
	daq_config_set_value(&cfg, "queue", q);

	daq_set_verbosity(0);
	if (daq_load_modules(dirs) != DAQ_SUCCESS || !(mod = daq_find_module(name))) {
		fprintf(stderr, "daq_sink: no DAQ module '%s' in %s\n", name, dirs[0]);
		return 1;
	}
	err[0] = 0;
	if (daq_initialize(mod, &cfg, &h, err, sizeof(err)) != DAQ_SUCCESS) {
		fprintf(stderr, "daq_sink: daq_initialize: %s\n", err);
		return 1;
	}
	daq_config_clear_values(&cfg);
	handle = h;
	/* no SA_RESTART: the signals end a blocking wait */
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGALRM, &sa, NULL);
	if (daq_start(mod, h) != DAQ_SUCCESS) {
		fprintf(stderr, "daq_sink: daq_start: %s\n", daq_get_error(mod, h));
		return 1;
	}
	printf("ready\n");
	while (!stop) {
		r = daq_acquire(mod, h, 0, analyse, &f);
		if (r != DAQ_SUCCESS && !stop) {
			if (!f.acquire_errors)
				fprintf(stderr, "daq_sink: daq_acquire: %d %s\n", r,
					daq_get_error(mod, h));
			if (++f.acquire_errors > 100000)
				break;	/* it will not recover */
		}
	}
	alarm(0);
	daq_get_stats(mod, h, &st);
	if (daq_stop(mod, h) != DAQ_SUCCESS)
		fprintf(stderr, "daq_sink: daq_stop: %s\n", daq_get_error(mod, h));
	/* after stop, which counts stop_dropped */
	ring = !daq_nfqring_ring_stats_from(dirs[0], name, h, &rs);
	handle = NULL;
	daq_shutdown(mod, h);
	daq_unload_modules();

	errors = f.acquire_errors;
	if (f.packets != st.verdicts[DAQ_VERDICT_PASS]) {
		fprintf(stderr, "daq_sink: %llu callbacks, the module counted %llu PASS verdicts\n",
			(unsigned long long)f.packets,
			(unsigned long long)st.verdicts[DAQ_VERDICT_PASS]);
		errors += f.packets > st.verdicts[DAQ_VERDICT_PASS] ?
			  f.packets - st.verdicts[DAQ_VERDICT_PASS] :
			  st.verdicts[DAQ_VERDICT_PASS] - f.packets;
	}
	if (ring) {
		errors += rs.overruns + rs.verdicts_refused + rs.bad_msgs + rs.stop_dropped;
		batches = rs.bursts;
		recv_calls = 0;
		verdict_calls = rs.flushes;
	} else {
		batches = recv_calls = st.hw_packets_received;
		verdict_calls = f.packets;
	}
	getrusage(RUSAGE_SELF, &ru);
	printf("packets=%llu bytes=%llu copies=%llu batches=%llu recv_calls=%llu "
	       "verdict_calls=%llu errors=%llu not_ip=%llu received=%llu hw_received=%llu "
	       "hw_dropped=%llu pass=%llu vcsw=%ld ivcsw=%ld utime_us=%ld stime_us=%ld\n",
	       (unsigned long long)f.packets, (unsigned long long)f.bytes,
	       (unsigned long long)(ring ? rs.copies : 0), (unsigned long long)batches,
	       (unsigned long long)recv_calls, (unsigned long long)verdict_calls,
	       (unsigned long long)errors, (unsigned long long)f.not_ip,
	       (unsigned long long)st.packets_received,
	       (unsigned long long)st.hw_packets_received,
	       (unsigned long long)st.hw_packets_dropped,
	       (unsigned long long)st.verdicts[DAQ_VERDICT_PASS], ru.ru_nvcsw, ru.ru_nivcsw,
	       ru.ru_utime.tv_sec * 1000000 + ru.ru_utime.tv_usec,
	       ru.ru_stime.tv_sec * 1000000 + ru.ru_stime.tv_usec);
	return 0;
}
