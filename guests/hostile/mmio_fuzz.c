/* SPDX-License-Identifier: Apache-2.0 */
/*
 * mmio_fuzz: every way a guest can touch the devices kestrel emulates for it: the GICv3
 * distributor (0x08000000, 64 KiB), its own redistributor frames (0x080a0000, 128 KiB per
 * vCPU) and the PL011 (0x09000000, 4 KiB), plus redistributor frames beyond its vCPUs, which
 * it does not have. Each access is emulated (real semantics, or read-as-zero/write-ignored
 * for reserved registers) or ends in exactly one synchronous external abort (EC 0x25, DFSC
 * 0x10); nothing else may happen, and the VM must keep running.
 *
 * 1. With the MMU off (Device memory): reads of every aligned offset at 4 and 8 bytes, of
 *    random offsets at 1 and 2 bytes; reads of the frames beyond its vCPUs (must abort).
 * 2. writes= (default 20000) random writes of random width, offset and value (the UART's
 *    data register left out: that would print).
 * 3. The forms kestrel gets no syndrome for (ISV = 0): LDP/STP, pre- and post-index
 *    writeback (the base register must not move when it aborts), LDXR/STXR, LDAXR/STLXR,
 *    LSE atomics (LDADD, SWP, CAS), SIMD loads and stores: each must abort. A store-exclusive
 *    may instead just fail (status 1) without an access, and stage 1 may refuse an exclusive
 *    to Device memory with an alignment fault first: both architected.
 * 4. Loads and stores with a syndrome checked for their semantics: sign and zero extension
 *    (LDRSB/LDRSH/LDRSW, 32-bit destinations), load-acquire/store-release, XZR as the
 *    source and the destination.
 * 5. With the MMU on and the device window also mapped as Normal memory (where stage 1
 *    allows unaligned accesses, so kestrel sees them): unaligned accesses of 2, 4 and 8
 *    bytes, LDP/STP and DC ZVA on the devices: each must abort.
 * 6. Afterwards its own vGIC must still work: after a fresh GIC set-up, an SGI to itself is
 *    taken.
 *
 * Prints "HOSTILE: mmio cases N aborts A" (N accesses, A of them aborted).
 */
#include <stdarg.h>
#include "boot_info.h"
#include "check.h"
#include "exception.h"
#include "gic.h"
#include "hostile.h"
#include "mmio.h"
#include "printf.h"
#include "runtime.h"
#include "sysreg.h"

#define GICD_SIZE     0x10000ul
#define UART_BASE     0x09000000ul
#define UART_SIZE     0x1000ul
#define NORMAL_ALIAS  0x80000000ul /* VA of IPA 0 as Normal memory once the MMU is on */
#define FSC_ALIGNMENT 0x21u
#define MAX_SHOWN     24
#define MARK	      0x5e5e5e5e5e5e5e5eull
#define SGI_CHECK     5

static unsigned long cases, emulated, aborts, stage1, xfail, shown;
static bool have_lse;

__attribute__((format(printf, 2, 3))) static void fail(uint64_t addr, const char *fmt, ...)
{
	va_list ap;

	test_fail();
	if (shown++ < MAX_SHOWN) {
		printf("FAIL - 0x%lx: ", addr);
		va_start(ap, fmt);
		vprintf(fmt, ap);
		va_end(ap);
		printf("\n");
	}
}

/* ---- single accesses: one instruction each, so that ELR + 4 resumes after it ---- */

enum op {
	R8,
	R16,
	R32,
	R64,
	W8,
	W16,
	W32,
	W64, /* plain, with a syndrome */
	RSB,
	RSH,
	RSW,
	RSB32,
	LDARW,
	STLRW,
	LDARX,
	STLRX, /* with a syndrome, checked */
	LDP,
	STP,
	LDRPRE,
	STRPOST,
	LDXR,
	STXR,
	LDAXR,
	STLXR,
	LDADD,
	SWP,
	CAS,
	LDRQ,
	STRQ,
	DCZVA,
	NOPS
};

