/* SPDX-License-Identifier: Apache-2.0 */
/*
 * smccc: the SMCCC and PSCI interface kestrel offers through "hvc #0" (and "smc #0"),
 * including starting and stopping the second vCPU. Boot with 2 vCPUs.
 */
#include "boot_info.h"
#include "check.h"
#include "printf.h"
#include "runtime.h"
#include "smccc.h"
#include "sysreg.h"

/* The context id handed to vCPU 1: its stack slot (1) plus a tag that makes it recognisable. */
#define CONTEXT_TAG 0xc0de0000ul
#define VCPU1_SLOT  1ul

/* Written by vCPU 1: how many times it ran, the context id it received last, and the
   CONTEXTIDR_EL1 it found: CPU_ON starts a vCPU from reset, whatever it left behind. */
static volatile uint64_t vcpu1_runs;
static volatile uint64_t vcpu1_context;
static volatile uint64_t vcpu1_contextidr;

#define LEFT_BEHIND 0x5a5a

void secondary_main(uint64_t context)
{
	printf("vcpu 1 up, context 0x%lx\n", context);
	vcpu1_contextidr = read_sysreg(contextidr_el1);
	write_sysreg(contextidr_el1, LEFT_BEHIND);
	vcpu1_context = context;
	dsb_sy(); /* the context must be visible before the flag that announces it */
	vcpu1_runs = vcpu1_runs + 1;
	dsb_sy();
	sev();
	psci_cpu_off();
}

/* Return codes are negative numbers: print them as such. */
static void check_ret(const char *what, int64_t actual, int64_t expected)
{
	if (actual == expected)
		check(true, "%s = %ld", what, actual);
	else
		check(false, "%s = %ld (expected %ld)", what, actual, expected);
}

static void check_not_supported(uint32_t id)
{
	int64_t ret = smccc_call(id, 0, 0, 0, NULL);

	check(ret == SMCCC_NOT_SUPPORTED, "unknown function 0x%x -> NOT_SUPPORTED (%ld)", id, ret);
}

/*
 * Waits for cond(arg) to hold, for at most WAIT_SECONDS of counter time: a bound on time
 * rather than on iterations, since one iteration may be a memory read or a hypercall, and
 * kestrel may itself be running on an emulator.
 */
#define WAIT_SECONDS 10
static bool wait_for(bool (*cond)(uint64_t), uint64_t arg)
{
	uint64_t deadline = counter_now() + WAIT_SECONDS * counter_freq();

	while (!cond(arg))
		if (counter_now() > deadline)
			return false;
	return true;
}

static bool vcpu1_ran(uint64_t times)
{
	dmb_sy();
	return vcpu1_runs >= times;
}

static bool vcpu_is_off(uint64_t mpidr)
{
	return psci_affinity_info(mpidr) == PSCI_AFFINITY_OFF;
}

/*
 * One CPU_ON / CPU_OFF round trip of vCPU 1; 'round' counts from 1. Nothing is printed
 * until vCPU 1 has finished its own line, so the two vCPUs never write to the UART at once.
 */
static void start_vcpu1(uint64_t mpidr, uint64_t round)
{
	uint64_t context = CONTEXT_TAG | (round << 8) | VCPU1_SLOT;
	int64_t ret = psci_cpu_on(mpidr, entry_ipa(secondary_entry), context);
	bool ran = ret == PSCI_SUCCESS && wait_for(vcpu1_ran, round);

	check_ret("CPU_ON of vCPU 1", ret, PSCI_SUCCESS);
	if (!check(ran, "vCPU 1 ran (start %lu)", round))
		return;
	check_eq("context id received by vCPU 1", vcpu1_context, context);
	check_eq("CONTEXTIDR_EL1 vCPU 1 found at its start (reset, not what it left)",
		 vcpu1_contextidr, 0);
	check(wait_for(vcpu_is_off, mpidr), "AFFINITY_INFO reports vCPU 1 OFF after its CPU_OFF");
}

