/* SPDX-License-Identifier: Apache-2.0 */
/*
 * WFI/WFE. A vCPU in WFI with nothing pending blocks: its CPU runs another vCPU or waits in
 * WFI at EL2 until an interrupt for it arrives (its own timers stay live while it is still
 * loaded; other CPUs kick). WFE is a hint that the vCPU spins: it gives way to the others
 * on its CPU, if any.
 */
#include <kestrel/sysreg_defs.h>
#include <kestrel/vcpu.h>
#include <kestrel/vm.h>
#include <kestrel/wfx.h>

#define WFX_TI_TIMEOUT BIT(1) /* ISS.TI: WFIT (0b10) or WFET (0b11) */

exit_result wfx_exit(struct vcpu *vcpu, uint64_t esr)
{
	exit_result past = exit_emulated(esr);

	/* The ID registers say FEAT_WFxT is not there (ID_AA64ISAR2_EL1.WFxT), where WFIT and
	   WFET are UNDEFINED. The CPU has them, so HCR_EL2.TWI/TWE trap them here: taken for a
	   WFI they would wait without their timeout, perhaps for ever. */
	if (unlikely(esr & WFX_TI_TIMEOUT))
		return vcpu_inject_undef(vcpu);
	if (esr & 1) {
		if (vcpu->pcpu->nrunq == 1)
			return past;
		__atomic_fetch_or(&vcpu->pcpu->resched, RESCHED_NOW, __ATOMIC_RELAXED);
		return past | EXIT_RECHECK;
	}
	if (vgic_vcpu_pending(vcpu))
		return past;
	/* Blocked: the dispatcher leaves the vCPU after saving all of its registers. */
	vcpu->blocked = true;
	return past | EXIT_LEAVE;
}
