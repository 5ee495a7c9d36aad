/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Image header and entry points.
 *
 * kestrel (like a Linux boot loader) loads the Image at RAM base + text_offset and enters it
 * at EL1h with the MMU and caches off, DAIF masked and x0 = the DTB address. The header
 * layout is Linux's Documentation/arch/arm64/booting.rst.
 */
#include "stack.h"

	.section .text.head, "ax"
	.globl _start
_start:
	b	primary_entry		// code0
	.long	0			// code1
	.quad	0x80000			// text_offset: where in RAM we are loaded (see guest.ld)
	.quad	_image_size		// image_size, bss and stacks included
	.quad	0x2			// flags: little endian, 4 KiB pages, no placement rule
	.quad	0			// res2
	.quad	0			// res3
	.quad	0			// res4
	.ascii	"ARM\x64"		// magic
	.long	0			// res5

	.text
primary_entry:
	mov	x19, x0			// keep the DTB address across the setup

	// Stack slot 0 belongs to the boot vCPU.
	adrp	x1, vcpu_stacks
	add	x1, x1, :lo12:vcpu_stacks
	add	sp, x1, #STACK_SIZE

	// Zero .bss. Only the boot vCPU does this: secondaries start while it runs.
	adrp	x1, __bss_start
	add	x1, x1, :lo12:__bss_start
	adrp	x2, __bss_end
	add	x2, x2, :lo12:__bss_end
1:	cmp	x1, x2
	b.hs	2f
	str	xzr, [x1], #8
	b	1b
2:
	bl	cpu_setup
	mov	x0, x19
	bl	runtime_init
	mov	x0, x19
	bl	main
	bl	test_finish		// a main that returns has run all its checks
3:	wfi
	b	3b

/*
 * Entry for vCPUs started with PSCI CPU_ON: x0 = the context id the caller chose. Its low
 * byte picks the stack slot (callers pass the vCPU index there; slot 0 is the boot vCPU's,
 * so it is refused); the whole value goes to secondary_main(context) so a test can check
 * that it arrived intact.
 */
	.globl secondary_entry
secondary_entry:
	mov	x19, x0
	and	x1, x0, #0xff
	cbz	x1, park
	cmp	x1, #MAX_VCPUS
	b.hs	park
	adrp	x2, vcpu_stacks
	add	x2, x2, :lo12:vcpu_stacks
	add	x1, x1, #1		// stacks grow down: start at the top of the slot
	mov	x3, #STACK_SIZE
	madd	x2, x1, x3, x2
	mov	sp, x2

	bl	cpu_setup
	mov	x0, x19
	bl	secondary_main
	bl	psci_cpu_off
park:
	wfe
	b	park

/* Per-vCPU system register setup: exception vectors and FP/SIMD access at EL1. */
cpu_setup:
	adrp	x0, exception_vectors
	add	x0, x0, :lo12:exception_vectors
	msr	vbar_el1, x0
	mov	x0, #(3 << 20)		// CPACR_EL1.FPEN = 0b11: no FP/SIMD traps at EL1
	msr	cpacr_el1, x0
	isb
	ret

	.section .stacks, "aw", %nobits
	.balign 16
	.globl vcpu_stacks
vcpu_stacks:
	.space	STACK_SIZE * MAX_VCPUS
