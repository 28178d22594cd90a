/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The window marks that insn_count.c looks for and insn_mark.c executes: a
 * 9-byte x86 NOP, "nopw DISP32(%rax,%rax,1)" (66 0f 1f 84 00 + 4 bytes of
 * displacement), with a displacement no compiler or assembler writes (they
 * pad with displacement 0).  Executing it does nothing; the plugin sees its
 * bytes when QEMU translates it and opens or closes the counting window
 * when it executes.
 */
#ifndef NFQR_INSN_MARK_H
#define NFQR_INSN_MARK_H

#define INSN_MARK_LEN		9
#define INSN_MARK_PREFIX	0x66, 0x0f, 0x1f, 0x84, 0x00
/* the displacement, little-endian in the instruction: "nfq" and a letter */
#define INSN_MARK_START		0x4171666eu	/* "nfqA" */
#define INSN_MARK_STOP		0x5a71666eu	/* "nfqZ" */

#ifndef INSN_MARK_NO_CODE
#define INSN_MARK_STR_(...) #__VA_ARGS__
#define INSN_MARK_STR(...) INSN_MARK_STR_(__VA_ARGS__)
/* a mark in the guest: the prefix bytes, then the displacement as an
 * immediate (%c: without the '$') */
#define INSN_MARK(disp) __asm__ volatile(".byte " INSN_MARK_STR(INSN_MARK_PREFIX) \
					 "\n\t.long %c0" : : "i"(disp) : "memory")

static inline void insn_mark_start(void)
{
	INSN_MARK(INSN_MARK_START);
}

static inline void insn_mark_stop(void)
{
	INSN_MARK(INSN_MARK_STOP);
}
#endif

#endif
