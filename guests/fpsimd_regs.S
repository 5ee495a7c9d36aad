/* SPDX-License-Identifier: Apache-2.0 */
/*
 * FP/SIMD register file access for the fpsimd guest. The rest of the guest is built with
 * -mgeneral-regs-only, so between these two calls nothing but kestrel can change v0-v31,
 * FPCR or FPSR.
 */

/* void fpsimd_load(const uint64_t regs[64], uint64_t fpcr, uint64_t fpsr)
 * regs: 32 128-bit values (low half first), 16-byte aligned. */
	.text
	.globl fpsimd_load
	.type fpsimd_load, %function
fpsimd_load:
	msr	fpcr, x1
	msr	fpsr, x2
	ldp	q0, q1, [x0], #32
	ldp	q2, q3, [x0], #32
	ldp	q4, q5, [x0], #32
	ldp	q6, q7, [x0], #32
	ldp	q8, q9, [x0], #32
	ldp	q10, q11, [x0], #32
	ldp	q12, q13, [x0], #32
	ldp	q14, q15, [x0], #32
	ldp	q16, q17, [x0], #32
	ldp	q18, q19, [x0], #32
	ldp	q20, q21, [x0], #32
	ldp	q22, q23, [x0], #32
	ldp	q24, q25, [x0], #32
	ldp	q26, q27, [x0], #32
	ldp	q28, q29, [x0], #32
	ldp	q30, q31, [x0], #32
	ret
	.size fpsimd_load, . - fpsimd_load

/* void fpsimd_save(uint64_t regs[64], uint64_t *fpcr, uint64_t *fpsr) */
	.globl fpsimd_save
	.type fpsimd_save, %function
fpsimd_save:
	mrs	x3, fpcr
	str	x3, [x1]
	mrs	x3, fpsr
	str	x3, [x2]
	stp	q0, q1, [x0], #32
	stp	q2, q3, [x0], #32
	stp	q4, q5, [x0], #32
	stp	q6, q7, [x0], #32
	stp	q8, q9, [x0], #32
	stp	q10, q11, [x0], #32
	stp	q12, q13, [x0], #32
	stp	q14, q15, [x0], #32
	stp	q16, q17, [x0], #32
	stp	q18, q19, [x0], #32
	stp	q20, q21, [x0], #32
	stp	q22, q23, [x0], #32
	stp	q24, q25, [x0], #32
	stp	q26, q27, [x0], #32
	stp	q28, q29, [x0], #32
	stp	q30, q31, [x0], #32
	ret
	.size fpsimd_save, . - fpsimd_save
