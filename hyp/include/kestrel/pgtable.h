/* SPDX-License-Identifier: Apache-2.0 */
/*
 * VMSAv8-64 translation tables with a 4 KiB granule, for both kestrel's own EL2 stage-1
 * tables and each VM's stage-2 tables. Pure logic: memory comes from the caller's allocator
 * and is reached through phys_to_virt, so the same code runs in host unit tests.
 */
#ifndef KESTREL_PGTABLE_H
#define KESTREL_PGTABLE_H

#include <kestrel/types.h>

/* Abstract permissions and memory types of a mapping. */
#define PT_R	  BIT(0)
#define PT_W	  BIT(1)
#define PT_X	  BIT(2)
#define PT_DEVICE BIT(3) /* Device-nGnRE; otherwise Normal write-back cacheable */

struct pgtable_mm {
	/* npages zeroed pages, contiguous and aligned to their total size; 0 when out of memory */
	paddr_t (*alloc)(void *ctx, unsigned npages);
	void (*free)(void *ctx, paddr_t pa, unsigned npages);
	void *(*phys_to_virt)(void *ctx, paddr_t pa);
	/* called after mappings in [ia, ia + size) were removed or changed */
	void (*tlb_flush)(void *ctx, uint64_t ia, uint64_t size);
	void *ctx;
};

struct pgtable {
	paddr_t root;
	unsigned start_level;  /* 0..2 */
	unsigned root_entries; /* more than 512 when stage-2 concatenates root tables */
	unsigned ia_bits;
	bool stage2;
	const struct pgtable_mm *mm;
};

/* Chooses the geometry for ia_bits (32..48) and allocates the root. */
MUST_CHECK int pgtable_init(struct pgtable *pt, unsigned ia_bits, bool stage2,
			    const struct pgtable_mm *mm);
/* Frees every table; the caller has already made the tables unreachable from hardware. */
void pgtable_destroy(struct pgtable *pt);
/*
 * Maps [ia, ia + size) to [pa, pa + size) with perms, using 1 GiB / 2 MiB blocks where both
 * addresses are aligned. Refuses (and changes nothing) if the range is misaligned, out of
 * range, overlaps an existing mapping, or (stage 1) is both writable and executable.
 */
MUST_CHECK int pgtable_map(struct pgtable *pt, uint64_t ia, paddr_t pa, uint64_t size,
			   unsigned perms);
/*
 * Allocates now every table that mappings of [ia, ia + size) with leaves of leaf_size (4 KiB,
 * 2 MiB or 1 GiB) would need, and maps nothing: a later pgtable_map inside the range whose
 * ia, pa and size are multiples of leaf_size allocates nothing. These tables, and the tables
 * above them the range already had, stay while the range is unmapped and mapped again, until
 * pgtable_destroy. Refuses a misaligned, empty or out-of-range range or another leaf_size
 * (E_INVAL), and a range partly mapped by a bigger leaf (E_EXIST). Out of memory (E_NOMEM),
 * the tables made so far stay until pgtable_destroy.
 */
MUST_CHECK int pgtable_prealloc(struct pgtable *pt, uint64_t ia, uint64_t size, uint64_t leaf_size);
/* Removes every mapping in the range, splitting blocks that straddle its ends; frees the
   tables left empty, except those pgtable_prealloc made. Only a split can fail (E_NOMEM), so
   a caller that unmaps whole mappings it made may ignore the result. */
int pgtable_unmap(struct pgtable *pt, uint64_t ia, uint64_t size);
/* Looks up ia: E_OK with its pa, perms and the size of the leaf that maps it. */
MUST_CHECK int pgtable_lookup(const struct pgtable *pt, uint64_t ia, paddr_t *pa, unsigned *perms,
			      uint64_t *leaf_size);

typedef void pgtable_leaf_fn(void *arg, uint64_t ia, paddr_t pa, uint64_t size, unsigned perms);
/* Calls fn for every leaf (page or block) in ascending ia order. */
void pgtable_for_each_leaf(const struct pgtable *pt, pgtable_leaf_fn *fn, void *arg);

/* VTCR_EL2.{T0SZ,SL0} for stage-2 tables of ia_bits. */
uint64_t pgtable_vtcr_geometry(unsigned ia_bits);

#endif
