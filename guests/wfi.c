/*
 * wfi: the EL1 virtual timer and its interrupt. The counter starts near 0 with the VM. With
 * the timer's PPI 27 enabled in the GIC, a WFI with the timer armed returns once its deadline
 * has passed even with IRQs masked in PSTATE (a pending, enabled interrupt wakes WFI whatever
 * PSTATE.I says); unmasking IRQs then takes the interrupt, once.
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

#define CNTV_CTL_ENABLE	 (1ul << 0)
#define CNTV_CTL_IMASK	 (1ul << 1)
#define CNTV_CTL_ISTATUS (1ul << 2)

static volatile unsigned timer_irqs;
static volatile unsigned last_intid = GIC_INTID_SPURIOUS;

/* The timer's output is a level: turning the timer off is what stops it interrupting. */
static void timer_hook(unsigned intid)
{
	if (intid == GIC_PPI_VIRT_TIMER) {
		write_sysreg(cntv_ctl_el0, 0);
		isb();
	}
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

static bool same(const char *a, const char *b)
{
	while (*a && *a == *b)
		a++, b++;
	return *a == *b;
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

	printf("CNTFRQ_EL0 = %lu Hz, CNTVCT_EL0 at main = %lu\n", freq, boot_count);
	if (same(boot_info.bootargs, "forever"))
		wait_forever();
	if (!check(freq != 0, "CNTFRQ_EL0 is set"))
		test_finish();
	check(boot_count < 10 * freq, "CNTVCT_EL0 at boot = %lu ms, under 10 s",
	      boot_count / (freq / 1000));
	if (same(boot_info.bootargs, "icount"))
		check_icount(freq);

	/* Without PPI 27 enabled in the GIC the timer could not wake the WFI below. */
	if (!check(gic_dist_init(), "GIC distributor enabled"))
		test_finish();
	bool cpu_ok = gic_cpu_init();
	if (!check(cpu_ok, "redistributor 0x%lx found and awake, CPU interface on", gic_redist()))
		test_finish();
	gic_set_irq_hook(timer_hook);
	gic_enable(GIC_PPI_VIRT_TIMER);
	check(gic_is_enabled(GIC_PPI_VIRT_TIMER), "PPI 27 enabled in GICR_ISENABLER0");

	irq_mask();					/* PSTATE.I masked */
	uint64_t deadline = counter_now() + freq / 100; /* 10 ms ahead */
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
	check_eq("timer interrupts taken with PSTATE.I masked", timer_irqs, 0);
	check(gic_is_pending(GIC_PPI_VIRT_TIMER), "PPI 27 pending in GICR_ISPENDR0");

	/* Take it: the hook turns the timer off, so it comes exactly once. */
	irq_unmask();
	uint64_t until = counter_now() + freq; /* at most 1 s */
	while (timer_irqs == 0 && counter_now() < until)
		;
	delay_ticks(freq / 100); /* room for a second one, which must not come */
	irq_mask();
	check_eq("timer interrupts taken after unmasking", timer_irqs, 1);
	check_eq("INTID the handler saw", last_intid, GIC_PPI_VIRT_TIMER);
	check_eq("spurious IRQs", gic_spurious_count(), 0);
	check(!gic_is_pending(GIC_PPI_VIRT_TIMER) && !gic_is_active(GIC_PPI_VIRT_TIMER),
	      "PPI 27 neither pending nor active after the handler's EOI");

	write_sysreg(cntv_ctl_el0, 0);
	isb();
	check_eq("CNTV_CTL_EL0 after disabling the timer", read_sysreg(cntv_ctl_el0), 0);
	test_finish();
}
