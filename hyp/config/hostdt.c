/* SPDX-License-Identifier: Apache-2.0 */
/* Host device tree parsing: memory, CPUs, UART, GICv3, timer interrupts, PSCI, reservations. */
#include <kestrel/guest_layout.h>
#include <kestrel/hostdt.h>
#include <kestrel/lib.h>
#include <kestrel/platform.h>
#include <libfdt.h>

static uint64_t read_cells(const fdt32_t *p, int cells)
{
	uint64_t v = 0;

	for (int i = 0; i < cells; i++)
		v = (v << 32) | fdt32_ld(&p[i]);
	return v;
}

/* A property holding a string, or NULL: in a malformed tree the NUL may be missing, and the
   string functions would read on past the property (and past the DTB). */
static const char *get_string(const void *fdt, int node, const char *name)
{
	int len;
	const char *s = fdt_getprop(fdt, node, name, &len);

	return s && len > 0 && memchr(s, '\0', (size_t)len) ? s : NULL;
}

/*
 * #address-cells or #size-cells for the children of node: its own, else the nearest ancestor's,
 * as Linux and Xen read them (QEMU's guest-loader writes /chosen/module@ADDR nodes with the
 * root's cell sizes into a /chosen that has neither), else the default. -1 if malformed.
 */
static int cells(const void *fdt, int node, const char *name, int dflt)
{
	for (; node >= 0; node = fdt_parent_offset(fdt, node)) {
		int len;
		const fdt32_t *p = fdt_getprop(fdt, node, name, &len);
		if (p)
			return len == 4 ? (int)fdt32_ld(p) : -1;
	}
	return dflt;
}

int hostdt_reg(const void *fdt, int node, int index, uint64_t *addr, uint64_t *size)
{
	int parent = fdt_parent_offset(fdt, node), len;
	int ac = parent >= 0 ? cells(fdt, parent, "#address-cells", 2) : 2;
	int sc = parent >= 0 ? cells(fdt, parent, "#size-cells", 1) : 1;
	const fdt32_t *reg = fdt_getprop(fdt, node, "reg", &len);

	if (ac < 1 || ac > 2 || sc < 0 || sc > 2 || !reg)
		return -E_INVAL;
	if ((index + 1) * (ac + sc) * 4 > len)
		return -E_NOENT;
	reg += index * (ac + sc);
	*addr = read_cells(reg, ac);
	*size = read_cells(reg + ac, sc);
	return E_OK;
}

/*
 * Every RAM bank: kestrel uses the largest one, and knows the others so that none of them is
 * ever given to a VM as a device. More banks than it can keep track of refuse the machine.
 */
static int parse_memory(const void *fdt, struct platform *plat, char *msg, size_t msglen)
{
	int node;

	fdt_for_each_subnode(node, fdt, 0)
	{
		const char *type = get_string(fdt, node, "device_type");
		uint64_t base, size;
		if (!type || strcmp(type, "memory"))
			continue;
		for (int i = 0; hostdt_reg(fdt, node, i, &base, &size) == E_OK; i++) {
			if (!size)
				continue;
			if (size > plat->ram_size) {
				plat->ram_base = base;
				plat->ram_size = size;
			}
			if (plat->ram_banks < PLAT_MAX_RAM_BANKS)
				plat->ram_bank[plat->ram_banks] = (struct ram_bank){base, size};
			plat->ram_banks++;
		}
	}
	if (plat->ram_banks > PLAT_MAX_RAM_BANKS) {
		snprintf(msg, msglen,
			 "the device tree describes %u RAM banks, more than the %u kestrel keeps "
			 "track of: merge adjacent /memory ranges",
			 plat->ram_banks, (unsigned)PLAT_MAX_RAM_BANKS);
		return -E_INVAL;
	}
	return E_OK;
}

static void parse_cpus(const void *fdt, struct platform *plat)
{
	int cpus = fdt_path_offset(fdt, "/cpus"), node;

	if (cpus < 0)
		return;
	fdt_for_each_subnode(node, fdt, cpus)
	{
		const char *type = get_string(fdt, node, "device_type");
		uint64_t mpidr, unused;
		if (!type || strcmp(type, "cpu") || hostdt_reg(fdt, node, 0, &mpidr, &unused))
			continue;
		if (plat->cpu_count == PCPU_MAX) {
			plat->cpus_ignored++;
			continue;
		}
		plat->cpu_mpidr[plat->cpu_count++] = mpidr;
	}
}

