/* SPDX-License-Identifier: Apache-2.0 */
/* vCPU state: reset, loading, exception injection; the registers themselves are the arch
   layer's (arch.h). */
#include <kestrel/arch.h>
#include <kestrel/debug.h>
#include <kestrel/guest_layout.h>
#include <kestrel/hyp.h>
#include <kestrel/lib.h>
#include <kestrel/pmu.h>
#include <kestrel/pstate.h>
#include <kestrel/sysreg_defs.h>
#include <kestrel/vcpu.h>
#include <kestrel/vm.h>
#include <kestrel/vm_lifecycle.h>

_Static_assert(offsetof(struct vcpu, regs) == 0, "entry.S stores through the vcpu pointer");
_Static_assert(offsetof(struct vcpu_regs, x[30]) == VCPU_REGS_X30, "asm offset");
_Static_assert(offsetof(struct vcpu_regs, pc) == VCPU_REGS_PC, "asm offset");
_Static_assert(offsetof(struct vcpu_regs, pstate) == VCPU_REGS_PSTATE, "asm offset");
_Static_assert(offsetof(struct pcpu, current) == PCPU_CURRENT, "asm offset");
_Static_assert(offsetof(struct vcpu, attention) == VCPU_ATTENTION, "asm offset");
_Static_assert(offsetof(struct vcpu, stats) == VCPU_STATS, "asm offset");
_Static_assert(ASM_EC_HVC64 == EC_HVC64, "asm exception class");
_Static_assert(ASM_PSTATE_BTYPE == PSTATE_BTYPE, "asm PSTATE.BTYPE");
_Static_assert(offsetof(struct vcpu_regs, pstate) == offsetof(struct vcpu_regs, pc) + 8,
	       "entry.S steps the PC and clears BTYPE with one load and one store");

#define SCTLR_EL1_RES1 0x30d00800ull
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
	/* Pointer authentication, MTE and the PMU trapped again until their first use, with
	   zero keys, tag registers and counters. */
	vcpu->lazy = 0;
	memset(vcpu->pac_keys, 0, sizeof(vcpu->pac_keys));
	memset(vcpu->mte_regs, 0, sizeof(vcpu->mte_regs));
	vcpu->hcr &= ~(HCR_API | HCR_APK | HCR_ATA);
	memset(&vcpu->pmu, 0, sizeof(vcpu->pmu));
	vcpu->mdcr |= MDCR_TPM | MDCR_TPMCR;
	/* Its first SVE use starts again from its zeroed FP state. */
	vcpu->sve_used = false;
	vcpu->sys.sctlr = SCTLR_EL1_RES1; /* MMU and caches off, as the boot protocol wants */
	/* Debug trapped again until its first use; the OS lock set, as a cold reset leaves it. */
	vcpu->dbg.oslsr = OSLSR_OSLM | OSLSR_OSLK;
	vcpu->mdcr |= MDCR_TDA;
	vcpu->vmpidr = GUEST_MPIDR(vcpu->id);
}

/* Takes a synchronous exception to the guest's EL1, as the hardware would. */
#define CRASH_LOOP 10

/* A guest that faults inside its own exception vectors, again and again, has crashed. */
static bool fault_in_vectors(struct vcpu *vcpu)
{
	uint64_t vbar = arch_el1_vbar(), pc = vcpu->regs.pc;

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
		vm_lifecycle_request(vcpu->vm, VM_REQ_CRASH,
				     "an exception it cannot handle, in a loop");
		return EXIT_LEAVE; /* the scheduler stops or restarts it, per its policy */
	}
	if (pstate & BIT(4))
		offset = VECTOR_LOW_A32;
	else if ((pstate & 0xc) == 0)
		offset = VECTOR_LOW_A64;
	else
		offset = (pstate & 1) ? VECTOR_CUR_SPX : VECTOR_CUR_SP0;
	arch_el1_exception(vcpu->regs.pc, pstate, esr, far);
	vcpu->regs.pc = arch_el1_vbar() + offset;
	vcpu->regs.pstate = pstate_el1_entry(pstate, arch_el1_sctlr());
	return EXIT_RESUME;
}

