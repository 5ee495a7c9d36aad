/* SPDX-License-Identifier: Apache-2.0 */
/*
 * benchguest: what a trip through kestrel costs, in instructions.
 *
 * Run it with `./kestrel run --icount --vcpus 2` (`make bench` does): QEMU's -icount
 * shift=0,sleep=off makes the counter advance by exactly one per instruction executed, at any
 * exception level, so a difference of two CNTVCT_EL0 reads is an instruction count and the
 * same on every run. Both vCPUs read the same virtual counter (CNTVOFF_EL2 is per VM).
 *
 * Each result is one console line
 *
 *	BENCH <name> <instructions per round trip> <rounds>
 *
 * and the last one is "BENCH done"; then the VM powers off with PSCI SYSTEM_OFF. A
 * measurement that cannot be made prints "BENCH-ERROR <name>: <why>" instead.
 *
 * The first line, boot_to_guest, is the physical counter (CNTPCT_EL0, not offset per VM) as
 * main() starts: kestrel's boot and the building of this VM, in instructions.
 *
 * Three kinds of measurement in the usual configuration:
 *  - exits (bench_asm.S): a loop of N trapping instructions, minus the same loop with an empty
 *    body, divided by N;
 *  - virtual IPI: vCPU 0 reads the counter and writes ICC_SGI1R_EL1; vCPU 1, waiting in WFI
 *    (or spinning) with IRQs unmasked, reads the counter in its IRQ vector; the difference,
 *    averaged over N round trips;
 *  - virtual timer: CNTV_CVAL_EL0 is set a little ahead, the IRQ vector reads the counter; the
 *    latency is that reading minus CVAL, while the vCPU spins or waits in WFI.
 *
 * New exit measurements are rows of the table in main(). One that needs another configuration
 * is a mode of this guest, chosen by a word of its bootargs, that bench/run.py boots in that
 * configuration: the world switch ("switch-sleeper" and "switch-spinner", two VMs on one
 * physical CPU, bench/world-switch.dts) is one; see docs/benchmarks.md.
 */
#include <stdbool.h>
#include <stdint.h>
#include "boot_info.h"
#include "gic.h"
#include "mmio.h"
#include "pl011.h"
#include "printf.h"
#include "runtime.h"
#include "smccc.h"
#include "sysreg.h"
#include "virtio_mmio.h"

/* Rounds per measurement; bootargs "trace" (bench/breakdown.py) makes them few. */
static unsigned exit_rounds = 5000, ipi_rounds = 2000, timer_rounds = 1000, warmup = 16;

#define SGI_BENCH 1
#define VCPU1	  1
/*
 * Ticks from arming the timer to its deadline. In WFI the deadline must come after kestrel has
 * put the vCPU to sleep and is itself waiting, or the rest of that way would be counted too:
 * going idle takes kestrel a few hundred instructions today (bench/breakdown.py shows them);
 * the margin is wide because it once took ten thousand.
 */
#define TIMER_AHEAD_BUSY 4000
#define TIMER_AHEAD_WFI	 50000
#define WAIT_SECONDS	 5
#define CNTV_CTL_ENABLE	 1ul

/* ---- the timed loops and the IRQ entry (bench_asm.S) ---- */

typedef uint64_t loop_fn(uint64_t rounds, uint64_t arg);
loop_fn bench_loop_empty, bench_loop_smccc_version, bench_loop_psci_version, bench_loop_mmio_read32,
    bench_loop_mmio_write32, bench_loop_read_id_aa64pfr0, bench_loop_read_actlr,
    bench_loop_write_mdscr;
uint64_t bench_send_sgi(uint64_t sgi1r);
uint64_t bench_switch_spin(uint64_t threshold, uint64_t limit);
void bench_switch_sleep(uint64_t rounds, uint64_t ahead);
void bench_irq(uint64_t stamp);
extern char bench_vectors[];

/*
 * Under -icount QEMU runs its CPUs one at a time on one host thread, and switches to the next
 * only when the running one halts (kestrel waiting in WFI), executes YIELD, or has used up its
 * share of time (tens of milliseconds of virtual time). A vCPU that waits for the other one
 * therefore executes YIELD, a hint kestrel does not trap, so that the other runs at once; an
 * interrupt sent to the other CPU is taken when it next runs. A waiting vCPU that is in WFI
 * executes nothing, so the counter then counts only the measured vCPU's instructions.
 */
