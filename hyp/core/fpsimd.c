/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Lazy FP/SIMD and SVE switching. A vCPU starts with FP trapped (CPTR_EL2.TFP); its first FP
 * instruction traps here, kestrel saves whoever owned the registers on this CPU and loads this
 * vCPU's state, then stops trapping. Exits that never touch FP never pay for it. SVE's
 * registers subsume FP's (V<n> is the low 128 bits of Z<n>), so a vCPU has one state or the
 * other: its FP state until its first SVE use, its SVE state from then on, taken and given
 * back whole by either trap (kestrel/sve.h). SVE itself (CPTR_EL2.TZ, in every vCPU's traps:
 * vcpu->cptr) is lifted only for a vCPU with SVE state that owns the registers, at its first
 * SVE use since it was loaded: a load costs what it cost, and ZCR_EL1, which TFP does not
 * trap, is out of reach of every vCPU but the owner whose value it holds.
 */
#include <kestrel/arch.h>
#include <kestrel/fpsimd.h>
#include <kestrel/lib.h>
#include <kestrel/sve.h>
#include <kestrel/sysreg_defs.h>
#include <kestrel/vcpu.h>
#include <kestrel/vm.h>

/* Called with FP and SVE untrapped at EL2. */
static void release_owner(struct pcpu *pcpu)
{
	struct vcpu *owner = pcpu->fp_owner;

	if (owner) {
		if (owner->sve_used)
			sve_save(owner);
		else
			fpsimd_save(&owner->fp);
		pcpu->fp_owner = NULL;
	}
}

/* What the vCPU traps while it owns the registers. */
static uint64_t owner_traps(const struct vcpu *vcpu)
{
	return vcpu->sve_used ? vcpu->cptr & ~CPTR_TZ : vcpu->cptr;
}

exit_result fpsimd_exit(struct vcpu *vcpu, uint64_t esr)
{
	struct pcpu *pcpu = vcpu->pcpu;
	struct vcpu *owner = pcpu->fp_owner;

	(void)esr;
	if (owner == vcpu) {
		arch_cpu_traps(owner_traps(vcpu), false);
		return EXIT_RESUME;
	}
	/* SVE's save and load need TZ clear at EL2 too; FP alone keeps the vCPU's TZ. */
	bool sve = vcpu->sve_used || (owner && owner->sve_used);
	arch_cpu_traps(sve ? ARCH_TRAPS_NONE : vcpu->cptr, false);
	release_owner(pcpu);
	if (vcpu->sve_used)
		sve_restore(vcpu);
	else
		fpsimd_restore(&vcpu->fp);
	pcpu->fp_owner = vcpu;
	if (sve)
		arch_cpu_traps(owner_traps(vcpu), false);
	return EXIT_RESUME; /* the FP instruction runs again, untrapped */
}

/* The vCPU's FP state as its first SVE state: V<n> in the low 128 bits of Z<n>, the rest
   of Z, P and FFR zero, ZCR_EL1 at its VM's vector length. */
static void sve_from_fp(struct vcpu *vcpu)
{
	unsigned vq = vcpu->vm->sve_vq;

	memset(vcpu->sve_regs, 0, SVE_STATE_SIZE(vq));
	for (unsigned n = 0; n < 32; n++)
		memcpy(vcpu->sve_regs + n * vq * SVE_VQ_BYTES, &vcpu->fp.q[2 * n], SVE_VQ_BYTES);
	vcpu->zcr = vq - 1;
}

exit_result fpsimd_sve_exit(struct vcpu *vcpu, uint64_t esr)
{
	struct pcpu *pcpu = vcpu->pcpu;

	if (!vcpu->vm->sve_vq) /* a CPU without SVE: as the guest would see it bare */
		return vcpu_inject_undef(vcpu);
	if (!vcpu->sve_used) {
		if (pcpu->fp_owner == vcpu) { /* its live FP registers first */
			arch_cpu_traps(ARCH_TRAPS_NONE, false);
			release_owner(pcpu);
		}
		sve_from_fp(vcpu);
		vcpu->sve_used = true;
	}
	return fpsimd_exit(vcpu, esr); /* its SVE state into the registers */
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
