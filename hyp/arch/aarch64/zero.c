/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Zeroing and copying whole pages: every page a VM gets and gives back is zeroed, and its
 * images are copied in, so these loops are most of the time kestrel spends creating a VM.
 * Each iteration moves 64 bytes with paired 16-byte accesses. (DC ZVA would zero a block per
 * instruction on hardware, but QEMU's TCG emulates it far more slowly than plain stores.)
 * Where memory has allocation tags (FEAT_MTE2), they are part of what a VM leaves behind:
 * DC GZVA zeroes a block's data and tags together, through kestrel's Tagged map of RAM (mmu.c).
 */
#include <kestrel/hyp.h>
#include <kestrel/lib.h>
#include <kestrel/mm.h>
#include <kestrel/sysreg_defs.h>

/* DC GZVA's block: DCZID_EL0.BS, log2 of its size in words (at most 2 KiB, so pages hold
   whole blocks). */
static uint64_t gzva_block(void)
{
	return 4ull << FIELD(read_sysreg(dczid_el0), 0, 4);
}

void zero_pages(paddr_t pa, uint64_t size)
{
	char *p = (char *)(uintptr_t)pa, *end = p + size;

	if (hyp.has_mte && IS_ALIGNED(pa | size, PAGE_SIZE)) {
		for (uint64_t block = gzva_block(); p < end; p += block)
			__asm__ volatile(".arch armv8.5-a+memtag\n\tdc gzva, %0"
					 :
					 : "r"(p)
					 : "memory");
		dsb(ish);
		return;
	}
	if (!IS_ALIGNED(pa | size, 64)) {
		memset(p, 0, size);
		return;
	}
	for (; p < end; p += 64)
		__asm__ volatile("stp xzr, xzr, [%0]\n\t"
				 "stp xzr, xzr, [%0, #16]\n\t"
				 "stp xzr, xzr, [%0, #32]\n\t"
				 "stp xzr, xzr, [%0, #48]"
				 :
				 : "r"(p)
				 : "memory");
}

/* LDGM reads the tags of a block of GMID_EL1.BS (log2 words), 4 bits a granule of 16 bytes. */
bool zero_tags_left(paddr_t pa, uint64_t size)
{
	uint64_t block, tags = 0;

	if (!hyp.has_mte)
		return false;
	block = 4ull << FIELD(read_sysreg(S3_1_C0_C0_4), 0, 4); /* GMID_EL1: FEAT_MTE2 only */
	for (uint64_t p = ALIGN_DOWN(pa, block); p < pa + size && !tags; p += block)
		__asm__ volatile(".arch armv8.5-a+memtag\n\tldgm %0, [%1]"
				 : "=r"(tags)
				 : "r"(p)
				 : "memory");
	return tags != 0;
}

void copy_to_pages(paddr_t dst, const void *src, uint64_t size)
{
	char *d = (char *)(uintptr_t)dst;
	const char *s = src;
	uint64_t bulk = IS_ALIGNED(dst | (uintptr_t)src, 16) ? ALIGN_DOWN(size, 64) : 0;

	for (uint64_t i = 0; i < bulk; i += 64)
		__asm__ volatile("ldp x2, x3, [%1]\n\t"
				 "ldp x4, x5, [%1, #16]\n\t"
				 "stp x2, x3, [%0]\n\t"
				 "stp x4, x5, [%0, #16]\n\t"
				 "ldp x2, x3, [%1, #32]\n\t"
				 "ldp x4, x5, [%1, #48]\n\t"
				 "stp x2, x3, [%0, #32]\n\t"
				 "stp x4, x5, [%0, #48]"
				 :
				 : "r"(d + i), "r"(s + i)
				 : "x2", "x3", "x4", "x5", "memory");
	memcpy(d + bulk, s + bulk, size - bulk);
}

/*
 * Guest memory kestrel wrote must reach RAM itself before the guest sees it: a guest starts
 * with its MMU off, so its accesses do not look in the caches, and it would read whatever RAM
 * held before (another VM's data, under kestrel's dirty zeros). Clean and invalidate to the
 * point of coherency, by the smallest data cache line CTR_EL0 reports.
 */
void clean_to_poc(paddr_t pa, uint64_t size)
{
	uint64_t line = 4ull << FIELD(read_sysreg(ctr_el0), 16, 4); /* DminLine: log2 words */
	uint64_t p = ALIGN_DOWN(pa, line), end = pa + size;

	for (; p < end; p += line)
		__asm__ volatile("dc civac, %0" : : "r"(p) : "memory");
	dsb(ish);
}

void invalidate_icache(void)
{
	__asm__ volatile("ic ialluis" ::: "memory");
	dsb(ish);
	isb();
}
