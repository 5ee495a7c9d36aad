/* SPDX-License-Identifier: Apache-2.0 */
/*
 * EL0 for the pmu guest: pmu_el0_loop(n) drops to EL0, runs "subs; b.ne" n times (2n
 * instructions) and an SVC, and returns at EL1 when the SVC arrives. pmu_el0_vectors is
 * VBAR_EL1 meanwhile: its synchronous exception from AArch64 EL0 entry is that return; every
 * other entry goes to the runtime's own table (vectors.S).
 */
#include "vectors.inc"

#define SPSR_EL0T_MASKED 0x3c0 /* M = EL0t, D, A, I and F masked */

	.text
	.globl pmu_el0_loop
	.type pmu_el0_loop, %function
pmu_el0_loop:
	mrs	x9, vbar_el1
	mrs	x11, daif
	adrp	x10, pmu_el0_vectors
	add	x10, x10, :lo12:pmu_el0_vectors
	msr	vbar_el1, x10
	adr	x10, 1f
	msr	elr_el1, x10
	mov	x10, #SPSR_EL0T_MASKED
	msr	spsr_el1, x10
	isb
	eret
1:	subs	x0, x0, #1
	b.ne	1b
	svc	#0
pmu_el0_back:				// at EL1 again, SP_EL1 as left
	msr	vbar_el1, x9
	msr	daif, x11
	isb
	ret
	.size pmu_el0_loop, . - pmu_el0_loop


	.section .text.vectors, "ax"
	.balign 2048
pmu_el0_vectors:
	.irp offset, 0x000, 0x080, 0x100, 0x180, 0x200, 0x280, 0x300, 0x380
	to_runtime \offset
	.endr
	.balign 128
	b	pmu_el0_back		// 0x400: synchronous from AArch64 EL0: the SVC
	.irp offset, 0x480, 0x500, 0x580, 0x600, 0x680, 0x700, 0x780
	to_runtime \offset
	.endr
