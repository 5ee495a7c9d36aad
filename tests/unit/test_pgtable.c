/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The translation table builder, stage 1 and stage 2, on host memory: "physical addresses" of
 * tables are host pointers (phys_to_virt is the identity), so every table the builder makes can
 * be inspected, counted and checked by AddressSanitizer.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <kestrel/pgtable.h>

#define SZ_4K	  PAGE_SIZE
#define SZ_4M	  (2 * SZ_2M)
#define RW	  (PT_R | PT_W)
#define RWX	  (PT_R | PT_W | PT_X)
#define LIVE_MAX  4096
#define FLUSH_MAX 64

/* --- a page allocator over the host heap --- */

struct flush {
	uint64_t ia, size;
	int lookup; /* pgtable_lookup of ia while the flush ran */
};

static struct pgtable pt; /* the table under test */

static struct {
	long budget; /* pages that may still be handed out; negative: no limit */
	unsigned live_allocs, live_pages, total_allocs;
	struct {
		void *p;
		unsigned npages;
	} live[LIVE_MAX];
	struct flush flushes[FLUSH_MAX];
	unsigned nflush;
	/* Non-zero: frees count as early when no flush so far covered this address. */
	uint64_t watch_ia;
	unsigned frees, early_frees;
} fake;

static paddr_t fake_alloc(void *ctx, unsigned npages)
{
	size_t bytes = (size_t)npages * PAGE_SIZE;
	void *p;

	(void)ctx;
	if (fake.budget >= 0) {
		if (fake.budget < (long)npages)
			return 0;
		fake.budget -= npages;
	}
	p = aligned_alloc(bytes, bytes);
	assert_non_null(p);
	memset(p, 0, bytes);
	for (unsigned i = 0; i < LIVE_MAX; i++) {
		if (!fake.live[i].p) {
			fake.live[i].p = p;
			fake.live[i].npages = npages;
			fake.live_allocs++;
			fake.live_pages += npages;
			fake.total_allocs++;
			return (paddr_t)(uintptr_t)p;
		}
	}
	fail_msg("more than %d live tables", LIVE_MAX);
	return 0;
}

static void fake_free(void *ctx, paddr_t pa, unsigned npages)
{
	void *p = (void *)(uintptr_t)pa;

	(void)ctx;
	if (fake.watch_ia) {
		bool flushed = false;
		for (unsigned f = 0; f < fake.nflush; f++)
			flushed |= fake.watch_ia - fake.flushes[f].ia < fake.flushes[f].size;
		fake.frees++;
		fake.early_frees += !flushed;
	}
	for (unsigned i = 0; i < LIVE_MAX; i++) {
		if (fake.live[i].p == p) {
			assert_int_equal(fake.live[i].npages, npages);
			fake.live[i].p = NULL;
			fake.live_allocs--;
			fake.live_pages -= npages;
			free(p);
			return;
		}
	}
	fail_msg("free of %#llx, which is not a live table", (unsigned long long)pa);
}

static void *fake_virt(void *ctx, paddr_t pa)
{
	(void)ctx;
	return (void *)(uintptr_t)pa;
}

static void fake_flush(void *ctx, uint64_t ia, uint64_t size)
{
	(void)ctx;
	assert_true(fake.nflush < FLUSH_MAX);
	fake.flushes[fake.nflush].ia = ia;
	fake.flushes[fake.nflush].size = size;
	fake.flushes[fake.nflush].lookup = pgtable_lookup(&pt, ia, NULL, NULL, NULL);
	fake.nflush++;
}

static const struct pgtable_mm fake_mm = {fake_alloc, fake_free, fake_virt, fake_flush, NULL};

static int reset_fake(void **state)
{
	(void)state;
	memset(&fake, 0, sizeof(fake));
	memset(&pt, 0, sizeof(pt));
	fake.budget = -1;
	return 0;
}

/* Every table the test left is freed here; destroy must account for all of them. */
static int check_no_tables_left(void **state)
{
	(void)state;
	if (pt.root)
		pgtable_destroy(&pt);
	assert_int_equal(fake.live_allocs, 0);
	return 0;
}

static void new_table(unsigned ia_bits, bool stage2)
{
	assert_int_equal(pgtable_init(&pt, ia_bits, stage2, &fake_mm), E_OK);
}

/* --- collecting leaves --- */

struct leaf {
	uint64_t ia;
	paddr_t pa;
	uint64_t size;
	unsigned perms;
};

static struct {
	struct leaf v[2048];
	unsigned n;
} leaves;

static void collect_leaf(void *arg, uint64_t ia, paddr_t pa, uint64_t size, unsigned perms)
{
	(void)arg;
	assert_true(leaves.n < ARRAY_SIZE(leaves.v));
	leaves.v[leaves.n++] = (struct leaf){ia, pa, size, perms};
}

static unsigned walk(const struct pgtable *pt)
{
	leaves.n = 0;
	pgtable_for_each_leaf(pt, collect_leaf, NULL);
	return leaves.n;
}

static void expect_mapped(const struct pgtable *pt, uint64_t ia, paddr_t want_pa,
			  unsigned want_perms, uint64_t want_leaf)
{
	paddr_t pa = 0;
	unsigned perms = 0;
	uint64_t leaf = 0;

	assert_int_equal(pgtable_lookup(pt, ia, &pa, &perms, &leaf), E_OK);
	assert_int_equal(pa, want_pa);
	assert_int_equal(perms, want_perms);
	assert_int_equal(leaf, want_leaf);
}

static void expect_unmapped(const struct pgtable *pt, uint64_t ia)
{
	assert_int_equal(pgtable_lookup(pt, ia, NULL, NULL, NULL), -E_NOENT);
}

/* --- geometry --- */

static void stage2_40_bits_starts_at_level1_with_two_concatenated_roots(void **state)
{
	(void)state;
	new_table(40, true);
	assert_int_equal(pt.start_level, 1);
	assert_int_equal(pt.root_entries, 1024);
	assert_int_equal(fake.live_allocs, 1);
	assert_int_equal(fake.live_pages, 2);
	assert_true(IS_ALIGNED(pt.root, 2 * PAGE_SIZE));
}

static void stage2_44_bits_starts_at_level0_with_32_entries(void **state)
{
	(void)state;
	new_table(44, true);
	assert_int_equal(pt.start_level, 0);
	assert_int_equal(pt.root_entries, 32);
	assert_int_equal(fake.live_pages, 1);
}

