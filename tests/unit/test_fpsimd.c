/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Lazy FP/SIMD switching (fpsimd.c) on a fake CPU: the first FP instruction of a vCPU traps,
 * the registers of whoever owned them are saved into that vCPU and the trapping vCPU's are
 * loaded, the trap is lifted and the instruction runs again; kestrel's own use of the
 * registers (libfdt) saves the owner's first and traps the next guest use; loading a vCPU
 * traps FP unless its registers are still the ones in the CPU. SVE (kestrel/sve.h): a vCPU's
 * first SVE use turns its FP state into its SVE state, after which both traps take and give
 * back the whole SVE state, at its VM's vector length; no SVE register moves while FP or
 * SVE is trapped at EL2 (the fake aborts).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include <kestrel/fpsimd.h>
#include <kestrel/sve.h>
#include <kestrel/sysreg_defs.h>
#include <kestrel/vcpu.h>
#include <kestrel/vm.h>

#include <arch/fake_arch.h>

#include "dispatch.h"

#define FP_ESR	(((uint64_t)EC_FP_ASIMD << 26) | ESR_IL)
#define PC	0x40080000ull
#define A_TRAPS 0x1111ull /* what vCPU a traps besides FP (vcpu->cptr) */
#define B_TRAPS 0x2222ull

static struct vm vm;
static struct vcpu *const a = &vm.vcpus[0], *const b = &vm.vcpus[1];

/* A recognisable register file: every q word and FPSR/FPCR from seed. */
static void fill(struct fpsimd_state *st, uint64_t seed)
{
	for (unsigned i = 0; i < ARRAY_SIZE(st->q); i++)
		st->q[i] = seed + i;
	st->fpsr = seed ^ 0xf;
	st->fpcr = seed ^ 0xff;
}

static bool holds(const struct fpsimd_state *st, uint64_t seed)
{
	struct fpsimd_state want;

	fill(&want, seed);
	return !memcmp(st, &want, sizeof(want));
}

static int scene(void **state)
{
	(void)state;
	memset(&vm, 0, sizeof(vm));
	memset(pcpus, 0, sizeof(pcpus));
	fake_arch_reset();
	fake_arch.pcpus = pcpus;
	vm.vcpu_count = 2;
	vm.state = VM_RUNNING;
	for (unsigned i = 0; i < 2; i++) {
		vm.vcpus[i].vm = &vm;
		vm.vcpus[i].id = i;
		vm.vcpus[i].pcpu = &pcpus[0];
		vm.vcpus[i].power = VCPU_ON;
		vm.vcpus[i].regs.pc = PC;
	}
	a->cptr = A_TRAPS;
	b->cptr = B_TRAPS;
	fill(&a->fp, 0xa000);
	fill(&b->fp, 0xb000);
	/* b used FP last on this CPU: the registers are its, newer than its saved copy. */
	fill(&fake_arch.cpu[0].fp, 0xbbbb);
	pcpus[0].fp_owner = b;
	return 0;
}

static void a_first_use_saves_the_owner_loads_its_own_and_lifts_the_trap(void **state)
{
	(void)state;
	assert_int_equal(run_exit(fpsimd_exit, a, FP_ESR), EXIT_RESUME);
	assert_int_equal(a->regs.pc, PC); /* the FP instruction runs again */
	assert_true(holds(&b->fp, 0xbbbb));
	assert_true(holds(&fake_arch.cpu[0].fp, 0xa000));
	assert_ptr_equal(pcpus[0].fp_owner, a);
	assert_false(fake_arch.cpu[0].fp_trapped);
	assert_int_equal(fake_arch.cpu[0].traps, A_TRAPS);
}

