/* SPDX-License-Identifier: Apache-2.0 */
/* The guest device tree, written with libfdt's sequential-write API. */
#include <kestrel/guest_dtb.h>
#include <kestrel/guest_layout.h>
#include <kestrel/lib.h>
#include <kestrel/virtio_mmio.h>
#include <libfdt.h>

#define PHANDLE_GIC	1
#define PHANDLE_CLK	2
#define PHANDLE_ITS	3
#define IRQ_TYPE_SPI	0
#define IRQ_TYPE_PPI	1
#define IRQ_LEVEL_HIGH	4
#define IRQ_PPI_LOW_ALL 0xff08 /* level-low, delivered to every CPU */

static int prop_cells(void *fdt, const char *name, const uint32_t *cells, int n)
{
	fdt32_t be[16];

	for (int i = 0; i < n; i++)
		be[i] = cpu_to_fdt32(cells[i]);
	return fdt_property(fdt, name, be, n * 4);
}

static int prop_reg(void *fdt, uint64_t addr, uint64_t size)
{
	uint32_t cells[4] = {(uint32_t)(addr >> 32), (uint32_t)addr, (uint32_t)(size >> 32),
			     (uint32_t)size};
	return prop_cells(fdt, "reg", cells, 4);
}

static int prop_u32(void *fdt, const char *name, uint32_t v)
{
	return prop_cells(fdt, name, &v, 1);
}

static int add_cpus(void *fdt, unsigned vcpus)
{
	int err = fdt_begin_node(fdt, "cpus");

	err = err ?: prop_u32(fdt, "#address-cells", 1);
	err = err ?: prop_u32(fdt, "#size-cells", 0);
	for (unsigned i = 0; i < vcpus && !err; i++) {
		char name[16];
		snprintf(name, sizeof(name), "cpu@%u", i);
		err = fdt_begin_node(fdt, name);
		err = err ?: fdt_property_string(fdt, "device_type", "cpu");
		err = err ?: fdt_property_string(fdt, "compatible", "arm,armv8");
		err = err ?: prop_u32(fdt, "reg", (uint32_t)(GUEST_MPIDR(i) & 0xffffff));
		err = err ?: fdt_property_string(fdt, "enable-method", "psci");
		err = err ?: fdt_end_node(fdt);
	}
	return err ?: fdt_end_node(fdt);
}

static int add_gic(void *fdt, unsigned vcpus)
{
	uint32_t reg[8] = {0, (uint32_t)GUEST_GICD_BASE, 0, (uint32_t)GUEST_GICD_SIZE,
			   0, (uint32_t)GUEST_GICR_BASE, 0, (uint32_t)(GUEST_GICR_STRIDE * vcpus)};
	uint32_t maint[3] = {IRQ_TYPE_PPI, 9, IRQ_LEVEL_HIGH};
	char name[32];
	int err;

	snprintf(name, sizeof(name), "intc@%llx", (unsigned long long)GUEST_GICD_BASE);
	err = fdt_begin_node(fdt, name);
	err = err ?: fdt_property_string(fdt, "compatible", "arm,gic-v3");
	err = err ?: prop_u32(fdt, "#interrupt-cells", 3);
	err = err ?: fdt_property(fdt, "interrupt-controller", NULL, 0);
	err = err ?: prop_u32(fdt, "#redistributor-regions", 1);
	err = err ?: prop_cells(fdt, "reg", reg, 8);
	err = err ?: prop_cells(fdt, "interrupts", maint, 3);
	err = err ?: prop_u32(fdt, "phandle", PHANDLE_GIC);
	/* The ITS is a child: the GIC node maps its children's addresses one to one. */
	err = err ?: prop_u32(fdt, "#address-cells", 2);
	err = err ?: prop_u32(fdt, "#size-cells", 2);
	err = err ?: fdt_property(fdt, "ranges", NULL, 0);
	snprintf(name, sizeof(name), "its@%llx", (unsigned long long)GUEST_ITS_BASE);
	err = err ?: fdt_begin_node(fdt, name);
	err = err ?: fdt_property_string(fdt, "compatible", "arm,gic-v3-its");
	err = err ?: fdt_property(fdt, "msi-controller", NULL, 0);
	err = err ?: prop_u32(fdt, "#msi-cells", 1);
	err = err ?: prop_reg(fdt, GUEST_ITS_BASE, GUEST_ITS_SIZE);
	err = err ?: prop_u32(fdt, "phandle", PHANDLE_ITS);
	err = err ?: fdt_end_node(fdt);
	return err ?: fdt_end_node(fdt);
}

