/* SPDX-License-Identifier: Apache-2.0 */
/*
 * SMCCC routing and PSCI for a two-vCPU VM, through the HVC and SMC exit handlers, with the
 * rest of kestrel real on the fake arch: the answers, and what the calls ask of the others
 * (the vCPU reset, the kick of a CPU through the fake GIC, a vCPU's state let go on its CPU,
 * the lifecycle requests and the CPU that carries them out). vCPU 0 runs on CPU 0, vCPU 1 on
 * CPU 1.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include <kestrel/gicv3.h>
#include <kestrel/smccc.h>
#include <kestrel/vm.h>

#include "dispatch.h"
#include <arch/fake_arch.h>
#include <arch/fake_drivers.h>

#define RAM_IPA	 0x40000000ull
#define RAM_SIZE (256ull << 20)
#define PC	 0x40080000ull
#define HVC_ESR	 (((uint64_t)EC_HVC64 << 26) | ESR_IL)
#define SMC_ESR	 (((uint64_t)EC_SMC64 << 26) | ESR_IL)
#define NOT_SUPP ((uint64_t)(int64_t)SMCCC_NOT_SUPPORTED)
#define FN64(fn) ((fn) | PSCI_64BIT)

static struct vm vm;
static struct pcpu cpus[2];
static struct vcpu *const vcpu0 = &vm.vcpus[0], *const vcpu1 = &vm.vcpus[1];

/* --- what the rest of kestrel (the real one, on the fake arch) was asked --- */

static struct {
	exit_result result; /* what the last call answered the dispatcher */
} k;

/* Kicks (SGI_KICK through the fake GIC) sent to CPU i. */
static unsigned kicks_to(unsigned i)
{
	unsigned n = 0;

	for (unsigned s = 0; s < fake_drivers.nsgis && s < FAKE_SGI_MAX; s++)
		n += fake_drivers.sgis[s].target_mpidr == cpus[i].mpidr &&
		     fake_drivers.sgis[s].intid == SGI_KICK;
	return n;
}

/* The lifecycle requests the VM made (vm_lifecycle.c's scheduler would carry them out). */
static bool stop_asked(void)
{
	return vm.requests & VM_REQ_STOP;
}

static bool reset_asked(void)
{
	return vm.requests & VM_REQ_RESET;
}

/* Runs stmt, whose call must answer EXIT_LEAVE (the dispatcher takes the vCPU off its CPU). */
#define EXPECT_LEAVE(stmt)                                                                         \
	do {                                                                                       \
		k.result = 0;                                                                      \
		stmt;                                                                              \
		assert_int_equal(k.result &EXIT_LEAVE, EXIT_LEAVE);                                \
	} while (0)

static int new_vm(void **state)
{
	(void)state;
	memset(&vm, 0, sizeof(vm));
	memset(&k, 0, sizeof(k));
	memset(cpus, 0, sizeof(cpus));
	fake_arch_reset();
	fake_drivers_reset();
	fake_arch.pcpus = cpus; /* the calls run on CPU 0, vCPU 0's */
	vm.vcpu_count = 2;
	vm.job.cpu = -1; /* no CPU carries out a request yet */
	vm.ram_ipa = ipa_init(RAM_IPA);
	vm.ram_size = RAM_SIZE;
	vm.state = VM_RUNNING;
	for (unsigned i = 0; i < 2; i++) {
		vm.vcpus[i].vm = &vm;
		vm.vcpus[i].id = i;
		vm.vcpus[i].vmpidr = 0x80000000u | i;
		vm.vcpus[i].pcpu = &cpus[i];
		vm.vcpus[i].regs.pc = PC;
		cpus[i].id = i;
		cpus[i].mpidr = 0x100 * i;
	}
	vcpu0->power = VCPU_ON;
	vcpu1->power = VCPU_OFF;
	return 0;
}

static void smc_exit(struct vcpu *vcpu, uint64_t esr)
{
	k.result = run_exit(smccc_smc_exit, vcpu, esr);
}

/* An HVC #0 from vcpu with x0..x3 set; returns x0 afterwards. */
static uint64_t hvc(struct vcpu *vcpu, uint32_t fid, uint64_t a1, uint64_t a2, uint64_t a3)
{
	vcpu->regs.x[0] = fid;
	vcpu->regs.x[1] = a1;
	vcpu->regs.x[2] = a2;
	vcpu->regs.x[3] = a3;
	k.result = run_exit(smccc_hvc_exit, vcpu, HVC_ESR);
	return vcpu->regs.x[0];
}

