/* SPDX-License-Identifier: Apache-2.0 */
/*
 * pmu: the PMU (PMUv3) as kestrel gives it, beside other VMs on the same physical CPU
 * (tests/integration/configs/pmu.dts, case "pmu").
 *
 * Role "count" (the default):
 *  1. The ID register shows a PMUv3, PMCR_EL0.N counters, and the device tree an
 *     arm,armv8-pmuv3 node on PPI 23.
 *  2. Sharing: the cycle counter counts EL0 and EL1 over share-ms of time while the other VMs
 *     of the CPU spin too: it must count this VM's own share only, well under the time that
 *     passed; two counters that do not count hold this VM's markers throughout.
 *  3. EL2 is never counted: the cycle counter and event counters filtered to count EL2 only
 *     (NSH) stay still across hypercalls, each an exit to kestrel (MDCR_EL2.HPMD, HCCD).
 *  4. Filtering by EL: INST_RETIRED (with "icount": QEMU counts instructions only then) on
 *     EL1 only and EL0 only, across a loop of known length at each EL.
 *  5. Software increment, and chaining where the CPU has the CHAIN event (PMCEID0_EL0).
 *  6. The overflow interrupt: a counter's overflow makes PPI 23 pending in the redistributor
 *     (a level: pending while PMOVSSET & PMINTENSET and PMCR_EL0.E, its PPI enabled or not) and
 *     gone once the flag is cleared; enabled, it arrives once per overflow, from a software
 *     increment and from the cycle counter.
 * Role "late": spins without the PMU while the others use theirs, then reads its own: all
 * zero (a VM never sees another's counts).
 */
#include "boot_info.h"
#include "check.h"
#include "fdt.h"
#include "gic.h"
#include "printf.h"
#include "runtime.h"
#include "smccc.h"
#include "sysreg.h"

#define PPI_PMU		23
#define PMCR_E		(1ul << 0)
#define PMCR_P		(1ul << 1)
#define PMCR_C		(1ul << 2)
#define PMCR_LC		(1ul << 6)
#define CYCLE		(1ul << 31)
#define FILT_P		(1ul << 31) /* not EL1 */
#define FILT_U		(1ul << 30) /* not EL0 */
#define FILT_NSH	(1ul << 27) /* EL2 too */
#define EV_SW_INCR	0x00
#define EV_INST_RETIRED 0x08
#define EV_CPU_CYCLES	0x11
#define EV_CHAIN	0x1e
#define LOOP		10000 /* iterations of a measured loop: 2 instructions each */

uint64_t pmu_el0_loop(uint64_t n);

static void select_counter(unsigned n)
{
	write_sysreg(pmselr_el0, n);
	isb();
}

static void counter_set(unsigned n, uint64_t type, uint64_t value)
{
	select_counter(n);
	write_sysreg(pmxevtyper_el0, type);
	write_sysreg(pmxevcntr_el0, value);
	isb();
}

static uint64_t counter_get(unsigned n)
{
	select_counter(n);
	return read_sysreg(pmxevcntr_el0);
}

static void el1_loop(uint64_t n)
{
	__asm__ __volatile__("1: subs %0, %0, #1\n\tb.ne 1b" : "+r"(n) : : "cc");
}

/* Everything stopped, cleared and disabled, the counts zero. */
static void pmu_quiet(void)
{
	write_sysreg(pmcntenclr_el0, ~0ul);
	write_sysreg(pmintenclr_el1, ~0ul);
	write_sysreg(pmovsclr_el0, ~0ul);
	write_sysreg(pmcr_el0, PMCR_P | PMCR_C | PMCR_LC);
	isb();
}

static bool dt_has_pmu(const void *dtb)
{
	struct fdt fdt;
	int off = 0, depth = 0;

	if (!fdt_open(&fdt, dtb))
		return false;
	while ((off = fdt_next_node(&fdt, off, &depth)) >= 0) {
		uint32_t len = 0, ilen = 0;
		const void *compat = fdt_getprop(&fdt, off, "compatible", &len);
		const uint32_t *irq = fdt_getprop(&fdt, off, "interrupts", &ilen);
		if (compat && fdt_stringlist_contains(compat, len, "arm,armv8-pmuv3"))
			return irq && ilen == 12 && fdt_cell(&irq[0]) == 1 &&
			       fdt_cell(&irq[1]) + 16 == PPI_PMU;
	}
	return false;
}

