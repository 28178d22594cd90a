// SPDX-License-Identifier: GPL-2.0
/*
 * insn_count: a QEMU TCG plugin (QEMU 7.2, x86_64 system emulation) that
 * counts the guest instructions each vCPU executes while a window is open,
 * kernel and user mode apart, and the kernel's instructions per translation
 * block address.
 *
 *   qemu-system-x86_64 ... -plugin file=insn_count.so,out=PATH
 *
 * The guest opens and closes the window by executing the marks of
 * insn_mark.h (bench/insn/insn_mark.c does).  When a window closes, PATH is
 * written (to PATH.tmp, then renamed), before the closing mark's next
 * instruction runs, so the guest may read it (over a shared folder) as
 * soon as the mark has executed:
 *
 *   window N                    the Nth window of this QEMU process
 *   vcpus V
 *   cpu I kernel K user U kernel_spin KS user_spin US
 *                               per vCPU: instructions in the window, and
 *                               how many of them were spin-waiting (below)
 *   tb ADDR LEN C0 .. CV-1 S0 .. SV-1
 *                               per kernel translation block (start
 *                               address in hex, instructions): instructions
 *                               each vCPU executed there, then how many of
 *                               those were spinning
 *
 * Kernel or user is told by the block's virtual address: x86_64 kernels
 * live in the upper half (top bit set), user space in the lower half.
 * Counting is per translation block, on the block's entry: a block that an
 * exception leaves early (a page fault) counts whole, and the block that
 * holds the opening mark was entered before the window opened, the one that
 * holds the closing mark after: both errors are a few instructions per
 * window.  The counters are the vCPU's own (an execution callback gets the
 * vCPU's index; QEMU 7.2's inline counters are shared by all vCPUs).
 *
 * Spin-waiting executes instructions by the clock, not by the work: a vCPU
 * that waits for a lock whose holder's host thread the host has put aside
 * spins for as long as that lasts.  So the plugin tells it apart: a block
 * that holds a PAUSE (what cpu_relax() is on x86) executing again within
 * SPIN_SPAN blocks of its last execution closes a turn of a wait loop, and
 * the instructions of that turn (the blocks since, the PAUSE block
 * included) count as spin as well.  The first turn of a loop counts as
 * work: it is the attempt; the turns after it are the waiting.
 */
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define INSN_MARK_NO_CODE	/* the plugin runs on the host */
#include "insn_mark.h"
#include "qemu_plugin_api.h"

NFQR_PLUGIN_EXPORT int qemu_plugin_version = NFQR_QEMU_PLUGIN_API;

#define SPIN_SPAN	16	/* blocks in a turn of a wait loop, at most */

/* a kernel translation block (start address and length), or a user block
 * that holds a PAUSE: the instructions each vCPU executed in it during the
 * window (kernel blocks only), then those of them that were spinning */
struct tb_count {
	uint64_t vaddr;
	uint64_t insns;
	bool kernel, pause;
	_Atomic uint64_t per_vcpu[];	/* 2 * nvcpus */
};

/* A vCPU's figures: only its own thread writes them (relaxed: a plain
 * add), the closing mark reads the totals.  turn[] holds the blocks
 * executed since the last PAUSE block (n > SPIN_SPAN: too many to be a
 * turn of a wait loop). */
struct vcpu_state {
	_Atomic uint64_t kernel, user, kernel_spin, user_spin;
	unsigned int gen;		/* the window the tracking below belongs to */
	const struct tb_count *last_pause;
	unsigned int n;
	struct {
		struct tb_count *tb;	/* NULL: a user block without a record */
		uint64_t insns;
		bool kernel;
	} turn[SPIN_SPAN];
} __attribute__((aligned(64)));

static unsigned int nvcpus;
static struct vcpu_state *vcpus;
static atomic_bool counting;
static _Atomic unsigned int windows;
static char *out_path;

/* the blocks with a record, by (address, length): a block translated again
 * (after a flush, or kernel text patching) keeps counting in the same place */
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static struct tb_count **table;
static size_t table_size, table_used;