static void stage2_48_bits_starts_at_level0_with_one_full_root(void **state)
{
	(void)state;
	new_table(48, true);
	assert_int_equal(pt.start_level, 0);
	assert_int_equal(pt.root_entries, 512);
	assert_int_equal(fake.live_pages, 1);
}

static void stage2_32_bits_starts_at_level2_with_four_concatenated_roots(void **state)
{
	(void)state;
	new_table(32, true);
	assert_int_equal(pt.start_level, 2);
	assert_int_equal(pt.root_entries, 2048);
	assert_int_equal(fake.live_pages, 4);
	assert_true(IS_ALIGNED(pt.root, 4 * PAGE_SIZE));
}

static void stage2_concatenates_up_to_16_roots_before_adding_a_level(void **state)
{
	static const struct {
		unsigned bits, level, entries;
	} cases[] = {{33, 2, 4096}, {34, 2, 8192}, {35, 1, 32},	 {39, 1, 512},
		     {41, 1, 2048}, {42, 1, 4096}, {43, 1, 8192}};

	(void)state;
	for (unsigned i = 0; i < ARRAY_SIZE(cases); i++) {
		new_table(cases[i].bits, true);
		assert_int_equal(pt.start_level, cases[i].level);
		assert_int_equal(pt.root_entries, cases[i].entries);
		assert_int_equal(fake.live_pages, MAX(cases[i].entries / 512, 1));
		pgtable_destroy(&pt);
	}
}

static void stage1_never_concatenates_roots(void **state)
{
	static const struct {
		unsigned bits, level, entries;
	} cases[] = {{32, 1, 4}, {39, 1, 512}, {40, 0, 2}, {44, 0, 32}, {48, 0, 512}};

	(void)state;
	for (unsigned i = 0; i < ARRAY_SIZE(cases); i++) {
		new_table(cases[i].bits, false);
		assert_int_equal(pt.start_level, cases[i].level);
		assert_int_equal(pt.root_entries, cases[i].entries);
		assert_int_equal(fake.live_pages, 1);
		pgtable_destroy(&pt);
	}
}

static void stage2_root_covers_exactly_ia_bits_with_at_most_16_tables(void **state)
{
	(void)state;
	for (unsigned bits = 32; bits <= 48; bits++) {
		unsigned shift;
		new_table(bits, true);
		shift = 12 + 9 * (3 - pt.start_level);
		assert_int_equal((uint64_t)pt.root_entries << shift, (uint64_t)1 << bits);
		assert_in_range(pt.root_entries, 2, 16 * 512);
		assert_in_range(pt.start_level, 0, 2);
		/* VTCR_EL2.SL0 must describe the same start level the builder chose. */
		assert_int_equal(FIELD(pgtable_vtcr_geometry(bits), 6, 2), 2 - pt.start_level);
		pgtable_destroy(&pt);
	}
}

static void init_refuses_ia_bits_outside_32_to_48(void **state)
{
	(void)state;
	assert_int_equal(pgtable_init(&pt, 31, true, &fake_mm), -E_INVAL);
	assert_int_equal(pgtable_init(&pt, 49, false, &fake_mm), -E_INVAL);
	assert_int_equal(fake.total_allocs, 0);
}

static void init_reports_nomem_when_the_root_cannot_be_allocated(void **state)
{
	(void)state;
	fake.budget = 1; /* the 40-bit stage-2 root needs two pages */
	assert_int_equal(pgtable_init(&pt, 40, true, &fake_mm), -E_NOMEM);
	assert_int_equal(fake.live_allocs, 0);
}

static void vtcr_geometry_encodes_t0sz_and_sl0(void **state)
{
	(void)state;
	assert_int_equal(pgtable_vtcr_geometry(40), 24 | (1u << 6));
	assert_int_equal(pgtable_vtcr_geometry(44), 20 | (2u << 6));
	assert_int_equal(pgtable_vtcr_geometry(48), 16 | (2u << 6));
	assert_int_equal(pgtable_vtcr_geometry(36), 28 | (1u << 6));
	assert_int_equal(pgtable_vtcr_geometry(32), 32 | (0u << 6));
}

/* --- block and page choice --- */

static void map_of_aligned_1g_makes_one_level1_block(void **state)
{
	(void)state;
	new_table(40, true);
	assert_int_equal(pgtable_map(&pt, 0x40000000, 0x80000000, SZ_1G, RWX), E_OK);
	expect_mapped(&pt, 0x40000000, 0x80000000, RWX, SZ_1G);
	expect_mapped(&pt, 0x7fffffff, 0xbfffffff, RWX, SZ_1G);
	expect_unmapped(&pt, 0x3ffff000);
	expect_unmapped(&pt, 0x80000000);
	assert_int_equal(fake.live_allocs, 1); /* the root only: no level-2 table */
	assert_int_equal(walk(&pt), 1);
}

static void a_512g_aligned_range_is_mapped_with_1g_blocks_not_level0_ones(void **state)
{
	(void)state;
	new_table(48, true);
	assert_int_equal(pt.start_level, 0);
	assert_int_equal(pgtable_map(&pt, 1ull << 39, 1ull << 39, 1ull << 39, RW), E_OK);
	expect_mapped(&pt, 1ull << 39, 1ull << 39, RW, SZ_1G);
	assert_int_equal(walk(&pt), 512);
	assert_int_equal(fake.live_allocs, 2); /* root + one level-1 table */
}

static void map_of_aligned_2m_makes_one_level2_block(void **state)
{
	(void)state;
	new_table(40, true);
	assert_int_equal(pgtable_map(&pt, 0x40200000, 0x100200000, SZ_2M, RW), E_OK);
	expect_mapped(&pt, 0x40200000, 0x100200000, RW, SZ_2M);
	expect_mapped(&pt, 0x403ff123, 0x1003ff123, RW, SZ_2M);
	expect_unmapped(&pt, 0x40400000);
	assert_int_equal(fake.live_allocs, 2); /* root + one level-2 table */
	assert_int_equal(walk(&pt), 1);
}

static void map_with_pa_misaligned_to_2m_uses_pages(void **state)
{
	(void)state;
	new_table(40, true);
	assert_int_equal(pgtable_map(&pt, 0x40200000, 0x80001000, SZ_2M, RW), E_OK);
	expect_mapped(&pt, 0x40200000, 0x80001000, RW, SZ_4K);
	expect_mapped(&pt, 0x403ff000, 0x80200000, RW, SZ_4K);
	assert_int_equal(walk(&pt), 512);
	assert_int_equal(fake.live_allocs, 3); /* root, level 2, level 3 */
}

