/* SPDX-License-Identifier: Apache-2.0 */
/*
 * WFI/WFE. A vCPU in WFI with nothing pending blocks: its CPU runs another vCPU or waits in
 * WFI at EL2 until an interrupt for it arrives (its own timers stay live while it is still
 * loaded; other CPUs kick). WFE is a hint that the vCPU spins: it gives way to the others
 * on its CPU, if any.
 */
#include <kestrel/exits.h>
#include <kestrel/sysreg.h>

exit_result wfx_exit(struct vcpu *vcpu, uint64_t esr)
{
	exit_result past = exit_emulated(esr);

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