static inline void yield(void)
{
	__asm__ __volatile__("yield" : : : "memory");
}

/* ---- state shared by the two vCPUs (the MMU is off: every access is a Device access) ---- */

static volatile uint64_t timer_stamp, ipi_stamp;
static volatile uint32_t timer_irqs, ipi_irqs, other_irqs, virtio_irqs;

#define VIRTIO_INTID (32 + VIRTIO_SPI) /* slot 0's SPI */

#define VCPU1_WAIT 0 /* vCPU 1 waits for interrupts in WFI */
#define VCPU1_SPIN 1 /* vCPU 1 spins with IRQs unmasked */
static volatile uint32_t vcpu1_mode = VCPU1_WAIT;
static volatile uint32_t vcpu1_mode_seen = VCPU1_WAIT;
static volatile uint32_t vcpu1_ready;

/* Called from the IRQ vector on either vCPU with the counter read on entry. */
void bench_irq(uint64_t stamp)
{
	unsigned intid = gic_ack();

	if (intid == GIC_PPI_VIRT_TIMER) {
		/* The timer's output is a level: turning it off is what lowers it. */
		write_sysreg(cntv_ctl_el0, 0);
		isb();
		timer_stamp = stamp;
		timer_irqs = timer_irqs + 1;
	} else if (intid == SGI_BENCH) {
		ipi_stamp = stamp;
		ipi_irqs = ipi_irqs + 1;
	} else if (intid == VIRTIO_INTID) {
		/* what a virtio driver's handler does: read the cause, acknowledge it */
		uint32_t why = mmio_read32(SLOT(0) + R_INT_STATUS);
		mmio_write32(SLOT(0) + R_INT_ACK, why);
		virtio_irqs = virtio_irqs + 1;
	} else if (intid < 1020) {
		other_irqs = other_irqs + 1;
	} else {
		return; /* spurious: nothing to complete */
	}
	gic_eoi(intid);
}

/* ---- output ---- */

static void fail(const char *name, const char *why)
{
	printf("BENCH-ERROR %s: %s\n", name, why);
}

/* total / per with two decimals, or a whole number when it divides exactly. */
static void report_per(const char *name, uint64_t total, uint64_t per, uint64_t rounds)
{
	uint64_t whole = total / per, hundredths = (total % per) * 100 / per;

	if (total % per == 0)
		printf("BENCH %s %lu %lu\n", name, whole, rounds);
	else
		printf("BENCH %s %lu.%02lu %lu\n", name, whole, hundredths, rounds);
}

static void report(const char *name, uint64_t total, uint64_t rounds)
{
	report_per(name, total, rounds, rounds);
}

/* Latencies are exact too: a spread shows that something else ran in between. */
static void spread(const char *name, uint64_t lo, uint64_t hi)
{
	if (lo != hi)
		printf("note: %s varied from %lu to %lu\n", name, lo, hi);
}

/* ---- exits: trapping instruction in a loop, minus the empty loop ---- */

struct exit_bench {
	const char *name;
	loop_fn *loop;
	uint64_t arg;
};

static void run_exit_bench(const struct exit_bench *b)
{
	uint64_t empty, body;

	(void)b->loop(warmup, b->arg);
	(void)bench_loop_empty(warmup, 0);
	body = b->loop(exit_rounds, b->arg);
	empty = bench_loop_empty(exit_rounds, 0);
	if (body < empty) {
		fail(b->name, "faster than the empty loop: is the counter counting instructions?");
		return;
	}
	report(b->name, body - empty, exit_rounds);
}

/* ---- vCPU 1: the IPI target ---- */

