/* SPDX-License-Identifier: Apache-2.0 */
/* fuzz-sources: hyp/mm/pgtable.c */
/*
 * The translation table builder under a sequence of maps, unmaps and lookups on one stage-1
 * and one stage-2 table at once, with host memory for tables (as test_pgtable.c) and an
 * allocator the input can starve at any point. A reference model, the set of mapped extents,
 * predicts every result: refusals (misaligned, out of range, overlapping, W+X at stage 1)
 * with their error and no change at all, successful maps and unmaps, lookups with their leaf
 * size. After every operation the table's leaves must be exactly the model, every TLB flush
 * must come after its entries were invalidated, and at the end destroy must free every table.
 *
 * Input: 2 header bytes, one per table: IA bits 30 + b % 20 (invalid sizes must be refused,
 * then 32 or 48 are used) and where the 4 GiB window of likely addresses is, (b >> 5) % 3:
 * bottom, top, in between. Then operations, one byte each: bits 0..1 map, unmap, lookup or
 * set the allocation budget (bits 3..7: 0 no limit, n: n - 1 more pages); bit 2 the table;
 * bits 3..7 how the address is chosen (pick_ia); a budget operation with bits 3..7 all set
 * makes tables ahead for a range instead (do_prealloc). A map or unmap continues with one byte
 * whose bits 0..2 choose how the size is picked (pick_size) and bits 3..7 the PA (pick_pa, maps
 * only), then the bytes those choices consume, and for a map a permissions byte.
 */
#include <stdlib.h>
#include <string.h>

#include <kestrel/pgtable.h>

#include "harness.h"

#define PA_LIMIT    (1ull << 48)
#define MAX_EXTENTS 4096
#define MAX_LEAVES  16384 /* skip maps that would write more descriptors than this */
#define MAX_OPS	    96
#define MAX_FLUSHES 64
#define MAX_LIVE    8192

struct extent {
	uint64_t ia, size, pa;
	unsigned perms;
};

struct model {
	struct extent e[MAX_EXTENTS]; /* sorted by ia, never overlapping */
	unsigned n;
};

struct table {
	struct pgtable pt;
	struct model m;
	uint64_t window; /* where the interesting addresses are */
	uint64_t ia_limit;
};

static struct table tables[2];
static struct table *cur; /* the table an operation works on, for the flush callback */

static struct {
	long budget; /* pages that may still be handed out; negative: no limit */
	unsigned live_pages;
	unsigned nlive;
	struct {
		void *p;
		unsigned npages;
	} live[MAX_LIVE];
	struct {
		uint64_t ia, size;
		int lookup;
	} flush[MAX_FLUSHES];
	unsigned nflush;
} mem;

/* --- host memory for tables --- */

static paddr_t host_alloc(void *ctx, unsigned npages)
{
	size_t bytes = (size_t)npages * PAGE_SIZE;
	void *p;

	(void)ctx;
	FUZZ_CHECK(npages >= 1 && npages <= 16, "allocation of %u pages", npages);
	if (mem.budget >= 0) {
		if (mem.budget < (long)npages)
			return 0;
		mem.budget -= npages;
	}
	FUZZ_CHECK(mem.nlive < MAX_LIVE, "more than %d live tables", MAX_LIVE);
	p = aligned_alloc(bytes, bytes);
	FUZZ_CHECK(p, "out of host memory");
	memset(p, 0, bytes);
	mem.live[mem.nlive].p = p;
	mem.live[mem.nlive].npages = npages;
	mem.nlive++;
	mem.live_pages += npages;
	return (paddr_t)(uintptr_t)p;
}

static void host_free(void *ctx, paddr_t pa, unsigned npages)
{
	void *p = (void *)(uintptr_t)pa;

	(void)ctx;
	for (unsigned i = 0; i < mem.nlive; i++) {
		if (mem.live[i].p != p)
			continue;
		FUZZ_CHECK(mem.live[i].npages == npages, "freed %u pages of a %u-page table",
			   npages, mem.live[i].npages);
		mem.live[i] = mem.live[--mem.nlive];
		mem.live_pages -= npages;
		free(p);
		return;
	}
	FUZZ_CHECK(false, "free of 0x%llx, which is not a live table", (unsigned long long)pa);
}

