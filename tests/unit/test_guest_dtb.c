/* SPDX-License-Identifier: Apache-2.0 */
/* The device tree each VM boots with, built then read back with libfdt. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <kestrel/guest_dtb.h>
#include <kestrel/guest_layout.h>
#include <libfdt.h>

#define BUF_SIZE (64 * 1024)
#define RAM_SIZE (4ull << 30) /* more than 32 bits: both size cells matter */

static void *buf;

static int alloc_buf(void **state)
{
	(void)state;
	buf = malloc(BUF_SIZE);
	assert_non_null(buf);
	memset(buf, 0xee, BUF_SIZE);
	return 0;
}

static int free_buf(void **state)
{
	(void)state;
	free(buf);
	return 0;
}

static struct guest_dtb_params params(unsigned vcpus)
{
	struct guest_dtb_params p = {
	    .ram_base = GUEST_RAM_BASE,
	    .ram_size = RAM_SIZE,
	    .vcpus = vcpus,
	};
	return p;
}

static int build(const struct guest_dtb_params *p)
{
	int size = guest_dtb_build(buf, BUF_SIZE, p);

	assert_true(size > 0);
	assert_int_equal(fdt_check_header(buf), 0);
	assert_int_equal(fdt_totalsize(buf), size);
	return size;
}

static int node(const char *path)
{
	int off = fdt_path_offset(buf, path);

	if (off < 0)
		fail_msg("no node %s", path);
	return off;
}

/* The cells of a property, converted to CPU order; returns how many. */
static int cells(const char *path, const char *prop, uint32_t *out, int max)
{
	int len;
	const fdt32_t *p = fdt_getprop(buf, node(path), prop, &len);

	if (!p)
		fail_msg("no property %s in %s", prop, path);
	assert_int_equal(len % 4, 0);
	assert_true(len / 4 <= max);
	for (int i = 0; i < len / 4; i++)
		out[i] = fdt32_to_cpu(p[i]);
	return len / 4;
}

static uint32_t cell(const char *path, const char *prop)
{
	uint32_t v;

	assert_int_equal(cells(path, prop, &v, 1), 1);
	return v;
}

static const char *str(const char *path, const char *prop)
{
	int len;
	const char *s = fdt_getprop(buf, node(path), prop, &len);

	if (!s)
		fail_msg("no property %s in %s", prop, path);
	assert_true(len >= 1);
	assert_int_equal(s[len - 1], '\0');
	return s;
}

static uint64_t u64(const char *path, const char *prop)
{
	int len;
	const void *p = fdt_getprop(buf, node(path), prop, &len);
	fdt64_t v;

	if (!p)
		fail_msg("no property %s in %s", prop, path);
	assert_int_equal(len, 8);
	memcpy(&v, p, 8); /* properties are only 4-byte aligned */
	return fdt64_to_cpu(v);
}

static void root_describes_a_virt_like_machine(void **state)
{
	struct guest_dtb_params p = params(1);

	(void)state;
	build(&p);
	assert_int_equal(cell("/", "#address-cells"), 2);
	assert_int_equal(cell("/", "#size-cells"), 2);
	assert_int_equal(fdt_node_check_compatible(buf, 0, "linux,dummy-virt"), 0);
	/* interrupt-parent names the GIC. */
	assert_int_equal(fdt_node_offset_by_phandle(buf, cell("/", "interrupt-parent")),
			 node("/intc@8000000"));
}

static void memory_node_has_the_vm_ram(void **state)
{
	struct guest_dtb_params p = params(1);
	uint32_t reg[4];

	(void)state;
	build(&p);
	assert_string_equal(str("/memory@40000000", "device_type"), "memory");
	assert_int_equal(cells("/memory@40000000", "reg", reg, 4), 4);
	assert_int_equal(reg[0], 0);
	assert_int_equal(reg[1], 0x40000000);
	assert_int_equal(reg[2], 1); /* 4 GiB: the high size cell */
	assert_int_equal(reg[3], 0);
}

static void one_cpu_node_per_vcpu_with_its_mpidr(void **state)
{
	static const unsigned counts[] = {1, 4, 8};

	(void)state;
	for (unsigned c = 0; c < ARRAY_SIZE(counts); c++) {
		struct guest_dtb_params p = params(counts[c]);
		int cpus, sub, n = 0;
		build(&p);
		assert_int_equal(cell("/cpus", "#address-cells"), 1);
		assert_int_equal(cell("/cpus", "#size-cells"), 0);
		cpus = node("/cpus");
		fdt_for_each_subnode(sub, buf, cpus)
		{
			char path[32];
			snprintf(path, sizeof(path), "/cpus/cpu@%d", n);
			assert_int_equal(sub, node(path));
			assert_string_equal(str(path, "device_type"), "cpu");
			assert_string_equal(str(path, "enable-method"), "psci");
			/* reg is the MPIDR affinity the vCPU reads back from MPIDR_EL1. */
			assert_int_equal(cell(path, "reg"), GUEST_MPIDR(n) & 0xffffff);
			assert_int_equal(cell(path, "reg"), n);
			n++;
		}
		assert_int_equal(n, counts[c]);
	}
}

