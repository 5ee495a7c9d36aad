/* SPDX-License-Identifier: Apache-2.0 */
/* Translation table builder: see pgtable.h for what it promises. */
#include <kestrel/pgtable.h>

#define DESC_VALID	BIT(0)
#define DESC_TABLE	BIT(1) /* at levels 0..2: table; at level 3: page */
#define DESC_AF		BIT(10)
#define DESC_XN		BIT(54)
#define DESC_KEEP	BIT(55) /* a table's, ignored by the walk: unmapping never frees it */
#define DESC_ADDR	0x0000fffffffff000ull
#define S1_ATTR_DEV	(1ull << 2) /* MAIR index 1: Device-nGnRE */
#define S1_ATTR_NORM	(2ull << 2) /* MAIR index 2: Normal WB */
#define S1_AP_RO	BIT(7)
#define S1_AP1		BIT(6) /* RES1 in the EL2 regime */
#define S2_MEMATTR_DEV	(0x1ull << 2)
#define S2_MEMATTR_NORM (0xfull << 2)
#define S2AP_R		BIT(6)
#define S2AP_W		BIT(7)
#define SH_INNER	(3ull << 8)
#define PA_LIMIT	((uint64_t)1 << 48)

static unsigned level_shift(unsigned level)
{
	return PAGE_SHIFT + 9 * (3 - level);
}

static uint64_t *table_va(const struct pgtable *pt, paddr_t pa)
{
	return pt->mm->phys_to_virt(pt->mm->ctx, pa);
}

static unsigned entries_at(const struct pgtable *pt, unsigned level)
{
	return level == pt->start_level ? pt->root_entries : 512;
}

static unsigned index_at(const struct pgtable *pt, unsigned level, uint64_t ia)
{
	return (unsigned)((ia >> level_shift(level)) & (entries_at(pt, level) - 1));
}

static bool is_leaf(uint64_t desc, unsigned level)
{
	return (desc & DESC_VALID) && (level == 3 || !(desc & DESC_TABLE));
}

static uint64_t leaf_desc(const struct pgtable *pt, paddr_t pa, unsigned perms, unsigned level)
{
	uint64_t d = pa | DESC_VALID | DESC_AF | SH_INNER;

	if (level == 3)
		d |= DESC_TABLE;
	if (!(perms & PT_X))
		d |= DESC_XN;
	if (pt->stage2) {
		d |= (perms & PT_DEVICE) ? S2_MEMATTR_DEV : S2_MEMATTR_NORM;
		d |= (perms & PT_R) ? S2AP_R : 0;
		d |= (perms & PT_W) ? S2AP_W : 0;
	} else {
		d |= (perms & PT_DEVICE) ? S1_ATTR_DEV : S1_ATTR_NORM;
		d |= S1_AP1 | ((perms & PT_W) ? 0 : S1_AP_RO);
	}
	return d;
}

static unsigned desc_perms(const struct pgtable *pt, uint64_t d)
{
	unsigned p = (d & DESC_XN) ? 0 : PT_X;

	if (pt->stage2) {
		p |= (d & S2AP_R) ? PT_R : 0;
		p |= (d & S2AP_W) ? PT_W : 0;
		p |= ((d & (0xfull << 2)) == S2_MEMATTR_DEV) ? PT_DEVICE : 0;
	} else {
		p |= PT_R | ((d & S1_AP_RO) ? 0 : PT_W);
		p |= ((d & (7ull << 2)) == S1_ATTR_DEV) ? PT_DEVICE : 0;
	}
	return p;
}

/* The start level and root size for ia_bits (see pgtable_init). */
static void geometry(unsigned ia_bits, bool stage2, unsigned *start_level, unsigned *root_entries)
{
	unsigned level = 3;

	/* The lowest level whose tables can cover ia_bits with one 512-entry root. */
	while (level_shift(level) + 9 < ia_bits)
		level--;
	/* Stage 2 may concatenate up to 16 root tables to save a level of walk. */
	if (stage2 && level < 2 && ia_bits - level_shift(level + 1) <= 13)
		level++;
	if (level > 2)
		level = 2; /* VTCR's SL0 cannot start at level 3 with 4 KiB pages */
	*start_level = level;
	*root_entries = 1u << (ia_bits - level_shift(level));
}

int pgtable_init(struct pgtable *pt, unsigned ia_bits, bool stage2, const struct pgtable_mm *mm)
{
	if (ia_bits < 32 || ia_bits > 48)
		return -E_INVAL;
	geometry(ia_bits, stage2, &pt->start_level, &pt->root_entries);
	pt->ia_bits = ia_bits;
	pt->stage2 = stage2;
	pt->mm = mm;
	pt->root = mm->alloc(mm->ctx, pt->root_entries > 512 ? pt->root_entries / 512 : 1);
	return pt->root ? E_OK : -E_NOMEM;
}

