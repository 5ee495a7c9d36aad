/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Self-hosted debug for guests (debug.c) on a fake CPU: a vCPU's first debug register access
 * traps once and makes its registers live (loaded, MDCR_EL2.TDA clear, its own vectors); they
 * follow the vCPU through loads and puts and never reach another; debug off at a put traps
 * again; the OS lock and double lock take them out of the hardware and back; and the PC step
 * of a live vCPU's exit (exit_sync_debug) advances the software step state machine only for
 * an instruction kestrel carried out.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include <kestrel/debug.h>
#include <kestrel/hyp.h>
#include <kestrel/pstate.h>
#include <kestrel/smccc_ids.h>
#include <kestrel/sysreg.h>
#include <kestrel/sysreg_defs.h>
#include <kestrel/vm.h>

#include "dispatch.h"
#include <arch/fake_arch.h>

exit_result exit_sync_debug(struct vcpu *vcpu, uint64_t esr); /* exit.c, entry.S calls it */

#define PC   0x40080000ull
#define VBAR 0x40000800ull
#define EL1H 0x3c5ull /* EL1h, DAIF masked */
/* What a vCPU's reset traps: debug and, until its first use, the PMU. */
#define BASE_MDCR (MDCR_TDA | MDCR_TDOSA | MDCR_TDRA | MDCR_TPM | MDCR_TPMCR)

static struct vm vm;
static struct vcpu *const a = &vm.vcpus[0], *const b = &vm.vcpus[1];

static uint64_t sys_esr(uint32_t key, unsigned rt, bool read)
{
	return ((uint64_t)EC_SYS64 << 26) | ESR_IL | key | ((uint64_t)rt << 5) | read;
}

#define DBG(crm, op2) SYSREG_KEY(2, 0, 0, crm, op2)
#define MDSCR	      DBG(2, 2)
#define OSLAR	      SYSREG_KEY(2, 0, 1, 0, 4)
#define OSDLR	      SYSREG_KEY(2, 0, 1, 3, 4)
#define DBGPRCR	      SYSREG_KEY(2, 0, 1, 4, 4)
#define ACTLR	      SYSREG_KEY(3, 0, 1, 0, 1)
#define PMCR	      SYSREG_KEY(3, 3, 9, 12, 0) /* not emulated: UNDEF */

static exit_result trap(struct vcpu *v, uint32_t key, unsigned rt, bool read)
{
	v->regs.pc = PC;
	fake_cpu()->exit_esr = sys_esr(key, rt, read); /* ESR_EL2, for the table's miss path */
	return run_exit(sysreg_exit, v, fake_cpu()->exit_esr);
}

/* A live vCPU's exit, as guest_sync_debug (entry.S) takes it, with ESR_EL2 = esr. */
static exit_result sync_debug(struct vcpu *v, uint64_t esr)
{
	fake_cpu()->exit_esr = esr;
	return exit_sync_debug(v, esr);
}

static int setup(void **state)
{
	(void)state;
	fake_arch_reset();
	memset(&vm, 0, sizeof(vm));
	hyp.debug_brps = 6;
	hyp.debug_wrps = 4;
	hyp.has_pac = true;
	for (unsigned i = 0; i < 2; i++) {
		struct vcpu *v = &vm.vcpus[i];
		v->vm = &vm;
		v->id = i;
		v->mdcr = BASE_MDCR;
		vcpu_reset(v, PC, 0);
		v->dbg.oslsr = OSLSR_OSLM; /* unlocked, as an OS does first */
		v->sys.vbar = VBAR;
	}
	fake_cpu()->el1.vbar = VBAR;
	return 0;
}

/* A vCPU comes out of reset with debug trapped and the OS lock set, as a cold reset leaves it. */
static void reset_traps_debug_with_the_os_lock_set(void **state)
{
	(void)state;
	a->mdcr &= ~MDCR_TDA;
	a->lazy |= LAZY_DEBUG;
	a->dbg.bvr[3] = 7;
	vcpu_reset(a, PC, 0);
	assert_false((a->lazy & LAZY_DEBUG));
	assert_true(a->mdcr & MDCR_TDA);
	assert_int_equal(a->dbg.oslsr, OSLSR_OSLM | OSLSR_OSLK);
	assert_int_equal(a->dbg.bvr[3], 0);
	assert_true(debug_locked(&a->dbg));
}

/* The first access traps once: the vCPU's registers go into the hardware, TDA is lifted (the
   other traps stay), its vectors are the debug ones, and the access runs again untouched. */