static const char *const op_names[NOPS] = {
    "ldrb",  "ldrh",  "ldr w",	       "ldr x",		 "strb",   "strh",   "str w",  "str x",
    "ldrsb", "ldrsh", "ldrsw",	       "ldrsb w",	 "ldar w", "stlr w", "ldar x", "stlr x",
    "ldp",   "stp",   "ldr pre-index", "str post-index", "ldxr",   "stxr",   "ldaxr",  "stlxr",
    "ldadd", "swp",   "cas",	       "ldr q",		 "str q",  "dc zva",
};

/* The access; *val is the value stored, or receives the value loaded (or a status). */
static __attribute__((noinline)) void do_op(enum op op, uint64_t a, uint64_t *val)
{
	uint64_t v = *val, base = a, v2 = MARK;

	switch (op) {
	case R8:
		__asm__ __volatile__("ldrb %w0, [%1]" : "+r"(v) : "r"(a) : "memory");
		break;
	case R16:
		__asm__ __volatile__("ldrh %w0, [%1]" : "+r"(v) : "r"(a) : "memory");
		break;
	case R32:
		__asm__ __volatile__("ldr %w0, [%1]" : "+r"(v) : "r"(a) : "memory");
		break;
	case R64:
		__asm__ __volatile__("ldr %0, [%1]" : "+r"(v) : "r"(a) : "memory");
		break;
	case W8:
		__asm__ __volatile__("strb %w0, [%1]" : : "r"(v), "r"(a) : "memory");
		break;
	case W16:
		__asm__ __volatile__("strh %w0, [%1]" : : "r"(v), "r"(a) : "memory");
		break;
	case W32:
		__asm__ __volatile__("str %w0, [%1]" : : "r"(v), "r"(a) : "memory");
		break;
	case W64:
		__asm__ __volatile__("str %0, [%1]" : : "r"(v), "r"(a) : "memory");
		break;
	case RSB:
		__asm__ __volatile__("ldrsb %0, [%1]" : "+r"(v) : "r"(a) : "memory");
		break;
	case RSH:
		__asm__ __volatile__("ldrsh %0, [%1]" : "+r"(v) : "r"(a) : "memory");
		break;
	case RSW:
		__asm__ __volatile__("ldrsw %0, [%1]" : "+r"(v) : "r"(a) : "memory");
		break;
	case RSB32:
		__asm__ __volatile__("ldrsb %w0, [%1]" : "+r"(v) : "r"(a) : "memory");
		break;
	case LDARW:
		__asm__ __volatile__("ldar %w0, [%1]" : "+r"(v) : "r"(a) : "memory");
		break;
	case STLRW:
		__asm__ __volatile__("stlr %w0, [%1]" : : "r"(v), "r"(a) : "memory");
		break;
	case LDARX:
		__asm__ __volatile__("ldar %0, [%1]" : "+r"(v) : "r"(a) : "memory");
		break;
	case STLRX:
		__asm__ __volatile__("stlr %0, [%1]" : : "r"(v), "r"(a) : "memory");
		break;
	case LDP:
		__asm__ __volatile__("ldp %0, %1, [%2]" : "+r"(v), "+r"(v2) : "r"(a) : "memory");
		v = v2 == MARK ? v : v ^ v2;
		break;
	case STP:
		__asm__ __volatile__("stp %0, %0, [%1]" : : "r"(v), "r"(a) : "memory");
		break;
	case LDRPRE:
		base = a - 16;
		__asm__ __volatile__("ldr %0, [%1, #16]!" : "+r"(v), "+r"(base) : : "memory");
		base += 16;
		break;
	case STRPOST:
		__asm__ __volatile__("str %1, [%0], #8" : "+r"(base) : "r"(v) : "memory");
		break;
	case LDXR:
		__asm__ __volatile__("ldxr %0, [%1]" : "+r"(v) : "r"(a) : "memory");
		break;
	case STXR:
		v2 = 7;
		__asm__ __volatile__("stxr %w0, %1, [%2]" : "+r"(v2) : "r"(v), "r"(a) : "memory");
		v = v2;
		break;
	case LDAXR:
		__asm__ __volatile__("ldaxr %w0, [%1]" : "+r"(v) : "r"(a) : "memory");
		break;
	case STLXR:
		v2 = 7;
		__asm__ __volatile__("stlxr %w0, %w1, [%2]" : "+r"(v2) : "r"(v), "r"(a) : "memory");
		v = v2;
		break;
	case LDADD:
		__asm__ __volatile__(".arch_extension lse\n\tldadd %w1, %w0, [%2]"
				     : "+r"(v)
				     : "r"(1u), "r"(a)
				     : "memory");
		break;
	case SWP:
		__asm__ __volatile__(".arch_extension lse\n\tswp %w1, %w0, [%2]"
				     : "+r"(v)
				     : "r"(0u), "r"(a)
				     : "memory");
		break;
	case CAS:
		__asm__ __volatile__(".arch_extension lse\n\tcas %w0, %w1, [%2]"
				     : "+r"(v)
				     : "r"(0u), "r"(a)
				     : "memory");
		break;
	case LDRQ:
		__asm__ __volatile__("fmov d0, %0\n\tldr q0, [%1]\n\tfmov %0, d0"
				     : "+r"(v)
				     : "r"(a)
				     : "v0", "memory");
		break;
	case STRQ:
		__asm__ __volatile__("movi v0.2d, #0\n\tstr q0, [%0]" : : "r"(a) : "v0", "memory");
		break;
	case DCZVA:
		__asm__ __volatile__("dc zva, %0" : : "r"(a) : "memory");
		break;
	case NOPS:
		break;
	}
	/* Writeback forms report a moved base register as a changed value. */
	if ((op == LDRPRE || op == STRPOST) && base != a)
		v = ~MARK;
	*val = v;
}

