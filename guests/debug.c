/* SPDX-License-Identifier: Apache-2.0 */
/*
 * debug: self-hosted debug at the guest's EL1 (MDCR_EL2.TDE clear), as on a CPU of its own.
 *
 * 1. ID_AA64DFR0_EL1: Armv8.0 debug, the OS double lock, and breakpoints and watchpoints; the
 *    numbered registers exist up to those counts and are UNDEFINED after.
 * 2. The OS lock: set out of reset (OSLSR_EL1 0xa); while it is (and while the double lock,
 *    OSDLR_EL1.DLK, holds) a programmed breakpoint does not fire; after OSLAR_EL1 = 0 (OSLSR
 *    0x8) it does.
 * 3. A hardware breakpoint (EC 0x31, ELR at it), a watchpoint on loads and one on stores
 *    (EC 0x35, FAR the address, WnR), each from this VM's own registers: its breakpoint is at
 *    bp_target_a (role=a) or bp_target_b (role=b), and the other target must not fire.
 * 4. Software step over an instruction the CPU runs, an HVC, a trapped system register read
 *    and an MMIO read, the last three carried out by kestrel: one step exception (EC 0x33)
 *    after each, at the next instruction.
 * 5. Until run-ms= (default 2000) has passed: rounds in which the registers get this VM's
 *    values, ~30 ms pass (another VM on the same CPU programs its own), and they must read
 *    back and fire as this VM set them.
 * Prints "DEBUG: rounds N" before RESULT.
 */
#include "boot_info.h"
#include "check.h"
#include "exception.h"
#include "printf.h"
#include "runtime.h"
#include "sysreg.h"

#define EC_BKPT_CUR  0x31u
#define EC_SSTEP_CUR 0x33u
#define EC_WPT_CUR   0x35u
#define FSC_DEBUG    0x22u
#define ISS_ISV	     (1u << 24)
#define SPSR_SS	     (1ul << 21)
#define MDSCR_SS     (1ul << 0)
#define MDSCR_KDE    (1ul << 13)
#define MDSCR_MDE    (1ul << 15)
#define BCR_ON	     0x1e7ul /* E, PMC EL1+EL0, BAS 0xf, unlinked address match */
#define WCR_LOAD     (1ul | 3ul << 1 | 1ul << 3 | 0xfful << 5) /* E, PAC EL1+EL0, BAS 8 bytes */
#define WCR_STORE    (1ul | 3ul << 1 | 2ul << 3 | 0xfful << 5)
#define MAX_EVENTS   16

void debug_exception(uint64_t vector, struct exception_frame *frame);
void step_run(uint64_t uart_fr);
extern char debug_vectors[], bp_target_a[], bp_target_b[], step_seq[], step_end[];

struct event {
	uint64_t esr, far, elr;
};
static volatile struct event events[MAX_EVENTS]; /* a ring: event i at i % MAX_EVENTS */
static volatile unsigned nevents;
static volatile uint64_t watched[2] __attribute__((aligned(16)));

void debug_exception(uint64_t vector, struct exception_frame *frame)
{
	uint64_t esr = read_sysreg(esr_el1), far = read_sysreg(far_el1);
	unsigned ec = ESR_EC(esr);

	if (vector == 4) {
		events[nevents % MAX_EVENTS] = (struct event){esr, far, frame->elr};
		nevents = nevents + 1;
		if (ec == EC_SSTEP_CUR) {
			/* ELR is the next instruction, not run yet: step it too, until step_end. */
			if (frame->elr == (uint64_t)step_end) {
				write_sysreg(mdscr_el1, read_sysreg(mdscr_el1) & ~MDSCR_SS);
				frame->spsr &= ~SPSR_SS;
			} else {
				frame->spsr |= SPSR_SS;
			}
			return;
		}
		if (ec == EC_BKPT_CUR || ec == EC_WPT_CUR) {
			frame->elr += 4; /* past the instruction it stopped before */
			return;
		}
	}
	printf("unexpected exception (vector %lu): ESR_EL1=0x%lx (EC 0x%x) ELR_EL1=0x%lx "
	       "FAR_EL1=0x%lx\n",
	       vector, esr, ec, frame->elr, far);
	test_fail();
	test_finish();
}

static void call(const char *target)
{
	((void (*)(void))(uintptr_t)target)();
}

