/* SPDX-License-Identifier: Apache-2.0 */
/*
 * wfi: the EL1 virtual timer and its interrupt. The counter starts near 0 with the VM. With
 * the timer's PPI 27 enabled in the GIC, a WFI with the timer armed returns once its deadline
 * has passed even with IRQs masked in PSTATE (a pending, enabled interrupt wakes WFI whatever
 * PSTATE.I says); unmasking IRQs then takes the interrupt, once.
 *
 * With "timer=phys" in bootargs the same with the EL1 physical timer (CNTP, PPI 30), its
 * deadline in the physical count (CNTPCT_EL0).
 *
 * With bootargs "icount" (the machine runs with -icount shift=0: ./kestrel run --icount) the
 * counter must advance by exactly the instructions executed; a loop of a known length checks
 * it. With bootargs "forever" it waits for an interrupt that never comes instead, so that a
 * test can see a run end on its timeout.
 */
#include "boot_info.h"
#include "check.h"
#include "gic.h"
#include "printf.h"
#include "runtime.h"
#include "sysreg.h"

#define CNT_CTL_ENABLE	(1ul << 0)
#define CNT_CTL_IMASK	(1ul << 1)
#define CNT_CTL_ISTATUS (1ul << 2)

static volatile unsigned timer_irqs;
static volatile unsigned last_intid = GIC_INTID_SPURIOUS;
static bool phys; /* the EL1 physical timer instead of the virtual one */
static unsigned timer_ppi = GIC_PPI_VIRT_TIMER;

/* The chosen timer's registers (the register name is part of the instruction). */
static void timer_set(uint64_t cval, uint64_t ctl)
{
	if (phys) {
		write_sysreg(cntp_cval_el0, cval);
		write_sysreg(cntp_ctl_el0, ctl);
	} else {
		write_sysreg(cntv_cval_el0, cval);
		write_sysreg(cntv_ctl_el0, ctl);
	}
	isb();
}

static uint64_t timer_ctl(void)
{
	return phys ? read_sysreg(cntp_ctl_el0) : read_sysreg(cntv_ctl_el0);
}

static void timer_off(void)
{
	if (phys)
		write_sysreg(cntp_ctl_el0, 0);
	else
		write_sysreg(cntv_ctl_el0, 0);
	isb();
}

/* The count the timer compares with: CNTPCT_EL0 or CNTVCT_EL0. */
static uint64_t timer_count(void)
{
	isb();
	return phys ? read_sysreg(cntpct_el0) : read_sysreg(cntvct_el0);
}

/* The timer's output is a level: turning the timer off is what stops it interrupting. */
static void timer_hook(unsigned intid)
{
	if (intid == timer_ppi)
		timer_off();
	last_intid = intid;
	timer_irqs = timer_irqs + 1;
}

#define ICOUNT_LOOPS	  10000
#define ICOUNT_INSTRS	  (2 * ICOUNT_LOOPS + 2) /* the loop, then isb and mrs */
#define ICOUNT_SLACK	  16
#define ICOUNT_NS_PER_SEC 1000000000ul
#define ICOUNT_ATTEMPTS	  3

/* Counter ticks across exactly ICOUNT_INSTRS instructions: a 2-instruction loop, then the read. */
static uint64_t counted_loop(void)
{
	uint64_t n = ICOUNT_LOOPS, before, after;

	__asm__ __volatile__("isb\n\t"
			     "mrs %0, cntvct_el0\n"
			     "1:\tsubs %2, %2, #1\n\t"
			     "b.ne 1b\n\t"
			     "isb\n\t"
			     "mrs %1, cntvct_el0"
			     : "=&r"(before), "=&r"(after), "+r"(n)
			     :
			     : "cc", "memory");
	return after - before;
}

/*
 * shift=0: one instruction is 1 ns of virtual time, so ICOUNT_INSTRS instructions are that
 * many ticks at 1 GHz (QEMU's CNTFRQ_EL0). The fewest ticks of a few attempts: an interrupt
 * taken in the middle of one (kestrel's own instructions count too) only makes it longer.
 */
