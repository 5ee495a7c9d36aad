/* SPDX-License-Identifier: Apache-2.0 */
/* Device tree construction for the tests: see helpers.h. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <kestrel/lib.h>
#include <libfdt.h>

#include "helpers.h"

static void check(int err, const char *what, const char *path)
{
	if (err < 0)
		fail_msg("%s %s: %s", what, path, fdt_strerror(err));
}

void *dt_new(void)
{
	void *fdt = malloc(DT_SIZE);

	assert_non_null(fdt);
	check(fdt_create_empty_tree(fdt, DT_SIZE), "create", "/");
	dt_u32(fdt, "/", "#address-cells", 2);
	dt_u32(fdt, "/", "#size-cells", 2);
	return fdt;
}

int dt_off(const void *fdt, const char *path)
{
	int off = fdt_path_offset(fdt, path);

	check(off, "find", path);
	return off;
}

void dt_node(void *fdt, const char *path)
{
	const char *slash = strrchr(path, '/');
	char parent[256];
	size_t len;

	assert_non_null(slash);
	len = (size_t)(slash - path);
	assert_true(len < sizeof(parent));
	memcpy(parent, path, len);
	parent[len] = '\0';
	check(fdt_add_subnode(fdt, dt_off(fdt, len ? parent : "/"), slash + 1), "add", path);
}

void dt_del(void *fdt, const char *path)
{
	check(fdt_del_node(fdt, dt_off(fdt, path)), "delete", path);
}

void dt_bytes(void *fdt, const char *path, const char *prop, const void *val, int len)
{
	check(fdt_setprop(fdt, dt_off(fdt, path), prop, val, len), prop, path);
}

void dt_u32(void *fdt, const char *path, const char *prop, uint32_t v)
{
	check(fdt_setprop_u32(fdt, dt_off(fdt, path), prop, v), prop, path);
}

void dt_cells(void *fdt, const char *path, const char *prop, const uint32_t *cells, int n)
{
	fdt32_t be[32];

	assert_true(n <= 32);
	for (int i = 0; i < n; i++)
		be[i] = cpu_to_fdt32(cells[i]);
	dt_bytes(fdt, path, prop, be, n * 4);
}

void dt_str(void *fdt, const char *path, const char *prop, const char *s)
{
	check(fdt_setprop_string(fdt, dt_off(fdt, path), prop, s), prop, path);
}

void dt_regs(void *fdt, const char *path, const uint64_t *pairs, int npairs)
{
	uint32_t cells[32];

	assert_true(npairs <= 8);
	for (int i = 0; i < 2 * npairs; i++) {
		cells[2 * i] = (uint32_t)(pairs[i] >> 32);
		cells[2 * i + 1] = (uint32_t)pairs[i];
	}
	dt_cells(fdt, path, "reg", cells, 4 * npairs);
}

void dt_reg(void *fdt, const char *path, uint64_t addr, uint64_t size)
{
	const uint64_t pair[2] = {addr, size};

	dt_regs(fdt, path, pair, 1);
}

void *dt_qemu_virt(void)
{
	static const uint32_t gic_maint[] = {1, 9, 4};
	static const uint32_t timer_irqs[] = {1, 13, 4, 1, 14, 4, 1, 11, 4, 1, 10, 4};
	static const uint32_t uart_irq[] = {0, 1, 4};
	static const uint64_t gic_regs[] = {0x8000000, 0x10000, 0x80a0000, 0xf60000};
	void *fdt = dt_new();

	DT_STRS(fdt, "/", "compatible", "linux,dummy-virt");
	dt_node(fdt, "/psci");
	DT_STRS(fdt, "/psci", "compatible", "arm,psci-1.0\0arm,psci-0.2\0arm,psci");
	dt_str(fdt, "/psci", "method", "smc");
	dt_node(fdt, "/memory@40000000");
	dt_str(fdt, "/memory@40000000", "device_type", "memory");
	dt_reg(fdt, "/memory@40000000", 0x40000000, 0x80000000);
	dt_node(fdt, "/cpus");
	dt_u32(fdt, "/cpus", "#address-cells", 1);
	dt_u32(fdt, "/cpus", "#size-cells", 0);
	dt_node(fdt, "/cpus/cpu@1");
	dt_str(fdt, "/cpus/cpu@1", "device_type", "cpu");
	dt_str(fdt, "/cpus/cpu@1", "enable-method", "psci");
	dt_u32(fdt, "/cpus/cpu@1", "reg", 1);
	dt_node(fdt, "/cpus/cpu@0");
	dt_str(fdt, "/cpus/cpu@0", "device_type", "cpu");
	dt_str(fdt, "/cpus/cpu@0", "enable-method", "psci");
	dt_u32(fdt, "/cpus/cpu@0", "reg", 0);
	dt_node(fdt, "/intc@8000000");
	dt_str(fdt, "/intc@8000000", "compatible", "arm,gic-v3");
	dt_regs(fdt, "/intc@8000000", gic_regs, 2);
	dt_cells(fdt, "/intc@8000000", "interrupts", gic_maint, 3);
	dt_bytes(fdt, "/intc@8000000", "interrupt-controller", NULL, 0);
	dt_u32(fdt, "/intc@8000000", "phandle", 0x8002); /* as QEMU numbers it */
	dt_u32(fdt, "/", "interrupt-parent", 0x8002);
	dt_node(fdt, "/pl011@9000000");
	DT_STRS(fdt, "/pl011@9000000", "compatible", "arm,pl011\0arm,primecell");
	dt_reg(fdt, "/pl011@9000000", 0x9000000, 0x1000);
	dt_cells(fdt, "/pl011@9000000", "interrupts", uart_irq, 3);
	dt_node(fdt, "/timer");
	dt_str(fdt, "/timer", "compatible", "arm,armv8-timer");
	dt_cells(fdt, "/timer", "interrupts", timer_irqs, 12);
	dt_node(fdt, "/chosen");
	dt_str(fdt, "/chosen", "stdout-path", "/pl011@9000000");
	return fdt;
}