static uint64_t load(volatile uint64_t *p)
{
	uint64_t v;

	__asm__ __volatile__("ldr %0, [%1]" : "=r"(v) : "r"(p) : "memory");
	return v;
}

static void store(volatile uint64_t *p, uint64_t v)
{
	__asm__ __volatile__("str %0, [%1]" : : "r"(v), "r"(p) : "memory");
}

static unsigned events_since(unsigned before)
{
	return nevents - before;
}

static void set_breakpoint(const char *at)
{
	write_sysreg(dbgbvr0_el1, (uint64_t)(uintptr_t)at);
	write_sysreg(dbgbcr0_el1, BCR_ON);
	isb();
}

/* This VM's breakpoint fires at its own target only, with the architected syndrome. */
static bool breakpoint_fires(const char *mine, const char *other, bool report)
{
	unsigned before = nevents;
	bool ok;

	call(other);
	ok = events_since(before) == 0;
	call(mine);
	ok = ok && events_since(before) == 1;
	if (ok) {
		const volatile struct event *e = &events[before % MAX_EVENTS];
		ok = ESR_EC(e->esr) == EC_BKPT_CUR && (e->esr & 0x3f) == FSC_DEBUG &&
		     e->elr == (uint64_t)(uintptr_t)mine;
	}
	if (report || !ok)
		check(ok, "breakpoint at 0x%lx: %u exception(s), ESR_EL1 0x%lx ELR_EL1 0x%lx",
		      (uint64_t)(uintptr_t)mine, events_since(before),
		      events_since(before) ? events[before % MAX_EVENTS].esr : 0,
		      events_since(before) ? events[before % MAX_EVENTS].elr : 0);
	return ok;
}

static bool quiet(const char *what, const char *target)
{
	unsigned before = nevents;

	call(target);
	return check(events_since(before) == 0, "%s: the breakpoint does not fire", what);
}

static void id_and_counts(unsigned *brps, unsigned *wrps)
{
	uint64_t dfr0 = read_sysreg(id_aa64dfr0_el1);

	*brps = (unsigned)((dfr0 >> 12) & 0xf) + 1;
	*wrps = (unsigned)((dfr0 >> 20) & 0xf) + 1;
	printf("ID_AA64DFR0_EL1 0x%lx: %u breakpoints, %u watchpoints\n", dfr0, *brps, *wrps);
	check_eq("DebugVer (Armv8.0)", dfr0 & 0xf, 6);
	check_eq("DoubleLock (implemented)", (dfr0 >> 36) & 0xf, 0);
	check_eq("TraceVer (no trace)", (dfr0 >> 4) & 0xf, 0); /* PMUVer: the pmu guest's */
	check(*brps >= 2 && *wrps >= 2, "at least 2 breakpoints and 2 watchpoints");
}

/* An MRS of DBGBVR<n>_EL1 (wvr: DBGWVR<n>_EL1) into x0, written into code at run time: the
   register is named in the instruction. */
static uint32_t mrs_code[2] __attribute__((aligned(64)));

static void mrs_dbg(unsigned n, bool wvr)
{
	mrs_code[0] = 0xd5300080u | n << 8 | (wvr ? 2u : 0u) << 5; /* op2 4 or 6 */
	mrs_code[1] = 0xd65f03c0u;				   /* ret */
	__asm__ __volatile__("dc cvau, %0\n\tdsb ish\n\tic ivau, %0\n\tdsb ish\n\tisb"
			     :
			     : "r"(mrs_code)
			     : "memory");
	__asm__ __volatile__("blr %0" : : "r"(mrs_code) : "x0", "x30", "memory");
}

/* The first breakpoint and watchpoint past the counts: UNDEFINED (the runtime's vectors
   take the fault), as on a CPU with that many; the last ones that exist read fine. */
static void absent_registers_undef(unsigned brps, unsigned wrps)
{
	extern char exception_vectors[];
	unsigned taken;

	write_sysreg(vbar_el1, (uint64_t)(uintptr_t)exception_vectors);
	isb();
	for (unsigned wvr = 0; wvr < 2; wvr++) {
		unsigned n = wvr ? wrps : brps;
		mrs_dbg(n - 1, wvr);
		check(true, "DBG%cVR%u_EL1 reads", wvr ? 'W' : 'B', n - 1);
		if (n == 16)
			continue; /* all 16 exist */
		exception_expect((uint64_t)(uintptr_t)&mrs_code[1]);
		mrs_dbg(n, wvr);
		taken = exception_expect_end();
		check(taken == 1 && ESR_EC(last_exception.esr) == EC_UNKNOWN,
		      "DBG%cVR%u_EL1 is UNDEFINED (%u exception(s), EC 0x%x)", wvr ? 'W' : 'B', n,
		      taken, (unsigned)ESR_EC(last_exception.esr));
	}
	write_sysreg(vbar_el1, (uint64_t)(uintptr_t)debug_vectors);
	isb();
}