/*
 * A physical SError is asynchronous: nothing says which access raised it, only that it came
 * while this vCPU ran, and no other VM ran on this CPU since the last exit. Handing a guest an
 * exception it did not cause, or the next VM one it certainly did not, is wrong either way;
 * kestrel contains it instead: this VM crashes (stopped or restarted per its on-crash
 * policy, in the scheduler loop), and no other VM is touched.
 */
exit_result vcpu_serror(struct vcpu *vcpu, uint64_t esr)
{
	kprintf("%s/vcpu%u: physical SError (ESR 0x%lx) at PC 0x%lx", vcpu->vm->name, vcpu->id,
		(unsigned long)esr, (unsigned long)vcpu->regs.pc);
	vm_lifecycle_request(vcpu->vm, VM_REQ_CRASH, "a physical SError while it ran");
	return EXIT_LEAVE;
}

/*
 * AArch32 state (a guest's EL0 may use it: the CPU has it, though the ID registers say EL0 is
 * AArch64 only): an instruction kestrel carried out moves its IT block on (ITAdvance). ITSTATE
 * is SPSR bits 26:25 (IT[1:0]) and 15:10 (IT[7:2]).
 */
void vcpu_step_a32(struct vcpu *vcpu, exit_result result)
{
	uint64_t p = vcpu->regs.pstate;
	unsigned it = (unsigned)(((p >> 25) & 3) | ((p >> 8) & 0xfc));

	if (!(result & EXIT_STEP_MASK) || !it)
		return;
	it = (it & 7) == 0 ? 0 : (it & 0xe0) | ((it << 1) & 0x1f);
	p &= ~((3ull << 25) | (0x3full << 10));
	vcpu->regs.pstate = p | ((uint64_t)(it & 3) << 25) | ((uint64_t)(it >> 2) << 10);
}

static bool from_el0(const struct vcpu *vcpu)
{
	return (vcpu->regs.pstate & 0xc) == 0 || (vcpu->regs.pstate & BIT(4));
}

exit_result vcpu_inject_undef(struct vcpu *vcpu)
{
	vcpu->stats[STAT_UNDEF_INJECTED]++;
	return inject_sync(vcpu, ESR_IL, arch_el1_far());
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

/* The state of a vCPU's first uses (vcpu->lazy), which both arch backends' load and put
   hand here when the word is not zero. The PMU's overflow PPI is linked here too (pmu_load); EL2
   runs this with IRQs masked, so the order of its activation and the PMU's level does not matter
   before the ERET. */
void vcpu_lazy_load(struct vcpu *vcpu)
{
	if (vcpu->lazy & LAZY_PAC)
		pac_restore(vcpu);
	if (vcpu->lazy & LAZY_MTE)
		mte_restore(vcpu);
	if (vcpu->lazy & LAZY_PMU)
		pmu_load(vcpu);
	if (vcpu->lazy & LAZY_DEBUG)
		debug_restore(vcpu);
}

/* With the vGIC's put: the PMU's overflow PPI is released after vgic_lr_put has folded the
   list registers back (one may hold it), its level low since pmu_save. */
void vcpu_lazy_put(struct vcpu *vcpu)
{
	if (vcpu->lazy & LAZY_PAC)
		pac_save(vcpu);
	if (vcpu->lazy & LAZY_MTE)
		mte_save(vcpu);
	if (vcpu->lazy & LAZY_PMU)
		pmu_save(vcpu);
	if (vcpu->lazy & LAZY_DEBUG) {
		debug_save(vcpu);
		debug_put(vcpu);
	}
	vgic_lr_put(vcpu);
	if (vcpu->lazy & LAZY_PMU)
		vgic_lr_put_linked(vcpu, GUEST_PPI_PMU);
}
