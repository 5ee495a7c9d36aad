/* SPDX-License-Identifier: Apache-2.0 */
/*
 * entry: what the guest sees around an exception kestrel makes for it, or an instruction
 * kestrel carries out for it, checked against the CPU doing the same itself.
 *
 * - Exception entry. An UNDEF kestrel injects (a trapped IMPLEMENTATION DEFINED register) and
 *   an external abort it injects (a load from an address that is neither RAM nor a device)
 *   must set PSTATE exactly as the CPU's own UNDEF (UDF) does, and save the same SPSR: PAN set
 *   unless SCTLR_EL1.SPAN keeps it, DIT kept, SSBS from SCTLR_EL1.DSSBS. Every combination.
 * - An instruction kestrel emulates (an MMIO load) that was the target of a BR: PSTATE.BTYPE
 *   is 0 afterwards, as after any instruction the CPU executes itself.
 * - Big-endian data (SCTLR_EL1.EE): an MMIO load sees the bytes of the register in big-endian
 *   order, a store writes them so, as with any memory.
 *
 * Not here: WFIT and WFET, which kestrel makes UNDEF (the ID registers hide FEAT_WFxT). QEMU
 * traps them with the syndrome of WFI and WFE (ISS.TI 0), so no guest on QEMU can tell;
 * tests/unit/test_abort.c checks kestrel's answer to the syndrome the architecture gives.
 */
#include "boot_info.h"
#include "check.h"
#include "exception.h"
#include "gic.h"
#include "mmio.h"
#include "printf.h"
#include "runtime.h"
#include "sysreg.h"

#define SCTLR_EE    (1ul << 25)
#define SCTLR_SPAN  (1ul << 23)
#define SCTLR_DSSBS (1ul << 44)
#define SPSR_BTYPE  (3ul << 10)
/* What entry sets and SPSR saves of the PSTATE bits the checks vary. */
#define ENTRY_BITS (PSTATE_PAN | PSTATE_DIT | PSTATE_SSBS)
#define STRAY_IPA  0x0c000000ul /* between the GIC and the UART on QEMU virt: no device */

#define IIDR_KESTREL 0x4b00043bu

static void set_pstate(uint64_t bits)
{
	write_sysreg(S3_0_C4_C2_3, bits & PSTATE_PAN);
	write_sysreg(S3_3_C4_C2_5, bits & PSTATE_DIT);
	write_sysreg(S3_3_C4_C2_6, bits & PSTATE_SSBS);
	isb();
}

static void set_sctlr(uint64_t clear, uint64_t set)
{
	write_sysreg(sctlr_el1, (read_sysreg(sctlr_el1) & ~clear) | set);
	isb();
}

/* The CPU's own UNDEF: UDF is never trapped. */
static void cpu_undef(void)
{
	__asm__ __volatile__("udf #0" ::: "memory");
}

/* kestrel's UNDEF: an IMPLEMENTATION DEFINED register traps (HCR_EL2.TIDCP). */
static void kestrel_undef(void)
{
	__asm__ __volatile__("mrs x0, s3_0_c15_c0_0" : : : "x0", "memory");
}

/* kestrel's external abort: stage 2 maps nothing there. */
static void kestrel_abort(void)
{
	uint64_t val;
	__asm__ __volatile__("ldr %0, [%1]" : "=r"(val) : "r"(STRAY_IPA) : "memory");
	(void)val;
}

struct entry_seen {
	bool taken;
	uint64_t pstate, spsr;
};

static struct entry_seen provoke(void (*fn)(void), uint64_t pstate)
{
	struct entry_seen seen;

	exception_expect(0);
	set_pstate(pstate);
	fn();
	set_pstate(0);
	seen.taken = exception_expect_end() == 1;
	seen.pstate = last_exception.entry_pstate;
	seen.spsr = last_exception.spsr & ENTRY_BITS;
	return seen;
}

/*
 * The architecture's rule for an exception taken to EL1 (AArch64.TakeException): PAN is set
 * unless SCTLR_EL1.SPAN keeps it, DIT is unchanged, SSBS is SCTLR_EL1.DSSBS; SPSR_EL1 holds
 * the PSTATE before. The CPU's own UNDEF checks the rule for PAN and SSBS (QEMU's TCG clears
 * DIT on entry, where the architecture, and KVM, keep it).
 */
static uint64_t expected_entry(uint64_t before, bool span, bool dssbs)
{
	return (span ? before & PSTATE_PAN : PSTATE_PAN) | (before & PSTATE_DIT) |
	       (dssbs ? PSTATE_SSBS : 0);
}

