/* SPDX-License-Identifier: Apache-2.0 */
/* VM descriptions under /chosen: what is accepted, and the reason for every refusal. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <kestrel/platform.h>
#include <kestrel/shm.h>
#include <kestrel/vmconfig.h>
#include <libfdt.h>

#include "helpers.h"

#define RAM_BASE 0x40000000ull
#define RAM_SIZE (2ull << 30)
#define MiB	 (1ull << 20)

static void *fdt;
static struct platform plat;
static struct vm_config out[VM_MAX];

static struct {
	unsigned n;
	char vm[8][VM_NAME_MAX + 16];
	char msg[8][256];
} errs;

static void record_error(const char *vm, const char *msg)
{
	assert_true(errs.n < 8);
	snprintf(errs.vm[errs.n], sizeof(errs.vm[0]), "%s", vm);
	snprintf(errs.msg[errs.n], sizeof(errs.msg[0]), "%s", msg);
	errs.n++;
}

static int setup(void **state)
{
	(void)state;
	fdt = dt_qemu_virt();
	dt_u32(fdt, "/chosen", "#address-cells", 2);
	dt_u32(fdt, "/chosen", "#size-cells", 2);
	memset(&plat, 0, sizeof(plat));
	plat.ram_base = RAM_BASE;
	plat.ram_size = RAM_SIZE;
	plat.cpu_count = 4;
	memset(out, 0xa5, sizeof(out));
	memset(&errs, 0, sizeof(errs));
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	free(fdt);
	return 0;
}

static unsigned parse(void)
{
	return vmconfig_parse(fdt, &plat, out, VM_MAX, record_error);
}

/* A kestrel,vm node; mem_cells / cpus_cells of 0 leave the property out. */
static void add_vm(const char *name, int mem_cells, uint64_t mem, int cpus_cells, uint32_t cpus)
{
	char path[128];

	snprintf(path, sizeof(path), "/chosen/%s", name);
	dt_node(fdt, path);
	dt_str(fdt, path, "compatible", "kestrel,vm");
	dt_u32(fdt, path, "#address-cells", 2);
	dt_u32(fdt, path, "#size-cells", 2);
	if (mem_cells == 1) {
		dt_u32(fdt, path, "memory", (uint32_t)mem);
	} else if (mem_cells >= 2) {
		uint32_t cells[3] = {(uint32_t)(mem >> 32), (uint32_t)mem, 0};
		dt_cells(fdt, path, "memory", cells, mem_cells);
	}
	if (cpus_cells) {
		uint32_t cells[3] = {cpus, 0, 0};
		dt_cells(fdt, path, "cpus", cells, cpus_cells);
	}
}

/* A module@ADDR node under parent (a VM node, or /chosen for guest-loader modules). */
static void add_module(const char *parent, const char *kind, uint64_t addr, uint64_t size,
		       const char *bootargs)
{
	char path[128], compat[64];
	int len;

	snprintf(path, sizeof(path), "%s/module@%llx", parent, (unsigned long long)addr);
	dt_node(fdt, path);
	len = snprintf(compat, sizeof(compat), "multiboot,%s", kind);
	memcpy(compat + len + 1, "multiboot,module", sizeof("multiboot,module"));
	dt_bytes(fdt, path, "compatible", compat, len + 1 + (int)sizeof("multiboot,module"));
	if (size)
		dt_reg(fdt, path, addr, size);
	if (bootargs)
		dt_str(fdt, path, "bootargs", bootargs);
}

static void add_good_vm(const char *name)
{
	char path[64];

	add_vm(name, 2, 64 * MiB, 1, 1);
	snprintf(path, sizeof(path), "/chosen/%s", name);
	add_module(path, "kernel", 0x49000000, 0x200000, NULL);
}

static void expect_error(unsigned i, const char *vm, const char *part1, const char *part2)
{
	assert_true(i < errs.n);
	assert_string_equal(errs.vm[i], vm);
	if (!strstr(errs.msg[i], part1) || (part2 && !strstr(errs.msg[i], part2)))
		fail_msg("message \"%s\" lacks \"%s\" / \"%s\"", errs.msg[i], part1,
			 part2 ? part2 : "");
}

/* --- accepted descriptions --- */

static void vm_with_memory_cpus_and_modules_is_parsed(void **state)
{
	(void)state;
	add_vm("linux", 2, 0x100000000ull / 8, 1, 2);
	add_module("/chosen/linux", "ramdisk", 0x4a000000, 0x123000, NULL);
	add_module("/chosen/linux", "kernel", 0x49000000, 0x1a00000, "console=ttyAMA0 quiet");
	assert_int_equal(parse(), 1);
	assert_int_equal(errs.n, 0);
	assert_string_equal(out[0].name, "linux");
	assert_int_equal(out[0].mem_size, 512 * MiB);
	assert_int_equal(out[0].vcpus, 2);
	assert_int_equal(out[0].kernel_pa, 0x49000000);
	assert_int_equal(out[0].kernel_size, 0x1a00000);
	assert_int_equal(out[0].initrd_pa, 0x4a000000);
	assert_int_equal(out[0].initrd_size, 0x123000);
	assert_non_null(out[0].bootargs);
	assert_string_equal(out[0].bootargs, "console=ttyAMA0 quiet");
	/* bootargs point into the tree itself: kestrel keeps the tree. */
	assert_true(out[0].bootargs > (const char *)fdt &&
		    out[0].bootargs < (const char *)fdt + fdt_totalsize(fdt));
}

static void absent_memory_and_cpus_take_the_defaults(void **state)
{
	(void)state;
	add_vm("small", 0, 0, 0, 0);
	add_module("/chosen/small", "kernel", 0x49000000, 0x1000, NULL);
	assert_int_equal(parse(), 1);
	assert_int_equal(out[0].mem_size, VM_MEM_DEFAULT);
	assert_int_equal(out[0].vcpus, 1);
	assert_null(out[0].bootargs);
	assert_int_equal(out[0].initrd_size, 0);
}

/* sve-vector-length: the VM's length in bits; without it 0, the CPU's longest (vm_build.c). */
static void an_sve_length_is_taken_in_bits(void **state)
{
	uint32_t bits = 384;

	(void)state;
	add_good_vm("a");
	add_good_vm("b");
	dt_cells(fdt, "/chosen/b", "sve-vector-length", &bits, 1);
	assert_int_equal(parse(), 2);
	for (unsigned i = 0; i < 2; i++)
		assert_int_equal(out[i].sve_bits, strcmp(out[i].name, "b") ? 0 : 384);
}

static void memory_may_be_one_cell(void **state)
{
	(void)state;
	add_vm("one", 1, 32 * MiB, 1, 4);
	add_module("/chosen/one", "kernel", 0x49000000, 0x1000, NULL);
	assert_int_equal(parse(), 1);
	assert_int_equal(out[0].mem_size, 32 * MiB);
	assert_int_equal(out[0].vcpus, 4);
}

static void vms_keep_their_tree_order(void **state)
{
	(void)state;
	add_good_vm("third");
	add_good_vm("second");
	add_good_vm("first");
	assert_int_equal(parse(), 3);
	assert_string_equal(out[0].name, "first");
	assert_string_equal(out[1].name, "second");
	assert_string_equal(out[2].name, "third");
}

static void other_modules_and_nodes_are_ignored(void **state)
{
	(void)state;
	add_vm("vm", 0, 0, 0, 0);
	add_module("/chosen/vm", "device-tree", 0x60000000, 0x1000, NULL);
	add_module("/chosen/vm", "kernel", 0x49000000, 0x1000, NULL);
	dt_node(fdt, "/chosen/vm/notes");
	dt_node(fdt, "/chosen/not-a-vm");
	dt_str(fdt, "/chosen/not-a-vm", "compatible", "vendor,thing");
	assert_int_equal(parse(), 1);
	assert_int_equal(errs.n, 0);
	assert_string_equal(out[0].name, "vm");
	assert_int_equal(out[0].kernel_pa, 0x49000000);
}

/* --- refusals: each names the VM and the property, and the next VM still parses --- */

struct refusal {
	const char *what;
	void (*make_bad)(void); /* describes VM "bad" */
	const char *part1, *part2;
};

static void bad_memory_not_2m_multiple(void)
{
	add_vm("bad", 2, 17 * MiB, 0, 0);
}

