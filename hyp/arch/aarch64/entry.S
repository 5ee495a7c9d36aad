/* SPDX-License-Identifier: Apache-2.0 */
/*
 * EL2 exception vectors and the world switch. A guest runs with SP_EL2 at the top of its
 * physical CPU's stack, so an exit needs no stack switch: save the guest's general
 * registers into the current vCPU, call the C handler, restore, ERET. The EL1 system
 * registers are switched only when the vCPU on this CPU changes (vcpu_load in C).
 */
#include <kestrel/asm_offsets.h>

/* x0-x19, x30, ELR and SPSR into the current vCPU, which x0 then points to: what any C
   function may clobber, and where the guest resumes. */
.macro save_guest_caller_saved
	stp	x0, x1, [sp, #-16]!
	mrs	x0, tpidr_el2
	ldr	x0, [x0, #PCPU_CURRENT]
	stp	x2, x3, [x0, #16]
	stp	x4, x5, [x0, #32]
	stp	x6, x7, [x0, #48]
	stp	x8, x9, [x0, #64]
	stp	x10, x11, [x0, #80]
	stp	x12, x13, [x0, #96]
	stp	x14, x15, [x0, #112]
	stp	x16, x17, [x0, #128]
	stp	x18, x19, [x0, #144]	/* x19 rides along: a pair costs what x18 alone does */
	ldp	x2, x3, [sp], #16
	stp	x2, x3, [x0]
	mrs	x2, elr_el2
	mrs	x3, spsr_el2
	stp	x30, x2, [x0, #VCPU_REGS_X30]
	str	x3, [x0, #VCPU_REGS_PSTATE]
.endm

/* x20-x29 into the vCPU at \base (x19 went with x18): C functions preserve them, so they are
   needed only by a handler that reads registers by number and before the CPU leaves the vCPU. */
.macro save_guest_callee_saved base=x0
	stp	x20, x21, [\base, #160]
	stp	x22, x23, [\base, #176]
	stp	x24, x25, [\base, #192]
	stp	x26, x27, [\base, #208]
	stp	x28, x29, [\base, #224]
.endm

/* x0 = vCPU, x2 = EC: counts the exit; x3 = the handler. */
.macro count_and_find_handler
	add	x3, x0, #VCPU_STATS
	ldr	x4, [x3, x2, lsl #3]
	add	x4, x4, #1
	str	x4, [x3, x2, lsl #3]
	adr	x3, exit_handlers	/* kestrel is small: its rodata is within 1 MiB */
	ldr	x3, [x3, x2, lsl #3]
.endm

/* x2-x17 from the vCPU at \base (x0, x1, x18 and x19 are the caller's: one of them is the base). */
.macro restore_x2_x17 base
	ldp	x2, x3, [\base, #16]
	ldp	x4, x5, [\base, #32]
	ldp	x6, x7, [\base, #48]
	ldp	x8, x9, [\base, #64]
	ldp	x10, x11, [\base, #80]
	ldp	x12, x13, [\base, #96]
	ldp	x14, x15, [\base, #112]
	ldp	x16, x17, [\base, #128]
.endm

/* Registers at EL2 itself: a frame on the stack for the panic report. */
.macro el2_frame kind
	sub	sp, sp, #(36 * 8)
	stp	x0, x1, [sp]
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
	add	x1, sp, #(36 * 8)
	stp	x30, x1, [sp, #240]
	mov	x0, sp
	mov	x1, #\kind
	b	exit_el2_exception
.endm

.macro vector target
	.balign	0x80
	b	\target
.endm

	.section .text.vectors, "ax"
	.balign	0x800
	.global	el2_vectors
el2_vectors:
	vector	el2_sync_sp0		/* current EL, SP_EL0: never used */
	vector	el2_irq_sp0
	vector	el2_fiq_sp0
	vector	el2_serror_sp0
	vector	el2_sync		/* current EL, SP_EL2: a bug in kestrel */
	vector	el2_irq
	vector	el2_fiq
	vector	el2_serror
	vector	guest_sync		/* lower EL, AArch64 */
	vector	guest_irq
	vector	guest_irq		/* FIQ: kestrel routes none; treat like an IRQ exit */
	vector	guest_serror
	vector	guest_sync_a32		/* lower EL, AArch32 (EL0 only) */
	vector	guest_irq
	vector	guest_irq
	vector	guest_serror

/*
 * The vectors of a vCPU whose debug registers are live (kestrel/debug.h; debug_restore sets
 * them): as el2_vectors, but every synchronous exit from the guest, AArch64 or AArch32, takes
 * guest_sync_debug, where the PC step knows software step. The code of the entries both
 * tables share fills this table's slots (each checked to fit its 0x80 bytes), so the second
 * table costs little more than its own entry.
 */
.macro slot_end n			/* .org refuses to move backwards: a slot that overflows */
	.org	el2_vectors_debug + (\n + 1) * 0x80
.endm

	.balign	0x800
	.global	el2_vectors_debug
el2_vectors_debug:
el2_sync_sp0:	el2_frame 0
	slot_end 0
el2_irq_sp0:	el2_frame 1
	slot_end 1
el2_fiq_sp0:	el2_frame 2
	slot_end 2
el2_serror_sp0:	el2_frame 3
	slot_end 3
el2_sync:	el2_frame 4
	slot_end 4
el2_irq:	el2_frame 5
	slot_end 5
el2_fiq:	el2_frame 6
	slot_end 6
el2_serror:	el2_frame 7
	slot_end 7
/* A live vCPU's synchronous exit: everything saved, the handler, the PC step and software
   step (exit_sync_debug), then exit_finish. */
guest_sync_debug:
	save_guest_caller_saved
	save_guest_callee_saved
	mov	x19, x0
	mrs	x1, esr_el2
	bl	exit_sync_debug
	mov	w1, w0
	mov	x0, x19
	bl	exit_finish		/* returns only if the vCPU goes on */
	mov	x0, x19
	b	vcpu_resume
	slot_end 8
guest_irq:
	save_guest_caller_saved
	save_guest_callee_saved
	bl	exit_irq
	b	vcpu_resume
	slot_end 9
	b	guest_irq
	slot_end 10
guest_serror:
	save_guest_caller_saved
	save_guest_callee_saved
	mrs	x1, esr_el2
	bl	exit_serror
	b	vcpu_resume
	slot_end 11
	b	guest_sync_debug
	slot_end 12
	b	guest_irq
	slot_end 13
	b	guest_irq
	slot_end 14
	b	guest_serror

	.text
/*
 * The common synchronous exit, dispatched here: the handler straight from exit_handlers[EC],
 * with the exit counted, when the vCPU needs no attention before it (its list registers are
 * empty: exit.c). A handler returns what happens next (exit_result.h): step_pc below is the
 * one place the guest's PC steps past an emulated instruction, and a result with EXIT_SLOW
 * set goes through exit_finish (re-evaluate interrupts and scheduling, or leave the vCPU), as
 * does a vCPU whose attention the handler raised (a device model or an SGI gave it an
 * interrupt: its list registers are to be filled before it resumes).
 *
 * A hypercall saves and restores only what C may clobber: SMCCC handlers are given x0-x17
 * only (struct smccc_args), and an HVC never steps (ELR_EL2 is already past it), so a result
 * of 0 resumes at once. Any other result saves x20-x29 too and joins the common tail. The
 * other classes save x20-x29 first (their handlers read registers by number).
 */
guest_sync:
	save_guest_caller_saved
	mrs	x1, esr_el2
	ldr	w2, [x0, #VCPU_ATTENTION]
	cbnz	w2, 3f
	ubfx	x2, x1, #26, #6	/* EC: ESR_EL2 bits 31:26 (ISS2 lies above them) */
	cmp	x2, #ASM_EC_HVC64
	b.ne	2f
	count_and_find_handler
	mov	x19, x0			/* the guest's x19 is saved */
	blr	x3
	cbz	w0, vcpu_resume_hvc
	save_guest_callee_saved x19
	b	4f
2:	save_guest_callee_saved
	count_and_find_handler
	mov	x19, x0			/* the guest's x19 is saved */
	blr	x3
	/* step_pc: by the result's low byte. BTYPE is cleared too: an instruction kestrel
	   carried out completed, as one the CPU executes clears it; a retried one already
	   passed its branch target check, and an injected exception set a new PSTATE. This is
	   AArch64 state: AArch32 exits come through guest_sync_a32. */
4:	ldp	x2, x4, [x19, #VCPU_REGS_PC]
	add	x2, x2, w0, uxtb
	bic	x4, x4, #ASM_PSTATE_BTYPE
	ldr	w3, [x19, #VCPU_ATTENTION]
	orr	w3, w3, w0, lsr #EXIT_SLOW_BIT	/* a slow result, or new interrupts for it */
	cbnz	w3, 5f
	/* Straight back: the stepped PC and PSTATE go to ELR and SPSR from here. The frame
	   keeps the ones saved at entry, which nothing reads before the next exit saves them
	   again; exit_finish, which may, gets them stored (5). */
vcpu_resume_stepped:
	msr	elr_el2, x2
	msr	spsr_el2, x4
	ldp	x20, x21, [x19, #160]
	ldp	x22, x23, [x19, #176]
	ldp	x24, x25, [x19, #192]
	ldp	x26, x27, [x19, #208]
	ldp	x28, x29, [x19, #224]
	ldr	x30, [x19, #VCPU_REGS_X30]
	ldp	x0, x1, [x19]
	restore_x2_x17 x19
	ldp	x18, x19, [x19, #144]	/* the base last */
	eret
	dsb	nsh			/* no speculation past the ERET */
	isb

/* After a hypercall with result 0, x19 = vCPU: back as it was, x20-x29 untouched, with the
   frame's PC and PSTATE (an exception the handler injected may have changed them). */
vcpu_resume_hvc:
	ldp	x30, x2, [x19, #VCPU_REGS_X30]
	ldr	x3, [x19, #VCPU_REGS_PSTATE]
	msr	elr_el2, x2
	msr	spsr_el2, x3
	ldp	x0, x1, [x19]
	restore_x2_x17 x19
	ldp	x18, x19, [x19, #144]	/* the base last */
	eret
	dsb	nsh			/* no speculation past the ERET */
	isb

/* x0 = vCPU to run (already current on this CPU, its EL1 state loaded): everything from its
   frame. */
	.global vcpu_resume
vcpu_resume:
	ldp	x20, x21, [x0, #160]
	ldp	x22, x23, [x0, #176]
	ldp	x24, x25, [x0, #192]
	ldp	x26, x27, [x0, #208]
	ldp	x28, x29, [x0, #224]
	ldp	x30, x2, [x0, #VCPU_REGS_X30]
	ldr	x3, [x0, #VCPU_REGS_PSTATE]
	msr	elr_el2, x2
	msr	spsr_el2, x3
	restore_x2_x17 x0
	ldp	x18, x19, [x0, #144]
	ldp	x0, x1, [x0]
	eret
	dsb	nsh			/* no speculation past the ERET */
	isb

/* The synchronous exit's slow paths (guest_sync): x19 = vCPU. */
3:	save_guest_callee_saved
	mov	x19, x0
	bl	exit_sync		/* the handler, with the list registers folded back */
	b	4b
5:	stp	x2, x4, [x19, #VCPU_REGS_PC]
	mov	w1, w0
	mov	x0, x19
	bl	exit_finish		/* returns only if the vCPU goes on */
	mov	x0, x19
	b	vcpu_resume

/*
 * A synchronous exit from AArch32 state (EL0: an emulated access of a 32-bit process), rare
 * enough to take the slow way always: exit_sync, the PC step with the IT block moved on
 * (vcpu_step_a32, where AArch64 clears BTYPE), then exit_finish.
 */
guest_sync_a32:
	save_guest_caller_saved
	save_guest_callee_saved
	mov	x19, x0
	mrs	x1, esr_el2
	bl	exit_sync		/* its result always has EXIT_SLOW */
	ldr	x2, [x19, #VCPU_REGS_PC]
	add	x2, x2, w0, uxtb
	str	x2, [x19, #VCPU_REGS_PC]
	mov	w20, w0
	mov	w1, w0
	mov	x0, x19
	bl	vcpu_step_a32
	mov	w1, w20
	mov	x0, x19
	bl	exit_finish		/* returns only if the vCPU goes on */
	mov	x0, x19
	b	vcpu_resume

/* x0 = vCPU, x1 = stack top: drop whatever kestrel was doing on this CPU and run the vCPU. */
	.global vcpu_enter_fresh
vcpu_enter_fresh:
	mov	sp, x1
	b	vcpu_resume

/* x0 = argument, x1 = stack top, x2 = function: run a noreturn function on a fresh stack. */
	.global call_on_fresh_stack
call_on_fresh_stack:
	mov	sp, x1
	mov	x29, #0
	br	x2

/* FP/SIMD state: 32 Q registers then FPSR, FPCR. */
	.global fpsimd_save
fpsimd_save:
	stp	q0, q1, [x0, #0]
	stp	q2, q3, [x0, #32]
	stp	q4, q5, [x0, #64]
	stp	q6, q7, [x0, #96]
	stp	q8, q9, [x0, #128]
	stp	q10, q11, [x0, #160]
	stp	q12, q13, [x0, #192]
	stp	q14, q15, [x0, #224]
	stp	q16, q17, [x0, #256]
	stp	q18, q19, [x0, #288]
	stp	q20, q21, [x0, #320]
	stp	q22, q23, [x0, #352]
	stp	q24, q25, [x0, #384]
	stp	q26, q27, [x0, #416]
	stp	q28, q29, [x0, #448]
	stp	q30, q31, [x0, #480]
	mrs	x1, fpsr
	mrs	x2, fpcr
	add	x0, x0, #512
	stp	x1, x2, [x0]
	ret

	.global fpsimd_restore
fpsimd_restore:
	ldp	q0, q1, [x0, #0]
	ldp	q2, q3, [x0, #32]
	ldp	q4, q5, [x0, #64]
	ldp	q6, q7, [x0, #96]
	ldp	q8, q9, [x0, #128]
	ldp	q10, q11, [x0, #160]
	ldp	q12, q13, [x0, #192]
	ldp	q14, q15, [x0, #224]
	ldp	q16, q17, [x0, #256]
	ldp	q18, q19, [x0, #288]
	ldp	q20, q21, [x0, #320]
	ldp	q22, q23, [x0, #352]
	ldp	q24, q25, [x0, #384]
	ldp	q26, q27, [x0, #416]
	ldp	q28, q29, [x0, #448]
	ldp	q30, q31, [x0, #480]
	add	x0, x0, #512
	ldp	x1, x2, [x0]
	msr	fpsr, x1
	msr	fpcr, x2
	ret

/* The PSCI firmware call (SMC conduit): x0..x3 in, x0 out. */
	.global psci_fw_smc
psci_fw_smc:
	smc	#0
	ret
