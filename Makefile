# nfqring: top-level build.  `make` builds the module for one kernel and all
# userspace parts; `make check` runs every test; `make demo` shows the main
# job.  See README.md.

VERSION := $(shell cat VERSION)
BUILD := $(CURDIR)/build
LINUX_SOURCE ?= /usr/src/linux-source-6.1.tar.xz

# The kernel to build the module for: KVER=<release> or KDIR=<dir>, else the
# running kernel if its headers are installed, else the newest tested kernel
# installed here (a sandbox's own kernel often has no headers at all).
ifeq ($(origin KVER),undefined)
  ifneq ($(wildcard /lib/modules/$(shell uname -r)/build),)
    KVER := $(shell uname -r)
  else
    KVER := $(firstword $(shell scripts/kernels 2>/dev/null))
  endif
endif
KDIR ?= /lib/modules/$(KVER)/build
MODULE_BUILD := $(BUILD)/kmod/$(or $(KVER),unknown)

all: module userspace

# Kbuild runs in a copy of the sources under build/, one per kernel, so the
# tree stays clean and two kernels can be built side by side.
module:
	@if [ ! -d "$(KDIR)/" ]; then \
		echo "No kernel headers at '$(KDIR)'. Run 'make deps' (installs Debian's 6.1 and 6.12" >&2; \
		echo "kernels with headers), or pass KVER=<release> or KDIR=<dir>." >&2; \
		exit 1; \
	fi
	@mkdir -p $(MODULE_BUILD)
	@cp -a --update Kbuild VERSION kmod include $(MODULE_BUILD)/
	$(MAKE) -C $(KDIR) M=$(MODULE_BUILD) modules
	@echo "built $(MODULE_BUILD)/kmod/nfqring.ko for $(KVER)"

# The test build: the same sources with kmod/testing.h's hooks (counters
# near their wrap, race windows tests can widen), for the selftests only;
# never installed by DKMS.
MODULE_TEST_BUILD := $(BUILD)/kmod-test/$(or $(KVER),unknown)
module-test:
	@mkdir -p $(MODULE_TEST_BUILD)
	@cp -a --update Kbuild VERSION kmod include $(MODULE_TEST_BUILD)/
	$(MAKE) -C $(KDIR) M=$(MODULE_TEST_BUILD) NFQR_TEST_BUILD=y modules
	@echo "built $(MODULE_TEST_BUILD)/kmod/nfqring.ko (test build) for $(KVER)"

userspace: selftests daemon

# kselftest_harness.h, kselftest.h and checkpatch.pl are used at build time
# from Debian's linux-source-6.1 package, never copied into the tree.
KSFT_STAMP := $(BUILD)/ksft/.extracted
$(KSFT_STAMP): $(LINUX_SOURCE)
	@rm -rf $(BUILD)/ksft && mkdir -p $(BUILD)/ksft/scripts
	tar -xJf $(LINUX_SOURCE) -C $(BUILD)/ksft --strip-components=1 \
		linux-source-6.1/tools/testing/selftests/kselftest_harness.h \
		linux-source-6.1/tools/testing/selftests/kselftest.h \
		linux-source-6.1/scripts/checkpatch.pl \
		linux-source-6.1/scripts/spelling.txt \
		linux-source-6.1/scripts/const_structs.checkpatch
	@ln -sf tools/testing/selftests/kselftest_harness.h tools/testing/selftests/kselftest.h $(BUILD)/ksft/
	@touch $@

$(LINUX_SOURCE):
	@echo "$@ is missing: run 'make deps' (it installs linux-source-6.1)" >&2; exit 1

selftests: $(KSFT_STAMP) daemon
	$(MAKE) -C selftests/nfqring KSFT_INC=$(BUILD)/ksft OUTPUT=$(BUILD)/selftests/nfqring
	$(MAKE) -C selftests/netlink
	$(MAKE) -C selftests/daemon
	$(MAKE) -C selftests/nlmmap
	$(MAKE) -C selftests/daq
	@# the daemon suite runs the nft differential (a host-built test) in the VM
	$(MAKE) -C daemon build/tests/test_nft_diff

daemon:
	$(MAKE) -C daemon

deps:
	scripts/install-deps

check:
	scripts/check

# make check with the test-build pass and the systemd boot on every kernel
# (make check runs them on one): about 70 minutes here.
check-long:
	NFQR_WRAP_KERNELS=all NFQR_SYSTEMD=all scripts/check

demo:
	scripts/demo

# The suites, fault injection, the ABI fuzzer (15 min) and the soak (10 min)
# on a debug kernel (KASAN, lockdep, kmemleak) built from linux-source-6.1.
check-debug:
	scripts/check-debug