static const unsigned char mark_start[INSN_MARK_LEN] = {
	INSN_MARK_PREFIX, INSN_MARK_START & 0xff, (INSN_MARK_START >> 8) & 0xff,
	(INSN_MARK_START >> 16) & 0xff, INSN_MARK_START >> 24,
};
static const unsigned char mark_stop[INSN_MARK_LEN] = {
	INSN_MARK_PREFIX, INSN_MARK_STOP & 0xff, (INSN_MARK_STOP >> 8) & 0xff,
	(INSN_MARK_STOP >> 16) & 0xff, INSN_MARK_STOP >> 24,
};

static inline void add(_Atomic uint64_t *c, uint64_t n)
{
	atomic_store_explicit(c, atomic_load_explicit(c, memory_order_relaxed) + n,
			      memory_order_relaxed);
}

static inline uint64_t get(_Atomic uint64_t *c)
{
	return atomic_load_explicit(c, memory_order_relaxed);
}

static size_t slot_of(uint64_t vaddr, uint64_t insns, size_t size)
{
	uint64_t h = (vaddr ^ (insns << 56)) * 0x9e3779b97f4a7c15ull;

	return (size_t)(h >> 20) & (size - 1);
}

/* Under the lock: the block's record, made if new; NULL without memory. */
static struct tb_count *tb_record(uint64_t vaddr, uint64_t insns, bool pause)
{
	struct tb_count *r;
	size_t i;

	if (2 * (table_used + 1) > table_size) {
		size_t size = table_size ? 2 * table_size : 1 << 16;
		struct tb_count **t = calloc(size, sizeof(*t));

		if (!t)
			return NULL;
		for (size_t j = 0; j < table_size; j++) {
			if (!table[j])
				continue;
			for (i = slot_of(table[j]->vaddr, table[j]->insns, size); t[i];
			     i = (i + 1) & (size - 1))
				;
			t[i] = table[j];
		}
		free(table);
		table = t;
		table_size = size;
	}
	for (i = slot_of(vaddr, insns, table_size); table[i]; i = (i + 1) & (table_size - 1)) {
		if (table[i]->vaddr == vaddr && table[i]->insns == insns &&
		    table[i]->pause == pause)
			return table[i];
	}
	r = calloc(1, sizeof(*r) + 2 * nvcpus * sizeof(r->per_vcpu[0]));
	if (!r)
		return NULL;
	r->vaddr = vaddr;
	r->insns = insns;
	r->kernel = vaddr >> 63;
	r->pause = pause;
	table[i] = r;
	table_used++;
	return r;
}

/*
 * A block's execution.  Blocks without a record (user blocks without a
 * PAUSE) carry their length in the callback's pointer (odd: length * 2 + 1),
 * the others their record (aligned, so even).
 */
static void on_tb_exec(unsigned int vcpu, void *udata)
{
	uintptr_t u = (uintptr_t)udata;
	struct tb_count *r = u & 1 ? NULL : udata;
	uint64_t insns = r ? r->insns : u >> 1;
	bool kernel = r && r->kernel;
	unsigned int gen = atomic_load_explicit(&windows, memory_order_relaxed);
	struct vcpu_state *v;

	if (!atomic_load_explicit(&counting, memory_order_relaxed) || vcpu >= nvcpus)
		return;
	v = &vcpus[vcpu];
	add(kernel ? &v->kernel : &v->user, insns);
	if (kernel)
		add(&r->per_vcpu[vcpu], insns);
	if (v->gen != gen) {	/* a new window: no turn carries over */
		v->gen = gen;
		v->last_pause = NULL;
		v->n = SPIN_SPAN + 1;
	}
	if (v->n < SPIN_SPAN) {
		v->turn[v->n].tb = r;
		v->turn[v->n].insns = insns;
		v->turn[v->n].kernel = kernel;
	}
	if (v->n <= SPIN_SPAN)
		v->n++;
	if (!r || !r->pause)
		return;
	if (v->last_pause == r && v->n <= SPIN_SPAN) {	/* a turn of a wait loop */
		for (unsigned int i = 0; i < v->n; i++) {
			add(v->turn[i].kernel ? &v->kernel_spin : &v->user_spin, v->turn[i].insns);
			if (v->turn[i].kernel)
				add(&v->turn[i].tb->per_vcpu[nvcpus + vcpu], v->turn[i].insns);
		}
	}
	v->last_pause = r;
	v->n = 0;
}

