/* SPDX-License-Identifier: Apache-2.0 */
/* Linux Image header checks (Documentation/arch/arm64/booting.rst). Pure logic. */
#include <kestrel/image.h>
#include <kestrel/lib.h>

#define IMAGE_MAGIC 0x644d5241u /* "ARM\x64" */

static uint64_t le64(const uint8_t *p)
{
	uint64_t v = 0;

	for (int i = 7; i >= 0; i--)
		v = (v << 8) | p[i];
	return v;
}

int image_parse(const void *image, uint64_t file_size, struct image_info *info)
{
	const uint8_t *h = image;
	uint32_t magic;

	memset(info, 0, sizeof(*info));
	if (file_size == 0)
		return -E_INVAL;
	if (file_size < 64) {
		info->load_offset = IMAGE_RAW_OFFSET;
		info->mem_size = file_size;
		return E_OK;
	}
	memcpy(&magic, h + 0x38, 4);
	if (magic != IMAGE_MAGIC) {
		info->load_offset = IMAGE_RAW_OFFSET;
		info->mem_size = file_size;
		return E_OK;
	}
	info->has_header = true;
	info->load_offset = le64(h + 8);
	info->mem_size = le64(h + 16);
	if (info->mem_size == 0) {
		/* Kernels before 3.17 leave image_size zero and expect text_offset 0x80000. */
		info->load_offset = IMAGE_RAW_OFFSET;
		info->mem_size = file_size;
	}
	if ((le64(h + 24) & 1) != 0)
		return -E_INVAL; /* big-endian kernels are not supported */
	if (info->load_offset >= SZ_2M || !IS_ALIGNED(info->load_offset, 4096) ||
	    info->mem_size < file_size || info->mem_size > ((uint64_t)1 << 40))
		return -E_INVAL;
	return E_OK;
}