static void the_owners_trap_only_lifts_the_trap(void **state)
{
	(void)state;
	fill(&b->fp, 0xdead); /* stale: must not be loaded */
	assert_int_equal(run_exit(fpsimd_exit, b, FP_ESR), EXIT_RESUME);
	assert_true(holds(&fake_arch.cpu[0].fp, 0xbbbb));
	assert_true(holds(&b->fp, 0xdead));
	assert_ptr_equal(pcpus[0].fp_owner, b);
	assert_false(fake_arch.cpu[0].fp_trapped);
	assert_int_equal(fake_arch.cpu[0].traps, B_TRAPS);
}

static void kestrels_own_use_saves_the_owner_and_traps_the_next_guest_use(void **state)
{
	(void)state;
	vcpu_load(a);
	fpsimd_claim_for_kestrel();
	assert_null(pcpus[0].fp_owner);
	assert_true(holds(&b->fp, 0xbbbb));
	assert_false(fake_arch.cpu[0].fp_trapped);
	assert_int_equal(fake_arch.cpu[0].traps, ARCH_TRAPS_NONE);
	fill(&fake_arch.cpu[0].fp, 0x5eed); /* kestrel's leftovers */
	fpsimd_release_from_kestrel();
	assert_true(fake_arch.cpu[0].fp_trapped);
	assert_int_equal(fake_arch.cpu[0].traps, A_TRAPS); /* the loaded vCPU's */
	/* b's next use loads its saved registers, not kestrel's leftovers. */
	assert_int_equal(run_exit(fpsimd_exit, b, FP_ESR), EXIT_RESUME);
	assert_true(holds(&fake_arch.cpu[0].fp, 0xbbbb));
}

static void loading_traps_fp_unless_the_registers_are_the_vcpus(void **state)
{
	(void)state;
	vcpu_load(b);
	assert_false(fake_arch.cpu[0].fp_trapped);
	assert_int_equal(fake_arch.cpu[0].traps, B_TRAPS);
	vcpu_put(b);
	vcpu_load(a);
	assert_true(fake_arch.cpu[0].fp_trapped);
	assert_int_equal(fake_arch.cpu[0].traps, A_TRAPS);
}

static void a_forgotten_vcpu_owns_nothing(void **state)
{
	(void)state;
	fpsimd_forget(a); /* not the owner: nothing changes */
	assert_ptr_equal(pcpus[0].fp_owner, b);
	fpsimd_forget(b);
	assert_null(pcpus[0].fp_owner);
	/* Its next use loads its saved registers: what the CPU held is not saved over them. */
	assert_int_equal(run_exit(fpsimd_exit, b, FP_ESR), EXIT_RESUME);
	assert_true(holds(&fake_arch.cpu[0].fp, 0xb000));
}

/* --- SVE --- */

#define SVE_ESR	 (((uint64_t)EC_SVE << 26) | ESR_IL)
#define VQ	 4 /* the VM's vector length: 512 bits */
#define VM_CPTR	 (CPTR_RES1 | CPTR_TZ | CPTR_TSM | CPTR_TTA | CPTR_TAM) /* as hyp.vcpu_cptr */
#define SVE_SIZE SVE_STATE_SIZE(VQ)

static uint8_t a_sve[SVE_SIZE], b_sve[SVE_SIZE];

static int sve_scene(void **state)
{
	scene(state);
	vm.sve_vq = VQ;
	a->cptr = b->cptr = VM_CPTR;
	a->sve_regs = a_sve;
	b->sve_regs = b_sve;
	memset(a_sve, 0xee, sizeof(a_sve)); /* not its registers yet */
	memset(b_sve, 0xee, sizeof(b_sve));
	memset(fake_arch.cpu[0].sve, 0x77, sizeof(fake_arch.cpu[0].sve)); /* another VM's */
	return 0;
}

