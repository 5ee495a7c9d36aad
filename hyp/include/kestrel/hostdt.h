/* SPDX-License-Identifier: Apache-2.0 */
/* What kestrel learns of the machine from the host DTB (hostdt.c). */
#ifndef KESTREL_HOSTDT_H
#define KESTREL_HOSTDT_H

#include <kestrel/platform.h>

/*
 * Fills plat from the host DTB. On a problem the user must fix, returns an error and puts one
 * sentence saying what to change into msg.
 */
MUST_CHECK int hostdt_parse(const void *fdt, struct platform *plat, char *msg, size_t msglen);
/* Reads a reg entry with the parent's cell sizes. */
MUST_CHECK int hostdt_reg(const void *fdt, int node, int index, uint64_t *addr, uint64_t *size);

#endif
