/* SPDX-License-Identifier: Apache-2.0 */
/* The machine's page allocator, shared by every CPU (palloc behind a lock). */
#ifndef KESTREL_MM_H
#define KESTREL_MM_H

#include <kestrel/palloc.h>

struct palloc;
extern struct palloc mm_pages;

/* Sets up the allocator over one RAM bank, placing its owner table in free RAM. */
MUST_CHECK int mm_init(paddr_t ram_base, uint64_t ram_size, const paddr_t (*reserved)[2],
		       unsigned nreserved);
paddr_t mm_alloc(uint64_t npages, uint64_t align, owner_t owner);
/* The pages at exactly pa, if all are free; 0 otherwise. */
paddr_t mm_claim(paddr_t pa, uint64_t npages, owner_t owner);
/* As mm_alloc, zeroed: every page a VM or a table gets starts clean. */
paddr_t mm_alloc_zeroed(uint64_t npages, owner_t owner);
/* Freeing pages that are not the caller's is a kestrel bug that would hand out another
   owner's memory: it panics. */
void mm_free(paddr_t pa, uint64_t npages, owner_t owner);
/* Zeroes then frees: nothing a VM wrote reaches the next owner. */
void mm_scrub_free(paddr_t pa, uint64_t npages, owner_t owner);
void mm_reserve(paddr_t pa, uint64_t size, owner_t owner);

/* Zeroes whole pages of RAM quickly, with their allocation tags where memory has them (arch). */
void zero_pages(paddr_t pa, uint64_t size);
/* Whether some allocation tag of [pa, pa + size) is not 0 (never where memory has no tags). */
bool zero_tags_left(paddr_t pa, uint64_t size);
/* Copies size bytes to physical memory at dst, 64 bytes per step where aligned (arch). */
void copy_to_pages(paddr_t dst, const void *src, uint64_t size);
/* Cleans and invalidates [pa, pa + size) to the point of coherency (a guest with its MMU off
   reads RAM, not the caches). */
void clean_to_poc(paddr_t pa, uint64_t size);
/* Invalidates every CPU's instruction cache (after kestrel wrote code a guest will run). */
void invalidate_icache(void);

NORETURN void halt_forever(void);

#endif
