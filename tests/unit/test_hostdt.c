/* SPDX-License-Identifier: Apache-2.0 */
/* What kestrel learns from the host device tree, and the one-sentence refusals. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <kestrel/hostdt.h>
#include <kestrel/platform.h>
#include <libfdt.h>

#include "helpers.h"

static void *fdt;
static struct platform plat;
static char msg[256];

static int virt_tree(void **state)
{
	(void)state;
	fdt = dt_qemu_virt();
	memset(&plat, 0xa5, sizeof(plat)); /* parse must not rely on a zeroed struct */
	memset(msg, 0, sizeof(msg));
	return 0;
}

static int free_tree(void **state)
{
	(void)state;
	free(fdt);
	return 0;
}

static int parse(void)
{
	return hostdt_parse(fdt, &plat, msg, sizeof(msg));
}

static void qemu_virt_tree_is_parsed(void **state)
{
	(void)state;
	assert_int_equal(parse(), E_OK);
	assert_int_equal(plat.ram_base, 0x40000000);
	assert_int_equal(plat.ram_size, 0x80000000);
	assert_int_equal(plat.ram_banks, 1);
	assert_int_equal(plat.cpu_count, 2);
	assert_int_equal(plat.cpu_mpidr[0], 0);
	assert_int_equal(plat.cpu_mpidr[1], 1);
	assert_int_equal(plat.cpus_ignored, 0);
	assert_int_equal(plat.uart_base, 0x9000000);
	assert_int_equal(plat.uart_size, 0x1000);
	assert_int_equal(plat.gic.dist_base, 0x8000000);
	assert_int_equal(plat.gic.dist_size, 0x10000);
	assert_int_equal(plat.gic.redist_base, 0x80a0000);
	assert_int_equal(plat.gic.redist_size, 0xf60000);
	assert_true(plat.psci_smc);
	assert_int_equal(plat.nreserved, 0);
}

static void interrupt_numbers_come_from_the_tree(void **state)
{
	(void)state;
	assert_int_equal(parse(), E_OK);
	assert_int_equal(plat.ppi_virt_timer, 27);
	assert_int_equal(plat.ppi_hyp_timer, 26);
	assert_int_equal(plat.ppi_phys_timer, 30);
	assert_int_equal(plat.ppi_gic_maint, 25);
	assert_int_equal(plat.uart_spi, 33);
}

static void timer_interrupts_follow_the_timer_node(void **state)
{
	static const uint32_t irqs[] = {1, 13, 4, 1, 14, 4, 1, 11, 4, 1, 12, 4};

	(void)state;
	dt_cells(fdt, "/timer", "interrupts", irqs, 12);
	assert_int_equal(parse(), E_OK);
	assert_int_equal(plat.ppi_phys_timer, 30);
	assert_int_equal(plat.ppi_virt_timer, 27);
	assert_int_equal(plat.ppi_hyp_timer, 28);
}

/*
 * A guest's timer fires as the host's PPI, linked to the same virtual PPI, and the guests'
 * device trees say 27 and 30: a host whose EL1 timers are elsewhere (here swapped: virtual
 * on 30, physical on 27) is refused, naming both.
 */
static void a_host_with_other_timer_ppis_is_refused(void **state)
{
	static const uint32_t swapped[] = {1, 13, 8, 1, 11, 8, 1, 14, 8, 1, 12, 8};

	(void)state;
	dt_cells(fdt, "/timer", "interrupts", swapped, 12);
	assert_int_equal(parse(), -E_INVAL);
	assert_string_equal(msg,
			    "the EL1 timers' interrupts are PPIs 30 (virtual) and 27 "
			    "(physical); kestrel gives its guests their timers on the same "
			    "PPIs and needs them to be 27 and 30, as on QEMU virt and most Arm "
			    "machines");
}

/* The PMU's overflow interrupt is its node's PPI (main.c gives guests the PMU only on 23);
   no node, or an interrupt that is not a PPI, is none, and nothing is refused for it. */