static bool is_fsc_abort(uint64_t esr)
{
	return ESR_EC(esr) == EC_DABT_CUR && ESR_FSC(esr) == FSC_SYNC_EXTERNAL;
}

enum want { MAY_EMULATE, MUST_ABORT };

/*
 * One access, judged. MAY_EMULATE: completing or one external abort are both fine.
 * MUST_ABORT: one external abort (or the architected alternatives for exclusives and DC ZVA
 * described at the top). Returns true if it completed; *val as do_op leaves it.
 */
static bool access(enum op op, uint64_t a, uint64_t *val, enum want want)
{
	uint64_t before = *val;

	if ((op == LDADD || op == SWP || op == CAS) && !have_lse)
		return false;
	cases++;
	exception_expect(0);
	do_op(op, a, val);
	unsigned taken = exception_expect_end();
	uint64_t esr = last_exception.esr;

	if (taken == 0) {
		if ((op == STXR || op == STLXR) && *val == 1) {
			xfail++; /* failed without an access: fine */
			return false;
		}
		if (want == MUST_ABORT) {
			fail(a, "%s completed (value 0x%lx), expected an abort", op_names[op],
			     *val);
			return true;
		}
		emulated++;
		return true;
	}
	if (is_fsc_abort(esr) && last_exception.far >= a && last_exception.far < a + 16) {
		aborts++;
		/* Nothing may have been written back: destination, status or base register. */
		if (*val != (op == STXR || op == STLXR ? 7 : before))
			fail(a, "%s aborted, but a register changed (0x%lx)", op_names[op], *val);
		return false;
	}
	if (ESR_EC(esr) == EC_DABT_CUR && ESR_FSC(esr) == FSC_ALIGNMENT &&
	    (op == LDXR || op == STXR || op == LDAXR || op == STLXR || op == DCZVA || op == LDADD ||
	     op == SWP || op == CAS)) {
		stage1++; /* stage 1 refused it (Device memory) before kestrel could see it */
		return false;
	}
	fail(a, "%s: ESR_EL1 0x%lx FAR_EL1 0x%lx, expected %s", op_names[op], esr,
	     last_exception.far,
	     want == MUST_ABORT ? "an external abort" : "emulation or an abort");
	return false;
}

/* ---- the device windows ---- */

struct window {
	const char *name;
	uint64_t base, size;
	bool own;
};

static struct window windows[3];
static unsigned nwindows;

static void setup_windows(void)
{
	unsigned ncpus = boot_info.num_cpus ? boot_info.num_cpus : 1;

	windows[0] = (struct window){"GICD", GICD_BASE, GICD_SIZE, true};
	windows[1] = (struct window){"GICR", GICR_BASE, GICR_FRAME_STRIDE * ncpus, true};
	windows[2] = (struct window){"UART", UART_BASE, UART_SIZE, true};
	nwindows = 3;
}