static void bad_memory_too_small(void)
{
	add_vm("bad", 2, 8 * MiB, 0, 0);
}

static void bad_memory_three_cells(void)
{
	add_vm("bad", 3, 64 * MiB, 0, 0);
}

static void bad_memory_more_than_ram(void)
{
	add_vm("bad", 2, RAM_SIZE + SZ_2M, 0, 0);
}

static void bad_cpus_too_many(void)
{
	add_vm("bad", 0, 0, 1, VCPU_MAX + 1);
}

static void bad_cpus_zero(void)
{
	add_vm("bad", 0, 0, 1, 0);
}

static void bad_cpus_huge(void)
{
	add_vm("bad", 0, 0, 1, 0xffffffff);
}

static void bad_affinity_missing_cpu(void)
{
	uint32_t cpus[2] = {0, 5};

	add_vm("bad", 0, 0, 1, 2);
	dt_cells(fdt, "/chosen/bad", "cpu-affinity", cpus, 2);
}

static void bad_affinity_length(void)
{
	uint32_t cpus[1] = {0};

	add_vm("bad", 0, 0, 1, 2);
	dt_cells(fdt, "/chosen/bad", "cpu-affinity", cpus, 1);
}

static void bad_cpus_three_cells(void)
{
	add_vm("bad", 0, 0, 3, 1);
}

static void bad_sve_length(uint32_t bits)
{
	add_good_vm("bad");
	dt_cells(fdt, "/chosen/bad", "sve-vector-length", &bits, 1);
}

static void bad_sve_not_a_multiple(void)
{
	bad_sve_length(200);
}

static void bad_sve_too_long(void)
{
	bad_sve_length(4096);
}

static void bad_sve_zero(void)
{
	bad_sve_length(0);
}

static void bad_no_kernel(void)
{
	add_vm("bad", 0, 0, 0, 0);
	add_module("/chosen/bad", "ramdisk", 0x4a000000, 0x1000, NULL);
}

static void bad_kernel_below_ram(void)
{
	add_vm("bad", 0, 0, 0, 0);
	add_module("/chosen/bad", "kernel", 0x10000000, 0x1000, NULL);
}

static void bad_kernel_past_the_end_of_ram(void)
{
	add_vm("bad", 0, 0, 0, 0);
	add_module("/chosen/bad", "kernel", RAM_BASE + RAM_SIZE - 0x1000, 0x2000, NULL);
}

static void bad_ramdisk_outside_ram(void)
{
	add_vm("bad", 0, 0, 0, 0);
	add_module("/chosen/bad", "kernel", 0x49000000, 0x1000, NULL);
	add_module("/chosen/bad", "ramdisk", 0x100000000ull + RAM_SIZE, 0x1000, NULL);
}

static void bad_kernel_without_reg(void)
{
	add_vm("bad", 0, 0, 0, 0);
	add_module("/chosen/bad", "kernel", 0x49000000, 0, NULL);
}

static void bad_two_kernels(void)
{
	add_vm("bad", 0, 0, 0, 0);
	add_module("/chosen/bad", "kernel", 0x49000000, 0x1000, NULL);
	add_module("/chosen/bad", "kernel", 0x4a000000, 0x1000, NULL);
}

static void bad_two_ramdisks(void)
{
	add_vm("bad", 0, 0, 0, 0);
	add_module("/chosen/bad", "kernel", 0x49000000, 0x1000, NULL);
	add_module("/chosen/bad", "ramdisk", 0x4a000000, 0x1000, NULL);
	add_module("/chosen/bad", "ramdisk", 0x4b000000, 0x1000, NULL);
}

static void bad_vm_at(uint64_t base, bool direct)
{
	const uint32_t cells[2] = {(uint32_t)(base >> 32), (uint32_t)base};

	add_vm("bad", 2, 64 * MiB, 0, 0);
	dt_cells(fdt, "/chosen/bad", "memory-base", cells, 2);
	if (direct)
		dt_bytes(fdt, "/chosen/bad", "direct-map", NULL, 0);
}

static void bad_base_in_the_device_window(void)
{
	bad_vm_at(0x20000000, false);
}

static void bad_base_unaligned(void)
{
	bad_vm_at(0x80100000, false);
}

static void bad_base_ending_beyond_1_tib(void)
{
	bad_vm_at((1ull << 40) - 32 * MiB, false);
}

static void bad_base_wrapping(void)
{
	bad_vm_at(0xffffffffffe00000ull, false);
}

static void bad_direct_map_outside_ram(void)
{
	bad_vm_at(RAM_BASE + RAM_SIZE - 32 * MiB, true);
}

static const struct refusal refusals[] = {
    {"memory not a 2 MiB multiple", bad_memory_not_2m_multiple, "property 'memory'", "2 MiB"},
    {"memory under 16 MiB", bad_memory_too_small, "property 'memory'", "16 MiB"},
    {"memory of 3 cells", bad_memory_three_cells, "property 'memory'", "two cells"},
    {"memory beyond RAM", bad_memory_more_than_ram, "property 'memory'", "2048 MiB"},
    {"9 vCPUs", bad_cpus_too_many, "property 'cpus'", "1..8"},
    {"0 vCPUs", bad_cpus_zero, "property 'cpus'", "1..8"},
    {"2^32-1 vCPUs", bad_cpus_huge, "property 'cpus'", "1..8"},
    {"vCPU pinned to a missing CPU", bad_affinity_missing_cpu, "property 'cpu-affinity'",
     "CPU 5 but the machine has 4 CPUs"},
    {"affinity list too short", bad_affinity_length, "property 'cpu-affinity'", "1 entries for 2"},
    {"cpus of 3 cells", bad_cpus_three_cells, "property 'cpus'", "one cell"},
    {"SVE length not a multiple of 128", bad_sve_not_a_multiple, "property 'sve-vector-length'",
     "200 bits is not a multiple of 128 up to 2048"},
    {"SVE length over 2048", bad_sve_too_long, "property 'sve-vector-length'", "4096 bits"},
    {"SVE length 0", bad_sve_zero, "property 'sve-vector-length'", "0 bits"},
    {"no kernel", bad_no_kernel, "property 'kernel': no kernel", "multiboot,kernel"},
    {"kernel below RAM", bad_kernel_below_ram, "property 'reg'", "outside RAM"},
    {"kernel past RAM", bad_kernel_past_the_end_of_ram, "module 'module@", "outside RAM"},
    {"ramdisk outside RAM", bad_ramdisk_outside_ram, "property 'reg'", "outside RAM"},
    {"kernel without reg", bad_kernel_without_reg, "property 'reg'", "missing"},
    {"two kernels", bad_two_kernels, "more than one multiboot,kernel", NULL},
    {"two ramdisks", bad_two_ramdisks, "more than one multiboot,ramdisk", NULL},
    {"memory-base below 0x40000000", bad_base_in_the_device_window, "property 'memory-base'",
     "0x20000000 is in the guest's device window"},
    {"memory-base not 2 MiB aligned", bad_base_unaligned, "property 'memory-base'",
     "0x80100000 is not 2 MiB aligned"},
    {"memory ending beyond 1 TiB", bad_base_ending_beyond_1_tib, "property 'memory-base'",
     "beyond 1 TiB"},
    {"memory wrapping the address space", bad_base_wrapping, "property 'memory-base'",
     "beyond 1 TiB"},
    {"direct-map outside RAM", bad_direct_map_outside_ram, "property 'memory-base'",
     "must lie in the machine's RAM 0x40000000-0xc0000000"},
};

static void every_refusal_names_the_property_and_spares_the_next_vm(void **state)
{
	(void)state;
	for (unsigned i = 0; i < ARRAY_SIZE(refusals); i++) {
		free(fdt);
		setup(NULL);
		add_good_vm("good"); /* added first, so it comes after "bad" */
		refusals[i].make_bad();
		unsigned n = parse();
		if (n != 1 || errs.n != 1)
			fail_msg("%s: %u VMs and %u errors", refusals[i].what, n, errs.n);
		assert_string_equal(out[0].name, "good");
		assert_int_equal(out[0].mem_size, 64 * MiB);
		expect_error(0, "bad", refusals[i].part1, refusals[i].part2);
	}
}

