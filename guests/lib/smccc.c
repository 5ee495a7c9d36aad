/* SPDX-License-Identifier: Apache-2.0 */
#include <stddef.h>
#include "smccc.h"

int64_t psci_version(void)
{
	return smccc_call(PSCI_VERSION, 0, 0, 0, NULL);
}

int64_t psci_features(uint32_t id)
{
	return smccc_call(PSCI_FEATURES, id, 0, 0, NULL);
}

int64_t psci_cpu_on(uint64_t mpidr, uint64_t entry, uint64_t context)
{
	return smccc_call(PSCI_CPU_ON, mpidr, entry, context, NULL);
}

/* Level 0: the state of exactly this vCPU. */
int64_t psci_affinity_info(uint64_t mpidr)
{
	return smccc_call(PSCI_AFFINITY_INFO, mpidr, 0, 0, NULL);
}

int64_t psci_migrate_info_type(void)
{
	return smccc_call(PSCI_MIGRATE_INFO_TYPE, 0, 0, 0, NULL);
}

/* These do not return when they work; if one does, park the vCPU rather than run on. */
static void __attribute__((noreturn)) park(void)
{
	for (;;)
		__asm__ __volatile__("wfi");
}

void psci_cpu_off(void)
{
	smccc_call(PSCI_CPU_OFF, 0, 0, 0, NULL);
	park();
}

void psci_system_off(void)
{
	smccc_call(PSCI_SYSTEM_OFF, 0, 0, 0, NULL);
	park();
}

void psci_system_reset(void)
{
	smccc_call(PSCI_SYSTEM_RESET, 0, 0, 0, NULL);
	park();
}
