/* SPDX-License-Identifier: Apache-2.0 */
/* kestrel's own EL2 stage-1 address space: an identity map with W^X. */
#ifndef KESTREL_MMU_H
#define KESTREL_MMU_H

#include <kestrel/types.h>

struct mmu_config {
	uint64_t ttbr, tcr_el2, mair, sctlr_el2, tcr_el1, sctlr_el1;
};
extern struct mmu_config mmu_boot_config;

/* Builds the boot tables (image with W^X, the DTB read-only) before the MMU is on. */
struct mmu_config *boot_mmu_tables(const void *dtb, unsigned el);
/* Adds an identity mapping of device registers (Device-nGnRE, never executable). */
MUST_CHECK int mmu_map_device(paddr_t pa, uint64_t size);
/* Maps RAM read-write, never executable, around kestrel's image and the DTB. */
MUST_CHECK int mmu_map_ram(paddr_t base, uint64_t size);
/* After the allocator exists, further tables come from it instead of the boot pool. */
void mmu_use_allocator(void);
/* Physical address bits the CPU supports, capped at 48 (kestrel uses no 52-bit forms). */
unsigned mmu_pa_bits(void);
/* Encoding of pa_bits for TCR/VTCR PS fields. */
unsigned mmu_ps_field(unsigned pa_bits);

extern char __image_start[], __text_end[], __rodata_end[], __image_end[];

#endif
