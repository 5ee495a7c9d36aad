/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The SVE registers for the checks that kestrel keeps a VM's own (the sve guest, sysreg_fuzz's
 * residue check): see sve_regs.h. They move the registers as kestrel's own context switch does,
 * with the same macros (kestrel's arch/sve_asm.inc: macros only, nothing of kestrel is linked).
 */
#include <arch/sve_asm.inc>

	.arch	armv8.2-a+sve
	.text
	.globl	sve_fill
	.type	sve_fill, %function
sve_fill:
	sve_load_ffr_p x1
	sve_z_regs ldr, x0
	ret
	.size	sve_fill, . - sve_fill

	.globl	sve_dump
	.type	sve_dump, %function
sve_dump:
	sve_z_regs str, x0
	sve_store_p_ffr x1
	ret
	.size	sve_dump, . - sve_dump

	.globl	sve_rdvl
	.type	sve_rdvl, %function
sve_rdvl:
	rdvl	x0, #1
	ret
	.size	sve_rdvl, . - sve_rdvl

	.globl	sve_zcr_read
	.type	sve_zcr_read, %function
sve_zcr_read:
	mrs	x0, S3_0_C1_C2_0
	ret
	.size	sve_zcr_read, . - sve_zcr_read

	.globl	sve_zcr_write
	.type	sve_zcr_write, %function
sve_zcr_write:
	msr	S3_0_C1_C2_0, x0
	isb
	ret
	.size	sve_zcr_write, . - sve_zcr_write
