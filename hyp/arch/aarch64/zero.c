/*
 * Zeroing whole pages: every page a VM gets and gives back is zeroed, so this is most of the
 * time kestrel spends creating a VM. DC ZVA zeroes a whole block (usually 64 bytes) per
 * instruction instead of eight bytes per store.
 */
#include <kestrel/lib.h>
#include <kestrel/mm.h>
#include <kestrel/sysreg.h>

void zero_pages(paddr_t pa, uint64_t size)
{
	uint64_t dczid = read_sysreg(dczid_el0);
	uint64_t block = 4ull << (dczid & 0xf);
	char *p = (char *)(uintptr_t)pa, *end = p + size;

	/* DZP set, or a block larger than a page: fall back to stores. */
	if ((dczid & BIT(4)) || block > PAGE_SIZE || !IS_ALIGNED(pa | size, PAGE_SIZE)) {
		memset(p, 0, size);
		return;
	}
	for (; p < end; p += block)
		__asm__ volatile("dc zva, %0" : : "r"(p) : "memory");
	dsb(ish);
}