static void watchpoint(uint64_t wcr, bool on_store)
{
	volatile uint64_t *p = &watched[0];
	unsigned before = nevents, n;
	bool other_quiet;

	write_sysreg(dbgwvr0_el1, (uint64_t)(uintptr_t)p);
	write_sysreg(dbgwcr0_el1, wcr);
	isb();
	if (on_store)
		(void)load(p);
	else
		store(p, 1);
	other_quiet = events_since(before) == 0;
	if (on_store)
		store(p, 0x55);
	else
		(void)load(p);
	n = events_since(before);
	const volatile struct event *e = &events[before % MAX_EVENTS];
	check(
	    other_quiet && n == 1 && ESR_EC(e->esr) == EC_WPT_CUR && (e->esr & 0x3f) == FSC_DEBUG &&
		!!(e->esr & ESR_DABT_WNR) == on_store && e->far == (uint64_t)(uintptr_t)p,
	    "watchpoint on %s of 0x%lx: %u exception(s) (%s quiet), ESR_EL1 0x%lx FAR_EL1 0x%lx",
	    on_store ? "stores" : "loads", (uint64_t)(uintptr_t)p, n,
	    other_quiet ? "the other kind" : "NOT the other kind", n ? e->esr : 0, n ? e->far : 0);
	write_sysreg(dbgwcr0_el1, 0);
	isb();
}

/* One step exception after each instruction of step_seq, at the next one. */
static void software_step(uint64_t uart_fr)
{
	static const char *const what[] = {"a NOP",
					   "a MOV",
					   "an HVC (kestrel answers)",
					   "MRS ACTLR_EL1 (kestrel emulates)",
					   "an MMIO read (kestrel emulates)",
					   "a NOP"};
	/* ISV (EX valid) only for an instruction the CPU stepped: after one that left through an
	   exception (the HVC) or that kestrel carried out, the step exception comes from the
	   active-pending state an exception return entered, where the Arm ARM gives ISV 0. */
	static const bool isv[] = {true, true, false, false, false, true};
	unsigned before = nevents, n;

	__asm__ __volatile__("msr daifset, #8" : : : "memory"); /* no step before the ERET */
	write_sysreg(mdscr_el1, MDSCR_MDE | MDSCR_KDE | MDSCR_SS);
	isb();
	step_run(uart_fr);
	n = events_since(before);
	check(n == 6, "software step: %u step exceptions over 6 instructions", n);
	for (unsigned i = 0; i < n && i < 6; i++) {
		const volatile struct event *e = &events[(before + i) % MAX_EVENTS];
		uint64_t want = (uint64_t)(uintptr_t)step_seq + 4 * (i + 1);
		check(ESR_EC(e->esr) == EC_SSTEP_CUR && !!(e->esr & ISS_ISV) == isv[i] &&
			  (e->esr & 0x3f) == FSC_DEBUG && e->elr == want,
		      "step past %s: ESR_EL1 0x%lx (ISV %u), ELR_EL1 0x%lx (expected 0x%lx)",
		      what[i], e->esr, isv[i], e->elr, want);
	}
	check_eq("MDSCR_EL1.SS after the last step", read_sysreg(mdscr_el1) & MDSCR_SS, 0);
}

static uint64_t now_ms(void)
{
	return counter_now() / (counter_freq() / 1000);
}

/* This VM's values in breakpoint 1 and watchpoint 1 (disabled) and its breakpoint 0, ~30 ms
   for the other VM on the CPU, then every value as it was and breakpoint 0 at its target. */