static void long_names_are_refused(void **state)
{
	char name[VM_NAME_MAX + 1];

	(void)state;
	memset(name, 'n', VM_NAME_MAX);
	name[VM_NAME_MAX] = '\0';
	add_good_vm(name); /* 32 characters: one too many */
	name[VM_NAME_MAX - 1] = '\0';
	add_good_vm(name); /* 31: fits */
	assert_int_equal(parse(), 1);
	assert_int_equal(strlen(out[0].name), VM_NAME_MAX - 1);
	assert_int_equal(errs.n, 1);
	assert_non_null(strstr(errs.msg[0], "must be 1..31 letters"));
}

/* One rule for a VM's name, here and in ./kestrel (which runs this code on the host). */
static void names_of_letters_digits_dash_underscore_only(void **state)
{
	(void)state;
	add_good_vm("Vm_2-b");
	add_good_vm("9lives");
	add_good_vm("vm@1");
	add_good_vm("a.b");
	assert_int_equal(parse(), 1);
	assert_string_equal(out[0].name, "Vm_2-b");
	assert_int_equal(errs.n, 3);
	expect_error(0, "a.b",
		     "the node name must be 1..31 letters, digits, '-' or '_', starting "
		     "with a letter (it is the VM's name)",
		     NULL);
	expect_error(1, "vm@1", "the node name must be", NULL);
	expect_error(2, "9lives", "the node name must be", NULL);
	assert_true(vmconfig_name_ok("a"));
	assert_false(vmconfig_name_ok(""));
	assert_false(vmconfig_name_ok("-a"));
}

/* Two nodes with the same name: only the sequential-write API makes such a tree. */
static void duplicate_names_are_refused(void **state)
{
	static const char compat[] = "multiboot,kernel\0multiboot,module";
	const fdt32_t cells2 = cpu_to_fdt32(2);
	const fdt32_t reg[4] = {0, cpu_to_fdt32(0x49000000), 0, cpu_to_fdt32(0x1000)};
	void *dup = malloc(DT_SIZE);

	(void)state;
	assert_non_null(dup);
	assert_int_equal(fdt_create(dup, DT_SIZE), 0);
	assert_int_equal(fdt_finish_reservemap(dup), 0);
	assert_int_equal(fdt_begin_node(dup, ""), 0);
	assert_int_equal(fdt_begin_node(dup, "chosen"), 0);
	for (int i = 0; i < 2; i++) {
		assert_int_equal(fdt_begin_node(dup, "twin"), 0);
		assert_int_equal(fdt_property_string(dup, "compatible", "kestrel,vm"), 0);
		assert_int_equal(fdt_property(dup, "#address-cells", &cells2, 4), 0);
		assert_int_equal(fdt_property(dup, "#size-cells", &cells2, 4), 0);
		assert_int_equal(fdt_begin_node(dup, "module@49000000"), 0);
		assert_int_equal(fdt_property(dup, "compatible", compat, sizeof(compat)), 0);
		assert_int_equal(fdt_property(dup, "reg", reg, sizeof(reg)), 0);
		assert_int_equal(fdt_end_node(dup), 0);
		assert_int_equal(fdt_end_node(dup), 0);
	}
	assert_int_equal(fdt_end_node(dup), 0);
	assert_int_equal(fdt_end_node(dup), 0);
	assert_int_equal(fdt_finish(dup), 0);

	assert_int_equal(vmconfig_parse(dup, &plat, out, VM_MAX, record_error), 1);
	assert_string_equal(out[0].name, "twin");
	assert_int_equal(errs.n, 1);
	expect_error(0, "twin", "same name", NULL);
	free(dup);
}

/* More vCPUs than CPUs is fine now (they share CPUs); cpu-affinity pins them. */
static void affinity_is_parsed_and_oversubscription_allowed(void **state)
{
	uint32_t cpus[6] = {1, 0, 3, 3, 2, 1};
	char path[64];

	(void)state;
	add_good_vm("many");
	snprintf(path, sizeof(path), "/chosen/many");
	dt_cells(fdt, path, "cpus", &(uint32_t){6}, 1);
	dt_cells(fdt, path, "cpu-affinity", cpus, 6);
	assert_int_equal(parse(), 1);
	assert_int_equal(out[0].vcpus, 6);
	assert_true(out[0].has_affinity);
	for (unsigned i = 0; i < 6; i++)
		assert_int_equal(out[0].affinity[i], cpus[i]);
}

static void vms_beyond_the_maximum_are_refused(void **state)
{
	(void)state;
	add_good_vm("c");
	add_good_vm("b");
	add_good_vm("a");
	assert_int_equal(vmconfig_parse(fdt, &plat, out, 2, record_error), 2);
	assert_string_equal(out[0].name, "a");
	assert_string_equal(out[1].name, "b");
	assert_int_equal(errs.n, 1);
	expect_error(0, "c", "at most 2 VMs", NULL);
}

/* --- QEMU guest-loader modules straight under /chosen --- */

static void loose_modules_make_one_implicit_vm(void **state)
{
	(void)state;
	add_module("/chosen", "ramdisk", 0x4a000000, 0x80000, NULL);
	add_module("/chosen", "kernel", 0x49000000, 0x400000, "root=/dev/ram");
	assert_int_equal(parse(), 1);
	assert_int_equal(errs.n, 0);
	assert_string_equal(out[0].name, "vm0");
	assert_int_equal(out[0].mem_size, VM_MEM_DEFAULT);
	assert_int_equal(out[0].vcpus, 1);
	assert_int_equal(out[0].kernel_pa, 0x49000000);
	assert_int_equal(out[0].kernel_size, 0x400000);
	assert_int_equal(out[0].initrd_pa, 0x4a000000);
	assert_int_equal(out[0].initrd_size, 0x80000);
	assert_string_equal(out[0].bootargs, "root=/dev/ram");
}

static void implicit_vm_takes_at_most_half_of_ram(void **state)
{
	(void)state;
	plat.ram_size = 256 * MiB;
	add_module("/chosen", "kernel", 0x49000000, 0x400000, NULL);
	assert_int_equal(parse(), 1);
	assert_int_equal(out[0].mem_size, 128 * MiB);
}

static void loose_modules_are_ignored_when_a_vm_is_described(void **state)
{
	(void)state;
	add_module("/chosen", "kernel", 0x4c000000, 0x400000, NULL);
	add_good_vm("explicit");
	assert_int_equal(parse(), 1);
	assert_string_equal(out[0].name, "explicit");
	assert_int_equal(out[0].kernel_pa, 0x49000000);
}

static void implicit_vm_with_a_bad_module_is_refused(void **state)
{
	(void)state;
	add_module("/chosen", "kernel", 0x30000000, 0x1000, NULL);
	assert_int_equal(parse(), 0);
	expect_error(0, "vm0", "outside RAM", NULL);
}

/* Found by fuzz_hostdt: bootargs without its NUL was accepted, and the guest DTB builder's
   strlen ran on past the property (and past the host DTB when it was its last one). */
static void bootargs_that_are_not_a_string_are_refused(void **state)
{
	(void)state;
	add_good_vm("next");
	add_vm("linux", 0, 0, 0, 0);
	add_module("/chosen/linux", "kernel", 0x49000000, 0x1000, NULL);
	dt_bytes(fdt, "/chosen/linux/module@49000000", "bootargs", "console", 7);
	assert_int_equal(parse(), 1);
	expect_error(0, "linux", "property 'bootargs'", "string");
	assert_string_equal(out[0].name, "next");
	dt_bytes(fdt, "/chosen/linux/module@49000000", "bootargs", NULL, 0);
	memset(&errs, 0, sizeof(errs));
	assert_int_equal(parse(), 1);
	expect_error(0, "linux", "property 'bootargs'", "string");
	dt_bytes(fdt, "/chosen/linux/module@49000000", "bootargs", "", 1);
	assert_int_equal(parse(), 2);
	assert_string_equal(out[0].bootargs, "");
}

/* --- edges --- */

static void no_chosen_node_means_no_vms(void **state)
{
	(void)state;
	dt_del(fdt, "/chosen");
	assert_int_equal(parse(), 0);
	assert_int_equal(errs.n, 0);
}

static void refusals_without_a_callback_are_silent(void **state)
{
	(void)state;
	add_good_vm("good");
	bad_two_kernels();
	assert_int_equal(vmconfig_parse(fdt, &plat, out, VM_MAX, NULL), 1);
	assert_string_equal(out[0].name, "good");
}

