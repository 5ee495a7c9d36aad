/* SPDX-License-Identifier: Apache-2.0 */
/* The machine as kestrel sees it: RAM, CPUs, UART, GIC, reservations (filled by hostdt.c). */
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
	unsigned ppi_pmu;  /* the PMU's overflow interrupt; 0: no PMU node, or not a PPI */
	unsigned uart_spi; /* INTID, 0 if unknown */
	bool psci_smc;
	unsigned nreserved;
	paddr_t reserved[PLAT_MAX_RESERVED][2]; /* [start, end) */
};

#endif
