/* SPDX-License-Identifier: Apache-2.0 */
/* kestrel's own faults at EL2: what the panic report reads, and the selftest that makes one. */
#include <kestrel/arch.h>
#include <kestrel/sysreg_defs.h>

void arch_el2_fault(struct arch_el2_fault *f)
{
	f->esr = read_sysreg(esr_el2);
	f->far = read_sysreg(far_el2);
	f->elr = read_sysreg(elr_el2);
	f->spsr = read_sysreg(spsr_el2);
}

/* In assembly: a C dereference of a constant address is one the compiler may reason away. */
uint64_t arch_load_unmapped(uintptr_t addr)
{
	uint64_t v;

	__asm__ volatile("ldr %0, [%1]" : "=r"(v) : "r"(addr) : "memory");
	return v;
}
