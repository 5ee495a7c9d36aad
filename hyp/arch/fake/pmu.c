/* SPDX-License-Identifier: Apache-2.0 */
/* The PMU's registers on the host: a register file per fake CPU (fake_arch.h). */
#include <arch/fake_arch.h>
#include <kestrel/guest_layout.h>
#include <kestrel/pmu.h>

void pmu_restore(const struct vcpu *vcpu)
{
	fake_cpu()->pmu = vcpu->pmu;
}

/* As the hardware's: saved, then stopped and EL0's access off for the next vCPU. */
void pmu_save(struct vcpu *vcpu)
{
	vcpu->pmu = fake_cpu()->pmu;
	fake_cpu()->pmu.pmcr = 0;
	fake_cpu()->pmu.userenr = 0;
}

void pmu_load(struct vcpu *vcpu)
{
	vgic_lr_load_linked(vcpu, GUEST_PPI_PMU);
	pmu_restore(vcpu);
}

void pmu_untrap(const struct vcpu *vcpu)
{
	fake_cpu()->mdcr = vcpu->mdcr;
}

bool pmu_live_level(void)
{
	return pmu_level(&fake_cpu()->pmu);
}
