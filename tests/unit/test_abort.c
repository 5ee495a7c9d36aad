/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The data-abort exit end to end, as the dispatcher runs it (dispatch.h): the syndrome, the
 * device, the register, then the handler's result: how far the PC steps and whether the vCPU
 * goes on. A device that refuses an access, and an access to nothing, are aborts for the
 * guest (no step: it resumes at its vector); ten of them inside its own vectors are a crash,
 * asked of the scheduler (EXIT_LEAVE), not carried out in the exit. Also what an exit does
 * to PSTATE: an injected exception's entry (PAN, DIT, SSBS), BTYPE past an emulated
 * instruction, a big-endian guest's MMIO data, and WFIT/WFET, which are UNDEFINED here.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include <kestrel/abort.h>
#include <kestrel/hyp.h>
#include <kestrel/pstate.h>
#include <kestrel/vm.h>
#include <kestrel/wfx.h>

#include "dispatch.h"
#include <arch/fake_arch.h>

#define DEV_IPA 0x09000000ull
#define PC	0x40080000ull
#define VBAR	0x40001000ull
#define ISV	BIT(24)
#define IL	BIT(25)
#define WNR	BIT(6)
#define FSC_TF	0x07 /* translation fault, level 3 */
#define DABT_EC ((uint64_t)EC_DABT_LOW << 26)
#define EL1H	0x3c5ull

static struct vm vm;
static struct vcpu *const vcpu = &vm.vcpus[0];
static struct pcpu cpu;

static struct {
	unsigned reads, writes;
	uint64_t last_off, last_val;
	unsigned last_width;
	bool refuse;
	uint64_t value;
} dev_seen;

static bool dev_read(struct mmio_dev *dev, struct vcpu *v, uint64_t off, unsigned width,
		     uint64_t *val)
{
	(void)dev, (void)v;
	dev_seen.reads++;
	dev_seen.last_off = off;
	dev_seen.last_width = width;
	*val = dev_seen.value;
	return !dev_seen.refuse;
}

static bool dev_write(struct mmio_dev *dev, struct vcpu *v, uint64_t off, unsigned width,
		      uint64_t val)
{
	(void)dev, (void)v;
	dev_seen.writes++;
	dev_seen.last_off = off;
	dev_seen.last_width = width;
	dev_seen.last_val = val;
	return !dev_seen.refuse;
}

static const struct mmio_ops ops = {dev_read, dev_write};
static struct mmio_dev dev = {DEV_IPA, 0x1000, "dev", &ops};

static int scene(void **state)
{
	(void)state;
	memset(&vm, 0, sizeof(vm));
	memset(&dev_seen, 0, sizeof(dev_seen));
	memset(&cpu, 0, sizeof(cpu));
	fake_arch_reset();
	fake_arch.pcpus = &cpu; /* the exit runs on the vCPU's CPU */
	hyp.cntfrq = 1000000;
	vm.state = VM_RUNNING;
	vm.vcpu_count = 1;
	vm.mmio[0] = &dev;
	vm.mmio_count = 1;
	vcpu->vm = &vm;
	vcpu->pcpu = &cpu;
	vcpu->regs.pc = PC;
	vcpu->regs.pstate = EL1H;
	vm.job.cpu = -1;	     /* no CPU carries out a request yet */
	vcpu->vgic.want[0] = BIT(3); /* SGI 3 pending: a WFI does not block */
	fake_cpu()->el1.vbar = VBAR;
	fake_cpu()->el1.sctlr = BIT(23);
	return 0;
}

/* A data abort at ipa, with the syndrome's access fields (width as SAS, Rt, SSE, SF, WnR). */
static exit_result dabt(ipaddr_t ipa, uint64_t iss_access)
{
	fake_cpu()->exit_hpfar = (ipa >> 12) << 4;
	fake_cpu()->exit_far = 0xffff000000000000ull | (ipa & 0xfff);
	return run_exit(abort_dabt_exit, vcpu, DABT_EC | iss_access | FSC_TF);
}

