/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The SVE register file (kestrel/sve.h): sve_save_regs(z, p, fpsr_fpcr) stores Z0-Z31 at z,
 * P0-P15 and FFR at p and FPSR, FPCR at fpsr_fpcr; sve_load_regs(z, p, fpsr_fpcr) loads them.
 * The addresses step by the current vector length (MUL VL), so the caller sets ZCR_EL2 first.
 * The registers are moved by the macros of arch/sve_asm.inc.
 */
#include <arch/sve_asm.inc>

	.arch	armv8.2-a+sve
	.text

	.globl	sve_save_regs
	.type	sve_save_regs, %function
sve_save_regs:
	sve_z_regs str, x0
	sve_store_p_ffr x1
	mrs	x3, fpsr
	mrs	x4, fpcr
	stp	x3, x4, [x2]
	ret
	.size	sve_save_regs, . - sve_save_regs

	.globl	sve_load_regs
	.type	sve_load_regs, %function
sve_load_regs:
	sve_z_regs ldr, x0
	sve_load_ffr_p x1
	ldp	x3, x4, [x2]
	msr	fpsr, x3
	msr	fpcr, x4
	ret
	.size	sve_load_regs, . - sve_load_regs

/* The vector length at EL2 in bytes (ZCR_EL2 sets it). */
	.globl	sve_rdvl
	.type	sve_rdvl, %function
sve_rdvl:
	rdvl	x0, #1
	ret
	.size	sve_rdvl, . - sve_rdvl
