/* SPDX-License-Identifier: Apache-2.0 */
/* TLB and cache maintenance for the guests' memory. */
#include <kestrel/arch.h>
#include <kestrel/sysreg_defs.h>

/* TLBI VMALLS12E1IS acts on the VMID in VTTBR_EL2: borrow it, whatever this CPU runs. */
void arch_s2_tlb_flush(uint64_t vttbr)
{
	uint64_t saved = read_sysreg(vttbr_el2);

	dsb(ishst);
	write_sysreg(vttbr_el2, vttbr);
	isb();
	__asm__ volatile("tlbi vmalls12e1is" ::: "memory");
	dsb(ish);
	write_sysreg(vttbr_el2, saved);
	isb();
}

/* A pure invalidation by set/way could discard other owners' data: always clean it too. */
void arch_dc_cisw(uint64_t setway)
{
	__asm__ volatile("dc cisw, %0" : : "r"(setway) : "memory");
}