static void *host_virt(void *ctx, paddr_t pa)
{
	(void)ctx;
	return (void *)(uintptr_t)pa;
}

static void host_flush(void *ctx, uint64_t ia, uint64_t size)
{
	(void)ctx;
	FUZZ_CHECK(mem.nflush < MAX_FLUSHES, "more than %d flushes in one operation", MAX_FLUSHES);
	mem.flush[mem.nflush].ia = ia;
	mem.flush[mem.nflush].size = size;
	mem.flush[mem.nflush].lookup = pgtable_lookup(&cur->pt, ia, NULL, NULL, NULL);
	mem.nflush++;
}

static const struct pgtable_mm host_mm = {host_alloc, host_free, host_virt, host_flush, NULL};

/* --- the model --- */

static bool overlaps(const struct model *m, uint64_t ia, uint64_t size)
{
	for (unsigned i = 0; i < m->n; i++)
		if (m->e[i].ia < ia + size && ia < m->e[i].ia + m->e[i].size)
			return true;
	return false;
}

static void model_add(struct model *m, uint64_t ia, uint64_t size, uint64_t pa, unsigned perms)
{
	unsigned pos = 0;

	FUZZ_CHECK(m->n < MAX_EXTENTS, "model full");
	while (pos < m->n && m->e[pos].ia < ia)
		pos++;
	memmove(&m->e[pos + 1], &m->e[pos], (m->n - pos) * sizeof(m->e[0]));
	m->e[pos] = (struct extent){ia, size, pa, perms};
	m->n++;
}

static void model_remove(struct model *m, uint64_t ia, uint64_t size)
{
	static struct model out;
	uint64_t end = ia + size;

	out.n = 0;
	for (unsigned i = 0; i < m->n; i++) {
		struct extent e = m->e[i];
		uint64_t e_end = e.ia + e.size;
		if (e_end <= ia || e.ia >= end) {
			out.e[out.n++] = e;
			continue;
		}
		if (e.ia < ia)
			out.e[out.n++] = (struct extent){e.ia, ia - e.ia, e.pa, e.perms};
		if (e_end > end)
			out.e[out.n++] =
			    (struct extent){end, e_end - end, e.pa + (end - e.ia), e.perms};
		FUZZ_CHECK(out.n <= MAX_EXTENTS, "model full");
	}
	memcpy(m->e, out.e, out.n * sizeof(out.e[0]));
	m->n = out.n;
}

/* The extent that maps ia, or NULL (binary search: extents are sorted and disjoint). */
static const struct extent *model_find(const struct model *m, uint64_t ia)
{
	unsigned lo = 0, hi = m->n;

	while (lo < hi) {
		unsigned mid = lo + (hi - lo) / 2;
		const struct extent *e = &m->e[mid];
		if (ia < e->ia)
			hi = mid;
		else if (ia - e->ia >= e->size)
			lo = mid + 1;
		else
			return e;
	}
	return NULL;
}

/* Does the model map all of [ia, ia + size) to [pa, pa + size) with perms? */
static bool model_covers(const struct model *m, uint64_t ia, uint64_t size, uint64_t pa,
			 unsigned perms)
{
	while (size) {
		const struct extent *e = model_find(m, ia);
		uint64_t off, n;
		if (!e || e->perms != perms)
			return false;
		off = ia - e->ia;
		if (e->pa + off != pa)
			return false;
		n = MIN(size, e->size - off);
		ia += n;
		pa += n;
		size -= n;
	}
	return true;
}

static uint64_t model_bytes(const struct model *m)
{
	uint64_t total = 0;

	for (unsigned i = 0; i < m->n; i++)
		total += m->e[i].size;
	return total;
}

/* --- comparing the table with the model --- */

struct walk {
	const struct table *t;
	struct model *copy; /* non-NULL: rebuild a model from the leaves */
	uint64_t bytes, last_end;
	unsigned leaves;
};