static void rounds(const char *mine, const char *other, uint64_t tag, uint64_t run_ms)
{
	uint64_t end = now_ms() + run_ms;
	unsigned n = 0, bad = 0;

	while (now_ms() < end) {
		uint64_t bvr = tag << 40 | (uint64_t)n << 4, wvr = tag << 40 | (uint64_t)n << 8;
		uint64_t want[6] = {bvr,
				    BCR_ON & ~1ul,
				    wvr,
				    WCR_STORE & ~1ul,
				    (uint64_t)(uintptr_t)mine,
				    MDSCR_MDE | MDSCR_KDE};
		uint64_t got[6];

		write_sysreg(dbgbvr1_el1, want[0]);
		write_sysreg(dbgbcr1_el1, want[1]);
		write_sysreg(dbgwvr1_el1, want[2]);
		write_sysreg(dbgwcr1_el1, want[3]);
		isb();
		uint64_t until = now_ms() + 30;
		while (now_ms() < until)
			;
		got[0] = read_sysreg(dbgbvr1_el1);
		got[1] = read_sysreg(dbgbcr1_el1);
		got[2] = read_sysreg(dbgwvr1_el1);
		got[3] = read_sysreg(dbgwcr1_el1);
		got[4] = read_sysreg(dbgbvr0_el1);
		got[5] = read_sysreg(mdscr_el1);
		for (unsigned i = 0; i < 6; i++)
			if (got[i] != want[i] && bad++ < 8)
				check(false,
				      "round %u: debug register %u is 0x%lx, this VM set 0x%lx", n,
				      i, got[i], want[i]);
		if (!breakpoint_fires(mine, other, false))
			bad++;
		n++;
	}
	printf("DEBUG: rounds %u changed %u\n", n, bad);
	check(n > 0 && bad == 0, "%u rounds: this VM's debug registers kept and its own", n);
}

int main(const void *dtb)
{
	bool role_b = bootargs_has("role=b");
	const char *mine = role_b ? bp_target_b : bp_target_a;
	const char *other = role_b ? bp_target_a : bp_target_b;
	unsigned brps, wrps;

	(void)dtb;
	id_and_counts(&brps, &wrps);
	absent_registers_undef(brps, wrps);

	/* The OS lock, set out of reset: a breakpoint programmed under it does not fire. */
	check_eq("OSLSR_EL1 out of reset (OSLM 0b10, OSLK)", read_sysreg(oslsr_el1), 0xa);
	set_breakpoint(mine);
	write_sysreg(mdscr_el1, MDSCR_MDE | MDSCR_KDE);
	isb();
	__asm__ __volatile__("msr daifclr, #8" : : : "memory"); /* debug exceptions at EL1 */
	quiet("OS lock set", mine);
	check_eq("DBGBVR0_EL1 under the OS lock", read_sysreg(dbgbvr0_el1),
		 (uint64_t)(uintptr_t)mine);
	write_sysreg(oslar_el1, 0);
	isb();
	check_eq("OSLSR_EL1 unlocked", read_sysreg(oslsr_el1), 0x8);
	breakpoint_fires(mine, other, true);
	write_sysreg(oslar_el1, 1);
	isb();
	quiet("OS lock set again", mine);
	write_sysreg(oslar_el1, 0);
	isb();
	breakpoint_fires(mine, other, true);
	/* The double lock (DBGPRCR_EL1.CORENPDRQ, which would lift it, is not in QEMU's CPU: an
	   access is UNDEFINED before it can trap; the unit tests cover it). */
	write_sysreg(osdlr_el1, 1);
	isb();
	check_eq("OSDLR_EL1.DLK", read_sysreg(osdlr_el1), 1);
	quiet("OS double lock set", mine);
	write_sysreg(osdlr_el1, 0);
	isb();
	breakpoint_fires(mine, other, true);
	/* MDSCR_EL1.MDE clear: no breakpoint. */
	write_sysreg(mdscr_el1, MDSCR_KDE);
	isb();
	quiet("MDSCR_EL1.MDE clear", mine);
	write_sysreg(mdscr_el1, MDSCR_MDE | MDSCR_KDE);
	isb();

	watchpoint(WCR_LOAD, false);
	watchpoint(WCR_STORE, true);
	software_step(boot_info.uart_base + 0x18);
	write_sysreg(mdscr_el1, MDSCR_MDE | MDSCR_KDE);
	isb();
	rounds(mine, other, role_b ? 0xb : 0xa, bootarg("run-ms", 2000));

	write_sysreg(dbgbcr0_el1, 0);
	write_sysreg(mdscr_el1, 0);
	isb();
	test_finish();
}