static void parse_uart(const void *fdt, struct platform *plat)
{
	const char *path = get_string(fdt, fdt_path_offset(fdt, "/chosen"), "stdout-path");
	int node = -1;
	uint64_t base, size;

	if (path) {
		const char *colon = strchr(path, ':');
		node = fdt_path_offset_namelen(fdt, path,
					       colon ? (int)(colon - path) : (int)strlen(path));
		if (node >= 0 && fdt_node_check_compatible(fdt, node, "arm,pl011"))
			node = -1;
	}
	if (node < 0)
		node = fdt_node_offset_by_compatible(fdt, -1, "arm,pl011");
	if (node >= 0 && hostdt_reg(fdt, node, 0, &base, &size) == E_OK) {
		int len;
		const fdt32_t *irq = fdt_getprop(fdt, node, "interrupts", &len);
		plat->uart_base = base;
		plat->uart_size = size;
		if (irq && len >= 12 && fdt32_ld(&irq[0]) == 0)
			plat->uart_spi = fdt32_ld(&irq[1]) + 32;
	}
}

static int parse_gic(const void *fdt, struct platform *plat, char *msg, size_t msglen)
{
	int node = fdt_node_offset_by_compatible(fdt, -1, "arm,gic-v3");

	if (node < 0) {
		snprintf(msg, msglen,
			 "kestrel needs a GICv3 interrupt controller and this machine has none: "
			 "start QEMU with -machine virt,gic-version=3");
		return -E_NOENT;
	}
	int len;
	const fdt32_t *maint = fdt_getprop(fdt, node, "interrupts", &len);

	plat->ppi_gic_maint = maint && len >= 12 ? fdt32_ld(&maint[1]) + 16 : 25;
	if (hostdt_reg(fdt, node, 0, &plat->gic.dist_base, &plat->gic.dist_size) ||
	    hostdt_reg(fdt, node, 1, &plat->gic.redist_base, &plat->gic.redist_size)) {
		snprintf(msg, msglen,
			 "the GICv3 node in the device tree has no usable reg "
			 "property: fix the device tree");
		return -E_INVAL;
	}
	return E_OK;
}

static int parse_timer(const void *fdt, struct platform *plat, char *msg, size_t msglen)
{
	int node = fdt_node_offset_by_compatible(fdt, -1, "arm,armv8-timer"), len;
	const fdt32_t *irq = node >= 0 ? fdt_getprop(fdt, node, "interrupts", &len) : NULL;

	/* Architected defaults, used when the node does not say otherwise. */
	plat->ppi_virt_timer = 27;
	plat->ppi_hyp_timer = 26;
	plat->ppi_phys_timer = 30;
	/* interrupts: secure phys, non-secure phys, virtual, hypervisor; 3 cells each. */
	if (irq && len >= 12 * 4) {
		/* Each must be a PPI (type 1, number 0..15): kestrel routes them per CPU. */
		for (unsigned i = 3; i < 12; i += 3)
			if (fdt32_ld(&irq[i]) != 1 || fdt32_ld(&irq[i + 1]) > 15) {
				snprintf(msg, msglen,
					 "the timer node's interrupt %u is not a PPI (type %u, "
					 "number %u): the generic timers' interrupts are PPIs",
					 i / 3, fdt32_ld(&irq[i]), fdt32_ld(&irq[i + 1]));
				return -E_INVAL;
			}
		plat->ppi_phys_timer = fdt32_ld(&irq[4]) + 16;
		plat->ppi_virt_timer = fdt32_ld(&irq[7]) + 16;
		plat->ppi_hyp_timer = fdt32_ld(&irq[10]) + 16;
	}
	/* A guest's timer fires as the host's own PPI, linked to the same virtual PPI (irq.c),
	   and every guest's device tree says 27 and 30: the host's must be those. */
	if (plat->ppi_virt_timer != GUEST_PPI_VTIMER || plat->ppi_phys_timer != GUEST_PPI_PTIMER) {
		snprintf(
		    msg, msglen,
		    "the EL1 timers' interrupts are PPIs %u (virtual) and %u (physical); kestrel "
		    "gives its guests their timers on the same PPIs and needs them to be %u and "
		    "%u, as on QEMU virt and most Arm machines",
		    plat->ppi_virt_timer, plat->ppi_phys_timer, (unsigned)GUEST_PPI_VTIMER,
		    (unsigned)GUEST_PPI_PTIMER);
		return -E_INVAL;
	}
	return E_OK;
}

/* The PMU's overflow interrupt, if the machine has a PMUv3 node whose first interrupt is a
   PPI (type 1); a machine without one keeps its PMU from guests (main.c). */