static void map_with_ia_misaligned_to_2m_uses_pages(void **state)
{
	(void)state;
	new_table(40, true);
	assert_int_equal(pgtable_map(&pt, 0x40001000, 0x80200000, SZ_2M, RW), E_OK);
	expect_mapped(&pt, 0x40001000, 0x80200000, RW, SZ_4K);
	expect_mapped(&pt, 0x40200000, 0x803ff000, RW, SZ_4K);
	assert_int_equal(walk(&pt), 512);
}

static void map_of_1g_with_pa_only_2m_aligned_uses_2m_blocks(void **state)
{
	(void)state;
	new_table(40, true);
	assert_int_equal(pgtable_map(&pt, 0x40000000, 0x80200000, SZ_1G, RW), E_OK);
	assert_int_equal(walk(&pt), 512);
	for (unsigned i = 0; i < leaves.n; i++)
		assert_int_equal(leaves.v[i].size, SZ_2M);
	expect_mapped(&pt, 0x7fe00000, 0xc0000000, RW, SZ_2M);
}

static void mixed_range_uses_pages_then_a_block_then_pages(void **state)
{
	uint64_t ia = 0x40001000, pa = 0x80001000, next = ia;
	unsigned pages = 0, blocks = 0;

	(void)state;
	new_table(40, true);
	assert_int_equal(pgtable_map(&pt, ia, pa, SZ_4M, RW), E_OK);
	walk(&pt);
	/* 511 pages up to 0x40200000, one 2 MiB block, then the last page at 0x40400000. */
	for (unsigned i = 0; i < leaves.n; i++) {
		assert_int_equal(leaves.v[i].ia, next);
		assert_int_equal(leaves.v[i].pa, next - ia + pa);
		if (leaves.v[i].size == SZ_2M) {
			assert_int_equal(leaves.v[i].ia, 0x40200000);
			assert_int_equal(i, 511);
			blocks++;
		} else {
			assert_int_equal(leaves.v[i].size, SZ_4K);
			pages++;
		}
		next += leaves.v[i].size;
	}
	assert_int_equal(next, ia + SZ_4M);
	assert_int_equal(pages, 512);
	assert_int_equal(blocks, 1);
}

static void mapping_above_512_root_entries_uses_the_second_concatenated_table(void **state)
{
	(void)state;
	new_table(40, true);
	/* Root entry 1020 of 1024: in the second of the two concatenated pages. */
	assert_int_equal(pgtable_map(&pt, 0xff00000000ull, 0x40000000, SZ_1G, RW), E_OK);
	assert_int_equal(pgtable_map(&pt, 0xffffe00000ull, 0x80000000, SZ_2M, RW), E_OK);
	expect_mapped(&pt, 0xff00000000ull, 0x40000000, RW, SZ_1G);
	expect_mapped(&pt, 0xffffe00000ull, 0x80000000, RW, SZ_2M);
	expect_unmapped(&pt, 0xff00000000ull - SZ_1G * 512); /* same index in the first page */
	assert_int_equal(walk(&pt), 2);
	assert_int_equal(leaves.v[0].ia, 0xff00000000ull);
	assert_int_equal(leaves.v[1].ia, 0xffffe00000ull);
	assert_int_equal(pgtable_lookup(&pt, BIT(40), NULL, NULL, NULL), -E_INVAL);
}

/* --- permissions and descriptor encoding --- */

static void stage2_permissions_decode_back(void **state)
{
	static const unsigned perms[] = {
	    PT_R, RW, PT_R | PT_X, RWX, PT_R | PT_DEVICE, RW | PT_DEVICE, PT_W, PT_X, 0,
	};
	(void)state;
	new_table(40, true);
	for (unsigned i = 0; i < ARRAY_SIZE(perms); i++)
		assert_int_equal(pgtable_map(&pt, 0x40000000 + i * SZ_4K, 0x90000000 + i * SZ_4K,
					     SZ_4K, perms[i]),
				 E_OK);
	for (unsigned i = 0; i < ARRAY_SIZE(perms); i++)
		expect_mapped(&pt, 0x40000000 + i * SZ_4K, 0x90000000 + i * SZ_4K, perms[i], SZ_4K);
}

static void stage1_permissions_decode_back(void **state)
{
	static const unsigned perms[] = {
	    PT_R, RW, PT_R | PT_X, PT_R | PT_DEVICE, RW | PT_DEVICE,
	};
	(void)state;
	new_table(48, false);
	for (unsigned i = 0; i < ARRAY_SIZE(perms); i++)
		assert_int_equal(pgtable_map(&pt, 0x40000000 + i * SZ_2M, 0x40000000 + i * SZ_2M,
					     SZ_2M, perms[i]),
				 E_OK);
	for (unsigned i = 0; i < ARRAY_SIZE(perms); i++)
		expect_mapped(&pt, 0x40000000 + i * SZ_2M + 0x10, 0x40000000 + i * SZ_2M + 0x10,
			      perms[i], SZ_2M);
}

static void stage2_block_descriptor_has_the_architected_bits(void **state)
{
	const uint64_t *root;

	(void)state;
	new_table(40, true);
	assert_int_equal(pgtable_map(&pt, 0x40000000, 0x80000000, SZ_1G, RWX), E_OK);
	assert_int_equal(pgtable_map(&pt, 0x80000000, 0xc0000000, SZ_1G, PT_R | PT_DEVICE), E_OK);
	root = (const uint64_t *)(uintptr_t)pt.root;
	/* valid block, MemAttr 0b1111 (Normal WB), S2AP RW, SH inner, AF; executable. */
	assert_int_equal(root[1], 0x80000000ull | 1 | (0xf << 2) | (3 << 6) | (3 << 8) | (1 << 10));
	/* Device-nGnRE (MemAttr 0b0001), S2AP read-only, XN. */
	assert_int_equal(root[2], 0xc0000000ull | 1 | (0x1 << 2) | (1 << 6) | (3 << 8) | (1 << 10) |
				      (1ull << 54));
}

