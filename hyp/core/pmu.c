/* SPDX-License-Identifier: Apache-2.0 */
/* The PMU for guests: a vCPU's first use (kestrel/pmu.h). */
#include <kestrel/arch.h>
#include <kestrel/esr.h>
#include <kestrel/hyp.h>
#include <kestrel/pmu.h>
#include <kestrel/sysreg_defs.h>
#include <kestrel/vcpu.h>
#include <kestrel/vm.h>

bool pmu_is_reg(uint32_t key)
{
	unsigned crm = SYSREG_KEY_CRM(key), op2 = SYSREG_KEY_OP2(key);
	uint32_t space = key & ~SYSREG_KEY(0, 0, 0, 15, 7);

	if (space == SYSREG_KEY(3, 3, 9, 0, 0)) /* PMCR_EL0 ... PMOVSSET_EL0 */
		return crm == 12 || (crm == 13 && op2 <= 2) ||
		       (crm == 14 && (op2 == 0 || op2 == 3));
	if (space == SYSREG_KEY(3, 0, 9, 0, 0)) /* PMINTENSET_EL1, PMINTENCLR_EL1, PMMIR_EL1 */
		return crm == 14 && (op2 == 1 || op2 == 2 || op2 == 6);
	return space == SYSREG_KEY(3, 3, 14, 0, 0) && crm >= 8; /* PMEVCNTR, PMEVTYPER, PMCCFILTR */
}

exit_result pmu_enable(struct vcpu *vcpu)
{
	/* Hidden (kestrel's ID registers said none), or live already: a register that still
	   traps is one this CPU does not have, as on the CPU itself. */
	if (!hyp.has_pmu || (vcpu->lazy & LAZY_PMU))
		return vcpu_inject_undef(vcpu);
	vcpu->lazy |= LAZY_PMU;
	pmu_restore(vcpu); /* zero after a reset: the counters are the guest's to program */
	vcpu->mdcr &= ~(MDCR_TPM | MDCR_TPMCR);
	pmu_untrap(vcpu);
	return EXIT_RESUME; /* the access runs again, untrapped */
}