static void psci_is_reached_with_hvc(void **state)
{
	struct guest_dtb_params p = params(2);
	int psci;

	(void)state;
	build(&p);
	psci = node("/psci");
	assert_string_equal(str("/psci", "method"), "hvc");
	assert_int_equal(fdt_node_check_compatible(buf, psci, "arm,psci-1.0"), 0);
	assert_int_equal(fdt_node_check_compatible(buf, psci, "arm,psci-0.2"), 0);
	assert_int_equal(fdt_stringlist_count(buf, psci, "compatible"), 2);
}

static void gic_redistributor_region_grows_with_the_vcpus(void **state)
{
	static const unsigned counts[] = {1, 4, 8};

	(void)state;
	for (unsigned c = 0; c < ARRAY_SIZE(counts); c++) {
		struct guest_dtb_params p = params(counts[c]);
		uint32_t reg[8], maint[3];
		build(&p);
		assert_int_equal(
		    fdt_node_check_compatible(buf, node("/intc@8000000"), "arm,gic-v3"), 0);
		assert_int_equal(cells("/intc@8000000", "reg", reg, 8), 8);
		assert_int_equal(((uint64_t)reg[0] << 32) | reg[1], GUEST_GICD_BASE);
		assert_int_equal(((uint64_t)reg[2] << 32) | reg[3], GUEST_GICD_SIZE);
		assert_int_equal(((uint64_t)reg[4] << 32) | reg[5], GUEST_GICR_BASE);
		assert_int_equal(((uint64_t)reg[6] << 32) | reg[7], 0x20000ull * counts[c]);
		assert_int_equal(cell("/intc@8000000", "#interrupt-cells"), 3);
		assert_int_equal(cell("/intc@8000000", "#redistributor-regions"), 1);
		assert_non_null(
		    fdt_getprop(buf, node("/intc@8000000"), "interrupt-controller", NULL));
		/* Maintenance interrupt: PPI 9, level high. */
		assert_int_equal(cells("/intc@8000000", "interrupts", maint, 3), 3);
		assert_int_equal(maint[0], 1);
		assert_int_equal(maint[1], 9);
		assert_int_equal(maint[2], 4);
	}
}

static void timer_lists_the_four_architected_ppis(void **state)
{
	struct guest_dtb_params p = params(1);
	/* Secure physical 13, non-secure physical 14, virtual 11, hypervisor 10. */
	static const uint32_t ppis[4] = {13, 14, 11, 10};
	uint32_t irq[12];

	(void)state;
	build(&p);
	assert_int_equal(fdt_node_check_compatible(buf, node("/timer"), "arm,armv8-timer"), 0);
	assert_int_equal(cells("/timer", "interrupts", irq, 12), 12);
	for (int i = 0; i < 4; i++) {
		assert_int_equal(irq[3 * i], 1); /* PPI */
		assert_int_equal(irq[3 * i + 1], ppis[i]);
		assert_int_equal(irq[3 * i + 2] & 0xf, 8); /* level-low */
	}
	assert_non_null(fdt_getprop(buf, node("/timer"), "always-on", NULL));
	/* The two a guest uses are those kestrel delivers its timers on, whatever the host's. */
	assert_int_equal(irq[4] + 16, GUEST_PPI_PTIMER);
	assert_int_equal(irq[7] + 16, GUEST_PPI_VTIMER);
}

/* The PMU's node where guests have it (hyp.has_pmu): its overflow interrupt on PPI 23, a
   level, as QEMU virt's; none without. */
static void pmu_node_only_with_the_pmu(void **state)
{
	struct guest_dtb_params p = params(2);
	uint32_t irq[3];

	(void)state;
	build(&p);
	assert_true(fdt_path_offset(buf, "/pmu") < 0);
	p.pmu = true;
	build(&p);
	assert_int_equal(fdt_node_check_compatible(buf, node("/pmu"), "arm,armv8-pmuv3"), 0);
	assert_int_equal(cells("/pmu", "interrupts", irq, 3), 3);
	assert_int_equal(irq[0], 1); /* PPI */
	assert_int_equal(irq[1] + 16, GUEST_PPI_PMU);
	assert_int_equal(irq[2], 4); /* level-high */
}

