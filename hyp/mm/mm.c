/* SPDX-License-Identifier: Apache-2.0 */
/* The shared page allocator: a lock around palloc, and zeroing on the way in and out. */
#include <kestrel/lib.h>
#include <kestrel/mm.h>
#include <kestrel/spinlock.h>

struct palloc mm_pages;
static spinlock_t mm_lock;

static bool overlaps(paddr_t a, uint64_t asz, paddr_t b, uint64_t bsz)
{
	return a < b + bsz && b < a + asz;
}

int mm_init(paddr_t ram_base, uint64_t ram_size, const paddr_t (*reserved)[2], unsigned nreserved)
{
	uint64_t meta = ALIGN_UP(palloc_meta_size(ram_size), PAGE_SIZE);
	paddr_t spot = ALIGN_DOWN(ram_base + ram_size - meta, PAGE_SIZE);

	/* The owner table goes at the highest spot that no reserved range touches. */
	for (unsigned i = 0; i < nreserved && spot >= ram_base; i++) {
		if (overlaps(spot, meta, reserved[i][0], reserved[i][1] - reserved[i][0])) {
			spot = ALIGN_DOWN(reserved[i][0] - meta, PAGE_SIZE);
			i = (unsigned)-1; /* recheck against every range */
		}
	}
	if (spot < ram_base || spot + meta > ram_base + ram_size)
		return -E_NOMEM;
	palloc_init(&mm_pages, ram_base, ram_size, (owner_t *)(uintptr_t)spot);
	palloc_reserve(&mm_pages, spot, meta, OWNER_KESTREL);
	for (unsigned i = 0; i < nreserved; i++)
		palloc_reserve(&mm_pages, reserved[i][0], reserved[i][1] - reserved[i][0],
			       OWNER_KESTREL);
	return E_OK;
}

paddr_t mm_alloc(uint64_t npages, uint64_t align, owner_t owner)
{
	paddr_t pa;

	spin_lock(&mm_lock);
	pa = palloc_alloc(&mm_pages, npages, align, owner);
	spin_unlock(&mm_lock);
	return pa;
}

paddr_t mm_claim(paddr_t pa, uint64_t npages, owner_t owner)
{
	int err;

	spin_lock(&mm_lock);
	err = palloc_claim(&mm_pages, pa, npages, owner);
	spin_unlock(&mm_lock);
	return err ? 0 : pa;
}

paddr_t mm_alloc_zeroed(uint64_t npages, owner_t owner)
{
	paddr_t pa = mm_alloc(npages, npages * PAGE_SIZE, owner);

	if (pa)
		zero_pages(pa, npages * PAGE_SIZE);
	return pa;
}

void mm_free(paddr_t pa, uint64_t npages, owner_t owner)
{
	int err;

	spin_lock(&mm_lock);
	err = palloc_free(&mm_pages, pa, npages, owner);
	spin_unlock(&mm_lock);
	if (err)
		panic("freeing %llu pages at 0x%llx that are not all owner %u's (error %d)",
		      (unsigned long long)npages, (unsigned long long)pa, (unsigned)owner, err);
}

void mm_scrub_free(paddr_t pa, uint64_t npages, owner_t owner)
{
	if (palloc_owner(&mm_pages, pa) != owner)
		panic("scrubbing %llu pages at 0x%llx that are not owner %u's",
		      (unsigned long long)npages, (unsigned long long)pa, (unsigned)owner);
	zero_pages(pa, npages * PAGE_SIZE);
	mm_free(pa, npages, owner);
}

void mm_reserve(paddr_t pa, uint64_t size, owner_t owner)
{
	spin_lock(&mm_lock);
	palloc_reserve(&mm_pages, pa, size, owner);
	spin_unlock(&mm_lock);
}