/* --- passed-through devices --- */

/* The machine's devices as QEMU's virt places them (kestrel drives the UART and the GIC). */
static void machine_devices(void)
{
	plat.uart_base = 0x9000000;
	plat.uart_size = 0x1000;
	plat.gic.dist_base = 0x8000000;
	plat.gic.dist_size = 0x10000;
	plat.gic.redist_base = 0x80a0000;
	plat.gic.redist_size = 0xf60000;
}

/* A host device at path with npairs register regions and nirq interrupt cells (0: none). */
static void add_device(const char *path, const uint64_t *regs, int npairs, const uint32_t *irqs,
		       int nirq)
{
	dt_node(fdt, path);
	dt_str(fdt, path, "compatible", "vendor,device");
	if (npairs)
		dt_regs(fdt, path, regs, npairs);
	if (nirq)
		dt_cells(fdt, path, "interrupts", irqs, nirq);
}

static void give(const char *vm, const char *path)
{
	char node[64];

	snprintf(node, sizeof(node), "/chosen/%s", vm);
	dt_str(fdt, node, "passthrough", path);
}

/* VM "bad", given the device at path. */
static void bad_vm_given(const char *path)
{
	add_vm("bad", 2, 64 * MiB, 0, 0);
	add_module("/chosen/bad", "kernel", 0x49000000, 0x1000, NULL);
	give("bad", path);
}

static const uint64_t dev_regs[] = {0xa000000, 0x200};
static const uint32_t dev_spi[] = {0, 16, 1};

static void bad_second_reg_on_the_uart(void)
{
	static const uint64_t regs[] = {0xa000000, 0x200, 0x9000800, 0x100};

	add_device("/dev@a000000", regs, 2, dev_spi, 3);
	bad_vm_given("/dev@a000000");
}

static void bad_all_of_ram(void)
{
	bad_vm_given("/memory@40000000");
}

/* RAM all the same, in a bank kestrel does not use (it uses the largest). */
static void bad_device_in_another_ram_bank(void)
{
	static const uint64_t regs[] = {0x9100000, 0x1000, 0x200100000ull, 0x1000};

	plat.ram_banks = 2;
	plat.ram_bank[0] = (struct ram_bank){0x200000000ull, 0x10000000};
	plat.ram_bank[1] = (struct ram_bank){RAM_BASE, RAM_SIZE};
	add_device("/dev@9100000", regs, 2, NULL, 0);
	bad_vm_given("/dev@9100000");
}

/* Memory the firmware reserves outside every RAM bank the tree describes. */
static void bad_device_on_reserved_memory(void)
{
	static const uint64_t regs[] = {0x9100000, 0x1000, 0x30000800, 0x100};

	plat.nreserved = 1;
	plat.reserved[0][0] = 0x30000000;
	plat.reserved[0][1] = 0x30010000;
	add_device("/dev@9100000", regs, 2, NULL, 0);
	bad_vm_given("/dev@9100000");
}

static void bad_device_on_the_guest_ram(void)
{
	static const uint64_t regs[] = {0x100000000ull, 0x1000};
	const uint32_t base[2] = {1, 0};

	add_device("/dev@100000000", regs, 1, NULL, 0);
	bad_vm_given("/dev@100000000");
	dt_cells(fdt, "/chosen/bad", "memory-base", base, 2);
}

static void bad_ppi(void)
{
	static const uint32_t irqs[] = {0, 16, 1, 1, 7, 4};

	add_device("/dev@a000000", dev_regs, 1, irqs, 6);
	bad_vm_given("/dev@a000000");
}

static void bad_doorbell_spi(void)
{
	static const uint32_t irqs[] = {0, SHM_SPI_BASE, 1};

	add_device("/dev@a000000", dev_regs, 1, irqs, 3);
	bad_vm_given("/dev@a000000");
}

/* 0xffffffe0 + 32 wraps to INTID 0, an SGI. */
static void bad_spi_wrapping_to_an_sgi(void)
{
	static const uint32_t irqs[] = {0, 0xffffffe0, 1};

	add_device("/dev@a000000", dev_regs, 1, irqs, 3);
	bad_vm_given("/dev@a000000");
}

/* The machine's console on SPI 8 (QEMU's is on SPI 1, the guest's UART's, refused as such). */
static void bad_kestrels_uart_spi(void)
{
	static const uint32_t irqs[] = {0, 16, 1, 0, 8, 4};

	plat.uart_spi = 32 + 8;
	add_device("/dev@a000000", dev_regs, 1, irqs, 6);
	bad_vm_given("/dev@a000000");
}

static void bad_interrupts_length(void)
{
	static const uint32_t irqs[] = {0, 16};

	add_device("/dev@a000000", dev_regs, 1, irqs, 2);
	bad_vm_given("/dev@a000000");
}

static void bad_interrupts_extended(void)
{
	static const uint32_t irqs[] = {0x8003, 0, 16, 1};

	add_device("/dev@a000000", dev_regs, 1, NULL, 0);
	dt_cells(fdt, "/dev@a000000", "interrupts-extended", irqs, 4);
	bad_vm_given("/dev@a000000");
}

static void bad_interrupt_map(void)
{
	static const uint32_t map[] = {0, 0, 0, 1, 0x8003, 0, 0, 0, 3, 4};

	add_device("/dev@a000000", dev_regs, 1, NULL, 0);
	dt_cells(fdt, "/dev@a000000", "interrupt-map", map, 10);
	bad_vm_given("/dev@a000000");
}

static void bad_nine_spis(void)
{
	uint32_t irqs[27];

	for (int i = 0; i < 9; i++) {
		irqs[3 * i] = 0;
		irqs[3 * i + 1] = 16 + (uint32_t)i;
		irqs[3 * i + 2] = 1;
	}
	add_device("/dev@a000000", dev_regs, 1, irqs, 27);
	bad_vm_given("/dev@a000000");
}

static void bad_inside_the_gic(void)
{
	static const uint64_t its[] = {0x8080000, 0x20000};

	dt_u32(fdt, "/intc@8000000", "#address-cells", 2);
	dt_u32(fdt, "/intc@8000000", "#size-cells", 2);
	add_device("/intc@8000000/its@8080000", its, 1, NULL, 0);
	bad_vm_given("/intc@8000000/its@8080000");
}

/* A device whose interrupts are a GPIO controller's, numbers that mean nothing to the GIC. */
static void bad_other_interrupt_parent(void)
{
	static const uint32_t irqs[] = {0, 16, 1};

	dt_node(fdt, "/gpio@9030000");
	dt_u32(fdt, "/gpio@9030000", "phandle", 0x8005);
	dt_bytes(fdt, "/gpio@9030000", "interrupt-controller", NULL, 0);
	add_device("/dev@a000000", dev_regs, 1, irqs, 3);
	dt_u32(fdt, "/dev@a000000", "interrupt-parent", 0x8005);
	bad_vm_given("/dev@a000000");
}

static const struct refusal passthrough_refusals[] = {
    {"reg[1] on kestrel's UART", bad_second_reg_on_the_uart, "kestrel uses itself", "reg[1]"},
    {"all of RAM", bad_all_of_ram, "'/memory@40000000' reg[0]", "machine's RAM"},
    {"in a RAM bank kestrel does not use", bad_device_in_another_ram_bank,
     "property 'passthrough': '/dev@9100000' reg[1] at 0x200100000 overlaps the machine's RAM",
     NULL},
    {"on reserved memory", bad_device_on_reserved_memory,
     "property 'passthrough': '/dev@9100000' reg[1] at 0x30000000 overlaps memory the device "
     "tree reserves, 0x30000000-0x30010000",
     NULL},
    {"on the guest's RAM", bad_device_on_the_guest_ram, "reg[0] at 0x100000000",
     "guest's RAM at 0x100000000"},
    {"a PPI", bad_ppi, "interrupt 1 is not an SPI (type 1)", NULL},
    {"a doorbell SPI", bad_doorbell_spi, "SPI 56", "below 56"},
    {"an SPI that wraps", bad_spi_wrapping_to_an_sgi, "SPI 4294967264", "below 56"},
    {"kestrel's UART's SPI", bad_kestrels_uart_spi,
     "property 'passthrough': '/dev@a000000' SPI 8 is kestrel's own UART's", NULL},
    {"interrupts of 2 cells", bad_interrupts_length, "'interrupts' of 8 bytes", "triples"},
    {"interrupts-extended", bad_interrupts_extended, "'interrupts-extended'", NULL},
    {"interrupt-map", bad_interrupt_map, "'interrupt-map'", "cannot forward"},
    {"9 SPIs", bad_nine_spis, "more than 8 SPIs", NULL},
    {"another interrupt parent", bad_other_interrupt_parent, "another interrupt controller",
     "only GIC SPIs"},
    {"the GIC's ITS", bad_inside_the_gic, "'/intc@8000000/its@8080000' is part of a device",
     "kestrel uses itself"},
};

