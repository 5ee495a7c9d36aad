/* SPDX-License-Identifier: Apache-2.0 */
/* The EL2 state every CPU sets the same way before it runs anything. */
#include <kestrel/arch.h>
#include <kestrel/hyp.h>
#include <kestrel/lib.h>
#include <kestrel/pmu.h>
#include <kestrel/sysreg_defs.h>
#include <kestrel/vm.h>

extern char el2_vectors[];

/* Breakpoint and watchpoint n (0..15), where they exist: disabled, address 0. */
#define DEBUG_PAIR_OFF(n)                                                                          \
	do {                                                                                       \
		if (n < brps) {                                                                    \
			write_sysreg(dbgbcr##n##_el1, 0);                                          \
			write_sysreg(dbgbvr##n##_el1, 0);                                          \
		}                                                                                  \
		if (n < wrps) {                                                                    \
			write_sysreg(dbgwcr##n##_el1, 0);                                          \
			write_sysreg(dbgwvr##n##_el1, 0);                                          \
		}                                                                                  \
	} while (0)

/*
 * The CPU's own debug state, whatever firmware left: no debug exceptions enabled (MDSCR_EL1
 * MDE, KDE and SS clear), every breakpoint and watchpoint disabled, the OS lock and (where it
 * exists) the OS double lock clear, no debug communications interrupt. Guests never see these
 * (they trap, and are emulated as storage), but a breakpoint left enabled would fire in them.
 */
static void debug_reset(void)
{
	uint64_t dfr0 = read_sysreg(id_aa64dfr0_el1);
	unsigned brps = (unsigned)FIELD(dfr0, 12, 4) + 1, wrps = (unsigned)FIELD(dfr0, 20, 4) + 1;

	write_sysreg(mdscr_el1, 0);
	isb();
	DEBUG_PAIR_OFF(0);
	DEBUG_PAIR_OFF(1);
	DEBUG_PAIR_OFF(2);
	DEBUG_PAIR_OFF(3);
	DEBUG_PAIR_OFF(4);
	DEBUG_PAIR_OFF(5);
	DEBUG_PAIR_OFF(6);
	DEBUG_PAIR_OFF(7);
	DEBUG_PAIR_OFF(8);
	DEBUG_PAIR_OFF(9);
	DEBUG_PAIR_OFF(10);
	DEBUG_PAIR_OFF(11);
	DEBUG_PAIR_OFF(12);
	DEBUG_PAIR_OFF(13);
	DEBUG_PAIR_OFF(14);
	DEBUG_PAIR_OFF(15);
	write_sysreg(mdccint_el1, 0);
	if (FIELD(dfr0, 36, 4) != 0xf) /* DoubleLock: 0xf, not implemented */
		write_sysreg(osdlr_el1, 0);
	write_sysreg(oslar_el1, 0);
	isb();
}

/* The PMU quiet, whatever firmware left: nothing counts, no overflow interrupt, EL0's
   accesses trap to EL1. A vCPU's first use loads its own state (pmu.h). */
static void pmu_reset(void)
{
	unsigned pmuver = (unsigned)FIELD(read_sysreg(id_aa64dfr0_el1), 8, 4);

	if (pmuver == 0 || pmuver == PMUVER_IMPDEF) /* no architected PMU: no PMCR_EL0 */
		return;
	write_sysreg(pmcr_el0, 0);
	write_sysreg(pmcntenclr_el0, ~0ull);
	write_sysreg(pmintenclr_el1, ~0ull);
	write_sysreg(pmovsclr_el0, ~0ull);
	write_sysreg(pmuserenr_el0, 0);
}

void arch_cpu_init(struct pcpu *pcpu)
{
	uint64_t mmfr0 = read_sysreg(id_aa64mmfr0_el1), mmfr1 = read_sysreg(id_aa64mmfr1_el1);

	write_sysreg(tpidr_el2, pcpu);
	write_sysreg(vbar_el2, el2_vectors);
	write_sysreg(hcr_el2, HCR_RW | HCR_VM);
	write_sysreg(vttbr_el2, hyp.park_vttbr); /* see arch_no_guest */
	debug_reset();
	pmu_reset();
	/* EL1 may use the physical counter and timer directly: the timer is switched per vCPU. */
	write_sysreg(cnthctl_el2, BIT(0) | BIT(1));
	write_sysreg(cntvoff_el2, 0);
	write_sysreg(vtcr_el2, hyp.vtcr);
	write_sysreg(mdcr_el2, hyp.vcpu_mdcr);
	write_sysreg(ICH_HCR_EL2, 0);
	if (FIELD(mmfr0, 56, 4)) { /* FEAT_FGT: no fine-grained traps beyond the coarse ones */
		write_sysreg(HFGRTR_EL2, 0);
		write_sysreg(HFGWTR_EL2, 0);
		write_sysreg(HFGITR_EL2, 0);
		write_sysreg(HDFGRTR_EL2, 0);
		write_sysreg(HDFGWTR_EL2, 0);
	}
	if (FIELD(mmfr0, 56, 4) >= 2) { /* FEAT_FGT2: its controls are "nXXX" bits, 0 traps */
		write_sysreg(HFGRTR2_EL2, 0);
		write_sysreg(HFGWTR2_EL2, 0);
		write_sysreg(HFGITR2_EL2, 0);
		write_sysreg(HDFGRTR2_EL2, 0);
		write_sysreg(HDFGWTR2_EL2, 0);
	}
	if (FIELD(mmfr1, 40, 4)) /* FEAT_HCX: leave the newer EL1 controls trapped */
		write_sysreg(HCRX_EL2, 0);
	/* FEAT_MPAM: MPAM0/1_EL1 (and MPAMSM_EL1) would be EL1 registers no one switches, and
	   MPAMIDR_EL1 describes the host: they trap (UNDEF), as MPAM is hidden from guests. */
	if (FIELD(read_sysreg(id_aa64pfr0_el1), 40, 4) ||
	    FIELD(read_sysreg(id_aa64pfr1_el1), 16, 4)) {
		write_sysreg(MPAM2_EL2, MPAM2_TRAPMPAM1EL1 | MPAM2_TRAPMPAM0EL1);
		if (read_sysreg(MPAMIDR_EL1) & MPAMIDR_HAS_HCR)
			write_sysreg(MPAMHCR_EL2, MPAMHCR_TRAP_MPAMIDR);
	}
	isb();
}
