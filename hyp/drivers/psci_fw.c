/* SPDX-License-Identifier: Apache-2.0 */
/* Calls to the machine's PSCI firmware (SMC conduit): CPU bring-up and power-off. */
#include <kestrel/psci_fw.h>
#include <kestrel/lib.h>
#include <kestrel/smccc_ids.h>

#define PSCI_CPU_ON_64 0xc4000003u

int64_t psci_fw_call(uint64_t fn, uint64_t a1, uint64_t a2, uint64_t a3)
{
	return psci_fw_smc(fn, a1, a2, a3);
}

void psci_fw_system_off(void)
{
	psci_fw_call(PSCI_SYSTEM_OFF, 0, 0, 0);
	panic("PSCI SYSTEM_OFF returned");
}
