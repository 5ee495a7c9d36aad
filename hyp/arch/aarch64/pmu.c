/* SPDX-License-Identifier: Apache-2.0 */
/* The PMU registers of a vCPU that uses them (kestrel/pmu.h says when they are switched). */
#include <kestrel/guest_layout.h>
#include <kestrel/hyp.h>
#include <kestrel/pmu.h>
#include <kestrel/sysreg_defs.h>
#include <kestrel/vm.h>

/* The event counters through PMSELR_EL0 and the PMXEV* registers: one loop for any number of
   counters, where the named registers would need one instruction each. */
void pmu_restore(const struct vcpu *vcpu)
{
	const struct vpmu *s = &vcpu->pmu;

	for (unsigned i = 0; i < hyp.pmu_counters; i++) {
		write_sysreg(pmselr_el0, i);
		isb();
		write_sysreg(pmxevtyper_el0, s->evtyper[i]);
		write_sysreg(pmxevcntr_el0, s->evcntr[i]);
	}
	write_sysreg(pmselr_el0, s->pmselr);
	write_sysreg(pmccfiltr_el0, s->ccfiltr);
	write_sysreg(pmccntr_el0, s->ccntr);
	write_sysreg(pmuserenr_el0, s->userenr);
	write_sysreg(pmcntenclr_el0, ~s->cnten);
	write_sysreg(pmcntenset_el0, s->cnten);
	write_sysreg(pmintenclr_el1, ~s->inten);
	write_sysreg(pmintenset_el1, s->inten);
	write_sysreg(pmovsclr_el0, ~s->ovs);
	write_sysreg(pmovsset_el0, s->ovs);
	/* Last: E starts the counters (none counts at EL2: MDCR_EL2.HPMD, HCCD). */
	write_sysreg(pmcr_el0, s->pmcr);
	isb();
}

void pmu_save(struct vcpu *vcpu)
{
	struct vpmu *s = &vcpu->pmu;

	/* Nothing counts at EL2, so the counts hold still while they are read. */
	s->pmcr = read_sysreg(pmcr_el0);
	s->pmselr = read_sysreg(pmselr_el0);
	s->cnten = read_sysreg(pmcntenset_el0);
	s->inten = read_sysreg(pmintenset_el1);
	s->ovs = read_sysreg(pmovsset_el0);
	s->userenr = read_sysreg(pmuserenr_el0);
	s->ccfiltr = read_sysreg(pmccfiltr_el0);
	s->ccntr = read_sysreg(pmccntr_el0);
	for (unsigned i = 0; i < hyp.pmu_counters; i++) {
		write_sysreg(pmselr_el0, i);
		isb();
		s->evtyper[i] = read_sysreg(pmxevtyper_el0);
		s->evcntr[i] = read_sysreg(pmxevcntr_el0);
	}
	/* Quiet for the next vCPU: PMCR_EL0.E clear stops every counter and lowers the
	   overflow interrupt; PMUSERENR_EL0 clear sends EL0's accesses to its own EL1, as
	   that vCPU's PMUSERENR (zero until its first use) says. */
	write_sysreg(pmcr_el0, 0);
	write_sysreg(pmuserenr_el0, 0);
	isb();
}

void pmu_load(struct vcpu *vcpu)
{
	vgic_lr_load_linked(vcpu, GUEST_PPI_PMU);
	pmu_restore(vcpu);
}

void pmu_untrap(const struct vcpu *vcpu)
{
	write_sysreg(mdcr_el2, vcpu->mdcr);
	isb();
}

bool pmu_live_level(void)
{
	return (read_sysreg(pmcr_el0) & PMCR_E) &&
	       (read_sysreg(pmintenset_el1) & read_sysreg(pmovsset_el0));
}