void secondary_main(uint64_t context)
{
	(void)context;
	write_sysreg(vbar_el1, (uint64_t)(uintptr_t)bench_vectors);
	isb();
	if (!gic_cpu_init()) {
		vcpu1_ready = 2;
		psci_cpu_off();
	}
	gic_enable(SGI_BENCH);
	irq_unmask();
	dsb_sy();
	vcpu1_ready = 1;
	dsb_sy();
	for (;;) {
		/* Masked around the check and the WFI: an SGI in between keeps the WFI from
		   sleeping (it stays pending) and is taken when IRQs are unmasked again. */
		irq_mask();
		uint32_t mode = vcpu1_mode;
		vcpu1_mode_seen = mode;
		if (mode == VCPU1_WAIT)
			__asm__ __volatile__("dsb sy\n\twfi" : : : "memory");
		irq_unmask();
		if (mode != VCPU1_WAIT)
			yield(); /* spinning, but vCPU 0 runs on at once (see yield()) */
	}
}

static bool start_vcpu1(void)
{
	uint64_t deadline;

	if (boot_info.num_cpus < 2) {
		fail("virtual_ipi", "needs 2 vCPUs (--vcpus 2)");
		return false;
	}
	if (psci_cpu_on(boot_info.cpu_mpidr[VCPU1], entry_ipa(secondary_entry), VCPU1) !=
	    PSCI_SUCCESS) {
		fail("virtual_ipi", "PSCI CPU_ON of vCPU 1 failed");
		return false;
	}
	deadline = counter_now() + WAIT_SECONDS * counter_freq();
	while (vcpu1_ready == 0 && counter_now() < deadline)
		yield();
	if (vcpu1_ready != 1) {
		fail("virtual_ipi", "vCPU 1 did not set up its GIC");
		return false;
	}
	return true;
}

/* ICC_SGI1R_EL1 for one SGI to the vCPU with this MPIDR (Aff0 < 16, Aff3-1 as given). */
static uint64_t sgi1r_for(unsigned intid, uint64_t mpidr)
{
	return (field(mpidr, 32, 8) << 48) | (field(mpidr, 16, 8) << 32) | ((uint64_t)intid << 24) |
	       (field(mpidr, 8, 8) << 16) | (1ul << (mpidr & 0xf));
}

/*
 * Puts vCPU 1 back into WFI and waits until it has seen that: the measurements on vCPU 0
 * need its CPU to execute nothing (every CPU's instructions advance the same counter).
 */
static void vcpu1_wait(void)
{
	vcpu1_mode = VCPU1_WAIT;
	dsb_sy();
	while (vcpu1_mode_seen != VCPU1_WAIT)
		yield();
}

/*
 * Sum over the rounds of (vCPU 1's IRQ vector - the counter right before vCPU 0's SGI write).
 * bench_send_sgi yields right after the write, so what is counted is vCPU 0's whole SGI exit,
 * one YIELD, and vCPU 1's way from its CPU's physical interrupt into its vector: waking from
 * WFI in kestrel (VCPU1_WAIT), or leaving the guest it interrupted (VCPU1_SPIN).
 */
static void run_ipi_bench(const char *name, uint32_t mode)
{
	uint64_t sgi1r = sgi1r_for(SGI_BENCH, boot_info.cpu_mpidr[VCPU1]);
	uint64_t total = 0, lo = UINT64_MAX, hi = 0;

	/* vCPU 1 waits in WFI between measurements; the first (warm-up) SGI wakes it to spin. */
	vcpu1_mode = mode;
	dsb_sy();
	for (unsigned i = 0; i < warmup + ipi_rounds; i++) {
		uint32_t before = ipi_irqs;
		uint64_t sent = bench_send_sgi(sgi1r);
		uint64_t limit = sent + WAIT_SECONDS * counter_freq();

		while (ipi_irqs == before) {
			yield();
			if (counter_now() > limit) {
				fail(name, "vCPU 1 did not take the SGI");
				vcpu1_wait();
				return;
			}
		}
		if (i >= warmup) {
			uint64_t d = ipi_stamp - sent;
			total += d;
			lo = d < lo ? d : lo;
			hi = d > hi ? d : hi;
		}
	}
	vcpu1_wait();
	report(name, total, ipi_rounds);
	spread(name, lo, hi);
}

/* ---- virtual timer: handler entry - CVAL ---- */