static void first_access_makes_the_registers_live_and_runs_again(void **state)
{
	(void)state;
	arch_vcpu_load(a);
	assert_int_equal(fake_cpu()->mdcr, BASE_MDCR);
	a->dbg.bvr[5] = 0x1234;
	a->dbg.wcr[3] = 0x1e7;
	a->regs.x[3] = 0x33;
	trap(a, DBG(5, 4), 3, true); /* MRS x3, DBGBVR5_EL1 */
	assert_int_equal(a->regs.pc, PC);
	assert_int_equal(a->regs.x[3], 0x33);
	assert_true((a->lazy & LAZY_DEBUG));
	assert_int_equal(a->mdcr, BASE_MDCR & ~MDCR_TDA);
	assert_int_equal(fake_cpu()->mdcr, a->mdcr);
	assert_true(fake_cpu()->debug_vectors);
	assert_int_equal(fake_cpu()->dbg.bvr[5], 0x1234);
	assert_int_equal(fake_cpu()->dbg.wcr[3], 0x1e7);
	/* MDSCR_EL1 is one of them too. */
	a->lazy &= ~LAZY_DEBUG;
	a->mdcr = BASE_MDCR;
	a->dbg.mdscr = MDSCR_MDE;
	trap(a, MDSCR, 0, false);
	assert_int_equal(a->regs.pc, PC);
	assert_true((a->lazy & LAZY_DEBUG));
	assert_int_equal(fake_cpu()->dbg.mdscr, MDSCR_MDE);
	assert_int_equal(a->stats[STAT_UNDEF_INJECTED], 0);
}

/* Live registers are saved at a put and come back at the vCPU's next load; the hardware's
   MDSCR_EL1 is 0 for whatever runs next, which traps on every access and never has the
   other's values saved as its own. */
static void live_registers_follow_their_vcpu_and_no_other(void **state)
{
	(void)state;
	arch_vcpu_load(a);
	trap(a, DBG(0, 5), 0, false);
	fake_cpu()->dbg.bvr[2] = 0xbeef0;	       /* the guest programs breakpoint 2 */
	fake_cpu()->dbg.mdscr = MDSCR_MDE | MDSCR_KDE; /* and turns debug on */
	fake_cpu()->dbg.claim = 0x5;
	arch_vcpu_put(a);
	assert_int_equal(a->dbg.bvr[2], 0xbeef0);
	assert_int_equal(a->dbg.claim, 0x5);
	assert_true((a->lazy & LAZY_DEBUG)); /* debug on: still live */
	assert_int_equal(fake_cpu()->dbg.mdscr, 0);
	assert_false(fake_cpu()->debug_vectors);

	arch_vcpu_load(b);
	assert_int_equal(fake_cpu()->mdcr, BASE_MDCR); /* it traps */
	assert_int_equal(fake_cpu()->dbg.mdscr, 0);    /* nothing of a fires */
	assert_false(fake_cpu()->debug_vectors);
	b->regs.x[4] = 0x44;
	trap(b, DBG(2, 4), 4, true); /* b's first access: its own registers, not a's */
	assert_int_equal(fake_cpu()->dbg.bvr[2], 0);
	assert_int_equal(fake_cpu()->dbg.claim, 0);
	fake_cpu()->dbg.bvr[2] = 0xb0b0;
	arch_vcpu_put(b);
	assert_int_equal(b->dbg.bvr[2], 0xb0b0);
	assert_false((b->lazy & LAZY_DEBUG)); /* its debug is off: trapped again */
	assert_true(b->mdcr & MDCR_TDA);

	arch_vcpu_load(a);
	assert_int_equal(fake_cpu()->dbg.bvr[2], 0xbeef0);
	assert_int_equal(fake_cpu()->dbg.mdscr, MDSCR_MDE | MDSCR_KDE);
	assert_int_equal(fake_cpu()->dbg.claim, 0x5);
	assert_true(fake_cpu()->debug_vectors);
	assert_int_equal(fake_cpu()->mdcr, BASE_MDCR & ~MDCR_TDA);
	arch_vcpu_put(a);
}

/* The OS lock: locking a live vCPU takes its registers out (no event but BRK may fire), its
   accesses are then storage; unlocking with debug on puts them back at once (an OS that
   restored them under the lock touches none after). */
static void the_os_lock_takes_the_registers_out_and_back(void **state)
{
	(void)state;
	arch_vcpu_load(a);
	trap(a, MDSCR, 0, false);
	fake_cpu()->dbg.mdscr = MDSCR_MDE;
	fake_cpu()->dbg.bvr[1] = 0x4000;
	a->regs.x[1] = 1;
	trap(a, OSLAR, 1, false);
	assert_int_equal(a->regs.pc, PC + 4);
	assert_false((a->lazy & LAZY_DEBUG));
	assert_int_equal(fake_cpu()->dbg.mdscr, 0);
	assert_int_equal(fake_cpu()->mdcr, BASE_MDCR);
	assert_false(fake_cpu()->debug_vectors);
	/* Locked: emulated from what was saved. */
	trap(a, MDSCR, 2, true);
	assert_int_equal(a->regs.pc, PC + 4);
	assert_int_equal(a->regs.x[2], MDSCR_MDE);
	a->regs.x[2] = 0x8000;
	trap(a, DBG(1, 4), 2, false); /* DBGBVR1_EL1 restored under the lock */
	assert_false((a->lazy & LAZY_DEBUG));
	assert_int_equal(fake_cpu()->dbg.bvr[1], 0x4000);
	/* Unlocked, debug on: live again with the new value. */
	a->regs.x[1] = 0;
	trap(a, OSLAR, 1, false);
	assert_true((a->lazy & LAZY_DEBUG));
	assert_int_equal(fake_cpu()->dbg.bvr[1], 0x8000);
	assert_int_equal(fake_cpu()->dbg.mdscr, MDSCR_MDE);
	assert_int_equal(fake_cpu()->mdcr, BASE_MDCR & ~MDCR_TDA);
	/* Unlocked with debug off: trapped until the next access. */
	a->regs.x[1] = 1;
	trap(a, OSLAR, 1, false);
	a->dbg.mdscr = 0;
	a->regs.x[1] = 0;
	trap(a, OSLAR, 1, false);
	assert_false((a->lazy & LAZY_DEBUG));
	arch_vcpu_put(a);
}

