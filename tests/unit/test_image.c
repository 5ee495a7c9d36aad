/* SPDX-License-Identifier: Apache-2.0 */
/* arm64 Linux Image headers: where a kernel loads and how much memory it needs. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <kestrel/image.h>

#define FILE_SIZE 0x10000

/* An image of exactly size bytes on the heap, so ASan catches reads past its end. */
static uint8_t *img;

static void put64(uint8_t *p, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

/* The 64-byte header of Documentation/arch/arm64/booting.rst, little-endian. */
static uint8_t *linux_image(size_t size, uint64_t text_offset, uint64_t image_size, uint64_t flags)
{
	uint8_t h[64] = {0};

	put64(h + 0x00, 0x14000010); /* code0: b stext */
	put64(h + 0x08, text_offset);
	put64(h + 0x10, image_size);
	put64(h + 0x18, flags);
	memcpy(h + 0x38, "ARM\x64", 4);
	h[0x3c] = 0x40; /* res5: offset to the PE header */
	img = calloc(1, size);
	assert_non_null(img);
	memcpy(img, h, size < sizeof(h) ? size : sizeof(h));
	return img;
}

static int free_image(void **state)
{
	(void)state;
	free(img);
	img = NULL;
	return 0;
}

static void linux_header_gives_offset_and_size(void **state)
{
	struct image_info info;

	(void)state;
	linux_image(FILE_SIZE, 0x80000, 0x1234000, 0xa); /* LE, 4K pages, anywhere */
	assert_int_equal(image_parse(img, FILE_SIZE, &info), E_OK);
	assert_true(info.has_header);
	assert_int_equal(info.load_offset, 0x80000);
	assert_int_equal(info.mem_size, 0x1234000);
}

static void modern_kernels_ask_for_offset_zero(void **state)
{
	struct image_info info;

	(void)state;
	linux_image(FILE_SIZE, 0, 0x2000000, 0xa);
	assert_int_equal(image_parse(img, FILE_SIZE, &info), E_OK);
	assert_true(info.has_header);
	assert_int_equal(info.load_offset, 0);
	assert_int_equal(info.mem_size, 0x2000000);
}

static void zero_image_size_means_an_old_kernel_at_0x80000(void **state)
{
	struct image_info info;

	(void)state;
	/* Before 3.17 text_offset's endianness was unspecified: it is not trusted. */
	linux_image(FILE_SIZE, 0x0000080000000000ull, 0, 0);
	assert_int_equal(image_parse(img, FILE_SIZE, &info), E_OK);
	assert_true(info.has_header);
	assert_int_equal(info.load_offset, IMAGE_RAW_OFFSET);
	assert_int_equal(info.mem_size, FILE_SIZE);
}

static void raw_binary_loads_at_0x80000(void **state)
{
	struct image_info info;

	(void)state;
	linux_image(FILE_SIZE, 0x200000, 0x1000, 1);
	memset(img + 0x38, 0, 4); /* no magic: every other field is just code */
	assert_int_equal(image_parse(img, FILE_SIZE, &info), E_OK);
	assert_false(info.has_header);
	assert_int_equal(info.load_offset, 0x80000);
	assert_int_equal(info.mem_size, FILE_SIZE);
}

static void magic_must_match_exactly(void **state)
{
	struct image_info info;

	(void)state;
	linux_image(FILE_SIZE, 0, 0x2000000, 0xa);
	memcpy(img + 0x38, "ARM\x65", 4);
	assert_int_equal(image_parse(img, FILE_SIZE, &info), E_OK);
	assert_false(info.has_header);
	memcpy(img + 0x38, "\x64MRA", 4); /* the magic read with the wrong endianness */
	assert_int_equal(image_parse(img, FILE_SIZE, &info), E_OK);
	assert_false(info.has_header);
}

static void big_endian_kernels_are_refused(void **state)
{
	struct image_info info;

	(void)state;
	linux_image(FILE_SIZE, 0, 0x2000000, 0xb);
	assert_int_equal(image_parse(img, FILE_SIZE, &info), -E_INVAL);
}

static void text_offset_must_be_below_2m_and_page_aligned(void **state)
{
	struct image_info info;

	(void)state;
	linux_image(FILE_SIZE, SZ_2M, 0x2000000, 0xa);
	assert_int_equal(image_parse(img, FILE_SIZE, &info), -E_INVAL);
	put64(img + 0x08, 0x100000000ull);
	assert_int_equal(image_parse(img, FILE_SIZE, &info), -E_INVAL);
	put64(img + 0x08, 0x80800);
	assert_int_equal(image_parse(img, FILE_SIZE, &info), -E_INVAL);
	put64(img + 0x08, SZ_2M - PAGE_SIZE);
	assert_int_equal(image_parse(img, FILE_SIZE, &info), E_OK);
	assert_int_equal(info.load_offset, SZ_2M - PAGE_SIZE);
}

static void image_size_must_cover_the_file(void **state)
{
	struct image_info info;

	(void)state;
	linux_image(FILE_SIZE, 0, FILE_SIZE - 1, 0xa);
	assert_int_equal(image_parse(img, FILE_SIZE, &info), -E_INVAL);
	put64(img + 0x10, FILE_SIZE);
	assert_int_equal(image_parse(img, FILE_SIZE, &info), E_OK);
	assert_int_equal(info.mem_size, FILE_SIZE);
}

static void absurd_image_sizes_are_refused(void **state)
{
	struct image_info info;

	(void)state;
	linux_image(FILE_SIZE, 0, (1ull << 40) + 1, 0xa);
	assert_int_equal(image_parse(img, FILE_SIZE, &info), -E_INVAL);
	put64(img + 0x10, ~0ull);
	assert_int_equal(image_parse(img, FILE_SIZE, &info), -E_INVAL);
	put64(img + 0x10, 1ull << 40);
	assert_int_equal(image_parse(img, FILE_SIZE, &info), E_OK);
}

static void files_shorter_than_a_header_are_raw(void **state)
{
	struct image_info info;

	(void)state;
	/* 63 bytes with the magic where it would be: too short to be a header. */
	linux_image(63, 0, 0x2000000, 0xb);
	assert_int_equal(image_parse(img, 63, &info), E_OK);
	assert_false(info.has_header);
	assert_int_equal(info.load_offset, IMAGE_RAW_OFFSET);
	assert_int_equal(info.mem_size, 63);
	free(img);
	linux_image(4, 0, 0, 0);
	assert_int_equal(image_parse(img, 4, &info), E_OK);
	assert_int_equal(info.mem_size, 4);
}

static void a_header_exactly_64_bytes_long_is_read(void **state)
{
	struct image_info info;

	(void)state;
	linux_image(64, 0x80000, 0x100000, 0xa);
	assert_int_equal(image_parse(img, 64, &info), E_OK);
	assert_true(info.has_header);
	assert_int_equal(info.mem_size, 0x100000);
}

static void empty_files_are_refused(void **state)
{
	struct image_info info;

	(void)state;
	linux_image(64, 0, 0x100000, 0xa);
	assert_int_equal(image_parse(img, 0, &info), -E_INVAL);
}

#define T(fn) cmocka_unit_test_teardown(fn, free_image)

int main(void)
{
	const struct CMUnitTest tests[] = {
	    T(linux_header_gives_offset_and_size),
	    T(modern_kernels_ask_for_offset_zero),
	    T(zero_image_size_means_an_old_kernel_at_0x80000),
	    T(raw_binary_loads_at_0x80000),
	    T(magic_must_match_exactly),
	    T(big_endian_kernels_are_refused),
	    T(text_offset_must_be_below_2m_and_page_aligned),
	    T(image_size_must_cover_the_file),
	    T(absurd_image_sizes_are_refused),
	    T(files_shorter_than_a_header_are_raw),
	    T(a_header_exactly_64_bytes_long_is_read),
	    T(empty_files_are_refused),
	};

	return cmocka_run_group_tests_name("image", tests, NULL, NULL);
}
