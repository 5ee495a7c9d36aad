/* SPDX-License-Identifier: Apache-2.0 */
/*
 * timers: a VM on the victim's CPU that sleeps in WFI with timers set to make kestrel wake it
 * for nothing, or as often as it can. Each wake-up that kestrel grants at once takes the CPU
 * from whatever runs there: the victim must keep its share.
 *
 * For timer-ms= milliseconds (default 6000), in three equal phases, it loops on WFI with its
 * virtual timer
 * 1. undeliverable: CNTV_CVAL_EL0 = 0 (long past), ENABLE set, IMASK clear, and PPI 27 disabled
 *    in its redistributor (its reset state), so the timer's interrupt can never be taken;
 * 2. wrapping: PPI 27 enabled, CNTV_CVAL_EL0 so near 2^64 that CVAL + CNTVOFF wraps past zero
 *    (the virtual count never reaches it: the timer never fires);
 * 3. short period: PPI 27 enabled, due again 50 us after each interrupt.
 * Its physical timer (PPI 30) ends each phase's sleep. Prints "HOSTILE: timers
 * undeliverable-wakes W1 wrapping-wakes W2 short-wakes W3 ticks T": the WFIs that returned in
 * each phase and the virtual timer interrupts taken. Phases 1 and 2 must see few wake-ups.
 */
#include "boot_info.h"
#include "check.h"
#include "gic.h"
#include "hostile.h"
#include "printf.h"
#include "runtime.h"
#include "sysreg.h"

#define CTL_ENABLE 1ul
#define SHORT_US   50

static volatile uint64_t vticks, pticks, other, period;

static void on_irq(unsigned intid)
{
	if (intid == GIC_PPI_VIRT_TIMER) {
		if (period) /* phase 3; before it, only phase 1's stale interrupt comes */
			write_sysreg(cntv_cval_el0, read_sysreg(cntvct_el0) + period);
		vticks = vticks + 1;
	} else if (intid == GIC_PPI_PHYS_TIMER) {
		write_sysreg(cntp_ctl_el0, 0); /* the phase is over */
		pticks = pticks + 1;
	} else {
		other = other + 1;
	}
	isb();
}

static inline void wfi(void)
{
	__asm__ __volatile__("dsb sy\n\twfi" : : : "memory");
}

/* WFI until end_ms (virtual time), woken at the end by the physical timer; the WFIs that
   returned. */
static uint64_t sleep_until(uint64_t end_ms)
{
	uint64_t wakes = 0, now = ms_now();

	if (now >= end_ms)
		return 0;
	write_sysreg(cntp_cval_el0,
		     read_sysreg(cntpct_el0) + (end_ms - now) * (counter_freq() / 1000));
	write_sysreg(cntp_ctl_el0, CTL_ENABLE);
	isb();
	while (ms_now() < end_ms) {
		wfi();
		wakes++;
	}
	write_sysreg(cntp_ctl_el0, 0);
	isb();
	return wakes;
}

int main(const void *dtb)
{
	uint64_t timer_ms = bootarg("timer-ms", 6000), phase = timer_ms / 3, wakes[3];
	uint64_t start, offset;
	(void)dtb;

	if (!check(gic_dist_init() && gic_cpu_init(), "GIC distributor and redistributor up"))
		test_finish();
	gic_set_irq_hook(on_irq);
	gic_enable(GIC_PPI_PHYS_TIMER);
	irq_unmask();
	start = ms_now();

	/* 1: due since the counter started, and its interrupt disabled */
	gic_disable(GIC_PPI_VIRT_TIMER);
	write_sysreg(cntv_cval_el0, 0);
	write_sysreg(cntv_ctl_el0, CTL_ENABLE);
	isb();
	wakes[0] = sleep_until(start + phase);

	/* 2: CNTVOFF is the physical count less the virtual one; a CVAL above 2^64 - CNTVOFF
	   is never reached, but as a physical deadline it wraps into the past. Enabling the
	   interrupt may deliver phase 1's, left pending: once. */
	offset = read_sysreg(cntpct_el0) - read_sysreg(cntvct_el0);
	write_sysreg(cntv_ctl_el0, 0);
	write_sysreg(cntv_cval_el0, ~0ull - offset / 2);
	write_sysreg(cntv_ctl_el0, CTL_ENABLE);
	isb();
	gic_enable(GIC_PPI_VIRT_TIMER);
	wakes[1] = sleep_until(start + 2 * phase);
	uint64_t wrapped_ticks = vticks;

	/* 3: due again 50 us after each interrupt */
	period = counter_freq() / 1000000 * SHORT_US;
	write_sysreg(cntv_cval_el0, read_sysreg(cntvct_el0) + period);
	isb();
	wakes[2] = sleep_until(start + 3 * phase);
	write_sysreg(cntv_ctl_el0, 0);
	isb();
	irq_mask();

	printf("HOSTILE: timers undeliverable-wakes %lu wrapping-wakes %lu short-wakes %lu ticks "
	       "%lu\n",
	       wakes[0], wakes[1], wakes[2], vticks);
	check(offset > 0, "CNTVOFF is not zero (0x%lx): phase 2's CVAL wraps", offset);
	/* WFI may return for nothing, but kestrel waking it for a timer that cannot fire (or
	   cannot be taken) costs its neighbour a world switch each time: 21152 and 25255 wakes
	   in 2 s each before kestrel looked at whether the interrupt could be delivered */
	check(wakes[0] <= phase / 10, "undeliverable timer: %lu wakes in %lu ms", wakes[0], phase);
	check(wakes[1] <= phase / 10, "wrapping deadline: %lu wakes in %lu ms", wakes[1], phase);
	check(wrapped_ticks <= 1, "a CVAL beyond the counter's reach never fired: %lu",
	      wrapped_ticks);
	check(vticks > 0, "the short-period timer fired: %lu", vticks);
	check(pticks >= 2, "phases 1 and 2 ended with the physical timer: %lu", pticks);
	check(other == 0, "no other interrupt: %lu", other);
	test_finish();
}