static void pmu_interrupt_is_its_nodes_ppi(void **state)
{
	static const uint32_t ppi7[] = {1, 7, 4}, spi[] = {0, 7, 4};

	(void)state;
	assert_int_equal(parse(), E_OK);
	assert_int_equal(plat.ppi_pmu, 0); /* dt_qemu_virt has no PMU node */
	dt_node(fdt, "/pmu");
	dt_str(fdt, "/pmu", "compatible", "arm,armv8-pmuv3");
	dt_cells(fdt, "/pmu", "interrupts", ppi7, 3);
	assert_int_equal(parse(), E_OK);
	assert_int_equal(plat.ppi_pmu, 23);
	dt_cells(fdt, "/pmu", "interrupts", spi, 3);
	assert_int_equal(parse(), E_OK);
	assert_int_equal(plat.ppi_pmu, 0);
}

static void timer_interrupts_that_are_not_ppis_are_refused(void **state)
{
	static const uint32_t spi[] = {1, 13, 4, 1, 14, 4, 0, 27, 4, 1, 10, 4};
	static const uint32_t big[] = {1, 13, 4, 1, 14, 4, 1, 11, 4, 1, 16, 4};

	(void)state;
	dt_cells(fdt, "/timer", "interrupts", spi, 12);
	assert_int_equal(parse(), -E_INVAL);
	assert_non_null(strstr(msg, "interrupt 2 is not a PPI (type 0, number 27)"));
	dt_cells(fdt, "/timer", "interrupts", big, 12);
	assert_int_equal(parse(), -E_INVAL);
	assert_non_null(strstr(msg, "interrupt 3 is not a PPI (type 1, number 16)"));
}

static void timer_defaults_are_architected_when_the_node_says_too_little(void **state)
{
	static const uint32_t short_irqs[] = {1, 13, 4, 1, 12, 4};

	(void)state;
	dt_cells(fdt, "/timer", "interrupts", short_irqs, 6);
	assert_int_equal(parse(), E_OK);
	assert_int_equal(plat.ppi_virt_timer, 27);
	assert_int_equal(plat.ppi_hyp_timer, 26);
	dt_del(fdt, "/timer");
	assert_int_equal(parse(), E_OK);
	assert_int_equal(plat.ppi_virt_timer, 27);
	assert_int_equal(plat.ppi_hyp_timer, 26);
}

static void largest_memory_bank_is_used(void **state)
{
	static const uint64_t banks[] = {0x80000000, 0x10000000,     0x100000000ull,
					 0xc0000000, 0x200000000ull, 0};

	(void)state;
	/* A second node, and a node with three entries (one of them empty). */
	dt_node(fdt, "/memory@80000000");
	dt_str(fdt, "/memory@80000000", "device_type", "memory");
	dt_regs(fdt, "/memory@80000000", banks, 3);
	assert_int_equal(parse(), E_OK);
	assert_int_equal(plat.ram_base, 0x100000000ull);
	assert_int_equal(plat.ram_size, 0xc0000000);
	assert_int_equal(plat.ram_banks, 3);
	/* Every bank is known (none may be given to a VM as a device), in the tree's order. */
	assert_int_equal(plat.ram_bank[0].base, 0x80000000);
	assert_int_equal(plat.ram_bank[0].size, 0x10000000);
	assert_int_equal(plat.ram_bank[1].base, 0x100000000ull);
	assert_int_equal(plat.ram_bank[1].size, 0xc0000000);
	assert_int_equal(plat.ram_bank[2].base, 0x40000000);
	assert_int_equal(plat.ram_bank[2].size, 0x80000000);
}

/* A bank kestrel did not know of could be given to a VM as a device: more are refused. */
static void more_ram_banks_than_kestrel_knows_are_refused(void **state)
{
	uint64_t banks[2 * PLAT_MAX_RAM_BANKS];

	(void)state;
	for (unsigned i = 0; i < PLAT_MAX_RAM_BANKS; i++) {
		banks[2 * i] = 0x100000000ull * (i + 1);
		banks[2 * i + 1] = 0x10000000;
	}
	dt_node(fdt, "/memory@100000000");
	dt_str(fdt, "/memory@100000000", "device_type", "memory");
	dt_regs(fdt, "/memory@100000000", banks, PLAT_MAX_RAM_BANKS - 1);
	assert_int_equal(parse(), E_OK); /* with /memory@40000000: as many as kestrel keeps */
	assert_int_equal(plat.ram_banks, PLAT_MAX_RAM_BANKS);
	assert_int_equal(plat.ram_bank[PLAT_MAX_RAM_BANKS - 1].base, 0x40000000);
	dt_regs(fdt, "/memory@100000000", banks, PLAT_MAX_RAM_BANKS);
	assert_int_equal(parse(), -E_INVAL);
	assert_string_equal(msg, "the device tree describes 9 RAM banks, more than the 8 kestrel "
				 "keeps track of: merge adjacent /memory ranges");
}