static void check_exception_entry(void)
{
	static const struct {
		const char *name;
		void (*fn)(void);
	} made[] = {{"kestrel's UNDEF", kestrel_undef},
		    {"kestrel's external abort", kestrel_abort}};
	unsigned cpu_agrees = 0;

	for (unsigned combo = 0; combo < 32; combo++) {
		uint64_t before = (combo & 1 ? PSTATE_PAN : 0) | (combo & 2 ? PSTATE_DIT : 0) |
				  (combo & 4 ? PSTATE_SSBS : 0);
		bool span = combo & 8, dssbs = combo & 16;
		uint64_t expect = expected_entry(before, span, dssbs);
		set_sctlr(SCTLR_SPAN | SCTLR_DSSBS,
			  (span ? SCTLR_SPAN : 0) | (dssbs ? SCTLR_DSSBS : 0));
		struct entry_seen cpu = provoke(cpu_undef, before);
		cpu_agrees += cpu.taken && cpu.spsr == before &&
			      (cpu.pstate & ~PSTATE_DIT) == (expect & ~PSTATE_DIT);
		for (unsigned m = 0; m < 2; m++) {
			struct entry_seen k = provoke(made[m].fn, before);
			check(k.taken && k.pstate == expect && k.spsr == before,
			      "%s, PSTATE PAN %u DIT %u SSBS %u, SPAN %u DSSBS %u: entry PSTATE "
			      "0x%lx "
			      "(expected 0x%lx), SPSR 0x%lx",
			      made[m].name, !!(before & PSTATE_PAN), !!(before & PSTATE_DIT),
			      !!(before & PSTATE_SSBS), span, dssbs, k.pstate, expect, k.spsr);
		}
	}
	set_sctlr(SCTLR_SPAN | SCTLR_DSSBS, SCTLR_SPAN);
	check(cpu_agrees == 32,
	      "the CPU's own UNDEF follows the same rule for PAN and SSBS in %u "
	      "of 32 combinations",
	      cpu_agrees);
}

/*
 * A BR to x16 makes the target's BTYPE 01. The target is an MMIO load kestrel carries out;
 * the UDF after it shows the BTYPE it ran with in SPSR_EL1. With the MMU off no page is
 * guarded, so a left-over BTYPE raises nothing by itself: it shows only there.
 */
static uint64_t btype_after_branch_to(uint64_t addr)
{
	register uint64_t target __asm__("x1") = addr;

	exception_expect(0);
	__asm__ __volatile__("adr x16, 1f\n\t"
			     "br x16\n"
			     "1:\tldr w0, [%0]\n\t"
			     "udf #0"
			     :
			     : "r"(target)
			     : "x0", "x16", "memory");
	if (exception_expect_end() != 1)
		return ~0ul;
	return last_exception.spsr & SPSR_BTYPE;
}

static void check_btype(void)
{
	static volatile uint32_t ram_word;
	uint64_t ram = btype_after_branch_to((uintptr_t)&ram_word);
	uint64_t mmio = btype_after_branch_to(GICD_BASE + GICD_IIDR);

	check(ram == 0 && mmio == 0,
	      "PSTATE.BTYPE after a BR to a load: from RAM 0x%lx, from a device kestrel emulates "
	      "0x%lx (expected 0, 0)",
	      ram, mmio);
}

/* One access with SCTLR_EL1.EE set: nothing else may run big-endian (the stack, the data). */
static uint32_t load32_big_endian(uint64_t addr)
{
	uint64_t sctlr = read_sysreg(sctlr_el1), val;

	__asm__ __volatile__("msr sctlr_el1, %1\n\t"
			     "isb\n\t"
			     "ldr %w0, [%2]\n\t"
			     "msr sctlr_el1, %3\n\t"
			     "isb"
			     : "=&r"(val)
			     : "r"(sctlr | SCTLR_EE), "r"(addr), "r"(sctlr)
			     : "memory");
	return (uint32_t)val;
}

static void store32_big_endian(uint64_t addr, uint32_t val)
{
	uint64_t sctlr = read_sysreg(sctlr_el1);

	__asm__ __volatile__("msr sctlr_el1, %0\n\t"
			     "isb\n\t"
			     "str %w1, [%2]\n\t"
			     "msr sctlr_el1, %3\n\t"
			     "isb"
			     :
			     : "r"(sctlr | SCTLR_EE), "r"(val), "r"(addr), "r"(sctlr)
			     : "memory");
}

static void check_big_endian_mmio(void)
{
	uint64_t prio = GICD_BASE + GICD_IPRIORITYR + 40; /* SPIs 40..43 */
	uint32_t iidr = load32_big_endian(GICD_BASE + GICD_IIDR);

	check(iidr == __builtin_bswap32(IIDR_KESTREL),
	      "GICD_IIDR read big-endian = 0x%x (its bytes reversed: 0x%x)", iidr,
	      __builtin_bswap32(IIDR_KESTREL));
	store32_big_endian(prio, 0x10203040);
	uint32_t little = mmio_read32(prio);
	check(little == 0x40302010,
	      "GICD_IPRIORITYR written big-endian 0x10203040, read little-endian = 0x%x "
	      "(expected 0x40302010)",
	      little);
	mmio_write32(prio, 0);
}

int main(const void *dtb)
{
	(void)dtb;
	check(gic_dist_init() && gic_cpu_init(), "GIC set up");
	check_exception_entry();
	check_btype();
	check_big_endian_mmio();
	test_finish();
}
