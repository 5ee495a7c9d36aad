/* SPDX-License-Identifier: Apache-2.0 */
/* The EL2 physical timer (CNTHP): kestrel's alarm clock while a vCPU sleeps in WFI. */
#include <kestrel/drivers.h>
#include <kestrel/sysreg.h>

#define CTL_ENABLE BIT(0)

void timer_arm_el2(uint64_t deadline)
{
	write_sysreg(cnthp_cval_el2, deadline);
	write_sysreg(cnthp_ctl_el2, CTL_ENABLE);
	isb();
}

void timer_cancel_el2(void)
{
	write_sysreg(cnthp_ctl_el2, 0);
	isb();
}