static void memory_reg_uses_the_root_cell_sizes(void **state)
{
	static const uint32_t reg[] = {0x40000000, 0x20000000};

	(void)state;
	dt_u32(fdt, "/", "#address-cells", 1);
	dt_u32(fdt, "/", "#size-cells", 1);
	dt_cells(fdt, "/memory@40000000", "reg", reg, 2);
	assert_int_equal(parse(), E_OK);
	assert_int_equal(plat.ram_base, 0x40000000);
	assert_int_equal(plat.ram_size, 0x20000000);
}

static void nodes_that_are_not_memory_are_not_ram(void **state)
{
	(void)state;
	dt_node(fdt, "/flash@0");
	dt_reg(fdt, "/flash@0", 0, 0x100000000ull); /* bigger, but not device_type memory */
	assert_int_equal(parse(), E_OK);
	assert_int_equal(plat.ram_base, 0x40000000);
	assert_int_equal(plat.ram_banks, 1);
}

static void cpus_beyond_the_maximum_are_counted_as_ignored(void **state)
{
	(void)state;
	dt_del(fdt, "/cpus");
	dt_node(fdt, "/cpus");
	dt_u32(fdt, "/cpus", "#address-cells", 1);
	dt_u32(fdt, "/cpus", "#size-cells", 0);
	dt_node(fdt, "/cpus/cpu-map"); /* not a cpu */
	for (unsigned i = PCPU_MAX + 3; i-- > 0;) {
		char path[32];
		snprintf(path, sizeof(path), "/cpus/cpu@%x", i);
		dt_node(fdt, path);
		dt_str(fdt, path, "device_type", "cpu");
		dt_u32(fdt, path, "reg", 0x100 | i);
	}
	assert_int_equal(parse(), E_OK);
	assert_int_equal(plat.cpu_count, PCPU_MAX);
	assert_int_equal(plat.cpus_ignored, 3);
	for (unsigned i = 0; i < PCPU_MAX; i++)
		assert_int_equal(plat.cpu_mpidr[i], 0x100 | i);
}

static void stdout_path_picks_the_uart(void **state)
{
	(void)state;
	/* A second PL011, which comes first in the tree. */
	dt_node(fdt, "/pl011@9040000");
	DT_STRS(fdt, "/pl011@9040000", "compatible", "arm,pl011\0arm,primecell");
	dt_reg(fdt, "/pl011@9040000", 0x9040000, 0x1000);
	/* With options after the colon. */
	dt_str(fdt, "/chosen", "stdout-path", "/pl011@9000000:115200n8");
	assert_int_equal(parse(), E_OK);
	assert_int_equal(plat.uart_base, 0x9000000);
	/* Through an alias. */
	dt_node(fdt, "/aliases");
	dt_str(fdt, "/aliases", "serial0", "/pl011@9000000");
	dt_str(fdt, "/chosen", "stdout-path", "serial0:115200n8");
	assert_int_equal(parse(), E_OK);
	assert_int_equal(plat.uart_base, 0x9000000);
	/* Without a stdout-path, the first PL011 in the tree. */
	dt_del(fdt, "/chosen");
	assert_int_equal(parse(), E_OK);
	assert_int_equal(plat.uart_base, 0x9040000);
}

static void stdout_path_to_another_kind_of_uart_falls_back_to_a_pl011(void **state)
{
	(void)state;
	dt_node(fdt, "/serial@1000000");
	dt_str(fdt, "/serial@1000000", "compatible", "ns16550a");
	dt_reg(fdt, "/serial@1000000", 0x1000000, 0x100);
	dt_str(fdt, "/chosen", "stdout-path", "/serial@1000000");
	assert_int_equal(parse(), E_OK);
	assert_int_equal(plat.uart_base, 0x9000000);
	/* And without any stdout-path. */
	dt_del(fdt, "/chosen");
	assert_int_equal(parse(), E_OK);
	assert_int_equal(plat.uart_base, 0x9000000);
}

