/* SPDX-License-Identifier: Apache-2.0 */
/* Calls to the machine's PSCI firmware (psci_fw.c). */
#ifndef KESTREL_PSCI_FW_H
#define KESTREL_PSCI_FW_H

#include <kestrel/types.h>

int64_t psci_fw_call(uint64_t fn, uint64_t a1, uint64_t a2, uint64_t a3);
int64_t psci_fw_smc(uint64_t fn, uint64_t a1, uint64_t a2, uint64_t a3);
NORETURN void psci_fw_system_off(void);

#endif