/* Under the lock: this window's figures to out_path. */
static void write_window(void)
{
	char tmp[4096];
	FILE *f;
	int bad;

	snprintf(tmp, sizeof(tmp), "%s.tmp", out_path);
	f = fopen(tmp, "w");
	if (!f) {
		fprintf(stderr, "insn_count: %s: %s\n", tmp, strerror(errno));
		return;
	}
	fprintf(f, "window %u\nvcpus %u\n", atomic_load(&windows), nvcpus);
	for (unsigned int v = 0; v < nvcpus; v++)
		fprintf(f, "cpu %u kernel %" PRIu64 " user %" PRIu64 " kernel_spin %" PRIu64
			" user_spin %" PRIu64 "\n", v, get(&vcpus[v].kernel), get(&vcpus[v].user),
			get(&vcpus[v].kernel_spin), get(&vcpus[v].user_spin));
	for (size_t i = 0; i < table_size; i++) {
		struct tb_count *r = table[i];
		uint64_t sum = 0;

		if (!r || !r->kernel)
			continue;
		for (unsigned int v = 0; v < nvcpus; v++)
			sum += get(&r->per_vcpu[v]);
		if (!sum)
			continue;
		fprintf(f, "tb %" PRIx64 " %" PRIu64, r->vaddr, r->insns);
		for (unsigned int v = 0; v < 2 * nvcpus; v++)
			fprintf(f, " %" PRIu64, get(&r->per_vcpu[v]));
		fputc('\n', f);
	}
	bad = ferror(f);
	if (fclose(f) || bad) {
		fprintf(stderr, "insn_count: writing %s failed\n", tmp);
		remove(tmp);
		return;
	}
	if (rename(tmp, out_path))
		fprintf(stderr, "insn_count: %s: %s\n", out_path, strerror(errno));
}

/* A mark executes: the window opens (counters zeroed) or closes (written). */
static void on_mark(unsigned int vcpu, void *udata)
{
	bool start = udata == (void *)mark_start;

	(void)vcpu;
	pthread_mutex_lock(&lock);
	if (start) {
		atomic_store(&counting, false);
		for (unsigned int v = 0; v < nvcpus; v++) {
			atomic_store(&vcpus[v].kernel, 0);
			atomic_store(&vcpus[v].user, 0);
			atomic_store(&vcpus[v].kernel_spin, 0);
			atomic_store(&vcpus[v].user_spin, 0);
		}
		for (size_t i = 0; i < table_size; i++) {
			for (unsigned int v = 0; table[i] && v < 2 * nvcpus; v++)
				atomic_store(&table[i]->per_vcpu[v], 0);
		}
		atomic_fetch_add(&windows, 1);
		atomic_store(&counting, true);
	} else if (atomic_exchange(&counting, false)) {
		write_window();
	} else {
		fprintf(stderr, "insn_count: a closing mark without an open window: ignored\n");
	}
	pthread_mutex_unlock(&lock);
}

/* The bytes of an instruction no longer than a mark (in buf if QEMU copies them) */
static const void *insn_bytes(const struct qemu_plugin_insn *insn, unsigned char *buf,
			      size_t size)
{
#if NFQR_QEMU_PLUGIN_API >= 3
	if (size > INSN_MARK_LEN || qemu_plugin_insn_data(insn, buf, size) != size)
		return NULL;
	return buf;
#else
	(void)buf;
	(void)size;
	return qemu_plugin_insn_data(insn);
#endif
}

