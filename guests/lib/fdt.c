/* SPDX-License-Identifier: Apache-2.0 */
#include <stddef.h>
#include "fdt.h"

#define FDT_MAGIC      0xd00dfeedu
#define FDT_BEGIN_NODE 1u
#define FDT_END_NODE   2u
#define FDT_PROP       3u
#define FDT_NOP	       4u
#define FDT_END	       9u

/* Header fields, as indexes of 32-bit words. */
#define HDR_MAGIC	 0
#define HDR_TOTALSIZE	 1
#define HDR_OFF_STRUCT	 2
#define HDR_OFF_STRINGS	 3
#define HDR_SIZE_STRINGS 8
#define HDR_SIZE_STRUCT	 9

uint32_t fdt_cell(const void *p)
{
	return __builtin_bswap32(*(const uint32_t *)p);
}

static uint32_t align4(uint32_t n)
{
	return (n + 3u) & ~3u;
}

static bool streq(const char *a, const char *b)
{
	while (*a && *a == *b) {
		a++;
		b++;
	}
	return *a == *b;
}

static uint32_t strnlen_bounded(const char *s, uint32_t max)
{
	uint32_t n = 0;

	while (n < max && s[n])
		n++;
	return n;
}

bool fdt_open(struct fdt *fdt, const void *blob)
{
	const uint32_t *hdr = blob;

	if (!blob || ((uintptr_t)blob & 7u))
		return false;
	if (fdt_cell(&hdr[HDR_MAGIC]) != FDT_MAGIC)
		return false;

	uint32_t total = fdt_cell(&hdr[HDR_TOTALSIZE]);
	fdt->blob = blob;
	fdt->struct_off = fdt_cell(&hdr[HDR_OFF_STRUCT]);
	fdt->struct_size = fdt_cell(&hdr[HDR_SIZE_STRUCT]);
	fdt->strings_off = fdt_cell(&hdr[HDR_OFF_STRINGS]);
	fdt->strings_size = fdt_cell(&hdr[HDR_SIZE_STRINGS]);
	return (fdt->struct_off & 3u) == 0 && fdt->struct_off < total &&
	       fdt->struct_size <= total - fdt->struct_off && fdt->strings_off < total &&
	       fdt->strings_size <= total - fdt->strings_off;
}

/* The token at offset (relative to the structure block), or FDT_END past its end. */
static uint32_t token_at(const struct fdt *fdt, uint32_t offset)
{
	if (offset + 4 > fdt->struct_size)
		return FDT_END;
	return fdt_cell(fdt->blob + fdt->struct_off + offset);
}

/* The offset of the token following the one at offset. */
static uint32_t next_token(const struct fdt *fdt, uint32_t offset, uint32_t tag)
{
	const char *p = (const char *)fdt->blob + fdt->struct_off + offset + 4;
	uint32_t room = fdt->struct_size - offset - 4;

	switch (tag) {
	case FDT_BEGIN_NODE:
		return offset + 4 + align4(strnlen_bounded(p, room) + 1);
	case FDT_PROP:
		/* A length running past the block ends the walk instead of wrapping around. */
		if (room < 8 || fdt_cell(p) > room - 8)
			return fdt->struct_size;
		return offset + 12 + align4(fdt_cell(p));
	default:
		return offset + 4;
	}
}

int fdt_next_node(const struct fdt *fdt, int offset, int *depth)
{
	uint32_t off;

	if (offset < 0) {
		off = 0;
		*depth = -1;
	} else {
		off = next_token(fdt, (uint32_t)offset, FDT_BEGIN_NODE);
	}

	for (;;) {
		uint32_t tag = token_at(fdt, off);

		switch (tag) {
		case FDT_BEGIN_NODE:
			++*depth;
			return (int)off;
		case FDT_END_NODE:
			--*depth;
			break;
		case FDT_PROP:
		case FDT_NOP:
			break;
		default:
			return -1;
		}
		off = next_token(fdt, off, tag);
	}
}

const char *fdt_node_name(const struct fdt *fdt, int offset)
{
	return (const char *)fdt->blob + fdt->struct_off + offset + 4;
}

const void *fdt_getprop(const struct fdt *fdt, int offset, const char *name, uint32_t *len)
{
	/* Properties come right after the node's name, before any child node. */
	uint32_t off = next_token(fdt, (uint32_t)offset, FDT_BEGIN_NODE);

	for (;;) {
		uint32_t tag = token_at(fdt, off);

		if (tag == FDT_NOP) {
			off += 4;
			continue;
		}
		if (tag != FDT_PROP)
			return NULL;

		const uint8_t *prop = fdt->blob + fdt->struct_off + off;
		uint32_t plen = fdt_cell(prop + 4);
		uint32_t nameoff = fdt_cell(prop + 8);

		if (nameoff < fdt->strings_size &&
		    streq((const char *)fdt->blob + fdt->strings_off + nameoff, name)) {
			if (len)
				*len = plen;
			return prop + 12;
		}
		off = next_token(fdt, off, tag);
	}
}

const void *fdt_read_cells(const void *p, uint32_t cells, uint64_t *val)
{
	const uint32_t *w = p;

	*val = fdt_cell(&w[0]);
	if (cells == 2)
		*val = (*val << 32) | fdt_cell(&w[1]);
	return w + cells;
}

bool fdt_stringlist_contains(const void *list, uint32_t len, const char *str)
{
	const char *s = list;
	const char *end = s + len;

	while (s < end) {
		uint32_t n = strnlen_bounded(s, (uint32_t)(end - s));

		if (n < (uint32_t)(end - s) && streq(s, str))
			return true;
		s += n + 1;
	}
	return false;
}
