/* SPDX-License-Identifier: Apache-2.0 */
/*
 * victim: the VM the hostile guests run beside. It fills mib= MiB of its RAM (default 16,
 * from RAM base + 4 MiB) with a pattern derived from each word's address, then verifies the
 * whole pattern over and over, counting rounds and mismatching words, while its virtual
 * timer interrupts it every 10 ms (PPI 27, re-armed in the handler). It also enables every
 * SGI: no other VM can send it one, so any SGI it takes is counted as stray.
 *
 * Every ~0.5 s it prints "VICTIM: rounds R corrupt C" and "VICTIM: timer ticks T"; after
 * run-ms= milliseconds (default 8000) of virtual time it prints
 * "VICTIM: final rounds R corrupt C ticks T stray S", its throughput ("VICTIM: rate X
 * rounds/s"; with mark-ms=, also over the first that many milliseconds, while an attacker
 * runs, and over the rest) and passes if nothing was corrupted, it made progress, it was
 * interrupted by its timer and took no stray interrupt. With mark-ms=, it prints its share: its
 * rate while attacked as a percentage of its rate after, alone ("VICTIM: share S % of its rate
 * alone"). With alternate-ms=A, for an attacker that attacks only while the physical
 * count (the same in every VM) is in an even window of A ms and sleeps in the odd ones, the
 * share is its rate in the even windows against its rate in the odd ones of the attacked
 * time: the host's load, which drifts over seconds, weighs on both alike. With min-share=P,
 * it checks that the share is at least P %.
 *
 * With fp=1 it also keeps markers in v0-v31 (nothing else in it uses the FP/SIMD registers: it
 * is built with -mgeneral-regs-only) and checks them after every chunk it verifies, counting
 * the checks that found any changed, then loads new ones, and prints
 * "VICTIM: fp checks N corrupt C" before its final line.
 */
#include "fp_regs.h"
#include "boot_info.h"
#include "check.h"
#include "gic.h"
#include "hostile.h"
#include "printf.h"
#include "runtime.h"
#include "sysreg.h"

#define AREA_OFFSET  0x400000ul /* above the image, its stacks and the DTB's neighbourhood */
#define CHUNK	     0x40000ul	/* bytes verified between two looks at the clock */
#define TICK_HZ	     100
#define REPORT_MS    500
#define MAX_REPORTED 4
#define CNTV_ENABLE  1ul

extern char _end[];

static uint64_t seed;
static volatile uint64_t *area;
static uint64_t area_words;

static volatile uint64_t ticks, stray_irqs, period, cval;

static void on_irq(unsigned intid)
{
	if (intid == GIC_PPI_VIRT_TIMER) {
		uint64_t now = counter_now();
		cval += period;
		if (cval <= now) /* descheduled for a while: no burst of catching-up ticks */
			cval = now + period;
		write_sysreg(cntv_cval_el0, cval);
		isb();
		ticks = ticks + 1;
	} else {
		stray_irqs = stray_irqs + 1;
	}
}

static inline uint64_t pattern(uint64_t addr)
{
	return mix64(addr ^ seed);
}

static uint64_t corrupt, reported;

/* fp=1: the markers v0-v31 hold (fp_regs.S), the checks made and those that found them changed */
static uint64_t fp_want[64], fp_checks, fp_corrupt;

static void fp_check(void)
{
	uint64_t got[64];
	unsigned changed = 0, first = 0;

	fp_save(got);
	fp_checks++;
	for (unsigned i = 64; i-- > 0;)
		if (got[i] != fp_want[i]) {
			changed++;
			first = i;
		}
	if (changed && fp_corrupt++ < MAX_REPORTED)
		printf("VICTIM: %u doublewords of v0-v31 changed, the first v%u[%u]: 0x%016lx, "
		       "expected 0x%016lx\n",
		       changed, first / 2, first % 2, got[first], fp_want[first]);
	/* new markers every time: registers kestrel lost and loaded again from an older copy
	   show as well as registers another VM wrote */
	for (unsigned i = 0; i < 64; i++)
		fp_want[i] = pattern(fp_checks << 8 | i) | 1;
	fp_fill(fp_want);
}
static uint64_t alt_chunks[2], alt_time[2]; /* with alternate-ms=: [0] attacked, [1] quiet */

