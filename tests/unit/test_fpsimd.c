/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Lazy FP/SIMD switching (fpsimd.c) on a fake CPU: the first FP instruction of a vCPU traps,
 * the registers of whoever owned them are saved into that vCPU and the trapping vCPU's are
 * loaded, the trap is lifted and the instruction runs again; kestrel's own use of the
 * registers (libfdt) saves the owner's first and traps the next guest use; loading a vCPU
 * traps FP unless its registers are still the ones in the CPU.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include <kestrel/fpsimd.h>
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

#define T(fn) cmocka_unit_test_setup_teardown(fn, scene, NULL)

int main(void)
{
	const struct CMUnitTest tests[] = {
	    T(a_first_use_saves_the_owner_loads_its_own_and_lifts_the_trap),
	    T(the_owners_trap_only_lifts_the_trap),
	    T(kestrels_own_use_saves_the_owner_and_traps_the_next_guest_use),
	    T(loading_traps_fp_unless_the_registers_are_the_vcpus),
	    T(a_forgotten_vcpu_owns_nothing),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
