/* SPDX-License-Identifier: Apache-2.0 */
/* What kestrel learns about the machine from the host device tree. Pure logic (libfdt). */
#ifndef KESTREL_PLATFORM_H
#define KESTREL_PLATFORM_H

#include <kestrel/asm_offsets.h>
#include <kestrel/types.h>

#define PLAT_MAX_RESERVED  16
#define PLAT_MAX_RAM_BANKS 8
/* kestrel maps this much of the host device tree before it parses it (mmu.c). */
#define PLAT_DTB_MAX (4u << 20)

struct gic_info {
	paddr_t dist_base;
	uint64_t dist_size;
	paddr_t redist_base;
	uint64_t redist_size;
};

struct ram_bank {
	paddr_t base;
	uint64_t size;
};

struct platform {
	const void *fdt;  /* the host DTB, kept mapped read-only */
	paddr_t ram_base; /* the largest bank: the RAM kestrel and its VMs use */
	uint64_t ram_size;
	unsigned ram_banks;
	struct ram_bank ram_bank[PLAT_MAX_RAM_BANKS]; /* every bank, that one too: never a device */
	unsigned cpu_count;
	uint64_t cpu_mpidr[PCPU_MAX];
	unsigned cpus_ignored; /* beyond PCPU_MAX */
	paddr_t uart_base;
	uint64_t uart_size;
	struct gic_info gic;
	unsigned ppi_hyp_timer; /* INTIDs */
	unsigned ppi_virt_timer;
	unsigned ppi_phys_timer;
	unsigned ppi_gic_maint;
	unsigned uart_spi; /* INTID, 0 if unknown */
	bool psci_smc;
	unsigned nreserved;
	paddr_t reserved[PLAT_MAX_RESERVED][2]; /* [start, end) */
};

/*
 * Fills plat from the host DTB. On a problem the user must fix, returns an error and puts one
 * sentence saying what to change into msg.
 */
MUST_CHECK int hostdt_parse(const void *fdt, struct platform *plat, char *msg, size_t msglen);
/* Reads a reg entry with the parent's cell sizes. */
MUST_CHECK int hostdt_reg(const void *fdt, int node, int index, uint64_t *addr, uint64_t *size);

#endif
