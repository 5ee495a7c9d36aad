/* SPDX-License-Identifier: Apache-2.0 */
/* The owner-tracking page allocator over a pretend RAM bank (only its owner array is real). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <cmocka.h>

#include <kestrel/palloc.h>

#define BASE   0x40000000ull
#define NPAGES 64
#define SIZE   (NPAGES * PAGE_SIZE)
#define TOP    (BASE + SIZE)
#define VM1    OWNER_VM(1)
#define VM2    OWNER_VM(2)

static struct palloc pa;
static owner_t *owners;

static int setup(void **state)
{
	(void)state;
	/* Exactly the size palloc_meta_size asks for, so ASan sees any access past it. */
	owners = malloc(palloc_meta_size(SIZE));
	assert_non_null(owners);
	for (unsigned i = 0; i < NPAGES; i++)
		owners[i] = 0xdead; /* init must not rely on zeroed memory */
	palloc_init(&pa, BASE, SIZE, owners);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	free(owners);
	return 0;
}

static paddr_t page(unsigned i)
{
	return BASE + i * PAGE_SIZE;
}

static void meta_size_is_two_bytes_per_page(void **state)
{
	(void)state;
	assert_int_equal(palloc_meta_size(SIZE), NPAGES * sizeof(owner_t));
	assert_int_equal(palloc_meta_size(1ull << 30), (1ull << 18) * 2);
}

static void init_makes_every_page_free(void **state)
{
	(void)state;
	assert_int_equal(pa.npages, NPAGES);
	assert_int_equal(pa.free_pages, NPAGES);
	assert_int_equal(palloc_count(&pa, OWNER_FREE), NPAGES);
	assert_int_equal(palloc_owner(&pa, BASE), OWNER_FREE);
	assert_int_equal(palloc_owner(&pa, TOP - 1), OWNER_FREE);
}

static void owner_outside_ram_is_firmware(void **state)
{
	(void)state;
	assert_int_equal(palloc_owner(&pa, BASE - 1), OWNER_FIRMWARE);
	assert_int_equal(palloc_owner(&pa, 0), OWNER_FIRMWARE);
	assert_int_equal(palloc_owner(&pa, TOP), OWNER_FIRMWARE);
	assert_int_equal(palloc_owner(&pa, ~0ull), OWNER_FIRMWARE);
}

static void reserve_widens_to_whole_pages(void **state)
{
	(void)state;
	/* 0x1800..0x2800 touches pages 1 and 2. */
	palloc_reserve(&pa, BASE + 0x1800, 0x1000, OWNER_KESTREL);
	assert_int_equal(palloc_owner(&pa, page(0)), OWNER_FREE);
	assert_int_equal(palloc_owner(&pa, page(1)), OWNER_KESTREL);
	assert_int_equal(palloc_owner(&pa, page(2)), OWNER_KESTREL);
	assert_int_equal(palloc_owner(&pa, page(3)), OWNER_FREE);
	assert_int_equal(pa.free_pages, NPAGES - 2);
}

static void reserve_clips_to_ram(void **state)
{
	(void)state;
	/* Starts below RAM, ends inside page 1. */
	palloc_reserve(&pa, BASE - 0x10000, 0x10000 + 0x1001, OWNER_FIRMWARE);
	/* Starts in the last page, runs far beyond RAM. */
	palloc_reserve(&pa, TOP - 0x10, 0x100000, OWNER_IMAGES);
	/* Entirely outside: below, above. */
	palloc_reserve(&pa, 0x1000, 0x1000, OWNER_KESTREL);
	palloc_reserve(&pa, TOP, 0x1000, OWNER_KESTREL);
	assert_int_equal(palloc_owner(&pa, page(0)), OWNER_FIRMWARE);
	assert_int_equal(palloc_owner(&pa, page(1)), OWNER_FIRMWARE);
	assert_int_equal(palloc_owner(&pa, page(2)), OWNER_FREE);
	assert_int_equal(palloc_owner(&pa, page(NPAGES - 1)), OWNER_IMAGES);
	assert_int_equal(palloc_count(&pa, OWNER_KESTREL), 0);
	assert_int_equal(pa.free_pages, NPAGES - 3);
}

static void reserve_to_the_end_of_the_address_space_covers_the_rest_of_ram(void **state)
{
	(void)state;
	/* A size that wraps past 2^64, and one that ends exactly at its last byte. */
	palloc_reserve(&pa, page(60), ~0ull, OWNER_FIRMWARE);
	palloc_reserve(&pa, page(50), ~0ull - page(50), OWNER_IMAGES);
	assert_int_equal(palloc_owner(&pa, page(49)), OWNER_FREE);
	assert_int_equal(palloc_owner(&pa, page(50)), OWNER_IMAGES);
	assert_int_equal(palloc_owner(&pa, page(NPAGES - 1)), OWNER_IMAGES);
	assert_int_equal(palloc_count(&pa, OWNER_IMAGES), NPAGES - 50);
	assert_int_equal(pa.free_pages, 50);
}