/* A PPI's interrupts cells: the binding numbers PPIs from 0 (INTID 16). */
#define PPI_CELLS(intid) IRQ_TYPE_PPI, (intid)-16, IRQ_PPI_LOW_ALL

/*
 * Secure physical, non-secure physical, virtual, hypervisor: PPIs 13, 14, 11, 10 (INTIDs 29, 30,
 * 27, 26), QEMU virt's. The two a guest uses are the ones kestrel delivers its EL1 timers on,
 * whatever the machine's are (irq.c maps the host's onto them); the secure and hypervisor
 * timers are no guest's, listed because the binding wants all four.
 */
static int add_timer(void *fdt)
{
	uint32_t irqs[12] = {PPI_CELLS(29), PPI_CELLS(GUEST_PPI_PTIMER),
			     PPI_CELLS(GUEST_PPI_VTIMER), PPI_CELLS(26)};
	int err = fdt_begin_node(fdt, "timer");

	err = err ?: fdt_property_string(fdt, "compatible", "arm,armv8-timer");
	err = err ?: prop_cells(fdt, "interrupts", irqs, 12);
	err = err ?: fdt_property(fdt, "always-on", NULL, 0);
	return err ?: fdt_end_node(fdt);
}

/* The PMU's overflow interrupt, a level on every CPU's own PPI (GICv3: no CPU mask in the
   cells, and no interrupt-affinity for a PPI), as QEMU virt describes it. */
static int add_pmu(void *fdt)
{
	uint32_t irq[3] = {IRQ_TYPE_PPI, GUEST_PPI_PMU - 16, IRQ_LEVEL_HIGH};
	int err = fdt_begin_node(fdt, "pmu");

	err = err ?: fdt_property_string(fdt, "compatible", "arm,armv8-pmuv3");
	err = err ?: prop_cells(fdt, "interrupts", irq, 3);
	return err ?: fdt_end_node(fdt);
}

static int add_uart(void *fdt, char *path, size_t pathlen)
{
	static const char compat[] = "arm,pl011\0arm,primecell";
	static const char clock_names[] = "uartclk\0apb_pclk";
	uint32_t irq[3] = {IRQ_TYPE_SPI, GUEST_UART_SPI, IRQ_LEVEL_HIGH};
	uint32_t clocks[2] = {PHANDLE_CLK, PHANDLE_CLK};
	int err = fdt_begin_node(fdt, "apb-pclk");

	err = err ?: fdt_property_string(fdt, "compatible", "fixed-clock");
	err = err ?: prop_u32(fdt, "#clock-cells", 0);
	err = err ?: prop_u32(fdt, "clock-frequency", 24000000);
	err = err ?: fdt_property_string(fdt, "clock-output-names", "clk24mhz");
	err = err ?: prop_u32(fdt, "phandle", PHANDLE_CLK);
	err = err ?: fdt_end_node(fdt);
	snprintf(path, pathlen, "/pl011@%llx", (unsigned long long)GUEST_UART_BASE);
	err = err ?: fdt_begin_node(fdt, path + 1);
	err = err ?: fdt_property(fdt, "compatible", compat, sizeof(compat));
	err = err ?: prop_reg(fdt, GUEST_UART_BASE, GUEST_UART_SIZE);
	err = err ?: prop_cells(fdt, "interrupts", irq, 3);
	err = err ?: prop_cells(fdt, "clocks", clocks, 2);
	err = err ?: fdt_property(fdt, "clock-names", clock_names, sizeof(clock_names));
	return err ?: fdt_end_node(fdt);
}

