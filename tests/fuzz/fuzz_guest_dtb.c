/* SPDX-License-Identifier: Apache-2.0 */
/* fuzz-sources: hyp/config/guest_dtb.c */
/*
 * The guest device tree builder with any parameters: vCPU counts in and out of range, any RAM
 * and initrd numbers, shared memory regions, passed-through host nodes, bootargs of any length
 * and content, and output buffers of every size.
 * Input: flags (1), vcpus (1), ram_base, ram_size, initrd_start, initrd_size (8 each), a buffer
 * size selector (4); with flag bit 2, a count (1) and that many shared regions (1 + count % 8;
 * id, SPI, 1 byte each; IPA, size, 8 each); with flag bit 3, a count (1) and that many host
 * nodes to pass through (1 + count % 4; 1 byte each, picking among the nodes of a small host
 * tree built here); then the bootargs bytes (the rest, given a terminating NUL; a NUL inside
 * ends the string early, as it would in a DTB property).
 *
 * A build into a large buffer must succeed (or refuse a bad vCPU count) and pass libfdt's full
 * check with exactly the requested contents; the same build into a buffer of any size must
 * then succeed with identical bytes if the buffer can hold them and fail cleanly otherwise,
 * never writing past the buffer (each is an exact-size heap block).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <kestrel/guest_dtb.h>
#include <kestrel/guest_layout.h>
#include <libfdt.h>

#include "harness.h"

#define F_NO_BOOTARGS BIT(0)
#define F_HUGE_SIZE   BIT(1)
#define F_SHM	      BIT(2)
#define F_PASSTHROUGH BIT(3)
#define VCPUS_MAX     8 /* guest_dtb_build's limit */

static uint64_t be64_at(const void *p)
{
	fdt64_t v;

	memcpy(&v, p, 8);
	return fdt64_to_cpu(v);
}

static uint32_t be32_at(const void *p, int i)
{
	fdt32_t v;

	memcpy(&v, (const char *)p + 4 * i, 4);
	return fdt32_to_cpu(v);
}

static const void *prop(const void *fdt, const char *path, const char *name, int *len)
{
	int node = fdt_path_offset(fdt, path);
	const void *p;

	FUZZ_CHECK(node >= 0, "no node %s", path);
	p = fdt_getprop(fdt, node, name, len);
	FUZZ_CHECK(p, "no property %s in %s", name, path);
	return p;
}

/* A host tree with devices to pass through, as libfdt's read-write API builds it. */
static uint8_t host[16384];
static int host_nodes[8];
static unsigned nhost_nodes;

static void add_host_node(const char *name, unsigned nprops, unsigned big)
{
	static const uint8_t reg[16] = {0, 0, 0, 0, 0x0a, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x02, 0};
	int node = fdt_add_subnode(host, 0, name);
	char prop[32];

	FUZZ_CHECK(node >= 0, "host node %s: %s", name, fdt_strerror(node));
	FUZZ_CHECK(!fdt_setprop_string(host, node, "compatible", "virtio,mmio") &&
		       !fdt_setprop(host, node, "reg", reg, sizeof(reg)) &&
		       !fdt_setprop_u32(host, node, "phandle", 0x8000 + nhost_nodes) &&
		       !fdt_setprop_u32(host, node, "interrupt-parent", 0x8001),
		   "host node %s", name);
	for (unsigned i = 0; i < nprops; i++) {
		snprintf(prop, sizeof(prop), "p%u", i);
		FUZZ_CHECK(!fdt_setprop_u32(host, node, prop, i), "host property");
	}
	if (big)
		FUZZ_CHECK(!fdt_setprop_placeholder(host, node, "blob", (int)big, &(void *){0}),
			   "host blob");
	FUZZ_CHECK(nhost_nodes < ARRAY_SIZE(host_nodes), "too many host nodes");
	nhost_nodes++;
}

static void make_host(void)
{
	static const char *const names[] = {"virtio_mmio@a000000", "pl061@9030000", "empty",
					    "many@0", "big@1"};
	int node;

	FUZZ_CHECK(!fdt_create_empty_tree(host, sizeof(host)), "host tree");
	add_host_node(names[4], 0, 3000);
	add_host_node(names[3], 40, 0);
	node = fdt_add_subnode(host, 0, names[2]);
	FUZZ_CHECK(node >= 0 && !fdt_setprop(host, node, "broken", NULL, 0), "host node");
	/* A length libfdt 1.6.1 lets through and reads as -2: not a property to copy. */
	((struct fdt_property *)fdt_get_property_w(host, node, "broken", NULL))->len =
	    cpu_to_fdt32(0xfffffffe);
	nhost_nodes++;
	add_host_node(names[1], 2, 0);
	add_host_node(names[0], 0, 0);
	/* Offsets only settle once the tree is complete. */
	nhost_nodes = 0;
	fdt_for_each_subnode(node, host, 0) host_nodes[nhost_nodes++] = node;
}

