/* SPDX-License-Identifier: Apache-2.0 */
/* fuzz-sources: hyp/config/hostdt.c hyp/config/vmconfig.c hyp/config/guest_dtb.c */
/*
 * The host device tree, the first input kestrel reads from outside: the bytes are the DTB the
 * loader passes in x0. hostdt_parse may accept or refuse anything but must not crash; when it
 * accepts, the VM descriptions are read from the same blob (as kmain does, twice: once to
 * reserve the modules, once to create the VMs) and so are the shared memory regions. Every
 * accepted description must satisfy what vm_create and shm_setup rely on, and each VM's
 * device tree is then generated as vm_build.c does: its bootargs point into the host DTB and its
 * passed-through devices' nodes are copied from it. The result must be a valid tree.
 *
 * Byte mutations rarely keep a DTB walkable, so the libFuzzer build also mutates the tree as a
 * tree (LLVMFuzzerCustomMutator below): properties the parsers read set to meaningful or
 * malformed values, strings cut short of their NUL, nodes added and removed, and now and then
 * the blob re-laid so that its structure block is misaligned or ends inside a property.
 */
#include <stdlib.h>
#include <string.h>

#include <kestrel/guest_dtb.h>
#include <kestrel/guest_layout.h>
#include <kestrel/hostdt.h>
#include <kestrel/platform.h>
#include <kestrel/shm.h>
#include <kestrel/vmconfig.h>
#include <libfdt.h>

#include "harness.h"

#define MSG_MAX 256

static unsigned refusals;

static void on_refusal(const char *vm, const char *msg)
{
	FUZZ_CHECK(vm && msg, "refusal without a VM name or a message");
	FUZZ_CHECK(strlen(msg) > 0 && strlen(msg) < 200, "message of %zu bytes", strlen(msg));
	(void)strlen(vm); /* the name must be a readable string */
	refusals++;
}

static bool in_ram(const struct platform *plat, uint64_t addr, uint64_t size)
{
	return addr >= plat->ram_base && size <= plat->ram_size &&
	       addr - plat->ram_base <= plat->ram_size - size;
}

/* The length of the bootargs property whose value is at p, or -1 if no node has it. */
static int bootargs_len(const void *fdt, const char *p)
{
	int depth = 0, len;

	for (int node = 0; node >= 0; node = fdt_next_node(fdt, node, &depth))
		if (fdt_getprop(fdt, node, "bootargs", &len) == p)
			return len;
	return -1;
}

/* What vm_create and build_dtb take for granted about an accepted description. */
static void check_config(const struct vm_config *c, const struct platform *plat, const uint8_t *fdt,
			 size_t size)
{
	FUZZ_CHECK(memchr(c->name, 0, VM_NAME_MAX), "VM name not terminated");
	FUZZ_CHECK(c->vcpus >= 1 && c->vcpus <= VCPU_MAX, "VM '%s': %u vCPUs", c->name, c->vcpus);
	for (unsigned i = 0; c->has_affinity && i < c->vcpus; i++)
		FUZZ_CHECK(c->affinity[i] < plat->cpu_count, "VM '%s': vCPU %u on CPU %u of %u",
			   c->name, i, c->affinity[i], plat->cpu_count);
	FUZZ_CHECK(c->on_poweroff <= POLICY_RESTART && c->on_reset <= POLICY_RESTART &&
		       c->on_crash <= POLICY_RESTART,
		   "VM '%s': policy out of range", c->name);
	FUZZ_CHECK(c->mem_size >= (16ull << 20) && c->mem_size % SZ_2M == 0 &&
		       c->mem_size <= plat->ram_size,
		   "VM '%s': memory 0x%llx with 0x%llx of RAM", c->name,
		   (unsigned long long)c->mem_size, (unsigned long long)plat->ram_size);
	FUZZ_CHECK(c->kernel_size && in_ram(plat, c->kernel_pa, c->kernel_size),
		   "VM '%s': kernel [0x%llx +0x%llx) not in RAM", c->name,
		   (unsigned long long)c->kernel_pa, (unsigned long long)c->kernel_size);
	FUZZ_CHECK(!c->initrd_size || in_ram(plat, c->initrd_pa, c->initrd_size),
		   "VM '%s': initrd [0x%llx +0x%llx) not in RAM", c->name,
		   (unsigned long long)c->initrd_pa, (unsigned long long)c->initrd_size);
	FUZZ_CHECK(c->npassthrough <= VM_PASSTHROUGH_MAX, "VM '%s': %u devices", c->name,
		   c->npassthrough);
	for (unsigned i = 0; i < c->npassthrough; i++)
		FUZZ_CHECK(c->passthrough[i] >= 0 && fdt_get_name(fdt, c->passthrough[i], NULL),
			   "VM '%s': passthrough node %d is not a node", c->name,
			   c->passthrough[i]);
	if (c->mem_base)
		FUZZ_CHECK(c->mem_base % SZ_2M == 0 && c->mem_base >= GUEST_RAM_BASE &&
			       c->mem_base + c->mem_size > c->mem_base &&
			       c->mem_base + c->mem_size <= (1ull << 40),
			   "VM '%s': RAM at 0x%llx", c->name, (unsigned long long)c->mem_base);
	if (c->direct_map && c->mem_base)
		FUZZ_CHECK(in_ram(plat, c->mem_base, c->mem_size),
			   "VM '%s': direct-mapped outside RAM", c->name);
	if (c->bootargs) {
		const uint8_t *p = (const uint8_t *)c->bootargs;
		int len = bootargs_len(fdt, c->bootargs);
		FUZZ_CHECK(p >= fdt && p < fdt + size, "VM '%s': bootargs outside the DTB",
			   c->name);
		FUZZ_CHECK(len > 0 && memchr(p, 0, (size_t)len),
			   "VM '%s': bootargs is not a string ending inside its property", c->name);
	}
}