static void spin_ms(uint64_t ms)
{
	uint64_t until = counter_now() + ms * (counter_freq() / 1000);

	while (counter_now() < until)
		;
}

/* 2. Own execution only, and markers kept, while the CPU's other VMs run. */
static void sharing(unsigned n, uint64_t ms)
{
	uint64_t m4 = 0x4444000000000000ul ^ counter_now(), m5 = ~m4;

	pmu_quiet();
	counter_set(n - 1, EV_CPU_CYCLES, m4 & 0xffffffff);
	counter_set(n - 2, EV_CPU_CYCLES, m5 & 0xffffffff);
	write_sysreg(pmccfiltr_el0, 0); /* EL0 and EL1 */
	write_sysreg(pmcntenset_el0, CYCLE);
	write_sysreg(pmcr_el0, PMCR_E | PMCR_LC);
	isb();
	uint64_t t0 = counter_now(), c0 = read_sysreg(pmccntr_el0);
	spin_ms(ms);
	uint64_t c1 = read_sysreg(pmccntr_el0), t1 = counter_now();
	uint64_t dt = t1 - t0, dc = c1 - c0;
	printf("pmu: %lu cycles counted in %lu ticks of the counter (%lu%%)\n", dc, dt,
	       dt ? dc * 100 / dt : 0);
	check(dc > 0, "the cycle counter counts this VM's execution");
	check(dc * 4 < dt * 3,
	      "it counts only this VM's share of a CPU it shares with two other VMs: %lu%% of "
	      "the time",
	      dt ? dc * 100 / dt : 0);
	check_eq("a stopped counter keeps this VM's marker", counter_get(n - 1), m4 & 0xffffffff);
	check_eq("and another", counter_get(n - 2), m5 & 0xffffffff);
}

/* 3. Nothing counts at EL2: every hypercall is an exit to kestrel. */
static void el2_not_counted(bool icount)
{
	struct smccc_result r;

	pmu_quiet();
	write_sysreg(pmccfiltr_el0, FILT_P | FILT_U | FILT_NSH); /* EL2 only */
	counter_set(0, FILT_P | FILT_U | FILT_NSH | EV_CPU_CYCLES, 0);
	counter_set(1, FILT_P | FILT_U | FILT_NSH | (icount ? EV_INST_RETIRED : EV_CPU_CYCLES), 0);
	counter_set(2, EV_CPU_CYCLES, 0); /* EL0 and EL1: the control */
	write_sysreg(pmcntenset_el0, CYCLE | 0x7);
	write_sysreg(pmcr_el0, PMCR_E | PMCR_LC);
	isb();
	for (unsigned i = 0; i < 200; i++)
		smccc_call(SMCCC_VERSION, 0, 0, 0, &r);
	write_sysreg(pmcr_el0, PMCR_LC);
	isb();
	check_eq("cycle counter filtered to EL2, across 200 hypercalls", read_sysreg(pmccntr_el0),
		 0);
	check_eq("CPU_CYCLES filtered to EL2", counter_get(0), 0);
	check_eq(icount ? "INST_RETIRED filtered to EL2" : "CPU_CYCLES filtered to EL2, again",
		 counter_get(1), 0);
	check(counter_get(2) > 0, "CPU_CYCLES at EL0 and EL1 counted the same time: %lu",
	      counter_get(2));
}

/* 4. INST_RETIRED at EL1 only and at EL0 only, across a loop at each. */
static void el_filtering(void)
{
	const uint64_t want = 2 * LOOP, slack = 64;
	uint64_t e1, e0;

	pmu_quiet();
	counter_set(0, FILT_U | EV_INST_RETIRED, 0); /* EL1 only */
	counter_set(1, FILT_P | EV_INST_RETIRED, 0); /* EL0 only */
	write_sysreg(pmcntenset_el0, 0x3);
	write_sysreg(pmcr_el0, PMCR_E | PMCR_LC);
	isb();
	el1_loop(LOOP);
	write_sysreg(pmcr_el0, PMCR_LC);
	isb();
	e1 = counter_get(0);
	e0 = counter_get(1);
	check(e1 >= want && e1 <= want + slack,
	      "EL1 only: a loop of %lu instructions at EL1 counted %lu", want, e1);
	check_eq("EL0 only: the same loop at EL1", e0, 0);

	pmu_quiet();
	write_sysreg(pmcntenset_el0, 0x3);
	write_sysreg(pmcr_el0, PMCR_E | PMCR_LC);
	isb();
	pmu_el0_loop(LOOP);
	write_sysreg(pmcr_el0, PMCR_LC);
	isb();
	e1 = counter_get(0);
	e0 = counter_get(1);
	check(e0 >= want && e0 <= want + 4,
	      "EL0 only: a loop of %lu instructions at EL0 counted %lu", want, e0);
	check(e1 < slack, "EL1 only: the same loop at EL0 counted %lu (the way there and back)",
	      e1);
}