static void stage1_page_descriptor_has_the_architected_bits(void **state)
{
	const uint64_t *t;

	(void)state;
	new_table(32, false);
	assert_int_equal(pgtable_map(&pt, 0x1000, 0x7000, SZ_4K, PT_R | PT_X), E_OK);
	assert_int_equal(pgtable_map(&pt, 0x2000, 0x8000, SZ_4K, RW), E_OK);
	t = (const uint64_t *)(uintptr_t)pt.root;		     /* level 1 */
	t = (const uint64_t *)(uintptr_t)(t[0] & 0xfffffffff000ull); /* level 2 */
	t = (const uint64_t *)(uintptr_t)(t[0] & 0xfffffffff000ull); /* level 3 */
	/* page, AttrIndx 2 (Normal), AP[2:1] = 0b11 (read-only), SH inner, AF. */
	assert_int_equal(t[1], 0x7000ull | 3 | (2 << 2) | (3 << 6) | (3 << 8) | (1 << 10));
	/* AP[2:1] = 0b01 (read-write), never executable. */
	assert_int_equal(t[2],
			 0x8000ull | 3 | (2 << 2) | (1 << 6) | (3 << 8) | (1 << 10) | (1ull << 54));
}

static void stage1_refuses_writable_and_executable(void **state)
{
	(void)state;
	new_table(48, false);
	assert_int_equal(pgtable_map(&pt, 0x40000000, 0x40000000, SZ_4K, RWX), -E_PERM);
	assert_int_equal(pgtable_map(&pt, 0x40000000, 0x40000000, SZ_2M, RWX | PT_DEVICE), -E_PERM);
	expect_unmapped(&pt, 0x40000000);
	assert_int_equal(fake.live_allocs, 1);
}

static void stage1_refuses_mappings_without_read(void **state)
{
	(void)state;
	new_table(48, false);
	assert_int_equal(pgtable_map(&pt, 0x40000000, 0x40000000, SZ_4K, PT_W), -E_INVAL);
	assert_int_equal(pgtable_map(&pt, 0x40000000, 0x40000000, SZ_4K, PT_X), -E_INVAL);
	expect_unmapped(&pt, 0x40000000);
}

/* --- refusals --- */

static void overlapping_map_is_refused_and_the_existing_mapping_kept(void **state)
{
	unsigned tables;

	(void)state;
	new_table(40, true);
	assert_int_equal(pgtable_map(&pt, 0x40200000, 0x80200000, SZ_2M, RW), E_OK);
	assert_int_equal(pgtable_map(&pt, 0x40600000, 0x80600000, 2 * SZ_4K, PT_R), E_OK);
	tables = fake.live_allocs;

	/* Starts before the block and ends inside it. */
	assert_int_equal(pgtable_map(&pt, 0x40100000, 0x90100000, SZ_2M, PT_R), -E_EXIST);
	/* One page inside the block. */
	assert_int_equal(pgtable_map(&pt, 0x40300000, 0x90300000, SZ_4K, PT_R), -E_EXIST);
	/* Exactly the block again. */
	assert_int_equal(pgtable_map(&pt, 0x40200000, 0x90200000, SZ_2M, RWX), -E_EXIST);
	/* Covers the 2 pages' second page and runs past it. */
	assert_int_equal(pgtable_map(&pt, 0x40601000, 0x90601000, 4 * SZ_4K, PT_R), -E_EXIST);
	/* A 1 GiB block over all of it. */
	assert_int_equal(pgtable_map(&pt, 0x40000000, 0xc0000000, SZ_1G, PT_R), -E_EXIST);

	expect_mapped(&pt, 0x40200000, 0x80200000, RW, SZ_2M);
	expect_mapped(&pt, 0x40601000, 0x80601000, PT_R, SZ_4K);
	expect_unmapped(&pt, 0x40100000); /* the refused maps' free parts stay free */
	expect_unmapped(&pt, 0x40602000);
	assert_int_equal(walk(&pt), 3);
	assert_int_equal(fake.live_allocs, tables);
}

static void adjacent_map_is_accepted(void **state)
{
	(void)state;
	new_table(40, true);
	assert_int_equal(pgtable_map(&pt, 0x40200000, 0x80200000, SZ_2M, RW), E_OK);
	assert_int_equal(pgtable_map(&pt, 0x401ff000, 0x801ff000, SZ_4K, RW), E_OK);
	assert_int_equal(pgtable_map(&pt, 0x40400000, 0x80400000, SZ_4K, RW), E_OK);
	assert_int_equal(walk(&pt), 3);
}

static void misaligned_empty_and_out_of_range_maps_are_refused(void **state)
{
	(void)state;
	new_table(40, true);
	assert_int_equal(pgtable_map(&pt, 0x40000800, 0x80000000, SZ_4K, RW), -E_INVAL);
	assert_int_equal(pgtable_map(&pt, 0x40000000, 0x80000800, SZ_4K, RW), -E_INVAL);
	assert_int_equal(pgtable_map(&pt, 0x40000000, 0x80000000, SZ_4K + 1, RW), -E_INVAL);
	assert_int_equal(pgtable_map(&pt, 0x40000000, 0x80000000, 0, RW), -E_INVAL);
	/* Ends one page beyond 2^40, starts at 2^40, wraps around 2^64. */
	assert_int_equal(pgtable_map(&pt, BIT(40) - SZ_4K, 0x80000000, 2 * SZ_4K, RW), -E_INVAL);
	assert_int_equal(pgtable_map(&pt, BIT(40), 0x80000000, SZ_4K, RW), -E_INVAL);
	assert_int_equal(pgtable_map(&pt, ~(uint64_t)0xfff, 0x80000000, 2 * SZ_4K, RW), -E_INVAL);
	/* Output addresses beyond 48 bits. */
	assert_int_equal(pgtable_map(&pt, 0x40000000, BIT(48) - SZ_4K, 2 * SZ_4K, RW), -E_INVAL);
	assert_int_equal(walk(&pt), 0);
	assert_int_equal(fake.live_allocs, 1);
	/* The last page below 2^40 is fine. */
	assert_int_equal(pgtable_map(&pt, BIT(40) - SZ_4K, 0x80000000, SZ_4K, RW), E_OK);
	expect_mapped(&pt, BIT(40) - 1, 0x80000fff, RW, SZ_4K);
	assert_int_equal(pgtable_lookup(&pt, BIT(40), NULL, NULL, NULL), -E_INVAL);
}

/* --- unmapping --- */