static uint64_t ret(int64_t v)
{
	return (uint64_t)v;
}

/* --- SMCCC --- */

static void smccc_version_is_1_1(void **state)
{
	(void)state;
	assert_int_equal(hvc(vcpu0, SMCCC_VERSION, 0, 0, 0), 0x10001);
}

static void arch_features_announces_only_the_architectural_calls(void **state)
{
	(void)state;
	assert_int_equal(hvc(vcpu0, SMCCC_ARCH_FEATURES, SMCCC_VERSION, 0, 0), 0);
	assert_int_equal(hvc(vcpu0, SMCCC_ARCH_FEATURES, SMCCC_ARCH_FEATURES, 0, 0), 0);
	/* No Spectre workarounds (ARCH_WORKAROUND_1/2/3), no SOC_ID. */
	assert_int_equal(hvc(vcpu0, SMCCC_ARCH_FEATURES, 0x80008000, 0, 0), NOT_SUPP);
	assert_int_equal(hvc(vcpu0, SMCCC_ARCH_FEATURES, 0x80007fff, 0, 0), NOT_SUPP);
	assert_int_equal(hvc(vcpu0, SMCCC_ARCH_FEATURES, 0x80003fff, 0, 0), NOT_SUPP);
	assert_int_equal(hvc(vcpu0, SMCCC_ARCH_FEATURES, 0x80000002, 0, 0), NOT_SUPP);
	assert_int_equal(hvc(vcpu0, SMCCC_ARCH_FEATURES, PSCI_VERSION, 0, 0), NOT_SUPP);
	assert_int_equal(hvc(vcpu0, 0x80000002, 0, 0, 0), NOT_SUPP);
	assert_int_equal(hvc(vcpu0, 0x8000ff00, 0, 0, 0), NOT_SUPP); /* CALL_COUNT */
}

static void calls_to_other_owners_are_not_supported(void **state)
{
	/* CPU, SiP, OEM, standard hypervisor, vendor hypervisor, trusted apps, trusted OS. */
	static const uint32_t owners[] = {1, 2, 3, 5, 6, 0x30, 0x31, 0x3f};

	(void)state;
	for (unsigned i = 0; i < ARRAY_SIZE(owners); i++) {
		uint32_t fid = 0x80000000u | (owners[i] << 24);
		assert_int_equal(hvc(vcpu0, fid, 0, 0, 0), NOT_SUPP);
		assert_int_equal(hvc(vcpu0, fid | 0x40000000u, 0, 0, 0), NOT_SUPP);
		assert_int_equal(hvc(vcpu0, fid | 0x3, RAM_IPA + 1, RAM_IPA, 0), NOT_SUPP);
	}
	assert_int_equal(vcpu1->power, VCPU_OFF);
	assert_int_equal(fake_drivers.nsgis, 0);
}

/* --- PSCI discovery --- */

static void psci_version_is_1_1(void **state)
{
	(void)state;
	assert_int_equal(hvc(vcpu0, PSCI_VERSION, 0, 0, 0), 0x10001);
}

static void psci_features_of_implemented_calls_succeed(void **state)
{
	static const uint32_t fids[] = {
	    PSCI_VERSION,	PSCI_CPU_SUSPEND,	PSCI_CPU_OFF,	   PSCI_CPU_ON,
	    PSCI_AFFINITY_INFO, PSCI_MIGRATE_INFO_TYPE, PSCI_SYSTEM_OFF,   PSCI_SYSTEM_RESET,
	    PSCI_FEATURES,	FN64(PSCI_CPU_SUSPEND), FN64(PSCI_CPU_ON), FN64(PSCI_AFFINITY_INFO),
	    SMCCC_VERSION,
	};

	(void)state;
	for (unsigned i = 0; i < ARRAY_SIZE(fids); i++)
		if (hvc(vcpu0, PSCI_FEATURES, fids[i], 0, 0) != 0)
			fail_msg("PSCI_FEATURES(%#x) is not SUCCESS", fids[i]);
}

