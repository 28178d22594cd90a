// SPDX-License-Identifier: GPL-2.0-only
/* daq_nfqring's variables: defaults, every variable read, and the refusals
 * (unknown variable, bad values, an interface name, file mode) with a
 * message that names the variable and what would do. */
#include <stdio.h>
#include <string.h>

#include "daq_nfqring.h"
#include "daq_test.h"
#include "tap.h"

static char err[DAQ_ERRBUF_SIZE];

static int parse(struct dt_config *t, struct daqnfq_cfg *cfg)
{
	err[0] = 0;
	return daqnfq_parse_config(&t->c, cfg, err, sizeof(err));
}

/* parse a configuration of one variable; expect a refusal mentioning want */
static void refused(const char *key, const char *value, const char *want)
{
	struct dt_config t;
	struct daqnfq_cfg cfg;
	int r;

	dt_init(&t, 0);
	dt_var(&t, key, value);
	r = parse(&t, &cfg);
	ok(r == DAQ_ERROR_INVAL && strstr(err, want) && !strncmp(err, "daq_nfqring: ", 13),
	   "%s=%s refused: '%s'", key, value ? value : "(none)", err);
}

static void test_defaults(void)
{
	struct dt_config t;
	struct daqnfq_cfg cfg;

	dt_init(&t, 250);
	is_int(parse(&t, &cfg), 0, "no variables: accepted");
	ok(cfg.queue == 0 && cfg.proto == DAQNFQ_IP4 && cfg.queue_len == 0,
	   "daq_nfq's defaults: queue 0, ip4, the kernel's queue length");
	ok(cfg.copy_range == NFQRING_MAX_COPY_RANGE, "whole packets copied");
	ok(cfg.frames == NFQRING_DEFAULT_RX_FRAMES && cfg.frame_size == NFQRING_DEFAULT_RX_FRAME,
	   "ring: %u frames of %u", cfg.frames, cfg.frame_size);
	ok(cfg.tx_frames == NFQRING_DEFAULT_TX_FRAMES && cfg.tx_frame_size == 4096,
	   "TX ring: %u frames of %u (an MTU-sized replacement fits)", cfg.tx_frames,
	   cfg.tx_frame_size);
	ok(!cfg.fail_open && !cfg.gso && !cfg.passive && !cfg.set_wait, "flags off, inline");
	ok(cfg.whitelist_mark == 0x10000000 && cfg.blacklist_mark == 0x20000000,
	   "connmark bits 0x10000000 (whitelist) and 0x20000000 (blacklist)");
	ok(cfg.snaplen == 1518 && cfg.timeout_ms == 250, "snaplen and timeout from the DAQ");
	is_int(cfg.burst, DAQNFQ_DEFAULT_BURST, "burst");

	t.c.snaplen = 0;
	t.c.mode = DAQ_MODE_PASSIVE;
	parse(&t, &cfg);
	ok(cfg.snaplen == 65535 && cfg.passive, "snaplen 0 means 65535; passive mode");
}

static void test_every_variable(void)
{
	struct dt_config t;
	struct daqnfq_cfg cfg;

	dt_init(&t, 0);
	dt_var(&t, "queue", "65535");
	dt_var(&t, "proto", "IP6");
	dt_var(&t, "queue_len", "4096");
	dt_var(&t, "device", "eth1");
	dt_var(&t, "copy_range", "128");
	dt_var(&t, "frames", "64");
	dt_var(&t, "frame_size", "2048");
	dt_var(&t, "tx_frames", "32");
	dt_var(&t, "tx_frame_size", "512");
	dt_var(&t, "burst", "16");
	dt_var(&t, "fail_open", "yes");
	dt_var(&t, "gso", "on");
	dt_var(&t, "spin_us", "0");
	dt_var(&t, "wake_nr", "8");
	dt_var(&t, "max_delay_us", "50");
	dt_var(&t, "idle_us", "100");
	dt_var(&t, "whitelist_mark", "0x1");
	dt_var(&t, "blacklist_mark", "0");
	is_int(parse(&t, &cfg), 0, "every variable: accepted (%s)", err);
	ok(cfg.queue == 65535 && cfg.proto == DAQNFQ_IP6 && cfg.queue_len == 4096 &&
	   !strcmp(cfg.device, "eth1"), "queue, proto (any case), queue_len, device");
	ok(cfg.copy_range == 128 && cfg.frames == 64 && cfg.frame_size == 2048 &&
	   cfg.tx_frames == 32 && cfg.tx_frame_size == 512 && cfg.burst == 16,
	   "copy_range, frames, frame_size, tx_frames, tx_frame_size, burst");
	ok(cfg.fail_open && cfg.gso, "fail_open, gso");
	ok(cfg.set_wait && cfg.wait.spin_us == NFQRING_NO_SPIN && cfg.wait.wake_nr == 8 &&
	   cfg.wait.max_delay_us == 50, "wait policy: spin_us=0 is no spin, wake_nr, max_delay_us");
	is_int(cfg.idle_us, 100, "idle_us");
	ok(cfg.whitelist_mark == 1 && cfg.blacklist_mark == 0, "marks in hex; 0 turns one off");
	dt_init(&t, 0);
	dt_var(&t, "idle_us", "OFF");
	parse(&t, &cfg);
	ok(cfg.idle_us == NFQRING_WAKE_IDLE_OFF && !cfg.set_wait, "idle_us=off, on its own");

	dt_init(&t, 0);
	dt_var(&t, "proto", "ip");
	dt_var(&t, "gso", "1");
	parse(&t, &cfg);
	ok(cfg.proto == DAQNFQ_IP, "proto=ip: both families");
	ok(cfg.frame_size == nfqring_frame_size_for(NFQRING_MAX_COPY_RANGE) && cfg.frames == 256,
	   "gso: frames fit a 64 KiB packet (%u of %u)", cfg.frames, cfg.frame_size);
	dt_init(&t, 0);
	dt_var(&t, "copy_range", "100");
	parse(&t, &cfg);
	is_int(cfg.frame_size, nfqring_frame_size_for(100), "a short copy range: smaller frames");
}