/* 5. Software increment; chaining where the CPU counts CHAIN. */
static void software_increment(void)
{
	uint64_t ceid0 = read_sysreg(pmceid0_el0);

	pmu_quiet();
	counter_set(2, EV_SW_INCR, 0);
	counter_set(3, EV_SW_INCR, 0);
	write_sysreg(pmcntenset_el0, 0x4); /* counter 3 disabled: no increment */
	write_sysreg(pmcr_el0, PMCR_E);
	isb();
	for (unsigned i = 0; i < 5; i++)
		write_sysreg(pmswinc_el0, 0xc);
	isb();
	check_eq("PMSWINC_EL0 five times: an enabled SW_INCR counter", counter_get(2), 5);
	check_eq("and a disabled one", counter_get(3), 0);

	if (!(ceid0 & (1ul << EV_CHAIN))) {
		printf("pmu: this CPU does not count CHAIN (PMCEID0_EL0 0x%lx): no chained pairs, "
		       "as on the bare CPU\n",
		       ceid0);
		return;
	}
	pmu_quiet();
	counter_set(0, EV_SW_INCR, 0xffffffff);
	counter_set(1, EV_CHAIN, 7);
	write_sysreg(pmcntenset_el0, 0x3);
	write_sysreg(pmcr_el0, PMCR_E);
	isb();
	write_sysreg(pmswinc_el0, 0x1);
	isb();
	check_eq("chaining: the even counter wraps", counter_get(0), 0);
	check_eq("and its odd neighbour counts the overflow", counter_get(1), 8);
}

static volatile unsigned pmu_irqs, other_irqs;
static volatile uint64_t pmu_irq_ovs;

/* As an OS's handler: note and clear the overflow flags, which lowers the level. */
static void irq_hook(unsigned intid)
{
	if (intid != PPI_PMU) {
		other_irqs++;
		return;
	}
	pmu_irq_ovs |= read_sysreg(pmovsset_el0);
	write_sysreg(pmovsclr_el0, ~0ul);
	isb();
	pmu_irqs++;
}

static bool wait_irqs(unsigned n, uint64_t ms)
{
	uint64_t until = counter_now() + ms * (counter_freq() / 1000);

	while (pmu_irqs < n && counter_now() < until)
		;
	return pmu_irqs >= n;
}