static void psci_features_of_other_calls_fail(void **state)
{
	static const uint32_t fids[] = {
	    PSCI_MIGRATE,
	    PSCI_MIGRATE_INFO_UP,
	    FN64(PSCI_MIGRATE),
	    FN64(PSCI_MIGRATE_INFO_UP),
	    0x8400000b /* CPU_FREEZE */,
	    0x8400000c /* CPU_DEFAULT_SUSPEND */,
	    0x8400000d /* NODE_HW_STATE */,
	    0x8400000e /* SYSTEM_SUSPEND */,
	    0xc400000e,
	    0x8400000f /* PSCI_SET_SUSPEND_MODE */,
	    0x84000010 /* STAT_RESIDENCY */,
	    0x84000012 /* SYSTEM_RESET2 */,
	    0x84000013 /* MEM_PROTECT */,
	    0x8400001f,
	    0x84000100,
	    0x85000000,
	    SMCCC_ARCH_FEATURES,
	    0x80008000,
	    0,
	    0xffffffff,
	};

	(void)state;
	for (unsigned i = 0; i < ARRAY_SIZE(fids); i++)
		if (hvc(vcpu0, PSCI_FEATURES, fids[i], 0, 0) != ret(PSCI_NOT_SUPPORTED))
			fail_msg("PSCI_FEATURES(%#x) is not NOT_SUPPORTED", fids[i]);
}

static void unimplemented_psci_calls_are_not_supported(void **state)
{
	(void)state;
	assert_int_equal(hvc(vcpu0, PSCI_MIGRATE, 1, 0, 0), ret(PSCI_NOT_SUPPORTED));
	assert_int_equal(hvc(vcpu0, PSCI_MIGRATE_INFO_UP, 0, 0, 0), ret(PSCI_NOT_SUPPORTED));
	assert_int_equal(hvc(vcpu0, 0x8400000e, RAM_IPA, 0, 0), ret(PSCI_NOT_SUPPORTED));
	assert_int_equal(hvc(vcpu0, 0x84000012, 0, 0, 0), ret(PSCI_NOT_SUPPORTED));
	assert_int_equal(hvc(vcpu0, 0x8400001f, 0, 0, 0), ret(PSCI_NOT_SUPPORTED));
	assert_int_equal(vm.requests, 0);
}

static void migrate_info_type_says_migration_is_not_required(void **state)
{
	(void)state;
	assert_int_equal(hvc(vcpu0, PSCI_MIGRATE_INFO_TYPE, 0, 0, 0), 2);
}

/* --- CPU_ON --- */

static void cpu_on_resets_the_target_and_kicks_its_cpu(void **state)
{
	(void)state;
	vcpu1->regs.x[5] = 0x5555;
	vcpu1->regs.pstate = 0;
	vcpu1->sys.sctlr = 0x1005; /* MMU on from a previous life */
	assert_int_equal(hvc(vcpu0, FN64(PSCI_CPU_ON), 1, RAM_IPA + 0x1000, 0xc0ffee), 0);
	assert_int_equal(vcpu1->power, VCPU_ON_PENDING);
	assert_int_equal(vcpu1->regs.pc, RAM_IPA + 0x1000);
	assert_int_equal(vcpu1->regs.x[0], 0xc0ffee);
	assert_int_equal(vcpu1->regs.x[5], 0);
	assert_int_equal(vcpu1->regs.pstate, 0x3c5); /* EL1h, DAIF masked */
	assert_int_equal(vcpu1->sys.sctlr & 1, 0);   /* MMU off */
	assert_int_equal(vcpu1->vmpidr, 0x80000001);
	assert_int_equal(kicks_to(1), 1);
	assert_int_equal(fake_drivers.nsgis, 1);
	/* The caller goes on at the instruction after its HVC, with its registers kept. */
	assert_int_equal(vcpu0->regs.pc, PC);
	assert_int_equal(vcpu0->regs.x[1], 1);
}

static void cpu_on_of_a_running_vcpu_is_already_on(void **state)
{
	(void)state;
	vcpu0->regs.x[9] = 99;
	assert_int_equal(hvc(vcpu0, PSCI_CPU_ON, 0, RAM_IPA, 0), ret(PSCI_ALREADY_ON));
	assert_int_equal(vcpu0->regs.x[9], 99);
	assert_int_equal(vcpu0->power, VCPU_ON);
	assert_int_equal(fake_drivers.nsgis, 0);
}