/* Register region i of a device, widened to pages as kestrel maps it; false past the last. */
static bool dev_pages(const void *fdt, int dev, int i, uint64_t *base, uint64_t *size)
{
	uint64_t addr, len;

	if (hostdt_reg(fdt, dev, i, &addr, &len) != E_OK || !len || addr + len < addr ||
	    addr + len > ~(uint64_t)(PAGE_SIZE - 1))
		return false;
	*base = ALIGN_DOWN(addr, PAGE_SIZE);
	*size = ALIGN_UP(addr + len, PAGE_SIZE) - *base;
	return true;
}

static bool overlap(uint64_t a, uint64_t alen, uint64_t b, uint64_t blen)
{
	return a >= b ? a - b < blen : b - a < alen;
}

/*
 * What isolation needs of the accepted VMs' devices: no page of RAM (any bank) or reserved
 * memory, none where the guest sees an emulated device, none shared with another VM's device, and
 * not kestrel's UART's interrupt.
 */
static void check_isolation(const struct vm_config *cfg, unsigned n, const struct platform *plat,
			    const void *fdt)
{
	uint64_t b, s, ob, os;

	for (unsigned v = 0; v < n; v++) {
		const struct vm_config *c = &cfg[v];
		for (unsigned k = 0; k < c->nspis; k++)
			FUZZ_CHECK(!plat->uart_spi || c->spi_intids[k] != plat->uart_spi,
				   "VM '%s' has kestrel's UART's SPI", c->name);
		for (unsigned d = 0; d < c->npassthrough; d++)
			for (int i = 0; dev_pages(fdt, c->passthrough[d], i, &b, &s); i++) {
				FUZZ_CHECK(!overlap(b, s, plat->ram_base, plat->ram_size),
					   "VM '%s': a device page in RAM", c->name);
				for (unsigned k = 0; k < MIN(plat->ram_banks, PLAT_MAX_RAM_BANKS);
				     k++)
					FUZZ_CHECK(!overlap(b, s, plat->ram_bank[k].base,
							    plat->ram_bank[k].size),
						   "VM '%s': a device page in RAM bank %u", c->name,
						   k);
				for (unsigned k = 0; k < plat->nreserved; k++)
					FUZZ_CHECK(plat->reserved[k][1] <= plat->reserved[k][0] ||
						       !overlap(b, s, plat->reserved[k][0],
								plat->reserved[k][1] -
								    plat->reserved[k][0]),
						   "VM '%s': a device page on reserved memory",
						   c->name);
				FUZZ_CHECK(!overlap(b, s, GUEST_GICD_BASE, GUEST_GICD_SIZE) &&
					       !overlap(b, s, GUEST_GICR_BASE,
							GUEST_GICR_STRIDE * c->vcpus) &&
					       !overlap(b, s, GUEST_UART_BASE, GUEST_UART_SIZE),
					   "VM '%s': a device page over an emulated device",
					   c->name);
				for (unsigned w = 0; w < v; w++)
					for (unsigned e = 0; e < cfg[w].npassthrough; e++)
						for (int j = 0; dev_pages(
							 fdt, cfg[w].passthrough[e], j, &ob, &os);
						     j++)
							FUZZ_CHECK(
							    !overlap(b, s, ob, os),
							    "VMs '%s' and '%s' share a device page",
							    cfg[w].name, c->name);
			}
	}
}