#define SAS(bytes) ((uint64_t)__builtin_ctz(bytes) << 22)
#define SRT(r)	   ((uint64_t)(r) << 16)
#define SSE	   BIT(21)
#define SF	   BIT(15)

static void an_mmio_read_fills_the_register_and_steps_past_the_load(void **state)
{
	(void)state;
	dev_seen.value = 0x80;
	vcpu->regs.x[3] = 0xdead;
	assert_int_equal(dabt(DEV_IPA + 0x18, IL | ISV | SAS(1) | SRT(3) | SSE | SF),
			 EXIT_STEP_A64);
	assert_int_equal(vcpu->regs.x[3], 0xffffffffffffff80ull); /* LDRSB x3 */
	assert_int_equal(dev_seen.last_off, 0x18);
	assert_int_equal(dev_seen.last_width, 1);
	assert_int_equal(vcpu->regs.pc, PC + 4);
	assert_int_equal(vcpu->stats[STAT_MMIO], 1);
}

static void a_16_bit_t32_access_steps_two_bytes(void **state)
{
	(void)state;
	dev_seen.value = 0x1234;
	assert_int_equal(dabt(DEV_IPA + 4, ISV | SAS(2) | SRT(1)), 2); /* IL = 0 */
	assert_int_equal(vcpu->regs.x[1], 0x1234);
	assert_int_equal(vcpu->regs.pc, PC + 2);
}

static void an_mmio_write_reaches_the_device_masked_to_its_width(void **state)
{
	(void)state;
	vcpu->regs.x[5] = 0x1122334455667788ull;
	assert_int_equal(dabt(DEV_IPA + 0x20, IL | ISV | SAS(2) | SRT(5) | WNR), EXIT_STEP_A64);
	assert_int_equal(dev_seen.writes, 1);
	assert_int_equal(dev_seen.last_val, 0x7788);
	assert_int_equal(vcpu->regs.pc, PC + 4);
}

static void a_refused_access_is_an_abort_at_the_vector_without_a_step(void **state)
{
	(void)state;
	dev_seen.refuse = true;
	assert_int_equal(dabt(DEV_IPA, IL | ISV | SAS(4) | SRT(0)), EXIT_RESUME);
	assert_int_equal(vcpu->regs.pc, VBAR + 0x200); /* current EL, SP_ELx: synchronous */
	assert_int_equal(fake_cpu()->el1.elr, PC);
	assert_int_equal(vcpu->stats[STAT_ABORT_INJECTED], 1);
}

static void an_access_to_nothing_or_without_a_syndrome_is_an_abort(void **state)
{
	(void)state;
	assert_int_equal(dabt(0x0a000000, IL | ISV | SAS(4)), EXIT_RESUME);
	assert_int_equal(vcpu->regs.pc, VBAR + 0x200);
	vcpu->regs.pc = PC;
	assert_int_equal(dabt(DEV_IPA, IL), EXIT_RESUME); /* no ISV: an LDP, say */
	assert_int_equal(vcpu->regs.pc, VBAR + 0x200);
	assert_int_equal(dev_seen.reads + dev_seen.writes, 0);
	assert_int_equal(vcpu->stats[STAT_STRAY], 2);
}

/*
 * An access outside every device is a synchronous external abort taken at the guest's EL1 as
 * the architecture takes one: ESR_EL1 a data abort from the current EL (or a lower one),
 * IL set, FSC 0x10, WnR for a store; FAR_EL1 the faulting virtual address (FAR_EL2's);
 * ELR_EL1 and SPSR_EL1 the faulting PC and PSTATE; the PC at VBAR_EL1 + 0x200 from EL1 with
 * SP_EL1, + 0x400 from EL0 in AArch64.
 */