static void cpu_on_twice_before_it_runs_is_on_pending(void **state)
{
	(void)state;
	assert_int_equal(hvc(vcpu0, PSCI_CPU_ON, 1, RAM_IPA + 0x100, 1), 0);
	assert_int_equal(hvc(vcpu0, PSCI_CPU_ON, 1, RAM_IPA + 0x200, 2), ret(PSCI_ON_PENDING));
	assert_int_equal(vcpu1->regs.pc, RAM_IPA + 0x100);
	assert_int_equal(vcpu1->regs.x[0], 1);
	assert_int_equal(kicks_to(1), 1);
}

static void cpu_on_of_an_unknown_mpidr_is_invalid_parameters(void **state)
{
	static const uint64_t mpidrs[] = {2, 0x100, 0x10000, 0x100000000ull, 0xff};

	(void)state;
	for (unsigned i = 0; i < ARRAY_SIZE(mpidrs); i++)
		assert_int_equal(hvc(vcpu0, FN64(PSCI_CPU_ON), mpidrs[i], RAM_IPA, 0),
				 ret(PSCI_INVALID_PARAMETERS));
	assert_int_equal(vcpu1->power, VCPU_OFF);
	assert_int_equal(fake_drivers.nsgis, 0);
}

static void cpu_on_outside_ram_or_misaligned_is_invalid_address(void **state)
{
	static const uint64_t entries[] = {
	    0,		RAM_IPA - 4,  RAM_IPA + RAM_SIZE, RAM_IPA + 2, RAM_IPA + RAM_SIZE - 2,
	    0x09000000, ~0ull & ~3ull};

	(void)state;
	for (unsigned i = 0; i < ARRAY_SIZE(entries); i++)
		assert_int_equal(hvc(vcpu0, FN64(PSCI_CPU_ON), 1, entries[i], 0),
				 ret(PSCI_INVALID_ADDRESS));
	assert_int_equal(vcpu1->power, VCPU_OFF);
	assert_int_equal(fake_drivers.nsgis, 0);
	/* The last word of RAM is a valid entry point. */
	assert_int_equal(hvc(vcpu0, FN64(PSCI_CPU_ON), 1, RAM_IPA + RAM_SIZE - 4, 0), 0);
}

static void cpu_on_smc32_form_takes_32_bit_arguments(void **state)
{
	(void)state;
	/* SMC32/HVC32 arguments are W registers: the upper halves are not part of the call. */
	assert_int_equal(hvc(vcpu0, PSCI_CPU_ON, 0xdead000000000001ull,
			     0xbeef000000000000ull | (RAM_IPA + 0x40), 0xf00d0000c0ffee00ull),
			 0);
	assert_int_equal(vcpu1->regs.pc, RAM_IPA + 0x40);
	assert_int_equal(vcpu1->regs.x[0], 0xc0ffee00);
}

static void cpu_on_smc64_form_takes_64_bit_arguments(void **state)
{
	(void)state;
	vm.ram_ipa = ipa_init(0x8000000000ull); /* RAM above 4 GiB, only reachable with SMC64 */
	assert_int_equal(hvc(vcpu0, FN64(PSCI_CPU_ON), 1, 0x8000001000ull, 0x123456789ull), 0);
	assert_int_equal(vcpu1->regs.pc, 0x8000001000ull);
	assert_int_equal(vcpu1->regs.x[0], 0x123456789ull);
}

/* --- AFFINITY_INFO --- */

static void affinity_info_reports_each_power_state(void **state)
{
	(void)state;
	assert_int_equal(hvc(vcpu0, PSCI_AFFINITY_INFO, 1, 0, 0), PSCI_AFF_OFF);
	assert_int_equal(hvc(vcpu0, FN64(PSCI_AFFINITY_INFO), 0, 0, 0), PSCI_AFF_ON);
	assert_int_equal(hvc(vcpu0, PSCI_CPU_ON, 1, RAM_IPA, 0), 0);
	assert_int_equal(hvc(vcpu0, PSCI_AFFINITY_INFO, 1, 0, 0), PSCI_AFF_ON_PENDING);
	vcpu1->power = VCPU_ON; /* the scheduler ran it */
	assert_int_equal(hvc(vcpu0, FN64(PSCI_AFFINITY_INFO), 1, 0, 0), PSCI_AFF_ON);
}

static void affinity_info_refuses_higher_levels_and_unknown_cpus(void **state)
{
	(void)state;
	assert_int_equal(hvc(vcpu0, PSCI_AFFINITY_INFO, 0, 1, 0), ret(PSCI_INVALID_PARAMETERS));
	assert_int_equal(hvc(vcpu0, PSCI_AFFINITY_INFO, 0, 3, 0), ret(PSCI_INVALID_PARAMETERS));
	assert_int_equal(hvc(vcpu0, PSCI_AFFINITY_INFO, 7, 0, 0), ret(PSCI_INVALID_PARAMETERS));
}