static void destroy_level(struct pgtable *pt, paddr_t table, unsigned level)
{
	uint64_t *t = table_va(pt, table);
	unsigned n = entries_at(pt, level);

	for (unsigned i = 0; i < n; i++)
		if ((t[i] & DESC_VALID) && !is_leaf(t[i], level))
			destroy_level(pt, t[i] & DESC_ADDR, level + 1);
	pt->mm->free(pt->mm->ctx, table, n > 512 ? n / 512 : 1);
}

void pgtable_destroy(struct pgtable *pt)
{
	if (pt->root)
		destroy_level(pt, pt->root, pt->start_level);
	pt->root = 0;
}

/* True when no leaf maps any address in [ia, end). */
static bool range_free(const struct pgtable *pt, paddr_t table, unsigned level, uint64_t ia,
		       uint64_t end)
{
	uint64_t *t = table_va(pt, table);

	while (ia < end) {
		uint64_t span = (uint64_t)1 << level_shift(level);
		uint64_t next = MIN(ALIGN_DOWN(ia, span) + span, end);
		uint64_t d = t[index_at(pt, level, ia)];

		if (is_leaf(d, level))
			return false;
		if ((d & DESC_VALID) && !range_free(pt, d & DESC_ADDR, level + 1, ia, next))
			return false;
		ia = next;
	}
	return true;
}

static int map_level(struct pgtable *pt, paddr_t table, unsigned level, uint64_t ia, paddr_t pa,
		     uint64_t end, unsigned perms)
{
	uint64_t *t = table_va(pt, table);

	while (ia < end) {
		uint64_t span = (uint64_t)1 << level_shift(level);
		uint64_t next = MIN(ALIGN_DOWN(ia, span) + span, end);
		uint64_t *d = &t[index_at(pt, level, ia)];
		bool whole = IS_ALIGNED(ia | pa, span) && next - ia == span;

		if (level == 3 || (level >= 1 && whole && !(*d & DESC_VALID))) {
			*d = leaf_desc(pt, pa, perms, level);
		} else {
			if (!(*d & DESC_VALID)) {
				paddr_t sub = pt->mm->alloc(pt->mm->ctx, 1);
				if (!sub)
					return -E_NOMEM;
				*d = sub | DESC_VALID | DESC_TABLE;
			}
			int err = map_level(pt, *d & DESC_ADDR, level + 1, ia, pa, next, perms);
			if (err)
				return err;
		}
		pa += next - ia;
		ia = next;
	}
	return E_OK;
}

static bool range_ok(const struct pgtable *pt, uint64_t ia, uint64_t size)
{
	return size && IS_ALIGNED(ia | size, PAGE_SIZE) && ia + size > ia &&
	       ia + size <= ((uint64_t)1 << pt->ia_bits);
}

int pgtable_map(struct pgtable *pt, uint64_t ia, paddr_t pa, uint64_t size, unsigned perms)
{
	int err;

	if (!range_ok(pt, ia, size) || !IS_ALIGNED(pa, PAGE_SIZE) || pa + size > PA_LIMIT ||
	    pa + size < pa)
		return -E_INVAL;
	if (!(perms & PT_R) && !pt->stage2)
		return -E_INVAL;
	if (!pt->stage2 && (perms & PT_W) && (perms & PT_X))
		return -E_PERM; /* kestrel's own memory is never writable and executable */
	if (!range_free(pt, pt->root, pt->start_level, ia, ia + size))
		return -E_EXIST;
	err = map_level(pt, pt->root, pt->start_level, ia, pa, ia + size, perms);
	if (err)
		pgtable_unmap(pt, ia, size); /* undo the part that was mapped */
	return err;
}

static bool table_empty(const uint64_t *t)
{
	for (unsigned i = 0; i < 512; i++)
		if (t[i] & DESC_VALID)
			return false;
	return true;
}

static int unmap_level(struct pgtable *pt, paddr_t table, unsigned level, uint64_t ia, uint64_t end)
{
	uint64_t *t = table_va(pt, table);

	while (ia < end) {
		uint64_t span = (uint64_t)1 << level_shift(level);
		uint64_t base = ALIGN_DOWN(ia, span);
		uint64_t next = MIN(base + span, end);
		uint64_t *d = &t[index_at(pt, level, ia)];

		if (!(*d & DESC_VALID)) {
			ia = next;
			continue;
		}
		if (is_leaf(*d, level) && ia == base && next - ia == span) {
			*d = 0;
		} else {
			if (is_leaf(*d, level)) {
				/* Split the block: break (invalidate + flush), then make. */
				paddr_t sub = pt->mm->alloc(pt->mm->ctx, 1);
				uint64_t old = *d, sub_span = span >> 9;
				if (!sub)
					return -E_NOMEM;
				uint64_t *s = table_va(pt, sub);
				for (unsigned i = 0; i < 512; i++)
					s[i] = leaf_desc(pt, (old & DESC_ADDR) + i * sub_span,
							 desc_perms(pt, old), level + 1);
				*d = 0;
				pt->mm->tlb_flush(pt->mm->ctx, base, span);
				*d = sub | DESC_VALID | DESC_TABLE;
			}
			int err = unmap_level(pt, *d & DESC_ADDR, level + 1, ia, next);
			if (err)
				return err;
			if (!(*d & DESC_KEEP) && table_empty(table_va(pt, *d & DESC_ADDR))) {
				paddr_t sub = *d & DESC_ADDR;
				*d = 0;
				/* A walk cache may still point at the table: only once no CPU can
				   use it may the page be handed out again (and written). */
				pt->mm->tlb_flush(pt->mm->ctx, base, span);
				pt->mm->free(pt->mm->ctx, sub, 1);
			}
		}
		ia = next;
	}
	return E_OK;
}