static void leaf(void *arg, uint64_t ia, paddr_t pa, uint64_t size, unsigned perms)
{
	struct walk *w = arg;

	FUZZ_CHECK(size == PAGE_SIZE || size == SZ_2M || size == SZ_1G, "leaf of 0x%llx bytes",
		   (unsigned long long)size);
	FUZZ_CHECK(IS_ALIGNED(ia | pa, size), "leaf at 0x%llx -> 0x%llx not aligned to 0x%llx",
		   (unsigned long long)ia, (unsigned long long)pa, (unsigned long long)size);
	FUZZ_CHECK(ia >= w->last_end, "leaves out of order at 0x%llx", (unsigned long long)ia);
	FUZZ_CHECK(ia + size <= w->t->ia_limit, "leaf beyond the IA size");
	w->last_end = ia + size;
	w->bytes += size;
	w->leaves++;
	if (w->copy) {
		/* Leaves come in order: one extent for each contiguous run of them. */
		struct extent *last = w->copy->n ? &w->copy->e[w->copy->n - 1] : NULL;
		if (last && last->ia + last->size == ia && last->pa + last->size == pa &&
		    last->perms == perms)
			last->size += size;
		else
			model_add(w->copy, ia, size, pa, perms);
	} else
		FUZZ_CHECK(model_covers(&w->t->m, ia, size, pa, perms),
			   "leaf 0x%llx +0x%llx -> 0x%llx perms %x is not in the model",
			   (unsigned long long)ia, (unsigned long long)size, (unsigned long long)pa,
			   perms);
}

/* The leaves are exactly the model: each is in it, and they add up to all of it. */
static void check_table(const struct table *t)
{
	struct walk w = {t, NULL, 0, 0, 0};

	pgtable_for_each_leaf(&t->pt, leaf, &w);
	FUZZ_CHECK(w.bytes == model_bytes(&t->m), "table maps 0x%llx bytes, model 0x%llx",
		   (unsigned long long)w.bytes, (unsigned long long)model_bytes(&t->m));
}

static void check_lookup(const struct table *t, uint64_t ia)
{
	const struct extent *e;
	paddr_t pa;
	unsigned perms;
	uint64_t leaf_size, base;
	int err = pgtable_lookup(&t->pt, ia, &pa, &perms, &leaf_size);

	if (ia >= t->ia_limit) {
		FUZZ_CHECK(err == -E_INVAL, "lookup of 0x%llx beyond the IA size: %d",
			   (unsigned long long)ia, err);
		return;
	}
	e = model_find(&t->m, ia & ~(PAGE_SIZE - 1));
	if (!e) {
		FUZZ_CHECK(err == -E_NOENT, "lookup of unmapped 0x%llx: %d", (unsigned long long)ia,
			   err);
		return;
	}
	FUZZ_CHECK(err == E_OK, "lookup of mapped 0x%llx: %d", (unsigned long long)ia, err);
	FUZZ_CHECK(pa == e->pa + (ia - e->ia) && perms == e->perms,
		   "lookup of 0x%llx: 0x%llx perms %x, expected 0x%llx perms %x",
		   (unsigned long long)ia, (unsigned long long)pa, perms,
		   (unsigned long long)(e->pa + (ia - e->ia)), e->perms);
	base = ia & ~(leaf_size - 1);
	FUZZ_CHECK(model_covers(&t->m, base, leaf_size, pa - (ia - base), perms),
		   "leaf of 0x%llx bytes around 0x%llx maps more than was asked",
		   (unsigned long long)leaf_size, (unsigned long long)ia);
}

/* Lookups around the edges of a range and in its middle. */
static void check_around(const struct table *t, uint64_t ia, uint64_t size)
{
	check_lookup(t, ia);
	check_lookup(t, ia - PAGE_SIZE);
	check_lookup(t, ia + size - PAGE_SIZE);
	check_lookup(t, ia + size);
	check_lookup(t, ia + (size / 2 & ~(PAGE_SIZE - 1)));
}

/* --- operations --- */