/* "<what> N ms: X.YY rounds/s" or "<what>: X.YY rounds/s" over ms milliseconds. */
static void print_rate(const char *what, uint64_t rounds, uint64_t ms)
{
	uint64_t centi = rounds * 100000 / (ms ? ms : 1); /* rounds per second, times 100 */

	if (what[sizeof("VICTIM: rate") - 1])
		printf("%s %lu ms: %lu.%02lu rounds/s\n", what, ms, centi / 100, centi % 100);
	else
		printf("%s: %lu.%02lu rounds/s\n", what, centi / 100, centi % 100);
}

static void verify(uint64_t first, uint64_t n)
{
	for (uint64_t i = first; i < first + n; i++) {
		uint64_t addr = (uint64_t)(uintptr_t)&area[i];
		uint64_t got = area[i], want = pattern(addr);
		if (got == want)
			continue;
		corrupt++;
		if (reported++ < MAX_REPORTED)
			printf("VICTIM: word at IPA 0x%lx is 0x%016lx, expected 0x%016lx\n", addr,
			       got, want);
		area[i] = want; /* count each corruption once */
	}
}

int main(const void *dtb)
{
	uint64_t mib = bootarg("mib", 16), run_ms = bootarg("run-ms", 8000);
	uint64_t mark_ms = bootarg("mark-ms", run_ms), min_share = bootarg("min-share", 0);
	uint64_t base = boot_info.mem_base, end = base + boot_info.mem_size;
	uint64_t dtb_ipa = (uint64_t)(uintptr_t)dtb, freq = counter_freq();
	bool fp = bootarg("fp", 0) != 0;

	seed = mix64(bootarg("seed", 0x5eed) ^ counter_now());
	area = (volatile uint64_t *)(uintptr_t)(base + AREA_OFFSET);
	area_words = mib * 0x100000 / 8;
	uint64_t area_end = base + AREA_OFFSET + mib * 0x100000;
	if (!check(boot_info.mem_size && (uint64_t)(uintptr_t)_end <= base + AREA_OFFSET &&
		       area_end <= end && (dtb_ipa >= area_end || dtb_ipa < base + AREA_OFFSET),
		   "pattern area 0x%lx..0x%lx inside RAM 0x%lx..0x%lx, clear of the image and DTB",
		   base + AREA_OFFSET, area_end, base, end))
		test_finish();

	if (!check(gic_dist_init() && gic_cpu_init(), "GIC distributor and redistributor up"))
		test_finish();
	gic_set_irq_hook(on_irq);
	for (unsigned sgi = 0; sgi < GIC_NR_SGIS; sgi++)
		gic_enable(sgi);
	gic_enable(GIC_PPI_VIRT_TIMER);

	for (uint64_t i = 0; i < area_words; i++)
		area[i] = pattern((uint64_t)(uintptr_t)&area[i]);
	printf("VICTIM: %lu MiB at IPA 0x%lx filled, checking for %lu ms\n", mib,
	       base + AREA_OFFSET, run_ms);

	if (fp) {
		for (unsigned i = 0; i < 64; i++)
			fp_want[i] = pattern(i) | 1;
		fp_fill(fp_want);
	}

	period = freq / TICK_HZ;
	cval = counter_now() + period;
	write_sysreg(cntv_cval_el0, cval);
	write_sysreg(cntv_ctl_el0, CNTV_ENABLE);
	isb();
	irq_unmask();

	uint64_t start = ms_now(), next_report = start + REPORT_MS, now = start, rounds = 0;
	uint64_t mark_rounds = 0;
	uint64_t alt_ticks = bootarg("alternate-ms", 0) * (freq / 1000),
		 last = read_sysreg(cntpct_el0);
	bool done = false, marked = false;
	while (!done) {
		for (uint64_t w = 0; w < area_words && !done; w += CHUNK / 8) {
			verify(w, CHUNK / 8 < area_words - w ? CHUNK / 8 : area_words - w);
			if (fp)
				fp_check();
			now = ms_now();
			if (alt_ticks && now - start < mark_ms) {
				/* the chunk and its time go to the window it ended in */
				uint64_t t = read_sysreg(cntpct_el0), odd = (t / alt_ticks) & 1;
				alt_chunks[odd]++;
				alt_time[odd] += t - last;
				last = t;
			}
			if (now >= next_report) {
				printf("VICTIM: rounds %lu corrupt %lu\n", rounds, corrupt);
				printf("VICTIM: timer ticks %lu\n", ticks);
				next_report += REPORT_MS;
				if (next_report <= now)
					next_report = now + REPORT_MS;
			}
			done = now - start >= run_ms;
		}
		if (!done)
			rounds++;
		if (!marked && now - start >= mark_ms) {
			mark_rounds = rounds;
			marked = true;
		}
	}
	irq_mask();
	write_sysreg(cntv_ctl_el0, 0);
	isb();

	uint64_t elapsed = now - start ? now - start : 1;
	if (fp)
		printf("VICTIM: fp checks %lu corrupt %lu\n", fp_checks, fp_corrupt);
	printf("VICTIM: final rounds %lu corrupt %lu ticks %lu stray %lu\n", rounds, corrupt, ticks,
	       stray_irqs);
	print_rate("VICTIM: rate", rounds, elapsed);
	if (mark_ms < elapsed) {
		print_rate("VICTIM: rate in the first", mark_rounds, mark_ms);
		print_rate("VICTIM: rate after", rounds - mark_rounds, elapsed - mark_ms);
	}
	printf("VICTIM: %lu timer ticks of %lu due\n", ticks, elapsed * TICK_HZ / 1000);
	check(corrupt == 0, "pattern intact: %lu corrupt words", corrupt);
	check(rounds > 0, "progress: %lu rounds in %lu ms", rounds, elapsed);
	check(ticks > 0, "timer interrupts taken: %lu", ticks);
	check(stray_irqs == 0, "no interrupt from outside: %lu stray", stray_irqs);
	if (fp)
		check(fp_checks > 0 && fp_corrupt == 0,
		      "v0-v31 intact: %lu of %lu checks found them changed", fp_corrupt, fp_checks);
	if (alt_ticks) {
		/* chunks per second in the attacker's windows against those in its quiet ones */
		uint64_t busy = alt_chunks[0] * freq / (alt_time[0] ? alt_time[0] : 1);
		uint64_t quiet = alt_chunks[1] * freq / (alt_time[1] ? alt_time[1] : 1);
		uint64_t share = busy * 100 / (quiet ? quiet : 1);
		printf("VICTIM: rate in the attacked windows %lu, in the quiet ones %lu chunks/s\n",
		       busy, quiet);
		printf("VICTIM: share %lu %% of its rate alone, in alternating windows\n", share);
		if (min_share)
			check(share >= min_share,
			      "under attack it ran at least %lu %% of its rate alone", min_share);
	} else if (mark_ms < elapsed) {
		/* the attacked time against the time alone after it, in rounds per second */
		uint64_t alone = (rounds - mark_rounds) * mark_ms;
		uint64_t share = mark_rounds * (elapsed - mark_ms) * 100 / (alone ? alone : 1);
		printf("VICTIM: share %lu %% of its rate alone, over the first %lu ms\n", share,
		       mark_ms);
		if (min_share)
			check(share >= min_share,
			      "under attack it ran at least %lu %% of its rate alone", min_share);
	}
	test_finish();
}
