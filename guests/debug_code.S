/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The debug guest's code at known addresses, and its own EL1 vectors: a debug exception
 * resumes where the test wants (a software step at the next instruction to step, not past
 * it), which the runtime's handler, made for faults, does not.
 */
#include "vectors.inc"

	.section .text.vectors, "ax"
	.balign	2048
	.globl	debug_vectors
	el1_vectors debug_vectors, debug_exception /* (vector, frame): may change ELR and SPSR */

	.text
/* Breakpoint targets: a breakpoint on the first instruction is taken there and skipped. */
	.globl	bp_target_a, bp_target_b
	.balign	16
bp_target_a:
	nop
	ret
	.balign	16
bp_target_b:
	nop
	ret

/*
 * step_run(uart_fr): enters step_seq at EL1h (D unmasked, A, I, F masked) with SPSR.SS set,
 * so with MDSCR_EL1.SS and KDE the first instruction is stepped; the handler steps each
 * next one until step_end. Between: an instruction the CPU runs, an HVC kestrel answers, a
 * trapped system register (ACTLR_EL1: HCR_EL2.TACR) and an MMIO read (the UART flag register)
 * kestrel emulates and steps over; each must be followed by its step exception.
 */
	.globl	step_run, step_seq, step_end
step_run:
	mov	x11, x0
	mov	x12, x30
	adr	x9, step_seq
	msr	elr_el1, x9
	mov	x9, #0x1c5		/* EL1h, A, I, F masked, D clear */
	orr	x9, x9, #(1 << 21)	/* SS */
	msr	spsr_el1, x9
	eret
step_seq:
	nop
	mov	x0, #0x80000000		/* SMCCC_VERSION */
	hvc	#0
	mrs	x1, actlr_el1
	ldr	w2, [x11]
	nop
step_end:
	mov	x30, x12
	ret