static void reservations_from_both_sources_are_collected(void **state)
{
	static const uint64_t two[] = {0x48000000, 0x100000, 0x49000000, 0x2000};

	(void)state;
	assert_int_equal(fdt_add_mem_rsv(fdt, 0x40000000, 0x1000), 0);
	dt_node(fdt, "/reserved-memory");
	dt_u32(fdt, "/reserved-memory", "#address-cells", 2);
	dt_u32(fdt, "/reserved-memory", "#size-cells", 2);
	dt_node(fdt, "/reserved-memory/fw@48000000");
	dt_regs(fdt, "/reserved-memory/fw@48000000", two, 2);
	dt_node(fdt, "/reserved-memory/pool"); /* dynamic: size only, no reg */
	dt_u32(fdt, "/reserved-memory/pool", "size", 0x100000);
	assert_int_equal(parse(), E_OK);
	assert_int_equal(plat.nreserved, 3);
	assert_int_equal(plat.reserved[0][0], 0x40000000);
	assert_int_equal(plat.reserved[0][1], 0x40001000);
	assert_int_equal(plat.reserved[1][0], 0x48000000);
	assert_int_equal(plat.reserved[1][1], 0x48100000);
	assert_int_equal(plat.reserved[2][0], 0x49000000);
	assert_int_equal(plat.reserved[2][1], 0x49002000);
}

/* A reservation kestrel did not keep would become VM RAM: more than it keeps is refused. */
static void more_reservations_than_kestrel_keeps_are_refused(void **state)
{
	(void)state;
	/* PLAT_MAX_RESERVED - 1 /memreserve/ entries and one /reserved-memory region: all kept. */
	for (unsigned i = 0; i < PLAT_MAX_RESERVED - 1; i++)
		assert_int_equal(fdt_add_mem_rsv(fdt, 0x40000000 + i * 0x10000, 0x1000), 0);
	assert_int_equal(fdt_add_mem_rsv(fdt, 0x50000000, 0), 0); /* empty: not a reservation */
	dt_node(fdt, "/reserved-memory");
	dt_u32(fdt, "/reserved-memory", "#address-cells", 2);
	dt_u32(fdt, "/reserved-memory", "#size-cells", 2);
	dt_node(fdt, "/reserved-memory/fw@48000000");
	dt_reg(fdt, "/reserved-memory/fw@48000000", 0x48000000, 0x100000);
	assert_int_equal(parse(), E_OK);
	assert_int_equal(plat.nreserved, PLAT_MAX_RESERVED);
	assert_int_equal(plat.reserved[PLAT_MAX_RESERVED - 1][0], 0x48000000);
	assert_int_equal(plat.reserved[PLAT_MAX_RESERVED - 1][1], 0x48100000);
	/* One more, counted from either source: the machine is refused. */
	dt_node(fdt, "/reserved-memory/fw@49000000");
	dt_reg(fdt, "/reserved-memory/fw@49000000", 0x49000000, 0x1000);
	assert_int_equal(parse(), -E_INVAL);
	assert_string_equal(msg,
			    "the device tree reserves 17 regions of memory (/memreserve/ and "
			    "/reserved-memory), more than the 16 kestrel can keep from its VMs: "
			    "merge adjacent ones");
	dt_del(fdt, "/reserved-memory/fw@49000000");
	assert_int_equal(fdt_add_mem_rsv(fdt, 0x51000000, 0x1000), 0);
	assert_int_equal(fdt_add_mem_rsv(fdt, 0x52000000, 0x1000), 0);
	assert_int_equal(parse(), -E_INVAL);
	assert_non_null(strstr(msg, "reserves 18 regions of memory"));
	assert_true(plat.nreserved <= PLAT_MAX_RESERVED);
}

