/* SPDX-License-Identifier: Apache-2.0 */
/* The per-VM MMIO router: a table sorted by base, searched by binary search. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <kestrel/mmio.h>

#define TABLE_MAX 8

static struct mmio_dev gicd = {0x08000000, 0x10000, "gicd", NULL};
static struct mmio_dev gicr = {0x080a0000, 0x40000, "gicr", NULL};
static struct mmio_dev uart = {0x09000000, 0x1000, "uart", NULL};
static struct mmio_dev rtc = {0x09010000, 0x1000, "rtc", NULL};
static struct mmio_dev high = {0x4010000000ull, 0x10000000, "pcie-ecam", NULL};

static struct mmio_dev *table[TABLE_MAX];
static unsigned n;

static int empty_table(void **state)
{
	(void)state;
	for (unsigned i = 0; i < TABLE_MAX; i++)
		table[i] = NULL;
	n = 0;
	return 0;
}

static void insert_all(void)
{
	/* Deliberately out of order. */
	assert_int_equal(mmio_insert(table, &n, TABLE_MAX, &uart), E_OK);
	assert_int_equal(mmio_insert(table, &n, TABLE_MAX, &high), E_OK);
	assert_int_equal(mmio_insert(table, &n, TABLE_MAX, &gicd), E_OK);
	assert_int_equal(mmio_insert(table, &n, TABLE_MAX, &rtc), E_OK);
	assert_int_equal(mmio_insert(table, &n, TABLE_MAX, &gicr), E_OK);
}

static void insert_keeps_the_table_sorted_by_base(void **state)
{
	(void)state;
	insert_all();
	assert_int_equal(n, 5);
	assert_ptr_equal(table[0], &gicd);
	assert_ptr_equal(table[1], &gicr);
	assert_ptr_equal(table[2], &uart);
	assert_ptr_equal(table[3], &rtc);
	assert_ptr_equal(table[4], &high);
	assert_null(table[5]);
}

static void find_returns_first_middle_and_last_device(void **state)
{
	(void)state;
	insert_all();
	assert_ptr_equal(mmio_find(table, n, 0x08000000), &gicd);
	assert_ptr_equal(mmio_find(table, n, 0x0800fffc), &gicd);
	assert_ptr_equal(mmio_find(table, n, 0x09000018), &uart);
	assert_ptr_equal(mmio_find(table, n, 0x080dffff), &gicr);
	assert_ptr_equal(mmio_find(table, n, 0x4010000000ull), &high);
	assert_ptr_equal(mmio_find(table, n, 0x401fffffffull), &high);
}

static void find_misses_gaps_and_just_past_each_end(void **state)
{
	(void)state;
	insert_all();
	assert_null(mmio_find(table, n, 0));
	assert_null(mmio_find(table, n, 0x07ffffff));
	assert_null(mmio_find(table, n, 0x08010000));	   /* just past gicd */
	assert_null(mmio_find(table, n, 0x0809ffff));	   /* just before gicr */
	assert_null(mmio_find(table, n, 0x080e0000));	   /* just past gicr */
	assert_null(mmio_find(table, n, 0x09001000));	   /* just past uart */
	assert_null(mmio_find(table, n, 0x09011000));	   /* just past rtc */
	assert_null(mmio_find(table, n, 0x40000000));	   /* RAM */
	assert_null(mmio_find(table, n, 0x4020000000ull)); /* just past the last */
	assert_null(mmio_find(table, n, ~0ull));
}

static void find_agrees_with_a_linear_search_everywhere(void **state)
{
	static const uint64_t probes[] = {0x07fff000, 0x08000000,      0x08008000,     0x0800ffff,
					  0x08010000, 0x08090000,      0x080a0000,     0x080c0000,
					  0x080dffff, 0x080e0000,      0x08ffffff,     0x09000000,
					  0x09000fff, 0x09001000,      0x09010000,     0x09010fff,
					  0x09011000, 0x4010000000ull, 0x401fffffffull};

	(void)state;
	insert_all();
	for (unsigned count = 0; count <= n; count++) {
		for (unsigned p = 0; p < ARRAY_SIZE(probes); p++) {
			struct mmio_dev *want = NULL;
			for (unsigned i = 0; i < count; i++)
				if (probes[p] >= table[i]->base &&
				    probes[p] - table[i]->base < table[i]->size)
					want = table[i];
			assert_ptr_equal(mmio_find(table, count, probes[p]), want);
		}
	}
}