static void an_abort_outside_every_device_is_taken_at_el1_as_architected(void **state)
{
	static const struct {
		uint64_t pstate, iss, esr, vector;
	} cases[] = {
	    {EL1H, ISV | SAS(4) | WNR, ((uint64_t)EC_DABT_CUR << 26) | IL | WNR | 0x10, 0x200},
	    {EL1H, ISV | SAS(8), ((uint64_t)EC_DABT_CUR << 26) | IL | 0x10, 0x200},
	    {0, ISV | SAS(1) | WNR, ((uint64_t)EC_DABT_LOW << 26) | IL | WNR | 0x10, 0x400},
	    {0, 0, ((uint64_t)EC_DABT_LOW << 26) | IL | 0x10, 0x400},
	};

	(void)state;
	for (unsigned i = 0; i < ARRAY_SIZE(cases); i++) {
		vcpu->regs.pc = PC + 4 * i;
		vcpu->regs.pstate = cases[i].pstate;
		assert_int_equal(dabt(0x0a000000 + 8 * i, IL | cases[i].iss), EXIT_RESUME);
		assert_int_equal(fake_cpu()->el1.esr, cases[i].esr);
		assert_int_equal(fake_cpu()->el1.far, 0xffff000000000000ull | (8 * i));
		assert_int_equal(fake_cpu()->el1.elr, PC + 4 * i);
		assert_int_equal(fake_cpu()->el1.spsr, cases[i].pstate);
		assert_int_equal(vcpu->regs.pc, VBAR + cases[i].vector);
		assert_int_equal(vcpu->regs.pstate & 0xf, 0x5); /* EL1h */
	}
	assert_int_equal(fake_arch.exceptions, ARRAY_SIZE(cases));
	assert_int_equal(vcpu->stats[STAT_ABORT_INJECTED], ARRAY_SIZE(cases));
	assert_int_equal(dev_seen.reads + dev_seen.writes, 0);
}

/* An instruction fetch outside the VM's RAM: a prefetch abort, with no WnR. */
static void a_fetch_outside_ram_is_a_prefetch_abort(void **state)
{
	(void)state;
	fake_cpu()->exit_hpfar = (0x0a000000ull >> 12) << 4;
	fake_cpu()->exit_far = 0x0a000010;
	assert_int_equal(
	    run_exit(abort_iabt_exit, vcpu, ((uint64_t)EC_IABT_LOW << 26) | IL | FSC_TF),
	    EXIT_RESUME);
	assert_int_equal(fake_cpu()->el1.esr, ((uint64_t)EC_IABT_CUR << 26) | IL | 0x10);
	assert_int_equal(fake_cpu()->el1.far, 0x0a000010);
	assert_int_equal(fake_cpu()->el1.elr, PC);
	assert_int_equal(vcpu->regs.pc, VBAR + 0x200);
}

static void aborts_again_and_again_in_its_vectors_ask_for_a_crash_and_leave(void **state)
{
	exit_result r = EXIT_RESUME;

	(void)state;
	for (unsigned i = 0; i < 10; i++) {
		vcpu->regs.pc = VBAR + 0x200; /* faulting in its own vector */
		r = dabt(0x0a000000, IL | ISV | SAS(4));
		if (i < 9)
			assert_int_equal(r, EXIT_RESUME);
	}
	assert_int_equal(r, EXIT_LEAVE);
	assert_int_equal(vm.requests, VM_REQ_CRASH); /* asked of the scheduler, not done here */
	assert_string_equal(vm.crash_why, "an exception it cannot handle, in a loop");
	assert_int_equal(vm.state, VM_RUNNING);
	assert_int_equal(vm.job.cpu, 0); /* this CPU carries it out */
	assert_true(cpu.resched & RESCHED_LIFECYCLE);
}