/* What shm_setup and shm_map rely on: regions in their window, apart, shared by real VMs. */
static void check_shm(const struct shm_config *r, unsigned n, unsigned nvms)
{
	for (unsigned i = 0; i < n; i++) {
		FUZZ_CHECK(memchr(r[i].name, 0, VM_NAME_MAX), "region name not terminated");
		FUZZ_CHECK(r[i].size && r[i].size % PAGE_SIZE == 0, "region '%s': size 0x%llx",
			   r[i].name, (unsigned long long)r[i].size);
		FUZZ_CHECK(r[i].ipa >= SHM_IPA_BASE && r[i].ipa % PAGE_SIZE == 0 &&
			       r[i].ipa + r[i].size > r[i].ipa &&
			       r[i].ipa + r[i].size <= SHM_IPA_END,
			   "region '%s': 0x%llx bytes at IPA 0x%llx, outside the shared window",
			   r[i].name, (unsigned long long)r[i].size, (unsigned long long)r[i].ipa);
		for (unsigned j = 0; j < i; j++)
			FUZZ_CHECK(r[i].ipa >= r[j].ipa + r[j].size ||
				       r[j].ipa >= r[i].ipa + r[i].size,
				   "regions '%s' and '%s' overlap", r[i].name, r[j].name);
		FUZZ_CHECK(r[i].nvms >= 2 && r[i].nvms <= VM_MAX, "region '%s': %u VMs", r[i].name,
			   r[i].nvms);
		for (unsigned v = 0; v < r[i].nvms; v++)
			FUZZ_CHECK(r[i].vm[v] < nvms, "region '%s': VM %u of %u", r[i].name,
				   r[i].vm[v], nvms);
	}
}

/* build_dtb in vm_build.c (with shm_dtb_params), then libfdt's full check of the result. */
static void build_guest_dtb(const struct vm_config *c, unsigned id, const struct shm_config *shm,
			    unsigned nshm, const void *fdt, void *buf)
{
	ipaddr_t ram = c->mem_base ? c->mem_base : GUEST_RAM_BASE;
	struct guest_dtb_params p = {
	    .ram_base = ram,
	    .ram_size = c->mem_size,
	    .vcpus = c->vcpus,
	    .bootargs = c->bootargs,
	    .initrd_size = c->initrd_size,
	    .initrd_start = (ram + c->mem_size - SZ_2M - c->initrd_size) & ~(PAGE_SIZE - 1),
	};
	int n;

	for (unsigned r = 0; r < nshm && p.nshm < ARRAY_SIZE(p.shm); r++)
		for (unsigned v = 0; v < shm[r].nvms; v++)
			if (shm[r].vm[v] == id) {
				p.shm[p.nshm].id = r;
				p.shm[p.nshm].ipa = shm[r].ipa;
				p.shm[p.nshm].size = shm[r].size;
				p.shm[p.nshm].spi = SHM_SPI_BASE + r;
				p.nshm++;
				break;
			}
	p.host_fdt = fdt;
	p.npassthrough = c->npassthrough;
	for (unsigned i = 0; i < p.npassthrough; i++)
		p.passthrough[i] = c->passthrough[i];
	n = guest_dtb_build(buf, GUEST_DTB_MAX, &p);

	if (n < 0) {
		FUZZ_CHECK(n == -FDT_ERR_NOSPACE, "guest DTB for '%s': %s", c->name,
			   fdt_strerror(n));
		return;
	}
	FUZZ_CHECK(n <= GUEST_DTB_MAX && fdt_check_full(buf, (size_t)n) == 0,
		   "guest DTB for '%s' is invalid", c->name);
}