static void uart_is_a_pl011_at_the_virt_address(void **state)
{
	struct guest_dtb_params p = params(1);
	static const char compat[] = "arm,pl011\0arm,primecell";
	uint32_t reg[4], irq[3], clocks[2];
	const void *c;
	int len, clk;

	(void)state;
	build(&p);
	c = fdt_getprop(buf, node("/pl011@9000000"), "compatible", &len);
	assert_non_null(c);
	assert_int_equal(len, sizeof(compat));
	assert_memory_equal(c, compat, sizeof(compat));
	assert_int_equal(cells("/pl011@9000000", "reg", reg, 4), 4);
	assert_int_equal(((uint64_t)reg[0] << 32) | reg[1], GUEST_UART_BASE);
	assert_int_equal(((uint64_t)reg[2] << 32) | reg[3], GUEST_UART_SIZE);
	assert_int_equal(cells("/pl011@9000000", "interrupts", irq, 3), 3);
	assert_int_equal(irq[0], 0); /* SPI */
	assert_int_equal(irq[1], GUEST_UART_SPI);
	assert_int_equal(irq[2], 4);
	/* Both clocks resolve to a fixed clock, as the AMBA driver needs. */
	assert_int_equal(cells("/pl011@9000000", "clocks", clocks, 2), 2);
	clk = fdt_node_offset_by_phandle(buf, clocks[0]);
	assert_true(clk >= 0);
	assert_int_equal(fdt_node_offset_by_phandle(buf, clocks[1]), clk);
	assert_int_equal(fdt_node_check_compatible(buf, clk, "fixed-clock"), 0);
	assert_int_equal(fdt_stringlist_count(buf, node("/pl011@9000000"), "clock-names"), 2);
}

/* Each virtio device's slot, as QEMU virt describes its own; no node without a device. */
static void virtio_slots_are_described_as_qemu_does(void **state)
{
	struct guest_dtb_params p = params(1);
	uint32_t reg[4], irq[3];

	(void)state;
	build(&p);
	assert_true(fdt_path_offset(buf, "/virtio_mmio@a000000") < 0);
	p.nvirtio = 2;
	build(&p);
	for (unsigned i = 0; i < 2; i++) {
		char path[40];
		snprintf(path, sizeof(path), "/virtio_mmio@%x", 0xa000000 + 0x200 * i);
		assert_int_equal(fdt_node_check_compatible(buf, node(path), "virtio,mmio"), 0);
		assert_int_equal(cells(path, "reg", reg, 4), 4);
		assert_int_equal(reg[0], 0);
		assert_int_equal(reg[1], 0xa000000 + 0x200 * i);
		assert_int_equal(reg[2], 0);
		assert_int_equal(reg[3], 0x200);
		assert_int_equal(cells(path, "interrupts", irq, 3), 3);
		assert_int_equal(irq[0], 0);	  /* SPI */
		assert_int_equal(irq[1], 16 + i); /* QEMU virt: slot n on SPI 16 + n */
		assert_int_equal(irq[2], 1);	  /* edge */
		assert_non_null(fdt_getprop(buf, node(path), "dma-coherent", NULL));
	}
	assert_true(fdt_path_offset(buf, "/virtio_mmio@a000400") < 0);
}

static void chosen_has_bootargs_and_stdout(void **state)
{
	struct guest_dtb_params p = params(1);

	(void)state;
	p.bootargs = "console=ttyAMA0 earlycon root=/dev/vda";
	build(&p);
	assert_string_equal(str("/chosen", "bootargs"), "console=ttyAMA0 earlycon root=/dev/vda");
	assert_string_equal(str("/chosen", "stdout-path"), "/pl011@9000000");
	assert_int_equal(fdt_path_offset(buf, str("/chosen", "stdout-path")),
			 node("/pl011@9000000"));
	assert_null(fdt_getprop(buf, node("/chosen"), "linux,initrd-start", NULL));
	assert_null(fdt_getprop(buf, node("/chosen"), "linux,initrd-end", NULL));
}

static void missing_bootargs_become_an_empty_string(void **state)
{
	struct guest_dtb_params p = params(1);

	(void)state;
	build(&p);
	assert_string_equal(str("/chosen", "bootargs"), "");
}

static void initrd_is_described_in_chosen(void **state)
{
	struct guest_dtb_params p = params(4);

	(void)state;
	p.initrd_start = 0x13fc00000ull;
	p.initrd_size = 0x123456;
	build(&p);
	assert_int_equal(u64("/chosen", "linux,initrd-start"), 0x13fc00000ull);
	assert_int_equal(u64("/chosen", "linux,initrd-end"), 0x13fc00000ull + 0x123456);
}