static void run_timer_bench(const char *name, bool wfi)
{
	uint64_t total = 0, lo = UINT64_MAX, hi = 0;

	for (unsigned i = 0; i < warmup + timer_rounds; i++) {
		uint32_t before = timer_irqs;
		uint64_t cval = counter_now() + (wfi ? TIMER_AHEAD_WFI : TIMER_AHEAD_BUSY);
		uint64_t deadline = cval + WAIT_SECONDS * counter_freq();

		write_sysreg(cntv_cval_el0, cval);
		write_sysreg(cntv_ctl_el0, CNTV_CTL_ENABLE);
		isb();
		while (timer_irqs == before) {
			/* Masked so the interrupt cannot come between the check and the WFI. */
			irq_mask();
			if (wfi && timer_irqs == before)
				__asm__ __volatile__("dsb sy\n\twfi" : : : "memory");
			irq_unmask();
			if (counter_now() > deadline) {
				write_sysreg(cntv_ctl_el0, 0);
				fail(name, "the virtual timer interrupt never came");
				return;
			}
		}
		if (timer_stamp < cval) {
			fail(name, "the timer interrupt came before its deadline");
			return;
		}
		if (i >= warmup) {
			uint64_t d = timer_stamp - cval;
			total += d;
			lo = d < lo ? d : lo;
			hi = d > hi ? d : hi;
		}
	}
	report(name, total, timer_rounds);
	spread(name, lo, hi);
}

static bool has_word(const char *s, const char *word)
{
	for (; *s; s++) {
		unsigned n = 0;
		while (word[n] && s[n] == word[n])
			n++;
		if (!word[n] && (s[n] == ' ' || s[n] == '\0'))
			return true;
		while (*s && *s != ' ')
			s++;
		if (!*s)
			break;
	}
	return false;
}

/* ---- world switch: two VMs on one physical CPU (bench/world-switch.dts) ---- */

/*
 * The sleeper VM (bootargs "switch-sleeper") sets its virtual timer and waits in WFI, round
 * after round; the spinner VM ("switch-spinner"), pinned to the same physical CPU, reads the
 * physical counter in a loop. Each of the sleeper's rounds is one gap between two of the
 * spinner's reads, which contains
 *
 *  - the spinner's own loop (SWITCH_SPIN_LOOP);
 *  - a switch by preemption: at the end of the spinner's time slice (the sleeper, due before
 *    it, waits for it) kestrel's EL2 timer interrupts the spinner, and kestrel switches to the
 *    sleeper and delivers its timer interrupt, up to the sleeper's first instruction after its
 *    WFI;
 *  - the sleeper's own instructions up to its next WFI (SWITCH_SLEEPER_OWN);
 *  - a switch by blocking: from that WFI, which kestrel traps and blocks the sleeper on, to the
 *    spinner's next instruction.
 *
 * world_switch is the mean of the two switches, (gap - own instructions) / 2. The other physical
 * CPU has no vCPU and waits in WFI, so the counter counts these instructions only.
 */
#define SWITCH_ROUNDS	   200	 /* each one a slice of the spinner's (5 ms) */
#define SWITCH_AHEAD	   50000 /* the sleeper's timer: well beyond a round */
#define SWITCH_THRESHOLD   100	 /* above the spinner's own loop, far below a round */
#define SWITCH_SPIN_LOOP   8	 /* bench_switch_spin, isb to b.lo */
#define SWITCH_SLEEPER_OWN 11	 /* bench_switch_sleep, after the WFI to the next one */
#define SWITCH_EXTRA	   64	 /* sleeper rounds the spinner misses while both start */
#define SWITCH_SLICE_MAX   (counter_freq() / 100) /* a slice of kestrel's (5 ms), and more */
#define PMU_CPU_CYCLES	   0x11

static const char *switch_name = "world_switch";

/*
 * With the bootargs word "pmu" (bench/world-switch-pmu.dts), both VMs' PMUs count all along:
 * every event counter (CPU cycles) and the cycle counter, at EL0 and EL1. Each switch then
 * saves one live PMU and restores the other (kestrel/pmu.h): world_switch_pmu. The guests'
 * own instructions are the same.
 */
