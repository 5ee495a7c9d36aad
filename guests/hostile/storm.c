/* SPDX-License-Identifier: Apache-2.0 */
/*
 * storm: a VM that floods itself with interrupts, to see that whatever shares a physical CPU
 * with it (or runs on the other one) keeps its CPU time and its own interrupts.
 *
 * For storm-ms= milliseconds (default 6000), in three equal phases:
 * 1. SGIs as fast as it can write ICC_SGI1R_EL1 (each write is an exit): mostly to itself,
 *    every SGI number, and now and then to affinities and target lists that are no vCPU of
 *    its own, and to "all but self" (it has no other vCPU) - none of which may reach anyone.
 * 2. Its virtual timer with CNTV_CVAL_EL0 = now, re-armed to "now" in the handler, so that
 *    the timer interrupt is due again the moment it is acknowledged.
 * 3. Both at once.
 * The main loop may never get to run between two timer interrupts: the handler ends the timer
 * storm itself when its phase is over, and in phase 3 sends an SGI to itself each time.
 *
 * Prints "HOSTILE: storm sgis S timer T": the SGIs and timer interrupts it took. With
 * alternate-ms=A, it storms only while the physical count is in an even window of A ms and
 * sleeps in WFI through the odd ones, in which the victim measures its rate alone (with
 * kick-ms=, vCPU 1 sleeps and vCPU 0 only computes then).
 *
 * With kick-ms=N and two vCPUs it storms another way for N ms instead: vCPU 1 (placed on the
 * victim's CPU) only computes, and vCPU 0 sends it SGIs as fast as it can, each one asking
 * kestrel to give vCPU 1 its CPU. That must not take the victim's share of the CPU: a woken
 * vCPU waits for the running one's slice to end. Prints "HOSTILE: kicks K taken T". With
 * busy-ms=M, vCPU 0 then computes until M ms after it started: the victim's time alone is then
 * measured with the other CPU as busy as during the attack (QEMU's CPUs are threads of a host
 * that may have fewer cores free than the machine has CPUs).
 */
#include "boot_info.h"
#include "check.h"
#include "gic.h"
#include "hostile.h"
#include "printf.h"
#include "runtime.h"
#include "smccc.h"
#include "sysreg.h"

#define CNTV_ENABLE 1ul

static volatile uint64_t sgis_taken, timer_taken, other_taken, timer_end_ms, quiet_wakes;
static volatile bool timer_storm, sgis_too;
static volatile uint64_t sgis_sent;
static uint64_t alt_ticks; /* alternate-ms=, in counter ticks; 0: storm all the time */

/* With alternate-ms=, the odd windows of the physical count are quiet: the victim runs alone
   and compares its rate then with its rate in the even ones (guests/hostile/victim.c). */
static bool quiet_window(void)
{
	return alt_ticks && ((read_sysreg(cntpct_el0) / alt_ticks) & 1);
}

static void on_irq(unsigned intid)
{
	if (intid < GIC_NR_SGIS) {
		sgis_taken = sgis_taken + 1;
	} else if (intid == GIC_PPI_VIRT_TIMER) {
		timer_taken = timer_taken + 1;
		if (timer_storm && ms_now() < timer_end_ms && quiet_window()) {
			write_sysreg(cntv_ctl_el0, 0); /* quiet() starts it again */
		} else if (timer_storm && ms_now() < timer_end_ms) {
			write_sysreg(cntv_cval_el0,
				     read_sysreg(cntvct_el0)); /* due at once again */
			if (sgis_too) { /* the main loop may never run: send from here too */
				gic_send_sgi(intid % GIC_NR_SGIS,
					     read_sysreg(mpidr_el1) & MPIDR_AFFINITY_MASK);
				sgis_sent = sgis_sent + 1;
			}
		} else {
			timer_storm = false;
			write_sysreg(cntv_ctl_el0, 0);
		}
		isb();
	} else if (intid == GIC_PPI_PHYS_TIMER && alt_ticks) {
		write_sysreg(cntp_ctl_el0, 0); /* the end of a quiet window */
		isb();
		quiet_wakes = quiet_wakes + 1;
	} else {
		other_taken = other_taken + 1;
	}
}

/* In a quiet window: sleeps in WFI to its end, the timer storm (if on) stopped meanwhile. */
static void quiet(void)
{
	if (!quiet_window())
		return;
	uint64_t next = (read_sysreg(cntpct_el0) / alt_ticks + 1) * alt_ticks;
	write_sysreg(cntv_ctl_el0, 0);
	write_sysreg(cntp_cval_el0, next);
	write_sysreg(cntp_ctl_el0, 1);
	isb();
	while (read_sysreg(cntpct_el0) < next)
		__asm__ __volatile__("dsb sy\n\twfi" : : : "memory");
	write_sysreg(cntp_ctl_el0, 0);
	if (timer_storm) {
		write_sysreg(cntv_cval_el0, read_sysreg(cntvct_el0));
		write_sysreg(cntv_ctl_el0, CNTV_ENABLE);
	}
	isb();
}

