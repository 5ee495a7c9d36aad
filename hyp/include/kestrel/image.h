/* SPDX-License-Identifier: Apache-2.0 */
/* The arm64 Linux Image header: where a kernel wants to be loaded and how much it needs. */
#ifndef KESTREL_IMAGE_H
#define KESTREL_IMAGE_H

#include <kestrel/types.h>

#define IMAGE_RAW_OFFSET 0x80000 /* where QEMU -kernel puts a binary without the header */

struct image_info {
	uint64_t load_offset; /* from the 2 MiB-aligned RAM base */
	uint64_t mem_size;    /* bytes it occupies once running, bss included */
	bool has_header;
};

/* Reads the header of an image of file_size bytes; refuses malformed headers. */
MUST_CHECK int image_parse(const void *image, uint64_t file_size, struct image_info *info);

#endif