static void check_icount(uint64_t freq)
{
	uint64_t expected = ICOUNT_INSTRS * (freq / 1000000) / (ICOUNT_NS_PER_SEC / 1000000);
	uint64_t best = UINT64_MAX;

	for (unsigned i = 0; i < ICOUNT_ATTEMPTS; i++) {
		uint64_t ticks = counted_loop();
		best = ticks < best ? ticks : best;
	}
	check(best >= expected && best - expected <= ICOUNT_SLACK,
	      "%u iterations of a 2-instruction loop (%u instructions) advanced CNTVCT_EL0 by %lu "
	      "ticks (expected %lu at %lu Hz, slack %u)",
	      ICOUNT_LOOPS, ICOUNT_INSTRS, best, expected, freq, ICOUNT_SLACK);
}

/* Timer off, IRQs masked: no interrupt can end the WFI, and the VM never powers off. */
static void __attribute__((noreturn)) wait_forever(void)
{
	printf("wfi: waiting for ever, nothing will wake it\n");
	write_sysreg(cntv_ctl_el0, 0);
	irq_mask();
	for (;;)
		__asm__ __volatile__("dsb sy\n\twfi" : : : "memory");
}

static void delay_ticks(uint64_t ticks)
{
	uint64_t end = counter_now() + ticks;

	while (counter_now() < end)
		;
}

int main(const void *dtb)
{
	/* First thing, so that as little guest time as possible has passed. */
	uint64_t boot_count = counter_now();
	uint64_t freq = counter_freq();
	(void)dtb;

	phys = bootargs_has("timer=phys");
	timer_ppi = phys ? GIC_PPI_PHYS_TIMER : GIC_PPI_VIRT_TIMER;
	printf("CNTFRQ_EL0 = %lu Hz, CNTVCT_EL0 at main = %lu; the %s timer, PPI %u\n", freq,
	       boot_count, phys ? "EL1 physical" : "virtual", timer_ppi);
	if (bootargs_has("forever"))
		wait_forever();
	if (!check(freq != 0, "CNTFRQ_EL0 is set"))
		test_finish();
	check(boot_count < 10 * freq, "CNTVCT_EL0 at boot = %lu ms, under 10 s",
	      boot_count / (freq / 1000));
	if (bootargs_has("icount"))
		check_icount(freq);

	/* Without its PPI enabled in the GIC the timer could not wake the WFI below. */
	if (!check(gic_dist_init(), "GIC distributor enabled"))
		test_finish();
	bool cpu_ok = gic_cpu_init();
	if (!check(cpu_ok, "redistributor 0x%lx found and awake, CPU interface on", gic_redist()))
		test_finish();
	gic_set_irq_hook(timer_hook);
	gic_enable(timer_ppi);
	check(gic_is_enabled(timer_ppi), "PPI %u enabled in GICR_ISENABLER0", timer_ppi);

	irq_mask();					/* PSTATE.I masked */
	uint64_t deadline = timer_count() + freq / 100; /* 10 ms ahead */
	timer_set(deadline, CNT_CTL_ENABLE);		/* and CNT*_CTL_IMASK clear */
	__asm__ __volatile__("dsb sy\n\twfi" : : : "memory");
	uint64_t woke = timer_count();
	uint64_t ctl = timer_ctl();

	check(woke >= deadline, "WFI returned at or after the deadline (%ld ticks past it)",
	      (int64_t)(woke - deadline));
	check(woke - deadline < 5 * freq, "WFI returned within 5 s of the deadline");
	check(ctl & CNT_CTL_ISTATUS, "CNT%c_CTL_EL0 = 0x%lx: ISTATUS set", phys ? 'P' : 'V', ctl);
	check_eq("timer interrupts taken with PSTATE.I masked", timer_irqs, 0);
	check(gic_is_pending(timer_ppi), "PPI %u pending in GICR_ISPENDR0", timer_ppi);

	/* Take it: the hook turns the timer off, so it comes exactly once. */
	irq_unmask();
	uint64_t until = counter_now() + freq; /* at most 1 s */
	while (timer_irqs == 0 && counter_now() < until)
		;
	delay_ticks(freq / 100); /* room for a second one, which must not come */
	irq_mask();
	check_eq("timer interrupts taken after unmasking", timer_irqs, 1);
	check_eq("INTID the handler saw", last_intid, timer_ppi);
	check_eq("spurious IRQs", gic_spurious_count(), 0);
	check(!gic_is_pending(timer_ppi) && !gic_is_active(timer_ppi),
	      "PPI %u neither pending nor active after the handler's EOI", timer_ppi);

	timer_off();
	check_eq("CNT*_CTL_EL0 after disabling the timer", timer_ctl(), 0);
	test_finish();
}
