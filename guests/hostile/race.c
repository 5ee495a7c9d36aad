/* SPDX-License-Identifier: Apache-2.0 */
/*
 * race: a VM that resets itself (PSCI SYSTEM_RESET, its on-reset policy restarting it) again
 * and again while its other vCPUs race the reset on the other CPU, until the physical counter
 * passes until-ms (the virtual counter starts again at every boot). Each boot checks that
 * nothing of the last one ran into it; the first violation ends the run with the HOSTILE line
 * and RESULT: FAIL (RAM is scrubbed at every reset, so no count outlives a boot). The modes:
 *
 * mode=cpuon (3 vCPUs): vCPU 1 calls CPU_ON for vCPU 2 as fast as it can while vCPU 0 resets
 *   the VM; on odd boots vCPU 0 also turns vCPU 2 on itself right before the reset. A CPU_ON
 *   that raced the reset must not survive into the next boot: at the start of each boot,
 *   AFFINITY_INFO says vCPUs 1 and 2 are off, and no vCPU started with the last boot's
 *   generation in its context runs in this one (it would leave its mark in the shared area).
 *   "HOSTILE: cpuon-reset rounds N survivors S".
 * mode=pick (2 vCPUs): the two vCPUs wake each other with SGIs (each waits in WFI), so both
 *   CPUs pick a vCPU of the VM again and again, while one of them resets the VM (vCPU 0 on
 *   even boots, vCPU 1 on odd ones) right after kicking the other. vCPU 1 writes its boot's
 *   generation into the shared area for spin-us= microseconds (300) before every SGI it
 *   sends: the new boot finds vCPU 1 off, the area scrubbed and never a generation but its
 *   own. "HOSTILE: stop-pick rounds N stale S".
 * mode=fp (2 vCPUs): vCPU 0 (on the victim's CPU) keeps markers in v0-v31, new ones every
 *   round, and checks them while the VM is reset from vCPU 1 (even boots) or vCPU 0 (odd
 *   ones); each vCPU finds its FP/SIMD registers zero at the start of each boot (the reset
 *   state kestrel gives) and its markers intact. "HOSTILE: fp-reset rounds N residue R
 *   changed C".
 */
#include "alternate.h"
#include "boot_info.h"
#include "fp_regs.h"
#include "check.h"
#include "gic.h"
#include "hostile.h"
#include "printf.h"
#include "runtime.h"
#include "smccc.h"
#include "sysreg.h"

#define AREA_START  (8ull << 20) /* clear of the image; the DTB is in the last 2 MiB */
#define SGI_PING    1
#define PSCI_DENIED (-3)
#define CNTV_ENABLE 1ul

/* The area vCPUs share, outside the image: kestrel scrubs it at every reset, and the boot
   vCPU's start-up code (which zeroes .bss) never touches it. */
struct area {
	volatile uint64_t boot;	   /* this boot's generation, written first by vCPU 0 */
	volatile uint64_t stale;   /* context of a vCPU that runs with another boot's generation */
	volatile uint64_t gen;	   /* mode=pick: vCPU 1's generation, before each SGI it sends */
	volatile uint64_t calls;   /* mode=cpuon: CPU_ONs vCPU 1 made */
	volatile uint64_t reset;   /* mode=pick, fp: vCPU 1 is to reset the VM */
	volatile uint64_t changed; /* mode=fp: vCPU 1 found its FP registers not as it left them */
};

static struct area *area;
static uint64_t mode_pick, mode_fp, spin_us_pick;

static uint64_t phys_ms(void)
{
	return read_sysreg(cntpct_el0) / (counter_freq() / 1000);
}

static uint64_t ctx_of(uint64_t gen, unsigned slot)
{
	return gen << 8 | slot;
}

/* Whether a vCPU started with context ctx belongs to this boot. vCPU 0 writes the boot's
   generation before it starts anyone, so a vCPU that finds another one (or none yet) was
   started by an earlier boot and survived its reset. */
static bool mine(uint64_t ctx)
{
	if (area->boot == ctx >> 8)
		return true;
	area->stale = ctx;
	dsb_sy();
	return false;
}