/* 1. Reads. */
static void read_sweep(struct rng *rng)
{
	for (unsigned w = 0; w < nwindows; w++) {
		const struct window *win = &windows[w];
		for (uint64_t off = 0; off < win->size; off += 4) {
			uint64_t v = 0;
			access(R32, win->base + off, &v, MAY_EMULATE);
			if (off % 8 == 0) {
				v = 0;
				access(R64, win->base + off, &v, MAY_EMULATE);
			}
		}
		for (unsigned k = 0; k < 4096; k++) {
			uint64_t v = 0, off = rng_below(rng, win->size);
			access(R8, win->base + off, &v, MAY_EMULATE);
			v = 0;
			access(R16, win->base + (off & ~1ull), &v, MAY_EMULATE);
		}
	}
	/* Redistributor frames this VM does not have: the next ones, and some far up. */
	unsigned ncpus = boot_info.num_cpus ? boot_info.num_cpus : 1;
	for (unsigned f = ncpus; f < ncpus + 2; f++)
		for (uint64_t off = 0; off < GICR_FRAME_STRIDE; off += 0x1000) {
			uint64_t v = 0;
			access(R32, GICR_BASE + f * GICR_FRAME_STRIDE + off, &v, MUST_ABORT);
			access(W32, GICR_BASE + f * GICR_FRAME_STRIDE + off, &v, MUST_ABORT);
		}
	for (unsigned k = 0; k < 256; k++) {
		uint64_t f = ncpus + rng_below(rng, 64),
			 off = rng_below(rng, GICR_FRAME_STRIDE) & ~7ull;
		uint64_t v = 0;
		access(R64, GICR_BASE + f * GICR_FRAME_STRIDE + off, &v, MUST_ABORT);
	}
}

/* 2. Random writes. */
static void write_fuzz(struct rng *rng, unsigned n)
{
	static const enum op writes[] = {W8, W16, W32, W64, STLRW, STLRX};
	static const unsigned width[] = {1, 2, 4, 8, 4, 8};

	for (unsigned k = 0; k < n; k++) {
		const struct window *win = &windows[rng_below(rng, nwindows)];
		unsigned i = (unsigned)rng_below(rng, ARRAY_LEN(writes));
		uint64_t off = rng_below(rng, win->size) & ~(uint64_t)(width[i] - 1);
		uint64_t v = rng_below(rng, 4) ? rng_next(rng) : rng_below(rng, 2) ? 0 : ~0ull;
		if (win->base == UART_BASE && off < 4)
			continue; /* UARTDR: it would print */
		access(writes[i], win->base + off, &v, MAY_EMULATE);
	}
}

/* 3. Forms without a syndrome. */
static void no_syndrome(uint64_t alias)
{
	static const enum op ops[] = {LDP,   STP,   LDRPRE, STRPOST, LDXR, STXR, LDAXR,
				      STLXR, LDADD, SWP,    CAS,     LDRQ, STRQ};
	const uint64_t offs[] = {0x0, 0x100, 0x400, 0x6100, 0xffe8};

	for (unsigned w = 0; w < nwindows; w++)
		for (unsigned o = 0; o < ARRAY_LEN(offs); o++) {
			uint64_t a = alias + windows[w].base + (offs[o] % windows[w].size);
			for (unsigned i = 0; i < ARRAY_LEN(ops); i++) {
				uint64_t v = MARK;
				if (windows[w].base == UART_BASE && offs[o] == 0 && ops[i] != LDP &&
				    ops[i] != LDRQ && ops[i] != LDXR && ops[i] != LDAXR)
					continue; /* a store to UARTDR that got through would print
						   */
				access(ops[i], a, &v, MUST_ABORT);
			}
		}
}

