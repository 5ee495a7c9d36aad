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
 * With mode=N, only abuse N, for all of timer-ms=; with alternate-ms=A, only in the even A ms
 * windows of the physical count, resting through the odd ones (see victim.c). Its physical
 * timer (PPI 30) ends each sleep. Prints "HOSTILE: timers
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
		if (period) /* abuse 3; otherwise only a stale interrupt comes */
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

static uint64_t alt_ticks; /* alternate-ms=, in counter ticks; 0: abuse all the time */

static inline uint64_t pct(void)
{
	return read_sysreg(cntpct_el0);
}

/* Sets the virtual timer up for abuse m (1, 2, 3: the phases above). */
static void arm_abuse(unsigned m, uint64_t offset)
{
	write_sysreg(cntv_ctl_el0, 0);
	isb();
	period = 0;
	if (m == 1) {
		gic_disable(GIC_PPI_VIRT_TIMER);
		write_sysreg(cntv_cval_el0, 0);
	} else if (m == 2) {
		write_sysreg(cntv_cval_el0, ~0ull - offset / 2);
		gic_enable(GIC_PPI_VIRT_TIMER);
	} else {
		period = counter_freq() / 1000000 * SHORT_US;
		write_sysreg(cntv_cval_el0, read_sysreg(cntvct_el0) + period);
		gic_enable(GIC_PPI_VIRT_TIMER);
	}
	write_sysreg(cntv_ctl_el0, CTL_ENABLE);
	isb();
}

static void rest(void)
{
	period = 0;
	write_sysreg(cntv_ctl_el0, 0);
	isb();
}

/* WFI until the physical count reaches end, woken then by the physical timer; the WFIs that
   returned. */
static uint64_t sleep_to(uint64_t end)
{
	uint64_t wakes = 0;

	if (pct() >= end)
		return 0;
	write_sysreg(cntp_cval_el0, end);
	write_sysreg(cntp_ctl_el0, CTL_ENABLE);
	isb();
	while (pct() < end) {
		wfi();
		wakes++;
	}
	write_sysreg(cntp_ctl_el0, 0);
	isb();
	return wakes;
}

/* Abuse m until the physical count reaches end; with alternate-ms=, only in the even windows of
   the physical count, resting (no timer) through the odd ones, where the victim measures its
   rate alone. The WFIs that returned while it abused. */
static uint64_t abuse(unsigned m, uint64_t end, uint64_t offset)
{
	uint64_t wakes = 0;

	for (uint64_t now = pct(); now < end; now = pct()) {
		uint64_t until = end;
		if (alt_ticks) {
			uint64_t next = (now / alt_ticks + 1) * alt_ticks;
			until = next < end ? next : end;
			if ((now / alt_ticks) & 1) {
				rest();
				sleep_to(until);
				continue;
			}
		}
		arm_abuse(m, offset);
		wakes += sleep_to(until);
	}
	rest();
	return wakes;
}

int main(const void *dtb)
{
	uint64_t timer_ms = bootarg("timer-ms", 6000), only = bootarg("mode", 0);
	uint64_t phase = only ? timer_ms : timer_ms / 3, wakes[3] = {0, 0, 0}, wrapped_ticks = 0;
	uint64_t offset, tpms = counter_freq() / 1000;
	(void)dtb;

	if (!check(gic_dist_init() && gic_cpu_init(), "GIC distributor and redistributor up"))
		test_finish();
	gic_set_irq_hook(on_irq);
	gic_enable(GIC_PPI_PHYS_TIMER);
	alt_ticks = bootarg("alternate-ms", 0) * tpms;
	irq_unmask();
	/* CNTVOFF is the physical count less the virtual one: a CVAL above 2^64 - CNTVOFF is
	   never reached, but as a physical deadline it wraps into the past. */
	offset = pct() - read_sysreg(cntvct_el0);

	for (unsigned m = 1; m <= 3; m++) {
		uint64_t before = vticks;
		if (only && m != only)
			continue;
		wakes[m - 1] = abuse(m, pct() + phase * tpms, offset);
		/* after phase 1, enabling the interrupt may deliver its stale one: once */
		if (m == 2)
			wrapped_ticks = vticks - before;
	}
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
	if (!only || only == 3)
		check(vticks > 0, "the short-period timer fired: %lu", vticks);
	check(pticks > 0, "the physical timer ended its sleeps: %lu", pticks);
	check(other == 0, "no other interrupt: %lu", other);
	test_finish();
}