static void spin_us(uint64_t us)
{
	uint64_t end = counter_now() + counter_freq() / 1000000 * us;

	while (counter_now() < end)
		;
}

/* ---- mode=pick: waiting for the other vCPU's SGI ---- */

/* Waits in WFI (interrupts masked: a pending one ends the WFI) for an SGI, at most timeout_us
   (the virtual timer ends the wait). True if the SGI came. */
static bool wait_sgi(uint64_t timeout_us)
{
	bool got = false;

	write_sysreg(cntv_cval_el0, counter_now() + counter_freq() / 1000000 * timeout_us);
	write_sysreg(cntv_ctl_el0, CNTV_ENABLE);
	isb();
	for (;;) {
		unsigned intid = gic_ack();
		if (intid == SGI_PING) {
			gic_eoi(intid);
			got = true;
			break;
		}
		if (intid == GIC_PPI_VIRT_TIMER) {
			write_sysreg(cntv_ctl_el0, 0);
			isb();
			gic_eoi(intid);
			break;
		}
		if (intid < 1020)
			gic_eoi(intid);
		__asm__ __volatile__("dsb sy\n\twfi" : : : "memory");
	}
	write_sysreg(cntv_ctl_el0, 0);
	isb();
	return got;
}

static void ping(unsigned vcpu)
{
	uint64_t mpidr = boot_info.cpu_mpidr[vcpu];

	gic_send_sgi_list(SGI_PING, mpidr & ~0xffull, (uint16_t)(1u << (mpidr & 0xf)));
}

static bool sgi_setup(void)
{
	if (!gic_cpu_init())
		return false;
	gic_enable(SGI_PING);
	gic_enable(GIC_PPI_VIRT_TIMER);
	return true;
}

/* ---- mode=fp ---- */

static void fp_markers(uint64_t vals[64], uint64_t gen, unsigned vcpu)
{
	for (unsigned i = 0; i < 64; i++)
		vals[i] = mix64(gen << 16 | vcpu << 8 | i) | 1; /* never zero */
}

/* How many of v0-v31's doublewords are not zero (what a fresh boot must find). */
static unsigned fp_residue(void)
{
	uint64_t got[64];
	unsigned n = 0;

	fp_save(got);
	for (unsigned i = 0; i < 64; i++)
		n += got[i] != 0;
	return n;
}

/* How many of v0-v31's doublewords differ from want. */
static unsigned fp_changed(const uint64_t want[64])
{
	uint64_t got[64];
	unsigned n = 0;

	fp_save(got);
	for (unsigned i = 0; i < 64; i++)
		n += got[i] != want[i];
	return n;
}

/* ---- the vCPUs other than the boot one ---- */

void secondary_main(uint64_t context)
{
	unsigned slot = context & 0xff;
	uint64_t gen = context >> 8;

	if (!mine(context) || slot != 1)
		return; /* vCPU 2 of mode=cpuon: started, it turns off again */
	if (mode_fp) {
		uint64_t want[64];
		if (fp_residue())
			area->changed = 1;
		fp_markers(want, gen, 1);
		fp_fill(want);
		for (;;) {
			spin_us(200);
			if (fp_changed(want))
				area->changed = 1;
			if (area->reset)
				psci_system_reset();
		}
	}
	if (mode_pick) {
		if (!sgi_setup())
			return;
		for (;;) {
			/* a while of writes: one that lands after kestrel scrubbed this RAM
			   for the next boot shows there */
			uint64_t end = counter_now() + counter_freq() / 1000000 * spin_us_pick;
			do {
				area->gen = gen;
				dsb_sy();
			} while (counter_now() < end);
			mine(context);
			ping(0);
			if (area->reset)
				psci_system_reset(); /* vCPU 0 is being kicked meanwhile */
			wait_sgi(2000);
		}
	}
	/* mode=cpuon: CPU_ON for vCPU 2 as fast as possible, racing vCPU 0's reset */
	for (;;) {
		psci_cpu_on(boot_info.cpu_mpidr[2], entry_ipa(secondary_entry), ctx_of(gen, 2));
		area->calls = area->calls + 1;
	}
}