static void gic_v2_only_asks_for_gic_version_3(void **state)
{
	(void)state;
	DT_STRS(fdt, "/intc@8000000", "compatible", "arm,cortex-a15-gic\0arm,gic-400");
	assert_int_equal(parse(), -E_NOENT);
	assert_non_null(strstr(msg, "GICv3"));
	assert_non_null(strstr(msg, "gic-version=3"));
}

static void gic_without_a_redistributor_is_refused(void **state)
{
	(void)state;
	dt_reg(fdt, "/intc@8000000", 0x8000000, 0x10000);
	assert_int_equal(parse(), -E_INVAL);
	assert_non_null(strstr(msg, "GICv3 node"));
	assert_non_null(strstr(msg, "reg"));
}

static void psci_through_hvc_is_refused(void **state)
{
	(void)state;
	dt_str(fdt, "/psci", "method", "hvc");
	assert_int_equal(parse(), -E_NOENT);
	assert_non_null(strstr(msg, "hvc method"));
	assert_non_null(strstr(msg, "virtualization=on"));
	assert_false(plat.psci_smc);
}

static void missing_psci_is_refused(void **state)
{
	(void)state;
	dt_del(fdt, "/psci");
	assert_int_equal(parse(), -E_NOENT);
	assert_non_null(strstr(msg, "no psci node"));
}

static void legacy_psci_compatible_is_accepted(void **state)
{
	(void)state;
	dt_str(fdt, "/psci", "compatible", "arm,psci");
	assert_int_equal(parse(), E_OK);
	assert_true(plat.psci_smc);
}

static void tree_without_memory_or_cpus_is_refused(void **state)
{
	(void)state;
	dt_del(fdt, "/cpus");
	assert_int_equal(parse(), -E_NOENT);
	assert_non_null(strstr(msg, "no CPUs"));
	dt_del(fdt, "/memory@40000000");
	assert_int_equal(parse(), -E_NOENT);
	assert_non_null(strstr(msg, "no memory"));
}

static void a_tree_larger_than_kestrel_maps_is_refused_before_it_is_read(void **state)
{
	(void)state;
	/* Only the header says so: nothing beyond it may be read. */
	fdt_set_totalsize(fdt, PLAT_DTB_MAX + 4096);
	assert_int_equal(parse(), -E_INVAL);
	assert_non_null(strstr(msg, "4100 KiB, more than the 4096 KiB kestrel reads"));
}

static void a_bad_header_is_not_a_device_tree(void **state)
{
	uint32_t junk[64] = {0};

	(void)state;
	assert_int_equal(hostdt_parse(junk, &plat, msg, sizeof(msg)), -E_INVAL);
	assert_non_null(strstr(msg, "device tree"));
	memset(msg, 0, sizeof(msg));
	assert_int_equal(hostdt_parse(NULL, &plat, msg, sizeof(msg)), -E_INVAL);
	assert_non_null(strstr(msg, "device tree"));
	/* A damaged magic number. */
	((uint8_t *)fdt)[0] ^= 0xff;
	assert_int_equal(parse(), -E_INVAL);
}

/*
 * The tree re-laid so that its structure block comes last and ends right after the value of
 * path's property prop (the last property of the last node, or what follows is lost): a
 * malformed DTB whose last string has no NUL. Exactly as long as the blob, so that
 * AddressSanitizer sees any read past it. Replaces fdt.
 */
static void end_tree_at(const char *path, const char *prop, const void *val, int len)
{
	const char *old = fdt, *v;
	size_t head, strings, strings_len, struct_len, total;
	char *cut;
	int got;

	dt_bytes(fdt, path, prop, val, len);
	v = fdt_getprop(fdt, dt_off(fdt, path), prop, &got);
	assert_int_equal(got, len);
	head = fdt_off_mem_rsvmap(old) + 16; /* the header and an empty reservation map */
	strings_len = fdt_size_dt_strings(old);
	strings = (strings_len + 3) & ~(size_t)3;
	struct_len = (size_t)(v + len - (old + fdt_off_dt_struct(old)));
	total = head + strings + struct_len;
	cut = calloc(1, total);
	assert_non_null(cut);
	memcpy(cut, old, head);
	memcpy(cut + head, old + fdt_off_dt_strings(old), strings_len);
	memcpy(cut + head + strings, old + fdt_off_dt_struct(old), struct_len);
	fdt_set_off_dt_strings(cut, (uint32_t)head);
	fdt_set_off_dt_struct(cut, (uint32_t)(head + strings));
	fdt_set_size_dt_struct(cut, (uint32_t)struct_len);
	fdt_set_totalsize(cut, (uint32_t)total);
	assert_int_equal(fdt_check_header(cut), 0);
	free(fdt);
	fdt = cut;
}