static void test_refusals(void)
{
	struct dt_config t;
	struct daqnfq_cfg cfg;

	refused("bogus", "1", "unknown variable 'bogus' (known: queue, proto, queue_len");
	refused("queue", NULL, "variable 'queue' needs a value");
	refused("queue", "", "variable 'queue' needs a value");
	refused("queue", "65536", "bad queue '65536': a queue number 0-65535");
	refused("queue", "-1", "bad queue '-1'");
	refused("queue", "1x", "bad queue '1x'");
	refused("queue", "abc", "bad queue 'abc'");
	refused("queue", " 1", "bad queue ' 1'");
	refused("queue", "0x10", "bad queue '0x10'");
	refused("queue_len", "0", "bad queue_len '0'");
	refused("proto", "ipx", "bad proto 'ipx': ip4, ip6 or ip");
	refused("fail_open", "maybe", "bad fail_open 'maybe': 1 or 0");
	refused("gso", "2", "bad gso '2'");
	refused("copy_range", "65532", "bad copy_range '65532': bytes 1-65531");
	refused("frames", "0", "bad frames '0'");
	refused("frame_size", "2050", "bad frame_size 2050: a multiple of 4");
	refused("frame_size", "16", "bad frame_size 16: at least");
	refused("tx_frame_size", "1026", "bad tx_frame_size 1026");
	refused("burst", "0", "bad burst '0'");
	refused("whitelist_mark", "0x100000000", "bad whitelist_mark");
	refused("spin_us", "x", "bad spin_us 'x'");
	refused("wake_nr", "0", "bad wake_nr '0'");
	refused("idle_us", "0", "bad idle_us '0': microseconds 1-100000, or off");
	refused("idle_us", "100001", "bad idle_us '100001'");
	refused("device", "a-name-longer-than-any-interface-name-is-allowed-to-be-0123456789",
		"bad device");

	dt_init(&t, 0);
	dt_var(&t, "whitelist_mark", "0x3");
	dt_var(&t, "blacklist_mark", "0x2");
	ok(parse(&t, &cfg) == DAQ_ERROR_INVAL && strstr(err, "share bits"),
	   "overlapping marks refused: '%s'", err);

	dt_init(&t, 0);
	t.c.name = "eth0";
	ok(parse(&t, &cfg) == DAQ_ERROR_INVAL && strstr(err, "got 'eth0'") &&
	   strstr(err, "--daq-var queue=N"), "an interface name refused: '%s'", err);
	dt_init(&t, 0);
	t.c.name = "";
	is_int(parse(&t, &cfg), 0, "an empty name is no name");
	dt_init(&t, 0);
	t.c.mode = DAQ_MODE_READ_FILE;
	ok(parse(&t, &cfg) == DAQ_ERROR_INVAL && strstr(err, "does not read files"),
	   "file mode refused: '%s'", err);
	/* the first bad variable stops the parse, whatever follows */
	dt_init(&t, 0);
	dt_var(&t, "queue", "5");
	dt_var(&t, "nope", "1");
	ok(parse(&t, &cfg) == DAQ_ERROR_INVAL && strstr(err, "'nope'"), "one bad among good");
}

int main(void)
{
	test_defaults();
	test_every_variable();
	test_refusals();
	return tap_done();
}