static void reserving_twice_counts_free_pages_once(void **state)
{
	(void)state;
	palloc_reserve(&pa, page(4), 4 * PAGE_SIZE, OWNER_KESTREL);
	palloc_reserve(&pa, page(6), 4 * PAGE_SIZE, OWNER_FIRMWARE);
	assert_int_equal(pa.free_pages, NPAGES - 6);
	assert_int_equal(palloc_count(&pa, OWNER_KESTREL), 2);
	assert_int_equal(palloc_count(&pa, OWNER_FIRMWARE), 4);
}

static void alloc_is_first_fit(void **state)
{
	(void)state;
	assert_int_equal(palloc_alloc(&pa, 1, 0, VM1), page(0));
	assert_int_equal(palloc_alloc(&pa, 2, PAGE_SIZE, VM1), page(1));
	palloc_reserve(&pa, page(4), PAGE_SIZE, OWNER_FIRMWARE);
	/* Page 3 is free but too short a run for 2 pages: the first fit is at 5. */
	assert_int_equal(palloc_alloc(&pa, 2, 0, VM2), page(5));
	assert_int_equal(palloc_alloc(&pa, 1, 0, VM2), page(3));
	assert_int_equal(palloc_owner(&pa, page(3)), VM2);
	assert_int_equal(palloc_count(&pa, VM1), 3);
	assert_int_equal(palloc_count(&pa, VM2), 3);
	assert_int_equal(pa.free_pages, NPAGES - 7);
}

static void alloc_honours_alignment(void **state)
{
	(void)state;
	assert_int_equal(palloc_alloc(&pa, 1, 0, VM1), page(0));
	/* 16 KiB alignment: the next aligned start after page 0 is page 4. */
	assert_int_equal(palloc_alloc(&pa, 2, 4 * PAGE_SIZE, VM1), page(4));
	/* Busy page 9 in the middle of the 8-aligned run at 8: skip to 16. */
	palloc_reserve(&pa, page(9), PAGE_SIZE, OWNER_KESTREL);
	assert_int_equal(palloc_alloc(&pa, 4, 8 * PAGE_SIZE, VM2), page(16));
	/* Pages 1-3 are still free and reachable without alignment. */
	assert_int_equal(palloc_alloc(&pa, 3, 0, VM2), page(1));
}

static void alignment_is_of_the_address_not_the_offset_in_ram(void **state)
{
	struct palloc odd;
	owner_t *meta = malloc(palloc_meta_size(SIZE));

	(void)state;
	assert_non_null(meta);
	/* RAM starting 4 KiB past a 64 KiB boundary. */
	palloc_init(&odd, 0x40001000, SIZE, meta);
	assert_int_equal(palloc_alloc(&odd, 1, 0x10000, VM1), 0x40010000);
	assert_int_equal(palloc_alloc(&odd, 1, 0x10000, VM1), 0x40020000);
	free(meta);
}

static void alloc_fails_when_nothing_fits(void **state)
{
	(void)state;
	assert_int_equal(palloc_alloc(&pa, NPAGES + 1, 0, VM1), 0);
	assert_int_equal(palloc_alloc(&pa, 0, 0, VM1), 0);
	assert_int_equal(palloc_alloc(&pa, 1, 0, OWNER_FREE), 0);
	/* Enough free pages, but not contiguous. */
	palloc_reserve(&pa, page(32), PAGE_SIZE, OWNER_FIRMWARE);
	assert_int_equal(palloc_alloc(&pa, 40, 0, VM1), 0);
	/* Contiguous, but no start aligned to 128 KiB leaves room for 32 pages. */
	assert_int_equal(palloc_alloc(&pa, 32, 32 * PAGE_SIZE, VM1), page(0));
	assert_int_equal(palloc_alloc(&pa, 31, 32 * PAGE_SIZE, VM1), 0);
	assert_int_equal(pa.free_pages, NPAGES - 33);
}

static void exhaustion_returns_zero_and_free_makes_room_again(void **state)
{
	(void)state;
	for (unsigned i = 0; i < NPAGES; i++)
		assert_int_equal(palloc_alloc(&pa, 1, 0, VM1), page(i));
	assert_int_equal(pa.free_pages, 0);
	assert_int_equal(palloc_alloc(&pa, 1, 0, VM1), 0);
	assert_int_equal(palloc_free(&pa, page(7), 1, VM1), E_OK);
	assert_int_equal(palloc_alloc(&pa, 1, 0, VM2), page(7));
	assert_int_equal(palloc_owner(&pa, page(7)), VM2);
}