/* The SVE state a vCPU gets from the FP state fill(seed) at its first SVE use. */
static bool sve_from_fp_seed(const uint8_t *z, uint64_t seed)
{
	struct fpsimd_state fp;

	fill(&fp, seed);
	for (unsigned n = 0; n < 32; n++)
		for (unsigned i = 0; i < VQ * SVE_VQ_BYTES; i++) {
			uint8_t want = i < 16 ? ((const uint8_t *)&fp.q[2 * n])[i] : 0;
			if (z[n * VQ * SVE_VQ_BYTES + i] != want)
				return false;
		}
	for (unsigned i = SVE_P_OFFSET(VQ); i < SVE_SIZE; i++) /* P0-P15 and FFR */
		if (z[i])
			return false;
	return true;
}

static void a_first_sve_use_turns_its_fp_state_into_sve_state(void **state)
{
	(void)state;
	assert_int_equal(run_exit(fpsimd_sve_exit, a, SVE_ESR), EXIT_RESUME);
	assert_int_equal(a->regs.pc, PC); /* the SVE instruction runs again */
	assert_true(a->sve_used);
	assert_int_equal(a->cptr, VM_CPTR); /* its traps when it does not own the registers */
	assert_true(holds(&b->fp, 0xbbbb)); /* the FP owner's saved as FP */
	assert_ptr_equal(pcpus[0].fp_owner, a);
	assert_true(sve_from_fp_seed(fake_arch.cpu[0].sve, 0xa000)); /* nothing of the last VM's */
	assert_int_equal(fake_arch.cpu[0].zcr_el1, VQ - 1);
	assert_int_equal(fake_arch.cpu[0].zcr_el2_vq, VQ);
	assert_false(fake_arch.cpu[0].fp_trapped);
	assert_int_equal(fake_arch.cpu[0].traps, VM_CPTR & ~CPTR_TZ);
}

static void the_fp_owners_first_sve_use_starts_from_its_live_registers(void **state)
{
	(void)state;
	fill(&b->fp, 0xdead); /* stale: the registers hold its newer 0xbbbb */
	assert_int_equal(run_exit(fpsimd_sve_exit, b, SVE_ESR), EXIT_RESUME);
	assert_true(sve_from_fp_seed(fake_arch.cpu[0].sve, 0xbbbb));
	assert_ptr_equal(pcpus[0].fp_owner, b);
	assert_int_equal(fake_arch.cpu[0].traps, VM_CPTR & ~CPTR_TZ);
}

static void sve_and_fp_vcpus_trade_the_registers_whichever_traps(void **state)
{
	(void)state;
	run_exit(fpsimd_sve_exit, a, SVE_ESR);
	memset(fake_arch.cpu[0].sve, 0x5a, SVE_SIZE); /* a's guest computes */
	fake_arch.cpu[0].zcr_el1 = 1;		      /* and shortens its vector length */
	/* b's FP use: a's whole SVE state is saved, b's FP state loaded, SVE trapped for b. */
	assert_int_equal(run_exit(fpsimd_exit, b, FP_ESR), EXIT_RESUME);
	assert_int_equal(fake_arch.cpu[0].sve_saves, 1);
	assert_int_equal(a_sve[0], 0x5a);
	assert_int_equal(a_sve[SVE_SIZE - 1], 0x5a);
	assert_int_equal(a->zcr, 1);
	assert_true(holds(&fake_arch.cpu[0].fp, 0xbbbb));  /* saved at a's first use */
	assert_int_equal(fake_arch.cpu[0].traps, VM_CPTR); /* TZ: the SVE bits are not b's */
	/* a's next FP/SIMD use (EC 0x07) brings its SVE state back, not an FP state. */
	memset(fake_arch.cpu[0].sve, 0x11, SVE_SIZE);
	assert_int_equal(run_exit(fpsimd_exit, a, FP_ESR), EXIT_RESUME);
	assert_int_equal(fake_arch.cpu[0].sve_restores, 2);
	assert_int_equal(fake_arch.cpu[0].sve[0], 0x5a);
	assert_int_equal(fake_arch.cpu[0].zcr_el1, 1);
	assert_int_equal(fake_arch.cpu[0].zcr_el2_vq, VQ);
	assert_int_equal(fake_arch.cpu[0].traps, VM_CPTR & ~CPTR_TZ);
	assert_true(holds(&b->fp, 0xbbbb));
}