static void unmapping_a_page_of_a_1g_block_splits_it(void **state)
{
	(void)state;
	new_table(40, true);
	assert_int_equal(pgtable_map(&pt, 0x40000000, 0x80000000, SZ_1G, RWX), E_OK);
	assert_int_equal(pgtable_unmap(&pt, 0x40201000, SZ_4K), E_OK);

	expect_mapped(&pt, 0x40000000, 0x80000000, RWX, SZ_2M);
	expect_mapped(&pt, 0x40200000, 0x80200000, RWX, SZ_4K);
	expect_unmapped(&pt, 0x40201000);
	expect_mapped(&pt, 0x40202000, 0x80202000, RWX, SZ_4K);
	expect_mapped(&pt, 0x403ff000, 0x803ff000, RWX, SZ_4K);
	expect_mapped(&pt, 0x40400000, 0x80400000, RWX, SZ_2M);
	expect_mapped(&pt, 0x7fffffff, 0xbfffffff, RWX, SZ_2M);
	assert_int_equal(walk(&pt), 511 + 511);
	assert_int_equal(fake.live_allocs, 3);

	/* Break-before-make: both blocks were invalid while their TLB entries were flushed. */
	assert_int_equal(fake.nflush, 3);
	assert_int_equal(fake.flushes[0].ia, 0x40000000);
	assert_int_equal(fake.flushes[0].size, SZ_1G);
	assert_int_equal(fake.flushes[0].lookup, -E_NOENT);
	assert_int_equal(fake.flushes[1].ia, 0x40200000);
	assert_int_equal(fake.flushes[1].size, SZ_2M);
	assert_int_equal(fake.flushes[1].lookup, -E_NOENT);
	assert_int_equal(fake.flushes[2].ia, 0x40201000);
	assert_int_equal(fake.flushes[2].size, SZ_4K);
}

static void unmapping_the_tail_of_a_2m_block_keeps_its_head(void **state)
{
	(void)state;
	new_table(40, false);
	assert_int_equal(pgtable_map(&pt, 0x40200000, 0x40200000, SZ_2M, PT_R), E_OK);
	assert_int_equal(pgtable_unmap(&pt, 0x40300000, SZ_1G), E_OK); /* past the block too */
	expect_mapped(&pt, 0x40200000, 0x40200000, PT_R, SZ_4K);
	expect_mapped(&pt, 0x402ff000, 0x402ff000, PT_R, SZ_4K);
	expect_unmapped(&pt, 0x40300000);
	assert_int_equal(walk(&pt), 256);
	assert_true(fake.nflush >= 2);
	assert_int_equal(fake.flushes[fake.nflush - 1].ia, 0x40300000);
	assert_int_equal(fake.flushes[fake.nflush - 1].size, SZ_1G);
}

static void unmapping_everything_frees_every_table_but_the_root(void **state)
{
	(void)state;
	new_table(40, true);
	assert_int_equal(pgtable_map(&pt, 0x40001000, 0x80001000, SZ_4M, RW), E_OK);
	assert_int_equal(pgtable_map(&pt, 0x100000000ull, 0x100000000ull, SZ_1G, RW), E_OK);
	assert_int_equal(pgtable_map(&pt, 0x8000000000ull, 0x9000000, SZ_4K, PT_R | PT_DEVICE),
			 E_OK);
	assert_true(fake.live_allocs > 4);
	assert_int_equal(pgtable_unmap(&pt, 0x40000000, SZ_1G), E_OK);
	assert_int_equal(pgtable_unmap(&pt, 0x100000000ull, SZ_1G), E_OK);
	assert_int_equal(pgtable_unmap(&pt, 0x8000000000ull, SZ_4K), E_OK);
	assert_int_equal(walk(&pt), 0);
	assert_int_equal(fake.live_allocs, 1);
	assert_int_equal(fake.live_pages, 2);
}

/* Another CPU's walk cache may hold an emptied table until the flush: its page must not be
   handed out (and written) before. */
static void an_emptied_table_is_freed_only_after_its_range_is_flushed(void **state)
{
	(void)state;
	new_table(40, true);
	assert_int_equal(pgtable_map(&pt, 0x40201000, 0x80201000, SZ_4K, RW), E_OK);
	assert_int_equal(fake.live_allocs, 3); /* root (2 pages), level 2, level 3 */
	fake.nflush = 0;
	fake.watch_ia = 0x40201000;
	assert_int_equal(pgtable_unmap(&pt, 0x40201000, SZ_4K), E_OK);
	assert_int_equal(fake.frees, 2);
	assert_int_equal(fake.early_frees, 0);
	assert_int_equal(fake.live_allocs, 1);
	fake.watch_ia = 0;
}

static void unmapping_unmapped_space_is_harmless(void **state)
{
	(void)state;
	new_table(40, true);
	assert_int_equal(pgtable_map(&pt, 0x40000000, 0x80000000, SZ_2M, RW), E_OK);
	assert_int_equal(pgtable_unmap(&pt, 0x50000000, SZ_1G), E_OK);
	expect_mapped(&pt, 0x40000000, 0x80000000, RW, SZ_2M);
	assert_int_equal(fake.live_allocs, 2);
}

static void unmap_refuses_misaligned_empty_and_out_of_range(void **state)
{
	(void)state;
	new_table(40, true);
	assert_int_equal(pgtable_map(&pt, 0x40000000, 0x80000000, SZ_2M, RW), E_OK);
	assert_int_equal(pgtable_unmap(&pt, 0x40000800, SZ_4K), -E_INVAL);
	assert_int_equal(pgtable_unmap(&pt, 0x40000000, 0x800), -E_INVAL);
	assert_int_equal(pgtable_unmap(&pt, 0x40000000, 0), -E_INVAL);
	assert_int_equal(pgtable_unmap(&pt, BIT(40) - SZ_4K, 2 * SZ_4K), -E_INVAL);
	expect_mapped(&pt, 0x40000000, 0x80000000, RW, SZ_2M);
}

static void unmap_split_without_memory_fails_and_keeps_the_block(void **state)
{
	(void)state;
	new_table(40, true);
	assert_int_equal(pgtable_map(&pt, 0x40000000, 0x80000000, SZ_2M, RW), E_OK);
	fake.budget = 0;
	assert_int_equal(pgtable_unmap(&pt, 0x40001000, SZ_4K), -E_NOMEM);
	expect_mapped(&pt, 0x40001000, 0x80001000, RW, SZ_2M);
}

/* --- walking --- */

