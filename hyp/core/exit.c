/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Exit dispatch: one table indexed by ESR_EL2.EC. Classes kestrel does not emulate are
 * instructions the guest may not use here, so the architected answer is an UNDEF.
 */
#include <kestrel/abort.h>
#include <kestrel/debug.h>
#include <kestrel/fpsimd.h>
#include <kestrel/sysreg.h>
#include <kestrel/irq.h>
#include <kestrel/lib.h>
#include <kestrel/pac.h>
#include <kestrel/pstate.h>
#include <kestrel/sched.h>
#include <kestrel/smccc.h>
#include <kestrel/sysreg_defs.h>
#include <kestrel/vcpu.h>
#include <kestrel/vm.h>
#include <kestrel/wfx.h>

static exit_result undef_exit(struct vcpu *vcpu, uint64_t esr)
{
	(void)esr;
	return vcpu_inject_undef(vcpu);
}

/* Every class has a handler, so dispatch (guest_sync in entry.S) is one indexed load and one
   indirect call. The range fills the table with UNDEF first; the named classes override it. */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Woverride-init"
exit_fn *const exit_handlers[EC_COUNT];
exit_fn *const exit_handlers[EC_COUNT] = {
    [0 ... EC_COUNT - 1] = undef_exit, /* instructions a guest may not use here */
    [EC_WFX] = wfx_exit,	       /* wfx.c */
    [EC_FP_ASIMD] = fpsimd_exit,       /* fpsimd.c: lazy switch */
    [EC_PAC] = pac_exit,	       /* pac.c: lazy switch */
    [EC_SVE] = fpsimd_sve_exit,	       /* fpsimd.c: lazy switch */
    [EC_HVC64] = smccc_hvc_exit,       /* smccc.c, psci.c, shm.c */
    [EC_SMC64] = smccc_smc_exit,
    [EC_SYS64] = sysreg_exit,	     /* sysreg.c */
    [EC_IABT_LOW] = abort_iabt_exit, /* abort.c */
    [EC_DABT_LOW] = abort_dabt_exit, /* abort.c: MMIO or a stray access */
};
#pragma GCC diagnostic pop

/*
 * guest_sync calls the handler itself when the vCPU needs no attention (nothing in its list
 * registers), steps the PC by the result, and calls this only for a slow result. The vCPU
 * leaves its CPU here, in the dispatcher, never inside a handler.
 */
void exit_finish(struct vcpu *vcpu, exit_result result);
void exit_finish(struct vcpu *vcpu, exit_result result)
{
	/* WFI, CPU_SUSPEND with nothing pending; CPU_OFF, a lifecycle request */
	if (vcpu->blocked || exit_leaves(result))
		sched_pcpu_idle();
	sched_check_current(vcpu);
	vgic_flush_lrs(vcpu);
}

/* A synchronous exit of a vCPU that needs attention: the list registers are folded back
   first, since the handler may look at the vCPU's interrupt state. guest_sync steps the PC
   and calls exit_finish, whatever the result: the list registers are to be filled again. */
exit_result exit_sync(struct vcpu *vcpu, uint64_t esr);
exit_result exit_sync(struct vcpu *vcpu, uint64_t esr)
{
	unsigned ec = ESR_EC(esr);
	vcpu->stats[ec]++;
	vgic_sync_lrs(vcpu);
	return exit_handlers[ec](vcpu, esr) | EXIT_RECHECK;
}

/*
 * The synchronous exit of a vCPU whose debug registers are live (its own vectors: debug.h),
 * which may be stepping: the handler as exit_sync calls it, then the dispatcher's PC step,
 * which here also advances the software step state machine. An instruction kestrel carried out
 * completed: PSTATE.SS is cleared, so the guest takes its step exception before the next one,
 * as after an instruction the CPU executes (KVM does the same in kvm_skip_instr). A result
 * that does not step leaves SS as the exception left it: an instruction run again (a lazy
 * trap) is stepped when it completes, an HVC already completed (SS clear), and an injected
 * exception gave the guest a new PSTATE (SS clear) and its SPSR_EL1 the old one, as an
 * exception from the stepped instruction does. entry.S calls exit_finish next.
 */
