/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Device trees for the tests, built with libfdt's read-write API and addressed by path (node
 * offsets move as a tree grows). Every helper fails the current test if libfdt refuses.
 * helpers.c also provides strlcpy, which the config code uses and glibc before 2.38 lacks.
 */
#ifndef KESTREL_TEST_HELPERS_H
#define KESTREL_TEST_HELPERS_H

#include <kestrel/types.h>

#define DT_SIZE (64 * 1024)

/* An empty tree (free() it) whose root has #address-cells = #size-cells = 2. */
void *dt_new(void);
/* Adds the node at path; its parent must exist. libfdt puts a new node before its existing
   siblings: add siblings last one first to get them in order. */
void dt_node(void *fdt, const char *path);
void dt_del(void *fdt, const char *path);
int dt_off(const void *fdt, const char *path);

void dt_u32(void *fdt, const char *path, const char *prop, uint32_t v);
void dt_cells(void *fdt, const char *path, const char *prop, const uint32_t *cells, int n);
void dt_str(void *fdt, const char *path, const char *prop, const char *s);
void dt_bytes(void *fdt, const char *path, const char *prop, const void *val, int len);
/* A string list written as a literal with embedded NULs: DT_STRS(f, p, "c", "a\0b"). */
#define DT_STRS(fdt, path, prop, list) dt_bytes(fdt, path, prop, list, (int)sizeof(list))
/* reg with 2 address and 2 size cells. */
void dt_reg(void *fdt, const char *path, uint64_t addr, uint64_t size);
/* reg with any number of (addr, size) pairs in 2 + 2 cells. */
void dt_regs(void *fdt, const char *path, const uint64_t *pairs, int npairs);

/*
 * A tree shaped like QEMU's virt machine with virtualization=on and gic-version=3: 2 GiB of RAM
 * at 0x40000000, 2 CPUs, a GICv3, the PL011 at 0x9000000 as stdout, the architected timer and
 * PSCI through SMC.
 */
void *dt_qemu_virt(void);

#endif
