/* SPDX-License-Identifier: Apache-2.0 */
/* SMCCC and PSCI function identifiers and return codes (Arm DEN0028, DEN0022). */
#ifndef KESTREL_SMCCC_IDS_H
#define KESTREL_SMCCC_IDS_H

#define SMCCC_OWNER(fid)       (((fid) >> 24) & 0x3f)
#define SMCCC_OWNER_ARCH       0
#define SMCCC_OWNER_STANDARD   4
#define SMCCC_OWNER_VENDOR_HYP 6
#define SMCCC_IS_64(fid)       (((fid) >> 30) & 1)

#define SMCCC_VERSION	    0x80000000u
#define SMCCC_ARCH_FEATURES 0x80000001u
#define SMCCC_VERSION_1_1   0x10001
#define SMCCC_NOT_SUPPORTED (-1)

#define PSCI_VERSION	       0x84000000u
#define PSCI_CPU_SUSPEND       0x84000001u
#define PSCI_CPU_OFF	       0x84000002u
#define PSCI_CPU_ON	       0x84000003u
#define PSCI_AFFINITY_INFO     0x84000004u
#define PSCI_MIGRATE	       0x84000005u
#define PSCI_MIGRATE_INFO_TYPE 0x84000006u
#define PSCI_MIGRATE_INFO_UP   0x84000007u
#define PSCI_SYSTEM_OFF	       0x84000008u
#define PSCI_SYSTEM_RESET      0x84000009u
#define PSCI_FEATURES	       0x8400000au
#define PSCI_64BIT	       0x40000000u /* the SMC64 form of the same call */
#define PSCI_VERSION_1_1       0x10001

#define PSCI_SUCCESS		0
#define PSCI_NOT_SUPPORTED	(-1)
#define PSCI_INVALID_PARAMETERS (-2)
#define PSCI_DENIED		(-3)
#define PSCI_ALREADY_ON		(-4)
#define PSCI_ON_PENDING		(-5)
#define PSCI_INVALID_ADDRESS	(-9)

#define PSCI_AFF_ON		  0
#define PSCI_AFF_OFF		  1
#define PSCI_AFF_ON_PENDING	  2
#define PSCI_MIGRATE_NOT_REQUIRED 2

#endif