/* --- conduits --- */

static void hvc_with_a_nonzero_immediate_is_not_supported(void **state)
{
	(void)state;
	vcpu0->regs.x[0] = PSCI_CPU_ON;
	vcpu0->regs.x[1] = 1;
	vcpu0->regs.x[2] = RAM_IPA;
	run_exit(smccc_hvc_exit, vcpu0, HVC_ESR | 0x4b56);
	assert_int_equal(vcpu0->regs.x[0], NOT_SUPP);
	assert_int_equal(vcpu0->regs.pc, PC);
	assert_int_equal(vcpu1->power, VCPU_OFF);
	assert_int_equal(fake_drivers.nsgis, 0);
	vcpu0->regs.x[0] = SMCCC_VERSION;
	run_exit(smccc_hvc_exit, vcpu0, HVC_ESR | 0x8000);
	assert_int_equal(vcpu0->regs.x[0], NOT_SUPP);
}

static void smc_exit_steps_over_the_smc_and_hvc_exit_does_not(void **state)
{
	(void)state;
	vcpu0->regs.x[0] = PSCI_VERSION;
	smc_exit(vcpu0, SMC_ESR);
	assert_int_equal(vcpu0->regs.x[0], 0x10001);
	assert_int_equal(vcpu0->regs.pc, PC + 4);

	vcpu0->regs.pc = PC;
	vcpu0->regs.x[0] = PSCI_VERSION;
	run_exit(smccc_hvc_exit, vcpu0, HVC_ESR);
	assert_int_equal(vcpu0->regs.x[0], 0x10001);
	assert_int_equal(vcpu0->regs.pc, PC);

	/* An SMC with an immediate is refused, and still stepped over. */
	vcpu0->regs.pc = PC;
	vcpu0->regs.x[0] = PSCI_VERSION;
	smc_exit(vcpu0, SMC_ESR | 1);
	assert_int_equal(vcpu0->regs.x[0], NOT_SUPP);
	assert_int_equal(vcpu0->regs.pc, PC + 4);
}

static void smc_conduit_reaches_cpu_on(void **state)
{
	(void)state;
	vcpu0->regs.x[0] = FN64(PSCI_CPU_ON);
	vcpu0->regs.x[1] = 1;
	vcpu0->regs.x[2] = RAM_IPA + 0x2000;
	vcpu0->regs.x[3] = 42;
	smc_exit(vcpu0, SMC_ESR);
	assert_int_equal(vcpu0->regs.x[0], 0);
	assert_int_equal(vcpu1->power, VCPU_ON_PENDING);
	assert_int_equal(vcpu1->regs.pc, RAM_IPA + 0x2000);
}

/* --- power down, suspend, system calls --- */

static void cpu_off_powers_the_vcpu_off_and_leaves_the_cpu(void **state)
{
	(void)state;
	/* vCPU 1 runs on CPU 1, its EL1 state and FP/SIMD registers there. */
	vcpu1->power = VCPU_ON;
	fake_arch.this_cpu = 1;
	vcpu_load(vcpu1);
	cpus[1].current = cpus[1].fp_owner = vcpu1;
	EXPECT_LEAVE(hvc(vcpu1, PSCI_CPU_OFF, 0, 0, 0));
	assert_int_equal(vcpu1->power, VCPU_OFF);
	/* Its state left its CPU, so a CPU_ON later runs from the reset state, loaded afresh. */
	assert_null(cpus[1].loaded);
	assert_null(cpus[1].fp_owner);
	assert_int_equal(fake_arch.cpu[1].puts, 1);
	assert_false(fake_arch.cpu[1].guest_regime);
	assert_false(stop_asked()); /* vcpu0 still runs */
	fake_arch.this_cpu = 0;
	assert_int_equal(hvc(vcpu0, PSCI_AFFINITY_INFO, 1, 0, 0), PSCI_AFF_OFF);
}

static void last_cpu_off_stops_the_vm(void **state)
{
	(void)state;
	EXPECT_LEAVE(hvc(vcpu0, PSCI_CPU_OFF, 0, 0, 0));
	assert_int_equal(vcpu0->power, VCPU_OFF);
	assert_true(stop_asked());
	assert_string_equal(vm.stop_why, "all vCPUs powered off");
}