static void every_passthrough_refusal_says_why(void **state)
{
	(void)state;
	for (unsigned i = 0; i < ARRAY_SIZE(passthrough_refusals); i++) {
		free(fdt);
		setup(NULL);
		machine_devices();
		add_good_vm("good"); /* added first, so it comes after "bad" */
		passthrough_refusals[i].make_bad();
		unsigned n = parse();
		if (n != 1 || errs.n != 1)
			fail_msg("%s: %u VMs and %u errors", passthrough_refusals[i].what, n,
				 errs.n);
		assert_string_equal(out[0].name, "good");
		expect_error(0, "bad", "property 'passthrough'", NULL);
		expect_error(0, "bad", passthrough_refusals[i].part1,
			     passthrough_refusals[i].part2);
	}
}

static void passed_through_spis_are_listed_once_as_intids(void **state)
{
	static const uint32_t a_irqs[] = {0, 16, 1, 0, 17, 4};
	static const uint32_t b_irqs[] = {0, 17, 4};
	static const uint64_t b_regs[] = {0xa000200, 0x200};

	(void)state;
	machine_devices();
	add_device("/dev@a000200", b_regs, 1, b_irqs, 3);
	add_device("/dev@a000000", dev_regs, 1, a_irqs, 6);
	add_good_vm("vm");
	DT_STRS(fdt, "/chosen/vm", "passthrough", "/dev@a000000\0/dev@a000200");
	assert_int_equal(parse(), 1);
	assert_int_equal(errs.n, 0);
	assert_int_equal(out[0].npassthrough, 2);
	assert_int_equal(out[0].nspis, 2);
	assert_int_equal(out[0].spi_intids[0], 48);
	assert_int_equal(out[0].spi_intids[1], 49);
}

/*
 * On a machine laid out unlike QEMU's virt (here its UART and GIC elsewhere), devices can sit
 * where every guest sees its emulated GIC and UART: mapped there, they would hide them.
 */
static void devices_where_the_guest_sees_its_own_are_refused(void **state)
{
	static const uint64_t gicd[] = {0x8000000, 0x1000};
	static const uint64_t gicr[] = {0xa000000, 0x1000, 0x80c0000, 0x1000};
	static const uint64_t uart[] = {0x9000000, 0x1000};
	static const uint64_t after[] = {0x80e0000, 0x1000};

	(void)state;
	plat.uart_base = 0x1c090000;
	plat.uart_size = 0x1000;
	plat.gic.dist_base = 0x2f000000;
	plat.gic.dist_size = 0x10000;
	plat.gic.redist_base = 0x2f100000;
	plat.gic.redist_size = 0x100000;
	add_device("/dev@80e0000", after, 1, NULL, 0);
	add_device("/dev@9000000", uart, 1, NULL, 0);
	add_device("/dev@a000000", gicr, 2, NULL, 0);
	add_device("/dev@8000000", gicd, 1, NULL, 0);
	add_good_vm("ok");
	add_good_vm("c");
	add_good_vm("b");
	add_good_vm("a");
	dt_u32(fdt, "/chosen/b", "cpus", 2);
	dt_u32(fdt, "/chosen/ok", "cpus", 2);
	give("a", "/dev@8000000");
	give("b", "/dev@a000000");
	give("c", "/dev@9000000");
	give("ok", "/dev@80e0000"); /* just after the redistributors of its 2 vCPUs */
	assert_int_equal(parse(), 1);
	assert_string_equal(out[0].name, "ok");
	assert_int_equal(errs.n, 3);
	assert_string_equal(errs.vm[0], "a");
	assert_string_equal(
	    errs.msg[0], "property 'passthrough': '/dev@8000000' reg[0] at 0x8000000 is where the "
			 "guest sees its own GIC distributor, 0x8000000-0x8010000");
	assert_string_equal(errs.vm[1], "b");
	assert_string_equal(
	    errs.msg[1], "property 'passthrough': '/dev@a000000' reg[1] at 0x80c0000 is where the "
			 "guest sees its own GIC redistributors, 0x80a0000-0x80e0000");
	assert_string_equal(errs.vm[2], "c");
	assert_string_equal(
	    errs.msg[2], "property 'passthrough': '/dev@9000000' reg[0] at 0x9000000 is where the "
			 "guest sees its own UART, 0x9000000-0x9001000");
}

/* "second" comes after "first": what first holds is refused to second. */
static void two_vms(void)
{
	add_good_vm("second");
	add_good_vm("first");
}

static void a_shared_spi_is_refused_to_the_second_vm(void **state)
{
	static const uint64_t b_regs[] = {0xa001000, 0x200};

	(void)state;
	machine_devices();
	add_device("/dev@a001000", b_regs, 1, dev_spi, 3);
	add_device("/dev@a000000", dev_regs, 1, dev_spi, 3);
	two_vms();
	give("first", "/dev@a000000");
	give("second", "/dev@a001000");
	assert_int_equal(parse(), 1);
	assert_string_equal(out[0].name, "first");
	expect_error(0, "second", "'/dev@a001000' SPI 16 is already given to VM 'first'", NULL);
}

/* kestrel maps whole pages: two VMs' devices in one page would each reach the other's. */
static void devices_of_two_vms_in_one_page_are_refused(void **state)
{
	static const uint64_t b_regs[] = {0xa000200, 0x200};
	static const uint32_t b_spi[] = {0, 17, 1};
	static const uint64_t c_regs[] = {0xa002000, 0x1000, 0xa000f00, 0x10};
	static const uint32_t c_spi[] = {0, 18, 1};

	(void)state;
	machine_devices();
	add_device("/dev@a002000", c_regs, 2, c_spi, 3);
	add_device("/dev@a000200", b_regs, 1, b_spi, 3);
	add_device("/dev@a000000", dev_regs, 1, dev_spi, 3);
	add_good_vm("third");
	two_vms();
	give("first", "/dev@a000000");
	give("second", "/dev@a000200");
	give("third", "/dev@a002000");
	assert_int_equal(parse(), 1);
	assert_string_equal(out[0].name, "first");
	assert_int_equal(errs.n, 2);
	assert_string_equal(errs.vm[0], "second");
	assert_string_equal(errs.msg[0],
			    "property 'passthrough': '/dev@a000200' reg[0] shares the "
			    "4 KiB page at 0xa000000 with '/dev@a000000' of VM 'first'");
	assert_string_equal(errs.msg[1],
			    "property 'passthrough': '/dev@a002000' reg[1] shares the "
			    "4 KiB page at 0xa000000 with '/dev@a000000' of VM 'first'");
	assert_string_equal(errs.vm[1], "third");
}

static void a_node_above_or_below_another_vms_is_refused(void **state)
{
	static const uint64_t bus[] = {0xa000000, 0x1000};
	static const uint64_t child[] = {0xa000800, 0x100};

	(void)state;
	machine_devices();
	add_device("/bus@a000000", bus, 1, NULL, 0);
	dt_u32(fdt, "/bus@a000000", "#address-cells", 2);
	dt_u32(fdt, "/bus@a000000", "#size-cells", 2);
	add_device("/bus@a000000/dev@a000800", child, 1, NULL, 0);
	add_good_vm("third");
	two_vms();
	give("first", "/bus@a000000/dev@a000800");
	give("second", "/bus@a000000");
	give("third", "/bus@a000000/dev@a000800");
	assert_int_equal(parse(), 1);
	expect_error(0, "second", "'/bus@a000000' is already given to VM 'first'",
		     "above or below");
	expect_error(1, "third", "'/bus@a000000/dev@a000800' is already given to VM 'first'", NULL);
}