/* 6. The overflow interrupt, a level on PPI 23. */
static void overflow_interrupt(void)
{
	pmu_quiet();
	gic_disable(PPI_PMU);
	check(!gic_is_pending(PPI_PMU), "PPI 23 is not pending before any overflow");
	counter_set(3, EV_SW_INCR, 0xffffffff);
	write_sysreg(pmintenset_el1, 0x8);
	write_sysreg(pmcntenset_el0, 0x8);
	write_sysreg(pmcr_el0, PMCR_E);
	isb();
	write_sysreg(pmswinc_el0, 0x8);
	isb();
	check_eq("the software increment overflowed counter 3", read_sysreg(pmovsset_el0), 0x8);
	check(gic_is_pending(PPI_PMU), "PPI 23 pending while the overflow is (its PPI disabled)");
	write_sysreg(pmovsclr_el0, 0x8);
	isb();
	check(!gic_is_pending(PPI_PMU), "and no longer once the flag is cleared");
	write_sysreg(pmovsset_el0, 0x8); /* the flag again: the level rises */
	write_sysreg(pmcr_el0, 0);	 /* PMCR_EL0.E clear: and falls */
	isb();
	check(!gic_is_pending(PPI_PMU), "nor while PMCR_EL0.E is clear");
	write_sysreg(pmovsclr_el0, ~0ul);
	write_sysreg(pmcr_el0, PMCR_E);
	isb();

	gic_set_irq_hook(irq_hook);
	gic_enable(PPI_PMU);
	irq_unmask();
	counter_set(3, EV_SW_INCR, 0xffffffff);
	write_sysreg(pmswinc_el0, 0x8);
	isb();
	check(wait_irqs(1, 100), "an overflow by software increment raises PPI 23");
	spin_ms(5);
	check_eq("once: the handler cleared the flag, the level fell", pmu_irqs, 1);
	check_eq("its flag was counter 3's", pmu_irq_ovs, 0x8);

	/* The cycle counter, 64 bits (LC), a few microseconds before it overflows. */
	pmu_irq_ovs = 0;
	write_sysreg(pmintenclr_el1, ~0ul);
	write_sysreg(pmintenset_el1, CYCLE);
	write_sysreg(pmccfiltr_el0, 0);
	write_sysreg(pmccntr_el0, -20000ul);
	write_sysreg(pmcntenset_el0, CYCLE);
	write_sysreg(pmcr_el0, PMCR_E | PMCR_LC);
	isb();
	check(wait_irqs(2, 200), "the cycle counter's overflow raises PPI 23");
	check_eq("its flag was the cycle counter's", pmu_irq_ovs, CYCLE);
	irq_mask();
	check_eq("no other interrupt came", other_irqs, 0);
	pmu_quiet();
}

/* Role "late": this VM's PMU, first touched after the others used theirs, is all zero. */
static void late(uint64_t ms)
{
	spin_ms(ms);
	check_eq("PMCR_EL0.E", read_sysreg(pmcr_el0) & PMCR_E, 0);
	check_eq("PMCNTENSET_EL0", read_sysreg(pmcntenset_el0), 0);
	check_eq("PMINTENSET_EL1", read_sysreg(pmintenset_el1), 0);
	check_eq("PMOVSSET_EL0", read_sysreg(pmovsset_el0), 0);
	check_eq("PMUSERENR_EL0", read_sysreg(pmuserenr_el0), 0);
	check_eq("PMCCFILTR_EL0", read_sysreg(pmccfiltr_el0), 0);
	check_eq("PMCCNTR_EL0", read_sysreg(pmccntr_el0), 0);
	unsigned n = (unsigned)field(read_sysreg(pmcr_el0), 11, 5), nonzero = 0;
	for (unsigned i = 0; i < n; i++) {
		select_counter(i);
		nonzero += read_sysreg(pmxevcntr_el0) != 0 || read_sysreg(pmxevtyper_el0) != 0;
	}
	check(nonzero == 0, "none of its %u event counters holds another VM's count or event", n);
}

int main(const void *dtb)
{
	uint64_t pmuver = field(read_sysreg(id_aa64dfr0_el1), 8, 4);
	uint64_t ms = bootarg("share-ms", 150);
	bool icount = bootargs_has("icount");

	printf("pmu: PMUVer %lu, role %s\n", pmuver, bootargs_has("late") ? "late" : "count");
	if (!check(pmuver >= 1 && pmuver != 0xf, "ID_AA64DFR0_EL1 shows a PMUv3: PMUVer %lu",
		   pmuver))
		test_finish();
	check(dt_has_pmu(dtb), "the device tree has an arm,armv8-pmuv3 node on PPI 23");
	if (!check(gic_dist_init() && gic_cpu_init(), "the virtual GIC came up"))
		test_finish();
	if (bootargs_has("late")) {
		late(ms);
		test_finish();
	}
	unsigned n = (unsigned)field(read_sysreg(pmcr_el0), 11, 5);
	printf("pmu: PMCR_EL0.N %u, PMCEID0_EL0 0x%lx\n", n, read_sysreg(pmceid0_el0));
	if (!check(n >= 4, "PMCR_EL0.N: %u event counters, the hardware's", n))
		test_finish();
	sharing(n, ms);
	el2_not_counted(icount);
	if (icount && check(read_sysreg(pmceid0_el0) & (1ul << EV_INST_RETIRED),
			    "INST_RETIRED is implemented (QEMU: with -icount)"))
		el_filtering();
	software_increment();
	overflow_interrupt();
	test_finish();
}
