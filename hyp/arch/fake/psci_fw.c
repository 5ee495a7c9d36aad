/* SPDX-License-Identifier: Apache-2.0 */
/* The machine's PSCI firmware on the host: it records the calls and answers as a test says. */
#include <stdlib.h>

#include <kestrel/psci_fw.h>

#include <arch/fake_drivers.h>

int64_t psci_fw_smc(uint64_t fn, uint64_t a1, uint64_t a2, uint64_t a3)
{
	(void)a1, (void)a2, (void)a3;
	fake_drivers.psci_calls++;
	fake_drivers.psci_last_fn = fn;
	return fake_drivers.psci_result;
}

int64_t psci_fw_call(uint64_t fn, uint64_t a1, uint64_t a2, uint64_t a3)
{
	return psci_fw_smc(fn, a1, a2, a3);
}

/* The machine would be off: the test's hook takes over (a longjmp), or the program ends. */
void psci_fw_system_off(void)
{
	fake_drivers.system_offs++;
	if (fake_drivers.system_off)
		fake_drivers.system_off();
	abort();
}