static bool same_config(const struct vm_config *a, const struct vm_config *b)
{
	return !strcmp(a->name, b->name) && a->mem_size == b->mem_size && a->vcpus == b->vcpus &&
	       a->kernel_pa == b->kernel_pa && a->kernel_size == b->kernel_size &&
	       a->initrd_pa == b->initrd_pa && a->initrd_size == b->initrd_size &&
	       a->bootargs == b->bootargs && a->on_poweroff == b->on_poweroff &&
	       a->on_reset == b->on_reset && a->on_crash == b->on_crash &&
	       a->console == b->console && a->has_affinity == b->has_affinity &&
	       a->direct_map == b->direct_map && a->mem_base == b->mem_base &&
	       a->npassthrough == b->npassthrough &&
	       !memcmp(a->passthrough, b->passthrough, sizeof(a->passthrough)) &&
	       !memcmp(a->affinity, b->affinity, sizeof(a->affinity));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static void *guest_dtb;
	struct vm_config cfg[VM_MAX], again[VM_MAX];
	struct shm_config shm[SHM_MAX];
	struct platform plat;
	char msg[MSG_MAX];
	size_t len = size < sizeof(struct fdt_header) ? sizeof(struct fdt_header) : size;
	unsigned n, nshm;
	uint8_t *fdt;
	int err;

	if (!guest_dtb)
		guest_dtb = malloc(GUEST_DTB_MAX);
	if (!size) {
		FUZZ_CHECK(hostdt_parse(NULL, &plat, msg, sizeof(msg)) < 0, "NULL DTB accepted");
		return 0;
	}
	/* The loader guarantees the header and totalsize bytes: never claim more than we have. */
	fdt = calloc(1, len);
	FUZZ_CHECK(fdt, "out of memory");
	memcpy(fdt, data, size);
	if (fdt_totalsize(fdt) > len)
		fdt_set_totalsize(fdt, (uint32_t)len);

	memset(msg, 'x', sizeof(msg));
	err = hostdt_parse(fdt, &plat, msg, sizeof(msg));
	if (err) {
		FUZZ_CHECK(err < 0, "error %d is not negative", err);
		FUZZ_CHECK(memchr(msg, 0, sizeof(msg)) && msg[0], "no message for error %d", err);
		goto out;
	}
	FUZZ_CHECK(plat.ram_size && plat.cpu_count >= 1 && plat.cpu_count <= PCPU_MAX,
		   "accepted with 0x%llx bytes of RAM and %u CPUs",
		   (unsigned long long)plat.ram_size, plat.cpu_count);
	FUZZ_CHECK(plat.nreserved <= PLAT_MAX_RESERVED && plat.ram_banks <= PLAT_MAX_RAM_BANKS &&
		       plat.psci_smc,
		   "platform out of range");

	refusals = 0;
	n = vmconfig_parse(fdt, &plat, cfg, VM_MAX, on_refusal);
	FUZZ_CHECK(n <= VM_MAX, "%u VMs", n);
	for (unsigned i = 0; i < n; i++) {
		check_config(&cfg[i], &plat, fdt, len);
		for (unsigned j = 0; j < i; j++)
			FUZZ_CHECK(strcmp(cfg[i].name, cfg[j].name), "two VMs named '%s'",
				   cfg[i].name);
	}
	check_isolation(cfg, n, &plat, fdt);
	/* kmain reads the descriptions twice; both readings must agree. */
	FUZZ_CHECK(vmconfig_parse(fdt, &plat, again, VM_MAX, NULL) == n, "second reading differs");
	for (unsigned i = 0; i < n; i++)
		FUZZ_CHECK(same_config(&cfg[i], &again[i]), "second reading of VM %u differs", i);
	/* A smaller table keeps a prefix of the same VMs. */
	if (n > 1) {
		FUZZ_CHECK(vmconfig_parse(fdt, &plat, again, 1, NULL) == 1, "max 1");
		FUZZ_CHECK(same_config(&cfg[0], &again[0]), "max 1 gave another first VM");
	}
	FUZZ_CHECK(vmconfig_parse(fdt, &plat, again, 0, NULL) == 0, "max 0");
	nshm = vmconfig_shm_parse(fdt, cfg, n, shm, SHM_MAX, on_refusal);
	FUZZ_CHECK(nshm <= SHM_MAX, "%u shared regions", nshm);
	check_shm(shm, nshm, n);
	for (unsigned i = 0; i < n; i++)
		build_guest_dtb(&cfg[i], i, shm, nshm, fdt, guest_dtb);
out:
	free(fdt);
	return 0;
}

/* --- a tree-aware mutator (libFuzzer only: the regression driver never calls it) --- */