/* --- virtio devices --- */

static void add_child(const char *vm, const char *name, const char *compatible)
{
	char path[128];

	snprintf(path, sizeof(path), "/chosen/%s/%s", vm, name);
	dt_node(fdt, path);
	dt_str(fdt, path, "compatible", compatible);
}

static void a_virtio_console_takes_slot_0(void **state)
{
	(void)state;
	add_good_vm("vm");
	add_child("vm", "cons", "kestrel,virtio-console");
	add_child("vm", "other", "vendor,something"); /* not kestrel's business */
	assert_int_equal(parse(), 1);
	assert_int_equal(errs.n, 0);
	assert_int_equal(out[0].nvirtio, 1);
	assert_int_equal(out[0].virtio[0].type, VM_VIRTIO_CONSOLE);
	assert_string_equal(out[0].virtio[0].node, "cons");
}

static void bad_two_consoles(void)
{
	add_good_vm("bad");
	add_child("bad", "cons", "kestrel,virtio-console");
	add_child("bad", "hvc1", "kestrel,virtio-console");
}

/* A virtio-net port of vm on switch sw (NULL: no 'switch'), with mac (NULL: none) of len. */
static void add_net(const char *vm, const char *name, const char *sw, const uint8_t *mac, int len)
{
	char path[128];

	add_child(vm, name, "kestrel,virtio-net");
	snprintf(path, sizeof(path), "/chosen/%s/%s", vm, name);
	if (sw)
		dt_str(fdt, path, "switch", sw);
	if (mac)
		dt_bytes(fdt, path, "mac", mac, len);
}

static const uint8_t mac_a[] = {0x02, 0, 0, 0, 0, 0x0a};

static void bad_net_without_switch(void)
{
	add_good_vm("bad");
	add_net("bad", "net0", NULL, NULL, 0);
}

static void bad_net_switch_name(void)
{
	add_good_vm("bad");
	add_net("bad", "net0", "lan 0", NULL, 0);
}

static void bad_net_long_switch_name(void)
{
	add_good_vm("bad");
	add_net("bad", "net0", "a-switch-name-of-16", NULL, 0);
}

static void bad_net_mac_length(void)
{
	add_good_vm("bad");
	add_net("bad", "net0", "lan0", mac_a, 5);
}

static void bad_net_multicast_mac(void)
{
	static const uint8_t mac[] = {0x03, 0, 0, 0, 0, 1};

	add_good_vm("bad");
	add_net("bad", "net0", "lan0", mac, 6);
}

static void bad_net_zero_mac(void)
{
	static const uint8_t mac[6];

	add_good_vm("bad");
	add_net("bad", "net0", "lan0", mac, 6);
}

static void bad_net_mac_twice_in_a_vm(void)
{
	add_good_vm("bad");
	add_net("bad", "net0", "lan0", mac_a, 6);
	add_net("bad", "net1", "lan0", mac_a, 6);
}

static void bad_five_net_ports(void)
{
	static const char *const names[] = {"n0", "n1", "n2", "n3", "n4"};

	add_good_vm("bad");
	for (unsigned i = 0; i < ARRAY_SIZE(names); i++)
		add_net("bad", names[i], "lan0", NULL, 0);
}

static void add_disk(const char *vm, const char *name, const char *image, bool read_only)
{
	char path[128];

	add_child(vm, name, "kestrel,virtio-blk");
	snprintf(path, sizeof(path), "/chosen/%s/%s", vm, name);
	if (image)
		dt_str(fdt, path, "image", image);
	if (read_only)
		dt_bytes(fdt, path, "read-only", "", 0);
}

static void disks_take_slots_in_node_order(void **state)
{
	(void)state;
	/* New nodes go first: the children are added last to first. */
	add_good_vm("vm");
	add_disk("vm", "disk1", "/img/b.img", true);
	add_child("vm", "cons", "kestrel,virtio-console");
	add_disk("vm", "disk0", "/img/a.img", false);
	add_good_vm("other"); /* another VM may read b.img too: no one writes it */
	add_disk("other", "d", "/img/b.img", true);
	assert_int_equal(parse(), 2);
	assert_int_equal(errs.n, 0);
	assert_string_equal(out[0].name, "other");
	memmove(&out[0], &out[1], sizeof(out[0]));
	assert_int_equal(out[0].nvirtio, 3);
	assert_int_equal(out[0].virtio[0].type, VM_VIRTIO_BLK);
	assert_string_equal(out[0].virtio[0].image, "/img/a.img");
	assert_false(out[0].virtio[0].read_only);
	assert_int_equal(out[0].virtio[1].type, VM_VIRTIO_CONSOLE);
	assert_int_equal(out[0].virtio[2].type, VM_VIRTIO_BLK);
	assert_true(out[0].virtio[2].read_only);
	assert_string_equal(out[0].virtio[2].node, "disk1");
}

/* The VM parsed second (the first in tree order, the last added) is the one refused. */
static void an_image_one_vm_writes_is_refused_to_the_next(void **state)
{
	(void)state;
	add_good_vm("second");
	add_disk("second", "disk0", "/img/a.img", true);
	add_good_vm("first");
	add_disk("first", "disk0", "/img/a.img", false);
	assert_int_equal(parse(), 1);
	assert_string_equal(out[0].name, "first");
	expect_error(0, "second",
		     "node 'disk0': image '/img/a.img' is VM 'first''s node 'disk0' too",
		     "one of them writes it");
}

static void bad_disk_without_image(void)
{
	add_good_vm("bad");
	add_disk("bad", "disk0", NULL, false);
}

static void bad_disk_two_images(void)
{
	static const char two[] = "a.img\0b.img";

	add_good_vm("bad");
	add_disk("bad", "disk0", NULL, false);
	DT_STRS(fdt, "/chosen/bad/disk0", "image", two);
}

static void bad_disk_serial_too_long(void)
{
	add_good_vm("bad");
	add_disk("bad", "a-disk-with-a-long-name", "/img/a.img", false);
}

static void bad_disk_written_twice_in_one_vm(void)
{
	add_good_vm("bad");
	add_disk("bad", "disk0", "/img/a.img", true);
	add_disk("bad", "disk1", "/img/a.img", false); /* parsed first */
}

/* d0, added first, is parsed last: the fifth. */
static void bad_five_devices(void)
{
	static const char *names[] = {"d0", "d1", "d2", "d3", "d4"};

	add_good_vm("bad");
	for (unsigned i = 0; i < ARRAY_SIZE(names); i++)
		add_disk("bad", names[i], "/img/shared.img", true);
}

/* QEMU's own virtio-mmio transport at 0x0a000000, on SPI 16, passed through. */
static void bad_passthrough_in_the_window(void)
{
	machine_devices();
	add_device("/dev@a000000", dev_regs, 1, dev_spi, 3);
	bad_vm_given("/dev@a000000");
	add_child("bad", "cons", "kestrel,virtio-console");
}

/* A device elsewhere whose SPI is slot 0's. */
static void bad_passthrough_on_slot_0s_spi(void)
{
	static const uint64_t regs[] = {0x9030000, 0x1000};

	machine_devices();
	add_device("/dev@9030000", regs, 1, dev_spi, 3);
	bad_vm_given("/dev@9030000");
	add_child("bad", "cons", "kestrel,virtio-console");
}

