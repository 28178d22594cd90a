/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The part of QEMU's TCG plugin interface that insn_count.c uses, declared
 * here because Debian's QEMU packages do not install qemu-plugin.h.  QEMU
 * loads a plugin whose exported qemu_plugin_version lies between the oldest
 * and newest interface it supports, calls its qemu_plugin_install() once,
 * and the plugin then calls back into functions the qemu-system binary
 * exports (nm -D shows them).  Two interfaces, chosen when building
 * (bench/Makefile asks qemu-system-x86_64 --version):
 *   1  QEMU 7.2 (Debian 12's own), which accepts 0-1
 *   3  QEMU 9.0 and later (10.0 from bookworm-backports accepts 2-4):
 *      qemu_plugin_insn_data() copies the bytes out instead of returning
 *      a pointer to them; nothing else this file declares changed
 * (version 2, QEMU 8.2, dropped qemu_plugin_n_vcpus(), which we never
 * call; 8.x is not supported).
 *
 * What each declaration means, in short:
 *   qemu_plugin_install(id, info, argc, argv)  the plugin's entry point; argv
 *       holds the "key=value" options of -plugin after file=; non-zero
 *       refuses the load (QEMU then exits)
 *   struct qemu_info: the target's name, the interface versions QEMU
 *       accepts, whether this is system emulation and, if so, how many
 *       vCPUs there are now and at most (vCPU indices are below max_vcpus)
 *   translation callback: called when QEMU has decoded a translation block
 *       (a run of guest instructions ending at a branch), before it runs;
 *       the plugin looks at the block and its instructions there and may
 *       attach execution callbacks to the block or to one instruction
 *   execution callbacks: called on the vCPU's own host thread each time the
 *       block (or instruction) is about to execute, with the vCPU's index
 *       and the pointer given when attaching it
 *   qemu_plugin_insn_data(): the instruction's bytes, during the
 *       translation callback only; qemu_plugin_insn_size() their number
 *   qemu_plugin_register_atexit_cb: called once when QEMU exits
 */
#ifndef NFQR_QEMU_PLUGIN_API_H
#define NFQR_QEMU_PLUGIN_API_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define NFQR_PLUGIN_EXPORT __attribute__((visibility("default")))

/* the interface version this plugin is built for: 1 or 3 (above) */
#ifndef NFQR_QEMU_PLUGIN_API
#define NFQR_QEMU_PLUGIN_API 1
#endif
#if NFQR_QEMU_PLUGIN_API != 1 && NFQR_QEMU_PLUGIN_API != 3
#error "NFQR_QEMU_PLUGIN_API: 1 (QEMU 7.2) or 3 (QEMU 9.0 and later)"
#endif

typedef uint64_t qemu_plugin_id_t;

/* Passed to qemu_plugin_install(); only valid during that call. */
typedef struct qemu_info_t {
	const char *target_name;
	struct {
		int min;
		int cur;
	} version;
	bool system_emulation;
	union {
		struct {
			int smp_vcpus;
			int max_vcpus;
		} system;
	};
} qemu_info_t;

struct qemu_plugin_tb;		/* a translation block, during its translation */
struct qemu_plugin_insn;	/* one of its instructions */

/* Whether a callback looks at the guest's registers: we never do. */
enum qemu_plugin_cb_flags {
	QEMU_PLUGIN_CB_NO_REGS,
	QEMU_PLUGIN_CB_R_REGS,
	QEMU_PLUGIN_CB_RW_REGS,
};

typedef void (*qemu_plugin_udata_cb_t)(qemu_plugin_id_t id, void *userdata);
typedef void (*qemu_plugin_vcpu_udata_cb_t)(unsigned int vcpu_index, void *userdata);
typedef void (*qemu_plugin_vcpu_tb_trans_cb_t)(qemu_plugin_id_t id, struct qemu_plugin_tb *tb);

/* exported by the plugin */
extern NFQR_PLUGIN_EXPORT int qemu_plugin_version;
NFQR_PLUGIN_EXPORT int qemu_plugin_install(qemu_plugin_id_t id, const qemu_info_t *info,
					   int argc, char **argv);

/* exported by QEMU */
void qemu_plugin_register_vcpu_tb_trans_cb(qemu_plugin_id_t id,
					   qemu_plugin_vcpu_tb_trans_cb_t cb);
void qemu_plugin_register_vcpu_tb_exec_cb(struct qemu_plugin_tb *tb,
					  qemu_plugin_vcpu_udata_cb_t cb,
					  enum qemu_plugin_cb_flags flags, void *userdata);
void qemu_plugin_register_vcpu_insn_exec_cb(struct qemu_plugin_insn *insn,
					    qemu_plugin_vcpu_udata_cb_t cb,
					    enum qemu_plugin_cb_flags flags, void *userdata);
void qemu_plugin_register_atexit_cb(qemu_plugin_id_t id, qemu_plugin_udata_cb_t cb,
				    void *userdata);
size_t qemu_plugin_tb_n_insns(const struct qemu_plugin_tb *tb);
uint64_t qemu_plugin_tb_vaddr(const struct qemu_plugin_tb *tb);
struct qemu_plugin_insn *qemu_plugin_tb_get_insn(const struct qemu_plugin_tb *tb, size_t idx);
#if NFQR_QEMU_PLUGIN_API >= 3
size_t qemu_plugin_insn_data(const struct qemu_plugin_insn *insn, void *dest, size_t len);
#else
const void *qemu_plugin_insn_data(const struct qemu_plugin_insn *insn);
#endif
size_t qemu_plugin_insn_size(const struct qemu_plugin_insn *insn);

#endif
