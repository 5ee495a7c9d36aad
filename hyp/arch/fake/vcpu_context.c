/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A loaded vCPU's EL1 context on the host: copied into the current fake CPU's register file
 * and back, as the aarch64 implementation moves it between struct el1_sysregs and the _EL1
 * registers; exception injection writes that register file.
 */
#include <arch/fake_arch.h>
#include <kestrel/vcpu.h>

void arch_vcpu_load(struct vcpu *vcpu)
{
	fake_cpu()->el1 = vcpu->sys;
	fake_cpu()->loaded = vcpu;
	fake_cpu()->guest_regime = true;
	fake_cpu()->loads++;
	fake_cpu()->hcr = vcpu->hcr;
	fake_cpu()->mdcr = vcpu->mdcr;
	if (vcpu->lazy)
		vcpu_lazy_load(vcpu);
	vgic_lr_load(vcpu);
	/* FP/SIMD stays trapped until this vCPU uses it, unless its state is still live. */
	fake_cpu_traps(vcpu->cptr, !vcpu->pcpu || vcpu->pcpu->fp_owner != vcpu);
}

void arch_vcpu_put(struct vcpu *vcpu)
{
	vcpu->sys = fake_cpu()->el1;
	/* The timers must not keep firing for whatever runs next on this CPU. */
	fake_cpu()->el1.cntv_ctl = fake_cpu()->el1.cntp_ctl = 0;
	if (vcpu->lazy)
		vcpu_lazy_put(vcpu);
	else
		vgic_lr_put(vcpu);
	fake_cpu()->loaded = NULL;
	fake_cpu()->puts++;
}

void arch_vcpu_hcr_update(const struct vcpu *vcpu)
{
	fake_cpu()->hcr = vcpu->hcr;
}

void arch_no_guest(void)
{
	fake_cpu()->guest_regime = false;
}

uint64_t fake_el1_read(unsigned which)
{
	const struct el1_sysregs *r = &fake_cpu()->el1;

	switch (which) {
	case FAKE_EL1_VBAR:
		return r->vbar;
	case FAKE_EL1_FAR:
		return r->far;
	case FAKE_EL1_SCTLR:
		return r->sctlr;
	case FAKE_EL1_CNTV_CTL:
		return r->cntv_ctl;
	default:
		return r->cntp_ctl;
	}
}

void fake_el1_exception(uint64_t elr, uint64_t spsr, uint64_t esr, uint64_t far)
{
	fake_cpu()->el1.elr = elr;
	fake_cpu()->el1.spsr = spsr;
	fake_cpu()->el1.esr = esr;
	fake_cpu()->el1.far = far;
	fake_arch.exceptions++;
}