static void for_each_leaf_visits_leaves_in_ascending_order(void **state)
{
	(void)state;
	new_table(40, true);
	/* Mapped out of order, at every level. */
	assert_int_equal(pgtable_map(&pt, 0x8000000000ull, 0x40000000, SZ_1G, RW), E_OK);
	assert_int_equal(pgtable_map(&pt, 0x9000000, 0x9000000, SZ_4K, RW | PT_DEVICE), E_OK);
	assert_int_equal(pgtable_map(&pt, 0x40200000, 0x1000200000ull, SZ_2M, PT_R | PT_X), E_OK);
	assert_int_equal(pgtable_map(&pt, 0x8000000, 0x8000000, 2 * SZ_4K, PT_R), E_OK);

	assert_int_equal(walk(&pt), 5);
	const struct leaf want[] = {
	    {0x8000000, 0x8000000, SZ_4K, PT_R},
	    {0x8001000, 0x8001000, SZ_4K, PT_R},
	    {0x9000000, 0x9000000, SZ_4K, RW | PT_DEVICE},
	    {0x40200000, 0x1000200000ull, SZ_2M, PT_R | PT_X},
	    {0x8000000000ull, 0x40000000, SZ_1G, RW},
	};
	for (unsigned i = 0; i < ARRAY_SIZE(want); i++) {
		assert_int_equal(leaves.v[i].ia, want[i].ia);
		assert_int_equal(leaves.v[i].pa, want[i].pa);
		assert_int_equal(leaves.v[i].size, want[i].size);
		assert_int_equal(leaves.v[i].perms, want[i].perms);
	}
}

/* --- running out of memory --- */

static void allocation_failure_mid_map_maps_nothing(void **state)
{
	/* Crosses a 1 GiB boundary: a level-2 and a level-3 table on each side. */
	const uint64_t ia = 0x7fe01000, size = 0x80400000 - 0x7fe01000 + SZ_4K;
	unsigned needed;

	(void)state;
	new_table(40, true);
	needed = fake.total_allocs;
	assert_int_equal(pgtable_map(&pt, ia, ia, size, RW), E_OK);
	needed = fake.total_allocs - needed;
	assert_int_equal(needed, 4);
	pgtable_destroy(&pt);
	for (unsigned budget = 0; budget < needed; budget++) {
		new_table(40, true);
		assert_int_equal(pgtable_map(&pt, 0x200000000ull, 0x200000000ull, SZ_4K, RW), E_OK);
		unsigned tables = fake.live_allocs;
		fake.budget = budget;
		assert_int_equal(pgtable_map(&pt, ia, ia, size, RW), -E_NOMEM);
		/* Nothing of the failed map is left, not even an empty table. */
		assert_int_equal(walk(&pt), 1);
		assert_int_equal(leaves.v[0].ia, 0x200000000ull);
		assert_int_equal(fake.live_allocs, tables);
		/* And once memory is back, the same map works. */
		fake.budget = -1;
		assert_int_equal(pgtable_map(&pt, ia, ia, size, RW), E_OK);
		pgtable_destroy(&pt);
		assert_int_equal(fake.live_allocs, 0);
	}
}

static void destroy_frees_every_table(void **state)
{
	(void)state;
	new_table(48, false);
	assert_int_equal(pgtable_map(&pt, 0x40001000, 0x40001000, SZ_4M, PT_R), E_OK);
	assert_int_equal(pgtable_map(&pt, 0x800000000000ull - SZ_4K, 0x1000, SZ_4K, RW), E_OK);
	assert_int_equal(pgtable_map(&pt, 0x80000000, 0x80000000, SZ_1G, PT_R | PT_X), E_OK);
	assert_true(fake.live_allocs >= 7);
	pgtable_destroy(&pt);
	assert_int_equal(pt.root, 0);
	assert_int_equal(fake.live_allocs, 0);
	pgtable_destroy(&pt); /* a second destroy finds nothing to free */
	assert_int_equal(fake.live_allocs, 0);
}

/* --- tables allocated ahead of the mappings (a VM's lazily handed-over RAM) --- */

/* A VM's RAM over three 1 GiB regions: at 0x40000000, 2 GiB + 4 MiB. */
#define RAM_IA	 0x40000000ull
#define RAM_SIZE (2 * SZ_1G + SZ_4M)
#define RAM_PA	 0x200000000ull

static void prealloc_makes_the_tables_of_2m_blocks_and_maps_nothing(void **state)
{
	(void)state;
	new_table(48, true);
	assert_int_equal(pgtable_prealloc(&pt, RAM_IA, RAM_SIZE, SZ_2M), E_OK);
	/* The root, one level-1 table, a level-2 table for each of the three 1 GiB regions. */
	assert_int_equal(fake.live_allocs, 1 + 1 + 3);
	assert_int_equal(walk(&pt), 0);
	for (uint64_t off = 0; off < RAM_SIZE; off += SZ_2M)
		expect_unmapped(&pt, RAM_IA + off);
	expect_unmapped(&pt, RAM_IA - SZ_4K);
	expect_unmapped(&pt, RAM_IA + RAM_SIZE);
}

static void every_2m_map_after_prealloc_allocates_nothing(void **state)
{
	unsigned tables;

	(void)state;
	new_table(48, true);
	assert_int_equal(pgtable_prealloc(&pt, RAM_IA, RAM_SIZE, SZ_2M), E_OK);
	tables = fake.total_allocs;
	fake.budget = 0; /* no page left: a map that needed a table would fail */
	for (uint64_t off = 0; off < RAM_SIZE; off += SZ_2M)
		assert_int_equal(pgtable_map(&pt, RAM_IA + off, RAM_PA + off, SZ_2M, RWX), E_OK);
	assert_int_equal(fake.total_allocs, tables);
	assert_int_equal(walk(&pt), RAM_SIZE / SZ_2M);
	for (unsigned i = 0; i < leaves.n; i++) {
		assert_int_equal(leaves.v[i].ia, RAM_IA + i * SZ_2M);
		assert_int_equal(leaves.v[i].pa, RAM_PA + i * SZ_2M);
		assert_int_equal(leaves.v[i].size, SZ_2M);
	}
}

