/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The exactly counted parts of the benchmark guest: the timed loops, the IRQ entry and the
 * two VMs' loops of the world switch.
 *
 * Every timed loop has the same shape, so the only difference between two of them is the
 * body. bench_loop_empty has no body at all: what the other loops take beyond it, divided by
 * the number of rounds, is the cost of one body (the trapping instruction, its set-up if any,
 * and everything kestrel runs between the exit and the ERET).
 *
 *	uint64_t bench_loop_NAME(uint64_t rounds, uint64_t arg);
 *
 * returns the CNTVCT_EL0 ticks the loop took (rounds >= 1). The body may use x11 = arg and
 * x12 = 0, and may clobber x0-x7 (an SMCCC call returns results in x0-x3).
 */
#define ICC_SGI1R_EL1 S3_0_C12_C11_5
#define ICC_IAR1_EL1  S3_0_C12_C12_0
#define ICC_EOIR1_EL1 S3_0_C12_C12_1

#define TIMED_LOOP(name, ...)                                                               \
	.section .text.bench_loop_##name, "ax";                                             \
	.balign 64;                                                                         \
	.globl bench_loop_##name;                                                           \
	.type bench_loop_##name, %function;                                                 \
bench_loop_##name:                                                                          \
	mov	x8, x0;                                                                     \
	mov	x11, x1;                                                                    \
	mov	x12, xzr;                                                                   \
	isb;                                                                                \
	mrs	x9, cntvct_el0;                                                             \
1:	__VA_ARGS__;                                                                        \
	subs	x8, x8, #1;                                                                 \
	b.ne	1b;                                                                         \
	isb;                                                                                \
	mrs	x10, cntvct_el0;                                                            \
	sub	x0, x10, x9;                                                                \
	ret;                                                                                \
	.size bench_loop_##name, . - bench_loop_##name

/* The baseline: loop overhead only (subs, b.ne). */
TIMED_LOOP(empty, )