static uint64_t pick_ia(struct fuzz_in *in, const struct table *t, uint8_t how)
{
	uint64_t span = MIN(t->ia_limit, 4 * SZ_1G);

	switch (how % 6) {
	case 0:
		return t->window + (fuzz_u32(in) % (span / PAGE_SIZE)) * PAGE_SIZE;
	case 1:
		return t->window + (fuzz_u16(in) % (span / SZ_2M)) * SZ_2M;
	case 2:
		return t->window + (fuzz_u8(in) % (span / SZ_1G)) * SZ_1G;
	case 3:
		return t->ia_limit - (1 + fuzz_u8(in) % 16) * SZ_2M; /* the top of the space */
	case 4:
		return t->window + fuzz_u32(in); /* usually misaligned */
	default:
		return fuzz_u64(in);
	}
}

static uint64_t pick_size(struct fuzz_in *in, uint8_t how)
{
	switch (how % 6) {
	case 0:
		return (1 + fuzz_u16(in) % 1024) * PAGE_SIZE;
	case 1:
		return (1 + fuzz_u8(in) % 16) * SZ_2M;
	case 2:
		return (1 + fuzz_u8(in) % 2) * SZ_1G;
	case 3:
		return (1 + fuzz_u8(in) % 4) * SZ_2M + (1 + fuzz_u8(in) % 8) * PAGE_SIZE;
	case 4:
		return fuzz_u32(in);
	default:
		return fuzz_u64(in);
	}
}

static uint64_t pick_pa(struct fuzz_in *in, uint64_t ia, uint8_t how)
{
	switch (how % 5) {
	case 0:
		return ia;
	case 1:
		return ia + (uint64_t)fuzz_u16(in) * SZ_2M;
	case 2:
		return (uint64_t)fuzz_u32(in) << PAGE_SHIFT;
	case 3:
		return PA_LIMIT - (uint64_t)(1 + fuzz_u8(in)) * SZ_2M;
	default:
		return fuzz_u64(in);
	}
}

/* About how many descriptors a valid map would write: blocks only where ia and pa agree. */
static uint64_t leaves_for(uint64_t ia, uint64_t pa, uint64_t size)
{
	if ((ia ^ pa) & (SZ_2M - 1))
		return size / PAGE_SIZE;
	if ((ia ^ pa) & (SZ_1G - 1))
		return size / SZ_2M + 1024;
	return size / SZ_1G + 2048;
}

static int expected_map(const struct table *t, uint64_t ia, uint64_t pa, uint64_t size,
			unsigned perms)
{
	if (!size || !IS_ALIGNED(ia | size | pa, PAGE_SIZE) || ia + size < ia ||
	    ia + size > t->ia_limit || pa + size < pa || pa + size > PA_LIMIT)
		return -E_INVAL;
	if (!t->pt.stage2 && !(perms & PT_R))
		return -E_INVAL;
	if (!t->pt.stage2 && (perms & PT_W) && (perms & PT_X))
		return -E_PERM;
	if (overlaps(&t->m, ia, size))
		return -E_EXIST;
	return E_OK;
}

static bool range_valid(const struct table *t, uint64_t ia, uint64_t size)
{
	return size && IS_ALIGNED(ia | size, PAGE_SIZE) && ia + size > ia &&
	       ia + size <= t->ia_limit;
}

static void do_map(struct fuzz_in *in, struct table *t, uint8_t op)
{
	uint8_t how = fuzz_u8(in);
	uint64_t ia = pick_ia(in, t, op >> 3), size = pick_size(in, how & 7), pa;
	unsigned perms, pages = mem.live_pages;
	int expect, err;

	pa = pick_pa(in, ia, how >> 3);
	perms = fuzz_u8(in);
	expect = expected_map(t, ia, pa, size, perms);
	if (expect == E_OK && leaves_for(ia, pa, size) > MAX_LEAVES)
		return; /* valid but slow: the harness keeps inputs fast */
	err = pgtable_map(&t->pt, ia, pa, size, perms);
	if (expect != E_OK || err != E_OK) {
		FUZZ_CHECK(err == expect || (expect == E_OK && err == -E_NOMEM),
			   "map 0x%llx +0x%llx -> 0x%llx perms %x: %d, expected %d",
			   (unsigned long long)ia, (unsigned long long)size, (unsigned long long)pa,
			   perms, err, expect);
		/* Refused: nothing changed, no table is left behind. */
		FUZZ_CHECK(mem.live_pages == pages, "refused map left %d table pages",
			   (int)mem.live_pages - (int)pages);
		if (expect != E_OK)
			FUZZ_CHECK(!mem.nflush, "refused map flushed the TLB");
		return;
	}
	model_add(&t->m, ia, size, pa, (perms & 0xf) | (t->pt.stage2 ? 0 : PT_R));
	check_around(t, ia, size);
}

