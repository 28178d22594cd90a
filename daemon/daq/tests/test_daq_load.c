// SPDX-License-Identifier: GPL-2.0-only
/*
 * The built daq_nfqring.so as Snort finds it: libdaq loads it from a module
 * directory (next to Debian's daq_nfq.so), finds it by name, and its
 * daq_initialize() refuses what it must with the module's message.  On a
 * host without /dev/nfqring (this one never loads the module) initialize
 * says how to load it.
 */
#include <daq.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tap.h"

#define DEBIAN_DAQ_DIR "/usr/lib/x86_64-linux-gnu/daq"

static char err[256];	/* DAQ_ERRBUF_SIZE, of daq_api.h */

static int init(const DAQ_Module_t *m, DAQ_Config_t *c, void **h)
{
	err[0] = 0;
	*h = NULL;
	return daq_initialize(m, c, h, err, sizeof(err));
}

int main(int argc, char **argv)
{
	char self[PATH_MAX], so[PATH_MAX + 32], dir[] = "/tmp/daq-load-XXXXXX", link[PATH_MAX + 32];
	const char *dirs[] = { dir, DEBIAN_DAQ_DIR, NULL };
	const DAQ_Module_t *m, *nfq;
	DAQ_Config_t c;
	void *h;
	int r;

	(void)argc;
	/* build/tests[-san]/daq/test_daq_load -> build/daq_nfqring.so */
	snprintf(self, sizeof(self), "%s", argv[0]);
	snprintf(so, sizeof(so), "%s/../../daq_nfqring.so", dirname(self));
	if (!realpath(so, self) || !mkdtemp(dir)) {
		ok(0, "build/daq_nfqring.so is there (%s)", so);
		return tap_done();
	}
	/* a directory of its own: the build directory holds other .so files */
	snprintf(link, sizeof(link), "%s/daq_nfqring.so", dir);
	if (symlink(self, link) < 0) {
		ok(0, "symlink into %s", dir);
		return tap_done();
	}
	daq_set_verbosity(0);
	r = daq_load_modules(dirs);
	unlink(link);
	rmdir(dir);
	is_int(r, DAQ_SUCCESS, "daq_load_modules: ours and Debian's directory");
	m = daq_find_module("nfqring");
	nfq = daq_find_module("nfq");
	ok(m != NULL, "daq_find_module(\"nfqring\")");
	ok(nfq != NULL, "daq_find_module(\"nfq\"): Debian's, for the VM tests' comparison");
	if (!m)
		return tap_done();
	ok((daq_get_type(m) & (DAQ_TYPE_INLINE_CAPABLE | DAQ_TYPE_INTF_CAPABLE)) ==
	   (DAQ_TYPE_INLINE_CAPABLE | DAQ_TYPE_INTF_CAPABLE), "inline capable, as daq_nfq");

	memset(&c, 0, sizeof(c));
	c.mode = DAQ_MODE_INLINE;
	c.snaplen = 1518;
	daq_config_set_value(&c, "queue", "0");
	daq_config_set_value(&c, "bogus", "1");
	r = init(m, &c, &h);
	ok(r == DAQ_ERROR_INVAL && strstr(err, "daq_nfqring: unknown variable 'bogus'"),
	   "--daq-var bogus=1: '%s'", err);
	if (nfq && init(nfq, &c, &h) != DAQ_SUCCESS)
		printf("# daq_nfq says: %s", err);	/* its messages end in \n */
	daq_config_clear_values(&c);

	daq_config_set_value(&c, "queue", "65536");
	r = init(m, &c, &h);
	ok(r == DAQ_ERROR_INVAL && strstr(err, "bad queue '65536'"), "queue=65536: '%s'", err);
	daq_config_clear_values(&c);

	c.name = "eth0";
	r = init(m, &c, &h);
	ok(r != DAQ_SUCCESS && strstr(err, "got 'eth0'"), "-i eth0: '%s'", err);
	c.name = NULL;

	c.mode = DAQ_MODE_READ_FILE;
	r = init(m, &c, &h);
	ok(r != DAQ_SUCCESS, "file mode refused: '%s'", err);
	c.mode = DAQ_MODE_INLINE;

	if (access("/dev/nfqring", F_OK) == 0) {
		ok(1, "# SKIP /dev/nfqring exists here");
	} else {
		r = init(m, &c, &h);
		ok(r == DAQ_ERROR_NODEV && strstr(err, "load the module with 'modprobe nfqring'"),
		   "no module: '%s'", err);
	}
	daq_unload_modules();
	return tap_done();
}