static void cpu_off_with_a_vcpu_still_pending_does_not_stop_the_vm(void **state)
{
	(void)state;
	assert_int_equal(hvc(vcpu0, PSCI_CPU_ON, 1, RAM_IPA, 0), 0);
	EXPECT_LEAVE(hvc(vcpu0, PSCI_CPU_OFF, 0, 0, 0));
	assert_false(stop_asked());
}

static void system_off_stops_the_vm(void **state)
{
	(void)state;
	EXPECT_LEAVE(hvc(vcpu1, PSCI_SYSTEM_OFF, 0, 0, 0));
	assert_int_equal(vm.requests, VM_REQ_POWEROFF); /* its on-poweroff policy decides */
	/* The VM's CPUs are told: CPU 1 by an SGI, this one by its resched word. */
	assert_int_equal(kicks_to(1), 1);
	assert_true(cpus[0].resched & RESCHED_LIFECYCLE);
}

/* SYSTEM_RESET from vCPU 0 while vCPU 1 is being turned on: the CPU_ON that comes after the
   request is refused, so no vCPU of this boot survives into the next. */
static void cpu_on_after_a_lifecycle_request_is_denied(void **state)
{
	unsigned kicked;

	(void)state;
	EXPECT_LEAVE(hvc(vcpu0, PSCI_SYSTEM_RESET, 0, 0, 0));
	kicked = kicks_to(1); /* the request told the VM's CPUs */
	assert_int_equal(hvc(vcpu0, PSCI_CPU_ON, 1, RAM_IPA, 0), ret(PSCI_DENIED));
	assert_int_equal(vcpu1->power, VCPU_OFF);
	assert_int_equal(kicks_to(1), kicked);
	vm.requests = 0;
	vm.state = VM_STOPPING; /* its job has begun */
	assert_int_equal(hvc(vcpu0, PSCI_CPU_ON, 1, RAM_IPA, 0), ret(PSCI_DENIED));
	assert_int_equal(vcpu1->power, VCPU_OFF);
}

/* vCPU 1 turns itself off while vCPU 0's SYSTEM_RESET is asked or carried out (its job
   turned every vCPU off): the VM restarts, per its policy; its last CPU_OFF does not stop it. */
static void cpu_off_during_a_reset_does_not_stop_the_vm(void **state)
{
	(void)state;
	vcpu1->power = VCPU_ON;
	EXPECT_LEAVE(hvc(vcpu0, PSCI_SYSTEM_RESET, 0, 0, 0));
	assert_true(reset_asked());
	vcpu0->power = VCPU_OFF; /* as if its job had begun but not yet taken the request */
	EXPECT_LEAVE(hvc(vcpu1, PSCI_CPU_OFF, 0, 0, 0));
	assert_false(stop_asked());
	vm.requests = 0;
	vm.state = VM_STOPPING; /* the job took the request */
	vcpu1->power = VCPU_ON;
	EXPECT_LEAVE(hvc(vcpu1, PSCI_CPU_OFF, 0, 0, 0));
	assert_int_equal(vcpu1->power, VCPU_OFF);
	assert_false(stop_asked());
}

static void system_reset_restarts_the_vm(void **state)
{
	(void)state;
	EXPECT_LEAVE(hvc(vcpu0, PSCI_SYSTEM_RESET, 0, 0, 0));
	assert_true(reset_asked());
	assert_false(stop_asked());
	assert_int_equal(vm.job.cpu, 0); /* the asking CPU carries it out */
}

static void cpu_suspend_blocks_like_wfi_and_returns_success(void **state)
{
	(void)state;
	/* Nothing pending: the vCPU blocks (the call answers EXIT_LEAVE: the dispatcher leaves
	   it), and resumes after the HVC with SUCCESS. */
	assert_int_equal(hvc(vcpu0, FN64(PSCI_CPU_SUSPEND), 0x10000, RAM_IPA, 0), 0);
	assert_true(vcpu0->blocked);
	assert_int_equal(k.result, EXIT_LEAVE);
	assert_int_equal(vcpu0->regs.x[0], 0);
	assert_int_equal(vcpu0->regs.pc, PC);
	assert_int_equal(vcpu0->power, VCPU_ON);
	/* An interrupt already pending: it returns at once. Through SMC, after the SMC. */
	vcpu0->blocked = false;
	vcpu0->vgic.want[0] = BIT(3); /* SGI 3 wanted, not active */
	vcpu0->regs.x[0] = PSCI_CPU_SUSPEND;
	smc_exit(vcpu0, SMC_ESR);
	assert_false(vcpu0->blocked);
	assert_int_equal(k.result, EXIT_STEP_A64);
	assert_int_equal(vcpu0->regs.x[0], 0);
	assert_int_equal(vcpu0->regs.pc, PC + 4);
}

