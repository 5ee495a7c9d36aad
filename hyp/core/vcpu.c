/* SPDX-License-Identifier: Apache-2.0 */
/* vCPU state: reset, the EL1 context switch, register access, exception injection. */
#include <kestrel/guest_layout.h>
#include <kestrel/lib.h>
#include <kestrel/sysreg.h>
#include <kestrel/vm.h>

_Static_assert(offsetof(struct vcpu, regs) == 0, "entry.S stores through the vcpu pointer");
_Static_assert(offsetof(struct vcpu_regs, x[30]) == VCPU_REGS_X30, "asm offset");
_Static_assert(offsetof(struct vcpu_regs, pc) == VCPU_REGS_PC, "asm offset");
_Static_assert(offsetof(struct vcpu_regs, pstate) == VCPU_REGS_PSTATE, "asm offset");
_Static_assert(offsetof(struct pcpu, current) == PCPU_CURRENT, "asm offset");
_Static_assert(offsetof(struct vcpu, attention) == VCPU_ATTENTION, "asm offset");
_Static_assert(offsetof(struct vcpu, stats) == VCPU_STATS, "asm offset");
_Static_assert(ASM_EC_HVC64 == EC_HVC64, "asm exception class");

#define PSTATE_EL1H    0x5
#define PSTATE_DAIF    (0xfull << 6)
#define PSTATE_PAN     BIT(22)
#define SCTLR_EL1_RES1 0x30d00800ull
#define SCTLR_SPAN     BIT(23)
#define VECTOR_CUR_SP0 0x000
#define VECTOR_CUR_SPX 0x200
#define VECTOR_LOW_A64 0x400
#define VECTOR_LOW_A32 0x600

void vcpu_reset(struct vcpu *vcpu, ipaddr_t entry, uint64_t x0)
{
	memset(&vcpu->regs, 0, sizeof(vcpu->regs));
	memset(&vcpu->sys, 0, sizeof(vcpu->sys));
	memset(&vcpu->dbg, 0, sizeof(vcpu->dbg));
	memset(&vcpu->fp, 0, sizeof(vcpu->fp));
	memset(&vcpu->vgic.cpuif, 0, sizeof(vcpu->vgic.cpuif));
	vcpu->regs.x[0] = x0;
	vcpu->regs.pc = entry;
	vcpu->regs.pstate = PSTATE_EL1H | PSTATE_DAIF;
	vcpu->blocked = false;
	vcpu->faults_in_vectors = 0;
	vcpu->sys.sctlr = SCTLR_EL1_RES1; /* MMU and caches off, as the boot protocol wants */
	vcpu->dbg.oslsr = BIT(3);	  /* OS lock implemented, unlocked */
	vcpu->vmpidr = GUEST_MPIDR(vcpu->id);
}

void vcpu_load(struct vcpu *vcpu)
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
	vgic_load(vcpu);
	write_sysreg(vttbr_el2, vm->vttbr);
	write_sysreg(vpidr_el2, read_sysreg(midr_el1));
	write_sysreg(vmpidr_el2, vcpu->vmpidr);
	write_sysreg(hcr_el2, vcpu->hcr);
	write_sysreg(mdcr_el2, vcpu->mdcr);
	/* FP/SIMD stays trapped until this vCPU uses it, unless its state is still live. */
	write_sysreg(cptr_el2, vcpu->cptr | (vcpu->pcpu->fp_owner == vcpu ? 0 : CPTR_TFP));
	isb();
	vcpu->pcpu->loaded = vcpu;
}

void vcpu_put(struct vcpu *vcpu)
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
	/* The timers must not keep firing for whatever runs next on this CPU. */
	write_sysreg(cntv_ctl_el0, 0);
	write_sysreg(cntp_ctl_el0, 0);
	vgic_put(vcpu);
	vcpu->pcpu->loaded = NULL;
}

/* Takes a synchronous exception to the guest's EL1, as the hardware would. */
#define CRASH_LOOP 10

/* A guest that faults inside its own exception vectors, again and again, has crashed. */
static bool fault_in_vectors(struct vcpu *vcpu)
{
	uint64_t vbar = read_sysreg(vbar_el1), pc = vcpu->regs.pc;

	if (pc - vbar < 0x800)
		return ++vcpu->faults_in_vectors >= CRASH_LOOP;
	vcpu->faults_in_vectors = 0;
	return false;
}

static exit_result inject_sync(struct vcpu *vcpu, uint64_t esr, uint64_t far)
{
	uint64_t pstate = vcpu->regs.pstate, offset;

	if (fault_in_vectors(vcpu)) {
		vcpu->faults_in_vectors = 0;
		vm_request(vcpu->vm, VM_REQ_CRASH, "an exception it cannot handle, in a loop");
		return EXIT_LEAVE; /* the scheduler stops or restarts it, per its policy */
	}
	if (pstate & BIT(4))
		offset = VECTOR_LOW_A32;
	else if ((pstate & 0xc) == 0)
		offset = VECTOR_LOW_A64;
	else
		offset = (pstate & 1) ? VECTOR_CUR_SPX : VECTOR_CUR_SP0;
	write_sysreg(elr_el1, vcpu->regs.pc);
	write_sysreg(spsr_el1, pstate);
	write_sysreg(esr_el1, esr);
	write_sysreg(far_el1, far);
	vcpu->regs.pc = read_sysreg(vbar_el1) + offset;
	vcpu->regs.pstate = PSTATE_EL1H | PSTATE_DAIF;
	if (!(read_sysreg(sctlr_el1) & SCTLR_SPAN))
		vcpu->regs.pstate |= PSTATE_PAN;
	return EXIT_RESUME;
}

static bool from_el0(const struct vcpu *vcpu)
{
	return (vcpu->regs.pstate & 0xc) == 0 || (vcpu->regs.pstate & BIT(4));
}

exit_result vcpu_inject_undef(struct vcpu *vcpu)
{
	vcpu->stats[STAT_UNDEF_INJECTED]++;
	return inject_sync(vcpu, ESR_IL, read_sysreg(far_el1));
}

exit_result vcpu_inject_abort(struct vcpu *vcpu, bool instruction, uint64_t far, bool write)
{
	unsigned ec = instruction ? (from_el0(vcpu) ? EC_IABT_LOW : EC_IABT_CUR)
				  : (from_el0(vcpu) ? EC_DABT_LOW : EC_DABT_CUR);
	uint64_t esr = ((uint64_t)ec << 26) | ESR_IL | FSC_EXTABT;

	if (write && !instruction)
		esr |= BIT(6);
	vcpu->stats[STAT_ABORT_INJECTED]++;
	return inject_sync(vcpu, esr, far);
}
