/*
 * WFI/WFE. A vCPU in WFI sleeps until one of its interrupts is pending; its physical CPU waits
 * in WFI at EL2 meanwhile. The vCPU's timers stay live in the hardware while it sleeps, so
 * their physical interrupts wake the CPU; other CPUs wake it with a kick.
 */
#include <kestrel/exits.h>
#include <kestrel/sysreg.h>

void wfx_exit(struct vcpu *vcpu, uint64_t esr)
{
	vcpu_skip_instr(vcpu);
	if (esr & 1)
		return; /* WFE: nothing else waits for this CPU, so just carry on */
	while (!vgic_vcpu_pending(vcpu)) {
		wfi();
		irq_drain(NULL);
		sched_check_current(vcpu);
	}
}
