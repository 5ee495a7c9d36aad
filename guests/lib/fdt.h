/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A minimal flattened device tree reader. The guest runs with the MMU off, where every
 * access must be aligned, so the structure block is read one aligned 32-bit word at a time
 * (its tokens are 4-byte aligned) and strings one byte at a time.
 */
#ifndef GUEST_FDT_H
#define GUEST_FDT_H

#include <stdbool.h>
#include <stdint.h>

struct fdt {
	const uint8_t *blob;
	uint32_t struct_off, struct_size;
	uint32_t strings_off, strings_size;
};

/* Checks the header; false if there is no usable device tree at blob. */
bool fdt_open(struct fdt *fdt, const void *blob);

/*
 * Node iteration in document order. Start with offset -1 and depth 0: the root comes back
 * with depth 0, its children with depth 1 and so on. Returns -1 after the last node.
 */
int fdt_next_node(const struct fdt *fdt, int offset, int *depth);

const char *fdt_node_name(const struct fdt *fdt, int offset);

/* The value of the node's property called name (and its length), or NULL. */
const void *fdt_getprop(const struct fdt *fdt, int offset, const char *name, uint32_t *len);

/* A property cell: big-endian, 4-byte aligned. */
uint32_t fdt_cell(const void *p);

/* Reads an address or size of 'cells' cells (1 or 2) and returns the word past it. */
const void *fdt_read_cells(const void *p, uint32_t cells, uint64_t *val);

/* True if the string list value (as in "compatible") contains str. */
bool fdt_stringlist_contains(const void *list, uint32_t len, const char *str);

#endif
