/* SPDX-License-Identifier: Apache-2.0 */
/*
 * int64_t smccc_call(uint32_t id, uint64_t a1, uint64_t a2, uint64_t a3,
 *                    struct smccc_result *res);
 * The same through "smc #0": smccc_call_smc.
 *
 * x0-x3 go in and come back as the result; res (x4) may be NULL. Being an ordinary function,
 * the caller already treats x4-x17 as clobbered, which SMCCC 1.0 callees were allowed to do.
 */
	.macro smccc_conduit name, insn
	.section .text.\name, "ax"
	.globl \name
	.type \name, %function
\name:
	mov	w0, w0			// a uint32_t argument's upper half is undefined
	str	x4, [sp, #-16]!
	\insn	#0
	ldr	x4, [sp], #16
	cbz	x4, 1f
	stp	x0, x1, [x4]
	stp	x2, x3, [x4, #16]
1:	ret
	.size \name, . - \name
	.endm

	smccc_conduit smccc_call, hvc
	smccc_conduit smccc_call_smc, smc
