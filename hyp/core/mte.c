/* SPDX-License-Identifier: Apache-2.0 */
/* Lazy memory tagging: a vCPU's first use (kestrel/mte.h). */
#include <kestrel/hyp.h>
#include <kestrel/mte.h>
#include <kestrel/vcpu.h>
#include <kestrel/vm.h>

exit_result mte_enable(struct vcpu *vcpu)
{
	if (!hyp.has_mte) /* kestrel's ID registers said none: as the CPU without them */
		return vcpu_inject_undef(vcpu);
	if (!(vcpu->lazy & LAZY_MTE)) {
		vcpu->lazy |= LAZY_MTE;
		mte_restore(vcpu); /* zero after a reset: its registers are the guest's to set */
	}
	vcpu->hcr |= HCR_ATA;
	arch_vcpu_hcr_update(vcpu);
	return EXIT_RESUME; /* the access runs again, untrapped */
}
