/* SPDX-License-Identifier: Apache-2.0 */
#include <stddef.h>
#include "boot_info.h"
#include "fdt.h"
#include "pl011.h"

struct boot_info boot_info;

/* The devicetree spec defaults, used when a node does not say. */
#define DEFAULT_ADDRESS_CELLS 2
#define DEFAULT_SIZE_CELLS    1
#define MAX_DEPTH	      8

struct cells {
	uint32_t address, size;
};

/* Compares a node name without its unit address: "memory@40000000" is a "memory" node. */
static bool node_is(const char *name, const char *base)
{
	while (*base)
		if (*name++ != *base++)
			return false;
	return *name == '\0' || *name == '@';
}

static struct cells cells_of(const struct fdt *fdt, int node)
{
	struct cells c = {DEFAULT_ADDRESS_CELLS, DEFAULT_SIZE_CELLS};
	const void *p;
	uint32_t len;

	p = fdt_getprop(fdt, node, "#address-cells", &len);
	if (p && len == 4)
		c.address = fdt_cell(p);
	p = fdt_getprop(fdt, node, "#size-cells", &len);
	if (p && len == 4)
		c.size = fdt_cell(p);
	return c;
}

/* The first (address, size) pair of a node's reg, read with its parent's cell counts. */
static bool first_reg(const struct fdt *fdt, int node, struct cells parent, uint64_t *addr,
		      uint64_t *size)
{
	uint32_t len;
	const void *reg = fdt_getprop(fdt, node, "reg", &len);

	if (!reg || parent.address < 1 || parent.address > 2 || parent.size > 2 ||
	    len < 4 * (parent.address + parent.size))
		return false;
	reg = fdt_read_cells(reg, parent.address, addr);
	*size = 0;
	if (parent.size)
		fdt_read_cells(reg, parent.size, size);
	return true;
}

static void parse_node(const struct fdt *fdt, int node, int depth, const char *parent_name,
		       struct cells parent)
{
	const char *name = fdt_node_name(fdt, node);
	uint64_t addr, size;
	uint32_t len;
	const void *compat = fdt_getprop(fdt, node, "compatible", &len);

	if (depth == 1 && node_is(name, "memory")) {
		if (boot_info.mem_size == 0 && first_reg(fdt, node, parent, &addr, &size)) {
			boot_info.mem_base = addr;
			boot_info.mem_size = size;
		}
	} else if (depth == 1 && node_is(name, "chosen")) {
		const char *args = fdt_getprop(fdt, node, "bootargs", NULL);
		uint32_t count_len;
		const void *count = fdt_getprop(fdt, node, "kestrel,boot-count", &count_len);
		if (args)
			boot_info.bootargs = args;
		if (count && count_len == 4)
			boot_info.boot_count = fdt_cell(count);
	} else if (depth == 2 && node_is(parent_name, "cpus") && node_is(name, "cpu")) {
		if (boot_info.num_cpus < MAX_VCPUS && first_reg(fdt, node, parent, &addr, &size))
			boot_info.cpu_mpidr[boot_info.num_cpus++] = addr;
	} else if (compat && fdt_stringlist_contains(compat, len, "arm,pl011")) {
		/* The first UART is the console, as Linux's stdout-path usually says too. */
		if (!boot_info.uart_in_dtb && first_reg(fdt, node, parent, &addr, &size)) {
			boot_info.uart_base = addr;
			boot_info.uart_in_dtb = true;
		}
	}
}

void boot_info_parse(const void *dtb)
{
	struct fdt fdt;
	struct cells cells[MAX_DEPTH];
	const char *names[MAX_DEPTH];
	int depth = 0;

	boot_info.uart_base = PL011_DEFAULT_BASE;
	boot_info.bootargs = "";
	boot_info.dtb_valid = fdt_open(&fdt, dtb);
	if (!boot_info.dtb_valid)
		return;

	for (int node = fdt_next_node(&fdt, -1, &depth); node >= 0;
	     node = fdt_next_node(&fdt, node, &depth)) {
		if (depth >= MAX_DEPTH)
			continue;
		/* Remember each level so that children can use their parent's cell counts. */
		cells[depth] = cells_of(&fdt, node);
		names[depth] = fdt_node_name(&fdt, node);
		if (depth > 0)
			parse_node(&fdt, node, depth, names[depth - 1], cells[depth - 1]);
	}
}

/* The value of "key=N" in the bootargs (decimal, or hex with 0x), or dflt. */
uint64_t bootarg(const char *key, uint64_t dflt)
{
	const char *s = boot_info.bootargs;

	while (s && *s) {
		const char *k = key, *p = s;
		while (*k && *p == *k)
			k++, p++;
		if (!*k && *p == '=' && (s == boot_info.bootargs || s[-1] == ' ')) {
			uint64_t v = 0, base = 10;
			p++;
			if (p[0] == '0' && (p[1] == 'x' || p[1] == 'X'))
				base = 16, p += 2;
			for (;; p++) {
				unsigned d;
				if (*p >= '0' && *p <= '9')
					d = (unsigned)(*p - '0');
				else if (base == 16 && *p >= 'a' && *p <= 'f')
					d = (unsigned)(*p - 'a' + 10);
				else if (base == 16 && *p >= 'A' && *p <= 'F')
					d = (unsigned)(*p - 'A' + 10);
				else
					break;
				v = v * base + d;
			}
			return v;
		}
		s++;
	}
	return dflt;
}

bool bootargs_has(const char *word)
{
	for (const char *s = boot_info.bootargs; *s;) { /* "" when there are none */
		const char *w = word;
		while (*w && *s == *w)
			s++, w++;
		if (!*w && (*s == ' ' || !*s))
			return true;
		while (*s && *s != ' ')
			s++;
		while (*s == ' ')
			s++;
	}
	return false;
}
