/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The arch interface (arch.h) at EL2 with HCR_EL2.E2H = 0: a loaded vCPU's EL1 context is in
 * the _EL1 registers themselves, so they are switched when a different vCPU is loaded, and
 * exception injection writes them directly.
 */
#include <kestrel/arch.h>
#include <kestrel/hyp.h>
#include <kestrel/sysreg_defs.h>
#include <kestrel/vcpu.h>
#include <kestrel/vm.h>

void arch_vcpu_load(struct vcpu *vcpu)
{
	const struct el1_sysregs *s = &vcpu->sys;
	struct vm *vm = vcpu->vm;

	write_sysreg(sctlr_el1, s->sctlr);
	write_sysreg(cpacr_el1, s->cpacr);
	write_sysreg(ttbr0_el1, s->ttbr0);
	write_sysreg(ttbr1_el1, s->ttbr1);
	write_sysreg(tcr_el1, s->tcr);
	write_sysreg(esr_el1, s->esr);
	write_sysreg(afsr0_el1, s->afsr0);
	write_sysreg(afsr1_el1, s->afsr1);
	write_sysreg(far_el1, s->far);
	write_sysreg(mair_el1, s->mair);
	write_sysreg(amair_el1, s->amair);
	write_sysreg(vbar_el1, s->vbar);
	write_sysreg(contextidr_el1, s->contextidr);
	write_sysreg(tpidr_el0, s->tpidr_el0);
	write_sysreg(tpidrro_el0, s->tpidrro_el0);
	write_sysreg(tpidr_el1, s->tpidr_el1);
	write_sysreg(par_el1, s->par);
	write_sysreg(cntkctl_el1, s->cntkctl);
	write_sysreg(sp_el0, s->sp_el0);
	write_sysreg(sp_el1, s->sp_el1);
	write_sysreg(elr_el1, s->elr);
	write_sysreg(spsr_el1, s->spsr);
	write_sysreg(csselr_el1, s->csselr);
	write_sysreg(cntvoff_el2, vm->cntvoff);
	write_sysreg(cntv_cval_el0, s->cntv_cval);
	write_sysreg(cntv_ctl_el0, s->cntv_ctl);
	write_sysreg(cntp_cval_el0, s->cntp_cval);
	write_sysreg(cntp_ctl_el0, s->cntp_ctl);
	/* With HCR_EL2.AMO and FEAT_RAS, the guest's DISR_EL1 is VDISR_EL2, which does not
	   trap: it is this vCPU's own, like any EL1 register (RAS is hidden from the guest,
	   but the register answers anyway, and one VM read another's value). */
	if (hyp.has_ras)
		write_sysreg(VDISR_EL2, s->vdisr);
	/* Pointer authentication keys, tag registers, the PMU and the debug registers only for a
	   vCPU that used them (pac.h, mte.h, pmu.h, debug.h): the others trap on every use, so
	   what the last vCPU left here is out of their reach, and the hardware's MDSCR_EL1 is 0
	   for them (debug_save): none of its breakpoints fires. */
	if (unlikely(vcpu->lazy))
		vcpu_lazy_load(vcpu);
	vgic_lr_load(vcpu);
	write_sysreg(vttbr_el2, vm->vttbr);
	write_sysreg(vpidr_el2, read_sysreg(midr_el1));
	write_sysreg(vmpidr_el2, vcpu->vmpidr);
	write_sysreg(hcr_el2, vcpu->hcr);
	write_sysreg(mdcr_el2, vcpu->mdcr);
	/* FP/SIMD stays trapped until this vCPU uses it, unless its state is still live; SVE
	   (CPTR_TZ, in every vCPU's traps) until its first SVE use since it was loaded. */
	write_sysreg(cptr_el2, vcpu->cptr | (vcpu->pcpu->fp_owner == vcpu ? 0 : CPTR_TFP));
	isb();
}

void arch_vcpu_put(struct vcpu *vcpu)
{
	struct el1_sysregs *s = &vcpu->sys;

	s->sctlr = read_sysreg(sctlr_el1);
	s->cpacr = read_sysreg(cpacr_el1);
	s->ttbr0 = read_sysreg(ttbr0_el1);
	s->ttbr1 = read_sysreg(ttbr1_el1);
	s->tcr = read_sysreg(tcr_el1);
	s->esr = read_sysreg(esr_el1);
	s->afsr0 = read_sysreg(afsr0_el1);
	s->afsr1 = read_sysreg(afsr1_el1);
	s->far = read_sysreg(far_el1);
	s->mair = read_sysreg(mair_el1);
	s->amair = read_sysreg(amair_el1);
	s->vbar = read_sysreg(vbar_el1);
	s->contextidr = read_sysreg(contextidr_el1);
	s->tpidr_el0 = read_sysreg(tpidr_el0);
	s->tpidrro_el0 = read_sysreg(tpidrro_el0);
	s->tpidr_el1 = read_sysreg(tpidr_el1);
	s->par = read_sysreg(par_el1);
	s->cntkctl = read_sysreg(cntkctl_el1);
	s->sp_el0 = read_sysreg(sp_el0);
	s->sp_el1 = read_sysreg(sp_el1);
	s->elr = read_sysreg(elr_el1);
	s->spsr = read_sysreg(spsr_el1);
	s->csselr = read_sysreg(csselr_el1);
	s->cntv_ctl = read_sysreg(cntv_ctl_el0);
	s->cntv_cval = read_sysreg(cntv_cval_el0);
	s->cntp_ctl = read_sysreg(cntp_ctl_el0);
	s->cntp_cval = read_sysreg(cntp_cval_el0);
	if (hyp.has_ras)
		s->vdisr = read_sysreg(VDISR_EL2);
	/* The timers must not keep firing for whatever runs next on this CPU, nor the PMU
	   count (vcpu_lazy_put). */
	write_sysreg(cntv_ctl_el0, 0);
	write_sysreg(cntp_ctl_el0, 0);
	if (unlikely(vcpu->lazy))
		vcpu_lazy_put(vcpu); /* with vgic_lr_put: out of line, so this one needs no frame */
	else
		vgic_lr_put(vcpu);
}

void arch_vcpu_hcr_update(const struct vcpu *vcpu)
{
	write_sysreg(hcr_el2, vcpu->hcr);
	isb();
}

/* Parked until the next load: stage 2 on, through VMID 0 (no VM's) and an empty table.
   The last guest's EL1 regime is still in the registers; a speculative walk through it
   (errata) reaches neither its stage 2, which may be about to be freed, nor its VMID, which
   another VM may get next, nor memory by its stage-1 tables alone. */
void arch_no_guest(void)
{
	write_sysreg(vttbr_el2, hyp.park_vttbr);
	write_sysreg(hcr_el2, HCR_RW | HCR_VM);
	isb();
}
