/* SPDX-License-Identifier: Apache-2.0 */
/* Lazy pointer authentication: a vCPU's first use (kestrel/pac.h). */
#include <kestrel/hyp.h>
#include <kestrel/pac.h>
#include <kestrel/vcpu.h>
#include <kestrel/vm.h>

exit_result pac_enable(struct vcpu *vcpu)
{
	if (!hyp.has_pac) /* kestrel's ID registers said none: as the CPU without them */
		return vcpu_inject_undef(vcpu);
	if (!(vcpu->lazy & LAZY_PAC)) {
		vcpu->lazy |= LAZY_PAC;
		pac_restore(vcpu); /* zero after a reset: its keys are the guest's to set */
	}
	vcpu->hcr |= HCR_API | HCR_APK;
	arch_vcpu_hcr_update(vcpu);
	return EXIT_RESUME; /* the instruction runs again, untrapped */
}

exit_result pac_exit(struct vcpu *vcpu, uint64_t esr)
{
	(void)esr;
	return pac_enable(vcpu);
}