static void exactly_sized_buffer_is_enough_and_one_byte_less_is_not(void **state)
{
	struct guest_dtb_params p = params(4);
	int size;
	void *exact;

	(void)state;
	p.bootargs = "console=ttyAMA0";
	p.initrd_start = 0x48000000;
	p.initrd_size = 0x1000;
	size = build(&p);
	/* Allocated to the byte: ASan catches any write past it. */
	exact = malloc((size_t)size);
	assert_non_null(exact);
	assert_int_equal(guest_dtb_build(exact, (size_t)size, &p), size);
	assert_memory_equal(exact, buf, (size_t)size);
	assert_true(guest_dtb_build(exact, (size_t)size - 1, &p) < 0);
	free(exact);
}

static void too_small_buffers_fail(void **state)
{
	struct guest_dtb_params p = params(1);
	char *args = malloc(8192);

	(void)state;
	assert_non_null(args);
	assert_true(guest_dtb_build(buf, 64, &p) < 0);
	assert_true(guest_dtb_build(buf, 512, &p) < 0);
	/* Long bootargs that do not fit a 4 KiB tree. */
	memset(args, 'a', 8191);
	args[8191] = '\0';
	p.bootargs = args;
	assert_true(guest_dtb_build(buf, 4096, &p) < 0);
	assert_true(guest_dtb_build(buf, BUF_SIZE, &p) > 0);
	free(args);
}

/* A host tree with one device node, dev@a000000, whose property "broken" has the length
   0xfffffffe: libfdt 1.6.1 takes it (the next tag still follows its header) as -2. */
static int host_with_broken_property(void *host, size_t size)
{
	static const uint32_t reg[4] = {0, 0x0a000000, 0, 0x200};
	fdt32_t be[4];
	struct fdt_property *prop;
	int node;

	for (int i = 0; i < 4; i++)
		be[i] = cpu_to_fdt32(reg[i]);
	assert_int_equal(fdt_create_empty_tree(host, (int)size), 0);
	node = fdt_add_subnode(host, 0, "dev@a000000");
	assert_true(node >= 0);
	assert_int_equal(fdt_setprop_string(host, node, "compatible", "virtio,mmio"), 0);
	assert_int_equal(fdt_setprop(host, node, "reg", be, sizeof(be)), 0);
	assert_int_equal(fdt_setprop_u32(host, node, "phandle", 7), 0);
	assert_int_equal(fdt_setprop(host, node, "broken", NULL, 0), 0);
	assert_int_equal(fdt_setprop_u32(host, node, "interrupt-parent", 1), 0);
	prop = fdt_get_property_w(host, node, "broken", NULL);
	assert_non_null(prop);
	prop->len = cpu_to_fdt32(0xfffffffe);
	return node;
}

/* Found by fuzz_hostdt: the negative length went to fdt_property, a memcpy of (size_t)-2. */
static void passed_through_node_is_copied_without_malformed_properties(void **state)
{
	struct guest_dtb_params p = params(1);
	char host[4096];
	const uint32_t *reg;
	int len, dev;

	(void)state;
	p.host_fdt = host;
	p.npassthrough = 1;
	p.passthrough[0] = host_with_broken_property(host, sizeof(host));
	build(&p);
	assert_int_equal(fdt_check_full(buf, fdt_totalsize(buf)), 0);
	dev = node("/dev@a000000");
	assert_string_equal(fdt_getprop(buf, dev, "compatible", NULL), "virtio,mmio");
	reg = fdt_getprop(buf, dev, "reg", &len);
	assert_int_equal(len, 16);
	assert_int_equal(fdt32_to_cpu(reg[1]), 0x0a000000);
	/* The host's phandle and interrupt parent mean nothing in the guest, "broken" is not a
	   property. */
	assert_null(fdt_getprop(buf, dev, "phandle", NULL));
	assert_null(fdt_getprop(buf, dev, "interrupt-parent", NULL));
	assert_null(fdt_getprop(buf, dev, "broken", NULL));
}

/* A host tree with a fixed clock (phandle 0x8000), a clock with cells (0x8001), a device
   clocked by the first and one clocked by the second. */