/* Found by fuzz_hostdt: string properties were compared with strcmp/strchr/strlen, which read
   on past a value without its NUL, and past the end of the DTB. */
static void unterminated_memory_type_is_not_read_past(void **state)
{
	int mem;

	(void)state;
	dt_del(fdt, "/psci"); /* the memory node is now the last one */
	mem = dt_off(fdt, "/memory@40000000");
	assert_int_equal(fdt_delprop(fdt, mem, "device_type"), 0);
	end_tree_at("/memory@40000000", "device_type", "memory", 6);
	assert_int_equal(parse(), -E_NOENT);
	assert_non_null(strstr(msg, "no memory"));
}

static void unterminated_psci_method_is_not_read_past(void **state)
{
	(void)state;
	end_tree_at("/psci", "method", "smc", 3); /* /psci is the last node, method its last */
	assert_int_equal(parse(), -E_NOENT);
	assert_non_null(strstr(msg, "PSCI"));
}

static void unterminated_stdout_path_is_not_read_past(void **state)
{
	(void)state;
	free(fdt);
	fdt = dt_new();
	dt_node(fdt, "/chosen");
	end_tree_at("/chosen", "stdout-path", "/pl011@9000000", 14);
	assert_int_equal(parse(), -E_NOENT); /* nothing else in the tree */
	assert_int_equal(plat.uart_base, 0);
}

/* Found by fuzz_hostdt: libfdt accepts a structure block at any offset, and cells were read
   through fdt32_t pointers, which are then misaligned (undefined behaviour in C). */
static void structure_block_off_alignment_is_read_alike(void **state)
{
	struct platform aligned;
	const char *old = fdt;
	size_t head = fdt_off_dt_struct(old), len = fdt_size_dt_struct(old);
	size_t strings = fdt_size_dt_strings(old), total = head + 2 + len + strings;
	char *moved = calloc(1, total);

	(void)state;
	assert_int_equal(parse(), E_OK);
	aligned = plat;
	assert_non_null(moved);
	memcpy(moved, old, head);
	memcpy(moved + head + 2, old + head, len);
	memcpy(moved + head + 2 + len, old + fdt_off_dt_strings(old), strings);
	fdt_set_off_dt_struct(moved, (uint32_t)(head + 2));
	fdt_set_off_dt_strings(moved, (uint32_t)(head + 2 + len));
	fdt_set_totalsize(moved, (uint32_t)total);
	free(fdt);
	fdt = moved;
	assert_int_equal(fdt_check_header(fdt), 0);
	memset(&plat, 0xa5, sizeof(plat));
	assert_int_equal(parse(), E_OK);
	aligned.fdt = plat.fdt; /* the only thing allowed to differ */
	assert_memory_equal(&plat, &aligned, sizeof(plat));
}

static void messages_fit_small_buffers(void **state)
{
	char small[24];

	(void)state;
	memset(small, 'x', sizeof(small));
	dt_str(fdt, "/psci", "method", "hvc");
	assert_int_equal(hostdt_parse(fdt, &plat, small, 16), -E_NOENT);
	assert_int_equal(strlen(small), 15);
	assert_int_equal(small[16], 'x');
}