static void parse_pmu(const void *fdt, struct platform *plat)
{
	int node = fdt_node_offset_by_compatible(fdt, -1, "arm,armv8-pmuv3"), len;
	const fdt32_t *irq = node >= 0 ? fdt_getprop(fdt, node, "interrupts", &len) : NULL;

	plat->ppi_pmu = 0;
	if (irq && len >= 12 && fdt32_ld(&irq[0]) == 1 && fdt32_ld(&irq[1]) <= 15)
		plat->ppi_pmu = fdt32_ld(&irq[1]) + 16;
}

static int parse_psci(const void *fdt, struct platform *plat, char *msg, size_t msglen)
{
	int node = fdt_node_offset_by_compatible(fdt, -1, "arm,psci-0.2");
	const char *method;

	if (node < 0)
		node = fdt_node_offset_by_compatible(fdt, -1, "arm,psci");
	method = node >= 0 ? get_string(fdt, node, "method") : NULL;
	if (!method || strcmp(method, "smc")) {
		snprintf(msg, msglen,
			 "kestrel needs PSCI firmware reached with SMC to start CPUs and power "
			 "off, and the device tree %s: on QEMU use -machine virt,virtualization=on",
			 method ? "names the hvc method" : "has no psci node");
		return -E_NOENT;
	}
	plat->psci_smc = true;
	return E_OK;
}

/* Counts every reservation, keeps the first PLAT_MAX_RESERVED: the caller refuses more. */
static void add_reserved(struct platform *plat, unsigned *count, uint64_t addr, uint64_t size)
{
	if (!size)
		return;
	if (*count < PLAT_MAX_RESERVED) {
		plat->reserved[*count][0] = addr;
		plat->reserved[*count][1] = addr + size;
		plat->nreserved = *count + 1;
	}
	(*count)++;
}

/*
 * /memreserve/ entries and /reserved-memory regions. Each must stay out of every VM, so a
 * reservation kestrel could not keep would become VM RAM: more than it keeps is refused.
 */
static int parse_reserved(const void *fdt, struct platform *plat, char *msg, size_t msglen)
{
	int node = fdt_path_offset(fdt, "/reserved-memory"), sub;
	uint64_t addr, size;
	unsigned count = 0;

	for (int i = 0; i < fdt_num_mem_rsv(fdt); i++)
		if (fdt_get_mem_rsv(fdt, i, &addr, &size) == 0)
			add_reserved(plat, &count, addr, size);
	if (node >= 0) {
		fdt_for_each_subnode(sub, fdt, node)
		{
			for (int i = 0; hostdt_reg(fdt, sub, i, &addr, &size) == E_OK; i++)
				add_reserved(plat, &count, addr, size);
		}
	}
	if (count > PLAT_MAX_RESERVED) {
		snprintf(msg, msglen,
			 "the device tree reserves %u regions of memory (/memreserve/ and "
			 "/reserved-memory), more than the %u kestrel can keep from its VMs: merge "
			 "adjacent ones",
			 count, (unsigned)PLAT_MAX_RESERVED);
		return -E_INVAL;
	}
	return E_OK;
}

int hostdt_parse(const void *fdt, struct platform *plat, char *msg, size_t msglen)
{
	int err;

	memset(plat, 0, sizeof(*plat));
	if (!fdt || fdt_check_header(fdt) != 0) {
		snprintf(msg, msglen,
			 "kestrel was started without a valid device tree in x0: boot "
			 "it as a Linux Image (QEMU -kernel, U-Boot booti) so the loader "
			 "passes one");
		return -E_INVAL;
	}
	if (fdt_totalsize(fdt) > PLAT_DTB_MAX) {
		snprintf(msg, msglen,
			 "the device tree is %u KiB, more than the %u KiB kestrel reads: pass a "
			 "smaller one (drop unused nodes, load large blobs as modules)",
			 fdt_totalsize(fdt) >> 10, PLAT_DTB_MAX >> 10);
		return -E_INVAL;
	}
	err = parse_memory(fdt, plat, msg, msglen);
	if (err)
		return err;
	parse_cpus(fdt, plat);
	parse_uart(fdt, plat);
	parse_pmu(fdt, plat);
	err = parse_timer(fdt, plat, msg, msglen);
	if (err)
		return err;
	err = parse_reserved(fdt, plat, msg, msglen);
	if (err)
		return err;
	if (!plat->ram_size) {
		snprintf(msg, msglen, "the device tree describes no memory: add a /memory node");
		return -E_NOENT;
	}
	if (!plat->cpu_count) {
		snprintf(msg, msglen, "the device tree describes no CPUs: add /cpus/cpu@N nodes");
		return -E_NOENT;
	}
	err = parse_gic(fdt, plat, msg, msglen);
	if (!err)
		err = parse_psci(fdt, plat, msg, msglen);
	return err;
}