static void switch_pmu(void)
{
	unsigned n = (unsigned)field(read_sysreg(pmcr_el0), 11, 5);

	for (unsigned i = 0; i < n; i++) {
		write_sysreg(pmselr_el0, i);
		isb();
		write_sysreg(pmxevtyper_el0, PMU_CPU_CYCLES);
	}
	write_sysreg(pmccfiltr_el0, 0);
	write_sysreg(pmcntenset_el0, (1ul << 31) | ((1ul << n) - 1));
	write_sysreg(pmcr_el0, 1ul | (1ul << 6)); /* E, LC */
	isb();
	switch_name = "world_switch_pmu";
}

static void switch_gic(void)
{
	if (!gic_dist_init() || !gic_cpu_init()) {
		fail(switch_name, "the virtual GIC did not come up");
		psci_system_off();
	}
	gic_enable(GIC_PPI_VIRT_TIMER);
	irq_mask(); /* WFI still ends on the pending timer: bench_switch_sleep takes it itself */
	if (has_word(boot_info.bootargs, "pmu"))
		switch_pmu();
}

static void switch_sleeper(void)
{
	switch_gic();
	bench_switch_sleep(warmup + SWITCH_ROUNDS + SWITCH_EXTRA, SWITCH_AHEAD);
	printf("BENCH done\n");
	psci_system_off();
}

static void switch_spinner(void)
{
	uint64_t deadline = read_sysreg(cntpct_el0) + WAIT_SECONDS * counter_freq() +
			    (warmup + SWITCH_ROUNDS + SWITCH_EXTRA) * SWITCH_SLICE_MAX;
	uint64_t total = 0, lo = UINT64_MAX, hi = 0;

	switch_gic();
	for (unsigned i = 0; i < warmup + SWITCH_ROUNDS;) {
		uint64_t gap, limit;

		limit = read_sysreg(cntpct_el0) + 2 * SWITCH_AHEAD + SWITCH_SLICE_MAX;
		gap = bench_switch_spin(SWITCH_THRESHOLD, limit);
		if (limit > deadline) {
			fail(switch_name, "the sleeper VM does not run on this CPU");
			psci_system_off();
		}
		if (!gap)
			continue; /* the sleeper has not started yet */
		if (i++ < warmup)
			continue;
		total += gap;
		lo = gap < lo ? gap : lo;
		hi = gap > hi ? gap : hi;
	}
	if (lo == hi)
		printf("%s: a round is %lu instructions: the spinner's loop %u, the "
		       "sleeper's own %u and two switches\n",
		       switch_name, lo, SWITCH_SPIN_LOOP, SWITCH_SLEEPER_OWN);
	spread("world_switch round", lo, hi);
	report_per(switch_name, total - SWITCH_ROUNDS * (SWITCH_SPIN_LOOP + SWITCH_SLEEPER_OWN),
		   2 * SWITCH_ROUNDS, SWITCH_ROUNDS);
	printf("BENCH done\n");
	psci_system_off();
}

/*
 * For bench/breakdown.py, which records every instruction QEMU executes: a few rounds of each
 * measurement, and a start signal (any character on the console) so that the recording can
 * begin after the boot.
 */
/* ---- virtio: a virtio-net port alone on its switch (bootargs "virtio", --net) ---- */

/*
 * A notify is one exit whose work depends on the ring: virtio_notify_empty writes QueueNotify
 * with nothing posted (the floor: the exit, the transport, one read of the avail index);
 * virtio_net_tx posts one 60-byte frame (a header and the frame in one descriptor) and
 * notifies: kestrel takes the chain, reads the descriptor and the frame, hands the frame to the
 * switch (no other port: it goes nowhere), puts the chain on the used ring and decides about
 * the interrupt (suppressed here); _event_idx is the same with VIRTIO_F_EVENT_IDX negotiated.
 * virtio_used_irq is what a used-buffer interrupt adds to a notify that raises one: kestrel
 * raising it, the guest taking it, its handler's InterruptStatus read and InterruptACK write
 * (two exits), the acknowledge and EOI. Each is (rounds with the notify) - (the same rounds
 * with a plain store instead), per round.
 */
#define VNET_HDR  12
#define FRAME_LEN 60

static struct virtq vrings[2], vdummy;
static uint8_t vframe[VNET_HDR + FRAME_LEN] __attribute__((aligned(16)));
static volatile uint32_t vsink;