static void do_unmap(struct fuzz_in *in, struct table *t, uint8_t op)
{
	uint8_t how = fuzz_u8(in);
	uint64_t ia = pick_ia(in, t, op >> 3), size = pick_size(in, how & 7);
	int err = pgtable_unmap(&t->pt, ia, size);

	if (!range_valid(t, ia, size)) {
		FUZZ_CHECK(err == -E_INVAL, "unmap of invalid range 0x%llx +0x%llx: %d",
			   (unsigned long long)ia, (unsigned long long)size, err);
		FUZZ_CHECK(!mem.nflush, "refused unmap flushed the TLB");
		return;
	}
	if (err == E_OK) {
		/* Break before make: every flush came after its entries were gone. */
		for (unsigned i = 0; i < mem.nflush; i++)
			FUZZ_CHECK(mem.flush[i].lookup == -E_NOENT,
				   "TLB flush of 0x%llx while it was still mapped",
				   (unsigned long long)mem.flush[i].ia);
		FUZZ_CHECK(mem.nflush && mem.flush[mem.nflush - 1].ia <= ia &&
			       mem.flush[mem.nflush - 1].ia + mem.flush[mem.nflush - 1].size >=
				   ia + size,
			   "unmap of 0x%llx +0x%llx not flushed", (unsigned long long)ia,
			   (unsigned long long)size);
		model_remove(&t->m, ia, size);
		check_around(t, ia, size);
		return;
	}
	FUZZ_CHECK(err == -E_NOMEM, "unmap 0x%llx +0x%llx: %d", (unsigned long long)ia,
		   (unsigned long long)size, err);
	/* Out of memory for a split part way: some of the range may be gone, nothing else. */
	static struct model now;
	struct walk w = {t, &now, 0, 0, 0};
	now.n = 0;
	pgtable_for_each_leaf(&t->pt, leaf, &w);
	for (unsigned i = 0; i < now.n; i++) {
		const struct extent *e = &now.e[i];
		FUZZ_CHECK(model_covers(&t->m, e->ia, e->size, e->pa, e->perms),
			   "failed unmap made a new mapping at 0x%llx", (unsigned long long)e->ia);
	}
	for (unsigned i = 0; i < t->m.n; i++) {
		const struct extent *e = &t->m.e[i];
		uint64_t end = e->ia + e->size;
		if (e->ia < ia)
			FUZZ_CHECK(model_covers(&now, e->ia, MIN(end, ia) - e->ia, e->pa, e->perms),
				   "failed unmap removed 0x%llx, below its range",
				   (unsigned long long)e->ia);
		if (end > ia + size) {
			uint64_t from = MAX(e->ia, ia + size);
			FUZZ_CHECK(
			    model_covers(&now, from, end - from, e->pa + (from - e->ia), e->perms),
			    "failed unmap removed 0x%llx, above its range",
			    (unsigned long long)from);
		}
	}
	memcpy(t->m.e, now.e, now.n * sizeof(now.e[0]));
	t->m.n = now.n;
}

