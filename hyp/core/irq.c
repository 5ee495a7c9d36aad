/*
 * Physical interrupts taken at EL2. The guest's timers arrive as physical PPIs and go to the
 * vCPU loaded on this CPU as hardware-linked virtual interrupts: kestrel only drops their
 * priority, and the guest's own EOI deactivates the physical interrupt.
 */
#include <kestrel/drivers.h>
#include <kestrel/exits.h>
#include <kestrel/hyp.h>
#include <kestrel/lib.h>
#include <kestrel/sysreg.h>

static void guest_timer(unsigned intid)
{
	struct vcpu *vcpu = this_pcpu()->loaded;

	gicv3_priority_drop(intid);
	if (vcpu)
		vgic_inject_hw(vcpu, intid);
	else
		gicv3_deactivate(intid);
}

void irq_drain(bool *timer_fired)
{
	for (;;) {
		unsigned intid = gicv3_ack();
		if (intid >= 1020)
			return;
		if (intid == platform.ppi_virt_timer || intid == platform.ppi_phys_timer) {
			guest_timer(intid);
			continue;
		}
		if (intid == platform.ppi_hyp_timer) {
			sched_timer_fired();
			if (timer_fired)
				*timer_fired = true;
		} else if (intid == platform.uart_spi && intid) {
			console_input_irq();
		} else if (intid != SGI_KICK && intid != platform.ppi_gic_maint) {
			kprintf("unexpected physical interrupt %u ignored", intid);
		}
		gicv3_eoi(intid);
	}
}