static int add_shm(void *fdt, const struct guest_dtb_params *p)
{
	int err = 0;

	for (unsigned i = 0; i < p->nshm && !err; i++) {
		static const char compat[] = "kestrel,shared-memory";
		static const char reg_names[] = "memory\0doorbell";
		uint32_t irq[3] = {IRQ_TYPE_SPI, p->shm[i].spi, 1 /* edge */};
		uint64_t ipa = p->shm[i].ipa, size = p->shm[i].size, bell = p->shm[i].doorbell;
		uint32_t reg[8] = {(uint32_t)(ipa >> 32),
				   (uint32_t)ipa,
				   (uint32_t)(size >> 32),
				   (uint32_t)size,
				   (uint32_t)(bell >> 32),
				   (uint32_t)bell,
				   0,
				   8};
		char name[32];
		snprintf(name, sizeof(name), "shm@%llx", (unsigned long long)ipa);
		err = fdt_begin_node(fdt, name);
		err = err ?: fdt_property(fdt, "compatible", compat, sizeof(compat));
		err = err ?: prop_cells(fdt, "reg", reg, 8);
		err = err ?: fdt_property(fdt, "reg-names", reg_names, sizeof(reg_names));
		err = err ?: prop_cells(fdt, "interrupts", irq, 3);
		err = err ?: prop_u32(fdt, "kestrel,region", p->shm[i].id);
		err = err ?: fdt_end_node(fdt);
	}
	return err;
}

/* Each transport with a device, as QEMU virt describes its own (edge-triggered SPIs). */
static int add_virtio(void *fdt, const struct guest_dtb_params *p)
{
	int err = 0;

	for (unsigned i = 0; i < p->nvirtio && i < VIRTIO_MMIO_SLOTS && !err; i++) {
		uint64_t base = VIRTIO_MMIO_BASE + i * VIRTIO_MMIO_SLOT_SIZE;
		uint32_t irq[3] = {IRQ_TYPE_SPI, VIRTIO_MMIO_SPI_BASE + i, 1 /* edge */};
		char name[32];
		snprintf(name, sizeof(name), "virtio_mmio@%llx", (unsigned long long)base);
		err = fdt_begin_node(fdt, name);
		err = err ?: fdt_property_string(fdt, "compatible", "virtio,mmio");
		err = err ?: prop_reg(fdt, base, VIRTIO_MMIO_SLOT_SIZE);
		err = err ?: prop_cells(fdt, "interrupts", irq, 3);
		err = err ?: fdt_property(fdt, "dma-coherent", NULL, 0);
		err = err ?: fdt_end_node(fdt);
	}
	return err;
}

/* Whether every clock of a host node is a host fixed-clock (no clock cells): the guest's own
   apb-pclk stands for it. Any other clock is the host's business. */
static bool clocks_are_fixed(const void *host, const fdt32_t *clocks, int len)
{
	if (len <= 0 || len % 4 || len > 16 * 4)
		return false;
	for (int i = 0; i < len / 4; i++) {
		int clk = fdt_node_offset_by_phandle(host, fdt32_ld(&clocks[i]));
		const fdt32_t *cells =
		    clk >= 0 ? fdt_getprop(host, clk, "#clock-cells", NULL) : NULL;
		if (clk < 0 || fdt_node_check_compatible(host, clk, "fixed-clock") || !cells ||
		    fdt32_ld(cells))
			return false;
	}
	return true;
}

/* A passed-through device keeps its host node: same name, reg, interrupts, compatible. Its
   phandles are the host's: fixed clocks become the guest's apb-pclk, other clocks go. */