/* 4. Semantics of accesses with a syndrome. */
static void semantics(void)
{
	uint64_t prio = GICD_BASE + GICD_IPRIORITYR + 40; /* SPI 40's priority byte */
	uint64_t v;

	v = 0xa0;
	access(W8, prio, &v, MAY_EMULATE);
	v = 0;
	if (access(R8, prio, &v, MAY_EMULATE))
		check(v == 0xa0, "byte write, byte read of a priority: 0x%lx", v);
	v = 0;
	if (access(RSB, prio, &v, MAY_EMULATE))
		check(v == 0xffffffffffffffa0ull, "LDRSB Xt sign-extends to 64 bits: 0x%lx", v);
	v = ~0ull;
	if (access(RSB32, prio, &v, MAY_EMULATE))
		check(v == 0xffffffa0ull,
		      "LDRSB Wt sign-extends to 32 bits, upper half zero: 0x%lx", v);
	v = 0x80a0c0e0ull;
	access(STLRW, prio & ~3ull, &v, MAY_EMULATE);
	v = 0;
	if (access(LDARW, prio & ~3ull, &v, MAY_EMULATE))
		check(v == 0x80a0c0e0ull, "STLR/LDAR of four priorities: 0x%lx", v);
	v = 0;
	if (access(RSW, prio & ~3ull, &v, MAY_EMULATE))
		check(v == 0xffffffff80a0c0e0ull, "LDRSW sign-extends: 0x%lx", v);
	v = 0;
	if (access(R32, GICD_BASE + GIC_PIDR2, &v, MAY_EMULATE))
		check(field(v, 4, 4) == 3, "GICD_PIDR2.ArchRev = %lu (GICv3)", field(v, 4, 4));

	/* XZR as the source and as the destination (Rt = 31 in the syndrome). */
	__asm__ __volatile__("str wzr, [%0]" : : "r"(prio & ~3ull) : "memory");
	v = mmio_read32(prio & ~3ull);
	check(v == 0, "STR WZR wrote zero: priorities now 0x%lx", v);
	__asm__ __volatile__("ldr wzr, [%0]" : : "r"(GICD_BASE + GICD_TYPER) : "memory");
	check(true, "LDR WZR from GICD_TYPER");
	cases += 3;
	emulated += 3;

	/* A 32-bit destination of a 64-bit register: the upper half of Xt is zero. */
	uint64_t router = GICD_BASE + GICD_IROUTER + 8 * 40;
	mmio_write64(router, 0xff00000000ull | boot_info.cpu_mpidr[0]);
	v = ~0ull;
	if (access(R32, router + 4, &v, MAY_EMULATE))
		check(v <= 0xffffffffull, "LDR Wt of IROUTER's upper half: 0x%lx", v);
	mmio_write64(router, boot_info.cpu_mpidr[0]);
}

/* ---- 5. the MMU on, the device window as Normal memory at NORMAL_ALIAS ---- */

static uint64_t l1_table[512] __attribute__((aligned(4096)));

#define PTE_BLOCK    0x1ull
#define PTE_AF	     (1ull << 10)
#define PTE_SH_INNER (3ull << 8)
#define PTE_ATTR(i)  ((uint64_t)(i) << 2)
#define PTE_XN	     (3ull << 53) /* UXN and PXN */
#define MAIR_VALUE   0xff04ull	  /* attr 0: Device-nGnRE, attr 1: Normal write-back */
#define TCR_VALUE    (25ull | (1ull << 8) | (1ull << 10) | (3ull << 12) | (1ull << 23) | (2ull << 32))
#define SCTLR_M	     (1ull << 0)
#define SCTLR_A	     (1ull << 1)
#define SCTLR_C	     (1ull << 2)
#define SCTLR_I	     (1ull << 12)

static void mmu_on(void)
{
	l1_table[0] = 0x00000000 | PTE_BLOCK | PTE_AF | PTE_ATTR(0) | PTE_XN;
	l1_table[1] = 0x40000000 | PTE_BLOCK | PTE_AF | PTE_ATTR(1) | PTE_SH_INNER;
	l1_table[2] = 0x00000000 | PTE_BLOCK | PTE_AF | PTE_ATTR(1) | PTE_SH_INNER | PTE_XN;
	dsb_sy();
	write_sysreg(mair_el1, MAIR_VALUE);
	write_sysreg(tcr_el1, TCR_VALUE);
	write_sysreg(ttbr0_el1, (uint64_t)(uintptr_t)l1_table);
	isb();
	__asm__ __volatile__("tlbi vmalle1\n\tdsb nsh\n\tisb" : : : "memory");
	uint64_t sctlr = read_sysreg(sctlr_el1);
	write_sysreg(sctlr_el1, (sctlr | SCTLR_M | SCTLR_C | SCTLR_I) & ~SCTLR_A);
	isb();
}

