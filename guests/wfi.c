/*
 * wfi: the EL1 virtual timer. The counter starts near 0 with the VM, and a WFI with the
 * timer armed returns once its deadline has passed, even with IRQs masked in PSTATE (a
 * pending interrupt wakes WFI whatever PSTATE.I says).
 */
#include "check.h"
#include "printf.h"
#include "runtime.h"
#include "sysreg.h"

#define CNTV_CTL_ENABLE	 (1ul << 0)
#define CNTV_CTL_IMASK	 (1ul << 1)
#define CNTV_CTL_ISTATUS (1ul << 2)

int main(const void *dtb)
{
	/* First thing, so that as little guest time as possible has passed. */
	uint64_t boot_count = counter_now();
	uint64_t freq = counter_freq();
	(void)dtb;

	printf("CNTFRQ_EL0 = %lu Hz, CNTVCT_EL0 at main = %lu\n", freq, boot_count);
	if (!check(freq != 0, "CNTFRQ_EL0 is set"))
		test_finish();
	check(boot_count < 10 * freq, "CNTVCT_EL0 at boot = %lu ms, under 10 s",
	      boot_count / (freq / 1000));

	__asm__ __volatile__("msr daifset, #2" : : : "memory"); /* PSTATE.I masked */
	uint64_t deadline = counter_now() + freq / 100;		/* 10 ms ahead */
	write_sysreg(cntv_cval_el0, deadline);
	write_sysreg(cntv_ctl_el0, CNTV_CTL_ENABLE); /* and CNTV_CTL_IMASK clear */
	isb();
	__asm__ __volatile__("dsb sy\n\twfi" : : : "memory");
	uint64_t woke = counter_now();
	uint64_t ctl = read_sysreg(cntv_ctl_el0);

	check(woke >= deadline, "WFI returned at or after the deadline (%ld ticks past it)",
	      (int64_t)(woke - deadline));
	check(woke - deadline < 5 * freq, "WFI returned within 5 s of the deadline");
	check(ctl & CNTV_CTL_ISTATUS, "CNTV_CTL_EL0 = 0x%lx: ISTATUS set", ctl);

	write_sysreg(cntv_ctl_el0, 0);
	isb();
	check_eq("CNTV_CTL_EL0 after disabling the timer", read_sysreg(cntv_ctl_el0), 0);
	test_finish();
}