# nfqring against the stock nfnetlink_queue (BENCH_QUICK=1: a short run);
# never part of make check
bench:
	scripts/bench

# checkpatch.pl --strict, clean.  The one exception: compat.h must compare
# kernel versions where no probe can see a difference (LINUX_VERSION_CODE).
CHECKPATCH = $(BUILD)/ksft/scripts/checkpatch.pl --no-tree --strict --terse --show-types
checkpatch: $(KSFT_STAMP)
	$(CHECKPATCH) -f $(filter-out kmod/compat.h,$(wildcard kmod/*.[ch])) include/uapi/linux/nfqring.h
	$(CHECKPATCH) --ignore LINUX_VERSION_CODE,CONSTANT_COMPARISON -f kmod/compat.h

dkms-install:
	scripts/dkms-install $(KVER)

dkms-remove:
	scripts/dkms-install --remove

# What a user installs besides the DKMS module.  The daemon goes where its
# systemd unit expects it.
PREFIX ?= /usr/local
SBINDIR ?= /usr/sbin
install:
	install -D -m 0755 daemon/build/nfqringd $(DESTDIR)$(SBINDIR)/nfqringd
	install -D -m 0644 daemon/man/nfqringd.8 $(DESTDIR)$(PREFIX)/share/man/man8/nfqringd.8
	install -D -m 0644 dist/systemd/nfqringd.service $(DESTDIR)/lib/systemd/system/nfqringd.service
	install -D -m 0644 dist/systemd/nfqringd.sysusers $(DESTDIR)/usr/lib/sysusers.d/nfqringd.conf
	install -D -m 0644 dist/udev/60-nfqring.rules $(DESTDIR)/lib/udev/rules.d/60-nfqring.rules
	install -D -m 0644 dist/modprobe.d/nfqring.conf $(DESTDIR)/etc/modprobe.d/nfqring.conf
	install -D -m 0644 include/uapi/linux/nfqring.h $(DESTDIR)$(PREFIX)/include/linux/nfqring.h
	install -D -m 0644 docs/nfqring.4 $(DESTDIR)$(PREFIX)/share/man/man4/nfqring.4
	install -D -m 0644 daemon/man/nfqringd.rules.5 $(DESTDIR)$(PREFIX)/share/man/man5/nfqringd.rules.5
	install -D -m 0644 dist/examples/rules.nft $(DESTDIR)$(PREFIX)/share/doc/nfqring/examples/rules.nft
	@[ -e $(DESTDIR)/etc/nfqring/rules.nft ] || \
		install -D -m 0644 dist/examples/rules.nft $(DESTDIR)/etc/nfqring/rules.nft
	$(MAKE) -C daemon install-lib DESTDIR=$(DESTDIR) PREFIX=$(PREFIX)
	$(MAKE) -C daemon install-nlmmap DESTDIR=$(DESTDIR) PREFIX=$(PREFIX)
	$(MAKE) -C daemon install-daq DESTDIR=$(DESTDIR) PREFIX=$(PREFIX)

uninstall:
	rm -f $(DESTDIR)$(SBINDIR)/nfqringd $(DESTDIR)$(PREFIX)/share/man/man8/nfqringd.8 \
		$(DESTDIR)/lib/systemd/system/nfqringd.service \
		$(DESTDIR)/usr/lib/sysusers.d/nfqringd.conf $(DESTDIR)/lib/udev/rules.d/60-nfqring.rules
	rm -f $(DESTDIR)/etc/modprobe.d/nfqring.conf $(DESTDIR)$(PREFIX)/include/linux/nfqring.h \
		$(DESTDIR)$(PREFIX)/share/man/man4/nfqring.4 \
		$(DESTDIR)$(PREFIX)/share/man/man5/nfqringd.rules.5 \
		$(DESTDIR)$(PREFIX)/share/doc/nfqring/examples/rules.nft
	rm -f $(DESTDIR)$(PREFIX)/bin/nfqring-nlmmap $(DESTDIR)$(PREFIX)/lib/libnfqring-nlmmap.so \
		$(DESTDIR)$(PREFIX)/share/man/man1/nfqring-nlmmap.1
	rm -f $(DESTDIR)$$($(MAKE) -s --no-print-directory -C daemon print-daq-dir)/daq_nfqring.so \
		$(DESTDIR)$(PREFIX)/share/man/man7/daq_nfqring.7

clean:
	rm -rf $(BUILD)
	-$(MAKE) -C daemon clean

.PHONY: all module module-test userspace selftests daemon deps check check-long check-debug demo bench checkpatch \
	dkms-install dkms-remove install uninstall clean
