/* SPDX-License-Identifier: Apache-2.0 */
/* The contract between the runtime (start.S, runtime.c) and a guest program. */
#ifndef GUEST_RUNTIME_H
#define GUEST_RUNTIME_H

#include <stdint.h>

/* Defined by each guest; called on the boot vCPU once the runtime is set up. */
int main(const void *dtb);

/*
 * Runs on a vCPU started with psci_cpu_on(mpidr, (uintptr_t)secondary_entry, context), where
 * the context's low byte is the vCPU's stack slot (1..MAX_VCPUS-1). The runtime's default
 * just turns the vCPU off again; guests that start vCPUs define their own.
 */
void secondary_main(uint64_t context);
void secondary_entry(void);

/* Reads the DTB (see boot_info.h) and points the console at its UART. */
void runtime_init(const void *dtb);

/* Turns a guest's own code address into the IPA a PSCI call wants (the MMU is off). */
static inline uint64_t entry_ipa(void (*fn)(void))
{
	return (uint64_t)(uintptr_t)fn;
}

#endif
