/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Lazy FP/SIMD switching. A vCPU starts with FP trapped (CPTR_EL2.TFP); its first FP
 * instruction traps here, kestrel saves whoever owned the registers on this CPU and loads
 * this vCPU's state, then stops trapping. Exits that never touch FP never pay for it.
 */
#include <kestrel/arch.h>
#include <kestrel/fpsimd.h>
#include <kestrel/vm.h>

static void release_owner(struct pcpu *pcpu)
{
	if (pcpu->fp_owner) {
		fpsimd_save(&pcpu->fp_owner->fp);
		pcpu->fp_owner = NULL;
	}
}

exit_result fpsimd_exit(struct vcpu *vcpu, uint64_t esr)
{
	struct pcpu *pcpu = vcpu->pcpu;

	(void)esr;
	arch_cpu_traps(vcpu->cptr, false);
	if (pcpu->fp_owner != vcpu) {
		release_owner(pcpu);
		fpsimd_restore(&vcpu->fp);
		pcpu->fp_owner = vcpu;
	}
	return EXIT_RESUME; /* the FP instruction runs again, untrapped */
}

void fpsimd_claim_for_kestrel(void)
{
	struct pcpu *pcpu = this_pcpu();

	arch_cpu_traps(ARCH_TRAPS_NONE, false);
	release_owner(pcpu);
}

void fpsimd_release_from_kestrel(void)
{
	struct pcpu *pcpu = this_pcpu();

	/* The registers now hold kestrel's leftovers: the next guest use must trap. */
	arch_cpu_traps(pcpu->loaded ? pcpu->loaded->cptr : ARCH_TRAPS_NONE, true);
}

void fpsimd_forget(struct vcpu *vcpu)
{
	if (vcpu->pcpu && vcpu->pcpu->fp_owner == vcpu)
		vcpu->pcpu->fp_owner = NULL;
}
