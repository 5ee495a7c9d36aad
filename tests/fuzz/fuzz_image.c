/* SPDX-License-Identifier: Apache-2.0 */
/* fuzz-sources: hyp/lib/image.c */
/*
 * Kernel images from the configuration: the bytes are a kernel module as vm_images.c hands it to
 * image_parse. Whatever it accepts must be loadable where load_images puts it: an offset below
 * 2 MiB on a page boundary, and at least the file's size of memory. Files without the arm64
 * Image header (or too short for one) are raw binaries and always accepted.
 */
#include <string.h>

#include <kestrel/image.h>

#include "harness.h"

#define MAGIC_OFFSET 0x38

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint8_t magic[4] = {'A', 'R', 'M', 0x64};
	bool header = size >= 64 && !memcmp(data + MAGIC_OFFSET, magic, 4);
	struct image_info info;
	int err;

	memset(&info, 0xa5, sizeof(info));
	err = image_parse(data, size, &info);
	if (!size) {
		FUZZ_CHECK(err == -E_INVAL, "empty image accepted");
		return 0;
	}
	if (!header) {
		FUZZ_CHECK(err == E_OK && !info.has_header &&
			       info.load_offset == IMAGE_RAW_OFFSET && info.mem_size == size,
			   "raw image of %zu bytes: err %d, offset 0x%llx, size 0x%llx", size, err,
			   (unsigned long long)info.load_offset, (unsigned long long)info.mem_size);
		return 0;
	}
	FUZZ_CHECK(info.has_header, "header not noticed");
	if (err) {
		FUZZ_CHECK(err == -E_INVAL, "error %d", err);
		return 0;
	}
	FUZZ_CHECK(info.load_offset < SZ_2M && info.load_offset % PAGE_SIZE == 0,
		   "load offset 0x%llx", (unsigned long long)info.load_offset);
	FUZZ_CHECK(info.mem_size >= size && info.mem_size <= (1ull << 40),
		   "mem_size 0x%llx for %zu", (unsigned long long)info.mem_size, size);
	/* Only little-endian kernels: flags bit 0 clear. */
	FUZZ_CHECK(!(data[24] & 1), "big-endian kernel accepted");
	return 0;
}