static const struct refusal virtio_refusals[] = {
    {"two consoles", bad_two_consoles, "a second kestrel,virtio-console", "is the VM's console"},
    {"a disk without an image", bad_disk_without_image, "node 'disk0': property 'image'",
     "must be one string"},
    {"a disk with two images", bad_disk_two_images, "node 'disk0': property 'image'",
     "must be one string"},
    {"a disk's serial too long", bad_disk_serial_too_long,
     "'bad/a-disk-with-a-long-name' is longer than 20", "shorten"},
    {"an image written twice in one VM", bad_disk_written_twice_in_one_vm,
     "node 'disk0': image '/img/a.img' is VM 'bad''s node 'disk1' too", "one of them writes it"},
    {"five virtio devices", bad_five_devices, "node 'd0'", "more than 4 virtio devices"},
    {"net without switch", bad_net_without_switch,
     "node 'net0': property 'switch' must be the switch's name, 1..15 letters", NULL},
    {"net switch name", bad_net_switch_name, "node 'net0': property 'switch' must be", NULL},
    {"net long switch name", bad_net_long_switch_name, "node 'net0': property 'switch'", NULL},
    {"net mac length", bad_net_mac_length, "node 'net0': property 'mac' must be 6 bytes", NULL},
    {"net multicast mac", bad_net_multicast_mac,
     "node 'net0': property 'mac': 03:00:00:00:00:01 is not a unicast address", NULL},
    {"net zero mac", bad_net_zero_mac,
     "node 'net0': property 'mac': 00:00:00:00:00:00 is not a unicast address", NULL},
    {"net mac twice in a VM", bad_net_mac_twice_in_a_vm,
     "node 'net0': MAC 02:00:00:00:00:0a is already node 'net1''s on switch 'lan0'", NULL},
    {"five net ports", bad_five_net_ports, "node 'n0': more than 4 virtio devices", NULL},
    {"a passed-through device in the window", bad_passthrough_in_the_window,
     "property 'passthrough': 'dev@a000000' reg[0] at 0xa000000 is on the virtio-mmio slots "
     "0xa000000-0xa001000 of the VM's own devices",
     "(node 'cons')"},
    {"a passed-through device on slot 0's SPI", bad_passthrough_on_slot_0s_spi,
     "node 'cons': its virtio-mmio slot 0 has SPI 16", "passed-through device"},
};

static void every_virtio_refusal_says_why(void **state)
{
	(void)state;
	for (unsigned i = 0; i < ARRAY_SIZE(virtio_refusals); i++) {
		free(fdt);
		setup(NULL);
		add_good_vm("good");
		virtio_refusals[i].make_bad();
		unsigned n = parse();
		if (n != 1 || errs.n != 1)
			fail_msg("%s: %u VMs and %u errors", virtio_refusals[i].what, n, errs.n);
		assert_string_equal(out[0].name, "good");
		expect_error(0, "bad", virtio_refusals[i].part1, virtio_refusals[i].part2);
	}
}

/* Nodes are parsed in the tree's order: the one added last comes first and keeps its MAC. */
static void a_mac_another_vm_has_on_the_switch_is_refused(void **state)
{
	(void)state;
	add_good_vm("vm1");
	add_net("vm1", "net0", "lan0", mac_a, 6);
	add_good_vm("vm2");
	add_net("vm2", "eth", "lan0", mac_a, 6);
	assert_int_equal(parse(), 1);
	assert_string_equal(out[0].name, "vm2");
	expect_error(0, "vm1",
		     "node 'net0': MAC 02:00:00:00:00:0a is already VM 'vm2''s (node 'eth') on "
		     "switch 'lan0'",
		     NULL);
}

/* Ports take the next slots (the helpers add a node before its siblings: the last added is
   slot 0); the MAC is the configuration's or derived, the same each time,
   different for another VM or node; the same MAC on two switches is fine. */
static void virtio_net_ports_get_slots_and_macs(void **state)
{
	const struct vm_virtio *v;

	(void)state;
	add_good_vm("vm");
	add_child("vm", "cons", "kestrel,virtio-console");
	add_net("vm", "net0", "lan0", NULL, 0);
	add_net("vm", "net1", "lan1", mac_a, 6);
	add_good_vm("other");
	add_net("other", "net0", "lan0", NULL, 0);
	add_net("other", "net1", "dmz", mac_a, 6);
	assert_int_equal(parse(), 2);
	assert_int_equal(errs.n, 0);
	assert_string_equal(out[1].name, "vm"); /* added first, parsed last */
	assert_int_equal(out[1].nvirtio, 3);
	v = out[1].virtio;
	assert_int_equal(v[1].type, VM_VIRTIO_NET);
	assert_string_equal(v[1].node, "net0");
	assert_string_equal(v[1].switch_name, "lan0");
	assert_int_equal(v[1].mac[0], 0x02); /* locally administered, unicast */
	assert_int_equal(v[1].mac[5], 1);    /* its slot */
	assert_memory_equal(v[0].mac, mac_a, 6);
	assert_string_equal(v[0].switch_name, "lan1");
	assert_int_equal(v[2].type, VM_VIRTIO_CONSOLE);
	assert_memory_not_equal(out[0].virtio[1].mac, v[1].mac, 6);
	assert_int_equal(out[0].virtio[1].mac[0], 0x02);
	assert_int_equal(out[0].virtio[1].mac[5], 1);
	/* derived from the names alone: the same configuration gives the same MACs */
	uint8_t first[6];
	memcpy(first, v[1].mac, 6);
	assert_int_equal(parse(), 2);
	assert_memory_equal(out[1].virtio[1].mac, first, 6);
}

/* The same device without a virtio device of kestrel's is fine. */
static void passthrough_in_the_window_without_virtio(void **state)
{
	(void)state;
	machine_devices();
	add_device("/dev@a000000", dev_regs, 1, dev_spi, 3);
	add_good_vm("vm");
	give("vm", "/dev@a000000");
	assert_int_equal(parse(), 1);
	assert_int_equal(errs.n, 0);
	assert_int_equal(out[0].nvirtio, 0);
}

/* A router: QEMU's NIC in the window's third page (slot 16, as ./kestrel --nic puts it)
   passed through beside the VM's own port in slot 0, which bridges; the bridge is the port's
   alone. */
static void a_router_has_the_machines_nic_beside_its_own_port(void **state)
{
	static const uint64_t nic_regs[] = {0xa002000, 0x200};
	static const uint32_t nic_spi[] = {0, 32, 1};

	(void)state;
	machine_devices();
	add_device("/virtio_mmio@a002000", nic_regs, 1, nic_spi, 3);
	add_good_vm("router");
	give("router", "/virtio_mmio@a002000");
	add_net("router", "lan", "lan0", NULL, 0);
	dt_bytes(fdt, "/chosen/router/lan", "bridge", NULL, 0);
	add_good_vm("client");
	add_net("client", "net0", "lan0", NULL, 0);
	assert_int_equal(parse(), 2);
	assert_int_equal(errs.n, 0);
	assert_string_equal(out[1].name, "router");
	assert_true(out[1].virtio[0].bridge);
	assert_false(out[0].virtio[0].bridge);
}

/* --- shared memory regions --- */

static void add_shm(const char *name, uint64_t size)
{
	char path[64];
	const uint32_t cells[2] = {(uint32_t)(size >> 32), (uint32_t)size};

	snprintf(path, sizeof(path), "/chosen/%s", name);
	dt_node(fdt, path);
	dt_str(fdt, path, "compatible", "kestrel,shared-memory");
	dt_cells(fdt, path, "size", cells, 2);
	DT_STRS(fdt, path, "vms", "a\0b");
}

/* Found by fuzz_hostdt: a size that wrapped the placement counter was accepted, and the next
   region was placed below the shared window, among the guest's devices. */
static void shared_region_wrapping_the_window_is_refused(void **state)
{
	struct shm_config shm[SHM_MAX];
	unsigned n;

	(void)state;
	add_shm("after", 0x200000); /* libfdt adds nodes first: "after" ends up second */
	add_shm("huge", 0xfffffffff0001000ull);
	add_good_vm("b");
	add_good_vm("a");
	assert_int_equal(parse(), 2);
	n = vmconfig_shm_parse(fdt, out, 2, shm, SHM_MAX, record_error);
	assert_int_equal(n, 0);
	expect_error(0, "huge", "property 'size'", "exceed");
	for (unsigned i = 0; i < n; i++)
		assert_true(shm[i].ipa >= SHM_IPA_BASE && shm[i].ipa + shm[i].size <= SHM_IPA_END);
}

static void shared_regions_fill_the_window_exactly(void **state)
{
	struct shm_config shm[SHM_MAX];

	(void)state;
	add_shm("two", 0x1000);
	add_shm("one", SHM_IPA_END - SHM_IPA_BASE);
	add_good_vm("b");
	add_good_vm("a");
	assert_int_equal(parse(), 2);
	assert_int_equal(vmconfig_shm_parse(fdt, out, 2, shm, SHM_MAX, record_error), 1);
	assert_string_equal(shm[0].name, "one");
	assert_int_equal(shm[0].ipa, SHM_IPA_BASE);
	expect_error(0, "two", "property 'size'", "exceed");
}