exit_result exit_sync_debug(struct vcpu *vcpu, uint64_t esr);
exit_result exit_sync_debug(struct vcpu *vcpu, uint64_t esr)
{
	exit_result r = exit_sync(vcpu, esr);
	unsigned step = r & EXIT_STEP_MASK;

	vcpu->regs.pc += step;
	if (vcpu->regs.pstate & PSTATE_NRW)
		vcpu_step_a32(vcpu, r);
	else
		vcpu->regs.pstate &= ~PSTATE_BTYPE;
	if (step)
		vcpu->regs.pstate &= ~PSTATE_SS;
	return r;
}

struct vcpu *exit_irq(struct vcpu *vcpu);
struct vcpu *exit_irq(struct vcpu *vcpu)
{
	vcpu->stats[STAT_IRQ]++;
	vgic_sync_lrs(vcpu);
	irq_drain();
	sched_check_current(vcpu);
	vgic_flush_lrs(vcpu);
	return vcpu;
}

/* A physical SError while the guest ran: its VM is stopped or restarted (vcpu_serror). The
   vCPU leaves in exit_finish, the dispatcher; nothing here resumes it. */
struct vcpu *exit_serror(struct vcpu *vcpu, uint64_t esr);
struct vcpu *exit_serror(struct vcpu *vcpu, uint64_t esr)
{
	vcpu->stats[EC_SERROR]++;
	vgic_sync_lrs(vcpu);
	exit_finish(vcpu, vcpu_serror(vcpu, esr));
	return vcpu;
}

/* Any exception taken at EL2 is a kestrel bug: report everything, then halt. */
void exit_el2_exception(const uint64_t *frame, unsigned kind);
void exit_el2_exception(const uint64_t *frame, unsigned kind)
{
	static const char *const kinds[8] = {"sync (SP0)", "IRQ (SP0)", "FIQ (SP0)", "SError (SP0)",
					     "sync",	   "IRQ",	"FIQ",	     "SError"};
	struct arch_el2_fault f;
	uint64_t esr;
	char line[160];

	arch_el2_fault(&f);
	esr = f.esr;

	kprintf("PANIC: unexpected %s exception at EL2: %s", kinds[kind & 7],
		esr_ec_name(ESR_EC(esr)));
	kprintf("  ESR_EL2 0x%016lx  FAR_EL2 0x%016lx", (unsigned long)esr, (unsigned long)f.far);
	kprintf("  ELR_EL2 0x%016lx  SPSR_EL2 0x%016lx", (unsigned long)f.elr,
		(unsigned long)f.spsr);
	if ((kind & 3) == 0 && (ESR_EC(esr) == EC_IABT_CUR || ESR_EC(esr) == EC_DABT_CUR)) {
		unsigned fsc = ESR_ISS(esr) & 0x3f;
		kprintf("  fault status 0x%02x: %s%s", fsc, esr_fsc_name(fsc),
			ESR_EC(esr) == EC_IABT_CUR ? " on an instruction fetch"
			: ESR_ISS(esr) & BIT(6)	   ? " on a write"
						   : " on a read");
	}
	for (unsigned i = 0; i < 32; i += 3) {
		int n = 0;
		for (unsigned j = i; j < i + 3 && j < 32; j++) {
			char name[4] = {'s', 'p', 0, 0};
			if (j < 31)
				snprintf(name, sizeof(name), "x%u", j);
			n += snprintf(line + n, sizeof(line) - (size_t)n, "  %-3s 0x%016lx", name,
				      (unsigned long)frame[j]);
		}
		kprintf("%s", line);
	}
	panic("kestrel hit an exception it cannot recover from");
}