static void free_returns_pages_to_the_pool(void **state)
{
	(void)state;
	assert_int_equal(palloc_alloc(&pa, 8, 0, VM1), page(0));
	assert_int_equal(palloc_free(&pa, page(2), 4, VM1), E_OK);
	assert_int_equal(palloc_owner(&pa, page(1)), VM1);
	assert_int_equal(palloc_owner(&pa, page(2)), OWNER_FREE);
	assert_int_equal(palloc_owner(&pa, page(5)), OWNER_FREE);
	assert_int_equal(palloc_owner(&pa, page(6)), VM1);
	assert_int_equal(pa.free_pages, NPAGES - 4);
	assert_int_equal(palloc_count(&pa, VM1), 4);
}

static void free_by_the_wrong_owner_is_refused_and_changes_nothing(void **state)
{
	(void)state;
	assert_int_equal(palloc_alloc(&pa, 2, 0, VM1), page(0));
	assert_int_equal(palloc_alloc(&pa, 2, 0, VM2), page(2));
	assert_int_equal(palloc_free(&pa, page(0), 2, VM2), -E_PERM);
	/* Spanning both owners: refused as a whole, even the pages VM1 does own. */
	assert_int_equal(palloc_free(&pa, page(1), 2, VM1), -E_PERM);
	/* Free pages are not anyone's to free. */
	assert_int_equal(palloc_free(&pa, page(10), 1, VM1), -E_PERM);
	assert_int_equal(palloc_free(&pa, page(0), 1, OWNER_FREE), -E_INVAL);
	assert_int_equal(palloc_owner(&pa, page(0)), VM1);
	assert_int_equal(palloc_owner(&pa, page(1)), VM1);
	assert_int_equal(palloc_owner(&pa, page(2)), VM2);
	assert_int_equal(pa.free_pages, NPAGES - 4);
}

static void free_outside_ram_or_misaligned_is_refused(void **state)
{
	(void)state;
	assert_int_equal(palloc_alloc(&pa, NPAGES, 0, VM1), BASE);
	assert_int_equal(palloc_free(&pa, BASE - PAGE_SIZE, 1, VM1), -E_INVAL);
	assert_int_equal(palloc_free(&pa, TOP, 1, VM1), -E_INVAL);
	assert_int_equal(palloc_free(&pa, page(NPAGES - 1), 2, VM1), -E_INVAL);
	assert_int_equal(palloc_free(&pa, page(1), ~0ull, VM1), -E_INVAL);
	assert_int_equal(palloc_free(&pa, page(1) + 8, 1, VM1), -E_INVAL);
	assert_int_equal(pa.free_pages, 0);
	assert_int_equal(palloc_count(&pa, VM1), NPAGES);
}

static void counts_follow_every_owner(void **state)
{
	(void)state;
	palloc_reserve(&pa, page(0), 3 * PAGE_SIZE, OWNER_KESTREL);
	assert_int_equal(palloc_alloc(&pa, 5, 0, VM1), page(3));
	assert_int_equal(palloc_alloc(&pa, 7, 0, OWNER_IMAGES), page(8));
	assert_int_equal(palloc_count(&pa, OWNER_KESTREL), 3);
	assert_int_equal(palloc_count(&pa, VM1), 5);
	assert_int_equal(palloc_count(&pa, OWNER_IMAGES), 7);
	assert_int_equal(palloc_count(&pa, VM2), 0);
	assert_int_equal(palloc_count(&pa, OWNER_FREE), NPAGES - 15);
	assert_int_equal(pa.free_pages, palloc_count(&pa, OWNER_FREE));
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
	    T(meta_size_is_two_bytes_per_page),
	    T(init_makes_every_page_free),
	    T(owner_outside_ram_is_firmware),
	    T(reserve_widens_to_whole_pages),
	    T(reserve_clips_to_ram),
	    T(reserve_to_the_end_of_the_address_space_covers_the_rest_of_ram),
	    T(reserving_twice_counts_free_pages_once),
	    T(alloc_is_first_fit),
	    T(alloc_honours_alignment),
	    T(alignment_is_of_the_address_not_the_offset_in_ram),
	    T(alloc_fails_when_nothing_fits),
	    T(exhaustion_returns_zero_and_free_makes_room_again),
	    T(free_returns_pages_to_the_pool),
	    T(free_by_the_wrong_owner_is_refused_and_changes_nothing),
	    T(free_outside_ram_or_misaligned_is_refused),
	    T(counts_follow_every_owner),
	};

	return cmocka_run_group_tests_name("palloc", tests, NULL, NULL);
}
