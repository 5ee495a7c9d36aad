/* SPDX-License-Identifier: Apache-2.0 */
/* VM descriptions: see vmconfig.h. Every refusal names the VM, the property and the reason. */
#include <kestrel/guest_layout.h>
#include <kestrel/hostdt.h>
#include <kestrel/lib.h>
#include <kestrel/platform.h>
#include <kestrel/shm.h>
#include <kestrel/virtio_mmio.h>
#include <kestrel/vmconfig.h>
#include <libfdt.h>

#define IS_LETTER(ch) (((ch) >= 'a' && (ch) <= 'z') || ((ch) >= 'A' && (ch) <= 'Z'))

struct ctx {
	const void *fdt;
	const struct platform *plat;
	vmconfig_error_fn *err;
	const char *name;
};

static bool refuse(struct ctx *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static bool refuse(struct ctx *c, const char *fmt, ...)
{
	char msg[200];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (c->err)
		c->err(c->name, msg);
	return false;
}

static bool in_ram(const struct platform *plat, uint64_t addr, uint64_t size)
{
	return addr >= plat->ram_base && size <= plat->ram_size &&
	       addr - plat->ram_base <= plat->ram_size - size;
}

static bool parse_module(struct ctx *c, int node, struct vm_config *vm)
{
	uint64_t addr, size;
	bool kernel = !fdt_node_check_compatible(c->fdt, node, "multiboot,kernel");
	bool ramdisk = !fdt_node_check_compatible(c->fdt, node, "multiboot,ramdisk");

	if (!kernel && !ramdisk)
		return true; /* other modules are not kestrel's business */
	if (hostdt_reg(c->fdt, node, 0, &addr, &size) != E_OK || !size)
		return refuse(c, "module '%s': property 'reg' is missing or malformed",
			      fdt_get_name(c->fdt, node, NULL));
	if (!in_ram(c->plat, addr, size))
		return refuse(c, "module '%s': property 'reg' places the image outside RAM",
			      fdt_get_name(c->fdt, node, NULL));
	if (kernel) {
		int len;
		if (vm->kernel_size)
			return refuse(c, "more than one multiboot,kernel module");
		vm->kernel_pa = addr;
		vm->kernel_size = size;
		vm->bootargs = fdt_getprop(c->fdt, node, "bootargs", &len);
		/* It goes into the guest's DTB with strlen: it must end inside the property. */
		if (vm->bootargs && (len <= 0 || !memchr(vm->bootargs, '\0', (size_t)len)))
			return refuse(c, "module '%s': property 'bootargs' must be a string",
				      fdt_get_name(c->fdt, node, NULL));
	} else {
		if (vm->initrd_size)
			return refuse(c, "more than one multiboot,ramdisk module");
		vm->initrd_pa = addr;
		vm->initrd_size = size;
	}
	return true;
}

static bool read_u64(const void *fdt, int node, const char *prop, uint64_t *out, bool *bad)
{
	int len;
	const fdt32_t *p = fdt_getprop(fdt, node, prop, &len);

	*bad = false;
	if (!p)
		return false;
	if (len == 4)
		*out = fdt32_ld(&p[0]);
	else if (len == 8)
		*out = ((uint64_t)fdt32_ld(&p[0]) << 32) | fdt32_ld(&p[1]);
	else
		*bad = true;
	return !*bad;
}

/* cpu-affinity: one physical CPU index per vCPU. */
static bool parse_affinity(struct ctx *c, int node, struct vm_config *vm)
{
	int len;
	const fdt32_t *p = fdt_getprop(c->fdt, node, "cpu-affinity", &len);

	if (!p)
		return true;
	if (len != (int)(vm->vcpus * 4))
		return refuse(c, "property 'cpu-affinity' has %d entries for %u vCPUs", len / 4,
			      vm->vcpus);
	for (unsigned i = 0; i < vm->vcpus; i++) {
		uint32_t cpu = fdt32_ld(&p[i]);
		if (cpu >= c->plat->cpu_count)
			return refuse(c,
				      "property 'cpu-affinity': vCPU %u pinned to CPU %u but the "
				      "machine has %u CPUs",
				      i, cpu, c->plat->cpu_count);
		vm->affinity[i] = (uint8_t)cpu;
	}
	vm->has_affinity = true;
	return true;
}

/* A property value that is one string: "a\0b\0" is two, "a" without its NUL none. */
static bool one_string(const char *v, int len)
{
	return v && len > 0 && strnlen(v, (size_t)len) == (size_t)len - 1;
}

/* A property naming one of two choices; absent means the default. */
static bool parse_choice(struct ctx *c, int node, const char *prop, const char *a, const char *b,
			 bool *is_b)
{
	int len;
	const char *v = fdt_getprop(c->fdt, node, prop, &len);

	if (!v)
		return true;
	if (one_string(v, len) && (!strcmp(v, a) || !strcmp(v, b))) {
		*is_b = !strcmp(v, b);
		return true;
	}
	return refuse(c, "property '%s' must be \"%s\" or \"%s\"", prop, a, b);
}

static bool parse_policies(struct ctx *c, int node, struct vm_config *vm)
{
	bool off_restart = false, reset_stop = false, crash_restart = false, console_off = false;
	bool raw = false;

	if (!parse_choice(c, node, "on-poweroff", "stop", "restart", &off_restart) ||
	    !parse_choice(c, node, "on-reset", "restart", "stop", &reset_stop) ||
	    !parse_choice(c, node, "on-crash", "stop", "restart", &crash_restart) ||
	    !parse_choice(c, node, "console", "on", "off", &console_off) ||
	    !parse_choice(c, node, "kernel-format", "image", "raw", &raw))
		return false;
	vm->kernel_raw = raw;
	vm->on_poweroff = off_restart ? POLICY_RESTART : POLICY_STOP;
	vm->on_reset = reset_stop ? POLICY_STOP : POLICY_RESTART;
	vm->on_crash = crash_restart ? POLICY_RESTART : POLICY_STOP;
	vm->console = !console_off;
	return true;
}

/* How the VM's output is labelled, and which output line means it crashed. */
static bool parse_console(struct ctx *c, int node, struct vm_config *vm, unsigned index)
{
	static const char *const colors[] = {"red", "green", "yellow", "blue", "magenta", "cyan"};
	static const char *const labels[] = {"prefix", "color", "both"};
	int len;
	const char *v;

	vm->crash_message = CRASH_MESSAGE_DEFAULT;
	vm->console_prefix = true;
	vm->console_color = 0;
	v = fdt_getprop(c->fdt, node, "crash-message", &len);
	if (v) {
		if (!one_string(v, len))
			return refuse(c, "property 'crash-message' must be one string");
		if (len - 1 > CRASH_MESSAGE_MAX)
			return refuse(c, "property 'crash-message': longer than %d characters",
				      CRASH_MESSAGE_MAX);
		vm->crash_message = v;
	}
	v = fdt_getprop(c->fdt, node, "console-color", &len);
	if (v) {
		for (unsigned i = 0; i < ARRAY_SIZE(colors) && !vm->console_color; i++)
			if (one_string(v, len) && !strcmp(v, colors[i]))
				vm->console_color = 31 + i;
		if (!vm->console_color)
			return refuse(c, "property 'console-color' must be one of \"red\", "
					 "\"green\", \"yellow\", \"blue\", \"magenta\", \"cyan\"");
	}
	v = fdt_getprop(c->fdt, node, "console-label", &len);
	if (v) {
		unsigned i = 0;
		while (i < ARRAY_SIZE(labels) && !(one_string(v, len) && !strcmp(v, labels[i])))
			i++;
		if (i == ARRAY_SIZE(labels))
			return refuse(c, "property 'console-label' must be \"prefix\", \"color\" "
					 "or \"both\"");
		vm->console_prefix = i != 1;
		if (i == 0 && vm->console_color)
			return refuse(c, "property 'console-color': console-label = \"prefix\" "
					 "shows no colour (use \"both\")");
		/* Coloured without a colour chosen: one from the VM's place in the list. */
		if (i != 0 && !vm->console_color)
			vm->console_color = 31 + index % ARRAY_SIZE(colors);
	}
	return true;
}

/* Whether [a, a + alen) and [b, b + blen) share a byte; never overflows. */
static bool overlaps(uint64_t a, uint64_t alen, uint64_t b, uint64_t blen)
{
	return a >= b ? a - b < blen : b - a < alen;
}

/* Devices kestrel itself drives are never given to a VM. */
static bool used_by_kestrel(const struct platform *plat, uint64_t addr, uint64_t size)
{
	return overlaps(addr, size, plat->uart_base, plat->uart_size ? plat->uart_size : 1) ||
	       overlaps(addr, size, plat->gic.dist_base, plat->gic.dist_size) ||
	       overlaps(addr, size, plat->gic.redist_base, plat->gic.redist_size);
}

/* Whether [addr, addr + size) touches RAM: the bank kestrel uses or any other. */
static bool overlaps_ram(const struct platform *plat, uint64_t addr, uint64_t size)
{
	if (overlaps(addr, size, plat->ram_base, plat->ram_size))
		return true;
	for (unsigned i = 0; i < MIN(plat->ram_banks, PLAT_MAX_RAM_BANKS); i++)
		if (overlaps(addr, size, plat->ram_bank[i].base, plat->ram_bank[i].size))
			return true;
	return false;
}

/* The reservation of the host device tree [addr, addr + size) touches, or -1. */
static int reserved_at(const struct platform *plat, uint64_t addr, uint64_t size)
{
	for (unsigned i = 0; i < MIN(plat->nreserved, PLAT_MAX_RESERVED); i++)
		if (plat->reserved[i][1] > plat->reserved[i][0] &&
		    overlaps(addr, size, plat->reserved[i][0],
			     plat->reserved[i][1] - plat->reserved[i][0]))
			return (int)i;
	return -1;
}

/* Register region i of a device, widened to the whole pages a VM would be given. */
static int device_pages(const void *fdt, int dev, int i, uint64_t *base, uint64_t *size)
{
	uint64_t addr, len;
	int err = hostdt_reg(fdt, dev, i, &addr, &len);

	if (err)
		return err;
	if (!len || addr + len < addr || addr + len > ~(uint64_t)(PAGE_SIZE - 1))
		return -E_INVAL;
	*base = ALIGN_DOWN(addr, PAGE_SIZE);
	*size = ALIGN_UP(addr + len, PAGE_SIZE) - *base;
	return E_OK;
}

static bool is_ancestor(const void *fdt, int ancestor, int node)
{
	for (int p = fdt_parent_offset(fdt, node); p >= 0; p = fdt_parent_offset(fdt, p))
		if (p == ancestor)
			return true;
	return false;
}

/* A node inside a device kestrel drives (the GIC's ITS, say) is kestrel's too. */
static bool inside_kestrel_device(struct ctx *c, int dev)
{
	for (int p = fdt_parent_offset(c->fdt, dev); p > 0; p = fdt_parent_offset(c->fdt, p)) {
		uint64_t base, size;
		for (int i = 0; device_pages(c->fdt, p, i, &base, &size) == E_OK; i++)
			if (used_by_kestrel(c->plat, base, size))
				return true;
	}
	return false;
}

/*
 * The emulated device the guest sees in [base, base + size), if any: QEMU virt's layout. A
 * device mapped there would hide it (or be hidden), whatever the machine has at that address.
 * The shared regions and their doorbell registers are checked with the regions.
 */
static const char *guest_device_at(const struct vm_config *vm, uint64_t base, uint64_t size,
				   uint64_t *at, uint64_t *len)
{
	*at = GUEST_GICD_BASE;
	*len = GUEST_GICD_SIZE;
	if (overlaps(base, size, *at, *len))
		return "GIC distributor";
	*at = GUEST_ITS_BASE;
	*len = GUEST_ITS_SIZE;
	if (overlaps(base, size, *at, *len))
		return "GIC ITS";
	*at = GUEST_GICR_BASE;
	*len = GUEST_GICR_STRIDE * vm->vcpus;
	if (overlaps(base, size, *at, *len))
		return "GIC redistributors";
	*at = GUEST_UART_BASE;
	*len = GUEST_UART_SIZE;
	if (overlaps(base, size, *at, *len))
		return "UART";
	return NULL;
}

/* Every register region of the device: mappable at its own address in this VM. */
static bool check_passthrough_regs(struct ctx *c, int dev, const char *path,
				   const struct vm_config *vm)
{
	ipaddr_t ram_ipa = vm->mem_base ? vm->mem_base : GUEST_RAM_BASE;
	uint64_t base, size, at, len;
	const char *what;
	int i, r, err;

	if (inside_kestrel_device(c, dev))
		return refuse(
		    c, "property 'passthrough': '%s' is part of a device kestrel uses itself",
		    path);
	for (i = 0; (err = device_pages(c->fdt, dev, i, &base, &size)) == E_OK; i++) {
		if (used_by_kestrel(c->plat, base, size))
			return refuse(
			    c,
			    "property 'passthrough': '%s' is a device kestrel uses itself "
			    "(reg[%d] at 0x%llx)",
			    path, i, (unsigned long long)base);
		/* Mapped as Device memory into the guest, RAM would be kestrel's and every VM's;
		   the banks kestrel does not use are RAM all the same. */
		if (overlaps_ram(c->plat, base, size))
			return refuse(c,
				      "property 'passthrough': '%s' reg[%d] at 0x%llx overlaps the "
				      "machine's RAM",
				      path, i, (unsigned long long)base);
		/* Reserved memory is the firmware's, wherever the tree puts it: never a VM's. */
		r = reserved_at(c->plat, base, size);
		if (r >= 0)
			return refuse(
			    c,
			    "property 'passthrough': '%s' reg[%d] at 0x%llx overlaps memory "
			    "the device tree reserves, 0x%llx-0x%llx",
			    path, i, (unsigned long long)base,
			    (unsigned long long)c->plat->reserved[r][0],
			    (unsigned long long)c->plat->reserved[r][1]);
		if (!vm->direct_map && overlaps(base, size, ram_ipa, vm->mem_size))
			return refuse(c,
				      "property 'passthrough': '%s' reg[%d] at 0x%llx overlaps the "
				      "guest's RAM at 0x%llx",
				      path, i, (unsigned long long)base,
				      (unsigned long long)ram_ipa);
		what = guest_device_at(vm, base, size, &at, &len);
		if (what)
			return refuse(c,
				      "property 'passthrough': '%s' reg[%d] at 0x%llx is where the "
				      "guest sees its own %s, 0x%llx-0x%llx",
				      path, i, (unsigned long long)base, what,
				      (unsigned long long)at, (unsigned long long)(at + len));
	}
	if (err != -E_NOENT || i == 0)
		return refuse(c,
			      "property 'passthrough': '%s' has no registers to map (its 'reg' is "
			      "missing, empty or malformed)",
			      path);
	return true;
}

static const char *spi_owner(const struct vm_config *vms, unsigned n, unsigned intid)
{
	for (unsigned v = 0; v < n; v++)
		for (unsigned s = 0; s < vms[v].nspis; s++)
			if (vms[v].spi_intids[s] == intid)
				return vms[v].name;
	return NULL;
}

/* The device's interrupts: GIC SPIs that kestrel can link to the VM's vGIC, nobody else's. */
/* The node an 'interrupts' property refers to: the nearest 'interrupt-parent' up the tree. */
static int interrupt_parent(const void *fdt, int node)
{
	for (; node >= 0; node = fdt_parent_offset(fdt, node)) {
		int len;
		const fdt32_t *ph = fdt_getprop(fdt, node, "interrupt-parent", &len);
		if (ph)
			return len == 4 ? fdt_node_offset_by_phandle(fdt, fdt32_ld(ph)) : -1;
	}
	return -1;
}

static bool parse_passthrough_spis(struct ctx *c, int dev, const char *path, struct vm_config *vm,
				   const struct vm_config *others, unsigned nothers)
{
	int len;
	const fdt32_t *irq = fdt_getprop(c->fdt, dev, "interrupts", &len);

	if (fdt_getprop(c->fdt, dev, "interrupts-extended", NULL))
		return refuse(c,
			      "property 'passthrough': '%s' has 'interrupts-extended': kestrel "
			      "forwards only GIC SPIs given in 'interrupts'",
			      path);
	if (fdt_getprop(c->fdt, dev, "interrupt-map", NULL))
		return refuse(c,
			      "property 'passthrough': '%s' routes its children's interrupts "
			      "('interrupt-map'): kestrel cannot forward them",
			      path);
	if (!irq)
		return true;
	if (interrupt_parent(c->fdt, dev) !=
	    fdt_node_offset_by_compatible(c->fdt, -1, "arm,gic-v3"))
		return refuse(c,
			      "property 'passthrough': '%s' has interrupts of another interrupt "
			      "controller than the GIC: kestrel forwards only GIC SPIs",
			      path);
	if (len <= 0 || len % 12)
		return refuse(c,
			      "property 'passthrough': '%s' has an 'interrupts' of %d bytes, not "
			      "(type, number, flags) triples",
			      path, len);
	for (int i = 0; i < len / 12; i++) {
		uint32_t type = fdt32_ld(&irq[3 * i]), spi = fdt32_ld(&irq[3 * i + 1]);
		const char *owner;
		bool mine = false;
		if (type != 0)
			return refuse(
			    c,
			    "property 'passthrough': '%s' interrupt %d is not an SPI (type "
			    "%u): kestrel forwards only SPIs",
			    path, i, type);
		if (spi >= SHM_SPI_BASE)
			return refuse(c,
				      "property 'passthrough': '%s' SPI %u: kestrel forwards SPIs "
				      "below %u (the ones above are shared-memory doorbells)",
				      path, spi, SHM_SPI_BASE);
		if (spi == GUEST_UART_SPI)
			return refuse(
			    c, "property 'passthrough': '%s' SPI %u is the guest's own UART's",
			    path, spi);
		/* kestrel's console: a VM holding its line could silence or flood it. */
		if (c->plat->uart_spi && 32 + spi == c->plat->uart_spi)
			return refuse(c,
				      "property 'passthrough': '%s' SPI %u is kestrel's own UART's",
				      path, spi);
		owner = spi_owner(others, nothers, 32 + spi);
		if (owner)
			return refuse(c,
				      "property 'passthrough': '%s' SPI %u is already given to VM "
				      "'%s'",
				      path, spi, owner);
		for (unsigned s = 0; s < vm->nspis; s++)
			mine |= vm->spi_intids[s] == 32 + spi;
		if (mine)
			continue; /* two of this VM's devices on one line: forwarded once */
		if (vm->nspis == VM_PASSTHROUGH_SPIS)
			return refuse(c,
				      "property 'passthrough': its devices have more than %d SPIs",
				      VM_PASSTHROUGH_SPIS);
		vm->spi_intids[vm->nspis++] = (uint16_t)(32 + spi);
	}
	return true;
}

/*
 * A page holding registers of another VM's device: kestrel maps whole pages, so both VMs would
 * reach both devices (QEMU's virtio-mmio transports are 0x200 bytes, eight to a page).
 */
static bool shares_a_page(struct ctx *c, int dev, const char *path, const struct vm_config *others,
			  unsigned nothers)
{
	uint64_t base, size, obase, osize;

	for (int i = 0; device_pages(c->fdt, dev, i, &base, &size) == E_OK; i++)
		for (unsigned v = 0; v < nothers; v++)
			for (unsigned d = 0; d < others[v].npassthrough; d++) {
				int taken = others[v].passthrough[d];
				for (int j = 0;
				     device_pages(c->fdt, taken, j, &obase, &osize) == E_OK; j++) {
					char other[96];
					if (!overlaps(base, size, obase, osize))
						continue;
					if (fdt_get_path(c->fdt, taken, other, sizeof(other)))
						strlcpy(other, fdt_get_name(c->fdt, taken, NULL),
							sizeof(other));
					return !refuse(
					    c,
					    "property 'passthrough': '%s' reg[%d] shares "
					    "the 4 KiB page at 0x%llx with '%s' of VM '%s'",
					    path, i, (unsigned long long)MAX(base, obase), other,
					    others[v].name);
				}
			}
	return false;
}

static bool parse_passthrough(struct ctx *c, int node, struct vm_config *vm,
			      const struct vm_config *others, unsigned nothers)
{
	int len;
	const char *list = fdt_getprop(c->fdt, node, "passthrough", &len);

	if (!list)
		return true;
	if (len <= 0 || list[len - 1])
		return refuse(c, "property 'passthrough' must be a list of device tree paths");
	for (int off = 0; off < len; off += (int)strlen(list + off) + 1) {
		const char *path = list + off;
		int dev = fdt_path_offset(c->fdt, path);
		if (dev < 0)
			return refuse(
			    c, "property 'passthrough': no node '%s' in the host device tree",
			    path);
		if (!check_passthrough_regs(c, dev, path, vm))
			return false;
		for (unsigned v = 0; v < nothers; v++)
			for (unsigned d = 0; d < others[v].npassthrough; d++) {
				int taken = others[v].passthrough[d];
				if (taken == dev || is_ancestor(c->fdt, taken, dev) ||
				    is_ancestor(c->fdt, dev, taken))
					return refuse(c,
						      "property 'passthrough': '%s' is already "
						      "given to VM '%s'%s",
						      path, others[v].name,
						      taken == dev ? ""
								   : " (a node above or below it)");
			}
		if (shares_a_page(c, dev, path, others, nothers) ||
		    !parse_passthrough_spis(c, dev, path, vm, others, nothers))
			return false;
		if (vm->npassthrough == VM_PASSTHROUGH_MAX)
			return refuse(c, "property 'passthrough': at most %d devices",
				      VM_PASSTHROUGH_MAX);
		vm->passthrough[vm->npassthrough++] = dev;
	}
	return true;
}

/* memory-base: where RAM starts in the guest (and, direct-mapped, in the machine). */
static bool parse_placement(struct ctx *c, int node, struct vm_config *vm)
{
	uint64_t base;
	bool bad;

	vm->direct_map = fdt_getprop(c->fdt, node, "direct-map", NULL) != NULL;
	if (!read_u64(c->fdt, node, "memory-base", &base, &bad))
		return bad ? refuse(c, "property 'memory-base' must be one or two cells") : true;
	if (!IS_ALIGNED(base, SZ_2M))
		return refuse(c, "property 'memory-base': 0x%llx is not 2 MiB aligned",
			      (unsigned long long)base);
	/* The guest's device window (GIC, UART, passthrough, shared memory) stays below
	   0x40000000. */
	if (base < 0x40000000ull)
		return refuse(c,
			      "property 'memory-base': 0x%llx is in the guest's device window "
			      "below 0x40000000",
			      (unsigned long long)base);
	if (base + vm->mem_size < base || base + vm->mem_size > ((uint64_t)1 << 40))
		return refuse(c,
			      "property 'memory-base': the memory at 0x%llx would end beyond 1 TiB",
			      (unsigned long long)base);
	if (vm->direct_map && !in_ram(c->plat, base, vm->mem_size))
		return refuse(c,
			      "property 'memory-base': with direct-map the memory 0x%llx-0x%llx "
			      "must lie in the machine's RAM 0x%llx-0x%llx",
			      (unsigned long long)base, (unsigned long long)(base + vm->mem_size),
			      (unsigned long long)c->plat->ram_base,
			      (unsigned long long)(c->plat->ram_base + c->plat->ram_size));
	vm->mem_base = base;
	return true;
}

static bool parse_limits(struct ctx *c, int node, struct vm_config *vm)
{
	uint64_t v;
	bool bad;

	vm->mem_size = VM_MEM_DEFAULT;
	vm->vcpus = 1;
	if (read_u64(c->fdt, node, "memory", &v, &bad))
		vm->mem_size = v;
	else if (bad)
		return refuse(c, "property 'memory' must be one or two cells (bytes)");
	if (vm->mem_size < VM_MEM_MIN || !IS_ALIGNED(vm->mem_size, VM_MEM_ALIGN))
		return refuse(c,
			      "property 'memory': 0x%llx bytes is not a multiple of %llu MiB of "
			      "at least %llu MiB",
			      (unsigned long long)vm->mem_size,
			      (unsigned long long)(VM_MEM_ALIGN >> 20),
			      (unsigned long long)(VM_MEM_MIN >> 20));
	if (vm->mem_size > c->plat->ram_size)
		return refuse(c, "property 'memory': %llu MiB is more than the machine's %llu MiB",
			      (unsigned long long)(vm->mem_size >> 20),
			      (unsigned long long)(c->plat->ram_size >> 20));
	if (read_u64(c->fdt, node, "cpus", &v, &bad))
		vm->vcpus = (unsigned)MIN(v, 1000u);
	else if (bad)
		return refuse(c, "property 'cpus' must be one cell");
	if (vm->vcpus < 1 || vm->vcpus > VCPU_MAX)
		return refuse(c, "property 'cpus': %u vCPUs is outside 1..%u", vm->vcpus, VCPU_MAX);
	/* Whether the CPU has SVE and that length is kestrel's to see at boot (vm_build.c). */
	if (read_u64(c->fdt, node, "sve-vector-length", &v, &bad)) {
		if (!v || v > VM_SVE_BITS_MAX || v % VM_SVE_BITS_STEP)
			return refuse(
			    c,
			    "property 'sve-vector-length': %llu bits is not a multiple of "
			    "%u up to %u",
			    (unsigned long long)v, VM_SVE_BITS_STEP, VM_SVE_BITS_MAX);
		vm->sve_bits = (unsigned)v;
	} else if (bad) {
		return refuse(c, "property 'sve-vector-length' must be one cell (bits)");
	}
	return parse_affinity(c, node, vm);
	return true;
}

/* An image written by one virtio-blk device is used by no other, in any VM: a disk with two
   writers (or a writer and a reader) is corrupted or read half-written. */
static bool image_shared(struct ctx *c, const char *node, const char *image, bool read_only,
			 const struct vm_config *vm, const struct vm_config *others,
			 unsigned nothers)
{
	for (unsigned v = 0; v <= nothers; v++) {
		const struct vm_config *o = v < nothers ? &others[v] : vm;
		for (unsigned i = 0; i < o->nvirtio; i++)
			if (o->virtio[i].type == VM_VIRTIO_BLK &&
			    !strcmp(o->virtio[i].image, image) &&
			    !(read_only && o->virtio[i].read_only))
				return !refuse(c,
					       "node '%s': image '%s' is VM '%s''s node '%s' too, "
					       "and one of them writes it (an image is written by "
					       "one device and then used by no other)",
					       node, image, o->name, o->virtio[i].node);
	}
	return false;
}

static bool parse_blk(struct ctx *c, int sub, struct vm_config *vm, const struct vm_config *others,
		      unsigned nothers)
{
	const char *name = fdt_get_name(c->fdt, sub, NULL);
	int len;
	const char *image = fdt_getprop(c->fdt, sub, "image", &len);
	bool read_only = fdt_getprop(c->fdt, sub, "read-only", NULL) != NULL;

	if (!one_string(image, len) || !image[0])
		return refuse(c,
			      "node '%s': property 'image' must be one string, the disk image's "
			      "path",
			      name);
	if (strlen(vm->name) + 1 + strlen(name) > VM_DISK_SERIAL_MAX)
		return refuse(c,
			      "node '%s': '%s/%s' is longer than %d characters (the machine disk's "
			      "serial): shorten the VM's or the node's name",
			      name, vm->name, name, VM_DISK_SERIAL_MAX);
	if (image_shared(c, name, image, read_only, vm, others, nothers))
		return false;
	vm->virtio[vm->nvirtio].image = image;
	vm->virtio[vm->nvirtio].read_only = read_only;
	return true;
}

/* A switch name: 1..VM_SWITCH_NAME_MAX - 1 letters, digits, '-' or '_', as a VM's name. */
static bool switch_name_ok(const char *v, int len)
{
	return one_string(v, len) && strlen(v) < VM_SWITCH_NAME_MAX && vmconfig_name_ok(v);
}

/*
 * A port without 'mac' gets a locally administered unicast one that stays the same from boot
 * to boot: 02, four bytes of an FNV-1a hash of "VM/node", the slot. Another VM's ports never
 * share the hash's input; two that hash alike on one switch are refused below.
 */
static void derive_mac(const char *vm, const char *node, unsigned slot, uint8_t mac[VM_MAC_LEN])
{
	uint32_t h = 2166136261u;
	const char *parts[] = {vm, "/", node};

	for (unsigned p = 0; p < ARRAY_SIZE(parts); p++)
		for (const char *s = parts[p]; *s; s++)
			h = (h ^ (uint8_t)*s) * 16777619u;
	mac[0] = 0x02;
	for (unsigned i = 0; i < 4; i++)
		mac[1 + i] = (uint8_t)(h >> (24 - 8 * i));
	mac[5] = (uint8_t)slot;
}

/* The port on switch sw with MAC mac among the VM's earlier ones, or NULL. */
static const char *mac_owner(const struct vm_config *vm, const char *sw, const uint8_t *mac)
{
	for (unsigned i = 0; i < vm->nvirtio; i++)
		if (vm->virtio[i].type == VM_VIRTIO_NET && !strcmp(vm->virtio[i].switch_name, sw) &&
		    !memcmp(vm->virtio[i].mac, mac, VM_MAC_LEN))
			return vm->virtio[i].node;
	return NULL;
}

static bool parse_net(struct ctx *c, int sub, const char *name, struct vm_config *vm,
		      const struct vm_config *others, unsigned nothers)
{
	struct vm_virtio *dev = &vm->virtio[vm->nvirtio];
	const uint8_t *mac;
	const char *sw, *owner;
	int len;

	sw = fdt_getprop(c->fdt, sub, "switch", &len);
	if (!sw || !switch_name_ok(sw, len))
		return refuse(c,
			      "node '%s': property 'switch' must be the switch's name, 1..%d "
			      "letters, digits, '-' or '_', starting with a letter",
			      name, VM_SWITCH_NAME_MAX - 1);
	mac = fdt_getprop(c->fdt, sub, "mac", &len);
	if (mac) {
		if (len != VM_MAC_LEN)
			return refuse(
			    c, "node '%s': property 'mac' must be %d bytes, [02 00 00 00 00 01]",
			    name, VM_MAC_LEN);
		if ((mac[0] & 1) || !(mac[0] | mac[1] | mac[2] | mac[3] | mac[4] | mac[5]))
			return refuse(c,
				      "node '%s': property 'mac': %02x:%02x:%02x:%02x:%02x:%02x is "
				      "not a unicast address",
				      name, mac[0], mac[1], mac[2], mac[3], mac[4], mac[5]);
		memcpy(dev->mac, mac, VM_MAC_LEN);
	} else {
		derive_mac(vm->name, name, vm->nvirtio, dev->mac);
	}
	/* The switch tells ports apart by MAC: each one's must be its own. */
	owner = mac_owner(vm, sw, dev->mac);
	for (unsigned v = 0; v < nothers && !owner; v++)
		if ((owner = mac_owner(&others[v], sw, dev->mac)))
			return refuse(c,
				      "node '%s': MAC %02x:%02x:%02x:%02x:%02x:%02x is already VM "
				      "'%s''s (node '%s') on switch '%s'",
				      name, dev->mac[0], dev->mac[1], dev->mac[2], dev->mac[3],
				      dev->mac[4], dev->mac[5], others[v].name, owner, sw);
	if (owner)
		return refuse(c,
			      "node '%s': MAC %02x:%02x:%02x:%02x:%02x:%02x is already node '%s''s "
			      "on switch '%s'",
			      name, dev->mac[0], dev->mac[1], dev->mac[2], dev->mac[3], dev->mac[4],
			      dev->mac[5], owner, sw);
	dev->switch_name = sw;
	dev->bridge = fdt_getprop(c->fdt, sub, "bridge", NULL) != NULL;
	return true;
}

/* A child node naming one of kestrel's virtio devices: it takes the VM's next slot. */
static bool parse_virtio(struct ctx *c, int sub, struct vm_config *vm,
			 const struct vm_config *others, unsigned nothers)
{
	const char *name = fdt_get_name(c->fdt, sub, NULL);
	enum vm_virtio_type type;

	if (!fdt_node_check_compatible(c->fdt, sub, "kestrel,virtio-console"))
		type = VM_VIRTIO_CONSOLE;
	else if (!fdt_node_check_compatible(c->fdt, sub, "kestrel,virtio-blk"))
		type = VM_VIRTIO_BLK;
	else if (!fdt_node_check_compatible(c->fdt, sub, "kestrel,virtio-net"))
		type = VM_VIRTIO_NET;
	else
		return true; /* not a virtio device */
	for (unsigned i = 0; i < vm->nvirtio && type == VM_VIRTIO_CONSOLE; i++)
		if (vm->virtio[i].type == VM_VIRTIO_CONSOLE)
			return refuse(
			    c,
			    "node '%s': a second kestrel,virtio-console (node '%s' is the "
			    "VM's console)",
			    name, vm->virtio[i].node);
	if (vm->nvirtio == VM_VIRTIO_MAX)
		return refuse(c, "node '%s': more than %d virtio devices", name, VM_VIRTIO_MAX);
	if (type == VM_VIRTIO_BLK && !parse_blk(c, sub, vm, others, nothers))
		return false;
	if (type == VM_VIRTIO_NET && !parse_net(c, sub, name, vm, others, nothers))
		return false;
	vm->virtio[vm->nvirtio].type = type;
	vm->virtio[vm->nvirtio].node = name;
	vm->virtio[vm->nvirtio].no_event_idx =
	    fdt_getprop(c->fdt, sub, "no-event-idx", NULL) != NULL;
	vm->nvirtio++;
	return true;
}

/*
 * A VM with virtio devices has QEMU virt's virtio-mmio window (0x0a000000, 32 slots of 0x200)
 * and the SPIs of its devices' slots (16 + slot). A passed-through device may be in the window
 * (one of QEMU's own virtio-mmio transports, such as the machine's NIC for a VM that routes or
 * bridges to it) but not on the pages of the VM's own slots, from slot 0: it would hide them.
 */
static bool virtio_clear_of_passthrough(struct ctx *c, const struct vm_config *vm)
{
	uint64_t own_end =
	    ALIGN_UP(VIRTIO_MMIO_BASE + vm->nvirtio * VIRTIO_MMIO_SLOT_SIZE, PAGE_SIZE);

	if (!vm->nvirtio)
		return true;
	for (unsigned d = 0; d < vm->npassthrough; d++) {
		uint64_t base, size;
		for (int i = 0; device_pages(c->fdt, vm->passthrough[d], i, &base, &size) == E_OK;
		     i++)
			if (overlaps(base, size, VIRTIO_MMIO_BASE, own_end - VIRTIO_MMIO_BASE))
				return refuse(
				    c,
				    "property 'passthrough': '%s' reg[%d] at 0x%llx is on the "
				    "virtio-mmio slots 0x%llx-0x%llx of the VM's own devices (node "
				    "'%s')",
				    fdt_get_name(c->fdt, vm->passthrough[d], NULL), i,
				    (unsigned long long)base, (unsigned long long)VIRTIO_MMIO_BASE,
				    (unsigned long long)own_end, vm->virtio[0].node);
	}
	for (unsigned i = 0; i < vm->nvirtio; i++)
		for (unsigned s = 0; s < vm->nspis; s++)
			if (vm->spi_intids[s] == 32 + VIRTIO_MMIO_SPI_BASE + i)
				return refuse(
				    c,
				    "node '%s': its virtio-mmio slot %u has SPI %u, which a "
				    "passed-through device of the VM has too",
				    vm->virtio[i].node, i, VIRTIO_MMIO_SPI_BASE + i);
	return true;
}

static bool parse_vm(struct ctx *c, int node, struct vm_config *vm, bool implicit,
		     const struct vm_config *others, unsigned nothers)
{
	int sub;

	memset(vm, 0, sizeof(*vm));
	strlcpy(vm->name, c->name, sizeof(vm->name));
	vm->on_reset = POLICY_RESTART;
	vm->console = true;
	if (!implicit &&
	    (!parse_limits(c, node, vm) || !parse_policies(c, node, vm) ||
	     !parse_placement(c, node, vm) || !parse_passthrough(c, node, vm, others, nothers)))
		return false;
	/* index: the VM's place among the valid ones, which picks its default colour */
	if (!parse_console(c, node, vm, nothers))
		return false;
	if (implicit) {
		vm->mem_size = MIN(VM_MEM_DEFAULT, ALIGN_DOWN(c->plat->ram_size / 2, SZ_2M));
		vm->vcpus = 1;
		vm->kernel_raw = true; /* guest-loader modules carry no format: like -kernel */
	}
	fdt_for_each_subnode(sub, c->fdt, node)
	{
		if (!fdt_node_check_compatible(c->fdt, sub, "multiboot,module") ||
		    !fdt_node_check_compatible(c->fdt, sub, "multiboot,kernel") ||
		    !fdt_node_check_compatible(c->fdt, sub, "multiboot,ramdisk"))
			if (!parse_module(c, sub, vm))
				return false;
		if (!implicit && !parse_virtio(c, sub, vm, others, nothers))
			return false;
	}
	if (!virtio_clear_of_passthrough(c, vm))
		return false;
	if (!vm->kernel_size)
		return refuse(c, "property 'kernel': no kernel module: the VM needs a module node "
				 "with compatible \"multiboot,kernel\"");
	return true;
}

/* Two VMs whose memory is fixed in the machine must not share any of it. */
static bool overlaps_direct_map(struct ctx *c, const struct vm_config *vms, unsigned n)
{
	const struct vm_config *vm = &vms[n];

	if (!vm->direct_map || !vm->mem_base)
		return false;
	for (unsigned i = 0; i < n; i++)
		if (vms[i].direct_map && vms[i].mem_base &&
		    overlaps(vm->mem_base, vm->mem_size, vms[i].mem_base, vms[i].mem_size))
			return !refuse(c, "property 'memory-base': its memory overlaps VM '%s''s",
				       vms[i].name);
	return false;
}

bool vmconfig_name_ok(const char *name)
{
	size_t len = strnlen(name, VM_NAME_MAX);

	if (len == 0 || len >= VM_NAME_MAX || !IS_LETTER(name[0]))
		return false;
	for (size_t i = 1; i < len; i++)
		if (!IS_LETTER(name[i]) && !(name[i] >= '0' && name[i] <= '9') && name[i] != '-' &&
		    name[i] != '_')
			return false;
	return true;
}

static bool name_taken(const struct vm_config *vms, unsigned n, const char *name)
{
	for (unsigned i = 0; i < n; i++)
		if (!strcmp(vms[i].name, name))
			return true;
	return false;
}

unsigned vmconfig_parse(const void *fdt, const struct platform *plat, struct vm_config *out,
			unsigned max, vmconfig_error_fn *err)
{
	struct ctx c = {fdt, plat, err, "vm0"};
	int chosen = fdt_path_offset(fdt, "/chosen"), node;
	unsigned n = 0;
	bool loose_modules = false;

	if (chosen < 0)
		return 0;
	fdt_for_each_subnode(node, fdt, chosen)
	{
		if (!fdt_node_check_compatible(fdt, node, "multiboot,kernel"))
			loose_modules = true;
		if (fdt_node_check_compatible(fdt, node, "kestrel,vm"))
			continue;
		c.name = fdt_get_name(fdt, node, NULL);
		if (!vmconfig_name_ok(c.name)) {
			refuse(&c,
			       "the node name must be 1..%d letters, digits, '-' or '_', starting "
			       "with "
			       "a letter (it is the VM's name)",
			       VM_NAME_MAX - 1);
			continue;
		}
		if (name_taken(out, n, c.name)) {
			refuse(&c, "another VM has the same name");
			continue;
		}
		if (n == max) {
			refuse(&c, "kestrel runs at most %u VMs", max);
			continue;
		}
		if (parse_vm(&c, node, &out[n], false, out, n) && !overlaps_direct_map(&c, out, n))
			n++;
	}
	/* QEMU guest-loader modules straight under /chosen: one VM with default limits. */
	if (loose_modules && n == 0 && max > 0) {
		c.name = "vm0";
		if (parse_vm(&c, chosen, &out[0], true, out, 0))
			n = 1;
	}
	return n;
}

/* --- shared memory regions --- */

static int vm_index(const struct vm_config *vms, unsigned nvms, const char *name, size_t len)
{
	for (unsigned i = 0; i < nvms; i++)
		if (strnlen(vms[i].name, VM_NAME_MAX) == len && !strncmp(vms[i].name, name, len))
			return (int)i;
	return -1;
}

static bool parse_shm(struct ctx *c, int node, const struct vm_config *vms, unsigned nvms,
		      struct shm_config *shm)
{
	uint64_t size;
	bool bad;
	int len;
	const char *list = fdt_getprop(c->fdt, node, "vms", &len);

	memset(shm, 0, sizeof(*shm));
	strlcpy(shm->name, c->name, sizeof(shm->name));
	if (!read_u64(c->fdt, node, "size", &size, &bad) || !size || !IS_ALIGNED(size, PAGE_SIZE))
		return refuse(c, "property 'size' must be a non-zero multiple of 4 KiB");
	shm->size = size;
	if (!list || len <= 0 || list[len - 1])
		return refuse(c, "property 'vms' must list the names of the VMs that share it");
	for (int off = 0; off < len;) {
		size_t n = strnlen(list + off, (size_t)(len - off));
		int idx = vm_index(vms, nvms, list + off, n);
		if (idx < 0)
			return refuse(c, "property 'vms': no VM named '%s'", list + off);
		for (unsigned m = 0; m < shm->nvms; m++)
			if (shm->vm[m] == idx)
				return refuse(c, "property 'vms': names '%s' twice", list + off);
		if (shm->nvms < VM_MAX)
			shm->vm[shm->nvms++] = (uint8_t)idx;
		off += (int)n + 1;
	}
	if (shm->nvms < 2)
		return refuse(c, "property 'vms' must name at least two VMs");
	return true;
}

/* A member VM's passed-through device at the region's address would hide it, or be hidden. */
/* Where a member VM's device page sits on the region or on the doorbell registers, or 0. */
static ipaddr_t shm_conflict(const struct shm_config *shm, uint64_t base, uint64_t size,
			     const char **what)
{
	*what = "the doorbell registers are";
	if (overlaps(base, size, SHM_DOORBELL_IPA, PAGE_SIZE))
		return SHM_DOORBELL_IPA;
	*what = "the region would be";
	return overlaps(base, size, shm->ipa, shm->size) ? shm->ipa : 0;
}

static bool clear_of_passthrough(struct ctx *c, const struct shm_config *shm,
				 const struct vm_config *vms)
{
	for (unsigned m = 0; m < shm->nvms; m++) {
		const struct vm_config *vm = &vms[shm->vm[m]];
		for (unsigned d = 0; d < vm->npassthrough; d++) {
			int dev = vm->passthrough[d];
			uint64_t base, size;
			for (int i = 0; device_pages(c->fdt, dev, i, &base, &size) == E_OK; i++) {
				const char *what;
				ipaddr_t at = shm_conflict(shm, base, size, &what);
				if (at)
					return refuse(
					    c,
					    "property 'vms': VM '%s''s device '%s' (reg[%d] "
					    "at 0x%llx) is where %s, at 0x%llx",
					    vm->name, fdt_get_name(c->fdt, dev, NULL), i,
					    (unsigned long long)base, what, (unsigned long long)at);
			}
		}
	}
	return true;
}

unsigned vmconfig_shm_parse(const void *fdt, const struct vm_config *vms, unsigned nvms,
			    struct shm_config *out, unsigned max, vmconfig_error_fn *err)
{
	struct ctx c = {fdt, NULL, err, ""};
	int chosen = fdt_path_offset(fdt, "/chosen"), node;
	unsigned n = 0;
	ipaddr_t next = SHM_IPA_BASE;

	if (chosen < 0)
		return 0;
	fdt_for_each_subnode(node, fdt, chosen)
	{
		if (fdt_node_check_compatible(fdt, node, "kestrel,shared-memory"))
			continue;
		c.name = fdt_get_name(fdt, node, NULL);
		if (n == max) {
			refuse(&c, "kestrel shares at most %u regions", max);
			continue;
		}
		if (!parse_shm(&c, node, vms, nvms, &out[n]))
			continue;
		/* next never passes the end (2 MiB aligned): compare without overflowing. */
		if (out[n].size > SHM_IPA_END - next) {
			refuse(&c, "property 'size': the shared regions exceed %llu MiB in all",
			       (unsigned long long)((SHM_IPA_END - SHM_IPA_BASE) >> 20));
			break;
		}
		out[n].ipa = next;
		if (!clear_of_passthrough(&c, &out[n], vms))
			continue;
		next = ALIGN_UP(next + out[n].size, SZ_2M);
		n++;
	}
	return n;
}
