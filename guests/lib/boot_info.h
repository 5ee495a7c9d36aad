/* SPDX-License-Identifier: Apache-2.0 */
/* What the runtime learns from the device tree kestrel hands over in x0. */
#ifndef GUEST_BOOT_INFO_H
#define GUEST_BOOT_INFO_H

#include <stdbool.h>
#include <stdint.h>
#include "stack.h"

struct boot_info {
	bool dtb_valid;
	uint64_t mem_base, mem_size;   /* first range of the /memory node */
	uint64_t uart_base;	       /* "arm,pl011" node, or PL011_DEFAULT_BASE */
	bool uart_in_dtb;	       /* false if uart_base is the fallback */
	const char *bootargs;	       /* /chosen bootargs, "" if absent */
	uint32_t boot_count;	       /* /chosen kestrel,boot-count: 1 at the first start */
	unsigned num_cpus;	       /* /cpus/cpu@N nodes, at most MAX_VCPUS */
	uint64_t cpu_mpidr[MAX_VCPUS]; /* their reg values, in DTB order */
};

extern struct boot_info boot_info;

void boot_info_parse(const void *dtb);
/* The value of "key=N" in the bootargs (decimal, or hex with 0x), or dflt. */
uint64_t bootarg(const char *key, uint64_t dflt);
/* Whether word is one of the bootargs' space-separated words ("role=ping", "icount"). */
bool bootargs_has(const char *word);

#endif
