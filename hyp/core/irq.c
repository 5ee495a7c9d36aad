/* Physical interrupts taken at EL2: kicks from other CPUs and the EL2 timer alarm. */
#include <kestrel/drivers.h>
#include <kestrel/exits.h>
#include <kestrel/lib.h>
#include <kestrel/platform.h>

extern struct platform platform;

void irq_drain(bool *timer_fired)
{
	for (;;) {
		unsigned intid = gicv3_ack();
		if (intid >= 1020)
			return;
		if (intid == platform.ppi_hyp_timer) {
			timer_cancel_el2();
			if (timer_fired)
				*timer_fired = true;
		} else if (intid != SGI_KICK) {
			kprintf("unexpected physical interrupt %u ignored", intid);
		}
		gicv3_eoi(intid);
	}
}
