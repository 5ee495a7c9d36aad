/*
 * WFI/WFE. A vCPU in WFI sleeps until its virtual timer would fire or another CPU kicks it;
 * meanwhile its physical CPU waits in WFI at EL2, using the EL2 timer as the alarm.
 */
#include <kestrel/drivers.h>
#include <kestrel/exits.h>
#include <kestrel/sysreg.h>

#define CNTV_ENABLE  BIT(0)
#define CNTV_IMASK   BIT(1)
#define CNTV_ISTATUS BIT(2)

static void wfi_wait(struct vcpu *vcpu)
{
	uint64_t ctl = read_sysreg(cntv_ctl_el0);
	bool armed = (ctl & (CNTV_ENABLE | CNTV_IMASK)) == CNTV_ENABLE;

	if (armed && (ctl & CNTV_ISTATUS))
		return; /* already due: the wake-up event is there */
	if (armed)
		timer_arm_el2(read_sysreg(cntv_cval_el0) + vcpu->vm->cntvoff);
	/* Any interrupt ends the wait (the alarm or a kick): WFI may always wake early. */
	wfi();
	irq_drain(NULL);
	timer_cancel_el2();
}

void wfx_exit(struct vcpu *vcpu, uint64_t esr)
{
	vcpu_skip_instr(vcpu);
	if (esr & 1)
		return; /* WFE: nothing else waits for this CPU, so just carry on */
	wfi_wait(vcpu);
}
