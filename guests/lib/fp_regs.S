/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The FP/SIMD registers for the checks that kestrel keeps a VM's own (sysreg_fuzz's residue
 * check, the victim's fp=1, race.c's mode=fp): fp_fill(vals) loads v0-v31 from 64 doublewords,
 * fp_save(vals) stores them back. Nothing else in a guest uses these registers (the guests are
 * built with -mgeneral-regs-only), so what they hold between the two is what kestrel kept.
 */
	.text
	.globl fp_fill
	.type fp_fill, %function
fp_fill:
	ld1	{v0.2d, v1.2d, v2.2d, v3.2d}, [x0], #64
	ld1	{v4.2d, v5.2d, v6.2d, v7.2d}, [x0], #64
	ld1	{v8.2d, v9.2d, v10.2d, v11.2d}, [x0], #64
	ld1	{v12.2d, v13.2d, v14.2d, v15.2d}, [x0], #64
	ld1	{v16.2d, v17.2d, v18.2d, v19.2d}, [x0], #64
	ld1	{v20.2d, v21.2d, v22.2d, v23.2d}, [x0], #64
	ld1	{v24.2d, v25.2d, v26.2d, v27.2d}, [x0], #64
	ld1	{v28.2d, v29.2d, v30.2d, v31.2d}, [x0], #64
	ret
	.size fp_fill, . - fp_fill

	.globl fp_save
	.type fp_save, %function
fp_save:
	st1	{v0.2d, v1.2d, v2.2d, v3.2d}, [x0], #64
	st1	{v4.2d, v5.2d, v6.2d, v7.2d}, [x0], #64
	st1	{v8.2d, v9.2d, v10.2d, v11.2d}, [x0], #64
	st1	{v12.2d, v13.2d, v14.2d, v15.2d}, [x0], #64
	st1	{v16.2d, v17.2d, v18.2d, v19.2d}, [x0], #64
	st1	{v20.2d, v21.2d, v22.2d, v23.2d}, [x0], #64
	st1	{v24.2d, v25.2d, v26.2d, v27.2d}, [x0], #64
	st1	{v28.2d, v29.2d, v30.2d, v31.2d}, [x0], #64
	ret
	.size fp_save, . - fp_save
