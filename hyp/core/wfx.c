/* SPDX-License-Identifier: Apache-2.0 */
/*
 * WFI/WFE. A vCPU in WFI with nothing pending blocks: its CPU runs another vCPU or waits in
 * WFI at EL2 until an interrupt for it arrives (its own timers stay live while it is still
 * loaded; other CPUs kick). WFE is a hint that the vCPU spins: it gives way to the others
 * on its CPU, if any.
 */
#include <kestrel/exits.h>
#include <kestrel/sysreg.h>

void wfx_exit(struct vcpu *vcpu, uint64_t esr)
{
	vcpu_skip_instr(vcpu, esr);
	if (esr & 1) {
		if (vcpu->pcpu->nrunq > 1) {
			__atomic_fetch_or(&vcpu->pcpu->resched, RESCHED_NOW, __ATOMIC_RELAXED);
			vcpu->attention = 1;
		}
		return;
	}
	if (vgic_vcpu_pending(vcpu))
		return;
	/* Blocked: the exit path leaves the vCPU after saving all of its registers. */
	vcpu->blocked = true;
	vcpu->attention = 1;
}