static int add_passthrough(void *fdt, const struct guest_dtb_params *p)
{
	int err = 0;

	for (unsigned i = 0; i < p->npassthrough && !err; i++) {
		int node = p->passthrough[i], prop, clocks_len;
		const fdt32_t *clocks = fdt_getprop(p->host_fdt, node, "clocks", &clocks_len);
		bool fixed = clocks && clocks_are_fixed(p->host_fdt, clocks, clocks_len);
		err = fdt_begin_node(fdt, fdt_get_name(p->host_fdt, node, NULL));
		fdt_for_each_property_offset(prop, p->host_fdt, node)
		{
			const char *name;
			int len;
			const void *val = fdt_getprop_by_offset(p->host_fdt, prop, &name, &len);
			/* The guest's GIC is the parent. A length that is negative as an int passes
			   libfdt's checks: skip it. */
			if (err || !val || len < 0 || !strcmp(name, "phandle") ||
			    !strcmp(name, "interrupt-parent") ||
			    (!fixed && (!strcmp(name, "clocks") || !strcmp(name, "clock-names"))))
				continue;
			if (!strcmp(name, "clocks")) {
				uint32_t guest_clocks[16];
				for (int c = 0; c < len / 4; c++)
					guest_clocks[c] = PHANDLE_CLK;
				err = prop_cells(fdt, name, guest_clocks, len / 4);
				continue;
			}
			err = fdt_property(fdt, name, val, len);
		}
		err = err ?: fdt_end_node(fdt);
	}
	return err;
}

static int add_chosen(void *fdt, const struct guest_dtb_params *p, const char *uart_path)
{
	int err = fdt_begin_node(fdt, "chosen");

	err = err ?: fdt_property_string(fdt, "bootargs", p->bootargs ? p->bootargs : "");
	err = err ?: fdt_property_string(fdt, "stdout-path", uart_path);
	/* How many times the VM has been started: kestrel updates it in place at each start. */
	err = err ?: prop_u32(fdt, "kestrel,boot-count", 0);
	if (p->initrd_size) {
		fdt64_t start = cpu_to_fdt64(p->initrd_start);
		fdt64_t end = cpu_to_fdt64(p->initrd_start + p->initrd_size);
		err = err ?: fdt_property(fdt, "linux,initrd-start", &start, 8);
		err = err ?: fdt_property(fdt, "linux,initrd-end", &end, 8);
	}
	return err ?: fdt_end_node(fdt);
}

int guest_dtb_build(void *buf, size_t size, const struct guest_dtb_params *p)
{
	char uart_path[32], mem_name[32];
	int err;

	if (p->vcpus < 1 || p->vcpus > 8 || size > INT32_MAX)
		return -FDT_ERR_BADVALUE;
	snprintf(mem_name, sizeof(mem_name), "memory@%llx", (unsigned long long)p->ram_base);
	err = fdt_create(buf, (int)size);
	err = err ?: fdt_finish_reservemap(buf);
	err = err ?: fdt_begin_node(buf, "");
	err = err ?: prop_u32(buf, "#address-cells", 2);
	err = err ?: prop_u32(buf, "#size-cells", 2);
	err = err ?: fdt_property_string(buf, "compatible", "linux,dummy-virt");
	err = err ?: fdt_property_string(buf, "model", "kestrel virtual machine");
	err = err ?: prop_u32(buf, "interrupt-parent", PHANDLE_GIC);
	err = err ?: fdt_begin_node(buf, "psci");
	err = err
		  ?: fdt_property(buf, "compatible", "arm,psci-1.0\0arm,psci-0.2",
				  sizeof("arm,psci-1.0\0arm,psci-0.2"));
	err = err ?: fdt_property_string(buf, "method", "hvc");
	err = err ?: fdt_end_node(buf);
	err = err ?: add_cpus(buf, p->vcpus);
	err = err ?: fdt_begin_node(buf, mem_name);
	err = err ?: fdt_property_string(buf, "device_type", "memory");
	err = err ?: prop_reg(buf, p->ram_base, p->ram_size);
	err = err ?: fdt_end_node(buf);
	err = err ?: add_gic(buf, p->vcpus);
	err = err ?: add_timer(buf);
	if (p->pmu)
		err = err ?: add_pmu(buf);
	err = err ?: add_uart(buf, uart_path, sizeof(uart_path));
	err = err ?: add_shm(buf, p);
	err = err ?: add_virtio(buf, p);
	err = err ?: add_passthrough(buf, p);
	err = err ?: add_chosen(buf, p, uart_path);
	err = err ?: fdt_end_node(buf);
	err = err ?: fdt_finish(buf);
	if (err)
		return err;
	return (int)fdt_totalsize(buf);
}