size_t LLVMFuzzerMutate(uint8_t *data, size_t size, size_t max_size) __attribute__((weak));
size_t LLVMFuzzerCustomMutator(uint8_t *data, size_t size, size_t max_size, unsigned int seed);

#define TREE_MAX (128 * 1024)

static const char *const prop_names[] = {
    "device_type",
    "reg",
    "compatible",
    "method",
    "stdout-path",
    "interrupts",
    "memory",
    "cpus",
    "bootargs",
    "cpu-affinity",
    "on-poweroff",
    "on-reset",
    "on-crash",
    "console",
    "direct-map",
    "memory-base",
    "passthrough",
    "size",
    "vms",
    "#address-cells",
    "#size-cells",
    "phandle",
    "interrupt-parent",
};
static const char *const strings[] = {
    "memory",
    "cpu",
    "smc",
    "hvc",
    "kestrel,vm",
    "kestrel,shared-memory",
    "multiboot,kernel",
    "multiboot,ramdisk",
    "multiboot,module",
    "arm,gic-v3",
    "arm,pl011",
    "arm,psci-0.2",
    "arm,armv8-timer",
    "stop",
    "restart",
    "on",
    "off",
    "/pl011@9000000",
    "/chosen",
    "vm0",
    "a",
    "",
};
static const char *const node_names[] = {
    "vm",    "vm1", "module@49000000", "module@4a000000", "memory@40000000",
    "cpu@2", "shm", "reserved-memory", "chosen",	  "cpus",
    "psci",  "x"};
static const uint32_t cell_values[] = {0,	   1,	       2,	   4,	       8,
				       0x1000,	   0x200000,   0x1000000,  0x10000000, 0x40000000,
				       0x49000000, 0x80000000, 0xfffff000, 0xffffffff};

static uint32_t rnd(unsigned *seed)
{
	*seed = *seed * 1103515245u + 12345u;
	return *seed >> 8;
}

enum edit { SET_PROP, DAMAGE_PROP, ADD_NODE, DEL_NODE, EDITS };

/* One change, made while the tree is copied: on node number target (in tree order). */
struct mutation {
	enum edit edit;
	int target;
	const char *name; /* SET_PROP: the property; ADD_NODE: the node */
	uint8_t val[64];
	int len;
	int damage; /* DAMAGE_PROP: which property of the node */
	bool drop;  /* DAMAGE_PROP: drop it rather than cut it short */
};

static void pick_value(struct mutation *m, unsigned *seed)
{
	m->len = 0;
	switch (rnd(seed) % 4) {
	case 0: /* a string or a string list, maybe without its last NUL */
	case 1:
		for (unsigned n = 1 + rnd(seed) % 2; n--;) {
			const char *str = strings[rnd(seed) % ARRAY_SIZE(strings)];
			size_t l = strlen(str) + 1;
			if (m->len + (int)l > (int)sizeof(m->val))
				break;
			memcpy(m->val + m->len, str, l);
			m->len += (int)l;
		}
		if (m->len && rnd(seed) % 4 == 0)
			m->len--;
		break;
	case 2: /* cells */
		for (unsigned n = 1 + rnd(seed) % 8; n--; m->len += 4)
			fdt32_st(m->val + m->len,
				 rnd(seed) % 4 ? cell_values[rnd(seed) % ARRAY_SIZE(cell_values)]
					       : rnd(seed));
		break;
	default: /* empty */
		break;
	}
}

/* The properties of one node, with the mutation applied if it is the target. */
static int copy_props(void *out, const void *in, int node, const struct mutation *m, bool target)
{
	int prop, index = 0, err = 0;

	fdt_for_each_property_offset(prop, in, node)
	{
		const char *name;
		int len;
		const void *v = fdt_getprop_by_offset(in, prop, &name, &len);
		if (!v || len < 0 || err)
			continue;
		if (target && m->edit == SET_PROP && !strcmp(name, m->name))
			continue;
		if (target && m->edit == DAMAGE_PROP && index++ == m->damage) {
			if (m->drop)
				continue;
			len = len ? len - 1 : 0;
		}
		err = fdt_property(out, name, v, len);
	}
	if (!err && target && m->edit == SET_PROP)
		err = fdt_property(out, m->name, m->val, m->len);
	if (!err && target && m->edit == ADD_NODE)
		err = fdt_begin_node(out, m->name) ?: fdt_end_node(out);
	return err;
}