static void unaligned(uint64_t alias, struct rng *rng)
{
	static const enum op ops[] = {R16, R32, R64, W16, W32, W64};
	static const unsigned width[] = {2, 4, 8, 2, 4, 8};

	for (unsigned w = 0; w < nwindows; w++)
		for (unsigned k = 0; k < 200; k++) {
			unsigned i = (unsigned)rng_below(rng, ARRAY_LEN(ops));
			uint64_t off = rng_below(rng, windows[w].size - 16);
			if (off % width[i] == 0)
				off++;
			if (windows[w].base == UART_BASE && off < 8)
				off += 8; /* not UARTDR */
			uint64_t v = rng_next(rng);
			access(ops[i], alias + windows[w].base + off, &v, MUST_ABORT);
		}
	for (unsigned w = 0; w < nwindows; w++) {
		uint64_t v = 0;
		access(DCZVA, alias + windows[w].base + 0x400, &v, MUST_ABORT);
	}
}

/* ---- 6. its own vGIC afterwards ---- */

static volatile unsigned sgis_taken;

static void on_irq(unsigned intid)
{
	if (intid == SGI_CHECK)
		sgis_taken = sgis_taken + 1;
}

static void vgic_still_works(void)
{
	mmio_write32(UART_BASE + 0x038, 0);	/* UARTIMSC: no UART interrupt */
	mmio_write32(UART_BASE + 0x044, 0x7ff); /* UARTICR */
	if (!check(gic_dist_init() && gic_cpu_init(), "GIC set up again after the fuzzing"))
		return;
	gic_set_irq_hook(on_irq);
	gic_enable(SGI_CHECK);
	irq_unmask();
	gic_send_sgi(SGI_CHECK, read_sysreg(mpidr_el1) & MPIDR_AFFINITY_MASK);
	uint64_t until = ms_now() + 1000;
	while (!sgis_taken && ms_now() < until)
		;
	irq_mask();
	check(sgis_taken == 1, "SGI %u to itself taken %u time(s) after the fuzzing", SGI_CHECK,
	      sgis_taken);
}

int main(const void *dtb)
{
	uint64_t run_ms = bootarg("run-ms", 0), start = ms_now();
	unsigned nwrites = (unsigned)bootarg("writes", 20000), passes = 0;
	struct rng rng = {mix64(bootarg("seed", 3) ^ read_sysreg(cntvct_el0))};
	(void)dtb;

	have_lse = field(read_sysreg(id_aa64isar0_el1), 20, 4) >= 2;
	setup_windows();
	semantics();
	do {
		read_sweep(&rng);
		write_fuzz(&rng, nwrites);
		no_syndrome(0);
		passes++;
		if (passes == 1)
			printf("mmio: pass 1, MMU off: %lu accesses in %lu ms: %lu emulated, %lu "
			       "aborts\n",
			       cases, ms_now() - start, emulated, aborts);
	} while (ms_now() - start < run_ms);

	unsigned long before = cases, before_aborts = aborts;
	mmu_on();
	check(read_sysreg(sctlr_el1) & SCTLR_M, "MMU on, devices also mapped as Normal memory");
	no_syndrome(NORMAL_ALIAS);
	unaligned(NORMAL_ALIAS, &rng);
	printf("mmio: with the MMU on: %lu accesses through the Normal alias, %lu aborts\n",
	       cases - before, aborts - before_aborts);

	vgic_still_works();
	printf("mmio: %lu emulated, %lu faulted at stage 1, %lu store-exclusives failed, %u "
	       "passes\n",
	       emulated, stage1, xfail, passes);
	printf("HOSTILE: mmio cases %lu aborts %lu\n", cases, aborts);
	check(cases == emulated + aborts + stage1 + xfail && test_failures() == 0,
	      "every access was emulated or aborted");
	test_finish();
}