/* vms = "a", "a" is one VM, not two members: refused. */
static void shared_region_naming_a_vm_twice_is_refused(void **state)
{
	struct shm_config shm[SHM_MAX];

	(void)state;
	add_shm("twice", 0x1000);
	DT_STRS(fdt, "/chosen/twice", "vms", "a\0a");
	add_shm("three", 0x1000);
	DT_STRS(fdt, "/chosen/three", "vms", "a\0b\0b");
	add_good_vm("b");
	add_good_vm("a");
	assert_int_equal(parse(), 2);
	assert_int_equal(vmconfig_shm_parse(fdt, out, 2, shm, SHM_MAX, record_error), 0);
	expect_error(0, "three", "property 'vms': names 'b' twice", NULL);
	expect_error(1, "twice", "property 'vms': names 'a' twice", NULL);
}

/* --- console labels and the crash message --- */

static void console_label_defaults_to_prefix_and_linux_panic_line(void **state)
{
	(void)state;
	add_good_vm("a");
	assert_int_equal(parse(), 1);
	assert_true(out[0].console_prefix);
	assert_int_equal(out[0].console_color, 0);
	assert_string_equal(out[0].crash_message, CRASH_MESSAGE_DEFAULT);
}

static void console_colors_are_chosen_or_picked_by_place(void **state)
{
	(void)state;
	add_good_vm("c"); /* a node added comes first */
	add_good_vm("b");
	add_good_vm("a");
	dt_str(fdt, "/chosen/a", "console-color", "blue");
	dt_str(fdt, "/chosen/b", "console-label", "color");
	dt_str(fdt, "/chosen/c", "console-label", "both");
	dt_str(fdt, "/chosen/c", "crash-message", "");
	assert_int_equal(parse(), 3);
	assert_int_equal(errs.n, 0);
	assert_int_equal(out[0].console_color, 34); /* chosen: prefix and colour */
	assert_true(out[0].console_prefix);
	assert_int_equal(out[1].console_color, 32); /* second VM: the palette's second */
	assert_false(out[1].console_prefix);
	assert_int_equal(out[2].console_color, 33);
	assert_true(out[2].console_prefix);
	assert_string_equal(out[2].crash_message, "");
}

static void bad_console_properties_are_refused(void **state)
{
	char long_msg[CRASH_MESSAGE_MAX + 2];

	(void)state;
	memset(long_msg, 'x', sizeof(long_msg) - 1);
	long_msg[sizeof(long_msg) - 1] = 0;
	add_good_vm("e");
	add_good_vm("d");
	add_good_vm("c");
	add_good_vm("b");
	add_good_vm("a");
	dt_str(fdt, "/chosen/e", "console-label", "prefix");
	dt_str(fdt, "/chosen/e", "console-color", "red");
	dt_str(fdt, "/chosen/a", "console-color", "purple");
	dt_str(fdt, "/chosen/b", "console-label", "name");
	dt_str(fdt, "/chosen/c", "crash-message", long_msg);
	dt_u32(fdt, "/chosen/d", "crash-message", 7);
	assert_int_equal(parse(), 0);
	expect_error(0, "a", "property 'console-color'", "cyan");
	expect_error(1, "b", "property 'console-label'", "both");
	expect_error(2, "c", "property 'crash-message'", "longer than");
	expect_error(3, "d", "property 'crash-message'", "one string");
	expect_error(4, "e", "property 'console-color'", "shows no colour");
}

/* "restart", "stop" is two strings, not "restart": a choice is one string. */
static void choices_of_two_strings_are_refused(void **state)
{
	(void)state;
	add_good_vm("b");
	add_good_vm("a");
	DT_STRS(fdt, "/chosen/a", "on-crash", "restart\0stop");
	DT_STRS(fdt, "/chosen/b", "console-label", "both\0prefix");
	assert_int_equal(parse(), 0);
	expect_error(0, "a", "property 'on-crash' must be \"stop\" or \"restart\"", NULL);
	expect_error(1, "b", "property 'console-label' must be", NULL);
}

/* The region at SHM_IPA_BASE would sit on a's device there: the region goes, not the VM. */
static void shared_region_on_a_members_device_is_refused(void **state)
{
	static const uint64_t regs[] = {SHM_IPA_BASE + 0x3000, 0x1000};
	struct shm_config shm[SHM_MAX];

	(void)state;
	machine_devices();
	add_shm("shm0", 0x4000);
	add_device("/dev@10003000", regs, 1, NULL, 0);
	add_good_vm("b");
	add_good_vm("a");
	give("a", "/dev@10003000");
	assert_int_equal(parse(), 2);
	assert_int_equal(vmconfig_shm_parse(fdt, out, 2, shm, SHM_MAX, record_error), 0);
	expect_error(0, "shm0", "VM 'a''s device 'dev@10003000' (reg[0] at 0x10003000)",
		     "at 0x10000000");
}

/* A member's device on the doorbell registers' page would hide them: the region goes. */
static void shared_region_with_a_device_on_the_doorbells_is_refused(void **state)
{
	static const uint64_t regs[] = {SHM_DOORBELL_IPA, 0x100};
	struct shm_config shm[SHM_MAX];

	(void)state;
	machine_devices();
	add_shm("shm0", 0x1000);
	add_device("/dev@ffff000", regs, 1, NULL, 0);
	add_good_vm("b");
	add_good_vm("a");
	give("a", "/dev@ffff000");
	assert_int_equal(parse(), 2);
	assert_int_equal(vmconfig_shm_parse(fdt, out, 2, shm, SHM_MAX, record_error), 0);
	expect_error(0, "shm0", "VM 'a''s device 'dev@ffff000' (reg[0] at 0xffff000)",
		     "is where the doorbell registers are, at 0xffff000");
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
	    T(vm_with_memory_cpus_and_modules_is_parsed),
	    T(absent_memory_and_cpus_take_the_defaults),
	    T(memory_may_be_one_cell),
	    T(an_sve_length_is_taken_in_bits),
	    T(vms_keep_their_tree_order),
	    T(other_modules_and_nodes_are_ignored),
	    T(every_refusal_names_the_property_and_spares_the_next_vm),
	    T(long_names_are_refused),
	    T(names_of_letters_digits_dash_underscore_only),
	    T(duplicate_names_are_refused),
	    T(affinity_is_parsed_and_oversubscription_allowed),
	    T(vms_beyond_the_maximum_are_refused),
	    T(loose_modules_make_one_implicit_vm),
	    T(implicit_vm_takes_at_most_half_of_ram),
	    T(loose_modules_are_ignored_when_a_vm_is_described),
	    T(implicit_vm_with_a_bad_module_is_refused),
	    T(bootargs_that_are_not_a_string_are_refused),
	    T(no_chosen_node_means_no_vms),
	    T(refusals_without_a_callback_are_silent),
	    T(shared_region_wrapping_the_window_is_refused),
	    T(shared_regions_fill_the_window_exactly),
	    T(shared_region_naming_a_vm_twice_is_refused),
	    T(console_label_defaults_to_prefix_and_linux_panic_line),
	    T(console_colors_are_chosen_or_picked_by_place),
	    T(bad_console_properties_are_refused),
	    T(choices_of_two_strings_are_refused),
	    T(every_passthrough_refusal_says_why),
	    T(a_virtio_console_takes_slot_0),
	    T(disks_take_slots_in_node_order),
	    T(an_image_one_vm_writes_is_refused_to_the_next),
	    T(every_virtio_refusal_says_why),
	    T(virtio_net_ports_get_slots_and_macs),
	    T(a_router_has_the_machines_nic_beside_its_own_port),
	    T(a_mac_another_vm_has_on_the_switch_is_refused),
	    T(passthrough_in_the_window_without_virtio),
	    T(passed_through_spis_are_listed_once_as_intids),
	    T(a_shared_spi_is_refused_to_the_second_vm),
	    T(devices_of_two_vms_in_one_page_are_refused),
	    T(devices_where_the_guest_sees_its_own_are_refused),
	    T(a_node_above_or_below_another_vms_is_refused),
	    T(shared_region_on_a_members_device_is_refused),
	    T(shared_region_with_a_device_on_the_doorbells_is_refused),
	};

	return cmocka_run_group_tests_name("vmconfig", tests, NULL, NULL);
}
