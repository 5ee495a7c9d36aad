/* SPDX-License-Identifier: Apache-2.0 */
#include "alternate.h"
#include "boot_info.h"
#include "gic.h"
#include "runtime.h"
#include "sysreg.h"

#define CNTP_ENABLE 1ul

static uint64_t alt_ticks;

void alternate_init(void)
{
	alt_ticks = bootarg("alternate-ms", 0) * (counter_freq() / 1000);
	if (alt_ticks)
		gic_enable(GIC_PPI_PHYS_TIMER);
}

bool alternate_quiet(void)
{
	return alt_ticks && ((read_sysreg(cntpct_el0) / alt_ticks) & 1);
}

void alternate_rest(void)
{
	uint64_t end, daif = read_sysreg(daif);

	if (!alternate_quiet())
		return;
	end = (read_sysreg(cntpct_el0) / alt_ticks + 1) * alt_ticks;
	__asm__ volatile("msr daifset, #2" ::: "memory");
	write_sysreg(cntp_cval_el0, end);
	write_sysreg(cntp_ctl_el0, CNTP_ENABLE);
	isb();
	while (read_sysreg(cntpct_el0) < end)
		__asm__ volatile("dsb sy\n\twfi" ::: "memory");
	write_sysreg(cntp_ctl_el0, 0);
	isb();
	write_sysreg(daif, daif);
}