/* ---- the boot vCPU ---- */

static uint64_t boot, rounds;
static unsigned bad; /* violations found in this boot */

/* check(), but silent when it holds after the first boot: a few hundred boots print little. */
#define CHECK(cond, ...)                                                                           \
	({                                                                                         \
		bool holds_ = (cond);                                                              \
		boot > 1 && holds_ ? true : check(holds_, __VA_ARGS__);                            \
	})

/* The first look of each boot: the area as kestrel's scrub left it, or marked by a vCPU of
   the last boot that ran into this one. */
static void look_at_area(const char *what)
{
	if (area->stale) {
		printf("race: boot %lu: a vCPU started by boot %lu ran in it (context 0x%lx)\n",
		       boot, area->stale >> 8, area->stale);
		bad++;
	} else if (area->gen) {
		printf("race: boot %lu: vCPU 1 of boot %lu ran in it\n", boot, area->gen);
		bad++;
	} else if (area->boot || area->calls || area->reset || area->changed) {
		check(false, "boot %lu: the %s area was scrubbed", boot, what);
	}
}

/* Only the boot vCPU is on when a boot starts. */
static void all_off(void)
{
	for (unsigned i = 1; i < boot_info.num_cpus; i++) {
		int64_t aff = psci_affinity_info(boot_info.cpu_mpidr[i]);
		if (aff != PSCI_AFFINITY_OFF) {
			printf("race: boot %lu: vCPU %u is %s at boot\n", boot, i,
			       aff == PSCI_AFFINITY_ON ? "on" : "on pending");
			bad++;
		}
	}
}

static __attribute__((noreturn)) void finish(const char *line)
{
	printf("HOSTILE: %s rounds %lu %s %u\n", line, rounds, mode_pick ? "stale" : "survivors",
	       bad);
	check(bad == 0, "nothing of the last boot ran into this one, in %lu resets", rounds);
	check(rounds > 0, "it reset itself: %lu times", rounds);
	test_finish();
}

static void start_vcpu1(void)
{
	if (!CHECK(psci_cpu_on(boot_info.cpu_mpidr[1], entry_ipa(secondary_entry),
			       ctx_of(boot, 1)) == PSCI_SUCCESS,
		   "boot %lu: CPU_ON of vCPU 1", boot))
		test_finish();
}

static __attribute__((noreturn)) void race_cpuon(bool last, struct rng *rng)
{
	uint64_t want = 1 + rng_below(rng, 300), start = phys_ms();

	look_at_area("shared");
	all_off();
	area->boot = boot;
	dsb_sy();
	spin_us(300); /* a survivor that had not run yet when AFFINITY_INFO looked */
	if (area->stale)
		look_at_area("shared");
	if (bad || last)
		finish("cpuon-reset");
	start_vcpu1();
	while (area->calls < want && phys_ms() - start < 50)
		;
	/* on odd boots, a CPU_ON of vCPU 0's own just before the reset */
	if (boot & 1)
		psci_cpu_on(boot_info.cpu_mpidr[2], entry_ipa(secondary_entry), ctx_of(boot, 2));
	psci_system_reset();
}

/* Kicks vCPU 1 and waits for its answer; false once something of another boot showed. */
static bool ping_pong(void)
{
	uint64_t gen;

	ping(1);
	wait_sgi(2000);
	gen = area->gen;
	if ((gen && gen != boot) || area->stale) {
		printf("race: boot %lu: vCPU 1 of boot %lu ran in it\n", boot,
		       area->stale ? area->stale >> 8 : gen);
		bad++;
		return false;
	}
	return true;
}

