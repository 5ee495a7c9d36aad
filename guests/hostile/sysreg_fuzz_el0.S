/* SPDX-License-Identifier: Apache-2.0 */
/*
 * EL0 for sysreg_fuzz: el0_call() drops to EL0 at a stub (one instruction, then "svc #0")
 * and comes back when the stub's SVC arrives; el0_call_t32() does the same in AArch32 (T32). el0_vectors is installed in VBAR_EL1 while
 * EL0 runs: an exception from EL0 other than the SVC is counted (el0_exceptions) and its
 * ESR kept (el0_last_esr), and EL0 resumes after the instruction that took it, which is the
 * SVC. Every other vector goes to the runtime's own table (vectors.S).
 */
#include "vectors.inc"

#define SPSR_EL0T_MASKED 0x3c0	/* M = EL0t, D, A, I and F masked */
#define SPSR_USR_T32	 0x1f0	/* AArch32 User mode, Thumb, A, I and F masked */
#define EC_SVC32	 0x11
#define EC_SVC64	 0x15

	.text
/*
 * uint64_t el0_call(uint64_t x0, const uint32_t *stub, uint64_t sp_el0): runs the stub at
 * EL0 with x0 and returns the x0 it ends with. x9-x11 are used by the vector; EL0 touches
 * nothing else the caller keeps (the stub's instruction writes x0 at most).
 */
	.globl el0_call
	.type el0_call, %function
el0_call:
	mov	x3, #SPSR_EL0T_MASKED
	b	el0_enter
	.size el0_call, . - el0_call

/* The same in AArch32 at EL0, in T32: uint64_t el0_call_t32(r0, stub, sp). */
	.globl el0_call_t32
	.type el0_call_t32, %function
el0_call_t32:
	mov	x3, #SPSR_USR_T32
el0_enter:
	stp	x29, x30, [sp, #-16]!
	msr	sp_el0, x2
	msr	elr_el1, x1
	msr	spsr_el1, x3
	isb
	eret
	/* Also where an exception handler may resume to give up on an EL0 call. */
	.globl el0_back
el0_back:
	ldp	x29, x30, [sp], #16
	ret
	.size el0_call_t32, . - el0_call_t32

/* Counted exceptions resume after the instruction: 4 bytes on, or 2 for a 16-bit one (IL). */
el0_sync:
	mrs	x9, esr_el1
	lsr	x10, x9, #26
	cmp	x10, #EC_SVC64
	b.eq	el0_back		// the stub is done: SP is SP_EL1 as el0_call left it
	cmp	x10, #EC_SVC32
	b.eq	el0_back
	adrp	x10, el0_exceptions
	add	x10, x10, :lo12:el0_exceptions
	ldr	x11, [x10]
	add	x11, x11, #1
	str	x11, [x10]
	adrp	x10, el0_last_esr
	add	x10, x10, :lo12:el0_last_esr
	str	x9, [x10]
	mrs	x9, esr_el1
	ubfx	x9, x9, #25, #1		// IL
	add	x9, x9, #1
	mrs	x10, elr_el1
	add	x10, x10, x9, lsl #1
	msr	elr_el1, x10
	eret


	.section .text.vectors, "ax"
	.balign 2048
	.globl el0_vectors
el0_vectors:
	.irp offset, 0x000, 0x080, 0x100, 0x180, 0x200, 0x280, 0x300, 0x380
	to_runtime \offset
	.endr
	.balign 128
	b	el0_sync		// 0x400: synchronous, from AArch64 EL0
	.irp offset, 0x480, 0x500, 0x580
	to_runtime \offset
	.endr
	.balign 128
	b	el0_sync		// 0x600: synchronous, from AArch32 EL0
	.irp offset, 0x680, 0x700, 0x780
	to_runtime \offset
	.endr

	.bss
	.balign 8
	.globl el0_exceptions, el0_last_esr
el0_exceptions:
	.quad	0
el0_last_esr:
	.quad	0