static void on_tb_trans(qemu_plugin_id_t id, struct qemu_plugin_tb *tb)
{
	static const unsigned char pause_insn[2] = { 0xf3, 0x90 };
	size_t n = qemu_plugin_tb_n_insns(tb);
	uint64_t vaddr = qemu_plugin_tb_vaddr(tb);
	unsigned char buf[INSN_MARK_LEN];
	bool pause = false;
	void *udata;

	(void)id;
	for (size_t i = 0; i < n; i++) {
		struct qemu_plugin_insn *insn = qemu_plugin_tb_get_insn(tb, i);
		size_t size = qemu_plugin_insn_size(insn);
		const void *bytes;

		if (size != sizeof(pause_insn) && size != INSN_MARK_LEN)
			continue;
		bytes = insn_bytes(insn, buf, size);
		if (!bytes)
			continue;
		if (size == sizeof(pause_insn) && !memcmp(bytes, pause_insn, size))
			pause = true;
		if (size != INSN_MARK_LEN)
			continue;
		if (!memcmp(bytes, mark_start, INSN_MARK_LEN))
			qemu_plugin_register_vcpu_insn_exec_cb(insn, on_mark, QEMU_PLUGIN_CB_NO_REGS,
							       (void *)mark_start);
		else if (!memcmp(bytes, mark_stop, INSN_MARK_LEN))
			qemu_plugin_register_vcpu_insn_exec_cb(insn, on_mark, QEMU_PLUGIN_CB_NO_REGS,
							       (void *)mark_stop);
	}
	if (vaddr >> 63 || pause) {
		pthread_mutex_lock(&lock);
		udata = tb_record(vaddr, n, pause);
		pthread_mutex_unlock(&lock);
		if (!udata) {
			fprintf(stderr, "insn_count: out of memory: a block goes uncounted\n");
			return;
		}
	} else {
		udata = (void *)(((uintptr_t)n << 1) | 1);
	}
	qemu_plugin_register_vcpu_tb_exec_cb(tb, on_tb_exec, QEMU_PLUGIN_CB_NO_REGS, udata);
}

static void at_qemu_exit(qemu_plugin_id_t id, void *udata)
{
	(void)id;
	(void)udata;
	if (atomic_load(&counting))
		fprintf(stderr, "insn_count: QEMU exits with window %u still open: not written\n",
			atomic_load(&windows));
}

NFQR_PLUGIN_EXPORT int qemu_plugin_install(qemu_plugin_id_t id, const qemu_info_t *info,
					   int argc, char **argv)
{
	for (int i = 0; i < argc; i++) {
		if (!strncmp(argv[i], "out=", 4) && argv[i][4]) {
			out_path = argv[i] + 4;
		} else {
			fprintf(stderr, "insn_count: unknown option '%s' (the only one: out=PATH)\n",
				argv[i]);
			return -1;
		}
	}
	if (!out_path) {
		fprintf(stderr, "insn_count: no output file: -plugin file=insn_count.so,out=PATH\n");
		return -1;
	}
	if (strlen(out_path) > 4000) {
		fprintf(stderr, "insn_count: out=%.40s...: path too long\n", out_path);
		return -1;
	}
	if (!info->system_emulation || strcmp(info->target_name, "x86_64")) {
		fprintf(stderr, "insn_count: for x86_64 system emulation only (this is %s%s)\n",
			info->target_name, info->system_emulation ? "" : " user mode");
		return -1;
	}
	nvcpus = info->system.max_vcpus > 0 ? (unsigned int)info->system.max_vcpus : 1;
	vcpus = aligned_alloc(64, nvcpus * sizeof(*vcpus));
	if (!vcpus) {
		fprintf(stderr, "insn_count: out of memory\n");
		return -1;
	}
	memset(vcpus, 0, nvcpus * sizeof(*vcpus));
	qemu_plugin_register_vcpu_tb_trans_cb(id, on_tb_trans);
	qemu_plugin_register_atexit_cb(id, at_qemu_exit, NULL);
	return 0;
}