static __attribute__((noreturn)) void race_pick(bool last, struct rng *rng)
{
	uint64_t n = 2 + rng_below(rng, 20); /* vCPU 0 shares its CPU: a round is up to a slice */

	look_at_area("shared");
	all_off();
	area->boot = boot;
	dsb_sy();
	if (!CHECK(sgi_setup(), "boot %lu: redistributor up", boot))
		test_finish();
	spin_us(300);
	if (area->gen || area->stale)
		look_at_area("shared");
	if (bad || last)
		finish("stop-pick");
	start_vcpu1();
	for (uint64_t i = 0; i < n; i++)
		if (!ping_pong())
			finish("stop-pick");
	if (boot & 1) { /* vCPU 1 resets the VM while this one is kicked */
		area->reset = 1;
		dsb_sy();
		for (;;)
			if (!ping_pong())
				finish("stop-pick");
	}
	ping(1);
	psci_system_reset(); /* while vCPU 1 is being woken */
}

static __attribute__((noreturn)) void fp_report(unsigned residue, unsigned changed)
{
	printf("HOSTILE: fp-reset rounds %lu residue %u changed %u\n", rounds, residue, changed);
	check(residue == 0, "its FP/SIMD registers were zero at every boot (%lu resets)", rounds);
	check(changed == 0, "its FP/SIMD markers stayed as it left them");
	check(rounds > 0, "it reset itself: %lu times", rounds);
	test_finish();
}

static __attribute__((noreturn)) void race_fp(bool last, struct rng *rng)
{
	unsigned residue = fp_residue(); /* first: nothing may have set them in this boot */
	uint64_t want[64], until = phys_ms() + 2 + rng_below(rng, 15);

	if (residue)
		printf("race: boot %lu: %u doublewords of v0-v31 not zero at boot\n", boot,
		       residue);
	look_at_area("shared");
	all_off();
	area->boot = boot;
	dsb_sy();
	if (residue || bad || last)
		fp_report(residue, bad);
	fp_markers(want, boot << 24, 0);
	fp_fill(want);
	start_vcpu1();
	for (uint64_t round = 1, asked = false;; round++) {
		unsigned changed = fp_changed(want);
		if (changed || area->changed) {
			printf("race: boot %lu: %s FP/SIMD registers changed (%u doublewords)\n",
			       boot, changed ? "vCPU 0's" : "vCPU 1's", changed);
			fp_report(0, changed ? changed : 1);
		}
		fp_markers(want, boot << 24 | round, 0); /* new ones: an older copy shows too */
		fp_fill(want);
		if (phys_ms() < until || asked) {
			spin_us(100);
			continue;
		}
		if (boot & 1)
			psci_system_reset();
		area->reset = 1; /* vCPU 1 resets the VM; this one goes on checking */
		dsb_sy();
		asked = true;
	}
}

int main(const void *dtb)
{
	uint64_t until_ms = bootarg("until-ms", 6500);
	struct rng rng = {mix64(bootarg("seed", 7) ^ read_sysreg(cntpct_el0))};
	unsigned need;
	(void)dtb;

	area = (struct area *)(uintptr_t)(boot_info.mem_base + AREA_START);
	boot = boot_info.boot_count;
	rounds = boot - 1;
	mode_pick = bootargs_has("mode=pick");
	mode_fp = bootargs_has("mode=fp");
	spin_us_pick = bootarg("spin-us", 300);
	need = mode_pick || mode_fp ? 2 : 3;
	if (!CHECK(AREA_START + sizeof(*area) + (2ull << 20) <= boot_info.mem_size,
		   "the shared area fits in its %lu MiB", boot_info.mem_size >> 20) ||
	    !CHECK(boot_info.num_cpus >= need, "%u vCPUs", need) ||
	    !CHECK(mode_pick || mode_fp || bootargs_has("mode=cpuon"), "a mode= it knows") ||
	    !CHECK(gic_dist_init() && gic_cpu_init(), "GIC distributor and redistributor up"))
		test_finish();
	/* With alternate-ms=, a boot that begins in a quiet window waits for the next attack
	   window before it turns another vCPU on or resets. */
	alternate_init();
	alternate_rest();
	if (mode_fp)
		race_fp(phys_ms() >= until_ms, &rng);
	if (mode_pick)
		race_pick(phys_ms() >= until_ms, &rng);
	race_cpuon(phys_ms() >= until_ms, &rng);
}