/* §3.1.1 with MAC (and EVENT_IDX); the transmit descriptor 0 holds the frame. */
static bool vstart(bool event_idx)
{
	uintptr_t base = SLOT(0);

	if (!virtio_negotiate(base, F_VERSION_1 | (1u << 5) | (event_idx ? F_EVENT_IDX : 0)))
		return false;
	for (unsigned q = 0; q < 2; q++)
		virtq_setup(base, q, &vrings[q], VIRTQ_N);
	for (unsigned i = 0; i < sizeof(vframe); i++)
		vframe[i] = 0;
	for (unsigned i = 0; i < 6; i++) { /* to an unknown MAC, from the port's own */
		vframe[VNET_HDR + i] = (uint8_t)(0x02 + i);
		vframe[VNET_HDR + 6 + i] = mmio_read8(base + R_CONFIG + i);
	}
	vrings[1].desc[0].addr = (uintptr_t)vframe;
	vrings[1].desc[0].len = sizeof(vframe);
	mmio_write32(base + R_STATUS, S_ACK | S_DRIVER | S_FEATURES_OK | S_DRIVER_OK);
	return mmio_read32(base + R_STATUS) == (S_ACK | S_DRIVER | S_FEATURES_OK | S_DRIVER_OK);
}

/* rounds of: post descriptor 0 on r's avail ring, then notify queue 1 (or a plain store). */
static __attribute__((noinline)) uint64_t vrounds(struct virtq *r, unsigned rounds, bool notify)
{
	volatile uint32_t *target =
	    notify ? (volatile uint32_t *)(SLOT(0) + R_NOTIFY) : (volatile uint32_t *)&vsink;
	volatile uint16_t *idx = &r->avail.idx, *ring = r->avail.ring;
	uint64_t t0, t1;

	isb();
	t0 = read_sysreg(cntvct_el0);
	for (unsigned i = 0; i < rounds; i++) {
		uint16_t n = *idx;
		ring[n % VIRTQ_N] = 0;
		__asm__ volatile("dmb sy" ::: "memory");
		*idx = (uint16_t)(n + 1);
		__asm__ volatile("dmb sy" ::: "memory");
		*target = 1;
	}
	isb();
	t1 = read_sysreg(cntvct_el0);
	return t1 - t0;
}

static void vmeasure(const char *name, unsigned rounds)
{
	uint64_t with, without;

	(void)vrounds(&vrings[1], warmup, true);
	with = vrounds(&vrings[1], rounds, true);
	without = vrounds(&vdummy, rounds, false);
	if (with < without)
		fail(name, "faster than without the notify");
	else
		report(name, with - without, rounds);
}

static uint64_t vnotify_empty(void)
{
	uint64_t empty, body;

	empty = bench_loop_empty(exit_rounds, 0);
	body = bench_loop_mmio_write32(exit_rounds, SLOT(0) + R_NOTIFY);
	return body > empty ? body - empty : 0;
}

static void virtio_mode(void)
{
	uint64_t base_tx, irq_tx;
	unsigned rounds = exit_rounds / 5;

	if (mmio_read32(SLOT(0) + R_DEVICE_ID) != 1) {
		fail("virtio", "no virtio-net device in slot 0 (run with --net)");
		return;
	}
	/* no interrupts wanted: NO_INTERRUPT, or with EVENT_IDX a used_event far ahead */
	if (!vstart(false)) {
		fail("virtio", "the device did not start");
		return;
	}
	vrings[1].avail.flags = 1;
	report("virtio_notify_empty", vnotify_empty(), exit_rounds);
	vmeasure("virtio_net_tx", rounds);
	if (!vstart(true)) {
		fail("virtio", "the device did not start with EVENT_IDX");
		return;
	}
	vrings[1].avail.used_event = 0x8000;
	vmeasure("virtio_net_tx_event_idx", rounds);

	/* an interrupt for every chain: the IRQ is taken as the notify returns */
	if (!vstart(false)) {
		fail("virtio", "the device did not start again");
		return;
	}
	vrings[1].avail.flags = 1;
	(void)vrounds(&vrings[1], warmup, true);
	base_tx = vrounds(&vrings[1], rounds, true);
	vrings[1].avail.flags = 0;
	gic_set_edge(VIRTIO_INTID, true);
	gic_enable(VIRTIO_INTID);
	(void)vrounds(&vrings[1], warmup, true);
	virtio_irqs = 0;
	irq_tx = vrounds(&vrings[1], rounds, true);
	gic_disable(VIRTIO_INTID);
	if (virtio_irqs != rounds)
		printf("BENCH-ERROR virtio_used_irq: %u interrupts for %u chains\n", virtio_irqs,
		       rounds);
	else if (irq_tx < base_tx)
		fail("virtio_used_irq", "cheaper than without the interrupt");
	else
		report("virtio_used_irq", irq_tx - base_tx, rounds);
	mmio_write32(SLOT(0) + R_STATUS, 0);
}