static void reg_reader_checks_cells_and_index(void **state)
{
	uint64_t addr = 0, size = 0;
	int gic;

	(void)state;
	gic = dt_off(fdt, "/intc@8000000");
	assert_int_equal(hostdt_reg(fdt, gic, 1, &addr, &size), E_OK);
	assert_int_equal(addr, 0x80a0000);
	assert_int_equal(size, 0xf60000);
	assert_int_equal(hostdt_reg(fdt, gic, 2, &addr, &size), -E_NOENT);
	assert_int_equal(hostdt_reg(fdt, dt_off(fdt, "/timer"), 0, &addr, &size), -E_INVAL);
	/* One address cell and no size cells, as under /cpus. */
	assert_int_equal(hostdt_reg(fdt, dt_off(fdt, "/cpus/cpu@1"), 0, &addr, &size), E_OK);
	assert_int_equal(addr, 1);
	assert_int_equal(size, 0);
	/* Three address cells are not something kestrel reads. */
	dt_u32(fdt, "/", "#address-cells", 3);
	assert_int_equal(hostdt_reg(fdt, dt_off(fdt, "/pl011@9000000"), 0, &addr, &size), -E_INVAL);
}

/* QEMU's guest-loader writes /chosen/module@ADDR with the root's 2 + 2 cells into a /chosen
   without cell sizes: they are the nearest ancestor's, not the default 2 + 1. */
static void reg_cell_sizes_come_from_the_nearest_ancestor_that_has_them(void **state)
{
	uint64_t addr = 0, size = 0;

	(void)state;
	dt_node(fdt, "/chosen/module@49000000");
	dt_reg(fdt, "/chosen/module@49000000", 0x49000000, 0x2c60);
	assert_int_equal(hostdt_reg(fdt, dt_off(fdt, "/chosen/module@49000000"), 0, &addr, &size),
			 E_OK);
	assert_int_equal(addr, 0x49000000);
	assert_int_equal(size, 0x2c60);
	/* A node's own sizes still win over its ancestors'. */
	dt_u32(fdt, "/chosen", "#size-cells", 1);
	assert_int_equal(hostdt_reg(fdt, dt_off(fdt, "/chosen/module@49000000"), 0, &addr, &size),
			 E_OK);
	assert_int_equal(addr, 0x49000000);
	assert_int_equal(size, 0);
	/* Malformed: a size property that is not one cell. */
	dt_cells(fdt, "/chosen", "#size-cells", (const uint32_t[]){0, 2}, 2);
	assert_int_equal(hostdt_reg(fdt, dt_off(fdt, "/chosen/module@49000000"), 0, &addr, &size),
			 -E_INVAL);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, virt_tree, free_tree)

int main(void)
{
	const struct CMUnitTest tests[] = {
	    T(qemu_virt_tree_is_parsed),
	    T(interrupt_numbers_come_from_the_tree),
	    T(timer_interrupts_follow_the_timer_node),
	    T(a_host_with_other_timer_ppis_is_refused),
	    T(timer_interrupts_that_are_not_ppis_are_refused),
	    T(pmu_interrupt_is_its_nodes_ppi),
	    T(timer_defaults_are_architected_when_the_node_says_too_little),
	    T(largest_memory_bank_is_used),
	    T(more_ram_banks_than_kestrel_knows_are_refused),
	    T(memory_reg_uses_the_root_cell_sizes),
	    T(nodes_that_are_not_memory_are_not_ram),
	    T(cpus_beyond_the_maximum_are_counted_as_ignored),
	    T(stdout_path_picks_the_uart),
	    T(stdout_path_to_another_kind_of_uart_falls_back_to_a_pl011),
	    T(reservations_from_both_sources_are_collected),
	    T(more_reservations_than_kestrel_keeps_are_refused),
	    T(gic_v2_only_asks_for_gic_version_3),
	    T(gic_without_a_redistributor_is_refused),
	    T(psci_through_hvc_is_refused),
	    T(missing_psci_is_refused),
	    T(legacy_psci_compatible_is_accepted),
	    T(tree_without_memory_or_cpus_is_refused),
	    T(a_tree_larger_than_kestrel_maps_is_refused_before_it_is_read),
	    T(a_bad_header_is_not_a_device_tree),
	    T(unterminated_memory_type_is_not_read_past),
	    T(unterminated_psci_method_is_not_read_past),
	    T(unterminated_stdout_path_is_not_read_past),
	    T(structure_block_off_alignment_is_read_alike),
	    T(messages_fit_small_buffers),
	    T(reg_reader_checks_cells_and_index),
	    T(reg_cell_sizes_come_from_the_nearest_ancestor_that_has_them),
	};

	return cmocka_run_group_tests_name("hostdt", tests, NULL, NULL);
}
