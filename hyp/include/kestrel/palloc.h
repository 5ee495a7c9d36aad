/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Physical page allocator that records the owner of every page of RAM: kestrel, a VM, or
 * free. Ownership is what isolation rests on: stage-2 mappings may only point at pages the
 * VM owns, and freeing checks the owner. Pure logic; the caller provides the owner array.
 */
#ifndef KESTREL_PALLOC_H
#define KESTREL_PALLOC_H

#include <kestrel/types.h>

typedef uint16_t owner_t;
#define OWNER_FREE     0
#define OWNER_KESTREL  1 /* code, data, page tables, vCPU state */
#define OWNER_FIRMWARE 2 /* reserved by the DTB: never handed out */
#define OWNER_IMAGES   3 /* guest images and the host DTB, kept for VM restarts */
#define OWNER_VM_BASE  16
#define OWNER_VM(id)   ((owner_t)(OWNER_VM_BASE + (id)))

struct palloc {
	paddr_t base;
	uint64_t npages;
	owner_t *owner;
	uint64_t free_pages;
};

/* Bytes of owner array needed for size bytes of RAM. */
static inline uint64_t palloc_meta_size(uint64_t size)
{
	return (size >> PAGE_SHIFT) * sizeof(owner_t);
}

void palloc_init(struct palloc *pa, paddr_t base, uint64_t size, owner_t *owner_array);
/* Marks [addr, addr + size) (clipped to RAM, widened to pages) as owned by owner. */
void palloc_reserve(struct palloc *pa, paddr_t addr, uint64_t size, owner_t owner);
/* npages contiguous free pages aligned to align bytes, now owned by owner; 0 if none. */
paddr_t palloc_alloc(struct palloc *pa, uint64_t npages, uint64_t align, owner_t owner);
/* Takes exactly [addr, addr + npages pages) for owner if every page is free; else E_EXIST. */
MUST_CHECK int palloc_claim(struct palloc *pa, paddr_t addr, uint64_t npages, owner_t owner);
/* Returns pages to the free pool; refuses (E_PERM) unless owner owns every page. */
MUST_CHECK int palloc_free(struct palloc *pa, paddr_t addr, uint64_t npages, owner_t owner);
/* Owner of the page holding addr; OWNER_FIRMWARE for addresses outside RAM. */
owner_t palloc_owner(const struct palloc *pa, paddr_t addr);
/* Pages owned by owner. */
uint64_t palloc_count(const struct palloc *pa, owner_t owner);

#endif