int main(const void *dtb)
{
	static const uint32_t implemented[] = {
	    PSCI_VERSION,	    PSCI_CPU_OFF,    PSCI_CPU_ON,	PSCI_AFFINITY_INFO,
	    PSCI_MIGRATE_INFO_TYPE, PSCI_SYSTEM_OFF, PSCI_SYSTEM_RESET, PSCI_FEATURES,
	};
	(void)dtb;

	int64_t version = smccc_call(SMCCC_VERSION, 0, 0, 0, NULL);
	check(version >= 0x10001, "SMCCC_VERSION = 0x%lx, at least 1.1", version);
	check_ret("SMCCC_ARCH_FEATURES(0x8000ffff)",
		  smccc_call(SMCCC_ARCH_FEATURES, 0x8000ffff, 0, 0, NULL), SMCCC_NOT_SUPPORTED);
	/* An SMC32 call: its argument is W1, the upper half of X1 is not part of it. */
	check_ret("SMCCC_ARCH_FEATURES(SMCCC_ARCH_FEATURES), X1's upper half set",
		  smccc_call(SMCCC_ARCH_FEATURES, 0xffffffff00000000ull | SMCCC_ARCH_FEATURES, 0, 0,
			     NULL),
		  0);
	check_ret(
	    "SMCCC_ARCH_FEATURES(SMCCC_VERSION), X1's upper half set",
	    smccc_call(SMCCC_ARCH_FEATURES, 0x5a5a5a5a00000000ull | SMCCC_VERSION, 0, 0, NULL), 0);
	check_not_supported(0xc2000000);
	check_not_supported(0x86000000);
	check_not_supported(0x8400ffff);

	check_eq("PSCI_VERSION", (uint64_t)psci_version(), 0x10001);
	for (unsigned i = 0; i < sizeof(implemented) / sizeof(implemented[0]); i++)
		check(psci_features(implemented[i]) == 0, "PSCI_FEATURES(0x%x) = 0",
		      implemented[i]);
	check_ret("PSCI_FEATURES(0x8400ffff)", psci_features(0x8400ffff), SMCCC_NOT_SUPPORTED);
	check_ret("MIGRATE_INFO_TYPE", psci_migrate_info_type(), 2);

	if (check(boot_info.num_cpus >= 2, "DTB lists %u vCPUs, need 2", boot_info.num_cpus)) {
		uint64_t self = read_sysreg(mpidr_el1) & MPIDR_AFFINITY_MASK;
		uint64_t vcpu1 = boot_info.cpu_mpidr[1];

		check_ret("AFFINITY_INFO of vCPU 1 before CPU_ON", psci_affinity_info(vcpu1),
			  PSCI_AFFINITY_OFF);
		start_vcpu1(vcpu1, 1);
		start_vcpu1(vcpu1, 2);
		check_ret("AFFINITY_INFO of the boot vCPU", psci_affinity_info(self),
			  PSCI_AFFINITY_ON);
		check_ret("CPU_ON of the boot vCPU itself",
			  psci_cpu_on(self, entry_ipa(secondary_entry), 0), PSCI_ALREADY_ON);
		check_ret("CPU_ON of MPIDR 0x80000007",
			  psci_cpu_on(0x80000007, entry_ipa(secondary_entry), 0),
			  PSCI_INVALID_PARAMETERS);
		/* Last: an implementation that accepted this would start vCPU 1 at 0x1000. */
		check_ret("CPU_ON of vCPU 1 with entry 0x1000 (outside RAM)",
			  psci_cpu_on(vcpu1, 0x1000, CONTEXT_TAG | VCPU1_SLOT),
			  PSCI_INVALID_ADDRESS);
	}

	check_eq("PSCI_VERSION through smc #0",
		 (uint64_t)smccc_call_smc(PSCI_VERSION, 0, 0, 0, NULL), 0x10001);
	test_finish();
}
