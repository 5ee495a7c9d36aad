/* SPDX-License-Identifier: Apache-2.0 */
/* Owner-tracking page allocator: see palloc.h. */
#include <kestrel/palloc.h>

void palloc_init(struct palloc *pa, paddr_t base, uint64_t size, owner_t *owner_array)
{
	pa->base = base;
	pa->npages = size >> PAGE_SHIFT;
	pa->owner = owner_array;
	pa->free_pages = pa->npages;
	for (uint64_t i = 0; i < pa->npages; i++)
		pa->owner[i] = OWNER_FREE;
}

void palloc_reserve(struct palloc *pa, paddr_t addr, uint64_t size, owner_t owner)
{
	paddr_t end = addr + size, top = pa->base + (pa->npages << PAGE_SHIFT);

	if (end < addr || end > top)
		end = top; /* wrapped, or past RAM: rounding up could wrap too */
	addr = MAX(ALIGN_DOWN(addr, PAGE_SIZE), pa->base);
	end = MIN(ALIGN_UP(end, PAGE_SIZE), top);
	for (; addr < end; addr += PAGE_SIZE) {
		uint64_t i = (addr - pa->base) >> PAGE_SHIFT;
		if (pa->owner[i] == OWNER_FREE)
			pa->free_pages--;
		pa->owner[i] = owner;
	}
}

paddr_t palloc_alloc(struct palloc *pa, uint64_t npages, uint64_t align, owner_t owner)
{
	uint64_t step = MAX(align, PAGE_SIZE) >> PAGE_SHIFT;
	uint64_t first = (ALIGN_UP(pa->base, MAX(align, PAGE_SIZE)) - pa->base) >> PAGE_SHIFT;

	if (!npages || npages > pa->free_pages || owner == OWNER_FREE)
		return 0;
	for (uint64_t i = first; i + npages <= pa->npages;) {
		uint64_t run = 0;
		while (run < npages && pa->owner[i + run] == OWNER_FREE)
			run++;
		if (run == npages) {
			for (uint64_t j = 0; j < npages; j++)
				pa->owner[i + j] = owner;
			pa->free_pages -= npages;
			return pa->base + (i << PAGE_SHIFT);
		}
		/* Skip past the busy page, to the next aligned start. */
		i = first + ALIGN_UP(i + run + 1 - first, step);
	}
	return 0;
}

int palloc_claim(struct palloc *pa, paddr_t addr, uint64_t npages, owner_t owner)
{
	uint64_t i;

	if (!IS_ALIGNED(addr, PAGE_SIZE) || addr < pa->base || !npages || owner == OWNER_FREE)
		return -E_INVAL;
	i = (addr - pa->base) >> PAGE_SHIFT;
	if (i + npages > pa->npages || i + npages < i)
		return -E_INVAL;
	for (uint64_t j = 0; j < npages; j++)
		if (pa->owner[i + j] != OWNER_FREE)
			return -E_EXIST;
	for (uint64_t j = 0; j < npages; j++)
		pa->owner[i + j] = owner;
	pa->free_pages -= npages;
	return E_OK;
}

int palloc_free(struct palloc *pa, paddr_t addr, uint64_t npages, owner_t owner)
{
	uint64_t i;

	if (!IS_ALIGNED(addr, PAGE_SIZE) || addr < pa->base || owner == OWNER_FREE)
		return -E_INVAL;
	i = (addr - pa->base) >> PAGE_SHIFT;
	if (i + npages > pa->npages || i + npages < i)
		return -E_INVAL;
	for (uint64_t j = 0; j < npages; j++)
		if (pa->owner[i + j] != owner)
			return -E_PERM;
	for (uint64_t j = 0; j < npages; j++)
		pa->owner[i + j] = OWNER_FREE;
	pa->free_pages += npages;
	return E_OK;
}

owner_t palloc_owner(const struct palloc *pa, paddr_t addr)
{
	if (addr < pa->base || ((addr - pa->base) >> PAGE_SHIFT) >= pa->npages)
		return OWNER_FIRMWARE;
	return pa->owner[(addr - pa->base) >> PAGE_SHIFT];
}

uint64_t palloc_count(const struct palloc *pa, owner_t owner)
{
	uint64_t n = 0;

	for (uint64_t i = 0; i < pa->npages; i++)
		n += pa->owner[i] == owner;
	return n;
}