static void unmapping_keeps_the_preallocated_tables_for_the_next_map(void **state)
{
	unsigned tables;

	(void)state;
	new_table(48, true);
	assert_int_equal(pgtable_prealloc(&pt, RAM_IA, RAM_SIZE, SZ_2M), E_OK);
	tables = fake.live_allocs;
	for (uint64_t off = 0; off < RAM_SIZE; off += SZ_2M)
		assert_int_equal(pgtable_map(&pt, RAM_IA + off, RAM_PA + off, SZ_2M, RW), E_OK);
	for (uint64_t off = 0; off < RAM_SIZE; off += SZ_2M) { /* as vm_ram_scrub does */
		fake.nflush = 0;
		assert_int_equal(pgtable_unmap(&pt, RAM_IA + off, SZ_2M), E_OK);
		assert_int_equal(fake.nflush, 1);
	}
	assert_int_equal(walk(&pt), 0);
	assert_int_equal(fake.live_allocs, tables);
	/* A restarted VM touches its RAM again, with no page left to allocate. */
	fake.budget = 0;
	assert_int_equal(pgtable_map(&pt, RAM_IA + SZ_1G, RAM_PA, SZ_2M, RW), E_OK);
	expect_mapped(&pt, RAM_IA + SZ_1G, RAM_PA, RW, SZ_2M);
	/* Destroy frees the kept tables too (check_no_tables_left). */
}

static void a_1g_map_over_2m_preallocated_tables_uses_2m_blocks_and_allocates_nothing(void **state)
{
	(void)state;
	new_table(48, true);
	assert_int_equal(pgtable_prealloc(&pt, RAM_IA, SZ_1G, SZ_2M), E_OK);
	fake.budget = 0;
	assert_int_equal(pgtable_map(&pt, RAM_IA, RAM_PA, SZ_1G, RW), E_OK);
	assert_int_equal(walk(&pt), 512);
	expect_mapped(&pt, RAM_IA + SZ_1G - SZ_4K, RAM_PA + SZ_1G - SZ_4K, RW, SZ_2M);
}

static void prealloc_of_4k_and_1g_leaves_makes_the_tables_down_to_their_level(void **state)
{
	(void)state;
	new_table(48, true);
	/* 4 KiB leaves: root, level 1, level 2, and a level-3 table for each 2 MiB. */
	assert_int_equal(pgtable_prealloc(&pt, RAM_IA + SZ_2M - SZ_4K, 2 * SZ_4K, SZ_4K), E_OK);
	assert_int_equal(fake.live_allocs, 1 + 1 + 1 + 2);
	fake.budget = 0;
	assert_int_equal(pgtable_map(&pt, RAM_IA + SZ_2M - SZ_4K, 0x5000, 2 * SZ_4K, RW), E_OK);
	assert_int_equal(walk(&pt), 2);
	pgtable_destroy(&pt);
	assert_int_equal(fake.live_allocs, 0);

	/* 1 GiB leaves: the level-1 table only; a 1 GiB block then needs nothing. */
	fake.budget = -1;
	new_table(48, true);
	assert_int_equal(pgtable_prealloc(&pt, 4 * SZ_1G, 2 * SZ_1G, SZ_1G), E_OK);
	assert_int_equal(fake.live_allocs, 1 + 1);
	fake.budget = 0;
	assert_int_equal(pgtable_map(&pt, 5 * SZ_1G, 0, SZ_1G, RW), E_OK);
	expect_mapped(&pt, 5 * SZ_1G, 0, RW, SZ_1G);

	/* A start level at or below the leaves' level: the root is all there is to make. */
	fake.budget = -1;
	pgtable_destroy(&pt);
	new_table(32, true);
	assert_int_equal(pgtable_prealloc(&pt, RAM_IA, SZ_1G, SZ_1G), E_OK);
	assert_int_equal(fake.live_allocs, 1);
}

static void prealloc_adopts_the_tables_a_map_already_made(void **state)
{
	(void)state;
	new_table(48, true);
	assert_int_equal(pgtable_map(&pt, RAM_IA, RAM_PA, SZ_2M, RW), E_OK);
	assert_int_equal(fake.live_allocs, 3);
	assert_int_equal(pgtable_prealloc(&pt, RAM_IA, SZ_1G, SZ_2M), E_OK);
	assert_int_equal(fake.total_allocs, 3); /* nothing new */
	expect_mapped(&pt, RAM_IA, RAM_PA, RW, SZ_2M);
	/* Unmapping the only block no longer frees the tables it was in. */
	assert_int_equal(pgtable_unmap(&pt, RAM_IA, SZ_2M), E_OK);
	assert_int_equal(fake.live_allocs, 3);
	/* Twice is the same as once. */
	assert_int_equal(pgtable_prealloc(&pt, RAM_IA, SZ_1G, SZ_2M), E_OK);
	assert_int_equal(fake.total_allocs, 3);
}

static void tables_outside_the_preallocated_range_are_still_freed(void **state)
{
	(void)state;
	new_table(48, true);
	assert_int_equal(pgtable_prealloc(&pt, RAM_IA, SZ_4M, SZ_2M), E_OK);
	assert_int_equal(fake.live_allocs, 3);
	/* Another 1 GiB region under the same level-1 table: its level-2 table comes and goes. */
	assert_int_equal(pgtable_map(&pt, 0x80000000, 0x80000000, SZ_2M, RW), E_OK);
	assert_int_equal(fake.live_allocs, 4);
	assert_int_equal(pgtable_unmap(&pt, 0x80000000, SZ_2M), E_OK);
	assert_int_equal(fake.live_allocs, 3);
	/* A page inside the range needs a level-3 table, which is not kept. */
	assert_int_equal(pgtable_map(&pt, RAM_IA, RAM_PA, SZ_4K, RW), E_OK);
	assert_int_equal(fake.live_allocs, 4);
	assert_int_equal(pgtable_unmap(&pt, RAM_IA, SZ_4K), E_OK);
	assert_int_equal(fake.live_allocs, 3);
}

static void a_failed_map_in_the_range_keeps_the_preallocated_tables(void **state)
{
	(void)state;
	new_table(48, true);
	assert_int_equal(pgtable_prealloc(&pt, RAM_IA, SZ_1G, SZ_2M), E_OK);
	fake.budget = 0;
	/* Pages need a level-3 table, and there is none to have: refused, nothing changed. */
	assert_int_equal(pgtable_map(&pt, RAM_IA + SZ_4K, RAM_PA, SZ_4K, RW), -E_NOMEM);
	assert_int_equal(fake.live_allocs, 3);
	assert_int_equal(pgtable_map(&pt, RAM_IA, RAM_PA, SZ_2M, RW), E_OK);
}

