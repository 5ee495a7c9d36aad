/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The EL1 exception vector table (vectors.inc): every exception goes to exception_handle, so
 * a handled fault resumes with every other register as it was.
 */
#include "vectors.inc"

	.section .text.vectors, "ax"
	.balign 2048
	.globl exception_vectors
	el1_vectors exception_vectors, exception_handle