/*
 * WFIT and WFET (ISS.TI 0b10, 0b11) trap as WFI and WFE do, but the ID registers hide
 * FEAT_WFxT, where they are UNDEFINED: an UNDEF at the vector, not a wait without its
 * timeout. A WFI with an interrupt pending steps past it.
 */
static void wfit_and_wfet_are_undefined(void **state)
{
	const uint64_t wfx = ((uint64_t)EC_WFX << 26) | IL;

	(void)state;
	assert_int_equal(run_exit(wfx_exit, vcpu, wfx | 2), EXIT_RESUME);
	assert_int_equal(vcpu->regs.pc, VBAR + 0x200);
	vcpu->regs.pc = PC;
	vcpu->regs.pstate = EL1H;
	assert_int_equal(run_exit(wfx_exit, vcpu, wfx | 3), EXIT_RESUME);
	assert_int_equal(vcpu->regs.pc, VBAR + 0x200);
	assert_int_equal(vcpu->stats[STAT_UNDEF_INJECTED], 2);
	vcpu->regs.pc = PC;
	vcpu->regs.pstate = EL1H;
	assert_int_equal(run_exit(wfx_exit, vcpu, wfx), EXIT_STEP_A64);
	assert_int_equal(vcpu->regs.pc, PC + 4);
}

/* An instruction kestrel carried out completed, as one the CPU executes: BTYPE, set when it
   was a branch's target, is 0 for the next. */
static void an_emulated_instruction_clears_btype(void **state)
{
	(void)state;
	vcpu->regs.pstate = EL1H | PSTATE_BTYPE;
	assert_int_equal(dabt(DEV_IPA + 0x18, IL | ISV | SAS(4) | SRT(3)), EXIT_STEP_A64);
	assert_int_equal(vcpu->regs.pstate, EL1H);
}

/* In AArch32 state (EL0, T32) the same bits are ITSTATE's: a 16-bit access kestrel carried
   out inside an IT block moves the block on, and the last one ends it. */
static void an_emulated_t32_instruction_advances_the_it_block(void **state)
{
	const uint64_t t32_el0 = 0x10 | BIT(5);

	(void)state;
	vcpu->regs.pstate = t32_el0 | (0x04ull >> 2 << 10); /* IT = 0b00000100: two left */
	assert_int_equal(dabt(DEV_IPA, ISV | SAS(2) | SRT(1)), 2);
	assert_int_equal(vcpu->regs.pstate, t32_el0 | (0x08ull >> 2 << 10)); /* one left */
	assert_int_equal(dabt(DEV_IPA, ISV | SAS(2) | SRT(1)), 2);
	assert_int_equal(vcpu->regs.pstate, t32_el0);		      /* out of the block */
	vcpu->regs.pstate = t32_el0 | (2ull << 25) | (0x3cull << 10); /* IT = 0xf2: a condition */
	assert_int_equal(dabt(DEV_IPA, ISV | SAS(2) | SRT(1)), 2);
	assert_int_equal(vcpu->regs.pstate, t32_el0 | (0xe4ull >> 2 << 10));
}

/*
 * The PSTATE an injected exception enters the guest's EL1 with, for every combination of
 * PAN, DIT and SSBS before and SCTLR_EL1.SPAN and DSSBS: PAN set unless SPAN keeps it, DIT
 * kept, SSBS from DSSBS; SPSR_EL1 holds what was before (BTYPE included).
 */