/* Every property of the host node but its phandle and interrupt-parent, in the guest node. */
static void check_copy(const void *fdt, int guest_node, int host_node)
{
	int prop, count = 0, host_count = 0;

	FUZZ_CHECK(
	    !strcmp(fdt_get_name(fdt, guest_node, NULL), fdt_get_name(host, host_node, NULL)),
	    "passed-through node named %s", fdt_get_name(fdt, guest_node, NULL));
	fdt_for_each_property_offset(prop, host, host_node)
	{
		const char *name;
		int len, glen;
		const void *v = fdt_getprop_by_offset(host, prop, &name, &len), *g;
		if (!v || len < 0 || !strcmp(name, "phandle") || !strcmp(name, "interrupt-parent"))
			continue;
		host_count++;
		g = fdt_getprop(fdt, guest_node, name, &glen);
		FUZZ_CHECK(g && glen == len && !memcmp(g, v, (size_t)len), "property %s differs",
			   name);
	}
	fdt_for_each_property_offset(prop, fdt, guest_node) count++;
	FUZZ_CHECK(count == host_count, "%d properties copied of %d", count, host_count);
}

/* After the UART: the shared regions, then the passed-through nodes, then /chosen. */
static void check_extra_nodes(const void *fdt, const struct guest_dtb_params *p)
{
	char uart[32];
	int node = -1, sub;
	unsigned i = 0;

	snprintf(uart, sizeof(uart), "pl011@%llx", (unsigned long long)GUEST_UART_BASE);
	fdt_for_each_subnode(sub, fdt, 0)
	{
		if (node < 0) {
			if (!strcmp(fdt_get_name(fdt, sub, NULL), uart))
				node = sub;
			continue;
		}
		if (i < p->nshm) {
			const void *v;
			int len;
			FUZZ_CHECK(!fdt_node_check_compatible(fdt, sub, "kestrel,shared-memory"),
				   "node %u after the UART is not region %u", i, i);
			v = fdt_getprop(fdt, sub, "reg", &len);
			FUZZ_CHECK(v && len == 32 && be64_at(v) == p->shm[i].ipa &&
				       be64_at((const char *)v + 8) == p->shm[i].size &&
				       be64_at((const char *)v + 16) == p->shm[i].doorbell &&
				       be64_at((const char *)v + 24) == 8,
				   "region %u reg", i);
			v = fdt_getprop(fdt, sub, "interrupts", &len);
			FUZZ_CHECK(v && len == 12 && be32_at(v, 0) == 0 &&
				       be32_at(v, 1) == p->shm[i].spi,
				   "region %u interrupt", i);
			v = fdt_getprop(fdt, sub, "kestrel,region", &len);
			FUZZ_CHECK(v && len == 4 && be32_at(v, 0) == p->shm[i].id, "region %u id",
				   i);
		} else if (i < p->nshm + p->npassthrough) {
			check_copy(fdt, sub, p->passthrough[i - p->nshm]);
		} else {
			FUZZ_CHECK(!strcmp(fdt_get_name(fdt, sub, NULL), "chosen"),
				   "unexpected node %s", fdt_get_name(fdt, sub, NULL));
		}
		i++;
	}
	FUZZ_CHECK(i == p->nshm + p->npassthrough + 1, "%u nodes after the UART", i);
}

/* The tree says exactly what was asked for. */
static void check_contents(const void *fdt, const struct guest_dtb_params *p)
{
	const char *expect_args = p->bootargs ? p->bootargs : "";
	char path[64];
	const void *v;
	int len, cpus, node, count = 0;

	v = prop(fdt, "/chosen", "bootargs", &len);
	FUZZ_CHECK((size_t)len == strlen(expect_args) + 1 && !memcmp(v, expect_args, (size_t)len),
		   "bootargs differ");
	v = prop(fdt, "/chosen", "stdout-path", &len);
	FUZZ_CHECK(fdt_path_offset(fdt, v) >= 0, "stdout-path %s leads nowhere", (const char *)v);

	snprintf(path, sizeof(path), "/memory@%llx", (unsigned long long)p->ram_base);
	v = prop(fdt, path, "reg", &len);
	FUZZ_CHECK(len == 16 && be64_at(v) == p->ram_base &&
		       be64_at((const char *)v + 8) == p->ram_size,
		   "memory reg differs");

	cpus = fdt_path_offset(fdt, "/cpus");
	FUZZ_CHECK(cpus >= 0, "no /cpus");
	fdt_for_each_subnode(node, fdt, cpus)
	{
		const fdt32_t *reg = fdt_getprop(fdt, node, "reg", &len);
		FUZZ_CHECK(reg && len == 4 &&
			       fdt32_to_cpu(*reg) == (GUEST_MPIDR((unsigned)count) & 0xffffff),
			   "cpu %d reg", count);
		count++;
	}
	FUZZ_CHECK(count == (int)p->vcpus, "%d cpu nodes for %u vCPUs", count, p->vcpus);

	snprintf(path, sizeof(path), "/intc@%llx", (unsigned long long)GUEST_GICD_BASE);
	v = prop(fdt, path, "reg", &len);
	FUZZ_CHECK(len == 32 && be32_at(v, 7) == GUEST_GICR_STRIDE * p->vcpus,
		   "redistributor size");
	check_extra_nodes(fdt, p);

	node = fdt_path_offset(fdt, "/chosen");
	v = fdt_getprop(fdt, node, "linux,initrd-start", &len);
	if (!p->initrd_size) {
		FUZZ_CHECK(!v && !fdt_getprop(fdt, node, "linux,initrd-end", NULL),
			   "initrd without one");
		return;
	}
	FUZZ_CHECK(v && len == 8 && be64_at(v) == p->initrd_start, "initrd-start");
	v = fdt_getprop(fdt, node, "linux,initrd-end", &len);
	FUZZ_CHECK(v && len == 8 && be64_at(v) == p->initrd_start + p->initrd_size, "initrd-end");
}