static void loading_an_sve_vcpu_traps_sve_until_its_first_use(void **state)
{
	(void)state;
	run_exit(fpsimd_sve_exit, a, SVE_ESR);
	vcpu_load(a); /* still the owner: FP untrapped, SVE trapped as for every vCPU */
	assert_false(fake_arch.cpu[0].fp_trapped);
	assert_int_equal(fake_arch.cpu[0].traps, VM_CPTR);
	/* Its first SVE use since the load only lifts the trap: nothing moves. */
	assert_int_equal(run_exit(fpsimd_sve_exit, a, SVE_ESR), EXIT_RESUME);
	assert_int_equal(fake_arch.cpu[0].traps, VM_CPTR & ~CPTR_TZ);
	assert_int_equal(fake_arch.cpu[0].sve_saves + fake_arch.cpu[0].sve_restores, 1);
	vcpu_put(a);
	run_exit(fpsimd_exit, b, FP_ESR);
	vcpu_load(a);
	assert_true(fake_arch.cpu[0].fp_trapped); /* FP and SVE */
	/* kestrel's own FP use saves a's SVE state; its next use traps and brings it back. */
	run_exit(fpsimd_exit, a, FP_ESR);
	unsigned saves = fake_arch.cpu[0].sve_saves;
	fpsimd_claim_for_kestrel();
	assert_null(pcpus[0].fp_owner);
	assert_int_equal(fake_arch.cpu[0].sve_saves, saves + 1);
	fpsimd_release_from_kestrel();
	assert_true(fake_arch.cpu[0].fp_trapped);
}

static void without_sve_the_trap_is_an_undef_and_nothing_moves(void **state)
{
	(void)state;
	vm.sve_vq = 0;
	fake_cpu()->el1.vbar = 0x40000000;
	run_exit(fpsimd_sve_exit, a, SVE_ESR);
	assert_int_equal(fake_arch.exceptions, 1);
	assert_false(a->sve_used);
	assert_int_equal(a->cptr, VM_CPTR);
	assert_ptr_equal(pcpus[0].fp_owner, b);
	assert_int_equal(fake_arch.cpu[0].sve_saves + fake_arch.cpu[0].sve_restores, 0);
}

static void a_reset_traps_sve_again(void **state)
{
	(void)state;
	run_exit(fpsimd_sve_exit, a, SVE_ESR);
	fpsimd_forget(a); /* CPU_OFF */
	vcpu_reset(a, PC, 0);
	assert_false(a->sve_used);
	assert_int_equal(a->cptr, VM_CPTR);
	/* Its next first use starts from its zeroed FP state, not its last SVE state. */
	run_exit(fpsimd_sve_exit, a, SVE_ESR);
	for (unsigned i = 0; i < SVE_SIZE; i++)
		assert_int_equal(fake_arch.cpu[0].sve[i], 0);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, scene, NULL)
#define S(fn) cmocka_unit_test_setup_teardown(fn, sve_scene, NULL)

int main(void)
{
	const struct CMUnitTest tests[] = {
	    T(a_first_use_saves_the_owner_loads_its_own_and_lifts_the_trap),
	    T(the_owners_trap_only_lifts_the_trap),
	    T(kestrels_own_use_saves_the_owner_and_traps_the_next_guest_use),
	    T(loading_traps_fp_unless_the_registers_are_the_vcpus),
	    T(a_forgotten_vcpu_owns_nothing),
	    S(a_first_sve_use_turns_its_fp_state_into_sve_state),
	    S(the_fp_owners_first_sve_use_starts_from_its_live_registers),
	    S(sve_and_fp_vcpus_trade_the_registers_whichever_traps),
	    S(loading_an_sve_vcpu_traps_sve_until_its_first_use),
	    S(without_sve_the_trap_is_an_undef_and_nothing_moves),
	    S(a_reset_traps_sve_again),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
