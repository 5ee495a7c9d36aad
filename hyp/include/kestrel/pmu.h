/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The PMU (PMUv3) for guests, switched lazily. kestrel counts nothing itself, so MDCR_EL2.HPMN
 * gives every counter the CPU has to EL1 and a guest programs them directly. A vCPU starts with
 * the PMU registers trapped (MDCR_EL2.TPM, TPMCR); its first access traps here once, kestrel
 * loads the vCPU's PMU state and stops trapping it. From then on the state is saved and
 * restored with its EL1 context, and the counters are stopped while it is not loaded, so a
 * vCPU counts only its own execution: MDCR_EL2.HPMD and HCCD keep EL2 (kestrel, and the
 * switch to other VMs) out of every count. A vCPU that never touches the PMU pays nothing, and
 * the counts another vCPU left in the registers are out of its reach: every access traps.
 * The overflow interrupt (PPI 23) is linked to the same virtual PPI of the loaded vCPU, as
 * the timers' are (irq.c, vgic_lr.c).
 *   hyp/core/pmu.c           the first use, and which registers are the PMU's;
 *   hyp/arch/aarch64/pmu.c   the PMU registers;
 *   hyp/arch/fake/pmu.c      a PMU register file in memory, for unit tests.
 */
#ifndef KESTREL_PMU_H
#define KESTREL_PMU_H

#include <kestrel/exit_result.h>
#include <kestrel/types.h>

struct vcpu;

#define PMU_COUNTERS_MAX 31 /* PMCR_EL0.N is 5 bits; counter 31 is the cycle counter */
#define PMU_CYCLE	 BIT(31)

/* PMCR_EL0 */
#define PMCR_E	     BIT(0)
#define PMCR_P	     BIT(1) /* write 1: event counters to zero */
#define PMCR_C	     BIT(2) /* write 1: cycle counter to zero */
#define PMCR_N_SHIFT 11

/* ID_AA64DFR0_EL1.PMUVer (bits 11:8): what kestrel needs to give guests the PMU. */
#define PMUVER_V3P1 4 /* MDCR_EL2.HPMD: the event counters stop at EL2 */
#define PMUVER_V3P5                                                                                \
	6 /* MDCR_EL2.HCCD: the cycle counter stops at EL2, whatever the guest's filter */
#define PMUVER_MAX    7 /* what guests are told at most: PMUv3p7 */
#define PMUVER_IMPDEF 0xf

/* A vCPU's PMU registers while it is not loaded (all zero until its first use). */
struct vpmu {
	uint64_t pmcr, pmselr, cnten, inten, ovs, userenr, ccfiltr, ccntr;
	uint64_t evcntr[PMU_COUNTERS_MAX], evtyper[PMU_COUNTERS_MAX];
};

/* A PMU register trapped (EC 0x18, MDCR_EL2.TPM or TPMCR): the first use makes the vCPU's
   PMU state live and stops trapping it; the access runs again. A CPU whose PMU kestrel does
   not give guests (hyp.has_pmu false), or a trap after the first use: UNDEF. */
exit_result pmu_enable(struct vcpu *vcpu);
/* The registers MDCR_EL2.TPM traps: PMCR_EL0...PMOVSSET_EL0 (op1 3, CRn 9, CRm 12-14),
   PMINTENSET/CLR_EL1 and PMMIR_EL1 (op1 0, CRn 9, CRm 14), PMEVCNTR<n>, PMEVTYPER<n> and
   PMCCFILTR_EL0 (op1 3, CRn 14, CRm 8-15). key: SYSREG_KEY. */
bool pmu_is_reg(uint32_t key);
/* The overflow interrupt's level from saved state: PMCR_EL0.E && (PMINTENSET & PMOVSSET). */
static inline bool pmu_level(const struct vpmu *s)
{
	return (s->pmcr & PMCR_E) && (s->inten & s->ovs);
}

/* The arch side. restore: the vCPU's PMU state into the registers (vcpu_context.c, at its
   load, and at its first use); save: into the vCPU, and the PMU stopped and quiet (no count,
   no interrupt, EL0 access trapping to EL1) for whatever this CPU runs next; untrap: its
   MDCR_EL2 on the CPU it runs on; live_level: the loaded vCPU's overflow interrupt level. */
void pmu_restore(const struct vcpu *vcpu);
void pmu_save(struct vcpu *vcpu);
/* A PMU user's load (vcpu_context.c, with LAZY_PMU): its overflow PPI's link
   (vgic_lr_load_linked) and pmu_restore. Its put is pmu_save, and vgic_lr_put_linked after
   vgic_lr_put. */
void pmu_load(struct vcpu *vcpu);
void pmu_untrap(const struct vcpu *vcpu);
bool pmu_live_level(void);

#endif
