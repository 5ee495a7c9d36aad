/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Physical interrupts taken at EL2. The guest's timers arrive as physical PPIs and go to the
 * vCPU loaded on this CPU as hardware-linked virtual interrupts: kestrel only drops their
 * priority, and the guest's own EOI deactivates the physical interrupt.
 */
#include <kestrel/gicv3.h>
#include <kestrel/guest_layout.h>
#include <kestrel/halt.h>
#include <kestrel/hostdisk.h>
#include <kestrel/hyp.h>
#include <kestrel/irq.h>
#include <kestrel/lib.h>
#include <kestrel/sched.h>
#include <kestrel/sysreg_defs.h>
#include <kestrel/vconsole.h>
#include <kestrel/vm.h>

/* Which VM owns each physical SPI of a passed-through device. */
static struct vm *spi_owner[VGIC_NR_IRQS];

void irq_passthrough_claim(unsigned intid, struct vm *vm)
{
	spi_owner[intid] = vm;
	gicv3_route_spi(intid, vm->vcpus[0].pcpu->mpidr);
}

void irq_passthrough_release(unsigned intid)
{
	gicv3_disable_spi(intid);
	spi_owner[intid] = NULL;
}

/* A timer's or the PMU's PPI fired: the host's and the guest's are the same PPIs (hostdt.c
   checks the timers', main.c the PMU's). Only the loaded vCPU's state drives them: another
   vCPU's timers and PMU are stopped when it is put (vcpu_context.c). */
static void guest_ppi(unsigned intid)
{
	struct vcpu *vcpu = this_pcpu()->loaded;

	gicv3_priority_drop(intid);
	if (vcpu)
		vgic_inject_hw(vcpu, intid);
	else
		gicv3_deactivate(intid);
}

/* Out of line, so that the common interrupts' path keeps its registers free. */
static NOINLINE __attribute__((cold)) void unusual_irq(unsigned intid)
{
	if (intid == SGI_HALT)
		halt_this_cpu();
	if (intid != platform.ppi_gic_maint)
		kprintf("unexpected physical interrupt %u ignored", intid);
}

void irq_drain(void)
{
	for (;;) {
		unsigned intid = gicv3_ack();
		if (intid >= 1020)
			return;
		if (intid == platform.ppi_virt_timer || intid == platform.ppi_phys_timer) {
			guest_ppi(intid);
			continue;
		}
		if (intid < VGIC_NR_IRQS && spi_owner[intid]) {
			/* The guest's EOI of the linked virtual SPI deactivates this one. */
			gicv3_priority_drop(intid);
			vgic_inject_hw_spi(spi_owner[intid], intid);
			continue;
		}
		if (intid == SGI_KICK) { /* what it asks is looked at on the way out */
			gicv3_eoi(intid);
			continue;
		}
		if (intid == platform.ppi_hyp_timer) {
			sched_timer_fired();
		} else if (intid == GUEST_PPI_PMU) { /* enabled only when guests have the PMU */
			guest_ppi(intid);
			continue;
		} else if (intid == platform.uart_spi && intid) {
			vconsole_input_irq();
		} else if (hostdisk_irq(intid)) {
			/* a machine disk's request ended: its VM's disk went on */
		} else {
			unusual_irq(intid);
		}
		gicv3_eoi(intid);
	}
}