/* The input tree written anew through libfdt's sequential-write API, read through the same
   read-only functions kestrel uses (so no more trust in the input than kestrel has). */
static int rewrite(void *out, size_t cap, const void *in, const struct mutation *m)
{
	int depth = 0, open = 0, index = 0, skip_below = -1, err;

	err = fdt_create(out, (int)cap) ?: fdt_finish_reservemap(out);
	for (int node = 0; node >= 0 && !err; node = fdt_next_node(in, node, &depth), index++) {
		const char *name = fdt_get_name(in, node, NULL);
		if (skip_below >= 0 && depth > skip_below)
			continue; /* inside a deleted node */
		skip_below = -1;
		while (open > depth && !err) {
			err = fdt_end_node(out);
			open--;
		}
		if (index == m->target && m->edit == DEL_NODE && depth > 0) {
			skip_below = depth;
			continue;
		}
		if (depth != open || !name)
			return -1; /* a jump in depth: a tree this cannot copy */
		err = err ?: fdt_begin_node(out, depth ? name : "");
		open++;
		err = err ?: copy_props(out, in, node, m, index == m->target);
	}
	while (open-- > 0 && !err)
		err = fdt_end_node(out);
	return err ?: fdt_finish(out);
}

/* The tree re-laid: structure block last, at an odd offset, or cut inside a property. */
static size_t relayout(uint8_t *fdt, size_t max_size, unsigned *seed)
{
	static uint8_t out[TREE_MAX];
	size_t head = fdt_off_mem_rsvmap(fdt) + 16; /* rewrite() leaves no reservations */
	size_t strings_len = fdt_size_dt_strings(fdt), len = fdt_size_dt_struct(fdt);
	size_t at = head + strings_len + rnd(seed) % 4, total;

	if (rnd(seed) % 2)
		len -= rnd(seed) % (len < 64 ? len : 64); /* the end of some property, or not */
	total = at + len;
	if (total > max_size || total > sizeof(out))
		return 0;
	memset(out, 0, total);
	memcpy(out, fdt, head);
	memcpy(out + head, fdt + fdt_off_dt_strings(fdt), strings_len);
	memcpy(out + at, fdt + fdt_off_dt_struct(fdt), len);
	fdt_set_off_dt_strings(out, (uint32_t)head);
	fdt_set_off_dt_struct(out, (uint32_t)at);
	fdt_set_size_dt_struct(out, (uint32_t)len);
	fdt_set_totalsize(out, (uint32_t)total);
	memcpy(fdt, out, total);
	return total;
}

size_t LLVMFuzzerCustomMutator(uint8_t *data, size_t size, size_t max_size, unsigned int seed)
{
	static uint8_t in[TREE_MAX], tree[TREE_MAX];
	struct mutation m = {0};
	int depth = 0, nodes = 0;
	size_t n;

	/* As the harness reads it: the header, and never more than the bytes there are. */
	if (rnd(&seed) % 4 == 0 || size < sizeof(struct fdt_header) || size > sizeof(in))
		goto raw;
	memcpy(in, data, size);
	if (fdt_check_header(in) != 0)
		goto raw;
	if (fdt_totalsize(in) > size)
		fdt_set_totalsize(in, (uint32_t)size);
	for (int node = 0; node >= 0 && nodes < 100000; node = fdt_next_node(in, node, &depth))
		nodes++;
	m.edit = (enum edit)(rnd(&seed) % EDITS);
	m.target = (int)(rnd(&seed) % (unsigned)nodes);
	m.name = m.edit == ADD_NODE ? node_names[rnd(&seed) % ARRAY_SIZE(node_names)]
				    : prop_names[rnd(&seed) % ARRAY_SIZE(prop_names)];
	m.damage = (int)(rnd(&seed) % 8);
	m.drop = rnd(&seed) % 3 == 0;
	pick_value(&m, &seed);
	if (rewrite(tree, MIN(sizeof(tree), max_size), in, &m) != 0)
		goto raw;
	n = fdt_totalsize(tree);
	if (rnd(&seed) % 16 == 0) {
		size_t moved = relayout(tree, max_size, &seed);
		n = moved ? moved : n;
	}
	if (n > max_size)
		goto raw;
	memcpy(data, tree, n);
	return n;
raw:
	return LLVMFuzzerMutate ? LLVMFuzzerMutate(data, size, max_size) : size;
}