static void send_sgis(struct rng *rng, unsigned n)
{
	uint64_t self = read_sysreg(mpidr_el1) & MPIDR_AFFINITY_MASK;

	for (unsigned i = 0; i < n; i++) {
		unsigned sgi = (unsigned)rng_below(rng, GIC_NR_SGIS);
		switch (rng_below(rng, 16)) {
		case 0: /* "all but self": nobody here */
			gic_send_sgi_others(sgi);
			break;
		case 1: /* a vCPU it does not have, or an affinity that is nobody's */
			/* Aff0 0 (itself) left out of the target list. */
			gic_send_sgi_list(sgi, (self + 1) | (rng_next(rng) & 0xff00ff0000ull),
					  (uint16_t)(rng_next(rng) & ~1ull));
			break;
		case 2: /* the raw register, every field random but the target list */
			write_sysreg(ICC_SGI1R_EL1, rng_next(rng) & ~0xffffull & ~(1ull << 40));
			break;
		default:
			gic_send_sgi(sgi, self);
			sgis_sent = sgis_sent + 1;
			break;
		}
	}
}

static volatile bool kicking_done;

/* vCPU 1: computes, taking the SGIs, until vCPU 0 is done. */
void secondary_main(uint64_t context)
{
	(void)context;
	if (!gic_cpu_init())
		return;
	gic_set_irq_hook(on_irq);
	gic_enable(1);
	if (alt_ticks)
		gic_enable(GIC_PPI_PHYS_TIMER);
	irq_unmask();
	while (!kicking_done)
		quiet();
	irq_mask();
	psci_cpu_off();
}

static void kick_storm(uint64_t kick_ms, uint64_t busy_ms)
{
	uint64_t vcpu1 = boot_info.cpu_mpidr[1], start, kicks = 0;

	if (!check(boot_info.num_cpus >= 2, "a second vCPU to kick") ||
	    !check(psci_cpu_on(vcpu1, entry_ipa(secondary_entry), 1) == PSCI_SUCCESS,
		   "CPU_ON of vCPU 1"))
		test_finish();
	start = ms_now();
	while (ms_now() - start < kick_ms) {
		if (quiet_window())
			continue; /* vCPU 1 sleeps: the victim has its CPU alone */
		gic_send_sgi_list(1, vcpu1 & ~0xffull, (uint16_t)(1u << (vcpu1 & 0xf)));
		kicks++;
	}
	kicking_done = true;
	dsb_sy();
	while (ms_now() - start < busy_ms)
		;
	printf("HOSTILE: kicks %lu taken %lu\n", kicks, sgis_taken);
	check(kicks > 0 && sgis_taken > 0, "it kicked: %lu SGIs sent, %lu taken", kicks,
	      sgis_taken);
	test_finish();
}

static void start_timer_storm(uint64_t end_ms)
{
	timer_end_ms = end_ms;
	timer_storm = true;
	write_sysreg(cntv_cval_el0, read_sysreg(cntvct_el0));
	write_sysreg(cntv_ctl_el0, CNTV_ENABLE);
	isb();
}

int main(const void *dtb)
{
	uint64_t storm_ms = bootarg("storm-ms", 6000), phase = storm_ms / 3;
	uint64_t kick_ms = bootarg("kick-ms", 0);
	struct rng rng = {mix64(bootarg("seed", 11) ^ read_sysreg(cntvct_el0))};
	(void)dtb;

	if (!check(gic_dist_init() && gic_cpu_init(), "GIC distributor and redistributor up"))
		test_finish();
	gic_set_irq_hook(on_irq);
	for (unsigned sgi = 0; sgi < GIC_NR_SGIS; sgi++)
		gic_enable(sgi);
	gic_enable(GIC_PPI_VIRT_TIMER);
	alt_ticks = bootarg("alternate-ms", 0) * (counter_freq() / 1000);
	if (alt_ticks)
		gic_enable(GIC_PPI_PHYS_TIMER);
	irq_unmask();
	if (kick_ms)
		kick_storm(kick_ms, bootarg("busy-ms", 0));

	uint64_t start = ms_now();
	while (ms_now() - start < phase) {
		quiet();
		send_sgis(&rng, 64);
	}
	uint64_t sgis_alone = sgis_taken;
	printf("storm: phase 1: %lu SGIs sent to itself, %lu taken\n", sgis_sent, sgis_alone);

	start_timer_storm(start + 2 * phase);
	while (ms_now() - start < 2 * phase)
		quiet();
	uint64_t timer_alone = timer_taken;
	printf("storm: phase 2: %lu timer interrupts\n", timer_alone);

	sgis_too = true;
	start_timer_storm(start + 3 * phase);
	while (ms_now() - start < 3 * phase) {
		quiet();
		send_sgis(&rng, 64);
	}
	timer_storm = false;
	irq_mask();
	write_sysreg(cntv_ctl_el0, 0);
	isb();
	printf("storm: phase 3: %lu SGIs, %lu timer interrupts\n", sgis_taken - sgis_alone,
	       timer_taken - timer_alone);

	printf("HOSTILE: storm sgis %lu timer %lu\n", sgis_taken, timer_taken);
	check(sgis_taken > 0 && timer_taken > 0, "it stormed: %lu SGIs, %lu timer interrupts",
	      sgis_taken, timer_taken);
	check(sgis_taken <= sgis_sent, "no SGI came that it did not send itself (%lu sent)",
	      sgis_sent);
	check(other_taken == 0, "no other interrupt: %lu", other_taken);
	test_finish();
}