/* SMCCC_VERSION through HVC: the shortest call kestrel answers. */
TIMED_LOOP(smccc_version, mov w0, #0x80000000; hvc #0)

/* PSCI_VERSION through HVC: one level deeper in the SMCCC dispatch. */
TIMED_LOOP(psci_version, mov w0, #0x84000000; hvc #0)

/* A 32-bit load from an emulated device register (arg = its address). */
TIMED_LOOP(mmio_read32, ldr w2, [x11])

/* A 32-bit store to an emulated device register (arg = its address): writes 0 (x12). */
TIMED_LOOP(mmio_write32, str w12, [x11])

/* ID_AA64PFR0_EL1: an ID register, trapped by HCR_EL2.TID3, answered from a sanitized copy. */
TIMED_LOOP(read_id_aa64pfr0, mrs x2, id_aa64pfr0_el1)

/* ACTLR_EL1: trapped by HCR_EL2.TACR, found in the sysreg table (read as zero). */
TIMED_LOOP(read_actlr, mrs x2, actlr_el1)

/* MDSCR_EL1: trapped by MDCR_EL2.TDA, stored in the vCPU (a table row with storage). */
TIMED_LOOP(write_mdscr, msr mdscr_el1, x12)

/*
 * uint64_t bench_send_sgi(uint64_t sgi1r): writes ICC_SGI1R_EL1, yields, and returns the
 * counter read right before the write. Under -icount QEMU runs one CPU at a time; YIELD (not
 * trapped by kestrel) makes it run the other CPU, which has the interrupt, at once.
 */
	.text
	.globl bench_send_sgi
	.type bench_send_sgi, %function
bench_send_sgi:
	mov	x1, x0
	isb
	mrs	x0, cntvct_el0
	msr	ICC_SGI1R_EL1, x1
	yield
	ret
	.size bench_send_sgi, . - bench_send_sgi

/*
 * The guest's vector table while the benchmarks run. An IRQ from EL1 with SP_EL1 (the only
 * kind the guest takes) reads the counter as its third instruction and hands the value to
 * bench_irq(stamp) in C. Every other vector goes to the runtime's entry at the same offset,
 * which reports an unexpected exception and powers the VM off.
 */
#define IRQ_FRAME (20 * 8) /* x0-x18, x30 */

	.macro other_vector index
	.balign 128
	b	exception_vectors + 128 * \index
	.endm

	.section .text.bench_vectors, "ax"
	.balign 2048
	.globl bench_vectors
bench_vectors:
	.irp index, 0, 1, 2, 3, 4
	other_vector \index
	.endr
	.balign 128			// 5: IRQ, current EL with SP_EL1
	sub	sp, sp, #IRQ_FRAME
	stp	x0, x1, [sp]
	mrs	x0, cntvct_el0
	b	bench_irq_entry
	.irp index, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15
	other_vector \index
	.endr

bench_irq_entry:
	stp	x2, x3, [sp, #16]
	stp	x4, x5, [sp, #32]
	stp	x6, x7, [sp, #48]
	stp	x8, x9, [sp, #64]
	stp	x10, x11, [sp, #80]
	stp	x12, x13, [sp, #96]
	stp	x14, x15, [sp, #112]
	stp	x16, x17, [sp, #128]
	stp	x18, x30, [sp, #144]
	bl	bench_irq
	ldp	x2, x3, [sp, #16]
	ldp	x4, x5, [sp, #32]
	ldp	x6, x7, [sp, #48]
	ldp	x8, x9, [sp, #64]
	ldp	x10, x11, [sp, #80]
	ldp	x12, x13, [sp, #96]
	ldp	x14, x15, [sp, #112]
	ldp	x16, x17, [sp, #128]
	ldp	x18, x30, [sp, #144]
	ldp	x0, x1, [sp]
	add	sp, sp, #IRQ_FRAME
	eret

/*
 * The world switch: two VMs of one vCPU each on one physical CPU (bench/world-switch.dts;
 * benchguest.c explains the measurement).
 *
 * uint64_t bench_switch_spin(uint64_t threshold, uint64_t limit), the spinner: reads the
 * physical counter (CNTPCT_EL0, the same in every VM) in a loop of SWITCH_SPIN_LOOP = 8
 * instructions, isb to b.lo, and returns the first difference between two consecutive reads
 * above threshold, or 0 once the counter passes limit. Every difference is between two reads
 * of the loop: the first one, against limit, is negative.
 */
	.text
	.globl bench_switch_spin
	.type bench_switch_spin, %function
bench_switch_spin:
	mov	x2, x1
1:	isb
	mrs	x3, cntpct_el0
	sub	x4, x3, x2
	mov	x2, x3
	cmp	x4, x0
	b.gt	2f
	cmp	x3, x1
	b.lo	1b
	mov	x0, xzr
	ret
2:	mov	x0, x4
	ret
	.size bench_switch_spin, . - bench_switch_spin

/*
 * void bench_switch_sleep(uint64_t rounds, uint64_t ahead), the sleeper, with IRQs masked:
 * rounds times, sets the virtual timer ahead ticks from now and waits in WFI, which a pending
 * interrupt ends whatever PSTATE.I says. The timer is turned off, which lowers its level,
 * before its interrupt is completed: the completion deactivates the hardware-linked physical
 * interrupt, which must not be pending again. From the instruction after the WFI to the next
 * WFI: SWITCH_SLEEPER_OWN = 11 instructions.
 */
	.globl bench_switch_sleep
	.type bench_switch_sleep, %function
bench_switch_sleep:
	mov	x5, #1
1:	mrs	x2, cntvct_el0
	add	x2, x2, x1
	msr	cntv_cval_el0, x2
	msr	cntv_ctl_el0, x5
	isb
	wfi
	mrs	x3, ICC_IAR1_EL1
	msr	cntv_ctl_el0, xzr
	isb
	msr	ICC_EOIR1_EL1, x3
	subs	x0, x0, #1
	b.ne	1b
	ret
	.size bench_switch_sleep, . - bench_switch_sleep
