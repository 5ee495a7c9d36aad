/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The debug guest's code at known addresses, and its own EL1 vectors: a debug exception
 * resumes where the test wants (a software step at the next instruction to step, not past
 * it), which the runtime's handler, made for faults, does not.
 */
#define FRAME_SIZE (34 * 8) /* struct exception_frame (exception.h) */

	.section .text.vectors, "ax"
	.balign	2048
	.globl	debug_vectors
debug_vectors:
	.irp	index, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15
	.balign	128
	sub	sp, sp, #FRAME_SIZE
	stp	x0, x1, [sp, #0]
	mov	x0, #\index
	b	debug_common
	.endr

debug_common:
	stp	x2, x3, [sp, #16]
	stp	x4, x5, [sp, #32]
	stp	x6, x7, [sp, #48]
	stp	x8, x9, [sp, #64]
	stp	x10, x11, [sp, #80]
	stp	x12, x13, [sp, #96]
	stp	x14, x15, [sp, #112]
	stp	x16, x17, [sp, #128]
	stp	x18, x19, [sp, #144]
	stp	x20, x21, [sp, #160]
	stp	x22, x23, [sp, #176]
	stp	x24, x25, [sp, #192]
	stp	x26, x27, [sp, #208]
	stp	x28, x29, [sp, #224]
	mrs	x1, elr_el1
	mrs	x2, spsr_el1
	stp	x30, x1, [sp, #240]
	str	x2, [sp, #256]
	mov	x1, sp
	bl	debug_exception		/* (vector, frame): may change ELR and SPSR */
	ldp	x30, x1, [sp, #240]
	ldr	x2, [sp, #256]
	msr	elr_el1, x1
	msr	spsr_el1, x2
	ldp	x0, x1, [sp, #0]
	ldp	x2, x3, [sp, #16]
	ldp	x4, x5, [sp, #32]
	ldp	x6, x7, [sp, #48]
	ldp	x8, x9, [sp, #64]
	ldp	x10, x11, [sp, #80]
	ldp	x12, x13, [sp, #96]
	ldp	x14, x15, [sp, #112]
	ldp	x16, x17, [sp, #128]
	ldp	x18, x19, [sp, #144]
	ldp	x20, x21, [sp, #160]
	ldp	x22, x23, [sp, #176]
	ldp	x24, x25, [sp, #192]
	ldp	x26, x27, [sp, #208]
	ldp	x28, x29, [sp, #224]
	add	sp, sp, #FRAME_SIZE
	eret

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