/* The double lock holds while OSDLR_EL1.DLK is set and DBGPRCR_EL1.CORENPDRQ clear. */
static void the_double_lock_needs_no_powerdown_request(void **state)
{
	(void)state;
	arch_vcpu_load(a);
	a->dbg.mdscr = MDSCR_KDE | MDSCR_MDE;
	trap(a, MDSCR, 0, true);
	assert_true((a->lazy & LAZY_DEBUG));
	a->regs.x[1] = 1;
	trap(a, OSDLR, 1, false);
	assert_true(debug_locked(&a->dbg));
	assert_false((a->lazy & LAZY_DEBUG));
	trap(a, DBGPRCR, 1, false); /* CORENPDRQ: the double lock does not hold */
	assert_false(debug_locked(&a->dbg));
	assert_true((a->lazy & LAZY_DEBUG));
	a->regs.x[1] = 0;
	trap(a, DBGPRCR, 1, false);
	assert_false((a->lazy & LAZY_DEBUG));
	trap(a, OSDLR, 1, false);
	assert_true((a->lazy & LAZY_DEBUG));
	arch_vcpu_put(a);
}

/*
 * The PC step of a live vCPU's exit and software step: an emulated instruction (a trapped
 * register, an SMC) completed, so PSTATE.SS is cleared and the guest takes its step exception
 * before the next instruction; an instruction that runs again (a lazy trap) keeps SS, to be
 * stepped when it completes; an HVC completed before the exit (the hardware cleared SS) and
 * does not step; an injected exception enters EL1 with SS clear and the stepped state in
 * SPSR_EL1, as when the instruction itself takes it.
 */
static void an_emulated_instruction_advances_the_software_step(void **state)
{
	(void)state;
	arch_vcpu_load(a);
	a->regs.pstate = EL1H | PSTATE_SS | PSTATE_BTYPE;
	a->regs.pc = PC;
	sync_debug(a, sys_esr(ACTLR, 2, true)); /* MRS x2, ACTLR_EL1: emulated */
	assert_int_equal(a->regs.pc, PC + 4);
	assert_int_equal(a->regs.pstate, EL1H);

	a->regs.pstate = EL1H | PSTATE_SS;
	a->regs.pc = PC;
	sync_debug(a, ((uint64_t)EC_PAC << 26) | ESR_IL); /* lazy: runs again */
	assert_int_equal(a->regs.pc, PC);
	assert_int_equal(a->regs.pstate, EL1H | PSTATE_SS);

	a->regs.pstate = EL1H; /* an HVC completed: the hardware cleared SS */
	a->regs.pc = PC + 4;
	a->regs.x[0] = SMCCC_VERSION;
	sync_debug(a, ((uint64_t)EC_HVC64 << 26) | ESR_IL);
	assert_int_equal(a->regs.pc, PC + 4);
	assert_int_equal(a->regs.pstate, EL1H);
	assert_int_equal(a->regs.x[0], 0x10001); /* SMCCC 1.1 */

	a->regs.pstate = EL1H | PSTATE_SS;
	a->regs.pc = PC;
	a->regs.x[0] = SMCCC_VERSION;
	sync_debug(a, ((uint64_t)EC_SMC64 << 26) | ESR_IL); /* a trapped SMC is stepped */
	assert_int_equal(a->regs.pc, PC + 4);
	assert_int_equal(a->regs.pstate, EL1H);

	a->regs.pstate = EL1H | PSTATE_SS;
	a->regs.pc = PC;
	sync_debug(a, sys_esr(PMCR, 2, true)); /* UNDEF */
	assert_int_equal(a->regs.pc, VBAR + 0x200);
	assert_false(a->regs.pstate & PSTATE_SS);
	assert_int_equal(fake_cpu()->el1.elr, PC);
	assert_int_equal(fake_cpu()->el1.spsr, EL1H | PSTATE_SS);
	arch_vcpu_put(a);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, NULL)

int main(void)
{
	const struct CMUnitTest tests[] = {
	    T(reset_traps_debug_with_the_os_lock_set),
	    T(first_access_makes_the_registers_live_and_runs_again),
	    T(live_registers_follow_their_vcpu_and_no_other),
	    T(the_os_lock_takes_the_registers_out_and_back),
	    T(the_double_lock_needs_no_powerdown_request),
	    T(an_emulated_instruction_advances_the_software_step),
	};

	return cmocka_run_group_tests_name("debug", tests, NULL, NULL);
}