static void trace_mode(void)
{
	exit_rounds = ipi_rounds = timer_rounds = 4;
	warmup = 2;
	printf("BENCH-TRACE ready: send a character to start\n");
	while (mmio_read32(boot_info.uart_base + PL011_FR) & PL011_FR_RXFE)
		;
	(void)mmio_read32(boot_info.uart_base + PL011_DR);
}

int main(const void *dtb)
{
	/* First: the physical counter (not offset per VM) has counted kestrel's boot and the
	   building of this VM, with -icount in instructions. */
	uint64_t booted = read_sysreg(cntpct_el0);
	const struct exit_bench exits[] = {
	    {"null_hypercall", bench_loop_smccc_version, 0},
	    {"psci_version", bench_loop_psci_version, 0},
	    {"sysreg_read_id", bench_loop_read_id_aa64pfr0, 0},
	    {"sysreg_read_actlr", bench_loop_read_actlr, 0},
	    {"sysreg_write_mdscr", bench_loop_write_mdscr, 0},
	    {"mmio_read_uart", bench_loop_mmio_read32, boot_info.uart_base + PL011_FR},
	    {"mmio_read_gicd", bench_loop_mmio_read32, GICD_BASE + GICD_TYPER},
	};
	uint64_t freq = counter_freq();
	bool ipi;

	(void)dtb;
	printf("kestrel benchmark guest: %u vCPU(s), %lu MiB, counter at %lu Hz\n",
	       boot_info.num_cpus, boot_info.mem_size >> 20, freq);
	printf("BENCH boot_to_guest %lu 1\n", booted);
	if (has_word(boot_info.bootargs, "trace"))
		trace_mode();
	if (has_word(boot_info.bootargs, "switch-sleeper"))
		switch_sleeper();
	if (has_word(boot_info.bootargs, "switch-spinner"))
		switch_spinner();
	if (freq != 1000000000ul)
		printf("note: CNTFRQ_EL0 is not 1 GHz; with --icount the counter still counts "
		       "instructions only if it advances once per nanosecond of virtual time\n");

	/* An operating system's view: distributor and this vCPU's interface on, timer PPI on. */
	write_sysreg(vbar_el1, (uint64_t)(uintptr_t)bench_vectors);
	isb();
	if (!gic_dist_init() || !gic_cpu_init()) {
		fail("gic", "the virtual GIC did not come up");
		psci_system_off();
	}
	gic_enable(GIC_PPI_VIRT_TIMER);
	irq_unmask();
	if (has_word(boot_info.bootargs, "virtio")) {
		virtio_mode();
		printf("BENCH done\n");
		psci_system_off();
	}
	ipi = start_vcpu1(); /* from now on vCPU 1 waits in WFI: its CPU executes nothing */

	for (unsigned i = 0; i < sizeof(exits) / sizeof(exits[0]); i++)
		run_exit_bench(&exits[i]);
	if (ipi) {
		run_ipi_bench("virtual_ipi", VCPU1_WAIT);
		run_ipi_bench("virtual_ipi_busy", VCPU1_SPIN);
	}
	run_timer_bench("timer_latency_busy", false);
	run_timer_bench("timer_latency_wfi", true);

	if (other_irqs)
		printf("note: %u unrelated interrupts were taken\n", other_irqs);
	printf("BENCH done\n");
	psci_system_off();
}