static void host_with_clocks(void *host, size_t size, int *fixed_dev, int *pll_dev)
{
	static const uint32_t pll_clock[2] = {0x8001, 3};
	fdt32_t be[2];
	int clk, pll, dev;

	for (int i = 0; i < 2; i++)
		be[i] = cpu_to_fdt32(pll_clock[i]);
	assert_int_equal(fdt_create_empty_tree(host, (int)size), 0);
	clk = fdt_add_subnode(host, 0, "apb-pclk");
	assert_int_equal(fdt_setprop_string(host, clk, "compatible", "fixed-clock"), 0);
	assert_int_equal(fdt_setprop_u32(host, clk, "#clock-cells", 0), 0);
	assert_int_equal(fdt_setprop_u32(host, clk, "phandle", 0x8000), 0);
	pll = fdt_add_subnode(host, 0, "pll");
	assert_int_equal(fdt_setprop_string(host, pll, "compatible", "vendor,pll"), 0);
	assert_int_equal(fdt_setprop_u32(host, pll, "#clock-cells", 1), 0);
	assert_int_equal(fdt_setprop_u32(host, pll, "phandle", 0x8001), 0);
	dev = fdt_add_subnode(host, 0, "pl061@9030000");
	assert_int_equal(fdt_setprop_u32(host, dev, "clocks", 0x8000), 0);
	assert_int_equal(fdt_setprop_string(host, dev, "clock-names", "apb_pclk"), 0);
	dev = fdt_add_subnode(host, 0, "dev@a000000");
	assert_int_equal(fdt_setprop(host, dev, "clocks", be, sizeof(be)), 0);
	assert_int_equal(fdt_setprop_string(host, dev, "clock-names", "core"), 0);
	*fixed_dev = fdt_path_offset(host, "/pl061@9030000");
	*pll_dev = fdt_path_offset(host, "/dev@a000000");
	assert_true(*fixed_dev >= 0 && *pll_dev >= 0);
}

/* The host's clock phandles would name nothing, or the wrong node, in the guest. */
static void passed_through_clocks_become_the_guest_clock_or_go(void **state)
{
	struct guest_dtb_params p = params(1);
	char host[4096];
	const fdt32_t *clocks, *guest_clk;
	int len;

	(void)state;
	p.host_fdt = host;
	p.npassthrough = 2;
	host_with_clocks(host, sizeof(host), &p.passthrough[0], &p.passthrough[1]);
	build(&p);
	guest_clk = fdt_getprop(buf, node("/apb-pclk"), "phandle", NULL);
	assert_non_null(guest_clk);
	clocks = fdt_getprop(buf, node("/pl061@9030000"), "clocks", &len);
	assert_int_equal(len, 4);
	assert_int_equal(fdt32_to_cpu(clocks[0]), fdt32_to_cpu(guest_clk[0]));
	assert_string_equal(fdt_getprop(buf, node("/pl061@9030000"), "clock-names", NULL),
			    "apb_pclk");
	assert_null(fdt_getprop(buf, node("/dev@a000000"), "clocks", NULL));
	assert_null(fdt_getprop(buf, node("/dev@a000000"), "clock-names", NULL));
}

static void vcpu_counts_outside_1_to_8_are_refused(void **state)
{
	static const unsigned bad[] = {0, 9, 100};

	(void)state;
	for (unsigned i = 0; i < ARRAY_SIZE(bad); i++) {
		struct guest_dtb_params p = params(bad[i]);
		memset(buf, 0xee, 16);
		assert_true(guest_dtb_build(buf, BUF_SIZE, &p) < 0);
		assert_int_equal(((unsigned char *)buf)[0], 0xee); /* nothing written */
	}
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, alloc_buf, free_buf)

int main(void)
{
	const struct CMUnitTest tests[] = {
	    T(root_describes_a_virt_like_machine),
	    T(pmu_node_only_with_the_pmu),
	    T(memory_node_has_the_vm_ram),
	    T(one_cpu_node_per_vcpu_with_its_mpidr),
	    T(psci_is_reached_with_hvc),
	    T(gic_redistributor_region_grows_with_the_vcpus),
	    T(timer_lists_the_four_architected_ppis),
	    T(uart_is_a_pl011_at_the_virt_address),
	    T(virtio_slots_are_described_as_qemu_does),
	    T(chosen_has_bootargs_and_stdout),
	    T(missing_bootargs_become_an_empty_string),
	    T(initrd_is_described_in_chosen),
	    T(exactly_sized_buffer_is_enough_and_one_byte_less_is_not),
	    T(too_small_buffers_fail),
	    T(vcpu_counts_outside_1_to_8_are_refused),
	    T(passed_through_node_is_copied_without_malformed_properties),
	    T(passed_through_clocks_become_the_guest_clock_or_go),
	};

	return cmocka_run_group_tests_name("guest_dtb", tests, NULL, NULL);
}