/* A build into an exact-size heap block of size bytes. */
static int build_into(size_t size, const struct guest_dtb_params *p, void **out)
{
	void *buf = malloc(size ? size : 1);
	int n;

	FUZZ_CHECK(buf, "out of memory");
	n = guest_dtb_build(buf, size, p);
	if (out)
		*out = buf;
	else
		free(buf);
	return n;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_in in = fuzz_in(data, size);
	uint8_t flags = fuzz_u8(&in);
	struct guest_dtb_params p = {0};
	uint32_t sel;
	char *args;
	void *big, *small;
	size_t cap;
	int n, m;

	p.vcpus = fuzz_u8(&in);
	p.ram_base = fuzz_u64(&in);
	p.ram_size = fuzz_u64(&in);
	p.initrd_start = fuzz_u64(&in);
	p.initrd_size = fuzz_u64(&in);
	sel = fuzz_u32(&in);
	if (flags & F_SHM) {
		p.nshm = 1 + fuzz_u8(&in) % ARRAY_SIZE(p.shm);
		for (unsigned i = 0; i < p.nshm; i++) {
			p.shm[i].id = fuzz_u8(&in);
			p.shm[i].spi = fuzz_u8(&in);
			p.shm[i].ipa = fuzz_u64(&in);
			p.shm[i].size = fuzz_u64(&in);
			p.shm[i].doorbell =
			    0x0ffff000ull + 8 * p.shm[i].id; /* as kestrel places it */
		}
	}
	if (!nhost_nodes)
		make_host();
	p.host_fdt = host;
	if (flags & F_PASSTHROUGH) {
		p.npassthrough = 1 + fuzz_u8(&in) % ARRAY_SIZE(p.passthrough);
		for (unsigned i = 0; i < p.npassthrough; i++)
			p.passthrough[i] = host_nodes[fuzz_u8(&in) % nhost_nodes];
	}
	args = malloc(in.left + 1);
	FUZZ_CHECK(args, "out of memory");
	args[fuzz_bytes(&in, args, in.left)] = '\0';
	p.bootargs = (flags & F_NO_BOOTARGS) ? NULL : args;

	/* Comfortably more than the tree needs: the fixed part is under 2 KiB. */
	cap = 4096 + strlen(args) + p.nshm * 128 + p.npassthrough * 4096;
	n = build_into(cap, &p, &big);
	if (p.vcpus < 1 || p.vcpus > VCPUS_MAX) {
		FUZZ_CHECK(n == -FDT_ERR_BADVALUE, "%u vCPUs gave %d", p.vcpus, n);
		goto out;
	}
	FUZZ_CHECK(n > 0 && (size_t)n <= cap, "build into %zu bytes gave %d", cap, n);
	FUZZ_CHECK(fdt_check_full(big, (size_t)n) == 0, "invalid tree");
	FUZZ_CHECK(fdt_totalsize(big) == (uint32_t)n, "totalsize %u, returned %d",
		   fdt_totalsize(big), n);
	check_contents(big, &p);

	/* Exactly enough, one byte short, and a size the input picks around the real one. */
	size_t sizes[3] = {(size_t)n, (size_t)n - 1, sel % ((size_t)n + 64)};
	for (unsigned i = 0; i < 3; i++) {
		m = build_into(sizes[i], &p, &small);
		if (sizes[i] >= (size_t)n)
			FUZZ_CHECK(m == n && !memcmp(small, big, (size_t)n),
				   "%zu-byte buffer gave %d (needs %d)", sizes[i], m, n);
		else
			FUZZ_CHECK(m == -FDT_ERR_NOSPACE, "%zu-byte buffer gave %d (needs %d)",
				   sizes[i], m, n);
		free(small);
	}
	/* A size libfdt cannot represent is refused before the buffer is touched. */
	if (flags & F_HUGE_SIZE) {
		size_t huge = (size_t)INT32_MAX + 1 + (sel & 0xffff);
		FUZZ_CHECK(guest_dtb_build(args, huge, &p) == -FDT_ERR_BADVALUE, "huge size");
	}
out:
	free(big);
	free(args);
	return 0;
}