/* The doorbell (shm.c) answers for a region the VM is not a member of, here any region:
   INVALID_PARAMETERS; other vendor-hypervisor calls, such as the UID query, are unknown. */
static void vendor_calls_reach_the_doorbell_only(void **state)
{
	(void)state;
	assert_int_equal(hvc(vcpu0, 0x86000001u, 0, 0, 0), ret(PSCI_INVALID_PARAMETERS));
	assert_int_equal(hvc(vcpu0, 0x86000001u, 5, 0, 0), ret(PSCI_INVALID_PARAMETERS));
	assert_int_equal(hvc(vcpu0, 0x8600ff01u, 0, 0, 0), NOT_SUPP);
	assert_int_equal(hvc(vcpu0, 0x86000002u, 0, 0, 0), NOT_SUPP);
}

/* PSCI defines these only as SMC32/HVC32 calls: their 64-bit ids are unknown functions. */
static void sixty_four_bit_ids_of_32_bit_only_calls_are_not_supported(void **state)
{
	static const uint32_t only32[] = {PSCI_VERSION,		  PSCI_CPU_OFF,
					  PSCI_MIGRATE_INFO_TYPE, PSCI_SYSTEM_OFF,
					  PSCI_SYSTEM_RESET,	  PSCI_FEATURES};

	(void)state;
	for (unsigned i = 0; i < ARRAY_SIZE(only32); i++) {
		assert_int_equal(hvc(vcpu0, FN64(only32[i]), 0, 0, 0), (uint64_t)-1);
		assert_int_equal(hvc(vcpu0, PSCI_FEATURES, FN64(only32[i]), 0, 0), (uint64_t)-1);
	}
	assert_int_equal(vm.requests, 0);
	assert_int_equal(vcpu0->power, VCPU_ON);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, new_vm, NULL)

int main(void)
{
	const struct CMUnitTest tests[] = {
	    T(smccc_version_is_1_1),
	    T(vendor_calls_reach_the_doorbell_only),
	    T(sixty_four_bit_ids_of_32_bit_only_calls_are_not_supported),
	    T(arch_features_announces_only_the_architectural_calls),
	    T(calls_to_other_owners_are_not_supported),
	    T(psci_version_is_1_1),
	    T(psci_features_of_implemented_calls_succeed),
	    T(psci_features_of_other_calls_fail),
	    T(unimplemented_psci_calls_are_not_supported),
	    T(migrate_info_type_says_migration_is_not_required),
	    T(cpu_on_resets_the_target_and_kicks_its_cpu),
	    T(cpu_on_of_a_running_vcpu_is_already_on),
	    T(cpu_on_twice_before_it_runs_is_on_pending),
	    T(cpu_on_of_an_unknown_mpidr_is_invalid_parameters),
	    T(cpu_on_outside_ram_or_misaligned_is_invalid_address),
	    T(cpu_on_smc32_form_takes_32_bit_arguments),
	    T(cpu_on_smc64_form_takes_64_bit_arguments),
	    T(affinity_info_reports_each_power_state),
	    T(affinity_info_refuses_higher_levels_and_unknown_cpus),
	    T(hvc_with_a_nonzero_immediate_is_not_supported),
	    T(smc_exit_steps_over_the_smc_and_hvc_exit_does_not),
	    T(smc_conduit_reaches_cpu_on),
	    T(cpu_off_powers_the_vcpu_off_and_leaves_the_cpu),
	    T(last_cpu_off_stops_the_vm),
	    T(cpu_off_with_a_vcpu_still_pending_does_not_stop_the_vm),
	    T(system_off_stops_the_vm),
	    T(cpu_off_during_a_reset_does_not_stop_the_vm),
	    T(system_reset_restarts_the_vm),
	    T(cpu_on_after_a_lifecycle_request_is_denied),
	    T(cpu_suspend_blocks_like_wfi_and_returns_success),
	};

	return cmocka_run_group_tests_name("psci", tests, NULL, NULL);
}