static void prealloc_without_memory_reports_nomem_and_destroy_frees_what_it_made(void **state)
{
	(void)state;
	for (long budget = 0; budget < 4; budget++) {
		fake.budget = -1;
		new_table(48, true);
		fake.budget = budget; /* the range needs 4 tables besides the root */
		assert_int_equal(pgtable_prealloc(&pt, RAM_IA, RAM_SIZE, SZ_2M), -E_NOMEM);
		assert_int_equal(fake.live_allocs, 1 + budget);
		assert_int_equal(walk(&pt), 0);
		pgtable_destroy(&pt);
		assert_int_equal(fake.live_allocs, 0);
	}
}

static void prealloc_refuses_bad_ranges_sizes_and_bigger_leaves(void **state)
{
	(void)state;
	new_table(40, true);
	assert_int_equal(pgtable_prealloc(&pt, RAM_IA, SZ_2M, SZ_4M), -E_INVAL);
	assert_int_equal(pgtable_prealloc(&pt, RAM_IA, SZ_2M, 0), -E_INVAL);
	assert_int_equal(pgtable_prealloc(&pt, RAM_IA + 1, SZ_2M, SZ_2M), -E_INVAL);
	assert_int_equal(pgtable_prealloc(&pt, RAM_IA, 0, SZ_2M), -E_INVAL);
	assert_int_equal(pgtable_prealloc(&pt, (1ull << 40) - SZ_2M, SZ_4M, SZ_2M), -E_INVAL);
	assert_int_equal(fake.total_allocs, 1);
	/* A 1 GiB block maps part of the range: its tables cannot exist without splitting it. */
	assert_int_equal(pgtable_map(&pt, SZ_1G, SZ_1G, SZ_1G, RW), E_OK);
	assert_int_equal(pgtable_prealloc(&pt, SZ_1G - SZ_2M, SZ_4M, SZ_2M), -E_EXIST);
	expect_mapped(&pt, SZ_1G, SZ_1G, RW, SZ_1G);
	/* With 1 GiB leaves there is nothing to make above it. */
	assert_int_equal(pgtable_prealloc(&pt, SZ_1G, SZ_1G, SZ_1G), E_OK);
}

static void a_preallocated_table_descriptor_uses_only_an_ignored_bit_more(void **state)
{
	const uint64_t *root;

	(void)state;
	new_table(40, true);
	assert_int_equal(pgtable_prealloc(&pt, RAM_IA, SZ_2M, SZ_2M), E_OK);
	root = (const uint64_t *)(uintptr_t)pt.root;
	/* A valid table at level 1; bit 55 is in bits 58:51, which the table walk ignores. */
	assert_int_equal(root[1] & ~0xfffffffff000ull, 3 | (1ull << 55));
	assert_int_equal(root[0] | root[2], 0);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, reset_fake, check_no_tables_left)

int main(void)
{
	const struct CMUnitTest tests[] = {
	    T(stage2_40_bits_starts_at_level1_with_two_concatenated_roots),
	    T(stage2_44_bits_starts_at_level0_with_32_entries),
	    T(stage2_48_bits_starts_at_level0_with_one_full_root),
	    T(stage2_32_bits_starts_at_level2_with_four_concatenated_roots),
	    T(stage2_concatenates_up_to_16_roots_before_adding_a_level),
	    T(stage1_never_concatenates_roots),
	    T(stage2_root_covers_exactly_ia_bits_with_at_most_16_tables),
	    T(init_refuses_ia_bits_outside_32_to_48),
	    T(init_reports_nomem_when_the_root_cannot_be_allocated),
	    T(vtcr_geometry_encodes_t0sz_and_sl0),
	    T(map_of_aligned_1g_makes_one_level1_block),
	    T(a_512g_aligned_range_is_mapped_with_1g_blocks_not_level0_ones),
	    T(map_of_aligned_2m_makes_one_level2_block),
	    T(map_with_pa_misaligned_to_2m_uses_pages),
	    T(map_with_ia_misaligned_to_2m_uses_pages),
	    T(map_of_1g_with_pa_only_2m_aligned_uses_2m_blocks),
	    T(mixed_range_uses_pages_then_a_block_then_pages),
	    T(mapping_above_512_root_entries_uses_the_second_concatenated_table),
	    T(stage2_permissions_decode_back),
	    T(stage1_permissions_decode_back),
	    T(stage2_block_descriptor_has_the_architected_bits),
	    T(stage1_page_descriptor_has_the_architected_bits),
	    T(stage1_refuses_writable_and_executable),
	    T(stage1_refuses_mappings_without_read),
	    T(overlapping_map_is_refused_and_the_existing_mapping_kept),
	    T(adjacent_map_is_accepted),
	    T(misaligned_empty_and_out_of_range_maps_are_refused),
	    T(unmapping_a_page_of_a_1g_block_splits_it),
	    T(unmapping_the_tail_of_a_2m_block_keeps_its_head),
	    T(unmapping_everything_frees_every_table_but_the_root),
	    T(an_emptied_table_is_freed_only_after_its_range_is_flushed),
	    T(unmapping_unmapped_space_is_harmless),
	    T(unmap_refuses_misaligned_empty_and_out_of_range),
	    T(unmap_split_without_memory_fails_and_keeps_the_block),
	    T(for_each_leaf_visits_leaves_in_ascending_order),
	    T(allocation_failure_mid_map_maps_nothing),
	    T(destroy_frees_every_table),
	    T(prealloc_makes_the_tables_of_2m_blocks_and_maps_nothing),
	    T(every_2m_map_after_prealloc_allocates_nothing),
	    T(unmapping_keeps_the_preallocated_tables_for_the_next_map),
	    T(a_1g_map_over_2m_preallocated_tables_uses_2m_blocks_and_allocates_nothing),
	    T(prealloc_of_4k_and_1g_leaves_makes_the_tables_down_to_their_level),
	    T(prealloc_adopts_the_tables_a_map_already_made),
	    T(tables_outside_the_preallocated_range_are_still_freed),
	    T(a_failed_map_in_the_range_keeps_the_preallocated_tables),
	    T(prealloc_without_memory_reports_nomem_and_destroy_frees_what_it_made),
	    T(prealloc_refuses_bad_ranges_sizes_and_bigger_leaves),
	    T(a_preallocated_table_descriptor_uses_only_an_ignored_bit_more),
	};

	return cmocka_run_group_tests_name("pgtable", tests, NULL, NULL);
}
