/* SPDX-License-Identifier: Apache-2.0 */
/* SMC Calling Convention calls and the PSCI functions kestrel implements. */
#ifndef GUEST_SMCCC_H
#define GUEST_SMCCC_H

#include <stddef.h>
#include <stdint.h>

#define SMCCC_VERSION	    0x80000000u
#define SMCCC_ARCH_FEATURES 0x80000001u

#define PSCI_VERSION	       0x84000000u
#define PSCI_CPU_OFF	       0x84000002u
#define PSCI_CPU_ON	       0xc4000003u
#define PSCI_AFFINITY_INFO     0xc4000004u
#define PSCI_MIGRATE_INFO_TYPE 0x84000006u
#define PSCI_SYSTEM_OFF	       0x84000008u
#define PSCI_SYSTEM_RESET      0x84000009u
#define PSCI_FEATURES	       0x8400000au

/* Return values, as signed 64-bit numbers. */
#define SMCCC_NOT_SUPPORTED	(-1)
#define PSCI_SUCCESS		0
#define PSCI_INVALID_PARAMETERS (-2)
#define PSCI_ALREADY_ON		(-4)
#define PSCI_INVALID_ADDRESS	(-9)

#define PSCI_AFFINITY_ON	 0
#define PSCI_AFFINITY_OFF	 1
#define PSCI_AFFINITY_ON_PENDING 2

struct smccc_result {
	uint64_t x0, x1, x2, x3;
};

/* Calls function id through "hvc #0" (or "smc #0"); res may be NULL. Returns x0. */
int64_t smccc_call(uint32_t id, uint64_t a1, uint64_t a2, uint64_t a3, struct smccc_result *res);
int64_t smccc_call_smc(uint32_t id, uint64_t a1, uint64_t a2, uint64_t a3,
		       struct smccc_result *res);

int64_t psci_version(void);
int64_t psci_features(uint32_t id);
int64_t psci_cpu_on(uint64_t mpidr, uint64_t entry, uint64_t context);
int64_t psci_affinity_info(uint64_t mpidr);
int64_t psci_migrate_info_type(void);
void psci_cpu_off(void) __attribute__((noreturn));
void psci_system_off(void) __attribute__((noreturn));
void psci_system_reset(void) __attribute__((noreturn));

#endif