static void setup(struct table *t, bool stage2, uint8_t bits, uint8_t where)
{
	unsigned ia_bits = 30 + bits % 20, pages = mem.live_pages;
	int err;

	memset(&t->m, 0, sizeof(t->m));
	memset(&t->pt, 0, sizeof(t->pt));
	err = pgtable_init(&t->pt, ia_bits, stage2, &host_mm);
	if (ia_bits < 32 || ia_bits > 48) {
		FUZZ_CHECK(err == -E_INVAL && mem.live_pages == pages, "%u IA bits accepted",
			   ia_bits);
		ia_bits = ia_bits < 32 ? 32 : 48;
		err = pgtable_init(&t->pt, ia_bits, stage2, &host_mm);
	}
	FUZZ_CHECK(err == E_OK, "init with %u IA bits: %d", ia_bits, err);
	t->ia_limit = 1ull << ia_bits;
	/* A 4 GiB window at the bottom, the top, or 1 GiB-aligned somewhere in between. */
	if (t->ia_limit <= 4 * SZ_1G || where % 3 == 0)
		t->window = 0;
	else if (where % 3 == 1)
		t->window = t->ia_limit - 4 * SZ_1G;
	else
		t->window = ((uint64_t)where << 30) % (t->ia_limit - 4 * SZ_1G);
}

/*
 * Tables made ahead for a range (stage 2's lazy RAM): whatever the result, no leaf appears or
 * goes (check_table after every operation), and later maps, unmaps and destroy must cope with
 * the tables it keeps. Input: one byte, bits 0..4 the address (pick_ia), bits 5..7 the leaf
 * size (4 KiB, 2 MiB, 1 GiB or an invalid one); then the size's choice byte and its bytes.
 */
static void do_prealloc(struct fuzz_in *in, struct table *t)
{
	static const uint64_t leaf[] = {PAGE_SIZE, SZ_2M, SZ_1G, PAGE_SIZE * 3};
	uint8_t how = fuzz_u8(in);
	uint64_t ia = pick_ia(in, t, how & 31), size = pick_size(in, fuzz_u8(in));
	uint64_t leaf_size = leaf[(how >> 5) % 4];
	int err = pgtable_prealloc(&t->pt, ia, size, leaf_size);

	FUZZ_CHECK(err == E_OK || err == -E_NOMEM || err == -E_INVAL || err == -E_EXIST,
		   "prealloc 0x%llx +0x%llx leaf 0x%llx: %d", (unsigned long long)ia,
		   (unsigned long long)size, (unsigned long long)leaf_size, err);
	if (!range_valid(t, ia, size) || leaf_size == PAGE_SIZE * 3)
		FUZZ_CHECK(err == -E_INVAL, "prealloc of an invalid range or leaf size: %d", err);
	FUZZ_CHECK(!mem.nflush, "prealloc flushed the TLB");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_in in = fuzz_in(data, size);
	uint8_t b0 = fuzz_u8(&in), b1 = fuzz_u8(&in);

	memset(&mem, 0, sizeof(mem));
	mem.budget = -1;
	setup(&tables[0], false, b0, b0 >> 5);
	setup(&tables[1], true, b1, b1 >> 5);

	for (unsigned ops = 0; ops < MAX_OPS && !fuzz_done(&in); ops++) {
		uint8_t op = fuzz_u8(&in);
		struct table *t = &tables[(op >> 2) & 1];
		uint64_t ia;

		cur = t;
		mem.nflush = 0;
		switch (op & 3) {
		case 0:
			do_map(&in, t, op);
			break;
		case 1:
			do_unmap(&in, t, op);
			break;
		case 2:
			ia = pick_ia(&in, t, op >> 3);
			check_lookup(t, ia);
			break;
		default:
			if ((op >> 3) == 31) {
				do_prealloc(&in, t);
				break;
			}
			/* Bits 3..7: 0 lifts the limit, otherwise that many pages more. */
			mem.budget = (op >> 3) ? (op >> 3) - 1 : -1;
			break;
		}
		check_table(t);
	}
	check_table(&tables[0]);
	check_table(&tables[1]);
	pgtable_destroy(&tables[0].pt);
	pgtable_destroy(&tables[1].pt);
	FUZZ_CHECK(!mem.live_pages && !mem.nlive, "destroy left %u table pages", mem.live_pages);
	return 0;
}