static void an_injected_exception_sets_pstate_as_the_architecture_says(void **state)
{
	(void)state;
	dev_seen.refuse = true;
	for (unsigned combo = 0; combo < 32; combo++) {
		uint64_t before = EL1H | PSTATE_BTYPE | (combo & 1 ? PSTATE_PAN : 0) |
				  (combo & 2 ? PSTATE_DIT : 0) | (combo & 4 ? PSTATE_SSBS : 0);
		bool span = combo & 8, dssbs = combo & 16;
		uint64_t pan = span ? before & PSTATE_PAN : PSTATE_PAN;

		vcpu->regs.pc = PC;
		vcpu->regs.pstate = before;
		fake_cpu()->el1.sctlr = (span ? SCTLR_EL1_SPAN : 0) | (dssbs ? SCTLR_EL1_DSSBS : 0);
		assert_int_equal(dabt(DEV_IPA, IL | ISV | SAS(4) | SRT(0)), EXIT_RESUME);
		assert_int_equal(vcpu->regs.pstate,
				 0x3c5 | pan | (before & PSTATE_DIT) | (dssbs ? PSTATE_SSBS : 0));
		assert_int_equal(fake_cpu()->el1.spsr, before);
	}
}

/* SCTLR_EL1.EE (E0E at EL0): the guest's data accesses are big-endian, so the bytes of a
   little-endian device register reach its register reversed, and its stores likewise. */
static void big_endian_guests_see_device_bytes_reversed(void **state)
{
	(void)state;
	fake_cpu()->el1.sctlr = SCTLR_EL1_EE;
	dev_seen.value = 0x11223344;
	assert_int_equal(dabt(DEV_IPA, IL | ISV | SAS(4) | SRT(2)), EXIT_STEP_A64);
	assert_int_equal(vcpu->regs.x[2], 0x44332211);
	dev_seen.value = 0x80ff;
	assert_int_equal(dabt(DEV_IPA, IL | ISV | SAS(2) | SRT(2) | SSE | SF), EXIT_STEP_A64);
	assert_int_equal(vcpu->regs.x[2], 0xffffffffffffff80ull); /* swapped, then extended */
	vcpu->regs.x[4] = 0x1122334455667788ull;
	assert_int_equal(dabt(DEV_IPA, IL | ISV | SAS(8) | SRT(4) | WNR), EXIT_STEP_A64);
	assert_int_equal(dev_seen.last_val, 0x8877665544332211ull);
	/* E0E says nothing of EL1's accesses, and EE nothing of EL0's. */
	fake_cpu()->el1.sctlr = SCTLR_EL1_E0E;
	dev_seen.value = 0x11223344;
	assert_int_equal(dabt(DEV_IPA, IL | ISV | SAS(4) | SRT(2)), EXIT_STEP_A64);
	assert_int_equal(vcpu->regs.x[2], 0x11223344);
	vcpu->regs.pstate = 0; /* EL0t */
	assert_int_equal(dabt(DEV_IPA, IL | ISV | SAS(4) | SRT(2)), EXIT_STEP_A64);
	assert_int_equal(vcpu->regs.x[2], 0x44332211);
	fake_cpu()->el1.sctlr = SCTLR_EL1_EE;
	assert_int_equal(dabt(DEV_IPA, IL | ISV | SAS(4) | SRT(2)), EXIT_STEP_A64);
	assert_int_equal(vcpu->regs.x[2], 0x11223344);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, scene, NULL)

int main(void)
{
	const struct CMUnitTest tests[] = {
	    T(an_mmio_read_fills_the_register_and_steps_past_the_load),
	    T(a_16_bit_t32_access_steps_two_bytes),
	    T(an_mmio_write_reaches_the_device_masked_to_its_width),
	    T(a_refused_access_is_an_abort_at_the_vector_without_a_step),
	    T(an_access_to_nothing_or_without_a_syndrome_is_an_abort),
	    T(an_abort_outside_every_device_is_taken_at_el1_as_architected),
	    T(a_fetch_outside_ram_is_a_prefetch_abort),
	    T(aborts_again_and_again_in_its_vectors_ask_for_a_crash_and_leave),
	    T(wfit_and_wfet_are_undefined),
	    T(an_emulated_instruction_clears_btype),
	    T(an_emulated_t32_instruction_advances_the_it_block),
	    T(an_injected_exception_sets_pstate_as_the_architecture_says),
	    T(big_endian_guests_see_device_bytes_reversed),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