int pgtable_unmap(struct pgtable *pt, uint64_t ia, uint64_t size)
{
	int err;

	if (!range_ok(pt, ia, size))
		return -E_INVAL;
	err = unmap_level(pt, pt->root, pt->start_level, ia, ia + size);
	pt->mm->tlb_flush(pt->mm->ctx, ia, size);
	return err;
}

/*
 * Makes the entries of [ia, end) at levels above leaf_level tables, marked DESC_KEEP: a table
 * a VM's first touch of its RAM needs must never have to be allocated then (vm_ram.c).
 */
static int prealloc_level(struct pgtable *pt, paddr_t table, unsigned level, uint64_t ia,
			  uint64_t end, unsigned leaf_level)
{
	uint64_t *t = table_va(pt, table);

	if (level >= leaf_level)
		return E_OK;
	while (ia < end) {
		uint64_t span = (uint64_t)1 << level_shift(level);
		uint64_t next = MIN(ALIGN_DOWN(ia, span) + span, end);
		uint64_t *d = &t[index_at(pt, level, ia)];
		int err;

		/* A block bigger than leaf_level's maps part of the range. */
		if (is_leaf(*d, level))
			return -E_EXIST;
		if (!(*d & DESC_VALID)) {
			paddr_t sub = pt->mm->alloc(pt->mm->ctx, 1);
			if (!sub)
				return -E_NOMEM;
			*d = sub | DESC_VALID | DESC_TABLE;
		}
		*d |= DESC_KEEP;
		err = prealloc_level(pt, *d & DESC_ADDR, level + 1, ia, next, leaf_level);
		if (err)
			return err;
		ia = next;
	}
	return E_OK;
}

int pgtable_prealloc(struct pgtable *pt, uint64_t ia, uint64_t size, uint64_t leaf_size)
{
	unsigned leaf_level = leaf_size == SZ_1G       ? 1
			      : leaf_size == SZ_2M     ? 2
			      : leaf_size == PAGE_SIZE ? 3
						       : 0;

	if (!leaf_level || !range_ok(pt, ia, size))
		return -E_INVAL;
	return prealloc_level(pt, pt->root, pt->start_level, ia, ia + size, leaf_level);
}

int pgtable_lookup(const struct pgtable *pt, uint64_t ia, paddr_t *pa, unsigned *perms,
		   uint64_t *leaf_size)
{
	paddr_t table = pt->root;

	if (ia >= ((uint64_t)1 << pt->ia_bits))
		return -E_INVAL;
	for (unsigned level = pt->start_level; level <= 3; level++) {
		uint64_t d = table_va(pt, table)[index_at(pt, level, ia)];
		uint64_t span = (uint64_t)1 << level_shift(level);

		if (!(d & DESC_VALID))
			return -E_NOENT;
		if (is_leaf(d, level)) {
			if (pa)
				*pa = (d & DESC_ADDR) + (ia & (span - 1));
			if (perms)
				*perms = desc_perms(pt, d);
			if (leaf_size)
				*leaf_size = span;
			return E_OK;
		}
		table = d & DESC_ADDR;
	}
	return -E_NOENT;
}

static void walk_level(const struct pgtable *pt, paddr_t table, unsigned level, uint64_t ia_base,
		       pgtable_leaf_fn *fn, void *arg)
{
	const uint64_t *t = table_va(pt, table);
	unsigned n = entries_at(pt, level);
	uint64_t span = (uint64_t)1 << level_shift(level);

	for (unsigned i = 0; i < n; i++) {
		uint64_t ia = ia_base + i * span;
		if (!(t[i] & DESC_VALID))
			continue;
		if (is_leaf(t[i], level))
			fn(arg, ia, t[i] & DESC_ADDR, span, desc_perms(pt, t[i]));
		else
			walk_level(pt, t[i] & DESC_ADDR, level + 1, ia, fn, arg);
	}
}

void pgtable_for_each_leaf(const struct pgtable *pt, pgtable_leaf_fn *fn, void *arg)
{
	walk_level(pt, pt->root, pt->start_level, 0, fn, arg);
}

uint64_t pgtable_vtcr_geometry(unsigned ia_bits)
{
	unsigned level, entries;

	geometry(ia_bits, true, &level, &entries);
	/* 4 KiB granule: SL0 0 starts at level 2, 1 at level 1, 2 at level 0. */
	return (64 - ia_bits) | ((uint64_t)(2 - level) << 6);
}