static void find_in_an_empty_table_finds_nothing(void **state)
{
	(void)state;
	assert_null(mmio_find(table, 0, 0x09000000));
}

static void insert_refuses_overlap_with_the_device_below(void **state)
{
	struct mmio_dev tail = {0x09000ff0, 0x100, "tail", NULL};

	(void)state;
	insert_all();
	assert_int_equal(mmio_insert(table, &n, TABLE_MAX, &tail), -E_EXIST);
	assert_int_equal(n, 5);
	assert_ptr_equal(table[3], &rtc);
}

static void insert_refuses_overlap_with_the_device_above(void **state)
{
	struct mmio_dev head = {0x08ffff00, 0x101, "head", NULL};
	struct mmio_dev same = {0x09000000, 0x10, "same", NULL};
	struct mmio_dev cover = {0x07000000, 0x3000000, "cover", NULL};

	(void)state;
	insert_all();
	assert_int_equal(mmio_insert(table, &n, TABLE_MAX, &head), -E_EXIST);
	assert_int_equal(mmio_insert(table, &n, TABLE_MAX, &same), -E_EXIST);
	assert_int_equal(mmio_insert(table, &n, TABLE_MAX, &cover), -E_EXIST);
	assert_int_equal(n, 5);
	assert_null(table[5]);
}

static void insert_accepts_devices_that_touch(void **state)
{
	struct mmio_dev before = {0x08fff000, 0x1000, "before", NULL};
	struct mmio_dev after = {0x09001000, 0xf000, "after", NULL};

	(void)state;
	insert_all();
	assert_int_equal(mmio_insert(table, &n, TABLE_MAX, &before), E_OK);
	assert_int_equal(mmio_insert(table, &n, TABLE_MAX, &after), E_OK);
	assert_ptr_equal(table[2], &before);
	assert_ptr_equal(table[3], &uart);
	assert_ptr_equal(table[4], &after);
	assert_ptr_equal(table[5], &rtc);
	assert_ptr_equal(mmio_find(table, n, 0x09001000), &after);
	assert_ptr_equal(mmio_find(table, n, 0x08ffffff), &before);
}

static void insert_refuses_a_full_table(void **state)
{
	struct mmio_dev extra[3] = {
	    {0x0a000000, 0x1000, "a", NULL},
	    {0x0b000000, 0x1000, "b", NULL},
	    {0x0c000000, 0x1000, "c", NULL},
	};
	struct mmio_dev one_more = {0x00001000, 0x1000, "one-more", NULL};

	(void)state;
	insert_all();
	for (unsigned i = 0; i < 3; i++)
		assert_int_equal(mmio_insert(table, &n, TABLE_MAX, &extra[i]), E_OK);
	assert_int_equal(n, TABLE_MAX);
	assert_int_equal(mmio_insert(table, &n, TABLE_MAX, &one_more), -E_NOMEM);
	assert_int_equal(n, TABLE_MAX);
	assert_ptr_equal(table[0], &gicd);
	assert_null(mmio_find(table, n, 0x1000));
}

static void insert_refuses_empty_and_wrapping_devices(void **state)
{
	struct mmio_dev empty = {0x0a000000, 0, "empty", NULL};
	struct mmio_dev wraps = {0xfffffffffffff000ull, 0x2000, "wraps", NULL};

	(void)state;
	assert_true(mmio_insert(table, &n, TABLE_MAX, &empty) < 0);
	assert_true(mmio_insert(table, &n, TABLE_MAX, &wraps) < 0);
	assert_int_equal(n, 0);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, empty_table, NULL)

int main(void)
{
	const struct CMUnitTest tests[] = {
	    T(insert_keeps_the_table_sorted_by_base),
	    T(find_returns_first_middle_and_last_device),
	    T(find_misses_gaps_and_just_past_each_end),
	    T(find_agrees_with_a_linear_search_everywhere),
	    T(find_in_an_empty_table_finds_nothing),
	    T(insert_refuses_overlap_with_the_device_below),
	    T(insert_refuses_overlap_with_the_device_above),
	    T(insert_accepts_devices_that_touch),
	    T(insert_refuses_a_full_table),
	    T(insert_refuses_empty_and_wrapping_devices),
	};

	return cmocka_run_group_tests_name("mmio", tests, NULL, NULL);
}
