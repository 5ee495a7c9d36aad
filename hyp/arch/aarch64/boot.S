/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Entry from a loader that boots Linux: the arm64 Image header first, then the primary CPU
 * path (EL2, MMU off, x0 = DTB) and the secondary path that PSCI CPU_ON starts.
 */
#include <kestrel/asm_offsets.h>

	.section .text.head, "ax"
	.global _start
_start:
	b	primary_entry		/* code0 */
	.long	0			/* code1 */
	.quad	0x200000		/* text_offset: 2 MiB above the base of RAM */
	.quad	_image_size		/* image_size, bss included */
	.quad	0x2			/* flags: little endian, 4 KiB pages */
	.quad	0, 0, 0			/* reserved */
	.ascii	"ARM\x64"		/* magic */
	.long	0			/* reserved */

primary_entry:
	msr	daifset, #0xf		/* whatever the loader left: no exception until kestrel's vectors */
	mov	x19, x0			/* DTB */
	mrs	x20, CurrentEL
	ubfx	x20, x20, #2, #2
	ldr	x1, =pcpu_stacks + PCPU_STACK_SIZE
	mov	sp, x1
	/* kestrel never uses FP/SIMD itself, but Debian's libfdt does: allow it at this EL. */
	cmp	x20, #2
	b.ne	1f
	mov	x1, #0x33ff		/* CPTR_EL2: RES1 bits, no traps */
	msr	cptr_el2, x1
	b	2f
1:	mov	x1, #(3 << 20)		/* CPACR_EL1.FPEN */
	msr	cpacr_el1, x1
2:	isb
	/* Zero bss: the boot stack lives in it, but nothing is on it yet. */
	ldr	x1, =__bss_start
	ldr	x2, =__bss_end
3:	cmp	x1, x2
	b.hs	4f
	stp	xzr, xzr, [x1], #16
	b	3b
4:	mov	x0, x19
	mov	x1, x20
	bl	boot_mmu_tables		/* x0 = struct mmu_config * */
	mov	x21, x0
	cmp	x20, #2
	b.ne	5f
	bl	mmu_enable_el2
	b	6f
5:	bl	mmu_enable_el1
6:	mov	x0, x19
	mov	x1, x20
	bl	kmain
	b	halt_forever

/* x0 = pcpu index (the context id kestrel passed to CPU_ON). */
	.global secondary_entry
secondary_entry:
	msr	daifset, #0xf
	mov	x19, x0
	ldr	x1, =pcpu_stacks + PCPU_STACK_SIZE
	mov	x2, #PCPU_STACK_SIZE
	madd	x1, x0, x2, x1
	mov	sp, x1
	mov	x1, #0x33ff
	msr	cptr_el2, x1
	isb
	ldr	x0, =mmu_boot_config
	bl	mmu_enable_el2
	mov	x0, x19
	bl	secondary_main
	b	halt_forever

/* x0 = struct mmu_config { ttbr, tcr, mair, sctlr } */
	.global mmu_enable_el2
mmu_enable_el2:
	ldp	x1, x2, [x0]
	ldp	x3, x4, [x0, #16]
	msr	mair_el2, x3
	msr	tcr_el2, x2
	msr	ttbr0_el2, x1
	isb
	tlbi	alle2
	dsb	ish
	isb
	msr	sctlr_el2, x4
	isb
	ret

/* Only for reporting a wrong entry EL: the same tables through TTBR0_EL1. */
mmu_enable_el1:
	ldr	x1, [x0]		/* ttbr */
	ldr	x2, [x0, #32]		/* tcr_el1 */
	ldr	x3, [x0, #16]		/* mair */
	ldr	x4, [x0, #40]		/* sctlr_el1 */
	msr	mair_el1, x3
	msr	tcr_el1, x2
	msr	ttbr0_el1, x1
	isb
	tlbi	vmalle1
	dsb	ish
	isb
	msr	sctlr_el1, x4
	isb
	ret

	.global halt_forever
halt_forever:
	msr	daifset, #0xf
1:	wfi
	b	1b

	.section .bss.stacks, "aw", %nobits
	.balign	16
	.global pcpu_stacks
pcpu_stacks:
	.space	PCPU_STACK_SIZE * PCPU_MAX
